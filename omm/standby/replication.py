"""The asyncio edge of the standby link (docs/architecture.md "Standby link"): a TLS listener
(the standby) and a TLS client (the active) around StandbyLinkSession, the active's
`await replicate(ops)` and the whole-database push after a split (standby-eventmgr.md A.2).

TLS hides the traffic; the server shows the OMM's installation certificate, the client checks
no name (the partner is an address from the pair's config): the HMAC proof over the shared
secret is what authenticates the pair. Received changes and snapshots are applied to the
store all or none, then acknowledged; `on_applied` lets the model read them (OmmModel.reload).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
from collections.abc import Callable, Iterable, Sequence

from omm.model import REPLICATED_TABLES
from omm.standby.link import (
    ACK_TIMEOUT_S,
    HANDSHAKE_S,
    HEARTBEAT_S,
    NONCE_OCTETS,
    PORT,
    SILENCE_S,
    SNAPSHOT_TIMEOUT_S,
    Acked,
    ChangeReceived,
    Hello,
    LinkClosed,
    LinkState,
    PartnerAuthenticated,
    PartnerRole,
    Role,
    Side,
    SnapshotReceived,
    StandbyLinkError,
    StandbyLinkSession,
)
from sipdect import clock
from sipdect.net import HostNet, peer_of, send_at_once
from sipdect.store import Store, StoreError, StoreOp

log = logging.getLogger("sipdect.omm.standby")

EventLogger = Callable[[str, str, str], object]
"""(level, subsystem, text): OmmModel.log or EventLog.add."""

OVERWRITTEN_TEXT = ("database overwritten by the standby partner {address}: it has run longer "
                    "({uptime:.0f} s); changes made here while apart are lost")
"""The event-log line of the OMM whose database a snapshot replaced after it had served on its
own (A.2 re-merge rule)."""
RECEIVED_TEXT = "database received from the active partner {address}"
"""The event-log line of a standby that took its partner's database at the start of a contact
(nothing of its own was lost: it served nobody)."""


class StandbyUnavailable(StandbyLinkError):
    """The partner is gone or did not acknowledge in time: the pair is NotSynchronized; what
    was committed locally stays."""


class PairMember:
    """This OMM as one of a standby pair: its store, what it tells its partner, its secret."""

    def __init__(self, store: Store, *, secret: bytes, omm_type: str, sw_version: str,
                 address: str, role: Role = Role.STARTING, started: float | None = None,
                 tables: Sequence[str] = REPLICATED_TABLES,
                 on_applied: Callable[[], None] | None = None,
                 event_log: EventLogger | None = None, net: HostNet | None = None,
                 heartbeat: float = HEARTBEAT_S, silence: float = SILENCE_S) -> None:
        """`heartbeat`, `silence`: the links' Ping period and loss time (the pair's config)."""
        if not secret:
            raise ValueError("a standby pair needs a shared secret")
        self.store = store
        self.secret = secret
        self.omm_type = omm_type
        self.sw_version = sw_version
        self.address = address
        self.role = role
        """Told to the partner in each new connection's Hello."""
        self.started = clock.now() if started is None else started
        """clock.now() at this OMM's start: the Hello's uptime counts from it."""
        self.tables = tuple(tables)
        self.on_applied = on_applied
        self.event_log = event_log
        self.net = net or HostNet("omm", address)
        self.heartbeat = heartbeat
        self.silence = silence
        self.on_partner: Callable[[PartnerLink], None] | None = None
        """Called when an incoming connection has authenticated (the standby's side)."""
        self.on_role: Callable[[PartnerLink, Role], None] | None = None
        """Called when the partner says its role changed."""
        self.links: set[PartnerLink] = set()
        self.served_apart = True
        """A snapshot received overwrites changes made here (this OMM was active on its own,
        the re-merge rule): the event log says they are lost; False: says it was received."""

    def hello(self) -> Hello:
        return Hello(self.omm_type, self.sw_version, max(0.0, clock.now() - self.started),
                     self.address, self.role, secrets.token_bytes(NONCE_OCTETS))

    async def serve(self, tls: ssl.SSLContext, port: int = PORT) -> asyncio.Server:
        """Listen for the partner on this OMM's address (port 0: any free port)."""
        return await self.net.create_server(lambda: PartnerLink(self, Side.SERVER), port,
                                            ssl=tls, ssl_handshake_timeout=HANDSHAKE_S)

    async def connect(self, host: str, tls: ssl.SSLContext, port: int = PORT, *,
                      timeout: float = HANDSHAKE_S) -> PartnerLink:
        """Connect to the partner and wait until both proved the secret; StandbyUnavailable
        if it cannot be reached, refuses us or says nothing in time."""
        try:
            _, link = await asyncio.wait_for(self.net.create_connection(
                lambda: PartnerLink(self, Side.CLIENT), host, port, ssl=tls,
                timeout=timeout), timeout)
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            raise StandbyUnavailable(f"cannot reach the standby partner {host}:{port}: "
                                     f"{exc or type(exc).__name__}") from None
        await link.wait_authenticated()
        return link

    def set_role(self, role: Role) -> None:
        """Our role from now on: told to the partner on every link up, and in later Hellos."""
        if role is self.role:
            return
        self.role = role
        for link in list(self.links):
            link.session.send_role(role)
            link.flush()

    def close(self) -> None:
        for link in list(self.links):
            link.close("closed by its OMM")


