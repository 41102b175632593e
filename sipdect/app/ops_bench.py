"""Operations benchmark (`sipdect bench ops`, issue 16): what the RFPs' management interfaces cost.

- ssh: password logins per second on one RFP (rfp.ssh), each a whole SSH connection: TCP,
  key exchange, ed25519 host key, password (md5-crypt), a `whoami`, close. The client is
  asyncssh in the same process and loop, so the figure carries both ends' CPU (a real client
  elsewhere leaves the RFP about half of it).
- rss: a 256-RFP site (sipdect.app.site_bench's, no handsets) with the RFPs' SSH on and off,
  each in a child process of its own (`python -m sipdect.app.ops_bench`), so the peak RSS is
  its own. Goal: the site with SSH (and SNMP) stays within twice the RSS it had before issue 16.
- snmp: the SNMP agents' figures (sipdect.app.ops_bench_snmp).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sipdect.app import site_bench

SITE_RFPS = 256
QUICK_SITE_RFPS = 16
SITE_DEADLINE_S = 120.0
KILL_GRACE_S = 30.0

BASELINE_RSS_MB = 122.4
"""Peak RSS of the 256-RFP site (no handsets, at once) on main before issue 16 (2026-12-07,
commit 5fbebc9, `python -m sipdect.app.site_bench --rfps 256 --handsets 0 --mode at_once`;
the same site from this module with SSH off measures the same code less the SSH servers)."""
RSS_GOAL_FACTOR = 2.0

LOGINS = 200
QUICK_LOGINS = 20
CONCURRENCY = 4
"""Logins in flight at once: a few installers' tools, not a flood."""

def snmp_figures(quick: bool) -> dict[str, Any]:
    """The SNMP part of the JSON (sipdect.app.ops_bench_snmp): GETs per second on one RFP
    and across the site's RFPs, and the site's RSS with the agents off and on."""
    from sipdect.app.ops_bench_snmp import snmp_figures as measure

    return measure(QUICK_SITE_RFPS if quick else SITE_RFPS, quick=quick)


# -- SSH logins on one RFP -----------------------------------------------------------------------

