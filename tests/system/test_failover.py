"""The standby pair as a trainer and QA engineer see it (issue 11): two OMMs in processes of
their own, two RFPs, two handsets with users, the embedded call server. Kill the active OMM
during a call (the call ends; the standby takes over; the RFPs, handsets and registrations
follow; the handsets call again), a change immediately followed by the kill, an AXI client
(mitel-ommclient2) that reconnects to the new active, the old active coming back as standby,
split brain with and without the call server, and a pair whose versions differ.

Every wait is for something a user observes (the control API's hosts, RFPs and handsets, AXI
answers, the call server's registrations, the event logs) with the shared deadline.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mitel_ommclient2 as m2
import pytest

from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.waiting import until
from tests.system.site_helpers import Control

pytestmark = [pytest.mark.slow,
              # mitel-ommclient2's receive thread trips over its own closed socket.
              pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")]

PASSWORD = "Sipdect-Omm-2026"
ALICE, BOB = "03074 0220259 3", "00077 0010001 6"


def pair_config(*, isolation: str = "process", b_extra: str = "") -> str:
    """OMM-A and OMM-B as a pair (short timers), RFPs R1 and R2, Alice (201) near R1 and Bob
    (202) near R2, the call server."""
    return f"""
[system]
name = "failover-test"

[[omm]]
name = "OMM-A"
isolation = "{isolation}"
rfp_heartbeat = 1
[[omm.accounts]]
username = "omm"
password = "{PASSWORD}"
[omm.settings.DECTSubscriptionMode]
mode = "Configured"
[omm.settings.DECTAuthCode]
ac = "31415"
[omm.standby]
heartbeat = 0.5
silence = 2.0
pbx_timeout = 3.0

[[omm]]
name = "OMM-B"
isolation = "{isolation}"
standby_of = "OMM-A"
{b_extra}

[[rfp]]
mac = "00:30:42:30:00:01"
name = "R1"
x = 0
y = 0
preferred_sync = true

[[rfp]]
mac = "00:30:42:30:00:02"
name = "R2"
x = 30
y = 0

[pbx]
enabled = true
name = "pbx"

[[user]]
number = "201"
name = "Alice"
sip_password = "Sipdect-Sip-201"
handset = "{ALICE}"

[[user]]
number = "202"
name = "Bob"
sip_password = "Sipdect-Sip-202"
handset = "{BOB}"

[[handset]]
ipei = "{ALICE}"
x = 2
y = 1

[[handset]]
ipei = "{BOB}"
x = 28
y = 1
"""


@dataclass
class Pair:
    emu: Emulator
    control: Control

    async def role(self, name: str) -> str | None:
        assert self.emu.system is not None
        return await self.emu.system.omm_role(name)

    async def host(self, name: str) -> dict[str, Any]:
        return (await self.control.hosts())[name]

    async def axi(self, name: str) -> AxiClient:
        assert self.emu.system is not None
        host = self.emu.system.omm_hosts()
        omm = next(h for h in host if h.name == name)
        client = await AxiClient.connect(omm.address, omm.port("axi"))
        await client.login("omm", PASSWORD)
        return client

    async def rfps_on(self, name: str) -> bool:
        """Both RFPs linked to OMM `name`."""
        assert self.emu.system is not None
        address = next(h.address for h in self.emu.system.omm_hosts() if h.name == name)
        rfps = await self.control.rfps()
        return len(rfps) == 2 and all(
            r.get("linked") and str(r.get("omm_address")).startswith(f"{address}:")
            for r in rfps)

    async def attached(self) -> bool:
        handsets = await self.control.handsets()
        return len(handsets) == 2 and all(h["location"] == "registered" and h.get("rfp_host")
                                          for h in handsets)

    async def registered_from(self, name: str) -> bool:
        """Both users' SIP registrations at the call server come from OMM `name`."""
        assert self.emu.system is not None
        address = next(h.address for h in self.emu.system.omm_hosts() if h.name == name)
        regs = (await self.control.pbx())["registrations"]
        users = {r["user"] for r in regs if f":{address}:" in str(r.get("source"))}
        return {"201", "202"} <= users

    async def log_of(self, name: str) -> list[str]:
        client = await self.axi(name)
        try:
            resp = await client.request("GetEventLogBuffer", {"startId": 0, "maxRecords": 200})
            return [c.attrs.get("msg", "") for c in resp.children]
        finally:
            await client.close()


