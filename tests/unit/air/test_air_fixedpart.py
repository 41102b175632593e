"""A virtual handset on the air, real RFP radios and links, the OMM's sessions and FixedPart.

Everything of omm-rfp.md §4.9/§5.3 between a PP and the OMM's NWK layer except sockets, in
virtual time: DNM <-> fixed part primitives (omm.rfplink.fixedpart), subscription, ciphered
traffic, a handover when the handset walks to another RFP, and the link of an RFP ending.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dect.identities import Rfpi
from omm.dect import events as fev
from omm.dect import primitives as fp
from omm.dect.fixed_part import FixedPart
from omm.model import OmmModel, OmmSetup
from omm.rfplink.fixedpart import FixedPartLink, indication, requests
from omm.rfplink.session import DectConfig, DnmReceived, RfpSession
from rfp.radio import RfpRadio
from sim.air import Air
from sim.handset import CallState, Handset, State
from sipdect.link import constants as c
from sipdect.link import events as ev
from sipdect.link.dnm import Dnm, MacConInd, Sync
from sipdect.link.handshake import RfpCredentials, RfpLinkConnection
from sipdect.link.messages import parse_message

Prim = c.DnmPrimitive
IPEI = "03074 0220259 3"


# -- translations --------------------------------------------------------------------------
def test_indications_from_dnm() -> None:
    con = Dnm.mac(Prim.MAC_CON_IND, 5, MacConInd(0x0027B, c.MAC_CON_IND_HANDOVER))
    assert indication(3, con) == fp.MacConnectInd(3, 5, 0x0027B, True)
    body = bytes([0, 4]) + bytes.fromhex("11010d00")
    assert indication(3, Dnm(c.DnmLayer.LC, Prim.LC_DATA_IND, 5, body)) == fp.LcDataInd(
        3, 5, bytes.fromhex("11010d00"))
    assert indication(3, Dnm(c.DnmLayer.LC, Prim.LC_DATA_IND, 5, body[:-1])) is None
    assert indication(3, Dnm(c.DnmLayer.LC, Prim.LC_DTR_IND, 5, b"\x10")) is None
    assert indication(3, Dnm.mac(Prim.MAC_DIS_IND, 5, b"")) == fp.MacDisconnectInd(3, 5, 0)
    assert indication(3, Dnm.mac(Prim.MAC_ENC_EKS_IND, 5, bytes.fromhex("0201027b"))) == \
        fp.MacEncEksInd(3, 5, 1)
    assert indication(3, Dnm.mac(Prim.HO_IN_PROGRESS_IND, 5, bytes.fromhex("00027b0001"))) == \
        fp.HoInProgressInd(3, 5, 0x0027B)
    assert indication(3, Dnm.mac(Prim.MAC_CON_IND, 5, b"\x00")) is None  # does not decode


def test_requests_to_dnm() -> None:
    key = bytes.fromhex("6623c872e3ef8257")
    assert [(r, d.encode().hex()) for r, d in requests(fp.MacEncKeyReq(2, 0x03, key, 1), [])] \
        == [(2, "0301000c7a09036623c872e3ef825701")]  # omm-rfp.md §4.9's vector
    assert [(r, d.encode().hex()) for r, d in requests(fp.MacPageReq(0x027B), [1, 4])] == [
        (1, "030100067a0803080" "27b"), (4, "030100067a0803080" "27b")]
    assert requests(fp.MacPageReq(0x027B, 9), [1])[0][0] == 9
    ((_, data),) = requests(fp.LcDataReq(2, 7, bytes.fromhex("13010d00")), [])
    assert data.encode().hex() == "0301000979" "0507" "0004" "13010d00"
    ((_, dis),) = requests(fp.MacDisconnectReq(2, 7), [])
    assert dis.encode().hex() == "030100037a0207"
    ((_, res),) = requests(fp.HoInProgressRes(2, 7, bytes(8), 0xFF), [])
    assert res.encode().hex() == "0301000e7a0c07" + "00" * 10 + "ff"


# -- the whole chain in memory ---------------------------------------------------------------
class Rfp:
    """One RFP: radio + its link end, and the OMM's session for it."""

    def __init__(self, net: Net, rfp_id: int, x: float) -> None:
        rng = random.Random(rfp_id)
        net.air.add_rfp(rfp_id, x, 0)
        self.rfp_id = rfp_id
        self.radio = RfpRadio(net.air, rfp_id)
        self.link = RfpLinkConnection(net.now, mac=bytes([0, 0x30, 0x42, 0, 0, rfp_id]),
                                      random=rng.randbytes, key=bytes(64))
        self.session = RfpSession(
            net.now, lookup_rfp=lambda mac: RfpCredentials(bytes(64)),
            dect_config=lambda mac: DectConfig(True, self.rfpi(net)),
            random=rng.randbytes, heartbeat_interval=5)

    def rfpi(self, net: Net) -> bytes:
        return Rfpi(net.fixed_part.park.ari, self.rfp_id).to_bytes()


