"""A virtual DECT portable part: keypad, display, subscriptions, and the PT side of the
MM, CC, LCE and COMS procedures over DLC links on the simulated air (sim/primitives.py).

EN 300 175-5 (NWK, PT side), EN 300 175-4 via dect.dlc, dect-security.md §4.2-§4.6 via
dect.security. Sans-I/O: the caller says which RFP is strongest (`lock`), passes air
primitives in with `receive(rfp_id, primitive, now)` (AirData ciphered with
sim.air.cipher_frame) and takes `air_to_send()`, `next_event()`, `get_timer()` /
`handle_timer(now)`. The message carriage and feature codes the OMM expects are in
dect.conventions. Calls (docs/calls.md §1): `call_state`, `dial`, `answer`, `hang_up`,
`auto_answer`, and the CallIncoming / CallConnected / CallEnded events.
"""

from __future__ import annotations

import math
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from dect import conventions as cv
from dect import security as sec
from dect.dlc import DlcConnection, LinkFailed, NwkAcknowledged, NwkReceived, Side
from dect.errors import DectDecodeError, DectValueError
from dect.identities import Ari, Ipei, Ipui, Park, Rfpi, Tpui
from dect.nwk import NwkMessage, cc, coms, decode_message, lce, mm
from dect.nwk.ie import (
    AllocationType,
    AuthType,
    CallingPartyName,
    CallingPartyNumber,
    CipherInfo,
    FixedIdentity,
    IwuToIwu,
    LocationArea,
    ModelIdentifier,
    MultiDisplay,
    MultiKeypad,
    PortableIdentity,
    Rand,
    RejectReason,
    ReleaseReason,
    Res,
    Rs,
    TerminalCapability,
)
from dect.nwk.tables import (
    PROFILE_7_REKEYING_EARLY_ENCRYPTION,
    AuthAlgorithm,
    AuthKeyType,
    CcMessageType,
    ComsMessageType,
    LceMessageType,
    MmMessageType,
    ProtocolDiscriminator,
    RejectReasonCode,
    ReleaseReasonCode,
)
from dect.timing import FRAME_SECONDS
from sim.air import RELEASE_LINK_LOST, Air, cipher_frame
from sim.keypad import DIAL_KEYS, Key, parse_keys
from sim.primitives import (
    AirCipherStart,
    AirConnect,
    AirConnected,
    AirData,
    AirPage,
    AirPrimitive,
    AirRelease,
)

PD = ProtocolDiscriminator

AirTap = Callable[[bool, int, AirPrimitive, bytes | None], None]
"""Told each primitive the handset sends (True) or takes (False), with the RFP and, for
AirData, the DLC frame in clear (a capture: docs/capture.md)."""

# --- the air's frame numbering (sim.air) ------------------------------------------------------


class AirClock:
    """(mfn, fn) for each frame the handset sends: the frame running at `now` (epoch 0),
    never the same twice (each frame's DSC keystream is used once)."""

    def __init__(self) -> None:
        self._last = -1

    def next(self, now: float) -> tuple[int, int]:
        index = max(math.floor(now / FRAME_SECONDS), self._last + 1)
        self._last = index
        return Air.frame_numbers(index)


# --- what the handset keeps -------------------------------------------------------------------


@dataclass
class Subscription:
    """One system the handset is subscribed to."""

    park: Park
    """The PARK from ACCESS-RIGHTS-ACCEPT."""
    uak: bytes
    """The UAK from key allocation."""
    ipui: Ipui
    """The IPUI the FP assigned."""
    tpui: Tpui | None = None
    """The TPUI from the last LOCATE-ACCEPT."""
    tpui_ari: Ari | None = None
    """The PARI of the location area that assigned `tpui`: a TPUI holds only there (EN 300
    175-6 §6.3), so under a SARI the next OMM's area starts with the IPUI again."""
    keys: sec.CipherKeys = field(default_factory=sec.CipherKeys)
    """DCKs and default cipher keys from PT authentications."""


@dataclass
class ReceivedMessage:
    """A text message on the handset."""

    message_id: int
    """The OMM's id."""
    title: str
    """First line (sender)."""
    text: str
    """The message."""
    confirmations: tuple[str, ...]
    """What the sender asked the user to answer with."""
    answer: str | None = None
    """The confirmation the user gave."""
    priority: str = cv.DEFAULT_MESSAGE_PRIORITY
    """AXI MessagePriorityType (dect.conventions.MESSAGE_PRIORITY_RANK says what it does)."""


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subscribed:
    """Key allocation succeeded and the FP granted access rights."""

    park: str
    """The PARK."""


@dataclass(frozen=True, slots=True)
class SubscriptionFailed:
    """The FP refused, or key allocation failed."""

    reason: str
    """What the display shows."""


@dataclass(frozen=True, slots=True)
class Registered:
    """Location registration succeeded."""

    tpui: int
    """The assigned TPUI."""


@dataclass(frozen=True, slots=True)
class RegistrationFailed:
    """LOCATE-REJECT."""

    reason: str
    """The reject reason."""


@dataclass(frozen=True, slots=True)
class Ciphered:
    """The link is now ciphered (or changed key)."""

    rekey: bool
    """True for a key change on a ciphered link."""


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A text message arrived."""

    message_id: int
    """The OMM's id."""
    shown: bool = True
    """It took the display; False: it waits behind a higher one or the call."""


@dataclass(frozen=True, slots=True)
class FpAuthenticated:
    """Result of the handset authenticating the FT."""

    ok: bool
    """The FP proved it holds the UAK."""


@dataclass(frozen=True, slots=True)
class ConnectionEnded:
    """The MAC connection is gone."""

    reason: str
    """"released", "undecodable frames", "early encryption failed", ..."""


@dataclass(frozen=True, slots=True)
class CallIncoming:
    """A call rings on the handset."""

    number: str
    """The caller's number, "" when withheld."""
    name: str
    """The caller's name, "" when none came."""


@dataclass(frozen=True, slots=True)
class CallConnected:
    """The call is answered (either way) and through."""


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The call is over."""

    reason: str
    """HungUp (this handset ended it), Rejected, Normal (the other end hung up), Busy,
    NotReachable, LinkLost (the connection went), Failed; OutOfRange and NotSubscribed when
    the handset could not even try (CallNotPossible)."""


HandsetEvent = (
    Subscribed
    | SubscriptionFailed
    | Registered
    | RegistrationFailed
    | Ciphered
    | MessageReceived
    | FpAuthenticated
    | ConnectionEnded
    | CallIncoming
    | CallConnected
    | CallEnded
)


class HandsetStateError(RuntimeError):
    """The handset cannot do that in its present state (e.g. subscribe while switched off)."""


class CallNotPossible(HandsetStateError):
    """The handset ended a call at once because it has no network to place it on; the
    message starts with what its display shows (TEXT_OUT_OF_RANGE, TEXT_NOT_SUBSCRIBED)."""

    def __init__(self, reason: str, text: str, why: str) -> None:
        super().__init__(f"{text}: {why}")
        self.reason = reason
        """The CallEnded reason: OutOfRange, NotSubscribed."""
        self.text = text
        """The display text."""


class State(Enum):
    """Radio state of the handset."""

    OFF = "off"
    SEARCHING = "searching"
    """On, locked to no RFP."""
    LOCKED = "locked"
    """Idle, locked to the strongest RFP; can be paged."""
    CONNECTING = "connecting"
    CONNECTED = "connected"


#: (state, what happens) -> next state; anything else raises HandsetStateError.
TRANSITIONS: Final[dict[tuple[State, str], State]] = {
    (State.OFF, "power_on"): State.SEARCHING,
    (State.SEARCHING, "lock"): State.LOCKED,
    (State.LOCKED, "lock"): State.LOCKED,
    (State.CONNECTING, "lock"): State.CONNECTING,
    (State.CONNECTED, "lock"): State.CONNECTED,
    (State.SEARCHING, "unlock"): State.SEARCHING,
    (State.LOCKED, "unlock"): State.SEARCHING,
    (State.CONNECTING, "unlock"): State.SEARCHING,  # the connection is lost with the RFP
    (State.CONNECTED, "unlock"): State.SEARCHING,
    (State.LOCKED, "connect"): State.CONNECTING,
    (State.CONNECTING, "connected"): State.CONNECTED,
    (State.CONNECTED, "handover"): State.CONNECTED,
    (State.CONNECTING, "released"): State.LOCKED,
    (State.CONNECTED, "released"): State.LOCKED,
    **{(s, "power_off"): State.OFF for s in State},
}


class Location(Enum):
    """Location registration with the system of the RFP locked to (EN 300 175-5 §13.4)."""

    IDLE = "idle"
    """Nothing to register: switched off, no RFP, or no subscription for the RFP's system."""
    LOCATING = "locating"
    """A LOCATE-REQUEST is queued or waits for the FP's answer."""
    BACKING_OFF = "backing off"
    """The last attempt ended without an answer (link released, failed, timed out); the next
    one is due at a deadline (locate_retry_delay)."""
    REGISTERED = "registered"
    """LOCATE-ACCEPT came."""
    REJECTED = "rejected"
    """LOCATE-REJECT came: the FP's answer stands until the handset locks to a system anew."""


