"""The pcapng file format, as much of it as sipdect's captures use: the section header,
interface descriptions, enhanced packets and a decryption secrets block (the pcapng draft,
draft-ietf-opsawg-pcapng: §4.1 SHB, §4.2 IDB, §4.3 EPB, §4.7 DSB; options §3.5).

Written little-endian, read in either byte order. Plain functions on bytes: a writer
appends blocks to a file, `read_blocks` walks one back (tolerating a block cut short at the
end, as a capture of a killed process leaves it).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum

from sipdect.capture.errors import CaptureFormatError


class BlockType(IntEnum):
    SHB = 0x0A0D0D0A
    IDB = 0x00000001
    EPB = 0x00000006
    DSB = 0x0000000A


class LinkType(IntEnum):
    """Link types (tcpdump.org linktypes) a sipdect capture holds."""

    ETHERNET = 1
    """What Linux's `lo` carries (a zeroed Ethernet header in front of every IP packet)."""
    USER0 = 147
    """sipdect's decrypted OMM-RFP link messages (sipdect.capture.records.LinkRecord)."""
    USER1 = 148
    """sipdect's DECT air frames (sipdect.capture.records.AirRecord)."""


BYTE_ORDER_MAGIC = 0x1A2B3C4D
TLS_KEY_LOG = 0x544C534B
"""DSB secrets type: NSS key log lines (the SSLKEYLOGFILE format)."""
OPT_END = 0
OPT_COMMENT = 1
IF_NAME = 2
IF_DESCRIPTION = 3
IF_TSRESOL = 9
SHB_USERAPPL = 4
NANOSECONDS = 9
"""if_tsresol of every interface sipdect writes: timestamps in nanoseconds."""
VERSION = (1, 0)


def _pad(n: int) -> int:
    return (4 - n % 4) % 4


def options(items: list[tuple[int, bytes]]) -> bytes:
    """An options list (each code, length, value padded to 32 bits), opt_endofopt last."""
    if not items:
        return b""
    out = bytearray()
    for code, value in items:
        out += struct.pack("<HH", code, len(value)) + value + bytes(_pad(len(value)))
    return bytes(out + struct.pack("<HH", OPT_END, 0))


def block(block_type: int, body: bytes) -> bytes:
    """A block: type, total length, the body padded to 32 bits, the total length again."""
    body += bytes(_pad(len(body)))
    total = len(body) + 12
    return struct.pack("<II", block_type, total) + body + struct.pack("<I", total)


def section_header(application: str = "sipdect") -> bytes:
    body = struct.pack("<IHHq", BYTE_ORDER_MAGIC, *VERSION, -1)
    return block(BlockType.SHB, body + options([(SHB_USERAPPL, application.encode())]))


def interface(link_type: int, name: str, description: str = "", snaplen: int = 0) -> bytes:
    """An interface description with nanosecond timestamps."""
    opts = [(IF_NAME, name.encode())]
    if description:
        opts.append((IF_DESCRIPTION, description.encode()))
    opts.append((IF_TSRESOL, bytes([NANOSECONDS])))
    return block(BlockType.IDB, struct.pack("<HHI", link_type, 0, snaplen) + options(opts))


def packet(interface_id: int, timestamp_ns: int, data: bytes, original_length: int | None = None,
           comment: str = "") -> bytes:
    """An enhanced packet block; the timestamp in the interface's (nanosecond) units."""
    body = struct.pack("<IIIII", interface_id, timestamp_ns >> 32, timestamp_ns & 0xFFFFFFFF,
                       len(data), len(data) if original_length is None else original_length)
    body += data + bytes(_pad(len(data)))
    return block(BlockType.EPB, body + options([(OPT_COMMENT, comment.encode())] if comment
                                               else []))


def decryption_secrets(secrets: bytes, secrets_type: int = TLS_KEY_LOG) -> bytes:
    """A decryption secrets block (by default TLS key log lines)."""
    body = struct.pack("<II", secrets_type, len(secrets)) + secrets + bytes(_pad(len(secrets)))
    return block(BlockType.DSB, body)


# -- reading -----------------------------------------------------------------------------------


@dataclass
class Interface:
    link_type: int
    snaplen: int
    name: str = ""
    description: str = ""
    tsresol: int = 6
    """Timestamp units as if_tsresol codes them (6: microseconds, the default)."""

    def to_ns(self, units: int) -> int:
        """A timestamp in this interface's units, in nanoseconds."""
        if self.tsresol & 0x80:
            return units * 1_000_000_000 >> (self.tsresol & 0x7F)
        exponent = 9 - self.tsresol
        if exponent >= 0:
            return units * int(10**exponent)
        return units // int(10**-exponent)


