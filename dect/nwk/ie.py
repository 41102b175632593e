"""NWK information elements as typed objects, and the codec of an IE list.

ETSI EN 300 175-5 §7.5 (coding rules, codeset shifts), §7.6 (fixed length IEs) and §7.7
(variable length IEs). An element that is unknown, empty, in another codeset or not in the
shape its clause describes is kept as RawIE/RawFixedIE, so any decoded list re-encodes
byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from dect.errors import DectDecodeError, DectValueError
from dect.identities import (
    IPEI_BITS,
    PUT_BITS,
    RFPI_BITS,
    TPUI_BITS,
    Ari,
    Ipei,
    Ipui,
    Park,
    Rfpi,
    Tpui,
)
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
from dect.nwk.proprietary import VENDOR, ProprietaryContent, RawContent, decode_content

IE_MAX_CONTENT = 0xFF
EXT = 0x80  # bit 8 of an octet: "last octet of the group" in the extension mechanism

_IeT = TypeVar("_IeT", bound="IE")


class IE:
    """Base of every information element."""

    def encode(self) -> bytes:
        """The element's octets, identifier included."""
        raise NotImplementedError

    @property
    def ie_name(self) -> str:
        """The standard's name, e.g. "PORTABLE-IDENTITY"."""
        raise NotImplementedError

    def fields(self) -> dict[str, JsonValue]:
        """Decoded fields, spelled for humans and JSON."""
        raise NotImplementedError

    def to_json(self) -> dict[str, JsonValue]:
        return {"ie": self.ie_name, **self.fields()}

    def describe(self) -> str:
        """One line: name and fields, strings quoted with control codes escaped."""
        parts = ", ".join(
            f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in self.fields().items()
        )
        return f"{self.ie_name}({parts})"


# --- fixed length elements (§7.6) -----------------------------------------------------------


class SingleOctetIE(IE):
    """A single octet element of codeset 0 that has a name of its own."""

    identifier: ClassVar[int]

    def octet(self) -> int:
        return self.identifier

    def encode(self) -> bytes:
        return bytes([self.octet()])

    @property
    def ie_name(self) -> str:
        return t.spec_name(t.SingleOctetIe(self.identifier))

    def fields(self) -> dict[str, JsonValue]:
        return {}


@dataclass(frozen=True)
class SendingComplete(SingleOctetIE):
    """Called party number complete (§7.6.2)."""

    identifier: ClassVar[int] = t.SingleOctetIe.SENDING_COMPLETE


@dataclass(frozen=True)
class DelimiterRequest(SingleOctetIE):
    """Peer is asked to send SENDING-COMPLETE (§7.6.2)."""

    identifier: ClassVar[int] = t.SingleOctetIe.DELIMITER_REQUEST


@dataclass(frozen=True)
class UseTpui(SingleOctetIE):
    """The PT may use its TPUI in CC-SETUP and LCE-PAGE-RESPONSE (§7.6.2)."""

    identifier: ClassVar[int] = t.SingleOctetIe.USE_TPUI


@dataclass(frozen=True)
class RepeatIndicator(IE):
    """The following elements form a (non-)prioritized list (§7.6.3)."""

    list_type: int = t.RepeatListType.NON_PRIORITIZED_LIST

    def __post_init__(self) -> None:
        check_field("REPEAT-INDICATOR", self.list_type, 4)

    def encode(self) -> bytes:
        return bytes([t.REPEAT_INDICATOR_PREFIX | self.list_type])

    @property
    def ie_name(self) -> str:
        return "REPEAT-INDICATOR"

    def fields(self) -> dict[str, JsonValue]:
        return {"list": code_name(t.RepeatListType, self.list_type)}


@dataclass(frozen=True)
class Shift(IE):
    """Codeset shift, locking or for the next element only (§7.5.3, §7.5.4)."""

    codeset: int
    locking: bool = True

    def __post_init__(self) -> None:
        check_field("SHIFT codeset", self.codeset, 3)

    def encode(self) -> bytes:
        lock = 0 if self.locking else t.SHIFT_NON_LOCKING
        return bytes([t.SHIFT_PREFIX | lock | self.codeset])

    @property
    def ie_name(self) -> str:
        return "SHIFT"

    def fields(self) -> dict[str, JsonValue]:
        return {"codeset": self.codeset, "locking": self.locking}


class DoubleOctetIE(IE):
    """A double octet element `1110 iiii` + one content octet of codeset 0."""

    identifier: ClassVar[int]

    def octet(self) -> int:
        raise NotImplementedError

    @classmethod
    def from_octet(cls, value: int) -> DoubleOctetIE:
        raise NotImplementedError

    def encode(self) -> bytes:
        return bytes([self.identifier, self.octet()])

    @property
    def ie_name(self) -> str:
        return t.spec_name(t.DoubleOctetIe(self.identifier))


@dataclass(frozen=True)
class BasicService(DoubleOctetIE):
    """Call class and basic service (§7.6.4)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.BASIC_SERVICE
    call_class: int = t.CALL_CLASS_NORMAL
    basic_service: int = t.BASIC_SERVICE_SPEECH

    def __post_init__(self) -> None:
        check_field("BASIC-SERVICE call class", self.call_class, 4)
        check_field("BASIC-SERVICE basic service", self.basic_service, 4)

    def octet(self) -> int:
        return self.call_class << 4 | self.basic_service

    @classmethod
    def from_octet(cls, value: int) -> BasicService:
        return cls(value >> 4, value & 0xF)

    def fields(self) -> dict[str, JsonValue]:
        return {
            "call_class": code_name(t.CALL_CLASS, self.call_class),
            "basic_service": code_name(t.BASIC_SERVICE, self.basic_service),
        }


@dataclass(frozen=True)
class _CodeOctetIE(DoubleOctetIE):
    """A double octet element whose content octet is one code from a table."""

    code: int

    def __post_init__(self) -> None:
        check_field(self.ie_name, self.code, 8)

    def octet(self) -> int:
        return self.code

    @classmethod
    def from_octet(cls, value: int) -> DoubleOctetIE:
        return cls(value)

    def meaning(self) -> str:
        raise NotImplementedError

    def fields(self) -> dict[str, JsonValue]:
        return {"code": self.code, "meaning": self.meaning()}


@dataclass(frozen=True)
class ReleaseReason(_CodeOctetIE):
    """Cause of a release (§7.6.7)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.RELEASE_REASON

    def meaning(self) -> str:
        return code_name(t.ReleaseReasonCode, self.code)


