"""`sipdect bench ops --quick` runs end to end: SSH logins on one RFP, a site's RSS with the
RFPs' SSH on and off, the SNMP hook's part (no timing asserts)."""

from __future__ import annotations

import pytest

from sipdect.app import bench, ops_bench


@pytest.mark.slow
def test_quick_ops_benchmark_reports_logins_and_both_sites() -> None:
    result = ops_bench.run(quick=True)
    logins = result["ssh_logins"]
    assert logins["logins"] == ops_bench.QUICK_LOGINS and logins["failed"] == 0
    assert logins["per_second"] > 0 and logins["mean_ms"] <= logins["max_ms"]
    rss = result["site_rss"]
    on, off = rss["ssh_on"], rss["ssh_off"]
    assert on["rfps_linked"] == off["rfps_linked"] == ops_bench.QUICK_SITE_RFPS, rss
    assert on["ssh_listening"] == ops_bench.QUICK_SITE_RFPS and off["ssh_listening"] == 0
    assert on["peak_rss_mb"] > 0 and "ssh_cost_kb_per_rfp" in rss
    assert isinstance(result["snmp"], dict)
    assert bench.BENCHMARKS["ops"] == "sipdect.app.ops_bench"
