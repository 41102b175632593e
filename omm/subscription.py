"""The DECT subscription window: Off, Configured (known IPEIs only) or Wildcard (any IPEI).

axi.md §3.2: Wildcard also admits configured IPEIs and lasts `timeout` minutes
(1-60, default 3), each wildcard subscription extending it; Configured lasts 24 h.
What follows an expiry is an assumption [A]: Wildcard falls back to Configured,
Configured to Off, as the window closes step by step.
"""

from __future__ import annotations

from collections.abc import Callable

from omm.settings import Settings

GROUP = "DECTSubscriptionMode"
MODES = ("Off", "Configured", "Wildcard")
DEFAULT_TIMEOUT_MIN = 3
CONFIGURED_DURATION_S = 24 * 3600.0


class SubscriptionWindow:
    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.clock = clock

    def _state(self) -> dict[str, object]:
        return self.settings.get(GROUP)

    def set(self, mode: str, timeout_min: int | None = None) -> None:
        now = self.clock()
        timeout = timeout_min or DEFAULT_TIMEOUT_MIN
        until = {"Off": 0.0, "Configured": now + CONFIGURED_DURATION_S,
                 "Wildcard": now + timeout * 60.0}[mode]
        self.settings.update(GROUP, {"mode": mode, "timeout": timeout, "until": until,
                                     "configuredUntil": now + CONFIGURED_DURATION_S
                                     if mode != "Off" else 0.0})

    def mode(self) -> str:
        """The mode in force now (expiring the window if its time is up)."""
        self.expire()
        return str(self._state().get("mode", "Off"))

    @property
    def timeout(self) -> int:
        value = self._state().get("timeout", DEFAULT_TIMEOUT_MIN)
        return int(value) if isinstance(value, int | float | str) else DEFAULT_TIMEOUT_MIN

    def extend_wildcard(self) -> None:
        """A wildcard subscription happened: the window stays open `timeout` more minutes."""
        if self.mode() == "Wildcard":
            self.settings.update(GROUP, {"until": self.clock() + self.timeout * 60.0},
                                 notify=False)

    def next_deadline(self) -> float | None:
        st = self._state()
        if st.get("mode", "Off") == "Off":
            return None
        return float(st.get("until", 0.0))  # type: ignore[arg-type]

    def expire(self) -> bool:
        st = self._state()
        mode = st.get("mode", "Off")
        now = self.clock()
        if mode == "Off" or now < float(st.get("until", 0.0)):  # type: ignore[arg-type]
            return False
        configured_until = float(st.get("configuredUntil", 0.0))  # type: ignore[arg-type]
        if mode == "Wildcard" and now < configured_until:
            self.settings.update(GROUP, {"mode": "Configured", "until": configured_until})
        else:
            self.settings.update(GROUP, {"mode": "Off", "until": 0.0})
        return True
