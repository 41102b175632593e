"""OmmLinkConnection and RfpLinkConnection: login, keys, heartbeats and misbehaving peers.

omm-rfp.md §2.1 sequence and §5 timers, in memory with virtual time; the C10-C12 transcripts
of §2.8 are replayed against each end.
"""

from __future__ import annotations

import random as stdlib_random
from collections.abc import Callable
from dataclasses import replace

import pytest
from rfp_link_vectors import (
    C10_AUTH,
    C10_OMM,
    C10_RFP_FIRST,
    C10_RFPA,
    C10_SIGNATURE,
    C11_AUTH,
    C11_OMM,
    C12_AUTH,
    C12_KEY,
    C12_OMM,
    C12_ROOT_HASH,
    MAC,
    V7,
)

from sipdect.link import constants as c
from sipdect.link import crypto
from sipdect.link import events as ev
from sipdect.link.errors import LinkStateError
from sipdect.link.handshake import (
    OmmLinkConnection,
    OmmState,
    RfpCredentials,
    RfpLinkConnection,
    RfpState,
)
from sipdect.link.messages import LinkMessage, split_messages
from sipdect.link.system import (
    Ack,
    Nack,
    SysHeartbeatInterval,
    SysInit,
    SysLed,
    SysLicenseTimer,
    SysOmmControl,
    SysReset,
)

Link = OmmLinkConnection | RfpLinkConnection
KEY_A = bytes(range(64))
KEY_B = bytes(range(1, 65))


def nobody(mac: bytes) -> RfpCredentials | None:
    return None


def rng(seed: int) -> Callable[[int], bytes]:
    return stdlib_random.Random(seed).randbytes


def events(link: Link) -> list[ev.Event]:
    out = []
    while (event := link.next_event()) is not None:
        out.append(event)
    return out


def pump(omm: OmmLinkConnection, rfp: RfpLinkConnection, now: float,
         tamper: Callable[[bytes], bytes] | None = None) -> None:
    """Move bytes both ways until neither has anything to send; closing ends are seen as EOF."""
    while True:
        to_rfp, to_omm = omm.data_to_send(), rfp.data_to_send()
        if to_rfp:
            rfp.receive_data(to_rfp, now)
        if to_omm:
            omm.receive_data(tamper(to_omm) if tamper else to_omm, now)
        if not to_rfp and not to_omm:
            break
    if omm.closed and not rfp.closed:
        rfp.receive_data(b"", now)
    if rfp.closed and not omm.closed:
        omm.receive_data(b"", now)


def run_until(omm: OmmLinkConnection, rfp: RfpLinkConnection, end: float,
              deliver_rfp: bool = True) -> float:
    """Drive both timers in virtual time up to `end`; returns the time reached."""
    now = 0.0
    while True:
        deadlines = [t for t in (omm.get_timer(), rfp.get_timer()) if t is not None]
        if not deadlines or min(deadlines) > end:
            return now
        now = min(deadlines)
        omm.handle_timer(now)
        rfp.handle_timer(now)
        if deliver_rfp:
            pump(omm, rfp, now)
        else:
            rfp.data_to_send()


def make_pair(*, stored: dict[bytes, RfpCredentials], rfp_key: bytes | None, seed: int = 1,
              **rfp_kwargs: object) -> tuple[OmmLinkConnection, RfpLinkConnection]:
    omm = OmmLinkConnection(0.0, lookup_rfp=stored.get, random=rng(seed))
    rfp = RfpLinkConnection(0.0, mac=MAC, key=rfp_key, random=rng(seed + 100),
                            **rfp_kwargs)  # type: ignore[arg-type]
    return omm, rfp


