"""Vendor contents of ESCAPE-TO-PROPRIETARY and IWU-TO-IWU: DeTeWe (Mitel), Siemens, Aastra.

Layouts from omm-rfp.md §6.3 (rfpproxy's decoders, checked against the §7.1 vectors); where
the meaning of a byte is unknown it is kept as it came and named as rfpproxy names it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from dect.errors import DectValueError
from dect.nwk.base import (
    JsonValue,
    check_field,
    code_name,
    length_prefixed,
    split_length_prefixed,
    utf8_octets,
    utf8_text,
)


class Emc(IntEnum):
    """Equipment manufacturer codes whose proprietary contents are decoded."""

    SIEMENS = 0x0002
    DETEWE = 0x0031
    AASTRA = 0x0094


VENDOR: dict[int, str] = {
    Emc.SIEMENS: "Siemens/Gigaset",
    Emc.DETEWE: "DeTeWe (Mitel handsets)",
    Emc.AASTRA: "Aastra",
}


class DeTeWeType(IntEnum):
    """Type octet of a DeTeWe TLV (rfpproxy DeTeWeType.cs)."""

    LANGUAGE = 0x16
    UNKNOWN_1C = 0x1C
    DISPLAY = 0x20
    SEND_TEXT = 0x21
    DATE_TIME = 0x23
    HOME_SCREEN_TEXT = 0x45
    RESERVED_2 = 0x55
    PREPARE_DIAL = 0x56
    RESERVED_1 = 0x59
    BT_ETH_ADDR = 0x62
    DISPLAY_2 = 0xA0


DISPLAY_TYPE: dict[int, str] = {
    0xB2: "no scroll",
    0xB3: "scrollable",
    0xB7: "add top",
    0xB8: "add bottom",
    0xFE: "empty",
}
DISPLAY_EMPTY = 0xFE
DISPLAY_FLAGS_USUAL = 0xFF

LANGUAGE: dict[int, str] = {
    0x01: "de",
    0x02: "en",
    0x03: "fr",
    0x04: "es",
    0x05: "it",
    0x06: "nl",
    0x07: "sv",
    0x08: "dk",
    0x09: "pt",
    0x0A: "no",
    0x0B: "fi",
    0x0C: "hu",
    0x0D: "cs",
    0x0E: "sl",
    0x0F: "ru",
    0x10: "tr",
    0x11: "pl",
}

DATE_TIME_PREFIX = 0xC0
DATE_TIME_SUFFIX = 0x00
DATE_TIME_CENTURY = 2000
HOME_SCREEN_PREFIX = 0x90
RESERVED_1_PREFIX = 0x06
DISPLAY_2_PREFIX = 0x81
BT_ETH_ADDR_OCTETS = 6


class SiemensType(IntEnum):
    """Type octet of a Siemens/Gigaset TLV (rfpproxy SiemensProprietaryContent.cs)."""

    CALLER_ID = 0x28
    TIME_DATE = 0x3B
    DISPLAY = 0x54
    UNNAMED_58 = 0x58
    CISS_ACK_SEQUENCE = 0x59
    CISS_REQUEST_SEQUENCE = 0x5B


class AastraType(IntEnum):
    """Type octet of the single Aastra element."""

    FIRMWARE = 0x01
    FIRMWARE_2 = 0x02
    UPDATE = 0x05
    UPDATE_ACK = 0x07


def _tlv(element_type: int, value: bytes) -> bytes:
    return bytes([element_type]) + length_prefixed(f"element {element_type:#04x}", value)


def _split_tlvs(data: bytes) -> list[tuple[int, bytes]]:
    items = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data) or pos + 2 + data[pos + 1] > len(data):
            raise DectValueError(f"proprietary TLV at octet {pos} overruns the content")
        items.append((data[pos], data[pos + 2 : pos + 2 + data[pos + 1]]))
        pos += 2 + data[pos + 1]
    return items


# --- DeTeWe elements ------------------------------------------------------------------------


class DeTeWeElement:
    """One DeTeWe TLV; subclasses decode the types whose layout is known."""

    element_type: ClassVar[int]

    def payload(self) -> bytes:
        raise NotImplementedError

    @classmethod
    def from_payload(cls, value: bytes) -> DeTeWeElement:
        raise NotImplementedError

    def fields(self) -> dict[str, JsonValue]:
        raise NotImplementedError

    @property
    def type_code(self) -> int:
        return self.element_type

    def encode(self) -> bytes:
        return _tlv(self.type_code, self.payload())

    def to_json(self) -> dict[str, JsonValue]:
        return {"type": code_name(DeTeWeType, self.type_code), **self.fields()}


@dataclass(frozen=True)
class DeTeWeRaw(DeTeWeElement):
    """A DeTeWe TLV of unknown layout (or one that did not match its known layout)."""

    raw_type: int
    data: bytes

    def __post_init__(self) -> None:
        check_field("DeTeWe element type", self.raw_type, 8)

    @property
    def type_code(self) -> int:
        return self.raw_type

    def payload(self) -> bytes:
        return self.data

    def fields(self) -> dict[str, JsonValue]:
        return {"code": self.raw_type, "data": self.data.hex()}


@dataclass(frozen=True)
class Language(DeTeWeElement):
    """The handset's menu language."""

    element_type: ClassVar[int] = DeTeWeType.LANGUAGE
    language: int

    def __post_init__(self) -> None:
        check_field("DeTeWe language", self.language, 8)

    def payload(self) -> bytes:
        return bytes([self.language])

    @classmethod
    def from_payload(cls, value: bytes) -> Language:
        if len(value) != 1:
            raise DectValueError("DeTeWe language is one octet")
        return cls(value[0])

    def fields(self) -> dict[str, JsonValue]:
        return {"language": code_name(LANGUAGE, self.language)}


