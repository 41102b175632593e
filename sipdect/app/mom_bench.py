"""`sipdect bench mom`: how fast the Multi-OMM Manager takes over a directory and spreads it over
its OMMs, and how many OMMs one process holds under it (issue 12, "Benchmark"; docs/mom.md).

Each case is a child of its own (`python -m sipdect.app.mom_bench`), at addresses of its own
random block: the OMMs run in the child's own process (the library face: the supervisor's
process), the MOM in an OS process of its own, as a MOM is a machine of its own.

- takeover: 50,000 users and devices (each user bound to its device) are created at the MOM,
  the way an administrator's import would (the MOM's directory, one record after another, before
  the MOM starts), each homed at one of 20 OMMs that start empty; the figure is the seconds from
  the MOM's start until every OMM holds exactly its 2,500 users and devices, checked over AXI
  (GetPPUserSummary / GetPPDevSummary nRecords at each OMM, and every session "synced" at the
  MOM). Also the resident memory of the MOM's process and of the OMMs' process.
- scale: 500 OMMs with 100 users and devices each (the product's maximum of both: 500 OMMs,
  50,000 records), the same way; how many sessions reached "synced" and when, with the seconds
  the 500 OMMs took to start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipdect.app.config import SystemConfig, parse_config
from sipdect.app.hosts_bench import processes
from sipdect.app.site_bench import bench_ipei, run_child

log = logging.getLogger("sipdect.app.mom_bench")

PASSWORD = "Sipdect-Omm-2026"
POLL_S = 0.5
KILL_GRACE_S = 60.0
FIRST_NUMBER = 100_000


@dataclass(frozen=True)
class Case:
    name: str
    omms: int
    per_omm: int
    """Users and devices (one bound to the other) homed at each OMM."""
    deadline_s: float
    """Seconds from the MOM's start the case may take before it is reported as far as it
    came."""


CASES = (Case("takeover", 20, 2_500, 600.0), Case("scale", 500, 100, 600.0),
         Case("roaming", 20, 0, 600.0))
QUICK_CASES = (Case("takeover", 3, 40, 120.0), Case("scale", 6, 10, 120.0),
               Case("roaming", 4, 0, 120.0))
"""The roaming case's `omms` is its number of walks."""


# -- the system ----------------------------------------------------------------------------------

def omm_name(n: int) -> str:
    return f"OMM{n:03d}"


def case_config(case: Case) -> SystemConfig:
    """`case.omms` OMMs of distinct PARKs in the supervisor's process, a MOM managing them all
    in a process of its own (its account on each OMM provisioned by the supervisor)."""
    omms = "".join(f"""
[[omm]]
name = "{omm_name(n)}"
park = "1F1{n:05X}82"
[[omm.accounts]]
username = "omm"
password = "{PASSWORD}"
""" for n in range(1, case.omms + 1))
    names = ", ".join(f'"{omm_name(n)}"' for n in range(1, case.omms + 1))
    cfg = parse_config(f'[system]\nname = "mom-bench"\n{omms}\n[mom]\nname = "MOM"\n'
                       f'isolation = "process"\nomms = [{names}]\n', "<mom bench>")
    cfg.control_port = None
    return cfg


def import_directory(data_dir: Path, case: Case) -> dict[str, Any]:
    """Create the case's users and devices at the MOM (its directory, one record after another,
    each committed) before the MOM starts; each user bound to its device, both homed at one
    OMM."""
    from mom.model import MomModel, MomSetup

    model = MomModel(data_dir, MomSetup("MOM"))
    d = model.directory
    t0 = time.perf_counter()
    try:
        for n in range(1, case.omms + 1):
            home = omm_name(n)
            for i in range(case.per_omm):
                k = (n - 1) * case.per_omm + i
                user = d.create_user({"num": str(FIRST_NUMBER + k), "name": f"User {k}"},
                                     home=home)
                device = d.create_device({"ipei": bench_ipei(k)}, home=home)
                d.bind(user["uid"], device["ppn"], "Fixed")
        seconds = time.perf_counter() - t0
        records = d.user_count() + d.device_count()
    finally:
        model.close()
    return {"records": records, "seconds": round(seconds, 3),
            "records_per_s": round(records / seconds, 1) if seconds else None}


# -- how far the system has come -----------------------------------------------------------------

async def _mom_states(system: Any) -> dict[str, int]:
    """How many sessions of the MOM are in each sync state (asked of the MOM's process)."""
    host = system.host("MOM")
    described = await host.child.request("GET", "/hosts/MOM")
    states: dict[str, int] = {}
    for omm in described.get("omms", []):
        states[omm["state"]] = states.get(omm["state"], 0) + 1
    return states


