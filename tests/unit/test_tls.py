"""Tests for sipdect.tls over real loopback sockets (SEED-SD Tables 1-2)."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sipdect import tls
from sipdect.tls import SecurityLevel
from sipdect.waiting import DEFAULT_TIMEOUT

HIGH_ONLY = "ECDHE-ECDSA-AES128-GCM-SHA256"
MEDIUM_ONLY_EC = "ECDHE-ECDSA-AES128-SHA256"
LEGACY_ONLY_EC = "ECDHE-ECDSA-AES128-SHA"


@asynccontextmanager
async def serving(ctx: ssl.SSLContext) -> AsyncIterator[int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(await reader.readline())
            await writer.drain()
        except (ssl.SSLError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=ctx)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def handshake(port: int, ctx: ssl.SSLContext) -> tuple[str, str]:
    """Connect, echo one line, return (protocol version, cipher name)."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost"),
        DEFAULT_TIMEOUT)
    try:
        writer.write(b"ping\n")
        assert await asyncio.wait_for(reader.readline(), DEFAULT_TIMEOUT) == b"ping\n"
        obj = writer.get_extra_info("ssl_object")
        return obj.version(), obj.cipher()[0]
    finally:
        writer.close()


def restricted_client(cipher: str, level: SecurityLevel = SecurityLevel.LEGACY) -> ssl.SSLContext:
    """A TLS 1.2 client offering exactly one suite."""
    ctx = tls.client_context(level, max_version=ssl.TLSVersion.TLSv1_2)
    ctx.set_ciphers(f"{cipher}:@SECLEVEL=0")
    return ctx


