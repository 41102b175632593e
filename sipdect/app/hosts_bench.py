"""Hosts benchmark (part of `sipdect bench site`): start-up to ready and resident memory per
host and per process of a system of machines, each system in the supervisor's process
(isolation "none") and spread over OS processes, in the same run:

- default: the default system (sipdect/app/data/default.toml: one OMM, the call server,
  two RFPs, two handsets); spread: every host a process of its own;
- two_omms: two OMMs with 128 RFPs and 256 handsets each; spread: each OMM and the call
  server a process of its own, the RFPs in `[system] workers` worker processes (256 RFP
  processes would take 20 GB);
- one_omm: one OMM with 256 RFPs and 512 handsets; spread: the RFPs in worker processes.

Ready means what a user of the site sees: every RFP linked to its OMM and synced, every
handset holding its location registration, and every OMM counting every device subscribed
over AXI (GetPPDevSummary). Each run is a child of its own (`python -m
sipdect.app.hosts_bench`), at addresses of its own random block, so figures do not share a
heap and a stuck run can be stopped. The handsets always live with the air, in the
supervisor's process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipdect.app.config import RfpConfig, SystemConfig, load_config, parse_config
from sipdect.app.site_bench import AC, bench_ipei, handset_config, rfp_position, run_child

log = logging.getLogger("sipdect.app.hosts_bench")


@dataclass(frozen=True)
class Case:
    name: str
    omms: int  # 0: the default system
    rfps: int  # per OMM
    handsets: int  # per OMM
    spread: dict[str, str]  # host kind -> isolation when spread over processes


CASES = (
    Case("default", 0, 0, 0, {"omm": "process", "pbx": "process", "rfp": "process"}),
    Case("two_omms", 2, 128, 256, {"omm": "process", "pbx": "process", "rfp": "worker"}),
    Case("one_omm", 1, 256, 512, {"rfp": "worker"}),
)
QUICK_CASES = (
    Case("default", 0, 0, 0, {"omm": "process", "pbx": "process", "rfp": "process"}),
    Case("two_omms", 2, 4, 8, {"omm": "process", "pbx": "process", "rfp": "worker"}),
)
ISOLATIONS = ("none", "spread")
DEADLINE_S = 120.0
QUICK_DEADLINE_S = 60.0
KILL_GRACE_S = 30.0
POLL_S = 0.25
PASSWORD = "Sipdect-Bench-2026"


# -- the systems ---------------------------------------------------------------------------------

def case_config(case: Case, isolation: str) -> SystemConfig:
    """The case's system; spread, its hosts in the processes case.spread names."""
    if case.omms == 0:
        cfg = load_config(None)
        # The default OMM's 127.0.0.1 is for a newcomer's client; here it takes an address
        # of the run's block, as every other host, so runs never meet a running system.
        cfg.explicit_addresses.clear()
    else:
        cfg = _omms_config(case)
    cfg.control_port = None
    if isolation == "spread":
        for omm in cfg.omms:
            cfg.omm_isolation[omm.name] = case.spread.get("omm", "none")
        if cfg.pbx is not None:
            cfg.pbx.isolation = case.spread.get("pbx", "none")
        for rfp in cfg.rfps:
            rfp.isolation = case.spread.get("rfp", "none")
    return cfg


def _omms_config(case: Case) -> SystemConfig:
    omms = "".join(f"""
[[omm]]
name = "OMM{n}"
[[omm.accounts]]
username = "omm"
password = "{PASSWORD}"
[omm.settings.DECTSubscriptionMode]
mode = "Configured"
[omm.settings.DECTAuthCode]
ac = "{AC}"
""" for n in range(1, case.omms + 1))
    cfg = parse_config(f'[system]\nname = "hosts-bench"\n[pbx]\nenabled = true\n{omms}',
                       "<hosts bench>")
    for n in range(case.omms):
        omm = f"OMM{n + 1}"
        # Each OMM's site on a grid of its own, far enough apart that no radio hears the
        # other site.
        x0 = n * 10_000.0
        for i in range(case.rfps):
            x, y = rfp_position(i, case.rfps)
            serial = n * case.rfps + i
            cfg.rfps.append(RfpConfig(
                mac=f"00:30:42:{serial >> 16 & 0xFF:02x}:{serial >> 8 & 0xFF:02x}:"
                    f"{serial & 0xFF:02x}",
                omm=omm, name=f"{omm} RFP {i}", x=x0 + x, y=y, cluster=1,
                preferred_sync=(i == 0)))
        for i in range(case.handsets):
            handset = handset_config(i, case.rfps)
            handset.ipei = bench_ipei(n * case.handsets + i)
            handset.omm = omm
            handset.name = f"{omm} PP {i}"
            handset.x += x0
            cfg.handsets.append(handset)
    cfg.assign_addresses()
    return cfg


# -- how far a system has come -------------------------------------------------------------------

async def _subscribed(system: Any, clients: dict[str, Any]) -> int:
    """Devices subscribed, over AXI, summed over the OMMs (whichever process runs them)."""
    from sipdect.axi.client import AxiClient

    total = 0
    for omm in system.cfg.omms:
        client = clients.get(omm.name)
        if client is None:
            endpoint = next(e for e in system.host(omm.name).endpoints() if e.protocol == "axi")
            client = await AxiClient.connect(endpoint.host, endpoint.port)
            await client.login("omm", _password(system, omm.name))
            clients[omm.name] = client
        resp = await client.request("GetPPDevSummary")
        total += int(resp.attrs.get("subscribedDevs", 0))
    return total


def _password(system: Any, omm_name: str) -> str:
    omm = next(o for o in system.cfg.omms if o.name == omm_name)
    return str(omm.accounts[0].password)


