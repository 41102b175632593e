"""SNMP figures for `sipdect bench ops` (issue 16): SNMP GETs per second on one RFP and across
a site's RFPs, and the site's memory with the RFPs' agents on and off.

Each measurement runs in a child process of its own (`python -m sipdect.app.ops_bench_snmp
--child ...`) so its RSS is its own: one OMM and N RFPs as `sipdect up` starts them (the
site bench's layout, no handsets), the OMM's SNMP settings set over the model (so every RFP
gets SNMP_RFP_UPDATE), then a UDP client in the same process keeps WINDOW GetRequests in
flight (sysUpTime.0, v2c) against one RFP's agent, then against all of them in turn. The
agents answer with the real responder (rfp.snmp, sipdect.snmp.agent): no second copy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sipdect.app.site_bench import site_config

COMMUNITY = "bench-ro"
WINDOW = 16
"""GetRequests in flight at once (a poller such as an NMS keeps several going)."""
GETS = 4000
QUICK_GETS = 200
SETTLE_S = 120.0
"""How long the RFPs may take to link and get their agent's configuration."""
CHILD_TIMEOUT_S = 400.0


def _rss_mb() -> dict[str, float]:
    """VmRSS and VmHWM (peak) of this process, MiB."""
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(
                int(value.split()[0]) / 1024, 1)
    return out


def _get_request(request_id: int) -> bytes:
    """One v2c GetRequest for sysUpTime.0 (encoded once; the agent echoes the id)."""
    from pyasn1.codec.ber import encoder
    from pysnmp.proto import api

    from sipdect.snmp import oids

    v2c = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = v2c.GetRequestPDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, request_id)
    v2c.apiPDU.set_varbinds(pdu, [(v2c.ObjectIdentifier(oids.SYS_UP_TIME_0), v2c.Null(""))])
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, COMMUNITY.encode())
    v2c.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


class _Poller(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answered = 0
        self.wake = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.answered += 1
        self.wake.set()


async def _poll(agents: list[tuple[str, int]], gets: int) -> float:
    """GETs per second answered, WINDOW in flight, round-robin over `agents`."""
    loop = asyncio.get_running_loop()
    transport, poller = await loop.create_datagram_endpoint(
        _Poller, local_addr=("127.0.0.1", 0))
    request = _get_request(1)
    try:
        sent = 0
        t0 = time.perf_counter()
        deadline = t0 + SETTLE_S
        while poller.answered < gets and time.perf_counter() < deadline:
            while sent - poller.answered < WINDOW and sent < gets:
                transport.sendto(request, agents[sent % len(agents)])
                sent += 1
            poller.wake.clear()
            try:
                await asyncio.wait_for(poller.wake.wait(), 1.0)
            except TimeoutError:
                sent = poller.answered  # a datagram was lost: send on
        return round(poller.answered / (time.perf_counter() - t0), 1)
    finally:
        transport.close()


async def _child(n_rfps: int, agents: bool, gets: int) -> dict[str, Any]:
    from sipdect.app.emulator import Emulator
    from sipdect.app.hosts import RfpHost
    from sipdect.waiting import until

    cfg = site_config(n_rfps, 0)
    for rfp in cfg.rfps:
        rfp.snmp = agents
    result: dict[str, Any] = {"rfps": n_rfps, "agents": agents, "baseline": _rss_mb()}
    with tempfile.TemporaryDirectory(prefix="sipdect-snmp-bench-") as data:
        t0 = time.perf_counter()
        async with Emulator(cfg, Path(data)) as emu:
            system = emu.system
            assert system is not None
            model = system.omms[0].model
            hosts = [h for h in system.rfp_hosts() if isinstance(h, RfpHost)]
            await until(lambda: all(h.station is not None and h.station.linked for h in hosts),
                        "every RFP linked", timeout=SETTLE_S)
            model.settings.update("SNMP", {"readCommunity": COMMUNITY})
            if agents:
                await until(lambda: all(
                    h.station is not None and h.station.snmp is not None
                    and h.station.snmp.agent.community == COMMUNITY for h in hosts),
                    "every agent configured", timeout=SETTLE_S)
            result["ready_s"] = round(time.perf_counter() - t0, 2)
            result["memory"] = _rss_mb()
            if agents:
                targets = [(h.address, h.snmp_port or 0) for h in hosts]
                result["gets_per_s_one_rfp"] = await _poll(targets[:1], gets)
                result[f"gets_per_s_{n_rfps}_rfps"] = await _poll(targets, gets)
    return result


def _run_child(n_rfps: int, agents: bool, gets: int) -> dict[str, Any]:
    argv = [sys.executable, "-m", "sipdect.app.ops_bench_snmp", "--child", "--rfps",
            str(n_rfps), "--gets", str(gets)] + (["--agents"] if agents else [])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"rfps": n_rfps, "agents": agents, "error": f"no result in {CHILD_TIMEOUT_S} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            parsed: dict[str, Any] = json.loads(line)
            return parsed
    return {"rfps": n_rfps, "agents": agents,
            "error": (done.stderr.strip().splitlines() or ["no output"])[-1]}


def snmp_figures(n_rfps: int = 256, *, gets: int | None = None,
                 quick: bool = False) -> dict[str, Any]:
    """The SNMP part of `sipdect bench ops`: GETs per second on one RFP and across `n_rfps`,
    and the site's RSS with agents off (what the site cost before issue 16) and on."""
    count = gets if gets is not None else (QUICK_GETS if quick else GETS)
    off = _run_child(n_rfps, False, count)
    on = _run_child(n_rfps, True, count)
    out: dict[str, Any] = {"rfps": n_rfps, "gets": count, "window": WINDOW,
                           "agents_off": off, "agents_on": on}
    if "memory" in off and "memory" in on:
        delta = on["memory"]["rss_mb"] - off["memory"]["rss_mb"]
        out["rss_off_mb"] = off["memory"]["rss_mb"]
        out["rss_on_mb"] = on["memory"]["rss_mb"]
        out["rss_per_agent_kb"] = round(delta * 1024 / n_rfps, 1)
        out["rss_ratio"] = round(on["memory"]["rss_mb"] / off["memory"]["rss_mb"], 3)
    for key in ("gets_per_s_one_rfp", f"gets_per_s_{n_rfps}_rfps"):
        if key in on:
            out[key] = on[key]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sipdect.app.ops_bench_snmp")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--rfps", type=int, default=256)
    parser.add_argument("--gets", type=int, default=GETS)
    parser.add_argument("--agents", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        from sipdect import clock

        print(json.dumps(clock.run(_child(args.rfps, args.agents, args.gets))), flush=True)
        return 0
    print(json.dumps(snmp_figures(args.rfps, gets=args.gets, quick=args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
