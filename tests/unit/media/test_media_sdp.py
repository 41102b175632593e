"""The minimal SDP codec: plain bodies, round trips and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect.media.errors import SdpError
from sipdect.media.sdp import MediaDescription, RtpMap, SessionDescription

# Shaped like baresip's SRTP offer in the ecosystem survey (ecosystem.md §1b).
BARESIP = (
    "v=0\r\n"
    "o=- 1306476052 3398113226 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "a=tool:baresip\r\n"
    "m=audio 30200 RTP/SAVP 8 0 101\r\n"
    "b=AS:64\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-rsize\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:wzuO3V7lDv33DiB2/jtGV1EenE8tv1ao3yKZb3Qy\r\n"
)


def test_parse_an_srtp_offer() -> None:
    sdp = SessionDescription.parse(BARESIP)
    assert sdp.origin == "- 1306476052 3398113226 IN IP4 127.0.0.1"
    assert sdp.connection == "127.0.0.1" and sdp.attributes == [("tool", "baresip")]
    (audio,) = sdp.media
    assert (audio.media, audio.port, audio.proto) == ("audio", 30200, "RTP/SAVP")
    assert audio.payload_types == [8, 0, 101]
    assert audio.rtpmap[101] == RtpMap("telephone-event", 8000)
    assert audio.fmtp == {101: "0-15"} and audio.ptime == 20 and audio.direction == "sendrecv"
    assert audio.attribute("crypto") == [
        "1 AES_CM_128_HMAC_SHA1_80 inline:wzuO3V7lDv33DiB2/jtGV1EenE8tv1ao3yKZb3Qy"]
    assert audio.attributes[0] == ("rtcp-rsize", None)
    assert audio.other_lines == ["b=AS:64"]
    assert sdp.connection_of(audio) == "127.0.0.1"


def test_render_round_trip_is_byte_identical() -> None:
    assert SessionDescription.parse(BARESIP).render() == BARESIP
    assert SessionDescription.parse(BARESIP.encode()).encode() == BARESIP.encode()


def test_static_payload_types_without_rtpmap_and_bare_lf() -> None:
    sdp = SessionDescription.parse("v=0\no=- 1 1 IN IP6 ::1\ns=x\nt=0 0\n"
                                   "m=audio 4000 RTP/AVP 0 8 9\nc=IN IP6 ::1\n")
    audio = sdp.media[0]
    assert audio.connection == "::1" and sdp.connection is None
    assert audio.format_of(9) == RtpMap("G722", 8000)
    assert audio.format_of(8) == RtpMap("PCMA", 8000)
    assert audio.format_of(96) is None
    assert "c=IN IP6 ::1" in sdp.render()


def test_non_rtp_formats_are_kept() -> None:
    sdp = SessionDescription.parse("v=0\r\nm=image 0 udptl t38\r\n")
    assert sdp.media[0].formats == ["t38"]
    with pytest.raises(SdpError):
        _ = sdp.media[0].payload_types


@pytest.mark.parametrize("body", [
    "", "o=- 0 0 IN IP4 1.2.3.4\r\n", "v=0\r\nbogus\r\n", "v=0\r\nm=audio\r\n",
    "v=0\r\nm=audio 70000 RTP/AVP 0\r\n", "v=0\r\nm=audio x RTP/AVP 0\r\n",
    "v=0\r\nc=IN IP4\r\n", "v=0\r\nc=ATM NSAP 1\r\n", "v=0\r\nc=IN IP4 a b\r\n",
    "v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
    "v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:x PCMU/8000\r\n",
    "v=0\r\nm=audio 1 RTP/AVP 0\r\na=ptime:²\r\n",
    "v=0\r\nc=IN IP4 bad_host!\r\n", "v=0\r\nc=IN IP4 hôte\r\n",
])
def test_malformed_bodies(body: str) -> None:
    with pytest.raises(SdpError):
        SessionDescription.parse(body)


def test_not_utf8() -> None:
    with pytest.raises(SdpError):
        SessionDescription.parse(b"v=0\r\ns=\xff\r\n")


tokens = st.text(st.sampled_from("abcdefgh0123456789-."), min_size=1, max_size=8)
media_sections = st.builds(
    MediaDescription, st.just("audio"), st.integers(0, 65535),
    st.sampled_from(["RTP/AVP", "RTP/SAVP"]),
    st.lists(st.integers(0, 127).map(str), min_size=1, max_size=4),
    st.none() | st.just("10.0.0.1"),
    st.dictionaries(st.integers(0, 127), st.builds(
        RtpMap, st.sampled_from(["PCMA", "PCMU", "G722", "telephone-event"]),
        st.sampled_from([8000, 16000]), st.none() | st.just(1)), max_size=3),
    st.dictionaries(st.integers(0, 127), tokens, max_size=2),
    st.none() | st.integers(10, 60),
    st.none() | st.sampled_from(["sendrecv", "sendonly", "recvonly", "inactive"]),
    st.lists(st.tuples(st.sampled_from(["crypto", "rtcp", "x-foo"]), st.none() | tokens),
             max_size=3))


@given(st.lists(media_sections, max_size=3), st.none() | st.just("192.0.2.1"))
def test_sdp_round_trip(media: list[MediaDescription], connection: str | None) -> None:
    sdp = SessionDescription(origin="- 1 2 IN IP4 192.0.2.1", connection=connection,
                             media=media)
    again = SessionDescription.parse(sdp.render())
    assert again == sdp


@given(st.text(max_size=300))
def test_sdp_fuzz_text(body: str) -> None:
    try:
        SessionDescription.parse("v=0\r\n" + body)
    except SdpError:
        pass


@given(st.binary(max_size=300))
def test_sdp_fuzz_bytes(body: bytes) -> None:
    try:
        SessionDescription.parse(b"v=0\n" + body)
    except SdpError:
        pass
