"""Errors of the media kit: every malformed input raises one of these, never a bare
ValueError, IndexError or a library's own exception.
"""

from __future__ import annotations


class MediaError(Exception):
    """Base of every error the media kit raises on bad input."""


class RtpError(MediaError):
    """A malformed RTP, RTCP or telephone-event packet (RFC 3550, RFC 4733)."""


class CodecError(MediaError):
    """Audio that a codec cannot take (wrong dtype, frame size or odd length)."""


class SdpError(MediaError):
    """A malformed SDP body or `a=crypto` attribute (RFC 4566, RFC 4568)."""


class SrtpError(MediaError):
    """An SRTP/SRTCP packet failed authentication, replay check or decryption."""


class OfferAnswerError(MediaError):
    """An offer or answer the site's SRTP mode or codecs cannot accept.

    `status` is the SIP response the user agent should send (488 Not Acceptable
    Here for an offer); for a bad answer the offerer ends the call instead.
    """

    def __init__(self, reason: str, status: int = 488) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
