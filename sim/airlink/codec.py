"""The air link's wire format: length-prefixed frames, a type octet, compact binary bodies.

docs/architecture.md "Air link". sipdect's own protocol (a real installation's air is radio,
not TCP), so every layout is invented here and kept in this one module: a frame is
`length:u16 BE` (type octet plus body), `type:u8`, body (big-endian, fixed layouts; AirData and
AirVoice end in their payload). Every air primitive of sim.primitives has its own type, so a
10 ms voice frame costs 10 octets besides its 80-octet B-field. Bytes that do not decode raise
AirLinkProtocolError and nothing else; a value a layout cannot carry raises AirLinkValueError.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from dect.errors import DectValueError
from dect.identities import SARI_CLASSES, Ari, Rfpi
from sim.air import SyncRelation, SyncStatus
from sim.primitives import (
    AirCipherStart,
    AirConnect,
    AirConnected,
    AirData,
    AirPage,
    AirPrimitive,
    AirRelease,
    AirVoice,
)

# -- the constants of the protocol (one table) ---------------------------------------------------
PORT = 16399
"""The world's air link listener by default (invented: no product port; beside 16321)."""
VERSION = 3
"""Protocol version a Hello announces; the world refuses another (2: the cluster is u32;
3: HELLO and SITE carry the RFP's SARI list)."""
MAGIC = b"SDAIR"
"""First octets of a Hello: a peer that is no air link client is told apart at once."""
LENGTH_OCTETS = 2
MAX_FRAME = 4096
"""Largest length field (type octet plus body) either end accepts."""
MAX_REASON_OCTETS = 512
"""A Refused reason is cut to this many UTF-8 octets."""
MAX_WIRE_RELATIONS = 255
MAX_WIRE_SARIS = 255
SARI_OCTETS = 4
"""A SARI on the link: the ARI as FIXED-IDENTITY codes it (a 0 bit and 31 ARI bits)."""
# The air link is sipdect's own plumbing between processes, no product protocol: its limits
# (handshake, heartbeat, silence) watch processes, which live in real time, so they are real
# seconds at any speed (sipdect.clock); the edges make them loop time.
HEARTBEAT_S = 2.0
"""The RFP end sends a Ping this often once welcomed; the world answers Pong."""
SILENCE_S = 3 * HEARTBEAT_S
"""An end that heard nothing for this long takes the link for lost (a peer gone without a
FIN: another machine unplugged); on one machine a killed process's socket closes at once."""
HANDSHAKE_S = 10.0
"""Hello to Welcome (or Refused) at most; a world that says nothing is given up."""
MAX_UNSENT = 4 << 20
"""Octets an end lets wait for a peer that does not read (about 45 s of one call's voice);
beyond them it drops the link: a stuck peer must not eat the other's memory."""
PMID_MAX = 0xFFFFF
MFN_MAX = 0xFFFFFF
FN_MASK = 0x0F
FLAG_CIPHERED = 0x10
"""AirData/AirVoice: frame number in the low nibble of one octet, ciphered in bit 4."""
FLAG_HANDOVER = 0x01
"""AirConnect: the connection moves here from another RFP of the cluster."""


class MessageType(IntEnum):
    """The type octet. 0x0_: the link itself; 0x1_: the air primitives (sim.primitives)."""

    HELLO = 0x01
    """RFP -> world, first frame: who and where the radio is (Hello)."""
    WELCOME = 0x02
    """World -> RFP: placed on the air; the world's epoch and clock (Welcome)."""
    REFUSED = 0x03
    """World -> RFP, then the world closes: why it is not placed (Refused)."""
    SITE = 0x04
    """RFP -> world: the box's power, OMM link, DECT state and RFPI changed (SiteState)."""
    SYNC = 0x05
    """World -> RFP: its sync status and relations changed (SyncUpdate)."""
    PING = 0x06
    """RFP -> world every HEARTBEAT_S (Ping)."""
    PONG = 0x07
    """World -> RFP: the answer, with the world's clock (Pong)."""
    AIR_CONNECT = 0x10
    AIR_CONNECTED = 0x11
    AIR_DATA = 0x12
    AIR_CIPHER_START = 0x13
    AIR_RELEASE = 0x14
    AIR_PAGE = 0x15
    AIR_VOICE = 0x16


