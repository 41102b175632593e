"""`sipdect bench axi --quick` runs end to end and reports every figure (no timing asserts)."""

from __future__ import annotations

from typing import Any

import pytest

from sipdect.app import axi_bench, bench

FIGURES = ("requests_per_s", "p50_ms", "p99_ms")


def _measurements(result: dict[str, Any], server: str,
                  kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    return [result[server][transport][kind][f"clients_{clients}"]
            for transport in ("plain", "tls") for kind in kinds
            for clients in axi_bench.CONCURRENCY]


@pytest.mark.slow
def test_quick_axi_benchmark_reports_every_figure() -> None:
    result = axi_bench.run(quick=True)
    created = result["create_users"]
    assert created["users"] == axi_bench.QUICK.users and created["errors"] == 0
    assert created["seconds"] > 0 and created["users_per_s"] > 0
    measured = (_measurements(result, "emulator", ("ping", "get_user"))
                + _measurements(result, "ceiling", ("ping",)))
    for m in measured:
        assert m["requests"] > 0 and m["errors"] == 0, m
        assert all(m[f] > 0 for f in FIGURES), m
    hashing = result["password_hashing"]
    assert hashing["hashes"] == axi_bench.QUICK.hashes
    assert hashing["goal_ms"] == axi_bench.HASH_GOAL_MS and "meets_goal" in hashing
    assert all(hashing[f] > 0 for f in ("hash_p50_ms", "hash_max_ms", "verify_p50_ms",
                                        "verify_max_ms"))
    for per_transport in result["ping_ratio_emulator_to_ceiling"].values():
        assert set(per_transport) == {f"clients_{n}" for n in axi_bench.CONCURRENCY}
        assert all(r > 0 for r in per_transport.values())


def test_unknown_benchmark_is_refused() -> None:
    with pytest.raises(ValueError, match="axi, dect, site, media, calls, airlink, failover, "
                                         "mom, eventmgr, scenario, web, ops, all"):
        bench.run("nope")


def test_missing_benchmark_module_is_an_error_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(bench.BENCHMARKS, "dect", "dect.no_such_bench_module")
    assert "error" in bench.run("dect")["dect"]


@pytest.mark.slow
def test_quick_calls_benchmark_reports_every_figure() -> None:
    from sipdect.app import calls_bench

    result = calls_bench.run(quick=True)
    for server in ("embedded", "kamailio"):
        reg = result["registrations"][server]
        assert reg["registered"] == reg["users"] and reg["registrations_per_s"] > 0, reg
    (run,) = result["srtp_calls"]["runs"]
    assert run["connected_at_end"] == run["calls"] == run["srtp_calls"] // 2, run
    assert run["frames_expected"] > 0 and run["undecodable"] == 0
    assert result["srtp_calls"]["max_calls_under_1pct"] in (0, run["calls"])
    suites = result["media_path"]["suites"]
    assert all(s["path_pkt_per_s"] > 0 for s in suites.values())
    assert all(s["ceiling_pkt_per_s"] > 0 for name, s in suites.items() if name != "RTP")
