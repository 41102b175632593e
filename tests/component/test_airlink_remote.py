"""The air link between a world's Air and RFP radios on RemoteAirs, over loopback TCP
(docs/architecture.md "Air link"): placing, mirrored sync, traffic both ways in order, voice
ciphered in the RFP's process, and what each end sees when the link goes. Waits are for the
state a test needs (sipdect.waiting.until)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from dect.identities import Ari, Park, Rfpi
from rfp.radio import RadioState, RfpRadio
from sim.air import RELEASE_LINK_LOST, Air, RadioSite, cipher_voice, schedule_deliveries
from sim.airlink import AirLinkServer, RemoteAir
from sim.airlink.codec import Hello, encode
from sim.primitives import AirConnect, AirConnected, AirData, AirPrimitive, AirRelease, AirVoice
from sipdect.link import constants as c
from sipdect.link.dnm import Dnm, Element
from sipdect.waiting import until

ARI = Ari.class_b(0x10A, 0x2AF)
RFPI = Rfpi(ARI, 1)
DCK = bytes.fromhex("8560dc324ea49f37")
MAC = bytes.fromhex("0030421b1737")
HANDSET, PMID = 7, 0x0027B
SILENCE = 0.5
"""The world's patience with a quiet RFP here (pings come every HEARTBEAT)."""
HEARTBEAT = 0.1


