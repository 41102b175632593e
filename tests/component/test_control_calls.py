"""The control API's call endpoints over HTTP against a real simulated world: call, answer,
hang up, auto_answer, and call_state in the handset JSON (README "Control API")."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from dect import conventions as cv
from dect.identities import Ipui, Rfpi
from sim.handset import Subscription
from sim.world import World
from sipdect.app import ctl
from sipdect.app.control import ControlServer
from sipdect.app.ready import TOKEN_HEADER

IPEI = "03074 0220259 3"


def in_range(world: World, hid: int) -> None:
    """An RFP next to the handset, of a system it is subscribed to (no OMM behind it: the
    control API's answers are the subject here, not the call)."""
    park = cv.DEFAULT_PARK
    world.air.add_rfp(1, 0.0, 0.0, rfpi=Rfpi(park.ari, 1))
    handset = world.get(hid).handset
    handset.subscriptions[str(park)] = Subscription(park, bytes(16), Ipui.n(handset.ipei))
    world.relock(hid)
    assert world.describe(hid)["rfp"] == 1  # locked, and registering (it never gets through)


async def test_call_answer_hangup_and_auto_answer() -> None:
    world = World(asyncio.get_running_loop())
    try:
        hid = world.add_handset(IPEI, 0.0, 0.0).id
        system = SimpleNamespace(site=SimpleNamespace(world=world,
                                                      describe_handset=world.describe))
        server = ControlServer(system)  # type: ignore[arg-type]
        headers = {TOKEN_HEADER: server.token, "Content-Type": "application/json"}
        async with TestClient(TestServer(server.app), headers=headers) as client:
            got = await (await client.get(f"/_emu/handsets/{hid}")).json()
            assert (got["call_state"], got["auto_answer"]) == ("idle", None)
            answer = await client.post(f"/_emu/handsets/{hid}/answer")
            assert answer.status == 409 and "no call rings" in (await answer.json())["error"]
            resp = await client.post(f"/_emu/handsets/{hid}/call", json={"number": "202"})
            refused = await resp.json()
            assert resp.status == 409 and refused["reason"] == "OutOfRange"
            assert refused["error"] == "Out of range: the handset hears no RFP"
            got = refused["handset"]
            assert (got["call_state"], got["display"]) == ("idle", ["Out of range"])
            assert got["last_call_end"] == "OutOfRange" and not got["call_active"]
            in_range(world, hid)
            resp = await client.post(f"/_emu/handsets/{hid}/call", json={"number": "202"})
            got = await resp.json()
            assert resp.status == 200 and got["call_state"] == "dialling"
            assert got["display"] == ["Calling 202"] and got["call_active"]
            again = await client.post(f"/_emu/handsets/{hid}/call", json={"number": "203"})
            assert again.status == 409
            got = await (await client.post(f"/_emu/handsets/{hid}/hangup")).json()
            assert got["call_state"] == "idle" and got["display"] == ["Call ended"]
            for bad in ({}, {"number": ""}, {"number": "12a"}):
                resp = await client.post(f"/_emu/handsets/{hid}/call", json=bad)
                assert resp.status == 400
            resp = await client.patch(f"/_emu/handsets/{IPEI}", json={"auto_answer": 1.5})
            assert (await resp.json())["auto_answer"] == 1.5
            assert world.get(hid).handset.auto_answer == 1.5
            resp = await client.patch(f"/_emu/handsets/{hid}", json={"auto_answer": "soon"})
            assert resp.status == 400
            resp = await client.patch(f"/_emu/handsets/{hid}", json={"auto_answer": None})
            assert (await resp.json())["auto_answer"] is None
            listed = await (await client.get("/_emu/handsets")).json()
            assert [h["call_state"] for h in listed] == ["idle"]
    finally:
        world.close()


def test_ctl_sends_the_call_requests(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sent: list[tuple[str, str, object]] = []

    def fake(target: object, method: str, path: str, body: object = None) -> object:
        sent.append((method, path, body))
        return {}

    monkeypatch.setattr(ctl, "call", fake)
    ready_file = tmp_path / "ready.json"
    ready_file.write_text(json.dumps({"control": {"url": "http://127.0.0.1:1", "token": "t"}}))
    monkeypatch.setenv("SIPDECT_READY_FILE", str(ready_file))
    ctl.main(["call", "3", "202"])
    ctl.main(["answer", "3"])
    ctl.main(["hangup", "3"])
    ctl.main(["auto-answer", "3", "2"])
    ctl.main(["auto-answer", "3", "off"])
    with pytest.raises(SystemExit, match="seconds or"):
        ctl.main(["auto-answer", "3", "soon"])
    assert sent == [
        ("POST", "/_emu/handsets/3/call", {"number": "202"}),
        ("POST", "/_emu/handsets/3/answer", {}),
        ("POST", "/_emu/handsets/3/hangup", {}),
        ("PATCH", "/_emu/handsets/3", {"auto_answer": 2.0}),
        ("PATCH", "/_emu/handsets/3", {"auto_answer": None}),
    ]
