"""The standby OMM's PBX probe (omm.standby.probe) over loopback, the OMM and the call server each
on an address of its own: the embedded call server (sim.pbx) answers over UDP, TCP and TLS; one
answering request is enough; a silent UDP port (after RFC 3261 retransmissions), a refusing TCP
port and a cut link make the PBX unreachable; a registrar that grants keeps no binding of the
probe; nothing of the probe stays open afterwards."""

from __future__ import annotations

import asyncio
import os
import random
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from omm.standby.probe import PbxTarget, ProbeOutcome, probe_pbx
from sim.pbx import PbxConfig
from sim.pbx.registrar import Registrar
from sim.pbx.service import PbxListeners, PbxService
from sipdect.app.emulator import Emulator
from sipdect.net import HostNet
from sipdect.sip import (
    Peer,
    Request,
    RequestReceived,
    SipTransport,
    Transport,
    make_response,
    parse_message,
)
from sipdect.sip.transaction import Event
from sipdect.waiting import until
from tests.component.test_pbx_system import PBX
from tests.unit.omm_sip.test_sip_config import Settings

ACCOUNTS = {"100": "Pw-of-100", "200": "Pw-of-200"}
SHORT = 1.0
"""Seconds a probe that can get no answer is given (the product's 32 s would only be slower)."""
PATIENT = 30.0
"""Seconds a probe that should end by itself (an answer, a refused connection) is given."""


@dataclass
class Hosts:
    omm: HostNet
    """The probing OMM's host."""
    pbx_address: str
    """The call server's address (and that of the silent and refusing ports)."""

    def target(self, registrar: Peer, proxy: Peer | None = None,
               users: tuple[str, ...] = ("200", "100"), cafile: Path | None = None) -> PbxTarget:
        """The target the OMM with these BasicSIP settings and users probes."""
        proxy = proxy or registrar
        made = PbxTarget.from_settings(Settings(BasicSIP={
            "regServer": registrar.host, "regPort": registrar.port, "proxyServer": proxy.host,
            "proxyPort": proxy.port, "transportProt": registrar.transport.value}), users,
            self.omm.address, tls_cafile=cafile)
        assert made is not None
        return made


@pytest.fixture
def hosts() -> Hosts:
    base = f"127.93.{random.randrange(1, 250)}."
    first = random.randrange(1, 200)
    return Hosts(HostNet("omm", base + str(first)), base + str(first + 1))


@pytest.fixture
async def pbx(hosts: Hosts, tmp_path: Path) -> AsyncIterator[PbxService]:
    service = PbxService(PbxConfig(accounts=ACCOUNTS), tmp_path / "pbx",
                         PbxListeners(host=hosts.pbx_address),
                         net=HostNet("pbx", hosts.pbx_address))
    await service.start()
    yield service
    await service.stop()


class Silent(asyncio.DatagramProtocol):
    """A UDP port that hears SIP requests and never answers."""

    def __init__(self) -> None:
        self.heard: list[Request] = []

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        message = parse_message(data)
        assert isinstance(message, Request)
        self.heard.append(message)

    def methods(self) -> list[str]:
        return [r.method for r in self.heard]


@pytest.fixture
async def silent(hosts: Hosts) -> AsyncIterator[tuple[Silent, Peer]]:
    transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        Silent, local_addr=(hosts.pbx_address, 0))
    port = transport.get_extra_info("sockname")[1]
    yield protocol, Peer(Transport.UDP, hosts.pbx_address, port)
    transport.close()


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def pending_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if not t.done()}


@pytest.mark.parametrize("kind", [Transport.UDP, Transport.TCP, Transport.TLS])
async def test_the_call_server_answers_over_each_transport(
        kind: Transport, hosts: Hosts, pbx: PbxService) -> None:
    server = pbx.addresses()[kind]
    outcome = await probe_pbx(hosts.target(server, cafile=pbx.trusted), net=hosts.omm,
                              timeout=PATIENT)
    assert outcome.reachable, outcome.why
    # Without credentials the REGISTER is challenged; the proxy answers OPTIONS itself.
    expected = {"REGISTER": "SIP/2.0 401 Unauthorized", "OPTIONS": "SIP/2.0 200 OK"}
    assert outcome.method is not None
    assert outcome.status_line == expected[outcome.method]
    assert f"to {kind.lower()}:{server.host}:{server.port} answered" in outcome.why
    assert pbx.running.registrations() == []


