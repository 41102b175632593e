"""A TLS client whose record boundaries the test chooses (ssl.MemoryBIO + SSLObject).

Every `write` of the SSLObject becomes one TLS record, and the caller decides which records
go out in one TCP send: the way .NET's SslStream and other stacks write a message and its
terminator as two records that then arrive in one read. Blocking sockets for tests against
the threaded emulator, loop sockets (`open_async`) for servers running in the test's loop.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable, Iterable

TIMEOUT = 30.0
"""Seconds a handshake or an awaited answer may take; far above what a run needs."""


def client_context(max_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A client context that accepts the emulator's self-signed certificates."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


class TlsRecords:
    """The TLS state of one client connection, without a socket."""

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self._incoming, self._outgoing, server_side=False)
        self.plain = bytearray()
        """Application data received and not yet taken by the test."""

    def handshake(self, received: bytes) -> tuple[bool, bytes]:
        """Feed what the server sent; whether the handshake is done and what to send now."""
        if received:
            self._incoming.write(received)
        try:
            self.tls.do_handshake()
            done = True
        except ssl.SSLWantReadError:
            done = False
        return done, self._outgoing.read()

    def records(self, chunks: Iterable[bytes]) -> bytes:
        """The wire bytes of one TLS record per chunk, back to back."""
        for chunk in chunks:
            if chunk:
                self.tls.write(chunk)
        return self._outgoing.read()

    def receive(self, data: bytes) -> None:
        """Decrypt what arrived into `plain` (post-handshake messages are handled too)."""
        self._incoming.write(data)
        while True:
            try:
                piece = self.tls.read(65536)
            except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                return
            if not piece:
                return
            self.plain += piece


class BlockingTlsClient:
    """A TlsRecords over a blocking socket."""

    def __init__(self, host: str, port: int, ctx: ssl.SSLContext | None = None) -> None:
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.records = TlsRecords(ctx or client_context())
        received = b""
        while True:
            done, out = self.records.handshake(received)
            if out:
                self.sock.sendall(out)
            if done:
                break
            received = self._recv()

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        return data

    def send_records(self, chunks: Iterable[bytes]) -> None:
        """One record per chunk, all of them in one TCP send."""
        self.sock.sendall(self.records.records(chunks))

    def read_until(self, enough: Callable[[bytes], bool]) -> bytes:
        """Application data received so far, once `enough` holds for it."""
        while not enough(bytes(self.records.plain)):
            try:
                self.records.receive(self._recv())
            except TimeoutError:
                raise AssertionError("the server stopped answering; received so far: "
                                     f"{bytes(self.records.plain)!r}") from None
        return bytes(self.records.plain)

    def close(self) -> None:
        self.sock.close()


class AsyncTlsClient:
    """A TlsRecords over a non-blocking socket driven by the running loop."""

    def __init__(self, sock: socket.socket, ctx: ssl.SSLContext) -> None:
        self.sock = sock
        self.records = TlsRecords(ctx)

    @classmethod
    async def open(cls, host: str, port: int,
                   ctx: ssl.SSLContext | None = None) -> AsyncTlsClient:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        await loop.sock_connect(sock, (host, port))
        self = cls(sock, ctx or client_context())
        received = b""
        while True:
            done, out = self.records.handshake(received)
            if out:
                await loop.sock_sendall(sock, out)
            if done:
                return self
            received = await self._recv()

    async def _recv(self) -> bytes:
        data = await asyncio.wait_for(
            asyncio.get_running_loop().sock_recv(self.sock, 65536), TIMEOUT)
        if not data:
            raise ConnectionError("the server closed the connection")
        return data

    async def send_records(self, chunks: Iterable[bytes]) -> None:
        """One record per chunk, all of them in one TCP send."""
        await asyncio.get_running_loop().sock_sendall(self.sock, self.records.records(chunks))

    async def read_until(self, enough: Callable[[bytes], bool]) -> bytes:
        while not enough(bytes(self.records.plain)):
            try:
                self.records.receive(await self._recv())
            except TimeoutError:
                raise AssertionError("the server stopped answering; received so far: "
                                     f"{bytes(self.records.plain)!r}") from None
        return bytes(self.records.plain)

    def close(self) -> None:
        self.sock.close()