async def _start(tmp_path: Path, config: str) -> AsyncIterator[Pair]:
    async with Emulator(config, tmp_path) as emu:
        assert emu.system is not None
        async with Control.of(emu.system) as control:
            pair = Pair(emu, control)
            await until(lambda: pair.role("OMM-A"), "OMM-A to run")
            yield pair


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[Pair]:
    async for p in _start(tmp_path, pair_config()):
        await until(pair_ready(p), "A active, B standby, RFPs, handsets and users up")
        yield p


def pair_ready(p: Pair, active: str = "OMM-A") -> Callable[[], Any]:
    async def ready() -> bool:
        return (await p.role(active) == "active" and await p.rfps_on(active)
                and await p.attached() and await p.registered_from(active))
    return ready


async def _call(p: Pair, ids: dict[str, int]) -> None:
    await p.control.dial(ids[ALICE], "202")
    await until(lambda: _state(p, ids[BOB], "incoming"), "Bob's handset rings")
    await p.control.answer(ids[BOB])
    await until(lambda: _state(p, ids[ALICE], "connected"), "the call is connected")


async def _state(p: Pair, handset_id: int, state: str) -> bool:
    return await p.control.call_state(handset_id) == state


async def _ids(p: Pair) -> dict[str, int]:
    return {h["ipei"]: h["id"] for h in await p.control.handsets()}


async def test_killing_the_active_during_a_call_moves_everything_to_the_standby(
        pair: Pair) -> None:
    assert await pair.role("OMM-B") == "standby"
    ids = await _ids(pair)
    await _call(pair, ids)
    await pair.control.host("OMM-A", "kill")
    # The call is lost with the OMM that held it; the standby takes over.
    await until(lambda: _state(pair, ids[ALICE], "idle"), "Alice's call ended")
    await until(pair_ready(pair, "OMM-B"), "B active with the RFPs, handsets and users")
    info = await pair.host("OMM-B")
    assert info["ommStbState"] == "NotSynchronized"  # "No Standby" until A is back
    await _call(pair, ids)  # through the new active
    texts = await pair.log_of("OMM-B")
    assert any("Unsynchronised Active" in t for t in texts), texts


async def test_a_change_then_the_kill_the_standby_has_it_and_a_client_sees_it(
        pair: Pair) -> None:
    client = await pair.axi("OMM-A")
    await client.request("CreatePPUser", children=[element("user", {"num": "4711",
                                                                     "name": "Last change"})])
    await pair.control.host("OMM-A", "kill")  # at once after the answer
    await client.close()
    await until(lambda: _is(pair.role("OMM-B"), "active"), "B active")
    assert pair.emu.system is not None
    b = next(h for h in pair.emu.system.omm_hosts() if h.name == "OMM-B")

    def reconnect() -> list[str]:
        c = m2.OMMClient2(b.address, "omm", PASSWORD, port=b.port("axi"))
        try:
            return sorted(u.num for u in c.get_users())
        finally:
            c.connection.close()

    numbers = await asyncio.get_running_loop().run_in_executor(None, _bounded(reconnect))
    assert numbers == ["201", "202", "4711"]


async def test_the_old_active_comes_back_as_standby_and_resynchronises(pair: Pair) -> None:
    await pair.control.host("OMM-A", "kill")
    await until(lambda: _is(pair.role("OMM-B"), "active"), "B active")
    client = await pair.axi("OMM-B")
    try:
        await client.request("CreatePPUser", children=[element("user", {"num": "4712",
                                                                         "name": "While A down"})])
    finally:
        await client.close()
    await pair.control.host("OMM-A", "start")
    await until(lambda: _both(pair, "OK"), "the pair whole again")
    assert await pair.role("OMM-A") == "standby" and await pair.role("OMM-B") == "active"
    # A has B's copy: kill B and A serves the user created while it was down.
    await pair.control.host("OMM-B", "kill")
    await until(lambda: _is(pair.role("OMM-A"), "active"), "A active again")
    client = await pair.axi("OMM-A")
    try:
        resp = await client.request("GetPPUserByNumber", {"num": "4712"})
        assert resp.children[0].attrs["name"] == "While A down"
    finally:
        await client.close()


