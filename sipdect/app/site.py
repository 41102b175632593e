"""The radio side of one installation: the simulated air, the handsets on it, and the radios
of the RFP hosts (sipdect.app.hosts) placed on it.

Enrolment follows seed 000 "OMM – IP-RFP Encryption": the RFP's record is created in its
OMM first (from the system config, or when the control API adds an RFP), then its first
connection exchanges the per-RFP key. Handsets get a device record when configured, so that
Configured subscription admits them (features.md §2.6), and subscribe to the system of
their own OMM: several OMMs share one air, each with its own PARK.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sim.air import Air
from sim.handset import (
    CallEnded,
    CallIncoming,
    MessageReceived,
    Registered,
    RegistrationFailed,
    State,
    Subscribed,
    SubscriptionFailed,
)
from sim.world import HandsetEntry, World
from sipdect.app.config import HandsetConfig
from sipdect.app.watch import handset_where

if TYPE_CHECKING:
    from sipdect.app.hosts import RfpHost
    from sipdect.app.system import System

log = logging.getLogger("sipdect.app.site")

SUBSCRIBE_WAIT_POLLS = 300  # 0.2 s each: how long a new handset waits to hear an RFP
SUBSCRIBE_RETRY_S = 20.0  # a handset not subscribed by then tries again
SUBSCRIBE_ATTEMPTS = 5
AIR_CLUSTER_BITS = 16
"""An OMM's cluster numbers (AXI RFP `cluster`) fit in 16 bits; the air's cluster number puts
the OMM's index above them."""
HOST_AIR_IDS_FROM = 1 << 20
"""The air ids of the system's own RFP hosts count from here. Below are the ids of RFPs that
join the world's air from outside (`sipdect rfp --air --air-id ID`): their OMM record id,
which is how a handset on one names its RFP."""


def handset_event_text(event: object) -> str | None:
    """A handset's event as the event stream tells it; None for those its states tell
    (connected: the call state) or that say nothing to a user (ciphering)."""
    if isinstance(event, CallIncoming):
        caller = " ".join(p for p in (event.number, event.name) if p)
        return f"incoming call from {caller or 'a withheld number'}"
    if isinstance(event, CallEnded):
        return f"call ended: {event.reason}"
    if isinstance(event, SubscriptionFailed | RegistrationFailed):
        what = "subscription" if isinstance(event, SubscriptionFailed) else "location registration"
        return f"{what} failed: {event.reason}"
    if isinstance(event, Subscribed):
        return "subscribed"
    if isinstance(event, Registered):
        return "location registered"
    if isinstance(event, MessageReceived):
        return f"message {event.message_id} received"
    return None


