"""Locating end to end (features.md §2.8, docs/eventmgr.md "Locating"): RequestPositionInfo
over AXI makes the OMM ask the handset over DECT which RFPs it hears; EventPositionInfo names
the RFP it is near first, and another after it walked; refused without the Locating
permission and for a user who is not locatable. The Event Manager locates its users: an ESPA
call whose rule targets "near RFP Station" reaches only the handset there, a handset walking
out of range fires the user-lost rule, and an emergency takes a handset's display from a
normal message, which comes back once the emergency is answered.

The alarm demo's site (configs/alarm.toml): RFP Ward at (0, 0) with Alice (201) beside it,
RFP Station at (30, 0) with Bob (202); Carol (203, beside Ward) is not locatable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from site_helpers import Control, EventWatch, ipei

from eventmgr.rules import Rule
from sipdect.app.config import parse_config
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.espa.codec import call
from sipdect.espa.edge import ControlClient, connect_tcp
from sipdect.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "alarm.toml"
CAROL = ipei(203)
EXTRA = f"""
[[omm.accounts]]
username = "monitor"
password = "Sipdect-Monitor-2026"
permissions = ["AllCnfRead", "Messaging", "Monitoring"]

[[user]]
number = "203"
name = "Carol"
sip_password = "Sipdect-Sip-203"
handset = "{CAROL}"

[[handset]]
ipei = "{CAROL}"
name = "Carol"
x = 3.0
y = -2.0
"""
LOCATE_EVERY_S = 2.0
"""The Event Manager's locating round, short for the test."""


def config_text() -> str:
    text = CONFIG.read_text()
    head, sep, tail = text.partition("[eventmgr]")
    return (head + EXTRA + sep + tail.replace('traps = [{ host = "127.0.0.1", port = 10162, '
                                              'community = "public" }]',
                                              f"traps = []\nlocate_every = {LOCATE_EVERY_S}"))


RULES = [
    Rule(name="Station calls", match="401", steps=(("near:RFP Station",),), title="Station"),
    Rule(name="Ward alarms", match="402", steps=(("201",),), title="Ward",
         escalate_after=600.0),
    Rule(name="Lost", source="omm", match="user-lost:*", steps=(("201",),), title="Lost",
         text="{text}: {origin}", escalate_after=600.0),
]


class Site:
    def __init__(self, emu: Emulator, control: Control, axi: AxiClient) -> None:
        self.emu, self.control, self.axi = emu, control, axi
        self.events = EventWatch(axi)

    @property
    def em(self) -> Any:
        assert self.emu.system is not None
        return self.emu.system.hosts["EventManager"].service

    async def ppn(self, number: str) -> int:
        user = (await self.axi.request("GetPPUserByNumber", {"num": number})).child("user")
        assert user is not None
        return int(user.attrs["ppn"])

    async def rfp_id(self, name: str) -> int:
        return next(r["id"] for r in await self.control.rfps() if r["name"] == name)

    async def shows(self, handset: str, text: str) -> bool:
        return text in " | ".join((await self.control.display(handset))["display"])

    async def espa(self) -> ControlClient:
        host = self.emu.system.hosts["EventManager"]  # type: ignore[union-attr]
        endpoint = next(e for e in host.endpoints() if e.protocol == "espa")
        client = ControlClient.new("nurse call")
        await connect_tcp(client.link, endpoint.host, endpoint.port)
        return client

    async def located(self, ppn: int, since: int) -> list[tuple[int, int]]:
        """The RFPs of the next EventPositionInfo about `ppn`: (id, rssiAvg), as sent."""
        event = await self.events.wait("EventPositionInfo",
                                       lambda e: e.attrs["ppn"] == str(ppn), since=since)
        return [(int(v.attrs["id"]), int(v.attrs["rssiAvg"])) for v in event.children]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    cfg = parse_config(config_text())
    cfg.eventmgrs[0].em.rules += RULES
    async with Emulator(cfg, tmp_path_factory.mktemp("locating")) as emu:
        assert emu.system is not None
        async with Control.of(emu.system) as control:
            axi = await AxiClient.connect(emu.omm.host, emu.omm.port)
            await axi.login(emu.omm.username, emu.omm.password)
            s = Site(emu, control, axi)
            for number in ("201", "202"):
                user = (await axi.request("GetPPUserByNumber", {"num": number})).child("user")
                assert user is not None
                await axi.request("SetPPUser", children=[
                    element("user", {"uid": user.attrs["uid"], "locatable": "1"})])
            await axi.subscribe("Locating")

            async def ready() -> bool:
                hosts = await control.hosts()
                return hosts["EventManager"].get("omm") == "connected" and all(
                    h["location"] == "registered" for h in await control.handsets())

            await until(ready, "the Event Manager logged in, every handset registered")
            yield s
            await axi.close()


