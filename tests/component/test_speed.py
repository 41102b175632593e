"""A system at a speed (sipdect.clock): hours of protocol timers in seconds, as a user sees
them. A user's 3600 s registration at the embedded call server is refreshed by the OMM before
it lapses, and lapses once the OMM is gone; a 5-minute call-server block lifts; an idle AXI
session is closed after its 5 minutes; a voice request says it needs speed 1.

Every wait has a deadline in real seconds (sipdect.waiting); the figures a wait needs at the
speed are stated beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_pbx import Phone
from test_pbx_guard import ATTACKER, register

from sim.world import VoiceUnavailable
from sipdect import clock
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.clock import ClockError
from sipdect.sip import SipTransport, Transport
from sipdect.waiting import until

CONFIG = """
[system]
control_port = 0
[[omm]]
name = "OMM"
[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"
[pbx]
[[pbx.accounts]]
user = "300"
password = "Far-End-300"
[[user]]
number = "201"
name = "Alice"
sip_password = "Sip-201-pw"
"""

REGISTRATION_S = 3600  # the OMM's regPeriod default and the call server's default_expires


def test_a_3600_s_registration_is_refreshed_before_it_lapses_then_lapses_without_the_omm(
        tmp_path: Path) -> None:
    speed = 600.0  # an hour in 6 s

    async def main() -> None:
        async with Emulator(CONFIG, tmp_path, speed=speed) as emu:
            assert emu.system is not None and emu.system.pbx is not None
            pbx = emu.system.pbx.running
            now = pbx.transport.now
            first = await until(lambda: pbx.registrar.lookup("201", now()),
                                "the OMM to register user 201")
            assert first.expires_at - now() > REGISTRATION_S / 2  # granted the full hour
            lapsed: list[float] = []

            def refreshed() -> bool:
                binding = pbx.registrar.lookup("201", now())
                if binding is None:
                    lapsed.append(now())
                return binding is not None and binding.expires_at > first.expires_at

            # The OMM refreshes at half the interval: 1800 virtual s, 3 s real.
            await until(refreshed, "the OMM to refresh 201's registration", timeout=60)
            assert lapsed == []  # the binding held all along
            second = pbx.registrar.lookup("201", now())
            assert second is not None
            assert second.expires_at - REGISTRATION_S < first.expires_at  # before it lapsed

            await emu.system.kill_host("OMM")  # gone without a de-registration
            assert pbx.registered("201")
            # Lapses at second.expires_at: at most an hour of virtual time, 6 s real.
            await until(lambda: not pbx.registered("201"), "201's binding to lapse",
                        timeout=60)
            assert now() >= second.expires_at

    clock.run(main(), speed=speed)


def test_a_5_minute_call_server_block_lifts(tmp_path: Path) -> None:
    speed = 300.0  # the 5 minutes in 1 s

    async def main() -> None:
        async with Emulator(CONFIG, tmp_path, speed=speed) as emu:
            assert emu.system is not None and emu.system.pbx is not None
            pbx = emu.system.pbx.running
            transport = SipTransport()
            try:
                address = await transport.listen(Transport.UDP, ATTACKER)
                guesser = Phone("300", transport, address)
                transport.on_event = guesser
                statuses = [await register(guesser, pbx.address, "wrong") for _ in range(10)]
                assert statuses[-1] == 403  # the 10th guess blocked the address
                until_when = pbx.guard.blocked_until(ATTACKER)
                assert until_when is not None
                assert until_when - pbx.transport.now() > 200  # of the 300 s block
                assert await register(guesser, pbx.address, "Far-End-300") == 403

                async def admitted() -> int | None:
                    status = await register(guesser, pbx.address, "Far-End-300")
                    return status if status == 200 else None

                await until(admitted, "the block to lift", timeout=60)
                assert pbx.transport.now() >= until_when
            finally:
                await transport.close()

    clock.run(main(), speed=speed)


def test_an_idle_axi_session_is_closed_after_5_minutes(tmp_path: Path) -> None:
    # Login must fit in the AXI login timeout (10 virtual s, 0.17 s real at this speed) with
    # a password check on a busy machine: 60 keeps it, and 5 minutes take 5 s.
    speed = 60.0

    async def main() -> None:
        async with Emulator(None, tmp_path, speed=speed) as emu:
            omm = emu.omm
            client = await AxiClient.connect(omm.host, omm.port)
            try:
                opened = clock.now()  # the session's last request is the Open
                await client.login(omm.username, omm.password)
                await until(lambda: client.closed.is_set(), "the idle session to be closed",
                            timeout=60)
                assert clock.now() - opened >= 300
            finally:
                await client.close()

    clock.run(main(), speed=speed)


def test_voice_says_it_needs_speed_1_and_calls_signal_without_it(tmp_path: Path) -> None:
    async def main() -> None:
        async with Emulator(CONFIG + '[[handset]]\nipei = "03074 0220259 3"\nsubscribe = false\n',
                            tmp_path, speed=60) as emu:
            assert emu.system is not None
            world = emu.system.site.world
            assert world is not None
            hid = next(iter(world.handsets))
            with pytest.raises(VoiceUnavailable, match="voice needs speed 1"):
                world.voice_start(hid)
            assert not clock.voice_available()

    clock.run(main(), speed=60)


async def test_an_emulator_at_a_speed_refuses_a_loop_at_another(tmp_path: Path) -> None:
    emu = Emulator(None, tmp_path, speed=60)
    with pytest.raises(ClockError, match="configured for speed 60 but runs on a loop at "
                                         "speed 1: run it with sipdect.clock.run"):
        await emu.start()
    await emu.stop()


RFP_PROCESS = """
[system]
control_port = 0
[[omm]]
name = "OMM"
[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"
[[rfp]]
mac = "00:30:42:0a:00:01"
name = "R1"
isolation = "process"
"""


def test_an_rfp_process_at_the_same_speed_keeps_its_link_with_the_omm(tmp_path: Path) -> None:
    """The RFP runs in an OS process of its own, on the supervisor's clock (SIPDECT_CLOCK):
    its heartbeats every 15 virtual s (50 ms real) keep the OMM's 45 s watch content for 100
    intervals. A child at real time would send one every 15 real s and be dropped within
    0.15 s."""
    speed = 300.0

    async def main() -> None:
        async with Emulator(RFP_PROCESS, tmp_path, speed=speed) as emu:
            assert emu.system is not None
            r1 = await emu.system.describe_host("R1")
            assert r1["isolation"] == "process"
            # Handed the supervisor's clock (speed, origin, epoch): both read the same time.
            environ = Path(f"/proc/{r1['pid']}/environ").read_bytes().split(b"\0")
            assert f"{clock.ENV}={clock.current().to_env()}".encode() in environ
            log = emu.omm.model.event_log

            def lines(text: str) -> list[str]:
                return [e.msg for e in log.entries(0, 10_000) if text in e.msg]

            await until(lambda: lines("connected from"), "the RFP process to link to the OMM")
            linked_at = clock.now()
            await until(lambda: clock.now() >= linked_at + 100 * 15,
                        "100 heartbeat intervals of virtual time", timeout=60)
            assert lines("disconnected") == []
            assert len(lines("connected from")) == 1  # the one link, never re-made

    clock.run(main(), speed=speed)
