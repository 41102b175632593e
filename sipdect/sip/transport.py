"""asyncio edges for SIP over UDP, TCP and TLS (RFC 3261 §18, RFC 5626 §3.5.1 keep-alives,
RFC 5922 §7 server identity in certificates).

`SipTransport` pumps bytes between sockets and a sans-I/O `TransactionLayer`: it frames and
parses, stamps received/rport on incoming Via, feeds the layer, sends what it queues and
schedules its timer on the loop clock. Broken input is answered with the status
SipParseError carries, or dropped (UDP) / its connection closed (TCP, TLS), with one log
line; a bad peer never raises out of here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipdect import tls
from sipdect.net import HostNet
from sipdect.sip import constants as c
from sipdect.sip.dialog import next_hop
from sipdect.sip.message import (
    DEFAULT_LIMITS,
    FramingLost,
    KeepAlive,
    Limits,
    Message,
    Peer,
    Request,
    Response,
    SipParseError,
    StreamFramer,
    Transport,
    Via,
    check_require,
    format_host,
    is_ip,
    make_response,
    new_branch,
    parse_message,
    response_destination,
    stamp_via,
    uri_destination,
)
from sipdect.sip.transaction import (
    Event,
    Outgoing,
    ResponseReceived,
    TransactionKey,
    TransactionLayer,
    TransactionTerminated,
    TransactionTimeout,
    TransportFailed,
)

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TlsClientOptions:
    """How we check the servers we connect to (SEED-SD App. B §3: "TLS authentication",
    "common name validation")."""

    level: tls.SecurityLevel = tls.DEFAULT_LEVEL
    """Cipher suites offered."""
    verify_certificate: bool = True
    """Require a certificate chain to a trusted CA."""
    check_common_name: bool = True
    """With `verify_certificate`, require the certificate to name the host we connected to
    (RFC 5922 §7.1: SAN DNS, IP or sip: URI; the CN only without SAN; never a wildcard)."""
    cafile: Path | None = None
    """Trusted CAs; None for the system's."""
    certfile: Path | None = None
    """Our own certificate, for servers that want mutual TLS."""
    keyfile: Path | None = None
    """Its key."""


@dataclass(frozen=True)
class TlsServerOptions:
    """A TLS listener's certificate and whether clients must present one."""

    cert: Path
    """Certificate chain (PEM)."""
    key: Path
    """Private key (PEM)."""
    level: tls.SecurityLevel = tls.DEFAULT_LEVEL
    """Cipher suites accepted."""
    require_client_certificate: bool = False
    """Mutual TLS: refuse clients without a certificate from `client_cafile`."""
    client_cafile: Path | None = None
    """CAs that issue client certificates."""


class SipTransportError(Exception):
    """A send the transport cannot do (e.g. no socket for that transport)."""


def certificate_names(cert: dict[str, Any]) -> tuple[list[str], list[str], list[str], list[str]]:
    """(DNS names, IP addresses, sip URIs, common names) of a `getpeercert()` dict."""
    dns, ips, uris, cns = [], [], [], []
    for kind, value in cert.get("subjectAltName", ()):
        if kind == "DNS":
            dns.append(value)
        elif kind == "IP Address":
            ips.append(value)
        elif kind == "URI":
            uris.append(value)
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                cns.append(value)
    return dns, ips, uris, cns


def certificate_matches(cert: dict[str, Any], host: str) -> bool:
    """Whether `cert` identifies `host` as RFC 5922 §7.1-7.2 asks: SAN sip: URIs and DNS names
    (or an IP address), the CN only without any SAN identity, wildcards never."""
    dns, ips, uris, cns = certificate_names(cert)
    host_l = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return any(_same_address(ip, address) for ip in ips)
    names = [u[4:] for u in uris if u.lower().startswith("sip:")] + dns
    if not names and not ips:
        names = cns
    return any("*" not in n and n.lower().rstrip(".") == host_l for n in names)


