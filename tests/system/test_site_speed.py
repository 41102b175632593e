"""sipdect.Site at a speed (sipdect.clock): ThreadedSite makes its loop at the config's or the
given speed; an async Site must be started on a loop at that speed."""

from __future__ import annotations

import asyncio

import pytest

from sipdect.app.emulator import quiet_config
from sipdect.app.library import Site, ThreadedSite
from sipdect.clock import ClockError

pytestmark = pytest.mark.slow


def test_a_threaded_site_runs_and_resets_at_speed_60() -> None:
    with ThreadedSite(quiet_config(), speed=60) as site:
        assert site.speed == 60 and site.host("OMM").state == "running"
        assert site.reset() >= 0
        assert site.host("OMM").state == "running"


def test_a_site_at_a_speed_refuses_a_plain_loop() -> None:
    async def main() -> None:
        async with Site(quiet_config(), speed=60):
            pass
    with pytest.raises(ClockError):
        asyncio.run(main())
