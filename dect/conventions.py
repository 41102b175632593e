"""Choices the emulator makes where the real SIP-DECT product is not documented.

features.md §2.6/§2.8, dect-security.md §4.7 and omm-rfp.md §6 leave these open. Each constant
says in one line whether it is observed (a capture in the specs) or invented, and why. The OMM's
fixed part (omm.dect) and the virtual handset (sim.handset) both import this module, so the two
ends agree; change a convention here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from dect.identities import Ipei, Ipui, Park, Tpui, TpuiKind
from dect.nwk.ie import IwuToIwu
from dect.nwk.proprietary import (
    DISPLAY_FLAGS_USUAL,
    DeTeWeContent,
    DeTeWeElement,
    DeTeWeRaw,
    Display,
    Emc,
    SendText,
)
from dect.nwk.tables import ReleaseReasonCode

# --- identities -------------------------------------------------------------------------------

DEFAULT_PARK: Final = Park.parse("1F10DEC700")
"""Invented: the PARK when the OMM's "PARK" setting is empty (the real one comes with a licence)."""


def default_park(index: int) -> Park:
    """Invented: the PARK of the index-th OMM of an emulated system that sets none (0 is
    DEFAULT_PARK): distinct installations need distinct PARKs, so that a handset subscribed to
    one never locks to the other's RFPs; a real PARK comes with each installation's licence."""
    ari = DEFAULT_PARK.ari
    step = 1 << (ari.bits - DEFAULT_PARK.pli)
    return Park(type(ari).from_int(ari.to_int() + index * step, ari.bits), DEFAULT_PARK.pli)


def assigned_ipui(ipei: Ipei) -> Ipui:
    """Observed (omm-rfp.md §6.1, V40/V46): the OMM assigns IPUI-O = EMC||PSN in 44 bits."""
    return Ipui.o_from_ipei(ipei)


def assigned_tpui(ppn: int) -> Tpui:
    """Observed (omm-rfp.md §6.1, V40/V95): TPUI = PPN, which then is the PMID and page id too."""
    return Tpui(ppn)


def arbitrary_pmid(ipei: Ipei) -> int:
    """Invented detail: before a TPUI is assigned a PP uses 1110 + the IPEI's low 16 bits as PMID
    (EN 300 175-6 allows any 16 bits there; deterministic makes runs repeatable)."""
    return 0xE0000 | ipei.to_int() & 0xFFFF


LOCATION_AREA_LEVEL: Final = 31
"""Observed (V53): Mitel PPs send LOCATION-AREA level 31; the OMM echoes it in LOCATE-ACCEPT."""

# --- handset models (AXI hwType) --------------------------------------------------------------

MODEL_MANIC: Final = int(Emc.DETEWE)
"""Observed (V43): Mitel handsets send MODEL-IDENTIFIER with EMC 0x0031."""
MODIC_BY_HW_TYPE: Final[dict[str, int]] = {
    "142d": 0x30,
    "610d": 0x31,
    "620d": 0x32,
    "630d": 0x33,
    "612d": 0x34,
    "622d": 0x41,
    "632d": 0x36,
    "650c": 0x37,
}
"""Invented except 0x41 (V43 shows MODIC 65 from some Mitel PP): AXI hwType <-> MODIC."""
HW_TYPE_BY_MODIC: Final = {v: k for k, v in MODIC_BY_HW_TYPE.items()}
HW_TYPE_UNKNOWN: Final = "Unknown"
HW_TYPE_GAP: Final = "GAP"
"""A PP that sends no Mitel MODEL-IDENTIFIER is recorded as a GAP handset."""

# --- links -------------------------------------------------------------------------------------

LLN_SUBSCRIPTION: Final = 1
"""Observed (V43, V45, V81, V75): subscription runs on the class A link, LLN 1."""
LLN_DEFAULT: Final = 2
"""Observed (V29, V49, V53): location, calls and page responses use class B link LLN 2."""

# --- keys and ciphering --------------------------------------------------------------------------

