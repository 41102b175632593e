"""The OMM-OMM standby link: wire format and a sans-I/O session (docs/architecture.md
"Standby link"; standby-eventmgr.md A.1-A.6: the real protocol is not public, so every layout
here is invented and kept in this one module).

A frame is `length:u32 BE` (type octet plus body), `type:u8`, body. Both ends send a Hello at
once (magic, version, what the pair compares, a fresh nonce), then prove the pair's shared
secret with an HMAC over both nonces (the secret never travels), then either end may send
Change/Snapshot and the other acknowledges; Ping/Pong keep the link alive. Bytes that do not
decode raise StandbyLinkProtocolError and nothing else; the session turns that into the close
of its one connection with the reason.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any

from sipdect.store import StoreOp

# -- the constants of the protocol (one table) ---------------------------------------------------
PORT = 16330
"""The standby partner's listener (invented: the real port is not public; not 16321, 12622)."""
MAGIC = b"SDSTB"
"""First octets of a Hello: a peer that is no OMM of a pair is told apart at once."""
VERSION = 1
"""Protocol version a Hello announces; an end refuses another."""
LENGTH_OCTETS = 4
MAX_FRAME = 1 << 20
"""Largest length field (type octet plus body) either end accepts or sends: a Change or a
Snapshot larger than this goes in several frames."""
NONCE_OCTETS = 16
MAC_OCTETS = 32
"""HMAC-SHA256 of the pair's secret over (the prover's side, its nonce, the peer's nonce)."""
MAX_TEXT_OCTETS = 255
"""A Hello's texts (type, version, address) and a table name; a Refuse reason is cut to
MAX_REASON_OCTETS."""
MAX_REASON_OCTETS = 512
MAX_BATCH_RECORDS = 1_000_000
"""Ops of one Change, or rows of one snapshot, an end gathers at most (an OMM holds some 30,000
records at its limits): a partner that never ends one cannot eat the other's memory."""
HEARTBEAT_S = 5.0
"""Each end sends a Ping this often once authenticated (A.3 proposal: probe every 5 s)."""
SILENCE_S = 3 * HEARTBEAT_S
"""Nothing heard for three periods: the partner is lost (A.3: 15 s)."""
HANDSHAKE_S = 10.0
"""Connection to authenticated at most."""
ACK_TIMEOUT_S = 5.0
"""The active gives a Change this long for its Ack before the pair counts as NotSynchronized
(the change stays committed locally)."""
SNAPSHOT_TIMEOUT_S = 60.0
"""A whole snapshot (up to 10,000 users and devices) this long for its Ack."""


class MessageType(IntEnum):
    """The type octet."""

    HELLO = 0x01
    """Either end, first frame: who this OMM is (Hello)."""
    AUTH = 0x02
    """Either end, after the peer's Hello: the HMAC proof (Auth)."""
    REFUSE = 0x03
    """Either end, then it closes: why (Refuse)."""
    PING = 0x04
    PONG = 0x05
    ROLE = 0x06
    """Either end, once up, whenever its role changes: the new role u8 (RoleChange)."""
    CHANGE = 0x10
    """The ops of one committed transaction, possibly in several frames (Change)."""
    ACK = 0x11
    """A Change or a snapshot of that sequence number is applied and committed (Ack)."""
    SNAPSHOT = 0x12
    """Rows of one table, a chunk of a whole-database copy (Snapshot)."""
    SNAPSHOT_DONE = 0x13
    """The copy is complete: replace those tables (SnapshotDone)."""


class Role(IntEnum):
    """What the sender of a Hello is in the pair right now."""

    STARTING = 0
    STANDBY = 1
    ACTIVE = 2


# -- errors --------------------------------------------------------------------------------------
class StandbyLinkError(Exception):
    """Base of every error the standby link raises on purpose."""


class StandbyLinkProtocolError(StandbyLinkError, ValueError):
    """Bytes do not decode (or break the protocol): the one connection closes."""


class StandbyLinkValueError(StandbyLinkError, ValueError):
    """A value no layout carries (a row larger than a frame, a key beyond i64, ...)."""


