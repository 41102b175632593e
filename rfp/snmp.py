"""An RFP's SNMP agent: read-only MIB-II on UDP 161 at the RFP's address, and its traps.

Seed 000 "SNMP Support" (v1/v2c, MIB-II, read-only; traps, else the OMM's event log),
standby-eventmgr.md B.6 (sysName, sysLocation, sysUpTime = the RFP application's uptime;
coldStart, authenticationFailure, nsNotifyShutdown, nsNotifyRestart), omm-rfp.md §4.7 (the
OMM configures it with SNMP_RFP_UPDATE). The responder is sipdect.snmp.agent (no pysnmp
engine: a socket and a few objects per RFP); this module builds the RFP's MIB view from its
live facts and is the asyncio edge: one UDP socket of the RFP's HostNet, read with the
loop's add_reader (bound at once: a site's RFPs start one after the other without waiting).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sipdect import clock
from sipdect.link.system import SnmpRfpUpdate
from sipdect.net import HostNet
from sipdect.snmp import oids
from sipdect.snmp.agent import Objects, ReadOnlyAgent
from sipdect.snmp.oids import Oid
from sipdect.snmp.sender import TrapSender
from sipdect.snmp.target import TRAP_PORT, TrapTarget
from sipdect.snmp.trap import Counter32, Gauge32, SnmpError, TimeTicks, Trap, Value

log = logging.getLogger("sipdect.rfp.snmp")

AGENT_PORT: Final = 161
"""snmpd's well-known port (the supervisor shifts it like every privileged port)."""
SYS_SERVICES: Final = 72
"""sysServices of a net-snmp agent: applications (64) + end-to-end (8)."""
ETHERNET_SPEED: Final = 100_000_000
"""[I] ifSpeed of the RFP's LAN port (bits/s); the real RFPs' negotiated speed varies."""
LOOPBACK_SPEED: Final = 10_000_000
"""ifSpeed net-snmp reports for `lo` on Linux."""
MAX_REQUEST: Final = 65535
"""The largest datagram read (a UDP payload)."""
SYNCED: Final = "Synced"
"""The sync state that is no loss (rfp.radio's RFPSyncStateType names)."""


@dataclass(frozen=True, slots=True)
class RfpFacts:
    """What the agent shows of its RFP at one moment."""

    descr: str
    """sysDescr: hardware type and software version."""
    mac: bytes
    """The LAN port's Ethernet address."""
    booted: float
    """clock.now() when the RFP (its application) started: sysUpTime counts from here."""
    octets_in: int
    """Octets received on the LAN port (its OMM link)."""
    octets_out: int
    """Octets sent."""
    lan_changed: float
    """clock.now() of the last link change (ifLastChange)."""


