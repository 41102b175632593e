"""RFC 4568 a=crypto lines and the offer/answer of a site under its SRTP mode
(seed 000 "Media Encryption")."""

from __future__ import annotations

import base64
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect.media import constants as c
from sipdect.media.constants import SrtpMode
from sipdect.media.errors import OfferAnswerError, SdpError
from sipdect.media.sdes import (
    ANSWER_ACCEPT_RULES,
    ANSWER_RULES,
    OFFER_RULES,
    CryptoAttribute,
    LocalMedia,
    OfferKind,
    accept_answer,
    answer_offer,
    classify_offer,
    crypto_attributes,
    make_offer,
)
from sipdect.media.sdp import MediaDescription, SessionDescription

KEY_B64 = "wzuO3V7lDv33DiB2/jtGV1EenE8tv1ao3yKZb3Qy"  # ecosystem.md §2
KEY = base64.b64decode(KEY_B64)


# -- a=crypto ------------------------------------------------------------------------------------

def test_parse_the_surveyed_lines() -> None:
    attr = CryptoAttribute.parse(f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}")
    assert (attr.tag, attr.suite, attr.key) == (1, "AES_CM_128_HMAC_SHA1_80", KEY)
    assert attr.master_key == KEY[:16] and attr.master_salt == KEY[16:]
    assert attr.known_suite is c.AES_CM_128_HMAC_SHA1_80
    assert attr.render() == f"1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}"
    assert attr.line() == f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}"

    full = CryptoAttribute.parse(f"2 AES_CM_128_HMAC_SHA1_32 inline:{KEY_B64}|2^31|1:1")
    assert (full.lifetime, full.mki, full.mki_length) == (1 << 31, 1, 1)
    assert full.render() == f"2 AES_CM_128_HMAC_SHA1_32 inline:{KEY_B64}|2^31|1:1"


def test_lifetime_and_mki_forms() -> None:
    assert CryptoAttribute.parse(f"crypto:3 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}|1000")\
        .lifetime == 1000
    only_mki = CryptoAttribute.parse(f"3 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}|258:2")
    assert (only_mki.lifetime, only_mki.mki, only_mki.mki_length) == (None, 258, 2)
    params = CryptoAttribute.parse(
        f"4 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64} KDR=1 FEC_ORDER=FEC_SRTP")
    assert params.session_params == ("KDR=1", "FEC_ORDER=FEC_SRTP")
    assert params.render().endswith(" KDR=1 FEC_ORDER=FEC_SRTP")


def test_key_is_not_in_repr() -> None:
    assert KEY_B64 not in repr(CryptoAttribute(1, "AES_CM_128_HMAC_SHA1_80", KEY))
    assert repr(KEY) not in repr(CryptoAttribute(1, "AES_CM_128_HMAC_SHA1_80", KEY))


def test_unknown_suites_parse_so_they_can_be_skipped() -> None:
    attr = CryptoAttribute.parse("1 AEAD_AES_256_GCM inline:" + base64.b64encode(bytes(44))
                                 .decode())
    assert attr.known_suite is None and len(attr.key) == 44


@pytest.mark.parametrize("text", [
    "", "a=crypto:", "1 AES_CM_128_HMAC_SHA1_80", "0 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64,
    "x AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64,
    "1 AES_CM_128_HMAC_SHA1_80 uri:http://x",
    "1 AES_CM_128_HMAC_SHA1_80 inline:",
    "1 AES_CM_128_HMAC_SHA1_80 inline:not*base64",
    "1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64[:-4],            # 27 octets
    "1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64 + "|2^49",       # longer than 2^48
    "1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64 + "|1:0",        # MKI length 0
    "1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64 + "|256:1",      # MKI too big
    "1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64 + "|1:1|2^31",   # MKI before lifetime
    "1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64 + "|2^20|2^31",
    "1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64 + "|x",
    "1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64 + "|1|1:1|1",
    "1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64 + ";inline:" + KEY_B64,
    "١ AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64,                 # not an ASCII digit
])
def test_malformed_crypto(text: str) -> None:
    with pytest.raises(SdpError):
        CryptoAttribute.parse(text)


