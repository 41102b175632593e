"""Every cipher suite of every TLS security level (SEED-SD Tables 1-2) negotiated by
`openssl s_client` with the OMM's AXI TLS listener, and nothing else: no other suite this
OpenSSL knows, no TLS 1.0 or 1.1.

A suite needs a certificate whose key fits its authentication: the default RSA key
negotiates TLS 1.3 and the ECDHE-RSA, DHE-RSA and RSA suites; an OMM with
tls_key_type = "ecdsa" negotiates TLS 1.3 and the ECDHE-ECDSA ones. No certificate sipdect
makes or imports is DSA (nor is the real OMM's), so the DHE-DSS suites are shown with a DSA
certificate that openssl makes for this test, in a server built by sipdect.tls.server_context.

Refusals are checked in batches: one ClientHello offering every suite outside the level's
table is refused exactly when each of them alone would be (the server picks any it allows).
The client's trace proves the ClientHello really offered them (OpenSSL silently leaves out
PSK and SRP suites without credentials, so those go in batches of their own with some).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from sipdect import tls
from sipdect.app.emulator import Emulator
from sipdect.tls import SecurityLevel

OPENSSL = Path("/usr/bin/openssl")

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.skipif(not OPENSSL.exists(), reason=f"needs {OPENSSL} (Debian's openssl)"),
]

NOT_IN_THIS_OPENSSL = {
    "DES-CBC3-SHA": "3DES is compiled out of Debian's OpenSSL 3 (no-weak-ssl-ciphers): "
                    "`openssl ciphers -v ALL` does not list it, so no client here can offer it "
                    "and no server here can choose it",
}
"""Suites of the tables that cannot be negotiated with this OpenSSL at all, and why."""

RFC8446_SUITES = ("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                  "TLS_AES_128_GCM_SHA256", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256")
"""Every TLS 1.3 suite (RFC 8446 B.4); `openssl ciphers` lists only the configured ones."""

SERVERS_BY_AUTH = {"any": ("rsa", "ecdsa"), "RSA": ("rsa",), "ECDSA": ("ecdsa",),
                   "DSS": ("dsa",)}
"""Which of the test's servers can negotiate a suite, by its authentication (Au=)."""

PSK_ARGS = ("-psk", "0123456789abcdef0123456789abcdef")
SRP_ARGS = ("-srpuser", "sipdect", "-srppass", "pass:sipdect")
PARALLEL = 6
"""s_client processes at a time: the machine's cores are shared."""
TIMEOUT = 60.0
"""Seconds one s_client may take before the test gives up on it (a deadline, not a wait)."""


@dataclass(frozen=True)
class Suite:
    """One cipher suite as `openssl ciphers -V` describes it."""

    name: str
    """OpenSSL name."""
    code: str
    """Its two code bytes as hex, e.g. "C02C"."""
    protocol: str
    """Oldest protocol it works with (TLSv1.3 for TLS 1.3 suites)."""
    kx: str
    """Key exchange, e.g. ECDH, DH, RSA, PSK, SRP."""
    au: str
    """Authentication: RSA, ECDSA, DSS, any (TLS 1.3), None, PSK, SRP."""


