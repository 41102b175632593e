"""`sipdect bench eventmgr`: ESPA calls per second from input to handset display, and the
latency from the ESPA data block to the message shown on the handset (p50/p99), at 1 and at 50
concurrent alarms (issue 15, "Benchmark"; docs/eventmgr.md).

The system is configs/alarm.toml in this process (the library face, free ports): a control
equipment (sipdect.espa.edge.ControlClient) over TCP to the Event Manager, whose rules send
calls to 201 to Alice and to 202 to Bob; the Event Manager sends each over AXI (TLS) to the
OMM, which delivers it over DECT to the handset. A block's clock starts when it is handed to
the link (the control equipment's select follows at once), and stops when the handset holds
the message (its `messages`, looked at every POLL_S).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sipdect import clock
from sipdect.app.config import SystemConfig, load_config

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "alarm.toml"
POLL_S = 0.002
"""How often the handsets are looked at (the latency's resolution)."""
TIMEOUT_S = 120.0


def _config() -> SystemConfig:
    from eventmgr.rules import Rule

    cfg = load_config(CONFIG)
    em = cfg.eventmgrs[0].em
    em.traps = []
    em.rules = [Rule("Alice", match="201", steps=(("201",),), escalate_after=3600.0),
                Rule("Bob", match="202", steps=(("202",),), escalate_after=3600.0)]
    return cfg


async def _bench(quick: bool) -> dict[str, Any]:
    from sipdect.app.emulator import Emulator
    from sipdect.espa.codec import call
    from sipdect.espa.edge import ControlClient, connect_tcp
    from sipdect.waiting import until

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="sipdect-em-bench-") as tmp:
        async with Emulator(_config(), Path(tmp)) as emu:
            system = emu.system
            assert system is not None and system.site.world is not None
            world = system.site.world
            host: Any = system.hosts["EventManager"]
            handsets = {"201": world.find("Alice").handset, "202": world.find("Bob").handset}

            async def ready() -> bool:
                return host.service.omm_state == "connected" and all(
                    h.location.value == "registered" for h in handsets.values())

            ok: bool = await until(ready, "the Event Manager logged in, the handsets registered",
                                   timeout=60)
            assert ok
            endpoint = next(e for e in host.endpoints() if e.protocol == "espa")
            nurse = ControlClient.new("bench")
            await connect_tcp(nurse.link, endpoint.host, endpoint.port)
            serial = 0
            for concurrent, rounds in ((1, 20 if quick else 100), (50, 1 if quick else 4)):
                latencies: list[float] = []
                started = time.perf_counter()
                for _ in range(rounds):
                    sent: dict[str, tuple[str, float]] = {}
                    for i in range(concurrent):
                        serial += 1
                        text = f"bench {serial}"
                        number = "201" if i % 2 == 0 else "202"
                        sent[text] = (number, time.perf_counter())
                        nurse.send(call(number, text, priority=1))
                    waiting = dict(sent)
                    deadline = time.perf_counter() + TIMEOUT_S
                    while waiting and time.perf_counter() < deadline:
                        for text, (number, t0) in list(waiting.items()):
                            if any(m.text == text for m in handsets[number].messages[-60:]):
                                latencies.append(time.perf_counter() - t0)
                                del waiting[text]
                        if waiting:
                            await asyncio.sleep(POLL_S)
                    if waiting:
                        out[f"concurrent_{concurrent}_lost"] = len(waiting)
                elapsed = time.perf_counter() - started
                latencies.sort()
                out[f"concurrent_{concurrent}"] = {
                    "alarms": len(latencies),
                    "calls_per_s": round(len(latencies) / elapsed, 1),
                    "p50_ms": round(1000 * statistics.median(latencies), 1),
                    "p99_ms": round(1000 * latencies[min(len(latencies) - 1,
                                                         int(len(latencies) * 0.99))], 1),
                }
            nurse.link.close()
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return out


def run(quick: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = clock.run(_bench(quick))
    return result
