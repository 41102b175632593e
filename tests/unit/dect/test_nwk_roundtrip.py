"""Property tests of the NWK codec: every element and message round-trips, and decoding any
octets either succeeds and re-encodes them exactly or raises DectDecodeError and nothing else.
"""

from __future__ import annotations

import datetime
import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dect.errors import DectDecodeError, DectValueError
from dect.identities import AccessRightsClass, Ari, Ipei, Ipui, Park, PortableUserType, Rfpi, Tpui
from dect.nwk import decode_message
from dect.nwk import ie as n
from dect.nwk import proprietary as p
from dect.nwk.messages import NwkMessage, order_ies
from dect.nwk.tables import MESSAGE_TYPES, ProtocolDiscriminator, VariableIe

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

small = st.binary(max_size=12)
latin1 = st.text(st.characters(max_codepoint=0xFF), min_size=1, max_size=12)
unicode = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)


def nibble() -> st.SearchStrategy[int]:
    return st.integers(0, 15)


def octet() -> st.SearchStrategy[int]:
    return st.integers(0, 255)


@st.composite
def ipuis(draw: st.DrawFn) -> Ipui:
    put = draw(st.sampled_from([PortableUserType.N, PortableUserType.O, PortableUserType.S]))
    if put is PortableUserType.N:
        return Ipui.n(Ipei(draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFFF))))
    if put is PortableUserType.O:
        bits = draw(st.integers(0, 60))
        return Ipui.o(draw(st.integers(0, (1 << bits) - 1)), bits)
    return Ipui.bcd(put, draw(st.text("0123456789", max_size=15)))


@st.composite
def aris(draw: st.DrawFn) -> Ari:
    arc = draw(st.sampled_from(list(AccessRightsClass)[:5]))
    return Ari(arc, draw(st.integers(0, (1 << (33 if arc is AccessRightsClass.A else 28)) - 1)))


@st.composite
def parks(draw: st.DrawFn) -> Park:
    ari = draw(aris())
    return Park.from_ari(ari, draw(st.integers(3, ari.bits)))


@st.composite
def rfpis(draw: st.DrawFn) -> Rfpi:
    ari = draw(aris())
    return Rfpi(
        ari, draw(st.integers(0, 7 if ari.arc is AccessRightsClass.A else 255)), draw(st.booleans())
    )


portable_identities = st.one_of(
    st.builds(n.PortableIdentity, ipuis()),
    st.builds(n.PortableIdentity, st.builds(Ipei, st.integers(0, 0xFFFF), st.integers(0, 0xFFFFF))),
    st.builds(n.PortableIdentity, st.builds(Tpui, st.integers(0, 0xFFFFF)), nibble()),
)
fixed_identities = st.one_of(
    st.builds(n.FixedIdentity, parks()),
    st.builds(n.FixedIdentity, aris()),
    st.builds(n.FixedIdentity, rfpis(), st.booleans()),
)


@st.composite
def auth_types(draw: st.DrawFn) -> n.AuthType:
    algorithm = draw(st.sampled_from([0x01, 0x02, 0x20, 0x40, 0x7F, draw(octet())]))
    default = draw(st.booleans())
    return n.AuthType(
        algorithm,
        draw(nibble()),
        draw(nibble()),
        draw(nibble()),
        draw(st.booleans()),
        default,
        draw(st.booleans()),
        draw(st.booleans()),
        draw(octet()) if algorithm == 0x7F else None,
        draw(st.integers(0, 0xFFFF)) if default else None,
        draw(st.one_of(st.none(), st.integers(0, 3))) if default else None,
    )


@st.composite
def cipher_infos(draw: st.DrawFn) -> n.CipherInfo:
    algorithm = draw(st.integers(0, 0x7F))
    proprietary = draw(octet()) if algorithm == 0x7F else None
    return n.CipherInfo(draw(st.booleans()), algorithm, draw(nibble()), draw(nibble()), proprietary)


