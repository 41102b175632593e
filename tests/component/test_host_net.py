"""sipdect.net over loopback: each host at its own address, cut and healed links, kill.

Two hosts on 127.77.x.y addresses talk TCP, TLS and UDP through their HostNets, the way the
components do; what a user of a host observes is checked: where a connection comes from,
bytes held across a cut and delivered on heal, datagrams dropped, a connect that waits for
the heal, and a killed host whose peer sees a reset.
"""

from __future__ import annotations

import asyncio
import random
import ssl
from pathlib import Path

import pytest

from sipdect import tls
from sipdect.net import HostNet
from sipdect.waiting import until


def _addresses() -> tuple[str, str]:
    base = f"127.77.{random.randrange(1, 250)}."
    first = random.randrange(1, 120)
    return base + str(first), base + str(first + 1)


class Collector(asyncio.Protocol):
    """Keeps what arrives and whether the connection ended."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.lost = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.data += data

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True


class Buffered(asyncio.BufferedProtocol):
    """A buffered protocol (like the OMM's AXI connection) behind the guard."""

    def __init__(self) -> None:
        self.buffer = memoryview(bytearray(7))  # small: data arrives in several fills
        self.data = bytearray()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data += self.buffer[:nbytes]


class Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[tuple[bytes, str]] = []

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self.received.append((data, str(addr[0])))


@pytest.fixture
def hosts() -> tuple[HostNet, HostNet]:
    a, b = _addresses()
    return HostNet("a", a), HostNet("b", b)


async def test_a_connection_comes_from_the_hosts_own_address(
        hosts: tuple[HostNet, HostNet]) -> None:
    a, b = hosts
    accepted: list[Collector] = []

    def accept() -> Collector:
        accepted.append(Collector())
        return accepted[-1]

    server = await b.create_server(accept, 0)
    port = server.sockets[0].getsockname()[1]
    transport, _ = await a.create_connection(Collector, b.address, port)
    await until(lambda: accepted and accepted[0].transport, "the accepted connection")
    assert accepted[0].transport is not None
    assert accepted[0].transport.get_extra_info("peername")[0] == a.address
    assert transport.get_extra_info("sockname")[0] == a.address
    server.close()
    transport.close()


async def test_bytes_are_held_while_cut_and_delivered_on_heal(
        hosts: tuple[HostNet, HostNet]) -> None:
    a, b = hosts
    accepted: list[Collector] = []
    server = await b.create_server(lambda: accepted.append(Collector()) or accepted[-1], 0)
    port = server.sockets[0].getsockname()[1]
    transport, client = await a.create_connection(Collector, b.address, port)
    await until(lambda: accepted, "the accepted connection")
    transport.write(b"before ")
    await until(lambda: accepted[0].data == b"before ", "the first bytes")
    a.cut(b.address)
    b.cut(a.address)
    transport.write(b"during ")
    assert accepted[0].transport is not None
    accepted[0].transport.write(b"answer")
    # Both ways: neither end receives anything while the link is cut, even after the
    # other end's writes have long reached the kernel.
    await asyncio.sleep(0)
    await until(lambda: b.connections == 1 and a.connections == 1, "both ends still open")
    assert accepted[0].data == b"before " and client.data == b""
    a.heal(b.address)
    b.heal(a.address)
    await until(lambda: accepted[0].data == b"before during ", "the held bytes")
    await until(lambda: client.data == b"answer", "the held answer")
    server.close()
    transport.close()


async def test_bytes_held_too_long_time_the_connection_out_and_the_peer_is_reset_on_heal(
        hosts: tuple[HostNet, HostNet]) -> None:
    a, b = hosts
    a.tcp_give_up_s = 0.3
    accepted: list[Collector] = []
    server = await b.create_server(lambda: accepted.append(Collector()) or accepted[-1], 0)
    port = server.sockets[0].getsockname()[1]
    transport, client = await a.create_connection(Collector, b.address, port)
    await until(lambda: accepted, "the accepted connection")
    a.cut(b.address)
    b.cut(a.address)
    transport.write(b"heartbeat")  # held: nothing acknowledges it
    await until(lambda: client.lost, "the writer's connection to time out")
    assert not accepted[0].lost  # the silent peer knows nothing yet
    a.heal(b.address)
    b.heal(a.address)
    await until(lambda: accepted[0].lost, "the peer to be reset once the link heals")
    assert accepted[0].data == b""  # what was given up never arrives
    server.close()


async def test_a_buffered_protocol_gets_every_byte_in_order(
        hosts: tuple[HostNet, HostNet]) -> None:
    a, b = hosts
    accepted: list[Buffered] = []
    server = await b.create_server(lambda: accepted.append(Buffered()) or accepted[-1], 0)
    port = server.sockets[0].getsockname()[1]
    transport, _ = await a.create_connection(Collector, b.address, port)
    b.cut(a.address)
    transport.write(b"0123456789" * 5)
    await until(lambda: accepted, "the accepted connection")
    b.heal(a.address)
    transport.write(b"abcdefghij")
    await until(lambda: bytes(accepted[0].data) == b"0123456789" * 5 + b"abcdefghij",
                "every byte, in order")
    server.close()
    transport.close()


async def test_a_connect_towards_a_cut_host_waits_for_the_heal(
        hosts: tuple[HostNet, HostNet]) -> None:
    a, b = hosts
    server = await b.create_server(Collector, 0)
    port = server.sockets[0].getsockname()[1]
    a.cut(b.address)
    attempt = asyncio.ensure_future(a.create_connection(Collector, b.address, port))
    await asyncio.sleep(0)
    assert not attempt.done()
    with pytest.raises(TimeoutError):
        await a.create_connection(Collector, b.address, port, timeout=0.05)
    a.heal(b.address)
    transport, _ = await attempt
    assert transport.get_extra_info("peername")[0] == b.address
    server.close()
    transport.close()


async def test_datagrams_to_and_from_a_cut_host_are_dropped(
        hosts: tuple[HostNet, HostNet]) -> None:
    a, b = hosts
    c = HostNet("c", a.address.rsplit(".", 1)[0] + ".250")
    b_udp, b_seen = await b.create_datagram_endpoint(Datagrams)
    a_udp, a_seen = await a.create_datagram_endpoint(Datagrams)
    c_udp, _ = await c.create_datagram_endpoint(Datagrams)
    b_port = b_udp.get_extra_info("sockname")[1]
    a_port = a_udp.get_extra_info("sockname")[1]
    a_udp.sendto(b"one", (b.address, b_port))
    await until(lambda: b_seen.received, "the first datagram")
    assert b_seen.received == [(b"one", a.address)]
    b.cut(a.address)  # only b knows: b drops what comes from a and what goes to a
    a_udp.sendto(b"two", (b.address, b_port))
    b_udp.sendto(b"back", (a.address, a_port))
    c_udp.sendto(b"mark", (b.address, b_port))  # from a host b still hears, after "two"
    await until(lambda: any(d == b"mark" for d, _ in b_seen.received), "c's datagram")
    b.heal(a.address)
    a_udp.sendto(b"three", (b.address, b_port))
    await until(lambda: len(b_seen.received) == 3, "the datagram after the heal")
    assert [d for d, _ in b_seen.received] == [b"one", b"mark", b"three"]
    assert a_seen.received == []
    for transport in (a_udp, b_udp, c_udp):
        transport.close()


async def test_kill_resets_every_connection_and_refuses_new_sockets(
        hosts: tuple[HostNet, HostNet]) -> None:
    a, b = hosts
    server = await b.create_server(Collector, 0)
    port = server.sockets[0].getsockname()[1]
    _, client = await a.create_connection(Collector, b.address, port)
    await until(lambda: b.connections == 1, "the accepted connection")
    b.kill()
    await until(lambda: client.lost, "the reset at the peer")
    with pytest.raises(OSError, match="is down"):
        await b.create_server(Collector, 0)
    with pytest.raises(OSError):
        await a.create_connection(Collector, b.address, port, timeout=1.0)
    b.revive()
    again = await b.create_server(Collector, 0)
    again.close()


async def test_tls_runs_through_the_guard_and_holds_while_cut(
        hosts: tuple[HostNet, HostNet], tmp_path: Path) -> None:
    a, b = hosts
    cert, key = tls.ensure_certificate(tmp_path, "host b", (b.address,))
    server_ctx = tls.server_context(cert, key, tls.SecurityLevel.HIGH)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    client_ctx.check_hostname = False
    accepted: list[Collector] = []
    server = await b.create_server(lambda: accepted.append(Collector()) or accepted[-1], 0,
                                   ssl=server_ctx, ssl_handshake_timeout=10.0)
    port = server.sockets[0].getsockname()[1]
    transport, _ = await a.create_connection(Collector, b.address, port, ssl=client_ctx,
                                             server_hostname=b.address)
    transport.write(b"hello\0")
    await until(lambda: accepted and accepted[0].data == b"hello\0", "the first request")
    b.cut(a.address)
    transport.write(b"held\0")
    b.heal(a.address)
    await until(lambda: accepted[0].data == b"hello\0held\0", "the held request")
    server.close()
    transport.close()
