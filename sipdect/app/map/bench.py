"""The live site map's figures for `sipdect bench web` (issue 14): how long a handset's move takes
from the control API to the map's canvas (p50/p99), and how smoothly headless chromium draws
the map of 256 RFPs and 512 handsets while every handset walks.

Both are measured in the page: a move is the page's own POST (the control API request a
trainer's drag sends) timed with performance.now() until the frame that draws the handset
there; the frame rate is requestAnimationFrame callbacks counted over a window while the
feed streams the walks. The site is sipdect.app.site_bench's grid (one OMM, RFPs 40 m apart,
handsets beside them), started in this process with its control API.

    python -m sipdect.app.map.bench [--quick]      # prints the JSON
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZE = (256, 512)
"""RFPs and handsets of the full run (issue 14's goal)."""
QUICK_SIZE = (16, 32)
MOVES = 60
"""Moves timed per phase (idle site, then with every handset walking)."""
QUICK_MOVES = 10
WINDOW_S = 5.0
"""Seconds the frame rate is counted over."""
QUICK_WINDOW_S = 2.0
WALK_SPEED_M_S = 3.0
"""The walkers' speed: fast enough that each delta moves hundreds of handsets, slow enough
that none arrives during the window."""
MOVE_TIMEOUT_MS = 10_000
"""A move the map has not drawn within this counts as lost (reported, not waited for)."""

TIMED_MOVE = """
async ([id, x, y, timeout]) => {
  const t0 = performance.now();
  const answer = await fetch(`/_emu/handsets/${id}/move`, {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({x, y})});
  if (!answer.ok) return {error: answer.status};
  const there = () => {
    const h = siteMap.model.handsets.get(String(id));
    return h && h.x === x && h.y === y;
  };
  while (!there()) {
    const left = timeout - (performance.now() - t0);
    if (left <= 0) return {lost: true};
    await Promise.race([siteMap.nextDraw(), new Promise(r => setTimeout(r, left))]);
  }
  return {ms: performance.now() - t0};
}
"""
"""A move as the page sends it, timed until the frame that drew the handset there."""
FRAME_RATE = """
async (seconds) => {
  const before = {...siteMap.stats};
  const t0 = performance.now();
  let frames = 0;
  await new Promise(resolve => {
    const tick = (t) => {
      frames += 1;
      if (t - t0 < seconds * 1000) requestAnimationFrame(tick); else resolve();
    };
    requestAnimationFrame(tick);
  });
  const took = (performance.now() - t0) / 1000;
  const s = siteMap.stats;
  const draws = s.draws - before.draws;
  return {fps: frames / took, draws_per_s: draws / took,
          deltas_per_s: (s.deltas - before.deltas) / took,
          draw_ms_mean: draws ? (s.drawMs - before.drawMs) / draws : null};
}
"""
"""requestAnimationFrame callbacks per second over a window, and what the map did in it."""
SETTLED = """
async (timeout) => {
  const t0 = performance.now();
  const done = () => [...siteMap.model.handsets.values()].every(h => h.attached)
    && [...siteMap.model.rfps.values()].every(r => r.state === "Synchronous");
  while (!done() && performance.now() - t0 < timeout) {
    await Promise.race([siteMap.nextDraw(), new Promise(r => setTimeout(r, 1000))]);
  }
  return {settled: done(), ms: performance.now() - t0};
}
"""
"""Wait (in the page) until the map shows every RFP synchronous and every handset attached."""
SETTLE_TIMEOUT_MS = 180_000


def percentiles(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"n": 0}
    ordered = sorted(samples)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)], 1)
    return {"n": len(samples), "p50": at(0.50), "p99": at(0.99),
            "mean": round(statistics.fmean(samples), 1), "max": round(ordered[-1], 1)}


async def _timed_moves(page: Any, ids: list[int], moves: int, where: Any) -> dict[str, Any]:
    samples: list[float] = []
    lost = 0
    for i in range(moves):
        hid = ids[i % len(ids)]
        x, y = where(i)
        result = await page.evaluate(TIMED_MOVE, [hid, x, y, MOVE_TIMEOUT_MS])
        if "ms" in result:
            samples.append(float(result["ms"]))
        else:
            lost += 1
    return {**percentiles(samples), "lost": lost}


