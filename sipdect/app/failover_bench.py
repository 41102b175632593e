"""`sipdect bench failover`: how long a standby pair takes to carry an installation after its
active OMM is killed, and how long a configuration change takes to reach the standby.

Takeover (each case a child of its own, `python -m sipdect.app.failover_bench`, at addresses of
its own random block): the pair's OMMs run as OS processes of their own, the RFPs and handsets
in the supervisor's process. Once OMM-A is active with every RFP linked to it, every handset's
location registered and every user SIP-registered from it, OMM-A gets SIGKILL; the figures are
the seconds from the kill until OMM-B is active, every RFP is linked to it, every handset has
registered its location again through an RFP linked to it, and every user is registered at the
call server from it. Cases: `demo` (configs/failover.toml: 4 RFPs, 4 handsets and users) and
`large` (256 RFPs, 512 handsets and users).

Replication lag (a child too): a pair in one process whose active OMM holds 10,000 users (the
OMM's maximum) and 10,000 devices, 20,000 records; the time its whole copy takes to reach the
standby, then for CHANGES changes over AXI (SetPPUser) the seconds from each commit to the
standby's acknowledgement (p50, p99), and the AXI answer time that includes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipdect.app.config import RfpConfig, SystemConfig, UserConfig, load_config
from sipdect.app.site_bench import bench_ipei, handset_config, rfp_position, run_child

log = logging.getLogger("sipdect.app.failover_bench")

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "failover.toml"
"""The demo's config (a source checkout); the case builds it in code when it is not there."""
POLL_S = 0.05
READY_DEADLINE_S = 120.0
FAILOVER_DEADLINE_S = 120.0
KILL_GRACE_S = 30.0
LAG_USERS = 10_000
CHANGES = 500
QUICK_LAG_USERS = 1_000
QUICK_CHANGES = 100
PASSWORD = "Sipdect-Omm-2026"


@dataclass(frozen=True)
class Case:
    name: str
    rfps: int  # 0: configs/failover.toml as it is
    handsets: int


CASES = (Case("demo", 0, 0), Case("large", 256, 512))
QUICK_CASES = (Case("demo", 0, 0), Case("small", 16, 32))


# -- the systems ---------------------------------------------------------------------------------

def case_config(case: Case) -> SystemConfig:
    """The demo's pair, RFPs, handsets and users; for a larger case its RFPs on a grid with a
    handset and a user each, twice over. The pair's OMMs are processes of their own, addresses
    from the run's block."""
    cfg = load_config(CONFIG)
    cfg.explicit_addresses.clear()  # never meet a running demo
    cfg.control_port = None
    for omm in cfg.omms:
        cfg.omm_isolation[omm.name] = "process"
    if case.rfps:
        cfg.rfps, cfg.handsets, cfg.users = [], [], []
        for i in range(case.rfps):
            x, y = rfp_position(i, case.rfps)
            cfg.rfps.append(RfpConfig(mac=f"00:30:42:21:{i >> 8 & 0xFF:02x}:{i & 0xFF:02x}",
                                      omm="OMM-A", name=f"RFP {i}", x=x, y=y, cluster=1,
                                      preferred_sync=(i == 0)))
        for i in range(case.handsets):
            handset = handset_config(i, case.rfps)
            handset.omm = "OMM-A"
            cfg.handsets.append(handset)
            cfg.users.append(UserConfig(number=str(10000 + i), name=f"User {i}",
                                        sip_password=f"Bench-Sip-{i}", handset=handset.ipei,
                                        omm="OMM-A"))
        if cfg.pbx is not None:
            cfg.pbx.max_transactions_per_ip = 100_000  # one OMM registers them all at once
    cfg.assign_addresses()
    return cfg


# -- how far the system has come ------------------------------------------------------------------

def _omm_address(system: Any, name: str) -> str:
    return str(next(h.address for h in system.omm_hosts() if h.name == name))


