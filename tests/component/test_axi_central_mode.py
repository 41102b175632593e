"""The OMM side of MOM sync over AXI (docs/mom.md), the test playing the MOM with the kit's AXI
client: central mode and its health, the SARI, sync-only attributes, the roaming requests'
refusals, and a user's SIP registration following its device's ommIdAck."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sim.pbx import PbxConfig, PbxServer
from sipdect.app.emulator import OmmHandle
from sipdect.axi import sync
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element
from sipdect.waiting import until
from tests.component.test_axi_server import encrypt

OTHER_OMM = "10FFFF00"
IPEI = "03074 0220259 3"
UAK = "00112233445566778899AABBCCDDEEFF"
PASSWORD = "Alice-pw1"


@pytest.fixture
async def mom(omm: OmmHandle) -> AsyncIterator[AxiClient]:
    """The MOM's sync session (UserDeviceSyncClient)."""
    client = await AxiClient.connect(omm.host, omm.port)
    await client.login(omm.username, omm.password, sync_client=True)
    yield client
    await client.close()


@pytest.fixture
async def pbx() -> AsyncIterator[PbxServer]:
    server = await PbxServer.start(PbxConfig(accounts={"1001": PASSWORD}))
    yield server
    await server.close()


async def health(axi: AxiClient) -> dict[str, str]:
    r = await axi.request("GetHealthState")
    found = [h.attrs for h in r.children_named("health")
             if h.attrs["component"] == "userDeviceSync"]
    return found[0] if found else {}


def child(msg: Message, name: str) -> dict[str, str]:
    c = msg.child(name)
    assert c is not None, msg
    return c.attrs


async def test_central_mode_is_a_persistent_setting_with_its_health(
        omm: OmmHandle, axi: AxiClient) -> None:
    assert axi.open_response is not None
    opened = axi.open_response.attrs
    assert (opened["haveUserDeviceSync"], opened["haveSARI"], opened["sari"]) == (
        "true", "true", "0000000000")
    await axi.subscribe("SystemCnf", "SystemState")
    r = await axi.request("SetUserDeviceSyncOMM", {"enable": "1", "omm1DomainName": "mom.lab",
                                                   "password": "ignored"})
    assert (r.attrs["enable"], r.attrs["omm1DomainName"], r.attrs["password"]) == (
        "1", "mom.lab", "")
    event = await axi.next_event("EventUserDeviceSyncOMMCnf")
    assert event.attrs["enable"] == "1"
    assert (await axi.request("GetUserDeviceSyncOMM")).attrs["omm1DomainName"] == "mom.lab"

    assert (await health(axi))["reasonCode"] == "SARI not configured on central OMM"

    async def lost() -> bool:
        return (await health(axi)).get("reasonCode") == \
            "Cannot connect to external AXI / lost AXI connection"

    await until(lost, "userDeviceSync to report the missing sync session",
                timeout=4 * sync.SYNC_LOST_GRACE_S)
    assert (await health(axi))["severity"] == "Error"
    mom = await AxiClient.connect(omm.host, omm.port)
    await mom.login(omm.username, omm.password, sync_client=True)
    assert (await health(axi))["reasonCode"] == "SARI not configured on central OMM"
    r = await axi.request("SetSARI", {"sari": "1f10dec700"})
    assert r.attrs["sari"] == "1F10DEC700"
    assert (await axi.next_event("EventSARICnf")).attrs["sari"] == "1F10DEC700"
    assert (await health(axi))["severity"] == "OK"
    bad = await axi.request("SetSARI", {"sari": "12"}, check=False)
    assert (bad.attrs["errCode"], bad.attrs["bad"]) == ("EInval", "sari")
    await mom.close()
    log = await axi.request("GetEventLogBuffer", {"maxRecords": 100})
    texts = [e.attrs["msg"] for e in log.children_named("e")]
    assert any("sync session" in t and "logged in" in t for t in texts)
    await until(lambda: _ended(axi), "the session's end in the event log")


async def _ended(axi: AxiClient) -> bool:
    log = await axi.request("GetEventLogBuffer", {"maxRecords": 100})
    return any("sync session" in e.attrs["msg"] and "ended" in e.attrs["msg"]
               for e in log.children_named("e"))


