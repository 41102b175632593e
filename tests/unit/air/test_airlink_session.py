"""sim.airlink.session: both ends of the air link fed plain bytes in virtual time: the
handshake, the world's clock seen from one machine and from another, heartbeats and silence,
refusals, and junk that closes the one connection (docs/architecture.md "Air link")."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.air import SyncRelation, SyncStatus
from sim.airlink.codec import (
    HEARTBEAT_S,
    SILENCE_S,
    VERSION,
    Hello,
    Ping,
    Pong,
    SiteState,
    SyncUpdate,
    Welcome,
    encode,
)
from sim.airlink.session import (
    AirLinkClientSession,
    AirLinkServerSession,
    ClientEvent,
    ClientState,
    ClockAdjusted,
    HelloReceived,
    LinkClosed,
    PrimitiveReceived,
    ServerEvent,
    ServerState,
    SiteChanged,
    SyncReceived,
    Welcomed,
)
from sim.primitives import AirConnect, AirVoice

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAC = bytes.fromhex("0030421b1737")


def hello(at: float = 100.0, **more: object) -> Hello:
    fields: dict[str, object] = dict(rfp_id=3, mac=MAC, x=10.0, y=0.0, rpn=3, cluster=1,
                                     preferred_sync=False, powered=True, dect_on=False,
                                     connected=False, rfpi=None, sent_at=at)
    fields.update(more)
    return Hello(**fields)  # type: ignore[arg-type]


def client_events(c: AirLinkClientSession) -> list[ClientEvent]:
    out = []
    while (e := c.next_event()) is not None:
        out.append(e)
    return out


def server_events(s: AirLinkServerSession) -> list[ServerEvent]:
    out = []
    while (e := s.next_event()) is not None:
        out.append(e)
    return out


def linked(world_now: float = 100.0005, epoch: float = 50.0
           ) -> tuple[AirLinkClientSession, AirLinkServerSession]:
    """A client whose Hello left at 100.0 and a server that welcomed it at `world_now`
    (its clock); the Welcome arrives at 100.001 on the client's clock."""
    client = AirLinkClientSession(hello(100.0))
    server = AirLinkServerSession(100.0)
    server.receive_data(client.data_to_send(), world_now)
    (event,) = server_events(server)
    assert isinstance(event, HelloReceived) and event.hello == hello(100.0)
    server.accept(epoch, world_now)
    client.receive_data(server.data_to_send(), 100.001)
    return client, server


# -- handshake and clocks ------------------------------------------------------------------------
def test_one_machine_one_clock_the_worlds_epoch_is_taken_as_it_is() -> None:
    client, server = linked(world_now=100.0005)
    assert client_events(client) == [Welcomed(50.0, 0.0)]
    assert client.state is ClientState.UP and client.same_clock
    assert server.state is ServerState.UP


def test_across_machines_the_offset_is_estimated_and_follows_the_pongs() -> None:
    # The world's clock runs 5000 s ahead: read at its 5100.0005, half way through the round
    # trip from our 100.0 to 100.001.
    client, server = linked(world_now=5100.0005, epoch=5000.0)
    (welcomed,) = client_events(client)
    assert isinstance(welcomed, Welcomed) and not client.same_clock
    assert welcomed.offset == pytest.approx(5000.0, abs=1e-9)
    # Two heartbeats later the clocks drifted 2 ms apart: a Pong says so.
    client.handle_timer(100.001 + HEARTBEAT_S)
    ping = client.data_to_send()
    assert ping == encode(Ping(100.001 + HEARTBEAT_S))
    server.receive_data(ping, 5102.0035)
    pong = server.data_to_send()
    assert pong == encode(Pong(100.001 + HEARTBEAT_S, 5102.0035))
    client.receive_data(pong, 100.002 + HEARTBEAT_S)
    (adjusted,) = client_events(client)
    assert isinstance(adjusted, ClockAdjusted)
    # world 5102.0035 at our round trip's middle, 102.0015: 2 ms more than at the Welcome
    assert adjusted.offset == pytest.approx(5000.002, abs=1e-9)


def test_same_clock_pongs_move_nothing() -> None:
    client, server = linked()
    client_events(client)
    client.handle_timer(100.001 + HEARTBEAT_S)
    server.receive_data(client.data_to_send(), 102.0015)
    client.receive_data(server.data_to_send(), 102.002)
    assert client_events(client) == [] and client.offset == 0.0


def test_the_world_refuses_another_version_and_the_client_hears_why() -> None:
    client = AirLinkClientSession(hello(version=9))
    server = AirLinkServerSession(100.0)
    server.receive_data(client.data_to_send(), 100.0)
    assert server.state is ServerState.CLOSED
    (closed,) = server_events(server)
    assert isinstance(closed, LinkClosed) and "version 9" in closed.reason
    client.receive_data(server.data_to_send(), 100.0)
    (event,) = client_events(client)
    assert isinstance(event, LinkClosed) and event.refused
    assert event.reason == f"the world refused: air link version 9; this world speaks {VERSION}"


def test_a_refusal_drops_what_came_after_the_hello() -> None:
    client = AirLinkClientSession(hello())
    client.send(SiteState(True, True, True, None))
    server = AirLinkServerSession(100.0)
    server.receive_data(client.data_to_send(), 100.0)
    assert isinstance(server.next_event(), HelloReceived)
    server.refuse("RFP 3 is on the world's air already")
    assert server_events(server) == [
        LinkClosed("refused: RFP 3 is on the world's air already")]


