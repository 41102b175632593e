"""The OMM web UI's users, devices and RFP views apart from HTTP (omm.web.directory,
omm.web.rfps): paging and search over the model's tables, the requests forms become, the
real UI's RFP state names, and no secret in any row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omm.model import OmmModel, OmmSetup
from omm.web import directory, rfps
from sipdect.axi.records import SYNC_STATES

IPEI = "00077 0000001 9"


@pytest.fixture
def model(tmp_path: Path) -> Iterator[OmmModel]:
    m = OmmModel(tmp_path, OmmSetup("Test"))
    yield m
    m.close()


def fill(model: OmmModel, n: int) -> None:
    with model.store.transaction():
        for i in range(1, n + 1):
            model.users.create({"num": f"{1000 + i}", "name": f"User {i}",
                                "sipPw": "hidden-pw" if i == 1 else ""})


def test_a_page_is_a_slice_in_uid_order_with_the_total(model: OmmModel) -> None:
    fill(model, 120)
    found = directory.SearchIndex(model).users("", 50, 20)
    assert found.total == 120
    assert [r["uid"] for r in found.records] == list(range(51, 71))


def test_search_matches_part_of_number_or_name_and_pages_the_matches(model: OmmModel) -> None:
    fill(model, 120)
    found = directory.SearchIndex(model).users("user 1", 0, 5)  # User 1, 10-19, 100-120
    assert found.total == 1 + 10 + 21
    assert [r["name"] for r in found.records] == ["User 1", "User 10", "User 11", "User 12",
                                                  "User 13"]
    assert directory.SearchIndex(model).users("1042", 0, 10).records[0]["num"] == "1042"


def test_search_by_ipei_ignores_spaces_for_users_and_devices(model: OmmModel) -> None:
    fill(model, 3)
    device = model.devices.create({"ipei": IPEI})
    model.relations.attach(2, device["ppn"], "Fixed")
    assert [r["uid"] for r in directory.SearchIndex(model).users("0000001", 0, 10).records] == [2]
    assert [r["ppn"] for r in directory.SearchIndex(model).devices("000770000001", 0, 10).records] \
        == [device["ppn"]]
    assert [r["ppn"] for r in directory.SearchIndex(model).devices("User 2", 0, 10).records] \
        == [device["ppn"]]


def test_rows_say_whether_a_secret_is_set_never_what_it_is(model: OmmModel) -> None:
    fill(model, 1)
    model.users.update(1, {"pin": "1234"})
    row = directory.user_row(model, model.users.get(1))
    assert row["sipPw_set"] and row["pin_set"]
    assert "hidden-pw" not in repr(row) and "1234" not in repr(row)
    device = model.devices.create({"ipei": IPEI, "ac": "98765"})
    drow = directory.device_row(model, device)
    assert drow["ac_set"] and "98765" not in repr(drow)


def test_an_empty_secret_field_leaves_it_and_clear_empties_it() -> None:
    keep = directory.user_request({"num": "1", "sipPw": ""}, uid=3).children[0].attrs
    assert "sipPw" not in keep and keep["uid"] == "3"
    clear = directory.user_request({"num": "1", "clear_sipPw": "on"}, uid=3).children[0].attrs
    assert clear["sipPw"] == ""
    new = directory.user_request({"num": "1", "sipPw": "s"})
    assert new.name == "CreatePPUser" and new.attrs["plainText"] == "1"
    assert new.children[0].attrs["sipPw"] == "s"


def test_subscribe_now_opens_the_configured_window_unless_wildcard_is_open(
        model: OmmModel) -> None:
    req = directory.subscribe_now_request(model)
    assert req is not None and req.attrs == {"mode": "Configured"}
    model.subscription.set("Wildcard", 5)
    assert directory.subscribe_now_request(model) is None
    assert directory.window_view(model)["mode"] == "Wildcard"


@pytest.mark.parametrize(("live", "name"), [
    ({"connected": False, "syncState": "Synced"}, "Not connected"),
    ({"connected": True, "syncState": "Synced"}, "Synchronous"),
    ({"connected": True, "syncState": "NotSynced"}, "Asynchronous"),
    ({"connected": True, "syncState": "Searching"}, "Searching"),
    ({"connected": True, "syncState": "Inactive"}, "Inactive"),
])
def test_rfp_states_have_the_real_ui_s_names(live: dict[str, object], name: str) -> None:
    assert rfps.state_name(live) == name


def test_every_live_state_has_a_name_with_a_class() -> None:
    for connected in (False, True):
        for sync in (*SYNC_STATES, "unheard-of"):
            assert rfps.state_name({"connected": connected, "syncState": sync}) \
                in rfps.STATE_CLASSES


def test_an_rfp_row_and_its_sync_relations(model: OmmModel) -> None:
    a = model.rfps.create({"ethAddr": "00:30:42:00:00:01", "name": "Hall"}, model.sites.exists)
    b = model.rfps.create({"ethAddr": "00:30:42:00:00:02", "name": "Desk"}, model.sites.exists)
    model.rfps.set_state(a["id"], {"connected": True, "syncState": "Synced",
                                   "ipAddr": "127.0.0.20"})
    model.rfps.set_sync_relations(a["id"], [{"rpn": 1, "id": b["id"], "rssi": -61,
                                             "offset": 0}])
    row = rfps.rfp_row(model, a)
    assert (row["state"], row["ipAddr"], row["site_name"]) == ("Synchronous", "127.0.0.20",
                                                               model.sites.get(1)["name"])
    assert rfps.rfp_row(model, b)["state"] == "Not connected"
    assert rfps.sync_relations(model, a["id"]) == [
        {"id": b["id"], "rpn": 1, "name": "Desk", "rssi": -61, "offset": 0}]


def test_enrolment_creates_the_rfp_and_clears_its_capture_entry(model: OmmModel) -> None:
    model.rfps.capture("00-30-42-00-00-09", "127.0.0.30", "RFP 45", 0.0)
    assert rfps.captured(model, "003042000009") is not None
    create, drop = rfps.enrol_requests({"ethAddr": "00:30:42:00:00:09", "name": "New"})
    assert create.name == "CreateRFP" and create.children[0].attrs["ethAddr"] \
        == "00:30:42:00:00:09"
    assert create.children[0].attrs["dectOn"] == "true"
    assert drop.name == "DeleteRFPCaptureListElem"
    assert rfps.captured(model, "not a mac") is None


def test_the_search_index_follows_changes_binds_deletes_and_a_reset(model: OmmModel) -> None:
    fill(model, 3)
    index = directory.SearchIndex(model)
    assert index.users("User 2", 0, 10).total == 1  # built at the first search
    model.users.update(2, {"name": "Zoe"})
    assert [r["uid"] for r in index.users("zoe", 0, 10).records] == [2]
    assert index.users("User 2", 0, 10).total == 0
    device = model.devices.create({"ipei": IPEI})
    model.relations.attach(3, device["ppn"], "Fixed")
    assert [r["uid"] for r in index.users("0000001", 0, 10).records] == [3]
    assert index.devices("user 3", 0, 10).total == 1
    model.users.update(3, {"num": "4711"})  # the device finds its user's new number
    assert index.devices("4711", 0, 10).total == 1
    model.relations.detach_user(3)
    assert index.users("0000001", 0, 10).total == 0 and index.devices("4711", 0, 10).total == 0
    model.delete_device(device["ppn"])
    assert index.devices("0000001", 0, 10).total == 0
    model.delete_user(1)
    assert index.users("User 1", 0, 10).total == 0
    model.reset()
    assert index.users("Zoe", 0, 10).total == 0  # the re-read tables, indexed again
    model.users.create({"num": "9", "name": "Zoe"})
    assert index.users("Zoe", 0, 10).total == 1
