"""The call server's SRTP setting on SDP offers (sim.pbx.srtp): what "no", "optional" and
"required" let through, and why they refuse the rest."""

from __future__ import annotations

import pytest

from sim.pbx import SrtpPolicy, offer_refusal
from sipdect.sip import Headers, Request, SipUri

HEAD = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
CRYPTO = b"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
PLAIN = HEAD + b"m=audio 5004 RTP/AVP 8\r\n"
SRTP_ONLY = HEAD + b"m=audio 5004 RTP/SAVP 8\r\n" + CRYPTO
SAVP_WITHOUT_KEYS = HEAD + b"m=audio 5004 RTP/SAVP 8\r\n"
BEST_EFFORT = HEAD + b"m=audio 5004 RTP/AVP 8\r\n" + CRYPTO  # RFC 4568 keys on RTP/AVP
BOTH = HEAD + b"m=audio 5004 RTP/SAVP 8\r\n" + CRYPTO + b"m=audio 5006 RTP/AVP 8\r\n"
REJECTED_SAVP = HEAD + b"m=audio 0 RTP/SAVP 8\r\nm=audio 5006 RTP/AVP 8\r\n"


def invite(body: bytes | None, content_type: str = "application/sdp") -> Request:
    h = Headers()
    if body is not None:
        h.add("Content-Type", content_type)
    return Request("INVITE", SipUri("127.0.0.1", "202"), h, body or b"")


@pytest.mark.parametrize(("policy", "body", "passes"), [
    (SrtpPolicy.NO, PLAIN, True),
    (SrtpPolicy.NO, SRTP_ONLY, False),
    (SrtpPolicy.NO, BEST_EFFORT, True),
    (SrtpPolicy.NO, BOTH, True),
    (SrtpPolicy.NO, REJECTED_SAVP, True),
    (SrtpPolicy.NO, None, True),
    (SrtpPolicy.OPTIONAL, SRTP_ONLY, True),
    (SrtpPolicy.OPTIONAL, PLAIN, True),
    (SrtpPolicy.OPTIONAL, None, True),
    (SrtpPolicy.REQUIRED, SRTP_ONLY, True),
    (SrtpPolicy.REQUIRED, BOTH, True),
    (SrtpPolicy.REQUIRED, PLAIN, False),
    (SrtpPolicy.REQUIRED, BEST_EFFORT, False),
    (SrtpPolicy.REQUIRED, SAVP_WITHOUT_KEYS, False),
    (SrtpPolicy.REQUIRED, None, False),
    (SrtpPolicy.REQUIRED, b"not sdp at all", False),
])
def test_policy(policy: SrtpPolicy, body: bytes | None, passes: bool) -> None:
    refusal = offer_refusal(policy, invite(body))
    assert (refusal is None) is passes, refusal
    if refusal is not None:
        assert "RTP/" in refusal or "SDP" in refusal  # says what to offer instead


def test_a_body_that_is_not_sdp_counts_as_no_offer() -> None:
    assert offer_refusal(SrtpPolicy.REQUIRED, invite(SRTP_ONLY, "text/plain")) is not None
    assert offer_refusal(SrtpPolicy.REQUIRED, invite(SRTP_ONLY, "application/SDP")) is None
