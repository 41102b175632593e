"""AXI load benchmark (`sipdect bench axi`): requests/s and latency of the emulated OMM.

The server runs in a child process (`python -m sipdect.app.axi_bench serve ...`) so it
has a core of its own; asyncio AXI connections in this process make the load. A
minimal asyncio server that only parses each NUL-terminated frame (axi.md §1) with
lxml and answers with a fixed response is measured the same way: the ceiling.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import re
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from lxml import etree

from sipdect.axi import conventions
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element, render
from sipdect.net import send_at_once

#: Concurrent clients of each measurement; each has one request in flight.
CONCURRENCY = (1, 32)


@dataclass(frozen=True)
class Sizes:
    """How big and how long: the full run and the smoke-test run."""

    users: int
    seconds: float  # per measurement, after a warm-up of a tenth of it
    create_clients: int
    create_in_flight: int  # pipelined CreatePPUser per creating client
    hashes: int  # password hashes and verifications timed


FULL = Sizes(users=20_000, seconds=5.0, create_clients=8, create_in_flight=16, hashes=20)
QUICK = Sizes(users=200, seconds=0.5, create_clients=4, create_in_flight=8, hashes=3)

#: Goals the emulator should meet (a real OMM's provisioning tools sync whole directories).
CREATE_GOAL_S = 60.0
PING_RATIO_GOAL = 0.5
#: Every Open verifies one salted scrypt hash (sipdect.accounts): a login must not wait for it.
HASH_GOAL_MS = 100.0

#: The same glibc malloc settings for every server process. asyncio reads into fresh
#: 256 KiB buffers; below glibc's default 128 KiB mmap threshold each read can map and
#: fault in new pages, which made one and the same server 3x slower depending on
#: whatever it had allocated before. Fixed thresholds make the runs comparable.
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=1048576:glibc.malloc.trim_threshold=4194304"


# -- the servers, each in a child process ---------------------------------------------------------

class _CeilingProtocol(asyncio.Protocol):
    """Parses each frame with lxml and answers `<{name}Resp seq=.../>`: no model, no session."""

    _parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

    def __init__(self) -> None:
        self._buf = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        send_at_once(transport)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buf += data
        while (end := self._buf.find(b"\0")) >= 0:
            raw, self._buf = self._buf[:end], self._buf[end + 1:]
            root = etree.fromstring(raw, self._parser)
            seq = root.get("seq")
            answer = f'<{root.tag}Resp seq="{seq}"/>' if seq is not None else f"<{root.tag}Resp/>"
            self._transport.write(answer.encode() + b"\0")


async def _serve_ceiling(directory: Path) -> dict[str, Any]:
    from sipdect import tls

    cert, key = tls.ensure_certificate(directory, "sipdect bench", ("localhost", "127.0.0.1"))
    ctx = tls.server_context(cert, key, tls.DEFAULT_LEVEL)
    loop = asyncio.get_running_loop()
    plain = await loop.create_server(_CeilingProtocol, "127.0.0.1", 0)
    secure = await loop.create_server(_CeilingProtocol, "127.0.0.1", 0, ssl=ctx)
    return {"host": "127.0.0.1", "port": plain.sockets[0].getsockname()[1],
            "tls_port": secure.sockets[0].getsockname()[1]}


async def _serve(kind: str, users: int) -> None:
    """Child process: print where the server listens as one JSON line, serve until stdin ends."""
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="sipdect-bench-") as tmp:
        if kind == "ceiling":
            where = await _serve_ceiling(Path(tmp))
            print(json.dumps(where), flush=True)
            await loop.run_in_executor(None, sys.stdin.buffer.read)
            return
        from sipdect.app.emulator import Emulator

        async with Emulator(data_dir=Path(tmp)) as emu:
            omm = emu.omm
            # A real OMM on Linux holds 10,000 users (features.md §1); the benchmark
            # stores more, so it lifts the capacity of its own OMM.
            omm.model.users.capacity = max(omm.model.users.capacity, users)
            print(json.dumps({"host": omm.host, "port": omm.port, "tls_port": omm.tls_port,
                              "username": omm.username, "password": omm.password}), flush=True)
            await loop.run_in_executor(None, sys.stdin.buffer.read)


class ServerProcess:
    """A server child process; stops when its stdin is closed."""

    def __init__(self, kind: str, users: int = 0) -> None:
        env = dict(os.environ)
        env["GLIBC_TUNABLES"] = ":".join(t for t in (env.get("GLIBC_TUNABLES"),
                                                     MALLOC_TUNABLES) if t)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sipdect.app.axi_bench", "serve", kind, str(users)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=30)
            raise RuntimeError(f"the {kind} server process exited with {self.proc.returncode}")
        self.where: dict[str, Any] = json.loads(line)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server so far (Linux /proc), None elsewhere."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- load -----------------------------------------------------------------------------------------

_SEQ_RE = re.compile(rb' seq="(\d+)"')


class _Link(asyncio.BufferedProtocol):
    """One AXI connection of the load generator: pre-rendered requests, answers matched by
    seq with a byte search. AxiClient parses every answer with lxml, which costs this
    process more than the server spends on a Ping: the load must be cheaper than the
    work it measures. Reading into one buffer also keeps malloc out of the picture."""

    def __init__(self) -> None:
        self._in = bytearray(65536)
        self._buf = b""
        self._pending: dict[bytes, asyncio.Future[bytes]] = {}
        self._seq = 0
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return memoryview(self._in)

    def buffer_updated(self, nbytes: int) -> None:
        *frames, self._buf = (self._buf + self._in[:nbytes]).split(b"\0")
        for raw in frames:
            m = _SEQ_RE.search(raw)
            fut = self._pending.pop(m.group(1), None) if m else None
            if fut is not None and not fut.done():
                fut.set_result(raw)

    def connection_lost(self, exc: Exception | None) -> None:
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(ConnectionError("AXI connection closed"))
        self._pending.clear()

    async def request(self, body: bytes) -> bytes:
        """Send `<{body} seq=N/>` (body: name and attributes) and return the answer."""
        assert self._transport is not None
        self._seq += 1
        key = str(self._seq).encode()
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[key] = fut
        self._transport.write(b"<" + body + b' seq="' + key + b'"/>\0')
        return await fut

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _body(name: str, attrs: dict[str, object]) -> bytes:
    """What _Link.request sends between '<' and ' seq=...': the name, escaped attributes."""
    return render(element(name, attrs))[1:-2]


def _failed(answer: bytes) -> bool:
    """errCode on the answer's root element."""
    return answer.find(b' errCode="', 0, answer.find(b">")) >= 0


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def _measure(server: ServerProcess, links: list[_Link], seconds: float,
                   bodies: list[bytes]) -> dict[str, Any]:
    """Every link sends requests from `bodies` back to back for `seconds` after a warm-up."""
    latencies: list[float] = []
    errors = 0
    recording = False
    stop = False

    async def loop(link: _Link, rng: random.Random) -> None:
        nonlocal errors
        while not stop:
            body = bodies[rng.randrange(len(bodies))]
            t0 = time.perf_counter()
            answer = await link.request(body)
            if recording:
                latencies.append(time.perf_counter() - t0)
                errors += _failed(answer)

    tasks = [asyncio.create_task(loop(link, random.Random(i))) for i, link in enumerate(links)]
    await asyncio.sleep(seconds / 10)
    cpu0, cpu_client0 = server.cpu_seconds(), time.process_time()
    t0 = time.perf_counter()
    recording = True
    await asyncio.sleep(seconds)
    recording = False
    elapsed = time.perf_counter() - t0
    cpu1, cpu_client1 = server.cpu_seconds(), time.process_time()
    stop = True
    await asyncio.gather(*tasks)
    latencies.sort()
    return {
        "clients": len(links),
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 3),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 3),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 3),
        # Share of one core each side used: near 1.0 on the server means it is the limit.
        "server_cpu": None if cpu0 is None or cpu1 is None else round((cpu1 - cpu0) / elapsed, 2),
        "client_cpu": round((cpu_client1 - cpu_client0) / elapsed, 2),
    }


