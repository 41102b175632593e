"""The OMM's settings pages in Debian's chromium (issue 14 item 2): the system settings page
changes the DECT subscription mode (seen over AXI), the accounts page creates an account
(seen over AXI, no password on the page), the event log filters and exports; one screenshot
of each page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from web_login import log_in as log_in_form

from sipdect.app.emulator import ThreadedEmulator, quiet_config
from sipdect.axi.client import AxiClient

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Awaitable[Path]]


@pytest.fixture
async def emu() -> AsyncIterator[ThreadedEmulator]:
    """The default system's OMM alone, on a loop of its own (the test's drives the browser)."""
    running = ThreadedEmulator(quiet_config())
    await asyncio.to_thread(running.start)
    try:
        yield running
    finally:
        await asyncio.to_thread(running.stop)


async def log_in(page: Page, emu: ThreadedEmulator) -> None:
    await log_in_form(page, emu.omm.web_url + "login", emu.omm.username, emu.omm.password)
    await expect(page.locator("#who-name")).to_have_text(emu.omm.username)


async def axi(emu: ThreadedEmulator) -> AxiClient:
    client = await AxiClient.connect(emu.omm.host, emu.omm.port)
    await client.login(emu.omm.username, emu.omm.password)
    return client


async def test_the_subscription_mode_changed_in_the_browser_is_in_force_over_axi(
        emu: ThreadedEmulator, page: Page, shot: Shot) -> None:
    await log_in(page, emu)
    await page.goto(emu.omm.web_url + "system")
    await page.select_option("#DECTSubscriptionMode-mode", "Wildcard")
    await page.fill("#DECTSubscriptionMode-timeout", "10")
    await page.click("#save-DECTSubscriptionMode")
    await expect(page.locator(".flash")).to_contain_text("DECT subscription: saved.")
    await expect(page.locator("#window")).to_contain_text("Wildcard")
    client = await axi(emu)
    try:
        assert (await client.request("GetDECTSubscriptionMode")).attrs["mode"] == "Wildcard"
    finally:
        await client.close()
    await page.fill("#SARI-sari", "not-a-PARK")
    await page.click("#save-SARI")
    await expect(page.locator('[data-bad="sari"]')).to_contain_text("Invalid value")
    await shot(page, "system")


async def test_an_account_created_in_the_browser_exists_over_axi(
        emu: ThreadedEmulator, page: Page, shot: Shot) -> None:
    await log_in(page, emu)
    await page.goto(emu.omm.web_url + "accounts")
    await page.fill("#new-username", "nightshift")
    await page.fill("#new-password", "Night-Shift-2026x")
    await page.check("#perm-Monitoring")
    await page.click("#create-account")
    await expect(page.locator('tr[data-account="nightshift"]')).to_contain_text("Monitoring")
    await expect(page.locator('tr[data-account="omm"] button')).to_have_count(0)  # preset
    assert "Night-Shift-2026x" not in await page.content()
    client = await axi(emu)
    try:
        r = await client.request("GetAccount", {"id": 0, "maxRecords": 20})
        assert "nightshift" in [a.attrs["username"] for a in r.children_named("account")]
    finally:
        await client.close()
    await shot(page, "accounts")


async def test_the_event_log_is_filtered_and_exported(
        emu: ThreadedEmulator, page: Page, shot: Shot) -> None:
    await log_in(page, emu)  # the login itself is an entry (subsystem WEB)
    await page.goto(emu.omm.web_url + "eventlog")
    await page.select_option("#f-subsystem", "WEB")
    await page.fill("#f-text", "login of user")
    await page.click("#filter")
    rows = page.locator("#eventlog tbody tr")
    await expect(rows.first).to_contain_text(f"Web login of user '{emu.omm.username}'")
    for subsystem in await page.locator("#eventlog tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.subsystem)"):
        assert subsystem == "WEB"
    async with page.expect_download() as info:
        await page.click("#export")
    download = await info.value
    text = Path(await download.path()).read_text()
    assert text.startswith("time\tlevel") and "Web login of user" in text
    await shot(page, "eventlog")
