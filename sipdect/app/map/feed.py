"""The live site map's data feed: one reading of the system (sipdect.app.map.view) for every
page that watches, sent as a snapshot when a page connects and as numbered deltas after.

Nothing is polled by a page and nothing by the feed on a timer of its own: the world tells it
when a handset moved or was pumped, the air when an RFP's sync or power changed, the event bus
everything else (hosts, faults, calls, registrations). A burst of news is read once, at most
every FLUSH_S, so 512 walking handsets cost 1/FLUSH_S readings a second, not thousands.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sipdect import clock
from sipdect.app.events import Event
from sipdect.app.map.view import KINDS, Narrator, Reader, Record, coverage, diff

if TYPE_CHECKING:
    from sim.world import World
    from sipdect.app.system import System

log = logging.getLogger("sipdect.app.map")

FLUSH_S = 0.05
"""Decided: news is read and sent at most 20 times a second (real seconds at any speed): a
move shows within about a frame of a projector, and a page draws at most once per frame."""
RECHECK_S = 1.0
"""With no news for this long the system is read anyway (real seconds): what changes without
telling anyone (a host's process that died) shows within it."""
NARRATIVE_KEPT = 200
"""Narrative entries a page gets when it connects (the newest)."""
MAX_BEHIND = 64
"""Deltas a page may have waiting; a page further behind (a frozen tab) is dropped, and its
EventSource reconnects and gets a fresh snapshot."""


PARTIAL_KINDS = frozenset({"handset", "call", "display"})
"""Events whose news the world told the feed already (a handset's pump): no whole reading."""


def message(name: str, data: dict[str, Any]) -> bytes:
    """A server-sent event (text/event-stream) named `name` carrying `data` as JSON."""
    body = json.dumps(data, separators=(",", ":"))
    return f"event: {name}\ndata: {body}\n\n".encode()


class MapFeed:
    """The feed of one system; pages join with `join()` and leave with `leave()`."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.seq = 0
        """The number of the last delta sent (a page shows the last it applied)."""
        self.state: dict[str, dict[str, Record]] = {kind: {} for kind in KINDS}
        self.narrative: deque[Record] = deque(maxlen=NARRATIVE_KEPT)
        self._told: list[Record] = []
        """Narrative entries not sent yet."""
        self.narrator = Narrator()
        self.stats = {"readings": 0, "cpu_s": 0.0}
        """How often the system was read for the pages and the CPU time it took (bench)."""
        self.pages: set[asyncio.Queue[bytes | None]] = set()
        self._news = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unhook: list[Callable[[], None]] = []
        self._world: World | None = None
        self.reader = Reader(system)
        self._moved: set[int] = set()
        """Handsets that changed since the last reading (the world told)."""
        self._rfps_changed = False
        """The air told of an RFP's change."""
        self._whole = True
        """Read everything next time (a host, RFP, OMM or fault event; the recheck)."""

    # -- pages --------------------------------------------------------------------------------
    def join(self) -> tuple[bytes, asyncio.Queue[bytes | None]]:
        """A page connects: the snapshot to send it first, and the queue its deltas arrive on
        (None: it fell behind and is dropped)."""
        if not self.pages:
            self._start()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.pages.add(queue)
        return message("snapshot", self.snapshot()), queue

    def leave(self, queue: asyncio.Queue[bytes | None]) -> None:
        self.pages.discard(queue)
        if not self.pages:
            self._stop()

    def snapshot(self) -> dict[str, Any]:
        world = self.system.site.world
        levels = coverage(world.air.path_loss) if world is not None else []
        return {"seq": self.seq, "system": self.system.cfg.name, "coverage": levels,
                **{kind: list(self.state[kind].values()) for kind in KINDS},
                "narrative": list(self.narrative)}

    # -- news -----------------------------------------------------------------------------------
    def _start(self) -> None:
        bus = self.system.events
        self.narrative.clear()
        self.narrator = Narrator()
        for event in bus.after(max(0, bus.last_seq - NARRATIVE_KEPT)):
            self._on_event(event)  # the story so far
        self._unhook.append(bus.listen(self._on_event))
        self.system.follow_events()
        self._hook_world()
        self._flush()
        self._task = asyncio.get_running_loop().create_task(self._run())

    def _stop(self) -> None:
        for unhook in self._unhook:
            unhook()
        self._unhook.clear()
        self._world = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _hook_world(self) -> None:
        """Listen to the site's world (a new one after a reset)."""
        world = self.system.site.world
        if world is self._world or world is None:
            return
        self._world = world
        self._whole = True

        def moved(hid: int) -> None:
            self._moved.add(hid)
            self._news.set()

        def pumped(entry: Any, events: list[object]) -> None:
            moved(entry.id)

        def air_changed(rfp_ids: Any) -> None:
            self._rfps_changed = True
            self._news.set()
        world.observers.append(pumped)
        world.moved.append(moved)
        world.air.add_listener(air_changed)

        def unhook() -> None:
            if pumped in world.observers:
                world.observers.remove(pumped)
            if moved in world.moved:
                world.moved.remove(moved)
            world.air.remove_listener(air_changed)
        self._unhook.append(unhook)

    def _on_event(self, event: Event) -> None:
        self._news.set()
        if event.kind not in PARTIAL_KINDS:
            self._whole = True
        if event.kind in ("handset", "call") and event.subject.endswith(" position"):
            return
        loop = asyncio.get_running_loop()
        wall = clock.current().wall() - (loop.time() - event.time)  # both on the system clock
        entry = self.narrator.tell(event, self._in_call, wall)
        if entry is not None:
            entry["subject"] = self._name_of(event.subject)
            self.narrative.append(entry)
            self._told.append(entry)

    def _name_of(self, subject: str) -> str:
        """A handset as the map labels it (its name), anything else as the bus names it."""
        world = self.system.site.world
        if world is None or not subject.startswith("handset "):
            return subject
        try:
            return str(world.find(subject.removeprefix("handset ")).name)
        except KeyError:
            return subject

    def _in_call(self, subject: str) -> bool:
        world = self.system.site.world
        ipei = subject.removeprefix("handset ")
        try:
            return world is not None and bool(world.find(ipei).handset.call_active)
        except KeyError:
            return False

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.pages:
            try:  # real seconds: the page's viewer is no faster at speed
                await asyncio.wait_for(self._news.wait(), clock.current().virtual(RECHECK_S))
            except TimeoutError:
                self._whole = True
            self._news.clear()
            started = loop.time()
            cpu = time.process_time()
            try:
                self._hook_world()
                self._flush()
            except Exception:  # a reading that failed must not end every page's map
                log.exception("site map: reading the system failed")
            self.stats["readings"] += 1
            self.stats["cpu_s"] += time.process_time() - cpu
            await asyncio.sleep(max(0.0, clock.current().virtual(FLUSH_S)
                                    - (loop.time() - started)))

    def _flush(self) -> None:
        """Read the system (all of it, or the RFPs and handsets that told of a change); send
        what changed, and the narrative told since, as a delta."""
        moved, self._moved = self._moved, set()
        if self._whole:
            self._whole = self._rfps_changed = False
            new = self.reader.read()
        else:
            new = dict(self.state)
            if self._rfps_changed:
                self._rfps_changed = False
                new["rfps"] = self.reader.rfps()
            if moved:
                handsets = new["handsets"] = dict(self.state["handsets"])
                for hid in moved:
                    record = self.reader.handset(hid)
                    if record is None:
                        handsets.pop(str(hid), None)
                    else:
                        handsets[str(hid)] = record
            new["calls"] = self.reader.calls(new["handsets"])
        changed, gone = diff(self.state, new)
        self.state = new
        told, self._told = self._told, []
        if not (changed or gone or told):
            return
        self.seq += 1
        data = message("delta", {"seq": self.seq, **changed, "gone": gone, "narrative": told})
        for queue in list(self.pages):
            if queue.qsize() >= MAX_BEHIND:
                self.pages.discard(queue)
                queue.put_nowait(None)
            else:
                queue.put_nowait(data)
