"""SIP phones (sim.phone.service.PhoneService) against the embedded call server over loopback, each
phone on an address of its own: registration seen from that address (UDP, TCP, TLS), a
wrong password blocked after max_auth_failures while another address keeps registering,
two phones calling each other through the PBX and hearing each other's tone, stop
un-registering and kill leaving the binding behind."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from sim.pbx import PbxConfig, PbxServer
from sim.phone.agent import PhoneError
from sim.phone.config import PhoneConfig
from sim.phone.service import PhoneService
from sipdect import tls
from sipdect.sip.message import Transport
from sipdect.sip.transport import TlsClientOptions, TlsServerOptions
from sipdect.waiting import until

ACCOUNTS = {"300": "Phone-300-pw", "301": "Phone-301-pw", "302": "Phone-302-pw"}
FAST_RETRY = {"retry_seconds": 0.01, "retry_max_seconds": 0.05}
"""Registration retries in tests: every few ms instead of 30 s doubling to 30 min."""


@pytest.fixture
async def pbx() -> AsyncIterator[PbxServer]:
    server = await PbxServer.start(PbxConfig(accounts=ACCOUNTS, min_expires=1),
                                   "127.0.0.1", 0, tcp_port=0)
    yield server
    await server.close()


@pytest.fixture
async def phones(pbx: PbxServer) -> AsyncIterator[Callable[..., Any]]:
    """Start phones at the call server's UDP or TCP listener; all are killed at the end."""
    started: list[PhoneService] = []

    async def start(address: str, user: str, **config: Any) -> PhoneService:
        kind = config.get("transport", Transport.UDP)
        server = pbx.addresses[kind]
        phone = PhoneService(
            PhoneConfig(f"phone-{user}", user, config.pop("password", ACCOUNTS[user]),
                        sip_port=0, **config),
            address, call_server=(server.host, server.port))
        await phone.start()
        started.append(phone)
        return phone

    yield start
    for phone in started:
        phone.kill()


def binding(pbx: PbxServer, user: str) -> Any:
    return next((b for b in pbx.registrations() if b.user == user), None)


def state(phone: PhoneService) -> str:
    return str(phone.describe()["registration"]["state"])


def call_state(phone: PhoneService) -> str | None:
    calls = phone.describe()["calls"]
    return str(calls[0]["state"]) if calls else None


async def test_a_phone_registers_from_its_own_address_and_unregisters_at_stop(
        pbx: PbxServer, phones: Callable[..., Any]) -> None:
    phone = await phones("127.0.0.5", "300")
    await until(lambda: binding(pbx, "300"), "300 registered")
    registered = binding(pbx, "300")
    assert registered.source.host == "127.0.0.5"
    assert str(registered.contact.uri).startswith("sip:300@127.0.0.5:")
    described = phone.describe()
    assert described["registration"]["state"] == "registered"
    assert described["registration"]["last_response"] == "200 OK"
    await phone.stop()
    assert binding(pbx, "300") is None
    assert state(phone) == "unregistered"


@pytest.mark.parametrize("kind", [Transport.TCP, Transport.TLS])
async def test_stream_transports_leave_from_the_phones_address(
        kind: Transport, tmp_path: Path) -> None:
    """Registration and a call over TCP or TLS: the call server sees each phone's address
    and reaches it at its own listener (for TLS it trusts the phones' certificates)."""
    cert, key = tls.ensure_certificate(tmp_path / "pbx", "pbx.test", ("127.0.0.1",))
    trusted = tmp_path / "trusted.pem"
    pbx = await PbxServer.start(PbxConfig(accounts=ACCOUNTS), "127.0.0.1", 0, tcp_port=0,
                                tls_port=0, tls_server=TlsServerOptions(cert, key),
                                tls_client=TlsClientOptions(cafile=trusted))
    server = pbx.addresses[kind]
    phones = [PhoneService(PhoneConfig(f"phone-{user}", user, ACCOUNTS[user], transport=kind,
                                       sip_port=0, tone_hz=tone),
                           address, call_server=(server.host, server.port),
                           data_dir=tmp_path / user, tls_client=TlsClientOptions(cafile=cert))
              for user, address, tone in (("300", "127.0.0.5", 700.0),
                                          ("301", "127.0.0.6", 900.0))]
    alice, bob = phones
    try:
        for phone in phones:
            await phone.start()
        if kind is Transport.TLS:
            trusted.write_text("".join(p.certificate.read_text() for p in phones
                                       if p.certificate is not None))
        await until(lambda: binding(pbx, "300") and binding(pbx, "301"),
                    f"both registered over {kind}")
        source = binding(pbx, "301").source
        assert (source.transport, source.host) == (kind, "127.0.0.6")
        assert f";transport={kind.lower()}" in str(binding(pbx, "301").contact)
        alice.call("301")
        await until(lambda: call_state(bob) == "incoming", f"bob's phone to ring over {kind}")
        bob.answer()
        await until(lambda: alice.hears(900.0).present, "alice to hear bob")
        alice.hang_up()
        await until(lambda: call_state(bob) == "ended", "bob to see the hang-up")
    finally:
        for phone in phones:
            phone.kill()
        await pbx.close()


