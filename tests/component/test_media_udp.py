"""RTP legs over loopback UDP: two ends negotiate SDES keys under their sites' SRTP modes
(seed 000 "Media Encryption"), send a tone through SRTP each way, and each end hears the
other's with the Goertzel detector; with a wrong key it hears nothing."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from sipdect.media import constants as c
from sipdect.media.codecs import Pcm
from sipdect.media.constants import SrtpMode
from sipdect.media.leg import RtpLeg
from sipdect.media.rtp import SenderReport
from sipdect.media.sdes import LocalMedia, NegotiatedMedia, accept_answer, answer_offer, make_offer
from sipdect.media.sdp import SessionDescription
from sipdect.media.signals import ToneGenerator, detect_tone
from sipdect.media.srtp import SrtpSession
from sipdect.waiting import until
from tests.component.rtp_peer import RtpPeer, peer_leg

ONE_SECOND = 100  # 10 ms frames
PACKET_SAMPLES = 160  # 20 ms at 8 kHz


def leg_for(media: NegotiatedMedia, srtp: SrtpSession | None = None) -> RtpLeg:
    """The leg an offer/answer asks for (another SRTP session if given)."""
    return peer_leg(media.codec, ptime=media.ptime, telephone_event=media.telephone_event,
                    srtp=srtp or SrtpSession.from_negotiated(media))


@pytest.fixture
async def peers() -> AsyncIterator[tuple[RtpPeer, RtpPeer]]:
    a = await RtpPeer.open()
    b = await RtpPeer.open()
    yield a, b
    a.close()
    b.close()


def negotiate(a: RtpPeer, b: RtpPeer, offerer: SrtpMode, answerer: SrtpMode,
              suites: tuple[str, ...] = tuple(c.SUITES)) -> tuple[NegotiatedMedia,
                                                                 NegotiatedMedia]:
    """Offer/answer as the SIP user agents would carry it, through rendered SDP text."""
    local_a = LocalMedia(*a.address, suites=suites)
    local_b = LocalMedia(*b.address)
    offer = make_offer(offerer, local_a)
    answer, media_b = answer_offer(answerer, SessionDescription.parse(offer.encode()), local_b)
    media_a = accept_answer(offerer, offer, SessionDescription.parse(answer.encode()), local_a)
    a.remote = (media_a.remote_address, media_a.remote_port)
    b.remote = (media_b.remote_address, media_b.remote_port)
    return media_a, media_b


def tone(frequency: float, frames: int, level_dbm0: float = -10.0) -> list[Pcm]:
    gen = ToneGenerator(frequency, level_dbm0)
    return [gen.next_frame() for _ in range(frames)]


@pytest.mark.parametrize(("offerer", "answerer", "suites"), [
    (SrtpMode.PREFERRED, SrtpMode.ONLY, tuple(c.SUITES)),
    (SrtpMode.ONLY, SrtpMode.PREFERRED, tuple(c.SUITES)),
    (SrtpMode.ONLY, SrtpMode.ONLY, tuple(c.SUITES)),
    (SrtpMode.ONLY, SrtpMode.ONLY, (c.AES_CM_128_HMAC_SHA1_32.name,))],
    ids=["preferred-only", "only-preferred", "only-only", "only-only-32"])
async def test_tone_through_srtp_both_ways(peers: tuple[RtpPeer, RtpPeer], offerer: SrtpMode,
                                           answerer: SrtpMode, suites: tuple[str, ...]) -> None:
    a, b = peers
    media_a, media_b = negotiate(a, b, offerer, answerer, suites)
    assert media_a.srtp and media_b.srtp and media_a.suite is not None
    assert media_a.suite.name == suites[0]
    leg_a, leg_b = a.use(leg_for(media_a)), b.use(leg_for(media_b))
    sent_a = await a.play(tone(1000.0, ONE_SECOND))
    sent_b = await b.play(tone(697.0, ONE_SECOND, -15))
    assert sent_a == sent_b == ONE_SECOND // 2
    await until(lambda: (a.samples, b.samples) == (sent_b * PACKET_SAMPLES,
                                                   sent_a * PACKET_SAMPLES),
                "each end playing every packet of the other's second of tone")
    found_b = detect_tone(b.pcm(), 1000.0)
    assert found_b.present and abs(found_b.tone_dbm0 + 10) < 0.5
    found_a = detect_tone(a.pcm(), 697.0)
    assert found_a.present and abs(found_a.tone_dbm0 + 15) < 0.5
    assert not detect_tone(b.pcm(), 697.0).present
    for leg in (leg_a, leg_b):
        assert (leg.stats.rx_packets, leg.stats.srtp_failures, leg.reception.lost) == (50, 0, 0)
    # an RTCP sender report over SRTCP, on the RTP port (RFC 5761 multiplexing)
    a.send(leg_a.sender_report(0.0, "a@127.0.0.1"))
    (heard,) = await until(lambda: b.rtcp, "the sender report at b")
    report = heard.packets[0]
    assert isinstance(report, SenderReport) and report.packet_count == sent_a
    assert len(report.reports) == 1 and report.reports[0].packets_lost == 0


async def test_wrong_key_leaves_only_silence(peers: tuple[RtpPeer, RtpPeer]) -> None:
    a, b = peers
    media_a, media_b = negotiate(a, b, SrtpMode.ONLY, SrtpMode.ONLY)
    assert media_b.local_key is not None and media_b.suite is not None
    a.use(leg_for(media_a))
    wrong = SrtpSession(media_b.suite, media_b.local_key.key, os.urandom(30))
    leg_b = b.use(leg_for(media_b, srtp=wrong))
    sent = await a.play(tone(1000.0, 40))
    assert sent == 20
    await until(lambda: b.datagrams == sent, "every datagram at the other end")
    assert leg_b.stats.srtp_failures == 20 and leg_b.stats.rx_packets == 0
    assert b.samples == 0


async def test_plain_rtp_and_dtmf_when_a_site_has_srtp_disabled(
        peers: tuple[RtpPeer, RtpPeer]) -> None:
    a, b = peers
    media_a, media_b = negotiate(a, b, SrtpMode.PREFERRED, SrtpMode.DISABLED)
    assert not media_a.srtp and not media_b.srtp
    leg_a = a.use(leg_for(media_a))
    b.use(leg_for(media_b))
    sent = await a.play(tone(1000.0, 40))
    leg_a.start_dtmf("9", 80)
    sent += await a.play(tone(1000.0, 20))
    assert sent == 20 + 6 + 4  # audio, the 80 ms event (3 updates, 3 ends), audio again
    await until(lambda: [d.digit for d in b.dtmf] == ["9"], "the digit at the other end")
    await until(lambda: b.samples == 24 * PACKET_SAMPLES, "the tone played at the other end")
    assert detect_tone(b.pcm()).present and b.datagrams == sent


async def test_a_pcmu_leg_paced_in_real_time(peers: tuple[RtpPeer, RtpPeer]) -> None:
    a, b = peers
    a.use(peer_leg(c.PCMU))
    b.use(peer_leg(c.PCMU))
    a.remote = b.address
    assert a.remote[0] == "127.0.0.1" and a.remote[1] > 0
    sent = await a.play(tone(1000.0, 10), realtime=True)
    assert sent == 5
    await until(lambda: b.samples == 5 * PACKET_SAMPLES, "every packet played at the other end")
    assert detect_tone(b.pcm()).present
