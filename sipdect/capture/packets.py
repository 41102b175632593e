"""The few layers of a loopback packet sipdect reads back: Ethernet (what Linux's `lo`
shows), IPv4 (RFC 791), TCP (RFC 9293) and UDP (RFC 768) headers, enough to tell a packet's
addresses and ports and to follow a TCP stream (`sipdect decode`, the capture's filter)."""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

ETHERNET_HEADER = 14
ETHERTYPE_IPV4 = 0x0800
PROTO_TCP = 6
PROTO_UDP = 17
TCP_SYN = 0x02
TCP_FIN = 0x01


@dataclass(frozen=True)
class Segment:
    """An IPv4 packet's transport view."""

    protocol: int
    src: tuple[str, int]
    dst: tuple[str, int]
    payload: bytes
    seq: int = 0
    """TCP: the sequence number of the payload's first octet."""
    flags: int = 0
    """TCP flags (SYN 0x02, FIN 0x01, ...)."""


def parse_ethernet(frame: bytes) -> Segment | None:
    """The TCP or UDP segment in an Ethernet frame; None for anything else or a frame cut
    short."""
    if len(frame) < ETHERNET_HEADER or struct.unpack_from(">H", frame, 12)[0] != ETHERTYPE_IPV4:
        return None
    return parse_ipv4(frame[ETHERNET_HEADER:])


def parse_ipv4(packet: bytes) -> Segment | None:
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    total = struct.unpack_from(">H", packet, 2)[0]
    if ihl < 20 or total < ihl or len(packet) < total:
        return None
    if struct.unpack_from(">H", packet, 6)[0] & 0x3FFF:  # a fragment: not followed
        return None
    protocol = packet[9]
    src = str(ipaddress.IPv4Address(packet[12:16]))
    dst = str(ipaddress.IPv4Address(packet[16:20]))
    body = packet[ihl:total]
    if protocol == PROTO_UDP and len(body) >= 8:
        sport, dport = struct.unpack_from(">HH", body)
        return Segment(protocol, (src, sport), (dst, dport), body[8:])
    if protocol == PROTO_TCP and len(body) >= 20:
        sport, dport, seq = struct.unpack_from(">HHI", body)
        offset = (body[12] >> 4) * 4
        if offset < 20 or offset > len(body):
            return None
        return Segment(protocol, (src, sport), (dst, dport), body[offset:], seq, body[13])
    return None


class TcpStreams:
    """The bytes of each TCP direction (src -> dst) in sequence order, from segments fed in
    capture order; a segment repeating bytes already had (a retransmission) adds nothing."""

    def __init__(self) -> None:
        self._next: dict[tuple[tuple[str, int], tuple[str, int]], int] = {}
        self.chunks: list[tuple[tuple[str, int], tuple[str, int], bytes]] = []
        """(src, dst, bytes) in capture order, each new bytes only."""

    def feed(self, segment: Segment) -> None:
        if segment.protocol != PROTO_TCP:
            return
        key = (segment.src, segment.dst)
        if segment.flags & TCP_SYN:
            self._next[key] = (segment.seq + 1) & 0xFFFFFFFF
            return
        expected = self._next.get(key)
        if expected is None or not segment.payload:
            return
        skip = (expected - segment.seq) & 0xFFFFFFFF
        if skip >= len(segment.payload):
            return  # already had (or a gap, which loopback does not leave)
        data = segment.payload[skip:]
        self._next[key] = (expected + len(data)) & 0xFFFFFFFF
        self.chunks.append((segment.src, segment.dst, data))
