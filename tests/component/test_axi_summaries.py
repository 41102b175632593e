"""Summary events follow the state the per-record answers show (axi.md §4.3, §5.6).

The OMM's SIP side reports a user's registration as PPState of the user's device; the
registration here is reported the way omm.sip does it (SipRegistration on the OMM hub), and
AXI shows it in GetPPState, GetPPUserSummary and a pushed EventPPUserSummary alike. The
whole path with a call server is in tests/system/test_site_summaries.py.
"""

from __future__ import annotations

from pathlib import Path

from omm.hub import SipRegistration
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element


async def test_a_registration_moves_the_user_summary_and_its_event(tmp_path: Path) -> None:
    async with Emulator(None, tmp_path) as emu:
        axi = await AxiClient.connect(emu.omm.host, emu.omm.port)
        try:
            await axi.login(emu.omm.username, emu.omm.password, sync_client=True)
            uid = (await axi.request("CreatePPUser", children=[element(
                "user", {"num": "4711"})])).child("user").attrs["uid"]  # type: ignore[union-attr]
            ppn = (await axi.request("CreatePPDev", children=[element(
                "pp", {})])).child("pp").attrs["ppn"]  # type: ignore[union-attr]
            await axi.request("SetPP", children=[
                element("pp", {"ppn": ppn, "uid": uid, "relType": "Dynamic"}),
                element("user", {"uid": uid, "ppn": ppn, "relType": "Dynamic"})])
            await axi.subscribe("PPUserSummary")
            service = emu.omm.service

            def sip_reports(values: dict[str, str]) -> None:  # as omm.sip does on the hub
                service.model.hub.publish(SipRegistration(int(ppn), values))
                service.api.deliver()

            sip_reports({"registered": "1", "regServerType": "Primary"})
            event = await axi.next_event("EventPPUserSummary")
            assert event.attrs["nSipRegistration"] == "1"
            assert (await axi.request("GetPPState", {"ppn": ppn})).attrs["registered"] == "1"
            summary = await axi.request("GetPPUserSummary")
            assert {k: v for k, v in summary.attrs.items() if k != "seq"} == event.attrs
            sip_reports({"registered": "0", "regServerType": "None"})
            event = await axi.next_event("EventPPUserSummary")
            assert event.attrs["nSipRegistration"] == "0"
        finally:
            await axi.close()
