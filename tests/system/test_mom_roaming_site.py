"""Roaming through the real MOM (docs/mom.md "Roaming"): a handset subscribed at OMM-B whose
device the MOM has confirmed at OMM-A location-registers at B again; B asks the MOM
(EventDECTLocate), the MOM moves the device back to B (ommIdAck, RoamingComplete), B accepts
the LOCATE-REQUEST with the UAK, and A's visitor copy is gone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from site_helpers import Control, ipei

from mom.sync import RoamingEvent
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

PASSWORD = "Sipdect-Omm-2026"
ROAMER = ipei(302)

SITE = f"""
[system]
name = "mom-roaming"

[[omm]]
name = "OMM-A"
[[omm.accounts]]
username = "omm"
password = "{PASSWORD}"
[omm.settings.SARI]
sari = "1F10DEC700"

[[omm]]
name = "OMM-B"
[[omm.accounts]]
username = "omm"
password = "{PASSWORD}"
[omm.settings.DECTSubscriptionMode]
mode = "Configured"
[omm.settings.DECTAuthCode]
ac = "31415"
[omm.settings.SARI]
sari = "1F10DEC700"

[[rfp]]
mac = "00:30:42:5e:04:01"
name = "RFP B"
omm = "OMM-B"

[[handset]]
ipei = "{ROAMER}"
omm = "OMM-B"
x = 3.0
y = 1.0

[mom]
name = "MOM"
omms = ["OMM-A", "OMM-B"]
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Emulator,
                                                                                  Control]]:
    async with Emulator(SITE, tmp_path_factory.mktemp("mom-roaming")) as emu:
        assert emu.system is not None and emu.system.control is not None
        async with Control.of(emu.system) as control:
            async def registered() -> bool:
                return all(h["tpui"] for h in await control.handsets())

            await until(registered, "the handset to subscribe and register at B")
            yield emu, control


async def _location(control: Control, wanted: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        h = await control.handset(ROAMER)
        return h if h["location"] == wanted else None

    return await until(probe, f"the handset's location {wanted}")


async def _devices(emu: Emulator, name: str) -> list[str]:
    assert emu.system is not None
    omm = emu.system.omm_host(name)
    async with await AxiClient.connect(omm.address, omm.port("axi")) as client:
        await client.login("omm", PASSWORD)
        resp = await client.request("GetPPDev", {"ppn": "1", "maxRecords": "20"}, check=False)
        return [p.attrs["ipei"] for p in resp.children_named("pp")]


async def test_a_handset_comes_back_to_b_through_the_mom(site: tuple[Emulator, Control]) -> None:
    emu, control = site
    assert emu.system is not None
    service = emu.system.host("MOM").service  # type: ignore[attr-defined]
    d = service.model.directory
    heard: list[RoamingEvent] = []
    service.add_roaming_listener(heard.append)

    def taken() -> Any:
        try:
            device = d.device_by_ipei(ROAMER)
        except Exception:
            return None
        return device if d.uak(device) and device["home"] == "OMM-B" else None

    device = await until(taken, "B's subscribed device at the MOM, with its UAK")
    # Both sessions in sync first: A's ommId is known only once its session read A's PARK,
    # and a device sent to an ommId nobody has yet reaches no OMM.
    await until(lambda: all(service.model.omms.live(name).state == "synced"
                            and service.sessions[name].omm_id
                            for name in ("OMM-A", "OMM-B")), "both OMMs in sync with the MOM")
    a_id = service.sessions["OMM-A"].omm_id
    b_id = service.sessions["OMM-B"].omm_id
    d.set_roaming(device["ppn"], a_id, a_id, roaming="RoamingComplete")  # it went to A
    await until(lambda: _has(emu, "OMM-A"), "the visitor copy at A")

    await control.call("POST", f"/handsets/{ROAMER}/power", {"on": False})
    await control.call("POST", f"/handsets/{ROAMER}/power", {"on": True})
    await _location(control, "registered")
    assert (device["ommId"], device["ommIdAck"]) == (b_id, b_id)
    assert [e.kind for e in heard][:2] == ["locate", "moved"]
    assert heard[0].omm == "OMM-B" and heard[0].ppn == device["ppn"]
    await until(lambda: _gone(emu, "OMM-A"), "A's visitor copy deleted")


async def _has(emu: Emulator, name: str) -> bool:
    return ROAMER in await _devices(emu, name)


async def _gone(emu: Emulator, name: str) -> bool:
    return ROAMER not in await _devices(emu, name)
