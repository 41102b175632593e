"""A call's media over loopback UDP: a handset's voice on the ciphered air, VirtualRfp media
gateways driven by RfpMediaControl's MEDIA_* messages, and a far end built from sipdect.media
(MediaEndpoint, MediaSender, MediaReceiver), with and without SRTP, across a handover.

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
from rfp.link import constants as c
from rfp.link.dnm import Dnm, Element, HoInProgressRes, MacEncKeyReq
from rfp.link.media import MediaStatistics
from rfp.radio import RfpRadio
from rfp.station import VirtualRfp
from sim.primitives import AirConnect, AirRelease
from sim.voice import VoicePath
from sim.world import World
from sipdect.media import constants as mc
from sipdect.media.signals import ToneGenerator, detect_tone
from sipdect.media.srtp import SrtpSession
from sipdect.media.stream import MediaReceiver, MediaSender
from sipdect.media.udp import MediaEndpoint
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
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def radio(self, rfp_id: int) -> RfpRadio:
        return self.stations[rfp_id].radio

    async def connect(self, rfp_id: int, *, handover: bool = False) -> int:
        """The PP sets up its ciphered MAC connection on this RFP; returns the MCEI."""
        radio = self.radio(rfp_id)
        radio.messages_to_send()
        assert self.world.air.send_from_handset(HID, rfp_id, AirConnect(PMID, handover))
        await asyncio.sleep(0.01)
        mcei = next(m.mcei for m in radio.messages_to_send()
                    if isinstance(m, Dnm) and m.primitive == Prim.MAC_CON_IND)
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
    await asyncio.sleep(0.05)
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
    for task in s.tasks:
        task.cancel()
    control.stop(PPN)
    for station in stations.values():
        await station.stop()
    world.close()


@dataclass
class FarEnd:
    endpoint: MediaEndpoint
    sender: MediaSender

    def hears(self, frequency: float, seconds: float) -> bool:
        assert self.endpoint.recorder is not None
        self.endpoint.recorder.flush()
        pcm = self.endpoint.recorder.pcm()[-int(seconds * 8000):]
        return len(pcm) > 0 and detect_tone(pcm, frequency).present


async def far_end(site: Site, srtp: mc.CryptoSuite | None) -> tuple[FarEnd, SrtpKeys | None]:
    keys = None
    rx = tx = None
    if srtp is not None:
        rfp_key, far_key = os.urandom(30), os.urandom(30)
        keys = SrtpKeys(srtp.name, rfp_key, far_key)
        rx, tx = SrtpSession(srtp, far_key, rfp_key), SrtpSession(srtp, far_key, rfp_key)
    endpoint = await MediaEndpoint.open(receiver=MediaReceiver(mc.PCMA, srtp=rx))
    return FarEnd(endpoint, MediaSender(mc.PCMA, srtp=tx)), keys


def tone(frequency: float) -> Iterator[Any]:
    gen = ToneGenerator(frequency)
    while True:
        yield gen.next_frame()


async def call(site: Site, srtp: mc.CryptoSuite | None) -> tuple[FarEnd, VoicePath, int]:
    mcei = await site.connect(1)
    local = site.control.reserve(PPN, 1)
    assert local is not None and local.host == "127.0.0.1" and local.port % 2 == 0
    far, keys = await far_end(site, srtp)
    far.endpoint.remote = (local.host, local.port)
    path = site.world.voice_start(HID, tone_hz=PP_TONE)
    site.control.start(PPN, 1, mcei, MediaCodecChoice("PCMA", 8),
                       RtpAddress(*far.endpoint.address), keys, 101)
    site.tasks.append(asyncio.create_task(
        far.endpoint.play(far.sender, tone(FAR_TONE), realtime=True)))
    return far, path, mcei


@pytest.mark.parametrize("srtp", [None, mc.AES_CM_128_HMAC_SHA1_80, mc.AES_CM_128_HMAC_SHA1_32],
                         ids=["RTP", "SRTP_80", "SRTP_32"])
async def test_a_call_carries_each_ends_tone_to_the_other(site: Site,
                                                          srtp: mc.CryptoSuite | None) -> None:
    far, path, _ = await call(site, srtp)
    await asyncio.sleep(1.0)
    assert far.hears(PP_TONE, 0.5)
    assert path.hears_tone(FAR_TONE, 0.5).present
    assert not path.hears_tone(PP_TONE, 0.5).present
    assert path.stats.undecodable == 0
    assert site.radio(1).counters.voice_frames_in > 50
    # DTMF both ways
    site.control.dtmf(PPN, "5")
    far.sender.start_dtmf("7")
    await asyncio.sleep(0.4)
    site.reports()
    assert far.endpoint.recorder is not None
    assert [e.digit for e in far.endpoint.recorder.dtmf] == ["5"]
    assert site.control.dtmf_received == [(PPN, "7")]
    # hang up: statistics from the RFP, its ports closed
    site.control.stop(PPN)
    await asyncio.sleep(0.05)
    site.reports()
    (stats,) = site.control.statistics(PPN)
    assert isinstance(stats, MediaStatistics)
    assert stats.tx_packets > 50 and stats.rx_packets > 50 and stats.duration >= 1
    assert stats.tx_bytes >= 160 * 50 and str(stats.rtp_peer) == "127.0.0.1"
    assert site.stations[1]._media_io.sockets == {}
    far.endpoint.close()


async def test_a_far_end_with_the_wrong_srtp_key_hears_nothing(site: Site) -> None:
    suite = mc.AES_CM_128_HMAC_SHA1_80
    mcei = await site.connect(1)
    local = site.control.reserve(PPN, 1)
    assert local is not None
    far, _ = await far_end(site, suite)
    far.endpoint.remote = (local.host, local.port)
    keys = SrtpKeys(suite.name, os.urandom(30), os.urandom(30))  # not the far end's
    path = site.world.voice_start(HID, tone_hz=PP_TONE)
    site.control.start(PPN, 1, mcei, MediaCodecChoice("PCMA", 8),
                       RtpAddress(*far.endpoint.address), keys, None)
    site.tasks.append(asyncio.create_task(
        far.endpoint.play(far.sender, tone(FAR_TONE), realtime=True)))
    await asyncio.sleep(0.6)
    assert not far.hears(PP_TONE, 0.4)
    assert path.stats.received == 0
    channel = next(iter(site.stations[1].media.channels.values()))
    assert channel.stats.srtp_failures > 10
    far.endpoint.close()


@pytest.mark.parametrize("srtp", [None, mc.AES_CM_128_HMAC_SHA1_80], ids=["RTP", "SRTP"])
async def test_after_a_handover_the_anchor_redirects_and_both_tones_keep_arriving(
        site: Site, srtp: mc.CryptoSuite | None) -> None:
    far, path, _ = await call(site, srtp)
    await asyncio.sleep(0.5)
    assert far.hears(PP_TONE, 0.3) and path.hears_tone(FAR_TONE, 0.3).present
    # the PP walks to RFP 2: its connection moves there, RFP 1's goes
    site.world.air.move(HID, 38, 0)
    mcei2 = await site.connect(2, handover=True)
    site.handset.rfp_id = 2
    site.world.air.send_from_handset(HID, 1, AirRelease(PMID))
    site.control.handover(PPN, 2, mcei2)
    received_before = path.stats.received
    await asyncio.sleep(1.0)
    assert site.radio(2).counters.voice_frames_in > 50
    assert site.radio(2).counters.voice_frames_out > 50
    assert far.hears(PP_TONE, 0.4)
    assert path.hears_tone(FAR_TONE, 0.4).present and path.stats.received > received_before + 50
    anchor = next(iter(site.stations[1].media.channels.values()))
    assert anchor.redirect is not None
    assert (anchor.redirect.srtp is not None) is (srtp is not None)
    assert far.endpoint.recorder is not None
    assert far.endpoint.recorder.receiver.stats.ssrc_changes == 0  # one stream for the far end
    far.endpoint.close()
