"""The MOM and two real OMMs over loopback (AXI over TLS, UserDeviceSyncClient): records
created on either side reach the other, an OMM killed and restarted mid-way and the MOM
killed and restarted both resynchronise, and what each OMM holds is compared record by
record over AXI with the MOM's directory."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mom.config import ManagedOmm, MomConfig
from mom.service import MomService
from omm.config import AccountConfig, OmmConfig
from omm.service import OmmService
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element
from sipdect.net import HostNet
from sipdect.waiting import until

PASSWORD = "Sipdect-Omm-2026"
IPEI_A = "00077 0000001 9"
IPEI_B = "00077 0000003 0"


@dataclass
class Setup:
    tmp: Path
    base: str
    omm_cfgs: dict[str, OmmConfig] = field(default_factory=dict)
    omms: dict[str, OmmService] = field(default_factory=dict)
    mom: MomService | None = None

    async def start_omm(self, name: str) -> OmmService:
        service = OmmService(self.omm_cfgs[name], self.tmp / name, port_of=lambda p: 0,
                             net=HostNet(name, self.omm_cfgs[name].host))
        await service.start()
        self.omms[name] = service
        return service

    def tls_port(self, name: str) -> int:
        return next(e.port for e in self.omms[name].endpoints if e.protocol == "axi-tls")

    async def start_mom(self) -> MomService:
        omms = [ManagedOmm(n, self.omm_cfgs[n].host, self.tls_port(n), "omm", PASSWORD)
                for n in sorted(self.omm_cfgs)]
        cfg = MomConfig("MOM", self.base + "10", omms=omms)
        self.mom = MomService(cfg, self.tmp / "mom", net=HostNet("MOM", cfg.host))
        await self.mom.start()
        return self.mom

    async def restart_omm(self, name: str) -> None:
        """A machine that boots again: same address, data and (given back) ports."""
        old = self.omms[name]
        ports = {e.protocol: e.port for e in old.endpoints}
        service = OmmService(self.omm_cfgs[name], self.tmp / name,
                             port_of=_same_ports(self.omm_cfgs[name], ports),
                             net=HostNet(name, self.omm_cfgs[name].host))
        await service.start()
        self.omms[name] = service

    async def client(self, name: str, *, sync: bool = False) -> AxiClient:
        service = self.omms[name]
        port = next(e.port for e in service.endpoints if e.protocol == "axi")
        client = await AxiClient.connect(service.net.address, port)
        await client.login("omm", PASSWORD, sync_client=sync)
        return client


def _same_ports(cfg: OmmConfig, ports: dict[str, int]) -> Any:
    by_config = {cfg.axi_port: ports["axi"], cfg.axi_tls_port: ports["axi-tls"],
                 cfg.rfp_port: ports.get("rfp-link", 0)}
    return lambda port: by_config.get(port, 0)


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    base = f"127.81.{random.randrange(1, 250)}."
    s = Setup(tmp_path, base)
    for i, name in enumerate(("A", "B")):
        s.omm_cfgs[name] = OmmConfig(name=name, host=base + str(i + 1),
                                     accounts=[AccountConfig("omm", PASSWORD)],
                                     park=f"1F10{i + 2}A7C82")
        await s.start_omm(name)
    yield s
    if s.mom is not None:
        await s.mom.stop()
    for service in s.omms.values():
        if service.model.store is not None:
            await service.stop()


async def _users_at(setup: Setup, name: str) -> dict[str, str]:
    """num -> name of every user the OMM holds, over AXI."""
    async with await setup.client(name) as client:
        out: dict[str, str] = {}
        start = 1
        while True:
            resp = await client.request("GetPPUser", {"uid": str(start), "maxRecords": "20"},
                                        check=False)
            users = resp.children_named("user")
            if not users:
                return out
            for u in users:
                assert u.attrs["num"] not in out, f"{u.attrs['num']} twice at {name}"
                out[u.attrs["num"]] = u.attrs["name"]
            start = max(int(u.attrs["uid"]) for u in users) + 1


async def _devices_at(setup: Setup, name: str) -> dict[str, str]:
    """ipei -> the number of its user ("" unbound), over AXI."""
    async with await setup.client(name) as client:
        users = {}
        resp = await client.request("GetPPUser", {"uid": "1", "maxRecords": "100"}, check=False)
        for u in resp.children_named("user"):
            users[u.attrs["uid"]] = u.attrs["num"]
        resp = await client.request("GetPPDev", {"ppn": "1", "maxRecords": "100"}, check=False)
        return {p.attrs["ipei"]: users.get(p.attrs["uid"], "") for p in resp.children_named("pp")}


def _mom_users(setup: Setup, home: str) -> dict[str, str]:
    assert setup.mom is not None and setup.mom.model is not None
    return {r["num"]: r["name"] for r in setup.mom.model.directory.users
            if r["home"] == home}


async def _same(setup: Setup) -> bool:
    """Every OMM holds exactly the MOM's records homed there, with the same values."""
    assert setup.mom is not None
    if any(not s.synced for s in setup.mom.sessions.values()):
        return False
    for name in ("A", "B"):
        if await _users_at(setup, name) != _mom_users(setup, name):
            return False
    return True


