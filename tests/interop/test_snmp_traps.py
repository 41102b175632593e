"""SNMPv2c traps from sipdect.snmp reach Debian's snmptrapd over UDP and over TCP with the
OIDs and values sent (issue 15 item 4; standby-eventmgr.md B.6)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from snmp_peers import Snmptrapd, start_snmptrapd

from sipdect.net import HostNet
from sipdect.snmp import IpAddress, TimeTicks, Trap, TrapSender, TrapTarget, oids

pytestmark = [pytest.mark.interop]


@pytest.fixture
def trapd(tmp_path: Path) -> Iterator[Snmptrapd]:
    receiver = start_snmptrapd(tmp_path)
    try:
        yield receiver
    finally:
        receiver.stop()


def _alarm(n: int) -> Trap:
    return Trap.of(oids.EM_ALARM, [
        (oids.EM_EVENT_TYPE, "espa"), (oids.EM_SOURCE, "201"),
        (oids.EM_TEXT, f"Room {n} call, Zimmer ä"), (oids.EM_PRIORITY, "Emergency"),
        (oids.EM_ALARM_ID, n), (oids.EM_RECIPIENT, IpAddress("127.0.0.5")),
        (oids.EM_CONFIRMATION, TimeTicks(250))])


async def _send(target: TrapTarget, traps: list[Trap], net: HostNet | None = None) -> None:
    sender = TrapSender(target, net=net)
    try:
        for trap in traps:
            await sender.send(trap)
    finally:
        sender.close()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_snmptrapd_receives_the_oids_and_values_sent(trapd: Snmptrapd, transport: str) -> None:
    target = TrapTarget("127.0.0.1", trapd.port, "em-traps", transport)  # type: ignore[arg-type]
    asyncio.run(_send(target, [_alarm(1), _alarm(2), Trap(oids.COLD_START)]))
    first, second, cold = trapd.wait_traps(3)
    assert first.transport == transport.upper() and first.community == "em-traps"
    assert [o for o, _, _ in first.varbinds] == [
        str(oids.SYS_UP_TIME_0), str(oids.SNMP_TRAP_OID_0), *(str(o) for o in (
            oids.EM_EVENT_TYPE, oids.EM_SOURCE, oids.EM_TEXT, oids.EM_PRIORITY,
            oids.EM_ALARM_ID, oids.EM_RECIPIENT, oids.EM_CONFIRMATION))]
    assert first.value(oids.SYS_UP_TIME_0)[0] == "Timeticks"
    assert first.trap_oid == str(oids.EM_ALARM) and cold.trap_oid == str(oids.COLD_START)
    assert first.text(oids.EM_TEXT) == "Room 1 call, Zimmer ä"
    assert second.text(oids.EM_TEXT) == "Room 2 call, Zimmer ä"
    assert (first.text(oids.EM_EVENT_TYPE), first.text(oids.EM_PRIORITY)) == ("espa",
                                                                               "Emergency")
    assert first.value(oids.EM_ALARM_ID) == ("INTEGER", "1")
    assert first.value(oids.EM_RECIPIENT) == ("IpAddress", "127.0.0.5")
    assert first.value(oids.EM_CONFIRMATION)[1].startswith("(250)")


def test_traps_leave_from_the_hosts_own_address(trapd: Snmptrapd) -> None:
    net = HostNet("em", "127.0.0.57")
    asyncio.run(_send(TrapTarget("127.0.0.1", trapd.port), [_alarm(3)], net))
    (trap,) = trapd.wait_traps(1)
    assert "[127.0.0.57]" in trapd.output() and trap.community == "public"


def test_a_tcp_receiver_that_restarted_gets_the_next_trap(tmp_path: Path) -> None:
    first = start_snmptrapd(tmp_path / "a")
    try:
        target = TrapTarget("127.0.0.1", first.port, transport="tcp")

        async def across_a_restart() -> Snmptrapd:
            sender = TrapSender(target)
            try:
                await sender.send(_alarm(1))
                await asyncio.to_thread(first.wait_traps, 1)
                first.stop()
                again = await asyncio.to_thread(_restart_on, first.port, tmp_path / "b")
                await sender.send(_alarm(2))  # the old connection is gone: a new one
                return again
            finally:
                sender.close()

        again = asyncio.run(across_a_restart())
        try:
            (trap,) = again.wait_traps(1)
            assert trap.text(oids.EM_TEXT).startswith("Room 2")
        finally:
            again.stop()
    finally:
        first.stop()


def _restart_on(port: int, workdir: Path) -> Snmptrapd:
    return start_snmptrapd(workdir, port=port)


def test_the_event_managers_trap_reaches_snmptrapd_with_its_oids(trapd: Snmptrapd) -> None:
    """The Event Manager's trap path (eventmgr.service, its conventions' OIDs from the kit's
    one table) as snmptrapd sees it, over TCP as the seed says."""
    from eventmgr import conventions as c
    from eventmgr.config import TrapTarget as EmTarget
    from eventmgr.service import _kit_trap_sender

    send = _kit_trap_sender()
    varbinds = [(c.TRAP_VARBINDS["kind"], "espa"), (c.TRAP_VARBINDS["source"], "201"),
                (c.TRAP_VARBINDS["text"], "Room 12 call"),
                (c.TRAP_VARBINDS["priority"], "Emergency"), (c.TRAP_VARBINDS["user"], "Alice")]
    for transport in ("tcp", "udp"):
        asyncio.run(send(EmTarget("127.0.0.1", trapd.port, "em", transport), c.TRAPS["alarm"],
                         varbinds))
    traps = trapd.wait_traps(2)
    assert sorted(t.transport for t in traps) == ["TCP", "UDP"]  # in whichever order
    for trap in traps:
        assert trap.trap_oid == str(oids.EM_ALARM) and trap.community == "em"
        assert [trap.text(o) for o in (oids.EM_EVENT_TYPE, oids.EM_SOURCE, oids.EM_TEXT,
                                       oids.EM_PRIORITY, oids.EM_USER)] == [
            "espa", "201", "Room 12 call", "Emergency", "Alice"]
