"""sipdect.Site, the library face for whole sites (issue 13), on the default system `sipdect up`
runs: a call between two handsets, the handover regression, reset, the event stream in process
and over HTTP (server-sent events, /_emu/watch, POST /_emu/reset, `ctl reset`). Observed as a
QA engineer's test would: through the handles, AXI, the call server and the control API.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from site_helpers import ipei
from test_schema_conformance import frame_violations

import sipdect
from sipdect.app import ctl
from sipdect.app.events import parse_sse
from sipdect.app.library import EventStream, Site, SiteError
from sipdect.app.ready import TOKEN_HEADER
from sipdect.axi.codec import element, frame
from sipdect.waiting import WaitTimeout, scaled, until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

ALICE_AT, BOB_AT = (2.0, 1.0), (28.0, 2.0)
"""Where configs/default.toml puts them."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def started(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with sipdect.Site(data_dir=tmp_path_factory.mktemp("site")) as site:
        yield site


@pytest_asyncio.fixture(loop_scope="module")
async def site(started: Site) -> Site:
    """The started site, back to its configured state (as the pytest plugin's `site`)."""
    await started.reset()
    return started


async def until_event(stream: EventStream, what: str,
                      match: Callable[[dict[str, Any]], bool],
                      patience: float = 30.0) -> list[dict[str, Any]]:
    """Events from the stream until one for which match(event) holds; all of them."""
    seen: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + scaled(patience)
    while loop.time() < deadline:
        event = await stream.next(max(0.0, deadline - loop.time()))
        if event is None:
            break
        seen.append(event)
        if match(event):
            return seen
    told = [(e["kind"], e["subject"], e["text"]) for e in seen]
    raise AssertionError(f"no event {what}; saw {told}")


async def test_the_handover_regression(site: Site) -> None:
    alice, bob = site.handset("Alice"), site.handset("Bob")
    assert alice.state()["rfp_host"] == "RFP Lobby" and bob.state()["rfp_host"] == "RFP Office"
    await alice.call("202")
    await bob.wait_for(state="incoming")
    await bob.answer()
    await alice.wait_for(state="connected")
    assert await alice.walk(30, 1, speed=10)  # returns once there
    await until(lambda: alice.state()["rfp_host"] == "RFP Office", "Alice handed over")
    assert alice.call_state == bob.call_state == "connected"
    await until(lambda: alice.hears(bob.tone_hz), "Alice to hear Bob after the handover")
    await alice.hang_up()
    await bob.wait_for(state="idle", display="Call ended")


async def test_handles_name_their_subjects_every_way(site: Site) -> None:
    alice = site.handset("Alice")
    assert site.handset("201").ipei == site.handset("Alice's 622d").ipei == alice.ipei
    assert site.handset(alice.id).ipei == alice.ipei == "03074 0220259 3"
    assert sorted(h.name for h in site.handsets) == ["Alice's 622d", "Bob's 632d"]
    assert alice.display == ["Registered"] and alice.call_state == "idle"
    assert alice.messages == [] and alice.auto_answer is None
    assert sorted(r.name for r in site.rfps) == ["RFP Lobby", "RFP Office"]
    lobby = site.rfp("RFP Lobby").state()
    assert lobby["linked"] and lobby["syncState"] == "Synced" and lobby["powered"]
    assert site.host("OMM").state == "running"
    assert site.pbx.registered("201") and site.pbx.registered("202")
    with pytest.raises(SiteError, match="no handset"):
        site.handset("nobody")
    with pytest.raises(SiteError, match="no host"):
        site.host("nowhere")
    axi = await site.axi("monitor")  # a read-only account of the config
    try:
        answer = await axi.request("GetPPUserByNumber", {"num": "201"})
        assert answer.child("user") is not None
    finally:
        await axi.close()


async def test_wait_for_says_what_it_saw(site: Site) -> None:
    bob = site.handset("Bob")
    with pytest.raises(WaitTimeout) as failed:
        await bob.wait_for(state="incoming", timeout=0.3)
    text = str(failed.value)
    assert "no state='incoming' within 0.3 s" in text and "call idle" in text
    assert "attached at RFP RFP Office" in text and "its last events" in text