UAK_NUMBER: Final = 8
"""Annex K: UAK and AC number 8, the "IPUI/PARK, #0" key; Mitel PPs send it too (V43)."""
CIPHER_KEY_NUMBER: Final = 8
"""Annex K / V37: the DCK is stored under cipher key number 8 (UPC set)."""
MAC_KEY_ID: Final = 1
"""Observed (MAC_ENC_KEY_REQ sample, V93): the key id is 1."""
HO_KEY_ID_NONE: Final = 0xFF
"""Observed (V91): HO_IN_PROGRESS_RES of an unencrypted connection: zero key, id 0xff."""


def default_cipher_key_index(ppn: int) -> int:
    """Invented: the DefCK index must be unique in the system (§4.6); the PPN is."""
    return ppn & 0xFFFF


SECURITY_SETTINGS: Final = "DECTSecurity"
"""Invented settings group for two OMP switches AXI does not expose (features.md §2.6)."""
AUTH_BEFORE_CIPHER: Final = "authBeforeCipher"
"""OMP "Authentication before ciphering"; seed 000: default OFF (cipher first)."""
ENHANCED_SECURITY: Final = "enhancedSecurity"
"""OMP "Enhanced DECT security" (per site in the product, all or none); default OFF."""
NEW_DCK_IN_CALL: Final = False
"""Seed 000: the DCK of the in-call authentication is for the *next* connection; set True to
re-key the running connection with it at once."""
REKEY_INTERVAL_S: Final = 60.0
"""Seed 000: under enhanced security the cipher key of an active link changes every minute."""

# --- feature access codes (AXI FACFeatureType) -------------------------------------------------

FAC_PREFIX: Final = "***"
"""Invented: the factory FAC prefix is not in the sources."""
FAC_CODES: Final[dict[str, str]] = {
    "ActivateSubscription": "1",
    "ActivateWildcard": "2",
    "DeactivateSubscription": "3",
    "UserLogin": "4",
    "UserLogout": "5",
    "SystemCredentialPasswd": "6",
}
"""Invented factory codes, dialled after FAC_PREFIX."""
LOGIN_ID_FIELD: Final = "addId"
"""Inferred: with PPLoginVariant "ID" a user logs in with this AXI PPUserType field, not `num`."""
LOGIN_SEPARATOR: Final = "#"
"""Invented: ends the user number (or login ID) before the PIN in a UserLogin dial string."""


def feature_code(feature: str) -> str:
    """What a user dials for a feature, e.g. "***4"."""
    return FAC_PREFIX + FAC_CODES[feature]


def login_digits(number: str, pin: str) -> str:
    """The UserLogin dial string: FAC, user number (or ID), separator, PIN."""
    return f"{feature_code('UserLogin')}{number}{LOGIN_SEPARATOR}{pin}"


def logout_digits() -> str:
    return feature_code("UserLogout")


TEXT_LOGIN_FAILED: Final = "Login failed"
"""Observed (V35): CC-INFO with MULTI-DISPLAY "\\x0cLogin failed\\x02" after a failed login."""
TEXT_LOGGED_IN: Final = "Logged in"
"""Invented counterpart of the observed failure text."""
TEXT_LOGGED_OUT: Final = "Logged out"
"""English of the observed DeTeWe display "Abgemeldet" (D6)."""
DISPLAY_CLEAR: Final = "\x0c"
"""DECT control code "clear display and home" that opens the observed texts."""
DISPLAY_HOME: Final = "\x02"
"""DECT control code "return home" that closes them."""

# --- text messages (features.md §2.8; AXI SendMessage) -------------------------------------------
#
# Carriage (invented; the real one is not in any capture): one COMS transaction per message.
# FP -> PP COMS-SETUP, PP COMS-CONNECT, FP COMS-INFO with IWU-TO-IWU (user specific, EMC 0x0031)
# holding a DeTeWe Display element (title, text) and a MESSAGE_REFERENCE element, PP COMS-ACK
# (= AXI "Delivered"), FP COMS-RELEASE, PP COMS-RELEASE-COM. A confirmation goes back the same
# way from the PP: COMS-INFO with MESSAGE_REFERENCE and a DeTeWe SendText holding the
# AXI MessageConfirmType name, acknowledged by COMS-ACK. AXI PPTransaction has ComsEstablish
# and ComsRelease, which makes COMS the likeliest carrier.

