"""sipp as an external SIP phone of the embedded call server (issue 5, ecosystem.md §1b):
with the call server's account 300 it calls a DECT user whose handset answers by itself,
and it answers a call a handset makes to 300, over UDP and over TCP (the call server bridges
TCP to the OMM's UDP, record-routing twice). sipp's scenarios must run to their end; the
handsets are watched through the control API.

One site runs per module; the DECT users register at the call server by BasicSIP default.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from interop_peers import free_ports, run_sipp, sipp_register, start_sipp, wait_listening
from site_helpers import Control, call_site_config, ipei, until_state

from sipdect.app.emulator import Emulator
from sipdect.sip import Transport
from sipdect.waiting import until

pytestmark = [pytest.mark.interop, pytest.mark.slow,
              pytest.mark.asyncio(loop_scope="module")]

AC = "31415"
MAC = "00:30:42:5e:04:01"
HANDSETS = {"201": (ipei(4201), 2.0, 1.0), "202": (ipei(4202), -2.0, 1.0)}
"""DECT users by number -> (IPEI, x, y), both by the one RFP."""
PHONE = ("300", "Sipp-Phone-300")
"""The call server account sipp uses."""
SIPP_TRANSPORT = {Transport.UDP: "u1", Transport.TCP: "t1"}


def site_config() -> str:
    return call_site_config(
        "calls-pbx", HANDSETS, {n: f"Calls-Pbx-{n}x" for n in HANDSETS},
        [(MAC, 0.0, 0.0)], ac=AC, extra=f"""
[pbx]
realm = "calls-pbx"
tls_port = false

[[pbx.accounts]]
user = "{PHONE[0]}"
password = "{PHONE[1]}"
""")


@dataclass
class Site:
    emu: Emulator
    control: Control
    ids: dict[str, int]
    """Handset id by number."""
    servers: dict[Transport, str]
    """The call server's listeners, host:port."""
    workdir: Path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with Emulator(site_config(), tmp_path_factory.mktemp("site")) as emu:
        assert emu.system is not None and emu.system.control is not None
        assert emu.system.pbx is not None
        servers = {kind: f"{peer.host}:{peer.port}"
                   for kind, peer in emu.system.pbx.running.addresses.items()}
        async with Control.of(emu.system) as control:
            by_ipei = {h["ipei"]: h["id"] for h in await control.handsets()}
            ids = {number: by_ipei[hs] for number, (hs, _, _) in HANDSETS.items()}

            async def ready() -> bool:
                handsets = await control.handsets()
                users = {r["user"] for r in (await control.pbx())["registrations"]}
                return all(h["tpui"] for h in handsets) and users >= set(HANDSETS)
            await until(ready, "every handset on the air and registered", timeout=60)
            yield Site(emu, control, ids, servers, tmp_path_factory.mktemp("sipp"))


@pytest.mark.parametrize("kind", [Transport.UDP, Transport.TCP])
async def test_sipp_calls_a_handset_that_answers_by_itself(site: Site,
                                                           kind: Transport) -> None:
    """INVITE (401, again with 300's credentials), 200 with the RFP's SDP, ACK, and sipp's
    BYE answered 200, along the call server's route set."""
    await until_state(site, "201", "idle")
    ref = f"/handsets/{site.ids['201']}"
    await site.control.call("PATCH", ref, {"auto_answer": 0.5})
    try:
        [port] = free_ports(1)
        result = await asyncio.to_thread(
            run_sipp, site.workdir, "uac", remote=site.servers[kind], service="201",
            auth=PHONE, keys={"caller": PHONE[0]}, local_port=port,
            transport=SIPP_TRANSPORT[kind], timeout=15)
        assert result.ok, result.describe()
        assert "m=audio" in result.messages.split("SIP/2.0 200 OK", 1)[1]
        assert f"Route: <sip:{site.servers[kind]}" in result.messages
        await until_state(site, "201", "idle")
        assert (await site.control.display(site.ids["201"]))["display"] == ["Call ended"]
    finally:
        await site.control.call("PATCH", ref, {"auto_answer": None})


@pytest.mark.parametrize("kind", [Transport.UDP, Transport.TCP])
async def test_a_handset_calls_sipp(site: Site, kind: Transport) -> None:
    """sipp registers as 300 and answers; the handset shows Connected, hangs up, and sipp's
    scenario (INVITE, 180, 200, ACK, BYE) ends with status 0."""
    await until_state(site, "202", "idle")
    [port] = free_ports(1)
    transport = SIPP_TRANSPORT[kind]
    reg = await asyncio.to_thread(sipp_register, site.workdir, site.servers[kind], *PHONE,
                                  port, transport=transport)
    assert reg.ok, reg.describe()
    uas = start_sipp(site.workdir, "uas", local_port=port, transport=transport, timeout=30)
    assert await asyncio.to_thread(wait_listening, port, transport), uas.stop().describe()
    try:
        await site.control.dial(site.ids["202"], PHONE[0])
        await until_state(site, "202", "connected")
        assert "Connected" in " ".join((await site.control.display(site.ids["202"]))[
            "display"])
    except BaseException:
        print(uas.stop().describe())
        raise
    await site.control.hang_up(site.ids["202"])
    result = await asyncio.to_thread(uas.wait)
    assert result.ok, result.describe()
    assert "BYE sip:" in result.messages
    await until_state(site, "202", "idle")
