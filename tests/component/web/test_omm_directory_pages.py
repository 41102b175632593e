"""The OMM's users, devices and RFP pages over loopback HTTPS (issue 14 item 2): every read
and write as a logged-in browser makes it, errors next to their field, paging and search over
20,000 users, read-only accounts, and no SIP password or other secret in any page."""

from __future__ import annotations

import re
from pathlib import Path

from omm_dir_site import VIEWER, VIEWER_PW, get, logged_in, omm_model, post, serving

from omm.model import OmmModel

IPEI = "00077 0000001 9"
IPEI2 = "00077 0000002 7"
SECRET = "Sip-Secret-4711"


def create_user(model: OmmModel, num: str, **values: str) -> int:
    return int(model.users.create({"num": num, **values})["uid"])


async def test_a_user_is_created_edited_and_deleted_and_its_sip_password_never_shown(
        tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm) as http:
        status, path, text = await post(http, omm, "/users/new", {
            "num": "100", "name": "Alice", "sipAuthId": "alice", "sipPw": SECRET,
            "pin": "1234"})
        assert status == 200 and re.fullmatch(r"/users/\d+", path)
        assert "User 100 created." in text and SECRET not in text and "1234" not in text
        uid = int(path.rsplit("/", 1)[1])
        rec = omm.model.users.get(uid)
        assert (rec["name"], rec["sipAuthId"]) == ("Alice", "alice")
        assert omm.model.users.secret(rec, "sipPw") == SECRET
        # an empty password field keeps the password; the name changes
        await post(http, omm, f"/users/{uid}", {"num": "100", "name": "Alice B", "sipPw": ""})
        rec = omm.model.users.get(uid)
        assert rec["name"] == "Alice B" and omm.model.users.secret(rec, "sipPw") == SECRET
        await post(http, omm, f"/users/{uid}", {"num": "100", "clear_sipPw": "1"})
        assert omm.model.users.secret(omm.model.users.get(uid), "sipPw") == ""
        status, path, text = await post(http, omm, f"/users/{uid}/delete", {})
        assert path == "/users" and "deleted" in text
        assert omm.model.users.table.get(uid) is None


async def test_an_axi_error_is_shown_next_to_its_field_and_nothing_secret_comes_back(
        tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm) as http:
        create_user(omm.model, "100")
        status, _, text = await post(http, omm, "/users/new",
                                     {"num": "100", "name": "Bob", "sipPw": SECRET})
        assert status == 400
        error = re.search(r'id="err-num">([^<]*)<', text)
        assert error is not None and "100" in error.group(1) and "already" in error.group(1)
        assert 'value="Bob"' in text and SECRET not in text
        assert len(omm.model.users) == 1
        status, _, text = await post(http, omm, "/users/new", {"num": "x" * 40})
        assert status == 400 and 'id="err-num"' in text and "too long" in text.lower()


async def test_a_device_is_created_bound_unbound_subscribed_and_unsubscribed(
        tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm) as http:
        uid = create_user(omm.model, "200", name="Carol")
        status, path, text = await post(http, omm, "/devices/new",
                                        {"ipei": IPEI, "encrypt": "1", "ac": "13579"})
        assert status == 200 and "13579" not in text
        ppn = int(path.rsplit("/", 1)[1])
        assert omm.model.devices.get(ppn)["ac"] == "13579"
        _, _, text = await post(http, omm, f"/devices/{ppn}/bind",
                                {"num": "200", "relType": "Fixed"})
        assert "Bound to user 200" in text and 'id="bound-user"' in text
        assert omm.model.users.get(uid)["ppn"] == ppn
        assert omm.model.devices.get(ppn)["relType"] == "Fixed"
        status, _, text = await post(http, omm, f"/devices/{ppn}/bind", {"num": "999"})
        assert status == 400 and 'id="err-num"' in text
        await post(http, omm, f"/devices/{ppn}/unbind", {})
        assert omm.model.devices.get(ppn)["uid"] == 0
        # subscribe now opens the window for configured IPEIs; then delete the subscription
        _, _, text = await post(http, omm, f"/devices/{ppn}/subscribe", {})
        assert omm.model.subscription.mode() == "Configured"
        assert 'id="window-mode">Configured' in text
        omm.model.devices.set_uak(ppn, bytes(range(16)))
        _, _, text = await post(http, omm, f"/devices/{ppn}/unsubscribe", {})
        assert "Subscription deleted" in text
        rec = omm.model.devices.get(ppn)
        assert rec["s"] == "No" and omm.model.devices.uak(rec) is None
        await post(http, omm, "/devices/window", {"mode": "Wildcard", "timeout": "7"})
        assert omm.model.subscription.mode() == "Wildcard"
        assert omm.model.subscription.timeout == 7
        await post(http, omm, f"/devices/{ppn}/delete", {})
        assert omm.model.devices.table.get(ppn) is None