# -- messages ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Hello:
    """Either end's first frame: what the pair compares (standby-eventmgr.md A.2, A.5)."""

    omm_type: str
    """The platform ("Linux", "RFP"): DifferentOMMTypes when they differ."""
    sw_version: str
    """The OMM software version: DifferentOMMVersions when they differ."""
    uptime: float
    """Seconds the sender has been running: after a split the longer-running one stays
    active (its own clock's difference, so unlike system times need not agree)."""
    address: str
    """The sender's IP address (the partner's ommStbAddr; "lowest IP takes over")."""
    role: Role
    nonce: bytes
    """NONCE_OCTETS fresh random octets the peer's Auth must cover."""
    version: int = VERSION


@dataclass(frozen=True, slots=True)
class Auth:
    mac: bytes


@dataclass(frozen=True, slots=True)
class Refuse:
    reason: str


@dataclass(frozen=True, slots=True)
class Ping:
    pass


@dataclass(frozen=True, slots=True)
class Pong:
    pass


@dataclass(frozen=True, slots=True)
class RoleChange:
    """The sender's role from now on (its Hello told the first one)."""

    role: Role


@dataclass(frozen=True, slots=True)
class Change:
    """Ops of one transaction; `more` says frames of the same seq follow (applied at the last)."""

    seq: int
    ops: tuple[StoreOp, ...]
    more: bool = False


