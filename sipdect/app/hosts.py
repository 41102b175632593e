"""The machines of one emulated installation as the supervisor runs them (ARCHITECTURE.md
"Hosts", docs/architecture.md "Hosts").

A Host has a name, a kind (omm, rfp, pbx), its own loopback address and a HostNet through
which its component opens every socket. The supervisor starts, stops and kills hosts; a
killed host loses every socket and timer at once with nothing flushed (in this process: its
component's kill(); a host of its own process gets SIGKILL). A host started again is a new
instance of its component on the same address, ports and data directory, as a machine that
boots again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dect.conventions import DEFAULT_PARK
from dect.identities import Park
from omm.config import OmmConfig
from omm.errors import ModelError
from omm.standby.link import Role
from omm.statistics import RESOLUTION
from rfp.access import SSH_PORT
from rfp.cli import parse_hw_type
from rfp.radio import RfpRadio
from rfp.snmp import AGENT_PORT as SNMP_AGENT_PORT
from rfp.station import VirtualRfp, mac_text, parse_mac
from sim.air import AirMedium, RadioSite
from sim.airlink import RemoteAir
from sim.pbx import PbxConfig as PbxServerConfig
from sim.pbx import SrtpPolicy
from sim.pbx.service import PbxListeners, PbxService
from sipdect import clock
from sipdect.accounts import FULL_ACCESS
from sipdect.app.config import (
    ConfigError,
    EventMgrHostConfig,
    HostSpec,
    MomHostConfig,
    PbxConfig,
    PhoneHostConfig,
    RfpConfig,
    UserConfig,
)
from sipdect.axi.sync import MOM_ACCOUNT
from sipdect.net import Endpoint, HostNet
from sipdect.sip import SipTransportError
from sipdect.sip.message import Transport
from sipdect.snmp.target import TRAP_PORT

if TYPE_CHECKING:
    # Imported where a host starts: a host process loads only the components it runs.
    from eventmgr.service import EventMgrService
    from mom.service import MomService
    from omm.service import OmmService
    from sim.phone.service import PhoneService
    from sipdect.app.system import System

log = logging.getLogger("sipdect.app.hosts")

BASIC_SIP_MARK = "basic-sip-from-pbx.json"
"""In an OMM's data directory: the BasicSIP values the system wrote last. While the stored
settings still equal them, a restart may move them to the call server's new address; once
an administrator changed BasicSIP (AXI SetBasicSIP), the system leaves it alone."""
SERVER_FIELDS = ("proxyServer", "proxyPort", "regServer", "regPort")


KILLED_SOCKETS_TURNS = 3
"""Loop turns a killed host's start waits for its aborted sockets to close (asyncio closes
one on the turn after abort())."""


class HostState(StrEnum):
    """What a host is doing, as /_emu/hosts shows it."""

    STOPPED = "stopped"
    """Not started yet, or shut down cleanly."""
    RUNNING = "running"
    KILLED = "killed"
    """Lost its power: every socket and timer gone at once."""


class Host:
    """One machine of the system."""

    kind = ""

    def __init__(self, system: System, spec: HostSpec, address: str) -> None:
        self.system = system
        self.spec = spec
        self.name = spec.name
        self.address = address
        self.net = HostNet(spec.name, address)
        self.net.capture = system.recorder
        self.state = HostState.STOPPED
        self.started_at: float | None = None
        self.starts = 0
        """How often it was started."""

    async def start(self) -> None:
        """Boot the machine (again): its component starts on its address."""
        if self.state is HostState.RUNNING:
            return
        if self.state is HostState.KILLED:
            # An aborted transport closes its socket on the loop's next turns: let the killed
            # sockets go before binding the same ports again (a kill then a start at once:
            # a scenario, a reset).
            for _ in range(KILLED_SOCKETS_TURNS):
                await asyncio.sleep(0)
        self.net.revive()
        await self._start()
        self.state = HostState.RUNNING
        self.started_at = clock.now()
        self.starts += 1
        self.system.host_changed(self)
        log.info("host %s (%s) started at %s", self.name, self.kind, self.address)

    async def stop(self) -> None:
        """Shut the machine down cleanly (its component says goodbye where it would)."""
        if self.state is not HostState.RUNNING:
            return
        await self._stop()
        self.state = HostState.STOPPED
        self.started_at = None
        self.system.host_changed(self)
        log.info("host %s stopped", self.name)

    async def kill(self) -> None:
        """Pull the plug: every socket and timer gone at once, nothing flushed."""
        if self.state is not HostState.RUNNING:
            return
        self.net.kill()
        await self._kill()
        self.state = HostState.KILLED
        self.started_at = None
        self.system.host_changed(self)
        log.info("host %s killed", self.name)

    async def cut(self, peer: str) -> None:
        """Drop all traffic with the host at `peer` (both ways, at this host)."""
        self.net.cut(peer)

    async def heal(self, peer: str) -> None:
        self.net.heal(peer)

    def endpoints(self) -> list[Endpoint]:
        """The listeners it reports in the ready file (none for most kinds)."""
        return []

    async def _start(self) -> None:
        raise NotImplementedError

    async def _stop(self) -> None:
        raise NotImplementedError

    async def _kill(self) -> None:
        await self._stop()

    def describe(self) -> dict[str, Any]:
        """What /_emu/hosts shows of it."""
        uptime = None if self.started_at is None else round(clock.now() - self.started_at,
                                                            3)
        return {"name": self.name, "kind": self.kind, "address": self.address,
                "isolation": self.spec.isolation, "pid": os.getpid(),
                "state": str(self.state), "uptime": uptime, "starts": self.starts,
                "cut": sorted(self.system.host_name_of(a) for a in self.net.cut_peers)}

    @property
    def running(self) -> bool:
        return self.state is HostState.RUNNING


# -- OMM ------------------------------------------------------------------------------------------


class OmmHost(Host):
    """An OpenMobility Manager: AXI, the RFP link, its SIP user agent, its data directory."""

    kind = "omm"

    def __init__(self, system: System, spec: HostSpec, cfg: OmmConfig, data_dir: Path) -> None:
        super().__init__(system, spec, cfg.host)
        self.cfg = cfg
        self.data_dir = data_dir
        self.service: OmmService | None = None
        """The running OMM, or the last one (its model closed) after a stop or kill."""
        self._bound: dict[str, int] = {}
        """Ports bound at the first start, kept for later starts: a machine that boots again
        listens where its RFPs and clients knew it."""
        self.resets = 0
        """How often its standby pair reset it (A.2: it restarted)."""
        self._served_apart = False

    def _config(self) -> OmmConfig:
        cfg = self.cfg
        pbx = self.system.local_pbx_host()
        if cfg.sip_ca is None and pbx is not None and pbx.service.certificate is not None:
            # The installer imported the call server's certificate (OMP: SIP "PEM file
            # import"), so that SIP over TLS with authentication works when configured.
            cfg = dataclasses.replace(cfg, sip_ca=pbx.service.certificate)
        if not self._bound:
            return cfg
        return dataclasses.replace(cfg, axi_port=self._bound["axi"],
                                   axi_tls_port=self._bound["axi-tls"],
                                   rfp_port=self._bound["rfp-link"],
                                   web_port=self._bound.get("web", self.cfg.web_port),
                                   web_tls_port=self._bound.get("web-https",
                                                                self.cfg.web_tls_port),
                                   sip_port=self._bound.get("sip-udp", self.cfg.sip_port))

    async def _start(self) -> None:
        from omm.service import OmmService

        port_of = self.system.port_of if not self._bound else (lambda p: p)
        if self.cfg.standby is not None:
            # Its RFPs know both OMMs' ports before the standby ever listens: a pair binds
            # its configured ports (each OMM at its own address) even where others take any.
            port_of = self.system.cfg.shifted
        service = OmmService(self._config(), self.data_dir, port_of=port_of, net=self.net)
        self.service = service
        service.on_reset = self._on_reset
        service.served_apart, self._served_apart = self._served_apart, False
        if self.cfg.standby is not None:
            # One of a pair: a standby takes its partner's records; it provisions what the
            # config asks for when it becomes active.
            service.on_active = self._provision_all
            await service.start()
            return
        self.provision()
        await service.start()
        self._keep_ports(service)
        self.provision_records()

    def _provision_all(self) -> None:
        self.provision()
        self.provision_records()

    def _keep_ports(self, service: OmmService) -> None:
        if not self._bound:
            self._bound = {e.protocol: e.port for e in service.endpoints}

    def _on_reset(self, exit_code: int) -> None:
        """Its pair reset it (A.2): the OMM restarts on this host, as its watchdog would."""
        from omm.standby.conventions import EXIT_YIELD

        self.resets += 1
        self._served_apart = exit_code == EXIT_YIELD and self.serving
        task = asyncio.get_running_loop().create_task(self._restart(exit_code))
        self.system.background(task)

    async def _restart(self, exit_code: int) -> None:
        log.warning("OMM %s: reset (exit code %d), restarting", self.name, exit_code)
        await self.stop()
        await self.start()

    @property
    def serving(self) -> bool:
        """It serves AXI, RFPs and phones (a single OMM, or the active one of a pair)."""
        return self.running and self.service is not None and self.service.serving

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        service = self.service
        if self.cfg.standby is None or service is None or not self.running:
            return out
        pair = service.pair
        out["partner"] = self.system.cfg.partner_of(self.name)
        # "active" once it serves; the pair's machine may have decided a moment before.
        out["role"] = ("active" if service.serving else
                       "starting" if pair is None or pair.role is Role.STARTING else "standby")
        out["ommStbState"] = service.model.standby.view.state.value
        out["resets"] = self.resets
        if pair is not None:
            out["pbx_probes"], out["pbx_probes_failed"] = pair.probes, pair.probes_failed
        return out

    async def _stop(self) -> None:
        assert self.service is not None
        await self.service.stop()

    async def _kill(self) -> None:
        assert self.service is not None
        await self.service.kill()

    @property
    def model(self) -> Any:
        assert self.service is not None, f"OMM {self.name} never started"
        return self.service.model

    def endpoints(self) -> list[Endpoint]:
        return list(self.service.endpoints) if self.service is not None and self.running else []

    def port(self, protocol: str) -> int:
        """Where the OMM listens for `protocol` (axi, axi-tls, rfp-link, web, web-https): where
        it bound,
        else (an OMM of another process) where its config says."""
        if protocol in self._bound:
            return self._bound[protocol]
        configured = {"axi": self.cfg.axi_port, "axi-tls": self.cfg.axi_tls_port,
                      "rfp-link": self.cfg.rfp_port, "web": self.cfg.web_port,
                      "web-https": self.cfg.web_tls_port}
        fixed = not self.system.any_ports_free or self.cfg.standby is not None
        if protocol in configured and fixed:
            return self.system.cfg.shifted(configured[protocol])
        raise KeyError(f"OMM {self.name} has no {protocol} listener (not started?)")

    # -- what the system config asks of this OMM ------------------------------------------------
    def provision(self) -> None:
        """Give the OMM its configured users, the account of the MOM that manages it (made
        by the supervisor) and, unless configured, BasicSIP at the PBX."""
        cfg = self.system.cfg
        model = self.model
        made = {MOM_ACCOUNT} | {e.em.omm.username for e in cfg.eventmgrs
                                if e.em.omm is not None and e.omm == self.name}
        for acc in self.cfg.accounts:
            if acc.username in made and model.accounts.by_username(acc.username) is None:
                # An OMM set up before a MOM or an Event Manager used it (a new one gets the
                # account with its accounts).
                model.accounts.create({"username": acc.username, "password": acc.password,
                                       "aging": "none"},
                                      list(acc.permissions or FULL_ACCESS))
        system_name = cfg.pair_head(self.name)  # both OMMs of a pair: the pair's users
        for user in cfg.users:
            if user.omm == system_name:
                try:
                    ensure_user(model, user)
                except ModelError as exc:
                    raise ConfigError(f"{cfg.source}: [[user]] {user.number} cannot be "
                                      f"created in OMM {self.name}: {exc}") from None
        configured = self.cfg.settings.get("BasicSIP")
        if configured is not None and any(configured.get(k) for k in SERVER_FIELDS
                                          if k.endswith("Server")):
            return  # the config names the servers itself
        # Without a server the config may still ask for a transport (TLS): at the call
        # server's listener of that transport.
        wanted = self.system.call_server_basic_sip(
            str((configured or {}).get("transportProt") or "UDP"))
        if wanted is None:
            return
        mark = self.data_dir / BASIC_SIP_MARK
        current = model.settings.get("BasicSIP")
        ours = json.loads(mark.read_text("utf-8")) if mark.is_file() else None
        unset = not current.get("proxyServer") and not current.get("regServer")
        if unset or {k: current.get(k) for k in SERVER_FIELDS} == ours:
            model.settings.update("BasicSIP", wanted)
            mark.write_text(json.dumps({k: wanted[k] for k in SERVER_FIELDS}), "utf-8")

    def provision_records(self) -> None:
        """The records of the configured RFPs and handsets of this OMM, if missing."""
        cfg = self.system.cfg
        system_name = cfg.pair_head(self.name)
        for i, rfp in enumerate(cfg.rfps):
            if rfp.omm == system_name:
                with refused_as_config_error(f"{cfg.source}: [[rfp]] #{i + 1}"):
                    self.ensure_rfp(rfp)
        for i, handset in enumerate(cfg.handsets):
            if handset.omm == system_name and handset.configured:
                with refused_as_config_error(f"{cfg.source}: [[handset]] #{i + 1}"):
                    self.ensure_device(handset.ipei)

    def ensure_rfp(self, rfp: RfpConfig) -> int | None:
        """The OMM's record of `rfp` (created if missing): enrolment step one (seed 000
        "OMM - IP-RFP Encryption"); its id. None for an OMM of another process: it creates the
        records of its configured RFPs itself."""
        if self.service is None:
            if rfp not in self.system.cfg.rfps:
                raise ValueError(f"OMM {self.name} runs in a process of its own: give the RFP "
                                 "in the config")
            return None
        model = self.model
        colon = mac_text(parse_mac(rfp.mac))
        rfp_id = model.rfps.by_mac.get(colon)
        if rfp_id is not None:
            return int(rfp_id)
        rec = model.rfps.create({"ethAddr": colon, "name": rfp.host_name,
                                 "dectOn": rfp.dect_on, "cluster": rfp.cluster,
                                 "preferredSync": rfp.preferred_sync, "site": rfp.site,
                                 "x": max(0, int(rfp.x)), "y": max(0, int(rfp.y))},
                                model.sites.exists)
        return int(rec["id"])

    def rfp_record(self, mac: str) -> int | None:
        """The OMM's record id of the RFP with this MAC (None: none, or the OMM runs in a
        process of its own)."""
        if self.service is None:
            return None
        found = self.model.rfps.by_mac.get(mac_text(parse_mac(mac)))
        return None if found is None else int(found)

    def rfp_statistics(self, mac: str, record_set: int = 0) -> dict[str, Any]:
        """The OMM's statistics of the RFP with this MAC (GetRFPStatistic's record, by group
        and counter name); ValueError when the OMM runs in a process of its own or does not
        know the RFP."""
        if self.service is None:
            raise ValueError(f"OMM {self.name} runs in a process of its own: ask it over AXI "
                             "(GetRFPStatistic)")
        model = self.model
        rfp_id = model.rfps.by_mac.get(mac_text(parse_mac(mac)))
        if rfp_id is None:
            raise ValueError(f"OMM {self.name} has no RFP {mac}")
        model.request_statistics()
        groups: dict[str, dict[str, int]] = {}
        for counter, value in model.statistics.named(int(rfp_id), record_set, model.clock()):
            groups.setdefault(counter.group, {})[counter.name] = value
        return {"id": int(rfp_id), "omm": self.name, "record_set": record_set,
                "resolution": RESOLUTION, "counters": groups}

    def ensure_device(self, ipei: str) -> None:
        """A device record for `ipei`, so that Configured subscription admits it (an OMM of
        another process creates those of its configured handsets itself)."""
        if self.service is None:
            if not any(h.ipei == ipei for h in self.system.cfg.handsets):
                raise ValueError(f"OMM {self.name} runs in a process of its own: give the "
                                 "handset in the config")
            return
        try:
            self.model.devices.find_by_ipei(ipei)
        except ModelError:
            self.model.devices.create({"ipei": ipei})

    def park(self) -> Any:
        """The PARK the OMM's RFPs broadcast (its fixed part's, else its config's)."""
        if self.service is None:
            return Park.parse(self.cfg.park) if self.cfg.park else DEFAULT_PARK
        return self.service.fixed_part.park

    def auth_code(self) -> str:
        """The system-wide authentication code handsets subscribe with."""
        if self.service is None:
            return str(self.cfg.settings.get("DECTAuthCode", {}).get("ac", "") or "")
        return str(self.model.settings.value("DECTAuthCode", "ac", "") or "")

    def credentials(self) -> list[dict[str, Any]]:
        from sipdect.accounts import DEFAULT_CREDENTIALS

        out = []
        accounts = self.cfg.accounts
        if not any(a.username == "omm" for a in accounts):
            out.append({"component": "omm", "name": self.name, "username": "omm",
                        "password": DEFAULT_CREDENTIALS["omm"],
                        "permissions": list(FULL_ACCESS), "must_change_password": True})
        for a in accounts:
            out.append({"component": "omm", "name": self.name, "username": a.username,
                        "password": a.password,
                        "permissions": list(a.permissions or FULL_ACCESS),
                        "must_change_password": False})
        return out


