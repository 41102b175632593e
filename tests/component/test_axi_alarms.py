"""Alarm triggers and message priorities over AXI (standby-eventmgr.md B.3).

Triggers are records like sites (ids from 0, at most 100, triggerId and fac unique without
regard to case) announced to AlarmTriggerCnf subscribers; a message's priority needs its
permission: InfoMessaging or Messaging for Info, Messaging up to High, Alerting for
Emergency, LocatingAlert for LocatingAlert. The schema conformance of every answer and
event is in tests/system/test_schema_conformance.py.
"""

from __future__ import annotations

import pytest

from omm.alarms import MAX_TRIGGERS
from sipdect.app.emulator import OmmHandle
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element


async def create(axi: AxiClient, **attrs: object) -> Message:
    return await axi.request("CreateAlarmTrigger", children=[element("trigger", attrs)],
                             check=False)


async def test_a_trigger_is_created_read_changed_and_deleted_with_its_events(
        axi: AxiClient, omm: OmmHandle) -> None:
    watcher = await AxiClient.connect(omm.host, omm.port)
    await watcher.login(omm.username, omm.password)
    await watcher.subscribe("AlarmTriggerCnf")
    try:
        made = (await create(axi, triggerId="SOS", fac="*99", num="110")).child("trigger")
        assert made is not None
        assert made.attrs == {"id": "0", "triggerId": "SOS", "fac": "*99", "comment": "",
                              "num": "110"}
        second = (await create(axi, triggerId="ManDown", fac="*98")).child("trigger")
        assert second is not None and second.attrs["id"] == "1"
        got = await axi.request("GetAlarmTrigger", {"id": 0, "maxRecords": 20})
        assert [t.attrs["triggerId"] for t in got.children_named("trigger")] == ["SOS",
                                                                                 "ManDown"]
        summary = (await axi.request("GetAlarmTriggerSummary")).attrs
        assert (summary["nRecords"], summary["idFirst"]) == ("2", "0")
        await axi.request("SetAlarmTrigger", children=[element("trigger", {
            "id": 0, "comment": "Ward 3"})])
        await axi.request("DeleteAlarmTrigger", {"id": 1})
        events = [await watcher.next_event() for _ in range(4)]
        assert [e.name for e in events] == ["EventAlarmTriggerCnf"] * 4
        bodies = [e.child("alarmTrigger") for e in events]
        assert [b.attrs["triggerId"] for b in bodies[:2] if b] == ["SOS", "ManDown"]
        assert bodies[2] is not None and bodies[2].attrs["comment"] == "Ward 3"
        assert events[3].attrs.get("deleted") == "1" and bodies[3] is not None
        assert bodies[3].attrs["id"] == "1"
        answer = await axi.request("GetAlarmTrigger", {"id": 1}, check=False)
        assert answer.attrs["errCode"] == "ENoEnt"
    finally:
        await watcher.close()


@pytest.mark.parametrize(("attrs", "code", "bad"), [
    ({"triggerId": "sos"}, "EExist", "triggerId"),
    ({"triggerId": "Other", "fac": "*99"}, "EExist", "fac"),
    ({"triggerId": ""}, "EInval", "triggerId"),
    ({"triggerId": "X" * 33}, "ETooLong", "triggerId"),
    ({"triggerId": "Y", "id": 100}, "EInval", "id"),
])
async def test_a_clashing_or_bad_trigger_is_refused_at_its_field(
        axi: AxiClient, attrs: dict[str, object], code: str, bad: str) -> None:
    await create(axi, triggerId="SOS", fac="*99")
    answer = await create(axi, **attrs)
    assert (answer.attrs["errCode"], answer.attrs.get("bad")) == (code, bad)


async def test_the_omm_holds_at_most_100_triggers(axi: AxiClient) -> None:
    for n in range(MAX_TRIGGERS):
        assert "errCode" not in (await create(axi, triggerId=f"T{n}")).attrs
    assert (await create(axi, triggerId="one too many")).attrs["errCode"] == "ENoMem"


async def test_a_trigger_outlives_a_restart(omm: OmmHandle, axi: AxiClient) -> None:
    await create(axi, triggerId="SOS", fac="*99")
    from omm.model import OmmModel

    again = OmmModel(omm.model.data_dir, omm.model.setup, store=omm.model.store)
    assert again.alarm_triggers.match("*99123") == (again.alarm_triggers.get(0), "123")
    assert again.alarm_triggers.match("*98") is None


# -- priorities and permissions ------------------------------------------------------------


async def _account(axi: AxiClient, omm: OmmHandle, name: str, *perms: str) -> AxiClient:
    password = "Alarm-Desk-2026!"
    await axi.request("CreateAccount", children=[Message(
        "account", {"username": name, "password": password},
        [Message("permission", text=p) for p in perms])])
    client = await AxiClient.connect(omm.host, omm.port)
    await client.login(name, password)
    return client


async def _send(client: AxiClient, priority: str, ppn: int) -> Message:
    return await client.request("SendMessage", children=[element("msg", {
        "id": 1, "ppn": ppn, "content": "alarm", "priority": priority})], check=False)


@pytest.mark.parametrize(("perms", "may"), [
    (("InfoMessaging",), {"Info"}),
    (("Messaging",), {"Info", "Low", "Normal", "High"}),
    (("Messaging", "Alerting"), {"Info", "Low", "Normal", "High", "Emergency"}),
    (("LocatingAlert",), {"LocatingAlert"}),
    (("AllCnfRead",), set()),
])
async def test_each_priority_needs_its_permission(axi: AxiClient, omm: OmmHandle,
                                                  perms: tuple[str, ...], may: set[str]) -> None:
    pp = (await axi.request("CreatePPDev", children=[element("pp", {})])).child("pp")
    assert pp is not None
    client = await _account(axi, omm, "sender", *perms)
    try:
        for priority in ("Info", "Low", "Normal", "High", "Emergency", "LocatingAlert"):
            answer = await _send(client, priority, int(pp.attrs["ppn"]))
            if priority in may:
                assert "errCode" not in answer.attrs, (priority, answer)
            else:
                assert answer.attrs["errCode"] == "EPerm", (priority, answer)
                assert priority in answer.attrs["info"]
    finally:
        await client.close()


async def test_an_unknown_priority_is_refused_at_its_field(axi: AxiClient) -> None:
    answer = await _send(axi, "Urgent", 1)
    assert (answer.attrs["errCode"], answer.attrs["bad"]) == ("EInval", "priority")
