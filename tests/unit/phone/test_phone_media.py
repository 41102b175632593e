"""The phone's media (sim.phone.media.ToneStream) in virtual time: a packet per ptime with
the tone in it, what arrives recorded and recognised, bursts bounded after a stall."""

from __future__ import annotations

from sim.phone.media import MAX_CATCH_UP, ToneStream
from sipdect.media import constants as mc
from sipdect.media.rtp import RtpPacket
from sipdect.media.sdes import NegotiatedMedia

MEDIA = NegotiatedMedia("192.0.2.9", 5004, mc.PCMU, None, 20, "sendrecv", False)


def test_one_packet_per_ptime_carrying_the_tone() -> None:
    talker, listener = ToneStream(MEDIA, 700.0, 0.0), ToneStream(MEDIA, 900.0, 0.0)
    packets = [p for step in range(50) for p in talker.due(step * 0.02)]
    assert len(packets) == 50
    decoded = [RtpPacket.decode(p) for p in packets]
    assert [d.payload_type for d in decoded] == [0] * 50 and decoded[0].marker
    assert all(len(d.payload) == 160 for d in decoded)
    assert decoded[1].timestamp - decoded[0].timestamp == 160
    for packet in packets:
        listener.receive(packet)
    listener.receive(b"\x80\xc8garbage")  # RTCP and junk are ignored, not fatal
    listener.receive(b"junk")
    assert listener.received == 50 and listener.ignored == 2
    assert listener.hears(700.0, 0.5).present
    assert not listener.hears(900.0, 0.5).present


def test_a_stalled_loop_skips_ahead_instead_of_bursting() -> None:
    stream = ToneStream(MEDIA, 700.0, 0.0)
    assert len(stream.due(10.0)) == MAX_CATCH_UP
    assert stream.next_at > 10.0
    assert len(stream.due(stream.next_at)) == 1


def test_nothing_heard_before_anything_arrived() -> None:
    assert not ToneStream(MEDIA, 700.0, 0.0).hears(700.0, 0.5).present
