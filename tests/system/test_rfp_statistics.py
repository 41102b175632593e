"""RFP statistics as an AXI client sees them move while the installation works (issue 16,
features.md §2.9): calls filling an RFP's voice channels, a handover, an RFP restarting, a reset
clearing them. Every answer is checked against the schema dictionary and the real OMM's
samples (mitel-api OmmMessageTest.cs). One site per module; each test makes its own calls and
leaves the handsets idle, so the order does not matter.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from site_helpers import Control, call_site_config, connect, hang_up, ipei, until_state
from test_schema_conformance import RecordingClient, frame_violations

from omm.statistics import Elem
from sipdect.app import ctl
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.waiting import WaitTimeout, until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

MAC_A, MAC_B = "00:30:42:5e:05:01", "00:30:42:5e:05:02"
#: Eight handsets by RFP A (an RFP 35: their four calls take its eight voice channels), RFP B
#: (an RFP 44: four voice channels) 30 m away.
HANDSETS = {str(n): (ipei(n), 2.0 + (n % 4), -2.0 + (n % 3)) for n in range(301, 309)}
PAIRS = (("301", "302"), ("303", "304"), ("305", "306"), ("307", "308"))


@dataclass
class Site:
    emu: Emulator
    control: Control
    axi: RecordingClient
    ids: dict[str, int]
    rfp_a: int
    rfp_b: int


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    config = call_site_config("stats-test", HANDSETS, {n: f"Stats-Test-{n}x" for n in HANDSETS},
                              [(MAC_A, 0.0, 0.0), (MAC_B, 30.0, 0.0)],
                              extra='\n[pbx]\nrealm = "stats-test"\n')
    config = config.replace(f'mac = "{MAC_B}"\n', f'mac = "{MAC_B}"\nhw_type = "RFP 44"\n')
    async with Emulator(config, tmp_path_factory.mktemp("stats")) as emu:
        assert emu.system is not None and emu.system.control is not None
        handle = emu.omm
        async with Control.of(emu.system) as control:
            axi = await RecordingClient.connect(handle.host, handle.port)
            assert isinstance(axi, RecordingClient)
            await axi.login(handle.username, handle.password)
            by_ipei = {h["ipei"]: h["id"] for h in await control.handsets()}
            rfps = {r["mac"]: r["id"] for r in await control.rfps()}

            async def ready() -> bool:
                users = {r["user"] for r in (await control.pbx())["registrations"]}
                return all(h["tpui"] for h in await control.handsets()) and \
                    users >= set(HANDSETS)

            await until(ready, "every handset registered", timeout=60)
            yield Site(emu, control, axi, {n: by_ipei[h] for n, (h, _, _) in HANDSETS.items()},
                       rfps[MAC_A], rfps[MAC_B])
            assert not [p for f in axi.frames() for p in frame_violations(f)]
            await axi.close()


async def counters(axi: AxiClient, rfp_id: int, record_set: int = 0) -> list[int]:
    resp = await axi.request("GetRFPStatistic", {"id": rfp_id, "maxRecords": 0,
                                                 "recordSet": record_set})
    (data,) = resp.children
    assert data.name == "rfpStatData" and data.attrs["id"] == str(rfp_id)
    return [int(v) for v in data.attrs["counter"].split(",")]


async def until_counter(axi: AxiClient, rfp_id: int, elem: Elem, at_least: int) -> list[int]:
    """Wait until the RFP's counter reaches `at_least` (BMC counters come with the RFP's next
    STATISTICS_DATA_CFM, which a GetRFPStatistic asks for)."""
    seen: list[int] = []

    async def probe() -> list[int] | None:
        seen[:] = await counters(axi, rfp_id)
        return seen if seen[elem] >= at_least else None
    try:
        return await until(probe, f"RFP {rfp_id} {elem.name} >= {at_least}")
    except WaitTimeout as exc:
        raise AssertionError(f"{exc}; last counters {seen}") from None


async def test_the_configuration_is_the_real_omms(site: Site) -> None:
    resp = await site.axi.request("GetRFPStatisticConfig")
    head, *names = resp.children
    assert (head.name, head.attrs) == ("rfpStatHead", {"numElemPerRec": "28",
                                                       "recordSets": "3", "resolution": "week"})
    assert [n.name for n in names] == ["rfpStatName"] * 28
    assert list(names[0].attrs) == ["elemId", "group", "name"]
    assert names[1].attrs == {"elemId": "1", "group": "Voice channels",
                              "name": "Only 1 voice channels free"}
    # Paging as ommstats does it: from id 0, 20 at a time, one record per configured RFP.
    page = await site.axi.request("GetRFPStatistic", {"id": 0, "maxRecords": 20,
                                                      "recordSet": 0})
    assert [d.attrs["id"] for d in page.children] == [str(site.rfp_a), str(site.rfp_b)]
    assert all(len(d.attrs["counter"].split(",")) == 28 for d in page.children)
    after = await site.axi.request("GetRFPStatistic", {"id": site.rfp_b + 1, "maxRecords": 20},
                                   check=False)
    assert after.attrs["errCode"] == "ENoEnt"


async def links_released(site: Site) -> None:
    """Wait until no handset holds a DECT link (the OMM releases an idle one after
    LINK_RELEASE_S), so each call sets up connections of its own."""
    async def probe() -> bool:
        return all(h["state"] == "locked" and not h["call_active"]
                   for h in await site.control.handsets())
    await until(probe, "every handset idle without a DECT link", timeout=60)


async def test_calls_filling_an_rfp_move_its_voice_channel_counters(site: Site) -> None:
    await links_released(site)
    await site.axi.request("ResetRFPStatistic", {"id": site.rfp_a})
    assert (await counters(site.axi, site.rfp_a))[:3] == [0, 0, 0]
    for caller, callee in PAIRS:
        await connect(site, caller, callee)
    values = await counters(site.axi, site.rfp_a)
    assert values[Elem.ONLY_2_VOICE_FREE] == 1
    assert values[Elem.ONLY_1_VOICE_FREE] == 1
    assert values[Elem.VOICE_BUSY] == 1
    # Eight MAC connections on its twelve air channels: "only 2-4 free" was entered.
    assert values[Elem.ONLY_2_4_AIR_FREE] >= 1
    # Four calls' connections on one RFP: the BMC counted connections while 4-6 and 7-9 ran.
    await until_counter(site.axi, site.rfp_a, Elem.CONNECTIONS_07_09, 1)
    await until_counter(site.axi, site.rfp_a, Elem.DSP_07_08, 1)
    for caller, callee in PAIRS:
        await hang_up(site, caller, callee)


async def test_the_third_call_on_an_rfp_44_finds_its_four_voice_channels_busy(
        site: Site) -> None:
    """features.md scenario "RFP statistics": on a 4-channel RFP 44 the 5th voice channel is
    refused. Two calls between handsets by RFP B take its four; a third caller there gets no
    call (the callee never rings) and "Voice channels busy and call rejected" counts it; a
    call handed over to it fails, a lost connection in its BMC counters."""
    movers: tuple[str, ...] = ("301", "302", "303", "304", "305")
    for n, number in enumerate(movers):
        await site.control.move(site.ids[number], 28.0 + n % 3, -1.0 + n // 3)

    async def on_b() -> bool:
        return all([(await site.control.handset(site.ids[n]))["rfp"] == site.rfp_b
                    for n in movers])
    await until(on_b, "five handsets locked to RFP B")
    before = await counters(site.axi, site.rfp_b)
    await connect(site, "301", "302")
    await connect(site, "303", "304")
    await until_counter(site.axi, site.rfp_b, Elem.VOICE_BUSY, before[Elem.VOICE_BUSY] + 1)
    await site.control.dial(site.ids["305"], "306")
    await until_counter(site.axi, site.rfp_b, Elem.VOICE_BUSY_CALL_REJECTED,
                        before[Elem.VOICE_BUSY_CALL_REJECTED] + 1)
    await until_state(site, "305", "idle")
    assert await site.control.call_state(site.ids["306"]) == "idle"
    # A call handed over into the full RFP B fails: B refuses the bearer, the call is lost,
    # and B's BMC counts a lost connection.
    await connect(site, "307", "308")
    await site.control.move(site.ids["307"], 29.0, 1.0)
    await until_counter(site.axi, site.rfp_b, Elem.LOST_CONNECTIONS,
                        before[Elem.LOST_CONNECTIONS] + 1)
    await until_state(site, "307", "idle")
    await until_state(site, "308", "idle")
    movers += ("307",)
    await hang_up(site, "301", "302")
    await hang_up(site, "303", "304")
    # With two channels free again the same call goes through.
    await connect(site, "305", "306")
    await hang_up(site, "305", "306")
    for number in movers:
        await site.control.move(site.ids[number], *HANDSETS[number][1:])

    async def home() -> bool:
        return all([(await site.control.handset(site.ids[n]))["rfp"] == site.rfp_a
                    for n in movers])
    await until(home, "the five handsets back at RFP A")


async def test_a_handover_counts_a_connection_on_the_new_rfp(site: Site) -> None:
    await connect(site, "301", "302")
    before = await counters(site.axi, site.rfp_b)
    await site.control.move(site.ids["301"], 28.0, 0.0)

    async def on_b() -> bool:
        h = await site.control.handset(site.ids["301"])
        return bool(h["rfp"] == site.rfp_b and h["call_active"])
    await until(on_b, "301 handed over to RFP B in its call")
    await until_counter(site.axi, site.rfp_b, Elem.CONNECTIONS_01_03,
                        before[Elem.CONNECTIONS_01_03] + 1)
    await hang_up(site, "301", "302")
    await site.control.move(site.ids["301"], *HANDSETS["301"][1:])


async def test_an_rfp_restart_counts_an_rfp_reset(site: Site) -> None:
    before = (await counters(site.axi, site.rfp_b))[Elem.RFP_RESETS]
    await site.control.power_rfp(site.rfp_b, False)
    await site.control.power_rfp(site.rfp_b, True)
    await until_counter(site.axi, site.rfp_b, Elem.RFP_RESETS, before + 1)


async def test_reset_clears_one_rfp_or_all(site: Site) -> None:
    await site.axi.request("ResetRFPStatistic", {"id": site.rfp_b, "elemId": int(Elem.RFP_RESETS)})
    assert (await counters(site.axi, site.rfp_b))[Elem.RFP_RESETS] == 0
    await site.axi.request("ResetRFPStatistic", {"id": -1})
    for rfp_id in (site.rfp_a, site.rfp_b):
        values = await counters(site.axi, rfp_id)
        assert values[:Elem.CONNECTIONS_01_03] == [0] * Elem.CONNECTIONS_01_03
    bad = await site.axi.request("ResetRFPStatistic", {"id": 99}, check=False)
    assert bad.attrs["errCode"] == "ENoEnt"


async def test_quality_answers(site: Site) -> None:
    await connect(site, "303", "304")
    await hang_up(site, "303", "304")
    sync = await site.axi.request("GetRFPSyncQuality", {"id": 0, "maxRecords": 20})
    by_id = {q.attrs["id"]: q.attrs for q in sync.children}
    assert set(by_id) == {str(site.rfp_a), str(site.rfp_b)}
    assert int(by_id[str(site.rfp_a)]["strongRels"]) + int(
        by_id[str(site.rfp_a)]["lowRels"]) >= 1
    ip = await site.axi.request("GetRFPIpQuality", {"id": site.rfp_a})
    (q,) = ip.children
    assert int(q.attrs["connectedTime"]) >= 0
    # The call's closed streams reported MEDIA_STATISTICS, summed per RFP.
    async def streams() -> dict[str, str] | None:
        ms = await site.axi.request("GetRFPMediaStreamQuality", {"id": site.rfp_a})
        (msq,) = ms.children
        return msq.attrs if int(msq.attrs["connects"]) >= 2 else None
    msq = await until(streams, "both streams of the call on RFP A reported")
    assert int(msq["packetsRx"]) > 0 and int(msq["duration"]) >= 0
    await site.axi.request("ResetRFPMediaStreamQuality", {"id": site.rfp_a})
    ms = await site.axi.request("GetRFPMediaStreamQuality", {"id": site.rfp_a})
    assert ms.children[0].attrs["connects"] == "0"



async def test_system_statistics_count_calls_and_pps_in_them(site: Site) -> None:
    config = await site.axi.request("GetSysStatisticConfig")
    names = {c.attrs["name"]: c.attrs for c in config.children}
    assert names["PPs in a call"]["type"] == "MinMax"
    assert names["Call set-ups"]["type"] == "Occurrence"
    assert {c.attrs["resolution"] for c in config.children} == {"hour"}
    set_ups = int(names["Call set-ups"]["elemId"])
    in_call = int(names["PPs in a call"]["elemId"])
    await site.axi.request("ResetSysStatistic", {"elemId": -1})
    await connect(site, "305", "306")
    await hang_up(site, "305", "306")
    occurrence = await site.axi.request("GetSysStatisticOccurrence",
                                        {"elemId": set_ups, "maxRecords": 2})
    # This hour and the one before (should the test run across the hour): 305 called, 306
    # was offered the call.
    assert int(occurrence.attrs["sum"]) == 2
    assert int(occurrence.attrs["currMeasuredTime"]) % 3600 == 0
    peak = await site.axi.request("GetSysStatisticMinMax",
                                  {"elemId": in_call, "type": "max", "maxRecords": 2})
    assert max(map(int, peak.attrs["counter"].split(","))) == 2
    record = await site.axi.request("GetSysStatisticMinMaxRecord",
                                    {"elemId": in_call, "maxRecords": 2})
    head, *records = record.children
    assert (head.name, head.attrs["counterName"]) == ("sysRecHeader", "PPs in a call")
    assert [r.attrs["rec"] for r in records] == ["0", "1"]
    assert "2" in {r.attrs["cnt"].rpartition(",")[2] for r in records}
    summary = await site.axi.request("GetSysStatisticMinMaxSummary", {"elemId": in_call})
    assert (summary.attrs["min"], summary.attrs["max"]) == ("0", "2")
    assert sum(map(int, summary.attrs["freqDistValues"].split(","))) == int(
        summary.attrs["occurrence"])
    wrong = await site.axi.request("GetSysStatisticMinMax", {"elemId": set_ups}, check=False)
    assert (wrong.attrs["errCode"], wrong.attrs["bad"]) == ("EInval", "elemId")
    none = await site.axi.request("GetSysStatisticOccurrence", {"elemId": 99}, check=False)
    assert none.attrs["errCode"] == "ENoEnt"


async def test_ctl_shows_an_rfps_statistics(site: Site, tmp_path: Path) -> None:
    before = await counters(site.axi, site.rfp_b)
    ready_file = tmp_path / "ready.json"
    assert site.emu.system is not None
    site.emu.system.write_ready_file(ready_file)  # what `sipdect up` leaves for ctl

    def run(*argv: str) -> object:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert ctl.main(["--ready-file", str(ready_file), *argv]) == 0
        return json.loads(out.getvalue())

    one = await asyncio.to_thread(run, "rfp-stats", MAC_B)
    assert isinstance(one, dict)
    assert (one["id"], one["record_set"], one["resolution"]) == (site.rfp_b, 0, "week")
    assert len(one["counters"]) == 9
    assert one["counters"]["RFP health"]["RFP resets"] == before[Elem.RFP_RESETS]
    every = await asyncio.to_thread(run, "rfp-stats", "--set", "2")
    assert isinstance(every, list)
    assert sorted(r["id"] for r in every) == [site.rfp_a, site.rfp_b]
