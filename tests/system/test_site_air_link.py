"""The air link in a whole site on loopback (docs/architecture.md "Air link"): an RFP whose
radio runs on a RemoteAir reaches the world's Air through an AirLinkServer and serves handsets
as an RFP of the world's process does.

The world (an Emulator with one in-process RFP B, the OMM and the call server) runs in the
test's loop; remote RFP A (a VirtualRfp on a RemoteAir, linked to the OMM over the real OMM-RFP
link) runs in the same loop but reaches the air only over TCP, and RFP C runs as
`python -m rfp.cli --air` in a real subprocess. Observed as a user would: AXI (RFP sync state,
PP transactions), the control API (where a handset is, what its earpiece plays).
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import pytest
import pytest_asyncio
from site_helpers import Control, EventWatch, ipei, record

from rfp.radio import RfpRadio
from rfp.station import VirtualRfp, parse_mac
from sim.air import RadioSite
from sim.airlink import AirLinkServer, RemoteAir
from sim.voice import default_tone_hz
from sim.world import World
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.link import constants as c
from sipdect.waiting import DEFAULT_TIMEOUT, until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

AC = "31415"
MAC_A, MAC_B, MAC_C = "00:30:42:5e:0a:01", "00:30:42:5e:0a:02", "00:30:42:5e:0a:03"
ON_A, ON_B, ON_C, NEW = ipei(1201), ipei(1202), ipei(1203), ipei(1204)
"""Alice by remote RFP A at (0, 0), Bob by in-process RFP B at (30, 0), one by RFP C, and one
that subscribes through A. Each test uses handsets of its own (pytest-xdist may run the tests
of this module in different processes, each with a site of its own)."""
A_AT, C_AT = (0.0, 0.0), (-30.0, 0.0)

SITE = f"""
[system]
name = "air-link-test"

[[omm]]
name = "OMM"