def _tls_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the emulator's certificate is self-signed
    return ctx


async def _links(where: dict[str, Any], tls: bool, n: int, login: bool) -> list[_Link]:
    loop = asyncio.get_running_loop()
    ctx = _tls_context() if tls else None
    port = where["tls_port"] if tls else where["port"]
    open_ = _body("Open", {"username": where.get("username"), "password": where.get("password")})

    # The OMM admits only so many connections from one address before they log in.
    waves = asyncio.Semaphore(conventions.PRE_LOGIN_PER_SOURCE)

    async def one() -> _Link:
        async with waves:
            _, link = await loop.create_connection(_Link, where["host"], port, ssl=ctx)
            if login and _failed(await link.request(open_)):
                raise RuntimeError("the benchmark cannot log in to the emulated OMM")
        return link

    return list(await asyncio.gather(*(one() for _ in range(n))))


PING = [_body("Ping", {})]


async def _create_users(server: ServerProcess, sizes: Sizes) -> dict[str, Any]:
    """CreatePPUser for sizes.users users, pipelined from several AxiClients (axi.md §1)."""
    where = server.where
    clients = []
    for _ in range(sizes.create_clients):
        client = await AxiClient.connect(where["host"], where["port"])
        await client.login(where["username"], where["password"])
        clients.append(client)
    numbers = iter(range(sizes.users))
    failed: list[str] = []

    async def worker(client: AxiClient) -> None:
        for i in numbers:
            user = element("user", {"name": f"Bench User {i}", "num": str(100000 + i),
                                    "addId": str(100000 + i), "hierarchy1": "bench"})
            resp = await client.request("CreatePPUser", children=[user], check=False)
            if "errCode" in resp.attrs:
                failed.append(resp.attrs["errCode"])

    t0, cpu0, server0 = time.perf_counter(), time.process_time(), server.cpu_seconds()
    await asyncio.gather(*(worker(c) for c in clients for _ in range(sizes.create_in_flight)))
    elapsed, client_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    server1 = server.cpu_seconds()
    await asyncio.gather(*(c.close() for c in clients))
    goal = CREATE_GOAL_S * sizes.users / FULL.users  # 60 s for 20,000, pro rata when quick
    return {"users": sizes.users, "clients": sizes.create_clients,
            "in_flight_per_client": sizes.create_in_flight, "seconds": round(elapsed, 2),
            "users_per_s": round(sizes.users / elapsed, 1), "errors": len(failed),
            "goal_seconds": round(goal, 2), "meets_goal": not failed and elapsed < goal,
            "server_cpu": None if server0 is None or server1 is None
            else round((server1 - server0) / elapsed, 2),
            "client_cpu": round(client_cpu / elapsed, 2)}


