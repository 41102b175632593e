"""The AXI pre-login gate (sipdect.axi.admission): quotas per source and overall, eviction,
and refusals reported once per source, then summed up."""

from __future__ import annotations

import pytest

from sipdect.axi.admission import PreLoginGate, PreLoginLimits

LIMITS = PreLoginLimits(per_source=2, total=4, login_timeout=1.0, report_interval=60.0)


def test_one_source_gets_its_quota_and_no_more() -> None:
    gate: PreLoginGate[str] = PreLoginGate(LIMITS)
    assert gate.admit("a1", "10.0.0.1", 0.0).admitted
    assert gate.admit("a2", "10.0.0.1", 0.0).admitted
    third = gate.admit("a3", "10.0.0.1", 0.0)
    assert not third.admitted and third.evict is None
    assert [(r.source, r.count) for r in third.reports] == [("10.0.0.1", 1)]
    assert gate.admit("b1", "10.0.0.2", 0.0).admitted  # other sources are not affected
    gate.done("a1")  # logged in (or closed): the source may wait with another one
    assert gate.admit("a4", "10.0.0.1", 0.0).admitted
    assert (gate.waiting("10.0.0.1"), gate.waiting()) == (2, 3)


def test_when_full_the_busiest_source_makes_room_oldest_first() -> None:
    gate: PreLoginGate[str] = PreLoginGate(LIMITS)
    for conn, source in (("a1", "A"), ("b1", "B"), ("a2", "A"), ("b2", "B")):
        assert gate.admit(conn, source, 0.0).admitted
    newcomer = gate.admit("c1", "C", 1.0)
    assert newcomer.admitted and newcomer.evict == "a1"  # A and B tie: the oldest goes
    assert [r.source for r in newcomer.reports] == ["A"]
    assert gate.admit("c2", "C", 1.0).evict == "b1"
    # Now A, B and C hold one each beside C's second: C is the busiest, its third is refused.
    refused = gate.admit("c3", "C", 1.0)
    assert not refused.admitted and refused.evict is None
    assert (gate.waiting("A"), gate.waiting("B"), gate.waiting("C")) == (1, 1, 2)


def test_a_source_holding_as_many_as_the_busiest_is_refused_when_full() -> None:
    gate: PreLoginGate[str] = PreLoginGate(PreLoginLimits(per_source=4, total=4))
    for i in range(4):
        gate.admit(f"a{i}", "A", 0.0)
    assert not gate.admit("a4", "A", 0.0).admitted
    assert gate.admit("b0", "B", 0.0).evict == "a0"


def test_refusals_are_reported_once_per_source_then_summed_up() -> None:
    gate: PreLoginGate[str] = PreLoginGate(LIMITS)
    first = gate.refused("A", "junk", 10.0)
    assert [(r.source, r.count, r.reason) for r in first] == [("A", 1, "junk")]
    for t in range(5):
        assert gate.refused("A", f"junk {t}", 11.0 + t) == []
    assert gate.refused("B", "idle", 20.0)[0].source == "B"
    assert gate.get_timer() == 70.0
    assert gate.handle_timer(69.0) == []
    summary = gate.handle_timer(70.0)
    assert [(r.source, r.count, r.reason) for r in summary] == [("A", 5, "junk 4")]
    assert gate.get_timer() == 80.0
    assert gate.handle_timer(80.0) == []  # B had no more after its first: nothing to sum up
    assert gate.get_timer() is None
    assert gate.refused("A", "again", 90.0)[0].count == 1  # a new streak is reported at once


def test_unknown_connections_are_ignored_and_limits_are_checked() -> None:
    gate: PreLoginGate[str] = PreLoginGate(LIMITS)
    gate.done("never-admitted")
    assert gate.waiting() == 0
    with pytest.raises(ValueError, match="at least one"):
        PreLoginLimits(per_source=0)
