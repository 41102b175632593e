"""The MAXI listener: TCP 12624, TLS 1.2/1.3 only at the MOM's level (High or Medium: it never
goes below TLS 1.2, seed 000 "MOM - OMM Encryption"), with the MOM's own certificate. A plain
TCP client gets no byte back: its bytes are no TLS handshake."""

from __future__ import annotations

import asyncio
from pathlib import Path

from mom.maxi.api import MaxiApi
from sipdect import tls
from sipdect.axi.server import serve
from sipdect.axi.sync import MAXI_PORT, MOM_TLS_LEVELS
from sipdect.net import HostNet

CERT_NAME = "sipdect MOM"
"""The common name of the MOM's self-signed certificate (each MOM its own key)."""


def maxi_level(level: str) -> tls.SecurityLevel:
    """The MOM's TLS level, refused below Medium (the config checker says so first)."""
    if level not in MOM_TLS_LEVELS:
        raise ValueError(f"the MOM's TLS level is one of {'/'.join(MOM_TLS_LEVELS)}, "
                         f"not {level!r}: MAXI is TLS 1.2/1.3 only")
    return tls.SecurityLevel(level)


async def start_maxi(api: MaxiApi, net: HostNet, data_dir: Path, *, port: int = MAXI_PORT,
                     level: str = "High",
                     hostnames: tuple[str, ...] = ()) -> asyncio.Server:
    """Listen for MAXI on `net`'s address; port 0 picks a free one."""
    cert, key = tls.ensure_certificate(data_dir, CERT_NAME,
                                       hostnames or ("localhost", net.address))
    context = tls.server_context(cert, key, maxi_level(level))
    return await serve(api, net.address, port, context, net=net, host_name="mom")
