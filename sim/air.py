"""The simulated DECT air: where RFP radios and handsets are, what they hear, who is synced.

features.md §2.4 (over-the-air sync per cluster, -70 dBm minimum, a reference RFP, hop by
hop propagation, handover only between synced RFPs of one cluster) and the air primitives of
sim/primitives.py, whose `AirData` payloads are ciphered with `cipher_frame` (dect-security.md
§4.5, §5.4). Sans-I/O: positions in metres, time passed in as `now` seconds.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from dect.identities import AccessRightsClass, Ari, Park, Rfpi
from dect.security import dsc_iv, dsc_keystream, dsc_keystreams
from dect.timing import FRAME_SECONDS, FRAMES_PER_MULTIFRAME, MFN_MODULO
from sim.primitives import AirConnect, AirPage, AirPrimitive, AirRelease

# -- constants -----------------------------------------------------------------------------
FULL_SLOT_HALF_BYTES = 45
"""A full slot (D32) keystream half: SF or SP, 360 bits (dect-security.md §5.4)."""
VOICE_HALF_BYTES = 85
"""AirVoice rides a long slot (j = 640, dect-security.md §5.4): m = 40 tail bits + 640 B-field
bits per direction, so SF = keystream bytes 0-84 and SP = bytes 85-169 of the frame's 1360."""
VOICE_B_FIELD_OFFSET = 5
"""B-field octet i of an AirVoice XORs byte 5 + i of its SF or SP half: the first 40 keystream
bits belong to the A-field tail (§5.4 "B-field ... XOR KSS(40...)")."""
SYNC_MIN_RSSI_DBM = -70.0
"""Minimum RSSI between two RFPs for over-the-air sync (features.md §1 row 17)."""
RELEASE_LINK_LOST = 2
"""AirRelease / MAC_DIS_IND reason: abnormal (the radio link broke)."""
MAX_RELATIONS = 16
"""Sync relations an RFP reports: its strongest neighbours (the real limit is unknown)."""
VOICE_STREAMS_AHEAD = 8
"""A key's voice keystreams are generated in blocks of at least this many frames (aligned on
the frame index): a batched DSC run costs about the same for 20 rows as for 160, so a block of
80 ms for every connection costs little more than one frame of it."""
VOICE_STREAMS_AHEAD_MAX = 64
"""...and at most this many, for a process that ciphers the voice of few connections."""
VOICE_ROWS_PER_RUN = 256
"""Keystream rows a DSC run is made for: blocks are VOICE_STREAMS_AHEAD frames while that many
keys (or more) cipher voice, longer for fewer (an RFP process: its 8 channels, 32 frames), since
a run costs 5-8 ms whether it makes 8 rows or 256 (dsc_keystreams, 2 cores in 2026)."""
VOICE_KEY_IDLE_FRAMES = 16
"""A key that ciphered nothing for this many frames is no longer generated ahead with the
others (its call ended or moved)."""
VOICE_STREAMS_KEPT = 65536
"""Voice keystreams (one per key and frame, 170 octets) the air keeps for reuse."""
MAX_DELIVERIES_PER_CALL = 10_000
"""deliver() stops after this many primitives (a ping-pong guard); the rest waits."""


@dataclass(frozen=True, slots=True)
class PathLoss:
    """Log-distance path loss: RSSI = EIRP - (L(d0) + 10 n log10(d / d0)).

    The defaults are textbook indoor DECT figures (an assumption, not Mitel data): 250 mW
    (24 dBm) EIRP, 40 dB free-space loss at 1 m for 1.9 GHz, exponent 3 for an office with
    walls. With them an RFP hears another at -70 dBm from about 63 m and a handset hears an
    RFP down to -93 dBm from about 369 m.
    """

    eirp_dbm: float = 24.0
    """Transmit power including antenna gain (handsets and RFPs alike)."""
    reference_loss_db: float = 40.0
    """Loss at the reference distance."""
    reference_distance_m: float = 1.0
    """Distances below this count as this."""
    exponent: float = 3.0
    """Path loss exponent n (2 free space, 3-4 indoor)."""
    sensitivity_dbm: float = -93.0
    """Weakest signal a receiver still decodes (handset and RFP)."""
    sync_min_dbm: float = SYNC_MIN_RSSI_DBM
    """Weakest RFP-to-RFP signal an RFP syncs to."""

    def rssi(self, distance_m: float) -> float:
        """Received level in dBm at this distance."""
        d = max(distance_m, self.reference_distance_m)
        loss = self.reference_loss_db + 10 * self.exponent * math.log10(
            d / self.reference_distance_m
        )
        return self.eirp_dbm - loss

    def distance_for(self, rssi_dbm: float) -> float:
        """The distance at which the received level falls to `rssi_dbm`."""
        exponent = (self.eirp_dbm - self.reference_loss_db - rssi_dbm) / (10 * self.exponent)
        return self.reference_distance_m * 10**exponent


