"""Updates the OMM is asked for: the "Update" button (AXI SoftwareUpdate), the daily provisioning
check (SystemProvUpdTrig) and the credentials it uses on its servers (SystemCredentials).

Facts from a public AXI client (jzelina AXI_Sync, mom.md §5): `<SoftwareUpdate />` is the web
UI's "Update" button, a software and configuration update request; `SetSystemProvUpdTrig
enable hour minute` sets a daily update time (it staggers the minute per OMM);
`SetSystemCredentials username password plainText` sets the credentials for the file servers.
The emulator has no software image to install: an update request re-reads the provisioning
files (omm.provisioning) and logs that no image is there, as an installation without an update
server does. Sans-I/O: the service owns the timer and the task.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from sipdect.axi.provisioning import ConfigUrl

if TYPE_CHECKING:
    from omm.model import OmmModel

CREDENTIALS_SETTING: Final = "SystemCredentials"
"""Settings group: username and passwordSealed (the password sealed by the vault)."""
PASSWORD_FIELD: Final = "passwordSealed"
TRIGGER_SETTING: Final = "SystemProvUpdTrig"
UPDATE_SETTING: Final = "SoftwareUpdate"

NO_IMAGE: Final = ("Software update: no software image URL is configured "
                   "(SetSoftwareImageURL); the OMM and its RFPs keep their software")
"""[I] The event-log line of an update request on an installation without an update server."""


@dataclass(frozen=True, slots=True)
class UpdateRequested:
    """Hub event: an administrator asked for a software and configuration update now."""

    by: str
    """Who asked (the AXI peer)."""


def store_credentials(model: OmmModel, username: str, password: str) -> None:
    """Set the system credentials (the password sealed at rest)."""
    sealed = model.vault.seal_text(password, CREDENTIALS_SETTING.encode()) if password else ""
    model.settings.update(CREDENTIALS_SETTING, {"username": username, PASSWORD_FIELD: sealed})


def credentials(model: OmmModel) -> tuple[str, str]:
    """(username, password) of the system credentials; ("", "") when none are set."""
    stored = model.settings.get(CREDENTIALS_SETTING)
    sealed = str(stored.get(PASSWORD_FIELD) or "")
    password = model.vault.unseal_text(sealed, CREDENTIALS_SETTING.encode()) if sealed else ""
    return str(stored.get("username") or ""), password


def with_credentials(model: OmmModel, url: ConfigUrl) -> ConfigUrl:
    """A URL that names no user logs in with the system credentials, when they are set [I]."""
    username, password = credentials(model)
    if url.username or not username:
        return url
    return replace(url, username=username, password=password)


def next_daily(now: float, hour: int, minute: int) -> float:
    """The next epoch time (after `now`) at hour:minute UTC, the emulator's time zone."""
    day = time.gmtime(now)
    at = calendar.timegm((day.tm_year, day.tm_mon, day.tm_mday, hour, minute, 0, 0, 0, 0))
    return at if at > now else at + 86400


def trigger_deadline(model: OmmModel, now: float) -> float | None:
    """When the daily provisioning check runs next; None while it is off."""
    trig = model.settings.get(TRIGGER_SETTING)
    if not trig.get("enable"):
        return None
    return next_daily(now, int(trig.get("hour", 0)), int(trig.get("minute", 0)))
