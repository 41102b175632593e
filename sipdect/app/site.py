"""The radio side of one installation: virtual RFPs and handsets on one simulated air.

Enrolment follows seed 000 "OMM – IP-RFP Encryption": the RFP's record is created in the
OMM first (here from the system config, if missing), then its first connection exchanges
the per-RFP key. Handsets get a device record when configured, so that Configured
subscription admits them (features.md §2.6).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omm.errors import ModelError
from omm.service import OmmService
from rfp.cli import parse_hw_type
from rfp.radio import RfpRadio
from rfp.station import VirtualRfp, mac_text, parse_mac
from sim.handset import State
from sim.world import World
from sipdect.app.config import HandsetConfig, RfpConfig

log = logging.getLogger("sipdect.app.site")

SUBSCRIBE_WAIT_POLLS = 300  # 0.2 s each: how long a new handset waits to hear an RFP
SUBSCRIBE_RETRY_S = 20.0  # a handset not subscribed by then tries again
SUBSCRIBE_ATTEMPTS = 5


@dataclass
class RfpEntry:
    """One virtual RFP: its OMM, record id, radio and link end."""

    id: int
    omm: OmmService
    station: VirtualRfp
    config: RfpConfig

    def describe(self) -> dict[str, Any]:
        live = self.omm.model.rfps.live(self.id)
        return {"id": self.id, "omm": self.omm.cfg.name, "mac": self.station.name,
                "name": self.config.name, "x": self.config.x, "y": self.config.y,
                "cluster": self.config.cluster, "powered": self.station.powered,
                "linked": self.station.linked, "syncState": live["syncState"]}


class Site:
    def __init__(self, omms: list[OmmService], data_dir: Path) -> None:
        self.omms = {o.cfg.name: o for o in omms}
        self.data_dir = data_dir
        self.world: World | None = None
        self.rfps: dict[int, RfpEntry] = {}
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
        return self.world

    async def add_rfp(self, cfg: RfpConfig) -> RfpEntry:
        """Create the OMM record if needed, place the RFP on the air and start it."""
        omm = self.omms[cfg.omm]
        model = omm.model
        raw_mac = parse_mac(cfg.mac)
        colon = mac_text(raw_mac)
        rfp_id = model.rfps.by_mac.get(colon)
        if rfp_id is None:
            name = cfg.name or f"RFP {raw_mac.hex()[-4:]}"
            rec = model.rfps.create({"ethAddr": colon, "name": name,
                                     "dectOn": cfg.dect_on, "cluster": cfg.cluster,
                                     "preferredSync": cfg.preferred_sync, "site": cfg.site,
                                     "x": max(0, int(cfg.x)), "y": max(0, int(cfg.y))},
                                    model.sites.exists)
            rfp_id = rec["id"]
        if rfp_id in self.rfps:
            raise ValueError(f"RFP {colon} runs already")
        world = self._world()
        with world.air.batch():
            world.air.add_rfp(rfp_id, cfg.x, cfg.y, cluster=cfg.cluster,
                              preferred_sync=cfg.preferred_sync, dect_on=cfg.dect_on)
        radio = RfpRadio(world.air, rfp_id)
        key_path = self.data_dir / "rfp" / f"{raw_mac.hex()}.key"
        station = VirtualRfp(raw_mac, parse_hw_type(cfg.hw_type), omm.cfg.host, omm.rfp_link.port,
                             key_path, radio)
        await station.start()
        entry = RfpEntry(rfp_id, omm, station, cfg)
        self.rfps[rfp_id] = entry
        return entry

    async def remove_rfp(self, rfp_id: int) -> None:
        entry = self.rfps.pop(rfp_id)
        await entry.station.stop()
        assert self.world is not None
        self.world.air.remove_rfp(rfp_id)

    def add_handset(self, cfg: HandsetConfig) -> dict[str, Any]:
        omm = self.omms[cfg.omm]
        model = omm.model
        if cfg.configured:
            try:
                model.devices.find_by_ipei(cfg.ipei)
            except ModelError:
                model.devices.create({"ipei": cfg.ipei})
        world = self._world()
        entry = world.add_handset(cfg.ipei, cfg.x, cfg.y, model=cfg.model, name=cfg.name)
        if cfg.subscribe and not entry.handset.subscriptions:
            ac = cfg.ac if cfg.ac is not None else model.settings.value("DECTAuthCode", "ac", "")
            self._later(0.2, self._subscribe_when_locked, entry.id, ac, 0)
        return world.describe(entry.id)

    def _subscribe_when_locked(self, hid: int, ac: str, polls: int, attempt: int = 1) -> None:
        """Subscribe once the handset hears an RFP (RFPs sync a moment after start)."""
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

    def rfp(self, rfp_id: int) -> RfpEntry:
        entry = self.rfps.get(rfp_id)
        if entry is None:
            raise KeyError(f"no RFP {rfp_id}")
        return entry

    async def clear(self) -> None:
        """Take every RFP and handset off the air, as before the first was added (stop, and
        Emulator.reset): the RFPs stopped, the air and its handsets gone (handset ids count
        from 1 again), pending subscriptions cancelled."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for entry in list(self.rfps.values()):
            await entry.station.stop()
        self.rfps.clear()
        if self.world is not None:
            self.world.close()
            self.world = None

    async def stop(self) -> None:
        await self.clear()
