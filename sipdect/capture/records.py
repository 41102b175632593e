"""sipdect's own capture records: the OMM-RFP link messages as the link code decrypted them
(LINKTYPE_USER0) and the DECT air frames as the handsets sent and received them
(LINKTYPE_USER1). Their layout is sipdect's invention (no product writes either); the shipped
Lua dissector (contrib/wireshark/sipdect.lua, made by sipdect.capture.lua) and `sipdect
decode` read it. Big-endian throughout.

Link record: version u8 (1), direction u8 (0 OMM->RFP, 1 RFP->OMM), OMM IPv4 4 + port u16,
RFP IPv4 4 + port u16 (the TCP connection that carried it), summary length u16 + UTF-8
summary, then the message as the link codec frames it (type u16, length u16, payload;
omm-rfp.md §1).

Air record: version u8 (1), direction u8 (0 uplink: handset->RFP, 1 downlink), flags u8
(1: ciphered on the air), RFP air id u32, PMID u32, MFN u32, FN u8, IPEI length u8 + ASCII,
primitive length u8 + ASCII (AirData, AirConnect, ...), summary length u16 + UTF-8, then the
payload: an AirData's DLC frame in clear (deciphered where it was ciphered), else nothing.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, replace
from typing import Any

from dect.dlc import IControl, decode_frame
from dect.errors import DectError
from dect.nwk.messages import decode_message
from sipdect.capture.errors import CaptureFormatError
from sipdect.link import constants as c
from sipdect.link.dnm import NwkReassembler
from sipdect.link.errors import LinkError
from sipdect.link.messages import LinkMessage, describe

RECORD_VERSION = 1
_LINK_HEAD = struct.Struct(">BB4sH4sHH")
_AIR_HEAD = struct.Struct(">BBBIIIB")
CIPHERED = 1
"""Air record flag: the frame was ciphered on the air."""
LINK_DIRECTIONS = (c.Direction.OMM_TO_RFP, c.Direction.RFP_TO_OMM)
"""Link record direction codes, in order (0, 1)."""


def _text(data: bytes, pos: int, size: int, what: str) -> tuple[str, int]:
    width = 1 if size == 1 else 2
    if pos + width > len(data):
        raise CaptureFormatError(f"{what} length runs past the record")
    length = int.from_bytes(data[pos:pos + width], "big")
    pos += width
    if pos + length > len(data):
        raise CaptureFormatError(f"{what} runs past the record")
    return data[pos:pos + length].decode("utf-8", "replace"), pos + length


@dataclass(frozen=True)
class LinkRecord:
    """One OMM-RFP link message in clear."""

    direction: c.Direction
    omm: tuple[str, int]
    """The OMM end of the TCP connection (address, port)."""
    rfp: tuple[str, int]
    message: bytes
    """The message as framed on the link (header and payload), before encryption."""
    summary: str = ""

    def encode(self) -> bytes:
        summary = self.summary.encode()[:0xFFFF]
        return _LINK_HEAD.pack(
            RECORD_VERSION, LINK_DIRECTIONS.index(self.direction),
            ipaddress.IPv4Address(self.omm[0]).packed, self.omm[1],
            ipaddress.IPv4Address(self.rfp[0]).packed, self.rfp[1], len(summary),
        ) + summary + self.message

    @classmethod
    def decode(cls, data: bytes) -> LinkRecord:
        if len(data) < _LINK_HEAD.size:
            raise CaptureFormatError("link record shorter than its header")
        version, direction, omm, omm_port, rfp, rfp_port, size = _LINK_HEAD.unpack_from(data)
        if version != RECORD_VERSION or direction > 1:
            raise CaptureFormatError(f"link record version {version} direction {direction}")
        end = _LINK_HEAD.size + size
        if end > len(data):
            raise CaptureFormatError("link record summary runs past the record")
        return cls(LINK_DIRECTIONS[direction], (str(ipaddress.IPv4Address(omm)), omm_port),
                   (str(ipaddress.IPv4Address(rfp)), rfp_port), data[end:],
                   data[_LINK_HEAD.size:end].decode("utf-8", "replace"))


@dataclass(frozen=True)
class AirRecord:
    """One DECT air primitive as a handset sent or received it."""

    uplink: bool
    ciphered: bool
    rfp_id: int
    pmid: int
    ipei: str
    primitive: str
    """The air primitive's name (sim.primitives: AirData, AirConnect, ...)."""
    payload: bytes = b""
    """An AirData's DLC frame in clear."""
    mfn: int = 0
    fn: int = 0
    summary: str = ""

    def encode(self) -> bytes:
        ipei, primitive = self.ipei.encode()[:255], self.primitive.encode()[:255]
        summary = self.summary.encode()[:0xFFFF]
        return (_AIR_HEAD.pack(RECORD_VERSION, 0 if self.uplink else 1,
                               CIPHERED if self.ciphered else 0, self.rfp_id, self.pmid,
                               self.mfn, self.fn)
                + bytes([len(ipei)]) + ipei + bytes([len(primitive)]) + primitive
                + len(summary).to_bytes(2, "big") + summary + self.payload)

    @classmethod
    def decode(cls, data: bytes) -> AirRecord:
        if len(data) < _AIR_HEAD.size:
            raise CaptureFormatError("air record shorter than its header")
        version, direction, flags, rfp_id, pmid, mfn, fn = _AIR_HEAD.unpack_from(data)
        if version != RECORD_VERSION or direction > 1:
            raise CaptureFormatError(f"air record version {version} direction {direction}")
        ipei, pos = _text(data, _AIR_HEAD.size, 1, "IPEI")
        primitive, pos = _text(data, pos, 1, "primitive")
        summary, pos = _text(data, pos, 2, "summary")
        return cls(direction == 0, bool(flags & CIPHERED), rfp_id, pmid, ipei, primitive,
                   data[pos:], mfn, fn, summary)


