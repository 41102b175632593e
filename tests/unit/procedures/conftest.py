"""The fixed part and handsets of one OMM model on a hand-set clock, as most procedure tests
start from (a module needing another model or world defines its own fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fp_pp_world import World

from omm.model import OmmModel, OmmSetup
from tests.unit.clocks import ManualClock


@pytest.fixture
def model(tmp_path: Path) -> OmmModel:
    m = OmmModel(tmp_path, OmmSetup("Test"), ManualClock())
    m.settings.update("DECTAuthCode", {"ac": "1234"})
    return m


@pytest.fixture
def world(model: OmmModel) -> World:
    return World(model)
