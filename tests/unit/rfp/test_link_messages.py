"""sipdect.link framing and typed messages against omm-rfp.md §7 (link vectors) and §2.8 C2.

Every vector decodes to the spec's names and fields and re-encodes byte for byte.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from rfp_link_vectors import LINK_VECTORS, MAC, V7, V9

from sipdect.link import constants as c
from sipdect.link import describe, parse_message, split_messages
from sipdect.link.dnm import Dnm, Element, LcFrame, NwkReassembler, Sync, fragment_nwk
from sipdect.link.errors import LinkProtocolError, LinkValueError
from sipdect.link.media import MediaCodec, MediaConf, MediaStatistics, MediaTone2
from sipdect.link.messages import LinkMessage, MessageReader
from sipdect.link.system import (
    Ack,
    SysFirmwareUpdate,
    SysHttpSet,
    SysInit,
    SysLed,
    SysPasswd,
)


def vec(name: str) -> bytes:
    return bytes.fromhex(LINK_VECTORS[name])


def d(name: str) -> dict[str, Any]:
    return describe(vec(name))


@pytest.mark.parametrize("name", sorted(LINK_VECTORS))
def test_every_vector_round_trips_byte_for_byte(name: str) -> None:
    data = vec(name)
    message = LinkMessage.decode(data)
    assert message.encode() == data
    typed = parse_message(message)
    assert typed.encode() == data
    entry = describe(message)
    assert "error" not in entry and "body_error" not in entry
    assert entry["name"] == c.MessageType(message.type).name


# -- SYS / control -----------------------------------------------------------------------------
def test_v7_v9_sys_init() -> None:
    for raw, sw, sig in (
        (V7, "SIP-DECT 8.1SP1-FA27", "ed342c73e4379702f1483b857b44da67"),
        (V9, "SIP-DECT 8.1SP3-FK24", "cb8321c7401dd174d3b350fafaa7b770"),
    ):
        init = SysInit.decode(raw)
        assert init.hw_type == c.HardwareType.RFP43
        assert init.release == 0x00080100
        assert init.mac == MAC and init.reserved2 == bytes(6)
        assert init.capabilities == 0x1EF3C
        assert init.protocol == 0x080201
        assert init.sw_version == sw
        assert init.signature.hex() == sig
        entry = describe(raw)
        assert entry["hw_type_name"] == "RFP43" and entry["mac"] == "0030421b1737"
        assert entry["identity"]["mac"] == "0030421b1737" and entry["identity"]["branding"] == 0
        assert "ENCRYPTION" in entry["capabilities_names"]


def test_sys_init_older_layouts_decode() -> None:
    payload = SysInit.from_payload(V7[4:])
    for reserved, sw in ((8, 144), (8, 128)):
        old = SysInit(
            hw_type=payload.hw_type, mac=payload.mac, capabilities=0,
            identity_block=payload.identity_block, protocol=0x070100,
            sw_version_field=b"SIP-DECT 7.1".ljust(sw, b"\0"), reserved3=bytes(reserved),
        )
        data = old.encode()
        assert len(data) - 4 == {144: 0x104, 128: 0xF4}[sw]
        again = SysInit.decode(data)
        assert again == old and again.sw_version == "SIP-DECT 7.1"
    with pytest.raises(LinkProtocolError, match="layouts"):
        SysInit.from_payload(bytes(0x100))


def test_v11_ack_of_sys_init_and_the_rfp_ack_of_reset() -> None:
    assert d("V11")["acked_type_name"] == "SYS_INIT"
    assert Ack.for_sys_init().encode() == vec("V11")
    entry = d("RFP_ACK_RESET")
    assert entry["acked_type_name"] == "SYS_RESET" and entry["handle"] == 0
    assert entry["tail"] == ""


def test_v13_heartbeat_interval() -> None:
    assert d("V13")["interval"] == 15


def test_v15_http_set() -> None:
    entry = d("V15")
    assert entry["address"] == "::ffff:ac10:6314" and entry["ipv4"] == "172.16.99.20"
    assert entry["port"] == 443 and entry["pad"] == "0200"
    assert SysHttpSet.to("172.16.99.20", 443).encode()[:22] == vec("V15")[:22]


def test_v17_core_dump_url_ignores_junk_after_nul() -> None:
    assert d("V17")["url"] == "tftp://172.20.5.6/abcdefgh"


def test_v19_rping() -> None:
    entry = d("V19")
    assert ipaddress.IPv6Address(entry["address"]).ipv4_mapped == ipaddress.IPv4Address("8.8.8.8")
    assert entry["rtt_ms"] == 21 and entry["pad"] == "00eeeeee"


def test_v21_reset_and_v23_led() -> None:
    assert d("V21")["reset_type_name"] == "RESET"
    entry = d("V23")
    assert (entry["led"], entry["colour"], entry["colour_name"]) == (3, 1, "GREEN")
    assert SysLed(3, c.LedColour.GREEN).encode() == vec("V23")


def test_v5_snmp_rfp_update() -> None:
    entry = d("V5")
    assert entry["name"] == "SNMP_RFP_UPDATE"
    assert entry["trap_sink"] == "172.20.23.1"
    assert entry["sys_contact"] == "b" * 40
    assert entry["sys_location"] == "debugDECT123"
    assert entry["sys_name"] == "RFP 42 (00:30:42:0F:82:27)"
    assert entry["ro_community"] == "a" * 20 and entry["trap_community"] == "c" * 20
    assert entry["trap_enabled"] == 1


def test_v109_firmware_update() -> None:
    update = SysFirmwareUpdate.decode(vec("V109"))
    texts = {e["tag"]: e["text"] for e in d("V109")["elements"]}
    assert texts[3] == "SIP-DECT 8.3SP4-HK09 [Nov  9 11:35:37 2022]"
    assert texts[4] == "SIP-DECT 8.1SP3-FK24 [Nov 24 18:24:00 2020]"
    assert texts[5] == "8.3.3" and texts[6] == "8.2.1"
    assert texts[7] == "tftp://10.162.0.2/"
    assert [e.value for e in update.elements if e.tag in (8, 9)] == [b"\x01", b"\x00"]


def test_c2_plaintexts_name_the_burst() -> None:
    burst = (
        "010c000400000000 01010008b8b8200606000000 010500040f000000 0123000401000000 "
        "0102000401010000 0102000400090000 0102000402060000 0102000403060000 "
        "0109001400000000000000000000ffffc0a8791f01bb0200 01180004d1a75b44 0116000400000000 "
        "01340014ffffffff" + "00" * 16
    )
    messages = split_messages(bytes.fromhex(burst.replace(" ", "")))
    names = [m.name for m in messages]
    assert names == [
        "SYS_OMM_CONTROL", "SYS_IP_OPTIONS", "SYS_HEARTBEAT_INTERVAL", "SYS_STREAM_INFO",
        "SYS_LED", "SYS_LED", "SYS_LED", "SYS_LED", "SYS_HTTP_SET", "SYS_RANDOM_VALUE",
        "SYS_CORE_DUMP", "SYS_LICENSE_TIMER",
    ]
    entries = [describe(m) for m in messages]
    ip = entries[1]
    assert (ip["voice_tos"], ip["signalling_tos"], ip["ttl"]) == (0xB8, 0xB8, 32)
    assert (ip["signalling_vlan_priority"], ip["voice_vlan_priority"]) == (6, 6)
    assert entries[3]["payload_hex"] == "01000000"  # known type without a layout
    assert entries[8]["ipv4"] == "192.168.121.31" and entries[8]["port"] == 443
    assert entries[9]["value"] == 0xD1A75B44
    assert entries[10]["url"] == ""
    assert entries[11]["grace_minutes"] == c.LICENSE_TIMER_QUERY
    rfp = split_messages(bytes.fromhex("01260000011700100000000000000000e1fea5dcbe9014b5"))
    assert [m.name for m in rfp] == ["SYS_ENCRYPTION_CONF", "SYS_VSNTP_TIME"]
    vsntp = describe(rfp[1])
    assert vsntp["t1_seconds"] == 0 and vsntp["t2_seconds"] == 0xE1FEA5DC


def test_sys_passwd_fields_and_hash_prefix() -> None:
    passwd = SysPasswd.create(
        root_user="root", root_hash="$1$$juPq1oleiGg7WHdZ5itlC/", admin_user="omm",
        admin_hash="abcdefghijklmnopqrstuv", remote_access=True,
    )
    data = passwd.encode()
    assert data[:4] == bytes.fromhex("010a0108")
    again = SysPasswd.decode(data)
    assert again.root_crypt_hash == "$1$$juPq1oleiGg7WHdZ5itlC/"
    assert again.root_user == "root" and again.admin_user == "omm" and again.remote_access
    junk = bytearray(data)
    junk[4 + 2 + 5] = 0x55  # random filler after the NUL of the root user name
    assert SysPasswd.decode(bytes(junk)).root_user == "root"
    assert SysPasswd.decode(bytes(junk)).encode() == bytes(junk)


# -- MEDIA ---------------------------------------------------------------------------------------
def test_v87_media_statistics() -> None:
    stats = MediaStatistics.decode(vec("V87"))
    assert stats.handle == 0x19F9 and stats.duration == 2
    assert (stats.tx_packets, stats.tx_bytes, stats.rx_packets, stats.rx_bytes) == (
        114, 18240, 86, 13601)
    assert stats.lost_packets == 0 and stats.max_jitter == 12734
    assert str(stats.rtp_peer) == "172.20.23.2"


def test_v103_and_a2_media_tone2() -> None:
    tone = MediaTone2.decode(vec("V103"))
    assert tone.handle == 0xC078 and tone.direction == 1 and tone.offset == 0
    assert len(tone.tones) == 2
    assert tone.tones[0].frequency1 == 425 and tone.tones[0].duration == 500
    assert tone.tones[0].next_index == 1 and tone.tones[1].next_index == 0
    off = MediaTone2(handle=0xBABE, direction=c.MediaDirection.TX_RX)
    assert off.encode() == vec("A2") and len(off.encode()) == 12


def test_media_conf_built_from_the_spec_table() -> None:
    conf = MediaConf(
        handle=0x1234, codecs=(MediaCodec(c.Codec.G711_ALAW, 8, 8),), mcei=2, ppn=0x0EA3,
        local_rtp_port=16326, local_rtcp_port=16327,
        rx_address=ipaddress.IPv4Address("172.20.23.2"), rx_port1=10922, rx_port2=10923,
        tx_address=ipaddress.IPv4Address("172.20.23.2"), tx_port1=10922, tx_port2=10923,
        reserved3=bytes.fromhex("01013c00"),
        tail=bytes.fromhex("030100007d85a30e") + bytes(68),
    )
    data = conf.encode()
    assert data[:4] == bytes.fromhex("020100a4") and len(data) == 168
    assert data[8:14] == bytes([20, 0, 1, 0, 8, 8])
    assert data[62] == 2 and data[64:66] == bytes.fromhex("a30e")
    assert int.from_bytes(data[70:72], "big") == 16326
    assert data[76:80] == bytes([172, 20, 23, 2])
    assert MediaConf.decode(data) == conf and conf.codec_spare == b""
    assert describe(data)["codecs"][0]["codec_name"] == "G711_ALAW"
    with pytest.raises(LinkProtocolError, match="17"):
        MediaConf.from_payload(bytes(6) + b"\x12" + bytes(81))


# -- DNM -------------------------------------------------------------------------------------------
def test_v1_v3_rfpc_elements() -> None:
    init = d("V1")
    assert (init["layer_name"], init["primitive_name"], init["mcei"]) == ("RFPC", "INIT_REQ", None)
    names = [e["key_name"] for e in init["elements"]]
    assert names == ["RFPI", "HigherLayerCapabilities", "ExtendedCapabilities",
                     "RfpSiteLocation", "MacCapabilities", "RfpPli", "ReflectingEnvironment"]
    rfpi = init["elements"][0]
    assert rfpi["value"] == "102af12c26" and (rfpi["sari"], rfpi["ari_class"], rfpi["rpn"]) == (
        False, 1, 38)
    ready = d("V3")
    assert ready["primitive_name"] == "READY_IND"
    upn, rev, bearers = ready["elements"]
    assert upn["int"] == 1 and bearers["int"] == 12
    assert (rev["generation"], rev["boot_sw"], rev["prog_sw"], rev["hw"]) == (
        2, "0x0102", "0x0311", "0x32dc")
    built = Dnm.rfpc(c.RfpcPrimitive.READY_IND, [
        Element(c.RfpcKey.NumberOfUpn, b"\x01"),
        Element(c.RfpcKey.Revision, bytes.fromhex("020102031132dc")),
        Element(c.RfpcKey.NumberOfBearer, b"\x0c"),
    ])
    assert built.encode() == vec("V3")


def test_v79_statistics() -> None:
    entry = d("V79")
    assert entry["primitive_name"] == "STATISTICS_DATA_CFM"
    stats, unnamed = entry["elements"]
    assert stats["key_name"] == "StatisticData"
    assert (stats["lost_connections"], stats["bad_frames"], stats["good_frames"]) == (
        785, 834121, 65107855)
    assert unnamed["key_name"] == "0x16" and unnamed["value"] == "000000000000"


@pytest.mark.parametrize(
    ("name", "primitive", "mcei", "addr", "control", "frame", "extra"),
    [
        ("V25", "LC_DATA_IND", 0x0D, 0x23, 0xB9, "S", {"s_type": "REJ", "pf": 1, "nr": 5}),
        ("V27", "LC_DATA_IND", 0x0B, 0xA1, 0x53, "U", {"u_type": "DISC", "pf": 1, "nlf": True}),
        ("V29", "LC_DATA_IND", 0x0C, 0x21, 0x02, "I", {"ns": 1, "nr": 0, "nwk_length": 30}),
        ("V31", "LC_DATA_REQ", 0x06, 0x23, 0x40, "I", {"b": 1, "ns": 0, "nr": 2}),
        ("V35", "LC_DATA_REQ", 0x0E, 0x13, 0x20, "I", {"lln": 1, "cr": 1, "nwk_length": 18}),
        ("V39", "LC_DATA_REQ", 0x05, 0x23, 0x42, "I", {"more": True, "nwk_length": 63}),
        ("V41", "LC_DATA_IND", 0x08, 0x21, 0xC4, "I", {"ns": 2, "nr": 6, "padding": "f0f0"}),
        ("V49", "LC_DATA_IND", 0x09, 0xA1, 0x10, "I", {"nlf": True, "pf": 1, "nwk_length": 20}),
        ("V51", "LC_DATA_IND", 0x09, 0x21, 0x24, "I", {"more": True, "padding": "f0f0"}),
        ("V75", "LC_DATA_REQ", 0x0A, 0x13, 0x00, "I", {"b": 1, "nwk_length": 26}),
        ("V83", "LC_DATA_IND", 0x0D, 0x21, 0x0A, "I", {"ns": 5, "padding": "f0"}),
        ("V45", "LC_DATA_IND", 0x04, 0x11, 0x02, "I", {"nwk_length": 63, "more": False}),
        ("V81", "LC_DATA_IND", 0x01, 0x11, 0x02, "I", {"nwk_length": 48, "padding": "f0f0"}),
        ("V101", "LC_DATA_IND", 0x01, 0x11, 0x02, "I", {"nwk_length": 30}),
        ("V105", "LC_DATA_IND", 0x06, 0x11, 0x22, "I", {"ns": 1, "nr": 1, "nwk_length": 5}),
        ("V107", "LC_DATA_IND", 0x02, 0x21, 0x02, "I", {"more": True, "nwk_length": 63}),
        ("A1", "LC_DATA_REQ", 0x08, 0x13, 0x20, "I", {"b": 1, "lln": 1, "nwk_length": 38}),
    ],
)
def test_lc_frames(name: str, primitive: str, mcei: int, addr: int, control: int, frame: str,
                   extra: dict[str, Any]) -> None:
    entry = d(name)
    assert (entry["layer_name"], entry["primitive_name"], entry["mcei"]) == ("LC", primitive, mcei)
    lc = entry["lc"]
    assert (lc["address"], lc["control"], lc["frame"], lc["channel_name"]) == (
        addr, control, frame, "CS")
    for key, value in extra.items():
        assert lc[key] == value, key
    if lc["more"]:
        assert "nwk_fragment_hex" in entry and "nwk_hex" not in entry
    elif lc["nwk_length"]:
        assert len(bytes.fromhex(entry["nwk_hex"])) == lc["nwk_length"]


@pytest.mark.parametrize(
    ("name", "nwk_type"),
    [("V29", "CC-SETUP"), ("V31", "CC-SETUP-ACK"), ("V33", "CC-CONNECT"), ("V35", "CC-INFO"),
     ("V37", "AUTHENTICATION-REQUEST"), ("V41", "AUTHENTICATION-REPLY"),
     ("V43", "ACCESS-RIGHTS-REQUEST"), ("V47", "CC-RELEASE"), ("V49", "LCE-PAGE-RESPONSE"),
     ("V53", "LOCATE-REQUEST"), ("V75", "KEY-ALLOCATE"), ("V83", "CC-RELEASE-COM"),
     ("V45", "ACCESS-RIGHTS-REQUEST"), ("V81", "ACCESS-RIGHTS-REQUEST"),
     ("V77", "FACILITY"), ("V101", "CISS-REGISTER"), ("V105", "FACILITY"),
     ("A1", "CC-SETUP")],
)
def test_nwk_content_goes_to_dect_nwk(name: str, nwk_type: str) -> None:
    pytest.importorskip("dect.nwk")
    entry = d(name)
    assert entry["nwk"]["type"] == nwk_type, entry.get("nwk_error")
    assert entry["nwk_text"]


def test_a1_signal_byte_sits_in_the_nwk_part() -> None:
    frame = Dnm.decode(vec("A1")).lc_frame()
    assert vec("A1")[35] == 0x40
    assert frame.nwk[35 - 12] == 0x40


@pytest.mark.parametrize(
    ("name", "primitive", "mcei", "fields"),
    [
        ("V85", "MAC_DIS_IND", 0x0B, {"reason": 1, "reason_name": "NORMAL"}),
        ("V89", "HO_IN_PROGRESS_IND", 0x04, {"pmid": 0x27B, "tail": "0201"}),
        ("V91", "HO_IN_PROGRESS_RES", 0x04, {"key": "0000000000000000", "key_id": 255}),
        ("V93", "HO_IN_PROGRESS_RES", 0x05, {"key": "6948547d6b161159", "pad2": "01",
                                             "key_id": 1}),
        ("V95", "MAC_PAGE_REQ", None, {"unknown": 3, "flags": 0x0C, "pp_id": 0x027B}),
        ("V97", "MAC_ENC_EKS_IND", 0x03, {"flag": 2, "key_id": 1, "ppn": 0}),
        ("V99", "HO_FAILED_IND", 0x05, {"reason": 1, "reason_name": "SETUP_FAILED"}),
        ("MAC_CON_IND", "MAC_CON_IND", 0x0B, {"pmid": 0x27B, "handover": False, "tail": "01"}),
        ("MAC_ENC_KEY_REQ", "MAC_ENC_KEY_REQ", 0x03, {"key": "6623c872e3ef8257", "key_id": 1}),
    ],
)
def test_mac_primitives(name: str, primitive: str, mcei: int | None, fields: dict[str, Any]
                        ) -> None:
    entry = d(name)
    assert (entry["layer_name"], entry["primitive_name"], entry["mcei"]) == (
        "MAC", primitive, mcei)
    for key, value in fields.items():
        assert entry["mac"][key] == value, key


def test_lc_dtr_ind_is_empty() -> None:
    entry = d("LC_DTR_IND")
    assert (entry["primitive_name"], entry["mcei"], entry["body"]) == ("LC_DTR_IND", 0x0B, "00")


# -- SYNC ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "sync_name", "fields"),
    [
        ("V55", "0x7d33", {"data": "10000ad00ad00200"}),
        ("V57", "RESET_MAC_IND", {"data": ""}),
        ("V59", "GET_REQ_RSSI_COMP_IND", {}),
        ("V61", "SYSTEM_SEARCH_CFM", {}),
        ("V63", "SYSTEM_SEARCH_CFM", {"rfps": [{"rfpn": 0, "rssi": 65}]}),
        ("V65", "START_MAC_MASTER_IND", {}),
        ("V67", "FREQ_CTRL_MODE_IND", {"mode": 2}),
        ("V69", "START_MAC_SLAVE_MODE_IND", {"rpn": 0}),
        ("V71", "FREQ_CTRL_MODE_CFM", {"mode": 2, "ppm": 2176, "avg": 2176}),
        ("V73", "PHASE_OFS_WITH_RSSI_IND", {"rfps": [
            {"rpn": 0x4C, "offset": -3, "offset_ns": -144, "rssi": 67, "qt_sync_check": 7}]}),
    ],
)
def test_sync(name: str, sync_name: str, fields: dict[str, Any]) -> None:
    entry = d(name)
    assert entry["sync_type_name"] == sync_name
    for key, value in fields.items():
        assert entry[key] == value, key
    assert Sync(entry["sync_type"], bytes.fromhex(entry["data"])).encode() == vec(name)


# -- builders ------------------------------------------------------------------------------------
def test_lc_builders_and_reassembly() -> None:
    nwk = bytes(range(150))
    pieces = fragment_nwk(nwk)
    assert [len(p) for p, _ in pieces] == [63, 63, 24]
    assert [more for _, more in pieces] == [True, True, False]
    reassembler = NwkReassembler()
    results = []
    for ns, (piece, more) in enumerate(pieces):
        frame = LcFrame.i_frame(piece, ns=ns % 2, nr=0, lln=1, command=True, more=more)
        dnm = Dnm.lc_data(c.DnmPrimitive.LC_DATA_REQ, 7, frame)
        again = Dnm.decode(dnm.encode())
        assert again.lc_frame() == frame
        results.append(reassembler.feed(again))
        if ns == 0:  # a retransmission of the first fragment is dropped
            assert reassembler.feed(again) is None
    assert results[:2] == [None, None] and results[2] == (nwk, 3)
    assert LcFrame.s_frame(c.DlcSupervisory.REJ, nr=5, lln=2, poll=True).control == 0xB9
    assert LcFrame.u_frame("DISC", lln=2, command=False, poll=True, nlf=True).to_bytes()[2:4] == (
        bytes([0xA1, 0x53]))
    with pytest.raises(LinkValueError, match="63"):
        LcFrame.i_frame(bytes(64), ns=0, nr=0)


def test_dnm_mcei_rules() -> None:
    with pytest.raises(LinkValueError, match="no MCEI"):
        Dnm(c.DnmLayer.MAC, c.DnmPrimitive.MAC_PAGE_REQ, 3, b"")
    with pytest.raises(LinkValueError, match="needs an MCEI"):
        Dnm(c.DnmLayer.LC, c.DnmPrimitive.LC_DATA_REQ, None, b"\x00")
    short = Dnm.decode(bytes.fromhex("030100027a02"))
    assert short.mcei is None and short.encode() == bytes.fromhex("030100027a02")


# -- framing -------------------------------------------------------------------------------------
def test_reader_splits_a_stream_fed_in_pieces() -> None:
    stream = vec("V11") + vec("V13") + vec("V87")
    reader = MessageReader()
    got = []
    for i in range(0, len(stream), 5):
        reader.feed(stream[i : i + 5])
        got += list(reader)
    assert [m.encode() for m in got] == [vec("V11"), vec("V13"), vec("V87")]
    assert reader.buffered == 0


def test_reader_rejects_a_length_over_the_maximum() -> None:
    reader = MessageReader(max_payload=0x200)
    reader.feed(bytes.fromhex("03010fff"))
    with pytest.raises(LinkProtocolError, match="4095 payload bytes"):
        reader.next_message()


def test_unknown_types_survive_and_bad_payloads_are_reported() -> None:
    odd = bytes.fromhex("0999000301ff02")
    message = LinkMessage.decode(odd)
    assert message.name == "UNKNOWN_0x0999" and message.encode() == odd
    assert parse_message(message) is message
    assert describe(odd)["payload_hex"] == "01ff02"
    bad = describe(bytes.fromhex("0105000201ff"))
    assert bad["name"] == "SYS_HEARTBEAT_INTERVAL" and "4" in bad["error"]
    with pytest.raises(LinkProtocolError):
        split_messages(vec("V11")[:-1])
    with pytest.raises(LinkProtocolError):
        LinkMessage.decode(vec("V11") + b"\0")
