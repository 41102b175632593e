"""A phone's voice in a connected call: it talks a test tone as G.711 over plain RTP and
records what arrives, so a test can ask "does the phone hear the handset?".

Deliberately small, and reached only through `start_media`: the kit's RTP leg
(sipdect.media.leg) is to replace it, and then only that function changes.
`ToneStream` is the sans-I/O part (packets due at `now`, datagrams in); `MediaSession` paces
it on the loop and sends from the phone's one RTP socket.
"""

from __future__ import annotations

import asyncio
from collections import deque

import numpy as np

from sipdect import clock
from sipdect.media.codecs import G711, Pcm
from sipdect.media.errors import MediaError
from sipdect.media.rtp import RtpPacket, RtpSequencer, is_rtcp
from sipdect.media.sdes import NegotiatedMedia
from sipdect.media.signals import SILENCE_DBM0, ToneGenerator, ToneReport, detect_tone

KEEP_SECONDS = 5.0
"""How much of what arrived is kept for `hears`."""
MAX_CATCH_UP = 10
"""Packets sent at most in one go when the loop was late: beyond, the stream skips ahead
(a phone under load drops audio rather than bursting it)."""
TALK_LEVEL_DBM0 = -10.0
"""Level of the tone the phone talks (the handsets' level too)."""


class ToneStream:
    """One call's media: the tone out every ptime, the far end's audio in (sans-I/O)."""

    def __init__(self, media: NegotiatedMedia, tone_hz: float, now: float) -> None:
        self.media = media
        self.codec = G711(media.codec)
        self.payload_type = media.codec.payload_type
        self.samples_per_packet = media.codec.clock_rate * media.ptime // 1000
        self.interval = media.ptime / 1000
        self.tone = ToneGenerator(tone_hz, TALK_LEVEL_DBM0, media.codec.sample_rate)
        self.sequencer = RtpSequencer.random()
        self._start = now
        self._ticks = 0
        """Packet times passed (sent or skipped): the schedule never drifts."""
        self.sent = 0
        self.received = 0
        """RTP packets of the negotiated payload type taken in."""
        self.ignored = 0
        """Datagrams that were no RTP of that type (RTCP, DTMF, garbage)."""
        self._keep = int(KEEP_SECONDS * media.codec.sample_rate)
        self._heard: deque[Pcm] = deque()
        self._heard_samples = 0

    @property
    def next_at(self) -> float:
        """When the next packet is due."""
        return self._start + self._ticks * self.interval

    @property
    def sending(self) -> bool:
        return self.media.direction in ("sendrecv", "sendonly") and self.media.remote_port != 0

    def due(self, now: float) -> list[bytes]:
        """The packets due by `now`."""
        out: list[bytes] = []
        while self.next_at <= now and len(out) < MAX_CATCH_UP:
            pcm = self.tone.samples(self.samples_per_packet)
            packet = self.sequencer.next_packet(self.payload_type, self.codec.encode(pcm),
                                                self.samples_per_packet, marker=self.sent == 0)
            out.append(packet.encode())
            self.sent += 1
            self._ticks += 1
        if self.next_at <= now:  # far behind: skip the rest rather than burst
            skipped = int((now - self.next_at) / self.interval) + 1
            self.sequencer.advance(skipped * self.samples_per_packet)  # the tone just jumps
            self._ticks += skipped
        return out

    def receive(self, data: bytes) -> None:
        if is_rtcp(data):
            self.ignored += 1
            return
        try:
            packet = RtpPacket.decode(data)
        except MediaError:
            self.ignored += 1
            return
        if packet.payload_type != self.payload_type:
            self.ignored += 1
            return
        self.received += 1
        pcm = self.codec.decode(packet.payload)
        self._heard.append(pcm)
        self._heard_samples += len(pcm)
        while self._heard and self._heard_samples - len(self._heard[0]) >= self._keep:
            self._heard_samples -= len(self._heard.popleft())

    def hears(self, tone_hz: float, seconds: float) -> ToneReport:
        """Whether the latest `seconds` of what arrived carry `tone_hz`."""
        rate = self.media.codec.sample_rate
        wanted = int(seconds * rate)
        if not self._heard or wanted <= 0:
            return ToneReport(SILENCE_DBM0, SILENCE_DBM0, False)
        audio = np.concatenate(list(self._heard))[-wanted:]
        return detect_tone(audio, tone_hz, sample_rate=rate)


class MediaSession:
    """A ToneStream on the loop: packets sent from the phone's RTP socket on time."""

    def __init__(self, socket: asyncio.DatagramTransport, stream: ToneStream) -> None:
        self.socket = socket
        self.stream = stream
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self.remote = (stream.media.remote_address, stream.media.remote_port)
        if stream.sending and clock.voice_available():  # no RTP at another speed (sipdect.clock)
            self._tick()

    def _tick(self) -> None:
        for datagram in self.stream.due(self._loop.time()):
            self.socket.sendto(datagram, self.remote)
        self._timer = self._loop.call_at(self.stream.next_at, self._tick)

    def receive(self, data: bytes) -> None:
        self.stream.receive(data)

    def hears(self, tone_hz: float, seconds: float) -> ToneReport:
        return self.stream.hears(tone_hz, seconds)

    def stats(self) -> dict[str, int]:
        return {"sent": self.stream.sent, "received": self.stream.received,
                "ignored": self.stream.ignored}

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def start_media(socket: asyncio.DatagramTransport, media: NegotiatedMedia,
                tone_hz: float) -> MediaSession:
    """Talk `tone_hz` to the far end `media` names and record what it sends: the one place
    to switch to the kit's RtpLeg."""
    stream = ToneStream(media, tone_hz, asyncio.get_running_loop().time())
    return MediaSession(socket, stream)
