"""Sans-I/O media streams: a sender (10 ms PCM frames -> RTP/SRTP datagrams), a
receiver with a small reordering buffer and loss/late counters, a relay that
forwards one leg to another with SSRC/sequence/timestamp rewriting (RFC 3550 §7,
the RFP-to-RFP redirect of seed 000 "RFP to RFP Media Streaming"), and a recorder.

No sockets and no clock: callers pass datagrams and `now` in seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np

from sipdect.media import constants as c
from sipdect.media.codecs import AudioCodec, Pcm, frame_samples, new_codec
from sipdect.media.errors import CodecError, RtpError, SrtpError
from sipdect.media.rtp import (
    DtmfReceived,
    DtmfReceiver,
    DtmfSender,
    ReceiverReport,
    ReceptionStats,
    ReportBlock,
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

# -- sender --------------------------------------------------------------------------------------


class MediaSender:
    """Turns 10 ms PCM frames into RTP packets of `ptime` ms, SRTP-protected if asked.

    With ptime 20 every second frame yields one datagram. While a DTMF event is
    being sent (RFC 4733), telephone-event packets take the audio's place.
    """

    def __init__(self, payload: c.PayloadFormat, *, ptime: int = c.DEFAULT_PTIME_MS,
                 telephone_event: int | None = c.TELEPHONE_EVENT.payload_type,
                 srtp: SrtpSession | None = None, sequencer: RtpSequencer | None = None,
                 codec: AudioCodec | None = None, rng: random.Random | None = None) -> None:
        if ptime % c.FRAME_MS or ptime <= 0:
            raise CodecError(f"ptime {ptime} ms is not a multiple of {c.FRAME_MS} ms")
        self.payload = payload
        self.codec = codec or new_codec(payload)
        self.ptime = ptime
        self.telephone_event = telephone_event
        self.srtp = srtp
        self.sequencer = sequencer or RtpSequencer.random(rng)
        self.frame_samples = frame_samples(payload.sample_rate)
        self.frames_per_packet = ptime // c.FRAME_MS
        #: RTP timestamp units per packet (G.722 counts at 8 kHz, RFC 3551 §4.5.2).
        self.packet_ticks = payload.clock_rate * ptime // 1000
        self._pending: list[Pcm] = []
        self._dtmf: DtmfSender | None = None
        self._dtmf_start = 0
        self._talkspurt = True

    def push_frame(self, pcm: Pcm) -> list[bytes]:
        """Take one 10 ms frame; return the datagrams now due (zero or one)."""
        if len(pcm) != self.frame_samples:
            raise CodecError(f"a {c.FRAME_MS} ms frame at {self.payload.sample_rate} Hz has "
                             f"{self.frame_samples} samples, got {len(pcm)}")
        self._pending.append(pcm)
        if len(self._pending) < self.frames_per_packet:
            return []
        frames, self._pending = self._pending, []
        if self._dtmf is not None:
            return self._dtmf_packet()
        packet = self.sequencer.next_packet(self.payload.payload_type,
                                            self.codec.encode(np.concatenate(frames)),
                                            self.packet_ticks, marker=self._talkspurt)
        self._talkspurt = False
        return [self._wire(packet.encode())]

    def start_dtmf(self, digit: str, duration_ms: int = 100) -> None:
        """Send `digit` as a telephone event from the next packet on."""
        if self.telephone_event is None:
            raise RtpError("no telephone-event payload type was negotiated")
        if self._dtmf is not None:
            raise RtpError("a DTMF event is still being sent")
        self._dtmf = DtmfSender.for_digit(digit, c.TELEPHONE_EVENT.clock_rate * duration_ms
                                          // 1000, self.packet_ticks)
        self._dtmf_start = self.sequencer.timestamp

    @property
    def sending_dtmf(self) -> bool:
        return self._dtmf is not None

    def sender_report(self, unix_time: float, cname: str,
                      reports: tuple[ReportBlock, ...] = ()) -> bytes:
        """A compound SR + SDES CNAME (RFC 3550 §6.1) for `unix_time`, SRTCP if keyed.

        The RTP timestamp is that of the next packet: the stream's clock "now".
        """
        seq = self.sequencer
        sr = SenderReport(seq.ssrc, ntp_timestamp(unix_time), seq.timestamp, seq.packets,
                          seq.octets, reports)
        data = encode_rtcp([sr, SourceDescription(((seq.ssrc, cname),))])
        return self.srtp.protect_rtcp(data) if self.srtp is not None else data

    def _dtmf_packet(self) -> list[bytes]:
        assert self._dtmf is not None and self.telephone_event is not None
        item = self._dtmf.next_payload()
        assert item is not None
        payload, marker = item
        packet = self.sequencer.next_packet(self.telephone_event, payload, 0, marker=marker,
                                            timestamp=self._dtmf_start)
        self.sequencer.advance(self.packet_ticks)
        if self._dtmf.done:
            self._dtmf = None
            self._talkspurt = True
        return [self._wire(packet.encode())]

    def _wire(self, packet: bytes) -> bytes:
        return self.srtp.protect(packet) if self.srtp is not None else packet


# -- receiver ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AudioReceived:
    """Decoded audio of one packet, released in sequence order."""

    pcm: Pcm
    timestamp: int
    sequence_number: int


@dataclass(frozen=True, slots=True)
class RtcpReceived:
    """An RTCP compound packet from the peer."""

    packets: tuple[RtcpPacket, ...]


MediaEvent: TypeAlias = AudioReceived | DtmfReceived | RtcpReceived


@dataclass(slots=True)
class ReceiverStats:
    """What happened to every datagram that reached the receiver."""

    datagrams: int = 0
    packets: int = 0
    """RTP packets accepted into the buffer."""
    played: int = 0
    """Audio packets released and decoded."""
    lost: int = 0
    """Sequence numbers skipped at release time."""
    late: int = 0
    """Packets that came after their turn had passed."""
    duplicates: int = 0
    malformed: int = 0
    srtp_failures: int = 0
    """SRTP/SRTCP packets that failed to authenticate or replayed."""
    other_payload: int = 0
    """RTP with a payload type we did not negotiate."""
    rtcp: int = 0
    ssrc_changes: int = 0


@dataclass(slots=True)
class _Slot:
    packet: RtpPacket
    audio: bool


class MediaReceiver:
    """RTP/SRTP datagrams in, MediaEvents out; reorders within a window of `depth` packets.

    A packet waits until `depth` newer ones have arrived (or flush()), so packets
    swapped by at most `depth` positions come out in order; one older than the last
    released is late and dropped. Gaps are counted as lost when passed over.
    """

    def __init__(self, payload: c.PayloadFormat, *,
                 telephone_event: int | None = c.TELEPHONE_EVENT.payload_type,
                 srtp: SrtpSession | None = None, depth: int = 3,
                 codec: AudioCodec | None = None) -> None:
        self.payload = payload
        self.codec = codec or new_codec(payload)
        self.telephone_event = telephone_event
        self.srtp = srtp
        self.depth = depth
        self.stats = ReceiverStats()
        self.reception = ReceptionStats(payload.clock_rate)
        self.ssrc: int | None = None
        self._dtmf = DtmfReceiver()
        self._buffer: dict[int, _Slot] = {}
        self._next: int | None = None  # extended sequence number due next
        self._highest: int | None = None

    def receive_datagram(self, data: bytes, now: float) -> list[MediaEvent]:
        """Feed one datagram that arrived at `now`; return what became ready."""
        self.stats.datagrams += 1
        if is_rtcp(data):
            return self._receive_rtcp(data)
        try:
            raw = self.srtp.unprotect(data) if self.srtp is not None else data
        except SrtpError:
            self.stats.srtp_failures += 1
            return []
        try:
            packet = RtpPacket.decode(raw)
        except RtpError:
            self.stats.malformed += 1
            return []
        is_event = packet.payload_type == self.telephone_event
        if packet.payload_type != self.payload.payload_type and not is_event:
            self.stats.other_payload += 1
            return []
        if packet.ssrc != self.ssrc:
            if self.ssrc is not None:
                self.stats.ssrc_changes += 1
            out = self.flush()
            self.ssrc, self._next, self._highest = packet.ssrc, None, None
            self.reception = ReceptionStats(self.payload.clock_rate)
        else:
            out = []
        self.reception.update(packet.sequence_number, packet.timestamp, now)
        out.extend(self._insert(packet, is_event))
        if is_event:
            try:
                out.extend(self._dtmf.receive(packet))
            except RtpError:
                self.stats.malformed += 1
        return out

    def flush(self) -> list[MediaEvent]:
        """Release everything still buffered (end of call, or a new source)."""
        return self._release(0)

    def receiver_report(self, ssrc: int, cname: str) -> bytes:
        """A compound RR + SDES CNAME from us (`ssrc`) about the source we hear, SRTCP if
        keyed. Starts a new fraction-lost interval."""
        blocks = () if self.ssrc is None else (self.reception.report_block(self.ssrc),)
        data = encode_rtcp([ReceiverReport(ssrc, blocks),
                            SourceDescription(((ssrc, cname),))])
        return self.srtp.protect_rtcp(data) if self.srtp is not None else data

    def _receive_rtcp(self, data: bytes) -> list[MediaEvent]:
        try:
            raw = self.srtp.unprotect_rtcp(data) if self.srtp is not None else data
        except SrtpError:
            self.stats.srtp_failures += 1
            return []
        try:
            packets = decode_rtcp(raw)
        except RtpError:
            self.stats.malformed += 1
            return []
        self.stats.rtcp += 1
        return [RtcpReceived(tuple(packets))]

    def _insert(self, packet: RtpPacket, is_event: bool) -> list[MediaEvent]:
        if self._highest is None:
            ext = packet.sequence_number
            self._highest = ext
            self._next = ext
        else:
            ext = self._highest + seq_delta(packet.sequence_number, self._highest & 0xFFFF)
            self._highest = max(self._highest, ext)
        assert self._next is not None
        if ext < self._next:
            self.stats.late += 1
            return []
        if ext in self._buffer:
            self.stats.duplicates += 1
            return []
        self.stats.packets += 1
        self._buffer[ext] = _Slot(packet, not is_event)
        return self._release(self.depth)

    def _release(self, keep: int) -> list[MediaEvent]:
        out: list[MediaEvent] = []
        while len(self._buffer) > keep:
            ext = min(self._buffer)
            slot = self._buffer.pop(ext)
            if self._next is not None and ext > self._next:
                self.stats.lost += ext - self._next
            self._next = ext + 1
            if slot.audio:
                try:
                    pcm = self.codec.decode(slot.packet.payload)
                except CodecError:
                    self.stats.malformed += 1
                    continue
                self.stats.played += 1
                out.append(AudioReceived(pcm, slot.packet.timestamp,
                                         slot.packet.sequence_number))
        return out


@dataclass(slots=True)
class Recorder:
    """Keeps what a receiver delivers so a test can look at it afterwards."""

    receiver: MediaReceiver
    audio: list[Pcm] = field(default_factory=list)
    dtmf: list[DtmfReceived] = field(default_factory=list)
    rtcp: list[RtcpReceived] = field(default_factory=list)

    def receive_datagram(self, data: bytes, now: float) -> None:
        self._keep(self.receiver.receive_datagram(data, now))

    def flush(self) -> None:
        self._keep(self.receiver.flush())

    def _keep(self, events: list[MediaEvent]) -> None:
        for event in events:
            if isinstance(event, AudioReceived):
                self.audio.append(event.pcm)
            elif isinstance(event, DtmfReceived):
                self.dtmf.append(event)
            else:
                self.rtcp.append(event)

    @property
    def samples(self) -> int:
        return sum(len(a) for a in self.audio)

    def pcm(self) -> Pcm:
        """Everything played so far, as one array."""
        return np.concatenate(self.audio) if self.audio else np.zeros(0, dtype=np.int16)


# -- relay ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class RelayStats:
    forwarded: int = 0
    dropped: int = 0
    """Malformed, failed SRTP, or RTCP (which a relay answers for itself, not forwards)."""
    source_switches: int = 0


class MediaRelay:
    """Forwards RTP from one leg to the other as one continuous stream.

    Every packet leaves with our SSRC; sequence numbers and timestamps are offset
    so that when the incoming source changes (the call moved to another RFP, which
    has its own SSRC, sequence and timestamp), the far end sees the next sequence
    number, a timestamp one packet on, and the marker bit. SRTP is taken off with
    the inbound session and put on with the outbound one, so the far end's
    rollover counter never sees the jump.
    """

    def __init__(self, *, inbound: SrtpSession | None = None,
                 outbound: SrtpSession | None = None, ssrc: int | None = None,
                 rng: random.Random | None = None) -> None:
        r = rng or random.SystemRandom()
        self.inbound = inbound
        self.outbound = outbound
        self.ssrc = r.getrandbits(32) if ssrc is None else ssrc
        self.stats = RelayStats()
        self._source: int | None = None
        self._seq_offset = r.getrandbits(16)
        self._ts_offset = r.getrandbits(32)
        self._last_seq: int | None = None  # outgoing
        self._last_ts = 0
        self._last_step = 160  # outgoing timestamp advance per packet, learnt

    def switch_inbound(self, inbound: SrtpSession | None) -> None:
        """Take packets from a new source protected with another key (redirect)."""
        self.inbound = inbound

    def forward(self, data: bytes) -> bytes | None:
        """The datagram to send on, or None if this one is dropped."""
        try:
            raw = self.inbound.unprotect(data) if self.inbound is not None else data
            if is_rtcp(raw):
                raise RtpError("RTCP is terminated at the relay")
            packet = RtpPacket.decode(raw)
        except (SrtpError, RtpError):
            self.stats.dropped += 1
            return None
        marker = packet.marker
        if packet.ssrc != self._source:
            if self._source is not None:
                self.stats.source_switches += 1
                marker = True
            if self._last_seq is not None:
                self._seq_offset = (self._last_seq + 1 - packet.sequence_number) % c.RTP_SEQ_MOD
                self._ts_offset = (self._last_ts + self._last_step - packet.timestamp) \
                    % c.RTP_TS_MOD
            self._source = packet.ssrc
        seq = (packet.sequence_number + self._seq_offset) % c.RTP_SEQ_MOD
        ts = (packet.timestamp + self._ts_offset) % c.RTP_TS_MOD
        if self._last_seq is not None and seq_delta(seq, self._last_seq) == 1:
            step = (ts - self._last_ts) % c.RTP_TS_MOD
            if 0 < step < c.NARROWBAND_RATE:
                self._last_step = step
        if self._last_seq is None or seq_delta(seq, self._last_seq) > 0:
            self._last_seq, self._last_ts = seq, ts
        out = RtpPacket(packet.payload_type, seq, ts, self.ssrc, packet.payload, marker,
                        packet.csrc, packet.extension, packet.padding).encode()
        self.stats.forwarded += 1
        return self.outbound.protect(out) if self.outbound is not None else out
