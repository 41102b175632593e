"""The embedded call server: registrar plus stateful, record-routing proxy (RFC 3261 §10,
§16) over UDP, TCP and TLS, with the MiVoice Office 400 DoS protections (SEED-MV §8.2.1),
access logs (§5.6.1) and SRTP setting (sim.pbx.srtp).

`PbxServer` is the transaction user of one `SipTransport` that listens on every transport,
so the protections count per IP address whatever transport a request came over. It never
changes bodies: SDP (and with it SRTP crypto attributes) passes end to end untouched. A call
between transports is double record-routed (RFC 5658 §4): the caller and the callee each
get a route entry on their own transport.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from sim.pbx.config import PbxConfig
from sim.pbx.guard import AccessLog, AccessRecord, IpGuard
from sim.pbx.registrar import Binding, IntervalTooBrief, Registrar
from sim.pbx.srtp import offer_refusal
from sipdect import clock
from sipdect.net import HostNet
from sipdect.sip import constants as c
from sipdect.sip.auth import AuthStatus, DigestServer
from sipdect.sip.dialog import add_record_route, prepare_forward, preprocess_routes
from sipdect.sip.message import (
    Address,
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
from sipdect.sip.transport import SipTransport, TlsClientOptions, TlsServerOptions

log = logging.getLogger("sipdect.pbx")

ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REGISTER"
AUTHENTICATED_METHODS = frozenset({"REGISTER", "INVITE"})
BLOCKED_REASON = "blocked"
"""Failed-access-log reason of a REGISTER or INVITE refused because its address is blocked."""


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
                 wall_clock: Callable[[], float] = clock.wall) -> None:
        self.config = config
        self.transport = transport
        self._owned: SipTransport | None = None
        self.wall_clock = wall_clock
        self.registrar = Registrar(config.min_expires, config.default_expires,
                                   config.max_expires)
        self.guard = IpGuard(config.max_auth_failures, config.block_seconds)
        self.access_log = AccessLog(config.access_log_depth)
        self.auth = DigestServer(config.realm, algorithms=config.digest_algorithms)
        self._client_of: dict[TransactionKey, TransactionKey] = {}
        self._server_of: dict[TransactionKey, TransactionKey] = {}
        transport.on_event = self.handle

    @classmethod
    async def start(cls, config: PbxConfig, host: str = "127.0.0.1", port: int = 0, *,
                    tcp_port: int | None = None, tls_port: int | None = None,
                    tls_server: TlsServerOptions | None = None,
                    tls_client: TlsClientOptions | None = None,
                    net: HostNet | None = None) -> PbxServer:
        """A call server listening on UDP host:port, and on TCP and TLS when their ports
        are given (0: any free port). TLS needs `tls_server` (certificate and key);
        `tls_client` says how the certificates of TLS contacts we call are checked; `net`
        is the call server's host (its address, cut links, kill), by default one at `host`.

        Raises SipTransportError or tls.TlsConfigError with one line saying what to change.
        """
        layer = make_layer(config)
        transport = SipTransport(layer, tls_client=tls_client, net=net or HostNet("pbx", host))
        # SipTransport takes `layer or TransactionLayer()`, and an empty layer is falsy
        # (__len__ 0): without this the per-IP transaction limit would be lost.
        transport.layer = layer
        server = cls(config, transport)
        server._owned = transport
        try:
            await transport.listen(Transport.UDP, host, port)
            if tcp_port is not None:
                await transport.listen(Transport.TCP, host, tcp_port)
            if tls_port is not None:
                await transport.listen(Transport.TLS, host, tls_port, tls_server)
        except BaseException:
            await transport.close()
            raise
        return server

    async def close(self) -> None:
        """Close the transport `start` opened (a given endpoint is its owner's to close)."""
        if self._owned is not None:
            await self._owned.close()

    @property
    def address(self) -> Peer:
        """The UDP listener."""
        local = self.transport.local_address(Transport.UDP)
        assert local is not None, "the call server is not listening"
        return local

    @property
    def addresses(self) -> dict[Transport, Peer]:
        """Every listener, by transport."""
        out = {}
        for kind in Transport:
            local = self.transport.local_address(kind)
            if local is not None and local.transport is kind:
                out[kind] = local
        return out

    def registrations(self) -> list[Binding]:
        """Every live binding, by user then contact."""
        return self.registrar.all_bindings(self.transport.now())

    def registered(self, user: str) -> bool:
        """Whether `user` has a live binding."""
        return self.registrar.lookup(user, self.transport.now()) is not None

    def access_logs(self) -> dict[str, list[AccessRecord]]:
        """The last failed and successful logins (SEED-MV §5.6.1), oldest first."""
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
                if request.method in AUTHENTICATED_METHODS:
                    self.access_log.record(AccessRecord(
                        self.wall_clock(), self._claimed_user(request), source.host,
                        request.method, BLOCKED_REASON, source.transport))
                self._reply(request, key, 403, "Source Address Blocked")
            return
        if key is None:  # ACK for a 2xx: forwarded along its Route, no transaction
            self._forward_ack(request)
            return
        try:
            self._dispatch(request, key, source, now)
        except SipParseError as exc:  # a header read only now (credentials, To's URI) is bad
            log.info("SIP %s: %s %s refused: %s", source, request.method, request.uri,
                     exc.reason)
            self._reply(request, key, exc.status or 400, exc.reason)

    def _dispatch(self, request: Request, key: TransactionKey, source: Peer,
                  now: float) -> None:
        max_forwards = request.max_forwards
        if max_forwards is not None and max_forwards <= 0:
            self._reply(request, key, 483)
            return
        self._own_routes_off(request)
        in_dialog = bool(request.to.tag) or bool(request.headers.get_all("Route"))
        if in_dialog and self._is_local(request.uri):
            self._reply(request, key, 481)  # we hold no dialogs of our own
        elif in_dialog:
            # A re-INVITE may carry no offer (the 200 makes one); only an offer is checked.
            if request.method == "INVITE" and request.body and self._srtp_refused(request, key):
                return
            self._forward(request, key, request.uri.copy(), source, record_route=False)
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
        result = self.auth.verify(self._as_authenticated(request), self.config.password_of, now)
        name = result.username or ""
        if result.status in (AuthStatus.MISSING, AuthStatus.STALE):  # a challenge, no failure
            self.transport.send_response(self.auth.challenge_response(
                request, now, stale=result.status is AuthStatus.STALE), key)
            return False
        if result.status is AuthStatus.OK and user is not None and (
                name == self.config.auth_id(user)):
            self.guard.success(source.host, name)
            self.access_log.record(AccessRecord(self.wall_clock(), name, source.host,
                                                request.method, transport=source.transport))
            return True
        reason = (f"credentials of {name} used for {user}" if result.status is AuthStatus.OK
                  else result.reason or "wrong credentials")
        self.access_log.record(AccessRecord(self.wall_clock(), name, source.host,
                                            request.method, reason, source.transport))
        if self.guard.failure(source.host, name, now):
            self._reply(request, key, 403, "Source Address Blocked")
        elif result.status is AuthStatus.OK:
            self._reply(request, key, 403)  # right password, someone else's identity
        else:
            self.transport.send_response(self.auth.challenge_response(request, now), key)
        return False

    def _claimed_user(self, request: Request) -> str:
        """Who a request refused unchecked says it is: the user name of its credentials for
        our realm, else the account it acts for (To of a REGISTER, From of an INVITE)."""
        try:
            for credentials in request.credentials():
                if credentials.params.get("realm") == self.config.realm:
                    return credentials.params.get("username", "")
            named = request.to if request.method == "REGISTER" else request.from_
            return named.sip_uri.user or ""
        except SipParseError:
            return ""

    def _as_authenticated(self, request: Request) -> Request:
        """The request as its credentials describe it. Decision: a digest uri naming this
        server (no user part) stands for any Request-URI sent here, as kamailio accepts it:
        sipp 3.6 and some phones answer an INVITE's challenge with the server's address as
        uri. A uri naming anything else must still be the Request-URI."""
        for credentials in request.credentials():
            if credentials.params.get("realm") != self.config.realm:
                continue
            try:
                uri = SipUri.parse(credentials.params.get("uri", ""))
            except SipParseError:
                return request
            if self._is_local(uri) and str(uri) != str(request.uri):
                named = request.copy()
                named.uri = uri
                return named
        return request

    # -- proxy --------------------------------------------------------------------------------

    def _route(self, request: Request, key: TransactionKey, source: Peer, now: float) -> None:
        callee = request.uri.user
        if request.method == "INVITE" and not self._authenticated(
                request, key, source, now, request.from_.sip_uri.user):
            return
        if request.method == "INVITE" and self._srtp_refused(request, key):
            return
        if callee not in self.config.accounts:
            self._reply(request, key, 404)
            return
        binding = self.registrar.lookup(callee, now)
        if binding is None:
            self._reply(request, key, 480)
            return
        target = binding.contact.sip_uri.copy()
        self._forward(request, key, target, source, record_route=request.method == "INVITE")

    def _srtp_refused(self, request: Request, key: TransactionKey) -> bool:
        """Answer 488 when the offer breaks the SRTP setting; True if it did."""
        refusal = offer_refusal(self.config.srtp, request)
        if refusal is None:
            return False
        warning = f'399 {self.address.host} "{refusal}"'
        self._reply(request, key, 488, headers=[("Warning", warning)])
        return True

    def _forward(self, request: Request, key: TransactionKey, target: SipUri, source: Peer,
                 *, record_route: bool) -> None:
        out, destination = self._prepare(request, target)
        if record_route:
            self._record_route(out, source.transport, destination.transport)
        out.headers.prepend("Via", str(self.transport.make_via(destination.transport)))
        try:
            client = self.transport.send_request(out, destination)
        except Exception as exc:  # no socket for that transport: not our caller's bug
            self._reply(request, key, 502, str(exc)[:60])
            return
        self._client_of[key] = client
        self._server_of[client] = key

    def _record_route(self, request: Request, inbound: Transport, outbound: Transport) -> None:
        """Our Record-Route (§16.6 step 4); two when the legs' transports differ (RFC 5658
        §4): the callee uses the top entry and the caller the bottom one, each its own."""
        add_record_route(request, self._route_uri(inbound))
        if outbound is not inbound:
            add_record_route(request, self._route_uri(outbound))

    def _route_uri(self, kind: Transport) -> SipUri:
        local = self.addresses.get(kind) or self.address
        params: dict[str, str | None] = {}
        if local.transport is not Transport.UDP:
            params["transport"] = local.transport.lower()
        return SipUri(local.host, port=local.port, params=params)

    def _forward_ack(self, ack: Request) -> None:
        self._own_routes_off(ack)
        if self._is_local(ack.uri) and not ack.headers.get_all("Route"):
            return  # an ACK for us: nothing to pass on
        out, destination = self._prepare(ack, ack.uri.copy())
        out.headers.prepend("Via", str(self.transport.make_via(destination.transport)))
        self.transport.send_stateless(out, destination)

    def _prepare(self, request: Request, target: SipUri) -> tuple[Request, Peer]:
        """A copy to forward (§16.6) and where it goes: new Request-URI, Max-Forwards - 1,
        our realm's credentials consumed, strict routers handled. The caller adds our Via
        for the transport of the next hop."""
        out = request.copy()
        out.uri = target
        out.headers.set("Max-Forwards", str((request.max_forwards or c.DEFAULT_MAX_FORWARDS) - 1))
        out.headers.remove("Authorization")
        return out, uri_destination(prepare_forward(out))

    def _own_routes_off(self, request: Request) -> None:
        """§16.4 route pre-processing, also dropping the second entry a double
        record-route left."""
        preprocess_routes(request, self._is_local)
        routes = request.headers.get_all("Route")
        while routes and self._is_local(Address.parse(routes[0]).sip_uri):
            routes = routes[1:]
        request.headers.set_all("Route", routes)

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
        if uri.user is not None:
            return False
        port = uri.port or uri_destination(uri).transport.default_port
        return any(uri.host == local.host and port == local.port
                   for local in self.addresses.values())

    def _reply(self, request: Request, key: TransactionKey, status: int,
               reason: str | None = None, headers: list[tuple[str, str]] | None = None) -> None:
        self.transport.send_response(
            make_response(request, status, reason, to_tag=new_tag(), headers=headers or []), key)
