"""Every omm-rfp.md §7 vector that carries NWK content, decoded and re-encoded byte for byte.

The vectors are DNM LC_DATA frames (omm-rfp.md §4.9); the NWK octets are the L octets after
the length indicator at frame offset 11. Also the EN 300 175-7 Annex K messages quoted in
dect-security.md §3.4.
"""

from __future__ import annotations

import datetime

import pytest

from dect.errors import DectDecodeError
from dect.identities import AccessRightsClass, Ipei, Ipui, Park, PortableUserType, Rfpi
from dect.nwk import decode_message, mm
from dect.nwk.ie import (
    AllocationType,
    AuthType,
    BasicService,
    CallingPartyNumber,
    CodecList,
    EscapeToProprietary,
    FeatureActivate,
    FixedIdentity,
    IwuToIwu,
    LocationArea,
    ModelIdentifier,
    MultiDisplay,
    PortableIdentity,
    Rand,
    RawIE,
    ReleaseReason,
    Res,
    Rs,
    Signal,
    TerminalCapability,
    decode_ies,
)
from dect.nwk.messages import NwkMessage
from dect.nwk.proprietary import (
    DateTime,
    DeTeWeContent,
    DeTeWeRaw,
    HomeScreenText,
    Language,
    SiemensContent,
    decode_content,
    decode_detewe_element,
)
from dect.nwk.tables import (
    CcMessageType,
    CissMessageType,
    LceMessageType,
    MmMessageType,
    ProtocolDiscriminator,
    VariableIe,
)

VECTORS = {
    "A1": "0301002e79050810291320990305050880b010029649cf190606a0a0102af12ce080e4406c064080313030307c0480020084",  # noqa: E501
    "V29": "0301002679060c00212102790305050880b01002869965170606a0a0102af12ce0807b06810031160101",
    "V31": "0301000a7905061005234009830d",
    "V33": "0301000a79050610052344098307",
    "V35": "0301001a79050e0015132049837b280e0c4c6f67696e206661696c656402",
    "V37": "03010023790506001e234a6d05400a030118180c08cf0b74164913db200e08ad256f18dff1af8d",
    "V39": "0301004779050500422342ff23232323231c03534f531c074d414e444f574e630100451f900d506f43207a6976696c6c69616e0a4556454e5450484f4e4504343530320d003b0200002308",  # noqa: E501
    "V41": "03010012790608000d21c42185410d04948d45b0f0f0",
    "V43": "0301003a79060000351102b90544050780a802869965170a03014800631135151a012006108113000400000090048f78030031417c0490020084f0f0f0f0",  # noqa: E501
    "V45": "0301004779060400421102fd0544050780a802d51243680a03014800630f25350a0030039002000040004096827b13810002060110290b6f7df87d00ff9e803b02147c0790030001020084",  # noqa: E501
    "V47": "0301000d7906090008210011034de200f0",
    "V49": "0301001c7906090017a110510071050880b01002869965170606a0a0102af12c",
    "V51": "0301004979060900442124ff4e474d414353464532300009372e302e5350313100007b2881003101027f0111095a380c050f7c7d77af160101550380480064010454010e62060030421fa9f0f0",  # noqa: E501
    "V53": "0301002b79060e002621028d0554050880b0100286996517060781a8902af12c2507015f7b09810031520102530101",  # noqa: E501
    "V75": "0301002279050a101d13006905420b0201880c089e6f24f242c0b13b0e089e6f24f242c0253b",
    "V77": "0301002c790501002713229164621c2091a11d02013706060400856901033010a10480023830a2030a0101a303020100",  # noqa: E501
    "V81": "0301003a79060100351102c10544050780a802d51243680a0301480063092535080030039082827b13810002060110290b6f7df87d00ff9e803b0214f0f0",  # noqa: E501
    "V83": "0301000d79060d0008210a11035a0000f0",
    "V101": "0301002679060100211102796464050790a800b625bf577b118100023b090319041900041018015b0102",
    "V105": "0301000d790606000811221564623801b0",
    "V107": "0301004979060200442102ff0554050880b01000e02cf8b3060781a8102af12c2c07015f631135151a012006648113000400000090048f78030031417c0490020084771dc081009401170bf0f0",  # noqa: E501
}
FRAGMENTS = {"V39", "V51", "V107"}

PARK = Park.parse("1F102AF12C")
IPUI_O = Ipui.o_from_ipei(Ipei.parse("10345 0615703 *"))


def nwk_of(name: str) -> tuple[bytes, bool]:
    """The NWK octets of an LC_DATA frame and its M (more fragments) bit."""
    frame = bytes.fromhex(VECTORS[name])
    assert frame[:2] == b"\x03\x01" and frame[4] == 0x79  # DNM, layer LC
    li = frame[11]
    assert li & 1  # N = 1, no extended length
    return frame[12 : 12 + (li >> 2)], bool(li & 2)


