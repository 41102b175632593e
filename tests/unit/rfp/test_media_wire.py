"""The emulator's additions to the MEDIA wire (sipdect.link.media): the SRTP block in the MEDIA_CONF
tail and on MEDIA_REDIRECT_START, the telephone-event payload type in the codec area, G.722.

The spec's MEDIA_CONF vector (omm-rfp.md §4.8) must keep decoding and encoding byte for byte.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect.link import constants as c
from sipdect.link.errors import LinkProtocolError, LinkValueError
from sipdect.link.media import (
    CODEC_ENCODINGS,
    CODEC_G722,
    MEDIA_CONF_TAIL_LENGTH,
    SRTP_BLOCK_OFFSET,
    SRTP_SUITE_CODES,
    MediaCodec,
    MediaConf,
    MediaRedirectStart,
    SrtpBlock,
    codec_area_spare,
    conf_tail,
)

VECTOR_TAIL = bytes.fromhex("030100007d85a30e") + bytes(68)

keys = st.binary(min_size=30, max_size=30)
blocks = st.builds(SrtpBlock, st.sampled_from(sorted(SRTP_SUITE_CODES.values())), keys, keys)


def spec_conf(**changes: object) -> MediaConf:
    fields: dict[str, object] = dict(
        handle=0x1234, codecs=(MediaCodec(c.Codec.G711_ALAW, 8, 8),), mcei=2, ppn=0x0EA3,
        local_rtp_port=16326, local_rtcp_port=16327,
        rx_address=ipaddress.IPv4Address("172.20.23.2"), rx_port1=10922, rx_port2=10923,
        tx_address=ipaddress.IPv4Address("172.20.23.2"), tx_port1=10922, tx_port2=10923,
        reserved3=bytes.fromhex("01013c00"), tail=VECTOR_TAIL)
    fields.update(changes)
    return MediaConf(**fields)  # type: ignore[arg-type]


def test_the_spec_vector_reads_as_plain_rtp_without_telephone_events() -> None:
    conf = spec_conf()
    data = conf.encode()
    assert len(data) == 168 and data[92:100] == bytes.fromhex("030100007d85a30e")
    again = MediaConf.decode(data)
    assert again == conf and again.encode() == data
    assert again.srtp is None and again.dtmf_payload_type is None


def test_the_vector_codec_area_6565_reads_as_telephone_event_101() -> None:
    spare = bytes(46) + bytes.fromhex("6565")
    conf = spec_conf(codec_spare=spare)
    data = conf.encode()
    assert data[60:62] == bytes.fromhex("6565")
    assert MediaConf.decode(data).dtmf_payload_type == 101
    assert codec_area_spare(1, 101) == spare and codec_area_spare(1, None) == b""


def test_srtp_block_sits_after_the_vector_octets_of_the_tail() -> None:
    block = SrtpBlock("AES_CM_128_HMAC_SHA1_32", bytes(range(30)), bytes(range(30, 60)))
    tail = conf_tail(block, VECTOR_TAIL)
    assert len(tail) == MEDIA_CONF_TAIL_LENGTH
    assert tail[:SRTP_BLOCK_OFFSET] == VECTOR_TAIL[:8]
    assert tail[8:10] == bytes([1, 2]) and tail[10:40] == bytes(range(30))
    assert tail[40:70] == bytes(range(30, 60)) and tail[70:] == bytes(6)
    data = spec_conf(tail=tail).encode()
    assert len(data) == 168 and MediaConf.decode(data).srtp == block
    assert conf_tail(None, VECTOR_TAIL) == VECTOR_TAIL


def test_malformed_srtp_blocks_are_protocol_errors() -> None:
    for tail in (bytes(8) + b"\x02" + bytes(67), bytes(8) + b"\x01\x09" + bytes(66),
                 bytes(8) + b"\x01\x01" + bytes(10)):
        with pytest.raises(LinkProtocolError):
            _ = spec_conf(tail=tail).srtp
    with pytest.raises(LinkValueError):
        SrtpBlock("NULL_HMAC_SHA1_80", bytes(30), bytes(30)).to_bytes()
    with pytest.raises(LinkValueError):
        SrtpBlock("AES_CM_128_HMAC_SHA1_80", bytes(16), bytes(30)).to_bytes()


def test_redirect_start_keeps_its_spec_layout_and_carries_the_block_as_a_tail() -> None:
    plain = MediaRedirectStart(7, bytes(2), 16330, 16331, ipaddress.IPv4Address("10.0.0.9"),
                               16400, 16401, 0)
    data = plain.encode()
    assert len(data) == 24 and data[8:10] == (16330).to_bytes(2, "big")
    assert MediaRedirectStart.decode(data) == plain and plain.srtp is None
    block = SrtpBlock("AES_CM_128_HMAC_SHA1_80", bytes([1]) * 30, bytes([2]) * 30)
    keyed = MediaRedirectStart(7, bytes(2), 16330, 16331, ipaddress.IPv4Address("10.0.0.9"),
                               16400, 16401, 0, block.to_bytes())
    again = MediaRedirectStart.decode(keyed.encode())
    assert again == keyed and isinstance(again, MediaRedirectStart) and again.srtp == block


def test_g722_has_a_codec_id_of_its_own() -> None:
    assert CODEC_ENCODINGS[CODEC_G722] == "G722"
    assert CODEC_G722 not in {int(x) for x in c.Codec}


@given(blocks)
def test_srtp_block_round_trip(block: SrtpBlock) -> None:
    assert SrtpBlock.from_bytes(block.to_bytes()) == block


@given(st.one_of(st.none(), blocks), st.binary(min_size=8, max_size=8),
       st.one_of(st.none(), st.integers(96, 127)), st.integers(0, 0xFFFF))
def test_media_conf_with_srtp_and_dtmf_round_trip(block: SrtpBlock | None, head: bytes,
                                                  dtmf_pt: int | None, handle: int) -> None:
    conf = spec_conf(handle=handle, tail=conf_tail(block, head + bytes(68)),
                     codec_spare=codec_area_spare(1, dtmf_pt))
    again = MediaConf.decode(conf.encode())
    assert again == conf
    assert again.srtp == block and again.dtmf_payload_type == dtmf_pt
    assert again.tail[:8] == head


@given(st.one_of(st.none(), blocks), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_redirect_start_round_trip(block: SrtpBlock | None, port: int, handle: int) -> None:
    message = MediaRedirectStart(handle, bytes(2), port, port, ipaddress.IPv4Address("1.2.3.4"),
                                 port, port, 5, block.to_bytes() if block else b"")
    again = MediaRedirectStart.decode(message.encode())
    assert again == message and again.srtp == block