@dataclass(frozen=True)
class Signal(_CodeOctetIE):
    """Tone or alerting pattern for the PT (§7.6.8)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.SIGNAL

    def meaning(self) -> str:
        return code_name(t.SIGNAL, self.code)


@dataclass(frozen=True)
class TimerRestart(_CodeOctetIE):
    """Restart or stop a timer (§7.6.9)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.TIMER_RESTART

    def meaning(self) -> str:
        return code_name(t.TIMER_RESTART, self.code)


@dataclass(frozen=True)
class TestHookControl(_CodeOctetIE):
    """Remote hook switch for testing (§7.6.10)."""

    __test__ = False  # not a pytest test class despite the name
    identifier: ClassVar[int] = t.DoubleOctetIe.TEST_HOOK_CONTROL

    def meaning(self) -> str:
        return code_name(t.TEST_HOOK_CONTROL, self.code)


@dataclass(frozen=True)
class SingleDisplay(_CodeOctetIE):
    """One DECT character to display (§7.6.5)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.SINGLE_DISPLAY

    def meaning(self) -> str:
        return dect_text(bytes([self.code]))


@dataclass(frozen=True)
class SingleKeypad(_CodeOctetIE):
    """One DECT character from the keypad (§7.6.6)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.SINGLE_KEYPAD

    def meaning(self) -> str:
        return dect_text(bytes([self.code]))


@dataclass(frozen=True)
class RawFixedIE(IE):
    """A fixed length element without a typed class (reserved code, or another codeset)."""

    octets: bytes
    codeset: int = t.CODESET_0

    def __post_init__(self) -> None:
        first = self.octets[0] if self.octets else 0
        double = first & t.DOUBLE_OCTET_MASK == t.DOUBLE_OCTET_PREFIX
        shift = first & t.SHIFT_MASK == t.SHIFT_PREFIX
        if not first & t.FIXED_LENGTH_BIT or shift or len(self.octets) != (2 if double else 1):
            raise DectValueError(f"fixed length element octets {self.octets.hex()} are malformed")

    def encode(self) -> bytes:
        return self.octets

    @property
    def ie_name(self) -> str:
        prefix = f"CODESET-{self.codeset} " if self.codeset else ""
        return f"{prefix}FIXED-{self.octets[0]:#04x}"

    def fields(self) -> dict[str, JsonValue]:
        return {"octets": self.octets.hex()}


# --- variable length elements (§7.7) --------------------------------------------------------


class VariableIE(IE):
    """`0 iiiiiii`, length, contents. Subclasses code one element of table 76."""

    identifier: ClassVar[int]

    def content(self) -> bytes:
        raise NotImplementedError

    @classmethod
    def from_content(cls, content: bytes) -> VariableIE:
        """The typed element; DectValueError when the contents are not in its shape."""
        raise NotImplementedError

    def encode(self) -> bytes:
        content = self.content()
        if len(content) > IE_MAX_CONTENT:
            raise DectValueError(f"{self.ie_name} contents are {len(content)} octets, at most 255")
        return bytes([self.identifier, len(content)]) + content

    @property
    def ie_name(self) -> str:
        return t.spec_name(t.VariableIe(self.identifier))


@dataclass(frozen=True)
class RawIE(IE):
    """A variable length element kept as it came: unknown, empty, another codeset or malformed."""

    identifier: int
    content: bytes = b""
    codeset: int = t.CODESET_0

    def __post_init__(self) -> None:
        check_field("IE identifier", self.identifier, 7)
        if len(self.content) > IE_MAX_CONTENT:
            raise DectValueError(f"IE contents are {len(self.content)} octets, at most 255")

    def encode(self) -> bytes:
        return bytes([self.identifier, len(self.content)]) + self.content

    @property
    def ie_name(self) -> str:
        if self.codeset:
            return f"CODESET-{self.codeset} IE-{self.identifier:#04x}"
        if self.identifier in t.VariableIe._value2member_map_:
            return t.spec_name(t.VariableIe(self.identifier))
        return f"IE-{self.identifier:#04x}"

    def fields(self) -> dict[str, JsonValue]:
        return {"raw": self.content.hex()}


def _octet(content: bytes, index: int, what: str) -> int:
    if index >= len(content):
        raise DectValueError(f"{what} missing")
    return content[index]


def _exact(content: bytes, size: int, what: str) -> None:
    if len(content) != size:
        raise DectValueError(f"{what} contents must be {size} octets, got {len(content)}")


def _left_aligned(value: int, bits: int) -> bytes:
    size = (bits + 7) // 8
    return (value << (size * 8 - bits)).to_bytes(size, "big")


def _from_left_aligned(data: bytes, bits: int, what: str) -> int:
    if len(data) != (bits + 7) // 8:
        raise DectValueError(f"{what}: {bits} bits need {(bits + 7) // 8} octets, got {len(data)}")
    pad = len(data) * 8 - bits
    word = int.from_bytes(data, "big")
    if word & ((1 << pad) - 1):
        raise DectValueError(f"{what}: unused bits must be 0")
    return word >> pad


@dataclass(frozen=True)
class InfoType(VariableIE):
    """Types of requested or transmitted information (§7.7.20)."""

    identifier: ClassVar[int] = t.VariableIe.INFO_TYPE
    parameters: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.parameters:
            raise DectValueError("INFO-TYPE needs at least one parameter type")
        for p in self.parameters:
            check_field("INFO-TYPE parameter", p, 7)

    def content(self) -> bytes:
        return bytes(
            p | (EXT if i == len(self.parameters) - 1 else 0) for i, p in enumerate(self.parameters)
        )

    @classmethod
    def from_content(cls, content: bytes) -> InfoType:
        return cls(tuple(b & 0x7F for b in content))

    def fields(self) -> dict[str, JsonValue]:
        return {"parameters": [code_name(t.INFO_TYPE, p) for p in self.parameters]}


