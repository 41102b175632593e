"""Handsets and the OMM's FixedPart back to back, through tiny fake RFP relays, in virtual time.

A relay does what an RFP radio does with the primitives (omm-rfp.md §3.5/§4.9): AirConnect ->
MAC_CON_IND (+ HO_IN_PROGRESS_IND), AirData <-> LC_DATA_IND/REQ with DSC ciphering once
MAC_ENC_KEY_REQ gave a key (-> AirCipherStart, MAC_ENC_EKS_IND), MAC_PAGE_REQ -> AirPage.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from dect.identities import Ari, Park, Rfpi
from omm.dect import events as ev
from omm.dect.fixed_part import FixedPart
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
    MacEncKeyReq,
    MacPageReq,
)
from omm.model import OmmModel
from sim.air import cipher_frame
from sim.handset import AirClock, Handset, HandsetEvent
from sim.primitives import (
    AirCipherStart,
    AirConnect,
    AirConnected,
    AirData,
    AirPage,
    AirPrimitive,
    AirRelease,
)


def seeded(seed: int) -> random.Random:
    return random.Random(seed)


@dataclass
class _RelayConn:
    pmid: int
    handset: Handset
    key: bytes | None = None
    handover_pending: bool = False
    held: list[bytes] = field(default_factory=list)


class Relay:
    """A fake RFP: relays primitives between the air and the FixedPart, ciphering AirData."""

    def __init__(self, world: World, rfp_id: int) -> None:
        self.world = world
        self.rfp_id = rfp_id
        self.conns: dict[int, _RelayConn] = {}
        self.clock = AirClock()
        self._next_mcei = 0
        self.ciphered_up = 0
        """Uplink frames that arrived ciphered."""
        self.ciphered_down = 0

    def _by_pmid(self, pmid: int) -> tuple[int, _RelayConn] | None:
        return next(((m, c) for m, c in self.conns.items() if c.pmid == pmid), None)

    # handset -> relay
    def from_handset(self, handset: Handset, prim: AirPrimitive, now: float) -> None:
        w = self.world
        if isinstance(prim, AirConnect):
            old = self._by_pmid(prim.pmid)
            if old is not None:
                del self.conns[old[0]]
            mcei, self._next_mcei = self._next_mcei, self._next_mcei + 1
            self.conns[mcei] = _RelayConn(prim.pmid, handset, handover_pending=prim.handover)
            w.to_handset(handset, self.rfp_id, AirConnected(prim.pmid))
            w.to_fp(MacConnectInd(self.rfp_id, mcei, prim.pmid, prim.handover))
            if prim.handover:
                w.to_fp(HoInProgressInd(self.rfp_id, mcei, prim.pmid))
            return
        found = self._by_pmid(prim.pmid)
        if found is None:
            return
        mcei, conn = found
        if isinstance(prim, AirData):
            payload = prim.payload
            if prim.ciphered:
                self.ciphered_up += 1
                if conn.key is None:
                    return
                payload = cipher_frame(conn.key, prim.mfn, prim.fn, payload, downlink=False)
            w.to_fp(LcDataInd(self.rfp_id, mcei, payload))
        elif isinstance(prim, AirRelease):
            del self.conns[mcei]
            w.to_fp(MacDisconnectInd(self.rfp_id, mcei, prim.reason))

    # FixedPart -> relay
    def from_fp(self, req: FpRequest, now: float) -> None:
        w = self.world
        if isinstance(req, MacPageReq):
            for h in w.handsets:
                if h.rfp_id == self.rfp_id:
                    w.to_handset(h, self.rfp_id, AirPage(req.id16))
            return
        conn = self.conns.get(req.mcei)
        if conn is None:
            return
        if isinstance(req, LcDataReq):
            if conn.handover_pending:
                conn.held.append(req.frame)
            else:
                self._downlink(conn, req.frame, now)
        elif isinstance(req, MacEncKeyReq):
            conn.key = req.key
            w.to_handset(conn.handset, self.rfp_id, AirCipherStart(conn.pmid))
            w.to_fp(MacEncEksInd(self.rfp_id, req.mcei))
        elif isinstance(req, HoInProgressRes):
            if req.key_id != 0xFF:
                conn.key = req.key
            conn.handover_pending = False
            held, conn.held = conn.held, []
            for frame in held:
                self._downlink(conn, frame, now)
        elif isinstance(req, MacDisconnectReq):
            del self.conns[req.mcei]
            w.to_handset(conn.handset, self.rfp_id, AirRelease(conn.pmid))
            w.to_fp(MacDisconnectInd(self.rfp_id, req.mcei))

    def _downlink(self, conn: _RelayConn, frame: bytes, now: float) -> None:
        mfn, fn = self.clock.next(now)
        payload = frame
        if conn.key is not None:
            self.ciphered_down += 1
            payload = cipher_frame(conn.key, mfn, fn, frame, downlink=True)
        data = AirData(conn.pmid, payload, mfn, fn, conn.key is not None)
        self.world.to_handset(conn.handset, self.rfp_id, data)


class World:
    """One FixedPart, a few relays, handsets; `pump()` runs everything that is due."""

    def __init__(self, model: OmmModel, *, relays: int = 2, seed: int = 1) -> None:
        self.model = model
        self.now = 0.0
        self.fp = FixedPart(model, random=seeded(seed).randbytes)
        self.park: Park = self.fp.park
        self.saris: tuple[Ari, ...] = ()
        """The SARI list the relays broadcast."""
        self.relays = {rid: Relay(self, rid) for rid in range(1, relays + 1)}
        self.handsets: list[Handset] = []
        self.fp_events: list[ev.FpEvent] = []
        self.handset_events: dict[str, list[HandsetEvent]] = {}
        self.requests: list[FpRequest] = []
        """Every primitive the FixedPart sent, in order."""
        self.indications: list[FpIndication] = []
        self._to_fp: list[FpIndication] = []
        self._to_handsets: list[tuple[Handset, int, AirPrimitive]] = []
        self._seed = seed

    def rfpi(self, rfp_id: int) -> Rfpi:
        return Rfpi(self.park.ari, rfp_id)

    def add_handset(self, ipei: str, *, rfp_id: int = 1, **kw: object) -> Handset:
        handset = Handset(
            ipei, random=seeded(self._seed + len(self.handsets) + 100).randbytes, **kw
        )  # type: ignore[arg-type]
        self.handsets.append(handset)
        handset.power_on(self.now)
        handset.lock(rfp_id, self.rfpi(rfp_id), self.now, self.saris)
        self.pump()
        return handset

    # routing
    def to_fp(self, ind: FpIndication) -> None:
        self._to_fp.append(ind)

    def to_handset(self, handset: Handset, rfp_id: int, prim: AirPrimitive) -> None:
        self._to_handsets.append((handset, rfp_id, prim))

    def pump(self) -> None:
        """Move primitives until nothing is left to move."""
        for _ in range(100_000):
            moved = False
            for h in self.handsets:
                for rfp_id, prim in h.air_to_send():
                    moved = True
                    self.relays[rfp_id].from_handset(h, prim, self.now)
                self.handset_events.setdefault(str(h.ipei), []).extend(_drain(h))
            for req in self.fp.primitives_to_send():
                moved = True
                self.requests.append(req)
                if isinstance(req, MacPageReq) and req.rfp_id is None:
                    for relay in self.relays.values():
                        relay.from_fp(req, self.now)
                else:
                    self.relays[req.rfp_id].from_fp(req, self.now)  # type: ignore[index]
            while (event := self.fp.next_event()) is not None:
                self.fp_events.append(event)
            to_fp, self._to_fp = self._to_fp, []
            for ind in to_fp:
                moved = True
                self.indications.append(ind)
                self.fp.receive(ind, self.now)
            to_handsets, self._to_handsets = self._to_handsets, []
            for handset, rfp_id, prim in to_handsets:
                moved = True
                handset.receive(rfp_id, prim, self.now)
            if not moved:
                return
        raise AssertionError("the world does not settle")

    def run(self, seconds: float) -> None:
        """Advance virtual time by `seconds`, firing every timer that falls due."""
        end = self.now + seconds
        self.pump()
        while True:
            timers = [
                t
                for t in [self.fp.get_timer()] + [h.get_timer() for h in self.handsets]
                if t is not None
            ]
            due = min(timers, default=None)
            if due is None or due > end:
                break
            self.now = max(self.now, due)
            self.fp.handle_timer(self.now)
            for h in self.handsets:
                t = h.get_timer()
                if t is not None and t <= self.now:
                    h.handle_timer(self.now)
            self.pump()
        self.now = end

    def run_until(self, done: Callable[[], bool], limit: float) -> None:
        """Advance virtual time from one timer to the next until `done()`, at most `limit`
        seconds; `now` is then the moment it became true."""
        end = self.now + limit
        self.pump()
        while not done():
            timers = [t for t in [self.fp.get_timer()] + [h.get_timer() for h in self.handsets]
                      if t is not None]
            due = min(timers, default=None)
            if due is None or due > end:
                raise AssertionError(f"not done within {limit} s")
            self.run(max(0.0, due - self.now))

    def events_of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [e for e in self.fp_events if isinstance(e, kind)]

    def handset_events_of(self, handset: Handset, kind: type) -> list:  # type: ignore[type-arg]
        return [e for e in self.handset_events.get(str(handset.ipei), []) if isinstance(e, kind)]

    def keys_sent(self) -> list[bytes]:
        return [r.key for r in self.requests if isinstance(r, MacEncKeyReq)]


def _drain(handset: Handset) -> list[HandsetEvent]:
    out = []
    while (event := handset.next_event()) is not None:
        out.append(event)
    return out
