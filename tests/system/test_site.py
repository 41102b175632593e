"""The whole site on loopback as a user sees it: RFPs enrol and sync, handsets subscribe in each
mode, log users in and out, hand over, survive an RFP losing power and answer text messages.

Everything is observed through AXI (axi.md §3-4) and, where AXI has no view (a handset's
display, where it is on the air), through the supervisor's control API (README "Control API").
One site runs per module; each test sets the subscription mode it needs and uses handsets of
its own, so the order of the tests does not matter. Timers run in real time (an idle DECT link
is released after dect.conventions.LINK_RELEASE_S), so waits poll with generous deadlines.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from site_helpers import Control, EventWatch, encrypt, ipei, record

import sim.handset
from dect import conventions as cv
from sipdect.app.config import parse_config
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element
from sipdect.waiting import DEFAULT_TIMEOUT, until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

AC = "31415"
MAC_A, MAC_B = "00:30:42:5e:00:01", "00:30:42:5e:00:02"

# Handsets of the shared site, each for one scenario; they subscribe by themselves at start.
LOGIN, MOVER, ON_B, MESSAGE, EARLY = (ipei(n) for n in (101, 102, 103, 104, 105))

SITE = f"""
[system]
name = "site-test"

[[omm]]
name = "OMM"

[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"

[omm.settings.DECTSubscriptionMode]
mode = "Configured"

[omm.settings.DECTAuthCode]
ac = "{AC}"

[[rfp]]
mac = "{MAC_A}"
name = "RFP A"
x = 0.0
y = 0.0
preferred_sync = true

[[rfp]]
mac = "{MAC_B}"
name = "RFP B"
x = 30.0
y = 0.0

[[handset]]
ipei = "{LOGIN}"
x = 4.0
y = 2.0

[[handset]]
ipei = "{MOVER}"
x = 5.0
y = -1.0

[[handset]]
ipei = "{ON_B}"
x = 27.0
y = 1.0

[[handset]]
ipei = "{MESSAGE}"
x = 3.0
y = -2.0

[[handset]]
ipei = "{EARLY}"
x = 2.0
y = 3.0
"""


@dataclass
class Site:
    """The running site and how a test reaches it."""

    emu: Emulator
    control: Control
    rfp_a: int
    rfp_b: int


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with Emulator(SITE, tmp_path_factory.mktemp("site")) as emu:
        assert emu.system is not None and emu.system.control is not None
        async with Control.of(emu.system) as control:
            ids = {r["mac"]: r["id"] for r in await control.rfps()}

            async def all_registered() -> bool:
                return all(h["tpui"] for h in await control.handsets())

            await until(all_registered, "the site's handsets to register")
            yield Site(emu, control, ids[MAC_A], ids[MAC_B])


@pytest_asyncio.fixture(loop_scope="module")
async def axi(site: Site) -> AsyncIterator[AxiClient]:
    """A logged-in AXI client of the site's OMM (plain TCP)."""
    omm = site.emu.omm
    client = await AxiClient.connect(omm.host, omm.port)
    await client.login(omm.username, omm.password)
    yield client
    await client.close()


# -- helpers --------------------------------------------------------------------------------


async def subscription_mode(axi: AxiClient, mode: str) -> None:
    await axi.request("SetDECTSubscriptionMode", {"mode": mode})


async def device(axi: AxiClient, ipei_text: str) -> dict[str, str] | None:
    """The device record of an IPEI as GetPPDevByIPEI shows it, None when there is none."""
    resp = await axi.request("GetPPDevByIPEI", {"ipei": ipei_text}, check=False)
    if resp.attrs.get("errCode") == "ENoEnt":
        return None
    assert "errCode" not in resp.attrs, resp
    return record(resp, "pp")


async def handset_where(control: Control, ref: str | int, what: str, *,
                        first_line: str | None = None, **wanted: Any) -> dict[str, Any]:
    """Wait until the control API shows the handset with these values (and this first
    display line)."""
    async def probe() -> dict[str, Any] | None:
        h = await control.handset(ref)
        if first_line is not None and h["display"][:1] != [first_line]:
            return None
        return h if all(h[k] == v for k, v in wanted.items()) else None

    return await until(probe, f"handset {ref} {what} ({wanted}, {first_line!r})")


async def idle(control: Control, ref: str) -> dict[str, Any]:
    """Wait for the handset's connection to end (the OMM releases an idle link after
    LINK_RELEASE_S), so what follows starts a connection of its own."""
    return await handset_where(control, ref, "idle", state="locked", call_active=False)


async def rfp_state(axi: AxiClient, rfp_id: int) -> dict[str, str]:
    resp = await axi.request("GetRFP", {"id": rfp_id, "withState": "true"})
    return record(resp, "rfp")


async def synced(axi: AxiClient, rfp_id: int) -> dict[str, str]:
    """Wait until GetRFP withState shows the RFP connected and synced."""
    async def probe() -> dict[str, str] | None:
        state = await rfp_state(axi, rfp_id)
        return state if state["connected"] == "true" and state["syncState"] == "Synced" \
            else None

    return await until(probe, f"RFP {rfp_id} connected and synced")


def log_text(fragment: str) -> Any:
    return lambda e: fragment in e.attrs.get("msg", "")


async def send_message(axi: AxiClient, ppn: int, msg_id: int, text: str,
                       confirmations: tuple[str, ...]) -> None:
    await axi.request("SendMessage", children=[element(
        "msg", {"Ppn": ppn, "id": msg_id, "fromName": "Ward 3", "content": text,
                "fromAddr": "alarmserver:ward3"},
        [Message("confirmReq", text=c) for c in confirmations])])


# -- RFPs ------------------------------------------------------------------------------------


async def test_rfps_come_up_connected_and_synced(site: Site, axi: AxiClient) -> None:
    for rfp_id in (site.rfp_a, site.rfp_b):
        await synced(axi, rfp_id)
    sync = await axi.request("GetRFPSync", {"id": site.rfp_b})
    assert sync.attrs["syncState"] == "Synced"
    assert {f.attrs["id"] for f in sync.children_named("forward")} == {str(site.rfp_a)}

    # One more RFP, added while the site runs, enrols and joins the sync cluster.
    added = await site.control.add_rfp("00:30:42:5e:00:03", 15.0, 40.0, name="RFP C")
    try:
        state = await synced(axi, added["id"])
        assert state["dectRunning"] == "true"
        sync = await axi.request("GetRFPSync", {"id": added["id"]})
        assert {f.attrs["id"] for f in sync.children_named("forward")} <= {
            str(site.rfp_a), str(site.rfp_b)}
    finally:
        await site.control.remove_rfp(added["id"])

    async def gone() -> bool:
        return (await rfp_state(axi, added["id"]))["connected"] == "false"

    await until(gone, "RFP C disconnected")
    await axi.request("DeleteRFP", {"id": added["id"]})


async def test_a_subscriber_hears_an_rfp_come_up_and_sync(site: Site, axi: AxiClient) -> None:
    control = site.control
    await synced(axi, site.rfp_b)
    for handset in await control.handsets():  # no DECT traffic to deliver events by chance
        await idle(control, handset["ipei"])
    await axi.subscribe("RFPState")
    await axi.subscribe("RFPSync", rfpId=str(site.rfp_b))
    watch = EventWatch(axi)
    of_b = lambda e: record(e, "rfp").get("id") == str(site.rfp_b)  # noqa: E731
    await control.power_rfp(site.rfp_b, False)
    await watch.wait("EventRFPState", lambda e: of_b(e)
                     and record(e, "rfp").get("connected") == "false")
    mark = watch.mark()
    await control.power_rfp(site.rfp_b, True)
    try:
        async def up() -> bool:  # the control API: no AXI request delivers events for us
            return any(r["id"] == site.rfp_b and r["linked"] and r["syncState"] == "Synced"
                       for r in await control.rfps())

        await until(up, "RFP B linked and synced")
        await watch.wait("EventRFPState", lambda e: of_b(e)
                         and record(e, "rfp").get("connected") == "true", since=mark)
        await watch.wait("EventRFPState", lambda e: of_b(e)
                         and record(e, "rfp").get("syncState") == "Synced", since=mark)
        # The neighbours it hears (the sync view): EventRFPSyncRel names RFP A.
        await watch.wait("EventRFPSyncRel", lambda e: e.attrs.get("id") == str(site.rfp_b)
                         and str(site.rfp_a) in {f.attrs["id"]
                                                 for f in e.children_named("forward")},
                         since=mark)
    finally:
        await synced(axi, site.rfp_b)


async def test_a_powered_off_rfp_is_reported_and_its_handsets_move(site: Site,
                                                                   axi: AxiClient) -> None:
    control = site.control
    await synced(axi, site.rfp_b)
    await handset_where(control, ON_B, "on RFP B", rfp=site.rfp_b)
    await axi.subscribe("RFPState")
    watch = EventWatch(axi)
    off = await control.power_rfp(site.rfp_b, False)
    assert off["powered"] is False
    try:
        down = await watch.wait("EventRFPState", lambda e: record(e, "rfp").get("id") == str(
            site.rfp_b) and record(e, "rfp").get("connected") == "false")
        assert record(down, "rfp")["syncState"] == "Inactive"
        moved = await handset_where(control, ON_B, "on RFP A", rfp=site.rfp_a)
        assert moved["subscribed"]
        assert (await rfp_state(axi, site.rfp_b))["connected"] == "false"
    finally:
        await control.power_rfp(site.rfp_b, True)
    await synced(axi, site.rfp_b)
    await handset_where(control, ON_B, "back on RFP B", rfp=site.rfp_b)


# -- subscription ---------------------------------------------------------------------------


async def test_subscription_off_is_refused(site: Site, axi: AxiClient) -> None:
    await subscription_mode(axi, "Off")
    await axi.subscribe("EventLog")
    watch = EventWatch(axi)
    ipei_text = ipei(201)
    await site.control.add_handset(ipei_text, 6.0, 4.0)  # configured: it has a device record
    try:
        await watch.wait("EventEventLogBuffer",
                         log_text(f"AccessRightsFailed(ipei={ipei_text}, subscription is off)"))
        await handset_where(site.control, ipei_text, "refused", subscribed=False,
                            first_line="Subscription failed")
        rec = await device(axi, ipei_text)
        assert rec is not None and rec["s"] == "No"
    finally:
        await site.control.remove_handset(ipei_text)
        await subscription_mode(axi, "Configured")


async def test_configured_mode_admits_only_configured_ipeis(site: Site, axi: AxiClient) -> None:
    await subscription_mode(axi, "Configured")
    await axi.subscribe("PPDevCnf", "EventLog")
    watch = EventWatch(axi)
    known, stranger = ipei(202), ipei(203)
    await site.control.add_handset(known, 7.0, -3.0, model="632d")
    await site.control.add_handset(stranger, 8.0, 3.0, configured=False)
    try:
        created = await watch.wait("EventPPDevCnf",
                                   lambda e: record(e, "pp").get("ipei") == known)
        ppn = record(created, "pp")["ppn"]
        assert record(created, "pp")["s"] == "No"
        await watch.wait("EventPPDevCnf", lambda e: record(e, "pp").get("ppn") == ppn
                         and record(e, "pp").get("s") == "Yes")
        await watch.wait("EventEventLogBuffer", log_text(
            f"AccessRightsFailed(ipei={stranger}, no configured device or no wildcard"))
        rec = await device(axi, known)
        assert rec is not None and rec["s"] == "Yes" and rec["autoCreate"] == "0"
        assert rec["hwType"] == "632d"
        assert await device(axi, stranger) is None
        await handset_where(site.control, stranger, "refused", subscribed=False,
                            first_line="Subscription failed")
    finally:
        await site.control.remove_handset(known)
        await site.control.remove_handset(stranger)


async def test_wildcard_with_auto_create_makes_a_device_record(site: Site,
                                                               axi: AxiClient) -> None:
    await axi.request("SetDevAutoCreate", {"enable": "true"})
    await subscription_mode(axi, "Wildcard")
    await axi.subscribe("PPDevCnf")
    watch = EventWatch(axi)
    stranger = ipei(204)
    assert await device(axi, stranger) is None
    await site.control.add_handset(stranger, 9.0, -4.0, configured=False)
    try:
        created = await watch.wait("EventPPDevCnf",
                                   lambda e: record(e, "pp").get("ipei") == stranger)
        assert record(created, "pp")["autoCreate"] == "1"
        ppn = record(created, "pp")["ppn"]
        await watch.wait("EventPPDevCnf", lambda e: record(e, "pp").get("ppn") == ppn
                         and record(e, "pp").get("s") == "Yes")
        shown = await handset_where(site.control, stranger, "registered", tpui=int(ppn))
        assert shown["subscribed"]
    finally:
        await site.control.remove_handset(stranger)
        await subscription_mode(axi, "Configured")
        await axi.request("SetDevAutoCreate", {"enable": "false"})


async def test_a_wrong_authentication_code_fails(site: Site, axi: AxiClient) -> None:
    await subscription_mode(axi, "Configured")
    await axi.subscribe("EventLog")
    watch = EventWatch(axi)
    ipei_text = ipei(205)
    await site.control.add_handset(ipei_text, 10.0, 2.0, subscribe=False)
    try:
        await handset_where(site.control, ipei_text, "locked", state="locked")
        await site.control.subscribe(ipei_text, ac="9999")
        await watch.wait("EventEventLogBuffer", log_text(
            f"AccessRightsFailed(ipei={ipei_text}, authentication failed"))
        await handset_where(site.control, ipei_text, "refused", subscribed=False,
                            first_line="Subscription failed")
        rec = await device(axi, ipei_text)
        assert rec is not None and rec["s"] == "No"
    finally:
        await site.control.remove_handset(ipei_text)


# -- users -----------------------------------------------------------------------------------


async def test_a_dynamic_user_logs_in_with_a_pin_and_out(site: Site, axi: AxiClient) -> None:
    assert axi.open_response is not None
    created = await axi.request("CreatePPUser", children=[element("user", {
        "name": "Night Nurse", "num": "4711", "pin": encrypt(axi.open_response, "2468")})])
    uid = record(created, "user")["uid"]
    rec = await device(axi, LOGIN)
    assert rec is not None and rec["s"] == "Yes"
    ppn = rec["ppn"]
    await axi.subscribe("PPUserCnf")
    watch = EventWatch(axi)
    of_user = lambda e: record(e, "user").get("uid") == uid  # noqa: E731

    await idle(site.control, LOGIN)
    await site.control.press(LOGIN, cv.login_digits("4711", "2468") + "{CALL}")
    await watch.wait("EventPPUserCnf", lambda e: of_user(e)
                     and record(e, "user").get("relType") == "Dynamic"
                     and record(e, "user").get("ppn") == ppn)
    user = record(await axi.request("GetPPUser", {"uid": uid}), "user")
    assert (user["relType"], user["ppn"]) == ("Dynamic", ppn)
    assert record(await axi.request("GetPPDev", {"ppn": ppn}), "pp")["uid"] == uid
    shown = await site.control.display(LOGIN)
    assert shown["display"] == [cv.TEXT_LOGGED_IN]

    mark = watch.mark()
    # Once the OMM has ended the login call, a new call (on the same connection) logs out.
    await handset_where(site.control, LOGIN, "after the login call", call_active=False)
    await site.control.press(LOGIN, cv.logout_digits() + "{CALL}")
    await watch.wait("EventPPUserCnf", lambda e: of_user(e)
                     and record(e, "user").get("relType") == "Unbound", since=mark)
    user = record(await axi.request("GetPPUser", {"uid": uid}), "user")
    assert (user["relType"], user["ppn"]) == ("Unbound", "0")
    await handset_where(site.control, LOGIN, "logged out", display=[cv.TEXT_LOGGED_OUT])
    await axi.request("DeletePPUser", {"uid": uid})


# -- mobility ---------------------------------------------------------------------------------


async def test_a_call_hands_over_when_the_handset_walks_to_the_other_rfp(
        site: Site, axi: AxiClient) -> None:
    control = site.control
    rec = await device(axi, MOVER)
    assert rec is not None
    ppn = rec["ppn"]
    await axi.subscribe("PPTransaction")
    watch = EventWatch(axi)
    await control.move(MOVER, 5.0, -1.0)  # next to RFP A, 25 m from RFP B
    start = await handset_where(control, MOVER, "on RFP A", rfp=site.rfp_a,
                                call_active=False)
    await control.press(MOVER, "{CALL}")
    await handset_where(control, MOVER, "in a call", state="connected", call_active=True)
    await control.move(MOVER, 28.0, -1.0)
    handover = await watch.wait("EventPPTransaction", lambda e: e.attrs["trType"] ==
                                "ConnHandover" and e.attrs["ppn"] == ppn)
    assert handover.attrs["rfpId"] == str(site.rfp_b)
    during = await control.handset(MOVER)
    assert (during["rfp"], during["call_active"]) == (site.rfp_b, True)
    assert during["rfp"] != start["rfp"]
    await control.press(MOVER, "{END}")
    await handset_where(control, MOVER, "after the call", call_active=False)


# -- text messages ----------------------------------------------------------------------------


async def test_a_text_message_is_delivered_shown_and_confirmed(site: Site,
                                                               axi: AxiClient) -> None:
    rec = await device(axi, MESSAGE)
    assert rec is not None
    ppn = int(rec["ppn"])
    await axi.subscribe("MessageProgress", "MessageConfirmation")
    watch = EventWatch(axi)
    await idle(site.control, MESSAGE)  # paged, not riding on another connection
    await send_message(axi, ppn, 501, "Patient in 12 calls", ("OrderOk", "OrderNok"))
    progress = await watch.wait("EventMessageProgress", lambda e: e.attrs["id"] == "501")
    assert progress.attrs["event"] == "Delivered"
    shown = await site.control.display(MESSAGE)
    assert shown["display"] == ["Ward 3", "Patient in 12 calls", "1:OrderOk 2:OrderNok"]
    assert [m["text"] for m in shown["messages"]] == ["Patient in 12 calls"]
    await idle(site.control, MESSAGE)
    await site.control.press(MESSAGE, "1")
    confirmed = await watch.wait("EventMessageConfirmation", lambda e: e.attrs["id"] == "501")
    assert confirmed.attrs["confirmation"] == "OrderOk"
    # fromAddr: the original's sender, where the confirmation goes (standby-eventmgr.md B.3).
    assert (confirmed.attrs["fromAddr"], confirmed.attrs["toAddr"]) == ("alarmserver:ward3",
                                                                        f"ppn:{ppn}")
    assert (await site.control.display(MESSAGE))["messages"][0]["answer"] == "OrderOk"


async def test_an_answer_while_the_delivery_connection_runs_is_confirmed(
        site: Site, axi: AxiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = await device(axi, EARLY)
    assert rec is not None
    await axi.subscribe("MessageConfirmation")
    watch = EventWatch(axi)
    await idle(site.control, EARLY)
    # The delivery connection must still run when the key is pressed. The site runs in this
    # process, so both ends keep an idle link as long as the test needs (the OMM releases it
    # after LINK_RELEASE_S, the handset gives up after IDLE_RELEASE_S); on a busy machine the
    # real 5 s could pass before the press.
    monkeypatch.setattr(cv, "LINK_RELEASE_S", 3600.0)
    monkeypatch.setattr(sim.handset, "IDLE_RELEASE_S", 7200.0)
    await send_message(axi, int(rec["ppn"]), 502, "Answer at once", ("ReadYes",))
    await handset_where(site.control, EARLY, "showing the message on the delivery connection",
                        state="connected",
                        display=["Ward 3", "Answer at once", "1:ReadYes"])
    # Back to the real timers: the link is released once the answer's transaction is done.
    monkeypatch.undo()
    await site.control.press(EARLY, "1")  # the delivery connection still runs
    confirmed = await watch.wait("EventMessageConfirmation", lambda e: e.attrs["id"] == "502")
    assert confirmed.attrs["confirmation"] == "ReadYes"
    await idle(site.control, EARLY)
    # The answer rides on the running connection, before the OMM releases it (this used to
    # get lost). Once the handset is idle and the OMM has answered a later request, no
    # second confirmation is on its way.
    await axi.request("Ping")
    confirmed_all = watch.all("EventMessageConfirmation", lambda e: e.attrs["id"] == "502")
    assert [c.attrs["confirmation"] for c in confirmed_all] == ["ReadYes"]


# -- sipdect up --------------------------------------------------------------------------------


def free_port_config() -> str:
    """The embedded default config with every listener on a free port (0)."""
    text = resources.files("sipdect.app").joinpath("data/default.toml").read_text("utf-8")
    text = re.sub(r"(?m)^(axi_port|axi_tls_port|udp_port|tcp_port|tls_port)\s*=\s*\d+",
                  r"\1 = 0", text)
    text = re.sub(r"(?m)^\[system\]$", "[system]\ncontrol_port = 0", text, count=1)
    text = re.sub(r"(?m)^\[\[omm\]\]$", "[[omm]]\nrfp_port = 0", text, count=1)
    cfg = parse_config(text)
    assert cfg.control_port == 0 and len(cfg.rfps) == 2 and len(cfg.handsets) == 2
    assert all((o.axi_port, o.axi_tls_port, o.rfp_port) == (0, 0, 0) for o in cfg.omms)
    return text


async def test_sipdect_up_runs_the_default_site(tmp_path: Path) -> None:
    config = tmp_path / "default.toml"
    config.write_text(free_port_config(), "utf-8")
    ready = tmp_path / "ready.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sipdect.app.cli", "up", "--config", str(config),
        "--data-dir", str(tmp_path / "data"), "--ready-file", str(ready),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        async def is_ready() -> bool:
            assert proc.returncode is None, "sipdect up ended before it got ready"
            return ready.exists()

        await until(is_ready, "the ready file")
        info = json.loads(ready.read_text("utf-8"))
        assert [r["mac"] for r in info["rfps"]] == ["00:30:42:1b:17:37", "00:30:42:1b:17:38"]
        assert sorted(h["ipei"] for h in info["handsets"]) == ["00077 0010001 6",
                                                                "03074 0220259 3"]
        port = next(e["port"] for e in info["endpoints"] if e["protocol"] == "control")
        async with Control("127.0.0.1", port, info["control"]["token"]) as control:
            async def both_subscribed() -> list[dict[str, Any]] | None:
                hs = await control.handsets()
                return hs if len(hs) == 2 and all(h["subscribed"] and h["tpui"] for h in hs) \
                    else None

            handsets = await until(both_subscribed, "both handsets subscribed")
        assert {h["rfp"] for h in handsets} == {r["id"] for r in info["rfps"]}
        axi_port = next(e["port"] for e in info["endpoints"] if e["protocol"] == "axi")
        cred = info["credentials"][0]
        client = await AxiClient.connect("127.0.0.1", axi_port)
        try:
            await client.login(cred["username"], cred["password"])
            devices = await client.request("GetPPDev", {"ppn": 1, "maxRecords": 10})
            assert sorted(d.attrs["s"] for d in devices.children_named("pp")) == ["Yes", "Yes"]
        finally:
            await client.close()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), DEFAULT_TIMEOUT)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 0, (await proc.stderr.read()).decode()  # type: ignore[union-attr]
    assert not ready.exists()
