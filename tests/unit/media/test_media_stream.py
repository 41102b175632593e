"""Sans-I/O streams: sender framing, DTMF, receiver reordering and counters, SRTP with
right and wrong keys, and the relay used for RFP-to-RFP redirects."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

from sipdect.media import constants as c
from sipdect.media.errors import CodecError, RtpError
from sipdect.media.rtp import (
    ReceiverReport,
    RtpPacket,
    RtpSequencer,
    SenderReport,
    SourceDescription,
    TelephoneEvent,
    decode_rtcp,
    encode_rtcp,
)
from sipdect.media.signals import ToneGenerator, detect_tone
from sipdect.media.srtp import SrtpSession
from sipdect.media.stream import (
    AudioReceived,
    MediaReceiver,
    MediaRelay,
    MediaSender,
    Recorder,
    RtcpReceived,
)

SUITE = c.AES_CM_128_HMAC_SHA1_80
KEY_A, KEY_B = os.urandom(30), os.urandom(30)


def _sender(**kwargs: object) -> MediaSender:
    seq = RtpSequencer(ssrc=0xA, sequence_number=100, timestamp=1000)
    return MediaSender(c.PCMA, sequencer=seq, **kwargs)  # type: ignore[arg-type]


def _send_tone(sender: MediaSender, frames: int, gen: ToneGenerator | None = None) -> list[bytes]:
    gen = gen or ToneGenerator(sample_rate=sender.payload.sample_rate)
    out: list[bytes] = []
    for _ in range(frames):
        out += sender.push_frame(gen.next_frame())
    return out


def _record(receiver: MediaReceiver, datagrams: list[bytes]) -> Recorder:
    recorder = Recorder(receiver)
    for i, d in enumerate(datagrams):
        recorder.receive_datagram(d, 0.02 * i)
    recorder.flush()
    return recorder


# -- sender ------------------------------------------------------------------------------------

def test_20ms_packets_from_10ms_frames() -> None:
    sender = _sender()
    gen = ToneGenerator()
    assert sender.push_frame(gen.next_frame()) == []
    (first,) = sender.push_frame(gen.next_frame())
    datagrams = [first, *_send_tone(sender, 8, gen)]
    packets = [RtpPacket.decode(d) for d in datagrams]
    assert len(packets) == 5
    assert [p.sequence_number for p in packets] == [100, 101, 102, 103, 104]
    assert [p.timestamp for p in packets] == [1000, 1160, 1320, 1480, 1640]
    assert [p.marker for p in packets] == [True] + [False] * 4
    assert all(len(p.payload) == 160 and p.payload_type == 8 and p.ssrc == 0xA
               for p in packets)


def test_10ms_ptime_and_g722() -> None:
    narrow = _sender(ptime=10)
    assert len(_send_tone(narrow, 4)) == 4
    wide = MediaSender(c.G722, sequencer=RtpSequencer(1, 0, 0))
    packets = [RtpPacket.decode(d) for d in _send_tone(wide, 4)]
    assert [len(p.payload) for p in packets] == [160, 160]  # 20 ms at 64 kbit/s
    assert [p.timestamp for p in packets] == [0, 160]       # RTP clock 8 kHz (RFC 3551)


def test_sender_rejects_bad_frames_and_ptime() -> None:
    with pytest.raises(CodecError):
        _sender().push_frame(np.zeros(160, dtype=np.int16))
    with pytest.raises(CodecError):
        _sender(ptime=25)


def test_dtmf_replaces_audio_then_audio_resumes_in_time() -> None:
    sender = _sender()
    _send_tone(sender, 2)
    sender.start_dtmf("#", duration_ms=100)
    with pytest.raises(RtpError):
        sender.start_dtmf("1")
    datagrams = _send_tone(sender, 2 * 8)
    packets = [RtpPacket.decode(d) for d in datagrams]
    events = [TelephoneEvent.decode(p.payload) for p in packets[:7]]
    assert all(p.payload_type == 101 and p.timestamp == 1160 for p in packets[:7])
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800]
    assert [e.end for e in events] == [False] * 4 + [True] * 3
    assert packets[0].marker and not any(p.marker for p in packets[1:7])
    assert packets[7].payload_type == 8 and packets[7].marker
    assert packets[7].timestamp == 1160 + 7 * 160  # the time the event took
    assert [p.sequence_number for p in packets] == list(range(101, 109))
    assert not sender.sending_dtmf
    with pytest.raises(RtpError):
        _sender(telephone_event=None).start_dtmf("1")


# -- receiver ----------------------------------------------------------------------------------

def test_receiver_plays_a_tone_and_counts() -> None:
    datagrams = _send_tone(_sender(), 100)
    recorder = _record(MediaReceiver(c.PCMA), datagrams)
    stats = recorder.receiver.stats
    assert (stats.packets, stats.played, stats.lost, stats.late) == (50, 50, 0, 0)
    assert recorder.samples == 8000 and detect_tone(recorder.pcm()).present
    assert recorder.receiver.reception.lost == 0


def test_reordering_within_the_window_late_duplicates_and_loss() -> None:
    datagrams = _send_tone(_sender(), 20)  # 10 packets, seq 100..109
    order = [0, 2, 1, 3, 3, 5, 4, 9, 8, 6]  # 7 lost; 3 duplicated while still buffered
    receiver = MediaReceiver(c.PCMA, depth=2)
    seqs = []
    for i in order:
        seqs += [e.sequence_number for e in receiver.receive_datagram(datagrams[i], 0.0)
                 if isinstance(e, AudioReceived)]
    seqs += [e.sequence_number for e in receiver.flush() if isinstance(e, AudioReceived)]
    assert seqs == [100, 101, 102, 103, 104, 105, 106, 108, 109]
    assert receiver.stats.duplicates == 1 and receiver.stats.lost == 1
    assert receiver.stats.late == 0


def test_late_packets_are_dropped() -> None:
    datagrams = _send_tone(_sender(), 20)
    receiver = MediaReceiver(c.PCMA, depth=1)
    for i in (0, 2, 3, 1):
        receiver.receive_datagram(datagrams[i], 0.0)
    assert receiver.stats.late == 1 and receiver.stats.lost == 1


def test_sequence_wrap_is_seamless() -> None:
    sender = MediaSender(c.PCMU, sequencer=RtpSequencer(1, 0xFFFD, 0))
    recorder = _record(MediaReceiver(c.PCMU), _send_tone(sender, 20))
    assert recorder.receiver.stats.played == 10 and recorder.receiver.stats.lost == 0


def test_other_payloads_garbage_and_ssrc_change() -> None:
    receiver = MediaReceiver(c.PCMA)
    assert receiver.receive_datagram(RtpPacket(0, 1, 0, 1, bytes(160)).encode(), 0) == []
    assert receiver.receive_datagram(b"\x80\x08garbage", 0) == []
    receiver.receive_datagram(RtpPacket(8, 1, 0, 1, bytes(160)).encode(), 0)
    receiver.receive_datagram(RtpPacket(8, 5000, 0, 2, bytes(160)).encode(), 0)
    stats = receiver.stats
    assert (stats.other_payload, stats.malformed, stats.ssrc_changes) == (1, 1, 1)
    assert receiver.ssrc == 2 and stats.lost == 0


def test_dtmf_is_received_once_and_audio_gaps_are_not_loss() -> None:
    sender = _sender()
    datagrams = _send_tone(sender, 4)
    sender.start_dtmf("5", 60)
    datagrams += _send_tone(sender, 12)
    recorder = _record(MediaReceiver(c.PCMA), datagrams)
    assert [(d.digit, d.duration) for d in recorder.dtmf] == [("5", 480)]
    assert recorder.receiver.stats.lost == 0


def test_rtcp_is_delivered_and_srtcp_checked() -> None:
    plain = MediaReceiver(c.PCMA)
    events = plain.receive_datagram(encode_rtcp([ReceiverReport(7)]), 0)
    assert events == [RtcpReceived((ReceiverReport(7),))]
    tx = SrtpSession(SUITE, KEY_A, KEY_B)
    secure = MediaReceiver(c.PCMA, srtp=SrtpSession(SUITE, KEY_B, KEY_A))
    assert secure.receive_datagram(tx.protect_rtcp(encode_rtcp([ReceiverReport(7)])), 0) \
        == [RtcpReceived((ReceiverReport(7),))]
    assert secure.receive_datagram(encode_rtcp([ReceiverReport(7)]), 0) == []
    assert secure.stats.srtp_failures == 1 and secure.stats.rtcp == 1
    assert plain.receive_datagram(bytes.fromhex("81c90001 00000001"), 0) == []
    assert plain.stats.malformed == 1


# -- SRTP through the streams --------------------------------------------------------------------

def test_srtp_tone_right_key_wrong_key_and_no_key() -> None:
    sender = _sender(srtp=SrtpSession(SUITE, KEY_A, KEY_B))
    datagrams = _send_tone(sender, 100)
    right = _record(MediaReceiver(c.PCMA, srtp=SrtpSession(SUITE, KEY_B, KEY_A)), datagrams)
    assert detect_tone(right.pcm()).present and right.receiver.stats.srtp_failures == 0

    wrong = _record(MediaReceiver(c.PCMA, srtp=SrtpSession(SUITE, KEY_B, os.urandom(30))),
                    datagrams)
    assert wrong.receiver.stats.srtp_failures == 50 and wrong.samples == 0
    assert not detect_tone(wrong.pcm()).present

    # Without the key the ciphertext plays as noise: the tone cannot be found in it.
    eavesdropper = _record(MediaReceiver(c.PCMA), datagrams)
    heard = eavesdropper.pcm()
    assert eavesdropper.samples == 50 * (160 + SUITE.tag_len)
    report = detect_tone(heard)
    assert not report.present and report.total_dbm0 - report.tone_dbm0 > 15


# -- relay ------------------------------------------------------------------------------------

def test_relay_makes_one_stream_of_two_sources() -> None:
    rfp1 = MediaSender(c.PCMA, sequencer=RtpSequencer(0x1111, 40000, 123456))
    rfp2 = MediaSender(c.PCMA, sequencer=RtpSequencer(0x2222, 7, 999))
    gen = ToneGenerator()
    relay = MediaRelay(ssrc=0xABCD, rng=random.Random(3))
    out = [relay.forward(d) for d in _send_tone(rfp1, 10, gen)]
    out += [relay.forward(d) for d in _send_tone(rfp2, 10, gen)]  # handover
    packets = [RtpPacket.decode(d) for d in out if d is not None]
    assert len(packets) == 10 and {p.ssrc for p in packets} == {0xABCD}
    seqs = [p.sequence_number for p in packets]
    assert all((b - a) % 65536 == 1 for a, b in zip(seqs, seqs[1:], strict=False))
    stamps = [p.timestamp for p in packets]
    assert all((b - a) % (1 << 32) == 160 for a, b in zip(stamps, stamps[1:], strict=False))
    assert [p.marker for p in packets] == [True, False, False, False, False,
                                           True, False, False, False, False]
    assert relay.stats.source_switches == 1 and relay.stats.forwarded == 10


def test_relay_with_srtp_on_both_legs_and_a_new_key_after_redirect() -> None:
    key_rfp1, key_rfp2, key_far = os.urandom(30), os.urandom(30), os.urandom(30)
    relay_key = os.urandom(30)
    rfp1 = MediaSender(c.PCMA, srtp=SrtpSession(SUITE, key_rfp1, bytes(30)))
    rfp2 = MediaSender(c.PCMA, srtp=SrtpSession(SUITE, key_rfp2, bytes(30)))
    relay = MediaRelay(inbound=SrtpSession(SUITE, bytes(30), key_rfp1),
                       outbound=SrtpSession(SUITE, relay_key, key_far))
    far = MediaReceiver(c.PCMA, srtp=SrtpSession(SUITE, key_far, relay_key))
    gen = ToneGenerator()
    forwarded = [relay.forward(d) for d in _send_tone(rfp1, 50, gen)]
    relay.switch_inbound(SrtpSession(SUITE, bytes(30), key_rfp2))
    forwarded += [relay.forward(d) for d in _send_tone(rfp2, 50, gen)]
    assert relay.forward(b"junk") is None and relay.stats.dropped == 1
    recorder = _record(far, [d for d in forwarded if d is not None])
    stats = far.stats
    assert (stats.played, stats.lost, stats.srtp_failures, stats.ssrc_changes) == (50, 0, 0, 0)
    assert detect_tone(recorder.pcm()).present


def test_relay_drops_rtcp() -> None:
    relay = MediaRelay()
    assert relay.forward(encode_rtcp([ReceiverReport(1)])) is None


def test_sender_and_receiver_reports_over_srtcp() -> None:
    tx_a, rx_b = SrtpSession(SUITE, KEY_A, KEY_B), SrtpSession(SUITE, KEY_B, KEY_A)
    sender = _sender(srtp=tx_a)
    receiver = MediaReceiver(c.PCMA, srtp=rx_b)
    datagrams = _send_tone(sender, 20)
    for i, d in enumerate(datagrams):
        if i != 4:  # one lost
            receiver.receive_datagram(d, 0.02 * i)
    (event,) = receiver.receive_datagram(sender.sender_report(0.0, "rfp@127.0.0.1"), 0.2)
    assert isinstance(event, RtcpReceived)
    sr, sdes = event.packets
    assert isinstance(sr, SenderReport) and isinstance(sdes, SourceDescription)
    assert (sr.ssrc, sr.packet_count, sr.octet_count, sr.rtp_timestamp) == (0xA, 10, 1600, 2600)
    assert sdes.chunks == ((0xA, "rfp@127.0.0.1"),)
    (rr, _) = decode_rtcp(tx_a.unprotect_rtcp(receiver.receiver_report(0xB, "omm")))
    assert isinstance(rr, ReceiverReport) and rr.ssrc == 0xB
    (block,) = rr.reports
    assert (block.ssrc, block.packets_lost, block.highest_sequence) == (0xA, 1, 109)
    assert block.fraction_lost == 256 // 10