class ServiceHost(Host):
    """A host that runs one service of a component (a MOM, an Event Manager): stop, kill,
    describe and endpoints are the service's while it runs."""

    service: Any = None

    async def _stop(self) -> None:
        if self.service is not None:
            await self.service.stop()

    async def _kill(self) -> None:
        if self.service is not None:
            await self.service.kill()

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.service is not None and self.running:
            out.update(self.service.describe())
        return out

    def endpoints(self) -> list[Endpoint]:
        if self.service is None or not self.running:
            return []
        return list(self.service.endpoints)


# -- Multi-OMM Manager -------------------------------------------------------------------------


class MomHost(ServiceHost):
    """A Multi-OMM Manager (mom.service): its directory, one sync session per OMM it manages."""

    kind = "mom"

    def __init__(self, system: System, spec: HostSpec, cfg: MomHostConfig,
                 data_dir: Path) -> None:
        super().__init__(system, spec, cfg.mom.host)
        self.cfg = cfg
        self.data_dir = data_dir
        self.service: MomService | None = None
        self._maxi_port: int | None = None
        """The MAXI port bound at the first start: a MOM that boots again listens where its
        clients knew it."""

    def _mom_config(self) -> Any:
        """The MOM's config with each managed OMM where it listens now (its AXI TLS port)."""
        managed = []
        for ref in self.cfg.mom.omms:
            address, port = ref.address, ref.port
            if not address:
                host = self.system.hosts.get(ref.name)
                if isinstance(host, OmmHost) or getattr(host, "kind", "") == "omm":
                    address = host.address  # type: ignore[union-attr]
                    try:
                        port = host.port("axi-tls")  # type: ignore[union-attr]
                    except KeyError:
                        pass
                else:
                    address = self.system.cfg.address_of(ref.name)
            managed.append(dataclasses.replace(ref, address=address, port=port))
        maxi_port = (self._maxi_port if self._maxi_port is not None
                     else self.system.port_of(self.cfg.mom.maxi_port))
        return dataclasses.replace(self.cfg.mom, host=self.address, omms=managed,
                                   maxi_port=maxi_port)

    async def _start(self) -> None:
        from mom.service import MomService

        self.service = MomService(self._mom_config(), self.data_dir, net=self.net)
        await self.service.start()
        self._maxi_port = next(e.port for e in self.service.endpoints if e.protocol == "maxi")



