"""The sans-I/O AXI session fed plain bytes and explicit times (axi.md §1-2)."""

from __future__ import annotations

from sipdect.axi.codec import Message, parse
from sipdect.axi.errors import AxiError
from sipdect.axi.session import (
    AxiServerSession,
    ConnectionTerminated,
    LinkState,
    RequestReceived,
)


def events(s: AxiServerSession) -> list[object]:
    out = []
    while (e := s.next_event()) is not None:
        out.append(e)
    return out


def test_seq_is_echoed_and_absent_when_the_request_had_none() -> None:
    s = AxiServerSession(0.0)
    s.receive_data(b'<Ping seq="7"/>\0<Ping/>\0', 0.0)
    reqs = [e.request for e in events(s) if isinstance(e, RequestReceived)]
    for r in reqs:
        s.respond(r, Message("PingResp"))
    assert s.frames_to_send() == [b'<PingResp seq="7"/>\0', b"<PingResp/>\0"]


def test_each_message_is_its_own_frame() -> None:
    s = AxiServerSession(0.0)
    s.opened(1, False)
    s.send_event(Message("EventA"))
    s.send_event(Message("EventB"))
    assert len(s.frames_to_send()) == 2


def test_error_response_names_the_bad_attribute() -> None:
    s = AxiServerSession(0.0)
    req = parse(b'<CreatePPUser seq="9"><user hierarchy1="x"/></CreatePPUser>')
    s.respond_error(req, AxiError("ETooLong", None, bad="hierarchy1", max_len=16))
    assert s.frames_to_send() == [
        b'<CreatePPUserResp seq="9" errCode="ETooLong" bad="hierarchy1" maxLen="16"/>\0']


def test_broken_message_with_a_readable_name_gets_einval() -> None:
    s = AxiServerSession(0.0)
    s.receive_data(b'<GetPPUser seq="4" uid=1/>\0', 0.0)
    assert events(s) == []
    (out,) = s.frames_to_send()
    m = parse(out[:-1])
    assert (m.name, m.attrs["seq"], m.attrs["errCode"]) == ("GetPPUserResp", "4", "EInval")
    assert s.state is LinkState.NEW


def test_garbage_terminates_the_session() -> None:
    s = AxiServerSession(0.0)
    s.receive_data(b"\x16\x03\x01\x02\x00garbage\0", 0.0)
    (ev,) = events(s)
    assert isinstance(ev, ConnectionTerminated)
    assert s.state is LinkState.CLOSED


def test_an_endless_message_terminates_the_session() -> None:
    s = AxiServerSession(0.0)
    s.receive_data(b"<Ping " + b"a" * 70_000, 0.0)
    (ev,) = events(s)
    assert isinstance(ev, ConnectionTerminated) and "NUL" in ev.reason


def test_a_client_that_never_logs_in_is_dropped() -> None:
    s = AxiServerSession(0.0, login_timeout=60.0)
    assert s.get_timer() == 60.0
    s.handle_timer(59.0)
    assert events(s) == []
    s.handle_timer(60.0)
    (ev,) = events(s)
    assert isinstance(ev, ConnectionTerminated) and "login" in ev.reason


def test_an_idle_open_session_is_dropped_after_five_minutes() -> None:
    s = AxiServerSession(0.0)
    s.opened(1, False)
    s.receive_data(b"<Ping/>\0", 100.0)
    events(s)
    assert s.get_timer() == 400.0
    s.handle_timer(399.0)
    assert events(s) == []
    s.handle_timer(400.0)
    (ev,) = events(s)
    assert isinstance(ev, ConnectionTerminated) and "idle" in ev.reason


def test_events_are_not_sent_before_login() -> None:
    s = AxiServerSession(0.0)
    s.send_event(Message("EventX"))
    assert s.frames_to_send() == []


def test_requests_after_a_deferred_one_wait_for_its_answer_in_order() -> None:
    s = AxiServerSession(0.0, login_timeout=10.0)
    s.receive_data(b'<Open seq="1" username="omm" password="x"/>\0<Ping seq="2"/>\0'
                   b'<GetPPUser seq="3" uid=1/>\0<Ping seq="4"/>\0', 0.0)
    (first,) = [e.request for e in [s.next_event()] if isinstance(e, RequestReceived)]
    assert first.name == "Open"
    s.defer(first)  # its password is being checked elsewhere
    assert s.next_event() is None and s.frames_to_send() == []  # the EInval waits its turn
    assert s.get_timer() is None  # not timed out for the server's slowness
    s.handle_timer(60.0)
    assert s.next_event() is None
    s.respond(first, Message("OpenResp", {"errCode": "EAuth"}))
    while (e := s.next_event()) is not None:  # each answered before the next, as the edge does
        assert isinstance(e, RequestReceived) and e.request.name == "Ping"
        s.respond(e.request, Message("PingResp"))
    answers = [parse(f[:-1]) for f in s.frames_to_send()]
    assert [(a.name, a.attrs["seq"]) for a in answers] == [
        ("OpenResp", "1"), ("PingResp", "2"), ("GetPPUserResp", "3"), ("PingResp", "4")]
    assert answers[2].attrs["errCode"] == "EInval"
    # Answered (and still not logged in), the link meets its login deadline again.
    assert s.get_timer() == 10.0
    s.handle_timer(60.0)
    (ev,) = events(s)
    assert isinstance(ev, ConnectionTerminated) and "login" in ev.reason


def test_opens_pipelined_behind_a_deferred_one_do_not_outlive_the_login_deadline() -> None:
    s = AxiServerSession(0.0, login_timeout=10.0)
    s.receive_data(b'<Open seq="1" username="omm" password="x"/>\0'
                   b'<Open seq="2" username="omm" password="y"/>\0', 9.0)
    first = s.next_event()
    assert isinstance(first, RequestReceived)
    s.defer(first.request)
    s.respond(first.request, Message("OpenResp", {"errCode": "EAuth"}))  # answered late
    s.handle_timer(11.0)
    (ev,) = events(s)  # the second Open is never served
    assert isinstance(ev, ConnectionTerminated) and "login" in ev.reason
    assert [parse(f[:-1]).attrs["seq"] for f in s.frames_to_send()] == ["1"]
