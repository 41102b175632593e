"""`sipdect up` and `sipdect ctl` as a user runs them: the ready file in the data directory,
readable by its owner only, no password on the terminal, and `sipdect ctl` finding the
running system (URL and token) by itself, with IPEIs written as the README writes them
(README "Control API" and the ready file under "What `make up` starts")."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_site import free_port_config

from sipdect.waiting import scaled, until_sync

pytestmark = pytest.mark.slow

BOB = "00077 0010001 6"  # a handset of the default site, its IPEI with blanks


def ctl(*args: str, cwd: Path, ready_env: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIPDECT_READY_FILE"}
    if ready_env is not None:
        env["SIPDECT_READY_FILE"] = str(ready_env)
    return subprocess.run([sys.executable, "-m", "sipdect.app.cli", "ctl", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def answer(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_up_keeps_its_secrets_and_ctl_finds_it(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text(free_port_config(), "utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "sipdect.app.cli", "up", "--config", "site.toml",
                             "--data-dir", "data"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = tmp_path / "data" / "ready.json"
    try:
        until_sync(lambda: ready.exists() or proc.poll() is not None, "the ready file")
        assert proc.poll() is None, "sipdect up ended before it got ready"
        assert stat.S_IMODE(ready.stat().st_mode) == 0o600
        info = json.loads(ready.read_text("utf-8"))
        passwords = ([c["password"] for c in info["credentials"]]
                     + [u["sip_password"] for u in info["users"]]
                     + [a["password"] for a in info["pbx"]["accounts"]])
        assert len(passwords) == 5 and all(passwords)

        # From the directory `sipdect up` ran in: the ready file is found in ./data.
        handset = answer(ctl("handset", BOB, cwd=tmp_path))
        assert handset["ipei"] == BOB
        assert "display" in answer(ctl("display", BOB, cwd=tmp_path))
        assert answer(ctl("keys", BOB, "{CLEAR}", cwd=tmp_path))["ipei"] == BOB
        # A walk: ctl answers once the handset is there, or as it sets off with --no-wait.
        walked = answer(ctl("walk", BOB, "7", "3", "--speed", "20", cwd=tmp_path))
        assert (walked["x"], walked["y"], walked["walk"]) == (7.0, 3.0, None)
        started = answer(ctl("walk", BOB, "6", "3", "--no-wait", cwd=tmp_path))
        assert started["walk"]["to"] == {"x": 6.0, "y": 3.0} and started["walk"]["speed"] == 1.4
        refused = ctl("walk", BOB, "6", "3", "--speed", "0", cwd=tmp_path)
        assert refused.returncode != 0 and "metres per second" in refused.stderr
        # From elsewhere: named by the environment, or on the command line.
        state = ctl("state", cwd=elsewhere, ready_env=ready)
        assert not [p for p in passwords if p in state.stdout]
        assert answer(state)["handsets"]
        rfps = answer(ctl("--ready-file", str(ready), "rfps", cwd=elsewhere))
        assert len(rfps) == 2
        # The live site map: the ready file and `ctl map` give links, each with its own code.
        link = ctl("map", cwd=tmp_path)
        assert link.returncode == 0, link.stderr
        page = info["control"]["url"] + "/_emu/map?code="
        assert link.stdout.startswith(page) and info["map"]["url"].startswith(page)
        assert link.stdout.strip() != info["map"]["url"]
        # A trainer's timeline: the fault, then what the machines did, times since the fault.
        watcher = subprocess.Popen(
            [sys.executable, "-m", "sipdect.app.cli", "ctl", "watch", "--for",
             str(scaled(6))], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        assert watcher.stdout is not None and watcher.stdout.readline().startswith("watching")
        rfp_host = rfps[1]["host"]
        assert answer(ctl("host", "stop", rfp_host, cwd=tmp_path))["state"] == "stopped"
        shown, _ = watcher.communicate(timeout=60)
        assert watcher.returncode == 0
        assert f"  +0.00s  FAULT host {rfp_host} stopped" in shown.splitlines()
        assert f"host {rfp_host}: stopped" in shown
        # Without a ready file: one line saying where it looked and what to give.
        lost = ctl("health", cwd=elsewhere)
        assert lost.returncode != 0 and "Traceback" not in lost.stderr
        assert "data/ready.json" in lost.stderr and "--ready-file" in lost.stderr
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    stderr = proc.stderr.read()  # type: ignore[union-attr]
    stdout = proc.stdout.read()  # type: ignore[union-attr]
    assert not [p for p in passwords if p in stderr + stdout]
    assert str(Path("data") / "ready.json") in stderr and "login OMM: omm" in stderr
    assert "live site map: http://127.0.0.1:" in stderr
    assert not ready.exists()
