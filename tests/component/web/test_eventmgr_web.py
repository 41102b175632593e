"""The Event Manager's web UI over loopback HTTPS (issue 15 item 5): the HTTP redirect, the
preset admin's forced password change, no login banner, cookie flags and CSRF, every GET page
crawled for secrets as full and read-only, forged POSTs of a read-only account refused, admin
undeletable, a rule made through the form (errors at the field), logins in the event log."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from web_fake import client, csrf_of, log_in

from eventmgr import conventions as c
from eventmgr.config import EventMgrConfig, OmmLink, TrapTarget
from eventmgr.rules import Rule
from eventmgr.service import EventMgrService
from eventmgr.web.backend import EventMgrWebBackend
from sipdect.web.conventions import COOKIE_NAME

ADMIN_PW = "Alarm-Desk-2026"
READ_ONLY = ("monitor", "Sipdect-Read-2026")
OMM_PW = "Omm-Account-Secret-55"
COMMUNITY = "trap-community-secret"


@pytest_asyncio.fixture
async def em(tmp_path: Path) -> AsyncIterator[EventMgrService]:
    """An Event Manager alone (its OMM unreachable), web UI on free ports, admin on its
    default password."""
    cfg = EventMgrConfig(host="127.0.0.1", espa_port=0, web_port=0, web_tls_port=0,
                         omm=OmmLink("127.0.0.1", 9, "eventmgr", OMM_PW),
                         traps=[TrapTarget("127.0.0.1", 9, COMMUNITY)],
                         groups={"night": ("202", "203")},
                         rules=[Rule("ward", match="2*", steps=(("201",), ("group:night",)))])
    service = EventMgrService(cfg, tmp_path / "em")
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def _base(em: EventMgrService) -> str:
    assert em.web is not None
    return em.web.url


def _backend(em: EventMgrService) -> EventMgrWebBackend:
    assert em.web is not None
    backend = em.web.site.backend
    assert isinstance(backend, EventMgrWebBackend)
    return backend


async def _ready(em: EventMgrService) -> None:
    """admin's password changed, a read-only account made (as admin would on the pages)."""
    backend = _backend(em)
    admin = backend.accounts.by_username(c.ADMIN)
    assert admin is not None
    await backend.set_password(admin.id, ADMIN_PW)
    from sipdect.accounts import hash_password
    backend.accounts.create(READ_ONLY[0], hash_password(READ_ONLY[1]), can_write=False)


def _paths(em: EventMgrService, *, write: bool) -> list[str]:
    assert em.web is not None
    site = em.web.site
    out = set()
    for route in site.app.router.routes():
        if route.resource is None or route.resource.canonical.startswith("/static"):
            continue
        if write and site.route_info(route).write:
            out.add(route.resource.canonical)
        elif not write and route.method == "GET":
            out.add(route.resource.canonical)
    return sorted(out)


async def test_http_redirects_and_the_endpoints_are_announced(em: EventMgrService) -> None:
    assert em.web is not None
    protocols = {e.protocol: e.port for e in em.endpoints}
    assert protocols["web"] == em.web.http_port and protocols["web-https"] == em.web.https_port
    async with client() as http:
        async with http.get(f"http://127.0.0.1:{em.web.http_port}/rules",
                            allow_redirects=False) as r:
            assert r.status == 301
            assert r.headers["Location"] == f"https://127.0.0.1:{em.web.https_port}/rules"


