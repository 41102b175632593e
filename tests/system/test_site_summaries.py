"""The default site (`sipdect up`: two RFPs, two handsets, two users registered at the call
server) as an AXI client sees it: every summary counter is the sum of the per-record answers,
and a message addressed `ppn:N` reaches that handset (issue 9; axi.md §3.4, §5.6).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from site_helpers import EventWatch

from sipdect.app.config import load_config
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element
from sipdect.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


@dataclass
class Site:
    emu: Emulator
    axi: AxiClient


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with Emulator(load_config(), Path(tmp_path_factory.mktemp("default"))) as emu:
        axi = await AxiClient.connect(emu.omm.host, emu.omm.port)
        await axi.login(emu.omm.username, emu.omm.password)
        try:
            yield Site(emu, axi)
        finally:
            await axi.close()


async def records(axi: AxiClient, request: str, key: str, child: str,
                  **extra: object) -> list[dict[str, str]]:
    """Every record of a paged Get... request, as a client pages through them."""
    out: list[dict[str, str]] = []
    start = 0
    while True:
        page = await axi.request(request, {key: start, "maxRecords": 20, **extra}, check=False)
        if page.attrs.get("errCode") == "ENoEnt":
            return out
        out += [dict(r.attrs) for r in page.children_named(child)]
        start = int(out[-1][key]) + 1


async def pp_states(axi: AxiClient) -> dict[int, dict[str, str]]:
    devices = await records(axi, "GetPPDev", "ppn", "pp")
    return {int(d["ppn"]): dict((await axi.request("GetPPState", {"ppn": d["ppn"]})).attrs)
            for d in devices}


async def both_registered(axi: AxiClient) -> dict[int, dict[str, str]] | None:
    """GetPPState of both devices once both are on the air (subscribed and located: the call
    state leaves "none") and both users registered at the call server."""
    subscribed = count(await records(axi, "GetPPDev", "ppn", "pp"), "s", "Yes")
    states = await pp_states(axi)
    return states if subscribed == "2" and len(states) == 2 and all(
        s["registered"] == "1" and s["callState"] != "none" for s in states.values()) else None


READY = "both handsets on the air and both users registered"


def count(recs: list[dict[str, str]], name: str, value: str) -> str:
    return str(sum(1 for r in recs if r.get(name) == value))


async def test_summary_counters_are_the_sums_of_the_records(site: Site) -> None:
    axi = site.axi
    states = await until(lambda: both_registered(axi), READY)
    users = await records(axi, "GetPPUser", "uid", "user")
    devices = await records(axi, "GetPPDev", "ppn", "pp")
    rfps = await records(axi, "GetRFP", "id", "rfp", withState="true")
    summary = (await axi.request("GetPPUserSummary")).attrs
    assert summary["nRecords"] == str(len(users)) == "2"
    registered = [u for u in users if states.get(int(u["ppn"]), {}).get("registered") == "1"]
    assert summary["nSipRegistration"] == str(len(registered)) == "2"
    assert summary["nLocatable"] == count(users, "locatable", "1")
    assert summary["nBtLocatable"] == count(users, "BTlocatable", "1")
    assert summary["nMsgSend"] == count(users, "msgRight", "1")
    assert summary["usersActiveMonitored"] == count(users, "monitoringMode", "Active")
    assert summary["uidFirst"] == min(u["uid"] for u in users)

    summary = (await axi.request("GetPPDevSummary")).attrs
    assert summary["nRecords"] == str(len(devices))
    assert summary["subscribedDevs"] == count(devices, "s", "Yes") == "2"

    summary = (await axi.request("GetRFPSummary")).attrs
    assert summary["nRFPs"] == str(len(rfps)) == "2"
    assert summary["nConnected"] == count(rfps, "connected", "true")
    assert summary["DECTactivatedRFPs"] == count(rfps, "dectOn", "true")
    assert summary["DECTactiveRFPs"] == count(rfps, "dectRunning", "true")
    assert summary["WLANactivatedRFPs"] == count(rfps, "wlanOn", "true")

    sites = await records(axi, "GetSite", "id", "site")
    assert (await axi.request("GetSiteSummary")).attrs["nRecords"] == str(len(sites))
    accounts = await records(axi, "GetAccount", "id", "account")
    assert (await axi.request("GetAccountSummary")).attrs["nRecords"] == str(len(accounts))


async def test_a_message_to_ppn_n_reaches_that_handset(site: Site) -> None:
    axi = site.axi
    states = await until(lambda: both_registered(axi), READY)
    ppn = min(states)
    await axi.subscribe("MessageProgress")
    watch = EventWatch(axi)
    answer = await axi.request("SendMessage", children=[element(
        "msg", {"id": 77, "toAddr": f"ppn:{ppn}", "content": "to the device itself"})])
    assert "errCode" not in answer.attrs

    def delivered(e: Message) -> bool:
        return e.attrs["id"] == "77" and e.attrs["event"] == "Delivered"

    progress = await watch.wait("EventMessageProgress", delivered)
    assert progress.attrs["toAddr"] == f"ppn:{ppn}"
