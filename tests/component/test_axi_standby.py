"""The standby pair and the health model over AXI (standby-eventmgr.md A.5, A.6): the OMM's
standby status is set here as the pair's state machine will set it, and AXI clients see it in
OpenResp, GetStbState, EventStbStateChange, GetHealthState and EventHealthState."""

from __future__ import annotations

import pytest

from omm.standby.conventions import StbState
from omm.standby.status import StandbyView
from sipdect.app.emulator import OmmHandle, ThreadedEmulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element

PEER = "127.0.0.2"


def set_standby(emu: ThreadedEmulator, omm: OmmHandle, view: StandbyView) -> None:
    emu.call(omm.model.standby.update, view)


def standby_health(resp: Message) -> dict[str, str]:
    found = [h.attrs for h in resp.children_named("health")
             if h.attrs["component"] == "standby"]
    assert len(found) == 1, resp
    return found[0]


async def test_without_a_standby_everything_says_none(omm: OmmHandle, axi: AxiClient) -> None:
    got = await axi.request("GetStbState")
    assert got.attrs["ommStbState"] == "None" and "ommStbAddr" not in got.attrs
    health = standby_health(await axi.request("GetHealthState"))
    assert health == {"component": "standby", "severity": "Idle", "reasonCode": ""}


async def test_open_and_get_stb_state_show_the_pair(sipdect_emulator: ThreadedEmulator,
                                                    omm: OmmHandle) -> None:
    set_standby(sipdect_emulator, omm, StandbyView(StbState.OK, PEER))
    c = await AxiClient.connect(omm.host, omm.port)
    try:
        opened = await c.login(omm.username, omm.password)
        assert (opened.attrs["ommStbState"], opened.attrs["ommStbAddr"]) == ("OK", PEER)
        got = await c.request("GetStbState")
        assert (got.attrs["ommStbState"], got.attrs["ommStbAddr"]) == ("OK", PEER)
        failed = await AxiClient.connect(omm.host, omm.port)
        try:  # a failed login still says who the OMM is, the pair included
            refused = await failed.login(omm.username, "wrong", check=False)
            assert refused.attrs["ommStbState"] == "OK"
        finally:
            await failed.close()
    finally:
        await c.close()


async def test_a_system_state_subscriber_hears_the_change_and_its_health(
        sipdect_emulator: ThreadedEmulator, omm: OmmHandle, axi: AxiClient) -> None:
    set_standby(sipdect_emulator, omm, StandbyView(StbState.OK, PEER))
    await axi.subscribe("SystemState")
    set_standby(sipdect_emulator, omm,
                StandbyView(StbState.NOT_SYNCHRONIZED, PEER, "peer not heard"))
    told, event, health = [await axi.next_event() for _ in range(3)]
    assert (told.name, told.attrs["ommStbState"]) == ("EventStbStateChange", "OK")
    assert event.name == "EventStbStateChange"  # the state first, then its health
    assert event.attrs == {"ommStbState": "NotSynchronized", "ommStbAddr": PEER}
    assert health.name == "EventHealthState"
    assert health.attrs == {"component": "standby", "severity": "Warning",
                            "reasonCode": "Connection broken", "reason": "peer not heard"}
    assert standby_health(await axi.request("GetHealthState")) == health.attrs


async def test_a_peer_that_does_not_fit_is_a_health_error(
        sipdect_emulator: ThreadedEmulator, omm: OmmHandle, axi: AxiClient) -> None:
    await axi.subscribe("SystemState")
    set_standby(sipdect_emulator, omm, StandbyView(StbState.DIFFERENT_VERSIONS, PEER))
    event = await axi.next_event("EventStbStateChange")
    assert event.attrs["ommStbState"] == "DifferentOMMVersions"
    health = await axi.next_event("EventHealthState")
    assert (health.attrs["severity"], health.attrs["reasonCode"]) == (
        "Error", "Wrong standby configuration")


async def test_each_change_of_the_pair_is_in_the_event_log(
        sipdect_emulator: ThreadedEmulator, omm: OmmHandle, axi: AxiClient) -> None:
    sipdect_emulator.call(omm.model.standby.update, StandbyView(StbState.OK, PEER),
                          "Standby: Start-up -> Synchronised Inactive (peer heard)")
    set_standby(sipdect_emulator, omm, StandbyView(StbState.NOT_SYNCHRONIZED, PEER))
    set_standby(sipdect_emulator, omm, StandbyView(StbState.NOT_SYNCHRONIZED, PEER))  # same
    log = await axi.request("GetEventLogBuffer", {"id": 0, "maxRecords": 50})
    texts = [e.attrs["msg"] for e in log.children_named("e") if "tandby" in e.attrs["msg"]]
    assert texts == ["Standby: Start-up -> Synchronised Inactive (peer heard)",
                     f"Standby state OK -> NotSynchronized (peer {PEER})"]


@pytest.mark.parametrize("permission", ["Monitoring", "AllCnfRead"])
async def test_system_state_needs_all_cnf_read(omm: OmmHandle, axi: AxiClient,
                                                permission: str) -> None:
    password = "Standby-Test-Pw-2026!"
    await axi.request("CreateAccount", children=[element(
        "account", {"username": "watch", "password": password, "active": "true"},
        [Message("permission", text=permission)])])
    c = await AxiClient.connect(omm.host, omm.port)
    try:
        await c.login("watch", password)
        resp = await c.request("Subscribe", children=[
            element("e", {"cmd": "On", "eventType": "SystemState"})], check=False)
        assert resp.attrs.get("errCode") == (None if permission == "AllCnfRead" else "EPerm")
        health = await c.request("GetHealthState", check=False)
        assert health.attrs.get("errCode") == (None if permission == "AllCnfRead" else "EPerm")
    finally:
        await c.close()


async def test_a_new_subscriber_hears_where_the_pair_stands(
        sipdect_emulator: ThreadedEmulator, omm: OmmHandle, axi: AxiClient) -> None:
    """After a takeover clients reconnect to the new active OMM: Subscribe tells them the
    pair's state at once (A.6 item 6), once per subscription, only when a pair exists."""
    await axi.subscribe("SystemState")  # no standby: nothing to tell
    set_standby(sipdect_emulator, omm, StandbyView(StbState.NOT_SYNCHRONIZED, PEER))
    first = await axi.next_event("EventStbStateChange")
    assert first.attrs["ommStbState"] == "NotSynchronized"  # the change, no None before it
    c = await AxiClient.connect(omm.host, omm.port)
    try:
        await c.login(omm.username, omm.password)
        await c.subscribe("SystemState")
        told = await c.next_event("EventStbStateChange")
        assert told.attrs == {"ommStbState": "NotSynchronized", "ommStbAddr": PEER}
        await c.subscribe("SystemState")  # already subscribed: not told again
        set_standby(sipdect_emulator, omm, StandbyView(StbState.OK, PEER))
        assert (await c.next_event("EventStbStateChange")).attrs["ommStbState"] == "OK"
    finally:
        await c.close()
