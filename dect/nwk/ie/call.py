"""Information elements of call control: display, keypad, numbers, names, features, codecs.

ETSI EN 300 175-5 §7.7.7, §7.7.9, §7.7.16, §7.7.26, §7.7.27, §7.7.53, §7.7.54.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dect.errors import DectValueError
from dect.nwk import tables as t
from dect.nwk.base import (
    JsonValue,
    check_field,
    code_name,
    dect_octets,
    dect_text,
    utf8_octets,
    utf8_text,
)
from dect.nwk.ie.core import EXT, VariableIE, octet_at, require_length


@dataclass(frozen=True)
class _TextIE(VariableIE):
    """DECT characters, one per octet (annex D)."""

    text: str

    def __post_init__(self) -> None:
        if not self.text:
            raise DectValueError(f"{self.ie_name} text is empty (an empty element means absent)")
        dect_octets(self.ie_name, self.text)

    def content(self) -> bytes:
        return dect_octets(self.ie_name, self.text)

    @classmethod
    def from_content(cls, content: bytes) -> VariableIE:
        return cls(dect_text(content))

    def fields(self) -> dict[str, JsonValue]:
        return {"text": self.text}


@dataclass(frozen=True)
class MultiDisplay(_TextIE):
    """Display text with DECT control codes (§7.7.26)."""

    identifier: ClassVar[int] = t.VariableIe.MULTI_DISPLAY


@dataclass(frozen=True)
class MultiKeypad(_TextIE):
    """Keypad characters from the PT (§7.7.27)."""

    identifier: ClassVar[int] = t.VariableIe.MULTI_KEYPAD


@dataclass(frozen=True)
class FeatureActivate(VariableIE):
    """Activate a feature, with a parameter for some (§7.7.16)."""

    identifier: ClassVar[int] = t.VariableIe.FEATURE_ACTIVATE
    feature: int
    parameter: int | None = None

    def __post_init__(self) -> None:
        check_field("FEATURE-ACTIVATE feature", self.feature, 7)
        if self.parameter is not None:
            check_field("FEATURE-ACTIVATE parameter", self.parameter, 7)

    def content(self) -> bytes:
        if self.parameter is None:
            return bytes([EXT | self.feature])
        return bytes([self.feature, EXT | self.parameter])

    @classmethod
    def from_content(cls, content: bytes) -> FeatureActivate:
        first = octet_at(content, 0, "FEATURE-ACTIVATE feature")
        if first & EXT:
            require_length(content, 1, "FEATURE-ACTIVATE")
            return cls(first & 0x7F)
        require_length(content, 2, "FEATURE-ACTIVATE")
        return cls(first, content[1] & 0x7F)

    def fields(self) -> dict[str, JsonValue]:
        return {"feature": code_name(t.FEATURE, self.feature), "parameter": self.parameter}


@dataclass(frozen=True)
class CalledPartyNumber(VariableIE):
    """The number dialled en bloc (§7.7.7)."""

    identifier: ClassVar[int] = t.VariableIe.CALLED_PARTY_NUMBER
    number: str
    number_type: int = 0
    numbering_plan: int = 0

    def __post_init__(self) -> None:
        check_field("CALLED-PARTY-NUMBER number type", self.number_type, 3)
        check_field("CALLED-PARTY-NUMBER numbering plan", self.numbering_plan, 4)
        dect_octets("CALLED-PARTY-NUMBER", self.number)

    def content(self) -> bytes:
        head = EXT | self.number_type << 4 | self.numbering_plan
        return bytes([head]) + dect_octets("CALLED-PARTY-NUMBER", self.number)

    @classmethod
    def from_content(cls, content: bytes) -> CalledPartyNumber:
        head = octet_at(content, 0, "CALLED-PARTY-NUMBER octet 3")
        if not head & EXT:
            raise DectValueError("CALLED-PARTY-NUMBER octet 3 has no extension")
        return cls(dect_text(content[1:]), head >> 4 & 0x7, head & 0xF)

    def fields(self) -> dict[str, JsonValue]:
        return {
            "number": self.number,
            "number_type": code_name(t.NUMBER_TYPE, self.number_type),
            "numbering_plan": code_name(t.NUMBERING_PLAN, self.numbering_plan),
        }


@dataclass(frozen=True)
class CallingPartyNumber(VariableIE):
    """The caller's number, with presentation and screening when octet 3a is present (§7.7.9)."""

    identifier: ClassVar[int] = t.VariableIe.CALLING_PARTY_NUMBER
    number: str
    number_type: int = 0
    numbering_plan: int = 0
    presentation: int | None = None
    """Octet 3a presentation indicator; None leaves octet 3a out."""
    screening: int = 0

    def __post_init__(self) -> None:
        check_field("CALLING-PARTY-NUMBER number type", self.number_type, 3)
        check_field("CALLING-PARTY-NUMBER numbering plan", self.numbering_plan, 4)
        check_field("CALLING-PARTY-NUMBER screening", self.screening, 2)
        if self.presentation is None:
            if self.screening:
                raise DectValueError(
                    "CALLING-PARTY-NUMBER screening needs a presentation indicator"
                )
        else:
            check_field("CALLING-PARTY-NUMBER presentation", self.presentation, 2)
        dect_octets("CALLING-PARTY-NUMBER", self.number)

    def content(self) -> bytes:
        head = self.number_type << 4 | self.numbering_plan
        if self.presentation is None:
            octets = bytes([EXT | head])
        else:
            octets = bytes([head, EXT | self.presentation << 5 | self.screening])
        return octets + dect_octets("CALLING-PARTY-NUMBER", self.number)

    @classmethod
    def from_content(cls, content: bytes) -> CallingPartyNumber:
        head = octet_at(content, 0, "CALLING-PARTY-NUMBER octet 3")
        number_type, plan = head >> 4 & 0x7, head & 0xF
        if head & EXT:
            return cls(dect_text(content[1:]), number_type, plan)
        second = octet_at(content, 1, "CALLING-PARTY-NUMBER octet 3a")
        if not second & EXT or second & 0x1C:
            raise DectValueError("CALLING-PARTY-NUMBER octet 3a is 1, presentation, 000, screening")
        return cls(dect_text(content[2:]), number_type, plan, second >> 5 & 0x3, second & 0x3)

    def fields(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {
            "number": self.number,
            "number_type": code_name(t.NUMBER_TYPE, self.number_type),
            "numbering_plan": code_name(t.NUMBERING_PLAN, self.numbering_plan),
        }
        if self.presentation is not None:
            out["presentation"] = code_name(t.PRESENTATION, self.presentation)
            out["screening"] = code_name(t.SCREENING, self.screening)
        return out


@dataclass(frozen=True)
class CallingPartyName(VariableIE):
    """The caller's name, DECT characters or UTF-8 (§7.7.53)."""

    identifier: ClassVar[int] = t.VariableIe.CALLING_PARTY_NAME
    name: str
    presentation: int = 0
    alphabet: int = t.ALPHABET_UTF8
    screening: int = 0

    def __post_init__(self) -> None:
        check_field("CALLING-PARTY-NAME presentation", self.presentation, 2)
        check_field("CALLING-PARTY-NAME alphabet", self.alphabet, 3)
        check_field("CALLING-PARTY-NAME screening", self.screening, 2)
        self._octets()

    def _octets(self) -> bytes:
        if self.alphabet == t.ALPHABET_UTF8:
            return utf8_octets("CALLING-PARTY-NAME", self.name)
        return dect_octets("CALLING-PARTY-NAME", self.name)

    def content(self) -> bytes:
        head = self.presentation << 5 | self.alphabet << 2 | self.screening
        return bytes([head]) + self._octets()

    @classmethod
    def from_content(cls, content: bytes) -> CallingPartyName:
        head = octet_at(content, 0, "CALLING-PARTY-NAME octet 3")
        if head & EXT:
            raise DectValueError("CALLING-PARTY-NAME octet 3 bit 8 is 0")
        alphabet = head >> 2 & 0x7
        data = content[1:]
        name = (
            utf8_text("CALLING-PARTY-NAME", data)
            if alphabet == t.ALPHABET_UTF8
            else dect_text(data)
        )
        return cls(name, head >> 5 & 0x3, alphabet, head & 0x3)

    def fields(self) -> dict[str, JsonValue]:
        return {
            "name": self.name,
            "presentation": code_name(t.PRESENTATION, self.presentation),
            "alphabet": code_name(t.ALPHABET, self.alphabet),
            "screening": code_name(t.SCREENING, self.screening),
        }


@dataclass(frozen=True)
class Codec:
    """One entry of a CODEC-LIST (§7.7.54)."""

    codec: int
    service: int = 0
    """MAC and DLC service (octet a bits 4-1)."""
    cplane_routing: int = 0
    slot_size: int = 0x4

    def __post_init__(self) -> None:
        check_field("codec identifier", self.codec, 7)
        check_field("codec MAC and DLC service", self.service, 4)
        check_field("codec C-plane routing", self.cplane_routing, 3)
        check_field("codec slot size", self.slot_size, 4)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "codec": code_name(t.CODEC, self.codec),
            "service": code_name(t.MAC_DLC_SERVICE, self.service),
            "cplane_routing": code_name(t.CPLANE_ROUTING, self.cplane_routing),
            "slot_size": code_name(t.SLOT_SIZE, self.slot_size),
        }


