"""Browser tests: Playwright driving Debian's chromium (sipdect.app.browser), one browser per
test, contexts that accept the emulated hosts' self-signed certificates. Screenshots go to
test-artifacts/screens/ (`shot`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from sipdect.app.browser import artifacts_dir, launch

pytestmark = pytest.mark.browser


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await launch(p)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(ignore_https_errors=True, viewport={"width": 1280,
                                                                         "height": 900})
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Awaitable[Path]]:
    """`await shot(page, "users")` writes test-artifacts/screens/<test>-users.png."""
    directory = artifacts_dir("screens")
    test = request.node.name.replace("[", "-").replace("]", "")

    async def take(page: Page, name: str) -> Path:
        path = directory / f"{test}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    return take
