"""An RFP's DECT radio: the fixed part on the simulated air, seen by the OMM through DNM and SYNC.

omm-rfp.md §3.5-§3.7 and §4.9 (DNM MAC/LC primitives and their layouts), §5.3 (the RFPC and
SYNC traffic of a real RFP once its link is up), features.md §2.4 (sync). Sans-I/O: fed link
messages, air primitives and `now`; returns link messages and transmits on its medium
(`sim.air.AirMedium`: the world's Air itself, or a RemoteAir over the air link when the RFP runs
in a process of its own).
AirData carries bare DLC frames (address octet first, dect.dlc); LC_DATA_IND/REQ wrap them in
the B/channel and length octets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from dect.errors import DectValueError
from dect.identities import Ari, Rfpi
from sim.air import (
    RELEASE_LINK_LOST,
    AirMedium,
    SyncRelation,
    cipher_frame,
    cipher_frames,
)
from sim.primitives import (
    AirCipherStart,
    AirConnect,
    AirConnected,
    AirData,
    AirPage,
    AirPrimitive,
    AirRelease,
    AirVoice,
)
from sipdect.link import constants as c
from sipdect.link.dnm import (
    Dnm,
    Element,
    HoInProgressInd,
    HoInProgressRes,
    MacConInd,
    MacDisInd,
    MacEncEksInd,
    MacEncKeyReq,
    MacPageReq,
    StatisticData,
    Sync,
    dlc_frame,
    lc_body,
    sari_list,
)
from sipdect.link.errors import LinkProtocolError
from sipdect.link.messages import TypedMessage

Prim = c.DnmPrimitive
Rfpc = c.RfpcPrimitive
Key = c.RfpcKey
SyncType = c.SyncType

# -- what this radio announces (§5.3; values of a real RFP where the captures show them) -------
NUMBER_OF_UPN = 1
NUMBER_OF_BEARER = 12
FU6_WINDOW_SIZE = 1
DEFAULT_REVISION = bytes.fromhex("03" "0100" "0920" "0001")
"""RFPC Revision: generation 3, boot SW, program SW, hardware (invented version numbers)."""
HO_TIMER_LIMIT_S = 0.150
"""A handover whose key (HO_IN_PROGRESS_RES) comes later than this after the PP's handover
connect counts as "Ho timer > 150ms" (features.md §2.9)."""
BUCKET_WIDTH = {"connections": 3, "dsp": 2}
"""StatisticData buckets: MAC connections 1-3/4-6/7-9/10-12, DSP channels 1-2/3-4/5-6/7-8."""


def bucket(count: int, width: int) -> int:
    """Which of the four buckets `count` (>= 1) concurrent things fall in; beyond: the last."""
    return min(max(count - 1, 0) // width, 3)
DTR_TOGGLE = 0x10
"""LC_DTR_IND: the high nibble of its one byte alternates 0/1 per downlink frame."""
QT_SYNC_GOOD = 0x07
"""PHASE_OFS_WITH_RSSI_IND qt-sync-check of a usable synced neighbour (value seen in V73;
its bit meaning is unknown, so the emulator sends 0x07 or 0)."""
DEFAULT_SEARCH_TIME = 10.0
"""Seconds an RFP that lost sync reports Searching before it gives up (NotSynced);
the real figure is not documented."""
MCEI_COUNT = 256


def rssi_octet(dbm: float) -> int:
    """SYNC RSSI octet: the level as positive -dBm (V63's 65 and V73's 67 read as -65/-67 dBm;
    an inference: no capture pairs the octet with a measured level)."""
    return max(0, min(255, round(-dbm)))


def phase_offsets_payload(relations: Iterable[SyncRelation]) -> bytes:
    """PHASE_OFS_WITH_RSSI_IND data: count, then (rpn u16 BE, offset s16 BE in 48 ns units,
    rssi u8, qt-sync-check u8) per neighbour (§3.7). Synced neighbours run on the same
    simulated timing, so their offset is 0."""
    entries = list(relations)[:255]
    out = bytearray([len(entries)])
    for relation in entries:
        out += relation.rpn.to_bytes(2, "big") + (0).to_bytes(2, "big", signed=True)
        out += bytes([rssi_octet(relation.rssi_dbm),
                      QT_SYNC_GOOD if relation.usable and relation.synced else 0])
    return bytes(out)


def system_search_payload(relations: Iterable[SyncRelation]) -> bytes:
    """SYSTEM_SEARCH_CFM data: count, then (rfpn u16 LE, rssi u16 LE) per RFP heard (§3.7)."""
    entries = list(relations)[:255]
    out = bytearray([len(entries)])
    for relation in entries:
        out += relation.rpn.to_bytes(2, "little") + rssi_octet(relation.rssi_dbm).to_bytes(
            2, "little"
        )
    return bytes(out)


class RadioState(Enum):
    """What the radio waits for; the value says it."""

    OFF = "link to the OMM down"
    READY = "READY_IND sent, waiting for RFPC INIT_REQ"
    INITIALISED = "initialised, waiting for RFPC ACTIVATE_REQ"
    ACTIVE = "DECT active"


class _SyncReport(Enum):
    """What the radio last told the OMM about its sync."""

    NONE = "nothing"
    SEARCHING = "RESET_MAC_CFM (searching)"
    MASTER = "START_MAC_MASTER_CFM"
    SLAVE = "START_MAC_SLAVE_MODE_CFM"
    NOT_SYNCED = "START_MAC_SLAVE_MODE_REJ"


@dataclass
class MacConnection:
    """One PP's MAC connection on this RFP, named by its MCEI toward the OMM."""

    mcei: int
    pmid: int
    key: bytes | None = None
    """DSC cipher key once MAC_ENC_KEY_REQ or HO_IN_PROGRESS_RES gave one."""
    handover_pending: bool = False
    """Arrived by handover: hold ciphered traffic until HO_IN_PROGRESS_RES brings the key."""
    held_uplink: list[AirData] = field(default_factory=list)
    held_downlink: list[bytes] = field(default_factory=list)
    dtr: int = 0
    last_frame: int = -1
    """Frame index of its last downlink AirData (each frame gets its own IV)."""
    last_voice_frame: int = -1
    """Frame index of its last downlink AirVoice (one B-field per frame)."""
    handover_started: float | None = None
    """When the PP's handover connect arrived (the HO timer runs until the key comes)."""


