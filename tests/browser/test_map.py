"""The live site map in chromium, on the default system `sipdect up` runs (the `site` fixture:
RFP Lobby at (0, 0), RFP Office at (30, 0), Alice (201) beside the Lobby, Bob (202) beside the
Office): what a trainer sees and what their clicks and drags do in the emulated site.

The page draws on a canvas; `window.siteMap` says where it drew each thing (CSS pixels), so a
test clicks and drags where a trainer would and checks what was drawn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Page

from sipdect.app.ready import TOKEN_HEADER
from sipdect.waiting import until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ALICE, BOB = "201", "202"
"""The configured users' numbers."""
Shot = Callable[[Page, str], Awaitable[Path]]


class Control:
    """The control API as a script beside the trainer uses it (with the token)."""

    def __init__(self, site: Any) -> None:
        control = site.site.system.control
        self.site = site
        self.base = control.url
        self.http = aiohttp.ClientSession(headers={TOKEN_HEADER: control.token})
        self.map_url: str = site.run(control.map.url)

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.http.request(method, self.base + path, json=body) as answer:
            data = await answer.json()
            assert answer.status < 300, data
            return data

    async def handset(self, number: str) -> dict[str, Any]:
        """The handset of the configured user with this number."""
        users = await self.call("GET", "/_emu/state")
        ipei = next(u["handset"] for u in users["users"] if u["number"] == number)
        result: dict[str, Any] = await self.call("GET", f"/_emu/handsets/{ipei}")
        return result

    async def rfp(self, host: str) -> dict[str, Any]:
        rfps = await self.call("GET", "/_emu/rfps")
        return next(r for r in rfps if r["host"] == host)


@pytest.fixture
async def control(site: Any) -> AsyncIterator[Control]:
    api = Control(site)
    try:
        yield api
    finally:
        await api.http.close()


async def open_map(page: Page, control: Control) -> None:
    await page.goto(control.map_url)
    await page.wait_for_selector("body[data-feed=live]")
    await seen(page, "siteMap.model.rfps.size === 2 && siteMap.model.handsets.size === 2"
                                 " && siteMap.drawnAt('h', 2) !== null")


async def seen(page: Page, predicate: str, arg: Any = None, what: str = "") -> Any:
    """Wait until the JavaScript function `predicate`(arg) holds in the page. (Not
    page.wait_for_function: it evaluates its string with eval, which the map's
    Content-Security-Policy forbids, as it should.)"""
    async def check() -> Any:
        return await page.evaluate(predicate, arg) or None
    return await until(check, what or predicate)


async def drawn(page: Page, kind: str, ref: int | str) -> tuple[float, float]:
    at = await page.evaluate("([k, i]) => siteMap.drawnAt(k, i)", [kind, ref])
    assert at is not None, f"{kind} {ref} is not drawn"
    return float(at[0]), float(at[1])


async def canvas_point(page: Page, kind: str, ref: int | str) -> tuple[float, float]:
    """Where the thing is drawn, in page coordinates (for the mouse)."""
    x, y = await drawn(page, kind, ref)
    box = await page.locator("#map").bounding_box()
    assert box is not None
    return box["x"] + x, box["y"] + y


async def air_id(page: Page, name: str) -> str:
    found = await page.evaluate(
        "n => [...siteMap.model.rfps.values()].find(r => r.name === n)?.id", name)
    assert found is not None
    return str(found)


async def test_map_shows_the_site_and_a_walking_handset(page: Page, control: Control,
                                                       shot: Shot) -> None:
    await open_map(page, control)
    states = await page.evaluate("[...siteMap.model.rfps.values()].map(r => [r.name, r.state])")
    assert sorted(states) == [["RFP Lobby", "Synchronous"], ["RFP Office", "Synchronous"]]
    names = await page.evaluate("[...siteMap.model.handsets.values()].map(h => h.name).sort()")
    assert len(names) == 2
    lobby, office = await drawn(page, "r", await air_id(page, "RFP Lobby")), await drawn(
        page, "r", await air_id(page, "RFP Office"))
    assert lobby[0] < office[0] and lobby[1] == office[1]  # (0, 0) left of (30, 0)
    alice = await control.handset(ALICE)
    before = await drawn(page, "h", alice["id"])
    await shot(page, "map")

    await control.call("POST", f"/_emu/handsets/{alice['id']}/walk",
                       {"x": 12.0, "y": 6.0, "speed": 20})
    await seen(
        page, "id => { const h = siteMap.model.handsets.get(String(id));"
        " return h.x === 12 && h.y === 6 && !h.walking; }", arg=alice["id"])
    await page.evaluate("siteMap.afterDraw()")
    after = await drawn(page, "h", alice["id"])
    assert after[0] > before[0] and after[1] > before[1]  # right and down on the plan


