"""Site benchmark (`sipdect bench site`): how long a whole installation takes to come up in one
process and what it costs: one OMM, its RFPs enrolling and syncing over the real OMM-RFP link,
handsets subscribing and registering on the simulated air (features.md §2.3-2.6).

Two ways up, each size in a child process of its own (`python -m sipdect.app.site_bench`) so its
peak RSS is its own and a run that takes too long can be stopped:
- at_once: every RFP and handset in the config, as `sipdect up` starts them;
- staged: the RFPs in waves, then every handset once the RFPs are synced, all subscribing at
  once; this gives subscriptions per second.
The child prints one JSON line per phase reached and its result before the teardown, so even
a run that is stopped says how far it came. `--profile N` adds the N functions with the most
own time (cProfile) to the result. Each size also reports the CPU seconds its child used and
the machine's load average before and after it: on a shared machine the phases stretch with
the load, the CPU seconds much less. The "hosts" part is sipdect.app.hosts_bench: start-up
and memory per host and process of systems of machines, in the supervisor's process and
spread over OS processes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import math
import os
import platform
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sipdect.app.config import HandsetConfig, RfpConfig, SystemConfig, parse_config

#: (RFPs, handsets) of the full run and of the smoke-test run. Half the goal size beside it
#: shows how start-up grows with the site (it must stay about linear; a 256/512 run that
#: never settled while 128/256 took 7 s was start-up work growing with the square).
SIZES: tuple[tuple[int, int], ...] = ((128, 256), (256, 512), (1024, 4096))
QUICK_SIZES: tuple[tuple[int, int], ...] = ((8, 16),)
MODES = ("at_once", "staged")

#: The goal: this size ready within this many seconds on a 2-core machine.
GOAL_SIZE = (256, 512)
GOAL_S = 30.0

#: Seconds a size may take before it is reported as far as it came (the child is killed a
#: little later if it does not answer). A site that comes up at all does so well within.
DEADLINES_S = {"at_once": 60.0, "staged": 150.0}
QUICK_DEADLINE_S = 60.0
KILL_GRACE_S = 30.0

RFP_WAVE = 64
"""RFPs started together in the staged mode: below the OMM link server's listen backlog
(asyncio's default of 100), so no RFP waits for a SYN-ACK retransmission."""
GRID_SPACING_M = 40.0
"""RFPs hear each other at the -70 dBm sync threshold up to ~63 m (sim.air.PathLoss): 40 m
apart, each has its four grid neighbours (and diagonals at 57 m) to sync from."""
HANDSET_OFFSETS_M = ((3.0, 2.0), (-4.0, 3.0), (2.0, -5.0), (-3.0, -2.0))
"""Where the handsets of one RFP stand, relative to it (more than four wrap around)."""

AC = "31415"
POLL_S = 0.1

OMM_CONFIG = f"""
[system]
name = "site-bench"

[[omm]]
name = "OMM"

[[omm.accounts]]
username = "omm"
password = "Sipdect-Bench-2026"

[omm.settings.DECTSubscriptionMode]
mode = "Configured"

[omm.settings.DECTAuthCode]
ac = "{AC}"
"""

Report = Callable[[dict[str, Any]], None]


# -- the site ----------------------------------------------------------------------------------

def rfp_position(index: int, n_rfps: int) -> tuple[float, float]:
    """A square grid, row by row."""
    side = math.ceil(math.sqrt(n_rfps))
    return (index % side) * GRID_SPACING_M, (index // side) * GRID_SPACING_M


def bench_ipei(index: int) -> str:
    from dect.identities import Ipei

    return Ipei(0x0BE7 + index // (1 << 20), index % (1 << 20)).omm_form()


def handset_config(index: int, n_rfps: int) -> HandsetConfig:
    """Handset `index` stands next to RFP index % n_rfps; its device record is configured."""
    x, y = rfp_position(index % n_rfps, n_rfps)
    dx, dy = HANDSET_OFFSETS_M[(index // n_rfps) % len(HANDSET_OFFSETS_M)]
    return HandsetConfig(ipei=bench_ipei(index), omm="OMM", name=f"PP {index}",
                         x=x + dx, y=y + dy, ac=AC)


def site_config(n_rfps: int, n_handsets: int) -> SystemConfig:
    """One OMM in Configured mode, the RFPs on a grid (the first the sync reference), the
    handsets next to them; no control API (nothing but the site itself runs)."""
    cfg = parse_config(OMM_CONFIG, "<site bench>")
    cfg.control_port = None
    for i in range(n_rfps):
        x, y = rfp_position(i, n_rfps)
        cfg.rfps.append(RfpConfig(mac=f"00:30:42:{i >> 16 & 0xFF:02x}:{i >> 8 & 0xFF:02x}:"
                                      f"{i & 0xFF:02x}",
                                  omm="OMM", name=f"RFP {i}", x=x, y=y, cluster=1,
                                  preferred_sync=(i == 0)))
    cfg.handsets.extend(handset_config(i, n_rfps) for i in range(n_handsets))
    return cfg


def _cpu_s() -> float:
    """CPU seconds this process used so far: on a shared machine the wall-clock phases
    stretch with the load, this much less."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 2)


def _rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class _Counts:
    """How far the site has come, read from the OMM's model and the air."""

    def __init__(self, system: Any) -> None:
        self.system = system

    def read(self) -> dict[str, int]:
        site = self.system.site
        omm = self.system.omms[0]
        live = [omm.model.rfps.live(rfp_id) for rfp_id in omm.model.rfps.by_mac.values()]
        entries = list(site.world.handsets.values()) if site.world is not None else []
        attached = omm.model.pp_live.attached
        return {
            "rfps_linked": sum(1 for s in live if s["connected"]),
            "rfps_synced": sum(1 for s in live if s["syncState"] == "Synced"),
            # The PP holds a TPUI (LOCATE-ACCEPT) and the OMM counts it attached (LocReg).
            "handsets_registered": sum(
                1 for e in entries
                if (s := e.handset.subscription) is not None and s.tpui is not None
                and s.tpui.value in attached),
            "devices_subscribed": int(omm.model.devices.subscribed_count()),
        }


async def _until(counts: _Counts, targets: dict[str, int], t0: float, deadline: float,
                 report: Report) -> tuple[dict[str, float], dict[str, int]]:
    """Poll until every count reaches its target: the time each got there (from t0) and the
    counts last read."""
    reached: dict[str, float] = {}
    while True:
        now = time.perf_counter()
        seen = counts.read()
        for key, target in targets.items():
            if key not in reached and seen[key] >= target:
                reached[key] = round(now - t0, 3)
                report({"phase": key, "at_s": reached[key], "rss_mb": _rss_mb()})
        if len(reached) == len(targets) or now > deadline:
            return reached, seen
        await asyncio.sleep(POLL_S)


def _handset_summary(system: Any) -> dict[str, int]:
    """How many handsets stand in each (radio state, first display line): where a site that
    does not get ready is stuck."""
    world = system.site.world
    if world is None:
        return {}
    found = Counter(f"{e.handset.state.value}: {(e.handset.display or [''])[0]}"
                    for e in world.handsets.values())
    return dict(found.most_common(8))


async def bring_up_at_once(n_rfps: int, n_handsets: int, deadline_s: float, report: Report,
                           data_dir: Path) -> dict[str, Any]:
    """The site as `sipdect up` starts it: every RFP and handset in the config, all at once;
    each handset subscribes as soon as it hears an RFP (sipdect.app.site)."""
    from sipdect.app.emulator import Emulator

    result: dict[str, Any] = {"mode": "at_once", "rfps": n_rfps, "handsets": n_handsets,
                              "baseline_rss_mb": _rss_mb()}
    cfg = site_config(n_rfps, n_handsets)
    t0 = time.perf_counter()
    async with Emulator(cfg, data_dir) as emu:
        started = round(time.perf_counter() - t0, 3)
        report({"phase": "started", "at_s": started, "rss_mb": _rss_mb()})
        reached, seen = await _until(_Counts(emu.system), {
            "rfps_linked": n_rfps, "rfps_synced": n_rfps,
            "handsets_registered": n_handsets, "devices_subscribed": n_handsets,
        }, t0, t0 + deadline_s, report)
        ready = len(reached) == 4
        result.update({"ready": ready, "phases_s": {"started": started, **reached},
                       "ready_s": max(reached.values()) if ready else None,
                       "reached": seen, "peak_rss_mb": _rss_mb(), "cpu_s": _cpu_s()})
        if not ready:
            result["gave_up_after_s"] = deadline_s
            result["handsets_by_state"] = _handset_summary(emu.system)
        report({"result": result})  # before the teardown, which a stuck site makes slow
    return result


async def bring_up_staged(n_rfps: int, n_handsets: int, deadline_s: float, report: Report,
                          data_dir: Path) -> dict[str, Any]:
    """The RFPs in waves of RFP_WAVE, each linked before the next starts; once all are
    synced, every handset at once, each typing the AC at once (no waiting for a lock)."""
    from sipdect.app.emulator import Emulator

    result: dict[str, Any] = {"mode": "staged", "rfps": n_rfps, "handsets": n_handsets,
                              "rfp_wave": RFP_WAVE, "baseline_rss_mb": _rss_mb()}
    full = site_config(n_rfps, n_handsets)
    t0 = time.perf_counter()
    deadline = t0 + deadline_s
    async with Emulator(site_config(0, 0), data_dir) as emu:
        system = emu.system
        assert system is not None
        counts = _Counts(system)
        phases: dict[str, float] = {"omm_started": round(time.perf_counter() - t0, 3)}
        for first in range(0, n_rfps, RFP_WAVE):
            for rfp in full.rfps[first:first + RFP_WAVE]:
                await system.add_rfp(rfp)
            wave = min(first + RFP_WAVE, n_rfps)
            if not (await _until(counts, {"rfps_linked": wave}, t0, deadline, report))[0]:
                break
        reached, seen = await _until(counts, {"rfps_linked": n_rfps, "rfps_synced": n_rfps},
                                     t0, deadline, report)
        phases.update(reached)
        ready = len(reached) == 2
        subscription: dict[str, Any] = {}
        if ready and n_handsets:
            t1 = time.perf_counter()
            ids = []
            for cfg in full.handsets:
                cfg.subscribe = False
                ids.append(system.site.add_handset(cfg)["id"])
            placed = round(time.perf_counter() - t1, 3)
            report({"phase": "handsets_placed", "at_s": round(time.perf_counter() - t0, 3),
                    "rss_mb": _rss_mb()})
            world = system.site.world
            assert world is not None
            for hid in ids:
                world.subscribe(hid, AC)
            reached, seen = await _until(counts, {"handsets_registered": n_handsets,
                                                  "devices_subscribed": n_handsets},
                                         t0, deadline, report)
            phases.update(reached)
            ready = len(reached) == 2
            seconds = round(time.perf_counter() - t1, 3)
            subscription = {"handsets": n_handsets, "placing_s": placed,
                            "seconds": seconds if ready else None,
                            "subscriptions_per_s": round(n_handsets / seconds, 1)
                            if ready else None}
        result.update({"ready": ready, "phases_s": phases,
                       "ready_s": max(phases.values()) if ready else None,
                       "reached": seen, "peak_rss_mb": _rss_mb(), "cpu_s": _cpu_s(),
                       "subscription": subscription})
        if not ready:
            result["gave_up_after_s"] = deadline_s
            result["handsets_by_state"] = _handset_summary(system)
        report({"result": result})
    return result


BRING_UP = {"at_once": bring_up_at_once, "staged": bring_up_staged}


# -- the child process -------------------------------------------------------------------------

def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m sipdect.app.site_bench",
                                     description="bring one site up, print JSON lines")
    parser.add_argument("--rfps", type=int, required=True)
    parser.add_argument("--handsets", type=int, required=True)
    parser.add_argument("--mode", choices=MODES, default="staged")
    parser.add_argument("--deadline", type=float, default=DEADLINES_S["staged"],
                        help="seconds before a site still not ready is reported as it is")
    parser.add_argument("--profile", type=int, metavar="N", default=0,
                        help="add the N functions with the most own time (cProfile)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # a stuck site logs every lost RFP link
    data_dir = Path(tempfile.mkdtemp(prefix="sipdect-site-bench-"))
    profiler = cProfile.Profile() if args.profile else None

    def report(item: dict[str, Any]) -> None:
        if "result" in item and profiler is not None:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.profile)
            item["result"]["profile"] = out.getvalue().splitlines()
        print(json.dumps(item), flush=True)
        if "result" in item:
            # Measured: skip the teardown (minutes for a stuck site), leave no files behind.
            shutil.rmtree(data_dir, ignore_errors=True)
            os._exit(0)

    coro = BRING_UP[args.mode](args.rfps, args.handsets, args.deadline, report, data_dir)
    if profiler is not None:
        profiler.enable()
    asyncio.run(coro)
    return 0


def measure(n_rfps: int, n_handsets: int, mode: str, deadline_s: float,
            profile: int = 0) -> dict[str, Any]:
    """One size in one mode in a child process; a child that does not answer by its deadline
    (plus KILL_GRACE_S) is killed and reported with the phases it reached."""
    cmd = [sys.executable, "-m", "sipdect.app.site_bench", "--rfps", str(n_rfps),
           "--handsets", str(n_handsets), "--mode", mode, "--deadline", str(deadline_s)]
    if profile:
        cmd += ["--profile", str(profile)]
    load_before = _load_avg()
    outcome = run_child(cmd, deadline_s + KILL_GRACE_S)
    load = {"before": load_before, "after": _load_avg()}
    if "result" in outcome:
        return {**outcome["result"], "load_avg_1m": load}
    return {"mode": mode, "rfps": n_rfps, "handsets": n_handsets, "ready": False,
            **outcome, "load_avg_1m": load}


def run_child(cmd: list[str], timeout_s: float) -> dict[str, Any]:
    """Run a benchmark child that prints one JSON line per phase and one {"result": ...}:
    {"result": ...}, or {"error": why, "progress": [phases]} for one that ended without a
    result or was killed after timeout_s."""
    killed = False
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            killed = True
            proc.kill()
            out, err = proc.communicate()
    lines = []
    for line in out.splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    final = next((item["result"] for item in lines if "result" in item), None)
    if final is not None:
        return {"result": final}
    why = (f"killed: no result {timeout_s:.0f} s after the start" if killed
           else f"the child ended with {proc.returncode}: {err.strip()[-500:]}")
    return {"error": why, "progress": [item for item in lines if "phase" in item]}


def _load_avg() -> float | None:
    """The machine's 1-minute load average (runnable processes; cpus says how many run at
    once): a figure measured beside other work is only worth as much as this says."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def run(quick: bool = False) -> dict[str, Any]:
    """Every size of SIZES (QUICK_SIZES when quick) in both modes, each in a fresh child; then
    the systems of machines of sipdect.app.hosts_bench in both isolations."""
    from sipdect.app import hosts_bench

    sizes = QUICK_SIZES if quick else SIZES
    sites = [measure(n_rfps, n_handsets, mode,
                     QUICK_DEADLINE_S if quick else DEADLINES_S[mode])
             for n_rfps, n_handsets in sizes for mode in MODES]
    goal = {mode: next((s for s in sites if s["mode"] == mode
                        and (s["rfps"], s["handsets"]) == GOAL_SIZE), None) for mode in MODES}
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "sites": sites,
        "goal": {"rfps": GOAL_SIZE[0], "handsets": GOAL_SIZE[1], "ready_within_s": GOAL_S,
                 "met": {mode: s.get("ready_s") is not None and s["ready_s"] <= GOAL_S
                         for mode, s in goal.items() if s is not None}},
        "hosts": hosts_bench.run(quick),
    }


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
