"""Emulator.reset() on a whole site (issue 9): the OMM's data is wiped and provisioned again as
at start (accounts, users bound to their handsets, devices, RFPs), the configured RFPs and
handsets start anew, the handsets subscribe and register again, and calls go through as
before. Observed as a user of the library face: AXI, the control API, the call server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from site_helpers import Control, call_site_config, ipei, record

from sim.voice import default_tone_hz
from sipdect.app.emulator import Emulator, OmmHandle
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

MAC_A, MAC_B = "00:30:42:5e:02:01", "00:30:42:5e:02:02"
HANDSETS = {"211": (ipei(211), 3.0, 1.0), "212": (ipei(212), 27.0, 1.0)}
PASSWORDS = {n: f"Reset-Test-{n}x" for n in HANDSETS}
WAIT_S = 60.0
"""A whole site starting (RFPs enrolling, handsets subscribing) on a busy machine."""


def _site() -> str:
    return call_site_config("reset-test", HANDSETS, PASSWORDS,
                            [(MAC_A, 0.0, 0.0), (MAC_B, 30.0, 0.0)],
                            extra='\n[pbx]\nrealm = "reset-test"\n')


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def emu(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Emulator]:
    async with Emulator(_site(), tmp_path_factory.mktemp("reset")) as emulator:
        yield emulator


async def logged_in(handle: OmmHandle) -> AxiClient:
    axi = await AxiClient.connect(handle.host, handle.port)
    await axi.login(handle.username, handle.password)
    return axi


async def site_ready(control: Control, axi: AxiClient) -> dict[str, int]:
    """Wait until every handset shows "Registered", its device is subscribed and its user
    registered at the call server (AXI GetPPState registered); the handset ids by number."""
    async def ready() -> dict[str, int] | None:
        by_ipei = {h["ipei"]: h for h in await control.handsets()}
        if not all(by_ipei.get(hs, {}).get("display") == ["Registered"]
                   for hs, _, _ in HANDSETS.values()):
            return None
        for number in HANDSETS:
            user = record(await axi.request("GetPPUserByNumber", {"num": number}), "user")
            ppn = int(user.get("ppn") or 0)
            if not ppn:
                return None
            device = record(await axi.request("GetPPDev", {"ppn": ppn}), "pp")
            state = await axi.request("GetPPState", {"ppn": ppn})
            if device.get("s") != "Yes" or state.attrs.get("registered") != "1":
                return None
        return {number: by_ipei[hs]["id"] for number, (hs, _, _) in HANDSETS.items()}
    return await until(ready, "both handsets registered at the OMM and the call server",
                       timeout=WAIT_S)


async def call_through(control: Control, ids: dict[str, int]) -> None:
    """211 calls 212: it rings there, is answered, each hears the other; then both hang up."""
    caller, callee = ids["211"], ids["212"]
    await control.dial(caller, "212")
    await until(lambda: _is(control, callee, "incoming"), "212 to ring")
    await control.answer(callee)
    await until(lambda: _is(control, caller, "connected"), "211 connected")
    await until(lambda: control.hears(caller, default_tone_hz(callee)), "211 to hear 212")
    await until(lambda: control.hears(callee, default_tone_hz(caller)), "212 to hear 211")
    await control.hang_up(caller)
    await until(lambda: _is(control, callee, "idle"), "212 idle again")


async def all_users(axi: AxiClient) -> list[dict[str, str]]:
    answer = await axi.request("GetPPUser", {"uid": 1, "maxRecords": 100})
    return [dict(u.attrs) for u in answer.children]


async def _is(control: Control, hid: int, state: str) -> bool:
    return await control.call_state(hid) == state


async def test_reset_restores_the_configured_site_and_calls_go_through_again(
        emu: Emulator) -> None:
    assert emu.system is not None and emu.system.control is not None
    async with Control.of(emu.system) as control:
        axi = await logged_in(emu.omm)
        try:
            before = await site_ready(control, axi)
            users = await all_users(axi)
            await axi.request("CreatePPUser", children=[element("user", {
                "num": "299", "name": "Made over AXI"})])
            assert len(await all_users(axi)) == len(users) + 1
            await control.dial(before["211"], "212")  # a call runs when the reset comes
            await until(lambda: _is(control, before["212"], "incoming"), "212 to ring")
        finally:
            await axi.close()

        await emu.reset()

        axi = await logged_in(emu.omm)
        try:
            after = await site_ready(control, axi)
            assert after == before  # the same handsets, by the same ids
            again = await all_users(axi)
            assert sorted(u["num"] for u in again) == sorted(HANDSETS)  # 299 is gone
            assert [(u["uid"], u["ppn"], u["relType"]) for u in again] == [
                (u["uid"], u["ppn"], u["relType"]) for u in users]
            rfps = await control.rfps()
            assert sorted(r["mac"] for r in rfps) == [MAC_A, MAC_B]
            assert all(r["linked"] for r in rfps)
            await call_through(control, after)
        finally:
            await axi.close()

