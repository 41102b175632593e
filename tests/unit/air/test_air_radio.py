"""rfp.radio with plain objects: RFPC start-up, SYNC reports, air <-> DNM translations, DSC.

omm-rfp.md §4.9 layouts (MAC_CON_IND as in `030100087a010b00027b0001`), §5.3 RFPC/SYNC.
"""

from __future__ import annotations

import pytest

from dect.dlc import decode_frame
from dect.errors import DectDecodeError
from dect.identities import Ari, Rfpi
from rfp.radio import RadioState, RfpRadio, phase_offsets_payload, rssi_octet
from sim.air import RELEASE_LINK_LOST, Air, cipher_frame
from sim.primitives import (
    AirCipherStart,
    AirConnect,
    AirConnected,
    AirData,
    AirPage,
    AirRelease,
)
from sipdect.link import constants as c
from sipdect.link.dnm import (
    Dnm,
    Element,
    HoInProgressRes,
    LcFrame,
    MacDisInd,
    MacEncKeyReq,
    MacPageReq,
    Sync,
)
from sipdect.link.errors import LinkProtocolError
from sipdect.link.messages import TypedMessage

Prim = c.DnmPrimitive
Rfpc = c.RfpcPrimitive
S = c.SyncType
ARI = Ari.class_b(0x10A, 0x2AF)
DCK = bytes.fromhex("8560dc324ea49f37")
WRONG = bytes.fromhex("bb9a6a40cb2f8414")
PMID = 0x0027B
HANDSET = 1
LC = LcFrame.i_frame(bytes.fromhex("05" "40" "0102030405060708"), ns=0, nr=0, command=False)
"""A PT command I-frame carrying a short NWK message."""
BODY = LC.to_bytes()
"""What LC_DATA_IND/REQ carry from message offset 7: B/channel, length, then the frame."""
FRAME = BODY[2:]
"""What AirData carries: the DLC frame from its address octet on."""


def names(messages: list[TypedMessage]) -> list[str]:
    out = []
    for m in messages:
        if isinstance(m, Dnm):
            out.append(m.primitive_name)
        elif isinstance(m, Sync):
            out.append(c.code_name(S, m.sync_type))
    return out


def activate(radio: RfpRadio, now: float = 0.0, rpn: int = 0) -> list[TypedMessage]:
    radio.link_up(now)
    radio.receive_link(
        Dnm.rfpc(Rfpc.INIT_REQ, [Element(c.RfpcKey.RFPI, Rfpi(ARI, rpn).to_bytes())]), now)
    radio.receive_link(Dnm.rfpc(Rfpc.ACTIVATE_REQ), now)
    return radio.messages_to_send()


@pytest.fixture
def air() -> Air:
    air = Air()
    air.add_rfp(0, 0, 0)
    air.add_handset(HANDSET, 5, 0)
    return air


@pytest.fixture
def radio(air: Air) -> RfpRadio:
    radio = RfpRadio(air, 0)
    activate(radio)
    return radio


def connect(air: Air, radio: RfpRadio, handover: bool = False) -> int:
    """Set up PMID's connection; returns its MCEI."""
    assert air.send_from_handset(HANDSET, 0, AirConnect(PMID, handover))
    air.deliver(0.0)
    (con_ind, *_) = radio.messages_to_send()
    assert isinstance(con_ind, Dnm) and con_ind.mcei is not None
    return con_ind.mcei


def from_air(air: Air) -> list[object]:
    air.deliver(0.0)
    return [prim for _, prim in air.take_for_handset(HANDSET)]


# -- RFPC and SYNC -------------------------------------------------------------------------
def test_startup_sequence_of_a_lone_rfp(air: Air) -> None:
    radio = RfpRadio(air, 0)
    assert not air.rfps[0].up
    radio.link_up(0.0)
    (ready,) = radio.messages_to_send()
    assert isinstance(ready, Dnm)
    assert ready.encode().hex() == (
        "0301" "0011" "7801" "010101" "0207" "03010009200001" "03010c")
    radio.receive_link(
        Dnm.rfpc(Rfpc.INIT_REQ, [Element(c.RfpcKey.RFPI, Rfpi(ARI, 0).to_bytes())]), 1.0)
    assert names(radio.messages_to_send()) == ["INIT_CFM"]
    assert air.rfps[0].rfpi == Rfpi(ARI, 0)
    assert not air.rfps[0].up
    radio.receive_link(Dnm.rfpc(Rfpc.ACTIVATE_REQ), 2.0)
    assert radio.state is RadioState.ACTIVE and air.rfps[0].up
    out = radio.messages_to_send()
    assert names(out) == ["ACTIVATE_CFM", "SYSTEM_SEARCH_CFM", "RESET_MAC_CFM",
                          "START_MAC_MASTER_CFM", "PHASE_OFS_WITH_RSSI_IND"]
    assert out[-1].encode().hex() == "0302" "0004" "7d2c" "01" "00"  # no neighbours


