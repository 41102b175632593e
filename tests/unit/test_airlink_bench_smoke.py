"""`sipdect bench airlink --quick` runs end to end and reports every figure (no timing asserts:
the figures are for people, not for CI)."""

from __future__ import annotations

import pytest

from sipdect.app import airlink_bench, bench


@pytest.mark.slow
def test_quick_airlink_benchmark_reports_every_figure() -> None:
    result = bench.run("airlink", quick=True)["airlink"]
    assert set(result) == {"machine", "link", "calls"}
    link = result["link"]
    for kind in ("data", "voice"):
        over, local = link[kind], link[f"{kind}_in_process"]
        assert over["primitives"] == local["primitives"] == airlink_bench.LINK_PRIMITIVES[1]
        assert over["round_trips_per_s"] > 0 and over["link_primitives_per_s"] > 0, over
        assert over["world_cpu_us_per_round_trip"] > 0 and over["rfp_cpu_us_per_round_trip"] > 0
        assert local["round_trips_per_s"] > 0
    assert link["voice"]["octets_each"] == 80
    runs = result["calls"]["runs"]
    assert [(r["calls"], r["way"]) for r in runs] == [
        (n, way) for n in airlink_bench.CALL_SIZES[1] for way in airlink_bench.WAYS]
    for run in runs:
        assert "error" not in run, run
        assert run["connected_at_end"] == run["calls"] and run["received"] > 0, run
        assert run["undecodable"] == 0 and "lost_or_late_pct" in run
    remote = next(r for r in runs if r["way"] == "rfp_processes")
    assert remote["rfp_processes"] == remote["remote_rfps_on_the_air"] >= 1
    assert set(result["calls"]["max_calls_under_1pct"]) == set(airlink_bench.WAYS)