async def _held(system: Any, clients: dict[str, Any], case: Case) -> int:
    """OMMs holding exactly `case.per_omm` users and devices, over AXI."""
    from sipdect.axi.client import AxiClient

    done = 0
    for n in range(1, case.omms + 1):
        name = omm_name(n)
        client = clients.get(name)
        if client is None:
            endpoint = next(e for e in system.host(name).endpoints() if e.protocol == "axi")
            client = await AxiClient.connect(endpoint.host, endpoint.port)
            await client.login("omm", PASSWORD)
            clients[name] = client
        users = await client.request("GetPPUserSummary")
        devices = await client.request("GetPPDevSummary")
        if int(users.attrs.get("nRecords", -1)) == case.per_omm == int(
                devices.attrs.get("nRecords", -1)):
            done += 1
    return done


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def bring_up(case: Case, data_dir: Path, report: Any) -> None:
    """Import at the MOM, start the system, report each phase, then the result."""
    from sipdect.app.system import System

    cfg = case_config(case)
    system = System(cfg, data_dir, any_port=True)
    result: dict[str, Any] = {"case": case.name, "omms": case.omms, "per_omm": case.per_omm,
                              "users": case.omms * case.per_omm,
                              "devices": case.omms * case.per_omm}
    result["import"] = import_directory(data_dir / "mom" / "MOM", case)
    report({"phase": "imported", **result["import"]})
    clients: dict[str, Any] = {}
    t0 = time.perf_counter()
    try:
        await system.start()
        mom_host = system.host("MOM")
        started = time.perf_counter()
        # The OMMs start first (START_ORDER), then the MOM; its clock starts when it runs.
        assert mom_host.started_at is not None
        mom_at = mom_host.started_at - time.monotonic() + started
        result["omms_started_s"] = round(mom_at - t0, 3)
        report({"phase": "started", "omms_started_s": result["omms_started_s"]})
        deadline = mom_at + case.deadline_s
        synced_s = held_s = None
        states: dict[str, int] = {}
        held = 0
        while time.perf_counter() < deadline:
            states = await _mom_states(system)
            now = time.perf_counter()
            if synced_s is None and states.get("synced", 0) == case.omms:
                synced_s = round(now - mom_at, 3)
                report({"phase": "synced", "at_s": synced_s})
            if synced_s is not None:
                held = await _held(system, clients, case)
                if held == case.omms:
                    held_s = round(time.perf_counter() - mom_at, 3)
                    report({"phase": "held", "at_s": held_s})
                    break
            await asyncio.sleep(POLL_S)
        if held_s is None and synced_s is None:
            held = await _held(system, clients, case)
        result.update({
            "done": held_s is not None, "synced_s": synced_s, "distributed_s": held_s,
            "sessions": states, "omms_holding_their_records": held,
            "records_per_s": round(2 * case.omms * case.per_omm / held_s, 1)
            if held_s else None,
            "processes": processes(system), "bench_process_cpu_s": round(_cpu_s(), 2)})
        if held_s is None:
            result["gave_up_after_s"] = case.deadline_s
        report({"result": result})
    finally:
        for client in clients.values():
            await client.close()
        await system.stop()


# -- roaming latency ----------------------------------------------------------------------------

ROAMING_SARI = "1F10DEC700"
ROAMING_USER = "4711"
ROAMING_SPEED_M_S = 25.0
"""The walks are brisk (the 100 m between the RFPs in 4 s): the figure is the OMMs' and the
MOM's, not the walker's."""
ROAMING_STEP_DEADLINE_S = 30.0
ROAMING_POLL_S = 0.002
ROAMING_STOP_S = 15.0


def roaming_config() -> SystemConfig:
    """Two OMMs of one SARI under one MOM, an RFP each 100 m apart, the call server, and a
    handset subscribed at A whose user registers at the call server; all in one process, so
    the bench hears B's fixed part hold the LOCATE-REQUEST (its hub) and sees the call
    server's bindings."""
    from sipdect.app.site_bench import AC

    omms = "".join(f"""
[[omm]]
name = "{name}"
[[omm.accounts]]
username = "omm"
password = "{PASSWORD}"
[omm.settings.DECTSubscriptionMode]
mode = "Configured"
[omm.settings.DECTAuthCode]
ac = "{AC}"
[omm.settings.SARI]
sari = "{ROAMING_SARI}"

[[rfp]]
omm = "{name}"
name = "RFP {name}"
mac = "00:30:42:5b:00:0{n}"
x = {x}
y = 0.0
preferred_sync = true
""" for n, (name, x) in enumerate((("OMM-A", 0.0), ("OMM-B", 100.0)), start=1))
    cfg = parse_config(f"""[system]\nname = "mom-roaming-bench"\n[pbx]\nenabled = true\n{omms}
[[handset]]
ipei = "{bench_ipei(0)}"
omm = "OMM-A"
ac = "{AC}"
x = 2.0
y = 1.0

[[user]]
number = "{ROAMING_USER}"
sip_password = "Roaming-Bench-2026"
handset = "{bench_ipei(0)}"
omm = "OMM-A"

[mom]
name = "MOM"
omms = ["OMM-A", "OMM-B"]
""", "<mom roaming bench>")
    cfg.control_port = None
    return cfg