def test_rfpc_out_of_order_is_ignored(air: Air) -> None:
    radio = RfpRadio(air, 0)
    radio.receive_link(Dnm.rfpc(Rfpc.ACTIVATE_REQ), 0.0)  # link not up yet
    radio.link_up(0.0)
    radio.messages_to_send()
    radio.receive_link(Dnm.rfpc(Rfpc.ACTIVATE_REQ), 0.0)  # before INIT_REQ
    assert radio.messages_to_send() == []
    assert radio.state is RadioState.READY


def test_slave_reports_and_loses_sync_then_gives_up_after_the_search_time() -> None:
    air = Air()
    air.add_rfp(0, 0, 0)
    air.add_rfp(1, 40, 0)
    master, slave = RfpRadio(air, 0), RfpRadio(air, 1, search_time=5.0)
    activate(master)
    out = activate(slave, rpn=1)
    assert names(out)[-2:] == ["START_MAC_SLAVE_MODE_CFM", "PHASE_OFS_WITH_RSSI_IND"]
    assert out[-1] == Sync(S.PHASE_OFS_WITH_RSSI_IND, phase_offsets_payload(
        air.sync_relations(1)))
    assert out[-1].json_extras()["rfps"] == [
        {"rpn": 0, "offset": 0, "offset_ns": 0, "rssi": 64, "qt_sync_check": 7}]
    master.messages_to_send()
    air.set_rfp(1, x=200.0)  # out of sync range of RFP 0 (-85 dBm), still heard
    assert slave.get_timer() == float("-inf")
    slave.handle_timer(10.0)
    assert names(slave.messages_to_send()) == ["RESET_MAC_CFM", "PHASE_OFS_WITH_RSSI_IND"]
    assert slave.get_timer() == 15.0
    slave.handle_timer(14.0)
    assert slave.messages_to_send() == []
    slave.handle_timer(15.0)
    assert names(slave.messages_to_send()) == ["START_MAC_SLAVE_MODE_REJ"]
    air.set_rfp(1, x=50.0)
    slave.handle_timer(16.0)
    assert names(slave.messages_to_send()) == ["START_MAC_SLAVE_MODE_CFM",
                                               "PHASE_OFS_WITH_RSSI_IND"]
    air.set_rfp(0, powered=False)  # the reference goes: the slave becomes the reference
    slave.handle_timer(17.0)
    assert names(slave.messages_to_send()) == ["START_MAC_MASTER_CFM",
                                               "PHASE_OFS_WITH_RSSI_IND"]


def test_rssi_octet() -> None:
    assert [rssi_octet(x) for x in (-64.06, -93.0, 3.0, -400.0)] == [64, 93, 0, 255]


def test_statistics_and_deactivation(air: Air, radio: RfpRadio) -> None:
    radio.receive_link(Dnm.rfpc(Rfpc.STATISTICS_DATA_REQ), 0.0)
    (cfm,) = radio.messages_to_send()
    assert isinstance(cfm, Dnm) and cfm.primitive == Rfpc.STATISTICS_DATA_CFM
    (element,) = cfm.elements()
    assert element.key == c.RfpcKey.StatisticData and len(element.value) == 52
    connect(air, radio)
    from_air(air)
    radio.receive_link(Dnm.rfpc(Rfpc.DEACTIVATE_REQ), 1.0)
    assert names(radio.messages_to_send()) == ["MAC_DIS_IND", "DEACTIVATE_CFM"]
    assert from_air(air) == [AirRelease(PMID, RELEASE_LINK_LOST)]
    assert not air.rfps[0].up and radio.state is RadioState.INITIALISED


# -- MAC connections -----------------------------------------------------------------------
def test_air_connect_gives_mac_con_ind(air: Air, radio: RfpRadio) -> None:
    air.send_from_handset(HANDSET, 0, AirConnect(PMID))
    air.deliver(0.0)
    (con_ind,) = radio.messages_to_send()
    assert isinstance(con_ind, Dnm) and con_ind.mcei is not None
    assert con_ind.encode() == bytes.fromhex("030100087a01") + bytes([con_ind.mcei]) + \
        bytes.fromhex("00027b0001")
    assert from_air(air) == [AirConnected(PMID)]