async def _create_user(client: AxiClient, num: str, name: str) -> int:
    resp = await client.request("CreatePPUser", children=[element(
        "user", {"num": num, "name": name})])
    return int(resp.children[0].attrs["uid"])


async def test_records_from_either_side_reach_the_other(setup: Setup) -> None:
    async with await setup.client("A", sync=True) as a:  # SetPP needs a sync session
        uid = await _create_user(a, "100", "Alice")
        dev = await a.request("CreatePPDev", children=[element("pp", {"ipei": IPEI_A})])
        ppn = dev.children[0].attrs["ppn"]
        await a.request("SetPP", children=[element("pp", {"ppn": ppn, "uid": str(uid),
                                                          "relType": "Fixed"})])
    async with await setup.client("B") as b:
        await _create_user(b, "200", "Bob")
    mom = await setup.start_mom()
    assert mom.model is not None
    d = mom.model.directory
    await until(lambda: {r["num"] for r in d.users} == {"100", "200"}, "both OMMs' users")
    await until(lambda: all(s.synced for s in mom.sessions.values()), "both sessions synced")
    assert d.user_by_num("100")["home"] == "A" and d.user_by_num("200")["home"] == "B"
    assert mom.model.omms.get("A")["ommId"] == "102A7C82"
    device = d.device_by_ipei(IPEI_A)
    assert device["home"] == "A" and d.user_of(device) is d.user_by_num("100")

    # Made at the MOM for A, changed at the MOM for B, changed at A: each reaches the other.
    d.create_user({"num": "300", "name": "Carol"}, home="A")
    d.update_user(d.user_by_num("200")["uid"], {"name": "Bobby"})
    async with await setup.client("A") as a:
        await a.request("SetPPUser", children=[element("user", {"uid": str(uid),
                                                                "name": "Alicia"})])
    await until(lambda: d.user_by_num("100")["name"] == "Alicia", "A's change at the MOM")
    await until(lambda: _same(setup), "every OMM as the MOM says")
    assert await _users_at(setup, "A") == {"100": "Alicia", "300": "Carol"}
    assert await _users_at(setup, "B") == {"200": "Bobby"}
    assert await _devices_at(setup, "A") == {IPEI_A: "100"}

    # A device made at the MOM, bound to a user at the MOM, reaches its home with the binding.
    new_dev = d.create_device({"ipei": IPEI_B}, home="B")
    d.bind(d.user_by_num("200")["uid"], new_dev["ppn"], "Fixed")
    await until(lambda: _devices_at(setup, "B"), "the MOM's device at B")
    await until(lambda: _has(setup, "B", {IPEI_B: "200"}), "the binding at B")

    # Deleted at the MOM: gone from its OMM; deleted at an OMM: gone from the MOM.
    d.delete_user(d.user_by_num("300")["uid"])
    async with await setup.client("B") as b:
        await b.request("DeletePPUser", {"num": "200"})
    await until(lambda: "200" not in {r["num"] for r in d.users}, "B's delete at the MOM")
    await until(lambda: _same(setup), "the deletes everywhere")
    assert await _users_at(setup, "A") == {"100": "Alicia"}


async def _has(setup: Setup, name: str, devices: dict[str, str]) -> bool:
    return await _devices_at(setup, name) == devices


async def test_an_omm_killed_and_restarted_resyncs_both_ways(setup: Setup) -> None:
    mom = await setup.start_mom()
    assert mom.model is not None
    d = mom.model.directory
    await until(lambda: all(s.synced for s in mom.sessions.values()), "both sessions synced")
    for i in range(5):
        d.create_user({"num": f"10{i}", "name": f"U{i}"}, home="A")
    await until(lambda: _same(setup), "the MOM's users at A")

    await setup.omms["A"].kill()
    await until(lambda: mom.model is not None and mom.model.omms.live("A").state == "lost",
                "the MOM saw A go")
    d.update_user(d.user_by_num("100")["uid"], {"name": "Renamed"})
    d.create_user({"num": "110", "name": "New"}, home="A")
    d.delete_user(d.user_by_num("101")["uid"])
    await setup.restart_omm("A")
    await until(lambda: _same(setup), "A resynced after its restart", timeout=30)
    assert await _users_at(setup, "A") == {"100": "Renamed", "102": "U2", "103": "U3",
                                           "104": "U4", "110": "New"}


