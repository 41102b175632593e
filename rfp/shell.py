"""The RFP's SSH shell: a command line fed lines, answering text, log lines and actions.

Seed 000 "Securing Operating System User Interfaces" (a "User shell" and a root shell; after
an OMM took the RFP over, root is reached from the user shell), features.md §2.3 (reset, OMM
addresses). The real RFP's user-shell command list is not public: the commands here are the
installer's tasks the manuals and howto-dect name (the RFP's state, its IP settings and OMM
addresses as the OM Configurator shows them, its syslog, reboot, factory reset), under the
busybox names a Linux RFP has where one exists (`logread`, `reboot`, `su`, `ifconfig`), and
an unknown command answers as busybox's ash does. Sans-I/O: rfp.ssh feeds it and carries out
the actions; the RFP's facts come through the narrow `ShellHost`.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol


class Action(Enum):
    """What the edge does on the RFP once the reply is written."""

    REBOOT = "reboot"
    FACTORY_RESET = "factory reset"


class ShellHost(Protocol):
    """What the shell asks of its RFP (VirtualRfp answers)."""

    def shell_state(self) -> list[tuple[str, str]]: ...
    def shell_ip(self) -> list[tuple[str, str]]: ...
    def shell_omm(self) -> list[tuple[str, str]]: ...
    def shell_syslog(self) -> list[str]: ...
    def check_root_password(self, password: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Command:
    """One parsed command line."""

    name: str
    args: tuple[str, ...] = ()


class ShellSyntaxError(ValueError):
    """A line the shell cannot split into words (an unterminated quote)."""


def parse_command(line: str) -> Command | None:
    """Split a line as sh does (quotes, backslashes, `#` comments); None for a blank line."""
    try:
        words = shlex.split(line, comments=True, posix=True)
    except ValueError as exc:
        raise ShellSyntaxError(str(exc)) from None
    if not words:
        return None
    return Command(words[0], tuple(words[1:]))


@dataclass(frozen=True, slots=True)
class LogLine:
    """A line for the RFP's syslog (rfp.station keeps them)."""

    level: str
    """sipdect.ops.eventlog LEVELS."""
    msg: str


@dataclass(slots=True)
class Reply:
    """What one fed line comes to."""

    text: str = ""
    """To write to the session (ends with the next prompt unless `close`)."""
    echo: bool = True
    """False while the shell reads a password (the terminal does not echo it)."""
    actions: list[Action] = field(default_factory=list)
    log: list[LogLine] = field(default_factory=list)
    close: bool = False
    """The session ends (exit from the login shell, reboot)."""
    status: int = 0
    """The command's exit status (what `ssh rfp COMMAND` returns)."""


@dataclass(frozen=True, slots=True)
class _Spec:
    run: Callable[[RfpShell, Command, Reply], None]
    root: bool
    """Only the root shell may run it (as on Linux: reboot needs root)."""
    summary: str


NOT_FOUND_STATUS = 127
DENIED_STATUS = 1
SHELL_NAME = "-sh"
"""How busybox's login shell names itself in its error lines."""


