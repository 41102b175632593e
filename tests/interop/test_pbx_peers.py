"""The embedded call server (sim.pbx) with real peers: sipp users register at it and call
each other through it over UDP and over TCP, with the route set sipp learnt from our
Record-Route; a wrong password from sipp counts towards the IP block like any other;
baresip phones call each other with SDES-SRTP where the server requires it, and a plain RTP
offer is refused with 488."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from interop_peers import Baresip, free_port, make_baresip, sipp_call, sipp_register

from sim.pbx import PbxConfig, PbxServer, SrtpPolicy
from sipdect.sip import Transport
from sipdect.waiting import WaitTimeout, until

pytestmark = pytest.mark.interop

ACCOUNTS = {"201": "Pbx-Alice-201", "202": "Pbx-Bob-202"}
SIPP_TRANSPORT = {Transport.UDP: "u1", Transport.TCP: "t1"}


@pytest.fixture
async def pbx() -> AsyncIterator[PbxServer]:
    server = await PbxServer.start(PbxConfig(accounts=ACCOUNTS), tcp_port=0)
    yield server
    await server.close()


@pytest.mark.parametrize("kind", [Transport.UDP, Transport.TCP])
async def test_sipp_calls_sipp_through_the_call_server(pbx: PbxServer, tmp_path: Path,
                                                       kind: Transport) -> None:
    server = pbx.addresses[kind]
    call = await asyncio.to_thread(
        sipp_call, tmp_path, f"{server.host}:{server.port}", ("201", ACCOUNTS["201"]),
        ("202", ACCOUNTS["202"]), transport=SIPP_TRANSPORT[kind])
    assert call.ok, call.describe()
    assert f"Route: <sip:{server.host}:{server.port}" in call.caller.messages
    assert "BYE sip:" in call.callee.messages  # the BYE reached the callee through us
    users = {r.user for r in pbx.access_logs()["successful"]}
    assert users == {"201", "202"}
    assert {r.transport for r in pbx.access_logs()["successful"]} == {kind}
    assert pbx.registered("201") and pbx.registered("202")


async def test_a_wrong_password_from_sipp_is_logged_and_counted(pbx: PbxServer,
                                                                tmp_path: Path) -> None:
    server = pbx.address
    result = await asyncio.to_thread(sipp_register, tmp_path, f"{server.host}:{server.port}",
                                     "201", "wrong-password", free_port())
    assert not result.ok
    [failed] = pbx.access_logs()["failed"]
    assert failed.user == "201" and failed.method == "REGISTER"
    assert pbx.guard.failures("127.0.0.1") == 1


async def test_baresip_srtp_call_through_a_call_server_that_requires_srtp(
        tmp_path: Path, baresips: list[Baresip]) -> None:
    server = await PbxServer.start(PbxConfig(accounts=ACCOUNTS, srtp=SrtpPolicy.REQUIRED))
    try:
        registrar = f"{server.address.host}:{server.address.port}"
        bob = make_baresip(tmp_path / "bob", user="202", password=ACCOUNTS["202"],
                           registrar=registrar)
        baresips.append(bob.start())
        await registered(server, "202", bob)
        alice = make_baresip(tmp_path / "alice", user="201", password=ACCOUNTS["201"],
                             registrar=registrar, answer=False)
        baresips.append(alice.start(f"/dial sip:202@{registrar}"))
        assert await asyncio.to_thread(alice.wait_for, "Call established"), alice.output()
        assert await asyncio.to_thread(bob.wait_for, "Call established"), bob.output()
        for ua in (alice, bob):
            assert "SRTP is Enabled" in ua.output(), ua.output()
    finally:
        await server.close()


async def test_plain_rtp_baresip_gets_488_where_srtp_is_required(
        tmp_path: Path, baresips: list[Baresip]) -> None:
    server = await PbxServer.start(PbxConfig(accounts=ACCOUNTS, srtp=SrtpPolicy.REQUIRED))
    try:
        registrar = f"{server.address.host}:{server.address.port}"
        bob = make_baresip(tmp_path / "bob", user="202", password=ACCOUNTS["202"],
                           registrar=registrar)
        baresips.append(bob.start())
        await registered(server, "202", bob)
        alice = make_baresip(tmp_path / "alice", user="201", password=ACCOUNTS["201"],
                             registrar=registrar, mediaenc=None, answer=False)
        baresips.append(alice.start(f"/dial sip:202@{registrar}"))
        assert await asyncio.to_thread(alice.wait_for, "488 Not Acceptable Here"), \
            alice.output()
        assert "Call established" not in bob.output()
    finally:
        await server.close()


async def registered(server: PbxServer, user: str, ua: Baresip) -> None:
    """Wait until baresip's `user` is registered at `server`; fail with baresip's log."""
    try:
        await until(lambda: server.registered(user), f"{user} registered at the call server")
    except WaitTimeout as exc:
        raise AssertionError(f"{exc}\n{ua.output()}") from None
