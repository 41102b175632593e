"""The system's one event bus: everything the emulator does, numbered, for `sipdect ctl
watch`, GET /_emu/events (server-sent events), GET /_emu/watch and `Site.events()`.

An event is a dict with seq, time (the system clock, the event loop's), kind, subject and
text, plus fault (a fault the control API caused: host kill, link cut, reset) and
since_fault (seconds since the last fault, the trainer's timeline). Sources push where a hook
exists (faults, hosts, handsets through the world's pump) and a poller feeds snapshots of the
rest (RFP link and sync, positions, registrations) while someone listens; both go through
`state()`, so a subject's change is told once however it was noticed.

The bus is sans-I/O: it is given `now` and keeps events; listeners are plain callbacks
(`Site.events()` and the control API wrap them in asyncio queues and events).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

KEEP_EVENTS = 1000
"""Events the bus keeps (the oldest go first): a watcher away longer misses some, and an SSE
client resuming from before them gets what is left."""
GONE = "gone"
"""The text of a polled subject that is no longer there."""


@dataclass(frozen=True)
class Event:
    seq: int
    time: float
    """Seconds on the system clock (the event loop's)."""
    kind: str
    """host, rfp, handset, call, display, registration, omm, fault, reset."""
    subject: str
    """What it is about, as users name it: "host OMM", "handset 00077 0010001 6", ..."""
    text: str
    """What happened or the subject's new state, in words."""
    since_mark: float | None = None
    """Seconds since the last fault; None before the first."""
    mark: bool = False
    """A fault caused through the control API or the library, not a change seen."""

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": round(self.time, 3), "kind": self.kind,
                "subject": self.subject, "text": self.text, "fault": self.mark,
                "since_fault": None if self.since_mark is None else round(self.since_mark, 3)}

    def as_watch(self) -> dict[str, Any]:
        """The shape GET /_emu/watch has always answered (text: "subject: state" in one
        line), with the kind and subject beside it."""
        return {"seq": self.seq, "at": round(self.time, 3), "kind": self.kind,
                "subject": self.subject, "text": self.line, "fault": self.mark,
                "since_fault": None if self.since_mark is None else round(self.since_mark, 3)}

    @property
    def line(self) -> str:
        """subject: text (a fault's text alone: it names its subject)."""
        return self.text if self.mark or not self.subject else f"{self.subject}: {self.text}"


Listener = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self.events: deque[Event] = deque(maxlen=KEEP_EVENTS)
        self.last_seq = 0
        self._states: dict[tuple[str, str], str] = {}
        """Each (kind, subject)'s last told state (pushed or polled)."""
        self._polled: set[str] | None = None
        """The subjects the last snapshot had; None before the first (the baseline)."""
        self._mark_at: float | None = None
        self._listeners: list[Listener] = []

    # -- listening ---------------------------------------------------------------------------
    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event from now on; returns what stops it."""
        self._listeners.append(listener)

        def stop() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)
        return stop

    @property
    def listened(self) -> bool:
        return bool(self._listeners)

    def after(self, seq: int) -> list[Event]:
        """The kept events numbered above `seq`, in order."""
        if not self.events or seq >= self.last_seq:
            return []
        first = self.events[0].seq
        return list(self.events)[max(0, seq + 1 - first):]

    # -- telling -----------------------------------------------------------------------------
    def publish(self, kind: str, subject: str, text: str, now: float) -> Event:
        """Something happened (not a state: told every time)."""
        return self._add(kind, subject, text, now)

    def mark(self, text: str, now: float, *, kind: str = "fault", subject: str = "") -> Event:
        """A fault: later events count their time from here."""
        self._mark_at = now
        return self._add(kind, subject, text, now, mark=True)

    def told(self, kind: str, subject: str) -> str | None:
        """The state last told of a subject (None: none yet, or forgotten)."""
        return self._states.get((kind, subject))

    def state(self, kind: str, subject: str, text: str, now: float) -> Event | None:
        """The subject is in state `text` now: an event when that is news."""
        if self._states.get((kind, subject)) == text:
            return None
        self._states[kind, subject] = text
        return self._add(kind, subject, text, now)

    def forget(self, subjects: Iterable[str]) -> None:
        """The subjects start afresh (a reset): their next state is news even if unchanged."""
        gone = set(subjects)
        for key in [k for k in self._states if k[1] in gone]:
            del self._states[key]

    def observe(self, states: dict[str, str], now: float,
                kind_of: Callable[[str], str] = lambda s: s.split(" ", 1)[0]) -> list[Event]:
        """A polled snapshot (subject -> state): an event for each subject whose state changed,
        appeared or left since the last one (the first snapshot is the baseline and gives
        none)."""
        polled, self._polled = self._polled, set(states)
        if polled is None:
            for subject, text in states.items():
                self._states[kind_of(subject), subject] = text
            return []
        out = [e for subject, text in states.items()
               if (e := self.state(kind_of(subject), subject, text, now)) is not None]
        for subject in sorted(polled - states.keys()):
            kind = kind_of(subject)
            event = self.state(kind, subject, GONE, now)
            if event is not None:
                out.append(event)
            self._states.pop((kind, subject), None)
        return out

    def _add(self, kind: str, subject: str, text: str, now: float, *,
             mark: bool = False) -> Event:
        self.last_seq += 1
        since = None if self._mark_at is None else now - self._mark_at
        event = Event(self.last_seq, now, kind, subject, text, since, mark)
        self.events.append(event)
        for listener in list(self._listeners):
            listener(event)
        return event


def sse(event: Event) -> bytes:
    """One event as a server-sent event (text/event-stream): its seq as the id (a client
    resumes with Last-Event-ID), its kind as the event name, the dict as JSON data."""
    import json

    data = json.dumps(event.as_dict(), separators=(",", ":"))  # JSON: no line breaks
    name = event.kind.replace("\r", " ").replace("\n", " ")
    return f"id: {event.seq}\nevent: {name}\ndata: {data}\n\n".encode()


def parse_sse(text: str) -> list[dict[str, str]]:
    """The fields of each complete server-sent event in `text` (the client side: `ctl watch`,
    tests); comment lines (": ...", keep-alives) are skipped."""
    out: list[dict[str, str]] = []
    for block in text.replace("\r\n", "\n").split("\n\n")[:-1]:
        fields: dict[str, str] = {}
        for row in block.split("\n"):
            if not row or row.startswith(":"):
                continue
            name, _, value = row.partition(":")
            value = value[1:] if value.startswith(" ") else value
            fields[name] = fields[name] + "\n" + value if name in fields else value
        if fields:
            out.append(fields)
    return out
