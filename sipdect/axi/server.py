"""The asyncio edge of an AXI server (an OMM's AXI on 12621/12622, the MOM's MAXI on 12624):
its listeners around AxiServerSession.

A few dozen lines: pump bytes into the session, requests into the API, frames out
one write each with TCP_NODELAY, and the session's timer into call_at. An Open's password
is checked by the gatekeeper off the loop; meanwhile the connection reads nothing more and
its later requests wait, and a failed Open's answer is held back (the tarpit). What the
server does with a request is its AxiService's (dispatch, events, its client limit).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable
from typing import Protocol

from sipdect import clock
from sipdect.axi.codec import Message
from sipdect.axi.dispatch import Answer, Ctx, PendingAnswer, PendingVerification, Verdict
from sipdect.axi.gate import Gatekeeper
from sipdect.axi.session import (
    AxiServerSession,
    ConnectionTerminated,
    LinkState,
    RequestReceived,
)
from sipdect.net import HostNet, peer_of, send_at_once


class Link(Protocol):
    """What a service needs of a connection: push queued frames, drop it."""

    def flush(self) -> None: ...

    def abort(self, reason: str) -> None: ...


class AxiService(Protocol):
    """A server behind AXI connections: the OMM's AxiApi, the MOM's MAXI."""

    @property
    def gatekeeper(self) -> Gatekeeper:
        """Connections not logged in yet; its log and label are the server's."""

    @property
    def client_limit(self) -> int:
        """Sessions that may be logged in at once (axiClients)."""

    @property
    def logged_in(self) -> int:
        """Sessions logged in now."""

    def attach(self, session: AxiServerSession, link: Link) -> None: ...

    def detach(self, session: AxiServerSession) -> None: ...

    def handle(self, ctx: Ctx, req: Message) -> Answer:
        """The answer, or how to get it (a check off the loop, something to wait for)."""

    def conclude(self, ctx: Ctx, req: Message, pending: PendingVerification,
                 verified: bool) -> Verdict:
        """The answer once the verification came back; never raises."""

    def replicating(self) -> Awaitable[None] | None:
        """What an answer must wait for (None: nothing)."""

    def deliver(self) -> None:
        """Hand queued events to their sessions."""


