"""A focused RFC 3261 core: message codec, transactions, dialogs, digest auth, transports.

Sans-I/O cores (`message`, `transaction`, `dialog`, `auth`) are fed bytes, messages and
`now`; `transport` is the asyncio edge that owns the sockets.
"""

from sipdect.sip.auth import AuthResult, AuthStatus, DigestClient, DigestServer
from sipdect.sip.dialog import Dialog, DialogError, DialogId, make_dialog_response, next_hop
from sipdect.sip.message import (
    AbsoluteUri,
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
    StreamFramer,
    Transport,
    Via,
    make_response,
    new_branch,
    new_call_id,
    new_tag,
    parse_message,
)
from sipdect.sip.transaction import (
    CancelReceived,
    RequestReceived,
    ResponseReceived,
    TimerConfig,
    TransactionError,
    TransactionKey,
    TransactionLayer,
    TransactionTerminated,
    TransactionTimeout,
    TransportFailed,
)
from sipdect.sip.transport import (
    SipTransport,
    SipTransportError,
    TlsClientOptions,
    TlsServerOptions,
)

__all__ = [
    "AbsoluteUri", "Address", "AuthResult", "AuthStatus", "CSeq", "CancelReceived", "Challenge",
    "Credentials", "Dialog", "DialogError", "DialogId", "DigestClient", "DigestServer",
    "Headers", "Limits", "Message", "Peer", "Request", "RequestReceived", "Response",
    "ResponseReceived", "SipParseError", "SipTransport", "SipTransportError", "SipUri",
    "StreamFramer", "TimerConfig", "TlsClientOptions", "TlsServerOptions", "TransactionError",
    "TransactionKey", "TransactionLayer", "TransactionTerminated", "TransactionTimeout",
    "Transport", "TransportFailed", "Via", "make_dialog_response", "make_response",
    "new_branch", "new_call_id", "new_tag", "next_hop", "parse_message",
]
