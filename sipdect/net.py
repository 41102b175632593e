"""One emulated machine's network: its own loopback address, every socket it opens, and the
links to other machines that are cut (ARCHITECTURE.md "Hosts", docs/architecture.md "Hosts").

Every component opens its sockets through the HostNet it is given, so that

- listeners bind the host's address and outgoing connections and datagrams leave from it,
  so per-address rules (the call server's blocking, the OMM's capture list) see who is who;
- `cut(peer)` drops all traffic between this host and the host at `peer`, both ways, at this
  host's own transports (no root, no packet filter): datagrams to or from `peer` are
  dropped; bytes on an open TCP connection are held, as TCP holds unacknowledged segments,
  and flow on `heal(peer)` unless an application timer gave up on the connection first, or
  bytes written were held for TCP_GIVE_UP_S (the connection then times out); a new
  connection towards `peer` waits like an unanswered SYN until healed, or fails after
  CONNECT_TIMEOUT_S;
- `kill()` drops every socket at once, nothing flushed (a power cut).

Only traffic between emulated hosts is affected: a host cuts the addresses it is told to.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from sipdect.capture.recorder import Recorder

from sipdect import clock

log = logging.getLogger("sipdect.net")

CONNECT_TIMEOUT_S = 20.0
"""How long a connection attempt towards a cut host waits before it fails. Linux retries an
unanswered SYN for about two minutes; the emulator's choice is shorter, so that the retry
loops of RFPs and SIP user agents run during a demo of a cut link."""

TLS_HANDSHAKE_S = 60.0
"""asyncio's own limit on a TLS handshake, in real seconds."""


def handshake_timeout(real_seconds: float | None = None) -> float:
    """A TLS handshake's limit as loop time: handshakes are real work and run in real time at
    any speed (sipdect.clock), so `real_seconds` (default asyncio's 60) are scaled up."""
    return clock.current().virtual(TLS_HANDSHAKE_S if real_seconds is None else real_seconds)


TCP_GIVE_UP_S = 30.0
"""Bytes a host wrote on a TCP connection whose link is cut are held (unacknowledged); once
the oldest has waited this long the connection gives up: its application hears
connection_lost(TimeoutError), as from a kernel's retransmission time-out, and the peer gets
a reset when the link heals. Linux gives up after some 15 minutes (tcp_retries2); the
emulator's choice is shorter, so that an RFP whose OMM went silent behind a cut moves to the
other OMM of its pair during a demo (a real RFP's own time-out is not public)."""

P = TypeVar("P", bound=asyncio.BaseProtocol)


@dataclass
class Endpoint:
    """A listener a host offers, as the ready file and /_emu/hosts name it."""

    component: str
    name: str
    protocol: str
    host: str
    port: int

    def as_dict(self) -> dict[str, Any]:
        return {"component": self.component, "name": self.name, "protocol": self.protocol,
                "host": self.host, "port": self.port}


