"""Property tests for sipdect.link: every typed message round-trips; nothing raises on junk.

Decoders may only raise LinkProtocolError; describe() and both connection objects (omm-rfp.md
§2.1) raise nothing at all, whatever bytes arrive.
"""

from __future__ import annotations

import json
import random as stdlib_random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipdect.link import constants as c
from sipdect.link import events as ev
from sipdect.link.dnm import LcFrame
from sipdect.link.errors import LinkProtocolError
from sipdect.link.handshake import OmmLinkConnection, RfpCredentials, RfpLinkConnection
from sipdect.link.messages import (
    _REGISTRY,
    LinkMessage,
    MessageReader,
    TypedMessage,
    _overrides_codec,
    describe,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAC = bytes.fromhex("0030421b1737")
KEY = bytes(range(64))


def _fixed_payloads(cls: type[TypedMessage]) -> st.SearchStrategy[bytes]:
    size = cls.fixed_size()
    open_ended = bool(cls.layout()) and cls.layout()[-1][1].size < 0
    return st.binary(min_size=size, max_size=size + (40 if open_ended else 0))


@st.composite
def _sync(draw: st.DrawFn) -> bytes:
    data = draw(st.binary(max_size=30))
    return draw(st.binary(min_size=2, max_size=2)) + bytes([len(data)]) + data


@st.composite
def _media_conf(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(st.binary(min_size=88, max_size=170)))
    body[6] = draw(st.integers(0, c.MEDIA_CONF_MAX_CODECS))
    return bytes(body)


@st.composite
def _tone(draw: st.DrawFn) -> bytes:
    count = draw(st.integers(0, 4))
    head = bytearray(draw(st.binary(min_size=8, max_size=8)))
    head[3] = count
    return bytes(head) + draw(st.binary(min_size=24 * count, max_size=24 * count))


@st.composite
def _firmware(draw: st.DrawFn) -> bytes:
    tlvs = b"".join(
        bytes([tag, len(value)]) + value
        for tag, value in draw(st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=40)),
                                        max_size=5))
    )
    return draw(st.binary(min_size=2, max_size=2)) + len(tlvs).to_bytes(2, "little") + draw(
        st.binary(min_size=4, max_size=4)) + tlvs


VALID_PAYLOADS: dict[int, st.SearchStrategy[bytes]] = {
    c.MessageType.SYS_INIT: st.sampled_from(sorted(c.SYS_INIT_LAYOUTS)).flatmap(
        lambda n: st.binary(min_size=n, max_size=n)),
    c.MessageType.DNM: st.binary(min_size=2, max_size=120),
    c.MessageType.SYNC: _sync(),
    c.MessageType.MEDIA_CONF: _media_conf(),
    c.MessageType.MEDIA_TONE2: _tone(),
    c.MessageType.SYS_FIRMWARE_UPDATE: _firmware(),
}
for _code, _cls in _REGISTRY.items():
    if not _overrides_codec(_cls):
        VALID_PAYLOADS[_code] = _fixed_payloads(_cls)


def test_every_registered_type_has_a_payload_strategy() -> None:
    assert set(VALID_PAYLOADS) == set(_REGISTRY)


@pytest.mark.parametrize("code", sorted(_REGISTRY), ids=lambda code: c.MessageType(code).name)
def test_typed_messages_round_trip(code: int) -> None:
    cls = _REGISTRY[code]

    @FAST
    @given(VALID_PAYLOADS[code])
    def check(payload: bytes) -> None:
        typed = cls.from_payload(payload)
        assert typed.payload() == payload
        assert cls.decode(typed.encode()) == typed
        json.dumps(describe(typed.to_message()))

    check()


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(_REGISTRY)), st.binary(max_size=300))
def test_typed_decoders_raise_only_their_own_error(code: int, payload: bytes) -> None:
    try:
        typed = _REGISTRY[code].from_payload(payload)
    except LinkProtocolError:
        return
    assert typed.payload() == payload


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_lc_frames_round_trip_or_refuse(data: bytes) -> None:
    try:
        frame = LcFrame.from_bytes(data)
    except LinkProtocolError:
        return
    assert frame.to_bytes() == data
    json.dumps(frame.to_json())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.sampled_from([int(m) for m in c.MessageType]), st.integers(0, 0xFFFF)),
       st.binary(max_size=200))
def test_describe_never_raises(code: int, payload: bytes) -> None:
    entry = describe(LinkMessage(code, payload))
    assert entry["type"] == f"{code:#06x}"
    json.dumps(entry)


@st.composite
def _lc_data(draw: st.DrawFn) -> bytes:
    """LC_DATA_IND frames around arbitrary NWK bytes, so the NWK decoder gets fuzzed too."""
    nwk = draw(st.binary(max_size=63))
    frame = LcFrame.i_frame(nwk, ns=draw(st.integers(0, 7)), nr=0, lln=draw(st.integers(0, 7)))
    return bytes([c.DnmLayer.LC, c.DnmPrimitive.LC_DATA_IND, 1]) + frame.to_bytes()