def test_handover_waits_for_the_key_of_ho_in_progress_res(air: Air, radio: RfpRadio) -> None:
    mcei = connect(air, radio, handover=True)
    assert radio.connections[mcei].handover_pending
    air.send_from_handset(HANDSET, 0, AirConnect(PMID + 1, True))  # another one, for bytes
    air.deliver(0.0)
    con_ind, ho_ind = radio.messages_to_send()
    assert isinstance(ho_ind, Dnm) and ho_ind.mcei is not None
    assert con_ind.encode()[7:] == bytes.fromhex("00027c0201")
    assert ho_ind.encode() == bytes.fromhex("030100087a0b") + bytes([ho_ind.mcei]) + \
        bytes.fromhex("00027c0001")
    ciphered = cipher_frame(DCK, 3, 4, FRAME, downlink=False)
    air.send_from_handset(HANDSET, 0, AirData(PMID, ciphered, 3, 4, ciphered=True))
    air.deliver(0.0)
    assert radio.messages_to_send() == []  # held: no key yet
    radio.receive_link(Dnm.mac(Prim.HO_IN_PROGRESS_RES, mcei, HoInProgressRes(key=DCK,
                                                                              key_id=1)), 0.0)
    (data_ind,) = radio.messages_to_send()
    assert data_ind == Dnm(c.DnmLayer.LC, Prim.LC_DATA_IND, mcei, BODY)


def test_a_handover_into_an_rfp_with_every_voice_channel_busy_is_refused(
        air: Air, radio: RfpRadio) -> None:
    """An RFP 44's four DSP channels all open: it refuses the bearer a call is handed over
    on and counts the lost connection; a plain connection (no call yet) still gets in."""
    in_use = [4]
    radio.voice_in_use = lambda: in_use[0]
    radio.voice_capacity = c.voice_channels(c.HardwareType.RFP44)
    air.send_from_handset(HANDSET, 0, AirConnect(PMID, handover=True))
    air.deliver(0.0)
    assert radio.messages_to_send() == [] and radio.connections == {}
    assert from_air(air) == [AirRelease(PMID, RELEASE_LINK_LOST)]
    assert radio.counters.lost_connections == 1
    connect(air, radio)
    assert len(radio.connections) == 1
    in_use[0] = 3
    air.send_from_handset(HANDSET, 0, AirConnect(PMID + 1, handover=True))
    air.deliver(0.1)
    assert names(radio.messages_to_send()) == ["MAC_CON_IND", "HO_IN_PROGRESS_IND"]


def test_uplink_frames_are_relayed_unchanged(air: Air, radio: RfpRadio) -> None:
    mcei = connect(air, radio)
    air.send_from_handset(HANDSET, 0, AirData(PMID, FRAME, 0, 1))
    air.deliver(0.0)
    (data_ind,) = radio.messages_to_send()
    assert isinstance(data_ind, Dnm)
    assert data_ind.encode() == bytes.fromhex("0301") + (5 + len(FRAME)).to_bytes(2, "big") + \
        bytes([0x79, 0x06, mcei, 0x00, len(FRAME)]) + FRAME
    assert data_ind.lc_frame() == LC


def test_downlink_frames_flow_control_and_frame_numbers(air: Air, radio: RfpRadio) -> None:
    mcei = connect(air, radio)
    from_air(air)
    request = Dnm.lc_data(Prim.LC_DATA_REQ, mcei, LC)
    radio.receive_links([request, request], 0.155)
    dtr = radio.messages_to_send()
    assert [d.encode().hex() for d in dtr] == [
        f"03010004790{7:x}{mcei:02x}00", f"03010004790{7:x}{mcei:02x}10"]
    assert from_air(air) == [AirData(PMID, FRAME, 0, 15), AirData(PMID, FRAME, 1, 0)]


