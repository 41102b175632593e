"""The OMM's DECT fixed part: every PP connection of every RFP, paging and text messages.

omm-rfp.md §3.5/§4.9 (DNM primitives in and out) and §6 (NWK over LC frames); the
procedures themselves are in omm.dect.connection. Sans-I/O like aioquic's QuicConnection:
`receive(primitive, now)`, `primitives_to_send()`, `next_event()`, `get_timer()`,
`handle_timer(now)`; `send_message()` is the messaging entry point, `call_in()`,
`call_proceeding()`, `call_alerting()`, `call_connect()` and `call_release()` the SIP side's
(docs/calls.md §1).
"""

from __future__ import annotations

import heapq
import itertools
import secrets
from collections import deque
from dataclasses import dataclass

from dect import conventions as cv
from dect.errors import DectValueError
from dect.identities import Park
from dect.nwk.tables import ReleaseReasonCode
from dect.security import CipherKeys, RandomSource
from omm.central import installation_park, sari_park, sari_set
from omm.dect import events as ev
from omm.dect.connection import PpConnection
from omm.dect.outbox import Outgoing, OutgoingMessage, PositionQuery
from omm.dect.primitives import (
    FpIndication,
    FpRequest,
    HoInProgressInd,
    HoInProgressRes,
    LcDataInd,
    LcDataReq,
    MacConnectInd,
    MacDisconnectInd,
    MacDisconnectReq,
    MacEncEksInd,
    MacPageReq,
)
from omm.dect.roaming import Hold, Outcome, Procedure, RoamingHolds
from omm.model import OmmModel
from omm.tables import Change, Record


@dataclass(frozen=True, slots=True)
class IncomingCall:
    """An incoming call waiting for its PP to answer paging."""

    number: str
    """The caller's number (CALLING-PARTY-NUMBER), "" if unknown."""
    name: str
    """The caller's name (CALLING-PARTY-NAME), "" if unknown."""


_TimerEntry = tuple[float, int, PpConnection]
"""(deadline, tie-breaker, connection) in the fixed part's timer heap."""


@dataclass
class _Paging:
    attempts: int
    deadline: float


