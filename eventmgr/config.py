"""What one Event Manager is told at start: where it listens (ESPA over TCP, serial lines),
the OMM it is an AXI client of and its account there, where its traps go, its groups and the
rules of a scripted setup. The application's config schema (sipdect.app.config) reads these
from the system's TOML file; the Event Manager knows nothing of TOML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from eventmgr import conventions as c
from eventmgr.rules import Rule
from sipdect.tls import DEFAULT_LEVEL, SecurityLevel


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
    name: str = ""
    """The OMM's host name in the system config ("": an OMM elsewhere), shown on the status
    page."""


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
    web_port: int | None = None
    """The web UI's HTTP port (redirects only; 0: any free one); None: no web UI. The
    application gives the [eventmgr] ports (conventions.WEB_PORT, WEB_TLS_PORT by default); a
    service made in a test or tool has none unless it asks, so it never takes 8082/8444."""
    web_tls_port: int = 0
    """The web UI's HTTPS port (0: any free one)."""
    tls_level: SecurityLevel = DEFAULT_LEVEL
    """The TLS security level of the web UI (as the OMM's: sipdect.tls)."""
    omm: OmmLink | None = None
    traps: list[TrapTarget] = field(default_factory=list)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    locate_every: float = c.LOCATE_EVERY_S
    """Seconds between two rounds of locating every locatable user (docs/eventmgr.md)."""
    rules: list[Rule] = field(default_factory=list)
    """Rules of the config: written to the Event Manager's store at start (replacing stored
    rules of the same name); rules made on the web UI live only in the store."""


GROUP_PREFIX = "group:"
"""A step's entry naming a group of the config rather than a user number."""


def unknown_groups(rule: Rule, groups: Mapping[str, Sequence[str]]) -> list[str]:
    """The `group:NAME` entries of the rule's steps that name no group (the config's and the
    web UI's one check)."""
    return [entry for step in rule.steps for entry in step
            if entry.startswith(GROUP_PREFIX) and entry[len(GROUP_PREFIX):] not in groups]