# -- the things on the air -----------------------------------------------------------------
@dataclass(slots=True)
class RadioSite:
    """One RFP's radio as the air sees it."""

    rfp_id: int
    """The RFP's id (the OMM's RFP id in a whole system)."""
    x: float
    """Position, metres."""
    y: float
    rpn: int
    """Radio fixed part number it reports in SYNC relations."""
    rfpi: Rfpi | None = None
    """The identity it broadcasts once DECT runs; None: none configured (no PP locks on)."""
    cluster: int = 1
    """RFPs sync only within a cluster."""
    preferred_sync: bool = False
    """Favoured as the cluster's sync reference."""
    powered: bool = True
    """The box has power."""
    dect_on: bool = True
    """The air interface is active (the OMM sent RFPC ACTIVATE_REQ)."""
    connected: bool = True
    """The RFP's link to the OMM is up (a real RFP stops DECT without it)."""
    saris: tuple[Ari, ...] = ()
    """The SARI list it broadcasts besides its PARI (EN 300 175-6 §5.6; its OMM's
    SARI_LIST_REQ)."""

    @property
    def up(self) -> bool:
        """Radiating: powered, linked to the OMM and DECT active."""
        return self.powered and self.dect_on and self.connected

    def accessible_with(self, park: Park) -> bool:
        """A PP holding `park` may access this RFP: the PARK covers its PARI or one of its
        SARIs (EN 300 175-6 §8.1 rule 6)."""
        if self.rfpi is None:
            return False
        return park.includes(self.rfpi.ari) or any(park.includes(s) for s in self.saris)


@dataclass(slots=True)
class Portable:
    """A handset's position (its protocol state lives in sim.handset)."""

    handset_id: int
    x: float
    y: float
    park: Park | None = None
    """The PARK it is subscribed with; it locks only to RFPs whose RFPI matches it."""


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """Where an RFP stands in its cluster's sync tree."""

    synced: bool
    """It runs on the cluster's timing."""
    reference: bool = False
    """It is the cluster's reference (sync master)."""
    parent: int | None = None
    """The RFP it takes its timing from (None for the reference and unsynced RFPs)."""
    hops: int | None = None
    """Hops from the reference (0 for the reference, None when not synced)."""


NOT_SYNCED = SyncStatus(False)


@dataclass(frozen=True, slots=True)
class SyncRelation:
    """An RFP of the same cluster that this one hears (for SYNC reports and AXI sync views)."""

    rfp_id: int
    rpn: int
    rssi_dbm: float
    """Received level, rounded to 0.1 dB."""
    usable: bool
    """At or above the sync minimum (-70 dBm)."""
    synced: bool
    """The neighbour is itself synced."""


AirListener = Callable[[frozenset[int]], None]
"""Called with the ids of RFPs whose SyncStatus, relations, RFPI or SARI list changed."""
RfpReceiver = Callable[[AirPrimitive, float], None]
"""Called with the primitive and `now`."""
HandsetReceiver = Callable[[int, AirPrimitive, float], None]
"""Called with the id of the sending RFP, the primitive and `now`."""


VoiceDone = Callable[[bytes, float], None]
"""Receives a ciphered (or deciphered) AirVoice B-field and `now`."""


@dataclass(slots=True)
class _Queued:
    to_rfp: bool
    target: int
    """rfp_id or handset_id."""
    rfp_id: int
    primitive: AirPrimitive


# -- frame timing ----------------------------------------------------------------------------
def frame_index(epoch: float, now: float) -> int:
    """Frames (10 ms each) since `epoch`, the `now` at which frame 0 of multiframe 0 starts."""
    return max(0, math.floor((now - epoch) / FRAME_SECONDS + 1e-9))


