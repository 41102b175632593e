"""`--capture DIR` (docs/capture.md, issue 13 part 4): the default system with a call and an
AXI session over TLS, captured, opens in Debian's tshark as a user would open it: nothing
malformed, SIP and RTP dissected, the AXI XML decrypted with the keys the file carries, the
link and air records named by the shipped Lua dissector; and `sipdect decode` reads it.
Once with every host in the supervisor's process, once with the OMM in a process of its own
(its records and keys come from that process)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sim.handset import CallState
from sim.voice import default_tone_hz
from sipdect.app.cli import main
from sipdect.app.config import load_config
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.waiting import until

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("tshark") is None,
                                 reason="tshark is not installed (make peers installs it)")]

ROOT = Path(__file__).resolve().parents[2]
LUA = ROOT / "contrib" / "wireshark" / "sipdect.lua"


def tshark(path: Path, *args: str) -> str:
    done = subprocess.run(["tshark", "-r", str(path), "-X", f"lua_script:{LUA}", *args],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Lua" not in done.stderr or "error" not in done.stderr.lower(), done.stderr
    return done.stdout


def decode(*args: str) -> list[dict[str, object]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["decode", *args]) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def run_a_call(tmp: Path, isolation: str) -> Path:
    cfg = load_config()
    cfg.capture = tmp / "capture"
    for omm in cfg.omms:
        cfg.omm_isolation[omm.name] = isolation
    async with Emulator(cfg, tmp / "data") as emu:
        system = emu.system
        assert system is not None
        world = system.site.world
        assert world is not None
        alice, bob = (world.get(hid).handset for hid in sorted(world.handsets)[:2])
        hid_a, hid_b = sorted(world.handsets)[:2]
        await until(lambda: alice.subscription is not None and bob.subscription is not None,
                    "both handsets subscribed")
        handle = emu.omm
        for port, tls in ((handle.tls_port, True), (handle.port, False)):
            axi = await AxiClient.connect(handle.host, port, tls=tls)
            await axi.login(handle.username, handle.password)
            await axi.close()
        alice.dial("202", world.now())
        world.pump(hid_a)
        await until(lambda: bob.call_state is CallState.INCOMING, "Bob's handset ringing")
        bob.answer(world.now())
        world.pump(hid_b)
        await until(lambda: alice.call_state is CallState.CONNECTED, "the call connected")
        def alice_hears_bob() -> bool:
            hearing = world.hears(hid_a, default_tone_hz(hid_b), 0.3)
            return bool(hearing and hearing.now and hearing.now.present)
        await until(alice_hears_bob, "Alice hearing Bob's tone")  # voice crossed RTP
        alice.hang_up(world.now())
        world.pump(hid_a)
        await until(lambda: bob.call_state is CallState.IDLE, "Bob's handset idle again")
    assert system.capture_file is not None
    files = list((tmp / "capture").iterdir())
    assert files == [system.capture_file]  # one file, the parts merged into it
    return system.capture_file


@pytest.mark.parametrize("isolation", ["none", "process"])
async def test_a_captured_call_opens_in_tshark(tmp_path: Path, isolation: str) -> None:
    path = await run_a_call(tmp_path, isolation)

    assert tshark(path, "-Y", "_ws.malformed or _ws.expert.severity >= 0x00800000") == ""
    sip = tshark(path, "-Y", "sip.Method", "-T", "fields", "-e", "sip.Method")
    assert {"REGISTER", "INVITE", "ACK", "BYE"} <= set(sip.split())
    assert tshark(path, "-Y", "rtp", "-T", "fields", "-e", "rtp.p_type").split()
    axi = tshark(path, "-Y", "tls", "-x")
    assert "Decrypted TLS" in axi and "<OpenResp" in axi  # the XML, through the DSB's keys
    axi_tls = tshark(path, "-Y", "tls and sipdect_axi", "-T", "fields", "-e", "xml.tag")
    assert '<OpenResp seq="1"' in axi_tls
    axi_plain = tshark(path, "-Y", "not tls and sipdect_axi", "-T", "fields", "-e", "xml.tag")
    assert '<OpenResp seq="1"' in axi_plain
    link = tshark(path, "-Y", "sipdect_link", "-T", "fields", "-e", "sipdect_link.name")
    assert {"SYS_AUTHENTICATE", "SYS_INIT", "ACK", "DNM", "MEDIA_OPEN"} <= set(link.split())
    air = tshark(path, "-Y", "sipdect_air", "-T", "fields", "-e", "sipdect_air.summary")
    assert "CC CC-SETUP" in air and "MM ACCESS-RIGHTS-REQUEST" in air
    assert tshark(path, "-Y", "sipdect_air.ciphered == 1")  # the call's frames were ciphered

    records = decode("rfp", str(path), "--stream")
    in_clear = [r["name"] for r in records if "stream" not in r]
    as_sent = [r["name"] for r in records if "stream" in r]
    assert "SYS_INIT" in in_clear and "MEDIA_CONF" in in_clear
    assert not [r for r in records if "error" in r]
    assert as_sent and set(as_sent) <= set(in_clear)  # the TCP stream decrypts to the same
    air_records = decode("air", str(path))
    assert any(r.get("nwk", {}).get("type") == "CC-CONNECT" for r in air_records)


async def test_sip_over_tls_is_decrypted_through_the_embedded_keys(tmp_path: Path) -> None:
    """The OMM registers its users over TLS (BasicSIP transportProt TLS, the call server's
    certificate trusted): tshark reads the REGISTERs inside TLS with the file's keys alone."""
    cfg = load_config()
    cfg.capture = tmp_path / "capture"
    async with Emulator(cfg, tmp_path / "data") as emu:
        system = emu.system
        assert system is not None and system.pbx is not None
        pbx_host = system.pbx_host
        assert pbx_host is not None
        tls_port = next(e.port for e in pbx_host.endpoints() if e.protocol == "sip-tls")
        omm = system.omm()
        omm.sip.tls_cafile = system.pbx._cert  # self-signed: trust it, as an admin would
        omm.model.settings.update("BasicSIP", {"regPort": tls_port, "proxyPort": tls_port,
                                               "transportProt": "TLS"})
        server = system.pbx.server
        assert server is not None

        def over_tls() -> bool:
            binding = server.registrar.lookup("201", server.transport.now())
            return binding is not None and "transport=tls" in str(binding.contact).lower()
        await until(over_tls, "user 201 registered over TLS")
    path = system.capture_file
    assert path is not None
    assert tshark(path, "-Y", "_ws.malformed or _ws.expert.severity >= 0x00800000") == ""
    methods = tshark(path, "-Y", "tls and sip", "-T", "fields", "-e", "sip.Method",
                     "-e", "sip.Status-Code")
    assert "REGISTER" in methods.split() and "200" in methods.split()
