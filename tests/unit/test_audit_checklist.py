"""`sipdect audit`'s checklist on plain settings (SEED-SD Appendix B): each check function on
what an OMM could answer, the table against the seed, the read-only client's allow-list and
the report's forms. No sockets."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect.app.audit import checklist as c
from sipdect.app.audit.checklist import ITEMS, LOGIN, TLS_PROBE, Status, Unreadable, evaluate
from sipdect.app.audit.cli import parse_omm
from sipdect.app.audit.reader import READ_ONLY_REQUESTS, ReadOnlyAxi, WriteRefused
from sipdect.app.audit.report import Report, Result, render_json, render_junit, render_text
from sipdect.axi.codec import Message

BY_ID = {item.id: item for item in ITEMS}


def outcome(item_id: str, settings: dict[str, Any]) -> c.Outcome:
    return evaluate(BY_ID[item_id], settings)


def status(item_id: str, settings: dict[str, Any]) -> Status:
    return outcome(item_id, settings).status


# --- the table ------------------------------------------------------------------------------

def test_the_table_has_every_item_of_appendix_b_in_order() -> None:
    # Appendix B: 4 + 7 + 7 + 1 items in sections 1-4, then 3, 2, 1, 1, 2 in 5-9.
    per_section = [sum(1 for i in ITEMS if i.section == s) for s in "123456789"]
    assert per_section == [4, 7, 7, 1, 3, 2, 1, 1, 2]
    assert [i.id for i in ITEMS] == sorted({i.id for i in ITEMS},
                                           key=lambda x: tuple(map(int, x.split("."))))
    assert all(i.omp.startswith("OMP->") for i in ITEMS)
    assert BY_ID["4.1"].seed_section == "Appendix B 4 Media Security"


def test_an_item_whose_reading_is_missing_or_unanswered_cannot_tell_and_says_which() -> None:
    assert outcome("1.2", {}).why == "GetRFPCapture was not read"
    seen = outcome("1.2", {"GetRFPCapture": Unreadable("not permitted for this account")})
    assert seen.status is Status.CANNOT_TELL
    assert "GetRFPCapture: not permitted" in seen.why


@pytest.mark.parametrize("item_id", ["2.5", "3.6", "3.7"])
def test_settings_axi_has_no_request_for_are_cannot_tell(item_id: str) -> None:
    seen = outcome(item_id, {})
    assert seen.status is Status.CANNOT_TELL and "no AXI request reads" in seen.why


def test_an_unexpected_answer_is_cannot_tell_not_a_crash() -> None:
    seen = outcome("3.4", {"GetSecureSIPCertificate": {"nTrustedCertificates": "many"}})
    assert seen.status is Status.CANNOT_TELL and "unexpected answer" in seen.why


# --- 1 System Security ----------------------------------------------------------------------

def test_default_credentials_from_the_account_state() -> None:
    changed = {"GetAccount": [{"id": "1", "username": "omm", "state": "changed"}]}
    assert status("1.1", changed) is Status.PASS
    default = {"GetAccount": [{"id": "1", "username": "omm", "state": "notChanged"}]}
    assert "still has its default password" in outcome("1.1", default).why
    assert status("1.1", default) is Status.FAIL


def test_default_credentials_with_a_read_only_account_cannot_tell() -> None:
    own_only = {"GetAccount": [{"id": "3", "username": "monitor", "state": "changed"}],
                LOGIN: {"username": "monitor", "default_password": False}}
    assert status("1.1", own_only) is Status.CANNOT_TELL


def test_default_credentials_from_the_audits_own_login() -> None:
    as_omm = {"GetAccount": Unreadable("x"), LOGIN: {"username": "omm",
                                                     "default_password": False}}
    assert status("1.1", as_omm) is Status.PASS
    assert status("1.1", {LOGIN: {"username": "omm", "default_password": True}}) is Status.FAIL


@pytest.mark.parametrize(("item_id", "request_name", "name", "good"), [
    ("1.2", "GetRFPCapture", "enable", "false"),
    ("1.3", "GetRemoteAccess", "enable", "0"),
    ("2.1", "GetDECTEncryption", "enable", "1"),
    ("3.2", "GetSecureSIP", "authenticationTLS", "true"),
    ("3.3", "GetSecureSIP", "commonNameValidationTLS", "1"),
])
def test_one_boolean_setting(item_id: str, request_name: str, name: str, good: str) -> None:
    bad = "1" if good in ("0", "false") else "0"
    assert status(item_id, {request_name: {name: good}}) is Status.PASS
    seen = outcome(item_id, {request_name: {name: bad}})
    assert seen.status is Status.FAIL and f"{name}={bad}" in seen.why
    assert status(item_id, {request_name: {}}) is Status.CANNOT_TELL


def probe(versions: dict[str, bool | None], *suites: tuple[str, str]) -> dict[str, Any]:
    return {TLS_PROBE: {"host": "h", "port": 1, "versions": versions,
                        "suites": [{"name": n, "version": v} for n, v in suites], "notes": []}}


MODERN = {"TLS 1.0": False, "TLS 1.1": False, "TLS 1.2": True, "TLS 1.3": True}


def test_security_level_high_from_the_tls_probe() -> None:
    high = probe(MODERN, ("ECDHE-RSA-AES128-GCM-SHA256", "TLS 1.2"),
                 ("TLS_AES_256_GCM_SHA384", "TLS 1.3"))
    assert status("1.4", high) is Status.PASS
    medium = probe(MODERN, ("ECDHE-RSA-AES128-SHA256", "TLS 1.2"))
    seen = outcome("1.4", medium)
    assert seen.status is Status.FAIL and "ECDHE-RSA-AES128-SHA256" in seen.why
    old = probe({**MODERN, "TLS 1.1": True}, ("TLS_AES_256_GCM_SHA384", "TLS 1.3"))
    assert "accepts TLS 1.1" in outcome("1.4", old).why
    untested = probe({**MODERN, "TLS 1.0": None}, ("TLS_AES_256_GCM_SHA384", "TLS 1.3"))
    assert status("1.4", untested) is Status.CANNOT_TELL
    assert status("1.4", {}) is Status.CANNOT_TELL


# --- 2 DECT Security ------------------------------------------------------------------------

def test_enhanced_dect_security_all_or_none() -> None:
    def sites(*flags: str) -> dict[str, Any]:
        return {"GetSite": [{"id": str(i + 1), "dectSecurity": f} for i, f in enumerate(flags)]}
    assert status("2.2", sites("1", "1")) is Status.PASS
    assert status("2.2", sites("0", "0")) is Status.PASS
    seen = outcome("2.2", sites("1", "0"))
    assert seen.status is Status.FAIL and "off for site(s) 2" in seen.why


@pytest.mark.parametrize(("code", "trivial"), [
    ("", True), ("123", True), ("0000", True), ("1234", True), ("98765", True),
    ("7890", True), ("121212", True), ("387387", True), ("31415", False), ("40721958", False),
])
def test_authentication_code(code: str, trivial: bool) -> None:
    seen = status("2.3", {"GetDECTAuthCode": {"ac": code}})
    assert seen is (Status.FAIL if trivial else Status.PASS)


def test_a_trivial_device_authentication_code_fails_too() -> None:
    settings = {"GetDECTAuthCode": {"ac": "40721958"},
                "GetPPDev": [{"ppn": "1", "ac": ""}, {"ppn": "2", "ac": "1111"}]}
    seen = outcome("2.3", settings)
    assert seen.status is Status.FAIL and "ppn 2" in seen.why


def test_restricted_subscription() -> None:
    def s(mode: str, restricted: str) -> dict[str, Any]:
        return {"GetDECTSubscriptionMode": {"mode": mode},
                "GetRestrictedSubscriptionDuration": {"restrictedSubscrDur": restricted}}
    assert status("2.4", s("Off", "0")) is Status.PASS
    assert status("2.4", s("Configured", "1")) is Status.PASS
    assert status("2.4", s("Wildcard", "0")) is Status.FAIL


def test_every_device_encrypted() -> None:
    assert status("2.6", {"GetPPDev": [{"ppn": "1", "encrypt": "1"}]}) is Status.PASS
    assert status("2.6", {"GetPPDev": []}) is Status.PASS
    seen = outcome("2.6", {"GetPPDev": [{"ppn": "1", "encrypt": "1"},
                                        {"ppn": "7", "encrypt": "0"}]})
    assert seen.status is Status.FAIL and "ppn 7" in seen.why


def test_user_pins_only_matter_where_users_log_in() -> None:
    fixed = {"GetPPUser": [{"uid": "1", "relType": "Fixed", "pin": ""}]}
    assert status("2.7", fixed) is Status.PASS
    no_pin = {"GetPPUser": [{"uid": "2", "num": "202", "relType": "Dynamic", "pin": ""}]}
    assert "uid 2 (202)" in outcome("2.7", no_pin).why
    with_pin = {"GetPPUser": [{"uid": "2", "relType": "Dynamic", "pin": "QmxvYg=="}]}
    assert status("2.7", with_pin) is Status.CANNOT_TELL


# --- 3 Signaling, 4 Media -------------------------------------------------------------------

@pytest.mark.parametrize(("prot", "want"), [("UDP", Status.FAIL), ("TCP", Status.FAIL),
                                            ("UDPAndTCP", Status.FAIL), ("TLS", Status.PASS),
                                            ("PersistentTLS", Status.PASS)])
def test_sip_transport(prot: str, want: Status) -> None:
    assert status("3.1", {"GetBasicSIP": {"transportProt": prot}}) is want


def test_sip_certificates() -> None:
    assert status("3.4", {"GetSecureSIPCertificate": {"nTrustedCertificates": "2"}}) \
        is Status.PASS
    assert status("3.4", {"GetSecureSIPCertificate": {"nTrustedCertificates": "0"}}) \
        is Status.FAIL


def test_sip_passwords_absent_fail_present_cannot_be_compared() -> None:
    users = [{"uid": "1", "num": "201", "sipPw": "blobA"}, {"uid": "2", "num": "202",
                                                            "sipPw": ""}]
    seen = outcome("3.5", {"GetPPUser": users})
    assert seen.status is Status.FAIL and "uid 2 (202)" in seen.why
    users[1]["sipPw"] = "blobA"  # even equal blobs say nothing: the padding is random
    assert status("3.5", {"GetPPUser": users}) is Status.CANNOT_TELL


def test_srtp_on_every_site() -> None:
    sites = [{"id": "1", "srtp": "Only"}, {"id": "2", "srtp": "Preferred"}]
    assert status("4.1", {"GetSite": sites}) is Status.PASS
    sites.append({"id": "3", "srtp": "Disabled"})
    seen = outcome("4.1", {"GetSite": sites})
    assert seen.status is Status.FAIL and "site 3 (Disabled)" in seen.why


# --- 5-9 ------------------------------------------------------------------------------------

def url(protocol: str, **more: str) -> dict[str, Any]:
    return {"url": {"enable": "1", "protocol": protocol, **more}}


@pytest.mark.parametrize(("protocol", "want"), [
    ("None", Status.PASS), ("HTTPS", Status.PASS), ("SFTP", Status.PASS), ("FTPS", Status.PASS),
    ("HTTP", Status.FAIL), ("TFTP", Status.FAIL), ("FTP", Status.FAIL)])
def test_provisioning_protocol(protocol: str, want: Status) -> None:
    assert status("5.1", {"GetConfigURL": url(protocol)}) is want


def test_a_disabled_url_is_not_in_use() -> None:
    assert status("5.1", {"GetConfigURL": {"url": {"enable": "0", "protocol": "TFTP"}}}) \
        is Status.PASS


def test_provisioning_validation_and_tls_version() -> None:
    full = url("HTTPS", validateCerts="1", validateExpires="1", validateHostName="1")
    assert status("5.2", {"GetConfigURL": full}) is Status.PASS
    lax = url("HTTPS", validateCerts="1", validateExpires="0", validateHostName="1")
    assert "validateExpires" in outcome("5.2", {"GetConfigURL": lax}).why
    assert status("5.2", {"GetConfigURL": url("HTTPS")}) is Status.CANNOT_TELL
    assert status("5.3", {"GetConfigURL": url("HTTPS", sslMethod="TLS1.1")}) is Status.FAIL
    assert status("5.3", {"GetConfigURL": url("SFTP")}) is Status.PASS


def test_directory_and_xml_applications() -> None:
    apps = [{"id": "1", "name": "dir", "type": "CorpDir", "enable": "1",
             "url": {"protocol": "HTTPS", "useCommonCerts": "1"}},
            {"id": "2", "name": "menu", "type": "Generic", "enable": "1",
             "url": {"protocol": "HTTP"}}]
    settings: dict[str, Any] = {"GetXMLApplication": apps, "GetLDAP": []}
    assert status("6.1", settings) is Status.PASS
    assert status("6.2", settings) is Status.PASS
    assert "menu (HTTP)" in outcome("7.1", settings).why
    settings["GetLDAP"] = [{"id": "1", "active": "1"}]
    assert status("6.1", settings) is Status.CANNOT_TELL
    assert status("6.1", {"GetXMLApplication": [], "GetLDAP": []}) is Status.PASS


def test_firmware_and_db_export() -> None:
    assert status("8.1", {"GetPPFirmwareURL": url("TFTP")}) is Status.FAIL
    assert status("8.1", {"GetPPFirmwareURL": url("SFTP")}) is Status.FAIL  # FTPS/HTTPS only
    assert status("9.1", {"GetAutoDBBackup": url("FTPS")}) is Status.PASS
    assert status("9.2", {"GetAutoDBBackup": url("FTPS", useCommonCerts="0")}) is Status.FAIL
    assert status("9.2", {"GetAutoDBBackup": url("None")}) is Status.PASS


# --- the read-only client -------------------------------------------------------------------

class RecordingClient:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def request(self, name: str, attrs: Any = None, *, check: bool = True,
                      timeout: float = 1.0) -> Message:
        self.sent.append(name)
        return Message(name + "Resp", {})


def test_the_allow_list_holds_only_login_keep_alive_and_gets() -> None:
    assert {"Open", "Ping"} <= READ_ONLY_REQUESTS
    assert all(n.startswith("Get") for n in READ_ONLY_REQUESTS - {"Open", "Ping"})


@given(st.sampled_from(["SetRFPCapture", "SetAccount", "CreateAccount", "DeletePPUser",
                        "SetDECTSubscriptionMode", "SystemRestart", "PutFile"])
       | st.text(min_size=1, max_size=30).filter(lambda n: n not in READ_ONLY_REQUESTS))
def test_the_audits_client_refuses_anything_else_before_sending(name: str) -> None:
    client = RecordingClient()
    axi = ReadOnlyAxi(client)  # type: ignore[arg-type]
    with pytest.raises(WriteRefused):
        asyncio.run(axi.request(name, timeout=1.0))
    assert client.sent == []


def test_the_audits_client_sends_a_read() -> None:
    client = RecordingClient()
    asyncio.run(ReadOnlyAxi(client).request("GetRFPCapture", timeout=1.0))  # type: ignore[arg-type]
    assert client.sent == ["GetRFPCapture"]


# --- report ---------------------------------------------------------------------------------

def sample_report() -> Report:
    settings = {"GetRFPCapture": {"enable": "true"}, "GetRemoteAccess": {"enable": "0"}}
    return Report("192.0.2.1:12622", "monitor", "9.1", [
        Result(i, evaluate(i, settings)) for i in ITEMS])


def test_junit_has_one_testcase_per_item_failures_and_skips() -> None:
    report = sample_report()
    suite = ET.fromstring(render_junit(report))
    cases = suite.findall("testcase")
    assert len(cases) == len(ITEMS)
    assert suite.get("failures") == "1" and suite.get("tests") == str(len(ITEMS))
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["1.2 DECT base station capturing disabled"]
    assert int(suite.get("skipped", "0")) == len([c for c in cases
                                                  if c.find("skipped") is not None])


def test_text_and_json_say_the_same() -> None:
    report = sample_report()
    text = render_text(report)
    assert "[FAIL] 1.2 DECT base station capturing disabled" in text
    assert "[PASS] 1.3 Remote access disabled" in text
    assert text.rstrip().endswith(f"Summary: {report.summary()}")
    data = json.loads(render_json(report))
    assert data["summary"] == {"pass": 1, "fail": 1, "cannot-tell": len(ITEMS) - 2}
    assert report.exit_status() == 1


@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z0-9-]{1,10}){0,3}", fullmatch=True)
       | st.ip_addresses(v=4).map(str), st.integers(1, 65535))
def test_parse_omm_round_trips(host: str, port: int) -> None:
    assert parse_omm(f"{host}:{port}") == (host, port)
    assert parse_omm(host) == (host, 12622)


@pytest.mark.parametrize("text", ["", ":12622", "host:0", "host:70000", "host:x"])
def test_parse_omm_refuses_what_names_no_port(text: str) -> None:
    with pytest.raises(ValueError):
        parse_omm(text)


@pytest.mark.parametrize(("text", "want"), [
    ("omm.example", ("omm.example", 12622)), ("192.0.2.1:12623", ("192.0.2.1", 12623)),
    ("[2001:db8::1]:12622", ("2001:db8::1", 12622)), ("2001:db8::1", ("2001:db8::1", 12622))])
def test_parse_omm(text: str, want: tuple[str, int]) -> None:
    assert parse_omm(text) == want


# --- SNMP (seed 000 "SNMP Support") -----------------------------------------------------------

@pytest.mark.parametrize(("read", "trap", "expected"), [
    ("", "", Status.PASS), ("ro-Kx81", "trap-Kx81", Status.PASS),
    ("public", "trap-Kx81", Status.FAIL), ("ro-Kx81", "Private", Status.FAIL)])
def test_snmp_communities_public_or_private_fail(read: str, trap: str, expected: Status) -> None:
    seen = outcome("10.1", {"GetSNMP": {"readCommunity": read, "contact": "",
                                        "enableTraps": "false", "trapCommunity": trap,
                                        "trapHostAddr": ""}})
    assert seen.status is expected, seen
    if expected is Status.FAIL:
        assert "well-known SNMP community" in seen.why
    assert BY_ID["10.1"].seed_section.startswith("SNMP")
