"""The OMM's RFP link server against virtual RFPs and misbehaving peers on loopback sockets.

omm-rfp.md §1-§2 (TCP 16321, login, keys), §5.3 (RFPC/SYNC), features.md §2.3 (enrolment,
capture list, RFP states, LEDs). Waits are for the state a test needs (sipdect.waiting.until).
"""

from __future__ import annotations

import asyncio
import os
import random as stdlib_random
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from omm.model import OmmModel, OmmSetup
from omm.rfplink import RfpLinkServer
from omm.rfps import LINK_KEY_FIELD
from rfp.radio import RfpRadio
from rfp.station import VirtualRfp
from sim.air import Air, schedule_deliveries
from sim.primitives import AirConnect, AirRelease
from sipdect.link import constants as c
from sipdect.link.dnm import Dnm
from sipdect.link.handshake import RfpLinkConnection
from sipdect.link.system import SysInit, SysReset
from sipdect.waiting import DEFAULT_TIMEOUT, until

MAC_A = "00:30:42:1b:17:37"
MAC_B = "00:30:42:1b:17:38"
MAC_UNKNOWN = "00:30:42:ff:00:01"


class Site:
    """One OMM model with its RFP link server, an air, and the RFPs started on it."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.model = OmmModel(tmp_path / "omm", OmmSetup())
        self.model.settings.update("PARK", {"park": "1F102AF12C"}, notify=False)
        self.dnms: list[tuple[int, Dnm]] = []
        self.server = RfpLinkServer(self.model, "127.0.0.1", 0, self._on_dnm,
                                    heartbeat_interval=1, handshake_timeout=0.5)
        self.air = Air()
        self.rfps: list[VirtualRfp] = []

    def _on_dnm(self, rfp_id: int, dnm: Dnm) -> None:
        self.dnms.append((rfp_id, dnm))

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.air.epoch = loop.time()
        schedule_deliveries(self.air, loop.call_soon, loop.time)
        await self.server.start()

    def add_rfp(self, mac: str, x: float = 0.0, dect_on: bool = True) -> int:
        rec = self.model.rfps.create({"ethAddr": mac, "dectOn": dect_on}, self.model.sites.exists)
        return int(rec["id"])

    def virtual_rfp(self, mac: str, rfp_id: int, x: float = 0.0) -> VirtualRfp:
        if rfp_id not in self.air.rfps:
            self.air.add_rfp(rfp_id, x, 0)
        radio = self.air_radio(rfp_id)
        rfp = VirtualRfp(mac, c.HardwareType.RFP35, "127.0.0.1", self.server.port,
                         self.key_path(mac), radio, reconnect_min=0.05, reconnect_max=0.2,
                         reboot_time=0.01)
        self.rfps.append(rfp)
        return rfp

    def air_radio(self, rfp_id: int) -> RfpRadio:
        return RfpRadio(self.air, rfp_id)

    def key_path(self, mac: str) -> Path:
        return self.tmp_path / "rfp" / (mac.replace(":", "") + ".key")

    def live(self, rfp_id: int) -> dict[str, object]:
        return self.model.rfps.live(rfp_id)

    def log_has(self, text: str) -> bool:
        return any(text in e.msg for e in self.model.event_log.entries(0, 1000))

    async def stop(self) -> None:
        for rfp in self.rfps:
            await rfp.stop()
        await self.server.stop()
        self.model.close()


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    s = Site(tmp_path)
    await s.start()
    yield s
    await s.stop()


async def synced(site: Site, rfp_id: int) -> None:
    await until(lambda: bool(site.live(rfp_id)["connected"]), f"RFP {rfp_id} connected")
    await until(lambda: site.live(rfp_id)["syncState"] == "Synced", f"RFP {rfp_id} synced")


# -- enrolment and state ---------------------------------------------------------------------
async def test_enrolment_stores_the_key_sealed_and_the_next_login_uses_it(site: Site) -> None:
    rfp_id = site.add_rfp(MAC_A)
    rfp = site.virtual_rfp(MAC_A, rfp_id)
    await rfp.start()
    await synced(site, rfp_id)
    live = site.live(rfp_id)
    assert live["ipAddr"] == "127.0.0.1" and live["dectRunning"]
    assert live["swVersion"] == "SIP-DECT 9.2-sipdect"
    assert site.model.rfps.get(rfp_id)["hwType"] == "RFP 35"
    assert site.log_has(f"RFP {rfp_id} ({MAC_A}) enrolled")

    key_file = site.key_path(MAC_A)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = bytes.fromhex(key_file.read_text())
    assert len(key) == 64
    assert site.model.rfps.link_key(rfp_id, site.model.vault) == key
    token = site.model.rfps.get(rfp_id)[LINK_KEY_FIELD]
    assert token.startswith("v1:")
    stored = b"".join(p.read_bytes() for p in (site.tmp_path / "omm").glob("omm.sqlite*"))
    assert token.encode() in stored
    assert key not in stored and key.hex().encode() not in stored
    assert key.hex().upper().encode() not in stored

    await rfp.stop()
    await until(lambda: not site.live(rfp_id)["connected"], "RFP disconnected")
    assert site.live(rfp_id)["syncState"] == "Inactive"
    assert site.log_has(f"RFP {rfp_id} disconnected")
    rfp2 = VirtualRfp(MAC_A, c.HardwareType.RFP35, "127.0.0.1", site.server.port, key_file,
                      rfp.radio, reconnect_min=0.05)
    site.rfps.append(rfp2)
    await rfp2.start()
    await synced(site, rfp_id)
    assert rfp2.link_count == 1
    assert sum("enrolled" in e.msg for e in site.model.event_log.entries(0, 1000)) == 1
    assert site.model.rfps.link_key(rfp_id, site.model.vault) == key
    assert bytes.fromhex(key_file.read_text()) == key


async def test_power_off_and_on_and_leds(site: Site) -> None:
    rfp_id = site.add_rfp(MAC_A)
    rfp = site.virtual_rfp(MAC_A, rfp_id)
    await rfp.start()
    await synced(site, rfp_id)
    await until(lambda: rfp.leds.get(0) == c.LedColour.GREEN, "the green LED")
    rfp.power_off()
    assert rfp.leds == {} and not site.air.rfps[rfp_id].up
    await until(lambda: not site.live(rfp_id)["connected"], "RFP disconnected")
    assert site.live(rfp_id)["syncState"] == "Inactive"
    assert not site.live(rfp_id)["dectRunning"]
    assert site.server.connected_ids() == []
    rfp.power_on()
    await synced(site, rfp_id)
    assert rfp.link_count == 2


async def test_sys_reset_makes_the_rfp_reconnect(site: Site) -> None:
    rfp_id = site.add_rfp(MAC_A)
    rfp = site.virtual_rfp(MAC_A, rfp_id)
    await rfp.start()
    await synced(site, rfp_id)
    assert site.server.send(rfp_id, SysReset())
    await until(lambda: rfp.link_count == 2, "the RFP's second link")
    await synced(site, rfp_id)
    assert site.log_has(f"RFP {rfp_id} disconnected")


async def test_two_rfps_sync_over_the_air_and_report_relations(site: Site) -> None:
    a, b = site.add_rfp(MAC_A), site.add_rfp(MAC_B)
    first, second = site.virtual_rfp(MAC_A, a, x=0.0), site.virtual_rfp(MAC_B, b, x=40.0)
    await first.start()
    await second.start()
    await synced(site, a)
    await synced(site, b)
    await until(lambda: site.live(b)["nSyncRels"] == 1, "relations reported")
    (relation,) = site.model.rfps.sync_relations[b]
    assert relation["id"] == a and relation["rssi"] == -64
    first.power_off()
    # b becomes the reference of its cluster and stays synced; it loses its relation
    await until(lambda: site.live(b)["nSyncRels"] == 0, "relation gone")
    assert site.live(b)["syncState"] == "Synced"


async def test_dect_off_over_the_model_deactivates_the_air_interface(site: Site) -> None:
    rfp_id = site.add_rfp(MAC_A)
    rfp = site.virtual_rfp(MAC_A, rfp_id)
    await rfp.start()
    await synced(site, rfp_id)
    site.model.rfps.update(rfp_id, {"dectOn": False}, site.model.sites.exists)
    await until(lambda: not site.live(rfp_id)["dectRunning"], "DECT off")
    assert site.live(rfp_id)["syncState"] == "Inactive" and site.live(rfp_id)["connected"]
    assert not site.air.rfps[rfp_id].up
    site.model.rfps.update(rfp_id, {"dectOn": True}, site.model.sites.exists)
    await synced(site, rfp_id)


async def test_dnm_handler_and_send_dnm(site: Site) -> None:
    rfp_id = site.add_rfp(MAC_A)
    rfp = site.virtual_rfp(MAC_A, rfp_id)
    await rfp.start()
    await synced(site, rfp_id)
    site.air.add_handset(1, 3, 0)
    got: list[object] = []
    site.air.attach_handset(1, lambda rfp_id, prim, now: got.append(prim))
    assert site.air.send_from_handset(1, rfp_id, AirConnect(0x2B))
    await until(lambda: bool(site.dnms), "MAC_CON_IND at the fixed part")
    ((from_id, con_ind),) = site.dnms
    assert from_id == rfp_id and con_ind.primitive == c.DnmPrimitive.MAC_CON_IND
    assert site.server.send_dnm(rfp_id, Dnm.mac(c.DnmPrimitive.MAC_DIS_REQ, con_ind.mcei))
    assert not site.server.send_dnm(rfp_id + 1, Dnm.mac(c.DnmPrimitive.MAC_DIS_REQ, 1))
    await until(lambda: len(site.dnms) == 2, "MAC_DIS_IND at the fixed part")
    assert site.dnms[1][1].primitive == c.DnmPrimitive.MAC_DIS_IND
    assert AirRelease(0x2B, 1) in got


# -- unknown RFPs ----------------------------------------------------------------------------
async def test_unknown_rfp_is_captured_when_capturing_is_on(site: Site) -> None:
    site.model.settings.update("RFPCapture", {"enable": True})
    site.air.add_rfp(99, 0, 0)
    rfp = site.virtual_rfp(MAC_UNKNOWN, 99)
    await rfp.start()
    await until(lambda: bool(site.model.rfps.capture_list()), "captured")
    (entry,) = site.model.rfps.capture_list()
    assert entry["ethAddr"] == MAC_UNKNOWN and entry["ipAddr"] == "127.0.0.1"
    assert entry["hwType"] == "RFP 35" and entry["time"] > 0
    await until(lambda: rfp.last_failure, "the RFP's failed login")
    assert rfp.last_failure is not None
    assert rfp.last_failure.failure.value == "rejected" and not rfp.linked
    assert site.log_has(f"unknown RFP {MAC_UNKNOWN} (RFP 35) at 127.0.0.1 tried to connect; "
                        "added to the capture list")
    site.model.rfps.delete_captured(MAC_UNKNOWN)
    assert site.model.rfps.capture_list() == []


async def test_unknown_rfp_is_only_logged_when_capturing_is_off(site: Site) -> None:
    site.air.add_rfp(99, 0, 0)
    rfp = site.virtual_rfp(MAC_UNKNOWN, 99)
    await rfp.start()
    await until(lambda: site.log_has(f"unknown RFP {MAC_UNKNOWN}"), "logged")
    assert site.model.rfps.capture_list() == []
    assert not site.key_path(MAC_UNKNOWN).exists()


# -- misbehaving peers -----------------------------------------------------------------------
async def _auth(site: Site) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", site.server.port)
    header = await reader.readexactly(4 + c.AUTHENTICATE_LENGTH)
    assert header[:4] == bytes.fromhex("012d0020")
    return reader, writer, header[4:]


async def _closed_by_omm(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        rest = await asyncio.wait_for(reader.read(), DEFAULT_TIMEOUT)
    except ConnectionResetError:
        rest = b""
    writer.close()
    assert rest == b"" or rest[:2] != bytes.fromhex("0001")  # never an ACK


def _sys_init(challenge: bytes, mac: str) -> bytes:
    return SysInit.create(auth_payload=challenge, mac=bytes.fromhex(mac.replace(":", ""))).encode()


async def test_misbehaving_peers_are_closed_and_logged_while_a_good_rfp_stays(
        site: Site) -> None:
    good = site.add_rfp(MAC_A)
    other = site.add_rfp(MAC_B)
    rfp = site.virtual_rfp(MAC_A, good)
    await rfp.start()
    await synced(site, good)

    async def check(expected_log: str) -> None:
        await until(lambda: site.log_has(expected_log), expected_log)
        assert site.live(good)["connected"] and site.server.connected_ids() == [good]
        assert site.live(good)["syncState"] == "Synced" and rfp.link_count == 1

    # a SYS_INIT signed for another challenge
    reader, writer, challenge = await _auth(site)
    writer.write(_sys_init(bytes(32), MAC_B))
    await _closed_by_omm(reader, writer)
    await check("is not signed")

    # a known RFP logging in with another key than the one stored for it
    site.model.rfps.store_link_key(other, os.urandom(64), site.model.vault)
    reader, writer, _ = await _auth(site)
    link = RfpLinkConnection(0.0, mac=bytes.fromhex(MAC_B.replace(":", "")),
                             random=os.urandom, key=os.urandom(64))
    link.receive_data(bytes.fromhex("012d0020") + _, 0.0)
    writer.write(link.data_to_send())
    ack = await reader.readexactly(12)
    link.receive_data(ack, 0.0)
    assert link.state.name == "RUNNING"
    writer.write(link.data_to_send())  # SYS_ENCRYPTION_CONF under the wrong key
    await _closed_by_omm(reader, writer)
    await check("uses another key than the one stored for it")
    assert not site.live(other)["connected"]

    # a SYS_INIT cut short inside a consistent frame
    reader, writer, challenge = await _auth(site)
    writer.write(bytes.fromhex("01200010") + _sys_init(challenge, MAC_B)[4:20])
    await _closed_by_omm(reader, writer)
    await check("SYS_INIT payload is 16 bytes")

    # a SYS_INIT cut short by the peer closing
    reader, writer, challenge = await _auth(site)
    writer.write(_sys_init(challenge, MAC_B)[:100])
    writer.write_eof()
    await _closed_by_omm(reader, writer)
    await check("closed the connection while waiting for SYS_INIT")

    # random bytes
    reader, writer, _ = await _auth(site)
    writer.write(stdlib_random.Random(7).randbytes(300))
    await _closed_by_omm(reader, writer)
    await check("RFP 127.0.0.1 refused")

    # silence until the handshake times out
    def occurrences() -> int:  # merged into one entry per source address, with a count
        return sum(e.count for e in site.model.event_log.entries(0, 1000))

    before = occurrences()
    reader, writer, _ = await _auth(site)
    await _closed_by_omm(reader, writer)
    await check("no login from the RFP within 0.5 s")
    assert occurrences() == before + 1

    # and the good RFP's link still carries traffic
    assert site.server.send_dnm(good, Dnm.rfpc(c.RfpcPrimitive.STATISTICS_DATA_REQ))
