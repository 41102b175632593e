"""A whole site started at once comes up at a size where start-up cost that grows faster than
the site shows (issue 9): every handset subscribed and location-registered at the OMM and every
user registered at the call server, as `sipdect up` starts them.

The layout is the site benchmark's (sipdect.app.site_bench: RFPs on a grid, handsets beside them,
Configured subscription) with a user per handset. Before the fixed part kept its deadlines in
a heap, each DECT primitive cost a scan of every live connection; with this many handsets
subscribing at once the procedures timed out together and the site never settled. Nothing
here measures time: the waits only have generous deadlines (`sipdect bench site` has the
figures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from site_helpers import Control, call_site_config

from sipdect.app import site_bench
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message
from sipdect.axi.conventions import MAX_RECORDS
from sipdect.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]

RFPS, HANDSETS = 64, 512
READY_TIMEOUT = 240.0
"""Seconds the whole site may take: ~10x a run with both cores busy."""
TRANSACTIONS_PER_IP = 100_000
"""The call server's per-IP transaction limit (MiVO400: 200, a UDP transaction counting until
its Timer J, 32 s) would answer most of 512 REGISTERs from the OMM's one address 503 and retry
them for minutes: a site this size lifts it, as `sipdect bench calls` does."""


def _numbers() -> list[str]:
    return [str(10_000 + i) for i in range(HANDSETS)]


def _site() -> str:
    handsets = {}
    for number, i in zip(_numbers(), range(HANDSETS), strict=True):
        hs = site_bench.handset_config(i, RFPS)
        handsets[number] = (hs.ipei, hs.x, hs.y)
    rfps = [(r.mac, r.x, r.y) for r in site_bench.site_config(RFPS, 0).rfps]
    return call_site_config(
        "scale-test", handsets, {n: f"Scale-Test-{n}x" for n in handsets}, rfps,
        ac=site_bench.AC, extra=f"""
[pbx]
realm = "scale-test"
max_transactions_per_ip = {TRANSACTIONS_PER_IP}
""")


@dataclass
class Progress:
    """How far the site came, true once all of it is there (what a failed wait shows)."""

    registered_on_air: int = 0
    """Handsets holding a TPUI (LOCATE-ACCEPT), from the control API."""
    subscribed_at_omm: int = 0
    """AXI GetPPDevSummary subscribedDevs."""
    registered_at_pbx: int = 0
    """Users with a binding at the call server."""
    handsets_by_display: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return min(self.registered_on_air, self.subscribed_at_omm,
                   self.registered_at_pbx) == HANDSETS


async def _progress(control: Control, axi: AxiClient) -> Progress:
    handsets = await control.handsets()
    summary = await axi.request("GetPPDevSummary")
    users = {r["user"] for r in (await control.pbx())["registrations"]}
    displays: dict[str, int] = {}
    for h in handsets:
        line = (h["display"] or [""])[0]
        displays[line] = displays.get(line, 0) + 1
    return Progress(sum(1 for h in handsets if h["tpui"]),
                    int(summary.attrs["subscribedDevs"]),
                    len(users & set(_numbers())), displays)


async def _devices(axi: AxiClient) -> list[dict[str, str]]:
    """Every device record, paged as AXI clients page (next ppn = last + 1 until ENoEnt)."""
    found: list[dict[str, str]] = []
    start = 1
    while True:
        resp = await axi.request("GetPPDev", {"ppn": start, "maxRecords": MAX_RECORDS},
                                 check=False)
        if resp.attrs.get("errCode") == "ENoEnt":
            return found
        records = [dict(c.attrs) for c in resp.children if c.name == "pp"]
        found += records
        start = int(records[-1]["ppn"]) + 1


@dataclass
class Behind:
    """Devices whose PPState does not show them registered yet; true once there are none."""

    ppns: list[str]

    def __bool__(self) -> bool:
        return not self.ppns


async def _pp_states(axi: AxiClient, ppns: list[int]) -> list[Message]:
    return [await axi.request("GetPPState", {"ppn": ppn}) for ppn in ppns]


async def test_a_site_of_64_rfps_and_512_handsets_started_at_once_registers_everyone(
        tmp_path: Any) -> None:
    async with Emulator(_site(), tmp_path) as emu:
        assert emu.system is not None and emu.system.control is not None
        omm = emu.omm
        async with Control.of(emu.system) as control, \
                await AxiClient.connect(omm.host, omm.port) as axi:
            await axi.login(omm.username, omm.password)
            await until(lambda: _progress(control, axi),
                        f"{HANDSETS} handsets registered on the air, subscribed at the OMM and "
                        "their users at the call server", timeout=READY_TIMEOUT, interval=0.5)
            devices = await _devices(axi)
            assert len(devices) == HANDSETS and all(d["s"] == "Yes" for d in devices)
            ppns = [int(d["ppn"]) for d in devices]

            async def behind() -> Behind:
                # callState leaves "none" with a DECT location registration; `registered` is
                # the user's SIP registration, which the OMM hears just after the server.
                states = await _pp_states(axi, ppns)
                return Behind([s.attrs["ppn"] for s in states if s.attrs["callState"] != "idle"
                               or s.attrs["registered"] != "1"])

            await until(behind, "every device location-registered and its user SIP-registered "
                        "in the OMM's PPState", timeout=60.0, interval=0.5)