# -- errors --------------------------------------------------------------------------------------
class AirLinkError(Exception):
    """Base of every error the air link raises on purpose."""


class AirLinkProtocolError(AirLinkError, ValueError):
    """Bytes do not decode (or break the protocol): the one connection they came on closes."""


class AirLinkValueError(AirLinkError, ValueError):
    """A value a layout cannot carry (an RFP id above u32, a NaN position, ...)."""


# -- the link's own messages ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Hello:
    """RFP -> world, the first frame: the radio site to place on the world's air."""

    rfp_id: int
    """The RFP's id on the air (its OMM record id in a whole system), u32."""
    mac: bytes
    """The RFP's Ethernet address: a newer link of the same MAC replaces an older one."""
    x: float
    """Position, metres."""
    y: float
    rpn: int
    """Radio fixed part number it reports in SYNC relations, u8."""
    cluster: int
    """The air's cluster (its OMM's index above its OMM's cluster number, sipdect.app.site),
    u32: RFPs of two OMMs never sync with each other."""
    preferred_sync: bool
    powered: bool
    dect_on: bool
    connected: bool
    """The RFP's link to the OMM is up."""
    rfpi: Rfpi | None
    """The identity it broadcasts, once the OMM gave one."""
    sent_at: float
    """The RFP's clock when sent (echoed in Welcome: round trip and clock offset)."""
    version: int = VERSION
    saris: tuple[Ari, ...] = ()
    """The SARI list it broadcasts (its OMM's SARI_LIST_REQ)."""


@dataclass(frozen=True, slots=True)
class Welcome:
    """World -> RFP: its site is on the air."""

    epoch: float
    """The world's `now` of frame 0 of multiframe 0."""
    now: float
    """The world's clock when sent."""
    echo: float
    """The Hello's sent_at."""


@dataclass(frozen=True, slots=True)
class Refused:
    """World -> RFP: not placed; the world closes the link after it."""

    reason: str


@dataclass(frozen=True, slots=True)
class SiteState:
    """RFP -> world: what the RFP itself sets of its site (sim.air.Air.set_rfp)."""

    powered: bool
    dect_on: bool
    connected: bool
    rfpi: Rfpi | None
    saris: tuple[Ari, ...] = ()
    """The SARI list it broadcasts."""


@dataclass(frozen=True, slots=True)
class SyncUpdate:
    """World -> RFP: where it stands in its cluster's sync tree, and whom it hears."""

    status: SyncStatus
    relations: tuple[SyncRelation, ...]


@dataclass(frozen=True, slots=True)
class Ping:
    """RFP -> world."""

    sent_at: float


@dataclass(frozen=True, slots=True)
class Pong:
    """World -> RFP."""

    echo: float
    """The Ping's sent_at."""
    now: float
    """The world's clock when sent."""


LinkMessage = Hello | Welcome | Refused | SiteState | SyncUpdate | Ping | Pong
Message = LinkMessage | AirPrimitive
"""Anything one frame carries."""


# -- layouts -------------------------------------------------------------------------------------
_HELLO = struct.Struct(f">{len(MAGIC)}sBI6sddBIB5sd")
_F64 = struct.Struct(">d")
_F64x2 = struct.Struct(">dd")
_F64x3 = struct.Struct(">ddd")
_SITE = struct.Struct(">B5s")
_STATUS = struct.Struct(">BIHB")
_RELATION = struct.Struct(">IBhB")
_HEAD = struct.Struct(">HB")

_POWERED, _DECT_ON, _CONNECTED, _PREFERRED_SYNC, _HAS_RFPI = 0x01, 0x02, 0x04, 0x08, 0x10
_SYNCED, _REFERENCE, _HAS_PARENT, _HAS_HOPS = 0x01, 0x02, 0x04, 0x08
_USABLE, _NEIGHBOUR_SYNCED = 0x01, 0x02


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise AirLinkValueError(what)


