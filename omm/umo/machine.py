"""One monitored user's activity state (PPUserType HAS) as a sans-I/O state machine.

Fed what the OMM sees of the user's handset (activity, loss) and `now`; it returns state
changes and, in active mode, the request to check the handset by paging it; `get_timer()` is
its next deadline. The transitions are a table; what each input means is conventions.ASPECTS.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from omm.umo import conventions as cv


class Input(enum.Enum):
    """What can happen to a monitored user's handset."""

    ACTIVITY = "activity"
    """The handset did something: attached, set up a link, answered paging, a call, a key."""
    SILENCE = "silence"
    """The activity timeout of the mode passed without activity (a timer)."""
    LOST = "lost"
    """The handset detached, or did not answer the OMM's check."""
    ESCALATE = "escalate"
    """escalationDelay passed while unavailable in active mode (a timer)."""


#: (state, input) -> next state; a pair not listed leaves the state as it is.
TRANSITIONS: dict[tuple[str, Input], str] = {
    **{(s, Input.ACTIVITY): cv.AVAILABLE for s in cv.STATES},
    (cv.UNKNOWN, Input.SILENCE): cv.WARNING,
    (cv.AVAILABLE, Input.SILENCE): cv.WARNING,
    (cv.UNKNOWN, Input.LOST): cv.UNAVAILABLE,
    (cv.AVAILABLE, Input.LOST): cv.UNAVAILABLE,
    (cv.WARNING, Input.LOST): cv.UNAVAILABLE,
    (cv.UNAVAILABLE, Input.ESCALATE): cv.ESCALATED,
}

#: States in which the activity timer runs (a silent handset gets a Warning).
WATCHED = (cv.UNKNOWN, cv.AVAILABLE)


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The user's activity state changed."""

    old: str
    """What it was."""
    new: str
    """What it is now."""


@dataclass(frozen=True, slots=True)
class CheckHandset:
    """Active mode: page the handset now; its answer is ACTIVITY, its silence LOST."""


Output = StateChanged | CheckHandset


@dataclass(frozen=True, slots=True)
class Timing:
    """The parameters the machine's timers read, in seconds of the emulator's clock."""

    passive_timeout: float
    """activityTimeout1."""
    active_timeout: float
    """activityTimeout2."""
    escalation_delay: float
    """escalationDelay."""

    @classmethod
    def of(cls, parameters: dict[str, object]) -> Timing:
        """From UserMonitoringType values (minutes)."""
        def seconds(name: str) -> float:
            return float(str(parameters.get(name, cv.DEFAULTS[name]))) * cv.MINUTE_S
        return cls(seconds("activityTimeout1"), seconds("activityTimeout2"),
                   seconds("escalationDelay"))


class UserMonitor:
    """A monitored user's activity state; mode Off keeps it Unknown with no timer."""

    def __init__(self, mode: str, timing: Timing, now: float) -> None:
        if mode not in cv.MODES:
            raise ValueError(f"unknown monitoring mode {mode!r}; use one of {cv.MODES}")
        self.mode = mode
        self.timing = timing
        self.state = cv.UNKNOWN
        self._since = now
        """When the state was entered, or the last activity while watched."""

    def get_timer(self) -> float | None:
        """When handle_timer must be called next (None: no timer runs)."""
        if self.mode == cv.OFF:
            return None
        if self.state in WATCHED:
            timeout = (self.timing.active_timeout if self.mode == cv.ACTIVE
                       else self.timing.passive_timeout)
            return self._since + timeout
        if self.state == cv.UNAVAILABLE and self.mode == cv.ACTIVE:
            return self._since + self.timing.escalation_delay
        return None

    def handle_timer(self, now: float) -> list[Output]:
        """A deadline passed (calling it early changes nothing)."""
        deadline = self.get_timer()
        if deadline is None or now < deadline:
            return []
        if self.state in WATCHED:
            out = self._feed(Input.SILENCE, now)
            if self.mode == cv.ACTIVE:
                out.append(CheckHandset())
            return out
        return self._feed(Input.ESCALATE, now)

    def activity(self, now: float) -> list[Output]:
        return self._feed(Input.ACTIVITY, now)

    def lost(self, now: float) -> list[Output]:
        return self._feed(Input.LOST, now)

    def set_mode(self, mode: str, now: float) -> list[Output]:
        """A new mode starts afresh: Unknown, watched from now (Off: no timer)."""
        if mode not in cv.MODES:
            raise ValueError(f"unknown monitoring mode {mode!r}; use one of {cv.MODES}")
        if mode == self.mode:
            return []
        self.mode = mode
        out = self._enter(cv.UNKNOWN, now)
        self._since = now  # watched from now even when it was Unknown already
        return out

    def set_timing(self, timing: Timing) -> None:
        """New parameters: running timers count from the same start with the new length."""
        self.timing = timing

    def _feed(self, what: Input, now: float) -> list[Output]:
        if self.mode == cv.OFF:
            return []
        new = TRANSITIONS.get((self.state, what), self.state)
        if what is Input.ACTIVITY:
            self._since = now  # activity re-arms the timeout even when already Available
        return self._enter(new, now)

    def _enter(self, new: str, now: float) -> list[Output]:
        if new == self.state:
            return []
        old, self.state, self._since = self.state, new, now
        return [StateChanged(old, new)]
