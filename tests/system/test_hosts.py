"""A system of machines (issue 10): two OMMs with their own RFPs, handsets and PARKs on one
air, a call server and a SIP phone, each host at its own address; faults as a trainer or QA
engineer causes them over the control API (host stop / start / kill, link cut / heal), and
what the OMMs, the handsets and the call server show of them.

Every wait is for something a user observes (AXI answers and events, the control API's
view of hosts and handsets, the call server's registrations) with the shared deadline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from omm.statistics import Elem
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.waiting import until
from tests.system.site_helpers import Control, EventWatch, record

pytestmark = pytest.mark.slow

PASSWORD = "Sipdect-Omm-2026"
A_HANDSETS = ("03074 0220259 3", "00077 0010001 6")
B_HANDSETS = ("00077 0020002 4", "00077 0030003 2")


def two_omms(extra: str = "") -> str:
    """OMM A and OMM B, two RFPs and two handsets each, side by side on one air: B's RFPs are
    nearer to A's second handset than A's own RFP is, so only the PARK keeps it on A."""
    omms = "".join(f"""
[[omm]]
name = "{name}"
rfp_heartbeat = 1
[[omm.accounts]]
username = "omm"
password = "{PASSWORD}"
[omm.settings.DECTSubscriptionMode]
mode = "Configured"
[omm.settings.DECTAuthCode]
ac = "{ac}"
""" for name, ac in (("A", "31415"), ("B", "27182")))
    rfps = "".join(f"""
[[rfp]]
mac = "{mac}"
name = "{name}"
omm = "{omm}"
x = {x}
y = {y}
preferred_sync = {str(preferred).lower()}
""" for mac, name, omm, x, y, preferred in (
        ("00:30:42:0a:00:01", "A1", "A", 0, 0, True),
        ("00:30:42:0a:00:02", "A2", "A", 30, 0, False),
        ("00:30:42:0b:00:01", "B1", "B", 60, 0, True),
        ("00:30:42:0b:00:02", "B2", "B", 90, 0, False)))
    handsets = "".join(f"""
