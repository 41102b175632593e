"""PbxServer driven sans-I/O over a bare TransactionLayer in virtual time: registration
expiry turns a call into 480, and the default 5-minute block runs out without sleeping."""

from __future__ import annotations

from collections.abc import Callable

from sim.pbx import PbxConfig, PbxServer
from sim.pbx.server import make_layer
from sipdect.sip import DigestClient
from sipdect.sip.message import (
    Headers,
    Message,
    Peer,
    Request,
    Response,
    SipUri,
    Transport,
    Via,
    new_branch,
    new_call_id,
    new_tag,
)
from sipdect.sip.transaction import Event, Outgoing, TransactionKey, TransactionLayer

PBX = Peer(Transport.UDP, "192.0.2.1", 5060)
ALICE = Peer(Transport.UDP, "192.0.2.7", 5062)
ACCOUNTS = {"1001": "Alice-pw1", "1002": "Bob-pw22"}


class VirtualEndpoint:
    """A SipEndpoint without sockets: a clock the test sets and a list of what was sent."""

    def __init__(self, layer: TransactionLayer, local: Peer) -> None:
        self.layer = layer
        self.local = local
        self.on_event: Callable[[Event], None] | None = None
        self.t = 0.0
        self.sent: list[Outgoing] = []

    def now(self) -> float:
        return self.t

    def local_address(self, transport: Transport) -> Peer | None:
        return self.local

    def make_via(self, transport: Transport) -> Via:
        return Via("UDP", self.local.host, self.local.port, {"branch": new_branch()})

    def send_request(self, request: Request, peer: Peer | None = None) -> TransactionKey:
        assert peer is not None
        key = self.layer.send_request(request, peer, self.t)
        self._pump()
        return key

    def send_response(self, response: Response,
                      transaction: TransactionKey | None = None) -> None:
        self.layer.send_response(response, self.t, transaction)
        self._pump()

    def send_stateless(self, message: Message, peer: Peer) -> None:
        self.layer.send_stateless(message, peer)
        self._pump()

    def cancel(self, transaction: TransactionKey) -> TransactionKey | None:
        key = self.layer.cancel(transaction, self.t)
        self._pump()
        return key

    def receive(self, message: Message, source: Peer) -> Response:
        """Feed `message`; the last response the server sent back."""
        self.layer.receive(message, source, self.t)
        self._pump()
        answers = [o.message for o in self.sent if isinstance(o.message, Response)]
        return answers[-1]

    def advance(self, seconds: float) -> None:
        self.t += seconds
        self.layer.handle_timer(self.t)
        self._pump()

    def _pump(self) -> None:
        self.sent.extend(self.layer.messages_to_send())
        while (event := self.layer.next_event()) is not None:
            assert self.on_event is not None
            self.on_event(event)


def make(config: PbxConfig) -> tuple[PbxServer, VirtualEndpoint]:
    endpoint = VirtualEndpoint(make_layer(config), PBX)
    return PbxServer(config, endpoint, wall_clock=endpoint.now), endpoint


def request(method: str, to_user: str, *, expires: int | None = None) -> Request:
    h = Headers()
    h.add("Via", f"SIP/2.0/UDP {ALICE.host}:{ALICE.port};branch={new_branch()}")
    h.add("Max-Forwards", "70")
    h.add("From", f"<sip:1001@{PBX.host}>;tag={new_tag()}")
    h.add("To", f"<sip:{to_user}@{PBX.host}>")
    h.add("Call-ID", new_call_id(ALICE.host))
    h.add("CSeq", f"1 {method}")
    h.add("Contact", f"<sip:1001@{ALICE.host}:{ALICE.port}>")
    if expires is not None:
        h.add("Expires", str(expires))
    user = None if method == "REGISTER" else to_user
    return Request(method, SipUri(PBX.host, user, port=PBX.port), h)


def authed(endpoint: VirtualEndpoint, req: Request, password: str = ACCOUNTS["1001"]) -> Response:
    challenge = endpoint.receive(req, ALICE)
    assert challenge.status == 401
    retry = DigestClient("1001", password).authorize(req, challenge)
    assert retry is not None
    return endpoint.receive(retry, ALICE)


def test_binding_expiry_in_virtual_time() -> None:
    server, endpoint = make(PbxConfig(accounts=ACCOUNTS))
    assert authed(endpoint, request("REGISTER", "1001", expires=60)).status == 200
    endpoint.advance(59)
    assert server.registrar.lookup("1001", endpoint.t) is not None
    endpoint.layer.receive(request("OPTIONS", "1001"), ALICE, endpoint.t)
    endpoint.advance(0)
    forwarded = endpoint.sent[-1]
    assert isinstance(forwarded.message, Request) and forwarded.peer == ALICE
    endpoint.advance(1)
    assert endpoint.receive(request("OPTIONS", "1001"), ALICE).status == 480