def send_at_once(transport: asyncio.BaseTransport) -> None:
    """TCP_NODELAY on a stream's socket: each small message (an AXI answer, an air link frame)
    leaves at once instead of waiting for the previous one's acknowledgement."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def peer_of(transport: asyncio.BaseTransport) -> tuple[str, str] | None:
    """The connection's peer as ("host:port", "host") for logs and per-source rules; None
    when the transport does not know it."""
    peer = transport.get_extra_info("peername")
    if not peer:
        return None
    return f"{peer[0]}:{peer[1]}", str(peer[0])


class HostNet:
    """The sockets of one host at `address` (an IPv4 address of the loopback network)."""

    def __init__(self, name: str, address: str) -> None:
        self.name = name
        self.address = address
        self._cut: set[str] = set()
        self._waiters: set[asyncio.Future[None]] = set()
        self._streams: set[_GuardedStream] = set()
        self._datagrams: set[_GuardedDatagram] = set()
        self._servers: set[asyncio.Server] = set()
        self._sockets: set[socket.socket] = set()
        self._on_kill: list[Callable[[socket.socket], None]] = []
        self.dead = False
        self.tcp_give_up_s = TCP_GIVE_UP_S
        """How long bytes held by a cut may wait before their connection gives up."""
        self.capture: Recorder | None = None
        """The capture this host records into (docs/capture.md), None when not capturing: its
        TLS connections log their session keys there, its components their records."""

    def __repr__(self) -> str:
        return f"HostNet({self.name!r}, {self.address!r})"

    # -- cut and heal ----------------------------------------------------------------------
    @property
    def cut_peers(self) -> frozenset[str]:
        """The addresses this host cannot reach now."""
        return frozenset(self._cut)

    def allows(self, peer: str) -> bool:
        """Whether traffic with `peer` (an address) flows."""
        return not self._cut or peer not in self._cut

    def cut(self, peer: str) -> None:
        """Drop all traffic with `peer` from now on (both ways, at this host)."""
        if peer == self.address or peer in self._cut:
            return
        self._cut.add(peer)
        log.info("%s (%s): link to %s cut", self.name, self.address, peer)

    def heal(self, peer: str) -> None:
        """Traffic with `peer` flows again: held TCP bytes go on, waiting connects proceed."""
        if peer not in self._cut:
            return
        self._cut.discard(peer)
        log.info("%s (%s): link to %s healed", self.name, self.address, peer)
        for stream in list(self._streams):
            if stream.peer_host == peer:
                stream.release()
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(None)

    async def _reachable(self, host: str, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.allows(host):
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"connect to {host} timed out (the link is cut)")
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(asyncio.shield(waiter), left)
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)

    # -- sockets -----------------------------------------------------------------------------
    def _alive(self) -> None:
        if self.dead:
            raise OSError(f"host {self.name} is down")

    async def create_server(self, factory: Callable[[], asyncio.BaseProtocol], port: int, *,
                            ssl: ssl.SSLContext | None = None,
                            ssl_handshake_timeout: float | None = None,
                            backlog: int = 100) -> asyncio.Server:
        """Listen on this host's address (port 0: any free port)."""
        self._alive()
        if ssl is not None and self.capture is not None:
            self.capture.log_keys(ssl)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _GuardedStream(self, factory()), self.address, port, ssl=ssl,
            ssl_handshake_timeout=handshake_timeout(ssl_handshake_timeout) if ssl else None,
            reuse_address=True, backlog=backlog)
        self._servers.add(server)
        return server

    async def create_connection(self, factory: Callable[[], P], host: str, port: int, *,
                                ssl: ssl.SSLContext | None = None,
                                server_hostname: str | None = None,
                                timeout: float = CONNECT_TIMEOUT_S
                                ) -> tuple[asyncio.Transport, P]:
        """Connect from this host's address; waits while the link to `host` is cut."""
        self._alive()
        await self._reachable(host, timeout)
        self._alive()
        if ssl is not None and self.capture is not None:
            self.capture.log_keys(ssl)
        loop = asyncio.get_running_loop()
        inner = factory()
        _, guard = await loop.create_connection(
            lambda: _GuardedStream(self, inner), host, port, ssl=ssl,
            server_hostname=server_hostname, local_addr=(self.address, 0),
            ssl_handshake_timeout=handshake_timeout() if ssl else None)
        assert guard.proxy is not None
        return guard.proxy, inner

    async def create_datagram_endpoint(self, factory: Callable[[], P], port: int = 0, *,
                                       remote: tuple[str, int] | None = None
                                       ) -> tuple[asyncio.DatagramTransport, P]:
        """A UDP socket on this host's address (port 0: any free port)."""
        self._alive()
        loop = asyncio.get_running_loop()
        inner = factory()
        _, guard = await loop.create_datagram_endpoint(
            lambda: _GuardedDatagram(self, inner), local_addr=(self.address, port),
            remote_addr=remote)
        assert guard.proxy is not None
        return guard.proxy, inner

    def udp_socket(self, port: int) -> socket.socket:
        """A bound, non-blocking UDP socket for a hot path that reads it itself (RTP); check
        `allows(peer)` before sending and after receiving. Closed by kill()."""
        self._alive()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.address, port))
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self._sockets.add(sock)
        return sock

    def release_socket(self, sock: socket.socket) -> None:
        """The owner closed a udp_socket()."""
        self._sockets.discard(sock)

    def on_kill(self, callback: Callable[[socket.socket], None]) -> None:
        """Called with each udp_socket() kill() closes (its owner removes its reader)."""
        self._on_kill.append(callback)

    def kill(self) -> None:
        """Drop every socket at once: connections reset, listeners gone, nothing flushed.
        New sockets are refused until revive()."""
        self.dead = True
        for server in list(self._servers):
            server.close()
        self._servers.clear()
        for stream in list(self._streams):
            stream.kill()
        for datagram in list(self._datagrams):
            datagram.kill()
        for sock in list(self._sockets):
            for callback in self._on_kill:
                callback(sock)
            sock.close()
        self._sockets.clear()
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_exception(OSError(f"host {self.name} is down"))

    def revive(self) -> None:
        """The host starts again (after kill): sockets may be opened anew."""
        self.dead = False

    @property
    def connections(self) -> int:
        """Open TCP connections (accepted and made)."""
        return len(self._streams)


