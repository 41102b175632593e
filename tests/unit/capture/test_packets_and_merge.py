"""Loopback packets read back (sipdect.capture.packets), the capture's filter and the merge of
a run's files into one (sipdect.capture.run), the link streams `sipdect decode` follows, and
the shipped Lua dissector (sipdect.capture.lua)."""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sipdect.capture import LinkRecord, LinkType, Recorder, capture_filter, merge, pcapng
from sipdect.capture.decode import link_records, link_streams
from sipdect.capture.lua import render
from sipdect.capture.packets import TcpStreams, parse_ethernet
from sipdect.capture.run import PacketFilter
from sipdect.link import constants as c
from sipdect.link.messages import LinkMessage

ROOT = Path(__file__).resolve().parents[3]


def frame(src: tuple[str, int], dst: tuple[str, int], payload: bytes, *, udp: bool = False,
          seq: int = 0, flags: int = 0x18) -> bytes:
    """An Ethernet frame as `lo` shows it: zero MACs, IPv4, TCP (or UDP)."""
    if udp:
        transport = struct.pack(">HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    else:
        transport = struct.pack(">HHIIBBHHH", src[1], dst[1], seq, 0, 5 << 4, flags, 65535,
                                0, 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(transport), 0, 0x4000, 64,
                     17 if udp else 6, 0, ipaddress.IPv4Address(src[0]).packed,
                     ipaddress.IPv4Address(dst[0]).packed)
    return bytes(12) + b"\x08\x00" + ip + transport


A, B = ("127.10.0.2", 40000), ("127.0.0.1", 16321)


def test_tcp_and_udp_segments_are_read() -> None:
    tcp = parse_ethernet(frame(A, B, b"hello", seq=7))
    assert tcp is not None and (tcp.protocol, tcp.src, tcp.dst, tcp.payload, tcp.seq) == (
        6, A, B, b"hello", 7)
    udp = parse_ethernet(frame(A, B, b"rtp", udp=True))
    assert udp is not None and (udp.protocol, udp.payload) == (17, b"rtp")
    assert parse_ethernet(bytes(12) + b"\x86\xdd" + bytes(40)) is None  # IPv6: not followed


@given(st.binary(max_size=100))
def test_any_bytes_parse_or_give_none(data: bytes) -> None:
    parse_ethernet(data)
    parse_ethernet(bytes(12) + b"\x08\x00" + data)


def test_a_tcp_stream_is_followed_once_through_retransmissions() -> None:
    streams = TcpStreams()
    for data in (frame(A, B, b"", seq=99, flags=0x02), frame(A, B, b"abc", seq=100),
                 frame(A, B, b"abc", seq=100), frame(A, B, b"bcde", seq=101),
                 frame(B, A, b"not followed: no SYN seen", seq=5)):
        segment = parse_ethernet(data)
        assert segment is not None
        streams.feed(segment)
    assert streams.chunks == [(A, B, b"abc"), (A, B, b"de")]


def test_the_filter_keeps_the_block_and_the_listeners_outside_it() -> None:
    assert capture_filter(["127.10.0.0/16"], ["127.0.0.1"]) == (
        "net 127.10.0.0/16 or host 127.0.0.1")
    assert capture_filter([f"127.{i}.0.0/16" for i in range(100)]) == "net 127.0.0.0/8"
    keep = PacketFilter(["127.10.0.0/16"], [("127.0.0.1", 12622)])
    assert keep(frame(A, B, b""))
    assert keep(frame(("127.0.0.1", 5555), ("127.0.0.1", 12622), b""))
    assert not keep(frame(("127.0.0.1", 5555), ("127.0.0.1", 7777), b""))


def _message(msg_type: int, payload: bytes = b"") -> bytes:
    return LinkMessage(msg_type, payload).encode()


def test_a_run_merges_into_one_file_with_the_keys_first(tmp_path: Path) -> None:
    base = tmp_path / "run"
    recorder = Recorder(base)
    recorder.link(c.Direction.RFP_TO_OMM, B, A, _message(c.MessageType.SYS_HEARTBEAT_INTERVAL,
                                                         bytes(4)))
    recorder.log_keys(__import__("ssl").create_default_context())
    recorder.keylog.write_text("CLIENT_RANDOM 00 11\n")
    recorder.close()
    other = base.with_name("run.part-1.pcapng")  # another process's share
    other.write_bytes(pcapng.section_header() + pcapng.interface(LinkType.USER0, "l")
                      + pcapng.interface(LinkType.USER1, "a")
                      + pcapng.packet(0, 1, LinkRecord(c.Direction.OMM_TO_RFP, B, A,
                                                       _message(c.MessageType.ACK)).encode()))
    lo = tmp_path / "lo.pcapng"
    lo.write_bytes(pcapng.section_header() + pcapng.interface(LinkType.ETHERNET, "lo")
                   + pcapng.packet(0, 2, frame(A, B, b"x")))
    out = tmp_path / "run.pcapng"
    merge(base, out, dumpcap_file=lo)
    data = out.read_bytes()
    blocks = [block_type for block_type, _, _ in pcapng.read_blocks(data)]
    assert blocks[:5] == [pcapng.BlockType.SHB, pcapng.BlockType.IDB, pcapng.BlockType.IDB,
                          pcapng.BlockType.IDB, pcapng.BlockType.DSB]
    capture = pcapng.read(data)
    assert capture.secrets == [(pcapng.TLS_KEY_LOG, b"CLIENT_RANDOM 00 11\n")]
    assert [p.link_type for p in capture.packets] == [LinkType.USER0, LinkType.ETHERNET,
                                                      LinkType.USER0]
    assert [r["name"] for r in link_records(capture)] == ["ACK", "SYS_HEARTBEAT_INTERVAL"]
    assert LinkRecord.decode(capture.packets[0].data).summary == "ACK"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pcapng"]  # parts removed
    assert out.stat().st_mode & 0o077 == 0


def test_link_streams_split_the_clear_handshake_from_the_ciphertext() -> None:
    auth = _message(c.MessageType.SYS_AUTHENTICATE, bytes(32))
    ack = _message(c.MessageType.ACK, bytes(8))
    init = _message(c.MessageType.SYS_INIT, bytes(8))
    packets = [
        (frame(A, B, b"", seq=0, flags=0x02), LinkType.ETHERNET),
        (frame(B, A, b"", seq=0, flags=0x12), LinkType.ETHERNET),
        (frame(B, A, auth, seq=1), LinkType.ETHERNET),
        (frame(A, B, init + b"\xaa" * 16, seq=1), LinkType.ETHERNET),
        (frame(B, A, ack[:5], seq=1 + len(auth)), LinkType.ETHERNET),
        (frame(B, A, ack[5:] + b"\xbb" * 16, seq=6 + len(auth)), LinkType.ETHERNET),
        (LinkRecord(c.Direction.OMM_TO_RFP, B, A, ack).encode(), LinkType.USER0),
    ]
    data = (pcapng.section_header() + pcapng.interface(LinkType.ETHERNET, "lo")
            + pcapng.interface(LinkType.USER0, "l")
            + b"".join(pcapng.packet(0 if t == LinkType.ETHERNET else 1, i, d)
                       for i, (d, t) in enumerate(packets)))
    streams = link_streams(pcapng.read(data))
    assert streams == {("127.0.0.1:16321", "127.10.0.2:40000"): [
        auth.hex(), init.hex(), "rfp:" + "aa" * 16, ack.hex(), "omm:" + "bb" * 16]}


def test_the_shipped_lua_dissector_is_the_generated_one() -> None:
    """Regenerate: python -m sipdect.capture.lua > contrib/wireshark/sipdect.lua"""
    shipped = (ROOT / "contrib" / "wireshark" / "sipdect.lua").read_text("utf-8")
    assert shipped == render()
    for member in c.MessageType:
        assert f'[0x{member.value:04x}] = "{member.name}"' in shipped


def test_a_scaled_clock_stretches_the_times_from_its_epoch() -> None:
    from sipdect.capture.run import scaled_stamp
    stamp = scaled_stamp(60.0, 1000.0)
    assert stamp(1000 * 10**9) == 1000 * 10**9
    assert stamp(1001 * 10**9) == 1060 * 10**9
