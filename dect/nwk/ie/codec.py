"""The codec of an IE list: which class decodes which identifier, codesets, raw fallback.

ETSI EN 300 175-5 §7.5: an element that is unknown, empty, in another codeset or not in the
shape its clause describes is kept as RawIE/RawFixedIE, so a decoded list re-encodes exactly.
"""

from __future__ import annotations

from typing import TypeVar

from dect.errors import DectDecodeError, DectValueError
from dect.nwk import tables as t
from dect.nwk.ie.call import (
    CalledPartyNumber,
    CallingPartyName,
    CallingPartyNumber,
    CodecList,
    FeatureActivate,
    MultiDisplay,
    MultiKeypad,
)
from dect.nwk.ie.core import IE, DoubleOctetIE, RawFixedIE, RawIE, SingleOctetIE, VariableIE
from dect.nwk.ie.fixed import (
    BasicService,
    DelimiterRequest,
    ReleaseReason,
    RepeatIndicator,
    SendingComplete,
    Shift,
    Signal,
    SingleDisplay,
    SingleKeypad,
    TestHookControl,
    TimerRestart,
    UseTpui,
)
from dect.nwk.ie.mobility import (
    Duration,
    FixedIdentity,
    IdentityType,
    InfoType,
    LocationArea,
    ModelIdentifier,
    NwkAssignedIdentity,
    PortableIdentity,
    RejectReason,
    TerminalCapability,
)
from dect.nwk.ie.security import AllocationType, AuthType, CipherInfo, Key, Rand, Res, Rs
from dect.nwk.ie.vendor import EscapeToProprietary, IwuToIwu

_IeT = TypeVar("_IeT", bound=IE)


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
