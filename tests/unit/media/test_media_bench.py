"""The media benchmark runs in quick mode and reports every path for both suites (figures
only: how they compare is the benchmark's to say, never a test's)."""

from __future__ import annotations

from sipdect.media import bench
from sipdect.media import constants as c


def test_quick_run() -> None:
    result = bench.run(quick=True)
    assert set(result["suites"]) == set(c.SUITES)
    for figures in result["suites"].values():
        assert figures["ceiling_pkt_per_s"] > 0
        assert figures["leg_ratio"] > 0 and figures["session_ratio"] > 0
