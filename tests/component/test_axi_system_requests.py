"""The everyday requests management tools send (omm.axi.handlers.system, axi.md §3.4), as a
client sees them: every answer conforms to the vendor schema; the "Update" button re-reads the
provisioning files and says there is no software; the system credentials log in to a file
server whose URL names no user; the daily provisioning trigger is kept; user tracking needs a
locatable user; the last DECT action of a device."""

from __future__ import annotations

from pathlib import Path

import pytest

from omm.dect.events import PpTransaction
from omm.sysupdate import NO_IMAGE, credentials, next_daily
from sipdect.app.emulator import Emulator, OmmHandle
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element, render
from sipdect.axi.provisioning import ConfigUrl, OmmProvisioning, omm_files
from sipdect.waiting import until
from tests.system.test_schema_conformance import XSD_PATH, frame_violations

READS = ("GetSystemCredentials", "GetSystemProvUpdTrig", "GetSoftwareUpdate", "GetNTPServer",
         "GetTimeZone", "GetTimeZoneList", "GetTimeZoneDetails", "GetNetParams", "GetRTP",
         "GetAdvancedSIP", "GetPPFirmwareUpdate", "GetPPFirmwareUpdateOverview",
         "GetPPFirmwareURL", "GetHealthState", "GetConfigURL", "GetLicense")


def conforms(msg: Message) -> Message:
    if XSD_PATH.is_file():
        problems = frame_violations(render(msg))
        assert not problems, (msg.name, problems)
    return msg


async def ok(axi: AxiClient, name: str, attrs: dict[str, object] | None = None,
             children: list[Message] | None = None) -> Message:
    r = await axi.request(name, attrs, children, check=False)
    assert "errCode" not in r.attrs, r
    return conforms(r)


@pytest.mark.parametrize("name", READS)
async def test_each_read_answers_as_the_schema_says(axi: AxiClient, name: str) -> None:
    await ok(axi, name)


async def test_read_values_are_the_emulators_own(omm: OmmHandle, axi: AxiClient) -> None:
    rtp = await ok(axi, "GetRTP")
    assert [t.text for t in rtp.children_named("type")] == ["G.711-A-law", "G.711-u-law",
                                                           "G.722"]
    assert int(rtp.attrs["portBase"]) == omm.service.media.port_base
    net = await ok(axi, "GetNetParams")
    assert (net.attrs["voiceToS"], net.attrs["ttl"]) == ("184", "32")  # SYS_IP_OPTIONS
    assert (await ok(axi, "GetTimeZone")).attrs["id"] == "UTC"
    overview = await ok(axi, "GetPPFirmwareUpdateOverview")
    assert overview.attrs["state"] == "idle"


async def test_settings_groups_are_set_and_announced(axi: AxiClient) -> None:
    await axi.subscribe("SystemCnf")
    set_ = await ok(axi, "SetSystemProvUpdTrig", {"enable": "1", "hour": "3", "minute": "17"})
    assert (set_.attrs["hour"], set_.attrs["minute"]) == ("3", "17")
    assert (await ok(axi, "GetSystemProvUpdTrig")).attrs["minute"] == "17"
    await ok(axi, "SetNTPServer", {"default": "0", "ntpServerName1": "ntp.example"})
    bad = await axi.request("SetTimeZone", {"id": "Mars/Olympus"}, check=False)
    assert bad.attrs["errCode"] == "EInval", bad
    bad = await axi.request("SetSystemProvUpdTrig", {"hour": "24"}, check=False)
    assert (bad.attrs["errCode"], bad.attrs["bad"]) == ("EInval", "hour")
    names = set()
    while "EventNTPServerCnf" not in names:
        names.add(conforms(await axi.next_event(timeout=10)).name)
    assert "EventSystemProvUpdTrigCnf" in names


def test_the_daily_trigger_is_the_next_hour_minute_utc() -> None:
    noon = 1_700_000_000 - 1_700_000_000 % 86400 + 12 * 3600
    assert next_daily(noon, 3, 17) == noon + 15 * 3600 + 17 * 60
    assert next_daily(noon, 12, 30) == noon + 30 * 60
    assert next_daily(noon, 12, 0) == noon + 86400


