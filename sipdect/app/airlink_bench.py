"""Air link benchmark (`sipdect bench airlink`, JSON): what the air between processes carries
(issue 10, docs/architecture.md "Air link").

- link: primitives per second through the air link between the world's Air (this process) and
  RFP radios on RemoteAirs in a child process that echo what they hear: AirData of a short DLC
  frame, and AirVoice of an 80-octet B-field (each crosses the link twice, out and back); and
  the same echo by receivers on the world's Air itself, for what the link adds;
- calls: N concurrent handset-to-handset SRTP calls with every RFP in the world's process and
  with every RFP a `sipdect rfp --air` process of its own, and the share of 10 ms voice frames
  late or lost at the handsets (the measurement of sipdect.app.calls_bench, same site).
Each size and way runs in a child process of its own (`python -m sipdect.app.airlink_bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sipdect.app import calls_bench as cb

#: Primitives echoed per kind (full run, quick run), sent in waves of WAVE.
LINK_PRIMITIVES = (200_000, 20_000)
WAVE = 4000
LINK_RFPS = 8
DLC_FRAME = bytes(range(12))
"""An AirData payload the size of a short DLC I-frame (address, control, length, NWK)."""
LINK_DEADLINE_S = 120.0

#: Concurrent calls tried (full run, quick run), each with RFPs in the world's process and
#: with RFPs in processes of their own; a size where both lose 1% or more ends the ramp.
CALL_SIZES = ((10, 25, 50, 75), (2,))
WAYS = ("in_process", "rfp_processes")


# -- link throughput ------------------------------------------------------------------------------
async def _echo_rfps(port: int, count: int) -> None:
    """(child) `count` RFP radios on RemoteAirs that send back every AirData and AirVoice."""
    from sim.air import RadioSite
    from sim.airlink import RemoteAir
    from sim.primitives import AirData, AirPrimitive, AirVoice

    remotes = []
    for i in range(count):
        site = RadioSite(i, 0.0, 0.0, i, cluster=i + 1)
        remote = RemoteAir(site, "127.0.0.1", port, mac=i.to_bytes(6, "big"))

        def echo(primitive: AirPrimitive, now: float, remote: RemoteAir = remote) -> None:
            if isinstance(primitive, AirData | AirVoice):
                remote.send_from_rfp(remote.site.rfp_id, primitive)

        remote.attach_rfp(i, echo)
        await remote.start()
        remotes.append(remote)
    await asyncio.Event().wait()


async def _link(kind: str, total: int, *, in_process: bool = False) -> dict[str, Any]:
    """`total` primitives of `kind` from the world's handsets to echoing RFPs and back: the
    RFPs remote (a child process over the air link) or, for comparison, receivers attached to
    the Air itself."""
    from sim.air import Air, schedule_deliveries
    from sim.airlink import AirLinkServer
    from sim.primitives import AIR_VOICE_OCTETS, AirConnect, AirData, AirPrimitive, AirVoice

    loop = asyncio.get_running_loop()
    air = Air(epoch=loop.time())
    schedule_deliveries(air, loop.call_soon, loop.time)
    server = AirLinkServer(air)
    child: subprocess.Popen[bytes] | None = None
    if in_process:
        for i in range(LINK_RFPS):
            air.add_rfp(i, 0.0, 0.0, cluster=i + 1)

            def echo(primitive: AirPrimitive, now: float, rfp_id: int = i) -> None:
                if isinstance(primitive, AirData | AirVoice):
                    air.send_from_rfp(rfp_id, primitive)

            air.attach_rfp(i, echo)
    else:
        await server.start()
        child = subprocess.Popen([sys.executable, "-m", "sipdect.app.airlink_bench", "--echo",
                                  str(server.port), "--rfps", str(LINK_RFPS)])
    try:
        if not await cb._wait(lambda: len(air.rfps) == LINK_RFPS
                              and all(air.is_synced(i) for i in range(LINK_RFPS)), 30.0):
            return {"error": f"only {len(server.remote_ids())} of {LINK_RFPS} RFPs placed"}
        got = 0
        wave_done: asyncio.Future[None] | None = None
        target = 0

        def heard(rfp_id: int, primitive: AirPrimitive, now: float) -> None:
            nonlocal got
            got += 1
            if got >= target and wave_done is not None and not wave_done.done():
                wave_done.set_result(None)

        for i in range(LINK_RFPS):
            air.add_handset(i, 1.0, 0.0)
            air.attach_handset(i, heard)
            air.send_from_handset(i, i, AirConnect(i))
        payload = bytes(AIR_VOICE_OCTETS) if kind == "voice" else DLC_FRAME
        frames: list[AirData | AirVoice] = [
            AirVoice(i, payload, 0, n % 16) if kind == "voice" else AirData(i, payload, 0, n % 16)
            for n in range(WAVE // LINK_RFPS) for i in range(LINK_RFPS)]
        cpu0, t0 = time.process_time(), loop.time()
        child_cpu0 = _child_cpu(child.pid) if child is not None else 0.0
        sent = 0
        while sent < total:
            wave_done = loop.create_future()
            target = got + len(frames)
            for primitive in frames:
                air.send_from_handset(primitive.pmid, primitive.pmid, primitive)
            sent += len(frames)
            await asyncio.wait_for(wave_done, LINK_DEADLINE_S)
        elapsed = loop.time() - t0
        cpu = time.process_time() - cpu0
        out = {"primitives": sent, "octets_each": len(payload), "seconds": round(elapsed, 3),
               "round_trips_per_s": round(sent / elapsed),
               "world_cpu_us_per_round_trip": round(1e6 * cpu / sent, 1)}
        if child is not None:
            child_cpu = _child_cpu(child.pid) - child_cpu0
            out.update(link_primitives_per_s=round(2 * sent / elapsed),
                       rfp_cpu_us_per_round_trip=round(1e6 * child_cpu / sent, 1))
        return out
    except TimeoutError:
        return {"error": f"a wave of {WAVE} did not come back within {LINK_DEADLINE_S:g} s"}
    finally:
        if child is not None:
            child.terminate()
            child.wait(10)
            await server.stop()


def _child_cpu(pid: int) -> float:
    """CPU seconds a running child used so far (/proc: utime + stime)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_link(quick: bool = False) -> dict[str, Any]:
    """Each kind over the air link, and with the echoing RFPs in the world's process (what
    the link adds is the difference)."""
    total = LINK_PRIMITIVES[1 if quick else 0]
    out: dict[str, Any] = {"rfps": LINK_RFPS, "wave": WAVE}
    for kind in ("data", "voice"):
        out[kind] = asyncio.run(_link(kind, total))
        out[f"{kind}_in_process"] = asyncio.run(_link(kind, total, in_process=True))
    return out


