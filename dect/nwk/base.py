"""Small helpers every NWK codec module shares: JSON shape, code names, text and octet checks.

Character handling follows EN 300 175-5 §7.5.5 and annex D: DECT characters are one octet each
(IA5-based), so they map 1:1 onto Latin-1 and every octet string survives a round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import TypeAlias

from dect.errors import DectValueError

JsonValue: TypeAlias = None | bool | int | str | list["JsonValue"] | dict[str, "JsonValue"]
"""What to_json() returns: plain values a json.dumps() accepts."""


def code_name(table: Mapping[int, str] | type[IntEnum], code: int) -> str:
    """The standard's meaning of a code, or "reserved (0x..)"."""
    if isinstance(table, Mapping):
        name = table.get(code)
    else:
        name = table(code).name.replace("_", "-") if code in table._value2member_map_ else None
    return name if name is not None else f"reserved ({code:#04x})"


def check_field(field: str, value: int, bits: int) -> None:
    """Raise DectValueError unless 0 <= value < 2**bits."""
    if not isinstance(value, int) or not 0 <= value < (1 << bits):
        raise DectValueError(
            f"{field} must fit in {bits} bits (0..{(1 << bits) - 1}), got {value!r}"
        )


def dect_text(data: bytes) -> str:
    """DECT characters (annex D) as a str, one character per octet."""
    return data.decode("latin-1")


def dect_octets(field: str, text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise DectValueError(f"{field} holds a character outside the 8-bit DECT set") from None


def utf8_text(field: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DectValueError(f"{field} is not valid UTF-8") from None


def utf8_octets(field: str, text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise DectValueError(f"{field} cannot be encoded as UTF-8") from None


def length_prefixed(field: str, data: bytes) -> bytes:
    """One octet of length, then the data."""
    if len(data) > 0xFF:
        raise DectValueError(f"{field} is {len(data)} octets, at most 255 fit a length octet")
    return bytes([len(data)]) + data


def split_length_prefixed(field: str, data: bytes) -> list[bytes]:
    """Inverse of repeated length_prefixed(); the octets must be used up exactly."""
    parts = []
    pos = 0
    while pos < len(data):
        end = pos + 1 + data[pos]
        if end > len(data):
            raise DectValueError(f"{field}: a string of {data[pos]} octets overruns the element")
        parts.append(data[pos + 1 : end])
        pos = end
    return parts
