"""A central-mode OMM holds the request of a handset it does not hold while it asks the MOM
(docs/mom.md "Roaming"): a virtual handset and the FixedPart back to back in virtual time, the
MOM played by the test writing records as a sync session would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fp_pp_world import World

from omm.dect import events as ev
from omm.dect.roaming import Outcome, Procedure, RoamingHolds
from omm.devices import uak_to_wire
from omm.model import OmmModel, OmmSetup
from sim import handset as hs
from sim.handset import Handset
from sipdect.axi import sync
from tests.unit.clocks import ManualClock

IPEI = "03074 0220259 3"
OTHER_OMM = "10FFFF00"


@pytest.fixture
def model(tmp_path: Path) -> OmmModel:
    m = OmmModel(tmp_path, OmmSetup("B"), ManualClock())
    m.settings.update("DECTAuthCode", {"ac": "1234"})
    return m


def central(model: OmmModel, *, session: bool = True) -> None:
    model.settings.update("UserDeviceSyncOMM", {"enable": True})
    if session:
        model.central.session_opened("127.0.0.9:40000", model.clock())


def roamer(world: World) -> tuple[Handset, dict[str, Any]]:
    """A handset subscribed with a UAK the MOM knows, whose device record this OMM does not
    hold (it subscribed here before the OMM joined the MOM; the record moved away since)."""
    model = world.model
    model.settings.update("DevAutoCreate", {"enable": True})
    model.subscription.set("Wildcard")
    handset = world.add_handset(IPEI)
    handset.subscribe(world.now, ac="1234")
    world.run(30)
    assert handset.subscription is not None
    device = dict(model.devices.find_by_ipei(IPEI))
    model.delete_device(device["ppn"])
    model.subscription.set("Off")
    handset.power_off(world.now)
    world.run(10)
    world.fp_events.clear()
    return handset, device


def come_back(world: World, handset: Handset, rfp_id: int = 2) -> None:
    """The handset locks to the OMM's RFP again and sends a LOCATE-REQUEST."""
    handset.power_on(world.now)
    handset.lock(rfp_id, world.rfpi(rfp_id), world.now)
    world.run(0.5)


def push(model: OmmModel, device: dict[str, Any], **values: Any) -> dict[str, Any]:
    """What the MOM writes over its sync session: the device confirmed at this OMM."""
    own = model.central.own_id
    return model.devices.create({
        "ipei": device["ipei"], "uak": device["uak"], "s": "Yes", "ommId": own,
        "ommIdAck": own, "roaming": sync.ROAMING_COMPLETE, "timeStampRoaming": 1_700_000_000,
        **values}, synced=True)


def asked(world: World) -> list[ev.RoamingAsked]:
    return world.events_of(ev.RoamingAsked)


def ended(world: World) -> list[ev.RoamingEnded]:
    return world.events_of(ev.RoamingEnded)


def test_a_held_locate_completes_when_the_moms_record_arrives(
        world: World, model: OmmModel) -> None:
    handset, device = roamer(world)
    central(model)
    come_back(world, handset)
    assert asked(world) == [ev.RoamingAsked("locate", IPEI, 0, 2, str(world.park).upper())]
    world.run(sync.ROAMING_WAIT_S / 2)
    assert handset.location is hs.Location.LOCATING  # held, not refused
    rec = push(model, device)
    world.run(2)
    assert handset.location is hs.Location.REGISTERED
    assert ev.DeviceAttached(rec["ppn"], 2) in world.fp_events
    assert ended(world) == [ev.RoamingEnded("locate", IPEI, Outcome.ACCEPTED.value)]
    assert handset.subscription is not None and handset.pmid == rec["ppn"]  # its new TPUI


def test_the_moms_reject_refuses_a_held_locate_at_once(world: World, model: OmmModel) -> None:
    handset, _ = roamer(world)
    central(model)
    come_back(world, handset)
    assert world.fp.reject_roaming(Procedure.LOCATE, IPEI, "unknown device", world.now)
    world.pump()
    assert handset.location is hs.Location.REJECTED
    assert ended(world) == [ev.RoamingEnded("locate", IPEI, Outcome.REJECTED.value,
                                            "unknown device")]
    assert not world.fp.reject_roaming(Procedure.LOCATE, IPEI, "again", world.now)


