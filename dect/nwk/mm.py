"""Builders for the MM messages of subscription, location, authentication and ciphering.

ETSI EN 300 175-5 §6.3.6 (tables 38-63b): mandatory elements are positional, optional ones
keywords; `extra` takes anything else (IWU-TO-IWU, ESCAPE-TO-PROPRIETARY, ...). `ti_flag`
(§7.3: False from the side that started the transaction) defaults to False for a message that
opens a procedure and True for an answer; key allocation turns this round for the FT's
AUTHENTICATION-REPLY (EN 300 175-7 Annex K: `05 41`), so pass it explicitly there.
"""

from __future__ import annotations

from collections.abc import Iterable

from dect.identities import Ari, Park, Rfpi
from dect.nwk.ie import (
    IE,
    AllocationType,
    AuthType,
    CipherInfo,
    CodecList,
    Duration,
    FixedId,
    FixedIdentity,
    IdentityType,
    InfoType,
    Key,
    LocationArea,
    ModelIdentifier,
    NwkAssignedIdentity,
    PortableId,
    PortableIdentity,
    Rand,
    RawIE,
    RejectReason,
    Res,
    Rs,
    TerminalCapability,
    UseTpui,
)
from dect.nwk.messages import (
    NwkMessage,
    as_fixed_identity,
    as_portable_identity,
    as_reject_reason,
    compose,
    repeated,
)
from dect.nwk.tables import MmMessageType, ProtocolDiscriminator, VariableIe

_MM = ProtocolDiscriminator.MM


def _rand(value: bytes | Rand | None) -> Rand | None:
    return Rand(value) if isinstance(value, bytes) else value


def _rs(value: bytes | Rs | None) -> Rs | None:
    return Rs(value) if isinstance(value, bytes) else value


def _res(value: bytes | Res | None) -> Res | None:
    return Res(value) if isinstance(value, bytes) else value


