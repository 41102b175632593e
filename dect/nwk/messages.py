"""S-format NWK messages: header (PD, TI, message type) and the list of information elements.

ETSI EN 300 175-5 §7.1-§7.4 (figure 3, tables 68-74). B-format messages ({LCE-REQUEST-PAGE},
{CLMS-FIXED}) travel on broadcast channels, not in DLC frames, and are not coded here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar

from dect.errors import DectDecodeError, DectValueError
from dect.nwk import tables as t
from dect.nwk.base import JsonValue, check_field
from dect.nwk.ie import (
    IE,
    FixedId,
    FixedIdentity,
    PortableId,
    PortableIdentity,
    RawIE,
    RejectReason,
    ReleaseReason,
    RepeatIndicator,
    Shift,
    VariableIE,
    decode_ies,
    encode_ies,
    find_ie,
)

_IeT = TypeVar("_IeT", bound=IE)


def message_type_name(pd: t.ProtocolDiscriminator, message_type: int) -> str:
    """The standard's name of a message type, or "UNKNOWN-0x.." for a code its table lacks."""
    table = t.MESSAGE_TYPES[pd]
    if message_type in table._value2member_map_:
        return t.spec_name(table(message_type))
    return f"UNKNOWN-{message_type:#04x}"


@dataclass(frozen=True)
class NwkMessage:
    """One S-format message."""

    pd: t.ProtocolDiscriminator
    """Protocol discriminator: LCE, CC, CISS, MM, CLMS or COMS."""
    message_type: int
    """Message type octet (an IntEnum of dect.nwk.tables or a plain int)."""
    ies: tuple[IE, ...] = ()
    """Information elements in transmission order."""
    ti: int = 0
    """Transaction value 0..6; 7 means the extended value in `tvx`."""
    ti_flag: bool = False
    """F: False from the transaction originator, True from its destination (§7.3)."""
    tvx: int | None = None
    """Extended transaction value (octet 1a), present exactly when ti == 7."""

    def __post_init__(self) -> None:
        if not isinstance(self.pd, t.ProtocolDiscriminator):
            raise DectValueError(
                f"protocol discriminator must be a ProtocolDiscriminator, got {self.pd!r}"
            )
        check_field("message type", self.message_type, 8)
        check_field("transaction value", self.ti, 3)
        if (self.tvx is None) != (self.ti != t.TI_EXTENDED):
            raise DectValueError("extended transaction value goes with transaction value 7 only")
        if self.tvx is not None:
            check_field("extended transaction value", self.tvx, 8)
        if not isinstance(self.ies, tuple) or not all(isinstance(ie, IE) for ie in self.ies):
            raise DectValueError("message elements must be a tuple of IE objects")

    @property
    def type_name(self) -> str:
        """E.g. "ACCESS-RIGHTS-REQUEST", "CC-SETUP"."""
        return message_type_name(self.pd, self.message_type)

    def find(self, cls: type[_IeT]) -> _IeT | None:
        """The first element of a class, or None."""
        return find_ie(self.ies, cls)

    def find_all(self, cls: type[_IeT]) -> list[_IeT]:
        return [ie for ie in self.ies if isinstance(ie, cls)]

    def require(self, cls: type[_IeT]) -> _IeT:
        """The first element of a class; DectValueError naming message and element if absent."""
        ie = self.find(cls)
        if ie is None:
            raise DectValueError(f"{self.type_name} lacks a {cls.__name__} element")
        return ie

    def encode(self) -> bytes:
        first = self.ti_flag << 7 | self.ti << t.TI_VALUE_SHIFT | self.pd
        header = bytes([first]) if self.tvx is None else bytes([first, self.tvx])
        return header + bytes([self.message_type]) + encode_ies(self.ies)

    def to_json(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {
            "pd": self.pd.name,
            "ti": self.ti,
            "ti_flag": self.ti_flag,
        }
        if self.tvx is not None:
            out["tvx"] = self.tvx
        out["message_type"] = self.message_type
        out["type"] = self.type_name
        out["ies"] = [ie.to_json() for ie in self.ies]
        return out

    def describe(self) -> str:
        """One line per element, e.g. for `sipdect decode rfp`."""
        ti = f"{'d' if self.ti_flag else 'o'}{self.ti if self.tvx is None else f'7/{self.tvx}'}"
        lines = [f"{self.pd.name}({ti}) {self.type_name}"]
        lines += [f"  {ie.describe()}" for ie in self.ies]
        return "\n".join(lines)


def _position(ie: IE) -> float:
    if isinstance(ie, VariableIE | RawIE):
        return float(ie.identifier)
    return t.FIXED_IE_POSITION.get(ie.encode()[0], t.LAST_POSITION)


def order_ies(ies: Iterable[IE]) -> tuple[IE, ...]:
    """Elements in transmission order: variable length ones by ascending identifier (§7.5.1),
    fixed length ones where the §6.3 tables put them. A REPEAT-INDICATOR or SEGMENTED-INFO stays
    in front of the element it announces; a list with a SHIFT is left as given.
    """
    given = list(ies)
    if any(isinstance(ie, Shift) for ie in given):
        return tuple(given)
    units: list[list[IE]] = []
    pending: list[IE] = []
    for ie in given:
        pending.append(ie)
        announces = isinstance(ie, RepeatIndicator) or (
            isinstance(ie, VariableIE | RawIE) and ie.identifier == t.VariableIe.SEGMENTED_INFO
        )
        if not announces:
            units.append(pending)
            pending = []
    if pending:
        units.append(pending)
    units.sort(key=lambda unit: _position(unit[-1]))
    return tuple(ie for unit in units for ie in unit)


def decode_message(data: bytes) -> NwkMessage:
    """An S-format message from its octets; DectDecodeError for anything else."""
    if len(data) < 2:
        raise DectDecodeError(f"NWK message needs at least 2 octets, got {len(data)}")
    first = data[0]
    pd_code = first & t.PD_MASK
    if pd_code not in t.ProtocolDiscriminator._value2member_map_:
        raise DectDecodeError(f"invalid PD {pd_code}")
    ti = first >> t.TI_VALUE_SHIFT & t.TI_VALUE_MASK
    pos = 1
    tvx = None
    if ti == t.TI_EXTENDED:
        tvx = data[1]
        pos = 2
        if len(data) < 3:
            raise DectDecodeError("NWK message with extended TI needs at least 3 octets")
    return NwkMessage(
        t.ProtocolDiscriminator(pd_code),
        data[pos],
        decode_ies(data[pos + 1 :]),
        ti,
        bool(first & t.TI_FLAG),
        tvx,
    )


def compose(
    pd: t.ProtocolDiscriminator,
    message_type: IntEnum | int,
    ies: Iterable[IE | None],
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """A message from elements in any order: Nones dropped, `extra` added, then order_ies()."""
    chosen = [ie for ie in ies if ie is not None]
    return NwkMessage(pd, int(message_type), order_ies([*chosen, *extra]), ti, ti_flag)


def repeated(ies: Iterable[IE], prioritized: bool = False) -> list[IE]:
    """A list of the same element, led by a REPEAT-INDICATOR when there is more than one."""
    items = list(ies)
    if len(items) < 2:
        return items
    kind = (
        t.RepeatListType.PRIORITIZED_LIST if prioritized else t.RepeatListType.NON_PRIORITIZED_LIST
    )
    return [RepeatIndicator(kind), *items]


def as_portable_identity(identity: PortableId | None) -> PortableIdentity | None:
    """What a builder was given for a PORTABLE-IDENTITY, as the element; None stays None."""
    return None if identity is None else PortableIdentity.of(identity)


def as_fixed_identity(identity: FixedId | None) -> FixedIdentity | None:
    """What a builder was given for a FIXED-IDENTITY, as the element; None stays None."""
    return None if identity is None else FixedIdentity.of(identity)


def as_reject_reason(code: int | RejectReason | None) -> RejectReason | None:
    return RejectReason(code) if isinstance(code, int) else code


def as_release_reason(code: int | ReleaseReason | None) -> ReleaseReason | None:
    return ReleaseReason(code) if isinstance(code, int) else code
