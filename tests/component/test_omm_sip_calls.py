"""Calls of DECT users through the OMM's SIP user agent (docs/calls.md §3) against the embedded
PBX over loopback UDP: fake DECT and media sides record what CallControl asks of them; a far-end
SIP phone in the test sees the status codes a real peer would. Two users of one OMM calling
each other through the PBX exercise both directions at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dect.nwk.tables import ReleaseReasonCode as R
from omm.dect.events import (
    CallAlerting,
    CallAnswered,
    CallDialled,
    CallHandover,
    CallKey,
    CallReleased,
)
from omm.mediaport import MediaCodecChoice, RtpAddress, SrtpKeys
from omm.model import OmmModel, OmmSetup
from omm.sip import CallControl, Registrations
from sim.pbx import PbxConfig, PbxServer
from sim.pbx.srtp import SrtpPolicy
from sipdect.accounts import InitialAccount
from sipdect.media.sdes import crypto_attributes
from sipdect.media.sdp import SessionDescription
from sipdect.sip import (
    Address,
    DigestClient,
    Headers,
    Peer,
    Request,
    RequestReceived,
    Response,
    ResponseReceived,
    SipTransport,
    SipUri,
    TransactionKey,
    Transport,
    make_dialog_response,
    make_response,
    new_call_id,
    new_tag,
)
from sipdect.sip.dialog import Dialog
from sipdect.sip.message import uri_destination
from sipdect.sip.transaction import CancelReceived, Event
from sipdect.waiting import until

ACCOUNTS = {"1001": "Alice-pw1", "1002": "Bob-pw22", "1003": "Carol-pw3"}
KEY = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"


def sdp(proto: str = "RTP/AVP", *, crypto: bool = False, port: int = 40000,
        formats: str = "8 0 101") -> bytes:
    lines = ["v=0", "o=- 7 7 IN IP4 127.0.0.9", "s=-", "c=IN IP4 127.0.0.9", "t=0 0",
             f"m=audio {port} {proto} {formats}", "a=rtpmap:101 telephone-event/8000",
             "a=fmtp:101 0-15"]
    if crypto:
        lines.append(f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}")
    return ("\r\n".join(lines) + "\r\n").encode()


# -- the fakes on both sides of CallControl ----------------------------------------------------

@dataclass
class FakeDect:
    """A DectCallPort that records calls; `reachable` decides call_in's answer."""

    seen: list[tuple[Any, ...]] = field(default_factory=list)
    reachable: bool = True

    def call_in(self, ppn: int, now: float, *, calling_number: str = "",
                calling_name: str = "") -> bool:
        self.seen.append(("in", ppn, calling_number, calling_name))
        return self.reachable

    def call_proceeding(self, ppn: int, now: float) -> None:
        self.seen.append(("proceeding", ppn))

    def call_alerting(self, ppn: int, now: float) -> None:
        self.seen.append(("alerting", ppn))

    def call_connect(self, ppn: int, now: float) -> None:
        self.seen.append(("connect", ppn))

    def call_release(self, ppn: int, reason: R, now: float, *, display: str = "") -> None:
        self.seen.append(("release", ppn, reason, display))

    def of(self, ppn: int) -> list[str]:
        return [s[0] for s in self.seen if s[1] == ppn]

    def release(self, ppn: int) -> tuple[Any, ...] | None:
        return next((s for s in self.seen if s[0] == "release" and s[1] == ppn), None)


@dataclass
class FakeMedia:
    """A MediaPort handing out a port per ppn and recording what it is asked."""

    seen: list[tuple[Any, ...]] = field(default_factory=list)
    available: bool = True

    def reserve(self, ppn: int, rfp_id: int) -> RtpAddress | None:
        self.seen.append(("reserve", ppn, rfp_id))
        return RtpAddress("127.0.0.1", 20000 + 2 * ppn) if self.available else None

    def start(self, ppn: int, rfp_id: int, mcei: int, codec: MediaCodecChoice,
              remote: RtpAddress, srtp: SrtpKeys | None, dtmf_pt: int | None) -> None:
        self.seen.append(("start", ppn, rfp_id, mcei, codec, remote, srtp, dtmf_pt))

    def handover(self, ppn: int, rfp_id: int, mcei: int) -> None:
        self.seen.append(("handover", ppn, rfp_id, mcei))

    def dtmf(self, ppn: int, key: str) -> None:
        self.seen.append(("dtmf", ppn, key))

    def stop(self, ppn: int) -> None:
        self.seen.append(("stop", ppn))

    def started(self, ppn: int) -> tuple[Any, ...] | None:
        return next((s for s in self.seen if s[0] == "start" and s[1] == ppn), None)


