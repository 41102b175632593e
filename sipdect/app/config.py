"""System configuration: a TOML file describing one emulated installation as machines.

configs/default.toml is the embedded default. Every [[omm]], [[rfp]] and the [pbx] block is a
host (ARCHITECTURE.md "Hosts"): a name, a kind and its own IPv4 loopback address (`address`,
else the next free one of `[system] addresses`), listening on the real product ports at that
address. Only ports below 1024 are shifted, by `port_shift` (default 8000: 443 -> 8443), so
that no root is needed. `isolation = "process"` (per host, or in [system] for all) runs a host
as its own OS process instead of in the supervisor's.

[pbx] runs the embedded call server (sim.pbx) only when the section is there; [[user]]
entries are DECT users with a SIP account, each created in its OMM and at the call server.
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import math
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dect.conventions import default_park
from dect.identities import Ipei, Park
from eventmgr.config import EventMgrConfig, TrapTarget
from eventmgr.conventions import WEB_PORT as EM_WEB_PORT
from eventmgr.conventions import WEB_TLS_PORT as EM_WEB_TLS_PORT
from eventmgr.rules import Rule, RuleError
from mom.config import ManagedOmm, MomConfig
from omm.config import AccountConfig, OmmConfig, StandbyConfig
from omm.license import BUILT_IN as BUILT_IN_LICENSE
from omm.license import LATENCY_MINUTES as LICENSE_LATENCY
from omm.licensefile import LicenseFileError, grant_from
from omm.licensefile import parse as parse_license
from sim.airlink.codec import PORT as AIR_LINK_PORT
from sim.phone.config import DEFAULT_TONE_HZ, RETRY_MAX_SECONDS, RETRY_SECONDS, PhoneConfig
from sipdect import clock
from sipdect.accounts import FULL_ACCESS as MOM_FULL_ACCESS
from sipdect.accounts import PERMISSIONS
from sipdect.accounts import InitialAccount as MomAccount
from sipdect.axi.provisioning import ConfigUrl, mac_file
from sipdect.sip.constants import MIVO400_MAX_AUTH_FAILURES, MIVO400_MAX_TRANSACTIONS_PER_IP
from sipdect.sip.message import Transport
from sipdect.tls import DEFAULT_KEY_TYPE, KeyType, SecurityLevel

SRTP_POLICIES = ("no", "optional", "required")
"""The call server's SRTP setting (sim.pbx.srtp.SrtpPolicy); MiVO400's default is No."""
DIGEST_ALGORITHMS = ("MD5", "SHA-256", "SHA-512-256")
"""Digest algorithms the call server can offer (RFC 7616, RFC 8760)."""
CONTROL_HOST = "127.0.0.1"
"""The supervisor's control API listens on loopback only, whatever the config says."""
DEFAULT_ADDRESSES = "127.10.0.0/16"
"""Where hosts without an `address` get theirs, in the order of the file (OMMs, the call
server, RFPs). Every address of 127.0.0.0/8 reaches `lo` on Linux without any set-up."""
LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
ISOLATIONS = ("none", "process", "worker")
"""Where a host runs: in the supervisor's process (none, the default and fastest), as an OS
process of its own (process: real kills, every core used), or in one of `[system] workers`
processes it shares with other hosts (worker: hundreds of RFPs on a few processes)."""
MAX_POSITION_M = 100_000.0
"""How far from the origin (metres, either axis) an RFP or handset may be placed on the
simulated air. An emulated site is at most kilometres wide; the bound keeps the propagation
arithmetic finite. Assumption: no product limit applies (the OMM's x/y are plan pixels)."""


class ConfigError(ValueError):
    """The configuration is unusable; the message says what to change."""


@dataclass
class RfpConfig:
    """One virtual base station (features.md §2.3); its OMM record is created if missing."""

    mac: str
    omm: str
    name: str = ""
    hw_type: str = "RFP 35"
    x: float = 0.0
    y: float = 0.0
    cluster: int = 1
    preferred_sync: bool = False
    dect_on: bool = True
    site: int = 1
    address: str = ""  # the RFP host's own address; "" until the system assigns one
    isolation: str = ""  # none / process / worker; "": as [system] says
    snmp: bool = True  # runs its SNMP agent (UDP 161, shifted); the OMM configures it

    @property
    def host_name(self) -> str:
        """The RFP as a host of the system: its name, else "RFP" and its MAC's last digits."""
        return self.name or default_rfp_name(self.mac)


@dataclass
class HandsetConfig:
    """One virtual DECT handset on the simulated air."""

    ipei: str
    omm: str
    name: str = ""
    model: str = "622d"
    x: float = 0.0
    y: float = 0.0
    ac: str | None = None  # typed at subscription; default: the OMM's DECTAuthCode
    subscribe: bool = True  # subscribe by itself at start when not subscribed yet
    configured: bool = True  # create its device record so Configured mode admits it


@dataclass
class PbxAccountConfig:
    """A call-server account that is no DECT user (a SIP phone, sipp, baresip)."""

    user: str
    password: str


@dataclass
class PbxConfig:
    """The embedded call server (sim.pbx), modelled on MiVoice Office 400."""

    enabled: bool = True
    host: str = ""  # its address; "" until the system assigns one
    name: str = "pbx"  # its host name
    isolation: str = ""  # none / process / worker; "": as [system] says
    udp_port: int = 5060
    tcp_port: int | None = 5060  # None: no TCP listener
    tls_port: int | None = 5061  # None: no TLS listener
    realm: str = "sipdect"  # digest realm of its challenges
    srtp: str = "no"  # no / optional / required (SRTP_POLICIES)
    digest_algorithms: tuple[str, ...] = ("MD5",)  # challenges offered, in this order
    accounts: list[PbxAccountConfig] = field(default_factory=list)
    max_auth_failures: int = MIVO400_MAX_AUTH_FAILURES  # per IP before it is blocked
    max_transactions_per_ip: int = MIVO400_MAX_TRANSACTIONS_PER_IP  # live; more get 503
    tls_key_type: KeyType = DEFAULT_KEY_TYPE  # of its generated SIP-TLS certificate


@dataclass
class UserConfig:
    """A DECT user (PP user) with a SIP account, bound to a handset (features.md §2.7)."""

    number: str
    name: str = ""
    sip_password: str = ""
    handset: str | None = None  # IPEI in the OMM's spaced form; None: unbound
    auth_id: str | None = None  # digest user name; None: the number
    omm: str = ""  # the OMM that holds the user; "" until parse_config resolves it


@dataclass
class PhoneHostConfig:
    """A SIP phone of the system ([[phone]]): its own config, and the host it runs as."""

    phone: PhoneConfig
    address: str = ""  # "" until the system assigns one
    isolation: str = ""  # none / process / worker; "": as [system] says

    @property
    def host_name(self) -> str:
        return self.phone.name


@dataclass
class MomHostConfig:
    """A Multi-OMM Manager host ([mom] or [[mom]]): the MOM's own config and where it runs.
    An OMM it manages without credentials gets an account provisioned by the supervisor."""

    mom: MomConfig
    isolation: str = ""
    provisioned: set[str] = field(default_factory=set)
    """The managed OMMs whose MOM account the supervisor made (their [[omm]] provisions it)."""

    @property
    def name(self) -> str:
        return self.mom.name


