"""An OMM's web UI over loopback HTTPS for the users, devices and RFP page tests: a real OMM
model and AXI dispatch, the kit's platform, every page module of omm.web.pages, and an aiohttp
client logged in as a full-access or a read-only account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from omm.axi.api import AxiApi
from omm.model import OmmModel, OmmSetup
from omm.web import OmmWeb, build_site
from omm.web.axi import API_KEY
from sipdect import tls
from sipdect import web as kit
from sipdect.accounts import InitialAccount
from sipdect.axi.conventions import OMM_VERSION

ADMIN, ADMIN_PW = "admin", "Adm1n-Pass-2026"
VIEWER, VIEWER_PW = "viewer", "V1ewer-Pass-2026"


@dataclass
class OmmWebUnderTest:
    api: AxiApi
    server: kit.WebServer

    @property
    def model(self) -> OmmModel:
        return self.api.model

    @property
    def url(self) -> str:
        return self.server.url


def omm_model(tmp: Path) -> OmmModel:
    return OmmModel(tmp / "omm", OmmSetup("Test", [
        InitialAccount("omm", ADMIN_PW), InitialAccount(ADMIN, ADMIN_PW),
        InitialAccount(VIEWER, VIEWER_PW, ("AllCnfRead",))]))


@asynccontextmanager
async def serving(tmp: Path, model: OmmModel | None = None) -> AsyncIterator[OmmWebUnderTest]:
    model = model or omm_model(tmp)
    api = AxiApi(model)
    site = build_site(OmmWeb(model, "test-omm", "127.0.0.1", OMM_VERSION))
    site.app[API_KEY] = api  # as OmmService does: the pages' writes are AXI requests
    cert, key = tls.ensure_certificate(tmp, "sipdect web test", ("localhost", "127.0.0.1"))
    server = kit.WebServer(site, "127.0.0.1", https_port=0, http_port=0,
                           tls=tls.server_context(cert, key, tls.DEFAULT_LEVEL))
    await server.start()
    try:
        yield OmmWebUnderTest(api, server)
    finally:
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


@asynccontextmanager
async def logged_in(omm: OmmWebUnderTest, username: str = ADMIN,
                    password: str = ADMIN_PW) -> AsyncIterator[aiohttp.ClientSession]:
    async with client() as http:
        token = await csrf_of(http, omm.url + "login")
        async with http.post(omm.url + "login", data={
                "username": username, "password": password, "csrf_token": token}) as r:
            assert r.status == 200, await r.text()
        yield http


async def post(http: aiohttp.ClientSession, omm: OmmWebUnderTest, path: str,
               data: dict[str, str]) -> tuple[int, str, str]:
    """POST a form as a page would (with the session's CSRF token); the status, the final
    path and the text of the answer (after the redirect)."""
    token = await csrf_of(http, omm.url + "users")
    async with http.post(omm.url + path.lstrip("/"), data={**data, "csrf_token": token}) as r:
        return r.status, r.url.path, await r.text()


async def get(http: aiohttp.ClientSession, omm: OmmWebUnderTest, path: str) -> tuple[int, str]:
    async with http.get(omm.url + path.lstrip("/")) as r:
        return r.status, await r.text()