@dataclass(frozen=True, slots=True)
class Ack:
    seq: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Rows of one table (key, JSON text); a table may come in several chunks, an empty one
    in one chunk without rows (it is replaced by nothing)."""

    seq: int
    table: str
    rows: tuple[tuple[int | str, str], ...]


@dataclass(frozen=True, slots=True)
class SnapshotDone:
    seq: int


Message = (Hello | Auth | Refuse | Ping | Pong | RoleChange | Change | Ack | Snapshot
           | SnapshotDone)


# -- layouts -------------------------------------------------------------------------------------
_HEAD = struct.Struct(">IB")
_U8 = struct.Struct(">B")
_U32 = struct.Struct(">I")
_I64 = struct.Struct(">q")
_F64 = struct.Struct(">d")
_HELLO_FIXED = struct.Struct(f">{len(MAGIC)}sBBd{NONCE_OCTETS}s")
_OP_PUT, _OP_DELETE, _OP_CLEAR = 0, 1, 2
_KEY_INT, _KEY_TEXT = 0, 1
_FLAG_MORE = 0x01


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise StandbyLinkValueError(what)


def _text(value: str, what: str) -> bytes:
    raw = value.encode("utf-8")
    _check(len(raw) <= MAX_TEXT_OCTETS, f"{what} of {len(raw)} octets (at most "
           f"{MAX_TEXT_OCTETS})")
    return _U8.pack(len(raw)) + raw


def _key(key: int | str) -> bytes:
    if isinstance(key, int) and not isinstance(key, bool):
        _check(-(1 << 63) <= key < 1 << 63, f"key {key} is beyond 64 bits")
        return _U8.pack(_KEY_INT) + _I64.pack(key)
    if not isinstance(key, str):
        raise StandbyLinkValueError(f"a key is a number or a text, got {key!r}")
    return _U8.pack(_KEY_TEXT) + _text(key, "a key")


def _row(key: int | str, value: str) -> bytes:
    raw = value.encode("utf-8")
    return _key(key) + _U32.pack(len(raw)) + raw


def _op(op: StoreOp) -> bytes:
    table = _text(op.table, "a table name")
    if op.key is None:
        _check(op.value is None, "a table clear carries no value")
        return _U8.pack(_OP_CLEAR) + table
    if op.value is None:
        return _U8.pack(_OP_DELETE) + table + _key(op.key)
    return _U8.pack(_OP_PUT) + table + _row(op.key, op.value)


def _frame(kind: MessageType, body: bytes) -> bytes:
    _check(1 + len(body) <= MAX_FRAME, f"{kind.name} of {len(body)} octets exceeds a frame")
    return _HEAD.pack(1 + len(body), kind) + body


def _u32(value: int, what: str) -> int:
    _check(isinstance(value, int) and 0 <= value < 1 << 32, f"{what} {value!r} is no u32")
    return value


def encode(message: Message) -> bytes:
    """One whole frame; StandbyLinkValueError for what no layout carries."""
    if isinstance(message, Hello):
        _check(len(message.nonce) == NONCE_OCTETS, f"a nonce is {NONCE_OCTETS} octets")
        _check(0 <= message.version < 256, "version is a u8")
        _check(0 <= message.uptime < float("inf"), f"uptime {message.uptime!r} is no finite "
               "positive number")
        return _frame(MessageType.HELLO, _HELLO_FIXED.pack(
            MAGIC, message.version, int(message.role), float(message.uptime), message.nonce)
            + _text(message.omm_type, "omm_type") + _text(message.sw_version, "sw_version")
            + _text(message.address, "address"))
    if isinstance(message, Auth):
        _check(len(message.mac) == MAC_OCTETS, f"a MAC is {MAC_OCTETS} octets")
        return _frame(MessageType.AUTH, message.mac)
    if isinstance(message, Refuse):
        raw = message.reason.encode("utf-8")[:MAX_REASON_OCTETS]
        return _frame(MessageType.REFUSE, raw.decode("utf-8", "ignore").encode("utf-8"))
    if isinstance(message, Ping):
        return _frame(MessageType.PING, b"")
    if isinstance(message, Pong):
        return _frame(MessageType.PONG, b"")
    if isinstance(message, RoleChange):
        return _frame(MessageType.ROLE, _U8.pack(int(message.role)))
    if isinstance(message, Change):
        return _frame(MessageType.CHANGE, _U32.pack(_u32(message.seq, "seq"))
                      + _U8.pack(_FLAG_MORE if message.more else 0)
                      + _U32.pack(len(message.ops)) + b"".join(map(_op, message.ops)))
    if isinstance(message, Ack):
        return _frame(MessageType.ACK, _U32.pack(_u32(message.seq, "seq")))
    if isinstance(message, Snapshot):
        return _frame(MessageType.SNAPSHOT, _U32.pack(_u32(message.seq, "seq"))
                      + _text(message.table, "a table name") + _U32.pack(len(message.rows))
                      + b"".join(_row(k, v) for k, v in message.rows))
    if isinstance(message, SnapshotDone):
        return _frame(MessageType.SNAPSHOT_DONE, _U32.pack(_u32(message.seq, "seq")))
    raise StandbyLinkValueError(f"the standby link carries no {type(message).__name__}")


# -- decoding ------------------------------------------------------------------------------------
class _Body:
    """A cursor over one frame's body; every short read is a protocol error."""

    def __init__(self, body: bytes, what: str) -> None:
        self.body, self.at, self.what = body, 0, what

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.body):
            raise StandbyLinkProtocolError(f"{self.what} ends early")
        out = self.body[self.at:self.at + n]
        self.at += n
        return out

    def unpack(self, layout: struct.Struct) -> tuple[Any, ...]:
        return layout.unpack(self.take(layout.size))

    def u8(self) -> int:
        return int(self.take(1)[0])

    def u32(self) -> int:
        return int(self.unpack(_U32)[0])

    def text(self, what: str) -> str:
        raw = self.take(self.u8())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise StandbyLinkProtocolError(f"{self.what}: {what} is no UTF-8") from None

    def key(self) -> int | str:
        tag = self.u8()
        if tag == _KEY_INT:
            return int(self.unpack(_I64)[0])
        if tag == _KEY_TEXT:
            return self.text("a key")
        raise StandbyLinkProtocolError(f"{self.what}: unknown key tag {tag}")

    def json(self) -> str:
        raw = self.take(self.u32())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise StandbyLinkProtocolError(f"{self.what}: a record is no UTF-8") from None

    def count(self, least_octets: int) -> int:
        n = self.u32()
        if n * least_octets > len(self.body) - self.at:
            raise StandbyLinkProtocolError(f"{self.what}: {n} items cannot fit")
        return n

    def end(self) -> None:
        if self.at != len(self.body):
            raise StandbyLinkProtocolError(
                f"{self.what}: {len(self.body) - self.at} octets after the end")


def _role(value: int) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise StandbyLinkProtocolError(f"unknown role {value}") from None