def access_rights_request(
    portable_identity: PortableId,
    auth_type: AuthType | None = None,
    *,
    cipher_info: CipherInfo | None = None,
    terminal_capability: TerminalCapability | None = None,
    model_identifier: ModelIdentifier | None = None,
    codec_list: CodecList | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """PT -> FT: please give me access rights (table 40)."""
    ies: list[IE | None] = [
        PortableIdentity.of(portable_identity),
        auth_type,
        cipher_info,
        terminal_capability,
    ]
    ies += [model_identifier, codec_list]
    return compose(_MM, MmMessageType.ACCESS_RIGHTS_REQUEST, ies, extra, ti, ti_flag)


def access_rights_accept(
    portable_identity: PortableId,
    parks: FixedId | Iterable[FixedId],
    *,
    location_area: LocationArea | None = None,
    auth_type: AuthType | None = None,
    cipher_info: CipherInfo | None = None,
    model_identifier: ModelIdentifier | None = None,
    codec_list: CodecList | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """FT -> PT: the access rights, one or more PARKs (table 38)."""
    fixed = [parks] if isinstance(parks, Ari | Rfpi | Park | FixedIdentity) else list(parks)
    ies: list[IE | None] = [PortableIdentity.of(portable_identity)]
    ies += repeated(FixedIdentity.of(p) for p in fixed)
    ies += [location_area, auth_type, cipher_info, model_identifier, codec_list]
    return compose(_MM, MmMessageType.ACCESS_RIGHTS_ACCEPT, ies, extra, ti, ti_flag)


def access_rights_reject(
    reject_reason: int | RejectReason | None = None,
    *,
    duration: Duration | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """FT -> PT: no access rights (table 39)."""
    ies: list[IE | None] = [as_reject_reason(reject_reason), duration]
    return compose(_MM, MmMessageType.ACCESS_RIGHTS_REJECT, ies, extra, ti, ti_flag)


def access_rights_terminate_request(
    portable_identity: PortableId,
    parks: Iterable[FixedId] = (),
    *,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """Either side: erase the access rights (table 43)."""
    ies: list[IE | None] = [PortableIdentity.of(portable_identity)]
    ies += repeated(FixedIdentity.of(p) for p in parks)
    return compose(_MM, MmMessageType.ACCESS_RIGHTS_TERMINATE_REQUEST, ies, extra, ti, ti_flag)


def access_rights_terminate_accept(
    *, extra: Iterable[IE] = (), ti: int = 0, ti_flag: bool = True
) -> NwkMessage:
    """Either side: access rights erased (table 41)."""
    return compose(_MM, MmMessageType.ACCESS_RIGHTS_TERMINATE_ACCEPT, [], extra, ti, ti_flag)


def access_rights_terminate_reject(
    reject_reason: int | RejectReason | None = None,
    *,
    duration: Duration | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """Either side: access rights not erased (table 42)."""
    ies: list[IE | None] = [as_reject_reason(reject_reason), duration]
    return compose(_MM, MmMessageType.ACCESS_RIGHTS_TERMINATE_REJECT, ies, extra, ti, ti_flag)


def key_allocate(
    allocation_type: AllocationType,
    rand: bytes | Rand,
    rs: bytes | Rs,
    *,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """FT -> PT: replace the AC by a UAK; RAND = RAND_F (table 53)."""
    ies: list[IE | None] = [allocation_type, _rand(rand), _rs(rs)]
    return compose(_MM, MmMessageType.KEY_ALLOCATE, ies, extra, ti, ti_flag)


def authentication_request(
    auth_type: AuthType,
    rand: bytes | Rand,
    *,
    res: bytes | Res | None = None,
    rs: bytes | Rs | None = None,
    cipher_info: CipherInfo | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """Either side: authenticate yourself. RS is mandatory FT -> PT with DSAA; RES only in
    key allocation, PT -> FT (table 46)."""
    ies: list[IE | None] = [auth_type, _rand(rand), _res(res), _rs(rs), cipher_info]
    return compose(_MM, MmMessageType.AUTHENTICATION_REQUEST, ies, extra, ti, ti_flag)


def authentication_reply(
    res: bytes | Res,
    *,
    rs: bytes | Rs | None = None,
    rand: bytes | Rand | None = None,
    key: Key | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """Either side: the computed response (table 45)."""
    ies: list[IE | None] = [_rand(rand), _res(res), _rs(rs), key]
    return compose(_MM, MmMessageType.AUTHENTICATION_REPLY, ies, extra, ti, ti_flag)


def authentication_reject(
    reject_reason: int | RejectReason | None = None,
    *,
    auth_types: Iterable[AuthType] = (),
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """Either side: authentication failed or cannot be done (table 44)."""
    ies: list[IE | None] = [
        *repeated(auth_types, prioritized=True),
        as_reject_reason(reject_reason),
    ]
    return compose(_MM, MmMessageType.AUTHENTICATION_REJECT, ies, extra, ti, ti_flag)


def locate_request(
    portable_identity: PortableId,
    *,
    fixed_identity: FixedId | None = None,
    location_area: LocationArea | None = None,
    nwk_assigned_identity: NwkAssignedIdentity | None = None,
    cipher_info: CipherInfo | None = None,
    terminal_capability: TerminalCapability | None = None,
    model_identifier: ModelIdentifier | None = None,
    codec_list: CodecList | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """PT -> FT: location registration or attach (table 56)."""
    fixed = as_fixed_identity(fixed_identity)
    ies: list[IE | None] = [
        PortableIdentity.of(portable_identity),
        fixed,
        location_area,
        nwk_assigned_identity,
    ]
    ies += [cipher_info, terminal_capability, model_identifier, codec_list]
    return compose(_MM, MmMessageType.LOCATE_REQUEST, ies, extra, ti, ti_flag)


def locate_accept(
    portable_identity: PortableId | None,
    location_area: LocationArea,
    *,
    use_tpui: bool = False,
    nwk_assigned_identity: NwkAssignedIdentity | None = None,
    duration: Duration | None = None,
    model_identifier: ModelIdentifier | None = None,
    codec_list: CodecList | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """FT -> PT: registered. The portable identity is the new TPUI; None sends the element
    empty, meaning no new TPUI (table 54, note 1)."""
    identity: IE = (
        RawIE(VariableIe.PORTABLE_IDENTITY)
        if portable_identity is None
        else PortableIdentity.of(portable_identity)
    )
    ies: list[IE | None] = [
        identity,
        location_area,
        UseTpui() if use_tpui else None,
        nwk_assigned_identity,
    ]
    ies += [duration, model_identifier, codec_list]
    return compose(_MM, MmMessageType.LOCATE_ACCEPT, ies, extra, ti, ti_flag)


def locate_reject(
    reject_reason: int | RejectReason | None = None,
    *,
    duration: Duration | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """FT -> PT: location registration failed (table 55)."""
    ies: list[IE | None] = [as_reject_reason(reject_reason), duration]
    return compose(_MM, MmMessageType.LOCATE_REJECT, ies, extra, ti, ti_flag)


def cipher_request(
    cipher_info: CipherInfo, *, extra: Iterable[IE] = (), ti: int = 0, ti_flag: bool = False
) -> NwkMessage:
    """FT -> PT: switch ciphering on or off (table 48)."""
    return compose(_MM, MmMessageType.CIPHER_REQUEST, [cipher_info], extra, ti, ti_flag)


def cipher_suggest(
    cipher_info: CipherInfo, *, extra: Iterable[IE] = (), ti: int = 0, ti_flag: bool = False
) -> NwkMessage:
    """PT -> FT: please switch ciphering (table 49)."""
    return compose(_MM, MmMessageType.CIPHER_SUGGEST, [cipher_info], extra, ti, ti_flag)


def cipher_reject(
    reject_reason: int | RejectReason | None = None,
    *,
    cipher_infos: Iterable[CipherInfo] = (),
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """Either side: the cipher switch cannot be done (table 47)."""
    ies: list[IE | None] = [
        *repeated(cipher_infos, prioritized=True),
        as_reject_reason(reject_reason),
    ]
    return compose(_MM, MmMessageType.CIPHER_REJECT, ies, extra, ti, ti_flag)


def detach(
    portable_identity: PortableId,
    *,
    nwk_assigned_identity: NwkAssignedIdentity | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """PT -> FT: I am switching off (table 50)."""
    ies: list[IE | None] = [PortableIdentity.of(portable_identity), nwk_assigned_identity]
    return compose(_MM, MmMessageType.DETACH, ies, extra, ti, ti_flag)


def identity_request(
    *identity_types: IdentityType, extra: Iterable[IE] = (), ti: int = 0, ti_flag: bool = False
) -> NwkMessage:
    """FT -> PT: send these identities (table 52)."""
    ies: list[IE | None] = [*repeated(identity_types)]
    return compose(_MM, MmMessageType.IDENTITY_REQUEST, ies, extra, ti, ti_flag)


def identity_reply(
    portable_identities: Iterable[PortableId] = (),
    fixed_identities: Iterable[FixedId] = (),
    nwk_assigned_identities: Iterable[NwkAssignedIdentity] = (),
    *,
    model_identifier: ModelIdentifier | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """PT -> FT: the requested identities; none at all means "identity reject" (table 51)."""
    ies: list[IE | None] = [*repeated(PortableIdentity.of(p) for p in portable_identities)]
    ies += repeated(FixedIdentity.of(f) for f in fixed_identities)
    ies += repeated(nwk_assigned_identities)
    ies.append(model_identifier)
    return compose(_MM, MmMessageType.IDENTITY_REPLY, ies, extra, ti, ti_flag)


def temporary_identity_assign(
    portable_identity: PortableId | None = None,
    *,
    location_area: LocationArea | None = None,
    nwk_assigned_identity: NwkAssignedIdentity | None = None,
    duration: Duration | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """FT -> PT: take this TPUI or network assigned identity (table 61)."""
    identity = as_portable_identity(portable_identity)
    ies: list[IE | None] = [identity, location_area, nwk_assigned_identity, duration]
    return compose(_MM, MmMessageType.TEMPORARY_IDENTITY_ASSIGN, ies, extra, ti, ti_flag)


def temporary_identity_assign_ack(
    *, extra: Iterable[IE] = (), ti: int = 0, ti_flag: bool = True
) -> NwkMessage:
    """PT -> FT: identity taken (table 62)."""
    return compose(_MM, MmMessageType.TEMPORARY_IDENTITY_ASSIGN_ACK, [], extra, ti, ti_flag)


def temporary_identity_assign_rej(
    reject_reason: int | RejectReason | None = None,
    *,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """PT -> FT: identity not taken (table 63)."""
    ies: list[IE | None] = [as_reject_reason(reject_reason)]
    return compose(_MM, MmMessageType.TEMPORARY_IDENTITY_ASSIGN_REJ, ies, extra, ti, ti_flag)


def mm_info_request(
    info_type: InfoType,
    *,
    portable_identity: PortableId | None = None,
    fixed_identity: FixedId | None = None,
    key: Key | None = None,
    location_area: LocationArea | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """PT -> FT: request information (table 59)."""
    identity = as_portable_identity(portable_identity)
    fixed = as_fixed_identity(fixed_identity)
    ies: list[IE | None] = [info_type, identity, fixed, key, location_area]
    return compose(_MM, MmMessageType.MM_INFO_REQUEST, ies, extra, ti, ti_flag)


def mm_info_accept(
    info_type: InfoType | None = None,
    *,
    fixed_identity: FixedId | None = None,
    location_area: LocationArea | None = None,
    duration: Duration | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """FT -> PT: the requested information (table 57)."""
    fixed = as_fixed_identity(fixed_identity)
    ies: list[IE | None] = [info_type, fixed, location_area, duration]
    return compose(_MM, MmMessageType.MM_INFO_ACCEPT, ies, extra, ti, ti_flag)


def mm_info_suggest(
    info_type: InfoType,
    *,
    fixed_identity: FixedId | None = None,
    location_area: LocationArea | None = None,
    rs: bytes | Rs | None = None,
    key: Key | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """FT -> PT: information or a suggestion, e.g. to do a location update (table 60)."""
    fixed = as_fixed_identity(fixed_identity)
    ies: list[IE | None] = [info_type, fixed, location_area, _rs(rs), key]
    return compose(_MM, MmMessageType.MM_INFO_SUGGEST, ies, extra, ti, ti_flag)


def mm_info_reject(
    reject_reason: int | RejectReason | None = None,
    *,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """FT -> PT: the requested information cannot be sent (table 58)."""
    ies: list[IE | None] = [as_reject_reason(reject_reason)]
    return compose(_MM, MmMessageType.MM_INFO_REJECT, ies, extra, ti, ti_flag)
