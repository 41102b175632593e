"""The asyncio edges of an ESPA 4.4.4 link (either end): a TCP stream and a serial line (a
tty in raw mode: a real RS-232 port or one end of a PTY pair). Each pumps bytes and one
timer into the sans-I/O end (sipdect.espa.link) and hands what happened to `on_event`.

A peer whose bytes mean nothing in ESPA (outside any block) is closed with the reason logged
when `close_on_garbage` (the Event Manager's server); a block with a bad BCC is answered
`1 NAK` by the link and the connection stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import termios
import tty
from collections.abc import Callable

from sipdect import clock
from sipdect.espa.codec import DataBlock
from sipdect.espa.conventions import SOH
from sipdect.espa.link import (
    ControlEquipment,
    Delivered,
    Event,
    GaveUp,
    PagingSystem,
    Received,
    Refused,
    State,
)

log = logging.getLogger("sipdect.espa")

End = PagingSystem | ControlEquipment
EventHandler = Callable[["EspaLink", Event], None]


class EspaLink:
    """One link: its sans-I/O `end`, a way to write and to close. `feed` bytes in; events go
    to `on_event` before the bytes they caused are written (an ACKed call is handled first:
    whoever persists it in `on_event` has it before the ACK leaves)."""

    def __init__(self, end: End, label: str, on_event: EventHandler, *,
                 close_on_garbage: bool = False) -> None:
        self.end = end
        self.label = label
        self.on_event = on_event
        self.close_on_garbage = close_on_garbage
        self.closed = asyncio.Event()
        self.delivered: asyncio.Queue[DataBlock] = asyncio.Queue()
        """Blocks the other end ACKed (ControlEquipment: calls; PagingSystem: statuses)."""
        self.received: asyncio.Queue[DataBlock] = asyncio.Queue()
        """Good blocks from the other end."""
        self.gave_up: asyncio.Queue[tuple[DataBlock, str]] = asyncio.Queue()
        self.idle = asyncio.Event()
        """Set while the end is idle with nothing queued (a poll or a transfer is over)."""
        self._write: Callable[[bytes], None] = lambda data: None
        self._close: Callable[[], None] = lambda: None
        self._timer: asyncio.TimerHandle | None = None
        self.close_reason = ""

    def attach(self, write: Callable[[bytes], None], close: Callable[[], None]) -> None:
        self._write, self._close = write, close
        self._pump()

    def feed(self, data: bytes) -> None:
        self.end.receive(data, self._now())
        self._pump()

    def act(self, step: Callable[[float], None]) -> None:
        """Do something to the end (send, poll, queue) and pump what it says."""
        step(self._now())
        self._pump()

    def close(self, reason: str = "") -> None:
        if self.closed.is_set():
            return
        self.close_reason = reason
        if reason:
            log.warning("ESPA %s: closing: %s", self.label, reason)
        self._cancel_timer()
        self.closed.set()
        self._close()

    def lost(self) -> None:
        """The transport went away."""
        self._cancel_timer()
        self.closed.set()

    # -- the pump ------------------------------------------------------------------------------
    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def _pump(self) -> None:
        if self.closed.is_set():
            return
        garbage = ""
        for event in self.end.events():
            if isinstance(event, Received):
                self.received.put_nowait(event.block)
            elif isinstance(event, Delivered):
                self.delivered.put_nowait(event.block)
            elif isinstance(event, GaveUp):
                self.gave_up.put_nowait((event.block, event.reason))
            elif isinstance(event, Refused):
                log.info("ESPA %s: refused %r: %s", self.label, event.raw[:40], event.reason)
                if self.close_on_garbage and not event.raw.startswith(bytes([SOH])):
                    garbage = f"{event.reason} ({event.raw[:16]!r})"
            self.on_event(self, event)
        data = self.end.output()
        if data:
            self._write(data)
        if self.end.state is State.IDLE and not self.end.queued:
            self.idle.set()
        else:
            self.idle.clear()
        if garbage:
            self.close(garbage)
            return
        self._arm()

    def _arm(self) -> None:
        self._cancel_timer()
        deadline = self.end.deadline()
        if deadline is not None:
            self._timer = asyncio.get_running_loop().call_at(deadline, self._expired)

    def _expired(self) -> None:
        self._timer = None
        self.end.on_time(self._now())
        self._pump()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class EspaStream(asyncio.Protocol):
    """A TCP connection carrying one link."""

    def __init__(self, link: EspaLink) -> None:
        self.link = link
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.link.attach(transport.write, transport.close)

    def data_received(self, data: bytes) -> None:
        self.link.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.link.lost()


async def connect_tcp(link: EspaLink, host: str, port: int, *,
                      local_host: str | None = None) -> asyncio.Transport:
    """Run `link` over a TCP connection to host:port."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_connection(
        lambda: EspaStream(link), host, port,
        local_addr=(local_host, 0) if local_host else None)
    return transport


