"""The Event Manager's web UI in Debian's chromium (issue 15 item 5): admin's forced change of
the default password at the first login; on the alarm demo (configs/alarm.toml), a rule made
in the browser fires on an ESPA call to Bob's handset end to end, the event log shows the call
and the status page shows the OMM link going down when the OMM stops. Screens go to
test-artifacts/screens/."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Page, expect
from web_login import log_in

from eventmgr import conventions as c
from eventmgr.config import EventMgrConfig
from eventmgr.service import EventMgrService
from sipdect.accounts import hash_password
from sipdect.app.config import load_config
from sipdect.app.emulator import ThreadedEmulator
from sipdect.espa.codec import call
from sipdect.espa.edge import ControlClient, connect_tcp
from sipdect.waiting import until, until_sync
from tests.system.site_helpers import Control

Shot = Callable[[Page, str], Awaitable[Path]]
CONFIG = Path(__file__).resolve().parents[2] / "configs" / "alarm.toml"
ADMIN_PW = "Ward-Desk-2027"


@pytest_asyncio.fixture
async def alone(tmp_path: Path) -> AsyncIterator[EventMgrService]:
    service = EventMgrService(EventMgrConfig(host="127.0.0.1", espa_port=0, web_port=0,
                                             web_tls_port=0), tmp_path / "em")
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def test_admin_changes_the_default_password_at_the_first_login(
        page: Page, shot: Shot, alone: EventMgrService) -> None:
    assert alone.web is not None
    url = alone.web.url
    await page.goto(url)
    await expect(page.locator("#login-form")).to_be_visible()
    await expect(page.locator("#banner-text")).to_have_count(0)  # no banner (seed)
    await shot(page, "login")
    await log_in(page, url, c.ADMIN, c.ADMIN_DEFAULT_PASSWORD)
    await expect(page.locator("#forced")).to_be_visible()
    await page.goto(url + "rules")  # every other page leads back here
    await expect(page.locator("#forced")).to_be_visible()
    await page.fill("#old_password", c.ADMIN_DEFAULT_PASSWORD)
    await page.fill("#new_password", "My-admin-Pass1")
    await page.fill("#repeat_password", "My-admin-Pass1")
    await page.click("#change-password")
    await expect(page.locator("#password-error")).to_contain_text("EPwSimilarToName")
    await page.fill("#old_password", c.ADMIN_DEFAULT_PASSWORD)
    await page.fill("#new_password", ADMIN_PW)
    await page.fill("#repeat_password", ADMIN_PW)
    await page.click("#change-password")
    await expect(page.locator("#omm-state")).to_have_text("disconnected")
    await shot(page, "status")
    await page.click("#logout")
    await log_in(page, url, c.ADMIN, ADMIN_PW)
    await expect(page.locator("#omm-state")).to_be_visible()
    texts = [e["text"] for e in alone.entries(kind=c.WEB_LOG_KIND)]
    assert texts[:2] == ["login from 127.0.0.1", "password changed (from 127.0.0.1)"]


# -- the alarm demo ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedEmulator]:
    """The alarm demo on a loop of its own; admin's password already changed."""
    cfg = load_config(CONFIG)
    cfg.eventmgrs[0].em.traps = []
    emu = ThreadedEmulator(cfg, tmp_path_factory.mktemp("alarm-web"))
    emu.start()
    try:
        em = _em(emu)
        until_sync(lambda: emu.call(lambda: em.omm_state == "connected"),
                   "the Event Manager logged in to its OMM")
        hashed = hash_password(ADMIN_PW)

        def change() -> None:
            accounts = em.accounts
            admin = accounts.by_username(c.ADMIN)
            accounts.set_password_hash(admin.id, hashed)
        emu.call(change)
        yield emu
    finally:
        emu.stop()


def _em(emu: ThreadedEmulator) -> Any:
    system = emu.emulator.system
    assert system is not None
    return system.hosts["EventManager"].service


def _control(emu: ThreadedEmulator) -> Control:
    system = emu.emulator.system
    assert system is not None
    return Control.of(system)


async def test_a_rule_made_in_the_browser_fires_on_an_espa_call(
        page: Page, shot: Shot, demo: ThreadedEmulator) -> None:
    em = _em(demo)
    url = em.web.url
    await log_in(page, url, c.ADMIN, ADMIN_PW)
    await page.click("nav >> text=Rules")
    await page.click("#new-rule")
    await page.fill("#f-name", "Bath pull cords")
    await page.fill("#f-match", "3*")
    await page.fill("#f-steps", "202\ngroup:nobody")
    await page.fill("#f-title", "Bath")
    await page.click("#save-rule")
    await expect(page.locator("#err-steps")).to_contain_text("group:nobody names no group")
    await shot(page, "rule-error")
    await page.fill("#f-steps", "202")
    await page.click("#save-rule")
    await expect(page.locator('tr[data-rule="Bath pull cords"]')).to_be_visible()
    await shot(page, "rules")

    endpoint = next(e for e in em.endpoints if e.protocol == "espa")
    nurse = ControlClient.new("nurse call")
    await connect_tcp(nurse.link, endpoint.host, endpoint.port)
    try:
        await nurse.call(call("301", "Bath 3 pull cord", priority=1))
        async with _control(demo) as control:
            async def bob_shows() -> bool:
                display = await control.display("Bob")
                return "Bath 3 pull cord" in " | ".join(display["display"])

            await until(bob_shows, "Bob's handset shows the alarm of the browser's rule")
            await control.press("Bob", "{OK}")
    finally:
        nurse.link.close()

    await page.click("nav >> text=Event log")
    await page.fill("#f-text", "Bath 3")
    await page.click("#filter")
    rows = page.locator("#eventlog tbody tr")
    await expect(rows.filter(has_text="espa 301")).to_have_count(1)
    await expect(page.locator('#eventlog tr[data-kind="send"]')).to_contain_text("to 202")
    await shot(page, "eventlog")
    await page.goto(url + "eventlog?text=Bath+pull+cords")
    await expect(page.locator('#eventlog tr[data-kind="incident"]')).to_contain_text(
        "Bath pull cords")


async def test_the_status_page_shows_the_omm_link_going_down(
        page: Page, shot: Shot, demo: ThreadedEmulator) -> None:
    em = _em(demo)
    await log_in(page, em.web.url, c.ADMIN, ADMIN_PW)
    await expect(page.locator("#omm-state")).to_have_text("connected")
    await expect(page.locator("#omm-name")).to_contain_text("OMM")
    async with _control(demo) as control:
        await control.host("OMM", "stop")
        try:
            async def shows_down() -> bool:
                await page.reload()
                return await page.locator("#omm-state").text_content() == "disconnected"

            await until(shows_down, "the status page shows the OMM link down")
            await expect(page.locator("#omm-state")).to_have_class("sev-Error")
            await shot(page, "omm-down")
        finally:
            await control.host("OMM", "start")
    await until(lambda: demo.call(lambda: em.omm_state == "connected"),
                "the Event Manager logged in again")
