"""What one MOM is told at start: its name, address, MAXI port, TLS level, initial accounts
and the OMMs it manages. The application's config schema (sipdect.app.config) reads these
from the system's TOML file; the MOM itself knows nothing of TOML."""

from __future__ import annotations

from dataclasses import dataclass, field

from mom.conventions import OMM_AXI_PORT
from sipdect.accounts import InitialAccount
from sipdect.axi.sync import MAXI_PORT
from sipdect.tls import SecurityLevel


@dataclass
class ManagedOmm:
    """An OMM connection the config defines (the MOM contacts only defined OMMs)."""

    name: str
    address: str
    port: int = OMM_AXI_PORT
    username: str = ""
    password: str = ""
    enabled: bool = True


@dataclass
class MomConfig:
    name: str = "MOM"
    host: str = "127.0.0.1"
    maxi_port: int = MAXI_PORT
    tls_level: SecurityLevel = SecurityLevel.HIGH
    """High or Medium only: the MOM never goes below TLS 1.2 (sipdect.axi.sync.MOM_TLS_LEVELS)."""
    accounts: list[InitialAccount] = field(default_factory=list)
    omms: list[ManagedOmm] = field(default_factory=list)
