"""SIP transactions under loss, in virtual time (RFC 3261 §17, RFC 6026).

Nothing here sleeps: the layer is driven through `get_timer`/`handle_timer` from t=0.
"""

from __future__ import annotations

import pytest

from sipdect.sip.message import (
    Headers,
    Peer,
    Request,
    Response,
    SipUri,
    Transport,
    make_response,
    parse_message,
)
from sipdect.sip.transaction import (
    CancelReceived,
    Event,
    Outgoing,
    RequestReceived,
    ResponseReceived,
    State,
    Timer,
    TimerConfig,
    TransactionError,
    TransactionLayer,
    TransactionTerminated,
    TransactionTimeout,
    TransportFailed,
    make_cancel,
)

UDP = Peer(Transport.UDP, "192.0.2.1", 5060)
TCP = Peer(Transport.TCP, "192.0.2.1", 5060)
T1, T2, T4 = 0.5, 4.0, 5.0


def make_request(method: str, branch: str | None = "z9hG4bKtest1", transport: str = "UDP",
                 to_tag: str | None = None, cseq: int = 1) -> Request:
    h = Headers()
    branch_param = f";branch={branch}" if branch is not None else ""
    h.add("Via", f"SIP/2.0/{transport} 192.0.2.9:5060{branch_param}")
    h.add("Max-Forwards", "70")
    h.add("From", "<sip:alice@example.com>;tag=from1")
    h.add("To", "<sip:bob@example.com>" + (f";tag={to_tag}" if to_tag else ""))
    h.add("Call-ID", "call-1@192.0.2.9")
    h.add("CSeq", f"{cseq} {method}")
    h.add("Contact", "<sip:alice@192.0.2.9>")
    return Request(method, SipUri("example.com", "bob"), h)


def events(layer: TransactionLayer) -> list[Event]:
    out = []
    while (e := layer.next_event()) is not None:
        out.append(e)
    return out


def advance(layer: TransactionLayer, until: float) -> list[tuple[float, Outgoing]]:
    """Fire every timer up to `until`; what was sent, with the time it was sent."""
    sent: list[tuple[float, Outgoing]] = []
    while (t := layer.get_timer()) is not None and t <= until:
        layer.handle_timer(t)
        sent += [(t, o) for o in layer.messages_to_send()]
    return sent


def times(sent: list[tuple[float, Outgoing]]) -> list[float]:
    return [t for t, _ in sent]


def wire(out: Outgoing) -> Request | Response:
    """What the peer would parse."""
    return parse_message(out.data)


# -- client non-INVITE ------------------------------------------------------------------------


def test_non_invite_client_retransmits_capped_at_t2_then_times_out() -> None:
    layer = TransactionLayer()
    key = layer.send_request(make_request("OPTIONS"), UDP, 0.0)
    assert len(layer.messages_to_send()) == 1
    sent = advance(layer, 100.0)
    retransmits = [t for t, o in sent]
    # E: T1, 2T1, 4T1, then capped at T2, until F = 64*T1 = 32 s.
    assert retransmits == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert all(o.data == sent[0][1].data for _, o in sent)
    evs = events(layer)
    assert evs == [TransactionTimeout(key, Timer.F, evs[0].request),  # type: ignore[union-attr]
                   TransactionTerminated(key)]
    assert layer.get(key) is None and layer.get_timer() is None


def test_non_invite_client_provisional_then_final() -> None:
    layer = TransactionLayer()
    request = make_request("REGISTER")
    key = layer.send_request(request, UDP, 0.0)
    layer.messages_to_send()
    assert times(advance(layer, 2.0)) == [0.5, 1.5]
    layer.receive(make_response(request, 100), UDP, 2.0)
    assert layer.get(key).state is State.PROCEEDING  # type: ignore[union-attr]
    # In Proceeding E keeps its deadline (3.5), then repeats every T2.
    assert times(advance(layer, 12.0)) == [3.5, 7.5, 11.5]
    ok = make_response(request, 200, to_tag="x")
    layer.receive(ok, UDP, 12.0)
    layer.receive(ok, UDP, 12.1)  # a retransmission: absorbed in Completed
    evs = events(layer)
    assert [type(e) for e in evs] == [ResponseReceived, ResponseReceived]
    assert [e.response.status for e in evs] == [100, 200]  # type: ignore[union-attr]
    assert advance(layer, 16.9) == [] and layer.get(key) is not None
    advance(layer, 17.0)  # Timer K = T4
    assert events(layer) == [TransactionTerminated(key)]


