"""The MOM's model without any wire: directory, tombstones, local ids, accounts, OMM
connections, persistence across a reopen."""

from __future__ import annotations

from pathlib import Path

import pytest

from mom.accounts import PRESET_ID
from mom.conventions import BOOKKEEPING_BATCH
from mom.directory import Change
from mom.errors import Denied, Exists, Forbidden, Invalid, NoMemory, NotFound, PasswordError
from mom.model import MomModel, MomSetup
from sipdect.accounts import READ_ONLY, InitialAccount
from tests.unit.clocks import ManualClock

IPEI_A = "00077 0000001 9"
IPEI_B = "00077 0000003 0"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def model(tmp_path: Path, clock: ManualClock) -> MomModel:
    return MomModel(tmp_path, MomSetup("MOM1"), clock)


def test_users_unique_by_number_secrets_sealed_on_disk(model: MomModel, tmp_path: Path) -> None:
    d = model.directory
    u = d.create_user({"num": "100", "name": "Alice", "pin": "4711", "sipPw": "Geheim-99"},
                      home="A")
    assert (u["uid"], u["home"], d.user_secret(u, "pin")) == (1, "A", "4711")
    assert d.user_by_num("100") is u
    with pytest.raises(Exists):
        d.create_user({"num": "100"})
    model.close()
    raw = b"".join(f.read_bytes() for f in tmp_path.glob("mom.sqlite*"))
    assert b"4711" not in raw and b"Geheim-99" not in raw


def test_admin_change_stamps_admin_aspect_only_when_something_changed(
        model: MomModel, clock: ManualClock) -> None:
    d = model.directory
    u = d.create_user({"num": "100", "name": "A"})
    clock.now += 10
    d.update_user(u["uid"], {"name": "A"})
    assert u["timeStampAdmin"] == 1_800_000_000
    d.update_user(u["uid"], {"name": "B"})
    assert (u["timeStampAdmin"], u["timeStampRelation"]) == (1_800_000_010, 1_800_000_000)


def test_devices_by_ipei_any_form_and_bind_moves_relations(model: MomModel) -> None:
    d = model.directory
    a, b = d.create_user({"num": "1"}), d.create_user({"num": "2"})
    dev = d.create_device({"ipei": "0007700000019"})
    assert dev["ipei"] == IPEI_A and d.device_by_ipei(IPEI_A) is dev
    with pytest.raises(Exists):
        d.create_device({"ipei": IPEI_A})
    with pytest.raises(Invalid):
        d.create_device({"ipei": "00077 0000001 7"})
    d.bind(a["uid"], dev["ppn"], "Fixed")
    d.bind(b["uid"], dev["ppn"], "Dynamic")
    assert (a["ppn"], a["relType"], a["ppnOld"]) == (0, "Unbound", dev["ppn"])
    assert (b["ppn"], dev["uid"], dev["relType"]) == (dev["ppn"], b["uid"], "Dynamic")
    assert d.device_of(b) is dev and d.user_of(dev) is b
    d.delete_device(dev["ppn"])
    assert (b["ppn"], b["relType"]) == (0, "Unbound")


def test_delete_leaves_a_tombstone_a_new_record_buries_it(model: MomModel,
                                                          clock: ManualClock) -> None:
    d = model.directory
    u = d.create_user({"num": "100"})
    dev = d.create_device({"ipei": IPEI_A})
    d.set_local("user", u["uid"], "A", 7)
    clock.now += 5
    d.delete_user(u["uid"])
    d.delete_device(dev["ppn"])
    assert d.tombstone("user", "100") == {"kind": "user", "key": "100",
                                          "stamp": 1_800_000_005, "local": {"A": 7}}
    assert d.tombstone("pp", "0007700000019") is not None
    assert d.user_by_local("A", 7) is None
    d.create_user({"num": "100"})
    assert d.tombstone("user", "100") is None


def test_local_ids_per_omm_and_their_reuse(model: MomModel) -> None:
    d = model.directory
    u1, u2 = d.create_user({"num": "1"}), d.create_user({"num": "2"})
    d.set_local("user", u1["uid"], "A", 5)
    d.set_local("user", u1["uid"], "B", 9)
    assert d.user_by_local("A", 5) is u1 and d.user_by_local("B", 9) is u1
    d.set_local("user", u2["uid"], "A", 5)  # the OMM gave that uid to another record
    assert d.user_by_local("A", 5) is u2 and "A" not in u1["local"]
    d.forget_local("user", u2["uid"], "A")
    assert d.user_by_local("A", 5) is None


