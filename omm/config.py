"""What one OMM is told at start: its name, listeners, TLS, initial accounts and settings.

The application's config schema (sipdect.app.config) reads these from the system's TOML file;
the OMM itself knows nothing of TOML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omm.license import FULL as FULL_LICENSE
from omm.license import LATENCY_MINUTES
from omm.licensefile import Grant
from sipdect.tls import DEFAULT_KEY_TYPE, KeyType, SecurityLevel


@dataclass
class AccountConfig:
    username: str
    password: str
    permissions: tuple[str, ...] | None = None  # None: full access


@dataclass
class StandbyConfig:
    """This OMM as one of a standby pair (standby-eventmgr.md Part A; docs/architecture.md
    "Standby pair"): where its partner is, the secret both prove, the pair's timers."""

    partner: str
    """The other OMM's address (DHCP option 43: ommip1/ommip2)."""
    secret: str
    """Shared by both OMMs: the standby link's HMAC key; the vault key of the pair's
    database (sealed UAKs, RFP link keys, user secrets) is derived from it."""
    port: int = 16330
    """The partner's standby link listener (omm.standby.link.PORT), at both addresses."""
    heartbeat: float = 5.0
    """Ping period on the standby link (omm.standby.link.HEARTBEAT_S)."""
    silence: float = 15.0
    """The partner is lost after this long without a frame (omm.standby.link.SILENCE_S)."""
    pbx_timeout: float = 32.0
    """A PBX probe without an answer fails after this (conventions.PBX_PROBE_TIMEOUT_S)."""
    omm_type: str = ""
    """What this OMM says it runs on ("": conventions.OMM_TYPE); another type than the
    partner's is DifferentOMMTypes."""
    version: str = ""
    """What version it says it runs ("": the AXI ommVersion); another is DifferentOMMVersions."""


@dataclass
class OmmConfig:
    name: str = "OMM"
    host: str = "127.0.0.1"
    axi_port: int = 12621
    axi_tls_port: int = 12622
    tls_level: SecurityLevel = SecurityLevel.HIGH
    tls_key_type: KeyType = DEFAULT_KEY_TYPE  # of the generated certificate (not an imported one)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    accounts: list[AccountConfig] = field(default_factory=list)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    syslog_host: str | None = None
    syslog_port: int = 514
    axi_clients: int = 100
    rfp_port: int = 16321
    web_port: int = 80  # the web UI's HTTP listener: redirects to HTTPS (seed 000)
    web_tls_port: int = 443  # the web UI (HTTPS); both shifted like every port below 1024
    sip_port: int = 0  # the OMM's SIP user agent; 0: any free port (its Contact names it)
    rtp_port_base: int = 16320  # first RTP port of the RFPs' media (omm.media default)
    park: str = ""  # the installation's PARK (its licence's); "": dect.conventions.DEFAULT_PARK
    rfp_heartbeat: int = 15  # SYS_HEARTBEAT_INTERVAL told to the RFPs, s; 3 missed = lost
    standby: StandbyConfig | None = None  # one of a standby pair; None: a single OMM
    config_url: str = ""
    """Where its provisioning files are when its database names no URL (SetConfigURL): the
    emulator's stand-in for DHCP options 43/234 (omm.provisioning, docs/mom.md)."""
    mac: str = ""
    """The OMM machine's MAC address: it loads <MAC>.cfg after ipdect.cfg; "": none."""
    sites: list[dict[str, Any]] = field(default_factory=list)
    """Sites of a new installation ([[omm.sites]], SiteType values); site 1 exists anyway."""
    sip_ca: Path | None = None
    """The certificates SIP over TLS trusts (OMP's SIP "PEM file import"): a PEM file; the
    supervisor imports its embedded call server's own when none is given."""
    license: Grant = FULL_LICENSE
    """What the installation is licensed for ([omm.license]; default: everything)."""
    license_latency: int = LATENCY_MINUTES
    """The licence's full latency (grace) period, minutes ([omm.license] latency)."""