def _same_address(text: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(text.strip()) == address
    except ValueError:
        return False


def _client_context(options: TlsClientOptions) -> ssl.SSLContext:
    ctx = tls.client_context(options.level, verify=options.verify_certificate,
                             cafile=options.cafile if options.verify_certificate else None)
    # Names are checked by certificate_matches (RFC 5922 rules, no wildcards), not OpenSSL.
    ctx.check_hostname = False
    if options.certfile is not None:
        ctx.load_cert_chain(options.certfile, options.keyfile)
    return ctx


def _server_context(options: TlsServerOptions) -> ssl.SSLContext:
    ctx = tls.server_context(options.cert, options.key, options.level)
    if options.require_client_certificate:
        ctx.verify_mode = ssl.CERT_REQUIRED
        if options.client_cafile is not None:
            ctx.load_verify_locations(cafile=options.client_cafile)
        else:
            ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    return ctx


UDP_RECEIVE_BUFFER = 2 * 1024 * 1024
"""Bytes of kernel receive buffer asked for per UDP socket (the kernel caps it at
net.core.rmem_max): with the default ~200 KB, a hundred calls set up at once on a loaded
machine overflowed it and lost SIP datagrams."""


class _Datagram(asyncio.DatagramProtocol):
    def __init__(self, owner: SipTransport) -> None:
        self.owner = owner
        self.transport: asyncio.DatagramTransport | None = None
        self.family = socket.AF_INET

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self.family = sock.family
            try:  # a burst of requests must wait in the kernel while the loop is busy
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
            except OSError:  # pragma: no cover - the system caps it; the default stays
                pass

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.owner._datagram(self, data, Peer(Transport.UDP, addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        _log.info("SIP udp: %s", exc)


class _Stream(asyncio.Protocol):
    """One TCP or TLS connection, either way."""

    def __init__(self, owner: SipTransport, kind: Transport, peer: Peer | None,
                 check_name: str | None = None) -> None:
        self.owner = owner
        self.kind = kind
        self.peer = peer
        self.check_name = check_name
        self.framer = StreamFramer(owner.limits)
        self.transport: asyncio.Transport | None = None
        self.pending: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if self.peer is None:
            addr = transport.get_extra_info("peername")
            self.peer = Peer(self.kind, addr[0], addr[1])
        if self.check_name is not None and not self._identity_ok(transport):
            transport.close()
            self.closed = True
            return
        self.transport = transport
        self.owner._connections[self.peer] = self
        for data in self.pending:
            transport.write(data)
        self.pending.clear()

    def _identity_ok(self, transport: asyncio.Transport) -> bool:
        obj = transport.get_extra_info("ssl_object")
        cert = obj.getpeercert() if obj is not None else None
        if cert and certificate_matches(cert, self.check_name or ""):
            return True
        dns, ips, uris, cns = certificate_names(cert or {})
        _log.warning("SIP %s: certificate names %s, not %s; connection refused",
                     self.peer, dns + ips + uris + cns or "nothing", self.check_name)
        return False

    def data_received(self, data: bytes) -> None:
        assert self.peer is not None
        for item in self.framer.feed(data):
            if self.closed:
                return
            self.owner._stream_item(self, item)

    def send(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.write(data)
        else:
            self.pending.append(data)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.owner._stream_closed(self)


class SipTransport:
    """Sockets for one SIP element around its TransactionLayer.

    Events go to `on_event`, or to the `events` queue when none is given. `now` for the
    layer is the loop's clock (`self.now()`).
    """

    def __init__(self, layer: TransactionLayer | None = None, *,
                 limits: Limits = DEFAULT_LIMITS,
                 on_event: Callable[[Event], None] | None = None,
                 tls_client: TlsClientOptions | None = None,
                 supported: Iterable[str] | None = None, net: HostNet | None = None,
                 source_host: str | None = None) -> None:
        """`net`: the host whose address the sockets bind and connections leave from, and
        whose links may be cut (sipdect.net); without one, a host at `source_host`, else at
        the first listen's address (so per-address rules at the peer see who is who)."""
        self.layer = layer if layer is not None else TransactionLayer()
        self.limits = limits
        self.on_event = on_event
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.tls_client = tls_client or TlsClientOptions()
        self.supported = None if supported is None else frozenset(supported)
        self.net = net if net is not None or source_host is None else HostNet("sip",
                                                                               source_host)
        self._loop = asyncio.get_running_loop()
        self._udp: dict[Peer, _Datagram] = {}
        self._servers: dict[Peer, asyncio.Server] = {}
        self._connections: dict[Peer, _Stream] = {}
        self._connecting: dict[Peer, _Stream] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiters: dict[TransactionKey, tuple[asyncio.Future[Response], Request]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._client_ctx: ssl.SSLContext | None = None
        self._closed = False

    def now(self) -> float:
        return self._loop.time()

    # -- sockets ---------------------------------------------------------------------------

    async def listen(self, transport: Transport, host: str = "127.0.0.1", port: int = 0,
                     tls_server: TlsServerOptions | None = None) -> Peer:
        """Listen on host:port (0: any free port); returns the bound address.

        Raises SipTransportError (address in use, ...) or tls.TlsConfigError (bad
        certificate), each with one line saying what to change.
        """
        try:
            return await self._listen(transport, host, port, tls_server)
        except OSError as exc:
            raise SipTransportError(
                f"cannot listen for SIP on {transport.lower()}:{format_host(host)}:{port}: "
                f"{exc.strerror or exc}") from None

    def _net(self, host: str) -> HostNet:
        if self.net is None:
            self.net = HostNet("sip", host)
        return self.net

    async def _listen(self, transport: Transport, host: str, port: int,
                      tls_server: TlsServerOptions | None) -> Peer:
        net = self._net(host)
        if transport is Transport.UDP:
            _, proto = await net.create_datagram_endpoint(lambda: _Datagram(self), port)
            assert proto.transport is not None
            bound = proto.transport.get_extra_info("sockname")
            local = Peer(transport, bound[0], bound[1])
            self._udp[local] = proto
            return local
        ctx = None
        if transport is Transport.TLS:
            if tls_server is None:
                raise SipTransportError("a TLS listener needs TlsServerOptions (cert and key)")
            ctx = _server_context(tls_server)
        server = await net.create_server(lambda: _Stream(self, transport, None), port, ssl=ctx)
        bound = server.sockets[0].getsockname()
        local = Peer(transport, bound[0], bound[1])
        self._servers[local] = server
        return local

    def local_address(self, transport: Transport) -> Peer | None:
        for local in [*self._udp, *self._servers]:
            if local.transport is transport:
                return local
        return None

    def make_via(self, transport: Transport) -> Via:
        """A Via for a request we send over `transport`, with a new branch and rport."""
        local = self.local_address(transport) or next(iter([*self._udp, *self._servers]), None)
        host = local.host if local is not None else "127.0.0.1"
        port = local.port if local is not None and local.transport is transport else None
        return Via(transport.value, host, port, {"branch": new_branch(), "rport": None})

    async def close(self) -> None:
        self.abort()
        for server in self._servers.values():
            await server.wait_closed()

    def abort(self) -> None:
        """Drop every socket, connection and timer now, without waiting (`close` waits for
        the listeners too): what a power cut does to a host."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        for task in self._tasks:
            task.cancel()
        for conn in [*self._connections.values(), *self._connecting.values()]:
            conn.close()
        for server in self._servers.values():
            server.close()
        for proto in self._udp.values():
            if proto.transport is not None:
                proto.transport.close()
        for fut, _ in self._waiters.values():
            fut.cancel()

    # -- the transaction user's side -------------------------------------------------------

    def send_request(self, request: Request, peer: Peer | None = None) -> TransactionKey:
        """Start a client transaction; `peer` defaults to the request's next hop (§8.1.2).

        A Via is added when the request has none.
        """
        key = self._start(request, peer)
        self._pump()
        return key

    async def request(self, request: Request, peer: Peer | None = None) -> Response:
        """Send `request` and wait for its final response.

        A timeout comes back as 408 and a transport failure as 503 (§8.1.3.1). Events of
        this transaction are not delivered elsewhere.
        """
        fut: asyncio.Future[Response] = self._loop.create_future()
        key = self._start(request, peer)
        self._waiters[key] = (fut, request)
        self._pump()
        return await fut

    def _start(self, request: Request, peer: Peer | None) -> TransactionKey:
        if self._closed:
            raise SipTransportError("the SIP transport is closed")
        if peer is None:
            peer = uri_destination(next_hop(request))
        if peer.transport is Transport.UDP:
            self._udp_for(peer)  # fail now, not in the pump, if we have no UDP socket
        if "Via" not in request.headers:
            request.headers.prepend("Via", str(self.make_via(peer.transport)))
        return self.layer.send_request(request, peer, self.now())

    def send_response(self, response: Response, transaction: TransactionKey | None = None) -> None:
        self.layer.send_response(response, self.now(), transaction)
        self._pump()

    def send_stateless(self, message: Message, peer: Peer) -> None:
        if isinstance(message, Request) and "Via" not in message.headers:
            message.headers.prepend("Via", str(self.make_via(peer.transport)))
        self.layer.send_stateless(message, peer)
        self._pump()

    def cancel(self, transaction: TransactionKey) -> TransactionKey | None:
        key = self.layer.cancel(transaction, self.now())
        self._pump()
        return key

    # -- input -----------------------------------------------------------------------------

    def _datagram(self, proto: _Datagram, data: bytes, source: Peer) -> None:
        if not data.strip(b"\r\n\x00 "):
            return  # a keep-alive (RFC 5626 §3.5.1 style, or NUL padding)
        try:
            self._message(data, source, stream=False)
        except Exception:
            _log.exception("SIP %s: bug while handling a datagram", source)
        self._pump()

    def _stream_item(self, conn: _Stream, item: bytes | KeepAlive | FramingLost) -> None:
        assert conn.peer is not None
        if isinstance(item, KeepAlive):
            if item.ping:
                conn.send(c.CRLF_PONG)
            return
        if isinstance(item, FramingLost):
            self._answer_error(item.error, conn.peer)
            self._pump()
            _log.warning("SIP %s: %s; connection closed", conn.peer, item.error.reason)
            conn.close()
            return
        try:
            if not self._message(item, conn.peer, stream=True):
                conn.close()  # unanswerable garbage with sound framing: still not a SIP peer
        except Exception:
            _log.exception("SIP %s: bug while handling a message; connection closed", conn.peer)
            conn.close()
        self._pump()

    def _message(self, data: bytes, source: Peer, stream: bool) -> bool:
        """Parse and hand over one message; False if it was broken beyond answering."""
        try:
            message = parse_message(data, self.limits, stream=stream)
            if isinstance(message, Request):
                stamp_via(message, source.host, source.port)
                if self.supported is not None:
                    check_require(message, self.supported)
        except SipParseError as exc:
            answered = self._answer_error(exc, source)
            if answered:
                _log.info("SIP %s: %s (answered %s)", source, exc.reason, exc.status)
            else:
                _log.warning("SIP %s: %s (%s)", source, exc.reason,
                             "connection closed" if stream else "dropped")
            return answered
        self.layer.receive(message, source, self.now())
        return True

    def _answer_error(self, exc: SipParseError, source: Peer) -> bool:
        response = exc.response()
        if response is None:
            return False
        vias = response.headers.get_all("Via")
        via = Via.parse(vias[0])  # response() only answers with a readable top Via
        via.params.setdefault("received", source.host)
        if "rport" in via.params and via.params["rport"] is None:
            via.params["rport"] = str(source.port)
        response.headers.set_all("Via", [str(via), *vias[1:]])
        self.layer.send_stateless(response, response_destination(via, source.transport, source))
        return True

    # -- output ----------------------------------------------------------------------------

    def _pump(self) -> None:
        if self._closed:
            return
        for out in self.layer.messages_to_send():
            try:
                self._send(out)
            except SipTransportError as exc:
                _log.warning("SIP %s: %s", out.peer, exc)
                self._fail(out.peer)
        while (event := self.layer.next_event()) is not None:
            self._deliver(event)
        self._schedule()

    def _send(self, out: Outgoing) -> None:
        peer = out.peer
        if peer.transport is Transport.UDP:
            proto = self._udp_for(peer)
            if is_ip(peer.host):
                assert proto.transport is not None
                proto.transport.sendto(out.data, (peer.host, peer.port))
            else:  # a name: resolve off the loop (no RFC 3263 SRV/NAPTR lookups)
                self._spawn(self._sendto_name(proto, out.data, peer))
            return
        conn = self._connections.get(peer) or self._connecting.get(peer)
        if conn is None or conn.closed:
            if isinstance(out.message, Response):
                # §18.2.2: the connection is gone; open one to received/sent-by instead.
                peer = response_destination(out.message.top_via, peer.transport)
                conn = self._connections.get(peer) or self._connecting.get(peer)
            if conn is None or conn.closed:
                conn = self._connect(peer)
        conn.send(out.data)

    async def _sendto_name(self, proto: _Datagram, data: bytes, peer: Peer) -> None:
        try:
            infos = await self._loop.getaddrinfo(peer.host, peer.port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            _log.warning("SIP %s: cannot resolve: %s", peer, exc)
            self._fail(peer)
            return
        for family, _, _, _, address in infos:
            if (family == socket.AF_INET6) == (proto.family == socket.AF_INET6):
                if proto.transport is not None:
                    proto.transport.sendto(data, address)
                return
        _log.warning("SIP %s: no address of the socket's family", peer)
        self._fail(peer)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _udp_for(self, peer: Peer) -> _Datagram:
        family6 = ":" in peer.host
        for local, proto in self._udp.items():
            if (":" in local.host) == family6 and proto.transport is not None:
                return proto
        if not is_ip(peer.host) and self._udp:
            return next(iter(self._udp.values()))
        raise SipTransportError("no UDP socket: listen(Transport.UDP, ...) first")

    def _connect(self, peer: Peer) -> _Stream:
        check = None
        ctx = None
        if peer.transport is Transport.TLS:
            if self._client_ctx is None:
                self._client_ctx = _client_context(self.tls_client)
            ctx = self._client_ctx
            opts = self.tls_client
            if opts.verify_certificate and opts.check_common_name:
                check = peer.host
        conn = _Stream(self, peer.transport, peer, check)
        self._connecting[peer] = conn

        async def run() -> None:
            try:
                await self._net("127.0.0.1").create_connection(
                    lambda: conn, peer.host, peer.port, ssl=ctx,
                    server_hostname=peer.host if ctx is not None else None)
            except (OSError, ssl.SSLError) as exc:
                _log.warning("SIP %s: cannot connect: %s", peer, exc)
                conn.closed = True
                self._connecting.pop(peer, None)
                self._fail(peer)
                return
            self._connecting.pop(peer, None)
            if conn.closed:  # the certificate did not name the peer
                self._fail(peer)

        self._spawn(run())
        return conn

    def _stream_closed(self, conn: _Stream) -> None:
        if conn.peer is None or self._connections.get(conn.peer) is not conn:
            return
        del self._connections[conn.peer]
        # Requests sent on it get no answer now (e.g. a TLS 1.3 server refused our
        # certificate after the handshake): fail them instead of waiting for Timer B/F.
        self.layer.transport_error(conn.peer, self.now(), servers=False)
        self._pump()

    def _fail(self, peer: Peer) -> None:
        self.layer.transport_error(peer, self.now())
        self._pump()

    def _deliver(self, event: Event) -> None:
        key = getattr(event, "transaction", None)
        waiter = self._waiters.get(key) if key is not None else None
        if waiter is not None:
            self._settle(*waiter, event)
            if isinstance(event, TransactionTerminated):
                self._waiters.pop(event.transaction, None)
            return
        if self.on_event is not None:
            self.on_event(event)
        else:
            self.events.put_nowait(event)

    @staticmethod
    def _settle(fut: asyncio.Future[Response], request: Request, event: Event) -> None:
        if fut.done():
            return
        if isinstance(event, ResponseReceived) and event.response.status >= 200:
            fut.set_result(event.response)
        elif isinstance(event, TransactionTimeout):
            fut.set_result(make_response(request, 408))  # §8.1.3.1
        elif isinstance(event, TransportFailed):
            fut.set_result(make_response(request, 503))  # §8.1.3.1

    def _schedule(self) -> None:
        deadline = self.layer.get_timer()
        if deadline is None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return
        if self._timer is not None and self._timer.when() == deadline:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.layer.handle_timer(self.now())
        self._pump()