def test_non_invite_client_over_tcp_never_retransmits() -> None:
    layer = TransactionLayer()
    request = make_request("OPTIONS", transport="TCP")
    key = layer.send_request(request, TCP, 0.0)
    layer.messages_to_send()
    assert layer.get_timer() == 32.0  # only Timer F runs
    layer.receive(make_response(request, 200, to_tag="x"), TCP, 1.0)
    # Timer K is zero on a reliable transport: Terminated at once.
    assert [type(e) for e in events(layer)] == [ResponseReceived, TransactionTerminated]
    assert layer.get(key) is None


def test_timer_values_are_configurable() -> None:
    layer = TransactionLayer(TimerConfig(t1=0.1, t2=0.4))
    layer.send_request(make_request("OPTIONS"), UDP, 0.0)
    layer.messages_to_send()
    sent = times(advance(layer, 10.0))
    assert sent[:5] == pytest.approx([0.1, 0.3, 0.7, 1.1, 1.5])
    assert isinstance(events(layer)[0], TransactionTimeout)
    assert max(sent) < 6.4


# -- client INVITE ----------------------------------------------------------------------------


def test_invite_client_retransmits_doubling_then_timer_b() -> None:
    layer = TransactionLayer()
    key = layer.send_request(make_request("INVITE"), UDP, 0.0)
    layer.messages_to_send()
    # Timer A doubles without cap until Timer B = 64*T1.
    assert times(advance(layer, 40.0)) == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    evs = events(layer)
    assert isinstance(evs[0], TransactionTimeout) and evs[0].timer is Timer.B
    assert evs[1] == TransactionTerminated(key)


def test_invite_client_failure_is_acked_by_the_transaction() -> None:
    layer = TransactionLayer()
    invite = make_request("INVITE")
    key = layer.send_request(invite, UDP, 0.0)
    layer.messages_to_send()
    layer.receive(make_response(invite, 180, to_tag="bob1"), UDP, 0.2)
    assert layer.get(key).state is State.PROCEEDING  # type: ignore[union-attr]
    assert advance(layer, 10.0) == []  # no retransmission once a provisional came
    busy = make_response(invite, 486, to_tag="bob1")
    layer.receive(busy, UDP, 10.0)
    (ack_out,) = layer.messages_to_send()
    ack = wire(ack_out)
    assert isinstance(ack, Request) and ack.method == "ACK"
    assert ack.uri == invite.uri and ack.cseq.seq == 1 and ack.cseq.method == "ACK"
    assert ack.headers.get_all("Via") == invite.headers.get_all("Via")  # same branch
    assert ack.to.tag == "bob1" and ack.from_ == invite.from_ and ack.call_id == invite.call_id
    assert [e.response.status for e in events(layer)] == [180, 486]  # type: ignore[union-attr]
    layer.receive(busy, UDP, 11.0)  # retransmitted 486: ACK again, TU not bothered
    assert [o.data for o in layer.messages_to_send()] == [ack_out.data]
    assert events(layer) == []
    advance(layer, 10.0 + 31.9)
    assert layer.get(key) is not None
    advance(layer, 42.0)  # Timer D = 32 s
    assert events(layer) == [TransactionTerminated(key)]


