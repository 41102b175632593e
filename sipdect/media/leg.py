"""One RTP leg: the RTP/SRTP session of one end of a call, between 10 ms frames of coded audio
and datagrams (RFC 3550 §5-6, RFC 3711 through sipdect.media.srtp, RFC 4733 events).

Sans-I/O: `push_frame` takes a frame and returns the datagram it completes; `receive_datagram`
takes what arrived and `now`; `next_frame` plays the jitter buffer one frame per 10 ms tick the
owner runs; `next_event` gives telephone events and RTCP heard. An RFP's DSP channel (rfp.media)
and a SIP phone use it alike; the owner keeps the sockets, addresses and the clock.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from sipdect.media import constants as c
from sipdect.media.codecs import frame_octets, transcoder
from sipdect.media.errors import CodecError, RtpError, SrtpError
from sipdect.media.rtp import (
    DtmfReceived,
    DtmfReceiver,
    DtmfSender,
    ReceptionStats,
    RtcpPacket,
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
from sipdect.media.srtp import SrtpSession

# -- the jitter buffer's figures (the emulator's choices; the product documents none) ----------
JITTER_PREFILL_PACKETS = 2
"""Packets the buffer holds before it starts playing (40 ms at a 20 ms ptime)."""
JITTER_MAX_PACKETS = 10
"""Packets the buffer keeps at most; the oldest are dropped beyond that."""


@dataclass(slots=True)
class LegStats:
    """What happened on a leg (an owner may pass its own, to keep counting across legs)."""

    tx_packets: int = 0
    """RTP packets sent (audio and telephone events)."""
    tx_bytes: int = 0
    """RTP payload octets of those."""
    rx_packets: int = 0
    """RTP packets received that verified, parsed and were of a negotiated payload type."""
    rx_bytes: int = 0
    """RTP payload octets of those."""
    srtp_failures: int = 0
    """Datagrams that did not unprotect (wrong key, replay)."""
    malformed: int = 0
    """Datagrams that were not RTP/RTCP, or telephone events that did not parse."""
    other_payload: int = 0
    """RTP packets of a payload type the leg was not set up for."""
    late: int = 0
    """Packets that came after their playout time, or duplicates."""
    overflows: int = 0
    """Packets dropped because the jitter buffer was full."""
    underruns: int = 0
    """Ticks with nothing to play after playout had started."""
    ssrc_changes: int = 0
    """Times the far end's SSRC changed (it restarted, or another source took the stream)."""
    dtmf_sent: int = 0
    """Telephone events sent."""
    dtmf_received: int = 0
    """Telephone events received (one per event, however many packets carried it)."""
    rtcp_sent: int = 0
    rtcp_received: int = 0
    max_jitter_us: int = 0
    """Largest interarrival jitter seen."""


@dataclass(frozen=True, slots=True)
class RtcpReceived:
    """An RTCP compound packet from the far end."""

    packets: tuple[RtcpPacket, ...]


LegEvent: TypeAlias = DtmfReceived | RtcpReceived