def test_generate() -> None:
    attr = CryptoAttribute.generate(5, "AES_CM_128_HMAC_SHA1_32", random_bytes=bytes)
    assert attr == CryptoAttribute(5, "AES_CM_128_HMAC_SHA1_32", bytes(30))
    assert len(attr.render().split("inline:")[1]) == 40
    with pytest.raises(SdpError):
        CryptoAttribute.generate(1, "F8_128_HMAC_SHA1_80")


crypto_lines = st.builds(
    CryptoAttribute, st.integers(1, 999_999_999), st.sampled_from(list(c.SUITES)),
    st.binary(min_size=30, max_size=30),
    st.none() | st.integers(0, 48).map(lambda e: 1 << e) | st.integers(1, 10**12),
    st.none(), st.none(),
    st.lists(st.sampled_from(["KDR=1", "UNENCRYPTED_SRTP", "WSH=64"]), max_size=2).map(tuple))


@given(crypto_lines, st.none() | st.tuples(st.integers(1, 4), st.integers(0, 2**32 - 1)))
def test_crypto_round_trip(attr: CryptoAttribute, mki: tuple[int, int] | None) -> None:
    if mki is not None:
        length = mki[0]
        attr = CryptoAttribute(attr.tag, attr.suite, attr.key, attr.lifetime,
                               mki[1] % (1 << (8 * length)), length, attr.session_params)
    assert CryptoAttribute.parse(attr.line()) == attr


@given(st.text(max_size=120))
def test_crypto_fuzz(text: str) -> None:
    try:
        CryptoAttribute.parse(text)
    except SdpError:
        pass


@given(st.text(st.sampled_from("0123456789|:^ inlAES_CM_128_HMAC_SHA1_80wzuO3V7l=+/"),
               max_size=120))
