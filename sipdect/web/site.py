"""The web platform's application: an aiohttp app with the seed's protections as middlewares
(security headers, session, CSRF, login gate, forced password change, read-only writes), the
jinja2 pages every component shares (login, banner, password change, errors) and the API a
component's page module uses (docs/web.md).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import mimetypes
import pkgutil
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRoute
from markupsafe import Markup, escape

from sipdect.web import conventions as conv
from sipdect.web.backend import (
    PasswordChangeRefused,
    Principal,
    WebBackend,
    WebEvent,
    WebEventKind,
)
from sipdect.web.csrf import cross_site_fetch, same_origin, token_matches
from sipdect.web.sessions import Session, SessionTable

log = logging.getLogger("sipdect.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

KIT_DIR = Path(__file__).resolve().parent
SITE_KEY: web.AppKey[WebSite] = web.AppKey("sipdect_web_site")
_SESSION: web.RequestKey[Session | None] = web.RequestKey("sipdect_web_session", Session)
_PRINCIPAL: web.RequestKey[Principal | None] = web.RequestKey("sipdect_web_principal", Principal)
_NEW_COOKIE: web.RequestKey[str] = web.RequestKey("sipdect_web_new_cookie", str)
"""The cookie the answer sets ("" deletes it)."""


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """What the middlewares need to know of a route."""

    public: bool = False
    """Served without login (login, banner)."""
    write: bool = False
    """Changes something: refused (403) for a read-only account."""
    before_password_change: bool = False
    """Open while the account must still change its default password."""


@dataclass(frozen=True, slots=True)
class NavEntry:
    """One link of the navigation bar."""

    title: str
    path: str
    order: int


class WebSite:
    """One component's web UI: the app, its sessions, its templates and its pages."""

    def __init__(self, backend: WebBackend, *, templates: Sequence[Path] = (),
                 static: Mapping[str, Path] | None = None) -> None:
        """templates: the component's template folders (searched before the kit's);
        static: URL name -> folder, served under /static/<name>/ (the kit's is "kit")."""
        self.backend = backend
        self.sessions = SessionTable()
        self._routes: dict[AbstractRoute, RouteInfo] = {}
        self._nav: list[NavEntry] = []
        self._timer: asyncio.TimerHandle | None = None
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader([str(t) for t in templates]),
                                            jinja2.FileSystemLoader(str(KIT_DIR / "templates"))]
        self.env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                                      undefined=jinja2.StrictUndefined)
        self.env.globals["csrf_field"] = _csrf_field
        self.app = web.Application(middlewares=[self._errors, self._gate])
        self.app[SITE_KEY] = self
        self.app.on_response_prepare.append(_security_headers)
        self.app.on_cleanup.append(self._cleanup)
        self.add_static("kit", KIT_DIR / "static")
        for name, folder in (static or {}).items():
            self.add_static(name, folder)
        _add_account_pages(self)

    # -- what a page module calls (docs/web.md) ------------------------------------------------
    def get(self, path: str, handler: Handler, *, public: bool = False) -> None:
        """A page (GET, and HEAD). Only logged-in accounts see it unless `public`."""
        route = self.app.router.add_get(path, handler)
        self._routes[route] = RouteInfo(public=public)
        for head in route.resource or ():
            if head.method == "HEAD":
                self._routes[head] = RouteInfo(public=public)

    def post(self, path: str, handler: Handler, *, write: bool) -> None:
        """A form's target. `write=True`: it changes the component's configuration, and a
        read-only account gets 403 whatever the handler does. Every POST needs the CSRF
        token (checked before the handler runs)."""
        route = self.app.router.add_post(path, handler)
        self._routes[route] = RouteInfo(write=write)

    def nav(self, title: str, path: str, *, order: int = 100) -> None:
        """A navigation link (the bar is sorted by `order`, then title)."""
        self._nav.append(NavEntry(title, path, order))
        self._nav.sort(key=lambda e: (e.order, e.title))

    def add_static(self, name: str, folder: Path) -> None:
        """Serve the files of `folder` under /static/<name>/ (public, cacheable). Read into
        memory and answered as plain bodies: aiohttp's file responses use sendfile, which a
        host's guarded transports (sipdect.net) do not offer, and the files are small."""
        route = self.app.router.add_get(f"{conv.STATIC_PREFIX}/{name}/{{file:.+}}",
                                        _StaticFolder(folder).handle)
        self._routes[route] = RouteInfo(public=True)

    def load_pages(self, package: str) -> None:
        """Import every module of `package` and call its `setup(site)` (sorted by name), so
        page modules are added without editing a list."""
        pkg = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{package}.{info.name}")
            setup = getattr(module, "setup", None)
            if callable(setup):
                setup(self)

    @property
    def nav_entries(self) -> list[NavEntry]:
        return list(self._nav)

    def route_info(self, route: AbstractRoute) -> RouteInfo:
        return self._routes.get(route, RouteInfo())

    def render(self, request: web.Request, template: str,
               context: Mapping[str, Any] | None = None, *, status: int = 200) -> web.Response:
        """A page from `template` (which extends "base.html"), with the base context: product,
        host_name, principal, can_write, csrf_token, nav, flashes, path."""
        session: Session | None = request.get(_SESSION)
        principal: Principal | None = request.get(_PRINCIPAL)
        flashes: list[tuple[str, str]] = []
        if session is not None:
            flashes, session.flashes = session.flashes, []
        page = {
            "product": self.backend.product,
            "host_name": self.backend.host_name(),
            "principal": principal,
            "can_write": bool(principal and principal.can_write),
            "csrf_token": session.csrf if session is not None else "",
            "nav": [] if principal is None or principal.must_change_password else self._nav,
            "flashes": flashes,
            "path": request.path,
            "title": "",
        }
        page.update(context or {})
        text = self.env.get_template(template).render(page)
        return web.Response(text=text, status=status, content_type="text/html",
                            charset="utf-8")

    # -- sessions ------------------------------------------------------------------------------
    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.sessions.get_timer()
        if deadline is not None:
            self._timer = asyncio.get_running_loop().call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.sessions.handle_timer(self._now())
        self._report_expired()
        self._arm()

    def _report_expired(self) -> None:
        for session in self.sessions.expired():
            self.backend.log_event(WebEvent(WebEventKind.EXPIRED, session.username,
                                            session.peer, "10 minutes without a request"))

    async def _cleanup(self, _app: web.Application) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def end_all(self) -> None:
        """Forget every session (the component was reset to a new installation)."""
        self.sessions = SessionTable()
        self._arm()

    def session_of(self, request: web.Request) -> Session | None:
        return request.get(_SESSION)

    def start_anonymous(self, request: web.Request) -> Session:
        """The request's session before login, made if it has none (its cookie is set on
        the answer)."""
        session: Session | None = request.get(_SESSION)
        if session is None or session.logged_in:
            session = self.sessions.anonymous(self._now())
            request[_SESSION] = session
            request[_NEW_COOKIE] = session.token
            self._arm()
        return session

    def log_in(self, request: web.Request, principal: Principal) -> Session:
        session, evicted = self.sessions.login(request.get(_SESSION), principal.account_id,
                                               principal.username, _peer(request), self._now())
        if evicted is not None:
            self.backend.log_event(WebEvent(WebEventKind.ENDED, evicted.username, evicted.peer,
                                            f"more than {conv.MAX_SESSIONS} sessions"))
        request[_SESSION] = session
        request[_PRINCIPAL] = principal
        request[_NEW_COOKIE] = session.token
        self._arm()
        self.backend.log_event(WebEvent(WebEventKind.LOGIN, principal.username, _peer(request)))
        return session

    def log_out(self, request: web.Request) -> None:
        session: Session | None = request.get(_SESSION)
        if session is not None and self.sessions.end(session.token) is not None:
            self.backend.log_event(WebEvent(WebEventKind.LOGOUT, session.username,
                                            _peer(request)))
        request[_SESSION] = None
        request[_PRINCIPAL] = None
        request[_NEW_COOKIE] = ""
        self._arm()

    # -- middlewares ---------------------------------------------------------------------------
    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every error is a page of its own (no stack trace, no server banner); a bug is
        logged and answered 500, the service goes on."""
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:  # a redirect: kept, with the session's cookie
                response = web.Response(status=exc.status, reason=exc.reason,
                                        headers=exc.headers)
            else:
                response = self._error_page(request, exc.status, exc.reason, exc.text or "")
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception:
            log.exception("web: %s %s failed", request.method, request.path)
            response = self._error_page(request, 500, "Internal Server Error",
                                        "The page failed; the emulator's log says why.")
        token = request.get(_NEW_COOKIE)
        if token is not None:
            _set_cookie(response, token)
        return response

    def _error_page(self, request: web.Request, status: int, reason: str,
                    text: str) -> web.Response:
        if text.startswith(f"{status}:"):
            text = ""
        return self.render(request, "error.html", {"status": status, "reason": reason,
                                                   "message": text, "title": reason},
                           status=status)

    @web.middleware
    async def _gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Session, CSRF, login, forced password change and read-only, in this order."""
        if request.path.startswith(conv.STATIC_PREFIX + "/"):
            return await handler(request)
        now = self._now()
        token = request.cookies.get(conv.COOKIE_NAME)
        session = self.sessions.touch(token, now) if token else None
        self._report_expired()
        request[_SESSION] = session
        if token and session is None:
            request[_NEW_COOKIE] = ""  # forget the stale cookie
        info = self.route_info(request.match_info.route)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await _check_csrf(request, session)
        principal = None
        if session is not None and session.account_id is not None:
            principal = self.backend.principal(session.account_id)
            if principal is None:
                self.sessions.end(session.token)
                self.backend.log_event(WebEvent(WebEventKind.ENDED, session.username,
                                                session.peer, "the account is gone or inactive"))
                request[_SESSION] = session = None
                request[_NEW_COOKIE] = ""
        request[_PRINCIPAL] = principal
        self._arm()
        if principal is None and not info.public:
            raise web.HTTPSeeOther(conv.LOGIN_PATH)
        if principal is not None and principal.must_change_password \
                and not (info.before_password_change or info.public):
            raise web.HTTPSeeOther(conv.PASSWORD_PATH)
        if info.write and principal is not None and not principal.can_write:
            raise web.HTTPForbidden(text=f"The account '{principal.username}' has read-only "
                                    "access: it cannot change anything.")
        return await handler(request)


