"""The OMM's system statistics (AXI GetSysStatistic*, axi.md §3.4 "System statistics"): a few
counters of what the whole installation does, in hourly records, fed by the OMM's hub.

The schema gives the shapes (SysStatNameType: elemId, type, name, resolution, duration,
numOfRecords, unit, numOfFreqDistChannels; an "Occurrence" element counts events per record,
a "MinMax" element keeps the lowest and highest value it was sampled at per record, with a
frequency distribution); which counters a real OMM keeps is not public. ELEMENTS below is
sipdect's choice, in one place: what the emulator really does and a monitoring tool would want
to watch. Sans-I/O: the clock is given.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from omm.dect import events as fev
from omm.hub import OmmHub

OCCURRENCE: Final = "Occurrence"
MIN_MAX: Final = "MinMax"
RESOLUTION: Final = "hour"
DURATION_S: Final = 3600
"""[D] One record per hour of the emulator's clock (hours start on the hour, UTC)."""
RECORDS: Final = 24
"""[D] Records kept per element: the running hour and the 23 before it."""
FREQ_DIST_UNITS: Final = (0, 1, 2, 4, 8, 16, 32, 64)
"""[D] A MinMax element's frequency distribution: how many samples fell in [unit, next unit)
(the last channel: this or more)."""


@dataclass(frozen=True, slots=True)
class SysElement:
    elem_id: int
    type: str
    name: str
    unit: str


ELEMENTS: Final = (
    SysElement(0, MIN_MAX, "PPs in a call", "PPs"),
    SysElement(1, OCCURRENCE, "Call set-ups", "calls"),
    SysElement(2, OCCURRENCE, "Handovers", "handovers"),
    SysElement(3, OCCURRENCE, "Location registrations", "registrations"),
    SysElement(4, OCCURRENCE, "PPs not found", "pages"),
)
"""[D] The system statistics (sipdect's choice; the real OMM's list is not public): PPs in a
call (sampled at every change), calls a PP set up or was offered, connection handovers,
location registrations, and pagings a PP never answered."""
_IN_CALL: Final = frozenset({"connected"})
_SET_UP: Final = frozenset({"calling", "ringing"})
_TRANSACTIONS: Final = {"ConnHandover": 2, "LocReg": 3, "PPNotFound": 4}


def hour_of(now: float) -> int:
    return int(now // DURATION_S)


@dataclass(slots=True)
class _Record:
    """One hour of one element: its count (Occurrence), or its samples (MinMax)."""

    count: int = 0
    low: int | None = None
    high: int | None = None
    samples: int = 0
    total: int = 0
    dist: list[int] | None = None
    """Samples per FREQ_DIST_UNITS channel (None: no sample yet)."""

    def sample(self, value: int) -> None:
        self.low = value if self.low is None else min(self.low, value)
        self.high = value if self.high is None else max(self.high, value)
        self.samples += 1
        self.total += value
        if self.dist is None:
            self.dist = [0] * len(FREQ_DIST_UNITS)
        self.dist[bisect_right(FREQ_DIST_UNITS, value) - 1 if value >= 0 else 0] += 1


class SystemStatistics:
    """The records of every element, newest first, rolled on the hour."""

    def __init__(self, hub: OmmHub, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._hour = hour_of(clock())
        self._records: dict[int, list[_Record]] = {}
        self._call_states: dict[int, str] = {}
        """Each PP's call state but idle."""
        self._in_call: set[int] = set()
        """The PPs whose call is connected: the level of "PPs in a call"."""
        self.reset()
        hub.subscribe(self._on_event)

    # -- counting -------------------------------------------------------------------------------
    def _on_event(self, event: object) -> None:
        if isinstance(event, fev.PpCallState):
            before = self._call_states.pop(event.ppn, "idle")
            if event.call_state != "idle":
                self._call_states[event.ppn] = event.call_state
            if event.call_state in _SET_UP and before not in _SET_UP | _IN_CALL:
                self.count(1)
            if (event.call_state in _IN_CALL) != (before in _IN_CALL):
                if event.call_state in _IN_CALL:
                    self._in_call.add(event.ppn)
                else:
                    self._in_call.discard(event.ppn)
                self.sample(0, len(self._in_call))
        elif isinstance(event, fev.PpTransaction) and event.tr_type in _TRANSACTIONS:
            self.count(_TRANSACTIONS[event.tr_type])

    def count(self, elem_id: int, n: int = 1) -> None:
        self._current(elem_id).count += n

    def sample(self, elem_id: int, value: int) -> None:
        self._current(elem_id).sample(value)

    def _current(self, elem_id: int) -> _Record:
        self.roll(self._clock())
        return self._records[elem_id][0]

    def roll(self, now: float) -> None:
        """Start a new record per hour passed; a MinMax element's new hour starts at the value
        it had (a quiet hour still shows it)."""
        hours = min(hour_of(now) - self._hour, RECORDS)
        if hours <= 0:
            return
        self._hour = hour_of(now)
        for element in ELEMENTS:
            records = self._records[element.elem_id]
            fresh = [_Record() for _ in range(hours)]
            if element.type == MIN_MAX:
                for record in fresh:
                    record.sample(len(self._in_call))
            records[:0] = fresh
            del records[RECORDS:]

    def reset(self, elem_id: int | None = None) -> None:
        """Clear one element's records (None: all); the running hour starts now. (Records
        before the first are made when read: a reset, as in every OMM reset, stays cheap.)"""
        for element in ELEMENTS:
            if elem_id is None or element.elem_id == elem_id:
                self._records[element.elem_id] = [_Record()]
        if elem_id is None:  # set-ups count afresh; the calls that run go on
            self._call_states = {p: s for p, s in self._call_states.items() if p in self._in_call}

    # -- reading --------------------------------------------------------------------------------
    def element(self, elem_id: int) -> SysElement:
        """KeyError for an unknown id."""
        if not 0 <= elem_id < len(ELEMENTS):
            raise KeyError(elem_id)
        return ELEMENTS[elem_id]

    def records(self, elem_id: int, first: int, count: int) -> list[_Record]:
        """Records from `first` (0: the running hour) on, at most `count`."""
        self.roll(self._clock())
        kept = self._records[elem_id][first:first + max(count, 0)]
        wanted = max(min(count, RECORDS - first), 0)
        return kept + [_Record() for _ in range(wanted - len(kept))]

    def measured(self, first: int, count: int) -> tuple[int, int]:
        """(start of the record `first`, start of the oldest of the `count` from it), epoch s."""
        newest = (self._hour - first) * DURATION_S
        return newest, newest - (max(count, 1) - 1) * DURATION_S

    def age(self) -> int:
        """Seconds the running hour has run."""
        return int(self._clock() - self._hour * DURATION_S)
