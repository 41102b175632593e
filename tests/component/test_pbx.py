"""The embedded call server over loopback UDP with sipdect.sip clients: REGISTER challenge
and 200, a call through the record-routing proxy (INVITE 401 and retry, 180/200, ACK and BYE
via Record-Route), 404/480/423, and an IP blocked after 10 wrong passwords."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

import pytest

from sim.pbx import PbxConfig, PbxServer, SrtpPolicy
from sipdect.sip import (
    Address,
    DigestClient,
    Headers,
    Peer,
    Request,
    RequestReceived,
    Response,
    SipTransport,
    SipUri,
    Transport,
    make_dialog_response,
    make_response,
    new_call_id,
    new_tag,
    next_hop,
)
from sipdect.sip.dialog import Dialog
from sipdect.sip.message import uri_destination
from sipdect.sip.transaction import CancelReceived, Event, client_key
from sipdect.waiting import DEFAULT_TIMEOUT, until

ACCOUNTS = {"1001": "Alice-pw1", "1002": "Bob-pw22", "1003": "Carol-pw3"}
SDP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 5004 RTP/SAVP 0\r\n"
       b"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n")


@dataclass
class Phone:
    """A SIP endpoint: a SipTransport that answers INVITE 180/200 and BYE 200."""

    user: str
    transport: SipTransport
    address: Peer
    seen: list[Request] = field(default_factory=list)
    acked: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def contact(self) -> Address:
        return Address(SipUri(self.address.host, self.user, port=self.address.port))

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
            tag = new_tag()
            self.transport.send_response(
                make_dialog_response(request, 180, to_tag=tag, contact=self.contact),
                event.transaction)
            self.transport.send_response(
                make_dialog_response(request, 200, to_tag=tag, contact=self.contact,
                                     body=request.body, content_type="application/sdp"),
                event.transaction)
        else:
            self.transport.send_response(make_response(request, 200), event.transaction)


@pytest.fixture
async def pbx() -> AsyncIterator[PbxServer]:
    server = await PbxServer.start(PbxConfig(accounts=ACCOUNTS, block_seconds=0.5,
                                             srtp=SrtpPolicy.OPTIONAL))
    yield server
    await server.close()


@pytest.fixture
async def phones() -> AsyncIterator[dict[str, Phone]]:
    out = {}
    for user in ("1001", "1002"):
        transport = SipTransport()
        phone = Phone(user, transport, await transport.listen(Transport.UDP))
        transport.on_event = phone
        out[user] = phone
    yield out
    for phone in out.values():
        await phone.transport.close()


class Caller(Protocol):
    """What a request needs of the phone sending it."""

    user: str

    @property
    def contact(self) -> Address: ...


def request(method: str, pbx: Peer, phone: Caller, to_user: str, *,
            expires: int | None = None) -> Request:
    h = Headers()
    h.add("Max-Forwards", "70")
    h.add("From", f"<sip:{phone.user}@{pbx.host}>;tag={new_tag()}")
    h.add("To", f"<sip:{to_user}@{pbx.host}>")
    h.add("Call-ID", new_call_id("127.0.0.1"))
    h.add("CSeq", f"1 {method}")
    h.add("Contact", str(phone.contact))
    if expires is not None:
        h.add("Expires", str(expires))
    user = None if method == "REGISTER" else to_user
    return Request(method, SipUri(pbx.host, user, port=pbx.port), h)


async def ask(phone: Phone, req: Request) -> Response:
    return await asyncio.wait_for(phone.transport.request(req), DEFAULT_TIMEOUT)


async def authed(phone: Phone, req: Request, password: str | None = None) -> tuple[
        Request, Response]:
    """Send `req`, answer its 401 once; the request actually answered and its response."""
    first = await ask(phone, req)
    assert first.status == 401, first.status
    retry = DigestClient(phone.user, password or ACCOUNTS[phone.user]).authorize(req, first)
    assert retry is not None
    return retry, await ask(phone, retry)


async def test_register_challenge_then_200_and_unregister(
        pbx: PbxServer, phones: dict[str, Phone]) -> None:
    alice = phones["1001"]
    _, ok = await authed(alice, request("REGISTER", pbx.address, alice, "1001", expires=600))
    assert ok.status == 200
    assert [c.params.get("expires") for c in ok.contacts] == ["600"]
    now = pbx.transport.now()
    assert pbx.registrar.lookup("1001", now) is not None
    assert pbx.access_logs()["successful"][-1].user == "1001"
    _, gone = await authed(alice, request("REGISTER", pbx.address, alice, "1001", expires=0))
    assert gone.status == 200 and gone.contacts == []
    assert pbx.registrar.lookup("1001", pbx.transport.now()) is None


async def test_too_brief_interval_is_423(pbx: PbxServer, phones: dict[str, Phone]) -> None:
    alice = phones["1001"]
    _, brief = await authed(alice, request("REGISTER", pbx.address, alice, "1001", expires=5))
    assert brief.status == 423
    assert brief.headers.get("Min-Expires") == str(pbx.config.min_expires)


async def test_call_through_the_proxy(pbx: PbxServer, phones: dict[str, Phone]) -> None:
    alice, bob = phones["1001"], phones["1002"]
    for phone in (alice, bob):
        _, ok = await authed(phone, request("REGISTER", pbx.address, phone, phone.user))
        assert ok.status == 200
    invite = request("INVITE", pbx.address, alice, "1002")
    invite.headers.add("Content-Type", "application/sdp")
    invite.body = SDP
    sent, answer = await authed(alice, invite)
    assert answer.status == 200
    assert answer.body == SDP  # media-transparent: the SRTP crypto line is untouched
    [at_bob] = [r for r in bob.seen if r.method == "INVITE"]
    assert at_bob.body == SDP and len(at_bob.via) == 2
    assert at_bob.headers.get("Authorization") is None
    assert [str(a.sip_uri) for a in answer.record_routes] == [
        f"sip:{pbx.address.host}:{pbx.address.port};lr"]

    dialog = Dialog.from_uac(sent, answer)
    ack = dialog.create_ack(sent)
    alice.transport.send_stateless(ack, uri_destination(next_hop(ack)))
    await asyncio.wait_for(bob.acked.wait(), DEFAULT_TIMEOUT)
    [ack_at_bob] = [r for r in bob.seen if r.method == "ACK"]
    assert len(ack_at_bob.via) == 2  # it came through the proxy

    bye = dialog.create_request("BYE")
    assert next_hop(bye).port == pbx.address.port
    done = await ask(alice, bye)
    assert done.status == 200
    [bye_at_bob] = [r for r in bob.seen if r.method == "BYE"]
    assert len(bye_at_bob.via) == 2 and bye_at_bob.routes == []


async def test_unknown_user_404_and_unregistered_480(
        pbx: PbxServer, phones: dict[str, Phone]) -> None:
    alice = phones["1001"]
    _, unknown = await authed(alice, request("INVITE", pbx.address, alice, "4711"))
    assert unknown.status == 404
    _, absent = await authed(alice, request("INVITE", pbx.address, alice, "1003"))
    assert absent.status == 480


async def test_ten_wrong_passwords_block_the_ip(pbx: PbxServer,
                                                phones: dict[str, Phone]) -> None:
    alice = phones["1001"]
    statuses = []
    for _ in range(10):
        _, refused = await authed(alice, request("REGISTER", pbx.address, alice, "1001"),
                                  password="wrong")
        statuses.append(refused.status)
    assert statuses == [401] * 9 + [403]
    blocked = await ask(alice, request("REGISTER", pbx.address, alice, "1001"))
    assert blocked.status == 403  # even before any credentials: the address is blocked
    logs = pbx.access_logs()
    assert [r.reason for r in logs["failed"]] == ["wrong password"] * 10 + ["blocked"]
    assert '"blocked"' in pbx.access_logs_json()
    await until(lambda: not pbx.guard.blocked(alice.address.host, pbx.transport.now()),
                "the block to run out")
    _, ok = await authed(alice, request("REGISTER", pbx.address, alice, "1001"))
    assert ok.status == 200


@dataclass
class Ringer(Phone):
    """Rings and never answers: the caller's CANCEL must come through the proxy."""

    ringing: asyncio.Event = field(default_factory=asyncio.Event)
    pending: list[tuple[Request, object]] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        if isinstance(event, CancelReceived):
            request, key = self.pending.pop()
            self.transport.send_response(make_response(request, 487, to_tag=event.to_tag),
                                         key)  # type: ignore[arg-type]
            return
        if isinstance(event, RequestReceived) and event.request.method == "INVITE":
            self.seen.append(event.request)
            assert event.transaction is not None
            self.pending.append((event.request, event.transaction))
            self.transport.send_response(make_dialog_response(
                event.request, 180, to_tag=new_tag(), contact=self.contact), event.transaction)
            self.ringing.set()
            return
        super().__call__(event)


