"""What one OMM is told at start: its name, listeners, TLS, initial accounts and settings.

The application's config schema (sipdect.app.config) reads these from the system's TOML file;
the OMM itself knows nothing of TOML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sipdect.tls import DEFAULT_KEY_TYPE, KeyType, SecurityLevel


@dataclass
class AccountConfig:
    username: str
    password: str
    permissions: tuple[str, ...] | None = None  # None: full access


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
    sip_port: int = 0  # the OMM's SIP user agent; 0: any free port (its Contact names it)
    rtp_port_base: int = 16320  # first RTP port of the RFPs' media (omm.media default)
    park: str = ""  # the installation's PARK (its licence's); "": dect.conventions.DEFAULT_PARK
    rfp_heartbeat: int = 15  # SYS_HEARTBEAT_INTERVAL told to the RFPs, s; 3 missed = lost
