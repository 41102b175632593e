"""Events the OMM-RFP link connections hand to their owner (omm-rfp.md §2.1, §5).

OmmLinkConnection and RfpLinkConnection queue these; `next_event()` returns them in order.
A connection ends with exactly one of UnknownRfp, LinkFailed or LinkLost.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sipdect.link.messages import LinkMessage


class Failure(Enum):
    """Why a link could not be set up or broke."""

    PROTOCOL = "protocol"
    """A malformed message or one the state does not allow."""
    SIGNATURE = "signature"
    """The SYS_INIT signature does not match the challenge."""
    IDENTITY = "identity"
    """The SYS_INIT identity block is invalid (only when the OMM checks it)."""
    KEY = "key"
    """Encrypted traffic does not decrypt: the two ends hold different keys."""
    NO_KEY = "no-key"
    """The RFP has no key and the OMM sent none, or a RE_ENROLEMENT could not be unwrapped."""
    REJECTED = "rejected"
    """The OMM refused SYS_INIT (NACK, or a close with no reply: the MAC is not configured)."""
    TIMEOUT = "timeout"
    """The handshake did not complete in time."""
    PEER_CLOSED = "peer-closed"
    """The peer closed the connection during the handshake."""


@dataclass(frozen=True, slots=True)
class UnknownRfp:
    """OMM: an RFP with a MAC the OMM does not know logged in; closed with no reply."""

    mac: bytes
    """The RFP's MAC."""
    hw_type: int
    """HardwareType from SYS_INIT."""
    sw_version: str
    """Software version from SYS_INIT."""
    protocol: int
    """Protocol version from SYS_INIT."""
    capabilities: int
    """Capability flags from SYS_INIT."""


@dataclass(frozen=True, slots=True)
class RfpKeyAssigned:
    """OMM: a new key K was sent to this RFP; store it (as RFPA) for its next login."""

    mac: bytes
    """The RFP's MAC."""
    key: bytes
    """The 64-byte K."""


@dataclass(frozen=True, slots=True)
class RfpConnected:
    """OMM: the RFP is logged in, encryption is on and the configuration burst is sent."""

    mac: bytes
    """The RFP's MAC."""
    hw_type: int
    """HardwareType."""
    sw_version: str
    """E.g. "SIP-DECT 8.1SP1-FA27"."""
    protocol: int
    """Protocol version, e.g. 0x080201."""
    capabilities: int
    """Capability flags."""
    branding: int | None
    """Branding from the identity block, None when that block did not decrypt with a good CRC."""


@dataclass(frozen=True, slots=True)
class KeyReceived:
    """RFP: the OMM delivered a key; store it for the next login."""

    key: bytes
    """The 64-byte K."""
    re_enrolement: bool
    """True when it came wrapped in SYS_RFP_RE_ENROLEMENT, False for SYS_RFP_AUTH_KEY."""


@dataclass(frozen=True, slots=True)
class LinkEstablished:
    """RFP: SYS_INIT was acknowledged and both directions are now encrypted."""

    key_delivered: bool
    """Whether this login brought a new key (see KeyReceived)."""


@dataclass(frozen=True, slots=True)
class HeartbeatReceived:
    """OMM: a HEARTBEAT arrived."""

    uptime_ms: int
    """The RFP's uptime in milliseconds."""
    remainder_ns: int
    """Sub-millisecond part in nanoseconds."""


@dataclass(frozen=True, slots=True)
class LedChanged:
    """RFP: SYS_LED set an LED."""

    led: int
    """LED index."""
    colour: int
    """LedColour."""


@dataclass(frozen=True, slots=True)
class ResetRequested:
    """RFP: SYS_RESET arrived (in clear before a firmware update, or encrypted)."""

    reset_type: int
    """ResetType."""


@dataclass(frozen=True, slots=True)
class LicenseTimerSet:
    """RFP: the OMM set the license grace period (later query answers carry it)."""

    grace_minutes: int
    """Minutes."""


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """Either end: a message the link itself does not consume."""

    message: LinkMessage
    """The decrypted message; sipdect.link.parse_message() gives its typed view."""


@dataclass(frozen=True, slots=True)
class LinkFailed:
    """Either end: the link could not be set up or the peer broke the protocol; now closed."""

    reason: str
    """One line saying what went wrong."""
    failure: Failure
    """The kind of failure."""
    mac: bytes | None = None
    """The RFP's MAC when it was known."""


@dataclass(frozen=True, slots=True)
class LinkLost:
    """Either end: an established link ended (heartbeats missing, or the peer closed)."""

    reason: str
    """One line saying why."""
    mac: bytes | None = None
    """The RFP's MAC."""
    timeout: bool = False
    """The heartbeats stopped (rather than the peer closing the connection)."""


Event = (
    UnknownRfp
    | RfpKeyAssigned
    | RfpConnected
    | KeyReceived
    | LinkEstablished
    | HeartbeatReceived
    | LedChanged
    | ResetRequested
    | LicenseTimerSet
    | MessageReceived
    | LinkFailed
    | LinkLost
)
