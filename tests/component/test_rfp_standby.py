"""An RFP that knows the two OMMs of a standby pair (standby-eventmgr.md A.1 ommip1/ommip2,
A.4: when its active OMM dies it reconnects to the other, with the key it holds; both gone:
it keeps trying), against real OMMs (omm.service.OmmService) on loopback addresses of their
own, free ports. Observed as a user would: the RFP's link and log, the OMMs' RFP states."""

from __future__ import annotations

import asyncio
import logging
import random
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from omm.config import OmmConfig
from omm.service import OmmService
from rfp.omms import OmmAddress, omm_text
from rfp.radio import RfpRadio
from rfp.station import VirtualRfp
from sim.air import Air, schedule_deliveries
from sipdect.link import constants as c
from sipdect.waiting import until

MAC = "00:30:42:1b:17:40"
RFP_LOG = "sipdect.rfp"


def _free_port(host: str) -> int:
    """A TCP port nothing listens on at `host` (the OMM that will, or never does)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Pair:
    """Two OMM addresses on a loopback block of their own, OMMs started and killed at will,
    and one RFP that knows both."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        base = f"127.79.{random.randrange(1, 250)}."
        first = random.randrange(1, 120)
        self.addresses: dict[str, OmmAddress] = {}
        for name, last in (("A", first), ("B", first + 1)):
            host = base + str(last)
            self.addresses[name] = (host, _free_port(host))
        self.services: dict[str, OmmService] = {}
        self.air = Air()
        self.rfp: VirtualRfp | None = None

    def data_dir(self, name: str) -> Path:
        return self.tmp_path / f"omm-{name}"

    async def start_omm(self, name: str, *, knows_rfp: bool = True) -> OmmService:
        """OMM `name` at its address and RFP port (every other listener on any free port),
        on its data directory as it is (a copy of the other's: the pair's shared database)."""
        host, rfp_port = self.addresses[name]
        cfg = OmmConfig(name=f"OMM {name}", host=host, rfp_port=rfp_port)
        service = OmmService(cfg, self.data_dir(name),
                             port_of=lambda p: p if p == rfp_port else 0)
        model = service.model
        if knows_rfp and MAC not in model.rfps.by_mac:
            model.rfps.create({"ethAddr": MAC}, model.sites.exists)
        await service.start()
        self.services[name] = service
        return service

    async def kill_omm(self, name: str) -> None:
        await self.services.pop(name).kill()

    def rfp_id(self, name: str) -> int:
        return int(self.services[name].model.rfps.by_mac[MAC])

    def connected_at(self, name: str) -> bool:
        service = self.services.get(name)
        return service is not None and bool(service.model.rfps.live(self.rfp_id(name))[
            "connected"])

    async def start_rfp(self) -> VirtualRfp:
        loop = asyncio.get_running_loop()
        self.air.epoch = loop.time()
        schedule_deliveries(self.air, loop.call_soon, loop.time)
        self.air.add_rfp(1, 0.0, 0.0)
        (host, port), standby = self.addresses["A"], self.addresses["B"]
        self.rfp = VirtualRfp(MAC, c.HardwareType.RFP35, host, port, self.key_path,
                              RfpRadio(self.air, 1), standby_omm=standby,
                              reconnect_min=0.05, reconnect_max=0.2, reboot_time=0.01)
        await self.rfp.start()
        return self.rfp

    @property
    def key_path(self) -> Path:
        return self.tmp_path / "rfp" / "key"

    def linked_to(self, name: str) -> bool:
        rfp = self.rfp
        return rfp is not None and rfp.linked and rfp.omm_address == self.addresses[name]

    async def close(self) -> None:
        if self.rfp is not None:
            await self.rfp.stop()
        for service in self.services.values():
            await service.stop()


@pytest.fixture
async def pair(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Pair]:
    caplog.set_level(logging.INFO, RFP_LOG)
    p = Pair(tmp_path)
    yield p
    await p.close()