async def register(pbx: PbxServer, phone: Phone) -> None:
    _, ok = await authed(phone, request("REGISTER", pbx.address, phone, phone.user))
    assert ok.status == 200


async def test_cancel_passes_through_the_proxy(pbx: PbxServer,
                                               phones: dict[str, Phone]) -> None:
    alice = phones["1001"]
    transport = SipTransport()
    carol = Ringer("1003", transport, await transport.listen(Transport.UDP))
    transport.on_event = carol
    try:
        await register(pbx, alice)
        await register(pbx, carol)
        invite = request("INVITE", pbx.address, alice, "1003")
        first = await ask(alice, invite)
        retry = DigestClient("1001", ACCOUNTS["1001"]).authorize(invite, first)
        assert retry is not None
        retry.headers.prepend("Via", str(alice.transport.make_via(Transport.UDP)))
        fut = asyncio.ensure_future(alice.transport.request(retry))
        await asyncio.wait_for(carol.ringing.wait(), DEFAULT_TIMEOUT)
        alice.transport.cancel(client_key(retry))
        final = await asyncio.wait_for(fut, DEFAULT_TIMEOUT)
        assert final.status == 487
    finally:
        await transport.close()


async def test_options_and_info(pbx: PbxServer, phones: dict[str, Phone]) -> None:
    alice, bob = phones["1001"], phones["1002"]
    ping = request("OPTIONS", pbx.address, alice, "1002")
    ping.uri = SipUri(pbx.address.host, port=pbx.address.port)
    own = await ask(alice, ping)
    assert own.status == 200 and "INVITE" in (own.headers.get("Allow") or "")
    assert (await ask(alice, request("OPTIONS", pbx.address, alice, "1002"))).status == 480
    await register(pbx, bob)
    assert (await ask(alice, request("OPTIONS", pbx.address, alice, "1002"))).status == 200
    assert (await ask(alice, request("INFO", pbx.address, alice, "1002"))).status == 200
    assert [r.method for r in bob.seen] == ["OPTIONS", "INFO"]


async def test_in_dialog_request_for_the_proxy_itself_is_481(
        pbx: PbxServer, phones: dict[str, Phone]) -> None:
    alice = phones["1001"]
    bye = request("BYE", pbx.address, alice, "1002")
    bye.uri = SipUri(pbx.address.host, port=pbx.address.port)
    bye.headers.set("To", f"<sip:1002@{pbx.address.host}>;tag=x")
    assert (await ask(alice, bye)).status == 481