def test_ciphering_right_key_decodes_wrong_key_does_not(air: Air, radio: RfpRadio) -> None:
    mcei = connect(air, radio)
    from_air(air)
    radio.receive_link(Dnm.mac(Prim.MAC_ENC_KEY_REQ, mcei, MacEncKeyReq(DCK, 1)), 0.0)
    assert [d.encode().hex() for d in radio.messages_to_send()] == [
        f"030100047a0a{mcei:02x}01"]  # MAC_ENC_EKS_IND: encrypted
    radio.receive_link(Dnm.lc_data(Prim.LC_DATA_REQ, mcei, LC), 0.5)
    radio.messages_to_send()
    start, data = from_air(air)
    assert start == AirCipherStart(PMID)
    assert isinstance(data, AirData) and data.ciphered and data.payload != FRAME
    assert cipher_frame(DCK, data.mfn, data.fn, data.payload, downlink=True) == FRAME
    assert decode_frame(FRAME) == decode_frame(
        cipher_frame(DCK, data.mfn, data.fn, data.payload, downlink=True))
    with pytest.raises(DectDecodeError):
        decode_frame(cipher_frame(WRONG, data.mfn, data.fn, data.payload, downlink=True))
    # uplink: the handset ciphers with the right key -> the OMM gets the frame back
    air.send_from_handset(HANDSET, 0, AirData(
        PMID, cipher_frame(DCK, 7, 2, FRAME, downlink=False), 7, 2, ciphered=True))
    # ... and with a wrong key -> what reaches the OMM does not decode
    air.send_from_handset(HANDSET, 0, AirData(
        PMID, cipher_frame(WRONG, 7, 3, FRAME, downlink=False), 7, 3, ciphered=True))
    air.deliver(0.0)
    good, bad = radio.messages_to_send()
    assert isinstance(good, Dnm) and isinstance(bad, Dnm)
    assert good.lc_frame() == LC
    with pytest.raises(LinkProtocolError):
        bad.lc_frame()
    with pytest.raises(DectDecodeError):
        decode_frame(bad.body[2:])


def test_lc_data_req_without_a_whole_frame_is_dropped(air: Air, radio: RfpRadio) -> None:
    mcei = connect(air, radio)
    from_air(air)
    radio.receive_link(Dnm(c.DnmLayer.LC, Prim.LC_DATA_REQ, mcei, BODY[:-1]), 0.0)
    assert radio.messages_to_send() == [] and from_air(air) == []


def test_ciphered_frame_without_key_is_dropped(air: Air, radio: RfpRadio) -> None:
    connect(air, radio)
    air.send_from_handset(HANDSET, 0, AirData(PMID, FRAME, 0, 0, ciphered=True))
    air.deliver(0.0)
    assert radio.messages_to_send() == []
    assert radio.counters.bad_frames == 1


def test_release_both_ways(air: Air, radio: RfpRadio) -> None:
    mcei = connect(air, radio)
    from_air(air)
    radio.receive_link(Dnm.mac(Prim.MAC_DIS_REQ, mcei), 0.0)
    assert radio.messages_to_send() == [Dnm.mac(Prim.MAC_DIS_IND, mcei, MacDisInd(1))]
    assert from_air(air) == [AirRelease(PMID, 1)]
    assert radio.connections == {}
    mcei = connect(air, radio)
    air.send_from_handset(HANDSET, 0, AirRelease(PMID, 1))
    air.deliver(0.0)
    assert radio.messages_to_send() == [Dnm.mac(Prim.MAC_DIS_IND, mcei, MacDisInd(1))]
    mcei = connect(air, radio)
    air.move(HANDSET, 1000, 0)  # walks away: the link breaks
    air.deliver(0.0)
    assert radio.messages_to_send() == [Dnm.mac(Prim.MAC_DIS_IND, mcei, MacDisInd(2))]


def test_page_request_pages_locked_handsets(air: Air, radio: RfpRadio) -> None:
    radio.receive_link(Dnm.mac(Prim.MAC_PAGE_REQ, None, MacPageReq(3, 0x08, 0x027B)), 0.0)
    assert from_air(air) == [AirPage(0x027B)]


def test_link_down_drops_calls_and_stops_dect(air: Air, radio: RfpRadio) -> None:
    connect(air, radio)
    from_air(air)
    radio.link_down(1.0)
    assert from_air(air) == [AirRelease(PMID, RELEASE_LINK_LOST)]
    assert not air.rfps[0].up and radio.state is RadioState.OFF
    assert radio.messages_to_send() == []
    air.send_from_handset(HANDSET, 0, AirConnect(PMID))
    assert air.pending == 0  # not synced: nobody hears the handset


def test_malformed_mac_primitive_from_the_omm_is_ignored(air: Air, radio: RfpRadio) -> None:
    mcei = connect(air, radio)
    radio.receive_link(Dnm(c.DnmLayer.MAC, Prim.MAC_ENC_KEY_REQ, mcei, b"\x01"), 0.0)
    radio.receive_link(Dnm(c.DnmLayer.MAC, Prim.MAC_PAGE_REQ, None, b""), 0.0)
    assert radio.messages_to_send() == []
    assert radio.connections[mcei].key is None
