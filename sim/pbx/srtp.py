"""The call server's SRTP policy (MiVoice Office 400 "SRTP" system setting, default No:
features.md §2.10, SEED-MV §8.2.1) applied to the SDP offers of INVITEs it proxies.

The server never changes a body; the policy only decides whether an offer may pass.
Decision (the MiVO400 guide names the setting, not its effect on a proxy): "no" refuses
offers that can only be SRTP (every audio stream RTP/SAVP), "optional" passes everything,
"required" passes only offers with an RTP/SAVP audio stream keyed by a=crypto (RFC 4568).
Refusals are 488 Not Acceptable Here with a Warning saying what to change.
"""

from __future__ import annotations

import enum

from sipdect.media.errors import SdpError
from sipdect.media.sdp import SessionDescription
from sipdect.sip.message import Request

SAVP = "RTP/SAVP"


class SrtpPolicy(enum.StrEnum):
    """What the call server accepts in offers."""

    NO = "no"
    OPTIONAL = "optional"
    REQUIRED = "required"


def _offer(request: Request) -> SessionDescription | None:
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if not request.body or content_type != "application/sdp":
        return None
    try:
        return SessionDescription.parse(request.body)
    except SdpError:
        return None


def offer_refusal(policy: SrtpPolicy, request: Request) -> str | None:
    """Why the offer in `request` breaks `policy` (the 488 Warning text), or None to pass."""
    if policy is SrtpPolicy.OPTIONAL:
        return None
    offer = _offer(request)
    audio = [m for m in offer.media if m.media == "audio" and m.port] if offer else []
    if policy is SrtpPolicy.REQUIRED:
        if offer is None:
            return "SRTP is required here: the INVITE carries no readable SDP offer"
        if not any(m.proto == SAVP and m.attribute("crypto") for m in audio):
            return "SRTP is required here: offer RTP/SAVP audio with a=crypto keys"
        return None
    if audio and all(m.proto == SAVP for m in audio):
        return "SRTP is off on this call server: offer RTP/AVP audio"
    return None