def test_default_five_minute_block_in_virtual_time() -> None:
    server, endpoint = make(PbxConfig(accounts=ACCOUNTS))
    answers = [authed(endpoint, request("REGISTER", "1001"), "wrong").status
               for _ in range(10)]
    assert answers == [401] * 9 + [403]
    endpoint.advance(299.5)
    assert endpoint.receive(request("REGISTER", "1001"), ALICE).status == 403
    endpoint.advance(0.5)
    assert authed(endpoint, request("REGISTER", "1001")).status == 200
    failed = server.access_log.failed()
    assert [e.reason for e in failed] == ["wrong password"] * 10 + ["blocked"]
    assert (failed[-1].user, failed[-1].at) == ("1001", 299.5)  # the To of a bare REGISTER
    assert server.access_log.successful()[-1].at == endpoint.t


def test_requests_refused_while_blocked_are_in_the_failed_access_log() -> None:
    server, endpoint = make(PbxConfig(accounts=ACCOUNTS, max_auth_failures=1))
    req = request("REGISTER", "1001")
    challenge = endpoint.receive(req, ALICE)
    retry = DigestClient("1002", "guess").authorize(req, challenge)
    assert retry is not None
    assert endpoint.receive(retry, ALICE).status == 403  # the one failure allowed
    again = DigestClient("1002", "guess").authorize(request("INVITE", "1002"), challenge)
    assert again is not None
    assert endpoint.receive(again, ALICE).status == 403
    assert endpoint.receive(request("OPTIONS", "1002"), ALICE).status == 403
    failed = server.access_log.failed()
    assert [(e.user, e.method, e.reason) for e in failed] == [
        ("1002", "REGISTER", "wrong password"),
        ("1002", "INVITE", "blocked"),  # named by its credentials, not checked
    ]  # OPTIONS is no login attempt: refused, not logged


def test_unknown_user_is_challenged_and_counted_like_a_wrong_password() -> None:
    server, endpoint = make(PbxConfig(accounts=ACCOUNTS, max_auth_failures=2))
    req = request("REGISTER", "4711")
    challenge = endpoint.receive(req, ALICE)
    assert challenge.status == 401
    retry = DigestClient("4711", "guess").authorize(req, challenge)
    assert retry is not None
    assert endpoint.receive(retry, ALICE).status == 401
    assert [(e.user, e.reason) for e in server.access_log.failed()] == [("4711", "unknown user")]
    assert authed(endpoint, request("REGISTER", "1001"), "wrong").status == 403  # the 2nd


def test_transaction_limit_per_ip_from_config() -> None:
    _, endpoint = make(PbxConfig(accounts=ACCOUNTS, max_transactions_per_ip=3))
    answers = [endpoint.receive(request("REGISTER", "1001"), ALICE).status for _ in range(4)]
    assert answers == [401, 401, 401, 503]
    other = Peer(Transport.UDP, "192.0.2.8", 5060)
    assert endpoint.receive(request("REGISTER", "1001"), other).status == 401
    endpoint.advance(40)  # Timer J ended the first three: room again
    assert endpoint.receive(request("REGISTER", "1001"), ALICE).status == 401


def test_silent_callee_gives_the_caller_408() -> None:
    _, endpoint = make(PbxConfig(accounts=ACCOUNTS))
    assert authed(endpoint, request("REGISTER", "1001")).status == 200
    endpoint.layer.receive(request("OPTIONS", "1001"), ALICE, endpoint.t)
    endpoint.advance(0)
    for _ in range(70):
        endpoint.advance(0.5)
    answers = [o.message for o in endpoint.sent if isinstance(o.message, Response)]
    assert answers[-1].status == 408


def test_unreadable_credentials_are_answered_400_and_the_server_goes_on() -> None:
    server, endpoint = make(PbxConfig(accounts=ACCOUNTS))
    bad = request("REGISTER", "1001")
    bad.headers.add("Authorization", 'Digest realm="pbx.sipdect" username="1001"')  # no comma
    answer = endpoint.receive(bad, ALICE)
    assert answer.status == 400 and "credentials" in answer.reason
    assert server.guard.failures(ALICE.host) == 0  # broken, not a guess
    assert authed(endpoint, request("REGISTER", "1001")).status == 200
