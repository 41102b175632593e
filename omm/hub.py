"""The OMM's internal event hub: how its parts hear of each other without an adapter between.

The DECT fixed part (omm.dect), the SIP user agent (omm.sip) and the RFP link publish what
happened; the PP live state (omm.ppstate), call control, the event-log journal and the
adapters (AXI now, web and MAXI later) subscribe. Subscribers are called in the order they
subscribed, synchronously, with each event; none of them is a wire format.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("sipdect.omm.hub")

Listener = Callable[[object], None]


@dataclass(frozen=True, slots=True)
class SipRegistration:
    """The SIP user agent's registration of a device's user changed (omm.sip)."""

    ppn: int
    """The device whose user it is."""
    values: dict[str, str]
    """GetPPState fields it sets: registered, regServerType, regServerAddr, regServerPort."""


@dataclass(frozen=True, slots=True)
class PpStateChanged:
    """A device's live state (omm.ppstate) changed."""

    ppn: int
    """The device."""
    changed: dict[str, str]
    """The GetPPState fields that changed, with their new values."""


@dataclass(frozen=True, slots=True)
class SipRegisterNow:
    """Someone (a MOM's PPSIPRegister / PPSIPDeregister) wants a user's SIP registration
    renewed or ended now; the SIP user agent (omm.sip) does it."""

    uid: int
    """The user."""
    register: bool
    """True: register (again); False: deregister and stay so until asked again."""


@dataclass(frozen=True, slots=True)
class SipDeregistered:
    """The SIP user agent deregistered a user because its device is confirmed at another OMM
    (sync.registered_here) or because it was asked to."""

    uid: int
    """The user."""


class OmmHub:
    """Publish/subscribe inside one OMM."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` with every event published from now on."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def publish(self, event: object) -> None:
        """Hand `event` to every subscriber in turn; one that fails (a bug) is logged and
        the others still hear of it."""
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("OMM hub listener %r failed on %r", listener, event)
