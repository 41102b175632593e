"""The MOM's MAXI over loopback TLS: the AXI framing and session rules, login with the MOM's
version, uptime and key, the forced change of `mom`'s default password, users and devices on
the central directory, relations, summaries, the OMM list, locating and messaging through the
sync service, and events (docs/mom.md "MAXI")."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

import pytest
from maxi_host import READER, Maxi, encrypt

from mom.maxi import conventions
from sipdect import tls
from sipdect.axi.client import AxiClient, AxiResponseError
from sipdect.axi.codec import element
from sipdect.axi.sync import ROAMING_COMPLETE

IPEI = "03074 0220259 3"


@dataclass(frozen=True)
class Step:
    """A roaming step as the sync service reports it (mom.sync.RoamingEvent)."""

    kind: str
    omm: str
    omm_id: str
    ipei: str
    ppn: int
    uid: int
    attrs: dict[str, str]


# -- login ---------------------------------------------------------------------------------

async def test_open_says_the_moms_version_uptime_and_key(maxi: Maxi) -> None:
    c = await maxi.client()
    r = c.open_response
    assert r is not None
    assert r.attrs["ommVersion"] == conventions.MOM_VERSION
    assert int(r.attrs["uptime"]) >= 0 and r.attrs["protocolVersion"].isdigit()
    key = r.child("publicKey")
    assert key is not None and key.attrs["modulus"] == maxi.model.keys.modulus_hex
    assert r.child("accountState") is None
    await c.close()


async def test_a_wrong_password_gets_eauth_and_the_link_stays_new(maxi: Maxi) -> None:
    c = await AxiClient.connect(maxi.host, maxi.port, tls=tls.client_context())
    r = await c.login("mom", "guessed", check=False)
    assert r.attrs["errCode"] == "EAuth" and r.child("publicKey") is None
    assert (await c.request("GetPPUser", {"uid": 1}, check=False)).attrs["errCode"] == "EPerm"
    await c.login("mom", maxi.password)
    await c.close()


async def test_mom_must_change_its_default_password_first(fresh_maxi: Maxi) -> None:
    c = await fresh_maxi.client("mom", "mom")
    state = c.open_response.child("accountState") if c.open_response else None
    assert state is not None and state.attrs["state"] == "notChanged"
    assert (await c.request("Ping")).name == "PingResp"
    refused = await c.request("GetPPUser", {"uid": 1}, check=False)
    assert refused.attrs["errCode"] == "EPerm" and "default password" in refused.attrs["info"]
    weak = await c.request("SetAccount", children=[element(
        "account", {"id": 1, "password": "mom", "oldPassword": "mom"})], check=False)
    assert weak.attrs["errCode"].startswith("EPw")
    await c.request("SetAccount", children=[element(
        "account", {"id": 1, "password": "Central-Dect-2027", "oldPassword": "mom"})])
    assert (await c.request("GetPPUser", {"uid": 1}, check=False)).attrs["errCode"] == "ENoEnt"
    await c.close()
    again = await fresh_maxi.client("mom", "Central-Dect-2027")
    assert again.open_response is not None
    assert again.open_response.child("accountState") is None
    await again.close()


async def test_a_read_only_account_reads_but_does_not_write(maxi: Maxi, mc: AxiClient) -> None:
    await mc.request("CreatePPUser", children=[element("user", {"num": "100"})])
    viewer = await maxi.client(*READER)
    assert (await viewer.request("GetPPUserByNumber", {"num": "100"})).child("user")
    denied = await viewer.request("CreatePPUser", children=[element("user", {"num": "101"})],
                                  check=False)
    assert denied.attrs["errCode"] == "EPerm"
    await viewer.close()


async def test_get_versions_lists_the_maxi_requests(mc: AxiClient) -> None:
    r = await mc.request("GetVersions")
    for name in ("Open", "CreatePPUser", "GetOMM", "SendMessage", conventions.LOCATE_REQUEST):
        assert name in r.attrs
    assert "GetRFP" not in r.attrs  # the MOM has no RFPs


# -- framing and session rules (axi.md §1) ------------------------------------------------

async def test_a_request_without_seq_is_answered_without_seq(mc: AxiClient) -> None:
    assert (await mc.request("Ping", seq=False)).attrs == {}


async def test_pipelined_requests_are_answered_in_order(mc: AxiClient) -> None:
    results = await asyncio.gather(*[mc.request("Ping") for _ in range(20)],
                                   mc.request("GetPPLocation", {"uid": 9}, check=False),
                                   *[mc.request("Ping") for _ in range(5)])
    seqs = [int(r.attrs["seq"]) for r in results]
    assert seqs == sorted(seqs)


async def test_unknown_unsupported_and_malformed_requests_get_their_error(
        mc: AxiClient) -> None:
    unknown = await mc.request("Frobnicate", check=False)
    assert unknown.attrs["errCode"] == "EInval" and unknown.attrs["bad"] == "Frobnicate"
    assert (await mc.request("GetRFP", {"id": 0}, check=False)).attrs["errCode"] == "EFailed"
    await mc.send_raw(b'<GetPPUser seq="77" uid="1"\0')
    broken = await mc.next_event("GetPPUserResp")  # answered with its seq, not awaited
    assert broken.attrs["seq"] == "77" and broken.attrs["errCode"] == "EInval"
    assert (await mc.request("Ping")).name == "PingResp"  # the link goes on


async def test_an_endless_frame_closes_only_that_connection(maxi: Maxi, mc: AxiClient) -> None:
    other = await maxi.client()
    await other.send_raw(b"<Ping " + b"x" * (70 * 1024))
    await asyncio.wait_for(other.closed.wait(), 10)
    assert (await mc.request("Ping")).name == "PingResp"


# -- TLS only --------------------------------------------------------------------------------

async def test_plain_tcp_gets_nothing(maxi: Maxi) -> None:
    reader, writer = await asyncio.open_connection(maxi.host, maxi.port)
    writer.write(b'<Open seq="1" username="mom" password="x"/>\0')
    await writer.drain()
    data = await asyncio.wait_for(reader.read(1024), 15)
    assert b"OpenResp" not in data and b"<" not in data  # at most a TLS alert, no XML
    writer.close()


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
async def test_tls_below_1_2_is_refused(maxi: Maxi, version: ssl.TLSVersion) -> None:
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await AxiClient.connect(maxi.host, maxi.port,
                                tls=tls.client_context(max_version=version))


async def test_tls_1_2_is_accepted(maxi: Maxi) -> None:
    c = await AxiClient.connect(maxi.host, maxi.port,
                                tls=tls.client_context(max_version=ssl.TLSVersion.TLSv1_2))
    assert (await c.login("mom", maxi.password)).name == "OpenResp"
    await c.close()


# -- users, devices, relations ---------------------------------------------------------------

async def test_users_are_created_read_changed_paged_and_deleted(maxi: Maxi,
                                                                mc: AxiClient) -> None:
    key = mc.open_response
    assert key is not None
    created = await mc.request("CreatePPUser", children=[element(
        "user", {"num": "200", "name": "Ada", "sipPw": encrypt(key, "sip-secret")})])
    user = created.child("user")
    assert user is not None and user.attrs["num"] == "200"
    uid = int(user.attrs["uid"])
    stored = maxi.model.directory.get_user(uid)
    assert maxi.model.directory.user_secret(stored, "sipPw") == "sip-secret"
    for n in range(201, 225):
        await mc.request("CreatePPUser", children=[element("user", {"num": str(n)})])
    page = await mc.request("GetPPUser", {"uid": 0, "maxRecords": 50})
    assert len(page.children_named("user")) == 20  # LimitsResp records
    await mc.request("SetPPUser", children=[element("user", {"uid": uid, "name": "Grace"})])
    by_num = await mc.request("GetPPUserByNumber", {"num": "200"})
    assert by_num.children_named("user")[0].attrs["name"] == "Grace"
    summary = await mc.request("GetPPUserSummary")
    assert summary.attrs["nRecords"] == "25" and summary.attrs["uidFirst"] == str(uid)
    await mc.request("DeletePPUser", {"uid": uid})
    gone = await mc.request("GetPPUser", {"uid": uid}, check=False)
    assert gone.attrs["errCode"] == "ENoEnt"
    dup = await mc.request("CreatePPUser", children=[element("user", {"num": "201"})],
                           check=False)
    assert dup.attrs["errCode"] == "EExist" and dup.attrs["bad"] == "num"


async def test_devices_and_relations(maxi: Maxi, mc: AxiClient) -> None:
    pp = (await mc.request("CreatePPDev", children=[element(
        "pp", {"ipei": IPEI, "ac": "1234"})])).child("pp")
    assert pp is not None and pp.attrs["ipei"] == IPEI
    ppn = int(pp.attrs["ppn"])
    user = (await mc.request("CreatePPUser", children=[element("user", {"num": "300"})])
            ).child("user")
    assert user is not None
    uid = int(user.attrs["uid"])
    bound = await mc.request("SetPP", children=[
        element("user", {"uid": uid, "ppn": ppn, "relType": "Dynamic"}),
        element("pp", {"ppn": ppn, "uid": uid, "relType": "Dynamic"})])
    assert {c.name for c in bound.children} == {"user", "pp"}
    got = await mc.request("GetPP", {"uid": uid})
    assert got.children_named("pp")[0].attrs["uid"] == str(uid)
    assert got.children_named("user")[0].attrs["relType"] == "Dynamic"
    await mc.request("SetPPUserDevRelation", {"uid": uid, "relType": "Fixed"})
    by_ipei = await mc.request("GetPPDevByIPEI", {"ipei": IPEI})
    assert by_ipei.children_named("pp")[0].attrs["relType"] == "Fixed"
    await mc.request("SetPPDev", children=[element("pp", {"ppn": ppn, "encrypt": "0"})])
    assert maxi.model.directory.get_device(ppn)["encrypt"] is False
    assert (await mc.request("GetPPDevSummary")).attrs["nRecords"] == "1"
    await mc.request("SetPP", children=[element("pp", {"ppn": ppn, "uid": 0,
                                                       "relType": "Unbound"})])
    assert maxi.model.directory.get_user(uid)["ppn"] == 0
    await mc.request("DeletePPDev", {"ppn": ppn})
    assert (await mc.request("GetPPDev", {"ppn": ppn}, check=False)).attrs["errCode"] == \
        "ENoEnt"


async def test_a_record_names_its_home_omm_by_omm_id(maxi: Maxi, mc: AxiClient) -> None:
    maxi.model.omms.define("omm-a", {"address": "127.0.0.20"})
    maxi.model.omms.set_omm_id("omm-a", "102A7C82")
    await mc.request("CreatePPUser", children=[element("user", {"num": "400",
                                                               "ommId": "102A7C82"})])
    assert maxi.model.directory.user_by_num("400")["home"] == "omm-a"
    unknown = await mc.request("CreatePPDev", children=[element(
        "pp", {"ipei": IPEI, "ommId": "0BADBAD0"})], check=False)
    assert unknown.attrs["errCode"] == "ENoEnt" and unknown.attrs["bad"] == "ommId"


# -- the OMM list ----------------------------------------------------------------------------

async def test_omms_are_defined_listed_changed_and_deleted(maxi: Maxi, mc: AxiClient) -> None:
    key = mc.open_response
    assert key is not None
    await mc.subscribe(conventions.OMM_EVENT_TYPE)
    created = await mc.request("CreateOMM", children=[element("omm", {
        "name": "omm-a", "address": "127.0.0.20", "username": "mom-sync",
        "password": encrypt(key, "Omm-Secret-1")})])
    omm = created.child("omm")
    assert omm is not None and omm.attrs["port"] == "12622" and "password" not in omm.attrs
    assert omm.attrs["state"] == "connecting" and omm.attrs["enabled"] == "1"
    assert maxi.model.omms.password(maxi.model.omms.get("omm-a")) == "Omm-Secret-1"
    event = await mc.next_event(conventions.OMM_EVENT)
    assert event.children_named("omm")[0].attrs["name"] == "omm-a"
    await mc.request("CreateOMM", children=[element("omm", {"name": "omm-b",
                                                           "address": "127.0.0.21"})])
    listed = await mc.request("GetOMM", {"name": "", "maxRecords": 20})
    assert [o.attrs["name"] for o in listed.children_named("omm")] == ["omm-a", "omm-b"]
    await mc.request("SetOMM", children=[element("omm", {"name": "omm-b", "enabled": "0"})])
    assert maxi.model.omms.get("omm-b")["enabled"] is False
    maxi.model.omms.set_state("omm-a", "synced", users=3)
    state = await mc.next_event(conventions.OMM_EVENT)
    while state.children_named("omm")[0].attrs["name"] != "omm-a":
        state = await mc.next_event(conventions.OMM_EVENT)
    assert state.children_named("omm")[0].attrs["state"] == "synced"
    await mc.request("DeleteOMM", {"name": "omm-b"})
    assert (await mc.request("GetOMM", {"name": "omm-b"}, check=False)).attrs["errCode"] == \
        "ENoEnt"
    dup = await mc.request("CreateOMM", children=[element("omm", {"name": "omm-a",
                                                                 "address": "x"})],
                           check=False)
    assert dup.attrs["errCode"] == "EExist"


# -- locating and messaging ------------------------------------------------------------------

async def test_locating_asks_the_sync_service_where_the_user_is(maxi: Maxi,
                                                                mc: AxiClient) -> None:
    user = maxi.model.directory.create_user({"num": "500"})
    maxi.sync.where[user["uid"]] = {"omm": "omm-b", "ommId": "102A7C83", "rfpId": "4"}
    r = await mc.request(conventions.LOCATE_REQUEST, {"num": "500"})
    assert r.attrs["omm"] == "omm-b" and r.attrs["rfpId"] == "4"
    assert r.attrs["uid"] == str(user["uid"])
    missing = await mc.request(conventions.LOCATE_REQUEST, {"num": "501"}, check=False)
    assert missing.attrs["errCode"] == "ENoEnt"


async def test_a_message_goes_to_the_user_through_the_sync_service(maxi: Maxi,
                                                                   mc: AxiClient) -> None:
    user = maxi.model.directory.create_user({"num": "600"})
    r = await mc.request("SendMessage", children=[element(
        "msg", {"toAddr": "tel:600", "content": "hello"})])
    assert r.name == "SendMessageResp" and r.attrs["id"] == "1"
    assert maxi.sync.sent == [(user["uid"], {"toAddr": "tel:600", "content": "hello"})]
    bad = await mc.request("SendMessage", children=[element(
        "msg", {"toAddr": "sip:600", "content": "x"})], check=False)
    assert bad.attrs["errCode"] == "EInval" and bad.attrs["bad"] == "toAddr"


async def test_without_a_sync_service_messaging_fails_cleanly(maxi: Maxi,
                                                              mc: AxiClient) -> None:
    maxi.model.directory.create_user({"num": "700"})
    maxi.api.sync = None
    r = await mc.request("SendMessage", children=[element(
        "msg", {"toAddr": "700", "content": "x"})], check=False)
    assert r.attrs["errCode"] == "EFailed"


# -- events ----------------------------------------------------------------------------------

async def test_cnf_events_follow_every_change(maxi: Maxi, mc: AxiClient) -> None:
    await mc.subscribe("PPUserCnf", "PPDevCnf", "PPCnf")
    user = maxi.model.directory.create_user({"num": "800"})  # a change made elsewhere
    ev = await mc.next_event("EventPPUserCnf")
    assert ev.children_named("user")[0].attrs["num"] == "800"
    assert (await mc.next_event("EventPPCnf")).child("user") is not None
    await mc.request("SetPPUser", children=[element("user", {"uid": user["uid"],
                                                             "name": "Eve"})])
    changed = await mc.next_event("EventPPUserCnf")
    assert changed.children_named("user")[0].attrs["name"] == "Eve"
    await mc.request("DeletePPUser", {"uid": user["uid"]})
    deleted = await mc.next_event("EventPPCnf")
    while "deletedUser" not in deleted.attrs:
        deleted = await mc.next_event("EventPPCnf")
    assert deleted.children_named("user")[0].attrs["uid"] == str(user["uid"])


async def test_summary_events_count_records(mc: AxiClient) -> None:
    await mc.subscribe("PPDevSummary")
    await mc.request("CreatePPDev", children=[element("pp", {"ipei": IPEI})])
    assert (await mc.next_event("EventPPDevSummary")).attrs["nRecords"] == "1"


async def test_roaming_subscribers_see_the_locate_and_the_moved_device(
        maxi: Maxi, mc: AxiClient) -> None:
    device = maxi.model.directory.create_device({"ipei": IPEI})
    await mc.subscribe("Roaming")
    maxi.api.on_roaming(Step("locate", "omm-b", "102A7C83", IPEI, device["ppn"], 0, {
        "ipei": IPEI, "ppn": "3", "ommId": "102A7C83", "park": "1F102A7C83", "rfpId": "2"}))
    maxi.api.on_roaming(Step("moved", "omm-b", "102A7C83", IPEI, device["ppn"], 0, {}))
    locate = await mc.next_event("EventDECTLocate")
    assert locate.attrs == {"ipei": IPEI, "ppn": str(device["ppn"]), "ommId": "102A7C83",
                            "park": "1F102A7C83", "rfpId": "2", "omm": "omm-b"}
    maxi.model.directory.set_roaming(device["ppn"], "102A7C83", "102A7C83",
                                     roaming=ROAMING_COMPLETE)
    moved = await mc.next_event("EventPPCnf")
    pp = moved.children_named("pp")[0]
    assert (pp.attrs["ommIdAck"], pp.attrs["roaming"]) == ("102A7C83", ROAMING_COMPLETE)


async def test_an_event_type_the_mom_has_not_is_refused(mc: AxiClient) -> None:
    with pytest.raises(AxiResponseError) as err:
        await mc.subscribe("RFPState")
    assert err.value.response.attrs["errCode"] == "EInval"


async def test_roaming_needs_the_locating_permission(maxi: Maxi) -> None:
    viewer = await maxi.client(*READER)
    r = await viewer.request("Subscribe", children=[element("e", {"cmd": "On",
                                                                  "eventType": "Roaming"})],
                             check=False)
    assert r.attrs["errCode"] == "EPerm"
    await viewer.close()
