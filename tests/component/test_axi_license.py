"""The OMM's licence as a user sees it over AXI (omm.license, README "Licences"): fully licensed
by default; a violation runs the latency period (everything works, the health warns), and once
it ran out on a fast clock calls and messages are refused until the violation ends; the
built-in licence without a file; EventLicenseCnf to a subscribed session. Every answer and
event is checked against the vendor schema and the real GetLicenseResp sample (axi.md §6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sipdect import clock
from sipdect.app.emulator import Emulator, OmmHandle
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element, render
from sipdect.waiting import until
from tests.system.test_schema_conformance import XSD_PATH, frame_violations

ACCOUNT = """
[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"
"""

#: The real sample's structure (axi.md §6): attributes and children in this order.
REAL_ATTRS = ["type", "state", "latency", "park"]
REAL_CHILDREN = ["violation", "sysLicense", "msgLicense", "locLicense"]


def conforms(msg: Message) -> None:
    if XSD_PATH.is_file():
        problems = frame_violations(render(msg))
        assert not problems, problems


def license_of(msg: Message) -> dict[str, object]:
    conforms(msg)
    return {**msg.attrs, "violation": [v.text for v in msg.children_named("violation")],
            **{c.name: c.attrs for c in msg.children if c.name != "violation"}}


async def login(omm: OmmHandle) -> AxiClient:
    client = await AxiClient.connect(omm.host, omm.port)
    await client.login(omm.username, omm.password)
    return client


async def component(axi: AxiClient, name: str) -> dict[str, str]:
    r = await axi.request("GetHealthState")
    conforms(r)
    return next(h.attrs for h in r.children_named("health") if h.attrs["component"] == name)


async def test_the_default_installation_is_fully_licensed(omm: OmmHandle, axi: AxiClient) -> None:
    r = await axi.request("GetLicense")
    lic = license_of(r)
    assert [k for k in r.attrs if k != "seq"] == REAL_ATTRS
    assert [c.name for c in r.children][:4] == REAL_CHILDREN
    assert (lic["type"], lic["state"], lic["violation"]) == (
        "standard", "activeLicense", ["noViolation"])
    limits = await axi.request("Limits")
    assert lic["latency"] == limits.attrs["licLatency"] == "43200"  # full: 30 days, minutes
    assert lic["park"] == (await axi.request("GetPARK")).attrs["park"]
    assert lic["msgLicense"]["messagingLicenseRcvMsgs"] == "1"  # type: ignore[index]
    assert lic["locLicense"]["locatingLicense"] == "1"  # type: ignore[index]
    assert await component(axi, "license") == {"component": "license", "severity": "OK",
                                               "reasonCode": ""}


VIOLATED = f"""
[[omm]]
name = "OMM"
{ACCOUNT}
[omm.license]
rfps = 1
latency = 1
"""


def test_a_violation_runs_the_latency_period_then_restricts_until_it_ends(
        tmp_path: Path) -> None:
    speed = 60.0  # the 1-minute latency period in 1 s (AXI sessions idle out after 5 s)

    async def main() -> None:
        async with Emulator(VIOLATED, tmp_path, speed=speed) as emu:
            axi = await login(emu.omm)
            watcher = await login(emu.omm)
            await watcher.subscribe("SystemCnf", "SystemState")
            try:
                for i in range(2):
                    await axi.request("CreateRFP", children=[element(
                        "rfp", {"ethAddr": f"00:30:42:12:3e:4{i}"})])
                lic = license_of(await axi.request("GetLicense"))
                assert (lic["state"], lic["violation"]) == ("activeLicense", ["numRFPs"])
                assert int(str(lic["latency"])) <= 1
                health = await component(axi, "license")
                assert health["severity"] == "Warning"
                assert "latency period runs" in health["reason"]

                async def expired() -> bool:
                    h = await component(axi, "license")
                    return h["reasonCode"] == "License latency period expired"

                await until(expired, "the latency period to run out", timeout=30)
                lic = license_of(await axi.request("GetLicense"))
                assert (lic["state"], lic["latency"]) == ("activeLicenseBlocked", "0")
                refused = await axi.request("SendMessage", children=[element(
                    "msg", {"ppn": 1, "content": "hello"})], check=False)
                assert refused.attrs["errCode"] == "ELicense", refused
                log = await axi.request("GetEventLogBuffer", {"id": 0, "maxRecords": 20})
                texts = [e.attrs["msg"] for e in log.children]
                assert any("License violation numRFPs" in t for t in texts), texts
                assert any("License latency period expired" in t for t in texts), texts

                await axi.request("DeleteRFP", {"id": 1})
                lic = license_of(await axi.request("GetLicense"))
                assert (lic["state"], lic["violation"]) == ("activeLicense", ["noViolation"])
                assert (await component(axi, "license"))["severity"] == "OK"

                events: list[Message] = []
                while not any(e.name == "EventLicenseCnf"
                              and e.children[0].text == "noViolation" for e in events):
                    events.append(await watcher.next_event(timeout=10))
                for e in events:
                    conforms(e)
                states = [e.attrs["state"] for e in events if e.name == "EventLicenseCnf"]
                assert states == ["activeLicense", "activeLicenseBlocked", "activeLicense"]
            finally:
                await axi.close()
                await watcher.close()

    clock.run(main(), speed=speed)


BUILT_IN = f"""
[[omm]]
name = "OMM"
{ACCOUNT}
[omm.license]
builtin = true
"""


async def test_without_a_licence_file_only_info_messages_may_be_sent(tmp_path: Path) -> None:
    async with Emulator(BUILT_IN, tmp_path) as emu:
        axi = await login(emu.omm)
        try:
            lic = license_of(await axi.request("GetLicense"))
            assert (lic["type"], lic["state"], lic["violation"]) == (
                "small", "noLicense", ["noViolation"])
            assert lic["sysLicense"]["number"] == "5"  # type: ignore[index]
            assert lic["msgLicense"]["number"] == "0"  # type: ignore[index]
            refused = await axi.request("SendMessage", children=[element(
                "msg", {"ppn": 1, "content": "hello", "priority": "High"})], check=False)
            assert (refused.attrs["errCode"], refused.attrs["bad"]) == ("ELicense", "priority")
            info = await axi.request("SendMessage", children=[element(
                "msg", {"ppn": 1, "content": "hello", "priority": "Info"})], check=False)
            assert info.attrs.get("errCode") != "ELicense", info
        finally:
            await axi.close()


@pytest.mark.parametrize("section, error", [
    ("rfps = \"many\"", "whole number"),
    ("colour = 1", "unknown licence item"),
    ("builtin = true\nrfps = 3", "nothing else"),
    ("latency = 0", "grace period in minutes"),
    ("file = \"missing.lic\"", "cannot read"),
])
def test_a_bad_license_section_is_one_clear_error(section: str, error: str,
                                                  tmp_path: Path) -> None:
    from sipdect.app.config import ConfigError, parse_config

    with pytest.raises(ConfigError, match=error):
        parse_config(f"[[omm]]\nname = \"OMM\"\n[omm.license]\n{section}\n", base=tmp_path)


async def put_file(axi: AxiClient, data: bytes, chunk: int = 500) -> Message:
    """Upload as mitel-api does: Base64 chunks of at most 500 bytes, then an empty eof."""
    import base64

    for offset in range(0, len(data), chunk):
        r = await axi.request("PutFile", {"name": ":license", "offset": offset,
                                          "data": base64.b64encode(data[offset:offset + chunk])
                                          .decode()})
        conforms(r)
    return await axi.request("PutFile", {"name": ":license", "offset": len(data), "data": "",
                                         "eof": "true"}, check=False)


async def test_a_licence_file_uploaded_with_putfile_is_the_installations(
        omm: OmmHandle, axi: AxiClient) -> None:
    from omm.licensefile import sign

    text = sign("# uploaded\npark = 1F10AB1200\nrfps = 7\nmessaging = 0\nlocating = 3\n"
                + "# padding to need several chunks\n" * 40)
    await axi.subscribe("SystemCnf")
    done = await put_file(axi, text.encode())
    assert "errCode" not in done.attrs, done
    lic = license_of(await axi.request("GetLicense"))
    numbers = (lic["sysLicense"]["number"], lic["msgLicense"]["number"])  # type: ignore[index]
    assert (lic["park"], numbers) == ("1F10AB1200", ("7", "0"))
    assert (await axi.request("GetPARK")).attrs["park"] == "1F10AB1200"
    event = await axi.next_event(timeout=10)
    while event.name != "EventLicenseCnf":
        event = await axi.next_event(timeout=10)
    assert license_of(event)["sysLicense"]["number"] == "7"  # type: ignore[index]

    damaged = await put_file(axi, text.replace("rfps = 7", "rfps = 70").encode())
    assert (damaged.attrs["errCode"], damaged.attrs["bad"]) == ("ELicenseFile", "name")
    assert "signature" in damaged.attrs["info"]
    other = await axi.request("PutFile", {"name": "/etc/passwd", "offset": 0, "data": ""},
                              check=False)
    assert (other.attrs["errCode"], other.attrs["bad"]) == ("EInval", "name")
    gap = await axi.request("PutFile", {"name": ":license", "offset": 10, "data": "AAAA"},
                            check=False)
    assert (gap.attrs["errCode"], gap.attrs["bad"]) == ("EInval", "offset")
