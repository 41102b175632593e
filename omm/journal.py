"""What the OMM's parts report that belongs in its event log (features.md §2.9), from the hub:
user logins and logouts at a PP, failed login attempts, and the requests of roaming handsets
put to the MOM with how they ended (docs/mom.md)."""

from __future__ import annotations

from typing import Any

from omm.dect import events as fev
from omm.dect.roaming import Outcome

_VERBS = {Outcome.ACCEPTED.value: "goes on", Outcome.LOST.value: "ended"}


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
        elif isinstance(event, fev.RoamingAsked):
            self.model.log("GenInfo", "SYNC", f"Roaming: {event.procedure} request of IPEI "
                           f"{event.ipei} at RFP {event.rfp_id} held, the MOM is asked")
        elif isinstance(event, fev.RoamingEnded):
            accepted = event.outcome == Outcome.ACCEPTED.value
            why = f"{event.outcome} ({event.reason})" if event.reason else event.outcome
            self.model.log("GenInfo" if accepted else "MinorErr", "SYNC",
                           f"Roaming: {event.procedure} request of IPEI {event.ipei} "
                           f"{_VERBS.get(event.outcome, 'refused')}: {why}")
        elif isinstance(event, fev.UserLoginFailed):
            self.model.log("MinorErr", "DECT",
                           f"user login '{event.login}' at PP {event.ppn} failed")