@settings(max_examples=300, deadline=None)
@given(_lc_data())
def test_describe_of_arbitrary_nwk_content_never_raises(payload: bytes) -> None:
    entry = describe(LinkMessage(c.MessageType.DNM, payload))
    assert "nwk_hex" in entry or entry["lc"]["nwk_length"] == 0
    json.dumps(entry)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(1, 40), min_size=1, max_size=10))
def test_message_reader_on_arbitrary_bytes(data: bytes, cuts: list[int]) -> None:
    reader = MessageReader(max_payload=0x100)
    got = bytearray()
    offset = 0
    try:
        while offset < len(data):
            for size in cuts:
                reader.feed(data[offset : offset + size])
                offset += size
                for message in reader:
                    got += message.encode()
    except LinkProtocolError:
        return
    assert data.startswith(bytes(got))
    assert len(got) + reader.buffered == len(data)


# -- both connection ends on junk --------------------------------------------------------------
def _drain(link: OmmLinkConnection | RfpLinkConnection) -> list[ev.Event]:
    out = []
    while (event := link.next_event()) is not None:
        out.append(event)
    return out


def _connected_pair(seed: int) -> tuple[OmmLinkConnection, RfpLinkConnection]:
    omm = OmmLinkConnection(0.0, lookup_rfp={MAC: RfpCredentials(KEY)}.get,
                            random=stdlib_random.Random(seed).randbytes)
    rfp = RfpLinkConnection(0.0, mac=MAC, key=KEY, random=stdlib_random.Random(seed).randbytes)
    while (to_rfp := omm.data_to_send()) or rfp._out:  # b"" would mean EOF
        if to_rfp:
            rfp.receive_data(to_rfp, 0.0)
        if to_omm := rfp.data_to_send():
            omm.receive_data(to_omm, 0.0)
    assert isinstance(_drain(omm)[0], ev.RfpConnected)
    _drain(rfp)
    return omm, rfp


chunks = st.lists(st.binary(min_size=1, max_size=64), min_size=1, max_size=8)


def _feed(link: OmmLinkConnection | RfpLinkConnection, pieces: list[bytes],
          times: list[float]) -> None:
    now = 0.0
    for piece, step in zip(pieces, times + [0.0] * len(pieces), strict=False):
        now += step
        link.receive_data(piece, now)
        link.handle_timer(now)
        link.data_to_send()
    events = _drain(link)
    if link.closed:
        ending = [e for e in events if isinstance(e, ev.LinkFailed | ev.LinkLost | ev.UnknownRfp)]
        assert len(ending) == 1 and ending[-1] is events[-1]


times = st.lists(st.floats(0, 20), max_size=8)


@FAST
@given(chunks, times)
def test_omm_on_junk_before_login(pieces: list[bytes], steps: list[float]) -> None:
    omm = OmmLinkConnection(0.0, lookup_rfp={MAC: RfpCredentials(KEY)}.get,
                            random=stdlib_random.Random(1).randbytes)
    _feed(omm, pieces, steps)


@FAST
@given(chunks, times)
def test_rfp_on_junk_before_login(pieces: list[bytes], steps: list[float]) -> None:
    rfp = RfpLinkConnection(0.0, mac=MAC, key=None, random=stdlib_random.Random(1).randbytes)
    _feed(rfp, pieces, steps)


@FAST
@given(chunks, times)
def test_omm_on_junk_after_sys_init(pieces: list[bytes], steps: list[float]) -> None:
    omm = OmmLinkConnection(0.0, lookup_rfp={MAC: RfpCredentials(KEY)}.get,
                            random=stdlib_random.Random(1).randbytes)
    rfp = RfpLinkConnection(0.0, mac=MAC, key=KEY, random=stdlib_random.Random(2).randbytes)
    rfp.receive_data(omm.data_to_send(), 0.0)
    omm.receive_data(rfp.data_to_send(), 0.0)
    _feed(omm, pieces, steps)


@FAST
@given(chunks, times, st.integers(0, 3))
def test_both_ends_on_junk_when_connected(pieces: list[bytes], steps: list[float],
                                          seed: int) -> None:
    omm, rfp = _connected_pair(seed)
    _feed(omm, pieces, steps)
    _feed(rfp, pieces, steps)


@FAST
@given(st.binary(min_size=1, max_size=200), st.integers(0, 3))
def test_the_rfp_on_junk_after_the_ack(junk: bytes, seed: int) -> None:
    rfp = RfpLinkConnection(0.0, mac=MAC, key=KEY, random=stdlib_random.Random(seed).randbytes)
    rfp.receive_data(LinkMessage(c.MessageType.SYS_AUTHENTICATE, bytes(32)).encode(), 0.0)
    rfp.receive_data(bytes.fromhex("000100080120ffff01000000") + junk, 0.0)
    _feed(rfp, [b"\0"], [1.0])