@dataclass
class EventMgrHostConfig:
    """An Event Manager host ([eventmgr] or [[eventmgr]]): its own config, the OMM it is an
    AXI client of (`omm`: an [[omm]] of this file, whose account for it the supervisor makes
    unless `username`/`password` are given) and where it runs."""

    em: EventMgrConfig
    omm: str = ""
    """The [[omm]] of this file it logs in to ("": none, or `omm_address` elsewhere)."""
    isolation: str = ""
    web_port: int = EM_WEB_PORT
    web_tls_port: int = EM_WEB_TLS_PORT

    @property
    def name(self) -> str:
        return self.em.name


@dataclass(frozen=True)
class HostSpec:
    """One machine of the system as the config describes it."""

    name: str
    kind: str
    """omm, mom, eventmgr, rfp, pbx, phone."""
    isolation: str
    """none (in the supervisor's process), process or worker (ISOLATIONS)."""
    explicit: bool
    """Its address was written in the file (else assigned from [system] addresses)."""


@dataclass
class SystemConfig:
    name: str = "sipdect"
    port_shift: int = 8000
    addresses: str = DEFAULT_ADDRESSES  # hosts without an address get theirs from here
    isolation: str = "none"  # the default of every host
    air_port: int = AIR_LINK_PORT  # the world's air link (RFP hosts of their own process)
    workers: int = field(default_factory=lambda: os.cpu_count() or 2)  # worker processes
    speed: float = 1.0  # virtual seconds per real second of every timer (sipdect.clock)
    omm_isolation: dict[str, str] = field(default_factory=dict)  # by OMM name, "": default
    standby_of: dict[str, str] = field(default_factory=dict)  # second OMM of a pair -> first
    explicit_addresses: set[str] = field(default_factory=set)  # host names written with one
    control_port: int | None = 7080  # the supervisor's control API; None: none
    rfp_ssh: bool = True  # every RFP serves its SSH shells (port 22, shifted)
    capture: Path | None = None  # write a pcapng of each run there (docs/capture.md)
    capture_base: Path | None = None  # this run's capture files (set by the supervisor)
    omms: list[OmmConfig] = field(default_factory=list)
    rfps: list[RfpConfig] = field(default_factory=list)
    handsets: list[HandsetConfig] = field(default_factory=list)
    pbx: PbxConfig | None = None  # None: no embedded call server
    users: list[UserConfig] = field(default_factory=list)
    phones: list[PhoneHostConfig] = field(default_factory=list)
    moms: list[MomHostConfig] = field(default_factory=list)
    eventmgrs: list[EventMgrHostConfig] = field(default_factory=list)
    source: str = "<defaults>"

    def shifted(self, port: int) -> int:
        """Privileged ports move up by port_shift; 0 (any free port) stays 0."""
        return port + self.port_shift if 0 < port < 1024 else port

    def hosts(self) -> list[HostSpec]:
        """Every machine of the system: OMMs, the call server, RFPs."""
        out = [HostSpec(o.name, "omm", self.omm_isolation.get(o.name) or self.isolation,
                        o.name in self.explicit_addresses) for o in self.omms]
        if self.pbx is not None and self.pbx.enabled:
            out.append(HostSpec(self.pbx.name, "pbx", self.pbx.isolation or self.isolation,
                                self.pbx.name in self.explicit_addresses))
        out += [HostSpec(r.host_name, "rfp", r.isolation or self.isolation,
                         r.host_name in self.explicit_addresses) for r in self.rfps]
        out += [HostSpec(p.host_name, "phone", p.isolation or self.isolation,
                         p.host_name in self.explicit_addresses) for p in self.phones]
        # Last, so that a MOM added to a config moves no other host's assigned address.
        out += [HostSpec(m.mom.name, "mom", m.isolation or self.isolation,
                         m.mom.name in self.explicit_addresses) for m in self.moms]
        out += [HostSpec(e.name, "eventmgr", e.isolation or self.isolation,
                         e.name in self.explicit_addresses) for e in self.eventmgrs]
        return out

    def address_of(self, name: str) -> str:
        """The address of the host called `name` (KeyError if there is none)."""
        for omm in self.omms:
            if omm.name == name:
                return omm.host
        if self.pbx is not None and self.pbx.name == name:
            return self.pbx.host
        for rfp in self.rfps:
            if rfp.host_name == name:
                return rfp.address
        for phone in self.phones:
            if phone.host_name == name:
                return phone.address
        for mom in self.moms:
            if mom.mom.name == name:
                return mom.mom.host
        for em in self.eventmgrs:
            if em.name == name:
                return em.em.host
        raise KeyError(f"no host {name!r}")

    def assign_addresses(self, block: str | None = None) -> None:
        """Give every host the config wrote no address for the next free address of
        `block` (default: [system] addresses), in the order of hosts()."""
        network = ipaddress.IPv4Network(block or self.addresses)
        taken = {self.address_of(h.name) for h in self.hosts() if h.explicit}
        free = (str(a) for a in network.hosts() if str(a) not in taken)
        for host in self.hosts():
            if host.explicit:
                continue
            address = next(free, None)
            if address is None:
                raise ConfigError(f"{self.source}: [system] addresses = {network} has no free "
                                  f"address left for host {host.name!r}; give a larger block")
            self._set_address(host.name, address)
        self._pair_addresses()

    def partner_of(self, name: str) -> str | None:
        """The other OMM of `name`'s standby pair (None: a single OMM)."""
        for second, first in self.standby_of.items():
            if name == first:
                return second
            if name == second:
                return first
        return None

    def pair_head(self, name: str) -> str:
        """The OMM a pair's RFPs, handsets and users are placed at: its first (the pair is
        one system; either name means it)."""
        return self.standby_of.get(name, name)

    def _pair_addresses(self) -> None:
        """Each OMM of a pair learns its partner's address (ommip1/ommip2)."""
        for omm in self.omms:
            partner = self.partner_of(omm.name)
            if omm.standby is not None and partner is not None:
                omm.standby.partner = self.address_of(partner)

    def _set_address(self, name: str, address: str) -> None:
        for omm in self.omms:
            if omm.name == name:
                omm.host = address
        if self.pbx is not None and self.pbx.name == name:
            self.pbx.host = address
        for rfp in self.rfps:
            if rfp.host_name == name:
                rfp.address = address
        for phone in self.phones:
            if phone.host_name == name:
                phone.address = address
        for mom in self.moms:
            if mom.mom.name == name:
                mom.mom.host = address
        for em in self.eventmgrs:
            if em.name == name:
                em.em.host = address


def default_rfp_name(mac: str) -> str:
    """The name of an RFP the config names none: "RFP" and its MAC's last four digits, as
    its OMM record is called."""
    digits = mac.replace(":", "").replace("-", "").strip().lower()
    return f"RFP {digits[-4:]}"


def _expect(section: dict[str, Any], key: str, kind: type, where: str, default: Any) -> Any:
    value = section.get(key, default)
    if value is not None and not isinstance(value, kind):
        raise ConfigError(f"{where}: '{key}' must be a {kind.__name__}, not {value!r}")
    return value


