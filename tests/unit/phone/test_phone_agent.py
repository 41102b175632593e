"""The SIP phone's user agent core (sim.phone.agent) in virtual time, fed plain messages:
REGISTER with digest, refresh before expiry, back-off after failures, 403 as "blocked",
OPTIONS, an incoming call auto-answered, an outgoing call answered (401 on the INVITE),
CANCEL and BYE both ways, un-REGISTER at stop."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sim.phone.agent import PhoneAgent, PhoneError
from sim.phone.config import PhoneConfig
from sim.phone.events import (
    CallConnected,
    CallEnded,
    CallRinging,
    CallState,
    CancelInvite,
    Direction,
    EndReason,
    PhoneEvent,
    RegistrationChanged,
    RegistrationState,
    SendRequest,
    SendResponse,
    SendStateless,
)
from sipdect.media.sdp import SessionDescription
from sipdect.sip.auth import DigestServer
from sipdect.sip.message import (
    Headers,
    Message,
    Peer,
    Request,
    Response,
    SipUri,
    Transport,
    make_response,
    new_branch,
    new_tag,
)
from sipdect.sip.transaction import Outgoing, TransactionLayer

PBX = Peer(Transport.UDP, "192.0.2.1", 5060)
PHONE = Peer(Transport.UDP, "192.0.2.5", 5070)
FAR = Peer(Transport.UDP, "192.0.2.9", 5060)
"""Another phone, calling through the PBX (its requests arrive from the PBX)."""
RTP_PORT = 4000
PASSWORD = "Phone-pw-300"
CONFIG = PhoneConfig("desk", "300", PASSWORD, expires=600, display_name="Desk")
REALM = "pbx.test"

OFFER = (b"v=0\r\no=- 7 7 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
         b"m=audio 5004 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n")


class Net:
    """A PhoneAgent over a bare TransactionLayer in a clock the test moves; the wire is a
    list of what was sent."""

    def __init__(self, config: PhoneConfig = CONFIG) -> None:
        self.layer = TransactionLayer()
        self.agent = PhoneAgent(config, {Transport.UDP: PHONE}, RTP_PORT, (PBX.host, PBX.port))
        self.t = 0.0
        self.wire: list[Outgoing] = []
        self.events: list[PhoneEvent] = []

    def run(self, command: object) -> None:
        assert callable(command)
        command(self.t)
        self.pump()

    def pump(self) -> None:
        while True:
            actions = self.agent.actions()
            for action in actions:
                if isinstance(action, SendRequest):
                    self.layer.send_request(action.request, action.peer, self.t)
                elif isinstance(action, SendResponse):
                    self.layer.send_response(action.response, self.t, action.transaction)
                elif isinstance(action, SendStateless):
                    self.layer.send_stateless(action.message, action.peer)
                elif isinstance(action, CancelInvite):
                    self.layer.cancel(action.transaction, self.t)
            self.wire.extend(self.layer.messages_to_send())
            fed = False
            while (event := self.layer.next_event()) is not None:
                self.agent.handle_event(event, self.t)
                fed = True
            while (phone_event := self.agent.next_event()) is not None:
                self.events.append(phone_event)
            if not actions and not fed:
                return

    def feed(self, message: Message, source: Peer = PBX) -> None:
        self.layer.receive(message, source, self.t)
        self.pump()

    def advance(self, seconds: float) -> None:
        """Move the clock on, firing every deadline on the way in order."""
        end = self.t + seconds
        while True:
            due = [d for d in (self.layer.get_timer(), self.agent.get_timer())
                   if d is not None and d <= end]
            if not due:
                break
            self.t = max(self.t, min(due))
            self.layer.handle_timer(self.t)
            self.agent.handle_timer(self.t)
            self.pump()
        self.t = end
        self.pump()

    def sent(self, method: str) -> list[Request]:
        return [o.message for o in self.wire
                if isinstance(o.message, Request) and o.message.method == method]

    def answers(self, status: int) -> list[Response]:
        return [o.message for o in self.wire
                if isinstance(o.message, Response) and o.message.status == status]

    def take(self) -> list[PhoneEvent]:
        out, self.events = self.events, []
        return out


def registered(net: Net, expires: int = 600) -> Request:
    """Start the phone and let the registrar challenge and accept it; the REGISTER granted."""
    registrar = DigestServer(REALM, algorithms=("MD5",))
    net.run(net.agent.start)
    first = net.sent("REGISTER")[-1]
    net.feed(registrar.challenge_response(first, net.t))
    retry = net.sent("REGISTER")[-1]
    assert registrar.verify(retry, {"300": PASSWORD}.get, net.t).ok
    contact = retry.contacts[0]
    net.feed(make_response(retry, 200, to_tag=new_tag(),
                           headers=[("Contact", f"{contact};expires={expires}")]))
    return retry


def far_request(method: str, *, body: bytes = b"", call_id: str = "far-call-1",
                from_tag: str = "far-tag", to_tag: str | None = None, cseq: int = 1) -> Request:
    h = Headers()
    h.add("Via", f"SIP/2.0/UDP {PBX.host}:{PBX.port};branch={new_branch()}")
    h.add("Max-Forwards", "69")
    h.add("From", f'"Far" <sip:202@{PBX.host}>;tag={from_tag}')
    h.add("To", f"<sip:300@{PBX.host}>" + (f";tag={to_tag}" if to_tag else ""))
    h.add("Call-ID", call_id)
    h.add("CSeq", f"{cseq} {method}")
    h.add("Contact", f"<sip:202@{FAR.host}:{FAR.port}>")
    if body:
        h.add("Content-Type", "application/sdp")
    return Request(method, SipUri(PHONE.host, "300", port=PHONE.port), h, body)


# -- registration ------------------------------------------------------------------------------


def test_register_answers_the_challenge_and_is_registered() -> None:
    net = Net()
    net.run(net.agent.start)
    [first] = net.sent("REGISTER")
    assert first.headers.get("Authorization") is None
    assert str(first.uri) == f"sip:{PBX.host}:{PBX.port}"
    assert first.to.sip_uri.user == "300" and first.expires == 600
    assert str(first.contacts[0].uri) == f"sip:300@{PHONE.host}:{PHONE.port}"
    assert net.take() == [RegistrationChanged(RegistrationState.REGISTERING, "")]
    retry = registered_after(net, first)
    assert (retry.call_id, retry.cseq.seq) == (first.call_id, first.cseq.seq + 1)
    assert retry.top_via.branch != first.top_via.branch
    assert net.take() == [RegistrationChanged(RegistrationState.REGISTERED, "200 OK", 600)]
    described = net.agent.describe()["registration"]
    assert described == {"state": "registered", "registrar": f"udp:{PBX.host}:{PBX.port}",
                         "last_response": "200 OK", "expires": 600, "failures": 0}


def registered_after(net: Net, first: Request) -> Request:
    registrar = DigestServer(REALM, algorithms=("MD5",))
    net.feed(registrar.challenge_response(first, net.t))
    retry = net.sent("REGISTER")[-1]
    assert registrar.verify(retry, {"300": PASSWORD}.get, net.t).ok
    net.feed(make_response(retry, 200, to_tag=new_tag(),
                           headers=[("Contact", f"{retry.contacts[0]};expires=600")]))
    return retry


def test_refreshes_before_the_binding_lapses() -> None:
    net = Net()
    granted = registered(net, expires=100)
    net.advance(89.9)
    assert net.sent("REGISTER")[-1] is granted
    net.advance(0.1)  # 90% of the interval (config.REFRESH_FRACTION)
    refresh = net.sent("REGISTER")[-1]
    assert refresh.call_id == granted.call_id and refresh.cseq.seq == granted.cseq.seq + 1
    registered_after(net, refresh)
    assert net.agent.registration_state is RegistrationState.REGISTERED


def test_a_wrong_password_fails_and_retries_with_a_doubling_back_off() -> None:
    net = Net(replace(CONFIG, password="wrong"))
    registrar = DigestServer(REALM, algorithms=("MD5",))
    net.run(net.agent.start)
    for wait in (30.0, 60.0, 120.0):
        first = net.sent("REGISTER")[-1]
        net.feed(registrar.challenge_response(first, net.t))
        retry = net.sent("REGISTER")[-1]
        assert not registrar.verify(retry, {"300": PASSWORD}.get, net.t).ok
        net.feed(registrar.challenge_response(retry, net.t))  # it gives up on a second 401
        assert net.sent("REGISTER")[-1] is retry
        assert net.agent.registration_state is RegistrationState.FAILED
        net.advance(wait - 0.01)
        assert net.sent("REGISTER")[-1] is retry
        net.advance(0.01)
        assert net.sent("REGISTER")[-1] is not retry
    assert net.agent.describe()["registration"]["failures"] == 3  # type: ignore[index]


def test_403_shows_as_blocked_and_is_retried_later() -> None:
    net = Net()
    net.run(net.agent.start)
    first = net.sent("REGISTER")[-1]
    net.feed(make_response(first, 403, "Source Address Blocked", to_tag=new_tag()))
    assert net.take()[-1] == RegistrationChanged(RegistrationState.BLOCKED,
                                                 "403 Source Address Blocked")
    net.advance(30)
    second = net.sent("REGISTER")[-1]
    assert second is not first and second.headers.get("Authorization") is None
    registered_after(net, second)
    assert net.agent.registration_state is RegistrationState.REGISTERED


def test_an_unanswered_register_times_out_and_is_retried() -> None:
    net = Net()
    net.run(net.agent.start)
    first = net.sent("REGISTER")[-1]
    net.advance(32)  # Timer F, 64 * T1
    assert net.agent.registration_state is RegistrationState.FAILED
    assert net.agent.describe()["registration"]["last_response"] == "408 Request Timeout"  # type: ignore[index]
    assert len([r for r in net.sent("REGISTER") if r is first]) > 1  # retransmitted on UDP
    net.advance(30)
    assert net.sent("REGISTER")[-1].cseq.seq == first.cseq.seq + 1


def test_without_a_password_it_answers_no_challenge() -> None:
    net = Net(replace(CONFIG, password=""))
    net.run(net.agent.start)
    first = net.sent("REGISTER")[-1]
    net.feed(DigestServer(REALM).challenge_response(first, net.t))
    assert net.sent("REGISTER") == [first]
    assert net.take()[-1] == RegistrationChanged(RegistrationState.FAILED, "401 Unauthorized")


@pytest.mark.parametrize(("changes", "message"), [
    ({"user": "3 00"}, "is not a SIP user name"),
    ({"registrar": "pbx:port"}, "registrar 'pbx:port' is not host:port"),
    ({"expires": -1}, "expires must be 0"),
    ({"auto_answer": -2.0}, "auto_answer is seconds"),
    ({"sip_port": 70000}, "sip_port 70000 is not a port"),
    ({"retry_seconds": 0.0}, "0 < retry_seconds"),
])
def test_a_bad_config_is_one_clear_line(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        replace(CONFIG, **changes)  # type: ignore[arg-type]
    assert "\n" not in str(error.value) and "'desk'" in str(error.value)


def test_registrar_defaults_to_the_call_server_and_is_required_to_register() -> None:
    assert CONFIG.registrar_address(("192.0.2.1", 13060)) == ("192.0.2.1", 13060)
    tls = replace(CONFIG, registrar="pbx.test", transport=Transport.TLS)
    assert tls.registrar_address(None) == ("pbx.test", 5061)
    with pytest.raises(ValueError, match="no registrar configured"):
        CONFIG.registrar_address(None)
    assert replace(CONFIG, expires=0).registrar_address(None) is None


def test_423_asks_again_for_the_minimum_interval() -> None:
    net = Net(replace(CONFIG, expires=30))
    net.run(net.agent.start)
    first = net.sent("REGISTER")[-1]
    net.feed(make_response(first, 423, to_tag=new_tag(), headers=[("Min-Expires", "60")]))
    assert net.sent("REGISTER")[-1].expires == 60


def test_stop_unregisters_with_credentials() -> None:
    net = Net()
    registered(net)
    net.run(net.agent.stop)
    assert not net.agent.finished
    bye = net.sent("REGISTER")[-1]
    assert bye.expires == 0
    registrar = DigestServer(REALM, algorithms=("MD5",))
    net.feed(registrar.challenge_response(bye, net.t))
    retry = net.sent("REGISTER")[-1]
    assert retry.expires == 0 and retry.headers.get("Authorization")
    net.feed(make_response(retry, 200, to_tag=new_tag()))
    assert net.agent.finished
    assert net.agent.registration_state is RegistrationState.UNREGISTERED


def test_stop_gives_up_on_a_silent_registrar() -> None:
    net = Net()
    registered(net)
    net.run(net.agent.stop)
    net.advance(5)  # config.UNREGISTER_TIMEOUT
    assert net.agent.finished


# -- requests from outside ---------------------------------------------------------------------


def test_options_is_answered_200_with_what_the_phone_allows() -> None:
    net = Net()
    net.feed(far_request("OPTIONS"))
    [ok] = net.answers(200)
    assert "INVITE" in (ok.headers.get("Allow") or "")
    assert ok.headers.get("Accept") == "application/sdp"


def test_requests_of_no_dialog_get_481_and_unknown_methods_405() -> None:
    net = Net()
    net.feed(far_request("BYE", to_tag="nothing"))
    net.feed(far_request("SUBSCRIBE"))
    statuses = [o.message.status for o in net.wire if isinstance(o.message, Response)]
    assert statuses == [481, 405]


# -- incoming calls ------------------------------------------------------------------------------


def test_an_incoming_call_rings_then_is_answered_by_itself() -> None:
    net = Net(replace(CONFIG, auto_answer=2.0))
    registered(net)
    net.take()
    invite = far_request("INVITE", body=OFFER)
    net.feed(invite)
    [ringing] = net.answers(180)
    assert ringing.to.tag and ringing.contacts
    assert net.take() == [CallRinging("far-call-1", Direction.INCOMING,
                                      f"sip:202@{PBX.host}")]
    net.advance(1.9)
    assert net.answers(200) == [] or all(r.cseq.method != "INVITE" for r in net.answers(200))
    net.advance(0.1)
    [ok] = [r for r in net.answers(200) if r.cseq.method == "INVITE"]
    assert ok.to.tag == ringing.to.tag
    answer = SessionDescription.parse(ok.body)
    assert answer.connection == PHONE.host
    assert (answer.media[0].port, answer.media[0].formats) == (RTP_PORT, ["0", "8"])
    [connected] = net.take()
    assert isinstance(connected, CallConnected) and connected.media is not None
    assert (connected.media.remote_address, connected.media.remote_port,
            connected.media.codec.encoding) == ("192.0.2.9", 5004, "PCMU")
    ack = far_request("ACK", to_tag=ok.to.tag)
    net.feed(ack)
    bye = far_request("BYE", to_tag=ok.to.tag, cseq=2)
    net.feed(bye)
    assert [r.cseq.method for r in net.answers(200)][-1] == "BYE"
    assert net.take() == [CallEnded("far-call-1", EndReason.NORMAL)]
    assert net.agent.current is None
    assert net.agent.describe()["calls"] == [{  # the last call, as status shows it
        "call_id": "far-call-1", "direction": "incoming", "remote": f"sip:202@{PBX.host}",
        "state": "ended", "media": {"remote": "192.0.2.9:5004", "codec": "PCMU", "ptime": 20},
        "end": "Normal"}]


def test_a_ringing_call_is_rejected_busy_and_a_second_call_gets_busy() -> None:
    net = Net()
    net.feed(far_request("INVITE", body=OFFER))
    net.feed(far_request("INVITE", body=OFFER, call_id="far-call-2", from_tag="t2"))
    assert [r.call_id for r in net.answers(486)] == ["far-call-2"]
    net.run(net.agent.reject)
    assert [r.call_id for r in net.answers(486)] == ["far-call-2", "far-call-1"]
    assert net.take()[-1] == CallEnded("far-call-1", EndReason.HUNG_UP, 486)
    with pytest.raises(PhoneError, match="no call rings"):
        net.run(net.agent.answer)


def test_the_caller_cancels_a_ringing_call() -> None:
    net = Net()
    invite = far_request("INVITE", body=OFFER)
    net.feed(invite)
    cancel = invite.copy()
    cancel.method = "CANCEL"
    cancel.body = b""
    cancel.headers.set("CSeq", "1 CANCEL")
    cancel.headers.remove("Content-Type")
    net.feed(cancel)
    assert [r.cseq.method for r in net.answers(200)] == ["CANCEL"]
    [terminated] = net.answers(487)
    assert terminated.to.tag == net.answers(180)[0].to.tag
    assert net.take()[-1] == CallEnded("far-call-1", EndReason.NORMAL)


def test_an_offer_it_cannot_take_is_488() -> None:
    net = Net()
    savp = OFFER.replace(b"RTP/AVP", b"RTP/SAVP")
    net.feed(far_request("INVITE", body=savp))
    [refused] = net.answers(488)
    assert "Warning" in refused.headers
    assert net.agent.current is None


def test_an_offerless_invite_gets_our_offer_and_its_answer_comes_in_the_ack() -> None:
    net = Net(replace(CONFIG, auto_answer=0.0))
    net.feed(far_request("INVITE"))
    [ok] = [r for r in net.answers(200) if r.cseq.method == "INVITE"]
    assert SessionDescription.parse(ok.body).media[0].port == RTP_PORT
    events = net.take()
    assert isinstance(events[-1], CallConnected) and events[-1].media is None
    answer = OFFER.replace(b"RTP/AVP 0 8", b"RTP/AVP 8")
    net.feed(far_request("ACK", to_tag=ok.to.tag, body=answer))
    [changed] = net.take()
    assert changed.media is not None and changed.media.codec.encoding == "PCMA"  # type: ignore[union-attr]


# -- outgoing calls ------------------------------------------------------------------------------


def test_an_outgoing_call_is_authorized_answered_and_hung_up() -> None:
    net = Net()
    registered(net)
    net.take()
    call_id = net.agent.call("202", net.t)
    net.pump()
    [invite] = net.sent("INVITE")
    assert str(invite.uri) == f"sip:202@{PBX.host}:{PBX.port}"
    assert invite.from_.display_name == "Desk" and invite.from_.sip_uri.user == "300"
    offer = SessionDescription.parse(invite.body)
    assert offer.connection == PHONE.host and offer.media[0].port == RTP_PORT
    assert offer.media[0].formats == ["8", "0"] and offer.media[0].proto == "RTP/AVP"

    server = DigestServer(REALM, algorithms=("MD5",))
    net.feed(server.challenge_response(invite, net.t))
    assert len(net.sent("ACK")) == 1  # the transaction ACKs the 401
    retry = net.sent("INVITE")[-1]
    assert retry.cseq.seq == 2 and server.verify(retry, {"300": PASSWORD}.get, net.t).ok

    tag = new_tag()
    far_contact = [("Contact", f"<sip:202@{FAR.host}:{FAR.port}>"),
                   ("Record-Route", f"<sip:{PBX.host}:{PBX.port};lr>")]
    net.feed(make_response(retry, 180, to_tag=tag, headers=far_contact))
    assert net.take() == [CallRinging(call_id, Direction.OUTGOING, f"sip:202@{PBX.host}")]
    answer = (b"v=0\r\no=- 9 9 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
              b"m=audio 5006 RTP/AVP 0\r\n")
    ok = make_response(retry, 200, to_tag=tag,
                       headers=[*far_contact, ("Content-Type", "application/sdp")], body=answer)
    net.feed(ok)
    ack = net.sent("ACK")[-1]
    assert ack.cseq.seq == 2 and str(ack.uri) == f"sip:202@{FAR.host}:{FAR.port}"
    assert [str(r.uri) for r in ack.routes] == [f"sip:{PBX.host}:{PBX.port};lr"]
    [connected] = net.take()
    assert isinstance(connected, CallConnected) and connected.media is not None
    assert (connected.media.remote_port, connected.media.codec.encoding) == (5006, "PCMU")
    net.feed(ok)  # a retransmitted 2xx gets the same ACK again
    assert net.sent("ACK")[-2:] == [ack, ack]

    net.run(net.agent.hang_up)
    [bye] = net.sent("BYE")
    assert str(bye.uri) == f"sip:202@{FAR.host}:{FAR.port}" and bye.to.tag == tag
    assert [o.peer for o in net.wire if o.message is bye] == [PBX]  # along the route
    assert net.take() == [CallEnded(call_id, EndReason.HUNG_UP)]
    assert net.agent.last_call is not None and net.agent.last_call.state is CallState.ENDED


def test_hanging_up_before_the_answer_cancels() -> None:
    net = Net()
    call_id = net.agent.call("202", net.t)
    net.pump()
    invite = net.sent("INVITE")[-1]
    net.feed(make_response(invite, 180, to_tag="x"))
    net.run(net.agent.hang_up)
    [cancel] = net.sent("CANCEL")
    assert cancel.top_via.branch == invite.top_via.branch
    assert net.take()[-1] == CallEnded(call_id, EndReason.HUNG_UP)
    net.feed(make_response(invite, 487, to_tag="x"))
    assert net.take() == []  # already ended for the user


def test_a_busy_callee_ends_the_call_busy() -> None:
    net = Net()
    call_id = net.agent.call("sip:202@192.0.2.9:5060", net.t)
    net.pump()
    [invite] = net.sent("INVITE")
    assert [o.peer for o in net.wire if o.message is invite] == [FAR]  # straight to the URI
    net.feed(make_response(invite, 486, to_tag="x"), FAR)
    assert net.take()[-1] == CallEnded(call_id, EndReason.BUSY, 486)
    with pytest.raises(PhoneError, match="neither a number"):
        net.agent.call("not a number", net.t)
