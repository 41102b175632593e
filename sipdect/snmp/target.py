"""Where traps go: a trap receiver's transport, address, port and v2c community.

Written in configs as net-snmp writes a transport address ("udp:192.0.2.9:162",
"tcp:trapsink", "192.0.2.9"): snmptrapd takes the same words.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final, Literal

from sipdect.snmp.trap import MAX_COMMUNITY, SnmpError

TRAP_PORT: Final = 162
"""snmptrap's well-known port, for UDP (RFC 3417) and TCP (RFC 3430) alike."""
DEFAULT_COMMUNITY: Final = "public"
"""[I] the trap community when a config names none (the OMM's trapCommunity default)."""
TRANSPORTS: Final = ("udp", "tcp")
DEFAULT_TRANSPORT: Final = "udp"
"""[I] what snmptrapd listens on by default; the seed's "SNMPv2c over TCP" is "tcp"."""

Transport = Literal["udp", "tcp"]


@dataclass(frozen=True, slots=True)
class TrapTarget:
    """One trap receiver."""

    host: str
    """An IPv4 address or a host name."""
    port: int = TRAP_PORT
    community: str = DEFAULT_COMMUNITY
    transport: Transport = DEFAULT_TRANSPORT

    def __post_init__(self) -> None:
        if not self.host or any(c.isspace() for c in self.host):
            raise SnmpError(f"trap receiver host {self.host!r} is not a host name or address")
        if not 1 <= self.port <= 65535:
            raise SnmpError(f"trap receiver port {self.port} is not 1..65535")
        if self.transport not in TRANSPORTS:
            raise SnmpError(f"trap transport {self.transport!r} is not one of "
                            f"{', '.join(TRANSPORTS)}")
        if not 1 <= len(self.community.encode("utf-8")) <= MAX_COMMUNITY:
            raise SnmpError(f"a trap community has 1..{MAX_COMMUNITY} octets")

    def __str__(self) -> str:
        return f"{self.transport}:{self.host}:{self.port}"


def parse_target(text: str, community: str = DEFAULT_COMMUNITY) -> TrapTarget:
    """'[udp:|tcp:]HOST[:PORT]' -> TrapTarget; SnmpError saying what to change."""
    rest = text.strip()
    transport: Transport = DEFAULT_TRANSPORT
    scheme, colon, after = rest.partition(":")
    if colon and scheme.lower() in TRANSPORTS:
        transport = "tcp" if scheme.lower() == "tcp" else "udp"
        rest = after
    host, colon, port_text = rest.rpartition(":")
    if not colon:
        host, port_text = rest, str(TRAP_PORT)
    if not port_text.isascii() or not port_text.isdigit():
        raise SnmpError(f"trap receiver {text!r}: the port {port_text!r} is not a number "
                        f"(write [udp:|tcp:]HOST[:PORT])")
    if ":" in host:
        raise SnmpError(f"trap receiver {text!r}: write [udp:|tcp:]HOST[:PORT]")
    try:
        host = str(ipaddress.IPv4Address(host))
    except ValueError:
        pass  # a host name
    return TrapTarget(host, int(port_text), community, transport)
