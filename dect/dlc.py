"""The DECT DLC C-plane as SIP-DECT carries it: frame codec and the LAPC link procedures.

ETSI EN 300 175-4 §7 (address, control and length indicator fields) and §9 (LAPC class A
and class B operation), as omm-rfp.md §4.9 describes the frames inside LC_DATA_REQ/IND.
Sans-I/O: `DlcConnection` is fed frame octets and `now`, and hands out frames to send,
events and its next timer deadline. The 0xF0 fill after a frame belongs to whoever
frames it (LC_DATA, the air); `decode_frame` tolerates it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Final

from dect.errors import DectDecodeError, DectValueError

# --- constants (EN 300 175-4 §7.3, §7.11, §7.12; omm-rfp.md §4.9) --------------------------

ADDRESS_NLF: Final = 0x80
"""New link flag: the first frame of a new link."""
ADDRESS_LLN_SHIFT: Final = 4
ADDRESS_SAPI_SHIFT: Final = 2
ADDRESS_CR: Final = 0x02
"""C/R bit: FT commands and PT responses set it, PT commands and FT responses clear it."""
ADDRESS_RES: Final = 0x01
"""Reserved bit, always 1."""

CONTROL_I_MASK: Final = 0x01
"""An I-frame has bit 0 clear."""
CONTROL_S_MASK: Final = 0x03
CONTROL_S_VALUE: Final = 0x01
CONTROL_PF: Final = 0x10
"""Poll (command) / final (response) bit."""
CONTROL_NS_SHIFT: Final = 1
CONTROL_NR_SHIFT: Final = 5
CONTROL_SS_SHIFT: Final = 2

LI_LENGTH_SHIFT: Final = 2
LI_MORE: Final = 0x02
"""M bit: more fragments of the NWK message follow."""
LI_NO_EXTENSION: Final = 0x01
"""N bit: 1 = no extended length octet (the only form SIP-DECT uses)."""
MAX_PAYLOAD: Final = 63
"""L is 6 bits, so a frame carries at most 63 NWK octets; longer messages are fragmented."""
HEADER_OCTETS: Final = 3
FILL: Final = 0xF0
"""Fill octet after a frame (omm-rfp.md §4.9: RFPs pad LC_DATA_IND with it)."""

LLN_CLASS_U: Final = 0
LLN_CLASS_A: Final = 1
"""LLN 1 is the class A link (omm-rfp.md §4.9); other LLNs 2..6 are class B links."""
LLN_UNASSIGNED: Final = 7
SAPI_CONNECTION_ORIENTED: Final = 0
SAPI_CONNECTIONLESS: Final = 3

MODULUS_CLASS_A: Final = 2
"""Class A numbers its I-frames modulo 2 (window 1)."""
MODULUS_CLASS_B: Final = 8
DEFAULT_WINDOW: Final = 1
"""SIP-DECT works with one outstanding I-frame per link (RFPC INIT_CFM window size 1)."""

RETRANSMISSION_TIMEOUT_S: Final = 2.0
"""<DL.04>, the I-frame retransmission timer (EN 300 175-4 annex A, value as recalled)."""
MAX_RETRANSMISSIONS: Final = 3
"""N250, retransmissions of an I-frame before the link is given up (annex A, as recalled)."""


class Supervisory(IntEnum):
    """S-frame function, control bits 3-2."""

    RR = 0
    RNR = 1
    REJ = 2


class Unnumbered(IntEnum):
    """U-frame control octets with the P/F bit clear."""

    UI = 0x03
    DM = 0x0F
    SABM = 0x2F
    DISC = 0x43
    UA = 0x63


class Side(Enum):
    """Which end of the link this is; decides the C/R bit of commands and responses."""

    PT = "PT"
    FT = "FT"


# --- frame codec ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IControl:
    """Information frame: carries (a fragment of) an NWK message."""

    ns: int
    """N(S), the send sequence number."""
    nr: int
    """N(R), the next sequence number expected from the peer."""
    poll: bool = False
    """P bit."""


@dataclass(frozen=True, slots=True)
class SControl:
    """Supervisory frame: acknowledgement and flow control."""

    function: Supervisory
    """RR, RNR or REJ."""
    nr: int
    """N(R)."""
    pf: bool = False
    """Poll (in a command) or final (in a response)."""


@dataclass(frozen=True, slots=True)
class UControl:
    """Unnumbered frame: link set-up and release, unacknowledged information."""

    function: Unnumbered
    """SABM, DM, UI, DISC or UA."""
    pf: bool = False
    """Poll or final."""


Control = IControl | SControl | UControl


def _check(field_name: str, value: int, bits: int) -> int:
    if not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise DectValueError(f"DLC {field_name} must fit in {bits} bits, got {value!r}")
    return value


def encode_control(control: Control) -> int:
    """The control octet of a frame."""
    if isinstance(control, IControl):
        return (
            _check("N(R)", control.nr, 3) << CONTROL_NR_SHIFT
            | control.poll * CONTROL_PF
            | _check("N(S)", control.ns, 3) << CONTROL_NS_SHIFT
        )
    if isinstance(control, SControl):
        return (
            _check("N(R)", control.nr, 3) << CONTROL_NR_SHIFT
            | control.pf * CONTROL_PF
            | int(control.function) << CONTROL_SS_SHIFT
            | CONTROL_S_VALUE
        )
    return int(control.function) | control.pf * CONTROL_PF


def decode_control(octet: int) -> Control:
    """The control field of a received frame; DectDecodeError for a reserved coding."""
    pf = bool(octet & CONTROL_PF)
    nr = octet >> CONTROL_NR_SHIFT & 7
    if not octet & CONTROL_I_MASK:
        return IControl(octet >> CONTROL_NS_SHIFT & 7, nr, pf)
    if octet & CONTROL_S_MASK == CONTROL_S_VALUE:
        ss = octet >> CONTROL_SS_SHIFT & 3
        if ss not in Supervisory._value2member_map_:
            raise DectDecodeError(f"DLC S-frame function {ss} is reserved")
        return SControl(Supervisory(ss), nr, pf)
    code = octet & ~CONTROL_PF
    if code not in Unnumbered._value2member_map_:
        raise DectDecodeError(f"DLC U-frame control {octet:#04x} is reserved")
    return UControl(Unnumbered(code), pf)


@dataclass(frozen=True, slots=True)
class DlcFrame:
    """One DLC frame: address, control, length indicator and up to 63 NWK octets."""

    lln: int
    """Logical link number: 1 = class A, 2..6 = class B, 0 = class U."""
    cr: bool
    """The C/R bit as transmitted (see `Side`)."""
    control: Control
    """I, S or U control field."""
    payload: bytes = b""
    """The NWK message or fragment (L octets)."""
    more: bool = False
    """M bit: more fragments follow."""
    nlf: bool = False
    """New link flag."""
    sapi: int = SAPI_CONNECTION_ORIENTED
    """Service access point: 0 connection oriented, 3 connectionless."""

    def __post_init__(self) -> None:
        _check("LLN", self.lln, 3)
        _check("SAPI", self.sapi, 2)
        if len(self.payload) > MAX_PAYLOAD:
            raise DectValueError(
                f"a DLC frame carries at most {MAX_PAYLOAD} octets, got {len(self.payload)}; "
                "fragment the NWK message"
            )
        encode_control(self.control)

    @property
    def address(self) -> int:
        return (
            self.nlf * ADDRESS_NLF
            | self.lln << ADDRESS_LLN_SHIFT
            | self.sapi << ADDRESS_SAPI_SHIFT
            | self.cr * ADDRESS_CR
            | ADDRESS_RES
        )

    @property
    def length_indicator(self) -> int:
        return len(self.payload) << LI_LENGTH_SHIFT | self.more * LI_MORE | LI_NO_EXTENSION

    def encode(self, pad_to: int = 0) -> bytes:
        """The frame octets, filled with 0xF0 up to `pad_to` octets if that is longer."""
        octets = bytes([self.address, encode_control(self.control), self.length_indicator])
        octets += self.payload
        return octets + bytes([FILL]) * (pad_to - len(octets))

    def describe(self) -> str:
        """E.g. "LLN=2 C/R=1 I N(S)=5 N(R)=2 L=27"."""
        c = self.control
        if isinstance(c, IControl):
            kind = f"I N(S)={c.ns} N(R)={c.nr}{' P' if c.poll else ''}"
        elif isinstance(c, SControl):
            kind = f"{c.function.name} N(R)={c.nr}{' P/F' if c.pf else ''}"
        else:
            kind = f"{c.function.name}{' P/F' if c.pf else ''}"
        flags = (" NLF" if self.nlf else "") + (" M" if self.more else "")
        return f"LLN={self.lln} C/R={int(self.cr)}{flags} {kind} L={len(self.payload)}"


def decode_frame(data: bytes) -> DlcFrame:
    """A frame from its octets (trailing 0xF0 fill allowed); DectDecodeError for anything else."""
    if len(data) < HEADER_OCTETS:
        raise DectDecodeError(f"DLC frame needs {HEADER_OCTETS} header octets, got {len(data)}")
    address, control, li = data[0], data[1], data[2]
    if not address & ADDRESS_RES:
        raise DectDecodeError(f"DLC address {address:#04x}: the reserved bit must be 1")
    if not li & LI_NO_EXTENSION:
        raise DectDecodeError("DLC extended length indicator (N = 0) is not supported")
    size = li >> LI_LENGTH_SHIFT
    end = HEADER_OCTETS + size
    if end > len(data):
        raise DectDecodeError(f"DLC length indicator says {size} octets, {len(data) - 3} follow")
    if any(b != FILL for b in data[end:]):
        raise DectDecodeError(f"DLC frame is followed by octets other than fill ({FILL:#04x})")
    return DlcFrame(
        lln=address >> ADDRESS_LLN_SHIFT & 7,
        cr=bool(address & ADDRESS_CR),
        control=decode_control(control),
        payload=bytes(data[HEADER_OCTETS:end]),
        more=bool(li & LI_MORE),
        nlf=bool(address & ADDRESS_NLF),
        sapi=address >> ADDRESS_SAPI_SHIFT & 3,
    )


def fragment(nwk: bytes, size: int = MAX_PAYLOAD) -> list[tuple[bytes, bool]]:
    """An NWK message as (fragment, more) pieces of at most `size` octets."""
    if not 1 <= size <= MAX_PAYLOAD:
        raise DectValueError(f"fragment size must be 1..{MAX_PAYLOAD}, got {size}")
    pieces = [nwk[i : i + size] for i in range(0, len(nwk), size)] or [b""]
    return [(piece, i < len(pieces) - 1) for i, piece in enumerate(pieces)]


def command_cr(side: Side) -> bool:
    """The C/R bit of a command sent by `side` (EN 300 175-4 §7.3.3; omm-rfp.md §4.9)."""
    return side is Side.FT


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NwkReceived:
    """A complete NWK message arrived (reassembled from its fragments)."""

    lln: int
    """The link it came on; answer on the same one."""
    nwk: bytes
    """The NWK message octets."""


@dataclass(frozen=True, slots=True)
class NwkAcknowledged:
    """The peer acknowledged every fragment of a message `send()` queued."""

    lln: int
    """The link."""
    message_id: int
    """What `send()` returned."""


@dataclass(frozen=True, slots=True)
class LinkReleased:
    """The peer released the link (DISC or DM) or acknowledged our DISC."""

    lln: int
    """The link."""


@dataclass(frozen=True, slots=True)
class LinkFailed:
    """An I-frame stayed unacknowledged after N250 retransmissions."""

    lln: int
    """The link."""
    reason: str
    """One line for the log."""


DlcEvent = NwkReceived | NwkAcknowledged | LinkReleased | LinkFailed


# --- one link (one LLN) -------------------------------------------------------------------------


@dataclass
class _Outstanding:
    ns: int
    payload: bytes
    more: bool
    message_id: int
    last: bool
    nlf: bool
    poll: bool


@dataclass
class _Queued:
    payload: bytes
    more: bool
    message_id: int
    last: bool


class LapcLink:
    """LAPC multiple-frame operation on one logical link (EN 300 175-4 §9.2-§9.3).

    Class A (LLN 1) numbers I-frames modulo 2, class B modulo 8; both go back N from
    the first unacknowledged frame when <DL.04> expires or a REJ arrives. A received
    I-frame repeating the last accepted N(S) is a retransmission: it is dropped and
    acknowledged again. Acknowledgements ride on the next I-frame when there is one,
    else an RR response goes out.
    """

    def __init__(
        self,
        side: Side,
        lln: int,
        *,
        window: int = DEFAULT_WINDOW,
        retransmission_timeout: float = RETRANSMISSION_TIMEOUT_S,
        max_retransmissions: int = MAX_RETRANSMISSIONS,
    ) -> None:
        _check("LLN", lln, 3)
        self.side = side
        self.lln = lln
        self.modulus = MODULUS_CLASS_A if lln == LLN_CLASS_A else MODULUS_CLASS_B
        if not 1 <= window < self.modulus:
            raise DectValueError(f"window must be 1..{self.modulus - 1} on LLN {lln}, got {window}")
        self.window = window
        self.retransmission_timeout = retransmission_timeout
        self.max_retransmissions = max_retransmissions
        self.vs = 0
        """V(S): N(S) of the next new I-frame."""
        self.va = 0
        """V(A): the oldest unacknowledged N(S)."""
        self.vr = 0
        """V(R): N(S) expected next from the peer."""
        self.retransmissions_detected = 0
        """Received I-frames dropped as repeats of an accepted one."""
        self.invalid_frames = 0
        """Received frames ignored for an impossible N(R) or out of sequence."""
        self._new_link = True
        self._queue: deque[_Queued] = deque()
        self._unacked: list[_Outstanding] = []
        self._resend_from: int | None = None
        self._ack_due = False
        self._final_due = False
        self._rej_sent = False
        self._peer_busy = False
        self._last_accepted: tuple[int, bytes] | None = None
        self._reassembly: list[bytes] = []
        self._timer: float | None = None
        self._tries = 0
        self._control_out: deque[DlcFrame] = deque()
        self._events: deque[DlcEvent] = deque()
        self.failed = False

    # -- sending ------------------------------------------------------------------------------
    def send(self, nwk: bytes, message_id: int) -> None:
        """Queue an NWK message; it leaves as I-frames of at most 63 octets."""
        pieces = fragment(nwk)
        for i, (piece, more) in enumerate(pieces):
            self._queue.append(_Queued(piece, more, message_id, i == len(pieces) - 1))

    def send_unnumbered(self, function: Unnumbered, *, poll: bool = False) -> None:
        """SABM or DISC (commands), for completeness of the link procedures."""
        cr = command_cr(self.side)
        self._control_out.append(DlcFrame(self.lln, cr, UControl(function, poll)))

    def frames_to_send(self, now: float) -> list[DlcFrame]:
        """Every frame due now, oldest first; starts <DL.04> for new I-frames."""
        out = list(self._control_out)
        self._control_out.clear()
        if self.failed:
            return out
        if self._resend_from is not None:
            for item in self._unacked:
                out.append(self._i_frame(item.ns, item.payload, item.more, item.poll, item.nlf))
            self._resend_from = None
            self._timer = now + self.retransmission_timeout
        while self._queue and len(self._unacked) < self.window and not self._peer_busy:
            q = self._queue.popleft()
            ns = self.vs
            self.vs = (self.vs + 1) % self.modulus
            first = self._new_link
            # A class B link opens with an I-frame carrying NLF and P (omm-rfp.md V49).
            poll = first and self.lln != LLN_CLASS_A
            out.append(self._i_frame(ns, q.payload, q.more, poll, first))
            self._new_link = False
            self._unacked.append(
                _Outstanding(ns, q.payload, q.more, q.message_id, q.last, first, poll)
            )
            if self._timer is None:
                self._timer = now + self.retransmission_timeout
        if self._ack_due or self._final_due:
            response_cr = not command_cr(self.side)
            ack = SControl(Supervisory.RR, self.vr, self._final_due)
            out.append(DlcFrame(self.lln, response_cr, ack))
        self._ack_due = self._final_due = False
        return out

    def _i_frame(self, ns: int, payload: bytes, more: bool, poll: bool, nlf: bool) -> DlcFrame:
        self._ack_due = False  # N(R) rides on the I-frame
        control = IControl(ns, self.vr, poll)
        return DlcFrame(self.lln, command_cr(self.side), control, payload, more, nlf)

    # -- receiving ---------------------------------------------------------------------------
    def receive(self, frame: DlcFrame, now: float) -> None:
        """Process one frame addressed to this link."""
        c = frame.control
        if isinstance(c, IControl):
            self._receive_i(frame, c, now)
        elif isinstance(c, SControl):
            if not self._acknowledge(c.nr, now):
                return
            if c.function is Supervisory.REJ and self._unacked:
                self._resend_from = c.nr
            self._peer_busy = c.function is Supervisory.RNR
            if c.pf and frame.cr == (not command_cr(self.side)):
                self._ack_due = self._final_due = True  # a poll wants our state now
        else:
            self._receive_u(frame, c)

    def _receive_i(self, frame: DlcFrame, c: IControl, now: float) -> None:
        repeat = self._last_accepted == (c.ns, frame.payload) and c.ns != self.vr
        if frame.nlf and not repeat:  # a new link; a repeated opening frame is no new link
            self.vr = 0
            self._reassembly.clear()
            self._last_accepted = None
            self._rej_sent = False
        # The peer opened the link: our first I-frame answers on it without NLF (V75).
        self._new_link = False
        if not self._acknowledge(c.nr, now):
            return
        if c.poll:
            self._final_due = True
        self._ack_due = True
        if c.ns != self.vr:
            if repeat:
                self.retransmissions_detected += 1
            else:
                self.invalid_frames += 1
                if not self._rej_sent:
                    self._rej_sent = True
                    self._ack_due = False
                    rej = SControl(Supervisory.REJ, self.vr, c.poll)
                    self._control_out.append(DlcFrame(self.lln, not command_cr(self.side), rej))
            return
        self.vr = (self.vr + 1) % self.modulus
        self._rej_sent = False
        self._last_accepted = (c.ns, frame.payload)
        self._reassembly.append(frame.payload)
        if not frame.more:
            nwk = b"".join(self._reassembly)
            self._reassembly.clear()
            self._events.append(NwkReceived(self.lln, nwk))

    def _receive_u(self, frame: DlcFrame, c: UControl) -> None:
        response_cr = not command_cr(self.side)
        if c.function is Unnumbered.UI:
            self._events.append(NwkReceived(self.lln, frame.payload))
        elif c.function is Unnumbered.SABM:
            self._reset()
            self._control_out.append(DlcFrame(self.lln, response_cr, UControl(Unnumbered.UA, c.pf)))
        elif c.function is Unnumbered.DISC:
            self._control_out.append(DlcFrame(self.lln, response_cr, UControl(Unnumbered.UA, c.pf)))
            self._reset()
            self._events.append(LinkReleased(self.lln))
        elif c.function is Unnumbered.DM:
            self._reset()
            self._events.append(LinkReleased(self.lln))
        # UA answers our SABM or DISC; nothing more to do for either here.

    def _acknowledge(self, nr: int, now: float) -> bool:
        """Apply a received N(R); False (and the frame ignored) when it is impossible."""
        outstanding = (self.vs - self.va) % self.modulus
        acked = (nr - self.va) % self.modulus
        if acked > outstanding:
            self.invalid_frames += 1
            return False
        for _ in range(acked):
            item = self._unacked.pop(0)
            if item.last:
                self._events.append(NwkAcknowledged(self.lln, item.message_id))
        self.va = nr
        if acked:
            self._tries = 0
            self._timer = now + self.retransmission_timeout if self._unacked else None
        return True

    def _reset(self) -> None:
        self.vs = self.va = self.vr = 0
        self._unacked.clear()
        self._reassembly.clear()
        self._last_accepted = None
        self._timer = None
        self._tries = 0
        self._new_link = True

    # -- timers and events ---------------------------------------------------------------------
    def get_timer(self) -> float | None:
        return self._timer

    def handle_timer(self, now: float) -> None:
        if self._timer is None or now < self._timer:
            return
        self._tries += 1
        if self._tries > self.max_retransmissions:
            self.failed = True
            self._timer = None
            self._events.append(
                LinkFailed(
                    self.lln,
                    f"I-frame N(S)={self.va} unacknowledged after "
                    f"{self.max_retransmissions} retransmissions",
                )
            )
            return
        self._resend_from = self.va
        self._timer = now + self.retransmission_timeout

    def next_event(self) -> DlcEvent | None:
        return self._events.popleft() if self._events else None

    @property
    def idle(self) -> bool:
        """Nothing queued, unacknowledged or reassembling."""
        return not (self._queue or self._unacked or self._reassembly)


# --- one MAC connection: its links by LLN ------------------------------------------------------


class DlcConnection:
    """The C-plane of one MAC connection: a LAPC link per LLN, created on first use.

    The same object serves the PP and the FP (`side`). On a connection handover the
    caller keeps this object, so sequence numbers and reassembly carry over.
    """

    def __init__(
        self,
        side: Side,
        *,
        window: int = DEFAULT_WINDOW,
        retransmission_timeout: float = RETRANSMISSION_TIMEOUT_S,
        max_retransmissions: int = MAX_RETRANSMISSIONS,
    ) -> None:
        self.side = side
        self.window = window
        self.retransmission_timeout = retransmission_timeout
        self.max_retransmissions = max_retransmissions
        self.links: dict[int, LapcLink] = {}
        """Links by LLN."""
        self._next_id = 1

    def link(self, lln: int) -> LapcLink:
        """The link with this LLN, created if new."""
        found = self.links.get(lln)
        if found is None:
            modulus = MODULUS_CLASS_A if lln == LLN_CLASS_A else MODULUS_CLASS_B
            found = LapcLink(
                self.side,
                lln,
                window=min(self.window, modulus - 1),
                retransmission_timeout=self.retransmission_timeout,
                max_retransmissions=self.max_retransmissions,
            )
            self.links[lln] = found
        return found

    def send(self, nwk: bytes, lln: int) -> int:
        """Queue an NWK message on a link; returns the id its `NwkAcknowledged` will carry."""
        message_id = self._next_id
        self._next_id += 1
        self.link(lln).send(nwk, message_id)
        return message_id

    def receive(self, data: bytes, now: float) -> DlcFrame:
        """Process the octets of one received frame; DectDecodeError if they are not one.

        Returns the decoded frame (for logging); what it means comes out of `next_event()`.
        """
        frame = decode_frame(data)
        if frame.lln == LLN_UNASSIGNED:
            raise DectDecodeError("DLC LLN 7 is unassigned")
        self.link(frame.lln).receive(frame, now)
        return frame

    def frames_to_send(self, now: float) -> list[DlcFrame]:
        out: list[DlcFrame] = []
        for lln in sorted(self.links):
            out += self.links[lln].frames_to_send(now)
        return out

    def data_to_send(self, now: float) -> list[bytes]:
        """`frames_to_send` as octets."""
        return [f.encode() for f in self.frames_to_send(now)]

    def get_timer(self) -> float | None:
        deadlines = [t for link in self.links.values() if (t := link.get_timer()) is not None]
        return min(deadlines, default=None)

    def handle_timer(self, now: float) -> None:
        for link in self.links.values():
            link.handle_timer(now)

    def next_event(self) -> DlcEvent | None:
        for lln in sorted(self.links):
            event = self.links[lln].next_event()
            if event is not None:
                return event
        return None

    def events(self) -> Iterator[DlcEvent]:
        """Drain `next_event()`."""
        while (event := self.next_event()) is not None:
            yield event

    @property
    def idle(self) -> bool:
        """No link has anything queued, outstanding or half reassembled."""
        return all(link.idle for link in self.links.values())
