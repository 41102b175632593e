"""Tests for sipdect.ops.eventlog (features.md §2.9; AXI EventLogBufferEntryType)."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipdect.ops.eventlog import (
    LEVELS,
    MERGED_KIND_SHARE,
    EventLog,
    LogEntry,
    times_from_source,
)


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


# -- floods: merging by source, severity-first eviction (issue 9) ----------------------------

def login_failed(log: EventLog, source: str, user: str) -> LogEntry:
    return log.add_repeated("MinorErr", "AXI", "login-failed", source,
                            times_from_source(f"login failed for '{user}' from {source}"))


def test_repeats_from_one_source_merge_even_with_others_in_between(clock: FakeClock) -> None:
    log = EventLog(clock=clock)
    first = login_failed(log, "10.0.0.9", "a")
    assert (first.id, first.count, first.msg) == (1, 1, "login failed for 'a' from 10.0.0.9")
    clock.now += 1
    again = login_failed(log, "10.0.0.9", "b")  # the newest: updated in place
    assert (again.id, again.count) == (1, 2)
    other = log.add("GenInfo", "OMM", "something else")
    clock.now += 1
    third = login_failed(log, "10.0.0.9", "c")  # moves to the end under a new id
    assert (third.id, third.count, third.time) == (3, 3, clock.now)
    assert third.msg == "login failed for 'c' from 10.0.0.9 (3 times from this address)"
    assert log.entries() == [other, third]
    assert login_failed(log, "10.0.0.7", "a").count == 1  # another source: its own entry


def test_a_full_ring_drops_the_oldest_of_the_lowest_severity(clock: FakeClock) -> None:
    log = EventLog(capacity=4, clock=clock)
    major = log.add("MajorErr", "RFP", "RFP 1 disconnected")
    e1 = log.add("Event", "T", "e1")
    info = log.add("GenInfo", "AXI", "password changed")
    e2 = log.add("Event", "T", "e2")
    minor = log.add("MinorErr", "SIP", "registration failed")  # full: GenInfo is lowest
    assert log.entries() == [major, e1, e2, minor]
    e3 = log.add("Event", "T", "e3")  # now Event is the lowest: its oldest goes
    assert log.entries() == [major, e2, minor, e3]
    assert info.id not in {e.id for e in log.entries()}


def test_severity_order_decides_who_makes_room(clock: FakeClock) -> None:
    log = EventLog(capacity=3, clock=clock)
    kept = [log.add(level, "T", level) for level in ("FatalErr", "MajorErr", "MinorErr")]
    for i in range(5):
        log.add("GenInfo", "T", f"info {i}")  # lower than everything kept: it goes itself
    assert log.entries() == kept
    higher = log.add("FatalErr", "T", "worse")
    assert [e.msg for e in log.entries()] == ["FatalErr", "MajorErr", "worse"]
    assert higher.id == kept[-1].id + 6


def test_a_flood_from_one_source_keeps_every_earlier_entry(clock: FakeClock) -> None:
    log = EventLog(clock=clock)  # the OMM's 1,000 entries
    log.add("Always", "OMM", "OMM started")
    for _ in range(3):
        log.add_repeated("MinorErr", "AXI", "login-failed:omm", "10.0.0.1",
                         times_from_source("login failed for 'omm' from 10.0.0.1"))
    changed = log.add("GenInfo", "AXI", "password of account 'omm' changed")
    rng = random.Random(9)
    for i in range(1500):
        clock.now += 0.01
        name = "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(1, 20)))
        login_failed(log, "10.6.6.6", name)
        if i % 100 == 0:
            log.add("GenInfo", "AXI", f"login of user 'tool{i}'")
    texts = [e.msg for e in log.entries(0, 1000)]
    assert texts[0] == "OMM started" and changed in log.entries(0, 1000)
    assert "login failed for 'omm' from 10.0.0.1 (3 times from this address)" in texts
    flood = [e for e in log.entries(0, 1000) if e.source == "10.6.6.6"]
    assert len(flood) == 1 and flood[0].count == 1500 and len(log) == 19


def test_a_flood_from_many_sources_fills_at_most_its_share(clock: FakeClock) -> None:
    log = EventLog(capacity=40, clock=clock)
    changed = log.add("GenInfo", "AXI", "password changed")
    for i in range(500):
        login_failed(log, f"10.0.{i // 250}.{i % 250}", "x")
    kept = log.entries(0, 100)
    assert changed in kept
    assert sum(1 for e in kept if e.kind == "login-failed") == 40 * MERGED_KIND_SHARE
    assert kept[-1].source == "10.0.1.249"  # the newest sources stay


def test_removals_are_announced(clock: FakeClock) -> None:
    log = EventLog(capacity=2, clock=clock)
    gone: list[int] = []
    log.subscribe_removals(lambda entry: gone.append(entry.id))
    login_failed(log, "A", "x")
    log.add("MajorErr", "T", "bad")
    login_failed(log, "A", "y")  # moved: id 1 leaves, id 3 comes
    log.add("MajorErr", "T", "worse")  # full: the MinorErr entry makes room
    assert gone == [1, 3]
    assert [e.msg for e in log.entries()] == ["bad", "worse"]
    assert log.get(3) is None and log.get(2) is not None


def test_load_restores_what_merges(clock: FakeClock) -> None:
    log = EventLog(clock=clock)
    saved = login_failed(log, "A", "x")
    restored = EventLog(clock=clock)
    restored.load([LogEntry(**dict(saved.__dict__))])
    assert login_failed(restored, "A", "y").count == 2 and len(restored) == 1


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(LEVELS), st.integers(0, 3), st.booleans()),
                max_size=60))
def test_any_sequence_keeps_the_ring_consistent(ops: list[tuple[str, int, bool]]) -> None:
    clock = FakeClock()
    log = EventLog(capacity=6, clock=clock)
    for level, source, repeated in ops:
        clock.now += 1
        if repeated:
            log.add_repeated(level, "T", "k", str(source), times_from_source(f"from {source}"))
        else:
            log.add(level, "T", f"m{source}")
        entries = log.entries(0, 100)
        assert len(entries) == len(log) <= 6
        assert [e.id for e in entries] == sorted({e.id for e in entries})
        assert [e.time for e in entries] == sorted(e.time for e in entries)
        keys = [(e.kind, e.source) for e in entries if e.kind]
        assert len(keys) == len(set(keys))
        assert log.newest_id == (entries[-1].id if entries else 0)
