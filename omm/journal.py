"""What the OMM's parts report that belongs in its event log (features.md §2.9), from the hub:
user logins and logouts at a PP and failed login attempts."""

from __future__ import annotations

from typing import Any

from omm.dect import events as fev


class Journal:
    """Writes hub events into the OMM's event log."""

    def __init__(self, model: Any) -> None:
        self.model = model
        model.hub.subscribe(self.on_event)

    def on_event(self, event: object) -> None:
        if isinstance(event, fev.UserLoggedIn):
            self.model.log("GenInfo", "DECT", f"user {event.uid} logged in at PP {event.ppn}")
        elif isinstance(event, fev.UserLoggedOut):
            self.model.log("GenInfo", "DECT", f"user {event.uid} logged out from PP {event.ppn}")
        elif isinstance(event, fev.UserLoginFailed):
            self.model.log("MinorErr", "DECT",
                           f"user login '{event.login}' at PP {event.ppn} failed")
