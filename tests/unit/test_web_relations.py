"""What the OMM's web UI may do over its in-process AXI session and an AXI client may not
(omm.axi.handlers.directory.may_set_pp, UNSUBSCRIBE): bind and unbind a user and a device,
delete a device's subscription, and nothing else of the sync-only attributes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omm.axi.api import AxiApi
from omm.model import OmmModel, OmmSetup
from omm.web.axi import WebAxi
from sipdect.accounts import InitialAccount
from sipdect.axi.codec import Message
from sipdect.axi.dispatch import Ctx
from sipdect.axi.errors import AxiError
from sipdect.axi.session import AxiServerSession

PW = "Sup3r-Secret-Pass"
IPEI = "00077 0000001 9"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[AxiApi]:
    model = OmmModel(tmp_path, OmmSetup("Test", [InitialAccount("omm", PW)]))
    yield AxiApi(model)
    model.close()


async def bound_pair(api: AxiApi) -> tuple[WebAxi, int, int]:
    web = WebAxi(api, 1, "127.0.0.9", 0.0)
    uid = int((await web.request("CreatePPUser", children=[Message("user", {"num": "1"})]))
              .children[0].attrs["uid"])
    ppn = int((await web.request("CreatePPDev", children=[Message("pp", {"ipei": IPEI})]))
              .children[0].attrs["ppn"])
    await web.request("SetPP", children=[Message("pp", {"ppn": str(ppn), "uid": str(uid),
                                                        "relType": "Fixed"})])
    return web, uid, ppn


async def test_the_web_binds_and_unbinds_where_an_axi_client_may_not(api: AxiApi) -> None:
    web, uid, ppn = await bound_pair(api)
    assert api.model.users.get(uid)["ppn"] == ppn
    assert api.model.devices.get(ppn)["relType"] == "Fixed"
    await web.request("SetPP", children=[Message("pp", {"ppn": str(ppn), "uid": "0",
                                                        "relType": "Unbound"})])
    assert api.model.users.get(uid)["ppn"] == 0
    session = AxiServerSession(0.0)
    session.opened(1, False)  # the same account over an AXI link
    answer = api.handle(Ctx(session, "127.0.0.5:4000"), Message("SetPP", {}, [
        Message("pp", {"ppn": str(ppn), "uid": str(uid), "relType": "Fixed"})]))
    assert isinstance(answer, Message) and answer.attrs["errCode"] == "EPerm"


async def test_the_web_deletes_a_subscription_and_writes_nothing_else_sync_only(
        api: AxiApi) -> None:
    web, _, ppn = await bound_pair(api)
    api.model.devices.set_uak(ppn, bytes(16))
    await web.request("SetPP", children=[Message("pp", {"ppn": str(ppn), "s": "No", "uak": ""})])
    rec = api.model.devices.get(ppn)
    assert rec["s"] == "No" and rec["uak"] == "" and api.model.devices.uak(rec) is None
    with pytest.raises(AxiError) as err:
        await web.request("SetPP", children=[Message("pp", {"ppn": str(ppn), "s": "Yes"})])
    assert err.value.code == "EPerm"
