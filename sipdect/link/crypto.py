"""Cryptography of the OMM-RFP link: Blowfish-CBC per direction, RFPA storage, SYS_INIT protection.

omm-rfp.md §2.2 (keys, IVs, chaining, padding), §2.3 (identity block, cksum CRC, MD5
signature), §2.5 (SYS_RFP_RE_ENROLEMENT), §2.6 (legacy fixed keys; rekeying is not implemented).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from Crypto.Cipher import AES, Blowfish

from sipdect.link import constants as c
from sipdect.link.errors import LinkIntegrityError, LinkProtocolError, LinkValueError


def _check_length(what: str, data: bytes, length: int) -> None:
    if not isinstance(data, bytes | bytearray) or len(data) != length:
        got = len(data) if isinstance(data, bytes | bytearray) else type(data).__name__
        raise LinkValueError(f"{what} must be {length} bytes, got {got}")


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


# -- keys and IVs ------------------------------------------------------------------------------
def cipher_key(rfp_key: bytes, direction: c.Direction) -> bytes:
    """The 56-byte Blowfish key of one direction: K[0..55] OMM->RFP, K[8..63] RFP->OMM."""
    _check_length("RFP key", rfp_key, c.RFP_KEY_LENGTH)
    part = c.OMM_TO_RFP_KEY if direction is c.Direction.OMM_TO_RFP else c.RFP_TO_OMM_KEY
    return bytes(rfp_key[part])


def legacy_cipher_key(direction: c.Direction) -> bytes:
    """The fixed key SIP-DECT <= 7.x used for every RFP (§2.6)."""
    if direction is c.Direction.OMM_TO_RFP:
        return c.LEGACY_KEY_OMM_TO_RFP
    return c.LEGACY_KEY_RFP_TO_OMM


def initial_iv(auth_payload: bytes, direction: c.Direction, *, legacy: bool = False) -> bytes:
    """The first CBC IV of a direction: base IV XOR 8 bytes of the SYS_AUTHENTICATE payload."""
    _check_length("SYS_AUTHENTICATE payload", auth_payload, c.AUTHENTICATE_LENGTH)
    if direction is c.Direction.OMM_TO_RFP:
        base = c.LEGACY_BASE_IV_OMM_TO_RFP if legacy else c.BASE_IV_OMM_TO_RFP
        seed = auth_payload[c.OMM_TO_RFP_IV_SEED]
    else:
        base = c.LEGACY_BASE_IV_RFP_TO_OMM if legacy else c.BASE_IV_RFP_TO_OMM
        seed = auth_payload[c.RFP_TO_OMM_IV_SEED]
    return _xor(base, bytes(seed))


def encrypted_size(length_field: int) -> int:
    """Ciphertext bytes of a message whose header says `length_field`: ceil((len+4)/8)*8."""
    total = c.HEADER_LENGTH + length_field
    return -(-total // c.BLOCK_SIZE) * c.BLOCK_SIZE


class LinkCipher:
    """The sending end of one direction: Blowfish-CBC whose chain runs on across messages."""

    def __init__(self, key: bytes, iv: bytes) -> None:
        _check_length("IV", iv, c.BLOCK_SIZE)
        self._ecb = Blowfish.new(bytes(key), Blowfish.MODE_ECB)
        self._iv = bytes(iv)

    @classmethod
    def for_direction(
        cls, rfp_key: bytes, auth_payload: bytes, direction: c.Direction
    ) -> LinkCipher:
        return cls(cipher_key(rfp_key, direction), initial_iv(auth_payload, direction))

    @property
    def iv(self) -> bytes:
        """The IV of the next message: the last ciphertext block sent."""
        return self._iv

    def encrypt(self, message: bytes, *, padding: bytes | None = None) -> bytes:
        """Encrypt one whole message (header included), padded with zeros (or `padding`,
        as the OMM does with stale buffer bytes) to a multiple of 8."""
        fill = -len(message) % c.BLOCK_SIZE
        pad = bytes(fill) if padding is None else bytes(padding[:fill]).ljust(fill, b"\0")
        data = bytes(message) + pad
        out = bytearray()
        prev = self._iv
        for i in range(0, len(data), c.BLOCK_SIZE):
            prev = self._ecb.encrypt(_xor(data[i : i + c.BLOCK_SIZE], prev))
            out += prev
        self._iv = prev
        return bytes(out)


class LinkDecryptor:
    """The receiving end of one direction: ciphertext in as it arrives, whole messages out.

    The first block of a message gives its length (plaintext bytes 2-3); the receiver then
    waits for ceil((len+4)/8)*8 bytes and drops the padding.
    """

    def __init__(self, key: bytes, iv: bytes, *, max_payload: int = c.MAX_PAYLOAD_LENGTH) -> None:
        _check_length("IV", iv, c.BLOCK_SIZE)
        self._ecb = Blowfish.new(bytes(key), Blowfish.MODE_ECB)
        self._iv = bytes(iv)
        self._buffer = bytearray()
        self._max_payload = max_payload

    @classmethod
    def for_direction(
        cls, rfp_key: bytes, auth_payload: bytes, direction: c.Direction
    ) -> LinkDecryptor:
        return cls(cipher_key(rfp_key, direction), initial_iv(auth_payload, direction))

    @property
    def buffered(self) -> int:
        """Ciphertext bytes received but not yet part of a whole message."""
        return len(self._buffer)

    def _decrypt(self, ciphertext: bytes) -> bytes:
        plain = self._ecb.decrypt(ciphertext)
        return _xor(plain, self._iv + ciphertext[: -c.BLOCK_SIZE])

    def peek_header(self) -> tuple[int, int] | None:
        """(type, length) of the next message once its first block is in, without consuming."""
        if len(self._buffer) < c.BLOCK_SIZE:
            return None
        first = self._decrypt(bytes(self._buffer[: c.BLOCK_SIZE]))
        return int.from_bytes(first[0:2], "big"), int.from_bytes(first[2:4], "big")

    def feed(self, data: bytes) -> list[bytes]:
        """Take ciphertext; return every message now complete (header + payload, no padding).

        Raises LinkProtocolError when a decrypted length exceeds the maximum, which is also
        what a wrong key most often produces.
        """
        self._buffer += data
        out: list[bytes] = []
        while (header := self.peek_header()) is not None:
            msg_type, length = header
            if length > self._max_payload:
                raise LinkProtocolError(
                    f"decrypted message {msg_type:#06x} claims {length} payload bytes, more than "
                    f"{self._max_payload} (wrong key or corrupt stream?)"
                )
            size = encrypted_size(length)
            if len(self._buffer) < size:
                break
            ciphertext = bytes(self._buffer[:size])
            del self._buffer[:size]
            plain = self._decrypt(ciphertext)
            self._iv = ciphertext[-c.BLOCK_SIZE :]
            out.append(plain[: c.HEADER_LENGTH + length])
        return out


# -- RFPA: K as stored in omm_conf.txt (§2.2) --------------------------------------------------
def _le_words(data: bytes) -> bytes:
    return b"".join(data[i : i + 4][::-1] for i in range(0, len(data), 4))


def blowfish_le_ecb(key: bytes, data: bytes, *, decrypt: bool = False) -> bytes:
    """Blowfish-ECB on "little-endian words": swap each 4-byte group before and after."""
    if len(data) % c.BLOCK_SIZE:
        raise LinkValueError(f"Blowfish-ECB data must be a multiple of 8 bytes, got {len(data)}")
    ecb = Blowfish.new(bytes(key), Blowfish.MODE_ECB)
    swapped = _le_words(bytes(data))
    return _le_words(ecb.decrypt(swapped) if decrypt else ecb.encrypt(swapped))


def rfpa_storage_key(mac: bytes) -> bytes:
    """The RFPA key: the MAC as lower-case hex ASCII plus a NUL (13 bytes)."""
    _check_length("MAC", mac, 6)
    return bytes(mac).hex().encode("ascii") + b"\0"


def encrypt_rfpa(rfp_key: bytes, mac: bytes) -> bytes:
    """K -> the 64 bytes of the omm_conf `RFPA|<id>|<128 hex>` row."""
    _check_length("RFP key", rfp_key, c.RFP_KEY_LENGTH)
    return blowfish_le_ecb(rfpa_storage_key(mac), rfp_key)


def decrypt_rfpa(rfpa: bytes, mac: bytes) -> bytes:
    """The RFPA row's 64 bytes -> K."""
    _check_length("RFPA", rfpa, c.RFP_KEY_LENGTH)
    return blowfish_le_ecb(rfpa_storage_key(mac), rfpa, decrypt=True)


