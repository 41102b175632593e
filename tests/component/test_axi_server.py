"""The OMM's AXI over loopback: login, errors, users, devices, relations, events (axi.md)."""

from __future__ import annotations

import asyncio
import base64

import pytest
import rsa

from sipdect.app.emulator import OmmHandle
from sipdect.axi.client import AxiClient, AxiResponseError
from sipdect.axi.codec import Message, element
from sipdect.waiting import DEFAULT_TIMEOUT


def encrypt(open_or_key: Message, text: str) -> str:
    """What real clients do with PINs and SIP passwords (axi.md §2.4)."""
    key = open_or_key.child("publicKey") or open_or_key
    pub = rsa.PublicKey(int(key.attrs["modulus"], 16), int(key.attrs["exponent"], 16))
    return base64.b64encode(rsa.encrypt(text.encode(), pub)).decode()


async def connect(omm: OmmHandle) -> AxiClient:
    return await AxiClient.connect(omm.host, omm.port)


# -- login -------------------------------------------------------------------------

async def test_open_returns_version_and_public_key(omm: OmmHandle) -> None:
    c = await connect(omm)
    resp = await c.login(omm.username, omm.password)
    assert resp.attrs["protocolVersion"].isdigit()
    assert resp.attrs["ommStbState"] == "None"
    key = resp.child("publicKey")
    assert key is not None and len(key.attrs["exponent"]) % 2 == 0
    await c.close()


async def test_wrong_password_gets_eauth_and_lands_in_the_event_log(omm: OmmHandle,
                                                                    axi: AxiClient) -> None:
    c = await connect(omm)
    resp = await c.login(omm.username, "wrong", check=False)
    assert resp.attrs["errCode"] == "EAuth"
    assert resp.child("publicKey") is None
    assert "ommVersion" in resp.attrs  # a real OMM still says who it is
    # the link stays "new": nothing but Open is served, and a retry may succeed
    assert (await c.request("GetPPUser", {"uid": 1}, check=False)).attrs["errCode"] == "EPerm"
    await c.login(omm.username, omm.password)
    await c.close()
    log = await axi.request("GetEventLogBuffer", {"id": 0, "maxRecords": 20})
    texts = [e.attrs["msg"] for e in log.children_named("e")]
    assert any("failed" in t and omm.username in t for t in texts)


async def test_requests_before_login_are_refused(omm: OmmHandle) -> None:
    c = await connect(omm)
    resp = await c.request("GetPPDev", {"ppn": 1}, check=False)
    assert resp.attrs["errCode"] == "EPerm"
    await c.close()


async def test_second_open_is_refused(axi: AxiClient, omm: OmmHandle) -> None:
    resp = await axi.request("Open", {"username": omm.username, "password": omm.password},
                             check=False)
    assert resp.attrs["errCode"] == "EForbidden"


async def test_request_without_seq_gets_response_without_seq(axi: AxiClient) -> None:
    resp = await axi.request("Ping", seq=False)
    assert resp.attrs == {}


async def test_pipelined_requests_are_answered_in_order(axi: AxiClient) -> None:
    results = await asyncio.gather(*[axi.request("Ping") for _ in range(20)])
    seqs = [int(r.attrs["seq"]) for r in results]
    assert seqs == sorted(seqs)


# -- errors ------------------------------------------------------------------------

async def test_unknown_element_and_unsupported_request(axi: AxiClient) -> None:
    r = await axi.request("FrobnicateOMM", check=False)
    assert r.name == "FrobnicateOMMResp" and r.attrs["errCode"] == "EInval"
    assert r.attrs["bad"] == "FrobnicateOMM"
    r = await axi.request("GetWLANProfile", {"id": 0}, check=False)  # in the schema
    assert r.attrs["errCode"] == "EFailed"


