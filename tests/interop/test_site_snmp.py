"""A configured site's RFP hosts serve SNMP where the ready information says, with the
community of the config's [omm.settings.SNMP] (issue 16 item 2, README "SNMP")."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from test_rfp_snmp import net_snmp

from sipdect.app.config import parse_config
from sipdect.app.emulator import Emulator
from sipdect.snmp import oids
from sipdect.waiting import until

pytestmark = [pytest.mark.interop, pytest.mark.slow]

SNMP = """
[omm.settings.SNMP]
readCommunity = "site-Kx81"
contact = "noc@example.org"
"""


async def test_every_rfp_host_answers_at_its_endpoint(tmp_path: Path) -> None:
    text = resources.files("sipdect.app").joinpath("data/default.toml").read_text("utf-8")
    cfg = parse_config(text + SNMP, "default.toml + SNMP")
    async with Emulator(cfg, tmp_path) as emu:
        system = emu.system
        assert system is not None
        hosts = system.rfp_hosts()
        await until(lambda: all(h.station is not None and h.station.linked for h in hosts),
                    "every RFP linked")
        endpoints = [e for e in system.ready_info(secrets=False)["endpoints"]
                     if e["component"] == "rfp" and e["protocol"] == "snmp"]
        assert {(e["name"], e["host"]) for e in endpoints} == {
            (h.name, h.address) for h in hosts}
        by_name = {h.name: h for h in hosts}
        await until(lambda: all(h.station is not None and h.station.snmp is not None
                                and h.station.snmp.config is not None for h in hosts),
                    "every agent's configuration")
        for e in endpoints:
            rc, out = await net_snmp("snmpget", "-v2c", "-c", "site-Kx81",
                                     f"udp:{e['host']}:{e['port']}", str(oids.SYS_CONTACT_0),
                                     str(oids.SYS_NAME_0))
            assert rc == 0 and "noc@example.org" in out and e["name"] in out, out
            host = by_name[e["name"]]
            assert host.describe()["snmp"] == e["port"]
            assert host.air_id is not None
            assert system.describe_rfp(host.air_id)["snmp"] == e["port"]