@dataclass(frozen=True)
class IdentityType(VariableIE):
    """Which identity the FT asks for (§7.7.19)."""

    identifier: ClassVar[int] = t.VariableIe.IDENTITY_TYPE
    group: int
    identity_type: int

    def __post_init__(self) -> None:
        check_field("IDENTITY-TYPE group", self.group, 4)
        check_field("IDENTITY-TYPE type", self.identity_type, 7)

    def content(self) -> bytes:
        return bytes([EXT | self.group, EXT | self.identity_type])

    @classmethod
    def from_content(cls, content: bytes) -> IdentityType:
        _exact(content, 2, "IDENTITY-TYPE")
        return cls(content[0] & 0x0F, content[1] & 0x7F)

    def fields(self) -> dict[str, JsonValue]:
        group = code_name(t.IdentityGroup, self.group)
        if self.group == t.IdentityGroup.PORTABLE:
            kind = code_name(t.PortableIdentityType, self.identity_type)
        elif self.group == t.IdentityGroup.FIXED:
            kind = code_name(t.FixedIdentityType, self.identity_type)
        else:
            kind = code_name(t.NWK_ASSIGNED_IDENTITY_TYPE, self.identity_type)
        return {"group": group, "type": kind}


@dataclass(frozen=True)
class PortableIdentity(VariableIE):
    """IPUI, IPEI or TPUI of the PT (§7.7.30)."""

    identifier: ClassVar[int] = t.VariableIe.PORTABLE_IDENTITY
    identity: Ipui | Ipei | Tpui
    tpui_assignment: int = 0
    """TPUI only: assignment type (0 = TPUI, 1 = TPUI with number assigned)."""

    def __post_init__(self) -> None:
        if not isinstance(self.identity, Ipui | Ipei | Tpui):
            raise DectValueError(
                f"PORTABLE-IDENTITY holds an Ipui, Ipei or Tpui, not {self.identity!r}"
            )
        check_field("PORTABLE-IDENTITY TPUI assignment type", self.tpui_assignment, 4)
        if self.tpui_assignment and not isinstance(self.identity, Tpui):
            raise DectValueError("PORTABLE-IDENTITY assignment type applies to a TPUI only")

    @classmethod
    def of(cls, identity: Ipui | Ipei | Tpui | PortableIdentity) -> PortableIdentity:
        """The element for an identity (or the element itself)."""
        return identity if isinstance(identity, PortableIdentity) else cls(identity)

    @property
    def identity_type(self) -> t.PortableIdentityType:
        if isinstance(self.identity, Ipui):
            return t.PortableIdentityType.IPUI
        if isinstance(self.identity, Ipei):
            return t.PortableIdentityType.IPEI
        return t.PortableIdentityType.TPUI

    def content(self) -> bytes:
        ident = self.identity
        if isinstance(ident, Ipui):
            bits, value = ident.bits, ident.identity_value()
        elif isinstance(ident, Ipei):
            bits, value = PUT_BITS + IPEI_BITS, ident.to_bytes()
        else:
            value = ((self.tpui_assignment << TPUI_BITS) | ident.value).to_bytes(3, "big")
            bits = TPUI_BITS
        return bytes([EXT | self.identity_type, EXT | bits]) + value

    @classmethod
    def from_content(cls, content: bytes) -> PortableIdentity:
        kind, bits = _octet(content, 0, "identity type") & 0x7F, _octet(content, 1, "length") & 0x7F
        value = content[2:]
        if kind == t.PortableIdentityType.IPUI:
            return cls(Ipui.from_identity_value(value, bits))
        if kind == t.PortableIdentityType.IPEI:
            if bits != PUT_BITS + IPEI_BITS:
                raise DectValueError(f"IPEI is 40 bits, got {bits}")
            return cls(Ipei.from_bytes(value))
        if kind == t.PortableIdentityType.TPUI:
            if bits != TPUI_BITS or len(value) != 3:
                raise DectValueError("TPUI is 20 bits in 3 octets")
            word = int.from_bytes(value, "big")
            return cls(Tpui(word & ((1 << TPUI_BITS) - 1)), word >> TPUI_BITS)
        raise DectValueError(f"portable identity type {kind:#x} is reserved")

    def fields(self) -> dict[str, JsonValue]:
        ident = self.identity
        out: dict[str, JsonValue] = {"type": code_name(t.PortableIdentityType, self.identity_type)}
        if isinstance(ident, Ipui):
            out["ipui"] = str(ident)
            if ident.put.name == "N":
                out["ipei"] = str(ident.ipei)
        elif isinstance(ident, Ipei):
            out["ipei"] = str(ident)
        else:
            out["tpui"] = str(ident)
            out["kind"] = ident.kind.value
            out["assignment"] = code_name(t.TPUI_ASSIGNMENT_TYPE, self.tpui_assignment)
        return out


@dataclass(frozen=True)
class FixedIdentity(VariableIE):
    """ARI, ARI + RPN (an RFPI) or PARK (§7.7.18).

    For ARI + RPN the octet-5 bit that §7.7.18 codes "0" carries the RFPI's E bit in the
    wild (V53: a Mitel PP sends 0x902af12c25), so the value is kept as an Rfpi.
    """

    identifier: ClassVar[int] = t.VariableIe.FIXED_IDENTITY
    identity: Ari | Rfpi | Park
    wrs: bool = False
    """ARI + RPN only: the RPN is that of a wireless relay station."""

    def __post_init__(self) -> None:
        if not isinstance(self.identity, Ari | Rfpi | Park):
            raise DectValueError(
                f"FIXED-IDENTITY holds an Ari, Rfpi or Park, not {self.identity!r}"
            )
        if self.wrs and not isinstance(self.identity, Rfpi):
            raise DectValueError("FIXED-IDENTITY WRS applies to ARI + RPN only")

    @classmethod
    def of(cls, identity: Ari | Rfpi | Park | FixedIdentity) -> FixedIdentity:
        """The element for an identity (or the element itself)."""
        return identity if isinstance(identity, FixedIdentity) else cls(identity)

    @property
    def identity_type(self) -> t.FixedIdentityType:
        if isinstance(self.identity, Park):
            return t.FixedIdentityType.PARK
        if isinstance(self.identity, Ari):
            return t.FixedIdentityType.ARI
        return t.FixedIdentityType.ARI_RPN_WRS if self.wrs else t.FixedIdentityType.ARI_RPN

    def content(self) -> bytes:
        ident = self.identity
        if isinstance(ident, Park):
            bits, value = 1 + ident.pli, ident.identity_value()
        elif isinstance(ident, Ari):
            bits, value = 1 + ident.bits, _left_aligned(ident.to_int(), 1 + ident.bits)
        else:
            bits, value = RFPI_BITS, ident.to_bytes()
        return bytes([EXT | self.identity_type, EXT | bits]) + value

    @classmethod
    def from_content(cls, content: bytes) -> FixedIdentity:
        kind, bits = _octet(content, 0, "identity type") & 0x7F, _octet(content, 1, "length") & 0x7F
        value = content[2:]
        if kind == t.FixedIdentityType.PARK:
            return cls(Park.from_identity_value(value, bits))
        if kind == t.FixedIdentityType.ARI:
            word = _from_left_aligned(value, bits, "ARI")
            if word >> (bits - 1):
                raise DectValueError("ARI: the bit before the ARC must be 0")
            return cls(Ari.from_int(word, bits - 1))
        if kind in (t.FixedIdentityType.ARI_RPN, t.FixedIdentityType.ARI_RPN_WRS):
            if bits != RFPI_BITS:
                raise DectValueError(f"ARI + RPN is 40 bits, got {bits}")
            return cls(Rfpi.from_bytes(value), kind == t.FixedIdentityType.ARI_RPN_WRS)
        raise DectValueError(f"fixed identity type {kind:#x} is reserved")

    def fields(self) -> dict[str, JsonValue]:
        ident = self.identity
        out: dict[str, JsonValue] = {"type": code_name(t.FixedIdentityType, self.identity_type)}
        if isinstance(ident, Park):
            out.update(park=str(ident), pli=ident.pli, arc=ident.ari.arc.name)
        elif isinstance(ident, Ari):
            out.update(ari=str(ident), arc=ident.arc.name)
        else:
            out.update(rfpi=str(ident), arc=ident.ari.arc.name, rpn=ident.rpn, e=ident.e)
        return out


