"""The pcapng writer and reader (sipdect.capture.pcapng): blocks as plain bytes, and every
file the writer can make read back the same (hypothesis)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect.capture import CaptureFormatError, pcapng
from sipdect.capture.pcapng import LinkType


def test_section_header_bytes() -> None:
    data = pcapng.section_header("ab")
    assert data == (
        bytes.fromhex("0a0d0d0a") + struct.pack("<I", 40)
        + bytes.fromhex("4d3c2b1a") + bytes.fromhex("0100" "0000") + b"\xff" * 8
        + struct.pack("<HH", 4, 2) + b"ab\0\0" + struct.pack("<HH", 0, 0)
        + struct.pack("<I", 40))


def test_interface_description_bytes_say_nanoseconds() -> None:
    data = pcapng.interface(LinkType.USER0, "x")
    assert data == (
        struct.pack("<II", 1, 40) + struct.pack("<HHI", 147, 0, 0)
        + struct.pack("<HH", 2, 1) + b"x\0\0\0"
        + struct.pack("<HH", 9, 1) + b"\x09\0\0\0" + struct.pack("<HH", 0, 0)
        + struct.pack("<I", 40))


def test_enhanced_packet_bytes_padded_with_the_timestamp_split() -> None:
    data = pcapng.packet(1, 0x1_0000_0002, b"abcde")
    assert data == (
        struct.pack("<II", 6, 40) + struct.pack("<IIIII", 1, 1, 2, 5, 5) + b"abcde\0\0\0"
        + struct.pack("<I", 40))


def test_decryption_secrets_block_bytes() -> None:
    data = pcapng.decryption_secrets(b"CLIENT_RANDOM a b\n")
    assert data == (
        struct.pack("<II", 10, 40) + struct.pack("<II", 0x544C534B, 18)
        + b"CLIENT_RANDOM a b\n\0\0" + struct.pack("<I", 40))


def test_a_file_reads_back() -> None:
    data = (pcapng.section_header() + pcapng.interface(LinkType.ETHERNET, "lo", snaplen=65535)
            + pcapng.decryption_secrets(b"keys\n")
            + pcapng.packet(0, 1_700_000_000_123_456_789, b"\x01\x02", 60, comment="hi"))
    capture = pcapng.read(data)
    assert [(i.link_type, i.name, i.snaplen, i.tsresol) for i in capture.interfaces] == [
        (1, "lo", 65535, 9)]
    assert capture.secrets == [(pcapng.TLS_KEY_LOG, b"keys\n")]
    (packet,) = capture.packets
    assert (packet.timestamp_ns, packet.data, packet.original_length, packet.comment,
            packet.link_type) == (1_700_000_000_123_456_789, b"\x01\x02", 60, "hi", 1)
    assert not capture.truncated


def test_microsecond_and_big_endian_files_as_other_writers_make_them() -> None:
    """dumpcap writes microseconds by default; a big-endian host writes its own order."""
    def block(block_type: int, body: bytes) -> bytes:
        body += bytes(-len(body) % 4)
        return struct.pack(">II", block_type, len(body) + 12) + body + struct.pack(
            ">I", len(body) + 12)
    data = (block(0x0A0D0D0A, struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1))
            + block(1, struct.pack(">HHI", 1, 0, 0))
            + block(6, struct.pack(">IIIII", 0, 0, 1_500_000, 1, 1) + b"z"))
    (packet,) = pcapng.read(data).packets
    assert packet.timestamp_ns == 1_500_000_000 and packet.data == b"z"


def test_a_block_cut_short_at_the_end_is_left_out() -> None:
    data = (pcapng.section_header() + pcapng.interface(LinkType.USER0, "l")
            + pcapng.packet(0, 1, b"one"))
    capture = pcapng.read(data + pcapng.packet(0, 2, b"two")[:-5])
    assert [p.data for p in capture.packets] == [b"one"] and capture.truncated


@pytest.mark.parametrize("data, why", [
    (b"\x01\x00\x00\x00" + bytes(8), "no section header"),
    (pcapng.section_header()[:8] + b"\0\0\0\0" + pcapng.section_header()[12:], "magic"),
    (pcapng.section_header() + struct.pack("<II", 6, 13) + bytes(5), "not a block length"),
    (pcapng.section_header() + pcapng.packet(0, 0, b""), "never described"),
    (pcapng.section_header() + struct.pack("<II", 1, 16) + bytes(4) + struct.pack("<I", 20),
     "lengths differ"),
])
def test_what_is_not_pcapng_is_refused_with_the_reason(data: bytes, why: str) -> None:
    with pytest.raises(CaptureFormatError, match=why):
        pcapng.read(data)


packets = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 2**64 - 1),
                             st.binary(max_size=300), st.text(max_size=20)), max_size=20)


@given(packets, st.binary(max_size=200), st.text(max_size=30))
def test_round_trip(items: list[tuple[int, int, bytes, str]], secrets: bytes,
                    name: str) -> None:
    data = (pcapng.section_header() + pcapng.interface(LinkType.USER0, name or "a")
            + pcapng.interface(LinkType.USER1, "b")
            + (pcapng.decryption_secrets(secrets) if secrets else b"")
            + b"".join(pcapng.packet(i, t, d, comment=c) for i, t, d, c in items))
    capture = pcapng.read(data)
    assert capture.interfaces[0].name == (name or "a")
    assert [(p.interface_id, p.timestamp_ns, p.data, p.comment) for p in capture.packets] == [
        (i, t, d, c) for i, t, d, c in items]
    assert capture.secrets == ([(pcapng.TLS_KEY_LOG, secrets)] if secrets else [])


@given(st.binary(max_size=400))
def test_the_reader_raises_only_its_own_error(data: bytes) -> None:
    head = pcapng.section_header() + pcapng.interface(LinkType.USER0, "a")
    for candidate in (data, head + data):
        try:
            pcapng.read(candidate)
        except CaptureFormatError:
            pass
