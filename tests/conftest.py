"""Shared fixtures: the `omm` fixture comes from sipdect's own pytest plugin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, settings

from sipdect.app.emulator import OmmHandle
from sipdect.axi.client import AxiClient

# Hypothesis checks how fast examples are made and run (a 200 ms deadline, a "too slow"
# health check): wall-clock limits, which fail on a machine whose cores are busy. The suite
# asserts what a user observes; timing goals live in `sipdect bench`.
settings.register_profile("sipdect", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("sipdect")


@pytest.fixture
async def axi(omm: OmmHandle) -> AsyncIterator[AxiClient]:
    """A logged-in AXI client (plain TCP) with full access."""
    client = await AxiClient.connect(omm.host, omm.port)
    await client.login(omm.username, omm.password)
    yield client
    await client.close()
