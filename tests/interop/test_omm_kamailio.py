"""The OMM's SIP side against an independent registrar: a system whose BasicSIP points at
kamailio registers every configured DECT user there; kamailio's location table lists them
and the OMM reports them registered (GetPPState over AXI)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from interop_peers import KAMAILIO_USERS, Kamailio

from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.waiting import until

pytestmark = pytest.mark.interop


def system_config(kamailio: Kamailio) -> str:
    return f"""
[system]
control_port = 0
[[omm]]
name = "OMM"
[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"
[omm.settings.BasicSIP]
proxyServer = "127.0.0.1"
proxyPort = {kamailio.port}
regServer = "127.0.0.1"
regPort = {kamailio.port}
transportProt = "UDP"
regPeriod = 600
[[user]]
number = "201"
name = "Alice"
sip_password = "{KAMAILIO_USERS['201']}"
handset = "03074 0220259 3"
[[user]]
number = "202"
name = "Bob"
sip_password = "{KAMAILIO_USERS['202']}"
handset = "00077 0010001 6"
"""


async def test_omm_users_register_at_kamailio(kamailio: Kamailio, tmp_path: Path) -> None:
    async with Emulator(system_config(kamailio), tmp_path) as emu:
        assert emu.system is not None and emu.system.pbx is None  # no embedded call server
        seen = await asyncio.to_thread(kamailio.wait_registered, ["201", "202"])
        assert {"201", "202"} <= seen, kamailio.output()[-3000:]
        model = emu.omm.model
        client = await AxiClient.connect(emu.omm.host, emu.omm.port)
        try:
            await client.login(emu.omm.username, emu.omm.password)
            for number in ("201", "202"):
                ppn = model.users.find_by_number(number)["ppn"]

                async def primary(ppn: int = ppn) -> dict[str, str] | None:
                    # the state is published a moment after the 200
                    state = (await client.request("GetPPState", {"ppn": ppn})).attrs
                    return state if state.get("regServerType") == "Primary" else None

                state = await until(primary, f"GetPPState of {number} naming kamailio",
                                    interval=0.1)
                assert state["regServerPort"] == str(kamailio.port)
        finally:
            await client.close()
        dump = await asyncio.to_thread(kamailio.rpc, "ul.dump")
        # The Contacts name the OMM's own address: its registrations leave from it.
        host = emu.omm.host
        assert f"sip:201@{host}" in dump and f"sip:202@{host}" in dump