#: (location state, what happens) -> next state. Happenings not listed change nothing: an
#: answer nobody waits for, an attempt lost while none runs.
LOCATION_TRANSITIONS: Final[dict[tuple[Location, str], Location]] = {
    **{(s, "locate"): Location.LOCATING for s in Location},
    (Location.LOCATING, "accepted"): Location.REGISTERED,
    (Location.LOCATING, "rejected"): Location.REJECTED,
    (Location.LOCATING, "lost"): Location.BACKING_OFF,
    (Location.BACKING_OFF, "retry"): Location.LOCATING,
    **{(s, "stop"): Location.IDLE for s in Location},
}

LOCATE_RETRY_FIRST_S: Final = 4.0
"""Decided (GAP and the Mitel manuals set no figure): a location registration that ended
without an answer is tried again after this long, and after twice as long for each further
attempt lost in a row, up to LOCATE_RETRY_MAX_S; each wait is drawn from its upper half, so
that the handsets of a site whose OMM was too busy to answer do not all come back at once.
A LOCATE-REJECT is an answer and is not retried; neither is anything once the handset is
switched off, hears no RFP or has no subscription for the system it hears."""
LOCATE_RETRY_MAX_S: Final = 60.0
"""Decided: the longest wait between two location registration attempts."""
CONNECT_SETUP_S: Final = 1.0
"""A MAC connection the RFP never answers (its OMM link went, or it restarted, while the
AirConnect crossed) is given up after this and its procedure tried again as after any lost
link. Decided: a bearer is set up within a few 10 ms frames (EN 300 175-3), so a second
without AirConnected is no answer; without it the handset waited for ever."""


def locate_retry_delay(failures: int, fraction: float) -> float:
    """Seconds until the next attempt after `failures` (>= 1) lost in a row; `fraction` in
    [0, 1] picks the point in the upper half of the back-off window."""
    window = min(LOCATE_RETRY_FIRST_S * (1 << min(failures - 1, 16)), LOCATE_RETRY_MAX_S)
    return window * (0.5 + 0.5 * fraction)


class CallState(Enum):
    """The call as the user sees it (EN 300 175-5 §9.3 T-states, folded)."""

    IDLE = "idle"
    DIALLING = "dialling"
    """Off-hook: the SETUP is (about to be) out; overlap digits still go (T-01, T-02)."""
    PROCEEDING = "proceeding"
    """The number is complete and the call is on its way (T-03)."""
    RINGBACK = "ringback"
    """The far end rings (T-04)."""
    INCOMING = "incoming"
    """The handset rings (T-06, T-07, T-08 until CONNECT-ACK)."""
    CONNECTED = "connected"
    """T-10."""


#: FP call messages each call state handles; anything else in the call is ignored.
CALL_ACCEPTS: Final[dict[int, frozenset[CallState]]] = {
    CcMessageType.CC_SETUP_ACK: frozenset({CallState.DIALLING}),
    CcMessageType.CC_CALL_PROC: frozenset({CallState.DIALLING}),
    CcMessageType.CC_ALERTING: frozenset({CallState.DIALLING, CallState.PROCEEDING}),
    CcMessageType.CC_CONNECT: frozenset(
        {CallState.DIALLING, CallState.PROCEEDING, CallState.RINGBACK}
    ),
    CcMessageType.CC_CONNECT_ACK: frozenset({CallState.INCOMING}),
}

TEXT_CALLING: Final = "Calling"
TEXT_RINGING: Final = "Ringing"
TEXT_CONNECTED: Final = "Connected"
TEXT_CALL_FROM: Final = "Call from"
TEXT_BUSY: Final = "Busy"
TEXT_CALL_ENDED: Final = "Call ended"
TEXT_OUT_OF_RANGE: Final = "Out of range"
"""Decided (no Mitel capture shows it): a call tried while the handset hears no RFP ends at
once with this on the display, as DECT handsets out of range of their base tell the user;
the idle display meanwhile says "Searching". The call ends with reason "OutOfRange"."""
TEXT_NOT_SUBSCRIBED: Final = "Not subscribed"
"""Decided likewise: a call tried on an RFP of a system the handset holds no subscription
for ends at once (reason "NotSubscribed"); the idle display says "No subscription"."""


class Task(Enum):
    """What the handset needs a connection for."""

    SUBSCRIBE = "subscribe"
    LOCATE = "locate"
    CALL = "call"
    CONFIRM = "confirm"
    DETACH = "detach"
    PAGE_RESPONSE = "page response"
    AUTHENTICATE_FT = "authenticate FT"


@dataclass
class _Job:
    task: Task
    digits: str = ""
    ac: bytes = b""
    message: ReceivedMessage | None = None
    confirmation: str = ""


IDLE_RELEASE_S: Final = 2 * cv.LINK_RELEASE_S
"""The PP lets the FP release an idle link first; it gives up after twice the FP's time."""

# -- handset alarms (standby-eventmgr.md B.4) ----------------------------------------------------
ALARMS: Final = ("sos", "man-down", "no-movement")
"""The alarms a virtual handset can raise: the SOS key and the alarm sensor's kinds."""
ALARMS_BY_MODEL: Final[dict[str, frozenset[str]]] = {
    "630d": frozenset(ALARMS),  # [D] 630d manual p.51-53: SOS key, man-down, no-movement
    "632d": frozenset(ALARMS),  # [A] the 630d's successor keeps its alarm sensor
}
"""Which models have which alarms; every other model has none."""
ALARM_NUMBER_KIND: Final[dict[str, str]] = {"sos": "sos", "man-down": "manDown",
                                            "no-movement": "manDown"}
"""Which stored number an alarm calls: the sensor's kinds share one (B.4: the user fields
sosNum and manDownNum)."""
DEFAULT_ALARM_NUMBERS: Final[dict[str, str]] = {"sos": "*91", "manDown": "*92"}
"""[A] The numbers a handset calls for an alarm until it is told others: the real ones are
configured per user (sosNum, manDownNum) or in the handset's menu. An alarm is a call to
that number (the 630d's "hands-free call to a stored emergency number"), so it crosses the
air and the OMM-RFP link as any call does; the OMM raises the alarm trigger whose `fac`
the number starts with."""