async def test_only_a_sync_session_writes_sync_attributes_and_a_repush_is_silent(
        omm: OmmHandle, axi: AxiClient, mom: AxiClient) -> None:
    await axi.request("SetUserDeviceSyncOMM", {"enable": "1"})
    local = child(await axi.request("CreatePPDev", children=[element("pp", {
        "ipei": IPEI, "ommId": OTHER_OMM, "uak": UAK, "s": "Yes"})]), "pp")
    assert local["ommId"] == local["ommIdAck"] != OTHER_OMM  # its own, not what was sent
    assert local["s"] == "No" and local["uak"] == ""
    await mom.subscribe("PPCnf", ppn=-1, uid=-1)
    stamps = {"ommId": OTHER_OMM, "ommIdAck": OTHER_OMM, "roaming": sync.ROAMING_COMPLETE,
              "timeStampRoaming": "1700000002", "uak": UAK, "s": "Yes"}
    pushed = child(await mom.request("CreatePPDev", children=[element("pp", {
        "ipei": "00100 0000001 4", **stamps})]), "pp")
    assert {k: pushed[k] for k in stamps} == stamps
    await mom.next_event("EventPPCnf")
    again = await mom.request("SetPPDev", children=[element("pp", {"ppn": pushed["ppn"],
                                                                   **stamps})])
    assert child(again, "pp")["timeStamp"] == pushed["timeStamp"]
    await axi.request("SetPPDev", children=[element("pp", {"ppn": local["ppn"],
                                                           "encrypt": "0"})])
    event = await mom.next_event("EventPPCnf")  # the local change; nothing for the re-push
    assert child(event, "pp")["ppn"] == local["ppn"]
    await axi.request("DeletePPDev", {"ppn": local["ppn"]})
    deleted = await mom.next_event("EventPPCnf")
    assert deleted.attrs["deletedDev"] == "1"
    assert child(deleted, "pp") == {"ppn": local["ppn"], "ppnSec": "0"}


async def test_the_roaming_requests_are_a_sync_sessions_and_need_a_held_request(
        axi: AxiClient, mom: AxiClient) -> None:
    for name in ("DECTLocateReject", "DECTSubscribeReject", "PPSIPRegister"):
        r = await axi.request(name, {"ipei": IPEI, "uid": 1}, check=False)
        assert r.attrs["errCode"] == "EPerm", name
    r = await mom.request("DECTLocateReject", {"ipei": IPEI, "reason": "unknown"}, check=False)
    assert (r.attrs["errCode"], r.attrs["bad"]) == ("ENoEnt", "ipei")
    r = await mom.request("DECTSubscribeReject", {"ipei": "nonsense"}, check=False)
    assert (r.attrs["errCode"], r.attrs["bad"]) == ("EInval", "ipei")


def bound(pbx: PbxServer) -> bool:
    return pbx.registrar.lookup("1001", pbx.transport.now()) is not None


async def test_a_users_registration_follows_its_devices_omm_id_ack(
        omm: OmmHandle, axi: AxiClient, mom: AxiClient, pbx: PbxServer) -> None:
    assert axi.open_response is not None
    await axi.request("SetUserDeviceSyncOMM", {"enable": "1"})
    await axi.request("SetBasicSIP", {"regServer": pbx.address.host,
                                      "regPort": pbx.address.port, "regPeriod": 600})
    user = child(await axi.request("CreatePPUser", children=[element("user", {
        "num": "1001", "sipPw": encrypt(axi.open_response, PASSWORD)})]), "user")
    own = child(await axi.request("CreatePPDev", children=[element("pp", {})]), "pp")["ommId"]
    uid, ppn = user["uid"], "1"
    await mom.request("SetPP", children=[
        element("pp", {"ppn": ppn, "uid": uid, "relType": "Fixed"}),
        element("user", {"uid": uid, "ppn": ppn, "relType": "Fixed"})])
    await until(lambda: bound(pbx), "1001 registered at the PBX")
    await mom.subscribe("Roaming")
    await mom.request("SetPP", children=[element("pp", {"ppn": ppn, "ommId": OTHER_OMM,
                                                        "ommIdAck": OTHER_OMM})])
    event = await mom.next_event("EventPPSIPDeregistered")
    assert event.attrs["uid"] == uid
    await until(lambda: not bound(pbx), "1001's binding to go (Expires 0)")
    refused = await mom.request("PPSIPRegister", {"uid": uid}, check=False)
    assert refused.attrs["errCode"] == "EInval"
    await mom.request("SetPP", children=[element("pp", {"ppn": ppn, "ommId": own,
                                                        "ommIdAck": own})])
    await until(lambda: bound(pbx), "1001 registered again from here")
    await mom.request("PPSIPDeregister", {"uid": uid})
    assert (await mom.next_event("EventPPSIPDeregistered")).attrs["uid"] == uid
    await until(lambda: not bound(pbx), "1001 deregistered on request")
    await mom.request("PPSIPRegister", {"uid": uid})
    await until(lambda: bound(pbx), "1001 registered on request")
