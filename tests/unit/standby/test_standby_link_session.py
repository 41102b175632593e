"""The standby link's sans-I/O session (omm.standby.link.StandbyLinkSession): the mutual HMAC
handshake, a wrong secret refused, silence, a broken frame, changes and snapshots acked; all in
virtual time with plain bytes between two sessions."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omm.standby import link
from omm.standby.link import (
    HANDSHAKE_S,
    HEARTBEAT_S,
    MAGIC,
    MAX_FRAME,
    SILENCE_S,
    Acked,
    Auth,
    Change,
    ChangeReceived,
    Event,
    Hello,
    LinkClosed,
    LinkState,
    PartnerAuthenticated,
    Role,
    Side,
    SnapshotReceived,
    StandbyLinkSession,
    decode,
    encode,
)
from sipdect.store import StoreOp

SECRET = b"the pair's secret"


def hello(address: str, role: Role = Role.STANDBY, nonce: bytes = bytes(16),
          version: int = 1) -> Hello:
    return Hello("Linux", "9.1SP1", 100.0, address, role, nonce, version)


CLIENT_HELLO = hello("127.0.0.2", Role.ACTIVE, b"c" * 16)
SERVER_HELLO = hello("127.0.0.3", nonce=b"s" * 16)


def pair(client_secret: bytes = SECRET, server_secret: bytes = SECRET,
         frame_limit: int = MAX_FRAME) -> tuple[StandbyLinkSession, StandbyLinkSession]:
    client = StandbyLinkSession(Side.CLIENT, client_secret, CLIENT_HELLO, 0.0,
                                frame_limit=frame_limit)
    server = StandbyLinkSession(Side.SERVER, server_secret, SERVER_HELLO, 0.0)
    return client, server


def pump(a: StandbyLinkSession, b: StandbyLinkSession, now: float = 0.0) -> None:
    """Move bytes both ways until neither has any to send."""
    while True:
        ab, ba = a.data_to_send(), b.data_to_send()
        if not ab and not ba:
            return
        if ab:
            b.receive_data(ab, now)
        if ba:
            a.receive_data(ba, now)


def events(session: StandbyLinkSession) -> list[Event]:
    out = []
    while (event := session.next_event()) is not None:
        out.append(event)
    return out


def up(frame_limit: int = MAX_FRAME) -> tuple[StandbyLinkSession, StandbyLinkSession]:
    client, server = pair(frame_limit=frame_limit)
    pump(client, server)
    events(client), events(server)
    return client, server


def test_both_ends_prove_the_secret_and_learn_each_other() -> None:
    client, server = pair()
    first = client.data_to_send()
    assert first[5:10] == MAGIC  # a Hello first, before anything is known of the peer
    server.receive_data(first, 0.0)
    client.receive_data(server.data_to_send(), 0.0)
    pump(client, server)
    assert events(client) == [PartnerAuthenticated(SERVER_HELLO)]
    assert events(server) == [PartnerAuthenticated(CLIENT_HELLO)]
    assert client.state is server.state is LinkState.UP
    assert server.partner is not None and server.partner.role is Role.ACTIVE
    assert b"the pair's secret" not in first + server.data_to_send()


def test_a_role_change_reaches_the_partner_once_up() -> None:
    client, server = pair()
    client.send_role(Role.STANDBY)  # not up yet: nothing is sent, the Hello told the role
    pump(client, server)
    events(client), events(server)
    assert server.partner_role is CLIENT_HELLO.role
    client.send_role(Role.ACTIVE)
    pump(client, server)
    assert events(server) == [link.PartnerRole(Role.ACTIVE)]
    assert server.partner_role is Role.ACTIVE


def test_a_wrong_secret_is_refused_at_both_ends() -> None:
    client, server = pair(server_secret=b"another secret")
    pump(client, server)
    for session in (client, server):
        assert session.state is LinkState.CLOSED
        closed = events(session)[-1]
        assert isinstance(closed, LinkClosed)
        assert "authentication failed" in closed.reason
        assert not any(isinstance(e, PartnerAuthenticated) for e in events(session))


def test_a_reflected_proof_does_not_authenticate() -> None:
    """A peer that sends back our own Auth (same nonce) is no partner: the side label differs."""
    server = StandbyLinkSession(Side.SERVER, SECRET, hello("127.0.0.3", nonce=b"s" * 16), 0.0)
    mine = server.data_to_send()
    server.receive_data(encode(hello("127.0.0.9", nonce=b"s" * 16)), 0.0)
    own_auth = decode(server.data_to_send())
    assert isinstance(own_auth, Auth) and mine
    server.receive_data(encode(own_auth), 0.0)
    assert server.state is LinkState.CLOSED
    assert "authentication failed" in server.close_reason


def test_another_version_is_refused_with_the_reason() -> None:
    server = StandbyLinkSession(Side.SERVER, SECRET, hello("127.0.0.3"), 0.0)
    server.data_to_send()
    server.receive_data(encode(hello("127.0.0.2", version=9)), 0.0)
    assert b"version 9" in server.data_to_send()
    assert server.state is LinkState.CLOSED


def test_no_partner_within_the_handshake_time_closes() -> None:
    server = StandbyLinkSession(Side.SERVER, SECRET, hello("127.0.0.3"), 0.0)
    assert server.get_timer() == HANDSHAKE_S
    server.handle_timer(HANDSHAKE_S - 0.1)
    assert server.state is LinkState.HANDSHAKE
    server.handle_timer(HANDSHAKE_S)
    assert server.state is LinkState.CLOSED
    assert server.get_timer() is None


def test_pings_keep_the_link_and_silence_closes_it() -> None:
    client, server = up()
    now = 0.0
    while now < 10 * SILENCE_S:  # both ends talk: the link stays
        now = min(client.get_timer() or now, server.get_timer() or now)
        client.handle_timer(now)
        server.handle_timer(now)
        pump(client, server, now)
    assert client.state is server.state is LinkState.UP
    client.handle_timer(now + HEARTBEAT_S)
    client.data_to_send()  # the ping is lost (a cut cable)
    client.handle_timer(now + SILENCE_S)
    assert client.state is LinkState.CLOSED
    assert events(client) == [LinkClosed(f"nothing heard from the partner for {SILENCE_S:g} s")]


def test_a_broken_frame_closes_that_link_with_the_reason() -> None:
    client, server = up()
    server.receive_data(b"\x00\x00\x00\x02\x7f\x00", 1.0)
    closed = events(server)
    assert len(closed) == 1 and isinstance(closed[0], LinkClosed)
    assert "bad frame from the partner" in closed[0].reason
    assert "unknown frame type 0x7f" in closed[0].reason


def test_data_before_authentication_closes() -> None:
    client, server = pair()
    server.receive_data(client.data_to_send() + encode(hello("x")), 0.0)
    assert server.state is LinkState.CLOSED
    assert "unexpected Hello during the handshake" in server.close_reason


def test_a_change_arrives_whole_and_its_ack_comes_back() -> None:
    client, server = up(frame_limit=1000)  # several frames
    ops = [StoreOp("users", n, f'{{"uid":{n}}}') for n in range(1, 200)] + [
        StoreOp("sites", None, None)]
    seq = client.send_change(ops)
    pump(client, server)
    assert events(server) == [ChangeReceived(seq, tuple(ops))]
    server.ack(seq)
    pump(client, server)
    assert events(client) == [Acked(seq)]
    assert client.send_change(ops[:1]) == seq + 1


def test_a_snapshot_arrives_whole_in_either_direction() -> None:
    client, server = up()
    tables = {"users": [(1, "{}"), (2, "{}")], "sites": [], "settings": [("PARK", "{}")]}
    seq = server.send_snapshot(tables.items())
    pump(client, server)
    assert events(client) == [SnapshotReceived(seq, tables)]


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=200))
def test_any_bytes_after_the_handshake_leave_the_session_up_or_closed(data: bytes) -> None:
    client, server = up()
    server.receive_data(data, 1.0)
    assert server.state in (LinkState.UP, LinkState.CLOSED)
    if server.state is LinkState.CLOSED:
        assert isinstance(events(server)[-1], LinkClosed)


def test_a_change_that_never_ends_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(link, "MAX_BATCH_RECORDS", 10)
    client, server = up()
    op = StoreOp("users", 1, "{}")
    server.receive_data(encode(Change(5, (op,) * 6, more=True)), 1.0)
    assert server.state is LinkState.UP
    server.receive_data(encode(Change(5, (op,) * 6, more=True)), 1.0)
    assert "more than 10 records" in server.close_reason


def test_interleaved_changes_close_the_link() -> None:
    client, server = up()
    op = StoreOp("users", 1, "{}")
    server.receive_data(encode(Change(5, (op,), more=True)) + encode(Change(6, (op,))), 1.0)
    assert "CHANGE 6 inside CHANGE 5" in server.close_reason
