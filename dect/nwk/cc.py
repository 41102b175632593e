"""Builders for the call control messages of a basic call.

ETSI EN 300 175-5 §6.3.2 (tables 7-15): mandatory elements positional, optional ones keywords,
`extra` for the rest; elements are put in transmission order by messages.order_ies().
"""

from __future__ import annotations

from collections.abc import Iterable

from dect.nwk.ie import (
    IE,
    BasicService,
    CalledPartyNumber,
    CallingPartyName,
    CallingPartyNumber,
    CipherInfo,
    CodecList,
    DelimiterRequest,
    FixedId,
    FixedIdentity,
    MultiDisplay,
    MultiKeypad,
    PortableId,
    PortableIdentity,
    ReleaseReason,
    SendingComplete,
    Signal,
    TerminalCapability,
)
from dect.nwk.messages import (
    NwkMessage,
    as_fixed_identity,
    as_portable_identity,
    as_release_reason,
    compose,
)
from dect.nwk.tables import CcMessageType, ProtocolDiscriminator

_CC = ProtocolDiscriminator.CC


def _signal(code: int | Signal | None) -> Signal | None:
    return Signal(code) if isinstance(code, int) else code


def _display(text: str | MultiDisplay | None) -> MultiDisplay | None:
    return MultiDisplay(text) if isinstance(text, str) else text


def setup(
    portable_identity: PortableId,
    fixed_identity: FixedId,
    basic_service: BasicService | None = None,
    *,
    cipher_info: CipherInfo | None = None,
    display: str | MultiDisplay | None = None,
    keypad: MultiKeypad | None = None,
    signal: int | Signal | None = None,
    terminal_capability: TerminalCapability | None = None,
    calling_party_number: CallingPartyNumber | None = None,
    calling_party_name: CallingPartyName | None = None,
    called_party_number: CalledPartyNumber | None = None,
    sending_complete: bool = False,
    codec_list: CodecList | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """Either side: start a call; basic service defaults to a normal speech call (table 7)."""
    ies: list[IE | None] = [
        PortableIdentity.of(portable_identity),
        FixedIdentity.of(fixed_identity),
    ]
    ies += [basic_service or BasicService(), cipher_info, _display(display), keypad]
    ies += [_signal(signal), terminal_capability, calling_party_number, calling_party_name]
    ies += [called_party_number, SendingComplete() if sending_complete else None, codec_list]
    return compose(_CC, CcMessageType.CC_SETUP, ies, extra, ti, ti_flag)


def setup_ack(
    *,
    portable_identity: PortableId | None = None,
    fixed_identity: FixedId | None = None,
    display: str | MultiDisplay | None = None,
    signal: int | Signal | None = None,
    delimiter_request: bool = False,
    codec_list: CodecList | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """FT -> PT: send more digits (overlap sending) (table 9)."""
    identity = as_portable_identity(portable_identity)
    fixed = as_fixed_identity(fixed_identity)
    ies: list[IE | None] = [identity, fixed, _display(display), _signal(signal)]
    ies += [DelimiterRequest() if delimiter_request else None, codec_list]
    return compose(_CC, CcMessageType.CC_SETUP_ACK, ies, extra, ti, ti_flag)


def call_proc(
    *,
    display: str | MultiDisplay | None = None,
    signal: int | Signal | None = None,
    called_party_number: CalledPartyNumber | None = None,
    codec_list: CodecList | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """FT -> PT: the call is being set up (table 10)."""
    ies: list[IE | None] = [_display(display), _signal(signal), called_party_number, codec_list]
    return compose(_CC, CcMessageType.CC_CALL_PROC, ies, extra, ti, ti_flag)


def alerting(
    *,
    display: str | MultiDisplay | None = None,
    signal: int | Signal | None = None,
    terminal_capability: TerminalCapability | None = None,
    codec_list: CodecList | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """Either side: the called party is being alerted (table 11)."""
    ies: list[IE | None] = [_display(display), _signal(signal), terminal_capability, codec_list]
    return compose(_CC, CcMessageType.CC_ALERTING, ies, extra, ti, ti_flag)


def connect(
    *,
    display: str | MultiDisplay | None = None,
    signal: int | Signal | None = None,
    terminal_capability: TerminalCapability | None = None,
    codec_list: CodecList | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """Either side: the call is answered (table 12)."""
    ies: list[IE | None] = [_display(display), _signal(signal), terminal_capability, codec_list]
    return compose(_CC, CcMessageType.CC_CONNECT, ies, extra, ti, ti_flag)


def connect_ack(
    *,
    display: str | MultiDisplay | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """Either side: CONNECT received (table 13)."""
    return compose(_CC, CcMessageType.CC_CONNECT_ACK, [_display(display)], extra, ti, ti_flag)


def release(
    reason: int | ReleaseReason | None = None,
    *,
    display: str | MultiDisplay | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """Either side: end the call (table 14)."""
    ies: list[IE | None] = [
        as_release_reason(reason),
        _display(display),
    ]
    return compose(_CC, CcMessageType.CC_RELEASE, ies, extra, ti, ti_flag)


def release_com(
    reason: int | ReleaseReason | None = None,
    *,
    display: str | MultiDisplay | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = True,
) -> NwkMessage:
    """Either side: release complete (table 15)."""
    ies: list[IE | None] = [
        as_release_reason(reason),
        _display(display),
    ]
    return compose(_CC, CcMessageType.CC_RELEASE_COM, ies, extra, ti, ti_flag)


def info(
    *,
    display: str | MultiDisplay | None = None,
    keypad: str | MultiKeypad | None = None,
    signal: int | Signal | None = None,
    calling_party_number: CallingPartyNumber | None = None,
    calling_party_name: CallingPartyName | None = None,
    called_party_number: CalledPartyNumber | None = None,
    sending_complete: bool = False,
    codec_list: CodecList | None = None,
    extra: Iterable[IE] = (),
    ti: int = 0,
    ti_flag: bool = False,
) -> NwkMessage:
    """Either side: information during a call: digits, display, tones (table 8)."""
    pad = MultiKeypad(keypad) if isinstance(keypad, str) else keypad
    ies: list[IE | None] = [
        _display(display),
        pad,
        _signal(signal),
        calling_party_number,
        calling_party_name,
    ]
    ies += [called_party_number, SendingComplete() if sending_complete else None, codec_list]
    return compose(_CC, CcMessageType.CC_INFO, ies, extra, ti, ti_flag)