def counts(system: Any, omm: str) -> dict[str, int]:
    """RFPs linked to OMM `omm`, handsets whose location is registered through one of them, users
    registered at the call server from it."""
    from sim.handset import Location

    address = _omm_address(system, omm)
    linked = {air_id for air_id, host in list(system.site.rfps.items())
              if host.station is not None and host.running and host.station.linked
              and host.station.omm_address is not None
              and host.station.omm_address[0] == address}
    world = system.site.world
    handsets = list(world.handsets.values()) if world is not None else []
    attached = sum(1 for e in handsets if e.handset.rfp_id in linked
                   and e.handset.location is Location.REGISTERED)
    pbx = system.local_pbx_host()
    users = {str(r["user"]) for r in (pbx.service.describe()["registrations"] if pbx else [])
             if f":{address}:" in str(r.get("source"))}
    return {"rfps": len(linked), "handsets": attached,
            "users": sum(1 for u in system.cfg.users if u.number in users)}


def _handset_states(system: Any) -> dict[str, int]:
    """How many handsets are in each (location, state, locked RFP linked) combination: what
    a run that did not finish left behind."""
    world = system.site.world
    out: dict[str, int] = {}
    for entry in list(world.handsets.values()) if world is not None else []:
        h = entry.handset
        host = system.site.rfps.get(h.rfp_id) if h.rfp_id is not None else None
        linked = host is not None and host.station is not None and host.station.linked
        key = f"{h.location.value}/{h.state.value}/rfp {'linked' if linked else 'none'}"
        if h.location.value == "rejected":
            key += f" ({' '.join(h.display)})"
        out[key] = out.get(key, 0) + 1
    return out


async def failover(case: Case, data_dir: Path, report: Any) -> None:
    from sipdect.app.system import System

    cfg = case_config(case)
    targets = {"rfps": len(cfg.rfps), "handsets": len(cfg.handsets), "users": len(cfg.users)}
    result: dict[str, Any] = {"case": case.name, **targets}
    t0 = time.perf_counter()
    system = System(cfg, data_dir, any_port=True)
    try:
        await system.start()
        while True:
            seen = counts(system, "OMM-A")
            if seen == targets and await system.omm_role("OMM-B") == "standby":
                break
            if time.perf_counter() > t0 + READY_DEADLINE_S:
                result.update(ready=False, reached=seen, gave_up_after_s=READY_DEADLINE_S)
                report({"result": result})
                return
            await asyncio.sleep(POLL_S)
        result["ready_s"] = round(time.perf_counter() - t0, 3)
        report({"phase": "ready", "at_s": result["ready_s"]})
        kill = time.perf_counter()
        await system.kill_host("OMM-A")
        phases: dict[str, float] = {}
        while len(phases) < 4 and time.perf_counter() < kill + FAILOVER_DEADLINE_S:
            now = time.perf_counter()
            if "standby_active" not in phases and await system.omm_role("OMM-B") == "active":
                phases["standby_active"] = round(now - kill, 3)
            seen = counts(system, "OMM-B")
            for key, name in (("rfps", "rfps_connected"), ("handsets", "handsets_attached"),
                              ("users", "users_registered")):
                if name not in phases and seen[key] >= targets[key]:
                    phases[name] = round(now - kill, 3)
            await asyncio.sleep(POLL_S)
        result.update(failed_over=len(phases) == 4, after_kill_s=phases,
                      reached=counts(system, "OMM-B"))
        if len(phases) < 4:
            result["handset_states"] = _handset_states(system)
        report({"result": result})
    finally:
        await system.stop()


# -- replication lag ------------------------------------------------------------------------------

