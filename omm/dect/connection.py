"""One PP's MAC connection at the OMM: its DLC links and the MM, CC, LCE and COMS procedures.

EN 300 175-5 MM (access rights and key allocation, authentication, ciphering, location,
detach), CC (feature codes; basic calls both ways, §9.3 F-states in `Cc`, docs/calls.md §1),
LCE (page response) and COMS (text messages) as dect-security.md §4.2-§4.7 and
features.md §2.6/§2.8 describe them for SIP-DECT. Sans-I/O:
FixedPart feeds it and collects its frames; all choices the product leaves open come from
dect.conventions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Final

from dect import conventions as cv
from dect import security as sec
from dect.dlc import DlcConnection, LinkFailed, NwkAcknowledged, NwkReceived, Side
from dect.errors import DectDecodeError, DectValueError
from dect.identities import Ipei, Ipui, PortableUserType, Tpui
from dect.nwk import NwkMessage, cc, coms, decode_message, lce, mm
from dect.nwk.ie import (
    AllocationType,
    AuthType,
    CallingPartyName,
    CallingPartyNumber,
    CipherInfo,
    IwuToIwu,
    LocationArea,
    ModelIdentifier,
    MultiKeypad,
    PortableIdentity,
    Rand,
    ReleaseReason,
    Res,
    TerminalCapability,
)
from dect.nwk.tables import (
    SIGNAL_ALERTING_PATTERN_0,
    AuthAlgorithm,
    AuthKeyType,
    CcMessageType,
    CipherAlgorithm,
    CipherKeyType,
    ComsMessageType,
    LceMessageType,
    MmMessageType,
    ProtocolDiscriminator,
    RejectReasonCode,
    ReleaseReasonCode,
)
from omm.dect import events as ev
from omm.dect import features, subscription
from omm.dect.outbox import Outgoing, PositionQuery
from omm.dect.primitives import MacEncKeyReq
from omm.dect.roaming import Procedure
from omm.tables import Record

if TYPE_CHECKING:
    from omm.dect.fixed_part import FixedPart

PD = ProtocolDiscriminator


class Security(Enum):
    """Ciphering of the connection."""

    CLEAR = "clear"
    CIPHER_REQUESTED = "cipher requested"
    """CIPHER-REQUEST sent; the key goes to the RFP once the PP's DLC acknowledged it."""
    KEY_LOADING = "key loading"
    """MAC_ENC_KEY_REQ sent; waiting for MAC_ENC_EKS_IND."""
    CIPHERED = "ciphered"


class Mm(Enum):
    """The FP-initiated MM procedure in progress."""

    IDLE = "idle"
    KEY_ALLOCATION = "key allocation"
    """KEY-ALLOCATE sent; waiting for the PP's AUTHENTICATION-REQUEST with RES1."""
    AUTHENTICATING = "authenticating"
    """AUTHENTICATION-REQUEST sent; waiting for AUTHENTICATION-REPLY."""


class Step(Enum):
    """Security steps run before a PP's request is served."""

    AUTHENTICATE = "authenticate"
    """PT authentication storing the new DCK (UPC)."""
    AUTHENTICATE_DEFAULT = "authenticate for a default cipher key"
    """PT authentication with DEF: the DCK becomes the DefCK for early encryption."""
    CIPHER = "cipher"
    """CIPHER-REQUEST with the stored DCK, then MAC_ENC_KEY_REQ."""


class Service(Enum):
    """Higher-layer transactions that keep the link up."""

    SUBSCRIPTION = "subscription"
    LOCATE = "locate"
    CALL = "call"
    COMS_OUT = "coms out"
    COMS_IN = "coms in"
    PAGED = "paged"


COMS_BESIDE: Final = frozenset({Service.PAGED, Service.CALL})
"""A message or position request goes out on a link that serves these (COMS is a transaction
of its own beside a call, EN 300 175-5 §7.3): the handset decides whether a message may show
during the call (dect.conventions.MESSAGE_INTRUDES_CALL)."""


class ComsOut(Enum):
    """The FP's COMS transaction delivering a message."""

    SETUP_SENT = "setup sent"
    INFO_SENT = "info sent"
    RELEASE_SENT = "release sent"


class Cc(Enum):
    """The FP's side of the PP's one call (EN 300 175-5 §9.3, F-states)."""

    NULL = "null"
    INITIATED = "call initiated"
    """F-01: the PP's CC-SETUP is in; the security steps run first."""
    OVERLAP = "overlap sending"
    """F-02: CC-SETUP-ACK sent; digits come in CC-INFO until '#' or the inter-digit timeout."""
    DIALLED = "dialled"
    """The number is complete and CallDialled went up; the SIP side answers next."""
    PROCEEDING = "call proceeding"
    """F-03: CC-CALL-PROC sent."""
    DELIVERED = "call delivered"
    """F-04: CC-ALERTING sent, the far end rings."""
    OFFERING = "offering"
    """An incoming call waits for paging and the security steps before its CC-SETUP."""
    PRESENT = "call present"
    """F-06: the FP's CC-SETUP sent."""
    RECEIVED = "call received"
    """F-07: the PP rings (its CC-ALERTING came)."""
    ACTIVE = "active"
    """F-10: answered either way."""
    RELEASE_PENDING = "release pending"
    """F-19: CC-RELEASE sent, waiting for CC-RELEASE-COM."""


_LIVE: Final = frozenset(Cc) - {Cc.NULL, Cc.RELEASE_PENDING}

#: The PP's call messages each call state accepts, if they carry the call's TI (CC-SETUP and
#: CC-RELEASE are handled in any state); anything else is ignored.
CC_ACCEPTS: Final[dict[int, frozenset[Cc]]] = {
    CcMessageType.CC_INFO: frozenset(
        {Cc.OVERLAP, Cc.DIALLED, Cc.PROCEEDING, Cc.DELIVERED, Cc.ACTIVE}
    ),
    CcMessageType.CC_ALERTING: frozenset({Cc.PRESENT}),
    CcMessageType.CC_CONNECT: frozenset({Cc.PRESENT, Cc.RECEIVED}),
    CcMessageType.CC_RELEASE_COM: frozenset(Cc) - {Cc.NULL},
}

#: What the SIP side may say in which call state: request -> (states, message, next state).
CC_REQUESTS: Final[dict[str, tuple[frozenset[Cc], Callable[..., NwkMessage], Cc]]] = {
    "proceeding": (frozenset({Cc.DIALLED}), cc.call_proc, Cc.PROCEEDING),
    "alerting": (frozenset({Cc.DIALLED, Cc.PROCEEDING}), cc.alerting, Cc.DELIVERED),
    "connect": (frozenset({Cc.DIALLED, Cc.PROCEEDING, Cc.DELIVERED}), cc.connect, Cc.ACTIVE),
}

