"""The alarm demo end to end (configs/alarm.toml, README "Alarm demo"): a nurse-call system
sends an ESPA call over TCP, the Event Manager's rule makes it a message on Alice's handset,
her OK key accepts it, and the confirmation comes back as an ESPA status at the next poll
(and as an SNMP trap, tests/interop/test_snmp_traps.py). Escalation: nobody accepting
within the rule's time moves the alarm to Bob. The Event Manager survives its OMM's restart
with the alarms that came meanwhile sent once."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from site_helpers import Control

from eventmgr.rules import Rule
from sipdect.app.config import SystemConfig, load_config
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.espa.codec import DataBlock, call
from sipdect.espa.conventions import Record
from sipdect.espa.edge import ControlClient, connect_tcp
from sipdect.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "alarm.toml"
ESCALATE_S = 3.0
"""The demo's 30 s made short for the test (the timer's expiry is what is tested)."""


def alarm_config() -> SystemConfig:
    cfg = load_config(CONFIG)
    em = cfg.eventmgrs[0].em
    em.traps = []
    em.rules = [r.__class__(**{**r.__dict__, "escalate_after": ESCALATE_S}) for r in em.rules]
    # Handset alarms: Bob carries a 632d (it has an SOS key), and the SOS goes to Alice.
    em.rules.append(Rule(name="SOS", source="alarm", match="SOS*", steps=(("201",),),
                         escalate_after=ESCALATE_S, title="SOS"))
    next(h for h in cfg.handsets if h.name == "Bob").model = "632d"
    return cfg


class Demo:
    def __init__(self, emu: Emulator, control: Control) -> None:
        self.emu, self.control = emu, control

    def em(self) -> Any:
        assert self.emu.system is not None
        return self.emu.system.hosts["EventManager"]

    async def espa(self) -> ControlClient:
        endpoint = next(e for e in self.em().endpoints() if e.protocol == "espa")
        client = ControlClient.new("nurse call")
        await connect_tcp(client.link, endpoint.host, endpoint.port)
        return client

    async def shows(self, handset: str, text: str) -> bool:
        return text in " | ".join((await self.control.display(handset))["display"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    async with Emulator(alarm_config(), tmp_path_factory.mktemp("alarm")) as emu:
        assert emu.system is not None
        async with Control.of(emu.system) as control:
            d = Demo(emu, control)

            async def ready() -> bool:
                hosts = await control.hosts()
                return hosts["EventManager"].get("omm") == "connected" and all(
                    h["location"] == "registered" for h in await control.handsets())

            await until(ready, "the Event Manager logged in, every handset registered")
            yield d


def status_of(blocks: list[DataBlock]) -> list[tuple[str, str]]:
    return [(b.call_address, b.get(Record.CALL_STATUS) or "") for b in blocks]


async def test_espa_call_reaches_alice_and_her_ok_comes_back_as_status(demo: Demo) -> None:
    nurse = await demo.espa()
    await nurse.call(call("201", "Room 12 call", priority=1))
    await until(lambda: demo.shows("Alice", "Room 12 call"), "Alice's handset shows the alarm")
    display = await demo.control.display("Alice")
    assert "Nurse call" in display["display"][0]
    assert "1:OrderOk" in " ".join(display["display"])

    await demo.control.press("Alice", "{OK}")
    seen: list[tuple[str, str]] = []

    async def confirmed() -> bool:
        seen.extend(status_of(await nurse.poll()))
        return ("201", "1") in seen

    await until(confirmed, "the confirmation as an ESPA status at a poll")
    log = demo.em().service.entries(kind="confirmed")
    assert log and re.search(r"by 201", log[-1]["subject"])
    nurse.link.close()


async def test_nobody_accepting_escalates_to_bob(demo: Demo) -> None:
    nurse = await demo.espa()
    await nurse.call(call("201", "Room 14 call", priority=2))
    await until(lambda: demo.shows("Alice", "Room 14 call"), "Alice's handset shows it")
    # Alice does nothing: after the rule's time it goes to Bob.
    await until(lambda: demo.shows("Bob", "Room 14 call"), "escalated to Bob's handset")
    await demo.control.press("Bob", "{OK}")
    seen: list[tuple[str, str]] = []

    async def confirmed() -> bool:
        seen.extend(status_of(await nurse.poll()))
        return ("201", "1") in seen

    await until(confirmed, "Bob's confirmation as an ESPA status")
    entries = demo.em().service.entries(kind="escalated")
    assert entries and "nobody confirmed in time" in entries[-1]["text"]
    await demo.control.press("Alice", "{END}")
    nurse.link.close()


async def test_alarm_while_the_omm_restarts_is_sent_once_it_is_back(demo: Demo) -> None:
    em = demo.em().service
    logins = em.logins
    await demo.control.host("OMM", "kill")
    await until(lambda: _omm_state(demo, "disconnected"), "the Event Manager lost its OMM")
    nurse = await demo.espa()
    # ACKed while the OMM is away: the alarm waits in the Event Manager's store.
    await nurse.call(call("201", "Room 16 call", priority=1))
    assert em.describe()["outbox"] == 1
    await demo.control.host("OMM", "start")
    await until(lambda: _omm_state(demo, "connected"), "the Event Manager logged in again")
    assert em.logins == logins + 1
    await until(lambda: demo.shows("Alice", "Room 16 call"), "Alice's handset shows it")
    await until(lambda: em.describe()["outbox"] == 0, "the outbox is empty")
    messages = (await demo.control.display("Alice"))["messages"]
    assert sum("Room 16 call" in str(m) for m in messages) == 1
    await demo.control.press("Alice", "{OK}")
    nurse.link.close()


async def _omm_state(demo: Demo, state: str) -> bool:
    return bool((await demo.control.hosts())["EventManager"].get("omm") == state)


async def test_the_supervisor_plays_the_nurse_call_system(demo: Demo) -> None:
    """`sipdect ctl espa --address 201 --priority 1 "Room 18 call"`, then `ctl espa --poll`."""
    sent = await demo.control.call("POST", "/espa", {"address": "201", "text": "Room 18 call",
                                                     "priority": 1})
    assert sent["sent"]["records"]["1"] == "201" and sent["sent"]["records"]["6"] == "1"
    await until(lambda: demo.shows("Alice", "Room 18 call"), "Alice's handset shows it")
    await demo.control.press("Alice", "{OK}")

    async def status() -> bool:
        polled = await demo.control.call("POST", "/espa/poll", {})
        return any(s["records"].get("7") == "1" for s in polled["statuses"])

    await until(status, "the confirmation at the supervisor's poll")


async def test_an_acknowledged_alarm_survives_a_kill_of_the_event_manager(demo: Demo) -> None:
    await demo.control.host("OMM", "kill")
    await until(lambda: _omm_state(demo, "disconnected"), "the Event Manager lost its OMM")
    nurse = await demo.espa()
    await nurse.call(call("201", "Room 20 call", priority=1))  # ACKed: committed
    await demo.control.host("EventManager", "kill")
    await demo.control.host("EventManager", "start")
    await demo.control.host("OMM", "start")
    await until(lambda: demo.shows("Alice", "Room 20 call"), "Alice's handset shows it")
    await demo.control.press("Alice", "{OK}")


async def test_an_sos_from_a_handset_reaches_a_rule(demo: Demo) -> None:
    """Bob's SOS key: the OMM raises its alarm trigger (no number to call, so the OMM takes
    it), the Event Manager's alarm rule takes it once and Alice's handset shows it."""
    omm = demo.emu.omm
    axi = await AxiClient.connect(omm.host, omm.port)
    try:
        await axi.login(omm.username, omm.password)
        await axi.request("CreateAlarmTrigger", children=[element("trigger", {
            "triggerId": "SOS-Ward3", "fac": "*91"})])
    finally:
        await axi.close()
    answer = await demo.control.call("POST", "/handsets/Bob/alarm", {"kind": "sos"})
    assert answer["alarm_number"] == "*91"
    await until(lambda: demo.shows("Alice", "alarm SOS-Ward3 from tel:202"),
                "Alice's handset shows Bob's SOS")
    assert any("SOS-Ward3" in e["text"] for e in demo.em().service.entries())
    await demo.control.press("Alice", "{OK}")
    await demo.control.press("Alice", "{END}")
