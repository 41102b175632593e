"""User monitoring in the OMM's model (omm.umo.monitoring): fed the hub's events and the model's
clock, read through the states GetPPUser shows, the changes AXI announces and the health."""

from __future__ import annotations

from pathlib import Path

import pytest

from omm.dect import events as fev
from omm.model import OmmModel, OmmSetup
from omm.tables import Change
from omm.umo.monitoring import CheckHandsetNow
from sipdect.accounts import InitialAccount
from tests.unit.clocks import ManualClock

MIN = 60.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def model(tmp_path: Path, clock: ManualClock) -> OmmModel:
    return OmmModel(tmp_path, OmmSetup("Test", [InitialAccount("omm", "Sipdect-Omm-2026")]),
                    clock)


def user_with_device(model: OmmModel, mode: str) -> tuple[int, int]:
    user = model.users.create({"num": "201", "monitoringMode": mode})
    device = model.devices.create({"ipei": "03074 0220259 3"})
    model.relations.attach(user["uid"], device["ppn"], "Fixed")
    model.devices.update(device["ppn"], {"s": "Yes"})
    return user["uid"], device["ppn"]


def run_until(model: OmmModel, clock: ManualClock, when: float) -> None:
    """Fire every monitoring deadline up to `when`, as the OMM's service does."""
    while (deadline := model.umo.get_timer()) is not None and deadline <= when:
        clock.now = deadline
        model.umo.handle_timer(deadline)
    clock.now = when


def test_off_by_default_and_all_unknown(model: OmmModel, clock: ManualClock) -> None:
    user = model.users.create({"num": "200"})
    assert user["monitoringMode"] == "Off"
    assert set(model.umo.states(user["uid"]).values()) == {"Unknown"}
    assert model.umo.get_timer() is None and model.health.get("umo") is None
    assert model.settings.get("UserMonitoring") == {
        "startupDelay": 5, "escalationDelay": 2, "activityTimeout1": 480,
        "activityTimeout2": 15, "locatingEscalation": False, "batteryThresholdValue": 20}


def test_start_up_phase_then_active_mode_escalates_a_silent_handset(
        model: OmmModel, clock: ManualClock) -> None:
    seen: list[Change] = []
    model.add_listener(seen.append)
    uid, ppn = user_with_device(model, "Active")
    start = clock.now
    health = model.health.get("umo")
    assert health is not None and health.reason_code == "User monitoring is in start up phase"
    model.hub.publish(fev.DeviceAttached(ppn, 1))
    assert model.umo.states(uid)["HAS"] == "Unknown"  # nothing counts before startupDelay
    checks: list[object] = []
    model.hub.subscribe(lambda e: checks.append(e) if isinstance(e, CheckHandsetNow) else None)
    run_until(model, clock, start + 5 * MIN)
    states = model.umo.states(uid)
    assert (states["HAS"], states["HRS"], states["HSS"], states["CUS"]) == (
        "Available", "Available", "Available", "Unavailable")  # not SIP-registered: SRS
    health = model.health.get("umo")
    assert health is not None and health.severity == "OK"
    run_until(model, clock, start + 20 * MIN)
    assert model.umo.states(uid)["HAS"] == "Warning" and checks == [CheckHandsetNow(ppn)]
    model.hub.publish(fev.PpTransaction("PPNotFound", ppn, -1))  # the page went unanswered
    assert model.umo.states(uid)["HAS"] == "Unavailable"
    run_until(model, clock, clock.now + 2 * MIN)
    assert model.umo.states(uid)["HAS"] == "Escalated"
    assert any("escalated" in e.msg for e in model.event_log.entries())
    told = [c.fields for c in seen if c.kind == "user" and c.key == uid and c.fields
            and "HAS" in c.fields]
    assert len(told) >= 4  # Available, Warning, Unavailable, Escalated each announced
    model.hub.publish(fev.PpTransaction("LinkEstablish", ppn, 1))
    assert model.umo.states(uid)["HAS"] == "Available"


def test_passive_mode_warns_and_never_pages(model: OmmModel, clock: ManualClock) -> None:
    uid, ppn = user_with_device(model, "Passive")
    checks: list[object] = []
    model.hub.subscribe(lambda e: checks.append(e) if isinstance(e, CheckHandsetNow) else None)
    run_until(model, clock, clock.now + 5 * MIN + 480 * MIN)
    assert model.umo.states(uid)["HAS"] == "Warning" and checks == []
    model.hub.publish(fev.DeviceDetached(ppn))
    assert model.umo.states(uid)["HAS"] == "Unavailable"
    run_until(model, clock, clock.now + 60 * MIN)
    assert model.umo.states(uid)["HAS"] == "Unavailable"


def test_switching_monitoring_off_forgets_the_user(model: OmmModel, clock: ManualClock) -> None:
    uid, _ = user_with_device(model, "Active")
    run_until(model, clock, clock.now + 5 * MIN)
    model.users.update(uid, {"monitoringMode": "Off"})
    assert set(model.umo.states(uid).values()) == {"Unknown"}
    assert model.umo.get_timer() is None and model.health.get("umo") is None


def test_parameters_and_modes_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    setup = OmmSetup("Test", [InitialAccount("omm", "Sipdect-Omm-2026")])
    model = OmmModel(tmp_path, setup, clock)
    uid, _ = user_with_device(model, "Passive")
    model.settings.update("UserMonitoring", {"activityTimeout1": 30})
    model.close()
    again = OmmModel(tmp_path, setup, clock)
    assert again.settings.get("UserMonitoring")["activityTimeout1"] == 30
    assert again.users.get(uid)["monitoringMode"] == "Passive" and uid in again.umo.monitors


def test_call_diversion_and_a_reset(model: OmmModel, clock: ManualClock) -> None:
    uid, _ = user_with_device(model, "Active")
    run_until(model, clock, clock.now + 5 * MIN)
    model.users.update(uid, {"forwardState": "All"})
    assert model.umo.states(uid)["CDS"] == "Warning"
    model.reset()
    assert model.umo.monitors == {} and model.umo.running is False
