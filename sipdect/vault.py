"""Secrets at rest (AES-256-GCM with a per-installation key) and the AXI RSA key pair.

The RSA part implements axi.md §2.4: public key as even-length upper-case hex, fields
encrypted by clients with RSA PKCS#1 v1.5 and sent as padded standard Base64.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VAULT_KEY_FILE = "vault.key"
VAULT_KEY_LEN = 32
NONCE_LEN = 12
TOKEN_PREFIX = "v1:"

AXI_KEY_FILE = "axi_rsa.key"
AXI_KEY_CONTEXT = b"sipdect axi_rsa.key"
# Real OMMs use 512-bit keys (every sample blob is 64 bytes); `cryptography` refuses to
# generate keys under 1024 bits, so the emulator uses 1024. Clients take the key size
# from the modulus, so nothing on the wire depends on it except the blob length.
AXI_KEY_BITS = 1024
AXI_KEY_EXPONENT = 65537
# PKCS#1 v1.5 encryption padding takes 11 bytes of each block.
_PKCS1V15_OVERHEAD = 11


class VaultError(Exception):
    """A sealed token or the vault key is damaged, or belongs to another installation."""


class FieldDecryptError(ValueError):
    """An encrypted AXI field (pin, sipPw, ...) cannot be decrypted."""


def _write_new(path: Path, data: bytes) -> bool:
    """Create `path` with mode 0600 holding `data`; False if it already exists."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        # link() fails if another process created the file first; then theirs wins.
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # file system without hard links: last writer wins
            os.replace(tmp, path)
        return True
    finally:
        tmp.unlink(missing_ok=True)


