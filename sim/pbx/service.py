"""The embedded call server as a running component of an installation: its listeners (UDP,
TCP, TLS with a certificate of its own), the endpoints it reports, and the "BasicSIP"
settings that point an OMM at it (features.md §2.7).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.pbx.config import PbxConfig
from sim.pbx.server import PbxServer
from sipdect import tls
from sipdect.net import HostNet
from sipdect.sip.message import Peer, Transport
from sipdect.sip.transport import TlsClientOptions, TlsServerOptions

PROTOCOLS = {Transport.UDP: "sip-udp", Transport.TCP: "sip-tcp", Transport.TLS: "sip-tls"}
"""Endpoint protocol names in the ready file, by transport."""


@dataclass(frozen=True)
class PbxListeners:
    """Where the call server listens; a None port means no listener of that transport."""

    host: str = "127.0.0.1"
    """Address every listener binds."""
    udp_port: int = 0
    """UDP port (0: any free port)."""
    tcp_port: int | None = 0
    """TCP port."""
    tls_port: int | None = 0
    """TLS port."""


class PbxService:
    """One call server: `start`, `stop`, and what the rest of the system needs to know."""

    def __init__(self, config: PbxConfig, data_dir: Path, listeners: PbxListeners,
                 tls_client: TlsClientOptions | None = None,
                 tls_key_type: tls.KeyType = tls.DEFAULT_KEY_TYPE,
                 net: HostNet | None = None) -> None:
        """tls_client: how the certificates of TLS contacts we call are checked; by default
        against `trusted` (our own certificate and whatever `trust` adds), since every
        party of an emulated installation has a self-signed certificate. tls_key_type: the
        key of the certificate generated at the first start (an existing one is kept)."""
        self.config = config
        self.tls_key_type = tls_key_type
        self.data_dir = data_dir
        self.listeners = listeners
        self.net = net or HostNet("pbx", listeners.host)
        """The call server's host: its address, its cut links, kill."""
        self.trusted = data_dir / "trusted.pem"
        self.tls_client = tls_client or TlsClientOptions(cafile=self.trusted)
        self.server: PbxServer | None = None
        self._cert: Path | None = None

    async def start(self) -> None:
        """Listen; SipTransportError or tls.TlsConfigError say what to change."""
        self.net.revive()
        cert, key = tls.ensure_certificate(self.data_dir, "sipdect call server",
                                           ("localhost", self.listeners.host),
                                           self.tls_key_type)
        self._cert = cert
        self.trust([])
        tls_server = TlsServerOptions(cert, key) if self.listeners.tls_port is not None else None
        self.server = await PbxServer.start(
            self.config, self.listeners.host, self.listeners.udp_port,
            tcp_port=self.listeners.tcp_port, tls_port=self.listeners.tls_port,
            tls_server=tls_server, tls_client=self.tls_client, net=self.net)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    async def kill(self) -> None:
        """A power cut: every socket gone at once (registrations are in memory: lost)."""
        self.net.kill()
        await self.stop()

    def trust(self, certificates: Iterable[Path]) -> None:
        """Trust these PEM certificates (e.g. the OMMs') for TLS contacts, besides our own.
        Read at the first TLS connection we open, so call it before calls start."""
        assert self._cert is not None, "start the call server first"
        pems = [self._cert.read_text("ascii")]
        pems += [Path(c).read_text("ascii") for c in certificates]
        self.trusted.write_text("".join(p if p.endswith("\n") else p + "\n" for p in pems),
                                "ascii")

    @property
    def certificate(self) -> Path | None:
        """Its TLS certificate (PEM), once started: what an OMM imports to trust it."""
        return self._cert

    @property
    def running(self) -> PbxServer:
        assert self.server is not None, "the call server is not running"
        return self.server

    def addresses(self) -> dict[Transport, Peer]:
        return self.running.addresses

    def endpoints(self) -> list[tuple[str, str, int]]:
        """(protocol, host, port) of every listener, UDP first."""
        return [(PROTOCOLS[kind], peer.host, peer.port)
                for kind, peer in self.running.addresses.items()]

    def basic_sip(self) -> dict[str, Any]:
        """BasicSIP settings for an OMM that registers its users here (over UDP, the
        transport the OMM's user agent speaks)."""
        udp = self.running.address
        return {"proxyServer": udp.host, "proxyPort": udp.port, "regServer": udp.host,
                "regPort": udp.port, "transportProt": "UDP"}

    def describe(self) -> dict[str, Any]:
        """Listeners, realm, SRTP setting and live registrations, for status output."""
        server = self.running
        return {
            "realm": self.config.realm,
            "srtp": str(self.config.srtp),
            "endpoints": [{"protocol": p, "host": h, "port": port}
                          for p, h, port in self.endpoints()],
            "registrations": [
                {"user": b.user, "contact": str(b.contact),
                 "expires": b.remaining(server.transport.now()), "source": str(b.source)}
                for b in server.registrations()],
        }
