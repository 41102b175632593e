"""What the OMM's SIP user agent is configured to talk to (features.md §2.7): the BasicSIP,
BackupSIP and SecureSIP settings groups (AXI BasicSIPSetType, BackupSIPType, SecureSIPType)
read into one value, and where the OMM itself listens for SIP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sipdect import tls
from sipdect.sip import Address, Peer, SipUri, TlsClientOptions, Transport

#: transportProt (AXI TransportProtType) -> the transport requests are sent over. UDPAndTCP
#: sends over UDP and accepts both (the OMM listens on UDP and TCP either way).
SEND_TRANSPORT: dict[str, Transport] = {
    "UDP": Transport.UDP, "TCP": Transport.TCP, "UDPAndTCP": Transport.UDP,
    "TLS": Transport.TLS, "PersistentTLS": Transport.TLS,
}

#: Server tiers as PPState regServerType spells them, in failover order.
TIERS = ("Primary", "Secondary", "Tertiary")

#: BackupSIP failoverTime default (seconds): how long the primary may stay silent.
DEFAULT_FAILOVER_TIME = 30

LOCAL_SIP_PORT_DECISION = """\
One SIP listening address per OMM: UDP and TCP on the same configurable local port (0: any
free port), TLS on the next port up when a certificate is given. Every user's Contact is
sip:<num>@<omm-host>:<port> on the listener of the configured transport; with TLS configured
but no certificate given, the UDP listener. The product computes a port per user
(`calculatedSipPort`); the emulator tells users apart by the Contact's user part instead,
which needs no port range and reaches the same user.
"""


@dataclass(frozen=True)
class Registrar:
    """One tier of SIP servers: where users register and where their calls go."""

    host: str
    """Registrar address (regServer, else proxyServer); also the users' SIP domain."""
    port: int
    """Its port."""
    tier: str = "Primary"
    """Primary, Secondary or Tertiary (PPState regServerType)."""
    proxy_host: str = ""
    """The proxy calls go to (proxyServer); empty: the registrar."""
    proxy_port: int = 5060
    """Its port."""
    outbound_host: str = ""
    """Outbound proxy every request is sent to (outboundProxyServer); empty: none."""
    outbound_port: int = 5060
    """Its port."""

    @property
    def domain(self) -> str:
        return self.host

    @property
    def call_server(self) -> tuple[str, int]:
        """Host and port of the proxy INVITEs are addressed through."""
        return (self.proxy_host, self.proxy_port) if self.proxy_host else (self.host, self.port)


def _tier(values: dict[str, Any], prefix: str, tier: str) -> Registrar | None:
    def key(name: str) -> str:
        return prefix + name[0].upper() + name[1:] if prefix else name

    reg, proxy = str(values.get(key("regServer")) or ""), str(values.get(key("proxyServer")) or "")
    reg_port = int(values.get(key("regPort")) or 5060)
    proxy_port = int(values.get(key("proxyPort")) or 5060)
    if not reg and not proxy:
        return None
    host, port = (reg, reg_port) if reg else (proxy, proxy_port)
    return Registrar(host, port, tier, proxy, proxy_port,
                     str(values.get(key("outboundProxyServer")) or ""),
                     int(values.get(key("outboundProxyPort")) or 5060))


@dataclass(frozen=True)
class SipConfig:
    """Everything the registrations and calls need from the SIP settings groups."""

    servers: tuple[Registrar, ...]
    """Primary first, then the configured backup tiers."""
    period: int = 3600
    """Requested registration interval (regPeriod), seconds."""
    transport_prot: str = "UDP"
    """transportProt as configured."""
    failover_time: float = DEFAULT_FAILOVER_TIME
    """Seconds to wait for a server before trying the next tier (with backups configured)."""
    send_sips: bool = False
    """SecureSIP sendSipsOverTLS: sips: URIs instead of sip:...;transport=tls."""
    verify_certificate: bool = True
    """SecureSIP authenticationTLS: the server's certificate must chain to a trusted CA."""
    check_common_name: bool = True
    """SecureSIP commonNameValidationTLS: it must also name the server."""

    @classmethod
    def from_settings(cls, settings: Any) -> SipConfig | None:
        """The configuration in force, or None when BasicSIP names no server."""
        basic: dict[str, Any] = settings.get("BasicSIP")
        primary = _tier(basic, "", TIERS[0])
        if primary is None:
            return None
        servers = [primary]
        backup: dict[str, Any] = settings.get("BackupSIP")
        if backup.get("failoverActive"):
            for prefix, tier in zip(("secondary", "tertiary"), TIERS[1:], strict=True):
                server = _tier(backup, prefix, tier)
                if server is not None:
                    servers.append(server)
        secure: dict[str, Any] = settings.get("SecureSIP")
        return cls(tuple(servers), int(basic.get("regPeriod") or 3600),
                   str(basic.get("transportProt") or "UDP"),
                   float(backup.get("failoverTime") or DEFAULT_FAILOVER_TIME),
                   bool(secure.get("sendSipsOverTLS", False)),
                   bool(secure.get("authenticationTLS", True)),
                   bool(secure.get("commonNameValidationTLS", True)))

    @property
    def transport(self) -> Transport:
        return SEND_TRANSPORT.get(self.transport_prot, Transport.UDP)

    def tls_options(self, level: tls.SecurityLevel, cafile: Any = None) -> TlsClientOptions:
        return TlsClientOptions(level=level, verify_certificate=self.verify_certificate,
                                check_common_name=self.check_common_name, cafile=cafile)

    def server_uri(self, host: str, port: int, user: str | None = None) -> SipUri:
        """A URI at `host:port` that makes requests travel over the configured transport."""
        kind = self.transport
        if kind is Transport.TLS and self.send_sips:
            return SipUri(host, user, port=port, scheme="sips")
        params: dict[str, str | None] = {} if kind is Transport.UDP \
            else {"transport": kind.value.lower()}
        return SipUri(host, user, port=port, params=params)

    def aor(self, domain: str, user: str) -> SipUri:
        """The address of record of `user` at `domain` (From and To of its REGISTER and calls):
        the configured scheme, no port, no parameters."""
        return self.server_uri(domain, 0, user).copy(port=None, params={})

    def peer(self, host: str, port: int) -> Peer:
        return Peer(self.transport, host, port)

    def first_hop(self, server: Registrar, target: tuple[str, int]) -> tuple[Peer, list[Address]]:
        """Where a request for `target` (the registrar or the call server of `server`) is
        sent and the Route it carries: the outbound proxy, loose-routed, when one is set."""
        if server.outbound_host:
            uri = self.server_uri(server.outbound_host, server.outbound_port)
            uri = uri.copy(params={**uri.params, "lr": None})
            return self.peer(server.outbound_host, server.outbound_port), [Address(uri)]
        return self.peer(*target), []