class _StaticFolder:
    """The files of one folder, by name (no sub-folders, no dot files), kept once read."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self._cache: dict[str, tuple[bytes, str]] = {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["file"]
        found = self._cache.get(name)
        if found is None:
            if "/" in name or "\\" in name or name.startswith("."):
                raise web.HTTPNotFound()
            path = self.folder / name
            if not path.is_file():
                raise web.HTTPNotFound()
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            found = self._cache[name] = (path.read_bytes(), kind)
        body, kind = found
        return web.Response(body=body, content_type=kind,
                            charset="utf-8" if kind.startswith("text/") or kind.endswith(
                                "javascript") else None)


async def _check_csrf(request: web.Request, session: Session | None) -> None:
    if cross_site_fetch(request.headers.get("Sec-Fetch-Site")) or not same_origin(
            request.headers.get("Origin"), request.headers.get("Referer"), request.scheme,
            request.host):
        raise web.HTTPForbidden(text="The form came from another site.")
    if session is None:
        raise web.HTTPForbidden(text="The session ended (10 minutes without a request, or "
                                "logged out). Open the page again.")
    given = request.headers.get(conv.CSRF_HEADER)
    if given is None:
        try:
            form = await request.post()
        except (ValueError, web.HTTPException) as exc:
            raise web.HTTPBadRequest(text="The form could not be read.") from exc
        field = form.get(conv.CSRF_FIELD)
        given = field if isinstance(field, str) else None
    if not token_matches(session.csrf, given):
        raise web.HTTPForbidden(text="The form is stale or forged (its security token does "
                                "not match). Open the page again.")


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in conv.SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.secure:
        response.headers.setdefault("Strict-Transport-Security", conv.HSTS)
    static = request.path.startswith(conv.STATIC_PREFIX + "/") and response.status == 200
    response.headers["Cache-Control"] = conv.STATIC_CACHE if static else conv.PRIVATE_CACHE
    response.headers.pop("Server", None)


def _set_cookie(response: web.StreamResponse, token: str) -> None:
    if token:
        response.set_cookie(conv.COOKIE_NAME, token, path="/", secure=True, httponly=True,
                            samesite="Strict")
    else:
        response.del_cookie(conv.COOKIE_NAME, path="/", secure=True, httponly=True,
                            samesite="Strict")


@jinja2.pass_context
def _csrf_field(context: jinja2.runtime.Context) -> Markup:
    token = context.get("csrf_token", "")
    return Markup('<input type="hidden" name="{}" value="{}">').format(conv.CSRF_FIELD,
                                                                      escape(token))


def _peer(request: web.Request) -> str:
    return request.remote or ""


# -- what page handlers call (docs/web.md) --------------------------------------------------------
def site_of(request: web.Request) -> WebSite:
    return request.app[SITE_KEY]


def principal(request: web.Request) -> Principal:
    """The logged-in account of a (non-public) page's request."""
    found: Principal | None = request.get(_PRINCIPAL)
    if found is None:
        raise web.HTTPSeeOther(conv.LOGIN_PATH)
    return found


