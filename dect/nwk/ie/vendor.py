"""IWU-TO-IWU and ESCAPE-TO-PROPRIETARY: the elements that carry vendor contents.

ETSI EN 300 175-5 §7.7.23, §7.7.45; the contents themselves are in dect.nwk.proprietary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dect.errors import DectValueError
from dect.nwk import tables as t
from dect.nwk.base import (
    JsonValue,
    check_field,
    code_name,
)
from dect.nwk.ie.core import EXT, VariableIE, octet_at
from dect.nwk.proprietary import VENDOR, ProprietaryContent, RawContent, decode_content


def _discriminated(content: bytes, what: str) -> tuple[int | None, bytes]:
    """Discriminator type octet, EMC if it says so, and what follows (§7.7.45, §7.7.23)."""
    kind = octet_at(content, 0, f"{what} discriminator type")
    if kind == t.Discriminator.UNSPECIFIED:
        return None, content[1:]
    if kind == t.Discriminator.EMC:
        if len(content) < 3:
            raise DectValueError(f"{what} EMC missing")
        return int.from_bytes(content[1:3], "big"), content[3:]
    raise DectValueError(f"{what} discriminator type {kind:#04x} is reserved")


def _discriminator(emc: int | None) -> bytes:
    if emc is None:
        return bytes([t.Discriminator.UNSPECIFIED])
    return bytes([t.Discriminator.EMC]) + emc.to_bytes(2, "big")


def _proprietary_fields(emc: int | None, content: ProprietaryContent) -> dict[str, JsonValue]:
    vendor = "unspecified" if emc is None else VENDOR.get(emc, "unknown")
    return {
        "emc": None if emc is None else f"{emc:04x}",
        "vendor": vendor,
        "content": content.to_json(),
    }


@dataclass(frozen=True)
class IwuToIwu(VariableIE):
    """IWU information; user specific contents carry an EMC and vendor data (§7.7.23)."""

    identifier: ClassVar[int] = t.VariableIe.IWU_TO_IWU
    protocol: int
    data: bytes = b""
    """Octets 4..L+2 as they came (for user specific: discriminator type, EMC, contents)."""
    send: bool = True
    """S/R bit: True for transmission, False for rejection of a message."""

    def __post_init__(self) -> None:
        check_field("IWU-TO-IWU protocol discriminator", self.protocol, 6)

    @classmethod
    def user_specific(
        cls, emc: int | None, content: ProprietaryContent, send: bool = True
    ) -> IwuToIwu:
        """Vendor data behind an EMC discriminator (or an unspecified one)."""
        if emc is not None:
            check_field("IWU-TO-IWU EMC", emc, 16)
        return cls(t.IWU_PROTOCOL_USER_SPECIFIC, _discriminator(emc) + content.encode(), send)

    @property
    def proprietary(self) -> tuple[int | None, ProprietaryContent] | None:
        """(EMC, decoded vendor content) for user specific contents, else None."""
        if self.protocol != t.IWU_PROTOCOL_USER_SPECIFIC:
            return None
        try:
            emc, rest = _discriminated(self.data, "IWU-TO-IWU")
        except DectValueError:
            return None
        return emc, decode_content(emc, rest)

    def content(self) -> bytes:
        return bytes([EXT | self.send << 6 | self.protocol]) + self.data

    @classmethod
    def from_content(cls, content: bytes) -> IwuToIwu:
        first = octet_at(content, 0, "IWU-TO-IWU octet 3")
        if not first & EXT:
            raise DectValueError("IWU-TO-IWU octet 3 bit 8 is 1")
        return cls(first & 0x3F, content[1:], bool(first & 0x40))

    def fields(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {
            "send": self.send,
            "protocol": code_name(t.IWU_PROTOCOL, self.protocol),
        }
        decoded = self.proprietary
        if decoded is None:
            out["data"] = self.data.hex()
        else:
            out.update(_proprietary_fields(*decoded))
        return out


@dataclass(frozen=True)
class EscapeToProprietary(VariableIE):
    """Non-standard information behind an EMC (§7.7.45); vendor formats in dect.nwk.proprietary."""

    identifier: ClassVar[int] = t.VariableIe.ESCAPE_TO_PROPRIETARY
    emc: int | None
    """Equipment manufacturer code; None for the "unspecified" discriminator type."""
    proprietary: ProprietaryContent = RawContent(b"")

    def __post_init__(self) -> None:
        if self.emc is not None:
            check_field("ESCAPE-TO-PROPRIETARY EMC", self.emc, 16)

    def content(self) -> bytes:
        return _discriminator(self.emc) + self.proprietary.encode()

    @classmethod
    def from_content(cls, content: bytes) -> EscapeToProprietary:
        emc, rest = _discriminated(content, "ESCAPE-TO-PROPRIETARY")
        return cls(emc, decode_content(emc, rest))

    def fields(self) -> dict[str, JsonValue]:
        return _proprietary_fields(self.emc, self.proprietary)
