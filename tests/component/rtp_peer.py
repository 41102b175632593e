"""A far end for media tests: one UDP port on loopback around a sipdect.media.leg.RtpLeg, the
way a SIP phone's media works. It sends PCM through the leg (paced at 10 ms a frame, or as
fast as the loop lets it), plays what it receives every 10 ms of the loop's clock into
`heard`, and keeps the telephone events and RTCP it hears.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, cast

import numpy as np

from dect.timing import FRAME_SECONDS
from sipdect.media import constants as c
from sipdect.media.codecs import AudioCodec, Pcm, new_codec
from sipdect.media.leg import RtcpReceived, RtpLeg
from sipdect.media.rtp import DtmfReceived

Address = tuple[str, int]

DEEP_BUFFER = 100
"""Packets a test peer's jitter buffer keeps (2 s at 20 ms): a loop that stalls on a busy
machine delays what it plays, but drops nothing."""


def peer_leg(payload: c.PayloadFormat, **kwargs: Any) -> RtpLeg:
    """A leg as a test peer wants it: playing from the first packet (prefill 1) with a deep
    buffer, so that everything it receives in order is heard however the loop is paced."""
    return RtpLeg(payload, prefill=1, depth=DEEP_BUFFER, **kwargs)


class RtpPeer(asyncio.DatagramProtocol):
    """One RTP port (127.0.0.1, any free port) with a leg; `use` gives it one (e.g. once SDES
    negotiated the keys). Sends go to `remote`."""

    def __init__(self, leg: RtpLeg | None = None, remote: Address | None = None) -> None:
        self.leg: RtpLeg | None = None
        self._decoder: AudioCodec | None = None
        if leg is not None:
            self.use(leg)
        self.remote = remote
        self.datagrams = 0
        """Datagrams received."""
        self.heard: list[Pcm] = []
        """What the leg played, 10 ms a frame (silent ticks are left out)."""
        self.dtmf: list[DtmfReceived] = []
        self.rtcp: list[RtcpReceived] = []
        self._transport: asyncio.DatagramTransport | None = None
        self._playout: asyncio.Task[None] | None = None
        self._sending: asyncio.Task[int] | None = None

    @classmethod
    async def open(cls, leg: RtpLeg | None = None, remote: Address | None = None) -> RtpPeer:
        loop = asyncio.get_running_loop()
        _, peer = await loop.create_datagram_endpoint(lambda: cls(leg, remote),
                                                      local_addr=("127.0.0.1", 0))
        peer._playout = asyncio.create_task(peer._play_out())
        return peer

    def use(self, leg: RtpLeg) -> RtpLeg:
        """Receive and send through `leg` from now on."""
        self.leg = leg
        self._decoder = new_codec(leg.frame_format)
        return leg

    @property
    def address(self) -> Address:
        assert self._transport is not None
        host, port = self._transport.get_extra_info("sockname")[:2]
        return host, port

    @property
    def samples(self) -> int:
        return sum(len(a) for a in self.heard)

    def pcm(self, seconds: float | None = None) -> Pcm:
        """What was heard (the last `seconds` of it), as one array."""
        pcm = np.concatenate(self.heard) if self.heard else np.zeros(0, dtype=np.int16)
        if seconds is None or self.leg is None:
            return pcm
        return pcm[-int(seconds * self.leg.frame_format.sample_rate):]

    async def play(self, frames: Iterable[Pcm], *, realtime: bool = False) -> int:
        """Send every 10 ms PCM frame through the leg (a telephone event being sent takes the
        frame's interval); paced at 10 ms a frame on the loop's clock if `realtime`, else
        yielding to the loop after each datagram. Returns datagrams sent."""
        assert self.leg is not None
        loop = asyncio.get_running_loop()
        encoder = new_codec(self.leg.frame_format)
        sent = 0
        start = loop.time()
        for i, pcm in enumerate(frames):
            leg = self.leg
            data = leg.event_tick() if leg.sending_dtmf else leg.push_frame(encoder.encode(pcm))
            if data is not None:
                self.send(data)
                sent += 1
            if realtime:
                await asyncio.sleep(max(0.0, start + (i + 1) * FRAME_SECONDS - loop.time()))
            elif data is not None:
                await asyncio.sleep(0)
        return sent

    def send(self, data: bytes) -> None:
        """One datagram to `remote`."""
        assert self._transport is not None and self.remote is not None
        self._transport.sendto(data, self.remote)

    def keep_playing(self, frames: Iterable[Pcm]) -> None:
        """Send `frames` in real time in the background until close()."""
        self._sending = asyncio.create_task(self.play(frames, realtime=True))

    def close(self) -> None:
        for task in (self._playout, self._sending):
            if task is not None:
                task.cancel()
        if self._transport is not None:
            self._transport.close()

    # -- asyncio.DatagramProtocol --
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.datagrams += 1
        leg = self.leg
        if leg is None:
            return
        leg.receive_datagram(data, asyncio.get_running_loop().time())
        while (event := leg.next_event()) is not None:
            if isinstance(event, DtmfReceived):
                self.dtmf.append(event)
            else:
                self.rtcp.append(event)

    async def _play_out(self) -> None:
        """One frame out of the jitter buffer every 10 ms of the loop's clock; a late wake-up
        plays the ticks it missed."""
        loop = asyncio.get_running_loop()
        tick = loop.time()
        while True:
            tick += FRAME_SECONDS
            await asyncio.sleep(max(0.0, tick - loop.time()))
            leg, decoder = self.leg, self._decoder
            if leg is None or decoder is None:
                continue
            while True:
                frame = leg.next_frame()
                if frame is not None:
                    self.heard.append(decoder.decode(frame))
                if tick + FRAME_SECONDS > loop.time():
                    break
                tick += FRAME_SECONDS
