"""The supervisor: runs the machines (hosts) of one installation and the world around them.

A System object holds one emulated installation (no global state), so tests can run several
side by side. Every [[omm]], [[rfp]] and the [pbx] of the config is a host with its own
address (sipdect.app.hosts); the air and the handsets on it are the world (sipdect.app.site).
Faults are operations on hosts: stop, start, kill, and cutting or healing the link between
two of them. It reports its endpoints and initial credentials for the ready file (README
"What `make up` starts").

With [pbx], the embedded call server starts first; every [[user]] gets an account there
and, when its OMM lacks it, a DECT user record bound to its handset. An OMM whose config
does not set BasicSIP is pointed at the call server (features.md §2.7).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import random
import secrets
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omm.config import AccountConfig
from omm.sip.config import SEND_TRANSPORT
from rfp.station import mac_text, parse_mac
from sim.airlink import AirLinkServer
from sipdect import __version__, clock, tls
from sipdect.accounts import PasswordRejected, check_password_rules
from sipdect.app import ready, watch
from sipdect.app.config import CONTROL_HOST, ConfigError, HostSpec, RfpConfig, SystemConfig
from sipdect.app.events import EventBus
from sipdect.app.hosts import (
    EventMgrHost,
    Host,
    MomHost,
    OmmHost,
    PbxHost,
    PhoneHost,
    RfpHost,
)
from sipdect.app.process import (
    Child,
    ChildHost,
    ProcessHost,
    WorkerHost,
    write_config_state,
)
from sipdect.app.site import Site
from sipdect.axi.sync import MOM_ACCOUNT
from sipdect.capture import CaptureRun, Recorder
from sipdect.capture.run import run_base
from sipdect.net import Endpoint
from sipdect.sip.message import Transport

if TYPE_CHECKING:
    from omm.service import OmmService
    from sim.pbx.service import PbxService

log = logging.getLogger("sipdect.app.system")

START_ORDER = ("pbx", "omm", "mom", "eventmgr", "rfp", "phone")
"""The call server first, then the OMMs (their users registering at it), then the RFPs (they
connect to the OMMs), then the phones (they register at the call server)."""
PAIR_KEYS = ("partner", "role", "ommStbState", "resets", "pbx_probes", "pbx_probes_failed")
"""What an OMM of a pair in a child process tells of itself (OmmHost.describe)."""
PAIR_POLL_S = 0.05
"""How often start-up looks whether a standby pair has chosen its active OMM."""
RANDOM_BLOCKS = ipaddress.IPv4Network("127.128.0.0/9")
"""Where a system whose listeners take any free port (tests, library use) draws a /24 for the
hosts without an address, so that systems started side by side never share addresses."""



def configured_basic_sip(cfg: SystemConfig) -> dict[str, Any] | None:
    """BasicSIP pointing an OMM at the call server where the config puts it (addresses
    assigned), over UDP; None without a call server."""
    pbx = cfg.pbx
    if pbx is None or not pbx.enabled:
        return None
    port = cfg.shifted(pbx.udp_port)
    return {"proxyServer": pbx.host, "proxyPort": port, "regServer": pbx.host,
            "regPort": port, "transportProt": "UDP"}

class System:
    def __init__(self, cfg: SystemConfig, data_dir: Path, *, any_port: bool = False,
                 addresses: str | None = None, inside: str | None = None,
                 remote_air: tuple[str, int] | None = None, checked: bool = False) -> None:
        """any_port: give the hosts without an address ones of a random block and bind
        every listener to a free port (tests, library mode), except when some host runs in a
        process of its own: then every host binds its configured ports at its own address.
        addresses: the block of the hosts without an address (a process host is given its
        supervisor's). inside: this process runs host `inside` alone (`sipdect host`).
        remote_air: (host, port) of the world's air link, for RFP hosts in a child.
        ConfigError (one line) when the config breaks a rule of the components
        (sipdect.app.config_check), unless `checked`: a supervisor's child runs the config
        its supervisor checked (and so need not load every component to check it again)."""
        self.address_block = addresses or (_random_block(len(cfg.hosts())) if any_port
                                           else cfg.addresses)
        self._more_blocks: list[str] | None = [] if addresses is None and any_port else None
        """Further random blocks drawn when RFPs added at run time fill the first one; None:
        the block is the config's (or the supervisor's), which the user sizes."""
        if self.address_block != cfg.addresses:
            cfg.assign_addresses(self.address_block)
        processes = inside is None and any(h.isolation != "none" for h in cfg.hosts())
        self.any_ports_free = any_port and not processes and inside is None
        """Listeners take free ports (else the configured ones, shifted)."""
        if not checked:
            from sipdect.app.config_check import check_config

            check_config(cfg, ports=not self.any_ports_free)
        self.cfg = cfg
        self.data_dir = data_dir
        self._pair_secrets(inside)
        self._mom_accounts(inside)
        self._eventmgr_accounts(inside)
        self.any_port = any_port
        self.inside = inside
        self.remote_air = remote_air
        self._state_file: Path | None = None
        self.recorder: Recorder | None = None
        """This process's share of the capture ([system] capture; docs/capture.md)."""
        self.capture_run: CaptureRun | None = None
        """The capture run, in the process that owns it (the supervisor, a host alone)."""
        self.capture_file: Path | None = None
        """The capture's one file, once the system stopped."""
        self._capturing = False
        if cfg.capture is not None:
            # A supervised child records into its supervisor's run; anyone else runs its own.
            if inside is None or cfg.capture_base is None:
                cfg.capture_base = run_base(cfg.capture)
                self.recorder = Recorder(cfg.capture_base)
                self.capture_run = CaptureRun(cfg.capture, [self.address_block],
                                              base=cfg.capture_base, recorder=self.recorder)
            else:
                self.recorder = Recorder(cfg.capture_base)
        self.air_ids: dict[str, int] = {}
        """The air id of each RFP host here whose radio reaches the air over the air link."""
        self.air_server: AirLinkServer | None = None
        """The world's air link, when RFP hosts run in processes of their own."""
        self.site = Site(self)
        self.control: Any = None
        self.events = EventBus()
        """Everything the system does, numbered (sipdect ctl watch, /_emu/events, Site)."""
        self._follower: asyncio.Task[None] | None = None
        self._watched_at = -watch.IDLE_S
        self._follow_always = False
        self.hosts: dict[str, Host] = {}
        self._background: set[asyncio.Task[Any]] = set()
        workers = [Child(self, [], f"worker {i + 1}") for i in range(cfg.workers)]
        shared = 0
        for spec in cfg.hosts():
            host = self._make_host(spec)
            if inside is None and spec.isolation == "process":
                host = ProcessHost(self, host)
            elif inside is None and spec.isolation == "worker":
                worker = workers[shared % len(workers)]
                shared += 1
                worker.names.append(spec.name)
                host = WorkerHost(self, host, worker)
            self.hosts[spec.name] = host
        if self.capture_run is not None:
            block = ipaddress.IPv4Network(self.address_block)
            self.capture_run.hosts = sorted({
                h.address for h in self.hosts.values()
                if ipaddress.IPv4Address(h.address) not in block})

    def _pair_secrets(self, inside: str | None) -> None:
        """A standby pair whose config gives no secret gets one made by the supervisor and
        kept in its data directory (0600), the same at every start; its children receive it
        with the config. A host run alone must be given it: its partner may be elsewhere."""
        for omm in self.cfg.omms:
            pair = omm.standby
            if pair is None or pair.secret or omm.name in self.cfg.standby_of:
                continue
            partner = self.cfg.partner_of(omm.name)
            if inside is not None:
                raise ConfigError(f"{self.cfg.source}: the standby pair {omm.name}/{partner} "
                                  "needs [omm.standby] secret when its OMMs run alone (each "
                                  "machine must be given the same one)")
            path = self.data_dir / "standby" / f"{omm.name}.secret"
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as f:
                    f.write(secrets.token_urlsafe(32))
            pair.secret = path.read_text("ascii").strip()
            for other in self.cfg.omms:
                if other.name == partner and other.standby is not None:
                    other.standby.secret = pair.secret

    def _mom_accounts(self, inside: str | None) -> None:
        """A MOM whose config names no credentials for an OMM it manages gets an account on
        that OMM made by the supervisor (no password aging, seed 000), its password kept in
        the data directory (0600) and the same at every start; the OMM's host provisions it.
        A MOM run alone must be given them: the OMMs may be elsewhere."""
        for mom in self.cfg.moms:
            for ref in mom.mom.omms:
                if ref.username:
                    continue
                path = self.data_dir / "mom" / mom.name / f"{ref.name}.account"
                if inside is not None and inside.split(",") == [mom.name] \
                        and not path.is_file():
                    raise ConfigError(
                        f"{self.cfg.source}: [mom] {mom.name!r} run alone needs the username "
                        f"and password of its account on OMM {ref.name!r} in omms = [...]")
                if not path.is_file():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "w", encoding="ascii") as f:
                        f.write(_account_password(ref.name))
                ref.username = MOM_ACCOUNT
                ref.password = path.read_text("ascii").strip()
                mom.provisioned.add(ref.name)
                omm = next(o for o in self.cfg.omms if o.name == ref.name)
                if not any(a.username == MOM_ACCOUNT for a in omm.accounts):
                    omm.accounts.append(AccountConfig(MOM_ACCOUNT, ref.password))

    def _eventmgr_accounts(self, inside: str | None) -> None:
        """An Event Manager whose config names no credentials gets an account on its OMM
        (eventmgr.conventions ACCOUNT and PERMISSIONS, no aging) made by the supervisor, its
        password kept in the data directory (0600), as the MOM's."""
        from eventmgr import conventions as em_conventions

        for host in self.cfg.eventmgrs:
            link = host.em.omm
            if link is None or link.username or not host.omm:
                continue
            path = self.data_dir / "eventmgr" / host.name / f"{host.omm}.account"
            if inside is not None and inside.split(",") == [host.name] and not path.is_file():
                raise ConfigError(
                    f"{self.cfg.source}: [eventmgr] {host.name!r} run alone needs the username "
                    f"and password of its account on OMM {host.omm!r}")
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as f:
                    f.write(_account_password(host.omm, em_conventions.ACCOUNT))
            link.username = em_conventions.ACCOUNT
            link.password = path.read_text("ascii").strip()
            omm = next(o for o in self.cfg.omms if o.name == host.omm)
            if not any(a.username == link.username for a in omm.accounts):
                omm.accounts.append(AccountConfig(link.username, link.password,
                                                  em_conventions.PERMISSIONS))

    def background(self, task: asyncio.Task[Any]) -> None:
        """Keep a task of the system's own (a host restarting) until it ends."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def port_of(self, port: int) -> int:
        """The port a host binds for a configured one: any free one, or shifted."""
        return 0 if self.any_ports_free else self.cfg.shifted(port)

    def set_air_id(self, name: str, air_id: int) -> None:
        """The air id the supervisor gave RFP host `name` of this child."""
        self.air_ids[name] = air_id

    def config_state(self) -> Path:
        """The config as this supervisor runs it (addresses assigned), saved for its children
        (sipdect.app.process STATE_FILE)."""
        if self._state_file is None:
            self._state_file = write_config_state(self.cfg, self.data_dir)
        return self._state_file

    def _make_host(self, spec: Any) -> Host:
        if spec.kind == "omm":
            omm = next(o for o in self.cfg.omms if o.name == spec.name)
            return OmmHost(self, spec, omm, self.data_dir / "omm" / omm.name)
        if spec.kind == "pbx":
            assert self.cfg.pbx is not None
            return PbxHost(self, spec, self.cfg.pbx, self.data_dir / "pbx")
        if spec.kind == "mom":
            mom = next(m for m in self.cfg.moms if m.name == spec.name)
            return MomHost(self, spec, mom, self.data_dir / "mom" / mom.name)
        if spec.kind == "eventmgr":
            em = next(e for e in self.cfg.eventmgrs if e.name == spec.name)
            return EventMgrHost(self, spec, em, self.data_dir / "eventmgr" / em.name)
        if spec.kind == "phone":
            phone = next(p for p in self.cfg.phones if p.host_name == spec.name)
            return PhoneHost(self, spec, phone, self.data_dir / "phone" / spec.name)
        rfp = next(r for r in self.cfg.rfps if r.host_name == spec.name)
        return RfpHost(self, spec, rfp, self._key_path(rfp))

    def _key_path(self, rfp: RfpConfig) -> Path:
        """Where an RFP keeps its link key: data/rfp/<mac>.key, in a folder per OMM when two
        OMMs have an RFP of that MAC."""
        mac = rfp.mac.replace(":", "").replace("-", "").lower()
        same = [r for r in [*self.cfg.rfps, *(h.cfg for h in self.rfp_hosts())]
                if r is not rfp and r.mac.replace(":", "").replace("-", "").lower() == mac
                and r.omm != rfp.omm] + [rfp]
        folder = self.data_dir / "rfp" / (rfp.omm if len(same) > 1 else "")
        return folder / f"{mac}.key"

    # -- the hosts -----------------------------------------------------------------------------
    def host(self, name: str) -> Host:
        host = self.hosts.get(name)
        if host is None:
            raise KeyError(f"no host {name!r}; the hosts are {', '.join(self.hosts)}")
        return host

    def host_name_of(self, address: str) -> str:
        """The host at `address`, or the address itself when no host has it."""
        return next((h.name for h in self.hosts.values() if h.address == address), address)

    def omm_host(self, name: str | None = None) -> OmmHost:
        """An OMM of the system as this process knows it (an OMM of another process: what
        its config says)."""
        omms = self.omm_hosts()
        if name is None:
            return omms[0]
        found = next((h for h in omms if h.name == name), None)
        if found is None:
            raise KeyError(f"no OMM {name!r}; the OMMs are {', '.join(h.name for h in omms)}")
        partner = self.cfg.partner_of(found.name)
        if partner is not None and not found.serving:
            # A standby pair is one system: what is asked of it goes to its active OMM.
            other = next((h for h in omms if h.name == partner), None)
            if other is not None and other.serving:
                return other
        return found

    @property
    def omms(self) -> list[OmmService]:
        """Every OMM's service in this process, in the order of the config."""
        return [h.service for h in self.hosts.values()
                if isinstance(h, OmmHost) and h.service is not None]

    def omm(self, name: str | None = None) -> OmmService:
        service = self.omm_host(name).service
        assert service is not None, "the OMM has not started"
        return service

    @property
    def pbx_host(self) -> PbxHost | None:
        """The call server when it runs in this process."""
        return next((h for h in self.hosts.values() if isinstance(h, PbxHost)), None)

    @property
    def pbx(self) -> PbxService | None:
        host = self.pbx_host
        return host.service if host is not None else None

    def omm_hosts(self) -> list[OmmHost]:
        return [h for h in map(_local, self.hosts.values()) if isinstance(h, OmmHost)]

    def local_pbx_host(self) -> PbxHost | None:
        """The call server when it runs in this process."""
        host = self.pbx_host
        return host if host is not None and host.running else None

    def call_server_address(self, transport: Transport) -> tuple[str, int] | None:
        """Where the system's call server listens for `transport` (None: no call server)."""
        local = self.local_pbx_host()
        if local is not None:
            peer = local.service.addresses().get(transport)
            return (peer.host, peer.port) if peer is not None else None
        pbx = self.cfg.pbx
        if pbx is None or not pbx.enabled:
            return None
        port = {Transport.UDP: pbx.udp_port, Transport.TCP: pbx.tcp_port,
                Transport.TLS: pbx.tls_port}[transport]
        return None if port is None else (pbx.host, self.cfg.shifted(port))

    def call_server_basic_sip(self, transport_prot: str = "UDP") -> dict[str, Any] | None:
        """BasicSIP settings pointing an OMM at the system's call server over
        `transport_prot` (transportProt: its listener of that transport); None without a call
        server or without that listener."""
        where = self.call_server_address(SEND_TRANSPORT.get(transport_prot, Transport.UDP))
        if where is None:
            return None
        host, port = where
        return {"proxyServer": host, "proxyPort": port, "regServer": host, "regPort": port,
                "transportProt": transport_prot}

    def of_kind(self, kind: str) -> list[Host]:
        return [h for h in self.hosts.values() if h.kind == kind]

    def rfp_hosts(self) -> list[RfpHost]:
        return [h for h in self.hosts.values() if isinstance(h, RfpHost)]

    # -- life cycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """The call server first, then the OMMs (their users registering at it), then the
        RFPs (they connect to the OMMs), then handsets, then control."""
        clock.require(self.cfg.speed, f"system {self.cfg.name!r} ({self.cfg.source})")
        try:
            await self.begin_capture()
            for kind in START_ORDER:
                if kind == "rfp" and any(isinstance(h, ChildHost) for h in self.of_kind(kind)):
                    self.air_server = AirLinkServer(
                        self.site.air, CONTROL_HOST, 0 if self.any_port else self.cfg.air_port)
                    await self.air_server.start()
                hosts = self.of_kind(kind)
                for host in hosts:
                    if not isinstance(host, ChildHost):
                        await host.start()
                # Hosts of child processes boot side by side, as machines do.
                await asyncio.gather(*(h.start() for h in hosts if isinstance(h, ChildHost)))
                if kind == "omm":
                    self.trust_certificates()
                    await self.pairs_settled()
                if kind == "rfp":
                    # Their SSH servers start side by side: listening before the ready file.
                    await asyncio.gather(*(h.ssh_started() for h in self.rfp_hosts()
                                           if not isinstance(h, ChildHost)))
            for i, handset in enumerate(self.cfg.handsets):
                from sipdect.app.hosts import refused_as_config_error

                with refused_as_config_error(f"{self.cfg.source}: [[handset]] #{i + 1}"):
                    self.site.add_handset(handset)
            if self.cfg.control_port is not None:
                from sipdect.app.control import ControlServer

                self.control = ControlServer(self)
                await self.control.start(CONTROL_HOST,
                                         0 if self.any_port else self.cfg.control_port)
            self._note_listeners()
        except BaseException:
            await self._shut_down()
            raise

    async def pairs_settled(self) -> None:
        """Wait until one OMM of each standby pair serves (both start in Start-up and decide
        within the pair's timers), so the RFPs find an OMM when they boot; after the longest a
        decision can take it goes on and says so."""
        pairs = [o for o in self.cfg.omms if o.standby is not None
                 and o.name not in self.cfg.standby_of]
        for head in pairs:
            assert head.standby is not None
            partner = self.cfg.partner_of(head.name)
            names = [head.name] + ([partner] if partner else [])
            limit = 2 * head.standby.silence + head.standby.pbx_timeout
            loop = asyncio.get_running_loop()
            deadline = loop.time() + limit
            while loop.time() < deadline:
                roles = [await self.omm_role(n) for n in names]
                if "active" in roles:
                    break
                await asyncio.sleep(PAIR_POLL_S)
            else:
                log.warning("standby pair %s: no OMM became active within %g s", "/".join(names),
                            limit)
            for name in names:  # their listeners as they are now, for the ready file
                await self.describe_host(name)

    async def omm_role(self, name: str) -> str | None:
        """An OMM of a pair: active, standby or starting (asked of its process when it runs in
        one); None when it is not running."""
        role = (await self.describe_host(name)).get("role")
        return None if role is None else str(role)

    async def describe_host(self, name: str) -> dict[str, Any]:
        """What /_emu/hosts shows of a host; of an OMM of a standby pair in a child process,
        what its process says of its role and standby state too."""
        host = self.host(name)
        out = host.describe()
        if isinstance(host, ChildHost) and host.running and host.kind == "omm" \
                and host.cfg.standby is not None:
            try:
                inner = await host.child.request("GET", f"/hosts/{name}")
            except (OSError, ValueError):
                return out
            for key in PAIR_KEYS:
                if key in inner:
                    out[key] = inner[key]
            # What it listens on now (one of a pair serves AXI once it became active).
            host.set_endpoints([Endpoint(**e) for e in inner.get("endpoints", [])])
        return out

    def trust_certificates(self) -> None:
        """The call server trusts the OMMs' and the phones' certificates for TLS contacts (all
        self-signed in an emulated installation)."""
        host = self.pbx_host
        if host is None or host.service.server is None:
            return
        omms = [tls.ensure_certificate(h.data_dir, f"sipdect {h.name}", ("localhost", h.address))[0]
                for h in self.hosts.values() if isinstance(h, OmmHost)]
        host.service.trust([*omms, *host._extra_trust])

    async def reset(self) -> float:
        """Back to the configured initial state on the same listeners (Emulator.reset, Site,
        POST /_emu/reset): links healed, hosts running, the RFPs and handsets off the air,
        every OMM's data wiped and provisioned as at start (accounts, settings, users bound to
        their handsets, BasicSIP) and the SIP registrations of users that are gone dropped,
        then the configured RFPs and handsets start again: they enrol, subscribe and register
        as after `start`, under the same ids. RFPs and handsets added through the control API
        are gone. The call server keeps running as it is (its accounts come from the config).
        Returns the seconds it took."""
        started = time.perf_counter()
        self._mark("reset", "system")
        for host in list(self.hosts.values()):
            for peer in sorted(host.net.cut_peers):
                await host.heal(peer)
        registrar_restarted = False
        for kind in START_ORDER:
            for host in self.of_kind(kind):
                if not host.running and kind != "rfp":
                    await host.start()
                    registrar_restarted |= kind == "pbx"
                    if isinstance(host, OmmHost):
                        self.trust_certificates()
        for rfp in self.rfp_hosts():
            await rfp.stop()
        for name in [h.name for h in self.rfp_hosts()
                     if h.cfg not in self.cfg.rfps]:
            del self.hosts[name]
        world = self.site.world
        if world is not None:  # the handsets start afresh: their first states are news again
            self.events.forget([f"handset {e.handset.ipei}" for e in world.handsets.values()])
        self.site.clear_handsets()
        for air_id in [i for i, h in self.site.rfps.items() if h.name not in self.hosts]:
            self.site.forget_rfp(air_id)
        for host in self.hosts.values():
            if isinstance(host, OmmHost) and host.service is not None and host.running:
                if host.cfg.standby is not None and not host.serving:
                    continue  # a standby: the active's reset and records reach it as changes
                await host.service.reset()
                host.provision()
                host.provision_records()
                host.service.sip.sync_all()
                if registrar_restarted:
                    host.service.sip.register_again()
        for rfp in self.rfp_hosts():
            await rfp.start()
        for handset in self.cfg.handsets:
            self.site.add_handset(handset)
        return time.perf_counter() - started

    async def stop(self) -> None:
        await self._shut_down()

    async def _shut_down(self) -> None:
        self._note_listeners()
        if self._follower is not None:
            self._follower.cancel()
            self._follower = None
        if self.control is not None:
            await self.control.stop()
            self.control = None
        for kind in reversed(START_ORDER):
            for host in self.of_kind(kind):
                await host.stop()
            for child in {h.child for h in self.of_kind(kind) if isinstance(h, WorkerHost)}:
                if not any(isinstance(h, WorkerHost) and h.child is child and h.running
                           for h in self.hosts.values()):
                    await child.end(signal.SIGTERM)
            if kind == "rfp":
                if self.air_server is not None:
                    await self.air_server.stop()
                    self.air_server = None
                self.site.clear_handsets()
        await self.end_capture()

    # -- capture (docs/capture.md) ---------------------------------------------------------------
    async def begin_capture(self) -> None:
        """Start the run's dumpcap (in the process that owns the run); a no-op without
        [system] capture, or when it runs already."""
        if self.capture_run is not None and self.capture_file is None and not self._capturing:
            self._capturing = True
            await self.capture_run.start()

    def _note_listeners(self) -> None:
        """The capture keeps the packets of the system's listeners (those at an address
        outside the system's block too): noted while they listen."""
        if self.capture_run is not None:
            known = set(self.capture_run.listeners)
            self.capture_run.listeners += [(e.host, e.port) for e in self.endpoints()
                                           if (e.host, e.port) not in known]

    async def end_capture(self) -> Path | None:
        """Close this process's records; the owner of the run writes the one file (its
        path, also in `capture_file`; printed by `sipdect up`)."""
        if self.recorder is not None:
            self.recorder.close()
        if self.capture_run is not None and self._capturing:
            self._capturing = False
            self.capture_file = await self.capture_run.finish()
            log.info("capture written to %s", self.capture_file)
        return self.capture_file

    # -- RFPs added and removed while running (control API) ----------------------------------------
    async def add_rfp(self, cfg: RfpConfig) -> int:
        """A new RFP host (its OMM record created, an address of the system's block) on the
        air, started; its id on the air."""
        name = cfg.host_name
        if name in self.hosts:
            raise ValueError(f"a host called {name!r} exists already; give the RFP a 'name'")
        if not cfg.address:
            cfg.address = self._free_address()
        elif any(h.address == cfg.address for h in self.hosts.values()):
            raise ValueError(f"address {cfg.address} is another host's already")
        spec = HostSpec(name, "rfp", cfg.isolation or "none", bool(cfg.address))
        host = RfpHost(self, spec, cfg, self._key_path(cfg))
        self.hosts[name] = host
        try:
            await host.start()
        except BaseException:
            del self.hosts[name]
            raise
        assert host.air_id is not None
        return host.air_id

    async def remove_rfp(self, air_id: int) -> None:
        host = self.site.rfp(air_id)
        await host.stop()
        self.site.forget_rfp(air_id)
        del self.hosts[host.name]

    def _free_address(self) -> str:
        taken = {h.address for h in self.hosts.values()}
        blocks = [self.address_block, *(self._more_blocks or [])]
        while True:
            for block in blocks:
                for address in ipaddress.IPv4Network(block).hosts():
                    if str(address) not in taken:
                        return str(address)
            if self._more_blocks is None:
                raise ValueError(f"no free address left in {self.address_block}; give "
                                 "[system] addresses a larger block")
            blocks = [_random_block(0)]
            self._more_blocks += blocks

    # -- the event stream ----------------------------------------------------------------------
    def now(self) -> float:
        """The system clock every event is stamped with."""
        return asyncio.get_running_loop().time()

    def follow_events(self, *, always: bool = False) -> None:
        """Someone listens to the event bus: poll what no hook pushes (watch.follow) while
        the bus has listeners or a watch request came within watch.IDLE_S; `always`: from
        now until the system stops (the library face: a change before the first listener
        came is told too, not taken as the poller's baseline)."""
        loop = asyncio.get_running_loop()
        self._watched_at = loop.time()
        self._follow_always |= always
        if self._follower is None or self._follower.done():
            self._follower = loop.create_task(watch.follow(self, self.events,
                                                           self._events_wanted))

    def _events_wanted(self) -> bool:
        return (self._follow_always or self.events.listened
                or self.now() - self._watched_at < clock.current().virtual(watch.IDLE_S))

    def host_changed(self, host: Host) -> None:
        """A host started, stopped or died: onto the event bus (when a loop runs: a child's
        host may change while none does)."""
        try:
            now = self.now()
        except RuntimeError:
            return
        self.events.state("host", f"host {host.name}", str(host.state), now)

    # -- faults --------------------------------------------------------------------------------
    def _mark(self, text: str, subject: str = "") -> None:
        self.events.mark(text, self.now(), subject=subject)

    async def stop_host(self, name: str) -> dict[str, Any]:
        host = self.host(name)
        self._mark(f"host {name} stopped", f"host {name}")
        await host.stop()
        return host.describe()

    async def start_host(self, name: str) -> dict[str, Any]:
        host = self.host(name)
        self._mark(f"host {name} started", f"host {name}")
        await host.start()
        if isinstance(host, OmmHost):
            self.trust_certificates()
        self._note_listeners()
        return host.describe()

    async def kill_host(self, name: str) -> dict[str, Any]:
        host = self.host(name)
        self._mark(f"host {name} killed", f"host {name}")
        await host.kill()
        return host.describe()

    async def cut_link(self, a: str, b: str) -> dict[str, Any]:
        """Drop all traffic between hosts `a` and `b`, both ways, at their own transports."""
        first, second = self._pair(a, b)
        self._mark(f"link {a} - {b} cut", f"link {a} - {b}")
        await first.cut(second.address)
        await second.cut(first.address)
        log.info("link %s - %s cut", a, b)
        return {"cut": [a, b]}

    async def heal_link(self, a: str, b: str) -> dict[str, Any]:
        first, second = self._pair(a, b)
        self._mark(f"link {a} - {b} healed", f"link {a} - {b}")
        await first.heal(second.address)
        await second.heal(first.address)
        log.info("link %s - %s healed", a, b)
        return {"healed": [a, b]}

    def _pair(self, a: str, b: str) -> tuple[Host, Host]:
        if a == b:
            raise ValueError("a link joins two different hosts")
        return self.host(a), self.host(b)

    # -- what the system tells -----------------------------------------------------------------
    def credentials(self, *, secrets: bool = True) -> list[dict[str, Any]]:
        """The initial logins of every OMM (AXI, web UI) and Event Manager (web UI); without
        `secrets`, no passwords."""
        out = [c for h in self.omm_hosts() for c in h.credentials()]
        out += [c for h in self.hosts.values() if isinstance(h, EventMgrHost)
                for c in h.credentials()]
        return out if secrets else [_without(c, "password") for c in out]

    def endpoints(self) -> list[Endpoint]:
        """Every listener: the call server's, the OMMs', the MOMs', the Event Managers', the
        RFPs' SSH shells and SNMP agents."""
        return [e for kind in ("pbx", "omm", "mom", "eventmgr", "rfp")
                for h in self.of_kind(kind) for e in h.endpoints()]

    def sip_users(self, *, secrets: bool = True) -> list[dict[str, Any]]:
        """The configured DECT users with their SIP accounts (number, name, password)."""
        users = [{"number": u.number, "name": u.name, "omm": u.omm, "handset": u.handset,
                  "auth_id": u.auth_id or u.number, "sip_password": u.sip_password}
                 for u in self.cfg.users]
        return users if secrets else [_without(u, "sip_password") for u in users]

    def _pbx_info(self, secrets: bool) -> dict[str, Any] | None:
        host = self.pbx_host
        if host is None or self.cfg.pbx is None or not host.running:
            return None
        accounts = [{"user": a.user, "password": a.password} for a in self.cfg.pbx.accounts]
        if not secrets:
            accounts = [_without(a, "password") for a in accounts]
        return {**host.service.describe(), "accounts": accounts}

    def describe_rfp(self, air_id: int) -> dict[str, Any]:
        host = self.site.rfp(air_id)
        station = host.station
        record = host.rfp_id
        if record is None:  # its radio runs in another process: its OMM knows its id
            record = self.omm_host(host.cfg.omm).rfp_record(host.cfg.mac)
        out = {"id": record, "host": host.name, "omm": host.cfg.omm, "air_id": air_id,
               "mac": mac_text(parse_mac(host.cfg.mac)), "name": host.cfg.name,
               "address": host.address,
               "x": host.cfg.x, "y": host.cfg.y, "cluster": host.cfg.cluster,
               "state": str(host.state), "isolation": host.spec.isolation,
               "powered": bool(station is not None and host.running and station.powered),
               "linked": bool(station is not None and host.running and station.linked),
               # The OMM its link is up to ('host:port'): of a standby pair, the active one.
               "omm_address": (station.describe()["omm"] if station is not None
                               and host.running else None),
               "syncState": station.radio.sync_state if station is not None and host.running
               else "Inactive",
               # Its SSH shells (rfp.ssh): where, and whose logins (factory, omm, off).
               "ssh": (station.describe().get("ssh") if station is not None and host.running
                       else None),
               # Its SNMP agent's UDP port at its address (None: not running).
               "snmp": next((e.port for e in host.endpoints() if e.protocol == "snmp"),
                            None),
               # Where its syslog goes, as its OMM said (None: nowhere).
               "syslog": (station.describe()["syslog"] if station is not None
                          and host.running else None)}
        if isinstance(host, ChildHost):
            # Its radio is in another process: what the world's air knows of it.
            site = self.site.air.rfps.get(air_id) if self.site.world is not None else None
            up = site is not None and host.running
            status = self.site.air.sync_status(air_id) if up else None
            out.update(powered=up and site is not None and site.powered,
                       linked=up and site is not None and site.connected,
                       syncState=("Synced" if status is not None and status.synced
                                  else "Searching" if up and site is not None and site.up
                                  else "Inactive"))
        return out

    def ready_info(self, *, secrets: bool) -> dict[str, Any]:
        """Endpoints, hosts, RFPs, handsets, logins, users and call server. With `secrets`,
        the passwords (AXI, SIP, call-server accounts) too, as the ready file has them;
        without, none of them (the control API's default)."""
        info = {
            "sipdect": __version__,
            "system": self.cfg.name,
            "config": self.cfg.source,
            "pid": os.getpid(),
            "data_dir": str(self.data_dir),
            "endpoints": [e.as_dict() for e in self.endpoints()]
            + ([self.control.endpoint()] if self.control is not None else []),
            "hosts": [h.describe() for h in self.hosts.values()],
            "rfps": [self.describe_rfp(i) for i in self.site.rfps],
            "handsets": ([self.site.describe_handset(h) for h in self.site.world.handsets]
                         if self.site.world is not None else []),
            "credentials": self.credentials(secrets=secrets),
            "users": self.sip_users(secrets=secrets),
            "pbx": self._pbx_info(secrets),
        }
        if not secrets:
            info["secrets"] = SECRETS_LEFT_OUT
        return info

    def write_ready_file(self, path: Path) -> None:
        """Everything, passwords and the control API's URL and token included, in a file only
        its owner can read (sipdect.app.ready)."""
        info = self.ready_info(secrets=True)
        if self.control is not None:
            info["control"] = {"url": self.control.url, "token": self.control.token}
            info["map"] = {"url": self.control.map.url(), "note": MAP_URL_NOTE}
        ready.write(path, info)