#: AXI PPUserCallStateType for each call state (EventPPState callState).
AXI_CALL_STATE: Final[dict[Cc, str]] = {
    Cc.NULL: "idle",
    Cc.INITIATED: "calling",
    Cc.OVERLAP: "calling",
    Cc.DIALLED: "calling",
    Cc.PROCEEDING: "calling",
    Cc.DELIVERED: "calling",
    Cc.OFFERING: "paging",
    Cc.PRESENT: "paging",
    Cc.RECEIVED: "ringing",
    Cc.ACTIVE: "connected",
    Cc.RELEASE_PENDING: "idle",
}


#: What a link secured without ciphering (by a subscription) is ciphered for before it serves
#: it: user data, i.e. calls and text messages.
CIPHERED_SERVICES: frozenset[Service] = frozenset(
    {Service.CALL, Service.PAGED, Service.COMS_IN, Service.COMS_OUT})

#: FP-initiated MM answers each MM state accepts (anything else is ignored).
MM_ACCEPTS: dict[int, frozenset[Mm]] = {
    MmMessageType.AUTHENTICATION_REPLY: frozenset({Mm.AUTHENTICATING}),
    MmMessageType.AUTHENTICATION_REJECT: frozenset({Mm.AUTHENTICATING, Mm.KEY_ALLOCATION}),
}

#: Which COMS messages each state of the FP's delivering transaction accepts.
COMS_OUT_ACCEPTS: dict[int, frozenset[ComsOut]] = {
    ComsMessageType.COMS_CONNECT: frozenset({ComsOut.SETUP_SENT}),
    ComsMessageType.COMS_ACK: frozenset({ComsOut.INFO_SENT}),
    ComsMessageType.COMS_RELEASE: frozenset(ComsOut),
    ComsMessageType.COMS_RELEASE_COM: frozenset({ComsOut.RELEASE_SENT}),
}


def _ipei_of(identity: PortableIdentity | None) -> Ipei | None:
    """The IPEI inside an IPUI-N, an assigned IPUI-O or a bare IPEI."""
    if identity is None:
        return None
    ident = identity.identity
    if isinstance(ident, Ipei):
        return ident
    if isinstance(ident, Ipui):
        if ident.put is PortableUserType.N:
            return ident.ipei
        if ident.put is PortableUserType.O and ident.pun < 1 << 36:
            return Ipei.from_int(ident.pun)
    return None


def _release_reason(msg: NwkMessage) -> str:
    """CallReleased wording of a CC-RELEASE(-COM)'s reason."""
    reason = msg.find(ReleaseReason)
    return cv.call_end_reason(reason.code if reason is not None else None)


def _replay(value: bytes) -> sec.RandomSource:
    """A random source that returns `value`: every candidate AC sees the same challenge."""
    return lambda n: value[:n]


