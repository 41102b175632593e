"""An asyncio AXI client: the one the tests, benchmarks, MOM and Event Manager share.

Requests carry an increasing `seq` and are matched by it, so many can be in
flight on one connection; events arrive on a queue (axi.md §1, §4).
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
from collections.abc import Mapping
from typing import Any

from sipdect import clock
from sipdect.axi.codec import FrameDecoder, Message, element, frame, parse
from sipdect.net import HostNet, handshake_timeout
from sipdect.waiting import DEFAULT_TIMEOUT


class AxiResponseError(Exception):
    """A response carried errCode."""

    def __init__(self, response: Message) -> None:
        a = response.attrs
        super().__init__(f"{response.name}: {a.get('errCode')} {a.get('info', '')} "
                         f"{a.get('bad', '')}".strip())
        self.response = response
        self.code = a.get("errCode", "")
        self.bad = a.get("bad")


class AxiClient:
    def __init__(self) -> None:
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[str, asyncio.Future[Message]] = {}
        self._seq = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self.events: asyncio.Queue[Message] = asyncio.Queue()
        self.closed = asyncio.Event()
        self.open_response: Message | None = None

    @classmethod
    async def connect(cls, host: str, port: int, *, tls: ssl.SSLContext | bool | None = None,
                      server_hostname: str | None = None,
                      local_host: str | None = None, net: HostNet | None = None) -> AxiClient:
        """Connect; `local_host` picks the source address (e.g. another 127.x address), or
        `net` connects from that host's network (its address, its cuts and its kill)."""
        self = cls()
        if tls is True:
            tls = ssl.create_default_context()
            tls.check_hostname = False
            tls.verify_mode = ssl.CERT_NONE
        if net is not None:
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader()
            protocol = asyncio.StreamReaderProtocol(reader)
            transport, _ = await net.create_connection(
                lambda: protocol, host, port, ssl=tls or None,
                server_hostname=server_hostname if tls else None)
            self._reader = reader
            self._writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        else:
            self._reader, self._writer = await asyncio.open_connection(
                host, port, ssl=tls or None,
                server_hostname=server_hostname if tls else None,
                ssl_handshake_timeout=handshake_timeout() if tls else None,
                local_addr=(local_host, 0) if local_host else None)
        self._task = asyncio.get_running_loop().create_task(self._receive())
        return self

    async def _receive(self) -> None:
        assert self._reader is not None
        decoder = FrameDecoder()
        try:
            while data := await self._reader.read(65536):
                for raw in decoder.feed(data):
                    msg = parse(raw)
                    seq = msg.attrs.get("seq")
                    fut = self._pending.pop(seq, None) if seq is not None else None
                    if fut is None and seq is None and not msg.name.startswith("Event"):
                        # A response without seq answers the oldest seq-less request.
                        fut = self._pending.pop(f"name:{msg.name}", None)
                    if fut is not None:
                        if not fut.done():
                            fut.set_result(msg)
                    else:
                        self.events.put_nowait(msg)
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            self.closed.set()
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("AXI connection closed"))
            self._pending.clear()

    async def request(self, msg: Message | str, attrs: Mapping[str, Any] | None = None,
                      children: list[Message] | None = None, *, check: bool = True,
                      seq: bool = True, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """Send one request and wait for its response; raise AxiResponseError on errCode."""
        if isinstance(msg, str):
            msg = element(msg, attrs, children)
        assert self._writer is not None, "not connected"
        fut: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        if seq:
            key = str(next(self._seq))
            msg.attrs = {**msg.attrs, "seq": key}
        else:
            key = f"name:{msg.name}Resp"
        self._pending[key] = fut
        self._writer.write(frame(msg))
        # `timeout` is the caller's patience, real seconds at any speed (sipdect.clock)
        resp = await asyncio.wait_for(fut, clock.current().virtual(timeout))
        if check and "errCode" in resp.attrs:
            raise AxiResponseError(resp)
        return resp

    async def send_raw(self, data: bytes) -> None:
        assert self._writer is not None
        self._writer.write(data)
        await self._writer.drain()

    async def login(self, username: str, password: str, *, sync_client: bool = False,
                    check: bool = True) -> Message:
        attrs: dict[str, Any] = {"username": username, "password": password}
        if sync_client:
            attrs["UserDeviceSyncClient"] = "true"
        self.open_response = await self.request("Open", attrs, check=check)
        return self.open_response

    async def subscribe(self, *event_types: str, **filters: Any) -> Message:
        entries = [element("e", {"cmd": "On", "eventType": t, **filters}) for t in event_types]
        return await self.request("Subscribe", children=entries)

    async def next_event(self, name: str | None = None,
                         timeout: float = DEFAULT_TIMEOUT) -> Message:
        """The next event (of that name, skipping others)."""
        async def _wait() -> Message:
            while True:
                ev = await self.events.get()
                if name is None or ev.name == name:
                    return ev
        return await asyncio.wait_for(_wait(), clock.current().virtual(timeout))  # real s

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except (ConnectionError, ssl.SSLError, OSError):
                pass
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def __aenter__(self) -> AxiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
