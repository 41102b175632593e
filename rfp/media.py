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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pylibsrtp

from dect.timing import FRAME_SECONDS
from sim.primitives import AIR_VOICE_OCTETS
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
from sipdect.media.codecs import AudioCodec, alaw_to_ulaw, new_codec, ulaw_to_alaw
from sipdect.media.errors import RtpError, SrtpError
from sipdect.media.rtp import (
    DtmfReceiver,
    DtmfSender,
    ReceptionStats,
    RtpPacket,
    RtpSequencer,
    SenderReport,
    SourceDescription,
    decode_rtcp,
    encode_rtcp,
    is_rtcp,
    ntp_timestamp,
    seq_delta,
)
from sipdect.media.signals import amplitude_for
from sipdect.media.srtp import SrtpSession

log = logging.getLogger("sipdect.rfp.media")

Direction = lc.MediaDirection
Address = tuple[str, int]

# -- the DSP's figures (the emulator's choices; the product documents none of them) --------------
JITTER_PREFILL_PACKETS = 2
"""Packets a downlink buffer holds before it starts playing (40 ms at a 20 ms VIF)."""
JITTER_MAX_PACKETS = 10
"""Packets a downlink buffer keeps at most; older ones are dropped."""
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
class ChannelStats:
    """What happened on a channel; MEDIA_STATISTICS reports the external leg's part."""

    tx_packets: int = 0
    """RTP packets sent on the external leg (audio and telephone events)."""
    tx_bytes: int = 0
    """RTP payload octets of those."""
    rx_packets: int = 0
    """RTP packets received on the external leg that verified and parsed."""
    rx_bytes: int = 0
    """RTP payload octets of those."""
    srtp_failures: int = 0
    """Datagrams on any leg that did not unprotect (wrong key, replay)."""
    malformed: int = 0
    """Datagrams that were not RTP/RTCP, or telephone events that did not parse."""
    other_payload: int = 0
    """RTP packets of a payload type the channel was not configured for."""
    late: int = 0
    """Packets that came after their playout time, or duplicates."""
    overflows: int = 0
    """Packets dropped because the downlink buffer was full."""
    underruns: int = 0
    """Ticks with nothing to play to the PP after playout had started."""
    air_frames_in: int = 0
    """Voice frames from the PP (air or redirect leg)."""
    air_frames_out: int = 0
    """Voice frames towards the PP (air or redirect leg)."""
    dtmf_sent: int = 0
    """Telephone events sent (MEDIA_DTMF from the OMM)."""
    dtmf_received: int = 0
    """Telephone events received and reported (MEDIA_DTMF to the OMM)."""
    rtcp_sent: int = 0
    rtcp_received: int = 0
    max_jitter_us: int = 0
    """Largest interarrival jitter seen on the external leg."""