async def test_system_credentials_are_sealed_and_never_shown(omm: OmmHandle,
                                                             axi: AxiClient) -> None:
    r = await ok(axi, "SetSystemCredentials", {"username": "ftp", "password": "ftp-secret",
                                               "plainText": "1"})
    assert r.attrs == {"seq": r.attrs["seq"], "username": "ftp"}
    assert (await ok(axi, "GetSystemCredentials")).attrs["username"] == "ftp"
    assert credentials(omm.model) == ("ftp", "ftp-secret")
    assert "ftp-secret" not in str(omm.model.settings.get("SystemCredentials"))
    refused = await axi.request("SetSystemCredentials", {"username": "ftp",
                                                         "password": "not-encrypted"},
                                check=False)
    assert (refused.attrs["errCode"], refused.attrs["bad"]) == ("EInval", "password")
    from omm.provisioning import url_in_force

    url = url_in_force(omm.model, "ftp://127.0.0.1/prov")
    assert url is not None and (url.username, url.password) == ("ftp", "ftp-secret")
    named = url_in_force(omm.model, "ftp://me:pw@127.0.0.1/prov")
    assert named is not None and named.username == "me"  # a URL's own user wins
    await ok(axi, "SetSystemCredentials", {"username": "", "plainText": "1"})


async def test_the_update_button_rereads_the_files_and_reports_no_software(
        tmp_path: Path) -> None:
    files = tmp_path / "prov"
    files.mkdir()

    def write(name: str) -> None:
        for file, data in omm_files(OmmProvisioning(system_name=name)).items():
            (files / file).write_bytes(data)

    write("Before")
    url = ConfigUrl.parse(files.as_uri())
    config = (f'[[omm]]\nname = "Lab"\nconfig_url = "{url.text()}"\n[[omm.accounts]]\n'
              'username = "omm"\npassword = "Sipdect-Omm-2026"\n')
    async with Emulator(config, tmp_path / "data") as emu:
        axi = await AxiClient.connect(emu.omm.host, emu.omm.port)
        await axi.login(emu.omm.username, emu.omm.password)
        try:
            assert (await ok(axi, "GetSystemName")).attrs["name"] == "Before"
            write("After")
            r = await ok(axi, "SoftwareUpdate")
            assert r.attrs["timedUpdate"] == "0"

            async def renamed() -> bool:
                return (await axi.request("GetSystemName")).attrs["name"] == "After"

            await until(renamed, "the update to read the files again")
            log = await ok(axi, "GetEventLogBuffer", {"id": 0, "maxRecords": 20})
            assert NO_IMAGE in [e.attrs["msg"] for e in log.children]
            r = await ok(axi, "SoftwareUpdate", {"timedUpdate": "1", "hour": "2",
                                                 "minute": "30", "allAtOnce": "0"})
            got = (await ok(axi, "GetSoftwareUpdate")).attrs
            assert (got["timedUpdate"], got["hour"], got["allAtOnce"]) == ("1", "2", "0")
        finally:
            await axi.close()


async def test_last_action_and_user_tracking(omm: OmmHandle, axi: AxiClient) -> None:
    none = await axi.request("GetLastPPDevAction", {"id": 0, "maxRecords": 20}, check=False)
    assert none.attrs["errCode"] == "ENoEnt"
    omm.model.hub.publish(PpTransaction("LocReg", 7, 2))
    omm.model.hub.publish(PpTransaction("ConnHandover", 7, 3))
    omm.model.hub.publish(PpTransaction("Release", 9, 3))
    r = await ok(axi, "GetLastPPDevAction", {"id": 0, "maxRecords": 20})
    assert [(p.attrs["ppn"], p.attrs["trType"], p.attrs["rfpId"]) for p in r.children] == [
        ("7", "ConnHandover", "3"), ("9", "Release", "3")]
    assert int(r.children[0].attrs["relTime"]) >= 0

    user = (await ok(axi, "CreatePPUser", children=[element("user", {"num": "4711"})]))
    uid = user.children[0].attrs["uid"]
    refused = await axi.request("SetPPUserTracking", {"uid": uid, "trackingActive": "1"},
                                check=False)
    assert (refused.attrs["errCode"], refused.attrs["bad"]) == ("EInval", "trackingActive")
    await ok(axi, "SetPPUser", children=[element("user", {"uid": uid, "locatable": "1"})])
    r = await ok(axi, "SetPPUserTracking", {"uid": uid, "trackingActive": "1"})
    assert r.attrs["trackingActive"] == "1"
    got = await ok(axi, "GetPPUser", {"uid": uid})
    assert got.children[0].attrs["trackingActive"] == "1"
    missing = await axi.request("SetPPUserTracking", {"uid": 999, "trackingActive": "0"},
                                check=False)
    assert missing.attrs["errCode"] == "ENoEnt"
