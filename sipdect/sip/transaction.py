"""SIP transactions: the RFC 3261 §17 state machines as tables, with RFC 6026 "Accepted".

Sans-I/O: `TransactionLayer` is fed parsed messages with the peer they came from and `now`;
it queues what to send (`messages_to_send`), events for the transaction user (`next_event`)
and exposes its next deadline (`get_timer`/`handle_timer`). It owns no socket and no clock.

Beyond §17 the layer retransmits a UAS's 2xx to INVITE until the ACK (§13.3.1.4), answers
CANCEL (§9.2) and sends 100 Trying for INVITE (§17.2.1), each switchable.
"""

from __future__ import annotations

import enum
import heapq
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from sipdect.sip import constants as c
from sipdect.sip.message import (
    Headers,
    Message,
    Peer,
    Request,
    Response,
    SipParseError,
    make_response,
    new_tag,
    response_destination,
)


class TransactionError(Exception):
    """The transaction user asked for something the transaction state does not allow."""


@dataclass(frozen=True)
class TimerConfig:
    """Timer values of §17.1.1.1 and Table 4, in seconds."""

    t1: float = c.T1
    """RTT estimate; the first retransmission interval."""
    t2: float = c.T2
    """Cap on the retransmission interval of non-INVITE requests and INVITE responses."""
    t4: float = c.T4
    """Longest time a message stays in the network (Timers I and K)."""
    timer_d: float = c.TIMER_D_UNRELIABLE
    """Wait for response retransmissions after ACKing a failure on UDP."""


class Kind(enum.Enum):
    INVITE_CLIENT = "ict"
    NON_INVITE_CLIENT = "nict"
    INVITE_SERVER = "ist"
    NON_INVITE_SERVER = "nist"


class State(enum.StrEnum):
    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    ACCEPTED = "Accepted"  # RFC 6026 §7.1/§7.2
    TERMINATED = "Terminated"


class Timer(enum.StrEnum):
    A = "A"
    B = "B"
    D = "D"
    E = "E"
    F = "F"
    G = "G"
    H = "H"
    I = "I"  # noqa: E741 - the RFC's name
    J = "J"
    K = "K"
    L = "L"  # RFC 6026: IST leaves Accepted
    M = "M"  # RFC 6026: ICT leaves Accepted
    RETRANSMIT_2XX = "2xx"  # §13.3.1.4: the UAS core's 2xx retransmission


class Input(enum.Enum):
    PROVISIONAL = "1xx received"
    SUCCESS = "2xx received"
    FAILURE = "300-699 received"
    REQUEST = "request retransmission"
    ACK = "ACK"
    TU_PROVISIONAL = "TU sends 1xx"
    TU_SUCCESS = "TU sends 2xx"
    TU_FAILURE = "TU sends 300-699"
    TRANSPORT_ERROR = "transport error"
    TIMER_A = Timer.A
    TIMER_B = Timer.B
    TIMER_D = Timer.D
    TIMER_E = Timer.E
    TIMER_F = Timer.F
    TIMER_G = Timer.G
    TIMER_H = Timer.H
    TIMER_I = Timer.I
    TIMER_J = Timer.J
    TIMER_K = Timer.K
    TIMER_L = Timer.L
    TIMER_M = Timer.M
    TIMER_2XX = Timer.RETRANSMIT_2XX


class Action(enum.Enum):
    PASS_RESPONSE = "pass the response to the TU"
    SEND_ACK = "send the ACK for a failure (built once, §17.1.1.3)"
    RESEND_REQUEST = "retransmit the request"
    SEND_RESPONSE = "send the TU's response and keep it"
    RESEND_RESPONSE = "retransmit the last response"
    STOP_2XX = "stop retransmitting the 2xx"
    TIMEOUT = "tell the TU the transaction timed out"
    TIMEOUT_UNLESS_ACKED = "tell the TU no ACK came for the 2xx (§13.3.1.4)"
    TRANSPORT_FAILED = "tell the TU the transport failed"


S, I_, A_ = State, Input, Action