async def test_reset_restores_users_devices_bindings_positions_hosts_and_links(
        site: Site) -> None:
    alice, bob = site.handset("Alice"), site.handset("Bob")
    axi = await site.axi()
    try:
        await axi.request("CreatePPUser", children=[element("user", {"num": "299",
                                                                       "name": "Made here"})])
        bob_user = (await axi.request("GetPPUserByNumber", {"num": "202"})).child("user")
        assert bob_user is not None
        await axi.request("DeletePPUser", {"uid": bob_user.attrs["uid"]})
    finally:
        await axi.close()
    extra = site.add_handset(ipei(99), name="Visitor", x=5, y=5)
    await extra.wait_for(state="attached")
    await alice.power(False)
    await bob.move(500, 500)
    await site.rfp("RFP Lobby").power(False)
    await site.cut("OMM", "RFP Office")
    await site.host("pbx").kill()

    await site.reset()

    assert [h.ipei for h in site.handsets] == [alice.ipei, bob.ipei]  # the visitor is gone
    assert (alice.state()["x"], alice.state()["y"]) == ALICE_AT and alice.attached
    assert (bob.state()["x"], bob.state()["y"]) == BOB_AT and bob.attached
    assert all(h.state == "running" for h in site.hosts)
    assert all(not h.describe()["cut"] for h in site.hosts)
    assert all(r.state()["powered"] and r.state()["linked"] for r in site.rfps)
    axi = await site.axi()
    try:
        users = await axi.request("GetPPUser", {"uid": 1, "maxRecords": 100})
        assert sorted(u.attrs["num"] for u in users.children) == ["201", "202"]
        for number in ("201", "202"):
            user = (await axi.request("GetPPUserByNumber", {"num": number})).child("user")
            assert user is not None and user.attrs["relType"] != "Unbound"
            device = (await axi.request("GetPPDev", {"ppn": user.attrs["ppn"]})).child("pp")
            assert device is not None and device.attrs["s"] == "Yes"  # subscribed
    finally:
        await axi.close()
    assert site.pbx.registered("201") and site.pbx.registered("202")
    assert site.reset_times and all(t > 0 for t in site.reset_times)


async def test_a_host_kill_is_seen_on_the_event_stream(site: Site) -> None:
    # The reset's site is settled when its handsets are attached and users registered; an
    # RFP may still be linking then (Bob attached through the Lobby). Until the bus's poller
    # has told the link is up again, a kill changes nothing it knows: wait for that.
    def office_told_up() -> bool:
        told = site.system.events.told("rfp", "RFP Office") or ""
        return told.startswith("connected")
    await until(office_told_up, "the event bus told RFP Office linked after the reset")
    async with site.events() as stream:
        await site.host("RFP Office").kill()
        # A killed machine may leave its TCP connection half open: the OMM then learns of
        # it from the missed heartbeats (3 x 15 s), as a real one does.
        seen = await until_event(stream, "RFP Office losing its link",
                                 lambda e: e["subject"] == "RFP Office"
                                 and e["text"] == "link lost", patience=90.0)
    fault = next(e for e in seen if e["fault"])
    assert (fault["kind"], fault["subject"], fault["text"]) == (
        "fault", "host RFP Office", "host RFP Office killed")
    assert any((e["kind"], e["subject"], e["text"]) == ("host", "host RFP Office", "killed")
               for e in seen)
    assert all(isinstance(e["seq"], int) and isinstance(e["time"], float) for e in seen)
    assert [e["seq"] for e in seen] == sorted(e["seq"] for e in seen)


async def test_events_and_reset_over_http(site: Site, tmp_path: Path) -> None:
    control = site.system.control
    assert control is not None
    headers = {TOKEN_HEADER: control.token}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{control.url}/_emu/events") as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            await site.cut("OMM", "RFP Lobby")
            text = ""
            while "link OMM - RFP Lobby cut" not in text or not text.endswith("\n\n"):
                text += (await asyncio.wait_for(stream.content.readline(), scaled(30))).decode()
        (fields,) = [f for f in parse_sse(text) if "cut" in f.get("data", "")]
        cut = json.loads(fields["data"])
        assert fields["event"] == "fault" and fields["id"] == str(cut["seq"])
        # Resumed after the event before it, the stream tells it again first.
        resumed = http.get(f"{control.url}/_emu/events",
                           headers={"Last-Event-ID": str(cut["seq"] - 1)})
        async with resumed as again:
            told: list[dict[str, str]] = []
            while not told:  # the stream opens with a comment
                block = await asyncio.wait_for(again.content.readuntil(b"\n\n"), scaled(30))
                told = parse_sse(block.decode())
        assert told[0]["id"] == str(cut["seq"])
        watched = await (await http.get(f"{control.url}/_emu/watch?after={cut['seq'] - 1}")).json()
        assert watched["events"][0]["text"] == "link OMM - RFP Lobby cut"
        assert watched["events"][0]["subject"] == "link OMM - RFP Lobby"
        refused = await http.post(f"{control.url}/_emu/reset", data="x")
        assert refused.status == 415
        done = await (await http.post(f"{control.url}/_emu/reset", json={})).json()
        assert done["reset"] is True
    assert not site.host("OMM").describe()["cut"]
    # `sipdect ctl reset` from the command line, as a trainer between two demos.
    ready = tmp_path / "ready.json"
    site.system.write_ready_file(ready)
    await site.cut("OMM", "RFP Lobby")
    code = await asyncio.to_thread(ctl.main, ["--ready-file", str(ready), "reset"])
    assert code == 0 and not site.host("OMM").describe()["cut"]


