"""Shared fixtures: the `omm` fixture comes from sipdect's own pytest plugin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sipdect.app.emulator import OmmHandle
from sipdect.axi.client import AxiClient


@pytest.fixture
async def axi(omm: OmmHandle) -> AsyncIterator[AxiClient]:
    """A logged-in AXI client (plain TCP) with full access."""
    client = await AxiClient.connect(omm.host, omm.port)
    await client.login(omm.username, omm.password)
    yield client
    await client.close()
