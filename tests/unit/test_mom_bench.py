"""`sipdect bench mom --quick` runs end to end and reports every figure (no timing asserts;
the full sizes run minutes: `sipdect bench mom`)."""

from __future__ import annotations

import pytest

from sipdect.app import mom_bench


def test_the_takeover_system_is_the_omms_here_and_the_mom_in_a_process_of_its_own() -> None:
    cfg = mom_bench.case_config(mom_bench.Case("takeover", 3, 10, 60.0))
    assert [o.name for o in cfg.omms] == ["OMM001", "OMM002", "OMM003"]
    assert len({o.park for o in cfg.omms}) == 3
    (mom,) = cfg.moms
    assert mom.isolation == "process" and [r.name for r in mom.mom.omms] == [
        o.name for o in cfg.omms]
    assert all(cfg.omm_isolation.get(o.name, "") in ("", "none") for o in cfg.omms)


def test_the_roaming_system_shares_one_sari_under_one_mom() -> None:
    cfg = mom_bench.roaming_config()
    assert [o.name for o in cfg.omms] == ["OMM-A", "OMM-B"]
    assert {o.settings["SARI"]["sari"] for o in cfg.omms} == {mom_bench.ROAMING_SARI}
    assert [u.number for u in cfg.users] == [mom_bench.ROAMING_USER]


def test_percentiles() -> None:
    assert mom_bench._pct([0.01, 0.02, 0.03], 50) == 0.02
    assert mom_bench._ms(mom_bench._pct([], 99)) is None


@pytest.mark.slow
def test_quick_mom_benchmark_reports_every_figure() -> None:
    result = mom_bench.run(quick=True)
    for name in ("takeover", "scale"):
        case = result[name]
        assert case["done"] and case["omms_holding_their_records"] == case["omms"], case
        assert case["sessions"] == {"synced": case["omms"]}
        assert case["distributed_s"] > 0 and case["import"]["records"] == 2 * case["users"]
        roles = {p["role"]: p for p in case["processes"]}
        assert roles["host"]["hosts"] == {"mom": 1} and roles["host"]["rss_mb"] > 0
        assert roles["supervisor"]["hosts"] == {"omm": case["omms"]}
    roaming = result["roaming"]
    assert roaming["failed"] == 0 and roaming["p50_ms"] > 0 and roaming["p99_ms"] > 0, roaming
