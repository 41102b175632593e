"""Base classes of NWK information elements and the octet helpers their codings share.

ETSI EN 300 175-5 §7.5.1: fixed length elements (bit 8 = 1, one or two octets) and variable
length elements (identifier, length, contents); RawIE/RawFixedIE keep anything untyped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from dect.errors import DectValueError
from dect.nwk import tables as t
from dect.nwk.base import (
    JsonValue,
    check_field,
)

IE_MAX_CONTENT = 0xFF
EXT = 0x80  # bit 8 of an octet: "last octet of the group" in the extension mechanism


class IE:
    """Base of every information element."""

    def encode(self) -> bytes:
        """The element's octets, identifier included."""
        raise NotImplementedError

    @property
    def ie_name(self) -> str:
        """The standard's name, e.g. "PORTABLE-IDENTITY"."""
        raise NotImplementedError

    def fields(self) -> dict[str, JsonValue]:
        """Decoded fields, spelled for humans and JSON."""
        raise NotImplementedError

    def to_json(self) -> dict[str, JsonValue]:
        return {"ie": self.ie_name, **self.fields()}

    def describe(self) -> str:
        """One line: name and fields, strings quoted with control codes escaped."""
        parts = ", ".join(
            f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in self.fields().items()
        )
        return f"{self.ie_name}({parts})"


class SingleOctetIE(IE):
    """A single octet element of codeset 0 that has a name of its own."""

    identifier: ClassVar[int]

    def octet(self) -> int:
        return self.identifier

    def encode(self) -> bytes:
        return bytes([self.octet()])

    @property
    def ie_name(self) -> str:
        return t.spec_name(t.SingleOctetIe(self.identifier))

    def fields(self) -> dict[str, JsonValue]:
        return {}


class DoubleOctetIE(IE):
    """A double octet element `1110 iiii` + one content octet of codeset 0."""

    identifier: ClassVar[int]

    def octet(self) -> int:
        raise NotImplementedError

    @classmethod
    def from_octet(cls, value: int) -> DoubleOctetIE:
        raise NotImplementedError

    def encode(self) -> bytes:
        return bytes([self.identifier, self.octet()])

    @property
    def ie_name(self) -> str:
        return t.spec_name(t.DoubleOctetIe(self.identifier))


@dataclass(frozen=True)
class RawFixedIE(IE):
    """A fixed length element without a typed class (reserved code, or another codeset)."""

    octets: bytes
    codeset: int = t.CODESET_0

    def __post_init__(self) -> None:
        first = self.octets[0] if self.octets else 0
        double = first & t.DOUBLE_OCTET_MASK == t.DOUBLE_OCTET_PREFIX
        shift = first & t.SHIFT_MASK == t.SHIFT_PREFIX
        if not first & t.FIXED_LENGTH_BIT or shift or len(self.octets) != (2 if double else 1):
            raise DectValueError(f"fixed length element octets {self.octets.hex()} are malformed")

    def encode(self) -> bytes:
        return self.octets

    @property
    def ie_name(self) -> str:
        prefix = f"CODESET-{self.codeset} " if self.codeset else ""
        return f"{prefix}FIXED-{self.octets[0]:#04x}"

    def fields(self) -> dict[str, JsonValue]:
        return {"octets": self.octets.hex()}


class VariableIE(IE):
    """`0 iiiiiii`, length, contents. Subclasses code one element of table 76."""

    identifier: ClassVar[int]

    def content(self) -> bytes:
        raise NotImplementedError

    @classmethod
    def from_content(cls, content: bytes) -> VariableIE:
        """The typed element; DectValueError when the contents are not in its shape."""
        raise NotImplementedError

    def encode(self) -> bytes:
        content = self.content()
        if len(content) > IE_MAX_CONTENT:
            raise DectValueError(f"{self.ie_name} contents are {len(content)} octets, at most 255")
        return bytes([self.identifier, len(content)]) + content

    @property
    def ie_name(self) -> str:
        return t.spec_name(t.VariableIe(self.identifier))


@dataclass(frozen=True)
class RawIE(IE):
    """A variable length element kept as it came: unknown, empty, another codeset or malformed."""

    identifier: int
    content: bytes = b""
    codeset: int = t.CODESET_0

    def __post_init__(self) -> None:
        check_field("IE identifier", self.identifier, 7)
        if len(self.content) > IE_MAX_CONTENT:
            raise DectValueError(f"IE contents are {len(self.content)} octets, at most 255")

    def encode(self) -> bytes:
        return bytes([self.identifier, len(self.content)]) + self.content

    @property
    def ie_name(self) -> str:
        if self.codeset:
            return f"CODESET-{self.codeset} IE-{self.identifier:#04x}"
        if self.identifier in t.VariableIe._value2member_map_:
            return t.spec_name(t.VariableIe(self.identifier))
        return f"IE-{self.identifier:#04x}"

    def fields(self) -> dict[str, JsonValue]:
        return {"raw": self.content.hex()}


def octet_at(content: bytes, index: int, what: str) -> int:
    if index >= len(content):
        raise DectValueError(f"{what} missing")
    return content[index]


def require_length(content: bytes, size: int, what: str) -> None:
    if len(content) != size:
        raise DectValueError(f"{what} contents must be {size} octets, got {len(content)}")