def _uint(value: int, bits: int, name: str) -> int:
    _check(isinstance(value, int) and 0 <= value < 1 << bits,
           f"{name} must be a {bits}-bit unsigned number, got {value!r}")
    return value


def _finite(value: float, name: str) -> float:
    _check(isinstance(value, int | float) and math.isfinite(value),
           f"{name} must be a finite number, got {value!r}")
    return float(value)


def _finite_in(value: float, name: str) -> float:
    if not math.isfinite(value):
        raise AirLinkProtocolError(f"{name} is not a finite number")
    return value


def _rfpi_out(rfpi: Rfpi | None) -> tuple[int, bytes]:
    return (0, bytes(5)) if rfpi is None else (_HAS_RFPI, rfpi.to_bytes())


def _rfpi_in(flags: int, raw: bytes) -> Rfpi | None:
    if not flags & _HAS_RFPI:
        if raw != bytes(5):
            raise AirLinkProtocolError("RFPI octets given without the RFPI flag")
        return None
    try:
        return Rfpi.from_bytes(raw)
    except DectValueError as exc:
        raise AirLinkProtocolError(f"bad RFPI: {exc}") from None


def _saris_out(saris: tuple[Ari, ...]) -> bytes:
    _check(len(saris) <= MAX_WIRE_SARIS, f"at most {MAX_WIRE_SARIS} SARIs, got {len(saris)}")
    out = bytearray([len(saris)])
    for ari in saris:
        _check(isinstance(ari, Ari) and ari.arc in SARI_CLASSES,
               f"a SARI is a class B, C or D ARI, got {ari!r}")
        out += ari.identity_value()
    return bytes(out)


def _saris_in(body: bytes, offset: int, what: str) -> tuple[Ari, ...]:
    """The SARI list at the end of a HELLO or SITE body: count u8, 4 octets each."""
    if len(body) <= offset:
        raise AirLinkProtocolError(f"{what} without its SARI count")
    count = body[offset]
    _size(body, offset + 1 + count * SARI_OCTETS, f"{what} with {count} SARIs")
    out = []
    for at in range(offset + 1, len(body), SARI_OCTETS):
        try:
            ari = Ari.from_identity_value(body[at:at + SARI_OCTETS], 8 * SARI_OCTETS)
        except DectValueError as exc:
            raise AirLinkProtocolError(f"{what}: bad SARI: {exc}") from None
        if ari.arc not in SARI_CLASSES:
            raise AirLinkProtocolError(f"{what}: a class {ari.arc.name} ARI is no SARI")
        out.append(ari)
    return tuple(out)


def _site_flags(powered: bool, dect_on: bool, connected: bool) -> int:
    return (_POWERED if powered else 0) | (_DECT_ON if dect_on else 0) | (
        _CONNECTED if connected else 0)


def _only(flags: int, allowed: int, what: str) -> None:
    if flags & ~allowed:
        raise AirLinkProtocolError(f"{what}: unknown flag bits 0x{flags & ~allowed:02x}")


# -- encoding ------------------------------------------------------------------------------------
def _frame(kind: MessageType, body: bytes) -> bytes:
    size = 1 + len(body)
    _check(size <= MAX_FRAME, f"{kind.name} of {len(body)} octets exceeds the frame limit")
    return _HEAD.pack(size, kind) + body


def _enc_hello(m: Hello) -> bytes:
    _check(len(m.mac) == 6, f"a MAC is 6 octets, got {len(m.mac)}")
    rfpi_flag, rfpi = _rfpi_out(m.rfpi)
    flags = _site_flags(m.powered, m.dect_on, m.connected) | rfpi_flag | (
        _PREFERRED_SYNC if m.preferred_sync else 0)
    return _frame(MessageType.HELLO, _HELLO.pack(
        MAGIC, _uint(m.version, 8, "version"), _uint(m.rfp_id, 32, "rfp_id"), bytes(m.mac),
        _finite(m.x, "x"), _finite(m.y, "y"), _uint(m.rpn, 8, "rpn"),
        _uint(m.cluster, 32, "cluster"), flags, rfpi, _finite(m.sent_at, "sent_at"))
        + _saris_out(m.saris))


