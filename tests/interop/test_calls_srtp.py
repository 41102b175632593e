"""SDES-SRTP between a virtual RFP and a real phone (issue 5, features.md §2.7, seeds/000):
on a site whose SRTP mode is "Only", a handset calls baresip (srtp-mand) through the
embedded call server, which passes SRTP offers (srtp = "optional"). baresip reports SRTP,
the handset's earpiece plays baresip's 1000 Hz tone, and the WAV baresip recorded holds the
handset's own tone. A plain RTP offer to a DECT user of that site is refused with 488
("Only" x "Disabled"), and the handset never rings.

One site runs per module; each test uses its own baresip.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from interop_peers import Baresip, make_baresip
from site_helpers import Control, call_site_config, ipei, until_state

from sim.voice import default_tone_hz
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.waiting import until

pytestmark = [pytest.mark.interop, pytest.mark.slow,
              pytest.mark.asyncio(loop_scope="module")]

AC = "31415"
MAC = "00:30:42:5e:03:01"
HANDSETS = {"201": (ipei(3201), 2.0, 1.0), "202": (ipei(3202), -2.0, 1.0)}
"""DECT users by number -> (IPEI, x, y), both by the one RFP."""
PHONES = {"300": "Srtp-Phone-300", "301": "Plain-Phone-301"}
"""Call server accounts of the baresip phones: 300 speaks SRTP only, 301 plain RTP."""
PHONE_TONE = 1000.0
"""What baresip plays (a WAV file: its 'ausine' source is 48 kHz only)."""


def site_config() -> str:
    accounts = "".join(f'\n[[pbx.accounts]]\nuser = "{user}"\npassword = "{password}"\n'
                       for user, password in PHONES.items())
    return call_site_config(
        "calls-srtp", HANDSETS, {n: f"Calls-Srtp-{n}x" for n in HANDSETS},
        [(MAC, 0.0, 0.0)], ac=AC, extra="""
[pbx]
realm = "calls-srtp"
srtp = "optional"         # passes SRTP offers and plain ones: the OMM decides
""" + accounts)


@dataclass
class Site:
    emu: Emulator
    control: Control
    ids: dict[str, int]
    """Handset id by number."""
    registrar: str
    """The call server's UDP listener, host:port."""

    def tone(self, number: str) -> float:
        """The test tone a handset talks with (sim.voice.default_tone_hz)."""
        return default_tone_hz(self.ids[number])

    async def registered(self, user: str) -> bool:
        return user in {r["user"] for r in (await self.control.pbx())["registrations"]}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with Emulator(site_config(), tmp_path_factory.mktemp("site")) as emu:
        assert emu.system is not None and emu.system.control is not None
        assert emu.system.pbx is not None
        address = emu.system.pbx.running.address
        async with Control.of(emu.system) as control:
            by_ipei = {h["ipei"]: h["id"] for h in await control.handsets()}
            ids = {number: by_ipei[hs] for number, (hs, _, _) in HANDSETS.items()}
            site = Site(emu, control, ids, f"{address.host}:{address.port}")

            async def ready() -> bool:
                handsets = await control.handsets()
                return all(h["tpui"] for h in handsets) and all(
                    [await site.registered(n) for n in HANDSETS])
            await until(ready, "every handset on the air and registered", timeout=60)
            axi = await AxiClient.connect(emu.omm.host, emu.omm.port)
            try:
                await axi.login(emu.omm.username, emu.omm.password)
                await axi.request("SetSite",
                                  children=[element("site", {"id": 1, "srtp": "Only"})])
            finally:
                await axi.close()
            yield site


def phone(directory: Path, site: Site, user: str, *, srtp: bool,
          answer: bool = True) -> Baresip:
    """A baresip phone of `user` that plays PHONE_TONE and records what it receives."""
    return make_baresip(directory, user=user, password=PHONES[user], registrar=site.registrar,
                        mediaenc="srtp-mand" if srtp else None, answer=answer,
                        tone_hz=PHONE_TONE, tone_seconds=30.0, record=True)


async def test_a_handset_and_baresip_talk_over_srtp(site: Site, tmp_path: Path,
                                                    baresips: list[Baresip]) -> None:
    ua = phone(tmp_path / "phone", site, "300", srtp=True)
    baresips.append(ua.start())

    async def registered() -> bool:
        return await site.registered("300")
    await until(registered, f"baresip to register:\n{ua.output()}")
    await until_state(site, "201", "idle")
    await site.control.dial(site.ids["201"], "300")
    assert await asyncio.to_thread(ua.wait_for, "Call established"), ua.output()
    await until_state(site, "201", "connected")

    async def hears() -> bool:
        return await site.control.hears(site.ids["201"], PHONE_TONE)
    await until(hears, f"201 to hear baresip's {PHONE_TONE:g} Hz")
    assert "SRTP is Enabled" in ua.output(), ua.output()
    received = await site.control.handset(site.ids["201"])
    assert received["voice"]["undecodable"] == 0, received

    async def recording() -> bool:
        path = ua.recording()
        return path is not None and path.stat().st_size > 44 + 2 * 8000
    await until(recording, "baresip to record a second of what it receives")
    await site.control.hang_up(site.ids["201"])
    assert await asyncio.to_thread(ua.wait_for, "session closed"), ua.output()
    await until_state(site, "201", "idle")
    assert ua.heard(site.tone("201")), \
        f"baresip's recording {ua.recording()} holds no {site.tone('201'):g} Hz"


async def test_plain_rtp_to_an_srtp_only_site_is_refused(site: Site, tmp_path: Path,
                                                         baresips: list[Baresip]) -> None:
    await until_state(site, "202", "idle")
    ua = phone(tmp_path / "plain", site, "301", srtp=False, answer=False)
    baresips.append(ua.start(f"/dial sip:202@{site.registrar}"))
    assert await asyncio.to_thread(ua.wait_for, "session closed: 488 "), ua.output()
    assert "Call established" not in ua.output()
    handset = await site.control.handset(site.ids["202"])
    assert handset["call_state"] == "idle", handset
    assert not any("Call from" in line
                   for line in (await site.control.display(site.ids["202"]))["display"])


async def test_baresip_calls_a_handset_that_answers_by_itself_over_srtp(
        site: Site, tmp_path: Path, baresips: list[Baresip]) -> None:
    await until_state(site, "202", "idle")
    ref = f"/handsets/{site.ids['202']}"
    await site.control.call("PATCH", ref, {"auto_answer": 0.5})
    try:
        ua = phone(tmp_path / "caller", site, "300", srtp=True, answer=False)
        baresips.append(ua.start(f"/dial sip:202@{site.registrar}"))
        assert await asyncio.to_thread(ua.wait_for, "Call established"), ua.output()
        assert "SRTP is Enabled" in ua.output(), ua.output()
        await until_state(site, "202", "connected")

        async def hears() -> bool:
            return await site.control.hears(site.ids["202"], PHONE_TONE)
        await until(hears, f"202 to hear baresip's {PHONE_TONE:g} Hz")
        await site.control.hang_up(site.ids["202"])
        assert await asyncio.to_thread(ua.wait_for, "session closed"), ua.output()
        await until_state(site, "202", "idle")
    finally:
        await site.control.call("PATCH", ref, {"auto_answer": None})