# -- Event Manager ----------------------------------------------------------------------------


class EventMgrHost(ServiceHost):
    """An Event Manager (eventmgr.service): ESPA in, AXI to its OMM, traps out, rules."""

    kind = "eventmgr"

    def __init__(self, system: System, spec: HostSpec, cfg: EventMgrHostConfig,
                 data_dir: Path) -> None:
        super().__init__(system, spec, cfg.em.host)
        self.cfg = cfg
        self.data_dir = data_dir
        self.service: EventMgrService | None = None
        self._espa_port: int | None = None
        """The ESPA port bound at the first start: the control equipment finds it again."""
        self._web_ports: dict[str, int] = {}
        """The web UI's ports bound at the first start (web, web-https): the browser's
        bookmark works after a restart."""

    def _em_config(self) -> Any:
        em = self.cfg.em
        link = em.omm
        if link is not None and self.cfg.omm:
            host = self.system.hosts.get(self.cfg.omm)
            if isinstance(host, OmmHost) or getattr(host, "kind", "") == "omm":
                address, port = host.address, link.port  # type: ignore[union-attr]
                with contextlib.suppress(KeyError):
                    port = host.port("axi-tls")  # type: ignore[union-attr]
            else:
                address, port = self.system.cfg.address_of(self.cfg.omm), link.port
            partner = self.system.cfg.partner_of(self.cfg.omm)
            link = dataclasses.replace(link, address=address, port=port,
                                       standby_address=(self.system.cfg.address_of(partner)
                                                        if partner else link.standby_address),
                                       name=self.cfg.omm)
        espa = em.espa_port
        if espa is not None:
            espa = self._espa_port if self._espa_port is not None else self.system.port_of(espa)
        web = self._web_ports.get("web", self.system.port_of(self.cfg.web_port))
        web_tls = self._web_ports.get("web-https", self.system.port_of(self.cfg.web_tls_port))
        return dataclasses.replace(em, host=self.address, omm=link, espa_port=espa,
                                   web_port=web, web_tls_port=web_tls)

    async def _start(self) -> None:
        from eventmgr.service import EventMgrService

        self.service = EventMgrService(self._em_config(), self.data_dir, net=self.net)
        await self.service.start()
        for e in self.service.endpoints:
            if e.protocol == "espa":
                self._espa_port = e.port
            elif e.protocol in ("web", "web-https"):
                self._web_ports[e.protocol] = e.port

    def credentials(self) -> list[dict[str, Any]]:
        """The web UI's preset account on its default password (changed at first login)."""
        from eventmgr import conventions as em

        return [{"component": "eventmgr", "name": self.name, "username": em.ADMIN,
                 "password": em.ADMIN_DEFAULT_PASSWORD, "permissions": ["full access"],
                 "must_change_password": True}]



