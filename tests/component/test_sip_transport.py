"""SIP over loopback UDP, TCP and TLS between our own client and server transports.

OPTIONS/200, a REGISTER digest challenge and retry, malformed input answered 400 or its
connection closed while others keep working, keep-alives, certificate and name checks.
"""

from __future__ import annotations

import asyncio
import datetime
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sipdect import tls
from sipdect.sip.auth import AuthStatus, DigestClient, DigestServer
from sipdect.sip.message import (
    Headers,
    Peer,
    Request,
    Response,
    SipUri,
    Transport,
    Via,
    make_response,
    new_call_id,
    new_tag,
    parse_message,
)
from sipdect.sip.transaction import Event, RequestReceived
from sipdect.sip.transport import (
    SipTransport,
    SipTransportError,
    TlsClientOptions,
    TlsServerOptions,
)
from sipdect.waiting import DEFAULT_TIMEOUT, until

PASSWORDS = {"1001": "s3cret"}


@dataclass
class Registrar:
    """A tiny registrar/OPTIONS responder on a SipTransport, for the tests."""

    transport: SipTransport
    auth: DigestServer = field(default_factory=lambda: DigestServer("omm.test"))
    seen: list[Request] = field(default_factory=list)
    sources: list[Peer] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        if not isinstance(event, RequestReceived) or event.transaction is None:
            return
        request = event.request
        self.seen.append(request)
        self.sources.append(event.source)
        now = self.transport.now()
        if request.method == "REGISTER":
            result = self.auth.verify(request, PASSWORDS.get, now)
            if result.status is AuthStatus.OK:
                response = make_response(request, 200, to_tag=new_tag(), headers=[
                    ("Contact", f"{request.headers.get('Contact')};expires=3600")])
            else:
                response = self.auth.challenge_response(
                    request, now, stale=result.status is AuthStatus.STALE)
        elif request.method == "OPTIONS":
            response = make_response(request, 200, to_tag=new_tag(),
                                     headers=[("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS")])
        else:
            response = make_response(request, 501, to_tag=new_tag())
        self.transport.send_response(response, event.transaction)


@dataclass
class Site:
    server: SipTransport
    registrar: Registrar
    addresses: dict[Transport, Peer]
    cert: Path


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    cert, key = tls.ensure_certificate(tmp_path / "server", common_name="omm.test",
                                       hostnames=("localhost", "127.0.0.1"))
    server = SipTransport()
    registrar = Registrar(server)
    server.on_event = registrar
    addresses = {
        Transport.UDP: await server.listen(Transport.UDP),
        Transport.TCP: await server.listen(Transport.TCP),
        Transport.TLS: await server.listen(Transport.TLS,
                                           tls_server=TlsServerOptions(cert, key)),
    }
    yield Site(server, registrar, addresses, cert)
    await server.close()


@pytest.fixture
async def client(site: Site) -> AsyncIterator[SipTransport]:
    c = SipTransport(tls_client=TlsClientOptions(cafile=site.cert))
    await c.listen(Transport.UDP)
    await c.listen(Transport.TCP)
    yield c
    await c.close()


def request(method: str, to: Peer, user: str = "1001") -> Request:
    h = Headers()
    h.add("Max-Forwards", "70")
    h.add("From", f"<sip:{user}@omm.test>;tag={new_tag()}")
    h.add("To", f"<sip:{user}@omm.test>")
    h.add("Call-ID", new_call_id("127.0.0.1"))
    h.add("CSeq", f"1 {method}")
    h.add("Contact", f"<sip:{user}@127.0.0.1>")
    params: dict[str, str | None] = (
        {} if to.transport is Transport.UDP else {"transport": to.transport.lower()})
    scheme = "sips" if to.transport is Transport.TLS else "sip"
    return Request(method, SipUri(to.host, port=to.port, scheme=scheme, params=params), h)


async def ask(client: SipTransport, req: Request, peer: Peer | None = None) -> Response:
    return await asyncio.wait_for(client.request(req, peer), DEFAULT_TIMEOUT)


@pytest.mark.parametrize("transport", list(Transport))
async def test_options_200(site: Site, client: SipTransport, transport: Transport) -> None:
    response = await ask(client, request("OPTIONS", site.addresses[transport]))
    assert response.status == 200
    assert response.headers.get_all("Allow")[0] == "INVITE"
    (seen,) = site.registrar.seen
    via = seen.top_via
    assert via.transport == transport.value
    assert via.received == "127.0.0.1" and via.rport == site.registrar.sources[0].port


@pytest.mark.parametrize("transport", list(Transport))
async def test_register_challenge_and_response(site: Site, client: SipTransport,
                                               transport: Transport) -> None:
    first = request("REGISTER", site.addresses[transport])
    challenge = await ask(client, first)
    assert challenge.status == 401
    retry = DigestClient("1001", "s3cret").authorize(first, challenge)
    assert retry is not None and retry.cseq.seq == 2
    retry.headers.remove("Via")  # a new request: the transport stamps a fresh Via
    ok = await ask(client, retry)
    assert ok.status == 200 and ok.contacts[0].params["expires"] == "3600"
    wrong = DigestClient("1001", "nope").authorize(first, challenge)
    assert wrong is not None
    wrong.headers.remove("Via")
    assert (await ask(client, wrong)).status == 401


