"""Alarm triggers: what the OMM does when a handset dials an alarm's feature access code
(standby-eventmgr.md B.3 "Alarm triggers", B.4 "Surfacing path"; AXI AlarmTriggerType).

A trigger has a `triggerId` (what alarm servers match, case-insensitive), a `fac` (the
digits a handset dials: its SOS or man-down number starts with one) and optionally a `num`
to call. The AXI layer renders; the DECT side asks `match` which trigger a dialled number
raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omm.errors import Exists, Invalid, NoMemory, NotFound
from omm.tables import Change, Record, Table, apply
from sipdect.axi.records import ALARM_TRIGGER

MAX_TRIGGERS = 100
"""LimitsResp trigger="100" [S] (standby-eventmgr.md B.3)."""

ALARM_CALL_STATES = ("calling", "ringing", "connected", "released")
"""[A] EventAlarmCallProgress `state` values: only "ringing" is seen in public traffic
(B.8 question 4); the others follow the call's SIP progress."""
ALARM_TAKEN_DISPLAY = "Alarm sent"
"""[A] What a handset shows when its alarm's trigger has no number: the OMM takes the alarm
(EventAlarmTrigger goes out) and ends the call."""


@dataclass(frozen=True, slots=True)
class AlarmRaised:
    """A handset dialled an alarm trigger's fac (OMM hub event; EventAlarmTrigger)."""

    alarm_id: int
    """The OMM's number of this alarm, the same in its call's progress events."""
    send_time: int
    """Epoch seconds (the OMM's wall clock) when it was raised."""
    trigger: str
    """The trigger's triggerId."""
    ppn: int
    uid: int | None
    """The user logged in on the device, if any."""
    from_addr: str
    """tel:NUMBER of that user, else ppn:N."""
    to_addr: str | None
    """tel:NUMBER the alarm call goes to (the trigger's num), None: no call."""
    dial_suffix: str
    """The digits dialled after the fac."""


@dataclass(frozen=True, slots=True)
class AlarmCallProgress:
    """The call an alarm set up progressed (OMM hub event; EventAlarmCallProgress)."""

    alarm_id: int
    ppn: int
    trigger: str
    dest_addr: str
    state: str
    """One of ALARM_CALL_STATES."""


class AlarmTriggers:
    def __init__(self, store: Any, notify: Callable[[Change], None],
                 capacity: int = MAX_TRIGGERS) -> None:
        self.table = Table(store, "alarmtriggers", "alarmTrigger", "id", notify, first_key=0)
        self.capacity = capacity

    def __len__(self) -> int:
        return len(self.table)

    def get(self, trigger_id: int) -> Record:
        rec = self.table.get(trigger_id)
        if rec is None:
            raise NotFound(f"no alarm trigger with id {trigger_id}", "id")
        return rec

    def page(self, start: int, count: int) -> list[Record]:
        return self.table.page(start, count)

    def _check_unique(self, rec: Record) -> None:
        """triggerId and fac are compared case-insensitively (B.3) and name one trigger."""
        if not rec["triggerId"]:
            raise Invalid("an alarm trigger needs a triggerId", "triggerId")
        for other in self.table:
            if other["id"] == rec["id"]:
                continue
            if other["triggerId"].casefold() == rec["triggerId"].casefold():
                raise Exists(f"alarm trigger {other['id']} has triggerId "
                             f"{other['triggerId']!r} already", "triggerId")
            if rec["fac"] and other["fac"].casefold() == rec["fac"].casefold():
                raise Exists(f"alarm trigger {other['id']} has fac {other['fac']!r} already",
                             "fac")

    def create(self, values: dict[str, Any]) -> Record:
        if len(self.table) >= self.capacity:
            raise NoMemory(f"the OMM holds at most {self.capacity} alarm triggers")
        trigger_id = values.get("id")
        if trigger_id is None:
            trigger_id = next(i for i in range(self.capacity) if self.table.get(i) is None)
        elif self.table.get(trigger_id) is not None:
            raise Exists(f"alarm trigger {trigger_id} exists already", "id")
        rec = {**ALARM_TRIGGER.defaults(), **values, "id": trigger_id}
        self._check_unique(rec)
        return self.table.insert(rec)

    def update(self, trigger_id: int, values: dict[str, Any]) -> Record:
        rec = self.get(trigger_id)
        changed = {**rec, **{k: v for k, v in values.items() if k != "id"}}
        self._check_unique(changed)
        return self.table.update(rec, apply(rec, {k: v for k, v in values.items()
                                                  if k != "id"}))

    def delete(self, trigger_id: int) -> Record:
        self.get(trigger_id)
        return self.table.remove(trigger_id)

    def match(self, dialled: str) -> tuple[Record, str] | None:
        """The trigger whose fac `dialled` starts with (the longest, case-insensitive) and
        the digits after it (EventAlarmTrigger dialSuffix); None: no alarm."""
        low = dialled.casefold()
        best = max((r for r in self.table if r["fac"] and low.startswith(r["fac"].casefold())),
                   key=lambda r: len(r["fac"]), default=None)
        return None if best is None else (best, dialled[len(best["fac"]):])