def frame_numbers(index: int) -> tuple[int, int]:
    """(multiframe number, frame number) of a frame index."""
    return (index // FRAMES_PER_MULTIFRAME) % MFN_MODULO, index % FRAMES_PER_MULTIFRAME


# -- what an RFP's radio needs of the medium ---------------------------------------------------
class AirMedium(Protocol):
    """The medium as one RFP's radio (rfp.radio.RfpRadio) uses it: `Air` itself when the RFP
    runs in the world's process, `sim.airlink.RemoteAir` when it runs in a process of its own
    and reaches the world's Air over the air link (docs/architecture.md "Air link")."""

    @property
    def rfps(self) -> Mapping[int, RadioSite]:
        """The radio sites this medium knows (a RemoteAir: only its own RFP's)."""
        ...

    @property
    def epoch(self) -> float:
        """The `now` (this process's loop.time()) at which frame 0 of multiframe 0 starts."""
        ...

    def set_rfp(self, rfp_id: int, *, rfpi: Rfpi | None = None,
                saris: tuple[Ari, ...] | None = None, powered: bool | None = None,
                dect_on: bool | None = None, connected: bool | None = None) -> None: ...

    def attach_rfp(self, rfp_id: int, receiver: RfpReceiver) -> None: ...

    def detach_rfp(self, rfp_id: int) -> None: ...

    def add_listener(self, listener: AirListener) -> None: ...

    def remove_listener(self, listener: AirListener) -> None: ...

    def send_from_rfp(self, rfp_id: int, primitive: AirPrimitive) -> int: ...

    def cipher_voice_soon(self, ck: bytes, mfn: int, fn: int, payload: bytes, *,
                          downlink: bool, done: VoiceDone) -> None: ...

    def frame_index(self, now: float) -> int: ...

    def frame_numbers(self, index: int) -> tuple[int, int]: ...

    def sync_status(self, rfp_id: int) -> SyncStatus: ...

    def sync_relations(self, rfp_id: int) -> tuple[SyncRelation, ...]: ...


# -- the medium ----------------------------------------------------------------------------
class Air:
    """All radios and handsets of one installation, their RSSI, sync and air traffic.

    RFP radios and handsets send primitives with `send_from_handset` / `send_from_rfp`;
    `deliver()` hands them to the receivers attached with `attach_rfp` / `attach_handset`
    (or they wait in an inbox for `take_for_rfp` / `take_for_handset`). A handset's
    MAC connection binds (RFP, PMID) to it from its AirConnect until an AirRelease, or until
    it moves out of range or the RFP stops being synced: then both ends get
    AirRelease(reason 2).
    """

    def __init__(
        self,
        path_loss: PathLoss | None = None,
        *,
        epoch: float = 0.0,
        on_pending: Callable[[], None] | None = None,
    ) -> None:
        """`epoch`: the `now` at which frame 0 of multiframe 0 starts. `on_pending`: called
        when traffic is queued and no deliver() is running (an asyncio owner schedules one)."""
        self.path_loss = path_loss or PathLoss()
        self.epoch = epoch
        self.on_pending = on_pending
        self.rfps: dict[int, RadioSite] = {}
        self.handsets: dict[int, Portable] = {}
        self._status: dict[int, SyncStatus] = {}
        self._relations: dict[int, tuple[SyncRelation, ...]] = {}
        self._listeners: list[AirListener] = []
        self._rfp_receivers: dict[int, RfpReceiver] = {}
        self._handset_receivers: dict[int, HandsetReceiver] = {}
        self._queue: deque[_Queued] = deque()
        self._rfp_inbox: dict[int, list[AirPrimitive]] = {}
        self._handset_inbox: dict[int, list[tuple[int, AirPrimitive]]] = {}
        self._bindings: dict[tuple[int, int], int] = {}
        self._delivering = False
        self._pair_rssi: dict[tuple[int, int], float] = {}
        self._heard: dict[int, list[tuple[float, int]]] = {}
        self._batch_depth = 0
        self._batch_dirty = False
        self._voice = VoiceCipher()
        self._reachable: dict[int, dict[int, bool]] = {}
        """reachable() per handset and RFP, kept until that handset moves or an RFP changes."""
        self._strongest: dict[int, dict[tuple[Park, ...] | None, int | None]] = {}
        """strongest_rfp() per handset and PARKs asked, kept as long as _reachable."""
        self._grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        """Ids and positions of the RFPs a handset could lock to (an RFPI, synced): the
        distance prefilter of candidates(), kept until an RFP changes."""
        self._identity_changed: set[int] = set()
        """RFPs whose RFPI or SARI list changed since the listeners last heard."""

    # -- RFP radios ------------------------------------------------------------------------
    def add_rfp(
        self,
        rfp_id: int,
        x: float,
        y: float,
        *,
        rpn: int | None = None,
        rfpi: Rfpi | None = None,
        cluster: int = 1,
        preferred_sync: bool = False,
        powered: bool = True,
        dect_on: bool = True,
        connected: bool = True,
        saris: tuple[Ari, ...] = (),
    ) -> RadioSite:
        """Place an RFP radio (rpn defaults to rfp_id % 256, as the OMM numbers them)."""
        if rfp_id in self.rfps:
            raise ValueError(f"the air has an RFP {rfp_id} already")
        site = RadioSite(
            rfp_id, float(x), float(y), rfp_id % 256 if rpn is None else rpn, rfpi, cluster,
            preferred_sync, powered, dect_on, connected, saris,
        )
        self.rfps[rfp_id] = site
        self._rfps_changed()
        self._hear_new(rfp_id)
        self._topology_changed()
        return site

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Make many changes (placing a whole site) with one sync computation at the end."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._batch_dirty:
                self._batch_dirty = False
                self._topology_changed()

    def remove_rfp(self, rfp_id: int) -> None:
        self.rfps.pop(rfp_id, None)
        self._rfps_changed()
        self._forget_rssi(rfp_id)
        self._rfp_receivers.pop(rfp_id, None)
        self._rfp_inbox.pop(rfp_id, None)
        self._topology_changed()

    def set_rfp(
        self,
        rfp_id: int,
        *,
        x: float | None = None,
        y: float | None = None,
        rfpi: Rfpi | None = None,
        saris: tuple[Ari, ...] | None = None,
        cluster: int | None = None,
        preferred_sync: bool | None = None,
        powered: bool | None = None,
        dect_on: bool | None = None,
        connected: bool | None = None,
    ) -> None:
        """Change what is given; sync, relations and connections follow."""
        site = self.rfps[rfp_id]
        self._rfps_changed()
        if x is not None or y is not None:
            self._forget_rssi(rfp_id)
        if x is not None:
            site.x = float(x)
        if y is not None:
            site.y = float(y)
        if x is not None or y is not None:
            self._hear_new(rfp_id)
        if (rfpi is not None and rfpi != site.rfpi) or (saris is not None and saris != site.saris):
            # What it broadcasts changed: the handsets that may lock to it are others now.
            self._identity_changed.add(rfp_id)
        if rfpi is not None:
            site.rfpi = rfpi
            if rfpi.ari.arc is not AccessRightsClass.A:
                # The RFPI carries the OMM's whole 8-bit RPN (a class A RFPI only 3 bits of
                # it): the radio reports its neighbours' RPNs as the OMM numbers them.
                site.rpn = rfpi.rpn
        if saris is not None:
            site.saris = saris
        if cluster is not None:
            site.cluster = cluster
        if preferred_sync is not None:
            site.preferred_sync = preferred_sync
        if powered is not None:
            site.powered = powered
        if dect_on is not None:
            site.dect_on = dect_on
        if connected is not None:
            site.connected = connected
        self._topology_changed()

    # -- handsets --------------------------------------------------------------------------
    def add_handset(self, handset_id: int, x: float, y: float, park: Park | None = None
                    ) -> Portable:
        if handset_id in self.handsets:
            raise ValueError(f"the air has a handset {handset_id} already")
        portable = Portable(handset_id, float(x), float(y), park)
        self.handsets[handset_id] = portable
        self._handset_changed(handset_id)
        return portable

    def remove_handset(self, handset_id: int) -> None:
        self.handsets.pop(handset_id, None)
        self._handset_changed(handset_id)
        self._handset_receivers.pop(handset_id, None)
        self._handset_inbox.pop(handset_id, None)
        self._check_links(handset_id)

    def move(self, handset_id: int, x: float, y: float) -> None:
        """Move a handset; connections to RFPs now out of range are lost."""
        portable = self.handsets[handset_id]
        portable.x, portable.y = float(x), float(y)
        self._handset_changed(handset_id)
        self._check_links(handset_id)

    def set_park(self, handset_id: int, park: Park | None) -> None:
        self.handsets[handset_id].park = park

    # -- propagation -------------------------------------------------------------------------
    def rssi(self, handset_id: int, rfp_id: int) -> float:
        """dBm a handset receives from an RFP (and, the model being symmetric, vice versa)."""
        portable, site = self.handsets[handset_id], self.rfps[rfp_id]
        return self.path_loss.rssi(math.hypot(portable.x - site.x, portable.y - site.y))

    def rssi_between(self, rfp_a: int, rfp_b: int) -> float:
        key = _pair(rfp_a, rfp_b)
        rssi = self._pair_rssi.get(key)
        if rssi is None:
            a, b = self.rfps[rfp_a], self.rfps[rfp_b]
            rssi = self._pair_rssi[key] = self.path_loss.rssi(math.hypot(a.x - b.x, a.y - b.y))
        return rssi

    def _forget_rssi(self, rfp_id: int) -> None:
        """The RFP left or moves: drop how the others hear it (their cached neighbour lists
        lose it, its pairs' RSSI go) and its own list. The others' lists stay valid: a site
        coming up or leaving costs O(n), not a recomputation of every list (O(n^2))."""
        self._heard.pop(rfp_id, None)
        for other, found in self._heard.items():
            rssi = self._pair_rssi.get(_pair(rfp_id, other))
            if rssi is None:
                continue
            i = bisect.bisect_left(found, _strongest_first((rssi, rfp_id)),
                                   key=_strongest_first)
            if i < len(found) and found[i][1] == rfp_id:
                del found[i]
        for other in self.rfps:  # every list of _heard belongs to an RFP on the air
            self._pair_rssi.pop(_pair(rfp_id, other), None)

    def _hear_new(self, rfp_id: int) -> None:
        """An RFP came up or moved: the others' cached neighbour lists gain it where they hear
        it (its own list is computed when first asked)."""
        self._heard.pop(rfp_id, None)
        sensitivity = self.path_loss.sensitivity_dbm
        for other, found in self._heard.items():
            rssi = self.rssi_between(other, rfp_id)
            if rssi >= sensitivity:
                bisect.insort(found, (rssi, rfp_id), key=_strongest_first)

    def reachable(self, handset_id: int, rfp_id: int) -> bool:
        """The RFP radiates, is synced and the handset hears it above sensitivity (kept per
        pair until an RFP or handset is placed, moved, removed or changed: every voice frame
        asks)."""
        known = self._reachable.get(handset_id)
        if known is None:
            known = self._reachable[handset_id] = {}
        found = known.get(rfp_id)
        if found is None:
            found = known[rfp_id] = (
                rfp_id in self.rfps and handset_id in self.handsets
                and self.sync_status(rfp_id).synced
                and self.rssi(handset_id, rfp_id) >= self.path_loss.sensitivity_dbm)
        return found

    def candidates(self, handset_id: int, park: Park | Sequence[Park] | None = None
                   ) -> list[tuple[int, float]]:
        """(rfp_id, rssi) of every RFP the handset could lock to, strongest first.

        Only synced RFPs that one of the PARKs `park` names (default: the handset's own PARK;
        none = any) gives access to (its PARI or one of its SARIs, RadioSite.accessible_with),
        heard above sensitivity.
        """
        parks = self._parks(handset_id, park)
        out = [(rfp_id, self.rssi(handset_id, rfp_id))
               for rfp_id in self._nearest_first(handset_id)
               if self._lockable(handset_id, rfp_id, parks)]
        out.sort(key=lambda item: (-item[1], item[0]))
        return out

    def strongest_rfp(self, handset_id: int, park: Park | Sequence[Park] | None = None
                      ) -> int | None:
        """The RFP the handset locks to, or None when it hears none it may use (kept until
        the handset moves or an RFP changes: a walk step and every page ask it)."""
        parks = self._parks(handset_id, park)
        key = None if parks is None else tuple(parks)
        known = self._strongest.setdefault(handset_id, {})
        if key in known:
            return known[key]
        best = None
        for rfp_id in self._nearest_first(handset_id):
            if self._lockable(handset_id, rfp_id, parks):
                best = rfp_id  # nearest is strongest: the path loss grows with distance
                break
        known[key] = best
        return best

    def _parks(self, handset_id: int, park: Park | Sequence[Park] | None
               ) -> Sequence[Park] | None:
        wanted = park if park is not None else self.handsets[handset_id].park
        return (wanted,) if isinstance(wanted, Park) else wanted

    def _lockable(self, handset_id: int, rfp_id: int, parks: Sequence[Park] | None) -> bool:
        if not self.reachable(handset_id, rfp_id):
            return False
        site = self.rfps[rfp_id]
        return parks is None or any(site.accessible_with(p) for p in parks)

    def _nearest_first(self, handset_id: int) -> list[int]:
        """The RFPs with an RFPI that are synced and within the handset's reach, nearest
        first (equals by id), from one numpy pass over all of them; a little generous at the
        edge of reach so rounding never drops one: reachable() decides exactly."""
        portable = self.handsets[handset_id]
        ids, xs, ys = self._lockable_grid()
        loss = self.path_loss
        d = np.maximum(np.hypot(xs - portable.x, ys - portable.y), loss.reference_distance_m)
        near = d <= loss.distance_for(loss.sensitivity_dbm) * (1 + 1e-9)
        ids, d = ids[near], d[near]
        return [int(i) for i in ids[np.lexsort((ids, d))]]

    def _lockable_grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._grid is None:
            sites = [site for site in self.rfps.values()
                     if site.rfpi is not None and self.sync_status(site.rfp_id).synced]
            self._grid = (np.array([site.rfp_id for site in sites], dtype=np.int64),
                          np.array([site.x for site in sites], dtype=np.float64),
                          np.array([site.y for site in sites], dtype=np.float64))
        return self._grid

    def _rfps_changed(self) -> None:
        """An RFP was placed, moved, removed or changed: every handset's reach is asked
        again."""
        self._reachable.clear()
        self._strongest.clear()
        self._grid = None

    def _handset_changed(self, handset_id: int) -> None:
        self._reachable.pop(handset_id, None)
        self._strongest.pop(handset_id, None)

    # -- sync ----------------------------------------------------------------------------------
    def sync_status(self, rfp_id: int) -> SyncStatus:
        return self._status.get(rfp_id, NOT_SYNCED)

    def is_synced(self, rfp_id: int) -> bool:
        return self.sync_status(rfp_id).synced

    def reference(self, cluster: int) -> int | None:
        """The cluster's reference RFP, None when none of its RFPs is up."""
        for rfp_id, status in self._status.items():
            if status.reference and self.rfps[rfp_id].cluster == cluster:
                return rfp_id
        return None

    def sync_relations(self, rfp_id: int) -> tuple[SyncRelation, ...]:
        """Up RFPs of its cluster this RFP hears above sensitivity, strongest first (at most
        MAX_RELATIONS)."""
        return self._relations.get(rfp_id, ())

    def add_listener(self, listener: AirListener) -> None:
        """Called after a change with the ids whose sync status or relations changed."""
        self._listeners.append(listener)

    def remove_listener(self, listener: AirListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _topology_changed(self) -> None:
        if self._batch_depth:
            self._batch_dirty = True
            return
        old_status, old_relations = self._status, self._relations
        self._status = self._compute_sync()
        self._rfps_changed()
        self._relations = {
            rfp_id: self._compute_relations(rfp_id)
            for rfp_id, site in self.rfps.items()
            if site.up
        }
        ids = set(old_status) | set(self._status) | set(old_relations) | set(self._relations)
        changed = frozenset(
            i
            for i in ids
            if old_status.get(i, NOT_SYNCED) != self._status.get(i, NOT_SYNCED)
            or old_relations.get(i, ()) != self._relations.get(i, ())
        ) | (self._identity_changed & self.rfps.keys())
        self._identity_changed = set()
        self._check_links()
        if changed:
            for listener in list(self._listeners):
                listener(changed)

    def _neighbours(self, rfp_id: int) -> list[tuple[float, int]]:
        """(rssi, id) of every other RFP heard above sensitivity, strongest first (cached
        until an RFP is placed, moved or removed)."""
        found = self._heard.get(rfp_id)
        if found is None:
            sensitivity = self.path_loss.sensitivity_dbm
            found = sorted(
                ((rssi, other) for other in self.rfps
                 if other != rfp_id and (rssi := self.rssi_between(rfp_id, other)) >= sensitivity),
                key=_strongest_first,
            )
            self._heard[rfp_id] = found
        return found

    def _compute_sync(self) -> dict[int, SyncStatus]:
        """The reference of each cluster is its preferred-sync RFP with the lowest id among
        those up, else its lowest id up; timing then spreads one hop per step to RFPs that
        hear a synced one at or above the sync minimum, each taking the strongest."""
        status: dict[int, SyncStatus] = {}
        clusters: dict[int, list[RadioSite]] = {}
        for site in self.rfps.values():
            if site.up:
                clusters.setdefault(site.cluster, []).append(site)
        threshold = self.path_loss.sync_min_dbm
        for cluster, members in clusters.items():
            reference = min(members, key=lambda s: (not s.preferred_sync, s.rfp_id))
            status[reference.rfp_id] = SyncStatus(True, True, None, 0)
            level = [reference.rfp_id]
            hops = 0
            while level:
                hops += 1
                best: dict[int, tuple[float, int]] = {}
                for parent in level:
                    for rssi, child in self._neighbours(parent):
                        if rssi < threshold:
                            break
                        site = self.rfps[child]
                        if child in status or not site.up or site.cluster != cluster:
                            continue
                        if child not in best or (rssi, -parent) > (best[child][0], -best[child][1]):
                            best[child] = (rssi, parent)
                for child, (_, parent) in best.items():
                    status[child] = SyncStatus(True, False, parent, hops)
                level = sorted(best)
        return status

    def _compute_relations(self, rfp_id: int) -> tuple[SyncRelation, ...]:
        """The strongest MAX_RELATIONS up RFPs of its cluster it hears."""
        site = self.rfps[rfp_id]
        out = []
        for rssi, other_id in self._neighbours(rfp_id):
            other = self.rfps[other_id]
            if not other.up or other.cluster != site.cluster:
                continue
            out.append(
                SyncRelation(
                    other_id, other.rpn, round(rssi, 1), rssi >= self.path_loss.sync_min_dbm,
                    self._status.get(other_id, NOT_SYNCED).synced,
                )
            )
            if len(out) == MAX_RELATIONS:
                break
        return tuple(out)

    # -- frame timing ----------------------------------------------------------------------
    def frame_index(self, now: float) -> int:
        """Frames since the epoch (10 ms each)."""
        return frame_index(self.epoch, now)

    frame_numbers = staticmethod(frame_numbers)

    def frame_at(self, now: float) -> tuple[int, int]:
        """(multiframe number, frame number) of the TDMA frame running at `now`."""
        return self.frame_numbers(self.frame_index(now))

    # -- traffic ---------------------------------------------------------------------------
    def attach_rfp(self, rfp_id: int, receiver: RfpReceiver) -> None:
        """Deliver this RFP's traffic to `receiver` (instead of its inbox)."""
        self._rfp_receivers[rfp_id] = receiver
        for primitive in self._rfp_inbox.pop(rfp_id, []):
            self._enqueue(_Queued(True, rfp_id, rfp_id, primitive))

    def detach_rfp(self, rfp_id: int) -> None:
        self._rfp_receivers.pop(rfp_id, None)

    def attach_handset(self, handset_id: int, receiver: HandsetReceiver) -> None:
        self._handset_receivers[handset_id] = receiver
        for rfp_id, primitive in self._handset_inbox.pop(handset_id, []):
            self._enqueue(_Queued(False, handset_id, rfp_id, primitive))

    def detach_handset(self, handset_id: int) -> None:
        self._handset_receivers.pop(handset_id, None)

    def send_from_handset(self, handset_id: int, rfp_id: int, primitive: AirPrimitive) -> bool:
        """A handset transmits to an RFP; False when the RFP cannot hear it (nothing sent)."""
        if not self.reachable(handset_id, rfp_id):
            return False
        if isinstance(primitive, AirConnect):
            self._bindings[(rfp_id, primitive.pmid)] = handset_id
        elif isinstance(primitive, AirRelease):
            self._bindings.pop((rfp_id, primitive.pmid), None)
        self._enqueue(_Queued(True, rfp_id, rfp_id, primitive))
        return True

    def send_from_rfp(self, rfp_id: int, primitive: AirPrimitive) -> int:
        """An RFP transmits; returns how many handsets it reaches.

        AirPage goes to every handset locked to this RFP; everything else to the handset
        whose connection (RFP, PMID) it belongs to.
        """
        site = self.rfps.get(rfp_id)
        if site is None or not site.up:
            return 0
        if isinstance(primitive, AirPage):
            targets = [h for h in self.handsets if self.strongest_rfp(h) == rfp_id]
        else:
            key = (rfp_id, primitive.pmid)
            handset_id = self._bindings.get(key)
            if handset_id is None or not self.reachable(handset_id, rfp_id):
                return 0
            if isinstance(primitive, AirRelease):
                del self._bindings[key]
            targets = [handset_id]
        for handset_id in targets:
            self._enqueue(_Queued(False, handset_id, rfp_id, primitive))
        return len(targets)

    def connection_of(self, rfp_id: int, pmid: int) -> int | None:
        """The handset holding this MAC connection, if any."""
        return self._bindings.get((rfp_id, pmid))

    def take_for_rfp(self, rfp_id: int) -> list[AirPrimitive]:
        """Delivered primitives waiting for an RFP that has no receiver attached."""
        return self._rfp_inbox.pop(rfp_id, [])

    def take_for_handset(self, handset_id: int) -> list[tuple[int, AirPrimitive]]:
        """(rfp_id, primitive) delivered to a handset that has no receiver attached."""
        return self._handset_inbox.pop(handset_id, [])

    @property
    def pending(self) -> int:
        """Primitives queued and not yet delivered (voice frames waiting for ciphering too)."""
        return len(self._queue) + self._voice.pending

    def cipher_voice_soon(self, ck: bytes, mfn: int, fn: int, payload: bytes, *,
                          downlink: bool, done: VoiceDone) -> None:
        """Queue an AirVoice B-field for `cipher_voice`; the next deliver() ciphers every
        frame queued by then, from all handsets and radios of the installation, in one
        batched DSC run (VoiceCipher) and calls done(result, now) for each in order."""
        if (self._voice.soon(ck, mfn, fn, payload, downlink=downlink, done=done)
                and not self._delivering and not self._queue and self.on_pending is not None):
            self.on_pending()

    def deliver(self, now: float) -> int:
        """Cipher queued voice frames, then hand queued primitives to their receivers (which
        may send more); returns the count of primitives."""
        if self._delivering:
            return 0
        self._delivering = True
        count = 0
        try:
            if self._voice.pending:
                self._voice.run(now, self.frame_index(now))
            while self._queue and count < MAX_DELIVERIES_PER_CALL:
                item = self._queue.popleft()
                count += 1
                if item.to_rfp:
                    if item.target not in self.rfps:
                        continue
                    rfp_receiver = self._rfp_receivers.get(item.target)
                    if rfp_receiver is None:
                        self._rfp_inbox.setdefault(item.target, []).append(item.primitive)
                    else:
                        rfp_receiver(item.primitive, now)
                else:
                    if item.target not in self.handsets:
                        continue
                    handset_receiver = self._handset_receivers.get(item.target)
                    if handset_receiver is None:
                        self._handset_inbox.setdefault(item.target, []).append(
                            (item.rfp_id, item.primitive)
                        )
                    else:
                        handset_receiver(item.rfp_id, item.primitive, now)
        finally:
            self._delivering = False
        if (self._queue or self._voice.pending) and self.on_pending is not None:
            self.on_pending()
        return count

    def _enqueue(self, item: _Queued) -> None:
        self._queue.append(item)
        if (len(self._queue) == 1 and not self._delivering and not self._voice.pending
                and self.on_pending is not None):
            self.on_pending()

    def _check_links(self, only: int | None = None) -> None:
        """Drop connections whose handset left or lost range, or whose RFP is not synced
        (`only`: just that handset's, the others being unchanged)."""
        for (rfp_id, pmid), handset_id in list(self._bindings.items()):
            if only is not None and handset_id != only:
                continue
            if handset_id in self.handsets and self.reachable(handset_id, rfp_id):
                continue
            del self._bindings[(rfp_id, pmid)]
            release = AirRelease(pmid, RELEASE_LINK_LOST)
            if handset_id in self.handsets:
                self._enqueue(_Queued(False, handset_id, rfp_id, release))
            site = self.rfps.get(rfp_id)
            if site is not None and site.powered:
                self._enqueue(_Queued(True, rfp_id, rfp_id, release))


def schedule_deliveries(
    air: Air, call_soon: Callable[[Callable[[], object]], object], clock: Callable[[], float]
) -> None:
    """Let an event loop run `air.deliver` soon after traffic is queued, e.g.
    `schedule_deliveries(air, loop.call_soon, loop.time)`."""
    scheduled = False

    def run() -> None:
        nonlocal scheduled
        scheduled = False
        air.deliver(clock())

    def pending() -> None:
        nonlocal scheduled
        if not scheduled:
            scheduled = True
            call_soon(run)

    air.on_pending = pending


# -- ciphering -----------------------------------------------------------------------------
def _half_bytes(size: int) -> int:
    return max(FULL_SLOT_HALF_BYTES, size)


def cipher_frame(ck: bytes, mfn: int, fn: int, data: bytes, *, downlink: bool) -> bytes:
    """XOR one AirData payload with the DSC keystream of its frame (both ways: it is its
    own inverse).

    The keystream of frame (mfn, fn) is split into SF (FT->PT, `downlink`) and SP (PT->FT)
    halves of max(45, len(data)) bytes each; for payloads up to 45 bytes that is exactly the
    full-slot split of dect-security.md §5.4. A whole DLC frame travels in one AirData here,
    so longer payloads take a longer keystream (an emulator simplification).
    """
    half = _half_bytes(len(data))
    stream = dsc_keystream(ck, dsc_iv(mfn, fn), 16 * half)
    start = 0 if downlink else half
    return bytes(a ^ b for a, b in zip(data, stream[start : start + len(data)], strict=True))


def cipher_frames(
    items: Sequence[tuple[bytes, int, int, bytes, bool]],
) -> list[bytes]:
    """`cipher_frame` for many (ck, mfn, fn, data, downlink) at once with the batched DSC."""
    if not items:
        return []
    half = _half_bytes(max(len(item[3]) for item in items))
    streams = dsc_keystreams(
        [item[0] for item in items], [dsc_iv(item[1], item[2]) for item in items], 16 * half
    )
    out = []
    for row, (_ck, _mfn, _fn, data, downlink) in zip(streams, items, strict=True):
        # SF is a prefix of the keystream whatever its length; SP starts after the item's
        # own SF half, which lies inside the longer row.
        start = 0 if downlink else _half_bytes(len(data))
        stream = row.tobytes()[start : start + len(data)]
        out.append(bytes(a ^ b for a, b in zip(data, stream, strict=True)))
    return out


def cipher_voice(ck: bytes, mfn: int, fn: int, payload: bytes, *, downlink: bool) -> bytes:
    """XOR an AirVoice B-field (up to 80 octets) with its frame's keystream (VOICE_* above);
    its own inverse."""
    start = (0 if downlink else VOICE_HALF_BYTES) + VOICE_B_FIELD_OFFSET
    stream = dsc_keystream(ck, dsc_iv(mfn, fn), 8 * (start + len(payload)))
    key = np.frombuffer(stream, dtype=np.uint8, count=len(payload), offset=start)
    return (np.frombuffer(payload, dtype=np.uint8) ^ key).tobytes()


def cipher_voices(items: Sequence[tuple[bytes, int, int, bytes, bool]]) -> list[bytes]:
    """`cipher_voice` for many (ck, mfn, fn, payload, downlink) at once: one batched DSC run
    for every voice frame of a 10 ms tick."""
    if not items:
        return []
    # A downlink frame needs only the SF half: the keystream stops where the last use ends.
    end = max((0 if item[4] else VOICE_HALF_BYTES) + VOICE_B_FIELD_OFFSET + len(item[3])
              for item in items)
    streams = dsc_keystreams(
        [item[0] for item in items], [dsc_iv(item[1], item[2]) for item in items], 8 * end
    )
    out = []
    for row, (_ck, _mfn, _fn, payload, downlink) in zip(streams, items, strict=True):
        start = (0 if downlink else VOICE_HALF_BYTES) + VOICE_B_FIELD_OFFSET
        key = row[start:start + len(payload)]
        out.append((np.frombuffer(payload, dtype=np.uint8) ^ key).tobytes())
    return out


def _frames_ahead(keys: int) -> int:
    """Frames per keystream block: VOICE_ROWS_PER_RUN rows for `keys` keys, a power of two
    from VOICE_STREAMS_AHEAD to VOICE_STREAMS_AHEAD_MAX."""
    ahead = VOICE_STREAMS_AHEAD
    while ahead < VOICE_STREAMS_AHEAD_MAX and keys * ahead * 2 <= VOICE_ROWS_PER_RUN:
        ahead *= 2
    return ahead


@dataclass(slots=True)
class _VoiceJob:
    ck: bytes
    mfn: int
    fn: int
    payload: bytes
    downlink: bool
    done: VoiceDone


class VoiceCipher:
    """AirVoice B-fields queued with `soon` and ciphered together by `run`: one batched DSC
    run for every frame queued by then, from all the handsets and radios of one process (the
    world's Air, or an RFP process's RemoteAir), then done(result, now) for each in order.

    A frame's keystream is the same at both ends and serves both directions, so it is
    generated once per (key, frame), a block of frames at a time (VOICE_ROWS_PER_RUN), and
    kept a little while (VOICE_STREAMS_KEPT): the PP's ciphering and the RFP's deciphering of a
    frame, and the downlink of the same frame, share one run when they share a process. The
    results are those of `cipher_voice`.
    """

    def __init__(self) -> None:
        self._jobs: list[_VoiceJob] = []
        self._streams: dict[tuple[bytes, int, int], bytes] = {}
        self._keys: dict[bytes, int] = {}
        """Each key ciphering voice, and the frame index of the last run that had it."""

    @property
    def pending(self) -> int:
        """Frames queued and not yet ciphered."""
        return len(self._jobs)

    def soon(self, ck: bytes, mfn: int, fn: int, payload: bytes, *, downlink: bool,
             done: VoiceDone) -> bool:
        """Queue a frame for the next `run`; True when it is the first waiting (the owner
        schedules a run then)."""
        self._jobs.append(_VoiceJob(ck, mfn, fn, payload, downlink, done))
        return len(self._jobs) == 1

    def clear(self) -> None:
        """Forget the queued frames (their done is never called)."""
        self._jobs.clear()

    def run(self, now: float, frame: int) -> None:
        """Cipher every queued frame; `frame` is the frame index running at `now`."""
        jobs, self._jobs = self._jobs, []
        cache = self._streams
        keys = self._keys
        for ck in {job.ck for job in jobs}:
            keys[ck] = frame
        for ck, seen in list(keys.items()):
            if seen < frame - VOICE_KEY_IDLE_FRAMES:
                del keys[ck]
        ahead = _frames_ahead(len(keys))
        missing: set[int] = set()
        for job in jobs:
            if (job.ck, job.mfn, job.fn) not in cache:
                missing.add((job.mfn * FRAMES_PER_MULTIFRAME + job.fn) // ahead)
        wanted: dict[tuple[bytes, int, int], None] = {}
        for block in sorted(missing):
            # Whole blocks of frames for every key in use, so that all the connections of the
            # process miss together: one DSC run per block, not one per frame, and none
            # for a frame that comes early (a late loop catching up) or from the other end.
            for ck in keys:
                for index in range(block * ahead, (block + 1) * ahead):
                    stream = (ck, *frame_numbers(index))
                    if stream not in cache:
                        wanted[stream] = None
        if wanted:
            rows = dsc_keystreams([w[0] for w in wanted],
                                  [dsc_iv(w[1], w[2]) for w in wanted], 16 * VOICE_HALF_BYTES)
            for stream, row in zip(wanted, rows, strict=True):
                cache[stream] = row.tobytes()
            if len(cache) > VOICE_STREAMS_KEPT:
                # The oldest quarter at once: deleting one at a time from a dict's front
                # makes every next(iter()) walk past all the slots deleted before.
                excess = len(cache) - VOICE_STREAMS_KEPT * 3 // 4
                for stream in list(itertools.islice(cache, excess)):
                    del cache[stream]
        for job in jobs:
            row = cache.get((job.ck, job.mfn, job.fn))
            if row is None:  # pushed out already by a burst bigger than the cache
                result = cipher_voice(job.ck, job.mfn, job.fn, job.payload,
                                      downlink=job.downlink)
            else:
                # An 80-octet XOR as one Python int costs a third of a numpy one.
                size = len(job.payload)
                start = (0 if job.downlink else VOICE_HALF_BYTES) + VOICE_B_FIELD_OFFSET
                key = int.from_bytes(row[start:start + size], "little")
                result = (int.from_bytes(job.payload, "little") ^ key).to_bytes(size, "little")
            job.done(result, now)


def describe_air(air: Air) -> list[dict[str, object]]:
    """A JSON-friendly view of every RFP's radio state (for logs and debugging)."""
    out: list[dict[str, object]] = []
    for rfp_id, site in sorted(air.rfps.items()):
        status = air.sync_status(rfp_id)
        out.append(
            {
                "id": rfp_id,
                "rpn": site.rpn,
                "x": site.x,
                "y": site.y,
                "cluster": site.cluster,
                "up": site.up,
                "synced": status.synced,
                "reference": status.reference,
                "parent": status.parent,
                "hops": status.hops,
                "relations": [(r.rfp_id, r.rssi_dbm) for r in air.sync_relations(rfp_id)],
            }
        )
    return out


def _pair(rfp_a: int, rfp_b: int) -> tuple[int, int]:
    """The key of a pair of RFPs, whichever way round."""
    return (rfp_a, rfp_b) if rfp_a <= rfp_b else (rfp_b, rfp_a)


def _strongest_first(heard: tuple[float, int]) -> tuple[float, int]:
    """The order of a neighbour list of (rssi, id): strongest first, then lowest id."""
    return -heard[0], heard[1]
