"""Hosts as OS processes of their own (`isolation = "process"`, ARCHITECTURE.md principle 5):
a real SIGKILL for `host kill`, every core used, and the same command that spreads a system
over several machines (`sipdect host NAME --config FILE`).

The supervisor starts a process host with `sipdect host NAME --config FILE --supervised` and
reads one line `HOST-READY {json}` from it: its pid, endpoints and the port of a small
control API on 127.0.0.1 through which it cuts and heals links and works its phone. The
token of that API travels in the environment (HOST_TOKEN_ENV), never on a command line.
Stop is SIGTERM (the host says its goodbyes), kill is SIGKILL (nothing is flushed).

A process host binds the ports its config names at its own address: two systems never
share an address, so the product's ports never clash (tests give each system its own block).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from omm.service import Endpoint
from sipdect.app.hosts import Host, HostState, PhoneHost

if TYPE_CHECKING:
    from sipdect.app.system import System

log = logging.getLogger("sipdect.app.process")

HOST_TOKEN_ENV = "SIPDECT_HOST_TOKEN"
"""The environment variable that hands a process host its control API's token."""
READY_PREFIX = "HOST-READY "
"""The line a process host prints once it runs, then the JSON of what it offers."""
START_TIMEOUT_S = 60.0
"""How long the supervisor waits for a process host's READY line."""
STOP_TIMEOUT_S = 20.0
"""How long a host may take to stop cleanly after SIGTERM before it is killed."""
TOKEN_HEADER = "X-Sipdect-Host-Token"