async def test_the_strongest_rfp_is_the_one_the_handset_is_near_and_moves_with_it(
        site: Site) -> None:
    ppn, ward, station = await site.ppn("201"), await site.rfp_id("RFP Ward"), \
        await site.rfp_id("RFP Station")
    mark = site.events.mark()
    answer = await site.axi.request("RequestPositionInfo", {"ppn": ppn})
    assert "errCode" not in answer.attrs
    heard = await site.located(ppn, mark)
    assert heard[0][0] == ward and {i for i, _ in heard} == {ward, station}
    assert heard[0][1] > heard[1][1] and all(-93 <= level < 0 for _, level in heard)

    await site.control.walk("Alice", 27.0, 2.0, speed=20.0)
    try:
        mark = site.events.mark()
        await site.axi.request("RequestPositionInfo", {"ppn": ppn})
        assert (await site.located(ppn, mark))[0][0] == station
    finally:
        await site.control.walk("Alice", 2.0, 1.0, speed=20.0)


async def test_refused_without_locating_permission_or_for_a_user_not_locatable(
        site: Site) -> None:
    monitor = await AxiClient.connect(site.emu.omm.host, site.emu.omm.port)
    try:
        await monitor.login("monitor", "Sipdect-Monitor-2026")
        refused = await monitor.request("RequestPositionInfo", {"ppn": await site.ppn("201")},
                                        check=False)
        assert refused.attrs["errCode"] == "EPerm"
    finally:
        await monitor.close()
    carol = await site.axi.request("RequestPositionInfo", {"ppn": await site.ppn("203")},
                                   check=False)
    assert carol.attrs["errCode"] == "EForbidden" and "not locatable" in carol.attrs["info"]
    unknown = await site.axi.request("RequestPositionInfo", {"ppn": 999}, check=False)
    assert unknown.attrs["errCode"] == "ENoEnt"


async def test_an_espa_call_near_rfp_station_reaches_only_the_handset_there(site: Site) -> None:
    alice, bob = await site.ppn("201"), await site.ppn("202")
    ward, station = await site.rfp_id("RFP Ward"), await site.rfp_id("RFP Station")
    last = site.em.whereabouts.last
    await until(lambda: last.get(bob) == station and last.get(alice) == ward,
                "the Event Manager located Bob at RFP Station, Alice (back) at RFP Ward")
    nurse = await site.espa()
    await nurse.call(call("401", "Bed 7 at the station", priority=2))
    await until(lambda: site.shows("Bob", "Bed 7 at the station"), "Bob's handset shows it")
    await site.control.press("Bob", "{OK}")
    entries = site.em.entries(kind="near")
    assert entries and entries[-1]["text"] == "202"
    for other in ("Alice", "Carol"):
        assert not any("Bed 7" in str(m) for m in (await site.control.display(other))[
            "messages"]), other
    nurse.link.close()


async def test_a_handset_walking_out_of_range_fires_the_user_lost_rule(site: Site) -> None:
    bob = await site.ppn("202")
    await until(lambda: bob in site.em.whereabouts.last, "the Event Manager located Bob")
    await site.control.move("Bob", 3000.0, 0.0)
    try:
        await until(lambda: site.shows("Alice", "out of range): 202"),
                    "Alice is told that Bob's handset is lost")
        lost = site.em.entries(kind="input")
        assert any("user-lost:202" in e["subject"] for e in lost)
        await site.control.press("Alice", "{OK}")
    finally:
        await site.control.move("Bob", 28.0, 1.0)


async def test_an_emergency_takes_the_display_from_a_normal_message(site: Site) -> None:
    nurse = await site.espa()
    await nurse.call(call("402", "Please call the pharmacy", priority=3))  # Normal
    await until(lambda: site.shows("Alice", "Please call the pharmacy"), "the normal one shows")
    await nurse.call(call("402", "Resuscitation room 5", priority=1))  # Emergency
    await until(lambda: site.shows("Alice", "Resuscitation room 5"), "the emergency takes over")
    shown = await site.control.display("Alice")
    assert shown["alert"] == "Emergency"
    assert [m["priority"] for m in shown["messages"][-2:]] == ["Normal", "Emergency"]
    await site.control.press("Alice", "{OK}")  # accepts the emergency ...
    await until(lambda: site.shows("Alice", "Please call the pharmacy"),
                "... and the normal message is back on the display")
    await site.control.press("Alice", "{OK}")
    nurse.link.close()


