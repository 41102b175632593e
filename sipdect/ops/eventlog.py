"""The OMM event log: a bounded list of (severity, subsystem, repeat count, time, text).

Implements features.md §2.9 "Event log" and the AXI EventLogBufferEntryType (id, time,
level, name, count, msg) served by GetEventLogBuffer and pushed as EventEventLogBuffer.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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

_log = logging.getLogger(__name__)


@dataclass(frozen=True)  # no slots: callers persist `entry.__dict__`
class LogEntry:
    """One event log line (AXI EventLogBufferEntryType)."""

    id: int
    """Increases by one per new entry, from 1; never reused, not even after clear()."""
    time: float
    """Epoch seconds of the latest occurrence."""
    level: str
    """Severity, one of LEVELS."""
    name: str
    """Subsystem that logged it, e.g. "AXI", "SIP", "RFP"."""
    count: int
    """How often it occurred in a row."""
    msg: str
    """The text."""

    def time_text(self) -> str:
        """`time` as the AXI `time` attribute shows it: "2026-11-22 17:49:11" (UTC)."""
        return time.strftime(TIME_FORMAT, time.gmtime(self.time))


EventLogListener = Callable[[LogEntry], None]


class EventLog:
    """Ring buffer of LogEntry, folding immediate repeats into the newest entry's count."""

    def __init__(
        self, capacity: int = DEFAULT_CAPACITY, clock: Callable[[], float] = time.time
    ) -> None:
        if capacity < 1:
            raise ValueError(f"event log capacity must be at least 1, not {capacity}")
        self._entries: deque[LogEntry] = deque(maxlen=capacity)
        self._clock = clock
        self._next_id = 1
        self._listeners: list[EventLogListener] = []

    @property
    def capacity(self) -> int:
        """Entries kept; the oldest is dropped beyond this."""
        return self._entries.maxlen or 0

    @property
    def newest_id(self) -> int:
        """Id of the newest entry, or 0 if the log is empty."""
        return self._entries[-1].id if self._entries else 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, level: str, name: str, msg: str) -> LogEntry:
        """Log `msg`; a repeat of the newest entry bumps its count and time instead."""
        if level not in LEVELS:
            raise ValueError(f"unknown event log level {level!r}; use one of {LEVELS}")
        now = self._clock()
        newest = self._entries[-1] if self._entries else None
        if newest is not None and (newest.level, newest.name, newest.msg) == (level, name, msg):
            entry = dataclasses.replace(newest, time=now, count=newest.count + 1)
            self._entries[-1] = entry
        else:
            entry = LogEntry(self._next_id, now, level, name, 1, msg)
            self._next_id += 1
            self._entries.append(entry)
        self._notify(entry)
        return entry

    def entries(self, start_id: int = 0, max_records: int = 20) -> list[LogEntry]:
        """Up to `max_records` entries with id >= `start_id`, oldest first."""
        result: list[LogEntry] = []
        if max_records <= 0:
            return result
        for entry in self._entries:
            if entry.id >= start_id:
                result.append(entry)
                if len(result) == max_records:
                    break
        return result

    def clear(self) -> None:
        """Drop every entry (AXI DeleteEventLogBuffer); ids keep counting up."""
        self._entries.clear()

    def load(self, entries: Iterable[LogEntry]) -> None:
        """Replace the contents with persisted `entries` (oldest first); no notifications."""
        self._entries.clear()
        self._entries.extend(sorted(entries, key=lambda e: e.id))
        self._next_id = max(self._next_id, self.newest_id + 1)

    def subscribe(self, callback: EventLogListener) -> None:
        """Call `callback` with every new or updated entry."""
        self._listeners.append(callback)

    def unsubscribe(self, callback: EventLogListener) -> None:
        """Stop calling `callback`; unknown callbacks are ignored."""
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _notify(self, entry: LogEntry) -> None:
        for callback in list(self._listeners):
            try:
                callback(entry)
            except Exception:
                # A broken listener (a bug) must not stop logging or the other listeners.
                _log.exception("event log listener %r failed", callback)
