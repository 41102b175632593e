"""The OMM event log: a bounded list of (severity, subsystem, repeat count, time, text).

Implements features.md §2.9 "Event log" and the AXI EventLogBufferEntryType (id, time,
level, name, count, msg) served by GetEventLogBuffer and pushed as EventEventLogBuffer.
A flood cannot wipe it: repeats from one source merge into one entry (add_repeated), and
when the ring is full the oldest entry of the lowest severity present goes first.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sipdect import clock

# AXI EventLogBufferLevelType, in the schema's order (least to most severe).
LEVELS: tuple[str, ...] = (
    "Always",
    "GenInfo",
    "FnEnter",
    "Event",
    "MinorErr",
    "MajorErr",
    "FatalErr",
)

# The real OMM's time format is not in any public sample; this is our choice. UTC, so
# that the log reads the same whatever the host's time zone.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

DEFAULT_CAPACITY = 1000

#: One kind of merged entry (add_repeated: e.g. failed logins, one entry per source) may
#: fill at most this share of the ring; beyond it the oldest of that kind goes, so a flood
#: from many addresses cannot push out anything else either. Our choice [A].
MERGED_KIND_SHARE = 0.25

_log = logging.getLogger(__name__)


@dataclass(frozen=True)  # no slots: callers persist `entry.__dict__`
class LogEntry:
    """One event log line (AXI EventLogBufferEntryType, plus what merging needs)."""

    id: int
    """Increases by one per new entry, from 1; never reused, not even after clear()."""
    time: float
    """Epoch seconds of the latest occurrence."""
    level: str
    """Severity, one of LEVELS."""
    name: str
    """Subsystem that logged it, e.g. "AXI", "SIP", "RFP"."""
    count: int
    """How often it occurred: in a row, or from its source for a merged entry."""
    msg: str
    """The text."""
    kind: str = ""
    """What repeats, for an entry merged by source (add_repeated); "" otherwise. Not on
    the wire."""
    source: str = ""
    """Who it repeats for (an address), for a merged entry; "" otherwise. Not on the wire."""

    def time_text(self) -> str:
        """`time` as the AXI `time` attribute shows it: "2026-11-22 17:49:11" (UTC)."""
        return time.strftime(TIME_FORMAT, time.gmtime(self.time))


EventLogListener = Callable[[LogEntry], None]
RemovalListener = Callable[[LogEntry], None]


class EventLog:
    """Ring of LogEntry by id. Immediate repeats fold into the newest entry's count; repeats
    by source merge wherever their entry is; the lowest severity makes room first."""

    def __init__(
        self, capacity: int = DEFAULT_CAPACITY, clock: Callable[[], float] = clock.wall
    ) -> None:
        if capacity < 1:
            raise ValueError(f"event log capacity must be at least 1, not {capacity}")
        self._capacity = capacity
        self._clock = clock
        self._next_id = 1
        self._entries: dict[int, LogEntry] = {}
        """By id, oldest first (a new id is always the highest, so insertion order holds)."""
        self._by_level: dict[str, dict[int, None]] = {level: {} for level in LEVELS}
        """Ids of each level, oldest first: who makes room when the ring is full."""
        self._merged: dict[tuple[str, str], int] = {}
        """(kind, source) -> id of the entry repeats of that kind from that source merge into."""
        self._by_kind: dict[str, dict[int, None]] = {}
        """Ids of the merged entries of each kind, oldest first."""
        self._listeners: list[EventLogListener] = []
        self._removal_listeners: list[RemovalListener] = []

    @property
    def capacity(self) -> int:
        """Entries kept; beyond it the oldest entry of the lowest severity present goes."""
        return self._capacity

    @property
    def newest_id(self) -> int:
        """Id of the newest entry, or 0 if the log is empty."""
        return next(reversed(self._entries), 0)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, entry_id: int) -> LogEntry | None:
        """The entry with this id, None if there is none (any more)."""
        return self._entries.get(entry_id)

    def add(self, level: str, name: str, msg: str) -> LogEntry:
        """Log `msg`; a repeat of the newest entry bumps its count and time instead."""
        _check_level(level)
        now = self._clock()
        newest = self._entries.get(self.newest_id)
        if (newest is not None and not newest.kind
                and (newest.level, newest.name, newest.msg) == (level, name, msg)):
            entry = dataclasses.replace(newest, time=now, count=newest.count + 1)
            self._entries[entry.id] = entry
        else:
            entry = self._append(LogEntry(self._next_id, now, level, name, 1, msg))
        self._notify(entry)
        self._trim()
        return entry

    def add_repeated(self, level: str, name: str, kind: str, source: str,
                     text: Callable[[int], str]) -> LogEntry:
        """Log one more `kind` event from `source` (e.g. a failed login from an address),
        merged into the entry of the earlier ones even when others came in between: count
        plus one, the latest time, `text(count)` as its text. An entry that is not the
        newest moves to the end with a new id, so ids and times keep increasing together
        and a reader that pages on from the last id it saw finds it again."""
        _check_level(level)
        now = self._clock()
        key = (kind, source)
        old = self._entries.get(self._merged.get(key, 0))
        count = old.count + 1 if old is not None else 1
        if old is not None and old.id == self.newest_id and old.level == level:
            entry = dataclasses.replace(old, time=now, count=count, msg=text(count), name=name)
            self._entries[entry.id] = entry
        else:
            if old is not None:
                self._remove(old.id)
            else:
                same_kind = self._by_kind.get(kind, {})
                if len(same_kind) >= max(1, int(self._capacity * MERGED_KIND_SHARE)):
                    self._remove(next(iter(same_kind)))
            entry = self._append(LogEntry(self._next_id, now, level, name, count, text(count),
                                          kind, source))
        self._notify(entry)
        self._trim()
        return entry

    def entries(self, start_id: int = 0, max_records: int = 20) -> list[LogEntry]:
        """Up to `max_records` entries with id >= `start_id`, oldest first."""
        result: list[LogEntry] = []
        if max_records <= 0:
            return result
        for entry in self._entries.values():
            if entry.id >= start_id:
                result.append(entry)
                if len(result) == max_records:
                    break
        return result

    def clear(self) -> None:
        """Drop every entry (AXI DeleteEventLogBuffer); ids keep counting up."""
        self._entries.clear()
        for ids in self._by_level.values():
            ids.clear()
        self._merged.clear()
        self._by_kind.clear()

    def load(self, entries: Iterable[LogEntry]) -> None:
        """Replace the contents with persisted `entries`; no notifications."""
        self.clear()
        for entry in sorted(entries, key=lambda e: e.id):
            if entry.level in self._by_level:
                self._append(entry)
        self._next_id = max(self._next_id, self.newest_id + 1)
        listeners, self._removal_listeners = self._removal_listeners, []
        try:
            self._trim()
        finally:
            self._removal_listeners = listeners

    def subscribe(self, callback: EventLogListener) -> None:
        """Call `callback` with every new or updated entry."""
        self._listeners.append(callback)

    def unsubscribe(self, callback: EventLogListener) -> None:
        """Stop calling `callback`; unknown callbacks are ignored."""
        if callback in self._listeners:
            self._listeners.remove(callback)

    def subscribe_removals(self, callback: RemovalListener) -> None:
        """Call `callback` with every entry that leaves the ring: pushed out, or moved to
        the end under a new id by add_repeated (clear() calls nobody)."""
        self._removal_listeners.append(callback)

    # -- inside ----------------------------------------------------------------------------
    def _append(self, entry: LogEntry) -> LogEntry:
        self._entries[entry.id] = entry
        self._by_level[entry.level][entry.id] = None
        if entry.kind:
            self._merged[(entry.kind, entry.source)] = entry.id
            self._by_kind.setdefault(entry.kind, {})[entry.id] = None
        self._next_id = max(self._next_id, entry.id + 1)
        return entry

    def _remove(self, entry_id: int) -> None:
        entry = self._entries.pop(entry_id)
        del self._by_level[entry.level][entry_id]
        if entry.kind:
            if self._merged.get((entry.kind, entry.source)) == entry_id:
                del self._merged[(entry.kind, entry.source)]
            same_kind = self._by_kind[entry.kind]
            del same_kind[entry_id]
            if not same_kind:
                del self._by_kind[entry.kind]
        for callback in list(self._removal_listeners):
            try:
                callback(entry)
            except Exception:
                _log.exception("event log removal listener %r failed", callback)

    def _trim(self) -> None:
        """Make room: the oldest entry of the lowest severity present goes first."""
        while len(self._entries) > self._capacity:
            ids = next(ids for ids in self._by_level.values() if ids)
            self._remove(next(iter(ids)))

    def _notify(self, entry: LogEntry) -> None:
        for callback in list(self._listeners):
            try:
                callback(entry)
            except Exception:
                # A broken listener (a bug) must not stop logging or the other listeners.
                _log.exception("event log listener %r failed", callback)


def times_from_source(latest: str, what: str = "") -> Callable[[int], str]:
    """The text of an entry merged by source (add_repeated): the latest occurrence, then how
    often it came from that source (`what` says more, e.g. that user names varied)."""
    more = f", {what}" if what else ""
    return lambda n: latest if n == 1 else f"{latest} ({n} times from this address{more})"


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"unknown event log level {level!r}; use one of {LEVELS}")
