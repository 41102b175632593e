"""Which TLS versions and cipher suites a TLS port really accepts (the audit's AXI probe).

Blocking, for a thread: one handshake per question, nothing sent after it. Versions are
tried one at a time with Python's ssl pinned to it (minimum = maximum, OpenSSL security
level 0 so that this machine may offer TLS 1.0/1.1 at all); where the local OpenSSL cannot
offer a version, `openssl s_client` is asked instead. Suites are found the way scanners do:
offer all the remaining ones, note the one the server picks, drop it, repeat until the
server refuses; TLS 1.3 suites, which Python's ssl cannot choose, go through s_client.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

VERSIONS: tuple[tuple[str, ssl.TLSVersion, str], ...] = (
    ("TLS 1.0", ssl.TLSVersion.TLSv1, "-tls1"),
    ("TLS 1.1", ssl.TLSVersion.TLSv1_1, "-tls1_1"),
    ("TLS 1.2", ssl.TLSVersion.TLSv1_2, "-tls1_2"),
    ("TLS 1.3", ssl.TLSVersion.TLSv1_3, "-tls1_3"),
)
"""Name, Python version, s_client option."""

TLS13_SUITES: tuple[str, ...] = (
    "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
)
"""Every TLS 1.3 suite (RFC 8446 B.4), all of which SEED-SD Table 3 lists."""

ALL_SUITES = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
"""OpenSSL's widest offer: every suite this build has, weak ones included."""

HANDSHAKE_TIMEOUT = 10.0
"""Seconds one handshake (or one s_client run) may take."""


@dataclass
class Suite:
    name: str
    version: str


@dataclass
class ProbeResult:
    host: str
    port: int
    versions: dict[str, bool | None] = field(default_factory=dict)
    """Version name -> accepted (True), refused (False), could not be offered here (None)."""
    suites: list[Suite] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _LocalLimit(Exception):
    """This machine's OpenSSL cannot offer what was asked."""


def _context(version: ssl.TLSVersion, ciphers: str | None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the probe judges the offer, not the certificate
    try:
        with warnings.catch_warnings():
            # Offering TLS 1.0/1.1 is the point of the probe, not an oversight.
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = version
            ctx.maximum_version = version
        ctx.set_ciphers(ciphers or ALL_SUITES)
    except (ssl.SSLError, ValueError) as exc:
        raise _LocalLimit(str(exc)) from None
    return ctx


def _handshake(host: str, port: int, ctx: ssl.SSLContext) -> str | None:
    """The suite the server chose, or None when it refused the handshake."""
    try:
        with socket.create_connection((host, port), timeout=HANDSHAKE_TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname=None) as tls:
                cipher = tls.cipher()
                return cipher[0] if cipher else None
    except ssl.SSLError as exc:
        text = str(exc)
        if "NO_PROTOCOLS_AVAILABLE" in text.upper() or "NO_CIPHERS_AVAILABLE" in text.upper():
            raise _LocalLimit(text) from None
        return None
    except (ConnectionError, TimeoutError, OSError):
        return None


def _s_client(host: str, port: int, option: str, cipher_args: list[str]) -> str | None:
    """The suite `openssl s_client` negotiated with these options, or None."""
    exe = shutil.which("openssl")
    if exe is None:
        raise _LocalLimit("no openssl command")
    try:
        done = subprocess.run(
            [exe, "s_client", "-connect", f"{host}:{port}", option, *cipher_args],
            input=b"", capture_output=True, timeout=HANDSHAKE_TIMEOUT, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return None
    out = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
    if "no protocols available" in out or "no ciphers available" in out:
        raise _LocalLimit(f"openssl s_client cannot offer {option}")
    for line in out.splitlines():
        if "Cipher is " in line:
            name = line.split("Cipher is ", 1)[1].strip()
            return None if name in ("(NONE)", "0000") else name
    return None


def _version_accepted(host: str, port: int, name: str, version: ssl.TLSVersion,
                      option: str, notes: list[str]) -> bool | None:
    try:
        return _handshake(host, port, _context(version, None)) is not None
    except _LocalLimit:
        pass
    try:
        return _s_client(host, port, option, ["-cipher", ALL_SUITES]) is not None
    except _LocalLimit as exc:
        notes.append(f"{name} not tested: this machine cannot offer it ({exc})")
        return None


def _suites_below_13(host: str, port: int, version: ssl.TLSVersion) -> list[str]:
    remaining = [c["name"] for c in _context(version, None).get_ciphers()
                 if c["protocol"] != "TLSv1.3"]
    accepted: list[str] = []
    while remaining:
        try:
            chosen = _handshake(host, port, _context(version, ":".join(remaining)
                                                    + ":@SECLEVEL=0"))
        except _LocalLimit:
            break
        if chosen is None or chosen not in remaining:
            break
        accepted.append(chosen)
        remaining.remove(chosen)
    return accepted


def _suites_13(host: str, port: int, notes: list[str]) -> list[str]:
    remaining = list(TLS13_SUITES)
    accepted: list[str] = []
    while remaining:
        try:
            chosen = _s_client(host, port, "-tls1_3", ["-ciphersuites", ":".join(remaining)])
        except _LocalLimit as exc:
            # Python's ssl offers its default TLS 1.3 suites only: note the one chosen.
            chosen = _handshake(host, port, _context(ssl.TLSVersion.TLSv1_3, None))
            notes.append(f"TLS 1.3 suites other than the default ones not tested ({exc})")
            if chosen and chosen not in accepted:
                accepted.append(chosen)
            break
        if chosen is None or chosen not in remaining:
            break
        accepted.append(chosen)
        remaining.remove(chosen)
    return accepted


def probe(host: str, port: int) -> ProbeResult:
    """Ask the port which versions and suites it accepts (blocking; run it in a thread)."""
    result = ProbeResult(host, port)
    for name, version, option in VERSIONS:
        result.versions[name] = _version_accepted(host, port, name, version, option,
                                                  result.notes)
    for name, version, _ in VERSIONS:
        if result.versions[name] is not True:
            continue
        try:
            names = (_suites_13(host, port, result.notes) if version is ssl.TLSVersion.TLSv1_3
                     else _suites_below_13(host, port, version))
        except _LocalLimit as exc:
            result.notes.append(f"{name} suites not tested ({exc})")
            continue
        result.suites.extend(Suite(n, name) for n in names)
    return result