async def test_stream_connections_are_reused_per_peer(site: Site, client: SipTransport) -> None:
    for _ in range(3):
        assert (await ask(client, request("OPTIONS", site.addresses[Transport.TCP]))).status == 200
    assert len({s for s in site.registrar.sources}) == 1


@pytest.mark.parametrize("transport", list(Transport))
async def test_a_host_sends_from_its_own_address(site: Site, transport: Transport) -> None:
    """With source_host, connections leave from the host's loopback address too, not only
    the UDP socket it listens on (else 127.0.0.1 on every 127.x destination)."""
    host = SipTransport(tls_client=TlsClientOptions(cafile=site.cert), source_host="127.0.0.7")
    await host.listen(Transport.UDP, "127.0.0.7")
    try:
        assert (await ask(host, request("OPTIONS", site.addresses[transport]))).status == 200
        assert site.registrar.sources[-1].host == "127.0.0.7"
    finally:
        await host.close()


async def test_abort_drops_every_socket_at_once(site: Site) -> None:
    """abort() (a power cut) sends nothing more and frees the listeners' ports (asyncio
    releases them in the loop's next round), without awaiting anything."""
    host = SipTransport()
    udp = await host.listen(Transport.UDP, "127.0.0.1")
    tcp = await host.listen(Transport.TCP, "127.0.0.1")
    assert (await ask(host, request("OPTIONS", site.addresses[Transport.TCP]))).status == 200
    host.abort()
    with pytest.raises(SipTransportError, match="closed"):
        host.send_request(request("OPTIONS", site.addresses[Transport.UDP]))

    def free(kind: socket.SocketKind, local: Peer) -> bool:
        with socket.socket(socket.AF_INET, kind) as again:
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                again.bind((local.host, local.port))
            except OSError:
                return False
            return True

    await until(lambda: free(socket.SOCK_DGRAM, udp) and free(socket.SOCK_STREAM, tcp),
                "the aborted transport's ports to be free")


async def test_udp_malformed_request_is_answered_400(site: Site) -> None:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    port = sock.getsockname()[1]
    server = site.addresses[Transport.UDP]
    bad = (f"OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKbad1;rport\r\n"
           f"From: <sip:x@y>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c1\r\n"
           f"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").encode()
    try:
        await loop.sock_sendto(sock, bad, (server.host, server.port))
        await loop.sock_sendto(sock, b"\x00\x01garbage that is not SIP", (server.host, server.port))
        await loop.sock_sendto(sock, bad.replace(b"SIP/2.0\r\n", b"SIP/3.0\r\n", 1),
                               (server.host, server.port))
        first, _ = await asyncio.wait_for(loop.sock_recvfrom(sock, 65535), DEFAULT_TIMEOUT)
        second, _ = await asyncio.wait_for(loop.sock_recvfrom(sock, 65535), DEFAULT_TIMEOUT)
    finally:
        sock.close()
    answers = [parse_message(first), parse_message(second)]
    assert [a.status for a in answers] == [400, 505]  # type: ignore[union-attr]
    assert all(a.top_via.branch == "z9hG4bKbad1" for a in answers)
    assert answers[0].top_via.rport == port and answers[0].to.tag
    assert site.registrar.seen == []


async def test_unsupported_require_is_answered_420(site: Site) -> None:
    strict = SipTransport(supported=["100rel"])
    strict.on_event = Registrar(strict)
    address = await strict.listen(Transport.UDP)
    sender = SipTransport()
    await sender.listen(Transport.UDP)
    try:
        req = request("OPTIONS", address)
        req.headers.add("Require", "100rel, x-unknown")
        response = await ask(sender, req)
        assert response.status == 420 and response.headers.get("Unsupported") == "x-unknown"
    finally:
        await sender.close()
        await strict.close()


async def read_response(reader: asyncio.StreamReader) -> Response:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), DEFAULT_TIMEOUT)
    message = parse_message(head)  # our server's answers have no body here
    assert isinstance(message, Response)
    return message