# -- a far-end SIP phone ------------------------------------------------------------------------

@dataclass
class FarEnd:
    """A SIP phone registered at the PBX. `answer` picks the final response to an INVITE
    (status, SDP body); None leaves it ringing."""

    user: str
    transport: SipTransport
    address: Peer
    pbx: Peer
    answer: Callable[[Request], tuple[int, bytes] | None] = lambda r: (200, sdp())
    requests: list[Request] = field(default_factory=list)
    responses: dict[TransactionKey, list[Response]] = field(default_factory=dict)
    sent: dict[TransactionKey, Request] = field(default_factory=dict)
    pending: dict[str, tuple[Request, TransactionKey, str]] = field(default_factory=dict)
    dialogs: dict[str, Dialog] = field(default_factory=dict)
    retried: dict[TransactionKey, TransactionKey] = field(default_factory=dict)

    @property
    def contact(self) -> Address:
        return Address(SipUri(self.address.host, self.user, port=self.address.port))

    def __call__(self, event: Event) -> None:
        if isinstance(event, ResponseReceived):
            self._response(event)
        elif isinstance(event, RequestReceived):
            self._request(event)
        elif isinstance(event, CancelReceived):  # answered 200 by the transaction layer
            self.requests.append(event.cancel)
            for call_id, (_, key, _) in list(self.pending.items()):
                if key == event.transaction:
                    self.finish(call_id, 487)

    def _response(self, event: ResponseReceived) -> None:
        response = event.response
        request = self.sent.get(event.transaction)
        if response.status in (401, 407) and request is not None:
            retry = DigestClient(self.user, ACCOUNTS[self.user]).authorize(request, response)
            if retry is not None and retry.cseq.seq < request.cseq.seq + 2:
                key = self.transport.send_request(retry, self.pbx)
                self.sent[key] = retry
                self.retried[event.transaction] = key
                self.responses[key] = self.responses.setdefault(event.transaction, [])
                return
        self.responses.setdefault(event.transaction, []).append(response)
        if request is not None and request.method == "INVITE" and 200 <= response.status < 300:
            dialog = Dialog.from_uac(request, response)
            self.dialogs[request.call_id] = dialog
            ack = dialog.create_ack(request)
            self.transport.send_stateless(ack, uri_destination(dialog.next_hop()))

    def _request(self, event: RequestReceived) -> None:
        request = event.request
        self.requests.append(request)
        if event.transaction is None:
            return
        if request.method == "INVITE" and not request.to.tag:
            tag = new_tag()
            self.transport.send_response(
                make_dialog_response(request, 180, to_tag=tag, contact=self.contact),
                event.transaction)
            self.pending[request.call_id] = (request, event.transaction, tag)
            final = self.answer(request)
            if final is not None:
                self.finish(request.call_id, *final)
            return
        self.transport.send_response(make_response(request, 200), event.transaction)

    def finish(self, call_id: str, status: int, body: bytes = b"") -> None:
        request, key, tag = self.pending.pop(call_id)
        response = make_dialog_response(request, status, to_tag=tag, contact=self.contact,
                                        body=body,
                                        content_type="application/sdp" if body else None)
        if status < 300:
            self.dialogs[call_id] = Dialog.from_uas(request, response)
        self.transport.send_response(response, key)

    def invite(self, to_user: str, body: bytes, *, to: Peer | None = None) -> TransactionKey:
        target = to or self.pbx
        h = Headers()
        h.add("Max-Forwards", "70")
        h.add("From", f'"Carol" <sip:{self.user}@{self.pbx.host}>;tag={new_tag()}')
        h.add("To", f"<sip:{to_user}@{self.pbx.host}>")
        h.add("Call-ID", new_call_id("127.0.0.1"))
        h.add("CSeq", "1 INVITE")
        h.add("Contact", str(self.contact))
        h.add("Content-Type", "application/sdp")
        request = Request("INVITE", SipUri(target.host, to_user, port=target.port), h, body)
        key = self.transport.send_request(request, target)
        self.sent[key] = request
        return key

    def in_dialog(self, call_id: str, method: str, body: bytes = b"") -> TransactionKey:
        dialog = self.dialogs[call_id]
        request = dialog.create_request(method, body=body,
                                        content_type="application/sdp" if body else None)
        key = self.transport.send_request(request, uri_destination(dialog.next_hop()))
        self.sent[key] = request
        return key

    def final(self, key: TransactionKey) -> Response | None:
        return next((r for r in self.responses.get(key, []) if r.status >= 200), None)

    def got(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.method == method]


