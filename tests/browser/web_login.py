"""Logging in through the web platform's login form (sipdect.web), as every product's web UI
(OMM, Event Manager) shows it."""

from __future__ import annotations

from playwright.async_api import Page


async def log_in(page: Page, url: str, username: str, password: str) -> None:
    """Open `url` (a page that shows the login form) and submit the form."""
    await page.goto(url)
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login")