def test_invite_client_2xx_goes_to_accepted_and_passes_retransmissions() -> None:
    layer = TransactionLayer()
    invite = make_request("INVITE")
    key = layer.send_request(invite, UDP, 0.0)
    layer.messages_to_send()
    ok = make_response(invite, 200, to_tag="bob1")
    layer.receive(ok, UDP, 0.2)
    layer.receive(ok, UDP, 0.7)  # the UAS core retransmits its 2xx until our ACK
    assert layer.messages_to_send() == []  # no ACK: the TU sends the ACK for a 2xx
    assert layer.get(key).state is State.ACCEPTED  # type: ignore[union-attr]
    assert [type(e) for e in events(layer)] == [ResponseReceived, ResponseReceived]
    advance(layer, 0.2 + 32.0)  # Timer M = 64*T1
    assert events(layer) == [TransactionTerminated(key)]


def test_invite_client_over_tcp_terminates_right_after_acking() -> None:
    layer = TransactionLayer()
    invite = make_request("INVITE", transport="TCP")
    key = layer.send_request(invite, TCP, 0.0)
    layer.messages_to_send()
    layer.receive(make_response(invite, 404, to_tag="t"), TCP, 0.1)
    assert len(layer.messages_to_send()) == 1
    assert [type(e) for e in events(layer)] == [ResponseReceived, TransactionTerminated]
    assert layer.get(key) is None


def test_cancel_waits_for_a_provisional_response() -> None:
    layer = TransactionLayer()
    invite = make_request("INVITE")
    key = layer.send_request(invite, UDP, 0.0)
    layer.messages_to_send()
    assert layer.cancel(key, 0.1) is None  # §9.1: not before a provisional response
    assert layer.messages_to_send() == []
    layer.receive(make_response(invite, 180, to_tag="b"), UDP, 0.3)
    (out,) = layer.messages_to_send()
    cancel = wire(out)
    assert isinstance(cancel, Request) and cancel.method == "CANCEL"
    assert cancel.cseq.seq == 1 and cancel.uri == invite.uri
    assert cancel.headers.get_all("Via") == invite.headers.get_all("Via")
    assert cancel.to.tag is None and cancel == make_cancel(invite)
    cancel_key = layer.cancel(key, 0.4)  # asking again does not send a second one
    assert cancel_key is not None and layer.messages_to_send() == []
    layer.receive(make_response(cancel, 200, to_tag="b"), UDP, 0.5)
    layer.receive(make_response(invite, 487, to_tag="b"), UDP, 0.6)
    statuses = [(e.transaction.method, e.response.status) for e in events(layer)
                if isinstance(e, ResponseReceived)]
    assert statuses == [("INVITE", 180), ("CANCEL", 200), ("INVITE", 487)]
    assert layer.cancel(key, 0.7) is None  # completed: nothing to cancel


# -- server INVITE ----------------------------------------------------------------------------


def test_invite_server_provisional_and_failure_with_ack_absorption() -> None:
    layer = TransactionLayer()
    invite = make_request("INVITE")
    layer.receive(invite, UDP, 0.0)
    (trying,) = layer.messages_to_send()
    assert wire(trying).status == 100  # type: ignore[union-attr]
    (ev,) = events(layer)
    assert isinstance(ev, RequestReceived) and ev.transaction is not None
    key = ev.transaction
    layer.receive(invite, UDP, 0.3)  # retransmitted INVITE: last provisional again
    assert [o.data for o in layer.messages_to_send()] == [trying.data]
    layer.send_response(make_response(invite, 180, to_tag="b"), 0.4)
    (ringing,) = layer.messages_to_send()
    layer.receive(invite, UDP, 0.5)
    assert [o.data for o in layer.messages_to_send()] == [ringing.data]
    layer.send_response(make_response(invite, 486, to_tag="b"), 1.0)
    (busy,) = layer.messages_to_send()
    # Timer G: T1, 2T1, 4T1, capped at T2.
    sent = advance(layer, 12.0)
    assert times(sent) == [1.5, 2.5, 4.5, 8.5]
    assert all(o.data == busy.data for _, o in sent)
    layer.receive(invite, UDP, 12.1)  # INVITE in Completed: the final again
    assert [o.data for o in layer.messages_to_send()] == [busy.data]
    ack = make_request("ACK", to_tag="b")
    layer.receive(ack, UDP, 12.2)
    assert layer.get(key).state is State.CONFIRMED  # type: ignore[union-attr]
    layer.receive(ack, UDP, 12.3)  # absorbed
    layer.receive(invite, UDP, 12.4)  # absorbed
    assert layer.messages_to_send() == [] and events(layer) == []
    assert advance(layer, 12.2 + 4.9) == []
    advance(layer, 12.2 + 5.0)  # Timer I = T4
    assert events(layer) == [TransactionTerminated(key)]
    with pytest.raises(TransactionError):
        layer.send_response(make_response(invite, 200, to_tag="b"), 20.0)


