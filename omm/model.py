"""The OMM's state and behaviour, apart from any wire format (ARCHITECTURE.md principle 2).

AXI, the web UI and MAXI call these methods; each change is committed to SQLite
before the method returns and announced as a Change for event delivery.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omm.access import Accounts
from omm.alarms import AlarmTriggers
from omm.banner import DEFAULTS as BANNER_DEFAULTS
from omm.banner import SETTING as BANNER_SETTING
from omm.central import DEFAULTS as CENTRAL_DEFAULTS
from omm.central import SETTING as CENTRAL_SETTING
from omm.central import UNSET_SARI, CentralMode
from omm.devices import Devices
from omm.health import Health
from omm.hub import OmmHub
from omm.lastaction import LastActions
from omm.license import CHANGE_KIND as LICENSE_CHANGE
from omm.license import FILE_SETTING as LICENSE_FILE
from omm.license import FULL as FULL_LICENSE
from omm.license import LATENCY_MINUTES, Facts, License
from omm.licensefile import Grant, LicenseFileError
from omm.licensefile import parse as parse_license
from omm.ppstate import PpLiveStates
from omm.relations import Relations
from omm.rfps import Rfps
from omm.settings import Settings
from omm.sites import Sites
from omm.snmp import FACTORY as SNMP_FACTORY
from omm.snmp import SETTING as SNMP_SETTING
from omm.standby.status import StandbyStatus
from omm.statistics import RfpStatistics
from omm.subscription import SubscriptionWindow
from omm.sysstatistics import SystemStatistics
from omm.tables import Change
from omm.umo import conventions as umo_conventions
from omm.umo.monitoring import Sources, UserMonitoring
from omm.users import Users
from sipdect import clock
from sipdect.accounts import InitialAccount
from sipdect.ops.eventlog import EventLog, LogEntry
from sipdect.store import Store
from sipdect.vault import AxiKeyPair, Vault

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema: one JSON row per record, keyed by its id.
    """
    CREATE TABLE settings (k TEXT PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE accounts (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE users (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE devices (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE rfps (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE sites (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE eventlog (k INTEGER PRIMARY KEY, v TEXT NOT NULL)
    """,
    # 2: alarm triggers (issue 15).
    """
    CREATE TABLE alarmtriggers (k INTEGER PRIMARY KEY, v TEXT NOT NULL)
    """,
)

REPLICATED_TABLES: tuple[str, ...] = ("settings", "accounts", "users", "devices", "rfps", "sites",
                                      "alarmtriggers")
"""What the active OMM copies to its standby partner (omm.standby): the configuration, keys
included. The event log stays each OMM's own: it tells what happened to that machine."""


@dataclass
class OmmLimits:
    """Capacities (features.md §1); the defaults are the 'OMM on Linux' profile."""

    users: int = 10000
    devices: int = 10000
    rfps: int = 4096
    sites: int = 250
    axi_clients: int = 100
    event_log: int = 1000


@dataclass
class OmmSetup:
    """What a system config says about one OMM's initial state."""

    name: str = "OMM"
    accounts: list[InitialAccount] = field(default_factory=list)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    limits: OmmLimits = field(default_factory=OmmLimits)
    vault_key: bytes | None = None
    """The key secrets are sealed with; None: the installation's own (vault.key, made at the
    first start). A standby pair's two OMMs share one, so each opens what the other sealed."""
    sites: list[dict[str, Any]] = field(default_factory=list)
    """Sites of a new installation (SiteType values), beside or in place of the default."""
    sip_ca: Path | None = None
    """The PEM file of the certificates SIP over TLS trusts (OMP's SIP "PEM file import")."""
    license: Grant = FULL_LICENSE
    """What the installation is licensed for (omm.license; [omm.license])."""
    latency_minutes: int = LATENCY_MINUTES
    """The licence's full latency (grace) period, minutes."""


#: Factory settings of a new installation (seed 000 defaults where it has one).
DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "SystemName": {"name": "OMM"},
    "DECTSubscriptionMode": {"mode": "Off", "timeout": 3, "until": 0.0},
    "DevAutoCreate": {"enable": False},
    "RFPCapture": {"enable": False},
    "DECTEncryption": {"enable": True},
    "DECTAuthCode": {"ac": ""},
    "DECTRegDomain": {"regDomain": "EMEA"},
    "RestrictedSubscriptionDuration": {"restrictedSubscrDur": False},
    "RemoteAccess": {"enable": False},
    "SyslogServer": {"enable": False, "forward": False, "ipAddr": "", "port": 514},
    # The RFPs' SNMP agents (omm.snmp): no community until an administrator sets one.
    SNMP_SETTING: dict(SNMP_FACTORY),
    "PARK": {"park": ""},
    "SARI": {"sari": UNSET_SARI},
    CENTRAL_SETTING: dict(CENTRAL_DEFAULTS),
    "EULAConfirm": {"confirm": True},
    # The web UI's pre-login banner (omm.banner): empty, not active.
    BANNER_SETTING: dict(BANNER_DEFAULTS),
    "DECTPagingAreaSize": {"size": "64"},
    "PPLoginVariant": {"login": "NUMBER"},
    "BasicSIP": {"proxyServer": "", "proxyPort": 5060, "regServer": "", "regPort": 5060,
                 "regPeriod": 3600, "transportProt": "UDP", "outboundProxyServer": "",
                 "outboundProxyPort": 5060},
    "BackupSIP": {"failoverActive": False, "failoverTime": 30,
                  **{f"{tier}{name}": value for tier in ("secondary", "tertiary")
                     for name, value in (("ProxyServer", ""), ("ProxyPort", 5060),
                                         ("RegServer", ""), ("RegPort", 5060),
                                         ("OutboundProxyServer", ""),
                                         ("OutboundProxyPort", 5060))}},
    "SecureSIP": {"keepAliveTimeoutEnable": False, "timeout": 60, "sendSipsOverTLS": False,
                  "authenticationTLS": True, "commonNameValidationTLS": True},
    # Codec preference (AXI RTPType `type` list); G.729-A is not emulated.
    "RTP": {"type": ["G.711-A-law", "G.711-u-law", "G.722"], "packetTime": 20,
            "receiverPrecedence": False, "singleCodecReplyInSDP": False},
    "DTMF": {"outOfBand": True, "payloadType": 101, "method": "RFC2833"},
    umo_conventions.SETTING: dict(umo_conventions.DEFAULTS),
    "SystemProvUpdTrig": {"enable": False, "hour": 0, "minute": 0},
    "NTPServer": {"default": True, "ntpServerName1": "", "ntpServerName2": "",
                  "ntpServerName3": ""},
    "TimeZone": {"id": "UTC"},
    "PPFirmwareUpdate": {"enable": False, "name": ""},
    "SoftwareUpdate": {"timedUpdate": False, "allAtOnce": True, "hour": 0, "minute": 0},
    "SystemCredentials": {"username": "", "passwordSealed": ""},
}


_KEPT = ("_listeners", "hub", "pp_live", "last_actions", "request_statistics", "sys_statistics")
"""What any re-read of an OmmModel keeps (reset, reload): their owners hold these objects."""
_KEPT_ON_RELOAD = (*_KEPT, "started", "event_log", "statistics")
"""A standby's reload keeps its start time, event log (not replicated) and RFP statistics."""
_LIVE_STATE = ("health", "standby", "central", "umo")
"""Live state every re-read keeps and binds to the new tables (OmmModel._keep_live_state)."""


class OmmModel:
    """Everything one OMM knows, in memory, written through to its data directory."""

    def __init__(self, data_dir: Path, setup: OmmSetup,
                 clock: Callable[[], float] = clock.wall, *, store: Store | None = None,
                 keys: AxiKeyPair | None = None,
                 initial_hashes: dict[str, str] | None = None,
                 judge_license: bool = True) -> None:
        """keys, initial_hashes: what a reset keeps (the AXI key pair; the password hash of
        each initial account, by username and password): loading the one and hashing the
        others again (scrypt, by design slow) was nine tenths of a test fixture's reset.
        judge_license: False when re-reading (reset, reload): the caller judges it once the
        live state (health, event log) is back in place."""
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.setup = setup
        self.clock = clock
        self.limits = setup.limits
        self.store = store or Store(data_dir / "omm.sqlite", MIGRATIONS)
        self.vault = Vault.open(data_dir, setup.vault_key)
        self.keys = keys or AxiKeyPair.load_or_create(data_dir, self.vault)
        self.initial_hashes: dict[str, str] = {} if initial_hashes is None else initial_hashes
        self._listeners: list[Callable[[Change], None]] = []
        self.hub = OmmHub()
        """The OMM's parts publish what happens here and hear of each other (omm.hub)."""
        self.pp_live = PpLiveStates(self.hub)
        """Every device's live state (GetPPState), in memory."""
        self.last_actions = LastActions(self.hub, clock)
        """Every device's last DECT transaction (GetLastPPDevAction), in memory."""
        notify = self._notify
        defaults = {k: dict(v) for k, v in DEFAULT_SETTINGS.items()}
        defaults["SystemName"]["name"] = setup.name
        for group, values in setup.settings.items():
            defaults.setdefault(group, {}).update(values)
        self.settings = Settings(self.store, notify, defaults)
        self.accounts = Accounts(self.store, notify, setup.name, setup.accounts,
                                 self.initial_hashes)
        self.health = Health(notify)
        """Each reporting component's severity and reason (GetHealthState)."""
        self.central = CentralMode(self.settings, self.health, self.log, notify)
        """Central user/device management by a MOM (omm.central)."""
        self.users = Users(self.store, self.vault, notify, clock, self.limits.users,
                           local_values=self.central.local_user_values)
        self.devices = Devices(self.store, self.vault, notify, clock, self.limits.devices,
                               local_values=self.central.local_device_values)
        self.relations = Relations(self.users, self.devices)
        self.sites = Sites(self.store, notify, self.limits.sites, setup.sites)
        self.sip_ca = setup.sip_ca
        """Certificates imported for SIP over TLS (GetSecureSIPCertificate); None: none."""
        self.rfps = Rfps(self.store, notify, self.limits.rfps)
        self.alarm_triggers = AlarmTriggers(self.store, notify)
        self.subscription = SubscriptionWindow(self.settings, clock)
        window = self.settings.get("DECTSubscriptionMode")
        if window.get("mode", "Off") != "Off" and not window.get("until"):
            # A configured initial mode opens its window at the first start.
            self.subscription.set(str(window["mode"]), window.get("timeout"))
        self.event_log = EventLog(capacity=self.limits.event_log, clock=clock)
        self.event_log.load([LogEntry(**v) for _, v in self.store.load_json("eventlog")])
        self.event_log.subscribe(self._persist_log_entry)
        self.event_log.subscribe_removals(self._forget_log_entry)
        self.standby = StandbyStatus(notify, self.log, self.health)
        """What AXI shows of the standby pair; no standby until the pair's owner says."""
        self.license = License(self._stored_license(setup.license), self.settings, self.health,
                               self.log, notify, self.license_facts,
                               latency_minutes=setup.latency_minutes)
        """How the licence stands (GetLicense, health `license`)."""
        self.started = clock()
        self.statistics = RfpStatistics(self.started)
        """RFP statistics (omm.statistics); the RFP link server feeds it."""
        self.sys_statistics = SystemStatistics(self.hub, clock)
        """System statistics (omm.sysstatistics), from what the hub tells."""
        self.request_statistics: Callable[[], None] = lambda: None
        """Ask the RFPs for fresh BMC counters (the RFP link server sets it while it serves)."""
        self.central.refresh(clock())  # central mode persisted: its health from the start
        self.umo = UserMonitoring(self._umo_sources(), self.hub, clock())
        """User monitoring (omm.umo): each monitored user's live states."""
        self.umo.refresh(clock())
        if judge_license:
            self.license.refresh(clock())

    def _umo_sources(self) -> Sources:
        return Sources(self.settings, self.users, self.devices, self.pp_live, self.health,
                       self._notify, self.log, self.clock)

    # -- licence ------------------------------------------------------------------
    def _stored_license(self, configured: Grant) -> Grant:
        """An uploaded licence file (FILE_SETTING) before the configured licence."""
        text = str(self.settings.value(LICENSE_FILE, "text", "") or "")
        if not text:
            return configured
        try:
            return parse_license(text)
        except LicenseFileError as exc:  # signed when it was taken: only a damaged database
            self.log("MajorErr", "LICENSE", f"the uploaded licence file is unusable ({exc}); "
                                            "the configured licence applies")
            return configured

    def install_license(self, text: str) -> Grant:
        """Take a licence file (AXI PutFile ":license"): it is kept, its PARK becomes the
        installation's, and the licence is judged again. LicenseFileError says why not."""
        grant = parse_license(text)
        self.license.grant = grant  # judged once, with the PARK that comes with it
        with self.store.transaction():
            self.settings.update(LICENSE_FILE, {"text": text}, notify=False)
            if grant.park:
                self.settings.update("PARK", {"park": grant.park})
        self.license.install(grant, self.clock())
        self.log("GenInfo", "LICENSE", f"License file installed: {grant.rfps} RFPs, key "
                                       f"{grant.key}")
        return grant

    def _counts_locatables(self) -> bool:
        """Only a licence for fewer locatable users than the OMM can hold needs them counted
        (a count per user change would make a bulk import quadratic)."""
        return self.license.grant.locating < self.limits.users

    def license_facts(self) -> Facts:
        """What the licence is judged on now (omm.license.Facts)."""
        from omm.central import installation_park

        validation = []
        for mac in self.license.grant.rfp_macs:
            rfp_id = self.rfps.by_mac.get(mac)
            connected = rfp_id is not None and bool(self.rfps.live(rfp_id).get("connected"))
            validation.append((-1 if rfp_id is None else rfp_id, mac, connected))
        locatables = sum(1 for u in self.users.table if u.get("locatable")) \
            if self._counts_locatables() else 0
        return Facts(str(installation_park(self.settings)).upper(), len(self.rfps),
                     tuple(validation), locatables)

    def _license_concerned(self, change: Change) -> bool:
        if change.kind == "rfp":
            return change.fields is None or change.deleted or "ethAddr" in change.fields
        if change.kind == "rfpState":
            return change.fields is not None and "connected" in change.fields and \
                bool(self.license.grant.rfp_macs)
        if change.kind == "user":
            return self._counts_locatables()
        return change.kind == "setting" and change.key == "PARK"

    # -- change notices -----------------------------------------------------
    def _notify(self, change: Change) -> None:
        if change.kind == "setting" and change.key in (CENTRAL_SETTING, "SARI", "PARK"):
            self.central.refresh(self.clock())  # the userDeviceSync health may change
        umo: UserMonitoring | None = getattr(self, "umo", None)  # None while being made
        if umo is not None:
            umo.on_change(change, self.clock())
        if change.kind != LICENSE_CHANGE and hasattr(self, "license") and \
                self._license_concerned(change):
            self.license.refresh(self.clock())
        for listener in list(self._listeners):
            listener(change)

    def add_listener(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Change], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- event log ------------------------------------------------------------
    def _persist_log_entry(self, entry: LogEntry) -> None:
        self.store.put_json("eventlog", entry.id, entry.__dict__)
        self._notify(Change("eventlog", entry.id))

    def _forget_log_entry(self, entry: LogEntry) -> None:
        self.store.delete("eventlog", entry.id)

    def log(self, level: str, subsystem: str, text: str) -> LogEntry:
        return self.event_log.add(level, subsystem, text)

    def log_repeated(self, level: str, subsystem: str, kind: str, source: str,
                     text: Callable[[int], str]) -> LogEntry:
        """Log one more `kind` event caused by `source` (an address): all of them share one
        entry with a count, so a flood from one source cannot push others out."""
        return self.event_log.add_repeated(level, subsystem, kind, source, text)

    def clear_event_log(self) -> None:
        self.event_log.clear()
        self.store.clear("eventlog")

    # -- composite operations ---------------------------------------------------
    def delete_user(self, uid: int) -> None:
        with self.store.transaction():
            user = self.users.get(uid)
            self.relations.user_deleted(user)
            self.users.delete(uid)

    def delete_device(self, ppn: int) -> None:
        with self.store.transaction():
            device = self.devices.get(ppn)
            self.relations.device_deleted(device)
            self.devices.delete(ppn)
        self.last_actions.forget(ppn)

    def delete_site(self, site_id: int) -> None:
        self.sites.delete(site_id, self.rfps.on_site(site_id))

    def reset(self, accounts: Iterable[InitialAccount] | None = None) -> None:
        """Back to a new installation (for test fixtures); keys and certificates stay."""
        with self.store.transaction():
            for table in ("settings", "accounts", "users", "devices", "rfps", "sites",
                          "alarmtriggers", "eventlog"):
                self.store.clear(table)
        setup = self.setup if accounts is None else dataclasses.replace(
            self.setup, accounts=list(accounts), vault_key=None)
        self._read_again(_KEPT, setup, keys=self.keys, initial_hashes=self.initial_hashes)
        # Live state keeps its objects (their owners hold them) but starts afresh.
        self.last_actions.forget()
        self.sys_statistics.reset()
        self.pp_live.forget()
        self.health.forget()
        self.standby.forget()
        self.central.forget()
        self.umo.restart(self.clock())
        self.license.refresh(self.clock())

    def reload(self) -> None:
        """Read every record again from the store, which changed under the model (the standby
        applied its partner's changes or snapshot). Listeners, hub, live PP state, the store,
        its observers, the start time, the event log (not replicated), health and standby
        status stay; nothing is announced (a standby serves no clients)."""
        standing = self.license.standing
        self._read_again(_KEPT_ON_RELOAD, self.setup)
        self.umo.refresh(self.clock())
        self.license.standing = standing
        self.license.refresh(self.clock())

    def _read_again(self, kept: tuple[str, ...], setup: OmmSetup, **init: Any) -> None:
        """Make the model afresh from its store (the same store: its observers, e.g. a standby
        pair's replication, keep hearing), keeping the objects named in `kept` and the live
        state (_LIVE_STATE): their owners hold them."""
        saved = {name: getattr(self, name) for name in (*kept, *_LIVE_STATE)}
        self.__init__(self.data_dir, setup, self.clock, store=self.store,  # type: ignore[misc]
                      judge_license=False, **init)
        for name in kept:
            setattr(self, name, saved[name])
        self._keep_live_state(*(saved[name] for name in _LIVE_STATE))

    def _keep_live_state(self, health: Health, standby: StandbyStatus,
                         central: CentralMode, umo: UserMonitoring) -> None:
        """Put back the live-state objects of before a re-read (their owners hold them); the
        record tables read central mode through them, monitoring reads the new tables."""
        self.health, self.standby, self.central, self.umo = health, standby, central, umo
        umo.sources = self._umo_sources()
        central.settings = self.settings
        self.license.rebind(health)
        self.users.local_values = central.local_user_values
        self.devices.local_values = central.local_device_values

    def close(self) -> None:
        self.store.close()