# -- calls through RFP processes ------------------------------------------------------------------
async def _calls(n_calls: int, window_s: float, way: str) -> dict[str, Any]:
    """N calls at once: the site of calls_bench, its RFPs in this process or each in its own."""
    from sim.airlink import AirLinkServer
    from sipdect.app.config import parse_config
    from sipdect.app.emulator import Emulator

    out: dict[str, Any] = {"calls": n_calls, "way": way}
    cfg = parse_config(cb.calls_config(n_calls), "<air link bench>")
    rfps = list(cfg.rfps)
    remote = way == "rfp_processes"
    if remote:
        cfg.rfps.clear()
    procs: list[asyncio.subprocess.Process] = []
    with tempfile.TemporaryDirectory(prefix="sipdect-bench-airlink-") as tmp:
        async with Emulator(cfg, Path(tmp)) as emu:
            system = emu.system
            assert system is not None and system.pbx is not None
            omm = system.omms[0]
            omm.model.sites.update(1, {"srtp": "Only"})
            world = system.site.world
            assert world is not None
            server = AirLinkServer(world.air)
            await server.start()
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            try:
                if remote:
                    for rc in rfps:
                        rec = omm.model.rfps.create({"ethAddr": rc.mac, "dectOn": True,
                                                     "preferredSync": rc.preferred_sync},
                                                    omm.model.sites.exists)
                        procs.append(await asyncio.create_subprocess_exec(
                            sys.executable, "-m", "rfp.cli", "--omm",
                            f"{omm.cfg.host}:{omm.rfp_link.port}", "--mac", rc.mac,
                            "--data-dir", str(Path(tmp) / "rfp"), "--air",
                            f"127.0.0.1:{server.port}", "--air-id", str(rec["id"]),
                            "--x", str(rc.x), "--y", str(rc.y),
                            *(["--preferred-sync"] if rc.preferred_sync else []),
                            stdout=asyncio.subprocess.DEVNULL,
                            stderr=asyncio.subprocess.DEVNULL))
                out.update(await _measure(system, world, n_calls, window_s, t0,
                                          [p.pid for p in procs]))
                out["rfp_processes"] = len(procs)
                out["remote_rfps_on_the_air"] = len(server.remote_ids())
            finally:
                for proc in procs:
                    if proc.returncode is None:
                        proc.terminate()
                for proc in procs:
                    await proc.wait()
                await server.stop()
    return out


