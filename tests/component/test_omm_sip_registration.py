"""The OMM registers its DECT users at the BasicSIP registrar (features.md §2.7): an AXI-created
user with a SIP password shows up in the embedded PBX's registrar and in GetPPState of its
device, a wrong password lands in the event log, deleting the user unregisters it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sim.pbx import PbxConfig, PbxServer
from sipdect.app.emulator import OmmHandle
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element
from sipdect.waiting import until
from tests.component.test_axi_server import encrypt

ACCOUNTS = {"1001": "Alice-pw1", "1002": "Bob-pw22"}


@pytest.fixture
async def pbx() -> AsyncIterator[PbxServer]:
    server = await PbxServer.start(PbxConfig(accounts=ACCOUNTS))
    yield server
    await server.close()


async def use_pbx(axi: AxiClient, pbx: PbxServer) -> Message:
    return await axi.request("SetBasicSIP", {"regServer": pbx.address.host,
                                             "regPort": pbx.address.port, "regPeriod": 600})


async def create_user(axi: AxiClient, num: str, password: str) -> int:
    assert axi.open_response is not None
    r = await axi.request("CreatePPUser", children=[element("user", {
        "num": num, "sipPw": encrypt(axi.open_response, password)})])
    return int(r.child("user").attrs["uid"])  # type: ignore[union-attr]


def bound(pbx: PbxServer, user: str) -> bool:
    return pbx.registrar.lookup(user, pbx.transport.now()) is not None


async def test_basic_sip_defaults_mean_no_registration(axi: AxiClient) -> None:
    r = await axi.request("GetBasicSIP")
    assert (r.attrs["regServer"], r.attrs["regPort"], r.attrs["regPeriod"],
            r.attrs["transportProt"]) == ("", "5060", "3600", "UDP")


async def test_user_registers_shows_in_pp_state_and_unregisters_on_delete(
        omm: OmmHandle, axi: AxiClient, pbx: PbxServer) -> None:
    r = await use_pbx(axi, pbx)
    assert r.attrs["regPort"] == str(pbx.address.port)
    uid = await create_user(axi, "1001", ACCOUNTS["1001"])
    await until(lambda: bound(pbx, "1001"), "1001's binding at the PBX")
    binding = pbx.registrar.lookup("1001", pbx.transport.now())
    assert binding is not None and 590 <= binding.remaining(pbx.transport.now()) <= 600
    ppn = int((await axi.request("CreatePPDev", children=[element("pp", {})])
               ).child("pp").attrs["ppn"])  # type: ignore[union-attr]
    sync = await AxiClient.connect(omm.host, omm.port)
    await sync.login(omm.username, omm.password, sync_client=True)
    await sync.request("SetPP", children=[
        element("pp", {"ppn": ppn, "uid": uid, "relType": "Fixed"}),
        element("user", {"uid": uid, "ppn": ppn, "relType": "Fixed"})])
    await sync.close()
    state = await axi.request("GetPPState", {"ppn": ppn})
    assert (state.attrs["registered"], state.attrs["regServerType"],
            state.attrs["regServerAddr"], state.attrs["regServerPort"]) == (
        "1", "Primary", pbx.address.host, str(pbx.address.port))
    await axi.subscribe("PPState", ppn=-1)
    await axi.request("DeletePPUser", {"uid": uid})
    event = await axi.next_event("EventPPState")
    assert (event.attrs["ppn"], event.attrs["registered"]) == (str(ppn), "0")
    await until(lambda: not bound(pbx, "1001"), "1001's binding to go")
    state = await axi.request("GetPPState", {"ppn": ppn})
    assert state.attrs["registered"] == "0"


async def test_wrong_password_is_logged_and_not_registered(
        omm: OmmHandle, axi: AxiClient, pbx: PbxServer) -> None:
    await use_pbx(axi, pbx)
    await create_user(axi, "1002", "not-the-password")

    def failed() -> bool:
        return any("SIP registration of user 1002 failed: " in e.msg
                   for e in omm.model.event_log.entries(0, 100))

    await until(failed, "the failure in the event log")
    assert not bound(pbx, "1002")
    assert omm.service.sip.users[1].registered is False


async def test_refresh_at_half_the_granted_interval(omm: OmmHandle, axi: AxiClient) -> None:
    short = await PbxServer.start(PbxConfig(accounts=ACCOUNTS, min_expires=1,
                                            default_expires=1, max_expires=1))
    try:
        await use_pbx(axi, short)  # asks for 600 s, is granted 1 s: refresh every 0.5 s
        await create_user(axi, "1001", ACCOUNTS["1001"])
        first = await until(lambda: short.registrar.lookup("1001", short.transport.now()),
                            "1001's binding")

        def refreshed() -> bool:
            # still bound once the first binding's second has run out: the OMM refreshed it
            now = short.transport.now()
            return now > first.expires_at and bound(short, "1001")

        await until(refreshed, "a binding that outlives the first one")
        assert omm.service.sip.users[1].expires == 1
    finally:
        await short.close()


async def test_new_password_and_new_registrar_re_register(
        omm: OmmHandle, axi: AxiClient, pbx: PbxServer) -> None:
    await use_pbx(axi, pbx)
    assert axi.open_response is not None
    uid = await create_user(axi, "1002", "wrong")
    await axi.request("SetPPUser", children=[element("user", {
        "uid": uid, "sipPw": encrypt(axi.open_response, ACCOUNTS["1002"])})])
    await until(lambda: bound(pbx, "1002"), "1002's binding after the new password")
    other = await PbxServer.start(PbxConfig(accounts=ACCOUNTS))
    try:
        await use_pbx(axi, other)
        await until(lambda: bound(other, "1002") and not bound(pbx, "1002"),
                    "1002 moving to the other registrar")
        await axi.request("SetBasicSIP", {"regServer": ""})
        await until(lambda: not bound(other, "1002"), "1002 unregistered without a server")
        assert omm.service.sip.users == {}
    finally:
        await other.close()


async def test_user_without_sip_password_is_not_registered(
        omm: OmmHandle, axi: AxiClient, pbx: PbxServer) -> None:
    await use_pbx(axi, pbx)
    await axi.request("CreatePPUser", children=[element("user", {"num": "1001"})])
    # A user created after it, with a password, registers: the OMM has looked at both.
    await create_user(axi, "1002", ACCOUNTS["1002"])
    await until(lambda: bound(pbx, "1002"), "1002's binding")
    assert not bound(pbx, "1001")
    assert [u.num for u in omm.service.sip.users.values()] == ["1002"]


async def test_backup_secure_sip_and_dtmf_groups_over_axi(axi: AxiClient) -> None:
    backup = await axi.request("GetBackupSIP")
    assert (backup.attrs["failoverActive"], backup.attrs["failoverTime"],
            backup.attrs["secondaryRegPort"]) == ("0", "30", "5060")
    r = await axi.request("SetBackupSIP", {"failoverActive": "true",
                                           "secondaryRegServer": "10.0.0.2"})
    assert (r.attrs["failoverActive"], r.attrs["secondaryRegServer"]) == ("1", "10.0.0.2")
    secure = await axi.request("SetSecureSIP", {"commonNameValidationTLS": "false"})
    assert (secure.attrs["authenticationTLS"], secure.attrs["commonNameValidationTLS"]) == (
        "1", "0")
    dtmf = await axi.request("GetDTMF")
    assert (dtmf.attrs["method"], dtmf.attrs["payloadType"]) == ("RFC2833", "101")
    basic = await axi.request("SetBasicSIP", {"outboundProxyServer": "10.0.0.9"})
    assert (basic.attrs["outboundProxyServer"], basic.attrs["outboundProxyPort"]) == (
        "10.0.0.9", "5060")