class Net:
    def __init__(self, model: OmmModel) -> None:
        self.now = 0.0
        self.model = model
        self.air = Air()
        self.fixed_part = FixedPart(model, random=random.Random(1).randbytes)
        self.link = FixedPartLink(self.fixed_part, self.send_dnm, self.connected)
        self.rfps = {i: Rfp(self, i, x) for i, x in ((1, 0.0), (2, 40.0))}
        self.handsets: dict[int, Handset] = {}
        self.fp_events: list[fev.FpEvent] = []
        self.sent: list[tuple[int, Dnm]] = []
        self.dnms: list[tuple[int, Dnm]] = []

    def connected(self) -> list[int]:
        return [i for i, r in self.rfps.items() if r.session.connected]

    def send_dnm(self, rfp_id: int, dnm: Dnm) -> bool:
        self.sent.append((rfp_id, dnm))
        return self.rfps[rfp_id].session.send(dnm)

    def add_handset(self, hid: int, x: float) -> Handset:
        handset = Handset(IPEI, random=random.Random(100).randbytes)
        self.handsets[hid] = handset
        self.air.add_handset(hid, x, 0)
        self.air.attach_handset(hid, lambda rfp, prim, now: handset.receive(rfp, prim, now))
        handset.power_on(self.now)
        self.relock(hid)
        return handset

    def relock(self, hid: int) -> None:
        handset = self.handsets[hid]
        strongest = self.air.strongest_rfp(hid)
        assert strongest is not None
        rfpi = self.air.rfps[strongest].rfpi
        assert rfpi is not None
        handset.lock(strongest, rfpi, self.now)
        self.pump()

    def pump(self) -> None:
        for _ in range(10_000):
            moved = False
            for rfp in self.rfps.values():
                moved |= self._pump_rfp(rfp)
            for hid, handset in self.handsets.items():
                for rfp_id, prim in handset.air_to_send():
                    moved = True
                    self.air.send_from_handset(hid, rfp_id, prim)
            if self.air.pending:
                moved = True
                self.air.deliver(self.now)
            while (event := self.fixed_part.next_event()) is not None:
                self.fp_events.append(event)
            if not moved:
                return
        raise AssertionError("does not settle")

    def _pump_rfp(self, rfp: Rfp) -> bool:
        moved = False
        data = rfp.session.data_to_send()
        if data:
            moved = True
            rfp.link.receive_data(data, self.now)
        to_radio = []
        while (event := rfp.link.next_event()) is not None:
            if isinstance(event, ev.LinkEstablished):
                rfp.radio.link_up(self.now)
            elif isinstance(event, ev.LinkLost | ev.LinkFailed):
                rfp.radio.link_down(self.now)
            elif isinstance(event, ev.MessageReceived):
                typed = parse_message(event.message)
                if isinstance(typed, Dnm | Sync):
                    to_radio.append(typed)
        if not rfp.link.closed:
            rfp.radio.receive_links(to_radio, self.now)
            rfp.radio.handle_timer(self.now)
            for message in rfp.radio.messages_to_send():
                rfp.link.send(message)
        data = rfp.link.data_to_send()
        if data:
            moved = True
            rfp.session.receive_data(data, self.now)
        while (s_event := rfp.session.next_event()) is not None:
            if isinstance(s_event, DnmReceived):
                self.dnms.append((rfp.rfp_id, s_event.dnm))
                self.link.on_dnm(rfp.rfp_id, s_event.dnm, self.now)
            elif isinstance(s_event, ev.LinkLost | ev.LinkFailed):
                self.link.on_link(rfp.rfp_id, False, self.now)
        return moved

    def run(self, seconds: float) -> None:
        end = self.now + seconds
        self.pump()
        while True:
            timers = [self.link.get_timer()]
            timers += [h.get_timer() for h in self.handsets.values()]
            for r in self.rfps.values():
                timers += [r.radio.get_timer(), r.link.get_timer(), r.session.get_timer()]
            due = min((t for t in timers if t is not None), default=None)
            if due is None or due > end:
                break
            self.now = max(self.now, due)
            self.link.handle_timer(self.now)
            for handset in self.handsets.values():
                timer = handset.get_timer()
                if timer is not None and timer <= self.now:
                    handset.handle_timer(self.now)
            for r in self.rfps.values():
                r.link.handle_timer(self.now)
                r.session.handle_timer(self.now)
            self.pump()
        self.now = end

    def primitives(self, name: str) -> list[tuple[int, Dnm]]:
        return [(r, d) for r, d in self.dnms if d.primitive_name == name]


