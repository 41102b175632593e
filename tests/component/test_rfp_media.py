"""A call's media over loopback UDP: a handset's voice on the ciphered air, VirtualRfp media
gateways driven by RfpMediaControl's MEDIA_* messages, and a far end on an RTP leg of
sipdect.media (tests/component/rtp_peer.py), with and without SRTP, across a handover.

Each end sends its own tone; a test passes when each end hears the other's (Goertzel).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from dect.identities import Ari, Rfpi
from omm.media import RfpMediaControl
from omm.mediaport import MediaCodecChoice, RtpAddress, SrtpKeys
from rfp.media import MediaChannel
from rfp.radio import RfpRadio
from rfp.station import VirtualRfp
from sim.primitives import AirConnect, AirRelease
from sim.voice import VoicePath
from sim.world import World
from sipdect.link import constants as c
from sipdect.link.dnm import Dnm, Element, HoInProgressRes, MacEncKeyReq
from sipdect.link.media import MediaStatistics
from sipdect.media import constants as mc
from sipdect.media.signals import ToneGenerator, detect_tone
from sipdect.media.srtp import SrtpSession
from sipdect.waiting import until
from tests.component.rtp_peer import RtpPeer, peer_leg
from tests.unit.air.test_voice import DCK, PMID, CallingHandset, place_calling_handset

Prim = c.DnmPrimitive
ARI = Ari.class_b(0x10A, 0x2AF)
HID = 1
PPN = 42
PP_TONE = 700.0
FAR_TONE = 1200.0


@dataclass
class Site:
    world: World
    stations: dict[int, VirtualRfp]
    control: RfpMediaControl
    handset: CallingHandset
    peers: list[RtpPeer] = field(default_factory=list)

    def radio(self, rfp_id: int) -> RfpRadio:
        return self.stations[rfp_id].radio

    async def connect(self, rfp_id: int, *, handover: bool = False) -> int:
        """The PP sets up its ciphered MAC connection on this RFP; returns the MCEI."""
        radio = self.radio(rfp_id)
        radio.messages_to_send()
        assert self.world.air.send_from_handset(HID, rfp_id, AirConnect(PMID, handover))
        sent: list[Any] = []

        def con_ind() -> Dnm | None:
            sent.extend(radio.messages_to_send())
            return next((m for m in sent
                         if isinstance(m, Dnm) and m.primitive == Prim.MAC_CON_IND), None)

        mcei = (await until(con_ind, f"MAC_CON_IND from RFP {rfp_id}")).mcei
        assert mcei is not None
        if handover:
            radio.receive_link(Dnm.mac(Prim.HO_IN_PROGRESS_RES, mcei,
                                       HoInProgressRes(key=DCK, key_id=1)), 0.0)
        else:
            radio.receive_link(Dnm.mac(Prim.MAC_ENC_KEY_REQ, mcei, MacEncKeyReq(DCK, 1)), 0.0)
        return mcei

    def reports(self) -> None:
        """What the RFPs sent the OMM about media (their links are not under test)."""
        for rfp_id, station in self.stations.items():
            for message in station.media.messages_to_send():
                self.control.receive(rfp_id, message)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    loop = asyncio.get_running_loop()
    world = World(loop)
    stations: dict[int, VirtualRfp] = {}
    for rfp_id, x in ((1, 0.0), (2, 40.0)):
        world.air.add_rfp(rfp_id, x, 0)
        radio = RfpRadio(world.air, rfp_id)
        stations[rfp_id] = VirtualRfp(f"00:30:42:00:00:{rfp_id:02x}", 0x0E, "127.0.0.1", 9,
                                      None, radio)
        radio.link_up(0.0)
        radio.receive_link(Dnm.rfpc(c.RfpcPrimitive.INIT_REQ, [
            Element(c.RfpcKey.RFPI, Rfpi(ARI, rfp_id).to_bytes())]), 0.0)
        radio.receive_link(Dnm.rfpc(c.RfpcPrimitive.ACTIVATE_REQ), 0.0)
    handset = place_calling_handset(world, HID, 5, 1, DCK)

    def send(rfp_id: int, message: Any) -> bool:
        station = stations.get(rfp_id)
        if station is None:
            return False
        station.media.receive_link(message, loop.time())
        return True

    control = RfpMediaControl(send, lambda rfp_id: "127.0.0.1" if rfp_id in stations else None,
                              port_base=24000)
    s = Site(world, stations, control, handset)
    yield s
    for peer in s.peers:
        peer.close()
    control.stop(PPN)
    for station in stations.values():
        await station.stop()
    world.close()


@dataclass
class FarEnd:
    peer: RtpPeer

    def hears(self, frequency: float, seconds: float) -> bool:
        pcm = self.peer.pcm(seconds)
        return len(pcm) > 0 and detect_tone(pcm, frequency).present


async def far_end(site: Site, srtp: mc.CryptoSuite | None) -> tuple[FarEnd, SrtpKeys | None]:
    keys = session = None
    if srtp is not None:
        rfp_key, far_key = os.urandom(30), os.urandom(30)
        keys = SrtpKeys(srtp.name, rfp_key, far_key)
        session = SrtpSession(srtp, far_key, rfp_key)
    peer = await RtpPeer.open(peer_leg(mc.PCMA, telephone_event=mc.TELEPHONE_EVENT.payload_type,
                                       srtp=session))
    site.peers.append(peer)
    return FarEnd(peer), keys


def tone(frequency: float) -> Iterator[Any]:
    gen = ToneGenerator(frequency)
    while True:
        yield gen.next_frame()


async def call(site: Site, srtp: mc.CryptoSuite | None) -> tuple[FarEnd, VoicePath, int]:
    mcei = await site.connect(1)
    local = site.control.reserve(PPN, 1)
    assert local is not None and local.host == "127.0.0.1" and local.port % 2 == 0
    far, keys = await far_end(site, srtp)
    far.peer.remote = (local.host, local.port)
    path = site.world.voice_start(HID, tone_hz=PP_TONE)
    site.control.start(PPN, 1, mcei, MediaCodecChoice("PCMA", 8),
                       RtpAddress(*far.peer.address), keys, 101)
    far.peer.keep_playing(tone(FAR_TONE))
    return far, path, mcei


def channel(site: Site, rfp_id: int) -> MediaChannel:
    return next(iter(site.stations[rfp_id].media.channels.values()))


OVER_A_SECOND = 110
"""Air frames of voice that prove a call lasted over a second: the voice ticker sends one
per 10 ms air frame at most, however late it runs."""


@pytest.mark.parametrize("srtp", [None, mc.AES_CM_128_HMAC_SHA1_80, mc.AES_CM_128_HMAC_SHA1_32],
                         ids=["RTP", "SRTP_80", "SRTP_32"])
async def test_a_call_carries_each_ends_tone_to_the_other(site: Site,
                                                          srtp: mc.CryptoSuite | None) -> None:
    far, path, _ = await call(site, srtp)
    radio = site.radio(1)

    def talking() -> bool:
        stats = channel(site, 1).stats
        return (radio.counters.voice_frames_in > OVER_A_SECOND and stats.tx_packets > 50
                and stats.rx_packets > 50 and far.hears(PP_TONE, 0.5)
                and path.hears_tone(FAR_TONE, 0.5).present)

    await until(talking, "a second of the call, each end hearing the other's tone")
    assert not path.hears_tone(PP_TONE, 0.5).present
    assert path.stats.undecodable == 0
    # DTMF both ways
    site.control.dtmf(PPN, "5")
    assert far.peer.leg is not None
    far.peer.leg.start_dtmf("7", 100)

    def digits() -> bool:
        site.reports()
        return bool(far.peer.dtmf) and bool(site.control.dtmf_received)

    await until(digits, "a DTMF digit at each end")
    assert [e.digit for e in far.peer.dtmf] == ["5"]
    assert site.control.dtmf_received == [(PPN, "7")]
    # hang up: statistics from the RFP, its ports closed
    site.control.stop(PPN)

    def statistics() -> list[Any]:
        site.reports()
        return site.control.statistics(PPN)

    (stats,) = await until(statistics, "MEDIA_STATISTICS from the RFP")
    assert isinstance(stats, MediaStatistics)
    assert stats.tx_packets > 50 and stats.rx_packets > 50 and stats.duration >= 1
    assert stats.tx_bytes >= 160 * 50 and str(stats.rtp_peer) == "127.0.0.1"
    await until(lambda: site.stations[1]._media_io.sockets == {}, "the RFP's RTP ports closed")


async def test_a_far_end_with_the_wrong_srtp_key_hears_nothing(site: Site) -> None:
    suite = mc.AES_CM_128_HMAC_SHA1_80
    mcei = await site.connect(1)
    local = site.control.reserve(PPN, 1)
    assert local is not None
    far, _ = await far_end(site, suite)
    far.peer.remote = (local.host, local.port)
    keys = SrtpKeys(suite.name, os.urandom(30), os.urandom(30))  # not the far end's
    path = site.world.voice_start(HID, tone_hz=PP_TONE)
    site.control.start(PPN, 1, mcei, MediaCodecChoice("PCMA", 8),
                       RtpAddress(*far.peer.address), keys, None)
    far.peer.keep_playing(tone(FAR_TONE))
    far_leg = far.peer.leg
    assert far_leg is not None
    await until(lambda: channel(site, 1).stats.srtp_failures > 10
                and far_leg.stats.srtp_failures > 10,
                "both ends refusing a dozen of the other's packets")
    assert not far.hears(PP_TONE, 0.4)
    assert path.stats.received == 0


@pytest.mark.parametrize("srtp", [None, mc.AES_CM_128_HMAC_SHA1_80], ids=["RTP", "SRTP"])
async def test_after_a_handover_the_anchor_redirects_and_both_tones_keep_arriving(
        site: Site, srtp: mc.CryptoSuite | None) -> None:
    far, path, _ = await call(site, srtp)
    await until(lambda: far.hears(PP_TONE, 0.3) and path.hears_tone(FAR_TONE, 0.3).present,
                "each end hearing the other's tone")
    # the PP walks to RFP 2: its connection moves there, RFP 1's goes
    site.world.air.move(HID, 38, 0)
    mcei2 = await site.connect(2, handover=True)
    site.handset.rfp_id = 2
    site.world.air.send_from_handset(HID, 1, AirRelease(PMID))
    site.control.handover(PPN, 2, mcei2)
    received_before = path.stats.received
    heard_before = far.peer.samples
    radio = site.radio(2)

    def through_rfp_2() -> bool:
        # half a second more at each end, all of it carried by RFP 2
        return (radio.counters.voice_frames_in > 50 and radio.counters.voice_frames_out > 50
                and path.stats.received > received_before + 50
                and far.peer.samples > heard_before + 4000)

    await until(through_rfp_2, "half a second of voice each way through RFP 2")
    assert far.hears(PP_TONE, 0.4)
    assert path.hears_tone(FAR_TONE, 0.4).present
    anchor = channel(site, 1)
    assert anchor.redirect is not None
    assert (anchor.redirect.leg.srtp is not None) is (srtp is not None)
    assert far.peer.leg is not None
    assert far.peer.leg.stats.ssrc_changes == 0  # one stream for the far end
