"""Library face for users' own tests, in the style of moto (ecosystem.md §7).

    async with sipdect.Emulator() as emu:
        host, port = emu.omm.host, emu.omm.port     # AXI plain; emu.omm.tls_port for TLS

Every listener binds a free port on 127.0.0.1 unless any_port=False; state lives
in a temporary directory unless data_dir is given. ThreadedEmulator runs the same
in a background thread for synchronous code and the pytest plugin.

At a speed (`[system] speed`, or `speed=` here, sipdect.clock): ThreadedEmulator makes its
loop at that speed; an Emulator must be started on a loop at that speed
(`sipdect.clock.run(main(), speed=N)`) and refuses any other with a ClockError saying so.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omm.service import OmmService
from sipdect import clock
from sipdect.app.config import SystemConfig, checked_speed, load_config, parse_config
from sipdect.app.system import System


@dataclass
class OmmHandle:
    """Where one emulated OMM listens and how to log in to it."""

    name: str
    host: str
    port: int  # AXI plain TCP
    tls_port: int  # AXI TLS
    username: str
    password: str
    service: OmmService | None
    """The OMM itself when it runs in this process (isolation none), else None."""
    web_port: int = 0
    """Its web UI's HTTPS port (0: none known)."""

    @property
    def web_url(self) -> str:
        """The web UI's home page (HTTPS; its HTTP port only redirects there)."""
        return f"https://{self.host}:{self.web_port}/"

    @property
    def model(self) -> Any:
        assert self.service is not None, f"OMM {self.name} runs in a process of its own"
        return self.service.model


def quiet_config() -> SystemConfig:
    """The default system's OMM alone: no RFPs, handsets, users or call server changing
    records under a test."""
    cfg = load_config()
    cfg.rfps.clear()
    cfg.handsets.clear()
    cfg.users.clear()
    cfg.pbx = None
    return cfg


def _as_config(config: SystemConfig | str | Path | None) -> SystemConfig:
    """None means the default system's OMM alone (quiet_config); `sipdect up` runs it all."""
    if config is None or isinstance(config, SystemConfig):
        return config or quiet_config()
    if isinstance(config, Path) or (isinstance(config, str) and "\n" not in config
                                    and config.endswith(".toml")):
        return load_config(Path(config))
    return parse_config(str(config))


class Emulator:
    def __init__(self, config: SystemConfig | str | Path | None = None,
                 data_dir: Path | None = None, *, any_port: bool = True,
                 speed: float | None = None) -> None:
        self.config = _as_config(config)
        if speed is not None:
            self.config.speed = checked_speed(speed, "Emulator(speed=...)")
        self._given_dir = data_dir
        self._tmp: str | None = None
        self._any_port = any_port
        self.system: System | None = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        if self._given_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="sipdect-")
            data_dir = Path(self._tmp)
        else:
            data_dir = self._given_dir
        self.system = System(self.config, data_dir, any_port=self._any_port)
        await self.system.start()

    async def stop(self) -> None:
        if self.system is not None:
            await self.system.stop()
            self.system = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def handle(self, name: str | None = None) -> OmmHandle:
        assert self.system is not None, "the emulator is not running"
        host = self.system.omm_host(name)
        running = self.system.host(host.name)  # a process host's endpoints are its own
        ports = {e.protocol: e.port for e in running.endpoints()}
        for protocol in ("axi", "axi-tls", "web-https"):  # one of a pair: configured ports
            if protocol not in ports:
                ports[protocol] = host.port(protocol)
        cred = next(c for c in self.system.credentials() if c["name"] == host.name)
        return OmmHandle(host.name, host.address, ports["axi"], ports["axi-tls"],
                         cred["username"], cred["password"],
                         host.service if running is host else None, ports["web-https"])

    @property
    def omm(self) -> OmmHandle:
        return self.handle()

    async def reset(self) -> None:
        """Back to the configured initial state on the same ports: sessions dropped, data
        wiped and provisioned again as at start; with a site, its RFPs and handsets start
        anew and register again (System.reset)."""
        assert self.system is not None, "the emulator is not running"
        await self.system.reset()


class ThreadedEmulator:
    """An Emulator on its own event loop in a daemon thread."""

    def __init__(self, config: SystemConfig | str | Path | None = None,
                 data_dir: Path | None = None, *, speed: float | None = None) -> None:
        self.emulator = Emulator(config, data_dir, speed=speed)
        self._loop = clock.new_event_loop(clock.at_speed(self.emulator.config.speed))
        self._thread = threading.Thread(target=self._loop.run_forever, name="sipdect",
                                        daemon=True)

    def _run(self, coro: Any) -> Any:
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return fut.result(timeout=60)  # real seconds, in this (caller's) thread

    def start(self) -> ThreadedEmulator:
        self._thread.start()
        self._run(self.emulator.start())
        return self

    def stop(self) -> None:
        self._run(self.emulator.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def reset(self) -> None:
        self._run(self.emulator.reset())

    def call(self, fn: Any, *args: Any) -> Any:
        """Run fn(*args) on the emulator's loop (model access from a test)."""
        async def _call() -> Any:
            return fn(*args)
        return self._run(_call())

    @property
    def omm(self) -> OmmHandle:
        return self.emulator.omm

    def __enter__(self) -> ThreadedEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