def known_suites() -> dict[str, Suite]:
    """Every suite this OpenSSL knows, by OpenSSL name."""
    out = subprocess.run(
        [str(OPENSSL), "ciphers", "-V", "-ciphersuites", ":".join(RFC8446_SUITES),
         "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
        capture_output=True, text=True, check=True).stdout
    suites = {}
    for line in out.splitlines():
        code, _, name, protocol, kx, au, *_ = line.split()
        suites[name] = Suite(name, code.replace("0x", "").replace(",", ""), protocol,
                             kx.removeprefix("Kx="), au.removeprefix("Au="))
    return suites


def table(level: SecurityLevel) -> list[str]:
    return tls.CIPHER_STRINGS[level].split(":")


@dataclass(frozen=True)
class Attempt:
    """One s_client run and what it must show."""

    what: str
    server: str
    """rsa, ecdsa or dsa."""
    args: tuple[str, ...]
    accepted: str | None
    """The suite that must be negotiated; None: the handshake must fail."""
    offered: frozenset[str] = frozenset()
    """Suite codes the ClientHello must carry (a refusal proves nothing without them)."""
    hello_version: str | None = None
    """The ClientHello's version, e.g. "TLS 1.0", when it matters."""


def tls12_args(names: list[str], *extra: str) -> tuple[str, ...]:
    return ("-tls1_2", "-cipher", ":".join(names) + ":@SECLEVEL=0", *extra)


def attempts(level: SecurityLevel, known: dict[str, Suite]) -> list[Attempt]:
    out = []
    wanted = [known[name] for name in table(level) if name not in NOT_IN_THIS_OPENSSL]
    for suite in wanted:
        args = (("-tls1_3", "-ciphersuites", suite.name) if suite.protocol == "TLSv1.3"
                else tls12_args([suite.name]))
        for server in SERVERS_BY_AUTH[suite.au]:
            out.append(Attempt(suite.name, server, args, suite.name))

    others = [s for s in known.values() if s.name not in table(level)]
    tls13 = [s for s in others if s.protocol == "TLSv1.3"]
    psk = [s for s in others if "PSK" in s.kx]
    srp = [s for s in others if s.kx.startswith("SRP")]
    plain = [s for s in others if s not in tls13 + psk + srp]
    for server in ("rsa", "ecdsa", "dsa"):
        for what, batch, extra in (("other suites", plain, ()), ("PSK suites", psk, PSK_ARGS),
                                   ("SRP suites", srp, SRP_ARGS)):
            if batch:
                out.append(Attempt(what, server, tls12_args([s.name for s in batch], *extra),
                                   None, frozenset(s.code for s in batch)))
    if tls13:
        out.append(Attempt("other TLS 1.3 suites", "rsa",
                           ("-tls1_3", "-ciphersuites", ":".join(s.name for s in tls13)),
                           None, frozenset(s.code for s in tls13)))
    for flag, version in (("-tls1", "TLS 1.0"), ("-tls1_1", "TLS 1.1")):
        out.append(Attempt(version, "rsa", (flag, "-cipher", "ALL:@SECLEVEL=0"), None,
                           hello_version=version))
    return out


NEGOTIATED = re.compile(r"^New, (\S+), Cipher is (\S+)$", re.MULTILINE)
HELLO_SUITE = re.compile(r"\{0x([0-9A-F]{2}), 0x([0-9A-F]{2})\}")
HELLO_VERSION = re.compile(r"client_version=0x[0-9a-f]+ \(([^)]+)\)")


async def run(attempt: Attempt, server: tuple[str, int], gate: asyncio.Semaphore) -> str | None:
    """Run `attempt` against `server` (host, port); None if it showed what it must, else why
    not."""
    host, port = server
    async with gate:
        proc = await asyncio.create_subprocess_exec(
            str(OPENSSL), "s_client", "-connect", f"{host}:{port}", "-trace", *attempt.args,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            raw, errors = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return "s_client did not finish"
    text = raw.decode("utf-8", "replace")  # the trace and the outcome; errors go apart
    negotiated = NEGOTIATED.search(text)
    if negotiated is None:
        return "s_client printed no outcome: " + errors.decode("utf-8", "replace")[-300:]
    cipher = None if negotiated.group(2) == "(NONE)" else negotiated.group(2)
    if cipher != attempt.accepted:
        return f"negotiated {cipher or 'nothing'}"
    hello = text[text.find("cipher_suites (len="):text.find("compression_methods")]
    missing = attempt.offered - {a + b for a, b in HELLO_SUITE.findall(hello)}
    if missing:
        return f"the ClientHello did not offer {sorted(missing)}"
    version = HELLO_VERSION.search(text)
    if attempt.hello_version and (version is None or version.group(1) != attempt.hello_version):
        return f"the ClientHello was {version.group(1) if version else 'not sent'}"
    return None


@pytest.fixture(scope="module")
def dsa_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A DSA-2048 certificate, which no sipdect installation can have."""
    where = tmp_path_factory.mktemp("dsa")
    params, key, cert = where / "params.pem", where / "key.pem", where / "cert.pem"
    for command in (
            ["genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:2048",
             "-out", str(params)],
            ["genpkey", "-paramfile", str(params), "-out", str(key)],
            ["req", "-x509", "-new", "-key", str(key), "-subj", "/CN=localhost", "-days", "1",
             "-sha256", "-out", str(cert)]):
        subprocess.run([str(OPENSSL), *command], capture_output=True, check=True)
    return cert, key


@asynccontextmanager
async def dsa_servers(pair: tuple[Path, Path]
                      ) -> AsyncIterator[dict[SecurityLevel, tuple[str, int]]]:
    """One TLS server per level with the DSA certificate; their ports."""

    async def until_eof(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()
        except (OSError, ConnectionError):
            pass
        finally:
            writer.close()

    servers = {level: await asyncio.start_server(until_eof, "127.0.0.1", 0,
                                                 ssl=tls.server_context(*pair, level))
               for level in SecurityLevel}
    try:
        yield {level: ("127.0.0.1", s.sockets[0].getsockname()[1])
               for level, s in servers.items()}
    finally:
        for server in servers.values():
            server.close()


def omm_name(level: SecurityLevel, key_type: tls.KeyType) -> str:
    return f"OMM-{level}-{key_type}"


SYSTEM = "[system]\ncontrol_port = 0\n" + "".join(
    f'[[omm]]\nname = "{omm_name(level, key_type)}"\ntls_level = "{level}"\n'
    f'tls_key_type = "{key_type}"\n'
    for level in SecurityLevel for key_type in tls.KeyType)
"""An OMM per level and key type."""


def test_only_suites_this_openssl_lacks_are_left_out() -> None:
    known = known_suites()
    for level in SecurityLevel:
        absent = {name for name in table(level) if name not in known}
        assert absent == set(NOT_IN_THIS_OPENSSL) & set(table(level)), level
        assert set(tls.unavailable_ciphers(level)) == absent - set(tls.TLS13_SUITES)


async def test_each_level_negotiates_its_suites_and_nothing_else(
        tmp_path: Path, dsa_pair: tuple[Path, Path]) -> None:
    known = known_suites()
    gate = asyncio.Semaphore(PARALLEL)
    async with Emulator(SYSTEM, tmp_path) as emu, dsa_servers(dsa_pair) as dsa_ports:
        jobs = []
        for level in SecurityLevel:
            ports = {str(key_type): (handle.host, handle.tls_port) for key_type in tls.KeyType
                     if (handle := emu.handle(omm_name(level, key_type)))}
            ports["dsa"] = dsa_ports[level]
            for attempt in attempts(level, known):
                jobs.append((level, attempt, run(attempt, ports[attempt.server], gate)))
        outcomes = await asyncio.gather(*(job for _, _, job in jobs))
    failures = [f"{level} {a.what} ({a.server}): {why}"
                for (level, a, _), why in zip(jobs, outcomes, strict=True) if why is not None]
    assert not failures, "\n".join(failures)
    accepted = {(level, a.accepted) for level, a, _ in jobs if a.accepted}
    for level in SecurityLevel:  # nothing of the tables was skipped but what openssl lacks
        assert {name for lv, name in accepted if lv is level} == (
            set(table(level)) - set(NOT_IN_THIS_OPENSSL))
