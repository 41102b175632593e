"""Where SendMessage can send to: the address forms of `toAddr` (standby-eventmgr.md B.3).

`ppn:N` addresses device N directly, `tel:NUMBER` (any letter case) and a bare number the
device of the user with that number; `ppn`/`Ppn` beside it wins. Delivery itself is in
tests/system (a handset on the air).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sipdect.app.emulator import OmmHandle
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element


@pytest.fixture
async def sync(omm: OmmHandle) -> AsyncIterator[AxiClient]:
    """A user/device sync session (it may bind users to devices with SetPP)."""
    client = await AxiClient.connect(omm.host, omm.port)
    await client.login(omm.username, omm.password, sync_client=True)
    yield client
    await client.close()


async def bound_user(client: AxiClient, number: str) -> int:
    """A user with `number` bound to a new device; the device's ppn."""
    user = (await client.request("CreatePPUser", children=[element("user", {"num": number})])
            ).child("user")
    pp = (await client.request("CreatePPDev", children=[element("pp", {})])).child("pp")
    assert user is not None and pp is not None
    uid, ppn = user.attrs["uid"], pp.attrs["ppn"]
    await client.request("SetPP", children=[
        element("pp", {"ppn": ppn, "uid": uid, "relType": "Dynamic"}),
        element("user", {"uid": uid, "ppn": ppn, "relType": "Dynamic"})])
    return int(ppn)


async def send(client: AxiClient, **msg: object) -> Message:
    return await client.request("SendMessage", children=[element(
        "msg", {"id": 1, "content": "hello", **msg})], check=False)


async def test_every_documented_address_form_reaches_the_device(sync: AxiClient) -> None:
    ppn = await bound_user(sync, "4711")
    unbound = int((await sync.request("CreatePPDev", children=[element("pp", {})])
                   ).child("pp").attrs["ppn"])  # type: ignore[union-attr]
    for to_addr in (f"ppn:{ppn}", f"PPN:{unbound}", "tel:4711", "Tel:4711", "4711"):
        answer = await send(sync, toAddr=to_addr)
        assert "errCode" not in answer.attrs, (to_addr, answer.attrs)
    for attrs in ({"ppn": ppn}, {"Ppn": ppn}, {"ppn": ppn, "toAddr": "tel:nobody"}):
        assert "errCode" not in (await send(sync, **attrs)).attrs, attrs


@pytest.mark.parametrize(("to_addr", "code", "bad"), [
    ("ppn:999", "ENoEnt", None),
    ("tel:999", "ENoEnt", None),
    ("ppn:two", "EInval", "toAddr"),
    ("ppn:0", "EInval", "toAddr"),
    ("sip:4711@omm", "EInval", "toAddr"),
    ("tel:" + "1" * 200, "ETooLong", "toAddr"),
])
async def test_addresses_that_reach_nothing_are_refused(sync: AxiClient, to_addr: str,
                                                       code: str, bad: str | None) -> None:
    await bound_user(sync, "4711")
    answer = await send(sync, toAddr=to_addr)
    assert answer.attrs["errCode"] == code
    if bad is not None:
        assert answer.attrs["bad"] == bad


async def test_a_user_without_a_device_cannot_be_messaged(sync: AxiClient) -> None:
    await sync.request("CreatePPUser", children=[element("user", {"num": "5000"})])
    answer = await send(sync, toAddr="tel:5000")
    assert answer.attrs["errCode"] == "ENoEnt" and "no device" in answer.attrs["info"]
