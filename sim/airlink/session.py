"""The air link's two ends as sans-I/O state machines (docs/architecture.md "Air link").

Each is fed bytes and `now` (its own process's loop.time()) and gives bytes to send, events and
its next deadline; no socket, task or clock inside. The RFP end (`AirLinkClientSession`) says
Hello, waits for Welcome or Refused, then pings every HEARTBEAT_S and estimates how the
world's clock relates to its own; the world's end (`AirLinkServerSession`) waits for the Hello,
lets its owner accept or refuse it, and answers pings. A frame that does not decode, or comes
in the wrong direction or state, closes that one connection with the reason.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import cast

from sim.airlink.codec import (
    HANDSHAKE_S,
    HEARTBEAT_S,
    SILENCE_S,
    VERSION,
    AirLinkProtocolError,
    FrameReader,
    Hello,
    Message,
    Ping,
    Pong,
    Refused,
    SiteState,
    SyncUpdate,
    Welcome,
    encode,
)
from sim.primitives import (
    AirCipherStart,
    AirConnect,
    AirConnected,
    AirData,
    AirPage,
    AirPrimitive,
    AirRelease,
    AirVoice,
)

SAME_CLOCK_SLACK_S = 1e-6
"""The world's clock read between our Hello and its Welcome (within this float slack): one
machine's CLOCK_MONOTONIC, read by both processes, so the world's epoch is taken as it is."""
CLOCK_STEP_S = 0.001
"""Across machines, a Pong moves our idea of the world's clock only when it moved this much."""

_PRIMITIVES = frozenset(
    (AirConnect, AirConnected, AirData, AirCipherStart, AirRelease, AirPage, AirVoice))


# -- events --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Welcomed:
    """RFP end: the world placed the radio on its air."""

    epoch: float
    """The world's epoch (frame 0 of multiframe 0) on the world's clock."""
    offset: float
    """World clock minus ours: 0.0 when both read one clock, else the estimate (±RTT/2)."""


@dataclass(frozen=True, slots=True)
class ClockAdjusted:
    """RFP end, across machines: a better estimate of the world's clock minus ours."""

    offset: float


@dataclass(frozen=True, slots=True)
class SyncReceived:
    """RFP end: the radio's sync status and relations on the world's air."""

    update: SyncUpdate


@dataclass(frozen=True, slots=True)
class PrimitiveReceived:
    """Either end: an air primitive (to the RFP from a handset, or the RFP's transmission)."""

    primitive: AirPrimitive


@dataclass(frozen=True, slots=True)
class HelloReceived:
    """World end: an RFP asks to be placed; the owner calls accept() or refuse()."""

    hello: Hello


@dataclass(frozen=True, slots=True)
class SiteChanged:
    """World end: the RFP changed what it sets of its site."""

    state: SiteState


@dataclass(frozen=True, slots=True)
class LinkClosed:
    """Either end, last event: the link is over (the owner closes the socket)."""

    reason: str
    refused: bool = False
    """The world refused the Hello (RFP end)."""


ClientEvent = Welcomed | ClockAdjusted | SyncReceived | PrimitiveReceived | LinkClosed
ServerEvent = HelloReceived | SiteChanged | PrimitiveReceived | LinkClosed


class ClientState(Enum):
    HELLO_SENT = "waiting for WELCOME"
    UP = "placed on the world's air"
    CLOSED = "closed"


class ServerState(Enum):
    WAIT_HELLO = "waiting for HELLO"
    UP = "the RFP's site is on the air"
    CLOSED = "closed"


