"""The Event Manager's ESPA edges against the kit's control equipment: over TCP on loopback
and over a serial line (a PTY pair made by Debian's socat); a peer sending garbage is closed
alone while another control equipment goes on; statuses wait for the poll."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from eventmgr.config import EventMgrConfig
from eventmgr.rules import Rule
from eventmgr.service import EventMgrService
from sipdect.espa.codec import call
from sipdect.espa.edge import ControlClient, SerialLine, connect_tcp
from sipdect.waiting import until

RULE = Rule("ward", match="2*", steps=(("201",),), escalate_after=60.0)


@pytest_asyncio.fixture
async def em(tmp_path: Path) -> AsyncIterator[EventMgrService]:
    service = EventMgrService(EventMgrConfig(host="127.0.0.1", espa_port=0, rules=[RULE]),
                              tmp_path / "em")
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def _port(em: EventMgrService) -> int:
    return em.endpoints[0].port


def _inputs(em: EventMgrService) -> list[str]:
    return [e["subject"] for e in em.entries(kind="input")]


async def test_a_call_over_tcp_opens_an_incident_and_is_kept(em: EventMgrService) -> None:
    nurse = ControlClient.new()
    await connect_tcp(nurse.link, "127.0.0.1", _port(em))
    await nurse.call(call("201", "Room 12 call", priority=1))
    assert _inputs(em) == ["espa 201"]
    assert em.describe()["outbox"] == 1  # no OMM: the message waits, persisted
    sends = em.entries(kind="send")
    assert "Emergency: Room 12 call" in sends[-1]["text"]
    nurse.link.close()


async def test_garbage_closes_only_that_connection(em: EventMgrService) -> None:
    good = ControlClient.new()
    await connect_tcp(good.link, "127.0.0.1", _port(em))
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(em))
    writer.write(b"GET / HTTP/1.1\r\n\r\n")
    assert await asyncio.wait_for(reader.read(), 10) == b""  # closed by the Event Manager
    writer.close()
    closed = em.entries(kind="espa")
    assert any("a character outside any block" in e["text"] for e in closed)
    await good.call(call("202", "still here"))
    assert _inputs(em) == ["espa 202"]
    good.link.close()


async def test_a_status_waits_for_the_poll(em: EventMgrService) -> None:
    nurse = ControlClient.new()
    await connect_tcp(nurse.link, "127.0.0.1", _port(em))
    await nurse.call(call("201", "Room 3"))
    assert em.engine is not None
    msg_id = next(iter(next(iter(em.engine.incidents.values())).messages))
    em.engine.confirmation(msg_id, "OrderOk", asyncio.get_running_loop().time())
    em._apply()
    blocks = await nurse.poll()
    assert [(b.function, b.call_address, b.get(7)) for b in blocks] == [(2, "201", "1")]
    assert await nurse.poll() == []  # taken once
    nurse.link.close()


@pytest.mark.skipif(shutil.which("socat") is None, reason="socat (interop/install-peers.sh)")
async def test_espa_over_a_pty_pair(em: EventMgrService, tmp_path: Path) -> None:
    a, b = tmp_path / "ttyA", tmp_path / "ttyB"
    socat = await asyncio.create_subprocess_exec(
        "socat", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        await until(lambda: a.exists() and b.exists(), "socat made the PTY pair")
        em.open_serial(str(a))
        nurse = ControlClient.new("nurse call on RS-232")
        line = SerialLine(nurse.link, str(b))
        await nurse.call(call("203", "Bath 2 pull cord", priority=1))
        assert _inputs(em) == ["espa 203"]
        line.close()
    finally:
        socat.terminate()
        await socat.wait()