# -- fixtures -----------------------------------------------------------------------------------

@dataclass
class Omm:
    model: OmmModel
    registrations: Registrations
    calls: CallControl
    dect: FakeDect
    media: FakeMedia


async def make_pbx(**options: Any) -> PbxServer:
    return await PbxServer.start(PbxConfig(accounts=ACCOUNTS, **options))


@pytest.fixture
async def pbx() -> AsyncIterator[PbxServer]:
    server = await make_pbx(srtp=SrtpPolicy.OPTIONAL)
    yield server
    await server.close()


@pytest.fixture
async def omm(tmp_path: Path, pbx: PbxServer) -> AsyncIterator[Omm]:
    model = OmmModel(tmp_path / "omm", OmmSetup("Test", [InitialAccount("omm", "Sipdect-1")]))
    model.settings.update("BasicSIP", {"regServer": pbx.address.host,
                                       "regPort": pbx.address.port, "regPeriod": 600})
    for ppn, num in ((1, "1001"), (2, "1002")):
        user = model.users.create({"num": num, "name": f"User {num}", "sipPw": ACCOUNTS[num]})
        model.devices.create({}, ppn=ppn)
        model.relations.attach(user["uid"], ppn, "Fixed")
    registrations = Registrations(model, "127.0.0.1", first_backoff=0.2)
    dect, media = FakeDect(), FakeMedia()
    calls = CallControl(model, registrations, dect, media, incoming_timeout=0.5)
    await registrations.start()
    await until(lambda: all(r.registered for r in registrations.users.values())
                and len(registrations.users) == 2, "both users registered")
    yield Omm(model, registrations, calls, dect, media)
    await registrations.stop()
    model.close()


@pytest.fixture
async def carol(pbx: PbxServer) -> AsyncIterator[FarEnd]:
    transport = SipTransport()
    address = await transport.listen(Transport.UDP)
    phone = FarEnd("1003", transport, address, pbx.address)
    transport.on_event = phone
    h = Headers()
    h.add("Max-Forwards", "70")
    h.add("From", f"<sip:1003@{pbx.address.host}>;tag={new_tag()}")
    h.add("To", f"<sip:1003@{pbx.address.host}>")
    h.add("Call-ID", new_call_id("127.0.0.1"))
    h.add("CSeq", "1 REGISTER")
    h.add("Contact", str(phone.contact))
    register = Request("REGISTER", SipUri(pbx.address.host, port=pbx.address.port), h)
    challenge = await transport.request(register, pbx.address)
    retry = DigestClient("1003", ACCOUNTS["1003"]).authorize(register, challenge)
    assert retry is not None
    assert (await transport.request(retry, pbx.address)).status == 200
    yield phone
    await transport.close()


def set_srtp(omm: Omm, mode: str) -> None:
    omm.model.sites.update(1, {"srtp": mode})


# -- outgoing calls -------------------------------------------------------------------------------

async def test_outgoing_call_answered_media_started_handset_hangs_up_with_bye(
        omm: Omm, carol: FarEnd) -> None:
    omm.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    await until(lambda: "connect" in omm.dect.of(1), "the call to connect")
    assert omm.dect.of(1) == ["proceeding", "alerting", "connect"]
    [invite] = carol.got("INVITE")
    assert invite.from_.sip_uri.user == "1001"
    offer = SessionDescription.parse(invite.body)
    assert offer.media[0].proto == "RTP/AVP" and offer.media[0].formats == ["8", "0", "9", "101"]
    assert offer.connection == "127.0.0.1" and offer.media[0].port == 20002
    start = omm.media.started(1)
    assert start is not None
    _, ppn, rfp_id, mcei, codec, remote, srtp, dtmf = start
    assert (rfp_id, mcei, codec.name, codec.payload_type, remote, srtp, dtmf) == (
        7, 3, "PCMA", 8, RtpAddress("127.0.0.9", 40000), None, 101)
    await until(lambda: carol.got("ACK"), "the ACK")
    omm.calls.handle(CallReleased(1, "Normal"))
    await until(lambda: carol.got("BYE"), "the BYE at the far end")
    assert ("stop", 1) in omm.media.seen and 1 not in omm.calls.calls


