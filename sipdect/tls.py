"""TLS for every sipdect TLS listener (AXI 12622, web UI, SIP-TLS, MAXI) and client.

Implements the SIP-DECT security levels High/Medium/Legacy with the cipher strings of
SEED-SD Tables 1-2 (TLS 1.2 and 1.3 only) and features.md §2.10 "Certificates".
"""

from __future__ import annotations

import base64
import datetime
import enum
import functools
import ipaddress
import logging
import os
import secrets
import ssl
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_log = logging.getLogger(__name__)


class SecurityLevel(enum.StrEnum):
    """System-wide "TLS security level" of the OMM and MOM (since SIP-DECT 8.3)."""

    HIGH = "High"
    MEDIUM = "Medium"
    LEGACY = "Legacy"


DEFAULT_LEVEL = SecurityLevel.HIGH
"""Level of a new installation (SEED-SD: "with a new SIP-DECT installation ... High")."""

UPGRADE_LEVEL = SecurityLevel.LEGACY
"""Level after updating a system that had no security level setting (SEED-SD)."""

# SEED-SD Table 2, "Default cipher strings per security level", in OpenSSL notation and
# in preference order. Copied verbatim; the stray spaces and the line break that the PDF
# put into the High string are removed.
CIPHER_STRINGS: dict[SecurityLevel, str] = {
    SecurityLevel.HIGH: (
        "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
        "DHE-DSS-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:"
        "DHE-DSS-AES256-GCM-SHA384:DHE-RSA-AES256-GCM-SHA384"
    ),
    SecurityLevel.MEDIUM: (
        "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
        "DHE-DSS-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:"
        "DHE-DSS-AES256-GCM-SHA384:DHE-RSA-AES256-GCM-SHA384:"
        "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:"
        "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:"
        "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256"
    ),
    SecurityLevel.LEGACY: (
        "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
        "DHE-DSS-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:"
        "DHE-DSS-AES256-GCM-SHA384:DHE-RSA-AES256-GCM-SHA384:"
        "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:"
        "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:"
        "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256:"
        "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
        "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:"
        "AES128-SHA:AES256-SHA:DES-CBC3-SHA"
    ),
}

# The three TLS 1.3 suites of Table 1, in the seed's order. Python's ssl module cannot set
# TLS 1.3 suites (no SSL_CTX_set_ciphersuites binding), but OpenSSL's default TLS 1.3 list
# is exactly these three in this order, so every level gets them without configuration.
TLS13_SUITES: tuple[str, ...] = (
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
)

# OpenSSL 3 security level appended to the cipher string. Legacy needs 0: at level 1 and
# above OpenSSL 3 drops DES-CBC3-SHA (where it is compiled in at all), SHA-1 handshake
# signatures and keys below 2048 bits, which Legacy's clients may depend on.
_OPENSSL_SECLEVEL: dict[SecurityLevel, int] = {
    SecurityLevel.HIGH: 2,
    SecurityLevel.MEDIUM: 2,
    SecurityLevel.LEGACY: 0,
}

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
TLS_SUBDIR = "tls"
CERT_VALIDITY = datetime.timedelta(days=3650)
MIN_RSA_BITS = 2048


class KeyType(enum.StrEnum):
    """Key of a generated installation certificate (config `tls_key_type`)."""

    RSA = "rsa"
    ECDSA = "ecdsa"


DEFAULT_KEY_TYPE = KeyType.RSA
"""RSA, as the real OMM's certificate is. With it TLS 1.3 and every suite of every level that
authenticates with RSA (ECDHE-RSA, DHE-RSA, RSA key exchange) can be negotiated; OMP, the
Java client, offers no ECDHE suite at all, only TLS 1.3, DHE and RSA key exchange (SEED-SD
Table 3). An ECDSA certificate gives TLS 1.3 and the ECDHE-ECDSA suites instead; no single
certificate gives both. The DHE-DSS suites of the tables need a DSA certificate, which
sipdect neither generates nor imports (nor has the real OMM one)."""

RSA_KEY_BITS = MIN_RSA_BITS
"""A generated RSA key: the smallest that OpenSSL security level 2 (High, Medium) accepts."""


class TlsConfigError(ValueError):
    """A certificate, key or TLS setting the user gave cannot be used."""