async def test_admin_must_change_the_default_password_first_and_there_is_no_banner(
        em: EventMgrService) -> None:
    base = _base(em)
    async with client() as http:
        async with http.get(base + "login") as r:
            text = await r.text()
            assert r.status == 200 and 'name="password"' in text and "banner" not in text
        async with await log_in(http, base, c.ADMIN, c.ADMIN_DEFAULT_PASSWORD) as r:
            assert r.url.path == "/password"
            cookie = next(h for h in r.history[0].headers.getall("Set-Cookie")
                          if h.startswith(COOKIE_NAME))
            assert {"secure", "httponly"} <= {p.strip().split("=")[0].lower()
                                              for p in cookie.split(";")}
            assert "samesite=strict" in cookie.lower()
        for path in ("", "rules", "accounts"):
            async with http.get(base + path) as r:
                assert r.url.path == "/password", path
        token = await csrf_of(http, base + "password")
        async with http.post(base + "password", data={
                "csrf_token": token, "old_password": c.ADMIN_DEFAULT_PASSWORD,
                "new_password": ADMIN_PW, "repeat_password": ADMIN_PW}) as r:
            assert r.status == 200 and r.url.path == "/"
            assert 'id="omm-state"' in await r.text()
    async with client() as http:  # the new password from now on, the old one no more
        async with await log_in(http, base, c.ADMIN, c.ADMIN_DEFAULT_PASSWORD) as r:
            assert r.status == 401
        async with await log_in(http, base, c.ADMIN, ADMIN_PW) as r:
            assert r.url.path == "/"
    stored = [a.password_hash for a in _backend(em).accounts]
    assert all(h.startswith("scrypt$") and ADMIN_PW not in h for h in stored)


async def test_no_page_shows_a_password_hash_or_community(em: EventMgrService) -> None:
    await _ready(em)
    base = _base(em)
    secrets = [ADMIN_PW, READ_ONLY[1], OMM_PW, COMMUNITY, "scrypt$", "PRIVATE KEY",
               "password_hash"]
    pages = _paths(em, write=False)
    assert {"/", "/rules", "/rules/edit", "/eventlog", "/eventlog/export", "/accounts",
            "/groups", "/password"} <= set(pages)
    for username, password in ((c.ADMIN, ADMIN_PW), READ_ONLY):
        async with client() as http:
            await log_in(http, base, username, password)
            for path in pages:
                if path == "/login/left":
                    continue
                query = "?name=ward" if path == "/rules/edit" else ""
                async with http.get(base.rstrip("/") + path + query) as r:
                    text = await r.text()
                    assert r.status < 400, (path, r.status)
                    leaked = [s for s in secrets if s in text]
                    assert not leaked, f"{path} as {username} shows {leaked}"


async def test_a_read_only_account_cannot_post_any_write(em: EventMgrService) -> None:
    await _ready(em)
    base = _base(em)
    writes = _paths(em, write=True)
    assert {"/rules/save", "/rules/delete", "/accounts/delete", "/accounts/new"} <= set(writes)
    async with client() as http:
        await log_in(http, base, *READ_ONLY)
        async with http.get(base + "rules") as r:
            assert "/rules/new" not in await r.text()  # no write controls shown
        token = await csrf_of(http, base)
        for path in writes:
            async with http.post(base.rstrip("/") + path, data={
                    "csrf_token": token, "name": "ward", "id": "1", "username": "forged",
                    "password": "Forged-Pass-99", "steps": "201"}) as r:
                assert r.status == 403, path
    assert [r.name for r in em.rules()] == ["ward"]
    assert [a.username for a in _backend(em).accounts] == [c.ADMIN, READ_ONLY[0]]


async def test_admin_cannot_be_deleted_and_a_post_without_the_token_is_refused(
        em: EventMgrService) -> None:
    await _ready(em)
    base = _base(em)
    admin = _backend(em).accounts.by_username(c.ADMIN)
    assert admin is not None
    async with client() as http:
        await log_in(http, base, c.ADMIN, ADMIN_PW)
        async with http.post(base + "accounts/delete", data={"id": str(admin.id)}) as r:
            assert r.status == 403  # no CSRF token
        token = await csrf_of(http, base)
        async with http.post(base + "accounts/delete",
                             data={"csrf_token": token, "id": str(admin.id)}) as r:
            text = await r.text()
            assert r.url.path == "/accounts" and "cannot be deleted" in text
        monitor = _backend(em).accounts.by_username(READ_ONLY[0])
        assert monitor is not None
        async with http.post(base + "accounts/delete",
                             data={"csrf_token": token, "id": str(monitor.id)}) as r:
            assert "deleted" in await r.text()
    assert [a.username for a in _backend(em).accounts] == [c.ADMIN]
    assert any("account deleted by admin" in e["text"]
               for e in em.entries(kind=c.WEB_LOG_KIND))


