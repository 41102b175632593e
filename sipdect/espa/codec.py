"""ESPA 4.4.4 data blocks and the link's tokens, as plain bytes (ecosystem.md §5).

    SOH <function> STX <id> US <value> RS <id> US <value> ... ETX <BCC>

BCC is the XOR of every byte after SOH up to and including ETX; it may take any value,
a control character's too, so the scanner reads it as data. Outside a block the link speaks
in single tokens: `<address> ENQ` (poll or select), ACK, `[digit] NAK`, EOT.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum

from sipdect.espa.conventions import (
    ACK,
    CONTROL_BYTES,
    DEFAULT_PRIORITY,
    ENCODING,
    ENQ,
    EOT,
    ETX,
    MAX_BLOCK,
    MAX_VALUE,
    NAK,
    RS,
    SOH,
    STX,
    US,
    Function,
    Priority,
    Record,
)


class EspaError(ValueError):
    """Bytes that are not a data block (the receiver answers NAK)."""


class BadBcc(EspaError):
    """A block whose check character does not match: a transmission error."""


@dataclass(frozen=True, slots=True)
class DataBlock:
    """One data block: its function (header) and its records in the order sent."""

    function: int
    records: tuple[tuple[int, str], ...] = ()

    def get(self, record: int) -> str | None:
        """The value of the first record with this identifier, None without one."""
        for ident, value in self.records:
            if ident == record:
                return value
        return None

    @property
    def call_address(self) -> str:
        return self.get(Record.CALL_ADDRESS) or ""

    @property
    def message(self) -> str:
        return self.get(Record.DISPLAY_MESSAGE) or ""

    @property
    def priority(self) -> int:
        """Record 6 as a number; the default (normal) when absent or not a digit."""
        value = (self.get(Record.PRIORITY) or "").strip()
        return int(value) if value.isdigit() else int(DEFAULT_PRIORITY)

    @property
    def is_call(self) -> bool:
        return self.function == Function.CALL


def call(address: str, message: str = "", *, priority: int = Priority.NORMAL,
         beep: int | None = None, call_type: int | None = None,
         transmissions: int | None = None, status: str | None = None) -> DataBlock:
    """A call to a pager (function 1) with the records a nurse-call system sends."""
    records: list[tuple[int | Record, str]] = [(Record.CALL_ADDRESS, address)]
    if message:
        records.append((Record.DISPLAY_MESSAGE, message))
    for ident, value in ((Record.BEEP_CODING, beep), (Record.CALL_TYPE, call_type),
                         (Record.TRANSMISSIONS, transmissions)):
        if value is not None:
            records.append((ident, str(value)))
    records.append((Record.PRIORITY, str(int(priority))))
    if status is not None:
        records.append((Record.CALL_STATUS, status))
    return DataBlock(int(Function.CALL), records_of(records))


def status_information(address: str, status: str, message: str = "") -> DataBlock:
    """A status (function 2) about the call to `address`: record 7 says how it went."""
    records: list[tuple[int | Record, str]] = [(Record.CALL_ADDRESS, address)]
    if message:
        records.append((Record.DISPLAY_MESSAGE, message))
    records.append((Record.CALL_STATUS, status))
    return DataBlock(int(Function.STATUS_INFORMATION), records_of(records))


def bcc(body: bytes) -> int:
    """The block check character of everything after SOH up to and including ETX."""
    check = 0
    for byte in body:
        check ^= byte
    return check


def _text(value: str, what: str) -> bytes:
    try:
        data = value.encode(ENCODING)
    except UnicodeEncodeError:
        raise EspaError(f"{what} {value!r} is not ISO-8859-1 text") from None
    if any(b in CONTROL_BYTES for b in data):
        raise EspaError(f"{what} {value!r} holds an ESPA control character")
    return data


def encode(block: DataBlock) -> bytes:
    """The block on the wire; EspaError for what cannot be sent (a value too long, a control
    character or a character outside ISO-8859-1)."""
    if block.function < 0:
        raise EspaError(f"function {block.function} is not a header")
    parts = []
    for ident, value in block.records:
        if ident < 0:
            raise EspaError(f"record {ident} is not an identifier")
        if len(value) > MAX_VALUE:
            raise EspaError(f"record {ident} is longer than {MAX_VALUE} characters")
        parts.append(str(ident).encode() + bytes([US]) + _text(value, f"record {ident}"))
    body = str(block.function).encode() + bytes([STX]) + bytes([RS]).join(parts) + bytes([ETX])
    if len(body) + 2 > MAX_BLOCK:
        raise EspaError(f"the block is longer than {MAX_BLOCK} bytes")
    return bytes([SOH]) + body + bytes([bcc(body)])


def _number(data: bytes, what: str) -> int:
    text = data.decode(ENCODING).strip()
    if not text.isdigit() or not text.isascii():
        raise EspaError(f"{what} {text!r} is not a number")
    return int(text)


def decode(frame: bytes) -> DataBlock:
    """A whole block, SOH to BCC: BadBcc for a wrong check character, EspaError for any
    other malformation. A stray RS before ETX (real senders write one) is taken."""
    if len(frame) < 4 or frame[0] != SOH or frame[-2] != ETX:
        raise EspaError("not a data block (SOH ... ETX BCC)")
    if len(frame) > MAX_BLOCK:
        raise EspaError(f"a data block longer than {MAX_BLOCK} bytes")
    body = frame[1:-1]
    if bcc(body) != frame[-1]:
        raise BadBcc(f"BCC {frame[-1]:#04x}, the block gives {bcc(body):#04x}")
    head, sep, rest = body[:-1].partition(bytes([STX]))
    if not sep:
        raise EspaError("no STX after the function")
    function = _number(head, "function")
    records: list[tuple[int, str]] = []
    for part in rest.split(bytes([RS])) if rest else []:
        if not part:
            continue  # a stray separator
        ident, sep, value = part.partition(bytes([US]))
        if not sep:
            raise EspaError(f"record {part[:16]!r} has no US")
        if any(b in CONTROL_BYTES for b in value):
            raise EspaError("a record value holds a control character")
        records.append((_number(ident, "record identifier"), value.decode(ENCODING)))
    return DataBlock(function, tuple(records))


# -- the link's tokens ---------------------------------------------------------------------------
class Kind(Enum):
    ENQ = "enq"
    ACK = "ack"
    NAK = "nak"
    EOT = "eot"
    BLOCK = "block"
    GARBAGE = "garbage"


@dataclass(frozen=True, slots=True)
class Token:
    """One thing the other end said: `address` is the character before ENQ or NAK ("" for
    none); a BLOCK carries its decoded `block` or the `error` that made it unreadable;
    GARBAGE is bytes that mean nothing here."""

    kind: Kind
    address: str = ""
    block: DataBlock | None = None
    error: EspaError | None = None
    raw: bytes = b""


def enq(address: str = "") -> bytes:
    return address.encode("ascii") + bytes([ENQ])


def nak(reason: str = "") -> bytes:
    return reason.encode("ascii") + bytes([NAK])


ACK_BYTES = bytes([ACK])
EOT_BYTES = bytes([EOT])


@dataclass
class Scanner:
    """Cuts a byte stream into tokens; keeps an unfinished block (or an address character
    waiting for its ENQ/NAK) for the next feed."""

    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[Token]:
        self._buffer += data
        return list(self._scan())

    @property
    def pending(self) -> bool:
        """Part of a token is waiting for more bytes."""
        return bool(self._buffer)

    def clear(self) -> None:
        self._buffer.clear()

    def _scan(self) -> Iterator[Token]:
        buf = self._buffer
        while buf:
            first = buf[0]
            if first == SOH:
                end = buf.find(bytes([ETX]), 1)
                if end < 0 or end + 1 >= len(buf):
                    if len(buf) > MAX_BLOCK:
                        yield self._garbage(len(buf), "a data block without ETX")
                        continue
                    return  # the rest (or its BCC) is still on the way
                if end + 2 > MAX_BLOCK:
                    yield self._garbage(end + 2, f"a data block longer than {MAX_BLOCK} bytes")
                    continue
                frame = bytes(buf[:end + 2])
                del buf[:end + 2]
                try:
                    yield Token(Kind.BLOCK, block=decode(frame), raw=frame)
                except EspaError as exc:
                    yield Token(Kind.BLOCK, error=exc, raw=frame)
            elif first in (ENQ, ACK, NAK, EOT):
                del buf[:1]
                yield Token(_SINGLE[first], raw=bytes([first]))
            elif first in CONTROL_BYTES:
                yield self._garbage(1, "a control character out of place")
            else:
                if len(buf) < 2:
                    return  # an address character: its ENQ or NAK may follow
                follower = buf[1]
                if follower in (ENQ, NAK):
                    address = chr(first)
                    raw = bytes(buf[:2])
                    del buf[:2]
                    yield Token(_SINGLE[follower], address=address, raw=raw)
                else:
                    yield self._garbage(1, "a character outside any block")

    def _garbage(self, length: int, why: str) -> Token:
        raw = bytes(self._buffer[:length])
        del self._buffer[:length]
        return Token(Kind.GARBAGE, error=EspaError(why), raw=raw)


_SINGLE = {ENQ: Kind.ENQ, ACK: Kind.ACK, NAK: Kind.NAK, EOT: Kind.EOT}


def records_of(pairs: Iterable[tuple[int | Record, str]]) -> tuple[tuple[int, str], ...]:
    """Records as a block holds them (identifiers as plain numbers)."""
    return tuple((int(ident), value) for ident, value in pairs)
