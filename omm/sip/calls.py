"""The OMM as SIP user agent for its DECT users' calls (docs/calls.md §3, features.md §2.7;
RFC 3261 §13-15, RFC 3264 offer/answer with SDES per the site's SRTP mode, RFC 4733 DTMF).

`CallControl` maps DECT call events (omm.dect.events) to INVITE/CANCEL/BYE and SIP requests
and responses to the fixed part's `call_*` methods, and tells the media gateways (MediaPort)
what each call's media is. It sends and receives through the transport `Registrations` owns,
with each user's account and the server tier its registration uses.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from dect.nwk.tables import ReleaseReasonCode
from omm.alarms import ALARM_TAKEN_DISPLAY, AlarmCallProgress, AlarmRaised
from omm.dect.events import (
    CallAlerting,
    CallAnswered,
    CallDialled,
    CallHandover,
    CallKey,
    CallReleased,
)
from omm.mediaport import MediaCodecChoice, MediaPort, RtpAddress, SrtpKeys
from omm.sip.registration import Registrations, UserRegistration
from sipdect.media import constants as mc
from sipdect.media.errors import OfferAnswerError, SdpError
from sipdect.media.sdes import (
    LocalMedia,
    NegotiatedMedia,
    accept_answer,
    answer_offer,
    make_offer,
)
from sipdect.media.sdp import SessionDescription
from sipdect.sip import (
    Address,
    Dialog,
    DialogError,
    DigestClient,
    Headers,
    Peer,
    Request,
    RequestReceived,
    Response,
    ResponseReceived,
    SipTransport,
    SipTransportError,
    SipUri,
    TransactionKey,
    make_dialog_response,
    make_response,
    new_call_id,
    new_tag,
    next_hop,
)
from sipdect.sip.message import SipParseError, uri_destination
from sipdect.sip.transaction import (
    CancelReceived,
    Event,
    TransactionTerminated,
    TransactionTimeout,
    TransportFailed,
)

log = logging.getLogger("sipdect.omm.sip.calls")

#: Seconds an incoming call may ring unanswered before the caller gets 480 and the PP stops
#: ringing (AdvancedSIP `incomingCallTiemout` is not configurable here).
INCOMING_CALL_TIMEOUT = 60.0
SDP = "application/sdp"
DTMF_RELAY = "application/dtmf-relay"
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"


class DectCallPort(Protocol):
    """What CallControl asks of the DECT side (omm.dect FixedPart, docs/calls.md §1)."""

    def call_in(self, ppn: int, now: float, *, calling_number: str = "",
                calling_name: str = "") -> bool:
        """Page and set up an incoming call; False for an unknown or unsubscribed device."""

    def call_proceeding(self, ppn: int, now: float) -> None:
        """CC-CALL-PROC: the INVITE is on its way."""

    def call_alerting(self, ppn: int, now: float) -> None:
        """CC-ALERTING: the far end rings."""

    def call_connect(self, ppn: int, now: float) -> None:
        """CC-CONNECT: the far end answered."""

    def call_release(self, ppn: int, reason: ReleaseReasonCode, now: float, *,
                     display: str = "") -> None:
        """CC-RELEASE with a reason and a text for the handset's display."""


@dataclass(frozen=True)
class Outcome:
    """What a final SIP failure means on the DECT side."""

    reason: ReleaseReasonCode
    """CC-RELEASE reason."""
    display: str
    """Text for the handset."""


R = ReleaseReasonCode

LICENSE_DISPLAY = "License violation"
"""What a handset shows when the expired licence latency refuses its call (omm.license)."""
#: Final responses to our INVITE -> DECT release (anything else: FAILED with the status).
RESPONSE_OUTCOMES: dict[int, Outcome] = {
    403: Outcome(R.USER_REJECTION, "Forbidden"),
    404: Outcome(R.USER_UNKNOWN, "Unknown number"),
    408: Outcome(R.TIMER_EXPIRY, "No answer"),
    480: Outcome(R.USER_NOT_IN_RANGE, "Not reachable"),
    484: Outcome(R.USER_UNKNOWN, "Incomplete number"),
    486: Outcome(R.USER_BUSY, "Busy"),
    487: Outcome(R.NORMAL, ""),
    488: Outcome(R.INCOMPATIBLE_SERVICE, "Media not acceptable"),
    600: Outcome(R.USER_BUSY, "Busy"),
    603: Outcome(R.USER_REJECTION, "Rejected"),
    604: Outcome(R.USER_UNKNOWN, "Unknown number"),
    606: Outcome(R.INCOMPATIBLE_SERVICE, "Not acceptable"),
}
FAILED = Outcome(R.UNKNOWN, "Call failed")