@st.composite
def terminal_capabilities(draw: st.DrawFn) -> n.TerminalCapability:
    groups = []
    for _ in range(draw(st.integers(1, 4))):
        inner = draw(st.lists(st.integers(0, 0x7F), max_size=4))
        groups.append(bytes(inner) + bytes([0x80 | draw(st.integers(0, 0x7F))]))
    if draw(st.booleans()):
        groups.append(bytes(draw(st.lists(st.integers(0, 0x7F), min_size=1, max_size=3))))
    return n.TerminalCapability(tuple(groups))


@st.composite
def nwk_assigned(draw: st.DrawFn) -> n.NwkAssignedIdentity:
    bits = draw(st.integers(0, 40))
    return n.NwkAssignedIdentity(
        draw(st.integers(0, 0x7F)), draw(st.integers(0, (1 << bits) - 1)), bits
    )


@st.composite
def calling_numbers(draw: st.DrawFn) -> n.CallingPartyNumber:
    presentation = draw(st.one_of(st.none(), st.integers(0, 3)))
    screening = draw(st.integers(0, 3)) if presentation is not None else 0
    number = draw(st.text(st.characters(max_codepoint=0xFF), max_size=12))
    return n.CallingPartyNumber(
        number, draw(st.integers(0, 7)), draw(nibble()), presentation, screening
    )


@st.composite
def calling_names(draw: st.DrawFn) -> n.CallingPartyName:
    alphabet = draw(st.integers(0, 7))
    text = draw(
        unicode if alphabet == 1 else st.text(st.characters(max_codepoint=0xFF), max_size=8)
    )
    return n.CallingPartyName(text, draw(st.integers(0, 3)), alphabet, draw(st.integers(0, 3)))


detewe_elements = st.one_of(
    st.builds(p.Language, octet()),
    st.builds(p.Display, octet(), st.lists(unicode, max_size=3).map(tuple), octet()),
    st.just(p.Display(0xFE, (), None)),
    st.builds(p.SendText, unicode),
    st.builds(
        p.DateTime,
        st.datetimes(datetime.datetime(2000, 1, 1), datetime.datetime(2099, 12, 31)).map(
            lambda d: d.replace(microsecond=0)
        ),
    ),
    st.builds(p.HomeScreenText, st.lists(unicode, max_size=3).map(tuple)),
    st.builds(
        p.Reserved1,
        unicode.filter(lambda s: "\0" not in s),
        unicode.filter(lambda s: "\0" not in s),
    ),
    st.builds(p.Display2, unicode),
    st.builds(p.BtEthAddr, st.binary(min_size=6, max_size=6)),
    st.builds(p.DeTeWeRaw, octet().filter(lambda c: c not in p.DETEWE_ELEMENTS), small),
)


@st.composite
def escapes(draw: st.DrawFn) -> n.EscapeToProprietary:
    emc = draw(st.sampled_from([None, 0x0031, 0x0002, 0x0094, 0x0071]))
    content: p.ProprietaryContent
    if emc == 0x0031:
        content = p.DeTeWeContent(tuple(draw(st.lists(detewe_elements, max_size=3))))
    elif emc == 0x0002:
        elements = draw(st.lists(st.builds(p.SiemensElement, octet(), small), max_size=3))
        content = p.SiemensContent(tuple(elements))
    elif emc == 0x0094:
        content = p.AastraContent(draw(octet()), draw(small))
    else:
        content = p.RawContent(draw(small))
    return n.EscapeToProprietary(emc, content)


codecs = st.builds(n.Codec, st.integers(0, 0x7F), nibble(), st.integers(0, 7), nibble())
raw_ids = st.integers(0, 0x7F).filter(lambda i: i not in n.VARIABLE_IES)
raw_fixed = st.one_of(
    st.sampled_from([0x80, 0x8F, 0xA0, 0xA4, 0xAF, 0xB0, 0xC5, 0xF0, 0xFF]).map(
        lambda b: bytes([b])
    ),
    st.tuples(st.sampled_from([0xE1, 0xE3, 0xE7, 0xEA, 0xEF]), octet()).map(bytes),
)

