"""OMM-RFP link framing and message model: `type:u16 BE, length:u16 BE, payload` (omm-rfp.md §1).

LinkMessage is any message, kept byte for byte; typed views (system, media, dnm modules) map
the §4 layouts to fields; `parse_message` picks the view and `describe` names everything.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar, Literal, Self, TypeAlias

from sipdect.link import constants as c
from sipdect.link.errors import LinkError, LinkProtocolError, LinkValueError

JsonDict: TypeAlias = dict[str, Any]
"""What describe() and to_json() return: values json.dumps() accepts."""


# -- framing -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LinkMessage:
    """One message as it travels (plaintext view): any type, payload kept as bytes."""

    type: int
    """Message type code (a MessageType or any other u16)."""
    payload: bytes = b""
    """The bytes after the 4-byte header."""

    def __post_init__(self) -> None:
        if not isinstance(self.type, int) or not 0 <= self.type <= 0xFFFF:
            raise LinkValueError(f"message type must be a u16, got {self.type!r}")
        if not isinstance(self.payload, bytes):
            raise LinkValueError(f"payload must be bytes, got {type(self.payload).__name__}")
        if len(self.payload) > 0xFFFF:
            raise LinkValueError(f"payload of {len(self.payload)} bytes exceeds the u16 length")

    @property
    def name(self) -> str:
        """The spec's name, e.g. "SYS_INIT"; "UNKNOWN_0x...." for codes the table lacks."""
        return c.message_type_name(self.type)

    @property
    def length(self) -> int:
        return len(self.payload)

    def encode(self) -> bytes:
        return self.type.to_bytes(2, "big") + len(self.payload).to_bytes(2, "big") + self.payload

    @classmethod
    def decode(cls, data: bytes) -> LinkMessage:
        """Exactly one whole message; LinkProtocolError if data is shorter or longer."""
        if len(data) < c.HEADER_LENGTH:
            raise LinkProtocolError(f"{len(data)} bytes cannot hold a 4-byte message header")
        length = int.from_bytes(data[2:4], "big")
        if len(data) != c.HEADER_LENGTH + length:
            raise LinkProtocolError(
                f"{c.message_type_name(int.from_bytes(data[0:2], 'big'))} header says "
                f"{length} payload bytes, got {len(data) - c.HEADER_LENGTH}"
            )
        return cls(int.from_bytes(data[0:2], "big"), bytes(data[c.HEADER_LENGTH :]))

    def __repr__(self) -> str:
        return f"LinkMessage({self.name}, {self.payload.hex()})"


class MessageReader:
    """Splits a plaintext byte stream into messages; feed bytes, then take messages."""

    def __init__(self, *, max_payload: int = c.MAX_PAYLOAD_LENGTH) -> None:
        self._buffer = bytearray()
        self._max_payload = max_payload

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def peek_header(self) -> tuple[int, int] | None:
        """(type, length) of the next message once its header is in.

        Raises LinkProtocolError when the length is over the maximum: nothing sane follows.
        """
        if len(self._buffer) < c.HEADER_LENGTH:
            return None
        msg_type = int.from_bytes(self._buffer[0:2], "big")
        length = int.from_bytes(self._buffer[2:4], "big")
        if length > self._max_payload:
            raise LinkProtocolError(
                f"{c.message_type_name(msg_type)} claims {length} payload bytes, more than "
                f"{self._max_payload}"
            )
        return msg_type, length

    def peek(self, size: int) -> bytes:
        """The next `size` buffered bytes (fewer if fewer are in), not consumed."""
        return bytes(self._buffer[:size])

    def next_message(self) -> LinkMessage | None:
        header = self.peek_header()
        if header is None or len(self._buffer) < c.HEADER_LENGTH + header[1]:
            return None
        end = c.HEADER_LENGTH + header[1]
        message = LinkMessage(header[0], bytes(self._buffer[c.HEADER_LENGTH : end]))
        del self._buffer[:end]
        return message

    def __iter__(self) -> Iterator[LinkMessage]:
        while (message := self.next_message()) is not None:
            yield message

    @property
    def buffered(self) -> int:
        """Bytes received that are not yet a whole message."""
        return len(self._buffer)

    def take_buffer(self) -> bytes:
        """Remove and return the unparsed bytes (e.g. when the stream turns encrypted)."""
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


def split_messages(data: bytes, *, max_payload: int = c.MAX_PAYLOAD_LENGTH) -> list[LinkMessage]:
    """All messages of a complete buffer; LinkProtocolError if bytes are left over."""
    reader = MessageReader(max_payload=max_payload)
    reader.feed(data)
    messages = list(reader)
    if reader.buffered:
        raise LinkProtocolError(f"{reader.buffered} bytes at the end do not form a whole message")
    return messages


# -- field layouts -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Wire:
    """How one field sits on the wire: a struct-like code and its size (-1: rest of the bytes)."""

    code: str
    size: int