def test_first_enrolment_then_reconnect_with_the_stored_key() -> None:
    stored = {MAC: RfpCredentials(key=None)}
    omm, rfp = make_pair(stored=stored, rfp_key=None)
    pump(omm, rfp, 0.0)
    omm_events, rfp_events = events(omm), events(rfp)
    assigned = omm_events[0]
    assert isinstance(assigned, ev.RfpKeyAssigned) and assigned.mac == MAC
    connected = omm_events[1]
    assert isinstance(connected, ev.RfpConnected)
    assert (connected.mac, connected.hw_type, connected.sw_version, connected.branding) == (
        MAC, c.HardwareType.RFP35, "SIP-DECT 9.2-sipdect", 0)
    assert connected.protocol == c.SOFTRFP_PROTOCOL
    assert rfp_events[:2] == [ev.KeyReceived(assigned.key, re_enrolement=False),
                              ev.LinkEstablished(key_delivered=True)]
    assert rfp.key == assigned.key
    # the burst reached the RFP; it consumed the heartbeat interval and answered the query
    assert rfp_events[2] == ev.MessageReceived(SysOmmControl().to_message())
    assert rfp.heartbeat_interval == c.DEFAULT_HEARTBEAT_INTERVAL
    answer = omm_events[2]
    assert isinstance(answer, ev.MessageReceived)
    license_answer = SysLicenseTimer.from_message(answer.message)
    assert license_answer.grace_minutes == c.DEFAULT_LICENSE_GRACE_MINUTES
    assert (omm.state, rfp.state) == (OmmState.CONNECTED, RfpState.RUNNING)

    # the OMM stores K as RFPA, the RFP keeps K: the next login carries no key message
    stored[MAC] = RfpCredentials(key=crypto.decrypt_rfpa(crypto.encrypt_rfpa(rfp.key, MAC), MAC))
    omm2, rfp2 = make_pair(stored=stored, rfp_key=rfp.key, seed=7)
    auth = omm2.data_to_send()
    rfp2.receive_data(auth, 0.0)
    omm2.receive_data(rfp2.data_to_send(), 0.0)
    plain = omm2.data_to_send()
    assert [m.name for m in split_messages(plain)] == ["ACK"]
    rfp2.receive_data(plain, 0.0)
    pump(omm2, rfp2, 0.0)
    assert [type(e) for e in events(omm2)][:1] == [ev.RfpConnected]
    assert events(rfp2)[0] == ev.LinkEstablished(key_delivered=False)


def test_an_rfp_that_gives_up_before_proving_its_key_is_given_one_again() -> None:
    """The RFP times out after SYS_RFP_AUTH_KEY (a slow start): the OMM stores no key for
    it, so the next login delivers one instead of refusing the RFP for ever."""
    stored = {MAC: RfpCredentials(key=None)}
    omm, rfp = make_pair(stored=stored, rfp_key=None)
    rfp.receive_data(omm.data_to_send(), 0.0)
    omm.receive_data(rfp.data_to_send(), 0.0)
    assert [m.name for m in split_messages(omm.data_to_send())] == ["SYS_RFP_AUTH_KEY", "ACK"]
    omm.receive_data(b"", 1.0)  # the RFP went away before SYS_ENCRYPTION_CONF
    assert not any(isinstance(e, ev.RfpKeyAssigned) for e in events(omm))

    omm2, rfp2 = make_pair(stored=stored, rfp_key=None, seed=3)
    pump(omm2, rfp2, 0.0)
    assigned = [e for e in events(omm2) if isinstance(e, ev.RfpKeyAssigned)]
    assert len(assigned) == 1 and rfp2.key == assigned[0].key
    assert (omm2.state, rfp2.state) == (OmmState.CONNECTED, RfpState.RUNNING)


def test_re_enrolement_delivers_a_wrapped_key() -> None:
    stored = {MAC: RfpCredentials(key=KEY_A, re_enrolement_hash=C12_ROOT_HASH)}
    omm, rfp = make_pair(stored=stored, rfp_key=KEY_B, root_password_hash=C12_ROOT_HASH)
    pump(omm, rfp, 0.0)
    assert events(rfp)[:2] == [ev.KeyReceived(KEY_A, re_enrolement=True),
                               ev.LinkEstablished(key_delivered=True)]
    assert isinstance(events(omm)[0], ev.RfpConnected)


def test_re_enrolement_without_the_root_hash_fails_at_the_rfp() -> None:
    stored = {MAC: RfpCredentials(key=KEY_A, re_enrolement_hash=C12_ROOT_HASH)}
    omm, rfp = make_pair(stored=stored, rfp_key=None)
    pump(omm, rfp, 0.0)
    failed = events(rfp)[-1]
    assert isinstance(failed, ev.LinkFailed) and failed.failure is ev.Failure.NO_KEY
    assert "root password hash" in failed.reason and rfp.closed


