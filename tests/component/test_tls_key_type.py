"""The key of the generated certificates: RSA 2048 by default (as the real OMM's), ECDSA P-256
with `tls_key_type = "ecdsa"`, for the OMM (AXI TLS) and the call server (SIP-TLS) alike, and
an installation's existing certificate kept whatever the setting says."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from sipdect import tls
from sipdect.app.config import ConfigError, parse_config
from sipdect.app.emulator import Emulator
from sipdect.sip import Transport

BASE = """
[system]
control_port = 0
[[omm]]
name = "OMM"
{omm}
[pbx]
{pbx}
"""


def system(key_type: str | None = None) -> str:
    line = f'tls_key_type = "{key_type}"' if key_type else ""
    return BASE.format(omm=line, pbx=line)


async def served_certificate(host: str, port: int) -> x509.Certificate:
    """The certificate a TLS listener presents (not verified: all of them are self-signed)."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=tls.client_context()), 10)
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        return x509.load_der_x509_certificate(der)
    finally:
        writer.close()


async def certificates(emu: Emulator) -> dict[str, x509.Certificate]:
    """The AXI TLS and SIP-TLS certificates of the running system."""
    assert emu.system is not None and emu.system.pbx is not None
    sip_tls = emu.system.pbx.running.addresses[Transport.TLS]
    return {"axi": await served_certificate(emu.omm.host, emu.omm.tls_port),
            "sip": await served_certificate(sip_tls.host, sip_tls.port)}


def test_key_type_is_parsed_for_the_omm_and_the_call_server() -> None:
    default = parse_config(system())
    assert default.omms[0].tls_key_type is tls.KeyType.RSA
    assert default.pbx is not None and default.pbx.tls_key_type is tls.KeyType.RSA
    chosen = parse_config(system("ecdsa"))
    assert chosen.omms[0].tls_key_type is tls.KeyType.ECDSA
    assert chosen.pbx is not None and chosen.pbx.tls_key_type is tls.KeyType.ECDSA


@pytest.mark.parametrize("value", ['"dsa"', '"RSA "', "2048"])
def test_a_bad_key_type_is_one_clear_line(value: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(BASE.format(omm=f"tls_key_type = {value}", pbx=""), "t.toml")
    message = str(err.value)
    assert "tls_key_type" in message and "\n" not in message


async def test_default_certificates_are_rsa_2048(tmp_path: Path) -> None:
    async with Emulator(system(), tmp_path) as emu:
        for where, cert in (await certificates(emu)).items():
            key = cert.public_key()
            assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048, where


async def test_ecdsa_is_a_choice_and_an_existing_certificate_is_kept(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with Emulator(system("ecdsa"), tmp_path) as emu:
        first = await certificates(emu)
    for where, cert in first.items():
        key = cert.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey), where
        assert key.curve.name == "secp256r1", where
    with caplog.at_level(logging.WARNING, logger="sipdect.tls"):
        async with Emulator(system(), tmp_path) as emu:  # now asks for RSA
            again = await certificates(emu)
    assert again == first  # the same certificates: clients that pinned them keep working
    remarks = [r.getMessage() for r in caplog.records if r.name == "sipdect.tls"]
    assert len(remarks) == 2 and all("keeping the existing ECDSA" in m for m in remarks)
