"""The map's figures for `sipdect bench web` come out end to end on a small site (no timing
asserts: the figures are the bench's to report)."""

from __future__ import annotations

import pytest

from sipdect.app.map.bench import measure

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_the_map_bench_reports_every_figure() -> None:
    result = await measure(4, 8, moves=3, window_s=0.5)
    assert (result["rfps"], result["handsets"]) == (4, 8)
    for phase in ("move_to_canvas_ms", "move_to_canvas_while_all_walk_ms"):
        figures = result[phase]
        assert figures["n"] + figures["lost"] == 3
        assert figures["n"] == 0 or 0 < figures["p50"] <= figures["p99"]
    walking = result["while_all_walk"]
    assert walking["fps"] > 0 and walking["feed_readings"] >= 0
