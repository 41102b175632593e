"""Central mode in the OMM's model (omm.central, docs/mom.md): the userDeviceSync health and
its grace, local records owned by the OMM, sync-only attributes stored as given, an identical
re-push changing nothing, the UAK's portable form."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omm.central import LOST_SESSION, NO_SARI, SYNC_OK
from omm.devices import uak_from_wire, uak_to_wire
from omm.errors import Invalid
from omm.model import OmmModel, OmmSetup
from omm.tables import Change
from sipdect.axi import sync
from tests.unit.clocks import ManualClock

PARK = "1F102A7C82"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def model(tmp_path: Path, clock: ManualClock) -> OmmModel:
    return OmmModel(tmp_path, OmmSetup("A", settings={"PARK": {"park": PARK}}), clock)


def health(model: OmmModel) -> object:
    return model.health.get("userDeviceSync")


def test_own_id_is_the_ari_of_the_park(model: OmmModel) -> None:
    assert model.central.own_id == "102A7C82"


def test_health_reports_a_lost_session_only_after_the_grace(model: OmmModel,
                                                             clock: ManualClock) -> None:
    assert health(model) is None  # standalone: not reported
    model.settings.update("SARI", {"sari": "1F10DEC700"})
    model.settings.update("UserDeviceSyncOMM", {"enable": True})
    assert health(model) == SYNC_OK
    deadline = model.central.get_timer()
    assert deadline == clock.now + sync.SYNC_LOST_GRACE_S
    model.central.session_opened("mom:1", clock.now)
    assert model.central.get_timer() is None and health(model) == SYNC_OK
    model.central.session_closed("mom:1", clock.now)
    clock.now += sync.SYNC_LOST_GRACE_S - 0.1
    model.central.handle_timer(clock.now)
    assert health(model) == SYNC_OK  # a reconnect within the grace does not flap
    clock.now += 0.1
    model.central.handle_timer(clock.now)
    assert health(model) == LOST_SESSION
    model.central.session_opened("mom:2", clock.now)
    assert health(model) == SYNC_OK
    model.settings.update("SARI", {"sari": "0000000000"})
    assert health(model) == NO_SARI
    model.settings.update("UserDeviceSyncOMM", {"enable": False})
    assert health(model) is None


def test_local_records_of_a_central_omm_are_its_own(model: OmmModel) -> None:
    before = model.devices.create({"ipei": "03074 0220259 3"})
    assert before["ommId"] == before["ommIdAck"] == ""
    model.settings.update("UserDeviceSyncOMM", {"enable": True})
    device = model.devices.create({"ipei": "00100 0000001 4"})
    user = model.users.create({"num": "100"})
    assert device["ommId"] == device["ommIdAck"] == "102A7C82" and user["permanent"]
    pushed = model.devices.create({"ipei": "00100 0000002 5", "ommId": "10FFFF00",
                                   "ommIdAck": "10FFFF00"}, synced=True)
    visitor = model.users.create({"num": "200", "permanent": False}, synced=True)
    assert pushed["ommIdAck"] == "10FFFF00" and not visitor["permanent"]


def test_sync_writes_keep_their_stamps_and_a_repush_announces_nothing(
        model: OmmModel, clock: ManualClock) -> None:
    changes: list[Change] = []
    model.add_listener(changes.append)
    uak = uak_to_wire(bytes(range(16)))
    values = {"ipei": "03074 0220259 3", "uak": uak, "s": "Yes", "ommId": "102A7C82",
              "ommIdAck": "102A7C82", "roaming": sync.ROAMING_COMPLETE,
              "timeStamp": 1_700_000_001, "timeStampRoaming": 1_700_000_002,
              "timeStampSubscription": 1_700_000_003}
    rec = model.devices.create(values, synced=True)
    assert (rec["timeStamp"], rec["timeStampRoaming"], rec["timeStampSubscription"]) == (
        1_700_000_001, 1_700_000_002, 1_700_000_003)
    assert model.devices.uak(rec) == bytes(range(16))
    changes.clear()
    clock.now += 60
    model.devices.update(rec["ppn"], dict(values))  # the MOM pushes the same again
    assert changes == [] and rec["timeStamp"] == 1_700_000_001
    model.devices.update(rec["ppn"], {"ommIdAck": "10FFFF00", "timeStampRoaming": 1_700_000_100})
    assert rec["timeStampRoaming"] == 1_700_000_100
    assert rec["timeStamp"] == int(clock.now)  # the last change, not given: now
    assert rec["timeStampAdmin"] != int(clock.now)  # nothing administrative changed
    [change] = changes
    assert change.fields is not None and "_uakSealed" not in change.fields
    assert set(change.fields) == {"ommIdAck", "timeStampRoaming", "timeStamp"}


@given(st.binary(min_size=16, max_size=16))
def test_the_uak_form_round_trips(uak: bytes) -> None:
    text = uak_to_wire(uak)
    assert len(text) == 32 and text == text.upper() and uak_from_wire(text) == uak
    assert uak_from_wire(text.lower()) == uak


@given(st.text(max_size=40))
def test_a_bad_uak_is_an_invalid_value_never_a_crash(text: str) -> None:
    try:
        assert len(uak_from_wire(text)) == 16
    except Invalid as exc:
        assert exc.field == "uak"
