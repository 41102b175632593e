"""Connections that never log in cannot keep AXI clients out (issue 9; axi.md §1 "Limits").

axiClients counts logged-in sessions; connections waiting to log in have a small quota of
their own per source address and overall, and a short login deadline. Each test runs its
own OMM AXI server with small quotas; sources are other 127.x addresses of the loopback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from omm.axi.api import AxiApi
from omm.axi.server import serve
from omm.model import OmmLimits, OmmModel, OmmSetup
from sipdect.accounts import InitialAccount
from sipdect.axi.admission import PreLoginLimits
from sipdect.axi.client import AxiClient
from sipdect.waiting import DEFAULT_TIMEOUT, until

PASSWORD = "Prelogin-Omm-2026"
HOST = "127.0.0.1"
LIMITS = PreLoginLimits(per_source=3, total=6, login_timeout=30.0)


@dataclass
class Server:
    api: AxiApi
    port: int

    async def client(self, source: str) -> AxiClient:
        client = await AxiClient.connect(HOST, self.port, local_host=source)
        await client.login("omm", PASSWORD)
        return client


@asynccontextmanager
async def axi_server(tmp_path: Path, limits: PreLoginLimits = LIMITS,
                     axi_clients: int = 100) -> AsyncIterator[Server]:
    model = OmmModel(tmp_path, OmmSetup(accounts=[InitialAccount("omm", PASSWORD)],
                                        limits=OmmLimits(axi_clients=axi_clients)))
    api = AxiApi(model, limits)
    server = await serve(api, HOST, 0)
    try:
        yield Server(api, server.sockets[0].getsockname()[1])
    finally:
        server.close()
        for link in list(api.sessions.values()):
            link.abort("test over")
        await server.wait_closed()
        api.gatekeeper.close()
        model.close()


class Idle:
    """A TCP connection that never sends a byte."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.eof = False

    @classmethod
    async def open(cls, port: int, source: str) -> Idle:
        return cls(*await asyncio.open_connection(HOST, port, local_addr=(source, 0)))

    async def closed_by_server(self) -> bool:
        """Whether the server closed it (it never sends this connection anything)."""
        if not self.eof:
            try:
                self.eof = await asyncio.wait_for(self.reader.read(1), 0.05) == b""
            except TimeoutError:
                pass
            except ConnectionError:
                self.eof = True
        return self.eof

    def close(self) -> None:
        self.writer.close()


async def open_idle(server: Server, source: str, n: int) -> list[Idle]:
    return [await Idle.open(server.port, source) for _ in range(n)]


async def test_idle_connections_cannot_keep_a_valid_client_out(tmp_path: Path) -> None:
    async with axi_server(tmp_path) as server:
        flood: list[Idle] = []
        for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):  # more than the quota overall
            flood += await open_idle(server, source, 5)
        gate = server.api.gatekeeper.gate

        async def settled() -> bool:
            refused = [c for c in flood if await c.closed_by_server()]
            return len(flood) - len(refused) == gate.waiting() == LIMITS.total

        await until(settled, "the pre-login quota to fill and the rest to be refused")
        client = await server.client("127.0.0.9")
        try:
            assert (await client.request("Ping")).name == "PingResp"
            assert client.open_response is not None
            assert client.open_response.attrs["axiClients"] == "1"  # logged-in sessions only
            limits = await client.request("Limits")
            assert limits.attrs["axiClients"] == "100"
        finally:
            await client.close()
            for c in flood:
                c.close()


async def test_idle_connections_are_closed_at_the_login_deadline(tmp_path: Path) -> None:
    limits = PreLoginLimits(per_source=3, total=6, login_timeout=0.3)
    async with axi_server(tmp_path, limits) as server:
        client = await server.client("127.0.0.6")  # logged in: not affected by the deadline
        idle = await open_idle(server, "127.0.0.7", 2)
        try:
            for c in idle:
                await until(c.closed_by_server, "the login deadline to close the connection")
            assert server.api.gatekeeper.gate.waiting() == 0
            assert (await client.request("Ping")).name == "PingResp"
        finally:
            await client.close()
            for c in idle:
                c.close()


async def test_logged_in_clients_are_limited_by_axi_clients(tmp_path: Path) -> None:
    async with axi_server(tmp_path, axi_clients=2) as server:
        waiting = await AxiClient.connect(HOST, server.port)  # connected before the others
        a, b = await server.client("127.0.0.2"), await server.client("127.0.0.3")
        try:
            late = await waiting.login("omm", PASSWORD, check=False)
            assert late.attrs["errCode"] == "EFailed"
            await asyncio.wait_for(waiting.closed.wait(), DEFAULT_TIMEOUT)
            third = await AxiClient.connect(HOST, server.port)  # refused at once when full
            await asyncio.wait_for(third.closed.wait(), DEFAULT_TIMEOUT)
            assert (await a.request("Ping")).name == "PingResp"
        finally:
            for c in (a, b, waiting):
                await c.close()


async def test_refusals_are_logged_once_per_source(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="sipdect.omm.axi")
    async with axi_server(tmp_path) as server:
        flood = [await Idle.open(server.port, "127.0.0.8") for _ in range(LIMITS.per_source + 6)]
        try:
            for c in flood[LIMITS.per_source:]:
                await until(c.closed_by_server, "the connections over the quota to be refused")
        finally:
            for c in flood:
                c.close()
    lines = [r.getMessage() for r in caplog.records if "127.0.0.8" in r.getMessage()]
    assert len(lines) == 1 and "refused" in lines[0], lines
