"""The emulator's licence file: what an installation is granted, bound to its PARK and RFP MACs.

A real OMM reads an encrypted file from Mitel's licence server (features.md rows 11-13,
"Licensing"); its format is not public. This one is small text, documented in README
"Licences": `name = value` lines, `#` comments, and a last line `signature = <hex>`, an
HMAC-SHA256 of the lines above it (comments and blank lines excluded) under PROJECT_KEY.
The key is in this source, so anyone can sign a file: the signature only makes a typo (a
changed digit, a MAC) an error the OMM names instead of a different licence.
Sans-I/O: text in, Grant out; `sign` makes a file's text.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from typing import Final

from dect.errors import DectValueError
from dect.identities import Park

PROJECT_KEY: Final = b"sipdect licence file v1"
"""Invented: the HMAC key of every emulator licence file (a checksum with a name, no secret)."""

SIGNATURE: Final = "signature"

LICENSE_FILE_NAME: Final = ":license"
"""What AXI PutFile names the licence file (axi.md §3.2, mitel-api)."""


class LicenseFileError(ValueError):
    """A licence file or [omm.license] that cannot be used; the message says what to change."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What a licence allows (AXI LicenseType: type, sysLicense, msgLicense, locLicense,
    G729License)."""

    type: str = "standard"
    """LicenseTypeType: "small" (the built-in licence, no file) or "standard" (a file)."""
    rfps: int = 4096
    """RFPs the installation may have (sysLicense number)."""
    version: str = "9.3"
    """The highest OMM release the licence allows (systemLicenseVersion)."""
    park: str = ""
    """The PARK the licence is bound to ("": any, the emulator's default)."""
    rfp_macs: tuple[str, ...] = ()
    """The validation RFPs' Ethernet addresses, lower-case with colons (at most 3)."""
    messaging: int = 10000
    """Messaging clients allowed to send messages (msgLicense number); 0: no messaging
    licence (only priority Info)."""
    receive_messages: bool = True
    """Whether clients may receive messages (messagingLicenseRcvMsgs)."""
    locating: int = 10000
    """Locatable handsets (locLicense number); 0: no locating licence."""
    g729: int = 0
    """G.729 channels (G729License number). G.729 is not emulated (media.constants)."""
    srtp: bool = True
    """systemLicenseSRTP."""
    dect_security: bool = True
    """systemLicenseDECTSec."""
    key: str = "SIPDECT-EMULATOR"
    """What GetLicense shows as each licence's key (real ones are vendor strings)."""


#: name in the file -> (Grant field, kind). kind: int, bool, str, macs, park.
FIELDS: Final[dict[str, tuple[str, str]]] = {
    "park": ("park", "park"), "rfps": ("rfps", "int"), "version": ("version", "str"),
    "rfp_macs": ("rfp_macs", "macs"), "messaging": ("messaging", "int"),
    "receive_messages": ("receive_messages", "bool"), "locating": ("locating", "int"),
    "g729": ("g729", "int"), "srtp": ("srtp", "bool"), "dect_security": ("dect_security", "bool"),
}

MAX_VALIDATION_RFPS: Final = 3
"""[M] A licence names the MACs of 3 RFPs (features.md row 13)."""

_MAC = re.compile(r"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$")


def _mac(text: str) -> str:
    digits = re.sub(r"[:\-\s]", "", text.strip()).lower()
    mac = ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))
    if not _MAC.match(mac):
        raise LicenseFileError(f"rfp_macs: {text!r} is no Ethernet address like "
                               "00:30:42:12:3e:45")
    return mac


def _value(name: str, kind: str, text: str) -> object:
    text = text.strip()
    if kind == "int":
        if not re.fullmatch(r"\d{1,6}", text):
            raise LicenseFileError(f"{name} = {text!r}: give a whole number, e.g. 20")
        return int(text)
    if kind == "bool":
        if text.lower() not in ("yes", "no", "true", "false", "1", "0"):
            raise LicenseFileError(f"{name} = {text!r}: give yes or no")
        return text.lower() in ("yes", "true", "1")
    if kind == "macs":
        macs = tuple(_mac(m) for m in text.split(",") if m.strip())
        if len(macs) > MAX_VALIDATION_RFPS:
            raise LicenseFileError(f"rfp_macs: at most {MAX_VALIDATION_RFPS} RFPs validate a "
                                   f"licence, not {len(macs)}")
        return macs
    if kind == "park":
        try:
            return str(Park.parse(text)).upper()
        except (DectValueError, ValueError) as exc:
            raise LicenseFileError(f"park = {text!r} is not a PARK, e.g. 1F10DEC700 ({exc})") \
                from None
    return text


def grant_from(values: dict[str, str], base: Grant | None = None) -> Grant:
    """A Grant from `name = value` texts (a file's body or an [omm.license] table), over
    `base` (default: a standard licence granting everything)."""
    changes: dict[str, object] = {}
    for name, text in values.items():
        if name not in FIELDS:
            raise LicenseFileError(f"unknown licence item {name!r}; known: "
                                   f"{', '.join(FIELDS)}")
        attr, kind = FIELDS[name]
        changes[attr] = _value(name, kind, text)
    return replace(base or Grant(), **changes)  # type: ignore[arg-type]


def _body_lines(text: str) -> tuple[list[str], str | None]:
    """The signed lines (stripped, no comments or blanks) and the signature, if any."""
    lines: list[str] = []
    signature = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise LicenseFileError(f"licence file line {raw.strip()!r}: expected name = value")
        if name.strip() == SIGNATURE:
            signature = value.strip().lower()
            continue
        if signature is not None:
            raise LicenseFileError("licence file: nothing may follow the signature line")
        lines.append(f"{name.strip()} = {value.strip()}")
    return lines, signature


def _digest(lines: list[str]) -> str:
    return hmac.new(PROJECT_KEY, "\n".join(lines).encode(), hashlib.sha256).hexdigest()


def sign(text: str) -> str:
    """A licence file's text with its signature line (any old one replaced)."""
    lines, _ = _body_lines(text)
    grant_from(dict(_split(line) for line in lines))  # refuse to sign what cannot be read
    return "\n".join([*lines, f"{SIGNATURE} = {_digest(lines)}"]) + "\n"


def _split(line: str) -> tuple[str, str]:
    name, _, value = line.partition("=")
    return name.strip(), value.strip()


def parse(text: str) -> Grant:
    """The Grant a signed licence file holds; LicenseFileError says what is wrong."""
    lines, signature = _body_lines(text)
    if signature is None:
        raise LicenseFileError("licence file: no 'signature = ...' line (sign it with "
                               "`sipdect license sign FILE`)")
    if not hmac.compare_digest(signature, _digest(lines)):
        raise LicenseFileError("licence file: the signature does not match its content (a "
                               "changed or mistyped line?)")
    values = dict(_split(line) for line in lines)
    if "park" not in values or "rfps" not in values:
        raise LicenseFileError("licence file: needs at least park and rfps")
    grant = grant_from(values)
    return replace(grant, key="-".join(signature[i:i + 4].upper() for i in range(0, 16, 4)))
