"""The user agent core of an external SIP phone, sans-I/O (RFC 3261 §8, §12-15; RFC 3264
offer/answer with G.711 over plain RTP): it registers (sim.phone.registration), answers
OPTIONS, rings on an INVITE and answers it by itself or on command, calls a number through
its registrar or a URI directly, cancels, hangs up, and takes BYE from the far end.

`PhoneAgent` is fed the transaction layer's events and `now`; it queues SIP actions for its
transport (`actions()`), events for its owner (`next_event()`) and has one deadline
(`get_timer()`/`handle_timer()`). It adds its own Via to what it sends, so it knows each
client transaction's key before the transport does. One call at a time: a second INVITE is
answered 486 Busy Here.
"""

from __future__ import annotations

import logging
import secrets
from collections import deque
from dataclasses import dataclass, field

from sim.phone.config import PhoneConfig
from sim.phone.events import (
    CallConnected,
    CallEnded,
    CallRinging,
    CallState,
    CancelInvite,
    Direction,
    EndReason,
    MediaChanged,
    PhoneEvent,
    RegistrationState,
    SendRequest,
    SendResponse,
    SendStateless,
    SipAction,
)
from sim.phone.registration import USER_AGENT, Registration, registrar_uri
from sipdect.media import constants as mc
from sipdect.media.errors import MediaError, OfferAnswerError
from sipdect.media.sdes import LocalMedia, NegotiatedMedia, accept_answer, answer_offer, make_offer
from sipdect.media.sdp import SessionDescription
from sipdect.sip import constants as c
from sipdect.sip.auth import DigestClient
from sipdect.sip.dialog import Dialog, DialogError, DialogState, make_dialog_response, next_hop
from sipdect.sip.message import (
    Address,
    Headers,
    Peer,
    Request,
    Response,
    SipParseError,
    SipUri,
    Transport,
    Via,
    make_response,
    new_branch,
    new_call_id,
    new_tag,
    uri_destination,
)
from sipdect.sip.transaction import (
    CancelReceived,
    Event,
    RequestReceived,
    ResponseReceived,
    Timer,
    TransactionKey,
    TransactionTerminated,
    TransactionTimeout,
    TransportFailed,
    client_key,
)

log = logging.getLogger("sipdect.phone")

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"
SDP = "application/sdp"
SRTP_MODE = mc.SrtpMode.DISABLED
"""Decision: the phone speaks plain RTP. An offer with SDES keys on RTP/AVP is answered
without them (RTP); an RTP/SAVP-only offer gets 488."""
CODECS = (mc.PCMA, mc.PCMU)
"""G.711 A-law first, as SIP-DECT's default codec list (features.md §2.7)."""
REJECT_STATUS = 486
"""What `reject()` answers a ringing call with by default: Busy Here."""

#: Final responses to our INVITE -> why the call ended (anything else: FAILED).
END_REASONS: dict[int, EndReason] = {
    403: EndReason.REJECTED, 404: EndReason.NOT_REACHABLE, 408: EndReason.NOT_REACHABLE,
    480: EndReason.NOT_REACHABLE, 486: EndReason.BUSY, 487: EndReason.HUNG_UP,
    503: EndReason.NOT_REACHABLE, 600: EndReason.BUSY, 603: EndReason.REJECTED,
    604: EndReason.NOT_REACHABLE,
}


class PhoneError(Exception):
    """A command the phone's state does not allow (calling while in a call, answering when
    nothing rings, a target that is no number or SIP URI); the message says why."""


@dataclass
class Call:
    """One call's SIP and media state."""

    call_id: str
    """Call-ID."""
    direction: Direction
    """Who called."""
    remote: str
    """The other party's URI."""
    invite: Request
    """The INVITE that set it up (ours: the last one sent, with credentials)."""
    local_tag: str
    """Our tag (From of ours, To of theirs)."""
    state: CallState
    transaction: TransactionKey | None = None
    """The INVITE's client or server transaction."""
    dialog: Dialog | None = None
    local_sdp: SessionDescription | None = None
    """The SDP we sent last (offer or answer)."""
    offer_out: bool = False
    """`local_sdp` is an offer whose answer has not come yet."""
    pending_answer: tuple[SessionDescription, NegotiatedMedia] | None = None
    """Incoming call: our answer to the INVITE's offer, sent with the 2xx."""
    media: NegotiatedMedia | None = None
    """The media agreed on."""
    ack: tuple[Request, Peer] | None = None
    """Outgoing call: the ACK we sent for the 2xx, sent again for its retransmissions."""
    answer_at: float | None = None
    """Incoming call: when auto-answer picks up."""
    authorized: bool = False
    """Our INVITE was retried with credentials."""
    reason: EndReason | None = None
    status: int | None = None
    """The status that ended it, if a response did."""
    session_id: int = field(default_factory=lambda: secrets.randbelow(2**31))

    @property
    def live(self) -> bool:
        return self.state is not CallState.ENDED

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {"call_id": self.call_id, "direction": str(self.direction),
                                  "remote": self.remote, "state": str(self.state)}
        if self.media is not None:
            out["media"] = {"remote": f"{self.media.remote_address}:{self.media.remote_port}",
                            "codec": self.media.codec.encoding, "ptime": self.media.ptime}
        if self.reason is not None:
            out["end"] = str(self.reason)
        if self.status is not None:
            out["status"] = self.status
        return out


