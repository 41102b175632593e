"""The embedded call server: registrar plus stateful, record-routing proxy (RFC 3261 §10,
§16) with the MiVoice Office 400 DoS protections (SEED-MV §8.2.1) and access logs (§5.6.1).

`PbxServer` is the transaction user of a `SipTransport`; it never reads or changes bodies,
so SDP (and with it SRTP crypto attributes) passes end to end untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from sim.pbx.config import PbxConfig
from sim.pbx.guard import AccessLog, AccessRecord, IpGuard
from sim.pbx.registrar import IntervalTooBrief, Registrar
from sipdect.sip import constants as c
from sipdect.sip.auth import AuthStatus, DigestServer
from sipdect.sip.dialog import add_record_route, prepare_forward, preprocess_routes
from sipdect.sip.message import (
    Message,
    Peer,
    Request,
    Response,
    SipParseError,
    SipUri,
    Transport,
    Via,
    make_response,
    new_tag,
    uri_destination,
)
from sipdect.sip.transaction import (
    CancelReceived,
    Event,
    RequestReceived,
    ResponseReceived,
    TransactionError,
    TransactionKey,
    TransactionLayer,
    TransactionTerminated,
    TransactionTimeout,
    TransportFailed,
)
from sipdect.sip.transport import SipTransport

ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REGISTER"
AUTHENTICATED_METHODS = frozenset({"REGISTER", "INVITE"})


def make_layer(config: PbxConfig) -> TransactionLayer:
    """The call server's transaction layer. Past `max_transactions_per_ip` live server
    transactions from one IP address it answers 503 with Retry-After statelessly: a UDP
    drop would only make the client retransmit (more load), while 503 + Retry-After tells
    a well-behaved client to back off (RFC 3261 §21.5.4) and costs no state."""
    return TransactionLayer(max_server_transactions_per_host=config.max_transactions_per_ip)


class SipEndpoint(Protocol):
    """What PbxServer needs of its transport: a SipTransport, or a virtual-time driver
    around a bare TransactionLayer in tests."""

    layer: TransactionLayer
    on_event: Callable[[Event], None] | None

    def now(self) -> float: ...
    def local_address(self, transport: Transport) -> Peer | None: ...
    def make_via(self, transport: Transport) -> Via: ...
    def send_request(self, request: Request, peer: Peer | None = None) -> TransactionKey: ...
    def send_response(self, response: Response,
                      transaction: TransactionKey | None = None) -> None: ...
    def send_stateless(self, message: Message, peer: Peer) -> None: ...
    def cancel(self, transaction: TransactionKey) -> TransactionKey | None: ...


class PbxServer:
    """Registrar and proxy: the transaction user of one SipEndpoint (its `on_event`)."""

    def __init__(self, config: PbxConfig, transport: SipEndpoint,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.transport = transport
        self._owned: SipTransport | None = None
        self.wall_clock = wall_clock
        self.registrar = Registrar(config.min_expires, config.default_expires,
                                   config.max_expires)
        self.guard = IpGuard(config.max_auth_failures, config.block_seconds)
        self.access_log = AccessLog(config.access_log_depth)
        self.auth = DigestServer(config.realm)
        self._client_of: dict[TransactionKey, TransactionKey] = {}
        self._server_of: dict[TransactionKey, TransactionKey] = {}
        transport.on_event = self.handle

    @classmethod
    async def start(cls, config: PbxConfig, host: str = "127.0.0.1",
                    port: int = 0) -> PbxServer:
        """A call server listening on UDP host:port (0: any free port)."""
        transport = SipTransport(make_layer(config))
        server = cls(config, transport)
        server._owned = transport
        await transport.listen(Transport.UDP, host, port)
        return server

    async def close(self) -> None:
        """Close the transport `start` opened (a given endpoint is its owner's to close)."""
        if self._owned is not None:
            await self._owned.close()

    @property
    def address(self) -> Peer:
        local = self.transport.local_address(Transport.UDP)
        assert local is not None, "the call server is not listening"
        return local

    def access_logs(self) -> dict[str, list[AccessRecord]]:
        return {"failed": self.access_log.failed(),
                "successful": self.access_log.successful()}

    def access_logs_json(self) -> str:
        return self.access_log.to_json()

    # -- events -------------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if isinstance(event, RequestReceived):
            self._request(event)
        elif isinstance(event, ResponseReceived):
            self._response(event)
        elif isinstance(event, CancelReceived):
            client = self._client_of.get(event.transaction)
            if client is not None:
                self.transport.cancel(client)
        elif isinstance(event, TransactionTimeout | TransportFailed):
            if not event.transaction.server:
                self._answer_upstream(event.transaction, 408 if isinstance(
                    event, TransactionTimeout) else 503)
        elif isinstance(event, TransactionTerminated):
            server = self._server_of.pop(event.transaction, None)
            if server is not None:
                self._client_of.pop(server, None)

    def _request(self, event: RequestReceived) -> None:
        request, key, source = event.request, event.transaction, event.source
        now = self.transport.now()
        if self.guard.blocked(source.host, now):
            if key is not None:
                self._reply(request, key, 403, "Source Address Blocked")
            return
        if key is None:  # ACK for a 2xx: forwarded along its Route, no transaction
            self._forward_ack(request)
            return
        max_forwards = request.max_forwards
        if max_forwards is not None and max_forwards <= 0:
            self._reply(request, key, 483)
            return
        preprocess_routes(request, self._is_local)
        in_dialog = bool(request.to.tag) or bool(request.headers.get_all("Route"))
        if in_dialog and self._is_local(request.uri):
            self._reply(request, key, 481)  # we hold no dialogs of our own
        elif in_dialog:
            self._forward(request, key, request.uri.copy(), record_route=False)
        elif request.method == "REGISTER":
            self._register(request, key, source, now)
        elif request.uri.user is None:
            if request.method == "OPTIONS":
                self._reply(request, key, 200, headers=[("Allow", ALLOW)])
            else:
                self._reply(request, key, 404)
        else:
            self._route(request, key, source, now)

    # -- registrar ----------------------------------------------------------------------------

    def _register(self, request: Request, key: TransactionKey, source: Peer,
                  now: float) -> None:
        user = request.to.sip_uri.user
        if user is None:
            self._reply(request, key, 400, "To Names No User")
            return
        # An unknown user is challenged like any other and fails like a wrong password: no
        # answer tells a scanner which accounts exist, and every guess counts towards the block.
        if not self._authenticated(request, key, source, now, user):
            return
        try:
            bindings = self.registrar.register(user, request, source, now)
        except IntervalTooBrief as exc:
            self._reply(request, key, 423, headers=[("Min-Expires", str(exc.min_expires))])
            return
        except (ValueError, SipParseError) as exc:
            self._reply(request, key, 400, str(exc))
            return
        contacts = [(
            "Contact", f"{b.contact};expires={b.remaining(now)}") for b in bindings]
        self._reply(request, key, 200, headers=contacts)

    def _authenticated(self, request: Request, key: TransactionKey, source: Peer, now: float,
                       user: str | None) -> bool:
        """Check credentials; False when the request was answered (challenge or refusal)."""
        result = self.auth.verify(request, self.config.accounts.get, now)
        name = result.username or ""
        if result.status in (AuthStatus.MISSING, AuthStatus.STALE):  # a challenge, no failure
            self.transport.send_response(self.auth.challenge_response(
                request, now, stale=result.status is AuthStatus.STALE), key)
            return False
        if result.status is AuthStatus.OK and name == user:
            self.guard.success(source.host)
            self.access_log.record(AccessRecord(self.wall_clock(), name, source.host,
                                                request.method))
            return True
        reason = (f"credentials of {name} used for {user}" if result.status is AuthStatus.OK
                  else result.reason or "wrong credentials")
        self.access_log.record(AccessRecord(self.wall_clock(), name, source.host,
                                            request.method, reason))
        if self.guard.failure(source.host, now):
            self._reply(request, key, 403, "Source Address Blocked")
        elif result.status is AuthStatus.OK:
            self._reply(request, key, 403)  # right password, someone else's identity
        else:
            self.transport.send_response(self.auth.challenge_response(request, now), key)
        return False

    # -- proxy --------------------------------------------------------------------------------

    def _route(self, request: Request, key: TransactionKey, source: Peer, now: float) -> None:
        callee = request.uri.user
        if request.method == "INVITE" and not self._authenticated(
                request, key, source, now, request.from_.sip_uri.user):
            return
        if callee not in self.config.accounts:
            self._reply(request, key, 404)
            return
        binding = self.registrar.lookup(callee, now)
        if binding is None:
            self._reply(request, key, 480)
            return
        target = binding.contact.sip_uri.copy()
        self._forward(request, key, target, record_route=request.method == "INVITE")

    def _forward(self, request: Request, key: TransactionKey, target: SipUri, *,
                 record_route: bool) -> None:
        out = self._prepare(request, target)
        if record_route:
            add_record_route(out, SipUri(self.address.host, port=self.address.port))
        hop = prepare_forward(out)
        try:
            client = self.transport.send_request(out, uri_destination(hop))
        except Exception as exc:  # no socket for that transport: not our caller's bug
            self._reply(request, key, 502, str(exc)[:60])
            return
        self._client_of[key] = client
        self._server_of[client] = key

    def _forward_ack(self, ack: Request) -> None:
        preprocess_routes(ack, self._is_local)
        if self._is_local(ack.uri) and not ack.headers.get_all("Route"):
            return  # an ACK for us: nothing to pass on
        out = self._prepare(ack, ack.uri.copy())
        self.transport.send_stateless(out, uri_destination(prepare_forward(out)))

    def _prepare(self, request: Request, target: SipUri) -> Request:
        """A copy to forward (§16.6): new Request-URI, Max-Forwards - 1, our Via on top,
        our realm's credentials consumed."""
        out = request.copy()
        out.uri = target
        out.headers.set("Max-Forwards", str((request.max_forwards or c.DEFAULT_MAX_FORWARDS) - 1))
        out.headers.remove("Authorization")
        out.headers.prepend("Via", str(self.transport.make_via(Transport.UDP)))
        return out

    def _response(self, event: ResponseReceived) -> None:
        server = self._server_of.get(event.transaction)
        if server is None or event.response.status == 100:
            return
        out: Response = event.response.copy()
        out.headers.set_all("Via", out.headers.get_all("Via")[1:])
        try:
            self.transport.send_response(out, server)
        except TransactionError:
            pass  # the server transaction already answered (a forked or late final)

    def _answer_upstream(self, client: TransactionKey, status: int) -> None:
        server = self._server_of.get(client)
        tx = self.transport.layer.get(server) if server is not None else None
        if tx is None:
            return
        try:
            self.transport.send_response(make_response(tx.request, status, to_tag=new_tag()),
                                         server)
        except TransactionError:
            pass

    # -- helpers ------------------------------------------------------------------------------

    def _is_local(self, uri: SipUri) -> bool:
        local = self.address
        return (uri.user is None and uri.host == local.host
                and (uri.port or c.DEFAULT_PORT) == local.port)

    def _reply(self, request: Request, key: TransactionKey, status: int,
               reason: str | None = None, headers: list[tuple[str, str]] | None = None) -> None:
        self.transport.send_response(
            make_response(request, status, reason, to_tag=new_tag(), headers=headers or []), key)