def _dec_hello(b: _Body) -> Hello:
    magic, version, role, uptime, nonce = b.unpack(_HELLO_FIXED)
    if magic != MAGIC:
        raise StandbyLinkProtocolError("HELLO without the standby link's magic")
    role = _role(role)
    if not uptime >= 0 or uptime == float("inf"):
        raise StandbyLinkProtocolError("HELLO: the uptime is no finite positive number")
    omm_type, sw_version, address = b.text("omm_type"), b.text("sw_version"), b.text("address")
    return Hello(omm_type, sw_version, uptime, address, role, nonce, version)


def _dec_op(b: _Body) -> StoreOp:
    kind = b.u8()
    table = b.text("a table name")
    if kind == _OP_CLEAR:
        return StoreOp(table, None, None)
    if kind == _OP_DELETE:
        return StoreOp(table, b.key(), None)
    if kind == _OP_PUT:
        return StoreOp(table, b.key(), b.json())
    raise StandbyLinkProtocolError(f"{b.what}: unknown op {kind}")


def _dec_change(b: _Body) -> Change:
    seq, flags = b.u32(), b.u8()
    if flags & ~_FLAG_MORE:
        raise StandbyLinkProtocolError(f"CHANGE: unknown flag bits 0x{flags:02x}")
    ops = tuple(_dec_op(b) for _ in range(b.count(2)))
    return Change(seq, ops, bool(flags & _FLAG_MORE))


def _dec_snapshot(b: _Body) -> Snapshot:
    seq, table = b.u32(), b.text("a table name")
    rows = tuple((b.key(), b.json()) for _ in range(b.count(6)))
    return Snapshot(seq, table, rows)