def test_crypto_fuzz_near_grammar(text: str) -> None:
    try:
        CryptoAttribute.parse("1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B64 + text)
    except SdpError:
        pass


# -- offers per mode -----------------------------------------------------------------------------

A = LocalMedia("127.0.0.1", 4000)
B = LocalMedia("127.0.0.1", 5000)


def _audio(sdp: SessionDescription) -> MediaDescription:
    return sdp.media[0]


def test_offer_rules_are_the_seed_sentences() -> None:
    only = _audio(make_offer(SrtpMode.ONLY, A))
    preferred = _audio(make_offer(SrtpMode.PREFERRED, A))
    disabled = _audio(make_offer(SrtpMode.DISABLED, A))
    # Only: "the audio part of the SDP contains RTP/SAVP".
    assert only.proto == "RTP/SAVP" and len(crypto_attributes(only)) == 2
    # Preferred: "initiated as secured ... (the audio part of the SDP contain RTP/AVP)".
    assert preferred.proto == "RTP/AVP" and len(crypto_attributes(preferred)) == 2
    # Disabled: "Only RTP calls will be initiated as not ciphered".
    assert disabled.proto == "RTP/AVP" and crypto_attributes(disabled) == []
    assert {m: (r.proto, r.crypto) for m, r in OFFER_RULES.items()} == {
        SrtpMode.ONLY: ("RTP/SAVP", True), SrtpMode.PREFERRED: ("RTP/AVP", True),
        SrtpMode.DISABLED: ("RTP/AVP", False)}


def test_offer_contents() -> None:
    offer = make_offer("Only", A, session_id=7, version=1)  # AXI spelling works too
    audio = _audio(offer)
    assert offer.origin == "- 7 1 IN IP4 127.0.0.1" and offer.connection == "127.0.0.1"
    assert audio.payload_types == [8, 0, 101] and audio.ptime == 20
    assert audio.fmtp[101] == "0-15" and audio.direction == "sendrecv"
    tags = [(a.tag, a.suite) for a in crypto_attributes(audio)]
    assert tags == [(1, "AES_CM_128_HMAC_SHA1_80"), (2, "AES_CM_128_HMAC_SHA1_32")]
    keys = {a.key for a in crypto_attributes(audio)}
    assert len(keys) == 2  # a fresh key per line


# -- answers: the full mode x offer matrix -------------------------------------------------------

def _offer(proto: str, crypto: list[str]) -> SessionDescription:
    body = ("v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
            f"m=audio 6000 {proto} 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
            + "".join(f"a=crypto:{line}\r\n" for line in crypto))
    return SessionDescription.parse(body)


GOOD = [f"1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}"]
UNUSABLE = ["1 AEAD_AES_256_GCM inline:" + base64.b64encode(bytes(44)).decode(),
            f"2 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64} UNENCRYPTED_SRTP"]
OFFERS = {
    OfferKind.SAVP_KEYS: _offer("RTP/SAVP", GOOD),
    OfferKind.SAVP_NO_KEYS: _offer("RTP/SAVP", UNUSABLE),
    OfferKind.AVP_KEYS: _offer("RTP/AVP", GOOD),
    OfferKind.AVP: _offer("RTP/AVP", []),
}

# Which combinations succeed (and with what), which are refused with 488.
MATRIX = {
    (SrtpMode.ONLY, OfferKind.SAVP_KEYS): "SRTP",
    (SrtpMode.ONLY, OfferKind.AVP_KEYS): "SRTP",
    (SrtpMode.ONLY, OfferKind.AVP): 488,
    (SrtpMode.ONLY, OfferKind.SAVP_NO_KEYS): 488,
    (SrtpMode.PREFERRED, OfferKind.SAVP_KEYS): "SRTP",
    (SrtpMode.PREFERRED, OfferKind.AVP_KEYS): "SRTP",
    (SrtpMode.PREFERRED, OfferKind.AVP): "RTP",
    (SrtpMode.PREFERRED, OfferKind.SAVP_NO_KEYS): 488,
    (SrtpMode.DISABLED, OfferKind.SAVP_KEYS): 488,
    (SrtpMode.DISABLED, OfferKind.SAVP_NO_KEYS): 488,
    (SrtpMode.DISABLED, OfferKind.AVP_KEYS): "RTP",
    (SrtpMode.DISABLED, OfferKind.AVP): "RTP",
}


def test_the_table_is_complete() -> None:
    assert set(ANSWER_RULES) == set(itertools.product(SrtpMode, OfferKind)) == set(MATRIX)
    assert set(ANSWER_ACCEPT_RULES) == set(itertools.product(SrtpMode, (True, False)))
    for kind, offer in OFFERS.items():
        assert classify_offer(offer.media[0])[0] is kind


@pytest.mark.parametrize(("mode", "kind"), sorted(MATRIX))
def test_answer_matrix(mode: SrtpMode, kind: OfferKind) -> None:
    expected = MATRIX[(mode, kind)]
    if expected == 488:
        with pytest.raises(OfferAnswerError) as err:
            answer_offer(mode, OFFERS[kind], B)
        assert err.value.status == c.SIP_NOT_ACCEPTABLE_HERE
        return
    answer, media = answer_offer(mode, OFFERS[kind], B)
    audio = _audio(answer)
    assert audio.proto == OFFERS[kind].media[0].proto  # RFC 3264: same transport
    keys = crypto_attributes(audio)
    if expected == "SRTP":
        assert media.srtp and len(keys) == 1 and keys[0].tag == 1
        assert media.remote_key is not None and media.remote_key.key == KEY
        assert media.local_key == keys[0] and media.local_key.key != KEY
    else:
        assert not media.srtp and keys == [] and media.local_key is None
    assert (media.remote_address, media.remote_port) == ("192.0.2.9", 6000)


def test_only_rejects_a_peer_without_srtp_with_a_clear_reason() -> None:
    with pytest.raises(OfferAnswerError, match="Only") as err:
        answer_offer(SrtpMode.ONLY, OFFERS[OfferKind.AVP], B)
    assert err.value.status == 488


def test_disabled_rejects_savp_with_a_clear_reason() -> None:
    with pytest.raises(OfferAnswerError, match="Disabled"):
        answer_offer(SrtpMode.DISABLED, OFFERS[OfferKind.SAVP_KEYS], B)


def test_answer_picks_the_first_usable_crypto_line() -> None:
    offer = _offer("RTP/SAVP", [*UNUSABLE, f"7 AES_CM_128_HMAC_SHA1_32 inline:{KEY_B64}",
                                f"8 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}"])
    answer, media = answer_offer(SrtpMode.ONLY, offer, B)
    (key,) = crypto_attributes(_audio(answer))
    assert (key.tag, key.suite) == (7, "AES_CM_128_HMAC_SHA1_32")
    assert media.suite is c.AES_CM_128_HMAC_SHA1_32
    # A site limited to the 80-bit tag takes tag 8 instead.
    _, media80 = answer_offer(SrtpMode.ONLY, offer,
                              LocalMedia("127.0.0.1", 1, suites=("AES_CM_128_HMAC_SHA1_80",)))
    assert media80.local_key is not None and media80.local_key.tag == 8


# -- accepting answers: all nine mode pairs end to end ------------------------------------------

@pytest.mark.parametrize(("offerer", "answerer"), list(itertools.product(SrtpMode, SrtpMode)))
def test_two_sites_negotiate(offerer: SrtpMode, answerer: SrtpMode) -> None:
    offer = make_offer(offerer, A)
    wire_offer = SessionDescription.parse(offer.render())
    if (offerer, answerer) in {(SrtpMode.DISABLED, SrtpMode.ONLY),
                               (SrtpMode.ONLY, SrtpMode.DISABLED)}:
        with pytest.raises(OfferAnswerError) as err:
            answer_offer(answerer, wire_offer, B)
        assert err.value.status == 488
        return
    answer, theirs = answer_offer(answerer, wire_offer, B)
    ours = accept_answer(offerer, offer, SessionDescription.parse(answer.render()), A)
    secured = SrtpMode.DISABLED not in (offerer, answerer)
    assert ours.srtp is theirs.srtp is secured
    if secured:
        assert ours.local_key == theirs.remote_key and ours.remote_key == theirs.local_key
        assert ours.suite is theirs.suite is c.AES_CM_128_HMAC_SHA1_80
    assert ours.codec == theirs.codec == c.PCMA
    assert ours.telephone_event == theirs.telephone_event == 101
    assert (ours.remote_port, theirs.remote_port) == (5000, 4000)


def _answer_to(offer: SessionDescription, proto: str, crypto: list[str], port: int = 5000,
               formats: str = "8 101") -> SessionDescription:
    return SessionDescription.parse(
        f"v=0\r\no=- 2 2 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n"
        f"m=audio {port} {proto} {formats}\r\na=rtpmap:101 telephone-event/8000\r\n"
        "a=recvonly\r\n" + "".join(f"a=crypto:{line}\r\n" for line in crypto))


def test_only_offerer_ends_the_call_on_a_plain_answer() -> None:
    offer = make_offer(SrtpMode.ONLY, A)
    with pytest.raises(OfferAnswerError, match="Only"):
        accept_answer(SrtpMode.ONLY, offer, _answer_to(offer, "RTP/SAVP", []), A)


def test_preferred_offerer_falls_back_to_rtp() -> None:
    offer = make_offer(SrtpMode.PREFERRED, A)
    media = accept_answer(SrtpMode.PREFERRED, offer, _answer_to(offer, "RTP/AVP", []), A)
    assert not media.srtp and media.direction == "sendonly"


def test_disabled_offerer_ignores_an_unasked_key() -> None:
    offer = make_offer(SrtpMode.DISABLED, A)
    answer = _answer_to(offer, "RTP/AVP", GOOD)
    assert not accept_answer(SrtpMode.DISABLED, offer, answer, A).srtp


@pytest.mark.parametrize(("proto", "crypto", "port", "formats", "reason"), [
    ("RTP/SAVP", GOOD, 0, "8 101", "declined"),
    ("RTP/AVP", GOOD, 5000, "8 101", "changed"),
    ("RTP/SAVP", [f"9 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}"], 5000, "8 101", "matches none"),
    ("RTP/SAVP", [f"1 AES_CM_128_HMAC_SHA1_32 inline:{KEY_B64}"], 5000, "8 101", "matches none"),
    ("RTP/SAVP", GOOD * 2, 5000, "8 101", "exactly one"),
    ("RTP/SAVP", GOOD, 5000, "18", "codecs"),
    ("RTP/SAVP", ["1 AES_CM_128_HMAC_SHA1_80 inline:short"], 5000, "8", "unusable answer"),
])
def test_bad_answers(proto: str, crypto: list[str], port: int, formats: str,
                     reason: str) -> None:
    offer = make_offer(SrtpMode.ONLY, A)
    with pytest.raises(OfferAnswerError, match=reason):
        accept_answer(SrtpMode.ONLY, offer, _answer_to(offer, proto, crypto, port, formats), A)


def test_answer_with_a_different_number_of_streams() -> None:
    offer = make_offer(SrtpMode.DISABLED, A)
    answer = _answer_to(offer, "RTP/AVP", [])
    answer.media.append(MediaDescription("video", 0, "RTP/AVP", ["96"]))
    with pytest.raises(OfferAnswerError, match="one m= line"):
        accept_answer(SrtpMode.DISABLED, offer, answer, A)


# -- codecs and streams in the answer ------------------------------------------------------------

def test_codec_choice_follows_the_offer_unless_receiver_precedence() -> None:
    offer = _offer("RTP/AVP", [])  # offers PCMU (0) then PCMA (8)
    answer, media = answer_offer(SrtpMode.DISABLED, offer, B)
    assert _audio(answer).payload_types == [0, 8, 101] and media.codec == c.PCMU
    mine = LocalMedia("127.0.0.1", 5000, receiver_precedence=True, single_codec_answer=True)
    answer, media = answer_offer(SrtpMode.DISABLED, offer, mine)
    assert _audio(answer).payload_types == [8, 101] and media.codec == c.PCMA


def test_dynamic_g722_and_telephone_event_payload_types_are_the_offerers() -> None:
    offer = SessionDescription.parse(
        "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 7000 RTP/AVP 9 96\r\n"
        "a=rtpmap:96 telephone-event/8000\r\na=ptime:30\r\na=sendonly\r\n")
    wide = LocalMedia("10.0.0.2", 7002, codecs=(c.G722, c.PCMA))
    answer, media = answer_offer(SrtpMode.PREFERRED, offer, wide)
    assert media.codec == c.G722 and media.telephone_event == 96 and media.ptime == 30
    assert media.direction == "recvonly" and _audio(answer).direction == "recvonly"


def test_no_common_codec_is_488() -> None:
    offer = SessionDescription.parse("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 7000 RTP/AVP 18\r\n")
    with pytest.raises(OfferAnswerError, match="no common codec") as err:
        answer_offer(SrtpMode.PREFERRED, offer, B)
    assert err.value.status == 488


def test_other_streams_are_declined_and_the_audio_one_answered() -> None:
    offer = SessionDescription.parse(
        "v=0\r\nc=IN IP4 10.0.0.1\r\nm=video 7002 RTP/AVP 96\r\nm=audio 0 RTP/AVP 0\r\n"
        "m=audio 7000 RTP/AVP 8\r\n")
    answer, media = answer_offer(SrtpMode.PREFERRED, offer, B)
    assert [m.port for m in answer.media] == [0, 0, 5000]
    assert media.remote_port == 7000


@pytest.mark.parametrize("body", [
    "v=0\r\nm=video 7002 RTP/AVP 96\r\n",
    "v=0\r\nm=audio 7000 RTP/AVP 8\r\n",  # no c=
    "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 7000 RTP/AVP PCMA\r\n",
    "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 7000 RTP/AVP 8\r\na=crypto:bad\r\n",
])
def test_unusable_offers_are_488(body: str) -> None:
    with pytest.raises(OfferAnswerError) as err:
        answer_offer(SrtpMode.PREFERRED, SessionDescription.parse(body), B)
    assert err.value.status == 488


@given(st.text(max_size=200), st.sampled_from(list(SrtpMode)))
def test_answering_fuzzed_offers_raises_only_offer_answer_errors(body: str,
                                                                 mode: SrtpMode) -> None:
    try:
        offer = SessionDescription.parse("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 1 RTP/AVP 8\r\n"
                                         + body)
    except SdpError:
        return
    try:
        answer_offer(mode, offer, B)
    except OfferAnswerError:
        pass