class ProcessHost(Host):
    """A host the supervisor runs as a child process; `inner` is the same host as this
    process would run it, kept for what the config says of it (its kind, address, config)."""

    def __init__(self, system: System, inner: Host) -> None:
        super().__init__(system, inner.spec, inner.address)
        self.inner = inner
        self.kind = inner.kind
        self.proc: asyncio.subprocess.Process | None = None
        self.token = ""
        self.control_port = 0
        self._endpoints: list[Endpoint] = []
        self._details: dict[str, Any] = {}
        self._watch: asyncio.Task[None] | None = None

    def __getattr__(self, name: str) -> Any:
        # What the config says of the host (cfg, ...) is the inner host's.
        return getattr(self.inner, name)

    async def _start(self) -> None:
        self.token = secrets.token_urlsafe(24)
        env = {**os.environ, HOST_TOKEN_ENV: self.token}
        command = [sys.executable, "-m", "sipdect.app.cli", "host", self.name,
                   "--config", str(self.system.config_path()),
                   "--data-dir", str(self.system.data_dir),
                   "--addresses", self.system.address_block, "--supervised"]
        if self.kind == "rfp":
            server = self.system.air_server
            assert server is not None, "the world's air link runs before the RFP hosts"
            air_id = self.system.site.reserve_air_id(self)
            command += ["--air", f"{server.host}:{server.port}", "--air-id", str(air_id)]
        self.proc = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=None,
            start_new_session=True)
        try:
            info = await asyncio.wait_for(self._ready(), START_TIMEOUT_S)
        except BaseException:
            await self._reap(signal.SIGKILL)
            raise
        self.control_port = int(info["control"])
        self._endpoints = [Endpoint(**e) for e in info["endpoints"]]
        self._details = info.get("describe", {})
        self._watch = asyncio.get_running_loop().create_task(self._watch_exit())

    async def _ready(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                code = await self.proc.wait()
                raise OSError(f"host {self.name} ended before it got ready (exit status "
                              f"{code}); its log says why")
            text = line.decode("utf-8", "replace").strip()
            if text.startswith(READY_PREFIX):
                info: dict[str, Any] = json.loads(text[len(READY_PREFIX):])
                return info

    async def _watch_exit(self) -> None:
        """A process host that ends by itself (a crash) is down, as a machine that died."""
        proc = self.proc
        assert proc is not None
        code = await proc.wait()
        if self.proc is proc and self.state is HostState.RUNNING:
            log.warning("host %s ended by itself (exit status %s)", self.name, code)
            self.state = HostState.KILLED
            self.started_at = None

    async def _stop(self) -> None:
        await self._reap(signal.SIGTERM)

    async def _kill(self) -> None:
        await self._reap(signal.SIGKILL)

    async def _reap(self, sig: int) -> None:
        proc, self.proc = self.proc, None
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            log.warning("host %s did not stop within %.0f s: killed", self.name, STOP_TIMEOUT_S)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        self._endpoints = []

    def endpoints(self) -> list[Endpoint]:
        return list(self._endpoints) if self.running else []

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["pid"] = self.proc.pid if self.proc is not None and self.running else None
        out["isolation"] = "process"
        return out

    # -- what the supervisor asks of the running host ---------------------------------------
    async def request(self, method: str, path: str, body: dict[str, Any] | None = None
                      ) -> Any:
        """A call to the host's own control API; KeyError/ValueError as it answered."""
        if not self.running:
            raise ValueError(f"host {self.name} is {self.state}")
        url = f"http://127.0.0.1:{self.control_port}{path}"
        async with aiohttp.ClientSession(headers={TOKEN_HEADER: self.token}) as http, \
                http.request(method, url, json=body) as response:
            data = await response.json()
            if response.status == 404:
                raise KeyError(data.get("error", path))
            if response.status >= 400:
                raise ValueError(data.get("error", f"{method} {path}: {response.status}"))
            return data

    async def cut(self, peer: str) -> None:
        await self.request("POST", "/cut", {"peer": peer})
        self.net.cut(peer)  # mirrored here, for describe()

    async def heal(self, peer: str) -> None:
        await self.request("POST", "/heal", {"peer": peer})
        self.net.heal(peer)


# -- the child's side: one host alone ----------------------------------------------------------


async def serve_host(system: System, name: str, *, supervised: bool) -> int:
    """Run host `name` of `system` in this process until SIGTERM or Ctrl-C. Supervised: print
    the READY line and serve the small control API the supervisor uses."""
    host = system.host(name)
    await host.start()
    token = os.environ.get(HOST_TOKEN_ENV, "")
    runner: web.AppRunner | None = None
    port = 0
    if supervised:
        if not token:
            print(f"sipdect host: {HOST_TOKEN_ENV} is not set; --supervised is for the "
                  "supervisor (sipdect up)", file=sys.stderr)
            await host.stop()
            return 2
        runner = web.AppRunner(_control_app(host, token), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    info = {"name": name, "pid": os.getpid(), "control": port,
            "endpoints": [e.as_dict() for e in host.endpoints()],
            "describe": host.describe()}
    print(READY_PREFIX + json.dumps(info), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    started = time.monotonic()
    if runner is not None:
        await runner.cleanup()
    await host.stop()
    log.info("host %s stopped in %.1f s", name, time.monotonic() - started)
    return 0


def _control_app(host: Host, token: str) -> web.Application:
    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return web.json_response({"error": "no or wrong token"}, status=401)
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except KeyError as exc:
            return web.json_response({"error": str(exc.args[0])}, status=404)
        except (ValueError, RuntimeError) as exc:
            return web.json_response({"error": str(exc)}, status=409)

    async def describe(request: web.Request) -> web.Response:
        return web.json_response(host.describe())

    async def cut(request: web.Request) -> web.Response:
        host.net.cut(str((await request.json())["peer"]))
        return web.json_response(host.describe())

    async def heal(request: web.Request) -> web.Response:
        host.net.heal(str((await request.json())["peer"]))
        return web.json_response(host.describe())

    async def phone(request: web.Request) -> web.Response:
        service = _phone_of(host)
        return web.json_response(service.describe())

    async def phone_action(request: web.Request) -> web.Response:
        service = _phone_of(host)
        action = request.match_info["action"]
        body = await request.json() if request.can_read_body else {}
        if action == "call":
            service.call(str(body["number"]))
        elif action == "answer":
            service.answer()
        elif action == "reject":
            service.reject()
        elif action == "hangup":
            service.hang_up()
        else:
            raise KeyError(f"no action {action!r}")
        return web.json_response(service.describe())

    async def phone_hears(request: web.Request) -> web.Response:
        service = _phone_of(host)
        report = service.hears(float(request.query["tone"]),
                               float(request.query.get("seconds", "0.5")))
        return web.json_response({"present": report.present,
                                  "tone_dbm0": round(report.tone_dbm0, 1),
                                  "total_dbm0": round(report.total_dbm0, 1)})

    app = web.Application(middlewares=[guard])
    app.router.add_get("/describe", describe)
    app.router.add_post("/cut", cut)
    app.router.add_post("/heal", heal)
    app.router.add_get("/phone", phone)
    app.router.add_post("/phone/{action}", phone_action)
    app.router.add_get("/phone/hears", phone_hears)
    return app


def _phone_of(host: Host) -> Any:
    if not isinstance(host, PhoneHost) or host.service is None:
        raise KeyError(f"host {host.name} is no running phone")
    return host.service


def write_config_copy(text: str, data_dir: Path) -> Path:
    """The system's config as a file its process hosts can read (a config given as text)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "system.toml"
    path.write_text(text, "utf-8")
    return path
