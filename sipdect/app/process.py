"""Hosts in OS processes of their own (ARCHITECTURE.md principle 5): a real SIGKILL for
`host kill`, every core used, and the same command that spreads a system over several
machines (`sipdect host NAME --config FILE`).

Two isolations put a host outside the supervisor's process:

- `process`: the host is the only one of its child process; stop is SIGTERM (the host says
  its goodbyes), kill is SIGKILL (nothing is flushed), start spawns it again.
- `worker`: hosts share `[system] workers` child processes, round robin (hundreds of RFPs
  in a few processes: a Python process costs about 80 MB). Stop, start and kill act on
  the one host inside its worker (kill drops its sockets and timers at once, as in the
  supervisor's process); the worker itself lives as long as the system.

A child is `sipdect host NAME... --config FILE --supervised`. It prints one line
`HOST-READY {json}` with its pid and the port of a small control API on 127.0.0.1 (the
token travels in the environment, HOST_TOKEN_ENV, never on a command line), through which
the supervisor starts, stops and kills its hosts, cuts and heals their links and works their
phones. Hosts outside the supervisor bind the ports their config names at their own
addresses: two systems never share an address, so the product's ports never clash.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import pickle
import secrets
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from sipdect import clock
from sipdect.app.hosts import Host, HostState, PhoneHost, RfpHost
from sipdect.net import Endpoint

if TYPE_CHECKING:
    from sipdect.app.system import System

log = logging.getLogger("sipdect.app.process")

HOST_TOKEN_ENV = "SIPDECT_HOST_TOKEN"
"""The environment variable that hands a child its control API's token."""
READY_PREFIX = "HOST-READY "
"""The line a child prints once its control API listens, then the JSON of it."""
START_TIMEOUT_S = 60.0
"""How long the supervisor waits for a child's READY line, and for a host to start: real
seconds at any speed (start-up is real work; `clock.current().virtual` makes them loop time)."""
STOP_TIMEOUT_S = 20.0
"""How long a child may take to stop cleanly after SIGTERM before it is killed (real seconds)."""
TOKEN_HEADER = "X-Sipdect-Host-Token"


