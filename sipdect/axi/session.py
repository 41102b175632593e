"""Sans-I/O AXI server session: framing, seq echo, login state, timers (axi.md §1-2).

Fed bytes and the current time; yields requests as events and queues response
and event frames, one frame per write. No socket, task or clock inside. A request whose
answer takes time (an Open's password check, done off the event loop) is deferred: the
requests read after it wait until it is answered, so answers keep the order of requests.
"""

from __future__ import annotations

import fnmatch
import re
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sipdect.axi import conventions
from sipdect.axi.codec import AxiSyntaxError, FrameDecoder, FrameTooLong, Message, frame, parse
from sipdect.axi.errors import AxiError


class LinkState(Enum):
    NEW = "new"  # connected, not logged in
    OPEN = "open"  # Open succeeded
    CLOSED = "closed"


@dataclass(slots=True)
class RequestReceived:
    """A complete request arrived."""

    request: Message


@dataclass(slots=True)
class ConnectionTerminated:
    """The session decided to close the link."""

    reason: str


Event = RequestReceived | ConnectionTerminated


@dataclass(slots=True)
class _Answered:
    """A frame the session answered itself (a malformed request), in its place in line."""

    data: bytes

_NAME_RE = re.compile(rb"^\s*<([A-Za-z][A-Za-z0-9_]{0,63})[\s/>]")
_SEQ_RE = re.compile(rb"\sseq\s*=\s*[\"'](-?\d{1,18})[\"']")


@dataclass
class Subscription:
    """One subscribed event type and its item filters (ppn/uid/rfpId/...)."""

    event_type: str
    all_items: bool = True
    items: set[str] = field(default_factory=set)


