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
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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
#: The embedded server's per-IP transaction limit (MiVO400 default 200) would answer most of
#: a burst 503, which measures the protection, not the rate: the bench lifts it.
BENCH_TRANSACTIONS_PER_IP = 1_000_000

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
            cmd = [sys.executable, "-m", "sipdect.calls_bench", "--serve-pbx", str(port),
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


def run(quick: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "registrations": bench_registrations(quick),
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve-pbx", type=int, metavar="PORT",
                        help="(internal) run the embedded call server for the benchmark")
    parser.add_argument("--users", type=int, default=REGISTRATION_USERS[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.serve_pbx is not None:
        try:
            asyncio.run(_serve_pbx(args.serve_pbx, args.users))
        except KeyboardInterrupt:
            pass
        return 0
    print(json.dumps(run(args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