# -- call server ------------------------------------------------------------------------------


class PbxHost(Host):
    """The embedded call server (sim.pbx)."""

    kind = "pbx"

    def __init__(self, system: System, spec: HostSpec, cfg: PbxConfig, data_dir: Path) -> None:
        super().__init__(system, spec, cfg.host)
        self.cfg = cfg
        self._extra_trust: list[Path] = []
        port_of = system.port_of
        self.service = _pbx_service(cfg, system.cfg.users, data_dir, port_of, self.net)

    async def _start(self) -> None:
        try:
            await self.service.start()
        except SipTransportError as exc:
            raise OSError(f"call server: {exc}") from None
        if self.starts == 0:
            # A machine that boots again listens where its clients knew it.
            ports = {kind: peer.port for kind, peer in self.service.addresses().items()}
            self.service.listeners = PbxListeners(
                self.service.listeners.host, ports[Transport.UDP], ports.get(Transport.TCP),
                ports.get(Transport.TLS))

    async def _stop(self) -> None:
        await self.service.stop()

    async def _kill(self) -> None:
        await self.service.kill()

    def trust_also(self, certificate: Path) -> None:
        """Trust one more certificate (a phone's) for TLS contacts, beside the OMMs'."""
        self._extra_trust.append(certificate)
        self.system.trust_certificates()

    def endpoints(self) -> list[Endpoint]:
        if not self.running:
            return []
        return [Endpoint("pbx", "PBX", proto, host, port)
                for proto, host, port in self.service.endpoints()]


