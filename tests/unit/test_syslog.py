"""Tests for sipdect.ops.syslog (RFC 5424 over UDP; features.md §2.9)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from sipdect.ops.eventlog import EventLog, LogEntry
from sipdect.ops.syslog import SyslogSender, format_rfc5424
from sipdect.waiting import DEFAULT_TIMEOUT, until

T = 1_795_369_751.25  # 2026-11-22 17:49:11.250 UTC
BOM = b"\xef\xbb\xbf"


def entry(
    level: str = "MinorErr", msg: str = "SIP registration failed", count: int = 1, name: str = "SIP"
) -> LogEntry:
    return LogEntry(7, T, level, name, count, msg)


def test_format() -> None:
    assert format_rfc5424(entry(), "omm1") == (
        b"<132>1 2026-11-22T17:49:11.250Z omm1 OMM - SIP - " + BOM + b"SIP registration failed"
    )


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        ("FatalErr", 2),
        ("MajorErr", 3),
        ("MinorErr", 4),
        ("Event", 5),
        ("Always", 5),
        ("GenInfo", 6),
        ("FnEnter", 7),
    ],
)
def test_severity(level: str, severity: int) -> None:
    assert format_rfc5424(entry(level), "h").startswith(b"<%d>1 " % (16 * 8 + severity))
    assert format_rfc5424(entry(level), "h", facility=1).startswith(b"<%d>1 " % (8 + severity))


def test_header_fields_are_sanitised() -> None:
    data = format_rfc5424(entry(name="RFP link"), "", app_name="O M M")
    assert data.startswith(b"<132>1 2026-11-22T17:49:11.250Z - O_M_M - RFP_link - ")
    long = format_rfc5424(entry(name="x" * 50), "h" * 300)
    assert b" " + b"h" * 255 + b" " in long and b" " + b"x" * 32 + b" " in long


def test_utf8_message_and_repeat_count() -> None:
    data = format_rfc5424(entry(msg="Gerät Müller", count=3), "h")
    assert data.endswith(BOM + "Gerät Müller (repeated 3 times)".encode())


def test_truncated_on_character_boundary() -> None:
    data = format_rfc5424(entry(msg="ä" * 2000), "h")
    assert len(data) <= 2048
    data.decode("utf-8")  # no half character at the end
    assert len(format_rfc5424(entry(msg="x" * 100), "h", max_len=80)) == 80


def test_bad_facility() -> None:
    with pytest.raises(ValueError, match="facility"):
        format_rfc5424(entry(), "h", facility=24)


class Receiver(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.datagrams: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.datagrams.put_nowait(data)


async def test_loopback_from_event_log() -> None:
    loop = asyncio.get_running_loop()
    transport, receiver = await loop.create_datagram_endpoint(Receiver, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    sender = await SyslogSender.create("127.0.0.1", port, "omm1")
    try:
        log = EventLog(clock=lambda: T)
        log.subscribe(sender.send)
        log.add("Event", "AXI", "login of omm from 127.0.0.1")
        log.add("Event", "AXI", "login of omm from 127.0.0.1")
        first = await asyncio.wait_for(receiver.datagrams.get(), DEFAULT_TIMEOUT)
        second = await asyncio.wait_for(receiver.datagrams.get(), DEFAULT_TIMEOUT)
        assert first == (
            b"<133>1 2026-11-22T17:49:11.250Z omm1 OMM - AXI - "
            + BOM
            + b"login of omm from 127.0.0.1"
        )
        assert second.endswith(b"(repeated 2 times)")
    finally:
        sender.close()
        transport.close()
    sender.send(entry())  # after close: ignored, no error


async def test_no_listener_is_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    # Nothing listens on the port: ICMP unreachable must not surface.
    caplog.set_level(logging.DEBUG, logger="sipdect.ops.syslog")
    probe = await asyncio.get_running_loop().create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    port = probe[0].get_extra_info("sockname")[1]
    probe[0].close()
    sender = await SyslogSender.create("127.0.0.1", port, "omm1")
    sender.send(entry())
    await until(lambda: "syslog send failed" in caplog.text, "the ICMP error, logged")
    sender.send(entry())
    sender.close()
