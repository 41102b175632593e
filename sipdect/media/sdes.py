"""SDES keys in SDP (RFC 4568 §4-7, §9) and the audio offer/answer of a SIP-DECT site
under its SRTP mode (seed 000 "Media Encryption", AXI `SiteSTRPType`; RFC 3264 §5-6).

Seed 000 distinguishes three modes:

- Only: "Only SRTP calls will be accepted, all other will be rejected (the audio
  part of the SDP contains RTP/SAVP)."
- Preferred: "All calls will be initiated as secured but accepted if they are not
  secured (the audio part of the SDP contain RTP/AVP)."
- Disabled: "Only RTP calls will be initiated as not ciphered and incoming
  ciphering algorithm will be not accepted. All communications are established
  unencrypted."

OFFER_RULES and ANSWER_RULES below are those sentences as tables.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from sipdect.media import constants as c
from sipdect.media.constants import CryptoSuite, PayloadFormat, SrtpMode
from sipdect.media.errors import OfferAnswerError, SdpError
from sipdect.media.sdp import MediaDescription, RtpMap, SessionDescription

# -- a=crypto (RFC 4568 §9.1 grammar) ----------------------------------------------------------

_CRYPTO = re.compile(r"(?:a=)?(?:crypto:)?([0-9]{1,9})[ \t]+([A-Za-z0-9_]+)[ \t]+(\S+)"
                     r"((?:[ \t]+\S+)*)[ \t]*", re.ASCII)
_LIFETIME = re.compile(r"(?:2\^([0-9]{1,2})|([0-9]{1,15}))")
_MKI = re.compile(r"([0-9]{1,10}):([0-9]{1,3})")


@dataclass(frozen=True, slots=True)
class CryptoAttribute:
    """One `a=crypto` line with an inline key (RFC 4568 §6.1, §9.1)."""

    tag: int
    """Decimal tag that the answer echoes (1..999999999)."""
    suite: str
    """Crypto suite name."""
    key: bytes = field(repr=False)
    """Master key || master salt (30 octets for the AES_CM_128 suites); kept out of repr."""
    lifetime: int | None = None
    """Packets the key may protect, if stated."""
    mki: int | None = None
    """Master key identifier value, if the line has one."""
    mki_length: int | None = None
    """MKI field length in octets (1..128)."""
    session_params: tuple[str, ...] = ()
    """Session parameters (KDR=, UNENCRYPTED_SRTP, ...), none of which we support."""

    @property
    def known_suite(self) -> CryptoSuite | None:
        """Our table's entry for the suite, or None when we do not support it."""
        return c.SUITES.get(self.suite)

    @property
    def master_key(self) -> bytes:
        suite = self.known_suite
        return self.key[:suite.key_len] if suite else self.key

    @property
    def master_salt(self) -> bytes:
        suite = self.known_suite
        return self.key[suite.key_len:] if suite else b""

    def render(self) -> str:
        """The attribute value, as it follows `a=crypto:`."""
        inline = "inline:" + base64.b64encode(self.key).decode()
        if self.lifetime is not None:
            exponent = self.lifetime.bit_length() - 1
            inline += f"|2^{exponent}" if self.lifetime == 1 << exponent else f"|{self.lifetime}"
        if self.mki is not None:
            inline += f"|{self.mki}:{self.mki_length}"
        return " ".join((str(self.tag), self.suite, inline, *self.session_params))

    def line(self) -> str:
        return f"a=crypto:{self.render()}"

    @classmethod
    def generate(cls, tag: int, suite: str | CryptoSuite = c.AES_CM_128_HMAC_SHA1_80, *,
                 random_bytes: Callable[[int], bytes] = os.urandom) -> CryptoAttribute:
        """A fresh random master key and salt for `suite`."""
        s = suite if isinstance(suite, CryptoSuite) else c.SUITES.get(suite)
        if s is None:
            raise SdpError(f"unsupported crypto suite {suite}; use one of {', '.join(c.SUITES)}")
        return cls(tag, s.name, random_bytes(s.key_len + s.salt_len))

    @classmethod
    def parse(cls, text: str) -> CryptoAttribute:
        """Parse `a=crypto:...`, `crypto:...` or the bare value; SdpError if malformed."""
        m = _CRYPTO.fullmatch(text.strip())
        if m is None:
            raise SdpError(f"a=crypto {text[:60]!r} is not '<tag> <suite> inline:<key>'")
        tag, suite = int(m.group(1)), m.group(2)
        if tag == 0:
            raise SdpError("a=crypto tag must be 1..999999999")
        key_params = m.group(3)
        if ";" in key_params:
            raise SdpError("a=crypto with several keys is not supported; send one inline key")
        method, _, info = key_params.partition(":")
        if method != "inline" or not info:
            raise SdpError(f"a=crypto key method {method[:20]!r} is not 'inline'")
        key_b64, *extras = info.split("|")
        try:
            key = binascii.a2b_base64(key_b64.encode("ascii"), strict_mode=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise SdpError(f"a=crypto key {key_b64[:44]!r} is not base64") from exc
        known = c.SUITES.get(suite)
        if known is not None and len(key) != known.key_len + known.salt_len:
            raise SdpError(f"{suite} needs a {known.key_len + known.salt_len}-octet key and "
                           f"salt, got {len(key)}")
        lifetime = mki = mki_length = None
        if len(extras) > 2:
            raise SdpError("a=crypto key has more than lifetime and MKI after it")
        for extra in extras:
            if (lm := _LIFETIME.fullmatch(extra)) and lifetime is None and mki is None:
                lifetime = 1 << int(lm.group(1)) if lm.group(1) else int(lm.group(2))
                if not 0 < lifetime <= c.SRTP_MAX_LIFETIME:
                    raise SdpError(f"a=crypto lifetime {extra} is out of range")
            elif (mm := _MKI.fullmatch(extra)) and mki is None:
                mki, mki_length = int(mm.group(1)), int(mm.group(2))
                if not 1 <= mki_length <= c.MKI_MAX_LEN or mki >= 1 << (8 * mki_length):
                    raise SdpError(f"a=crypto MKI {extra} does not fit its length")
            else:
                raise SdpError(f"a=crypto key parameter {extra[:20]!r} is neither a lifetime "
                               "nor an MKI")
        return cls(tag, suite, key, lifetime, mki, mki_length, tuple(m.group(4).split()))


def crypto_attributes(media: MediaDescription) -> list[CryptoAttribute]:
    """Every a=crypto of a stream; SdpError if one of them is malformed."""
    return [CryptoAttribute.parse(v) for v in media.attribute("crypto")]


def _usable(attr: CryptoAttribute) -> bool:
    # RFC 4568 §6.3: a line with session parameters we do not know must not be chosen.
    return attr.known_suite is not None and not attr.session_params


# -- local capabilities and the negotiated result -----------------------------------------------

@dataclass(frozen=True, slots=True)
class LocalMedia:
    """What our end offers or accepts (the site's codec list and RTP settings)."""

    address: str
    """Our RTP address."""
    port: int
    """Our RTP port."""
    codecs: tuple[PayloadFormat, ...] = (c.PCMA, c.PCMU)
    """Codecs in preference order (AXI `RTPType` type list)."""
    telephone_event: int | None = c.TELEPHONE_EVENT.payload_type
    """Payload type we offer for RFC 4733 DTMF, None to leave it out."""
    ptime: int = c.DEFAULT_PTIME_MS
    """Packet time we ask for (AXI `packetTime`)."""
    suites: tuple[str, ...] = tuple(c.SUITES)
    """Crypto suites we offer or accept, in preference order."""
    receiver_precedence: bool = False
    """AXI `receiverPrecedence`: order the answer by our preference, not the offer's."""
    single_codec_answer: bool = False
    """AXI `singleCodecReplyInSDP`: answer with one codec only."""


@dataclass(frozen=True, slots=True)
class NegotiatedMedia:
    """The outcome of one offer/answer: where to send, what, and with which keys."""

    remote_address: str
    remote_port: int
    codec: PayloadFormat
    """The first common codec, carrying the payload type the peer uses."""
    telephone_event: int | None
    """Payload type for DTMF events, if both ends have it."""
    ptime: int
    """Packet time to send with (the peer's a=ptime, else ours)."""
    direction: str
    """Our direction: sendrecv, sendonly, recvonly or inactive."""
    srtp: bool
    """Whether media is SRTP."""
    suite: CryptoSuite | None = None
    local_key: CryptoAttribute | None = None
    """The key we protect our packets with."""
    remote_key: CryptoAttribute | None = None
    """The key the peer protects its packets with."""


# -- the SRTP mode rules (seed 000 "Media Encryption") -------------------------------------------

@dataclass(frozen=True, slots=True)
class OfferRule:
    """How a site in one mode makes an offer."""

    proto: str
    """Transport in the m=audio line."""
    crypto: bool
    """Whether a=crypto lines go with it."""


#: Only: RTP/SAVP with keys; Preferred: "initiated as secured" with keys on RTP/AVP, so
#: a peer without SRTP can still answer; Disabled: plain RTP/AVP, no keys.
OFFER_RULES: dict[SrtpMode, OfferRule] = {
    SrtpMode.ONLY: OfferRule(c.PROTO_SAVP, True),
    SrtpMode.PREFERRED: OfferRule(c.PROTO_AVP, True),
    SrtpMode.DISABLED: OfferRule(c.PROTO_AVP, False),
}


class OfferKind(StrEnum):
    """What an incoming audio offer asks for, as far as SRTP goes."""

    SAVP_KEYS = "RTP/SAVP with a usable a=crypto"
    SAVP_NO_KEYS = "RTP/SAVP without a usable a=crypto"
    AVP_KEYS = "RTP/AVP with a usable a=crypto"
    AVP = "RTP/AVP without a usable a=crypto"


SRTP, RTP = "SRTP", "RTP"

#: (site mode, offer) -> "SRTP" / "RTP" to answer with, or the reason for a 488.
ANSWER_RULES: dict[tuple[SrtpMode, OfferKind], str] = {
    (SrtpMode.ONLY, OfferKind.SAVP_KEYS): SRTP,
    (SrtpMode.ONLY, OfferKind.AVP_KEYS): SRTP,
    (SrtpMode.ONLY, OfferKind.AVP): "SRTP mode Only: the offer has no SRTP key",
    (SrtpMode.ONLY, OfferKind.SAVP_NO_KEYS): "SRTP mode Only: no offered crypto suite is "
                                             "supported",
    (SrtpMode.PREFERRED, OfferKind.SAVP_KEYS): SRTP,
    (SrtpMode.PREFERRED, OfferKind.AVP_KEYS): SRTP,
    (SrtpMode.PREFERRED, OfferKind.AVP): RTP,
    (SrtpMode.PREFERRED, OfferKind.SAVP_NO_KEYS): "no offered crypto suite is supported",
    (SrtpMode.DISABLED, OfferKind.SAVP_KEYS): "SRTP mode Disabled: RTP/SAVP is not accepted",
    (SrtpMode.DISABLED, OfferKind.SAVP_NO_KEYS): "SRTP mode Disabled: RTP/SAVP is not "
                                                 "accepted",
    (SrtpMode.DISABLED, OfferKind.AVP_KEYS): RTP,
    (SrtpMode.DISABLED, OfferKind.AVP): RTP,
}

#: (site mode, answer has a key) -> SRTP/RTP, or why the offerer must end the call.
ANSWER_ACCEPT_RULES: dict[tuple[SrtpMode, bool], str] = {
    (SrtpMode.ONLY, True): SRTP,
    (SrtpMode.ONLY, False): "SRTP mode Only: the answer has no SRTP key",
    (SrtpMode.PREFERRED, True): SRTP,
    (SrtpMode.PREFERRED, False): RTP,
    (SrtpMode.DISABLED, True): RTP,
    (SrtpMode.DISABLED, False): RTP,
}


def classify_offer(media: MediaDescription, suites: tuple[str, ...] = tuple(c.SUITES)) -> \
        tuple[OfferKind, CryptoAttribute | None]:
    """The offer's kind and the first a=crypto line we can use (RFC 4568 §7.1.1 order)."""
    usable = [a for a in crypto_attributes(media) if _usable(a) and a.suite in suites]
    first = usable[0] if usable else None
    if media.proto == c.PROTO_SAVP:
        return (OfferKind.SAVP_KEYS if first else OfferKind.SAVP_NO_KEYS), first
    return (OfferKind.AVP_KEYS if first else OfferKind.AVP), first


# -- building offers and answers -----------------------------------------------------------------

def _audio_section(local: LocalMedia, proto: str, codecs: list[tuple[int, PayloadFormat]],
                   telephone_event: int | None) -> MediaDescription:
    media = MediaDescription("audio", local.port, proto, [], ptime=local.ptime,
                             direction="sendrecv")
    for pt, fmt in codecs:
        media.formats.append(str(pt))
        media.rtpmap[pt] = RtpMap(fmt.encoding, fmt.clock_rate)
    if telephone_event is not None:
        media.formats.append(str(telephone_event))
        media.rtpmap[telephone_event] = RtpMap(c.TELEPHONE_EVENT.encoding,
                                               c.TELEPHONE_EVENT.clock_rate)
        media.fmtp[telephone_event] = "0-15"
    return media


def _session(local: LocalMedia, media: list[MediaDescription], session_id: int,
             version: int) -> SessionDescription:
    family = "IP6" if ":" in local.address else "IP4"
    return SessionDescription(origin=f"- {session_id} {version} IN {family} {local.address}",
                              connection=local.address, media=media)


def make_offer(mode: SrtpMode, local: LocalMedia, *, session_id: int = 0, version: int = 0,
               random_bytes: Callable[[int], bytes] = os.urandom) -> SessionDescription:
    """Our offer under the site's SRTP mode (OFFER_RULES); one a=crypto per local suite."""
    rule = OFFER_RULES[SrtpMode(mode)]
    media = _audio_section(local, rule.proto, [(f.payload_type, f) for f in local.codecs],
                           local.telephone_event)
    if rule.crypto:
        for tag, suite in enumerate(local.suites, start=1):
            attr = CryptoAttribute.generate(tag, suite, random_bytes=random_bytes)
            media.attributes.append(("crypto", attr.render()))
    return _session(local, [media], session_id, version)


def _same_format(rtpmap: RtpMap | None, fmt: PayloadFormat) -> bool:
    return rtpmap is not None and rtpmap.encoding.lower() == fmt.encoding.lower() \
        and rtpmap.clock_rate == fmt.clock_rate


def _common_codecs(offer: MediaDescription, local: LocalMedia) -> \
        tuple[list[tuple[int, PayloadFormat]], int | None]:
    """(payload type, format) pairs both ends have, and the telephone-event type."""
    offered = [(pt, offer.format_of(pt)) for pt in offer.payload_types]
    common = []
    for pt, rtpmap in offered:
        for fmt in local.codecs:
            if _same_format(rtpmap, fmt):
                common.append((pt, replace(fmt, payload_type=pt)))
                break
    if local.receiver_precedence:
        rank = {f.encoding.lower(): i for i, f in enumerate(local.codecs)}
        common.sort(key=lambda item: rank[item[1].encoding.lower()])
    event = None
    if local.telephone_event is not None:
        event = next((pt for pt, rtpmap in offered if _same_format(rtpmap, c.TELEPHONE_EVENT)),
                     None)
    return common, event


def _first_audio(sdp: SessionDescription) -> int | None:
    return next((i for i, m in enumerate(sdp.media)
                 if m.media == "audio" and m.port != 0
                 and m.proto in (c.PROTO_AVP, c.PROTO_SAVP)), None)


def answer_offer(mode: SrtpMode, offer: SessionDescription, local: LocalMedia, *,
                 session_id: int = 0, version: int = 0,
                 random_bytes: Callable[[int], bytes] = os.urandom) -> \
        tuple[SessionDescription, NegotiatedMedia]:
    """Our answer to an offer under the site's SRTP mode (ANSWER_RULES).

    The first RTP audio stream is answered; every other m= line is declined with
    port 0 (RFC 3264 §6). OfferAnswerError(488) when the mode or the codecs rule
    the offer out, or when the offer is not one this kit can read.
    """
    try:
        return _answer_offer(SrtpMode(mode), offer, local, session_id, version, random_bytes)
    except SdpError as exc:
        raise OfferAnswerError(f"unusable offer: {exc}") from exc


def _answer_offer(mode: SrtpMode, offer: SessionDescription, local: LocalMedia,
                  session_id: int, version: int, random_bytes: Callable[[int], bytes]) -> \
        tuple[SessionDescription, NegotiatedMedia]:
    index = _first_audio(offer)
    if index is None:
        raise OfferAnswerError("the offer has no RTP audio stream")
    theirs = offer.media[index]
    address = offer.connection_of(theirs)
    if address is None:
        raise OfferAnswerError("the offer's audio stream has no c= address")
    kind, their_key = classify_offer(theirs, local.suites)
    outcome = ANSWER_RULES[(mode, kind)]
    if outcome not in (SRTP, RTP):
        raise OfferAnswerError(outcome)
    common, event = _common_codecs(theirs, local)
    if not common:
        raise OfferAnswerError("no common codec: the offer has none of "
                               + ", ".join(f.encoding for f in local.codecs))
    if local.single_codec_answer:
        common = common[:1]
    ours = _audio_section(local, theirs.proto, common, event)
    ours.direction = c.ANSWER_DIRECTION[theirs.direction or "sendrecv"]
    srtp = outcome == SRTP
    local_key = suite = None
    if srtp:
        assert their_key is not None and their_key.known_suite is not None
        suite = their_key.known_suite
        local_key = CryptoAttribute.generate(their_key.tag, suite, random_bytes=random_bytes)
        ours.attributes.append(("crypto", local_key.render()))
    answer_media = [ours if i == index else
                    MediaDescription(m.media, 0, m.proto, list(m.formats))
                    for i, m in enumerate(offer.media)]
    answer = _session(local, answer_media, session_id, version)
    negotiated = NegotiatedMedia(address, theirs.port, common[0][1], event,
                                 theirs.ptime or local.ptime, ours.direction, srtp, suite,
                                 local_key, their_key if srtp else None)
    return answer, negotiated


def accept_answer(mode: SrtpMode, offer: SessionDescription, answer: SessionDescription,
                  local: LocalMedia) -> NegotiatedMedia:
    """The media to use after our `offer` got `answer` (ANSWER_ACCEPT_RULES).

    OfferAnswerError when the answer is unusable; the offerer then ends the call
    (BYE, or CANCEL before the final response). Its status is 488 for a Reason header.
    """
    try:
        return _accept_answer(SrtpMode(mode), offer, answer, local)
    except SdpError as exc:
        raise OfferAnswerError(f"unusable answer: {exc}") from exc


def _accept_answer(mode: SrtpMode, offer: SessionDescription, answer: SessionDescription,
                   local: LocalMedia) -> NegotiatedMedia:
    index = _first_audio(offer)
    if index is None:
        raise OfferAnswerError("our offer has no RTP audio stream")
    if len(answer.media) != len(offer.media):
        raise OfferAnswerError("the answer does not have one m= line per offered one")
    ours, theirs = offer.media[index], answer.media[index]
    if theirs.port == 0:
        raise OfferAnswerError("the answer declined the audio stream")
    if theirs.proto != ours.proto:
        raise OfferAnswerError(f"the answer changed {ours.proto} to {theirs.proto}")
    address = answer.connection_of(theirs)
    if address is None:
        raise OfferAnswerError("the answer's audio stream has no c= address")
    their_keys = crypto_attributes(theirs)
    outcome = ANSWER_ACCEPT_RULES[(mode, bool(their_keys))]
    if outcome not in (SRTP, RTP):
        raise OfferAnswerError(outcome)
    local_key = remote_key = suite = None
    if outcome == SRTP:
        if len(their_keys) != 1:
            raise OfferAnswerError("the answer must carry exactly one a=crypto")
        remote_key = their_keys[0]
        local_key = next((a for a in crypto_attributes(ours) if a.tag == remote_key.tag), None)
        if local_key is None or local_key.suite != remote_key.suite or not _usable(remote_key):
            raise OfferAnswerError(f"the answer's a=crypto tag {remote_key.tag} "
                                   f"({remote_key.suite}) matches none we offered")
        suite = remote_key.known_suite
    common, event = _common_codecs(theirs, local)
    if not common:
        raise OfferAnswerError("the answer has none of the offered codecs")
    offered_event = local.telephone_event is not None and event is not None
    direction = c.ANSWER_DIRECTION[theirs.direction or "sendrecv"]
    return NegotiatedMedia(address, theirs.port, common[0][1], event if offered_event else None,
                           theirs.ptime or local.ptime, direction, outcome == SRTP, suite,
                           local_key, remote_key)
