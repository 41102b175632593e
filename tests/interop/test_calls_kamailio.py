"""Calls of the virtual handsets through kamailio (issue 5, ecosystem.md §1b): the OMM
registers its DECT users at kamailio (BasicSIP), one handset calls another through it; sipp
as an external phone calls a DECT user whose handset answers by itself, and a handset calls
sipp registered at kamailio. On an SRTP-only site a handset and baresip (SDES-SRTP) talk
through kamailio, and a plain RTP offer gets 488. What each party sees is checked: the
handsets through the control API (call state, display, the tone their earpiece played), sipp
by its scenario ending with status 0, baresip by its log and its recording.

One site and one kamailio run per module; each test uses its own handsets and leaves them
idle.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio
from interop_peers import (
    KAMAILIO_USERS,
    Baresip,
    Kamailio,
    free_ports,
    make_baresip,
    run_sipp,
    sipp_register,
    start_sipp,
    wait_listening,
)
from site_helpers import Control, call_site_config, ipei, until_hears, until_state

from sim.voice import default_tone_hz
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.media.codecs import alaw_encode
from sipdect.waiting import until

pytestmark = [pytest.mark.interop, pytest.mark.slow,
              pytest.mark.asyncio(loop_scope="module")]

AC = "31415"
MAC = "00:30:42:5e:02:01"
HANDSETS = {"201": (ipei(2201), 2.0, 1.0), "202": (ipei(2202), -2.0, 1.0),
            "203": (ipei(2203), 1.0, -2.0)}
"""DECT users by number -> (IPEI, x, y), all by the one RFP."""
SIPP_USER = "204"
"""The kamailio account sipp uses as an external phone."""
PHONE_USER = "205"
"""The kamailio account baresip uses: an SRTP phone."""
PHONE_TONE = 1000.0
"""What baresip plays."""


def site_config(kamailio: Kamailio) -> str:
    return call_site_config(
        "calls-kamailio", HANDSETS, KAMAILIO_USERS, [(MAC, 0.0, 0.0)], ac=AC, extra=f"""
[omm.settings.BasicSIP]
proxyServer = "127.0.0.1"
proxyPort = {kamailio.port}
regServer = "127.0.0.1"
regPort = {kamailio.port}
transportProt = "UDP"
regPeriod = 600
""")


@dataclass
class Site:
    emu: Emulator
    control: Control
    kamailio: Kamailio
    ids: dict[str, int]
    """Handset id by number."""
    workdir: Path

    def tone(self, number: str) -> float:
        """The test tone a handset talks with (sim.voice.default_tone_hz)."""
        return default_tone_hz(self.ids[number])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(kamailio: Kamailio,
               tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with Emulator(site_config(kamailio),
                        tmp_path_factory.mktemp("site")) as emu:
        assert emu.system is not None and emu.system.control is not None
        assert emu.system.pbx is None  # kamailio is the only call server
        async with Control.of(emu.system) as control:
            by_ipei = {h["ipei"]: h["id"] for h in await control.handsets()}
            ids = {number: by_ipei[hs] for number, (hs, _, _) in HANDSETS.items()}

            async def on_air() -> bool:
                return all(h["tpui"] for h in await control.handsets())
            await until(on_air, "every handset subscribed and on the air", timeout=60)
            seen = await asyncio.to_thread(kamailio.wait_registered, list(HANDSETS))
            assert set(HANDSETS) <= seen, kamailio.output()[-3000:]
            yield Site(emu, control, kamailio, ids, tmp_path_factory.mktemp("sipp"))


@pytest_asyncio.fixture(loop_scope="module")
async def srtp_only(site: Site) -> AsyncIterator[None]:
    """The site's SRTP mode is "Only" during the test (AXI SetSite), "Disabled" after."""
    axi = await AxiClient.connect(site.emu.omm.host, site.emu.omm.port)
    try:
        await axi.login(site.emu.omm.username, site.emu.omm.password)
        await axi.request("SetSite", children=[element("site", {"id": 1, "srtp": "Only"})])
        yield
        await axi.request("SetSite", children=[element("site", {"id": 1, "srtp": "Disabled"})])
    finally:
        await axi.close()


