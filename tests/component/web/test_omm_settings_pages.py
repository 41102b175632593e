"""The OMM web UI's settings pages over HTTP (issue 14 item 2): system, SIP, sites, accounts,
event log and standby, each read and written as the logged-in account through AXI's rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from ommsys_harness import ADMIN, VIEWER, logged_in, post, serving

from omm.standby.conventions import StbState
from omm.standby.status import StandbyView

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
