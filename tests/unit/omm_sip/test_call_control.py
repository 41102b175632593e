"""CallControl without sockets (docs/calls.md §3): a recording stand-in for the SIP transport
gets the requests and is fed the responses, so each test says "this DECT event, these SIP
answers, expect that INVITE and those DECT and media calls"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dect.nwk.tables import ReleaseReasonCode as R
from omm.dect.events import CallDialled, CallHandover, CallReleased
from omm.model import OmmModel, OmmSetup
from omm.sip import CallControl, Registrations, SipConfig
from omm.sip.calls import DECLINE_STATUS, RESPONSE_OUTCOMES
from omm.sip.registration import UserRegistration
from sipdect.accounts import InitialAccount
from sipdect.media.sdes import LocalMedia, answer_offer, crypto_attributes
from sipdect.media.sdp import SessionDescription
from sipdect.sip import (
    DigestServer,
    Message,
    Peer,
    Request,
    Response,
    ResponseReceived,
    TransactionKey,
    Transport,
    make_response,
)
from sipdect.sip.transaction import client_key
from tests.component.test_omm_sip_calls import FakeDect, FakeMedia

PROXY = Peer(Transport.UDP, "192.0.2.10", 5060)
OUTBOUND = Peer(Transport.UDP, "192.0.2.20", 5080)


class RecordingTransport:
    """What CallControl uses of SipTransport, recording instead of sending."""

    def __init__(self) -> None:
        self.requests: list[tuple[Request, Peer | None]] = []
        self.responses: list[Response] = []
        self.stateless: list[tuple[Message, Peer]] = []
        self.cancelled: list[TransactionKey] = []

    def now(self) -> float:
        return 0.0

    def send_request(self, request: Request, peer: Peer | None = None) -> TransactionKey:
        branch = f"z9hG4bK{len(self.requests)}x"
        request.headers.prepend("Via", f"SIP/2.0/UDP 192.0.2.1:5060;branch={branch}")
        self.requests.append((request, peer))
        return client_key(request)

    def send_response(self, response: Response, transaction: TransactionKey | None = None) -> None:
        self.responses.append(response)

    def send_stateless(self, message: Message, peer: Peer) -> None:
        self.stateless.append((message, peer))

    def cancel(self, transaction: TransactionKey) -> TransactionKey | None:
        self.cancelled.append(transaction)
        return None


class Harness:
    def __init__(self, tmp_path: Path, basic: dict[str, Any]) -> None:
        self.model = OmmModel(tmp_path, OmmSetup("Test", [InitialAccount("omm", "Sipdect-1")]))
        self.model.settings.update("BasicSIP", basic)
        config = SipConfig.from_settings(self.model.settings)
        assert config is not None
        self.registrations = Registrations(self.model, "192.0.2.1")
        self.registrations.config = config
        self.registrations.locals = {Transport.UDP: Peer(Transport.UDP, "192.0.2.1", 5060)}
        self.sip = RecordingTransport()
        self.registrations.transport = self.sip  # type: ignore[assignment]
        self.registrations.users[1] = UserRegistration(1, "1001", "1001", "pw", config, ppn=1)
        self.dect, self.media = FakeDect(), FakeMedia()
        self.calls = CallControl(self.model, self.registrations, self.dect, self.media)

    def respond(self, status: int, *, body: bytes = b"", request: Request | None = None,
                headers: tuple[tuple[str, str], ...] = ()) -> None:
        request = request or self.sip.requests[-1][0]
        hdrs = list(headers)
        if 100 < status < 300:
            hdrs.append(("Contact", "<sip:1003@192.0.2.30:5060>"))
        if body:
            hdrs.append(("Content-Type", "application/sdp"))
        response = make_response(request, status, to_tag=None if status == 100 else "far",
                                 headers=hdrs, body=body)
        self.calls.handle_sip(ResponseReceived(response, client_key(request), PROXY))


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(tmp_path, {"regServer": "pbx.example", "proxyServer": PROXY.host,
                              "proxyPort": PROXY.port})


def test_invite_goes_to_the_proxy_from_the_users_aor_with_the_configured_codecs(
        h: Harness) -> None:
    h.model.settings.update("RTP", {"type": ["G.722", "G.711-A-law"]})
    h.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    [(invite, peer)] = h.sip.requests
    assert peer == PROXY
    assert str(invite.uri) == "sip:1003@192.0.2.10:5060"
    assert str(invite.from_.uri) == "sip:1001@pbx.example"
    assert str(invite.to.uri) == "sip:1003@pbx.example"
    assert str(invite.contacts[0].uri) == "sip:1001@192.0.2.1:5060"
    offer = SessionDescription.parse(invite.body)
    assert offer.media[0].formats == ["9", "8", "101"] and offer.media[0].proto == "RTP/AVP"
    assert h.media.seen == [("reserve", 1, 7)]


def test_outbound_proxy_gets_the_invite_with_a_route(tmp_path: Path) -> None:
    h = Harness(tmp_path, {"regServer": "pbx.example", "outboundProxyServer": OUTBOUND.host,
                           "outboundProxyPort": OUTBOUND.port})
    h.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    [(invite, peer)] = h.sip.requests
    assert peer == OUTBOUND
    assert [str(r.uri) for r in invite.routes] == ["sip:192.0.2.20:5080;lr"]


def test_progress_answer_ack_and_media(h: Harness) -> None:
    h.model.sites.update(1, {"srtp": "Only"})
    h.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    invite = h.sip.requests[0][0]
    offer = SessionDescription.parse(invite.body)
    assert offer.media[0].proto == "RTP/SAVP" and len(crypto_attributes(offer.media[0])) == 2
    h.respond(100)
    h.respond(183)
    h.respond(180)
    far = LocalMedia("192.0.2.30", 30000)
    answer, _ = answer_offer("Only", offer, far)  # type: ignore[arg-type]
    h.respond(200, body=answer.render().encode())
    assert h.dect.of(1) == ["proceeding", "alerting", "connect"]
    [(ack, ack_peer)] = h.sip.stateless
    assert isinstance(ack, Request) and ack.method == "ACK" and str(ack.uri) == \
        "sip:1003@192.0.2.30:5060"
    assert ack_peer == Peer(Transport.UDP, "192.0.2.30", 5060)
    start = h.media.started(1)
    assert start is not None
    codec, remote, keys = start[4], start[5], start[6]
    assert (codec.name, remote.host, remote.port) == ("PCMA", "192.0.2.30", 30000)
    [theirs] = crypto_attributes(answer.media[0])
    [ours] = [a for a in crypto_attributes(offer.media[0]) if a.tag == theirs.tag]
    assert keys is not None and (keys.tx_key, keys.rx_key) == (ours.key, theirs.key)
    h.calls.handle(CallHandover(1, 7, 9, 4))
    assert h.media.seen[-1] == ("handover", 1, 9, 4)
    h.calls.handle(CallReleased(1, "Normal"))
    bye, bye_peer = h.sip.requests[-1]
    assert bye.method == "BYE" and bye_peer is None  # by the route set: no outbound proxy
    assert ("stop", 1) in h.media.seen


def test_proxy_challenge_is_answered_once_with_the_users_credentials(h: Harness) -> None:
    h.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    first = h.sip.requests[0][0]
    challenge = DigestServer("pbx", proxy=True).challenge_response(first, 0.0)
    h.calls.handle_sip(ResponseReceived(challenge, client_key(first), PROXY))
    retry = h.sip.requests[-1][0]
    assert retry.method == "INVITE" and retry.cseq.seq == 2
    assert 'username="1001"' in (retry.headers.get("Proxy-Authorization") or "")
    again = DigestServer("pbx", proxy=True).challenge_response(retry, 0.0)
    h.calls.handle_sip(ResponseReceived(again, client_key(retry), PROXY))
    assert len(h.sip.requests) == 2
    assert h.dect.release(1) == ("release", 1, R.UNKNOWN, "Call failed (407)")


def test_hang_up_before_an_answer_cancels_and_a_late_200_is_acked_and_ended(
        h: Harness) -> None:
    h.calls.handle(CallDialled(1, "1003", rfp_id=7, mcei=3))
    invite = h.sip.requests[0][0]
    h.respond(180)
    h.calls.handle(CallReleased(1, "Normal"))
    assert h.sip.cancelled == [client_key(invite)]
    offer = SessionDescription.parse(invite.body)
    answer, _ = answer_offer("Disabled", offer, LocalMedia("192.0.2.30", 30000))  # type: ignore[arg-type]
    h.respond(200, body=answer.render().encode(), request=invite)
    assert [m.method for m, _ in h.sip.stateless] == ["ACK"]  # type: ignore[union-attr]
    assert h.sip.requests[-1][0].method == "BYE"
    assert h.dect.release(1) is None and h.media.started(1) is None


def test_every_dect_release_reason_has_an_answer_and_common_failures_a_cause() -> None:
    assert set(DECLINE_STATUS) == {"Normal", "Busy", "Rejected", "NotReachable", "LinkLost",
                                   "Failed"}
    assert RESPONSE_OUTCOMES[486].reason is R.USER_BUSY
    assert RESPONSE_OUTCOMES[603].reason is R.USER_REJECTION
    assert RESPONSE_OUTCOMES[404].reason is R.USER_UNKNOWN