async def test_missing_bad_and_too_long_values_name_the_attribute(axi: AxiClient) -> None:
    r = await axi.request("GetPPUser", check=False)
    assert (r.attrs["errCode"], r.attrs["bad"]) == ("EMissing", "uid")
    r = await axi.request("GetPPUser", {"uid": "x"}, check=False)
    assert (r.attrs["errCode"], r.attrs["bad"]) == ("EInval", "uid")
    r = await axi.request("CreatePPUser", children=[element("user", {"hierarchy1": "x" * 17})],
                          check=False)
    assert (r.attrs["errCode"], r.attrs["bad"], r.attrs["maxLen"]) == ("ETooLong",
                                                                       "hierarchy1", "16")
    r = await axi.request("CreatePPUser", children=[element("user", {"forwardState": "Maybe"})],
                          check=False)
    assert (r.attrs["errCode"], r.attrs["bad"]) == ("EInval", "forwardState")


async def test_malformed_xml_gets_einval_and_the_session_continues(axi: AxiClient) -> None:
    await axi.send_raw(b'<GetPPUser seq="900" uid=1>\0')
    # No request of the client's own waits for seq 900, so the answer lands with the events.
    answer = await axi.next_event("GetPPUserResp")
    assert (answer.attrs["seq"], answer.attrs["errCode"]) == ("900", "EInval")
    assert (await axi.request("Ping")).name == "PingResp"


async def test_garbage_closes_only_that_connection(omm: OmmHandle, axi: AxiClient) -> None:
    bad = await connect(omm)
    await bad.send_raw(b"\x00\x01\x02garbage-without-a-tag\0")
    await asyncio.wait_for(bad.closed.wait(), DEFAULT_TIMEOUT)
    assert (await axi.request("Ping")).name == "PingResp"


async def test_endless_message_closes_that_connection(omm: OmmHandle, axi: AxiClient) -> None:
    bad = await connect(omm)
    await bad.send_raw(b"<Ping " + b"x" * 100_000)
    await asyncio.wait_for(bad.closed.wait(), DEFAULT_TIMEOUT)
    assert (await axi.request("Ping")).name == "PingResp"


# -- users and devices ---------------------------------------------------------------

async def test_user_lifecycle_with_encrypted_pin(axi: AxiClient) -> None:
    assert axi.open_response is not None
    pin = encrypt(axi.open_response, "4711")
    r = await axi.request("CreatePPUser", children=[element("user", {
        "name": "Alice", "num": "1001", "pin": pin, "sipAuthId": "1001",
        "sipPw": encrypt(axi.open_response, "secret"), "hierarchy1": "Ward 3"})])
    user = r.child("user")
    assert user is not None
    uid = int(user.attrs["uid"])
    assert user.attrs["relType"] == "Unbound" and user.attrs["msgRight"] == "1"
    assert user.attrs["pin"] and user.attrs["pin"] != "4711"  # opaque blob, never clear
    r = await axi.request("GetPPUserByNumber", {"num": "1001"})
    assert r.child("user").attrs["uid"] == str(uid)  # type: ignore[union-attr]
    r = await axi.request("SetPPUser", children=[element("user", {"uid": uid, "name": "Bob"})])
    assert r.child("user").attrs["name"] == "Bob"  # type: ignore[union-attr]
    r = await axi.request("CreatePPUser", children=[element("user", {"num": "1001"})],
                          check=False)
    assert (r.attrs["errCode"], r.attrs["bad"]) == ("EExist", "num")
    await axi.request("DeletePPUser", {"uid": uid})
    r = await axi.request("GetPPUser", {"uid": uid}, check=False)
    assert r.attrs["errCode"] == "ENoEnt"


async def test_pin_in_clear_text_is_refused(axi: AxiClient) -> None:
    r = await axi.request("CreatePPUser", children=[element("user", {"pin": "1234"})],
                          check=False)
    assert (r.attrs["errCode"], r.attrs["bad"]) == ("EInval", "pin")