class RfpShell:
    """One login's shell. `root`: logged in as root (factory state); `su` adds a root level
    that `exit` leaves again."""

    def __init__(self, host: ShellHost, hostname: str, user: str, *, root: bool = False,
                 root_user: str = "root") -> None:
        self.host = host
        self.hostname = hostname
        self.user = user
        self.root_user = root_user
        self.root = root
        self._login_root = root
        self._reading_password = False
        self.closed = False

    @property
    def prompt(self) -> str:
        return f"{self.root_user if self.root else self.user}@{self.hostname}:~" + (
            "# " if self.root else "$ ")

    def banner(self) -> str:
        return (f"\nSIP-DECT RFP {self.hostname}: {'root' if self.root else 'user'} shell. "
                "Type 'help' for the commands.\n\n")

    def feed(self, line: str, *, interactive: bool = True) -> Reply:
        """One line typed; `interactive` False (ssh rfp COMMAND): no prompt after it."""
        reply = Reply()
        if self._reading_password:
            self._reading_password = False
            self._su_answer(line, reply)
        else:
            self._run_line(line, reply)
        if interactive and not reply.close and reply.echo:
            reply.text += self.prompt
        return reply

    # -- the command line ---------------------------------------------------------------------
    def _run_line(self, line: str, reply: Reply) -> None:
        try:
            command = parse_command(line)
        except ShellSyntaxError as exc:
            reply.text = f"{SHELL_NAME}: syntax error: {exc}\n"
            reply.status = 2
            return
        if command is None:
            return
        who = self.root_user if self.root else self.user
        typed = shlex.join((command.name, *command.args))
        reply.log.append(LogLine("GenInfo", f"{who}: command: {typed}"))
        spec = COMMANDS.get(command.name)
        if spec is None:
            reply.text = f"{SHELL_NAME}: {command.name}: not found\n"
            reply.status = NOT_FOUND_STATUS
            return
        if spec.root and not self.root:
            reply.text = (f"{command.name}: permission denied (you are {self.user}; "
                          "'su' for the root shell)\n")
            reply.status = DENIED_STATUS
            return
        spec.run(self, command, reply)

    # -- commands -----------------------------------------------------------------------------
    def _help(self, command: Command, reply: Reply) -> None:
        lines = [f"  {name:<13}{spec.summary}" + ("  (root)" if spec.root else "")
                 for name, spec in COMMANDS.items() if name not in ALIASES]
        reply.text = "Commands:\n" + "\n".join(lines) + "\n"

    def _table(self, rows: list[tuple[str, str]], reply: Reply) -> None:
        width = max((len(k) for k, _ in rows), default=0)
        reply.text = "".join(f"{k:<{width}}  {v}\n" for k, v in rows)

    def _state(self, command: Command, reply: Reply) -> None:
        self._table(self.host.shell_state(), reply)

    def _ip(self, command: Command, reply: Reply) -> None:
        self._table(self.host.shell_ip(), reply)

    def _omm(self, command: Command, reply: Reply) -> None:
        self._table(self.host.shell_omm(), reply)

    def _logread(self, command: Command, reply: Reply) -> None:
        reply.text = "".join(f"{line}\n" for line in self.host.shell_syslog())

    def _whoami(self, command: Command, reply: Reply) -> None:
        reply.text = f"{self.root_user if self.root else self.user}\n"

    def _reboot(self, command: Command, reply: Reply) -> None:
        reply.text = "The system is going down for reboot NOW!\n"
        reply.actions.append(Action.REBOOT)
        reply.log.append(LogLine("Event", f"reboot by {self.root_user} over SSH"))
        reply.close = True

    def _factory_reset(self, command: Command, reply: Reply) -> None:
        reply.text = ("Factory reset: the OMM's settings and the enrolment key are erased; "
                      "rebooting.\n")
        reply.actions.append(Action.FACTORY_RESET)
        reply.log.append(LogLine("MajorErr", f"factory reset by {self.root_user} over SSH"))
        reply.close = True

    def _su(self, command: Command, reply: Reply) -> None:
        target = next((a for a in command.args if a != "-"), self.root_user)
        if target != self.root_user:
            reply.text = f"su: unknown user {target}\n"
            reply.status = DENIED_STATUS
            return
        if self.root:
            return
        reply.text = "Password: "
        reply.echo = False
        self._reading_password = True

    def _su_answer(self, password: str, reply: Reply) -> None:
        if self.host.check_root_password(password):
            self.root = True
            reply.text = "\n"
            reply.log.append(LogLine("Event", f"su: {self.user} to {self.root_user}"))
        else:
            reply.text = "\nsu: incorrect password\n"
            reply.status = DENIED_STATUS
            reply.log.append(LogLine("MinorErr",
                                     f"su: FAILED {self.user} to {self.root_user}"))

    def _exit(self, command: Command, reply: Reply) -> None:
        if self.root and not self._login_root:
            self.root = False  # leave the root shell `su` started
            return
        reply.close = True
        self.closed = True


COMMANDS: dict[str, _Spec] = {
    "help": _Spec(RfpShell._help, False, "list these commands"),
    "state": _Spec(RfpShell._state, False,
                   "the RFP: link to the OMM, DECT, sync, uptime, remote access"),
    "ip": _Spec(RfpShell._ip, False, "IP settings: address, netmask, gateway, MAC"),
    "omm": _Spec(RfpShell._omm, False, "the OMM addresses (ommip1, ommip2) and the link"),
    "logread": _Spec(RfpShell._logread, False, "the RFP's syslog"),
    "whoami": _Spec(RfpShell._whoami, False, "who this shell runs as"),
    "su": _Spec(RfpShell._su, False, "switch to the root shell (asks the root password)"),
    "reboot": _Spec(RfpShell._reboot, True, "restart the RFP"),
    "factoryreset": _Spec(RfpShell._factory_reset, True,
                          "erase the OMM's settings and the enrolment key, restart"),
    "exit": _Spec(RfpShell._exit, False, "leave the shell (the root shell: back to the user)"),
    # Aliases under the names a Linux hand types.
    "ifconfig": _Spec(RfpShell._ip, False, "as ip"),
    "syslog": _Spec(RfpShell._logread, False, "as logread"),
    "logout": _Spec(RfpShell._exit, False, "as exit"),
}
ALIASES = frozenset({"ifconfig", "syslog", "logout"})
