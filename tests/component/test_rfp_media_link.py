"""RfpMediaControl over the real OMM-RFP link: MEDIA_* from RfpLinkServer.send reach a logged-in
VirtualRfp's gateway, which streams RTP on the port reserve() gave, and MEDIA_DTMF and
MEDIA_STATISTICS come back through the server's on_media (docs/calls.md §2)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from omm.media import RfpMediaControl
from omm.mediaport import MediaCodecChoice, RtpAddress
from omm.model import OmmModel, OmmSetup
from omm.rfplink import RfpLinkServer
from rfp.radio import RfpRadio
from rfp.station import VirtualRfp
from sim.air import Air, schedule_deliveries
from sipdect.link import constants as c
from sipdect.link.dnm import Dnm
from sipdect.media import constants as mc
from sipdect.media.codecs import alaw_encode
from sipdect.media.signals import ToneGenerator, detect_tone
from sipdect.waiting import until
from tests.component.rtp_peer import RtpPeer, peer_leg

MAC = "00:30:42:1b:17:40"
PPN = 9
MCEI = 4


@pytest.fixture
async def linked(tmp_path: Path) -> AsyncIterator[tuple[RfpLinkServer, VirtualRfp, int]]:
    model = OmmModel(tmp_path / "omm", OmmSetup())
    model.settings.update("PARK", {"park": "1F102AF12C"}, notify=False)

    def on_dnm(rfp_id: int, dnm: Dnm) -> None:
        pass

    server = RfpLinkServer(model, "127.0.0.1", 0, on_dnm, heartbeat_interval=1)
    loop = asyncio.get_running_loop()
    air = Air(epoch=loop.time())
    schedule_deliveries(air, loop.call_soon, loop.time)
    await server.start()
    rfp_id = int(model.rfps.create({"ethAddr": MAC, "dectOn": True}, model.sites.exists)["id"])
    air.add_rfp(rfp_id, 0, 0)
    rfp = VirtualRfp(MAC, c.HardwareType.RFP35, "127.0.0.1", server.port,
                     tmp_path / "rfp.key", RfpRadio(air, rfp_id), reconnect_min=0.05)
    await rfp.start()
    await until(lambda: rfp_id in server.connected_ids(), "the RFP logs in")
    yield server, rfp, rfp_id
    await rfp.stop()
    await server.stop()
    model.close()


async def test_media_control_drives_a_linked_rfp_and_hears_back(
        linked: tuple[RfpLinkServer, VirtualRfp, int]) -> None:
    server, rfp, rfp_id = linked
    control = RfpMediaControl(server.send, server.peer_ip, port_base=25000)
    server.on_media = control.receive
    local = control.reserve(PPN, rfp_id)
    assert local == RtpAddress("127.0.0.1", 25000)
    far = await RtpPeer.open(peer_leg(mc.PCMA, telephone_event=mc.TELEPHONE_EVENT.payload_type),
                             remote=(local.host, 25000))
    control.start(PPN, rfp_id, MCEI, MediaCodecChoice("PCMA", 8),
                  RtpAddress(*far.address), None, 101)
    await until(lambda: bool(rfp.media.channels), "MEDIA_OPEN/CONF/START arrive")
    # the PP's voice as the radio hands it over (60 frames, 30 packets), and the far end's tone
    loop = asyncio.get_running_loop()
    pp = ToneGenerator(600)
    for _ in range(60):
        rfp.media.receive_voice(MCEI, alaw_encode(pp.next_frame()), loop.time())
    await until(lambda: far.samples == 30 * 160, "the PP's 30 RTP packets played at the far end")
    assert far.leg is not None and far.leg.stats.rx_packets == 30
    assert detect_tone(far.pcm(), 600).present
    far_tone = ToneGenerator(1000)
    far.leg.start_dtmf("3", 100)
    await far.play((far_tone.next_frame() for _ in range(40)), realtime=True)
    await until(lambda: control.dtmf_received == [(PPN, "3")], "MEDIA_DTMF comes back")
    control.stop(PPN)
    await until(lambda: bool(control.statistics(PPN)), "MEDIA_STATISTICS comes back")
    (stats,) = control.statistics(PPN)
    assert stats.tx_packets == 30 and stats.tx_bytes == 30 * 160
    assert stats.rx_packets == 20 and str(stats.rtp_peer) == "127.0.0.1"
    await until(lambda: not rfp._media_io.sockets, "the RFP closes its RTP ports")
    far.close()