def test_invite_server_without_ack_times_out_with_timer_h() -> None:
    layer = TransactionLayer()
    invite = make_request("INVITE")
    layer.receive(invite, UDP, 0.0)
    (ev,) = events(layer)
    assert isinstance(ev, RequestReceived) and ev.transaction is not None
    layer.send_response(make_response(invite, 603, to_tag="b"), 0.0, ev.transaction)
    advance(layer, 40.0)
    evs = events(layer)
    assert isinstance(evs[0], TransactionTimeout) and evs[0].timer is Timer.H
    assert evs[1] == TransactionTerminated(ev.transaction)


def test_invite_server_retransmits_2xx_until_the_ack_of_the_dialog() -> None:
    layer = TransactionLayer()
    invite = make_request("INVITE")
    layer.receive(invite, UDP, 0.0)
    (ev,) = events(layer)
    assert isinstance(ev, RequestReceived) and ev.transaction is not None
    key = ev.transaction
    layer.messages_to_send()
    layer.send_response(make_response(invite, 200, to_tag="b"), 1.0)
    (ok,) = layer.messages_to_send()
    assert layer.get(key).state is State.ACCEPTED  # type: ignore[union-attr]
    sent = advance(layer, 10.0)
    assert times(sent) == [1.5, 2.5, 4.5, 8.5] and all(o.data == ok.data for _, o in sent)
    layer.receive(invite, UDP, 9.0)  # RFC 6026: absorbed in Accepted
    assert layer.messages_to_send() == [] and events(layer) == []
    ack = make_request("ACK", branch="z9hG4bKnew-branch-for-2xx-ack", to_tag="b")
    layer.receive(ack, UDP, 9.5)
    (ack_ev,) = events(layer)
    assert isinstance(ack_ev, RequestReceived) and ack_ev.transaction is None
    assert advance(layer, 30.0) == []  # retransmissions stopped
    advance(layer, 33.0)  # Timer L = 64*T1 after the 2xx
    assert events(layer) == [TransactionTerminated(key)]


def test_invite_server_2xx_without_ack_reports_timer_l() -> None:
    layer = TransactionLayer()
    invite = make_request("INVITE")
    layer.receive(invite, UDP, 0.0)
    layer.send_response(make_response(invite, 200, to_tag="b"), 0.0)
    events(layer)
    advance(layer, 40.0)
    evs = events(layer)
    assert isinstance(evs[0], TransactionTimeout) and evs[0].timer is Timer.L


def test_invite_server_over_tcp() -> None:
    layer = TransactionLayer(send_trying=False)
    invite = make_request("INVITE", transport="TCP")
    layer.receive(invite, TCP, 0.0)
    assert layer.messages_to_send() == []  # no automatic 100
    (ev,) = events(layer)
    layer.send_response(make_response(invite, 486, to_tag="b"), 0.0)
    assert len(layer.messages_to_send()) == 1
    assert layer.get_timer() == 32.0  # Timer H only, no G on TCP
    layer.receive(make_request("ACK", transport="TCP", to_tag="b"), TCP, 1.0)
    # Timer I is zero on a reliable transport.
    assert isinstance(ev, RequestReceived) and ev.transaction is not None
    assert events(layer) == [TransactionTerminated(ev.transaction)]