@dataclass(frozen=True)
class LocationArea(VariableIE):
    """Location area level and optional extended location information (§7.7.25)."""

    identifier: ClassVar[int] = t.VariableIe.LOCATION_AREA
    level: int
    """How many leading PARI + RPN bits make the location area."""
    li_type: int = t.LOCATION_AREA_LEVEL_ONLY
    extended: bytes = b""
    """Octets 3a..: ELI type and location information, as they came."""

    def __post_init__(self) -> None:
        check_field("LOCATION-AREA level", self.level, 6)
        check_field("LOCATION-AREA LI type", self.li_type, 2)

    def content(self) -> bytes:
        return bytes([self.li_type << 6 | self.level]) + self.extended

    @classmethod
    def from_content(cls, content: bytes) -> LocationArea:
        first = _octet(content, 0, "LOCATION-AREA octet 3")
        return cls(first & 0x3F, first >> 6, content[1:])

    def fields(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {
            "li_type": code_name(t.LOCATION_INFO_TYPE, self.li_type),
            "level": self.level,
        }
        if self.extended:
            out["extended"] = self.extended.hex()
        return out


@dataclass(frozen=True)
class NwkAssignedIdentity(VariableIE):
    """A network assigned identity such as a TMSI (§7.7.28)."""

    identifier: ClassVar[int] = t.VariableIe.NWK_ASSIGNED_IDENTITY
    identity_type: int
    value: int
    bits: int

    def __post_init__(self) -> None:
        check_field("NWK-ASSIGNED-IDENTITY type", self.identity_type, 7)
        check_field("NWK-ASSIGNED-IDENTITY length", self.bits, 7)
        check_field("NWK-ASSIGNED-IDENTITY value", self.value, self.bits)

    def content(self) -> bytes:
        head = bytes([EXT | self.identity_type, EXT | self.bits])
        return head + _left_aligned(self.value, self.bits)

    @classmethod
    def from_content(cls, content: bytes) -> NwkAssignedIdentity:
        kind, bits = _octet(content, 0, "identity type") & 0x7F, _octet(content, 1, "length") & 0x7F
        return cls(kind, _from_left_aligned(content[2:], bits, "NWK assigned identity"), bits)

    def fields(self) -> dict[str, JsonValue]:
        return {
            "type": code_name(t.NWK_ASSIGNED_IDENTITY_TYPE, self.identity_type),
            "value": f"{self.value:x}",
            "bits": self.bits,
        }


@dataclass(frozen=True)
class AuthType(VariableIE):
    """Authentication algorithm, key and what to do with the derived cipher key (§7.7.4)."""

    identifier: ClassVar[int] = t.VariableIe.AUTH_TYPE
    algorithm: int
    key_type: int
    key_number: int
    cipher_key_number: int = 0
    inc: bool = False
    """Increment the ZAP field."""
    default: bool = False
    """DEF: the derived key becomes the default cipher key under default_cipher_key_index."""
    txc: bool = False
    """Send the derived cipher key back in the AUTHENTICATION-REPLY."""
    upc: bool = False
    """Store the derived cipher key under cipher_key_number."""
    proprietary_algorithm: int | None = None
    default_cipher_key_index: int | None = None
    default_cipher_key_algorithm: int | None = None
    """Octet 5c: 0 DSC, 1 DSC2; None when the octet is absent (meaning DSC)."""

    def __post_init__(self) -> None:
        check_field("AUTH-TYPE algorithm", self.algorithm, 8)
        check_field("AUTH-TYPE key type", self.key_type, 4)
        check_field("AUTH-TYPE key number", self.key_number, 4)
        check_field("AUTH-TYPE cipher key number", self.cipher_key_number, 4)
        if (self.proprietary_algorithm is not None) != (
            self.algorithm == t.AuthAlgorithm.PROPRIETARY
        ):
            raise DectValueError(
                "AUTH-TYPE proprietary algorithm octet goes with algorithm 0x7f only"
            )
        if self.proprietary_algorithm is not None:
            check_field("AUTH-TYPE proprietary algorithm", self.proprietary_algorithm, 8)
        if (self.default_cipher_key_index is not None) != self.default:
            raise DectValueError(
                "AUTH-TYPE default cipher key index is sent if and only if DEF is set"
            )
        if self.default_cipher_key_index is not None:
            check_field("AUTH-TYPE default cipher key index", self.default_cipher_key_index, 16)
        if self.default_cipher_key_algorithm is not None:
            if not self.default:
                raise DectValueError("AUTH-TYPE default cipher key algorithm needs DEF set")
            check_field(
                "AUTH-TYPE default cipher key algorithm", self.default_cipher_key_algorithm, 2
            )

    def content(self) -> bytes:
        out = bytearray([self.algorithm])
        if self.proprietary_algorithm is not None:
            out.append(self.proprietary_algorithm)
        out.append(self.key_type << 4 | self.key_number)
        flags = self.inc << 7 | self.default << 6 | self.txc << 5 | self.upc << 4
        out.append(flags | self.cipher_key_number)
        if self.default_cipher_key_index is not None:
            out += self.default_cipher_key_index.to_bytes(2, "big")
        if self.default_cipher_key_algorithm is not None:
            out.append(self.default_cipher_key_algorithm)
        return bytes(out)

    @classmethod
    def from_content(cls, content: bytes) -> AuthType:
        algorithm = _octet(content, 0, "AUTH-TYPE algorithm")
        pos = 1
        proprietary = None
        if algorithm == t.AuthAlgorithm.PROPRIETARY:
            proprietary = _octet(content, pos, "AUTH-TYPE proprietary algorithm")
            pos += 1
        key = _octet(content, pos, "AUTH-TYPE key octet")
        flags = _octet(content, pos + 1, "AUTH-TYPE octet 5")
        rest = content[pos + 2 :]
        default = bool(flags & 0x40)
        index = dck_algorithm = None
        if default:
            if len(rest) not in (2, 3):
                raise DectValueError("AUTH-TYPE with DEF carries a 2-octet index and optional 5c")
            index = int.from_bytes(rest[:2], "big")
            dck_algorithm = rest[2] if len(rest) == 3 else None
        elif rest:
            raise DectValueError("AUTH-TYPE octets after octet 5 need DEF set")
        return cls(
            algorithm,
            key >> 4,
            key & 0xF,
            flags & 0xF,
            bool(flags & 0x80),
            default,
            bool(flags & 0x20),
            bool(flags & 0x10),
            proprietary,
            index,
            dck_algorithm,
        )

    def fields(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {
            "algorithm": code_name(t.AuthAlgorithm, self.algorithm),
            "key_type": code_name(t.AuthKeyType, self.key_type),
            "key_number": self.key_number,
            "inc": self.inc,
            "def": self.default,
            "txc": self.txc,
            "upc": self.upc,
            "cipher_key_number": self.cipher_key_number,
        }
        if self.proprietary_algorithm is not None:
            out["proprietary_algorithm"] = self.proprietary_algorithm
        if self.default_cipher_key_index is not None:
            out["default_cipher_key_index"] = self.default_cipher_key_index
        if self.default_cipher_key_algorithm is not None:
            out["default_cipher_key_algorithm"] = code_name(
                t.DEFAULT_CIPHER_KEY_ALGORITHM, self.default_cipher_key_algorithm
            )
        return out


@dataclass(frozen=True)
class AllocationType(VariableIE):
    """Algorithm and key numbers for key allocation (§7.7.2)."""

    identifier: ClassVar[int] = t.VariableIe.ALLOCATION_TYPE
    algorithm: int
    uak_number: int
    ac_number: int

    def __post_init__(self) -> None:
        check_field("ALLOCATION-TYPE algorithm", self.algorithm, 8)
        check_field("ALLOCATION-TYPE UAK number", self.uak_number, 4)
        check_field("ALLOCATION-TYPE AC number", self.ac_number, 4)

    def content(self) -> bytes:
        return bytes([self.algorithm, self.uak_number << 4 | self.ac_number])

    @classmethod
    def from_content(cls, content: bytes) -> AllocationType:
        _exact(content, 2, "ALLOCATION-TYPE")
        return cls(content[0], content[1] >> 4, content[1] & 0xF)

    def fields(self) -> dict[str, JsonValue]:
        return {
            "algorithm": code_name(t.AuthAlgorithm, self.algorithm),
            "uak_number": self.uak_number,
            "ac_number": self.ac_number,
        }


@dataclass(frozen=True)
class _OctetStringIE(VariableIE):
    """An element whose contents are one number, most significant octet first."""

    value: bytes

    def __post_init__(self) -> None:
        if not 1 <= len(self.value) <= IE_MAX_CONTENT:
            raise DectValueError(
                f"{self.ie_name} value must be 1..255 octets, got {len(self.value)}"
            )

    def content(self) -> bytes:
        return self.value

    @classmethod
    def from_content(cls, content: bytes) -> VariableIE:
        return cls(content)

    def fields(self) -> dict[str, JsonValue]:
        return {"value": self.value.hex()}


@dataclass(frozen=True)
class Rand(_OctetStringIE):
    """RAND_F or RAND_P (§7.7.32); 8 octets for DSAA and DSAA2."""

    identifier: ClassVar[int] = t.VariableIe.RAND


@dataclass(frozen=True)
class Res(_OctetStringIE):
    """RES1 or RES2 (§7.7.35); 4 octets for DSAA and DSAA2."""

    identifier: ClassVar[int] = t.VariableIe.RES


@dataclass(frozen=True)
class Rs(_OctetStringIE):
    """RS, or RS128 with DSAA2 (§7.7.36)."""

    identifier: ClassVar[int] = t.VariableIe.RS


@dataclass(frozen=True)
class CipherInfo(VariableIE):
    """Switch ciphering on or off, with algorithm and key (§7.7.10)."""

    identifier: ClassVar[int] = t.VariableIe.CIPHER_INFO
    enable: bool
    algorithm: int = t.CipherAlgorithm.DSC
    key_type: int = t.CipherKeyType.DERIVED
    key_number: int = 0
    proprietary_algorithm: int | None = None

    def __post_init__(self) -> None:
        check_field("CIPHER-INFO algorithm", self.algorithm, 7)
        check_field("CIPHER-INFO key type", self.key_type, 4)
        check_field("CIPHER-INFO key number", self.key_number, 4)
        if (self.proprietary_algorithm is not None) != (
            self.algorithm == t.CipherAlgorithm.PROPRIETARY
        ):
            raise DectValueError(
                "CIPHER-INFO proprietary algorithm octet goes with algorithm 0x7f only"
            )
        if self.proprietary_algorithm is not None:
            check_field("CIPHER-INFO proprietary algorithm", self.proprietary_algorithm, 8)

    def content(self) -> bytes:
        out = bytearray([self.enable << 7 | self.algorithm])
        if self.proprietary_algorithm is not None:
            out.append(self.proprietary_algorithm)
        out.append(self.key_type << 4 | self.key_number)
        return bytes(out)

    @classmethod
    def from_content(cls, content: bytes) -> CipherInfo:
        first = _octet(content, 0, "CIPHER-INFO octet 3")
        algorithm = first & 0x7F
        proprietary = None
        if algorithm == t.CipherAlgorithm.PROPRIETARY:
            proprietary = _octet(content, 1, "CIPHER-INFO proprietary algorithm")
        key = content[2 if proprietary is not None else 1 :]
        _exact(key, 1, "CIPHER-INFO key")
        return cls(bool(first & 0x80), algorithm, key[0] >> 4, key[0] & 0xF, proprietary)

    def fields(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {
            "enable": self.enable,
            "algorithm": code_name(t.CipherAlgorithm, self.algorithm),
            "key_type": code_name(t.CipherKeyType, self.key_type),
            "key_number": self.key_number,
        }
        if self.proprietary_algorithm is not None:
            out["proprietary_algorithm"] = self.proprietary_algorithm
        return out


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
        first = _octet(content, 0, "FEATURE-ACTIVATE feature")
        if first & EXT:
            _exact(content, 1, "FEATURE-ACTIVATE")
            return cls(first & 0x7F)
        _exact(content, 2, "FEATURE-ACTIVATE")
        return cls(first, content[1] & 0x7F)

    def fields(self) -> dict[str, JsonValue]:
        return {"feature": code_name(t.FEATURE, self.feature), "parameter": self.parameter}


@dataclass(frozen=True)
class Key(VariableIE):
    """A key (DCK, DefCK, CCM) and for DefCKs its index in the last two octets (§7.7.24)."""

    identifier: ClassVar[int] = t.VariableIe.KEY
    key_type: int
    data: bytes = b""

    def __post_init__(self) -> None:
        check_field("KEY type", self.key_type, 8)

    def content(self) -> bytes:
        return bytes([self.key_type]) + self.data

    @classmethod
    def from_content(cls, content: bytes) -> Key:
        return cls(_octet(content, 0, "KEY type"), content[1:])

    def fields(self) -> dict[str, JsonValue]:
        return {"key_type": code_name(t.KeyType, self.key_type), "data": self.data.hex()}


@dataclass(frozen=True)
class RejectReason(VariableIE):
    """Why a request was rejected (§7.7.34)."""

    identifier: ClassVar[int] = t.VariableIe.REJECT_REASON
    code: int

    def __post_init__(self) -> None:
        check_field("REJECT-REASON", self.code, 8)

    def content(self) -> bytes:
        return bytes([self.code])

    @classmethod
    def from_content(cls, content: bytes) -> RejectReason:
        _exact(content, 1, "REJECT-REASON")
        return cls(content[0])

    def fields(self) -> dict[str, JsonValue]:
        return {"code": self.code, "meaning": code_name(t.RejectReasonCode, self.code)}


def _octet_groups(content: bytes) -> tuple[bytes, ...]:
    """Split at every octet with bit 8 set (the end of an octet group, §7.5.1 rule 3)."""
    groups, start = [], 0
    for i, b in enumerate(content):
        if b & EXT:
            groups.append(content[start : i + 1])
            start = i + 1
    if start < len(content):
        groups.append(content[start:])
    return tuple(groups)


@dataclass(frozen=True)
class TerminalCapability(VariableIE):
    """PT capabilities in octet groups 3 (display, tones), 4 (profile indicators), 5, 6 (§7.7.41).

    Kept as the octet groups they came in; the properties read the fields a flow needs.
    """

    identifier: ClassVar[int] = t.VariableIe.TERMINAL_CAPABILITY
    groups: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.groups or any(not g for g in self.groups):
            raise DectValueError("TERMINAL-CAPABILITY needs non-empty octet groups")
        for g in self.groups[:-1]:
            if any(b & EXT for b in g[:-1]) or not g[-1] & EXT:
                raise DectValueError("TERMINAL-CAPABILITY octet group ends at its only bit-8 octet")
        if any(b & EXT for b in self.groups[-1][:-1]):
            raise DectValueError("TERMINAL-CAPABILITY octet group ends at its only bit-8 octet")

    @classmethod
    def build(
        cls,
        display: int,
        tone: int,
        profile_indicators: tuple[int, ...] = (),
        control_codes: int = 0,
        dsaa2: bool = False,
        dsc2: bool = False,
    ) -> TerminalCapability:
        """Octet 3, profile indicators 1..n (7 bits each) and octet 5."""
        check_field("TERMINAL-CAPABILITY display capability", display, 4)
        check_field("TERMINAL-CAPABILITY tone capability", tone, 3)
        check_field("TERMINAL-CAPABILITY control codes", control_codes, 3)
        groups = [bytes([EXT | tone << 4 | display])]
        if profile_indicators:
            for p in profile_indicators:
                check_field("TERMINAL-CAPABILITY profile indicator", p, 7)
            groups.append(bytes(profile_indicators[:-1]) + bytes([EXT | profile_indicators[-1]]))
            flags = dsaa2 * t.TERMINAL_CAP_DSAA2 | dsc2 * t.TERMINAL_CAP_DSC2 | control_codes
            groups.append(bytes([EXT | flags]))
        return cls(tuple(groups))

    def content(self) -> bytes:
        return b"".join(self.groups)

    @classmethod
    def from_content(cls, content: bytes) -> TerminalCapability:
        return cls(_octet_groups(content))

    def _octet(self, group: int, index: int) -> int | None:
        if group < len(self.groups) and index < len(self.groups[group]):
            return self.groups[group][index] & 0x7F
        return None

    @property
    def display_capability(self) -> int | None:
        first = self._octet(0, 0)
        return None if first is None else first & 0x0F

    @property
    def tone_capability(self) -> int | None:
        first = self._octet(0, 0)
        return None if first is None else first >> 4 & 0x7

    @property
    def profile_indicators(self) -> tuple[int, ...]:
        return tuple(b & 0x7F for b in self.groups[1]) if len(self.groups) > 1 else ()

    @property
    def supports_rekeying_early_encryption(self) -> bool:
        """Profile indicator 7 (octet 4f) bit 5: re-keying and early encryption with a DefCK."""
        indicators = self.profile_indicators
        return len(indicators) >= 7 and bool(indicators[6] & t.PROFILE_7_REKEYING_EARLY_ENCRYPTION)

    @property
    def dsaa2_supported(self) -> bool:
        octet5 = self._octet(2, 0)
        return octet5 is not None and bool(octet5 & t.TERMINAL_CAP_DSAA2)

    @property
    def dsc2_supported(self) -> bool:
        octet5 = self._octet(2, 0)
        return octet5 is not None and bool(octet5 & t.TERMINAL_CAP_DSC2)

    def fields(self) -> dict[str, JsonValue]:
        display, tone = self.display_capability, self.tone_capability
        return {
            "display": None if display is None else code_name(t.DISPLAY_CAPABILITY, display),
            "tone": None if tone is None else code_name(t.TONE_CAPABILITY, tone),
            "profile_indicators": [f"{p:02x}" for p in self.profile_indicators],
            "dsaa2": self.dsaa2_supported,
            "dsc2": self.dsc2_supported,
            "rekeying_early_encryption": self.supports_rekeying_early_encryption,
            "groups": [g.hex() for g in self.groups],
        }


@dataclass(frozen=True)
class Duration(VariableIE):
    """Lock and time limits, with a duration for defined time limits (§7.7.13)."""

    identifier: ClassVar[int] = t.VariableIe.DURATION
    lock_limits: int
    time_limits: int
    duration: int | None = None
    """Octet 3a in units of 2**8 (limit 1) or 2**16 (limit 2) multiframes."""

    def __post_init__(self) -> None:
        check_field("DURATION lock limits", self.lock_limits, 3)
        check_field("DURATION time limits", self.time_limits, 4)
        if self.duration is not None:
            check_field("DURATION time duration", self.duration, 8)

    def content(self) -> bytes:
        first = self.lock_limits << 4 | self.time_limits
        if self.duration is None:
            return bytes([EXT | first])
        return bytes([first, self.duration])

    @classmethod
    def from_content(cls, content: bytes) -> Duration:
        first = _octet(content, 0, "DURATION octet 3")
        if first & EXT:
            _exact(content, 1, "DURATION")
            return cls(first >> 4 & 0x7, first & 0xF)
        _exact(content, 2, "DURATION")
        return cls(first >> 4 & 0x7, first & 0xF, content[1])

    def fields(self) -> dict[str, JsonValue]:
        return {
            "lock_limits": code_name(t.LOCK_LIMITS, self.lock_limits),
            "time_limits": code_name(t.TIME_LIMITS, self.time_limits),
            "duration": self.duration,
        }


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
        head = _octet(content, 0, "CALLED-PARTY-NUMBER octet 3")
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
        head = _octet(content, 0, "CALLING-PARTY-NUMBER octet 3")
        number_type, plan = head >> 4 & 0x7, head & 0xF
        if head & EXT:
            return cls(dect_text(content[1:]), number_type, plan)
        second = _octet(content, 1, "CALLING-PARTY-NUMBER octet 3a")
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
        head = _octet(content, 0, "CALLING-PARTY-NAME octet 3")
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


def _discriminated(content: bytes, what: str) -> tuple[int | None, bytes]:
    """Discriminator type octet, EMC if it says so, and what follows (§7.7.45, §7.7.23)."""
    kind = _octet(content, 0, f"{what} discriminator type")
    if kind == t.Discriminator.UNSPECIFIED:
        return None, content[1:]
    if kind == t.Discriminator.EMC:
        if len(content) < 3:
            raise DectValueError(f"{what} EMC missing")
        return int.from_bytes(content[1:3], "big"), content[3:]
    raise DectValueError(f"{what} discriminator type {kind:#04x} is reserved")


def _discriminator(emc: int | None) -> bytes:
    if emc is None:
        return bytes([t.Discriminator.UNSPECIFIED])
    return bytes([t.Discriminator.EMC]) + emc.to_bytes(2, "big")


def _proprietary_fields(emc: int | None, content: ProprietaryContent) -> dict[str, JsonValue]:
    vendor = "unspecified" if emc is None else VENDOR.get(emc, "unknown")
    return {
        "emc": None if emc is None else f"{emc:04x}",
        "vendor": vendor,
        "content": content.to_json(),
    }


@dataclass(frozen=True)
class IwuToIwu(VariableIE):
    """IWU information; user specific contents carry an EMC and vendor data (§7.7.23)."""

    identifier: ClassVar[int] = t.VariableIe.IWU_TO_IWU
    protocol: int
    data: bytes = b""
    """Octets 4..L+2 as they came (for user specific: discriminator type, EMC, contents)."""
    send: bool = True
    """S/R bit: True for transmission, False for rejection of a message."""

    def __post_init__(self) -> None:
        check_field("IWU-TO-IWU protocol discriminator", self.protocol, 6)

    @classmethod
    def user_specific(
        cls, emc: int | None, content: ProprietaryContent, send: bool = True
    ) -> IwuToIwu:
        """Vendor data behind an EMC discriminator (or an unspecified one)."""
        if emc is not None:
            check_field("IWU-TO-IWU EMC", emc, 16)
        return cls(t.IWU_PROTOCOL_USER_SPECIFIC, _discriminator(emc) + content.encode(), send)

    @property
    def proprietary(self) -> tuple[int | None, ProprietaryContent] | None:
        """(EMC, decoded vendor content) for user specific contents, else None."""
        if self.protocol != t.IWU_PROTOCOL_USER_SPECIFIC:
            return None
        try:
            emc, rest = _discriminated(self.data, "IWU-TO-IWU")
        except DectValueError:
            return None
        return emc, decode_content(emc, rest)

    def content(self) -> bytes:
        return bytes([EXT | self.send << 6 | self.protocol]) + self.data

    @classmethod
    def from_content(cls, content: bytes) -> IwuToIwu:
        first = _octet(content, 0, "IWU-TO-IWU octet 3")
        if not first & EXT:
            raise DectValueError("IWU-TO-IWU octet 3 bit 8 is 1")
        return cls(first & 0x3F, content[1:], bool(first & 0x40))

    def fields(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {
            "send": self.send,
            "protocol": code_name(t.IWU_PROTOCOL, self.protocol),
        }
        decoded = self.proprietary
        if decoded is None:
            out["data"] = self.data.hex()
        else:
            out.update(_proprietary_fields(*decoded))
        return out


@dataclass(frozen=True)
class ModelIdentifier(VariableIE):
    """MANIC (an EMC) and MODIC of the PT or FT (§7.7.46); the IMEISV form stays raw."""

    identifier: ClassVar[int] = t.VariableIe.MODEL_IDENTIFIER
    manic: int
    modic: int

    def __post_init__(self) -> None:
        check_field("MODEL-IDENTIFIER MANIC", self.manic, 16)
        check_field("MODEL-IDENTIFIER MODIC", self.modic, 8)

    def content(self) -> bytes:
        return self.manic.to_bytes(2, "big") + bytes([self.modic])

    @classmethod
    def from_content(cls, content: bytes) -> ModelIdentifier:
        _exact(content, 3, "MODEL-IDENTIFIER")
        return cls(int.from_bytes(content[:2], "big"), content[2])

    def fields(self) -> dict[str, JsonValue]:
        return {"manic": f"{self.manic:04x}", "modic": self.modic}


@dataclass(frozen=True)
class EscapeToProprietary(VariableIE):
    """Non-standard information behind an EMC (§7.7.45); vendor formats in dect.nwk.proprietary."""

    identifier: ClassVar[int] = t.VariableIe.ESCAPE_TO_PROPRIETARY
    emc: int | None
    """Equipment manufacturer code; None for the "unspecified" discriminator type."""
    proprietary: ProprietaryContent = RawContent(b"")

    def __post_init__(self) -> None:
        if self.emc is not None:
            check_field("ESCAPE-TO-PROPRIETARY EMC", self.emc, 16)

    def content(self) -> bytes:
        return _discriminator(self.emc) + self.proprietary.encode()

    @classmethod
    def from_content(cls, content: bytes) -> EscapeToProprietary:
        emc, rest = _discriminated(content, "ESCAPE-TO-PROPRIETARY")
        return cls(emc, decode_content(emc, rest))

    def fields(self) -> dict[str, JsonValue]:
        return _proprietary_fields(self.emc, self.proprietary)


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
        head = _octet(content, 0, "CODEC-LIST octet 3")
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


PortableId = Ipui | Ipei | Tpui | PortableIdentity
"""What a builder accepts where a PORTABLE-IDENTITY goes."""
FixedId = Ari | Rfpi | Park | FixedIdentity
"""What a builder accepts where a FIXED-IDENTITY goes."""

VARIABLE_IES: dict[int, type[VariableIE]] = {
    cls.identifier: cls
    for cls in (
        InfoType,
        IdentityType,
        PortableIdentity,
        FixedIdentity,
        LocationArea,
        NwkAssignedIdentity,
        AuthType,
        AllocationType,
        Rand,
        Res,
        Rs,
        CipherInfo,
        MultiDisplay,
        MultiKeypad,
        FeatureActivate,
        Key,
        RejectReason,
        TerminalCapability,
        Duration,
        CalledPartyNumber,
        CallingPartyNumber,
        CallingPartyName,
        IwuToIwu,
        ModelIdentifier,
        EscapeToProprietary,
        CodecList,
    )
}
DOUBLE_OCTET_IES: dict[int, type[DoubleOctetIE]] = {
    cls.identifier: cls
    for cls in (
        BasicService,
        ReleaseReason,
        Signal,
        TimerRestart,
        TestHookControl,
        SingleDisplay,
        SingleKeypad,
    )
}
SINGLE_OCTET_IES: dict[int, type[SingleOctetIE]] = {
    cls.identifier: cls for cls in (SendingComplete, DelimiterRequest, UseTpui)
}


def _variable(identifier: int, content: bytes, codeset: int) -> IE:
    cls = VARIABLE_IES.get(identifier) if codeset == t.CODESET_0 else None
    if cls is not None and content:
        try:
            ie = cls.from_content(content)
        except DectValueError:
            pass
        else:
            if ie.content() == content:
                return ie
    return RawIE(identifier, content, codeset)


def _double(octets: bytes, codeset: int) -> IE:
    cls = DOUBLE_OCTET_IES.get(octets[0]) if codeset == t.CODESET_0 else None
    if cls is None:
        return RawFixedIE(octets, codeset)
    return cls.from_octet(octets[1])


def _single(octet: int, codeset: int) -> IE:
    if octet & t.REPEAT_INDICATOR_MASK == t.REPEAT_INDICATOR_PREFIX and codeset == t.CODESET_0:
        return RepeatIndicator(octet & 0x0F)
    cls = SINGLE_OCTET_IES.get(octet) if codeset == t.CODESET_0 else None
    return RawFixedIE(bytes([octet]), codeset) if cls is None else cls()


def decode_ies(data: bytes) -> tuple[IE, ...]:
    """Every element of a message body; DectDecodeError if one overruns the data."""
    ies: list[IE] = []
    locked = t.CODESET_0
    next_only: int | None = None
    pos = 0
    while pos < len(data):
        octet = data[pos]
        codeset = locked if next_only is None else next_only
        next_only = None
        if octet & t.FIXED_LENGTH_BIT:
            if octet & t.SHIFT_MASK == t.SHIFT_PREFIX:
                shift = Shift(octet & t.SHIFT_CODESET_MASK, not octet & t.SHIFT_NON_LOCKING)
                if shift.locking:
                    locked = shift.codeset
                else:
                    next_only = shift.codeset
                ies.append(shift)
                pos += 1
            elif octet & t.DOUBLE_OCTET_MASK == t.DOUBLE_OCTET_PREFIX:
                if pos + 2 > len(data):
                    raise DectDecodeError(
                        f"double octet element {octet:#04x} at octet {pos} is cut off"
                    )
                ies.append(_double(data[pos : pos + 2], codeset))
                pos += 2
            else:
                ies.append(_single(octet, codeset))
                pos += 1
            continue
        if pos + 2 > len(data):
            raise DectDecodeError(f"element {octet:#04x} at octet {pos} has no length octet")
        end = pos + 2 + data[pos + 1]
        if end > len(data):
            name = RawIE(octet, b"", codeset).ie_name
            raise DectDecodeError(
                f"{name} at octet {pos} claims {data[pos + 1]} octets, {len(data) - pos - 2} remain"
            )
        ies.append(_variable(octet, data[pos + 2 : end], codeset))
        pos = end
    return tuple(ies)


def encode_ies(ies: tuple[IE, ...] | list[IE]) -> bytes:
    return b"".join(ie.encode() for ie in ies)


def find_ie(ies: tuple[IE, ...] | list[IE], cls: type[_IeT]) -> _IeT | None:
    """The first element of a class, or None."""
    for ie in ies:
        if isinstance(ie, cls):
            return ie
    return None
