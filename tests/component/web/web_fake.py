"""A WebBackend of plain values and a trivial page: the web platform tested without any
component."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from sipdect import tls
from sipdect import web as kit
from sipdect.accounts import PasswordRejected, check_password_rules, describe_password_rules


@dataclass
class FakeAccount:
    id: int
    username: str
    password: str
    can_write: bool = True
    must_change: bool = False
    active: bool = True


@dataclass
class FakeBackend:
    accounts: dict[int, FakeAccount] = field(default_factory=lambda: {
        1: FakeAccount(1, "omm", "omm", True, True),
        2: FakeAccount(2, "admin", "Adm1n-Pass", True),
        3: FakeAccount(3, "viewer", "V1ew-Only!", False),
    })
    banner_text: str | None = None
    events: list[kit.WebEvent] = field(default_factory=list)
    product: str = "OMM"

    def host_name(self) -> str:
        return "fake-omm"

    async def authenticate(self, username: str, password: str, peer: str
                           ) -> kit.Principal | None:
        await asyncio.sleep(0)
        for acc in self.accounts.values():
            if acc.username == username and acc.password == password and acc.active:
                return self.principal(acc.id)
        return None

    def principal(self, account_id: int) -> kit.Principal | None:
        acc = self.accounts.get(account_id)
        if acc is None or not acc.active:
            return None
        return kit.Principal(acc.id, acc.username, acc.can_write, acc.must_change)

    async def change_password(self, account_id: int, old: str, new: str) -> None:
        acc = self.accounts[account_id]
        if old != acc.password:
            raise kit.PasswordChangeRefused("EAuth", "The current password is wrong.")
        try:
            check_password_rules(new, username=acc.username, old=old, hostname="fake-omm")
        except PasswordRejected as exc:
            raise kit.PasswordChangeRefused(exc.code, exc.info) from None
        acc.password, acc.must_change = new, False

    def password_rules(self) -> str:
        return describe_password_rules()

    def banner(self) -> str | None:
        return self.banner_text

    def log_event(self, event: kit.WebEvent) -> None:
        self.events.append(event)


async def home(request: web.Request) -> web.StreamResponse:
    return kit.render(request, "demo.html", {"title": "Home", "value": "<b>escaped</b>"})


async def change(request: web.Request) -> web.StreamResponse:
    data = await kit.form(request)
    kit.flash(request, f"changed to {data.get('value', '')}")
    raise kit.redirect("/")


def demo_site(backend: FakeBackend) -> kit.WebSite:
    site = kit.WebSite(backend, templates=[Path(__file__).parent / "templates"])
    site.nav("Home", "/", order=0)
    site.get("/", home)
    site.post("/change", change, write=True)
    return site


@asynccontextmanager
async def serving(backend: FakeBackend, tmp: Path) -> AsyncIterator[kit.WebServer]:
    cert, key = tls.ensure_certificate(tmp, "sipdect web test", ("localhost", "127.0.0.1"))
    server = kit.WebServer(demo_site(backend), "127.0.0.1", https_port=0, http_port=0,
                           tls=tls.server_context(cert, key, tls.DEFAULT_LEVEL))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def client() -> aiohttp.ClientSession:
    """A client that keeps cookies of an address (aiohttp's default jar ignores them) and
    accepts the self-signed certificate."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                 connector=aiohttp.TCPConnector(ssl=False))


async def csrf_of(http: aiohttp.ClientSession, url: str) -> str:
    """The CSRF token of the page at `url` (its <meta name="csrf-token">)."""
    async with http.get(url) as r:
        text = await r.text()
    marker = 'name="csrf-token" content="'
    start = text.index(marker) + len(marker)
    return text[start:text.index('"', start)]


async def log_in(http: aiohttp.ClientSession, base: str, username: str, password: str
                 ) -> aiohttp.ClientResponse:
    token = await csrf_of(http, base + "login")
    return await http.post(base + "login", data={"username": username, "password": password,
                                                 "csrf_token": token})
