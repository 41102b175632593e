"""The interface between the OMM's SIP user agent and the RFP media gateways (docs/calls.md §2).

`omm.sip` decides what a call's media is (codec, far end, SRTP keys) from the SDP; an
implementation of `MediaPort` (omm.media.RfpMediaControl) turns that into MEDIA_* messages for
the RFPs. Both sides use only these types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RtpAddress:
    """An RTP endpoint; RTCP is on port + 1."""

    host: str
    """IPv4 address."""
    port: int
    """The (even) RTP port."""


@dataclass(frozen=True, slots=True)
class MediaCodecChoice:
    """The one codec a call uses on the IP side."""

    name: str
    """PCMA, PCMU or G722 (SDP encoding names)."""
    payload_type: int
    """RTP payload type negotiated."""
    clock_rate: int = 8000
    """RTP clock rate (8000 for G.722 too, RFC 3551)."""
    ptime_ms: int = 20
    """Packet time; the RFP's VIF."""


@dataclass(frozen=True, slots=True)
class SrtpKeys:
    """SDES master keys of one SRTP session, as the RFP uses them."""

    suite: str
    """AES_CM_128_HMAC_SHA1_80 or AES_CM_128_HMAC_SHA1_32."""
    tx_key: bytes
    """30 octets (key || salt) the RFP protects outgoing RTP with (the OMM's a=crypto)."""
    rx_key: bytes
    """30 octets (key || salt) the far end protects with (its a=crypto)."""


class MediaPort(Protocol):
    """What the SIP side asks of the media gateways; one call per PP, keyed by ppn."""

    def reserve(self, ppn: int, rfp_id: int) -> RtpAddress | None:
        """Ports on this RFP for the call's SDP; None when the RFP is not connected."""

    def start(self, ppn: int, rfp_id: int, mcei: int, codec: MediaCodecChoice,
              remote: RtpAddress, srtp: SrtpKeys | None, dtmf_pt: int | None) -> None:
        """Open the voice channel of connection `mcei` on the RFP and stream both ways."""

    def handover(self, ppn: int, rfp_id: int, mcei: int) -> None:
        """The PP's connection moved: the anchor RFP redirects its media to this one."""

    def dtmf(self, ppn: int, key: str) -> None:
        """Send one RFC 4733 event (a key pressed on the handset) to the far end."""

    def stop(self, ppn: int) -> None:
        """End the call's media on every RFP involved and free its ports."""
