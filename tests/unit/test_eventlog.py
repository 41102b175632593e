"""Tests for sipdect.ops.eventlog (features.md §2.9; AXI EventLogBufferEntryType)."""

from __future__ import annotations

import pytest

from sipdect.ops.eventlog import LEVELS, EventLog, LogEntry


class FakeClock:
    def __init__(self, now: float = 1_795_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_levels_are_the_schema_levels() -> None:
    assert LEVELS == ("Always", "GenInfo", "FnEnter", "Event", "MinorErr", "MajorErr", "FatalErr")


def test_time_text() -> None:
    entry = LogEntry(1, 1_795_369_751.9, "Event", "AXI", 1, "login")
    assert entry.time_text() == "2026-11-22 17:49:11"


def test_add_assigns_increasing_ids(clock: FakeClock) -> None:
    log = EventLog(clock=clock)
    a = log.add("GenInfo", "OMM", "SW version 9.1")
    clock.now += 1
    b = log.add("MinorErr", "SIP", "registration failed")
    assert (a.id, b.id) == (1, 2)
    assert (a.count, a.time, b.time) == (1, clock.now - 1, clock.now)
    assert log.entries() == [a, b]
    assert log.newest_id == 2 and len(log) == 2


def test_repeat_folds_into_newest(clock: FakeClock) -> None:
    log = EventLog(clock=clock)
    log.add("MinorErr", "SIP", "registration failed")
    clock.now += 5
    again = log.add("MinorErr", "SIP", "registration failed")
    assert (again.id, again.count, again.time) == (1, 2, clock.now)
    assert log.entries() == [again]
    # Only the newest entry folds; the same text after another entry is new.
    log.add("Event", "AXI", "login omm")
    third = log.add("MinorErr", "SIP", "registration failed")
    assert (third.id, third.count) == (3, 1)
    # Same text at another level or subsystem is a new entry.
    assert log.add("MajorErr", "SIP", "registration failed").id == 4
    assert log.add("MajorErr", "RFP", "registration failed").id == 5


def test_ring_buffer(clock: FakeClock) -> None:
    log = EventLog(capacity=3, clock=clock)
    for i in range(5):
        log.add("Event", "T", f"m{i}")
    assert [e.id for e in log.entries()] == [3, 4, 5]
    assert log.capacity == 3


def test_entries_paging(clock: FakeClock) -> None:
    log = EventLog(clock=clock)
    for i in range(30):
        log.add("Event", "T", f"m{i}")
    assert [e.id for e in log.entries()] == list(range(1, 21))
    assert [e.id for e in log.entries(21)] == list(range(21, 31))
    assert [e.id for e in log.entries(5, 3)] == [5, 6, 7]
    assert log.entries(31) == []
    assert log.entries(1, 0) == []


def test_clear_keeps_counting(clock: FakeClock) -> None:
    log = EventLog(clock=clock)
    log.add("Event", "T", "a")
    log.add("Event", "T", "b")
    log.clear()
    assert log.entries() == [] and log.newest_id == 0
    assert log.add("Event", "T", "b").id == 3  # not folded into the cleared entry


def test_subscribe(clock: FakeClock) -> None:
    log = EventLog(clock=clock)
    seen: list[LogEntry] = []
    log.subscribe(seen.append)
    log.add("Event", "T", "a")
    log.add("Event", "T", "a")
    assert [(e.id, e.count) for e in seen] == [(1, 1), (1, 2)]
    log.unsubscribe(seen.append)
    log.unsubscribe(seen.append)  # twice is harmless
    log.add("Event", "T", "b")
    assert len(seen) == 2


def test_broken_listener_does_not_stop_logging(clock: FakeClock) -> None:
    log = EventLog(clock=clock)
    seen: list[LogEntry] = []

    def broken(entry: LogEntry) -> None:
        raise RuntimeError("bug")

    log.subscribe(broken)
    log.subscribe(seen.append)
    log.add("Event", "T", "a")
    assert len(seen) == 1 and len(log) == 1


def test_load(clock: FakeClock) -> None:
    saved = [LogEntry(8, 1.0, "Event", "T", 2, "b"), LogEntry(7, 0.5, "Event", "T", 1, "a")]
    log = EventLog(capacity=5, clock=clock)
    seen: list[LogEntry] = []
    log.subscribe(seen.append)
    log.load(saved)
    assert [e.id for e in log.entries()] == [7, 8] and seen == []
    assert log.add("Event", "T", "b").count == 3  # folds into the restored newest entry
    assert log.add("Event", "T", "c").id == 9


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown event log level"):
        EventLog().add("Info", "T", "x")
    with pytest.raises(ValueError, match="capacity"):
        EventLog(capacity=0)


def test_entry_round_trips_through_its_dict(clock: FakeClock) -> None:
    # The OMM model persists `entry.__dict__` and restores with LogEntry(**d).
    entry = EventLog(clock=clock).add("Event", "AXI", "login")
    assert LogEntry(**dict(entry.__dict__)) == entry
