"""rfp.media with plain bytes: MEDIA_* in, RTP/SRTP and air voice frames out, and back.

omm-rfp.md §4.8 layouts; docs/calls.md §2 (VIF of two 10 ms frames, SRTP keys in the
MEDIA_CONF tail, redirect to another RFP on handover).
"""

from __future__ import annotations

import ipaddress
import os
import random

import numpy as np
import pytest

from dect.timing import FRAME_SECONDS
from rfp.media import Datagram, RfpMedia, run_bench
from sim.primitives import AIR_VOICE_OCTETS
from sipdect.link import constants as c
from sipdect.link.media import (
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
    codec_area_spare,
    conf_tail,
)
from sipdect.media import constants as mc
from sipdect.media.codecs import (
    alaw_decode,
    alaw_encode,
    alaw_to_ulaw,
    frame_octets,
    ulaw_decode,
    ulaw_encode,
)
from sipdect.media.rtp import DtmfReceiver, RtpPacket, RtpSequencer, dtmf_packets
from sipdect.media.signals import ToneGenerator, detect_tone
from sipdect.media.srtp import SrtpSession

LOCAL = 30000
FAR = ("127.0.0.1", 40000)
MCEI = 3
HANDLE = 0x19F9


def conf(*, handle: int = HANDLE, codec: int = c.Codec.G711_ALAW, pt: int = 8,
         local: int = LOCAL, remote: tuple[str, int] = FAR, mcei: int = MCEI,
         srtp: SrtpBlock | None = None, dtmf_pt: int | None = 101) -> MediaConf:
    ip = ipaddress.IPv4Address(remote[0])
    return MediaConf(handle=handle, codecs=(MediaCodec(codec, pt, 8),), mcei=mcei, ppn=0x0EA3,
                     local_rtp_port=local, local_rtcp_port=local + 1, rx_address=ip,
                     rx_port1=remote[1], rx_port2=remote[1] + 1, tx_address=ip,
                     tx_port1=remote[1], tx_port2=remote[1] + 1,
                     codec_spare=codec_area_spare(1, dtmf_pt), tail=conf_tail(srtp))


def started(media: RfpMedia | None = None, **kw: object) -> RfpMedia:
    media = media or RfpMedia(7, rng=random.Random(1))
    handle = int(kw.get("handle", HANDLE))  # type: ignore[call-overload]
    codec = int(kw.get("codec", c.Codec.G711_ALAW))  # type: ignore[call-overload]
    media.receive_link(MediaOpen(handle, codec, 1, 0), 0.0)
    media.receive_link(conf(**kw), 0.0)  # type: ignore[arg-type]
    media.receive_link(MediaStart(handle, c.MediaDirection.TX_RX), 0.0)
    return media


def tone_frames(frequency: float, count: int) -> list[bytes]:
    gen = ToneGenerator(frequency)
    return [alaw_encode(gen.next_frame()) for _ in range(count)]


def run_ticks(media: RfpMedia, start: float, count: int) -> float:
    now = start
    for _ in range(count):
        now += FRAME_SECONDS
        media.handle_timer(now)
    return now


def far_packets(frequency: float, count: int, *, payload_type: int = 8,
                encode: object = alaw_encode, seq: RtpSequencer | None = None,
                ssrc: int = 0xFA12) -> list[RtpPacket]:
    gen = ToneGenerator(frequency)
    seq = seq or RtpSequencer(ssrc, 100, 5000)
    return [seq.next_packet(payload_type, encode(gen.samples(160)), 160)  # type: ignore[operator]
            for _ in range(count)]


# -- uplink: air frames -> RTP ---------------------------------------------------------------- -
def test_two_air_frames_make_one_rtp_packet_with_running_sequence_and_timestamp() -> None:
    media = started()
    assert media.ports() == {LOCAL, LOCAL + 1}
    frames = tone_frames(1000, 6)
    datagrams: list[Datagram] = []
    for frame in frames:
        media.receive_voice(MCEI, frame, 0.0)
        datagrams += media.datagrams_to_send()
    assert len(datagrams) == 3
    assert {(d.local_port, d.remote) for d in datagrams} == {(LOCAL, FAR)}
    packets = [RtpPacket.decode(d.data) for d in datagrams]
    assert [p.payload_type for p in packets] == [8, 8, 8]
    assert [p.marker for p in packets] == [True, False, False]
    assert len({p.ssrc for p in packets}) == 1
    first = packets[0]
    assert [p.sequence_number for p in packets] == [(first.sequence_number + i) & 0xFFFF
                                                    for i in range(3)]
    assert [p.timestamp for p in packets] == [(first.timestamp + 160 * i) & 0xFFFFFFFF
                                              for i in range(3)]
    assert packets[1].payload == frames[2] + frames[3]