def tls12_cipher_string(level: SecurityLevel) -> str:
    """The level's cipher string without the TLS 1.3 names, for `SSLContext.set_ciphers`."""
    names = [n for n in CIPHER_STRINGS[level].split(":") if n not in TLS13_SUITES]
    return ":".join(names)


def openssl_cipher_string(level: SecurityLevel) -> str:
    """`tls12_cipher_string` plus the OpenSSL security level the suites need."""
    return f"{tls12_cipher_string(level)}:@SECLEVEL={_OPENSSL_SECLEVEL[level]}"


def unavailable_ciphers(level: SecurityLevel) -> list[str]:
    """TLS 1.2 suites of `level` that the local OpenSSL build does not offer at all.

    OpenSSL silently skips unknown names; e.g. DES-CBC3-SHA is absent from builds made
    with `no-weak-ssl-ciphers` (the default since OpenSSL 1.1.0). Meant for a log line.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers(openssl_cipher_string(level))
    offered = {c["name"] for c in ctx.get_ciphers()}
    return [n for n in tls12_cipher_string(level).split(":") if n not in offered]


def _ffdhe2048_prime() -> int:
    """The RFC 7919 ffdhe2048 prime, computed from its definition in RFC 7919 App. A.1.

    p = 2^2048 - 2^1984 + (floor(2^1918 * e) + 560316) * 2^64 - 1
    """
    guard = 64
    scale = 1 << (1918 + guard)
    e_scaled, term, k = 0, scale, 0
    while term:
        e_scaled += term
        k += 1
        term //= k
    return (1 << 2048) - (1 << 1984) + ((e_scaled >> guard) + 560316) * (1 << 64) - 1


def _der_integer(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # sign bit stays clear
    return b"\x02" + _der_length(len(body)) + body


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


@functools.cache
def _ffdhe2048_pem() -> bytes:
    # PKCS#3 DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER }, encoded here because
    # cryptography deprecates its finite-field DH API.
    body = _der_integer(_ffdhe2048_prime()) + _der_integer(2)
    der = b"\x30" + _der_length(len(body)) + body
    b64 = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return (
        "-----BEGIN DH PARAMETERS-----\n" + "\n".join(lines) + "\n-----END DH PARAMETERS-----\n"
    ).encode("ascii")


def _load_dh_params(ctx: ssl.SSLContext) -> None:
    # Python's ssl module enables DHE only after load_dh_params(), which reads a file.
    # Without it the DHE-RSA/DHE-DSS suites of every level would never be negotiated.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ffdhe2048.pem"
        path.write_bytes(_ffdhe2048_pem())
        ctx.load_dh_params(str(path))


def server_context(cert: Path, key: Path, level: SecurityLevel) -> ssl.SSLContext:
    """A server context for TLS 1.2-1.3 with the cipher suites of `level`."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    ctx.set_ciphers(openssl_cipher_string(level))
    try:
        ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(
            f"cannot use TLS certificate {cert} with key {key} at level {level}: {exc}"
        ) from None
    _load_dh_params(ctx)
    return ctx