async def measure(n_rfps: int = SIZE[0], n_handsets: int = SIZE[1], *, moves: int = MOVES,
                  window_s: float = WINDOW_S, data_dir: Path | None = None) -> dict[str, Any]:
    """Start the grid site with a control API, open its map in headless chromium and measure
    (see the module docstring); the figures as a dict (milliseconds, frames per second)."""
    from playwright.async_api import async_playwright

    from sipdect.app.browser import launch
    from sipdect.app.library import Site
    from sipdect.app.site_bench import GRID_SPACING_M, site_config

    cfg = site_config(n_rfps, n_handsets)
    cfg.control_port = 0  # any free port: the map is served there
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sipdect-map-bench-") as tmp:
        async with Site(cfg, data_dir or Path(tmp)) as site:
            up_s = time.perf_counter() - started
            system = site.system
            side = math.ceil(math.sqrt(n_rfps)) * GRID_SPACING_M
            ids = sorted(system.site.world.handsets) if system.site.world is not None else []
            async with async_playwright() as p:
                browser = await launch(p)
                try:
                    page = await browser.new_page(viewport={"width": 1600, "height": 1000})
                    opened = time.perf_counter()
                    await page.goto(system.control.map.url())
                    await page.wait_for_selector("body[data-feed=live]")
                    await page.evaluate(
                        "async n => { while (siteMap.model.handsets.size < n)"
                        " await siteMap.nextDraw(); }", len(ids))
                    first_s = time.perf_counter() - opened
                    settled = await page.evaluate(SETTLED, SETTLE_TIMEOUT_MS)
                    idle = await _timed_moves(page, ids, moves, lambda i: (
                        round((i * 7.3) % side, 1), round((i * 3.1) % side, 1)))
                    world = system.site.world
                    assert world is not None
                    for hid in ids:  # everyone walks across the floor
                        portable = world.air.handsets[hid]
                        world.walk(hid, side - portable.x, side - portable.y, WALK_SPEED_M_S)
                    await asyncio.sleep(0.5)
                    feed = system.control.map.feed
                    before = dict(feed.stats)
                    frames = await page.evaluate(FRAME_RATE, window_s)
                    readings = feed.stats["readings"] - before["readings"]
                    frames["feed_readings"] = readings
                    frames["feed_cpu_ms_per_reading"] = (
                        1000 * (feed.stats["cpu_s"] - before["cpu_s"]) / readings
                        if readings else None)
                    walkers = ids[: max(1, len(ids) // 8)]
                    busy = await _timed_moves(page, walkers, moves, lambda i: (
                        round((i * 5.7) % side, 1), round((i * 2.3) % side, 1)))
                finally:
                    await browser.close()
            world = system.site.world
            if world is not None:  # off the air first: each RFP that stops would move them all
                for hid in list(world.handsets):
                    world.remove_handset(hid)
    return {"rfps": n_rfps, "handsets": n_handsets, "site_up_s": round(up_s, 1),
            "first_map_s": round(first_s, 2),
            "settled": settled["settled"], "settled_after_map_s": round(settled["ms"] / 1000, 1),
            "move_to_canvas_ms": idle, "move_to_canvas_while_all_walk_ms": busy,
            "while_all_walk": {k: (round(v, 2) if isinstance(v, float) else v)
                               for k, v in frames.items()}}


def run(quick: bool = False) -> dict[str, Any]:
    """The figures of the goal size (or a small site with --quick)."""
    rfps, handsets = QUICK_SIZE if quick else SIZE
    from sipdect import clock

    # Real time whatever the process's clock says: a browser measures it.
    return clock.run(measure(rfps, handsets, moves=QUICK_MOVES if quick else MOVES,
                             window_s=QUICK_WINDOW_S if quick else WINDOW_S), speed=1.0)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m sipdect.app.map.bench")
    parser.add_argument("--quick", action="store_true", help="a small site, few samples")
    args = parser.parse_args(argv)
    print(json.dumps(run(quick=args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
