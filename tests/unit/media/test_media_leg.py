"""The RTP leg with plain bytes: frames in -> datagrams out, datagrams in -> frames played;
packetization, A-law/µ-law, SRTP with right and wrong keys, RFC 4733 events both ways, the
jitter buffer (prefill, reordering, late, overflow, underrun), a new SSRC, RTCP reports."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect.media import constants as c
from sipdect.media.codecs import alaw_decode, alaw_encode, alaw_to_ulaw, ulaw_decode, ulaw_encode
from sipdect.media.errors import CodecError, RtpError
from sipdect.media.leg import JITTER_MAX_PACKETS, RtcpReceived, RtpLeg
from sipdect.media.rtp import (
    DtmfReceived,
    ReceiverReport,
    RtpPacket,
    RtpSequencer,
    SenderReport,
    SourceDescription,
    TelephoneEvent,
    decode_rtcp,
    dtmf_packets,
    encode_rtcp,
)
from sipdect.media.signals import ToneGenerator, detect_tone
from sipdect.media.srtp import SrtpSession

KEY_A, KEY_B = os.urandom(30), os.urandom(30)
FRAME = 80  # octets of 10 ms G.711


def _leg(payload: c.PayloadFormat = c.PCMA, **kwargs: object) -> RtpLeg:
    seq = RtpSequencer(ssrc=0xA, sequence_number=100, timestamp=1000)
    return RtpLeg(payload, sequencer=seq, **kwargs)  # type: ignore[arg-type]


def _tone(count: int, frequency: float = 1000.0) -> list[bytes]:
    gen = ToneGenerator(frequency)
    return [alaw_encode(gen.next_frame()) for _ in range(count)]


def _send(leg: RtpLeg, frames: list[bytes]) -> list[bytes]:
    return [d for d in (leg.push_frame(f) for f in frames) if d is not None]


def _play(leg: RtpLeg, ticks: int) -> bytes:
    """What the leg plays in `ticks` 10 ms ticks (nothing for a silent tick)."""
    return b"".join(f for f in (leg.next_frame() for _ in range(ticks)) if f is not None)


def _carry(datagrams: list[bytes], leg: RtpLeg) -> bytes:
    """What `leg` plays when the datagrams come every 20 ms and it plays two frames after
    each, then until its buffer is empty."""
    played = b""
    for i, d in enumerate(datagrams):
        leg.receive_datagram(d, 0.02 * i)
        played += _play(leg, 2)
    return played + _play(leg, 2 * leg.prefill)


def _far(count: int, *, seq: RtpSequencer | None = None, frequency: float = 700.0,
         payload_type: int = 8) -> list[bytes]:
    """The far end's RTP: 20 ms A-law packets of a tone."""
    seq = seq or RtpSequencer(0xFA, 500, 0)
    gen = ToneGenerator(frequency)
    return [seq.next_packet(payload_type, alaw_encode(gen.samples(160)), 160).encode()
            for _ in range(count)]


# -- packetization -------------------------------------------------------------------------------
def test_two_10ms_frames_make_one_20ms_packet_with_running_sequence_and_timestamp() -> None:
    leg = _leg()
    frames = _tone(10)
    assert leg.push_frame(frames[0]) is None
    datagrams = [leg.push_frame(frames[1]), *_send(leg, frames[2:])]
    packets = [RtpPacket.decode(d) for d in datagrams if d is not None]
    assert [p.sequence_number for p in packets] == [100, 101, 102, 103, 104]
    assert [p.timestamp for p in packets] == [1000, 1160, 1320, 1480, 1640]
    assert [p.marker for p in packets] == [True] + [False] * 4
    assert all(p.payload_type == 8 and p.ssrc == 0xA for p in packets)
    assert [p.payload for p in packets] == [frames[i] + frames[i + 1] for i in range(0, 10, 2)]
    assert (leg.stats.tx_packets, leg.stats.tx_bytes) == (5, 800)


def test_ptime_10_and_g722_on_the_8_khz_clock() -> None:
    assert len(_send(_leg(ptime=10), _tone(4))) == 4
    wide = RtpLeg(c.G722, sequencer=RtpSequencer(1, 0, 0))
    packets = [RtpPacket.decode(d) for d in _send(wide, [bytes([i]) * FRAME for i in range(4)])]
    assert [len(p.payload) for p in packets] == [160, 160]  # 20 ms at 64 kbit/s
    assert [p.timestamp for p in packets] == [0, 160]       # RFC 3551 §4.5.2