async def test_a_wrong_password_gets_its_address_blocked_not_the_others(
        pbx: PbxServer, phones: Callable[..., Any]) -> None:
    good = await phones("127.0.0.6", "301", expires=1)  # refreshes every 0.9 s
    await until(lambda: binding(pbx, "301"), "301 registered")
    bad = await phones("127.0.0.5", "300", password="guess", **FAST_RETRY)
    await until(lambda: state(bad) == "blocked", "the guessing phone to be blocked")
    assert bad.describe()["registration"]["last_response"] == "403 Source Address Blocked"
    assert pbx.guard.blocked("127.0.0.5", pbx.transport.now())
    failed = pbx.access_logs()["failed"]
    assert [e.reason for e in failed[:10]] == ["wrong password"] * 10
    assert {e.host for e in failed} == {"127.0.0.5"}

    def good_logins() -> int:
        return sum(e.host == "127.0.0.6" for e in pbx.access_logs()["successful"])

    before = good_logins()
    await until(lambda: good_logins() > before, "301 to refresh while 127.0.0.5 is blocked")
    assert state(good) == "registered"
    assert not pbx.guard.blocked("127.0.0.6", pbx.transport.now())


async def test_two_phones_call_each_other_through_the_call_server(
        pbx: PbxServer, phones: Callable[..., Any]) -> None:
    alice = await phones("127.0.0.5", "300", tone_hz=700.0, display_name="Alice")
    bob = await phones("127.0.0.6", "301", tone_hz=900.0)
    await until(lambda: alice.registered and bob.registered, "both registered")
    alice.call("301")
    await until(lambda: call_state(bob) == "incoming", "bob's phone to ring")
    await until(lambda: call_state(alice) == "ringback", "alice to hear it ring")
    assert bob.describe()["calls"][0]["remote"] == "sip:300@127.0.0.1"
    with pytest.raises(PhoneError, match="hang up first"):
        alice.call("302")
    bob.answer()
    await until(lambda: call_state(alice) == "connected", "alice to see the answer")
    await until(lambda: alice.hears(900.0).present, "alice to hear bob's tone")
    await until(lambda: bob.hears(700.0).present, "bob to hear alice's tone")
    media = alice.describe()["calls"][0]["media"]
    assert media["remote"].startswith("127.0.0.6:") and media["codec"] == "PCMA"
    alice.hang_up()
    await until(lambda: call_state(bob) == "ended", "bob to see the hang-up")
    assert bob.describe()["calls"][0]["end"] == "Normal"
    assert alice.describe()["calls"][0]["end"] == "HungUp"
    assert not bob.hears(700.0).present


async def test_auto_answer_busy_and_rejected_calls(
        pbx: PbxServer, phones: Callable[..., Any]) -> None:
    alice = await phones("127.0.0.5", "300")
    bob = await phones("127.0.0.6", "301", auto_answer=0.2)
    carol = await phones("127.0.0.7", "302")
    await until(lambda: alice.registered and bob.registered and carol.registered,
                "all registered")
    alice.call("301")
    await until(lambda: call_state(bob) == "connected", "bob's phone to answer by itself")
    carol.call("301")
    await until(lambda: call_state(carol) == "ended", "carol to hear busy")
    assert carol.describe()["calls"][0]["end"] == "Busy"
    bob.hang_up()
    await until(lambda: call_state(alice) == "ended", "alice to see bob hang up")
    alice.call("302")
    await until(lambda: call_state(carol) == "incoming", "carol's phone to ring")
    carol.reject()
    await until(lambda: call_state(alice) == "ended", "alice to see the rejection")
    assert alice.describe()["calls"][0] == {
        "call_id": alice.describe()["calls"][0]["call_id"], "direction": "outgoing",
        "remote": "sip:302@127.0.0.1", "state": "ended", "end": "Busy", "status": 486}


async def test_kill_is_a_power_cut_the_binding_stays(
        pbx: PbxServer, phones: Callable[..., Any]) -> None:
    phone = await phones("127.0.0.5", "300")
    await until(lambda: binding(pbx, "300"), "300 registered")
    phone.kill()
    assert phone.describe()["registration"]["state"] == "registered"  # as it was at the cut
    assert not phone.describe()["running"]
    again = await phones("127.0.0.5", "300")  # rebooted: new ports, a second binding
    await until(lambda: again.registered, "the rebooted phone to register")
    contacts = {str(b.contact.uri) for b in pbx.registrations() if b.user == "300"}
    assert contacts == {phone.describe()["contact"].strip("<>"),
                        again.describe()["contact"].strip("<>")}