class _Leg:
    """One RTP session of a channel: local ports, remote, SRTP, sequencing, reception."""

    def __init__(self, local_rtp: int, local_rtcp: int, remote_rtp: Address,
                 remote_rtcp: Address, encoding: str, payload_type: int,
                 dtmf_pt: int | None, srtp: SrtpBlock | None, rng: random.Random) -> None:
        self.local_rtp = local_rtp
        self.local_rtcp = local_rtcp
        self.remote_rtp = remote_rtp
        self.remote_rtcp = remote_rtcp
        self.encoding = encoding
        self.payload_type = payload_type
        self.dtmf_pt = dtmf_pt
        self.srtp = (SrtpSession(mc.SUITES[srtp.suite], srtp.tx_key, srtp.rx_key)
                     if srtp is not None else None)
        self.sequencer = RtpSequencer.random(rng)
        self.reception = ReceptionStats(mc.NARROWBAND_RATE)
        self.ssrc_in: int | None = None
        self.dtmf_in = DtmfReceiver()
        self.dtmf_out: DtmfSender | None = None
        self.dtmf_start = 0
        self.talkspurt = True
        self.pending: list[bytes] = []
        """Uplink frames waiting for the rest of their packet."""
        self.buffer: dict[int, bytes] = {}
        """Downlink: the whole air frames of each received packet by extended sequence number,
        as one bytes (unlike a list of frames, bytes live outside the garbage collector's
        generations: a buffered packet per call would otherwise keep it collecting)."""
        self.highest: int | None = None
        self.play_next: int | None = None
        self.playing = b""
        """The frames of the packet being played that are still to come."""
        self.started = False

    @property
    def ports(self) -> tuple[int, int]:
        return self.local_rtp, self.local_rtcp

    # -- sending -------------------------------------------------------------------------------
    def wire(self, packet: RtpPacket) -> bytes:
        data = packet.encode()
        return self.srtp.protect(data) if self.srtp is not None else data

    def audio_packet(self, frames: list[bytes], ticks: int) -> RtpPacket:
        """RTP packet of air-codec frames (A-law becomes µ-law for a PCMU leg)."""
        payload = b"".join(frames)
        if self.encoding == "PCMU":
            payload = alaw_to_ulaw(payload)
        packet = self.sequencer.next_packet(self.payload_type, payload, ticks,
                                            marker=self.talkspurt)
        self.talkspurt = False
        return packet

    def dtmf_packet(self, ticks: int) -> RtpPacket | None:
        if self.dtmf_out is None or self.dtmf_pt is None:
            return None
        item = self.dtmf_out.next_payload()
        if item is None:
            self.dtmf_out = None
            return None
        payload, marker = item
        packet = self.sequencer.next_packet(self.dtmf_pt, payload, 0, marker=marker,
                                            timestamp=self.dtmf_start)
        self.sequencer.advance(ticks)
        if self.dtmf_out.done:
            self.dtmf_out = None
            self.talkspurt = True
        return packet

    # -- receiving -----------------------------------------------------------------------------
    def air_frames(self, payload: bytes) -> bytes:
        """The whole air-codec frames of an audio payload, back to back (µ-law becomes A-law
        for the air; a partial frame at the end is dropped)."""
        if self.encoding == "PCMU":
            payload = ulaw_to_alaw(payload)
        return payload[:len(payload) - len(payload) % AIR_VOICE_OCTETS]

    def frames_of(self, payload: bytes) -> list[bytes]:
        """Air-codec frames of an audio payload (`air_frames`, one by one)."""
        frames = self.air_frames(payload)
        return [frames[i:i + AIR_VOICE_OCTETS] for i in range(0, len(frames), AIR_VOICE_OCTETS)]

    def buffer_packet(self, packet: RtpPacket, stats: ChannelStats) -> None:
        if self.highest is None:
            ext = packet.sequence_number
            self.highest = ext
        else:
            ext = self.highest + seq_delta(packet.sequence_number, self.highest & 0xFFFF)
            self.highest = max(self.highest, ext)
        if (self.play_next is not None and ext < self.play_next) or ext in self.buffer:
            stats.late += 1
            return
        self.buffer[ext] = self.air_frames(packet.payload)
        while len(self.buffer) > JITTER_MAX_PACKETS:
            del self.buffer[min(self.buffer)]
            stats.overflows += 1

    def next_frame(self, stats: ChannelStats) -> bytes | None:
        """The next 10 ms frame to play, None while prefilling or on an underrun."""
        if not self.playing:
            if not self.started:
                if len(self.buffer) < JITTER_PREFILL_PACKETS:
                    return None
                self.started = True
            if not self.buffer:
                stats.underruns += 1
                self.started = False
                return None
            ext = min(self.buffer)
            self.playing = self.buffer.pop(ext)
            self.play_next = ext + 1
            if not self.playing:
                return None
        frame, self.playing = self.playing[:AIR_VOICE_OCTETS], self.playing[AIR_VOICE_OCTETS:]
        return frame

    def new_source(self, ssrc: int) -> None:
        """A new SSRC (the far end restarted, or another RFP took the leg): start afresh."""
        self.ssrc_in = ssrc
        self.reception = ReceptionStats(mc.NARROWBAND_RATE)
        self.highest = self.play_next = None
        self.buffer.clear()  # its sequence numbers would sort against the new source's
        self.started = False


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
    external: _Leg | None = None
    redirect: _Leg | None = None
    """The leg to the RFP the PP moved to (MEDIA_REDIRECT_START on the anchor)."""
    vif_ms: int = 20
    started_at: float | None = None
    next_rtcp: float = 0.0
    stats: ChannelStats = field(default_factory=ChannelStats)
    tone: _Tone | None = None
    tone_codec: AudioCodec | None = None

    @property
    def frames_per_packet(self) -> int:
        return max(1, self.vif_ms // mc.FRAME_MS)

    @property
    def packet_ticks(self) -> int:
        """RTP timestamp units per packet (8 kHz clock, G.722 included: RFC 3551 §4.5.2)."""
        return mc.NARROWBAND_RATE * self.vif_ms // 1000

    @property
    def wideband(self) -> bool:
        return self.codec == CODEC_G722

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
                 wall_clock: Callable[[], float] = time.time,
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
        self._by_port: dict[int, tuple[MediaChannel, _Leg, bool]] = {}
        self._out: list[TypedMessage] = []
        self._datagrams: list[Datagram] = []
        self._voice: list[VoiceFrame] = []
        self._next_tick: float | None = None
        self.ports_generation = 0
        """Counts changes of `ports()`, so an owner re-reads them only when they changed."""

    # -- owner interface -----------------------------------------------------------------------
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
        except (LinkProtocolError, SrtpError, RtpError) as exc:
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
        channel, leg, rtcp = found
        if rtcp or is_rtcp(data):
            self._receive_rtcp(channel, leg, data)
        elif leg is channel.external:
            self._receive_external(channel, leg, data, now)
        else:
            self._receive_redirect(channel, leg, data)
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
        if channel.external is not None:
            self._unbind(channel.external)
        channel.codec = codec.codec
        channel.vif_ms = message.vif or mc.DEFAULT_PTIME_MS
        channel.mcei = message.mcei
        leg = _Leg(message.local_rtp_port, message.local_rtcp_port,
                   (str(message.tx_address), message.tx_port1),
                   (str(message.tx_address), message.tx_port2),
                   CODEC_ENCODINGS[codec.codec], codec.payload_type,
                   message.dtmf_payload_type, srtp, self.rng)
        channel.external = leg
        channel.tone_codec = new_codec(mc.G722 if channel.wideband else mc.PCMA)
        self._bind(channel, leg)

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
        if channel.redirect is not None:
            self._unbind(channel.redirect)
        host = str(message.remote_address)
        leg = _Leg(message.local_port1, message.local_port2, (host, message.remote_port1),
                   (host, message.remote_port2), "G722" if channel.wideband else "PCMA",
                   mc.G722.payload_type if channel.wideband else mc.PCMA.payload_type,
                   None, message.srtp, self.rng)
        channel.redirect = leg
        self._bind(channel, leg)

    def _on_redirect_stop(self, message: MediaRedirectStop, now: float) -> None:
        channel = self._channel(message.handle)
        if channel.redirect is not None:
            self._unbind(channel.redirect)
            channel.redirect = None

    def _on_dtmf(self, message: MediaDtmf, now: float) -> None:
        channel = self._channel(message.handle)
        leg = channel.external
        if leg is None or leg.dtmf_pt is None:
            raise LinkProtocolError("MEDIA_DTMF on a channel without a telephone-event type")
        if leg.dtmf_out is not None:
            raise LinkProtocolError("MEDIA_DTMF while an event is still being sent")
        ticks = mc.TELEPHONE_EVENT.clock_rate * max(message.duration_ms, 1) // 1000
        leg.dtmf_out = DtmfSender.for_digit(chr(message.key), ticks, channel.packet_ticks,
                                            DTMF_VOLUME)
        leg.dtmf_start = leg.sequencer.timestamp
        leg.pending.clear()
        channel.stats.dtmf_sent += 1

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
        leg = channel.external
        if leg is None or not channel.sends() or leg.dtmf_out is not None:
            return
        leg.pending.append(frame)
        if len(leg.pending) < channel.frames_per_packet:
            return
        packet = leg.audio_packet(leg.pending, channel.packet_ticks)
        leg.pending.clear()
        self._send_rtp(channel, leg, packet)

    def _send_rtp(self, channel: MediaChannel, leg: _Leg, packet: RtpPacket) -> None:
        self._datagrams.append(Datagram(leg.local_rtp, leg.remote_rtp, leg.wire(packet)))
        if leg is channel.external:
            channel.stats.tx_packets += 1
            channel.stats.tx_bytes += len(packet.payload)

    def _tick(self, now: float) -> None:
        for channel in self.channels.values():
            self._tick_channel(channel)

    def _tick_channel(self, channel: MediaChannel) -> None:
        leg = channel.external
        if leg is None:
            return
        frame = leg.next_frame(channel.stats) if channel.plays() else None
        if channel.tone is not None:
            frame = self._tone_frame(channel)
        if leg.dtmf_out is not None and channel.sends():
            leg.pending.append(b"")  # the telephone event keeps the packet clock
            if len(leg.pending) >= channel.frames_per_packet:
                leg.pending.clear()
                packet = leg.dtmf_packet(channel.packet_ticks)
                if packet is not None:
                    self._send_rtp(channel, leg, packet)
        if frame is None:
            return
        channel.stats.air_frames_out += 1
        redirect = channel.redirect
        if redirect is None:
            if channel.mcei is not None:
                self._voice.append(VoiceFrame(channel.mcei, frame))
            return
        redirect.pending.append(frame)
        if len(redirect.pending) >= channel.frames_per_packet:
            packet = redirect.audio_packet(redirect.pending, channel.packet_ticks)
            redirect.pending.clear()
            self._send_rtp(channel, redirect, packet)

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

    def _receive_external(self, channel: MediaChannel, leg: _Leg, data: bytes,
                          now: float) -> None:
        packet = self._unwrap(channel, leg, data)
        if packet is None:
            return
        is_event = leg.dtmf_pt is not None and packet.payload_type == leg.dtmf_pt
        if packet.payload_type != leg.payload_type and not is_event:
            channel.stats.other_payload += 1
            return
        if packet.ssrc != leg.ssrc_in:
            leg.new_source(packet.ssrc)
        channel.stats.rx_packets += 1
        channel.stats.rx_bytes += len(packet.payload)
        leg.reception.update(packet.sequence_number, packet.timestamp, now)
        jitter_us = int(leg.reception.jitter * 1_000_000 / mc.NARROWBAND_RATE)
        channel.stats.max_jitter_us = max(channel.stats.max_jitter_us, jitter_us)
        if is_event:
            try:
                received = leg.dtmf_in.receive(packet)
            except RtpError:
                channel.stats.malformed += 1
                return
            for event in received:
                channel.stats.dtmf_received += 1
                duration_ms = event.duration * 1000 // mc.TELEPHONE_EVENT.clock_rate
                self._out.append(MediaDtmf(channel.handle, min(duration_ms, 0xFFFF),
                                           ord(event.digit), Direction.RX))
            return
        if channel.plays():
            leg.buffer_packet(packet, channel.stats)

    def _receive_redirect(self, channel: MediaChannel, leg: _Leg, data: bytes) -> None:
        packet = self._unwrap(channel, leg, data)
        if packet is None:
            return
        if packet.payload_type != leg.payload_type:
            channel.stats.other_payload += 1
            return
        for frame in leg.frames_of(packet.payload):
            self._uplink(channel, frame)

    def _unwrap(self, channel: MediaChannel, leg: _Leg, data: bytes) -> RtpPacket | None:
        try:
            raw = leg.srtp.unprotect(data) if leg.srtp is not None else data
        except SrtpError:
            channel.stats.srtp_failures += 1
            return None
        try:
            return RtpPacket.decode(raw)
        except RtpError:
            channel.stats.malformed += 1
            return None

    def _receive_rtcp(self, channel: MediaChannel, leg: _Leg, data: bytes) -> None:
        try:
            raw = leg.srtp.unprotect_rtcp(data) if leg.srtp is not None else data
            decode_rtcp(raw)
        except SrtpError:
            channel.stats.srtp_failures += 1
            return
        except RtpError:
            channel.stats.malformed += 1
            return
        channel.stats.rtcp_received += 1

    def _rtcp(self, now: float) -> None:
        for channel in self.channels.values():
            leg = channel.external
            if leg is None or not channel.sends() or now < channel.next_rtcp:
                continue
            channel.next_rtcp = now + RTCP_INTERVAL
            seq = leg.sequencer
            report = SenderReport(seq.ssrc, ntp_timestamp(self.wall_clock()), seq.timestamp,
                                  seq.packets, seq.octets)
            cname = CNAME_FORMAT.format(rfp_id=self.rfp_id, host=self.host)
            data = encode_rtcp([report, SourceDescription(((seq.ssrc, cname),))])
            if leg.srtp is not None:
                data = leg.srtp.protect_rtcp(data)
            self._datagrams.append(Datagram(leg.local_rtcp, leg.remote_rtcp, data))
            channel.stats.rtcp_sent += 1

    # -- helpers -------------------------------------------------------------------------------
    def _close(self, handle: int, now: float) -> None:
        channel = self.channels.get(handle)
        if channel is None:
            return
        stats = channel.stats
        leg = channel.external
        lost = max(0, leg.reception.lost) if leg is not None and leg.ssrc_in is not None else 0
        peer = leg.remote_rtp[0] if leg is not None else "0.0.0.0"
        started = channel.started_at if channel.started_at is not None else now
        self._out.append(MediaStatistics(
            handle, bytes(2), int(max(0.0, now - started)), stats.tx_packets & 0xFFFFFFFF,
            stats.tx_bytes & 0xFFFFFFFF, stats.rx_packets & 0xFFFFFFFF,
            stats.rx_bytes & 0xFFFFFFFF, lost & 0xFFFFFFFF, stats.max_jitter_us & 0xFFFFFFFF,
            ipaddress.IPv4Address(peer)))
        self._drop(handle)

    def _drop(self, handle: int) -> None:
        channel = self.channels.pop(handle)
        for leg in (channel.external, channel.redirect):
            if leg is not None:
                self._unbind(leg)

    def _bind(self, channel: MediaChannel, leg: _Leg) -> None:
        for port, rtcp in ((leg.local_rtp, False), (leg.local_rtcp, True)):
            other = self._by_port.get(port)
            if other is not None and other[0] is not channel:
                raise LinkProtocolError(f"port {port} belongs to handle {other[0].handle}")
            self._by_port[port] = (channel, leg, rtcp)
        self.ports_generation += 1

    def _unbind(self, leg: _Leg) -> None:
        for port in leg.ports:
            found = self._by_port.get(port)
            if found is not None and found[1] is leg:
                del self._by_port[port]
                self.ports_generation += 1

    def _channel(self, handle: int) -> MediaChannel:
        channel = self.channels.get(handle)
        if channel is None:
            raise LinkProtocolError(f"no media handle {handle}")
        return channel

    def _ticking(self) -> bool:
        return any(ch.external is not None and (ch.direction or ch.tone is not None)
                   for ch in self.channels.values())

    def _frame_after(self, now: float) -> float:
        index = math.floor((now - self.epoch) / FRAME_SECONDS + 1e-9) + 1
        return self.epoch + index * FRAME_SECONDS

    def _wake(self) -> None:
        if self.on_output is not None:
            self.on_output()


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
    frame = bytes(range(AIR_VOICE_OCTETS))
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