async def test_a_user_binds_to_a_device_by_ipei_from_its_own_page(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm) as http:
        uid = create_user(omm.model, "300")
        ppn = omm.model.devices.create({"ipei": IPEI})["ppn"]
        _, _, text = await post(http, omm, f"/users/{uid}/bind",
                                {"ipei": "0007700000019", "relType": "Dynamic"})
        assert f'href="/devices/{ppn}" id="bound-device"' in text
        assert omm.model.users.get(uid)["relType"] == "Dynamic"
        status, _, text = await post(http, omm, f"/users/{uid}/bind", {"ipei": IPEI2})
        assert status == 400 and 'id="err-ipei"' in text
        await post(http, omm, f"/users/{uid}/unbind", {})
        assert omm.model.users.get(uid)["ppn"] == 0


def fill(model: OmmModel, n: int) -> None:
    """n users through the model in one transaction (not n requests)."""
    model.users.capacity = max(model.users.capacity, n)  # the OMM's 10,000 lifted for the list
    with model.store.transaction():
        for i in range(1, n + 1):
            model.users.create({"num": str(10000 + i), "name": f"User {i}"})


async def test_twenty_thousand_users_are_paged_and_searched(tmp_path: Path) -> None:
    model = omm_model(tmp_path)
    fill(model, 20000)
    ppn = model.devices.create({"ipei": IPEI})["ppn"]
    model.relations.attach(12345, ppn, "Fixed")
    async with serving(tmp_path, model) as omm, logged_in(omm) as http:
        status, text = await get(http, omm, "/users")
        assert status == 200 and "page 1 of 400 (20000)" in text
        assert text.count("<tr data-uid=") == 50
        status, text = await get(http, omm, "/users?page=400")
        uids = [int(u) for u in re.findall(r'<tr data-uid="(\d+)"', text)]
        assert uids == list(range(19951, 20001)) and 'id="page-next"' not in text
        _, text = await get(http, omm, "/users?q=User+1234&per_page=20")  # 1234, 12340-12349
        assert "(11)" in text and text.count("<tr data-uid=") == 11
        _, text = await get(http, omm, "/users?q=22345")  # the number of User 12345
        assert re.findall(r'<tr data-uid="(\d+)"', text) == ["12345"]
        _, text = await get(http, omm, "/users?q=0000001")  # a part of the bound IPEI
        assert re.findall(r'<tr data-uid="(\d+)"', text) == ["12345"]
        _, text = await get(http, omm, "/devices?q=User+12345")
        assert re.findall(r'<tr data-ppn="(\d+)"', text) == [str(ppn)]
        _, text = await get(http, omm, "/users?page=x&per_page=-3")  # clamped, no error
        assert "page 1 of" in text


async def test_a_read_only_account_sees_no_controls_and_a_forged_post_is_refused(
        tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm, VIEWER, VIEWER_PW) as http:
        uid = create_user(omm.model, "400", name="Dan")
        ppn = omm.model.devices.create({"ipei": IPEI})["ppn"]
        rfp = omm.model.rfps.create({"ethAddr": "00:30:42:00:00:01"}, omm.model.sites.exists)
        for path in ("/users", f"/users/{uid}", "/devices", f"/devices/{ppn}", "/rfps",
                     f"/rfps/{rfp['id']}", "/rfps/capture"):
            status, text = await get(http, omm, path)
            assert status == 200, path
            forms = re.findall(r'<form method="post" action="([^"]+)"', text)
            assert forms == ["/logout"], (path, forms)
            assert "New user" not in text and 'id="delete"' not in text
        for path, data in (("/users/new", {"num": "401"}), (f"/users/{uid}", {"name": "X"}),
                           (f"/users/{uid}/delete", {}), ("/devices/new", {"ipei": IPEI2}),
                           (f"/devices/{ppn}/subscribe", {}),
                           ("/rfps/new", {"ethAddr": "00:30:42:00:00:02"}),
                           ("/rfps/capture", {"enable": "1"})):
            status, _, _ = await post(http, omm, path, data)
            assert status == 403, path
        assert len(omm.model.users) == 1 and omm.model.users.get(uid)["name"] == "Dan"
        assert len(omm.model.devices) == 1 and len(omm.model.rfps) == 1
        assert omm.model.subscription.mode() == "Off"