def _pbx_service(cfg: PbxConfig, users: list[UserConfig], data_dir: Path, port_of: Any,
                 net: HostNet) -> PbxService:
    accounts = {u.number: u.sip_password for u in users}
    accounts.update({a.user: a.password for a in cfg.accounts})
    auth_ids = {u.number: u.auth_id for u in users if u.auth_id}
    server_config = PbxServerConfig(accounts=accounts, auth_ids=auth_ids, realm=cfg.realm,
                                    srtp=SrtpPolicy(cfg.srtp),
                                    digest_algorithms=cfg.digest_algorithms,
                                    max_auth_failures=cfg.max_auth_failures,
                                    max_transactions_per_ip=cfg.max_transactions_per_ip)
    listeners = PbxListeners(
        cfg.host, port_of(cfg.udp_port),
        None if cfg.tcp_port is None else port_of(cfg.tcp_port),
        None if cfg.tls_port is None else port_of(cfg.tls_port))
    return PbxService(server_config, data_dir, listeners, tls_key_type=cfg.tls_key_type, net=net)


# -- RFP --------------------------------------------------------------------------------------


class RfpHost(Host):
    """A base station: its link to its OMM, its radio on the system's air, its RTP."""

    kind = "rfp"

    def __init__(self, system: System, spec: HostSpec, cfg: RfpConfig, key_path: Path) -> None:
        super().__init__(system, spec, cfg.address)
        self.cfg = cfg
        self.key_path = key_path
        self.air_id: int | None = None
        """Its radio's id on the air, the same across restarts."""
        self.rfp_id: int | None = None
        """Its OMM's record id (AXI rfp id)."""
        self.remote: RemoteAir | None = None
        """The world's air over the air link, when it runs alone in a process of its own."""
        self.station: VirtualRfp | None = None

    @property
    def omm_host(self) -> OmmHost:
        return self.system.omm_host(self.cfg.omm)

    async def _start(self) -> None:
        site = self.system.site
        remote = self.system.remote_air
        air: AirMedium
        if remote is not None:
            # In a child process: the world's air over the air link (sim.airlink).
            host, port = remote
            air_id = self.system.air_ids.get(self.name)
            if air_id is None:
                raise ValueError(f"RFP host {self.name}: give its id on the air (--air-id)")
            self.air_id = air_id
            cfg = self.cfg
            self.remote = RemoteAir(
                RadioSite(air_id, cfg.x, cfg.y, air_id % 256,
                          cluster=site.air_cluster(cfg.omm, cfg.cluster),
                          preferred_sync=cfg.preferred_sync, dect_on=cfg.dect_on),
                host, port, mac=parse_mac(cfg.mac), local_host=self.address)
            await self.remote.start()
            air = self.remote
        else:
            self.air_id = site.place_radio(self)
            air = site.air
        radio = RfpRadio(air, self.air_id)
        # ommip1 is its OMM (a pair's first), ommip2 the pair's other one (DHCP option 43).
        omms = {h.name: h for h in self.system.omm_hosts()}
        omm = omms[self.cfg.omm]
        partner = self.system.cfg.partner_of(omm.name)
        second = omms[partner] if partner is not None else None
        station = VirtualRfp(parse_mac(self.cfg.mac), parse_hw_type(self.cfg.hw_type),
                             omm.address, omm.port("rfp-link"), self.key_path, radio,
                             standby_omm=None if second is None else (
                                 second.address, second.port("rfp-link")),
                             net=self.net, ssh_port=self._ssh_port(), hostname=self.name,
                             # Its SNMP agent on 161, traps to the OMM's trap host on 162
                             # (both shifted as every privileged port).
                             snmp_port=self.system.port_of(SNMP_AGENT_PORT)
                             if self.cfg.snmp else None,
                             trap_port=self.system.cfg.shifted(TRAP_PORT))
        self.station = station
        if self.remote is not None:
            self.remote.on_epoch = station.follow_epoch
        await station.start()

    def _ssh_port(self) -> int | None:
        """Port 22 (shifted), or any free one where the system binds so; the port bound at the
        first start again after that (a client knows it); None with `rfp_ssh = false`."""
        if not self.system.cfg.rfp_ssh:
            return None
        if self.station is not None and self.station.ssh is not None:
            return self.station.ssh.port
        return self.system.port_of(SSH_PORT)

    async def ssh_started(self) -> None:
        """Return once its SSH server listens (System.start waits for every RFP's at once)."""
        if self.station is not None:
            await self.station.ssh_started()

    async def _stop(self) -> None:
        await self._off_the_air(graceful=True)

    async def _kill(self) -> None:
        await self._off_the_air(graceful=False)

    async def _off_the_air(self, *, graceful: bool) -> None:
        station = self.station
        if station is None:
            return
        if not graceful:
            station.power_off()  # the link dies without a goodbye, the radio stops at once
        await station.stop()
        station.radio.power(False, station._now())
        station.radio.close()
        assert self.air_id is not None
        if self.remote is not None:
            await self.remote.stop()
            self.remote = None
        else:
            self.system.site.remove_radio(self.air_id)

    @property
    def snmp_port(self) -> int | None:
        """Where its SNMP agent listens (UDP, at its address); None while it does not."""
        station = self.station
        if station is None or station.snmp is None or not self.running:
            return None
        return station.snmp.bound_port

    def endpoints(self) -> list[Endpoint]:
        """Its SSH shells (while they listen) and its SNMP agent (while it runs)."""
        out = []
        station = self.station
        if station is not None and station.ssh is not None and station.ssh.listening:
            out.append(Endpoint("rfp", self.name, "ssh", station.ssh.host, station.ssh.port))
        port = self.snmp_port
        if port is not None:
            out.append(Endpoint("rfp", self.name, "snmp", self.address, port))
        return out

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["omm"] = self.cfg.omm
        out["mac"] = mac_text(parse_mac(self.cfg.mac))
        ssh = self.station.describe().get("ssh") if self.station is not None else None
        if ssh is not None:
            out["ssh"] = ssh
        out["snmp"] = self.snmp_port
        return out