class Handset:
    """A virtual portable part (PP)."""

    def __init__(
        self,
        ipei: Ipei | str,
        *,
        model: str = "622d",
        random: sec.RandomSource = secrets.token_bytes,
        enhanced_security: bool = True,
        window: int = 1,
    ) -> None:
        self.ipei = Ipei.parse(ipei) if isinstance(ipei, str) else ipei
        self.model = model
        """AXI hwType, sent as MODEL-IDENTIFIER (conventions.MODIC_BY_HW_TYPE)."""
        self.alarm_numbers: dict[str, str] = dict(DEFAULT_ALARM_NUMBERS)
        """What the SOS key ("sos") and the alarm sensor ("manDown") call."""
        self.random = random
        self.enhanced_security = enhanced_security
        """Announce "re-keying and default cipher key early encryption" in TERMINAL-CAPABILITY."""
        self.window = window
        self.state = State.OFF
        self.location = Location.IDLE
        """Location registration with the system of the RFP locked to."""
        self.subscriptions: dict[str, Subscription] = {}
        """By PARK text."""
        self.display: list[str] = []
        """The display lines, top first."""
        self.messages: list[ReceivedMessage] = []
        """Text messages received, oldest first."""
        self.alert: str | None = None
        """The priority of the message on the display that rings (MESSAGE_INTRUDES_CALL),
        until the user answers it."""
        self.hearing: Callable[[], list[tuple[int, float]]] = list
        """What the radio hears now: (RPN, dBm) per RFP of its system, strongest first (the
        world sets it; a position request reports it)."""
        self.rfp_id: int | None = None
        """The RFP locked to (and connected through)."""
        self.rfpi: Rfpi | None = None
        self.saris: tuple[Ari, ...] = ()
        """The SARI list the RFP locked to broadcasts."""
        self.undecodable = 0
        """Received frames in a row that did not decode (a wrong cipher key)."""
        self.tap: AirTap | None = None
        """Told every primitive of the handset's connections (None: nobody listens)."""
        self.call_state = CallState.IDLE
        self.auto_answer: float | None = None
        """Answer an incoming call by itself this many seconds after it rings; None = never."""
        self._typed = ""
        self._ac_entry = False
        self._ac_park: Park | None = None
        self._popup: ReceivedMessage | None = None
        self._waiting: list[ReceivedMessage] = []
        """Unanswered messages behind the one shown (or behind the call), oldest first."""
        self._jobs: deque[_Job] = deque()
        self._job: _Job | None = None
        self._dlc: DlcConnection | None = None
        self._clock = AirClock()
        self._air_key: bytes | None = None
        self._pending_key: bytes | None = None
        self._awaiting_early = False
        self._handover_from: int | None = None
        self._handover_pending = False
        self._allocation: sec.PpKeyAllocation | None = None
        self._ft_auth: sec.PpFtAuthentication | None = None
        self._new_uak: bytes | None = None
        self._detach_message = 0
        self._power_off_after = False
        self._idle_deadline: float | None = None
        self._job_deadline: float | None = None
        self._early_deadline: float | None = None
        self._connect_deadline: float | None = None
        """An AirConnect went out; no AirConnected by then gives it up (CONNECT_SETUP_S)."""
        self._locate_retry_at: float | None = None
        self._locate_failures = 0
        """Location registration attempts lost in a row (the back-off grows with them)."""
        self._link_pmid = 0
        """The PMID the present connection was set up with."""
        self._rx_lln = cv.LLN_DEFAULT
        self._next_lock: tuple[int, Rfpi, tuple[Ari, ...]] | None = None
        self._call_ti = 0
        """TI value of the call; the handset's own calls use 0."""
        self._call_ours = False
        """The handset originated the call (its messages carry TI flag 0)."""
        self._call_number = ""
        self._call_releasing = False
        """CC-RELEASE sent; the FP's CC-RELEASE-COM ends the transaction."""
        self._answer_sent = False
        self._overlap_open = False
        """The FP's SETUP-ACK came: overlap digits may go."""
        self._answer_at: float | None = None
        self._fp_text = False
        """The FP put text on the display during the call (a feature code's answer)."""
        self._overlap_keys = ""
        """Digits typed after {CALL} before the SETUP could go."""
        self._coms_ti = 0
        self._out: list[tuple[int, AirPrimitive]] = []
        self._events: deque[HandsetEvent] = deque()
        self._show_idle()

    # -- what the voice plane needs --------------------------------------------------------------
    @property
    def cipher_key(self) -> bytes | None:
        """The DSC key the present connection is ciphered with, None when clear."""
        return self._air_key

    @property
    def link_pmid(self) -> int:
        """The PMID the present connection was set up with (AirVoice frames carry it)."""
        return self._link_pmid

    @property
    def call_active(self) -> bool:
        """A call is up in any phase (the connection stays for it)."""
        return self.call_state is not CallState.IDLE

    @property
    def call_number(self) -> str:
        """The far end of the call: the number dialled, or the caller's ("" when withheld or
        no call)."""
        return self._call_number if self.call_active else ""

    # -- identity ------------------------------------------------------------------------------
    @property
    def subscription(self) -> Subscription | None:
        """The subscription for the system of the RFP locked to."""
        if self.rfpi is None:
            return None
        ari = self.rfpi.ari
        subs = self.subscriptions.values()
        return (next((s for s in subs if s.park.includes(ari)), None)
                or next((s for s in subs if self.may_access(s.park)), None))

    def may_access(self, park: Park) -> bool:
        """`park` gives access to the system of the RFP locked to: it covers its PARI or one
        of its SARIs (EN 300 175-6 §8.1 rule 6)."""
        if self.rfpi is None:
            return False
        return park.includes(self.rfpi.ari) or any(park.includes(a) for a in self.saris)

    def _tpui_here(self, sub: Subscription | None) -> Tpui | None:
        """The subscription's TPUI if it was assigned in the location area locked to."""
        if sub is None or sub.tpui is None or self.rfpi is None:
            return None
        return sub.tpui if sub.tpui_ari in (None, self.rfpi.ari) else None

    @property
    def pmid(self) -> int:
        """Assigned TPUI of the present location area, else the arbitrary PMID."""
        tpui = self._tpui_here(self.subscription)
        if tpui is not None:
            return tpui.value
        return cv.arbitrary_pmid(self.ipei)

    @property
    def ipui(self) -> Ipui:
        sub = self.subscription
        return sub.ipui if sub is not None else Ipui.n(self.ipei)

    def _capability(self) -> TerminalCapability:
        seventh = PROFILE_7_REKEYING_EARLY_ENCRYPTION if self.enhanced_security else 0
        return TerminalCapability.build(0x4, 0b100, (0, 0, 0, 0, 0, 0, seventh))

    def _model_identifier(self) -> ModelIdentifier | None:
        modic = cv.MODIC_BY_HW_TYPE.get(self.model)
        return None if modic is None else ModelIdentifier(cv.MODEL_MANIC, modic)

    # -- state machine -------------------------------------------------------------------------
    def _go(self, happening: str) -> None:
        nxt = TRANSITIONS.get((self.state, happening))
        if nxt is None:
            raise HandsetStateError(f"cannot {happening} while {self.state.value}")
        self.state = nxt

    def _go_location(self, happening: str) -> None:
        self.location = LOCATION_TRANSITIONS.get((self.location, happening), self.location)

    # -- the air model's calls -----------------------------------------------------------------
    def power_on(self, now: float) -> None:
        """Switch on; the handset searches until `lock` names an RFP (then it registers)."""
        self._go("power_on")
        self.rfp_id = self.rfpi = None
        self.saris = ()
        self._show_idle()

    def lock(self, rfp_id: int, rfpi: Rfpi, now: float, saris: tuple[Ari, ...] = ()) -> None:
        """The strongest RFP is `rfp_id`, broadcasting `rfpi` and the SARI list `saris` (the
        air model decides).

        During a connection this only takes effect when it ends; moving the connection
        itself is `connect_to`. An RFP of another PARI is another location area (EN 300 175-6
        §5): the handset location-registers there.
        """
        self._go("lock")
        if self.state in (State.CONNECTING, State.CONNECTED):
            self._next_lock = (rfp_id, rfpi, saris)
            return
        was = self.rfpi
        self.rfp_id, self.rfpi, self.saris = rfp_id, rfpi, saris
        if self.subscription is None:
            self._stop_locating()
        elif was is None or was.ari != rfpi.ari:
            self._start_locating()
        self._show_idle()
        self._connect_if_needed(now)

    def unlock(self) -> None:
        """Out of range of every RFP. A running connection is lost with it (its call ends
        with "LinkLost", what it was for is given up) and the handset searches."""
        connected = self.state in (State.CONNECTING, State.CONNECTED)
        self._go("unlock")
        self.rfp_id = self.rfpi = None
        self.saris = ()
        self._next_lock = None
        self._stop_locating()
        if connected:
            self._end_connection()
            self._jobs.clear()
            self._events.append(ConnectionEnded("out of range"))
            if self._power_off_after:
                self._switch_off()
                return
        self._show_idle()

    def connect_to(self, rfp_id: int, now: float, *, handover: bool = True) -> None:
        """Move the running connection to another RFP; the NWK and DLC state carry over."""
        if not handover or self.state is not State.CONNECTED or self.rfp_id is None:
            raise HandsetStateError("a connection handover needs a running connection")
        self._go("handover")
        self._handover_from, self.rfp_id = self.rfp_id, rfp_id
        self._handover_pending = True
        self._out.append((rfp_id, AirConnect(self._link_pmid, handover=True)))

    def power_off(self, now: float) -> None:
        """Detach (MM DETACH) when registered, then switch off."""
        sub = self.subscription
        reachable = self.state in (State.LOCKED, State.CONNECTING, State.CONNECTED)
        self._stop_locating()
        if self._tpui_here(sub) is not None and reachable:
            self._power_off_after = True
            self._queue(_Job(Task.DETACH))
            self._connect_if_needed(now)
            return
        self._switch_off()

    def _switch_off(self) -> None:
        if self.state in (State.CONNECTING, State.CONNECTED) and self.rfp_id is not None:
            self._out.append((self.rfp_id, AirRelease(self._link_pmid)))
        self._end_connection()
        self._go("power_off")
        self._stop_locating()
        self._jobs.clear()
        self._power_off_after = False
        self.display = []

    # -- the user's calls ----------------------------------------------------------------------
    def subscribe(self, now: float, *, ac: str | None = None, park: Park | None = None) -> None:
        """Open the subscription menu; with `ac` the code is typed and confirmed at once."""
        if self.state is State.OFF:
            raise HandsetStateError("switch the handset on first")
        self._ac_entry, self._ac_park, self._typed = True, park, ""
        self.display = ["Subscribe", "AC:"]
        if ac is not None:
            self.press(ac + "{OK}", now)

    def press(self, keys: str, now: float) -> None:
        """Press keys: "123{CALL}", "{OK}", ... (sim.keypad)."""
        if self.state is State.OFF:
            raise HandsetStateError("the handset is switched off")
        for key in parse_keys(keys):
            if isinstance(key, str):
                self._press_dial(key, now)
            else:
                self._press_function(key, now)

    def dial(self, number: str, now: float) -> None:
        """Type `number` and press {CALL}: an en bloc call. CallNotPossible when the handset
        ends it at once (out of range, not subscribed); the display says why."""
        if self.call_state is not CallState.IDLE:
            raise HandsetStateError(f"cannot dial while the call is {self.call_state.value}")
        self._typed, self._popup, self._ac_entry = "", None, False
        refused = self._no_network()
        self.press(number + "{CALL}", now)
        if refused is not None:
            raise refused

    @property
    def alarms(self) -> frozenset[str]:
        """The alarms this model can raise (ALARMS_BY_MODEL)."""
        return ALARMS_BY_MODEL.get(self.model, frozenset())

    def alarm(self, kind: str, now: float) -> str:
        """Raise an alarm: the SOS key pressed, or the sensor tripped (at once: the pre-alarm
        countdown, which the user could cancel, is not modelled). The alarm call goes to its
        stored number, which is returned. HandsetStateError when this model has no such
        alarm or a call is up; CallNotPossible as for dial()."""
        if kind not in ALARMS:
            raise HandsetStateError(f"no alarm {kind!r}: the alarms are {', '.join(ALARMS)}")
        if kind not in self.alarms:
            have = ", ".join(sorted(self.alarms)) or "none"
            raise HandsetStateError(f"a {self.model} has no {kind} alarm (its alarms: {have}; "
                                    f"the 630d and 632d have all)")
        number = self.alarm_numbers[ALARM_NUMBER_KIND[kind]]
        self.dial(number, now)
        return number

    def answer(self, now: float) -> None:
        """Answer the ringing call ({CALL} while INCOMING)."""
        if self.call_state is not CallState.INCOMING:
            raise HandsetStateError(f"no call rings (the call is {self.call_state.value})")
        self.press("{CALL}", now)

    def hang_up(self, now: float) -> None:
        """{END}: end the call, or reject it while it rings."""
        self.press("{END}", now)

    def authenticate_fp(self, now: float) -> None:
        """Challenge the FT with the UAK (dect-security.md §4.4)."""
        self._queue(_Job(Task.AUTHENTICATE_FT))
        self._connect_if_needed(now)

    def _press_dial(self, key: str, now: float) -> None:
        assert key in DIAL_KEYS
        if self.call_state is CallState.INCOMING:
            return
        if self.call_active and not self._ac_entry:
            self._call_key(key, now)
            return
        if self._popup is not None and key.isdigit():
            choice = int(key) - 1
            if 0 <= choice < len(self._popup.confirmations):
                self._answer(self._popup.confirmations[choice], now)
            return
        self._typed += key
        self._show_typing()

    def _press_function(self, key: Key, now: float) -> None:
        if key is Key.CLEAR:
            self._typed = self._typed[:-1]
            self._show_typing()
        elif key is Key.OK:
            if self._popup is not None:
                options = self._popup.confirmations
                if options:
                    self._answer(options[0], now)
                else:
                    self._popup, self.alert = None, None
                    self._show_idle()
                    self._show_waiting()
            elif self._ac_entry:
                self._start_subscription(now)
        elif key is Key.CALL:
            if self.call_state is CallState.INCOMING:
                self._answer_call(now)
            elif not self.call_active and not self._ac_entry:
                digits, self._typed = self._typed, ""
                self._start_call(digits, now)
        elif key is Key.END:
            if self.call_active:
                self._hang_up(now)
                return
            self._popup, self.alert = None, None
            self._ac_entry = False
            self._typed = ""
            self._show_idle()
            self._show_waiting()

    def _start_subscription(self, now: float) -> None:
        park = self._ac_park
        if park is not None and not self.may_access(park):
            self._ac_entry, self._typed = False, ""
            self.display = ["Subscription failed", "system not found"]
            return
        try:
            ac = sec.pin_to_ac(self._typed)
        except DectValueError:
            self.display = ["Subscribe", "AC: 1-8 digits"]
            self._typed = ""
            return
        self._ac_entry, self._typed = False, ""
        self.display = ["Subscribing..."]
        self._queue(_Job(Task.SUBSCRIBE, ac=ac))
        self._connect_if_needed(now)

    def _answer(self, confirmation: str, now: float) -> None:
        popup = self._popup
        assert popup is not None
        popup.answer = confirmation
        self._popup, self.alert = None, None
        self._show_idle()
        self._show_waiting()
        self._queue(_Job(Task.CONFIRM, message=popup, confirmation=confirmation))
        self._connect_if_needed(now)

    # -- display -------------------------------------------------------------------------------
    def _show_idle(self) -> None:
        if self.state is State.OFF:
            self.display = []
            return
        if self.call_active:  # the call owns the display
            return
        sub = self.subscription
        if self.rfpi is None:
            status = "Searching"
        elif sub is None:
            status = "No subscription"
        else:
            status = "Registered" if self._tpui_here(sub) is not None else "Subscribed"
        self.display = [status] + ([self._typed] if self._typed else [])

    def _show_typing(self) -> None:
        if self._ac_entry:
            self.display = ["Subscribe", "AC:" + "*" * len(self._typed)]
        else:
            self._show_idle()

    def _show_text(self, text: str) -> None:
        """MULTI-DISPLAY text with DECT control codes (clear, home, new line)."""
        lines = list(self.display)
        for part in text.split(cv.DISPLAY_CLEAR):
            if part is not text:
                lines = []
            body = part.replace(cv.DISPLAY_HOME, "").replace("\r", "")
            if body:
                lines += body.split("\n")
        self.display = lines

    # -- connections ---------------------------------------------------------------------------
    def _queue(self, job: _Job) -> None:
        if job.task is Task.PAGE_RESPONSE:
            self._jobs.appendleft(job)
        elif not any(j.task is job.task and job.task is Task.LOCATE for j in self._jobs):
            self._jobs.append(job)

    def _connect_if_needed(self, now: float) -> None:
        if self.state is State.CONNECTED:
            # A job started on a running connection goes out now, not at the next input.
            self._next_job(now)
            self._flush(now)
        elif self.state is State.LOCKED and self._jobs and self.rfp_id is not None:
            self._go("connect")
            self._dlc = DlcConnection(Side.PT, window=self.window)
            self._rx_lln = cv.LLN_DEFAULT
            self.undecodable = 0
            self._link_pmid = self.pmid
            self._out.append((self.rfp_id, AirConnect(self._link_pmid)))
            self._connect_deadline = now + CONNECT_SETUP_S

    def _connected(self, rfp_id: int, now: float) -> None:
        if self._handover_pending and rfp_id == self.rfp_id:
            self._handover_pending = False
            old, self._handover_from = self._handover_from, None
            if old is not None and old != rfp_id:
                self._out.append((old, AirRelease(self._link_pmid)))
            self._flush(now)
            return
        if self.state is not State.CONNECTING or rfp_id != self.rfp_id:
            return
        self._connect_deadline = None
        self._go("connected")
        sub = self.subscription
        if sub is not None and sub.keys.latest_default_index is not None:
            # Enhanced security: nothing leaves in clear; wait for ciphering with the DefCK.
            self._awaiting_early = True
            self._early_deadline = now + cv.CIPHER_TIMEOUT_S
        self._next_job(now)

    def _end_connection(self) -> None:
        self._dlc = None
        self._air_key = self._pending_key = None
        self._awaiting_early = self._handover_pending = False
        self._handover_from = None
        self._job = None
        self._allocation = self._ft_auth = None
        if self.call_active:
            self._call_over("LinkLost", TEXT_CALL_ENDED)
        self._call_releasing = False
        self._idle_deadline = self._job_deadline = self._early_deadline = None
        self._connect_deadline = None

    def _release(self, reason: str, now: float) -> None:
        """The PP ends the connection."""
        if self.rfp_id is not None and self.state in (State.CONNECTING, State.CONNECTED):
            normal = 1 if reason == "idle" else 2
            self._out.append((self.rfp_id, AirRelease(self._link_pmid, normal)))
        self._released(reason, now)

    def _released(self, reason: str, now: float) -> None:
        if self.state not in (State.CONNECTING, State.CONNECTED):
            return
        self._end_connection()
        self._go("released")
        self._events.append(ConnectionEnded(reason))
        if self._power_off_after:
            self._switch_off()
            return
        if reason != "released":  # give up what was asked; try again when the user asks
            self._jobs.clear()
        if self._next_lock is not None:
            # After the jobs are given up: locking to a new location area queues its
            # location registration, which goes at once.
            (rfp_id, rfpi, saris), self._next_lock = self._next_lock, None
            self.lock(rfp_id, rfpi, now, saris)
        if self.location is Location.LOCATING and not self._locate_queued():
            self._locate_lost(now)  # the handset tries that one again by itself
        self._connect_if_needed(now)  # what is still queued gets a new connection

    # -- location registration -------------------------------------------------------------
    def _start_locating(self, *, retry: bool = False) -> None:
        self._go_location("retry" if retry else "locate")
        if not retry:
            self._locate_failures = 0
        self._locate_retry_at = None
        self._queue(_Job(Task.LOCATE))

    def _locate_queued(self) -> bool:
        job = self._job
        return (job is not None and job.task is Task.LOCATE) or any(
            j.task is Task.LOCATE for j in self._jobs)

    def _locate_lost(self, now: float) -> None:
        """The attempt ended without LOCATE-ACCEPT or -REJECT: the next is due after a
        back-off (LOCATE_RETRY_FIRST_S)."""
        self._go_location("lost")
        self._locate_failures += 1
        fraction = int.from_bytes(self.random(2), "big") / 0xFFFF
        self._locate_retry_at = now + locate_retry_delay(self._locate_failures, fraction)

    def _retry_locating(self, now: float) -> None:
        self._locate_retry_at = None
        if self.subscription is None or self.rfp_id is None:
            self._stop_locating()
            return
        self._start_locating(retry=True)
        self._connect_if_needed(now)

    def _stop_locating(self) -> None:
        self._go_location("stop")
        self._locate_failures = 0
        self._locate_retry_at = None

    # -- jobs ----------------------------------------------------------------------------------
    def _next_job(self, now: float) -> None:
        if self._job is not None or self.state is not State.CONNECTED:
            return
        if not self._jobs:
            return
        self._job = self._jobs.popleft()
        self._job_deadline = now + 2 * cv.PROCEDURE_TIMEOUT_S
        self._idle_deadline = None
        task = self._job.task
        sub = self.subscription
        if task is Task.SUBSCRIBE:
            self._allocation = sec.PpKeyAllocation(self._job.ac, random=self.random)
            auth = AuthType(AuthAlgorithm.DSAA, AuthKeyType.AC, cv.UAK_NUMBER, 0)
            msg = mm.access_rights_request(
                Ipui.n(self.ipei),
                auth,
                terminal_capability=self._capability(),
                model_identifier=self._model_identifier(),
            )
            self._send(msg, cv.LLN_SUBSCRIPTION)
        elif sub is None or self.rfpi is None:
            if task is Task.LOCATE:
                self._stop_locating()
            self._job_done(now)
        elif task is Task.LOCATE:
            msg = mm.locate_request(
                sub.ipui,
                fixed_identity=self.rfpi,
                location_area=LocationArea(cv.LOCATION_AREA_LEVEL),
                terminal_capability=self._capability(),
                model_identifier=self._model_identifier(),
            )
            self._send(msg, cv.LLN_DEFAULT)
        elif task is Task.CALL:
            if self.call_state is not CallState.DIALLING:  # hung up before the link came
                self._job_done(now)
                return
            keypad = MultiKeypad(self._job.digits) if self._job.digits else None
            setup = cc.setup(sub.ipui, sub.park, keypad=keypad, ti=self._call_ti)
            self._send(setup, cv.LLN_DEFAULT)
        elif task is Task.CONFIRM:
            self._send(coms.setup(sub.ipui, sub.park, ti=self._coms_ti), cv.LLN_DEFAULT)
        elif task is Task.DETACH:
            self._detach_message = self._send(mm.detach(sub.ipui), cv.LLN_DEFAULT)
        elif task is Task.PAGE_RESPONSE:
            self._send(lce.page_response(sub.ipui, fixed_identity=sub.park), cv.LLN_DEFAULT)
            self._job_done(now)
        elif task is Task.AUTHENTICATE_FT:
            self._ft_auth = sec.PpFtAuthentication(sec.b1(sub.uak), random=self.random)
            rand_p = self._ft_auth.start()
            auth = AuthType(AuthAlgorithm.DSAA, AuthKeyType.UAK, cv.UAK_NUMBER, 0)
            self._send(mm.authentication_request(auth, rand_p), cv.LLN_DEFAULT)

    def _job_done(self, now: float) -> None:
        self._job = None
        self._job_deadline = None
        if self._jobs:
            self._next_job(now)

    # -- air input -----------------------------------------------------------------------------
    def receive(self, rfp_id: int, primitive: AirPrimitive, now: float) -> None:
        """One primitive from an RFP's radio."""
        if self.state is State.OFF:
            return
        if isinstance(primitive, AirPage):
            self._paged(primitive.id16, now)
            self._flush(now)
            return
        if primitive.pmid != self._link_pmid or rfp_id not in (self.rfp_id, self._handover_from):
            return
        if self.tap is not None and not isinstance(primitive, AirData):
            self.tap(False, rfp_id, primitive, None)
        if isinstance(primitive, AirConnected):
            self._connected(rfp_id, now)
        elif isinstance(primitive, AirData):
            if rfp_id == self.rfp_id:
                self._air_data(primitive, now)
        elif isinstance(primitive, AirCipherStart):
            if rfp_id == self.rfp_id:
                self._cipher_start(now)
        elif isinstance(primitive, AirRelease):
            if rfp_id == self.rfp_id:
                old = self._handover_from if self._handover_pending else None
                if old is not None and old != rfp_id:
                    # The new RFP refused the handover bearer (no channel free): the
                    # connection is given up on the old RFP too and its call is lost.
                    self._out.append((old, AirRelease(self._link_pmid, RELEASE_LINK_LOST)))
                self._released("released", now)
        self._flush(now)

    def _paged(self, id16: int, now: float) -> None:
        sub = self.subscription
        tpui = self._tpui_here(sub)
        if self.state is not State.LOCKED or tpui is None:
            return
        if tpui.value & 0xFFFF == id16:
            self._queue(_Job(Task.PAGE_RESPONSE))
            self._connect_if_needed(now)

    def _cipher_start(self, now: float) -> None:
        rekey = self._air_key is not None
        key = self._pending_key
        sub = self.subscription
        if key is None and sub is not None and sub.keys.latest_default_index is not None:
            key = sub.keys.default_key(sub.keys.latest_default_index)
        self._air_key, self._pending_key = key, None
        if self._awaiting_early:
            self._awaiting_early = False
            self._early_deadline = None
        self._events.append(Ciphered(rekey))

    def _air_data(self, frame: AirData, now: float) -> None:
        if self._dlc is None or self.state is not State.CONNECTED:
            return
        payload = frame.payload
        if frame.ciphered:
            if self._air_key is None:
                self._undecodable(now)
                return
            payload = cipher_frame(self._air_key, frame.mfn, frame.fn, payload, downlink=True)
        if self.tap is not None and self.rfp_id is not None:
            self.tap(False, self.rfp_id, frame, payload)
        try:
            self._dlc.receive(payload, now)
        except DectDecodeError:
            self._undecodable(now)
            return
        self.undecodable = 0
        self._process_dlc(now)

    def _undecodable(self, now: float) -> None:
        self.undecodable += 1
        if self.undecodable >= cv.UNDECODABLE_LIMIT:
            self.display = ["Connection lost"]
            self._release("undecodable frames", now)

    def _process_dlc(self, now: float) -> None:
        if self._dlc is None:
            return
        for event in self._dlc.events():
            if isinstance(event, NwkReceived):
                self._idle_deadline = None
                self._rx_lln = event.lln
                try:
                    msg = decode_message(event.nwk)
                except DectDecodeError:
                    self._undecodable(now)
                    return
                handler = _HANDLERS.get((msg.pd, msg.message_type))
                if handler is not None:
                    try:
                        handler(self, msg, now)
                    except DectValueError:
                        pass
            elif isinstance(event, NwkAcknowledged):
                if event.message_id == self._detach_message and self._job is not None:
                    self._detach_message = 0
                    self._release("idle", now)
                    return
            elif isinstance(event, LinkFailed):
                self._release("link failed", now)
                return
            if self._dlc is None:
                return
        if (
            self._job is None
            and not self._jobs
            and not self.call_active
            and self._dlc.idle
            and self._idle_deadline is None
        ):
            self._idle_deadline = now + IDLE_RELEASE_S

    # -- output --------------------------------------------------------------------------------
    def _send(self, msg: NwkMessage, lln: int | None = None) -> int:
        """Queue a message; on `lln`, else on the link the FP's last message came on."""
        assert self._dlc is not None
        self._idle_deadline = None
        return self._dlc.send(msg.encode(), self._rx_lln if lln is None else lln)

    def _flush(self, now: float) -> None:
        if self._dlc is None or self.rfp_id is None or self.state is not State.CONNECTED:
            return
        if self._awaiting_early or self._handover_pending:
            return
        for data in self._dlc.data_to_send(now):
            mfn, fn = self._clock.next(now)
            if self.tap is not None:
                self.tap(True, self.rfp_id,
                         AirData(self._link_pmid, data, mfn, fn, self._air_key is not None), data)
            if self._air_key is not None:
                data = cipher_frame(self._air_key, mfn, fn, data, downlink=False)
            ciphered = self._air_key is not None
            self._out.append((self.rfp_id, AirData(self._link_pmid, data, mfn, fn, ciphered)))

    def air_to_send(self) -> list[tuple[int, AirPrimitive]]:
        """(RFP id, primitive) pairs for the air, in order."""
        out, self._out = self._out, []
        if self.tap is not None:
            for rfp_id, primitive in out:
                if not isinstance(primitive, AirData):
                    self.tap(True, rfp_id, primitive, None)
        return out

    def next_event(self) -> HandsetEvent | None:
        return self._events.popleft() if self._events else None

    # -- timers --------------------------------------------------------------------------------
    def get_timer(self) -> float | None:
        dlc = self._dlc.get_timer() if self._dlc is not None else None
        deadlines = (
            dlc,
            self._idle_deadline,
            self._job_deadline,
            self._early_deadline,
            self._answer_at,
            self._locate_retry_at,
            self._connect_deadline,
        )
        return min((t for t in deadlines if t is not None), default=None)

    def handle_timer(self, now: float) -> None:
        if self._connect_deadline is not None and now >= self._connect_deadline:
            self._connect_deadline = None
            if self.state is State.CONNECTING:
                self._release("no answer to the connection setup", now)
        if self._dlc is not None:
            self._dlc.handle_timer(now)
            self._process_dlc(now)
        if self._answer_at is not None and now >= self._answer_at:
            self._answer_at = None
            if self.call_state is CallState.INCOMING and self._dlc is not None:
                self._answer_call(now)
        if self._early_deadline is not None and now >= self._early_deadline:
            self.display = ["Encryption failed"]
            self._release("early encryption failed", now)
        elif self._job_deadline is not None and now >= self._job_deadline:
            self._release("procedure timed out", now)
        elif self._idle_deadline is not None and now >= self._idle_deadline:
            self._release("idle", now)
        if self._locate_retry_at is not None and now >= self._locate_retry_at:
            self._retry_locating(now)
        self._flush(now)

    # -- NWK from the FP -----------------------------------------------------------------------
    def _on_key_allocate(self, msg: NwkMessage, now: float) -> None:
        if self._allocation is None:
            self._send(mm.authentication_reject(RejectReasonCode.AUTHENTICATION_KEY_NOT_SUPPORTED))
            return
        allocation = msg.require(AllocationType)
        challenge = sec.Challenge(rs=msg.require(Rs).value, rand_f=msg.require(Rand).value)
        answer = self._allocation.receive_challenge(challenge)
        assert answer.rand_p is not None
        auth = AuthType(AuthAlgorithm.DSAA, AuthKeyType.AC, allocation.ac_number, 0)
        request = mm.authentication_request(auth, answer.rand_p, res=answer.res1, ti_flag=True)
        self._send(request, cv.LLN_SUBSCRIPTION)

    def _on_authentication_reply(self, msg: NwkMessage, now: float) -> None:
        res = msg.require(Res).value
        rs = msg.find(Rs)
        if self._allocation is not None:
            try:
                self._new_uak = self._allocation.receive_reply(
                    sec.FtResponse(res, rs.value if rs is not None else None)
                )
            except sec.AuthenticationFailed:
                self._subscription_failed("FP not authenticated", now)
            return
        if self._ft_auth is not None:
            try:
                self._ft_auth.receive(sec.FtResponse(res, rs.value if rs is not None else None))
                ok = True
            except (sec.AuthenticationFailed, sec.ProtocolStateError):
                ok = False
            self._ft_auth = None
            self._events.append(FpAuthenticated(ok))
            if self._job is not None and self._job.task is Task.AUTHENTICATE_FT:
                self._job_done(now)
            if not ok:
                self.display = ["Base not authenticated"]
                self._release("FT authentication failed", now)

    def _on_access_rights_accept(self, msg: NwkMessage, now: float) -> None:
        if self._new_uak is None:
            return
        identity = msg.require(PortableIdentity).identity
        fixed = msg.require(FixedIdentity).identity
        if not isinstance(identity, Ipui) or not isinstance(fixed, Park):
            self._subscription_failed("unusable access rights", now)
            return
        self.subscriptions[str(fixed)] = Subscription(fixed, self._new_uak, identity)
        self._new_uak, self._allocation = None, None
        self._events.append(Subscribed(str(fixed)))
        self._show_idle()
        if self._job is not None and self._job.task is Task.SUBSCRIBE:
            self._job_done(now)
        self._start_locating()
        self._next_job(now)

    def _on_access_rights_reject(self, msg: NwkMessage, now: float) -> None:
        reason = msg.find(RejectReason)
        self._subscription_failed(_reason(reason), now)

    def _subscription_failed(self, reason: str, now: float) -> None:
        self._allocation = self._new_uak = None
        self.display = ["Subscription failed", reason]
        self._events.append(SubscriptionFailed(reason))
        if self._job is not None and self._job.task is Task.SUBSCRIBE:
            self._job_done(now)

    def _on_authentication_request(self, msg: NwkMessage, now: float) -> None:
        sub = self.subscription
        auth = msg.require(AuthType)
        if sub is None or auth.key_type != AuthKeyType.UAK:
            self._send(mm.authentication_reject(RejectReasonCode.AUTHENTICATION_KEY_NOT_SUPPORTED))
            return
        flow = sec.PpPtAuthentication(sec.b1(sub.uak), random=self.random)
        challenge = sec.Challenge(rs=msg.require(Rs).value, rand_f=msg.require(Rand).value)
        answer = flow.receive_challenge(challenge)
        index = auth.default_cipher_key_index if auth.default else None
        sub.keys.store(flow.dck, sec.KeyUse(auth.upc, auth.cipher_key_number, index))
        self._send(mm.authentication_reply(answer.res1))

    def _on_authentication_reject(self, msg: NwkMessage, now: float) -> None:
        self.display = ["Authentication failed"]

    def _on_cipher_request(self, msg: NwkMessage, now: float) -> None:
        info = msg.require(CipherInfo)
        sub = self.subscription
        if not info.enable:
            return
        try:
            if sub is None:
                raise sec.UnknownCipherKey("not subscribed")
            self._pending_key = sub.keys.dck(info.key_number)
        except sec.UnknownCipherKey:
            self._send(mm.cipher_reject(RejectReasonCode.CIPHER_KEY_NOT_SUPPORTED))

    def _on_locate_accept(self, msg: NwkMessage, now: float) -> None:
        sub = self.subscription
        identity = msg.find(PortableIdentity)
        self._go_location("accepted")
        self._locate_failures = 0
        if sub is not None and identity is not None and isinstance(identity.identity, Tpui):
            sub.tpui = identity.identity
            sub.tpui_ari = self.rfpi.ari if self.rfpi is not None else None
            self._events.append(Registered(sub.tpui.value))
        self._show_idle()
        if self._job is not None and self._job.task is Task.LOCATE:
            self._job_done(now)

    def _on_locate_reject(self, msg: NwkMessage, now: float) -> None:
        reason = _reason(msg.find(RejectReason))
        self._go_location("rejected")
        self._locate_failures = 0
        self._events.append(RegistrationFailed(reason))
        self.display = ["Not registered", reason]
        if self._job is not None and self._job.task is Task.LOCATE:
            self._job_done(now)

    # -- calls (EN 300 175-5 §9.3, PT side; docs/calls.md §1) ----------------------------------
    def _set_call(self, state: CallState, text: str | None = None) -> None:
        self.call_state = state
        if text is not None:
            self.display = [text]
            self._fp_text = False

    def _calling_text(self) -> str:
        return f"{TEXT_CALLING} {self._call_number}" if self._call_number else TEXT_CALLING

    def _setup_sent(self) -> bool:
        """The call's CC-SETUP went (or came): messages of the call can go."""
        if not self._call_ours:
            return True
        return self._job is not None and self._job.task is Task.CALL

    def _overlap_waiting(self) -> bool:
        """Dialling without a number before the FP's SETUP-ACK: digits wait (§9.3.1.3)."""
        return self.call_state is CallState.DIALLING and not self._overlap_open

    def _is_call_message(self, msg: NwkMessage) -> bool:
        """From the FP in this call's transaction: same value, the flag the other end sets."""
        live = self.call_active or self._call_releasing
        return live and msg.ti == self._call_ti and msg.ti_flag == self._call_ours

    def _no_network(self) -> CallNotPossible | None:
        """Why no call can be placed now (no system to place it on), else None."""
        if self.rfpi is None:
            return CallNotPossible("OutOfRange", TEXT_OUT_OF_RANGE, "the handset hears no RFP")
        if self.subscription is None:
            return CallNotPossible("NotSubscribed", TEXT_NOT_SUBSCRIBED,
                                   "the handset is not subscribed to the system it hears")
        return None

    def _start_call(self, digits: str, now: float) -> None:
        refused = self._no_network()
        if refused is not None:  # off-hook and on-hook again at once: nothing to call on
            self._call_over(refused.reason, refused.text)
            return
        self._call_ti, self._call_ours = 0, True
        self._call_number, self._overlap_keys = digits, ""
        self._call_releasing = self._answer_sent = self._overlap_open = False
        self._set_call(CallState.DIALLING, self._calling_text())
        self._queue(_Job(Task.CALL, digits=digits))
        self._connect_if_needed(now)

    def _call_key(self, key: str, now: float) -> None:
        """A dial key during a call: overlap digit while dialling, else DTMF (CC-INFO)."""
        if self.call_state is CallState.DIALLING:
            self._call_number += key
            self.display = [self._calling_text()]
        if not self._setup_sent() or self._overlap_waiting():
            self._overlap_keys += key
            return
        self._send(cc.info(keypad=key, ti=self._call_ti, ti_flag=not self._call_ours))
        self._flush(now)

    def _answer_call(self, now: float) -> None:
        if self._answer_sent:
            return
        self._answer_sent, self._answer_at = True, None
        self._send(cc.connect(ti=self._call_ti, ti_flag=True))
        self._flush(now)

    def _hang_up(self, now: float) -> None:
        if self.call_state is CallState.INCOMING and not self._answer_sent:
            reason = ReleaseReasonCode.USER_REJECTION
            self._send(cc.release_com(reason, ti=self._call_ti, ti_flag=True))
            self._finish_call("Rejected", TEXT_CALL_ENDED, now)
        elif not self._setup_sent():  # the connection for it is not up yet
            self._jobs = deque(j for j in self._jobs if j.task is not Task.CALL)
            self._finish_call("HungUp", TEXT_CALL_ENDED, now)
        else:
            reason = ReleaseReasonCode.NORMAL
            self._send(cc.release(reason, ti=self._call_ti, ti_flag=not self._call_ours))
            self._call_releasing = True
            self._finish_call("HungUp", TEXT_CALL_ENDED, now)
        self._flush(now)

    def _call_over(self, reason: str, text: str) -> None:
        """The call ended: state, display (unless the FP just wrote there), event."""
        self.call_state = CallState.IDLE
        self._answer_at, self._answer_sent, self._overlap_keys = None, False, ""
        if not self._fp_text:
            self.display = [text]
        self._fp_text = False
        self._events.append(CallEnded(reason))
        if self._popup is None:
            self._show_waiting()

    def _finish_call(self, reason: str, text: str, now: float) -> None:
        self._call_over(reason, text)
        if self._job is not None and self._job.task is Task.CALL:
            self._job_done(now)

    def _on_cc_setup(self, msg: NwkMessage, now: float) -> None:
        """The FP offers a call."""
        if msg.ti_flag:
            return
        if self.call_active or self._call_releasing:
            self._send(cc.release_com(ReleaseReasonCode.USER_BUSY, ti=msg.ti, ti_flag=True))
            return
        number_ie, name_ie = msg.find(CallingPartyNumber), msg.find(CallingPartyName)
        number = number_ie.number if number_ie is not None else ""
        name = name_ie.name if name_ie is not None else ""
        self._call_ti, self._call_ours, self._call_number = msg.ti, False, number
        self._answer_sent = False
        text = " ".join(part for part in (TEXT_CALL_FROM, number, name) if part)
        self._set_call(CallState.INCOMING, text)
        self._send(cc.alerting(ti=msg.ti, ti_flag=True))
        self._events.append(CallIncoming(number, name))
        if self.auto_answer is not None:
            self._answer_at = now + self.auto_answer

    def _on_call_progress(self, msg: NwkMessage, now: float) -> None:
        """SETUP-ACK, CALL-PROC, ALERTING, CONNECT, CONNECT-ACK (CALL_ACCEPTS)."""
        kind = msg.message_type
        if not self._is_call_message(msg) or self.call_state not in CALL_ACCEPTS[kind]:
            return
        if self._job is not None and self._job.task is Task.CALL:
            self._job_deadline = None  # the call stands; it may last
        if kind == CcMessageType.CC_SETUP_ACK:
            self._overlap_open = True
            if self._overlap_keys:  # typed before the FP asked for them
                keys, self._overlap_keys = self._overlap_keys, ""
                self._send(cc.info(keypad=keys, ti=self._call_ti))
        elif kind == CcMessageType.CC_CALL_PROC:
            self._set_call(CallState.PROCEEDING, self._calling_text())
        elif kind == CcMessageType.CC_ALERTING:
            self._set_call(CallState.RINGBACK, TEXT_RINGING)
        elif kind == CcMessageType.CC_CONNECT or (
            kind == CcMessageType.CC_CONNECT_ACK and self._answer_sent
        ):
            self._set_call(CallState.CONNECTED, TEXT_CONNECTED)
            self._events.append(CallConnected())

    def _on_cc_info(self, msg: NwkMessage, now: float) -> None:
        display = msg.find(MultiDisplay)
        if display is not None:
            self._show_text(display.text)
            self._fp_text = self.call_active

    def _on_cc_release(self, msg: NwkMessage, now: float) -> None:
        ours = self._is_call_message(msg)
        display = msg.find(MultiDisplay)
        if display is not None and ours:
            self._show_text(display.text)
            self._fp_text = True
        self._send(cc.release_com(ReleaseReasonCode.NORMAL, ti=msg.ti, ti_flag=not msg.ti_flag))
        if not ours:
            return
        self._call_releasing = False
        if self.call_active:
            self._ended_by_fp(msg, now)

    def _on_cc_release_com(self, msg: NwkMessage, now: float) -> None:
        if not self._is_call_message(msg):
            return
        if self._call_releasing:
            self._call_releasing = False
        elif self.call_active:
            self._ended_by_fp(msg, now)

    def _ended_by_fp(self, msg: NwkMessage, now: float) -> None:
        code = msg.find(ReleaseReason)
        reason = cv.call_end_reason(code.code if code is not None else None)
        self._finish_call(reason, TEXT_BUSY if reason == "Busy" else TEXT_CALL_ENDED, now)

    def _on_page_reject(self, msg: NwkMessage, now: float) -> None:
        self._release("page rejected", now)

    def _on_coms(self, msg: NwkMessage, now: float) -> None:
        kind = msg.message_type
        if not msg.ti_flag:  # the FP's transaction: a message arrives
            if kind == ComsMessageType.COMS_SETUP:
                self._send(coms.connect(ti=msg.ti))
            elif kind == ComsMessageType.COMS_INFO:
                iwu = msg.find(IwuToIwu)
                asked = cv.parse_position_request_iwu(iwu) if iwu is not None else None
                if asked is not None:
                    self._send(coms.ack(cv.position_report_iwu(self._position(asked)),
                                        ti=msg.ti))
                    return
                body = cv.parse_message_iwu(iwu) if iwu is not None else None
                if body is not None:
                    self._receive_message(body)
                self._send(coms.ack(ti=msg.ti))
            elif kind == ComsMessageType.COMS_RELEASE:
                self._send(coms.release_com(ReleaseReasonCode.NORMAL, ti=msg.ti))
            return
        job = self._job
        if job is None or job.task is not Task.CONFIRM or job.message is None:
            return
        if kind == ComsMessageType.COMS_CONNECT:
            iwu = cv.confirmation_iwu(job.message.message_id, job.confirmation)
            self._send(coms.info(iwu, ti=self._coms_ti))
        elif kind == ComsMessageType.COMS_ACK:
            self._send(coms.release(ReleaseReasonCode.NORMAL, ti=self._coms_ti))
        elif kind in (ComsMessageType.COMS_RELEASE_COM, ComsMessageType.COMS_RELEASE):
            if kind == ComsMessageType.COMS_RELEASE:
                self._send(coms.release_com(ReleaseReasonCode.NORMAL, ti=self._coms_ti))
            self._job_done(now)

    def _position(self, request_id: int) -> cv.PositionReport:
        """What the radio hears, as a POSITION_REPORT answering `request_id`."""
        heard = tuple((rpn, round(dbm)) for rpn, dbm in self.hearing())
        return cv.PositionReport(request_id, heard[:cv.POSITION_MAX_RFPS])

    def _receive_message(self, body: cv.MessageBody) -> None:
        """A message arrived: it takes the display unless a higher one is shown there or a
        call owns it and it may not intrude (dect.conventions.MESSAGE_PRIORITY_RANK)."""
        message = ReceivedMessage(body.message_id, body.title, body.text, body.confirmations,
                                  priority=body.priority)
        self.messages.append(message)
        rank = cv.MESSAGE_PRIORITY_RANK
        shown = self._popup is None or rank[message.priority] >= rank[self._popup.priority]
        if self.call_active and message.priority not in cv.MESSAGE_INTRUDES_CALL:
            shown = False
        if not shown:
            self._waiting.append(message)
        else:
            if self._popup is not None:
                self._waiting.append(self._popup)
            self._pop_up(message)
        self._events.append(MessageReceived(body.message_id, shown))

    def _pop_up(self, message: ReceivedMessage) -> None:
        self._popup = message
        self.alert = message.priority if message.priority in cv.MESSAGE_INTRUDES_CALL else None
        options = " ".join(f"{i}:{c}" for i, c in enumerate(message.confirmations, start=1))
        self.display = [message.title, message.text] + ([options] if options else [])

    def _show_waiting(self) -> None:
        """The display is free: the highest waiting message (the newest of equals) shows."""
        if not self._waiting or self.state is State.OFF or self.call_active:
            return
        rank = cv.MESSAGE_PRIORITY_RANK
        best = max(reversed(self._waiting), key=lambda m: rank[m.priority])
        self._waiting.remove(best)
        self._pop_up(best)


