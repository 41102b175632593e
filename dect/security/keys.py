"""Cipher keys after authentication: DCK/DefCK storage, early encryption, re-keying.

shared/specs/dect-security.md sections 4.3, 4.5, 4.6 ("enhanced security") and 6.
"""

from __future__ import annotations

from dataclasses import dataclass

from dect.errors import DectValueError

from .errors import ProtocolStateError, UnknownCipherKey
from .tables import DCK_SIZE, DEFCK_INDEX_MAX, DSAA2_DCK_SIZE, REKEY_INTERVAL_SECONDS

#: Cipher key numbers are 4 bits (<<AUTH-TYPE>> octet 5, <<CIPHER-INFO>> octet 4).
_KEY_NUMBERS = range(16)


def dsc_cipher_key(dck: bytes) -> bytes:
    """The 64-bit CK that DSC uses for a DCK: a DSAA DCK as is, a DSAA2 DCK's 64 LSBs."""
    if len(dck) == DCK_SIZE:
        return dck
    if len(dck) == DSAA2_DCK_SIZE:
        return dck[DSAA2_DCK_SIZE - DCK_SIZE :]
    raise DectValueError(f"a DCK is {DCK_SIZE} or {DSAA2_DCK_SIZE} bytes, got {len(dck)}")


@dataclass(frozen=True)
class KeyUse:
    """What a PT authentication does with its new DCK (<<AUTH-TYPE>> octets 5, 5a/5b)."""

    store: bool = True
    """UPC: store the DCK under `cipher_key_number`, replacing the previous one."""
    cipher_key_number: int = 0
    """Cipher key number (4 bits; bit 4 set = bound to the IPUI/PARK pair)."""
    default_index: int | None = None
    """DEF: store the DCK as the default cipher key with this 16-bit index instead."""

    def __post_init__(self) -> None:
        if self.cipher_key_number not in _KEY_NUMBERS:
            raise DectValueError(f"cipher key number is 0..15, got {self.cipher_key_number}")
        if self.default_index is not None and not 0 <= self.default_index <= DEFCK_INDEX_MAX:
            raise DectValueError(f"DefCK index is 0..{DEFCK_INDEX_MAX}, got {self.default_index}")


class CipherKeys:
    """The cipher keys one side holds for one subscription (one per handset at the OMM).

    Both sides apply the same `KeyUse` to the DCK of each successful PT
    authentication, so they end up with the same keys under the same numbers.
    """

    def __init__(self) -> None:
        self._dcks: dict[int, bytes] = {}
        self._defaults: dict[int, bytes] = {}
        self.latest_default_index: int | None = None
        """Index of the last DefCK stored: what a PP asks for in START.REQ."""

    def store(self, dck: bytes, use: KeyUse) -> None:
        """Store the DCK of a successful PT authentication as `use` says."""
        dsc_cipher_key(dck)  # validates the size
        if use.default_index is not None:
            self._defaults[use.default_index] = dck
            self.latest_default_index = use.default_index
        elif use.store:
            self._dcks[use.cipher_key_number] = dck

    def dck(self, number: int) -> bytes:
        """The DCK stored under a cipher key number (raises `UnknownCipherKey`)."""
        try:
            return self._dcks[number]
        except KeyError:
            raise UnknownCipherKey(f"no DCK stored under cipher key number {number}") from None

    def default_key(self, index: int) -> bytes:
        """The default cipher key with this index (raises `UnknownCipherKey`)."""
        try:
            return self._defaults[index]
        except KeyError:
            raise UnknownCipherKey(f"no default cipher key with index {index}") from None

    def forget_default(self, index: int) -> None:
        """Drop a default cipher key (registration ended, MAC_CLEAR_DEF_CKEY_REQ)."""
        self._defaults.pop(index, None)
        if self.latest_default_index == index:
            self.latest_default_index = None


@dataclass(frozen=True)
class RekeyDue:
    """Event: the link's key is `interval` old; run a PT authentication and CIPHER-REQUEST."""

    key_age: float
    """Seconds since the current key was loaded."""


class EncryptedLink:
    """Key life cycle of one ciphered connection, the same on the FP and PP side.

    Sans-I/O: the caller passes `now` (seconds, any monotonic origin) and asks
    `get_timer()` when to call `handle_timer(now)` next.

    * Early encryption: `start_default(index, now)` returns the DefCK to load at
      START.REQ/CONF with that key index; `UnknownCipherKey` means START.REJECT
      and a clear link.
    * Ciphering with a DCK: `start(key_number, now)` after CIPHER-REQUEST.
    * Re-keying (`rekey_interval` not None): when the key is that old,
      `handle_timer` returns `RekeyDue`; the FP runs a PT authentication with
      UPC = 1 and a CIPHER-REQUEST, then both sides call `rekeyed(dck, now)`.

    The `cipher_key` property is the key the KSG uses; for DSC pass it through
    `dsc_cipher_key`.
    """

    def __init__(
        self, keys: CipherKeys, *, rekey_interval: float | None = REKEY_INTERVAL_SECONDS
    ) -> None:
        if rekey_interval is not None and rekey_interval <= 0:
            raise DectValueError(f"re-keying interval must be positive, got {rekey_interval}")
        self.keys = keys
        self.rekey_interval = rekey_interval
        self._key: bytes | None = None
        self._loaded_at = 0.0
        self._rekey_pending = False
        self.rekey_count = 0
        """Key changes on this link since ciphering started."""

    @property
    def encrypted(self) -> bool:
        """True while a key is loaded."""
        return self._key is not None

    @property
    def cipher_key(self) -> bytes:
        """The DCK or DefCK currently in use."""
        if self._key is None:
            raise ProtocolStateError("link is not encrypted")
        return self._key

    def start_default(self, index: int, now: float) -> bytes:
        """Start early encryption with a default cipher key; returns it."""
        return self._load(self.keys.default_key(index), now)

    def start(self, cipher_key_number: int, now: float) -> bytes:
        """Start ciphering with a stored DCK (CIPHER-REQUEST); returns it."""
        return self._load(self.keys.dck(cipher_key_number), now)

    def rekeyed(self, dck: bytes, now: float) -> bytes:
        """Switch to the DCK of a new PT authentication (STOP then START); returns it."""
        if self._key is None:
            raise ProtocolStateError("re-keying needs an encrypted link")
        dsc_cipher_key(dck)
        self.rekey_count += 1
        return self._load(dck, now)

    def stop(self) -> None:
        """Ciphering stopped or the connection was released."""
        self._key = None
        self._rekey_pending = False

    def get_timer(self) -> float | None:
        """When the current key is due for a change, or None."""
        if self._key is None or self.rekey_interval is None or self._rekey_pending:
            return None
        return self._loaded_at + self.rekey_interval

    def handle_timer(self, now: float) -> RekeyDue | None:
        """`RekeyDue` once per key when its time has come, else None."""
        deadline = self.get_timer()
        if deadline is None or now < deadline:
            return None
        self._rekey_pending = True
        return RekeyDue(key_age=now - self._loaded_at)

    def _load(self, key: bytes, now: float) -> bytes:
        self._key = key
        self._loaded_at = now
        self._rekey_pending = False
        return key
