"""Debian's snmptrapd as an independent SNMP trap receiver (standby-eventmgr.md B.6; issue 15:
"a test receives them with Debian's snmptrapd and checks the OIDs and values").

`start_snmptrapd(tmp_path)` runs one on 127.0.0.1 on a free port for UDP and TCP, with its
own config (`disableAuthorization yes`) and persistent directory under `tmp_path`, logging
each trap as one line; `Snmptrapd.traps()` parses those lines into ReceivedTraps. Any test
(the Event Manager's too) may use it: `sys.path` has tests/interop under pytest.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from interop_peers import HOST, _stop, free_port, need

from sipdect.waiting import DEFAULT_TIMEOUT, WaitTimeout, until_sync

LINE_PREFIX = "TRAP|"
TRAP_FORMAT = LINE_PREFIX + r"%b|%P|%v\n"
"""One line per trap: transport and peer | PDU kind, version, community | varbinds (tabs)."""
_VARBIND = re.compile(r"(\.[0-9.]+) = (?:([A-Za-z0-9-]+): )?(.*)")
_SPLIT = re.compile(r"\t(?=\.[0-9.]+ = )")


@dataclass(frozen=True)
class SeenTrap:
    """A trap as snmptrapd printed it."""

    transport: str
    """'UDP' or 'TCP'."""
    community: str
    varbinds: list[tuple[str, str, str]]
    """(OID without the leading dot, net-snmp's type word, value text) in order."""

    def value(self, oid: object) -> tuple[str, str]:
        """(type, value) of the first varbind with this OID."""
        for o, kind, value in self.varbinds:
            if o == str(oid):
                return kind, value
        raise KeyError(f"no varbind {oid} in {self.varbinds}")

    def text(self, oid: object) -> str:
        """An OctetString's text, whether printed as STRING or as Hex-STRING (UTF-8)."""
        kind, value = self.value(oid)
        if kind == "Hex-STRING":
            return bytes.fromhex(value).decode("utf-8")
        assert kind == "STRING", (kind, value)
        return value[1:-1] if value.startswith('"') else value

    @property
    def trap_oid(self) -> str:
        return self.value("1.3.6.1.6.3.1.1.4.1.0")[1].removeprefix(".")


def parse_line(line: str) -> SeenTrap | None:
    """One TRAP_FORMAT record (its lines joined) -> SeenTrap; None for other output."""
    if not line.startswith(LINE_PREFIX):
        return None
    _, peer, security, varbinds = line.rstrip("\n").split("|", 3)
    community = security.rpartition("community ")[2]
    binds = []
    for item in _SPLIT.split(varbinds):
        match = _VARBIND.fullmatch(item.strip(" "))
        assert match is not None, item
        binds.append((match[1].removeprefix("."), match[2] or "", match[3].strip()))
    return SeenTrap(peer.split(":", 1)[0], community, binds)


@dataclass
class Snmptrapd:
    """One running snmptrapd listening on udp:HOST:port and tcp:HOST:port."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text("utf-8", "replace")

    def traps(self) -> list[SeenTrap]:
        # A long Hex-STRING goes on over several lines: a trap is all up to the next one.
        records = re.split(r"^(?=TRAP\|)", self.output(), flags=re.MULTILINE)
        return [t for t in (parse_line(r.replace("\n", " ")) for r in records[1:])
                if t is not None]

    def wait_traps(self, count: int, timeout: float = DEFAULT_TIMEOUT) -> list[SeenTrap]:
        """At least `count` traps, waiting for them with a deadline."""
        try:
            until_sync(lambda: len(self.traps()) >= count, timeout=timeout,
                       what=f"{count} traps at snmptrapd")
        except WaitTimeout:
            raise AssertionError(f"snmptrapd got {len(self.traps())} of {count} traps:\n"
                                 f"{self.output()}") from None
        return self.traps()

    def stop(self) -> None:
        _stop(self.process)


def _listening(trapd: Snmptrapd) -> bool:
    """Whether it started: it prints its version once both listeners are open, and exits
    when a port was taken."""
    until_sync(lambda: trapd.process.poll() is not None or "NET-SNMP version" in trapd.output(),
               timeout=DEFAULT_TIMEOUT, what="snmptrapd listening")
    return trapd.process.poll() is None


def start_snmptrapd(workdir: Path, port: int | None = None) -> Snmptrapd:
    """snmptrapd in the foreground with its own config, numeric OIDs, no MIBs loaded, on
    `port` (default: a free one)."""
    binary = need("snmptrapd")
    conf, persist = workdir / "conf", workdir / "persist"
    conf.mkdir(parents=True, exist_ok=True)
    persist.mkdir(parents=True, exist_ok=True)  # apart: snmptrapd rewrites its own file there
    (conf / "snmptrapd.conf").write_text("disableAuthorization yes\n", "utf-8")
    log = workdir / "snmptrapd.log"
    given = port
    for _ in range(5):
        port = free_port() if port is None else port
        with log.open("wb") as out:
            process = subprocess.Popen(
                [binary, "-f", "-Lo", "-On", "-m", "", "-C", "-c", str(conf / "snmptrapd.conf"),
                 f"--persistentDir={persist}", "-F", TRAP_FORMAT,
                 f"udp:{HOST}:{port}", f"tcp:{HOST}:{port}"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        trapd = Snmptrapd(port, process, log)
        if _listening(trapd):
            return trapd
        port = given
    raise AssertionError(f"snmptrapd did not start:\n{log.read_text('utf-8', 'replace')}")