async def test_an_sos_from_a_handset_reaches_an_axi_client(site: Site) -> None:
    """Issue 15: Bob's 632d calls its SOS number; the OMM raises the alarm trigger whose fac
    it dialled (EventAlarmTrigger: ppn, user, trigger, time) and sets up the alarm call to
    the trigger's number (EventAlarmCallProgress as the call goes)."""
    axi = await site.axi()
    try:
        await axi.request("CreateAlarmTrigger", children=[element("trigger", {
            "triggerId": "SOS-Ward3", "fac": "*91", "num": "201", "comment": "SOS key"})])
        await axi.request("Subscribe", children=[
            element("e", {"cmd": "On", "eventType": "AlarmTrigger", "trigger": "*"}),
            element("e", {"cmd": "On", "eventType": "AlarmCallProgress", "ppn": -1,
                          "trigger": "*"})])
        bob_user = (await axi.request("GetPPUserByNumber", {"num": "202"})).child("user")
        assert bob_user is not None
        alice, bob = site.handset("Alice"), site.handset("Bob")
        before = int(time.time())
        assert await bob.alarm("sos") == "*91"
        raised = await axi.next_event("EventAlarmTrigger")
        assert raised.attrs["trigger"] == "SOS-Ward3"
        assert (raised.attrs["ppn"], raised.attrs["uid"]) == (bob_user.attrs["ppn"],
                                                              bob_user.attrs["uid"])
        assert (raised.attrs["fromAddr"], raised.attrs["toAddr"]) == ("tel:202", "tel:201")
        assert int(raised.attrs["sendTime"]) >= before
        states = []
        while "ringing" not in states:
            progress = await axi.next_event("EventAlarmCallProgress")
            assert (progress.attrs["ppn"], progress.attrs["trigger"], progress.attrs["destAddr"],
                    progress.attrs["id"]) == (bob_user.attrs["ppn"], "SOS-Ward3", "tel:201",
                                              raised.attrs["id"])
            states.append(progress.attrs["state"])
        assert states == ["calling", "ringing"]
        await alice.wait_for(state="incoming")
        await alice.answer()
        assert (await axi.next_event("EventAlarmCallProgress")).attrs["state"] == "connected"
        await bob.hang_up()
        released = await axi.next_event("EventAlarmCallProgress")
        assert released.attrs["state"] == "released"
        await alice.wait_for(state="idle")
        for event in (raised, progress, released):  # the schema dictionary's types
            assert not frame_violations(frame(event).rstrip(b"\0")), event
    finally:
        await axi.close()


async def test_an_alarm_without_a_number_is_taken_by_the_omm(site: Site) -> None:
    """A trigger with no `num`: EventAlarmTrigger (with the digits after the fac) and no
    alarm call; the handset shows that the alarm went out."""
    axi = await site.axi()
    try:
        await axi.request("CreateAlarmTrigger", children=[element("trigger", {
            "triggerId": "ManDown", "fac": "*9"})])
        await axi.subscribe("AlarmTrigger", trigger="*")
        bob = site.handset("Bob")
        await bob.alarm("man-down")  # its man-down number is *92: fac *9, suffix 2
        raised = await axi.next_event("EventAlarmTrigger")
        assert (raised.attrs["trigger"], raised.attrs["dialSuffix"]) == ("ManDown", "2")
        assert "toAddr" not in raised.attrs
        await bob.wait_for(state="idle", display="Alarm sent")
    finally:
        await axi.close()


async def test_a_handset_without_the_alarm_cannot_raise_it(site: Site) -> None:
    from sim.handset import HandsetStateError

    with pytest.raises(HandsetStateError, match="622d has no sos alarm"):
        await site.handset("Alice").alarm("sos")
    with pytest.raises(HandsetStateError, match="no alarm 'fire'"):
        await site.handset("Bob").alarm("fire")