def _rfp_says(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == RFP_LOG and text in r.getMessage()]


async def test_the_first_omm_not_listening_the_rfp_links_to_the_second(
        pair: Pair, caplog: pytest.LogCaptureFixture) -> None:
    await pair.start_omm("B")
    rfp = await pair.start_rfp()
    await until(lambda: pair.linked_to("B") and pair.connected_at("B"), "the RFP linked to B")
    b = omm_text(pair.addresses["B"])
    assert rfp.describe()["omm"] == b
    # One try at A, then B at once: no pause before the round over both is done.
    (failed,) = _rfp_says(caplog, "cannot reach")
    assert f"at {omm_text(pair.addresses['A'])}:" in failed
    assert _rfp_says(caplog, f"connected to the OMM at {b}")


async def test_the_first_omm_refusing_the_rfp_it_links_to_the_second(
        pair: Pair, caplog: pytest.LogCaptureFixture) -> None:
    await pair.start_omm("A", knows_rfp=False)  # this MAC is not configured there
    await pair.start_omm("B")
    await pair.start_rfp()
    await until(lambda: pair.linked_to("B") and pair.connected_at("B"), "the RFP linked to B")
    assert _rfp_says(caplog, f"login at the OMM at {omm_text(pair.addresses['A'])} failed")
    assert any(f"unknown RFP {MAC}" in e.msg
               for e in pair.services["A"].model.event_log.entries(0, 1000))


async def test_its_omm_killed_the_rfp_moves_to_the_other_with_the_key_it_holds(
        pair: Pair, caplog: pytest.LogCaptureFixture) -> None:
    a = await pair.start_omm("A")
    rfp = await pair.start_rfp()
    await until(lambda: pair.linked_to("A") and pair.connected_at("A"), "the RFP linked to A")
    key = pair.key_path.read_text()
    assert a.model.rfps.link_key(pair.rfp_id("A"), a.model.vault) == bytes.fromhex(key)
    # The pair's shared database: B starts on a copy of A's data, vault key and all.
    shutil.copytree(pair.data_dir("A"), pair.data_dir("B"))
    b = await pair.start_omm("B")
    assert b.model.rfps.link_key(pair.rfp_id("B"), b.model.vault) == bytes.fromhex(key)

    await pair.kill_omm("A")
    await until(lambda: pair.linked_to("B") and pair.connected_at("B"),
                "the RFP linked to B after A died")
    assert not _rfp_says(caplog, "cannot reach")  # its first try after the loss was B
    assert rfp.link_count == 2 and rfp.describe()["omm"] == omm_text(pair.addresses["B"])
    # No new enrolment: the RFP logged in at B with the key A gave it.
    assert pair.key_path.read_text() == key
    assert len(_rfp_says(caplog, "enrolled; key stored")) == 1
    assert b.model.rfps.link_key(pair.rfp_id("B"), b.model.vault) == bytes.fromhex(key)
    assert _rfp_says(caplog, f"link to the OMM at {omm_text(pair.addresses['A'])} lost")


@pytest.mark.parametrize("back_first", ["A", "B"])
async def test_both_omms_gone_it_keeps_alternating_and_links_to_the_first_back(
        pair: Pair, caplog: pytest.LogCaptureFixture, back_first: str) -> None:
    rfp = await pair.start_rfp()
    a, b = (omm_text(pair.addresses[n]) for n in ("A", "B"))

    def attempts() -> list[str]:
        return [a if f" at {a}:" in m else b for m in _rfp_says(caplog, "cannot reach")]

    await until(lambda: len(attempts()) >= 6, "three rounds over both OMMs")
    tried = attempts()
    assert tried[:6] == [a, b] * 3 and not rfp.linked
    await pair.start_omm(back_first)
    await until(lambda: pair.linked_to(back_first) and pair.connected_at(back_first),
                f"the RFP linked to {back_first}, back first")
