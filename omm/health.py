"""The OMM's health model: one severity and reason per component (features.md "Health/status
model"; AXI HealthType, GetHealthState, EventHealthState).

Minimal: only components something reports on are listed (today `standby`). A change is
announced as Change("health", component), which the AXI layer turns into EventHealthState.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from omm.tables import Change

#: AXI SeverityType, least to most severe [D] XSD.
SEVERITIES: tuple[str, ...] = ("OK", "Idle", "Warning", "Error")


@dataclass(frozen=True, slots=True)
class HealthState:
    """One component's health."""

    severity: str
    """One of SEVERITIES."""
    reason_code: str = ""
    """An XSD ReasonType value; "" when nothing is wrong."""
    reason: str = ""
    """Free text saying what exactly ("" for none)."""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown health severity {self.severity!r}; use one of "
                             f"{SEVERITIES}")


class Health:
    """Every reporting component's current health, in memory (it is live state)."""

    def __init__(self, notify: Callable[[Change], None]) -> None:
        self._notify = notify
        self._components: dict[str, HealthState] = {}

    def set(self, component: str, state: HealthState) -> bool:
        """Record `component`'s health; True (and announced) if it changed."""
        if self._components.get(component) == state:
            return False
        self._components[component] = state
        self._notify(Change("health", component))
        return True

    def drop(self, component: str) -> bool:
        """`component` no longer reports (e.g. central mode switched off); True if it did."""
        if self._components.pop(component, None) is None:
            return False
        self._notify(Change("health", component))
        return True

    def get(self, component: str) -> HealthState | None:
        return self._components.get(component)

    def components(self) -> dict[str, HealthState]:
        """Every component reported on, in the order they first reported."""
        return dict(self._components)

    def forget(self) -> None:
        """Nothing reported (a test fixture's reset); announces nothing."""
        self._components.clear()