async def test_the_proxy_answering_is_enough(
        hosts: Hosts, pbx: PbxService, silent: tuple[Silent, Peer]) -> None:
    heard, registrar = silent
    outcome = await probe_pbx(hosts.target(registrar, pbx.addresses()[Transport.UDP]),
                              net=hosts.omm, timeout=PATIENT)
    assert (outcome.reachable, outcome.method, outcome.status_line) == (
        True, "OPTIONS", "SIP/2.0 200 OK")
    await until(lambda: "REGISTER" in heard.methods(), "the REGISTER too")  # both went out
    [register] = [r for r in heard.heard if r.method == "REGISTER"]
    assert str(register.to.uri) == f"sip:100@{registrar.host}"  # the lowest number


async def test_a_user_the_registrar_does_not_know_still_gets_an_answer(
        hosts: Hosts, pbx: PbxService, silent: tuple[Silent, Peer]) -> None:
    _, proxy = silent
    to_pbx = hosts.target(pbx.addresses()[Transport.UDP], proxy, users=("999",))
    outcome = await probe_pbx(to_pbx, net=hosts.omm, timeout=PATIENT)
    assert (outcome.reachable, outcome.method) == (True, "REGISTER")
    assert outcome.status_line.startswith("SIP/2.0 4")


async def test_without_users_only_options_is_sent(
        hosts: Hosts, pbx: PbxService, silent: tuple[Silent, Peer]) -> None:
    heard, registrar = silent
    to_pbx = hosts.target(registrar, pbx.addresses()[Transport.UDP], users=())
    outcome = await probe_pbx(to_pbx, net=hosts.omm, timeout=PATIENT)
    assert (outcome.reachable, outcome.method) == (True, "OPTIONS")
    assert heard.heard == []


async def test_a_silent_udp_port_is_unreachable_after_retransmissions(
        hosts: Hosts, silent: tuple[Silent, Peer]) -> None:
    heard, port = silent
    outcome = await probe_pbx(hosts.target(port), net=hosts.omm, timeout=2.0)
    assert not outcome.reachable and outcome.method is None
    assert outcome.why == (f"REGISTER to {port}: no answer within 2 s; "
                           f"OPTIONS to {port}: no answer within 2 s")
    first = list(heard.heard)
    # RFC 3261 §17.1.2.2: the same request again after T1 (0.5 s), then 2 x T1.
    for method in ("REGISTER", "OPTIONS"):
        copies = [bytes(r) for r in first if r.method == method]
        assert len(copies) >= 2 and len(set(copies)) == 1, method
    assert {r.top_via.sent_by for r in first} == {
        f"{hosts.omm.address}:{first[0].top_via.port}"}  # from the OMM's address
    await probe_pbx(hosts.target(port), net=hosts.omm, timeout=SHORT)
    again = heard.heard[len(first):]
    assert again, "the second probe sent nothing"
    for name, value in (("Call-ID", lambda r: r.call_id), ("branch", lambda r: r.top_via.branch),
                        ("From tag", lambda r: r.from_.tag)):
        assert not {value(r) for r in first} & {value(r) for r in again}, name


async def test_a_refusing_tcp_port_is_unreachable(hosts: Hosts) -> None:
    with socket.socket() as bound:  # bound, never listening: connections are refused
        bound.bind((hosts.pbx_address, 0))
        port = Peer(Transport.TCP, hosts.pbx_address, bound.getsockname()[1])
        outcome = await probe_pbx(hosts.target(port), net=hosts.omm, timeout=PATIENT)
    assert not outcome.reachable
    assert outcome.why == (f"REGISTER to {port}: cannot connect or send; "
                           f"OPTIONS to {port}: cannot connect or send")


@pytest.mark.parametrize("kind", [Transport.UDP, Transport.TCP])
async def test_a_cut_link_to_the_call_server_makes_it_unreachable(
        kind: Transport, hosts: Hosts, pbx: PbxService) -> None:
    to_pbx = hosts.target(pbx.addresses()[kind])
    hosts.omm.cut(hosts.pbx_address)
    outcome = await probe_pbx(to_pbx, net=hosts.omm, timeout=SHORT)
    assert not outcome.reachable
    assert outcome.why.count(f"no answer within {SHORT:g} s") == 2
    hosts.omm.heal(hosts.pbx_address)
    outcome = await probe_pbx(to_pbx, net=hosts.omm, timeout=PATIENT)
    assert outcome.reachable, outcome.why


