"""RFP statistics: the 28 long-term counters per RFP the OMM keeps (features.md §2.9, row 20).

Sans-I/O: fed plain events and `now` (the OMM's clock, epoch seconds, scaled with the system),
it keeps three weekly record sets per RFP, as GetRFPStatisticConfigResp announces them
(`<rfpStatHead numElemPerRec="28" recordSets="3" resolution="week"/>`, mitel-api
OmmMessageTest.cs). Names, groups and element ids are those of a real OMM (the OMP's statistics
view, ommstats `doc/omp.png`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from sipdect.link import constants as c
from sipdect.link.dnm import StatisticData


@dataclass(frozen=True)
class StatCounter:
    """One counter of a record: its element id, group and name as AXI and the OMP show them."""

    elem_id: int
    group: str
    name: str


class Elem(IntEnum):
    """Element ids of the 28 counters (the position in GetRFPStatisticResp's counter list)."""

    ONLY_2_VOICE_FREE = 0
    ONLY_1_VOICE_FREE = 1
    VOICE_BUSY = 2
    VOICE_BUSY_CALL_REJECTED = 3
    ONLY_2_4_AIR_FREE = 4
    ONLY_1_AIR_FREE = 5
    AIR_BUSY = 6
    PAGING_QUEUE_OVERFLOWS = 7
    SYNC_LOSTS = 8
    LOW_RELATIONS = 9
    OFFSET_JUMPS = 10
    RFP_RESETS = 11
    CONNECTION_TIMEOUTS = 12
    CONNECTIONS_01_03 = 13
    CONNECTIONS_04_06 = 14
    CONNECTIONS_07_09 = 15
    CONNECTIONS_10_12 = 16
    DSP_01_02 = 17
    DSP_03_04 = 18
    DSP_05_06 = 19
    DSP_07_08 = 20
    LOST_CONNECTIONS = 21
    MAC_RESET = 22
    REJECT_DUMMY = 23
    HO_TIMER_OVER_150MS = 24
    BAD_FRAMES = 25
    GOOD_FRAMES = 26
    FER_PER_MILLE = 27


_VOICE, _AIR, _BMC_C, _BMC_D, _BMC_M, _BMC_F = (
    "Voice channels", "Air channels", "BMC: Connections", "BMC: DSP chan used",
    "BMC: Miscellaneous", "BMC: Frame error rate")

COUNTERS: tuple[StatCounter, ...] = tuple(StatCounter(int(e), g, n) for e, g, n in (
    (Elem.ONLY_2_VOICE_FREE, _VOICE, "Only 2 voice channels free"),
    (Elem.ONLY_1_VOICE_FREE, _VOICE, "Only 1 voice channels free"),
    (Elem.VOICE_BUSY, _VOICE, "Voice channels busy"),
    # The OMP cuts this name off after "call..."; the rest is sipdect's guess (CALL_REJECTED).
    (Elem.VOICE_BUSY_CALL_REJECTED, _VOICE, "Voice channels busy and call rejected"),
    (Elem.ONLY_2_4_AIR_FREE, _AIR, "Only 2-4 air channels free"),
    (Elem.ONLY_1_AIR_FREE, _AIR, "Only 1 air channel free"),
    (Elem.AIR_BUSY, _AIR, "Air channels busy"),
    (Elem.PAGING_QUEUE_OVERFLOWS, "Paging", "Paging queue overflows"),
    (Elem.SYNC_LOSTS, "Sync", "Synchronisation losts"),
    (Elem.LOW_RELATIONS, "Sync", "Low relations"),
    (Elem.OFFSET_JUMPS, "Sync", "Offset jumps"),
    (Elem.RFP_RESETS, "RFP health", "RFP resets"),
    (Elem.CONNECTION_TIMEOUTS, "RFP health", "RFP connection timeouts"),
    (Elem.CONNECTIONS_01_03, _BMC_C, "01 - 03"),
    (Elem.CONNECTIONS_04_06, _BMC_C, "04 - 06"),
    (Elem.CONNECTIONS_07_09, _BMC_C, "07 - 09"),
    (Elem.CONNECTIONS_10_12, _BMC_C, "10 - 12"),
    (Elem.DSP_01_02, _BMC_D, "01 - 02"),
    (Elem.DSP_03_04, _BMC_D, "03 - 04"),
    (Elem.DSP_05_06, _BMC_D, "05 - 06"),
    (Elem.DSP_07_08, _BMC_D, "07 - 08"),
    (Elem.LOST_CONNECTIONS, _BMC_M, "Lost connections"),
    (Elem.MAC_RESET, _BMC_M, "MAC reset"),
    (Elem.REJECT_DUMMY, _BMC_M, "Reject dummy"),
    (Elem.HO_TIMER_OVER_150MS, _BMC_M, "Ho timer > 150ms"),
    (Elem.BAD_FRAMES, _BMC_F, "Bad frames"),
    (Elem.GOOD_FRAMES, _BMC_F, "Good frames"),
    (Elem.FER_PER_MILLE, _BMC_F, "Frame error rate in 1/1000"),
))
"""The 28 counters in element id order (4+3+1+3+2+4+4+4+3 in 9 groups)."""

RECORD_SETS = 3
"""Record set 0 is the running week, 1 the week before, 2 the one before that."""
RESOLUTION = "week"
WEEK_S = 7 * 86400
WEEK_ORIGIN = 4 * 86400
"""Weeks start on Monday 00:00 UTC (1970-01-05 was a Monday): sipdect's choice; the real
OMM's week boundary is not documented."""
COUNTER_MAX = 0xFFFFFFFF
"""A counter saturates here (u32, as the RFP reports its frame counters)."""
AIR_CHANNELS = 12
"""Air time slots (bearers) of an RFP: NumberOfBearer, 12."""


def voice_capacity(hw_type: str) -> int:
    """The voice channels of an RFP of this AXI hwType ("RFP 44", "RFP L43 US", ...): its
    model's (sipdect.link.constants.voice_channels); an L- or US-variant counts as its model."""
    name = hw_type.replace("RFP L", "RFP ").removesuffix(" US").replace(" ", "")
    code = c.HardwareType.__members__.get(name)
    return c.VOICE_CHANNELS if code is None else c.voice_channels(code)


#: From StatisticData's fields to the elements they feed (BMC counters the RFP counts).
BMC_ELEMENTS: tuple[tuple[str, Elem], ...] = (
    ("connections_01_03", Elem.CONNECTIONS_01_03), ("connections_04_06", Elem.CONNECTIONS_04_06),
    ("connections_07_09", Elem.CONNECTIONS_07_09), ("connections_10_12", Elem.CONNECTIONS_10_12),
    ("dsp_01_02", Elem.DSP_01_02), ("dsp_03_04", Elem.DSP_03_04),
    ("dsp_05_06", Elem.DSP_05_06), ("dsp_07_08", Elem.DSP_07_08),
    ("lost_connections", Elem.LOST_CONNECTIONS), ("mac_resets", Elem.MAC_RESET),
    ("reject_dummy", Elem.REJECT_DUMMY), ("ho_timer_over_150ms", Elem.HO_TIMER_OVER_150MS),
    ("bad_frames", Elem.BAD_FRAMES), ("good_frames", Elem.GOOD_FRAMES),
)


@dataclass
class MediaQuality:
    """RFPMediaStreamQualityType: the RFP's RTP streams since the last reset, summed from the
    MEDIA_STATISTICS each closed stream reported."""

    connects: int = 0
    duration: int = 0
    """Seconds of streaming."""
    packetsRx: int = 0  # noqa: N815 - the AXI attribute names
    octetsRx: int = 0  # noqa: N815
    packetsTx: int = 0  # noqa: N815
    octetsTx: int = 0  # noqa: N815
    packetsLost: int = 0  # noqa: N815
    maxJitter: int = 0  # noqa: N815
    """Milliseconds (MEDIA_STATISTICS reports µs; the AXI unit is not documented)."""


def week_of(now: float) -> int:
    """The week number of an epoch time (WEEK_ORIGIN)."""
    return int((now - WEEK_ORIGIN) // WEEK_S)


def frame_error_rate(bad: int, good: int) -> int:
    """Bad frames per 1000 frames, rounded (real records: 11946 bad, 3159605 good -> 4)."""
    total = bad + good
    return 0 if total <= 0 else (bad * 1000 * 2 + total) // (2 * total)


_VOICE_LEVELS = ((2, Elem.ONLY_2_VOICE_FREE), (1, Elem.ONLY_1_VOICE_FREE),
                 (0, Elem.VOICE_BUSY))
_AIR_LEVELS = ((4, Elem.ONLY_2_4_AIR_FREE), (1, Elem.ONLY_1_AIR_FREE), (0, Elem.AIR_BUSY))
LOW_RELATIONS = 2
"""Fewer sync relations than this, after having had as many, counts as "Low relations"
(one relation left is a single point of failure; sipdect's threshold)."""
OFFSET_JUMP_NS = 1000
"""A neighbour's phase offset moving by more than this between reports is an offset jump
(sipdect's threshold). The simulated air keeps synced RFPs at offset 0, so it never jumps."""


class RfpStatistics:
    """The counters of every RFP, in three weekly record sets.

    A counter counts occurrences: entering a band ("only 1 voice channel free" counts each time
    the RFP comes down to one free channel, not the time spent there), an event (a sync loss,
    a reset), or what the RFP's BMC reported (STATISTICS_DATA_CFM; added as the difference
    to its previous report, since the RFP counts from its own start).
    """

    def __init__(self, now: float, on_change: Callable[[int], None] | None = None) -> None:
        self.week = week_of(now)
        self.on_change = on_change
        self._records: dict[int, list[list[int]]] = {}
        self._voice_free: dict[int, int] = {}
        self._air_free: dict[int, int] = {}
        self._relations: dict[int, int] = {}
        self._offsets: dict[int, dict[int, int]] = {}
        self._bmc_last: dict[int, StatisticData] = {}
        self.media: dict[int, MediaQuality] = {}
        """Per RFP: its media streams (GetRFPMediaStreamQuality)."""
        self.connected_since: dict[int, float] = {}
        """Per connected RFP: when its link came up (GetRFPIpQuality connectedTime)."""

    # -- reading ------------------------------------------------------------------------------
    def record(self, rfp_id: int, record_set: int, now: float) -> list[int]:
        """The 28 values of one RFP's record set (0: this week), the frame error rate made."""
        if not 0 <= record_set < RECORD_SETS:
            raise ValueError(f"record set {record_set}: there are {RECORD_SETS} (0-2)")
        self.roll(now)
        values = list(self._sets(rfp_id)[record_set])
        values[Elem.FER_PER_MILLE] = frame_error_rate(values[Elem.BAD_FRAMES],
                                                      values[Elem.GOOD_FRAMES])
        return values

    def named(self, rfp_id: int, record_set: int, now: float) -> list[tuple[StatCounter, int]]:
        """(counter, value) pairs of a record, in element id order."""
        return list(zip(COUNTERS, self.record(rfp_id, record_set, now), strict=True))

    # -- counting -----------------------------------------------------------------------------
    def count(self, rfp_id: int, elem: Elem, now: float, n: int = 1) -> None:
        """Add n to one counter of the running week."""
        if n <= 0:
            return
        self.roll(now)
        current = self._sets(rfp_id)[0]
        current[elem] = min(current[elem] + n, COUNTER_MAX)
        if self.on_change is not None:
            self.on_change(rfp_id)

    def voice_channels(self, rfp_id: int, in_use: int, now: float,
                       capacity: int = c.VOICE_CHANNELS) -> None:
        """The RFP's voice channels in use changed: count entering a band of few free."""
        self._band(self._voice_free, _VOICE_LEVELS, rfp_id, max(capacity - in_use, 0),
                   capacity, now)

    def voice_rejected(self, rfp_id: int, now: float) -> None:
        """A call wanted a voice channel of an RFP whose channels were all busy (the OMM
        refused it: omm.media.RfpMediaControl.reserve)."""
        self.count(rfp_id, Elem.VOICE_BUSY_CALL_REJECTED, now)

    def air_channels(self, rfp_id: int, in_use: int, now: float,
                     capacity: int = AIR_CHANNELS) -> None:
        """The RFP's air channels (MAC connections) in use changed."""
        self._band(self._air_free, _AIR_LEVELS, rfp_id, capacity - in_use, capacity, now)

    def sync_relations(self, rfp_id: int, relations: int, now: float,
                       offsets: dict[int, int] | None = None) -> None:
        """The RFP reported this many sync neighbours (and their phase offsets in ns, by
        RPN): falling below LOW_RELATIONS counts, and so does each neighbour whose offset
        moved by more than OFFSET_JUMP_NS since its previous report."""
        before = self._relations.get(rfp_id, 0)
        self._relations[rfp_id] = relations
        if before >= LOW_RELATIONS > relations:
            self.count(rfp_id, Elem.LOW_RELATIONS, now)
        if offsets is None:
            return
        previous = self._offsets.get(rfp_id, {})
        self._offsets[rfp_id] = dict(offsets)
        jumps = sum(1 for rpn, offset in offsets.items()
                    if rpn in previous and abs(offset - previous[rpn]) > OFFSET_JUMP_NS)
        self.count(rfp_id, Elem.OFFSET_JUMPS, now, jumps)

    def link_up(self, rfp_id: int, now: float) -> None:
        """The RFP logged in."""
        self.connected_since[rfp_id] = now

    def media_stream(self, rfp_id: int, *, duration: int, packets_rx: int, octets_rx: int,
                     packets_tx: int, octets_tx: int, lost: int, max_jitter_us: int) -> None:
        """One closed RTP stream of the RFP (MEDIA_STATISTICS)."""
        q = self.media.setdefault(rfp_id, MediaQuality())
        q.connects += 1
        q.duration += duration
        q.packetsRx += packets_rx
        q.octetsRx += octets_rx
        q.packetsTx += packets_tx
        q.octetsTx += octets_tx
        q.packetsLost += lost
        q.maxJitter = max(q.maxJitter, round(max_jitter_us / 1000))

    def reset_media(self, rfp_id: int) -> None:
        """ResetRFPMediaStreamQuality."""
        self.media.pop(rfp_id, None)

    def link_down(self, rfp_id: int, now: float, *, timeout: bool) -> None:
        """The RFP's link ended: a heartbeat timeout counts, and its live levels restart."""
        self.connected_since.pop(rfp_id, None)
        if timeout:
            self.count(rfp_id, Elem.CONNECTION_TIMEOUTS, now)
        self._voice_free.pop(rfp_id, None)
        self._air_free.pop(rfp_id, None)
        self._relations.pop(rfp_id, None)
        self._offsets.pop(rfp_id, None)

    def bmc(self, rfp_id: int, data: StatisticData, now: float) -> None:
        """A STATISTICS_DATA_CFM: add what the BMC counted since its previous report (all of
        it when a counter went down: the RFP restarted)."""
        last = self._bmc_last.get(rfp_id)
        self._bmc_last[rfp_id] = data
        for name, elem in BMC_ELEMENTS:
            value = int(getattr(data, name))
            before = int(getattr(last, name)) if last is not None else 0
            self.count(rfp_id, elem, now, value - before if value >= before else value)

    # -- resetting ----------------------------------------------------------------------------
    def reset(self, rfp_ids: Iterable[int] | None = None, elem: int | None = None) -> None:
        """Clear every record set of these RFPs (None: all), one element or all of them."""
        targets = list(self._records) if rfp_ids is None else list(rfp_ids)
        for rfp_id in targets:
            for values in self._records.get(rfp_id, []):
                if elem is None:
                    values[:] = [0] * len(COUNTERS)
                else:
                    values[elem] = 0
            if self.on_change is not None:
                self.on_change(rfp_id)

    def forget(self, rfp_id: int) -> None:
        """The RFP was deleted."""
        for table in (self._records, self._voice_free, self._air_free, self._relations,
                      self._offsets, self._bmc_last, self.media, self.connected_since):
            table.pop(rfp_id, None)

    def roll(self, now: float) -> None:
        """Start a new week when `now` is in a later one; the oldest record set drops out."""
        week = week_of(now)
        passed = week - self.week
        if passed <= 0:
            return
        self.week = week
        for sets in self._records.values():
            for _ in range(min(passed, RECORD_SETS)):
                sets.insert(0, [0] * len(COUNTERS))
                sets.pop()

    # -- helpers ------------------------------------------------------------------------------
    def _sets(self, rfp_id: int) -> list[list[int]]:
        sets = self._records.get(rfp_id)
        if sets is None:
            sets = [[0] * len(COUNTERS) for _ in range(RECORD_SETS)]
            self._records[rfp_id] = sets
        return sets

    def _band(self, last: dict[int, int], levels: tuple[tuple[int, Elem], ...], rfp_id: int,
              free: int, capacity: int, now: float) -> None:
        before = last.get(rfp_id, capacity)
        last[rfp_id] = free
        if free >= before:
            return
        # Going down through several bands at once counts each band entered.
        for most_free, elem in levels:
            if free <= most_free < before:
                self.count(rfp_id, elem, now)