MESSAGE_EMC: Final = int(Emc.DETEWE)
MESSAGE_DISPLAY_TYPE: Final = 0xB3
"""DeTeWe display type "scrollable" (observed in D14) for a message body."""
MESSAGE_DISPLAY_FLAGS: Final = DISPLAY_FLAGS_USUAL
MESSAGE_REFERENCE: Final = 0x7E
"""Invented DeTeWe element type (not among the types seen): u32 BE message id, then one
octet per requested confirmation (index + 1 in MESSAGE_CONFIRMATIONS)."""
MESSAGE_CONFIRMATIONS: Final = (
    "ReadYes",
    "ReadNo",
    "OrderOk",
    "OrderNok",
    "OrderDontKnow",
    "CompleteDone",
    "CompleteNotDone",
    "CompleteFailed",
)
"""AXI MessageConfirmType, in the schema's order."""
MESSAGE_PRIORITY: Final = 0x7D
"""Invented DeTeWe element type: one octet, the message's index in MESSAGE_PRIORITIES. Absent
(the OMMs before priorities reached the handset): DEFAULT_MESSAGE_PRIORITY."""
MESSAGE_PRIORITIES: Final = ("Info", "Low", "Normal", "High", "Emergency", "LocatingAlert")
"""AXI MessagePriorityType, in the schema's order."""
DEFAULT_MESSAGE_PRIORITY: Final = "Normal"
"""The schema's default priority."""
MESSAGE_PRIORITY_RANK: Final[dict[str, int]] = {
    "Info": 0, "Low": 1, "Normal": 2, "High": 3, "Emergency": 4, "LocatingAlert": 4}
"""Decided (the schema orders the values, the handset manuals are not public): a message takes
the display from an unanswered one of lower rank and waits behind one of higher rank; equal
ranks: the newer one shows (as before priorities). LocatingAlert is an emergency with a
position, so it ranks with Emergency."""
MESSAGE_INTRUDES_CALL: Final = frozenset({"Emergency", "LocatingAlert"})
"""Decided: these priorities show and ring during a call; others wait until it ended."""


@dataclass(frozen=True, slots=True)
class MessageBody:
    """A text message as the COMS-INFO to the PP carries it."""

    message_id: int
    """The OMM's message id (u32)."""
    title: str
    """First display string: the sender's name or number."""
    text: str
    """Second display string: the message."""
    confirmations: tuple[str, ...] = ()
    """AXI confirmReq values the sender asks for, in order (at most 3)."""
    priority: str = DEFAULT_MESSAGE_PRIORITY
    """AXI MessagePriorityType."""


def _reference(message_id: int, confirmations: tuple[str, ...] = ()) -> DeTeWeRaw:
    codes = bytes(MESSAGE_CONFIRMATIONS.index(c) + 1 for c in confirmations)
    return DeTeWeRaw(MESSAGE_REFERENCE, message_id.to_bytes(4, "big") + codes)


def _elements(ie: IwuToIwu) -> tuple[DeTeWeElement, ...]:
    decoded = ie.proprietary
    if decoded is None or decoded[0] != MESSAGE_EMC or not isinstance(decoded[1], DeTeWeContent):
        return ()
    return decoded[1].elements


def _parse_reference(elements: tuple[DeTeWeElement, ...]) -> tuple[int, tuple[str, ...]] | None:
    for e in elements:
        if isinstance(e, DeTeWeRaw) and e.raw_type == MESSAGE_REFERENCE and len(e.data) >= 4:
            codes = e.data[4:]
            if not all(1 <= c <= len(MESSAGE_CONFIRMATIONS) for c in codes):
                return None
            names = tuple(MESSAGE_CONFIRMATIONS[c - 1] for c in codes)
            return int.from_bytes(e.data[:4], "big"), names
    return None


def message_iwu(body: MessageBody) -> IwuToIwu:
    """The IWU-TO-IWU element of the COMS-INFO that delivers a message."""
    display = Display(MESSAGE_DISPLAY_TYPE, (body.title, body.text), MESSAGE_DISPLAY_FLAGS)
    elements: tuple[DeTeWeElement, ...] = (
        display, _reference(body.message_id, body.confirmations))
    if body.priority != DEFAULT_MESSAGE_PRIORITY:
        index = MESSAGE_PRIORITIES.index(body.priority)
        elements += (DeTeWeRaw(MESSAGE_PRIORITY, bytes([index])),)
    return IwuToIwu.user_specific(MESSAGE_EMC, DeTeWeContent(elements))