def checked_speed(value: object, where: str) -> float:
    """`speed` as the clock takes it (a number above 0; 1 real time), else ConfigError."""
    try:
        return clock.check_speed(value, "speed")  # type: ignore[arg-type]
    except clock.ClockError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _port(section: dict[str, Any], key: str, where: str, default: int) -> int:
    value = _expect(section, key, int, where, default)
    if not 0 <= value <= 65535:
        raise ConfigError(f"{where}: '{key}' = {value} is not a TCP port (0-65535)")
    return int(value)


def _address(raw: dict[str, Any], where: str, *keys: str) -> str:
    """The host's own address (the first of `keys` given), "" when none: one of 127.0.0.0/8,
    which reaches `lo` on Linux without any set-up."""
    given = [k for k in keys if k in raw]
    if len(given) > 1:
        raise ConfigError(f"{where}: give '{given[0]}' only ('{given[1]}' is its older name)")
    if not given:
        return ""
    key = given[0]
    value = _expect(raw, key, str, where, "")
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise ConfigError(f"{where}: {key} = {value!r} is not an IPv4 address; give one of "
                          "127.0.0.0/8, e.g. \"127.10.0.5\"") from None
    if address not in LOOPBACK:
        raise ConfigError(f"{where}: {key} = {value!r}: an emulated host lives on the loopback "
                          "network; give an address of 127.0.0.0/8")
    return str(address)


def _isolation(raw: dict[str, Any], where: str, default: str = "") -> str:
    value = _expect(raw, "isolation", str, where, default)
    if value and value not in ISOLATIONS:
        raise ConfigError(f"{where}: isolation = {value!r}: give {' or '.join(ISOLATIONS)}")
    return str(value)


def _license(cfg: OmmConfig, raw: dict[str, Any] | None, where: str, base: Path) -> None:
    """[omm.license] (README "Licences"): none grants everything; `builtin = true` is an
    installation without a licence file; `file` a signed licence file; other keys grant as a
    file would, over everything granted. `latency` is the full grace period in minutes."""
    if raw is None:
        return
    raw = dict(raw)
    latency = raw.pop("latency", LICENSE_LATENCY)
    if not isinstance(latency, int) or isinstance(latency, bool) or latency < 1:
        raise ConfigError(f"{where}: latency is the grace period in minutes, e.g. 43200 (30 "
                          f"days, the product's), not {latency!r}")
    cfg.license_latency = latency
    builtin = raw.pop("builtin", False)
    file = raw.pop("file", None)
    try:
        if builtin is True:
            if raw or file is not None:
                raise LicenseFileError("builtin = true is an installation without a licence "
                                       "file: give nothing else but latency")
            cfg.license = BUILT_IN_LICENSE
        elif file is not None:
            if raw:
                raise LicenseFileError(f"give either file or licence items, not both "
                                       f"({', '.join(sorted(raw))})")
            path = (base / str(file)).resolve()
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise LicenseFileError(f"file = {file!r}: cannot read {path}: "
                                       f"{exc.strerror}") from None
            cfg.license = parse_license(text)
        else:
            cfg.license = grant_from({k: _license_text(v) for k, v in raw.items()})
    except LicenseFileError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    park = cfg.license.park
    if park and cfg.park and park != cfg.park.upper():
        raise ConfigError(f"{where}: the licence is for PARK {park}, but park = {cfg.park!r}; "
                          "drop park (the licence's is used) or use the licence of this PARK")
    if park:
        cfg.park = park  # a real OMM's PARK comes with its licence


