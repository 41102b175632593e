"""The OMM side of one RFP's link, without I/O: login, RFPC start-up and sync bookkeeping.

omm-rfp.md §2.1 (login, via sipdect.link's OmmLinkConnection), §3.6/§5.3 (RFPC READY_IND ->
INIT_REQ/INIT_CFM -> ACTIVATE_REQ/ACTIVATE_CFM) and §3.7 (SYNC reports), turned into the AXI
view of features.md §2.3: dectRunning and syncState (Inactive, Searching, Synced, NotSynced).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from dect.identities import Ari
from sipdect.link import constants as c
from sipdect.link import events as ev
from sipdect.link.dnm import Dnm, Element, StatisticData, Sync, sari_list_req
from sipdect.link.errors import LinkError
from sipdect.link.handshake import OmmLinkConnection, OmmState, RfpCredentials, Tap
from sipdect.link.messages import AnyMessage, LinkMessage, parse_message

MEDIA_GROUP = 0x02
"""The high octet of MEDIA_* message types (omm-rfp.md §3.3)."""

Rfpc = c.RfpcPrimitive
SyncType = c.SyncType


class SyncState(Enum):
    """AXI RFPSyncStateType."""

    INACTIVE = "Inactive"
    NOT_SYNCED = "NotSynced"
    SEARCHING = "Searching"
    SYNCED = "Synced"


SYNC_REPORTS: dict[int, SyncState] = {
    SyncType.RESET_MAC_CFM: SyncState.SEARCHING,
    SyncType.START_MAC_MASTER_CFM: SyncState.SYNCED,
    SyncType.START_MAC_SLAVE_MODE_CFM: SyncState.SYNCED,
    SyncType.START_MAC_MASTER_REJ: SyncState.NOT_SYNCED,
    SyncType.START_MAC_SLAVE_MODE_REJ: SyncState.NOT_SYNCED,
    SyncType.SYSTEM_SEARCH_REJ: SyncState.NOT_SYNCED,
}
"""Which SYNC report from an active RFP puts it in which sync state (a reading of the §3.7
names: MAC reset = searching, master/slave start = running on the cluster's timing)."""


class RfpcPhase(Enum):
    """Where the RFPC start-up of the RFP stands; the value says what the OMM waits for."""

    WAIT_READY = "waiting for RFPC READY_IND"
    WAIT_INIT = "waiting for RFPC INIT_CFM"
    INITIALISED = "initialised, DECT off"
    WAIT_ACTIVATE = "waiting for RFPC ACTIVATE_CFM"
    ACTIVE = "DECT active"
    WAIT_DEACTIVATE = "waiting for RFPC DEACTIVATE_CFM"


@dataclass(frozen=True, slots=True)
class DectConfig:
    """What the OMM tells an RFP's radio at RFPC start-up."""

    dect_on: bool
    """Activate the air interface (the RFP's dectOn)."""
    rfpi: bytes | None = None
    """5-byte RFPI (PARK's ARI and the RPN; its E bit set with SARIs) for INIT_REQ; None: send
    none."""
    saris: tuple[Ari, ...] = ()
    """The SARIs the RFP broadcasts (SARI_LIST_REQ after INIT_CFM); none: no list is sent."""


# -- events beyond sipdect.link's ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DectStateChanged:
    """The RFP's air interface went on (ACTIVATE_CFM) or off."""

    running: bool
    """dectRunning."""


@dataclass(frozen=True, slots=True)
class SyncStateChanged:
    """A SYNC report moved the RFP to another sync state."""

    state: SyncState
    """The new state."""


@dataclass(frozen=True, slots=True)
class SyncNeighbour:
    """One entry of PHASE_OFS_WITH_RSSI_IND."""

    rpn: int
    """The neighbour's RPN."""
    offset_ns: int
    """Phase offset in ns."""
    rssi: int
    """RSSI octet (positive -dBm)."""
    qt_sync_check: int
    """Quality bits as reported."""


@dataclass(frozen=True, slots=True)
class SyncRelationsChanged:
    """The RFP reported the neighbours it hears (nSyncRels, AXI sync views)."""

    neighbours: tuple[SyncNeighbour, ...]
    """Strongest first, as reported."""


@dataclass(frozen=True, slots=True)
class DnmReceived:
    """An LC or MAC primitive for the DECT network layer (FixedPart)."""

    dnm: Dnm
    """The message."""


@dataclass(frozen=True, slots=True)
class MediaReceived:
    """A MEDIA_* message from the RFP's media gateway (statistics, DTMF) for the OMM's media
    control."""

    message: AnyMessage
    """The typed message."""


@dataclass(frozen=True, slots=True)
class BmcStatistics:
    """RFPC STATISTICS_DATA_CFM: the counters of the RFP's BMC since its start."""

    data: StatisticData


@dataclass(frozen=True, slots=True)
class PagingQueueOverflow:
    """RFPC PAGING_QUEUE_OVERFLOW_IND: the RFP dropped pages."""


@dataclass(frozen=True, slots=True)
class MessageIgnored:
    """A message the OMM does not act on, or one whose payload does not decode."""

    name: str
    """Message type name."""
    reason: str
    """Why (empty when it is simply not acted on)."""


SessionEvent = (
    ev.UnknownRfp
    | ev.RfpKeyAssigned
    | ev.RfpConnected
    | ev.LinkFailed
    | ev.LinkLost
    | DectStateChanged
    | BmcStatistics
    | PagingQueueOverflow
    | SyncStateChanged
    | SyncRelationsChanged
    | DnmReceived
    | MediaReceived
    | MessageIgnored
)


class RfpSession:
    """One RFP connection at the OMM: bytes in and out like OmmLinkConnection, plus RFPC and
    SYNC handling. Events: sipdect.link's login/ending events, then the ones above."""

    def __init__(
        self,
        now: float,
        *,
        lookup_rfp: Callable[[bytes], RfpCredentials | None],
        dect_config: Callable[[bytes], DectConfig],
        random: Callable[[int], bytes],
        heartbeat_interval: int = c.DEFAULT_HEARTBEAT_INTERVAL,
        heartbeat_misses: int = 3,
        handshake_timeout: float = 10.0,
        configuration: Sequence[AnyMessage] = (),
        tap: Tap | None = None,
    ) -> None:
        """`tap`: told every link message in clear (a capture: docs/capture.md)."""
        self.link = OmmLinkConnection(
            now, lookup_rfp=lookup_rfp, random=random, heartbeat_interval=heartbeat_interval,
            heartbeat_misses=heartbeat_misses, handshake_timeout=handshake_timeout,
            configuration=configuration, tap=tap,
        )
        self._dect_config = dect_config
        self._events: deque[SessionEvent] = deque()
        self.phase = RfpcPhase.WAIT_READY
        self.sync_state = SyncState.INACTIVE
        self.dect_wanted = False
        self.neighbours: tuple[SyncNeighbour, ...] = ()
        self.saris: tuple[Ari, ...] = ()
        """The SARI list the RFP has, or gets once its INIT_CFM comes."""

    # -- the owner's interface -------------------------------------------------------------
    @property
    def mac(self) -> bytes | None:
        return self.link.mac

    @property
    def connected(self) -> bool:
        return self.link.state is OmmState.CONNECTED

    @property
    def closed(self) -> bool:
        return self.link.closed

    @property
    def dect_running(self) -> bool:
        return self.phase in (RfpcPhase.ACTIVE, RfpcPhase.WAIT_DEACTIVATE)

    def receive_data(self, data: bytes, now: float) -> None:
        """Bytes from the RFP; b"" means it closed the connection."""
        self.link.receive_data(data, now)
        self._take_link_events()

    def handle_timer(self, now: float) -> None:
        self.link.handle_timer(now)
        self._take_link_events()

    def get_timer(self) -> float | None:
        return self.link.get_timer()

    def data_to_send(self) -> bytes:
        return self.link.data_to_send()

    def next_event(self) -> SessionEvent | None:
        return self._events.popleft() if self._events else None

    def close(self) -> None:
        self.link.close()

    def send(self, message: AnyMessage) -> bool:
        """Send to the RFP; False when the link is not (or no longer) up."""
        if not self.connected:
            return False
        self.link.send(message)
        return True

    def set_dect(self, on: bool) -> None:
        """dectOn changed: activate or deactivate the RFP's air interface."""
        self.dect_wanted = on
        if on and self.phase is RfpcPhase.INITIALISED:
            self._send_rfpc(Rfpc.ACTIVATE_REQ)
            self.phase = RfpcPhase.WAIT_ACTIVATE
        elif not on and self.phase is RfpcPhase.ACTIVE:
            self._send_rfpc(Rfpc.DEACTIVATE_REQ)
            self.phase = RfpcPhase.WAIT_DEACTIVATE

    def set_saris(self, saris: tuple[Ari, ...]) -> None:
        """The OMM's SARI changed: an initialised RFP gets the new list now (an empty one
        clears its broadcast), one still starting gets it after its INIT_CFM."""
        if saris == self.saris:
            return
        self.saris = saris
        if self.phase not in (RfpcPhase.WAIT_READY, RfpcPhase.WAIT_INIT):
            self.send(sari_list_req(saris))

    # -- link events -----------------------------------------------------------------------
    def _take_link_events(self) -> None:
        while (event := self.link.next_event()) is not None:
            if isinstance(event, ev.MessageReceived):
                self._on_message(event.message)
            elif isinstance(event, ev.HeartbeatReceived):
                continue
            elif isinstance(event, ev.RfpConnected):
                self.dect_wanted = self._dect_config(event.mac).dect_on
                self._events.append(event)
            elif isinstance(
                event, ev.UnknownRfp | ev.RfpKeyAssigned | ev.LinkFailed | ev.LinkLost
            ):
                self._events.append(event)

    def _on_message(self, message: LinkMessage) -> None:
        try:
            typed = parse_message(message)
        except LinkError as exc:
            self._events.append(MessageIgnored(message.name, str(exc)))
            return
        if isinstance(typed, Dnm):
            if typed.layer == c.DnmLayer.RFPC:
                self._on_rfpc(typed)
            elif typed.layer in (c.DnmLayer.LC, c.DnmLayer.MAC):
                self._events.append(DnmReceived(typed))
            else:
                self._events.append(MessageIgnored(f"DNM {typed.layer_name}", ""))
        elif isinstance(typed, Sync):
            self._on_sync(typed)
        elif message.type >> 8 == MEDIA_GROUP:
            self._events.append(MediaReceived(typed))
        else:
            self._events.append(MessageIgnored(message.name, ""))

    # -- RFPC ----------------------------------------------------------------------------------
    def request_statistics(self) -> bool:
        """Ask an initialised RFP for its BMC counters (STATISTICS_DATA_REQ); False when it
        is not that far."""
        if self.phase in (RfpcPhase.WAIT_READY, RfpcPhase.WAIT_INIT):
            return False
        self._send_rfpc(Rfpc.STATISTICS_DATA_REQ)
        return True

    def _on_rfpc(self, dnm: Dnm) -> None:
        if dnm.primitive == Rfpc.STATISTICS_DATA_CFM:
            element = next((e for e in dnm.elements() if e.key == c.RfpcKey.StatisticData),
                           None)
            try:
                if element is None:
                    raise LinkError("no StatisticData element")
                self._events.append(BmcStatistics(StatisticData.from_bytes(element.value)))
            except LinkError as exc:
                self._events.append(MessageIgnored("RFPC STATISTICS_DATA_CFM", str(exc)))
            return
        if dnm.primitive == Rfpc.PAGING_QUEUE_OVERFLOW_IND:
            self._events.append(PagingQueueOverflow())
            return
        handler = _RFPC_TABLE.get((self.phase, dnm.primitive))
        if handler is None:
            self._events.append(MessageIgnored(f"RFPC {dnm.primitive_name}",
                                               f"not expected while {self.phase.value}"))
            return
        handler(self, dnm)

    def _on_ready(self, dnm: Dnm) -> None:
        """READY_IND (also after an RFP-side restart of its DECT part): initialise it."""
        was_running = self.dect_running
        self.phase = RfpcPhase.WAIT_INIT
        if was_running:
            self._dect_stopped()
        assert self.mac is not None
        config = self._dect_config(self.mac)
        self.saris = config.saris
        elements = [] if config.rfpi is None else [Element(c.RfpcKey.RFPI, config.rfpi)]
        self._send_rfpc(Rfpc.INIT_REQ, elements)

    def _on_init_cfm(self, dnm: Dnm) -> None:
        self.phase = RfpcPhase.INITIALISED
        if self.saris:
            # [I] Before the air interface starts, so the RFP's first broadcast has them.
            self.send(sari_list_req(self.saris))
        if self.dect_wanted:
            self.set_dect(True)

    def _on_activate_cfm(self, dnm: Dnm) -> None:
        self.phase = RfpcPhase.ACTIVE
        self._events.append(DectStateChanged(True))
        self._set_sync(SyncState.SEARCHING)
        if not self.dect_wanted:
            self.set_dect(False)

    def _on_deactivate_cfm(self, dnm: Dnm) -> None:
        self.phase = RfpcPhase.INITIALISED
        self._dect_stopped()
        if self.dect_wanted:
            self.set_dect(True)

    def _dect_stopped(self) -> None:
        self._events.append(DectStateChanged(False))
        self._set_sync(SyncState.INACTIVE)
        if self.neighbours:
            self.neighbours = ()
            self._events.append(SyncRelationsChanged(()))

    def _send_rfpc(self, primitive: c.RfpcPrimitive, elements: list[Element] | None = None
                   ) -> None:
        self.send(Dnm.rfpc(primitive, elements or []))

    # -- SYNC ------------------------------------------------------------------------------
    def _on_sync(self, sync: Sync) -> None:
        if not self.dect_running:
            self._events.append(MessageIgnored(f"SYNC {sync.sync_type:#06x}", "DECT is off"))
            return
        state = SYNC_REPORTS.get(sync.sync_type)
        if state is not None:
            self._set_sync(state)
        elif sync.sync_type == SyncType.PHASE_OFS_WITH_RSSI_IND:
            fields = sync.json_extras()
            if "rfps" not in fields:
                self._events.append(MessageIgnored("SYNC PHASE_OFS_WITH_RSSI_IND",
                                                   "data does not fit its layout"))
                return
            self.neighbours = tuple(
                SyncNeighbour(e["rpn"], e["offset_ns"], e["rssi"], e["qt_sync_check"])
                for e in fields["rfps"]
            )
            self._events.append(SyncRelationsChanged(self.neighbours))

    def _set_sync(self, state: SyncState) -> None:
        if state is not self.sync_state:
            self.sync_state = state
            self._events.append(SyncStateChanged(state))


_Handler = Callable[[RfpSession, Dnm], None]

_RFPC_TABLE: dict[tuple[RfpcPhase, int], _Handler] = {
    **{(phase, Rfpc.READY_IND): RfpSession._on_ready for phase in RfpcPhase},
    (RfpcPhase.WAIT_INIT, Rfpc.INIT_CFM): RfpSession._on_init_cfm,
    (RfpcPhase.WAIT_ACTIVATE, Rfpc.ACTIVATE_CFM): RfpSession._on_activate_cfm,
    (RfpcPhase.WAIT_DEACTIVATE, Rfpc.DEACTIVATE_CFM): RfpSession._on_deactivate_cfm,
}
"""(phase, RFPC primitive from the RFP) -> reaction; anything else is ignored (and reported)."""