def _enc_welcome(m: Welcome) -> bytes:
    return _frame(MessageType.WELCOME, _F64x3.pack(
        _finite(m.epoch, "epoch"), _finite(m.now, "now"), _finite(m.echo, "echo")))


def _enc_refused(m: Refused) -> bytes:
    raw = m.reason.encode("utf-8")[:MAX_REASON_OCTETS]
    return _frame(MessageType.REFUSED, raw.decode("utf-8", "ignore").encode("utf-8"))


def _enc_site(m: SiteState) -> bytes:
    rfpi_flag, rfpi = _rfpi_out(m.rfpi)
    return _frame(MessageType.SITE, _SITE.pack(
        _site_flags(m.powered, m.dect_on, m.connected) | rfpi_flag, rfpi) + _saris_out(m.saris))


def _enc_sync(m: SyncUpdate) -> bytes:
    s = m.status
    _check(len(m.relations) <= MAX_WIRE_RELATIONS,
           f"at most {MAX_WIRE_RELATIONS} relations, got {len(m.relations)}")
    flags = ((_SYNCED if s.synced else 0) | (_REFERENCE if s.reference else 0)
             | (0 if s.parent is None else _HAS_PARENT) | (0 if s.hops is None else _HAS_HOPS))
    parts = [_STATUS.pack(flags, _uint(s.parent or 0, 32, "parent"),
                          _uint(s.hops or 0, 16, "hops"), len(m.relations))]
    for r in m.relations:
        tenths = round(_finite(r.rssi_dbm, "rssi_dbm") * 10)
        _check(-32768 <= tenths <= 32767, f"rssi_dbm {r.rssi_dbm} out of range")
        parts.append(_RELATION.pack(
            _uint(r.rfp_id, 32, "relation rfp_id"), _uint(r.rpn, 8, "relation rpn"), tenths,
            (_USABLE if r.usable else 0) | (_NEIGHBOUR_SYNCED if r.synced else 0)))
    return _frame(MessageType.SYNC, b"".join(parts))


def _enc_ping(m: Ping) -> bytes:
    return _frame(MessageType.PING, _F64.pack(_finite(m.sent_at, "sent_at")))


def _enc_pong(m: Pong) -> bytes:
    return _frame(MessageType.PONG, _F64x2.pack(_finite(m.echo, "echo"),
                                                _finite(m.now, "now")))


def _pmid(pmid: int) -> bytes:
    return _uint(pmid, 20, "pmid").to_bytes(3, "big")


def _enc_frame_primitive(kind: int, pmid: int, mfn: int, fn: int, ciphered: bool,
                         payload: bytes) -> bytes:
    # Every 10 ms frame of every call comes here: the ten header octets are one int.
    size = 8 + len(payload)
    if not (0 <= pmid <= PMID_MAX and 0 <= mfn <= MFN_MAX and 0 <= fn <= FN_MASK
            and size <= MAX_FRAME):
        raise AirLinkValueError(f"no frame carries PMID {pmid}, MFN {mfn}, FN {fn} and "
                                f"{len(payload)} octets")
    head = ((size << 64) | (kind << 56) | (pmid << 32) | (mfn << 8) | fn
            | (FLAG_CIPHERED if ciphered else 0))
    return head.to_bytes(10, "big") + payload


_VOICE = int(MessageType.AIR_VOICE)
_DATA = int(MessageType.AIR_DATA)


def _enc_voice(m: AirVoice) -> bytes:
    return _enc_frame_primitive(_VOICE, m.pmid, m.mfn, m.fn, m.ciphered, m.payload)


def _enc_data(m: AirData) -> bytes:
    return _enc_frame_primitive(_DATA, m.pmid, m.mfn, m.fn, m.ciphered, m.payload)