def client_context(
    level: SecurityLevel = DEFAULT_LEVEL,
    verify: bool = False,
    cafile: Path | None = None,
    max_version: ssl.TLSVersion | None = None,
) -> ssl.SSLContext:
    """A client context offering the suites of `level`.

    Giving `cafile` implies `verify` (certificate chain and host name are checked).
    A `max_version` below TLS 1.2 turns the context into a probe that offers only old
    protocols (and drops the OpenSSL security level to 0 so it really does), for tests
    showing that a server refuses them.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old = (ssl.TLSVersion.SSLv3, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1)
    if max_version in old:
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.set_ciphers(f"{tls12_cipher_string(level)}:@SECLEVEL=0")
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(openssl_cipher_string(level))
    with warnings.catch_warnings():
        # Setting TLS 1.0/1.1 warns; for a probe that is the point.
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.maximum_version = max_version if max_version is not None else ssl.TLSVersion.TLSv1_3
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    if verify or cafile is not None:
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        if cafile is not None:
            ctx.load_verify_locations(cafile=cafile)
        else:
            ctx.load_default_certs()
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # os.open's mode passes through the umask
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _tls_paths(directory: Path) -> tuple[Path, Path]:
    tls_dir = directory / TLS_SUBDIR
    return tls_dir / CERT_FILE, tls_dir / KEY_FILE


def _store(directory: Path, cert_pem: bytes, key_pem: bytes) -> tuple[Path, Path]:
    cert_path, key_path = _tls_paths(directory)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(key_path, key_pem, 0o600)
    _write_atomic(cert_path, cert_pem, 0o644)
    return cert_path, key_path


def _san_entry(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def certificate_key_type(cert: Path) -> KeyType | None:
    """The key type of the leaf certificate in `cert` (None: neither RSA nor EC)."""
    public = x509.load_pem_x509_certificate(cert.read_bytes()).public_key()
    if isinstance(public, rsa.RSAPublicKey):
        return KeyType.RSA
    if isinstance(public, ec.EllipticCurvePublicKey):
        return KeyType.ECDSA
    return None


def _note_other_key_type(cert: Path, wanted: KeyType) -> None:
    try:
        existing = certificate_key_type(cert)
    except ValueError:
        return  # server_context says what is wrong with the file
    if existing is not None and existing is not wanted:
        _log.warning("keeping the existing %s certificate %s although tls_key_type is %s; "
                     "delete it and its key to get a new one", existing.name, cert, wanted)


def _new_key(key_type: KeyType) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if key_type is KeyType.RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    return ec.generate_private_key(ec.SECP256R1())


def ensure_certificate(
    directory: Path,
    common_name: str = "sipdect OMM",
    hostnames: Sequence[str] = ("localhost", "127.0.0.1"),
    key_type: KeyType | None = None,
) -> tuple[Path, Path]:
    """Return (cert, key) under `directory/tls`, generating a self-signed pair if missing.

    Each installation gets its own key, RSA 2048 or EC P-256 by `key_type` (None: the
    existing pair whatever its key, else DEFAULT_KEY_TYPE); the real OMM ships one
    hard-coded RSA certificate, we deliberately do not share one. An existing pair is
    returned unchanged even if `hostnames` or `key_type` differ, so clients that pinned it
    keep working (a key type other than the one asked for is logged); delete the files or
    use `import_pem` to change it. One writer per data directory is assumed.
    """
    cert_path, key_path = _tls_paths(directory)
    if cert_path.is_file() and key_path.is_file():
        if key_type is not None:
            _note_other_key_type(cert_path, key_type)
        return cert_path, key_path

    key_type = key_type or DEFAULT_KEY_TYPE
    key = _new_key(key_type)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))  # tolerate clock skew
        .not_valid_after(now + CERT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                # RSA key exchange (AES128-GCM-SHA256 and the like) encrypts to this key.
                key_encipherment=key_type is KeyType.RSA,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if hostnames:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_san_entry(h) for h in hostnames]), critical=False
        )
    cert = builder.sign(key, hashes.SHA256())
    return _store(
        directory,
        cert.public_bytes(serialization.Encoding.PEM),
        _pkcs8_pem(key),
    )


def _pkcs8_pem(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _spki(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined,no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def import_pem(
    directory: Path, cert_pem: bytes, key_pem: bytes, password: bytes | None = None
) -> tuple[Path, Path]:
    """Install the user's own certificate (leaf first, chain allowed) and private key.

    Replaces the generated pair. The key is stored unencrypted (PKCS#8, mode 0600)
    because every listener must load it unattended. Raises TlsConfigError if either
    does not parse or the key does not belong to the leaf certificate.
    """
    try:
        chain = x509.load_pem_x509_certificates(cert_pem)
    except ValueError:
        raise TlsConfigError(
            "the certificate file holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)"
        ) from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=password)
    except TypeError:
        if password is None:
            raise TlsConfigError("the private key is encrypted: give its password") from None
        raise TlsConfigError("the private key is not encrypted: give no password") from None
    except ValueError:
        raise TlsConfigError(
            "the private key is not a PEM private key, or the password is wrong"
        ) from None
    except Exception as exc:  # e.g. UnsupportedAlgorithm
        raise TlsConfigError(f"the private key cannot be used: {exc}") from None

    leaf = chain[0]
    if _spki(key.public_key()) != _spki(leaf.public_key()):
        raise TlsConfigError(
            "the private key does not match the certificate: the first certificate "
            "in the file must be the one issued for this key"
        )
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < MIN_RSA_BITS:
        raise TlsConfigError(f"the RSA key has {key.key_size} bits; use at least {MIN_RSA_BITS}")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TlsConfigError("the private key must be an RSA or EC key")

    cert_out = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    return _store(directory, cert_out, _pkcs8_pem(key))
