"""omm.sysstatistics on a hand-set clock: what the hub tells moves the system statistics, in
hourly records that roll over and reset."""

from __future__ import annotations

from omm.dect import events as fev
from omm.hub import OmmHub
from omm.sysstatistics import DURATION_S, ELEMENTS, MIN_MAX, RECORDS, SystemStatistics
from tests.unit.clocks import ManualClock

HOUR = 480_000 * DURATION_S
"""An hour's start (epoch seconds)."""


def started() -> tuple[OmmHub, ManualClock, SystemStatistics]:
    hub, clock = OmmHub(), ManualClock(HOUR + 10)
    return hub, clock, SystemStatistics(hub, clock)


def call(hub: OmmHub, *states: tuple[int, str]) -> None:
    for ppn, state in states:
        hub.publish(fev.PpCallState(ppn, state))


def test_the_elements_are_one_min_max_and_occurrences() -> None:
    assert [e.elem_id for e in ELEMENTS] == list(range(len(ELEMENTS)))
    assert ELEMENTS[0].type == MIN_MAX and ELEMENTS[0].name == "PPs in a call"
    assert {e.type for e in ELEMENTS[1:]} == {"Occurrence"}


def test_calls_count_set_ups_and_sample_pps_in_a_call() -> None:
    hub, _, stats = started()
    call(hub, (1, "calling"), (2, "ringing"), (1, "connected"), (2, "connected"),
         (1, "idle"), (2, "idle"), (3, "calling"), (3, "idle"))
    (record,) = stats.records(1, 0, 1)
    assert record.count == 3  # 1 called, 2 was offered it, 3 called
    (pps,) = stats.records(0, 0, 1)
    assert (pps.low, pps.high, pps.samples, pps.total) == (0, 2, 4, 1 + 2 + 1 + 0)
    assert pps.dist is not None and pps.dist[:4] == [1, 2, 1, 0]  # samples 0 | 1, 1 | 2


def test_transactions_count_handovers_registrations_and_pps_not_found() -> None:
    hub, _, stats = started()
    for tr_type in ("ConnHandover", "LocReg", "LocReg", "PPNotFound", "LinkEstablish"):
        hub.publish(fev.PpTransaction(tr_type, 7, 1))
    assert [stats.records(e, 0, 1)[0].count for e in (2, 3, 4)] == [1, 2, 1]


def test_records_roll_on_the_hour_and_keep_a_day() -> None:
    hub, clock, stats = started()
    call(hub, (1, "calling"), (1, "connected"))
    clock.now += DURATION_S
    call(hub, (2, "calling"))
    set_ups = [r.count for r in stats.records(1, 0, 3)]
    assert set_ups == [1, 1, 0]
    # A quiet hour still shows the PP that stayed in its call.
    (now, before) = stats.records(0, 0, 2)
    assert (now.low, now.high, before.high) == (1, 1, 1)
    assert stats.measured(0, 2) == (HOUR + DURATION_S, HOUR)
    assert stats.age() == 10
    clock.now += 30 * DURATION_S
    assert len(stats.records(1, 0, 99)) == RECORDS
    assert [r.count for r in stats.records(1, 0, RECORDS)] == [0] * RECORDS


def test_reset_clears_one_element_or_all() -> None:
    hub, _, stats = started()
    call(hub, (1, "calling"))
    hub.publish(fev.PpTransaction("LocReg", 1, 1))
    stats.reset(1)
    assert stats.records(1, 0, 1)[0].count == 0 and stats.records(3, 0, 1)[0].count == 1
    stats.reset()
    assert stats.records(3, 0, 1)[0].count == 0
