"""The browser the web UI tests drive: Debian's chromium, headless, offline."""

from __future__ import annotations

from aiohttp import web
from playwright.async_api import Page

from sipdect.app.browser import chromium_path


async def test_system_chromium_renders_a_local_page(page: Page) -> None:
    app = web.Application()

    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="<title>t</title><p id=x>served here</p>",
                            content_type="text/html")

    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await page.goto(f"http://127.0.0.1:{port}/")
        assert await page.text_content("#x") == "served here"
        version = page.context.browser.version if page.context.browser else ""
        assert version.split(".")[0].isdigit()
        assert chromium_path().startswith("/")
    finally:
        await runner.cleanup()
