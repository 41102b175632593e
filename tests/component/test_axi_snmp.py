"""Get/SetSNMP and EventSNMPCnf over AXI (schema SNMPType; seed 000 "SNMP Support"): factory
values without a community, validation, persistence, every answer checked against the schema
dictionary (tests/system/test_schema_conformance.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from sipdect.app.emulator import OmmHandle
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, render

sys.path.append(str(Path(__file__).resolve().parents[1] / "system"))
from test_schema_conformance import frame_violations  # noqa: E402

FIELDS = ("readCommunity", "contact", "enableTraps", "trapCommunity", "trapHostAddr")


def conforms(message: Message) -> None:
    raw = render(message)
    assert frame_violations(raw) == [], (raw, frame_violations(raw))


async def test_factory_values_have_no_community_and_a_set_is_kept_and_announced(
        axi: AxiClient, omm: OmmHandle) -> None:
    got = await axi.request("GetSNMP")
    conforms(got)
    assert {k: got.attrs[k] for k in FIELDS} == {
        "readCommunity": "", "contact": "", "enableTraps": "0", "trapCommunity": "",
        "trapHostAddr": ""}
    # AXI booleans go out as 0/1 (axi.md §2.3).
    watcher = await AxiClient.connect(omm.host, omm.port)
    await watcher.login(omm.username, omm.password)
    await watcher.subscribe("SystemCnf")
    try:
        values = {"readCommunity": "ro-Kx81", "contact": "ops@example.org",
                  "enableTraps": "1", "trapCommunity": "trap-Kx81",
                  "trapHostAddr": "192.0.2.9"}
        done = await axi.request("SetSNMP", values)
        conforms(done)
        assert {k: done.attrs[k] for k in FIELDS} == values
        event = await watcher.next_event("EventSNMPCnf")
        conforms(event)
        assert event.attrs["readCommunity"] == "ro-Kx81"
        again = await axi.request("GetSNMP")
        assert {k: again.attrs[k] for k in FIELDS} == values
        assert dict(omm.model.settings.store.load_json("settings"))["SNMP"][
            "trapCommunity"] == "trap-Kx81"
    finally:
        await watcher.close()


async def test_what_the_rfps_cannot_take_is_refused(axi: AxiClient) -> None:
    for attrs, bad in (({"trapHostAddr": "trapsink.example"}, "trapHostAddr"),
                       ({"readCommunity": "x" * 41}, "readCommunity"),
                       ({"contact": "Zoë ☎"}, "contact")):
        answer = await axi.request("SetSNMP", attrs, check=False)
        conforms(answer)
        assert answer.attrs["errCode"] in ("EInval", "ETooLong"), answer
        assert bad in answer.attrs.get("info", "") + answer.attrs.get("bad", bad), answer
