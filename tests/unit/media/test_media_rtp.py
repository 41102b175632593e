"""RTP, RTCP and telephone-event codecs (RFC 3550, RFC 4733) with plain bytes,
round trips and fuzzing."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect.media import constants as c
from sipdect.media.errors import RtpError
from sipdect.media.rtp import (
    Bye,
    DtmfReceiver,
    DtmfSender,
    ReceiverReport,
    ReceptionStats,
    ReportBlock,
    RtcpUnknown,
    RtpExtension,
    RtpPacket,
    RtpSequencer,
    SenderReport,
    SourceDescription,
    TelephoneEvent,
    decode_rtcp,
    dtmf_event_code,
    dtmf_packets,
    encode_rtcp,
    is_rtcp,
    ntp_timestamp,
    seq_delta,
)

HEADER = bytes.fromhex("80 08 0001 000000a0 12345678")


# -- RTP header --------------------------------------------------------------------------------

def test_plain_header() -> None:
    packet = RtpPacket.decode(HEADER + b"\xd5" * 160)
    assert packet == RtpPacket(8, 1, 160, 0x12345678, b"\xd5" * 160)
    assert packet.encode() == HEADER + b"\xd5" * 160


def test_marker_and_payload_type() -> None:
    data = bytes.fromhex("80 e5 ffff ffffffff 00000001 0a8a00a0")
    packet = RtpPacket.decode(data)
    assert packet.marker and packet.payload_type == 101
    assert (packet.sequence_number, packet.timestamp, packet.ssrc) == (0xFFFF, 0xFFFFFFFF, 1)
    assert packet.encode() == data


def test_csrc_extension_and_padding() -> None:
    data = bytes.fromhex("b2 00 0002 00000000 0000000a"   # V=2 P X CC=2, PT 0
                         "00000001 00000002"               # CSRCs
                         "bede 0001 10ff0000"              # one-word extension
                         "aabb" "000003")                  # payload, 3 octets of padding
    packet = RtpPacket.decode(data)
    assert packet.csrc == (1, 2)
    assert packet.extension == RtpExtension(0xBEDE, bytes.fromhex("10ff0000"))
    assert packet.payload == b"\xaa\xbb" and packet.padding == 3
    assert packet.encode() == data


@pytest.mark.parametrize(("data", "why"), [
    (b"", "shorter"),
    (HEADER[:11], "shorter"),
    (b"\x40" + HEADER[1:], "version 1"),
    (b"\x81" + HEADER[1:], "CSRC"),
    (b"\x90" + HEADER[1:] + b"\xbe\xde", "extension"),
    (b"\x90" + HEADER[1:] + b"\xbe\xde\x00\x02\x00\x00\x00\x00", "extension"),
    (b"\xa0" + HEADER[1:] + b"\x00", "padding"),
    (b"\xa0" + HEADER[1:] + b"\x05", "padding"),
])
def test_malformed_rtp(data: bytes, why: str) -> None:
    with pytest.raises(RtpError):
        RtpPacket.decode(data)


@pytest.mark.parametrize("packet", [
    RtpPacket(128, 0, 0, 0), RtpPacket(0, 1 << 16, 0, 0), RtpPacket(0, 0, 1 << 32, 0),
    RtpPacket(0, 0, 0, 0, csrc=tuple(range(16))), RtpPacket(0, 0, 0, 0, padding=256),
    RtpPacket(0, 0, 0, 0, extension=RtpExtension(1, b"abc")),
    RtpPacket(0, 0, 0, 0, csrc=(1 << 32,)),
])
def test_encode_rejects_out_of_range(packet: RtpPacket) -> None:
    with pytest.raises(RtpError):
        packet.encode()


u32 = st.integers(0, 0xFFFFFFFF)
packets = st.builds(
    RtpPacket, st.integers(0, 127), st.integers(0, 0xFFFF), u32, u32, st.binary(max_size=200),
    st.booleans(), st.lists(u32, max_size=15).map(tuple),
    st.none() | st.builds(RtpExtension, st.integers(0, 0xFFFF),
                          st.binary(max_size=40).map(lambda b: b[:len(b) // 4 * 4])),
    st.integers(0, 255))


@given(packets)
def test_rtp_round_trip(packet: RtpPacket) -> None:
    assert RtpPacket.decode(packet.encode()) == packet


@given(st.binary(max_size=300))
def test_rtp_fuzz(data: bytes) -> None:
    try:
        RtpPacket.decode(data)
    except RtpError:
        pass


def test_rtcp_demultiplexing() -> None:
    assert not is_rtcp(HEADER)
    assert is_rtcp(encode_rtcp([ReceiverReport(1)]))
    assert not is_rtcp(b"\x80")


# -- sequence bookkeeping ----------------------------------------------------------------------

def test_seq_delta_wraps() -> None:
    assert seq_delta(0, 0xFFFF) == 1
    assert seq_delta(0xFFFF, 0) == -1
    assert seq_delta(100, 50) == 50


def test_sequencer_wraps_and_counts() -> None:
    seq = RtpSequencer(ssrc=7, sequence_number=0xFFFF, timestamp=0xFFFFFFF0)
    first = seq.next_packet(8, b"x" * 160, 160)
    second = seq.next_packet(8, b"y" * 160, 160)
    assert (first.sequence_number, first.timestamp) == (0xFFFF, 0xFFFFFFF0)
    assert (second.sequence_number, second.timestamp) == (0, 0x90)
    assert (seq.packets, seq.octets) == (2, 320)


def test_sequencer_random_is_reproducible_with_a_seed() -> None:
    a = RtpSequencer.random(random.Random(1))
    b = RtpSequencer.random(random.Random(1))
    assert a == b


def test_reception_stats_loss_wrap_and_duplicates() -> None:
    stats = ReceptionStats(8000)
    for i, seq in enumerate([65533, 65534, 65535, 1, 2, 2]):  # 0 lost, 2 duplicated
        assert stats.update(seq, 160 * i, 0.02 * i)
    assert stats.extended_max == 65536 + 2
    assert stats.expected == 6 and stats.received == 6 and stats.lost == 0
    block = stats.report_block(ssrc=9)
    assert block.highest_sequence == 65538 and block.packets_lost == 0


def test_reception_stats_fraction_lost() -> None:
    stats = ReceptionStats(8000)
    for seq in range(0, 10, 2):  # every other packet lost
        stats.update(seq, seq * 160, seq * 0.02)
    block = stats.report_block(1)
    assert block.packets_lost == 4 and block.fraction_lost == (4 << 8) // 9


def test_reception_stats_resync_after_a_restart() -> None:
    stats = ReceptionStats(8000)
    stats.update(100, 0, 0.0)
    assert not stats.update(30000, 0, 0.02)  # a big jump is held back once
    assert stats.update(30001, 160, 0.04)     # then the source is taken to have restarted
    assert stats.expected == 1 and stats.received == 1


def test_jitter_is_zero_for_perfect_pacing_and_grows_otherwise() -> None:
    steady, shaky = ReceptionStats(8000), ReceptionStats(8000)
    for i in range(50):
        steady.update(i, 160 * i, 0.02 * i)
        shaky.update(i, 160 * i, 0.02 * i + (0.005 if i % 2 else 0.0))
    assert steady.jitter == 0
    assert 20 < shaky.jitter <= 40  # 5 ms = 40 timestamp units at most


# -- telephone-event (RFC 4733) ----------------------------------------------------------------

def test_telephone_event_bytes() -> None:
    event = TelephoneEvent(5, True, 10, 800)
    assert event.encode() == bytes.fromhex("058a0320")
    assert TelephoneEvent.decode(bytes.fromhex("058a0320")) == event
    assert TelephoneEvent.decode(bytes.fromhex("0b0a00a0")) == TelephoneEvent(11, False, 10, 160)
    assert TelephoneEvent(11, False, 10, 160).digit == "#"
    assert TelephoneEvent(16, False, 10, 160).digit is None


@given(st.binary(max_size=8))
def test_telephone_event_fuzz(data: bytes) -> None:
    try:
        event = TelephoneEvent.decode(data)
    except RtpError:
        assert len(data) < 4
    else:
        assert event.encode() == data[:4][:1] + bytes((data[1] & 0xBF,)) + data[2:4]


def test_dtmf_codes() -> None:
    assert [dtmf_event_code(d) for d in "0123456789*#abcd"] == list(range(16))
    with pytest.raises(RtpError):
        dtmf_event_code("x")


def test_dtmf_event_packets() -> None:
    seq = RtpSequencer(ssrc=1, sequence_number=10, timestamp=8000)
    packets = dtmf_packets(seq, 101, "7", 800)  # 100 ms at 8 kHz, 20 ms packets
    events = [TelephoneEvent.decode(p.payload) for p in packets]
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800]
    assert [e.end for e in events] == [False] * 4 + [True] * 3
    assert [p.marker for p in packets] == [True] + [False] * 6
    assert {p.timestamp for p in packets} == {8000}
    assert [p.sequence_number for p in packets] == list(range(10, 17))
    assert all(e.event == 7 for e in events)
    assert seq.timestamp == 8800 and seq.sequence_number == 17


def test_dtmf_shorter_than_a_packet_is_one_end_packet_thrice() -> None:
    sender = DtmfSender.for_digit("1", 80)
    payloads = []
    while (item := sender.next_payload()) is not None:
        payloads.append(item)
    assert len(payloads) == 3 and payloads[0][1] and not payloads[1][1]
    assert all(TelephoneEvent.decode(p).end for p, _ in payloads)


def test_dtmf_receiver_reports_once_despite_retransmitted_ends() -> None:
    seq = RtpSequencer(ssrc=1, sequence_number=0, timestamp=0)
    receiver = DtmfReceiver()
    got = []
    for digit in "19#":
        for packet in dtmf_packets(seq, 101, digit, 800):
            got += receiver.receive(packet)
    assert [(d.digit, d.duration) for d in got] == [("1", 800), ("9", 800), ("#", 800)]


def test_dtmf_receiver_reports_an_event_whose_ends_were_lost() -> None:
    seq = RtpSequencer(ssrc=1, sequence_number=0, timestamp=0)
    receiver = DtmfReceiver()
    first = [p for p in dtmf_packets(seq, 101, "4", 800)
             if not TelephoneEvent.decode(p.payload).end]
    got = [d for p in first for d in receiver.receive(p)]
    assert got == []
    got = [d for p in dtmf_packets(seq, 101, "5", 800) for d in receiver.receive(p)]
    assert [(d.digit, d.duration) for d in got] == [("4", 640), ("5", 800)]


# -- RTCP ---------------------------------------------------------------------------------------

BLOCK = ReportBlock(0x0A0B0C0D, 64, -2, 0x00010005, 33, 0x11223344, 0x00010000)
BLOCK_BYTES = bytes.fromhex("0a0b0c0d 40 fffffe 00010005 00000021 11223344 00010000")


def test_report_block_bytes() -> None:
    assert BLOCK.encode() == BLOCK_BYTES
    assert ReportBlock.decode(BLOCK_BYTES, 0) == BLOCK


def test_receiver_report_bytes() -> None:
    data = bytes.fromhex("81c90007 12345678") + BLOCK_BYTES
    assert encode_rtcp([ReceiverReport(0x12345678, (BLOCK,))]) == data
    assert decode_rtcp(data) == [ReceiverReport(0x12345678, (BLOCK,))]


def test_sender_report_sdes_and_bye_compound() -> None:
    sr = SenderReport(0x12345678, ntp_timestamp(0.0), 160, 2, 320)
    sdes = SourceDescription(((0x12345678, "rfp1@127.0.0.1"),))
    bye = Bye((0x12345678,), "handover")
    data = encode_rtcp([sr, sdes, bye])
    assert data[:8] == bytes.fromhex("80c80006 12345678")
    assert data[8:16] == (c.NTP_UNIX_OFFSET << 32).to_bytes(8, "big")
    assert decode_rtcp(data) == [sr, sdes, bye]


def test_sdes_bytes() -> None:
    data = bytes.fromhex("81ca0003 00000001 0103616263 00 0000")
    assert encode_rtcp([SourceDescription(((1, "abc"),))]) == data
    assert decode_rtcp(data) == [SourceDescription(((1, "abc"),))]


def test_unknown_rtcp_is_kept_and_padding_is_removed() -> None:
    app = RtcpUnknown(c.RTCP_APP, 3, b"\x00\x00\x00\x01name")
    assert decode_rtcp(encode_rtcp([app])) == [app]
    padded = bytes.fromhex("a0c90002 00000001 00000004")  # RR, no blocks, 4 octets padding
    assert decode_rtcp(padded) == [ReceiverReport(1)]


@pytest.mark.parametrize("data", [
    b"", b"\x80\xc9\x00", bytes.fromhex("40c90001 00000001"), bytes.fromhex("80c90002 00000001"),
    bytes.fromhex("81c90001 00000001"), bytes.fromhex("80c80001 00000001"),
    bytes.fromhex("a0c90001 00000000"), bytes.fromhex("81ca0001 00000001"),
    bytes.fromhex("81c90001 00000001 00"),
])
def test_malformed_rtcp(data: bytes) -> None:
    with pytest.raises(RtpError):
        decode_rtcp(data)


blocks = st.builds(ReportBlock, u32, st.integers(0, 255), st.integers(-0x800000, 0x7FFFFF),
                   u32, u32, u32, u32)
rtcp_packets = st.one_of(
    st.builds(SenderReport, u32, st.integers(0, (1 << 64) - 1), u32, u32, u32,
              st.lists(blocks, max_size=3).map(tuple)),
    st.builds(ReceiverReport, u32, st.lists(blocks, max_size=3).map(tuple)),
    st.builds(SourceDescription, st.lists(st.tuples(
        u32, st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)),
        max_size=3).map(tuple)),
    st.builds(Bye, st.lists(u32, max_size=3).map(tuple),
              st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)),
)


@given(st.lists(rtcp_packets, min_size=1, max_size=4))
def test_rtcp_round_trip(packets_: list) -> None:  # type: ignore[type-arg]
    assert decode_rtcp(encode_rtcp(packets_)) == packets_


@given(st.binary(max_size=200))
def test_rtcp_fuzz(data: bytes) -> None:
    try:
        decode_rtcp(data)
    except RtpError:
        pass
