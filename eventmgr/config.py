"""What one Event Manager is told at start: where it listens (ESPA over TCP, serial lines),
the OMM it is an AXI client of and its account there, where its traps go, its groups and the
rules of a scripted setup. The application's config schema (sipdect.app.config) reads these
from the system's TOML file; the Event Manager knows nothing of TOML."""

from __future__ import annotations

from dataclasses import dataclass, field

from eventmgr import conventions as c
from eventmgr.rules import Rule


@dataclass
class OmmLink:
    """The OMM (or the two of a standby pair) the Event Manager logs in to, AXI over TLS."""

    address: str
    port: int = c.AXI_TLS_PORT
    username: str = c.ACCOUNT
    password: str = ""
    standby_address: str = ""
    """The other OMM of a pair: tried when the first does not answer (B.1)."""
    standby_port: int = c.AXI_TLS_PORT


@dataclass
class TrapTarget:
    """Where SNMPv2c traps go (B.6)."""

    host: str
    port: int = 162
    community: str = "public"
    transport: str = "udp"


@dataclass
class EventMgrConfig:
    name: str = "EventManager"
    host: str = "127.0.0.1"
    espa_port: int | None = c.ESPA_PORT
    """The ESPA 4.4.4 TCP server (plain, B.1); None: none."""
    espa_serial: list[str] = field(default_factory=list)
    """Serial lines (tty paths) the Event Manager runs ESPA on as the paging system."""
    espa_address: str = "2"
    """The paging system's ESPA address."""
    omm: OmmLink | None = None
    traps: list[TrapTarget] = field(default_factory=list)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    locate_every: float = c.LOCATE_EVERY_S
    """Seconds between two rounds of locating every locatable user (docs/eventmgr.md)."""
    rules: list[Rule] = field(default_factory=list)
    """Rules of the config: written to the Event Manager's store at start (replacing stored
    rules of the same name); rules made on the web UI live only in the store."""