# -- SIP phone ----------------------------------------------------------------------------------


class PhoneHost(Host):
    """An external SIP phone (sim.phone) on its own address, registered at the system's
    call server unless its config names another registrar."""

    kind = "phone"

    def __init__(self, system: System, spec: HostSpec, cfg: PhoneHostConfig,
                 data_dir: Path) -> None:
        super().__init__(system, spec, cfg.address)
        self.cfg = cfg
        self.data_dir = data_dir
        self.service: PhoneService | None = None

    async def _start(self) -> None:
        from sim.phone.service import PhoneService

        phone = self.cfg.phone
        if self.system.any_port:
            phone = dataclasses.replace(phone, sip_port=0)
        pbx = self.system.local_pbx_host()
        call_server = self.system.call_server_address(phone.transport)
        tls_client = pbx.service.tls_client if pbx is not None else None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        service = PhoneService(phone, self.address, call_server=call_server,
                               data_dir=self.data_dir, tls_client=tls_client, net=self.net)
        self.service = service
        await service.start()
        if pbx is not None and service.certificate is not None:
            pbx.trust_also(service.certificate)

    async def _stop(self) -> None:
        assert self.service is not None
        await self.service.stop()

    async def _kill(self) -> None:
        assert self.service is not None
        self.service.kill()

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.service is not None:
            phone = self.service.describe()
            out["user"] = phone.get("user")
            out["registration"] = phone.get("registration")
        return out