async def _run_emulator(server: ServerProcess, sizes: Sizes) -> dict[str, Any]:
    where = server.where
    out: dict[str, Any] = {"create_users": await _create_users(server, sizes)}

    get_user = [_body("GetPPUser", {"uid": uid}) for uid in range(1, sizes.users + 1)]
    for transport in ("plain", "tls"):
        links = await _links(where, transport == "tls", max(CONCURRENCY), login=True)
        out[transport] = {name: {f"clients_{n}": await _measure(server, links[:n],
                                                                sizes.seconds, bodies)
                                 for n in CONCURRENCY}
                          for name, bodies in (("ping", PING), ("get_user", get_user))}
        for link in links:
            link.close()
    return out


async def _run_ceiling(server: ServerProcess, sizes: Sizes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for transport in ("plain", "tls"):
        links = await _links(server.where, transport == "tls", max(CONCURRENCY), login=False)
        out[transport] = {"ping": {f"clients_{n}": await _measure(server, links[:n],
                                                                  sizes.seconds, PING)
                                   for n in CONCURRENCY}}
        for link in links:
            link.close()
    return out


def _password_hashing(sizes: Sizes) -> dict[str, Any]:
    """Milliseconds one hash_password and one verify_password take (what an Open costs the
    OMM before it answers), slowest and median of `sizes.hashes` runs each."""
    from sipdect import accounts

    password = "Bench-Login-2026"
    hash_ms, verify_ms = [], []
    for _ in range(sizes.hashes):
        t0 = time.perf_counter()
        stored = accounts.hash_password(password)
        t1 = time.perf_counter()
        ok = accounts.verify_password(password, stored)
        t2 = time.perf_counter()
        if not ok:
            raise RuntimeError("a password does not verify against its own hash")
        hash_ms.append((t1 - t0) * 1000)
        verify_ms.append((t2 - t1) * 1000)
    hash_ms.sort()
    verify_ms.sort()
    hash_p50, verify_p50 = _percentile(hash_ms, 0.5), _percentile(verify_ms, 0.5)
    return {"hashes": sizes.hashes, "scrypt_n": accounts.SCRYPT_N,
            "hash_p50_ms": round(hash_p50, 2), "hash_max_ms": round(hash_ms[-1], 2),
            "verify_p50_ms": round(verify_p50, 2), "verify_max_ms": round(verify_ms[-1], 2),
            "goal_ms": HASH_GOAL_MS, "meets_goal": max(hash_p50, verify_p50) < HASH_GOAL_MS}


def _measured(kind: str, sizes: Sizes,
              body: Callable[[ServerProcess, Sizes], Coroutine[Any, Any, dict[str, Any]]]
              ) -> dict[str, Any]:
    # No CPU pinning: on the 2-vCPU VMs this was written on, pinning the two processes
    # to separate cores added 4-10 ms wake-up stalls; the scheduler alone spreads them.
    server = ServerProcess(kind, sizes.users)
    try:
        return asyncio.run(body(server, sizes))
    finally:
        server.stop()


def run(quick: bool = False) -> dict[str, Any]:
    """Measure the emulator and the ceiling; one JSON-serialisable dict."""
    sizes = QUICK if quick else FULL
    emulator = _measured("emulator", sizes, _run_emulator)
    ceiling = _measured("ceiling", sizes, _run_ceiling)
    ratio = {transport: {
        key: round(emulator[transport]["ping"][key]["requests_per_s"]
                   / ceiling[transport]["ping"][key]["requests_per_s"], 3)
        for key in ceiling[transport]["ping"]} for transport in ("plain", "tls")}
    return {
        "quick": quick,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "users": sizes.users,
        "seconds_per_measurement": sizes.seconds,
        "create_users": emulator.pop("create_users"),
        "password_hashing": _password_hashing(sizes),
        "emulator": emulator,
        "ceiling": ceiling,
        "ping_ratio_emulator_to_ceiling": ratio,
        "ping_ratio_goal": PING_RATIO_GOAL,
        "meets_ping_ratio_goal": all(r >= PING_RATIO_GOAL
                                     for per in ratio.values() for r in per.values()),
    }


def _main(argv: list[str], out: TextIO) -> int:
    if len(argv) == 3 and argv[0] == "serve" and argv[1] in ("emulator", "ceiling"):
        asyncio.run(_serve(argv[1], int(argv[2])))
        return 0
    if argv in ([], ["--quick"]):
        json.dump(run(quick=bool(argv)), out, indent=2)
        out.write("\n")
        return 0
    print("usage: python -m sipdect.app.axi_bench [--quick] | serve {emulator,ceiling} USERS",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:], sys.stdout))
