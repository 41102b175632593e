"""The OMM model without any wire: users, devices, relations, subscription window, store."""

from __future__ import annotations

from pathlib import Path

import pytest

from omm.errors import Exists, Forbidden, Invalid, NotFound
from omm.model import OmmModel, OmmSetup
from omm.tables import Change
from sipdect.accounts import InitialAccount
from sipdect.store import Store, StoreError
from tests.unit.clocks import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def model(tmp_path: Path, clock: ManualClock) -> OmmModel:
    setup = OmmSetup("Test", [InitialAccount("omm", "Sipdect-Omm-2026")])
    return OmmModel(tmp_path, setup, clock)


def test_users_numbers_are_unique_and_secrets_sealed(model: OmmModel, tmp_path: Path) -> None:
    u = model.users.create({"num": "100", "pin": "4711"})
    assert u["uid"] == 1 and u["pin"] != "4711"
    assert model.users.secret(u, "pin") == "4711"
    with pytest.raises(Exists):
        model.users.create({"num": "100"})
    raw = (tmp_path / "omm.sqlite").read_bytes()
    assert b"4711" not in raw


def test_attach_moves_a_device_between_users(model: OmmModel) -> None:
    a = model.users.create({"num": "1"})
    b = model.users.create({"num": "2"})
    d = model.devices.create({})
    model.relations.attach(a["uid"], d["ppn"], "Dynamic")
    model.relations.attach(b["uid"], d["ppn"], "Fixed")
    assert (a["ppn"], a["relType"], a["ppnOld"]) == (0, "Unbound", d["ppn"])
    assert (b["ppn"], d["uid"], d["relType"]) == (d["ppn"], b["uid"], "Fixed")
    model.delete_device(d["ppn"])
    assert (b["ppn"], b["relType"]) == (0, "Unbound")


def test_relation_type_change_needs_a_bound_user(model: OmmModel) -> None:
    u = model.users.create({"num": "1"})
    with pytest.raises(Forbidden):
        model.relations.change_type(u["uid"], "Fixed")
    with pytest.raises(Invalid):
        model.relations.change_type(u["uid"], "Unbound")


def test_changes_are_announced_with_the_changed_fields(model: OmmModel) -> None:
    seen: list[Change] = []
    model.add_listener(seen.append)
    u = model.users.create({"num": "1"})
    model.users.update(u["uid"], {"name": "X", "num": "1"})
    model.delete_user(u["uid"])
    kinds = [(c.kind, c.fields, c.deleted) for c in seen if c.kind == "user"]
    assert kinds[0] == ("user", None, False)
    assert kinds[1][1] is not None and "name" in kinds[1][1] and "num" not in kinds[1][1]
    assert kinds[2] == ("user", None, True)


def test_state_survives_a_reopen(tmp_path: Path, clock: ManualClock) -> None:
    setup = OmmSetup("Test", [InitialAccount("omm", "Sipdect-Omm-2026")])
    m = OmmModel(tmp_path, setup, clock)
    m.users.create({"num": "42", "sipPw": "s3cret"})
    m.devices.create({"ipei": "03074 0220259 3"})
    m.settings.update("DevAutoCreate", {"enable": True})
    m.close()
    m = OmmModel(tmp_path, setup, clock)
    u = m.users.find_by_number("42")
    assert m.users.secret(u, "sipPw") == "s3cret"
    assert m.devices.find_by_ipei("0307402202593")["ppn"] == 1  # the printed form
    assert m.settings.value("DevAutoCreate", "enable") is True
    assert m.accounts.login("omm", "Sipdect-Omm-2026") is not None


def test_wildcard_window_falls_back_to_configured_then_off(model: OmmModel,
                                                           clock: ManualClock) -> None:
    model.subscription.set("Wildcard", 2)
    assert model.subscription.mode() == "Wildcard"
    clock.now += 119
    model.subscription.extend_wildcard()
    clock.now += 119
    assert model.subscription.mode() == "Wildcard"
    clock.now += 121
    assert model.subscription.mode() == "Configured"
    clock.now += 24 * 3600
    assert model.subscription.mode() == "Off"


def test_unknown_records_raise_not_found(model: OmmModel) -> None:
    with pytest.raises(NotFound):
        model.users.get(99)
    with pytest.raises(NotFound):
        model.devices.find_by_ipei("03074 0220259 3")


def test_factory_new_account_must_change_its_password(tmp_path: Path, clock: ManualClock) -> None:
    m = OmmModel(tmp_path, OmmSetup("Fresh"), clock)
    acc = m.accounts.login("omm", "omm")
    assert acc is not None and acc["state"] == "notChanged"
    assert acc["passwordHash"].startswith("scrypt$")


def test_store_refuses_a_newer_schema(tmp_path: Path) -> None:
    Store(tmp_path / "x.sqlite", ["CREATE TABLE a (k INTEGER PRIMARY KEY, v TEXT)",
                                  "CREATE TABLE b (k INTEGER PRIMARY KEY, v TEXT)"]).close()
    with pytest.raises(StoreError, match="newer"):
        Store(tmp_path / "x.sqlite", ["CREATE TABLE a (k INTEGER PRIMARY KEY, v TEXT)"])


def test_store_migrates_step_by_step(tmp_path: Path) -> None:
    s = Store(tmp_path / "y.sqlite", ["CREATE TABLE a (k INTEGER PRIMARY KEY, v TEXT)"])
    s.put_json("a", 1, {"x": 1})
    s.close()
    s = Store(tmp_path / "y.sqlite", ["CREATE TABLE a (k INTEGER PRIMARY KEY, v TEXT)",
                                      "ALTER TABLE a ADD COLUMN extra TEXT"])
    assert s.version == 2 and s.load_json("a") == [(1, {"x": 1})]


def test_the_event_log_survives_a_reopen_as_the_ring_holds_it(tmp_path: Path,
                                                                clock: ManualClock) -> None:
    from omm.model import OmmLimits
    from sipdect.ops.eventlog import times_from_source

    setup = OmmSetup("Test", [InitialAccount("omm", "Sipdect-Omm-2026")],
                     limits=OmmLimits(event_log=8))
    m = OmmModel(tmp_path, setup, clock)
    m.log("MajorErr", "RFP", "RFP 1 disconnected")
    for source in ("A", "B", "A"):  # A's entry moves to the end under a new id
        m.log_repeated("MinorErr", "AXI", "failed", source, times_from_source(source))
    for i in range(6):  # one too many: the oldest of the lowest severity goes
        m.log("GenInfo", "AXI", f"info {i}")
    before = [(e.id, e.count, e.msg) for e in m.event_log.entries()]
    assert before[:3] == [(1, 1, "RFP 1 disconnected"), (3, 1, "B"),
                          (4, 2, "A (2 times from this address)")]
    assert [text for _, _, text in before[3:]] == [f"info {i}" for i in range(1, 6)]
    m.close()
    again = OmmModel(tmp_path, setup, clock)
    assert [(e.id, e.count, e.msg) for e in again.event_log.entries()] == before
    again.log_repeated("MinorErr", "AXI", "failed", "B", times_from_source("B"))
    assert [(e.id, e.count) for e in again.event_log.entries()][:2] == [(1, 1), (4, 2)]
    assert again.event_log.entries()[-1].count == 2 and len(again.event_log) == 8
    again.close()
