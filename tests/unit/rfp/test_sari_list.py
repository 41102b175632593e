"""SARI_LIST_REQ (omm-rfp.md §3.6, mom.md §3.1): the SARIs an OMM gives its RFPs to broadcast."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dect.identities import AccessRightsClass, Ari
from sipdect.link import constants as c
from sipdect.link import describe
from sipdect.link.dnm import Dnm, Element, sari_list, sari_list_req
from sipdect.link.errors import LinkProtocolError, LinkValueError

CAPTURED = bytes.fromhex("0301000878050504102af12c")
"""rfpproxy's CanDecodeRfpSariListReq: one SARI, the OMM's own PARI 102af12c."""


def test_the_captured_sari_list_decodes_and_encodes_byte_for_byte() -> None:
    dnm = Dnm.decode(CAPTURED)
    assert dnm.primitive == c.RfpcPrimitive.SARI_LIST_REQ
    assert sari_list(dnm) == (Ari.parse("102AF12C"),)
    assert sari_list_req([Ari.parse("102AF12C")]).encode() == CAPTURED
    element = describe(CAPTURED)["elements"][0]
    assert (element["key_name"], element["ari"]) == ("SARI", "102AF12C")


def test_an_empty_list_clears_the_broadcast() -> None:
    assert sari_list(sari_list_req([])) == ()


def test_class_a_cannot_be_a_sari() -> None:
    with pytest.raises(LinkValueError, match="class B, C or D"):
        sari_list_req([Ari.class_a(0x1234, 5)])


@pytest.mark.parametrize("value", [b"\x10\x2a\xf1", b"\x90\x2a\xf1\x2c", b"\x40\x00\x00\x01"])
def test_a_bad_sari_element_is_a_protocol_error(value: bytes) -> None:
    dnm = Dnm.rfpc(c.RfpcPrimitive.SARI_LIST_REQ, [Element(c.RfpcKey.SARI, value)])
    with pytest.raises(LinkProtocolError):
        sari_list(dnm)


def test_only_a_sari_list_req_has_a_sari_list() -> None:
    with pytest.raises(LinkProtocolError, match="no SARI_LIST_REQ"):
        sari_list(Dnm.rfpc(c.RfpcPrimitive.INIT_REQ))


_SARI_ARIS = st.builds(
    lambda arc, ard: Ari(arc, ard),
    st.sampled_from([AccessRightsClass.B, AccessRightsClass.C, AccessRightsClass.D]),
    st.integers(0, (1 << 28) - 1),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_SARI_ARIS, max_size=10))
def test_sari_lists_round_trip(saris: list[Ari]) -> None:
    dnm = sari_list_req(saris)
    assert sari_list(Dnm.decode(dnm.encode())) == tuple(saris)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_junk_in_a_sari_list_raises_only_the_link_error(body: bytes) -> None:
    dnm = Dnm(c.DnmLayer.RFPC, c.RfpcPrimitive.SARI_LIST_REQ, None, body)
    try:
        sari_list(dnm)
    except LinkProtocolError:
        pass
    describe(dnm.encode())
