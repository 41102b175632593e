"""A flood of failed AXI logins cannot wipe the OMM's event log (issue 9, features.md §2.9).

Real connections to an OMM AXI server whose ring holds 40 entries (a real OMM's holds
1,000; each failed login costs a password hash, so the flood is scaled with the ring): 60
failed logins with random user names from one address, with successful logins in between,
leave the earlier failed `omm` logins and the password change in the log, as one merged
entry each, and GetEventLogBuffer and EventEventLogBuffer agree with each other.
"""

from __future__ import annotations

import random
import string
from pathlib import Path

from omm.axi.api import AxiApi
from omm.axi.server import serve
from omm.model import OmmLimits, OmmModel, OmmSetup
from sipdect.accounts import InitialAccount
from sipdect.axi.admission import PreLoginLimits
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element
from sipdect.waiting import until

HOST = "127.0.0.1"
RING = 40
FLOOD = 60
NAME_CHARS = string.ascii_letters + string.digits + string.punctuation + " "
OLD_PASSWORD, NEW_PASSWORD = "Flood-Omm-2026", "Rainy-Harbor-2027"


async def read_log(client: AxiClient) -> list[dict[str, str]]:
    """Every entry, paged as a client pages it: from the id after the last one seen."""
    entries: list[dict[str, str]] = []
    start = 0
    while True:
        page = await client.request("GetEventLogBuffer", {"id": start, "maxRecords": 20})
        entries += [dict(e.attrs) for e in page.children_named("e")]
        if page.attrs["eof"] == "true":
            return entries
        start = int(entries[-1]["id"]) + 1


async def test_failed_login_flood_keeps_earlier_security_entries(tmp_path: Path) -> None:
    model = OmmModel(tmp_path, OmmSetup(accounts=[InitialAccount("omm", OLD_PASSWORD)],
                                        limits=OmmLimits(event_log=RING)))
    # Without the failed-login delay (tested in test_axi_login_flood.py): 63 failures in a
    # row would take a minute, and this test is about the log, not the pace.
    api = AxiApi(model, PreLoginLimits(failed_login_delay=0.0))
    server = await serve(api, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    clients: list[AxiClient] = []

    async def connect() -> AxiClient:
        clients.append(await AxiClient.connect(HOST, port))
        return clients[-1]

    try:
        guesser = await connect()
        for _ in range(3):
            failed = await guesser.login("omm", "guessed-wrong", check=False)
            assert failed.attrs["errCode"] == "EAuth"
        admin = await connect()
        await admin.login("omm", OLD_PASSWORD)
        await admin.request("SetAccount", children=[element(
            "account", {"password": NEW_PASSWORD, "oldPassword": OLD_PASSWORD})])
        watcher = await connect()
        await watcher.login("omm", NEW_PASSWORD)
        await watcher.subscribe("EventLog")

        rng = random.Random(2026)
        flooder = await connect()
        for i in range(FLOOD):
            if i and i % 5 == 0:  # a few tries per connection, well within the login deadline
                await flooder.close()
                flooder = await connect()
            name = "".join(rng.choice(NAME_CHARS) for _ in range(rng.randint(1, 40)))
            answer = await flooder.login(name, "x", check=False)
            assert answer.attrs["errCode"] == "EAuth"
            if i % 10 == 9:  # other entries in between
                tool = await connect()
                await tool.login("omm", NEW_PASSWORD)
                await tool.close()

        pushed: list[Message] = []

        def flood_pushed() -> bool:
            while not watcher.events.empty():
                pushed.append(watcher.events.get_nowait())
            return any(e.attrs.get("count") == str(FLOOD) for e in pushed)

        await until(flood_pushed, "the merged flood entry to be pushed with its full count")
        entries = await read_log(watcher)
    finally:
        for c in clients:
            await c.close()
        server.close()
        await server.wait_closed()
        api.gatekeeper.close()
        model.close()

    assert len(entries) <= RING
    ids = [int(e["id"]) for e in entries]
    assert ids == sorted(set(ids))
    assert [e["time"] for e in entries] == sorted(e["time"] for e in entries)
    texts = [e["msg"] for e in entries]
    assert "AXI login failed for user 'omm' from 127.0.0.1 (3 times from this address)" in texts
    assert any("password of account 'omm' changed" in t for t in texts)
    (flood,) = [e for e in entries if "unknown user" in e["msg"]]
    assert flood["count"] == str(FLOOD) and flood["level"] == "MinorErr"
    assert f"({FLOOD} times from this address, any unknown user name)" in flood["msg"]
    # What was pushed and what GetEventLogBuffer says agree: same id, count and text.
    last_push = [e.attrs for e in pushed if e.attrs["count"] == str(FLOOD)][-1]
    assert {k: last_push[k] for k in ("id", "count", "msg", "level")} == {
        k: flood[k] for k in ("id", "count", "msg", "level")}