async def _measure(system: Any, world: Any, n_calls: int, window_s: float,
                   t0: float, rfp_pids: list[int]) -> dict[str, Any]:
    """Once every handset registered: dial, wait for every call, count voice frames."""
    out, ids = await cb.place_calls(system, world, t0)
    if "site_ready_s" not in out:
        return out
    measured = await cb.voice_window(world, ids, window_s,
                                     lambda: sum(_child_cpu(pid) for pid in rfp_pids))
    out.update(measured)
    out["world_cpu_share"] = out.pop("cpu_share")
    out["rfp_processes_cpu_share"] = out.pop("other_cpu_share")
    out["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return out


def bench_calls(quick: bool = False) -> dict[str, Any]:
    sizes = CALL_SIZES[1] if quick else CALL_SIZES[0]
    window = cb.CALL_WINDOW_S[1] if quick else cb.CALL_WINDOW_S[0]
    runs: list[dict[str, Any]] = []
    for n in sizes:
        good = 0
        for way in WAYS:
            cmd = [sys.executable, "-m", "sipdect.app.airlink_bench", "--calls", str(n),
                   "--way", way, "--window", str(window)]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True,
                                      timeout=cb.CALLS_SETUP_DEADLINE_S * 3 + window + 60)
                lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
                runs.append(json.loads(lines[-1]) if lines else {
                    "calls": n, "way": way, "error": done.stderr.strip().splitlines()[-1:]})
            except subprocess.TimeoutExpired:
                runs.append({"calls": n, "way": way, "error": "timed out"})
            if "error" not in runs[-1] and runs[-1].get("lost_or_late_pct", 100) < 1.0:
                good += 1
        if not good:
            break
    best = {way: max((r["calls"] for r in runs if r["way"] == way and "error" not in r
                      and r.get("lost_or_late_pct", 100) < 1.0), default=0) for way in WAYS}
    return {"runs": runs, "max_calls_under_1pct": best}


def run(quick: bool = False) -> dict[str, Any]:
    return {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_avg_1m": round(os.getloadavg()[0], 2)},
            "link": bench_link(quick), "calls": bench_calls(quick)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--echo", type=int, metavar="PORT",
                        help="(internal) echoing RFP radios on the world's air at PORT")
    parser.add_argument("--rfps", type=int, default=LINK_RFPS)
    parser.add_argument("--calls", type=int, help="(internal) one size of the calls part")
    parser.add_argument("--way", choices=WAYS, default=WAYS[0])
    parser.add_argument("--window", type=float, default=cb.CALL_WINDOW_S[0])
    args = parser.parse_args(argv)
    if args.echo is not None:
        try:
            asyncio.run(_echo_rfps(args.echo, args.rfps))
        except KeyboardInterrupt:
            pass
        return 0
    if args.calls is not None:
        print(json.dumps(asyncio.run(_calls(args.calls, args.window, args.way))), flush=True)
        return 0
    print(json.dumps(run(args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
