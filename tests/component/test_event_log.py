"""The OMM event log over AXI and to a syslog server (features.md §2.9, seed 000 "Syslog")."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sipdect.app.emulator import Emulator, OmmHandle
from sipdect.axi.client import AxiClient
from sipdect.waiting import DEFAULT_TIMEOUT


class Receiver(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.lines: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.lines.put_nowait(data)


async def test_failed_login_reaches_syslog_as_rfc5424(tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    transport, receiver = await loop.create_datagram_endpoint(Receiver,
                                                              local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    config = (f'[[omm]]\nname = "Logged"\n[omm.syslog]\nhost = "127.0.0.1"\nport = {port}\n'
              '[[omm.accounts]]\nusername = "omm"\npassword = "Sipdect-Omm-2026"\n')
    try:
        async with Emulator(config, tmp_path) as emu:
            c = await AxiClient.connect(emu.omm.host, emu.omm.port)
            await c.login("omm", "bad-password", check=False)
            await c.close()
            while True:
                line = await asyncio.wait_for(receiver.lines.get(), DEFAULT_TIMEOUT)
                if b"login failed" in line:
                    break
            assert line.startswith(b"<") and b">1 " in line[:8]  # <PRI>1 = RFC 5424
            assert b"Logged" in line
    finally:
        transport.close()


async def test_syslog_is_off_by_default(omm: OmmHandle, axi: AxiClient) -> None:
    r = await axi.request("GetSyslogServer")
    assert r.attrs["enable"] == "0"


async def test_event_log_entries_are_pushed_to_subscribers(omm: OmmHandle,
                                                           axi: AxiClient) -> None:
    await axi.subscribe("EventLog")
    other = await AxiClient.connect(omm.host, omm.port)
    await other.login(omm.username, "not-the-password", check=False)
    ev = await axi.next_event("EventEventLogBuffer")
    assert ev.attrs["level"] in ("MinorErr", "MajorErr") and "failed" in ev.attrs["msg"]
    assert int(ev.attrs["count"]) >= 1
    await other.close()
    r = await axi.request("DeleteEventLogBuffer")
    assert r.name == "DeleteEventLogBufferResp"