# -- the guards: between asyncio's transports and the component's protocols ---------------------


_SCRATCH = threading.local()
SCRATCH_OCTETS = 65536


def _scratch() -> memoryview:
    """The read buffer of streams whose bytes are held or go to a plain Protocol: one per
    thread, not one per stream (hundreds of RFP links held 64 KiB each). asyncio fills it and
    reports it in one synchronous step (get_buffer, recv_into, buffer_updated), so streams of
    one event loop never overlap in it. A memoryview: asyncio's SSL read loop fills a
    bytearray's copy (issue 9's lost NULs)."""
    view: memoryview | None = getattr(_SCRATCH, "view", None)
    if view is None:
        view = _SCRATCH.view = memoryview(bytearray(SCRATCH_OCTETS))
    return view


class _GuardedStream(asyncio.BufferedProtocol):
    """A TCP (or TLS) connection of a host: passes bytes through while the link to the peer
    is up, holds them while it is cut."""

    def __init__(self, net: HostNet, inner: asyncio.BaseProtocol) -> None:
        self.net = net
        self.inner = inner
        self.transport: asyncio.Transport | None = None
        self.proxy: _StreamProxy | None = None
        self.peer_host = ""
        self._buffered = isinstance(inner, asyncio.BufferedProtocol)
        self._held_in: list[bytes] = []
        self._held_out: list[bytes] = []
        self._lost: tuple[Exception | None] | None = None
        """The underlying connection ended while the link was cut (told on heal)."""
        self._local_close: str | None = None
        """The application closed ("close") or aborted ("abort") while the link was cut."""
        self._gone = False
        self._give_up: asyncio.TimerHandle | None = None
        """Armed with the first byte held on the way out (TCP_GIVE_UP_S)."""

    # asyncio's side
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer_host = peer[0] if peer else ""
        self.proxy = _StreamProxy(self, transport)
        self.net._streams.add(self)
        if self.net.dead:
            transport.abort()
            return
        self.inner.connection_made(self.proxy)

    def get_buffer(self, sizehint: int) -> Any:
        if self._buffered and self.net.allows(self.peer_host) and not self._held_in:
            return self.inner.get_buffer(sizehint)  # type: ignore[attr-defined]
        return _scratch()

    def buffer_updated(self, nbytes: int) -> None:
        if self._gone:
            return
        if self._buffered and self.net.allows(self.peer_host) and not self._held_in:
            self.inner.buffer_updated(nbytes)  # type: ignore[attr-defined]
            return
        self.data_received(bytes(_scratch()[:nbytes]))

    def data_received(self, data: bytes) -> None:
        if self._gone:
            return
        if not self.net.allows(self.peer_host) or self._held_in:
            self._held_in.append(data)
            return
        self._deliver(data)

    def _deliver(self, data: bytes) -> None:
        if self._buffered:
            view = memoryview(data)
            while view:
                buf = memoryview(self.inner.get_buffer(len(view)))  # type: ignore[attr-defined]
                n = min(len(buf), len(view))
                buf[:n] = view[:n]
                self.inner.buffer_updated(n)  # type: ignore[attr-defined]
                view = view[n:]
        else:
            self.inner.data_received(data)  # type: ignore[attr-defined]

    def eof_received(self) -> bool | None:
        if self._gone or not self.net.allows(self.peer_host):
            return None
        return self.inner.eof_received()  # type: ignore[attr-defined,no-any-return]

    def connection_lost(self, exc: Exception | None) -> None:
        self.net._streams.discard(self)
        if self._gone:
            self._disarm()
            return
        if not self.net.allows(self.peer_host) and self._local_close is None:
            self._lost = (exc,)  # the peer's close reaches us when the link heals
            self.net._streams.add(self)
            return
        self._gone = True
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    # the component's side (through _StreamProxy)
    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.transport is None or self._gone:
            return
        if not self.net.allows(self.peer_host):
            self._held_out.append(bytes(data))
            if self._give_up is None:
                self._give_up = asyncio.get_running_loop().call_later(
                    self.net.tcp_give_up_s, self._timed_out)
            return
        self.transport.write(data)

    def _timed_out(self) -> None:
        """Held too long: the connection gives up, as TCP does after its retransmissions."""
        self._give_up = None
        if self._gone or self.net.allows(self.peer_host) or not self._held_out:
            return
        log.info("%s (%s): connection to %s given up: nothing acknowledged for %g s",
                 self.net.name, self.net.address, self.peer_host, self.net.tcp_give_up_s)
        self._local_close = "abort"  # the peer hears a reset once the link heals
        self._held_out.clear()
        self._held_in.clear()
        self._gone = True
        self.inner.connection_lost(TimeoutError(
            f"no acknowledgement from {self.peer_host} for {self.net.tcp_give_up_s:g} s"))

    def _disarm(self) -> None:
        if self._give_up is not None:
            self._give_up.cancel()
            self._give_up = None

    def close_from_app(self, abort: bool) -> None:
        if self.transport is None:
            return
        if self.net.allows(self.peer_host):
            if abort:
                self.transport.abort()
            else:
                self.transport.close()
            return
        # Cut: the application is done with it at once; the peer hears of it on heal.
        self._local_close = "abort" if abort else "close"
        if not self._gone:
            self._gone = True
            loop = asyncio.get_running_loop()
            loop.call_soon(self.inner.connection_lost, None)

    def release(self) -> None:
        """The link healed: what was held goes on."""
        self._disarm()
        transport = self.transport
        if transport is None:
            return
        held_out, self._held_out = self._held_out, []
        for data in held_out:
            if not transport.is_closing():
                transport.write(data)
        if self._local_close is not None:
            if self._local_close == "abort":
                transport.abort()
            else:
                transport.close()
            return
        held_in, self._held_in = self._held_in, []
        for data in held_in:
            if self._gone:
                break
            self._deliver(data)
        if self._lost is not None and not self._gone:
            (exc,) = self._lost
            self._lost = None
            self.net._streams.discard(self)
            self._gone = True
            self.inner.connection_lost(exc)

    def kill(self) -> None:
        self._disarm()
        if self.transport is not None:
            self.transport.abort()
        self._held_in.clear()
        self._held_out.clear()