@dataclass(frozen=True)
class Display(DeTeWeElement):
    """Display text: type, a flags octet (usually 0xFF) and length-prefixed UTF-8 strings."""

    element_type: ClassVar[int] = DeTeWeType.DISPLAY
    display_type: int
    texts: tuple[str, ...] = ()
    flags: int | None = DISPLAY_FLAGS_USUAL
    """None only for the lone "empty" type octet (0xFE without anything after it)."""

    def __post_init__(self) -> None:
        check_field("DeTeWe display type", self.display_type, 8)
        if self.flags is None:
            if self.display_type != DISPLAY_EMPTY or self.texts:
                raise DectValueError("DeTeWe display without flags must be the lone 'empty' type")
        else:
            check_field("DeTeWe display flags", self.flags, 8)

    def payload(self) -> bytes:
        if self.flags is None:
            return bytes([self.display_type])
        body = b"".join(
            length_prefixed("DeTeWe display text", utf8_octets("DeTeWe display text", t))
            for t in self.texts
        )
        return bytes([self.display_type, self.flags]) + body

    @classmethod
    def from_payload(cls, value: bytes) -> Display:
        if len(value) == 1:
            return cls(value[0], (), None)
        if not value:
            raise DectValueError("DeTeWe display needs a type octet")
        parts = split_length_prefixed("DeTeWe display", value[2:])
        return cls(value[0], tuple(utf8_text("DeTeWe display", p) for p in parts), value[1])

    def fields(self) -> dict[str, JsonValue]:
        return {
            "display_type": code_name(DISPLAY_TYPE, self.display_type),
            "flags": self.flags,
            "texts": list(self.texts),
        }


@dataclass(frozen=True)
class SendText(DeTeWeElement):
    """Text the handset sends (keys pressed, entered text)."""

    element_type: ClassVar[int] = DeTeWeType.SEND_TEXT
    text: str

    def payload(self) -> bytes:
        return utf8_octets("DeTeWe send text", self.text)

    @classmethod
    def from_payload(cls, value: bytes) -> SendText:
        return cls(utf8_text("DeTeWe send text", value))

    def fields(self) -> dict[str, JsonValue]:
        return {"text": self.text}