def test_frames_of_the_wrong_size_ptime_and_formats_are_refused() -> None:
    with pytest.raises(CodecError):
        _leg().push_frame(bytes(160))
    with pytest.raises(CodecError):
        _leg(ptime=25)
    with pytest.raises(CodecError):
        _leg(c.PCMA, frames=c.G722)  # no DSP turns G.722 into G.711 here
    with pytest.raises(CodecError):
        _leg(c.TELEPHONE_EVENT)


# -- A-law / µ-law -------------------------------------------------------------------------------
def test_a_pcmu_leg_carries_alaw_frames_as_ulaw_both_ways() -> None:
    leg = _leg(c.PCMU, frames=c.PCMA)
    frames = _tone(2, 800)
    (datagram,) = _send(leg, frames)
    packet = RtpPacket.decode(datagram)
    assert packet.payload_type == 0 and packet.payload == alaw_to_ulaw(frames[0] + frames[1])
    assert detect_tone(ulaw_decode(packet.payload), 800).present
    gen, seq = ToneGenerator(1200), RtpSequencer(0xFA, 1, 0)
    for _ in range(6):
        leg.receive_datagram(seq.next_packet(0, ulaw_encode(gen.samples(160)), 160).encode(), 0)
    played = _play(leg, 10)
    assert len(played) == 10 * FRAME and detect_tone(alaw_decode(played), 1200).present


def test_a_leg_of_one_law_passes_octets_unchanged() -> None:
    leg = _leg(c.PCMU)
    frames = [ulaw_encode(ToneGenerator().next_frame()) for _ in range(2)]
    (datagram,) = _send(leg, frames)
    assert RtpPacket.decode(datagram).payload == frames[0] + frames[1]


# -- SRTP ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("suite", list(c.SUITES.values()), ids=lambda s: s.name)
def test_srtp_both_ways_and_a_wrong_key(suite: c.CryptoSuite) -> None:
    a = _leg(srtp=SrtpSession(suite, KEY_A, KEY_B))
    b = _leg(srtp=SrtpSession(suite, KEY_B, KEY_A))
    datagrams = _send(a, _tone(100))
    assert {len(d) for d in datagrams} == {12 + 160 + suite.tag_len}
    heard = _carry(datagrams, b)
    assert len(heard) == 100 * FRAME and detect_tone(alaw_decode(heard)).present
    assert b.stats.srtp_failures == 0 and b.stats.rx_packets == 50

    wrong = _leg(srtp=SrtpSession(suite, KEY_B, os.urandom(30)))
    assert _carry(datagrams, wrong) == b""
    assert wrong.stats.srtp_failures == 50 and wrong.stats.rx_packets == 0


def test_without_the_key_srtp_plays_as_noise() -> None:
    suite = c.AES_CM_128_HMAC_SHA1_80
    datagrams = _send(_leg(srtp=SrtpSession(suite, KEY_A, KEY_B)), _tone(100))
    eavesdropper = _leg()
    heard = alaw_decode(_carry(datagrams, eavesdropper))
    report = detect_tone(heard)
    assert len(heard) > 0 and not report.present
    assert report.total_dbm0 - report.tone_dbm0 > 15


# -- telephone events ----------------------------------------------------------------------------
def test_a_dtmf_event_takes_the_audios_place_then_audio_resumes_in_time() -> None:
    leg = _leg(telephone_event=101)
    _send(leg, _tone(2))
    leg.start_dtmf("#", 100)
    with pytest.raises(RtpError):
        leg.start_dtmf("1", 100)
    assert _send(leg, _tone(4)) == []  # the PP's voice is dropped meanwhile
    ticks = [leg.event_tick() for _ in range(20)]
    packets = [RtpPacket.decode(d) for d in ticks if d is not None]
    assert ticks[0] is None and ticks[1] is not None  # one packet per 20 ms
    events = [TelephoneEvent.decode(p.payload) for p in packets]
    assert all(p.payload_type == 101 and p.timestamp == 1160 for p in packets)
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800]
    assert [e.end for e in events] == [False] * 4 + [True] * 3
    assert [p.marker for p in packets] == [True] + [False] * 6
    assert not leg.sending_dtmf and leg.stats.dtmf_sent == 1
    (resumed,) = [RtpPacket.decode(d) for d in _send(leg, _tone(2))]
    assert resumed.payload_type == 8 and resumed.marker
    assert resumed.timestamp == 1160 + 7 * 160  # the time the event took
    assert resumed.sequence_number == 101 + 7


