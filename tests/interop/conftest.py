"""Fixtures with real SIP peers: `kamailio` (one per module, KAMAILIO_USERS) and `baresips`
(baresip UAs stopped after the test). Helpers are in interop_peers.py."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from interop_peers import KAMAILIO_USERS, Baresip, Kamailio, start_kamailio

# The calls tests drive a whole site with the system tests' helpers (control API, polling).
sys.path.append(str(Path(__file__).resolve().parents[1] / "system"))


@pytest.fixture(scope="module")
def kamailio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kamailio]:
    """A kamailio per test module with the KAMAILIO_USERS accounts."""
    kam = start_kamailio(tmp_path_factory.mktemp("kamailio"), KAMAILIO_USERS)
    try:
        yield kam
    finally:
        kam.stop()


@pytest.fixture
def baresips() -> Iterator[list[Baresip]]:
    """Collects the Baresip instances a test starts and stops them afterwards."""
    started: list[Baresip] = []
    yield started
    for ua in started:
        with contextlib.suppress(Exception):
            ua.stop()