@dataclass(frozen=True)
class CodecList(VariableIE):
    """Prioritized speech codecs and the negotiation indicator (§7.7.54)."""

    identifier: ClassVar[int] = t.VariableIe.CODEC_LIST
    codecs: tuple[Codec, ...]
    negotiation: int = 0b001

    def __post_init__(self) -> None:
        check_field("CODEC-LIST negotiation indicator", self.negotiation, 3)
        if not self.codecs:
            raise DectValueError("CODEC-LIST needs at least one codec")

    def content(self) -> bytes:
        out = bytearray([EXT | self.negotiation << 4])
        for i, c in enumerate(self.codecs):
            last = EXT if i == len(self.codecs) - 1 else 0
            out += bytes([c.codec, c.service, last | c.cplane_routing << 4 | c.slot_size])
        return bytes(out)

    @classmethod
    def from_content(cls, content: bytes) -> CodecList:
        head = octet_at(content, 0, "CODEC-LIST octet 3")
        body = content[1:]
        if len(body) % 3 or not body:
            raise DectValueError("CODEC-LIST entries are three octets each")
        codecs = tuple(
            Codec(body[i], body[i + 1], body[i + 2] >> 4 & 0x7, body[i + 2] & 0xF)
            for i in range(0, len(body), 3)
        )
        return cls(codecs, head >> 4 & 0x7)

    def fields(self) -> dict[str, JsonValue]:
        return {
            "negotiation": code_name(t.CODEC_NEGOTIATION, self.negotiation),
            "codecs": [c.to_json() for c in self.codecs],
        }
