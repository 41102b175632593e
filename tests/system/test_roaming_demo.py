"""The README's roaming demo (configs/roaming.toml), as a trainer runs it: Alice walks from
site A to site B and back; each time the OMM she reaches asks the MOM, the MOM moves her
records there, her SIP registration comes from that OMM, MAXI's Roaming subscribers hear it,
and she can call from where she is. A handset nobody knows is refused at B."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from site_helpers import Control

from sipdect import tls
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element
from sipdect.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "roaming.toml"
ALICE, CAROL = "03074 0220259 3", "00077 0010003 8"
STRANGER = "00077 0010999 5"


class Demo:
    def __init__(self, emu: Emulator, control: Control, maxi: AxiClient) -> None:
        self.emu, self.control, self.maxi = emu, control, maxi
        self.heard: list[Message] = []

    def address(self, omm: str) -> str:
        assert self.emu.system is not None
        return self.emu.system.omm_host(omm).address

    async def registered_from(self, number: str, omm: str) -> bool:
        regs = (await self.control.pbx())["registrations"]
        return any(r["user"] == number and f":{self.address(omm)}:" in str(r["source"])
                   for r in regs)

    async def at(self, handset: str, site: str) -> bool:
        h = await self.control.handset(handset)
        return h["location"] == "registered" and str(h["rfp_host"]).startswith(site)

    async def walk_to(self, x: float, site: str, omm: str) -> None:
        await self.control.walk("Alice", x, 0.0, speed=20.0)
        await until(lambda: self.at(ALICE, site), f"Alice registered at site {site}")
        await until(lambda: self.registered_from("201", omm), f"201 registered from {omm}")

    async def roaming_events(self) -> list[Message]:
        while not self.maxi.events.empty():
            self.heard.append(self.maxi.events.get_nowait())
        return self.heard


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    async with Emulator(CONFIG, tmp_path_factory.mktemp("roaming")) as emu:
        assert emu.system is not None
        maxi = next(e for e in emu.system.hosts["MOM"].endpoints() if e.protocol == "maxi")
        async with Control.of(emu.system) as control, \
                await AxiClient.connect(maxi.host, maxi.port, tls=tls.client_context()) as mc:
            await mc.login("mom", "Sipdect-Mom-2026")
            await mc.subscribe("Roaming")
            d = Demo(emu, control, mc)

            async def everyone() -> bool:
                return all(h["location"] == "registered" for h in await control.handsets())

            await until(everyone, "every handset registered at its site")
            await until(lambda: d.registered_from("201", "OMM-A"), "201 registered from A")
            yield d


async def test_alice_roams_to_b_and_her_registration_follows(demo: Demo) -> None:
    await demo.walk_to(125.0, "B", "OMM-B")

    def told(events: list[Message]) -> list[Message] | None:
        names = [e.name for e in events]
        return events if "EventDECTLocate" in names and "EventPPCnf" in names else None

    events = await until(lambda: _told(demo, told), "MAXI's Roaming events")
    locate = next(e for e in events if e.name == "EventDECTLocate")
    assert locate.attrs["ipei"] == ALICE and locate.attrs["omm"] == "OMM-B"
    moved = next(e for e in events if e.name == "EventPPCnf")
    pp = moved.child("pp")
    assert pp is not None and pp.attrs["roaming"] == "RoamingComplete"


async def _told(demo: Demo, check: Any) -> Any:
    return check(await demo.roaming_events())


async def test_the_mom_finds_alice_at_b_and_a_message_reaches_her_there(demo: Demo) -> None:
    await demo.walk_to(125.0, "B", "OMM-B")
    where = await demo.maxi.request("GetPPLocation", {"num": "201"})
    assert where.attrs.get("omm") == "OMM-B", where.attrs
    await demo.maxi.request("SendMessage", children=[element(
        "msg", {"id": 7, "toAddr": "201", "content": "Meet at site B"})])

    async def delivered() -> bool:
        h = await demo.control.handset(ALICE)
        return any("Meet at site B" in str(m["text"]) for m in h["messages"])

    await until(delivered, "the MOM's message on Alice's display at B")


async def test_alice_can_call_from_site_b(demo: Demo) -> None:
    await demo.walk_to(125.0, "B", "OMM-B")
    await demo.control.dial("Alice", "301")
    await until(lambda: _state(demo, CAROL, "incoming"), "a call incoming at Carol's handset")
    await demo.control.hang_up("Alice")
    await until(lambda: _state(demo, CAROL, "idle"), "Carol's handset idle again")


async def test_alice_walks_back_to_a(demo: Demo) -> None:
    await demo.walk_to(125.0, "B", "OMM-B")
    await demo.walk_to(2.0, "A", "OMM-A")
    assert not await demo.registered_from("201", "OMM-B")


async def test_a_handset_nobody_knows_is_refused_at_b(demo: Demo) -> None:
    await demo.control.add_handset(STRANGER, 128.0, 3.0, omm="OMM-B", subscribe=False,
                                   configured=False)
    await demo.control.subscribe(STRANGER, ac="31415")

    async def refused() -> dict[str, Any] | None:
        h = await demo.control.handset(STRANGER)
        return h if "SubscriptionFailed" in h["events"] else None

    h = await until(refused, "the stranger's subscription refused")
    assert not h["subscribed"]
    assert demo.emu.system is not None
    log = [e.msg for e in demo.emu.system.omm_host("OMM-B").model.event_log.entries(0, 500)]
    assert any(STRANGER in m and "refused by the MOM" in m for m in log), log[-5:]


async def _state(demo: Demo, handset: str, state: str) -> bool:
    return await demo.control.call_state(handset) == state