# -- SYS_INIT identity block and signature (§2.3) --------------------------------------------
def _cksum_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = (crc << 1) ^ c.CKSUM_POLY if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return tuple(table)


_CKSUM_TABLE = _cksum_table()


def cksum_crc(data: bytes) -> int:
    """POSIX `cksum` CRC-32 of data (the length is appended, least significant octet first)."""
    crc = 0
    length = len(data)
    tail = bytearray()
    while length:
        tail.append(length & 0xFF)
        length >>= 8
    for byte in bytes(data) + bytes(tail):
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CKSUM_TABLE[(crc >> 24) ^ byte]
    return ~crc & 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class IdentityBlock:
    """The plaintext of the 64-byte AES-256-ECB block at SYS_INIT offset 28."""

    mac: bytes
    """The RFP's MAC (a copy of SYS_INIT offset 12)."""
    branding: int = 0
    """u16 LE; the low 10 bits carry Branding flags (0 observed for 8.1)."""
    filler: bytes = bytes(c.IDENTITY_FILLER_LENGTH)
    """44 bytes, random on real RFPs, zeros from SoftRfp."""
    magic: bytes = c.IDENTITY_BLOCK_MAGIC
    """`00037a20000529d9` in every sample."""

    def __post_init__(self) -> None:
        _check_length("identity block MAC", self.mac, 6)
        _check_length("identity block filler", self.filler, c.IDENTITY_FILLER_LENGTH)
        _check_length("identity block magic", self.magic, 8)
        if not 0 <= self.branding <= 0xFFFF:
            raise LinkValueError(f"branding must fit in 16 bits, got {self.branding!r}")

    def plaintext(self) -> bytes:
        body = self.magic + self.mac + self.branding.to_bytes(2, "little") + self.filler
        return body + cksum_crc(body).to_bytes(4, "big")

    def encrypt(self) -> bytes:
        return bytes(AES.new(c.SYS_INIT_AES_KEY, AES.MODE_ECB).encrypt(self.plaintext()))

    @classmethod
    def from_plaintext(cls, plain: bytes) -> IdentityBlock:
        """Parse 64 plaintext bytes; LinkIntegrityError when the CRC does not match."""
        if len(plain) != c.IDENTITY_BLOCK_LENGTH:
            raise LinkProtocolError(f"identity block is {len(plain)} bytes, expected 64")
        span = c.IDENTITY_CRC_SPAN
        expected = cksum_crc(plain[:span])
        found = int.from_bytes(plain[span:], "big")
        if found != expected:
            raise LinkIntegrityError(
                f"identity block CRC is {found:08x}, expected {expected:08x}"
            )
        return cls(
            mac=bytes(plain[8:14]),
            branding=int.from_bytes(plain[14:16], "little"),
            filler=bytes(plain[16:span]),
            magic=bytes(plain[0:8]),
        )

    @classmethod
    def decrypt(cls, block: bytes) -> IdentityBlock:
        """Decrypt and parse the SYS_INIT AES block (LinkIntegrityError on a bad CRC)."""
        if len(block) != c.IDENTITY_BLOCK_LENGTH:
            raise LinkProtocolError(f"identity block is {len(block)} bytes, expected 64")
        plain = AES.new(c.SYS_INIT_AES_KEY, AES.MODE_ECB).decrypt(bytes(block))
        return cls.from_plaintext(bytes(plain))