class PpConnection:
    """The fixed part's side of one MAC connection with a PP."""

    def __init__(self, fp: FixedPart, rfp_id: int, mcei: int, pmid: int) -> None:
        self.fp = fp
        self.rfp_id = rfp_id
        self.mcei = mcei
        self.pmid = pmid
        self.dlc = DlcConnection(Side.FT, window=fp.window)
        self.lln = cv.LLN_DEFAULT
        """The link of the PP's last message; answers go there."""
        self.ppn: int | None = None
        self.ipei: Ipei | None = None
        self.security = Security.CLEAR
        self.mm = Mm.IDLE
        self.services: set[Service] = set()
        self._llns: dict[Service | None, int] = {}
        self.undecodable = 0
        """Frames in a row that did not decode (a wrong cipher key)."""
        self.link: sec.EncryptedLink | None = None
        """The key life cycle once ciphered."""
        self.capability: TerminalCapability | None = None
        self.hw_type = cv.HW_TYPE_GAP
        self._steps: deque[Step] = deque()
        self._then: deque[Callable[[float], None]] = deque()
        self._secured = False
        self._auth: sec.FpPtAuthentication | None = None
        self._auth_use = sec.KeyUse()
        self._allocations: list[tuple[subscription.Candidate, sec.FpKeyAllocation]] = []
        self._cipher_key = b""
        self._default_index: int | None = None
        """Set while the key being loaded is a DefCK (early encryption)."""
        self._cipher_message = 0
        self._procedure_deadline: float | None = None
        self._cipher_deadline: float | None = None
        self._release_at: float | None = None
        self.cc = Cc.NULL
        """The PP's call."""
        self._call_ti = 0
        self._call_from_fp = False
        """The call is incoming (the FP's transaction)."""
        self._call_known = False
        """The SIP side knows the call (CallDialled went up, or call_in)."""
        self._call_digits = ""
        self._call_number = ""
        self._call_name = ""
        self._digit_deadline: float | None = None
        self._call_deadline: float | None = None
        self._coms_out: ComsOut | None = None
        self._coms_message: Outgoing | None = None
        self._coms_in_ti = 0
        self._aborting = False
        self._ac_number = cv.UAK_NUMBER
        """The AC key number of the PP's ACCESS-RIGHTS-REQUEST (its AUTH-TYPE)."""
        self.closed = False

    # -- properties ----------------------------------------------------------------------------
    @property
    def cipher_key(self) -> bytes | None:
        """The key the RFP ciphers with now, None when clear."""
        return self.link.cipher_key if self.link is not None and self.link.encrypted else None

    def _record(self) -> Record | None:
        return None if self.ppn is None else self.fp.model.devices.table.get(self.ppn)

    def _ipei_text(self) -> str:
        return self.ipei.omm_form() if self.ipei is not None else "?"

    # -- input ---------------------------------------------------------------------------------
    def receive_frame(self, data: bytes, now: float) -> None:
        """One DLC frame from the PP."""
        try:
            self.dlc.receive(data, now)
        except DectDecodeError:
            self._undecodable(now)
            return
        self.undecodable = 0
        self._process_dlc(now)

    def _process_dlc(self, now: float) -> None:
        for event in self.dlc.events():
            if self.closed:
                return
            if isinstance(event, NwkReceived):
                self._receive_nwk(event.lln, event.nwk, now)
            elif isinstance(event, NwkAcknowledged):
                if event.message_id == self._cipher_message:
                    self._load_key(now)
            elif isinstance(event, LinkFailed):
                self.fp.log("MinorErr", f"DLC link failed (ppn={self.ppn}): {event.reason}")
                self.fp.release(self, now)
                return
        self._check_idle(now)

    def _undecodable(self, now: float) -> None:
        self.undecodable += 1
        if self.undecodable >= cv.UNDECODABLE_LIMIT:
            self.fp.log(
                "MinorErr",
                f"UndecodableFrames(ppn={self.ppn}, rfp={self.rfp_id}): wrong cipher key?",
            )
            self.fp.release(self, now)

    def _receive_nwk(self, lln: int, data: bytes, now: float) -> None:
        try:
            msg = decode_message(data)
        except DectDecodeError:
            self._undecodable(now)
            return
        self.lln = lln
        if not self._aborting:
            self._release_at = None
        handler = _HANDLERS.get((msg.pd, msg.message_type))
        if handler is None:
            return
        expected = MM_ACCEPTS.get(msg.message_type) if msg.pd is PD.MM else None
        if expected is not None and self.mm not in expected:
            return
        states = CC_ACCEPTS.get(msg.message_type) if msg.pd is PD.CC else None
        if states is not None and (self.cc not in states or not self._is_call_message(msg)):
            return
        try:
            handler(self, msg, now)
        except DectValueError as exc:
            self.fp.log("MinorErr", f"bad {msg.type_name} from ppn={self.ppn}: {exc}")

    def encryption_started(self, now: float) -> None:
        """MAC_ENC_EKS_IND: the RFP ciphers with the key last sent."""
        if self.security is not Security.KEY_LOADING:
            return
        rekey = self.link is not None and self.link.encrypted
        keys = self.fp.cipher_keys(self.ppn or 0)
        if self.link is None:
            interval = cv.REKEY_INTERVAL_S if self.fp.enhanced_security else None
            self.link = sec.EncryptedLink(keys, rekey_interval=interval)
        if rekey:
            self.link.rekeyed(self._cipher_key, now)
        elif self._default_index is not None:
            self.link.start_default(self._default_index, now)
        else:
            self.link.start(cv.CIPHER_KEY_NUMBER, now)
        self._default_index = None
        self.security = Security.CIPHERED
        self._cipher_deadline = None
        self.fp.emit(ev.LinkCiphered(self.ppn or 0, self.rfp_id, rekey))
        self._advance(now)

    def start_early_encryption(self, ppn: int, index: int, now: float) -> None:
        """Enhanced security: cipher with the PP's default cipher key before any NWK message."""
        self.ppn = ppn
        self._default_index = index
        self._cipher_key = self.fp.cipher_keys(ppn).default_key(index)
        self._send_key(now)

    # -- output --------------------------------------------------------------------------------
    def _send(self, msg: NwkMessage, service: Service | None = None) -> int:
        """Queue a message on the link `service` was asked on, else the PP's last link."""
        if not self._aborting:
            self._release_at = None
        return self.dlc.send(msg.encode(), self._llns.get(service, self.lln))

    def _begin(self, service: Service) -> None:
        """A PP request opens `service`: its answers go on the link it came on."""
        self.services.add(service)
        self._llns[service] = self.lln

    def _send_key(self, now: float) -> None:
        self.fp.request(MacEncKeyReq(self.rfp_id, self.mcei, self._cipher_key, cv.MAC_KEY_ID))
        self.security = Security.KEY_LOADING
        self._cipher_deadline = now + cv.CIPHER_TIMEOUT_S

    # -- timers --------------------------------------------------------------------------------
    def get_timer(self) -> float | None:
        rekey = self.link.get_timer() if self.link is not None else None
        candidates = (
            self.dlc.get_timer(),
            self._procedure_deadline,
            self._cipher_deadline,
            self._release_at,
            self._digit_deadline,
            self._call_deadline,
            rekey if self.mm is Mm.IDLE and not self._steps else None,
        )
        return min((t for t in candidates if t is not None), default=None)

    def handle_timer(self, now: float) -> None:
        self.dlc.handle_timer(now)
        self._process_dlc(now)
        if self.closed:
            return
        late = [t for t in (self._procedure_deadline, self._cipher_deadline) if t is not None]
        if any(now >= t for t in late):
            self.fp.log(
                "MinorErr",
                f"DECT procedure timed out (ppn={self.ppn}, {self.mm.value}, "
                f"{self.security.value})",
            )
            self.fp.release(self, now)
            return
        if self._digit_deadline is not None and now >= self._digit_deadline:
            self._digit_deadline = None
            self._digits_timed_out(now)
        if self._call_deadline is not None and now >= self._call_deadline:
            self._call_deadline = None
            self._call_timed_out(now)
        if self._release_at is not None and now >= self._release_at:
            self.fp.release(self, now)
            return
        self._check_idle(now)
        if self.link is not None and self.mm is Mm.IDLE and not self._steps:
            if self.link.handle_timer(now) is not None:
                self._steps.extend((Step.AUTHENTICATE, Step.CIPHER))
                self._advance(now)

    def poke(self, now: float) -> None:
        """Something for this PP is waiting (a message): serve it if the link is free."""
        self._check_idle(now)

    # -- the step sequencer --------------------------------------------------------------------
    def _secure(self, then: Callable[[float], None], now: float) -> None:
        """Run the security steps this connection still needs, then `then`."""
        if not self._secured:
            self._secured = True
            self._steps.extend(self._security_plan())
        elif (self.services & CIPHERED_SERVICES and self.security is Security.CLEAR
              and self._encrypt_wanted() and Step.CIPHER not in self._steps):
            # Secured without ciphering (a subscription on this link): a call or message
            # that follows on the same link is ciphered like one on a link of its own.
            self._steps.append(Step.CIPHER)
        self._then.append(then)
        self._advance(now)

    def _encrypt_wanted(self) -> bool:
        """DECT encryption on for the system and for this device (seed 000: on by default)."""
        rec = self._record()
        return bool(self.fp.model.settings.value("DECTEncryption", "enable", True)) and bool(
            rec is not None and rec.get("encrypt", True)
        )

    def _security_plan(self) -> list[Step]:
        """Which security steps, in which order (dect-security.md §4.3-§4.6, seed 000)."""
        encrypt = self._encrypt_wanted()
        try:
            self.fp.cipher_keys(self.ppn or 0).dck(cv.CIPHER_KEY_NUMBER)
            has_dck = True
        except sec.UnknownCipherKey:
            has_dck = False
        plan: list[Step]
        if self.security is not Security.CLEAR:  # early encryption with the DefCK
            plan = [Step.AUTHENTICATE, Step.CIPHER]
        elif not encrypt:
            plan = [Step.AUTHENTICATE]
        elif self.fp.auth_before_cipher or not has_dck:
            plan = [Step.AUTHENTICATE, Step.CIPHER]
        else:
            plan = [Step.CIPHER, Step.AUTHENTICATE]
            if cv.NEW_DCK_IN_CALL:
                plan.append(Step.CIPHER)
        if self._wants_default_key():
            plan.append(Step.AUTHENTICATE_DEFAULT)
        return plan

    def _wants_default_key(self) -> bool:
        keys = self.fp.cipher_keys(self.ppn or 0)
        capable = self.capability is not None and self.capability.supports_rekeying_early_encryption
        return self.fp.enhanced_security and capable and keys.latest_default_index is None

    def _busy(self) -> bool:
        return self.mm is not Mm.IDLE or self.security in (
            Security.CIPHER_REQUESTED,
            Security.KEY_LOADING,
        )

    def _advance(self, now: float) -> None:
        while not self.closed and not self._busy():
            if self._steps:
                self._start_step(self._steps.popleft(), now)
            elif self._then:
                self._then.popleft()(now)
            else:
                break
        self._check_idle(now)

    def _start_step(self, step: Step, now: float) -> None:
        if step is Step.CIPHER:
            self._start_cipher(now)
        else:
            self._start_authentication(step is Step.AUTHENTICATE_DEFAULT, now)

    def _check_idle(self, now: float) -> None:
        """Deliver waiting messages when free; release the link when nothing is left."""
        if self.closed or self._busy() or self._steps or self._then:
            return
        if (
            self.ppn is not None
            and self.fp.has_outbox(self.ppn)
            and not (self.services - COMS_BESIDE)
        ):
            self.services.discard(Service.PAGED)
            self._secure(self._deliver_next, now)
            return
        self.services.discard(Service.PAGED)
        if not self.services and self.dlc.idle and self._release_at is None:
            self._release_at = now + cv.LINK_RELEASE_S

    # -- authentication and ciphering ----------------------------------------------------------
    def _start_authentication(self, default_key: bool, now: float) -> None:
        rec = self._record()
        uak = self.fp.model.devices.uak(rec) if rec is not None else None
        if rec is None or uak is None or self.ppn is None:
            self._fail(f"no UAK for ppn={self.ppn}", now)
            return
        self._auth = sec.FpPtAuthentication(sec.b1(uak), random=self.fp.random)
        challenge = self._auth.start()
        index = cv.default_cipher_key_index(self.ppn) if default_key else None
        self._auth_use = sec.KeyUse(True, cv.CIPHER_KEY_NUMBER, index)
        auth_type = AuthType(
            AuthAlgorithm.DSAA,
            AuthKeyType.UAK,
            cv.UAK_NUMBER,
            cv.CIPHER_KEY_NUMBER,
            upc=not default_key,
            default=default_key,
            default_cipher_key_index=index,
        )
        self._send(mm.authentication_request(auth_type, challenge.rand_f, rs=challenge.rs))
        self.mm = Mm.AUTHENTICATING
        self._procedure_deadline = now + cv.PROCEDURE_TIMEOUT_S

    def _on_authentication_reply(self, msg: NwkMessage, now: float) -> None:
        assert self._auth is not None and self.ppn is not None
        res = msg.require(Res)
        self._procedure_deadline = None
        try:
            dck = self._auth.receive(sec.PtResponse(res.value))
        except (sec.AuthenticationFailed, sec.ProtocolStateError):
            self._send(mm.authentication_reject(RejectReasonCode.AUTHENTICATION_FAILED))
            self.fp.log(
                "MinorErr", f"AuthenticationFailed(ipei={self._ipei_text()}, ppn={self.ppn})"
            )
            self.fp.emit(ev.AuthenticationFailed(self.ppn, self._ipei_text()))
            self.mm = Mm.IDLE
            self._abort_services(now)
            return
        self.fp.cipher_keys(self.ppn).store(dck, self._auth_use)
        self.mm = Mm.IDLE
        if Service.SUBSCRIPTION not in self.services:  # its own link confirms it in `then`
            self._confirm_late()
        self._advance(now)

    def _confirm_late(self) -> None:
        """The first authentication with a UAK whose subscription link was lost before it
        confirms the subscription now."""
        rec = self._record()
        if rec is None or rec.get("s") != "Unconfirmed" or self.ppn is None:
            return
        self.fp.model.devices.set_subscription(self.ppn, "Yes")
        self.fp.emit(ev.DeviceSubscribed(self.ppn, rec["ipei"], bool(rec.get("autoCreate"))))

    def _start_cipher(self, now: float) -> None:
        try:
            self._cipher_key = self.fp.cipher_keys(self.ppn or 0).dck(cv.CIPHER_KEY_NUMBER)
        except sec.UnknownCipherKey:
            self._fail(f"no cipher key for ppn={self.ppn}", now)
            return
        info = CipherInfo(True, CipherAlgorithm.DSC, CipherKeyType.DERIVED, cv.CIPHER_KEY_NUMBER)
        self._cipher_message = self._send(mm.cipher_request(info))
        self.security = Security.CIPHER_REQUESTED
        self._cipher_deadline = now + cv.PROCEDURE_TIMEOUT_S

    def _load_key(self, now: float) -> None:
        if self.security is Security.CIPHER_REQUESTED:
            self._cipher_message = 0
            self._send_key(now)

    def _on_cipher_reject(self, msg: NwkMessage, now: float) -> None:
        self._fail(f"CIPHER-REJECT from ppn={self.ppn}", now)

    def _on_authentication_reject(self, msg: NwkMessage, now: float) -> None:
        if self.mm is Mm.KEY_ALLOCATION:
            self._refuse_access("the PP has no authentication code", now, send=False)
            self.mm = Mm.IDLE
            return
        self.fp.log(
            "MinorErr",
            f"AuthenticationFailed(ipei={self._ipei_text()}, ppn={self.ppn}, rejected by the PP)",
        )
        self.mm = Mm.IDLE
        self._abort_services(now)

    def _on_authentication_request(self, msg: NwkMessage, now: float) -> None:
        """The PP's RES1 in key allocation, or the PP authenticating the FT (§4.4)."""
        res, rand = msg.find(Res), msg.require(Rand)
        if self.mm is Mm.KEY_ALLOCATION and res is not None:
            self._finish_key_allocation(res.value, rand.value, now)
            return
        if self.ppn is None:  # the PP is known by its PMID, an assigned TPUI
            self.ppn = cv.ppn_from_pmid(self.pmid)
        rec = self._record()
        uak = self.fp.model.devices.uak(rec) if rec is not None else None
        if uak is None:
            self.ppn = None
            self._send(mm.authentication_reject(RejectReasonCode.IPUI_UNKNOWN))
            return
        answer = sec.FpFtAuthentication(sec.b1(uak), random=self.fp.random)
        reply = answer.receive_request(rand.value)
        self._send(mm.authentication_reply(reply.res2, rs=reply.rs))

    # -- access rights (§4.2) ------------------------------------------------------------------
    def _on_access_rights_request(self, msg: NwkMessage, now: float) -> None:
        self.ipei = _ipei_of(msg.find(PortableIdentity))
        self.capability = msg.find(TerminalCapability)
        model_id = msg.find(ModelIdentifier)
        if model_id is not None and model_id.manic == cv.MODEL_MANIC:
            self.hw_type = cv.HW_TYPE_BY_MODIC.get(model_id.modic, cv.HW_TYPE_UNKNOWN)
        self._begin(Service.SUBSCRIPTION)
        if self.ipei is None:
            self._refuse_access("no IPEI in the request", now, code=RejectReasonCode.IPUI_UNKNOWN)
            return
        auth = msg.find(AuthType)
        self._ac_number = auth.key_number if auth is not None else cv.UAK_NUMBER
        found = subscription.candidates(self.fp.model, self.ipei)
        ipei = self.ipei.omm_form()
        if (isinstance(found, subscription.Refusal) and self.fp.roaming_open
                and ipei not in self.fp.model.devices.by_ipei):
            # Refused by this OMM's own rules: the MOM may know the device (docs/mom.md).
            if self.fp.holds.get(self) is None:
                self.fp.hold(self, Procedure.SUBSCRIBE, ipei, 0, now)
            return
        self._allocate(found, now)

    def _allocate(self, found: list[subscription.Candidate] | subscription.Refusal,
                  now: float) -> None:
        """Key allocation with the candidate records' ACs, or the refusal."""
        if isinstance(found, subscription.Refusal):
            self._refuse_access(found.reason, now, code=found.reject_code)
            return
        ac_number = self._ac_number
        rs, rand_f = self.fp.random(8), self.fp.random(8)
        self._allocations = []
        for candidate in found:
            flow = sec.FpKeyAllocation(candidate.ac, random=_replay(rand_f), rs=rs)
            flow.start()
            self._allocations.append((candidate, flow))
        allocation = AllocationType(AuthAlgorithm.DSAA, cv.UAK_NUMBER, ac_number)
        self._send(mm.key_allocate(allocation, rand_f, rs))
        self.mm = Mm.KEY_ALLOCATION
        self._procedure_deadline = now + cv.PROCEDURE_TIMEOUT_S

    def _finish_key_allocation(self, res1: bytes, rand_p: bytes, now: float) -> None:
        self._procedure_deadline = None
        self.mm = Mm.IDLE
        assert self.ipei is not None
        match: tuple[subscription.Candidate, sec.FpKeyAllocation, sec.FtResponse] | None = None
        for candidate, flow in self._allocations:
            try:
                match = (candidate, flow, flow.receive(sec.PtResponse(res1, rand_p)))
                break
            except (sec.AuthenticationFailed, sec.ProtocolStateError, DectValueError):
                continue
        if match is None:
            self._send(mm.authentication_reject(RejectReasonCode.AUTHENTICATION_FAILED))
            self._refuse_access(
                "authentication failed (wrong authentication code)",
                now,
                code=RejectReasonCode.AUTHENTICATION_FAILED,
            )
            return
        candidate, flow, reply = match
        # Annex K: the FT's AUTHENTICATION-REPLY of key allocation has the TI flag clear.
        self._send(mm.authentication_reply(reply.res2, ti_flag=False))
        auto = candidate.ppn is None
        self.ppn = subscription.bind(self.fp.model, candidate, self.ipei, flow.uak, self.hw_type)
        self.fp.forget_keys(self.ppn)
        ipui = cv.assigned_ipui(self.ipei)
        self._send(
            mm.access_rights_accept(
                ipui,
                self.fp.access_park(self._record()),
                auth_type=AuthType(AuthAlgorithm.DSAA, AuthKeyType.UAK, cv.UAK_NUMBER, 0),
            )
        )
        self._steps.append(Step.AUTHENTICATE)  # confirms the UAK and gives the first DCK
        if self._wants_default_key():
            self._steps.append(Step.AUTHENTICATE_DEFAULT)
        self._secured = True
        ppn, ipei = self.ppn, self.ipei.omm_form()

        def confirmed(now: float) -> None:
            self.fp.model.devices.set_subscription(ppn, "Yes")
            self.fp.emit(ev.DeviceSubscribed(ppn, ipei, auto))
            self.services.discard(Service.SUBSCRIPTION)

        self._then.append(confirmed)
        self._allocations = []
        self._advance(now)

    def _refuse_access(
        self,
        reason: str,
        now: float,
        *,
        code: int = RejectReasonCode.IPEI_NOT_ACCEPTED,
        send: bool = True,
    ) -> None:
        if send:
            self._send(mm.access_rights_reject(code))
        self.fp.log("MinorErr", f"AccessRightsFailed(ipei={self._ipei_text()}, {reason})")
        self.fp.emit(ev.SubscriptionFailed(self._ipei_text(), reason))
        self.services.discard(Service.SUBSCRIPTION)
        self._check_idle(now)

    # -- identification ------------------------------------------------------------------------
    def _identify(self, msg: NwkMessage, *, unconfirmed: bool = False) -> Record | None:
        """The subscribed device the message's PORTABLE-IDENTITY (or this link) names;
        `unconfirmed` also admits one whose new UAK awaits its first authentication."""
        identity = msg.find(PortableIdentity)
        cap = msg.find(TerminalCapability)
        if cap is not None:
            self.capability = cap
        if identity is not None:
            ipei = _ipei_of(identity)
            rec: Record | None = None
            if ipei is not None:
                ppn = self.fp.model.devices.by_ipei.get(ipei.omm_form())
                rec = self.fp.model.devices.table.get(ppn) if ppn else None
            elif isinstance(identity.identity, Tpui):
                ppn_t = cv.ppn_from_pmid(identity.identity.value)
                rec = self.fp.model.devices.table.get(ppn_t) if ppn_t else None
            if rec is None or (self.ppn is not None and rec["ppn"] != self.ppn):
                return None
            self.ppn = int(rec["ppn"])
            self.ipei = Ipei.parse(rec["ipei"])
        rec = self._record()
        # The connection that is confirming a subscription may go on to register (§4.2 step 6).
        confirming = unconfirmed or Service.SUBSCRIPTION in self.services
        states = ("Yes", "Unconfirmed") if confirming else ("Yes",)
        if rec is None or rec.get("s") not in states or self.fp.model.devices.uak(rec) is None:
            return None
        return rec

    # -- location registration and detach ------------------------------------------------------
    def _on_locate_request(self, msg: NwkMessage, now: float) -> None:
        # A subscription whose link was lost before its confirming authentication (a busy
        # OMM timing it out) left the PP subscribed and the UAK unconfirmed: the OMM keeps
        # that UAK until the first authentication with it (dect-security.md §4.2 step 4),
        # and every security plan authenticates before the location is accepted, which
        # then confirms it (_confirm_late). Refused as unknown, the PP never registered.
        if self.fp.holds.get(self) is not None:
            return  # asked again while the MOM is asked: the first request stands
        rec = self._identify(msg, unconfirmed=True)
        if rec is not None and not self.fp.foreign(rec):
            self._begin(Service.LOCATE)
            self._secure(self._accept_location, now)
            return
        if rec is not None:  # confirmed at another OMM: not this OMM's to serve
            self.ppn = None
        ipei = _ipei_of(msg.find(PortableIdentity))
        if ipei is not None and self.fp.roaming_open:
            self._begin(Service.LOCATE)
            self.ipei = ipei
            local = self.fp.model.devices.by_ipei.get(ipei.omm_form(), 0)
            self.fp.hold(self, Procedure.LOCATE, ipei.omm_form(), local, now)
            return
        self._send(mm.locate_reject(RejectReasonCode.IPUI_UNKNOWN))
        self._check_idle(now)

    # -- roaming: a held request (omm.dect.roaming) ------------------------------------------
    def roaming_ready(self, procedure: Procedure, now: float) -> bool:
        """The held request goes on if the MOM's record is here now: for a location, the
        device confirmed at this OMM with a UAK; for a subscription, the device at all (it
        subscribes by this OMM's own rules)."""
        assert self.ipei is not None
        rec = self.fp.device_of(self.ipei.omm_form())
        if rec is None:
            return False
        if procedure is Procedure.SUBSCRIBE:
            self._allocate(subscription.candidates(self.fp.model, self.ipei), now)
            return True
        if (self.fp.foreign(rec) or rec.get("s") not in ("Yes", "Unconfirmed")
                or self.fp.model.devices.uak(rec) is None):
            return False
        self.ppn = int(rec["ppn"])
        # The device comes from another OMM, where it was authenticated anew: a cipher key
        # this OMM still holds from an earlier visit is not the handset's any more.
        self.fp.forget_keys(self.ppn)
        self._secure(self._accept_location, now)
        return True

    def roaming_refused(self, procedure: Procedure, why: str, now: float) -> None:
        """The MOM refused the held request, or did not answer in time."""
        if procedure is Procedure.SUBSCRIBE:
            self._refuse_access(why, now)
            return
        self._send(mm.locate_reject(RejectReasonCode.IPUI_UNKNOWN), Service.LOCATE)
        self.services.discard(Service.LOCATE)
        self._check_idle(now)

    def _accept_location(self, now: float) -> None:
        assert self.ppn is not None
        tpui = cv.assigned_tpui(self.ppn)
        area = LocationArea(cv.LOCATION_AREA_LEVEL)
        self._send(mm.locate_accept(PortableIdentity(tpui), area), Service.LOCATE)
        self.fp.emit(ev.DeviceAttached(self.ppn, self.rfp_id))
        self.fp.emit(ev.PpTransaction("LocReg", self.ppn, self.rfp_id))
        self.services.discard(Service.LOCATE)

    def _on_detach(self, msg: NwkMessage, now: float) -> None:
        if self._identify(msg) is None:
            return
        assert self.ppn is not None
        self.fp.emit(ev.DeviceDetached(self.ppn))
        self.fp.emit(ev.PpTransaction("Detach", self.ppn, self.rfp_id))

    # -- call control (EN 300 175-5 §9.3; docs/calls.md §1) ------------------------------------
    @property
    def in_call(self) -> bool:
        """A call (either way, in any phase) holds this connection."""
        return self.cc is not Cc.NULL

    @property
    def has_call(self) -> bool:
        """A call the SIP side knows of (CallDialled, or call_in) is still up."""
        return self._call_known and self.cc in _LIVE

    def _set_cc(self, state: Cc) -> None:
        self.cc = state
        if self.ppn is not None:
            self.fp.call_state_changed(self.ppn, AXI_CALL_STATE[state])

    def _cc_flag(self) -> bool:
        """TI flag of what the FP sends in the call: set when the PP originated it (§7.3)."""
        return not self._call_from_fp

    def _send_cc(self, msg: NwkMessage) -> None:
        self._send(msg, Service.CALL)

    def _end_call(self, reason: str | None) -> None:
        """The call is over; `reason` goes up in CallReleased if the SIP side knows the call."""
        if reason is not None and self.has_call and self.ppn is not None:
            self.fp.emit(ev.CallReleased(self.ppn, reason))
        self._set_cc(Cc.NULL)
        self._call_known = False
        self._digit_deadline = self._call_deadline = None
        self.services.discard(Service.CALL)

    def drop_call(self) -> None:
        """The MAC connection is gone under the call."""
        if self.cc is not Cc.NULL:
            self._end_call("LinkLost")

    def _send_release(self, reason: int, now: float, display: str = "") -> None:
        text = cv.DISPLAY_CLEAR + display + cv.DISPLAY_HOME if display else None
        msg = cc.release(reason, display=text, ti=self._call_ti, ti_flag=self._cc_flag())
        self._send_cc(msg)
        self._set_cc(Cc.RELEASE_PENDING)
        self._digit_deadline = None
        self._call_deadline = now + cv.PROCEDURE_TIMEOUT_S

    # PP -> FP: outgoing calls and feature codes
    def _on_cc_setup(self, msg: NwkMessage, now: float) -> None:
        if self.cc is not Cc.NULL:
            reason = ReleaseReasonCode.USER_ALREADY_ACTIVE
            self._send(cc.release_com(reason, ti=msg.ti, ti_flag=True))
            return
        self._call_ti, self._call_from_fp, self._call_known = msg.ti, False, False
        if self._identify(msg) is None:
            reason = ReleaseReasonCode.UNKNOWN_IDENTITY
            self._send(cc.release_com(reason, ti=msg.ti, ti_flag=True))
            self._check_idle(now)
            return
        keypad = msg.find(MultiKeypad)
        self._call_digits = keypad.text if keypad is not None else ""
        self._begin(Service.CALL)
        self._set_cc(Cc.INITIATED)
        self._secure(self._serve_setup, now)

    def _serve_setup(self, now: float) -> None:
        if self.cc is not Cc.INITIATED:  # the PP gave up during the security steps
            return
        digits = self._call_digits
        if features.is_feature_code(digits):
            self._serve_feature(now)
        elif digits.removesuffix(cv.DIAL_END):
            self._dialled(now)
        else:
            self._send_cc(cc.setup_ack(ti=self._call_ti, ti_flag=True))
            self._set_cc(Cc.OVERLAP)
            self._digit_deadline = now + cv.FIRST_DIGIT_S

    def _dialled(self, now: float) -> None:
        assert self.ppn is not None
        self._digit_deadline = None
        self._call_known = True
        self._set_cc(Cc.DIALLED)
        number = self._call_digits.removesuffix(cv.DIAL_END)
        self.fp.emit(ev.CallDialled(self.ppn, number, self.rfp_id, self.mcei))

    def _serve_feature(self, now: float) -> None:
        assert self.ppn is not None
        digits = self._call_digits
        result = features.run(self.fp.model, self.ppn, digits)
        text = result.text if result is not None else cv.TEXT_LOGIN_FAILED
        if result is not None and result.ok and result.uid:
            if digits.startswith(cv.feature_code("UserLogin")):
                self.fp.emit(ev.UserLoggedIn(result.uid, self.ppn))
            else:
                self.fp.emit(ev.UserLoggedOut(result.uid, self.ppn))
        elif result is not None and not result.ok and result.login:
            self.fp.log("GenInfo", f"UserLoginFailed(ppn={self.ppn}, login={result.login})")
            self.fp.emit(ev.UserLoginFailed(self.ppn, result.login))
        display = cv.DISPLAY_CLEAR + text + cv.DISPLAY_HOME
        self._send_cc(cc.info(display=display, ti=self._call_ti, ti_flag=True))
        self._send_release(ReleaseReasonCode.NORMAL, now)

    def _digits_timed_out(self, now: float) -> None:
        if self.cc is not Cc.OVERLAP:
            return
        digits = self._call_digits
        if features.is_feature_code(digits):
            self._serve_feature(now)
        elif digits.removesuffix(cv.DIAL_END):
            self._dialled(now)
        else:  # off-hook and nothing dialled
            self._send_release(ReleaseReasonCode.TIMER_EXPIRY, now)

    def _on_cc_info(self, msg: NwkMessage, now: float) -> None:
        keypad = msg.find(MultiKeypad)
        if keypad is None or self.ppn is None:
            return
        if self.cc is Cc.OVERLAP:
            self._call_digits += keypad.text
            digits = self._call_digits
            ended = digits.endswith(cv.DIAL_END) and digits.removesuffix(cv.DIAL_END)
            if ended and not features.is_feature_code(digits):
                self._dialled(now)
            else:
                self._digit_deadline = now + cv.INTER_DIGIT_S
        elif self.cc is Cc.ACTIVE:
            for key in keypad.text:
                self.fp.emit(ev.CallKey(self.ppn, key))

    # PP -> FP: answers to an incoming call, and the end of any call
    def _on_cc_alerting(self, msg: NwkMessage, now: float) -> None:
        assert self.ppn is not None
        self._call_deadline = None  # it rings now; how long is the caller's business
        self._set_cc(Cc.RECEIVED)
        self.fp.emit(ev.CallAlerting(self.ppn))

    def _on_cc_connect(self, msg: NwkMessage, now: float) -> None:
        assert self.ppn is not None
        self._call_deadline = None
        self._send_cc(cc.connect_ack(ti=self._call_ti, ti_flag=self._cc_flag()))
        self._set_cc(Cc.ACTIVE)
        self.fp.emit(ev.CallAnswered(self.ppn, self.rfp_id, self.mcei))

    def _on_cc_release(self, msg: NwkMessage, now: float) -> None:
        self._send(cc.release_com(ReleaseReasonCode.NORMAL, ti=msg.ti, ti_flag=not msg.ti_flag))
        if self._is_call_message(msg):
            pending = self.cc is Cc.RELEASE_PENDING  # both ends released at once
            self._end_call(None if pending else _release_reason(msg))

    def _on_cc_release_com(self, msg: NwkMessage, now: float) -> None:
        if not self._is_call_message(msg):
            return
        pending = self.cc is Cc.RELEASE_PENDING
        self._end_call(None if pending else _release_reason(msg))

    def _is_call_message(self, msg: NwkMessage) -> bool:
        """The message belongs to the present call's transaction (value and flag, §7.3)."""
        return (
            self.cc is not Cc.NULL
            and msg.ti == self._call_ti
            and msg.ti_flag == self._call_from_fp
        )

    # FP -> PP: incoming calls, and what the SIP side says about any call
    def call_in(self, number: str, name: str, now: float) -> None:
        """Offer an incoming call on this connection (after the security steps)."""
        self._call_ti, self._call_from_fp, self._call_known = cv.FP_CALL_TI, True, True
        self._call_number, self._call_name = number, name
        self._begin(Service.CALL)
        self._set_cc(Cc.OFFERING)
        self._secure(self._offer_call, now)

    def _offer_call(self, now: float) -> None:
        if self.cc is not Cc.OFFERING:
            return
        rec = self._record()
        if rec is None:
            self._end_call("Failed")
            return
        ipei = self.ipei or Ipei.parse(rec["ipei"])
        number = CallingPartyNumber(self._call_number) if self._call_number else None
        name = CallingPartyName(self._call_name) if self._call_name else None
        setup = cc.setup(
            cv.assigned_ipui(ipei),
            self.fp.park,
            signal=SIGNAL_ALERTING_PATTERN_0,
            calling_party_number=number,
            calling_party_name=name,
            ti=self._call_ti,
            ti_flag=False,
        )
        self._send_cc(setup)
        self._set_cc(Cc.PRESENT)
        self._call_deadline = now + cv.PROCEDURE_TIMEOUT_S

    def call_request(self, request: str, now: float) -> bool:
        """CALL-PROC, ALERTING or CONNECT to the PP; False when the call is not in a state
        for it (CC_REQUESTS)."""
        states, builder, after = CC_REQUESTS[request]
        if self.cc not in states:
            return False
        self._send_cc(builder(ti=self._call_ti, ti_flag=True))
        self._set_cc(after)
        return True

    def release_call(self, reason: int, now: float, *, display: str = "") -> None:
        """The far end ended the call: CC-RELEASE, no CallReleased back up."""
        if self.cc in (Cc.NULL, Cc.RELEASE_PENDING):
            return
        self._call_known = False
        if self.cc in (Cc.OFFERING, Cc.INITIATED):  # the PP has heard nothing of it yet
            self._end_call(None)
            self._check_idle(now)
            return
        self._send_release(reason, now, display)

    def _call_timed_out(self, now: float) -> None:
        if self.cc is Cc.PRESENT:  # the PP never answered the SETUP
            if self.ppn is not None:
                self.fp.emit(ev.CallReleased(self.ppn, "Failed"))
            self._call_known = False
            self._send_release(ReleaseReasonCode.TIMER_EXPIRY, now)
        elif self.cc is Cc.RELEASE_PENDING:
            self._end_call(None)

    # -- paging --------------------------------------------------------------------------------
    def _on_page_response(self, msg: NwkMessage, now: float) -> None:
        rec = self._identify(msg)
        if rec is None:
            identity = msg.require(PortableIdentity)
            self._send(lce.page_reject(identity, RejectReasonCode.IPUI_UNKNOWN))
            self._check_idle(now)
            return
        assert self.ppn is not None
        call = self.fp.page_answered(self.ppn)
        self._begin(Service.PAGED)
        if call is not None:
            self.call_in(call.number, call.name, now)
        else:
            self._secure(lambda now: None, now)

    # -- COMS: text messages (conventions: "text messages") ------------------------------------
    def _deliver_next(self, now: float) -> None:
        if self.ppn is None or self._coms_out is not None:
            return
        item = self.fp.outbox_head(self.ppn)
        if item is None or self.ipei is None:
            return
        self._coms_message = item
        self._coms_out = ComsOut.SETUP_SENT
        self.services.add(Service.COMS_OUT)
        self._send(coms.setup(cv.assigned_ipui(self.ipei), self.fp.park))
        self.fp.emit(ev.PpTransaction("ComsEstablish", self.ppn, self.rfp_id))
        self._procedure_deadline = now + cv.PROCEDURE_TIMEOUT_S

    def _on_coms(self, msg: NwkMessage, now: float) -> None:
        if msg.ti_flag:
            self._coms_out_message(msg, now)
        else:
            self._coms_in_message(msg, now)

    def _coms_out_message(self, msg: NwkMessage, now: float) -> None:
        state, item = self._coms_out, self._coms_message
        accepts = COMS_OUT_ACCEPTS.get(msg.message_type, frozenset())
        if state is None or item is None or state not in accepts or self.ppn is None:
            return
        kind = msg.message_type
        if kind == ComsMessageType.COMS_CONNECT:
            self._send(coms.info(_coms_iwu(item)))
            self._coms_out = ComsOut.INFO_SENT
        elif kind == ComsMessageType.COMS_ACK:
            self.fp.message_done(self.ppn, item, self._delivered(item, msg))
            self._send(coms.release(ReleaseReasonCode.NORMAL))
            self._coms_out = ComsOut.RELEASE_SENT
        elif kind == ComsMessageType.COMS_RELEASE:
            if state is not ComsOut.RELEASE_SENT:
                self.fp.message_done(self.ppn, item, "Rejected")
            self._send(coms.release_com(ReleaseReasonCode.NORMAL))
            self._end_coms_out()
        else:
            self._end_coms_out()

    def _delivered(self, item: Outgoing, ack: NwkMessage) -> str | ev.FpEvent:
        """What a COMS-ACK means for the item it acknowledges."""
        if not isinstance(item, PositionQuery):
            return "Delivered"
        iwu = ack.find(IwuToIwu)
        report = cv.parse_position_report_iwu(iwu) if iwu is not None else None
        if report is None or report.request_id != item.query_id or self.ppn is None:
            return "Rejected"  # a PP that does not know the request (or garbles it)
        return ev.PositionMeasured(item.query_id, self.ppn, self.rfp_id, report.heard)

    def _end_coms_out(self) -> None:
        self._procedure_deadline = None
        self._coms_out = None
        self._coms_message = None
        self.services.discard(Service.COMS_OUT)
        if self.ppn is not None:
            self.fp.emit(ev.PpTransaction("ComsRelease", self.ppn, self.rfp_id))

    def _coms_connect(self, now: float) -> None:
        self._send(coms.connect(ti=self._coms_in_ti), Service.COMS_IN)

    def _coms_in_message(self, msg: NwkMessage, now: float) -> None:
        kind = msg.message_type
        if kind == ComsMessageType.COMS_SETUP:
            if self._identify(msg) is None:
                self._send(coms.release_com(ReleaseReasonCode.UNKNOWN_IDENTITY, ti=msg.ti))
                self._check_idle(now)
                return
            self._coms_in_ti = msg.ti
            self._begin(Service.COMS_IN)
            assert self.ppn is not None
            self.fp.emit(ev.PpTransaction("ComsEstablish", self.ppn, self.rfp_id))
            self._secure(self._coms_connect, now)
        elif Service.COMS_IN not in self.services or self.ppn is None:
            return
        elif kind == ComsMessageType.COMS_INFO:
            iwu = msg.find(IwuToIwu)
            parsed = cv.parse_confirmation_iwu(iwu) if iwu is not None else None
            if parsed is not None:
                when = self.fp.model.clock()
                self.fp.emit(ev.MessageConfirmed(parsed[0], self.ppn, parsed[1], when))
            self._send(coms.ack(ti=self._coms_in_ti))
        elif kind == ComsMessageType.COMS_RELEASE:
            self._send(coms.release_com(ReleaseReasonCode.NORMAL, ti=self._coms_in_ti))
            self.services.discard(Service.COMS_IN)
            self.fp.emit(ev.PpTransaction("ComsRelease", self.ppn, self.rfp_id))

    # -- failures ------------------------------------------------------------------------------
    def _abort_services(self, now: float) -> None:
        """A security step failed: refuse what was asked and drop the link."""
        if Service.LOCATE in self.services:
            self._send(mm.locate_reject(RejectReasonCode.AUTHENTICATION_FAILED))
        if self.cc not in (Cc.NULL, Cc.OFFERING):
            reason = ReleaseReasonCode.AUTHENTICATION_FAILED
            self._send(cc.release(reason, ti=self._call_ti, ti_flag=self._cc_flag()))
        if self.cc is not Cc.NULL:
            self._end_call("Failed")
        self._steps.clear()
        self._then.clear()
        self.services.clear()
        self._aborting = True
        self._release_at = now

    def _fail(self, reason: str, now: float) -> None:
        self.fp.log("MinorErr", f"DECT procedure failed: {reason}")
        self._abort_services(now)