@dataclass(frozen=True)
class DateTime(DeTeWeElement):
    """Date and time for the handset clock: 0xC0, BCD yy MM dd HH mm ss, 0x00."""

    element_type: ClassVar[int] = DeTeWeType.DATE_TIME
    timestamp: datetime.datetime

    def __post_init__(self) -> None:
        year = self.timestamp.year - DATE_TIME_CENTURY
        if not 0 <= year <= 99:
            raise DectValueError(f"DeTeWe date year must be 2000..2099, got {self.timestamp.year}")
        if self.timestamp.microsecond or self.timestamp.tzinfo is not None:
            raise DectValueError("DeTeWe date/time has whole seconds and no time zone")

    def payload(self) -> bytes:
        v = self.timestamp
        digits = f"{v.year - DATE_TIME_CENTURY:02d}{v:%m%d%H%M%S}"
        return bytes([DATE_TIME_PREFIX]) + bytes.fromhex(digits) + bytes([DATE_TIME_SUFFIX])

    @classmethod
    def from_payload(cls, value: bytes) -> DateTime:
        if len(value) != 8 or value[0] != DATE_TIME_PREFIX or value[7] != DATE_TIME_SUFFIX:
            raise DectValueError("DeTeWe date/time is C0, six BCD octets, 00")
        digits = value[1:7].hex()
        if not digits.isdigit():
            raise DectValueError(f"DeTeWe date/time {digits!r} is not BCD")
        yy, mo, dd, hh, mi, ss = (int(digits[i : i + 2]) for i in range(0, 12, 2))
        try:
            stamp = datetime.datetime(DATE_TIME_CENTURY + yy, mo, dd, hh, mi, ss)
        except ValueError:
            raise DectValueError(f"DeTeWe date/time {digits!r} is not a date") from None
        return cls(stamp)

    def fields(self) -> dict[str, JsonValue]:
        return {"datetime": self.timestamp.isoformat()}


@dataclass(frozen=True)
class HomeScreenText(DeTeWeElement):
    """Idle screen lines: 0x90, then length-prefixed UTF-8 strings (name, system, number)."""

    element_type: ClassVar[int] = DeTeWeType.HOME_SCREEN_TEXT
    texts: tuple[str, ...]

    def payload(self) -> bytes:
        body = b"".join(
            length_prefixed("DeTeWe home screen text", utf8_octets("DeTeWe home screen text", t))
            for t in self.texts
        )
        return bytes([HOME_SCREEN_PREFIX]) + body

    @classmethod
    def from_payload(cls, value: bytes) -> HomeScreenText:
        if not value or value[0] != HOME_SCREEN_PREFIX:
            raise DectValueError("DeTeWe home screen text starts with 0x90")
        parts = split_length_prefixed("DeTeWe home screen text", value[1:])
        return cls(tuple(utf8_text("DeTeWe home screen text", p) for p in parts))

    def fields(self) -> dict[str, JsonValue]:
        return {"texts": list(self.texts)}


@dataclass(frozen=True)
class Reserved1(DeTeWeElement):
    """rfpproxy's "Reserved1": 0x06 and two NUL-terminated strings (number and name seen)."""

    element_type: ClassVar[int] = DeTeWeType.RESERVED_1
    text1: str
    text2: str

    def payload(self) -> bytes:
        parts = [utf8_octets("DeTeWe reserved1", t) for t in (self.text1, self.text2)]
        if any(b"\x00" in p for p in parts):
            raise DectValueError("DeTeWe reserved1 strings cannot hold NUL")
        return bytes([RESERVED_1_PREFIX]) + parts[0] + b"\x00" + parts[1] + b"\x00"

    @classmethod
    def from_payload(cls, value: bytes) -> Reserved1:
        if not value or value[0] != RESERVED_1_PREFIX or not value.endswith(b"\x00"):
            raise DectValueError("DeTeWe reserved1 is 0x06 and two NUL-terminated strings")
        parts = value[1:-1].split(b"\x00")
        if len(parts) != 2:
            raise DectValueError("DeTeWe reserved1 holds exactly two strings")
        return cls(utf8_text("DeTeWe reserved1", parts[0]), utf8_text("DeTeWe reserved1", parts[1]))

    def fields(self) -> dict[str, JsonValue]:
        return {"text1": self.text1, "text2": self.text2}


@dataclass(frozen=True)
class Display2(DeTeWeElement):
    """Second display form: 0x81 and UTF-8 text with newlines."""

    element_type: ClassVar[int] = DeTeWeType.DISPLAY_2
    text: str

    def payload(self) -> bytes:
        return bytes([DISPLAY_2_PREFIX]) + utf8_octets("DeTeWe display2", self.text)

    @classmethod
    def from_payload(cls, value: bytes) -> Display2:
        if not value or value[0] != DISPLAY_2_PREFIX:
            raise DectValueError("DeTeWe display2 starts with 0x81")
        return cls(utf8_text("DeTeWe display2", value[1:]))

    def fields(self) -> dict[str, JsonValue]:
        return {"text": self.text}


