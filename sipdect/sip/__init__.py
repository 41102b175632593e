"""A focused RFC 3261 core: message codec, transactions, dialogs, digest auth, transports.

Sans-I/O cores (`message`, `transaction`, `dialog`, `auth`) fed bytes, messages and `now`;
`transport` is the asyncio edge that owns the sockets.
"""

from sipdect.sip.message import (
    Address,
    Challenge,
    Credentials,
    CSeq,
    Headers,
    Limits,
    Message,
    Peer,
    Request,
    Response,
    SipParseError,
    SipUri,
    Transport,
    Via,
    make_response,
    parse_message,
)
from sipdect.sip.transaction import TimerConfig, TransactionKey, TransactionLayer

__all__ = [
    "Address",
    "CSeq",
    "Challenge",
    "Credentials",
    "Headers",
    "Limits",
    "Message",
    "Peer",
    "Request",
    "Response",
    "SipParseError",
    "SipUri",
    "TimerConfig",
    "TransactionKey",
    "TransactionLayer",
    "Transport",
    "Via",
    "make_response",
    "parse_message",
]
