"""The OMM's RfpSession against an RFP's link end and radio, in memory with virtual time.

omm-rfp.md §2.1 login, §5.3 RFPC start-up and SYNC reports, turned into dectRunning and
syncState (features.md §2.3): Inactive -> Searching -> Synced / NotSynced.
"""

from __future__ import annotations

import ipaddress
import random as stdlib_random

from dect.identities import Ari, Rfpi
from omm.rfplink.session import (
    DectConfig,
    DectStateChanged,
    DnmReceived,
    MediaReceived,
    RfpcPhase,
    RfpSession,
    SessionEvent,
    SyncRelationsChanged,
    SyncState,
    SyncStateChanged,
)
from rfp.radio import RfpRadio
from sim.air import Air
from sim.primitives import AirConnect
from sipdect.link import constants as c
from sipdect.link import events as ev
from sipdect.link.dnm import Dnm, Sync
from sipdect.link.handshake import RfpCredentials, RfpLinkConnection
from sipdect.link.media import MediaStatistics
from sipdect.link.messages import parse_message

MAC = bytes.fromhex("0030421b1737")
RFPI = Rfpi(Ari.class_b(0x10A, 0x2AF), 0)


class Pair:
    """An OMM session and an RFP (link end + radio) wired back to back."""

    def __init__(self, air: Air, rfp_id: int, dect_on: bool = True, search_time: float = 5.0,
                 saris: tuple[Ari, ...] = ()) -> None:
        rng = stdlib_random.Random(rfp_id)

        def random(n: int) -> bytes:
            return rng.randbytes(n)

        self.now = 0.0
        self.key: bytes | None = None
        self.dect_on = dect_on
        self.omm = RfpSession(0.0, lookup_rfp=lambda mac: RfpCredentials(self.key),
                              dect_config=lambda mac: DectConfig(
                                  self.dect_on, RFPI.to_bytes(), saris),
                              random=random, heartbeat_interval=1)
        self.rfp = RfpLinkConnection(0.0, mac=MAC, random=random)
        self.radio = RfpRadio(air, rfp_id, search_time=search_time)
        self.events: list[SessionEvent] = []

    def run(self, until: float | None = None) -> list[SessionEvent]:
        """Exchange everything; with `until`, also fire timers up to that time."""
        for _ in range(100):
            moved = False
            data = self.omm.data_to_send()
            if data:
                self.rfp.receive_data(data, self.now)
                moved = True
            while (event := self.rfp.next_event()) is not None:
                if isinstance(event, ev.LinkEstablished):
                    self.radio.link_up(self.now)
                elif isinstance(event, ev.MessageReceived):
                    typed = parse_message(event.message)
                    if isinstance(typed, Dnm | Sync):
                        self.radio.receive_link(typed, self.now)
            self.radio.handle_timer(self.now)
            for message in self.radio.messages_to_send():
                self.rfp.send(message)
            data = self.rfp.data_to_send()
            if data:
                self.omm.receive_data(data, self.now)
                moved = True
            while (omm_event := self.omm.next_event()) is not None:
                self.events.append(omm_event)
            if not moved:
                deadlines = [t for t in (self.radio.get_timer(), self.rfp.get_timer(),
                                         self.omm.get_timer()) if t is not None]
                if until is None or not deadlines or min(deadlines) > until:
                    break
                self.now = max(self.now, min(deadlines))
                self.rfp.handle_timer(self.now)
                self.omm.handle_timer(self.now)
        out, self.events = self.events, []
        return out


def states(events: list[SessionEvent]) -> list[str]:
    return [e.state.value for e in events if isinstance(e, SyncStateChanged)]


def test_login_rfpc_startup_and_sync_of_a_lone_rfp() -> None:
    air = Air()
    air.add_rfp(0, 0, 0)
    pair = Pair(air, 0)
    events = pair.run()
    kinds = [type(e).__name__ for e in events]
    assert kinds[:2] == ["RfpKeyAssigned", "RfpConnected"]
    assert DectStateChanged(True) in events
    assert states(events) == ["Searching", "Synced"]
    assert pair.omm.phase is RfpcPhase.ACTIVE and pair.omm.sync_state is SyncState.SYNCED
    assert air.rfps[0].rfpi == RFPI
    assert SyncRelationsChanged(()) in events