class FixedPart:
    """The fixed part's NWK layer for one OMM, fed DNM-level primitives of all its RFPs."""

    def __init__(
        self,
        model: OmmModel,
        *,
        random: RandomSource = secrets.token_bytes,
        window: int = 1,
    ) -> None:
        self.model = model
        self.random = random
        self.window = window
        """DLC I-frames outstanding per link (dect.dlc)."""
        self.connections: dict[tuple[int, int], PpConnection] = {}
        """Live connections by (RFP id, MCEI)."""
        self._keys: dict[int, CipherKeys] = {}
        self._outbox: dict[int, deque[Outgoing]] = {}
        self._pages: dict[int, _Paging] = {}
        self._timers: dict[PpConnection, _TimerEntry] = {}
        """Each connection's next deadline, read when it last ran (only then can it change)."""
        self._timer_heap: list[_TimerEntry] = []
        """The same entries by deadline; one no longer in `_timers` is stale and skipped."""
        self._timer_order = itertools.count()
        self._incoming: dict[int, IncomingCall] = {}
        self._call_states: dict[int, str] = {}
        self._requests: list[FpRequest] = []
        self._events: deque[ev.FpEvent] = deque()
        self._next_message_id = 1
        self.holds: RoamingHolds[PpConnection] = RoamingHolds()
        """Requests of handsets this OMM does not hold, waiting for the MOM (omm.dect.roaming)."""
        self._recheck = False
        """Records changed while requests were held: they may go on now."""
        model.add_listener(self._record_changed)

    # -- settings --------------------------------------------------------------------------------
    @property
    def park(self) -> Park:
        """The installation's PARK ("PARK" setting, else the conventions' default)."""
        return installation_park(self.model.settings)

    def access_park(self, device: Record | None) -> Park:
        """The PARK a subscription is given (ACCESS-RIGHTS-ACCEPT): the SARI's while the OMM
        has one, so the UAK is bound to it and holds at every OMM broadcasting that SARI
        (mom.md §3.2), unless the device is to subscribe to the PARI only; else the PARK."""
        sari = sari_park(self.model.settings)
        if sari is None or (device is not None and device.get("subscribeToPARIOnly")):
            return self.park
        return sari

    @property
    def auth_before_cipher(self) -> bool:
        return bool(self.model.settings.value(cv.SECURITY_SETTINGS, cv.AUTH_BEFORE_CIPHER, False))

    @property
    def enhanced_security(self) -> bool:
        return bool(self.model.settings.value(cv.SECURITY_SETTINGS, cv.ENHANCED_SECURITY, False))

    # -- input -----------------------------------------------------------------------------------
    def receive(self, primitive: FpIndication, now: float) -> None:
        """One primitive from an RFP."""
        key = (primitive.rfp_id, primitive.mcei)
        if isinstance(primitive, MacConnectInd):
            self._connected(primitive, now)
            return
        if isinstance(primitive, HoInProgressInd):
            self._handover_starts(primitive)
            return
        conn = self.connections.get(key)
        if conn is None:
            return
        if isinstance(primitive, LcDataInd):
            conn.receive_frame(primitive.frame, now)
        elif isinstance(primitive, MacEncEksInd):
            conn.encryption_started(now)
        elif isinstance(primitive, MacDisconnectInd):
            self._drop(conn, "Release")
        self._flush(conn, now)

    def _connected(self, ind: MacConnectInd, now: float) -> None:
        moving = self._by_pmid(ind.pmid) if ind.handover else None
        if moving is not None:
            old_rfp_id = moving.rfp_id
            del self.connections[(moving.rfp_id, moving.mcei)]
            moving.rfp_id, moving.mcei = ind.rfp_id, ind.mcei
            self._place(moving)
            self.emit(ev.PpTransaction("ConnHandover", moving.ppn or 0, ind.rfp_id))
            if moving.has_call and moving.ppn is not None:
                self.emit(ev.CallHandover(moving.ppn, old_rfp_id, ind.rfp_id, ind.mcei))
            self._flush(moving, now)
            return
        conn = PpConnection(self, ind.rfp_id, ind.mcei, ind.pmid)
        self._place(conn)
        ppn = cv.ppn_from_pmid(ind.pmid)
        self.emit(ev.PpTransaction("LinkEstablish", ppn or 0, ind.rfp_id))
        index = self._keys[ppn].latest_default_index if ppn in self._keys else None
        if self.enhanced_security and ppn is not None and index is not None:
            conn.start_early_encryption(ppn, index, now)
            self._schedule(conn)

    def _place(self, conn: PpConnection) -> None:
        """Key a connection by its RFP and MCEI. One it replaces (the RFP reused the MCEI
        without a MAC_DIS_IND) is forgotten with its deadlines."""
        key = (conn.rfp_id, conn.mcei)
        old = self.connections.get(key)
        if old is not None and old is not conn:
            self._timers.pop(old, None)
        self.connections[key] = conn

    def _handover_starts(self, ind: HoInProgressInd) -> None:
        conn = self._by_pmid(ind.pmid)
        key = conn.cipher_key if conn is not None else None
        if key is None:
            res = HoInProgressRes(ind.rfp_id, ind.mcei, bytes(8), cv.HO_KEY_ID_NONE)
        else:
            res = HoInProgressRes(ind.rfp_id, ind.mcei, key, cv.MAC_KEY_ID)
        self.request(res)

    def _by_pmid(self, pmid: int) -> PpConnection | None:
        return next((c for c in self.connections.values() if c.pmid == pmid), None)

    # -- roaming (docs/mom.md "Roaming") ------------------------------------------------------
    @property
    def roaming_open(self) -> bool:
        """A request of a handset this OMM does not hold can be put to a MOM now."""
        return self.model.central.roaming_open

    def foreign(self, device: Record) -> bool:
        """A device record the MOM confirmed at another OMM: not served here."""
        return self.model.central.foreign(device)

    def device_of(self, ipei: str) -> Record | None:
        """The device record of an IPEI (the OMM's form), if this OMM has one."""
        ppn = self.model.devices.by_ipei.get(ipei)
        return self.model.devices.table.get(ppn) if ppn else None

    def hold(self, conn: PpConnection, procedure: Procedure, ipei: str, ppn: int,
             now: float) -> None:
        """Hold a connection's request and ask the MOM (RoamingAsked)."""
        self.holds.start(conn, procedure, ipei, now)
        sari = str(self.model.settings.value("SARI", "sari", "") or "")
        park = sari if sari_set(sari) else str(self.park).upper()
        self.emit(ev.RoamingAsked(procedure.value, ipei, ppn, conn.rfp_id, park))

    def reject_roaming(self, procedure: Procedure, ipei: str, reason: str, now: float) -> bool:
        """The MOM refused a held request (DECTLocateReject, DECTSubscribeReject); False when
        none of this handset is held."""
        holds = self.holds.of(procedure, ipei)
        for hold in holds:
            self._end_hold(hold, Outcome.REJECTED, now, reason)
        return bool(holds)

    def _end_hold(self, hold: Hold[PpConnection], outcome: Outcome, now: float,
                  reason: str = "") -> None:
        self.holds.end(hold.key)
        self.emit(ev.RoamingEnded(hold.procedure.value, hold.ipei, outcome.value, reason))
        if outcome is not Outcome.ACCEPTED and not hold.key.closed:
            hold.key.roaming_refused(hold.procedure, reason or outcome.value, now)
        self._flush(hold.key, now)

    def _record_changed(self, change: Change) -> None:
        if self.holds and change.kind == "pp" and not change.deleted:
            self._recheck = True  # served at once by handle_timer (get_timer says now)

    def _recheck_holds(self, now: float) -> None:
        self._recheck = False
        for hold in self.holds:
            if not hold.key.closed and hold.key.roaming_ready(hold.procedure, now):
                self._end_hold(hold, Outcome.ACCEPTED, now)

    # -- messaging -------------------------------------------------------------------------------
    def send_message(
        self,
        ppn: int,
        text: str,
        now: float,
        *,
        title: str = "",
        confirmations: tuple[str, ...] = (),
        priority: str = cv.DEFAULT_MESSAGE_PRIORITY,
    ) -> int:
        """Queue a text message for a device; its id comes back in MessageProgress and
        MessageConfirmed events. A PP without a connection is paged."""
        message_id = self._new_id()
        unknown = [c for c in confirmations if c not in cv.MESSAGE_CONFIRMATIONS]
        if unknown:
            raise DectValueError(f"unknown message confirmation(s) {unknown}")
        if priority not in cv.MESSAGE_PRIORITIES:
            raise DectValueError(f"unknown message priority {priority!r}")
        self._enqueue(ppn, OutgoingMessage(message_id, title, text, confirmations, priority),
                      now)
        return message_id

    def request_position(self, ppn: int, now: float) -> int:
        """Ask a device which RFPs it hears (dect.conventions "locating"): PositionMeasured
        or PositionFailed comes back with the id returned. A PP without a connection is paged."""
        query_id = self._new_id()
        self._enqueue(ppn, PositionQuery(query_id), now)
        return query_id

    def _new_id(self) -> int:
        new = self._next_message_id
        self._next_message_id = self._next_message_id % 0xFFFFFFFF + 1
        return new

    def _enqueue(self, ppn: int, item: Outgoing, now: float) -> None:
        rec = self.model.devices.table.get(ppn)
        if rec is None or rec.get("s") != "Yes":
            self.emit(item.failed(ppn, "TemporaryUnavailable"))
            return
        self._outbox.setdefault(ppn, deque()).append(item)
        conn = next(
            (
                c
                for c in self.connections.values()
                if c.ppn == ppn or (c.ppn is None and cv.ppn_from_pmid(c.pmid) == ppn)
            ),
            None,
        )
        if conn is not None:
            conn.poke(now)
            self._flush(conn, now)
        else:
            self._page(ppn, now)

    def has_outbox(self, ppn: int) -> bool:
        return bool(self._outbox.get(ppn))

    def outbox_head(self, ppn: int) -> Outgoing | None:
        queue = self._outbox.get(ppn)
        return queue[0] if queue else None

    def message_done(self, ppn: int, item: Outgoing, outcome: str | ev.FpEvent) -> None:
        """The head item left the queue: a message with this MessageProgressType, a position
        query with its answer (or why it failed)."""
        queue = self._outbox.get(ppn)
        if queue and queue[0] is item:
            queue.popleft()
        if isinstance(outcome, str):
            outcome = (ev.MessageProgress(item.message_id, ppn, outcome)
                       if isinstance(item, OutgoingMessage) else item.failed(ppn, outcome))
        self.emit(outcome)
        self._end_paging_if_served(ppn)

    # -- calls (docs/calls.md §1) -----------------------------------------------------------------
    def _connection_of(self, ppn: int) -> PpConnection | None:
        return next((c for c in self.connections.values() if c.ppn == ppn), None)

    def call_in(
        self, ppn: int, now: float, *, calling_number: str = "", calling_name: str = ""
    ) -> bool:
        """An incoming call for a device: paged if it has no connection, then CC-SETUP.
        False (nothing done) for an unknown or unsubscribed device; a device already in a
        call gets CallReleased(ppn, "Busy") at once."""
        rec = self.model.devices.table.get(ppn)
        if rec is None or rec.get("s") != "Yes":
            return False
        conn = self._connection_of(ppn)
        if ppn in self._incoming or (conn is not None and conn.in_call):
            self.emit(ev.CallReleased(ppn, "Busy"))
            return True
        if conn is not None:
            conn.call_in(calling_number, calling_name, now)
            self._flush(conn, now)
            return True
        self._incoming[ppn] = IncomingCall(calling_number, calling_name)
        self.call_state_changed(ppn, "paging")
        self._page(ppn, now)
        return True

    def call_state(self, ppn: int) -> str:
        """The device's call as AXI PPUserCallStateType: idle, calling, paging, ringing,
        connected."""
        return self._call_states.get(ppn, "idle")

    def call_state_changed(self, ppn: int, state: str) -> None:
        """PpCallState when the device's call state (AXI's word for it) changed."""
        if self._call_states.get(ppn, "idle") != state:
            self._call_states[ppn] = state
            self.emit(ev.PpCallState(ppn, state))

    def call_proceeding(self, ppn: int, now: float) -> None:
        """CC-CALL-PROC: the PP's call is on its way (SIP 100)."""
        self._call_request(ppn, "proceeding", now)

    def call_alerting(self, ppn: int, now: float) -> None:
        """CC-ALERTING: the far end rings (SIP 180/183)."""
        self._call_request(ppn, "alerting", now)

    def call_connect(self, ppn: int, now: float) -> None:
        """CC-CONNECT: the far end answered (SIP 200)."""
        self._call_request(ppn, "connect", now)

    def _call_request(self, ppn: int, request: str, now: float) -> None:
        conn = self._connection_of(ppn)
        if conn is not None and conn.call_request(request, now):
            self._flush(conn, now)

    def call_release(
        self, ppn: int, reason: ReleaseReasonCode, now: float, *, display: str = ""
    ) -> None:
        """The far end ended the call (BYE, CANCEL, a final error): CC-RELEASE, or paging
        stops. No CallReleased comes back for it."""
        if self._incoming.pop(ppn, None) is not None:
            self._end_paging_if_served(ppn)
            self.call_state_changed(ppn, "idle")
            return
        conn = self._connection_of(ppn)
        if conn is not None:
            conn.release_call(reason, now, display=display)
            self._flush(conn, now)

    # -- paging ----------------------------------------------------------------------------------
    def _page(self, ppn: int, now: float) -> None:
        if ppn in self._pages:
            return
        self._pages[ppn] = _Paging(1, now + cv.PAGE_TIMEOUT_S)
        self.request(MacPageReq(cv.page_id(ppn)))
        self.emit(ev.PpTransaction("PagingStarted", ppn, -1))

    def check_presence(self, ppn: int, now: float) -> bool:
        """Is the PP in reach (user monitoring's active check)? True at once when it has a
        connection; else it is paged: its answer shows as LinkEstablish, its silence after
        every attempt as PPNotFound; False then."""
        if self._connection_of(ppn) is not None:
            return True
        self._page(ppn, now)
        return False

    def _end_paging_if_served(self, ppn: int) -> None:
        """Stop paging a PP once nothing waits for it any more: its messages went out on a
        connection it set up itself, or the call it was paged for is gone. Otherwise the
        paging timer would page on and end in a stale PPNotFound."""
        if ppn not in self._incoming and not self.has_outbox(ppn):
            self._pages.pop(ppn, None)

    def page_answered(self, ppn: int) -> IncomingCall | None:
        """The PP answered paging: the incoming call it was paged for, if any."""
        self._pages.pop(ppn, None)
        return self._incoming.pop(ppn, None)

    def _page_timer(self, ppn: int, paging: _Paging, now: float) -> None:
        conn = self._connection_of(ppn)
        if conn is not None and ppn in self._incoming and not conn.in_call:
            # The PP set up a connection of its own meanwhile: offer the call there.
            del self._pages[ppn]
            call = self._incoming.pop(ppn)
            conn.call_in(call.number, call.name, now)
            self._flush(conn, now)
            return
        if paging.attempts < cv.PAGE_ATTEMPTS:
            paging.attempts += 1
            paging.deadline = now + cv.PAGE_TIMEOUT_S
            self.request(MacPageReq(cv.page_id(ppn)))
            return
        del self._pages[ppn]
        self.emit(ev.PpTransaction("PPNotFound", ppn, -1))
        if self._incoming.pop(ppn, None) is not None:
            self.emit(ev.CallReleased(ppn, "NotReachable"))
            self.call_state_changed(ppn, "idle")
        for item in list(self._outbox.pop(ppn, ())):
            self.emit(item.failed(ppn, "PagingTimeout"))

    def forget_pps(self) -> None:
        """Forget every PP (the OMM's data was wiped): keys, queued messages, paging, calls
        waiting for paging, call states. Connections must be gone already."""
        self._keys.clear()
        self._outbox.clear()
        self._pages.clear()
        self._incoming.clear()
        self._call_states.clear()

    # -- keys ------------------------------------------------------------------------------------
    def cipher_keys(self, ppn: int) -> CipherKeys:
        """The DCKs and DefCKs held for a device (in memory: a restart re-authenticates)."""
        return self._keys.setdefault(ppn, CipherKeys())

    def forget_keys(self, ppn: int) -> None:
        self._keys.pop(ppn, None)

    # -- output ----------------------------------------------------------------------------------
    def request(self, primitive: FpRequest) -> None:
        self._requests.append(primitive)

    def emit(self, event: ev.FpEvent) -> None:
        self._events.append(event)

    def log(self, level: str, text: str) -> None:
        self.model.log(level, cv.LOG_SUBSYSTEM, text)

    def _flush(self, conn: PpConnection, now: float) -> None:
        """Collect what a connection that just ran has to send, and its next deadline."""
        if conn.closed:
            return
        for data in conn.dlc.data_to_send(now):
            self._requests.append(LcDataReq(conn.rfp_id, conn.mcei, data))
        self._schedule(conn)

    def primitives_to_send(self) -> list[FpRequest]:
        """Everything for the RFPs, in the order it arose."""
        out, self._requests = self._requests, []
        return out

    def next_event(self) -> ev.FpEvent | None:
        return self._events.popleft() if self._events else None

    # -- connections end -------------------------------------------------------------------------
    def release(self, conn: PpConnection, now: float) -> None:
        """The OMM ends a connection: last frames, then MAC_DIS_REQ."""
        if conn.closed:
            return
        self._flush(conn, now)
        self.request(MacDisconnectReq(conn.rfp_id, conn.mcei))
        self._drop(conn, "Release")

    def _drop(self, conn: PpConnection, tr_type: str) -> None:
        """Forget a connection. Messages still queued for its PP wait for its next one."""
        conn.drop_call()
        conn.closed = True
        hold = self.holds.end(conn)
        if hold is not None:
            self.emit(ev.RoamingEnded(hold.procedure.value, hold.ipei, Outcome.LOST.value))
        self.connections.pop((conn.rfp_id, conn.mcei), None)
        self._timers.pop(conn, None)
        if conn.ppn is not None:
            self.emit(ev.PpTransaction(tr_type, conn.ppn, conn.rfp_id))

    # -- timers ----------------------------------------------------------------------------------
    # Every primitive in and out re-arms the OMM's one fixed-part timer, so get_timer() must
    # not ask every connection: at 512 PPs subscribing at once that made each primitive cost
    # O(connections) and the whole start-up quadratic. A connection's deadlines move only
    # when it runs, and every run ends in _flush(), which re-reads them into a heap.
    def _schedule(self, conn: PpConnection) -> None:
        deadline = conn.get_timer()
        entry = self._timers.get(conn)
        if deadline is None:
            if entry is not None:
                del self._timers[conn]
            return
        if entry is not None and entry[0] == deadline:
            return
        entry = (deadline, next(self._timer_order), conn)
        self._timers[conn] = entry
        heap = self._timer_heap
        heapq.heappush(heap, entry)
        if len(heap) > 2 * len(self._timers) + 64:  # mostly stale: keep it small
            self._timer_heap = list(self._timers.values())
            heapq.heapify(self._timer_heap)

    def _current(self, entry: _TimerEntry) -> bool:
        return self._timers.get(entry[2]) is entry

    def get_timer(self) -> float | None:
        heap = self._timer_heap
        while heap and not self._current(heap[0]):
            heapq.heappop(heap)
        first = heap[0][0] if heap else None
        paging = min((p.deadline for p in self._pages.values()), default=None)
        if self._recheck:
            return 0.0  # due at once: a held request may go on
        holds = self.holds.get_timer()
        return min((t for t in (first, paging, holds) if t is not None), default=None)

    def handle_timer(self, now: float) -> None:
        heap = self._timer_heap
        due: list[PpConnection] = []
        while heap and heap[0][0] <= now:
            entry = heapq.heappop(heap)
            if self._current(entry):
                del self._timers[entry[2]]
                due.append(entry[2])
        for conn in due:
            if not conn.closed:
                conn.handle_timer(now)
                self._flush(conn, now)
        for ppn, paging in list(self._pages.items()):
            if now >= paging.deadline:
                self._page_timer(ppn, paging, now)
        if self._recheck:
            self._recheck_holds(now)
        for hold in self.holds.expire(now):
            self._end_hold(hold, Outcome.TIMED_OUT, now)