@dataclass
class Packet:
    interface_id: int
    timestamp_ns: int
    data: bytes
    original_length: int
    link_type: int
    comment: str = ""


@dataclass
class Capture:
    """What `read` finds in a file (its sections flattened)."""

    interfaces: list[Interface] = field(default_factory=list)
    packets: list[Packet] = field(default_factory=list)
    secrets: list[tuple[int, bytes]] = field(default_factory=list)
    truncated: bool = False
    """The file ended in the middle of a block (a writer killed mid-write)."""


def _options(data: bytes, order: str) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos + 4 <= len(data):
        code, length = struct.unpack_from(order + "HH", data, pos)
        pos += 4
        if code == OPT_END:
            return
        if pos + length > len(data):
            raise CaptureFormatError(f"option {code} runs past its block")
        yield code, data[pos:pos + length]
        pos += length + _pad(length)


def read_blocks(data: bytes) -> Iterator[tuple[int, bytes, str]]:
    """(type, body, byte order) of each block; stops quietly at a block cut short at the end.
    CaptureFormatError for anything that is not pcapng."""
    pos = 0
    order = "<"
    while pos < len(data):
        if len(data) - pos < 12:
            return
        raw_type = struct.unpack_from("<I", data, pos)[0]
        if raw_type == BlockType.SHB:
            magic = data[pos + 8:pos + 12]
            if magic == struct.pack("<I", BYTE_ORDER_MAGIC):
                order = "<"
            elif magic == struct.pack(">I", BYTE_ORDER_MAGIC):
                order = ">"
            else:
                raise CaptureFormatError("section header with an unknown byte-order magic")
        elif pos == 0:
            raise CaptureFormatError("not a pcapng file (no section header first)")
        block_type, total = struct.unpack_from(order + "II", data, pos)
        if total < 12 or total % 4:
            raise CaptureFormatError(f"block at {pos}: length {total} is not a block length")
        if pos + total > len(data):
            return
        (trailer,) = struct.unpack_from(order + "I", data, pos + total - 4)
        if trailer != total:
            raise CaptureFormatError(f"block at {pos}: its lengths differ ({total}, {trailer})")
        yield block_type, data[pos + 8:pos + total - 4], order
        pos += total


def read(data: bytes) -> Capture:
    """Interfaces, packets and secrets of a pcapng file (every section; interface ids are
    per section in the format, made global here in file order)."""
    out = Capture()
    base = 0
    size = 0
    for block_type, body, order in read_blocks(data):
        size += len(body) + 12
        if block_type == BlockType.SHB:
            base = len(out.interfaces)
        elif block_type == BlockType.IDB:
            if len(body) < 8:
                raise CaptureFormatError("interface description too short")
            link_type, _, snaplen = struct.unpack_from(order + "HHI", body)
            iface = Interface(link_type, snaplen)
            for code, value in _options(body[8:], order):
                if code == IF_NAME:
                    iface.name = value.decode("utf-8", "replace")
                elif code == IF_DESCRIPTION:
                    iface.description = value.decode("utf-8", "replace")
                elif code == IF_TSRESOL and value:
                    iface.tsresol = value[0]
            out.interfaces.append(iface)
        elif block_type == BlockType.EPB:
            if len(body) < 20:
                raise CaptureFormatError("enhanced packet block too short")
            iface_id, high, low, caplen, origlen = struct.unpack_from(order + "IIIII", body)
            if 20 + caplen > len(body):
                raise CaptureFormatError("enhanced packet data runs past its block")
            index = base + iface_id
            if index >= len(out.interfaces):
                raise CaptureFormatError(f"packet on interface {iface_id}, never described")
            iface = out.interfaces[index]
            comment = ""
            for code, value in _options(body[20 + caplen + _pad(caplen):], order):
                if code == OPT_COMMENT:
                    comment = value.decode("utf-8", "replace")
            out.packets.append(Packet(index, iface.to_ns(high << 32 | low),
                                      body[20:20 + caplen], origlen, iface.link_type, comment))
        elif block_type == BlockType.DSB:
            if len(body) < 8:
                raise CaptureFormatError("decryption secrets block too short")
            secrets_type, length = struct.unpack_from(order + "II", body)
            if 8 + length > len(body):
                raise CaptureFormatError("decryption secrets run past their block")
            out.secrets.append((secrets_type, body[8:8 + length]))
    out.truncated = size < len(data)
    return out
