"""A MOM with its MAXI listener on a loopback address and a free port, for the MAXI tests:
the model (mom.model) and MaxiApi in the test's own event loop, TLS with the MOM's own
certificate, and a stand-in for the MOM's sync service (messaging and locating)."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import rsa

from mom.maxi.api import MaxiApi
from mom.maxi.server import start_maxi
from mom.model import MomModel, MomSetup
from sipdect import tls
from sipdect.accounts import InitialAccount
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message
from sipdect.net import HostNet

PASSWORD = "Central-Dect-2026"
READER = ("viewer", "Sipdect-Read-2026")
HOST = "127.0.0.1"


@dataclass
class FakeSync:
    """The sync service as MAXI sees it: it answers for the OMM a user is at."""

    sent: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    where: dict[int, dict[str, Any]] = field(default_factory=dict)

    async def send_message(self, uid: int, attrs: dict[str, str]) -> Message:
        self.sent.append((uid, attrs))
        await asyncio.sleep(0)  # answered in a later loop turn, as over a sync session
        return Message("SendMessageResp", {"id": str(len(self.sent))})

    async def locate(self, uid: int) -> dict[str, Any]:
        await asyncio.sleep(0)
        return self.where.get(uid, {"omm": ""})


@dataclass
class Maxi:
    model: MomModel
    api: MaxiApi
    sync: FakeSync
    host: str
    port: int
    password: str = PASSWORD

    async def client(self, username: str = "mom", password: str | None = None,
                     **kw: Any) -> AxiClient:
        c = await AxiClient.connect(self.host, self.port, tls=tls.client_context(), **kw)
        await c.login(username, self.password if password is None else password)
        return c


def encrypt(key_holder: Message, text: str) -> str:
    """What a client does with secrets: RSA with the OpenResp/GetPublicKey key."""
    key = key_holder.child("publicKey") or key_holder
    pub = rsa.PublicKey(int(key.attrs["modulus"], 16), int(key.attrs["exponent"], 16))
    return base64.b64encode(rsa.encrypt(text.encode(), pub)).decode()


async def start(tmp_path: Path, accounts: list[InitialAccount]) -> tuple[Maxi, asyncio.Server]:
    model = MomModel(tmp_path / "mom", MomSetup("MOM", accounts))
    sync = FakeSync()
    api = MaxiApi(model, sync=sync)
    server = await start_maxi(api, HostNet("mom", HOST), tmp_path / "mom", port=0)
    port = server.sockets[0].getsockname()[1]
    return Maxi(model, api, sync, HOST, port), server


@pytest.fixture
async def maxi(tmp_path: Path) -> AsyncIterator[Maxi]:
    """A MOM whose `mom` account has its own password and a read-only `viewer`."""
    m, server = await start(tmp_path, [InitialAccount("mom", PASSWORD),
                                       InitialAccount(*READER, ("AllCnfRead",))])
    yield m
    server.close()
    await server.wait_closed()
    m.api.close()
    m.model.close()


@pytest.fixture
async def fresh_maxi(tmp_path: Path) -> AsyncIterator[Maxi]:
    """A new MOM: `mom` still has its default password."""
    m, server = await start(tmp_path, [])
    m.password = "mom"
    yield m
    server.close()
    await server.wait_closed()
    m.api.close()
    m.model.close()


@pytest.fixture
async def mc(maxi: Maxi) -> AsyncIterator[AxiClient]:
    """A MAXI client logged in as `mom`."""
    c = await maxi.client()
    yield c
    await c.close()


def tls_probe(max_version: ssl.TLSVersion) -> ssl.SSLContext:
    return tls.client_context(max_version=max_version)
