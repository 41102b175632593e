"""`sipdect bench web --quick` runs end to end and reports every page's figures and the live
map's and the Event Manager's status page (no timing asserts)."""

from __future__ import annotations

import pytest

from sipdect.app import bench, web_bench


@pytest.mark.slow
def test_quick_web_benchmark_reports_every_page_at_each_concurrency() -> None:
    result = web_bench.run(quick=True)
    assert result["users"] == web_bench.QUICK.users and result["fill_users_s"] > 0
    assert set(result["pages"]) == set(web_bench.pages(web_bench.QUICK.users))
    assert set(result["eventmgr_pages"]) == set(web_bench.EVENTMGR_PAGES)
    for page in [*result["pages"].values(), *result["eventmgr_pages"].values()]:
        assert set(page) == {f"concurrency_{c}" for c in web_bench.CONCURRENCY}
        for m in page.values():
            assert m["pages"] > 0 and m["failures"] == 0, m
            assert m["pages_per_s"] > 0 and 0 < m["p50_ms"] <= m["p99_ms"], m
    assert "map" in result
    assert bench.BENCHMARKS["web"] == "sipdect.app.web_bench"
