"""Builders for call independent supplementary service messages (CISS).

ETSI EN 300 175-5 §6.3.3.1, §6.3.3.8, §6.3.3.9: the elements (FACILITY, ESCAPE-TO-PROPRIETARY,
...) are passed in; CRSS messages (HOLD, RETRIEVE, ...) use PD CC (§7.2 note 2).
"""

from __future__ import annotations

from dect.nwk.ie import IE, PortableId, PortableIdentity, ReleaseReason
from dect.nwk.messages import (
    NwkMessage,
    as_release_reason,
    compose,
)
from dect.nwk.tables import CissMessageType, ProtocolDiscriminator

_CISS = ProtocolDiscriminator.CISS


def register(
    portable_identity: PortableId, *ies: IE, ti: int = 0, ti_flag: bool = False
) -> NwkMessage:
    """PT -> FT or FT -> PT: open a CISS transaction (table 28)."""
    return compose(
        _CISS,
        CissMessageType.CISS_REGISTER,
        [PortableIdentity.of(portable_identity)],
        ies,
        ti,
        ti_flag,
    )


def facility(*ies: IE, ti: int = 0, ti_flag: bool = False) -> NwkMessage:
    """Either side: supplementary service information (table 21)."""
    return compose(_CISS, CissMessageType.FACILITY, [], ies, ti, ti_flag)


def release_com(
    reason: int | ReleaseReason | None = None, *ies: IE, ti: int = 0, ti_flag: bool = True
) -> NwkMessage:
    """Either side: end the CISS transaction (table 29)."""
    first = as_release_reason(reason)
    return compose(_CISS, CissMessageType.CISS_RELEASE_COM, [first], ies, ti, ti_flag)
