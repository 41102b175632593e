"""Information elements of identities, location and access rights.

ETSI EN 300 175-5 §7.7.13, §7.7.18-§7.7.20, §7.7.25, §7.7.28, §7.7.30, §7.7.34, §7.7.41, §7.7.46.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dect.errors import DectValueError
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
    from_left_aligned,
    left_aligned,
)
from dect.nwk import tables as t
from dect.nwk.base import (
    JsonValue,
    check_field,
    code_name,
)
from dect.nwk.ie.core import (
    EXT,
    VariableIE,
    octet_at,
    require_length,
)


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
        require_length(content, 2, "IDENTITY-TYPE")
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
        kind, bits = (
            octet_at(content, 0, "identity type") & 0x7F,
            octet_at(content, 1, "length") & 0x7F,
        )
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
            bits, value = 1 + ident.bits, ident.identity_value()
        else:
            bits, value = RFPI_BITS, ident.to_bytes()
        return bytes([EXT | self.identity_type, EXT | bits]) + value

    @classmethod
    def from_content(cls, content: bytes) -> FixedIdentity:
        kind, bits = (
            octet_at(content, 0, "identity type") & 0x7F,
            octet_at(content, 1, "length") & 0x7F,
        )
        value = content[2:]
        if kind == t.FixedIdentityType.PARK:
            return cls(Park.from_identity_value(value, bits))
        if kind == t.FixedIdentityType.ARI:
            return cls(Ari.from_identity_value(value, bits))
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
        first = octet_at(content, 0, "LOCATION-AREA octet 3")
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
        return head + left_aligned(self.value, self.bits)

    @classmethod
    def from_content(cls, content: bytes) -> NwkAssignedIdentity:
        kind, bits = (
            octet_at(content, 0, "identity type") & 0x7F,
            octet_at(content, 1, "length") & 0x7F,
        )
        return cls(kind, from_left_aligned("NWK assigned identity", content[2:], bits), bits)

    def fields(self) -> dict[str, JsonValue]:
        return {
            "type": code_name(t.NWK_ASSIGNED_IDENTITY_TYPE, self.identity_type),
            "value": f"{self.value:x}",
            "bits": self.bits,
        }


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
        require_length(content, 1, "REJECT-REASON")
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

    def _group_octet(self, group: int, index: int) -> int | None:
        if group < len(self.groups) and index < len(self.groups[group]):
            return self.groups[group][index] & 0x7F
        return None

    @property
    def display_capability(self) -> int | None:
        first = self._group_octet(0, 0)
        return None if first is None else first & 0x0F

    @property
    def tone_capability(self) -> int | None:
        first = self._group_octet(0, 0)
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
        octet5 = self._group_octet(2, 0)
        return octet5 is not None and bool(octet5 & t.TERMINAL_CAP_DSAA2)

    @property
    def dsc2_supported(self) -> bool:
        octet5 = self._group_octet(2, 0)
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
        first = octet_at(content, 0, "DURATION octet 3")
        if first & EXT:
            require_length(content, 1, "DURATION")
            return cls(first >> 4 & 0x7, first & 0xF)
        require_length(content, 2, "DURATION")
        return cls(first >> 4 & 0x7, first & 0xF, content[1])

    def fields(self) -> dict[str, JsonValue]:
        return {
            "lock_limits": code_name(t.LOCK_LIMITS, self.lock_limits),
            "time_limits": code_name(t.TIME_LIMITS, self.time_limits),
            "duration": self.duration,
        }


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
        require_length(content, 3, "MODEL-IDENTIFIER")
        return cls(int.from_bytes(content[:2], "big"), content[2])

    def fields(self) -> dict[str, JsonValue]:
        return {"manic": f"{self.manic:04x}", "modic": self.modic}


PortableId = Ipui | Ipei | Tpui | PortableIdentity
"""What a builder accepts where a PORTABLE-IDENTITY goes."""
FixedId = Ari | Rfpi | Park | FixedIdentity
"""What a builder accepts where a FIXED-IDENTITY goes."""
