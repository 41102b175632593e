"""An emulated OMM on a loop of its own for the browser tests (a ThreadedEmulator: the test's
loop drives Playwright while the OMM's runs, at any speed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sipdect.app.config import SystemConfig
from sipdect.app.emulator import ThreadedEmulator, quiet_config


def config(*, factory_new: bool = False, banner: str | None = None) -> SystemConfig:
    """The default system's OMM alone; `factory_new`: no configured accounts (omm/omm)."""
    cfg = quiet_config()
    omm = cfg.omms[0]
    if factory_new:
        omm.accounts.clear()
    if banner is not None:
        omm.settings["LoginBanner"] = {"active": True, "text": banner}
    return cfg


@asynccontextmanager
async def running(cfg: SystemConfig, *, speed: float | None = None
                  ) -> AsyncIterator[ThreadedEmulator]:
    emu = ThreadedEmulator(cfg, speed=speed)
    await asyncio.to_thread(emu.start)
    try:
        yield emu
    finally:
        await asyncio.to_thread(emu.stop)


def web_log(emu: ThreadedEmulator) -> Callable[[], list[str]]:
    """Reads the OMM's web UI entries of its event log (on the OMM's loop)."""
    def read() -> list[str]:
        entries = emu.call(lambda: emu.omm.model.event_log.entries(0, 1000))
        return [e.msg for e in entries if e.name == "WEB"]
    return read