class _End:
    """What both ends share: a frame reader, an output buffer, events, a silence deadline."""

    def __init__(self, now: float, silence: float) -> None:
        self._reader = FrameReader()
        self._out = bytearray()
        self._events: deque[ClientEvent | ServerEvent] = deque()
        self._silence = silence
        self._last_heard = now
        self.closed = False
        self.close_reason = ""

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def _queue(self, message: Message) -> None:
        self._out += encode(message)

    def _feed(self, data: bytes, now: float, peer: str) -> list[Message]:
        if self.closed:
            return []
        if not data:
            self.close(f"the {peer} closed the air link")
            return []
        try:
            messages = self._reader.feed(data)
        except AirLinkProtocolError as exc:
            self.close(f"bad frame from the {peer}: {exc}")
            return []
        self._last_heard = now
        return messages

    def close(self, reason: str, *, refused: bool = False) -> None:
        """End the link (idempotent); LinkClosed is the last event."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self._events.append(LinkClosed(reason, refused))

    def _silent_since(self, now: float) -> bool:
        return now >= self._last_heard + self._silence


class AirLinkClientSession(_End):
    """The RFP process's end: Hello, Welcome, then primitives both ways, sync and pings."""

    def __init__(self, hello: Hello, *, handshake_timeout: float = HANDSHAKE_S,
                 heartbeat: float = HEARTBEAT_S, silence: float = SILENCE_S) -> None:
        """`hello.sent_at` is the `now` of the connection (our clock)."""
        now = hello.sent_at
        super().__init__(now, silence)
        self.state = ClientState.HELLO_SENT
        self.heartbeat = heartbeat
        self.offset = 0.0
        """The world's clock minus ours (0.0 while unknown or one clock)."""
        self.same_clock: bool | None = None
        """Both ends read one clock (None until welcomed)."""
        self._deadline: float | None = now + handshake_timeout
        self._next_ping: float | None = None
        self._best_rtt = float("inf")
        self._queue(hello)

    def next_event(self) -> ClientEvent | None:
        return cast(ClientEvent, self._events.popleft()) if self._events else None

    def send(self, message: SiteState | AirPrimitive) -> bool:
        """Queue a site change or a transmission; False once closed (nothing queued)."""
        if self.closed:
            return False
        self._queue(message)
        return True

    def receive_data(self, data: bytes, now: float) -> None:
        """Bytes from the world; b"" when it closed the connection."""
        for message in self._feed(data, now, "world"):
            if self.closed:
                return
            if self.state is ClientState.UP:
                self._on_up(message, now)
            elif isinstance(message, Welcome):
                self._on_welcome(message, now)
            elif isinstance(message, Refused):
                self.close(f"the world refused: {message.reason}", refused=True)
            else:
                self.close(f"expected WELCOME from the world, got {type(message).__name__}")
        if self.closed:
            self.state = ClientState.CLOSED

    def _on_up(self, message: Message, now: float) -> None:
        if type(message) in _PRIMITIVES:
            self._events.append(PrimitiveReceived(cast(AirPrimitive, message)))
        elif isinstance(message, SyncUpdate):
            self._events.append(SyncReceived(message))
        elif isinstance(message, Pong):
            self._on_pong(message, now)
        else:
            self.close(f"the world sent {type(message).__name__} on a running air link")

    def _on_welcome(self, welcome: Welcome, now: float) -> None:
        self.state = ClientState.UP
        self._deadline = None
        self._next_ping = now + self.heartbeat
        self.same_clock = (welcome.echo - SAME_CLOCK_SLACK_S <= welcome.now
                           <= now + SAME_CLOCK_SLACK_S)
        if not self.same_clock:
            self._best_rtt = now - welcome.echo
            self.offset = welcome.now - (welcome.echo + now) / 2
        self._events.append(Welcomed(welcome.epoch, self.offset))

    def _on_pong(self, pong: Pong, now: float) -> None:
        if self.same_clock:
            return
        rtt = now - pong.echo
        if rtt > 2 * self._best_rtt:
            return  # a slow answer says little about the clock
        self._best_rtt = min(self._best_rtt, rtt)
        estimate = pong.now - (pong.echo + now) / 2
        if abs(estimate - self.offset) >= CLOCK_STEP_S:
            self.offset = estimate
            self._events.append(ClockAdjusted(estimate))

    def get_timer(self) -> float | None:
        if self.closed:
            return None
        if self.state is ClientState.HELLO_SENT:
            return self._deadline
        assert self._next_ping is not None
        return min(self._next_ping, self._last_heard + self._silence)

    def handle_timer(self, now: float) -> None:
        if self.closed:
            return
        if self.state is ClientState.HELLO_SENT:
            if self._deadline is not None and now >= self._deadline:
                self.close("the world did not answer the HELLO")
        elif self._silent_since(now):
            self.close(f"nothing heard from the world for {self._silence:g} s")
        elif self._next_ping is not None and now >= self._next_ping:
            self._queue(Ping(now))
            self._next_ping = now + self.heartbeat
        if self.closed:
            self.state = ClientState.CLOSED


class AirLinkServerSession(_End):
    """The world's end of one RFP's link: Hello, the owner's verdict, then traffic."""

    def __init__(self, now: float, *, hello_timeout: float = HANDSHAKE_S,
                 silence: float = SILENCE_S) -> None:
        super().__init__(now, silence)
        self.state = ServerState.WAIT_HELLO
        self.hello: Hello | None = None
        self._deadline = now + hello_timeout

    def next_event(self) -> ServerEvent | None:
        return cast(ServerEvent, self._events.popleft()) if self._events else None

    def receive_data(self, data: bytes, now: float) -> None:
        """Bytes from the RFP; b"" when it closed the connection."""
        for message in self._feed(data, now, "RFP"):
            if self.closed:
                break
            if self.state is ServerState.UP:
                self._on_up(message, now)
            elif not isinstance(message, Hello):
                self.close(f"expected HELLO, got {type(message).__name__}")
            elif message.version != VERSION:
                self.refuse(f"air link version {message.version}; this world speaks {VERSION}")
            else:
                self.hello = message
                self.state = ServerState.UP
                self._events.append(HelloReceived(message))
        if self.closed:
            self.state = ServerState.CLOSED

    def _on_up(self, message: Message, now: float) -> None:
        if type(message) in _PRIMITIVES:
            self._events.append(PrimitiveReceived(cast(AirPrimitive, message)))
        elif isinstance(message, SiteState):
            self._events.append(SiteChanged(message))
        elif isinstance(message, Ping):
            self._queue(Pong(message.sent_at, now))
        else:
            self.close(f"the RFP sent {type(message).__name__} on a running air link")

    def accept(self, epoch: float, now: float) -> None:
        """Place the RFP: Welcome with the world's epoch and clock."""
        assert self.hello is not None
        self._queue(Welcome(epoch, now, self.hello.sent_at))

    def refuse(self, reason: str) -> None:
        """Refused with the reason; events after the Hello are dropped, the link closes."""
        if self.closed:
            return
        self._queue(Refused(reason))
        self._events.clear()
        self.close(f"refused: {reason}")
        self.state = ServerState.CLOSED

    def send(self, message: SyncUpdate | AirPrimitive) -> bool:
        """Queue a sync update or a primitive for the RFP; False once closed."""
        if self.closed:
            return False
        self._queue(message)
        return True

    def get_timer(self) -> float | None:
        if self.closed:
            return None
        if self.state is ServerState.WAIT_HELLO:
            return self._deadline
        return self._last_heard + self._silence

    def handle_timer(self, now: float) -> None:
        if self.closed:
            return
        if self.state is ServerState.WAIT_HELLO and now >= self._deadline:
            self.close("no HELLO came")
        elif self.state is ServerState.UP and self._silent_since(now):
            self.close(f"nothing heard from the RFP for {self._silence:g} s")
        if self.closed:
            self.state = ServerState.CLOSED