async def test_paging_returns_ascending_records_and_ends_with_enoent(axi: AxiClient) -> None:
    for i in range(25):
        await axi.request("CreatePPUser", children=[element("user", {"num": str(2000 + i)})])
    seen: list[int] = []
    start = 1
    while True:
        r = await axi.request("GetPPUser", {"uid": start, "maxRecords": 20}, check=False)
        if r.attrs.get("errCode") == "ENoEnt":
            break
        uids = [int(u.attrs["uid"]) for u in r.children_named("user")]
        assert 0 < len(uids) <= 20
        seen += uids
        start = uids[-1] + 1
    assert len(seen) == 25 and seen == sorted(seen)
    summary = await axi.request("GetPPUserSummary")
    assert summary.attrs["nRecords"] == "25"


async def test_devices_by_ppn_and_ipei(axi: AxiClient) -> None:
    r = await axi.request("CreatePPDev", children=[element("pp", {"ipei": "03074 0220259 3",
                                                                  "ac": "1234"})])
    pp = r.child("pp")
    assert pp is not None and pp.attrs["s"] == "No" and pp.attrs["encrypt"] == "1"
    ppn = int(pp.attrs["ppn"])
    r = await axi.request("GetPPDevByIPEI", {"ipei": "03074 0220259 3"})
    assert r.child("pp").attrs["ppn"] == str(ppn)  # type: ignore[union-attr]
    r = await axi.request("CreatePPDev", children=[element("pp", {"ipei": "03074 0220259 3"})],
                          check=False)
    assert (r.attrs["errCode"], r.attrs["bad"]) == ("EExist", "ipei")
    r = await axi.request("CreatePPDev", children=[element("pp", {"ipei": "03074 0220259 9"})],
                          check=False)
    assert (r.attrs["errCode"], r.attrs["bad"]) == ("EInval", "ipei")
    r = await axi.request("SetPPDev", children=[element("pp", {"ppn": ppn, "encrypt": "false"})])
    assert r.child("pp").attrs["encrypt"] == "0"  # type: ignore[union-attr]
    r = await axi.request("GetPPDevSummary")
    assert r.attrs["nRecords"] == "1" and r.attrs["subscribedDevs"] == "0"
    await axi.request("DeletePPDev", {"ppn": ppn})


async def test_setpp_binds_and_unbinds_user_and_device(omm: OmmHandle) -> None:
    c = await connect(omm)
    await c.login(omm.username, omm.password, sync_client=True)
    uid = int((await c.request("CreatePPUser", children=[element("user", {"num": "3001"})])
               ).child("user").attrs["uid"])  # type: ignore[union-attr]
    ppn = int((await c.request("CreatePPDev", children=[element("pp", {})])
               ).child("pp").attrs["ppn"])  # type: ignore[union-attr]
    r = await c.request("SetPP", children=[
        element("pp", {"ppn": ppn, "uid": uid, "relType": "Dynamic"}),
        element("user", {"uid": uid, "ppn": ppn, "relType": "Dynamic"})])
    assert r.child("pp").attrs["uid"] == str(uid)  # type: ignore[union-attr]
    assert r.child("user").attrs["relType"] == "Dynamic"  # type: ignore[union-attr]
    r = await c.request("SetPPUserDevRelation", {"uid": uid, "relType": "Fixed"})
    assert r.attrs["relType"] == "Fixed"
    r = await c.request("GetPP", {"uid": uid, "ppn": 0})
    assert r.child("pp").attrs["relType"] == "Fixed"  # type: ignore[union-attr]
    r = await c.request("SetPP", children=[
        element("pp", {"ppn": ppn, "uid": 0, "relType": "Unbound"}),
        element("user", {"uid": uid, "ppn": 0, "relType": "Unbound"})])
    user = r.child("user")
    assert user is not None and user.attrs["ppn"] == "0" and user.attrs["ppnOld"] == str(ppn)
    await c.close()


async def test_setpp_needs_a_sync_client_session(axi: AxiClient) -> None:
    r = await axi.request("SetPP", children=[element("pp", {"ppn": 1})], check=False)
    assert r.attrs["errCode"] == "EPerm"


# -- permissions and accounts ---------------------------------------------------------