# (state, input) -> (next state, actions). A pair that is missing is absorbed silently.
# Figures 5-8 of RFC 3261 with RFC 6026's Accepted state for 2xx to INVITE.
TRANSITIONS: dict[Kind, dict[tuple[State, Input], tuple[State, tuple[Action, ...]]]] = {
    Kind.INVITE_CLIENT: {
        (S.CALLING, I_.TIMER_A): (S.CALLING, (A_.RESEND_REQUEST,)),
        (S.CALLING, I_.TIMER_B): (S.TERMINATED, (A_.TIMEOUT,)),
        (S.CALLING, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.TRANSPORT_FAILED,)),
        (S.CALLING, I_.PROVISIONAL): (S.PROCEEDING, (A_.PASS_RESPONSE,)),
        (S.CALLING, I_.SUCCESS): (S.ACCEPTED, (A_.PASS_RESPONSE,)),
        (S.CALLING, I_.FAILURE): (S.COMPLETED, (A_.SEND_ACK, A_.PASS_RESPONSE)),
        (S.PROCEEDING, I_.PROVISIONAL): (S.PROCEEDING, (A_.PASS_RESPONSE,)),
        (S.PROCEEDING, I_.SUCCESS): (S.ACCEPTED, (A_.PASS_RESPONSE,)),
        (S.PROCEEDING, I_.FAILURE): (S.COMPLETED, (A_.SEND_ACK, A_.PASS_RESPONSE)),
        (S.COMPLETED, I_.FAILURE): (S.COMPLETED, (A_.SEND_ACK,)),
        (S.COMPLETED, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.TRANSPORT_FAILED,)),
        (S.COMPLETED, I_.TIMER_D): (S.TERMINATED, ()),
        (S.ACCEPTED, I_.SUCCESS): (S.ACCEPTED, (A_.PASS_RESPONSE,)),
        (S.ACCEPTED, I_.TIMER_M): (S.TERMINATED, ()),
    },
    Kind.NON_INVITE_CLIENT: {
        (S.TRYING, I_.TIMER_E): (S.TRYING, (A_.RESEND_REQUEST,)),
        (S.TRYING, I_.TIMER_F): (S.TERMINATED, (A_.TIMEOUT,)),
        (S.TRYING, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.TRANSPORT_FAILED,)),
        (S.TRYING, I_.PROVISIONAL): (S.PROCEEDING, (A_.PASS_RESPONSE,)),
        (S.TRYING, I_.SUCCESS): (S.COMPLETED, (A_.PASS_RESPONSE,)),
        (S.TRYING, I_.FAILURE): (S.COMPLETED, (A_.PASS_RESPONSE,)),
        (S.PROCEEDING, I_.TIMER_E): (S.PROCEEDING, (A_.RESEND_REQUEST,)),
        (S.PROCEEDING, I_.TIMER_F): (S.TERMINATED, (A_.TIMEOUT,)),
        (S.PROCEEDING, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.TRANSPORT_FAILED,)),
        (S.PROCEEDING, I_.PROVISIONAL): (S.PROCEEDING, (A_.PASS_RESPONSE,)),
        (S.PROCEEDING, I_.SUCCESS): (S.COMPLETED, (A_.PASS_RESPONSE,)),
        (S.PROCEEDING, I_.FAILURE): (S.COMPLETED, (A_.PASS_RESPONSE,)),
        (S.COMPLETED, I_.TIMER_K): (S.TERMINATED, ()),
    },
    Kind.INVITE_SERVER: {
        (S.PROCEEDING, I_.REQUEST): (S.PROCEEDING, (A_.RESEND_RESPONSE,)),
        (S.PROCEEDING, I_.TU_PROVISIONAL): (S.PROCEEDING, (A_.SEND_RESPONSE,)),
        (S.PROCEEDING, I_.TU_SUCCESS): (S.ACCEPTED, (A_.SEND_RESPONSE,)),
        (S.PROCEEDING, I_.TU_FAILURE): (S.COMPLETED, (A_.SEND_RESPONSE,)),
        (S.PROCEEDING, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.TRANSPORT_FAILED,)),
        (S.COMPLETED, I_.REQUEST): (S.COMPLETED, (A_.RESEND_RESPONSE,)),
        (S.COMPLETED, I_.TIMER_G): (S.COMPLETED, (A_.RESEND_RESPONSE,)),
        (S.COMPLETED, I_.TIMER_H): (S.TERMINATED, (A_.TIMEOUT,)),
        (S.COMPLETED, I_.ACK): (S.CONFIRMED, ()),
        (S.COMPLETED, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.TRANSPORT_FAILED,)),
        (S.CONFIRMED, I_.TIMER_I): (S.TERMINATED, ()),
        (S.ACCEPTED, I_.TU_SUCCESS): (S.ACCEPTED, (A_.SEND_RESPONSE,)),
        (S.ACCEPTED, I_.TIMER_2XX): (S.ACCEPTED, (A_.RESEND_RESPONSE,)),
        (S.ACCEPTED, I_.ACK): (S.ACCEPTED, (A_.STOP_2XX,)),
        (S.ACCEPTED, I_.TIMER_L): (S.TERMINATED, (A_.TIMEOUT_UNLESS_ACKED,)),
        (S.ACCEPTED, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.TRANSPORT_FAILED,)),
    },
    Kind.NON_INVITE_SERVER: {
        (S.TRYING, I_.TU_PROVISIONAL): (S.PROCEEDING, (A_.SEND_RESPONSE,)),
        (S.TRYING, I_.TU_SUCCESS): (S.COMPLETED, (A_.SEND_RESPONSE,)),
        (S.TRYING, I_.TU_FAILURE): (S.COMPLETED, (A_.SEND_RESPONSE,)),
        (S.PROCEEDING, I_.REQUEST): (S.PROCEEDING, (A_.RESEND_RESPONSE,)),
        (S.PROCEEDING, I_.TU_PROVISIONAL): (S.PROCEEDING, (A_.SEND_RESPONSE,)),
        (S.PROCEEDING, I_.TU_SUCCESS): (S.COMPLETED, (A_.SEND_RESPONSE,)),
        (S.PROCEEDING, I_.TU_FAILURE): (S.COMPLETED, (A_.SEND_RESPONSE,)),
        (S.PROCEEDING, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.TRANSPORT_FAILED,)),
        (S.COMPLETED, I_.REQUEST): (S.COMPLETED, (A_.RESEND_RESPONSE,)),
        (S.COMPLETED, I_.TIMER_J): (S.TERMINATED, ()),
        (S.COMPLETED, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.TRANSPORT_FAILED,)),
    },
}

