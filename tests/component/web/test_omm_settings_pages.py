"""The OMM web UI's settings pages over HTTP (issue 14 item 2): system, SIP, sites, accounts,
event log and standby, each read and written as the logged-in account through AXI's rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from ommsys_harness import ADMIN, VIEWER, Served, client, logged_in, post, serving

from omm.standby.conventions import StbState
from omm.standby.status import StandbyView
from sipdect.axi.client import AxiClient

PAGES = ("system", "sip", "sites", "accounts", "eventlog", "standby", "sites/1",
         "accounts/1")


async def test_every_page_renders_for_full_and_read_only_accounts(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm:
        for who in (ADMIN, VIEWER):
            async with await logged_in(omm.base, who) as http:
                for page in PAGES:
                    async with http.get(omm.base + page) as r:
                        text = await r.text()
                    if who is VIEWER and page == "accounts/1":
                        assert r.status == 403
                        continue
                    assert r.status == 200, (page, text)
                    assert 'name="csrf_token" value=""' not in text  # every form has its token
                    assert ("<form method=\"post\" action=\"/" + page.split("/")[0]) in text \
                        or who is VIEWER or page in ("eventlog", "standby")


async def test_a_setting_saved_on_the_page_is_in_force(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, await logged_in(omm.base, ADMIN) as http:
        status, text = await post(http, omm.base, "system/DECTSubscriptionMode",
                                  {"mode": "Wildcard", "timeout": "7"})
        assert status == 200 and "saved" in text
        assert omm.model.subscription.mode() == "Wildcard"
        status, text = await post(http, omm.base, "system/SyslogServer",
                                  {"enable": "1", "ipAddr": "127.0.0.5", "port": "0"})
        assert status == 400 and 'data-bad="port"' in text


async def test_the_authentication_code_is_write_only(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, await logged_in(omm.base, ADMIN) as http:
        status, text = await post(http, omm.base, "system/DECTAuthCode", {"ac": "271828"})
        assert status == 200 and "271828" not in text
        assert omm.model.settings.value("DECTAuthCode", "ac") == "271828"
        status, _ = await post(http, omm.base, "system/DECTAuthCode", {"ac": ""})
        assert omm.model.settings.value("DECTAuthCode", "ac") == "271828"  # empty keeps
        status, text = await post(http, omm.base, "system/DECTAuthCode", {"ac": "12ab"})
        assert status == 400 and 'data-bad="ac"' in text and "12ab" not in text


@pytest.mark.parametrize(("path", "data"), [
    ("system/SystemName", {"name": "Forged"}),
    ("sites/new", {"name": "Forged"}),
    ("accounts/new", {"username": "forged", "password": "Forged-Pass-2026"}),
    ("eventlog/clear", {}),
])
async def test_a_read_only_accounts_forged_post_is_refused(tmp_path: Path, path: str,
                                                           data: dict[str, str]) -> None:
    async with serving(tmp_path) as omm, await logged_in(omm.base, VIEWER) as http:
        async with http.get(omm.base + "system") as r:
            assert 'id="form-SystemName"' not in await r.text()
        status, _ = await post(http, omm.base, path, data)
        assert status == 403
        assert omm.model.settings.value("SystemName", "name") == "Test"
        assert len(omm.model.sites) == 1 and omm.model.accounts.by_username("forged") is None


async def test_the_standby_page_shows_no_standby(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, await logged_in(omm.base, VIEWER) as http:
        omm.model.standby.update(StandbyView(StbState.NOT_SYNCHRONIZED, "127.0.0.12"))
        async with http.get(omm.base + "standby") as r:
            text = await r.text()
        assert "No Standby" in text and "127.0.0.12" in text and "NotSynchronized" in text


async def axi_client(omm: Served) -> AxiClient:
    c = await AxiClient.connect("127.0.0.1", omm.axi_port)
    await c.login(*ADMIN)
    return c


async def test_a_change_on_the_web_is_seen_over_axi_and_the_other_way(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, await logged_in(omm.base, ADMIN) as http:
        axi = await axi_client(omm)
        try:
            await axi.subscribe("DECTSubscriptionMode")
            status, _ = await post(http, omm.base, "system/DECTSubscriptionMode",
                                   {"mode": "Configured", "timeout": "3"})
            assert status == 200
            event = await axi.next_event("EventDECTSubscriptionMode")
            assert event.attrs["mode"] == "Configured"
            r = await axi.request("GetDECTSubscriptionMode")
            assert r.attrs["mode"] == "Configured"
            await axi.request("SetSystemName", {"name": "Seen-On-The-Page"})
            async with http.get(omm.base + "system") as page:
                assert 'value="Seen-On-The-Page"' in await page.text()
        finally:
            await axi.close()


async def test_sites_are_listed_created_edited_and_deleted(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, await logged_in(omm.base, ADMIN) as http:
        status, text = await post(http, omm.base, "sites/new",
                                  {"id": "", "name": "Annex", "srtp": "Only", "wideband": "1"})
        assert status == 200 and "Site 2 created." in text and "Annex" in text
        axi = await axi_client(omm)
        try:
            site = (await axi.request("GetSite", {"id": 2})).child("site")
            assert site is not None and site.attrs["srtp"] == "Only"
        finally:
            await axi.close()
        status, text = await post(http, omm.base, "sites/2", {"name": "x" * 40, "srtp": "Only"})
        assert status == 400 and 'data-bad="name"' in text
        status, text = await post(http, omm.base, "sites/2/delete", {})
        assert "Site 2 deleted." in text and not omm.model.sites.exists(2)
        status, text = await post(http, omm.base, "sites/1/delete", {})
        assert "not deleted" in text and omm.model.sites.exists(1)


async def test_accounts_show_no_password_nor_hash_and_presets_stay(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, await logged_in(omm.base, ADMIN) as http:
        new = [("username", "ops"), ("password", "Night-Shift-2026x"), ("active", "1"),
               ("aging", "none"), ("permission", "AllCnfRead"), ("permission", "Monitoring")]
        status, text = await post(http, omm.base, "accounts/new", new)
        assert status == 200 and "Account ops created." in text
        axi = await axi_client(omm)
        try:
            r = await axi.request("GetAccount", {"id": 0, "maxRecords": 20})
            ops = next(a for a in r.children_named("account") if a.attrs["username"] == "ops")
            assert [p.text for p in ops.children_named("permission")] == ["AllCnfRead",
                                                                         "Monitoring"]
        finally:
            await axi.close()
        pages = []
        for path in ("accounts", "accounts/1", f"accounts/{ops.attrs['id']}"):
            async with http.get(omm.base + path) as r:
                pages.append(await r.text())
        for text in pages:
            for secret in (ADMIN[1], VIEWER[1], "Night-Shift-2026x", "scrypt$"):
                assert secret not in text
        assert 'id="delete-account-1"' not in pages[0]  # omm is preset
        assert f'id="delete-account-{ops.attrs["id"]}"' in pages[0]
        status, text = await post(http, omm.base, "accounts/1/delete", {})
        assert "not deleted" in text and omm.model.accounts.by_username("omm") is not None
        status, text = await post(http, omm.base, "accounts/new",
                                  {"username": "weak", "password": "abc"})
        assert status == 400 and 'data-bad="password"' in text and "abc" not in text.split(
            "<main>")[1]


async def test_the_event_log_is_filtered_and_exported(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, await logged_in(omm.base, VIEWER) as http:
        omm.model.log("MajorErr", "RFP", "RFP 3 lost its link")
        omm.model.log("GenInfo", "SIP", "user 100 registered")
        async with http.get(omm.base + "eventlog",
                            params={"level": "MajorErr", "text": "lost"}) as r:
            text = await r.text()
        assert "RFP 3 lost its link" in text and "user 100 registered" not in text
        assert 'href="/eventlog/export?level=MajorErr&amp;text=lost"' in text
        async with http.get(omm.base + "eventlog/export",
                            params={"subsystem": "SIP"}) as r:
            body = await r.text()
            assert r.headers["Content-Disposition"].startswith("attachment;")
        lines = body.splitlines()
        assert lines[0].startswith("time\tlevel") and len(lines) == 2
        assert lines[1].endswith("\tGenInfo\tSIP\t1\tuser 100 registered")


async def test_a_banner_set_on_the_system_page_greets_the_next_visitor(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, await logged_in(omm.base, ADMIN) as http:
        status, _ = await post(http, omm.base, "system/LoginBanner",
                               {"active": "1", "text": "Authorised use only."})
        assert status == 200
        async with client() as visitor, visitor.get(omm.base + "login") as r:
            assert "Authorised use only." in await r.text()


async def test_an_administrator_edits_another_account_and_keeps_their_own_password(
        tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, await logged_in(omm.base, ADMIN) as http:
        viewer = omm.model.accounts.by_username(VIEWER[0])
        assert viewer is not None
        async with http.get(omm.base + "accounts/1") as r:  # their own: no password input
            assert 'name="password"' not in await r.text()
        status, text = await post(http, omm.base, f"accounts/{viewer['id']}", [
            ("username", "viewer"), ("password", "Fresh-Watch-2026q"), ("active", "1"),
            ("aging", "time6Months"), ("permission", "AllCnfRead")])
        assert status == 200 and "saved" in text
        assert omm.model.accounts.get(viewer["id"])["aging"] == "time6Months"
        async with await logged_in(omm.base, ("viewer", "Fresh-Watch-2026q")):
            pass
        status, text = await post(http, omm.base, "accounts/1", [
            ("username", "renamed"), ("active", "1"), ("aging", "none"),
            *(("permission", p) for p in omm.model.accounts.get(1)["permission"])])
        assert omm.model.accounts.get(1)["username"] == "omm"  # preset: its name stays


async def test_the_system_page_shows_the_licence(tmp_path: Path) -> None:
    """Fully licensed by default (omm.license); read-only accounts see it too."""
    async with serving(tmp_path) as omm, await logged_in(omm.base, VIEWER) as http:
        async with http.get(omm.base + "system") as r:
            text = await r.text()
        assert r.status == 200
        assert '<dd id="license-state">activeLicense</dd>' in text
        assert '<dd id="license-violation">noViolation</dd>' in text
        assert '<dd id="license-latency">43200 min</dd>' in text