def test_what_each_omm_holds_is_counted_as_local_ids_come_and_go(tmp_path: Path,
                                                                 clock: ManualClock) -> None:
    model = MomModel(tmp_path, MomSetup(), clock)
    d = model.directory
    users = [d.create_user({"num": str(n)}) for n in range(1, 5)]
    dev = d.create_device({"ipei": IPEI_A})
    for local, u in enumerate(users, start=1):
        d.set_local("user", u["uid"], "A", local)
    d.set_local("user", users[0]["uid"], "A", 11)  # a new local id: still one record
    d.set_local("user", users[0]["uid"], "B", 1)
    d.set_local("user", users[1]["uid"], "A", 3)  # took the local id of users[2]
    d.set_local("pp", dev["ppn"], "A", 1)
    assert (d.held_at("user", "A"), d.held_at("user", "B"), d.held_at("pp", "A")) == (3, 1, 1)
    d.forget_local("user", users[3]["uid"], "A")
    d.delete_user(users[0]["uid"])
    d.delete_device(dev["ppn"])
    assert (d.held_at("user", "A"), d.held_at("user", "B"), d.held_at("pp", "A")) == (1, 0, 0)
    model.close()
    again = MomModel(tmp_path, MomSetup(), clock).directory
    assert (again.held_at("user", "A"), again.held_at("user", "B")) == (1, 0)
    assert sum(1 for r in again.users if "A" in r["local"]) == 1


def test_uak_sealed_roaming_and_stamps(model: MomModel, clock: ManualClock) -> None:
    d = model.directory
    dev = d.create_device({"ipei": IPEI_A})
    d.set_uak(dev["ppn"], "00112233445566778899aabbccddeeff", stamp=1_700_000_000)
    assert d.uak(dev) == "00112233445566778899AABBCCDDEEFF"
    assert (dev["s"], dev["uak"], dev["timeStampSubscription"]) == ("Yes", "", 1_700_000_000)
    with pytest.raises(Invalid):
        d.set_uak(dev["ppn"], "xyz")
    d.set_roaming(dev["ppn"], "102A7C82", "102A7C82", roaming="RoamingComplete")
    assert (dev["ommId"], dev["timeStampRoaming"]) == ("102A7C82", 1_800_000_000)


def test_take_keeps_the_omm_stamps(model: MomModel) -> None:
    d = model.directory
    u = d.take_user(None, {"num": "5", "name": "X", "timeStamp": 11, "timeStampAdmin": 10},
                    home="A", origin="A")
    assert (u["timeStampAdmin"], u["timeStamp"], u["home"]) == (10, 11, "A")
    dev = d.take_device(None, {"ipei": IPEI_B, "ommId": "1", "ommIdAck": "1",
                               "timeStampRoaming": 3}, home="A", origin="A")
    assert (dev["ommIdAck"], dev["timeStampRoaming"]) == ("1", 3)


def test_changes_are_announced_with_their_origin(model: MomModel) -> None:
    seen: list[Change] = []
    model.add_listener(seen.append)
    u = model.directory.create_user({"num": "1"}, origin="A")
    model.directory.update_user(u["uid"], {"name": "N"})
    model.directory.delete_user(u["uid"])
    assert [(c.kind, c.fields is None, c.deleted, c.origin) for c in seen] == [
        ("user", True, False, "A"), ("user", False, False, ""), ("user", True, True, "")]


def test_capacity(tmp_path: Path, clock: ManualClock) -> None:
    model = MomModel(tmp_path, MomSetup(max_users=1), clock)
    model.directory.create_user({"num": "1"})
    with pytest.raises(NoMemory):
        model.directory.create_user({"num": "2"})


