"""World.walk: a handset walks along a straight line in steps, locking to RFPs on its way."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import pytest

from dect.identities import Ari, Ipei, Rfpi
from sim.handset import CallState, State
from sim.world import World

IPEI = Ipei(0x0BE7, 42).omm_form()


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = World(asyncio.get_running_loop())
    yield w
    w.close()


async def test_a_walk_goes_along_the_line_in_steps_and_arrives(world: World) -> None:
    entry = world.add_handset(IPEI, 0.0, 0.0)
    seen: list[tuple[float, float]] = []
    original = world.air.move

    def move(hid: int, x: float, y: float) -> None:
        seen.append((x, y))
        original(hid, x, y)

    world.air.move = move  # type: ignore[method-assign, assignment]
    walk = world.walk(entry.id, 3.0, 4.0, speed=5.0)  # 5 m in 1 s: steps of 1 m
    assert world.describe(entry.id)["walk"]["to"] == {"x": 3.0, "y": 4.0}
    assert await asyncio.wait_for(walk.arrived, 5.0) is True
    assert math.hypot(*seen[0]) < 1.0 and seen[-1] == (3.0, 4.0)
    assert any(0 < x < 3 for x, _ in seen)  # a step on the way, not one jump
    assert all(abs(4 * x - 3 * y) < 1e-9 for x, y in seen)  # on the line
    assert [math.hypot(*p) for p in seen] == sorted(math.hypot(*p) for p in seen)
    desc = world.describe(entry.id)
    assert (desc["x"], desc["y"], desc["walk"]) == (3.0, 4.0, None)


async def test_another_walk_or_a_move_stops_a_walk_where_it_is(world: World) -> None:
    entry = world.add_handset(IPEI, 0.0, 0.0)
    first = world.walk(entry.id, 100.0, 0.0, speed=1.4)
    second = world.walk(entry.id, 0.0, 100.0, speed=1.4)
    assert first.arrived.result() is False
    world.move(entry.id, 5.0, 5.0)
    assert second.arrived.result() is False and world.walks == {}
    assert (world.air.handsets[entry.id].x, world.air.handsets[entry.id].y) == (5.0, 5.0)


async def test_a_walking_handset_locks_to_the_rfps_on_its_way(world: World) -> None:
    for rfp_id, x in ((1, 0.0), (2, 200.0)):
        world.air.add_rfp(rfp_id, x, 0.0, rfpi=Rfpi(Ari.class_b(0x100 + rfp_id, 1), 0),
                          cluster=rfp_id)
    entry = world.add_handset(IPEI, 0.0, 0.0)
    assert entry.handset.rfp_id == 1
    walk = world.walk(entry.id, 200.0, 0.0, speed=100.0)
    assert await asyncio.wait_for(walk.arrived, 10.0) is True
    assert entry.handset.rfp_id == 2


@pytest.mark.parametrize("speed", [0.0, -1.0, float("nan"), float("inf")])
async def test_a_walk_needs_a_speed(world: World, speed: float) -> None:
    entry = world.add_handset(IPEI, 0.0, 0.0)
    with pytest.raises(ValueError, match="metres per second"):
        world.walk(entry.id, 1.0, 1.0, speed=speed)


@pytest.mark.parametrize("pari_b, handed_over", [(0x101, True), (0x102, False)])
async def test_a_call_is_handed_over_only_to_an_rfp_of_the_same_pari(
        world: World, pari_b: int, handed_over: bool) -> None:
    # One cluster, synced; RFP 2 of the same PARI or of another (another FP: EN 300 175-6 §5).
    world.air.add_rfp(1, 0.0, 0.0, rfpi=Rfpi(Ari.class_b(0x101, 1), 1), preferred_sync=True)
    world.air.add_rfp(2, 50.0, 0.0, rfpi=Rfpi(Ari.class_b(pari_b, 1), 2))
    entry = world.add_handset(IPEI, 0.0, 0.0)
    handset = entry.handset
    assert handset.rfp_id == 1
    handset.state, handset.call_state = State.CONNECTED, CallState.CONNECTED  # a call is up
    world.move(entry.id, 50.0, 0.0)
    assert handset.rfp_id == (2 if handed_over else 1)  # else it holds on until the link goes
