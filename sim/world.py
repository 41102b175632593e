"""The simulated world of one installation on an asyncio loop: the air and its handsets.

The handsets and the air are sans-I/O; this moves the handsets' primitives onto the air,
runs their timers, and re-locks them to the strongest RFP when they move or when an RFP
comes, goes or changes sync (features.md §2.4: a connection moves only between synced
RFPs of one cluster). RFP radios are driven by their VirtualRfp. One 10 ms ticker on the air's
frame boundaries carries the voice of every handset in a call (sim.voice, docs/calls.md §2).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from dect.identities import Ipei, Park
from dect.timing import FRAME_SECONDS, FRAMES_PER_MULTIFRAME
from sim.air import Air, schedule_deliveries
from sim.handset import (
    AirTap,
    CallConnected,
    CallEnded,
    CallState,
    Handset,
    HandsetStateError,
    State,
)
from sim.primitives import AirData, AirPrimitive, AirVoice
from sim.voice import PcmSource, VoicePath, default_tone_hz
from sipdect import clock
from sipdect.capture import AirRecord, Recorder
from sipdect.media.signals import ToneReport

log = logging.getLogger("sipdect.sim")

WALK_SPEED_M_S: Final = 1.4
"""A walk's default speed: a person walking (the trainer's `ctl walk` without --speed)."""
WALK_STEP_S: Final = 0.2
"""Decided: a walking handset is moved on every 0.2 s (28 cm at walking speed), each step to
where the time since it set off puts it, so a late loop does not slow it down; fine enough
that it locks to a better RFP within a step of where a continuous walk would."""

MAX_CATCH_UP_FRAMES = 5
"""Air frames the voice ticker sends at once when the loop ran late (a handset never stops
talking); beyond that it skips to now, as rfp.media's channels do."""


class VoiceUnavailable(ValueError):
    """Voice was asked for at a speed other than 1 (sipdect.clock.VOICE_NEEDS_SPEED)."""


@dataclass
class HandsetEntry:
    """A handset of the world and what the control API shows of it."""

    id: int
    handset: Handset
    name: str = ""
    events: list[str] = field(default_factory=list)
    last_call_end: str | None = None
    """Why the handset's last call ended (CallEnded reason), None before its first call."""
    home_park: Park | None = None
    """The system it is meant for (its OMM's PARK): it looks for that system's RFPs until it
    is subscribed; None: any system it hears."""


@dataclass
class Walk:
    """A handset on its way along a straight line (World.walk)."""

    start: tuple[float, float]
    to: tuple[float, float]
    speed: float
    """Metres per second."""
    started: float
    """The loop's time when it set off."""
    arrived: asyncio.Future[bool]
    """True once it is there; False when it stopped on the way (another walk or move, the
    handset removed, the world closed)."""
    timer: asyncio.TimerHandle | None = None

    @property
    def seconds(self) -> float:
        """How long the whole walk takes."""
        return math.dist(self.start, self.to) / self.speed

    def position(self, now: float) -> tuple[float, float]:
        """Where it is at `now` on its way."""
        total = self.seconds
        share = 1.0 if total <= 0 else min(1.0, max(0.0, (now - self.started) / total))
        return (self.start[0] + (self.to[0] - self.start[0]) * share,
                self.start[1] + (self.to[1] - self.start[1]) * share)


@dataclass(frozen=True, slots=True)
class Hearing:
    """What a handset's earpiece plays, for a tone asked about (control API `hears`)."""

    call_connected: bool
    """A call is connected now; only then does the earpiece play the far end."""
    now: ToneReport | None
    """The latest audio while a call is connected; None once it ended (the earpiece is
    silent then, whatever the last call carried)."""
    last_call: ToneReport | None
    """Once the call ended: the last audio of that call, up to its end."""

    @property
    def present(self) -> bool:
        """The tone plays in the earpiece now."""
        return self.now is not None and self.now.present