def test_heartbeats_in_virtual_time() -> None:
    omm, rfp = make_pair(stored={MAC: RfpCredentials(KEY_A)}, rfp_key=KEY_A)
    pump(omm, rfp, 0.0)
    events(omm), events(rfp)
    run_until(omm, rfp, 600.0)
    beats = [e for e in events(omm) if isinstance(e, ev.HeartbeatReceived)]
    assert len(beats) == 40
    assert [b.uptime_ms for b in beats[:3]] == [15000, 30000, 45000]
    assert not omm.closed and not rfp.closed
    # the OMM shortens the interval; both ends follow
    omm.send(SysHeartbeatInterval(5))
    pump(omm, rfp, 600.0)
    assert rfp.heartbeat_interval == 5 and omm.heartbeat_interval == 5
    run_until(omm, rfp, 630.0)
    assert len([e for e in events(omm) if isinstance(e, ev.HeartbeatReceived)]) >= 5


def test_heartbeat_loss_ends_the_link() -> None:
    omm, rfp = make_pair(stored={MAC: RfpCredentials(KEY_A)}, rfp_key=KEY_A)
    pump(omm, rfp, 0.0)
    run_until(omm, rfp, 100.0)
    events(omm)
    assert omm.get_timer() == 90.0 + 3 * 15  # the last beat came at 90 s
    run_until(omm, rfp, 1000.0, deliver_rfp=False)
    lost = events(omm)
    assert len(lost) == 1 and isinstance(lost[0], ev.LinkLost)
    assert lost[0].reason == (
        "no HEARTBEAT from RFP 0030421b1737 for 45 s (3 intervals of 15 s)"
    )
    assert lost[0].mac == MAC and omm.closed and omm.get_timer() is None


def test_unknown_mac_is_closed_without_a_reply() -> None:
    omm, rfp = make_pair(stored={}, rfp_key=KEY_A)
    auth = omm.data_to_send()
    rfp.receive_data(auth, 0.0)
    omm.receive_data(rfp.data_to_send(), 0.0)
    assert omm.data_to_send() == b"" and omm.closed
    (unknown,) = events(omm)
    assert unknown == ev.UnknownRfp(MAC, c.HardwareType.RFP35, "SIP-DECT 9.2-sipdect",
                                    c.SOFTRFP_PROTOCOL, c.SOFTRFP_CAPABILITIES)
    rfp.receive_data(b"", 0.0)
    (failed,) = events(rfp)
    assert isinstance(failed, ev.LinkFailed) and failed.failure is ev.Failure.REJECTED
    assert "not configured" in failed.reason