@pytest.mark.parametrize("status,reason,display", [
    (486, R.USER_BUSY, "Busy"), (600, R.USER_BUSY, "Busy"),
    (603, R.USER_REJECTION, "Rejected"), (480, R.USER_NOT_IN_RANGE, "Not reachable"),
])
async def test_outgoing_call_refused(omm: Omm, carol: FarEnd, status: int, reason: R,
                                     display: str) -> None:
    carol.answer = lambda r: (status, b"")
    omm.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    await until(lambda: omm.dect.release(1), "the release")
    assert omm.dect.release(1) == ("release", 1, reason, display)
    assert ("stop", 1) in omm.media.seen and omm.media.started(1) is None


async def test_unknown_number_is_released_as_unknown(omm: Omm) -> None:
    omm.calls.handle(CallDialled(1, "4711", rfp_id=7, mcei=3))
    await until(lambda: omm.dect.release(1), "the release")
    assert omm.dect.release(1) == ("release", 1, R.USER_UNKNOWN, "Unknown number")


async def test_handset_hangs_up_while_ringing_sends_cancel(omm: Omm, carol: FarEnd) -> None:
    carol.answer = lambda r: None
    omm.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    await until(lambda: "alerting" in omm.dect.of(1), "ringback")
    omm.calls.handle(CallReleased(1, "Normal"))
    await until(lambda: carol.got("CANCEL"), "the CANCEL at the far end")
    assert omm.dect.release(1) is None  # the handset ended it itself
    assert ("stop", 1) in omm.media.seen and omm.calls.calls == {}


async def test_user_without_sip_account_cannot_call(omm: Omm) -> None:
    omm.model.devices.create({}, ppn=5)
    omm.calls.handle(CallDialled(5, "1003", rfp_id=7, mcei=3))
    assert omm.dect.release(5) == ("release", 5, R.NETWORK_PARAMETERS_MISSING, "No SIP account")


# -- incoming calls -------------------------------------------------------------------------------

async def test_incoming_call_rings_answers_and_far_end_hangs_up(omm: Omm, carol: FarEnd) -> None:
    key = carol.invite("1001", sdp())
    await until(lambda: "in" in omm.dect.of(1), "the PP to be called")
    assert omm.dect.seen[0] == ("in", 1, "1003", "Carol")
    omm.calls.handle(CallAlerting(1))
    await until(lambda: any(r.status == 180 for r in carol.responses.get(key, [])), "180")
    omm.calls.handle(CallAnswered(1, rfp_id=4, mcei=2))
    await until(lambda: carol.final(key), "the 200")
    final = carol.final(key)
    assert final is not None and final.status == 200
    answer = SessionDescription.parse(final.body)
    assert answer.media[0].formats == ["8", "0", "101"] and answer.media[0].port == 20002
    start = omm.media.started(1)
    assert start is not None and start[2:4] == (4, 2) and start[5] == RtpAddress(
        "127.0.0.9", 40000) and start[6] is None and start[7] == 101
    [call_id] = carol.dialogs
    bye = carol.in_dialog(call_id, "BYE")
    await until(lambda: carol.final(bye), "the 200 for BYE")
    assert omm.dect.release(1) == ("release", 1, R.NORMAL, "")
    assert ("stop", 1) in omm.media.seen


@pytest.mark.parametrize("dect_reason,status", [
    ("Busy", 486), ("Rejected", 603), ("NotReachable", 480)])
async def test_incoming_call_declined_on_the_dect_side(omm: Omm, carol: FarEnd,
                                                       dect_reason: str, status: int) -> None:
    key = carol.invite("1001", sdp())
    await until(lambda: "in" in omm.dect.of(1), "the PP to be called")
    omm.calls.handle(CallReleased(1, dect_reason))
    await until(lambda: carol.final(key), "the final response")
    final = carol.final(key)
    assert final is not None and final.status == status


async def test_unreachable_device_is_480(omm: Omm, carol: FarEnd) -> None:
    omm.dect.reachable = False
    key = carol.invite("1001", sdp())
    await until(lambda: carol.final(key), "the final response")
    final = carol.final(key)
    assert final is not None and final.status == 480 and omm.calls.calls == {}