async def test_a_call_started_on_the_map_is_drawn_handed_over_and_gone(
        page: Page, control: Control, shot: Shot) -> None:
    await open_map(page, control)
    alice, bob = await control.handset(ALICE), await control.handset(BOB)
    for who in (alice, bob):  # click Alice, then Bob: Alice calls Bob, the page answers
        x, y = await canvas_point(page, "h", who["id"])
        await page.mouse.click(x, y)
    await seen(
        page, "() => [...siteMap.model.calls.values()].some(c => c.state === 'connected')")
    call = await page.evaluate("[...siteMap.model.calls.values()][0]")
    assert {call["a"], call["b"]} == {alice["id"], bob["id"]}
    rfps = [node[1] for node in call["path"] if node[0] == "r"]
    assert len(rfps) == 2 and rfps[0] != rfps[1]  # Alice's RFP, Bob's RFP: RTP between them
    await shot(page, "call")

    await control.call("POST", f"/_emu/handsets/{alice['id']}/walk",
                       {"x": 27.0, "y": -3.0, "speed": 25, "wait": True})
    handover = page.locator("#narrative li[data-kind=handover]")
    await handover.first.wait_for()
    assert "attached at RFP Office" in (await handover.first.inner_text())
    await seen(page,  # Alice's media now runs through her anchor, the Lobby
        "() => { const c = [...siteMap.model.calls.values()][0];"
        " return c && c.path.filter(n => n[0] === 'r').length === 3; }")
    await shot(page, "handover")

    await control.call("POST", f"/_emu/handsets/{bob['id']}/hangup", {})
    await seen(page, "siteMap.model.calls.size === 0")
    await page.evaluate("siteMap.afterDraw()")
    calls = page.locator("#narrative li[data-kind=call]")
    assert any("call ended" in text for text in await calls.all_inner_texts())


async def test_an_rfp_clicked_on_the_map_shows_its_endpoints_and_goes_down_and_up(
        page: Page, control: Control, shot: Shot) -> None:
    await open_map(page, control)
    office = await air_id(page, "RFP Office")
    x, y = await canvas_point(page, "r", office)
    await page.mouse.click(x, y)

    # The panel: where its SSH shells and SNMP agent listen, as `sipdect ctl rfps` says.
    panel = page.locator("#rfp")
    await panel.wait_for()
    assert await page.locator("#rfp-name").inner_text() == "RFP Office"
    described = await control.rfp("RFP Office")
    ssh = await page.locator("#rfp-ssh").inner_text()
    where = described["ssh"]
    assert ssh == f"ssh -p {where['port']} {where['user']}@{where['host']}"
    snmp = await page.locator("#rfp-snmp").inner_text()
    assert snmp.startswith(f"{described['address']}:{described['snmp']} ")
    await page.locator("#rfp-stats-note").filter(has_text="OMM").wait_for()

    await page.locator("#power").click()

    async def powered() -> bool:
        return bool((await control.rfp("RFP Office"))["powered"])
    await until(lambda: _not(powered), "RFP Office powered off from the map")
    await seen(
        page, "id => siteMap.model.rfps.get(id).state === 'Not connected'", arg=office)
    await page.locator("#narrative li[data-kind=alarm]").first.wait_for()
    assert await page.locator("#rfp-state").inner_text() == "Not connected"
    assert await page.locator("#rfp-ssh").inner_text() == "not listening"
    await shot(page, "rfp-down")

    await page.locator("#power", has_text="Switch on").click()
    await until(powered, "RFP Office powered on again")
    await seen(
        page, "id => siteMap.model.rfps.get(id).state === 'Synchronous'", arg=office)
    # Its second login is an RFP reset in its OMM's statistics, which the panel reads again.
    await page.locator('#rfp-stats tr[data-counter="RFP health/RFP resets"]').wait_for(
        timeout=30_000)
    await shot(page, "rfp-stats")


async def _not(check: Callable[[], Awaitable[bool]]) -> bool:
    return not await check()


async def test_dragging_a_handset_moves_it_in_the_world(page: Page, control: Control) -> None:
    await open_map(page, control)
    bob = await control.handset(BOB)
    x, y = await canvas_point(page, "h", bob["id"])
    lobby = await canvas_point(page, "r", await air_id(page, "RFP Lobby"))
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move((x + lobby[0]) / 2, y, steps=5)
    await page.mouse.move(lobby[0] + 20, y, steps=5)
    await page.mouse.up()

    async def moved() -> dict[str, Any] | None:
        now = await control.handset(BOB)
        return now if now["x"] < 5 else None
    now = await until(moved, "Bob dragged next to the Lobby")
    assert abs(now["y"] - bob["y"]) < 1.0
    await until(lambda: _rfp_of(control, BOB, "RFP Lobby"), "Bob locked to RFP Lobby")


async def _rfp_of(control: Control, handset: str, host: str) -> bool:
    return (await control.handset(handset))["rfp_host"] == host
