"""The OMM's web UI in Debian's chromium: forced change of the default password, the login
banner, the idle limit on a scaled clock, the status page and a read-only account. Each
main page is photographed to test-artifacts/screens/."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from omm_web_host import config, running, web_log
from playwright.async_api import Page, expect
from web_login import log_in

from sipdect.app.library import ThreadedSite
from sipdect.waiting import until

Shot = Callable[[Page, str], Awaitable[Path]]
NEW_PASSWORD = "Fresh-Admin-2027"


async def test_factory_new_omm_forces_a_new_password_with_readable_rules(
        page: Page, shot: Shot) -> None:
    async with running(config(factory_new=True)) as emu:
        url = emu.omm.web_url
        await page.goto(url)
        await expect(page.locator("#login-form")).to_be_visible()
        await shot(page, "login")
        await log_in(page, url, "omm", "omm")
        await expect(page.locator("#forced")).to_be_visible()
        await page.goto(url + "nothing-else")  # every other page leads back here
        await expect(page.locator("#forced")).to_be_visible()
        assert page.url.endswith("/password")
        for new, code in (("short", "EPwTooShort"), ("alllowercase", "EPwTooWeak"),
                          ("My-omm-Pass1", "EPwSimilarToName")):
            await page.fill("#old_password", "omm")
            await page.fill("#new_password", new)
            await page.fill("#repeat_password", new)
            await page.click("#change-password")
            await expect(page.locator("#password-error")).to_contain_text(code)
        await shot(page, "password-refused")
        await page.fill("#old_password", "omm")
        await page.fill("#new_password", NEW_PASSWORD)
        await page.fill("#repeat_password", NEW_PASSWORD)
        await page.click("#change-password")
        await expect(page.locator("#health")).to_be_visible()
        await expect(page.locator(".flash")).to_contain_text("Password changed")
        await shot(page, "status")
        await page.click("#logout")
        await expect(page.locator("#login-form")).to_be_visible()
        await log_in(page, url, "omm", NEW_PASSWORD)
        await expect(page.locator("#health")).to_be_visible()


async def test_the_banner_is_acknowledged_or_the_visit_ends(page: Page, shot: Shot) -> None:
    async with running(config(banner="Authorised personnel only.\nAll access is logged.")
                       ) as emu:
        url = emu.omm.web_url
        await page.goto(url)
        await expect(page.locator("#banner-text")).to_contain_text("Authorised personnel")
        await expect(page.locator("#login-form")).to_have_count(0)
        await shot(page, "banner")
        await page.click("#banner-leave")
        await expect(page.locator("#left")).to_be_visible()
        await expect(page.locator("#login-form")).to_have_count(0)
        await page.goto(url)
        await page.click("#banner-ok")
        await expect(page.locator("#login-form")).to_be_visible()
        await page.fill("#username", emu.omm.username)
        await page.fill("#password", emu.omm.password)
        await page.click("#login")
        await expect(page.locator("#health")).to_be_visible()
        assert any("not acknowledged" in t for t in web_log(emu)())


async def test_a_session_expires_after_ten_idle_minutes_on_a_scaled_clock(page: Page) -> None:
    async with running(config(), speed=60) as emu:  # 10 minutes are 10 s here
        url = emu.omm.web_url
        await log_in(page, url, emu.omm.username, emu.omm.password)
        await expect(page.locator("#health")).to_be_visible()
        read = web_log(emu)
        await until(lambda: any("expired" in t for t in read()), "the web session's expiry",
                    timeout=120)
        await page.reload()
        await expect(page.locator("#login-form")).to_be_visible()


async def test_a_read_only_account_sees_no_controls(page: Page) -> None:
    async with running(config()) as emu:
        await log_in(page, emu.omm.web_url, "monitor", "Sipdect-Read-2026")
        await expect(page.locator("#access")).to_have_text("read-only")
        await expect(page.locator("#health")).to_be_visible()
        await expect(page.locator("main form")).to_have_count(0)




async def test_the_status_page_shows_an_rfp_going_down(page: Page, site: ThreadedSite,
                                                       shot: Shot) -> None:
    omm = site.omm
    await log_in(page, omm.web_url, omm.username, omm.password)
    counts = page.locator("#count-rfps")
    configured = len(site.rfps)

    async def connected() -> int | None:
        await page.reload()
        text = await counts.text_content() or ""
        return int(text.split()[0])

    await until(lambda: _equal(connected(), configured), "every RFP connected", timeout=60)
    await shot(page, "status-site")
    host = site.host(site.rfps[0].name)
    await asyncio.to_thread(host.stop)
    try:
        await until(lambda: _equal(connected(), configured - 1), "one RFP less", timeout=60)
        await expect(counts).to_have_text(f"{configured - 1} of {configured} configured")
    finally:
        await asyncio.to_thread(host.start)


async def _equal(value: Awaitable[int | None], wanted: int) -> bool:
    return await value == wanted
