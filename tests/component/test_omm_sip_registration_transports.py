"""Registration of DECT users beyond plain UDP (features.md §2.7): over TCP and TLS to the
embedded PBX with the SecureSIP certificate checks, through an outbound proxy, and failing over
to the BackupSIP secondary registrar when the primary stays silent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from omm.model import OmmModel, OmmSetup
from omm.sip import Registrations
from sim.pbx import PbxConfig, PbxServer
from sipdect import tls
from sipdect.accounts import InitialAccount
from sipdect.sip import (
    Headers,
    Peer,
    Request,
    RequestReceived,
    SipTransport,
    SipTransportError,
    SipUri,
    TlsClientOptions,
    TlsServerOptions,
    Transport,
    make_response,
    new_call_id,
)
from sipdect.sip.transaction import Event
from sipdect.waiting import DEFAULT_TIMEOUT, until

ACCOUNTS = {"1001": "Alice-pw1"}


@dataclass
class Omm:
    model: OmmModel
    registrations: Registrations
    pp_state: dict[int, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
def certs(tmp_path: Path) -> tuple[Path, Path]:
    return tls.ensure_certificate(tmp_path / "pbx-tls", "sipdect test pbx")


@pytest.fixture
async def make_omm(tmp_path: Path, certs: tuple[Path, Path]) -> AsyncIterator[
        Callable[[dict[str, dict[str, Any]]], Any]]:
    made: list[Omm] = []

    async def make(settings: dict[str, dict[str, Any]]) -> Omm:
        model = OmmModel(tmp_path / f"omm{len(made)}",
                         OmmSetup("Test", [InitialAccount("omm", "Sipdect-1")]))
        for group, values in settings.items():
            model.settings.update(group, values)
        user = model.users.create({"num": "1001", "sipPw": ACCOUNTS["1001"]})
        model.devices.create({}, ppn=1)
        model.relations.attach(user["uid"], 1, "Fixed")
        omm = Omm(model, Registrations(model, "127.0.0.1", first_backoff=0.2,
                                       tls_cafile=certs[0],
                                       tls_server=TlsServerOptions(*certs)))
        omm.registrations.on_pp_state = lambda ppn, v: omm.pp_state.setdefault(
            ppn, {}).update(v)
        await omm.registrations.start()
        made.append(omm)
        return omm

    yield make
    for omm in made:
        await omm.registrations.stop()
        omm.model.close()


@pytest.fixture
async def pbx(certs: tuple[Path, Path]) -> AsyncIterator[PbxServer]:
    server = await PbxServer.start(PbxConfig(accounts=ACCOUNTS), tcp_port=0, tls_port=0,
                                   tls_server=TlsServerOptions(*certs),
                                   tls_client=TlsClientOptions(cafile=certs[0]))
    yield server
    await server.close()


def bound(pbx: PbxServer) -> bool:
    return pbx.registrar.lookup("1001", pbx.transport.now()) is not None


def port_of(pbx: PbxServer, kind: Transport) -> int:
    local = pbx.transport.local_address(kind)
    assert local is not None
    return local.port


@pytest.mark.parametrize("prot,kind", [("TCP", Transport.TCP), ("TLS", Transport.TLS),
                                       ("PersistentTLS", Transport.TLS),
                                       ("UDPAndTCP", Transport.UDP)])
async def test_register_over_the_configured_transport(make_omm: Any, pbx: PbxServer,
                                                      prot: str, kind: Transport) -> None:
    omm = await make_omm({"BasicSIP": {"regServer": "127.0.0.1",
                                       "regPort": port_of(pbx, kind), "transportProt": prot,
                                       "regPeriod": 600}})
    # The PBX binds before its 200 reaches the OMM: wait for both ends.
    await until(lambda: bound(pbx) and omm.pp_state.get(1, {}).get("registered") == "1",
                f"a binding over {prot}, and the OMM's device registered")
    contact = omm.registrations.contact("1001")
    if kind is Transport.UDP:
        assert "transport" not in contact.sip_uri.params
        return
    assert contact.sip_uri.params.get("transport") == kind.value.lower()
    # The PBX reaches the user back over the same transport: OPTIONS through the proxy.
    caller = SipTransport()
    await caller.listen(Transport.UDP)
    try:
        h = Headers()
        for name, value in (("Max-Forwards", "70"), ("From", f"<sip:x@{pbx.address.host}>;tag=1"),
                            ("To", f"<sip:1001@{pbx.address.host}>"),
                            ("Call-ID", new_call_id("127.0.0.1")), ("CSeq", "1 OPTIONS")):
            h.add(name, value)
        options = Request("OPTIONS", SipUri(pbx.address.host, "1001", port=pbx.address.port), h)
        answer = await asyncio.wait_for(caller.request(options, pbx.address), DEFAULT_TIMEOUT)
        assert answer.status == 200
    finally:
        await caller.close()


async def test_udp_and_tcp_share_a_port_even_when_the_first_free_one_is_taken_for_tcp(
        make_omm: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    listen = SipTransport.listen
    refused: list[int] = []

    async def busy_once(self: SipTransport, transport: Transport, host: str = "127.0.0.1",
                        port: int = 0, tls_server: TlsServerOptions | None = None) -> Peer:
        if transport is Transport.TCP and not refused:
            refused.append(port)  # as if a connection's local end held that number
            raise SipTransportError(f"cannot listen for SIP on tcp:{host}:{port}: in use")
        return await listen(self, transport, host, port, tls_server)

    monkeypatch.setattr(SipTransport, "listen", busy_once)
    omm = await make_omm({})
    locals_ = omm.registrations.locals
    assert len(refused) == 1 and locals_[Transport.UDP].port == locals_[Transport.TCP].port
    assert not any("no SIP over TCP" in e.msg for e in omm.model.event_log.entries(0, 100))


async def test_tls_certificate_naming_another_host_is_refused_unless_unchecked(
        make_omm: Any, tmp_path: Path) -> None:
    cert, key = tls.ensure_certificate(tmp_path / "other-tls", "other", ("other.example",))
    pbx = await PbxServer.start(PbxConfig(accounts=ACCOUNTS), tls_port=0,
                                tls_server=TlsServerOptions(cert, key))
    try:
        basic = {"regServer": "127.0.0.1", "regPort": port_of(pbx, Transport.TLS),
                 "transportProt": "TLS", "regPeriod": 600}
        omm = await make_omm({"BasicSIP": basic})

        def failed() -> bool:
            return any("SIP registration of user 1001 failed" in e.msg
                       for e in omm.model.event_log.entries(0, 100))

        await until(failed, "the refused certificate in the event log")
        assert not bound(pbx)
        await omm.registrations.stop()
        omm.registrations.tls_cafile = cert
        await omm.registrations.start()
        omm.model.settings.update("SecureSIP", {"commonNameValidationTLS": False})
        await until(lambda: bound(pbx), "a binding without the name check")
    finally:
        await pbx.close()


async def test_requests_go_through_the_outbound_proxy(make_omm: Any) -> None:
    seen: list[Request] = []
    proxy = SipTransport()
    address = await proxy.listen(Transport.UDP)

    def answer(event: Event) -> None:
        if isinstance(event, RequestReceived) and event.transaction is not None:
            seen.append(event.request)
            ok = make_response(event.request, 200)
            ok.headers.add("Contact", event.request.headers.get("Contact") or "")
            ok.headers.add("Expires", "600")
            proxy.send_response(ok, event.transaction)

    proxy.on_event = answer
    try:
        omm = await make_omm({"BasicSIP": {
            "regServer": "registrar.example", "regPort": 5070, "regPeriod": 600,
            "outboundProxyServer": address.host, "outboundProxyPort": address.port}})
        await until(lambda: seen, "the REGISTER at the outbound proxy")
        assert str(seen[0].uri) == "sip:registrar.example:5070"
        assert [str(r.sip_uri) for r in seen[0].routes] == [
            f"sip:{address.host}:{address.port};lr"]
        await until(lambda: omm.pp_state.get(1, {}).get("registered") == "1", "registered")
    finally:
        await proxy.close()


async def test_fail_over_to_the_secondary_registrar(make_omm: Any, pbx: PbxServer) -> None:
    silent = SipTransport()  # a primary that never answers
    dead = await silent.listen(Transport.UDP)
    silent.on_event = lambda event: None
    try:
        omm = await make_omm({
            "BasicSIP": {"regServer": dead.host, "regPort": dead.port, "regPeriod": 600},
            "BackupSIP": {"failoverActive": True, "failoverTime": 1,
                          "secondaryRegServer": pbx.address.host,
                          "secondaryRegPort": pbx.address.port}})
        await until(lambda: bound(pbx), "a binding at the secondary")
        await until(lambda: omm.pp_state.get(1, {}).get("regServerType") == "Secondary",
                    "regServerType Secondary")
        assert omm.pp_state[1]["regServerPort"] == str(pbx.address.port)
        [reg] = omm.registrations.users.values()
        assert reg.registrar.tier == "Secondary"
        assert any("(Secondary)" in e.msg for e in omm.model.event_log.entries(0, 100))
    finally:
        await silent.close()


async def test_two_quick_changes_of_the_sip_settings_both_take_effect(make_omm: Any,
                                                                      pbx: PbxServer) -> None:
    """SecureSIP then BasicSIP at once (as a web form or a script saves them): each asks for
    new TLS options; the OMM re-registers once with both, instead of two reopens each waiting
    for the other for ever."""
    omm = await make_omm({"BasicSIP": {"regServer": "127.0.0.1",
                                       "regPort": port_of(pbx, Transport.UDP),
                                       "regPeriod": 600}})
    await until(lambda: bound(pbx) and omm.pp_state.get(1, {}).get("registered") == "1",
                "the binding over UDP")
    omm.model.settings.update("SecureSIP", {"commonNameValidationTLS": False})
    omm.model.settings.update("BasicSIP", {"transportProt": "TLS",
                                           "regPort": port_of(pbx, Transport.TLS)})

    def over_tls() -> bool:
        contact = omm.registrations.contact("1001")
        return (contact.sip_uri.params.get("transport") == "tls" and bound(pbx)
                and omm.pp_state.get(1, {}).get("registered") == "1")

    await until(over_tls, "the binding over TLS after both changes")
