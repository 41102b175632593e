"""A system config checked with the components' own rules, before anything starts.

sipdect.app.config checks what a file says by itself (types, IPEI syntax, unknown keys). Here the
rules that the OMM, the RFP and the listeners own are applied, never a second copy of them:
settings as AXI Set... requests are checked (omm.axi.handlers.settings.parse_group), RFP MACs
as the OMM's model checks them, RFP names/clusters/sites as AXI CreateRFP checks them,
hardware types as `sipdect rfp` knows them; and no two listeners of one system may share a
host and port. Every failure is one ConfigError line naming the file, the key and what to
change. The control API checks the RFPs and handsets it adds with the same functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from dect.identities import Ipei
from omm import banner
from omm.axi.handlers.settings import parse_group, settable, settable_groups
from omm.errors import ModelError
from omm.rfps import normalise_mac
from rfp.cli import parse_hw_type
from sipdect.app.config import (
    CONTROL_HOST,
    ConfigError,
    HandsetConfig,
    RfpConfig,
    SystemConfig,
    checked_speed,
    position,
)
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError
from sipdect.axi.records import RFP, SITE, RecordSpec

ANY_ADDRESS = ("0.0.0.0", "", "::")
"""Hosts that bind every address: they share ports with every other host."""


def check_config(cfg: SystemConfig, *, ports: bool = True) -> None:
    """Raise ConfigError (one line: file, key, what to change) for the first mistake; put
    settings, MACs and IPEIs in the form the components use. `ports`: the listeners bind
    the configured ports (not free ones), so two of them must not share one."""
    cfg.speed = checked_speed(cfg.speed, f"{cfg.source}: [system]")  # built in code too
    for i, omm in enumerate(cfg.omms):
        where = f"{cfg.source}: [[omm]] #{i + 1}"
        omm.settings = {group: _settings(group, values, where)
                        for group, values in omm.settings.items()}
        omm.sites = [_site(site, f"{where}.sites[{n}]") for n, site in enumerate(omm.sites)]
    macs: dict[tuple[str, str], int] = {}
    for i, rfp in enumerate(cfg.rfps):
        where = f"{cfg.source}: [[rfp]] #{i + 1}"
        try:
            cfg.rfps[i] = rfp = checked_rfp(rfp)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if (rfp.omm, rfp.mac) in macs:
            raise ConfigError(f"{where}: mac = {rfp.mac!r} is also [[rfp]] "
                              f"#{macs[rfp.omm, rfp.mac] + 1} of OMM {rfp.omm}: give each RFP "
                              "its own MAC")
        macs[rfp.omm, rfp.mac] = i
    for i, handset in enumerate(cfg.handsets):
        try:
            cfg.handsets[i] = checked_handset(handset)
        except ValueError as exc:
            raise ConfigError(f"{cfg.source}: [[handset]] #{i + 1}: {exc}") from None
    if ports:
        check_listeners(cfg)


# -- settings, RFPs, handsets ------------------------------------------------------------------


def _wire(key: str, value: object) -> str:
    """A TOML/JSON value as the AXI attribute text the record specs parse."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise ValueError(f"{key} = {value!r}: give a single value (text, number or true/false)")


def _axi_checked(spec: RecordSpec | str, values: Mapping[str, object]) -> dict[str, Any]:
    """`values` parsed as an AXI request would be: by a record spec, or (a group name) as
    Set<group>. ValueError saying which attribute is wrong and why."""
    attrs = {k: _wire(k, v) for k, v in values.items()}
    try:
        if isinstance(spec, str):
            return parse_group(spec, Message(f"Set{spec}", attrs))
        return spec.parse(Message(spec.element, attrs))
    except AxiError as exc:
        raise ValueError(exc.info or f"{exc.bad}: {exc.code}") from None


def _settings(group: str, values: dict[str, Any], where: str) -> dict[str, Any]:
    if group == banner.SETTING:  # no AXI group (omm.banner)
        try:
            return banner.check(values)
        except ModelError as exc:
            raise ConfigError(f"{where}: [omm.settings.{group}] {exc.info}") from None
    try:
        fields = settable(group)
    except KeyError:
        raise ConfigError(f"{where}: [omm.settings.{group}] is no settings group; known: "
                          f"{', '.join((*settable_groups(), banner.SETTING))}") from None
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: [omm.settings.{group}] has no {', '.join(unknown)}; "
                          f"it has {', '.join(fields)}")
    try:
        return _axi_checked(group, values)
    except ValueError as exc:
        raise ConfigError(f"{where}: [omm.settings.{group}] {exc}") from None


def _site(values: dict[str, Any], where: str) -> dict[str, Any]:
    """A configured site checked as CreateSite checks its <site> (axi.md §5.4)."""
    known = [f.name for f in SITE.fields if f.writable]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"{where}: a site has no {', '.join(unknown)}; it has "
                          f"{', '.join(known)}")
    try:
        return _axi_checked(SITE, values)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def checked_rfp(rfp: RfpConfig) -> RfpConfig:
    """`rfp` with its MAC in the OMM's form, checked as the OMM checks an RFP record (the
    model's MAC syntax; AXI CreateRFP's limits on name, cluster and site), its hardware type
    as `sipdect rfp` knows them and its position on the air; ValueError naming the key."""
    try:
        mac = normalise_mac(rfp.mac)
    except ModelError:
        raise ValueError(f"mac = {rfp.mac!r} is not an Ethernet address like "
                         "00:30:42:1b:17:37") from None
    try:
        parse_hw_type(rfp.hw_type)
    except ValueError:
        raise ValueError(f"hw_type = {rfp.hw_type!r} is unknown; give a type like "
                         "\"RFP 35\", \"RFP 43\" or \"RFP 48\"") from None
    _axi_checked(RFP, {"name": rfp.name, "cluster": rfp.cluster, "site": rfp.site})
    position("x", rfp.x)
    position("y", rfp.y)
    return replace(rfp, mac=mac)


