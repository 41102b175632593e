"""Requests of handsets the OMM does not hold, held while it asks the MOM (docs/mom.md "Roaming").

A LOCATE-REQUEST (or ACCESS-RIGHTS-REQUEST) of a device this central-mode OMM does not hold, or
holds confirmed at another OMM, is held for up to sync.ROAMING_WAIT_S while the MOM is asked
(EventDECTLocate / EventDECTSubscribe). It goes on as soon as the MOM's record is here; the
MOM's DECTLocateReject / DECTSubscribeReject or the deadline refuses it. Sans-I/O: `now` in,
deadlines out; the fixed part (omm.dect.fixed_part) owns one and its connections are the keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Final, Generic, TypeVar

from sipdect.axi import sync

K = TypeVar("K")


class Procedure(Enum):
    """What the handset asked for."""

    LOCATE = "locate"
    """LOCATE-REQUEST: EventDECTLocate, DECTLocateReject."""
    SUBSCRIBE = "subscribe"
    """ACCESS-RIGHTS-REQUEST: EventDECTSubscribe, DECTSubscribeReject."""


class Outcome(Enum):
    """How a held request ended (the event log's words)."""

    ACCEPTED = "the MOM's record arrived"
    REJECTED = "refused by the MOM"
    TIMED_OUT = "no answer from the MOM in time"
    LOST = "the handset's link ended"


ASK_EVENTS: Final[dict[Procedure, str]] = {Procedure.LOCATE: "EventDECTLocate",
                                           Procedure.SUBSCRIBE: "EventDECTSubscribe"}
"""[S names] The event that asks the MOM, per procedure (subscription type Roaming)."""

REJECT_REQUESTS: Final[dict[str, Procedure]] = {"DECTLocateReject": Procedure.LOCATE,
                                                "DECTSubscribeReject": Procedure.SUBSCRIBE}
"""[S names] The MOM's refusals, per procedure."""


@dataclass(frozen=True, slots=True)
class Hold(Generic[K]):
    """One held request."""

    key: K
    """Who holds it (the fixed part's connection)."""
    procedure: Procedure
    """What was asked."""
    ipei: str
    """The asking handset, in the OMM's form."""
    deadline: float
    """When it is refused without an answer."""


class RoamingHolds(Generic[K]):
    """Held requests, one per key at most."""

    def __init__(self, wait: float = sync.ROAMING_WAIT_S) -> None:
        self.wait = wait
        self._holds: dict[K, Hold[K]] = {}

    def __len__(self) -> int:
        return len(self._holds)

    def __iter__(self) -> Iterator[Hold[K]]:
        return iter(list(self._holds.values()))

    def start(self, key: K, procedure: Procedure, ipei: str, now: float) -> Hold[K]:
        hold = Hold(key, procedure, ipei, now + self.wait)
        self._holds[key] = hold
        return hold

    def get(self, key: K) -> Hold[K] | None:
        return self._holds.get(key)

    def end(self, key: K) -> Hold[K] | None:
        """Forget the key's hold (answered, refused, its link gone); the hold, if any."""
        return self._holds.pop(key, None)

    def of(self, procedure: Procedure, ipei: str) -> list[Hold[K]]:
        """The holds of this handset's request."""
        return [h for h in self._holds.values() if h.procedure is procedure and h.ipei == ipei]

    def get_timer(self) -> float | None:
        return min((h.deadline for h in self._holds.values()), default=None)

    def expire(self, now: float) -> list[Hold[K]]:
        """The holds whose deadline passed, forgotten."""
        late = [h for h in self._holds.values() if now >= h.deadline]
        for hold in late:
            del self._holds[hold.key]
        return late