def _enc_connect(m: AirConnect) -> bytes:
    return _frame(MessageType.AIR_CONNECT,
                  _pmid(m.pmid) + bytes([FLAG_HANDOVER if m.handover else 0]))


def _enc_connected(m: AirConnected) -> bytes:
    return _frame(MessageType.AIR_CONNECTED, _pmid(m.pmid))


def _enc_cipher_start(m: AirCipherStart) -> bytes:
    return _frame(MessageType.AIR_CIPHER_START, _pmid(m.pmid))


def _enc_release(m: AirRelease) -> bytes:
    return _frame(MessageType.AIR_RELEASE, _pmid(m.pmid) + bytes([_uint(m.reason, 8, "reason")]))


def _enc_page(m: AirPage) -> bytes:
    return _frame(MessageType.AIR_PAGE, _uint(m.id16, 16, "id16").to_bytes(2, "big"))


_ENCODERS: dict[type, Callable[[Any], bytes]] = {
    Hello: _enc_hello, Welcome: _enc_welcome, Refused: _enc_refused, SiteState: _enc_site,
    SyncUpdate: _enc_sync, Ping: _enc_ping, Pong: _enc_pong, AirConnect: _enc_connect,
    AirConnected: _enc_connected, AirData: _enc_data, AirCipherStart: _enc_cipher_start,
    AirRelease: _enc_release, AirPage: _enc_page, AirVoice: _enc_voice,
}


def encode(message: Message) -> bytes:
    """One whole frame (length, type, body); AirLinkValueError for what no layout carries."""
    encoder = _ENCODERS.get(type(message))
    if encoder is None:
        raise AirLinkValueError(f"the air link carries no {type(message).__name__}")
    return encoder(message)


# -- decoding ------------------------------------------------------------------------------------
def _size(body: bytes, size: int, what: str) -> None:
    if len(body) != size:
        raise AirLinkProtocolError(f"{what} body is {size} octets, got {len(body)}")


def _dec_hello(body: bytes) -> Hello:
    if len(body) < _HELLO.size:
        raise AirLinkProtocolError(f"HELLO body is at least {_HELLO.size} octets, got {len(body)}")
    (magic, version, rfp_id, mac, x, y, rpn, cluster, flags, rfpi,
     sent_at) = _HELLO.unpack_from(body)
    if magic != MAGIC:
        raise AirLinkProtocolError("HELLO without the air link's magic")
    # Another version's HELLO decodes as far as its version, so that the world can say why
    # it refuses it; the rest of its layout is not this one's.
    saris = _saris_in(body, _HELLO.size, "HELLO") if version == VERSION else ()
    _only(flags, _POWERED | _DECT_ON | _CONNECTED | _PREFERRED_SYNC | _HAS_RFPI, "HELLO")
    return Hello(rfp_id, mac, _finite_in(x, "x"), _finite_in(y, "y"), rpn, cluster,
                 bool(flags & _PREFERRED_SYNC), bool(flags & _POWERED),
                 bool(flags & _DECT_ON), bool(flags & _CONNECTED), _rfpi_in(flags, rfpi),
                 _finite_in(sent_at, "sent_at"), version, saris)


def _dec_welcome(body: bytes) -> Welcome:
    _size(body, _F64x3.size, "WELCOME")
    epoch, now, echo = _F64x3.unpack(body)
    return Welcome(_finite_in(epoch, "epoch"), _finite_in(now, "now"), _finite_in(echo, "echo"))