class Child:
    """One child process of the supervisor, running one or more hosts of its system."""

    def __init__(self, system: System, names: list[str], label: str) -> None:
        self.system = system
        self.names = names
        self.label = label
        self.proc: asyncio.subprocess.Process | None = None
        self.token = ""
        self.port = 0
        self._spawning: asyncio.Lock | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.alive and self.proc is not None else None

    async def ensure(self) -> None:
        """Spawn the child unless it runs; return once its control API listens."""
        if self._spawning is None:
            self._spawning = asyncio.Lock()
        async with self._spawning:
            if self.alive:
                return
            self.token = secrets.token_urlsafe(24)
            # The child runs on this process's clock: same speed, same origin (sipdect.clock).
            env = clock.environ({**os.environ, HOST_TOKEN_ENV: self.token})
            command = [sys.executable, "-m", "sipdect.app.cli", "host", *self.names,
                       "--state", str(self.system.config_state()),
                       "--data-dir", str(self.system.data_dir), "--supervised"]
            server = self.system.air_server
            if server is not None:
                command += ["--air", f"{server.host}:{server.port}"]
            self.proc = await asyncio.create_subprocess_exec(
                *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=None,
                start_new_session=True)
            try:
                info = await asyncio.wait_for(self._ready(),
                                              clock.current().virtual(START_TIMEOUT_S))
            except BaseException:
                await self.end(signal.SIGKILL)
                raise
            self.port = int(info["control"])

    async def _ready(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                code = await self.proc.wait()
                raise OSError(f"{self.label} ended before it got ready (exit status {code}); "
                              "its log says why")
            text = line.decode("utf-8", "replace").strip()
            if text.startswith(READY_PREFIX):
                info: dict[str, Any] = json.loads(text[len(READY_PREFIX):])
                return info

    async def end(self, sig: int) -> None:
        """SIGTERM (and wait for a clean end) or SIGKILL the child."""
        proc = self.proc
        await self._close_http()
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            await asyncio.wait_for(proc.wait(), clock.current().virtual(STOP_TIMEOUT_S))
        except TimeoutError:
            log.warning("%s did not stop within %.0f s: killed", self.label, STOP_TIMEOUT_S)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        # A request that raced the signal (a watcher asking while the child died) may have
        # opened a session again: closed here, not left to the garbage collector's warning.
        await self._close_http()

    async def _close_http(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """A call to the child's control API; KeyError or ValueError as it answered."""
        if not self.alive:
            raise ValueError(f"{self.label} is not running")
        url = f"http://127.0.0.1:{self.port}{path}"
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                headers={TOKEN_HEADER: self.token},
                timeout=aiohttp.ClientTimeout(total=clock.current().virtual(START_TIMEOUT_S)))
        async with self._http.request(method, url, json=body) as response:
            data = await response.json()
            if response.status == 404:
                raise KeyError(data.get("error", path))
            if response.status >= 400:
                raise ValueError(data.get("error", f"{method} {path}: {response.status}"))
            return data


class ChildHost(Host):
    """A host that runs in a child process; `inner` is the same host as this process would
    run it, kept for what the config says of it (kind, address, config)."""

    def __init__(self, system: System, inner: Host, child: Child) -> None:
        super().__init__(system, inner.spec, inner.address)
        self.inner = inner
        self.kind = inner.kind
        self.child = child
        self._endpoints: list[Endpoint] = []
        self._watch: asyncio.Task[None] | None = None

    def __getattr__(self, name: str) -> Any:
        # What the config says of the host (cfg, ...) is the inner host's.
        return getattr(self.inner, name)

    async def _start(self) -> None:
        await self.child.ensure()
        body: dict[str, Any] = {}
        if isinstance(self.inner, RfpHost):
            body["air_id"] = self.system.site.reserve_air_id(self)
        info = await self.child.request("POST", f"/hosts/{self.name}/start", body)
        self._endpoints = [Endpoint(**e) for e in info.get("endpoints", [])]
        if self._watch is None or self._watch.done():
            self._watch = asyncio.get_running_loop().create_task(self._watch_exit())

    async def _watch_exit(self) -> None:
        """A child that ends by itself (a crash) takes its hosts down, as a machine dies."""
        proc = self.child.proc
        if proc is None:
            return
        code = await proc.wait()
        if self.child.proc is proc and self.state is HostState.RUNNING:
            log.warning("host %s: its process ended by itself (exit status %s)", self.name,
                        code)
            self.state = HostState.KILLED
            self.started_at = None
            self.system.host_changed(self)

    def endpoints(self) -> list[Endpoint]:
        return list(self._endpoints) if self.running else []

    def set_endpoints(self, endpoints: list[Endpoint]) -> None:
        """What its process said it listens on now."""
        if self.running:
            self._endpoints = endpoints

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["pid"] = self.child.pid if self.running else None
        out["isolation"] = self.spec.isolation
        return out

    async def cut(self, peer: str) -> None:
        await self.child.request("POST", f"/hosts/{self.name}/cut", {"peer": peer})
        self.net.cut(peer)  # mirrored here, for describe()

    async def heal(self, peer: str) -> None:
        await self.child.request("POST", f"/hosts/{self.name}/heal", {"peer": peer})
        self.net.heal(peer)

    async def phone(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The host's phone, worked in its child (GET describe, POST call/answer/...)."""
        return await self.child.request(method, f"/hosts/{self.name}/phone{path}", body)


class ProcessHost(ChildHost):
    """`isolation = "process"`: the only host of its child; kill is SIGKILL."""

    def __init__(self, system: System, inner: Host) -> None:
        super().__init__(system, inner, Child(system, [inner.name], f"host {inner.name}"))

    async def _stop(self) -> None:
        self._endpoints = []
        await self.child.end(signal.SIGTERM)

    async def _kill(self) -> None:
        self._endpoints = []
        await self.child.end(signal.SIGKILL)


class WorkerHost(ChildHost):
    """`isolation = "worker"`: one of the hosts of a shared worker process."""

    async def _stop(self) -> None:
        self._endpoints = []
        if self.child.alive:
            await self.child.request("POST", f"/hosts/{self.name}/stop", {})

    async def _kill(self) -> None:
        self._endpoints = []
        if self.child.alive:
            await self.child.request("POST", f"/hosts/{self.name}/kill", {})


# -- the child's side ----------------------------------------------------------------------------


async def serve_hosts(system: System, names: list[str], *, supervised: bool) -> int:
    """Run hosts `names` of `system` in this process until SIGTERM or Ctrl-C. Alone (not
    supervised) they start at once; supervised, the READY line comes first and the
    supervisor starts each through the control API."""
    hosts = [system.host(name) for name in names]
    await system.begin_capture()
    runner: web.AppRunner | None = None
    port = 0
    if supervised:
        token = os.environ.get(HOST_TOKEN_ENV, "")
        if not token:
            print(f"sipdect host: {HOST_TOKEN_ENV} is not set; --supervised is for the "
                  "supervisor (sipdect up)", file=sys.stderr)
            return 2
        runner = web.AppRunner(_control_app(system, names, token), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    else:
        for host in hosts:
            await host.start()
    info = {"names": names, "pid": os.getpid(), "control": port,
            "endpoints": [e.as_dict() for h in hosts for e in h.endpoints()]}
    print(READY_PREFIX + json.dumps(info), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    orphaned = loop.create_task(_until_orphaned(stop)) if supervised else None
    await stop.wait()
    if orphaned is not None:
        orphaned.cancel()
    if runner is not None:
        await runner.cleanup()
    for host in reversed(hosts):
        await host.stop()
    await system.end_capture()
    return 0


SUPERVISOR_CHECK_S = 1.0
"""How often a supervised child looks whether its supervisor still lives."""


async def _until_orphaned(stop: asyncio.Event) -> None:
    """A supervisor that dies without stopping its children (SIGKILL, a crash) leaves no
    hosts behind: its children see they were handed to another parent and stop."""
    supervisor = os.getppid()
    while os.getppid() == supervisor:
        await asyncio.sleep(SUPERVISOR_CHECK_S)
    log.warning("the supervisor (pid %d) is gone: stopping", supervisor)
    stop.set()


def _control_app(system: System, names: list[str], token: str) -> web.Application:
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
        except (ValueError, RuntimeError, OSError) as exc:
            return web.json_response({"error": str(exc)}, status=409)

    def host_of(request: web.Request) -> Host:
        name = request.match_info["name"]
        if name not in names:
            raise KeyError(f"host {name!r} does not run here")
        return system.host(name)

    async def body(request: web.Request) -> dict[str, Any]:
        data = await request.json() if request.can_read_body else {}
        return data if isinstance(data, dict) else {}

    async def describe(request: web.Request) -> web.Response:
        host = host_of(request)
        return web.json_response({**host.describe(),
                                  "endpoints": [e.as_dict() for e in host.endpoints()]})

    async def action(request: web.Request) -> web.Response:
        host = host_of(request)
        what = request.match_info["action"]
        given = await body(request)
        if what == "start":
            if isinstance(host, RfpHost) and "air_id" in given:
                system.set_air_id(host.name, int(given["air_id"]))
            await host.start()
        elif what == "stop":
            await host.stop()
        elif what == "kill":
            await host.kill()
        elif what == "cut":
            await host.cut(str(given["peer"]))
        elif what == "heal":
            await host.heal(str(given["peer"]))
        else:
            raise KeyError(f"no action {what!r}")
        return web.json_response({**host.describe(),
                                  "endpoints": [e.as_dict() for e in host.endpoints()]})

    async def phone(request: web.Request) -> web.Response:
        return web.json_response(_phone_of(host_of(request)).describe())

    async def phone_action(request: web.Request) -> web.Response:
        service = _phone_of(host_of(request))
        what = request.match_info["action"]
        given = await body(request)
        if what == "call":
            service.call(str(given["number"]))
        elif what == "answer":
            service.answer()
        elif what == "reject":
            service.reject()
        elif what == "hangup":
            service.hang_up()
        else:
            raise KeyError(f"no action {what!r}")
        return web.json_response(service.describe())

    async def phone_hears(request: web.Request) -> web.Response:
        service = _phone_of(host_of(request))
        report = service.hears(float(request.query["tone"]),
                               float(request.query.get("seconds", "0.5")))
        return web.json_response({"present": report.present,
                                  "tone_dbm0": round(report.tone_dbm0, 1),
                                  "total_dbm0": round(report.total_dbm0, 1)})

    app = web.Application(middlewares=[guard])
    app.router.add_get("/hosts/{name}", describe)
    app.router.add_get("/hosts/{name}/phone", phone)
    app.router.add_get("/hosts/{name}/phone/hears", phone_hears)
    app.router.add_post("/hosts/{name}/phone/{action}", phone_action)
    app.router.add_post("/hosts/{name}/{action}", action)
    return app


def _phone_of(host: Host) -> Any:
    if not isinstance(host, PhoneHost) or host.service is None or not host.running:
        raise KeyError(f"host {host.name} is no running phone")
    return host.service


STATE_FILE = "system-config.pickle"
"""In the data directory: the supervisor's parsed config (addresses assigned), which its
children load instead of parsing the TOML again (a config may be built or changed in code:
the library face, the benchmarks). Written 0600; only the supervisor's children read it."""


def write_config_state(cfg: Any, data_dir: Path) -> Path:
    """Save the supervisor's config for its children; its path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / STATE_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        pickle.dump(cfg, out)
    os.replace(tmp, path)
    return path


def read_config_state(path: Path) -> Any:
    """The config a supervisor saved with write_config_state."""
    with path.open("rb") as state:
        return pickle.load(state)  # noqa: S301 - written by our own supervisor, mode 0600
