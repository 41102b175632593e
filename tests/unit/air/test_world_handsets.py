"""The world's handsets by IPEI: one handset per IPEI on the air, found by either IPEI form."""

from __future__ import annotations

import asyncio

import pytest

from dect.identities import Ipei
from sim.world import World

IPEI = Ipei(0x0BE7, 42)


async def test_one_handset_per_ipei_found_by_either_form_and_free_again_once_removed() -> None:
    world = World(asyncio.get_running_loop())
    try:
        entry = world.add_handset(IPEI.omm_form(), 0.0, 0.0)
        with pytest.raises(ValueError, match="already on the air"):
            world.add_handset(IPEI.omm_form().replace(" ", ""), 5.0, 0.0)
        assert world.find(IPEI.omm_form()) is entry
        assert world.find(str(entry.id)) is entry
        world.remove_handset(entry.id)
        with pytest.raises(KeyError):
            world.find(IPEI.omm_form())
        again = world.add_handset(IPEI.omm_form(), 0.0, 0.0)
        assert world.find(IPEI.omm_form()) is again and again.id != entry.id
    finally:
        world.close()


async def test_a_handset_is_found_by_its_name_unless_two_share_it() -> None:
    world = World(asyncio.get_running_loop())
    try:
        alice = world.add_handset(IPEI.omm_form(), 0.0, 0.0, name="Alice")
        assert world.find("Alice") is alice
        world.add_handset(Ipei(0x0BE7, 43).omm_form(), 0.0, 0.0, name="Alice")
        with pytest.raises(KeyError, match="2 handsets are named 'Alice'"):
            world.find("Alice")
        with pytest.raises(KeyError, match="no handset 'Bob'"):
            world.find("Bob")
    finally:
        world.close()
