"""Calls through the whole emulated installation, as a user sees them (issue 5, docs/calls.md):
a handset dials, the OMM turns CC into SIP through the embedded call server, the called
handset is paged and rings, and once answered each handset's test tone crosses the ciphered
air, its RFP's RTP (SRTP when the site says so) and the other RFP to the other handset.

Observed through the control API (display, call state, what the earpiece played: Goertzel)
and AXI (PPState callState, transactions). One site runs per module; each test uses its own
handsets and leaves them idle.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from site_helpers import (
    Control,
    EventWatch,
    call_site_config,
    connect,
    hang_up,
    ipei,
    until_hears,
    until_state,
)

from sim.voice import default_tone_hz
from sipdect.app import ctl
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

AC = "31415"
MAC_A, MAC_B = "00:30:42:5e:01:01", "00:30:42:5e:01:02"

#: number -> (IPEI, x, y): odd numbers stand by RFP A, even ones by RFP B, 30 m apart.
HANDSETS = {"201": (ipei(201), 3.0, 1.0), "202": (ipei(202), 27.0, 1.0),
            "203": (ipei(203), 2.0, -2.0), "204": (ipei(204), 28.0, -2.0),
            "205": (ipei(205), 4.0, 3.0), "206": (ipei(206), 26.0, 3.0),
            "207": (ipei(207), 5.0, -4.0), "208": (ipei(208), 25.0, -4.0)}
FAR_AWAY = (500.0, 0.0)
"""Out of range of both RFPs."""


def _site() -> str:
    return call_site_config(
        "calls-test", HANDSETS, {n: f"Calls-Test-{n}x" for n in HANDSETS},
        [(MAC_A, 0.0, 0.0), (MAC_B, 30.0, 0.0)], ac=AC, extra="""
