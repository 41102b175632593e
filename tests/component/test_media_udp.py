"""Media over loopback UDP: two MediaEndpoints negotiate SDES keys under their sites'
SRTP modes (seed 000 "Media Encryption"), send a 1 kHz tone through SRTP, and the far
end detects it; with a wrong key it hears nothing."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from sipdect.media import constants as c
from sipdect.media.constants import SrtpMode
from sipdect.media.sdes import LocalMedia, NegotiatedMedia, accept_answer, answer_offer, make_offer
from sipdect.media.sdp import SessionDescription
from sipdect.media.signals import ToneGenerator, detect_tone
from sipdect.media.srtp import SrtpSession
from sipdect.media.stream import MediaReceiver, MediaSender
from sipdect.media.udp import MediaEndpoint
from sipdect.waiting import until

ONE_SECOND = 100  # 10 ms frames
SAMPLES = 8000


@dataclass
class Leg:
    endpoint: MediaEndpoint
    media: NegotiatedMedia

    def sender(self) -> MediaSender:
        return MediaSender(self.media.codec, ptime=self.media.ptime,
                           telephone_event=self.media.telephone_event,
                           srtp=SrtpSession.from_negotiated(self.media))

    def receiver(self, srtp: SrtpSession | None = None) -> MediaReceiver:
        return MediaReceiver(self.media.codec, telephone_event=self.media.telephone_event,
                             srtp=srtp or SrtpSession.from_negotiated(self.media))


@pytest.fixture
async def endpoints() -> AsyncIterator[tuple[MediaEndpoint, MediaEndpoint]]:
    a = await MediaEndpoint.open()
    b = await MediaEndpoint.open()
    yield a, b
    a.close()
    b.close()


def _negotiate(a: MediaEndpoint, b: MediaEndpoint, offerer: SrtpMode,
               answerer: SrtpMode) -> tuple[Leg, Leg]:
    """Offer/answer as the SIP user agents would carry it, through rendered SDP text."""
    local_a = LocalMedia(*a.address)
    local_b = LocalMedia(*b.address)
    offer = make_offer(offerer, local_a)
    answer, media_b = answer_offer(answerer, SessionDescription.parse(offer.encode()), local_b)
    media_a = accept_answer(offerer, offer, SessionDescription.parse(answer.encode()), local_a)
    a.remote = (media_a.remote_address, media_a.remote_port)
    b.remote = (media_b.remote_address, media_b.remote_port)
    return Leg(a, media_a), Leg(b, media_b)


@pytest.mark.parametrize(("offerer", "answerer"), [
    (SrtpMode.PREFERRED, SrtpMode.ONLY), (SrtpMode.ONLY, SrtpMode.PREFERRED),
    (SrtpMode.ONLY, SrtpMode.ONLY)])
async def test_tone_through_srtp_both_ways(endpoints: tuple[MediaEndpoint, MediaEndpoint],
                                           offerer: SrtpMode, answerer: SrtpMode) -> None:
    leg_a, leg_b = _negotiate(*endpoints, offerer, answerer)
    assert leg_a.media.srtp and leg_b.media.srtp
    rec_a = leg_a.endpoint.record(leg_a.receiver())
    rec_b = leg_b.endpoint.record(leg_b.receiver())
    tone_a, tone_b = ToneGenerator(1000.0), ToneGenerator(697.0, level_dbm0=-15)
    sent_a = await leg_a.endpoint.play(leg_a.sender(),
                                       (tone_a.next_frame() for _ in range(ONE_SECOND)))
    sent_b = await leg_b.endpoint.play(leg_b.sender(),
                                       (tone_b.next_frame() for _ in range(ONE_SECOND)))
    await until(lambda: (leg_b.endpoint.datagrams, leg_a.endpoint.datagrams) == (sent_a, sent_b),
                "every datagram at the other end")
    for rec in (rec_a, rec_b):
        rec.flush()
        assert rec.samples == SAMPLES

    at_b, at_a = rec_b.pcm(), rec_a.pcm()
    found_b = detect_tone(at_b, 1000.0)
    assert found_b.present and abs(found_b.tone_dbm0 + 10) < 0.5
    found_a = detect_tone(at_a, 697.0)
    assert found_a.present and abs(found_a.tone_dbm0 + 15) < 0.5
    assert not detect_tone(at_b, 697.0).present
    for rec in (rec_a, rec_b):
        stats = rec.receiver.stats
        assert (stats.played, stats.srtp_failures, stats.lost) == (50, 0, 0)


async def test_wrong_key_leaves_only_silence(endpoints: tuple[MediaEndpoint,
                                                               MediaEndpoint]) -> None:
    leg_a, leg_b = _negotiate(*endpoints, SrtpMode.ONLY, SrtpMode.ONLY)
    assert leg_b.media.local_key is not None and leg_b.media.suite is not None
    wrong = SrtpSession(leg_b.media.suite, leg_b.media.local_key.key, os.urandom(30))
    rec_b = leg_b.endpoint.record(leg_b.receiver(srtp=wrong))
    tone = ToneGenerator()
    sent = await leg_a.endpoint.play(leg_a.sender(), (tone.next_frame() for _ in range(40)))
    assert sent == 20
    await until(lambda: leg_b.endpoint.datagrams == sent, "every datagram at the other end")
    rec_b.flush()
    assert rec_b.receiver.stats.srtp_failures == 20 and rec_b.samples == 0
    assert not detect_tone(rec_b.pcm()).present


async def test_plain_rtp_and_dtmf_when_a_site_has_srtp_disabled(
        endpoints: tuple[MediaEndpoint, MediaEndpoint]) -> None:
    leg_a, leg_b = _negotiate(*endpoints, SrtpMode.PREFERRED, SrtpMode.DISABLED)
    assert not leg_a.media.srtp and not leg_b.media.srtp
    rec_b = leg_b.endpoint.record(leg_b.receiver())
    sender = leg_a.sender()
    tone = ToneGenerator()
    sent = await leg_a.endpoint.play(sender, (tone.next_frame() for _ in range(40)))
    sender.start_dtmf("9", duration_ms=80)
    sent += await leg_a.endpoint.play(sender, (tone.next_frame() for _ in range(20)))
    await until(lambda: leg_b.endpoint.datagrams == sent, "every datagram at the other end")
    rec_b.flush()
    assert [d.digit for d in rec_b.dtmf] == ["9"]
    assert detect_tone(rec_b.pcm()).present


async def test_paced_sending_and_endpoint_basics(
        endpoints: tuple[MediaEndpoint, MediaEndpoint]) -> None:
    a, b = endpoints
    assert a.address[0] == "127.0.0.1" and a.address[1] > 0
    with pytest.raises(ValueError):
        a.send([b"x"])
    b.record(MediaReceiver(c.PCMU))
    a.remote = b.address
    tone = ToneGenerator()
    sent = await a.play(MediaSender(c.PCMU), (tone.next_frame() for _ in range(10)),
                        realtime=True)
    assert sent == 5
    await until(lambda: b.datagrams == sent, "every datagram at the other end")
    assert b.recorder is not None
    b.recorder.flush()
    assert b.recorder.samples == 800
