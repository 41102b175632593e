"""The SARI at the fixed part and in the handset (mom.md §3.1-§3.3, docs/mom.md "Roaming"):
a subscription gets the SARI's PARK, so the handset may use any RFP broadcasting the SARI; an
RFP of another PARI is another location area, where the handset location-registers."""

from __future__ import annotations

from pathlib import Path

import pytest
from fp_pp_world import World
from test_fp_pp_procedures import IPEI, subscribed

from dect.identities import Ari, Park, Rfpi
from omm.dect import events as ev
from omm.model import OmmModel, OmmSetup
from sim.handset import Location
from tests.unit.clocks import ManualClock

SARI = Park.parse("1F10187326")
OTHER_PARI = Ari.parse("10AB0000")
"""Another OMM's PARI (its PARK 1F10AB0000)."""


@pytest.fixture
def model(tmp_path: Path) -> OmmModel:
    m = OmmModel(tmp_path, OmmSetup("Test"), ManualClock())
    m.settings.update("DECTAuthCode", {"ac": "1234"})
    m.settings.update("SARI", {"sari": str(SARI)})
    return m


@pytest.fixture
def world(model: OmmModel) -> World:
    w = World(model)
    w.saris = (SARI.ari,)
    return w


def test_with_a_sari_set_access_rights_give_the_sari_park(world: World) -> None:
    handset = subscribed(world)
    assert list(handset.subscriptions) == [str(SARI)]
    assert handset.location is Location.REGISTERED  # at its own OMM's RFP, through the SARI


def test_a_device_subscribed_to_the_pari_only_gets_the_park(world: World, model: OmmModel) -> None:
    model.devices.create({"ipei": IPEI, "subscribeToPARIOnly": True})
    model.subscription.set("Configured")
    handset = world.add_handset(IPEI)
    handset.subscribe(world.now, ac="1234")
    world.run(30)
    assert list(handset.subscriptions) == [str(world.park)]


def test_without_a_sari_access_rights_give_the_park(world: World, model: OmmModel) -> None:
    model.settings.update("SARI", {"sari": "0000000000"})
    world.saris = ()
    handset = subscribed(world)
    assert list(handset.subscriptions) == [str(world.park)]


def test_an_rfp_of_another_pari_broadcasting_the_sari_is_a_new_location_area(
    world: World, model: OmmModel
) -> None:
    handset = subscribed(world)
    ppn = model.devices.find_by_ipei(IPEI)["ppn"]
    handset.lock(2, world.rfpi(2), world.now, world.saris)  # the same PARI: the same area
    world.run(10)
    assert handset.location is Location.REGISTERED and world.events_of(ev.DeviceAttached) == []
    handset.lock(1, Rfpi(OTHER_PARI, 1, e=True), world.now, world.saris)
    assert handset.location is Location.LOCATING and handset.subscription is not None
    world.run(10)  # the relay stands for the other OMM's RFP; this FP knows the device
    assert world.events_of(ev.DeviceAttached) == [ev.DeviceAttached(ppn, 1)]
    assert handset.location is Location.REGISTERED


def test_an_rfp_of_another_pari_without_the_sari_is_no_system_of_the_handsets(world: World) -> None:
    handset = subscribed(world)
    handset.lock(1, Rfpi(OTHER_PARI, 1), world.now, ())
    world.run(10)
    assert handset.subscription is None and handset.location is Location.IDLE
    assert handset.display[0] == "No subscription" and world.events_of(ev.DeviceAttached) == []
