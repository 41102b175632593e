"""SIP constants in one table: RFC 3261 §7.3.3 compact forms, §20 header names, §21 reason
phrases, §17.1.1.1 timer values, §18/§19.1.2 ports; the MiVoice Office 400 DoS defaults
(SEED-MV §8.2.1, features.md §2.10).
"""

from __future__ import annotations

SIP_VERSION = "SIP/2.0"

MAGIC_COOKIE = "z9hG4bK"
"""Branch prefix of RFC 3261 transactions (§8.1.1.7); without it RFC 2543 matching applies."""

DEFAULT_PORT = 5060
DEFAULT_TLS_PORT = 5061

DEFAULT_MAX_FORWARDS = 70  # §8.1.1.6
MAX_FORWARDS_LIMIT = 255  # RFC 4475 §3.1.2.4: larger values are answered 400
MAX_CSEQ = 2**31 - 1  # §8.1.1.5: the sequence number MUST be less than 2**31
MAX_DELTA_SECONDS = 2**32 - 1  # §25.1 delta-seconds, as far as an Expires value may go

# Message size limits (§18.1.1, §18.3): a UDP datagram cannot exceed 65,535 bytes; a framed
# stream message is held to the same size.
MAX_MESSAGE_SIZE = 65_535
MAX_HEADER_COUNT = 256
MAX_LINE_LENGTH = 8_192
MAX_URI_LENGTH = 4_096
UDP_MTU_THRESHOLD = 1_300  # §18.1.1: larger requests belong on a congestion-controlled transport

# §17.1.1.1 and Table 4 (§A).
T1 = 0.5
T2 = 4.0
T4 = 5.0
TIMER_D_UNRELIABLE = 32.0  # "at least 32 seconds"

# RFC 5626 §3.5.1 keep-alives on stream transports.
CRLF_PING = b"\r\n\r\n"
CRLF_PONG = b"\r\n"

# MiVoice Office 400 "IP Network Security General" defaults (SEED-MV §8.2.1).
MIVO400_MAX_AUTH_FAILURES = 10
MIVO400_MAX_TRANSACTIONS_PER_IP = 200
MIVO400_BLOCK_SECONDS = 300.0

# §7.3.3 plus the compact forms registered since (RFC 3265, 3515, 3892, 3903, 4028, 3841,
# 4474).
COMPACT_FORMS: dict[str, str] = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "n": "Identity-Info",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}

HEADER_NAMES: tuple[str, ...] = (
    "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow",
    "Allow-Events", "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
    "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
    "Content-Type", "CSeq", "Date", "Error-Info", "Event", "Expires", "From", "Identity",
    "Identity-Info", "In-Reply-To", "Max-Forwards", "MIME-Version", "Min-Expires", "Min-SE",
    "Organization", "P-Asserted-Identity", "Path", "Priority", "Proxy-Authenticate",
    "Proxy-Authorization", "Proxy-Require", "RAck", "Reason", "Record-Route", "Refer-To",
    "Referred-By", "Reject-Contact", "Replaces", "Reply-To", "Request-Disposition", "Require",
    "Retry-After", "Route", "RSeq", "Server", "Service-Route", "Session-Expires", "Subject",
    "Subscription-State", "Supported", "Timestamp", "To", "Unsupported", "User-Agent", "Via",
    "Warning", "WWW-Authenticate",
)

# Headers whose §20/§25 grammar is a comma-separated list, so several values may share one
# header line and be split apart. Authorization and friends are NOT lists (their parameters
# are comma separated), nor is any header we do not know.
LIST_HEADERS: frozenset[str] = frozenset(
    name.lower() for name in (
        "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow",
        "Allow-Events", "Call-Info", "Contact", "Content-Encoding", "Content-Language",
        "Error-Info", "In-Reply-To", "P-Asserted-Identity", "Path", "Proxy-Require",
        "Record-Route", "Reject-Contact", "Require", "Route", "Service-Route", "Supported",
        "Unsupported", "Via", "Warning",
    )
)

# Headers that may appear at most once; a second one makes a request 400 (RFC 4475 §3.1.2.19).
SINGLETON_HEADERS: frozenset[str] = frozenset(
    name.lower() for name in (
        "Call-ID", "Content-Length", "Content-Type", "CSeq", "Expires", "From",
        "Max-Forwards", "To",
    )
)

# §21 plus the codes later RFCs registered that a SIP-DECT peer may meet.
REASON_PHRASES: dict[int, str] = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    199: "Early Dialog Terminated",
    200: "OK",
    202: "Accepted",
    204: "No Notification",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    305: "Use Proxy",
    380: "Alternative Service",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    410: "Gone",
    412: "Conditional Request Failed",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    421: "Extension Required",
    422: "Session Interval Too Small",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    485: "Ambiguous",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",
    491: "Request Pending",
    493: "Undecipherable",
    494: "Security Agreement Required",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    580: "Precondition Failure",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}


def reason_phrase(status: int) -> str:
    """The §21 phrase for `status`, or the phrase of its class (§8.1.3.2: x00 stands in)."""
    return REASON_PHRASES.get(status) or REASON_PHRASES.get(status // 100 * 100, "Unknown")