def _coms_iwu(item: Outgoing) -> IwuToIwu:
    """The IWU-TO-IWU element of the COMS-INFO that carries an item to the PP."""
    if isinstance(item, PositionQuery):
        return cv.position_request_iwu(item.query_id)
    return cv.message_iwu(cv.MessageBody(item.message_id, item.title, item.text,
                                         item.confirmations, item.priority))


_Handler = Callable[[PpConnection, NwkMessage, float], None]

#: What the fixed part does with each message a PP sends; anything else is ignored.
_HANDLERS: dict[tuple[ProtocolDiscriminator, int], _Handler] = {
    (PD.MM, MmMessageType.ACCESS_RIGHTS_REQUEST): PpConnection._on_access_rights_request,
    (PD.MM, MmMessageType.AUTHENTICATION_REQUEST): PpConnection._on_authentication_request,
    (PD.MM, MmMessageType.AUTHENTICATION_REPLY): PpConnection._on_authentication_reply,
    (PD.MM, MmMessageType.AUTHENTICATION_REJECT): PpConnection._on_authentication_reject,
    (PD.MM, MmMessageType.CIPHER_REJECT): PpConnection._on_cipher_reject,
    (PD.MM, MmMessageType.LOCATE_REQUEST): PpConnection._on_locate_request,
    (PD.MM, MmMessageType.DETACH): PpConnection._on_detach,
    (PD.CC, CcMessageType.CC_SETUP): PpConnection._on_cc_setup,
    (PD.CC, CcMessageType.CC_INFO): PpConnection._on_cc_info,
    (PD.CC, CcMessageType.CC_ALERTING): PpConnection._on_cc_alerting,
    (PD.CC, CcMessageType.CC_CONNECT): PpConnection._on_cc_connect,
    (PD.CC, CcMessageType.CC_RELEASE): PpConnection._on_cc_release,
    (PD.CC, CcMessageType.CC_RELEASE_COM): PpConnection._on_cc_release_com,
    (PD.LCE, LceMessageType.LCE_PAGE_RESPONSE): PpConnection._on_page_response,
    **{(PD.COMS, int(t)): PpConnection._on_coms for t in ComsMessageType},
}