async def test_the_mom_killed_and_restarted_resyncs_nothing_lost_or_twice(
        setup: Setup) -> None:
    mom = await setup.start_mom()
    assert mom.model is not None
    d = mom.model.directory
    async with await setup.client("B") as b:
        for i in range(5):
            await _create_user(b, f"20{i}", f"B{i}")
    await until(lambda: len(d.users) == 5, "B's users at the MOM")
    await until(lambda: _same(setup), "in sync")
    assert mom.net is not None
    mom.net.kill()  # the power goes: every socket at once, nothing flushed
    await mom.kill()

    async with await setup.client("B") as b:  # while the MOM is down
        await _create_user(b, "205", "B5")
        await b.request("DeletePPUser", {"num": "201"})
        resp = await b.request("GetPPUserByNumber", {"num": "202"})
        await b.request("SetPPUser", children=[Message("user", {
            "uid": resp.children[0].attrs["uid"], "name": "Changed"})])
    mom = await setup.start_mom()
    assert mom.model is not None
    d = mom.model.directory
    await until(lambda: _same(setup), "the MOM resynced after its restart", timeout=30)
    assert _mom_users(setup, "B") == {"200": "B0", "202": "Changed", "203": "B3", "204": "B4",
                                      "205": "B5"}
    assert len(d.users) == 5


async def test_a_roaming_request_moves_the_device_and_its_user_unknown_ones_are_rejected(
        setup: Setup) -> None:
    """Until the OMM side of roaming lands (branch omm-sync), the OMM's EventDECTLocate is put
    on B's session as its connection would deliver it; the rest is real: what the MOM pushes
    to B and what MAXI's listeners hear."""
    from mom.sync import RoamingEvent

    mom = await setup.start_mom()
    assert mom.model is not None
    d = mom.model.directory
    heard: list[RoamingEvent] = []
    mom.add_roaming_listener(heard.append)
    await until(lambda: all(s.synced for s in mom.sessions.values()), "both sessions synced")
    user = d.create_user({"num": "100", "name": "Roamer"}, home="A")
    device = d.create_device({"ipei": IPEI_A}, home="A")
    d.bind(user["uid"], device["ppn"], "Fixed")
    await until(lambda: _has(setup, "A", {IPEI_A: "100"}), "the device at A")
    assert await _devices_at(setup, "B") == {}

    b = mom.sessions["B"]
    b._inbox.put_nowait(Message("EventDECTLocate", {"ipei": IPEI_A, "ppn": "0",
                                                    "ommId": b.omm_id, "rfpId": "1"}))
    await until(lambda: _has(setup, "B", {IPEI_A: "100"}), "the device and its user at B")
    assert (device["ommId"], device["ommIdAck"], device["roaming"]) == (
        b.omm_id, b.omm_id, "RoamingComplete")
    assert [(e.kind, e.omm, e.ppn, e.uid) for e in heard] == [
        ("locate", "B", device["ppn"], user["uid"]), ("moved", "B", device["ppn"], user["uid"])]
    assert await _users_at(setup, "A") == {"100": "Roamer"}  # home copy stays
    located = await mom.locate(user["uid"])
    assert located["omm"] == "B" and located["ommId"] == b.omm_id

    b._inbox.put_nowait(Message("EventDECTLocate", {"ipei": IPEI_B, "ommId": b.omm_id}))
    await until(lambda: any(e.kind == "rejected" for e in heard), "the unknown one rejected")


async def test_events_the_mom_cannot_take_are_logged_and_the_session_goes_on(
        setup: Setup) -> None:
    mom = await setup.start_mom()
    assert mom.model is not None
    await until(lambda: all(s.synced for s in mom.sessions.values()), "both sessions synced")
    b = mom.sessions["B"]
    for bad in (Message("EventPPCnf", {}, [Message("user", {"uid": "x"})]),
                Message("EventPPCnf", {"deletedDev": "1"}, [Message("pp", {"ppn": "-7"})]),
                Message("EventDECTLocate", {"ipei": "not an IPEI"}),
                Message("EventPPCnf", {}, [])):
        b._inbox.put_nowait(bad)
    async with await setup.client("B") as client:
        await _create_user(client, "900", "After")
    await until(lambda: _same(setup), "B's later user at the MOM")
    assert b.synced and mom.model.omms.live("B").connects == 1
