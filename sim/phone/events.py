"""What a phone's user agent core tells its owner: registration changes and the life of its
calls (sim.phone.agent), plus the SIP work it asks its transport to do.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sipdect.media.sdes import NegotiatedMedia
from sipdect.sip.message import Message, Peer, Request, Response
from sipdect.sip.transaction import TransactionKey


class RegistrationState(enum.StrEnum):
    """Where the phone's registration is, as `describe()` shows it."""

    UNREGISTERED = "unregistered"  # not started, stopped, or not registering (expires 0)
    REGISTERING = "registering"    # a REGISTER is out
    REGISTERED = "registered"      # the registrar granted a binding that has not lapsed
    FAILED = "failed"              # refused or unanswered: it retries after a back-off
    BLOCKED = "blocked"            # 403 to a REGISTER (MiVO400: the address is blocked)


class CallState(enum.StrEnum):
    CALLING = "calling"        # our INVITE is out, the far end does not ring yet
    RINGBACK = "ringback"      # the far end rings (180/183)
    INCOMING = "incoming"      # an INVITE rings here
    CONNECTED = "connected"    # 2xx sent or received
    ENDED = "ended"


class Direction(enum.StrEnum):
    OUTGOING = "outgoing"
    INCOMING = "incoming"


class EndReason(enum.StrEnum):
    """Why a call ended, in the handset's words (sim.handset `last_call_end`)."""

    HUNG_UP = "HungUp"              # this phone hung up, cancelled or rejected
    NORMAL = "Normal"               # the far end hung up or gave up ringing
    BUSY = "Busy"
    REJECTED = "Rejected"
    NOT_REACHABLE = "NotReachable"
    FAILED = "Failed"


# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegistrationChanged:
    """The registration entered another state."""

    state: RegistrationState
    """The new state."""
    response: str
    """The answer that caused it ("200 OK", "403 Source Address Blocked", "408 ...")."""
    expires: int = 0
    """Seconds granted, when registered."""


@dataclass(frozen=True, slots=True)
class CallRinging:
    """An incoming call rings here, or the far end of our call rings."""

    call_id: str
    """The call's Call-ID."""
    direction: Direction
    """Incoming: it rings here; outgoing: it rings there."""
    remote: str
    """The other party: its URI (From of an incoming call, the target of ours)."""


@dataclass(frozen=True, slots=True)
class CallConnected:
    """A call was answered (2xx sent or received): its media may flow."""

    call_id: str
    """The call's Call-ID."""
    media: NegotiatedMedia | None
    """Where to send what; None when offer/answer is not complete yet (an offer in our
    2xx waits for the answer in the ACK: MediaChanged follows)."""


@dataclass(frozen=True, slots=True)
class MediaChanged:
    """Offer/answer inside the dialog (ACK answer, re-INVITE) changed the call's media."""

    call_id: str
    """The call's Call-ID."""
    media: NegotiatedMedia
    """The new media."""


@dataclass(frozen=True, slots=True)
class CallEnded:
    """A call is over."""

    call_id: str
    """The call's Call-ID."""
    reason: EndReason
    """Why, in the handset's words."""
    status: int | None = None
    """The SIP status that ended it, when a final response did."""


PhoneEvent = RegistrationChanged | CallRinging | CallConnected | MediaChanged | CallEnded


# -- what the core asks its transport to do ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendRequest:
    """Start a client transaction (the request carries its Via, so its key is known)."""

    request: Request
    peer: Peer


@dataclass(frozen=True, slots=True)
class SendResponse:
    """Answer through a server transaction."""

    response: Response
    transaction: TransactionKey


@dataclass(frozen=True, slots=True)
class SendStateless:
    """Send outside any transaction: the ACK for a 2xx (§13.2.2.4)."""

    message: Message
    peer: Peer


@dataclass(frozen=True, slots=True)
class CancelInvite:
    """CANCEL our pending INVITE (§9.1); the transaction layer sends it when it may."""

    transaction: TransactionKey


SipAction = SendRequest | SendResponse | SendStateless | CancelInvite
