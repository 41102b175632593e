"""The OMM's RFP link server: TCP 16321, one RfpSession per RFP, results written to the model.

omm-rfp.md §1 (the RFP connects to the OMM), §2.1 (login; an unknown MAC is closed without a
reply), features.md §2.3 (enrolment: the DB entry comes first, the key K is exchanged at the
first connection and kept sealed; unknown RFPs go to the capture list while capturing is on;
RFP states and LEDs). LC/MAC DNM primitives go to `on_dnm` (the DECT fixed part).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any

from dect.errors import DectValueError
from dect.identities import AccessRightsClass, Ari, Park, Rfpi
from omm import snmp
from omm.access import CRYPT_HASH_FIELD, PRESET_BY_NAME, PRESET_ID
from omm.central import sari_park
from omm.errors import ModelError
from omm.model import OmmModel
from omm.rfplink.session import (
    BmcStatistics,
    DectConfig,
    DectStateChanged,
    DnmReceived,
    MediaReceived,
    MessageIgnored,
    PagingQueueOverflow,
    RfpSession,
    SessionEvent,
    SyncRelationsChanged,
    SyncState,
    SyncStateChanged,
)
from omm.rfps import normalise_mac
from omm.statistics import Elem
from omm.tables import Change
from sipdect.axi.records import RFP_HW_TYPES
from sipdect.link import constants as c
from sipdect.link import events as ev
from sipdect.link.dnm import Dnm
from sipdect.link.handshake import RfpCredentials, Tap
from sipdect.link.messages import AnyMessage, TypedMessage
from sipdect.link.system import SysLed, SysPasswd, SysSyslog
from sipdect.net import HostNet
from sipdect.ops.eventlog import times_from_source
from sipdect.ops.syslog import DEFAULT_PORT as SYSLOG_PORT

log = logging.getLogger("sipdect.omm.rfplink")

SYSLOG_SETTING = "SyslogServer"
"""The OMM's syslog server (AXI SetSyslogServer): its RFPs send theirs there too."""

SUBSYSTEM = "RFP"
STATISTICS_POLL_S = 60.0
"""How often (loop seconds, scaled with the clock) the OMM asks every RFP for its BMC counters;
the real OMM's period is not documented."""
STATISTICS_MIN_GAP_S = 1.0
"""Readers (AXI, ctl) ask for fresh counters at most this often."""
"""Event log subsystem name of everything the link reports."""
STATUS_LED = 0
LED_BY_SYNC: dict[SyncState, c.LedColour] = {
    SyncState.INACTIVE: c.LedColour.GREEN_FLASH,
    SyncState.SEARCHING: c.LedColour.GREEN_FLASH,
    SyncState.NOT_SYNCED: c.LedColour.GREEN_FLASH,
    SyncState.SYNCED: c.LedColour.GREEN,
}
"""Status LED per sync state: steady green when up, green flashing while DECT is off or not
synced (the LED meanings of features.md §2.3; which SYS_LED codes a real OMM sends for them
is not captured)."""
_CAPABILITY_DETAILS: tuple[tuple[str, c.Capability], ...] = (
    ("hasWlan", c.Capability.WLAN),
    ("hasEncryption", c.Capability.ENCRYPTION),
    ("hasAdvancedFeatures", c.Capability.ADVANCED_FEATURE),
    ("hasFreqShift", c.Capability.FREQUENCY_SHIFT),
)

_SSH_ACCOUNTS = frozenset({PRESET_ID, PRESET_BY_NAME["root"].id})
"""The accounts SYS_PASSWD carries: 'omm' (the user shell) and 'root' (`su`)."""

DnmHandler = Callable[[int, Dnm], None]
LinkHandler = Callable[[int, bool], None]
MediaHandler = Callable[[int, AnyMessage], object]


def axi_hw_type(code: int) -> str:
    """SYS_INIT hardware type -> AXI RFPHwTypeType ("RFP 35", "RFP L43", "PC ECM", ...)."""
    if code not in c.HardwareType._value2member_map_:
        return "Unknown"
    name = c.HardwareType(code).name
    if name.startswith("RFP"):
        model = name[3:].lstrip("_")
        us = model.endswith("US")
        name = "RFP " + model.removesuffix("US") + (" US" if us else "")
    name = name.replace("_", " ")
    return name if name in RFP_HW_TYPES else "Unknown"


