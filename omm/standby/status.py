"""What the OMM shows of its standby pair (standby-eventmgr.md A.5): the status the model holds.

Whoever runs the pair's state machine (omm.standby.machine) hands each new view here; AXI
reads it for OpenResp and GetStbState, and hears of a change as Change("standby") (then
EventStbStateChange); the `standby` health component and an event-log entry follow it.
By default no standby is configured and everything answers "None", as before the pair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from omm.health import Health, HealthState
from omm.standby.conventions import (
    HEALTH_COMPONENT,
    LOG_LEVEL,
    LOG_SUBSYSTEM,
    STANDBY_HEALTH,
    StbState,
)
from omm.tables import Change


@dataclass(frozen=True, slots=True)
class StandbyView:
    """The pair as AXI shows it."""

    state: StbState = StbState.NONE
    """ommStbState."""
    peer_addr: str | None = None
    """ommStbAddr: the other OMM's address whenever one is configured."""
    reason: str = ""
    """Free text for the health component's `reason` ("" for none)."""

    @property
    def health(self) -> HealthState:
        """The `standby` health component this view means (conventions.STANDBY_HEALTH)."""
        severity, code = STANDBY_HEALTH[self.state]
        return HealthState(severity, code, self.reason)

    def attrs(self) -> dict[str, str]:
        """ommStbState and ommStbAddr, as OpenResp, GetStbStateResp and the event carry."""
        attrs = {"ommStbState": self.state.value}
        if self.peer_addr:
            attrs["ommStbAddr"] = self.peer_addr
        return attrs


NO_STANDBY = StandbyView()

LogFn = Callable[[str, str, str], object]


class StandbyStatus:
    """The current view; a change is announced, logged and reflected in the health model."""

    def __init__(self, notify: Callable[[Change], None], log: LogFn, health: Health) -> None:
        self._notify = notify
        self._log = log
        self._health = health
        self.view = NO_STANDBY
        health.set(HEALTH_COMPONENT, NO_STANDBY.health)

    def update(self, view: StandbyView, text: str = "") -> bool:
        """Show `view` from now on; `text` (else a sentence made from the view) goes into the
        event log. True if anything AXI shows changed."""
        before, self.view = self.view, view
        changed = (before.state, before.peer_addr) != (view.state, view.peer_addr)
        if changed:  # EventStbStateChange first, then the health it implies (A.6)
            self._notify(Change("standby", None))
        self._health.set(HEALTH_COMPONENT, view.health)
        if changed:
            peer = f" (peer {view.peer_addr})" if view.peer_addr else ""
            self._log(LOG_LEVEL[view.state], LOG_SUBSYSTEM,
                      text or f"Standby state {before.state.value} -> {view.state.value}{peer}")
        return changed

    def forget(self) -> None:
        """Back to no standby (a test fixture's reset), without an event-log entry."""
        self.view = NO_STANDBY
        self._health.set(HEALTH_COMPONENT, NO_STANDBY.health)