INITIAL_STATE: dict[Kind, State] = {
    Kind.INVITE_CLIENT: S.CALLING,
    Kind.NON_INVITE_CLIENT: S.TRYING,
    Kind.INVITE_SERVER: S.PROCEEDING,
    Kind.NON_INVITE_SERVER: S.TRYING,
}

# Timers that run in each state: on entry the missing ones start, the others stop. A timer
# already running keeps its deadline (Timer E and F survive Trying -> Proceeding).
STATE_TIMERS: dict[tuple[Kind, State], tuple[Timer, ...]] = {
    (Kind.INVITE_CLIENT, S.CALLING): (Timer.A, Timer.B),
    (Kind.INVITE_CLIENT, S.COMPLETED): (Timer.D,),
    (Kind.INVITE_CLIENT, S.ACCEPTED): (Timer.M,),
    (Kind.NON_INVITE_CLIENT, S.TRYING): (Timer.E, Timer.F),
    (Kind.NON_INVITE_CLIENT, S.PROCEEDING): (Timer.E, Timer.F),
    (Kind.NON_INVITE_CLIENT, S.COMPLETED): (Timer.K,),
    (Kind.INVITE_SERVER, S.COMPLETED): (Timer.G, Timer.H),
    (Kind.INVITE_SERVER, S.CONFIRMED): (Timer.I,),
    (Kind.INVITE_SERVER, S.ACCEPTED): (Timer.L, Timer.RETRANSMIT_2XX),
    (Kind.NON_INVITE_SERVER, S.COMPLETED): (Timer.J,),
}

# Retransmission timers run only over unreliable transports.
RETRANSMIT_TIMERS = frozenset({Timer.A, Timer.E, Timer.G, Timer.RETRANSMIT_2XX})

_TIMER_INPUT: dict[Timer, Input] = {
    Timer.A: I_.TIMER_A, Timer.B: I_.TIMER_B, Timer.D: I_.TIMER_D, Timer.E: I_.TIMER_E,
    Timer.F: I_.TIMER_F, Timer.G: I_.TIMER_G, Timer.H: I_.TIMER_H, Timer.I: I_.TIMER_I,
    Timer.J: I_.TIMER_J, Timer.K: I_.TIMER_K, Timer.L: I_.TIMER_L, Timer.M: I_.TIMER_M,
    Timer.RETRANSMIT_2XX: I_.TIMER_2XX,
}


class TransactionKey(NamedTuple):
    """Identifies a transaction (§17.1.3 for clients, §17.2.3 for servers)."""

    server: bool
    """True for a server transaction."""
    branch: str
    """Via branch, lower case; for an RFC 2543 request the fields that stand in for it."""
    sent_by: str
    """Top Via sent-by of a server transaction; empty for clients."""
    method: str
    """Method; ACK counts as INVITE."""