class PhoneAgent:
    """One phone's SIP user agent: one account, one call at a time."""

    def __init__(self, config: PhoneConfig, listeners: dict[Transport, Peer],
                 rtp_port: int, registrar: tuple[str, int] | None) -> None:
        """listeners: the bound SIP listeners (UDP at least), all on the phone's address;
        registrar: where it registers and sends calls by number (None: calls by URI only)."""
        if Transport.UDP not in listeners:
            raise ValueError("the phone needs a UDP listener")
        self.config = config
        self.listeners = listeners
        self.address = listeners[Transport.UDP].host
        self.contact = self._contact(config.transport)
        self.registrar = (Peer(config.transport, *registrar) if registrar is not None
                          else None)
        self.local_media = LocalMedia(self.address, rtp_port, CODECS, telephone_event=None)
        self.digest = DigestClient(config.digest_user, config.password)
        """The account's credentials, for REGISTER and INVITE alike."""
        self.current: Call | None = None
        """The live call, if any."""
        self.last_call: Call | None = None
        """The call that ended last."""
        self.stopping = False
        self._events: deque[PhoneEvent] = deque()
        self._actions: list[SipAction] = []
        self._dialogs: dict[tuple[str, str], Call] = {}
        self._by_transaction: dict[TransactionKey, Call] = {}
        self.registration = (Registration(config, self.registrar, self.contact, self.digest,
                                          self._send, self._emit)
                             if self.registrar is not None and config.expires else None)

    # -- what the owner reads -------------------------------------------------------------------

    def actions(self) -> list[SipAction]:
        """SIP work to do, in order; each call drains the queue."""
        out, self._actions = self._actions, []
        return out

    def next_event(self) -> PhoneEvent | None:
        return self._events.popleft() if self._events else None

    def get_timer(self) -> float | None:
        deadlines = [d for d in (
            self.registration.deadline if self.registration is not None else None,
            self.current.answer_at if self.current is not None else None) if d is not None]
        return min(deadlines) if deadlines else None

    @property
    def finished(self) -> bool:
        """Stopped, and the un-REGISTER is answered (or given up)."""
        return self.stopping and (self.registration is None or self.registration.finished)

    @property
    def registration_state(self) -> RegistrationState:
        if self.registration is None:
            return RegistrationState.UNREGISTERED
        return self.registration.state

    def describe(self) -> dict[str, object]:
        """Registration state, the last answer to it, and the calls, for status output."""
        reg = self.registration
        registration: dict[str, object] = {"state": str(self.registration_state)}
        if reg is not None:
            registration.update({
                "registrar": f"{reg.registrar.transport.lower()}:{reg.registrar.host}:"
                             f"{reg.registrar.port}",
                "last_response": reg.response, "expires": reg.expires,
                "failures": reg.failures})
        calls = [call.describe() for call in (self.current, self.last_call) if call is not None]
        return {"contact": str(self.contact), "registration": registration, "calls": calls}

    # -- commands -------------------------------------------------------------------------------

    def start(self, now: float) -> None:
        if self.registration is not None:
            self.registration.start(now)

    def stop(self, now: float) -> None:
        """End the call politely (BYE, CANCEL or 480) and un-REGISTER; see `finished`."""
        if self.stopping:
            return
        self.stopping = True
        if self.current is not None:
            call = self.current
            if call.state is CallState.INCOMING:
                self._respond(call, 480)
            self._hang_up(call)
        if self.registration is not None:
            self.registration.stop(now)

    def call(self, target: str, now: float) -> str:
        """Call `target`: a number (through the registrar) or a sip: URI (sent straight
        there). Returns the call's Call-ID; PhoneError when a call is on or the target is
        unusable."""
        if self.stopping:
            raise PhoneError("the phone is stopping")
        if self.current is not None:
            raise PhoneError(f"a call is {self.current.state}: hang up first")
        uri, to, peer = self._target(target)
        session_id = secrets.randbelow(2**31)
        offer = make_offer(SRTP_MODE, self.local_media, session_id=session_id)
        call_id = new_call_id(self.address)
        local_tag = new_tag()
        h = Headers()
        h.add("Max-Forwards", str(c.DEFAULT_MAX_FORWARDS))
        h.add("From", str(Address(self._aor(), self.config.display_name or None,
                                  {"tag": local_tag})))
        h.add("To", str(Address(to)))
        h.add("Call-ID", call_id)
        h.add("CSeq", "1 INVITE")
        h.add("Contact", str(self.contact))
        h.add("Allow", ALLOW)
        h.add("User-Agent", USER_AGENT)
        h.add("Content-Type", SDP)
        invite = Request("INVITE", uri, h, offer.encode())
        call = Call(call_id, Direction.OUTGOING, str(to), invite, local_tag, CallState.CALLING,
                    local_sdp=offer, offer_out=True, session_id=session_id)
        self.current = call
        self._send_invite(call, invite, peer)
        return call_id

    def answer(self, now: float, call_id: str | None = None) -> None:
        """Pick up the ringing call."""
        call = self._ringing(call_id)
        call.answer_at = None
        if call.pending_answer is not None:
            sdp, media = call.pending_answer
            call.local_sdp, call.media = sdp, media
        else:  # no offer in the INVITE: ours goes in the 2xx, the answer in the ACK (§13.2.1)
            call.local_sdp, call.offer_out = make_offer(SRTP_MODE, self.local_media,
                                                        session_id=call.session_id), True
        self._respond(call, 200, body=call.local_sdp.encode())
        if call.dialog is not None:
            call.dialog.state = DialogState.CONFIRMED
        call.state = CallState.CONNECTED
        self._emit(CallConnected(call.call_id, call.media))

    def reject(self, now: float, call_id: str | None = None,
               status: int = REJECT_STATUS) -> None:
        """Turn the ringing call down (486 Busy Here unless another status is given)."""
        if not 400 <= status < 700:
            raise PhoneError(f"reject with a 4xx-6xx status, not {status}")
        call = self._ringing(call_id)
        self._respond(call, status)
        self._end(call, EndReason.HUNG_UP, status)

    def hang_up(self, now: float, call_id: str | None = None) -> None:
        """End the call: BYE when connected, CANCEL while calling, a ringing call is
        rejected (REJECT_STATUS)."""
        call = self.current
        if call is None or (call_id is not None and call.call_id != call_id):
            raise PhoneError("no call to hang up")
        if call.state is CallState.INCOMING:
            self.reject(now, call.call_id)
            return
        self._hang_up(call)

    # -- input ----------------------------------------------------------------------------------

    def handle_timer(self, now: float) -> None:
        if self.registration is not None:
            self.registration.handle_timer(now)
        call = self.current
        if call is not None and call.answer_at is not None and now >= call.answer_at:
            self.answer(now, call.call_id)

    def handle_event(self, event: Event, now: float) -> None:
        """One event of the transaction layer."""
        if isinstance(event, RequestReceived):
            self._request_received(event, now)
        elif isinstance(event, ResponseReceived):
            self._response_received(event, now)
        elif isinstance(event, CancelReceived):
            self._cancelled(event)
        elif isinstance(event, TransactionTimeout):
            self._no_answer(event.transaction, 408, now, unacked=event.timer is Timer.L)
        elif isinstance(event, TransportFailed):
            self._no_answer(event.transaction, 503, now)
        elif isinstance(event, TransactionTerminated):
            self._by_transaction.pop(event.transaction, None)

    # -- requests from the far end ------------------------------------------------------------

    def _request_received(self, event: RequestReceived, now: float) -> None:
        request, key = event.request, event.transaction
        try:
            if key is None:
                self._ack(request)
            else:
                self._serve(request, key, now)
        except (SipParseError, DialogError) as exc:
            status = exc.status if isinstance(exc, DialogError) else exc.status or 400
            reason = str(exc) if isinstance(exc, DialogError) else exc.reason
            log.info("phone %s: %s from %s refused: %s", self.config.name, request.method,
                     event.source, reason)
            if key is not None:
                self._actions.append(SendResponse(
                    make_response(request, status, reason[:80], to_tag=new_tag()), key))

    def _serve(self, request: Request, key: TransactionKey, now: float) -> None:
        method = request.method
        if request.to.tag:
            call = self._dialogs.get((request.call_id, request.to.tag))
            if call is None or call.dialog is None:
                self._answer(request, key, 481)
                return
            call.dialog.receive_request(request)
            if method == "BYE":
                self._answer(request, key, 200)
                if call.state is CallState.INCOMING:  # BYE before our 2xx (§15.1.2)
                    self._respond(call, 487)
                self._end(call, EndReason.NORMAL)
            elif method == "INVITE":
                self._reinvite(call, request, key)
            elif method in ("OPTIONS", "INFO"):
                self._answer(request, key, 200, allow=True)
            else:
                self._answer(request, key, 405, allow=True)
        elif method == "INVITE":
            self._incoming(request, key, now)
        elif method == "OPTIONS":
            self._answer(request, key, 200, allow=True)
        elif method in ("BYE", "INFO"):
            self._answer(request, key, 481)
        else:
            self._answer(request, key, 405, allow=True)

    def _incoming(self, invite: Request, key: TransactionKey, now: float) -> None:
        if self.current is not None or self.stopping:
            self._answer(invite, key, 486)
            return
        pending = None
        if invite.body:
            try:
                pending = answer_offer(SRTP_MODE, SessionDescription.parse(invite.body),
                                       self.local_media, session_id=secrets.randbelow(2**31))
            except OfferAnswerError as exc:
                self._answer(invite, key, exc.status, warning=exc.reason)
                return
        call = Call(invite.call_id, Direction.INCOMING, str(invite.from_.uri), invite,
                    new_tag(), CallState.INCOMING, key, pending_answer=pending)
        ringing = self._dialog_response(call, 180)
        call.dialog = Dialog.from_uas(invite, ringing, self.contact)  # DialogError: 400
        self._actions.append(SendResponse(ringing, key))
        self.current = call
        self._by_transaction[key] = call
        self._dialogs[(call.call_id, call.local_tag)] = call
        self._emit(CallRinging(call.call_id, Direction.INCOMING, call.remote))
        if self.config.auto_answer is not None:
            call.answer_at = now + self.config.auto_answer
            if self.config.auto_answer == 0:
                self.answer(now, call.call_id)

    def _reinvite(self, call: Call, request: Request, key: TransactionKey) -> None:
        """A target refresh or new offer inside the dialog (§14.2)."""
        if call.state is not CallState.CONNECTED or call.offer_out:
            self._answer(request, key, 491)  # an offer of ours is still open (RFC 3264 §4)
            return
        if request.body:
            try:
                sdp, media = answer_offer(SRTP_MODE, SessionDescription.parse(request.body),
                                          self.local_media, session_id=call.session_id,
                                          version=self._next_version(call))
            except OfferAnswerError as exc:
                self._answer(request, key, exc.status, warning=exc.reason)
                return
            call.local_sdp = sdp
            self._changed(call, media)
        else:  # offerless re-INVITE: our current SDP as the offer, the answer in the ACK
            call.offer_out = True
        assert call.local_sdp is not None
        self._actions.append(SendResponse(self._dialog_response(
            call, 200, body=call.local_sdp.encode(), invite=request), key))

    def _ack(self, ack: Request) -> None:
        """An ACK for our 2xx: it may carry the answer to the offer in our 2xx."""
        call = self._dialogs.get((ack.call_id, ack.to.tag or ""))
        if call is None or not call.offer_out or not ack.body:
            return
        call.offer_out = False
        assert call.local_sdp is not None
        try:
            media = accept_answer(SRTP_MODE, call.local_sdp, SessionDescription.parse(ack.body),
                                  self.local_media)
        except MediaError as exc:
            log.info("phone %s: answer in the ACK unusable: %s", self.config.name, exc)
            self._hang_up(call, reason=EndReason.FAILED, status=488)
            return
        self._changed(call, media)

    def _cancelled(self, event: CancelReceived) -> None:
        call = self._by_transaction.get(event.transaction)
        if call is None or call.state is not CallState.INCOMING:
            return
        self._actions.append(SendResponse(
            make_response(call.invite, 487, to_tag=event.to_tag), event.transaction))
        self._end(call, EndReason.NORMAL)

    # -- responses to our requests -----------------------------------------------------------

    def _response_received(self, event: ResponseReceived, now: float) -> None:
        key, response = event.transaction, event.response
        if self.registration is not None and self.registration.owns(key):
            self.registration.handle_response(response, now)
            return
        call = self._by_transaction.get(key)
        if call is None or key.method != "INVITE":
            return  # BYE, CANCEL, OPTIONS: their answers change nothing here
        try:
            if response.status < 200:
                self._provisional(call, response)
            elif response.status < 300:
                self._accepted(call, response)
            else:
                self._refused(call, response)
        except (SipParseError, DialogError) as exc:
            log.info("phone %s: bad %d to INVITE: %s", self.config.name, response.status, exc)

    def _provisional(self, call: Call, response: Response) -> None:
        if response.to.tag and call.dialog is None and call.live:
            call.dialog = Dialog.from_uac(call.invite, response, self.contact)
        if call.state is CallState.CALLING and response.status in (180, 183):
            call.state = CallState.RINGBACK
            self._emit(CallRinging(call.call_id, Direction.OUTGOING, call.remote))

    def _accepted(self, call: Call, response: Response) -> None:
        if call.ack is not None:  # a retransmitted 2xx: its ACK again (§13.2.2.4)
            self._actions.append(SendStateless(*call.ack))
            return
        dialog = call.dialog
        if dialog is None or dialog.remote_tag != response.to.tag:
            dialog = Dialog.from_uac(call.invite, response, self.contact)
        else:
            dialog.receive_response(call.invite, response)
        call.dialog = dialog
        ack = dialog.create_ack(call.invite)
        self._add_via(ack, uri_destination(next_hop(ack)).transport)
        call.ack = (ack, uri_destination(next_hop(ack)))
        self._actions.append(SendStateless(*call.ack))
        if not call.live:  # we hung up while it was being answered: end it properly
            self._bye(call)
            return
        self._dialogs[(call.call_id, call.local_tag)] = call
        assert call.local_sdp is not None
        call.offer_out = False
        try:
            media = accept_answer(SRTP_MODE, call.local_sdp,
                                  SessionDescription.parse(response.body), self.local_media)
        except MediaError as exc:
            log.info("phone %s: the answer is unusable: %s", self.config.name, exc)
            self._hang_up(call, reason=EndReason.FAILED, status=488)
            return
        call.media = media
        call.state = CallState.CONNECTED
        self._emit(CallConnected(call.call_id, media))

    def _refused(self, call: Call, response: Response) -> None:
        status = response.status
        if status in (401, 407) and not call.authorized and call.live and self.config.password:
            retry = self.digest.authorize(call.invite, response)
            if retry is not None:
                call.authorized = True
                call.invite = retry
                self._send_invite(call, retry, self._peer_of(call))
                return
        if call.live:
            self._end(call, END_REASONS.get(status, EndReason.FAILED), status)

    def _no_answer(self, key: TransactionKey, status: int, now: float, *,
                   unacked: bool = False) -> None:
        if self.registration is not None and self.registration.owns(key):
            reason = "Request Timeout" if status == 408 else "Service Unavailable"
            self.registration.handle_no_answer(status, reason, now)
            return
        call = self._by_transaction.get(key)
        if call is None or key.method != "INVITE" or not call.live:
            return
        if not key.server:  # Timer B or the transport: no final answer (§8.1.3.1)
            self._end(call, EndReason.NOT_REACHABLE, status)
        elif unacked:  # our 2xx was never ACKed (§13.3.1.4)
            self._hang_up(call, reason=EndReason.FAILED)

    # -- helpers --------------------------------------------------------------------------------

    def _target(self, target: str) -> tuple[SipUri, SipUri, Peer]:
        """Request-URI, To URI and first hop of a call to `target`."""
        text = target.strip()
        if text.lower().startswith(("sip:", "sips:")):
            try:
                uri = SipUri.parse(text)
            except SipParseError as exc:
                raise PhoneError(f"{target!r} is not a SIP URI: {exc.reason}") from None
            to = uri.copy(params={}, headers=[])
            return uri, to, uri_destination(uri)
        if not text or not all(ch.isalnum() or ch in "*#+-._" for ch in text):
            raise PhoneError(f"{target!r} is neither a number nor a sip: URI")
        if self.registrar is None:
            raise PhoneError("calls by number go through the registrar, and none is set: "
                             "call a sip: URI")
        return (registrar_uri(self.registrar, text), SipUri(self.registrar.host, text),
                self.registrar)

    def _aor(self) -> SipUri:
        host = self.registrar.host if self.registrar is not None else self.address
        return SipUri(host, self.config.user)

    def _contact(self, kind: Transport) -> Address:
        local = self.listeners.get(kind) or self.listeners[Transport.UDP]
        params: dict[str, str | None] = {}
        if local.transport is not Transport.UDP:
            params["transport"] = local.transport.lower()
        return Address(SipUri(local.host, self.config.user, port=local.port, params=params))

    def _add_via(self, request: Request, kind: Transport) -> None:
        local = self.listeners.get(kind) or self.listeners[Transport.UDP]
        via = Via(kind.value, local.host, local.port, {"branch": new_branch(), "rport": None})
        request.headers.prepend("Via", str(via))

    def _send(self, request: Request, peer: Peer) -> TransactionKey:
        """Queue `request` as a new client transaction to `peer`; its key."""
        if "Via" not in request.headers:
            self._add_via(request, peer.transport)
        self._actions.append(SendRequest(request, peer))
        return client_key(request)

    def _send_invite(self, call: Call, invite: Request, peer: Peer) -> None:
        key = self._send(invite, peer)
        call.transaction = key
        self._by_transaction[key] = call

    def _peer_of(self, call: Call) -> Peer:
        """Where our INVITE went: the registrar for a number, else the URI's address."""
        if self.registrar is not None and call.invite.uri.host == self.registrar.host and \
                call.invite.uri.port == self.registrar.port:
            return self.registrar
        return uri_destination(call.invite.uri)

    def _hang_up(self, call: Call, *, reason: EndReason = EndReason.HUNG_UP,
                 status: int | None = None) -> None:
        if call.state in (CallState.CALLING, CallState.RINGBACK):
            assert call.transaction is not None
            self._actions.append(CancelInvite(call.transaction))
        elif call.state is CallState.CONNECTED:
            self._bye(call)
        self._end(call, reason, status)

    def _bye(self, call: Call) -> None:
        if call.dialog is None:
            return
        try:
            bye = call.dialog.create_request("BYE", headers=[("User-Agent", USER_AGENT)])
        except DialogError:
            return
        self._send(bye, uri_destination(next_hop(bye)))

    def _end(self, call: Call, reason: EndReason, status: int | None = None) -> None:
        if not call.live:
            return
        call.state, call.reason, call.status, call.answer_at = (CallState.ENDED, reason,
                                                                status, None)
        self._dialogs.pop((call.call_id, call.local_tag), None)
        if self.current is call:
            self.current = None
        self.last_call = call
        self._emit(CallEnded(call.call_id, reason, status))

    def _changed(self, call: Call, media: NegotiatedMedia) -> None:
        call.media = media
        self._emit(MediaChanged(call.call_id, media))

    def _next_version(self, call: Call) -> int:
        if call.local_sdp is None:
            return 0
        parts = call.local_sdp.origin.split()
        return int(parts[2]) + 1 if len(parts) > 2 and parts[2].isdigit() else 1

    def _ringing(self, call_id: str | None) -> Call:
        call = self.current
        if call is None or call.state is not CallState.INCOMING or (
                call_id is not None and call.call_id != call_id):
            raise PhoneError("no call rings")
        return call

    def _dialog_response(self, call: Call, status: int, *, body: bytes = b"",
                         invite: Request | None = None) -> Response:
        response = make_dialog_response(invite or call.invite, status, to_tag=call.local_tag,
                                        contact=self.contact, body=body,
                                        content_type=SDP if body else None)
        response.headers.add("Allow", ALLOW)
        return response

    def _respond(self, call: Call, status: int, *, body: bytes = b"") -> None:
        """Answer the call's INVITE (to-tag of the early dialog kept)."""
        assert call.transaction is not None
        if status < 300:
            response = self._dialog_response(call, status, body=body)
        else:
            response = make_response(call.invite, status, to_tag=call.local_tag)
        self._actions.append(SendResponse(response, call.transaction))

    def _answer(self, request: Request, key: TransactionKey, status: int, *,
                allow: bool = False, warning: str = "") -> None:
        headers = [("Allow", ALLOW), ("Accept", SDP)] if allow else []
        if warning:
            headers.append(("Warning", f'399 {self.address} "{warning[:120]}"'))
        headers.append(("User-Agent", USER_AGENT))
        self._actions.append(SendResponse(make_response(request, status, to_tag=new_tag(),
                                                        headers=headers), key))

    def _emit(self, event: PhoneEvent) -> None:
        self._events.append(event)

