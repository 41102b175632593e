"""snmp_figures on a small site reports every figure (no timing asserts: the figures are for
people, not for CI)."""

from __future__ import annotations

import pytest

from sipdect.app.ops_bench_snmp import snmp_figures


@pytest.mark.slow
def test_small_site_reports_gets_per_second_and_memory_with_agents_off_and_on() -> None:
    result = snmp_figures(4, gets=40)
    assert "error" not in result["agents_off"] and "error" not in result["agents_on"], result
    assert result["agents_off"]["agents"] is False and result["agents_on"]["agents"] is True
    assert result["gets_per_s_one_rfp"] > 0 and result["gets_per_s_4_rfps"] > 0
    assert result["rss_off_mb"] > 0 and result["rss_on_mb"] > 0
    assert {"rss_per_agent_kb", "rss_ratio", "window"} <= set(result)