class _StreamProxy(asyncio.Transport):
    """The transport a component's protocol sees: asyncio's, with writes and closes guarded."""

    def __init__(self, guard: _GuardedStream, transport: asyncio.Transport) -> None:
        super().__init__()
        self._guard = guard
        self._transport = transport

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._guard.write(data)

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self._guard.write(data)

    def close(self) -> None:
        self._guard.close_from_app(abort=False)

    def abort(self) -> None:
        self._guard.close_from_app(abort=True)

    def is_closing(self) -> bool:
        return self._guard._gone or self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def write_eof(self) -> None:
        if self._guard.net.allows(self._guard.peer_host):
            self._transport.write_eof()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._guard.inner = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._guard.inner


class _GuardedDatagram(asyncio.DatagramProtocol):
    """A UDP socket of a host: datagrams to or from a cut peer are dropped."""

    def __init__(self, net: HostNet, inner: asyncio.BaseProtocol) -> None:
        self.net = net
        self.inner = inner
        self.transport: asyncio.DatagramTransport | None = None
        self.proxy: _DatagramProxy | None = None
        self.remote: tuple[str, int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector datagram transport does not derive from DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)
        peer = transport.get_extra_info("peername")
        self.remote = (peer[0], peer[1]) if peer else None
        self.proxy = _DatagramProxy(self, self.transport)
        self.net._datagrams.add(self)
        self.inner.connection_made(self.proxy)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if self.net.allows(addr[0]):
            self.inner.datagram_received(data, addr)  # type: ignore[attr-defined]

    def error_received(self, exc: Exception) -> None:
        self.inner.error_received(exc)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        self.net._datagrams.discard(self)
        self.inner.connection_lost(exc)

    def sendto(self, data: bytes, addr: tuple[str, int] | None) -> None:
        if self.transport is None:
            return
        target = addr or self.remote
        if target is not None and not self.net.allows(target[0]):
            return
        self.transport.sendto(data, addr)

    def kill(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class _DatagramProxy(asyncio.DatagramTransport):
    def __init__(self, guard: _GuardedDatagram, transport: asyncio.DatagramTransport) -> None:
        super().__init__()
        self._guard = guard
        self._transport = transport

    def sendto(self, data: Any, addr: Any = None) -> None:
        self._guard.sendto(data, addr)

    def close(self) -> None:
        self._transport.close()

    def abort(self) -> None:
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._guard.inner = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._guard.inner