class Vault:
    """Seals small secrets (passwords, keys) into ASCII tokens for the database.

    A token is `v1:` + URL-safe Base64 of nonce || ciphertext || tag. The optional
    context (e.g. b"user:42:sipPw") is bound as associated data, so a token copied to
    another record does not unseal there.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != VAULT_KEY_LEN:
            raise VaultError(f"a vault key is {VAULT_KEY_LEN} bytes, not {len(key)}")
        self._aead = AESGCM(key)

    @classmethod
    def open(cls, directory: Path, given: bytes | None = None) -> Vault:
        """Load `directory/vault.key`, creating it (32 random bytes, mode 0600) if missing.
        `given`: the key this installation must use (a standby pair's shared one): written
        there if missing; VaultError if the directory holds another (what it sealed would not
        open with this one)."""
        path = directory / VAULT_KEY_FILE
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            _write_new(path, given or secrets.token_bytes(VAULT_KEY_LEN))
        key = path.read_bytes()
        if given is not None and key != given:
            raise VaultError(
                f"{path} holds another key than the one this installation must use (a standby "
                "pair's, derived from its secret): the data directory belongs to another "
                "installation or pair secret; give the secret it was made with, or start this "
                "OMM on an empty data directory (its partner sends it the database)")
        if len(key) != VAULT_KEY_LEN:
            raise VaultError(
                f"{path} holds {len(key)} bytes instead of {VAULT_KEY_LEN}: restore it from "
                "the backup of this installation (without it, sealed secrets are lost)"
            )
        return cls(key)

    def seal(self, plaintext: bytes, context: bytes = b"") -> str:
        """Encrypt `plaintext` into one ASCII token."""
        nonce = secrets.token_bytes(NONCE_LEN)
        sealed = nonce + self._aead.encrypt(nonce, plaintext, context)
        return TOKEN_PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii")

    def unseal(self, token: str, context: bytes = b"") -> bytes:
        """Decrypt a `seal` token; VaultError if it was altered or `context` differs."""
        if not token.startswith(TOKEN_PREFIX):
            raise VaultError(f"not a sealed secret (expected the prefix {TOKEN_PREFIX!r})")
        try:
            sealed = base64.b64decode(token[len(TOKEN_PREFIX) :], altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise VaultError("sealed secret is not valid Base64") from None
        if len(sealed) < NONCE_LEN + 16:
            raise VaultError("sealed secret is truncated")
        try:
            return self._aead.decrypt(sealed[:NONCE_LEN], sealed[NONCE_LEN:], context)
        except InvalidTag:
            raise VaultError(
                "sealed secret was altered, belongs to another record, or was sealed "
                "with another installation's vault key"
            ) from None

    def seal_text(self, text: str, context: bytes = b"") -> str:
        """`seal` for text (UTF-8)."""
        return self.seal(text.encode("utf-8"), context)

    def unseal_text(self, token: str, context: bytes = b"") -> str:
        """`unseal` for text sealed with `seal_text`."""
        try:
            return self.unseal(token, context).decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError("sealed secret is not text") from None


def _even_hex(value: int) -> str:
    digits = format(value, "X")
    return digits if len(digits) % 2 == 0 else "0" + digits


class AxiKeyPair:
    """The OMM's RSA key for encrypted AXI attributes (PPUser pin, sipPw, credentialPw)."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self._key = private_key
        numbers = private_key.public_key().public_numbers()
        self._modulus = numbers.n
        self._exponent = numbers.e
        self._private = private_key.private_numbers()

    @classmethod
    def load_or_create(cls, directory: Path, vault: Vault, bits: int = AXI_KEY_BITS) -> AxiKeyPair:
        """Load `directory/axi_rsa.key` (sealed by `vault`) or create it.

        An existing key is kept whatever `bits` says, so clients' cached keys stay valid.
        """
        path = directory / AXI_KEY_FILE
        if not path.exists():
            key = rsa.generate_private_key(AXI_KEY_EXPONENT, bits)
            der = key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            directory.mkdir(parents=True, exist_ok=True)
            _write_new(path, vault.seal(der, AXI_KEY_CONTEXT).encode("ascii"))
        try:
            der = vault.unseal(path.read_text("ascii").strip(), AXI_KEY_CONTEXT)
        except (VaultError, UnicodeDecodeError) as exc:
            raise VaultError(f"cannot read the AXI key {path}: {exc}") from None
        loaded = serialization.load_der_private_key(der, password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise VaultError(f"{path} does not hold an RSA key")
        return cls(loaded)

    @property
    def key_size(self) -> int:
        """Modulus length in bits."""
        return self._key.key_size

    @property
    def modulus_hex(self) -> str:
        """Modulus as upper-case big-endian hex, even length, no leading 00 byte."""
        return _even_hex(self._modulus)

    @property
    def exponent_hex(self) -> str:
        """Public exponent as upper-case hex with an even number of digits ("010001")."""
        return _even_hex(self._exponent)

    @property
    def max_plaintext(self) -> int:
        """Longest field (in UTF-8 bytes) that fits into one PKCS#1 v1.5 block."""
        return self._block_len - _PKCS1V15_OVERHEAD

    def _rsa_decrypt(self, c: int) -> bytes:
        """The raw RSA image of `c` (CRT), as a block of the modulus' length."""
        k = self._private
        if not 1 < c < self._modulus:
            return b""  # 0, 1 and n-and-above: nothing padded encrypts to them
        m1 = pow(c, k.dmp1, k.p)
        m2 = pow(c, k.dmq1, k.q)
        m = m2 + k.q * ((k.iqmp * (m1 - m2)) % k.p)
        return m.to_bytes(self._block_len, "big")

    @staticmethod
    def _unpad(em: bytes) -> bytes | None:
        """The message of a PKCS#1 v1.5 type 2 block (00 02 PS>=8 nonzero 00 M); None if the
        block is not one."""
        if len(em) < _PKCS1V15_OVERHEAD or em[0] != 0 or em[1] != 2:
            return None
        end = em.find(b"\0", 2)
        if end < 10:
            return None
        return em[end + 1:]

    @property
    def _block_len(self) -> int:
        return (self._key.key_size + 7) // 8

    def decrypt_field(self, b64: str) -> str:
        """Decode an encrypted AXI attribute: Base64 -> RSA PKCS#1 v1.5 -> UTF-8 text.

        Raises FieldDecryptError on any failure. The padding is checked here, explicitly, as
        an OMM of the product's generation does: `cryptography`'s implicit rejection turns a
        bad padding into random text of random length (now and then empty or all digits),
        so a PIN sent in clear by mistake could be taken as an empty or junk PIN.
        """
        text = "".join(b64.split())
        text += "=" * (-len(text) % 4)  # tolerate clients that strip the padding
        try:
            block = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise FieldDecryptError("encrypted field is not valid Base64") from None
        if not block or len(block) > self._block_len:
            raise FieldDecryptError(
                f"encrypted field is {len(block)} bytes; this OMM's key takes "
                f"{self._block_len}-byte blocks (use the public key from OpenResp or "
                "GetPublicKey)"
            )
        plain = self._unpad(self._rsa_decrypt(int.from_bytes(block, "big")))
        if plain is None:
            raise FieldDecryptError(
                "encrypted field does not decrypt with this OMM's key (use the public key "
                "from OpenResp or GetPublicKey)"
            )
        try:
            value = plain.decode("utf-8")
        except UnicodeDecodeError:
            raise FieldDecryptError("encrypted field does not decrypt to UTF-8 text") from None
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise FieldDecryptError("encrypted field decrypts to control characters")
        return value

    def encrypt_field(self, text: str) -> str:
        """Encrypt `text` like a client would (PKCS#1 v1.5, padded standard Base64)."""
        plain = text.encode("utf-8")
        if len(plain) > self.max_plaintext:
            raise ValueError(
                f"field is {len(plain)} bytes; at most {self.max_plaintext} fit one RSA block"
            )
        block = self._key.public_key().encrypt(plain, padding.PKCS1v15())
        return base64.b64encode(block).decode("ascii")


class AxiPublicKey:
    """Another installation's AXI public key, as its OpenResp or GetPublicKey gives it: what
    a client (the MOM) encrypts pin/sipPw/... with for that OMM (axi.md §2.4)."""

    def __init__(self, modulus_hex: str, exponent_hex: str) -> None:
        try:
            numbers = rsa.RSAPublicNumbers(int(exponent_hex, 16), int(modulus_hex, 16))
            self._key = numbers.public_key()
        except ValueError as exc:
            raise VaultError(f"not an RSA public key: {exc}") from None

    def encrypt_field(self, text: str) -> str:
        """PKCS#1 v1.5 of the UTF-8 text, padded standard Base64."""
        block = self._key.encrypt(text.encode("utf-8"), padding.PKCS1v15())
        return base64.b64encode(block).decode("ascii")
