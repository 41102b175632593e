"""An RFP's SNMP agent and traps against Debian's net-snmp tools (issue 16 item 2; seed 000
"SNMP Support"; standby-eventmgr.md B.6): the OMM configures the agent over the link
(SNMP_RFP_UPDATE), snmpget/snmpwalk read MIB-II system and interfaces, a wrong community
gets no answer, snmpset is refused, snmptrapd receives the RFP's traps.

The net-snmp tools run as subprocesses awaited on the loop the agent answers on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from interop_peers import need
from snmp_peers import Snmptrapd, start_snmptrapd

from omm.model import OmmModel, OmmSetup
from omm.rfplink import RfpLinkServer
from omm.snmp import SETTING
from rfp.radio import RfpRadio
from rfp.station import VirtualRfp
from sim.air import Air, schedule_deliveries
from sipdect.link import constants as c
from sipdect.link.system import SysReset
from sipdect.net import HostNet
from sipdect.snmp import oids
from sipdect.waiting import until

pytestmark = [pytest.mark.interop]

MAC = "00:30:42:1b:17:37"
RFP_ADDRESS = "127.0.0.71"
COMMUNITY = "ro-Kx81"
TRAPS = "trap-Kx81"


class SnmpSite:
    """An OMM model, its RFP link server and one RFP with an SNMP agent at its address."""

    def __init__(self, tmp_path: Path, trap_port: int) -> None:
        self.model = OmmModel(tmp_path / "omm", OmmSetup())
        self.model.settings.update("PARK", {"park": "1F102AF12C"}, notify=False)
        self.server = RfpLinkServer(self.model, "127.0.0.1", 0, heartbeat_interval=1,
                                    handshake_timeout=0.5)
        self.air = Air()
        self.trap_port = trap_port
        rec = self.model.rfps.create({"ethAddr": MAC, "dectOn": True, "name": "Lobby",
                                      "location": "Hall 2"}, self.model.sites.exists)
        self.rfp_id = int(rec["id"])
        self.air.add_rfp(self.rfp_id, 0, 0)
        self.rfp: VirtualRfp

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.air.epoch = loop.time()
        schedule_deliveries(self.air, loop.call_soon, loop.time)
        await self.server.start()
        self.rfp = VirtualRfp(MAC, c.HardwareType.RFP35, "127.0.0.1", self.server.port, None,
                              RfpRadio(self.air, self.rfp_id), reconnect_min=0.05,
                              reconnect_max=0.2, reboot_time=0.01,
                              net=HostNet("rfp", RFP_ADDRESS), snmp_port=0,
                              trap_port=self.trap_port)
        await self.rfp.start()
        await until(lambda: self.rfp.snmp is not None and self.rfp.snmp.config is not None,
                    "the RFP's SNMP configuration")

    def set_snmp(self, **values: object) -> None:
        self.model.settings.update(SETTING, values)

    @property
    def agent(self) -> str:
        assert self.rfp.snmp is not None and self.rfp.snmp.bound_port is not None
        return f"udp:{RFP_ADDRESS}:{self.rfp.snmp.bound_port}"

    async def stop(self) -> None:
        await self.rfp.stop()
        await self.server.stop()
        self.model.close()


async def net_snmp(tool: str, *args: str) -> tuple[int, str]:
    """Run snmpget/snmpwalk/snmpset: numeric OIDs, no MIBs, one try of 1 s."""
    process = await asyncio.create_subprocess_exec(
        need(tool), "-On", "-m", "", "-t", "1", "-r", "0", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={"MIBS": "", "PATH": "/usr/bin:/bin"})
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode("utf-8", "replace")


@pytest.fixture
def trapd(tmp_path: Path) -> Iterator[Snmptrapd]:
    receiver = start_snmptrapd(tmp_path / "trapd")
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
async def site(tmp_path: Path, trapd: Snmptrapd) -> AsyncIterator[SnmpSite]:
    s = SnmpSite(tmp_path, trapd.port)
    s.set_snmp(readCommunity=COMMUNITY, contact="ops@example.org")
    await s.start()
    await until(lambda: s.rfp.snmp is not None and s.rfp.snmp.agent.community == COMMUNITY,
                "the read community at the RFP")
    yield s
    await s.stop()


async def test_snmpget_reads_the_system_group_the_omm_configured(site: SnmpSite) -> None:
    rc, out = await net_snmp("snmpget", "-v2c", "-c", COMMUNITY, site.agent,
                             str(oids.SYS_DESCR_0), str(oids.SYS_OBJECT_ID_0),
                             str(oids.SYS_UP_TIME_0), str(oids.SYS_CONTACT_0),
                             str(oids.SYS_NAME_0), str(oids.SYS_LOCATION_0))
    assert rc == 0, out
    assert f'.{oids.SYS_DESCR_0} = STRING: "RFP35 SIP-DECT 9.2-sipdect"' in out
    assert f".{oids.SYS_OBJECT_ID_0} = OID: .{oids.NET_SNMP_LINUX}" in out
    assert f".{oids.SYS_UP_TIME_0} = Timeticks: (" in out
    assert f'.{oids.SYS_CONTACT_0} = STRING: "ops@example.org"' in out
    assert f'.{oids.SYS_NAME_0} = STRING: "Lobby (00:30:42:1B:17:37)"' in out
    assert f'.{oids.SYS_LOCATION_0} = STRING: "Hall 2"' in out
    # v1 too, and a missing object is v1's noSuchName.
    rc, out = await net_snmp("snmpget", "-v1", "-c", COMMUNITY, site.agent,
                             str(oids.SYS_NAME_0))
    assert rc == 0 and "Lobby" in out, out
    rc, out = await net_snmp("snmpget", "-v1", "-c", COMMUNITY, site.agent, "1.3.6.1.2.1.99.0")
    assert "noSuchName" in out, out


async def test_snmpwalk_walks_system_and_interfaces(site: SnmpSite) -> None:
    rc, out = await net_snmp("snmpwalk", "-v2c", "-c", COMMUNITY, site.agent, "1.3.6.1.2.1.1")
    assert rc == 0, out
    walked = [line.split(" = ")[0] for line in out.splitlines() if " = " in line]
    assert walked == [f".{o}" for o in (oids.SYS_DESCR_0, oids.SYS_OBJECT_ID_0,
                                        oids.SYS_UP_TIME_0, oids.SYS_CONTACT_0,
                                        oids.SYS_NAME_0, oids.SYS_LOCATION_0,
                                        oids.SYS_SERVICES_0)]
    rc, out = await net_snmp("snmpwalk", "-v1", "-c", COMMUNITY, site.agent, "1.3.6.1.2.1.2")
    assert rc == 0, out
    assert f".{oids.IF_NUMBER_0} = INTEGER: 2" in out
    assert f'.{oids.IF_ENTRY.child(oids.IF_DESCR, 2)} = STRING: "eth0"' in out
    assert f".{oids.IF_ENTRY.child(oids.IF_PHYS_ADDRESS, 2)} = Hex-STRING: 00 30 42 1B 17 37" \
        in out
    octets = next(line for line in out.splitlines()
                  if line.startswith(f".{oids.IF_ENTRY.child(oids.IF_IN_OCTETS, 2)} "))
    assert int(octets.rsplit(" ", 1)[1]) > 0  # the OMM link's traffic
    rc, bulk = await net_snmp("snmpbulkwalk", "-v2c", "-c", COMMUNITY, site.agent,
                              "1.3.6.1.2.1.2")
    # GetBulk past the last object: endOfMibView, which snmpbulkwalk prints as it is.
    assert rc == 0 and bulk.count(" = ") - bulk.count("No more variables") \
        == out.count(" = "), bulk


async def test_a_wrong_community_gets_no_answer_and_set_is_refused(site: SnmpSite) -> None:
    rc, out = await net_snmp("snmpget", "-v2c", "-c", "public", site.agent,
                             str(oids.SYS_NAME_0))
    assert rc != 0 and "Timeout" in out, out
    rc, out = await net_snmp("snmpset", "-v2c", "-c", COMMUNITY, site.agent,
                             str(oids.SYS_NAME_0), "s", "hacked")
    assert rc != 0 and "noAccess" in out, out
    rc, out = await net_snmp("snmpset", "-v1", "-c", COMMUNITY, site.agent,
                             str(oids.SYS_NAME_0), "s", "hacked")
    assert rc != 0 and "noSuchName" in out, out
    rc, out = await net_snmp("snmpget", "-v2c", "-c", COMMUNITY, site.agent,
                             str(oids.SYS_NAME_0))
    assert "hacked" not in out and "Lobby" in out, out


async def test_traps_reach_snmptrapd_when_enabled(site: SnmpSite, trapd: Snmptrapd) -> None:
    site.set_snmp(enableTraps=True, trapCommunity=TRAPS, trapHostAddr="127.0.0.1")
    # The configuration changed: net-snmp's restart notification.
    await until(lambda: len(trapd.traps()) >= 1, "nsNotifyRestart at snmptrapd")
    assert site.server.send(site.rfp_id, SysReset())
    await until(lambda: site.rfp.link_count >= 2 and site.rfp.linked, "the RFP back")
    seen = await asyncio.to_thread(trapd.wait_traps, 4)
    kinds = [t.trap_oid for t in seen]
    assert kinds[:2] == [str(oids.NS_NOTIFY_RESTART), str(oids.NS_NOTIFY_SHUTDOWN)], kinds
    assert str(oids.RFP_OMM_LINK_DOWN) in kinds and str(oids.COLD_START) in kinds, kinds
    assert all(t.community == TRAPS for t in seen)
    assert f"[{RFP_ADDRESS}]" in trapd.output()  # from the RFP's own address
    await until(lambda: str(oids.RFP_OMM_LINK_UP) in [t.trap_oid for t in trapd.traps()],
                "the link-up trap after the reboot")
    up = next(t for t in trapd.traps() if t.trap_oid == str(oids.RFP_OMM_LINK_UP))
    assert up.text(oids.RFP_MAC) == MAC.upper()


async def test_with_traps_off_the_event_goes_to_the_event_log(site: SnmpSite,
                                                              trapd: Snmptrapd) -> None:
    site.set_snmp(enableTraps=False, trapCommunity=TRAPS, trapHostAddr="127.0.0.1")
    assert site.server.send(site.rfp_id, SysReset())
    await until(lambda: any(f"RFP {site.rfp_id} disconnected" in e.msg
                            for e in site.model.event_log.entries(0, 100)),
                "the RFP's disconnection in the event log")
    await until(lambda: site.rfp.link_count >= 2 and site.rfp.linked, "the RFP back")
    assert trapd.traps() == []