# -- traffic ---------------------------------------------------------------------------------------
def test_primitives_site_changes_and_sync_cross_in_order() -> None:
    client, server = linked()
    client_events(client)
    voice = AirVoice(0x1234, bytes(80), 7, 3, ciphered=True)
    client.send(voice)
    client.send(SiteState(True, True, True, None))
    server.receive_data(client.data_to_send(), 101.0)
    assert server_events(server) == [PrimitiveReceived(voice),
                                     SiteChanged(SiteState(True, True, True, None))]
    update = SyncUpdate(SyncStatus(True, True, None, 0), (SyncRelation(4, 4, -64.1, True, True),))
    server.send(update)
    server.send(AirConnect(0x1234))
    client.receive_data(server.data_to_send(), 101.0)
    assert client_events(client) == [SyncReceived(update), PrimitiveReceived(AirConnect(0x1234))]


def test_traffic_sent_before_the_welcome_follows_the_hello() -> None:
    client = AirLinkClientSession(hello())
    client.send(SiteState(True, True, True, None))
    server = AirLinkServerSession(100.0)
    server.receive_data(client.data_to_send(), 100.0)
    assert [type(e) for e in server_events(server)] == [HelloReceived, SiteChanged]


@pytest.mark.parametrize("wrong", [Welcome(0, 0, 0), Pong(0, 0), SyncUpdate(
    SyncStatus(False), ())])
def test_the_world_closes_on_what_only_it_may_send(wrong: object) -> None:
    client, server = linked()
    server.receive_data(encode(wrong), 101.0)  # type: ignore[arg-type]
    (event,) = server_events(server)
    assert isinstance(event, LinkClosed) and "on a running air link" in event.reason


@pytest.mark.parametrize("wrong", [hello(), Ping(0), SiteState(True, True, True, None)])
def test_the_rfp_closes_on_what_only_it_may_send(wrong: object) -> None:
    client, server = linked()
    client_events(client)
    client.receive_data(encode(wrong), 101.0)  # type: ignore[arg-type]
    (event,) = client_events(client)
    assert isinstance(event, LinkClosed) and "on a running air link" in event.reason
    assert client.state is ClientState.CLOSED and client.get_timer() is None
    assert not client.send(AirConnect(1))


def test_a_first_frame_that_is_no_hello_closes() -> None:
    server = AirLinkServerSession(0.0)
    server.receive_data(encode(AirConnect(1)), 0.0)
    assert server_events(server) == [LinkClosed("expected HELLO, got AirConnect")]


# -- timers ----------------------------------------------------------------------------------------
def test_a_world_that_never_answers_is_given_up() -> None:
    client = AirLinkClientSession(hello(100.0), handshake_timeout=10.0)
    assert client.get_timer() == 110.0
    client.handle_timer(109.9)
    assert client_events(client) == []
    client.handle_timer(110.0)
    assert client_events(client) == [LinkClosed("the world did not answer the HELLO")]


def test_pings_keep_a_quiet_link_and_silence_ends_it() -> None:
    client, server = linked()
    client_events(client)
    assert client.get_timer() == pytest.approx(100.001 + HEARTBEAT_S)
    assert server.get_timer() == pytest.approx(100.0005 + SILENCE_S)
    now = 100.001
    for _ in range(5):  # ten quiet seconds, kept alive by pings and pongs
        now += HEARTBEAT_S
        client.handle_timer(now)
        server.receive_data(client.data_to_send(), now)
        server.handle_timer(now)
        client.receive_data(server.data_to_send(), now)
    assert client_events(client) == [] and server_events(server) == []
    client.handle_timer(now + SILENCE_S)  # the world went quiet
    (event,) = client_events(client)
    assert event == LinkClosed(f"nothing heard from the world for {SILENCE_S:g} s")
    server.handle_timer(now + SILENCE_S)
    assert server_events(server) == [
        LinkClosed(f"nothing heard from the RFP for {SILENCE_S:g} s")]


def test_a_server_without_a_hello_gives_up() -> None:
    server = AirLinkServerSession(0.0, hello_timeout=10.0)
    server.handle_timer(10.0)
    assert server_events(server) == [LinkClosed("no HELLO came")]


def test_end_of_stream_closes_both_ends() -> None:
    client, server = linked()
    client_events(client)
    client.receive_data(b"", 101.0)
    server.receive_data(b"", 101.0)
    assert client_events(client) == [LinkClosed("the world closed the air link")]
    assert server_events(server) == [LinkClosed("the RFP closed the air link")]


# -- junk ------------------------------------------------------------------------------------------
@FAST
@given(st.lists(st.binary(max_size=120), max_size=6), st.booleans())
def test_junk_never_raises_and_ends_at_most_in_one_close(chunks: list[bytes],
                                                         welcomed: bool) -> None:
    client, server = linked() if welcomed else (AirLinkClientSession(hello()),
                                                AirLinkServerSession(100.0))
    client_events(client)
    server_events(server)
    for chunk in chunks:
        client.receive_data(chunk, 101.0)
        server.receive_data(chunk, 101.0)
    for events in (client_events(client), server_events(server)):
        closes = [e for e in events if isinstance(e, LinkClosed)]
        assert len(closes) <= 1 and (not closes or events[-1] is closes[0])