def _parse_priority(elements: tuple[DeTeWeElement, ...]) -> str | None:
    """The priority element's value; the default when there is none; None when unknown."""
    for e in elements:
        if isinstance(e, DeTeWeRaw) and e.raw_type == MESSAGE_PRIORITY:
            if len(e.data) != 1 or e.data[0] >= len(MESSAGE_PRIORITIES):
                return None
            return MESSAGE_PRIORITIES[e.data[0]]
    return DEFAULT_MESSAGE_PRIORITY


def parse_message_iwu(ie: IwuToIwu) -> MessageBody | None:
    """The message in a delivering COMS-INFO's element, or None if it is not one."""
    elements = _elements(ie)
    reference = _parse_reference(elements)
    display = next((e for e in elements if isinstance(e, Display)), None)
    priority = _parse_priority(elements)
    if reference is None or display is None or len(display.texts) != 2 or priority is None:
        return None
    return MessageBody(reference[0], display.texts[0], display.texts[1], reference[1], priority)


def confirmation_iwu(message_id: int, confirmation: str) -> IwuToIwu:
    """The IWU-TO-IWU element of the COMS-INFO that carries a user's confirmation."""
    content = DeTeWeContent((_reference(message_id), SendText(confirmation)))
    return IwuToIwu.user_specific(MESSAGE_EMC, content)


def parse_confirmation_iwu(ie: IwuToIwu) -> tuple[int, str] | None:
    """(message id, MessageConfirmType) from a confirming COMS-INFO's element, or None."""
    elements = _elements(ie)
    reference = _parse_reference(elements)
    sent = next((e for e in elements if isinstance(e, SendText)), None)
    if reference is None or sent is None or sent.text not in MESSAGE_CONFIRMATIONS:
        return None
    return reference[0], sent.text


# --- locating (features.md §2.8; AXI RequestPositionInfo, EventPositionInfo) ---------------------
#
# Carriage (invented; no capture shows how a real OMM asks a handset where it is): as a text
# message, one COMS transaction. FP -> PP COMS-SETUP, PP COMS-CONNECT, FP COMS-INFO with
# IWU-TO-IWU (EMC 0x0031) holding a POSITION_REQUEST element, PP COMS-ACK holding a
# POSITION_REPORT element: the RFPs the handset hears, by the RPN of their RFPI, with the level
# it receives each at. FP COMS-RELEASE, PP COMS-RELEASE-COM. The OMM turns RPNs into RFP ids.

POSITION_REQUEST: Final = 0x7C
"""Invented DeTeWe element type: u32 BE request id."""
POSITION_REPORT: Final = 0x7B
"""Invented DeTeWe element type: u32 BE request id, one octet count, then per RFP heard one
octet RPN and one octet level as positive -dBm (as the RFPs' SYNC reports carry it)."""
POSITION_MAX_RFPS: Final = 16
"""Invented: a report names at most this many RFPs, the strongest first."""


@dataclass(frozen=True, slots=True)
class PositionReport:
    """What a handset hears, as its POSITION_REPORT carries it."""

    request_id: int
    """The POSITION_REQUEST's id (u32)."""
    heard: tuple[tuple[int, int], ...] = ()
    """(RPN, level in dBm, 0 to -255) per RFP heard, strongest first."""


def _locating_iwu(element: DeTeWeElement) -> IwuToIwu:
    return IwuToIwu.user_specific(MESSAGE_EMC, DeTeWeContent((element,)))


def _raw(ie: IwuToIwu, raw_type: int) -> bytes | None:
    return next((e.data for e in _elements(ie)
                 if isinstance(e, DeTeWeRaw) and e.raw_type == raw_type), None)


def position_request_iwu(request_id: int) -> IwuToIwu:
    """The IWU-TO-IWU element of the COMS-INFO that asks a handset what it hears."""
    return _locating_iwu(DeTeWeRaw(POSITION_REQUEST, request_id.to_bytes(4, "big")))


def parse_position_request_iwu(ie: IwuToIwu) -> int | None:
    """The request id of a POSITION_REQUEST, or None if the element is none."""
    data = _raw(ie, POSITION_REQUEST)
    return int.from_bytes(data, "big") if data is not None and len(data) == 4 else None


