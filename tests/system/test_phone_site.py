"""An external SIP phone (sim.phone) on its own address in a running site: it registers at
the embedded call server with the site's extra account, calls a DECT handset, which rings;
once answered each hears the other's tone across the call server, the OMM's media control,
the RFP and the ciphered air. The handset calls the phone back and the phone answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from site_helpers import Control, call_site_config, ipei, until_hears, until_state

from sim.phone.config import PhoneConfig
from sim.phone.service import PhoneService
from sim.voice import default_tone_hz
from sipdect.app.emulator import Emulator
from sipdect.sip.message import Transport
from sipdect.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

HANDSETS = {"201": (ipei(2201), 3.0, 1.0)}
PHONE_USER, PHONE_PASSWORD = "300", "Phone-Site-300"
PHONE_TONE = 1300.0


@dataclass
class Site:
    emu: Emulator
    control: Control
    ids: dict[str, int]
    phone: PhoneService


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    config = call_site_config(
        "phone-test", HANDSETS, {"201": "Phone-Test-201x"}, [("00:30:42:5e:03:01", 0.0, 0.0)],
        extra=f"""
[pbx]
realm = "phone-test"

[[pbx.accounts]]
user = "{PHONE_USER}"
password = "{PHONE_PASSWORD}"
""")
    async with Emulator(config, tmp_path_factory.mktemp("phone")) as emu:
        assert emu.system is not None and emu.system.control is not None
        assert emu.system.pbx is not None
        udp = emu.system.pbx.addresses()[Transport.UDP]
        phone = PhoneService(PhoneConfig("desk", PHONE_USER, PHONE_PASSWORD, sip_port=0,
                                         tone_hz=PHONE_TONE),
                             "127.0.0.9", call_server=(udp.host, udp.port))
        await phone.start()
        async with Control.of(emu.system) as control:
            by_ipei = {h["ipei"]: h["id"] for h in await control.handsets()}
            ids = {num: by_ipei[hs] for num, (hs, _, _) in HANDSETS.items()}

            async def ready() -> bool:
                handsets = await control.handsets()
                users = {r["user"] for r in (await control.pbx())["registrations"]}
                return all(h["tpui"] for h in handsets) and users >= {"201", PHONE_USER}

            await until(ready, "the handset on the air, it and the phone at the PBX",
                        timeout=60)
            yield Site(emu, control, ids, phone)
        await phone.stop()


def phone_call_state(site: Site) -> str | None:
    calls = site.phone.describe()["calls"]
    return str(calls[0]["state"]) if calls else None


async def test_the_phone_calls_a_handset_and_each_hears_the_other(site: Site) -> None:
    registrations = (await site.control.pbx())["registrations"]
    [ours] = [r for r in registrations if r["user"] == PHONE_USER]
    assert ours["source"].startswith("udp:127.0.0.9:")
    await until_state(site, "201", "idle")
    site.phone.call("201")
    await until_state(site, "201", "incoming")
    await until(lambda: phone_call_state(site) == "ringback", "the phone to hear it ring")
    await site.control.answer(site.ids["201"])
    await until(lambda: phone_call_state(site) == "connected", "the phone to be connected")
    await until_hears(site, "201", PHONE_TONE, "the handset to hear the phone's tone")
    handset_tone = default_tone_hz(site.ids["201"])
    await until(lambda: site.phone.hears(handset_tone).present,
                "the phone to hear the handset's tone")
    site.phone.hang_up()
    await until_state(site, "201", "idle")


async def test_a_handset_calls_the_phone_which_answers(site: Site) -> None:
    await until_state(site, "201", "idle")
    await site.control.dial(site.ids["201"], PHONE_USER)
    await until(lambda: phone_call_state(site) == "incoming", "the phone to ring")
    site.phone.answer()
    await until_state(site, "201", "connected")
    await until(lambda: site.phone.hears(default_tone_hz(site.ids["201"])).present,
                "the phone to hear the handset")
    await site.control.hang_up(site.ids["201"])
    await until(lambda: phone_call_state(site) == "ended", "the phone to see the hang-up")
    assert site.phone.describe()["calls"][0]["end"] == "Normal"