[[handset]]
ipei = "{ipei}"
omm = "{omm}"
x = {x}
y = 1
""" for ipei, omm, x in ((A_HANDSETS[0], "A", 2), (A_HANDSETS[1], "A", 40),
                         (B_HANDSETS[0], "B", 62), (B_HANDSETS[1], "B", 88)))
    return f'[system]\nname = "two-omms"\n{omms}{rfps}{handsets}{extra}'


@dataclass
class System:
    emu: Emulator
    control: Control

    def omm(self, name: str) -> Any:
        return self.emu.handle(name)

    async def axi(self, name: str) -> AxiClient:
        handle = self.omm(name)
        client = await AxiClient.connect(handle.host, handle.port)
        await client.login("omm", PASSWORD)
        return client


def isolated(config: str, isolation: str, *names: str) -> str:
    """`config` with the hosts `names` (OMMs or RFPs) in `isolation` (process: OS processes
    of their own; worker: shared among [system] workers)."""
    for name in names:
        assert f'name = "{name}"\n' in config, name
        config = config.replace(f'name = "{name}"\n',
                                f'name = "{name}"\nisolation = "{isolation}"\n')
    if isolation == "worker":  # the same on every machine, whatever its cores
        config = config.replace('name = "two-omms"\n', 'name = "two-omms"\nworkers = 2\n')
    return config


@pytest.fixture
async def system(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[System]:
    """The two-OMM system; a parameter: extra config, or (isolation, host names...)."""
    param = getattr(request, "param", "")
    config = (isolated(two_omms(), *param) if isinstance(param, tuple) else two_omms(param))
    async with Emulator(config, tmp_path) as emu:
        assert emu.system is not None
        async with Control.of(emu.system) as control:
            sys = System(emu, control)
            await all_registered(sys)
            yield sys


async def all_registered(sys: System, ipeis: tuple[str, ...] = A_HANDSETS + B_HANDSETS) -> None:
    async def registered() -> list[dict[str, Any]] | None:
        handsets = {h["ipei"]: h for h in await sys.control.handsets()}
        done = [handsets[i] for i in ipeis if handsets[i]["tpui"] is not None]
        return done if len(done) == len(ipeis) else None

    await until(registered, f"handsets {', '.join(ipeis)} registered")


async def records(axi: AxiClient, name: str, key: str, child: str) -> list[dict[str, str]]:
    """Every record of a paged Get... request, as attributes."""
    out: list[dict[str, str]] = []
    start = 0
    while True:
        resp = await axi.request(name, {key: start, "maxRecords": 20}, check=False)
        if resp.attrs.get("errCode") == "ENoEnt":
            return out
        out += [dict(c.attrs) for c in resp.children_named(child)]
        start = int(resp.children[-1].attrs[key]) + 1


async def handset(sys: System, ipei: str) -> dict[str, Any]:
    return await sys.control.handset(ipei.replace(" ", "%20"))


async def test_two_omms_each_report_only_their_own_rfps_and_devices(system: System) -> None:
    hosts = await system.control.hosts()
    addresses = {h["address"] for h in hosts.values()}
    assert len(addresses) == len(hosts) == 6  # A, B and four RFPs, each at its own address
    for name, macs, ipeis in (("A", {"00:30:42:0a:00:01", "00:30:42:0a:00:02"}, A_HANDSETS),
                              ("B", {"00:30:42:0b:00:01", "00:30:42:0b:00:02"}, B_HANDSETS)):
        axi = await system.axi(name)
        try:
            rfps = await records(axi, "GetRFP", "id", "rfp")
            assert {r["ethAddr"] for r in rfps} == macs
            devices = await records(axi, "GetPPDev", "ppn", "pp")
            assert {d["ipei"] for d in devices} == set(ipeis)
            assert all(d["s"] == "Yes" for d in devices)  # subscribed to this OMM
            park = (await axi.request("GetPARK")).attrs.get("park")
            for ipei in ipeis:
                assert (await handset(system, ipei))["rfp_host"].startswith(name)
        finally:
            await axi.close()
        # The RFPs' links come from their own addresses, as the OMM's RFP state shows.
        for rfp in (h for h in hosts.values() if h["kind"] == "rfp" and h["omm"] == name):
            assert rfp["address"] != system.omm(name).host
        assert park  # each OMM reports its PARK
    a = await system.axi("A")
    b = await system.axi("B")
    try:
        parks = {(await c.request("GetPARK")).attrs["park"] for c in (a, b)}
        assert len(parks) == 2  # two systems on the air: two PARKs
    finally:
        await a.close()
        await b.close()


# In process mode B1 runs in a process of its own as well: the second OMM's air cluster
# travels over the air link, and B's handsets register through it (the fixture waits). In
# worker mode A1, A2 and B1 share the two worker processes (A1 and B1 one, A2 the other).
@pytest.mark.parametrize("system", ["", ("process", "A2", "B1"),
                                    ("worker", "A1", "A2", "B1")], indirect=True,
                         ids=["in-process", "process", "worker"])
async def test_a_killed_rfp_host_is_reported_and_its_handsets_move_within_their_omm(
        system: System, request: pytest.FixtureRequest) -> None:
    isolation = request.node.callspec.id
    process = isolation == "process"
    hosts = await system.control.hosts()
    assert hosts["A2"]["isolation"] == ("none" if isolation == "in-process" else isolation)
    if isolation == "worker":
        assert hosts["A1"]["pid"] == hosts["B1"]["pid"] != hosts["A2"]["pid"]
        assert hosts["A2"]["pid"] != hosts["A"]["pid"]
    axi = await system.axi("A")
    try:
        a2 = next(r for r in await system.control.rfps() if r["host"] == "A2")
        await axi.subscribe("RFPState")
        watch = EventWatch(axi)
        killed = await system.control.host("A2", "kill")
        assert killed["state"] == "killed"
        down = await watch.wait("EventRFPState", lambda e: record(e, "rfp").get("id") == str(
            a2["id"]) and record(e, "rfp").get("connected") == "false")
        assert record(down, "rfp")["connected"] == "false"

        async def moved() -> dict[str, Any] | None:
            h = await handset(system, A_HANDSETS[1])
            return h if h["rfp_host"] == "A1" and h["tpui"] is not None else None

        # B1 is nearer, but the handset belongs to A: it moves to A1.
        where = await until(moved, "A's handset on A1")
        assert where["subscribed"]
        started = await system.control.host("A2", "start")
        assert started["state"] == "running" and started["starts"] == 2
        if process:  # a new OS process
            assert started["pid"] not in (None, (await system.control.hosts())["A1"]["pid"])
        if isolation == "worker":  # the worker lived on; only its host was killed
            assert started["pid"] == hosts["A2"]["pid"]

        async def back() -> bool:
            r = next(r for r in await system.control.rfps() if r["host"] == "A2")
            return bool(r["linked"] and r["syncState"] == "Synced")

        await until(back, "A2 linked and synced again")
    finally:
        await axi.close()


async def test_a_cut_link_drops_the_rfp_and_healing_brings_it_back(system: System) -> None:
    axi = await system.axi("B")
    try:
        await axi.subscribe("RFPState")
        watch = EventWatch(axi)
        b2 = next(r for r in await system.control.rfps() if r["host"] == "B2")
        of_b2 = lambda e: record(e, "rfp").get("id") == str(b2["id"])  # noqa: E731
        await system.control.link("cut", "B2", "B")
        assert (await system.control.hosts())["B2"]["cut"] == ["B"]
        # Three missed heartbeats (rfp_heartbeat = 1 s): the OMM reports the RFP lost.
        await watch.wait("EventRFPState", lambda e: of_b2(e)
                         and record(e, "rfp").get("connected") == "false")
        mark = watch.mark()
        await system.control.link("heal", "B2", "B")
        await watch.wait("EventRFPState", lambda e: of_b2(e)
                         and record(e, "rfp").get("connected") == "true", since=mark)
        assert (await system.control.hosts())["B2"]["cut"] == []
        # The OMM's RFP statistics count it: a connection time-out, then a reset (its login).
        stats = await axi.request("GetRFPStatistic", {"id": b2["id"], "maxRecords": 0,
                                                      "recordSet": 0})
        (data,) = stats.children
        counters = [int(v) for v in data.attrs["counter"].split(",")]
        assert counters[Elem.CONNECTION_TIMEOUTS] >= 1 and counters[Elem.RFP_RESETS] >= 1
    finally:
        await axi.close()


PHONE_SITE = """
[pbx]
max_auth_failures = 10
[[pbx.accounts]]
user = "300"
password = "Sipdect-Sip-300"
[[user]]
number = "201"
sip_password = "Sipdect-Sip-201"
handset = "03074 0220259 3"
[[user]]
number = "202"
sip_password = "Sipdect-Sip-202"
handset = "00077 0010001 6"
[[phone]]
name = "guesser"
user = "300"
password = "not-the-password"
retry_seconds = 0.05
retry_max_seconds = 0.1
"""


@pytest.mark.parametrize("system", [PHONE_SITE], indirect=True)
async def test_a_guessing_phone_is_blocked_while_the_omms_users_register(system: System) -> None:
    hosts = await system.control.hosts()
    phone_address, omm_address = hosts["guesser"]["address"], hosts["A"]["address"]
    assert phone_address != omm_address

    async def blocked() -> dict[str, Any] | None:
        pbx = await system.control.pbx()
        failed = pbx["access_logs"]["failed"]
        return pbx if any(f["host"] == phone_address and f["reason"] == "blocked"
                          for f in failed) else None

    await until(blocked, "the phone's address blocked at the call server")
    phone = await system.control.call("GET", "/phones/guesser")
    assert phone["registration"]["state"] == "blocked"
    # The OMM's address is another one: a user registers from it after the block.
    axi = await system.axi("A")
    try:
        user = next(u for u in await records(axi, "GetPPUser", "uid", "user")
                    if u["num"] == "202")
        async def bound() -> bool:
            pbx = await system.control.pbx()
            return any(r["user"] == "202" and f":{omm_address}:" in r.get("source", "")
                       for r in pbx["registrations"])

        await axi.request("DeletePPUser", {"uid": user["uid"]})
        await until(lambda: _not(bound), "user 202's binding gone with the user")
        answer = await axi.request("CreatePPUser", children=[element(
            "user", {"num": "202", "sipPw": await encrypted(axi, "Sipdect-Sip-202")})])
        assert answer.child("user") is not None
        registered_again = bound

        await until(registered_again, "user 202 registered again from the OMM's address")
    finally:
        await axi.close()


async def _not(probe: Any) -> bool:
    return not await probe()


async def encrypted(axi: AxiClient, text: str) -> str:
    """A SIP password as real AXI clients send it (RSA with the OMM's public key)."""
    from tests.system.site_helpers import encrypt

    assert axi.open_response is not None
    return encrypt(axi.open_response, text)


@pytest.mark.parametrize("system", ["", ("process", "A")], indirect=True,
                         ids=["in-process", "process"])
async def test_a_killed_omm_loses_nothing_it_acknowledged_and_leaves_the_other_working(
        system: System, request: pytest.FixtureRequest) -> None:
    process = request.node.callspec.id == "process"
    before = (await system.control.hosts())["A"]
    assert (before["isolation"] == "process") is process
    axi = await system.axi("A")
    try:
        created = []
        for i in range(5):
            answer = await axi.request("CreatePPUser", children=[element(
                "user", {"num": f"71{i}", "name": f"Acknowledged {i}"})])
            created.append(dict(answer.child("user").attrs))  # type: ignore[union-attr]
    finally:
        await axi.close()
    # In-process: every socket and timer of A gone, nothing flushed; a process: SIGKILL.
    killed = await system.control.host("A", "kill")
    assert killed["state"] == "killed"

    async def a_rfps_down() -> bool:
        return all(not r["linked"] for r in await system.control.rfps() if r["omm"] == "A")

    await until(a_rfps_down, "A's RFPs without their OMM")
    b = await system.axi("B")  # the other OMM works on
    try:
        assert (await b.request("Ping")).name == "PingResp"
        devices = await records(b, "GetPPDev", "ppn", "pp")
        assert {d["ipei"] for d in devices} == set(B_HANDSETS)
        for r in (r for r in await system.control.rfps() if r["omm"] == "B"):
            assert r["linked"] and r["syncState"] == "Synced"
    finally:
        await b.close()
    started = await system.control.host("A", "start")
    if process:
        assert killed["pid"] is None and started["pid"] not in (None, before["pid"])
    axi = await system.axi("A")
    try:
        users = {u["num"]: u for u in await records(axi, "GetPPUser", "uid", "user")}
        for user in created:
            assert users[user["num"]]["uid"] == user["uid"]
            assert users[user["num"]]["name"] == user["name"]
    finally:
        await axi.close()

    async def a_rfps_up() -> bool:
        return all(r["linked"] for r in await system.control.rfps() if r["omm"] == "A")

    await until(a_rfps_up, "A's RFPs reconnected to the restarted OMM")
    await all_registered(system, A_HANDSETS)


async def test_watch_shows_a_fault_and_what_followed_with_times_since_it(
        system: System) -> None:
    last = (await system.control.call("GET", "/watch?after=0&wait=0"))["last"]
    await system.control.host("A2", "kill")
    seen: list[dict[str, Any]] = []

    async def followed() -> bool:
        nonlocal last
        out = await system.control.call("GET", f"/watch?after={last}&wait=2")
        seen.extend(out["events"])
        last = out["last"]
        return any(e["text"] == "A2: link lost" for e in seen) and any(
            e["text"] == f"handset {A_HANDSETS[1]}: attached at A1" for e in seen)

    await until(followed, "the timeline to show A2 lost and A's handset on A1")
    fault = next(e for e in seen if e["fault"])
    assert fault["text"] == "host A2 killed" and fault["since_fault"] == 0
    after = [e for e in seen if e["seq"] > fault["seq"]]
    assert after and all(e["since_fault"] >= 0 for e in after)
    assert {"host A2: killed", "A2: link lost"} <= {e["text"] for e in after}
