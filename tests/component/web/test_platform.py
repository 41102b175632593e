"""The web platform over loopback HTTPS with a plain backend: redirect, cookies, headers, CSRF,
login, read-only writes, forced password change, banner, event log."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from web_fake import FakeBackend, client, csrf_of, log_in, serving

from sipdect.web import WebEventKind
from sipdect.web.conventions import COOKIE_NAME


async def test_http_redirects_to_https_at_the_same_host_and_the_https_port(
        tmp_path: Path) -> None:
    async with serving(FakeBackend(), tmp_path) as server, client() as http:
        url = f"http://127.0.0.1:{server.http_port}/users?page=2"
        async with http.get(url, allow_redirects=False) as r:
            assert r.status == 301
            assert r.headers["Location"] == f"https://127.0.0.1:{server.https_port}/users?page=2"
        async with http.get(f"http://localhost:{server.http_port}/",
                            allow_redirects=False) as r:
            assert r.headers["Location"] == f"https://localhost:{server.https_port}/"


async def test_login_sets_a_secure_httponly_strict_cookie_and_logs_it(tmp_path: Path) -> None:
    backend = FakeBackend()
    async with serving(backend, tmp_path) as server, client() as http:
        async with await log_in(http, server.url, "admin", "Adm1n-Pass") as r:
            assert r.status == 200 and r.url.path == "/"
            cookie = next(h for h in r.history[0].headers.getall("Set-Cookie")
                          if h.startswith(COOKIE_NAME))
            parts = {p.strip().split("=")[0].lower() for p in cookie.split(";")}
            assert {"secure", "httponly", "samesite"} <= parts
            assert "samesite=strict" in cookie.lower()
            assert 'id="demo"' in await r.text()
    assert [e.kind for e in backend.events] == [WebEventKind.LOGIN]


async def test_every_answer_carries_the_security_headers(tmp_path: Path) -> None:
    async with serving(FakeBackend(), tmp_path) as server, client() as http:
        await log_in(http, server.url, "admin", "Adm1n-Pass")
        for path in ("", "login", "nothing-here", "static/kit/sipdect.css"):
            async with http.get(server.url + path) as r:
                csp = r.headers["Content-Security-Policy"]
                assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
                assert "script-src 'self'" in csp
                assert r.headers["X-Content-Type-Options"] == "nosniff"
                assert r.headers["Strict-Transport-Security"].startswith("max-age=")
                assert "Server" not in r.headers
                if not path.startswith("static"):
                    assert r.headers["Cache-Control"] == "no-store"


async def test_a_post_without_or_with_a_wrong_token_or_from_another_origin_is_refused(
        tmp_path: Path) -> None:
    async with serving(FakeBackend(), tmp_path) as server, client() as http:
        await log_in(http, server.url, "admin", "Adm1n-Pass")
        token = await csrf_of(http, server.url)
        refused = [{"value": "x"}, {"value": "x", "csrf_token": token[:-2] + "xx"}]
        for data in refused:
            async with http.post(server.url + "change", data=data,
                                 allow_redirects=False) as r:
                assert r.status == 403
        async with http.post(server.url + "change", data={"value": "x", "csrf_token": token},
                             headers={"Origin": "https://evil.example"},
                             allow_redirects=False) as r:
            assert r.status == 403
        async with http.post(server.url + "change", data={"value": "x", "csrf_token": token},
                             headers={"Origin": server.url.rstrip("/")}) as r:
            assert r.status == 200 and "changed to x" in await r.text()


async def test_a_read_only_account_sees_but_its_forged_post_is_refused(tmp_path: Path) -> None:
    async with serving(FakeBackend(), tmp_path) as server, client() as http:
        async with await log_in(http, server.url, "viewer", "V1ew-Only!") as r:
            text = await r.text()
            assert 'id="demo"' in text and 'id="change"' not in text and "read-only" in text
        token = await csrf_of(http, server.url)
        async with http.post(server.url + "change", data={"value": "x", "csrf_token": token}
                             ) as r:
            assert r.status == 403 and "read-only" in await r.text()


async def test_a_failed_login_is_refused_and_logged_without_the_password(
        tmp_path: Path) -> None:
    backend = FakeBackend()
    async with serving(backend, tmp_path) as server, client() as http:
        async with await log_in(http, server.url, "admin", "wrong-secret") as r:
            assert r.status == 401 and "Login failed" in await r.text()
        async with http.get(server.url, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/login"
    assert [(e.kind, e.username) for e in backend.events] == [
        (WebEventKind.LOGIN_FAILED, "admin")]
    assert "wrong-secret" not in repr(backend.events)


async def test_the_default_password_must_be_changed_before_anything_else(
        tmp_path: Path) -> None:
    backend = FakeBackend()
    async with serving(backend, tmp_path) as server, client() as http:
        async with await log_in(http, server.url, "omm", "omm") as r:
            assert r.url.path == "/password" and 'id="forced"' in await r.text()
        async with http.get(server.url + "anything") as r:
            assert r.url.path == "/password"
        token = await csrf_of(http, server.url + "password")
        weak = {"old_password": "omm", "new_password": "short", "repeat_password": "short",
                "csrf_token": token}
        async with http.post(server.url + "password", data=weak) as r:
            assert r.status == 400 and "EPwTooShort" in await r.text()
        good = {**weak, "new_password": "Str0ng-Pass", "repeat_password": "Str0ng-Pass"}
        async with http.post(server.url + "password", data=good) as r:
            assert r.url.path == "/" and "Password changed." in await r.text()
    assert backend.accounts[1].password == "Str0ng-Pass"


async def test_the_banner_is_acknowledged_before_the_login_form_or_left(tmp_path: Path) -> None:
    backend = FakeBackend(banner_text="Authorised staff only.")
    async with serving(backend, tmp_path) as server, client() as http:
        async with http.get(server.url + "login") as r:
            text = await r.text()
            assert "Authorised staff only." in text and 'id="login-form"' not in text
        async with await log_in(http, server.url, "admin", "Adm1n-Pass") as r:
            assert r.url.path == "/login"  # not logged in: the banner first
        token = await csrf_of(http, server.url + "login")
        async with http.post(server.url + "login/banner",
                             data={"action": "ok", "csrf_token": token}) as r:
            assert 'id="login-form"' in await r.text()
        async with await log_in(http, server.url, "admin", "Adm1n-Pass") as r:
            assert r.url.path == "/"
    async with serving(backend, tmp_path) as server, client() as http:
        token = await csrf_of(http, server.url + "login")
        async with http.post(server.url + "login/banner",
                             data={"action": "leave", "csrf_token": token}) as r:
            text = await r.text()
            assert r.url.path == "/login/left" and 'id="login-form"' not in text


async def test_a_deleted_account_loses_its_session(tmp_path: Path) -> None:
    backend = FakeBackend()
    async with serving(backend, tmp_path) as server, client() as http:
        await log_in(http, server.url, "admin", "Adm1n-Pass")
        backend.accounts[2].active = False
        async with http.get(server.url) as r:
            assert r.url.path == "/login"
    assert backend.events[-1].kind == WebEventKind.ENDED


async def test_logout_ends_the_session(tmp_path: Path) -> None:
    backend = FakeBackend()
    async with serving(backend, tmp_path) as server, client() as http:
        await log_in(http, server.url, "admin", "Adm1n-Pass")
        token = await csrf_of(http, server.url)
        async with http.post(server.url + "logout", data={"csrf_token": token}) as r:
            assert r.url.path == "/login"
        async with http.get(server.url, allow_redirects=False) as r:
            assert r.status == 303
    assert [e.kind for e in backend.events] == [WebEventKind.LOGIN, WebEventKind.LOGOUT]


async def test_a_bad_form_gets_an_error_page_and_the_server_goes_on(tmp_path: Path) -> None:
    async with serving(FakeBackend(), tmp_path) as server, client() as http:
        await log_in(http, server.url, "admin", "Adm1n-Pass")
        async with http.post(server.url + "change", data=b"\xff\xfe",
                             headers={"Content-Type": "multipart/form-data; boundary=x"}) as r:
            assert r.status in (400, 403)
        async with http.get(server.url) as r:
            assert r.status == 200


_ = aiohttp