async def test_caller_cancels_while_ringing(omm: Omm, carol: FarEnd) -> None:
    key = carol.invite("1001", sdp())
    await until(lambda: "in" in omm.dect.of(1), "the PP to be called")
    omm.calls.handle(CallAlerting(1))
    await until(lambda: any(r.status == 180 for r in carol.responses.get(key, [])), "180")
    carol.transport.cancel(carol.retried.get(key, key))
    await until(lambda: carol.final(key), "the INVITE's final response")
    final = carol.final(key)
    assert final is not None and final.status == 487
    assert omm.dect.release(1) == ("release", 1, R.NORMAL, "")


async def test_unanswered_incoming_call_times_out(omm: Omm, carol: FarEnd) -> None:
    key = carol.invite("1001", sdp())
    await until(lambda: carol.final(key), "the final response")  # incoming_timeout=0.5
    final = carol.final(key)
    assert final is not None and final.status == 480
    assert omm.dect.release(1) == ("release", 1, R.TIMER_EXPIRY, "No answer")


async def test_unknown_user_and_device_less_user_at_the_omm(omm: Omm, carol: FarEnd) -> None:
    local = omm.registrations.local
    assert local is not None
    unknown = carol.invite("4711", sdp(), to=local)
    omm.model.users.create({"num": "1009"})
    no_device = carol.invite("1009", sdp(), to=local)
    await until(lambda: carol.final(unknown) and carol.final(no_device), "both answers")
    assert [carol.final(k).status for k in (unknown, no_device)] == [404, 480]  # type: ignore


async def test_second_call_to_a_busy_user_is_486(omm: Omm, carol: FarEnd) -> None:
    first = carol.invite("1001", sdp())
    await until(lambda: "in" in omm.dect.of(1), "the PP to be called")
    second = carol.invite("1001", sdp(port=40010))
    await until(lambda: carol.final(second), "the second INVITE's answer")
    assert carol.final(second).status == 486  # type: ignore[union-attr]
    assert carol.final(first) is None


async def test_reinvite_is_answered_with_the_same_media(omm: Omm, carol: FarEnd) -> None:
    key = carol.invite("1001", sdp())
    await until(lambda: "in" in omm.dect.of(1), "the PP to be called")
    omm.calls.handle(CallAnswered(1, rfp_id=4, mcei=2))
    await until(lambda: carol.final(key), "the 200")
    first = carol.final(key)
    [call_id] = carol.dialogs
    again = carol.in_dialog(call_id, "INVITE", sdp())
    await until(lambda: carol.final(again), "the re-INVITE's answer")
    final = carol.final(again)
    assert final is not None and first is not None
    assert final.status == 200 and final.body == first.body


# -- both ends on this OMM: 1001 calls 1002 through the PBX -------------------------------------

async def test_loop_back_call_between_two_users(omm: Omm) -> None:
    omm.calls.handle(CallDialled(1, "1002", rfp_id=7, mcei=3))
    await until(lambda: "in" in omm.dect.of(2), "1002 to be called")
    assert ("in", 2, "1001", "User 1001") in omm.dect.seen  # the caller's name travels
    omm.calls.handle(CallAlerting(2))
    await until(lambda: "alerting" in omm.dect.of(1), "ringback at 1001")
    omm.calls.handle(CallAnswered(2, rfp_id=8, mcei=5))
    await until(lambda: "connect" in omm.dect.of(1), "1001 connected")
    one, two = omm.media.started(1), omm.media.started(2)
    assert one is not None and two is not None
    assert one[5] == RtpAddress("127.0.0.1", 20004) and two[5] == RtpAddress("127.0.0.1", 20002)
    omm.calls.handle(CallKey(1, "5"))
    omm.calls.handle(CallHandover(2, old_rfp_id=8, rfp_id=9, mcei=6))
    assert ("dtmf", 1, "5") in omm.media.seen and ("handover", 2, 9, 6) in omm.media.seen
    omm.calls.handle(CallReleased(2, "Normal"))  # 1002 hangs up: BYE to 1001
    await until(lambda: omm.dect.release(1), "1001 released")
    assert omm.dect.release(1) == ("release", 1, R.NORMAL, "")
    assert ("stop", 1) in omm.media.seen and ("stop", 2) in omm.media.seen
    assert omm.calls.calls == {}


# -- SRTP modes (seed 000 "Media Encryption") ----------------------------------------------------