async def replication_lag(users: int, changes: int, data_dir: Path, report: Any) -> None:
    """A pair in this process; the active holds `users` users and as many devices."""
    from omm.config import AccountConfig, OmmConfig, StandbyConfig
    from omm.service import OmmService
    from sipdect.axi.client import AxiClient
    from sipdect.axi.codec import element
    from sipdect.net import HostNet

    base = f"127.{random.randrange(130, 250)}.{random.randrange(1, 250)}."
    a, b = base + "1", base + "2"
    accounts = [AccountConfig("omm", PASSWORD)]
    timers = StandbyConfig(partner=b, secret="bench pair secret")
    cfgs = [OmmConfig(name="OMM-A", host=a, accounts=accounts, standby=timers),
            OmmConfig(name="OMM-B", host=b, accounts=accounts,
                      standby=StandbyConfig(partner=a, secret=timers.secret))]
    services = [OmmService(c, data_dir / c.name, port_of=lambda p: 0, net=HostNet(c.name, c.host))
                for c in cfgs]
    active, standby = services
    model = active.model
    t0 = time.perf_counter()
    with model.store.transaction():
        for i in range(users):
            model.users.create({"num": str(100000 + i), "name": f"User {i}"})
            model.devices.create({"ipei": bench_ipei(i)})
    filled = round(time.perf_counter() - t0, 3)
    report({"phase": "filled", "records": 2 * users, "s": filled})
    try:
        for service in services:
            await service.start()
        t0 = time.perf_counter()
        deadline = t0 + 300
        while (len(standby.model.store.rows("users")) < users
               or standby.model.standby.view.state.value != "OK"
               or active.pair is None or active.pair.last_copy_s is None):
            if time.perf_counter() > deadline:
                report({"result": {"error": "the standby never received the copy"}})
                return
            await asyncio.sleep(POLL_S)
        in_contact_s = round(time.perf_counter() - t0, 3)
        assert active.pair is not None
        copy_s = active.pair.last_copy_s
        active.pair.lags.clear()
        port = next(e.port for e in active.endpoints if e.protocol == "axi")
        client = await AxiClient.connect(a, port)
        await client.login("omm", PASSWORD)
        answers = []
        uids = [uid for uid, _ in model.store.rows("users")][:changes]
        for n, uid in enumerate(uids):
            start = time.perf_counter()
            await client.request("SetPPUser", children=[element(
                "user", {"uid": str(uid), "name": f"Renamed {n}"})])
            answers.append(time.perf_counter() - start)
        await client.close()
        lags = sorted(active.pair.lags)
        report({"result": {
            "records": 2 * users, "users": users, "devices": users, "fill_s": filled,
            "start_to_copied_s": in_contact_s,
            "copy_s": None if copy_s is None else round(copy_s, 3), "changes": len(lags),
            "lag_ms": {"p50": _ms(_pct(lags, 50)), "p99": _ms(_pct(lags, 99)),
                       "max": _ms(lags[-1]) if lags else None},
            "axi_answer_ms": {"p50": _ms(_pct(sorted(answers), 50)),
                              "p99": _ms(_pct(sorted(answers), 99))}}})
    finally:
        for service in services:
            await service.stop()


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


# -- the child process ---------------------------------------------------------------------------

def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m sipdect.app.failover_bench",
                                     description="one failover or lag run, JSON lines")
    parser.add_argument("--case", default="")
    parser.add_argument("--lag", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    data_dir = Path(tempfile.mkdtemp(prefix="sipdect-failover-bench-"))

    def report(item: dict[str, Any]) -> None:
        print(json.dumps(item), flush=True)

    try:
        if args.lag:
            asyncio.run(replication_lag(QUICK_LAG_USERS if args.quick else LAG_USERS,
                                        QUICK_CHANGES if args.quick else CHANGES, data_dir,
                                        report))
        else:
            case = next(c for c in (QUICK_CASES if args.quick else CASES)
                        if c.name == args.case)
            asyncio.run(failover(case, data_dir, report))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def _measure(extra: list[str], quick: bool, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "sipdect.app.failover_bench", *extra] + (
        ["--quick"] if quick else [])
    outcome = run_child(cmd, timeout)
    return dict(outcome["result"]) if "result" in outcome else outcome


def run(quick: bool = False) -> dict[str, Any]:
    cases = QUICK_CASES if quick else CASES
    budget = READY_DEADLINE_S + FAILOVER_DEADLINE_S + KILL_GRACE_S
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load": [round(x, 2) for x in os.getloadavg()]},
        "takeover": [_measure(["--case", c.name], quick, budget) for c in cases],
        "replication": _measure(["--lag"], quick, 900.0),
    }


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
