"""The OMM's users, devices and RFP pages in chromium (issue 14): a user and a device made in
the browser are there over AXI and one made over AXI is in the browser; the RFP page shows an
RFP going down; screenshots of each page (test-artifacts/screens/)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Page, expect

from sipdect.app.emulator import OmmHandle
from sipdect.app.library import ThreadedSite
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.waiting import until

Shot = Callable[[Page, str], Awaitable[Path]]
IPEI = "00077 0000031 9"


async def log_in(page: Page, omm: OmmHandle) -> None:
    await page.goto(omm.web_url + "login")
    await page.fill("input[name=username]", omm.username)
    await page.fill("input[name=password]", omm.password)
    await page.click("button[type=submit]")
    await expect(page.locator("#who-name")).to_have_text(omm.username)


async def test_a_user_and_a_device_made_in_the_browser_are_there_over_axi_and_back(
        omm: OmmHandle, axi: AxiClient, page: Page, shot: Shot) -> None:
    await log_in(page, omm)
    await page.goto(omm.web_url + "users/new")
    await page.fill("#f-num", "3001")
    await page.fill("#f-name", "Browser Alice")
    await page.fill("#f-sipAuthId", "alice")
    await page.fill("#f-sipPw", "Br0wser-Sip-Pw")
    await page.click("#save")
    await expect(page.locator(".flash")).to_contain_text("User 3001 created.")
    user = (await axi.request("GetPPUserByNumber", {"num": "3001"})).child("user")
    assert user is not None and user.attrs["name"] == "Browser Alice"
    await page.goto(omm.web_url + "devices/new")
    await page.fill("#f-ipei", IPEI)
    await page.click("#save")
    await expect(page.locator(".flash")).to_contain_text("created")
    device = (await axi.request("GetPPDevByIPEI", {"ipei": IPEI})).child("pp")
    assert device is not None
    await page.fill("#f-num", "3001")
    await page.click("#bind")
    await expect(page.locator("#bound-user")).to_contain_text("3001 Browser Alice")
    await shot(page, "device")
    bound = (await axi.request("GetPPDevByIPEI", {"ipei": IPEI})).child("pp")
    assert bound is not None and bound.attrs["uid"] == user.attrs["uid"]
    # one made over AXI shows in the browser, found by its number
    await axi.request("CreatePPUser", children=[element("user", {"num": "3002",
                                                                 "name": "Axi Bob"})])
    await page.goto(omm.web_url + "users")
    await page.fill("#search", "3002")
    await page.press("#search", "Enter")
    await expect(page.locator("#users tbody tr")).to_have_count(1)
    await expect(page.locator("#users td.name")).to_have_text("Axi Bob")
    await page.goto(omm.web_url + "users")
    await expect(page.locator("#users td.name", has_text="Browser Alice")).to_be_visible()
    await shot(page, "users")
    await page.goto(omm.web_url + "devices")
    await expect(page.locator("#devices td.ipei")).to_have_text(IPEI)
    await shot(page, "devices")
    await page.goto(omm.web_url + f"users/{user.attrs['uid']}")
    assert "Br0wser-Sip-Pw" not in await page.content()
    await shot(page, "user")


async def test_the_rfp_page_shows_an_rfp_going_down(site: ThreadedSite, page: Page,
                                                    shot: Shot) -> None:
    omm = site.omm
    rfp = site.rfps[0]
    rfp_id = rfp.state()["id"]
    await log_in(page, omm)
    await page.goto(omm.web_url + "rfps")
    state = page.locator(f'#rfps tr[data-id="{rfp_id}"] td.state')
    await expect(state).to_have_text(re.compile("Synchronous|Asynchronous|Searching"))
    await shot(page, "rfps")
    await page.goto(omm.web_url + f"rfps/{rfp_id}")
    await expect(page.locator("#state")).not_to_have_text("Not connected")
    await shot(page, "rfp")
    site.host(rfp.name).stop()

    async def shown() -> str | None:
        await page.goto(omm.web_url + "rfps")
        text = await state.text_content()
        return text if text == "Not connected" else None

    seen: str = await until(shown, f"RFP {rfp_id} Not connected on the RFP page", interval=0.5)
    assert seen == "Not connected"
    await expect(page.locator(f'#rfps tr[data-id="{rfp_id}"]')).to_have_class("rfp-bad")
    await shot(page, "rfps-down")
