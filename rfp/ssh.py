"""The RFP's SSH server (SSHv2, asyncssh): the asyncio edge of rfp.access and rfp.shell.

Seed 000 "Securing Operating System User Interfaces": port 22 at the RFP's address, password
logins decided by rfp.access, each session a rfp.shell. Every login, failed login and command
goes to the RFP's syslog (VirtualRfp.syslog). One ed25519 host key per RFP, made once and kept
beside the RFP's key (a real RFP keeps its host key in flash).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import warnings
from pathlib import Path
from typing import Any, Protocol

with warnings.catch_warnings():
    # asyncssh still names DSA keys at import, which cryptography deprecates; none is used here.
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    import asyncssh

from rfp.access import SSH_PORT, SSH_SUBSYSTEM, RemoteAccess, Verdict
from rfp.shell import Action, Reply, RfpShell, ShellHost

log = logging.getLogger("sipdect.rfp.ssh")

__all__ = ["SSH_PORT", "SSH_SUBSYSTEM", "RfpSsh", "load_host_key"]

HOST_KEY_ALGORITHM = "ssh-ed25519"
HOST_KEY_FILE_MODE = 0o600
LISTEN_BACKLOG = 64


class SshStation(ShellHost, Protocol):
    """What the SSH server asks of its RFP (VirtualRfp)."""

    name: str
    access: RemoteAccess

    @property
    def hostname(self) -> str: ...
    def syslog_add(self, level: str, msg: str, source: str = "") -> None: ...
    def reboot(self) -> None: ...
    def factory_reset(self) -> None: ...


def load_host_key(path: Path | None) -> asyncssh.SSHKey:
    """The RFP's host key from `path`, made (and stored, mode 0600) when there is none yet;
    `path` None: a new one in memory. ed25519: cheap to make for a site of 256 RFPs."""
    if path is not None:
        try:
            return asyncssh.import_private_key(path.read_bytes())
        except FileNotFoundError:
            pass
        except (asyncssh.KeyImportError, ValueError) as exc:
            raise ValueError(f"{path} is no SSH host key ({exc}); delete it to make a new "
                             "one") from None
    key = asyncssh.generate_private_key(HOST_KEY_ALGORITHM)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, HOST_KEY_FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(key.export_private_key())
        os.replace(tmp, path)
    return key


class _Login(asyncssh.SSHServer):
    """One SSH connection: password authentication against the RFP's RemoteAccess."""

    def __init__(self, server: RfpSsh) -> None:
        self.server = server
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer = "?"
        self.verdict: Verdict | None = None
        self.username = ""

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.server.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.server.connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        return True  # every login needs a password

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        station = self.server.station
        verdict = station.access.check_login(username, password)
        source = self.peer.rsplit(":", 1)[0]
        if verdict in (Verdict.USER, Verdict.ROOT):
            self.verdict, self.username = verdict, username
            self.server.logins += 1
            station.syslog_add("Event", f"login of '{username}' from {self.peer} "
                                        f"({verdict.value} shell)")
            return True
        self.server.failed_logins += 1
        station.syslog_add("MinorErr", f"login of '{username}' from {self.peer} refused: "
                                       f"{verdict.value}", source)
        return False


class RfpSsh:
    """Listens for SSH at the RFP's address; start() on power-up, close() on power-off."""

    def __init__(self, station: SshStation, host: str, port: int,
                 host_key_path: Path | None) -> None:
        """`port` 0: any free port at the first start, the same one at every later start."""
        self.station = station
        self.host = host
        self.port = port
        self.host_key_path = host_key_path
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.logins = 0
        self.failed_logins = 0
        self._host_key: asyncssh.SSHKey | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None

    @property
    def listening(self) -> bool:
        return self._acceptor is not None

    @property
    def host_key(self) -> asyncssh.SSHKey:
        if self._host_key is None:
            self._host_key = load_host_key(self.host_key_path)
        return self._host_key

    def public_key(self) -> str:
        """The host key as an OpenSSH known_hosts entry's key part (`ssh-ed25519 AAAA...`)."""
        return self.host_key.export_public_key("openssh").decode("ascii").strip()

    async def start(self) -> None:
        if self._acceptor is not None:
            return
        # Bound here, not by address lookup in the loop's thread pool: a site's 256 RFPs
        # start one after another, and a busy pool made each wait (150 ms under load).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
            self._acceptor = await asyncssh.listen(
                sock=sock, server_factory=lambda: _Login(self),
                server_host_keys=[self.host_key], process_factory=self._session,
                encoding="utf-8")
        except BaseException:
            sock.close()
            raise
        self.port = int(sock.getsockname()[1])

    def close(self) -> None:
        """Stop listening and drop every session at once (power off, reboot, stop)."""
        acceptor, self._acceptor = self._acceptor, None
        if acceptor is not None:
            acceptor.close()
        for conn in list(self.connections):
            conn.abort()
        self.connections.clear()

    # -- sessions -----------------------------------------------------------------------------
    async def _session(self, process: asyncssh.SSHServerProcess[str]) -> None:
        login = process.channel.get_connection().get_owner()
        assert isinstance(login, _Login)
        station = self.station
        shell = RfpShell(station, station.hostname, login.username,
                         root=login.verdict is Verdict.ROOT,
                         root_user=station.access.root_user)
        terminal = process.get_terminal_type() is not None
        try:
            if process.command:
                reply = shell.feed(process.command, interactive=False)
                self._carry_out(process, reply, terminal, source=login.peer)
                process.exit(reply.status)
                return
            process.stdout.write(shell.banner() + shell.prompt)
            status = 0
            while True:
                try:
                    line = await process.stdin.readline()
                except (asyncssh.BreakReceived, asyncssh.SignalReceived,
                        asyncssh.TerminalSizeChanged):
                    continue
                if not line:
                    break
                reply = shell.feed(line.rstrip("\r\n"))
                status = reply.status
                if self._carry_out(process, reply, terminal, source=login.peer):
                    break
            process.exit(status)
        except (asyncssh.Error, ConnectionError, BrokenPipeError) as exc:
            log.debug("RFP %s: SSH session ended: %s", station.name, exc)

    def _carry_out(self, process: Any, reply: Reply, terminal: bool, *, source: str) -> bool:
        """Write the reply, log its lines, start its actions; True when the session ends."""
        station = self.station
        for line in reply.log:
            station.syslog_add(line.level, f"{line.msg} (from {source})")
        if reply.text:
            process.stdout.write(reply.text)
        if terminal:
            process.channel.set_echo(reply.echo)
        if reply.actions:
            # After this session wrote its last words: the reboot drops it with the rest.
            loop = asyncio.get_running_loop()
            for action in reply.actions:
                loop.call_soon(station.reboot if action is Action.REBOOT
                               else station.factory_reset)
        return reply.close
