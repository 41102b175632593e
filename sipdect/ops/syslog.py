"""Event log forwarding to a syslog server: RFC 5424 messages over UDP (RFC 5426).

Implements features.md §2.9 "Syslog" (unconfigured by default; the caller decides
whether to create a sender). Formatting is pure; `SyslogSender` is the asyncio edge.
"""

from __future__ import annotations

import asyncio
import datetime
import logging

from sipdect.net import HostNet
from sipdect.ops.eventlog import LogEntry

# Event log level -> RFC 5424 severity.
SEVERITY: dict[str, int] = {
    "FatalErr": 2,  # critical
    "MajorErr": 3,  # error
    "MinorErr": 4,  # warning
    "Event": 5,  # notice
    "Always": 5,  # notice
    "GenInfo": 6,  # informational
    "FnEnter": 7,  # debug
}

FACILITY_LOCAL0 = 16
DEFAULT_PORT = 514
MAX_DATAGRAM = 2048  # RFC 5426 §3.2: receivers SHOULD accept 2048 octets
BOM = b"\xef\xbb\xbf"  # RFC 5424 §6.4: MSG-UTF8 starts with the BOM
NILVALUE = "-"

# RFC 5424 §6: header field maximum lengths.
_MAX_HOSTNAME = 255
_MAX_APP_NAME = 48
_MAX_MSGID = 32

_log = logging.getLogger(__name__)


def _header_field(value: str, max_len: int) -> str:
    # Header fields are PRINTUSASCII (33..126); anything else becomes "_".
    cleaned = "".join(c if 33 <= ord(c) <= 126 else "_" for c in value)[:max_len]
    return cleaned or NILVALUE


def _timestamp(epoch: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_rfc5424(
    entry: LogEntry,
    hostname: str,
    app_name: str = "OMM",
    facility: int = FACILITY_LOCAL0,
    max_len: int = MAX_DATAGRAM,
) -> bytes:
    """One RFC 5424 message: `<PRI>1 TIMESTAMP HOST APP - MSGID - BOM MSG`.

    MSGID is the entry's subsystem name. A repeated entry says so in MSG. The message is
    cut to `max_len` bytes on a UTF-8 character boundary.
    """
    if not 0 <= facility <= 23:
        raise ValueError(f"syslog facility must be 0..23, not {facility}")
    pri = facility * 8 + SEVERITY[entry.level]
    header = " ".join(
        (
            f"<{pri}>1",
            _timestamp(entry.time),
            _header_field(hostname, _MAX_HOSTNAME),
            _header_field(app_name, _MAX_APP_NAME),
            NILVALUE,  # PROCID
            _header_field(entry.name, _MAX_MSGID),
            NILVALUE,  # STRUCTURED-DATA
        )
    )
    text = entry.msg if entry.count <= 1 else f"{entry.msg} (repeated {entry.count} times)"
    data = header.encode("ascii") + b" " + BOM + text.encode("utf-8", "replace")
    if len(data) > max_len:
        data = data[:max_len].decode("utf-8", "ignore").encode("utf-8")
    return data


class _Protocol(asyncio.DatagramProtocol):
    def error_received(self, exc: Exception) -> None:
        # e.g. ICMP port unreachable while no server listens; syslog is best effort.
        _log.debug("syslog send failed: %s", exc)


class SyslogSender:
    """Sends event log entries to one syslog server over UDP.

    Use `sender.send` as an EventLog listener: `eventlog.subscribe(sender.send)`.
    """

    def __init__(
        self,
        transport: asyncio.DatagramTransport,
        hostname: str,
        app_name: str = "OMM",
        facility: int = FACILITY_LOCAL0,
    ) -> None:
        self._transport = transport
        self.hostname = hostname
        self.app_name = app_name
        self.facility = facility

    @classmethod
    async def create(
        cls,
        host: str,
        port: int = DEFAULT_PORT,
        hostname: str = NILVALUE,
        app_name: str = "OMM",
        facility: int = FACILITY_LOCAL0,
        net: HostNet | None = None,
    ) -> SyslogSender:
        """Open a UDP socket towards `host`:`port` (from `net`'s address when given);
        `hostname` names us in each message."""
        if not 0 <= facility <= 23:
            raise ValueError(f"syslog facility must be 0..23, not {facility}")
        loop = asyncio.get_running_loop()
        try:
            if net is not None:
                transport, _ = await net.create_datagram_endpoint(_Protocol, 0,
                                                                  remote=(host, port))
            else:
                transport, _ = await loop.create_datagram_endpoint(_Protocol,
                                                                   remote_addr=(host, port))
        except OSError as exc:
            raise OSError(f"cannot send syslog to {host}:{port}: {exc}") from None
        return cls(transport, hostname, app_name, facility)

    def send(self, entry: LogEntry) -> None:
        """Send `entry` (fire and forget)."""
        if self._transport.is_closing():
            return
        self._transport.sendto(format_rfc5424(entry, self.hostname, self.app_name, self.facility))

    def close(self) -> None:
        """Close the socket; later `send` calls are ignored."""
        self._transport.close()