async def test_no_page_contains_a_sip_password_pin_or_authentication_code(
        tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm) as http:
        uid = create_user(omm.model, "500", sipPw=SECRET, pin="8642")
        ppn = omm.model.devices.create({"ipei": IPEI, "ac": "97531"})["ppn"]
        omm.model.relations.attach(uid, ppn, "Fixed")
        sealed = omm.model.users.get(uid)["sipPw"]
        for path in ("/users", f"/users/{uid}", "/users/new", "/devices", f"/devices/{ppn}",
                     "/devices/new", "/users?q=500"):
            _, text = await get(http, omm, path)
            for secret in (SECRET, "8642", "97531", sealed):
                assert secret not in text, (path, secret)
        _, text = await get(http, omm, f"/users/{uid}")
        assert 'placeholder="set; empty keeps it"' in text


async def test_rfps_are_listed_with_the_real_ui_s_states_and_sync_relations(
        tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm) as http:
        _, path, text = await post(http, omm, "/rfps/new", {
            "ethAddr": "00-30-42-00-00-01", "name": "Hall", "site": "1", "cluster": "2",
            "x": "10", "y": "20", "pagingArea": "-1", "dectOn": "1"})
        a = int(path.rsplit("/", 1)[1])
        assert omm.model.rfps.get(a)["cluster"] == 2 and omm.model.rfps.get(a)["dectOn"]
        b = omm.model.rfps.create({"ethAddr": "00:30:42:00:00:02", "name": "Desk"},
                                  omm.model.sites.exists)["id"]
        omm.model.rfps.set_state(a, {"connected": True, "syncState": "Synced",
                                     "ipAddr": "127.0.0.21", "swVersion": "10.1"})
        omm.model.rfps.set_sync_relations(a, [{"rpn": 1, "id": b, "rssi": -67, "offset": 0}])
        _, text = await get(http, omm, "/rfps")
        states = dict(re.findall(r'<tr data-id="(\d+)"[\s\S]*?<td class="state[^"]*">([^<]+)<',
                                 text))
        assert states == {str(a): "Synchronous", str(b): "Not connected"}
        assert "127.0.0.21" in text and "10, 20" in text
        _, text = await get(http, omm, f"/rfps/{a}")
        assert 'id="state">Synchronous' in text
        assert re.search(rf'href="/rfps/{b}">{b} Desk</a></td><td>1</td><td class="rssi">-67',
                         text)
        omm.model.rfps.set_state(a, {"syncState": "Searching"})
        _, text = await get(http, omm, f"/rfps/{a}")
        assert 'id="state">Searching' in text
        status, _, text = await post(http, omm, f"/rfps/{a}", {
            "ethAddr": "00:30:42:00:00:01", "name": "Hall 2", "site": "9", "cluster": "2"})
        assert status == 400 and 'id="err-site"' in text
        await post(http, omm, f"/rfps/{a}", {"ethAddr": "00:30:42:00:00:01", "name": "Hall 2",
                                             "site": "1", "cluster": "3", "dectOn": "1"})
        assert omm.model.rfps.get(a)["name"] == "Hall 2"
        _, _, text = await post(http, omm, f"/rfps/{a}/delete", {})  # connected: refused
        assert "Not deleted" in text and omm.model.rfps.table.get(a) is not None
        await post(http, omm, f"/rfps/{b}/delete", {})
        assert omm.model.rfps.table.get(b) is None


async def test_a_captured_rfp_is_enrolled_from_the_capture_list(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm) as http:
        _, _, text = await post(http, omm, "/rfps/capture", {"enable": "1"})
        assert 'id="capturing">on' in text
        assert omm.model.settings.value("RFPCapture", "enable", False)
        omm.model.rfps.capture("00:30:42:00:00:0a", "127.0.0.40", "RFP 45", 0.0)
        omm.model.rfps.capture("00:30:42:00:00:0b", "127.0.0.41", "RFP 45", 0.0)
        _, text = await get(http, omm, "/rfps/capture")
        assert '<tr data-mac="00:30:42:00:00:0a">' in text and "127.0.0.40" in text
        _, path, text = await post(http, omm, "/rfps/capture/enrol",
                                   {"ethAddr": "00:30:42:00:00:0a", "name": "Lab", "site": "1",
                                    "dectOn": "1"})
        rfp_id = int(path.rsplit("/", 1)[1])
        assert omm.model.rfps.get(rfp_id)["name"] == "Lab"
        assert omm.model.rfps.by_mac["00:30:42:00:00:0a"] == rfp_id
        await post(http, omm, "/rfps/capture/delete", {"ethAddr": "00:30:42:00:00:0b"})
        assert omm.model.rfps.capture_list() == []
        _, _, text = await post(http, omm, "/rfps/capture/enrol",
                                {"ethAddr": "00:30:42:00:00:0b"})
        assert "not in the capture list" in text and len(omm.model.rfps) == 1


async def test_an_unknown_record_is_a_404_page(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm) as http:
        for path in ("/users/77", "/users/x", "/devices/77", "/rfps/77"):
            status, _ = await get(http, omm, path)
            assert status == 404, path