MAP_URL_NOTE = "opens the live site map once; `sipdect ctl map` gives a new link"
"""Said beside the map's URL in the ready file (its code works once, README "Live site map")."""
SECRETS_LEFT_OUT = "passwords left out; GET /_emu/state?secrets=1 or the ready file has them"
"""Said in place of the passwords where they are left out (control API without ?secrets=1)."""


def _local(host: Host) -> Host:
    """The host as this process knows it (a process host: what its config says)."""
    inner = getattr(host, "inner", None)
    return inner if isinstance(inner, Host) else host


def _without(record: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != key}


def _account_password(omm_name: str, username: str = MOM_ACCOUNT) -> str:
    """A password the OMM's rules accept (sipdect.accounts.check_password_rules)."""
    while True:
        candidate = "Sync-" + secrets.token_urlsafe(18)
        try:
            check_password_rules(candidate, username=username, hostname=omm_name)
        except PasswordRejected:
            continue
        return candidate


def _random_block(hosts: int) -> str:
    """A block of RANDOM_BLOCKS for one system's hosts: a /24, or larger for more hosts."""
    prefix = 24
    while 2 ** (32 - prefix) < hosts + 64 and prefix > 16:
        prefix -= 1
    size = 2 ** (32 - prefix)
    offset = random.randrange(RANDOM_BLOCKS.num_addresses // size) * size
    return str(ipaddress.IPv4Network((int(RANDOM_BLOCKS.network_address) + offset, prefix)))