def test_frames_of_another_mac_connection_or_before_start_send_nothing() -> None:
    media = RfpMedia(rng=random.Random(2))
    media.receive_link(MediaOpen(HANDLE, c.Codec.G711_ALAW, 1, 0), 0.0)
    media.receive_link(conf(), 0.0)
    for frame in tone_frames(1000, 4):
        media.receive_voice(MCEI, frame, 0.0)
        media.receive_voice(MCEI + 1, frame, 0.0)
    assert media.datagrams_to_send() == []
    media.receive_link(MediaStart(HANDLE, c.MediaDirection.TX_RX), 0.0)
    for frame in tone_frames(1000, 4):
        media.receive_voice(MCEI + 1, frame, 0.0)
    assert media.datagrams_to_send() == []


def test_pcmu_leg_carries_the_air_alaw_as_ulaw_both_ways() -> None:
    media = started(codec=c.Codec.G711_ULAW, pt=0)
    frames = tone_frames(800, 2)
    for frame in frames:
        media.receive_voice(MCEI, frame, 0.0)
    (datagram,) = media.datagrams_to_send()
    packet = RtpPacket.decode(datagram.data)
    assert packet.payload_type == 0
    assert packet.payload == alaw_to_ulaw(frames[0] + frames[1])
    assert detect_tone(ulaw_decode(packet.payload), 800).present
    # downlink: µ-law from the far end reaches the PP as A-law
    for p in far_packets(1200, 6, payload_type=0, encode=ulaw_encode):
        media.receive_datagram(LOCAL, p.encode(), FAR, 0.0)
    run_ticks(media, 0.0, 10)
    air = b"".join(f.payload for f in media.voice_to_send())
    assert len(air) == 10 * AIR_VOICE_OCTETS
    assert detect_tone(alaw_decode(air), 1200).present


# -- downlink: RTP -> air frames ----------------------------------------------------------------
def test_rtp_from_the_far_end_plays_one_frame_per_10_ms_after_a_40_ms_prefill() -> None:
    media = started()
    packets = far_packets(600, 4)
    media.receive_datagram(LOCAL, packets[0].encode(), FAR, 0.0)
    now = run_ticks(media, 0.0, 3)
    assert media.voice_to_send() == []  # one packet buffered: still prefilling
    media.receive_datagram(LOCAL, packets[2].encode(), FAR, now)  # out of order
    media.receive_datagram(LOCAL, packets[1].encode(), FAR, now)
    media.receive_datagram(LOCAL, packets[3].encode(), FAR, now)
    run_ticks(media, now, 8)
    frames = media.voice_to_send()
    assert [f.mcei for f in frames] == [MCEI] * 8
    assert b"".join(f.payload for f in frames) == b"".join(p.payload for p in packets)
    run_ticks(media, now + 0.08, 3)
    assert media.voice_to_send() == []
    assert media.channels[HANDLE].stats.underruns == 1


def test_ticks_fall_on_air_frame_boundaries() -> None:
    media = RfpMedia(epoch=0.003)
    started(media)
    assert media.get_timer() == pytest.approx(0.003)  # frame 0 starts after now = 0
    media.handle_timer(0.003)
    media.handle_timer(0.013)
    assert media.get_timer() == pytest.approx(0.023)


