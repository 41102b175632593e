"""Two OMMs as a standby pair over loopback (omm.standby.pair in omm.service): the lower
address becomes active and serves AXI, the other stays standby with its AXI port closed; an
AXI change is on the standby before its answer; when the active dies the standby takes over
and answers with the same data; the one that comes back is standby and receives the copy."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from omm.config import AccountConfig, OmmConfig, StandbyConfig
from omm.service import OmmService
from omm.standby.machine import Phase
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.net import HostNet
from sipdect.waiting import until

PASSWORD = "Pair-Test-2026"
SECRET = "the pair's secret"


@dataclass
class PairSetup:
    tmp: Path
    a_cfg: OmmConfig
    b_cfg: OmmConfig
    a: OmmService
    b: OmmService

    def service(self, cfg: OmmConfig, **standby: object) -> OmmService:
        if standby:
            assert cfg.standby is not None
            cfg = replace(cfg, standby=replace(cfg.standby, **standby))
        service = OmmService(cfg, self.tmp / cfg.name, port_of=lambda p: 0,
                             net=HostNet(cfg.name, cfg.host))
        service.probe_pbx = _pbx_answers  # type: ignore[method-assign]
        return service


async def _pbx_answers(timeout: float) -> bool:
    return True


def _configs() -> tuple[OmmConfig, OmmConfig]:
    base = f"127.79.{random.randrange(1, 250)}."
    first = random.randrange(1, 200)
    a, b = base + str(first), base + str(first + 1)
    accounts = [AccountConfig("omm", PASSWORD)]
    timers = {"secret": SECRET, "heartbeat": 0.2, "silence": 1.0, "pbx_timeout": 2.0}
    return (OmmConfig(name="OMM-A", host=a, accounts=accounts,
                      standby=StandbyConfig(partner=b, **timers)),  # type: ignore[arg-type]
            OmmConfig(name="OMM-B", host=b, accounts=accounts,
                      standby=StandbyConfig(partner=a, **timers)))  # type: ignore[arg-type]


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[PairSetup]:
    a_cfg, b_cfg = _configs()
    setup = PairSetup(tmp_path, a_cfg, b_cfg, None, None)  # type: ignore[arg-type]
    setup.a, setup.b = setup.service(a_cfg), setup.service(b_cfg)
    await setup.a.start()
    await setup.b.start()
    yield setup
    for service in (setup.a, setup.b):
        if service.model.store is not None:
            await service.stop()


async def _client(service: OmmService) -> AxiClient:
    port = next(e.port for e in service.endpoints if e.protocol == "axi")
    client = await AxiClient.connect(service.net.address, port)
    await client.login("omm", PASSWORD)
    return client


def _stb(service: OmmService) -> str:
    return service.model.standby.view.state.value


async def test_the_lower_address_serves_and_the_other_waits_as_standby(pair: PairSetup) -> None:
    await until(lambda: pair.a.serving and _stb(pair.a) == "OK" and _stb(pair.b) == "OK",
                "A active, both OK")
    assert not pair.b.serving
    assert pair.b.pair is not None and pair.b.pair.phase is Phase.SYNC_INACTIVE
    assert not any(e.protocol == "axi" for e in pair.b.endpoints)
    async with await _client(pair.a) as client:
        assert client.open_response.attrs["ommStbState"] == "OK"
        assert client.open_response.attrs["ommStbAddr"] == pair.b.net.address
        state = await client.request("GetStbState")
        assert state.attrs["ommStbState"] == "OK"
    with pytest.raises(OSError):
        await asyncio.open_connection(pair.b.net.address, pair.a_cfg.axi_port or 12621)


async def test_a_change_is_on_the_standby_before_its_answer(pair: PairSetup) -> None:
    await until(lambda: pair.a.serving and _stb(pair.b) == "OK", "A active, B OK")
    assert pair.a.pair is not None
    await until(lambda: pair.a.pair is not None and pair.a.pair._copy_sent, "the copy sent")
    async with await _client(pair.a) as client:
        await client.request("CreatePPUser", children=[element(
            "user", {"num": "4711", "name": "Replicated"})])
        stored = [v for _, v in pair.b.model.store.rows("users")]
        assert any('"4711"' in v for v in stored), stored


async def test_the_standby_takes_over_and_answers_with_the_same_data(pair: PairSetup) -> None:
    await until(lambda: pair.a.serving and pair.a.pair is not None and pair.a.pair._copy_sent,
                "A active with its copy sent")
    async with await _client(pair.a) as client:
        await client.request("CreatePPUser", children=[element(
            "user", {"num": "4712", "name": "Survivor"})])
    await pair.a.kill()
    await until(lambda: pair.b.serving, "B took over")
    assert _stb(pair.b) == "NotSynchronized"
    async with await _client(pair.b) as client:
        assert client.open_response.attrs["ommStbState"] == "NotSynchronized"
        users = await client.request("GetPPUserByNumber", {"num": "4712"}, check=False)
        assert users.children and users.children[0].attrs["name"] == "Survivor", users
    texts = [e.msg for e in pair.b.model.event_log.entries(0, 1000)]
    assert any("Unsynchronised Active" in t for t in texts), texts

    # The old active comes back: it is standby now, and gets the new active's copy.
    pair.a = pair.service(pair.a_cfg)
    await pair.a.start()
    await until(lambda: _stb(pair.a) == "OK" and _stb(pair.b) == "OK", "the pair whole again")
    assert pair.b.serving and not pair.a.serving
    async with await _client(pair.b) as client:
        await client.request("CreatePPUser", children=[element(
            "user", {"num": "4713", "name": "After"})])
    assert any('"4713"' in v for _, v in pair.a.model.store.rows("users"))


@pytest.mark.parametrize(("key", "value", "state"), [
    ("version", "OpenMobility Manager 8.0", "DifferentOMMVersions"),
    ("omm_type", "RFP 43", "DifferentOMMTypes")])
async def test_a_partner_that_does_not_fit_is_reported_and_gets_nothing(
        tmp_path: Path, key: str, value: str, state: str) -> None:
    a_cfg, b_cfg = _configs()
    setup = PairSetup(tmp_path, a_cfg, b_cfg, None, None)  # type: ignore[arg-type]
    setup.a = setup.service(a_cfg)
    setup.b = setup.service(b_cfg, **{key: value})
    await setup.a.start()
    await setup.b.start()
    try:
        await until(lambda: _stb(setup.a) == state and _stb(setup.b) == state,
                    "both see the mismatch")
        health = setup.a.model.health.get("standby")
        assert health is not None
        assert (health.severity, health.reason_code) == ("Error", "Wrong standby configuration")
        await until(lambda: setup.a.serving, "A active")
        async with await _client(setup.a) as client:
            await client.request("CreatePPUser", children=[element(
                "user", {"num": "4714", "name": "Mine only"})])
        assert not any('"4714"' in v for _, v in setup.b.model.store.rows("users"))
        assert not setup.b.serving
    finally:
        await setup.a.stop()
        await setup.b.stop()


async def test_after_a_split_the_longer_running_omm_stays_active(pair: PairSetup) -> None:
    await until(lambda: pair.a.serving and _stb(pair.b) == "OK", "A active, B OK")
    resets: list[int] = []
    pair.b.on_reset = resets.append
    pair.a.net.cut(pair.b.net.address)
    pair.b.net.cut(pair.a.net.address)
    await until(lambda: pair.b.serving, "B active too (split brain)")
    assert pair.a.serving
    pair.a.net.heal(pair.b.net.address)
    pair.b.net.heal(pair.a.net.address)
    await until(lambda: resets, "B reset")
    assert resets == [45]
    assert pair.a.pair is not None and pair.a.pair.phase is Phase.SYNC_ACTIVE


async def test_a_reset_of_the_active_reaches_the_standby(pair: PairSetup) -> None:
    """Emulator.reset on a pair: the active's wiped and re-provisioned records replicate."""
    await until(lambda: pair.a.serving and pair.a.pair is not None and pair.a.pair._copy_sent,
                "A active with its copy sent")
    async with await _client(pair.a) as client:
        await client.request("CreatePPUser", children=[element(
            "user", {"num": "4715", "name": "Before the reset"})])
    assert any('"4715"' in v for _, v in pair.b.model.store.rows("users"))
    await pair.a.reset()
    async with await _client(pair.a) as client:  # the initial account again, served
        await client.request("CreatePPUser", children=[element(
            "user", {"num": "4716", "name": "After the reset"})])
    users = [v for _, v in pair.b.model.store.rows("users")]
    assert any('"4716"' in v for v in users) and not any('"4715"' in v for v in users)
    assert [k for k, _ in pair.b.model.store.rows("accounts")] == \
        [k for k, _ in pair.a.model.store.rows("accounts")]
