"""The asyncio UDP edge of the media kit: a MediaEndpoint binds one port and pumps
datagrams between the socket and the sans-I/O streams of sipdect.media.stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import cast

from sipdect.media.codecs import Pcm
from sipdect.media.stream import MediaReceiver, MediaSender, Recorder

Address = tuple[str, int]


class MediaEndpoint(asyncio.DatagramProtocol):
    """One RTP port on a host (127.0.0.1 by default; port 0 = any free one).

    Give it a receiver and everything that arrives is recorded (`recorder`);
    `send`/`play` push a sender's datagrams to `remote`.
    """

    def __init__(self, receiver: MediaReceiver | None = None,
                 remote: Address | None = None) -> None:
        self.recorder = Recorder(receiver) if receiver is not None else None
        self.remote = remote
        self.datagrams = 0
        """Datagrams received."""
        self.errors = 0
        """ICMP errors reported by the socket (a peer not listening yet)."""
        self._transport: asyncio.DatagramTransport | None = None

    @classmethod
    async def open(cls, host: str = "127.0.0.1", port: int = 0, *,
                   receiver: MediaReceiver | None = None,
                   remote: Address | None = None) -> MediaEndpoint:
        loop = asyncio.get_running_loop()
        _, endpoint = await loop.create_datagram_endpoint(lambda: cls(receiver, remote),
                                                          local_addr=(host, port))
        return endpoint

    # -- asyncio.DatagramProtocol --

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.datagrams += 1
        if self.recorder is not None:
            self.recorder.receive_datagram(data, asyncio.get_running_loop().time())

    def error_received(self, exc: Exception) -> None:
        self.errors += 1

    def record(self, receiver: MediaReceiver) -> Recorder:
        """Record from now on what arrives, through `receiver` (e.g. once SRTP keys are known)."""
        self.recorder = Recorder(receiver)
        return self.recorder

    @property
    def address(self) -> Address:
        host, port = self._live().get_extra_info("sockname")[:2]
        return host, port

    def send(self, datagrams: Iterable[bytes], addr: Address | None = None) -> None:
        target = addr or self.remote
        if target is None:
            raise ValueError("no remote address: pass addr or set remote")
        for datagram in datagrams:
            self._live().sendto(datagram, target)

    async def play(self, sender: MediaSender, frames: Iterable[Pcm], *,
                   realtime: bool = False, frame_s: float = 0.010) -> int:
        """Send every frame through `sender`; paced at `frame_s` per frame if `realtime`,
        otherwise yielding to the loop after each packet. Returns datagrams sent."""
        sent = 0
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i, frame in enumerate(frames):
            datagrams = sender.push_frame(frame)
            self.send(datagrams)
            sent += len(datagrams)
            if realtime:
                await asyncio.sleep(max(0.0, start + (i + 1) * frame_s - loop.time()))
            elif datagrams:
                await asyncio.sleep(0)
        return sent

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _live(self) -> asyncio.DatagramTransport:
        if self._transport is None:
            raise RuntimeError("the endpoint is not open; use MediaEndpoint.open()")
        return self._transport
