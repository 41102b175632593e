"""MAXI is TLS 1.2/1.3 only (seed 000 "MOM - OMM Encryption"), shown with Debian's
`openssl s_client` against the MOM's MAXI listener at each level the MOM offers: TLS 1.0 and
1.1 are refused, TLS 1.2 and 1.3 accepted with a suite of the level's table; and a level below
Medium cannot be set."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mom.maxi.api import MaxiApi
from mom.maxi.server import maxi_level, start_maxi
from mom.model import MomModel, MomSetup
from sipdect import tls
from sipdect.net import HostNet

OPENSSL = Path("/usr/bin/openssl")
TIMEOUT = 60.0
"""Seconds one s_client may take (a deadline, not a wait)."""
NEGOTIATED = re.compile(r"^New, (\S+), Cipher is (\S+)$", re.MULTILINE)
HANDSHAKE = re.compile(r"SSL handshake has read (\d+) bytes and written (\d+) bytes")

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not OPENSSL.exists(), reason=f"needs {OPENSSL} (Debian's openssl)"),
]


@pytest.fixture(params=["High", "Medium"])
async def maxi_port(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[int]:
    model = MomModel(tmp_path, MomSetup())
    api = MaxiApi(model)
    server = await start_maxi(api, HostNet("mom", "127.0.0.1"), tmp_path, port=0,
                              level=request.param)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    api.close()
    model.close()


async def s_client(port: int, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        str(OPENSSL), "s_client", "-connect", f"127.0.0.1:{port}", *args,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return out.decode("utf-8", "replace")


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
async def test_tls_1_0_and_1_1_are_refused(maxi_port: int, version: str) -> None:
    # SECLEVEL=0: this OpenSSL would not even offer them otherwise.
    out = await s_client(maxi_port, version, "-cipher", "ALL:@SECLEVEL=0")
    negotiated = NEGOTIATED.search(out)
    assert negotiated is None or negotiated.group(1) == "(NONE)", out[-500:]
    sent = HANDSHAKE.search(out)  # the ClientHello went out; nothing but an end came back
    assert sent is not None and int(sent.group(2)) > 0, out[-500:]


@pytest.mark.parametrize(("version", "protocol"), [("-tls1_2", "TLSv1.2"),
                                                   ("-tls1_3", "TLSv1.3")])
async def test_tls_1_2_and_1_3_are_accepted(maxi_port: int, version: str,
                                            protocol: str) -> None:
    out = await s_client(maxi_port, version)
    negotiated = NEGOTIATED.search(out)
    assert negotiated is not None, out[-500:]
    assert negotiated.group(1) == protocol
    assert negotiated.group(2) in tls.CIPHER_STRINGS[tls.SecurityLevel.MEDIUM].split(":")


def test_the_mom_has_no_legacy_level() -> None:
    assert maxi_level("Medium") is tls.SecurityLevel.MEDIUM
    with pytest.raises(ValueError, match="TLS 1.2/1.3 only"):
        maxi_level("Legacy")