@pytest.mark.parametrize("mode,offer,status,keyed", [
    ("Only", sdp(), 488, False),
    ("Only", sdp("RTP/SAVP", crypto=True), 200, True),
    ("Preferred", sdp(), 200, False),
    ("Preferred", sdp("RTP/SAVP", crypto=True), 200, True),
    ("Disabled", sdp("RTP/SAVP", crypto=True), 488, False),
    ("Disabled", sdp(crypto=True), 200, False),
])
async def test_incoming_offer_under_each_srtp_mode(omm: Omm, carol: FarEnd, mode: str,
                                                   offer: bytes, status: int,
                                                   keyed: bool) -> None:
    set_srtp(omm, mode)
    key = carol.invite("1001", offer)
    if status == 200:
        await until(lambda: "in" in omm.dect.of(1), "the PP to be called")
        omm.calls.handle(CallAnswered(1, rfp_id=4, mcei=2))
    await until(lambda: carol.final(key), "the final response")
    final = carol.final(key)
    assert final is not None and final.status == status
    if status != 200:
        assert omm.dect.seen == []  # refused before the PP rang
        return
    start = omm.media.started(1)
    assert start is not None
    keys = start[6]
    assert (keys is not None) == keyed
    if keys is not None:
        [ours] = crypto_attributes(SessionDescription.parse(final.body).media[0])
        assert keys.suite == "AES_CM_128_HMAC_SHA1_80"
        assert keys.tx_key == ours.key and len(keys.rx_key) == 30
        [theirs] = crypto_attributes(SessionDescription.parse(offer).media[0])
        assert keys.rx_key == theirs.key


async def test_outgoing_srtp_only_keys_reach_the_media(omm: Omm, carol: FarEnd) -> None:
    set_srtp(omm, "Only")

    def keyed_answer(invite: Request) -> tuple[int, bytes]:
        offer = SessionDescription.parse(invite.body)
        assert offer.media[0].proto == "RTP/SAVP"
        return 200, sdp("RTP/SAVP", crypto=True, formats="8 101")

    carol.answer = keyed_answer
    omm.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    await until(lambda: omm.media.started(1), "media")
    [invite] = carol.got("INVITE")
    ours = crypto_attributes(SessionDescription.parse(invite.body).media[0])[0]
    keys = omm.media.started(1)[6]  # type: ignore[index]
    assert keys == SrtpKeys("AES_CM_128_HMAC_SHA1_80", ours.key, keys.rx_key)
    [theirs] = crypto_attributes(SessionDescription.parse(sdp(crypto=True)).media[0])
    assert keys.rx_key == theirs.key


async def test_outgoing_srtp_only_with_a_plain_answer_is_ended(omm: Omm, carol: FarEnd) -> None:
    set_srtp(omm, "Only")
    carol.answer = lambda r: (200, sdp("RTP/SAVP", formats="8 101"))
    omm.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    await until(lambda: omm.dect.release(1), "the release")
    assert omm.dect.release(1) == ("release", 1, R.INCOMPATIBLE_SERVICE, "Media not acceptable")
    await until(lambda: carol.got("BYE"), "the BYE")
    assert "488" in (carol.got("BYE")[0].headers.get("Reason") or "")
    assert omm.media.started(1) is None


async def test_dtmf_by_sip_info_when_configured(omm: Omm, carol: FarEnd) -> None:
    omm.model.settings.update("DTMF", {"method": "INFO"})
    omm.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    await until(lambda: "connect" in omm.dect.of(1), "the call to connect")
    omm.calls.handle(CallKey(1, "#"))
    await until(lambda: carol.got("INFO"), "the INFO")
    assert b"Signal=#" in carol.got("INFO")[0].body
    assert not any(s[0] == "dtmf" for s in omm.media.seen)


async def test_calls_are_refused_once_the_licence_latency_ran_out(omm: Omm,
                                                                 carol: FarEnd) -> None:
    """omm.license.RESTRICTION: a handset's call is released, an INVITE to one answered 503."""
    import dataclasses

    from omm.sip.calls import LICENSE_DISPLAY

    lic = omm.model.license
    lic.grant = dataclasses.replace(lic.grant, version="1.0")  # a release violation
    now = omm.model.clock()
    lic.refresh(now)
    assert not lic.blocked  # the latency period runs: everything works
    lic.refresh(now + lic.latency_minutes * 60 + 1)
    assert lic.blocked
    omm.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    await until(lambda: omm.dect.release(1), "the release")
    assert omm.dect.release(1) == ("release", 1, R.SERVICE_NOT_IMPLEMENTED, LICENSE_DISPLAY)
    key = carol.invite("1002", sdp())
    await until(lambda: carol.final(key), "the final response")
    final = carol.final(key)
    assert final is not None and final.status == 503
    assert carol.got("INVITE") == [] and "in" not in omm.dect.of(2)