@pytest.fixture
def net(tmp_path: Path) -> Net:
    model = OmmModel(tmp_path, OmmSetup("Test"))
    model.settings.update("DECTAuthCode", {"ac": "1234"})
    model.settings.update("DevAutoCreate", {"enable": True})
    model.subscription.set("Wildcard")
    net = Net(model)
    net.run(1)
    assert net.connected() == [1, 2]
    assert all(net.air.is_synced(i) for i in (1, 2))
    return net


def subscribed(net: Net) -> Handset:
    handset = net.add_handset(7, 5.0)
    handset.subscribe(net.now, ac="1234")
    net.run(30)
    assert handset.subscription is not None and handset.subscription.tpui is not None
    return handset


def test_subscription_through_the_radio_and_the_omm_session(net: Net) -> None:
    handset = subscribed(net)
    assert net.model.devices.find_by_ipei(IPEI) is not None
    assert net.primitives("MAC_CON_IND")[0][0] == 1
    assert net.primitives("LC_DATA_IND")
    assert handset.undecodable == 0


def test_a_call_is_ciphered_and_survives_walking_to_the_other_rfp(net: Net) -> None:
    handset = subscribed(net)
    handset.press("{CALL}", net.now)
    net.run(1)
    assert handset.call_active and handset.state is State.CONNECTED
    assert [r for r, d in net.sent if d.primitive == Prim.MAC_ENC_KEY_REQ] == [1]
    assert net.primitives("MAC_ENC_EKS_IND")
    assert any(conn.key is not None for conn in net.rfps[1].radio.connections.values())
    net.air.move(7, 38.0, 0.0)
    assert net.air.strongest_rfp(7) == 2
    handset.connect_to(2, net.now)
    net.run(1)
    handset.press("42#", net.now)
    net.run(1)
    assert net.primitives("HO_IN_PROGRESS_IND")[0][0] == 2
    assert fev.PpTransaction("ConnHandover", 1, 2) in net.fp_events
    (dialled,) = [e for e in net.fp_events if isinstance(e, fev.CallDialled)]
    assert (dialled.number, dialled.rfp_id) == ("42", 2)
    (conn,) = net.rfps[2].radio.connections.values()
    assert conn.key is not None and net.rfps[2].radio.counters.good_frames > 0
    assert handset.undecodable == 0


def test_a_call_on_the_link_of_its_subscription_is_ciphered_too(net: Net) -> None:
    handset = net.add_handset(7, 5.0)
    handset.subscribe(net.now, ac="1234")
    net.run(1)  # subscribed and located, the link not yet released
    assert handset.subscription is not None and handset.subscription.tpui is not None
    assert handset.state is State.CONNECTED and handset.cipher_key is None
    handset.press("42{CALL}", net.now)
    net.run(1)
    assert handset.cipher_key is not None
    assert [r for r, d in net.sent if d.primitive == Prim.MAC_ENC_KEY_REQ] == [1]
    (dialled,) = [e for e in net.fp_events if isinstance(e, fev.CallDialled)]
    assert dialled.number == "42" and handset.undecodable == 0


def test_an_rfp_link_ending_releases_its_connections(net: Net) -> None:
    handset = subscribed(net)
    handset.press("{CALL}", net.now)
    net.run(1)
    assert net.fixed_part.connections
    net.rfps[1].session.close()
    net.rfps[1].link.receive_data(b"", net.now)  # the OMM side dropped it
    net.link.on_link(1, False, net.now)
    net.run(1)
    assert not net.fixed_part.connections
    assert not net.air.rfps[1].up and not handset.call_active


def test_an_incoming_call_is_paged_through_the_radio_answered_and_walks_along(net: Net) -> None:
    handset = subscribed(net)
    net.run(30)  # the subscription's link is gone: the call must page
    assert handset.state is State.LOCKED
    assert net.fixed_part.call_in(1, net.now, calling_number="201", calling_name="Alice")
    net.link.flush()
    net.run(1)
    assert any(d.primitive == Prim.MAC_PAGE_REQ for _, d in net.sent)
    assert handset.call_state is CallState.INCOMING
    assert handset.display == ["Call from 201 Alice"]
    handset.answer(net.now)
    net.run(1)
    answered = [e for e in net.fp_events if isinstance(e, fev.CallAnswered)]
    assert [(e.ppn, e.rfp_id) for e in answered] == [(1, 1)]
    assert handset.call_state is CallState.CONNECTED and handset.cipher_key is not None
    net.air.move(7, 38.0, 0.0)
    handset.connect_to(2, net.now)
    net.run(1)
    moved = [e for e in net.fp_events if isinstance(e, fev.CallHandover)]
    assert [(e.ppn, e.old_rfp_id, e.rfp_id) for e in moved] == [(1, 1, 2)]
    handset.press("3", net.now)
    net.run(1)
    assert fev.CallKey(1, "3") in net.fp_events and handset.undecodable == 0
    handset.hang_up(net.now)
    net.run(1)
    assert fev.CallReleased(1, "Normal") in net.fp_events
    assert handset.call_state is CallState.IDLE