# -- SRTP ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("suite", list(mc.SUITES.values()), ids=lambda s: s.name)
def test_srtp_both_ways_with_the_keys_of_the_conf_tail(suite: mc.CryptoSuite) -> None:
    rfp_key, far_key = os.urandom(30), os.urandom(30)
    media = started(srtp=SrtpBlock(suite.name, rfp_key, far_key))
    far = SrtpSession(suite, far_key, rfp_key)
    frames = tone_frames(1000, 2)
    for frame in frames:
        media.receive_voice(MCEI, frame, 0.0)
    (datagram,) = media.datagrams_to_send()
    assert len(datagram.data) == 12 + 160 + suite.tag_len
    assert RtpPacket.decode(far.unprotect(datagram.data)).payload == frames[0] + frames[1]
    for packet in far_packets(500, 4):
        media.receive_datagram(LOCAL, far.protect(packet.encode()), FAR, 0.0)
    run_ticks(media, 0.0, 8)
    air = b"".join(f.payload for f in media.voice_to_send())
    assert detect_tone(alaw_decode(air), 500).present
    assert media.channels[HANDLE].stats.srtp_failures == 0


def test_srtp_with_a_wrong_key_is_undecodable_and_nothing_reaches_the_pp() -> None:
    suite = mc.AES_CM_128_HMAC_SHA1_80
    media = started(srtp=SrtpBlock(suite.name, os.urandom(30), os.urandom(30)))
    stranger = SrtpSession(suite, os.urandom(30), os.urandom(30))
    for packet in far_packets(500, 4):
        media.receive_datagram(LOCAL, stranger.protect(packet.encode()), FAR, 0.0)
    run_ticks(media, 0.0, 8)
    assert media.voice_to_send() == []
    stats = media.channels[HANDLE].stats
    assert stats.srtp_failures == 4 and stats.rx_packets == 0


# -- DTMF ---------------------------------------------------------------------------------------
def test_media_dtmf_from_the_omm_goes_out_as_rfc4733_events() -> None:
    media = started()
    media.receive_link(MediaDtmf(HANDLE, 100, ord("5"), c.MediaDirection.TX), 0.0)
    for frame in tone_frames(1000, 4):  # the PP's voice is replaced while the key is sent
        media.receive_voice(MCEI, frame, 0.0)
    run_ticks(media, 0.0, 20)
    packets = [RtpPacket.decode(d.data) for d in media.datagrams_to_send()]
    assert {p.payload_type for p in packets} == {101}
    assert packets[0].marker and len({p.timestamp for p in packets}) == 1
    receiver = DtmfReceiver()
    got = [e for p in packets for e in receiver.receive(p)]
    assert [(e.digit, e.duration) for e in got] == [("5", 800)]
    assert media.channels[HANDLE].stats.dtmf_sent == 1


def test_rfc4733_from_the_far_end_becomes_media_dtmf_to_the_omm() -> None:
    media = started()
    seq = RtpSequencer(0xFA12, 7, 1000)
    for packet in dtmf_packets(seq, 101, "#", 1600):
        media.receive_datagram(LOCAL, packet.encode(), FAR, 0.0)
    assert media.messages_to_send() == [MediaDtmf(HANDLE, 200, ord("#"), c.MediaDirection.RX)]


def test_media_dtmf_without_a_negotiated_event_type_is_refused() -> None:
    media = started(dtmf_pt=None)
    media.receive_link(MediaDtmf(HANDLE, 100, ord("1"), c.MediaDirection.TX), 0.0)
    run_ticks(media, 0.0, 10)
    assert media.datagrams_to_send() == []


# -- statistics, stop, close --------------------------------------------------------------------
def test_close_answers_media_statistics_with_the_real_counts() -> None:
    media = started()
    for frame in tone_frames(1000, 8):
        media.receive_voice(MCEI, frame, 0.0)
    packets = far_packets(700, 6)
    for i, packet in enumerate(packets):
        if i != 2:  # one lost; the others on time, 20 ms apart: no jitter
            media.receive_datagram(LOCAL, packet.encode(), FAR, 0.5 + 0.02 * i)
    media.receive_link(MediaClose(HANDLE), 3.0)
    (stats,) = media.messages_to_send()
    assert stats == MediaStatistics(HANDLE, bytes(2), 3, 4, 4 * 160, 5, 5 * 160, 1, 0,
                                    ipaddress.IPv4Address("127.0.0.1"))
    assert media.channels == {} and media.ports() == set()