def test_a_held_locate_is_refused_at_the_deadline(world: World, model: OmmModel) -> None:
    handset, _ = roamer(world)
    central(model)
    come_back(world, handset)
    start = world.now
    world.run_until(lambda: handset.location is hs.Location.REJECTED, 2 * sync.ROAMING_WAIT_S)
    assert world.now == pytest.approx(start + sync.ROAMING_WAIT_S, abs=0.6)
    assert ended(world) == [ev.RoamingEnded("locate", IPEI, Outcome.TIMED_OUT.value)]


def test_a_device_confirmed_at_another_omm_is_held_until_it_is_confirmed_here(
        world: World, model: OmmModel) -> None:
    handset, device = roamer(world)
    rec = push(model, device)
    central(model)
    model.devices.update(rec["ppn"], {"ommId": OTHER_OMM, "ommIdAck": OTHER_OMM})
    come_back(world, handset)
    assert [a.ppn for a in asked(world)] == [rec["ppn"]]
    assert handset.location is hs.Location.LOCATING
    own = model.central.own_id
    model.devices.update(rec["ppn"], {"ommId": own, "ommIdAck": own})
    world.run(2)
    assert handset.location is hs.Location.REGISTERED


def test_without_a_sync_session_an_unknown_handset_is_refused_at_once(
        world: World, model: OmmModel) -> None:
    handset, _ = roamer(world)
    central(model, session=False)
    come_back(world, handset)
    assert handset.location is hs.Location.REJECTED
    assert asked(world) == []


def test_a_held_subscription_goes_on_by_the_omms_rules_with_the_pushed_record(
        world: World, model: OmmModel) -> None:
    central(model)
    model.subscription.set("Configured")
    handset = world.add_handset(IPEI)
    handset.subscribe(world.now, ac="1234")
    world.run(0.5)
    assert asked(world) == [ev.RoamingAsked("subscribe", IPEI, 0, 1, str(world.park).upper())]
    assert handset.subscription is None
    model.devices.create({"ipei": IPEI}, synced=True)  # the MOM knows it: no UAK yet
    world.run(30)
    assert handset.subscription is not None
    assert model.devices.find_by_ipei(IPEI)["s"] == "Yes"
    assert ended(world) == [ev.RoamingEnded("subscribe", IPEI, Outcome.ACCEPTED.value)]


def test_the_moms_reject_refuses_a_held_subscription(world: World, model: OmmModel) -> None:
    central(model)
    model.subscription.set("Configured")
    handset = world.add_handset(IPEI)
    handset.subscribe(world.now, ac="1234")
    world.run(0.5)
    assert world.fp.reject_roaming(Procedure.SUBSCRIBE, IPEI, "unknown device", world.now)
    world.run(5)
    assert handset.subscription is None and handset.display[0] == "Subscription failed"
    assert len(model.devices) == 0


def test_a_pushed_record_subscribes_with_its_uak_no_air_subscription_needed(
        world: World, model: OmmModel) -> None:
    """CreatePPDev with uak and s=Yes pre-subscribes a handset (mom.md §2.2)."""
    handset, device = roamer(world)
    rec = push(model, device)
    assert model.devices.uak(model.devices.get(rec["ppn"])) == handset.subscription.uak  # type: ignore[union-attr]
    assert device["uak"] == uak_to_wire(handset.subscription.uak)  # type: ignore[union-attr]
    come_back(world, handset)
    world.run(2)
    assert handset.location is hs.Location.REGISTERED


# --- the hold table alone -------------------------------------------------------------------


def test_holds_expire_at_their_deadline_and_end_once() -> None:
    holds: RoamingHolds[str] = RoamingHolds(wait=4.0)
    holds.start("a", Procedure.LOCATE, IPEI, 10.0)
    holds.start("b", Procedure.SUBSCRIBE, IPEI, 11.0)
    assert holds.get_timer() == 14.0
    assert [h.key for h in holds.of(Procedure.LOCATE, IPEI)] == ["a"]
    assert holds.expire(13.9) == []
    assert [h.key for h in holds.expire(14.0)] == ["a"]
    assert holds.end("a") is None and holds.end("b") is not None
    assert holds.get_timer() is None and len(holds) == 0