@dataclass(slots=True)
class Outgoing:
    """A message to put on the wire."""

    message: Message
    """What to send."""
    peer: Peer
    """Where to: for a response on a reliable transport, the connection it answers."""
    data: bytes
    """`message` serialised."""
    transaction: TransactionKey | None = None
    """The transaction that sends it; None when sent statelessly."""


# -- events -------------------------------------------------------------------------------


@dataclass(slots=True)
class RequestReceived:
    """A new request for the transaction user."""

    request: Request
    """The request (its top Via stamped with received/rport by the transport)."""
    transaction: TransactionKey | None
    """The server transaction to answer through; None for an ACK (ACK to 2xx has none)."""
    source: Peer
    """Where it came from."""


@dataclass(slots=True)
class ResponseReceived:
    """A response for one of the TU's client transactions."""

    response: Response
    """The response."""
    transaction: TransactionKey
    """The client transaction it belongs to."""
    source: Peer
    """Where it came from."""


@dataclass(slots=True)
class CancelReceived:
    """A CANCEL matched a pending INVITE; it was answered 200, the INVITE awaits 487 (§9.2)."""

    transaction: TransactionKey
    """The INVITE server transaction being cancelled."""
    cancel: Request
    """The CANCEL request."""
    to_tag: str
    """The To tag the CANCEL was answered with; the 487 should use it too."""


@dataclass(slots=True)
class TransactionTimeout:
    """A transaction gave up."""

    transaction: TransactionKey
    """Which transaction."""
    timer: Timer
    """B or F: no final response (treat as 408); H: no ACK for a failure; L: no ACK for a 2xx."""
    request: Request
    """The request that started it."""


@dataclass(slots=True)
class TransportFailed:
    """Sending for a transaction failed (§17.1.4, §17.2.4)."""

    transaction: TransactionKey
    """Which transaction."""
    peer: Peer
    """The destination that failed."""


@dataclass(slots=True)
class TransactionTerminated:
    """A transaction reached Terminated and was forgotten."""

    transaction: TransactionKey
    """Which transaction."""


Event = (RequestReceived | ResponseReceived | CancelReceived | TransactionTimeout
         | TransportFailed | TransactionTerminated)


# -- building blocks --------------------------------------------------------------------------


def make_ack(request: Request, response: Response) -> Request:
    """The ACK a client INVITE transaction sends for a 300-699 response (§17.1.1.3)."""
    h = Headers()
    h.add("Via", request.headers.get_all("Via")[0])
    for route in request.headers.get_all("Route"):
        h.add("Route", route)
    h.add("Max-Forwards", request.headers.get("Max-Forwards") or str(c.DEFAULT_MAX_FORWARDS))
    h.add("From", request.headers.get("From") or "")
    h.add("To", response.headers.get("To") or "")
    h.add("Call-ID", request.call_id)
    h.add("CSeq", f"{request.cseq.seq} ACK")
    return Request("ACK", request.uri.copy(), h)


def make_cancel(request: Request) -> Request:
    """A CANCEL for `request` (§9.1): same R-URI, Call-ID, From, To, CSeq number, top Via."""
    h = Headers()
    h.add("Via", request.headers.get_all("Via")[0])
    for route in request.headers.get_all("Route"):
        h.add("Route", route)
    h.add("Max-Forwards", str(c.DEFAULT_MAX_FORWARDS))
    for name in ("From", "To", "Call-ID"):
        h.add(name, request.headers.get(name) or "")
    h.add("CSeq", f"{request.cseq.seq} CANCEL")
    return Request("CANCEL", request.uri.copy(), h)


def client_key(message: Message) -> TransactionKey:
    """§17.1.3: top Via branch and CSeq method."""
    return TransactionKey(False, (message.top_via.branch or "").lower(), "", message.cseq.method)


def server_key(request: Request) -> TransactionKey:
    """§17.2.3: branch, sent-by and method (ACK as INVITE); RFC 2543 fields without a cookie."""
    via = request.top_via
    method = "INVITE" if request.method == "ACK" else request.method
    if via.rfc3261:
        return TransactionKey(True, (via.branch or "").lower(), via.sent_by.lower(), method)
    return legacy_key(request, request.to.tag or "")


def legacy_key(request: Request, to_tag: str) -> TransactionKey:
    """The RFC 2543 match (§17.2.3): R-URI, To tag, From tag, Call-ID, CSeq number, top Via."""
    method = "INVITE" if request.method == "ACK" else request.method
    fields = (str(request.uri), to_tag, request.from_.tag or "", request.call_id,
              str(request.cseq.seq), str(request.top_via))
    return TransactionKey(True, "2543|" + "|".join(fields), "", method)