@dataclass
class RadioCounters:
    """What STATISTICS_DATA_CFM reports."""

    good_frames: int = 0
    bad_frames: int = 0
    """Ciphered frames that arrived while no key was set."""
    lost_connections: int = 0
    connections: int = 0
    voice_frames_in: int = 0
    """AirVoice frames from PPs handed to the media gateway."""
    voice_frames_bad: int = 0
    """AirVoice frames dropped: ciphered with no key yet, or on a connection mid-handover."""
    voice_frames_out: int = 0
    """AirVoice frames sent to PPs."""
    connection_buckets: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    """MAC connections set up, by how many this RFP then carried (BUCKET_WIDTH)."""
    mac_resets: int = 0
    """Times the MAC lost its sync and reset (RESET_MAC_CFM after master/slave)."""
    reject_dummy: int = 0
    """Always 0: the simulated air has no dummy bearers to reject."""
    ho_over_150ms: int = 0
    """Handovers whose HO timer ran over HO_TIMER_LIMIT_S."""

VoiceSink = Callable[[int, bytes, float], None]
"""Receives (mcei, deciphered 10 ms voice frame, now): the RFP's media gateway."""


_SYNC_STATE_SHOWN = {
    _SyncReport.NONE: "Searching", _SyncReport.SEARCHING: "Searching",
    _SyncReport.MASTER: "Synced", _SyncReport.SLAVE: "Synced",
    _SyncReport.NOT_SYNCED: "NotSynced",
}
"""What the OMM makes of the radio's last SYNC report (omm.rfplink.session SyncState)."""