def _site_counts(system: Any) -> dict[str, int]:
    rfps = [system.describe_rfp(air_id) for air_id in list(system.site.rfps)]
    world = system.site.world
    handsets = list(world.handsets.values()) if world is not None else []
    return {
        "rfps_linked": sum(1 for r in rfps if r["linked"]),
        "rfps_synced": sum(1 for r in rfps if r["syncState"] == "Synced"),
        "handsets_registered": sum(1 for e in handsets if (s := e.handset.subscription)
                                   is not None and s.tpui is not None),
    }


def _rss(pid: int) -> dict[str, float]:
    """Resident set size now and at its peak (MB) of a live process, from /proc."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(
                        int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return out


def processes(system: Any) -> list[dict[str, Any]]:
    """Every process of the system with the hosts it runs and its memory; a process that
    runs several hosts shares its memory among them (rss_per_host_mb)."""
    by_pid: dict[int, list[dict[str, Any]]] = {}
    for host in system.hosts.values():
        described = host.describe()
        if described["pid"] is not None:
            by_pid.setdefault(described["pid"], []).append(described)
    by_pid.setdefault(os.getpid(), [])
    out = []
    for pid, hosts in by_pid.items():
        kinds: dict[str, int] = {}
        for h in hosts:
            kinds[h["kind"]] = kinds.get(h["kind"], 0) + 1
        role = ("supervisor" if pid == os.getpid()
                else "worker" if any(h["isolation"] == "worker" for h in hosts) else "host")
        memory = _rss(pid)
        entry: dict[str, Any] = {"pid": pid, "role": role, "hosts": kinds, **memory}
        if role == "host":
            entry["host"] = hosts[0]["name"]
        if memory and hosts:
            entry["rss_per_host_mb"] = round(memory["rss_mb"] / len(hosts), 2)
        out.append(entry)
    return sorted(out, key=lambda p: ({"supervisor": 0, "host": 1, "worker": 2}[p["role"]],
                                      p.get("host", ""), p["pid"]))


async def bring_up(case: Case, isolation: str, deadline_s: float, data_dir: Path,
                   report: Any) -> None:
    """Start the case's system, report each phase as it is reached, then the result."""
    from sipdect.app.system import System

    cfg = case_config(case, isolation)
    n_rfps = len(cfg.rfps)
    n_handsets = len(cfg.handsets)
    targets = {"rfps_linked": n_rfps, "rfps_synced": n_rfps,
               "handsets_registered": n_handsets, "devices_subscribed": n_handsets}
    result: dict[str, Any] = {"case": case.name, "isolation": isolation,
                              "omms": len(cfg.omms), "rfps": n_rfps, "handsets": n_handsets,
                              "hosts": len(cfg.hosts())}
    t0 = time.perf_counter()
    system = System(cfg, data_dir, any_port=True)
    clients: dict[str, Any] = {}
    try:
        await system.start()
        started = round(time.perf_counter() - t0, 3)
        report({"phase": "started", "at_s": started})
        reached: dict[str, float] = {}
        seen: dict[str, int] = {}
        while True:
            now = time.perf_counter()
            seen = {**_site_counts(system),
                    "devices_subscribed": await _subscribed(system, clients)}
            for key, target in targets.items():
                if key not in reached and seen[key] >= target:
                    reached[key] = round(now - t0, 3)
                    report({"phase": key, "at_s": reached[key]})
            if len(reached) == len(targets) or now > t0 + deadline_s:
                break
            await asyncio.sleep(POLL_S)
        ready = len(reached) == len(targets)
        result.update({"ready": ready, "phases_s": {"started": started, **reached},
                       "ready_s": max(reached.values()) if ready else None,
                       "reached": seen, "processes": processes(system)})
        result["rss_total_mb"] = round(sum(p.get("rss_mb", 0.0)
                                           for p in result["processes"]), 1)
        if not ready:
            result["gave_up_after_s"] = deadline_s
        report({"result": result})
    finally:
        for client in clients.values():
            await client.close()
        await system.stop()


# -- the child process ---------------------------------------------------------------------------

def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m sipdect.app.hosts_bench",
                                     description="bring one system up, print JSON lines")
    parser.add_argument("--case", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--isolation", choices=ISOLATIONS, default="none")
    parser.add_argument("--deadline", type=float, default=DEADLINE_S)
    args = parser.parse_args(argv)
    case = next(c for c in (QUICK_CASES if args.quick else CASES) if c.name == args.case)
    logging.basicConfig(level=logging.ERROR)
    data_dir = Path(tempfile.mkdtemp(prefix="sipdect-hosts-bench-"))

    def report(item: dict[str, Any]) -> None:
        print(json.dumps(item), flush=True)

    try:
        asyncio.run(bring_up(case, args.isolation, args.deadline, data_dir, report))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def measure(case: Case, isolation: str, quick: bool) -> dict[str, Any]:
    """One case in one isolation, in a child; one that does not answer by its deadline (plus
    KILL_GRACE_S) is killed (its host processes follow it) and reported as far as it came."""
    deadline = QUICK_DEADLINE_S if quick else DEADLINE_S
    cmd = [sys.executable, "-m", "sipdect.app.hosts_bench", "--case", case.name,
           "--isolation", isolation, "--deadline", str(deadline)] + (["--quick"] if quick
                                                                      else [])
    outcome = run_child(cmd, deadline + KILL_GRACE_S)
    if "result" in outcome:
        return dict(outcome["result"])
    return {"case": case.name, "isolation": isolation, "ready": False, **outcome}


def run(quick: bool = False) -> dict[str, Any]:
    """Every case of CASES (QUICK_CASES when quick), in both isolations, each in a child."""
    cases = QUICK_CASES if quick else CASES
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "runs": [measure(case, isolation, quick) for case in cases for isolation in ISOLATIONS],
    }


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
