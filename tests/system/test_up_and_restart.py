"""`sipdect up` as a user runs it: ready file, clean shutdown, and nothing acknowledged lost
to kill -9 (issue: persistence; ARCHITECTURE.md principle 6)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.waiting import DEFAULT_TIMEOUT, until_sync

pytestmark = pytest.mark.slow

CONFIG = """
[system]
name = "restart-test"
control_port = 0
[[omm]]
name = "OMM"
address = "127.0.0.1"
axi_port = 0
axi_tls_port = 0
rfp_port = 0
[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"
"""


def start(tmp: Path, data: Path, config: str = CONFIG
          ) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    cfg = tmp / "system.toml"
    cfg.write_text(config)
    ready = tmp / "ready.json"
    ready.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "sipdect.app.cli", "up", "--config", str(cfg),
                             "--data-dir", str(data), "--ready-file", str(ready)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got_ready = False
    try:
        until_sync(lambda: ready.exists() or proc.poll() is not None,
                   "sipdect up to write its ready file")
        got_ready = ready.exists()
    finally:
        if not got_ready:
            proc.kill()
    if not got_ready:
        raise AssertionError(f"sipdect up ended before it got ready: {proc.stderr.read()!r}")  # type: ignore[union-attr]
    return proc, json.loads(ready.read_text())


def axi_port(info: dict[str, Any], protocol: str = "axi") -> int:
    return next(e["port"] for e in info["endpoints"] if e["protocol"] == protocol)


def test_ready_file_names_endpoints_and_credentials_and_sigterm_stops(tmp_path: Path) -> None:
    proc, info = start(tmp_path, tmp_path / "data")
    try:
        check_ready(proc, info, tmp_path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def check_ready(proc: subprocess.Popen[bytes], info: dict[str, Any], tmp_path: Path) -> None:
    assert {e["protocol"] for e in info["endpoints"]} == {
        "axi", "axi-tls", "rfp-link", "sip-udp", "sip-tcp", "sip-tls", "web", "web-https",
        "control"}
    assert all(e["host"] == "127.0.0.1" for e in info["endpoints"])
    (cred,) = info["credentials"]
    assert (cred["username"], cred["password"]) == ("omm", "Sipdect-Omm-2026")
    line = proc.stdout.readline().decode()  # type: ignore[union-attr]
    assert line.startswith("READY ")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=DEFAULT_TIMEOUT) == 0
    assert not (tmp_path / "ready.json").exists()


async def _populate(port: int, n: int) -> list[int]:
    c = await AxiClient.connect("127.0.0.1", port)
    await c.login("omm", "Sipdect-Omm-2026")
    uids = []
    for i in range(n):
        r = await c.request("CreatePPUser", children=[element("user", {
            "num": str(7000 + i), "name": f"User {i}"})])
        uids.append(int(r.child("user").attrs["uid"]))  # type: ignore[union-attr]
    await c.request("CreatePPDev", children=[element("pp", {"ipei": "03074 0220259 3"})])
    await c.request("CreateRFP", children=[element("rfp", {"ethAddr": "00:30:42:00:00:01"})])
    await c.request("SetDevAutoCreate", {"enable": "true"})
    await c.request("CreateAccount", children=[element("account", {
        "username": "tool", "password": "Robot-Access-2026"})])
    await c.close()
    return uids


async def _read_back(port: int) -> dict[str, Any]:
    c = await AxiClient.connect("127.0.0.1", port)
    await c.login("omm", "Sipdect-Omm-2026")
    users = (await c.request("GetPPUser", {"uid": 1, "maxRecords": 20})).children_named("user")
    out = {
        "users": [(u.attrs["uid"], u.attrs["num"], u.attrs["name"]) for u in users],
        "device": (await c.request("GetPPDevByIPEI", {"ipei": "03074 0220259 3"})
                   ).child("pp").attrs["ppn"],  # type: ignore[union-attr]
        "rfp": (await c.request("GetRFP", {"id": 0})).child("rfp").attrs["ethAddr"],  # type: ignore[union-attr]
        "autocreate": (await c.request("GetDevAutoCreate")).attrs["enable"],
    }
    await c.close()
    tool = await AxiClient.connect("127.0.0.1", port)
    out["tool_login"] = "errCode" not in (await tool.login("tool", "Robot-Access-2026",
                                                           check=False)).attrs
    await tool.close()
    return out


def test_kill_9_loses_nothing_that_was_acknowledged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, info = start(tmp_path, data)
    try:
        asyncio.run(_populate(axi_port(info), 12))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=DEFAULT_TIMEOUT)
    proc, info = start(tmp_path, data)
    try:
        back = asyncio.run(_read_back(axi_port(info)))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=DEFAULT_TIMEOUT)
    assert len(back["users"]) == 12
    assert back["users"][0][1:] == ("7000", "User 0")
    assert back["device"] == "1" and back["rfp"] == "00:30:42:00:00:01"
    assert back["autocreate"] == "true" and back["tool_login"] is True


def test_bad_config_gives_one_clear_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[[omm]]\nname = "X"\ntls_level = "Paranoid"\n')
    r = subprocess.run([sys.executable, "-m", "sipdect.app.cli", "up", "--config", str(cfg),
                        "--data-dir", str(tmp_path / "d")], capture_output=True,
                       timeout=DEFAULT_TIMEOUT)
    assert r.returncode == 2
    assert b"tls_level must be High, Medium or Legacy" in r.stderr
    assert b"Traceback" not in r.stderr


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_supervisor_leaves_no_host_process_behind(tmp_path: Path) -> None:
    # The OMM runs as a process of its own at an address of a block no other test uses.
    block = f"127.96.{random.randrange(256)}.0/24"
    config = (CONFIG.replace('address = "127.0.0.1"\n', 'isolation = "process"\n')
              .replace('name = "restart-test"\n', f'name = "orphan-test"\naddresses = "{block}"\n'))
    proc, info = start(tmp_path, tmp_path / "data", config)
    (omm,) = [h for h in info["hosts"] if h["name"] == "OMM"]
    assert omm["pid"] not in (None, proc.pid) and _alive(omm["pid"])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=DEFAULT_TIMEOUT)
    until_sync(lambda: not _alive(omm["pid"]), "the OMM's process to end with its supervisor")