class PartnerLink(asyncio.Protocol):
    """One TLS connection to the partner OMM: either end, both directions."""

    def __init__(self, member: PairMember, side: Side) -> None:
        self.member = member
        self.session = StandbyLinkSession(side, member.secret, member.hello(), clock.now(),
                                          heartbeat=member.heartbeat, silence=member.silence)
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        loop = asyncio.get_running_loop()
        self._authenticated: asyncio.Future[Hello] = loop.create_future()
        self.closed: asyncio.Future[str] = loop.create_future()
        """The reason, once the link is over."""
        self._acks: dict[int, asyncio.Future[None]] = {}
        self._timer: asyncio.TimerHandle | None = None

    @property
    def partner(self) -> Hello | None:
        """The partner's Hello, once it authenticated."""
        return self.session.partner if self.session.state is LinkState.UP else None

    # -- asyncio -------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = peer_of(transport)
        if peer is not None:
            self.peer = peer[0]
        send_at_once(transport)
        self.member.links.add(self)
        self._process()

    def data_received(self, data: bytes) -> None:
        self.session.receive_data(data, clock.now())
        self._process()

    def eof_received(self) -> bool | None:
        self.session.receive_data(b"", clock.now())
        self._process()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.session.close(f"connection lost{f': {exc}' if exc else ''}")
        self._process()
        self.member.links.discard(self)

    # -- the session's output --------------------------------------------------------------------
    def _process(self) -> None:
        while (event := self.session.next_event()) is not None:
            if isinstance(event, PartnerAuthenticated):
                log.info("standby partner %s (%s, %s, %s) authenticated", self.peer,
                         event.hello.address, event.hello.omm_type, event.hello.sw_version)
                self._authenticated.set_result(event.hello)
                if self.session.own_hello.role is not self.member.role:  # changed meanwhile
                    self.session.send_role(self.member.role)
                if self.session.side is Side.SERVER and self.member.on_partner is not None:
                    self.member.on_partner(self)
            elif isinstance(event, PartnerRole):
                if self.member.on_role is not None:
                    self.member.on_role(self, event.role)
            elif isinstance(event, ChangeReceived):
                self._apply(event.seq, lambda: self.member.store.apply(event.ops),
                            {op.table for op in event.ops})
            elif isinstance(event, SnapshotReceived):
                if self._apply(event.seq, lambda: self.member.store.replace(event.tables),
                               set(event.tables)):
                    self._overwritten()
            elif isinstance(event, Acked):
                waiter = self._acks.pop(event.seq, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
            elif isinstance(event, LinkClosed):
                self._on_closed(event)
        self.flush()
        self._arm_timer()

    def _apply(self, seq: int, apply: Callable[[], None], tables: set[str]) -> bool:
        foreign = sorted(tables - set(self.member.tables))
        try:
            if foreign:
                raise StoreError(f"table {', '.join(foreign)} is not replicated")
            apply()
        except StoreError as exc:
            log.warning("standby partner %s: cannot apply its changes: %s", self.peer, exc)
            self.session.refuse(f"cannot apply: {exc}")
            return False
        if self.member.on_applied is not None:
            self.member.on_applied()
        self.session.ack(seq)
        return True

    def _overwritten(self) -> None:
        partner = self.session.partner
        assert partner is not None
        if self.member.served_apart:
            level = "MajorErr"
            text = OVERWRITTEN_TEXT.format(address=partner.address, uptime=partner.uptime)
            log.warning("%s", text)
        else:
            level, text = "GenInfo", RECEIVED_TEXT.format(address=partner.address)
            log.info("%s", text)
        if self.member.event_log is not None:
            self.member.event_log(level, "STANDBY", text)

    def _on_closed(self, event: LinkClosed) -> None:
        log.info("standby link %s closed: %s", self.peer, event.reason)
        if not self._authenticated.done():
            self._authenticated.set_exception(StandbyUnavailable(
                f"standby partner {self.peer}: {event.reason}"))
            self._authenticated.exception()  # retrieved: nobody may be waiting
        for waiter in self._acks.values():
            if not waiter.done():
                waiter.set_exception(StandbyUnavailable(event.reason))
                waiter.exception()
        self._acks.clear()
        if not self.closed.done():
            self.closed.set_result(event.reason)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.transport is not None:
            self.flush(closing=True)
            self.transport.close()

    def flush(self, *, closing: bool = False) -> None:
        """Write what the session queued."""
        data = self.session.data_to_send()
        if data and self.transport is not None and (closing or not self.transport.is_closing()):
            self.transport.write(data)

    def _arm_timer(self) -> None:
        # One timer per link; when it fires the session re-checks its real deadline.
        if self._timer is not None or self.session.closed:
            return
        deadline = self.session.get_timer()
        if deadline is not None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.session.handle_timer(clock.now())
        self._process()

    # -- what the OMM does with the link -----------------------------------------------------------
    async def wait_authenticated(self) -> Hello:
        """The partner's Hello once both proved the secret; StandbyUnavailable if the link
        closed first."""
        return await asyncio.shield(self._authenticated)

    async def replicate(self, ops: Iterable[StoreOp], *, timeout: float = ACK_TIMEOUT_S) -> None:
        """Send one committed transaction's ops (those of replicated tables) and return once
        the partner applied and committed them. StandbyUnavailable when the link is down, or
        no Ack came within `timeout`: then the link is closed (a partner that does not answer
        is lost; a new link starts with a snapshot) and the local change stays."""
        wanted = tuple(op for op in ops if op.table in self.member.tables)
        if not wanted:
            return
        await self._send_and_wait(lambda: self.session.send_change(wanted), timeout, "change")

    async def push_snapshot(self, *, timeout: float = SNAPSHOT_TIMEOUT_S) -> None:
        """Overwrite the partner's replicated tables with ours (we ran longer, A.2); return
        once it committed them."""
        store = self.member.store
        tables = [(table, store.rows(table)) for table in self.member.tables]
        await self._send_and_wait(lambda: self.session.send_snapshot(tables), timeout,
                                  "snapshot")

    async def _send_and_wait(self, send: Callable[[], int], timeout: float, what: str) -> None:
        if self.session.state is not LinkState.UP or self.transport is None:
            raise StandbyUnavailable(f"the standby link is not up ({self.session.state.value})")
        seq = send()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._acks[seq] = waiter
        self.flush()
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            self.close(f"the partner did not acknowledge {what} {seq} within {timeout:g} s")
            raise StandbyUnavailable(
                f"the standby partner did not acknowledge within {timeout:g} s") from None

    def close(self, reason: str) -> None:
        """End the link (idempotent)."""
        self.session.close(reason)
        self._process()