ELEMENTS: dict[type, st.SearchStrategy[n.IE]] = {
    n.SendingComplete: st.just(n.SendingComplete()),
    n.DelimiterRequest: st.just(n.DelimiterRequest()),
    n.UseTpui: st.just(n.UseTpui()),
    n.RepeatIndicator: st.builds(n.RepeatIndicator, nibble()),
    n.BasicService: st.builds(n.BasicService, nibble(), nibble()),
    n.ReleaseReason: st.builds(n.ReleaseReason, octet()),
    n.Signal: st.builds(n.Signal, octet()),
    n.TimerRestart: st.builds(n.TimerRestart, octet()),
    n.TestHookControl: st.builds(n.TestHookControl, octet()),
    n.SingleDisplay: st.builds(n.SingleDisplay, octet()),
    n.SingleKeypad: st.builds(n.SingleKeypad, octet()),
    n.RawFixedIE: st.builds(n.RawFixedIE, raw_fixed),
    n.RawIE: st.one_of(
        st.builds(n.RawIE, raw_ids, small),
        st.builds(n.RawIE, st.sampled_from(sorted(n.VARIABLE_IES))),  # empty known element
    ),
    n.InfoType: st.builds(
        n.InfoType, st.lists(st.integers(0, 0x7F), min_size=1, max_size=4).map(tuple)
    ),
    n.IdentityType: st.builds(n.IdentityType, nibble(), st.integers(0, 0x7F)),
    n.PortableIdentity: portable_identities,
    n.FixedIdentity: fixed_identities,
    n.LocationArea: st.builds(n.LocationArea, st.integers(0, 63), st.integers(0, 3), small),
    n.NwkAssignedIdentity: nwk_assigned(),
    n.AuthType: auth_types(),
    n.AllocationType: st.builds(n.AllocationType, octet(), nibble(), nibble()),
    n.Rand: st.builds(n.Rand, st.binary(min_size=1, max_size=16)),
    n.Res: st.builds(n.Res, st.binary(min_size=1, max_size=16)),
    n.Rs: st.builds(n.Rs, st.binary(min_size=1, max_size=16)),
    n.CipherInfo: cipher_infos(),
    n.MultiDisplay: st.builds(n.MultiDisplay, latin1),
    n.MultiKeypad: st.builds(n.MultiKeypad, latin1),
    n.FeatureActivate: st.builds(
        n.FeatureActivate, st.integers(0, 0x7F), st.one_of(st.none(), st.integers(0, 0x7F))
    ),
    n.Key: st.builds(n.Key, octet(), small),
    n.RejectReason: st.builds(n.RejectReason, octet()),
    n.TerminalCapability: terminal_capabilities(),
    n.Duration: st.builds(n.Duration, st.integers(0, 7), nibble(), st.one_of(st.none(), octet())),
    n.CalledPartyNumber: st.builds(
        n.CalledPartyNumber,
        st.text(st.characters(max_codepoint=0xFF), max_size=12),
        st.integers(0, 7),
        nibble(),
    ),
    n.CallingPartyNumber: calling_numbers(),
    n.CallingPartyName: calling_names(),
    n.IwuToIwu: st.builds(n.IwuToIwu, st.integers(0, 0x3F), small, st.booleans()),
    n.ModelIdentifier: st.builds(n.ModelIdentifier, st.integers(0, 0xFFFF), octet()),
    n.EscapeToProprietary: escapes(),
    n.CodecList: st.builds(
        n.CodecList, st.lists(codecs, min_size=1, max_size=4).map(tuple), st.integers(0, 7)
    ),
}
any_element = st.one_of(*ELEMENTS.values())


def test_every_element_class_has_a_strategy() -> None:
    registered = {
        *n.VARIABLE_IES.values(),
        *n.DOUBLE_OCTET_IES.values(),
        *n.SINGLE_OCTET_IES.values(),
    }
    assert registered <= set(ELEMENTS)


