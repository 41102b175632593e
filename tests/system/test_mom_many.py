"""Two OMMs with 2,000 users each under one MOM (issue 12): every user created at an OMM
reaches the MOM once, stays at its own OMM only, and what MAXI shows is what the two OMMs hold
over AXI, record by record: nothing lost, nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from sipdect import tls
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element
from sipdect.waiting import until

pytestmark = pytest.mark.slow

USERS = 2000
PASSWORD = "Sipdect-Omm-2026"
MOM_PASSWORD = "Central-Dect-2026"
CONFIG = "".join(f"""
[[omm]]
name = "{name}"
[[omm.accounts]]
username = "omm"
password = "{PASSWORD}"
""" for name in ("A", "B")) + f"""
[mom]
name = "MOM"
omms = ["A", "B"]
[[mom.accounts]]
username = "mom"
password = "{MOM_PASSWORD}"
"""


async def _all_users(client: AxiClient) -> list[Message]:
    out: list[Message] = []
    start = 1
    while True:
        resp = await client.request("GetPPUser", {"uid": start, "maxRecords": 100}, check=False)
        users = resp.children_named("user") if "errCode" not in resp.attrs else []
        if not users:  # a server may give fewer than asked per page: go on until none
            return out
        out.extend(users)
        start = int(users[-1].attrs["uid"]) + 1


def _view(users: list[Message]) -> list[tuple[str, str]]:
    return sorted((u.attrs["num"], u.attrs["name"]) for u in users)


async def test_two_omms_of_2000_users_are_synced_record_by_record(tmp_path: Path) -> None:
    async with Emulator(CONFIG, tmp_path) as emu:
        system = emu.system
        assert system is not None
        maxi = next(e for e in system.hosts["MOM"].endpoints() if e.protocol == "maxi")
        clients: dict[str, AxiClient] = {}
        try:
            for name, first in (("A", 10000), ("B", 20000)):
                omm = system.omm_host(name)
                clients[name] = client = await AxiClient.connect(omm.address, omm.port("axi"))
                await client.login("omm", PASSWORD)
                for n in range(first, first + USERS):
                    await client.request("CreatePPUser", children=[element(
                        "user", {"num": str(n), "name": f"User {n}"})])
            async with await AxiClient.connect(maxi.host, maxi.port,
                                               tls=tls.client_context()) as mc:
                await mc.login("mom", MOM_PASSWORD)

                async def all_at_mom() -> list[Message] | None:
                    users = await _all_users(mc)
                    return users if len(users) >= 2 * USERS else None

                central = await until(all_at_mom, "4,000 users at the MOM", timeout=180)
                at_a = await _all_users(clients["A"])
                at_b = await _all_users(clients["B"])
        finally:
            for client in clients.values():
                await client.close()
    assert len(central) == 2 * USERS  # none twice
    assert _view(at_a) == [(str(n), f"User {n}") for n in range(10000, 10000 + USERS)]
    assert _view(at_b) == [(str(n), f"User {n}") for n in range(20000, 20000 + USERS)]
    assert _view(central) == sorted(_view(at_a) + _view(at_b))
