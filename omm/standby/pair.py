"""One OMM of a standby pair at run time (docs/architecture.md "Standby pair";
standby-eventmgr.md Part A): the state machine (omm.standby.machine) fed by the standby link
(omm.standby.replication) and PBX probes, its actions carried out through the OMM that owns it,
and every committed configuration change copied to the partner, in order, while this OMM is
active.

The link: both OMMs listen on the pair's port at their address; the one with the lower
address dials (again every heartbeat while there is no link), so there is one link per pair.
The partner is heard when its link authenticates (its Hello: role, uptime, address, type,
version) and each time it says its role changed; it is lost when the link closes (a reset, a
refused proof) or falls silent for the pair's `silence`.

Replication: the store tells the pair every committed transaction (Store.observe). While this
OMM is active and in contact with a fitting partner whose copy it has sent this contact, the
ops go into one queue that a single task sends in commit order, each awaited until the partner
committed it; `flushed()` is what an AXI answer waits for, so an acknowledged change is on both
OMMs. A change the partner does not acknowledge in time ends the contact (NotSynchronized); the
next contact starts with a whole copy, which is why nothing queued is kept when a contact ends.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from omm.config import StandbyConfig
from omm.standby import conventions as cv
from omm.standby.link import HANDSHAKE_S, Role
from omm.standby.machine import (
    AcceptPeerDb,
    BecomeActive,
    BecomeInactive,
    PeerInfo,
    Phase,
    PushDb,
    Reset,
    StandbyMachine,
    StartPbxProbe,
    Transitioned,
)
from omm.standby.replication import PairMember, PartnerLink, StandbyUnavailable
from omm.standby.status import StandbyStatus
from sipdect import tls
from sipdect.net import HostNet
from sipdect.store import Store, StoreOp

log = logging.getLogger("sipdect.omm.standby")

VAULT_KEY_INFO = b"sipdect standby pair vault key"
"""HKDF info of the pair's vault key (derived from the pair's secret; both OMMs derive the
same one, so each opens what the other sealed)."""
BATCH_CHANGES = 1000
"""Committed transactions sent to the partner as one at most (its frames split larger ones)."""
LAG_SAMPLES = 10_000
"""Replication lags (commit to the partner's Ack) kept for `sipdect bench failover`."""


def pair_vault_key(secret: str) -> bytes:
    """The vault key both OMMs of a pair seal secrets with, from the pair's secret."""
    salt = hashlib.sha256(b"sipdect standby").digest()
    return HKDF(hashes.SHA256(), 32, salt, VAULT_KEY_INFO).derive(secret.encode("utf-8"))


def dials(address: str, partner: str) -> bool:
    """The OMM with the lower address dials its partner (decided: one link per pair, and the
    lowest-IP rule already orders the two)."""
    return _ip_key(address) < _ip_key(partner)


def _ip_key(address: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(address)
    return ip.version, int(ip)


class PairOwner(Protocol):
    """What the pair asks of the OMM it belongs to (omm.service.OmmService)."""

    async def become_active(self) -> None:
        """Serve RFPs, phones and AXI from now on (the standby took over, or won)."""

    def reset_omm(self, exit_code: int) -> None:
        """Restart the OMM (A.2's reset): it comes back in Start-up, inactive."""

    async def probe_pbx(self, timeout: float) -> bool:
        """Is the call server reachable (REGISTER of the lowest number plus OPTIONS)?"""

    def partner_applied(self) -> None:
        """The partner's changes or copy were committed to our store."""


_LEVEL_OF = {Phase.RESET: "MajorErr", Phase.UNSYNC_ACTIVE: "MinorErr",
             Phase.UNSYNC_INACTIVE: "MinorErr"}
"""Event-log level of entering a phase (others GenInfo). Decided: running without a partner
is a minor error, a reset a major one."""


class StandbyPair:
    """This OMM's side of the pair, from its start until it stops or resets."""

    def __init__(self, cfg: StandbyConfig, owner: PairOwner, *, store: Store, address: str,
                 net: HostNet, server_tls: Any, status: StandbyStatus,
                 event_log: Callable[[str, str, str], object], omm_type: str, version: str,
                 served_apart: bool = False) -> None:
        """`served_apart`: this OMM restarted because it yielded after serving on its own
        (exit code 45): the copy it receives next overwrites what it changed meanwhile."""
        self.cfg = cfg
        self.owner = owner
        self.store = store
        self.address = address
        self.status = status
        self._event_log = event_log
        self._server_tls = server_tls
        self.member = PairMember(store, secret=cfg.secret.encode("utf-8"), omm_type=omm_type,
                                 sw_version=version, address=address, role=Role.STARTING,
                                 on_applied=owner.partner_applied, event_log=event_log,
                                 net=net, heartbeat=cfg.heartbeat, silence=cfg.silence)
        self.member.served_apart = served_apart
        self.member.on_partner = self._adopt
        self.member.on_role = self._role_heard
        self.machine: StandbyMachine | None = None
        self.link: PartnerLink | None = None
        self._peer_started = 0.0
        self._server: asyncio.Server | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        # Replication: (seq, ops or None for a whole copy, when committed).
        self._queue: deque[tuple[int, tuple[StoreOp, ...] | None, float]] = deque()
        self._queued = 0
        self._done = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._copy_sent = False
        """A whole copy was queued in this contact: changes may follow it."""
        self.last_copy_s: float | None = None
        """Seconds the last whole copy took to send until the partner's Ack."""
        self.probes = self.probes_failed = 0
        """PBX probes made, and those without an answer."""
        self.lags: deque[float] = deque(maxlen=LAG_SAMPLES)
        """Seconds from a change's commit to the partner's Ack, the last LAG_SAMPLES."""

    # -- life cycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self.machine = StandbyMachine(now, self.address, self.cfg.partner,
                                      self.member.omm_type, self.member.sw_version,
                                      peer_lost=self.cfg.silence,
                                      pbx_timeout=self.cfg.pbx_timeout)
        self.member.started = now
        self._server = await self.member.serve(self._server_tls, self.cfg.port)
        self.store.observe(self._committed)
        self._spawn(self._send_loop())
        if dials(self.address, self.cfg.partner):
            self._spawn(self._dial())
        self.status.update(self.machine.view(), f"Standby pair with {self.cfg.partner}: "
                           f"this OMM ({self.address}) starts, looking for its partner")
        self._arm()

    def close(self) -> None:
        """Stop (the OMM stops, is killed or resets): links closed, no timer left."""
        if self._closed:
            return
        self._closed = True
        self.store.unobserve(self._committed)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in list(self._tasks):
            task.cancel()
        self.member.close()
        if self._server is not None:
            self._server.close()
        self._end_contact()

    @property
    def active(self) -> bool:
        return self.machine is not None and self.machine.active

    @property
    def phase(self) -> Phase | None:
        return None if self.machine is None else self.machine.phase

    @property
    def role(self) -> Role:
        """What this OMM is in the pair, as its Hello and ROLE messages tell the partner."""
        machine = self.machine
        if machine is None or machine.phase is Phase.START_UP:
            return Role.STARTING
        return Role.ACTIVE if machine.active else Role.STANDBY

    # -- the link --------------------------------------------------------------------------------
    async def _dial(self) -> None:
        tls_client = tls.client_context()
        while not self._closed:
            if self.link is None:
                try:
                    link = await self.member.connect(self.cfg.partner, tls_client, self.cfg.port,
                                                     timeout=min(HANDSHAKE_S, self.cfg.silence))
                except StandbyUnavailable as exc:
                    log.debug("standby %s: %s", self.address, exc)
                else:
                    if not link.session.closed:
                        self._adopt(link)
            await asyncio.sleep(min(self.cfg.heartbeat, cv.DIAL_RETRY_S))

    def _adopt(self, link: PartnerLink) -> None:
        """A link authenticated (either side): the partner is heard."""
        if self._closed:
            link.close("this OMM is stopping")
            return
        old, self.link = self.link, link
        if old is not None and old is not link:
            old.close("replaced by a newer link")
        hello = link.partner
        assert hello is not None and self.machine is not None
        # Who has run longer, from the two uptimes the Hellos carried: both OMMs compare the
        # same two numbers, so they always agree on it (an estimate from each one's own
        # clock would disagree when they started within its error of each other).
        self._peer_started = self.machine.started + (link.session.own_hello.uptime
                                                     - hello.uptime)
        link.closed.add_done_callback(lambda f: self._link_closed(link, f.result()))
        self._heard(link)

    def _role_heard(self, link: PartnerLink, role: Role) -> None:
        if link is self.link:
            self._heard(link)

    def _heard(self, link: PartnerLink) -> None:
        """The partner on `link` is there, in the role it last told (its Hello's, or a ROLE)."""
        hello = link.partner
        assert self.machine is not None and hello is not None
        now = asyncio.get_running_loop().time()
        active = link.session.partner_role is Role.ACTIVE
        self.machine.peer_heard(now, PeerInfo(active, self._peer_started, hello.address,
                                              hello.omm_type, hello.sw_version))
        self._run()

    def _link_closed(self, link: PartnerLink, reason: str) -> None:
        if link is not self.link or self._closed:
            return
        self.link = None
        self._end_contact()
        assert self.machine is not None
        log.info("standby %s: link to %s closed: %s", self.address, self.cfg.partner, reason)
        self.machine.peer_silent(asyncio.get_running_loop().time())
        self._run()

    # -- the machine -----------------------------------------------------------------------------
    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.machine is None or self._closed:
            return
        deadline = self.machine.get_timer()
        if deadline is not None:
            self._timer = asyncio.get_running_loop().call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        assert self.machine is not None
        link = self.link
        if link is not None and link.partner is not None and not link.session.closed:
            # The link is alive (it closes itself after `silence`): the partner is heard.
            self._heard(link)
        self.machine.handle_timer(asyncio.get_running_loop().time())
        self._run()

    def _run(self) -> None:
        """Carry out what the machine asks, then show its view and arm its next deadline."""
        machine = self.machine
        assert machine is not None
        while (action := machine.next_action()) is not None:
            if isinstance(action, Transitioned):
                self._event_log(_LEVEL_OF.get(action.after, "GenInfo"), cv.LOG_SUBSYSTEM,
                                action.text)
                log.info("OMM %s: %s", self.address, action.text)
            elif isinstance(action, BecomeActive):
                self._spawn(self.owner.become_active())
            elif isinstance(action, StartPbxProbe):
                self._spawn(self._probe())
            elif isinstance(action, PushDb):
                self._queue_copy()
            elif isinstance(action, Reset):
                self._reset_later(action.exit_code)
            elif isinstance(action, (AcceptPeerDb, BecomeInactive)):
                pass  # a standby serves nothing; the active's copy arrives on the link
        self.member.set_role(self.role)
        if not self._closed:
            self.status.update(machine.view())
        self._arm()

    def _reset_later(self, exit_code: int) -> None:
        """A reset: the OMM restarts (after this turn, so the log and view are out first)."""
        asyncio.get_running_loop().call_soon(self.owner.reset_omm, exit_code)

    async def _probe(self) -> None:
        try:
            answered = await self.owner.probe_pbx(self.cfg.pbx_timeout)
        except Exception:  # a probe that breaks is a PBX that did not answer
            log.exception("standby %s: the PBX probe failed", self.address)
            answered = False
        if self._closed or self.machine is None:
            return
        self.probes += 1
        self.probes_failed += not answered
        now = asyncio.get_running_loop().time()
        if answered:
            self.machine.pbx_answered(now)
        else:
            self.machine.pbx_failed(now)
        self._run()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- replication -----------------------------------------------------------------------------
    def flushed(self) -> Awaitable[None] | None:
        """Something that completes once every change committed so far is on the partner or
        given up (the contact ended); None when nothing is outstanding."""
        if self._done >= self._queued:
            return None
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self._queued, waiter))
        return waiter

    def _committed(self, ops: tuple[StoreOp, ...]) -> None:
        if self._copy_sent and self.active and self.link is not None:
            self._enqueue(ops)

    def _queue_copy(self) -> None:
        if self.link is None:
            return
        self._copy_sent = True
        self._enqueue(None)

    def _enqueue(self, item: tuple[StoreOp, ...] | None) -> None:
        self._queued += 1
        self._queue.append((self._queued, item, time.monotonic()))
        self._wake.set()

    def _end_contact(self) -> None:
        """The contact is over: nothing queued goes (the next one starts with a copy)."""
        self._copy_sent = False
        self._queue.clear()
        self._settle(self._queued)

    def _settle(self, seq: int) -> None:
        self._done = max(self._done, seq)
        keep = []
        for target, waiter in self._waiters:
            if target <= self._done:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                keep.append((target, waiter))
        self._waiters = keep

    async def _send_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                seq, item, committed = self._queue[0]
                batch = self._batch() if item is not None else []
                link = self.link
                try:
                    if link is None:
                        raise StandbyUnavailable("no link")
                    if item is None:
                        started = time.monotonic()
                        await link.push_snapshot()
                        self.last_copy_s = time.monotonic() - started
                        self._event_log("GenInfo", cv.LOG_SUBSYSTEM,
                                        f"Standby: database sent to {self.cfg.partner} "
                                        f"({self.last_copy_s:.2f} s)")
                    else:
                        seq = batch[-1][0]
                        await link.replicate([op for _, ops, _ in batch for op in ops])
                        done = time.monotonic()
                        self.lags.extend(done - at for _, _, at in batch)
                except StandbyUnavailable as exc:
                    log.warning("standby %s: replication to %s stopped: %s", self.address,
                                self.cfg.partner, exc)
                    if link is not None:
                        link.close(f"replication failed: {exc}")
                    self._end_contact()
                    break
                while self._queue and self._queue[0][0] <= seq:
                    self._queue.popleft()
                self._settle(seq)

    def _batch(self) -> list[tuple[int, tuple[StoreOp, ...], float]]:
        """The changes at the head of the queue, up to the next whole copy: sent as one
        transaction (the partner commits them at once, in their order), so a burst of changes
        (handsets subscribing) costs one round trip and one commit on the partner, not one
        each. Decided: the partner's end state is the same; only fewer commits lie between."""
        batch: list[tuple[int, tuple[StoreOp, ...], float]] = []
        for seq, ops, at in self._queue:
            if ops is None or len(batch) >= BATCH_CHANGES:
                break
            batch.append((seq, ops, at))
        return batch
