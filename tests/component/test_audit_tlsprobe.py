"""The audit's TLS probe against real TLS listeners on loopback: it reports the versions and
suites a port really accepts, so item 1.4 (security level High) follows from what the port
does, not from what it claims (SEED-SD Tables 1-2)."""

from __future__ import annotations

import asyncio
import ssl
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from sipdect import tls
from sipdect.app.audit.checklist import ITEMS, TLS_PROBE, Status, evaluate
from sipdect.app.audit.tlsprobe import ProbeResult, probe

SECURITY_LEVEL_ITEM = next(i for i in ITEMS if i.id == "1.4")


@pytest_asyncio.fixture
async def listener(tmp_path: Path,
                   request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, int]]:
    """A TLS port on 127.0.0.1 with the server context every sipdect listener uses, at the
    security level the test names (or a hand-made context)."""
    cert, key = tls.ensure_certificate(tmp_path)
    param = request.param
    if isinstance(param, tls.SecurityLevel):
        ctx = tls.server_context(cert, key, param)
    else:  # an old server: TLS 1.0 upwards, every suite
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.load_cert_chain(cert, key)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=ctx)
    async with server:
        yield "127.0.0.1", server.sockets[0].getsockname()[1]


async def probed(where: tuple[str, int]) -> ProbeResult:
    return await asyncio.to_thread(probe, *where)


@pytest.mark.parametrize("listener", [tls.SecurityLevel.HIGH], indirect=True)
async def test_level_high_shows_tls_12_and_13_with_its_suites_only(
        listener: tuple[str, int]) -> None:
    result = await probed(listener)
    assert result.versions == {"TLS 1.0": False, "TLS 1.1": False, "TLS 1.2": True,
                               "TLS 1.3": True}
    tls12 = {s.name for s in result.suites if s.version == "TLS 1.2"}
    tls13 = {s.name for s in result.suites if s.version == "TLS 1.3"}
    high = set(tls.tls12_cipher_string(tls.SecurityLevel.HIGH).split(":"))
    # An RSA certificate: every ECDHE-RSA and DHE-RSA suite of level High, nothing else.
    assert tls12 and tls12 <= high
    assert "ECDHE-RSA-AES256-GCM-SHA384" in tls12
    assert tls13 >= set(tls.TLS13_SUITES)
    outcome = evaluate(SECURITY_LEVEL_ITEM, {TLS_PROBE: result.as_dict()})
    assert outcome.status is Status.PASS, outcome.why


@pytest.mark.parametrize("listener", [tls.SecurityLevel.MEDIUM], indirect=True)
async def test_level_medium_fails_the_security_level_item_naming_a_suite(
        listener: tuple[str, int]) -> None:
    result = await probed(listener)
    names = {s.name for s in result.suites}
    assert "AES128-GCM-SHA256" in names  # RSA key exchange: level Medium only
    outcome = evaluate(SECURITY_LEVEL_ITEM, {TLS_PROBE: result.as_dict()})
    assert outcome.status is Status.FAIL
    assert "AES128-GCM-SHA256" in outcome.why


@pytest.mark.parametrize("listener", ["old"], indirect=True)
async def test_an_old_server_shows_tls_10_when_this_machine_can_offer_it(
        listener: tuple[str, int]) -> None:
    result = await probed(listener)
    if result.versions["TLS 1.0"] is None:
        pytest.skip("this machine's OpenSSL cannot offer TLS 1.0: " + "; ".join(result.notes))
    assert result.versions["TLS 1.0"] is True
    outcome = evaluate(SECURITY_LEVEL_ITEM, {TLS_PROBE: result.as_dict()})
    assert outcome.status is Status.FAIL and "TLS 1.0" in outcome.why


async def test_a_closed_port_is_refused_everywhere(unused_tcp_port: int) -> None:
    result = await probed(("127.0.0.1", unused_tcp_port))
    assert not any(result.versions.values())
    assert result.suites == []