class AxiConnection(asyncio.BufferedProtocol):
    #: One reusable receive buffer per connection: asyncio's default 256 KiB read
    #: buffers made throughput depend on the allocator's mmap threshold.
    BUFFER_SIZE = 16384

    def __init__(self, api: AxiService, label: str) -> None:
        # Handed out as a memoryview: asyncio's TLS transport reads a second record into
        # `buf[offset:]`, which for a bytearray is a copy, so the bytes it then reports
        # (a request's NUL sent as a record of its own) were never written here.
        self._buffer = memoryview(bytearray(self.BUFFER_SIZE))
        self.api = api
        self.label = label
        self.log: logging.Logger = api.gatekeeper.log
        self.transport: asyncio.Transport | None = None
        self.session = AxiServerSession(clock.now(),
                                        login_timeout=api.gatekeeper.limits.login_timeout)
        self.peer = "?"
        self.source = "?"
        self._waiting = False
        """Counted by the pre-login gate: connected, not logged in yet."""
        self._timer: asyncio.TimerHandle | None = None
        self._verification: asyncio.Task[bool] | None = None
        self._held: asyncio.TimerHandle | None = None
        """A failed Open's answer, held back."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = peer_of(transport)
        if peer is not None:
            self.peer, self.source = peer
        send_at_once(transport)
        gatekeeper = self.api.gatekeeper
        limit = self.api.client_limit
        if self.api.logged_in >= limit:
            gatekeeper.refused(self.source, f"already {limit} clients logged in (axiClients)")
            transport.abort()
            return
        if not gatekeeper.admit(self, self.source):
            transport.abort()
            return
        self._waiting = True
        self.api.attach(self.session, self)
        self._arm_timer()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(self._buffer[:nbytes]))

    def data_received(self, data: bytes) -> None:
        self.session.receive_data(data, clock.now())
        self._process()

    def _process(self) -> None:
        while (event := self.session.next_event()) is not None:
            if isinstance(event, RequestReceived):
                ctx = Ctx(self.session, self.peer)
                answer = self.api.handle(ctx, event.request)
                if isinstance(answer, PendingVerification):
                    self._verify(ctx, event.request, answer)
                elif isinstance(answer, PendingAnswer):
                    self._await(event.request, answer)
                elif (waiting := self.api.replicating()) is not None:
                    self._hold(event.request, answer, waiting)
                else:  # only an Open logs in, and an Open is always verified first
                    self.session.respond(event.request, answer)
            elif isinstance(event, ConnectionTerminated):
                if self._waiting:  # summed up per source: anyone can open these
                    self.api.gatekeeper.refused(self.source, event.reason)
                else:
                    self.log.warning("%s %s %s: closing: %s", self.api.gatekeeper.label,
                                     self.label, self.peer, event.reason)
                self.flush()
                self._close()
                return
        self.flush()
        self.api.deliver()
        self._arm_timer()

    def _hold(self, request: Message, answer: Message, waiting: Awaitable[None]) -> None:
        """One of a standby pair: answer once the partner has what this request changed
        (and read nothing more meanwhile)."""
        self.session.defer(request)
        if self.transport is not None:
            self.transport.pause_reading()
        asyncio.ensure_future(waiting).add_done_callback(
            lambda _: self._release(request, answer))

    def _await(self, request: Message, pending: PendingAnswer) -> None:
        """Answer when the answer is there (and read nothing more meanwhile)."""
        self.session.defer(request)
        if self.transport is not None:
            self.transport.pause_reading()
        task = asyncio.ensure_future(pending.answer)
        task.add_done_callback(lambda t: None if t.cancelled() or self.session.closing
                               else self._release(request, t.result()))

    def _verify(self, ctx: Ctx, request: Message, pending: PendingVerification) -> None:
        """Check the password in a worker thread; read nothing more until the answer."""
        self.session.defer(request)
        if self.transport is not None:
            self.transport.pause_reading()
        self._verification = task = asyncio.ensure_future(
            self.api.gatekeeper.check_password(pending.check))
        task.add_done_callback(lambda t: self._verified(ctx, request, pending, t))

    def _verified(self, ctx: Ctx, request: Message, pending: PendingVerification,
                  task: asyncio.Task[bool]) -> None:
        self._verification = None
        if task.cancelled():
            return
        failure = task.exception()
        if failure is not None:
            self.log.error("%s %s %s: password check failed", self.api.gatekeeper.label,
                           self.label, self.peer, exc_info=failure)
        # Concluded even when the link is gone: a failed login is logged all the same.
        verdict = self.api.conclude(ctx, request, pending, failure is None and task.result())
        if self.transport is None or self.transport.is_closing():
            return
        if verdict.delay > 0:
            self._held = asyncio.get_running_loop().call_later(
                verdict.delay, self._release, request, verdict.response)
        else:
            self._release(request, verdict.response)

    def _release(self, request: Message, response: Message) -> None:
        """Answer the deferred request, then serve what waited behind it."""
        self._held = None
        self.session.respond(request, response)
        if self._waiting and self.session.state is LinkState.OPEN:  # logged in (Open)
            self._waiting = False
            self.api.gatekeeper.done(self)
        self.session.handle_timer(clock.now())  # a login deadline passed meanwhile
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()
        self._process()

    def flush(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        for data in self.session.frames_to_send():
            self.transport.write(data)  # one message per write (axi.md §1.1)

    def _arm_timer(self) -> None:
        # One timer per connection; when it fires the session re-checks its real
        # deadline, so activity never has to cancel and re-arm it.
        if self._timer is not None:
            return
        deadline = self.session.get_timer()
        if deadline is not None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.session.handle_timer(clock.now())
        self._process()

    def abort(self, reason: str) -> None:
        self.log.info("%s %s %s: closing: %s", self.api.gatekeeper.label, self.label,
                      self.peer, reason)
        self.session.close(reason)
        if self.transport is not None:
            self.transport.abort()

    def drop(self) -> None:
        """Close a connection that has not logged in, without a log line of its own (the
        pre-login gate reports it per source)."""
        self.session.close("dropped before login")
        if self.transport is not None:
            self.transport.abort()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._held is not None:
            self._held.cancel()
        self.session.close("connection lost")
        self.api.detach(self.session)
        self.api.gatekeeper.done(self)
        if exc is not None and not isinstance(exc, ConnectionResetError):
            self.log.info("%s %s %s: connection lost: %s", self.api.gatekeeper.label,
                          self.label, self.peer, exc)


async def serve(api: AxiService, host: str, port: int, tls: ssl.SSLContext | None = None, *,
                net: HostNet | None = None, host_name: str = "axi") -> asyncio.Server:
    """Start one AXI listener on the server's host (`net`, else a HostNet `host_name` at
    `host`); port 0 picks a free port."""
    label = "TLS" if tls else "TCP"
    net = net or HostNet(host_name, host)
    return await net.create_server(lambda: AxiConnection(api, label), port, ssl=tls,
                                   ssl_handshake_timeout=10.0 if tls else None)
