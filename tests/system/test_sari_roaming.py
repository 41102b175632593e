"""The SARI on the air (mom.md §3.1-§3.3, docs/mom.md "Roaming"): OMMs of one SARI, each with
its own PARK and one RFP, in one world. A handset subscribed at OMM A walks to OMM B's RFP,
locks to it through the SARI and location-registers there (B, knowing no such device and
with no MOM to ask, refuses: IPUI unknown); toward the RFP of an OMM of another SARI it never
locks at all. Driven through the supervisor's control API, as a trainer walks a handset."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from site_helpers import Control, ipei
from test_site import idle

from dect.identities import Park
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.waiting import until

pytestmark = pytest.mark.slow

SARI = "1F10187326"
OTHER_SARI = "1F10187400"
ROAMER = ipei(0x501)
STAYER = ipei(0x502)


def _omm(name: str, sari: str | None) -> str:
    setting = "" if sari is None else f'\n[omm.settings.SARI]\nsari = "{sari}"\n'
    return f"""
[[omm]]
name = "{name}"

[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"

[omm.settings.DECTSubscriptionMode]
mode = "Configured"

[omm.settings.DECTAuthCode]
ac = "31415"
{setting}"""


def _rfp(omm: str, mac: str, x: float, y: float) -> str:
    return f"""
[[rfp]]
omm = "{omm}"
name = "RFP {omm}"
mac = "{mac}"
x = {x}
y = {y}
preferred_sync = true
"""


SITE = ('[system]\nname = "sari-roaming"\n'
        + _omm("A", SARI) + _omm("B", SARI) + _omm("C", None)
        + _rfp("A", "00:30:42:5a:00:01", 0.0, 0.0)
        + _rfp("B", "00:30:42:5a:00:02", 100.0, 0.0)
        + _rfp("C", "00:30:42:5a:00:03", 0.0, 100.0)
        + "".join(f'\n[[handset]]\nipei = "{h}"\nomm = "A"\nx = 2.0\ny = {y}\n'
                  for h, y in ((ROAMER, 1.0), (STAYER, -1.0))))


@dataclass
class Roaming:
    emu: Emulator
    control: Control


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def roaming(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Roaming]:
    async with Emulator(SITE, tmp_path_factory.mktemp("sari")) as emu:
        assert emu.system is not None and emu.system.control is not None
        async with Control.of(emu.system) as control:
            async def ready() -> bool:
                rfps = await control.rfps()
                handsets = await control.handsets()
                return (len(rfps) == 3 and all(r["syncState"] == "Synced" for r in rfps)
                        and all(h["tpui"] for h in handsets))

            await until(ready, "three synced RFPs and both handsets registered at OMM A")
            # OMM C gets its SARI while it runs: its RFP broadcasts it from then on.
            omm = emu.handle("C")
            client = await AxiClient.connect(omm.host, omm.port)
            try:
                await client.login(omm.username, omm.password)
                await client.request("SetSARI", {"sari": OTHER_SARI})
            finally:
                await client.close()
            other = Park.parse(OTHER_SARI).ari
            world = emu.system.site.world
            assert world is not None
            await until(lambda: any(s.saris == (other,) for s in world.air.rfps.values()),
                        "OMM C's RFP to broadcast its new SARI")
            yield Roaming(emu, control)


def subscriptions(emu: Emulator, ref: str) -> list[str]:
    assert emu.system is not None and emu.system.site.world is not None
    return list(emu.system.site.world.find(ref).handset.subscriptions)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_handset_subscribed_under_a_sari_holds_the_sari_park(roaming: Roaming) -> None:
    assert subscriptions(roaming.emu, ROAMER) == [str(Park.parse(SARI))]
    shown = await roaming.control.handset(ROAMER)
    assert (shown["rfp_host"], shown["location"]) == ("RFP A", "registered")


@pytest.mark.asyncio(loop_scope="module")
async def test_walking_to_another_omm_of_the_sari_location_registers_there(
        roaming: Roaming) -> None:
    await idle(roaming.control, ROAMER)  # so it may lock to another RFP on its way
    arrived = await roaming.control.walk(ROAMER, 100.0, 0.0, speed=50.0)
    assert arrived["arrived"] is True and (arrived["x"], arrived["y"]) == (100.0, 0.0)
    assert arrived["rfp_host"] == "RFP B"  # locked through the SARI on its way

    async def refused_at_b() -> dict[str, object] | None:
        h = await roaming.control.handset(ROAMER)
        return h if h["location"] == "rejected" else None

    shown = await until(refused_at_b, "the roamer's LOCATE-REQUEST answered at OMM B")
    # No MOM yet to hand B the device: B refuses the registration it was sent.
    assert shown["rfp_host"] == "RFP B" and shown["display"] == ["Not registered", "ipui unknown"]
    assert subscriptions(roaming.emu, ROAMER) == [str(Park.parse(SARI))]


@pytest.mark.asyncio(loop_scope="module")
async def test_an_omm_of_another_sari_is_never_locked_to(roaming: Roaming) -> None:
    await idle(roaming.control, STAYER)  # free to lock to any RFP it may use on its way
    arrived = await roaming.control.walk(STAYER, 0.0, 100.0, speed=50.0)
    assert arrived["arrived"] is True
    # Beside RFP C, and RFP A still in range: the handset holds no PARK that C's PARI or
    # SARI is covered by, so it stays where it is registered.
    assert (arrived["rfp_host"], arrived["location"]) == ("RFP A", "registered")
