"""The standby pair's replication link over loopback TLS (omm.standby.replication): two OMM
models, an active that copies each committed change to its standby before `replicate`
returns, a snapshot that overwrites the standby's configuration, a wrong secret refused, and a
standby gone or hung that makes `replicate` fail without losing the active's change."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from omm.model import OmmModel, OmmSetup
from omm.standby.replication import PairMember, PartnerLink, StandbyUnavailable
from sipdect import tls
from sipdect.net import HostNet
from sipdect.store import StoreOp
from sipdect.waiting import scaled, until

SECRET = b"pair secret from the config"


@dataclass
class Pair:
    active: OmmModel
    standby: OmmModel
    active_member: PairMember
    standby_member: PairMember
    standby_net: HostNet
    link: PartnerLink
    accepted: list[PartnerLink]
    committed: list[tuple[StoreOp, ...]]


def _member(model: OmmModel, net: HostNet, secret: bytes = SECRET) -> PairMember:
    return PairMember(model.store, secret=secret, omm_type="Linux", sw_version="9.1",
                      address=net.address, on_applied=model.reload, event_log=model.log,
                      net=net)


async def _start(tmp_path: Path, secret: bytes = SECRET) -> tuple[PairMember, PairMember,
                                                                    HostNet, int,
                                                                    OmmModel, OmmModel]:
    base = f"127.78.{random.randrange(1, 250)}."
    first = random.randrange(1, 120)
    active_net = HostNet("omm1", base + str(first))
    standby_net = HostNet("omm2", base + str(first + 1))
    active = OmmModel(tmp_path / "omm1", OmmSetup(name="OMM1"))
    standby = OmmModel(tmp_path / "omm2", OmmSetup(name="OMM2"))
    cert, key = tls.ensure_certificate(tmp_path / "omm2", "OMM2", (standby_net.address,))
    standby_member = _member(standby, standby_net)
    server = await standby_member.serve(tls.server_context(cert, key, tls.DEFAULT_LEVEL), 0)
    port = server.sockets[0].getsockname()[1]
    return (_member(active, active_net, secret), standby_member, standby_net, port, active,
            standby)


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[Pair]:
    active_member, standby_member, standby_net, port, active, standby = await _start(tmp_path)
    accepted: list[PartnerLink] = []
    standby_member.on_partner = accepted.append
    link = await active_member.connect(standby_net.address, tls.client_context(), port)
    committed: list[tuple[StoreOp, ...]] = []
    active.store.observe(committed.append)
    yield Pair(active, standby, active_member, standby_member, standby_net, link, accepted,
               committed)
    active_member.close()
    standby_member.close()
    standby_net.kill()
    active.close()
    standby.close()


async def test_the_pair_authenticates_and_learns_each_other(pair: Pair) -> None:
    partner = await pair.link.wait_authenticated()
    assert partner.address == pair.standby_net.address and partner.omm_type == "Linux"
    await until(lambda: pair.accepted, "the standby's side of the link")
    assert pair.accepted[0].partner is not None
    assert pair.accepted[0].partner.address == pair.active_member.address


async def test_a_committed_change_is_on_the_standby_before_replicate_returns(
        pair: Pair) -> None:
    user = pair.active.users.create({"num": "4711", "name": "Ann"})
    pair.active.settings.update("PARK", {"park": "31100075"})
    pair.active.log("GenInfo", "OMM", "stays on the active")
    for ops in pair.committed:
        await pair.link.replicate(ops)
    assert pair.standby.users.get(user["uid"])["num"] == "4711"
    assert pair.standby.settings.value("PARK", "park") == "31100075"
    assert pair.standby.store.rows("users") == pair.active.store.rows("users")
    assert not any("stays on the active" in e.msg for e in pair.standby.event_log.entries())
    pair.committed.clear()
    pair.active.delete_user(user["uid"])
    for ops in pair.committed:
        await pair.link.replicate(ops)
    assert pair.standby.users.table.get(user["uid"]) is None


async def test_a_snapshot_overwrites_the_standbys_configuration_and_says_so(
        pair: Pair) -> None:
    pair.active.users.create({"num": "100", "name": "kept"})
    lost = pair.standby.users.create({"num": "200", "name": "made while apart"})
    await pair.link.push_snapshot()
    assert pair.standby.store.rows("users") == pair.active.store.rows("users")
    assert pair.standby.store.rows("accounts") == pair.active.store.rows("accounts")
    assert [u["num"] for u in pair.standby.users.table] == ["100"]
    assert all(u["name"] != lost["name"] for u in pair.standby.users.table)
    lines = [e.msg for e in pair.standby.event_log.entries()]
    assert any(f"database overwritten by the standby partner {pair.active_member.address}"
               in line for line in lines)
    assert pair.standby.store.rows("eventlog")  # the standby's own log stays (and says so)


async def test_a_wrong_secret_is_refused(tmp_path: Path) -> None:
    active_member, standby_member, standby_net, port, active, standby = await _start(
        tmp_path, secret=b"not the pair's secret")
    accepted: list[PartnerLink] = []
    standby_member.on_partner = accepted.append
    with pytest.raises(StandbyUnavailable, match="authentication failed"):
        await active_member.connect(standby_net.address, tls.client_context(), port)
    assert accepted == []
    standby_net.kill()
    active.close()
    standby.close()


async def test_a_killed_standby_fails_replicate_and_the_change_stays(pair: Pair) -> None:
    pair.standby_net.kill()
    await until(lambda: pair.link.closed.done(), "the active to notice the standby's end")
    user = pair.active.users.create({"num": "300", "name": "kept locally"})
    with pytest.raises(StandbyUnavailable):
        await pair.link.replicate(pair.committed[-1])
    assert pair.active.users.get(user["uid"])["num"] == "300"
    assert pair.active.store.rows("users")


async def test_a_hung_standby_fails_replicate_within_its_deadline(pair: Pair) -> None:
    """The standby's host holds every byte (a cut link): no Ack, no FIN."""
    pair.standby_net.cut(pair.active_member.address)
    user = pair.active.users.create({"num": "400", "name": "kept locally"})
    with pytest.raises(StandbyUnavailable, match="did not acknowledge within 0.2 s"):
        await asyncio.wait_for(pair.link.replicate(pair.committed[-1], timeout=0.2),
                               scaled(30))
    assert pair.link.closed.done()
    assert pair.active.users.get(user["uid"])["num"] == "400"
    with pytest.raises(StandbyUnavailable, match="not up"):
        await pair.link.replicate(pair.committed[-1])