[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"

[omm.settings.DECTSubscriptionMode]
mode = "Configured"

[omm.settings.DECTAuthCode]
ac = "{AC}"

[pbx]
realm = "air-link-test"

[[rfp]]
mac = "{MAC_B}"
name = "RFP B (in the world's process)"
x = 30.0
y = 0.0
preferred_sync = true

[[user]]
number = "201"
name = "Alice"
sip_password = "Air-Link-201x"
handset = "{ON_A}"

[[user]]
number = "202"
name = "Bob"
sip_password = "Air-Link-202x"
handset = "{ON_B}"

[[handset]]
ipei = "{ON_B}"
x = 27.0
y = 1.0
"""


@dataclass
class Site:
    emu: Emulator
    world: World
    control: Control
    axi: AxiClient
    server: AirLinkServer
    remote: RemoteAir
    rfp_a: VirtualRfp
    id_a: int  # OMM record ids; A, from outside, is on the air under its record id
    id_b: int
    air_b: int  # B is an RFP host of the system: its radio's id on the air

    def create_rfp(self, mac: str) -> int:
        return create_rfp(self.emu, mac)


def create_rfp(emu: Emulator, mac: str) -> int:
    """The OMM record an RFP needs before it can enrol; its id."""
    model = emu.omm.model
    rec = model.rfps.create({"ethAddr": mac, "dectOn": True}, model.sites.exists)
    return int(rec["id"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    tmp = tmp_path_factory.mktemp("air-link")
    async with Emulator(SITE, tmp / "world") as emu:
        system = emu.system
        assert system is not None and system.site.world is not None
        world = system.site.world
        omm = system.omms[0]
        server = AirLinkServer(world.air, "127.0.0.1", 0)
        await server.start()
        async with Control.of(system) as control:
            axi = await AxiClient.connect(emu.omm.host, emu.omm.port)
            await axi.login(emu.omm.username, emu.omm.password)
            b = next(r for r in await control.rfps() if r["mac"] == MAC_B)
            id_b, air_b = b["id"], b["air_id"]
            id_a = create_rfp(emu, MAC_A)
            remote = RemoteAir(RadioSite(id_a, *A_AT, id_a % 256), "127.0.0.1", server.port,
                               mac=parse_mac(MAC_A), reconnect_min=0.05, reconnect_max=0.2)
            await remote.start()
            await until(lambda: remote.up, "RFP A on the world's air")
            rfp_a = VirtualRfp(MAC_A, c.HardwareType.RFP35, omm.cfg.host, omm.rfp_link.port,
                               tmp / "rfp" / "a.key", RfpRadio(remote, id_a),
                               reconnect_min=0.05, reconnect_max=0.2)
            remote.on_epoch = lambda epoch: setattr(rfp_a.media, "epoch", epoch)
            await rfp_a.start()
            s = Site(emu, world, control, axi, server, remote, rfp_a, id_a, id_b, air_b)
            await synced(s, id_a)
            await control.add_handset(ON_A, 3.0, 1.0)  # Alice comes once A is there
            await registered(s, ON_A)
            try:
                yield s
            finally:
                await rfp_a.stop()
                await remote.stop()
                await server.stop()
                await axi.close()


# -- helpers ---------------------------------------------------------------------------------------
async def rfp_state(site: Site, rfp_id: int) -> dict[str, str]:
    return record(await site.axi.request("GetRFP", {"id": rfp_id, "withState": "true"}), "rfp")


async def synced(site: Site, rfp_id: int) -> None:
    async def probe() -> bool:
        state = await rfp_state(site, rfp_id)
        return state["connected"] == "true" and state["syncState"] == "Synced"
    await until(probe, f"RFP {rfp_id} connected and synced")


async def handset_on(site: Site, ref: str, rfp_id: int, **wanted: Any) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        h = await site.control.handset(ref)
        return h if h["rfp"] == rfp_id and all(h[k] == v for k, v in wanted.items()) else None
    return await until(probe, f"handset {ref} on RFP {rfp_id} ({wanted})")


async def call_state(site: Site, ref: str, state: str) -> None:
    async def probe() -> bool:
        return (await site.control.handset(ref))["call_state"] == state
    await until(probe, f"handset {ref} {state}")


async def hears(site: Site, ref: str, tone: float) -> None:
    await until(lambda: site.control.hears(ref, tone), f"handset {ref} to hear {tone:g} Hz")


async def registered(site: Site, ref: str) -> None:
    async def probe() -> bool:
        return bool((await site.control.handset(ref))["tpui"])
    await until(probe, f"handset {ref} registered")


# -- through the remote RFP ------------------------------------------------------------------------
async def test_the_remote_rfp_is_on_the_worlds_air_and_synced_to_its_neighbour(site: Site) -> None:
    assert site.server.remote_ids() == [site.id_a]
    assert site.world.air.rfps[site.id_a].up
    status = site.world.air.sync_status(site.id_a)
    assert status.synced and status.parent == site.air_b  # B is the preferred sync reference
    assert site.remote.sync_status(site.id_a) == status  # mirrored in the RFP's own view
    sync = await site.axi.request("GetRFPSync", {"id": site.id_a})
    assert sync.attrs["syncState"] == "Synced"
    assert {f.attrs["id"] for f in sync.children_named("forward")} == {str(site.id_b)}


async def test_a_handset_subscribes_and_location_registers_through_the_remote_rfp(
        site: Site) -> None:
    await site.axi.subscribe("PPTransaction", ppn=-1)
    watch = EventWatch(site.axi)
    frames_before = site.rfp_a.radio.counters.good_frames
    await site.control.add_handset(NEW, 2.0, -3.0)  # configured: it has a device record
    try:
        await handset_on(site, NEW, site.id_a, subscribed=True)
        await registered(site, NEW)
        dev = record(await site.axi.request("GetPPDevByIPEI", {"ipei": NEW}), "pp")
        assert dev["s"] == "Yes"
        await watch.wait("EventPPTransaction", lambda e: e.attrs["trType"] == "LocReg"
                         and e.attrs["ppn"] == dev["ppn"]
                         and e.attrs["rfpId"] == str(site.id_a))
        assert site.rfp_a.radio.counters.good_frames > frames_before
    finally:
        await site.control.remove_handset(NEW)


async def test_a_calls_voice_crosses_the_remote_rfp_both_ways(site: Site) -> None:
    await registered(site, ON_A)
    await registered(site, ON_B)
    alice = (await site.control.handset(ON_A))["id"]
    bob = (await site.control.handset(ON_B))["id"]
    counters = site.rfp_a.radio.counters
    voice_in, voice_out = counters.voice_frames_in, counters.voice_frames_out
    await site.control.dial(ON_A, "202")
    await call_state(site, ON_B, "incoming")
    await site.control.answer(ON_B)
    await call_state(site, ON_A, "connected")
    await hears(site, ON_B, default_tone_hz(alice))
    await hears(site, ON_A, default_tone_hz(bob))
    assert counters.voice_frames_in > voice_in and counters.voice_frames_out > voice_out
    assert (await site.control.handset(ON_A))["rfp"] == site.id_a
    for ref in (ON_A, ON_B):
        assert (await site.control.handset(ref))["voice"]["undecodable"] == 0
    await site.control.hang_up(ON_A)
    await call_state(site, ON_A, "idle")
    await call_state(site, ON_B, "idle")


async def test_without_the_world_the_rfp_leaves_the_air_and_comes_back_when_it_returns(
        site: Site) -> None:
    await registered(site, ON_A)
    await handset_on(site, ON_A, site.id_a)
    port, links = site.server.port, site.remote.link_count
    await site.server.stop()  # the world's air link is gone: its listener and every link
    try:
        assert site.id_a not in site.world.air.rfps
        await handset_on(site, ON_A, site.id_b, subscribed=True)  # moved to the neighbour
        await until(lambda: not site.remote.up, "the RFP to notice")

        async def not_synced() -> bool:
            return (await rfp_state(site, site.id_a))["syncState"] != "Synced"
        await until(not_synced, "the OMM to see RFP A lose its sync")
        assert (await rfp_state(site, site.id_a))["connected"] == "true"  # its OMM link stays
    finally:
        site.server = AirLinkServer(site.world.air, "127.0.0.1", port)
        await site.server.start()
    await until(lambda: site.remote.link_count == links + 1, "the RFP to reach the world again")
    await synced(site, site.id_a)
    await handset_on(site, ON_A, site.id_a)  # the stronger RFP again


async def test_a_second_rfp_with_the_same_id_is_refused(site: Site) -> None:
    intruder = RemoteAir(RadioSite(site.air_b, 5.0, 5.0, site.id_b % 256), "127.0.0.1",
                         site.server.port, mac=parse_mac(MAC_C), reconnect_min=5.0)
    await intruder.start()
    try:
        await until(lambda: intruder.last_close, "the world to answer")
        assert intruder.last_close == (
            f"the world refused: RFP {site.air_b} is on the world's air already")
        assert not intruder.up and site.server.remote_ids() == [site.id_a]
    finally:
        await intruder.stop()


async def test_junk_closes_its_own_connection_only(site: Site) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", site.server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), DEFAULT_TIMEOUT) == b""  # closed on us
    writer.close()
    assert site.server.remote_ids() == [site.id_a] and site.remote.up
    assert site.world.air.rfps[site.id_a].up


# -- in a process of its own -----------------------------------------------------------------------
async def test_an_rfp_process_joins_the_worlds_air_and_a_sigkill_takes_it_off(
        site: Site, tmp_path: Path) -> None:
    id_c = site.create_rfp(MAC_C)
    omm = site.emu.omm.service
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rfp.cli", "--omm", f"{omm.cfg.host}:{omm.rfp_link.port}",
        "--mac", MAC_C, "--data-dir", str(tmp_path), "--air",
        f"127.0.0.1:{site.server.port}", "--air-id", str(id_c), "--x", str(C_AT[0]),
        "--y", str(C_AT[1]), "--ssh-port", "0", "--snmp-port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), DEFAULT_TIMEOUT)
        assert line.startswith(b"READY ")
        ready = json.loads(line.removeprefix(b"READY "))
        assert ready["air"] == f"127.0.0.1:{site.server.port}"
        # Its SSH shell, taken over by the OMM: with remote access on, the OMM's full-access
        # account logs in.
        ssh_host, _, ssh_port = ready["ssh"].rpartition(":")
        await site.axi.request("SetRemoteAccess", {"enable": "true"})

        async def omm_shown() -> str | None:
            try:
                async with asyncssh.connect(ssh_host, int(ssh_port), known_hosts=None,
                                            username=site.emu.omm.username,
                                            password=site.emu.omm.password) as ssh:
                    shown = await ssh.run("omm", check=True)
            except asyncssh.PermissionDenied:  # the OMM's SYS_PASSWD is not there yet
                return None
            return str(shown.stdout)
        shown = await until(omm_shown, "a login with the OMM's account on RFP C's shell")
        await site.axi.request("SetRemoteAccess", {"enable": "false"})
        assert str(omm.rfp_link.port) in shown
        assert ready["snmp"].startswith("127.0.0.1:")
        await synced(site, id_c)
        assert id_c in site.server.remote_ids() and site.world.air.is_synced(id_c)
        await site.control.add_handset(ON_C, C_AT[0] + 2.0, 1.0)
        await handset_on(site, ON_C, id_c, subscribed=True)
        await registered(site, ON_C)
        proc.send_signal(signal.SIGKILL)
        await until(lambda: id_c not in site.world.air.rfps, "RFP C off the world's air")
        await handset_on(site, ON_C, site.id_a)  # the nearest RFP left

        async def gone() -> bool:
            return (await rfp_state(site, id_c))["connected"] == "false"
        await until(gone, "the OMM to see RFP C gone")
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        await site.control.remove_handset(ON_C)