async def ssh_logins(n: int, concurrency: int = CONCURRENCY) -> dict[str, Any]:
    """`n` password logins (factory omm/omm) on one RFP nobody took over, `concurrency` at
    a time: logins per second, and the mean and worst time of one."""
    import asyncssh

    from rfp.radio import RfpRadio
    from rfp.station import VirtualRfp
    from sim.air import Air
    from sipdect.link import constants as c

    with socket.socket() as s:  # an OMM address nobody answers: the RFP stays in factory state
        s.bind(("127.0.0.1", 0))
        nobody = int(s.getsockname()[1])
    air = Air()
    air.add_rfp(1, 0, 0)
    rfp = VirtualRfp("00:30:42:0b:00:01", c.HardwareType.RFP35, "127.0.0.1", nobody, None,
                     RfpRadio(air, 1), reconnect_min=5.0, reconnect_max=5.0, ssh_port=0)
    await rfp.start()
    await rfp.ssh_started()
    assert rfp.ssh is not None
    host, port = rfp.ssh.host, rfp.ssh.port
    times: list[float] = []
    failures = 0

    async def login() -> None:
        nonlocal failures
        t = time.perf_counter()
        try:
            async with asyncssh.connect(host, port, username="omm", password="omm",
                                        known_hosts=None, preferred_auth="password") as conn:
                result = await conn.run("whoami")
                if result.stdout != "omm\n":
                    failures += 1
        except (OSError, asyncssh.Error):
            failures += 1
        times.append(time.perf_counter() - t)

    async def worker(count: int) -> None:
        for _ in range(count):
            await login()

    try:
        await login()  # the first pays for imports and caches
        times.clear()
        cpu0, t0 = time.process_time(), time.perf_counter()
        share = [n // concurrency + (i < n % concurrency) for i in range(concurrency)]
        await asyncio.gather(*(worker(k) for k in share))
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        await rfp.stop()
    return {"logins": n, "concurrency": concurrency, "failed": failures,
            "per_second": round(n / wall, 1), "mean_ms": round(1000 * sum(times) / n, 1),
            "max_ms": round(1000 * max(times), 1), "cpu_ms_per_login": round(1000 * cpu / n, 2),
            "note": "client (asyncssh) and RFP in one process: both ends' CPU"}


# -- RSS of a site with SSH on and off ---------------------------------------------------------

async def _site(n_rfps: int, ssh: bool, deadline_s: float, data_dir: Path) -> None:
    """Start the site, print its figures as one JSON line, and end the process."""
    from sipdect.app.emulator import Emulator

    cfg = site_bench.site_config(n_rfps, 0)
    cfg.rfp_ssh = ssh
    t0 = time.perf_counter()
    async with Emulator(cfg, data_dir) as emu:
        started = round(time.perf_counter() - t0, 3)
        system = emu.system
        assert system is not None
        counts = site_bench._Counts(system)
        while counts.read()["rfps_linked"] < n_rfps and time.perf_counter() - t0 < deadline_s:
            await asyncio.sleep(site_bench.POLL_S)
        linked = counts.read()["rfps_linked"]
        listening = sum(1 for h in system.rfp_hosts()
                        if h.station is not None and h.station.ssh is not None
                        and h.station.ssh.listening)
        result = {"rfps": n_rfps, "ssh": ssh, "started_s": started,
                  "linked_s": round(time.perf_counter() - t0, 3) if linked == n_rfps else None,
                  "rfps_linked": linked, "ssh_listening": listening,
                  "peak_rss_mb": site_bench._rss_mb(), "cpu_s": site_bench._cpu_s()}
        # Measured: skip the teardown (long for a big site), leave no files behind.
        print(json.dumps({"result": result}), flush=True)
        shutil.rmtree(data_dir, ignore_errors=True)
        os._exit(0)
    raise AssertionError("unreachable")


def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m sipdect.app.ops_bench",
                                     description="one site's RSS, one JSON line")
    parser.add_argument("--rfps", type=int, required=True)
    parser.add_argument("--ssh", choices=("on", "off"), required=True)
    parser.add_argument("--deadline", type=float, default=SITE_DEADLINE_S)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    data_dir = Path(tempfile.mkdtemp(prefix="sipdect-ops-bench-"))
    try:
        asyncio.run(_site(args.rfps, args.ssh == "on", args.deadline, data_dir))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 1


def site_rss(n_rfps: int, ssh: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "sipdect.app.ops_bench", "--rfps", str(n_rfps),
           "--ssh", "on" if ssh else "off", "--deadline", str(SITE_DEADLINE_S)]
    outcome = site_bench.run_child(cmd, SITE_DEADLINE_S + KILL_GRACE_S)
    return dict(outcome.get("result", outcome))


def run(quick: bool = False) -> dict[str, Any]:
    """SSH logins on one RFP; the site's RSS with SSH on and off; the SNMP hook's figures."""
    load_before = site_bench._load_avg()
    logins = asyncio.run(ssh_logins(QUICK_LOGINS if quick else LOGINS))
    n_rfps = QUICK_SITE_RFPS if quick else SITE_RFPS
    on, off = site_rss(n_rfps, True), site_rss(n_rfps, False)
    rss: dict[str, Any] = {"ssh_on": on, "ssh_off": off}
    if isinstance(on.get("peak_rss_mb"), float) and isinstance(off.get("peak_rss_mb"), float):
        rss["ssh_cost_kb_per_rfp"] = round((on["peak_rss_mb"] - off["peak_rss_mb"]) * 1024
                                           / n_rfps, 1)
    if not quick:
        rss["goal"] = {"baseline_rss_mb": BASELINE_RSS_MB, "factor": RSS_GOAL_FACTOR,
                       "met": isinstance(on.get("peak_rss_mb"), float)
                       and on["peak_rss_mb"] <= RSS_GOAL_FACTOR * BASELINE_RSS_MB}
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_1m": {"before": load_before, "after": site_bench._load_avg()}},
        "ssh_logins": logins,
        "site_rss": rss,
        "snmp": snmp_figures(quick),
    }


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
