"""User monitoring in the OMM's model: every monitored user's states (PPUserType CUS, HAS, ...),
fed by the OMM hub's DECT and SIP events, timed by the monitors' deadlines (omm.umo.machine).

Its owner arms one timer at get_timer() and calls handle_timer(now) (clock: the model's);
`wake` is called whenever that deadline may have moved. A state change is announced as
Change("user", uid, <state names>): AXI renders it as EventPPUserCnf and recounts the user
summary. States are live, never written to the store: a restart begins with Unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omm.dect import events as fev
from omm.devices import Devices
from omm.health import Health, HealthState
from omm.hub import OmmHub, PpStateChanged
from omm.ppstate import PpLiveStates
from omm.settings import Settings
from omm.tables import Change
from omm.umo import conventions as cv
from omm.umo.machine import CheckHandset, StateChanged, Timing, UserMonitor
from omm.users import Users
from sipdect.axi.records import USER_MONITORING_FIELDS

#: DECT transactions that show the handset doing something (answering paging included).
ACTIVITY_TRANSACTIONS = frozenset({"LinkEstablish", "LocReg", "ConnHandover"})
#: Fixed part events that are the user's own activity.
ACTIVITY_EVENTS = (fev.DeviceAttached, fev.CallDialled, fev.CallAlerting, fev.CallAnswered,
                   fev.CallKey, fev.MessageConfirmed, fev.UserLoggedIn)
#: User record fields a state reads: a change re-reads its states.
READ_FIELDS = frozenset({"monitoringMode", "ppn", "forwardState"})


@dataclass(frozen=True, slots=True)
class CheckHandsetNow:
    """Hub event: active monitoring wants the handset paged (the fixed part's owner does it);
    its answer comes back as a DECT transaction, its silence as PPNotFound."""

    ppn: int
    """The device."""


@dataclass(frozen=True, slots=True)
class Sources:
    """What monitoring reads and where it reports (the model's parts, narrowed)."""

    settings: Settings
    users: Users
    devices: Devices
    pp_live: PpLiveStates
    health: Health
    notify: Callable[[Change], None]
    log: Callable[[str, str, str], object]
    clock: Callable[[], float]
    """The model's clock: when a hub event (which carries no time) happened."""


class UserMonitoring:
    """Every user's monitoring states; only users with a mode other than Off have a monitor."""

    def __init__(self, sources: Sources, hub: OmmHub, now: float) -> None:
        self.sources = sources
        self.hub = hub
        self.began = now
        """When the start-up phase began (the OMM's start or reset)."""
        self.startup_end = now + self._parameter("startupDelay") * cv.MINUTE_S
        """Until then every state is Unknown (startupDelay after the start)."""
        self.monitors: dict[int, UserMonitor] = {}
        self._shown: dict[int, dict[str, str]] = {}
        self.running = False
        """startupDelay has passed: the monitors run."""
        self.wake: Callable[[], None] = lambda: None
        """Called when get_timer() may have changed (the owner re-arms its timer)."""
        hub.subscribe(self.on_hub)
        self._report_health()

    # -- reading ------------------------------------------------------------------------------
    def started(self, now: float) -> bool:
        return now >= self.startup_end

    def states(self, uid: int) -> dict[str, str]:
        """The user's PPUserType monitoring states as GetPPUser shows them now."""
        out = dict.fromkeys(USER_MONITORING_FIELDS, cv.UNKNOWN)
        monitor = self.monitors.get(uid)
        rec = self.sources.users.table.get(uid)
        if monitor is None or rec is None or monitor.mode == cv.OFF or not self.running:
            return out
        ppn = int(rec.get("ppn") or 0)
        device = self.sources.devices.table.get(ppn) if ppn else None
        live = self.sources.pp_live.state(ppn) if ppn else {}
        out["HAS"] = monitor.state
        out["HSS"] = cv.AVAILABLE if device and device.get("s") == "Yes" else cv.UNAVAILABLE
        out["HRS"] = cv.AVAILABLE if ppn in self.sources.pp_live.attached else cv.UNAVAILABLE
        out["SRS"] = cv.AVAILABLE if live.get("registered") == "1" else cv.UNAVAILABLE
        out["SCS"] = cv.WARNING if live.get("silentCharging") == "1" else cv.AVAILABLE
        out["CDS"] = cv.WARNING if rec.get("forwardState") == "All" else cv.AVAILABLE
        out["CUS"] = cv.worst([v for k, v in out.items() if k != "CUS"])
        return out

    def overlay(self, rec: dict[str, Any]) -> dict[str, Any]:
        """A user record with its live states (what AXI and the web UI show)."""
        uid = rec.get("uid")
        if not isinstance(uid, int) or uid not in self.monitors:
            return rec
        return {**rec, **self.states(uid)}

    def parameters(self) -> dict[str, Any]:
        return {**cv.DEFAULTS, **self.sources.settings.get(cv.SETTING)}

    def _parameter(self, name: str) -> float:
        return float(self.parameters()[name])

    # -- timers -------------------------------------------------------------------------------
    def get_timer(self) -> float | None:
        if not any(m.mode != cv.OFF for m in self.monitors.values()):
            return None
        if not self.running:
            return self.startup_end
        return min((d for m in self.monitors.values() if (d := m.get_timer()) is not None),
                   default=None)

    def handle_timer(self, now: float) -> None:
        if not self.running and now >= self.startup_end:
            self.running = True
            self._report_health()
            for uid, monitor in self.monitors.items():
                self._start(uid, monitor, now)
        if self.running:
            for uid, monitor in list(self.monitors.items()):
                self._apply(uid, monitor.handle_timer(now))
        self.wake()

    # -- inputs -------------------------------------------------------------------------------
    def refresh(self, now: float) -> None:
        """Read every user's mode (at start, after a reset or a reload of the records)."""
        for rec in list(self.sources.users.table):
            self._mode_of(rec, now)
        for uid in [u for u in self.monitors if self.sources.users.table.get(u) is None]:
            self._forget(uid)
        self._report_health()
        self.wake()

    def on_change(self, change: Change, now: float) -> None:
        """A record or setting changed (the model's change notices)."""
        if change.kind == "setting" and change.key == cv.SETTING:
            if not self.running:  # a new startupDelay applies to the phase under way
                self.startup_end = self.began + self._parameter("startupDelay") * cv.MINUTE_S
            timing = Timing.of(self.parameters())
            for monitor in self.monitors.values():
                monitor.set_timing(timing)
            self.wake()
        elif change.kind == "user":
            if change.deleted:
                self._forget(int(change.key))
                self._report_health()
            elif change.fields is None or READ_FIELDS & set(change.fields):
                rec = self.sources.users.table.get(change.key)
                if rec is not None:
                    self._mode_of(rec, now)
                    self._show(int(change.key))
                    self._report_health()
                    self.wake()
        elif change.kind == "pp" and not change.deleted:
            uid = self._uid_of(int(change.key))
            if uid:
                self._show(uid)

    def on_hub(self, event: object) -> None:
        """What the fixed part and the SIP side report (synchronously, from the hub)."""
        ppn = getattr(event, "ppn", 0)
        if not ppn or not self.monitors:
            return
        uid = self._uid_of(int(ppn))
        monitor = self.monitors.get(uid) if uid else None
        if monitor is None:
            return
        now = self.sources.clock()
        if self.running:
            if isinstance(event, ACTIVITY_EVENTS) or (
                    isinstance(event, fev.PpTransaction)
                    and event.tr_type in ACTIVITY_TRANSACTIONS):
                self._apply(uid, monitor.activity(now))
            elif isinstance(event, fev.DeviceDetached) or (
                    isinstance(event, fev.PpTransaction) and event.tr_type == "PPNotFound"):
                self._apply(uid, monitor.lost(now))
        if isinstance(event, PpStateChanged | fev.DeviceAttached | fev.DeviceDetached):
            self._show(uid)
        self.wake()

    def present(self, ppn: int) -> None:
        """The device's handset is known to be in reach (it has a connection)."""
        uid = self._uid_of(ppn)
        monitor = self.monitors.get(uid) if uid else None
        if monitor is not None and self.running:
            self._apply(uid, monitor.activity(self.sources.clock()))
            self.wake()

    def restart(self, now: float) -> None:
        """A new start-up phase over the records as they are (this OMM became active)."""
        self.forget(now)
        self.refresh(now)

    def forget(self, now: float) -> None:
        """Start afresh (the OMM was reset): no monitors, a new start-up phase."""
        self.monitors.clear()
        self._shown.clear()
        self.running = False
        self.began = now
        self.startup_end = now + self._parameter("startupDelay") * cv.MINUTE_S
        self.sources.health.drop(cv.HEALTH_COMPONENT)

    # -- inside -------------------------------------------------------------------------------
    def _uid_of(self, ppn: int) -> int:
        device = self.sources.devices.table.get(ppn)
        return int(device.get("uid") or 0) if device else 0

    def _mode_of(self, rec: dict[str, Any], now: float) -> None:
        uid, mode = int(rec["uid"]), str(rec.get("monitoringMode") or cv.OFF)
        monitor = self.monitors.get(uid)
        if mode == cv.OFF:
            if monitor is not None:
                self._forget(uid)
            return
        if monitor is None:
            monitor = self.monitors[uid] = UserMonitor(mode, Timing.of(self.parameters()), now)
            if self.running:
                self._start(uid, monitor, now)
        elif monitor.mode != mode:
            self._apply(uid, monitor.set_mode(mode, now))
            if self.running:
                self._start(uid, monitor, now)

    def _start(self, uid: int, monitor: UserMonitor, now: float) -> None:
        """Monitoring of a user begins: an attached handset counts as active now."""
        rec = self.sources.users.table.get(uid) or {}
        ppn = int(rec.get("ppn") or 0)
        if ppn and ppn in self.sources.pp_live.attached:
            self._apply(uid, monitor.activity(now))
        else:
            self._show(uid)

    def _forget(self, uid: int) -> None:
        self.monitors.pop(uid, None)
        shown = self._shown.pop(uid, None)
        if shown and any(v != cv.UNKNOWN for v in shown.values()) and \
                self.sources.users.table.get(uid) is not None:
            self.sources.notify(Change("user", uid, USER_MONITORING_FIELDS))

    def _apply(self, uid: int, outputs: list[StateChanged | CheckHandset]) -> None:
        for out in outputs:
            if isinstance(out, CheckHandset):
                rec = self.sources.users.table.get(uid) or {}
                ppn = int(rec.get("ppn") or 0)
                if ppn:
                    self.hub.publish(CheckHandsetNow(ppn))
                else:
                    self._apply(uid, self.monitors[uid].lost(self.sources.clock()))
            elif out.new == cv.ESCALATED:
                self._escalated(uid)
        if outputs:
            self._show(uid)

    def _escalated(self, uid: int) -> None:
        rec = self.sources.users.table.get(uid) or {}
        who = f"user {uid} ({rec.get('num', '')})"
        self.sources.log("MajorErr", cv.LOG_SUBSYSTEM, f"User monitoring: {who} escalated")
        if self.parameters().get("locatingEscalation"):
            self.sources.log("MajorErr", cv.LOG_SUBSYSTEM,
                             f"User monitoring: alarm trigger {cv.LOCATING_ALARM} for {who}")

    def _show(self, uid: int) -> None:
        """Announce the user's states that changed since last shown."""
        if self.sources.users.table.get(uid) is None:
            return
        now = self.states(uid)
        before = self._shown.get(uid, dict.fromkeys(USER_MONITORING_FIELDS, cv.UNKNOWN))
        changed = tuple(f for f in USER_MONITORING_FIELDS if now[f] != before.get(f))
        self._shown[uid] = now
        if changed:
            self.sources.notify(Change("user", uid, changed))

    def _report_health(self) -> None:
        health = self.sources.health
        if not self.monitors:
            health.drop(cv.HEALTH_COMPONENT)
        elif not self.running:
            health.set(cv.HEALTH_COMPONENT, HealthState(cv.STARTUP_SEVERITY, cv.STARTUP_REASON))
        else:
            health.set(cv.HEALTH_COMPONENT, HealthState("OK"))