async def test_a_rule_made_on_the_form_is_stored_and_errors_stand_at_their_field(
        em: EventMgrService) -> None:
    await _ready(em)
    base = _base(em)
    form = {"original": "", "name": "Bath", "enabled": "1", "source": "espa", "match": "3*",
            "priority": "*", "steps": "201\ngroup:night", "escalate_after": "20",
            "message_priority": "", "melody": "", "popup": "1", "title": "Bath call",
            "text": "{text}", "espa_status": "1"}
    async with client() as http:
        await log_in(http, base, c.ADMIN, ADMIN_PW)
        token = await csrf_of(http, base + "rules/new")
        bad = {**form, "steps": "201\ngroup:day", "escalate_after": "soon",
               "melody": "Tune"}
        async with http.post(base + "rules/save", data={**bad, "csrf_token": token}) as r:
            text = await r.text()
            assert r.status == 400
            errors = dict(re.findall(r'id="err-([a-z_]+)"[^>]*>([^<]*)<', text))
            assert set(errors) == {"steps", "escalate_after", "melody"}
            assert "group:day names no group" in errors["steps"]
            assert 'value="Bath"' in text  # what was typed stays
        async with http.post(base + "rules/save", data={**form, "confirm": ["OrderOk"],
                                                        "csrf_token": token}) as r:
            assert r.url.path == "/rules" and "Rule &#39;Bath&#39; saved." in await r.text()
        async with http.post(base + "rules/save", data={**form, "csrf_token": token}) as r:
            assert r.status == 400 and "There is a rule" in await r.text()
        async with http.post(base + "rules/toggle",
                             data={"csrf_token": token, "name": "Bath"}) as r:
            assert 'data-enabled="false"' in await r.text()
    rule = next(r for r in em.rules() if r.name == "Bath")
    assert rule.steps == (("201",), ("group:night",)) and rule.escalate_after == 20.0
    assert rule.confirm == ("OrderOk",) and not rule.enabled
    assert em.store is not None and "Bath" in {r.name for r in em.store.rules()}
    saved = [e["text"] for e in em.entries(kind="rule")]
    assert "saved by admin" in saved


async def test_logins_failures_and_logouts_are_in_the_event_log(em: EventMgrService) -> None:
    await _ready(em)
    base = _base(em)
    async with client() as http:
        async with await log_in(http, base, c.ADMIN, "Not-The-Pw-1") as r:
            assert r.status == 401
        async with await log_in(http, base, "nobody", "Not-The-Pw-1") as r:
            assert r.status == 401
        await log_in(http, base, c.ADMIN, ADMIN_PW)
        token = await csrf_of(http, base)
        async with http.post(base + "logout", data={"csrf_token": token}) as r:
            assert r.url.path == "/login"
    lines = [(e["subject"], e["text"]) for e in em.entries(kind=c.WEB_LOG_KIND)]
    assert (c.ADMIN, "login failed from 127.0.0.1") in lines
    assert ("nobody", "login failed from 127.0.0.1 (no such account)") in lines
    assert (c.ADMIN, "login from 127.0.0.1") in lines
    assert (c.ADMIN, "logout from 127.0.0.1") in lines
    assert not any("Not-The-Pw-1" in t or ADMIN_PW in t for _, t in lines)
    async with client() as http:
        await log_in(http, base, c.ADMIN, ADMIN_PW)
        async with http.get(base + "eventlog/export?kind=web") as r:
            text = await r.text()
            assert r.headers["Content-Disposition"].startswith("attachment;")
            assert text.splitlines()[0] == "seq\ttime\tkind\tsubject\ttext"
            assert all(line.split("\t")[2] == "web" for line in text.splitlines()[1:])


async def test_the_status_page_shows_the_inputs_and_targets(em: EventMgrService) -> None:
    await _ready(em)
    async with client() as http:
        async with await log_in(http, _base(em), *READ_ONLY) as r:
            text = await r.text()
    espa = next(e for e in em.endpoints if e.protocol == "espa")
    assert f"TCP 127.0.0.1:{espa.port}" in text
    assert "udp 127.0.0.1:9" in text
    assert re.search(r'id="omm-state"[^>]*>(connecting|disconnected)<', text)
    assert re.search(r'id="count-rules">1<', text)
