"""The asyncio edge of SNMPv2c traps: one sender per trap receiver, over UDP or TCP.

UDP sends each message in one datagram (RFC 3417). TCP (RFC 3430) writes the BER messages
back to back on one connection, opened at the first trap and again after the receiver
closed it; traps are unconfirmed, so nothing is read. A host's sockets come from its
HostNet when given, so traps leave from the host's own address and obey cut/kill.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterable

from sipdect import clock
from sipdect.net import HostNet
from sipdect.snmp.oids import Oid
from sipdect.snmp.target import DEFAULT_COMMUNITY, DEFAULT_TRANSPORT, TRANSPORTS, TrapTarget
from sipdect.snmp.trap import INT32_MAX, SnmpError, Trap, Value, encode_trap

log = logging.getLogger("sipdect.snmp")

CONNECT_TIMEOUT_S = 5.0
"""[I] how long a TCP trap waits for its receiver to accept (real seconds)."""


class _Datagrams(asyncio.DatagramProtocol):
    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable while no receiver listens: traps are best effort.
        log.debug("trap not delivered: %s", exc)


class _Stream(asyncio.Protocol):
    def __init__(self) -> None:
        self.lost = False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True

    def data_received(self, data: bytes) -> None:
        pass  # a trap receiver answers nothing; ignore whatever it sends


class TrapSender:
    """Sends traps to one receiver with sysUpTime counted from the sender's start.

    `await sender.send(trap)`; OSError when a TCP receiver cannot be reached (the caller
    logs it: an unreachable trap sink never stops an alarm)."""

    def __init__(self, target: TrapTarget, *, net: HostNet | None = None,
                 started: float | None = None) -> None:
        self.target = target
        self.net = net
        self.started = clock.now() if started is None else started
        """clock.now() when the sending agent started: sysUpTime.0 counts from here."""
        self._ids = itertools.count(1)
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Transport | None = None
        self._stream: _Stream | None = None
        self._lock = asyncio.Lock()
        self.sent = 0
        """Traps handed to the socket."""

    def uptime(self) -> int:
        """sysUpTime: hundredths of a second since `started`."""
        return max(0, int((clock.now() - self.started) * 100))

    def encode(self, trap: Trap) -> bytes:
        """The next message for `trap` (each gets its own request-id)."""
        request_id = next(self._ids) % (INT32_MAX + 1)
        return encode_trap(trap, self.target.community, request_id, self.uptime())

    async def send(self, trap: Trap) -> None:
        """Send one trap; SnmpError for a value no trap can carry."""
        data = self.encode(trap)
        async with self._lock:  # TCP messages must not interleave with a reconnect
            if self.target.transport == "tcp":
                await self._send_tcp(data)
            else:
                await self._send_udp(data)
        self.sent += 1

    async def _send_udp(self, data: bytes) -> None:
        if self._udp is None or self._udp.is_closing():
            remote = (self.target.host, self.target.port)
            try:
                if self.net is not None:
                    self._udp, _ = await self.net.create_datagram_endpoint(
                        _Datagrams, 0, remote=remote)
                else:
                    loop = asyncio.get_running_loop()
                    self._udp, _ = await loop.create_datagram_endpoint(
                        _Datagrams, remote_addr=remote)
            except OSError as exc:
                raise OSError(f"cannot send traps to {self.target}: {exc}") from None
        self._udp.sendto(data)

    async def _send_tcp(self, data: bytes) -> None:
        for attempt in (1, 2):
            if self._tcp is None or self._stream is None or self._stream.lost \
                    or self._tcp.is_closing():
                await self._connect()
            assert self._tcp is not None
            try:
                self._tcp.write(data)
                return
            except (OSError, RuntimeError) as exc:  # closed under us: once more, anew
                self._drop()
                if attempt == 2:
                    raise OSError(f"cannot send traps to {self.target}: {exc}") from None

    async def _connect(self) -> None:
        self._drop()
        timeout = clock.current().virtual(CONNECT_TIMEOUT_S)
        try:
            if self.net is not None:
                self._tcp, self._stream = await self.net.create_connection(
                    _Stream, self.target.host, self.target.port, timeout=timeout)
            else:
                loop = asyncio.get_running_loop()
                self._tcp, self._stream = await asyncio.wait_for(
                    loop.create_connection(_Stream, self.target.host, self.target.port),
                    timeout)
        except (OSError, TimeoutError) as exc:
            raise OSError(f"cannot send traps to {self.target}: {exc}") from None

    def _drop(self) -> None:
        if self._tcp is not None:
            self._tcp.close()
        self._tcp = self._stream = None

    def close(self) -> None:
        """Close the socket; a later send opens a new one."""
        self._drop()
        if self._udp is not None:
            self._udp.close()
            self._udp = None


async def send_trap(host: str, port: int, oid: str | Oid,
                    varbinds: Iterable[tuple[str | Oid, Value]], *,
                    community: str = DEFAULT_COMMUNITY, transport: str = DEFAULT_TRANSPORT,
                    net: HostNet | None = None) -> None:
    """One trap on a socket of its own (OIDs may be dotted text): for a sender of a few traps
    such as the Event Manager. sysUpTime.0 counts from the process's clock origin. SnmpError
    for a bad target or value, OSError when a TCP receiver cannot be reached."""
    if transport not in TRANSPORTS:
        raise SnmpError(f"trap transport {transport!r} is not one of {', '.join(TRANSPORTS)}")
    target = TrapTarget(host, port, community, "tcp" if transport == "tcp" else "udp")
    trap = Trap.of(_oid(oid), [(_oid(o), v) for o, v in varbinds])
    sender = TrapSender(target, net=net, started=clock.process_clock().origin)
    try:
        await sender.send(trap)
    finally:
        sender.close()


def _oid(value: str | Oid) -> Oid:
    if isinstance(value, Oid):
        return value
    try:
        return Oid.parse(value)
    except ValueError as exc:
        raise SnmpError(str(exc)) from None
