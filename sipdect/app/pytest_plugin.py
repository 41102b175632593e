"""pytest plugin (registered by the `sipdect` distribution): an emulated OMM per test.

    def test_login(omm):
        client = MyAxiClient(omm.host, omm.port)       # or omm.tls_port
        client.login(omm.username, omm.password)

One emulator runs per test session on free ports; `omm` resets it before each
test, so tests never see each other's users, devices or sessions.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sipdect.app.emulator import OmmHandle, ThreadedEmulator, quiet_config


@pytest.fixture(scope="session")
def sipdect_emulator() -> Iterator[ThreadedEmulator]:
    emu = ThreadedEmulator(quiet_config()).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def omm(sipdect_emulator: ThreadedEmulator) -> OmmHandle:
    sipdect_emulator.reset()
    return sipdect_emulator.omm
