"""pytest plugin (registered by the `sipdect` distribution): an emulated OMM, or a whole
site, per test.

    def test_login(omm):
        client = MyAxiClient(omm.host, omm.port)       # or omm.tls_port
        client.login(omm.username, omm.password)

    def test_handover(site):                           # the default system `sipdect up` runs
        alice, bob = site.handset("Alice"), site.handset("Bob")
        alice.call("202"); bob.wait_for(state="incoming"); bob.answer()
        alice.walk(30, 0)
        assert alice.call_state == "connected"

One emulator (one site) runs per test session on free ports; `omm` and `site` reset it
before each test that follows another's use, so tests never see each other's users, devices,
sessions, handsets or faults. The emulator is imported only when a test asks for one of
these fixtures: a pytest run that merely has sipdect installed loads none of its components.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sipdect.app.emulator import OmmHandle, ThreadedEmulator
    from sipdect.app.library import ThreadedSite


@pytest.fixture(scope="session")
def sipdect_emulator() -> Iterator[ThreadedEmulator]:
    from sipdect.app.emulator import ThreadedEmulator, quiet_config

    emu = ThreadedEmulator(quiet_config()).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def omm(sipdect_emulator: ThreadedEmulator) -> OmmHandle:
    sipdect_emulator.reset()
    return sipdect_emulator.omm


class _SessionSite:
    """The session's site and whether a test has had it since its last reset."""

    def __init__(self, site: ThreadedSite) -> None:
        self.site = site
        self.used = False


@pytest.fixture(scope="session")
def sipdect_site() -> Iterator[_SessionSite]:
    from sipdect.app.library import ThreadedSite

    site = ThreadedSite().start()
    try:
        yield _SessionSite(site)
    finally:
        site.stop()


@pytest.fixture
def site(sipdect_site: _SessionSite) -> ThreadedSite:
    """The default system `sipdect up` runs, started once per session, its handsets attached
    and users registered; reset to that before each test after the first
    (sipdect.ThreadedSite: every handle synchronous)."""
    if sipdect_site.used:
        sipdect_site.site.reset()
    sipdect_site.used = True
    return sipdect_site.site