def test_stop_rx_keeps_sending_but_plays_nothing() -> None:
    media = started()
    media.receive_link(MediaStop(HANDLE, c.MediaDirection.RX), 0.0)
    for packet in far_packets(700, 4):
        media.receive_datagram(LOCAL, packet.encode(), FAR, 0.0)
    run_ticks(media, 0.0, 6)
    assert media.voice_to_send() == []
    for frame in tone_frames(1000, 2):
        media.receive_voice(MCEI, frame, 0.0)
    assert len(media.datagrams_to_send()) == 1


def test_rtcp_sender_reports_every_five_seconds_on_the_rtcp_port() -> None:
    media = started()
    for frame in tone_frames(1000, 2):
        media.receive_voice(MCEI, frame, 0.0)
    media.datagrams_to_send()
    run_ticks(media, 4.98, 3)
    rtcp = [d for d in media.datagrams_to_send() if d.local_port == LOCAL + 1]
    assert [d.remote for d in rtcp] == [(FAR[0], FAR[1] + 1)]
    assert rtcp[0].data[1] == mc.RTCP_SR


# -- tones --------------------------------------------------------------------------------------
def test_media_tone2_plays_a_tone_to_the_pp_until_tone_off() -> None:
    media = started()
    record = ToneRecord(425, 0, 0, 0, -100, 0, 0, 0, 0, 0, 0, 0)
    media.receive_link(MediaTone2(HANDLE, c.MediaDirection.RX, (record,)), 0.0)
    now = run_ticks(media, 0.0, 20)
    air = b"".join(f.payload for f in media.voice_to_send())
    report = detect_tone(alaw_decode(air), 425)
    assert report.present and report.tone_dbm0 == pytest.approx(-10, abs=1)
    media.receive_link(MediaTone2(HANDLE, c.MediaDirection.RX), now)
    run_ticks(media, now, 5)
    assert media.voice_to_send() == []


def test_a_tone_sequence_moves_on_after_each_record_duration() -> None:
    media = started()
    first = ToneRecord(400, 0, 0, 0, -100, 0, 0, 0, 100, 0, 0, 1)
    second = ToneRecord(1400, 0, 0, 0, -100, 0, 0, 0, 0, 0, 0, 1)
    media.receive_link(MediaTone2(HANDLE, c.MediaDirection.RX, (first, second)), 0.0)
    run_ticks(media, 0.0, 30)
    pcm = alaw_decode(b"".join(f.payload for f in media.voice_to_send()))
    assert detect_tone(pcm[:800], 400).present
    assert detect_tone(pcm[800:], 1400).present


# -- redirect (handover) ------------------------------------------------------------------------
def test_redirect_leg_carries_the_call_between_anchor_and_new_rfp_with_srtp() -> None:
    suite = mc.AES_CM_128_HMAC_SHA1_32
    out_key, back_key = os.urandom(30), os.urandom(30)
    anchor = started(RfpMedia(1, rng=random.Random(3)))
    visitor = started(RfpMedia(2, rng=random.Random(4)), handle=5, local=32000,
                      remote=("127.0.0.1", 31000), mcei=9, dtmf_pt=None,
                      srtp=SrtpBlock(suite.name, back_key, out_key))
    anchor.receive_link(MediaRedirectStart(
        HANDLE, bytes(2), 31000, 31001, ipaddress.IPv4Address("127.0.0.1"), 32000, 32001, 0,
        SrtpBlock(suite.name, out_key, back_key).to_bytes()), 0.0)
    assert anchor.ports() == {LOCAL, LOCAL + 1, 31000, 31001}

    def carry(src: RfpMedia, dst: RfpMedia) -> list[Datagram]:
        rest = []
        for d in src.datagrams_to_send():
            if d.remote[1] in dst.ports():
                dst.receive_datagram(d.remote[1], d.data, ("127.0.0.1", d.local_port), 0.0)
            else:
                rest.append(d)
        return rest

    # uplink: the PP now talks to the new RFP; the anchor sends it on to the far end
    for frame in tone_frames(900, 8):
        anchor.receive_voice(MCEI, frame, 0.0)  # the old connection is gone: ignored
        visitor.receive_voice(9, frame, 0.0)
        carry(visitor, anchor)
    to_far = [d for d in anchor.datagrams_to_send() if d.remote == FAR]
    assert len(to_far) == 4
    pcm = alaw_decode(b"".join(RtpPacket.decode(d.data).payload for d in to_far))
    assert detect_tone(pcm, 900).present
    # downlink: the far end's tone reaches the PP through the new RFP
    for packet in far_packets(1300, 10):
        anchor.receive_datagram(LOCAL, packet.encode(), FAR, 0.0)
    now = 0.0
    for _ in range(20):
        now += FRAME_SECONDS
        anchor.handle_timer(now)
        carry(anchor, visitor)
        visitor.handle_timer(now)
    assert anchor.voice_to_send() == []
    frames = visitor.voice_to_send()
    assert {f.mcei for f in frames} == {9} and len(frames) >= 12
    assert detect_tone(alaw_decode(b"".join(f.payload for f in frames)), 1300).present
    # back on the anchor: MEDIA_REDIRECT_STOP and MEDIA_RESTART with the new MCEI
    anchor.receive_link(MediaRedirectStop(HANDLE, 1), now)
    anchor.receive_link(MediaRestart(HANDLE, 11), now)
    assert anchor.ports() == {LOCAL, LOCAL + 1}
    for frame in tone_frames(900, 2):
        anchor.receive_voice(11, frame, now)
    assert [d.remote for d in anchor.datagrams_to_send()] == [FAR]


