"""Information elements of authentication, key allocation and ciphering.

ETSI EN 300 175-5 §7.7.2, §7.7.4, §7.7.10, §7.7.24, §7.7.32, §7.7.35, §7.7.36 (dect-security §4.1).
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
from dect.nwk.ie.core import IE_MAX_CONTENT, VariableIE, octet_at, require_length


@dataclass(frozen=True)
class AuthType(VariableIE):
    """Authentication algorithm, key and what to do with the derived cipher key (§7.7.4)."""

    identifier: ClassVar[int] = t.VariableIe.AUTH_TYPE
    algorithm: int
    key_type: int
    key_number: int
    cipher_key_number: int = 0
    inc: bool = False
    """Increment the ZAP field."""
    default: bool = False
    """DEF: the derived key becomes the default cipher key under default_cipher_key_index."""
    txc: bool = False
    """Send the derived cipher key back in the AUTHENTICATION-REPLY."""
    upc: bool = False
    """Store the derived cipher key under cipher_key_number."""
    proprietary_algorithm: int | None = None
    default_cipher_key_index: int | None = None
    default_cipher_key_algorithm: int | None = None
    """Octet 5c: 0 DSC, 1 DSC2; None when the octet is absent (meaning DSC)."""

    def __post_init__(self) -> None:
        check_field("AUTH-TYPE algorithm", self.algorithm, 8)
        check_field("AUTH-TYPE key type", self.key_type, 4)
        check_field("AUTH-TYPE key number", self.key_number, 4)
        check_field("AUTH-TYPE cipher key number", self.cipher_key_number, 4)
        if (self.proprietary_algorithm is not None) != (
            self.algorithm == t.AuthAlgorithm.PROPRIETARY
        ):
            raise DectValueError(
                "AUTH-TYPE proprietary algorithm octet goes with algorithm 0x7f only"
            )
        if self.proprietary_algorithm is not None:
            check_field("AUTH-TYPE proprietary algorithm", self.proprietary_algorithm, 8)
        if (self.default_cipher_key_index is not None) != self.default:
            raise DectValueError(
                "AUTH-TYPE default cipher key index is sent if and only if DEF is set"
            )
        if self.default_cipher_key_index is not None:
            check_field("AUTH-TYPE default cipher key index", self.default_cipher_key_index, 16)
        if self.default_cipher_key_algorithm is not None:
            if not self.default:
                raise DectValueError("AUTH-TYPE default cipher key algorithm needs DEF set")
            check_field(
                "AUTH-TYPE default cipher key algorithm", self.default_cipher_key_algorithm, 2
            )

    def content(self) -> bytes:
        out = bytearray([self.algorithm])
        if self.proprietary_algorithm is not None:
            out.append(self.proprietary_algorithm)
        out.append(self.key_type << 4 | self.key_number)
        flags = self.inc << 7 | self.default << 6 | self.txc << 5 | self.upc << 4
        out.append(flags | self.cipher_key_number)
        if self.default_cipher_key_index is not None:
            out += self.default_cipher_key_index.to_bytes(2, "big")
        if self.default_cipher_key_algorithm is not None:
            out.append(self.default_cipher_key_algorithm)
        return bytes(out)

    @classmethod
    def from_content(cls, content: bytes) -> AuthType:
        algorithm = octet_at(content, 0, "AUTH-TYPE algorithm")
        pos = 1
        proprietary = None
        if algorithm == t.AuthAlgorithm.PROPRIETARY:
            proprietary = octet_at(content, pos, "AUTH-TYPE proprietary algorithm")
            pos += 1
        key = octet_at(content, pos, "AUTH-TYPE key octet")
        flags = octet_at(content, pos + 1, "AUTH-TYPE octet 5")
        rest = content[pos + 2 :]
        default = bool(flags & 0x40)
        index = dck_algorithm = None
        if default:
            if len(rest) not in (2, 3):
                raise DectValueError("AUTH-TYPE with DEF carries a 2-octet index and optional 5c")
            index = int.from_bytes(rest[:2], "big")
            dck_algorithm = rest[2] if len(rest) == 3 else None
        elif rest:
            raise DectValueError("AUTH-TYPE octets after octet 5 need DEF set")
        return cls(
            algorithm,
            key >> 4,
            key & 0xF,
            flags & 0xF,
            bool(flags & 0x80),
            default,
            bool(flags & 0x20),
            bool(flags & 0x10),
            proprietary,
            index,
            dck_algorithm,
        )

    def fields(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {
            "algorithm": code_name(t.AuthAlgorithm, self.algorithm),
            "key_type": code_name(t.AuthKeyType, self.key_type),
            "key_number": self.key_number,
            "inc": self.inc,
            "def": self.default,
            "txc": self.txc,
            "upc": self.upc,
            "cipher_key_number": self.cipher_key_number,
        }
        if self.proprietary_algorithm is not None:
            out["proprietary_algorithm"] = self.proprietary_algorithm
        if self.default_cipher_key_index is not None:
            out["default_cipher_key_index"] = self.default_cipher_key_index
        if self.default_cipher_key_algorithm is not None:
            out["default_cipher_key_algorithm"] = code_name(
                t.DEFAULT_CIPHER_KEY_ALGORITHM, self.default_cipher_key_algorithm
            )
        return out


@dataclass(frozen=True)
class AllocationType(VariableIE):
    """Algorithm and key numbers for key allocation (§7.7.2)."""

    identifier: ClassVar[int] = t.VariableIe.ALLOCATION_TYPE
    algorithm: int
    uak_number: int
    ac_number: int

    def __post_init__(self) -> None:
        check_field("ALLOCATION-TYPE algorithm", self.algorithm, 8)
        check_field("ALLOCATION-TYPE UAK number", self.uak_number, 4)
        check_field("ALLOCATION-TYPE AC number", self.ac_number, 4)

    def content(self) -> bytes:
        return bytes([self.algorithm, self.uak_number << 4 | self.ac_number])

    @classmethod
    def from_content(cls, content: bytes) -> AllocationType:
        require_length(content, 2, "ALLOCATION-TYPE")
        return cls(content[0], content[1] >> 4, content[1] & 0xF)

    def fields(self) -> dict[str, JsonValue]:
        return {
            "algorithm": code_name(t.AuthAlgorithm, self.algorithm),
            "uak_number": self.uak_number,
            "ac_number": self.ac_number,
        }


@dataclass(frozen=True)
class _OctetStringIE(VariableIE):
    """An element whose contents are one number, most significant octet first."""

    value: bytes

    def __post_init__(self) -> None:
        if not 1 <= len(self.value) <= IE_MAX_CONTENT:
            raise DectValueError(
                f"{self.ie_name} value must be 1..255 octets, got {len(self.value)}"
            )

    def content(self) -> bytes:
        return self.value

    @classmethod
    def from_content(cls, content: bytes) -> VariableIE:
        return cls(content)

    def fields(self) -> dict[str, JsonValue]:
        return {"value": self.value.hex()}


@dataclass(frozen=True)
class Rand(_OctetStringIE):
    """RAND_F or RAND_P (§7.7.32); 8 octets for DSAA and DSAA2."""

    identifier: ClassVar[int] = t.VariableIe.RAND


@dataclass(frozen=True)
class Res(_OctetStringIE):
    """RES1 or RES2 (§7.7.35); 4 octets for DSAA and DSAA2."""

    identifier: ClassVar[int] = t.VariableIe.RES


@dataclass(frozen=True)
class Rs(_OctetStringIE):
    """RS, or RS128 with DSAA2 (§7.7.36)."""

    identifier: ClassVar[int] = t.VariableIe.RS


@dataclass(frozen=True)
class CipherInfo(VariableIE):
    """Switch ciphering on or off, with algorithm and key (§7.7.10)."""

    identifier: ClassVar[int] = t.VariableIe.CIPHER_INFO
    enable: bool
    algorithm: int = t.CipherAlgorithm.DSC
    key_type: int = t.CipherKeyType.DERIVED
    key_number: int = 0
    proprietary_algorithm: int | None = None

    def __post_init__(self) -> None:
        check_field("CIPHER-INFO algorithm", self.algorithm, 7)
        check_field("CIPHER-INFO key type", self.key_type, 4)
        check_field("CIPHER-INFO key number", self.key_number, 4)
        if (self.proprietary_algorithm is not None) != (
            self.algorithm == t.CipherAlgorithm.PROPRIETARY
        ):
            raise DectValueError(
                "CIPHER-INFO proprietary algorithm octet goes with algorithm 0x7f only"
            )
        if self.proprietary_algorithm is not None:
            check_field("CIPHER-INFO proprietary algorithm", self.proprietary_algorithm, 8)

    def content(self) -> bytes:
        out = bytearray([self.enable << 7 | self.algorithm])
        if self.proprietary_algorithm is not None:
            out.append(self.proprietary_algorithm)
        out.append(self.key_type << 4 | self.key_number)
        return bytes(out)

    @classmethod
    def from_content(cls, content: bytes) -> CipherInfo:
        first = octet_at(content, 0, "CIPHER-INFO octet 3")
        algorithm = first & 0x7F
        proprietary = None
        if algorithm == t.CipherAlgorithm.PROPRIETARY:
            proprietary = octet_at(content, 1, "CIPHER-INFO proprietary algorithm")
        key = content[2 if proprietary is not None else 1 :]
        require_length(key, 1, "CIPHER-INFO key")
        return cls(bool(first & 0x80), algorithm, key[0] >> 4, key[0] & 0xF, proprietary)

    def fields(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {
            "enable": self.enable,
            "algorithm": code_name(t.CipherAlgorithm, self.algorithm),
            "key_type": code_name(t.CipherKeyType, self.key_type),
            "key_number": self.key_number,
        }
        if self.proprietary_algorithm is not None:
            out["proprietary_algorithm"] = self.proprietary_algorithm
        return out


@dataclass(frozen=True)
class Key(VariableIE):
    """A key (DCK, DefCK, CCM) and for DefCKs its index in the last two octets (§7.7.24)."""

    identifier: ClassVar[int] = t.VariableIe.KEY
    key_type: int
    data: bytes = b""

    def __post_init__(self) -> None:
        check_field("KEY type", self.key_type, 8)

    def content(self) -> bytes:
        return bytes([self.key_type]) + self.data

    @classmethod
    def from_content(cls, content: bytes) -> Key:
        return cls(octet_at(content, 0, "KEY type"), content[1:])

    def fields(self) -> dict[str, JsonValue]:
        return {"key_type": code_name(t.KeyType, self.key_type), "data": self.data.hex()}