async def test_read_only_account_cannot_write(axi: AxiClient, omm: OmmHandle) -> None:
    await axi.request("CreateAccount", children=[Message("account", {
        "username": "reader", "password": "Read-Only-2026"},
        [Message("permission", text="AllCnfRead")])])
    c = await connect(omm)
    await c.login("reader", "Read-Only-2026")
    assert (await c.request("GetPPDevSummary")).name == "GetPPDevSummaryResp"
    r = await c.request("CreatePPUser", children=[element("user", {"num": "1"})], check=False)
    assert r.attrs["errCode"] == "EPerm"
    await c.close()


async def test_weak_password_is_refused_with_its_rule(axi: AxiClient) -> None:
    r = await axi.request("CreateAccount", children=[element("account", {
        "username": "tool", "password": "short"})], check=False)
    assert (r.attrs["errCode"], r.attrs["bad"]) == ("EPwTooShort", "password")


async def test_factory_new_omm_forces_the_default_password_change(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sipdect.app.emulator import Emulator

    config = '[[omm]]\nname = "Fresh"\n'
    async with Emulator(config, tmp_path) as emu:
        c = await AxiClient.connect(emu.omm.host, emu.omm.port)
        resp = await c.login("omm", "omm")
        state = resp.child("accountState")
        assert state is not None and state.attrs["state"] == "notChanged"
        r = await c.request("GetPPUser", {"uid": 1}, check=False)
        assert r.attrs["errCode"] == "EPerm" and "password" in r.attrs["info"]
        r = await c.request("SetAccount", children=[element("account", {
            "id": 1, "password": "omm", "oldPassword": "omm"})], check=False)
        assert r.attrs["errCode"].startswith("EPw")
        await c.request("SetAccount", children=[element("account", {
            "id": 1, "password": "Brand-New-2026", "oldPassword": "omm"})])
        r = await c.request("GetPPUser", {"uid": 1}, check=False)
        assert r.attrs["errCode"] == "ENoEnt"  # allowed now
        await c.close()
        c = await AxiClient.connect(emu.omm.host, emu.omm.port)
        assert (await c.login("omm", "omm", check=False)).attrs["errCode"] == "EAuth"
        await c.close()


# -- settings and events --------------------------------------------------------------

async def test_subscription_mode_event_reaches_subscribers_only(axi: AxiClient,
                                                                omm: OmmHandle) -> None:
    watcher = await connect(omm)
    await watcher.login(omm.username, omm.password)
    await watcher.subscribe("DECTSubscriptionMode")
    r = await axi.request("SetDECTSubscriptionMode", {"mode": "Wildcard", "timeout": "5"})
    assert r.attrs["mode"] == "Wildcard"
    ev = await watcher.next_event("EventDECTSubscriptionMode")
    assert ev.attrs == {"mode": "Wildcard"}
    assert axi.events.empty()
    assert (await axi.request("GetDECTSubscriptionMode")).attrs["mode"] == "Wildcard"
    await watcher.close()


async def test_python_mitel_timeout_none_is_tolerated(axi: AxiClient) -> None:
    r = await axi.request("SetDECTSubscriptionMode", {"mode": "Configured", "timeout": "None"})
    assert r.attrs["mode"] == "Configured"


async def test_user_config_events_carry_changes_and_deletions(axi: AxiClient,
                                                              omm: OmmHandle) -> None:
    watcher = await connect(omm)
    await watcher.login(omm.username, omm.password)
    await watcher.subscribe("PPUserCnf", uid="-1")
    r = await axi.request("CreatePPUser", children=[element("user", {"num": "4242"})])
    uid = r.child("user").attrs["uid"]  # type: ignore[union-attr]
    ev = await watcher.next_event("EventPPUserCnf")
    assert ev.child("user").attrs["num"] == "4242"  # type: ignore[union-attr]
    await axi.request("SetPPUser", children=[element("user", {"uid": uid, "name": "Eve"})])
    ev = await watcher.next_event("EventPPUserCnf")
    changed = ev.child("user").attrs  # type: ignore[union-attr]
    assert changed["uid"] == uid and changed["name"] == "Eve" and "num" not in changed
    await axi.request("DeletePPUser", {"uid": uid})
    ev = await watcher.next_event("EventPPUserCnf")
    assert ev.attrs["deleted"] == "1" and ev.child("user").attrs == {"uid": uid}  # type: ignore[union-attr]
    await watcher.close()


async def test_dev_auto_create_uses_true_false(axi: AxiClient) -> None:
    r = await axi.request("SetDevAutoCreate", {"enable": "1"})
    assert r.attrs["enable"] == "true"
    assert (await axi.request("GetDevAutoCreate")).attrs["enable"] == "true"


async def test_rfp_configuration(axi: AxiClient) -> None:
    r = await axi.request("CreateRFP", children=[element("rfp", {
        "ethAddr": "00:30:42:12:3E:45", "name": "Lobby", "dectOn": "true"})])
    rfp = r.child("rfp")
    assert rfp is not None and rfp.attrs["dectOn"] == "true" and rfp.attrs["cluster"] == "1"
    rid = rfp.attrs["id"]
    r = await axi.request("GetRFP", {"id": rid, "withState": "true"})
    assert r.child("rfp").attrs["connected"] == "false"  # type: ignore[union-attr]
    r = await axi.request("CreateRFP", children=[element("rfp", {"ethAddr": "00-30-42-12-3e-45"})],
                          check=False)
    assert (r.attrs["errCode"], r.attrs["bad"]) == ("EExist", "ethAddr")
    r = await axi.request("GetRFPSummary")
    assert r.attrs["nRFPs"] == "1" and r.attrs["DECTactivatedRFPs"] == "1"
    await axi.request("DeleteRFP", {"id": rid})


async def test_sites(axi: AxiClient) -> None:
    r = await axi.request("CreateSite", children=[element("site", {"name": "Annex",
                                                                   "srtp": "Only"})])
    site = r.child("site")
    assert site is not None and site.attrs["srtp"] == "Only"
    r = await axi.request("GetSite", {"id": 1, "maxRecords": 20})
    assert len(r.children_named("site")) == 2
    await axi.request("DeleteSite", {"id": site.attrs["id"]})


async def test_limits_and_versions(axi: AxiClient) -> None:
    r = await axi.request("Limits")
    assert r.attrs["records"] == "20" and int(r.attrs["axiClients"]) > 0
    r = await axi.request("GetVersions")
    assert "CreatePPUser" in r.attrs and "Open" in r.attrs


async def test_more_clients_than_axi_clients_are_dropped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sipdect.app.emulator import Emulator

    config = ('[[omm]]\nname = "Small"\naxi_clients = 2\n[[omm.accounts]]\n'
              'username = "omm"\npassword = "Sipdect-Omm-2026"\n')
    async with Emulator(config, tmp_path) as emu:
        a, b = await connect(emu.omm), await connect(emu.omm)
        for c in (a, b):  # axiClients counts logged-in sessions (test_axi_prelogin)
            await c.login(emu.omm.username, emu.omm.password)
        third = await connect(emu.omm)
        await asyncio.wait_for(third.closed.wait(), DEFAULT_TIMEOUT)
        assert (await a.request("Ping")).name == "PingResp"
        for c in (a, b):
            await c.close()


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
async def test_tls_listener(omm: OmmHandle, version: str) -> None:
    import ssl

    from sipdect.tls import client_context

    ctx = client_context(max_version=getattr(ssl.TLSVersion, version))
    c = await AxiClient.connect(omm.host, omm.tls_port, tls=ctx)
    await c.login(omm.username, omm.password)
    assert (await c.request("Ping")).name == "PingResp"
    await c.close()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
async def test_tls_1_1_is_refused(omm: OmmHandle) -> None:
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        c = await AxiClient.connect(omm.host, omm.tls_port, tls=ctx)
        await c.request("Ping", timeout=2)


async def test_response_error_exception_carries_the_code(axi: AxiClient) -> None:
    with pytest.raises(AxiResponseError) as info:
        await axi.request("GetPPDev", {"ppn": 999})
    assert info.value.code == "ENoEnt"