@dataclass(frozen=True)
class BtEthAddr(DeTeWeElement):
    """The handset's Bluetooth/Ethernet address."""

    element_type: ClassVar[int] = DeTeWeType.BT_ETH_ADDR
    address: bytes

    def __post_init__(self) -> None:
        if len(self.address) != BT_ETH_ADDR_OCTETS:
            raise DectValueError(f"DeTeWe BT/ETH address is 6 octets, got {len(self.address)}")

    def payload(self) -> bytes:
        return self.address

    @classmethod
    def from_payload(cls, value: bytes) -> BtEthAddr:
        return cls(value)

    def fields(self) -> dict[str, JsonValue]:
        return {"address": self.address.hex(":")}


DETEWE_ELEMENTS: dict[int, type[DeTeWeElement]] = {
    cls.element_type: cls
    for cls in (
        Language,
        Display,
        SendText,
        DateTime,
        HomeScreenText,
        Reserved1,
        Display2,
        BtEthAddr,
    )
}


def decode_detewe_element(element_type: int, value: bytes) -> DeTeWeElement:
    """A typed element, or DeTeWeRaw when the type is unknown or the value does not fit it."""
    cls = DETEWE_ELEMENTS.get(element_type)
    if cls is not None:
        try:
            element = cls.from_payload(value)
        except DectValueError:
            pass
        else:
            if element.payload() == value:
                return element
    return DeTeWeRaw(element_type, value)


# --- contents -------------------------------------------------------------------------------


class ProprietaryContent:
    """The vendor part after the EMC."""

    def encode(self) -> bytes:
        raise NotImplementedError

    def to_json(self) -> JsonValue:
        raise NotImplementedError


@dataclass(frozen=True)
class RawContent(ProprietaryContent):
    """Content of an unknown vendor, or one that does not parse as its vendor's format."""

    data: bytes

    def encode(self) -> bytes:
        return self.data

    def to_json(self) -> JsonValue:
        return {"data": self.data.hex()}


@dataclass(frozen=True)
class DeTeWeContent(ProprietaryContent):
    """EMC 0x0031: a list of TLVs."""

    elements: tuple[DeTeWeElement, ...]

    def encode(self) -> bytes:
        return b"".join(e.encode() for e in self.elements)

    def to_json(self) -> JsonValue:
        return {"elements": [e.to_json() for e in self.elements]}


@dataclass(frozen=True)
class SiemensElement:
    """One Siemens/Gigaset TLV, kept as it came."""

    element_type: int
    data: bytes

    def __post_init__(self) -> None:
        check_field("Siemens element type", self.element_type, 8)

    def encode(self) -> bytes:
        return _tlv(self.element_type, self.data)

    def to_json(self) -> dict[str, JsonValue]:
        return {"type": code_name(SiemensType, self.element_type), "data": self.data.hex()}


@dataclass(frozen=True)
class SiemensContent(ProprietaryContent):
    """EMC 0x0002: a list of TLVs."""

    elements: tuple[SiemensElement, ...]

    def encode(self) -> bytes:
        return b"".join(e.encode() for e in self.elements)

    def to_json(self) -> JsonValue:
        return {"elements": [e.to_json() for e in self.elements]}


@dataclass(frozen=True)
class AastraContent(ProprietaryContent):
    """EMC 0x0094: one element (type, length, content)."""

    element_type: int
    data: bytes

    def __post_init__(self) -> None:
        check_field("Aastra element type", self.element_type, 8)

    def encode(self) -> bytes:
        return _tlv(self.element_type, self.data)

    def to_json(self) -> JsonValue:
        return {"type": code_name(AastraType, self.element_type), "data": self.data.hex()}


def decode_content(emc: int | None, data: bytes) -> ProprietaryContent:
    """Typed content for a known EMC; RawContent when unknown or not in the vendor's shape."""
    try:
        if emc == Emc.DETEWE:
            return DeTeWeContent(tuple(decode_detewe_element(t, v) for t, v in _split_tlvs(data)))
        if emc == Emc.SIEMENS:
            return SiemensContent(tuple(SiemensElement(t, v) for t, v in _split_tlvs(data)))
        if emc == Emc.AASTRA:
            items = _split_tlvs(data)
            if len(items) == 1:
                return AastraContent(*items[0])
    except DectValueError:
        pass
    return RawContent(data)