# -- shared helpers -------------------------------------------------------------------------------


def ensure_user(model: Any, user: UserConfig) -> None:
    """Create the DECT user if its number is free, bound (Fixed) to its handset's device
    record, which is created too if missing. An existing user is left as it is: it may
    have been changed over AXI since."""
    try:
        model.users.find_by_number(user.number)
        return
    except ModelError:
        pass
    rec = model.users.create({"num": user.number, "name": user.name,
                              "sipPw": user.sip_password, "sipAuthId": user.auth_id or ""})
    if user.handset is None:
        return
    try:
        device = model.devices.find_by_ipei(user.handset)
    except ModelError:
        device = model.devices.create({"ipei": user.handset})
    if not device.get("uid"):
        model.relations.attach(rec["uid"], device["ppn"], "Fixed")


#: The config key of an RFP or handset for the record field an OMM refusal names.
_CONFIG_KEYS = {"ethAddr": "mac", "ipei": "ipei", "site": "site", "name": "name",
                "cluster": "cluster"}


class refused_as_config_error:  # noqa: N801 - used as a context manager, like contextlib's
    """The OMM refusing a record the config asks for (a site that does not exist, ...) is a
    mistake in the config: one line naming the entry and the key, not a traceback."""

    def __init__(self, where: str) -> None:
        self.where = where

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if isinstance(exc, ModelError):
            key = _CONFIG_KEYS.get(exc.field or "", exc.field)
            raise ConfigError(f"{self.where}: {key + ': ' if key else ''}{exc.info}") from None