class World:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.air = Air(epoch=loop.time())
        schedule_deliveries(self.air, loop.call_soon, loop.time)
        self.air.add_listener(self._air_changed)
        self.handsets: dict[int, HandsetEntry] = {}
        self._by_ipei: dict[str, int] = {}
        """Handset id by IPEI (OMM form): placing a site's handsets one by one stays linear."""
        self._ids = itertools.count(1)
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._changed_rfps: set[int] = set()
        self._relock_scheduled = False
        self._voices: dict[int, VoicePath] = {}
        self._last_voices: dict[int, VoicePath] = {}
        """The voice of each handset's last call, once it ended."""
        self.auto_voice = True
        """Connected calls talk by themselves (docs/calls.md §2)."""
        self._voice_timer: asyncio.TimerHandle | None = None
        self._voice_next: int | None = None
        """The air frame the voice ticker sends next (None: it is not running)."""
        self.walks: dict[int, Walk] = {}
        """The handsets walking now."""
        self.capture: Recorder | None = None
        """Where the handsets' air frames are recorded (docs/capture.md); None: nowhere."""
        self.observers: list[Callable[[HandsetEntry, list[object]], None]] = []
        """Told after each pump of a handset, with the events it gave (maybe none): whoever
        follows handsets (the application's event bus) reads their state there, as every
        change of a handset (air, keys, timers) goes through a pump."""
        self.moved: list[Callable[[int], None]] = []
        """Told the id of a handset put somewhere else (a move, each step of a walk): a pump
        tells only what the handset noticed, and one step seldom changes its RFP."""

    def now(self) -> float:
        return self.loop.time()

    # -- handsets ----------------------------------------------------------------------------
    def add_handset(self, ipei: str, x: float, y: float, *, model: str = "622d",
                    name: str = "", home_park: Park | None = None) -> HandsetEntry:
        ipei = Ipei.parse(ipei).omm_form()
        if ipei in self._by_ipei:
            raise ValueError(f"a handset with IPEI {ipei} is already on the air")
        hid = next(self._ids)
        handset = Handset(ipei, model=model)
        if self.capture is not None:
            handset.tap = air_tap(self.capture, ipei)
        entry = HandsetEntry(hid, handset, name or f"Handset {hid}", home_park=home_park)
        self.handsets[hid] = entry
        self._by_ipei[ipei] = hid
        self.air.add_handset(hid, x, y)
        self.air.attach_handset(hid, lambda rfp, prim, now: self._receive(hid, rfp, prim, now))
        handset.hearing = functools.partial(self.hearing, hid)
        handset.power_on(self.now())
        self.relock(hid)
        self.pump(hid)
        return entry

    def remove_handset(self, hid: int) -> None:
        entry = self.get(hid)
        if entry.handset.state is not State.OFF:
            entry.handset.power_off(self.now())
            self.pump(hid)
        timer = self._timers.pop(hid, None)
        if timer is not None:
            timer.cancel()
        self._stop_walk(hid)
        self.voice_stop(hid)
        self.air.remove_handset(hid)
        del self.handsets[hid]
        del self._by_ipei[str(entry.handset.ipei)]

    def get(self, hid: int) -> HandsetEntry:
        entry = self.handsets.get(hid)
        if entry is None:
            raise KeyError(f"no handset {hid}")
        return entry

    def find(self, ref: str) -> HandsetEntry:
        """A handset by id, IPEI (either form) or its name when no other handset has it."""
        if ref.isdigit() and int(ref) in self.handsets:
            return self.handsets[int(ref)]
        try:
            hid = self._by_ipei.get(Ipei.parse(ref).omm_form())
        except ValueError:
            hid = None
        if hid is not None:
            return self.handsets[hid]
        named = [e for e in self.handsets.values() if e.name and e.name == ref]
        if len(named) > 1:
            raise KeyError(f"{len(named)} handsets are named {ref!r}: give the IPEI or id")
        if not named:
            raise KeyError(f"no handset {ref!r}")
        return named[0]

    def move(self, hid: int, x: float, y: float) -> None:
        """Put the handset there at once (a walk it was on ends)."""
        self.get(hid)
        self._stop_walk(hid)
        self._place(hid, x, y)

    def _place(self, hid: int, x: float, y: float) -> None:
        self.air.move(hid, x, y)
        self.relock(hid)
        for observer in self.moved:
            observer(hid)

    def walk(self, hid: int, x: float, y: float, speed: float = WALK_SPEED_M_S) -> Walk:
        """Walk the handset to (x, y) along the straight line at `speed` m/s, a step every
        WALK_STEP_S; it locks, registers and loses RFPs on the way as the air decides.
        `Walk.arrived` says when it is there. A walk it was on ends where it stands."""
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"a walk's speed is a number of metres per second above 0, "
                             f"not {speed!r}")
        self.get(hid)
        self._stop_walk(hid)
        portable = self.air.handsets[hid]
        walk = Walk((portable.x, portable.y), (float(x), float(y)), float(speed), self.now(),
                    self.loop.create_future())
        self.walks[hid] = walk
        self._walk_step(hid, walk)
        return walk

    def _walk_step(self, hid: int, walk: Walk) -> None:
        walk.timer = None
        if self.walks.get(hid) is not walk:
            return
        now = self.now()
        x, y = walk.position(now)
        self._place(hid, x, y)
        if (x, y) == walk.to:
            del self.walks[hid]
            if not walk.arrived.done():
                walk.arrived.set_result(True)
            return
        walk.timer = self.loop.call_at(now + WALK_STEP_S, self._walk_step, hid, walk)

    def _stop_walk(self, hid: int) -> None:
        walk = self.walks.pop(hid, None)
        if walk is None:
            return
        if walk.timer is not None:
            walk.timer.cancel()
        if not walk.arrived.done():
            walk.arrived.set_result(False)

    def power(self, hid: int, on: bool) -> None:
        handset = self.get(hid).handset
        if on and handset.state is State.OFF:
            handset.power_on(self.now())
            self.relock(hid)
        elif not on and handset.state is not State.OFF:
            handset.power_off(self.now())
        self.pump(hid)

    def subscribe(self, hid: int, ac: str | None, park: Park | None = None) -> None:
        """Subscribe with `ac` (None: open the menu) to the system of `park` (default: the
        handset's home PARK, else whatever it is locked to)."""
        entry = self.get(hid)
        entry.handset.subscribe(self.now(), ac=ac, park=park or entry.home_park)
        self.pump(hid)

    def press(self, hid: int, keys: str) -> None:
        self.get(hid).handset.press(keys, self.now())
        self.pump(hid)

    def alarm(self, hid: int, kind: str) -> str:
        """Raise a handset alarm (Handset.alarm); the number its alarm call dials."""
        try:
            return self.get(hid).handset.alarm(kind, self.now())
        finally:
            self.pump(hid)

    # -- voice -------------------------------------------------------------------------------
    def voice_start(self, hid: int, tone_hz: float | None = None, wideband: bool = False, *,
                    source: PcmSource | None = None) -> VoicePath:
        """The handset talks from now on (a tone, by default its own `default_tone_hz`, or
        `source`) whenever it is connected, and records what it hears. Starting again
        replaces the path. VoiceUnavailable at a speed other than 1 (sipdect.clock)."""
        self.get(hid)
        if not clock.voice_available():
            raise VoiceUnavailable(f"handset {hid}: voice needs speed 1; this system runs at "
                                   f"speed {clock.speed():g} (calls connect without voice)")
        if source is None and tone_hz is None:
            tone_hz = default_tone_hz(hid)
        path = VoicePath(wideband=wideband, tone_hz=tone_hz, source=source)
        self._voices[hid] = path
        self._arm_voice_ticker()
        return path

    def _follow_call(self, hid: int, event: object) -> None:
        """A connected call talks (the handset's own tone unless voice_start chose another
        source before); an ended call stops talking, and what was heard stays readable."""
        if not self.auto_voice:
            return
        if isinstance(event, CallConnected):
            if hid not in self._voices and clock.voice_available():
                self.voice_start(hid)
        elif isinstance(event, CallEnded):
            path = self._voices.get(hid)
            self.voice_stop(hid)
            if path is not None:
                self._last_voices[hid] = path

    def voice_stop(self, hid: int) -> None:
        """The handset stops talking; its path (and what it recorded) is dropped."""
        self._last_voices.pop(hid, None)
        self._voices.pop(hid, None)
        if not self._voices and self._voice_timer is not None:
            self._voice_timer.cancel()
            self._voice_timer = None
            self._voice_next = None

    def voice_active(self, hid: int) -> bool:
        return hid in self._voices

    def voice_path(self, hid: int) -> VoicePath | None:
        """The handset's voice path while voice is active, else that of its last call."""
        return self._voices.get(hid) or self._last_voices.get(hid)

    def hears(self, hid: int, tone_hz: float, seconds: float) -> Hearing | None:
        """Whether the earpiece plays `tone_hz` in the latest `seconds` (Goertzel): only while
        a call is connected; after it, the last call's audio up to its end is reported
        apart. None when the handset has had no call with voice yet."""
        path = self.voice_path(hid)
        if path is None:
            return None
        report = path.hears_tone(tone_hz, seconds)
        connected = (self.get(hid).handset.call_state is CallState.CONNECTED
                     and hid in self._voices)
        return Hearing(connected, report if connected else None,
                       None if connected else report)

    def _arm_voice_ticker(self) -> None:
        if self._voice_timer is not None or not self._voices:
            return
        next_index = self.air.frame_index(self.now()) + 1
        self._voice_timer = self.loop.call_at(self.air.epoch + next_index * FRAME_SECONDS,
                                              self._voice_tick)

    def _voice_tick(self) -> None:
        """The air frames since the last tick (one, unless the loop ran late: then up to
        MAX_CATCH_UP_FRAMES): every talking, connected handset sends its frame of each to its
        RFP."""
        self._voice_timer = None
        current = self.air.frame_index(self.now())
        first = current if self._voice_next is None else max(
            self._voice_next, current - MAX_CATCH_UP_FRAMES + 1)
        for index in range(first, current + 1):
            self._voice_frame(*self.air.frame_numbers(index))
        self._voice_next = current + 1
        self._arm_voice_ticker()

    def _voice_frame(self, mfn: int, fn: int) -> None:
        """One air frame of every talking handset. Ciphered frames go through
        Air.cipher_voice_soon, so the whole installation's frames take one batched DSC run."""
        for hid, path in self._voices.items():
            entry = self.handsets.get(hid)
            if entry is None:
                continue
            handset = entry.handset
            rfp_id = handset.rfp_id
            if handset.state is not State.CONNECTED or rfp_id is None:
                continue
            payload = path.next_uplink()
            key, pmid = handset.cipher_key, handset.link_pmid
            if key is None:
                self.air.send_from_handset(hid, rfp_id, AirVoice(pmid, payload, mfn, fn))
                continue
            self.air.cipher_voice_soon(
                key, mfn, fn, payload, downlink=False,
                done=functools.partial(self._send_voice, hid, rfp_id, pmid, mfn, fn))

    def _send_voice(self, hid: int, rfp_id: int, pmid: int, mfn: int, fn: int,
                    ciphered: bytes, now: float) -> None:
        self.air.send_from_handset(hid, rfp_id, AirVoice(pmid, ciphered, mfn, fn, True))

    def _receive_voice(self, hid: int, rfp_id: int, frame: AirVoice) -> None:
        handset = self.handsets[hid].handset
        path = self._voices.get(hid)
        if path is None or rfp_id != handset.rfp_id or frame.pmid != handset.link_pmid:
            return
        index = frame.mfn * FRAMES_PER_MULTIFRAME + frame.fn
        key = handset.cipher_key
        if not frame.ciphered:
            path.receive(frame.payload, index)
        elif key is None:
            path.receive(None, index)
        else:
            self.air.cipher_voice_soon(
                key, frame.mfn, frame.fn, frame.payload, downlink=True,
                done=lambda clear, now: path.receive(clear, index))

    # -- radio -------------------------------------------------------------------------------
    def _wanted_parks(self, entry: HandsetEntry) -> tuple[Park, ...] | None:
        """The systems the handset looks for: its subscriptions' PARKs (an RFP is one of them
        when a PARK covers its PARI or one of its SARIs), else its home PARK (none: any system
        it hears)."""
        subs = tuple(s.park for s in entry.handset.subscriptions.values())
        if subs:
            return subs
        return None if entry.home_park is None else (entry.home_park,)

    def hearing(self, hid: int) -> list[tuple[int, float]]:
        """(RPN, dBm) of every RFP of its systems the handset hears above sensitivity,
        strongest first: what it reports when asked for its position."""
        found = self.air.candidates(hid, self._wanted_parks(self.get(hid)))
        return [(self.air.rfps[rfp_id].rpn, rssi) for rfp_id, rssi in found]

    def relock(self, hid: int) -> None:
        """Lock to the strongest synced RFP; move a running connection there (handover)."""
        handset = self.get(hid).handset
        if handset.state is State.OFF:
            return
        best = self.air.strongest_rfp(hid, self._wanted_parks(self.get(hid)))
        if best is None:
            if handset.state is not State.SEARCHING:
                handset.unlock()  # out of range: a connection (and its call) is lost
                self.pump(hid)
            return
        site = self.air.rfps[best]
        if best == handset.rfp_id and (site.rfpi, site.saris) == (handset.rfpi, handset.saris):
            return
        current = self.air.rfps.get(handset.rfp_id) if handset.rfp_id is not None else None
        now = self.now()
        try:
            # A connection still setting up its security (no cipher key, no call: a
            # location registration authenticating) finishes where it is and the handset
            # locks to the better RFP after it: handed over in the middle,
            # the procedure was lost and retried only after its back-off. A connection
            # never moves to another PARI (EN 300 175-6 §5: internal handover stays within
            # one FP); it holds until its radio link is lost.
            if (best != handset.rfp_id and handset.state is State.CONNECTED
                    and current is not None and current.up
                    and current.cluster == site.cluster
                    and current.rfpi is not None and site.rfpi is not None
                    and current.rfpi.ari == site.rfpi.ari
                    and (handset.cipher_key is not None or handset.call_active)
                    and self.air.is_synced(handset.rfp_id)):  # type: ignore[arg-type]
                handset.connect_to(best, now)
            else:
                assert site.rfpi is not None
                handset.lock(best, site.rfpi, now, site.saris)
        except HandsetStateError as exc:
            log.debug("handset %d: no relock to RFP %d: %s", hid, best, exc)
        self.pump(hid)

    def _air_changed(self, rfp_ids: Any) -> None:
        # Deferred (the air tells us in the middle of its own change) and coalesced: a burst
        # of changes in one loop turn costs one pass over the handsets.
        self._changed_rfps.update(rfp_ids)
        if not self._relock_scheduled:
            self._relock_scheduled = True
            self.loop.call_soon(self._relock_affected)

    def _relock_affected(self) -> None:
        """Relock only the handsets a change can move: those without an RFP, those on a
        changed RFP, and those that now hear a changed RFP better than their own."""
        self._relock_scheduled = False
        changed, self._changed_rfps = self._changed_rfps, set()
        for hid, entry in list(self.handsets.items()):
            handset = entry.handset
            if handset.state is State.OFF:
                continue
            current = handset.rfp_id
            if current is None or current in changed or current not in self.air.rfps:
                self.relock(hid)
                continue
            own = self.air.rssi(hid, current)
            if any(r in self.air.rfps and self.air.is_synced(r)
                   and self.air.rssi(hid, r) > own for r in changed):
                self.relock(hid)

    def _receive(self, hid: int, rfp_id: int, prim: Any, now: float) -> None:
        entry = self.handsets.get(hid)
        if entry is None:
            return
        if isinstance(prim, AirVoice):
            self._receive_voice(hid, rfp_id, prim)
            return
        entry.handset.receive(rfp_id, prim, now)
        self.loop.call_soon(self.pump, hid)

    def pump(self, hid: int) -> None:
        """Move what the handset wants to send onto the air and arm its timer."""
        entry = self.handsets.get(hid)
        if entry is None:
            return
        handset = entry.handset
        for rfp_id, prim in handset.air_to_send():
            self.air.send_from_handset(hid, rfp_id, prim)
        events: list[object] = []
        while (event := handset.next_event()) is not None:
            events.append(event)
            entry.events.append(type(event).__name__)
            del entry.events[:-50]
            if isinstance(event, CallEnded):
                entry.last_call_end = event.reason
            self._follow_call(hid, event)
        for observer in self.observers:
            observer(entry, events)
        if (handset.state is State.LOCKED or handset.state is State.SEARCHING):
            best = self.air.strongest_rfp(hid, self._wanted_parks(entry))
            if best is not None and best != handset.rfp_id:
                self.loop.call_soon(self.relock, hid)
        timer = self._timers.pop(hid, None)
        if timer is not None:
            timer.cancel()
        deadline = handset.get_timer()
        if deadline is not None:
            self._timers[hid] = self.loop.call_at(deadline, self._on_timer, hid)

    def _on_timer(self, hid: int) -> None:
        self._timers.pop(hid, None)
        entry = self.handsets.get(hid)
        if entry is None:
            return
        entry.handset.handle_timer(self.now())
        self.pump(hid)

    def describe(self, hid: int) -> dict[str, Any]:
        entry = self.get(hid)
        h = entry.handset
        x, y = self.air.handsets[hid].x, self.air.handsets[hid].y
        sub = h.subscription
        return {"id": hid, "name": entry.name, "ipei": str(h.ipei), "model": h.model,
                "x": x, "y": y, "walk": self._describe_walk(hid),
                "state": h.state.value, "rfp": h.rfp_id,
                "location": h.location.value,
                "subscribed": bool(h.subscriptions),
                "tpui": (sub.tpui.value if sub is not None and sub.tpui is not None else None),
                "display": list(h.display),
                "messages": [{"id": m.message_id, "title": m.title, "text": m.text,
                              "priority": m.priority, "answer": m.answer}
                             for m in h.messages],
                "alert": h.alert,
                "call_active": h.call_active, "last_call_end": entry.last_call_end,
                "call_state": h.call_state.value, "auto_answer": h.auto_answer,
                "undecodable_frames": h.undecodable,
                "voice": self._describe_voice(hid),
                "events": list(entry.events[-10:])}

    def _describe_walk(self, hid: int) -> dict[str, Any] | None:
        walk = self.walks.get(hid)
        if walk is None:
            return None
        left = max(0.0, walk.started + walk.seconds - self.now())
        return {"to": {"x": walk.to[0], "y": walk.to[1]}, "speed": walk.speed,
                "seconds_left": round(left, 2)}

    def _describe_voice(self, hid: int) -> dict[str, Any] | None:
        path = self.voice_path(hid)
        if path is None:
            return None
        st = path.stats
        return {"talking": hid in self._voices, "tone_hz": path.tone_hz,
                "wideband": path.wideband, "sent": st.sent,
                "received": st.received, "missing": st.missing, "late": st.late,
                "undecodable": st.undecodable}

    def close(self) -> None:
        for hid in list(self.walks):
            self._stop_walk(hid)
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._voices.clear()
        self._last_voices.clear()
        if self._voice_timer is not None:
            self._voice_timer.cancel()
            self._voice_timer = None
        self._voice_next = None


def air_tap(capture: Recorder, ipei: str) -> AirTap:
    """What a handset tells the capture: each primitive as an air record."""
    def tap(uplink: bool, rfp_id: int, primitive: AirPrimitive, clear: bytes | None) -> None:
        name = type(primitive).__name__
        pmid = getattr(primitive, "pmid", 0)
        if isinstance(primitive, AirData):
            record = AirRecord(uplink, primitive.ciphered, rfp_id, pmid, ipei, name,
                               clear or b"", primitive.mfn, primitive.fn)
        else:
            record = AirRecord(uplink, False, rfp_id, pmid, ipei, name)
        capture.air(record)
    return tap