def _registered_from(system: Any, address: str) -> bool:
    pbx = system.local_pbx_host()
    return any(str(r["user"]) == ROAMING_USER and f":{address}:" in str(r.get("source"))
               for r in pbx.service.describe()["registrations"])


async def roaming(walks: int, data_dir: Path, report: Any) -> None:
    """Walk the handset between A's and B's RFP `walks` times; each time the seconds from the
    new OMM holding its LOCATE-REQUEST (it asks the MOM) to its user's binding at the call
    server from that OMM's address."""
    from omm.dect.events import RoamingAsked
    from sipdect.app.system import System
    from sipdect.waiting import until

    system = System(roaming_config(), data_dir, any_port=True)
    await system.start()
    try:
        world = system.site.world
        assert world is not None
        hid = next(iter(world.handsets))
        handset = world.handsets[hid].handset
        hosts = {name: system.omm_host(name) for name in ("OMM-A", "OMM-B")}
        asked: dict[str, float] = {}

        def listener(name: str) -> Any:
            def heard(event: object) -> None:
                if isinstance(event, RoamingAsked) and name not in asked:
                    asked[name] = time.perf_counter()
            return heard

        for name, host in hosts.items():
            assert host.service is not None
            host.service.model.hub.subscribe(listener(name))
        await until(lambda: _registered_from(system, hosts["OMM-A"].address)
                    and handset.location.value == "registered",
                    "the handset registered at A and its user at the call server",
                    timeout=ROAMING_STEP_DEADLINE_S)
        latencies: list[float] = []
        failed = 0
        for i in range(walks):
            to, x = ("OMM-B", 98.0) if i % 2 == 0 else ("OMM-A", 2.0)
            asked.pop(to, None)
            world.walk(hid, x, 1.0, ROAMING_SPEED_M_S)
            deadline = time.perf_counter() + ROAMING_STEP_DEADLINE_S
            done = None
            while time.perf_counter() < deadline:
                if to in asked and _registered_from(system, hosts[to].address):
                    done = time.perf_counter()
                    break
                await asyncio.sleep(ROAMING_POLL_S)
            if done is None:
                failed += 1
            else:
                latencies.append(done - asked[to])
            report({"phase": f"walk {i + 1} to {to}", "latency_s": round(latencies[-1], 4)
                    if done is not None else None})
        report({"result": {
            "case": "roaming", "walks": walks, "failed": failed,
            "p50_ms": _ms(_pct(latencies, 50)), "p99_ms": _ms(_pct(latencies, 99)),
            "max_ms": _ms(max(latencies)) if latencies else None,
            "from": "the new OMM holds the LOCATE-REQUEST (asks the MOM)",
            "to": "its user's binding at the call server from that OMM (polled every "
                  f"{ROAMING_POLL_S * 1000:g} ms)"}})
    finally:
        try:
            await asyncio.wait_for(system.stop(), ROAMING_STOP_S)
        except TimeoutError:  # the figures are out; a stop that hangs is a bug to report
            log.error("the roaming system did not stop within %g s", ROAMING_STOP_S)


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# -- the child process ---------------------------------------------------------------------------

def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m sipdect.app.mom_bench",
                                     description="one MOM case, JSON lines")
    parser.add_argument("--case", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--omms", type=int, help="another number of OMMs")
    parser.add_argument("--per-omm", type=int, help="another number of records per OMM")
    args = parser.parse_args(argv)
    case = next(c for c in (QUICK_CASES if args.quick else CASES) if c.name == args.case)
    if args.omms or args.per_omm:
        case = Case(case.name, args.omms or case.omms, args.per_omm or case.per_omm,
                    case.deadline_s)
    logging.basicConfig(level=logging.ERROR)
    data_dir = Path(tempfile.mkdtemp(prefix="sipdect-mom-bench-"))

    def report(item: dict[str, Any]) -> None:
        print(json.dumps(item), flush=True)

    try:
        if case.name == "roaming":
            asyncio.run(roaming(case.omms, data_dir, report))
        else:
            asyncio.run(bring_up(case, data_dir, report))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def measure(case: Case, quick: bool) -> dict[str, Any]:
    """One case in a child; one that does not answer in time is killed and reported as far as
    it came (the start of many OMMs and the import are outside the case's deadline)."""
    cmd = [sys.executable, "-m", "sipdect.app.mom_bench", "--case", case.name] + (
        ["--quick"] if quick else [])
    budget = case.deadline_s * 2 + case.omms * 1.0 + KILL_GRACE_S
    outcome = run_child(cmd, budget)
    if "result" in outcome:
        return dict(outcome["result"])
    return {"case": case.name, "done": False, **outcome}


def run(quick: bool = False) -> dict[str, Any]:
    """Every case of CASES (QUICK_CASES when quick), each in a child of its own."""
    cases = QUICK_CASES if quick else CASES
    return {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            **{case.name: measure(case, quick) for case in cases}}


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