def _dec_refused(body: bytes) -> Refused:
    if len(body) > MAX_REASON_OCTETS:
        raise AirLinkProtocolError(f"a REFUSED reason of {len(body)} octets")
    try:
        return Refused(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise AirLinkProtocolError("a REFUSED reason that is no UTF-8") from None


def _dec_site(body: bytes) -> SiteState:
    if len(body) < _SITE.size:
        raise AirLinkProtocolError(f"SITE body is at least {_SITE.size} octets, got {len(body)}")
    flags, rfpi = _SITE.unpack_from(body)
    _only(flags, _POWERED | _DECT_ON | _CONNECTED | _HAS_RFPI, "SITE")
    return SiteState(bool(flags & _POWERED), bool(flags & _DECT_ON), bool(flags & _CONNECTED),
                     _rfpi_in(flags, rfpi), _saris_in(body, _SITE.size, "SITE"))


def _dec_sync(body: bytes) -> SyncUpdate:
    if len(body) < _STATUS.size:
        raise AirLinkProtocolError(f"SYNC body of {len(body)} octets")
    flags, parent, hops, count = _STATUS.unpack_from(body)
    _only(flags, _SYNCED | _REFERENCE | _HAS_PARENT | _HAS_HOPS, "SYNC")
    _size(body, _STATUS.size + count * _RELATION.size, f"SYNC with {count} relations")
    if (not flags & _HAS_PARENT and parent) or (not flags & _HAS_HOPS and hops):
        raise AirLinkProtocolError("SYNC parent or hops given without its flag")
    status = SyncStatus(bool(flags & _SYNCED), bool(flags & _REFERENCE),
                        parent if flags & _HAS_PARENT else None,
                        hops if flags & _HAS_HOPS else None)
    relations = []
    for rfp_id, rpn, tenths, rflags in _RELATION.iter_unpack(body[_STATUS.size:]):
        _only(rflags, _USABLE | _NEIGHBOUR_SYNCED, "SYNC relation")
        relations.append(SyncRelation(rfp_id, rpn, tenths / 10, bool(rflags & _USABLE),
                                      bool(rflags & _NEIGHBOUR_SYNCED)))
    return SyncUpdate(status, tuple(relations))


def _dec_ping(body: bytes) -> Ping:
    _size(body, _F64.size, "PING")
    return Ping(_finite_in(_F64.unpack(body)[0], "sent_at"))


def _dec_pong(body: bytes) -> Pong:
    _size(body, _F64x2.size, "PONG")
    echo, now = _F64x2.unpack(body)
    return Pong(_finite_in(echo, "echo"), _finite_in(now, "now"))


def _frame_head(head: int, what: str) -> tuple[int, int, int, bool]:
    """The seven octets after the type of AirData and AirVoice, as one int."""
    pmid, mfn, low = head >> 32, (head >> 8) & MFN_MAX, head & 0xFF
    if low & ~(FN_MASK | FLAG_CIPHERED):
        raise AirLinkProtocolError(f"{what}: unknown flag bits 0x{low & ~FN_MASK:02x}")
    if pmid > PMID_MAX:
        raise AirLinkProtocolError(f"{what}: PMID 0x{pmid:x} is above 20 bits")
    return pmid, mfn, low & FN_MASK, bool(low & FLAG_CIPHERED)


def _frame_primitive(kind: int, head: int, payload: bytes) -> AirVoice | AirData:
    pmid, mfn, fn, ciphered = _frame_head(head, "AIR_VOICE" if kind == _VOICE else "AIR_DATA")
    if kind == _VOICE:
        return AirVoice(pmid, payload, mfn, fn, ciphered)
    return AirData(pmid, payload, mfn, fn, ciphered)


def _dec_voice(body: bytes) -> AirVoice | AirData:
    if len(body) < 7:
        raise AirLinkProtocolError(f"AIR_VOICE body of {len(body)} octets")
    return _frame_primitive(_VOICE, int.from_bytes(body[:7], "big"), body[7:])


def _dec_data(body: bytes) -> AirVoice | AirData:
    if len(body) < 7:
        raise AirLinkProtocolError(f"AIR_DATA body of {len(body)} octets")
    return _frame_primitive(_DATA, int.from_bytes(body[:7], "big"), body[7:])


def _dec_pmid(body: bytes, what: str) -> int:
    pmid = int.from_bytes(body[:3], "big")
    if pmid > PMID_MAX:
        raise AirLinkProtocolError(f"{what}: PMID 0x{pmid:x} is above 20 bits")
    return pmid


def _dec_connect(body: bytes) -> AirConnect:
    _size(body, 4, "AIR_CONNECT")
    _only(body[3], FLAG_HANDOVER, "AIR_CONNECT")
    return AirConnect(_dec_pmid(body, "AIR_CONNECT"), bool(body[3] & FLAG_HANDOVER))


def _dec_connected(body: bytes) -> AirConnected:
    _size(body, 3, "AIR_CONNECTED")
    return AirConnected(_dec_pmid(body, "AIR_CONNECTED"))


def _dec_cipher_start(body: bytes) -> AirCipherStart:
    _size(body, 3, "AIR_CIPHER_START")
    return AirCipherStart(_dec_pmid(body, "AIR_CIPHER_START"))


def _dec_release(body: bytes) -> AirRelease:
    _size(body, 4, "AIR_RELEASE")
    return AirRelease(_dec_pmid(body, "AIR_RELEASE"), body[3])


def _dec_page(body: bytes) -> AirPage:
    _size(body, 2, "AIR_PAGE")
    return AirPage(int.from_bytes(body, "big"))


_DECODERS: dict[int, Callable[[bytes], Message]] = {
    MessageType.HELLO: _dec_hello, MessageType.WELCOME: _dec_welcome,
    MessageType.REFUSED: _dec_refused, MessageType.SITE: _dec_site,
    MessageType.SYNC: _dec_sync, MessageType.PING: _dec_ping, MessageType.PONG: _dec_pong,
    MessageType.AIR_CONNECT: _dec_connect, MessageType.AIR_CONNECTED: _dec_connected,
    MessageType.AIR_DATA: _dec_data, MessageType.AIR_CIPHER_START: _dec_cipher_start,
    MessageType.AIR_RELEASE: _dec_release, MessageType.AIR_PAGE: _dec_page,
    MessageType.AIR_VOICE: _dec_voice,
}


def decode(frame: bytes) -> Message:
    """Exactly one whole frame (length, type, body)."""
    if len(frame) < LENGTH_OCTETS + 1:
        raise AirLinkProtocolError(f"{len(frame)} octets hold no frame")
    size = int.from_bytes(frame[:LENGTH_OCTETS], "big")
    if size != len(frame) - LENGTH_OCTETS:
        raise AirLinkProtocolError(
            f"the length says {size} octets, the frame has {len(frame) - LENGTH_OCTETS}")
    return _decode_body(frame[LENGTH_OCTETS], bytes(frame[LENGTH_OCTETS + 1:]))


def _decode_body(kind: int, body: bytes) -> Message:
    decoder = _DECODERS.get(kind)
    if decoder is None:
        raise AirLinkProtocolError(f"unknown frame type 0x{kind:02x}")
    return decoder(body)


class FrameReader:
    """Splits the byte stream of one connection into messages: feed bytes, get what is whole."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        """The messages `data` completes, in order; AirLinkProtocolError at the first bad frame
        (the messages before it are lost with the connection)."""
        buffer = self._buffer
        buffer += data
        out: list[Message] = []
        at, end = 0, len(buffer)
        while end - at >= LENGTH_OCTETS:
            size = (buffer[at] << 8) | buffer[at + 1]
            if not 1 <= size <= MAX_FRAME:
                raise AirLinkProtocolError(f"a frame length of {size} (1..{MAX_FRAME})")
            if end - at - LENGTH_OCTETS < size:
                break
            start = at + LENGTH_OCTETS
            kind = buffer[start]
            if (kind == _VOICE or kind == _DATA) and size >= 8:
                # The 10 ms frames: no copy of the body before the payload's own.
                out.append(_frame_primitive(
                    kind, int.from_bytes(buffer[start + 1:start + 8], "big"),
                    bytes(buffer[start + 8:start + size])))
            else:
                out.append(_decode_body(kind, bytes(buffer[start + 1:start + size])))
            at = start + size
        if at:
            del buffer[:at]
        return out

    @property
    def buffered(self) -> int:
        """Octets of an incomplete frame waiting for more."""
        return len(self._buffer)