def decoded(name: str) -> NwkMessage:
    nwk, more = nwk_of(name)
    assert not more
    message = decode_message(nwk)
    assert message.encode() == nwk
    return message


@pytest.mark.parametrize("name", sorted(set(VECTORS) - FRAGMENTS))
def test_every_complete_vector_round_trips(name: str) -> None:
    message = decoded(name)
    assert not message.type_name.startswith("UNKNOWN")
    assert message.to_json()["type"] == message.type_name
    assert message.describe().splitlines()[0].endswith(message.type_name)


def test_a1_cc_setup_with_avm_signal() -> None:
    m = decoded("A1")
    assert (m.pd, m.message_type, m.ti, m.ti_flag) == (
        ProtocolDiscriminator.CC,
        CcMessageType.CC_SETUP,
        0,
        False,
    )
    identity = m.require(PortableIdentity).identity
    assert isinstance(identity, Ipui) and identity.put is PortableUserType.O
    assert str(identity) == "O:0029649CF19"
    assert m.require(FixedIdentity).identity == PARK
    assert m.require(BasicService) == BasicService(0x8, 0x0)
    assert m.require(Signal) == Signal(0x40)  # alerting pattern 0
    assert m.require(CallingPartyNumber) == CallingPartyNumber("1000", 0b100, 0, presentation=0)
    assert m.require(CodecList).codecs[0].codec == 0x02
    # The AVM workaround of AVM.Test: SIGNAL 0x40 -> 0x41 at frame byte 35
    patched = NwkMessage(
        m.pd, m.message_type, tuple(Signal(0x41) if isinstance(ie, Signal) else ie for ie in m.ies)
    )
    frame = bytearray.fromhex(VECTORS["A1"])
    frame[35] = 0x41
    assert bytes(frame[12:]) == patched.encode()


def test_v29_cc_setup_with_detewe_language() -> None:
    m = decoded("V29")
    assert m.type_name == "CC-SETUP"
    assert m.require(PortableIdentity).identity == IPUI_O
    assert m.require(FixedIdentity).identity == PARK
    escape = m.require(EscapeToProprietary)
    assert escape.emc == 0x0031
    assert escape.proprietary == DeTeWeContent((Language(0x01),))


@pytest.mark.parametrize(
    ("name", "mtype"), [("V31", CcMessageType.CC_SETUP_ACK), ("V33", CcMessageType.CC_CONNECT)]
)
def test_bare_cc_replies(name: str, mtype: CcMessageType) -> None:
    m = decoded(name)
    assert (m.pd, m.message_type, m.ti_flag, m.ies) == (ProtocolDiscriminator.CC, mtype, True, ())


def test_v35_cc_info_display() -> None:
    m = decoded("V35")
    assert m.type_name == "CC-INFO" and m.ti_flag
    assert m.ies == (MultiDisplay("\x0cLogin failed\x02"),)
    assert '"\\fLogin failed\\u0002"' in m.describe()


def test_v37_authentication_request() -> None:
    m = decoded("V37")
    assert m.type_name == "AUTHENTICATION-REQUEST"
    assert m.ies == (
        AuthType(algorithm=0x01, key_type=0x1, key_number=8, cipher_key_number=8, upc=True),
        Rand(bytes.fromhex("cf0b74164913db20")),
        Rs(bytes.fromhex("ad256f18dff1af8d")),
    )


def test_v41_authentication_reply() -> None:
    m = decoded("V41")
    assert (m.type_name, m.ti_flag) == ("AUTHENTICATION-REPLY", True)
    assert m.ies == (Res(bytes.fromhex("948d45b0")),)


def test_v43_access_rights_request() -> None:
    m = decoded("V43")
    assert m.type_name == "ACCESS-RIGHTS-REQUEST"
    identity = m.require(PortableIdentity).identity
    assert isinstance(identity, Ipui) and identity.ipei == Ipei.parse("10345 0615703 *")
    assert m.require(AuthType) == AuthType(0x01, 0x4, 0x8)  # DSAA, AC, IPUI/PARK #0
    capability = m.require(TerminalCapability)
    assert capability.content().hex() == "35151a012006108113000400000090048f"
    assert capability.display_capability == 0x5 and capability.tone_capability == 0x3
    assert capability.supports_rekeying_early_encryption
    assert m.require(ModelIdentifier) == ModelIdentifier(0x0031, 65)
    assert m.require(CodecList).content().hex() == "90020084"