@FAST
@given(any_element)
def test_element_round_trip(element: n.IE) -> None:
    data = element.encode()
    assert n.decode_ies(data) == (element,)
    assert n.encode_ies(n.decode_ies(data)) == data
    json.dumps(element.to_json())
    assert element.ie_name in element.describe()


@st.composite
def messages(draw: st.DrawFn) -> NwkMessage:
    pd = draw(st.sampled_from(ProtocolDiscriminator))
    known = [int(m) for m in MESSAGE_TYPES[pd]]
    message_type = draw(st.one_of(st.sampled_from(known), octet()))
    ti = draw(st.integers(0, 7))
    tvx = draw(octet()) if ti == 7 else None
    ies = tuple(draw(st.lists(any_element, max_size=6)))
    return NwkMessage(pd, message_type, ies, ti, draw(st.booleans()), tvx)


@FAST
@given(messages())
def test_message_round_trip(message: NwkMessage) -> None:
    data = message.encode()
    assert decode_message(data) == message
    assert decode_message(data).encode() == data
    json.dumps(message.to_json())
    assert message.type_name in message.describe()


@FAST
@given(st.lists(any_element, max_size=8))
def test_ordering_keeps_the_elements(elements: list[n.IE]) -> None:
    ordered = order_ies(elements)
    assert sorted(map(repr, ordered)) == sorted(map(repr, elements))
    assert order_ies(ordered) == ordered


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=40))
@example(b"\x05")
@example(b"\x75\x00")
@example(b"\x05\x44\x05\x07\x80")
@example(b"\x05\x44\xe0")
@example(b"\x05\x44\x9d\x05\x02\x00\x00")
def test_decoding_any_octets(data: bytes) -> None:
    try:
        message = decode_message(data)
    except DectDecodeError:
        return
    assert message.encode() == data
    json.dumps(message.to_json())
    message.describe()


known_ies = st.sampled_from(sorted(n.VARIABLE_IES))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(known_ies, st.binary(max_size=10)), max_size=4))
def test_any_contents_of_known_elements(pairs: list[tuple[int, bytes]]) -> None:
    data = b"".join(bytes([i, len(c)]) + c for i, c in pairs)
    decoded = n.decode_ies(data)
    assert n.encode_ies(decoded) == data
    for element in decoded:
        json.dumps(element.to_json())


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(p.DETEWE_ELEMENTS)), st.binary(max_size=12))
def test_any_detewe_value(element_type: int, value: bytes) -> None:
    element = p.decode_detewe_element(element_type, value)
    assert element.payload() == value
    json.dumps(element.to_json())


def test_codeset_shift_keeps_the_next_elements_raw() -> None:
    data = bytes.fromhex("9d0504deadbeef0a03014800")
    ies = n.decode_ies(data)
    assert ies[0] == n.Shift(5, locking=False)
    assert ies[1] == n.RawIE(0x05, bytes.fromhex("deadbeef"), codeset=5)
    assert ies[2] == n.AuthType(0x01, 0x4, 0x8)  # non-locking: back to codeset 0
    locked = n.decode_ies(bytes.fromhex("95e0800a0101"))
    assert locked == (
        n.Shift(5),
        n.RawFixedIE(b"\xe0\x80", codeset=5),
        n.RawIE(0x0A, b"\x01", codeset=5),
    )
    assert n.encode_ies(locked).hex() == "95e0800a0101"


def test_extended_transaction_value() -> None:
    message = NwkMessage(ProtocolDiscriminator.CC, 0x05, (), ti=7, tvx=0x42, ti_flag=True)
    assert message.encode().hex() == "f34205"
    assert decode_message(bytes.fromhex("f34205")) == message
    try:
        NwkMessage(ProtocolDiscriminator.CC, 0x05, (), ti=7)
    except DectValueError as exc:
        assert "extended transaction value" in str(exc)
    else:
        raise AssertionError("ti 7 without tvx was accepted")
    assert VariableIe.SEGMENTED_INFO == 0x75