@dataclass
class _Downlink:
    """An air primitive waiting for flush(); AirData payloads are ciphered there in one batch."""

    primitive: AirPrimitive
    key: bytes | None = None


class RfpRadio:
    """The DECT fixed part of one RFP.

    The owner feeds it link messages (`receive_link`), calls `link_up` / `link_down` as the
    OMM link comes and goes, `power` with the box's power, and `handle_timer` at
    `get_timer()`; it sends `messages_to_send()` to the OMM. Air primitives arrive through
    its medium (attached in the constructor). `on_output` is called whenever something new is
    to be sent or a timer moved, so an asyncio owner can pump.
    """

    def __init__(
        self,
        air: AirMedium,
        rfp_id: int,
        *,
        revision: bytes = DEFAULT_REVISION,
        search_time: float = DEFAULT_SEARCH_TIME,
        on_output: Callable[[], None] | None = None,
    ) -> None:
        """The air must already hold a RadioSite for rfp_id (`Air.add_rfp`; a RemoteAir is
        made for its one RFP)."""
        if rfp_id not in air.rfps:
            raise ValueError(f"place RFP {rfp_id} on the air (Air.add_rfp) before its radio")
        self.air = air
        self.rfp_id = rfp_id
        self.revision = revision
        self.search_time = search_time
        self.on_output = on_output
        self.voice_sink: VoiceSink | None = None
        """Where deciphered uplink voice goes (rfp.media.RfpMedia.receive_voice)."""
        self.dsp_buckets: Callable[[], list[int]] | None = None
        """The media gateway's DSP channel buckets for StatisticData (RfpMedia.dsp_buckets)."""
        self.voice_in_use: Callable[[], int] | None = None
        """The media gateway's DSP channels open now (None: no media gateway, no limit)."""
        self.voice_capacity = c.VOICE_CHANNELS
        """This model's DSP channels (c.voice_channels of its hardware type)."""
        self.state = RadioState.OFF
        self.connections: dict[int, MacConnection] = {}
        self.counters = RadioCounters()
        self._by_pmid: dict[int, int] = {}
        self._next_mcei = 1
        self._out: list[TypedMessage] = []
        self._air_out: list[_Downlink] = []
        self._reported = _SyncReport.NONE
        self._reported_relations: tuple[SyncRelation, ...] | None = None
        self._search_deadline: float | None = None
        self._sync_dirty = False
        air.set_rfp(rfp_id, dect_on=False, connected=False)
        air.attach_rfp(rfp_id, self.receive_air)
        air.add_listener(self._on_air_changed)

    def close(self) -> None:
        """Take the radio off the air for good."""
        self.air.detach_rfp(self.rfp_id)
        self.air.remove_listener(self._on_air_changed)

    # -- the owner's interface -------------------------------------------------------------
    @property
    def dect_running(self) -> bool:
        return self.state is RadioState.ACTIVE

    @property
    def sync_state(self) -> str:
        """Its sync as the OMM reads it from its SYNC reports (AXI RFPSyncStateType)."""
        if self.state is not RadioState.ACTIVE:
            return "Inactive"
        return _SYNC_STATE_SHOWN[self._reported]

    def messages_to_send(self) -> list[TypedMessage]:
        """DNM and SYNC messages for the OMM, in order."""
        out, self._out = self._out, []
        return out

    def get_timer(self) -> float | None:
        if self._sync_dirty:
            return float("-inf")
        return self._search_deadline

    def handle_timer(self, now: float) -> None:
        if self.state is RadioState.ACTIVE and (
            self._sync_dirty
            or (self._search_deadline is not None and now >= self._search_deadline)
        ):
            self._report_sync(now)
        self._sync_dirty = False

    def power(self, on: bool, now: float) -> None:
        """The box gets or loses power; losing it drops the link side too."""
        if not on:
            self.link_down(now)
        self.air.set_rfp(self.rfp_id, powered=on)

    def link_up(self, now: float) -> None:
        """The OMM link is established: announce the radio (RFPC READY_IND)."""
        self._reset()
        self.state = RadioState.READY
        self.air.set_rfp(self.rfp_id, connected=True)
        self._send(Dnm.rfpc(Rfpc.READY_IND, [
            Element(Key.NumberOfUpn, bytes([NUMBER_OF_UPN])),
            Element(Key.Revision, self.revision),
            Element(Key.NumberOfBearer, bytes([NUMBER_OF_BEARER])),
        ]))

    def link_down(self, now: float) -> None:
        """The OMM link is gone: a real RFP drops its calls and stops DECT."""
        for conn in list(self.connections.values()):
            self.air.send_from_rfp(self.rfp_id, AirRelease(conn.pmid, RELEASE_LINK_LOST))
            self.counters.lost_connections += 1
        self._reset()
        self.state = RadioState.OFF
        self._out.clear()
        self.air.set_rfp(self.rfp_id, dect_on=False, connected=False)

    def receive_link(self, message: TypedMessage, now: float) -> None:
        """One message from the OMM (typed view: Dnm or Sync; others are not the radio's)."""
        self.receive_links([message], now)

    def receive_links(self, messages: Iterable[TypedMessage], now: float) -> None:
        """Several messages; downlink frames of all of them are ciphered in one batch."""
        for message in messages:
            if isinstance(message, Dnm):
                self._on_dnm(message, now)
        self.flush(now)

    def receive_air(self, primitive: AirPrimitive, now: float) -> None:
        """A primitive from a handset (the medium calls this)."""
        if self.state is not RadioState.ACTIVE:
            return
        if isinstance(primitive, AirVoice):
            # The voice plane goes to the media gateway, never to the OMM: no wake-up.
            conn = self._conn_of_pmid(primitive.pmid)
            if conn is not None:
                self._on_voice(conn, primitive, now)
            return
        if isinstance(primitive, AirConnect):
            self._on_connect(primitive, now)
        elif isinstance(primitive, AirData):
            conn = self._conn_of_pmid(primitive.pmid)
            if conn is not None:
                self._on_uplink(conn, primitive)
        elif isinstance(primitive, AirRelease):
            conn = self._conn_of_pmid(primitive.pmid)
            if conn is not None:
                if primitive.reason == RELEASE_LINK_LOST:
                    self.counters.lost_connections += 1
                self._drop(conn, primitive.reason)
        self._wake()

    def send_voice(self, mcei: int, payload: bytes, now: float) -> bool:
        """Send one 10 ms downlink voice frame on connection `mcei` (ciphered with the
        other voice frames of its process in one batch: cipher_voice_soon); False when
        there is no such connection."""
        conn = self.connections.get(mcei)
        if conn is None or conn.handover_pending or self.state is not RadioState.ACTIVE:
            return False
        index = max(self.air.frame_index(now), conn.last_voice_frame + 1)
        conn.last_voice_frame = index
        mfn, fn = self.air.frame_numbers(index)
        self.counters.voice_frames_out += 1
        if conn.key is None:
            self.air.send_from_rfp(self.rfp_id, AirVoice(conn.pmid, payload, mfn, fn))
            return True
        pmid = conn.pmid

        def send(ciphered: bytes, _now: float) -> None:
            self.air.send_from_rfp(self.rfp_id, AirVoice(pmid, ciphered, mfn, fn, True))

        self.air.cipher_voice_soon(conn.key, mfn, fn, payload, downlink=True, done=send)
        return True

    def flush(self, now: float) -> None:
        """Transmit queued air primitives, ciphering AirData in one DSC batch."""
        if not self._air_out:
            return
        pending, self._air_out = self._air_out, []
        ciphered = [(i, d) for i, d in enumerate(pending) if d.key is not None]
        if ciphered:
            items = []
            for _, downlink in ciphered:
                data = downlink.primitive
                assert isinstance(data, AirData) and downlink.key is not None
                items.append((downlink.key, data.mfn, data.fn, data.payload, True))
            for (index, downlink), payload in zip(ciphered, cipher_frames(items), strict=True):
                data = downlink.primitive
                assert isinstance(data, AirData)
                pending[index] = _Downlink(
                    AirData(data.pmid, payload, data.mfn, data.fn, ciphered=True)
                )
        for downlink in pending:
            self.air.send_from_rfp(self.rfp_id, downlink.primitive)

    # -- RFPC ----------------------------------------------------------------------------------
    def _on_dnm(self, dnm: Dnm, now: float) -> None:
        if dnm.layer == c.DnmLayer.RFPC:
            handler = _RFPC_HANDLERS.get(self.state, {}).get(dnm.primitive)
            if handler is not None:
                handler(self, dnm, now)
        elif self.state is RadioState.ACTIVE and dnm.layer in (c.DnmLayer.LC, c.DnmLayer.MAC):
            mac_handler = _MAC_HANDLERS.get(dnm.primitive)
            if mac_handler is not None:
                try:
                    mac_handler(self, dnm, now)
                except (LinkProtocolError, DectValueError):
                    pass  # a malformed primitive from the OMM: a real RFP drops it too

    def _on_init_req(self, dnm: Dnm, now: float) -> None:
        rfpi = self.air.rfps[self.rfp_id].rfpi
        for element in dnm.elements():
            if element.key == Key.RFPI and len(element.value) == 5:
                try:
                    rfpi = Rfpi.from_bytes(element.value)
                except DectValueError:
                    pass  # keep the RFPI the air was given
        self._broadcast(rfpi, ())  # a new start: the SARI list, if any, follows
        self._send(Dnm.rfpc(Rfpc.INIT_CFM, [
            Element(Key.RfpFu6WindowSize, bytes([FU6_WINDOW_SIZE])),
        ]))
        self.state = RadioState.INITIALISED

    def _on_sari_list_req(self, dnm: Dnm, now: float) -> None:
        try:
            saris = sari_list(dnm)
        except LinkProtocolError:
            return  # a list that does not decode: the RFP keeps broadcasting the one it has
        self._broadcast(self.air.rfps[self.rfp_id].rfpi, saris)

    def _broadcast(self, rfpi: Rfpi | None, saris: tuple[Ari, ...]) -> None:
        """Broadcast this identity and SARI list; the RFPI's E bit says whether SARIs follow
        (EN 300 175-6 §5.0), whatever the OMM's INIT_REQ set it to."""
        if rfpi is not None:
            rfpi = replace(rfpi, e=bool(saris))
        self.air.set_rfp(self.rfp_id, rfpi=rfpi, saris=saris)

    def _on_activate_req(self, dnm: Dnm, now: float) -> None:
        self._send(Dnm.rfpc(Rfpc.ACTIVATE_CFM))
        self.state = RadioState.ACTIVE
        self.air.set_rfp(self.rfp_id, dect_on=True)
        self._send(Sync(SyncType.SYSTEM_SEARCH_CFM,
                        system_search_payload(self.air.sync_relations(self.rfp_id))))
        self._send(Sync(SyncType.RESET_MAC_CFM))
        self._reported = _SyncReport.SEARCHING
        self._search_deadline = now + self.search_time
        self._report_sync(now)

    def _on_deactivate_req(self, dnm: Dnm, now: float) -> None:
        for conn in list(self.connections.values()):
            self.air.send_from_rfp(self.rfp_id, AirRelease(conn.pmid, RELEASE_LINK_LOST))
            self._drop(conn, c.MacDisReason.ABNORMAL)
        self.air.set_rfp(self.rfp_id, dect_on=False)
        self._reported = _SyncReport.NONE
        self._reported_relations = None
        self._search_deadline = None
        self._send(Dnm.rfpc(Rfpc.DEACTIVATE_CFM))
        self.state = RadioState.INITIALISED

    def statistic_data(self) -> StatisticData:
        """The counters STATISTICS_DATA_CFM reports (since this radio was made)."""
        k = self.counters
        conns = k.connection_buckets
        dsp = self.dsp_buckets() if self.dsp_buckets is not None else [0, 0, 0, 0]
        return StatisticData(
            connections_01_03=conns[0], connections_04_06=conns[1],
            connections_07_09=conns[2], connections_10_12=conns[3],
            dsp_01_02=dsp[0], dsp_03_04=dsp[1], dsp_05_06=dsp[2], dsp_07_08=dsp[3],
            lost_connections=k.lost_connections, mac_resets=k.mac_resets,
            reject_dummy=k.reject_dummy, bad_frames=k.bad_frames, good_frames=k.good_frames,
            ho_timer_over_150ms=k.ho_over_150ms)

    def _on_statistics_req(self, dnm: Dnm, now: float) -> None:
        self._send(Dnm.rfpc(Rfpc.STATISTICS_DATA_CFM, [
            Element(Key.StatisticData, self.statistic_data().to_bytes())]))

    # -- SYNC reports --------------------------------------------------------------------------
    def _on_air_changed(self, changed: frozenset[int]) -> None:
        if self.rfp_id in changed and self.state is RadioState.ACTIVE:
            self._sync_dirty = True
            self._wake()

    def _report_sync(self, now: float) -> None:
        """Tell the OMM what changed: master / slave / searching / not synced, relations."""
        status = self.air.sync_status(self.rfp_id)
        if status.synced:
            wanted = _SyncReport.MASTER if status.reference else _SyncReport.SLAVE
            if self._reported is not wanted:
                self._send(Sync(SyncType.START_MAC_MASTER_CFM if status.reference
                                else SyncType.START_MAC_SLAVE_MODE_CFM))
                self._reported = wanted
            self._search_deadline = None
        elif self._reported in (_SyncReport.MASTER, _SyncReport.SLAVE, _SyncReport.NONE):
            if self._reported is not _SyncReport.NONE:
                self.counters.mac_resets += 1
            self._send(Sync(SyncType.RESET_MAC_CFM))
            self._reported = _SyncReport.SEARCHING
            self._search_deadline = now + self.search_time
        elif self._reported is _SyncReport.SEARCHING and (
            self._search_deadline is not None and now >= self._search_deadline
        ):
            self._send(Sync(SyncType.START_MAC_SLAVE_MODE_REJ))
            self._reported = _SyncReport.NOT_SYNCED
            self._search_deadline = None
        relations = self.air.sync_relations(self.rfp_id)
        if relations != self._reported_relations:
            self._send(Sync(SyncType.PHASE_OFS_WITH_RSSI_IND, phase_offsets_payload(relations)))
            self._reported_relations = relations

    # -- MAC connections -----------------------------------------------------------------------
    def _on_connect(self, prim: AirConnect, now: float) -> None:
        old = self._conn_of_pmid(prim.pmid)
        if old is not None:  # the PP set up again: the old connection is gone
            self._drop(old, c.MacDisReason.ABNORMAL)
        mcei = None if prim.handover and self._voice_full() else self._allocate_mcei()
        if mcei is None:
            self.air.send_from_rfp(self.rfp_id, AirRelease(prim.pmid, RELEASE_LINK_LOST))
            if prim.handover:  # the call it carried is lost with the failed handover
                self.counters.lost_connections += 1
            return
        conn = MacConnection(mcei, prim.pmid, handover_pending=prim.handover,
                             handover_started=now if prim.handover else None)
        self.connections[mcei] = conn
        self._by_pmid[prim.pmid] = mcei
        self.counters.connections += 1
        self.counters.connection_buckets[
            bucket(len(self.connections), BUCKET_WIDTH["connections"])] += 1
        flags = c.MAC_CON_IND_HANDOVER if prim.handover else 0
        self.air.send_from_rfp(self.rfp_id, AirConnected(prim.pmid))
        self._send(Dnm.mac(Prim.MAC_CON_IND, mcei, MacConInd(prim.pmid, flags)))
        if prim.handover:
            self._send(Dnm.mac(Prim.HO_IN_PROGRESS_IND, mcei, HoInProgressInd(prim.pmid)))

    def _on_uplink(self, conn: MacConnection, data: AirData) -> None:
        if data.ciphered and conn.key is None:
            if conn.handover_pending:
                conn.held_uplink.append(data)
            else:
                self.counters.bad_frames += 1
            return
        payload = data.payload
        if data.ciphered:
            assert conn.key is not None
            payload = cipher_frame(conn.key, data.mfn, data.fn, payload, downlink=False)
        self.counters.good_frames += 1
        self._send(Dnm(c.DnmLayer.LC, Prim.LC_DATA_IND, conn.mcei, lc_body(payload)))

    def _on_voice(self, conn: MacConnection, voice: AirVoice, now: float) -> None:
        if conn.handover_pending or (voice.ciphered and conn.key is None):
            self.counters.voice_frames_bad += 1
            return

        def hand_on(payload: bytes, when: float) -> None:
            if self.connections.get(conn.mcei) is not conn:
                return  # released while the frame waited for its keystream
            self.counters.voice_frames_in += 1
            if self.voice_sink is not None:
                self.voice_sink(conn.mcei, payload, when)

        if voice.ciphered and conn.key is not None:
            self.air.cipher_voice_soon(conn.key, voice.mfn, voice.fn, voice.payload,
                                       downlink=False, done=hand_on)
        else:
            hand_on(voice.payload, now)

    def _on_lc_data_req(self, dnm: Dnm, now: float) -> None:
        conn = self._conn(dnm)
        if conn is None:
            return
        frame = dlc_frame(dnm.body)
        if frame is None:
            return  # the OMM sent no whole frame: nothing goes on the air
        if conn.handover_pending:
            conn.held_downlink.append(frame)
        else:
            self._downlink(conn, frame, now)
        self._send(Dnm(c.DnmLayer.LC, Prim.LC_DTR_IND, conn.mcei, bytes([conn.dtr])))
        conn.dtr ^= DTR_TOGGLE

    def _downlink(self, conn: MacConnection, payload: bytes, now: float) -> None:
        index = max(self.air.frame_index(now), conn.last_frame + 1)
        conn.last_frame = index
        mfn, fn = self.air.frame_numbers(index)
        self._air_out.append(_Downlink(AirData(conn.pmid, payload, mfn, fn), conn.key))

    def _on_enc_key_req(self, dnm: Dnm, now: float) -> None:
        conn = self._conn(dnm)
        if conn is None:
            return
        request = MacEncKeyReq.from_bytes(dnm.body)
        conn.key = request.key
        self._air_out.append(_Downlink(AirCipherStart(conn.pmid)))
        self._send(Dnm.mac(Prim.MAC_ENC_EKS_IND, conn.mcei, MacEncEksInd(1)))

    def _on_ho_res(self, dnm: Dnm, now: float) -> None:
        conn = self._conn(dnm)
        if conn is None or not conn.handover_pending:
            return
        response = HoInProgressRes.from_bytes(dnm.body)
        if response.key_id != c.HO_KEY_ID_NONE:
            conn.key = response.key
        conn.handover_pending = False
        if conn.handover_started is not None and now - conn.handover_started > HO_TIMER_LIMIT_S:
            self.counters.ho_over_150ms += 1
        conn.handover_started = None
        held_up, conn.held_uplink = conn.held_uplink, []
        for data in held_up:
            self._on_uplink(conn, data)
        held_down, conn.held_downlink = conn.held_downlink, []
        for payload in held_down:
            self._downlink(conn, payload, now)

    def _on_dis_req(self, dnm: Dnm, now: float) -> None:
        conn = self._conn(dnm)
        if conn is None:
            return
        self._air_out.append(_Downlink(AirRelease(conn.pmid, c.MacDisReason.NORMAL)))
        self._drop(conn, c.MacDisReason.NORMAL)

    def _on_page_req(self, dnm: Dnm, now: float) -> None:
        page = MacPageReq.from_bytes(dnm.body)
        self._air_out.append(_Downlink(AirPage(page.pp_id)))

    def _drop(self, conn: MacConnection, reason: int) -> None:
        """Forget a connection and tell the OMM (MAC_DIS_IND, also after its own DIS_REQ:
        the MCEI is free again)."""
        self.connections.pop(conn.mcei, None)
        if self._by_pmid.get(conn.pmid) == conn.mcei:
            del self._by_pmid[conn.pmid]
        self._send(Dnm.mac(Prim.MAC_DIS_IND, conn.mcei, MacDisInd(reason)))

    def _conn(self, dnm: Dnm) -> MacConnection | None:
        return None if dnm.mcei is None else self.connections.get(dnm.mcei)

    def _conn_of_pmid(self, pmid: int) -> MacConnection | None:
        mcei = self._by_pmid.get(pmid)
        return None if mcei is None else self.connections.get(mcei)

    def _voice_full(self) -> bool:
        """No DSP channel is free for a call handed over to this RFP: it refuses the bearer
        (the handover fails; the simulated handset then loses its call)."""
        return self.voice_in_use is not None and self.voice_in_use() >= self.voice_capacity

    def _allocate_mcei(self) -> int | None:
        for _ in range(MCEI_COUNT):
            mcei = self._next_mcei
            self._next_mcei = (self._next_mcei + 1) % MCEI_COUNT
            if mcei not in self.connections:
                return mcei
        return None

    # -- helpers -------------------------------------------------------------------------------
    def _reset(self) -> None:
        self.connections.clear()
        self._by_pmid.clear()
        self._air_out.clear()
        self._reported = _SyncReport.NONE
        self._reported_relations = None
        self._search_deadline = None
        self._sync_dirty = False

    def _send(self, message: TypedMessage) -> None:
        self._out.append(message)
        self._wake()

    def _wake(self) -> None:
        if self.on_output is not None:
            self.on_output()


