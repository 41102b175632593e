"""Constants of the media kit, one table per protocol.

RTP/RTCP (RFC 3550 §5.1, §6.4, §12), static payload types (RFC 3551 §6), telephone
events (RFC 4733 §3.2), SDES crypto suites (RFC 4568 §6.2), G.711 load capacity
(ITU-T G.711 §3) and the site SRTP modes (AXI `SiteSTRPType`, seed 000 "Media
Encryption").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pylibsrtp import Policy

from dect import timing

# -- RTP / RTCP (RFC 3550) ---------------------------------------------------------------------

RTP_VERSION = 2
RTP_HEADER_LEN = 12
RTP_MAX_CSRC = 15
RTP_SEQ_MOD = 1 << 16
RTP_TS_MOD = 1 << 32

RTCP_SR = 200
RTCP_RR = 201
RTCP_SDES = 202
RTCP_BYE = 203
RTCP_APP = 204
RTCP_SDES_CNAME = 1

#: RFC 5761 §4: the second octet of an RTCP packet lies in 192..223 (RTP PT 64..95 + M).
RTCP_DEMUX_RANGE = range(192, 224)

#: RFC 3550 Appendix A.1: how far a sequence number may jump before it is "bad".
MAX_DROPOUT = 3000
MAX_MISORDER = 100

#: Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
NTP_UNIX_OFFSET = 2_208_988_800

# -- audio framing -----------------------------------------------------------------------------

NARROWBAND_RATE = 8000
WIDEBAND_RATE = 16000
FRAME_MS = timing.FRAME_MS
"""PCM moves in 10 ms frames: one DECT frame of voice."""
DEFAULT_PTIME_MS = 20


@dataclass(frozen=True, slots=True)
class PayloadFormat:
    """One RTP payload format as SDP's `a=rtpmap` names it."""

    payload_type: int
    """Static payload type (RFC 3551 Table 4) or the usual dynamic one."""
    encoding: str
    """Encoding name in `a=rtpmap` (case-insensitive on the wire)."""
    clock_rate: int
    """RTP timestamp clock in Hz (G.722 is 8000 though it samples at 16000)."""
    sample_rate: int
    """Audio sample rate in Hz."""


PCMU = PayloadFormat(0, "PCMU", 8000, NARROWBAND_RATE)
PCMA = PayloadFormat(8, "PCMA", 8000, NARROWBAND_RATE)
G722 = PayloadFormat(9, "G722", 8000, WIDEBAND_RATE)
TELEPHONE_EVENT = PayloadFormat(101, "telephone-event", 8000, NARROWBAND_RATE)

#: Static payload types by number (RFC 3551 §6) for m-lines without a=rtpmap.
STATIC_FORMATS: dict[int, PayloadFormat] = {f.payload_type: f for f in (PCMU, PCMA, G722)}
#: The audio formats by encoding name, as a=rtpmap and the OMM-RFP link's codec ids name them.
AUDIO_FORMATS: dict[str, PayloadFormat] = {f.encoding: f for f in (PCMU, PCMA, G722)}

#: Octets per second of the constant-rate codecs by encoding name: G.711 is 64 kbit/s
#: (ITU-T G.711 §2), G.722 runs in mode 1 at 64 kbit/s (ITU-T G.722 §1.1). A 10 ms frame
#: of any of them is 80 octets, the B-field of a DECT full slot.
CODEC_OCTET_RATES: dict[str, int] = {"PCMU": 8000, "PCMA": 8000, "G722": 8000}

#: AXI `CodecType` names -> payload formats (G.729-A is licensed and not emulated).
AXI_CODECS: dict[str, PayloadFormat] = {
    "G.711-u-law": PCMU, "G.711-A-law": PCMA, "G.722": G722,
}

# -- telephone-event (RFC 4733 §3.2 Table 7, DTMF events) --------------------------------------

DTMF_EVENTS = "0123456789*#ABCD"
"""Event code n is DTMF_EVENTS[n]; 16 is flash (not a key)."""
DTMF_FLASH = 16
DTMF_DEFAULT_VOLUME = 10
"""Power level as -dBm0 (0..63); 10 is a typical keypad level."""
DTMF_END_REPEATS = 3
"""RFC 4733 §2.5.1.4: the final packet of an event is sent three times."""
DTMF_MAX_DURATION = 0xFFFF

# -- levels (ITU-T G.711) ----------------------------------------------------------------------

#: G.711 §3: a sine wave of +3.14 dBm0 just reaches the A-law overload point; we take
#: a full-scale 16-bit sine (amplitude 32768) as that level for both laws.
FULL_SCALE_DBM0 = 3.14
FULL_SCALE_AMPLITUDE = 32768.0

# -- SRTP / SDES (RFC 4568 §6.2, RFC 3711) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class CryptoSuite:
    """An SDES crypto suite and the pylibsrtp profile that implements it."""

    name: str
    """Suite name in `a=crypto` (RFC 4568 §6.2)."""
    profile: int
    """pylibsrtp `Policy.SRTP_PROFILE_*`."""
    axi_name: str
    """Spelling of AXI `SRTPProfileType`."""
    tag_len: int
    """SRTP authentication tag octets (SRTCP always uses 10)."""
    key_len: int = 16
    salt_len: int = 14


AES_CM_128_HMAC_SHA1_80 = CryptoSuite(
    "AES_CM_128_HMAC_SHA1_80", Policy.SRTP_PROFILE_AES128_CM_SHA1_80, "AES128_CM_SHA1_80", 10)
AES_CM_128_HMAC_SHA1_32 = CryptoSuite(
    "AES_CM_128_HMAC_SHA1_32", Policy.SRTP_PROFILE_AES128_CM_SHA1_32, "AES128_CM_SHA1_32", 4)

#: The suites every current RFP supports (seed 000 "Media Encryption"), in offer order.
SUITES: dict[str, CryptoSuite] = {s.name: s for s in (AES_CM_128_HMAC_SHA1_80,
                                                      AES_CM_128_HMAC_SHA1_32)}
SRTCP_TAG_LEN = 10
SRTCP_INDEX_LEN = 4
#: RFC 4568 §6.1: the default and largest SRTP lifetime is 2^48 packets.
SRTP_MAX_LIFETIME = 1 << 48
#: RFC 4568 §9.2: MKI length is 1..128 octets.
MKI_MAX_LEN = 128


class SrtpMode(StrEnum):
    """The site's SRTP mode, spelled as AXI `SiteSTRPType`."""

    ONLY = "Only"
    PREFERRED = "Preferred"
    DISABLED = "Disabled"


# -- SDP (RFC 4566, RFC 3264) ------------------------------------------------------------------

PROTO_AVP = "RTP/AVP"
PROTO_SAVP = "RTP/SAVP"
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
#: RFC 3264 §6.1: the answer's direction for each offered direction.
ANSWER_DIRECTION = {"sendrecv": "sendrecv", "sendonly": "recvonly",
                    "recvonly": "sendonly", "inactive": "inactive"}

# -- SIP status codes the media layer decides ---------------------------------------------------

SIP_NOT_ACCEPTABLE_HERE = 488