def _reason(reject: RejectReason | None) -> str:
    if reject is None:
        return "rejected"
    if reject.code in RejectReasonCode._value2member_map_:
        return RejectReasonCode(reject.code).name.replace("_", " ").lower()
    return f"reason {reject.code:#04x}"


_Handler = Callable[[Handset, NwkMessage, float], None]

#: What the handset does with each message from the FP; anything else is ignored.
_HANDLERS: dict[tuple[ProtocolDiscriminator, int], _Handler] = {
    (PD.MM, MmMessageType.KEY_ALLOCATE): Handset._on_key_allocate,
    (PD.MM, MmMessageType.AUTHENTICATION_REPLY): Handset._on_authentication_reply,
    (PD.MM, MmMessageType.AUTHENTICATION_REQUEST): Handset._on_authentication_request,
    (PD.MM, MmMessageType.AUTHENTICATION_REJECT): Handset._on_authentication_reject,
    (PD.MM, MmMessageType.ACCESS_RIGHTS_ACCEPT): Handset._on_access_rights_accept,
    (PD.MM, MmMessageType.ACCESS_RIGHTS_REJECT): Handset._on_access_rights_reject,
    (PD.MM, MmMessageType.CIPHER_REQUEST): Handset._on_cipher_request,
    (PD.MM, MmMessageType.LOCATE_ACCEPT): Handset._on_locate_accept,
    (PD.MM, MmMessageType.LOCATE_REJECT): Handset._on_locate_reject,
    (PD.CC, CcMessageType.CC_SETUP): Handset._on_cc_setup,
    (PD.CC, CcMessageType.CC_SETUP_ACK): Handset._on_call_progress,
    (PD.CC, CcMessageType.CC_CALL_PROC): Handset._on_call_progress,
    (PD.CC, CcMessageType.CC_ALERTING): Handset._on_call_progress,
    (PD.CC, CcMessageType.CC_CONNECT): Handset._on_call_progress,
    (PD.CC, CcMessageType.CC_CONNECT_ACK): Handset._on_call_progress,
    (PD.CC, CcMessageType.CC_INFO): Handset._on_cc_info,
    (PD.CC, CcMessageType.CC_RELEASE): Handset._on_cc_release,
    (PD.CC, CcMessageType.CC_RELEASE_COM): Handset._on_cc_release_com,
    (PD.LCE, LceMessageType.LCE_PAGE_REJECT): Handset._on_page_reject,
    **{(PD.COMS, int(t)): Handset._on_coms for t in ComsMessageType},
}
