"""An OMM model with its AXI API and the settings pages on the kit's web server, for the
settings pages' HTTP tests (tests/component/web/test_omm_settings_pages.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from omm.axi.api import AxiApi
from omm.axi.server import serve as serve_axi
from omm.model import OmmModel, OmmSetup
from omm.web.axi import API_KEY
from sipdect import tls
from sipdect import web as kit
from sipdect.accounts import InitialAccount, can_write, must_change_password

ADMIN = ("omm", "Sipdect-Omm-2026")
VIEWER = ("viewer", "Viewer-Pass-2026")
HERE = Path(__file__).resolve().parents[3] / "omm" / "web"


@dataclass
class ModelBackend:
    """The web platform's backend over an OmmModel's accounts."""

    model: OmmModel
    product: str = "OMM"

    def host_name(self) -> str:
        return str(self.model.settings.value("SystemName", "name"))

    async def authenticate(self, username: str, password: str, peer: str
                           ) -> kit.Principal | None:
        rec = await asyncio.to_thread(self.model.accounts.login, username, password)
        return None if rec is None else self.principal(int(rec["id"]))

    def principal(self, account_id: int) -> kit.Principal | None:
        rec = self.model.accounts.table.get(account_id)
        if rec is None or not rec["active"]:
            return None
        return kit.Principal(account_id, rec["username"], can_write(rec),
                             must_change_password(rec))

    async def change_password(self, account_id: int, old: str, new: str) -> None:
        raise kit.PasswordChangeRefused("EFailed", "not in this test")

    def banner(self) -> str | None:
        return None

    def log_event(self, event: kit.WebEvent) -> None:
        self.model.log("GenInfo", "WEB", f"{event.kind} {event.username}")


@dataclass
class Served:
    api: AxiApi
    base: str
    """The web UI's URL, ending in /."""
    axi_port: int
    """Its AXI (plain TCP) at 127.0.0.1."""

    @property
    def model(self) -> OmmModel:
        return self.api.model


@asynccontextmanager
async def serving(tmp: Path) -> AsyncIterator[Served]:
    model = OmmModel(tmp / "omm", OmmSetup("Test", [
        InitialAccount("omm", ADMIN[1]), InitialAccount("viewer", VIEWER[1], ("AllCnfRead",))]))
    api = AxiApi(model)
    site = kit.WebSite(ModelBackend(model), templates=[HERE / "templates"],
                       static={"omm": HERE / "static"})
    site.app[API_KEY] = api
    site.load_pages("omm.web.pages")
    cert, key = tls.ensure_certificate(tmp, "sipdect web test", ("localhost", "127.0.0.1"))
    server = kit.WebServer(site, "127.0.0.1", https_port=0, http_port=0,
                           tls=tls.server_context(cert, key, tls.DEFAULT_LEVEL))
    await server.start()
    axi = await serve_axi(api, "127.0.0.1", 0)
    try:
        yield Served(api, f"https://127.0.0.1:{server.https_port}/",
                     axi.sockets[0].getsockname()[1])
    finally:
        axi.close()
        await server.stop()
        model.close()


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                 connector=aiohttp.TCPConnector(ssl=False))


async def csrf_of(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as r:
        text = await r.text()
    marker = 'name="csrf-token" content="'
    start = text.index(marker) + len(marker)
    return text[start:text.index('"', start)]


async def logged_in(base: str, who: tuple[str, str]) -> aiohttp.ClientSession:
    http = client()
    token = await csrf_of(http, base + "login")
    async with http.post(base + "login", data={"username": who[0], "password": who[1],
                                               "csrf_token": token},
                         allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] != "/login", await r.text()
    return http


async def post(http: aiohttp.ClientSession, base: str, path: str,
               data: dict[str, str] | list[tuple[str, str]]) -> tuple[int, str]:
    """POST a form with the session's CSRF token (taken from the page at `path`'s parent)."""
    token = await csrf_of(http, base + "eventlog")
    items = list(data.items()) if isinstance(data, dict) else list(data)
    async with http.post(base + path.lstrip("/"), data=[*items, ("csrf_token", token)]) as r:
        return r.status, await r.text()