def test_everything_survives_a_reopen(tmp_path: Path, clock: ManualClock) -> None:
    model = MomModel(tmp_path, MomSetup(), clock)
    d = model.directory
    u, dev = d.create_user({"num": "1", "pin": "1234"}), d.create_device({"ipei": IPEI_A})
    d.bind(u["uid"], dev["ppn"])
    d.set_local("pp", dev["ppn"], "A", 3)
    d.set_uak(dev["ppn"], "0" * 32)
    d.create_user({"num": "2"})
    d.delete_user(2)
    model.omms.define("A", {"address": "127.0.0.5", "username": "mom", "password": "Pw-12345"})
    model.close()
    again = MomModel(tmp_path, MomSetup(), clock)
    d = again.directory
    assert d.user_by_num("1")["ppn"] == dev["ppn"] and d.device_by_local("A", 3) is not None
    assert d.user_secret(d.get_user(1), "pin") == "1234" and d.uak(d.get_device(1)) == "0" * 32
    assert d.tombstone("user", "2") is not None
    assert again.omms.password(again.omms.get("A")) == "Pw-12345"
    with pytest.raises(NotFound):
        d.get_user(2)


def test_mom_account_default_password_must_change_no_aging(model: MomModel) -> None:
    acc = model.accounts
    mom = acc.login("mom", "mom")
    assert mom is not None and mom["id"] == PRESET_ID and mom["state"] == "notChanged"
    assert mom["passwordHash"].startswith("scrypt$") and mom["aging"] == "none"
    with pytest.raises(Forbidden):
        acc.update(mom, PRESET_ID, {"aging": "time3Months"}, None)
    with pytest.raises(PasswordError):
        acc.update(mom, PRESET_ID, {"password": "short", "oldPassword": "mom"}, None)
    acc.update(mom, PRESET_ID, {"password": "Better-Pw-7", "oldPassword": "mom"}, None)
    assert acc.login("mom", "mom") is None
    assert acc.get(PRESET_ID)["state"] == "changed"
    with pytest.raises(Forbidden):
        acc.delete(PRESET_ID)


def test_read_only_account_cannot_change_others(tmp_path: Path, clock: ManualClock) -> None:
    setup = MomSetup("M", [InitialAccount("mom", "Mom-Pass-1"),
                           InitialAccount("viewer", "View-Pass-2", READ_ONLY)])
    model = MomModel(tmp_path, setup, clock)
    viewer = model.accounts.login("viewer", "View-Pass-2")
    assert viewer is not None and model.accounts.get(PRESET_ID)["state"] == "changed"
    with pytest.raises(Denied):
        model.accounts.update(viewer, PRESET_ID, {"active": False}, None)


def test_omm_connections_and_live_state(model: MomModel) -> None:
    omms = model.omms
    seen: list[Change] = []
    model.add_listener(seen.append)
    omms.define("A", {"address": "127.0.0.5", "username": "mom", "password": "x"})
    assert omms.get("A")["port"] == 12622 and omms.get("A")["password"].startswith("v1:")
    with pytest.raises(Exists):
        omms.define("A", {"address": "127.0.0.6"})
    with pytest.raises(Invalid):
        omms.define("B", {})
    omms.set_state("A", "synced", users=3)
    assert omms.live("A").describe()["state"] == "synced" and omms.live("A").users == 3
    omms.set_omm_id("A", "102A7C82")
    assert omms.by_omm_id("102A7C82") is omms.get("A")
    assert [c.kind for c in seen] == ["omm", "ommState", "omm"]


def test_sync_bookkeeping_is_committed_in_batches_records_at_once(tmp_path: Path,
                                                                  clock: ManualClock) -> None:
    model = MomModel(tmp_path, MomSetup(), clock)
    d = model.directory
    u = d.create_user({"num": "1"})
    d.set_local("user", u["uid"], "A", 5)
    d.set_agreed("user", u["uid"], "A", {"admin": "x"})
    killed = MomModel(tmp_path, MomSetup(), clock).directory  # what a kill -9 now leaves
    assert killed.user_by_num("1") is not None and killed.user_by_local("A", 5) is None
    d.flush()
    again = MomModel(tmp_path, MomSetup(), clock).directory
    assert again.user_by_local("A", 5) is not None
    assert again.agreed_with(again.user_by_num("1"), "A") == {"admin": "x"}
    for n in range(2, 2 + BOOKKEEPING_BATCH):  # a long burst commits on its own
        d.set_local("user", d.create_user({"num": str(n)})["uid"], "A", 100 + n)
    assert MomModel(tmp_path, MomSetup(), clock).directory.held_at("user", "A") >= \
        BOOKKEEPING_BATCH
