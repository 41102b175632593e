"""Builders for connection oriented message service messages (COMS).

ETSI EN 300 175-5 §6.3.4: set up a COMS link, carry data (IWU-TO-IWU, ALPHANUMERIC, ...) in
COMS-INFO and acknowledge it, release.
"""

from __future__ import annotations

from dect.nwk.ie import IE, FixedId, FixedIdentity, PortableId, PortableIdentity, ReleaseReason
from dect.nwk.messages import (
    NwkMessage,
    as_release_reason,
    compose,
)
from dect.nwk.tables import ComsMessageType, ProtocolDiscriminator

_COMS = ProtocolDiscriminator.COMS


def setup(
    portable_identity: PortableId,
    fixed_identity: FixedId,
    *ies: IE,
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """Either side: start a COMS transaction (table 30)."""
    ids = [PortableIdentity.of(portable_identity), FixedIdentity.of(fixed_identity)]
    return compose(_COMS, ComsMessageType.COMS_SETUP, ids, ies, ti, ti_flag)


def connect(*ies: IE, ti: int = 0, ti_flag: bool = True) -> NwkMessage:
    """Either side: COMS link accepted (table 33)."""
    return compose(_COMS, ComsMessageType.COMS_CONNECT, [], ies, ti, ti_flag)


def info(*ies: IE, ti: int = 0, ti_flag: bool = False) -> NwkMessage:
    """Either side: data (table 31)."""
    return compose(_COMS, ComsMessageType.COMS_INFO, [], ies, ti, ti_flag)


def ack(*ies: IE, ti: int = 0, ti_flag: bool = True) -> NwkMessage:
    """Either side: COMS-INFO received (table 32)."""
    return compose(_COMS, ComsMessageType.COMS_ACK, [], ies, ti, ti_flag)


def notify(*ies: IE, ti: int = 0, ti_flag: bool = False) -> NwkMessage:
    """Either side: internal protocol information (table 36)."""
    return compose(_COMS, ComsMessageType.COMS_NOTIFY, [], ies, ti, ti_flag)


def release(
    reason: int | ReleaseReason | None = None, *ies: IE, ti: int = 0, ti_flag: bool = False
) -> NwkMessage:
    """Either side: end the COMS transaction (table 34)."""
    first = as_release_reason(reason)
    return compose(_COMS, ComsMessageType.COMS_RELEASE, [first], ies, ti, ti_flag)


def release_com(
    reason: int | ReleaseReason | None = None, *ies: IE, ti: int = 0, ti_flag: bool = True
) -> NwkMessage:
    """Either side: release complete (table 35)."""
    first = as_release_reason(reason)
    return compose(_COMS, ComsMessageType.COMS_RELEASE_COM, [first], ies, ti, ti_flag)
