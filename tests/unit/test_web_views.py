"""The OMM web UI's settings pages apart from HTTP (omm.web.system, sip, sites, accounts,
eventlog, standby): posted forms become AXI requests of the logged-in account, AXI's errors land
next to the field they name, and no form ever holds a password."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omm.axi.api import AxiApi
from omm.model import OmmModel, OmmSetup
from omm.standby.conventions import StbState
from omm.standby.status import StandbyView
from omm.web import accounts, eventlog, sip, sites, standby, system
from omm.web.axi import WebAxi
from omm.web.forms import FormField, to_attrs
from sipdect.accounts import InitialAccount
from sipdect.ops.eventlog import LEVELS

PASSWORD = "Sipdect-Omm-2026"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[AxiApi]:
    model = OmmModel(tmp_path, OmmSetup("Test", [
        InitialAccount("omm", PASSWORD),
        InitialAccount("viewer", "Viewer-Pass-2026", ("AllCnfRead",))]))
    yield AxiApi(model)
    model.close()


def as_(api: AxiApi, name: str) -> WebAxi:
    rec = api.model.accounts.by_username(name)
    assert rec is not None
    return WebAxi(api, int(rec["id"]), "127.0.0.9", 0.0)


def actor(api: AxiApi, name: str) -> dict[str, object]:
    rec = api.model.accounts.by_username(name)
    assert rec is not None
    return rec


def test_an_unchecked_box_is_false_and_an_empty_secret_is_not_sent() -> None:
    fields = (FormField("enable", "E", "bool"), FormField("pw", "P", "password"),
              FormField("name", "N"), FormField("ro", "R", "readonly"))
    assert to_attrs(fields, {"name": " x ", "ro": "y", "pw": ""}) == {"enable": "0",
                                                                       "name": "x"}
    assert to_attrs(fields, {"enable": "on", "pw": "s"}) == {"enable": "1", "pw": "s"}


async def test_the_system_page_sets_through_axi_and_shows_its_error_at_the_field(
        api: AxiApi) -> None:
    web = as_(api, "omm")
    form = await system.submit(web, api.model, actor(api, "omm"), "SyslogServer",
                               {"enable": "on", "ipAddr": "127.0.0.7", "port": "70000"})
    assert set(form.errors) == {"port"} and "Invalid value" in form.errors["port"]
    assert form.values["ipAddr"] == "127.0.0.7"  # what was typed is shown again
    form = await system.submit(web, api.model, actor(api, "omm"), "DECTSubscriptionMode",
                               {"mode": "Wildcard", "timeout": "5"})
    assert form.ok and api.model.subscription.mode() == "Wildcard"
    forms = await system.read_forms(web, api.model)
    assert forms["DECTSubscriptionMode"].values == {"mode": "Wildcard", "timeout": "5"}
    assert system.window(api.model).closes.endswith("UTC")


async def test_a_setting_without_an_axi_request_is_refused_to_a_read_only_account(
        api: AxiApi) -> None:
    posted = {system.dect_cv.ENHANCED_SECURITY: "on"}
    form = await system.submit(as_(api, "viewer"), api.model, actor(api, "viewer"),
                               system.DECT_SECURITY.key, posted)
    assert "may not" in form.errors[""]
    assert not api.model.settings.value(system.DECT_SECURITY.key,
                                        system.dect_cv.ENHANCED_SECURITY, False)
    form = await system.submit(as_(api, "omm"), api.model, actor(api, "omm"),
                               system.DECT_SECURITY.key, posted)
    assert form.ok and api.model.settings.value(system.DECT_SECURITY.key,
                                                system.dect_cv.ENHANCED_SECURITY) is True


async def test_the_sip_page_and_a_sites_srtp_mode(api: AxiApi) -> None:
    web = as_(api, "omm")
    form = await sip.submit(web, "BasicSIP", {"proxyServer": "127.0.0.3", "proxyPort": "5070",
                                              "transportProt": "TLS", "regPeriod": "600"})
    assert form.ok
    assert api.model.settings.get("BasicSIP")["transportProt"] == "TLS"
    assert (await sip.set_srtp(web, 1, {"srtp": "Only"})).ok
    assert (await sites.rows(web))[0]["srtp"] == "Only"
    bad = await sip.set_srtp(web, 1, {"srtp": "Sometimes"})
    assert "srtp" in bad.errors


async def test_sites_are_created_edited_and_deleted(api: AxiApi) -> None:
    web = as_(api, "omm")
    form, site_id = await sites.create(web, {"name": "Annex", "srtp": "Preferred"})
    assert form.ok and site_id == 2
    assert (await sites.update(web, 2, {"name": "Annex B", "srtp": "Preferred"})).ok
    assert (await sites.read(web, 2)).values["name"] == "Annex B"
    assert await sites.delete(web, 2) is None
    err = await sites.delete(web, 1)
    assert err is not None and err.code == "EForbidden"  # the last site stays


async def test_accounts_never_hold_a_password_and_a_weak_one_is_named(api: AxiApi) -> None:
    web = as_(api, "omm")
    form, new_id = await accounts.create(web, {"username": "ops", "password": "short"},
                                         ["AllCnfRead"])
    assert new_id is None and "password" in form.errors
    assert "password" not in form.values
    form, new_id = await accounts.create(web, {"username": "ops", "password": "Night-Shift-2026x",
                                               "active": "on", "aging": "none"},
                                         ["AllCnfRead", "Monitoring"])
    assert form.ok and new_id is not None
    row, edit = await accounts.read(web, new_id)
    assert row.permissions == ("AllCnfRead", "Monitoring") and "password" not in edit.values
    form = await accounts.update(web, new_id, "ops", {"username": "ops", "active": "",
                                                      "aging": "time3Months"}, ["AllCnfRead"])
    assert form.ok
    rec = api.model.accounts.get(new_id)
    assert (rec["active"], rec["aging"], rec["permission"]) == (False, "time3Months",
                                                                 ["AllCnfRead"])
    err = await accounts.delete(web, 1)
    assert err is not None and err.code == "EForbidden"
    assert accounts.is_preset("omm") and not accounts.is_preset("ops")


async def test_a_read_only_account_sees_only_itself(api: AxiApi) -> None:
    assert [r.username for r in await accounts.rows(as_(api, "viewer"))] == ["viewer"]


async def test_the_event_log_reads_every_page_filters_and_exports(api: AxiApi) -> None:
    for i in range(45):
        api.model.log("MinorErr" if i % 3 == 0 else "GenInfo", "SIP" if i % 2 else "RFP",
                      f"entry {i}\twith a tab")
    rows = await eventlog.read(as_(api, "viewer"))
    assert len(rows) >= 45 and rows == sorted(rows, key=lambda r: r.id)
    picked = eventlog.select(rows, eventlog.LogFilter("MinorErr", "RFP", "ENTRY 30"))
    assert [r.msg for r in picked] == ["entry 30\twith a tab"]
    text = eventlog.export(picked)
    assert text.splitlines()[0].split("\t") == list(eventlog.EXPORT_COLUMNS)
    assert text.splitlines()[1].split("\t")[1:] == ["MinorErr", "RFP", "1", "entry 30 with a tab"]
    assert {"RFP", "SIP"} <= set(eventlog.subsystems(rows))


@given(st.sampled_from(("", *LEVELS)), st.text(max_size=20), st.text(max_size=20))
def test_a_log_filter_survives_its_query_string(level: str, subsystem: str, text: str) -> None:
    flt = eventlog.LogFilter.from_query({"level": level, "subsystem": subsystem, "text": text})
    assert eventlog.LogFilter.from_query(flt.query()) == flt


@given(st.lists(st.text(max_size=30), max_size=5))
def test_an_export_has_one_line_per_entry_whatever_the_text(texts: list[str]) -> None:
    rows = [eventlog.LogRow(i, "t", "GenInfo", "X", 1, t) for i, t in enumerate(texts)]
    lines = eventlog.export(rows).split("\n")
    assert len(lines) == len(rows) + 2 and all(len(line.split("\t")) == 5
                                               for line in lines[:-1])


async def test_the_standby_page_warns_when_the_pair_has_no_standby(api: AxiApi) -> None:
    web = as_(api, "viewer")
    page = await standby.read(web, api.model)
    assert not page.paired and not page.warning and not standby.is_paired(api.model)
    api.model.standby.update(StandbyView(StbState.NOT_SYNCHRONIZED, "127.0.0.12",
                                         "partner lost"))
    page = await standby.read(web, api.model)
    assert page.paired and page.peer == "127.0.0.12"
    assert page.warning == standby.NO_STANDBY_WARNING and page.severity == "Warning"
    api.model.standby.update(StandbyView(StbState.OK, "127.0.0.12"))
    assert (await standby.read(web, api.model)).warning == ""


async def test_the_login_banner_is_set_on_the_system_page(api: AxiApi) -> None:
    from omm.web.backend import OmmWebBackend

    form = await system.submit(as_(api, "omm"), api.model, actor(api, "omm"),
                               system.LOGIN_BANNER.key,
                               {"active": "on", "text": "  Authorised use only.\nLogged.  "})
    assert form.ok
    assert OmmWebBackend(api.model).banner() == "Authorised use only.\nLogged."
    form = await system.submit(as_(api, "omm"), api.model, actor(api, "omm"),
                               system.LOGIN_BANNER.key,
                               {"active": "on", "text": "x" * (system.banner.MAX_TEXT + 1)})
    assert "text" in form.errors


def test_an_error_that_echoes_a_typed_secret_shows_it_blotted_out() -> None:
    from omm.web.forms import FormState
    from sipdect.axi.errors import invalid

    fields = (FormField("ac", "AC", "password"),)
    form = FormState.posted(fields, {"ac": "12ab"}).fail(invalid("ac", "12ab", "digits only"))
    assert "12ab" not in form.errors["ac"] and "ac=" in form.errors["ac"]
    assert "ac" not in form.values


@given(st.dictionaries(st.sampled_from(("enable", "pw", "name", "ro", "other")),
                       st.text(max_size=12), max_size=5))
def test_any_posted_form_becomes_only_the_forms_attributes(posted: dict[str, str]) -> None:
    fields = (FormField("enable", "E", "bool"), FormField("pw", "P", "password"),
              FormField("name", "N"), FormField("ro", "R", "readonly"))
    attrs = to_attrs(fields, posted)
    assert set(attrs) <= {"enable", "pw", "name"} and attrs["enable"] in ("0", "1")
    assert ("pw" in attrs) == bool(posted.get("pw"))


async def test_the_system_page_sets_the_rfps_snmp_and_refuses_a_host_name(api: AxiApi) -> None:
    web = as_(api, "omm")
    form = await system.submit(web, api.model, actor(api, "omm"), "SNMP",
                               {"readCommunity": "ro-Kx81", "trapHostAddr": "trapsink.lan"})
    assert set(form.errors) == {"trapHostAddr"}
    form = await system.submit(web, api.model, actor(api, "omm"), "SNMP",
                               {"readCommunity": "ro-Kx81", "enableTraps": "on",
                                "trapCommunity": "trap-Kx81", "trapHostAddr": "192.0.2.9"})
    assert form.ok and api.model.settings.value("SNMP", "readCommunity") == "ro-Kx81"
    forms = await system.read_forms(web, api.model)
    assert forms["SNMP"].values["trapHostAddr"] == "192.0.2.9"