@pytest.mark.parametrize("name", ["V45", "V81"])
def test_siemens_access_rights_requests(name: str) -> None:
    m = decoded(name)
    assert m.type_name == "ACCESS-RIGHTS-REQUEST"
    identity = m.require(PortableIdentity).identity
    assert isinstance(identity, Ipui) and str(identity.ipei) == "11601 0148328 *"
    escape = m.require(EscapeToProprietary)
    assert escape.emc == 0x0002
    assert isinstance(escape.proprietary, SiemensContent)
    assert [(e.element_type, e.data.hex()) for e in escape.proprietary.elements] == [
        (0x06, "10"),
        (0x29, "6f7df87d00ff9e803b0214"),
    ]


def test_v47_cc_release_normal() -> None:
    m = decoded("V47")
    assert (m.type_name, m.ies) == ("CC-RELEASE", (ReleaseReason(0x00),))


def test_v49_lce_page_response() -> None:
    m = decoded("V49")
    assert (m.pd, m.message_type) == (ProtocolDiscriminator.LCE, LceMessageType.LCE_PAGE_RESPONSE)
    assert m.ies == (PortableIdentity(IPUI_O), FixedIdentity(PARK))


def test_v53_locate_request() -> None:
    m = decoded("V53")
    assert m.message_type == MmMessageType.LOCATE_REQUEST
    assert m.require(PortableIdentity).identity == IPUI_O
    rfpi = m.require(FixedIdentity).identity
    assert isinstance(rfpi, Rfpi) and str(rfpi) == "902AF12C25" and rfpi.e
    assert m.require(LocationArea) == LocationArea(31)
    escape = m.require(EscapeToProprietary)
    assert escape.proprietary == DeTeWeContent((DeTeWeRaw(0x52, b"\x02"), DeTeWeRaw(0x53, b"\x01")))


def test_v75_key_allocate() -> None:
    m = decoded("V75")
    assert m.ies == (
        AllocationType(0x01, 8, 8),
        Rand(bytes.fromhex("9e6f24f242c0b13b")),
        Rs(bytes.fromhex("9e6f24f242c0253b")),
    )


def test_v77_ciss_facility_keeps_rose_components() -> None:
    m = decoded("V77")
    assert (m.pd, m.message_type, m.ti) == (ProtocolDiscriminator.CISS, CissMessageType.FACILITY, 6)
    assert m.ies == (RawIE(VariableIe.FACILITY, bytes.fromhex(VECTORS["V77"][32:])),)
    assert m.ies[0].ie_name == "FACILITY"


def test_v83_release_com_with_an_empty_reserved_element() -> None:
    m = decoded("V83")
    assert m.type_name == "CC-RELEASE-COM"
    assert m.ies == (RawIE(0x00, b""),)


def test_v101_ciss_register_with_siemens_time() -> None:
    m = decoded("V101")
    assert m.type_name == "CISS-REGISTER" and m.ti == 6
    identity = m.require(PortableIdentity).identity
    assert isinstance(identity, Ipei) and str(identity) == "02914 0376663 7"
    escape = m.require(EscapeToProprietary)
    assert isinstance(escape.proprietary, SiemensContent)
    assert [e.to_json()["type"] for e in escape.proprietary.elements] == [
        "TIME-DATE",
        "CISS-REQUEST-SEQUENCE",
    ]


def test_v105_feature_activate() -> None:
    m = decoded("V105")
    assert m.ies == (FeatureActivate(0x30),)


def test_v107_first_fragment() -> None:
    nwk, more = nwk_of("V107")
    assert more and len(nwk) == 63
    with pytest.raises(DectDecodeError, match="IWU-TO-IWU"):
        decode_message(nwk)
    cut = nwk.index(bytes.fromhex("771d"))
    ies = decode_ies(nwk[2:cut])
    assert [ie.ie_name for ie in ies] == [
        "PORTABLE-IDENTITY",
        "FIXED-IDENTITY",
        "LOCATION-AREA",
        "TERMINAL-CAPABILITY",
        "MODEL-IDENTIFIER",
        "CODEC-LIST",
    ]
    assert ies[0] == PortableIdentity(Ipui.o_from_ipei(Ipei(0x0E02, 0xCF8B3)))
    assert ies[1] == FixedIdentity(Rfpi(PARK.ari, 0x2C))
    # the IWU-TO-IWU (send, user specific, EMC 0x0094 Aastra, element 0x01 firmware) runs on
    # into the next fragment
    assert nwk[cut + 2 : cut + 7].hex() == "c081009401"


