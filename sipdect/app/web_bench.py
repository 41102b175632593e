"""`sipdect bench web`: how fast the OMM's web UI serves its pages (issue 14), and the live
map's figures.

Pages: an OMM (the default system's, alone) in a child process of its own holds 20,000 users
(10,000 is a real OMM's most, features.md §1: the bench lifts its own OMM's capacity, as
`sipdect bench axi` does) written through the model in one transaction; this process is an
HTTPS client logged in as `omm` (aiohttp, as a browser's session: cookie, TLS, keep-alive). Per
page and concurrency (1 and 8 requests in flight) it fetches the page for a fixed time and
reports pages per second and the latency p50/p99 of a whole answer. Pages: the status page,
the users list's first page, a page in the middle, and a search that matches 11 users (one
comparison per user of the search index). The Event Manager's status page is measured the same
way, against an Event Manager alone in the same child (its web UI on the kit platform as well).

Map: the supervisor's live map is measured by its own benchmark, sipdect.app.map.bench.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

USERS = 20_000
EVENTMGR_PASSWORD = "Bench-Desk-2026"
"""The benchmark Event Manager's admin password (set before the client logs in)."""
QUICK_USERS = 2_000


@dataclass(frozen=True)
class Sizes:
    users: int
    seconds: float
    """How long each page is fetched at each concurrency."""


FULL = Sizes(USERS, 5.0)
QUICK = Sizes(QUICK_USERS, 1.0)
CONCURRENCY = (1, 8)


EVENTMGR_PAGES = {"status": "/"}
"""The Event Manager's measured pages."""


def pages(users: int) -> dict[str, str]:
    """Name -> path of each measured page."""
    middle = max(1, users // 50 // 2)
    return {"status": "/", "users": "/users", "users_middle": f"/users?page={middle}",
            "users_search": "/users?q=User+1234"}


# -- the OMM: a child process --------------------------------------------------------------------

def fill(model: Any, users: int) -> float:
    """`users` users through the model in one transaction; the seconds it took."""
    began = time.perf_counter()
    model.users.capacity = max(model.users.capacity, users)
    with model.store.transaction():
        for i in range(1, users + 1):
            model.users.create({"num": str(100000 + i), "name": f"User {i}",
                                "sipAuthId": f"u{i}"})
    return time.perf_counter() - began


async def _serve(users: int) -> None:
    """Child: an OMM with `users` users; print where its web UI is as one JSON line, serve
    until stdin ends."""
    from sipdect.app.emulator import Emulator

    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="sipdect-bench-web-") as tmp:
        async with Emulator(data_dir=Path(tmp)) as emu:
            omm = emu.omm
            took = fill(omm.model, users)
            em = await _eventmgr(Path(tmp) / "eventmgr")
            try:
                assert em.web is not None
                print(json.dumps({"url": omm.web_url.rstrip("/"), "username": omm.username,
                                  "password": omm.password, "fill_s": round(took, 2),
                                  "eventmgr": {"url": em.web.url.rstrip("/"),
                                               "username": "admin",
                                               "password": EVENTMGR_PASSWORD}}),
                      flush=True)
                await loop.run_in_executor(None, sys.stdin.buffer.read)
            finally:
                await em.stop()


async def _eventmgr(data_dir: Path) -> Any:
    """An Event Manager alone (no OMM, no ESPA), its web UI on free ports, admin's password
    changed."""
    from eventmgr import conventions as c
    from eventmgr.config import EventMgrConfig
    from eventmgr.service import EventMgrService
    from eventmgr.web.backend import EventMgrWebBackend

    em = EventMgrService(EventMgrConfig(host="127.0.0.1", espa_port=None, web_port=0,
                                        web_tls_port=0), data_dir)
    await em.start()
    assert em.web is not None and em.accounts is not None
    backend = em.web.site.backend
    admin = em.accounts.by_username(c.ADMIN)
    assert isinstance(backend, EventMgrWebBackend) and admin is not None
    await backend.set_password(admin.id, EVENTMGR_PASSWORD)
    return em


class OmmProcess:
    """The OMM child; stops when its stdin is closed."""

    def __init__(self, users: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sipdect.app.web_bench", "serve", str(users)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("the benchmark's OMM did not start (see its output above)")
        self.where: dict[str, Any] = json.loads(line)

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- the client ------------------------------------------------------------------------------------

async def _logged_in(where: dict[str, Any]) -> Any:
    import aiohttp

    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                 connector=aiohttp.TCPConnector(ssl=False, limit=0))
    base = where["url"]
    async with http.get(base + "/login") as r:
        text = await r.text()
    marker = 'name="csrf-token" content="'
    start = text.index(marker) + len(marker)
    token = text[start:text.index('"', start)]
    async with http.post(base + "/login", data={"username": where["username"],
                                                "password": where["password"],
                                                "csrf_token": token}) as r:
        if r.status != 200 or r.url.path == "/login":
            await http.close()
            raise RuntimeError(f"the benchmark could not log in: {r.status} {r.url}")
    return http


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


async def _measure(http: Any, url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    """Fetch `url` with `concurrency` requests in flight for `seconds`."""
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal failures
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            async with http.get(url) as r:
                await r.read()
                if r.status != 200:
                    failures += 1
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {"pages_per_s": round(len(latencies) / elapsed, 1), "pages": len(latencies),
            "p50_ms": _ms(latencies, 0.5), "p99_ms": _ms(latencies, 0.99),
            "failures": failures}


async def _pages(where: dict[str, Any], sizes: Sizes, paths: dict[str, str]
                 ) -> dict[str, Any]:
    http = await _logged_in(where)
    try:
        out: dict[str, Any] = {}
        for name, path in paths.items():
            url = where["url"] + path
            await _measure(http, url, 1, min(0.5, sizes.seconds))  # warm up
            out[name] = {f"concurrency_{c}": await _measure(http, url, c, sizes.seconds)
                         for c in CONCURRENCY}
        return out
    finally:
        await http.close()


async def _all(where: dict[str, Any], sizes: Sizes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The OMM's pages, then the Event Manager's status page."""
    omm = await _pages(where, sizes, pages(sizes.users))
    return omm, await _pages(where["eventmgr"], sizes, EVENTMGR_PAGES)


def _map(quick: bool) -> dict[str, Any]:
    """The live map's figures (sipdect.app.map.bench): update latency from a handset move to
    the browser's canvas, p50/p99, and the frame rate with every handset walking."""
    from sipdect.app.map import bench as map_bench

    return map_bench.run(quick=quick)


def run(quick: bool = False) -> dict[str, Any]:
    """The pages' figures and the map's; one JSON-serialisable dict."""
    sizes = QUICK if quick else FULL
    omm = OmmProcess(sizes.users)
    try:
        figures, eventmgr = asyncio.run(_all(omm.where, sizes))
    finally:
        omm.stop()
    return {
        "quick": quick, "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "users": sizes.users, "fill_users_s": omm.where["fill_s"],
        "seconds_per_measurement": sizes.seconds,
        "pages": figures,
        "eventmgr_pages": eventmgr,
        "map": _map(quick),
    }


def _main(argv: list[str], out: TextIO) -> int:
    if len(argv) == 2 and argv[0] == "serve":
        asyncio.run(_serve(int(argv[1])))
        return 0
    if argv in ([], ["--quick"]):
        json.dump(run(quick=bool(argv)), out, indent=2)
        out.write("\n")
        return 0
    print("usage: python -m sipdect.app.web_bench [--quick]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:], sys.stdout))