def can_write(request: web.Request) -> bool:
    """Whether the request's account has full access."""
    found: Principal | None = request.get(_PRINCIPAL)
    return bool(found and found.can_write)


def render(request: web.Request, template: str, context: Mapping[str, Any] | None = None, *,
           status: int = 200) -> web.Response:
    """Render a page (see WebSite.render)."""
    return site_of(request).render(request, template, context, status=status)


def flash(request: web.Request, text: str, kind: str = "info") -> None:
    """A message the next page shows once (kind: info, error)."""
    session: Session | None = request.get(_SESSION)
    if session is not None:
        session.flashes.append((kind, text))


def redirect(path: str) -> web.HTTPSeeOther:
    """`raise redirect("/users")` after a POST (POST-redirect-GET)."""
    return web.HTTPSeeOther(path)


async def form(request: web.Request) -> dict[str, str]:
    """The POSTed form's text fields (files are ignored; the CSRF field is left out)."""
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str) and k != conv.CSRF_FIELD}


# -- the account pages every component has -------------------------------------------------------
def _add_account_pages(site: WebSite) -> None:
    router = site.app.router
    public = RouteInfo(public=True)
    for route in (router.add_get(conv.LOGIN_PATH, _login_page),
                  router.add_get(conv.LEFT_PATH, _left_page)):
        site._routes[route] = public
    for route in (router.add_post(conv.LOGIN_PATH, _login),
                  router.add_post(conv.BANNER_PATH, _banner)):
        site._routes[route] = public
    own = RouteInfo(before_password_change=True)
    for route in (router.add_get(conv.PASSWORD_PATH, _password_page),
                  router.add_post(conv.PASSWORD_PATH, _password),
                  router.add_post(conv.LOGOUT_PATH, _logout)):
        site._routes[route] = own