class World:
    """An Air on the test's loop with an air link server, a handset's inbox and RFP 0 placed
    in the world's process."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.air = Air(epoch=loop.time() - 12.345)
        schedule_deliveries(self.air, loop.call_soon, loop.time)
        self.air.add_rfp(0, 0.0, 0.0, rfpi=Rfpi(ARI, 0), preferred_sync=True)
        self.air.add_handset(HANDSET, 38.0, 0.0, Park.from_ari(ARI, 31))
        self.heard: list[tuple[int, AirPrimitive]] = []
        self.air.attach_handset(HANDSET, lambda rfp, p, now: self.heard.append((rfp, p)))
        self.server = AirLinkServer(self.air, silence=SILENCE)
        self.remotes: list[RemoteAir] = []

    def remote(self, rfp_id: int = 1, x: float = 40.0, mac: bytes = MAC, **kwargs: Any
               ) -> RemoteAir:
        site = RadioSite(rfp_id, x, 0.0, rfp_id % 256, dect_on=False, connected=False)
        remote = RemoteAir(site, "127.0.0.1", self.server.port, mac=mac, reconnect_min=0.05,
                           reconnect_max=0.1, heartbeat=HEARTBEAT, **kwargs)
        self.remotes.append(remote)
        return remote

    async def stop(self) -> None:
        for remote in self.remotes:
            await remote.stop()
        await self.server.stop()


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = World()
    await w.server.start()
    yield w
    await w.stop()


async def active_radio(remote: RemoteAir) -> RfpRadio:
    """A radio on `remote`, linked to an (imagined) OMM and DECT active."""
    await remote.start()
    await until(lambda: remote.up, "the world to place the RFP")
    radio = RfpRadio(remote, remote.site.rfp_id)
    now = asyncio.get_running_loop().time()
    radio.link_up(now)
    radio.receive_link(Dnm.rfpc(c.RfpcPrimitive.INIT_REQ, [
        Element(c.RfpcKey.RFPI, RFPI.to_bytes())]), now)
    radio.receive_link(Dnm.rfpc(c.RfpcPrimitive.ACTIVATE_REQ), now)
    assert radio.state is RadioState.ACTIVE
    return radio


async def test_a_remote_radio_is_placed_with_its_site_and_the_worlds_epoch(
        world: World) -> None:
    remote = world.remote()
    radio = await active_radio(remote)
    site = world.air.rfps[1]
    await until(lambda: site.up, "the RFP's site to come up on the world's air")
    assert (site.x, site.rpn, site.rfpi, site.cluster) == (40.0, 1, RFPI, 1)
    assert remote.epoch == world.air.epoch  # one machine: one CLOCK_MONOTONIC
    await until(lambda: remote.sync_status(1).synced, "the RFP's sync status mirrored")
    assert remote.sync_status(1) == world.air.sync_status(1)
    assert remote.sync_relations(1) == world.air.sync_relations(1) != ()
    radio.power(False, 0.0)
    await until(lambda: not world.air.rfps[1].powered, "the power cut to reach the world")
    await until(lambda: not remote.sync_status(1).synced, "the RFP to hear it is not synced")


async def test_traffic_crosses_in_order_and_voice_is_ciphered_in_the_rfps_process(
        world: World) -> None:
    remote = world.remote()
    radio = await active_radio(remote)
    await until(lambda: world.air.is_synced(1), "RFP 1 synced")
    uplink: list[tuple[int, bytes]] = []
    radio.voice_sink = lambda mcei, payload, now: uplink.append((mcei, payload))
    assert world.air.send_from_handset(HANDSET, 1, AirConnect(PMID))
    await until(lambda: (1, AirConnected(PMID)) in world.heard, "the RFP to answer")
    (mcei,) = radio.connections
    radio.connections[mcei].key = DCK  # as MAC_ENC_KEY_REQ would set it
    loop = asyncio.get_running_loop()
    index = world.air.frame_index(loop.time())
    mfn, fn = world.air.frame_numbers(index)
    clear = bytes(range(80))
    world.air.send_from_handset(HANDSET, 1, AirVoice(
        PMID, cipher_voice(DCK, mfn, fn, clear, downlink=False), mfn, fn, ciphered=True))
    await until(lambda: uplink, "the uplink frame deciphered by the remote RFP")
    assert uplink == [(mcei, clear)]
    assert radio.send_voice(mcei, clear[::-1], loop.time())
    await until(lambda: any(isinstance(p, AirVoice) for _, p in world.heard),
                "the downlink frame on the world's air")
    (down,) = [p for _, p in world.heard if isinstance(p, AirVoice)]
    assert down.ciphered and cipher_voice(DCK, down.mfn, down.fn, down.payload,
                                          downlink=True) == clear[::-1]
    # Ten data frames each way arrive in the order they were sent.
    for i in range(10):
        world.air.send_from_handset(HANDSET, 1, AirData(PMID, bytes([i]), 0, i))
    await until(lambda: radio.counters.good_frames >= 10, "ten frames at the RFP")
    for i in range(10):
        remote.send_from_rfp(1, AirData(PMID, bytes([i]), 0, i))
    await until(lambda: sum(isinstance(p, AirData) for _, p in world.heard) >= 10,
                "ten frames at the handset")
    assert [p.payload for _, p in world.heard if isinstance(p, AirData)] == [
        bytes([i]) for i in range(10)]


async def test_a_lost_link_takes_the_site_off_and_releases_both_ends(world: World) -> None:
    remote = world.remote()
    radio = await active_radio(remote)
    await until(lambda: world.air.is_synced(1), "RFP 1 synced")
    world.air.send_from_handset(HANDSET, 1, AirConnect(PMID))
    await until(lambda: radio.connections, "a MAC connection on the remote RFP")
    assert world.server.drop(1)
    assert 1 not in world.air.rfps
    await until(lambda: (1, AirRelease(PMID, RELEASE_LINK_LOST)) in world.heard,
                "the handset to lose its connection")
    await until(lambda: not radio.connections, "the RFP to lose it too")
    assert radio.counters.lost_connections == 1
    # The RFP tries again at once and is placed again, with what it set meanwhile.
    await until(lambda: remote.link_count == 2 and 1 in world.air.rfps, "RFP 1 back")
    assert world.air.rfps[1].rfpi == RFPI and world.air.rfps[1].dect_on
    await until(lambda: world.air.is_synced(1) and remote.sync_status(1).synced,
                "RFP 1 synced again")


async def test_the_link_leaves_from_the_rfp_hosts_address(world: World) -> None:
    remote = world.remote(local_host="127.0.0.7")
    await remote.start()
    await until(lambda: remote.up, "the RFP placed")
    (link,) = world.server._placed.values()
    assert link.peer.startswith("127.0.0.7:")


async def test_a_newer_link_of_the_same_rfp_replaces_the_older(world: World) -> None:
    first = world.remote()
    await first.start()
    await until(lambda: first.up, "the first link")
    second = world.remote()
    await second.start()
    await until(lambda: second.up, "the second link")
    await until(lambda: not first.up, "the first link replaced")
    assert first.last_close is not None and world.server.remote_ids() == [1]
    await first.stop()
    other = world.remote(mac=bytes.fromhex("0030421b1738"))
    await other.start()
    await until(lambda: other.last_close, "the world to answer another MAC")
    assert other.last_close == "the world refused: RFP 1 is on the world's air already"


async def test_a_silent_rfp_is_taken_off_the_air(world: World) -> None:
    # An RFP that stops talking (its machine unplugged: no FIN) is dropped after the silence.
    reader, writer = await asyncio.open_connection("127.0.0.1", world.server.port)
    now = asyncio.get_running_loop().time()
    writer.write(encode(Hello(1, MAC, 40.0, 0.0, 1, 1, False, True, True, True, RFPI, now)))
    await until(lambda: 1 in world.air.rfps, "the site placed")
    await until(lambda: 1 not in world.air.rfps, "the site dropped after its silence")
    assert await reader.read() != b""  # its Welcome and sync update came, then the close
    writer.close()


async def test_a_world_that_is_not_there_is_tried_again_until_it_is(world: World) -> None:
    port = world.server.port
    await world.server.stop()
    remote = world.remote()
    await remote.start()
    await until(lambda: remote.attempts >= 3, "the RFP to try again and again")
    assert not remote.up and remote.sync_status(1).synced is False
    world.server = AirLinkServer(world.air, "127.0.0.1", port, silence=SILENCE)
    await world.server.start()
    await until(lambda: remote.up, "the RFP to reach the world once it listens")


async def test_an_rfp_that_reads_nothing_is_dropped_before_it_eats_the_worlds_memory(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.airlink.server

    monkeypatch.setattr(sim.airlink.server, "MAX_UNSENT", 65536)
    reader, writer = await asyncio.open_connection("127.0.0.1", world.server.port)
    now = asyncio.get_running_loop().time()
    writer.write(encode(Hello(1, MAC, 40.0, 0.0, 1, 1, False, True, True, True, RFPI, now)))
    await until(lambda: world.air.is_synced(1), "the site placed and synced")
    assert world.air.send_from_handset(HANDSET, 1, AirConnect(PMID))
    sent = 0
    while 1 in world.air.rfps and sent < 400_000:  # ~40 MB: far beyond the kernel's buffers
        for _ in range(2000):
            world.air.send_from_handset(HANDSET, 1, AirData(PMID, bytes(100), 0, 0))
        sent += 2000
        await asyncio.sleep(0)  # let the Air deliver and the link write
    await until(lambda: 1 not in world.air.rfps, "the site dropped")
    writer.close()