class SerialLine:
    """A link over a tty (RS-232 or a PTY end), raw mode, 8 bits, no echo."""

    def __init__(self, link: EspaLink, path: str) -> None:
        self.link = link
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            tty.setraw(self.fd, termios.TCSANOW)
        except termios.error as exc:
            os.close(self.fd)
            raise OSError(f"{path} is no serial line: {exc}") from None
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.fd, self._readable)
        link.attach(self._write, self.close)

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, 4096)
        except BlockingIOError:
            return
        except OSError as exc:
            # A PTY whose other end closed answers EIO: the line is gone.
            self._gone(str(exc))
            return
        if not data:
            self._gone("end of file")
            return
        self.link.feed(data)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.fd, view)
            except BlockingIOError:
                # A few bytes of link control never fill a tty's buffer for long.
                termios.tcdrain(self.fd)
                continue
            view = view[written:]

    def _gone(self, why: str) -> None:
        log.info("ESPA %s: serial line %s closed: %s", self.link.label, self.path, why)
        self.close()
        self.link.lost()

    def close(self) -> None:
        if self.fd < 0:
            return
        self._loop.remove_reader(self.fd)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        self.fd = -1


class ControlClient:
    """The control equipment's side as a tool uses it (`sipdect ctl espa`, tests, the
    bench): send calls, wait until each is ACKed, poll for statuses."""

    def __init__(self, link: EspaLink) -> None:
        self.link = link

    @classmethod
    def new(cls, label: str = "control equipment") -> ControlClient:
        end = ControlEquipment(asyncio.get_running_loop().time())
        return cls(EspaLink(end, label, lambda link, event: None))

    @property
    def end(self) -> ControlEquipment:
        assert isinstance(self.link.end, ControlEquipment)
        return self.link.end

    async def call(self, block: DataBlock, timeout: float = 10.0) -> None:
        """Send one block; return once ACKed (OSError if the paging system gave up)."""
        self.link.act(lambda now: self.end.send(block, now))
        await self._delivered(timeout)

    def send(self, block: DataBlock) -> None:
        """Queue a block without waiting."""
        self.link.act(lambda now: self.end.send(block, now))

    async def _delivered(self, timeout: float) -> DataBlock:
        get = asyncio.ensure_future(self.link.delivered.get())
        fail = asyncio.ensure_future(self.link.gave_up.get())
        closed = asyncio.ensure_future(self.link.closed.wait())
        try:
            done, _ = await asyncio.wait({get, fail, closed},
                                         timeout=clock.current().virtual(timeout),
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            for f in (get, fail, closed):
                f.cancel()
        if get in done:
            return get.result()
        if fail in done:
            raise OSError(f"the paging system did not take the call: {fail.result()[1]}")
        raise OSError("the link closed" if closed in done else "no answer in time")

    async def poll(self, timeout: float = 10.0) -> list[DataBlock]:
        """Poll once; the status blocks the paging system handed over."""
        self.link.act(self.end.poll)
        waiting = asyncio.ensure_future(self.link.idle.wait())
        closed = asyncio.ensure_future(self.link.closed.wait())
        try:
            await asyncio.wait({waiting, closed}, timeout=clock.current().virtual(timeout),
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
            closed.cancel()
        blocks = []
        while not self.link.received.empty():
            blocks.append(self.link.received.get_nowait())
        return blocks