def rfp_details(capabilities: int) -> dict[str, Any]:
    """RFP detail fields (withDetails) from the SYS_INIT capability flags."""
    out: dict[str, Any] = {name: bool(capabilities & flag) for name, flag in _CAPABILITY_DETAILS}
    out["radioType"] = "LowTX" if capabilities & c.Capability.LOW_TX else "NormalTX"
    out["outdoorType"] = not capabilities & c.Capability.INDOOR
    return out


class _RfpConnection(asyncio.Protocol):
    """One RFP's TCP connection: pumps bytes and timers through its RfpSession."""

    def __init__(self, server: RfpLinkServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.session: RfpSession | None = None
        self.peer_ip = "?"
        self.rfp_id: int | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer_ip = str(peer[0]) if peer else "?"
        self.server._connections.add(self)
        capture = self.server.net.capture
        local = transport.get_extra_info("sockname")
        tap = (capture.link_tap((local[0], local[1]), (peer[0], peer[1]))
               if capture is not None and peer and local else None)
        self.session = self.server._new_session(self.loop.time(), tap)
        self.pump()

    def data_received(self, data: bytes) -> None:
        if self.session is not None:
            self.session.receive_data(data, self.loop.time())
            self.pump()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.session is not None and not self.session.closed:
            self.session.receive_data(b"", self.loop.time())
            self.pump()
        if self._timer is not None:
            self._timer.cancel()
        self.server._connections.discard(self)
        self.server._detach(self, "the connection closed")

    def pump(self) -> None:
        session = self.session
        if session is None:
            return
        while (event := session.next_event()) is not None:
            try:
                self.server._on_event(self, event)
            except Exception:  # a bug for one RFP must not take the others down
                log.exception("RFP link %s: handling %s failed", self.peer_ip, event)
        self.flush()
        if session.closed:
            if self.transport is not None:
                self.transport.close()
            return
        self._arm_timer()

    def flush(self) -> None:
        if self.session is None or self.transport is None or self.transport.is_closing():
            return
        data = self.session.data_to_send()
        if data:
            self.transport.write(data)

    def _arm_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.session.get_timer() if self.session is not None else None
        if deadline is not None:
            self._timer = self.loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self.session is not None:
            self.session.handle_timer(self.loop.time())
            self.pump()

    def abort(self) -> None:
        if self.session is not None:
            self.session.close()
        if self.transport is not None:
            self.transport.abort()


class RfpLinkServer:
    """Listens for RFPs (port 16321; 0 = any free port) for one OMM model."""

    def __init__(
        self,
        model: OmmModel,
        host: str = "127.0.0.1",
        port: int = c.PORT,
        on_dnm: DnmHandler | None = None,
        *,
        on_link: LinkHandler | None = None,
        heartbeat_interval: int = c.DEFAULT_HEARTBEAT_INTERVAL,
        heartbeat_misses: int = 3,
        handshake_timeout: float = 10.0,
        random: Callable[[int], bytes] = os.urandom,
        park: Callable[[], Park | None] | None = None,
        net: HostNet | None = None,
    ) -> None:
        """`on_dnm(rfp_id, dnm)`: every LC/MAC primitive from a connected RFP.
        `on_link(rfp_id, up)`: an RFP's link came up (True) or ended (False).
        `park()`: the PARK whose ARI the RFPs broadcast (default: the "PARK" setting, none
        while it is empty); FixedPartLink.attach sets it to the fixed part's."""
        self.model = model
        self.host = host
        self.net = net or HostNet("omm", host)
        """The OMM's host: the link listens at its address."""
        self.requested_port = port
        self.on_dnm = on_dnm
        self.on_link = on_link
        self.on_media: MediaHandler | None = None
        """`on_media(rfp_id, message)`: MEDIA_* messages (statistics, DTMF) from an RFP."""
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_misses = heartbeat_misses
        self.handshake_timeout = handshake_timeout
        self.random = random
        self.park: Callable[[], Park | None] = park or self._park_setting
        self._server: asyncio.Server | None = None
        self._connections: set[_RfpConnection] = set()
        self._active: dict[int, _RfpConnection] = {}
        self._sync_lost: set[int] = set()
        """RFPs whose DECT lost its sync and has not regained it."""
        self._seen: set[int] = set()
        """RFPs that logged in since the OMM started (a second login is an RFP reset)."""
        self._air_mceis: dict[int, set[int]] = {}
        """Per RFP: the MCEIs of its MAC connections (its air channels in use)."""
        self._poll: asyncio.TimerHandle | None = None
        self._last_request = float("-inf")

    # -- the owner's interface -------------------------------------------------------------
    async def start(self) -> None:
        # A site's RFPs all connect at once when the OMM starts: a deep accept queue keeps
        # them from waiting on TCP retransmissions (asyncio's default backlog is 100).
        self._server = await self.net.create_server(
            lambda: _RfpConnection(self), self.requested_port, backlog=4096)
        self.model.add_listener(self._on_change)
        self.model.request_statistics = self.request_statistics
        self._poll = asyncio.get_running_loop().call_later(STATISTICS_POLL_S, self._poll_tick)

    @property
    def port(self) -> int:
        """The port it listens on (after start())."""
        assert self._server is not None, "start() the RFP link server first"
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        self.model.remove_listener(self._on_change)
        if self._poll is not None:
            self._poll.cancel()
            self._poll = None
        if self._server is not None:
            self._server.close()
        self.drop_all("the OMM is shutting down")
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def drop_all(self, reason: str) -> None:
        """End every RFP's link now (on_link(rfp_id, False) for each): the OMM stops, or
        forgets its RFPs."""
        for conn in list(self._connections):
            conn.abort()
        for conn in list(self._connections):
            self._detach(conn, reason)

    def request_statistics(self) -> None:
        """Ask every connected RFP for its BMC counters (at most once a STATISTICS_MIN_GAP_S:
        AXI readers call this before each answer)."""
        now = asyncio.get_running_loop().time()
        if now - self._last_request < STATISTICS_MIN_GAP_S:
            return
        self._last_request = now
        for conn in list(self._active.values()):
            if conn.session is not None and conn.session.request_statistics():
                conn.flush()

    def _poll_tick(self) -> None:
        self._poll = asyncio.get_running_loop().call_later(STATISTICS_POLL_S, self._poll_tick)
        self.request_statistics()

    def _count_air_channels(self, rfp_id: int, dnm: Dnm) -> None:
        """MAC_CON_IND / MAC_DIS_IND: the RFP's air channels in use (RFP statistics)."""
        if dnm.layer != c.DnmLayer.MAC or dnm.mcei is None:
            return
        mceis = self._air_mceis.setdefault(rfp_id, set())
        if dnm.primitive == c.DnmPrimitive.MAC_CON_IND:
            mceis.add(dnm.mcei)
        elif dnm.primitive == c.DnmPrimitive.MAC_DIS_IND:
            mceis.discard(dnm.mcei)
        else:
            return
        self.model.statistics.air_channels(rfp_id, len(mceis), self.model.clock())

    def send_dnm(self, rfp_id: int, dnm: Dnm) -> bool:
        """Send a DNM to a connected RFP now; False when it is not connected."""
        return self.send(rfp_id, dnm)

    def send(self, rfp_id: int, message: AnyMessage) -> bool:
        """Send any link message (e.g. SysReset, SysLed) to a connected RFP now; False when
        it is not connected."""
        conn = self._active.get(rfp_id)
        if conn is None or conn.session is None or not conn.session.send(message):
            return False
        conn.flush()
        return True

    def peer_ip(self, rfp_id: int) -> str | None:
        """The address a connected RFP came from (where its RTP ports are)."""
        conn = self._active.get(rfp_id)
        return None if conn is None else conn.peer_ip

    def connected_ids(self) -> list[int]:
        return sorted(self._active)

    def session(self, rfp_id: int) -> RfpSession | None:
        conn = self._active.get(rfp_id)
        return None if conn is None else conn.session

    # -- session set-up: what the link asks the model --------------------------------------
    def _new_session(self, now: float, tap: Tap | None = None) -> RfpSession:
        return RfpSession(
            now, lookup_rfp=self._lookup, dect_config=self._dect_config, random=self.random,
            heartbeat_interval=self.heartbeat_interval, heartbeat_misses=self.heartbeat_misses,
            handshake_timeout=self.handshake_timeout, tap=tap,
        )

    def _rfp_id(self, mac: bytes) -> int | None:
        return self.model.rfps.by_mac.get(normalise_mac(mac.hex()))

    def _lookup(self, mac: bytes) -> RfpCredentials | None:
        rfp_id = self._rfp_id(mac)
        if rfp_id is None:
            return None
        return RfpCredentials(key=self.model.rfps.link_key(rfp_id, self.model.vault))

    def _dect_config(self, mac: bytes) -> DectConfig:
        rfp_id = self._rfp_id(mac)
        if rfp_id is None:
            return DectConfig(False)
        rec = self.model.rfps.get(rfp_id)
        saris = self._saris()
        return DectConfig(bool(rec["dectOn"]), self._rfpi(rec["rpn"], bool(saris)), saris)

    def _saris(self) -> tuple[Ari, ...]:
        """The SARI list of every RFP: the OMM's one SARI (the SARI setting), or none."""
        sari = sari_park(self.model.settings)
        return () if sari is None else (sari.ari,)

    def _park_setting(self) -> Park | None:
        text = str(self.model.settings.value("PARK", "park", "") or "")
        try:
            return Park.parse(text) if text else None
        except DectValueError:
            return None

    def _rfpi(self, rpn: int, saris: bool) -> bytes | None:
        """RFPI = the E bit (SARIs broadcast), the PARK's ARI and the RFP's RPN; None while
        there is no PARK."""
        park = self.park()
        if park is None:
            return None
        ari = park.ari
        rpn &= 0x7 if ari.arc is AccessRightsClass.A else 0xFF
        return Rfpi(ari, rpn, e=saris).to_bytes()

    # -- what sessions report --------------------------------------------------------------
    def _on_event(self, conn: _RfpConnection, event: SessionEvent) -> None:
        m = self.model
        if isinstance(event, ev.UnknownRfp):
            self._unknown(conn, event)
        elif isinstance(event, ev.RfpKeyAssigned):
            rfp_id = self._rfp_id(event.mac)
            if rfp_id is not None:
                m.rfps.store_link_key(rfp_id, event.key, m.vault)
                m.log("GenInfo", SUBSYSTEM, f"RFP {rfp_id} ({normalise_mac(event.mac.hex())}) "
                      "enrolled: authentication key exchanged")
        elif isinstance(event, ev.RfpConnected):
            self._connected(conn, event)
        elif isinstance(event, ev.LinkFailed):
            who = conn.peer_ip if event.mac is None else (
                f"{normalise_mac(event.mac.hex())} at {conn.peer_ip}")
            # Anyone reaching the port can fail a login: one entry per source address.
            m.log_repeated("MinorErr", SUBSYSTEM, "rfp-link-failed", conn.peer_ip,
                           times_from_source(f"RFP {who} refused: {event.reason}"))
        elif isinstance(event, ev.LinkLost):
            self._detach(conn, event.reason, timeout=event.timeout)
        elif conn.rfp_id is None or self._active.get(conn.rfp_id) is not conn:
            return
        elif isinstance(event, DnmReceived):
            self._count_air_channels(conn.rfp_id, event.dnm)
            if self.on_dnm is not None:
                self.on_dnm(conn.rfp_id, event.dnm)
        elif isinstance(event, BmcStatistics):
            m.statistics.bmc(conn.rfp_id, event.data, m.clock())
        elif isinstance(event, PagingQueueOverflow):
            m.statistics.count(conn.rfp_id, Elem.PAGING_QUEUE_OVERFLOWS, m.clock())
        elif isinstance(event, MediaReceived):
            if self.on_media is not None:
                self.on_media(conn.rfp_id, event.message)
        elif isinstance(event, DectStateChanged):
            m.rfps.set_state(conn.rfp_id, {"dectRunning": event.running})
        elif isinstance(event, SyncStateChanged):
            if (m.rfps.live(conn.rfp_id)["syncState"] == SyncState.SYNCED.value
                    and event.state in (SyncState.SEARCHING, SyncState.NOT_SYNCED)):
                m.statistics.count(conn.rfp_id, Elem.SYNC_LOSTS, m.clock())
            self._log_sync(conn.rfp_id, m.rfps.live(conn.rfp_id).get("syncState"), event.state)
            m.rfps.set_state(conn.rfp_id, {"syncState": event.state.value})
            self._send_led(conn, event.state)
        elif isinstance(event, SyncRelationsChanged):
            m.rfps.set_sync_relations(conn.rfp_id, [
                {"rpn": n.rpn, "id": self._id_of_rpn(conn.rfp_id, n.rpn), "rssi": -n.rssi,
                 "offset": n.offset_ns, "qtSyncCheck": n.qt_sync_check}
                for n in event.neighbours
            ])
            m.rfps.set_state(conn.rfp_id, {"nSyncRels": len(event.neighbours)})
            m.statistics.sync_relations(conn.rfp_id, len(event.neighbours), m.clock(),
                                        {n.rpn: n.offset_ns for n in event.neighbours})
        elif isinstance(event, MessageIgnored):
            log.debug("RFP %s: %s ignored %s", conn.rfp_id, event.name, event.reason)

    def _unknown(self, conn: _RfpConnection, event: ev.UnknownRfp) -> None:
        mac = normalise_mac(event.mac.hex())
        hw_type = axi_hw_type(event.hw_type)
        capturing = bool(self.model.settings.value("RFPCapture", "enable", False))
        hint = ("; added to the capture list" if capturing else
                "; create it first (enrolment), or turn capturing on to list it")
        # Anyone reaching the port can claim any MAC: one entry per source address.
        latest = f"unknown RFP {mac} ({hw_type}) at {conn.peer_ip} tried to connect{hint}"
        self.model.log_repeated("MinorErr", SUBSYSTEM, "rfp-unknown", conn.peer_ip,
                                times_from_source(latest))
        if capturing:
            self.model.rfps.capture(mac, conn.peer_ip, hw_type, self.model.clock())

    def _connected(self, conn: _RfpConnection, event: ev.RfpConnected) -> None:
        rfp_id = self._rfp_id(event.mac)
        if rfp_id is None:  # deleted during the login
            conn.abort()
            return
        old = self._active.get(rfp_id)
        if old is not None and old is not conn:
            # The RFP restarted and the old connection is a leftover: the new one wins.
            self._active.pop(rfp_id)
            old.rfp_id = None
            old.abort()
        conn.rfp_id = rfp_id
        self._active[rfp_id] = conn
        m = self.model
        if rfp_id in self._seen:
            # A real RFP logs in again only after it restarted (it reboots when it loses
            # its OMM): every login after the first since the OMM started is a reset.
            m.statistics.count(rfp_id, Elem.RFP_RESETS, m.clock())
        self._seen.add(rfp_id)
        m.statistics.link_up(rfp_id, m.clock())
        hw_type = axi_hw_type(event.hw_type)
        if m.rfps.get(rfp_id)["hwType"] != hw_type:
            try:
                m.rfps.update(rfp_id, {"hwType": hw_type}, m.sites.exists)
            except ModelError as exc:
                log.warning("RFP %d: cannot record hwType %s: %s", rfp_id, hw_type, exc)
        m.rfps.set_details(rfp_id, rfp_details(event.capabilities))
        m.rfps.set_state(rfp_id, {
            "connected": True, "ipAddr": conn.peer_ip, "swVersion": event.sw_version,
            "dectRunning": False, "syncState": SyncState.INACTIVE.value, "nSyncRels": 0,
        })
        m.log("GenInfo", SUBSYSTEM, f"RFP {rfp_id} ({normalise_mac(event.mac.hex())}, "
              f"{hw_type}) connected from {conn.peer_ip}, {event.sw_version}")
        self._send_led(conn, SyncState.INACTIVE)
        if conn.session is not None:
            conn.session.send(self._sys_passwd())
            conn.session.send(self._sys_syslog())
        self._send_snmp(conn)
        if self.on_link is not None:
            self.on_link(rfp_id, True)

    def _detach(self, conn: _RfpConnection, reason: str, *, timeout: bool = False) -> None:
        """The connection ended; if it was an RFP's current one, the RFP is disconnected."""
        rfp_id = conn.rfp_id
        if rfp_id is None or self._active.get(rfp_id) is not conn:
            return
        del self._active[rfp_id]
        conn.rfp_id = None
        self._air_mceis.pop(rfp_id, None)
        self.model.statistics.link_down(rfp_id, self.model.clock(), timeout=timeout)
        self.model.rfps.set_state(rfp_id, {
            "connected": False, "dectRunning": False,
            "syncState": SyncState.INACTIVE.value, "nSyncRels": 0,
        })
        self.model.rfps.set_sync_relations(rfp_id, [])
        self.model.log("MajorErr", SUBSYSTEM, f"RFP {rfp_id} disconnected: {reason}")
        if self.on_link is not None:
            self.on_link(rfp_id, False)

    def _log_sync(self, rfp_id: int, before: object, state: SyncState) -> None:
        """A synced RFP losing its sync, and regaining it, goes to the event log: the RFP
        events the seed's "SNMP Support" sends as traps or, with traps off, logs."""
        if before == SyncState.SYNCED.value and state in (SyncState.SEARCHING,
                                                          SyncState.NOT_SYNCED):
            self._sync_lost.add(rfp_id)
            self.model.log("MinorErr", SUBSYSTEM, f"RFP {rfp_id} lost DECT sync ({state.value})")
        elif state is SyncState.SYNCED and rfp_id in self._sync_lost:
            self._sync_lost.discard(rfp_id)
            self.model.log("GenInfo", SUBSYSTEM, f"RFP {rfp_id} DECT synchronised again")

    def _send_snmp(self, conn: _RfpConnection) -> None:
        """The RFP's SNMP agent configuration (omm.snmp): at every link up and change."""
        if conn.session is not None and conn.rfp_id is not None:
            conn.session.send(snmp.rfp_update(self.model.settings.get(snmp.SETTING),
                                              self.model.rfps.get(conn.rfp_id)))

    def _send_led(self, conn: _RfpConnection, state: SyncState) -> None:
        if conn.session is not None:
            conn.session.send(SysLed(STATUS_LED, LED_BY_SYNC[state]))

    def _sys_passwd(self) -> SysPasswd:
        """The RFPs' SSH settings (seed 000 "Securing Operating System User Interfaces"): the
        RemoteAccess switch, the root account for `su` and the full-access account 'omm' for
        the user shell, as md5-crypt hashes."""
        accounts = self.model.accounts
        root = accounts.get(PRESET_BY_NAME["root"].id)
        admin = accounts.get(PRESET_ID)
        return SysPasswd.create(
            root_user=str(root["username"]), root_hash=str(root.get(CRYPT_HASH_FIELD, "")),
            admin_user=str(admin["username"]), admin_hash=str(admin.get(CRYPT_HASH_FIELD, "")),
            remote_access=bool(self.model.settings.value("RemoteAccess", "enable", False)))

    def _sys_syslog(self) -> SysSyslog:
        """Where the RFPs send their syslog: the OMM's SyslogServer setting while enabled
        (seed 000 "Syslog": unconfigured by default), else the unspecified address (off)."""
        s = self.model.settings.get(SYSLOG_SETTING)
        if s.get("enable") and s.get("ipAddr"):
            try:
                return SysSyslog.to(str(s["ipAddr"]), int(s.get("port") or SYSLOG_PORT))
            except ValueError:  # not an IP address: an RFP resolves no names
                log.warning("syslog server %r is no IP address: the RFPs send no syslog",
                            s["ipAddr"])
        return SysSyslog.to("::", 0)

    def _send_to_all(self, message: TypedMessage) -> None:
        for conn in list(self._active.values()):
            if conn.session is not None and conn.session.send(message):
                conn.flush()

    def _send_passwd_to_all(self) -> None:
        self._send_to_all(self._sys_passwd())

    def _id_of_rpn(self, rfp_id: int, rpn: int) -> int | None:
        """The configured RFP of the same cluster with this RPN (RPNs repeat every 256)."""
        cluster = self.model.rfps.get(rfp_id)["cluster"]
        for rec in self.model.rfps.table:
            if rec["rpn"] == rpn and rec["cluster"] == cluster and rec["id"] != rfp_id:
                return int(rec["id"])
        return None

    def _on_change(self, change: Change) -> None:
        """dectOn set over AXI while the RFP is connected: (de)activate its air interface.
        The SARI changed: every RFP gets the new list. The SNMP settings, an RFP's name or
        location changed: SNMP_RFP_UPDATE."""
        if (change.kind == "setting" and change.key == "RemoteAccess") or (
                change.kind == "account" and change.key in _SSH_ACCOUNTS
                and (change.fields is None or CRYPT_HASH_FIELD in change.fields)):
            # As the real OMM: the RFPs hear a new remote-access switch or password at once.
            self._send_passwd_to_all()
            return
        if change.kind == "setting" and change.key == SYSLOG_SETTING:
            self._send_to_all(self._sys_syslog())
            return
        if change.kind == "setting" and change.key == "SARI":
            saris = self._saris()
            for active in list(self._active.values()):
                if active.session is not None:
                    active.session.set_saris(saris)
                    active.flush()
            return
        if change.kind == "setting" and change.key == snmp.SETTING:
            for active in list(self._active.values()):
                self._send_snmp(active)
                active.flush()
            return
        if change.kind != "rfp" or change.deleted or change.fields is None:
            return
        conn = self._active.get(change.key)
        if conn is None or conn.session is None:
            return
        if {"name", "location"} & set(change.fields):
            self._send_snmp(conn)  # its sysName, sysLocation
            conn.flush()
        if "dectOn" not in change.fields:
            return
        conn.session.set_dect(bool(self.model.rfps.get(change.key)["dectOn"]))
        conn.flush()

