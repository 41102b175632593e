"""User monitoring over AXI on the default site at speed 60 (features.md §3: "active mode plus an
out-of-range handset → states Warning, Unavailable, Escalated"): Alice's user monitored
actively walks out of range, Bob's passively stays; off by default; every frame the OMM sends
is checked against the schema dictionary."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_schema_conformance import RecordingClient, frame_violations

from sipdect import clock
from sipdect.app.config import load_config
from sipdect.app.library import Site
from sipdect.axi.codec import Message
from sipdect.waiting import until

pytestmark = pytest.mark.slow

SPEED = 60.0
"""The 2 + 5 + 1 minutes of monitoring in about 10 s."""


def user_of(answer: Message) -> dict[str, str]:
    user = answer.child("user")
    assert user is not None, answer
    return dict(user.attrs)


def test_active_monitoring_escalates_a_handset_out_of_range(tmp_path: Path) -> None:
    async def main() -> None:
        async with Site(load_config(), tmp_path, speed=SPEED) as site:
            omm = site.omm_handle("OMM")
            axi = await RecordingClient.connect(omm.host, omm.port)
            try:
                await axi.login(omm.username, omm.password)
                await scenario(site, axi)
                await axi.request("Ping")  # everything sent before it has been read
            finally:
                await axi.close()
            problems = [p for raw in axi.frames() for p in frame_violations(raw)]
            assert problems == []

    clock.run(main(), speed=SPEED)


async def scenario(site: Site, axi: RecordingClient) -> None:
    alice = user_of(await axi.request("GetPPUserByNumber", {"num": "201"}))
    bob = user_of(await axi.request("GetPPUserByNumber", {"num": "202"}))
    # Off by default: nothing watched, nothing known.
    assert alice["monitoringMode"] == bob["monitoringMode"] == "Off"
    assert {alice[s] for s in ("CUS", "HAS", "HRS", "SRS")} == {"Unknown"}
    params = await axi.request("GetUserMonitoring")
    assert params.attrs["startupDelay"] == "5" and params.attrs["activityTimeout2"] == "15"
    await axi.subscribe("PPUserCnf", "PPUserSummary", "SystemCnf")
    answer = await axi.request("SetUserMonitoring", {
        "startupDelay": "2", "activityTimeout2": "5", "escalationDelay": "1"})
    assert answer.attrs["activityTimeout2"] == "5"
    cnf = await axi.next_event("EventUserMonitoringCnf")
    assert cnf.attrs["escalationDelay"] == "1"
    bad = await axi.request("SetUserMonitoring", {"batteryThresholdValue": "33"}, check=False)
    assert bad.attrs.get("errCode") == "EInval"
    for user, mode in ((alice, "Active"), (bob, "Passive")):
        await axi.request("SetPPUser", {}, [Message("user", {"uid": user["uid"],
                                                              "monitoringMode": mode})])
    # The health reports user monitoring once a user is monitored (its start-up phase, 2
    # minutes after the OMM's start, may be over already: tests/unit/omm/test_umo_model.py).
    health = await axi.request("GetHealthState")
    assert "umo" in {h.attrs.get("component") for h in health.children}

    async def alice_state() -> str | None:
        state = user_of(await axi.request("GetPPUser", {"uid": alice["uid"]}))["CUS"]
        return state if state == "Available" else None

    # After startupDelay both attached handsets count as active; Alice is SIP-registered.
    await until(alice_state, "Alice's user to become Available", timeout=30)
    shown: list[str] = []
    await site.handset("Alice").walk(-1000.0, 1.0, speed=100.0, wait=False)

    async def escalated() -> bool:
        await axi.request("Ping")  # an AXI session idle for 5 minutes is closed
        while not axi.events.empty():
            event = axi.events.get_nowait()
            user = event.child("user") if event.name == "EventPPUserCnf" else None
            if user is not None and user.attrs.get("uid") == alice["uid"] \
                    and "CUS" in user.attrs:
                shown.append(user.attrs["CUS"])
        return "Escalated" in shown

    try:
        await until(escalated, "Alice's user to be escalated", timeout=60)
    except AssertionError:
        raise AssertionError(f"Alice's states shown: {shown}") from None
    assert shown[-3:] == ["Warning", "Unavailable", "Escalated"], shown
    now = user_of(await axi.request("GetPPUser", {"uid": alice["uid"]}))
    assert (now["HAS"], now["HRS"], now["CUS"]) == ("Escalated", "Available", "Escalated")
    # Bob, monitored passively and in range, is untouched.
    bob_now = user_of(await axi.request("GetPPUser", {"uid": bob["uid"]}))
    assert (bob_now["monitoringMode"], bob_now["HAS"]) == ("Passive", "Available")
    summary = (await axi.request("GetPPUserSummary")).attrs
    assert (summary["usersActiveMonitored"], summary["usersPassiveMonitored"],
            summary["usersEscalated"]) == ("1", "1", "1")
    health = await axi.request("GetHealthState")
    assert [h.attrs["severity"] for h in health.children
            if h.attrs.get("component") == "umo"] == ["OK"]
