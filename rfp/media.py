"""The RFP as media gateway: the DSP channels that MEDIA_* messages drive, between the voice
frames of a MAC connection on the air and RTP/SRTP on the RFP's IP.

omm-rfp.md §3.3 and §4.8, docs/calls.md §2. Sans-I/O like the radio: fed link messages,
deciphered air frames, datagrams and `now`; returns link messages for the OMM, datagrams to
send from a local port and voice frames for the radio. rfp.station owns the sockets and timers.
A channel has an external leg (the call's RTP session) and, on the anchor RFP of a handed-over
call, a redirect leg to the RFP the PP is on now, which then stands in for the air.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import platform
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pylibsrtp

from dect.timing import FRAME_SECONDS
from sipdect import clock
from sipdect.link import constants as lc
from sipdect.link.errors import LinkProtocolError
from sipdect.link.media import (
    CODEC_ENCODINGS,
    CODEC_G722,
    MediaClose,
    MediaCodec,
    MediaConf,
    MediaDtmf,
    MediaOpen,
    MediaRedirectStart,
    MediaRedirectStop,
    MediaRestart,
    MediaStart,
    MediaStatistics,
    MediaStop,
    MediaTone2,
    SrtpBlock,
    ToneRecord,
    conf_tail,
)
from sipdect.link.messages import TypedMessage
from sipdect.media import constants as mc
from sipdect.media.codecs import AudioCodec, frame_octets, new_codec
from sipdect.media.errors import CodecError, MediaError
from sipdect.media.leg import LegStats, RtpLeg
from sipdect.media.rtp import DtmfReceived, RtpPacket
from sipdect.media.signals import amplitude_for
from sipdect.media.srtp import SrtpSession

log = logging.getLogger("sipdect.rfp.media")

Direction = lc.MediaDirection
Address = tuple[str, int]

# -- the DSP's figures (the emulator's choices; the product documents none of them) --------------
# (the jitter buffer's are the RTP leg's defaults: sipdect.media.leg.JITTER_*)
MAX_CATCH_UP_TICKS = 5
"""Ticks run at once when the loop was late; beyond that the channels skip to now."""
RTCP_INTERVAL = 5.0
"""Seconds between RTCP sender reports (RFC 3550 §6.2's minimum)."""
DTMF_VOLUME = mc.DTMF_DEFAULT_VOLUME
TONE_DURATION_UNIT = 0.001
"""MEDIA_TONE2 record durations are taken as milliseconds (the unit is not stated)."""
CNAME_FORMAT = "rfp{rfp_id}@{host}"
"""RTCP SDES CNAME of a channel."""


@dataclass(frozen=True, slots=True)
class Datagram:
    """A UDP datagram the gateway wants sent."""

    local_port: int
    """The RFP's port it leaves from."""
    remote: Address
    """(host, port) it goes to."""
    data: bytes


@dataclass(frozen=True, slots=True)
class VoiceFrame:
    """A 10 ms downlink frame (clear) for the PP on the MAC connection `mcei`."""

    mcei: int
    payload: bytes


@dataclass(slots=True)
class ChannelStats(LegStats):
    """What happened on a channel: its external legs' counters (kept across a new MEDIA_CONF;
    MEDIA_STATISTICS reports part of them) and the voice frames of the PP. A redirect leg
    counts on its own (`MediaChannel.redirect.leg.stats`)."""

    air_frames_in: int = 0
    """Voice frames from the PP (air or redirect leg)."""
    air_frames_out: int = 0
    """Voice frames towards the PP (air or redirect leg)."""
    bad_frames: int = 0
    """Voice frames from the PP that were not one 10 ms frame of the air codec (dropped)."""


@dataclass(slots=True)
class BoundLeg:
    """One RTP leg of a channel with the RFP's ports it is bound to and where it sends."""

    leg: RtpLeg
    local_rtp: int
    local_rtcp: int
    remote_rtp: Address
    remote_rtcp: Address

    @property
    def ports(self) -> tuple[int, int]:
        return self.local_rtp, self.local_rtcp


@dataclass
class _Tone:
    """A MEDIA_TONE2 sequence being played to the PP."""

    records: tuple[ToneRecord, ...]
    index: int
    elapsed: float = 0.0
    sample: int = 0


@dataclass
class MediaChannel:
    """One MEDIA handle: a DSP channel between a MAC connection and RTP."""

    handle: int
    codec: int
    """MEDIA_OPEN codec id."""
    mcei: int | None = None
    direction: int = Direction.NONE
    """What MEDIA_START enabled: RX = RTP to the PP, TX = the PP's voice as RTP."""
    external: BoundLeg | None = None
    """The call's RTP session (MEDIA_CONF)."""
    redirect: BoundLeg | None = None
    """The leg to the RFP the PP moved to (MEDIA_REDIRECT_START on the anchor)."""
    vif_ms: int = 20
    started_at: float | None = None
    next_rtcp: float = 0.0
    stats: ChannelStats = field(default_factory=ChannelStats)
    tone: _Tone | None = None
    tone_codec: AudioCodec | None = None

    @property
    def ptime(self) -> int:
        """Milliseconds of voice per RTP packet: the VIF in whole 10 ms frames, at least one."""
        return max(1, self.vif_ms // mc.FRAME_MS) * mc.FRAME_MS

    @property
    def wideband(self) -> bool:
        return self.codec == CODEC_G722

    @property
    def air_format(self) -> mc.PayloadFormat:
        """How the PP's voice is coded on the air (and on a redirect leg between RFPs)."""
        return mc.G722 if self.wideband else mc.PCMA

    def sends(self) -> bool:
        return bool(self.direction & Direction.TX) and self.external is not None

    def plays(self) -> bool:
        return bool(self.direction & Direction.RX) and self.external is not None


class RfpMedia:
    """The media gateway of one RFP: its DSP channels by MEDIA handle.

    The owner feeds `receive_link` (MEDIA_* from the OMM), `receive_voice` (deciphered uplink
    frames from the radio), `receive_datagram` and `handle_timer` at `get_timer()`; it sends
    `messages_to_send()` to the OMM, `datagrams_to_send()` from the named local ports and
    `voice_to_send()` to the radio, and keeps a socket open on every port of `ports()`.
    `on_output` is called when something new is to be sent or the ports changed.
    """

    def __init__(self, rfp_id: int = 0, *, host: str = "127.0.0.1", epoch: float = 0.0,
                 wall_clock: Callable[[], float] = clock.wall,
                 rng: random.Random | None = None,
                 on_output: Callable[[], None] | None = None) -> None:
        """`epoch`: the `now` of the air's frame 0, so that ticks fall on frame boundaries."""
        self.rfp_id = rfp_id
        self.host = host
        self.epoch = epoch
        self.wall_clock = wall_clock
        self.rng = rng or random.Random()
        self.on_output = on_output
        self.channels: dict[int, MediaChannel] = {}
        self._by_port: dict[int, tuple[MediaChannel, BoundLeg, bool]] = {}
        self._out: list[TypedMessage] = []
        self._datagrams: list[Datagram] = []
        self._voice: list[VoiceFrame] = []
        self._next_tick: float | None = None
        self.ports_generation = 0
        """Counts changes of `ports()`, so an owner re-reads them only when they changed."""
        self._dsp_buckets = [0, 0, 0, 0]

    # -- owner interface -----------------------------------------------------------------------
    def dsp_buckets(self) -> list[int]:
        """DSP channels opened since start, by how many were then in use (1-2, 3-4, 5-6,
        7-8 and more): the BMC's "DSP chan used" counters of StatisticData."""
        return list(self._dsp_buckets)

    def ports(self) -> set[int]:
        """Local UDP ports the channels listen on."""
        return set(self._by_port)

    @property
    def pending_messages(self) -> int:
        """Link messages waiting for messages_to_send()."""
        return len(self._out)

    def messages_to_send(self) -> list[TypedMessage]:
        out, self._out = self._out, []
        return out

    def datagrams_to_send(self) -> list[Datagram]:
        out, self._datagrams = self._datagrams, []
        return out

    def voice_to_send(self) -> list[VoiceFrame]:
        out, self._voice = self._voice, []
        return out

    def get_timer(self) -> float | None:
        return self._next_tick if self._ticking() else None

    def handle_timer(self, now: float) -> None:
        if not self._ticking():
            self._next_tick = None
            return
        if self._next_tick is None:
            self._next_tick = self._frame_after(now)
            return
        ticks = 0
        while self._next_tick <= now + 1e-9:
            if ticks == MAX_CATCH_UP_TICKS:
                self._next_tick = self._frame_after(now)
                break
            self._tick(self._next_tick)
            self._next_tick += FRAME_SECONDS
            ticks += 1
        if ticks:
            self._rtcp(now)
            self._wake()

    def reset(self) -> None:
        """The link to the OMM is gone: every channel ends without statistics."""
        self.channels.clear()
        self._by_port.clear()
        self.ports_generation += 1
        self._voice.clear()
        self._datagrams.clear()
        self._next_tick = None
        self._wake()

    def receive_link(self, message: TypedMessage, now: float) -> None:
        """One MEDIA_* message from the OMM (others are ignored)."""
        handler = _HANDLERS.get(type(message))
        if handler is None:
            return
        try:
            handler(self, message, now)
        except (LinkProtocolError, MediaError) as exc:
            log.info("RFP %d: %s rejected: %s", self.rfp_id, type(message).__name__, exc)
        if self._ticking() and self._next_tick is None:
            self._next_tick = self._frame_after(now)
        self._wake()

    def receive_voice(self, mcei: int, payload: bytes, now: float) -> None:
        """A deciphered uplink frame of MAC connection `mcei` (the radio calls this)."""
        for channel in self.channels.values():
            if channel.mcei == mcei and channel.redirect is None:
                self._uplink(channel, payload)
        self._wake()

    def receive_datagram(self, local_port: int, data: bytes, addr: Address, now: float) -> None:
        """A datagram that arrived on one of `ports()`."""
        found = self._by_port.get(local_port)
        if found is None:
            return
        channel, bound, rtcp = found
        leg = bound.leg
        if rtcp:
            leg.receive_rtcp(data)
        elif bound is channel.external:
            leg.receive_datagram(data, now, play=channel.plays())
            self._report_events(channel, leg)
            self._wake()
            return
        else:
            frames = leg.receive_frames(data, now)
            octets = leg.frame_octets
            for i in range(0, len(frames), octets):
                self._uplink(channel, frames[i:i + octets])
        self._drop_events(leg)
        self._wake()

    def close_all(self, now: float) -> None:
        """Close every channel as MEDIA_CLOSE would (statistics to the OMM)."""
        for handle in list(self.channels):
            self._close(handle, now)

    # -- MEDIA_* -------------------------------------------------------------------------------
    def _on_open(self, message: MediaOpen, now: float) -> None:
        if message.codec not in CODEC_ENCODINGS:
            raise LinkProtocolError(f"codec {message.codec} is not emulated")
        if message.handle in self.channels:
            self._drop(message.handle)
        self.channels[message.handle] = MediaChannel(message.handle, message.codec)
        self._dsp_buckets[min((len(self.channels) - 1) // 2, 3)] += 1

    def _on_conf(self, message: MediaConf, now: float) -> None:
        channel = self.channels.get(message.handle)
        if channel is None:
            raise LinkProtocolError(f"MEDIA_CONF for handle {message.handle} before MEDIA_OPEN")
        codec = next((k for k in message.codecs if k.codec in CODEC_ENCODINGS), None)
        if codec is None:
            raise LinkProtocolError("MEDIA_CONF lists no codec the RFP runs")
        srtp = message.srtp
        for port in (message.local_rtp_port, message.local_rtcp_port):
            other = self._by_port.get(port)
            if other is not None and other[0] is not channel:
                raise LinkProtocolError(f"port {port} belongs to handle {other[0].handle}")
        channel.codec = codec.codec
        channel.vif_ms = message.vif or mc.DEFAULT_PTIME_MS
        channel.mcei = message.mcei
        encoding = mc.AUDIO_FORMATS[CODEC_ENCODINGS[codec.codec]]
        leg = RtpLeg(replace(encoding, payload_type=codec.payload_type),
                     frames=channel.air_format, ptime=channel.ptime,
                     telephone_event=message.dtmf_payload_type, srtp=_srtp(srtp), rng=self.rng,
                     stats=channel.stats)
        if channel.external is not None:
            self._unbind(channel.external)
        channel.external = BoundLeg(leg, message.local_rtp_port, message.local_rtcp_port,
                                    (str(message.tx_address), message.tx_port1),
                                    (str(message.tx_address), message.tx_port2))
        channel.tone_codec = new_codec(channel.air_format)
        self._bind(channel, channel.external)

    def _on_start(self, message: MediaStart, now: float) -> None:
        channel = self._channel(message.handle)
        channel.direction |= message.direction
        if channel.started_at is None:
            channel.started_at = now
            channel.next_rtcp = now + RTCP_INTERVAL

    def _on_stop(self, message: MediaStop, now: float) -> None:
        channel = self._channel(message.handle)
        channel.direction &= ~message.direction & Direction.TX_RX

    def _on_close(self, message: MediaClose, now: float) -> None:
        self._close(message.handle, now)

    def _on_restart(self, message: MediaRestart, now: float) -> None:
        self._channel(message.handle).mcei = message.mcei

    def _on_redirect_start(self, message: MediaRedirectStart, now: float) -> None:
        channel = self._channel(message.handle)
        if channel.external is None:
            raise LinkProtocolError("MEDIA_REDIRECT_START on a channel without MEDIA_CONF")
        host = str(message.remote_address)
        leg = RtpLeg(channel.air_format, ptime=channel.ptime, srtp=_srtp(message.srtp),
                     rng=self.rng)
        if channel.redirect is not None:
            self._unbind(channel.redirect)
        channel.redirect = BoundLeg(leg, message.local_port1, message.local_port2,
                                    (host, message.remote_port1), (host, message.remote_port2))
        self._bind(channel, channel.redirect)

    def _on_redirect_stop(self, message: MediaRedirectStop, now: float) -> None:
        channel = self._channel(message.handle)
        if channel.redirect is not None:
            self._unbind(channel.redirect)
            channel.redirect = None

    def _on_dtmf(self, message: MediaDtmf, now: float) -> None:
        channel = self._channel(message.handle)
        if channel.external is None:
            raise LinkProtocolError("MEDIA_DTMF on a channel without MEDIA_CONF")
        channel.external.leg.start_dtmf(chr(message.key), message.duration_ms, DTMF_VOLUME)

    def _on_tone(self, message: MediaTone2, now: float) -> None:
        channel = self._channel(message.handle)
        if not message.tones or message.offset >= len(message.tones):
            channel.tone = None
        else:
            channel.tone = _Tone(message.tones, message.offset)

    # -- the voice paths -----------------------------------------------------------------------
    def _uplink(self, channel: MediaChannel, frame: bytes) -> None:
        """A frame from the PP (air, or the redirect leg on an anchor) towards the far end."""
        channel.stats.air_frames_in += 1
        bound = channel.external
        if bound is None or not channel.sends():
            return
        try:
            data = bound.leg.push_frame(frame)
        except CodecError:
            channel.stats.bad_frames += 1
            return
        if data is not None:
            self._datagrams.append(Datagram(bound.local_rtp, bound.remote_rtp, data))

    def _tick(self, now: float) -> None:
        for channel in self.channels.values():
            self._tick_channel(channel)

    def _tick_channel(self, channel: MediaChannel) -> None:
        bound = channel.external
        if bound is None:
            return
        leg = bound.leg
        frame = leg.next_frame() if channel.plays() else None
        if channel.tone is not None:
            frame = self._tone_frame(channel)
        if leg.sending_dtmf and channel.sends():
            data = leg.event_tick()  # the telephone event keeps the packet clock
            if data is not None:
                self._datagrams.append(Datagram(bound.local_rtp, bound.remote_rtp, data))
        if frame is None:
            return
        channel.stats.air_frames_out += 1
        redirect = channel.redirect
        if redirect is None:
            if channel.mcei is not None:
                self._voice.append(VoiceFrame(channel.mcei, frame))
            return
        data = redirect.leg.push_frame(frame)
        if data is not None:
            self._datagrams.append(Datagram(redirect.local_rtp, redirect.remote_rtp, data))

    def _tone_frame(self, channel: MediaChannel) -> bytes | None:
        """The next 10 ms of a MEDIA_TONE2 sequence: the record's frequencies summed at their
        levels; after its duration the next record (`next_index`; past the last record the
        tone ends), and a record pointing at itself or lasting 0 plays on. Cycle counts are
        not emulated (their exact meaning is not documented): a sequence pointing back loops
        until tone off."""
        tone = channel.tone
        assert tone is not None and channel.tone_codec is not None
        record = tone.records[tone.index]
        rate = mc.WIDEBAND_RATE if channel.wideband else mc.NARROWBAND_RATE
        n = rate * mc.FRAME_MS // 1000
        t = np.arange(tone.sample, tone.sample + n, dtype=np.float64)
        tone.sample += n
        wave = np.zeros(n)
        for frequency, level in ((record.frequency1, record.level1),
                                 (record.frequency2, record.level2),
                                 (record.frequency3, record.level3),
                                 (record.frequency4, record.level4)):
            if frequency:
                wave += amplitude_for(level / 10) * np.sin(2 * math.pi * frequency * t / rate)
        pcm = np.clip(np.round(wave), -32768, 32767).astype(np.int16)
        frame = channel.tone_codec.encode(pcm)
        tone.elapsed += FRAME_SECONDS
        if record.duration and tone.elapsed >= record.duration * TONE_DURATION_UNIT:
            tone.elapsed = 0.0
            if record.next_index < len(tone.records) and record.next_index != tone.index:
                tone.index = record.next_index
            elif record.next_index != tone.index:
                channel.tone = None
        return frame

    def _report_events(self, channel: MediaChannel, leg: RtpLeg) -> None:
        """Telephone events from the far end go to the OMM as MEDIA_DTMF; RTCP is only
        counted."""
        while (event := leg.next_event()) is not None:
            if isinstance(event, DtmfReceived):
                duration_ms = event.duration * 1000 // leg.payload.clock_rate
                self._out.append(MediaDtmf(channel.handle, min(duration_ms, 0xFFFF),
                                           ord(event.digit), Direction.RX))

    @staticmethod
    def _drop_events(leg: RtpLeg) -> None:
        while leg.next_event() is not None:
            pass

    def _rtcp(self, now: float) -> None:
        for channel in self.channels.values():
            bound = channel.external
            if bound is None or not channel.sends() or now < channel.next_rtcp:
                continue
            channel.next_rtcp = now + RTCP_INTERVAL
            cname = CNAME_FORMAT.format(rfp_id=self.rfp_id, host=self.host)
            data = bound.leg.sender_report(self.wall_clock(), cname)
            self._datagrams.append(Datagram(bound.local_rtcp, bound.remote_rtcp, data))

    # -- helpers -------------------------------------------------------------------------------
    def _close(self, handle: int, now: float) -> None:
        channel = self.channels.get(handle)
        if channel is None:
            return
        stats = channel.stats
        bound = channel.external
        lost = (max(0, bound.leg.reception.lost)
                if bound is not None and bound.leg.remote_ssrc is not None else 0)
        peer = bound.remote_rtp[0] if bound is not None else "0.0.0.0"
        started = channel.started_at if channel.started_at is not None else now
        self._out.append(MediaStatistics(
            handle, bytes(2), int(max(0.0, now - started)), stats.tx_packets & 0xFFFFFFFF,
            stats.tx_bytes & 0xFFFFFFFF, stats.rx_packets & 0xFFFFFFFF,
            stats.rx_bytes & 0xFFFFFFFF, lost & 0xFFFFFFFF, stats.max_jitter_us & 0xFFFFFFFF,
            ipaddress.IPv4Address(peer)))
        self._drop(handle)

    def _drop(self, handle: int) -> None:
        channel = self.channels.pop(handle)
        for bound in (channel.external, channel.redirect):
            if bound is not None:
                self._unbind(bound)

    def _bind(self, channel: MediaChannel, bound: BoundLeg) -> None:
        for port, rtcp in ((bound.local_rtp, False), (bound.local_rtcp, True)):
            other = self._by_port.get(port)
            if other is not None and other[0] is not channel:
                raise LinkProtocolError(f"port {port} belongs to handle {other[0].handle}")
            self._by_port[port] = (channel, bound, rtcp)
        self.ports_generation += 1

    def _unbind(self, bound: BoundLeg) -> None:
        for port in bound.ports:
            found = self._by_port.get(port)
            if found is not None and found[1] is bound:
                del self._by_port[port]
                self.ports_generation += 1

    def _channel(self, handle: int) -> MediaChannel:
        channel = self.channels.get(handle)
        if channel is None:
            raise LinkProtocolError(f"no media handle {handle}")
        return channel

    def _ticking(self) -> bool:
        if not clock.voice_available():  # no 10 ms voice at another speed (sipdect.clock)
            return False
        return any(ch.external is not None and (ch.direction or ch.tone is not None)
                   for ch in self.channels.values())

    def _frame_after(self, now: float) -> float:
        index = math.floor((now - self.epoch) / FRAME_SECONDS + 1e-9) + 1
        return self.epoch + index * FRAME_SECONDS

    def _wake(self) -> None:
        if self.on_output is not None:
            self.on_output()


def _srtp(block: SrtpBlock | None) -> SrtpSession | None:
    """The SRTP session of a leg the OMM keyed (MEDIA_CONF tail, MEDIA_REDIRECT_START)."""
    if block is None:
        return None
    return SrtpSession(mc.SUITES[block.suite], block.tx_key, block.rx_key)


_HANDLERS: dict[type[TypedMessage], Callable[[RfpMedia, Any, float], None]] = {
    MediaOpen: RfpMedia._on_open,
    MediaConf: RfpMedia._on_conf,
    MediaStart: RfpMedia._on_start,
    MediaStop: RfpMedia._on_stop,
    MediaClose: RfpMedia._on_close,
    MediaRestart: RfpMedia._on_restart,
    MediaRedirectStart: RfpMedia._on_redirect_start,
    MediaRedirectStop: RfpMedia._on_redirect_stop,
    MediaDtmf: RfpMedia._on_dtmf,
    MediaTone2: RfpMedia._on_tone,
}
"""The MEDIA_* messages a gateway acts on, OMM -> RFP."""


# -- benchmark (`sipdect bench calls`) -----------------------------------------------------------
BENCH_CHUNK = 1000


def _bench_pair(suite: mc.CryptoSuite | None) -> tuple[RfpMedia, RfpMedia]:
    """Two gateways streaming at each other (A's external leg is B's), PCMA, 20 ms VIF."""
    key_a, key_b = os.urandom(30), os.urandom(30)
    pair = []
    for handle, (tx, rx), (local, remote) in ((1, (key_a, key_b), (20000, 20002)),
                                              (2, (key_b, key_a), (20002, 20000))):
        media = RfpMedia(handle, rng=random.Random(handle))
        block = SrtpBlock(suite.name, tx, rx) if suite is not None else None
        media.receive_link(MediaOpen(handle, lc.Codec.G711_ALAW, 1, 0), 0.0)
        media.receive_link(MediaConf(
            handle=handle, codecs=(MediaCodec(lc.Codec.G711_ALAW, mc.PCMA.payload_type, 8),),
            mcei=handle, ppn=handle,
            local_rtp_port=local, local_rtcp_port=local + 1,
            rx_address=ipaddress.IPv4Address("127.0.0.1"), rx_port1=remote,
            rx_port2=remote + 1, tx_address=ipaddress.IPv4Address("127.0.0.1"),
            tx_port1=remote, tx_port2=remote + 1, tail=conf_tail(block)), 0.0)
        media.receive_link(MediaStart(handle, Direction.TX_RX), 0.0)
        pair.append(media)
    return pair[0], pair[1]


def _bench_path(suite: mc.CryptoSuite | None, seconds: float) -> float:
    """Packets/s through air frames -> RTP/SRTP (A) -> RTP -> 10 ms air frames (B)."""
    a, b = _bench_pair(suite)
    frame = bytes(range(frame_octets(mc.PCMA)))
    now = 0.0
    done = 0
    spent = 0.0
    while spent < seconds:
        start = time.perf_counter()
        for _ in range(BENCH_CHUNK):
            a.receive_voice(1, frame, now)
            a.receive_voice(1, frame, now)
            for datagram in a.datagrams_to_send():
                b.receive_datagram(datagram.remote[1], datagram.data, ("127.0.0.1", 20000), now)
            now += 0.02
            b._tick(now)
            b._tick(now)
            b.voice_to_send()
        spent += time.perf_counter() - start
        done += BENCH_CHUNK
    stats = b.channels[2].stats
    if stats.srtp_failures or stats.malformed or stats.rx_packets != done:
        raise RuntimeError(f"benchmark path lost packets: {stats}")
    return done / spent


def _bench_ceiling(suite: mc.CryptoSuite, seconds: float) -> float:
    key = os.urandom(30)
    tx = pylibsrtp.Session(pylibsrtp.Policy(key=key, srtp_profile=suite.profile,
                                            ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
    rx = pylibsrtp.Session(pylibsrtp.Policy(key=key, srtp_profile=suite.profile,
                                            ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND))
    payload = os.urandom(160)
    done = 0
    spent = 0.0
    while spent < seconds:
        packets = [RtpPacket(8, (done + i) & 0xFFFF, (done + i) * 160 & 0xFFFFFFFF, 0x5EED,
                             payload).encode() for i in range(BENCH_CHUNK)]
        start = time.perf_counter()
        for p in packets:
            rx.unprotect(tx.protect(p))
        spent += time.perf_counter() - start
        done += BENCH_CHUNK
    return done / spent


def run_bench(quick: bool = False) -> dict[str, Any]:
    """RTP packets/s protected and unprotected through the RFP media path (two uplink air
    frames -> RTP/SRTP on one gateway -> unprotected, buffered and played as two downlink
    air frames on another) per suite and in clear, beside pylibsrtp alone; the ratio to
    pylibsrtp and the call ends (50 packets/s each way) one core carries."""
    seconds = 0.15 if quick else 1.5
    out: dict[str, Any] = {}
    clear = _bench_path(None, seconds)
    out["RTP"] = {"path_pkt_per_s": round(clear), "call_ends_per_core": int(clear / 50)}
    for suite in mc.SUITES.values():
        ceiling = _bench_ceiling(suite, seconds)
        path = _bench_path(suite, seconds)
        out[suite.name] = {
            "ceiling_pkt_per_s": round(ceiling),
            "path_pkt_per_s": round(path),
            "path_ratio": round(path / ceiling, 3),
            "call_ends_per_core": int(path / 50),
        }
    return {
        "what": "RFP media path: 2 air frames -> RTP/SRTP -> 2 air frames, PCMA 20 ms, one core",
        "seconds_per_measurement": seconds,
        "python": platform.python_version(),
        "pylibsrtp": pylibsrtp.__version__,
        "suites": out,
    }