def test_cancel_of_a_pending_invite() -> None:
    layer = TransactionLayer()
    invite = make_request("INVITE")
    layer.receive(invite, UDP, 0.0)
    layer.messages_to_send()
    (ev,) = events(layer)
    cancel = make_cancel(invite)
    layer.receive(cancel, UDP, 1.0)
    (ok,) = layer.messages_to_send()
    answer = wire(ok)
    assert isinstance(answer, Response) and answer.status == 200
    assert answer.cseq.method == "CANCEL"
    (cev,) = events(layer)
    assert isinstance(cev, CancelReceived) and isinstance(ev, RequestReceived)
    assert cev.transaction == ev.transaction
    assert answer.to.tag == cev.to_tag
    layer.send_response(make_response(invite, 487, to_tag=cev.to_tag), 1.1, cev.transaction)
    (terminated,) = layer.messages_to_send()
    assert wire(terminated).status == 487  # type: ignore[union-attr]
    layer.receive(cancel, UDP, 1.2)  # a retransmitted CANCEL gets the same 200
    assert [o.data for o in layer.messages_to_send()] == [ok.data]
    stray = make_cancel(make_request("INVITE", branch="z9hG4bKunknown"))
    layer.receive(stray, UDP, 1.3)
    (nope,) = layer.messages_to_send()
    assert wire(nope).status == 481  # type: ignore[union-attr]


def test_cancel_can_be_left_to_the_tu() -> None:
    layer = TransactionLayer(handle_cancel=False)
    invite = make_request("INVITE")
    layer.receive(invite, UDP, 0.0)
    layer.receive(make_cancel(invite), UDP, 0.1)
    evs = [e for e in events(layer) if isinstance(e, RequestReceived)]
    assert [e.request.method for e in evs] == ["INVITE", "CANCEL"]


# -- server non-INVITE ------------------------------------------------------------------------


def test_non_invite_server() -> None:
    layer = TransactionLayer()
    request = make_request("OPTIONS")
    layer.receive(request, UDP, 0.0)
    (ev,) = events(layer)
    assert isinstance(ev, RequestReceived)
    layer.receive(request, UDP, 0.2)  # Trying: absorbed
    assert layer.messages_to_send() == [] and events(layer) == []
    layer.send_response(make_response(request, 200, to_tag="s"), 0.3)
    (ok,) = layer.messages_to_send()
    # Unstamped, a UDP request is answered at its Via sent-by (§18.2.2).
    assert ok.peer == Peer(Transport.UDP, "192.0.2.9", 5060)
    assert ok.transaction == ev.transaction
    layer.receive(request, UDP, 5.0)  # Completed: the final again
    assert [o.data for o in layer.messages_to_send()] == [ok.data]
    with pytest.raises(TransactionError):
        layer.send_response(make_response(request, 500, to_tag="s"), 6.0)
    assert advance(layer, 32.2) == [] and layer.get(ev.transaction) is not None  # type: ignore[arg-type]
    advance(layer, 32.3)  # Timer J = 64*T1
    assert events(layer) == [TransactionTerminated(ev.transaction)]  # type: ignore[arg-type]


def test_non_invite_server_provisional_is_repeated() -> None:
    layer = TransactionLayer()
    request = make_request("REGISTER")
    layer.receive(request, TCP, 0.0)
    events(layer)
    layer.send_response(make_response(request, 100), 0.1)
    (trying,) = layer.messages_to_send()
    layer.receive(request, TCP, 0.2)
    assert [o.data for o in layer.messages_to_send()] == [trying.data]
    layer.send_response(make_response(request, 200, to_tag="s"), 0.3)
    layer.messages_to_send()
    assert [type(e) for e in events(layer)] == [TransactionTerminated]  # J = 0 on TCP


def test_responses_go_where_via_says() -> None:
    layer = TransactionLayer()
    request = make_request("OPTIONS")
    request.headers.set("Via", "SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKr;rport=40000;"
                        "received=192.0.2.50")
    layer.receive(request, Peer(Transport.UDP, "192.0.2.50", 40000), 0.0)
    layer.send_response(make_response(request, 200, to_tag="x"), 0.0)
    (out,) = layer.messages_to_send()
    assert out.peer == Peer(Transport.UDP, "192.0.2.50", 40000)


