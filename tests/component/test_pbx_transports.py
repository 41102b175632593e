"""The embedded call server over TCP and TLS: registration, calls on one transport and between
transports (double Record-Route, ACK and BYE along it), the SRTP setting (488), and the
MiVO400 protections (IP block, 503 past the transaction limit) on TCP as on UDP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim.pbx import PbxConfig, PbxServer, SrtpPolicy
from sipdect import tls
from sipdect.sip import (
    Address,
    DigestClient,
    Peer,
    Request,
    RequestReceived,
    Response,
    SipTransport,
    SipUri,
    TlsClientOptions,
    TlsServerOptions,
    Transport,
    make_dialog_response,
    make_response,
    new_tag,
    next_hop,
)
from sipdect.sip.dialog import Dialog
from sipdect.sip.message import uri_destination
from sipdect.sip.transaction import Event
from sipdect.waiting import DEFAULT_TIMEOUT, until
from tests.component.test_pbx import request as phone_request

ACCOUNTS = {"201": "Alice-pw-201", "202": "Bob-pw-202"}
AVP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 5004 RTP/AVP 8\r\n")
SAVP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        b"m=audio 5004 RTP/SAVP 8\r\n"
        b"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n")


@dataclass
class Certs:
    cert: Path
    key: Path


@dataclass
class Ua:
    """A SIP phone on one transport: answers INVITE 180/200 (or stays silent) and BYE 200."""

    user: str
    kind: Transport
    transport: SipTransport
    address: Peer
    silent: bool = False
    seen: list[Request] = field(default_factory=list)
    acked: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def contact(self) -> Address:
        params: dict[str, str | None] = {}
        if self.kind is not Transport.UDP:
            params["transport"] = self.kind.lower()
        return Address(SipUri(self.address.host, self.user, port=self.address.port,
                              params=params))

    def __call__(self, event: Event) -> None:
        if not isinstance(event, RequestReceived):
            return
        request = event.request
        self.seen.append(request)
        if request.method == "ACK":
            self.acked.set()
            return
        assert event.transaction is not None
        if request.method == "INVITE":
            if self.silent:
                return
            tag = new_tag()
            for status in (180, 200):
                self.transport.send_response(make_dialog_response(
                    request, status, to_tag=tag, contact=self.contact, body=request.body,
                    content_type="application/sdp" if status == 200 else None),
                    event.transaction)
        else:
            self.transport.send_response(make_response(request, 200), event.transaction)


@pytest.fixture
def certs(tmp_path: Path) -> Certs:
    cert, key = tls.ensure_certificate(tmp_path / "tls", "sipdect test")
    return Certs(cert, key)


async def start_pbx(certs: Certs, **options: object) -> PbxServer:
    config = PbxConfig(accounts=ACCOUNTS, block_seconds=0.5, **options)  # type: ignore[arg-type]
    return await PbxServer.start(config, tcp_port=0, tls_port=0,
                                 tls_server=TlsServerOptions(certs.cert, certs.key),
                                 tls_client=TlsClientOptions(cafile=certs.cert))


@pytest.fixture
async def pbx(certs: Certs) -> AsyncIterator[PbxServer]:
    server = await start_pbx(certs)
    yield server
    await server.close()


@pytest.fixture
async def uas(certs: Certs) -> AsyncIterator[list[Ua]]:
    made: list[Ua] = []
    yield made
    for ua in made:
        await ua.transport.close()


async def make_ua(made: list[Ua], certs: Certs, user: str, kind: Transport, *,
                  silent: bool = False) -> Ua:
    transport = SipTransport(tls_client=TlsClientOptions(cafile=certs.cert))
    tls_server = TlsServerOptions(certs.cert, certs.key) if kind is Transport.TLS else None
    ua = Ua(user, kind, transport, await transport.listen(kind, tls_server=tls_server),
            silent=silent)
    transport.on_event = ua
    made.append(ua)
    return ua


def request(method: str, pbx: PbxServer, ua: Ua, to_user: str, *,
            expires: int | None = None) -> Request:
    return phone_request(method, pbx.addresses[ua.kind], ua, to_user, expires=expires)


async def ask(ua: Ua, pbx: PbxServer, req: Request) -> Response:
    return await asyncio.wait_for(ua.transport.request(req, pbx.addresses[ua.kind]),
                                  DEFAULT_TIMEOUT)


async def authed(ua: Ua, pbx: PbxServer, req: Request,
                 password: str | None = None) -> tuple[Request, Response]:
    first = await ask(ua, pbx, req)
    assert first.status == 401, first.status
    retry = DigestClient(ua.user, password or ACCOUNTS[ua.user]).authorize(req, first)
    assert retry is not None
    return retry, await ask(ua, pbx, retry)


async def register(ua: Ua, pbx: PbxServer) -> None:
    _, ok = await authed(ua, pbx, request("REGISTER", pbx, ua, ua.user))
    assert ok.status == 200, ok.status


@pytest.mark.parametrize("kind", [Transport.TCP, Transport.TLS])
async def test_register_over_a_stream(pbx: PbxServer, uas: list[Ua], certs: Certs,
                                      kind: Transport) -> None:
    alice = await make_ua(uas, certs, "201", kind)
    await register(alice, pbx)
    [binding] = pbx.registrations()
    assert binding.user == "201" and binding.source.transport is kind
    assert binding.contact.sip_uri.transport == kind.lower()
    assert pbx.registered("201") and not pbx.registered("202")
    assert pbx.access_logs()["successful"][-1].transport == kind


@pytest.mark.parametrize(("caller", "callee"), [
    (Transport.TCP, Transport.TCP), (Transport.TLS, Transport.TLS),
    (Transport.UDP, Transport.TCP), (Transport.TLS, Transport.UDP)])
async def test_call_on_and_between_transports(pbx: PbxServer, uas: list[Ua], certs: Certs,
                                              caller: Transport, callee: Transport) -> None:
    alice = await make_ua(uas, certs, "201", caller)
    bob = await make_ua(uas, certs, "202", callee)
    for ua in (alice, bob):
        await register(ua, pbx)
    invite = request("INVITE", pbx, alice, "202")
    invite.headers.add("Content-Type", "application/sdp")
    invite.body = AVP
    sent, answer = await authed(alice, pbx, invite)
    assert answer.status == 200 and answer.body == AVP

    routes = [a.sip_uri for a in answer.record_routes]
    expected = [pbx.addresses[callee]] if caller is callee else [
        pbx.addresses[callee], pbx.addresses[caller]]
    assert [(u.port, u.transport) for u in routes] == [
        (p.port, None if p.transport is Transport.UDP else p.transport.lower())
        for p in expected]
    [at_bob] = [r for r in bob.seen if r.method == "INVITE"]
    assert at_bob.top_via.transport == callee

    dialog = Dialog.from_uac(sent, answer)
    ack = dialog.create_ack(sent)
    hop = uri_destination(next_hop(ack))
    assert hop == pbx.addresses[caller]  # the caller's own transport
    alice.transport.send_stateless(ack, hop)
    await asyncio.wait_for(bob.acked.wait(), DEFAULT_TIMEOUT)

    bye = dialog.create_request("BYE")
    done = await asyncio.wait_for(alice.transport.request(bye), DEFAULT_TIMEOUT)
    assert done.status == 200
    [bye_at_bob] = [r for r in bob.seen if r.method == "BYE"]
    assert bye_at_bob.routes == [] and len(bye_at_bob.via) == 2


async def test_srtp_required_refuses_plain_offers_with_488(uas: list[Ua], certs: Certs) -> None:
    pbx = await start_pbx(certs, srtp=SrtpPolicy.REQUIRED)
    try:
        alice = await make_ua(uas, certs, "201", Transport.TCP)
        bob = await make_ua(uas, certs, "202", Transport.TCP)
        for ua in (alice, bob):
            await register(ua, pbx)
        plain = request("INVITE", pbx, alice, "202")
        plain.headers.add("Content-Type", "application/sdp")
        plain.body = AVP
        _, refused = await authed(alice, pbx, plain)
        assert refused.status == 488
        assert "RTP/SAVP" in (refused.headers.get("Warning") or "")
        _, no_offer = await authed(alice, pbx, request("INVITE", pbx, alice, "202"))
        assert no_offer.status == 488
        assert not [r for r in bob.seen if r.method == "INVITE"]
        keyed = request("INVITE", pbx, alice, "202")
        keyed.headers.add("Content-Type", "application/sdp")
        keyed.body = SAVP
        _, answer = await authed(alice, pbx, keyed)
        assert answer.status == 200 and answer.body == SAVP
    finally:
        await pbx.close()


async def test_srtp_off_refuses_srtp_only_offers(pbx: PbxServer, uas: list[Ua],
                                                 certs: Certs) -> None:
    assert pbx.config.srtp is SrtpPolicy.NO  # the MiVO400 default
    alice = await make_ua(uas, certs, "201", Transport.UDP)
    bob = await make_ua(uas, certs, "202", Transport.UDP)
    for ua in (alice, bob):
        await register(ua, pbx)
    srtp_only = request("INVITE", pbx, alice, "202")
    srtp_only.headers.add("Content-Type", "application/sdp")
    srtp_only.body = SAVP
    _, refused = await authed(alice, pbx, srtp_only)
    assert refused.status == 488


async def test_wrong_passwords_over_tcp_block_the_ip_on_every_transport(
        pbx: PbxServer, uas: list[Ua], certs: Certs) -> None:
    alice = await make_ua(uas, certs, "201", Transport.TCP)
    statuses = []
    for _ in range(pbx.config.max_auth_failures):
        _, refused = await authed(alice, pbx, request("REGISTER", pbx, alice, "201"),
                                  password="wrong")
        statuses.append(refused.status)
    assert statuses == [401] * 9 + [403]
    assert {r.transport for r in pbx.access_logs()["failed"]} == {"TCP"}
    over_udp = await make_ua(uas, certs, "201", Transport.UDP)
    blocked = await ask(over_udp, pbx, request("REGISTER", pbx, over_udp, "201"))
    assert blocked.status == 403  # the address is blocked, not the connection


async def test_transaction_limit_per_ip_over_tcp(uas: list[Ua], certs: Certs) -> None:
    pbx = await start_pbx(certs, max_transactions_per_ip=2)
    try:
        alice = await make_ua(uas, certs, "201", Transport.TCP)
        # All over TCP: finished transactions end at once (no Timer J), so only the two
        # pending INVITEs count towards 127.0.0.1's limit.
        bob = await make_ua(uas, certs, "202", Transport.TCP, silent=True)
        for ua in (alice, bob):
            await register(ua, pbx)
        pending = []
        for _ in range(2):  # two INVITEs the silent callee holds open at the server
            invite = request("INVITE", pbx, alice, "202")
            first = await ask(alice, pbx, invite)
            retry = DigestClient("201", ACCOUNTS["201"]).authorize(invite, first)
            assert retry is not None
            pending.append(asyncio.ensure_future(alice.transport.request(
                retry, pbx.addresses[Transport.TCP])))
        await until(lambda: len([r for r in bob.seen if r.method == "INVITE"]) == 2,
                    "both INVITEs held open at the silent callee")
        busy = await ask(alice, pbx, request("OPTIONS", pbx, alice, "202"))
        assert busy.status == 503 and busy.headers.get("Retry-After")
        for fut in pending:
            fut.cancel()
    finally:
        await pbx.close()