U8 = Wire("u8", 1)
U16 = Wire("u16be", 2)
U16LE = Wire("u16le", 2)
S16 = Wire("s16be", 2)
S16LE = Wire("s16le", 2)
U24 = Wire("u24be", 3)
U32 = Wire("u32be", 4)
U32LE = Wire("u32le", 4)
IPV4 = Wire("ipv4", 4)
IPV6 = Wire("ipv6", 16)
REST = Wire("rest", -1)


def Octets(size: int) -> Wire:
    """A fixed number of raw bytes."""
    return Wire("bytes", size)


_INT_CODES: dict[str, tuple[Literal["big", "little"], bool]] = {
    "u8": ("big", False),
    "u16be": ("big", False),
    "u16le": ("little", False),
    "s16be": ("big", True),
    "s16le": ("little", True),
    "u24be": ("big", False),
    "u32be": ("big", False),
    "u32le": ("little", False),
}


def _decode_field(wire: Wire, data: bytes) -> Any:
    if wire.code in _INT_CODES:
        order, signed = _INT_CODES[wire.code]
        return int.from_bytes(data, order, signed=signed)
    if wire.code == "ipv4":
        return ipaddress.IPv4Address(data)
    if wire.code == "ipv6":
        return ipaddress.IPv6Address(data)
    return bytes(data)


def _encode_field(name: str, wire: Wire, value: Any) -> bytes:
    if wire.code in _INT_CODES:
        order, signed = _INT_CODES[wire.code]
        if not isinstance(value, int):
            raise LinkValueError(f"{name} must be an int, got {value!r}")
        try:
            return value.to_bytes(wire.size, order, signed=signed)
        except OverflowError:
            raise LinkValueError(
                f"{name} must fit in {wire.size * 8} {'signed ' if signed else ''}bits, "
                f"got {value}"
            ) from None
    if wire.code == "ipv4":
        if not isinstance(value, ipaddress.IPv4Address):
            raise LinkValueError(f"{name} must be an IPv4Address, got {value!r}")
        return value.packed
    if wire.code == "ipv6":
        if not isinstance(value, ipaddress.IPv6Address):
            raise LinkValueError(f"{name} must be an IPv6Address, got {value!r}")
        return value.packed
    if not isinstance(value, bytes):
        raise LinkValueError(f"{name} must be bytes, got {type(value).__name__}")
    if wire.size >= 0 and len(value) != wire.size:
        raise LinkValueError(f"{name} must be {wire.size} bytes, got {len(value)}")
    return value


def json_value(value: Any) -> Any:
    """bytes -> hex, addresses -> text, enums -> ints; lists and dicts recursively."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    if isinstance(value, IntEnum):
        return int(value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def c_string(data: bytes) -> str:
    """Text up to the first NUL (junk may follow it on the wire), Latin-1 so nothing fails."""
    return data.split(b"\0", 1)[0].decode("latin-1")


def c_string_field(name: str, text: str, size: int) -> bytes:
    """Text NUL-padded to a fixed-size field; LinkValueError if it does not fit."""
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        raise LinkValueError(f"{name} must be Latin-1 text, got {text!r}") from None
    if len(raw) >= size:
        raise LinkValueError(f"{name} must be shorter than {size} bytes, got {len(raw)}")
    return raw.ljust(size, b"\0")


class WireStruct:
    """A dataclass whose fields carry `Annotated[..., Wire]` and map 1:1 onto bytes.

    Subclasses with a variable structure override `from_bytes` and `to_bytes`; the others
    get both from their annotations. A class-level NAMES table adds "<field>_name" entries
    to the JSON form.
    """

    NAMES: ClassVar[dict[str, type[IntEnum]]] = {}
    _layout_cache: ClassVar[dict[type, tuple[tuple[str, Wire], ...]]] = {}

    @classmethod
    def layout(cls) -> tuple[tuple[str, Wire], ...]:
        cached = WireStruct._layout_cache.get(cls)
        if cached is None:
            hints = typing.get_type_hints(cls, include_extras=True)
            fields = []
            for f in dataclasses.fields(cls):  # type: ignore[arg-type]
                wire = next((m for m in getattr(hints[f.name], "__metadata__", ()) if
                             isinstance(m, Wire)), None)
                if wire is None:
                    raise TypeError(f"{cls.__name__}.{f.name} has no Wire annotation")
                fields.append((f.name, wire))
            cached = tuple(fields)
            WireStruct._layout_cache[cls] = cached
        return cached

    def __post_init__(self) -> None:
        self.to_bytes()

    @classmethod
    def label(cls) -> str:
        """What errors call it: the spec's message name, or the class name."""
        return cls.__name__

    @classmethod
    def fixed_size(cls) -> int:
        return sum(w.size for _, w in cls.layout() if w.size >= 0)

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        layout = cls.layout()
        fixed = cls.fixed_size()
        open_ended = bool(layout) and layout[-1][1].size < 0
        if len(data) < fixed or (len(data) != fixed and not open_ended):
            raise LinkProtocolError(
                f"{cls.label()} is {len(data)} bytes, expected {fixed}"
                f"{' or more' if open_ended else ''}"
            )
        values: dict[str, Any] = {}
        offset = 0
        for name, wire in layout:
            end = len(data) if wire.size < 0 else offset + wire.size
            values[name] = _decode_field(wire, data[offset:end])
            offset = end
        return cls(**values)

    def to_bytes(self) -> bytes:
        return b"".join(
            _encode_field(f"{type(self).__name__}.{name}", wire, getattr(self, name))
            for name, wire in self.layout()
        )

    def to_json(self) -> JsonDict:
        out: JsonDict = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            out[f.name] = json_value(value)
            table = self.NAMES.get(f.name)
            if table is not None and isinstance(value, int):
                out[f"{f.name}_name"] = c.code_name(table, value)
        out.update(self.json_extras())
        return out

    def json_extras(self) -> JsonDict:
        """Derived, human-oriented entries (decoded strings, names) for describe()."""
        return {}


