"""SIP over TLS whatever the client's TLS records look like (RFC 3261 §18.3 framing).

A peer may write a request's header block, its blank line and its body as separate TLS
records that arrive in one read; every request must still be framed and answered, in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from test_sip_transport import Registrar
from tls_records import AsyncTlsClient

from sipdect import tls
from sipdect.sip.message import Peer, Response, Transport, parse_message
from sipdect.sip.transport import SipTransport, TlsServerOptions


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Peer]:
    cert, key = tls.ensure_certificate(tmp_path / "server", common_name="omm.test",
                                       hostnames=("localhost", "127.0.0.1"))
    transport = SipTransport()
    transport.on_event = Registrar(transport)
    yield await transport.listen(Transport.TLS, tls_server=TlsServerOptions(cert, key))
    await transport.close()


def options(branch: str, body: bytes = b"") -> tuple[bytes, bytes]:
    """An OPTIONS request as (header block without its blank line, body)."""
    head = (f"OPTIONS sips:1001@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS 127.0.0.1:9;branch={branch}\r\n"
            f"From: <sips:x@omm.test>;tag=1\r\nTo: <sips:1001@omm.test>\r\n"
            f"Call-ID: {branch}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            + ("Content-Type: text/plain\r\n" if body else "")
            + f"Content-Length: {len(body)}").encode()
    return head, body


def responses(plain: bytes) -> list[Response]:
    """The complete answers so far (ours carry no body)."""
    out = []
    for head in plain.split(b"\r\n\r\n")[:-1]:
        message = parse_message(head + b"\r\n\r\n")
        assert isinstance(message, Response)
        out.append(message)
    return out


async def test_requests_split_into_records_of_one_send_are_all_answered(server: Peer) -> None:
    client = await AsyncTlsClient.open(server.host, server.port)
    try:
        head, _ = options("z9hG4bKrec1")
        # The blank line that ends the header block is a record of its own.
        await client.send_records([head, b"\r\n\r\n"])
        await client.read_until(lambda plain: len(responses(plain)) >= 1)
        head, body = options("z9hG4bKrec2", b"hello over TLS")
        # Header block, blank line and body as three records (the body cut in two).
        await client.send_records([head, b"\r\n\r\n", body[:5], body[5:]])
        await client.read_until(lambda plain: len(responses(plain)) >= 2)
        # Two requests in one send, cut across the first one's blank line.
        first, second = options("z9hG4bKrec3"), options("z9hG4bKrec4", b"x")
        stream = first[0] + b"\r\n\r\n" + second[0] + b"\r\n\r\n" + second[1]
        cut = len(first[0]) + 2
        await client.send_records([stream[:cut], stream[cut:cut + 1], stream[cut + 1:]])
        answers = responses(await client.read_until(lambda plain: len(responses(plain)) >= 4))
    finally:
        client.close()
    assert [(a.status, a.top_via.branch) for a in answers] == [
        (200, f"z9hG4bKrec{n}") for n in range(1, 5)]