def raw_options(branch: str, cseq_method: str = "OPTIONS") -> bytes:
    return (f"OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP 127.0.0.1:9;branch={branch}\r\n"
            f"From: <sip:x@y>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: {branch}\r\n"
            f"CSeq: 1 {cseq_method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


async def test_tcp_malformed_request_is_answered_and_the_connection_kept(site: Site) -> None:
    server = site.addresses[Transport.TCP]
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(raw_options("z9hG4bKm1", cseq_method="BYE") + raw_options("z9hG4bKm2"))
        assert (await read_response(reader)).status == 400
        assert (await read_response(reader)).status == 200
        writer.write(b"\r\n\r\n")  # RFC 5626 ping
        assert await asyncio.wait_for(reader.readexactly(2), DEFAULT_TIMEOUT) == b"\r\n"
    finally:
        writer.close()


async def test_garbage_stream_is_closed_while_another_connection_works(site: Site) -> None:
    server = site.addresses[Transport.TCP]
    good_r, good_w = await asyncio.open_connection(server.host, server.port)
    bad_r, bad_w = await asyncio.open_connection(server.host, server.port)
    try:
        bad_w.write(b"\x16\x03\x01\x00\xa5 this is not SIP at all\r\n\r\nmore junk")
        assert await asyncio.wait_for(bad_r.read(), DEFAULT_TIMEOUT) == b""  # closed, no answer
        no_length = raw_options("z9hG4bKnl").replace(b"Content-Length: 0\r\n", b"")
        bad2_r, bad2_w = await asyncio.open_connection(server.host, server.port)
        bad2_w.write(no_length)  # framing lost, but the request is readable: 400 then close
        assert (await read_response(bad2_r)).status == 400
        assert await asyncio.wait_for(bad2_r.read(), DEFAULT_TIMEOUT) == b""
        bad2_w.close()
        # Framed by Content-Length but unreadable and unanswerable: closed as well.
        bad3_r, bad3_w = await asyncio.open_connection(server.host, server.port)
        bad3_w.write(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        assert await asyncio.wait_for(bad3_r.read(), DEFAULT_TIMEOUT) == b""
        bad3_w.close()
        good_w.write(raw_options("z9hG4bKok"))
        assert (await read_response(good_r)).status == 200
    finally:
        good_w.close()
        bad_w.close()


# -- TLS checks -------------------------------------------------------------------------------


async def test_tls_certificate_validation_can_be_switched(site: Site, tmp_path: Path) -> None:
    server = site.addresses[Transport.TLS]
    untrusting = SipTransport(tls_client=TlsClientOptions())  # system CAs only
    lax = SipTransport(tls_client=TlsClientOptions(verify_certificate=False))
    try:
        assert (await ask(untrusting, request("OPTIONS", server))).status == 503
        assert (await ask(lax, request("OPTIONS", server))).status == 200
    finally:
        await untrusting.close()
        await lax.close()


async def test_tls_common_name_check(tmp_path: Path) -> None:
    cert, key = tls.ensure_certificate(tmp_path / "other", common_name="other.test",
                                       hostnames=("other.test",))
    server = SipTransport()
    server.on_event = Registrar(server)
    address = await server.listen(Transport.TLS, tls_server=TlsServerOptions(cert, key))
    checking = SipTransport(tls_client=TlsClientOptions(cafile=cert))
    trusting = SipTransport(tls_client=TlsClientOptions(cafile=cert, check_common_name=False))
    try:
        # The chain is fine but the certificate names other.test, not 127.0.0.1.
        assert (await ask(checking, request("OPTIONS", address))).status == 503
        assert (await ask(trusting, request("OPTIONS", address))).status == 200
    finally:
        await checking.close()
        await trusting.close()
        await server.close()


def client_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "handset-gateway")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "client.pem", directory / "client.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


async def test_mutual_tls(tmp_path: Path) -> None:
    cert, key = tls.ensure_certificate(tmp_path / "server")
    client_cert, client_key = client_certificate(tmp_path / "client")
    server = SipTransport()
    server.on_event = Registrar(server)
    address = await server.listen(Transport.TLS, tls_server=TlsServerOptions(
        cert, key, require_client_certificate=True, client_cafile=client_cert))
    with_cert = SipTransport(tls_client=TlsClientOptions(
        cafile=cert, certfile=client_cert, keyfile=client_key))
    without = SipTransport(tls_client=TlsClientOptions(cafile=cert))
    try:
        assert (await ask(with_cert, request("OPTIONS", address))).status == 200
        assert (await ask(without, request("OPTIONS", address))).status != 200
    finally:
        await with_cert.close()
        await without.close()
        await server.close()


async def test_unreachable_peer_fails_fast(client: SipTransport) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    response = await ask(client, request("OPTIONS", Peer(Transport.TCP, "127.0.0.1", port)))
    assert response.status == 503


async def test_busy_port_is_one_clear_error(site: Site) -> None:
    other = SipTransport()
    taken = site.addresses[Transport.TCP]
    try:
        busy = f"cannot listen for SIP on tcp:127.0.0.1:{taken.port}"
        with pytest.raises(SipTransportError, match=busy):
            await other.listen(Transport.TCP, taken.host, taken.port)
        with pytest.raises(SipTransportError, match="needs TlsServerOptions"):
            await other.listen(Transport.TLS)
        with pytest.raises(SipTransportError, match="no UDP socket"):
            other.send_request(request("OPTIONS", site.addresses[Transport.UDP]))
    finally:
        await other.close()


async def test_via_of_our_requests(client: SipTransport) -> None:
    via = client.make_via(Transport.UDP)
    local = client.local_address(Transport.UDP)
    assert local is not None and isinstance(via, Via)
    assert (via.host, via.port, via.rfc3261, "rport" in via.params) == (
        local.host, local.port, True, True)