# -- summaries: what Wireshark's Info column and `sipdect decode` show --------------------------


class LinkNamer:
    """Summaries of one capture's link records in order ("DNM LC_DATA_IND CC-SETUP"), NWK
    messages put back together across LC frames per connection."""

    def __init__(self) -> None:
        self._reassemblers: dict[tuple[tuple[str, int], tuple[str, int], c.Direction],
                                 NwkReassembler] = {}

    def describe(self, record: LinkRecord) -> dict[str, Any]:
        key = (record.omm, record.rfp, record.direction)
        reassembler = self._reassemblers.setdefault(key, NwkReassembler())
        try:
            return describe(LinkMessage.decode(record.message), nwk=reassembler.hook)
        except LinkError as exc:
            return {"error": str(exc), "hex": record.message.hex()}

    def summary(self, record: LinkRecord) -> str:
        return summarise_link(self.describe(record))

    def named(self, record: LinkRecord) -> LinkRecord:
        return replace(record, summary=self.summary(record))


SUMMARY_FIELDS = ("layer_name", "primitive_name", "sync_type_name", "acked_type_name",
                  "direction_name", "colour_name")
"""The fields of describe() a link summary names after the message's own name, in order."""


def summarise_link(described: dict[str, Any]) -> str:
    """One line from a link message's describe(): its name, a DNM's layer and primitive, the
    NWK message an LC frame completes ("DNM LC LC_DATA_IND CC CC-SETUP")."""
    if "name" not in described:
        return f"undecodable: {described.get('error', '')}"
    parts = [str(described["name"])]
    parts += [str(described[key]) for key in SUMMARY_FIELDS if isinstance(described.get(key),
                                                                            str)]
    nwk = described.get("nwk")
    if isinstance(nwk, dict) and "type" in nwk:
        parts.append(f"{nwk.get('pd', '')} {nwk['type']}".strip())
    return " ".join(parts)


class AirNamer:
    """Summaries of one capture's air records ("I N(S)=0 N(R)=0 CC-SETUP"), NWK messages
    put back together across DLC frames per handset, direction and LLN."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, bool, int], list[bytes]] = {}

    def describe(self, record: AirRecord) -> dict[str, Any]:
        out: dict[str, Any] = {"primitive": record.primitive}
        if not record.payload:
            return out
        try:
            frame = decode_frame(record.payload)
        except DectError as exc:
            out["error"] = str(exc)
            return out
        out["dlc"] = frame.describe()
        if not isinstance(frame.control, IControl) or not frame.payload:
            return out
        key = (record.ipei, record.uplink, frame.lln)
        parts = self._parts.setdefault(key, [])
        parts.append(frame.payload)
        if frame.more:
            return out
        del self._parts[key]
        try:
            message = decode_message(b"".join(parts))
        except DectError as exc:
            out["nwk_error"] = str(exc)
            return out
        out["nwk"] = message.to_json()
        if len(parts) > 1:
            out["nwk_fragments"] = len(parts)
        return out

    def summary(self, record: AirRecord) -> str:
        described = self.describe(record)
        parts = [record.primitive]
        if "dlc" in described:
            parts.append(str(described["dlc"]))
        nwk = described.get("nwk")
        if isinstance(nwk, dict):
            parts.append(f"{nwk['pd']} {nwk['type']}")
        return " ".join(parts)

    def named(self, record: AirRecord) -> AirRecord:
        return replace(record, summary=self.summary(record))
