"""The web UI's in-process AXI session (omm.web.axi): a web write is an AXI request of the
logged-in account, with AXI's permissions, validation, answers and Cnf events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omm.axi.api import AxiApi
from omm.model import OmmModel, OmmSetup
from omm.web.axi import WebAxi, error_of, plain
from sipdect.accounts import InitialAccount
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError
from sipdect.axi.session import AxiServerSession, Subscription

PASSWORD = "Sipdect-Omm-2026"


class Link:
    def __init__(self) -> None:
        self.flushed = 0

    def flush(self) -> None:
        self.flushed += 1

    def abort(self, reason: str) -> None:
        pass


@pytest.fixture
def api(tmp_path: Path) -> Iterator[AxiApi]:
    model = OmmModel(tmp_path, OmmSetup("Test", [
        InitialAccount("omm", PASSWORD),
        InitialAccount("viewer", "Viewer-Pass-2026", ("AllCnfRead",))]))
    yield AxiApi(model)
    model.close()


def account(api: AxiApi, name: str) -> int:
    rec = api.model.accounts.by_username(name)
    assert rec is not None
    return int(rec["id"])


async def test_a_full_access_account_sets_a_setting_as_axi_would(api: AxiApi) -> None:
    web = WebAxi(api, account(api, "omm"), "127.0.0.9", 0.0)
    r = await web.request("SetSystemName", {"name": "Lobby"})
    assert r.name == "SetSystemNameResp" and r.attrs["name"] == "Lobby"
    assert api.model.settings.value("SystemName", "name") == "Lobby"


async def test_a_read_only_account_is_refused_with_eperm(api: AxiApi) -> None:
    web = WebAxi(api, account(api, "viewer"), "127.0.0.9", 0.0)
    assert (await web.request("GetSystemName")).attrs["name"] == "Test"
    with pytest.raises(AxiError) as exc:
        await web.request("SetSystemName", {"name": "Lobby"})
    assert exc.value.code == "EPerm"
    assert api.model.settings.value("SystemName", "name") == "Test"


async def test_a_bad_value_raises_with_the_attribute_axi_names(api: AxiApi) -> None:
    web = WebAxi(api, account(api, "omm"), "127.0.0.9", 0.0)
    with pytest.raises(AxiError) as exc:
        await web.request("SetSyslogServer", {"port": "99999"})
    assert exc.value.code == "EInval" and exc.value.bad == "port"
    assert plain(exc.value).startswith("Invalid value: ")


async def test_a_change_is_announced_to_subscribed_axi_sessions(api: AxiApi) -> None:
    listener = AxiServerSession(0.0)
    listener.opened(account(api, "omm"), False)
    listener.subscriptions["SiteCnf"] = Subscription("SiteCnf")
    link = Link()
    api.attach(listener, link)
    web = WebAxi(api, account(api, "omm"), "127.0.0.9", 0.0)
    await web.request("CreateSite", children=[Message("site", {"id": "7", "name": "Annex"})])
    frames = b"".join(listener.frames_to_send())
    assert b"EventSiteCnf" in frames and b'name="Annex"' in frames and link.flushed


async def test_records_reads_every_page(api: AxiApi) -> None:
    web = WebAxi(api, account(api, "omm"), "127.0.0.9", 0.0)
    for site_id in range(2, 30):
        await web.request("CreateSite", children=[Message("site", {"id": str(site_id)})])
    sites = await web.records("GetSite", "site", "id")
    assert [int(s.attrs["id"]) for s in sites] == list(range(1, 30))


def test_error_of_reads_an_error_answer() -> None:
    err = error_of(Message("SetSiteResp", {"errCode": "ETooLong", "info": "x", "bad": "name",
                                           "maxLen": "32"}))
    assert err is not None and (err.code, err.bad, err.max_len) == ("ETooLong", "name", 32)
    assert error_of(Message("SetSiteResp", {"name": "x"})) is None
