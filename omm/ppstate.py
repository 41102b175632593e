"""A device's live state, as GetPPState and EventPPState show it: its DECT call state and
location registration (from the fixed part) merged with its user's SIP registration (from
the SIP user agent), in memory.

It listens on the OMM hub and publishes PpStateChanged with the fields that changed, so the
adapters render it without knowing where each field came from (axi.md §4.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from omm.dect import events as fev
from omm.hub import OmmHub, PpStateChanged, SipRegistration

PP_STATE_ABSENT: dict[str, str] = {
    "onHook": "1", "silentCharging": "0", "callState": "none", "swVersion": "",
    "bluetooth": "0", "registered": "0", "regServerType": "None", "regServerAddr": "",
    "regServerPort": "0"}
"""GetPPState of a PP that never reached the OMM (not on the air, not registered)."""

ON_HOOK: dict[str, str] = {
    "idle": "1",
    "none": "1",
    "paging": "1",
    "ringing": "1",
    "calling": "0",
    "connected": "0",
}
"""onHook for each PPUserCallStateType: off-hook while dialling or talking."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a device was last located (RequestPositionInfo's answer)."""

    heard: tuple[tuple[int, int], ...]
    """(RFP id, level in dBm) per RFP it heard, strongest first; empty: it did not answer."""
    time: float
    """When (the OMM's loop time)."""

    @property
    def rfp_id(self) -> int | None:
        """The RFP it heard best, None when it did not answer."""
        return self.heard[0][0] if self.heard else None


class PpLiveStates:
    """Every device's live state; `registered` is the SIP registration only, a DECT location
    registration shows as the call state leaving "none"."""

    def __init__(self, hub: OmmHub) -> None:
        self.hub = hub
        self._states: dict[int, dict[str, str]] = {}
        self.attached: set[int] = set()
        """Devices whose last DECT location registration stands (not detached since)."""
        self.positions: dict[int, Position] = {}
        """Each device's last position answer (in memory, as the live state)."""
        hub.subscribe(self._on_event)

    def located(self, ppn: int, heard: tuple[tuple[int, int], ...], now: float) -> None:
        """A position request about device `ppn` was answered (or not: no RFPs)."""
        self.positions[ppn] = Position(heard, now)

    def state(self, ppn: int) -> dict[str, str]:
        """Every GetPPState field of device `ppn` (the defaults where nothing is known)."""
        return {"ppn": str(ppn), **PP_STATE_ABSENT, **self._states.get(ppn, {})}

    def known(self, ppn: int) -> dict[str, str]:
        """Only the fields something reported for `ppn`."""
        return dict(self._states.get(ppn, {}))

    def forget(self) -> None:
        """Drop everything (the OMM was reset)."""
        self._states.clear()
        self.attached.clear()
        self.positions.clear()

    def _on_event(self, event: object) -> None:
        if isinstance(event, fev.DeviceAttached):
            self.attached.add(event.ppn)
            call = self._states.get(event.ppn, {}).get("callState", "none")
            call = "idle" if call == "none" else call  # a PP may register again mid-call
            self._update(event.ppn, {"onHook": ON_HOOK[call], "callState": call})
        elif isinstance(event, fev.DeviceDetached):
            self.attached.discard(event.ppn)
            self._update(event.ppn, {"callState": "none"})
        elif isinstance(event, fev.PpCallState):
            self._update(event.ppn, {"callState": event.call_state,
                                     "onHook": ON_HOOK[event.call_state]})
        elif isinstance(event, SipRegistration):
            self._update(event.ppn, event.values)

    def _update(self, ppn: int, values: dict[str, str]) -> None:
        state = self._states.setdefault(ppn, {})
        changed = {k: v for k, v in values.items() if state.get(k) != v}
        if changed:
            state.update(changed)
            self.hub.publish(PpStateChanged(ppn, changed))