def init_signature(auth_payload: bytes, signed_part: bytes) -> bytes:
    """MD5(SYS_AUTHENTICATE payload ‖ SYS_INIT up to its signature ‖ signature key)."""
    _check_length("SYS_AUTHENTICATE payload", auth_payload, c.AUTHENTICATE_LENGTH)
    return hashlib.md5(
        bytes(auth_payload) + bytes(signed_part) + c.SYS_INIT_SIGNATURE_KEY
    ).digest()


def verify_init_signature(auth_payload: bytes, sys_init: bytes) -> None:
    """Check the last 16 bytes of a whole SYS_INIT message; LinkIntegrityError if wrong."""
    expected = init_signature(auth_payload, sys_init[: -c.SIGNATURE_LENGTH])
    found = sys_init[-c.SIGNATURE_LENGTH :]
    if not hmac.compare_digest(expected, found):
        raise LinkIntegrityError(
            f"SYS_INIT signature is {bytes(found).hex()}, expected {expected.hex()}"
        )


# -- SYS_RFP_RE_ENROLEMENT (§2.5) --------------------------------------------------------------
def _root_hash_bytes(root_hash: str) -> bytes:
    raw = root_hash.encode("ascii", "replace")
    if len(raw) != c.RE_ENROLEMENT_ROOT_HASH_LENGTH or not root_hash.startswith(
        c.MD5_CRYPT_PREFIX
    ):
        raise LinkValueError(
            f"root password hash must be the 26-character md5-crypt string "
            f"'{c.MD5_CRYPT_PREFIX}...', got {root_hash!r}"
        )
    return raw