# -- matching ---------------------------------------------------------------------------------


def test_rfc2543_requests_match_without_a_branch() -> None:
    layer = TransactionLayer()
    invite = make_request("INVITE", branch=None)
    layer.receive(invite, UDP, 0.0)
    layer.receive(invite, UDP, 0.5)  # retransmission: no second transaction
    (ev,) = events(layer)
    assert isinstance(ev, RequestReceived) and ev.transaction is not None
    assert ev.transaction.branch.startswith("2543|")
    layer.send_response(make_response(invite, 404, to_tag="srv"), 1.0, ev.transaction)
    layer.receive(make_request("ACK", branch=None, to_tag="srv"), UDP, 1.5)
    assert layer.get(ev.transaction).state is State.CONFIRMED  # type: ignore[union-attr]
    other = make_request("INVITE", branch="1234-old-style")
    layer.receive(other, UDP, 2.0)
    assert len(events(layer)) == 1  # a different top Via: a different transaction


def test_responses_match_by_branch_and_method() -> None:
    layer = TransactionLayer()
    a = layer.send_request(make_request("OPTIONS", branch="z9hG4bKaaa"), UDP, 0.0)
    layer.send_request(make_request("OPTIONS", branch="z9hG4bKbbb"), UDP, 0.0)
    layer.receive(make_response(make_request("OPTIONS", branch="z9hG4bKAAA"), 200), UDP, 0.1)
    layer.receive(make_response(make_request("OPTIONS", branch="z9hG4bKzzz"), 200), UDP, 0.1)
    layer.receive(make_response(make_request("BYE", branch="z9hG4bKaaa"), 200), UDP, 0.1)
    evs = [e for e in events(layer) if isinstance(e, ResponseReceived)]
    assert [e.transaction for e in evs] == [a]  # case-insensitive branch; others stray


def test_transaction_user_mistakes_raise() -> None:
    layer = TransactionLayer()
    with pytest.raises(TransactionError):
        layer.send_request(make_request("ACK"), UDP, 0.0)
    with pytest.raises(TransactionError):
        layer.send_request(make_request("OPTIONS", branch="no-cookie"), UDP, 0.0)
    layer.send_request(make_request("OPTIONS"), UDP, 0.0)
    with pytest.raises(TransactionError):
        layer.send_request(make_request("OPTIONS"), UDP, 0.0)
    with pytest.raises(TransactionError):
        layer.send_response(make_response(make_request("OPTIONS", branch="z9hG4bKx"), 200), 0.0)


def test_transport_error_fails_the_transactions_of_that_peer() -> None:
    layer = TransactionLayer()
    key = layer.send_request(make_request("OPTIONS", transport="TCP"), TCP, 0.0)
    other = layer.send_request(make_request("OPTIONS", branch="z9hG4bKo"), UDP, 0.0)
    layer.transport_error(TCP, 0.1)
    assert events(layer) == [TransportFailed(key, TCP), TransactionTerminated(key)]
    assert layer.get(other) is not None


def test_per_host_limit_answers_503() -> None:
    layer = TransactionLayer(max_server_transactions_per_host=2)
    for i in range(3):
        layer.receive(make_request("OPTIONS", branch=f"z9hG4bK{i}"), UDP, 0.0)
    evs = [e for e in events(layer) if isinstance(e, RequestReceived)]
    assert len(evs) == 2
    (refused,) = layer.messages_to_send()
    answer = wire(refused)
    assert answer.status == 503 and answer.headers.get("Retry-After")  # type: ignore[union-attr]
    layer.send_response(make_response(evs[0].request, 200), 0.1, evs[0].transaction)
    advance(layer, 40.0)  # the first one ends: room again
    layer.receive(make_request("OPTIONS", branch="z9hG4bK9"), UDP, 41.0)
    assert any(isinstance(e, RequestReceived) for e in events(layer))
