"""DECT identities: known answers from EN 300 175-6, axi.md and omm-rfp.md, and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dect.errors import DectValueError
from dect.identities import (
    AccessRightsClass,
    Ari,
    Ipei,
    Ipui,
    Park,
    PortableUserType,
    Rfpi,
    Sari,
    Tpui,
    TpuiKind,
    ipei_check_digit,
)

# --- IPEI ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "emc", "psn"),
    [
        ("03074 0220259 3", 3074, 220259),  # axi.md GetPPDevByIPEI sample
        ("00012 0000137 9", 12, 137),  # EN 300 175-6 Annex C example
        ("02914 0376663 7", 2914, 376663),  # omm-rfp.md V101
        ("10345 0615703 *", 10345, 615703),  # V43: check value 10 prints as '*'
        ("11601 0148328 *", 11601, 148328),  # V45 / V81
    ],
)
def test_ipei_known_answers(text: str, emc: int, psn: int) -> None:
    ipei = Ipei.parse(text)
    assert (ipei.emc, ipei.psn) == (emc, psn)
    assert str(ipei) == ipei.omm_form() == text
    assert ipei.compact_form() == text.replace(" ", "")
    assert Ipei.parse(ipei.compact_form()) == ipei


def test_ipei_annex_c_bit_string() -> None:
    # 0000 0000 0000 1100 | 0000 0000 0000 1000 1001 -> 00012 0000137 9
    assert Ipei.from_int(0b0000_0000_0000_1100_0000_0000_0000_1000_1001) == Ipei(12, 137)
    assert ipei_check_digit(12, 137) == "9"


def test_ipei_bytes_are_the_ipui_n_identity_value() -> None:
    ipei = Ipei.parse("10345 0615703 *")
    assert ipei.to_bytes().hex() == "0286996517"
    assert Ipei.from_bytes(bytes.fromhex("0286996517")) == ipei
    assert Ipui.n(ipei).identity_value().hex() == "0286996517"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("03074 0220259 4", "check digit"),
        ("0307402202594", "check digit"),
        ("03074 0220259", "expected"),
        ("3074 0220259 3", "expected"),
        ("99999 0220259 3", "EMC"),
        ("03074 9999999 3", "PSN"),
        ("03074-0220259-3", "expected"),
    ],
)
def test_ipei_rejects_with_the_field_named(text: str, field: str) -> None:
    with pytest.raises(DectValueError, match=field):
        Ipei.parse(text)
    assert issubclass(DectValueError, ValueError)


def test_ipei_fields_are_range_checked() -> None:
    with pytest.raises(DectValueError, match="EMC"):
        Ipei(0x10000, 0)
    with pytest.raises(DectValueError, match="PSN"):
        Ipei(0, 1 << 20)


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFFF))
def test_ipei_text_and_bytes_round_trip(emc: int, psn: int) -> None:
    ipei = Ipei(emc, psn)
    assert Ipei.parse(str(ipei)) == ipei
    assert Ipei.parse(ipei.compact_form()) == ipei
    assert Ipei.from_bytes(ipei.to_bytes()) == ipei


# --- IPUI ------------------------------------------------------------------------------------


def test_ipui_o_as_the_omm_assigns_it() -> None:
    # V29/V49/V53: PORTABLE-IDENTITY 80 b0 1002869965 17, the IPUI-O of IPEI 10345 0615703 *
    ipui = Ipui.o_from_ipei(Ipei.parse("10345 0615703 *"))
    assert ipui.put is PortableUserType.O and ipui.pun_bits == 44
    assert ipui.bits == 48
    assert ipui.identity_value().hex() == "100286996517"
    assert Ipui.from_identity_value(bytes.fromhex("100286996517"), 48) == ipui
    assert str(ipui) == "O:00286996517"


def test_ipui_n_carries_the_ipei() -> None:
    ipui = Ipui.from_identity_value(bytes.fromhex("0004ffffff"), 40)  # EN 300 175-7 Annex K
    assert ipui.put is PortableUserType.N
    assert ipui.ipei == Ipei(0x004F, 0xFFFFF)
    assert Ipui.parse(str(ipui)) == ipui
    assert Ipui.parse("00079 1048575 " + ipui.ipei.check_digit) == ipui


def test_ipui_bcd_types_fill_with_1111() -> None:
    even = Ipui.bcd(PortableUserType.S, "49301234")  # 4 + 32 bits: last nibble is filler
    assert even.identity_value().hex() == "549301234f"
    assert Ipui.from_identity_value(bytes.fromhex("549301234f"), 36) == even
    odd = Ipui.bcd(PortableUserType.R, "262011234567890")
    assert odd.identity_value().hex() == "4262011234567890"
    assert odd.digits == "262011234567890"
    with pytest.raises(DectValueError, match="unused bits"):
        Ipui.from_identity_value(bytes.fromhex("5493012340"), 36)
    with pytest.raises(DectValueError, match="BCD"):
        Ipui(PortableUserType.S, 0xA, 4)


@pytest.mark.parametrize(
    ("put", "pun", "bits", "field"),
    [
        (PortableUserType.N, 0, 35, "IPUI-N length"),
        (PortableUserType.O, 0, 61, "IPUI-O length"),
        (PortableUserType.O, 8, 3, "IPUI-O number"),
        (PortableUserType.T, 0, 15, "IPUI-T length"),
    ],
)
def test_ipui_rejects(put: PortableUserType, pun: int, bits: int, field: str) -> None:
    with pytest.raises(DectValueError, match=field):
        Ipui(put, pun, bits)


@st.composite
def ipuis(draw: st.DrawFn) -> Ipui:
    put = draw(st.sampled_from(PortableUserType))
    if put is PortableUserType.N:
        return Ipui.n(Ipei(draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFFF))))
    if put in (PortableUserType.O, PortableUserType.P):
        bits = draw(st.integers(0, 60 if put is PortableUserType.O else 96))
        return Ipui(put, draw(st.integers(0, (1 << bits) - 1)), bits)
    head_bits = 16 if put is PortableUserType.T else 0
    limit = {PortableUserType.Q: 20, PortableUserType.U: 20, PortableUserType.T: 11}.get(put, 15)
    digits = draw(st.text("0123456789", max_size=limit))
    head = draw(st.integers(0, 0xFFFF)) if head_bits else 0
    value = (head << (4 * len(digits))) | (int(digits, 16) if digits else 0)
    return Ipui(put, value, head_bits + 4 * len(digits))


@given(ipuis())
def test_ipui_round_trips(ipui: Ipui) -> None:
    assert Ipui.parse(str(ipui)) == ipui
    assert Ipui.from_identity_value(ipui.identity_value(), ipui.bits) == ipui


# --- ARI, PARK, RFPI, SARI -------------------------------------------------------------------


def test_sip_dect_park_printed_form() -> None:
    # axi.md GetLicenseResp park="1F102AF12C"; FIXED-IDENTITY a0 a0 102af12c in V29/V49/A1
    park = Park.parse("1F102AF12C")
    assert park.pli == 31
    assert park.ari.arc is AccessRightsClass.B
    assert park.ari.code == 0x02AF and park.ari.fpn == 0x12C
    assert str(park) == "1F102AF12C"
    assert park.identity_value().hex() == "102af12c"
    assert Park.from_identity_value(bytes.fromhex("102af12c"), 32) == park


def test_rfpi_of_the_rfpc_init_request() -> None:
    # V1: RFPI 102af12c26 (SARI no, class B, RPN 38), same PARI as the PARK above
    rfpi = Rfpi.from_bytes(bytes.fromhex("102af12c26"))
    assert (rfpi.e, rfpi.ari.arc, rfpi.rpn) == (False, AccessRightsClass.B, 38)
    assert Park.parse("1F102AF12C").includes(rfpi.ari)
    assert str(rfpi) == "102AF12C26"
    assert rfpi.fmid == 0xC26
    # V53: the PP copies an RFPI with the E bit set into FIXED-IDENTITY ARI + RPN
    assert Rfpi.parse("902af12c25") == Rfpi(rfpi.ari, 0x25, e=True)


def test_park_length_indicator_masks_the_ard() -> None:
    ari = Ari.class_b(0x02AF, 0x12C)
    park = Park.from_ari(ari, 19)
    assert park.ari == Ari.class_b(0x02AF, 0)
    assert park.includes(ari) and park.includes(Ari.class_b(0x02AF, 0x001))
    assert not park.includes(Ari.class_b(0x02AE, 0x12C))
    assert park.identity_value().hex() == "102af0"
    with pytest.raises(DectValueError, match="after the first 19"):
        Park(ari, 19)
    with pytest.raises(DectValueError, match="length indicator"):
        Park(ari, 32)


def test_ari_classes() -> None:
    a = Ari.class_a(0x1234, 0x1ABCD)
    assert (a.bits, a.code, a.fpn) == (36, 0x1234, 0x1ABCD)
    rfpi = Rfpi(a, 5)
    assert Rfpi.from_int(rfpi.to_int()) == rfpi
    assert Ari.class_e(42).fpn == 42 and Ari.class_e(42).code == 0x5555
    assert Ari.class_d(0x26201, 7).code == 0x26201
    with pytest.raises(DectValueError, match="reserved"):
        Ari(AccessRightsClass.F, 0)
    with pytest.raises(DectValueError, match="RPN"):
        Rfpi(a, 8)
    with pytest.raises(DectValueError, match="decimal"):
        _ = Ari(AccessRightsClass.E, 0x5555ABC).fpn


@st.composite
def aris(draw: st.DrawFn) -> Ari:
    arc = draw(
        st.sampled_from(
            [
                AccessRightsClass.A,
                AccessRightsClass.B,
                AccessRightsClass.C,
                AccessRightsClass.D,
                AccessRightsClass.E,
            ]
        )
    )
    if arc is AccessRightsClass.E:
        return Ari.class_e(draw(st.integers(0, 999)))
    bits = 33 if arc is AccessRightsClass.A else 28
    return Ari(arc, draw(st.integers(0, (1 << bits) - 1)))


@given(aris(), st.data())
def test_ari_park_rfpi_round_trip(ari: Ari, data: st.DataObject) -> None:
    assert Ari.parse(str(ari)) == ari
    park = Park.from_ari(ari, data.draw(st.integers(3, ari.bits)))
    assert Park.parse(str(park)) == park
    assert Park.from_identity_value(park.identity_value(), 1 + park.pli) == park
    rpn = data.draw(st.integers(0, 7 if ari.arc is AccessRightsClass.A else 255))
    rfpi = Rfpi(ari, rpn, data.draw(st.booleans()))
    assert Rfpi.from_bytes(rfpi.to_bytes()) == rfpi
    assert Rfpi.parse(str(rfpi)) == rfpi


@given(st.integers(0, (1 << 36) - 1))
def test_sari_round_trip(value: int) -> None:
    try:
        sari = Sari.from_int(value)
    except DectValueError:
        return  # class A, E-H ARIs cannot be SARIs
    assert sari.to_int() == value
    assert sari.list_length in range(2, 17, 2)


def test_sari_fields() -> None:
    ari = Ari.class_c(0x1234, 0x567)
    sari = Sari(ari, 6, tari=True)
    assert sari.to_int() >> 33 == 0b010
    assert Sari.from_int(sari.to_int()) == sari
    with pytest.raises(DectValueError, match="class"):
        Sari(Ari.class_e(1), 2)


# --- TPUI ------------------------------------------------------------------------------------


def test_tpui_assigned_by_the_omm() -> None:
    # V40/V89/V95: the OMM assigns TPUI 0027b, which is also the PMID
    tpui = Tpui.parse("0027B")
    assert tpui.kind is TpuiKind.ASSIGNED_INDIVIDUAL
    assert tpui.to_bytes().hex() == "00027b"
    assert Tpui.from_bytes(bytes.fromhex("00027b")) == tpui


def test_default_individual_tpui_from_the_ipui() -> None:
    ipui = Ipui.o_from_ipei(Ipei.parse("10345 0615703 *"))
    tpui = Tpui.default_individual(ipui)
    assert str(tpui) == "E6517"
    assert tpui.kind is TpuiKind.DEFAULT_INDIVIDUAL
    assert Tpui.emergency(ipui).value == 0xF1517
    assert Tpui.emergency(ipui).kind is TpuiKind.EMERGENCY


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (0xB9999, TpuiKind.ASSIGNED_INDIVIDUAL),
        (0xCC123, TpuiKind.CONNECTIONLESS_GROUP),
        (0xDD123, TpuiKind.CALL_GROUP),
        (0xEF123, TpuiKind.DEFAULT_INDIVIDUAL),
        (0xF0F0F, TpuiKind.NOT_AVAILABLE),
        (0xF2000, TpuiKind.RESERVED),
        (0x0C000, TpuiKind.RESERVED),
    ],
)
def test_tpui_kinds(value: int, kind: TpuiKind) -> None:
    assert Tpui(value).kind is kind
    assert Tpui.parse(str(Tpui(value))) == Tpui(value)