_Handler = Callable[[RfpRadio, Dnm, float], Any]

_RFPC_HANDLERS: dict[RadioState, dict[int, _Handler]] = {
    RadioState.READY: {Rfpc.INIT_REQ: RfpRadio._on_init_req},
    RadioState.INITIALISED: {
        Rfpc.INIT_REQ: RfpRadio._on_init_req,
        Rfpc.SARI_LIST_REQ: RfpRadio._on_sari_list_req,
        Rfpc.ACTIVATE_REQ: RfpRadio._on_activate_req,
        Rfpc.STATISTICS_DATA_REQ: RfpRadio._on_statistics_req,
    },
    RadioState.ACTIVE: {
        Rfpc.SARI_LIST_REQ: RfpRadio._on_sari_list_req,
        Rfpc.DEACTIVATE_REQ: RfpRadio._on_deactivate_req,
        Rfpc.STATISTICS_DATA_REQ: RfpRadio._on_statistics_req,
    },
}
"""RFPC primitives each state answers; anything else is ignored, as SoftRfp ignores it."""

_MAC_HANDLERS: dict[int, _Handler] = {
    Prim.LC_DATA_REQ: RfpRadio._on_lc_data_req,
    Prim.MAC_ENC_KEY_REQ: RfpRadio._on_enc_key_req,
    Prim.HO_IN_PROGRESS_RES: RfpRadio._on_ho_res,
    Prim.MAC_DIS_REQ: RfpRadio._on_dis_req,
    Prim.MAC_PAGE_REQ: RfpRadio._on_page_req,
}
"""LC/MAC primitives from the OMM while DECT is active."""