def test_dtmf_needs_a_negotiated_type_and_a_key() -> None:
    with pytest.raises(RtpError):
        _leg().start_dtmf("1", 100)
    with pytest.raises(RtpError):
        _leg(telephone_event=101).start_dtmf("X", 100)
    assert _leg().event_tick() is None


def test_a_received_event_is_reported_once_and_is_not_played() -> None:
    leg = _leg(telephone_event=101)
    for packet in dtmf_packets(RtpSequencer(0xFA, 7, 1000), 101, "5", 480):
        leg.receive_datagram(packet.encode(), 0.0)
    assert leg.next_event() == DtmfReceived("5", 480, c.DTMF_DEFAULT_VOLUME, 1000)
    assert leg.next_event() is None
    assert leg.stats.dtmf_received == 1 and _play(leg, 10) == b""
    leg.receive_datagram(RtpPacket(101, 20, 5000, 0xFA, b"\x01").encode(), 0.0)
    assert leg.stats.malformed == 1


def test_events_of_a_type_not_negotiated_are_other_payload() -> None:
    leg = _leg()
    for packet in dtmf_packets(RtpSequencer(0xFA, 7, 1000), 101, "5", 480):
        leg.receive_datagram(packet.encode(), 0.0)
    assert leg.next_event() is None and leg.stats.other_payload == 5


# -- the jitter buffer ---------------------------------------------------------------------------
def test_playout_starts_after_the_prefill_and_puts_packets_in_order() -> None:
    leg = _leg()
    far = _far(4)
    leg.receive_datagram(far[0], 0.0)
    assert _play(leg, 3) == b""  # one packet: still prefilling
    for i in (2, 1, 3):
        leg.receive_datagram(far[i], 0.0)
    assert _play(leg, 8) == b"".join(RtpPacket.decode(d).payload for d in far)
    assert leg.stats.underruns == 0
    assert _play(leg, 3) == b"" and leg.stats.underruns == 1


def test_late_and_duplicate_packets_are_dropped() -> None:
    leg = _leg()
    far = _far(5)
    for i in (0, 1, 2):
        leg.receive_datagram(far[i], 0.0)
    _play(leg, 4)  # packets 0 and 1 played
    leg.receive_datagram(far[0], 0.0)  # after its turn
    leg.receive_datagram(far[2], 0.0)  # still buffered: a duplicate
    assert leg.stats.late == 2
    leg.receive_datagram(far[3], 0.0)
    assert _play(leg, 4) == b"".join(RtpPacket.decode(d).payload for d in far[2:4])


def test_a_full_buffer_drops_its_oldest_packets() -> None:
    leg = _leg()
    far = _far(JITTER_MAX_PACKETS + 3)
    for d in far:
        leg.receive_datagram(d, 0.0)
    assert leg.stats.overflows == 3 and leg.buffered == JITTER_MAX_PACKETS
    first = _play(leg, 2)
    assert first == RtpPacket.decode(far[3]).payload


def test_a_sequence_wrap_plays_seamlessly() -> None:
    leg = _leg()
    far = _far(10, seq=RtpSequencer(0xFA, 0xFFFD, 0))
    for d in far:
        leg.receive_datagram(d, 0.0)
    assert len(_play(leg, 20)) == 20 * FRAME
    assert leg.stats.late == 0 and leg.reception.lost == 0


def test_audio_is_counted_but_not_played_when_play_is_off() -> None:
    leg = _leg()
    for d in _far(4):
        leg.receive_datagram(d, 0.0, play=False)
    assert leg.stats.rx_packets == 4 and leg.buffered == 0 and _play(leg, 8) == b""


def test_a_new_ssrc_starts_the_buffer_afresh() -> None:
    leg = _leg()
    for d in _far(3, seq=RtpSequencer(0xAAAA, 60000, 0), frequency=500):
        leg.receive_datagram(d, 0.0)
    for d in _far(6, seq=RtpSequencer(0xBBBB, 10, 0), frequency=1500):
        leg.receive_datagram(d, 0.0)
    assert leg.remote_ssrc == 0xBBBB and leg.stats.ssrc_changes == 1
    played = alaw_decode(_play(leg, 12))
    assert len(played) == 12 * 80 and detect_tone(played, 1500).present
    assert leg.reception.lost == 0 and leg.stats.late == 0