@dataclass(eq=False)
class Transaction:
    """One transaction's state. The layer drives it; the TU reads it."""

    kind: Kind
    """Client/server, INVITE/non-INVITE."""
    key: TransactionKey
    """Its identity."""
    request: Request
    """The request that created it."""
    peer: Peer
    """Client: where the request goes. Server: where responses go."""
    state: State = S.TERMINATED
    """Current state."""
    request_data: bytes = b""
    """The request serialised (client), for retransmissions."""
    last_response: Response | None = None
    """Server: the last response sent."""
    last_response_data: bytes = b""
    """`last_response` serialised."""
    ack: Request | None = None
    """Client INVITE: the ACK sent for a failure."""
    acked: bool = False
    """Server INVITE: an ACK for the 2xx arrived."""
    cancel_pending: bool = False
    """Client INVITE: CANCEL asked for before any provisional response (§9.1)."""
    timers: dict[Timer, float] = field(default_factory=dict)
    """Running timers and their deadlines."""
    intervals: dict[Timer, float] = field(default_factory=dict)
    """Current interval of each retransmission timer."""
    ack_keys: list[tuple[str, int, str, str]] = field(default_factory=list)
    """Server INVITE: (Call-ID, CSeq, From tag, To tag) of 2xx sent, to match their ACKs."""
    source_host: str = ""
    """Server: the host the request came from (for the per-host limit)."""

    @property
    def reliable(self) -> bool:
        return self.peer.transport.reliable


