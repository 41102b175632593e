"""The live site map's server side over loopback (README "Live site map"), on the default system
`sipdect up` runs (the `site` fixture): who gets in (token, one-time code, session cookie and
what it admits), the page's security headers, its static files, and the feed's snapshot and
deltas as a browser's EventSource reads them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sim.air import PathLoss
from sipdect.app.events import parse_sse
from sipdect.app.map.server import SECURITY_HEADERS
from sipdect.app.ready import TOKEN_HEADER
from sipdect.waiting import DEFAULT_TIMEOUT, scaled

pytestmark = pytest.mark.slow


class Api:
    def __init__(self, site: Any) -> None:
        control = site.site.system.control
        self.site, self.base, self.token = site, control.url, control.token
        self.port = control.port
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        """Keeps cookies for 127.0.0.1 (a browser would)."""

    def url(self, path: str) -> str:
        return self.base + path

    async def code_url(self) -> str:
        async with self.http.post(self.url("/_emu/map/code"), json={},
                                  headers={TOKEN_HEADER: self.token}) as answer:
            assert answer.status == 200
            url: str = (await answer.json())["url"]
            return url

    async def session(self) -> None:
        """Open the map as a browser does: the code's URL, whose answer sets the cookie."""
        async with self.http.get(await self.code_url(), allow_redirects=False) as answer:
            assert answer.status == 303


@pytest.fixture
async def api(site: Any) -> AsyncIterator[Api]:
    client = Api(site)
    try:
        yield client
    finally:
        await client.http.close()


class Feed:
    """The map's feed as an EventSource reads it."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.buffer = ""

    async def next(self) -> tuple[str, dict[str, Any]]:
        import json

        while "\n\n" not in self.buffer:
            chunk = await asyncio.wait_for(self.response.content.readany(),
                                           scaled(DEFAULT_TIMEOUT))
            assert chunk, "the feed ended"
            self.buffer += chunk.decode()
        block, self.buffer = self.buffer.split("\n\n", 1)
        events = parse_sse(block + "\n\n")
        if not events:  # a keep-alive comment
            return await self.next()
        return events[0]["event"], json.loads(events[0]["data"])

    async def until(self, name: str, check: Any) -> dict[str, Any]:
        while True:
            kind, data = await self.next()
            if kind == name and check(data):
                return data


async def test_the_feed_and_the_page_refuse_whoever_has_neither_token_nor_session(
        api: Api) -> None:
    async with api.http.get(api.url("/_emu/map/feed")) as answer:
        assert answer.status == 401
    api.http.cookie_jar.update_cookies({f"sipdect_map_{api.port}": "guessed"})
    async with api.http.get(api.url("/_emu/map/feed")) as answer:
        assert answer.status == 401
    for path in ("/_emu/map", "/_emu/map?code=guessed"):
        async with api.http.get(api.url(path)) as answer:
            assert answer.status == 401
            assert "sipdect ctl map" in await answer.text()
            assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'")
    async with api.http.post(api.url("/_emu/map/code"), json={}) as answer:
        assert answer.status == 401  # only the token makes codes


async def test_a_code_opens_one_session_which_admits_the_map_and_nothing_more(
        api: Api) -> None:
    url = await api.code_url()
    async with api.http.get(url, allow_redirects=False) as answer:
        assert answer.status == 303 and answer.headers["Location"] == "/_emu/map"
        cookie = answer.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/_emu/" in cookie
        assert answer.headers["Referrer-Policy"] == "no-referrer"
    async with aiohttp.ClientSession() as stranger:
        async with stranger.get(url, allow_redirects=False) as answer:
            assert answer.status == 401  # the code is spent
    async with api.http.get(api.url("/_emu/map")) as answer:
        assert answer.status == 200
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value
        html = await answer.text()
        assert "<script src=" in html and "<script>" not in html and "style=" not in html
    async with api.http.get(api.url("/_emu/handsets")) as answer:
        assert answer.status == 200
    async with api.http.get(api.url("/_emu/rfps/RFP Lobby/stats")) as answer:
        assert answer.status == 200  # a selected RFP's statistics panel
        assert "RFP health" in (await answer.json())["counters"]
    for method, path in (("GET", "/_emu/state"), ("POST", "/_emu/reset"),
                         ("POST", "/_emu/hosts/OMM/kill"), ("POST", "/_emu/map/code")):
        async with api.http.request(method, api.url(path), json={}) as answer:
            assert answer.status == 401, path
    # The page's buttons, but only from the map's own origin (no cross-site request)
    async with api.http.post(api.url("/_emu/handsets/1/move"), json={"x": 1, "y": 1},
                             headers={"Origin": "http://evil.example"}) as answer:
        assert answer.status == 403


async def test_static_files_are_the_maps_own(api: Api) -> None:
    async with api.http.get(api.url("/_emu/map/static/map.js")) as answer:
        assert answer.status == 200 and answer.content_type == "text/javascript"
        assert "EventSource" in await answer.text()
    for name in ("..%2Fserver.py", "nothing.js", "__init__.py"):
        async with api.http.get(api.url(f"/_emu/map/static/{name}")) as answer:
            assert answer.status == 404, name


async def test_the_feed_sends_a_snapshot_then_only_what_changed(api: Api) -> None:
    await api.session()
    async with api.http.get(api.url("/_emu/map/feed")) as answer:
        assert answer.status == 200 and answer.content_type == "text/event-stream"
        feed = Feed(answer)
        name, snapshot = await feed.next()
        assert name == "snapshot"
        assert sorted(r["name"] for r in snapshot["rfps"]) == ["RFP Lobby", "RFP Office"]
        for rfp in snapshot["rfps"]:  # where its shells and SNMP agent listen
            host, _, port = rfp["ssh"].partition(":")
            assert host == rfp["snmp"].partition(":")[0] and int(port) > 0
            assert rfp["ssh_user"] and rfp["omm"] == "OMM"
        assert sorted(h["number"] for h in snapshot["handsets"]) == ["201", "202"]
        edge = next(c for c in snapshot["coverage"] if c["name"] == "edge")
        assert edge["m"] == round(PathLoss().distance_for(PathLoss().sensitivity_dbm), 1)
        alice = next(h for h in snapshot["handsets"] if h["number"] == "201")

        async with api.http.post(api.url(f"/_emu/handsets/{alice['id']}/move"),
                                 json={"x": 7.5, "y": -4.0}) as moved:
            assert moved.status == 200  # the session's cookie, as the page sends it

        def shows_the_move(delta: dict[str, Any]) -> bool:
            return any(h["id"] == alice["id"] and (h["x"], h["y"]) == (7.5, -4.0)
                       for h in delta.get("handsets", []))
        delta = await feed.until("delta", shows_the_move)
        assert delta["seq"] > snapshot["seq"]
        assert [h["id"] for h in delta["handsets"]] == [alice["id"]]  # Bob did not change
        assert "rfps" not in delta