class TypedMessage(WireStruct):
    """A link message with a known layout; `TYPE` is its message code."""

    TYPE: ClassVar[c.MessageType]

    @classmethod
    def label(cls) -> str:
        return f"{cls.TYPE.name} payload"

    @classmethod
    def from_payload(cls, payload: bytes) -> Self:
        """Decode the payload (after the header); LinkProtocolError if it does not fit."""
        return cls.from_bytes(payload)

    def payload(self) -> bytes:
        return self.to_bytes()

    def to_message(self) -> LinkMessage:
        return LinkMessage(self.TYPE, self.payload())

    def encode(self) -> bytes:
        return self.to_message().encode()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        """A whole message (header included) of this type."""
        message = LinkMessage.decode(data)
        return cls.from_message(message)

    @classmethod
    def from_message(cls, message: LinkMessage) -> Self:
        if message.type != cls.TYPE:
            raise LinkProtocolError(f"expected {cls.TYPE.name}, got {message.name}")
        return cls.from_payload(message.payload)


_REGISTRY: dict[int, type[TypedMessage]] = {}

_T = typing.TypeVar("_T", bound=type[TypedMessage])


def register(cls: _T) -> _T:
    """Class decorator: `parse_message` decodes cls.TYPE into cls."""
    if cls.TYPE in _REGISTRY:
        raise TypeError(f"{cls.TYPE.name} is already registered to {_REGISTRY[cls.TYPE]}")
    if not _overrides_codec(cls):
        cls.layout()  # fail at import time when a field lacks its Wire annotation
    _REGISTRY[cls.TYPE] = cls
    return cls


def _overrides_codec(cls: type[WireStruct]) -> bool:
    return "from_bytes" in cls.__dict__ or "from_payload" in cls.__dict__


def typed_class(code: int) -> type[TypedMessage] | None:
    """The typed view registered for a message type, if any."""
    return _REGISTRY.get(code)


AnyMessage: TypeAlias = LinkMessage | TypedMessage
"""What send() accepts."""
NwkHook: TypeAlias = Callable[[TypedMessage], JsonDict]
"""Called by describe() with each typed message; returns extra entries (NWK content)."""


def as_link_message(message: AnyMessage) -> LinkMessage:
    return message if isinstance(message, LinkMessage) else message.to_message()


def parse_message(message: LinkMessage) -> TypedMessage | LinkMessage:
    """The typed view of a message, or the message itself when its type has none.

    Raises LinkProtocolError when the type has a view but the payload does not fit it.
    """
    cls = _REGISTRY.get(message.type)
    return message if cls is None else cls.from_payload(message.payload)


def describe(message: LinkMessage | bytes, *, nwk: NwkHook | None = None) -> JsonDict:
    """The spec's names and decoded fields of one message, as a JSON-able dict.

    Never raises for a LinkMessage (bytes must hold exactly one message): a payload that
    does not fit its layout gives an "error" entry and the raw payload.
    `nwk` receives LC frames (see dnm.NwkReassembler) so fragments can be put together.
    """
    if isinstance(message, bytes | bytearray):
        message = LinkMessage.decode(bytes(message))
    out: JsonDict = {
        "type": f"{message.type:#06x}",
        "name": message.name,
        "length": message.length,
    }
    cls = _REGISTRY.get(message.type)
    if cls is None:
        out["payload_hex"] = message.payload.hex()
        return out
    try:
        typed = cls.from_payload(message.payload)
        fields = typed.to_json()
        extra = nwk(typed) if nwk is not None else {}
        if extra:  # a reassembled NWK message replaces what the last fragment alone gave
            fields = {k: v for k, v in fields.items() if not k.startswith("nwk")}
            fields.update(extra)
    except LinkError as exc:
        out["error"] = str(exc)
        out["payload_hex"] = message.payload.hex()
        return out
    out.update((k, v) for k, v in fields.items() if k not in out)
    return out