def test_frames_can_be_taken_past_the_buffer_for_a_relay() -> None:
    leg = _leg()
    far = _far(2)
    assert leg.receive_frames(far[0], 0.0) == RtpPacket.decode(far[0]).payload
    assert leg.receive_frames(RtpPacket(0, 1, 0, 1, bytes(160)).encode(), 0.0) == b""
    assert leg.receive_frames(encode_rtcp([ReceiverReport(7)]), 0.0) == b""
    assert (leg.stats.rx_packets, leg.stats.other_payload, leg.stats.rtcp_received) == (1, 1, 1)
    assert leg.buffered == 0


def test_other_payload_types_and_garbage_are_counted() -> None:
    leg = _leg()
    leg.receive_datagram(RtpPacket(0, 1, 0, 1, bytes(160)).encode(), 0.0)
    leg.receive_datagram(b"\x80\x08garbage", 0.0)
    leg.receive_datagram(b"\x00", 0.0)
    assert (leg.stats.other_payload, leg.stats.malformed, leg.stats.rx_packets) == (1, 2, 0)


@given(st.binary(max_size=300))
def test_any_datagram_is_taken_or_counted_never_raised(data: bytes) -> None:
    for srtp in (None, SrtpSession(c.AES_CM_128_HMAC_SHA1_32, KEY_A, KEY_B)):
        leg = _leg(telephone_event=101, srtp=srtp)
        leg.receive_datagram(data, 0.0)
        leg.receive_frames(data, 0.0)
        leg.receive_rtcp(data)
        _play(leg, 2)
        s = leg.stats
        assert s.rx_packets + s.malformed + s.srtp_failures + s.other_payload \
            + s.rtcp_received >= 3


# -- RTCP ----------------------------------------------------------------------------------------
def test_sender_reports_over_srtcp_with_a_block_on_the_source_heard() -> None:
    suite = c.AES_CM_128_HMAC_SHA1_80
    a = _leg(srtp=SrtpSession(suite, KEY_A, KEY_B))
    b = RtpLeg(c.PCMA, srtp=SrtpSession(suite, KEY_B, KEY_A),
               sequencer=RtpSequencer(0xB, 0, 0))
    for i, d in enumerate(_send(a, _tone(20))):
        if i != 4:  # one lost
            b.receive_datagram(d, 0.02 * i)
    b.receive_datagram(a.sender_report(0.0, "rfp@127.0.0.1"), 0.2)
    event = b.next_event()
    assert isinstance(event, RtcpReceived)
    sr, sdes = event.packets
    assert isinstance(sr, SenderReport) and isinstance(sdes, SourceDescription)
    assert (sr.ssrc, sr.packet_count, sr.octet_count, sr.rtp_timestamp) == (0xA, 10, 1600, 2600)
    assert sr.reports == () and sdes.chunks == ((0xA, "rfp@127.0.0.1"),)
    (report, _) = decode_rtcp(SrtpSession(suite, KEY_A, KEY_B).unprotect_rtcp(
        b.sender_report(0.0, "omm")))
    assert isinstance(report, SenderReport) and report.ssrc == 0xB
    (block,) = report.reports
    assert (block.ssrc, block.packets_lost, block.highest_sequence) == (0xA, 1, 109)
    assert block.fraction_lost == 256 // 10
    assert (a.stats.rtcp_sent, b.stats.rtcp_received) == (1, 1)


def test_rtcp_that_does_not_verify_or_parse_is_counted() -> None:
    suite = c.AES_CM_128_HMAC_SHA1_80
    leg = _leg(srtp=SrtpSession(suite, KEY_B, KEY_A))
    leg.receive_rtcp(encode_rtcp([ReceiverReport(7)]))  # not SRTCP
    assert leg.stats.srtp_failures == 1 and leg.next_event() is None
    plain = _leg()
    plain.receive_datagram(bytes.fromhex("81c90001 00000001"), 0.0)
    assert plain.stats.malformed == 1
    plain.receive_datagram(encode_rtcp([ReceiverReport(7)]), 0.0)
    assert plain.next_event() == RtcpReceived((ReceiverReport(7),))