#: DECT CallReleased reasons of a ringing PP -> the final response the caller gets.
DECLINE_STATUS: dict[str, int] = {
    "Busy": 486, "Rejected": 603, "Normal": 603, "NotReachable": 480, "LinkLost": 480,
    "Failed": 480,
}

#: AXI CodecType names -> SDP formats (G.729-A is licensed and not emulated).
CODECS = mc.AXI_CODECS
DEFAULT_CODECS = ("G.711-A-law", "G.711-u-law", "G.722")


class Leg(enum.StrEnum):
    OUT = "outgoing"
    IN = "incoming"


class Phase(enum.StrEnum):
    """Where a call is; transitions happen in the handlers named after the SIP/DECT events."""

    SETUP = "setup"          # INVITE sent / received, no final response
    CONNECTED = "connected"  # 2xx sent or received
    ENDING = "ending"        # CANCEL sent: waiting for the INVITE's final response


@dataclass
class Call:
    """One user's call: its SIP dialog, its media and where its DECT connection is."""

    ppn: int
    """The device."""
    leg: Leg
    """Who called."""
    account: UserRegistration | None
    """The SIP account (outgoing calls need one; incoming may lack it)."""
    invite: Request
    """The INVITE that set it up (the last one sent, for outgoing calls)."""
    first_hop: Peer | None = None
    """Where our INVITE went (the call server or the outbound proxy)."""
    peer: Peer | None = None
    """The outbound proxy every in-dialog request goes to; None: by route set (§12.2.1.1)."""
    phase: Phase = Phase.SETUP
    rfp_id: int = 0
    """The RFP carrying the connection now."""
    mcei: int = 0
    """The connection there."""
    anchor: tuple[int, int] | None = None
    """(rfp_id, mcei) where the media was reserved: the anchor of the RTP session."""
    mode: mc.SrtpMode = mc.SrtpMode.DISABLED
    """The SRTP mode of the anchor RFP's site."""
    local: LocalMedia | None = None
    """Our media as offered or answered."""
    offer: SessionDescription | None = None
    """The offer (ours for outgoing calls, the caller's for incoming ones)."""
    answer: SessionDescription | None = None
    """Our answer (incoming calls), re-sent for a re-INVITE."""
    media: NegotiatedMedia | None = None
    """The negotiated media once started."""
    transaction: TransactionKey | None = None
    """The INVITE's client or server transaction."""
    dialog: Dialog | None = None
    to_tag: str = field(default_factory=new_tag)
    """Our To tag (incoming calls)."""
    ack: Request | None = None
    """The ACK we sent for the 2xx, re-sent for its retransmissions."""
    acked: bool = False
    """The caller ACKed our 2xx (incoming calls)."""
    proceeding: bool = False
    alerting: bool = False
    authorized: bool = False
    """The INVITE was retried with credentials once."""
    timer: asyncio.TimerHandle | None = None
    """The incoming call timeout."""
    alarm: AlarmRaised | None = None
    """The handset alarm this call is the alarm call of (its progress goes to the hub)."""

    @property
    def call_id(self) -> str:
        return self.invite.call_id

    @property
    def dialog_key(self) -> tuple[str, str]:
        """(Call-ID, our tag): how in-dialog requests find the call."""
        return (self.call_id, self.to_tag if self.leg is Leg.IN else self.invite.from_.tag or "")


