"""`sipdect bench scenario --quick` runs end to end and reports every figure (no timing
asserts)."""

from __future__ import annotations

import pytest

from sipdect.app import bench, scenario_bench


@pytest.mark.slow
def test_quick_scenario_benchmark_reports_every_figure() -> None:
    result = bench.run("scenario", quick=True)["scenario"]
    handover = result["handover"]
    assert handover["passed"], handover
    assert handover["wall_s"] >= handover["steps_s"] > 0 and handover["steps"] > 0
    hour = result["registration_1h"]
    assert hour["passed"] and hour["speed"] == scenario_bench.QUICK_SPEED, hour
    resets = result["site_reset"]
    assert resets["rounds"] == scenario_bench.QUICK_RESET_ROUNDS
    for label in ("default_system", "omm_alone"):
        assert 0 < resets[label]["p50_ms"] <= resets[label]["max_ms"]
    overhead = result["capture_overhead"]
    assert set(overhead["max_calls_under_1pct"]) == {"without", "with"}, overhead
    assert all(octets > 0 for octets in overhead["capture_octets"]), overhead