def make_rsa_pair(bits: int = 2048, cn: str = "localhost") -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(65537, bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.fixture
def ec_pair(tmp_path: Path) -> tuple[Path, Path]:
    return tls.ensure_certificate(tmp_path, key_type=tls.KeyType.ECDSA)


@pytest.fixture
def rsa_pair(tmp_path: Path) -> tuple[Path, Path]:
    cert_pem, key_pem = make_rsa_pair()
    return tls.import_pem(tmp_path / "rsa", cert_pem, key_pem)


# --- cipher tables ---------------------------------------------------------------------


def test_cipher_strings_are_the_seed_strings() -> None:
    for s in tls.CIPHER_STRINGS.values():
        assert " " not in s and "\n" not in s
        assert len(s.split(":")) == len(set(s.split(":")))
    high = tls.CIPHER_STRINGS[SecurityLevel.HIGH]
    medium = tls.CIPHER_STRINGS[SecurityLevel.MEDIUM]
    legacy = tls.CIPHER_STRINGS[SecurityLevel.LEGACY]
    assert high.split(":")[:3] == list(tls.TLS13_SUITES)
    assert len(high.split(":")) == 13 and len(medium.split(":")) == 21
    assert len(legacy.split(":")) == 28
    assert medium.startswith(high + ":ECDHE-ECDSA-AES128-SHA256:")
    assert legacy.startswith(medium + ":ECDHE-ECDSA-AES128-SHA:")
    assert legacy.endswith(":AES128-SHA:AES256-SHA:DES-CBC3-SHA")
    assert high.endswith(
        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
        "DHE-DSS-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:"
        "DHE-DSS-AES256-GCM-SHA384:DHE-RSA-AES256-GCM-SHA384"
    )


def test_tls12_cipher_string_drops_tls13_names() -> None:
    for level in SecurityLevel:
        s = tls.tls12_cipher_string(level)
        assert not any(name in s for name in tls.TLS13_SUITES)
        assert tls.CIPHER_STRINGS[level].endswith(s)
    assert tls.tls12_cipher_string(SecurityLevel.HIGH).startswith("ECDHE-ECDSA-AES128-GCM")


def test_levels_and_defaults() -> None:
    assert tls.DEFAULT_LEVEL is SecurityLevel.HIGH
    assert tls.UPGRADE_LEVEL is SecurityLevel.LEGACY
    assert SecurityLevel("Medium") is SecurityLevel.MEDIUM
    assert str(SecurityLevel.LEGACY) == "Legacy"


def test_server_offers_the_level_suites_in_seed_order(ec_pair: tuple[Path, Path]) -> None:
    for level in SecurityLevel:
        ctx = tls.server_context(*ec_pair, level)
        offered = [c["name"] for c in ctx.get_ciphers()]
        # OpenSSL's built-in TLS 1.3 list equals the seed's, in the seed's order.
        assert offered[:3] == list(tls.TLS13_SUITES)
        wanted = [
            n
            for n in tls.tls12_cipher_string(level).split(":")
            if n not in tls.unavailable_ciphers(level)
        ]
        assert offered[3:] == wanted
        assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
        assert ctx.maximum_version == ssl.TLSVersion.TLSv1_3
        assert ctx.options & ssl.OP_CIPHER_SERVER_PREFERENCE
        assert ctx.options & ssl.OP_NO_COMPRESSION
        assert ctx.options & ssl.OP_NO_RENEGOTIATION


def test_legacy_sha1_suites_are_offered() -> None:
    missing = tls.unavailable_ciphers(SecurityLevel.LEGACY)
    # Only 3DES may be missing (OpenSSL builds without weak ciphers); SHA-1 suites must be there.
    assert set(missing) <= {"DES-CBC3-SHA"}
    assert tls.unavailable_ciphers(SecurityLevel.HIGH) == []


def test_ffdhe2048_prime_is_rfc7919() -> None:
    h = format(tls._ffdhe2048_prime(), "X")
    assert len(h) == 512
    assert h.startswith("FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1")
    assert h.endswith("886B423861285C97FFFFFFFFFFFFFFFF")


# --- handshakes --------------------------------------------------------------------------


async def test_tls13_default(ec_pair: tuple[Path, Path]) -> None:
    async with serving(tls.server_context(*ec_pair, SecurityLevel.HIGH)) as port:
        version, cipher = await handshake(port, tls.client_context())
    assert version == "TLSv1.3"
    assert cipher == "TLS_AES_256_GCM_SHA384"  # first in the seed's preference list


async def test_tls12_prefers_first_suite_of_level(ec_pair: tuple[Path, Path]) -> None:
    client = tls.client_context(SecurityLevel.LEGACY, max_version=ssl.TLSVersion.TLSv1_2)
    async with serving(tls.server_context(*ec_pair, SecurityLevel.HIGH)) as port:
        version, cipher = await handshake(port, client)
    assert (version, cipher) == ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256")


@pytest.mark.parametrize("old", [ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1])
@pytest.mark.parametrize("level", list(SecurityLevel))
async def test_old_protocols_refused(
    ec_pair: tuple[Path, Path], level: SecurityLevel, old: ssl.TLSVersion
) -> None:
    async with serving(tls.server_context(*ec_pair, level)) as port:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            await handshake(port, tls.client_context(SecurityLevel.LEGACY, max_version=old))


async def test_old_protocol_probe_really_offers_old_protocol(ec_pair: tuple[Path, Path]) -> None:
    # Control for the refusal test: a server that allows TLS 1.1 accepts the probe.
    permissive = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    permissive.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    permissive.set_ciphers("ALL:@SECLEVEL=0")
    permissive.load_cert_chain(*ec_pair)
    probe = tls.client_context(SecurityLevel.LEGACY, max_version=ssl.TLSVersion.TLSv1_1)
    async with serving(permissive) as port:
        version, _ = await handshake(port, probe)
    assert version == "TLSv1.1"


@pytest.mark.parametrize(
    ("cipher", "accepted_from"),
    [
        (HIGH_ONLY, SecurityLevel.HIGH),
        (MEDIUM_ONLY_EC, SecurityLevel.MEDIUM),
        ("ECDHE-ECDSA-AES256-SHA384", SecurityLevel.MEDIUM),
        (LEGACY_ONLY_EC, SecurityLevel.LEGACY),
        ("ECDHE-ECDSA-AES256-SHA", SecurityLevel.LEGACY),
    ],
)
async def test_ec_cipher_restrictions_per_level(
    ec_pair: tuple[Path, Path], cipher: str, accepted_from: SecurityLevel
) -> None:
    order = list(SecurityLevel)  # High, Medium, Legacy
    for level in SecurityLevel:
        async with serving(tls.server_context(*ec_pair, level)) as port:
            if order.index(level) >= order.index(accepted_from):
                assert await handshake(port, restricted_client(cipher)) == ("TLSv1.2", cipher)
            else:
                with pytest.raises((ssl.SSLError, ConnectionError)):
                    await handshake(port, restricted_client(cipher))


@pytest.mark.parametrize(
    ("cipher", "accepted_from"),
    [
        ("ECDHE-RSA-AES256-GCM-SHA384", SecurityLevel.HIGH),
        ("DHE-RSA-AES128-GCM-SHA256", SecurityLevel.HIGH),
        ("AES128-SHA256", SecurityLevel.MEDIUM),
        ("AES256-GCM-SHA384", SecurityLevel.MEDIUM),
        ("ECDHE-RSA-AES128-SHA", SecurityLevel.LEGACY),
        ("AES128-SHA", SecurityLevel.LEGACY),
        ("AES256-SHA", SecurityLevel.LEGACY),
    ],
)
async def test_rsa_cipher_restrictions_per_level(
    rsa_pair: tuple[Path, Path], cipher: str, accepted_from: SecurityLevel
) -> None:
    order = list(SecurityLevel)
    for level in SecurityLevel:
        async with serving(tls.server_context(*rsa_pair, level)) as port:
            if order.index(level) >= order.index(accepted_from):
                assert await handshake(port, restricted_client(cipher)) == ("TLSv1.2", cipher)
            else:
                with pytest.raises((ssl.SSLError, ConnectionError)):
                    await handshake(port, restricted_client(cipher))


async def test_3des_on_legacy_where_openssl_has_it(rsa_pair: tuple[Path, Path]) -> None:
    if "DES-CBC3-SHA" in tls.unavailable_ciphers(SecurityLevel.LEGACY):
        pytest.skip("local OpenSSL is built without DES-CBC3-SHA")
    async with serving(tls.server_context(*rsa_pair, SecurityLevel.LEGACY)) as port:
        assert await handshake(port, restricted_client("DES-CBC3-SHA"))[1] == "DES-CBC3-SHA"


# --- certificates -------------------------------------------------------------------------


def test_generated_certificate_is_stable(tmp_path: Path) -> None:
    cert, key = tls.ensure_certificate(tmp_path)
    assert (cert, key) == (tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem")
    first = cert.read_bytes()
    assert tls.ensure_certificate(tmp_path, hostnames=("other",)) == (cert, key)
    assert cert.read_bytes() == first
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_generated_certificate_contents(tmp_path: Path) -> None:
    cert_path, key_path = tls.ensure_certificate(
        tmp_path, common_name="omm-1", hostnames=("omm.example", "127.0.0.1", "::1")
    )
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    # RSA 2048 by default, as the real OMM's certificate: RSA key exchange encrypts to it.
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert tls.certificate_key_type(cert_path) is tls.KeyType.RSA
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "omm-1"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["omm.example"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    life = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert life >= datetime.timedelta(days=3650)


def test_ecdsa_certificate_is_a_config_choice(tmp_path: Path) -> None:
    cert_path, key_path = tls.ensure_certificate(tmp_path, key_type=tls.KeyType.ECDSA)
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert tls.certificate_key_type(cert_path) is tls.KeyType.ECDSA
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_encipherment


def test_an_existing_certificate_is_kept_whatever_key_type_is_asked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cert, key = tls.ensure_certificate(tmp_path, key_type=tls.KeyType.ECDSA)
    before = cert.read_bytes(), key.read_bytes()
    assert tls.ensure_certificate(tmp_path) == (cert, key)  # no key type asked: no remark
    assert not caplog.records
    assert tls.ensure_certificate(tmp_path, key_type=tls.KeyType.RSA) == (cert, key)
    assert (cert.read_bytes(), key.read_bytes()) == before
    assert tls.certificate_key_type(cert) is tls.KeyType.ECDSA
    [remark] = caplog.records
    assert "keeping the existing ECDSA certificate" in remark.getMessage()
    assert remark.levelname == "WARNING"


def test_each_installation_gets_its_own_certificate(tmp_path: Path) -> None:
    a, _ = tls.ensure_certificate(tmp_path / "a")
    b, _ = tls.ensure_certificate(tmp_path / "b")
    ca = x509.load_pem_x509_certificate(a.read_bytes())
    cb = x509.load_pem_x509_certificate(b.read_bytes())
    assert ca.serial_number != cb.serial_number
    assert ca.public_key().public_numbers() != cb.public_key().public_numbers()


async def test_generated_certificate_validates_for_localhost(ec_pair: tuple[Path, Path]) -> None:
    cert, _ = ec_pair
    async with serving(tls.server_context(*ec_pair, SecurityLevel.HIGH)) as port:
        version, _ = await handshake(port, tls.client_context(cafile=cert))
        assert version == "TLSv1.3"
        # The same certificate is rejected for a name it was not issued for.
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection(
                "127.0.0.1",
                port,
                ssl=tls.client_context(cafile=cert),
                server_hostname="not-this-host",
            )


async def test_verification_rejects_unknown_ca(ec_pair: tuple[Path, Path], tmp_path: Path) -> None:
    other, _ = tls.ensure_certificate(tmp_path / "other")
    async with serving(tls.server_context(*ec_pair, SecurityLevel.HIGH)) as port:
        with pytest.raises(ssl.SSLCertVerificationError):
            await handshake(port, tls.client_context(cafile=other))


# --- import_pem -------------------------------------------------------------------------------


def test_import_pem_replaces_generated(tmp_path: Path) -> None:
    generated, _ = tls.ensure_certificate(tmp_path)
    cert_pem, key_pem = make_rsa_pair()
    cert, key = tls.import_pem(tmp_path, cert_pem, key_pem)
    assert cert == generated
    assert cert.read_bytes() == cert_pem
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, unencrypted
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert tls.ensure_certificate(tmp_path) == (cert, key)
    tls.server_context(cert, key, SecurityLevel.HIGH)


def test_import_pem_with_chain_and_password(tmp_path: Path) -> None:
    cert_pem, key_pem = make_rsa_pair()
    ca_pem, _ = make_rsa_pair(cn="Some CA")
    key = serialization.load_pem_private_key(key_pem, None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"s3cret"),
    )
    cert, _ = tls.import_pem(tmp_path, cert_pem + ca_pem, encrypted, password=b"s3cret")
    assert len(x509.load_pem_x509_certificates(cert.read_bytes())) == 2


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda c, k, o: (c, o, None), "does not match"),
        (lambda c, k, o: (b"nonsense", k, None), "no PEM certificate"),
        (lambda c, k, o: (c, b"nonsense", None), "not a PEM private key"),
        (lambda c, k, o: (c, k, b"pw"), "not encrypted"),
    ],
)
def test_import_pem_rejects(
    tmp_path: Path,
    mangle: Callable[[bytes, bytes, bytes], tuple[bytes, bytes, bytes | None]],
    message: str,
) -> None:
    cert_pem, key_pem = make_rsa_pair()
    _, other_key = make_rsa_pair()
    generated, _ = tls.ensure_certificate(tmp_path)
    before = generated.read_bytes()
    c, k, pw = mangle(cert_pem, key_pem, other_key)
    with pytest.raises(tls.TlsConfigError, match=message):
        tls.import_pem(tmp_path, c, k, pw)
    assert generated.read_bytes() == before  # nothing replaced on failure


def test_import_pem_needs_password_for_encrypted_key(tmp_path: Path) -> None:
    cert_pem, key_pem = make_rsa_pair()
    key = serialization.load_pem_private_key(key_pem, None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"s3cret"),
    )
    with pytest.raises(tls.TlsConfigError, match="encrypted: give its password"):
        tls.import_pem(tmp_path, cert_pem, encrypted)
    with pytest.raises(tls.TlsConfigError, match="password is wrong"):
        tls.import_pem(tmp_path, cert_pem, encrypted, password=b"wrong")


def test_import_pem_rejects_short_rsa(tmp_path: Path) -> None:
    cert_pem, key_pem = make_rsa_pair(bits=1024)
    with pytest.raises(tls.TlsConfigError, match="at least 2048"):
        tls.import_pem(tmp_path, cert_pem, key_pem)


def test_server_context_reports_unusable_files(tmp_path: Path) -> None:
    with pytest.raises(tls.TlsConfigError, match="cannot use TLS certificate"):
        tls.server_context(tmp_path / "missing.pem", tmp_path / "missing.key", SecurityLevel.HIGH)