def _license_text(value: Any) -> str:
    """A TOML value of [omm.license] as the licence file would write it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _omm(raw: dict[str, Any], where: str, base: Path) -> OmmConfig:
    known = {"name", "host", "address", "isolation", "axi_port", "axi_tls_port", "tls_level",
             "tls_cert", "tls_key", "accounts", "settings", "syslog", "axi_clients",
             "rfp_port", "sip_port", "rtp_port_base", "tls_key_type", "park", "rfp_heartbeat",
             "standby", "config_url", "mac", "sites", "sip_ca", "web_port", "web_tls_port",
             "license"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(sorted(known))}")
    cfg = OmmConfig(name=_expect(raw, "name", str, where, "OMM"),
                    host=_address(raw, where, "address", "host"),
                    axi_port=_port(raw, "axi_port", where, 12621),
                    axi_tls_port=_port(raw, "axi_tls_port", where, 12622),
                    axi_clients=_expect(raw, "axi_clients", int, where, 100),
                    rfp_port=_port(raw, "rfp_port", where, 16321),
                    web_port=_port(raw, "web_port", where, 80),
                    web_tls_port=_port(raw, "web_tls_port", where, 443),
                    sip_port=_port(raw, "sip_port", where, 0),
                    rtp_port_base=_port(raw, "rtp_port_base", where, 16320))
    cfg.rfp_heartbeat = _expect(raw, "rfp_heartbeat", int, where, 15)
    if not 1 <= cfg.rfp_heartbeat <= 255:
        raise ConfigError(f"{where}: rfp_heartbeat is seconds between an RFP's heartbeats, "
                          f"1-255 (the product's is 15), not {cfg.rfp_heartbeat}")
    park = _expect(raw, "park", str, where, "")
    if park:
        try:
            cfg.park = str(Park.parse(park))
        except ValueError as exc:
            raise ConfigError(f"{where}: park = {park!r} is not a PARK, e.g. \"1F10DEC700\": "
                              f"{exc}") from None
    if cfg.rtp_port_base % 2:
        raise ConfigError(f"{where}: rtp_port_base must be even (RTP even, RTCP odd), "
                          f"not {cfg.rtp_port_base}")
    level = _expect(raw, "tls_level", str, where, "High")
    try:
        cfg.tls_level = SecurityLevel(level)
    except ValueError:
        raise ConfigError(f"{where}: tls_level must be High, Medium or Legacy, not {level!r}") \
            from None
    cfg.tls_key_type = _key_type(raw, where)
    for key in ("tls_cert", "tls_key"):
        value = _expect(raw, key, str, where, None)
        if value is not None:
            setattr(cfg, key, (base / value).resolve())
    if (cfg.tls_cert is None) != (cfg.tls_key is None):
        raise ConfigError(f"{where}: give both tls_cert and tls_key (PEM files) or neither")
    for key in ("tls_cert", "tls_key"):
        path = getattr(cfg, key)
        if path is not None and not path.is_file():
            raise ConfigError(f"{where}: {key} = {raw[key]!r}: no such file ({path})")
    if cfg.axi_clients < 1:
        raise ConfigError(f"{where}: axi_clients must be at least 1, not {cfg.axi_clients}")
    for i, acc in enumerate(_expect(raw, "accounts", list, where, [])):
        w = f"{where}.accounts[{i}]"
        if not isinstance(acc, dict) or "username" not in acc or "password" not in acc:
            raise ConfigError(f"{w}: an account needs 'username' and 'password'")
        perms = acc.get("permissions")
        if perms is not None and (not isinstance(perms, list)
                                  or any(p not in PERMISSIONS for p in perms)):
            raise ConfigError(f"{w}: permissions = {perms!r}: give a list of "
                              f"{', '.join(PERMISSIONS)}")
        cfg.accounts.append(AccountConfig(str(acc["username"]), str(acc["password"]),
                                          tuple(perms) if perms is not None else None))
    settings = _expect(raw, "settings", dict, where, {})
    for group, values in settings.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: settings.{group} must be a table, e.g. "
                              f"[omm.settings.{group}]")
    cfg.settings = {str(k): dict(v) for k, v in settings.items()}
    for i, site in enumerate(_expect(raw, "sites", list, where, [])):
        if not isinstance(site, dict) or "id" not in site:
            raise ConfigError(f"{where}.sites[{i}]: a site needs an 'id' (1-250), e.g. "
                              "[[omm.sites]] id = 1, srtp = \"Only\"")
        cfg.sites.append(dict(site))
    sip_ca = _expect(raw, "sip_ca", str, where, None)
    if sip_ca is not None:
        cfg.sip_ca = (base / sip_ca).resolve()
        if not cfg.sip_ca.is_file():
            raise ConfigError(f"{where}: sip_ca = {sip_ca!r}: no such file ({cfg.sip_ca})")
    _license(cfg, _expect(raw, "license", dict, where, None), f"{where}.license", base)
    syslog = _expect(raw, "syslog", dict, where, None)
    if syslog:
        cfg.syslog_host = _expect(syslog, "host", str, f"{where}.syslog", "127.0.0.1")
        cfg.syslog_port = _port(syslog, "port", f"{where}.syslog", 514)
    if "standby" in raw:
        cfg.standby = _standby(raw, where)
    cfg.config_url = config_url(_expect(raw, "config_url", str, where, ""), f"{where}: config_url",
                                base)
    cfg.mac = _expect(raw, "mac", str, where, "")
    if cfg.mac:
        try:
            mac_file(cfg.mac)
        except ValueError as exc:
            raise ConfigError(f"{where}: mac: {exc}") from None
    return cfg


def config_url(text: str, where: str, base: Path) -> str:
    """An OMM's configuration URL as the config gives it; a relative file:// path, or a bare
    path, is taken from the config's directory."""
    if not text:
        return ""
    if "://" not in text:
        text = (base / text).resolve().as_uri()
    try:
        ConfigUrl.parse(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return text


STANDBY_KEYS = {"secret", "port", "heartbeat", "silence", "pbx_timeout", "omm_type", "version"}
"""[omm.standby]: the pair's secret and timers (either OMM's block; the second's win), and
what this OMM claims to run (omm_type, version: to show DifferentOMMTypes/Versions)."""


def _standby(raw: dict[str, Any], where: str) -> StandbyConfig:
    w = f"{where}.standby"
    table = _expect(raw, "standby", dict, w, {})
    _only(table, STANDBY_KEYS, w)
    defaults = StandbyConfig(partner="", secret="")
    out = StandbyConfig(partner="", secret=_expect(table, "secret", str, w, ""),
                        port=_port(table, "port", w, defaults.port),
                        omm_type=_expect(table, "omm_type", str, w, ""),
                        version=_expect(table, "version", str, w, ""))
    for key in ("heartbeat", "silence", "pbx_timeout"):
        value = table.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not 0 < value < 3600:
            raise ConfigError(f"{w}: {key} = {value!r}: give seconds, more than 0")
        setattr(out, key, float(value))
    if out.silence <= out.heartbeat:
        raise ConfigError(f"{w}: silence = {out.silence:g} s must be longer than heartbeat = "
                          f"{out.heartbeat:g} s (the partner is lost after missing pings)")
    return out


def _second_of_pair(raw: dict[str, Any], where: str, omms: list[OmmConfig]) -> OmmConfig:
    """`[[omm]] standby_of = "A"`: the standby partner of an earlier [[omm]], the same system
    (accounts, settings, PARK, ports) on its own address; only name, address, isolation and
    [omm.standby] are its own."""
    _only(raw, {"name", "host", "address", "isolation", "standby_of", "standby"}, where)
    head_name = _expect(raw, "standby_of", str, where, "")
    head = next((o for o in omms if o.name == head_name), None)
    if head is None:
        raise ConfigError(f"{where}: standby_of = {head_name!r} names no earlier [[omm]]; known:"
                          f" {', '.join(o.name for o in omms) or 'none'}")
    if head.standby is not None and head.standby.partner:
        raise ConfigError(f"{where}: OMM {head_name!r} has a standby partner already "
                          f"({head.standby.partner}); a pair is two OMMs")
    cfg = copy.deepcopy(head)
    cfg.name = _expect(raw, "name", str, where, f"{head_name}-standby")
    cfg.host = _address(raw, where, "address", "host")
    pair = head.standby or StandbyConfig(partner="", secret="")
    mine = _standby(raw, where) if "standby" in raw else None
    if mine is not None:  # the pair's secret and timers from either block; type and version
        pair.secret = mine.secret or pair.secret  # are each OMM's own
        for key in ("port", "heartbeat", "silence", "pbx_timeout"):
            if key in raw["standby"]:
                setattr(pair, key, getattr(mine, key))
    head.standby = pair
    pair.partner = cfg.name  # an address once assigned (SystemConfig._pair_addresses)
    cfg.standby = dataclasses.replace(pair, partner=head_name,
                               omm_type=mine.omm_type if mine else "",
                               version=mine.version if mine else "")
    return cfg


def _key_type(section: dict[str, Any], where: str) -> KeyType:
    value = _expect(section, "tls_key_type", str, where, str(DEFAULT_KEY_TYPE))
    try:
        return KeyType(value)
    except ValueError:
        raise ConfigError(f"{where}: tls_key_type must be {' or '.join(KeyType)}, "
                          f"not {value!r}") from None


def position(key: str, value: object) -> float:
    """A coordinate on the simulated air in metres; ValueError saying what to give otherwise
    (the config file and the control API both check positions here)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or (
            isinstance(value, float) and not math.isfinite(value)) \
            or abs(value) > MAX_POSITION_M:
        raise ValueError(f"'{key}' must be a number of metres within ±{MAX_POSITION_M:g}, "
                         f"not {value!r}")
    return float(value)


def _number(section: dict[str, Any], key: str, where: str, default: float) -> float:
    try:
        return position(key, section.get(key, default))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _only(raw: dict[str, Any], known: set[str], where: str) -> None:
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(sorted(known))}")


def _rfp(raw: dict[str, Any], where: str, default_omm: str) -> RfpConfig:
    _only(raw, {"mac", "omm", "name", "hw_type", "x", "y", "cluster", "preferred_sync",
                "dect_on", "site", "address", "isolation", "snmp"}, where)
    mac = _expect(raw, "mac", str, where, None)
    if not mac:
        raise ConfigError(f"{where}: an RFP needs its 'mac', e.g. \"00:30:42:1b:17:37\"")
    return RfpConfig(mac=mac, omm=_expect(raw, "omm", str, where, default_omm),
                     name=_expect(raw, "name", str, where, ""),
                     hw_type=_expect(raw, "hw_type", str, where, "RFP 35"),
                     x=_number(raw, "x", where, 0.0), y=_number(raw, "y", where, 0.0),
                     cluster=_expect(raw, "cluster", int, where, 1),
                     preferred_sync=_expect(raw, "preferred_sync", bool, where, False),
                     dect_on=_expect(raw, "dect_on", bool, where, True),
                     site=_expect(raw, "site", int, where, 1),
                     address=_address(raw, where, "address"),
                     isolation=_isolation(raw, where),
                     snmp=_expect(raw, "snmp", bool, where, True))


def _handset(raw: dict[str, Any], where: str, default_omm: str) -> HandsetConfig:
    _only(raw, {"ipei", "omm", "name", "model", "x", "y", "ac", "subscribe", "configured"},
          where)
    ipei = _expect(raw, "ipei", str, where, None)
    if not ipei:
        raise ConfigError(f"{where}: a handset needs its 'ipei', e.g. \"03074 0220259 3\"")
    try:
        ipei = Ipei.parse(ipei.strip()).omm_form()
    except ValueError as exc:
        raise ConfigError(f"{where}: ipei = {ipei!r} is not an IPEI "
                          f"(e.g. \"03074 0220259 3\"): {exc}") from None
    return HandsetConfig(ipei=ipei, omm=_expect(raw, "omm", str, where, default_omm),
                         name=_expect(raw, "name", str, where, ""),
                         model=_expect(raw, "model", str, where, "622d"),
                         x=_number(raw, "x", where, 0.0), y=_number(raw, "y", where, 0.0),
                         ac=_expect(raw, "ac", str, where, None),
                         subscribe=_expect(raw, "subscribe", bool, where, True),
                         configured=_expect(raw, "configured", bool, where, True))


def _optional_port(raw: dict[str, Any], key: str, where: str, default: int) -> int | None:
    """A listener port, or None when the key is false (no such listener)."""
    if raw.get(key, default) is False:
        return None
    return _port(raw, key, where, default)


def _pbx(raw: dict[str, Any], where: str) -> PbxConfig:
    _only(raw, {"enabled", "host", "address", "name", "isolation", "udp_port", "tcp_port",
                "tls_port", "realm", "srtp", "digest_algorithms", "accounts",
                "max_auth_failures", "max_transactions_per_ip", "tls_key_type"}, where)
    srtp = _expect(raw, "srtp", str, where, "no")
    if srtp not in SRTP_POLICIES:
        raise ConfigError(f"{where}: srtp must be one of {', '.join(SRTP_POLICIES)}, "
                          f"not {srtp!r}")
    cfg = PbxConfig(enabled=_expect(raw, "enabled", bool, where, True),
                    host=_address(raw, where, "address", "host"),
                    name=_expect(raw, "name", str, where, "pbx"),
                    isolation=_isolation(raw, where),
                    udp_port=_port(raw, "udp_port", where, 5060),
                    tcp_port=_optional_port(raw, "tcp_port", where, 5060),
                    tls_port=_optional_port(raw, "tls_port", where, 5061),
                    realm=_expect(raw, "realm", str, where, "sipdect"), srtp=srtp,
                    max_auth_failures=_expect(raw, "max_auth_failures", int, where,
                                              MIVO400_MAX_AUTH_FAILURES),
                    max_transactions_per_ip=_expect(raw, "max_transactions_per_ip", int, where,
                                                    MIVO400_MAX_TRANSACTIONS_PER_IP))
    if cfg.max_auth_failures < 1 or cfg.max_transactions_per_ip < 1:
        raise ConfigError(f"{where}: max_auth_failures and max_transactions_per_ip must be "
                          "at least 1 (the MiVO400 defaults are 10 and 200)")
    if not cfg.realm:
        raise ConfigError(f"{where}: realm must not be empty")
    cfg.tls_key_type = _key_type(raw, where)
    algorithms = _expect(raw, "digest_algorithms", list, where, ["MD5"])
    if not algorithms or any(a not in DIGEST_ALGORITHMS for a in algorithms):
        raise ConfigError(f"{where}: digest_algorithms is a list of "
                          f"{', '.join(DIGEST_ALGORITHMS)}, not {algorithms!r}")
    cfg.digest_algorithms = tuple(algorithms)
    for i, acc in enumerate(_expect(raw, "accounts", list, where, [])):
        w = f"{where}.accounts[{i}]"
        if not isinstance(acc, dict):
            raise ConfigError(f"{w}: an account is a table with 'user' and 'password'")
        _only(acc, {"user", "password"}, w)
        user = _sip_user(acc, "user", w)
        password = _expect(acc, "password", str, w, "")
        if not password:
            raise ConfigError(f"{w}: give the account a 'password'")
        cfg.accounts.append(PbxAccountConfig(user, password))
    return cfg


def _sip_user(raw: dict[str, Any], key: str, where: str) -> str:
    """A SIP user part the OMM can store: 1-32 characters, no blanks or URI delimiters."""
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        raise ConfigError(f"{where}: write '{key}' as a string, e.g. \"{value}\"")
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: '{key}' is required, e.g. \"201\"")
    if len(value) > 32 or any(ch.isspace() or ch in "@:;<>\"" for ch in value):
        raise ConfigError(f"{where}: '{key}' = {value!r} is not a SIP user name "
                          "(1-32 characters without blanks, @ : ; < > or quotes)")
    return value


def _user(raw: dict[str, Any], where: str) -> UserConfig:
    _only(raw, {"number", "name", "sip_password", "handset", "auth_id", "omm"}, where)
    number = _sip_user(raw, "number", where)
    name = _expect(raw, "name", str, where, "")
    if len(name) > 40:
        raise ConfigError(f"{where}: name is at most 40 characters (the OMM's limit)")
    password = _expect(raw, "sip_password", str, where, "")
    if not password or len(password) > 64:
        raise ConfigError(f"{where}: give user {number} a 'sip_password' of 1-64 characters")
    handset = _expect(raw, "handset", str, where, None)
    if handset is not None:
        try:
            handset = Ipei.parse(handset.strip()).omm_form()
        except ValueError as exc:
            raise ConfigError(f"{where}: handset {handset!r} is not an IPEI "
                              f"(e.g. \"03074 0220259 3\"): {exc}") from None
    auth_id = _sip_user(raw, "auth_id", where) if "auth_id" in raw else None
    return UserConfig(number, name, password, handset, auth_id,
                      _expect(raw, "omm", str, where, ""))


def _check_users(cfg: SystemConfig, source: str) -> None:
    """Numbers, auth ids and handsets unique; each user's OMM known (default: its
    handset's, else the first)."""
    names = [o.name for o in cfg.omms]
    handset_omm = {Ipei.parse(h.ipei.strip()).omm_form(): h.omm for h in cfg.handsets
                   if _is_ipei(h.ipei)}
    numbers: set[str] = set()
    digest_names: set[str] = set()
    bound: set[str] = set()
    pbx_users = {a.user for a in cfg.pbx.accounts} if cfg.pbx is not None else set()
    for i, user in enumerate(cfg.users):
        where = f"{source}: [[user]] #{i + 1}"
        if user.number in numbers or user.number in pbx_users:
            raise ConfigError(f"{where}: number {user.number} is used twice")
        numbers.add(user.number)
        digest = user.auth_id or user.number
        if digest in digest_names:
            raise ConfigError(f"{where}: auth id {digest} is used twice")
        digest_names.add(digest)
        if user.handset is not None:
            if user.handset in bound:
                raise ConfigError(f"{where}: handset {user.handset} is bound to two users")
            bound.add(user.handset)
        if not user.omm:
            user.omm = handset_omm.get(user.handset or "", names[0])
        if user.omm not in names:
            raise ConfigError(f"{where}: names OMM {user.omm!r}; known: {names}")
        user.omm = cfg.pair_head(user.omm)


def _is_ipei(text: str) -> bool:
    try:
        Ipei.parse(text.strip())
    except ValueError:
        return False
    return True


def _tables(raw: dict[str, Any], key: str, source: str,
            items: Any = None) -> list[dict[str, Any]]:
    """The [[key]] tables of the file; ConfigError when `key` is something else."""
    items = raw.get(key, []) if items is None else items
    if not isinstance(items, list) or not all(isinstance(t, dict) for t in items):
        raise ConfigError(f"{source}: '{key}' must be [[{key}]] tables")
    return items


def parse_config(text: str, source: str = "<string>", base: Path | None = None) -> SystemConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    return config_from_tables(raw, source, base)


def config_from_tables(raw: dict[str, Any], source: str = "<string>",
                       base: Path | None = None) -> SystemConfig:
    """A config from TOML already read (a scenario's inline [system]): the checks of
    parse_config, messages naming `source`."""
    base = base or Path.cwd()
    _only(raw, {"system", "omm", "rfp", "handset", "pbx", "user", "phone", "mom",
                "eventmgr"}, source)
    system = raw.get("system", {})
    if not isinstance(system, dict):
        raise ConfigError(f"{source}: [system] must be a table")
    _only(system, {"name", "port_shift", "control_port", "addresses", "isolation", "air_port",
                   "workers", "capture", "speed", "rfp_ssh"}, f"{source}: [system]")
    cfg = SystemConfig(name=_expect(system, "name", str, f"{source}: [system]", "sipdect"),
                       port_shift=_expect(system, "port_shift", int, f"{source}: [system]",
                                          8000),
                       addresses=_address_block(system, f"{source}: [system]"),
                       isolation=_isolation(system, f"{source}: [system]", "none"),
                       air_port=_port(system, "air_port", f"{source}: [system]",
                                      AIR_LINK_PORT),
                       source=source)
    workers = _expect(system, "workers", int, f"{source}: [system]", cfg.workers)
    if not 1 <= workers <= 256:
        raise ConfigError(f"{source}: [system] workers = {workers}: give 1 to 256 worker "
                          "processes (default: one per core)")
    cfg.workers = workers
    cfg.rfp_ssh = _expect(system, "rfp_ssh", bool, f"{source}: [system]", True)
    capture = _expect(system, "capture", str, f"{source}: [system]", "")
    if capture:  # a folder; relative to the config file, as other paths in it
        cfg.capture = base / Path(capture).expanduser()
    cfg.speed = checked_speed(system.get("speed", 1.0), f"{source}: [system]")
    if not 0 <= cfg.port_shift < 65535:
        raise ConfigError(f"{source}: [system] port_shift = {cfg.port_shift}: give 0 (the "
                          "product's ports) or a shift that keeps ports below 65536, e.g. 8000")
    omms = raw.get("omm", [])
    if isinstance(omms, dict):
        omms = [omms]
    for i, omm in enumerate(_tables(raw, "omm", source, omms)):
        where = f"{source}: [[omm]] #{i + 1}"
        if "standby_of" in omm:
            second = _second_of_pair(omm, where, cfg.omms)
            cfg.standby_of[second.name] = str(omm["standby_of"])
            cfg.omms.append(second)
        else:
            cfg.omms.append(_omm(omm, where, base))
        cfg.omm_isolation[cfg.omms[-1].name] = _isolation(omm, where)
    for omm_cfg in cfg.omms:
        if omm_cfg.standby is not None and omm_cfg.name not in cfg.standby_of and \
                omm_cfg.name not in cfg.standby_of.values():
            raise ConfigError(f"{source}: [[omm]] {omm_cfg.name!r} has [omm.standby] but no "
                              "partner: give the other OMM of the pair `standby_of = "
                              f"\"{omm_cfg.name}\"`")
    heads = [o for o in cfg.omms if o.name not in cfg.standby_of]
    for index, omm_cfg in enumerate(heads):
        if not omm_cfg.park:
            # Each OMM its own system on the air, with the PARK a licence would give it
            # (dect.conventions.default_park): GetPARK names the PARK its RFPs broadcast.
            omm_cfg.park = str(default_park(index))
    for omm_cfg in cfg.omms:  # a pair is one system: one PARK
        if omm_cfg.name in cfg.standby_of:
            omm_cfg.park = next(o.park for o in heads if o.name == cfg.standby_of[omm_cfg.name])
    names = [o.name for o in cfg.omms]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: OMM names must be unique, got {names}")
    if not cfg.omms:
        raise ConfigError(f"{source}: the system has no [[omm]]")
    control = system.get("control_port", 7080)
    if control is not None and control is not False:
        cfg.control_port = _port(system, "control_port", f"{source}: [system]", 7080)
    else:
        cfg.control_port = None
    for i, rfp in enumerate(_tables(raw, "rfp", source)):
        cfg.rfps.append(_rfp(rfp, f"{source}: [[rfp]] #{i + 1}", names[0]))
    for i, hs in enumerate(_tables(raw, "handset", source)):
        cfg.handsets.append(_handset(hs, f"{source}: [[handset]] #{i + 1}", names[0]))
    seen: dict[str, int] = {}
    for i, handset in enumerate(cfg.handsets):
        if handset.ipei in seen:
            raise ConfigError(f"{source}: [[handset]] #{i + 1}: ipei = {handset.ipei!r} is also "
                              f"[[handset]] #{seen[handset.ipei] + 1}; one air holds each IPEI "
                              "once")
        seen[handset.ipei] = i
    for rfp_cfg in cfg.rfps:  # a pair is one system: its RFPs and handsets are at its first
        rfp_cfg.omm = cfg.pair_head(rfp_cfg.omm)
    for handset_cfg in cfg.handsets:
        handset_cfg.omm = cfg.pair_head(handset_cfg.omm)
    placed: list[tuple[str, list[str]]] = [("rfp", [r.omm for r in cfg.rfps]),
                                           ("handset", [h.omm for h in cfg.handsets])]
    for kind, omm_names in placed:
        for i, omm_name in enumerate(omm_names):
            if omm_name not in names:
                raise ConfigError(f"{source}: [[{kind}]] #{i + 1}: omm = {omm_name!r} is no "
                                  f"[[omm]] of this file; known: {', '.join(names)}")
    pbx = _expect(raw, "pbx", dict, f"{source}: [pbx]", None)
    if pbx is not None:
        cfg.pbx = _pbx(pbx, f"{source}: [pbx]")
    users = _expect(raw, "user", list, f"{source}: [[user]]", [])
    for i, user in enumerate(users):
        if not isinstance(user, dict):
            raise ConfigError(f"{source}: [[user]] #{i + 1} must be a table")
        cfg.users.append(_user(user, f"{source}: [[user]] #{i + 1}"))
    _check_users(cfg, source)
    for i, phone in enumerate(_tables(raw, "phone", source)):
        cfg.phones.append(_phone(phone, f"{source}: [[phone]] #{i + 1}"))
    moms = raw.get("mom", [])
    for i, mom in enumerate(_tables(raw, "mom", source, [moms] if isinstance(moms, dict)
                                    else moms)):
        cfg.moms.append(_mom(mom, f"{source}: [mom]" if isinstance(moms, dict)
                             else f"{source}: [[mom]] #{i + 1}", names))
    ems = raw.get("eventmgr", [])
    for i, em in enumerate(_tables(raw, "eventmgr", source, [ems] if isinstance(ems, dict)
                                   else ems)):
        cfg.eventmgrs.append(_eventmgr(em, f"{source}: [eventmgr]" if isinstance(ems, dict)
                                       else f"{source}: [[eventmgr]] #{i + 1}", names))
    _check_hosts(cfg, source)
    cfg.assign_addresses()
    return cfg


def _phone(raw: dict[str, Any], where: str) -> PhoneHostConfig:
    """A SIP phone host: its account, where it registers (default: the system's call
    server), transport, interval, auto-answer and the tone it talks (sim.phone.config)."""
    _only(raw, {"name", "user", "password", "auth_id", "registrar", "transport", "expires",
                "display_name", "auto_answer", "sip_port", "rtp_port", "tone_hz", "address",
                "isolation", "retry_seconds", "retry_max_seconds"}, where)
    transport = _expect(raw, "transport", str, where, "udp")
    try:
        kind = Transport(transport.upper())
    except ValueError:
        raise ConfigError(f"{where}: transport = {transport!r}: give udp, tcp or tls") from None
    auto_answer = raw.get("auto_answer")
    if auto_answer is not None and (isinstance(auto_answer, bool)
                                    or not isinstance(auto_answer, int | float)):
        raise ConfigError(f"{where}: auto_answer is seconds of ringing, e.g. 1")
    tone = raw.get("tone_hz", DEFAULT_TONE_HZ)
    if isinstance(tone, bool) or not isinstance(tone, int | float):
        raise ConfigError(f"{where}: tone_hz is a frequency in Hz, e.g. 1000")
    try:
        phone = PhoneConfig(
            name=_expect(raw, "name", str, where, ""), user=_sip_user(raw, "user", where),
            password=_expect(raw, "password", str, where, ""),
            auth_id=_expect(raw, "auth_id", str, where, None),
            registrar=_expect(raw, "registrar", str, where, None), transport=kind,
            expires=_expect(raw, "expires", int, where, 3600),
            display_name=_expect(raw, "display_name", str, where, ""),
            auto_answer=None if auto_answer is None else float(auto_answer),
            sip_port=_port(raw, "sip_port", where, 5060),
            rtp_port=_port(raw, "rtp_port", where, 0), tone_hz=float(tone),
            retry_seconds=_number_of(raw, "retry_seconds", where, RETRY_SECONDS),
            retry_max_seconds=_number_of(raw, "retry_max_seconds", where,
                                         max(RETRY_MAX_SECONDS,
                                             _number_of(raw, "retry_seconds", where,
                                                        RETRY_SECONDS))))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return PhoneHostConfig(phone, _address(raw, where, "address"), _isolation(raw, where))


def _number_of(raw: dict[str, Any], key: str, where: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}: {key} is a number of seconds above 0, not {value!r}")
    return float(value)


def _address_block(system: dict[str, Any], where: str) -> str:
    value = _expect(system, "addresses", str, where, DEFAULT_ADDRESSES)
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError:
        raise ConfigError(f"{where}: addresses = {value!r} is not a block of addresses; give "
                          f"one like \"{DEFAULT_ADDRESSES}\"") from None
    if not network.subnet_of(LOOPBACK) or network.num_addresses < 4:
        raise ConfigError(f"{where}: addresses = {value!r}: give a block of 127.0.0.0/8 with "
                          f"room for the hosts, e.g. \"{DEFAULT_ADDRESSES}\"")
    return str(network)


MOM_KEYS = {"name", "address", "host", "isolation", "tls_level", "maxi_port", "accounts", "omms"}
MOM_OMM_KEYS = {"name", "address", "port", "username", "password", "enabled"}


def _mom(raw: dict[str, Any], where: str, omm_names: list[str]) -> MomHostConfig:
    """[mom]: a MOM host and the OMMs it manages (`omms`: names of [[omm]]s of this file, or
    tables {name, username, password} or, for an OMM elsewhere, {name, address, port, ...})."""
    _only(raw, MOM_KEYS, where)
    level = _expect(raw, "tls_level", str, where, "High")
    if level not in ("High", "Medium"):
        raise ConfigError(f"{where}: tls_level must be High or Medium (the MOM never goes below "
                          f"TLS 1.2), not {level!r}")
    cfg = MomConfig(name=_expect(raw, "name", str, where, "MOM"),
                    host=_address(raw, where, "address", "host"),
                    maxi_port=_port(raw, "maxi_port", where, 12624),
                    tls_level=SecurityLevel(level))
    for i, acc in enumerate(_expect(raw, "accounts", list, where, [])):
        w = f"{where}.accounts[{i}]"
        if not isinstance(acc, dict) or "username" not in acc or "password" not in acc:
            raise ConfigError(f"{w}: an account needs 'username' and 'password'")
        perms = acc.get("permissions", list(MOM_FULL_ACCESS))
        if not isinstance(perms, list) or any(p not in PERMISSIONS for p in perms):
            raise ConfigError(f"{w}: permissions = {perms!r}: give a list of "
                              f"{', '.join(PERMISSIONS)} (full access, or [\"AllCnfRead\"])")
        cfg.accounts.append(MomAccount(str(acc["username"]), str(acc["password"]),
                                       tuple(perms)))
    seen: set[str] = set()
    for i, ref in enumerate(_expect(raw, "omms", list, where, [])):
        w = f"{where}.omms[{i}]"
        if isinstance(ref, str):
            ref = {"name": ref}
        if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
            raise ConfigError(f"{w}: name an [[omm]] of this file, e.g. \"OMM-A\", or give a "
                              "table {name, username, password}")
        _only(ref, MOM_OMM_KEYS, w)
        name = ref["name"]
        if name in seen:
            raise ConfigError(f"{w}: OMM {name!r} is managed twice")
        seen.add(name)
        address = _expect(ref, "address", str, w, "")
        if not address and name not in omm_names:
            raise ConfigError(f"{w}: {name!r} is no [[omm]] of this file (known: "
                              f"{', '.join(omm_names)}); give its 'address' for an OMM "
                              "elsewhere")
        username = _expect(ref, "username", str, w, "")
        password = _expect(ref, "password", str, w, "")
        if bool(username) != bool(password):
            raise ConfigError(f"{w}: give both username and password of the OMM account the "
                              "MOM logs in with, or neither (the supervisor provisions one)")
        if address and not username:
            raise ConfigError(f"{w}: an OMM elsewhere (address given) needs the username and "
                              "password of its account for the MOM")
        cfg.omms.append(ManagedOmm(name, address, _port(ref, "port", w, 12622), username,
                                   password, _expect(ref, "enabled", bool, w, True)))
    return MomHostConfig(cfg, _isolation(raw, where))


EVENTMGR_KEYS = {"name", "address", "isolation", "omm", "omm_address", "omm_port",
                 "omm_standby_address", "username", "password", "espa_port", "espa_serial",
                 "espa_address", "web_port", "web_tls_port", "tls_level", "traps", "groups",
                 "rules", "locate_every"}
TRAP_KEYS = {"host", "port", "community", "transport"}


def _eventmgr(raw: dict[str, Any], where: str, omm_names: list[str]) -> EventMgrHostConfig:
    """[eventmgr]: an Event Manager host (docs/eventmgr.md): its OMM, ESPA inputs, trap
    targets, groups and rules."""
    from eventmgr.config import OmmLink, unknown_groups

    _only(raw, EVENTMGR_KEYS, where)
    omm = _expect(raw, "omm", str, where, "")
    address = _expect(raw, "omm_address", str, where, "")
    if omm and omm not in omm_names:
        raise ConfigError(f"{where}: omm = {omm!r} is no [[omm]] of this file; known: "
                          f"{', '.join(omm_names) or 'none'} (or give omm_address)")
    if not omm and not address and len(omm_names) == 1:
        omm = omm_names[0]
    username = _expect(raw, "username", str, where, "")
    password = _expect(raw, "password", str, where, "")
    if bool(username) != bool(password):
        raise ConfigError(f"{where}: give both username and password of the OMM account the "
                          "Event Manager logs in with, or neither (the supervisor makes one)")
    if address and not username:
        raise ConfigError(f"{where}: an OMM elsewhere (omm_address) needs the username and "
                          "password of the Event Manager's account there")
    espa_port = raw.get("espa_port", 2023)
    if espa_port is not False:
        espa_port = _port(raw, "espa_port", where, 2023)
    serial = _expect(raw, "espa_serial", list, where, [])
    if not all(isinstance(p, str) for p in serial):
        raise ConfigError(f"{where}: espa_serial is a list of tty paths, e.g. [\"/dev/ttyS0\"]")
    espa_address = _expect(raw, "espa_address", str, where, "2")
    if len(espa_address) != 1 or not espa_address.isdigit():
        raise ConfigError(f"{where}: espa_address is one digit '0'-'9', not {espa_address!r}")
    level = _expect(raw, "tls_level", str, where, "High")
    try:
        tls_level = SecurityLevel(level)
    except ValueError:
        raise ConfigError(f"{where}: tls_level (of the web UI) must be High, Medium or Legacy, "
                          f"not {level!r}") from None
    em = EventMgrConfig(name=_expect(raw, "name", str, where, "EventManager"),
                        host=_address(raw, where, "address"),
                        espa_port=None if espa_port is False else espa_port,
                        espa_serial=list(serial), espa_address=espa_address,
                        tls_level=tls_level)
    locate_every = raw.get("locate_every", em.locate_every)
    if isinstance(locate_every, bool) or not isinstance(locate_every, int | float) \
            or locate_every <= 0:
        raise ConfigError(f"{where}: locate_every is seconds above 0 (how often the Event "
                          f"Manager locates its users), not {locate_every!r}")
    em.locate_every = float(locate_every)
    if omm or address:
        em.omm = OmmLink(address, _port(raw, "omm_port", where, 12622), username, password,
                         _expect(raw, "omm_standby_address", str, where, ""))
    for i, trap in enumerate(_expect(raw, "traps", list, where, [])):
        w = f"{where}.traps[{i}]"
        if not isinstance(trap, dict) or not isinstance(trap.get("host"), str):
            raise ConfigError(f"{w}: a trap target is {{host = \"127.0.0.1\", port = 162, "
                              "community = \"public\"}")
        _only(trap, TRAP_KEYS, w)
        transport = _expect(trap, "transport", str, w, "udp")
        if transport not in ("udp", "tcp"):
            raise ConfigError(f"{w}: transport is udp or tcp, not {transport!r}")
        em.traps.append(TrapTarget(trap["host"], _port(trap, "port", w, 162),
                                   _expect(trap, "community", str, w, "public"), transport))
    groups = _expect(raw, "groups", dict, where, {})
    for name, members in groups.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise ConfigError(f"{where}.groups.{name}: a group is a list of user numbers")
        em.groups[name] = tuple(members)
    for i, rule in enumerate(_expect(raw, "rules", list, where, [])):
        if not isinstance(rule, dict):
            raise ConfigError(f"{where}.rules[{i}]: a rule is a table")
        try:
            em.rules.append(Rule.from_json(rule))
        except (RuleError, ValueError) as exc:
            raise ConfigError(f"{where}.rules[{i}]: {exc}") from None
        for entry in unknown_groups(em.rules[-1], em.groups):
            raise ConfigError(f"{where}.rules[{i}]: {entry!r} names no group of "
                              f"groups = {{...}}")
    return EventMgrHostConfig(em, omm, _isolation(raw, where),
                              _port(raw, "web_port", where, EM_WEB_PORT),
                              _port(raw, "web_tls_port", where, EM_WEB_TLS_PORT))


def _check_hosts(cfg: SystemConfig, source: str) -> None:
    """Host names unique; an address written twice is a mistake (two machines, one address)."""
    where: dict[str, str] = {}
    for i, omm in enumerate(cfg.omms):
        where[omm.name] = f"[[omm]] #{i + 1}"
    if cfg.pbx is not None and cfg.pbx.enabled:
        if cfg.pbx.name in where:
            raise ConfigError(f"{source}: [pbx] name = {cfg.pbx.name!r} is also "
                              f"{where[cfg.pbx.name]}; give each host its own name")
        where[cfg.pbx.name] = "[pbx]"
    for i, rfp in enumerate(cfg.rfps):
        name = rfp.host_name
        if name in where:
            key = "name" if rfp.name else "mac"
            raise ConfigError(f"{source}: [[rfp]] #{i + 1}: {key} gives host name {name!r}, "
                              f"which is also {where[name]}; give each RFP its own 'name'")
        where[name] = f"[[rfp]] #{i + 1}"
    for i, phone in enumerate(cfg.phones):
        name = phone.host_name
        if name in where:
            raise ConfigError(f"{source}: [[phone]] #{i + 1}: name = {name!r} is also "
                              f"{where[name]}; give each host its own name")
        where[name] = f"[[phone]] #{i + 1}"
    for i, mom in enumerate(cfg.moms):
        if mom.name in where:
            raise ConfigError(f"{source}: [mom] #{i + 1}: name = {mom.name!r} is also "
                              f"{where[mom.name]}; give each host its own name")
        where[mom.name] = f"[mom] #{i + 1}"
    for i, em in enumerate(cfg.eventmgrs):
        if em.name in where:
            raise ConfigError(f"{source}: [eventmgr] #{i + 1}: name = {em.name!r} is also "
                              f"{where[em.name]}; give each host its own name")
        where[em.name] = f"[eventmgr] #{i + 1}"
    written: dict[str, str] = {}
    for name, place in where.items():
        address = cfg.address_of(name)
        if not address:
            continue
        cfg.explicit_addresses.add(name)
        if address in written:
            raise ConfigError(f"{source}: {place}: address {address} is also {written[address]}'s"
                              "; give each host its own address (or none: one is assigned)")
        written[address] = place


def load_config(path: Path | None = None) -> SystemConfig:
    """The given TOML file, or the embedded default system."""
    if path is None:
        text = resources.files("sipdect.app").joinpath("data/default.toml").read_text("utf-8")
        return parse_config(text, "default.toml")
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    return parse_config(text, str(path), Path(path).resolve().parent)
