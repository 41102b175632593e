"""The message builders reproduce the captured SIP-DECT traffic of omm-rfp.md §7 octet for octet."""

from __future__ import annotations

import pytest
from test_nwk_vectors import nwk_of

from dect.errors import DectValueError
from dect.identities import Ipei, Ipui, Park, Rfpi, Tpui
from dect.nwk import cc, ciss, clms, coms, decode_message, lce, mm
from dect.nwk.ie import (
    AllocationType,
    AuthType,
    CallingPartyNumber,
    CipherInfo,
    Codec,
    CodecList,
    EscapeToProprietary,
    FeatureActivate,
    FixedIdentity,
    IdentityType,
    LocationArea,
    ModelIdentifier,
    MultiDisplay,
    PortableIdentity,
    RawIE,
    RepeatIndicator,
    Signal,
    TerminalCapability,
    UseTpui,
)
from dect.nwk.messages import NwkMessage, order_ies
from dect.nwk.proprietary import DeTeWeContent, DeTeWeRaw, Language, SiemensContent, SiemensElement
from dect.nwk.tables import IdentityGroup, PortableIdentityType, ProtocolDiscriminator, VariableIe

PARK = Park.parse("1F102AF12C")
IPUI_O = Ipui.o_from_ipei(Ipei.parse("10345 0615703 *"))
G726 = Codec(0x02)
SIEMENS = EscapeToProprietary(
    0x0002,
    SiemensContent(
        (
            SiemensElement(0x06, b"\x10"),
            SiemensElement(0x29, bytes.fromhex("6f7df87d00ff9e803b0214")),
        )
    ),
)


def nwk(name: str) -> bytes:
    return nwk_of(name)[0]


BUILT: list[tuple[str, NwkMessage]] = [
    (
        "A1",
        cc.setup(
            Ipui.o(0x029649CF19, 44),
            PARK,
            signal=0x40,
            calling_party_number=CallingPartyNumber("1000", 0b100, presentation=0),
            codec_list=CodecList((G726,), negotiation=0),
        ),
    ),
    (
        "V29",
        cc.setup(IPUI_O, PARK, extra=[EscapeToProprietary(0x0031, DeTeWeContent((Language(1),)))]),
    ),
    ("V31", cc.setup_ack()),
    ("V33", cc.connect()),
    ("V35", cc.info(display="\x0cLogin failed\x02", ti_flag=True)),
    (
        "V37",
        mm.authentication_request(
            AuthType(0x01, 0x1, 0x8, cipher_key_number=8, upc=True),
            bytes.fromhex("cf0b74164913db20"),
            rs=bytes.fromhex("ad256f18dff1af8d"),
        ),
    ),
    ("V41", mm.authentication_reply(bytes.fromhex("948d45b0"))),
    (
        "V43",
        mm.access_rights_request(
            Ipui.n(Ipei.parse("10345 0615703 *")),
            AuthType(0x01, 0x4, 0x8),
            terminal_capability=TerminalCapability.from_content(
                bytes.fromhex("35151a012006108113000400000090048f")
            ),
            model_identifier=ModelIdentifier(0x0031, 0x41),
            codec_list=CodecList((G726,)),
        ),
    ),
    (
        "V45",
        mm.access_rights_request(
            Ipui.n(Ipei.parse("11601 0148328 *")),
            AuthType(0x01, 0x4, 0x8),
            codec_list=CodecList(
                (Codec(0x03, slot_size=0x1), G726)
            ),  # before the escape: reordered
            terminal_capability=TerminalCapability.from_content(
                bytes.fromhex("25350a003003900200004000409682")
            ),
            extra=[SIEMENS],
        ),
    ),
    ("V47", cc.release(0)),
    ("V49", lce.page_response(IPUI_O, fixed_identity=PARK)),
    (
        "V53",
        mm.locate_request(
            IPUI_O,
            fixed_identity=Rfpi(PARK.ari, 0x25, e=True),
            location_area=LocationArea(31),
            extra=[
                EscapeToProprietary(
                    0x0031, DeTeWeContent((DeTeWeRaw(0x52, b"\x02"), DeTeWeRaw(0x53, b"\x01")))
                )
            ],
        ),
    ),
    (
        "V75",
        mm.key_allocate(
            AllocationType(0x01, 8, 8),
            bytes.fromhex("9e6f24f242c0b13b"),
            bytes.fromhex("9e6f24f242c0253b"),
        ),
    ),
    ("V77", ciss.facility(RawIE(VariableIe.FACILITY, nwk("V77")[4:]), ti=6)),
    ("V83", cc.release_com(extra=[RawIE(0x00)], ti_flag=False)),
    (
        "V101",
        ciss.register(
            Ipei.parse("02914 0376663 7"),
            EscapeToProprietary(
                0x0002,
                SiemensContent(
                    (
                        SiemensElement(0x3B, bytes.fromhex("031904190004101801")),
                        SiemensElement(0x5B, b"\x02"),
                    )
                ),
            ),
            ti=6,
        ),
    ),
    ("V105", ciss.facility(FeatureActivate(0x30), ti=6)),
]


