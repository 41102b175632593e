"""System-wide OMM settings, stored as named groups of values (one group per AXI Get/Set pair)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from omm.tables import Change, apply
from sipdect.store import Store


class Settings:
    def __init__(self, store: Store, notify: Callable[[Change], None],
                 defaults: dict[str, dict[str, Any]]) -> None:
        self.store = store
        self.notify = notify
        self.groups: dict[str, dict[str, Any]] = copy.deepcopy(defaults)
        for name, values in store.load_json("settings"):
            self.groups.setdefault(name, {}).update(values)

    def get(self, group: str) -> dict[str, Any]:
        return self.groups.setdefault(group, {})

    def value(self, group: str, name: str, default: Any = None) -> Any:
        return self.groups.get(group, {}).get(name, default)

    def update(self, group: str, values: dict[str, Any], notify: bool = True) -> tuple[str, ...]:
        current = self.get(group)
        changed = apply(current, values)
        if changed:
            self.store.put_json("settings", group, current)
            if notify:
                self.notify(Change("setting", group, changed))
        return changed
