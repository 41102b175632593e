"""The OMM's user monitoring page in chromium: a user monitored over AXI is listed with its
states, a mode and the parameters set in the browser are there over AXI (screenshot
test-artifacts/screens/)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Page, expect
from test_omm_directory import log_in

from sipdect.app.emulator import OmmHandle
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element

Shot = Callable[[Page, str], Awaitable[Path]]


async def test_monitoring_set_over_axi_and_in_the_browser(
        omm: OmmHandle, axi: AxiClient, page: Page, shot: Shot) -> None:
    await axi.request("CreatePPUser", children=[element("user", {
        "num": "4001", "name": "Watched Alice", "monitoringMode": "Active"})])
    await axi.request("CreatePPUser", children=[element("user", {"num": "4002",
                                                                 "name": "Bob"})])
    await log_in(page, omm)
    await page.click("nav >> text=User monitoring")
    rows = page.locator("#monitored tbody tr")
    await expect(rows).to_have_count(1)
    await expect(page.locator("#monitored td.name")).to_have_text("Watched Alice")
    await expect(page.locator("#monitored td.mode")).to_have_text("Active")
    await expect(page.locator('#monitored td[data-state="CUS"]')).to_have_text("Unknown")
    await page.fill("#f-num", "4002")
    await page.select_option("#f-monitoringMode", "Passive")
    await page.click("#set-mode")
    await expect(page.locator(".flash")).to_contain_text("User 4002: monitoring Passive")
    await expect(rows).to_have_count(2)
    bob = (await axi.request("GetPPUserByNumber", {"num": "4002"})).child("user")
    assert bob is not None and bob.attrs["monitoringMode"] == "Passive"
    await page.fill("#f-activityTimeout2", "30")
    await page.click("#save-params")
    await expect(page.locator(".flash")).to_contain_text("parameters saved")
    params = await axi.request("GetUserMonitoring")
    assert params.attrs["activityTimeout2"] == "30"
    await shot(page, "monitoring")
