"""The OMM's web UI over HTTP(S) with aiohttp's client, against the emulated OMM of the `omm`
fixture (accounts `omm` full access and `monitor` read-only, as configured)."""

from __future__ import annotations

import re

from web_fake import client, csrf_of, log_in

from sipdect.app.emulator import OmmHandle
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.web import WebSite
from tests.component.test_axi_server import encrypt

READ_ONLY = ("monitor", "Sipdect-Read-2026")
SIP_SECRET = "Web-Crawl-Sip-Secret-77"


def _site(omm: OmmHandle) -> WebSite:
    assert omm.service is not None and omm.service.web is not None
    return omm.service.web.site


def _paths(site: WebSite, method: str) -> list[str]:
    """Every route of `method`, path parameters filled with 1 (a record that may exist)."""
    out = []
    for route in site.app.router.routes():
        if route.method != method or route.resource is None:
            continue
        path = route.resource.canonical
        if path.startswith("/static"):
            continue
        out.append(re.sub(r"\{[^}]*\}", "1", path))
    return sorted(set(out))


async def test_the_omm_serves_its_web_ui_behind_an_http_redirect(omm: OmmHandle) -> None:
    service = omm.service
    assert service is not None and service.web is not None
    http_port = service.web.http_port
    async with client() as http:
        async with http.get(f"http://{omm.host}:{http_port}/", allow_redirects=False) as r:
            assert r.status == 301 and r.headers["Location"] == omm.web_url
        async with await log_in(http, omm.web_url, omm.username, omm.password) as r:
            text = await r.text()
            assert r.status == 200 and 'id="health"' in text
            assert re.search(r'id="fact-address">\s*' + re.escape(omm.host), text)
            assert 'data-component="standby"' in text
            assert "Strict-Transport-Security" in r.headers


async def test_no_page_shows_a_password_key_or_hash(omm: OmmHandle, axi: AxiClient) -> None:
    assert axi.open_response is not None
    await axi.request("CreatePPUser", children=[element("user", {
        "num": "4711", "name": "Crawl", "sipAuthId": "4711",
        "sipPw": encrypt(axi.open_response, SIP_SECRET)})])
    secrets = [omm.password, READ_ONLY[1], SIP_SECRET, "scrypt$", "PRIVATE KEY", "passwordHash"]
    site = _site(omm)
    pages = _paths(site, "GET")
    assert "/" in pages and "/password" in pages
    for username, password in ((omm.username, omm.password), READ_ONLY):
        async with client() as http:
            await log_in(http, omm.web_url, username, password)
            for path in pages:
                if path in ("/login/left",):
                    continue
                async with http.get(omm.web_url.rstrip("/") + path) as r:
                    text = await r.text()
                    assert r.status < 500, (path, r.status)
                    leaked = [s for s in secrets if s in text]
                    assert not leaked, f"{path} as {username} shows {leaked}"


async def test_a_read_only_account_cannot_post_any_write(omm: OmmHandle) -> None:
    site = _site(omm)
    writes = sorted({re.sub(r"\{[^}]*\}", "1", route.resource.canonical)
                     for route in site.app.router.routes()
                     if route.resource is not None and site.route_info(route).write})
    async with client() as http:
        await log_in(http, omm.web_url, *READ_ONLY)
        token = await csrf_of(http, omm.web_url)
        for path in writes:
            async with http.post(omm.web_url.rstrip("/") + path,
                                 data={"csrf_token": token, "name": "forged"}) as r:
                assert r.status == 403, path
                assert "read-only" in await r.text()


async def test_logins_failures_and_logouts_are_in_the_event_log(omm: OmmHandle) -> None:
    async with client() as http:
        async with await log_in(http, omm.web_url, omm.username, "Not-The-Pw-1") as r:
            assert r.status == 401
        await log_in(http, omm.web_url, omm.username, omm.password)
        token = await csrf_of(http, omm.web_url)
        async with http.post(omm.web_url + "logout", data={"csrf_token": token}) as r:
            assert r.url.path == "/login"
    texts = [e.msg for e in omm.model.event_log.entries(0, 1000) if e.name == "WEB"]
    assert any(t.startswith(f"Web login failed for user '{omm.username}'") for t in texts)
    assert any(t.startswith(f"Web login of user '{omm.username}'") for t in texts)
    assert any(t.startswith(f"Web logout of user '{omm.username}'") for t in texts)
    assert not any("Not-The-Pw-1" in t or omm.password in t for t in texts)


async def test_a_csrf_token_of_another_session_is_refused(omm: OmmHandle) -> None:
    async with client() as one, client() as other:
        await log_in(one, omm.web_url, omm.username, omm.password)
        await log_in(other, omm.web_url, omm.username, omm.password)
        theirs = await csrf_of(other, omm.web_url)
        async with one.post(omm.web_url + "logout", data={"csrf_token": theirs}) as r:
            assert r.status == 403
        async with one.get(omm.web_url) as r:
            assert r.url.path == "/"  # still logged in