@pytest.mark.parametrize(("name", "message"), BUILT, ids=[b[0] for b in BUILT])
def test_builders_reproduce_captured_messages(name: str, message: NwkMessage) -> None:
    assert message.encode() == nwk(name)
    assert decode_message(nwk(name)) == message


def test_access_rights_accept_lists_parks_after_a_repeat_indicator() -> None:
    other = Park.parse("1F102AF000")
    message = mm.access_rights_accept(
        IPUI_O,
        [PARK, other],
        auth_type=AuthType(0x01, 0x1, 0x8, cipher_key_number=0xF),
        location_area=LocationArea(31),
        ti_flag=True,
    )
    assert message.ies == (
        PortableIdentity(IPUI_O),
        RepeatIndicator(0x1),
        FixedIdentity(PARK),
        FixedIdentity(other),
        LocationArea(31),
        AuthType(0x01, 0x1, 0x8, cipher_key_number=0xF),
    )
    assert message.encode()[:2].hex() == "8545"  # as in EN 300 175-7 Annex K
    single = mm.access_rights_accept(IPUI_O, PARK)
    assert single.ies == (PortableIdentity(IPUI_O), FixedIdentity(PARK))


def test_locate_accept_assigns_a_tpui_or_sends_an_empty_identity() -> None:
    tpui = Tpui.parse("0027B")
    accept = mm.locate_accept(tpui, LocationArea(31), use_tpui=True)
    assert accept.encode().hex() == "8555" + "0505a09400027b" + "07015f" + "a3"
    assert accept.find(UseTpui) == UseTpui()
    empty = mm.locate_accept(None, LocationArea(31))
    assert empty.encode().hex() == "8555" + "0500" + "07015f"
    assert decode_message(empty.encode()).find(PortableIdentity) is None


def test_mm_builders_name_and_order() -> None:
    cases = [
        (mm.access_rights_reject(0x02), "ACCESS-RIGHTS-REJECT", "85476001 02"),
        (mm.authentication_reject(0x10), "AUTHENTICATION-REJECT", "85436001 10"),
        (mm.locate_reject(0x80), "LOCATE-REJECT", "85576001 80"),
        (mm.cipher_request(CipherInfo(True, key_number=8)), "CIPHER-REQUEST", "054c19028198"),
        (mm.cipher_suggest(CipherInfo(True)), "CIPHER-SUGGEST", "054e19028190"),
        (mm.cipher_reject(0x18), "CIPHER-REJECT", "854f600118"),
        (mm.detach(IPUI_O), "DETACH", "0556 0508 80b0 100286996517"),
        (
            mm.temporary_identity_assign(Tpui(0x27B)),
            "TEMPORARY-IDENTITY-ASSIGN",
            "055c0505a09400027b",
        ),
        (mm.temporary_identity_assign_ack(), "TEMPORARY-IDENTITY-ASSIGN-ACK", "855d"),
        (mm.temporary_identity_assign_rej(0x24), "TEMPORARY-IDENTITY-ASSIGN-REJ", "855f600124"),
        (
            mm.access_rights_terminate_request(IPUI_O),
            "ACCESS-RIGHTS-TERMINATE-REQUEST",
            "05480508 80b0100286996517",
        ),
        (mm.access_rights_terminate_accept(), "ACCESS-RIGHTS-TERMINATE-ACCEPT", "8549"),
        (mm.access_rights_terminate_reject(), "ACCESS-RIGHTS-TERMINATE-REJECT", "854b"),
        (mm.mm_info_reject(), "MM-INFO-REJECT", "8553"),
    ]
    for message, name, hex_text in cases:
        assert message.type_name == name
        assert message.encode().hex() == hex_text.replace(" ", "")
        assert decode_message(message.encode()) == message