@dataclass
class GrantingRegistrar:
    """A registrar that binds without asking for credentials, answering as sim.pbx does."""

    transport: SipTransport
    bindings: Registrar = field(default_factory=lambda: Registrar(60, 3600, 7200))
    heard: list[str] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        if not isinstance(event, RequestReceived) or event.transaction is None:
            return
        request, now = event.request, self.transport.now()
        self.heard.append(request.method)
        headers = []
        if request.method == "REGISTER":
            user = request.to.sip_uri.user or ""
            headers = [("Contact", f"{b.contact};expires={b.remaining(now)}")
                       for b in self.bindings.register(user, request, event.source, now)]
        self.transport.send_response(make_response(request, 200, headers=headers),
                                     event.transaction)

    def contacts(self) -> list[str]:
        return [str(b.contact) for b in self.bindings.all_bindings(self.transport.now())]


THEIRS = (b"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.9;branch=z9hG4bKtheirs\r\n"
          b"From: <sip:100@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: theirs\r\n"
          b"CSeq: 1 REGISTER\r\nContact: <sip:100@127.0.0.9:5060>\r\nExpires: 3600\r\n\r\n")
"""The other OMM of a split pair registering user 100 from its own address."""


async def test_a_granting_registrar_keeps_no_binding_of_the_probe(hosts: Hosts) -> None:
    transport = SipTransport(net=HostNet("registrar", hosts.pbx_address))
    registrar = GrantingRegistrar(transport)
    transport.on_event = registrar
    try:
        local = await transport.listen(Transport.UDP, hosts.pbx_address, 0)
        theirs = parse_message(THEIRS)
        assert isinstance(theirs, Request)
        registrar.bindings.register("100", theirs, local, transport.now())
        outcome = await probe_pbx(hosts.target(local), net=hosts.omm, timeout=PATIENT)
        assert (outcome.reachable, outcome.status_line) == (True, "SIP/2.0 200 OK")
        await until(lambda: "REGISTER" in registrar.heard, "the probe's REGISTER")
        assert registrar.contacts() == ["<sip:100@127.0.0.9:5060>"]
    finally:
        await transport.close()


async def test_nothing_of_a_probe_stays_open(
        hosts: Hosts, pbx: PbxService, silent: tuple[Silent, Peer]) -> None:
    files, tasks = open_files(), pending_tasks()
    _, nobody = silent
    tcp = hosts.target(pbx.addresses()[Transport.TCP])
    outcomes: list[ProbeOutcome] = [
        await probe_pbx(tcp, net=hosts.omm, timeout=PATIENT),
        await probe_pbx(hosts.target(nobody), net=hosts.omm, timeout=SHORT),
    ]
    hosts.omm.cut(hosts.pbx_address)  # a connection that waits for a cut link, abandoned
    outcomes.append(await probe_pbx(tcp, net=hosts.omm, timeout=SHORT))
    assert [o.reachable for o in outcomes] == [True, False, False]
    assert hosts.omm.connections == 0
    await until(lambda: open_files() <= files, "the probes' sockets to be closed")
    await until(lambda: pending_tasks() <= tasks, "the probes' tasks to end")


async def test_an_omm_of_a_system_probes_its_call_server_and_not_across_a_cut(
        tmp_path: Path) -> None:
    """The OMM's own probe (OmmService.probe_pbx: its model's BasicSIP and users, its host)."""
    async with Emulator(PBX, tmp_path) as emu:
        omm, system = emu.omm.service, emu.system
        assert omm is not None and system is not None
        assert await omm.probe_pbx(PATIENT)
        await system.cut_link("OMM", "pbx")
        assert not await omm.probe_pbx(SHORT)
        await system.heal_link("OMM", "pbx")
        assert await omm.probe_pbx(PATIENT)
        logged = [e.msg for e in omm.model.event_log.entries(max_records=1000)
                  if "PBX probe" in e.msg]
        assert ["PBX reachable" in m for m in logged] == [True, False, True], logged