async def _login_page(request: web.Request) -> web.StreamResponse:
    site = site_of(request)
    if request.get(_PRINCIPAL) is not None:
        raise web.HTTPSeeOther(conv.HOME_PATH)
    session = site.start_anonymous(request)
    banner = site.backend.banner()
    if banner is not None and not session.banner_acknowledged:
        return site.render(request, "banner.html", {"banner": banner, "title": "Notice"})
    return site.render(request, "login.html", {"title": "Login", "error": "", "username": ""})


async def _banner(request: web.Request) -> web.StreamResponse:
    site = site_of(request)
    session = site.start_anonymous(request)
    data = await form(request)
    if data.get("action") == "ok":
        session.banner_acknowledged = True
        raise web.HTTPSeeOther(conv.LOGIN_PATH)
    site.sessions.end(session.token)
    request[_SESSION] = None
    request[_NEW_COOKIE] = ""
    site.backend.log_event(WebEvent(WebEventKind.BANNER_REFUSED, "", _peer(request)))
    raise web.HTTPSeeOther(conv.LEFT_PATH)


async def _left_page(request: web.Request) -> web.StreamResponse:
    return site_of(request).render(request, "left.html", {"title": "Goodbye"})


async def _login(request: web.Request) -> web.StreamResponse:
    site = site_of(request)
    session = site.start_anonymous(request)
    if site.backend.banner() is not None and not session.banner_acknowledged:
        raise web.HTTPSeeOther(conv.LOGIN_PATH)
    data = await form(request)
    username, password = data.get("username", ""), data.get("password", "")
    found = await site.backend.authenticate(username, password, _peer(request))
    if found is None:
        site.backend.log_event(WebEvent(WebEventKind.LOGIN_FAILED, username, _peer(request)))
        return site.render(request, "login.html", {
            "title": "Login", "username": username,
            "error": "Login failed: the user name or the password is wrong."}, status=401)
    site.log_in(request, found)
    raise web.HTTPSeeOther(conv.PASSWORD_PATH if found.must_change_password else conv.HOME_PATH)


async def _logout(request: web.Request) -> web.StreamResponse:
    site_of(request).log_out(request)
    raise web.HTTPSeeOther(conv.LOGIN_PATH)


def _password_form(request: web.Request, error: str = "", code: str = "",
                   status: int = 200) -> web.Response:
    who = principal(request)
    return render(request, "password.html", {
        "title": "Change password", "error": error, "code": code,
        "forced": who.must_change_password,
        "rules": site_of(request).backend.password_rules()}, status=status)


async def _password_page(request: web.Request) -> web.StreamResponse:
    return _password_form(request)


async def _password(request: web.Request) -> web.StreamResponse:
    site, who = site_of(request), principal(request)
    data = await form(request)
    new = data.get("new_password", "")
    if new != data.get("repeat_password", ""):
        return _password_form(request, "The two new passwords differ; type the same twice.",
                              "", 400)
    try:
        await site.backend.change_password(who.account_id, data.get("old_password", ""), new)
    except PasswordChangeRefused as exc:
        return _password_form(request, exc.text, exc.code, 400)
    site.backend.log_event(WebEvent(WebEventKind.PASSWORD_CHANGED, who.username,
                                    _peer(request)))
    flash(request, "Password changed.")
    raise web.HTTPSeeOther(conv.HOME_PATH)
