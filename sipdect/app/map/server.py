"""The live site map on the supervisor's control API (README "Live site map"): the page, its
static files, its feed (server-sent events) and the way a browser gets in.

A browser cannot send the control API's token, so whoever holds the token asks for a one-time
code (`sipdect up` prints a map URL with one, `sipdect ctl map` gets a new one); opening the
URL trades the code for a session cookie (HttpOnly, SameSite=Strict) and redirects to the map
without it. The session admits only the map's feed and the few control API requests the page
sends (SESSION_ROUTES); everything else still wants the token. The control API's Host and
Origin checks and its JSON-only writes hold for the map as for any request.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from aiohttp import hdrs, web

from sipdect import clock
from sipdect.app.map.feed import MapFeed

if TYPE_CHECKING:
    from sipdect.app.system import System

PAGE_PATH = "/_emu/map"
STATIC_PREFIX = "/_emu/map/static/"
FEED_PATH = "/_emu/map/feed"
CODE_PATH = "/_emu/map/code"
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
"""The static files the map serves, by suffix (anything else in the folder is not served)."""

CODE_TTL_S = 3600.0
"""Decided: a map URL's one-time code works once, within an hour (real seconds) of being
made; `sipdect ctl map` makes a new one."""
MAX_CODES = 16
"""Unused codes kept (the oldest is dropped first)."""
MAX_SESSIONS = 64
"""Map sessions kept (the oldest ends first); they end with the run (a new token, too)."""
KEEP_ALIVE_S = 15.0
"""A feed with nothing to tell sends a comment this often."""
SESSION_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("GET", re.compile(r"/_emu/map/feed")),
    ("GET", re.compile(r"/_emu/(handsets|rfps)")),
    ("GET", re.compile(r"/_emu/rfps/[^/]+/stats")),
    ("POST", re.compile(r"/_emu/handsets/[^/]+/(move|walk|call|answer|hangup)")),
    ("POST", re.compile(r"/_emu/rfps/[^/]+/power")),
)
"""What a map session (cookie) may ask of the control API: the feed, a selected RFP's
statistics, and the page's buttons (move or walk a handset, call, answer, hang up, power an
RFP off and on)."""
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
"""On every answer of the map: nothing inline, nothing from elsewhere, never framed, the URL
(with its code) never sent on."""


class MapAccess:
    """One-time codes and the sessions they open; sans-I/O (given `now`, real seconds)."""

    def __init__(self) -> None:
        self.codes: OrderedDict[str, float] = OrderedDict()
        """Unused code -> when it expires."""
        self.sessions: OrderedDict[str, None] = OrderedDict()

    def new_code(self, now: float) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = now + CODE_TTL_S
        while len(self.codes) > MAX_CODES:
            self.codes.popitem(last=False)
        return code

    def redeem(self, code: str, now: float) -> str | None:
        """A new session for a good code (then spent), else None."""
        expires = self.codes.pop(code, None)
        if expires is None or now > expires:
            return None
        session = secrets.token_urlsafe(32)
        self.sessions[session] = None
        while len(self.sessions) > MAX_SESSIONS:
            self.sessions.popitem(last=False)
        return session

    def valid(self, session: str | None) -> bool:
        return session is not None and any(
            secrets.compare_digest(session, s) for s in self.sessions)


def secure(response: web.StreamResponse) -> web.StreamResponse:
    response.headers.update(SECURITY_HEADERS)
    return response


class MapServer:
    """The map's routes on the control API's application."""

    def __init__(self, system: System, app: web.Application) -> None:
        self.system = system
        self.access = MapAccess()
        self._feed: MapFeed | None = None
        self.base_url = ""
        """http://host:port of the control API, once it listens."""
        self._templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
        r = app.router
        r.add_get(PAGE_PATH, self.page)
        r.add_get(STATIC_PREFIX + "{name}", self.static)
        r.add_get(FEED_PATH, self.feed_stream)
        r.add_post(CODE_PATH, self.code)

    @property
    def feed(self) -> MapFeed:
        """The map's feed, made when a map first asks (a control API nobody maps reads no
        site for it)."""
        if self._feed is None:
            self._feed = MapFeed(self.system)
        return self._feed

    @property
    def cookie(self) -> str:
        """One cookie name per control API port: two systems on one machine keep theirs."""
        return f"sipdect_map_{self.base_url.rsplit(':', 1)[-1]}"

    def url(self) -> str:
        """The map's URL with a new one-time code (for `sipdect up` and `sipdect ctl map`)."""
        return f"{self.base_url}{PAGE_PATH}?code={self.access.new_code(time.monotonic())}"

    def admits(self, request: web.Request) -> bool:
        """Whether a request without the token may go on: the page and its static files
        (the page checks the session itself), and SESSION_ROUTES with a session."""
        if request.method == "GET" and (request.path == PAGE_PATH
                                        or request.path.startswith(STATIC_PREFIX)):
            return True
        return self.access.valid(request.cookies.get(self.cookie)) and any(
            request.method == method and pattern.fullmatch(request.path)
            for method, pattern in SESSION_ROUTES)

    # -- handlers --------------------------------------------------------------------------------
    async def page(self, request: web.Request) -> web.StreamResponse:
        code = request.query.get("code")
        if code is not None:
            session = self.access.redeem(code, time.monotonic())
            if session is None:
                return self._refused(request, "This map link was used already or is too old.")
            found = web.Response(status=303, headers={hdrs.LOCATION: PAGE_PATH,
                                                      hdrs.CACHE_CONTROL: "no-store"})
            found.set_cookie(self.cookie, session, path="/_emu/", httponly=True,
                             samesite="Strict")
            return secure(found)
        if not self.access.valid(request.cookies.get(self.cookie)):
            return self._refused(request, "This browser has no map session yet.")
        html = self._templates.get_template("map.html").render(
            system=self.system.cfg.name, static=STATIC_PREFIX)
        response = web.Response(text=html, content_type="text/html",
                                headers={hdrs.CACHE_CONTROL: "no-store"})
        return secure(response)

    def _refused(self, request: web.Request, why: str) -> web.StreamResponse:
        html = self._templates.get_template("refused.html").render(
            system=self.system.cfg.name, why=why, static=STATIC_PREFIX)
        return secure(web.Response(text=html, content_type="text/html", status=401,
                                   headers={hdrs.CACHE_CONTROL: "no-store"}))

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = STATIC_DIR / name
        kind = STATIC_TYPES.get(path.suffix)
        if kind is None or "/" in name or name.startswith(".") or not path.is_file():
            raise web.HTTPNotFound(reason=f"no map file {name!r}")
        return secure(web.Response(body=path.read_bytes(), content_type=kind,
                                   headers={hdrs.CACHE_CONTROL: "no-cache"}))

    async def code(self, request: web.Request) -> web.Response:
        """POST /_emu/map/code (token only): a map URL with a fresh one-time code."""
        return web.json_response({"url": self.url(), "expires_in": CODE_TTL_S})

    async def feed_stream(self, request: web.Request) -> web.StreamResponse:
        """GET /_emu/map/feed: a snapshot, then deltas, as server-sent events; a comment when
        nothing happened for a while keeps proxies from closing it."""
        response = secure(web.StreamResponse(headers={
            hdrs.CONTENT_TYPE: "text/event-stream", hdrs.CACHE_CONTROL: "no-store"}))
        snapshot, queue = self.feed.join()
        try:
            await response.prepare(request)
            await response.write(snapshot)
            while True:
                try:
                    data = await asyncio.wait_for(queue.get(),
                                                  clock.current().virtual(KEEP_ALIVE_S))
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if data is None:  # fell behind: the page reconnects and starts afresh
                    break
                await response.write(data)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.feed.leave(queue)
        return response