class RtpLeg:
    """RTP of `payload` on the wire, 10 ms frames of `frames` (default: the same) at the ends.

    A frame is FRAME_MS of coded audio (80 octets of G.711 or G.722); `ptime` ms of them make
    a packet. Frames of A-law on a µ-law leg (an RFP's air codec towards a PCMU far end) are
    converted both ways. With `srtp` every packet is SRTP/SRTCP. Received audio waits in a
    jitter buffer by sequence number until `next_frame` plays it; a new SSRC starts it afresh.
    """

    def __init__(self, payload: c.PayloadFormat, *, frames: c.PayloadFormat | None = None,
                 ptime: int = c.DEFAULT_PTIME_MS, telephone_event: int | None = None,
                 srtp: SrtpSession | None = None, sequencer: RtpSequencer | None = None,
                 rng: random.Random | None = None, stats: LegStats | None = None,
                 prefill: int = JITTER_PREFILL_PACKETS,
                 depth: int = JITTER_MAX_PACKETS) -> None:
        """`payload` carries the payload type in use; `telephone_event` is the negotiated
        RFC 4733 payload type (None: no DTMF events); `sequencer` fixes our SSRC, sequence
        and timestamp (random from `rng` by default); `prefill` and `depth` size the jitter
        buffer in packets."""
        if ptime <= 0 or ptime % c.FRAME_MS:
            raise CodecError(f"ptime {ptime} ms is not a multiple of {c.FRAME_MS} ms")
        if not 0 <= prefill <= depth or depth < 1:
            raise CodecError(f"a jitter buffer of {depth} packets cannot prefill {prefill}")
        self.payload = payload
        self.frame_format = frames or payload
        self.frame_octets = frame_octets(self.frame_format)
        if frame_octets(payload) != self.frame_octets:
            raise CodecError(f"{self.frame_format.encoding} and {payload.encoding} frames "
                             f"differ in size")
        self._to_wire: Callable[[bytes], bytes] | None = transcoder(self.frame_format, payload)
        self._from_wire: Callable[[bytes], bytes] | None = transcoder(payload,
                                                                      self.frame_format)
        self.ptime = ptime
        self.frames_per_packet = ptime // c.FRAME_MS
        self.packet_ticks = payload.clock_rate * ptime // 1000
        """RTP timestamp units per packet (G.722's clock is 8 kHz too: RFC 3551 §4.5.2)."""
        self.telephone_event = telephone_event
        self.srtp = srtp
        self.sequencer = sequencer or RtpSequencer.random(rng)
        self.stats = stats if stats is not None else LegStats()
        self.prefill = prefill
        self.depth = depth
        self.reception = ReceptionStats(payload.clock_rate)
        """Loss and jitter of the source heard now (RFC 3550 A.1, A.8)."""
        self.remote_ssrc: int | None = None
        """SSRC of the far end's stream, None before its first packet."""
        self._events: list[LegEvent] = []
        self._dtmf_in = DtmfReceiver()
        self._dtmf_out: DtmfSender | None = None
        self._dtmf_start = 0
        self._talkspurt = True
        self._pending: list[bytes] = []
        """Frames waiting for the rest of their packet."""
        self._buffer: dict[int, bytes] = {}
        """The whole frames of each received packet by extended sequence number, as one bytes
        (unlike a list of frames, bytes live outside the garbage collector's generations: a
        buffered packet per call would otherwise keep it collecting)."""
        self._highest: int | None = None
        self._play_next: int | None = None
        self._playing = b""
        """The frames of the packet being played that are still to come."""
        self._started = False

    # -- sending ---------------------------------------------------------------------------------
    def push_frame(self, frame: bytes) -> bytes | None:
        """One frame to send; the datagram when it completes a packet. While a telephone event
        is being sent the frame is dropped: the event takes the audio's place."""
        if len(frame) != self.frame_octets:
            raise CodecError(f"a {c.FRAME_MS} ms {self.frame_format.encoding} frame has "
                             f"{self.frame_octets} octets, got {len(frame)}")
        if self._dtmf_out is not None:
            return None
        pending = self._pending
        pending.append(frame)
        if len(pending) < self.frames_per_packet:
            return None
        payload = b"".join(pending)
        pending.clear()
        if self._to_wire is not None:
            payload = self._to_wire(payload)
        packet = self.sequencer.next_packet(self.payload.payload_type, payload,
                                            self.packet_ticks, marker=self._talkspurt)
        self._talkspurt = False
        return self._wire(packet)

    def start_dtmf(self, digit: str, duration_ms: int,
                   volume: int = c.DTMF_DEFAULT_VOLUME) -> None:
        """Send `digit` as a telephone event (RFC 4733 §2.5.1) from the next packet interval
        on, clocked by `event_tick`; a partly filled audio packet is dropped. RtpError without
        a negotiated telephone-event type, while another event is being sent, or for a key
        that is not DTMF."""
        if self.telephone_event is None:
            raise RtpError("no telephone-event payload type was negotiated")
        if self._dtmf_out is not None:
            raise RtpError("a DTMF event is still being sent")
        ticks = self.payload.clock_rate * max(duration_ms, 1) // 1000
        self._dtmf_out = DtmfSender.for_digit(digit, ticks, self.packet_ticks, volume)
        self._dtmf_start = self.sequencer.timestamp
        self._pending.clear()
        self.stats.dtmf_sent += 1

    @property
    def sending_dtmf(self) -> bool:
        """A telephone event is being sent (audio frames are dropped meanwhile)."""
        return self._dtmf_out is not None

    def event_tick(self) -> bytes | None:
        """One frame interval of the telephone event being sent: its next datagram when one is
        due (one per ptime, as audio would go), None otherwise. After the event's last end
        packet, audio resumes with the marker bit and the time the event took."""
        dtmf = self._dtmf_out
        if dtmf is None or self.telephone_event is None:
            return None
        pending = self._pending
        pending.append(b"")
        if len(pending) < self.frames_per_packet:
            return None
        pending.clear()
        item = dtmf.next_payload()
        if item is None:
            self._dtmf_out = None
            return None
        payload, marker = item
        packet = self.sequencer.next_packet(self.telephone_event, payload, 0, marker=marker,
                                            timestamp=self._dtmf_start)
        self.sequencer.advance(self.packet_ticks)
        if dtmf.done:
            self._dtmf_out = None
            self._talkspurt = True
        return self._wire(packet)

    def sender_report(self, unix_time: float, cname: str) -> bytes:
        """A compound SR + SDES CNAME (RFC 3550 §6.1, SRTCP if keyed) for `unix_time`: what we
        sent, with a report block on the source we hear once there is one. The RTP timestamp
        is that of the next packet."""
        seq = self.sequencer
        blocks = (() if self.remote_ssrc is None
                  else (self.reception.report_block(self.remote_ssrc),))
        report = SenderReport(seq.ssrc, ntp_timestamp(unix_time), seq.timestamp, seq.packets,
                              seq.octets, blocks)
        data = encode_rtcp([report, SourceDescription(((seq.ssrc, cname),))])
        if self.srtp is not None:
            data = self.srtp.protect_rtcp(data)
        self.stats.rtcp_sent += 1
        return data

    def _wire(self, packet: RtpPacket) -> bytes:
        stats = self.stats
        stats.tx_packets += 1
        stats.tx_bytes += len(packet.payload)
        data = packet.encode()
        return self.srtp.protect(data) if self.srtp is not None else data

    # -- receiving -------------------------------------------------------------------------------
    def receive_datagram(self, data: bytes, now: float, *, play: bool = True) -> None:
        """A datagram from the far end that arrived at `now` (RTCP is told apart, RFC 5761).
        Audio goes to the jitter buffer, or only into the counters when `play` is off;
        telephone events and RTCP become events."""
        if is_rtcp(data):
            self.receive_rtcp(data)
            return
        packet = self._unwrap(data)
        if packet is None:
            return
        payload_type = packet.payload_type
        is_event = payload_type == self.telephone_event
        stats = self.stats
        if payload_type != self.payload.payload_type and not is_event:
            stats.other_payload += 1
            return
        if packet.ssrc != self.remote_ssrc:
            self._new_source(packet.ssrc)
        stats.rx_packets += 1
        stats.rx_bytes += len(packet.payload)
        reception = self.reception
        reception.update(packet.sequence_number, packet.timestamp, now)
        jitter_us = int(reception.jitter * 1_000_000 / reception.clock_rate)
        if jitter_us > stats.max_jitter_us:
            stats.max_jitter_us = jitter_us
        if is_event:
            try:
                received = self._dtmf_in.receive(packet)
            except RtpError:
                stats.malformed += 1
                return
            stats.dtmf_received += len(received)
            self._events.extend(received)
        elif play:
            self._buffer_packet(packet)

    def receive_frames(self, data: bytes, now: float) -> bytes:
        """The whole frames of an audio datagram at once, back to back, past the jitter
        buffer (for a relay that sends them on straight away); b"" for anything else, which
        is counted (RTCP is taken as by receive_datagram)."""
        if is_rtcp(data):
            self.receive_rtcp(data)
            return b""
        packet = self._unwrap(data)
        if packet is None:
            return b""
        if packet.payload_type != self.payload.payload_type:
            self.stats.other_payload += 1
            return b""
        self.stats.rx_packets += 1
        self.stats.rx_bytes += len(packet.payload)
        return self._frames(packet.payload)

    def receive_rtcp(self, data: bytes) -> None:
        """An RTCP (SRTCP if keyed) datagram from the far end, e.g. on the RTCP port."""
        try:
            raw = self.srtp.unprotect_rtcp(data) if self.srtp is not None else data
            packets = decode_rtcp(raw)
        except SrtpError:
            self.stats.srtp_failures += 1
            return
        except RtpError:
            self.stats.malformed += 1
            return
        self.stats.rtcp_received += 1
        self._events.append(RtcpReceived(tuple(packets)))

    def next_event(self) -> LegEvent | None:
        """The next telephone event or RTCP packet heard, None when there is none."""
        return self._events.pop(0) if self._events else None

    def next_frame(self) -> bytes | None:
        """The frame to play in this 10 ms tick; None while prefilling and on an underrun
        (after which the buffer prefills again)."""
        if not self._playing:
            buffer = self._buffer
            if not self._started:
                if len(buffer) < self.prefill or not buffer:
                    return None
                self._started = True
            if not buffer:
                self.stats.underruns += 1
                self._started = False
                return None
            ext = min(buffer)
            self._playing = buffer.pop(ext)
            self._play_next = ext + 1
            if not self._playing:
                return None
        octets = self.frame_octets
        frame, self._playing = self._playing[:octets], self._playing[octets:]
        return frame

    @property
    def buffered(self) -> int:
        """Packets waiting in the jitter buffer (the one being played not counted)."""
        return len(self._buffer)

    def _unwrap(self, data: bytes) -> RtpPacket | None:
        try:
            raw = self.srtp.unprotect(data) if self.srtp is not None else data
        except SrtpError:
            self.stats.srtp_failures += 1
            return None
        try:
            return RtpPacket.decode(raw)
        except RtpError:
            self.stats.malformed += 1
            return None

    def _frames(self, payload: bytes) -> bytes:
        """The whole frames of an audio payload in the frame format (a partial frame at the
        end is dropped)."""
        if self._from_wire is not None:
            payload = self._from_wire(payload)
        return payload[:len(payload) - len(payload) % self.frame_octets]

    def _buffer_packet(self, packet: RtpPacket) -> None:
        highest = self._highest
        if highest is None:
            ext = packet.sequence_number
            self._highest = ext
        else:
            ext = highest + seq_delta(packet.sequence_number, highest & 0xFFFF)
            if ext > highest:
                self._highest = ext
        buffer = self._buffer
        if (self._play_next is not None and ext < self._play_next) or ext in buffer:
            self.stats.late += 1
            return
        buffer[ext] = self._frames(packet.payload)
        while len(buffer) > self.depth:
            del buffer[min(buffer)]
            self.stats.overflows += 1

    def _new_source(self, ssrc: int) -> None:
        """A new SSRC (the far end restarted, or another source took the stream): the buffer
        starts afresh, its sequence numbers would sort against the new source's."""
        if self.remote_ssrc is not None:
            self.stats.ssrc_changes += 1
        self.remote_ssrc = ssrc
        self.reception = ReceptionStats(self.payload.clock_rate)
        self._highest = self._play_next = None
        self._buffer.clear()
        self._started = False
