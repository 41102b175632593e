"""Each device's last DECT transaction, as GetLastPPDevAction shows it (XSD LastPPActionType:
ppn, trType, rfpId, relTime), in memory: it is live state, gone with the OMM's process.

It listens on the OMM hub for the fixed part's PpTransaction events (the same ones AXI sends as
EventPPTransaction); the clock it is given stamps them (relTime: seconds since).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from omm.dect import events as fev
from omm.hub import OmmHub


@dataclass(frozen=True, slots=True)
class LastAction:
    """A device's last transaction."""

    ppn: int
    tr_type: str
    """PPTransactionType."""
    rfp_id: int
    """The RFP it happened on (-1: none)."""
    when: float
    """The model clock's time of it."""


class LastActions:
    """The last transaction of every device that had one, by ppn."""

    def __init__(self, hub: OmmHub, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._last: dict[int, LastAction] = {}
        hub.subscribe(self._on_event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, fev.PpTransaction) and event.ppn:
            self._last[event.ppn] = LastAction(event.ppn, event.tr_type, event.rfp_id,
                                               self._clock())

    def page(self, first: int, count: int) -> list[LastAction]:
        """Up to `count` devices' last actions from ppn `first` on, by ppn."""
        return [self._last[p] for p in sorted(p for p in self._last if p >= first)[:count]]

    def forget(self, ppn: int | None = None) -> None:
        """A device deleted (or all, None): its last action is no one's."""
        if ppn is None:
            self._last.clear()
        else:
            self._last.pop(ppn, None)