[pbx]
realm = "calls-test"
srtp = "optional"         # passes SRTP offers (MiVO400's default "no" refuses them)
""")


@dataclass
class Site:
    emu: Emulator
    control: Control
    axi: AxiClient
    ids: dict[str, int]
    """Handset id by number."""
    ppns: dict[str, int]
    """Device ppn by number."""

    def tone(self, number: str) -> float:
        """The test tone a handset talks with (sim.voice.default_tone_hz)."""
        return default_tone_hz(self.ids[number])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with Emulator(_site(), tmp_path_factory.mktemp("calls")) as emu:
        assert emu.system is not None and emu.system.control is not None
        handle = emu.omm
        async with Control.of(emu.system) as control:
            axi = await AxiClient.connect(handle.host, handle.port)
            await axi.login(handle.username, handle.password)
            by_ipei = {h["ipei"]: h["id"] for h in await control.handsets()}
            ids = {num: by_ipei[hs] for num, (hs, _, _) in HANDSETS.items()}

            async def ready() -> bool:
                handsets = await control.handsets()
                pbx = await control.pbx()
                users = {r["user"] for r in pbx["registrations"]}
                return all(h["tpui"] for h in handsets) and users >= set(HANDSETS)

            await until(ready, "every handset registered on the air and at the PBX",
                        timeout=60)
            ppns = {}
            for num in HANDSETS:
                user = (await axi.request("GetPPUserByNumber", {"num": num})).child("user")
                assert user is not None
                ppns[num] = int(user.attrs["ppn"])
            yield Site(emu, control, axi, ids, ppns)
            await axi.close()


async def state_is(site: Site, number: str, state: str) -> bool:
    return await site.control.call_state(site.ids[number]) == state


async def test_answered_call_carries_each_handsets_tone_to_the_other(site: Site) -> None:
    await until_state(site, "201", "idle")
    await site.control.dial(site.ids["201"], "202")
    await until_state(site, "202", "incoming")
    assert (await site.control.display(site.ids["202"]))["display"] == [
        "Call from 201 User 201"]
    await until_state(site, "201", "ringback")
    state = await site.axi.request("GetPPState", {"ppn": site.ppns["202"]})
    assert state.attrs["callState"] == "ringing"
    await site.control.answer(site.ids["202"])
    await until_state(site, "201", "connected")
    await until_hears(site, "202", site.tone("201"), "202 to hear 201's tone")
    await until_hears(site, "201", site.tone("202"), "201 to hear 202's tone")
    assert not await site.control.hears(site.ids["201"], site.tone("201"))
    state = await site.axi.request("GetPPState", {"ppn": site.ppns["201"]})
    assert (state.attrs["callState"], state.attrs["onHook"]) == ("connected", "0")
    voice = (await site.control.handset(site.ids["202"]))["voice"]
    assert voice["undecodable"] == 0 and voice["received"] > 0
    await hang_up(site, "201", "202")
    assert (await site.control.display(site.ids["202"]))["display"] == ["Call ended"]


async def test_handover_during_a_call_keeps_the_voice_flowing(site: Site) -> None:
    watch = EventWatch(site.axi)
    await site.axi.subscribe("PPTransaction", ppn=-1)
    await connect(site, "203", "204")
    await until_hears(site, "204", site.tone("203"), "204 to hear 203 before the handover")
    before = (await site.control.handset(site.ids["203"]))["rfp"]
    mark = watch.mark()
    moved = await site.control.move(site.ids["203"], 29.0, -3.0)
    assert moved["rfp"] != before
    await watch.wait("EventPPTransaction", lambda e: e.attrs.get("trType") == "ConnHandover"
                     and e.attrs.get("ppn") == str(site.ppns["203"]), since=mark)
    received = (await site.control.handset(site.ids["203"]))["voice"]["received"]

    async def flowing() -> bool:
        voice = (await site.control.handset(site.ids["203"]))["voice"]
        return voice["received"] > received + 100 and await site.control.hears(
            site.ids["203"], site.tone("204"))
    await until(flowing, "203 to keep hearing 204 on the new RFP")
    await until_hears(site, "204", site.tone("203"), "204 to keep hearing 203")
    assert await state_is(site, "203", "connected")
    await hang_up(site, "204", "203")
    await site.control.move(site.ids["203"], *HANDSETS["203"][1:])


async def test_a_busy_user_gives_the_caller_busy(site: Site) -> None:
    await connect(site, "205", "206")
    await until_state(site, "201", "idle")
    await site.control.dial(site.ids["201"], "206")
    await until_state(site, "201", "idle")
    assert "Busy" in (await site.control.display(site.ids["201"]))["display"]
    assert await state_is(site, "206", "connected")
    await hang_up(site, "205", "206")


async def test_a_rejected_call_tells_the_caller(site: Site) -> None:
    await until_state(site, "201", "idle")
    await site.control.dial(site.ids["201"], "202")
    await until_state(site, "202", "incoming")
    await site.control.hang_up(site.ids["202"])
    await until_state(site, "201", "idle")
    assert "Rejected" in (await site.control.display(site.ids["201"]))["display"]
    await until_state(site, "202", "idle")


async def test_the_caller_giving_up_stops_the_ringing(site: Site) -> None:
    await until_state(site, "201", "idle")
    await site.control.dial(site.ids["201"], "202")
    await until_state(site, "202", "incoming")
    await site.control.hang_up(site.ids["201"])
    await until_state(site, "202", "idle")
    assert await state_is(site, "201", "idle")


async def test_an_unknown_number_is_refused(site: Site) -> None:
    await until_state(site, "201", "idle")
    await site.control.dial(site.ids["201"], "299")
    await until_state(site, "201", "idle")
    assert "Unknown number" in (await site.control.display(site.ids["201"]))["display"]


async def test_srtp_only_site_still_carries_the_voice(site: Site) -> None:
    """Site mode "Only": both call legs offer and accept RTP/SAVP only; the RFPs protect
    their RTP with the SDES keys and the voice still arrives intact."""
    await site.axi.request("SetSite", children=[element("site", {"id": 1, "srtp": "Only"})])
    try:
        media = site.emu.system.omms[0].media  # type: ignore[union-attr]
        await connect(site, "201", "202")
        await until_hears(site, "202", site.tone("201"), "202 to hear 201 over SRTP")
        await until_hears(site, "201", site.tone("202"), "201 to hear 202 over SRTP")
        assert all(call.srtp is not None for call in media.calls.values())
        await hang_up(site, "202", "201")
    finally:
        await site.axi.request("SetSite",
                               children=[element("site", {"id": 1, "srtp": "Disabled"})])


# -- coverage (issue 9) ------------------------------------------------------------------------


async def back_in_range(site: Site, number: str) -> None:
    """Move the handset home and wait until it is registered there again."""
    await site.control.move(site.ids[number], *HANDSETS[number][1:])

    async def registered() -> bool:
        handset = await site.control.handset(site.ids[number])
        return handset["state"] == "locked" and handset["display"] == ["Registered"]
    await until(registered, f"{number} registered again")


async def test_walking_out_of_coverage_mid_call_ends_the_call_at_both_ends(site: Site) -> None:
    watch = EventWatch(site.axi)
    await site.axi.subscribe("PPState", "PPTransaction", ppn=-1)
    await connect(site, "207", "208")
    mark = watch.mark()
    moved = await site.control.move(site.ids["207"], *FAR_AWAY)  # 200, with the new state
    assert (moved["x"], moved["y"]) == FAR_AWAY
    assert (moved["state"], moved["rfp"], moved["display"]) == ("searching", None, ["Searching"])
    assert (moved["call_state"], moved["last_call_end"]) == ("idle", "LinkLost")
    await until_state(site, "208", "idle")
    far_end = await site.control.handset(site.ids["208"])
    assert far_end["display"] == ["Call ended"] and far_end["state"] != "searching"
    for number in ("207", "208"):
        ppn = str(site.ppns[number])
        await watch.wait("EventPPState", lambda e, p=ppn: e.attrs.get("ppn") == p
                         and e.attrs.get("callState") == "idle", since=mark)
        state = await site.axi.request("GetPPState", {"ppn": site.ppns[number]})
        assert state.attrs["callState"] == "idle"
    await watch.wait("EventPPTransaction", lambda e: e.attrs.get("trType") == "Release"
                     and e.attrs.get("ppn") == str(site.ppns["207"]), since=mark)
    await back_in_range(site, "207")
    await connect(site, "207", "208")  # and it calls again from there
    await hang_up(site, "207", "208")


async def test_dialling_out_of_coverage_is_refused_at_once(site: Site, tmp_path: Path) -> None:
    await until_state(site, "207", "idle")
    await site.control.move(site.ids["207"], *FAR_AWAY)
    refused = await site.control.call("POST", f"/handsets/{site.ids['207']}/call",
                                      {"number": "208"}, expect=409)
    assert refused["error"].startswith("Out of range") and refused["reason"] == "OutOfRange"
    shown = refused["handset"]
    assert (shown["call_state"], shown["display"]) == ("idle", ["Out of range"])
    ready_file = tmp_path / "ready.json"
    assert site.emu.system is not None
    site.emu.system.write_ready_file(ready_file)  # what `sipdect up` leaves for ctl
    with pytest.raises(SystemExit) as ctl_exit:
        await asyncio.to_thread(ctl.main, ["--ready-file", str(ready_file), "call",
                                           str(site.ids["207"]), "208"])
    message = str(ctl_exit.value.code)
    assert message.startswith("sipdect ctl: Out of range") and "\n" not in message
    assert await state_is(site, "207", "idle") and await state_is(site, "208", "idle")
    await back_in_range(site, "207")


async def test_hears_reports_only_a_connected_calls_audio(site: Site) -> None:
    await connect(site, "207", "208")
    await until_hears(site, "207", site.tone("208"), "207 to hear 208's tone")
    path = f"/handsets/{site.ids['207']}/hears?tone={site.tone('208')}"
    during = await site.control.call("GET", path)
    assert (during["call_connected"], during["present"], during["last_call"]) == (
        True, True, None)
    await hang_up(site, "208", "207")
    after = await site.control.call("GET", path)
    assert not after["present"]  # the earpiece is silent once the call ended
    assert (after["call_connected"], after["tone_dbm0"]) == (False, None)
    assert after["last_call"]["present"]  # what it heard, up to the end of the call