class TransactionLayer:
    """All transactions of one SIP element, fed messages and time."""

    def __init__(self, timers: TimerConfig | None = None, *, send_trying: bool = True,
                 handle_cancel: bool = True,
                 max_server_transactions_per_host: int | None = None) -> None:
        self.timers = timers or TimerConfig()
        self.send_trying = send_trying
        self.handle_cancel = handle_cancel
        self.max_server_transactions_per_host = max_server_transactions_per_host
        self._transactions: dict[TransactionKey, Transaction] = {}
        self._by_peer: dict[Peer, set[Transaction]] = {}
        self._accepted: dict[tuple[str, int, str, str], Transaction] = {}
        self._per_host: dict[str, int] = {}
        self._heap: list[tuple[float, int, Transaction, Timer]] = []
        self._seq = itertools.count()
        self._events: deque[Event] = deque()
        self._out: list[Outgoing] = []

    # -- queries ---------------------------------------------------------------------------

    def get(self, key: TransactionKey) -> Transaction | None:
        return self._transactions.get(key)

    def __len__(self) -> int:
        return len(self._transactions)

    def next_event(self) -> Event | None:
        return self._events.popleft() if self._events else None

    def messages_to_send(self) -> list[Outgoing]:
        out, self._out = self._out, []
        return out

    def get_timer(self) -> float | None:
        """The earliest deadline at which `handle_timer` must be called, or None."""
        while self._heap:
            deadline, _, tx, timer = self._heap[0]
            if tx.timers.get(timer) == deadline:
                return deadline
            heapq.heappop(self._heap)
        return None

    # -- the transaction user's side -------------------------------------------------------

    def send_request(self, request: Request, peer: Peer, now: float) -> TransactionKey:
        """Start a client transaction for `request` (which carries its Via) towards `peer`."""
        if request.method == "ACK":
            raise TransactionError("ACK is not sent in a transaction: use send_stateless")
        vias = request.headers.get_all("Via")
        if not vias:
            raise TransactionError("the request needs a Via with a branch")
        key = client_key(request)
        if not key.branch.startswith(c.MAGIC_COOKIE.lower()):
            raise TransactionError("the request's branch lacks the z9hG4bK magic cookie")
        if key in self._transactions:
            raise TransactionError(f"a client transaction with branch {key.branch} exists")
        kind = Kind.INVITE_CLIENT if request.method == "INVITE" else Kind.NON_INVITE_CLIENT
        tx = Transaction(kind, key, request, peer, request_data=bytes(request))
        self._add(tx)
        self._out.append(Outgoing(request, peer, tx.request_data, key))
        self._start(tx, now)
        self._expire(now)
        return key

    def send_response(self, response: Response, now: float,
                      transaction: TransactionKey | None = None) -> None:
        """Send `response` through its server transaction (found from its Via and CSeq)."""
        if transaction is None:
            try:
                via = response.top_via
                method = response.cseq.method
            except SipParseError as exc:
                raise TransactionError(f"cannot match the response: {exc}") from None
            transaction = TransactionKey(True, (via.branch or "").lower(), via.sent_by.lower(),
                                         method)
        tx = self._transactions.get(transaction)
        if tx is None or not transaction.server:
            raise TransactionError(f"no server transaction {transaction.method} "
                                   f"{transaction.branch[:40]} (answered or timed out)")
        if response.status < 200:
            inp = I_.TU_PROVISIONAL
        elif response.status < 300:
            inp = I_.TU_SUCCESS
        else:
            inp = I_.TU_FAILURE
        if not self._feed(tx, inp, now, response):
            raise TransactionError(f"{tx.kind.value} in state {tx.state} cannot send "
                                   f"{response.status}")
        self._expire(now)

    def send_stateless(self, message: Message, peer: Peer) -> None:
        """Send outside any transaction: ACK for a 2xx (§13.2.2.4), stateless answers."""
        self._out.append(Outgoing(message, peer, bytes(message)))

    def cancel(self, transaction: TransactionKey, now: float) -> TransactionKey | None:
        """CANCEL a pending INVITE (§9.1); returns the CANCEL's transaction, if sent now.

        Before any provisional response the CANCEL waits for one; after a final response
        there is nothing to cancel and None is returned.
        """
        tx = self._transactions.get(transaction)
        if tx is None or tx.kind is not Kind.INVITE_CLIENT:
            return None
        if tx.state is S.CALLING:
            tx.cancel_pending = True
            return None
        if tx.state is S.PROCEEDING:
            return self._send_cancel(tx, now)
        return None

    def transport_error(self, peer: Peer, now: float, *, servers: bool = True) -> None:
        """Sending to `peer` failed: the transactions that talk to it fail (§17.1.4, §17.2.4).

        Without `servers` only client transactions fail: when a connection merely closed,
        a server transaction can still answer over a new one (§18.2.2).
        """
        for tx in list(self._by_peer.get(peer, ())):
            if servers or not tx.key.server:
                self._feed(tx, I_.TRANSPORT_ERROR, now)
        self._expire(now)

    # -- the transport's side --------------------------------------------------------------

    def receive(self, message: Message, source: Peer, now: float) -> None:
        """A parsed message arrived from `source`."""
        self._expire(now)
        if isinstance(message, Response):
            self._receive_response(message, source, now)
        else:
            self._receive_request(message, source, now)
        self._expire(now)

    def handle_timer(self, now: float) -> None:
        self._expire(now)

    # -- internals -------------------------------------------------------------------------

    def _receive_response(self, response: Response, source: Peer, now: float) -> None:
        tx = self._transactions.get(client_key(response))
        if tx is None or tx.key.server:
            return  # §18.1.2: a response matching no transaction is discarded
        if response.status < 200:
            inp = I_.PROVISIONAL
        elif response.status < 300:
            inp = I_.SUCCESS
        else:
            inp = I_.FAILURE
        self._feed(tx, inp, now, response, source)

    def _receive_request(self, request: Request, source: Peer, now: float) -> None:
        key = server_key(request)
        tx = self._transactions.get(key)
        if tx is None and request.method == "ACK" and key.branch.startswith("2543|"):
            tx = self._legacy_invite_for_ack(request)
        if tx is not None:
            if request.method == "ACK":
                if tx.state is S.ACCEPTED:  # an ACK for the 2xx that reused the branch
                    self._ack_2xx(tx, request, source, now)
                else:
                    self._feed(tx, I_.ACK, now)
            elif request.method == tx.request.method:
                self._feed(tx, I_.REQUEST, now)
            return
        if request.method == "ACK":
            accepted = self._accepted.get(_ack_key(request))
            if accepted is not None:
                self._ack_2xx(accepted, request, source, now)
            else:
                self._events.append(RequestReceived(request, None, source))
            return
        if self._over_limit(source):
            self._stateless(request, 503, source)
            return
        if request.method == "CANCEL" and self.handle_cancel:
            self._receive_cancel(request, key, source, now)
            return
        self._new_server(request, key, source, now)
        self._events.append(RequestReceived(request, key, source))

    def _ack_2xx(self, tx: Transaction, ack: Request, source: Peer, now: float) -> None:
        if not tx.acked:
            tx.acked = True
            self._feed(tx, I_.ACK, now)
        self._events.append(RequestReceived(ack, None, source))

    def _receive_cancel(self, cancel: Request, key: TransactionKey, source: Peer,
                        now: float) -> None:
        tx = self._new_server(cancel, key, source, now)
        invite_key = key._replace(method="INVITE")
        if key.branch.startswith("2543|"):
            invite_key = legacy_key(cancel, cancel.to.tag or "")._replace(method="INVITE")
        invite = self._transactions.get(invite_key)
        # §9.2: the CANCEL's answer and the INVITE's should carry the same To tag.
        to_tag = _local_tag(invite) or new_tag()
        status = 481 if invite is None else 200
        self._feed(tx, I_.TU_SUCCESS if status == 200 else I_.TU_FAILURE, now,
                   make_response(cancel, status, to_tag=to_tag))
        if invite is not None and invite.state is S.PROCEEDING:
            self._events.append(CancelReceived(invite.key, cancel, to_tag))

    def _legacy_invite_for_ack(self, ack: Request) -> Transaction | None:
        tag = ack.to.tag or ""
        for to_tag in ("", tag):
            tx = self._transactions.get(legacy_key(ack, to_tag))
            if tx is not None and _local_tag(tx) == tag:
                return tx
        return None

    def _over_limit(self, source: Peer) -> bool:
        limit = self.max_server_transactions_per_host
        return limit is not None and self._per_host.get(source.host, 0) >= limit

    def _stateless(self, request: Request, status: int, source: Peer) -> None:
        via = request.top_via
        peer = response_destination(via, source.transport, source)
        headers = [("Retry-After", "5")] if status == 503 else []
        self.send_stateless(make_response(request, status, headers=headers), peer)

    def _new_server(self, request: Request, key: TransactionKey, source: Peer,
                    now: float) -> Transaction:
        kind = Kind.INVITE_SERVER if request.method == "INVITE" else Kind.NON_INVITE_SERVER
        peer = response_destination(request.top_via, source.transport, source)
        tx = Transaction(kind, key, request, peer, source_host=source.host)
        self._add(tx)
        self._per_host[source.host] = self._per_host.get(source.host, 0) + 1
        self._start(tx, now)
        if kind is Kind.INVITE_SERVER and self.send_trying:
            self._feed(tx, I_.TU_PROVISIONAL, now, make_response(request, 100))
        return tx

    def _send_cancel(self, tx: Transaction, now: float) -> TransactionKey:
        tx.cancel_pending = False
        cancel = make_cancel(tx.request)
        key = client_key(cancel)
        if key in self._transactions:
            return key
        ctx = Transaction(Kind.NON_INVITE_CLIENT, key, cancel, tx.peer, request_data=bytes(cancel))
        self._add(ctx)
        self._out.append(Outgoing(cancel, tx.peer, ctx.request_data, key))
        self._start(ctx, now)
        return key

    def _start(self, tx: Transaction, now: float) -> None:
        tx.state = INITIAL_STATE[tx.kind]
        self._arm_state_timers(tx, now)

    def _feed(self, tx: Transaction, inp: Input, now: float, message: Message | None = None,
              source: Peer | None = None, fired: Timer | None = None) -> bool:
        """Run one transition; False if the table has none (the input is absorbed)."""
        entry = TRANSITIONS[tx.kind].get((tx.state, inp))
        if entry is None:
            return False
        new_state, actions = entry
        for action in actions:
            self._act(tx, action, now, message, source, fired)
        if fired is not None and fired in RETRANSMIT_TIMERS and new_state is tx.state:
            self._arm(tx, fired, now, self._next_interval(tx, fired))
        if new_state is not tx.state:
            self._enter(tx, new_state, now)
        return True

    def _act(self, tx: Transaction, action: Action, now: float, message: Message | None,
             source: Peer | None, fired: Timer | None) -> None:
        if action is A_.PASS_RESPONSE:
            assert isinstance(message, Response) and source is not None
            self._events.append(ResponseReceived(message, tx.key, source))
            if tx.cancel_pending and message.status < 200:
                self._send_cancel(tx, now)
        elif action is A_.SEND_ACK:
            assert isinstance(message, Response)
            if tx.ack is None:
                tx.ack = make_ack(tx.request, message)
            self._out.append(Outgoing(tx.ack, tx.peer, bytes(tx.ack), tx.key))
        elif action is A_.RESEND_REQUEST:
            self._out.append(Outgoing(tx.request, tx.peer, tx.request_data, tx.key))
        elif action is A_.SEND_RESPONSE:
            assert isinstance(message, Response)
            tx.last_response, tx.last_response_data = message, bytes(message)
            self._out.append(Outgoing(message, tx.peer, tx.last_response_data, tx.key))
            if tx.kind is Kind.INVITE_SERVER and 200 <= message.status < 300:
                self._index_2xx(tx, message)
        elif action is A_.RESEND_RESPONSE:
            if tx.last_response is not None:
                self._out.append(Outgoing(tx.last_response, tx.peer, tx.last_response_data,
                                          tx.key))
        elif action is A_.STOP_2XX:
            tx.timers.pop(Timer.RETRANSMIT_2XX, None)
        elif action is A_.TIMEOUT:
            assert fired is not None
            self._events.append(TransactionTimeout(tx.key, fired, tx.request))
        elif action is A_.TIMEOUT_UNLESS_ACKED:
            if not tx.acked:
                self._events.append(TransactionTimeout(tx.key, Timer.L, tx.request))
        elif action is A_.TRANSPORT_FAILED:
            self._events.append(TransportFailed(tx.key, tx.peer))

    def _index_2xx(self, tx: Transaction, response: Response) -> None:
        try:
            key = (response.call_id, response.cseq.seq, response.from_.tag or "",
                   response.to.tag or "")
        except SipParseError:
            return
        if key not in tx.ack_keys:
            tx.ack_keys.append(key)
            self._accepted[key] = tx

    def _enter(self, tx: Transaction, state: State, now: float) -> None:
        tx.state = state
        if state is S.TERMINATED:
            tx.timers.clear()
            self._forget(tx)
            return
        self._arm_state_timers(tx, now)

    def _arm_state_timers(self, tx: Transaction, now: float) -> None:
        wanted = STATE_TIMERS.get((tx.kind, tx.state), ())
        for timer in list(tx.timers):
            if timer not in wanted:
                del tx.timers[timer]
        for timer in wanted:
            if timer in tx.timers or (timer in RETRANSMIT_TIMERS and tx.reliable):
                continue
            self._arm(tx, timer, now, self._initial_interval(tx, timer))

    def _arm(self, tx: Transaction, timer: Timer, now: float, interval: float) -> None:
        deadline = now + interval
        tx.timers[timer] = deadline
        tx.intervals[timer] = interval
        heapq.heappush(self._heap, (deadline, next(self._seq), tx, timer))

    def _initial_interval(self, tx: Transaction, timer: Timer) -> float:
        t = self.timers
        if timer in RETRANSMIT_TIMERS:
            return t.t1
        if timer is Timer.D:
            return 0.0 if tx.reliable else t.timer_d
        if timer in (Timer.I, Timer.K):
            return 0.0 if tx.reliable else t.t4
        if timer is Timer.J:
            return 0.0 if tx.reliable else 64 * t.t1
        return 64 * t.t1  # B, F, H, L, M

    def _next_interval(self, tx: Transaction, timer: Timer) -> float:
        t = self.timers
        previous = tx.intervals.get(timer, t.t1)
        if timer is Timer.A:
            return 2 * previous
        if timer is Timer.E and tx.state is S.PROCEEDING:
            return t.t2
        return min(2 * previous, t.t2)

    def _expire(self, now: float) -> None:
        """Fire every timer due at `now`, earliest first (zero-length timers fire at once)."""
        while self._heap and self._heap[0][0] <= now:
            deadline, _, tx, timer = heapq.heappop(self._heap)
            if tx.timers.get(timer) != deadline:
                continue
            del tx.timers[timer]
            self._feed(tx, _TIMER_INPUT[timer], now, fired=timer)

    def _add(self, tx: Transaction) -> None:
        self._transactions[tx.key] = tx
        self._by_peer.setdefault(tx.peer, set()).add(tx)

    def _forget(self, tx: Transaction) -> None:
        if self._transactions.get(tx.key) is tx:
            del self._transactions[tx.key]
        peers = self._by_peer.get(tx.peer)
        if peers is not None:
            peers.discard(tx)
            if not peers:
                del self._by_peer[tx.peer]
        for key in tx.ack_keys:
            if self._accepted.get(key) is tx:
                del self._accepted[key]
        if tx.key.server:
            host = tx.source_host
            left = self._per_host.get(host, 0) - 1
            if left > 0:
                self._per_host[host] = left
            else:
                self._per_host.pop(host, None)
        self._events.append(TransactionTerminated(tx.key))


def _ack_key(ack: Request) -> tuple[str, int, str, str]:
    return (ack.call_id, ack.cseq.seq, ack.from_.tag or "", ack.to.tag or "")


def _local_tag(tx: Transaction | None) -> str | None:
    """The To tag a server transaction answered with, if any."""
    if tx is None or tx.last_response is None:
        return None
    try:
        return tx.last_response.to.tag
    except SipParseError:
        return None
