"""Calls benchmark (`sipdect bench calls`, JSON): what the SIP and media side of one OMM carry on
this machine (issue 5).

- registrations: how many REGISTERs per second the OMM's user agent completes (digest
  challenge answered) when N users register at once, against the embedded call server and
  against kamailio, each server in a process of its own;
- srtp_calls: concurrent handset-to-handset calls with SRTP media in one process, and the
  share of 10 ms voice frames that arrive late or not at all at the handsets;
- media_path: SRTP packets per second protected+unprotected by the RFP media path, beside
  pylibsrtp alone in the same run (the ceiling).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Users registering at once (full run, quick run).
REGISTRATION_USERS = (2000, 200)
#: The password every benchmark user has (kamailio's config checks one for all).
PASSWORD = "secret"
#: Seconds the registrations of one run may take before the run reports how far it came.
REGISTRATION_DEADLINE_S = 120.0
POLL_S = 0.02
#: The embedded server's per-IP transaction limit (MiVO400 default 200; a UDP transaction
#: counts until its Timer J ends, 32 s) would answer most of a burst from the OMM's one
#: address 503, which measures the protection, not the rate: the bench lifts it.
BENCH_TRANSACTIONS_PER_IP = 1_000_000

#: Concurrent calls tried, smallest first (full run, quick run); a size that loses 1% or more
#: of its frames ends the ramp.
CALL_SIZES = ((10, 25, 50, 75, 100, 125), (2,))
#: Seconds of voice measured per size (full, quick).
CALL_WINDOW_S = (5.0, 1.0)
HANDSETS_PER_RFP = 8
"""A real RFP 35 carries 8 voice channels."""
CALL_PASSWORD = "Bench-Call-2026"
CALLS_SETUP_DEADLINE_S = 120.0
CALL_SPACING_S = 0.02
"""Between two dialled calls: a burst of INVITEs from one IP would meet the call server's
MiVO400 transaction limit, which is not what this measures."""
SETTLE_S = 1.0
"""After the last call connects, before measuring (jitter buffers fill)."""

KAMAILIO_CFG = """\
#!KAMAILIO
debug=1
log_stderror=yes
children={children}
listen=udp:127.0.0.1:{port}
auto_aliases=no
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)
request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("REGISTER")) {{
        if (!pv_auth_check("$td", "{password}", "0", "1")) {{
            auth_challenge("$td", "0");
            exit;
        }}
        if (!save("location")) {{ sl_reply_error(); }}
        exit;
    }}
    sl_send_reply("405", "Method Not Allowed");
}}
"""


def _free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server_process(kind: str, users: int) -> Iterator[int]:
    """A registrar in a child process; yields its UDP port."""
    port = _free_udp_port()
    with tempfile.TemporaryDirectory(prefix="sipdect-bench-") as tmp:
        if kind == "kamailio":
            exe = shutil.which("kamailio")
            if exe is None:
                raise RuntimeError("kamailio is not installed (make peers)")
            cfg = Path(tmp) / "kamailio.cfg"
            cfg.write_text(KAMAILIO_CFG.format(port=port, password=PASSWORD, children=2))
            cmd = [exe, "-f", str(cfg), "-DD", "-E", "-m", "64", "-M", "8", "-Y", tmp]
        else:
            cmd = [sys.executable, "-m", "sipdect.app.calls_bench", "--serve-pbx", str(port),
                   "--users", str(users)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for_sip(port, proc)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_for_sip(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Until the server answers an OPTIONS (any answer means it is up)."""
    import socket

    deadline = time.monotonic() + 15
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.2)
        probe = (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
                 f"Via: SIP/2.0/UDP 127.0.0.1:{s.getsockname()[1]};branch=z9hG4bKprobe\r\n"
                 f"From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
                 f"Call-ID: probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                 f"Content-Length: 0\r\n\r\n").encode()
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the SIP server exited with {proc.returncode}")
            s.sendto(probe, ("127.0.0.1", port))
            try:
                s.recv(4096)
                return
            except OSError:
                continue
    raise RuntimeError("the SIP server did not come up within 15 s")


async def _serve_pbx(port: int, users: int) -> None:
    from sim.pbx import PbxConfig, PbxServer

    accounts = {_number(i): PASSWORD for i in range(users)}
    config = PbxConfig(accounts=accounts, max_transactions_per_ip=BENCH_TRANSACTIONS_PER_IP,
                       max_auth_failures=BENCH_TRANSACTIONS_PER_IP)
    server = await PbxServer.start(config, "127.0.0.1", port)
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()


def _number(i: int) -> str:
    return str(100000 + i)


async def _registrations(port: int, users: int) -> dict[str, Any]:
    """N users of a fresh OMM model register at once; time until every one is registered."""
    from omm.model import OmmModel, OmmSetup
    from omm.sip import Registrations

    with tempfile.TemporaryDirectory(prefix="sipdect-bench-omm-") as tmp:
        settings = {"BasicSIP": {"regServer": "127.0.0.1", "regPort": port, "regPeriod": 3600}}
        model = OmmModel(Path(tmp), OmmSetup("bench", settings=settings))
        for i in range(users):
            model.users.create({"num": _number(i), "sipPw": PASSWORD})
        regs = Registrations(model, "127.0.0.1")
        loop = asyncio.get_running_loop()
        started = loop.time()
        await regs.start()
        done_at: float | None = None
        try:
            while loop.time() - started < REGISTRATION_DEADLINE_S:
                registered = sum(1 for r in regs.users.values() if r.registered)
                if registered == users:
                    done_at = loop.time()
                    break
                await asyncio.sleep(POLL_S)
        finally:
            registered = sum(1 for r in regs.users.values() if r.registered)
            failures = sum(r.failures for r in regs.users.values())
            await regs.stop()
            model.close()
    elapsed = (done_at or loop.time()) - started
    out: dict[str, Any] = {"users": users, "registered": registered,
                           "seconds": round(elapsed, 3), "failed_attempts": failures}
    if done_at is not None:
        out["registrations_per_s"] = round(users / elapsed, 1)
    else:
        out["error"] = f"only {registered} of {users} registered in {REGISTRATION_DEADLINE_S} s"
    return out


def bench_registrations(quick: bool = False) -> dict[str, Any]:
    users = REGISTRATION_USERS[1 if quick else 0]
    out: dict[str, Any] = {}
    for kind in ("embedded", "kamailio"):
        try:
            with _server_process(kind, users) as port:
                out[kind] = asyncio.run(_registrations(port, users))
        except RuntimeError as exc:
            out[kind] = {"error": str(exc)}
    return out


# -- concurrent SRTP calls between handsets ---------------------------------------------------

def calls_config(n_calls: int) -> str:
    """One OMM whose only site is SRTP-only, the embedded call server passing SRTP, RFPs on a
    grid with HANDSETS_PER_RFP handsets each, and a user per handset."""
    from sipdect.app import site_bench as sb

    n_handsets = 2 * n_calls
    n_rfps = max(1, -(-n_handsets // HANDSETS_PER_RFP))
    parts = [sb.OMM_CONFIG, '\n[pbx]\nudp_port = 0\ntcp_port = 0\ntls_port = 0\n'
             'srtp = "optional"\n'
             f"max_transactions_per_ip = {BENCH_TRANSACTIONS_PER_IP}\n"]
    for i in range(n_rfps):
        x, y = sb.rfp_position(i, n_rfps)
        parts.append(f'\n[[rfp]]\nmac = "00:30:42:ca:{i >> 8 & 0xFF:02x}:{i & 0xFF:02x}"\n'
                     f"x = {x}\ny = {y}\npreferred_sync = {str(i == 0).lower()}\n")
    for i in range(n_handsets):
        hs = sb.handset_config(i, n_rfps)
        parts.append(f'\n[[handset]]\nipei = "{hs.ipei}"\nx = {hs.x}\ny = {hs.y}\n'
                     f'\n[[user]]\nnumber = "{_number(i)}"\nsip_password = "{CALL_PASSWORD}"\n'
                     f'handset = "{hs.ipei}"\n')
    return "".join(parts)


async def _calls(n_calls: int, window_s: float,
                 capture_dir: Path | None = None) -> dict[str, Any]:
    """N handset-to-handset calls at once in this process; frames that arrived on time.
    `capture_dir`: capture the run there (docs/capture.md), for its overhead."""
    from sipdect.app.config import parse_config
    from sipdect.app.emulator import Emulator

    out: dict[str, Any] = {"calls": n_calls}
    cfg = parse_config(calls_config(n_calls), "calls bench")
    cfg.capture = capture_dir
    with tempfile.TemporaryDirectory(prefix="sipdect-bench-calls-") as tmp:
        async with Emulator(cfg, Path(tmp)) as emu:
            system = emu.system
            assert system is not None and system.pbx is not None
            omm = system.omms[0]
            omm.model.sites.update(1, {"srtp": "Only"})
            world = system.site.world
            assert world is not None
            t0 = asyncio.get_running_loop().time()
            placed, ids = await place_calls(system, world, t0)
            out.update(placed)
            if "site_ready_s" not in placed:
                return out
            out["srtp_calls"] = sum(1 for c in omm.media.calls.values() if c.srtp is not None)
            out["dsc_ciphered_handsets"] = sum(
                1 for hid in ids if world.get(hid).handset.cipher_key is not None)
            measured = await voice_window(world, ids, window_s)
            del measured["other_cpu_share"]
            out.update(measured)
        if capture_dir is not None and system.capture_file is not None:
            out["capture"] = {"file": str(system.capture_file),
                              "octets": system.capture_file.stat().st_size}
    return out


async def place_calls(system: Any, world: Any, t0: float) -> tuple[dict[str, Any], list[int]]:
    """Once every handset holds its location registration and every user is registered at
    the call server, each handset of a pair calls the next (which answers at once) and all
    connect: site_ready_s (since t0) and calls_setup_s, or the error, and the handsets' ids."""
    loop = asyncio.get_running_loop()
    out: dict[str, Any] = {}
    ids = sorted(world.handsets)
    numbers = {hid: _number(i) for i, hid in enumerate(ids)}
    server = system.pbx.running

    def ready() -> bool:
        return all(e.handset.subscription is not None and e.handset.subscription.tpui is not None
                   for e in world.handsets.values()) and all(
            server.registered(n) for n in numbers.values())

    if not await _wait(ready, CALLS_SETUP_DEADLINE_S):
        return {"error": "the handsets did not all register in time"}, ids
    out["site_ready_s"] = round(loop.time() - t0, 1)
    callers, callees = ids[0::2], ids[1::2]
    for callee in callees:
        world.get(callee).handset.auto_answer = 0.0
    t1 = loop.time()
    for caller, callee in zip(callers, callees, strict=True):
        world.get(caller).handset.dial(numbers[callee], world.now())
        world.pump(caller)
        await asyncio.sleep(CALL_SPACING_S)
    if not await _wait(lambda: _connected(world, ids) == len(ids), CALLS_SETUP_DEADLINE_S):
        out["error"] = f"only {_connected(world, ids)} of {len(ids)} handsets connected"
    out["calls_setup_s"] = round(loop.time() - t1, 1)
    return out, ids


def _connected(world: Any, ids: list[int]) -> int:
    return sum(1 for hid in ids if world.get(hid).handset.call_state.value == "connected")


async def voice_window(world: Any, ids: list[int], window_s: float,
                       other_cpu_s: Callable[[], float] = lambda: 0.0) -> dict[str, Any]:
    """The voice frames the handsets of `ids` received in window_s seconds of their calls
    against the 100 a second each expects, and the CPU share this process (and, through
    other_cpu_s, other processes) took meanwhile."""
    loop = asyncio.get_running_loop()
    gc.freeze()  # as `sipdect up` does once it runs (cli._run)
    await asyncio.sleep(SETTLE_S)
    before = {hid: _voice(world, hid) for hid in ids}
    other0 = other_cpu_s()
    cpu0, w0 = time.process_time(), loop.time()
    await asyncio.sleep(window_s)
    cpu1, w1 = time.process_time(), loop.time()
    other1 = other_cpu_s()
    after = {hid: _voice(world, hid) for hid in ids}
    expected = round((w1 - w0) * 100) * len(ids)
    got = {k: sum(after[h][k] - before[h][k] for h in ids)
           for k in ("received", "missing", "late", "undecodable")}
    return {"window_s": round(w1 - w0, 2), "frames_expected": expected, **got,
            "cpu_share": round((cpu1 - cpu0) / (w1 - w0), 2),
            "other_cpu_share": round((other1 - other0) / (w1 - w0), 2),
            "lost_or_late_pct": round(
                100.0 * max(0, expected - got["received"] + got["late"]) / max(1, expected), 2),
            "connected_at_end": _connected(world, ids) // 2}


def _voice(world: Any, hid: int) -> dict[str, int]:
    path = world.voice_path(hid)
    if path is None:
        return {"received": 0, "missing": 0, "late": 0, "undecodable": 0}
    st = path.stats
    return {"received": st.received, "missing": st.missing, "late": st.late,
            "undecodable": st.undecodable}


async def _wait(condition: Any, deadline_s: float) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not condition():
        if loop.time() > end:
            return False
        await asyncio.sleep(0.1)
    return True


def bench_calls(quick: bool = False, capture_dir: Path | None = None) -> dict[str, Any]:
    """Each size in a child process of its own; the largest with under 1% lost or late.
    `capture_dir`: each run captured there (docs/capture.md), to measure what capture costs."""
    sizes = CALL_SIZES[1] if quick else CALL_SIZES[0]
    window = CALL_WINDOW_S[1] if quick else CALL_WINDOW_S[0]
    runs: list[dict[str, Any]] = []
    for n in sizes:
        cmd = [sys.executable, "-m", "sipdect.app.calls_bench", "--calls", str(n),
               "--window", str(window),
               *(["--capture", str(capture_dir)] if capture_dir is not None else [])]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=CALLS_SETUP_DEADLINE_S * 3 + window + 60)
            lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
            runs.append(json.loads(lines[-1]) if lines else {
                "calls": n, "error": done.stderr.strip().splitlines()[-1:]})
        except subprocess.TimeoutExpired:
            runs.append({"calls": n, "error": "timed out"})
        if "error" in runs[-1] or runs[-1].get("lost_or_late_pct", 100) >= 1.0:
            break
    good = [r["calls"] for r in runs
            if "error" not in r and r.get("lost_or_late_pct", 100) < 1.0]
    return {"runs": runs, "max_calls_under_1pct": max(good, default=0), "goal_calls": 100}


def run(quick: bool = False, capture_dir: Path | None = None) -> dict[str, Any]:
    from rfp.media import run_bench as media_path_bench

    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "registrations": bench_registrations(quick),
        "srtp_calls": bench_calls(quick, capture_dir),
        "media_path": media_path_bench(quick=quick),
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve-pbx", type=int, metavar="PORT",
                        help="(internal) run the embedded call server for the benchmark")
    parser.add_argument("--users", type=int, default=REGISTRATION_USERS[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--calls", type=int, help="(internal) run one size of the calls bench")
    parser.add_argument("--window", type=float, default=CALL_WINDOW_S[0])
    parser.add_argument("--capture", type=Path, metavar="DIR",
                        help="capture the calls runs there (docs/capture.md)")
    args = parser.parse_args(argv)
    if args.calls is not None:
        print(json.dumps(asyncio.run(_calls(args.calls, args.window, args.capture))),
              flush=True)
        return 0
    if args.serve_pbx is not None:
        try:
            asyncio.run(_serve_pbx(args.serve_pbx, args.users))
        except KeyboardInterrupt:
            pass
        return 0
    print(json.dumps(run(args.quick, args.capture), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
