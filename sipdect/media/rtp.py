"""RTP and RTCP codecs (RFC 3550 §5.1, §6.4-6.6), per-stream sequence bookkeeping
(RFC 3550 Appendix A.1, A.8) and telephone-event payloads (RFC 4733 §2.3, §2.5).

Every decoder takes plain bytes and raises RtpError on anything malformed.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field
from typing import TypeAlias

from sipdect.media import constants as c
from sipdect.media.errors import RtpError

_HEADER = struct.Struct("!BBHII")
_EXT = struct.Struct("!HH")
_U32 = struct.Struct("!I")


@dataclass(frozen=True, slots=True)
class RtpExtension:
    """The one header extension RFC 3550 §5.3.1 allows."""

    profile: int
    """16-bit profile-defined identifier."""
    data: bytes
    """Extension body; a multiple of 4 octets."""


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP packet (RFC 3550 §5.1)."""

    payload_type: int
    """7-bit payload type."""
    sequence_number: int
    """16-bit sequence number."""
    timestamp: int
    """32-bit media timestamp."""
    ssrc: int
    """32-bit synchronisation source."""
    payload: bytes = b""
    """Payload without padding."""
    marker: bool = False
    """M bit: first packet of a talkspurt or of a telephone event."""
    csrc: tuple[int, ...] = ()
    """Contributing sources (at most 15)."""
    extension: RtpExtension | None = None
    """Header extension, if the X bit is set."""
    padding: int = 0
    """Padding octets including the count octet (0 = no P bit)."""

    def encode(self) -> bytes:
        """The packet on the wire; RtpError if a field is out of range."""
        if not 0 <= self.payload_type <= 127:
            raise RtpError(f"payload type {self.payload_type} is not 0..127")
        if not 0 <= self.sequence_number < c.RTP_SEQ_MOD:
            raise RtpError(f"sequence number {self.sequence_number} is not 16-bit")
        if not 0 <= self.timestamp < c.RTP_TS_MOD or not 0 <= self.ssrc < c.RTP_TS_MOD:
            raise RtpError("timestamp and SSRC must be 32-bit")
        if len(self.csrc) > c.RTP_MAX_CSRC:
            raise RtpError(f"{len(self.csrc)} CSRCs; at most {c.RTP_MAX_CSRC}")
        if not 0 <= self.padding <= 255:
            raise RtpError(f"padding {self.padding} is not 0..255")
        first = (c.RTP_VERSION << 6) | (0x20 if self.padding else 0) | len(self.csrc)
        if self.extension is not None:
            first |= 0x10
        parts = [_HEADER.pack(first, (0x80 if self.marker else 0) | self.payload_type,
                              self.sequence_number, self.timestamp, self.ssrc)]
        try:
            parts.extend(_U32.pack(s) for s in self.csrc)
        except struct.error as exc:
            raise RtpError("CSRC must be 32-bit") from exc
        if self.extension is not None:
            ext = self.extension
            if len(ext.data) % 4 or not 0 <= ext.profile <= 0xFFFF or len(ext.data) > 0x3FFFC:
                raise RtpError("extension data must be a multiple of 4 octets, profile 16-bit")
            parts.append(_EXT.pack(ext.profile, len(ext.data) // 4) + ext.data)
        parts.append(self.payload)
        if self.padding:
            parts.append(bytes(self.padding - 1) + bytes((self.padding,)))
        return b"".join(parts)

    @classmethod
    def decode(cls, data: bytes) -> RtpPacket:
        """Parse one RTP packet; RtpError if it is not one."""
        if len(data) < c.RTP_HEADER_LEN:
            raise RtpError(f"RTP packet of {len(data)} octets is shorter than its header")
        first, second, seq, ts, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != c.RTP_VERSION:
            raise RtpError(f"RTP version {first >> 6}, expected 2")
        offset = c.RTP_HEADER_LEN
        cc = first & 0x0F
        if len(data) < offset + 4 * cc:
            raise RtpError(f"RTP packet too short for {cc} CSRCs")
        csrc = struct.unpack_from(f"!{cc}I", data, offset) if cc else ()
        offset += 4 * cc
        extension = None
        if first & 0x10:
            if len(data) < offset + 4:
                raise RtpError("RTP packet too short for its header extension")
            profile, words = _EXT.unpack_from(data, offset)
            offset += 4
            if len(data) < offset + 4 * words:
                raise RtpError("RTP header extension runs past the packet")
            extension = RtpExtension(profile, bytes(data[offset:offset + 4 * words]))
            offset += 4 * words
        end = len(data)
        padding = 0
        if first & 0x20:
            padding = data[-1]
            if padding == 0 or end - padding < offset:
                raise RtpError(f"RTP padding count {padding} is invalid")
            end -= padding
        return cls(second & 0x7F, seq, ts, ssrc, bytes(data[offset:end]), bool(second & 0x80),
                   tuple(csrc), extension, padding)


def is_rtcp(data: bytes) -> bool:
    """RFC 5761 §4 demultiplexing: does this datagram carry RTCP rather than RTP?"""
    return len(data) >= 2 and data[1] in c.RTCP_DEMUX_RANGE


def seq_delta(new: int, old: int) -> int:
    """Signed distance from `old` to `new` in 16-bit sequence space (-32768..32767)."""
    return ((new - old + 0x8000) & 0xFFFF) - 0x8000


# -- sender side bookkeeping -------------------------------------------------------------------

@dataclass(slots=True)
class RtpSequencer:
    """Sequence number and timestamp of one outgoing stream (RFC 3550 §5.1)."""

    ssrc: int
    """Our SSRC."""
    sequence_number: int
    """Sequence number of the next packet."""
    timestamp: int
    """Media timestamp of the next audio packet."""
    packets: int = 0
    """Packets sent (for the SR)."""
    octets: int = 0
    """Payload octets sent (for the SR)."""

    @classmethod
    def random(cls, rng: random.Random | None = None, ssrc: int | None = None) -> RtpSequencer:
        """Random SSRC, first sequence number and timestamp, as RFC 3550 §5.1 asks."""
        r = rng or random.SystemRandom()
        return cls(r.getrandbits(32) if ssrc is None else ssrc, r.getrandbits(16),
                   r.getrandbits(32))

    def next_packet(self, payload_type: int, payload: bytes, samples: int, *,
                    marker: bool = False, timestamp: int | None = None) -> RtpPacket:
        """The next packet; the timestamp then advances by `samples` clock ticks.

        With `timestamp` given (telephone events keep the event's start time) the
        stream's own timestamp is left alone.
        """
        ts = self.timestamp if timestamp is None else timestamp
        packet = RtpPacket(payload_type, self.sequence_number, ts, self.ssrc, payload, marker)
        self.sequence_number = (self.sequence_number + 1) % c.RTP_SEQ_MOD
        if timestamp is None:
            self.timestamp = (self.timestamp + samples) % c.RTP_TS_MOD
        self.packets += 1
        self.octets += len(payload)
        return packet

    def advance(self, samples: int) -> None:
        """Move the timestamp on without sending (silence, or time a DTMF event took)."""
        self.timestamp = (self.timestamp + samples) % c.RTP_TS_MOD


# -- receiver side bookkeeping (RFC 3550 Appendix A.1, A.3, A.8) -------------------------------

@dataclass(slots=True)
class ReceptionStats:
    """Loss, reordering and interarrival jitter of one incoming SSRC."""

    clock_rate: int
    """RTP clock of the stream in Hz, for the jitter."""
    base_seq: int = -1
    """First sequence number (extended), -1 before the first packet."""
    max_seq: int = 0
    cycles: int = 0
    bad_seq: int = -1
    received: int = 0
    """Packets accepted (duplicates included, as A.3 counts them)."""
    expected_prior: int = 0
    received_prior: int = 0
    jitter: float = 0.0
    """Interarrival jitter in timestamp units (A.8)."""
    _transit: int | None = None

    def update(self, seq: int, timestamp: int, arrival: float) -> bool:
        """Account one packet arriving at `arrival` seconds; False if A.1 rejects it."""
        if self.base_seq < 0:
            self.base_seq = seq
            self.max_seq = seq
            self.bad_seq = -1
        else:
            delta = (seq - self.max_seq) & 0xFFFF
            if delta < c.MAX_DROPOUT:
                if seq < self.max_seq:
                    self.cycles += c.RTP_SEQ_MOD
                self.max_seq = seq
            elif delta <= c.RTP_SEQ_MOD - c.MAX_MISORDER:
                if seq == self.bad_seq:
                    # Two sequential packets after a big jump: the source restarted.
                    self.base_seq, self.max_seq, self.cycles = seq, seq, 0
                    self.received = self.expected_prior = self.received_prior = 0
                    self._transit = None
                else:
                    self.bad_seq = (seq + 1) & 0xFFFF
                    return False
            # else: duplicate or reordered, counted below
        self.received += 1
        transit = int(arrival * self.clock_rate) - timestamp
        if self._transit is not None:
            # Timestamps wrap at 2^32: take the transit change modulo that, signed.
            d = abs(((transit - self._transit + (1 << 31)) % c.RTP_TS_MOD) - (1 << 31))
            self.jitter += (d - self.jitter) / 16.0
        self._transit = transit
        return True

    @property
    def extended_max(self) -> int:
        """Highest sequence number received, with the wrap count in the top bits."""
        return self.cycles + self.max_seq

    @property
    def expected(self) -> int:
        return 0 if self.base_seq < 0 else self.extended_max - self.base_seq + 1

    @property
    def lost(self) -> int:
        """Cumulative packets lost (negative when duplicates outnumber losses)."""
        return self.expected - self.received

    def report_block(self, ssrc: int, lsr: int = 0, dlsr: int = 0) -> ReportBlock:
        """An RR report block for this source; starts a new fraction-lost interval."""
        expected_interval = self.expected - self.expected_prior
        received_interval = self.received - self.received_prior
        self.expected_prior, self.received_prior = self.expected, self.received
        lost_interval = expected_interval - received_interval
        fraction = 0 if expected_interval <= 0 or lost_interval <= 0 else \
            min(255, (lost_interval << 8) // expected_interval)
        lost = max(-0x800000, min(0x7FFFFF, self.lost))
        return ReportBlock(ssrc, fraction, lost, self.extended_max & 0xFFFFFFFF,
                           int(self.jitter), lsr, dlsr)


# -- telephone-event (RFC 4733) ----------------------------------------------------------------

_EVENT = struct.Struct("!BBH")


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """One named-event payload (RFC 4733 §2.3)."""

    event: int
    """Event code, 0..255 (DTMF 0..15)."""
    end: bool
    """E bit: the event has ended."""
    volume: int
    """Power in -dBm0, 0..63."""
    duration: int
    """Duration so far in timestamp units."""

    def encode(self) -> bytes:
        if not 0 <= self.event <= 255 or not 0 <= self.volume <= 63 \
                or not 0 <= self.duration <= c.DTMF_MAX_DURATION:
            raise RtpError(f"telephone event {self} is out of range")
        return _EVENT.pack(self.event, (0x80 if self.end else 0) | self.volume, self.duration)

    @classmethod
    def decode(cls, payload: bytes) -> TelephoneEvent:
        """The first event of a payload (further events in the same packet are ignored)."""
        if len(payload) < _EVENT.size:
            raise RtpError(f"telephone-event payload of {len(payload)} octets; expected 4")
        event, flags, duration = _EVENT.unpack_from(payload)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)

    @property
    def digit(self) -> str | None:
        """The DTMF key, or None for a non-DTMF event."""
        return c.DTMF_EVENTS[self.event] if self.event < len(c.DTMF_EVENTS) else None


def dtmf_event_code(digit: str) -> int:
    """Event code of a DTMF key (`0-9 * # A-D`); RtpError otherwise."""
    key = digit.upper()
    if len(key) != 1 or key not in c.DTMF_EVENTS:
        raise RtpError(f"{digit!r} is not a DTMF key; use one of {c.DTMF_EVENTS}")
    return c.DTMF_EVENTS.index(key)


@dataclass(slots=True)
class DtmfSender:
    """The packets of one DTMF event, one per packet interval (RFC 4733 §2.5.1).

    Every packet carries the event's start timestamp; the first has the marker bit;
    the duration grows by one packet interval each time; the end packet goes out
    `end_repeats` times (§2.5.1.4), each with its own sequence number because SRTP
    would drop a repeated one as a replay.
    """

    event: int
    """Event code."""
    duration: int
    """Total duration in timestamp units."""
    packet_samples: int = 160
    """Timestamp units per packet interval."""
    volume: int = c.DTMF_DEFAULT_VOLUME
    end_repeats: int = c.DTMF_END_REPEATS
    _elapsed: int = 0
    _ends_sent: int = 0

    @classmethod
    def for_digit(cls, digit: str, duration: int, packet_samples: int = 160,
                  volume: int = c.DTMF_DEFAULT_VOLUME) -> DtmfSender:
        duration = max(packet_samples, min(duration, c.DTMF_MAX_DURATION))
        return cls(dtmf_event_code(digit), duration, packet_samples, volume)

    @property
    def done(self) -> bool:
        return self._ends_sent >= self.end_repeats

    def next_payload(self) -> tuple[bytes, bool] | None:
        """(payload, marker) for the next packet interval, None when the event is over."""
        if self.done:
            return None
        first = self._elapsed == 0
        self._elapsed += self.packet_samples
        if self._elapsed < self.duration:
            return TelephoneEvent(self.event, False, self.volume, self._elapsed).encode(), first
        self._ends_sent += 1
        return TelephoneEvent(self.event, True, self.volume, self.duration).encode(), first


def dtmf_packets(sequencer: RtpSequencer, payload_type: int, digit: str, duration: int, *,
                 packet_samples: int = 160,
                 volume: int = c.DTMF_DEFAULT_VOLUME) -> list[RtpPacket]:
    """Every packet of one DTMF event at once (a tool's burst; streams pace them).

    The stream's timestamp then moves on by the event's duration.
    """
    sender = DtmfSender.for_digit(digit, duration, packet_samples, volume)
    start = sequencer.timestamp
    packets = []
    while (item := sender.next_payload()) is not None:
        payload, marker = item
        packets.append(sequencer.next_packet(payload_type, payload, 0, marker=marker,
                                             timestamp=start))
    sequencer.advance(sender.duration)
    return packets


@dataclass(frozen=True, slots=True)
class DtmfReceived:
    """A DTMF key a receiver recognised (once per event, however many packets carried it)."""

    digit: str
    """The key."""
    duration: int
    """Duration in timestamp units as the end packet gave it (or as far as seen)."""
    volume: int
    """Power in -dBm0."""
    timestamp: int
    """RTP timestamp of the event's start: the event's identity."""


@dataclass(slots=True)
class DtmfReceiver:
    """Turns telephone-event packets into one DtmfReceived per event (RFC 4733 §2.5.2).

    An event is reported at its first end packet; retransmitted end packets and
    late updates of an event already reported are dropped. If the end packets are
    all lost, the event is reported when the next event (a new timestamp) starts.
    """

    _current: int | None = None
    _last: TelephoneEvent | None = None
    _reported: set[int] = field(default_factory=set)

    def receive(self, packet: RtpPacket) -> list[DtmfReceived]:
        event = TelephoneEvent.decode(packet.payload)
        if event.digit is None or packet.timestamp in self._reported:
            return []
        out = []
        if self._current is not None and packet.timestamp != self._current:
            out.extend(self._report())
        self._current, self._last = packet.timestamp, event
        if event.end:
            out.extend(self._report())
        return out

    def _report(self) -> list[DtmfReceived]:
        if self._current is None or self._last is None or self._last.digit is None:
            return []
        done = DtmfReceived(self._last.digit, self._last.duration, self._last.volume,
                            self._current)
        self._reported.add(self._current)
        if len(self._reported) > 64:
            self._reported = {self._current}
        self._current = self._last = None
        return [done]


# -- RTCP (RFC 3550 §6.4-6.6) ------------------------------------------------------------------

_RTCP_HEAD = struct.Struct("!BBH")
_BLOCK = struct.Struct("!IB3sIIII")
_SR = struct.Struct("!IQIII")


@dataclass(frozen=True, slots=True)
class ReportBlock:
    """One reception report block (RFC 3550 §6.4.1)."""

    ssrc: int
    """Source this block reports on."""
    fraction_lost: int
    """Lost fraction since the last report, in 1/256."""
    packets_lost: int
    """Cumulative lost packets (signed 24-bit)."""
    highest_sequence: int
    """Extended highest sequence number received."""
    jitter: int
    """Interarrival jitter in timestamp units."""
    lsr: int = 0
    """Middle 32 bits of the last SR's NTP timestamp."""
    dlsr: int = 0
    """Delay since that SR, in 1/65536 s."""

    def encode(self) -> bytes:
        try:
            lost = (self.packets_lost & 0xFFFFFF).to_bytes(3, "big")
            return _BLOCK.pack(self.ssrc, self.fraction_lost, lost, self.highest_sequence,
                               self.jitter, self.lsr, self.dlsr)
        except struct.error as exc:
            raise RtpError(f"report block field out of range: {exc}") from exc

    @classmethod
    def decode(cls, data: bytes, offset: int) -> ReportBlock:
        ssrc, fraction, lost, highest, jitter, lsr, dlsr = _BLOCK.unpack_from(data, offset)
        signed = int.from_bytes(lost, "big", signed=True)
        return cls(ssrc, fraction, signed, highest, jitter, lsr, dlsr)


@dataclass(frozen=True, slots=True)
class SenderReport:
    """RTCP SR (RFC 3550 §6.4.1)."""

    ssrc: int
    ntp_timestamp: int
    """64-bit NTP time of sending."""
    rtp_timestamp: int
    """RTP timestamp of the same instant."""
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    """RTCP RR (RFC 3550 §6.4.2)."""

    ssrc: int
    reports: tuple[ReportBlock, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceDescription:
    """RTCP SDES (RFC 3550 §6.5), one CNAME per chunk (other items are dropped)."""

    chunks: tuple[tuple[int, str], ...]
    """(SSRC, CNAME) pairs."""


@dataclass(frozen=True, slots=True)
class Bye:
    """RTCP BYE (RFC 3550 §6.6)."""

    sources: tuple[int, ...]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RtcpUnknown:
    """Any other RTCP packet (APP, feedback, XR), kept as it came."""

    packet_type: int
    count: int
    """The 5-bit count/subtype field."""
    body: bytes


RtcpPacket: TypeAlias = SenderReport | ReceiverReport | SourceDescription | Bye | RtcpUnknown


def ntp_timestamp(unix_seconds: float) -> int:
    """64-bit NTP timestamp of a Unix time."""
    return int((unix_seconds + c.NTP_UNIX_OFFSET) * (1 << 32)) & 0xFFFF_FFFF_FFFF_FFFF


def _rtcp_packet(packet_type: int, count: int, body: bytes) -> bytes:
    if len(body) % 4 or not 0 <= count <= 31:
        raise RtpError("RTCP body must be a multiple of 4 octets and count 0..31")
    return _RTCP_HEAD.pack(0x80 | count, packet_type, len(body) // 4) + body


def _encode_one(packet: RtcpPacket) -> bytes:
    try:
        if isinstance(packet, SenderReport):
            body = _SR.pack(packet.ssrc, packet.ntp_timestamp, packet.rtp_timestamp,
                            packet.packet_count, packet.octet_count)
            body += b"".join(b.encode() for b in packet.reports)
            return _rtcp_packet(c.RTCP_SR, len(packet.reports), body)
        if isinstance(packet, ReceiverReport):
            body = _U32.pack(packet.ssrc) + b"".join(b.encode() for b in packet.reports)
            return _rtcp_packet(c.RTCP_RR, len(packet.reports), body)
        if isinstance(packet, SourceDescription):
            parts = []
            for ssrc, cname in packet.chunks:
                raw = cname.encode()
                if len(raw) > 255:
                    raise RtpError("CNAME longer than 255 octets")
                chunk = _U32.pack(ssrc) + bytes((c.RTCP_SDES_CNAME, len(raw))) + raw + b"\0"
                parts.append(chunk + bytes(-len(chunk) % 4))
            return _rtcp_packet(c.RTCP_SDES, len(packet.chunks), b"".join(parts))
        if isinstance(packet, Bye):
            body = b"".join(_U32.pack(s) for s in packet.sources)
            if packet.reason:
                raw = packet.reason.encode()[:255]
                body += bytes((len(raw),)) + raw
                body += bytes(-len(body) % 4)
            return _rtcp_packet(c.RTCP_BYE, len(packet.sources), body)
        return _rtcp_packet(packet.packet_type, packet.count, packet.body)
    except struct.error as exc:
        raise RtpError(f"RTCP field out of range: {exc}") from exc


def encode_rtcp(packets: list[RtcpPacket] | tuple[RtcpPacket, ...]) -> bytes:
    """A compound RTCP packet (RFC 3550 §6.1); the caller puts SR/RR first."""
    return b"".join(_encode_one(p) for p in packets)


def _decode_sdes(body: bytes, count: int) -> SourceDescription:
    chunks = []
    offset = 0
    for _ in range(count):
        if offset + 4 > len(body):
            raise RtpError("SDES chunk runs past the packet")
        ssrc = _U32.unpack_from(body, offset)[0]
        offset += 4
        cname = ""
        while True:
            if offset >= len(body):
                raise RtpError("SDES items run past the packet")
            kind = body[offset]
            if kind == 0:
                offset += 1
                break
            if offset + 2 > len(body) or offset + 2 + body[offset + 1] > len(body):
                raise RtpError("SDES item runs past the packet")
            length = body[offset + 1]
            if kind == c.RTCP_SDES_CNAME:
                cname = body[offset + 2:offset + 2 + length].decode("utf-8", "replace")
            offset += 2 + length
        offset += -offset % 4
        chunks.append((ssrc, cname))
    return SourceDescription(tuple(chunks))


def _decode_one(packet_type: int, count: int, body: bytes) -> RtcpPacket:
    if packet_type == c.RTCP_SR:
        if len(body) < _SR.size + count * _BLOCK.size:
            raise RtpError(f"SR with {count} blocks is too short")
        ssrc, ntp, rtp_ts, packets, octets = _SR.unpack_from(body)
        blocks = tuple(ReportBlock.decode(body, _SR.size + i * _BLOCK.size) for i in range(count))
        return SenderReport(ssrc, ntp, rtp_ts, packets, octets, blocks)
    if packet_type == c.RTCP_RR:
        if len(body) < 4 + count * _BLOCK.size:
            raise RtpError(f"RR with {count} blocks is too short")
        blocks = tuple(ReportBlock.decode(body, 4 + i * _BLOCK.size) for i in range(count))
        return ReceiverReport(_U32.unpack_from(body)[0], blocks)
    if packet_type == c.RTCP_SDES:
        return _decode_sdes(body, count)
    if packet_type == c.RTCP_BYE:
        if len(body) < 4 * count:
            raise RtpError(f"BYE with {count} sources is too short")
        sources = struct.unpack_from(f"!{count}I", body)
        reason = ""
        if len(body) > 4 * count:
            length = body[4 * count]
            reason = body[4 * count + 1:4 * count + 1 + length].decode("utf-8", "replace")
        return Bye(tuple(sources), reason)
    return RtcpUnknown(packet_type, count, bytes(body))


def decode_rtcp(data: bytes) -> list[RtcpPacket]:
    """Every packet of a compound RTCP packet; RtpError if it is malformed."""
    if len(data) < 4:
        raise RtpError(f"RTCP packet of {len(data)} octets is too short")
    out: list[RtcpPacket] = []
    offset = 0
    while offset < len(data):
        if offset + 4 > len(data):
            raise RtpError("trailing octets after the last RTCP packet")
        first, packet_type, words = _RTCP_HEAD.unpack_from(data, offset)
        if first >> 6 != c.RTP_VERSION:
            raise RtpError(f"RTCP version {first >> 6}, expected 2")
        end = offset + 4 + 4 * words
        if end > len(data):
            raise RtpError("RTCP length field runs past the datagram")
        body = bytes(data[offset + 4:end])
        if first & 0x20:
            # RFC 3550 §6.4.1: only the last packet of a compound may be padded.
            if end != len(data) or not body or not 0 < body[-1] <= len(body):
                raise RtpError("invalid RTCP padding")
            body = body[:-body[-1]]
        out.append(_decode_one(packet_type, first & 0x1F, body))
        offset = end
    return out