def test_the_omms_sari_list_is_broadcast_from_the_start_and_follows_changes() -> None:
    sari = Ari.parse("10187326")
    air = Air()
    air.add_rfp(0, 0, 0)
    seen: list[tuple[bool, tuple[Ari, ...]]] = []
    air.add_listener(lambda ids: seen.append(
        (air.rfps[0].up, air.rfps[0].saris)) if 0 in ids else None)
    pair = Pair(air, 0, saris=(sari,))
    pair.run()
    site = air.rfps[0]
    assert site.saris == (sari,) and site.rfpi == Rfpi(RFPI.ari, 0, e=True)
    # The list came before the air interface started.
    assert next(up for up, saris in seen if saris) is False
    pair.omm.set_saris(())
    pair.run()
    assert site.saris == () and site.rfpi == RFPI  # no SARIs: the E bit is clear
    pair.omm.set_saris((sari,))
    pair.run()
    assert site.saris == (sari,) and site.rfpi is not None and site.rfpi.e


def test_dect_off_keeps_the_rfp_inactive_until_switched_on() -> None:
    air = Air()
    air.add_rfp(0, 0, 0)
    pair = Pair(air, 0, dect_on=False)
    events = pair.run()
    assert pair.omm.phase is RfpcPhase.INITIALISED
    assert states(events) == [] and pair.omm.sync_state is SyncState.INACTIVE
    assert not air.rfps[0].up
    pair.omm.set_dect(True)
    assert states(pair.run()) == ["Searching", "Synced"]
    pair.omm.set_dect(False)
    events = pair.run()
    assert DectStateChanged(False) in events and states(events) == ["Inactive"]
    assert not air.rfps[0].up


def test_unreachable_rfp_searches_then_is_not_synced_and_recovers() -> None:
    air = Air()
    air.add_rfp(0, 0, 0)
    air.add_rfp(1, 500, 0)
    first, far = Pair(air, 0), Pair(air, 1)
    first.run()
    assert states(far.run()) == ["Searching"]
    assert states(far.run(until=10.0)) == ["NotSynced"]
    air.set_rfp(1, x=40.0)
    first.run()
    events = far.run()
    assert states(events) == ["Synced"]
    (relations,) = [e for e in events if isinstance(e, SyncRelationsChanged)]
    assert [(n.rpn, n.rssi, n.qt_sync_check) for n in relations.neighbours] == [(0, 64, 7)]


def test_lc_and_mac_primitives_go_to_the_fixed_part() -> None:
    air = Air()
    air.add_rfp(0, 0, 0)
    air.add_handset(1, 3, 0)
    pair = Pair(air, 0)
    pair.run()
    air.send_from_handset(1, 0, AirConnect(0x2B))
    air.deliver(0.0)
    (event,) = [e for e in pair.run() if isinstance(e, DnmReceived)]
    assert event.dnm.primitive == c.DnmPrimitive.MAC_CON_IND
    assert pair.omm.send(Dnm.mac(c.DnmPrimitive.MAC_DIS_REQ, event.dnm.mcei))
    assert [e.dnm.primitive for e in pair.run() if isinstance(e, DnmReceived)] == [
        c.DnmPrimitive.MAC_DIS_IND]


def test_media_messages_from_the_rfp_reach_the_media_control() -> None:
    air = Air()
    air.add_rfp(0, 0, 0)
    pair = Pair(air, 0)
    pair.run()
    stats = MediaStatistics(0x19F9, b"\0\0", 2, 114, 18240, 86, 13601, 0, 12734,
                            ipaddress.IPv4Address("172.20.23.2"))
    pair.rfp.send(stats)
    pair.omm.receive_data(pair.rfp.data_to_send(), pair.now)
    events = [e for e in iter(pair.omm.next_event, None)]
    assert events == [MediaReceived(stats)]


def test_link_loss_ends_with_link_lost() -> None:
    air = Air()
    air.add_rfp(0, 0, 0)
    pair = Pair(air, 0)
    pair.run()
    pair.omm.receive_data(b"", 1.0)
    assert [type(e) for e in pair.run()] == [ev.LinkLost]
    assert not pair.omm.send(Dnm.rfpc(c.RfpcPrimitive.INIT_REQ))
