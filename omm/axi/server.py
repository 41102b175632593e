"""The OMM's AXI listeners: plain TCP (12621) and TLS (12622), the kit's AXI edge
(sipdect.axi.server) around the OMM's AxiApi."""

from __future__ import annotations

import asyncio
import ssl

from omm.axi.api import AxiApi
from sipdect.axi.server import AxiConnection
from sipdect.axi.server import serve as serve_axi
from sipdect.net import HostNet

__all__ = ["AxiConnection", "serve"]


async def serve(api: AxiApi, host: str, port: int, tls: ssl.SSLContext | None = None, *,
                net: HostNet | None = None) -> asyncio.Server:
    """Start one AXI listener on the OMM's host (`net`, else `host`); port 0 picks a free
    port."""
    return await serve_axi(api, host, port, tls, net=net, host_name="omm")