def checked_handset(handset: HandsetConfig) -> HandsetConfig:
    """`handset` with its IPEI in the OMM's form, its authentication code checked as AXI
    SetDECTAuthCode checks one, and its position on the air; ValueError naming the key."""
    try:
        ipei = Ipei.parse(handset.ipei.strip()).omm_form()
    except ValueError as exc:
        raise ValueError(f"ipei = {handset.ipei!r} is not an IPEI (e.g. \"03074 0220259 3\"):"
                         f" {exc}") from None
    if handset.ac is not None:
        _axi_checked("DECTAuthCode", {"ac": handset.ac})
    position("x", handset.x)
    position("y", handset.y)
    return replace(handset, ipei=ipei)


# -- listeners ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listener:
    """One socket the system binds, and the config key that says where."""

    key: str
    """Where the config sets it, e.g. "[[omm]] #1 (OMM) axi_port"."""
    written: int
    """The port as the config writes it."""
    host: str
    port: int
    """The port bound (after port_shift)."""
    transport: str
    """"tcp" or "udp"."""

    def describe(self) -> str:
        shifted = f" ({self.port} after port_shift)" if self.port != self.written else ""
        return f"{self.key} = {self.written}{shifted}"


def listeners(cfg: SystemConfig) -> list[Listener]:
    """Every listener of the system with a fixed port (port 0 takes a free one)."""
    out: list[Listener] = []

    def add(key: str, written: int, host: str, port: int, *transports: str) -> None:
        if written:
            out.extend(Listener(key, written, host, port, t) for t in transports)

    for i, omm in enumerate(cfg.omms):
        w = f"[[omm]] #{i + 1} ({omm.name})"
        for key in ("axi_port", "axi_tls_port", "rfp_port", "web_port", "web_tls_port"):
            written = getattr(omm, key)
            add(f"{w} {key}", written, omm.host, cfg.shifted(written), "tcp")
        # The OMM's user agent: UDP and TCP on sip_port, TLS on the next port up.
        add(f"{w} sip_port", omm.sip_port, omm.host, cfg.shifted(omm.sip_port), "udp", "tcp")
        add(f"{w} sip_port + 1 (its SIP over TLS)", omm.sip_port, omm.host,
            cfg.shifted(omm.sip_port) + 1, "tcp")
    pbx = cfg.pbx
    if pbx is not None and pbx.enabled:
        add("[pbx] udp_port", pbx.udp_port, pbx.host, cfg.shifted(pbx.udp_port), "udp")
        for key in ("tcp_port", "tls_port"):
            written = getattr(pbx, key)
            if written is not None:
                add(f"[pbx] {key}", written, pbx.host, cfg.shifted(written), "tcp")
    if cfg.control_port:
        add("[system] control_port", cfg.control_port, CONTROL_HOST, cfg.control_port, "tcp")
    return out


def _same_host(a: str, b: str) -> bool:
    a, b = ("127.0.0.1" if h == "localhost" else h for h in (a, b))
    return a == b or a in ANY_ADDRESS or b in ANY_ADDRESS


def check_listeners(cfg: SystemConfig) -> None:
    """ConfigError when a port leaves the port range after port_shift, or two listeners of
    the system would share a host, port and transport (within one config: not "another
    program", which only the start can tell)."""
    seen: list[Listener] = []
    for listener in listeners(cfg):
        if listener.port > 65535:
            raise ConfigError(f"{cfg.source}: {listener.describe()} is beyond 65535: lower "
                              "[system] port_shift or the port")
        for other in seen:
            if (other.transport, other.port) == (listener.transport, listener.port) \
                    and _same_host(other.host, listener.host) and other.key != listener.key:
                raise ConfigError(
                    f"{cfg.source}: {listener.describe()} is also {other.describe()}: one "
                    f"{listener.transport.upper()} port ({listener.host}:{listener.port}) "
                    "takes one listener; give one of them another port")
        seen.append(listener)


#: How bind errors name the address: asyncio's "('127.0.0.1', 12621)", the SIP transports'
#: "udp:127.0.0.1:5060".
_BIND_ADDRESSES = (re.compile(r"\('(?P<host>[^']*)', (?P<port>\d+)\)"),
                   re.compile(r"\b(?P<transport>udp|tcp|tls):(?P<host>[\d.]+):(?P<port>\d+)"))


def listener_of(cfg: SystemConfig, error: OSError) -> Listener | None:
    """The configured listener a bind error (address in use) is about, if it names one."""
    for pattern in _BIND_ADDRESSES:
        match = pattern.search(str(error))
        if match is None:
            continue
        host, port = match["host"], int(match["port"])
        transport = "udp" if match.groupdict().get("transport") == "udp" else "tcp"
        return next((lst for lst in listeners(cfg) if lst.port == port
                     and lst.transport == transport and _same_host(lst.host, host)), None)
    return None
