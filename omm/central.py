"""Central user/device management of an OMM under a MOM (docs/mom.md "Central mode on the OMM").

The persistent switch (AXI UserDeviceSyncOMM), whether a sync session (a UserDeviceSyncClient
AXI login) is in, the OMM's own `ommId`, and the `userDeviceSync` health component they make.
Sans-I/O: the AXI edge reports sessions with `now`; the health's grace period is a deadline
its owner arms (get_timer / handle_timer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from dect import conventions as cv
from dect.errors import DectValueError
from dect.identities import SARI_CLASSES, Park
from omm.health import Health, HealthState
from omm.settings import Settings
from omm.tables import Change
from sipdect.axi import sync

SETTING: Final = "UserDeviceSyncOMM"
"""The settings group of AXI Get/SetUserDeviceSyncOMM (XSD UserDeviceSyncOMMType)."""

DEFAULTS: Final[dict[str, Any]] = {"enable": False, "omm1DomainName": "", "omm2DomainName": "",
                                   "user": "", "password": ""}

HEALTH_COMPONENT: Final = "userDeviceSync"

CHANGE_KIND: Final = "syncSessions"
"""The model's Change when sync sessions come or go (its key: how many are in); whoever runs
the health's grace timer re-arms on it."""

UNSET_SARI: Final = "0000000000"
"""[S] How a real OMM shows an unset SARI (RP omm_conf.txt): PARK format, all zeros."""

LOST_SESSION: Final = HealthState("Error", "Cannot connect to external AXI / lost AXI connection",
                                  "no user/device sync session logged in")
NO_SARI: Final = HealthState("Error", "SARI not configured on central OMM")
"""[D names, I severities] The XSD's SeverityType has no "Major": its worst, Error, stands for
the failures docs/mom.md lists. A lost session outranks a missing SARI (one reason shows): without
the MOM nothing syncs at all, without a SARI only roaming fails."""
SYNC_OK: Final = HealthState("OK")

LogFn = Callable[[str, str, str], object]


def installation_park(settings: Settings) -> Park:
    """The PARK the OMM's RFPs broadcast ("PARK" setting, else the conventions' default)."""
    text = str(settings.value("PARK", "park", "") or "")
    try:
        return Park.parse(text) if text else cv.DEFAULT_PARK
    except DectValueError:
        return cv.DEFAULT_PARK


def sari_set(text: str) -> bool:
    """Whether a SARI setting names one (empty and UNSET_SARI do not)."""
    return bool(text) and text.strip("0") != ""


def sari_park(settings: Settings) -> Park | None:
    """The OMM's SARI as the PARK a handset subscribes with under a MOM and the ARI its RFPs
    broadcast (mom.md §3.2): None while unset, or when it is no class B, C or D PARK (EN 300
    175-6 §5.6: class A ARIs cannot be SARIs)."""
    text = str(settings.value("SARI", "sari", "") or "")
    if not sari_set(text):
        return None
    try:
        park = Park.parse(text)
    except DectValueError:
        return None
    return park if park.ari.arc in SARI_CLASSES else None


class CentralMode:
    """Whether this OMM's users and devices are managed by a MOM, and how that stands."""

    def __init__(self, settings: Settings, health: Health, log: LogFn,
                 notify: Callable[[Change], None]) -> None:
        self.settings = settings
        """The OMM's settings (the model re-points it when it re-reads its store)."""
        self._health = health
        self._log = log
        self._notify = notify
        self.sessions = 0
        """UserDeviceSyncClient sessions logged in now."""
        self._lost_at: float | None = None
        """When the last session went (or central mode began without one)."""
        self._lost_reported = False

    # -- what the rest of the OMM asks ---------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return bool(self.settings.value(SETTING, "enable", False))

    @property
    def own_id(self) -> str:
        """This OMM's `ommId` (sync.omm_id of its PARK)."""
        return sync.omm_id(installation_park(self.settings))

    @property
    def roaming_open(self) -> bool:
        """A MOM can be asked about a foreign handset now: central mode, a sync session in."""
        return self.enabled and self.sessions > 0

    def foreign(self, device: dict[str, Any]) -> bool:
        """In central mode, a device the MOM confirmed at another OMM (ommIdAck)."""
        return self.enabled and not sync.registered_here(self.own_id,
                                                         str(device.get("ommIdAck") or ""))

    def local_device_values(self) -> dict[str, Any]:
        """What a device created here (not by the MOM) carries in central mode."""
        own = self.own_id
        return {"ommId": own, "ommIdAck": own} if self.enabled else {}

    def local_user_values(self) -> dict[str, Any]:
        """What a user created here (not by the MOM) carries in central mode."""
        return {"permanent": True} if self.enabled else {}

    # -- sessions (the AXI edge reports them) --------------------------------------------------
    def session_opened(self, peer: str, now: float) -> None:
        self.sessions += 1
        self._lost_at = None
        self._log("GenInfo", "SYNC", f"User/device sync session from {peer} logged in")
        self.refresh(now)
        self._notify(Change(CHANGE_KIND, self.sessions))

    def session_closed(self, peer: str, now: float) -> None:
        self.sessions = max(0, self.sessions - 1)
        self._log("MinorErr" if self.enabled and not self.sessions else "GenInfo", "SYNC",
                  f"User/device sync session from {peer} ended")
        if not self.sessions:
            self._lost_at = now
            self._lost_reported = False
        self.refresh(now)
        self._notify(Change(CHANGE_KIND, self.sessions))

    # -- health --------------------------------------------------------------------------------
    def refresh(self, now: float) -> None:
        """Re-derive the health component (after a session, setting or SARI change)."""
        if not self.enabled:
            self._health.drop(HEALTH_COMPONENT)
            return
        if not self.sessions:
            if self._lost_at is None:
                self._lost_at = now  # central mode began with nobody logged in
            if self._lost_reported or now >= self._lost_at + sync.SYNC_LOST_GRACE_S:
                self._lost_reported = True
                self._health.set(HEALTH_COMPONENT, LOST_SESSION)
                return
            if self._health.get(HEALTH_COMPONENT) is None:
                self._health.set(HEALTH_COMPONENT, SYNC_OK)  # within the grace period
        if not sari_set(str(self.settings.value("SARI", "sari", "") or "")):
            self._health.set(HEALTH_COMPONENT, NO_SARI)
        elif self.sessions:
            self._health.set(HEALTH_COMPONENT, SYNC_OK)

    def get_timer(self) -> float | None:
        """When a lost session shows in the health (after SYNC_LOST_GRACE_S); None: nothing due."""
        if not self.enabled or self.sessions or self._lost_reported or self._lost_at is None:
            return None
        return self._lost_at + sync.SYNC_LOST_GRACE_S

    def handle_timer(self, now: float) -> None:
        self.refresh(now)

    def forget(self) -> None:
        """No sessions (the model was reset: they were all dropped); announces nothing."""
        self.sessions = 0
        self._lost_at = None
        self._lost_reported = False