async def test_split_brain_with_the_pbx_reachable_then_the_longer_running_one_wins(
        pair: Pair) -> None:
    # The two booted side by side: restart B, so that A has surely run longer.
    await pair.control.host("OMM-B", "kill")
    await pair.control.host("OMM-B", "start")
    await until(lambda: _both(pair, "OK"), "the pair whole again")
    await pair.control.link("cut", "OMM-A", "OMM-B")
    await pair.control.link("cut", "OMM-A", "R2")
    await pair.control.host("R2", "kill")  # R2 boots again and finds only B
    await pair.control.host("R2", "start")
    await until(lambda: _is(pair.role("OMM-B"), "active"), "B active as well")
    assert await pair.role("OMM-A") == "active"

    async def r2_on_b() -> bool:
        assert pair.emu.system is not None
        b = next(h.address for h in pair.emu.system.omm_hosts() if h.name == "OMM-B")
        rfps = {r["host"]: r for r in await pair.control.rfps()}
        return bool(rfps["R2"].get("linked")) and str(rfps["R2"]["omm_address"]).startswith(
            f"{b}:")
    await until(r2_on_b, "R2 linked to B")
    a, b = await pair.axi("OMM-A"), await pair.axi("OMM-B")
    try:  # two air interfaces of one PARK
        parks = [(await c.request("GetPARK")).attrs["park"] for c in (a, b)]
        assert parks[0] == parks[1]
        await b.request("CreatePPUser", children=[element("user", {"num": "4713",
                                                                    "name": "Lost"})])
    finally:
        await a.close()
        await b.close()
    await pair.control.link("heal", "OMM-A", "OMM-B")
    await pair.control.link("heal", "OMM-A", "R2")
    # A has run longer: it stays active, B resets, comes back standby and takes A's copy.
    await until(lambda: _both(pair, "OK"), "the pair whole again")
    assert await pair.role("OMM-A") == "active" and await pair.role("OMM-B") == "standby"
    info = await pair.host("OMM-B")
    assert info["resets"] == 1
    await until(lambda: pair.rfps_on("OMM-A"), "both RFPs back on A")
    client = await pair.axi("OMM-A")
    try:
        resp = await client.request("GetPPUserByNumber", {"num": "4713"}, check=False)
        assert resp.attrs.get("errCode") == "ENoEnt"  # B's change while apart is lost
    finally:
        await client.close()


async def test_split_brain_without_the_pbx_the_standby_stays_standby(pair: Pair) -> None:
    # A probe at start-up may have failed already on a loaded machine: count from here.
    failed_before = (await pair.host("OMM-B")).get("pbx_probes_failed", 0)
    await pair.control.link("cut", "OMM-B", "pbx")
    await pair.control.link("cut", "OMM-A", "OMM-B")

    async def probe_failed() -> bool:
        info = await pair.host("OMM-B")
        return info.get("pbx_probes_failed", 0) > failed_before \
            and info.get("ommStbState") == "NotSynchronized"
    await until(probe_failed, "B's PBX probe to fail")
    assert await pair.role("OMM-B") == "standby"
    assert await pair.role("OMM-A") == "active"
    assert (await pair.host("OMM-B"))["ommStbState"] == "NotSynchronized"


async def test_a_partner_of_another_version_reports_it_and_gets_nothing(tmp_path: Path) -> None:
    config = pair_config(isolation="none", b_extra='[omm.standby]\nversion = "8.0SP2"\n')
    async for p in _start(tmp_path, config):
        await until(lambda p=p: _both(p, "DifferentOMMVersions"), "both report the mismatch")
        assert await p.role("OMM-A") == "active" and await p.role("OMM-B") == "standby"
        client = await p.axi("OMM-A")
        try:
            assert (await client.request("GetStbState")).attrs["ommStbState"] == \
                "DifferentOMMVersions"
            await client.request("CreatePPUser", children=[element("user", {"num": "4714"})])
        finally:
            await client.close()
        assert p.emu.system is not None
        b = next(h for h in p.emu.system.omm_hosts() if h.name == "OMM-B")
        assert not any('"4714"' in v for _, v in b.model.store.rows("users"))


async def _is(value: Any, expected: str) -> bool:
    return await value == expected


async def _both(p: Pair, state: str) -> bool:
    hosts = await p.control.hosts()
    return all(hosts[n].get("ommStbState") == state for n in ("OMM-A", "OMM-B"))


def _bounded(fn: Callable[[], Any], seconds: float = 20.0) -> Callable[[], Any]:
    """mitel-ommclient2 blocks forever when it chokes: a failure instead."""
    def run() -> Any:
        pool = concurrent.futures.ThreadPoolExecutor(1)
        try:
            return pool.submit(fn).result(timeout=seconds)
        finally:
            pool.shutdown(wait=False)
    return run
