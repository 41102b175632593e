"""A central-mode OMM with a real RFP and a virtual handset on the air holds the LOCATE-REQUEST of
a handset it does not hold while it asks the MOM (docs/mom.md "Roaming"); the test plays the MOM
over AXI: the held request completed by the pushed record, refused by DECTLocateReject, and
refused when nobody answers within sync.ROAMING_WAIT_S.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from site_helpers import Control, EventWatch, ipei, record

from sipdect.app.emulator import Emulator
from sipdect.axi import sync
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

AC = "31415"
ROAMER = ipei(301)

SITE = f"""
[system]
name = "roaming-hold"

[[omm]]
name = "OMM-B"

[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"

[omm.settings.DECTSubscriptionMode]
mode = "Configured"

[omm.settings.DECTAuthCode]
ac = "{AC}"

[omm.settings.SARI]
sari = "1F10DEC700"

[[rfp]]
mac = "00:30:42:5e:03:01"
name = "RFP B"
x = 0.0
y = 0.0

[[handset]]
ipei = "{ROAMER}"
x = 3.0
y = 1.0
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Emulator,
                                                                                  Control]]:
    async with Emulator(SITE, tmp_path_factory.mktemp("roaming")) as emu:
        assert emu.system is not None and emu.system.control is not None
        async with Control.of(emu.system) as control:
            async def registered() -> bool:
                return all(h["tpui"] for h in await control.handsets())

            await until(registered, "the handset to subscribe and register")
            yield emu, control


async def location(control: Control, wanted: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        h = await control.handset(ROAMER)
        return h if h["location"] == wanted else None

    return await until(probe, f"the handset's location {wanted}")


async def power_cycle(control: Control) -> None:
    """Off and on again: the handset locks anew and sends a LOCATE-REQUEST."""
    await control.call("POST", f"/handsets/{ROAMER}/power", {"on": False})
    await control.call("POST", f"/handsets/{ROAMER}/power", {"on": True})


async def test_a_roaming_locate_is_held_and_answered_as_the_mom_says(
        site: tuple[Emulator, Control]) -> None:
    emu, control = site
    omm = emu.omm
    mom = await AxiClient.connect(omm.host, omm.port)
    await mom.login(omm.username, omm.password, sync_client=True)
    events = EventWatch(mom)
    await mom.request("SetUserDeviceSyncOMM", {"enable": "1"})
    await mom.subscribe("Roaming")
    device = record(await mom.request("GetPPDevByIPEI", {"ipei": ROAMER}), "pp")
    assert device["s"] == "Yes" and len(device["uak"]) == 32

    # The MOM moved the device away (a visitor copy deleted); it comes back: held, pushed.
    await mom.request("DeletePPDev", {"ppn": device["ppn"]})
    mark = events.mark()
    await power_cycle(control)
    asked = await events.wait("EventDECTLocate", lambda e: e.attrs["ipei"] == ROAMER,
                              since=mark)
    assert (asked.attrs["ppn"], asked.attrs["park"]) == ("0", "1F10DEC700")
    own = asked.attrs["ommId"]
    pushed = record(await mom.request("CreatePPDev", children=[element("pp", {
        "ipei": ROAMER, "uak": device["uak"], "s": "Yes", "ommId": own, "ommIdAck": own,
        "roaming": sync.ROAMING_COMPLETE, "timeStampRoaming": "1800000000"})]), "pp")
    h = await location(control, "registered")
    assert h["tpui"] is not None

    # Unknown to the MOM: DECTLocateReject refuses it at once.
    await mom.request("DeletePPDev", {"ppn": pushed["ppn"]})
    mark = events.mark()
    await power_cycle(control)
    await events.wait("EventDECTLocate", lambda e: e.attrs["ipei"] == ROAMER, since=mark)
    await mom.request("DECTLocateReject", {"ipei": ROAMER, "reason": "unknown device"})
    await location(control, "rejected")

    # No answer: refused at the deadline, and the event log says why.
    mark = events.mark()
    await power_cycle(control)
    await events.wait("EventDECTLocate", lambda e: e.attrs["ipei"] == ROAMER, since=mark)
    await location(control, "rejected")
    log = await mom.request("GetEventLogBuffer", {"maxRecords": 200})
    texts = [e.attrs["msg"] for e in log.children_named("e")]
    assert any(ROAMER in t and "no answer from the MOM in time" in t for t in texts)
    assert any(ROAMER in t and "refused by the MOM (unknown device)" in t for t in texts)
    assert any(ROAMER in t and "goes on" in t for t in texts)
    await mom.close()
