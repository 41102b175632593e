"""Debian's OpenSSH client against an RFP's SSH shells, offline and without sshpass.

The password comes from an SSH_ASKPASS script (SSH_ASKPASS_REQUIRE=force, OpenSSH >= 8.4),
the host key must be the one the RFP shows (StrictHostKeyChecking=yes against a known_hosts
file of that one key). The client runs as a subprocess of the test's loop, whose RFPs answer
it, and is killed at a deadline: a test never hangs on it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from sipdect.waiting import DEFAULT_TIMEOUT, scaled

SSH = shutil.which("ssh")
needs_ssh = pytest.mark.skipif(SSH is None, reason="Debian's openssh-client is missing")


@dataclass
class SshResult:
    status: int
    stdout: str
    stderr: str


class SshPeer:
    """`ssh` at one RFP (host, port, host key), with a scratch folder for its files."""

    def __init__(self, tmp: Path, host: str, port: int, public_key: str) -> None:
        self.host, self.port = host, port
        tmp.mkdir(parents=True, exist_ok=True)
        self.known_hosts = tmp / "known_hosts"
        self.known_hosts.write_text(f"[{host}]:{port} {public_key}\n")
        self.askpass = tmp / "askpass.sh"
        self.askpass.write_text('#!/bin/sh\nprintf "%s\\n" "$SIPDECT_SSH_PASSWORD"\n')
        self.askpass.chmod(0o700)

    async def run(self, user: str, password: str, command: str | None = None, *,
                  stdin: str = "", patience: float = DEFAULT_TIMEOUT) -> SshResult:
        assert SSH is not None
        env = {**os.environ, "SSH_ASKPASS": str(self.askpass), "SSH_ASKPASS_REQUIRE": "force",
               "SIPDECT_SSH_PASSWORD": password, "DISPLAY": os.environ.get("DISPLAY", ":0")}
        args = [SSH, "-F", "/dev/null", "-T", "-p", str(self.port),
                "-o", f"UserKnownHostsFile={self.known_hosts}",
                "-o", "StrictHostKeyChecking=yes", "-o", "PreferredAuthentications=password",
                "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
                "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", f"{user}@{self.host}"]
        if command is not None:
            args.append(command)
        proc = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True)
        try:
            out, err = await asyncio.wait_for(proc.communicate(stdin.encode()),
                                              scaled(patience))
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise AssertionError(f"ssh {user}@{self.host}:{self.port} did not end in "
                                 f"{patience} s") from None
        assert proc.returncode is not None
        return SshResult(proc.returncode, out.decode(errors="replace"),
                         err.decode(errors="replace"))
