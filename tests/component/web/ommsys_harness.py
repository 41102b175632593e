"""An OMM model with its AXI listener and its web site (omm.web.build_site) on the kit's web
server, in the test's own loop, for the settings pages' HTTP tests
(tests/component/web/test_omm_settings_pages.py); what a test changes in the model directly is
then in the OMM's loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from omm.axi.api import AxiApi
from omm.axi.server import serve as serve_axi
from omm.model import OmmModel, OmmSetup
from omm.web import OmmWeb, build_site
from omm.web.axi import API_KEY
from omm.web.system import TLS_LEVEL
from sipdect import tls
from sipdect import web as kit
from sipdect.accounts import InitialAccount

ADMIN = ("omm", "Sipdect-Omm-2026")
VIEWER = ("viewer", "Viewer-Pass-2026")


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
    site = build_site(OmmWeb(model, "Test", "127.0.0.1", "test", extra={TLS_LEVEL: "High"}))
    site.app[API_KEY] = api
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