class RfpSnmp:
    """One RFP's agent and trap sender. `facts()` is read once per request."""

    def __init__(self, net: HostNet, port: int, facts: Callable[[], RfpFacts], *,
                 trap_port: int = TRAP_PORT) -> None:
        self.net = net
        self.port = port
        """UDP port at the RFP's address (0: any free one; `bound_port` says which)."""
        self.trap_port = trap_port
        """Where traps go at the OMM's trapHostAddr (SNMP_RFP_UPDATE carries no port)."""
        self.facts = facts
        self.config: SnmpRfpUpdate | None = None
        """The OMM's last SNMP_RFP_UPDATE since the RFP booted; None: no agent config."""
        self.agent = ReadOnlyAgent(self.objects)
        self.bound_port: int | None = None
        self.traps_sent = 0
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sender: TrapSender | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._cold_start_due = True
        self._link_up_due = False
        self._omm = ""
        self._synced: bool | None = None
        net.on_kill(self._killed)

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Listen (again; OSError when the port is taken): a booted RFP has no configuration
        until its OMM sends one."""
        self.config = None
        self.agent.community = None
        self._cold_start_due = True
        self._synced = None
        if self._sock is None:
            sock = self.net.udp_socket(self.port)
            self._sock = sock
            self.bound_port = int(sock.getsockname()[1])
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(sock.fileno(), self._readable)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())
            self.net.release_socket(sock)
            sock.close()
        if self._sender is not None:
            self._sender.close()
            self._sender = None
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()

    # -- what the RFP tells it -------------------------------------------------------------
    def configure(self, update: SnmpRfpUpdate) -> None:
        """SNMP_RFP_UPDATE from the OMM: communities, texts, traps."""
        first = self.config is None
        changed = not first and update != self.config
        self.config = update
        self.agent.community = update.ro_community or None
        if self._sender is not None:
            self._sender.close()
            self._sender = None
        if first and self._cold_start_due:
            self._cold_start_due = False
            self._trap(Trap(oids.COLD_START))
        elif changed:
            self._trap(Trap(oids.NS_NOTIFY_RESTART))
        if self._link_up_due:
            self._link_up_due = False
            self._trap(Trap.of(oids.RFP_OMM_LINK_UP, self._about("up")))

    def link_changed(self, up: bool, omm: str, reason: str = "") -> None:
        """The link to the OMM at `omm` came up (its trap waits for the OMM's configuration)
        or went down."""
        self._omm = omm
        if up:
            self._link_up_due = True
        else:
            self._link_up_due = False
            self._trap(Trap.of(oids.RFP_OMM_LINK_DOWN, self._about(reason or "lost")))

    def sync_state(self, state: str) -> None:
        """The radio's sync state (after each pump): a loss after a sync, or the regain after
        a loss, sends a trap. Inactive (DECT off, link down) is neither."""
        if state == "Inactive":
            self._synced = None
        elif state == SYNCED:
            if self._synced is False:
                self._trap(Trap.of(oids.RFP_SYNC_REGAINED, self._about(state)))
            self._synced = True
        elif self._synced:
            self._synced = False
            self._trap(Trap.of(oids.RFP_SYNC_LOST, self._about(state)))

    def rebooting(self) -> None:
        """SYS_RESET: the agent goes down with the RFP (net-snmp's shutdown notification)."""
        self._trap(Trap(oids.NS_NOTIFY_SHUTDOWN))

    # -- the MIB view ----------------------------------------------------------------------
    def objects(self) -> Objects:
        """MIB-II system and interfaces, sorted."""
        f = self.facts()
        now = clock.now()
        cfg = self.config
        e = oids.IF_ENTRY
        out: list[tuple[Oid, Value]] = [
            (oids.SYS_DESCR_0, f.descr), (oids.SYS_OBJECT_ID_0, oids.NET_SNMP_LINUX),
            (oids.SYS_UP_TIME_0, TimeTicks(_ticks(now - f.booted))),
            (oids.SYS_CONTACT_0, cfg.contact if cfg else ""),
            (oids.SYS_NAME_0, cfg.sys_name if cfg else ""),
            (oids.SYS_LOCATION_0, cfg.location if cfg else ""),
            (oids.SYS_SERVICES_0, SYS_SERVICES), (oids.IF_NUMBER_0, 2),
        ]
        lan_change = TimeTicks(_ticks(f.lan_changed - f.booted))
        for index, descr, kind, mtu, speed, mac, octets_in, octets_out, changed in (
                (1, "lo", 24, 65536, LOOPBACK_SPEED, b"", 0, 0, TimeTicks(0)),
                (2, "eth0", 6, 1500, ETHERNET_SPEED, f.mac, f.octets_in, f.octets_out,
                 lan_change)):
            row: tuple[tuple[int, Value], ...] = (
                (oids.IF_INDEX, index), (oids.IF_DESCR, descr), (oids.IF_TYPE, kind),
                (oids.IF_MTU, mtu), (oids.IF_SPEED, Gauge32(speed)),
                (oids.IF_PHYS_ADDRESS, mac), (oids.IF_ADMIN_STATUS, 1),
                (oids.IF_OPER_STATUS, 1), (oids.IF_LAST_CHANGE, changed),
                (oids.IF_IN_OCTETS, Counter32(octets_in % 2**32)),
                (oids.IF_OUT_OCTETS, Counter32(octets_out % 2**32)))
            out += [(e.child(column, index), value) for column, value in row]
        out.sort()
        return out

    # -- requests --------------------------------------------------------------------------
    def _readable(self) -> None:
        sock = self._sock
        while sock is not None:
            try:
                data, peer = sock.recvfrom(MAX_REQUEST)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # an ICMP error of an earlier answer
            if self.net.allows(peer[0]):
                self.receive(data, peer[:2])

    def receive(self, data: bytes, peer: tuple[str, int]) -> None:
        """One request datagram from `peer`: its answer goes back, or nothing."""
        answer = self.agent.receive(data)
        if answer.response is not None and self._sock is not None:
            try:
                self._sock.sendto(answer.response, peer)
            except OSError as exc:
                log.debug("RFP %s: SNMP answer to %s: %s", self.net.name, peer, exc)
        elif answer.auth_failure and self.config is not None:
            self._trap(Trap(oids.AUTHENTICATION_FAILURE))

    def _killed(self, sock: socket.socket) -> None:
        """The host was killed: HostNet closes the socket; forget it."""
        if sock is self._sock:
            self._sock = None
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())

    # -- traps -----------------------------------------------------------------------------
    def _about(self, reason: str) -> list[tuple[Oid, Value]]:
        mac = ":".join(f"{b:02X}" for b in self.facts().mac)
        return [(oids.RFP_MAC, mac), (oids.RFP_OMM, self._omm), (oids.RFP_REASON, reason)]

    def _trap(self, trap: Trap) -> None:
        """Send when the OMM enabled traps; else say so in the RFP's log (the OMM's event log
        has the same event: the seed's "logged to the event log list")."""
        cfg = self.config
        if cfg is None or not cfg.traps or int(cfg.trap_sink) == 0:
            log.debug("RFP %s: SNMP trap %s not sent (traps off)", self.net.name, trap.oid)
            return
        if self._sender is None:
            try:
                target = TrapTarget(str(cfg.trap_sink), self.trap_port,
                                    cfg.trap_community or "", "udp")
            except SnmpError as exc:
                log.warning("RFP %s: no SNMP traps: %s", self.net.name, exc)
                return
            self._sender = TrapSender(target, net=self.net, started=self.facts().booted)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._send(self._sender, trap))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, sender: TrapSender, trap: Trap) -> None:
        try:
            await sender.send(trap)
            self.traps_sent += 1
        except (OSError, SnmpError) as exc:
            log.info("RFP %s: SNMP trap %s not sent: %s", self.net.name, trap.oid, exc)


def _ticks(seconds: float) -> int:
    return max(0, int(seconds * 100)) % 2**32