def test_v39_middle_fragment_detewe_elements() -> None:
    nwk, more = nwk_of("V39")
    assert more
    start = nwk.index(bytes.fromhex("1c03"))
    end = nwk.index(bytes.fromhex("2308"))  # DATE-TIME, cut off by the fragment end
    content = decode_content(0x0031, nwk[start:end])
    assert isinstance(content, DeTeWeContent)
    assert content.elements[0] == DeTeWeRaw(0x1C, b"SOS")
    assert content.elements[1] == DeTeWeRaw(0x1C, b"MANDOWN")
    assert content.elements[3] == HomeScreenText(("PoC zivillian", "EVENTPHONE", "4502"))
    assert content.encode() == nwk[start:end]


def test_v51_middle_fragment_escape_to_proprietary() -> None:
    nwk, more = nwk_of("V51")
    assert more
    start = nwk.index(bytes.fromhex("7b28"))
    with pytest.raises(DectDecodeError, match="ESCAPE-TO-PROPRIETARY"):
        decode_ies(nwk[start:])
    body = nwk[start + 5 : nwk.index(bytes.fromhex("6206"))]  # after 7b 28 81 0031
    content = decode_content(0x0031, body)
    assert isinstance(content, DeTeWeContent)
    assert [e.type_code for e in content.elements] == [0x01, 0x11, 0x16, 0x55, 0x64, 0x54]
    assert content.elements[2] == Language(0x01)
    assert (
        decode_detewe_element(0x62, bytes.fromhex("0030421fa9ff")).to_json()["address"]
        == "00:30:42:1f:a9:ff"
    )


def test_an_invalid_pd_is_rejected() -> None:
    # V106 (kept back) is nibble-shifted so that its PD reads 14: "invalid PD 14"
    with pytest.raises(DectDecodeError, match="invalid PD 14"):
        decode_message(bytes.fromhex("0e54"))
    for pd in (1, 2, 8, 15):
        with pytest.raises(DectDecodeError, match="invalid PD"):
            decode_message(bytes([pd, 0x00]))


# --- EN 300 175-7 Annex K (dect-security.md §3.4) -------------------------------------------

ANNEX_K_IPUI = Ipui.from_identity_value(bytes.fromhex("0004ffffff"), 40)
ANNEX_K = [
    (
        "05440507 80a80004ffffff 0a03014800",
        mm.access_rights_request(ANNEX_K_IPUI, AuthType(0x01, 0x4, 0x8)),
    ),
    (
        "0542 0b020188 0c08d01ff9e211680421 0e080000000000000000",
        mm.key_allocate(AllocationType(0x01, 8, 8), bytes.fromhex("d01ff9e211680421"), bytes(8)),
    ),
    (
        "8540 0a03014800 0c08a03ff2c523d00842 0d04f28cf911",
        mm.authentication_request(
            AuthType(0x01, 0x4, 0x8),
            bytes.fromhex("a03ff2c523d00842"),
            res=bytes.fromhex("f28cf911"),
            ti_flag=True,
        ),
    ),
    ("0541 0d04eeba4db9", mm.authentication_reply(bytes.fromhex("eeba4db9"), ti_flag=False)),
    (
        "0540 0a03011818 0c089b114f2554518859 0e080000000000000000",
        mm.authentication_request(
            AuthType(0x01, 0x1, 0x8, cipher_key_number=8, upc=True),
            bytes.fromhex("9b114f2554518859"),
            rs=bytes(8),
        ),
    ),
    ("8541 0d04961b3a9f", mm.authentication_reply(bytes.fromhex("961b3a9f"))),
]


@pytest.mark.parametrize(("hex_text", "built"), ANNEX_K)
def test_annex_k_messages_decode_and_build(hex_text: str, built: NwkMessage) -> None:
    data = bytes.fromhex(hex_text.replace(" ", ""))
    assert decode_message(data) == built
    assert built.encode() == data


def test_annex_k_access_rights_accept_auth_type() -> None:
    (auth,) = decode_ies(bytes.fromhex("0a0301180f"))
    assert auth == AuthType(0x01, 0x1, 0x8, cipher_key_number=0xF)
    assert ANNEX_K_IPUI.ipei == Ipei(0x004F, 0xFFFFF)


def test_iwu_to_iwu_with_detewe_content() -> None:
    ie = IwuToIwu.user_specific(0x0031, DeTeWeContent((Language(2),)))
    assert ie.encode().hex() == "7707c081003116 0102".replace(" ", "")
    (back,) = decode_ies(ie.encode())
    assert back == ie
    assert back.proprietary == (0x0031, DeTeWeContent((Language(2),)))


def test_detewe_date_time_in_an_escape() -> None:
    stamp = datetime.datetime(2019, 3, 11, 21, 50)
    ie = EscapeToProprietary(0x0031, DeTeWeContent((DateTime(stamp),)))
    assert ie.encode().hex() == "7b0d810031" + "2308c019031121500000"
    assert decode_ies(ie.encode()) == (ie,)
    assert PARK.ari.arc is AccessRightsClass.B
