"""`sipdect bench site --quick` brings a small site up both ways and reports every figure (no
timing asserts: the figures are for people, not for CI)."""

from __future__ import annotations

from typing import Any

import pytest

from sipdect.app import bench, hosts_bench, site_bench

PHASES = {
    "at_once": {"started", "rfps_linked", "rfps_synced", "handsets_registered",
                "devices_subscribed"},
    "staged": {"omm_started", "rfps_linked", "rfps_synced", "handsets_registered",
               "devices_subscribed"},
}


@pytest.mark.slow
def test_quick_site_benchmark_reports_every_figure() -> None:
    result = bench.run("site", quick=True)["site"]
    assert set(result) == {"machine", "sites", "goal", "hosts"}
    assert result["machine"]["cpus"] >= 1
    sites = result["sites"]
    assert [(s["mode"], s["rfps"], s["handsets"]) for s in sites] == [
        (mode, n_rfps, n_handsets)
        for n_rfps, n_handsets in site_bench.QUICK_SIZES for mode in site_bench.MODES]
    for site in sites:
        assert site["ready"], site
        assert set(site["phases_s"]) == PHASES[site["mode"]], site
        assert site["ready_s"] == max(site["phases_s"].values())
        assert site["reached"] == {"rfps_linked": site["rfps"], "rfps_synced": site["rfps"],
                                   "handsets_registered": site["handsets"],
                                   "devices_subscribed": site["handsets"]}
        assert site["peak_rss_mb"] >= site["baseline_rss_mb"] > 0
        assert site["cpu_s"] > 0 and set(site["load_avg_1m"]) == {"before", "after"}
    staged = next(s for s in sites if s["mode"] == "staged")
    assert staged["subscription"]["subscriptions_per_s"] > 0
    # The goal names the full run's size; a quick run has nothing to say about it.
    assert result["goal"]["met"] == {}
    check_hosts(result["hosts"])


def check_hosts(result: dict[str, Any]) -> None:
    runs = result["runs"]
    assert [(r["case"], r["isolation"]) for r in runs] == [
        (case.name, isolation) for case in hosts_bench.QUICK_CASES
        for isolation in hosts_bench.ISOLATIONS]
    for run in runs:
        assert run["ready"], run
        assert run["reached"] == {"rfps_linked": run["rfps"], "rfps_synced": run["rfps"],
                                  "handsets_registered": run["handsets"],
                                  "devices_subscribed": run["handsets"]}
        assert run["ready_s"] == max(run["phases_s"].values())
        processes = run["processes"]
        hosted = sum(n for p in processes for n in p["hosts"].values())
        assert hosted == run["hosts"], run  # every host in exactly one process
        assert all(p["rss_mb"] > 0 for p in processes)
        roles = {p["role"] for p in processes}
        if run["isolation"] == "none":
            assert [p["role"] for p in processes] == ["supervisor"]
        else:  # the handsets stay with the air in the supervisor; every host is elsewhere
            assert processes[0]["role"] == "supervisor" and processes[0]["hosts"] == {}
            assert "host" in roles
    default = next(r for r in runs if r["case"] == "default" and r["isolation"] == "spread")
    assert {p.get("host") for p in default["processes"] if p["role"] == "host"} == {
        "OMM", "pbx", "RFP Lobby", "RFP Office"}
    two = next(r for r in runs if r["case"] == "two_omms" and r["isolation"] == "spread")
    assert sum(1 for p in two["processes"] if p["role"] == "worker") >= 1


def test_the_site_grid_lets_every_rfp_hear_a_neighbour_above_the_sync_threshold() -> None:
    from sim.air import PathLoss

    reach = PathLoss().distance_for(PathLoss().sync_min_dbm)
    assert site_bench.GRID_SPACING_M < reach
    cfg = site_bench.site_config(9, 20)
    assert [(r.x, r.y) for r in cfg.rfps[:4]] == [(0.0, 0.0), (40.0, 0.0), (80.0, 0.0),
                                                    (0.0, 40.0)]
    assert [r.preferred_sync for r in cfg.rfps].count(True) == 1
    assert len({h.ipei for h in cfg.handsets}) == 20
    assert all(h.configured and h.ac == site_bench.AC for h in cfg.handsets)