class AxiServerSession:
    """The server side of one AXI link."""

    def __init__(self, now: float, *, idle_timeout: float = conventions.IDLE_TIMEOUT_S,
                 login_timeout: float = conventions.LOGIN_TIMEOUT_S) -> None:
        self.state = LinkState.NEW
        self.account: Any = None
        self.sync_client = False
        self.in_process = False
        """A session its own server opened for itself (the OMM's web UI acting for a logged-in
        account): on no link, so never among the clients a limit counts; a server may grant it
        what its own UI may do (the OMM: bind users to devices)."""
        self.subscriptions: dict[str, Subscription] = {}
        self._decoder = FrameDecoder()
        self._events: deque[Event | _Answered] = deque()
        self._out: list[bytes] = []
        self._idle_timeout = idle_timeout
        self._login_timeout = login_timeout
        self._last_activity = now
        self._opened_at = now
        self._closing: str | None = None
        self._deferred: Message | None = None

    # -- input ---------------------------------------------------------------
    def receive_data(self, data: bytes, now: float) -> None:
        if self.state is LinkState.CLOSED or self._closing:
            return
        frames: list[bytes] = []
        overflow: FrameTooLong | None = None
        feed = self._decoder.feed(data)
        try:
            for raw in feed:  # keep the complete frames read before an endless one
                frames.append(raw)
        except FrameTooLong as exc:
            overflow = exc
        for raw in frames:
            self._last_activity = now
            try:
                msg = parse(raw)
            except AxiSyntaxError as exc:
                if not self._answer_malformed(raw, str(exc)):
                    self._terminate(f"garbage instead of an AXI message ({exc})")
                    return
                continue
            self._events.append(RequestReceived(msg))
        if overflow is not None:
            self._terminate(str(overflow))

    def _answer_malformed(self, raw: bytes, why: str) -> bool:
        """A broken message whose element name is still readable gets EInval."""
        m = _NAME_RE.match(raw)
        if not m:
            return False
        attrs = {}
        s = _SEQ_RE.search(raw)
        if s:
            attrs["seq"] = s.group(1).decode()
        attrs.update(errCode="EInval", info=f"malformed message: {why}"[:200])
        self._events.append(_Answered(frame(Message(m.group(1).decode() + "Resp", attrs))))
        return True

    def next_event(self) -> Event | None:
        """The next request or the end of the link; None while a deferred request waits.
        Answer (or defer) each request before asking for the next: answers the session
        gives itself (EInval to a malformed frame) go out in their turn."""
        while self._events and self._deferred is None:
            event = self._events.popleft()
            if isinstance(event, _Answered):
                self._out.append(event.data)
                continue
            if isinstance(event, ConnectionTerminated):
                # Requests read before the fatal input were served in the state they met;
                # nothing is served after the end (a deadline ends the link before them).
                self.state = LinkState.CLOSED
                self._events.clear()
            return event
        return None

    def defer(self, request: Message) -> None:
        """`request` (the one next_event just gave) is answered later with respond(): until
        then nothing read after it is handed out or answered, and no timer runs (a client
        whose Open is being checked is not timed out for the server's slowness); call
        handle_timer() after the answer, for a deadline that passed meanwhile."""
        self._deferred = request

    @property
    def closing(self) -> bool:
        """The link is ending or has ended: nothing more is answered on it."""
        return self.state is LinkState.CLOSED or self._closing is not None

    @property
    def deferred(self) -> Message | None:
        """The request whose answer is awaited, if any."""
        return self._deferred

    # -- output --------------------------------------------------------------
    def respond(self, request: Message, response: Message) -> None:
        """Queue the response, echoing the request's seq (none if it had none)."""
        seq = request.attrs.get("seq")
        if seq is not None:
            response.attrs = {"seq": seq, **response.attrs}
        self._out.append(frame(response))
        if request is self._deferred:
            self._deferred = None

    def respond_error(self, request: Message, error: AxiError,
                      extra: dict[str, str] | None = None) -> None:
        attrs = dict(extra or {})
        attrs.update(error.attrs())
        self.respond(request, Message(request.name + "Resp", attrs))

    def send_event(self, event: Message) -> None:
        if self.state is LinkState.OPEN:
            self._out.append(frame(event))

    def send_event_frame(self, data: bytes) -> None:
        """Queue an already rendered event frame (rendered once for all sessions)."""
        if self.state is LinkState.OPEN:
            self._out.append(data)

    def frames_to_send(self) -> list[bytes]:
        out, self._out = self._out, []
        return out

    # -- state ---------------------------------------------------------------
    def opened(self, account: Any, sync_client: bool) -> None:
        self.state = LinkState.OPEN
        self.account = account
        self.sync_client = sync_client

    def subscribed(self, event_type: str, item: str | None = None) -> bool:
        sub = self.subscriptions.get(event_type)
        if sub is None:
            return False
        if sub.all_items or item is None or item in sub.items:
            return True
        # A trigger filter may be a pattern ("LOC-*"), matched regardless of case
        # (standby-eventmgr.md B.3: triggerIds are case-insensitive).
        return any("*" in p and fnmatch.fnmatchcase(item.casefold(), p.casefold())
                   for p in sub.items)

    def get_timer(self) -> float | None:
        if self.state is LinkState.CLOSED or self._closing or self._deferred is not None:
            return None
        if self.state is LinkState.NEW:
            return min(self._opened_at + self._login_timeout,
                       self._last_activity + self._idle_timeout)
        return self._last_activity + self._idle_timeout

    def handle_timer(self, now: float) -> None:
        deadline = self.get_timer()
        if deadline is None or now < deadline:
            return
        # Requests still waiting behind a deferred one are not served after a deadline:
        # pipelining Opens must not keep a link beyond its login deadline.
        if self.state is LinkState.NEW and now >= self._opened_at + self._login_timeout:
            self._terminate(f"no login within {self._login_timeout:.0f} s", first=True)
        else:
            self._terminate(f"idle for {self._idle_timeout:.0f} s without a request", first=True)

    def _terminate(self, reason: str, *, first: bool = False) -> None:
        if self.state is not LinkState.CLOSED and not self._closing:
            self._closing = reason
            if first:
                self._events.appendleft(ConnectionTerminated(reason))
            else:
                self._events.append(ConnectionTerminated(reason))

    def close(self, reason: str) -> None:
        self._terminate(reason)