def tone(hz: float, seconds: float) -> np.ndarray:
    """A sine of amplitude 8000 (a quarter of full scale) as 8 kHz 16-bit samples."""
    t = np.arange(int(8000 * seconds)) / 8000
    return (8000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


async def test_a_handset_calls_another_through_kamailio(site: Site) -> None:
    await until_state(site, "201", "idle")
    await until_state(site, "202", "idle")
    await site.control.dial(site.ids["201"], "202")
    await until_state(site, "202", "incoming")
    assert (await site.control.display(site.ids["202"]))["display"] == [
        "Call from 201 User 201"]
    await until_state(site, "201", "ringback")
    await site.control.answer(site.ids["202"])
    await until_state(site, "201", "connected")
    await until_state(site, "202", "connected")
    await until_hears(site, "202", site.tone("201"), "202 to hear 201's tone")
    await until_hears(site, "201", site.tone("202"), "201 to hear 202's tone")
    assert not await site.control.hears(site.ids["201"], site.tone("201"))
    await site.control.hang_up(site.ids["201"])
    await until_state(site, "201", "idle")
    await until_state(site, "202", "idle")
    assert (await site.control.display(site.ids["202"]))["display"] == ["Call ended"]


async def test_sipp_calls_a_handset_that_answers_by_itself(site: Site) -> None:
    """sipp's UAC scenario runs to its end: INVITE (407, again with credentials), 200 from
    the DECT user, ACK and its own BYE answered 200, all along kamailio's route set."""
    await until_state(site, "203", "idle")
    await site.control.call("PATCH", f"/handsets/{site.ids['203']}", {"auto_answer": 0.5})
    try:
        [port] = free_ports(1)
        result = await asyncio.to_thread(
            run_sipp, site.workdir, "uac", remote=site.kamailio.hostport, service="203",
            auth=(SIPP_USER, KAMAILIO_USERS[SIPP_USER]), keys={"caller": SIPP_USER},
            local_port=port, timeout=15)
        assert result.ok, result.describe()
        assert "SIP/2.0 200 OK" in result.messages and "m=audio" in result.messages
        assert f"Route: <sip:{site.kamailio.hostport}" in result.messages
        await until_state(site, "203", "idle")
        assert (await site.control.display(site.ids["203"]))["display"] == ["Call ended"]
    finally:
        await site.control.call("PATCH", f"/handsets/{site.ids['203']}", {"auto_answer": None})


async def test_a_handset_hears_sipp_and_hangs_up_on_it(site: Site) -> None:
    """sipp streams a 1000 Hz tone as PCMA once the handset has answered by itself; the
    handset's earpiece plays it; the handset hangs up and sipp gets the BYE."""
    await until_state(site, "203", "idle")
    (site.workdir / "tone.alaw").write_bytes(alaw_encode(tone(1000.0, 2.0)))
    await site.control.call("PATCH", f"/handsets/{site.ids['203']}", {"auto_answer": 0.5})
    try:
        port, media = free_ports(2, gap=4)
        sipp = start_sipp(site.workdir, "uac_talk", remote=site.kamailio.hostport,
                          service="203", auth=(SIPP_USER, KAMAILIO_USERS[SIPP_USER]),
                          keys={"caller": SIPP_USER}, local_port=port, timeout=30,
                          extra=["-mp", str(media)])
        try:
            await until_state(site, "203", "connected")
            await until_hears(site, "203", 1000.0, "203 to hear sipp's 1000 Hz")
        except BaseException:
            print(sipp.stop().describe())
            raise
        await site.control.hang_up(site.ids["203"])
        result = await asyncio.to_thread(sipp.wait)
        assert result.ok, result.describe()
        assert "BYE sip:" in result.messages
        await until_state(site, "203", "idle")
    finally:
        await site.control.call("PATCH", f"/handsets/{site.ids['203']}", {"auto_answer": None})


async def test_a_handset_calls_sipp_registered_at_kamailio(site: Site) -> None:
    """sipp registers as a kamailio user and answers as UAS; the handset dials its number,
    shows Connected, hangs up, and sipp's scenario (INVITE, 180, 200, ACK, BYE) ends 0."""
    await until_state(site, "201", "idle")
    [port] = free_ports(1)
    reg = await asyncio.to_thread(sipp_register, site.workdir, site.kamailio.hostport,
                                  SIPP_USER, KAMAILIO_USERS[SIPP_USER], port)
    assert reg.ok, reg.describe()
    uas = start_sipp(site.workdir, "uas", local_port=port, timeout=30)
    assert await asyncio.to_thread(wait_listening, port, "u1"), uas.stop().describe()
    try:
        await site.control.dial(site.ids["201"], SIPP_USER)
        await until_state(site, "201", "connected")
        assert "Connected" in " ".join((await site.control.display(site.ids["201"]))[
            "display"])
    except BaseException:
        print(uas.stop().describe())
        raise
    await site.control.hang_up(site.ids["201"])
    result = await asyncio.to_thread(uas.wait)
    assert result.ok, result.describe()
    assert "BYE sip:" in result.messages
    await until_state(site, "201", "idle")


@pytest.mark.usefixtures("srtp_only")
async def test_a_handset_and_baresip_talk_over_srtp_through_kamailio(
        site: Site, tmp_path: Path, baresips: list[Baresip]) -> None:
    """On an SRTP-only site a handset calls baresip (srtp-mand, answers by itself): baresip
    reports SRTP, each side's tone reaches the other."""
    ua = make_baresip(tmp_path / "phone", user=PHONE_USER, password=KAMAILIO_USERS[PHONE_USER],
                      registrar=site.kamailio.hostport, tone_hz=PHONE_TONE, tone_seconds=30.0,
                      record=True)
    baresips.append(ua.start())
    seen = await asyncio.to_thread(site.kamailio.wait_registered, [PHONE_USER])
    assert PHONE_USER in seen, ua.output()
    await until_state(site, "202", "idle")
    await site.control.dial(site.ids["202"], PHONE_USER)
    assert await asyncio.to_thread(ua.wait_for, "Call established"), ua.output()
    assert "SRTP is Enabled" in ua.output(), ua.output()
    await until_state(site, "202", "connected")
    await until_hears(site, "202", PHONE_TONE, f"202 to hear baresip's {PHONE_TONE:g} Hz")

    async def recording() -> bool:
        path = ua.recording()
        return path is not None and path.stat().st_size > 44 + 2 * 8000
    await until(recording, "baresip to record a second of what it receives")
    await site.control.hang_up(site.ids["202"])
    assert await asyncio.to_thread(ua.wait_for, "session closed"), ua.output()
    await until_state(site, "202", "idle")
    assert ua.heard(site.tone("202")), \
        f"baresip's recording {ua.recording()} holds no {site.tone('202'):g} Hz"


@pytest.mark.usefixtures("srtp_only")
async def test_plain_rtp_through_kamailio_to_an_srtp_only_site_gets_488(
        site: Site, tmp_path: Path, baresips: list[Baresip]) -> None:
    """Site "Only" x phone "Disabled": the OMM refuses the offer, kamailio relays the 488,
    and the handset never rings."""
    await until_state(site, "201", "idle")
    ua = make_baresip(tmp_path / "plain", user=PHONE_USER,
                      password=KAMAILIO_USERS[PHONE_USER], registrar=site.kamailio.hostport,
                      mediaenc=None, answer=False)
    baresips.append(ua.start(f"/dial sip:201@{site.kamailio.hostport}"))
    assert await asyncio.to_thread(ua.wait_for, "session closed: 488 "), ua.output()
    assert "Call established" not in ua.output()
    assert await site.control.call_state(site.ids["201"]) == "idle"
    assert not any("Call from" in line
                   for line in (await site.control.display(site.ids["201"]))["display"])