def test_bad_signature() -> None:
    def flip_last_byte(data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if data[:2] == b"\x01\x20" else data

    omm, rfp = make_pair(stored={MAC: RfpCredentials(KEY_A)}, rfp_key=KEY_A)
    pump(omm, rfp, 0.0, tamper=flip_last_byte)
    (failed,) = events(omm)
    assert isinstance(failed, ev.LinkFailed) and failed.failure is ev.Failure.SIGNATURE
    assert "not signed" in failed.reason and failed.mac == MAC
    assert isinstance(events(rfp)[-1], ev.LinkFailed)


def test_identity_block_check_is_optional() -> None:
    def zero_block(data: bytes) -> bytes:
        if data[:2] != b"\x01\x20":
            return data
        init = SysInit.decode(data)
        return replace(init, identity_block=bytes(64)).signed(challenge[0]).encode()

    challenge: list[bytes] = []
    for check, expected in ((False, ev.RfpConnected), (True, ev.LinkFailed)):
        omm = OmmLinkConnection(0.0, lookup_rfp={MAC: RfpCredentials(KEY_A)}.get,
                                random=rng(3), check_identity=check)
        rfp = RfpLinkConnection(0.0, mac=MAC, key=KEY_A, random=rng(4))
        challenge[:] = [omm.challenge]
        pump(omm, rfp, 0.0, tamper=zero_block)
        first = events(omm)[0]
        assert isinstance(first, expected)
        if isinstance(first, ev.RfpConnected):
            assert first.branding is None
        else:
            assert first.failure is ev.Failure.IDENTITY


def test_wrong_key_at_the_omm() -> None:
    omm, rfp = make_pair(stored={MAC: RfpCredentials(KEY_A)}, rfp_key=KEY_B)
    pump(omm, rfp, 0.0)
    (failed,) = events(omm)
    assert isinstance(failed, ev.LinkFailed) and failed.failure is ev.Failure.KEY
    assert "another key" in failed.reason
    assert isinstance(events(rfp)[-1], (ev.LinkLost, ev.LinkFailed))


def test_wrong_key_at_the_rfp() -> None:
    omm, good = make_pair(stored={MAC: RfpCredentials(KEY_A)}, rfp_key=KEY_A)
    transcript = bytearray()
    while True:
        to_rfp = omm.data_to_send()
        transcript += to_rfp
        good.receive_data(to_rfp, 0.0)
        to_omm = good.data_to_send()
        if not to_omm:
            break
        omm.receive_data(to_omm, 0.0)
    bad = RfpLinkConnection(0.0, mac=MAC, key=KEY_B, random=rng(9))
    bad.receive_data(bytes(transcript), 0.0)
    failed = events(bad)[-1]
    assert isinstance(failed, ev.LinkFailed) and failed.failure is ev.Failure.KEY
    assert "stored RFP key" in failed.reason


def test_rfp_without_a_key_and_no_key_from_the_omm() -> None:
    omm, rfp = make_pair(stored={MAC: RfpCredentials(KEY_A)}, rfp_key=None)
    pump(omm, rfp, 0.0)
    failed = events(rfp)[0]
    assert isinstance(failed, ev.LinkFailed) and failed.failure is ev.Failure.NO_KEY


def test_nack_of_sys_init() -> None:
    rfp = RfpLinkConnection(0.0, mac=MAC, key=KEY_A, random=rng(1))
    rfp.receive_data(LinkMessage(c.MessageType.SYS_AUTHENTICATE, bytes(32)).encode(), 0.0)
    rfp.receive_data(Nack(c.MessageType.SYS_INIT, 0xFFFF, c.NackReason.WRONG_STATE).encode(), 0.0)
    (failed,) = events(rfp)
    assert isinstance(failed, ev.LinkFailed) and failed.failure is ev.Failure.REJECTED
    assert "WRONG_STATE" in failed.reason


def test_truncated_sys_init_then_eof_or_silence() -> None:
    for end in ("eof", "silence"):
        omm = OmmLinkConnection(0.0, lookup_rfp={MAC: RfpCredentials(KEY_A)}.get, random=rng(2))
        omm.data_to_send()
        omm.receive_data(V7[:100], 1.0)
        assert events(omm) == []
        if end == "eof":
            omm.receive_data(b"", 2.0)
            failure = ev.Failure.PEER_CLOSED
        else:
            assert omm.get_timer() == 10.0
            omm.handle_timer(10.0)
            failure = ev.Failure.TIMEOUT
        (failed,) = events(omm)
        assert isinstance(failed, ev.LinkFailed) and failed.failure is failure
        assert "waiting for SYS_INIT" in failed.reason


def test_random_bytes_instead_of_sys_init() -> None:
    omm = OmmLinkConnection(0.0, lookup_rfp=nobody, random=rng(2))
    omm.receive_data(bytes.fromhex("dead0004"), 0.0)  # rejected on its header alone
    (failed,) = events(omm)
    assert isinstance(failed, ev.LinkFailed) and failed.failure is ev.Failure.PROTOCOL
    assert failed.reason == "UNKNOWN_0xdead is not expected while waiting for SYS_INIT"
    omm.receive_data(b"more", 0.0)  # ignored once closed
    assert events(omm) == [] and omm.get_timer() is None
    huge = OmmLinkConnection(0.0, lookup_rfp=nobody, random=rng(2))
    huge.receive_data(bytes.fromhex("0120ffff"), 0.0)
    (failed,) = events(huge)
    assert isinstance(failed, ev.LinkFailed) and failed.failure is ev.Failure.PROTOCOL
    assert "65535 payload bytes" in failed.reason


def test_malformed_sys_init_length() -> None:
    omm = OmmLinkConnection(0.0, lookup_rfp=nobody, random=rng(2))
    omm.receive_data(bytes.fromhex("01200004") + bytes(4), 0.0)
    (failed,) = events(omm)
    assert isinstance(failed, ev.LinkFailed) and "layouts" in failed.reason


def test_silence() -> None:
    omm = OmmLinkConnection(0.0, lookup_rfp=nobody, random=rng(2), handshake_timeout=5)
    rfp = RfpLinkConnection(0.0, mac=MAC, key=None, random=rng(3))
    omm.handle_timer(4.9)
    rfp.handle_timer(29.9)
    assert events(omm) == events(rfp) == []
    omm.handle_timer(omm.get_timer() or 0)
    rfp.handle_timer(rfp.get_timer() or 0)
    for link, limit in ((omm, "5 s"), (rfp, "30 s")):
        (failed,) = events(link)
        assert isinstance(failed, ev.LinkFailed) and failed.failure is ev.Failure.TIMEOUT
        assert limit in failed.reason


def test_send_rules() -> None:
    omm = OmmLinkConnection(0.0, lookup_rfp=nobody, random=rng(2))
    with pytest.raises(LinkStateError):
        omm.send(SysLed(0, 1))
    omm.close()
    omm.send(SysLed(0, 1))  # dropped silently
    assert omm.data_to_send()[:2] == b"\x01\x2d"  # only the SYS_AUTHENTICATE from before


def test_rfp_reacts_to_led_reset_license_and_forwards_the_rest() -> None:
    omm, rfp = make_pair(stored={MAC: RfpCredentials(KEY_A)}, rfp_key=KEY_A)
    pump(omm, rfp, 0.0)
    events(omm), events(rfp)
    omm.send(SysLed(2, c.LedColour.RED))
    omm.send(SysLicenseTimer(grace_minutes=120))
    omm.send(SysReset(c.ResetType.RESET))
    omm.send(LinkMessage(0x0999, b"\x01\x02"))
    pump(omm, rfp, 1.0)
    assert events(rfp) == [
        ev.LedChanged(2, c.LedColour.RED),
        ev.LicenseTimerSet(120),
        ev.ResetRequested(c.ResetType.RESET),
        ev.MessageReceived(LinkMessage(0x0999, b"\x01\x02")),
    ]
    (ack,) = events(omm)
    assert isinstance(ack, ev.MessageReceived)
    assert Ack.from_message(ack.message) == Ack(c.MessageType.SYS_RESET, 0)
    omm.send(SysLicenseTimer(md5=b"\x11" * 16))
    pump(omm, rfp, 2.0)
    (answer,) = events(omm)
    assert isinstance(answer, ev.MessageReceived)
    assert SysLicenseTimer.from_message(answer.message) == SysLicenseTimer(120, b"\x11" * 16)


def test_firmware_update_messages_in_clear_after_the_ack() -> None:
    rfp = RfpLinkConnection(0.0, mac=MAC, key=KEY_A, random=rng(1))
    rfp.receive_data(LinkMessage(c.MessageType.SYS_AUTHENTICATE, bytes(32)).encode(), 0.0)
    clear = Ack.for_sys_init().encode() + SysOmmControl().encode() + SysReset(
        c.ResetType.CHECK_IMAGE_WITH_REBOOT).encode()
    rfp.receive_data(clear, 0.0)
    assert events(rfp) == [
        ev.LinkEstablished(False),
        ev.MessageReceived(SysOmmControl().to_message()),
        ev.ResetRequested(c.ResetType.CHECK_IMAGE_WITH_REBOOT),
    ]


def test_peer_close_after_connect_is_a_lost_link() -> None:
    omm, rfp = make_pair(stored={MAC: RfpCredentials(KEY_A)}, rfp_key=KEY_A)
    pump(omm, rfp, 0.0)
    events(omm), events(rfp)
    rfp.close()
    omm.receive_data(b"", 1.0)
    (lost,) = events(omm)
    assert isinstance(lost, ev.LinkLost) and "closed the connection" in lost.reason


# -- the real transcripts of §2.8 --------------------------------------------------------------
V7_FILLER = crypto.IdentityBlock.decrypt(V7[28:92]).filler


def real_rfp(key: bytes | None, **kwargs: object) -> RfpLinkConnection:
    """An RFP43 8.1SP1-FA27 whose random filler is that of the V7 capture."""
    return RfpLinkConnection(
        0.0, mac=MAC, key=key, random=lambda n: V7_FILLER[:n], hw_type=c.HardwareType.RFP43,
        sw_version="SIP-DECT 8.1SP1-FA27", capabilities=0x1EF3C, protocol=0x080201,
        release=0x00080100, **kwargs,  # type: ignore[arg-type]
    )


def omm_stream(pairs: tuple[tuple[str, str], ...]) -> bytes:
    return b"".join(bytes.fromhex(cipher) for cipher, _ in pairs)


EXPECTED_BURST_EVENTS = [
    ev.MessageReceived(LinkMessage.decode(bytes.fromhex("010c000400000000"))),
    ev.MessageReceived(LinkMessage.decode(bytes.fromhex("01010008b8b8200606000000"))),
    ev.MessageReceived(LinkMessage.decode(bytes.fromhex("0123000401000000"))),
]


def test_c10_replayed_against_the_rfp() -> None:
    key = crypto.decrypt_rfpa(C10_RFPA, MAC)
    rfp = real_rfp(key)
    rfp.receive_data(C10_AUTH, 0.0)
    sent = rfp.data_to_send()
    assert sent == V7[:-16] + C10_SIGNATURE  # byte for byte the captured login
    rfp.receive_data(Ack.for_sys_init().encode() + omm_stream(C10_OMM), 0.0)
    got = events(rfp)
    assert got[0] == ev.LinkEstablished(False)
    assert got[1:4] == EXPECTED_BURST_EVENTS
    assert got[4:] == [ev.LedChanged(1, 1), ev.LedChanged(0, 9)]
    assert rfp.heartbeat_interval == 15
    confirm = crypto.LinkDecryptor.for_direction(key, C10_AUTH[4:], c.Direction.RFP_TO_OMM)
    assert confirm.feed(rfp.data_to_send()) == [bytes.fromhex("01260000")]


def test_c10_replayed_against_the_omm() -> None:
    key = crypto.decrypt_rfpa(C10_RFPA, MAC)
    omm = OmmLinkConnection(0.0, lookup_rfp={MAC: RfpCredentials(key)}.get,
                            random=lambda n: C10_AUTH[4 : 4 + n])
    assert omm.data_to_send() == C10_AUTH
    omm.receive_data(V7[:-16] + C10_SIGNATURE, 0.0)
    assert omm.data_to_send() == Ack.for_sys_init().encode()
    omm.receive_data(bytes.fromhex(C10_RFP_FIRST[0]), 0.0)  # the RFP's junk-padded first block
    burst = omm.data_to_send()
    assert burst[:8].hex() == C10_OMM[0][0]  # SYS_OMM_CONTROL, as the real OMM encrypted it
    (connected,) = events(omm)
    assert connected == ev.RfpConnected(MAC, c.HardwareType.RFP43, "SIP-DECT 8.1SP1-FA27",
                                        0x080201, 0x1EF3C, 0)


def test_c11_replayed_against_a_new_rfp() -> None:
    key = crypto.decrypt_rfpa(C10_RFPA, MAC)
    rfp = real_rfp(None)
    rfp.receive_data(C11_AUTH, 0.0)
    rfp.data_to_send()
    auth_key = LinkMessage(c.MessageType.SYS_RFP_AUTH_KEY, key).encode()
    rfp.receive_data(auth_key + Ack.for_sys_init().encode() + omm_stream(C11_OMM), 0.0)
    got = events(rfp)
    assert got[:2] == [ev.KeyReceived(key, False), ev.LinkEstablished(True)]
    assert got[2:5] == EXPECTED_BURST_EVENTS
    assert got[5:] == [ev.LedChanged(1, 3), ev.LedChanged(0, 9)]


def test_c12_replayed_against_a_re_enrolled_rfp() -> None:
    rfp = real_rfp(KEY_B, root_password_hash=C12_ROOT_HASH)
    rfp.receive_data(C12_AUTH, 0.0)
    rfp.data_to_send()
    wrapped = crypto.wrap_rfp_key(C12_KEY, C12_AUTH[4:], C12_ROOT_HASH)
    message = LinkMessage(c.MessageType.SYS_RFP_RE_ENROLEMENT, wrapped).encode()
    rfp.receive_data(message + Ack.for_sys_init().encode() + omm_stream(C12_OMM), 0.0)
    got = events(rfp)
    assert got[:2] == [ev.KeyReceived(C12_KEY, True), ev.LinkEstablished(True)]
    assert got[5:] == [ev.LedChanged(1, 3), ev.LedChanged(0, 9)]
    assert rfp.key == C12_KEY
