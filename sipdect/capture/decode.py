"""A capture read back, one JSON-able dict per item: the library behind `sipdect decode rfp
FILE.pcapng` and `sipdect decode air FILE.pcapng` (docs/capture.md).

Link records are the messages in clear as the OMM's link end saw them; the link's TCP streams
as sent (`stream=True`) are put through the same decoder as hex arguments (sipdect.link.decode:
the clear handshake, then each direction's ciphertext, decrypted with the RFP's key K).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sipdect.capture import pcapng
from sipdect.capture.packets import TcpStreams, parse_ethernet
from sipdect.capture.pcapng import LinkType
from sipdect.capture.records import AirNamer, AirRecord, LinkNamer, LinkRecord
from sipdect.link import constants as c
from sipdect.link.decode import decode_hex

JsonDict = dict[str, Any]
LAST_CLEAR = {c.Direction.OMM_TO_RFP: c.MessageType.ACK,
              c.Direction.RFP_TO_OMM: c.MessageType.SYS_INIT}
"""The last message each direction sends in clear (omm-rfp.md §2.1); the rest is ciphered."""
PREFIX = {c.Direction.OMM_TO_RFP: "omm:", c.Direction.RFP_TO_OMM: "rfp:"}


def is_pcapng(head: bytes) -> bool:
    """Whether bytes start like a pcapng file (its section header's block type)."""
    return head[:4] == (pcapng.BlockType.SHB).to_bytes(4, "little")


def _endpoint(ep: tuple[str, int]) -> str:
    return f"{ep[0]}:{ep[1]}"


def link_records(capture: pcapng.Capture) -> Iterator[JsonDict]:
    """Each link record: time (seconds since the epoch), direction, OMM and RFP ends, then
    what the link codec tells of the message (sipdect.link.messages.describe)."""
    namer = LinkNamer()
    for packet in capture.packets:
        if packet.link_type != LinkType.USER0:
            continue
        record = LinkRecord.decode(packet.data)
        yield {"time": packet.timestamp_ns / 1e9, "direction": record.direction.value,
               "omm": _endpoint(record.omm), "rfp": _endpoint(record.rfp),
               **namer.describe(record)}


def air_records(capture: pcapng.Capture) -> Iterator[JsonDict]:
    """Each air record: time, direction, handset, RFP, PMID, ciphered, the DLC frame and the
    NWK message it completes."""
    namer = AirNamer()
    for packet in capture.packets:
        if packet.link_type != LinkType.USER1:
            continue
        record = AirRecord.decode(packet.data)
        out: JsonDict = {"time": packet.timestamp_ns / 1e9,
                         "direction": "uplink" if record.uplink else "downlink",
                         "ipei": record.ipei, "rfp": record.rfp_id, "pmid": f"{record.pmid:05x}",
                         "ciphered": record.ciphered}
        if record.primitive == "AirData":
            out.update(mfn=record.mfn, fn=record.fn, dlc_hex=record.payload.hex())
        out.update(namer.describe(record))
        yield out


def _clear_messages(data: bytes, last: int) -> tuple[int, bool]:
    """How many octets of `data` are whole clear messages (up to one of type `last`), and
    whether that one came."""
    pos = 0
    while pos + c.HEADER_LENGTH <= len(data):
        msg_type = int.from_bytes(data[pos:pos + 2], "big")
        end = pos + c.HEADER_LENGTH + int.from_bytes(data[pos + 2:pos + 4], "big")
        if end > len(data):
            break
        pos = end
        if msg_type == last:
            return pos, True
    return pos, False


def link_streams(capture: pcapng.Capture) -> dict[tuple[str, str], list[str]]:
    """Per link connection ("OMM host:port", "RFP host:port"): its TCP bytes as sent, as
    `decode_hex` arguments in capture order (clear handshake as plain hex, the rest prefixed
    `omm:` / `rfp:`). The connections are those the link records name."""
    links: set[tuple[tuple[str, int], tuple[str, int]]] = set()
    for packet in capture.packets:
        if packet.link_type == LinkType.USER0:
            record = LinkRecord.decode(packet.data)
            links.add((record.omm, record.rfp))
    streams = TcpStreams()
    for packet in capture.packets:
        if packet.link_type == LinkType.ETHERNET:
            segment = parse_ethernet(packet.data)
            if segment is not None and ((segment.dst, segment.src) in links
                                        or (segment.src, segment.dst) in links):
                streams.feed(segment)
    out: dict[tuple[str, str], list[str]] = {}
    clear: dict[tuple[tuple[str, int], tuple[str, int], c.Direction], bytes] = {}
    """Per connection and direction still in its clear handshake: the octets so far."""
    ciphered: set[tuple[tuple[str, int], tuple[str, int], c.Direction]] = set()
    for src, dst, data in streams.chunks:
        if (dst, src) in links:
            omm, rfp, direction = dst, src, c.Direction.RFP_TO_OMM
        else:
            omm, rfp, direction = src, dst, c.Direction.OMM_TO_RFP
        args = out.setdefault((_endpoint(omm), _endpoint(rfp)), [])
        key = (omm, rfp, direction)
        if key not in ciphered:
            held = clear.pop(key, b"") + data
            whole, done = _clear_messages(held, LAST_CLEAR[direction])
            if whole:
                args.append(held[:whole].hex())
            if not done:
                if held[whole:]:
                    clear[key] = held[whole:]
                continue
            ciphered.add(key)
            data = held[whole:]
        if data:
            args.append(PREFIX[direction] + data.hex())
    for (omm, rfp, _), held in clear.items():  # a handshake cut short: what there is
        out.setdefault((_endpoint(omm), _endpoint(rfp)), []).append(held.hex())
    return out


def decode_streams(capture: pcapng.Capture, key: bytes | None = None) -> Iterator[JsonDict]:
    """Each link connection's TCP stream decoded (sipdect.link.decode.decode_hex), every
    item marked with its connection."""
    for (omm, rfp), args in link_streams(capture).items():
        for item in decode_hex(*args, key=key):
            yield {"omm": omm, "rfp": rfp, "stream": True, **item}