def re_enrolement_aes_key(auth_payload: bytes, root_hash: str) -> bytes:
    """Root md5-crypt hash (26 B) ‖ SYS_AUTHENTICATE payload bytes 26-31."""
    _check_length("SYS_AUTHENTICATE payload", auth_payload, c.AUTHENTICATE_LENGTH)
    return _root_hash_bytes(root_hash) + bytes(auth_payload[c.RE_ENROLEMENT_AUTH_KEY_PART])


def _re_enrolement_check(auth_payload: bytes, root_hash: str, wrapped: bytes) -> bytes:
    return hashlib.sha256(
        bytes(auth_payload) + _root_hash_bytes(root_hash) + bytes(wrapped)
    ).digest()


def wrap_rfp_key(rfp_key: bytes, auth_payload: bytes, root_hash: str) -> bytes:
    """The 96-byte SYS_RFP_RE_ENROLEMENT payload: AES-256-ECB(K) ‖ SHA-256 check."""
    _check_length("RFP key", rfp_key, c.RFP_KEY_LENGTH)
    aes = AES.new(re_enrolement_aes_key(auth_payload, root_hash), AES.MODE_ECB)
    wrapped = bytes(aes.encrypt(bytes(rfp_key)))
    return wrapped + _re_enrolement_check(auth_payload, root_hash, wrapped)


def unwrap_rfp_key(payload: bytes, auth_payload: bytes, root_hash: str) -> bytes:
    """K from a SYS_RFP_RE_ENROLEMENT payload; LinkIntegrityError when the check fails."""
    if len(payload) != c.RFP_KEY_LENGTH + 32:
        raise LinkProtocolError(f"SYS_RFP_RE_ENROLEMENT payload is {len(payload)} bytes, not 96")
    wrapped, check = bytes(payload[: c.RFP_KEY_LENGTH]), bytes(payload[c.RFP_KEY_LENGTH :])
    expected = _re_enrolement_check(auth_payload, root_hash, wrapped)
    if not hmac.compare_digest(expected, check):
        raise LinkIntegrityError(
            "SYS_RFP_RE_ENROLEMENT check does not match (another root password hash?)"
        )
    aes = AES.new(re_enrolement_aes_key(auth_payload, root_hash), AES.MODE_ECB)
    return bytes(aes.decrypt(wrapped))
