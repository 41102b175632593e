"""Failed AXI logins cannot stall the OMM (axi.md §2; seed 000 "Application - Login
Security"; sipdect/axi/conventions.py FAILED_LOGIN_DELAY_S, PASSWORD_CHECKS_AT_ONCE).

An Open's password is checked in a worker thread, one at a time per OMM, so a flood of wrong
passwords leaves the event loop to everyone else; requests pipelined behind an Open wait for
its answer; a failed Open's answer is held back while other clients are served. Each test
runs its own OMM AXI server; what is asserted is the order in which answers arrive.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from omm.axi.api import AxiApi
from omm.axi.server import serve
from omm.model import OmmModel, OmmSetup
from sipdect.accounts import InitialAccount
from sipdect.axi.admission import PreLoginLimits
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import FrameDecoder, Message, parse
from sipdect.waiting import DEFAULT_TIMEOUT, scaled, until

HOST = "127.0.0.1"
PASSWORD = "Flood-Omm-2026"
FLOOD_LINKS, OPENS_PER_LINK, PINGS = 8, 5, 30


@dataclass
class Server:
    api: AxiApi
    port: int

    async def client(self) -> AxiClient:
        client = await AxiClient.connect(HOST, self.port)
        await client.login("omm", PASSWORD)
        return client


@asynccontextmanager
async def axi_server(tmp_path: Path, limits: PreLoginLimits | None = None
                     ) -> AsyncIterator[Server]:
    model = OmmModel(tmp_path, OmmSetup(accounts=[InitialAccount("omm", PASSWORD)]))
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


def open_frame(seq: int, password: str) -> bytes:
    return f'<Open seq="{seq}" username="omm" password="{password}"/>\0'.encode()


async def answers(reader: asyncio.StreamReader, n: int, heard: list[str] | None = None,
                  name: str = "") -> list[Message]:
    """The next `n` frames from a raw link; each noted in `heard` as it arrives."""
    decoder, out = FrameDecoder(), []
    while len(out) < n:
        data = await asyncio.wait_for(reader.read(65536), scaled(DEFAULT_TIMEOUT))
        assert data, f"the link closed after {len(out)} of {n} answers"
        for raw in decoder.feed(data):
            out.append(parse(raw))
            if heard is not None:
                heard.append(name)
    return out


async def test_a_flood_of_wrong_passwords_leaves_logged_in_clients_served(
        tmp_path: Path) -> None:
    # Without the failed-login delay: what keeps the loop free here is checking off the loop.
    # The 40 checks run one at a time; on a busy machine they outlast the 10 s a link has to
    # log in, which is not what this test is about: the links get the suite's patience.
    limits = PreLoginLimits(failed_login_delay=0.0, login_timeout=scaled(DEFAULT_TIMEOUT))
    async with axi_server(tmp_path, limits) as server:
        good = await server.client()
        heard: list[str] = []
        links = [await asyncio.open_connection(HOST, server.port) for _ in range(FLOOD_LINKS)]
        try:
            for _, writer in links:  # each link's Opens in one write: read by one read
                writer.write(b"".join(open_frame(seq, "guessed-wrong")
                                      for seq in range(1, OPENS_PER_LINK + 1)))
            flood = [asyncio.ensure_future(answers(reader, OPENS_PER_LINK, heard, "flood"))
                     for reader, _ in links]
            for _ in range(PINGS):
                assert (await good.request("Ping")).name == "PingResp"
                heard.append("ping")
            late = await server.client()  # a login in the middle of the flood gets its turn
            flooded = await asyncio.gather(*flood)
        finally:
            for _, writer in links:
                writer.close()
            await good.close()
            await late.close()
    for got in flooded:  # each link's answers in the order of its requests
        assert [(m.name, m.attrs["seq"], m.attrs["errCode"]) for m in got] == [
            ("OpenResp", str(seq), "EAuth") for seq in range(1, OPENS_PER_LINK + 1)]
    last_ping = len(heard) - 1 - heard[::-1].index("ping")
    assert heard[:last_ping].count("flood") < FLOOD_LINKS * OPENS_PER_LINK, heard


async def test_requests_pipelined_behind_an_open_are_answered_after_it_in_order(
        tmp_path: Path) -> None:
    async with axi_server(tmp_path) as server:
        reader, writer = await asyncio.open_connection(HOST, server.port)
        try:
            writer.write(open_frame(1, "guessed-wrong") + b'<Ping seq="2"/>\0'
                         + open_frame(3, PASSWORD) + b'<Ping seq="4"/>\0')
            got = await answers(reader, 4)
        finally:
            writer.close()
    assert [(m.name, m.attrs["seq"], m.attrs.get("errCode")) for m in got] == [
        ("OpenResp", "1", "EAuth"), ("PingResp", "2", "EPerm"),  # still not logged in
        ("OpenResp", "3", None), ("PingResp", "4", None)]


async def test_a_failed_open_is_held_back_while_other_clients_log_in_and_are_served(
        tmp_path: Path) -> None:
    # A delay no test waits for: the held answer must not come before the others' answers.
    async with axi_server(tmp_path, PreLoginLimits(failed_login_delay=3600.0)) as server:
        reader, writer = await asyncio.open_connection(HOST, server.port)
        heard: list[str] = []
        held = asyncio.ensure_future(answers(reader, 1, heard, "held"))
        try:
            writer.write(open_frame(1, "guessed-wrong"))
            log = server.api.model.event_log
            await until(lambda: any("login failed" in e.msg for e in log.entries(0, 100)),
                        "the wrong password to be found out")
            other = await server.client()  # its password is checked while the answer waits
            for _ in range(PINGS):
                await other.request("Ping")
                heard.append("ping")
            await other.close()
            assert heard == ["ping"] * PINGS and not held.done()
        finally:
            writer.close()
            await asyncio.gather(held, return_exceptions=True)


async def test_pipelined_wrong_opens_do_not_keep_a_link_past_its_login_deadline(
        tmp_path: Path) -> None:
    # The deadline passes while the first failed answer is held back (1 s by default).
    async with axi_server(tmp_path, PreLoginLimits(login_timeout=0.5)) as server:
        reader, writer = await asyncio.open_connection(HOST, server.port)
        try:
            writer.write(b"".join(open_frame(seq, "guessed-wrong") for seq in range(1, 21)))
            # Up to the end of the link.
            received = await asyncio.wait_for(reader.read(), scaled(DEFAULT_TIMEOUT))
        finally:
            writer.close()
    assert [parse(raw).attrs["seq"] for raw in FrameDecoder().feed(received)] == ["1"]