def test_identity_request_and_reply() -> None:
    ipei_type = IdentityType(IdentityGroup.PORTABLE, PortableIdentityType.IPEI)
    ipui_type = IdentityType(IdentityGroup.PORTABLE, PortableIdentityType.IPUI)
    assert mm.identity_request(ipei_type).encode().hex() == "0558" + "02028090"
    both = mm.identity_request(ipei_type, ipui_type)
    assert both.encode().hex() == "0558" + "d1" + "02028090" + "02028080"
    reply = mm.identity_reply([Ipei(0x0B62, 0x5BF57)])
    assert reply.encode().hex() == "8559" + "050790a800b625bf57"
    assert mm.identity_reply().ies == ()  # no identity at all means "identity reject"


def test_cc_builders_follow_the_table_order() -> None:
    setup = cc.setup(
        IPUI_O,
        PARK,
        display="Hi",
        signal=Signal(0x41),
        sending_complete=True,
        calling_party_number=CallingPartyNumber("100"),
        extra=[EscapeToProprietary(0x0031, DeTeWeContent((Language(2),)))],
    )
    names = [ie.ie_name for ie in setup.ies]
    assert names == [
        "PORTABLE-IDENTITY",
        "FIXED-IDENTITY",
        "BASIC-SERVICE",
        "MULTI-DISPLAY",
        "SIGNAL",
        "CALLING-PARTY-NUMBER",
        "SENDING-COMPLETE",
        "ESCAPE-TO-PROPRIETARY",
    ]
    assert cc.alerting(signal=0x40).encode().hex() == "8301e440"
    assert cc.call_proc().encode().hex() == "8302"
    assert cc.connect_ack().encode().hex() == "030f"
    assert cc.release_com(0x14).encode().hex() == "835ae214"
    assert cc.info(keypad="12", sending_complete=True).encode().hex() == "037b2c023132a1"
    assert cc.setup_ack(delimiter_request=True, display="x").encode().hex() == "830d280178a2"


def test_coms_clms_lce_builders() -> None:
    assert coms.setup(IPUI_O, PARK).type_name == "COMS-SETUP"
    assert coms.info(MultiDisplay("x")).encode().hex() == "077b280178"
    assert coms.ack().encode().hex() == "8778"
    assert coms.connect().encode().hex() == "8707"
    assert coms.notify().encode().hex() == "0708"
    assert coms.release(0).encode().hex() == "074de200"
    assert coms.release_com().encode().hex() == "875a"
    assert clms.variable(Tpui(0xCC123)).encode().hex() == "06010505a0940cc123"
    assert ciss.release_com(0).encode().hex() == "845ae200"
    reject = lce.page_reject(IPUI_O, 0x21)
    assert reject.encode().hex() == "80720508" + "80b0100286996517" + "600121"
    assert reject.pd is ProtocolDiscriminator.LCE


def test_order_leaves_shifted_lists_alone_and_keeps_announcements() -> None:
    assert order_ies([Signal(1), PortableIdentity(IPUI_O)]) == (PortableIdentity(IPUI_O), Signal(1))
    segmented = RawIE(VariableIe.SEGMENTED_INFO, b"\x81\x77")
    iwu = RawIE(VariableIe.IWU_TO_IWU, b"\x80")
    assert order_ies([iwu, segmented, iwu, PortableIdentity(IPUI_O)]) == (
        PortableIdentity(IPUI_O),
        iwu,
        segmented,
        iwu,
    )


def test_builders_reject_bad_values_with_a_named_field() -> None:
    with pytest.raises(DectValueError, match="MULTI-DISPLAY"):
        cc.info(display="\u20ac")
    with pytest.raises(DectValueError, match="REJECT-REASON"):
        mm.locate_reject(256)
    with pytest.raises(DectValueError, match="AUTH-TYPE default cipher key index"):
        AuthType(0x01, 0x1, 0x8, default=True)
    with pytest.raises(DectValueError, match="lacks"):
        mm.locate_reject().require(PortableIdentity)


def test_terminal_capability_build() -> None:
    capability = TerminalCapability.build(
        display=0x5,
        tone=0x3,
        profile_indicators=(0x13, 0, 0x04, 0, 0, 0, 0x10),
        control_codes=4,
        dsc2=True,
    )
    assert capability.content().hex() == "b5" + "13000400000090" + "a4"
    assert capability.display_capability == 5 and capability.tone_capability == 3
    assert capability.supports_rekeying_early_encryption and capability.dsc2_supported
    assert not capability.dsaa2_supported
    assert TerminalCapability.from_content(capability.content()) == capability
    assert TerminalCapability.build(display=1, tone=1).groups == (b"\x91",)