def position_report_iwu(report: PositionReport) -> IwuToIwu:
    """The IWU-TO-IWU element of the COMS-ACK that answers a POSITION_REQUEST."""
    heard = report.heard[:POSITION_MAX_RFPS]
    out = bytearray(report.request_id.to_bytes(4, "big"))
    out.append(len(heard))
    for rpn, level in heard:
        out += bytes([rpn & 0xFF, max(0, min(255, -level))])
    return _locating_iwu(DeTeWeRaw(POSITION_REPORT, bytes(out)))


def parse_position_report_iwu(ie: IwuToIwu) -> PositionReport | None:
    """The report in a COMS-ACK's element, or None if it is none or its length is wrong."""
    data = _raw(ie, POSITION_REPORT)
    if data is None or len(data) < 5 or len(data) != 5 + 2 * data[4]:
        return None
    heard = tuple((data[i], -data[i + 1]) for i in range(5, len(data), 2))
    return PositionReport(int.from_bytes(data[:4], "big"), heard)


# --- calls (EN 300 175-5 CC; docs/calls.md §1) --------------------------------------------------

DIAL_END: Final = "#"
"""Invented: '#' ends an overlap-dialled number (it is not part of it); the inter-digit timeout
ends it too. Feature codes use '#' inside (LOGIN_SEPARATOR), so there only the timeout ends."""
FP_CALL_TI: Final = 0
"""Invented: the FP's own CC transactions (incoming calls) use transaction value 0; the TI flag
keeps them apart from the PP's transaction 0."""
CALL_END_REASONS: Final[dict[int, str]] = {
    ReleaseReasonCode.NORMAL: "Normal",
    ReleaseReasonCode.USER_BUSY: "Busy",
    ReleaseReasonCode.USER_REJECTION: "Rejected",
    ReleaseReasonCode.USER_NOT_IN_RANGE: "NotReachable",
    ReleaseReasonCode.USER_DETACHED: "NotReachable",
}
"""Release reasons and the words CallReleased / the handset's CallEnded use for them; any other
reason is "Failed". LinkLost (the MAC connection went) has no release reason."""


def call_end_reason(code: int | None) -> str:
    """CallReleased / CallEnded wording of a RELEASE-REASON (None: no element = normal)."""
    return "Normal" if code is None else CALL_END_REASONS.get(code, "Failed")


# --- timers (virtual seconds) ------------------------------------------------------------------

LINK_RELEASE_S: Final = 5.0
"""Invented (order of EN 300 175-5 <LCE.01>): an idle link is released this long after its last
transaction ended."""
PROCEDURE_TIMEOUT_S: Final = 10.0
"""Invented (order of the MM/CC timers): an unanswered procedure step fails after this."""
CIPHER_TIMEOUT_S: Final = 3.0
"""Invented: MAC_ENC_EKS_IND must follow MAC_ENC_KEY_REQ within this, else the link goes."""
PAGE_TIMEOUT_S: Final = 3.0
"""Invented (order of <LCE.03>): wait this long for a PAGE-RESPONSE before paging again."""
PAGE_ATTEMPTS: Final = 3
"""Invented: pages before a message is reported PagingTimeout."""
UNDECODABLE_LIMIT: Final = 3
"""Invented: frames that do not decode (wrong cipher key) before a side drops the connection."""
INTER_DIGIT_S: Final = 4.0
"""Invented (order of EN 300 175-5 <CC.04>): overlap dialling ends this long after a digit."""
FIRST_DIGIT_S: Final = 20.0
"""Invented: a PP off-hook without dialling anything is released after this (timer expiry)."""

LOG_SUBSYSTEM: Final = "DECT"
"""Event log subsystem name for the fixed part's entries."""


def ppn_from_pmid(pmid: int) -> int | None:
    """The device a PMID stands for when it is an assigned TPUI (see `assigned_tpui`)."""
    if not 0 < pmid < 1 << 20 or Tpui(pmid).kind is not TpuiKind.ASSIGNED_INDIVIDUAL:
        return None
    return pmid


def page_id(ppn: int) -> int:
    """MAC_PAGE_REQ id: the low 16 bits of the TPUI (omm-rfp.md §4.9, V95)."""
    return assigned_tpui(ppn).value & 0xFFFF
