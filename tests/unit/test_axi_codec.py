"""AXI codec with plain bytes: framing, parsing, rendering (axi.md §1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipdect.axi.codec import (
    AxiSyntaxError,
    FrameDecoder,
    FrameTooLong,
    Message,
    frame,
    parse,
    render,
)


def test_render_has_no_declaration_and_no_whitespace() -> None:
    msg = Message("GetPPUserResp", {"seq": "3"}, [Message("user", {"uid": "1"}),
                                                 Message("user", {"uid": "2"})])
    assert render(msg) == b'<GetPPUserResp seq="3"><user uid="1"/><user uid="2"/></GetPPUserResp>'
    assert frame(msg).endswith(b"/></GetPPUserResp>\0")


def test_attribute_values_are_escaped() -> None:
    msg = Message("X", {"name": 'a"b<c>&d\ne'})
    assert parse(render(msg)).attrs["name"] == 'a"b<c>&d\ne'


def test_text_children_such_as_permissions_round_trip() -> None:
    msg = Message("account", {"id": "1"}, [Message("permission", text="AllCnfRead")])
    assert parse(render(msg)) == msg


def test_parse_real_client_frames() -> None:
    m = parse(b'<Open UserDeviceSyncClient="true" password="pw" protocolVersion="45" '
              b'username="omm"/>')
    assert m.name == "Open" and m.attrs["username"] == "omm"
    m = parse(b'<SetPP><pp ppn="1" relType="Unbound" uid="0" /><user uid="1" '
              b'relType="Unbound" ppn="0" /></SetPP>')
    assert [c.name for c in m.children] == ["pp", "user"]


@pytest.mark.parametrize("bad", [b"", b"<", b"<a>", b"not xml", b"<a/><b/>", b"\xff\xfe<a/>"])
def test_malformed_raises_syntax_error(bad: bytes) -> None:
    with pytest.raises(AxiSyntaxError):
        parse(bad)


def test_entities_and_dtds_are_refused() -> None:
    with pytest.raises(AxiSyntaxError):
        parse(b'<!DOCTYPE a [<!ENTITY x "y">]><a b="&x;"/>')


def test_decoder_splits_coalesced_and_partial_frames() -> None:
    d = FrameDecoder()
    assert list(d.feed(b"<Ping/>\0<Ping seq=")) == [b"<Ping/>"]
    assert list(d.feed(b'"1"/>\0\0')) == [b'<Ping seq="1"/>']
    assert d.pending == 0


def test_decoder_refuses_an_endless_frame() -> None:
    d = FrameDecoder(max_frame=100)
    with pytest.raises(FrameTooLong):
        list(d.feed(b"<" + b"a" * 200))


names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,12}", fullmatch=True)
XML_CHARACTERS = st.characters(blacklist_categories=("Cs", "Cc"),
                               blacklist_characters="\ufffe\uffff")
"""What XML 1.0 carries (and a real OMM's records hold): no controls, surrogates, U+FFFE/F."""
values = st.text(XML_CHARACTERS, max_size=30)
messages = st.recursive(
    st.builds(Message, names, st.dictionaries(names, values, max_size=5)),
    lambda kids: st.builds(Message, names, st.dictionaries(names, values, max_size=5),
                           st.lists(kids, max_size=4)),
    max_leaves=10)


@given(messages)
def test_render_parse_round_trip(msg: Message) -> None:
    assert parse(render(msg)) == msg


@given(names, st.text(max_size=30), st.text(max_size=30))
def test_any_value_renders_a_frame_a_client_can_parse(name: str, value: str,
                                                      text: str) -> None:
    """A value from outside AXI (a SIP display name, a config file) may hold what XML cannot
    carry: such characters go as U+FFFD, the rest as it was."""
    frame = render(Message(name, {"v": value}, [], text or None))
    back = parse(frame)
    allowed = "".join(ch if ch in "\t\n\r" or (" " <= ch and _xml_char(ch)) else "\ufffd"
                      for ch in value)
    assert back.attrs["v"] == allowed


def _xml_char(ch: str) -> bool:
    code = ord(ch)
    return not (0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF))


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_parse_of_arbitrary_bytes_raises_only_syntax_error(data: bytes) -> None:
    try:
        parse(data)
    except AxiSyntaxError:
        pass


@given(st.lists(st.binary(max_size=50), max_size=10))
def test_decoder_never_loses_or_invents_bytes(chunks: list[bytes]) -> None:
    d = FrameDecoder(max_frame=10_000)
    out = [f for c in chunks for f in d.feed(c)]
    joined = b"".join(chunks)
    expected = [p for p in joined.split(b"\0")[:-1] if p.strip()]
    assert out == expected
