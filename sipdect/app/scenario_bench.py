"""Scenario benchmark (`sipdect bench scenario`, issue 13): what a QA run costs.

- handover: wall time of configs/scenarios/handover.toml run as `sipdect scenario run` runs
  it (site start, steps, stop), and of its steps alone;
- registration_1h: wall time of configs/scenarios/registration-1h.toml (an hour of SIP
  registration at speed 60, the scalable clock): about a minute when the clock holds;
- site_reset: seconds per reset of the `site` pytest fixture (sipdect.app.library's
  measure_resets), for the default system and for the OMM alone;
- capture_overhead: the calls bench without and with a capture of each run.

`--quick` (the smoke test) runs the hour at speed 600 instead and fewer resets.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sipdect.app.scenario import run as scenario_run
from sipdect.app.scenario.parse import ScenarioError, load_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "configs" / "scenarios"
HANDOVER = EXAMPLES / "handover.toml"
REGISTRATION = EXAMPLES / "registration-1h.toml"
QUICK_SPEED = 600.0
"""The hour's speed in the smoke test (six seconds instead of a minute)."""
RESET_ROUNDS, QUICK_RESET_ROUNDS = 20, 3


def _scenario(path: Path, speed: float | None = None) -> dict[str, Any]:
    """Run one scenario file; its wall time, the steps' share and whether it passed."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        return {"error": str(exc)}
    at = scenario.speed if speed is None else speed
    began = time.perf_counter()
    try:
        [result] = scenario_run.run_files([path], speed=at, out=lambda line: None)
    except ScenarioError as exc:
        return {"error": str(exc)}
    wall = time.perf_counter() - began
    out: dict[str, Any] = {"file": str(path.relative_to(EXAMPLES.parents[1])), "speed": at,
                           "passed": result.passed, "wall_s": round(wall, 3),
                           "steps_s": round(result.scenario.seconds, 3),
                           "start_and_stop_s": round(wall - result.scenario.seconds, 3),
                           "steps": result.scenario.steps}
    if not result.passed:
        out["failure"] = result.scenario.message
    return out


def _resets(rounds: int) -> dict[str, Any]:
    from sipdect.app.emulator import quiet_config
    from sipdect.app.library import measure_resets

    out: dict[str, Any] = {"rounds": rounds}
    for label, config in (("default_system", None), ("omm_alone", quiet_config())):
        times = asyncio.run(measure_resets(rounds, config))
        out[label] = {"p50_ms": round(statistics.median(times) * 1000, 1),
                      "max_ms": round(max(times) * 1000, 1)}
    return out


def _capture_overhead(quick: bool) -> dict[str, Any]:
    """The calls bench (concurrent SRTP calls under 1% lost or late) without and with a
    capture of each run: what capturing costs the voice path."""
    from sipdect.app import calls_bench

    plain = calls_bench.bench_calls(quick)
    with tempfile.TemporaryDirectory(prefix="sipdect-capture-") as folder:
        captured = calls_bench.bench_calls(quick, capture_dir=Path(folder))

    def sizes(result: dict[str, Any]) -> dict[str, Any]:
        return {str(r.get("calls")): r.get("lost_or_late_pct", r.get("error"))
                for r in result.get("runs", [])}

    return {"max_calls_under_1pct": {"without": plain.get("max_calls_under_1pct"),
                                     "with": captured.get("max_calls_under_1pct")},
            "lost_or_late_pct_by_calls": {"without": sizes(plain), "with": sizes(captured)},
            "capture_octets": [r.get("capture", {}).get("octets")
                               for r in captured.get("runs", [])]}


def run(quick: bool = False) -> dict[str, Any]:
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "handover": _scenario(HANDOVER),
        "registration_1h": _scenario(REGISTRATION, QUICK_SPEED if quick else None),
        "site_reset": _resets(QUICK_RESET_ROUNDS if quick else RESET_ROUNDS),
        "capture_overhead": _capture_overhead(quick),
    }