def test_g722_channel_passes_the_air_octets_through_with_the_8_khz_clock() -> None:
    media = started(codec=CODEC_G722, pt=9)
    frames = [bytes([i]) * AIR_VOICE_OCTETS for i in range(4)]
    for frame in frames:
        media.receive_voice(MCEI, frame, 0.0)
    packets = [RtpPacket.decode(d.data) for d in media.datagrams_to_send()]
    assert [p.payload_type for p in packets] == [9, 9]
    assert packets[1].timestamp - packets[0].timestamp == 160
    assert packets[0].payload == frames[0] + frames[1]


def test_bad_media_messages_leave_the_gateway_as_it_was() -> None:
    media = RfpMedia()
    media.receive_link(MediaOpen(1, c.Codec.G729, 1, 0), 0.0)  # not emulated
    media.receive_link(conf(handle=2), 0.0)  # no MEDIA_OPEN
    media.receive_link(MediaStart(3, c.MediaDirection.TX_RX), 0.0)
    assert media.channels == {} and media.ports() == set() and media.get_timer() is None
    started(media)
    media.receive_datagram(LOCAL, b"\x00garbage", FAR, 0.0)
    assert media.channels[HANDLE].stats.malformed == 1


def test_benchmark_reports_packets_per_second_beside_pylibsrtp() -> None:
    result = run_bench(quick=True)
    for suite in mc.SUITES:
        row = result["suites"][suite]
        assert row["path_pkt_per_s"] > 0 and 0 < row["path_ratio"] < 1.5
    assert np.isfinite(result["suites"]["RTP"]["path_pkt_per_s"])


def test_a_far_end_that_restarts_with_a_new_ssrc_is_played_from_its_new_stream() -> None:
    media = started()
    for packet in far_packets(500, 3, seq=RtpSequencer(0xAAAA, 60000, 0)):
        media.receive_datagram(LOCAL, packet.encode(), FAR, 0.0)
    for packet in far_packets(1500, 6, seq=RtpSequencer(0xBBBB, 10, 0)):
        media.receive_datagram(LOCAL, packet.encode(), FAR, 0.0)
    run_ticks(media, 0.0, 12)
    pcm = alaw_decode(b"".join(f.payload for f in media.voice_to_send()))
    assert len(pcm) == 12 * 80 and detect_tone(pcm, 1500).present


def test_the_legs_frame_is_the_airs_b_field_and_other_sizes_are_dropped() -> None:
    assert frame_octets(mc.PCMA) == frame_octets(mc.G722) == AIR_VOICE_OCTETS
    media = started()
    media.receive_voice(MCEI, bytes(AIR_VOICE_OCTETS - 1), 0.0)
    media.receive_voice(MCEI, bytes(2 * AIR_VOICE_OCTETS), 0.0)
    assert media.datagrams_to_send() == []
    assert media.channels[HANDLE].stats.bad_frames == 2