class Site:
    def __init__(self, system: System) -> None:
        self.system = system
        self.world: World | None = None
        self.rfps: dict[int, RfpHost] = {}
        """Every RFP host by its radio's id on the air (the same across restarts)."""
        self._air_ids = itertools.count(HOST_AIR_IDS_FROM)
        self._ids_of: dict[str, int] = {}
        self._timers: set[asyncio.TimerHandle] = set()

    def _later(self, delay: float, callback: Callable[..., None], *args: Any) -> None:
        """loop.call_later that clear() cancels: a step meant for a handset of the air before
        a reset must not act on the one that has its id after it."""
        def run() -> None:
            self._timers.discard(handle)
            callback(*args)
        handle = asyncio.get_running_loop().call_later(delay, run)
        self._timers.add(handle)

    def _world(self) -> World:
        if self.world is None:
            self.world = World(asyncio.get_running_loop())
            self.world.capture = self.system.recorder
            self.world.observers.append(self._tell)
        return self.world

    def _tell(self, entry: HandsetEntry, events: list[object]) -> None:
        """A handset was pumped: its news onto the system's event bus (where it is attached,
        its call state and display as states; calls ringing and ending, subscriptions and
        registrations as they happen)."""
        bus, handset = self.system.events, entry.handset
        now = asyncio.get_running_loop().time()
        subject = f"handset {handset.ipei}"
        for event in events:
            text = handset_event_text(event)
            if text is not None:
                kind = "call" if isinstance(event, CallIncoming | CallEnded) else "handset"
                bus.publish(kind, subject, text, now)
        bus.state("handset", subject, handset_where(self.system, handset), now)
        bus.state("call", subject, handset.call_state.value, now)
        bus.state("display", subject, " | ".join(handset.display), now)

    @property
    def air(self) -> Air:
        return self._world().air

    # -- RFP radios --------------------------------------------------------------------------
    def place_radio(self, host: RfpHost) -> int:
        """Put the RFP host's radio site on the air (at its configured place) and return its
        id there: the same id every time the host starts."""
        air_id = self._ids_of.get(host.name)
        if air_id is None:
            air_id = self._ids_of[host.name] = next(self._air_ids)
        cfg = host.cfg
        record = host.rfp_id = host.omm_host.ensure_rfp(cfg)
        with self.air.batch():
            # An OMM of another process: the RPN comes with the RFPI it sends (sim.air).
            self.air.add_rfp(air_id, cfg.x, cfg.y, rpn=None if record is None else record % 256,
                             cluster=self.air_cluster(cfg.omm, cfg.cluster),
                             preferred_sync=cfg.preferred_sync, dect_on=cfg.dect_on)
        self.rfps[air_id] = host
        return air_id

    def air_cluster(self, omm: str, cluster: int) -> int:
        """The air's cluster number of an OMM's cluster: RFPs of two OMMs never sync with each
        other, whatever clusters their OMMs put them in (each OMM is a system of its own)."""
        index = [h.name for h in self.system.omm_hosts()].index(omm)
        return (index << AIR_CLUSTER_BITS) | cluster

    def reserve_air_id(self, host: Any) -> int:
        """The air id of an RFP host whose radio runs in another process (its air link
        places the site); the same id every time the host starts."""
        air_id = self._ids_of.get(host.name)
        if air_id is None:
            air_id = self._ids_of[host.name] = next(self._air_ids)
        self.rfps[air_id] = host
        return air_id

    def remove_radio(self, air_id: int) -> None:
        """The RFP host is down: its radio leaves the air (its handsets lose it)."""
        if self.world is not None and air_id in self.world.air.rfps:
            self.world.air.remove_rfp(air_id)

    def rfp(self, air_id: int) -> RfpHost:
        entry = self.rfps.get(air_id)
        if entry is None:
            raise KeyError(f"no RFP {air_id}")
        return entry

    def find_rfp(self, ref: str) -> int:
        """The air id of an RFP by host name, MAC, "OMM:id" or its OMM's RFP id (when only one
        OMM has an RFP of that id); KeyError saying what to give otherwise."""
        hosts = list(self.rfps.items())
        omm, _, number = ref.rpartition(":")
        found = [i for i, h in hosts if h.name == ref or h.describe()["mac"] == ref.lower()]
        if not found and number.isdigit():
            found = [i for i, h in hosts if h.rfp_id == int(number)
                     and (not omm or h.cfg.omm == omm)]
        if len(found) == 1:
            return found[0]
        if found:
            raise KeyError(f"RFP {ref!r} is ambiguous: give it as OMM:id or by host name")
        raise KeyError(f"no RFP {ref!r}: give its host name, MAC or id (GET /_emu/rfps)")

    def forget_rfp(self, rfp_id: int) -> None:
        """The RFP is gone from the system (control API removed it)."""
        host = self.rfps.pop(rfp_id)
        self._ids_of.pop(host.name, None)

    # -- handsets ----------------------------------------------------------------------------
    def add_handset(self, cfg: HandsetConfig) -> dict[str, Any]:
        omm = self.system.omm_host(cfg.omm)
        if cfg.configured:
            omm.ensure_device(cfg.ipei)
        world = self._world()
        park = omm.park()
        entry = world.add_handset(cfg.ipei, cfg.x, cfg.y, model=cfg.model, name=cfg.name,
                                  home_park=park)
        if cfg.subscribe and not entry.handset.subscriptions:
            ac = cfg.ac if cfg.ac is not None else omm.auth_code()
            self._later(0.2, self._subscribe_when_locked, entry.id, ac, 0)
        return self.describe_handset(entry.id)

    def describe_handset(self, hid: int) -> dict[str, Any]:
        """The world's view of a handset, its RFP named as users know it: "rfp" is the OMM's
        RFP id (as AXI and /_emu/rfps show it), "rfp_host" the RFP host."""
        assert self.world is not None
        desc: dict[str, Any] = self.world.describe(hid)
        air_id = desc.get("rfp")
        host = self.rfps.get(air_id) if air_id is not None else None
        if host is not None and air_id is not None:
            desc["rfp"] = self.system.describe_rfp(air_id)["id"]
        # else an RFP from outside (its air id is its record id), or none
        desc["rfp_host"] = host.name if host is not None else None
        return desc

    def _subscribe_when_locked(self, hid: int, ac: str, polls: int, attempt: int = 1) -> None:
        """Subscribe once the handset hears an RFP of its system (RFPs sync a moment after
        start)."""
        world = self.world
        if world is None or hid not in world.handsets:
            return
        handset = world.handsets[hid].handset
        if handset.rfp_id is None and polls < SUBSCRIBE_WAIT_POLLS:
            self._later(0.2, self._subscribe_when_locked, hid, ac, polls + 1, attempt)
            return
        try:
            world.subscribe(hid, ac or None)
        except Exception as exc:  # a user-visible failure, not a crash of the site
            log.warning("handset %d: cannot subscribe: %s", hid, exc)
        if attempt < SUBSCRIBE_ATTEMPTS:
            # A subscription cut short (lost link, busy OMM) is tried again, as a user would.
            self._later(SUBSCRIBE_RETRY_S, self._retry_subscription, hid, ac, attempt + 1)

    def _retry_subscription(self, hid: int, ac: str, attempt: int) -> None:
        world = self.world
        if world is None or hid not in world.handsets:
            return
        handset = world.handsets[hid].handset
        if handset.subscriptions or handset.state is State.OFF:
            return
        self._subscribe_when_locked(hid, ac, 0, attempt)

    # -- life cycle --------------------------------------------------------------------------
    def clear_handsets(self) -> None:
        """Take every handset off the air and close the air (stop, Emulator.reset): the
        handset ids count from 1 again, pending subscriptions are cancelled. The RFP hosts
        must be down already."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self.world is not None:
            self.world.close()
            self.world = None