class CallControl:
    """The SIP side of every DECT call of one OMM (docs/calls.md §3). One call per user.

    DECT events go to `handle` (or the on_* methods), SIP events arrive through the
    registrations' transport (`Registrations.on_sip_event`, set here).
    """

    def __init__(self, model: Any, registrations: Registrations, dect: DectCallPort,
                 media: MediaPort, *, incoming_timeout: float = INCOMING_CALL_TIMEOUT,
                 on_dect_output: Callable[[], None] | None = None) -> None:
        self.model = model
        self.registrations = registrations
        self.dect = dect
        self.media = media
        self.incoming_timeout = incoming_timeout
        self.on_dect_output = on_dect_output
        self.calls: dict[int, Call] = {}
        """Live calls by ppn."""
        self._by_dialog: dict[tuple[str, str], Call] = {}
        """Calls by (Call-ID, our tag): both legs of a call between two of our users share
        a Call-ID."""
        self._by_transaction: dict[TransactionKey, Call] = {}
        self._requests: dict[TransactionKey, tuple[Call, Request]] = {}
        self.last_rfp: dict[int, int] = {}
        """The RFP each device was last seen on (DeviceAttached and call events)."""
        self._alarms = 0
        """Handset alarms raised so far (their ids)."""
        registrations.on_sip_event = self.handle_sip

    # -- helpers ------------------------------------------------------------------------------
    def _display_name(self, uid: int) -> str:
        """The user's name as a quoted display name with its trailing space, or nothing: the
        called handset shows it beside the number."""
        rec = self.model.users.table.get(uid)
        name = str(rec.get("name") or "") if rec is not None else ""
        if not name:
            return ""
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '" '

    @property
    def sip(self) -> SipTransport:
        transport = self.registrations.transport
        if transport is None:
            raise SipTransportError("the SIP transport is not started")
        return transport

    def now(self) -> float:
        return self.sip.now()

    def _dect_done(self) -> None:
        if self.on_dect_output is not None:
            self.on_dect_output()

    def _release_dect(self, call: Call, outcome: Outcome) -> None:
        self.dect.call_release(call.ppn, outcome.reason, self.now(), display=outcome.display)
        self._dect_done()

    def _alarm_progress(self, call: Call, state: str) -> None:
        if call.alarm is not None and call.alarm.to_addr is not None:
            self.model.hub.publish(AlarmCallProgress(call.alarm.alarm_id, call.ppn,
                                                     call.alarm.trigger, call.alarm.to_addr,
                                                     state))

    def _raise_alarm(self, event: CallDialled) -> AlarmRaised | None:
        """The alarm a dialled number raises (omm.alarms; standby-eventmgr.md B.4), told to
        the hub; None when it names no trigger."""
        found = self.model.alarm_triggers.match(event.number)
        if found is None:
            return None
        trigger, suffix = found
        device = self.model.devices.table.get(event.ppn) or {}
        uid = device.get("uid") or None
        user = self.model.users.table.get(uid) if uid else None
        from_addr = f"tel:{user['num']}" if user and user.get("num") else f"ppn:{event.ppn}"
        self._alarms += 1
        alarm = AlarmRaised(self._alarms, int(self.model.clock()), trigger["triggerId"],
                            event.ppn, uid, from_addr,
                            f"tel:{trigger['num']}" if trigger["num"] else None, suffix)
        self.model.hub.publish(alarm)
        return alarm

    def _forget(self, call: Call, *, stop_media: bool = True) -> None:
        """The call is over for the user (its SIP leftovers may still be answered)."""
        if call.alarm is not None and self.calls.get(call.ppn) is call:
            self._alarm_progress(call, "released")
        if call.timer is not None:
            call.timer.cancel()
            call.timer = None
        if self.calls.get(call.ppn) is call:
            del self.calls[call.ppn]
            if stop_media and call.anchor is not None:
                self.media.stop(call.ppn)
        if call.phase is not Phase.ENDING:
            self._by_dialog.pop(call.dialog_key, None)

    def _site_mode(self, rfp_id: int) -> mc.SrtpMode:
        rfp = self.model.rfps.table.get(rfp_id)
        site = self.model.sites.table.get(rfp.get("site", 1) if rfp else 1)
        try:
            return mc.SrtpMode((site or {}).get("srtp") or mc.SrtpMode.DISABLED)
        except ValueError:
            return mc.SrtpMode.DISABLED

    def _local_media(self, address: RtpAddress) -> LocalMedia:
        rtp = self.model.settings.get("RTP")
        dtmf = self.model.settings.get("DTMF")
        codecs = tuple(CODECS[name] for name in rtp.get("type") or DEFAULT_CODECS
                       if name in CODECS) or tuple(CODECS[n] for n in DEFAULT_CODECS)
        event = int(dtmf.get("payloadType") or mc.TELEPHONE_EVENT.payload_type) \
            if dtmf.get("method", "RFC2833") in ("RFC2833", "Both") else None
        return LocalMedia(address.host, address.port, codecs, event,
                          int(rtp.get("packetTime") or mc.DEFAULT_PTIME_MS),
                          receiver_precedence=bool(rtp.get("receiverPrecedence")),
                          single_codec_answer=bool(rtp.get("singleCodecReplyInSDP")))

    def _start_media(self, call: Call, negotiated: NegotiatedMedia) -> None:
        assert call.anchor is not None
        call.media = negotiated
        codec = MediaCodecChoice(negotiated.codec.encoding, negotiated.codec.payload_type,
                                 negotiated.codec.clock_rate, negotiated.ptime)
        keys = None
        if negotiated.srtp and negotiated.local_key and negotiated.remote_key:
            keys = SrtpKeys(negotiated.local_key.suite, negotiated.local_key.key,
                            negotiated.remote_key.key)
        rfp_id, mcei = call.anchor
        self.media.start(call.ppn, rfp_id, mcei, codec,
                         RtpAddress(negotiated.remote_address, negotiated.remote_port), keys,
                         negotiated.telephone_event)
        if (call.rfp_id, call.mcei) != call.anchor:  # handed over while it was ringing
            self.media.handover(call.ppn, call.rfp_id, call.mcei)

    def _send(self, call: Call, request: Request) -> TransactionKey:
        key = self.sip.send_request(request, call.peer)
        self._requests[key] = (call, request)
        return key

    def _in_dialog(self, call: Call, method: str, *, body: bytes = b"",
                   content_type: str | None = None,
                   headers: tuple[tuple[str, str], ...] = ()) -> None:
        if call.dialog is None:
            return
        try:
            request = call.dialog.create_request(method, body=body, content_type=content_type,
                                                 headers=headers)
        except DialogError as exc:
            log.info("ppn %d: no %s: %s", call.ppn, method, exc)
            return
        try:
            self._send(call, request)
        except SipTransportError as exc:
            log.warning("ppn %d: cannot send %s: %s", call.ppn, method, exc)

    def _respond(self, call: Call, status: int, *, body: bytes = b"",
                 reason: str | None = None) -> None:
        contact = self._contact(call)
        response = make_dialog_response(call.invite, status, to_tag=call.to_tag,
                                        contact=contact, reason=reason, body=body,
                                        content_type=SDP if body else None)
        if status >= 300:
            response.headers.remove("Contact")
        self.sip.send_response(response, call.transaction)

    def _contact(self, call: Call) -> Address:
        user = call.account.num if call.account else (call.invite.uri.user or "")
        return self.registrations.contact(user)

    def close(self) -> None:
        """End every call (the OMM stops): BYE, CANCEL or 480, media stopped, PPs released.
        Call before `Registrations.stop()`, which closes the transport."""
        for call in list(self.calls.values()):
            if call.phase is Phase.CONNECTED:
                self._in_dialog(call, "BYE")
            elif call.leg is Leg.IN:
                self._respond(call, 480)
            elif call.transaction is not None:
                call.phase = Phase.ENDING
                self.sip.cancel(call.transaction)
            self._forget(call)
            self._release_dect(call, Outcome(R.NORMAL, ""))

    def abandon(self) -> None:
        """Forget every call at once without a word to anyone (the OMM lost its power)."""
        for call in list(self.calls.values()):
            if call.timer is not None:
                call.timer.cancel()
                call.timer = None
        self.calls.clear()
        self._by_dialog.clear()

    # -- DECT events --------------------------------------------------------------------------
    def handle(self, event: object) -> None:
        """Dispatch one FixedPart event; events that are no call's are ignored."""
        rfp_id, ppn = getattr(event, "rfp_id", None), getattr(event, "ppn", None)
        if isinstance(rfp_id, int) and isinstance(ppn, int) and rfp_id:
            self.last_rfp[ppn] = rfp_id  # DeviceAttached and the call events carry it
        handler = _DECT_HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def on_dialled(self, event: CallDialled) -> None:
        """The PP dialled: INVITE the number at the user's call server."""
        ppn = event.ppn
        if ppn in self.calls:
            self.dect.call_release(ppn, R.USER_ALREADY_ACTIVE, self.now(), display="Busy")
            self._dect_done()
            return
        if self.model.license.blocked:  # omm.license.RESTRICTION
            self.dect.call_release(ppn, R.SERVICE_NOT_IMPLEMENTED, self.now(),
                                   display=LICENSE_DISPLAY)
            self._dect_done()
            return
        alarm = self._raise_alarm(event)
        number = event.number
        if alarm is not None:
            if alarm.to_addr is None:  # taken by the OMM: nobody to call
                self.dect.call_release(ppn, R.NORMAL, self.now(), display=ALARM_TAKEN_DISPLAY)
                self._dect_done()
                return
            number = alarm.to_addr.removeprefix("tel:")
        account = self.registrations.account(ppn)
        config = self.registrations.config
        if account is None or config is None or self.registrations.transport is None:
            self.dect.call_release(ppn, R.NETWORK_PARAMETERS_MISSING, self.now(),
                                   display="No SIP account")
            self._dect_done()
            return
        address = self.media.reserve(ppn, event.rfp_id)
        if address is None:
            self.dect.call_release(ppn, R.INSUFFICIENT_RESOURCES, self.now(),
                                   display="No media resources")
            self._dect_done()
            return
        server = account.registrar
        peer, routes = account.config.first_hop(server, server.call_server)
        mode = self._site_mode(event.rfp_id)
        local = self._local_media(address)
        offer = make_offer(mode, local, session_id=secrets.randbelow(2**31))
        domain = server.domain
        target = config.aor(domain, number)
        aor = config.aor(domain, account.num)
        h = Headers()
        for route in routes:
            h.add("Route", str(route))
        h.add("Max-Forwards", "70")
        h.add("From", f"{self._display_name(account.uid)}<{aor}>;tag={new_tag()}")
        h.add("To", f"<{target}>")
        h.add("Call-ID", new_call_id(self.registrations.host))
        h.add("CSeq", "1 INVITE")
        h.add("Contact", str(self.registrations.contact(account.num)))
        h.add("Allow", ALLOW)
        h.add("Content-Type", SDP)
        request_uri = config.server_uri(*server.call_server, number)
        invite = Request("INVITE", request_uri, h, offer.render().encode())
        call = Call(ppn, Leg.OUT, account, invite, first_hop=peer,
                    peer=peer if server.outbound_host else None, rfp_id=event.rfp_id,
                    mcei=event.mcei, anchor=(event.rfp_id, event.mcei), mode=mode,
                    local=local, offer=offer, alarm=alarm)
        self.calls[ppn] = call
        self._by_dialog[call.dialog_key] = call
        try:
            call.transaction = self.sip.send_request(invite, peer)
        except SipTransportError as exc:
            log.warning("ppn %d: cannot send INVITE: %s", ppn, exc)
            self._forget(call)
            self._release_dect(call, FAILED)
            return
        self._by_transaction[call.transaction] = call
        self._alarm_progress(call, "calling")

    def on_alerting(self, event: CallAlerting) -> None:
        """The called PP rings: 180."""
        call = self.calls.get(event.ppn)
        if call is None or call.leg is not Leg.IN or call.phase is not Phase.SETUP:
            return
        if not call.alerting:
            call.alerting = True
            self._respond(call, 180)

    def on_answered(self, event: CallAnswered) -> None:
        """The called PP answered: 200 with our SDP answer; media starts now."""
        call = self.calls.get(event.ppn)
        if call is None or call.leg is not Leg.IN or call.phase is not Phase.SETUP:
            return
        assert call.offer is not None
        call.rfp_id, call.mcei = event.rfp_id, event.mcei
        address = self.media.reserve(call.ppn, event.rfp_id)
        if address is None:
            self._decline(call, 480, Outcome(R.INSUFFICIENT_RESOURCES, "No media resources"))
            return
        call.anchor = (event.rfp_id, event.mcei)
        call.mode = self._site_mode(event.rfp_id)
        call.local = self._local_media(address)
        try:
            answer, negotiated = answer_offer(call.mode, call.offer, call.local,
                                              session_id=secrets.randbelow(2**31))
        except OfferAnswerError as exc:
            log.info("ppn %d: %s", call.ppn, exc)
            self._decline(call, mc.SIP_NOT_ACCEPTABLE_HERE,
                          RESPONSE_OUTCOMES[mc.SIP_NOT_ACCEPTABLE_HERE])
            return
        call.answer = answer
        body = answer.render().encode()
        response = make_dialog_response(call.invite, 200, to_tag=call.to_tag,
                                         contact=self._contact(call), body=body,
                                         content_type=SDP)
        response.headers.add("Allow", ALLOW)
        call.dialog = Dialog.from_uas(call.invite, response)
        call.phase = Phase.CONNECTED
        if call.timer is not None:
            call.timer.cancel()
            call.timer = None
        self.sip.send_response(response, call.transaction)
        self._start_media(call, negotiated)

    def on_released(self, event: CallReleased) -> None:
        """The PP hung up (or could not be reached): CANCEL, BYE or a final response."""
        call = self.calls.get(event.ppn)
        if call is None:
            return
        if call.phase is Phase.CONNECTED:
            self._in_dialog(call, "BYE")
            self._forget(call)
        elif call.leg is Leg.IN:
            status = DECLINE_STATUS.get(event.reason, 480)
            self._respond(call, status)
            self._forget(call)
        else:
            call.phase = Phase.ENDING
            self._forget(call)
            if call.transaction is not None:
                self.sip.cancel(call.transaction)

    def on_key(self, event: CallKey) -> None:
        """A key pressed in a call: RFC 4733 through the media, or SIP INFO (DTMF settings)."""
        call = self.calls.get(event.ppn)
        if call is None or call.phase is not Phase.CONNECTED:
            return
        method = self.model.settings.get("DTMF").get("method", "RFC2833")
        if call.media is not None and call.media.telephone_event is not None \
                and method in ("RFC2833", "Both"):
            self.media.dtmf(call.ppn, event.key)
        if method in ("INFO", "Both") or call.media is None \
                or call.media.telephone_event is None:
            body = f"Signal={event.key}\r\nDuration=160\r\n".encode()
            self._in_dialog(call, "INFO", body=body, content_type=DTMF_RELAY)

    def on_handover(self, event: CallHandover) -> None:
        """The PP's connection moved to another RFP: the media follows (from the anchor)."""
        call = self.calls.get(event.ppn)
        if call is None:
            return
        call.rfp_id, call.mcei = event.rfp_id, event.mcei
        if call.media is not None:
            self.media.handover(call.ppn, event.rfp_id, event.mcei)

    # -- SIP events ---------------------------------------------------------------------------
    def handle_sip(self, event: Event) -> None:
        """One event of the shared SIP transport (not REGISTER: those are awaited)."""
        try:
            if isinstance(event, RequestReceived):
                self._request(event)
            elif isinstance(event, ResponseReceived):
                self._response(event.response, event.transaction)
            elif isinstance(event, CancelReceived):
                self._cancelled(event)
            elif isinstance(event, (TransactionTimeout, TransportFailed)):
                self._failed(event)
            elif isinstance(event, TransactionTerminated):
                self._by_transaction.pop(event.transaction, None)
                self._requests.pop(event.transaction, None)
        except SipParseError as exc:
            log.info("SIP message with a broken header: %s", exc)

    # ---- responses to our requests
    def _response(self, response: Response, key: TransactionKey) -> None:
        call = self._by_transaction.get(key)
        if call is not None:
            self._invite_response(call, response, key)
            return
        pending = self._requests.get(key)
        if pending is None or response.status < 200:
            return
        del self._requests[key]
        call, request = pending
        if response.status in (401, 407) and call.account is not None:
            retry = DigestClient(call.account.auth_id, call.account.password).authorize(
                request, response)
            if retry is not None:
                if call.dialog is not None and call.dialog.local_seq is not None:
                    call.dialog.local_seq = retry.cseq.seq
                self._send(call, retry)

    def _invite_response(self, call: Call, response: Response, key: TransactionKey) -> None:
        status = response.status
        if status < 200:
            if call.phase is Phase.SETUP and status == 100 and not call.proceeding:
                call.proceeding = True
                self.dect.call_proceeding(call.ppn, self.now())
                self._dect_done()
            elif call.phase is Phase.SETUP and status in (180, 183) and not call.alerting:
                call.alerting = call.proceeding = True
                self.dect.call_alerting(call.ppn, self.now())
                self._dect_done()
                self._alarm_progress(call, "ringing")
            return
        if status < 300:
            self._invite_accepted(call, response)
            return
        self._by_transaction.pop(key, None)
        if status in (401, 407) and not call.authorized and call.phase is Phase.SETUP \
                and call.account is not None:
            retry = DigestClient(call.account.auth_id, call.account.password).authorize(
                call.invite, response)
            if retry is not None:
                call.authorized = True
                call.invite = retry
                call.transaction = self.sip.send_request(retry, call.first_hop)
                self._by_transaction[call.transaction] = call
                return
        self._by_dialog.pop(call.dialog_key, None)
        if call.phase is Phase.ENDING:
            return
        outcome = RESPONSE_OUTCOMES.get(status, Outcome(
            FAILED.reason, f"{FAILED.display} ({status})"))
        self._forget(call)
        self._release_dect(call, outcome)

    def _invite_accepted(self, call: Call, response: Response) -> None:
        if call.dialog is not None:  # a retransmitted 2xx: our ACK got lost
            if call.ack is not None and response.to.tag == call.dialog.remote_tag:
                self.sip.send_stateless(call.ack, self._ack_peer(call, call.ack))
            return
        try:
            dialog = Dialog.from_uac(call.invite, response)
        except DialogError as exc:
            log.info("ppn %d: unusable 2xx: %s", call.ppn, exc)
            return
        call.dialog = dialog
        call.ack = dialog.create_ack(call.invite)
        self.sip.send_stateless(call.ack, self._ack_peer(call, call.ack))
        if call.phase is Phase.ENDING:  # answered while we cancelled: end it
            self._in_dialog(call, "BYE")
            self._by_dialog.pop(call.dialog_key, None)
            return
        assert call.offer is not None and call.local is not None
        try:
            answer = SessionDescription.parse(response.body)
            negotiated = accept_answer(call.mode, call.offer, answer, call.local)
        except (SdpError, OfferAnswerError) as exc:
            log.info("ppn %d: %s", call.ppn, exc)
            self._in_dialog(call, "BYE", headers=(
                ("Reason", f'SIP;cause=488;text="{exc}"'),))
            self._forget(call)
            self._release_dect(call, RESPONSE_OUTCOMES[mc.SIP_NOT_ACCEPTABLE_HERE])
            return
        call.phase = Phase.CONNECTED
        self.dect.call_connect(call.ppn, self.now())
        self._dect_done()
        self._alarm_progress(call, "connected")
        self._start_media(call, negotiated)

    def _ack_peer(self, call: Call, ack: Request) -> Peer:
        return call.peer or uri_destination(next_hop(ack))

    def _failed(self, event: TransactionTimeout | TransportFailed) -> None:
        key = event.transaction
        call = self._by_transaction.pop(key, None)
        self._requests.pop(key, None)
        if call is None:
            return
        if call.leg is Leg.IN:  # no ACK for our 2xx (Timer L / H): end the call (§13.3.1.4)
            if call.phase is Phase.CONNECTED and isinstance(event, TransactionTimeout) \
                    and not call.acked:
                self._in_dialog(call, "BYE")
                self._forget(call)
                self._release_dect(call, Outcome(R.TIMER_EXPIRY, ""))
            return
        self._by_dialog.pop(call.dialog_key, None)
        if call.phase is Phase.ENDING:
            return
        outcome = RESPONSE_OUTCOMES[408] if isinstance(event, TransactionTimeout) \
            else Outcome(R.USER_NOT_IN_RANGE, "Server unreachable")
        self._forget(call)
        self._release_dect(call, outcome)

    # ---- requests to us
    def _request(self, event: RequestReceived) -> None:
        request = event.request
        if request.method == "ACK":
            self._ack(request)
            return
        key = event.transaction
        assert key is not None
        if request.to.tag:
            self._in_dialog_request(request, key)
        elif request.method == "INVITE":
            self._invite(request, key)
        elif request.method == "OPTIONS":
            response = make_response(request, 200)
            response.headers.add("Allow", ALLOW)
            self.sip.send_response(response, key)
        else:
            response = make_response(request, 405 if request.method != "BYE" else 481)
            response.headers.add("Allow", ALLOW)
            self.sip.send_response(response, key)

    def _ack(self, ack: Request) -> None:
        call = self._by_dialog.get((ack.call_id, ack.to.tag or ""))
        if call is not None and call.leg is Leg.IN:
            call.acked = True

    def _invite(self, request: Request, key: TransactionKey) -> None:
        """A new call for one of our users (by Request-URI user, else To user)."""
        if self.model.license.blocked:  # omm.license.RESTRICTION
            self.sip.send_response(make_response(request, 503, "License violation"), key)
            return
        number = request.uri.user or request.to.sip_uri.user or ""
        uid = self.model.users.by_num.get(number)
        if uid is None:
            self.sip.send_response(make_response(request, 404), key)
            return
        rec = self.model.users.table.get(uid)
        ppn = int(rec.get("ppn") or 0) if rec else 0
        if not ppn:
            self.sip.send_response(make_response(request, 480, "No device"), key)
            return
        if ppn in self.calls:
            self.sip.send_response(make_response(request, 486), key)
            return
        try:
            offer = SessionDescription.parse(request.body) if request.body else None
        except SdpError as exc:
            self.sip.send_response(make_response(request, 400, f"Bad SDP: {exc}"[:80]), key)
            return
        if offer is None:
            # A delayed offer (INVITE without SDP) would need our offer in the 200 and the
            # answer in the ACK; the call servers SIP-DECT meets all send one.
            self.sip.send_response(make_response(request, 488, "An SDP offer is required"),
                                   key)
            return
        mode = self._site_mode(self._last_rfp(ppn))
        probe = LocalMedia("0.0.0.0", 9, self._local_media(RtpAddress("0.0.0.0", 9)).codecs)
        try:
            answer_offer(mode, offer, probe)
        except OfferAnswerError as exc:
            log.info("incoming call for %s: %s", number, exc)
            self.sip.send_response(make_response(request, 488, str(exc)[:80]), key)
            return
        account = self.registrations.account(ppn)
        call = Call(ppn, Leg.IN, account, request, transaction=key, offer=offer, mode=mode)
        self.calls[ppn] = call
        self._by_dialog[call.dialog_key] = call
        self._by_transaction[key] = call
        caller = request.from_
        calling_number = caller.sip_uri.user if isinstance(caller.uri, SipUri) else ""
        if not self.dect.call_in(ppn, self.now(), calling_number=calling_number or "",
                                 calling_name=caller.display_name or ""):
            self._forget(call, stop_media=False)
            self._respond(call, 480)
            return
        self._dect_done()
        if self.calls.get(ppn) is call:
            loop = asyncio.get_running_loop()
            call.timer = loop.call_later(self.incoming_timeout, self._no_answer, call)

    def _last_rfp(self, ppn: int) -> int:
        """The RFP the device was last seen on; 0 (the default site) when unknown.

        An incoming offer is checked against the SRTP mode of that RFP's site before the PP
        rings, and again against the answering RFP's site when it answers.
        """
        return self.last_rfp.get(ppn, 0)

    def _no_answer(self, call: Call) -> None:
        call.timer = None
        if self.calls.get(call.ppn) is not call or call.phase is not Phase.SETUP:
            return
        self._respond(call, 480, reason="No Answer")
        self._forget(call)
        self._release_dect(call, Outcome(R.TIMER_EXPIRY, "No answer"))

    def _decline(self, call: Call, status: int, outcome: Outcome) -> None:
        self._respond(call, status)
        self._forget(call)
        self._release_dect(call, outcome)

    def _cancelled(self, event: CancelReceived) -> None:
        call = self._by_transaction.get(event.transaction)
        if call is None or call.leg is not Leg.IN or call.phase is not Phase.SETUP:
            return
        self._by_dialog.pop(call.dialog_key, None)
        call.to_tag = event.to_tag or call.to_tag
        self._respond(call, 487)
        self._forget(call)
        self._release_dect(call, Outcome(R.NORMAL, ""))

    def _in_dialog_request(self, request: Request, key: TransactionKey) -> None:
        call = self._by_dialog.get((request.call_id, request.to.tag or ""))
        dialog = call.dialog if call is not None else None
        if call is None or dialog is None:
            self.sip.send_response(make_response(request, 481), key)
            return
        try:
            dialog.receive_request(request)
        except DialogError as exc:
            self.sip.send_response(make_response(request, exc.status, str(exc)), key)
            return
        if request.method == "BYE":
            self.sip.send_response(make_response(request, 200), key)
            self._by_dialog.pop(call.dialog_key, None)
            if self.calls.get(call.ppn) is call:
                self._forget(call)
                self._release_dect(call, Outcome(R.NORMAL, ""))
        elif request.method == "INVITE":
            self._reinvite(call, request, key)
        elif request.method in ("INFO", "OPTIONS", "NOTIFY"):
            self.sip.send_response(make_response(request, 200), key)
        else:
            response = make_response(request, 501)
            response.headers.add("Allow", ALLOW)
            self.sip.send_response(response, key)

    def _reinvite(self, call: Call, request: Request, key: TransactionKey) -> None:
        """A re-INVITE (hold, refresh): our current media if the new offer still fits it."""
        body = b""
        if call.local is not None and request.body:
            try:
                offer = SessionDescription.parse(request.body)
                answer, _ = answer_offer(call.mode, offer, call.local,
                                         session_id=secrets.randbelow(2**31))
            except (SdpError, OfferAnswerError) as exc:
                self.sip.send_response(make_response(request, 488, str(exc)[:80]), key)
                return
            mine = call.answer or call.offer
            body = (mine if call.leg is Leg.IN and mine is not None else answer).render().encode()
        elif call.local is not None:
            mine = call.answer if call.leg is Leg.IN else call.offer
            body = mine.render().encode() if mine is not None else b""
        assert call.dialog is not None
        response = make_dialog_response(request, 200, to_tag=call.dialog.local_tag,
                                        contact=self._contact(call), body=body,
                                        content_type=SDP if body else None)
        self.sip.send_response(response, key)


_DECT_HANDLERS: dict[type, Callable[[CallControl, Any], None]] = {
    CallDialled: CallControl.on_dialled,
    CallAlerting: CallControl.on_alerting,
    CallAnswered: CallControl.on_answered,
    CallReleased: CallControl.on_released,
    CallKey: CallControl.on_key,
    CallHandover: CallControl.on_handover,
}
