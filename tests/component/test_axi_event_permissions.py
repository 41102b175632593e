"""Which events an alarm server's account may subscribe to (omm.axi.handlers.session
EVENT_ALSO_FOR): RFP and alarm events with Monitoring or Alerting, the configuration's Cnf
events only with AllCnfRead."""

from __future__ import annotations

from sipdect.app.emulator import OmmHandle
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element

ALARM_SERVER = ("Messaging", "Alerting", "LocatingAlert", "Locating", "Monitoring")


async def test_an_alarm_servers_account_hears_rfp_and_alarm_events_but_no_configuration(
        omm: OmmHandle, axi: AxiClient) -> None:
    password = "Alarm-Server-Pw-2026!"
    await axi.request("CreateAccount", children=[element(
        "account", {"username": "alarms", "password": password, "active": "true"},
        [Message("permission", text=p) for p in ALARM_SERVER])])
    client = await AxiClient.connect(omm.host, omm.port)
    try:
        await client.login("alarms", password)
        for event_type, refused in (("RFPState", False), ("AlarmTrigger", False),
                                    ("AlarmCallProgress", False), ("PPState", False),
                                    ("PPUserSummary", False),  # user monitoring counters
                                    ("PPUserCnf", True), ("SystemState", True)):
            resp = await client.request("Subscribe", children=[
                element("e", {"cmd": "On", "eventType": event_type})], check=False)
            assert (resp.attrs.get("errCode") == "EPerm") is refused, event_type
    finally:
        await client.close()
