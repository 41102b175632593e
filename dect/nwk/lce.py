"""Builders for the S-format LCE messages: the answer to a page and its rejection.

ETSI EN 300 175-5 §6.3.7 (tables 64, 65); the page itself ({LCE-REQUEST-PAGE}) is B-format.
"""

from __future__ import annotations

from collections.abc import Iterable

from dect.nwk.ie import (
    IE,
    CipherInfo,
    FixedId,
    NwkAssignedIdentity,
    PortableId,
    PortableIdentity,
    RejectReason,
)
from dect.nwk.messages import NwkMessage, as_fixed_identity, as_reject_reason, compose
from dect.nwk.tables import LceMessageType, ProtocolDiscriminator

_LCE = ProtocolDiscriminator.LCE


def page_response(
    portable_identity: PortableId,
    *,
    fixed_identity: FixedId | None = None,
    nwk_assigned_identity: NwkAssignedIdentity | None = None,
    cipher_info: CipherInfo | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """PT -> FT: I was paged (table 64)."""
    fixed = as_fixed_identity(fixed_identity)
    ies: list[IE | None] = [
        PortableIdentity.of(portable_identity),
        fixed,
        nwk_assigned_identity,
        cipher_info,
    ]
    return compose(_LCE, LceMessageType.LCE_PAGE_RESPONSE, ies, extra, ti, ti_flag)


def page_reject(
    portable_identity: PortableId,
    reject_reason: int | RejectReason | None = None,
    *,
    fixed_identity: FixedId | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """FT -> PT: unwanted page response; the portable identity is the full IPUI (table 65)."""
    fixed = as_fixed_identity(fixed_identity)
    reason = as_reject_reason(reject_reason)
    ies: list[IE | None] = [PortableIdentity.of(portable_identity), fixed, reason]
    return compose(_LCE, LceMessageType.LCE_PAGE_REJECT, ies, extra, ti, ti_flag)
