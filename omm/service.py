"""One OMM as a running component: model, AXI listeners, timers, syslog.

`sipdect omm --config FILE` runs one of these alone; `sipdect up` runs it inside
a System with the rest of the installation.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from omm import provisioning, sysupdate
from omm.axi.api import AxiApi
from omm.axi.dect import DectBridge
from omm.axi.server import serve
from omm.central import CHANGE_KIND as CENTRAL_CHANGE
from omm.central import SETTING as CENTRAL_SETTING
from omm.config import OmmConfig
from omm.dect.fixed_part import FixedPart
from omm.hub import SipRegistration
from omm.journal import Journal
from omm.license import CHANGE_KIND as LICENSE_CHANGE
from omm.media import RfpMediaControl
from omm.model import OmmLimits, OmmModel, OmmSetup
from omm.rfplink.fixedpart import FixedPartLink
from omm.rfplink.server import RfpLinkServer
from omm.sip import Registrations
from omm.sip.calls import CallControl
from omm.standby import conventions as standby_conventions
from omm.standby.pair import StandbyPair, pair_vault_key
from omm.statistics import voice_capacity
from omm.tables import Change
from omm.umo.monitoring import CheckHandsetNow
from omm.web import OmmWeb, build_site
from omm.web.axi import API_KEY
from omm.web.system import TLS_LEVEL
from sipdect import tls
from sipdect.accounts import FULL_ACCESS, InitialAccount
from sipdect.axi.conventions import OMM_VERSION
from sipdect.link.media import MediaStatistics
from sipdect.link.messages import TypedMessage
from sipdect.net import Endpoint, HostNet
from sipdect.ops.syslog import SyslogSender
from sipdect.sip import TlsServerOptions
from sipdect.web import WebServer

log = logging.getLogger("sipdect.omm")

#: Where a random RTP port base is drawn from when every listener takes any free port.
RTP_ANY_PORT_LOW, RTP_ANY_PORT_HIGH = 20000, 30000


class OmmService:
    def __init__(self, cfg: OmmConfig, data_dir: Path, *, port_of: Any = None,
                 net: HostNet | None = None) -> None:
        """`net`: the OMM's host (its address, cut links, kill); default one at cfg.host."""
        self.cfg = cfg
        self.data_dir = data_dir
        self.net = net or HostNet(cfg.name, cfg.host)
        self._port_of = port_of or (lambda p: p)
        limits = OmmLimits(axi_clients=cfg.axi_clients)
        self._port_base = self._rtp_port_base()
        """The RFPs' first RTP port: the media control's, shown by GetRTP (the RTP setting)."""
        vault_key = pair_vault_key(cfg.standby.secret) if cfg.standby is not None else None
        self.model = OmmModel(data_dir, OmmSetup(cfg.name, self._initial_accounts(),
                                                 self._settings(), limits, vault_key,
                                                 cfg.sites, cfg.sip_ca, license=cfg.license,
                                                 latency_minutes=cfg.license_latency))
        self.api = AxiApi(self.model)
        # The DECT side: RFPs connect to the link server; the fixed part runs the NWK layer.
        self.rfp_link = RfpLinkServer(self.model, self.net.address, self._port_of(cfg.rfp_port),
                                      net=self.net, heartbeat_interval=cfg.rfp_heartbeat)
        self.fixed_part = FixedPart(self.model)
        self.dect_link = FixedPartLink(self.fixed_part, self.rfp_link.send_dnm,
                                       self.rfp_link.connected_ids, on_activity=self._dect_activity)
        self.dect: DectBridge | None = None
        self.servers: list[asyncio.Server] = []
        self.web: WebServer | None = None
        """The web UI while it serves (as AXI: a standby OMM serves none)."""
        self.endpoints: list[Endpoint] = []
        self._expiry: asyncio.TimerHandle | None = None
        self._central_timer: asyncio.TimerHandle | None = None
        self._umo_timer: asyncio.TimerHandle | None = None
        self._license_timer: asyncio.TimerHandle | None = None
        self._update_timer: asyncio.TimerHandle | None = None
        self._syslog: SyslogSender | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        # Calls: the SIP user agent between the fixed part and the RFPs' media gateways.
        # Made (or imported) once: AXI and SIP over TLS present the same certificate.
        self._cert_pair = cert, key = self._certificate()
        self.sip = Registrations(self.model, self.net.address, on_pp_state=self._sip_pp_state,
                                 port=self._port_of(cfg.sip_port), tls_level=cfg.tls_level,
                                 tls_server=TlsServerOptions(cert, key, cfg.tls_level),
                                 tls_cafile=cfg.sip_ca, net=self.net)
        self.media = RfpMediaControl(self.rfp_link.send, self.rfp_link.peer_ip,
                                     port_base=self._port_base)
        self.media.on_channels = self._voice_channels
        self.media.capacity = self._voice_capacity
        self.media.on_rejected = self._voice_rejected
        self.rfp_link.on_media = self._media_report
        self.calls = CallControl(self.model, self.sip, self.fixed_part, self.media,
                                 on_dect_output=self.dect_link.kick)
        self.journal = Journal(self.model)
        # One of a standby pair: serves nothing until its pair's machine makes it active.
        self.pair: StandbyPair | None = None
        self.serving = False
        """AXI, the RFP link and SIP are up (always for a single OMM; the active of a pair)."""
        self._serve_started = False
        self.on_reset: Callable[[int], None] | None = None
        """Restarts this OMM when its pair resets it (A.2; the host that runs it sets it)."""
        self.on_active: Callable[[], None] | None = None
        """Called when its pair makes it active, before it serves (its host provisions the
        configured records then: a standby takes its partner's)."""
        self.served_apart = False
        """This OMM restarted after yielding to its longer-running partner (exit code 45)."""
        self._stale = False
        """The partner's changes are in the store but not yet in the model."""

    def _settings(self) -> dict[str, dict[str, Any]]:
        """The configured settings, with the PARK the installation was given (its licence's,
        read-only over AXI)."""
        rtp = {**self.cfg.settings.get("RTP", {}), "portBase": self._port_base}
        settings = {**self.cfg.settings, "RTP": rtp}
        if not self.cfg.park:
            return settings
        return {**settings, "PARK": {"park": self.cfg.park}}

    def _initial_accounts(self) -> list[InitialAccount]:
        return [InitialAccount(a.username, a.password, a.permissions or FULL_ACCESS)
                for a in self.cfg.accounts]

    def _rtp_port_base(self) -> int:
        """The configured RTP port base; with any-port listeners (tests, library use) a random
        even base, so that systems started side by side do not race for the same ports."""
        if self._port_of(self.cfg.rtp_port_base):
            return self.cfg.rtp_port_base
        return 2 * secrets.randbelow((RTP_ANY_PORT_HIGH - RTP_ANY_PORT_LOW) // 2) + RTP_ANY_PORT_LOW

    def _voice_capacity(self, rfp_id: int) -> int:
        record = self.model.rfps.table.get(rfp_id)
        return voice_capacity(str(record.get("hwType", "")) if record is not None else "")

    def _voice_channels(self, rfp_id: int, in_use: int) -> None:
        self.model.statistics.voice_channels(rfp_id, in_use, self.model.clock(),
                                             self._voice_capacity(rfp_id))

    def _voice_rejected(self, rfp_id: int) -> None:
        self.model.statistics.voice_rejected(rfp_id, self.model.clock())

    def _media_report(self, rfp_id: int, message: Any) -> None:
        if isinstance(message, MediaStatistics):
            self.model.statistics.media_stream(
                rfp_id, duration=message.duration, packets_rx=message.rx_packets,
                octets_rx=message.rx_bytes, packets_tx=message.tx_packets,
                octets_tx=message.tx_bytes, lost=message.lost_packets,
                max_jitter_us=message.max_jitter)
        if isinstance(message, TypedMessage):
            self.media.receive(rfp_id, message)

    def _certificate(self) -> tuple[Path, Path]:
        """The installation's certificate (imported PEM, else its own self-signed one), used
        for AXI and SIP over TLS alike."""
        directory = self.data_dir
        if self.cfg.tls_cert and self.cfg.tls_key:
            return tls.import_pem(directory, self.cfg.tls_cert.read_bytes(),
                                  self.cfg.tls_key.read_bytes())
        return tls.ensure_certificate(directory, f"sipdect {self.cfg.name}",
                                      ("localhost", self.cfg.host), self.cfg.tls_key_type)

    def tls_context(self) -> Any:
        return tls.server_context(*self._cert_pair, self.cfg.tls_level)

    async def start(self) -> None:
        """Boot: a single OMM serves at once; one of a pair looks for its partner first and
        serves when its pair's state machine makes it active."""
        self.net.revive()  # a host started again after a kill
        standby = self.cfg.standby
        if standby is None:
            await self.provision()
            await self._serve()
            self.model.log("Always", "OMM", f"OMM '{self.cfg.name}' started (sipdect emulator)")
            return
        self.model.log("Always", "OMM", f"OMM '{self.cfg.name}' started (sipdect emulator), "
                       f"one of a standby pair with {standby.partner}")
        self.pair = StandbyPair(
            standby, self, store=self.model.store, address=self.net.address, net=self.net,
            server_tls=self.tls_context(), status=self.model.standby, event_log=self.model.log,
            omm_type=standby.omm_type or standby_conventions.OMM_TYPE,
            version=standby.version or OMM_VERSION, served_apart=self.served_apart)
        self.api.barrier = self.pair.flushed
        await self.pair.start()
        self.endpoints.append(Endpoint("omm", self.cfg.name, "standby", self.net.address,
                                       standby.port))

    async def _serve(self) -> None:
        """AXI, the RFP link server, the fixed part and the SIP user agent."""
        self._serve_started = True
        host = self.net.address
        ctx = self.tls_context()
        plain = await serve(self.api, host, self._port_of(self.cfg.axi_port), net=self.net)
        secure = await serve(self.api, host, self._port_of(self.cfg.axi_tls_port), ctx,
                             net=self.net)
        self.servers = [plain, secure]
        for server, proto in ((plain, "axi"), (secure, "axi-tls")):
            port = server.sockets[0].getsockname()[1]
            self.endpoints.append(Endpoint("omm", self.cfg.name, proto, host, port))
        await self._serve_web(ctx)
        loop = asyncio.get_running_loop()
        self.dect = DectBridge(self.api, self.fixed_part, self.dect_link.kick, loop.time)
        self.model.hub.subscribe(self.calls.handle)
        self.model.hub.subscribe(self._check_handset)
        self.model.hub.subscribe(self._on_hub)
        self.dect_link.attach(self.rfp_link, loop)
        await self.rfp_link.start()
        self.endpoints.append(Endpoint("omm", self.cfg.name, "rfp-link", host,
                                       self.rfp_link.port))
        self.model.add_listener(self._on_change)
        self._arm_expiry()
        self._arm_central()
        self.model.umo.wake = self._arm_umo
        self._arm_umo()
        self.model.license.refresh(self.model.clock())
        self._arm_license()
        self._arm_update_trigger()
        await self._configure_syslog(from_config=True)
        await self.sip.start()
        for transport, peer in self.sip.locals.items():
            self.endpoints.append(Endpoint("omm", self.cfg.name, f"sip-{transport.value.lower()}",
                                           peer.host, peer.port))
        self.serving = True

    async def _serve_web(self, ctx: Any) -> None:
        """The web UI: HTTPS with the installation's certificate and TLS level, HTTP that
        redirects to it."""
        version = (self.cfg.standby.version if self.cfg.standby is not None else "") \
            or OMM_VERSION
        facts = OmmWeb(self.model, self.cfg.name, self.net.address, version,
                       sip_registered=lambda: sum(1 for r in self.sip.users.values()
                                                  if r.registered))
        site = build_site(facts)
        site.app[API_KEY] = self.api  # the pages' writes are AXI requests (omm.web.axi)
        self.web = WebServer(site, self.net.address,
                             https_port=self._port_of(self.cfg.web_tls_port),
                             http_port=self._port_of(self.cfg.web_port), tls=ctx, net=self.net)
        facts.extra[TLS_LEVEL] = self.cfg.tls_level.value  # shown on the system settings page
        await self.web.start()
        self.endpoints.append(Endpoint("omm", self.cfg.name, "web", self.net.address,
                                       self.web.http_port))
        self.endpoints.append(Endpoint("omm", self.cfg.name, "web-https", self.net.address,
                                       self.web.https_port))

    async def provision(self) -> provisioning.Outcome | None:
        """Apply the provisioning files of the URL in force (at start, and on request); None
        when no URL is set. Errors are the model's health and event log (omm.provisioning)."""
        url = provisioning.url_in_force(self.model, self.cfg.config_url)
        if url is None:
            return None
        return await provisioning.provision(self.api, url, self.cfg.mac or None,
                                            source=self.net.address)

    # -- the standby pair's requests (omm.standby.pair.PairOwner) --------------------------------
    async def become_active(self) -> None:
        """The pair made this OMM active: read what the partner sent, then serve."""
        if self._serve_started:
            return
        self._read_partner_changes()
        self.model.umo.restart(self.model.clock())  # startupDelay "after failover"
        if self.on_active is not None:
            self.on_active()
        await self.provision()
        await self._serve()
        self.model.log("Always", "OMM", f"OMM '{self.cfg.name}' is the active OMM of its pair")

    def partner_applied(self) -> None:
        """The partner's changes are in the store. A standby serves nobody: its model reads
        them when it needs them (it becomes active, it probes the PBX), once for any number
        of changes (conventions.RELOAD_WHEN_NEEDED)."""
        self._stale = True

    def _read_partner_changes(self) -> None:
        if self._stale:
            self._stale = False
            self.model.reload()

    def reset_omm(self, exit_code: int) -> None:
        """A.2's reset: the host restarts the OMM (on_reset), else it stops."""
        self.model.log("MajorErr", "OMM", f"OMM reset (exit code {exit_code})")
        log.warning("OMM %s: reset with exit code %d", self.cfg.name, exit_code)
        if self.on_reset is not None:
            self.on_reset(exit_code)
        else:
            task = asyncio.get_running_loop().create_task(self.stop())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def probe_pbx(self, timeout: float) -> bool:
        """Is the call server reachable: REGISTER of the user with the lowest number and
        OPTIONS to the proxy, from this OMM's address; any answer counts (A.2)."""
        from omm.standby.probe import probe_pbx, target_of

        self._read_partner_changes()  # the call server and users as the partner left them
        outcome = await probe_pbx(target_of(self.model, self.net.address,
                                            tls_level=self.cfg.tls_level,
                                            tls_cafile=self.sip.tls_cafile), net=self.net,
                                  timeout=timeout)
        self.model.log("GenInfo" if outcome.reachable else "MinorErr", "OMM",
                       f"Standby: PBX probe: {outcome}")
        return bool(outcome.reachable)

    def _sip_pp_state(self, ppn: int, values: dict[str, str]) -> None:
        self.model.hub.publish(SipRegistration(ppn, values))
        self.api.deliver()

    def _dect_activity(self) -> None:
        """The fixed part ran: everything it reports goes onto the hub, then to AXI clients."""
        while (event := self.fixed_part.next_event()) is not None:
            self.model.hub.publish(event)
        self.api.deliver()

    def _on_change(self, change: Change) -> None:
        if change.kind == "setting" and change.key == "DECTSubscriptionMode":
            self._arm_expiry()
        if change.kind == CENTRAL_CHANGE or (change.kind == "setting"
                                             and change.key == CENTRAL_SETTING):
            self._arm_central()
        if change.kind == LICENSE_CHANGE:
            self._arm_license()
        if change.kind == "setting" and change.key == sysupdate.TRIGGER_SETTING:
            self._arm_update_trigger()
        if change.kind == "setting" and change.key == "SyslogServer":
            task = asyncio.get_running_loop().create_task(self._configure_syslog())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def reset(self) -> None:
        """Back to a new installation as configured, on the same listeners (Emulator.reset):
        AXI sessions and RFP links dropped, calls ended, the model wiped with its initial
        accounts and settings, the fixed part's memory of PPs gone, then its provisioning files
        applied as at start. Other users, RFPs and devices are the owner's to provision again;
        SIP registrations follow the users."""
        for link in list(self.api.sessions.values()):
            link.abort("emulator reset")
        self.calls.close()
        self.rfp_link.drop_all("the OMM is reset")
        self.fixed_part.forget_pps()
        self.model.reset(self._initial_accounts())
        if self.web is not None:
            self.web.site.end_all()
        await self.provision()
        self._arm_expiry()
        self._arm_license()
        self._arm_update_trigger()
        await self._configure_syslog(from_config=True)

    async def _configure_syslog(self, *, from_config: bool = False) -> None:
        """RFC 5424 over UDP when configured; off by default as in seed 000. `from_config`:
        the config's syslog host first becomes the SyslogServer setting (start, reset)."""
        if from_config and self.cfg.syslog_host:
            self.model.settings.update("SyslogServer", {
                "enable": True, "ipAddr": self.cfg.syslog_host, "port": self.cfg.syslog_port},
                notify=False)
        if self._syslog is not None:
            self.model.event_log.unsubscribe(self._syslog.send)
            self._syslog.close()
            self._syslog = None
        s = self.model.settings.get("SyslogServer")
        if s.get("enable") and s.get("ipAddr"):
            try:
                self._syslog = await SyslogSender.create(s["ipAddr"], int(s.get("port", 514)),
                                                         hostname=self.cfg.name, net=self.net)
            except OSError as exc:
                log.warning("OMM %s: syslog server %s:%s unusable: %s", self.cfg.name,
                            s["ipAddr"], s.get("port"), exc)
                return
            self.model.event_log.subscribe(self._syslog.send)

    def _arm_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        deadline = self.model.subscription.next_deadline()
        if deadline is not None:
            loop = asyncio.get_running_loop()
            delay = max(0.0, deadline - self.model.clock())
            self._expiry = loop.call_later(delay, self._on_expiry)

    def _arm_central(self) -> None:
        """The userDeviceSync health's grace timer (omm.central), in the model's clock."""
        if self._central_timer is not None:
            self._central_timer.cancel()
            self._central_timer = None
        deadline = self.model.central.get_timer()
        if deadline is not None:
            delay = max(0.0, deadline - self.model.clock())
            self._central_timer = asyncio.get_running_loop().call_later(delay, self._on_central)

    def _arm_license(self) -> None:
        """When the licence's latency period runs out (omm.license), in the model's clock."""
        if self._license_timer is not None:
            self._license_timer.cancel()
            self._license_timer = None
        deadline = self.model.license.get_timer()
        if deadline is not None:
            delay = max(0.0, deadline - self.model.clock())
            self._license_timer = asyncio.get_running_loop().call_later(delay, self._on_license)

    def _on_license(self) -> None:
        self._license_timer = None
        self.model.license.handle_timer(self.model.clock())
        self.api.deliver()
        self._arm_license()

    def _arm_update_trigger(self) -> None:
        """The daily provisioning check (SystemProvUpdTrig, omm.sysupdate), in the model's
        clock."""
        if self._update_timer is not None:
            self._update_timer.cancel()
            self._update_timer = None
        now = self.model.clock()
        deadline = sysupdate.trigger_deadline(self.model, now)
        if deadline is not None:
            self._update_timer = asyncio.get_running_loop().call_later(
                max(0.0, deadline - now), self._on_update_trigger)

    def _on_update_trigger(self) -> None:
        self._update_timer = None
        self.model.log("GenInfo", "PROV", "Daily provisioning update (SystemProvUpdTrig)")
        self._spawn(self.provision())
        self._arm_update_trigger()

    def _on_hub(self, event: object) -> None:
        if isinstance(event, sysupdate.UpdateRequested):
            self._spawn(self.provision())

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_central(self) -> None:
        self._central_timer = None
        self.model.central.handle_timer(self.model.clock())
        self.api.deliver()
        self._arm_central()

    def _arm_umo(self) -> None:
        """User monitoring's next deadline (omm.umo), in the model's clock."""
        if self._umo_timer is not None:
            self._umo_timer.cancel()
            self._umo_timer = None
        deadline = self.model.umo.get_timer()
        if deadline is not None:
            delay = max(0.0, deadline - self.model.clock())
            self._umo_timer = asyncio.get_running_loop().call_later(delay, self._on_umo)

    def _on_umo(self) -> None:
        self._umo_timer = None
        self.model.umo.handle_timer(self.model.clock())  # re-arms through umo.wake
        self.api.deliver()

    def _check_handset(self, event: object) -> None:
        """Active user monitoring asks whether a handset is in reach: the fixed part pages it."""
        if not isinstance(event, CheckHandsetNow):
            return
        if self.fixed_part.check_presence(event.ppn, asyncio.get_running_loop().time()):
            self.model.umo.present(event.ppn)
        self.dect_link.kick()

    def _on_expiry(self) -> None:
        self._expiry = None
        self.model.subscription.expire()
        self.api.deliver()
        self._arm_expiry()

    async def kill(self) -> None:
        """A power cut: every socket of the OMM's host gone at once (connections reset, no
        BYE, no link goodbye) and every timer with it. What the OMM acknowledged is on disk
        already: the model writes through before each answer."""
        self.net.kill()
        self.calls.abandon()
        await self._teardown()

    async def stop(self) -> None:
        self.calls.close()
        await self._teardown()

    async def _teardown(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        if self._central_timer is not None:
            self._central_timer.cancel()
        if self._umo_timer is not None:
            self._umo_timer.cancel()
            self._umo_timer = None
        self.model.umo.wake = lambda: None
        if self._license_timer is not None:
            self._license_timer.cancel()
        if self._update_timer is not None:
            self._update_timer.cancel()
        if self.pair is not None:
            self.pair.close()
        if self._serve_started:
            await self.sip.stop()
            for server in self.servers:
                server.close()
            if self.web is not None:
                await self.web.stop()
                self.web = None
            for link in list(self.api.sessions.values()):
                link.abort("OMM shutting down")
            await self.rfp_link.stop()
            self.dect_link.detach()
            for server in self.servers:
                await server.wait_closed()
            self.serving = self._serve_started = False
        if self._syslog is not None:
            self._syslog.close()
        for task in list(self._tasks):
            task.cancel()
        self.model.close()