def _dec_refuse(b: _Body) -> Refuse:
    raw = b.take(len(b.body))
    if len(raw) > MAX_REASON_OCTETS:
        raise StandbyLinkProtocolError(f"a REFUSE reason of {len(raw)} octets")
    try:
        return Refuse(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise StandbyLinkProtocolError("a REFUSE reason that is no UTF-8") from None


_DECODERS: dict[int, Callable[[_Body], Message]] = {
    MessageType.HELLO: _dec_hello,
    MessageType.AUTH: lambda b: Auth(b.take(MAC_OCTETS)),
    MessageType.REFUSE: _dec_refuse,
    MessageType.PING: lambda b: Ping(),
    MessageType.PONG: lambda b: Pong(),
    MessageType.ROLE: lambda b: RoleChange(_role(b.u8())),
    MessageType.CHANGE: _dec_change,
    MessageType.ACK: lambda b: Ack(b.u32()),
    MessageType.SNAPSHOT: _dec_snapshot,
    MessageType.SNAPSHOT_DONE: lambda b: SnapshotDone(b.u32()),
}


def _decode_body(kind: int, body: bytes) -> Message:
    decoder = _DECODERS.get(kind)
    if decoder is None:
        raise StandbyLinkProtocolError(f"unknown frame type 0x{kind:02x}")
    b = _Body(body, MessageType(kind).name)
    message = decoder(b)
    b.end()
    return message


def decode(frame: bytes) -> Message:
    """Exactly one whole frame (length, type, body)."""
    if len(frame) < LENGTH_OCTETS + 1:
        raise StandbyLinkProtocolError(f"{len(frame)} octets hold no frame")
    size = _U32.unpack_from(frame)[0]
    if size != len(frame) - LENGTH_OCTETS:
        raise StandbyLinkProtocolError(
            f"the length says {size} octets, the frame has {len(frame) - LENGTH_OCTETS}")
    return _decode_body(frame[LENGTH_OCTETS], bytes(frame[LENGTH_OCTETS + 1:]))


class FrameReader:
    """Splits one connection's byte stream into messages: feed bytes, get what is whole."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        """The messages `data` completes; StandbyLinkProtocolError at the first bad frame."""
        buffer = self._buffer
        buffer += data
        out: list[Message] = []
        at = 0
        while len(buffer) - at >= LENGTH_OCTETS:
            size = _U32.unpack_from(buffer, at)[0]
            if not 1 <= size <= MAX_FRAME:
                raise StandbyLinkProtocolError(f"a frame length of {size} (1..{MAX_FRAME})")
            if len(buffer) - at - LENGTH_OCTETS < size:
                break
            start = at + LENGTH_OCTETS
            out.append(_decode_body(buffer[start], bytes(buffer[start + 1:start + size])))
            at = start + size
        if at:
            del buffer[:at]
        return out


# -- splitting what does not fit one frame -------------------------------------------------------
_CHANGE_HEAD = 1 + 4 + 1 + 4
"""A CHANGE's length field before its ops: type, seq, flags, count."""
_SNAPSHOT_HEAD_SLACK = 1 + 4 + 1 + MAX_TEXT_OCTETS + 4
"""A SNAPSHOT's before its rows, for the longest table name: type, seq, name, count."""


def change_frames(seq: int, ops: Sequence[StoreOp], limit: int = MAX_FRAME) -> list[Change]:
    """One transaction's ops as Changes of at most `limit` octets each (the last not `more`)."""
    chunks: list[list[StoreOp]] = [[]]
    size = _CHANGE_HEAD
    for op in ops:
        raw = len(_op(op))
        _check(_CHANGE_HEAD + raw <= limit, f"a record of {raw} octets exceeds a frame")
        if size + raw > limit and chunks[-1]:
            chunks.append([])
            size = _CHANGE_HEAD
        chunks[-1].append(op)
        size += raw
    return [Change(seq, tuple(c), i < len(chunks) - 1) for i, c in enumerate(chunks)]


def snapshot_frames(seq: int, tables: Iterable[tuple[str, Sequence[tuple[int | str, str]]]],
                    limit: int = MAX_FRAME) -> list[Snapshot | SnapshotDone]:
    """Every table's rows as Snapshot chunks of at most `limit` octets, then SnapshotDone."""
    out: list[Snapshot | SnapshotDone] = []
    for table, rows in tables:
        chunk: list[tuple[int | str, str]] = []
        size = _SNAPSHOT_HEAD_SLACK
        for key, value in rows:
            raw = len(_row(key, value))
            _check(_SNAPSHOT_HEAD_SLACK + raw <= limit, f"a row of {raw} octets exceeds a frame")
            if size + raw > limit and chunk:
                out.append(Snapshot(seq, table, tuple(chunk)))
                chunk, size = [], _SNAPSHOT_HEAD_SLACK
            chunk.append((key, value))
            size += raw
        out.append(Snapshot(seq, table, tuple(chunk)))
    out.append(SnapshotDone(seq))
    return out


# -- the pair's proof ------------------------------------------------------------------------------
class Side(Enum):
    """Which end of the TCP connection: labels the proof so one cannot be reflected."""

    CLIENT = b"sipdect standby client"
    SERVER = b"sipdect standby server"


def proof(secret: bytes, side: Side, own_nonce: bytes, peer_nonce: bytes) -> bytes:
    """What `side` sends in its Auth: HMAC-SHA256(secret, side label | its nonce | peer's)."""
    return hmac.new(secret, side.value + own_nonce + peer_nonce, hashlib.sha256).digest()


# -- events --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PartnerAuthenticated:
    """The partner proved the pair's secret; its Hello says what it is."""

    hello: Hello


@dataclass(frozen=True, slots=True)
class PartnerRole:
    """The partner's role changed (RoleChange); `partner_role` holds it from now on."""

    role: Role


@dataclass(frozen=True, slots=True)
class ChangeReceived:
    """The partner's transaction, whole: apply it, then ack(seq)."""

    seq: int
    ops: tuple[StoreOp, ...]


@dataclass(frozen=True, slots=True)
class SnapshotReceived:
    """The partner's whole database (the replicated tables): replace ours, then ack(seq)."""

    seq: int
    tables: dict[str, list[tuple[int | str, str]]]


@dataclass(frozen=True, slots=True)
class Acked:
    """The partner applied and committed what we sent with this seq."""

    seq: int


@dataclass(frozen=True, slots=True)
class LinkClosed:
    """The last event: the link is over (the owner closes the socket)."""

    reason: str
    refused: bool = False
    """The partner refused us (a wrong secret, another version)."""


Event = PartnerAuthenticated | PartnerRole | ChangeReceived | SnapshotReceived | Acked | LinkClosed


class LinkState(Enum):
    HANDSHAKE = "waiting for the partner's HELLO and AUTH"
    UP = "authenticated"
    CLOSED = "closed"


class StandbyLinkSession:
    """One OMM-OMM connection, either end, without I/O: bytes and `now` in; bytes, events and
    the next deadline out."""

    def __init__(self, side: Side, secret: bytes, hello: Hello, now: float, *,
                 handshake_timeout: float = HANDSHAKE_S, heartbeat: float = HEARTBEAT_S,
                 silence: float = SILENCE_S, frame_limit: int = MAX_FRAME) -> None:
        """`hello` is ours, with a fresh nonce; it is queued at once."""
        self.side = side
        self.state = LinkState.HANDSHAKE
        self.partner: Hello | None = None
        self.partner_role: Role | None = None
        """The partner's role: its Hello's, then the last RoleChange's."""
        self.close_reason = ""
        self._secret = secret
        self._hello = hello
        self._authenticated = False
        self._reader = FrameReader()
        self._out = bytearray()
        self._events: deque[Event] = deque()
        self._heartbeat = heartbeat
        self._silence = silence
        self._frame_limit = frame_limit
        self._handshake_timeout = handshake_timeout
        self._deadline = now + handshake_timeout
        self._last_heard = now
        self._next_ping = 0.0
        self._next_seq = 1
        self._change: list[StoreOp] = []
        self._change_seq: int | None = None
        self._snapshot: dict[str, list[tuple[int | str, str]]] = {}
        self._snapshot_seq: int | None = None
        self._snapshot_rows = 0
        self._queue(hello)

    @property
    def closed(self) -> bool:
        return self.state is LinkState.CLOSED

    @property
    def own_hello(self) -> Hello:
        """What we told the partner in our Hello."""
        return self._hello

    # -- output --------------------------------------------------------------------------------
    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def next_event(self) -> Event | None:
        return self._events.popleft() if self._events else None

    def _queue(self, message: Message) -> None:
        self._out += encode(message)

    def _take_seq(self) -> int:
        seq = self._next_seq
        self._next_seq = seq % 0xFFFFFFFF + 1
        return seq

    def send_change(self, ops: Sequence[StoreOp]) -> int:
        """Queue one transaction's ops; its seq comes back in Acked. StandbyLinkValueError for
        a record no frame holds (nothing queued)."""
        self._require_up()
        seq = self._take_seq()
        for frame in change_frames(seq, ops, self._frame_limit):
            self._queue(frame)
        return seq

    def send_snapshot(self, tables: Iterable[tuple[str, Sequence[tuple[int | str, str]]]]) -> int:
        """Queue a whole copy of these tables; its seq comes back in Acked."""
        self._require_up()
        seq = self._take_seq()
        for frame in snapshot_frames(seq, tables, self._frame_limit):
            self._queue(frame)
        return seq

    def send_role(self, role: Role) -> None:
        """Tell the partner our new role (nothing while the link is not up: the next link's
        Hello carries it)."""
        if self.state is LinkState.UP:
            self._queue(RoleChange(role))

    def ack(self, seq: int) -> None:
        """What ChangeReceived/SnapshotReceived carried is applied and committed."""
        if not self.closed:
            self._queue(Ack(seq))

    def refuse(self, reason: str) -> None:
        """Tell the partner why, then close (e.g. what it sent cannot be applied here)."""
        if self.closed:
            return
        self._queue(Refuse(reason))
        self.close(f"refused the partner: {reason}")

    def close(self, reason: str, *, refused: bool = False) -> None:
        if self.closed:
            return
        self.state = LinkState.CLOSED
        self.close_reason = reason
        self._events.append(LinkClosed(reason, refused))

    def _require_up(self) -> None:
        if self.state is not LinkState.UP:
            raise StandbyLinkError(f"the standby link is not up ({self.state.value})")

    # -- input ---------------------------------------------------------------------------------
    def receive_data(self, data: bytes, now: float) -> None:
        """Bytes from the partner; b"" when it closed the connection."""
        if self.closed:
            return
        if not data:
            self.close("the partner closed the standby link")
            return
        try:
            messages = self._reader.feed(data)
        except StandbyLinkProtocolError as exc:
            self.close(f"bad frame from the partner: {exc}")
            return
        self._last_heard = now
        for message in messages:
            if self.closed:
                return
            if isinstance(message, Refuse):
                self.close(f"the partner refused: {message.reason}", refused=True)
            elif self.state is LinkState.HANDSHAKE:
                self._on_handshake(message, now)
            else:
                self._on_up(message)

    def _on_handshake(self, message: Message, now: float) -> None:
        if isinstance(message, Hello) and self.partner is None:
            if message.version != VERSION:
                self.refuse(f"standby link version {message.version}; this OMM speaks {VERSION}")
                return
            self.partner = message
            self.partner_role = message.role
            self._queue(Auth(proof(self._secret, self.side, self._hello.nonce, message.nonce)))
        elif isinstance(message, Auth) and self.partner is not None:
            other = Side.SERVER if self.side is Side.CLIENT else Side.CLIENT
            expected = proof(self._secret, other, self.partner.nonce, self._hello.nonce)
            if not hmac.compare_digest(expected, message.mac):
                self.refuse("authentication failed: the pair's secrets differ")
                return
            self.state = LinkState.UP
            self._next_ping = now + self._heartbeat
            self._events.append(PartnerAuthenticated(self.partner))
        else:
            self.close(f"unexpected {type(message).__name__} during the handshake")

    def _on_up(self, message: Message) -> None:
        if isinstance(message, Ping):
            self._queue(Pong())
        elif isinstance(message, Pong):
            pass
        elif isinstance(message, RoleChange):
            self.partner_role = message.role
            self._events.append(PartnerRole(message.role))
        elif isinstance(message, Change):
            self._on_change(message)
        elif isinstance(message, Snapshot):
            self._on_snapshot(message)
        elif isinstance(message, SnapshotDone):
            if message.seq != self._snapshot_seq:
                self.close(f"SNAPSHOT_DONE {message.seq} ends no snapshot")
                return
            tables, self._snapshot, self._snapshot_seq = self._snapshot, {}, None
            self._snapshot_rows = 0
            self._events.append(SnapshotReceived(message.seq, tables))
        elif isinstance(message, Ack):
            self._events.append(Acked(message.seq))
        else:
            self.close(f"unexpected {type(message).__name__} on a running standby link")

    def _on_change(self, change: Change) -> None:
        if self._change_seq not in (None, change.seq):
            self.close(f"CHANGE {change.seq} inside CHANGE {self._change_seq}")
            return
        self._change_seq = change.seq
        self._change.extend(change.ops)
        if len(self._change) > MAX_BATCH_RECORDS:
            self.close(f"CHANGE {change.seq} of more than {MAX_BATCH_RECORDS} records")
            return
        if not change.more:
            ops, self._change, self._change_seq = tuple(self._change), [], None
            self._events.append(ChangeReceived(change.seq, ops))

    def _on_snapshot(self, chunk: Snapshot) -> None:
        if self._snapshot_seq not in (None, chunk.seq):
            self.close(f"SNAPSHOT {chunk.seq} inside SNAPSHOT {self._snapshot_seq}")
            return
        self._snapshot_seq = chunk.seq
        self._snapshot.setdefault(chunk.table, []).extend(chunk.rows)
        self._snapshot_rows += len(chunk.rows)
        if self._snapshot_rows > MAX_BATCH_RECORDS:
            self.close(f"SNAPSHOT {chunk.seq} of more than {MAX_BATCH_RECORDS} records")

    # -- time ----------------------------------------------------------------------------------
    def get_timer(self) -> float | None:
        if self.closed:
            return None
        if self.state is LinkState.HANDSHAKE:
            return self._deadline
        return min(self._next_ping, self._last_heard + self._silence)

    def handle_timer(self, now: float) -> None:
        if self.closed:
            return
        if self.state is LinkState.HANDSHAKE:
            if now >= self._deadline:
                self.close(f"no authenticated partner within {self._handshake_timeout:g} s")
        elif now >= self._last_heard + self._silence:
            self.close(f"nothing heard from the partner for {self._silence:g} s")
        elif now >= self._next_ping:
            self._queue(Ping())
            self._next_ping = now + self._heartbeat
