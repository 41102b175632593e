"""The ESPA 4.4.4 link procedure of both ends, sans-I/O (standby-eventmgr.md B.2).

The control equipment (a nurse-call or fire panel: `ControlEquipment`) is the master: it
selects the paging system with `1 ENQ 2 ENQ`, sends data blocks, each answered ACK (or `1 NAK`
for a bad BCC, then sent again), and ends with EOT; it polls with `2 ENQ` for what the paging
system has to say (status information), answered by a block or EOT. The paging system (the
Event Manager: `PagingSystem`) is the slave. Each end is fed bytes and `now`, and is asked
for the bytes to send (`output`), what happened (`events`) and when to call `on_time` next
(`deadline`). Timers and counts are sipdect.espa.conventions'.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

from sipdect.espa import conventions as c
from sipdect.espa.codec import (
    ACK_BYTES,
    EOT_BYTES,
    BadBcc,
    DataBlock,
    Kind,
    Scanner,
    Token,
    encode,
    enq,
    nak,
)


# -- what happened -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Received:
    """A good data block from the other end (ACKed)."""

    block: DataBlock


@dataclass(frozen=True, slots=True)
class Delivered:
    """The other end ACKed this block."""

    block: DataBlock


@dataclass(frozen=True, slots=True)
class GaveUp:
    """This block was not taken after every retry; `reason` says what the last try met."""

    block: DataBlock
    reason: str


@dataclass(frozen=True, slots=True)
class Refused:
    """Bytes from the other end that were no good block (answered NAK) or meant nothing."""

    raw: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class LinkTimeout:
    """Nothing came for LINK_IDLE_S (once per silence)."""


Event = Received | Delivered | GaveUp | Refused | LinkTimeout


class State(Enum):
    IDLE = "idle"
    SELECTING = "selecting"      # master: select sent, waiting for ACK
    SENDING = "sending"          # a block sent, waiting for ACK or NAK
    POLLING = "polling"          # master: poll sent, waiting for a block or EOT
    RECEIVING = "receiving"      # selected (slave) or answered a poll (master): blocks come
    PASSIVE = "passive"          # slave: another station is selected; quiet until EOT


class _End:
    def __init__(self, now: float, *, answer_wait: float = c.ANSWER_WAIT_S,
                 retries: int = c.RETRIES, idle_limit: float = c.LINK_IDLE_S) -> None:
        self.state = State.IDLE
        self._scanner = Scanner()
        self._out = bytearray()
        self._events: list[Event] = []
        self._queue: deque[DataBlock] = deque()
        self._answer_wait, self._retries, self._idle_limit = answer_wait, retries, idle_limit
        self._tries = 0
        self._state_deadline: float | None = None
        self._heard_at = now
        self._idle_told = False

    # -- the edge's side ---------------------------------------------------------------------
    def receive(self, data: bytes, now: float) -> None:
        """Bytes from the other end."""
        if not data:
            return
        self._heard_at, self._idle_told = now, False
        for token in self._scanner.feed(data):
            self._token(token, now)

    def on_time(self, now: float) -> None:
        """Call at (or after) `deadline`."""
        if self._state_deadline is not None and now >= self._state_deadline:
            self._state_deadline = None
            self._expired(now)
        if not self._idle_told and now >= self._heard_at + self._idle_limit:
            self._idle_told = True
            self._events.append(LinkTimeout())

    def deadline(self) -> float | None:
        idle = None if self._idle_told else self._heard_at + self._idle_limit
        times = [t for t in (self._state_deadline, idle) if t is not None]
        return min(times) if times else None

    def output(self) -> bytes:
        """What to send now (and forget)."""
        data = bytes(self._out)
        self._out.clear()
        return data

    def events(self) -> list[Event]:
        """What happened since the last call (and forget)."""
        events, self._events = self._events, []
        return events

    @property
    def queued(self) -> int:
        """Blocks waiting to be sent (the one on the way included)."""
        return len(self._queue)

    # -- shared steps --------------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        self._out += data

    def _go(self, state: State, now: float, wait: float | None = None) -> None:
        self.state = state
        self._state_deadline = None if wait is None else now + wait

    def _send_block(self, now: float) -> None:
        self._tries += 1
        self._send(encode(self._queue[0]))
        self._go(State.SENDING, now, self._answer_wait)

    def _block_answered(self, token: Token, now: float) -> None:
        """ACK or NAK (or nothing) to the block on the way."""
        if token.kind is Kind.ACK:
            self._events.append(Delivered(self._queue.popleft()))
            self._tries = 0
            self._after_delivery(now)
        else:
            self._resend(now, "NAK" if token.kind is Kind.NAK else "no answer")

    def _resend(self, now: float, reason: str) -> None:
        if self._tries <= self._retries:
            self._send_block(now)
            return
        self._events.append(GaveUp(self._queue.popleft(), reason))
        self._tries = 0
        self._finish(now)

    def _finish(self, now: float) -> None:
        self._send(EOT_BYTES)
        self._go(State.IDLE, now)

    def _take_block(self, token: Token, now: float, wait: float) -> None:
        """A block for this end: ACK and tell, or NAK (`1 NAK` for a bad BCC)."""
        if token.block is not None:
            self._send(ACK_BYTES)
            self._events.append(Received(token.block))
        else:
            bad_bcc = isinstance(token.error, BadBcc)
            self._send(nak(c.TRANSMISSION_ERROR if bad_bcc else ""))
            self._events.append(Refused(token.raw, str(token.error)))
        self._go(State.RECEIVING, now, wait)

    def _token(self, token: Token, now: float) -> None:
        raise NotImplementedError

    def _expired(self, now: float) -> None:
        raise NotImplementedError

    def _after_delivery(self, now: float) -> None:
        raise NotImplementedError


class PagingSystem(_End):
    """The slave end, at `address`: takes the control equipment's calls and answers its polls
    with the status blocks queued here (`queue`)."""

    def __init__(self, now: float, address: str = c.PAGING_ADDRESS, *,
                 answer_wait: float = c.ANSWER_WAIT_S, retries: int = c.RETRIES,
                 idle_limit: float = c.LINK_IDLE_S) -> None:
        super().__init__(now, answer_wait=answer_wait, retries=retries, idle_limit=idle_limit)
        self.address = address
        self._other_enq: tuple[str, float] | None = None

    def queue(self, block: DataBlock) -> None:
        """A status to hand over when polled."""
        encode(block)  # refuses now what could never be sent
        self._queue.append(block)

    def _token(self, token: Token, now: float) -> None:
        state = self.state
        if token.kind is Kind.GARBAGE:
            self._events.append(Refused(token.raw, str(token.error)))
            return
        if token.kind is Kind.EOT:
            self._tries = 0  # a block on the way stays queued for the next poll
            self._go(State.IDLE, now)
            return
        if state is State.PASSIVE:
            return
        if state is State.SENDING:
            if token.kind in (Kind.ACK, Kind.NAK):
                self._block_answered(token, now)
            return
        if token.kind is Kind.ENQ:
            self._enq(token.address, now)
        elif token.kind is Kind.BLOCK:
            # Lenient: a block without a select is taken as if the select had come.
            self._take_block(token, now, c.BLOCK_WAIT_S)

    def _enq(self, address: str, now: float) -> None:
        before, self._other_enq = self._other_enq, None
        selecting = before is not None and now - before[1] <= c.SELECT_WINDOW_S
        if address == "":
            self._send(ACK_BYTES)  # a bare ENQ: lenient receivers ACK it
            self._go(State.RECEIVING, now, c.BLOCK_WAIT_S)
        elif address != self.address:
            if selecting:
                self._go(State.PASSIVE, now)  # another station is selected
            else:
                self._other_enq = (address, now)
        elif selecting:
            self._send(ACK_BYTES)
            self._go(State.RECEIVING, now, c.BLOCK_WAIT_S)
        elif self._queue:
            self._tries = 0
            self._send_block(now)  # polled with something to say
        else:
            self._send(EOT_BYTES)  # polled, nothing to say
            self._go(State.IDLE, now)

    def _after_delivery(self, now: float) -> None:
        if self._queue:
            self._send_block(now)
        else:
            self._finish(now)

    def _expired(self, now: float) -> None:
        if self.state is State.SENDING:
            self._resend(now, "no answer")
        else:
            self._go(State.IDLE, now)


class ControlEquipment(_End):
    """The master end (a nurse-call system): `send` blocks to the paging system at `peer`
    (selected first), `poll` it for its status blocks."""

    def __init__(self, now: float, address: str = c.CONTROL_ADDRESS,
                 peer: str = c.PAGING_ADDRESS, *, answer_wait: float = c.ANSWER_WAIT_S,
                 retries: int = c.RETRIES, idle_limit: float = c.LINK_IDLE_S) -> None:
        super().__init__(now, answer_wait=answer_wait, retries=retries, idle_limit=idle_limit)
        self.address, self.peer = address, peer
        self._poll_wanted = False

    def send(self, block: DataBlock, now: float) -> None:
        """Queue a block; the link selects the paging system when it is free."""
        encode(block)
        self._queue.append(block)
        if self.state is State.IDLE:
            self._select(now)

    def poll(self, now: float) -> None:
        """Ask the paging system for what it has (now, or once the link is free)."""
        if self.state is State.IDLE:
            self._send(enq(self.peer))
            self._go(State.POLLING, now, self._answer_wait)
        else:
            self._poll_wanted = True

    def _select(self, now: float) -> None:
        self._tries += 1
        self._send(enq(self.address) + enq(self.peer))
        self._go(State.SELECTING, now, self._answer_wait)

    def _token(self, token: Token, now: float) -> None:
        state = self.state
        if token.kind is Kind.GARBAGE:
            self._events.append(Refused(token.raw, str(token.error)))
        elif state is State.SELECTING and token.kind in (Kind.ACK, Kind.NAK):
            if token.kind is Kind.ACK:
                self._tries = 0
                self._send_block(now)
            else:
                self._select_failed(now, "NAK")
        elif state is State.SENDING and token.kind in (Kind.ACK, Kind.NAK):
            self._block_answered(token, now)
        elif state in (State.POLLING, State.RECEIVING):
            if token.kind is Kind.BLOCK:
                self._take_block(token, now, self._answer_wait)
            elif token.kind is Kind.EOT:
                self._go(State.IDLE, now)
                self._next(now)

    def _select_failed(self, now: float, reason: str) -> None:
        if self._tries <= self._retries:
            self._select(now)
            return
        for block in self._queue:
            self._events.append(GaveUp(block, f"select: {reason}"))
        self._queue.clear()
        self._tries = 0
        self._finish(now)

    def _after_delivery(self, now: float) -> None:
        if self._queue:
            self._send_block(now)
        else:
            self._finish(now)
            self._next(now)

    def _next(self, now: float) -> None:
        """The link is free: what was asked meanwhile goes now."""
        if self.state is not State.IDLE:
            return
        if self._queue:
            self._select(now)
        elif self._poll_wanted:
            self._poll_wanted = False
            self.poll(now)

    def _expired(self, now: float) -> None:
        state = self.state
        if state is State.SELECTING:
            self._select_failed(now, "no answer")
        elif state is State.SENDING:
            self._resend(now, "no answer")
            self._next(now)
        else:  # a poll or a transfer the paging system left unfinished
            self._go(State.IDLE, now)
            self._next(now)
