"""sim.airlink.codec: the air link's frames byte for byte, round trips of every message with
hypothesis, and junk that only ever raises AirLinkProtocolError (docs/architecture.md
"Air link")."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dect.errors import DectValueError
from dect.identities import AccessRightsClass, Ari, Rfpi
from sim.air import NOT_SYNCED, SyncRelation, SyncStatus
from sim.airlink.codec import (
    MAGIC,
    MAX_FRAME,
    VERSION,
    AirLinkProtocolError,
    AirLinkValueError,
    FrameReader,
    Hello,
    Message,
    MessageType,
    Ping,
    Pong,
    Refused,
    SiteState,
    SyncUpdate,
    Welcome,
    decode,
    encode,
)
from sim.primitives import (
    AIR_VOICE_OCTETS,
    AirCipherStart,
    AirConnect,
    AirConnected,
    AirData,
    AirPage,
    AirRelease,
    AirVoice,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RFPI = Rfpi(Ari.class_b(0x10A, 0x2AF), 7)
MAC = bytes.fromhex("0030421b1737")


# -- exact bytes ---------------------------------------------------------------------------------
def test_a_voice_frame_costs_ten_octets_besides_its_b_field() -> None:
    payload = bytes(range(AIR_VOICE_OCTETS))
    frame = encode(AirVoice(0xABCDE, payload, 0x123456, 9, ciphered=True))
    assert frame[:10] == bytes.fromhex("0058" "16" "0abcde" "123456" "19")
    assert frame[10:] == payload and len(frame) == 10 + AIR_VOICE_OCTETS
    assert decode(frame) == AirVoice(0xABCDE, payload, 0x123456, 9, ciphered=True)


def test_small_primitives_byte_for_byte() -> None:
    assert encode(AirConnect(0x12345, handover=True)) == bytes.fromhex("0005" "10" "012345" "01")
    assert encode(AirConnected(0x12345)) == bytes.fromhex("0004" "11" "012345")
    assert encode(AirData(1, b"\x03\x01", 2, 15)) == bytes.fromhex(
        "000a" "12" "000001" "000002" "0f" "0301")
    assert encode(AirCipherStart(1)) == bytes.fromhex("0004" "13" "000001")
    assert encode(AirRelease(1, 2)) == bytes.fromhex("0005" "14" "000001" "02")
    assert encode(AirPage(0xBEEF)) == bytes.fromhex("0003" "15" "beef")


def test_hello_layout() -> None:
    hello = Hello(513, MAC, 1.5, -2.0, 1, 3, True, True, False, True, RFPI, 12.25)
    frame = encode(hello)
    body = frame[3:]
    assert frame[:3] == (1 + len(body)).to_bytes(2, "big") + bytes([MessageType.HELLO])
    assert body[:5] == MAGIC and body[5] == VERSION
    assert body[6:10] == (513).to_bytes(4, "big") and body[10:16] == MAC
    assert struct.unpack(">dd", body[16:32]) == (1.5, -2.0)
    assert body[32] == 1 and body[33:37] == (3).to_bytes(4, "big")
    assert body[37] == 0x01 | 0x04 | 0x08 | 0x10  # powered, connected, preferred, RFPI
    assert body[38:43] == RFPI.to_bytes() and struct.unpack(">d", body[43:51]) == (12.25,)
    assert body[51:] == b"\x00"  # no SARIs
    assert decode(frame) == hello


def test_hello_and_site_carry_the_sari_list() -> None:
    saris = (Ari.parse("102AF12C"), Ari.parse("10187326"))
    hello = Hello(513, MAC, 1.5, -2.0, 1, 3, True, True, False, True, RFPI, 12.25, saris=saris)
    frame = encode(hello)
    assert frame[3 + 51:] == bytes.fromhex("02" "102af12c" "10187326")
    assert decode(frame) == hello
    site = SiteState(True, True, True, RFPI, saris[:1])
    assert encode(site)[3:] == bytes([0x17]) + RFPI.to_bytes() + bytes.fromhex("01102af12c")
    assert decode(encode(site)) == site


def test_a_hello_of_another_version_decodes_so_the_world_can_say_why_it_refuses() -> None:
    v3 = encode(Hello(1, MAC, 0, 0, 0, 1, False, True, True, True, None, 0.0, version=2))
    body = v3[2:-1]  # a version 2 HELLO had no SARI count
    got = decode(len(body).to_bytes(2, "big") + body)
    assert isinstance(got, Hello) and got.version == 2


def test_sync_update_layout_and_rssi_in_tenths() -> None:
    update = SyncUpdate(SyncStatus(True, False, 4, 2),
                        (SyncRelation(4, 4, -64.1, True, True),
                         SyncRelation(9, 9, -80.0, False, False)))
    frame = encode(update)
    assert frame[3:11] == bytes.fromhex("0d" "00000004" "0002" "02")
    assert frame[11:19] == bytes.fromhex("00000004" "04" "fd7f" "03")  # -641 tenths
    assert decode(frame) == update
    assert decode(encode(SyncUpdate(NOT_SYNCED, ()))) == SyncUpdate(NOT_SYNCED, ())


# -- round trips -----------------------------------------------------------------------------------
def _rfpi_or_none() -> st.SearchStrategy[Rfpi | None]:
    def parse(raw: bytes) -> Rfpi | None:
        try:
            return Rfpi.from_bytes(raw)
        except DectValueError:
            return None
    return st.one_of(st.none(), st.binary(min_size=5, max_size=5).map(parse))


_finite = st.floats(allow_nan=False, allow_infinity=False)
_SARI = st.builds(Ari, arc=st.sampled_from([AccessRightsClass.B, AccessRightsClass.C,
                                            AccessRightsClass.D]),
                  ard=st.integers(0, (1 << 28) - 1))
_pmid = st.integers(0, 0xFFFFF)
_frame_fields = dict(pmid=_pmid, mfn=st.integers(0, 0xFFFFFF), fn=st.integers(0, 15),
                     ciphered=st.booleans())

MESSAGES: st.SearchStrategy[Message] = st.one_of(
    st.builds(Hello, rfp_id=st.integers(0, 2**32 - 1), mac=st.binary(min_size=6, max_size=6),
              x=_finite, y=_finite, rpn=st.integers(0, 255), cluster=st.integers(0, 2**32 - 1),
              preferred_sync=st.booleans(), powered=st.booleans(), dect_on=st.booleans(),
              connected=st.booleans(), rfpi=_rfpi_or_none(), sent_at=_finite,
              version=st.integers(0, 255)),
    st.builds(Hello, rfp_id=st.integers(0, 2**32 - 1), mac=st.binary(min_size=6, max_size=6),
              x=_finite, y=_finite, rpn=st.integers(0, 255), cluster=st.integers(0, 2**32 - 1),
              preferred_sync=st.booleans(), powered=st.booleans(), dect_on=st.booleans(),
              connected=st.booleans(), rfpi=_rfpi_or_none(), sent_at=_finite,
              saris=st.lists(_SARI, max_size=8).map(tuple)),
    st.builds(Welcome, epoch=_finite, now=_finite, echo=_finite),
    st.builds(Refused, reason=st.text(max_size=100)),
    st.builds(SiteState, powered=st.booleans(), dect_on=st.booleans(), connected=st.booleans(),
              rfpi=_rfpi_or_none(), saris=st.lists(_SARI, max_size=8).map(tuple)),
    st.builds(SyncUpdate,
              status=st.builds(SyncStatus, synced=st.booleans(), reference=st.booleans(),
                               parent=st.none() | st.integers(0, 2**32 - 1),
                               hops=st.none() | st.integers(0, 65535)),
              relations=st.lists(st.builds(
                  SyncRelation, rfp_id=st.integers(0, 2**32 - 1), rpn=st.integers(0, 255),
                  rssi_dbm=st.integers(-3000, 3000).map(lambda t: t / 10),
                  usable=st.booleans(), synced=st.booleans()), max_size=20).map(tuple)),
    st.builds(Ping, sent_at=_finite),
    st.builds(Pong, echo=_finite, now=_finite),
    st.builds(AirConnect, pmid=_pmid, handover=st.booleans()),
    st.builds(AirConnected, pmid=_pmid),
    st.builds(AirData, payload=st.binary(max_size=200), **_frame_fields),
    st.builds(AirCipherStart, pmid=_pmid),
    st.builds(AirRelease, pmid=_pmid, reason=st.integers(0, 255)),
    st.builds(AirPage, id16=st.integers(0, 0xFFFF)),
    st.builds(AirVoice, payload=st.binary(max_size=AIR_VOICE_OCTETS), **_frame_fields),
)


@FAST
@given(MESSAGES)
def test_every_message_round_trips(message: Message) -> None:
    assert decode(encode(message)) == message


@FAST
@given(st.lists(MESSAGES, max_size=12), st.data())
def test_a_stream_cut_anywhere_gives_the_same_messages(messages: list[Message],
                                                       data: st.DataObject) -> None:
    stream = b"".join(encode(m) for m in messages)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    reader, got, at = FrameReader(), [], 0
    for cut in [*cuts, len(stream)]:
        got += reader.feed(stream[at:cut])
        at = cut
    assert got == messages and reader.buffered == 0


# -- what no layout carries ------------------------------------------------------------------------
@pytest.mark.parametrize("message", [
    AirVoice(0x100000, b"", 0, 0), AirData(0, b"", 0x1000000, 0), AirData(0, b"", 0, 16),
    AirRelease(0, 256), AirPage(0x10000),
    Hello(2**32, MAC, 0, 0, 0, 1, False, True, True, True, None, 0.0),
    Hello(1, MAC, float("nan"), 0, 0, 1, False, True, True, True, None, 0.0),
    Hello(1, MAC[:5], 0, 0, 0, 1, False, True, True, True, None, 0.0),
    Hello(1, MAC, 0, 0, 256, 1, False, True, True, True, None, 0.0),
    Hello(1, MAC, 0, 0, 0, 2**32, False, True, True, True, None, 0.0),
    AirData(0, bytes(MAX_FRAME), 0, 0),
    SyncUpdate(NOT_SYNCED, (SyncRelation(1, 1, -5000.0, False, False),)),
])
def test_values_no_layout_carries_are_refused_when_encoding(message: Message) -> None:
    with pytest.raises(AirLinkValueError):
        encode(message)


def test_a_long_refusal_is_cut_at_a_character() -> None:
    reason = "é" * 400  # 800 octets
    got = decode(encode(Refused(reason)))
    assert isinstance(got, Refused) and reason.startswith(got.reason) and got.reason


# -- junk ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("frame, why", [
    (b"\x00\x00", "a frame length of 0"),
    ((MAX_FRAME + 1).to_bytes(2, "big") + b"\x12", "frame length"),
    (b"\x00\x01\x7f", "unknown frame type 0x7f"),
    (b"\x00\x04\x11\x10\x00\x00", "above 20 bits"),
    (b"\x00\x05\x10\x00\x00\x01\x02", "unknown flag"),
    (b"\x00\x08\x16\x00\x00\x01\x00\x00\x00\x20", "unknown flag"),
    (b"\x00\x03\x16\x00\x00", "AIR_VOICE body of 2"),
    (b"\x00\x02\x04\x01", "SITE body"),
    (b"\x00\x07\x04\x01\x01\x02\x03\x04\x05", "without the RFPI flag"),
    (b"\x00\x07\x04\x01\x00\x00\x00\x00\x00", "SITE without its SARI count"),
    (b"\x00\x0a\x04\x01" + bytes(5) + b"\x01\x10\x2a", "SITE with 1 SARIs"),
    (b"\x00\x0c\x04\x01" + bytes(5) + b"\x01\x40\x00\x00\x01", "is no SARI"),
    (b"\x00\x0c\x04\x01" + bytes(5) + b"\x01\x00\x00\x00\x01", "bad SARI"),
    (b"\x00\x03\x03\xff\xfe", "no UTF-8"),
    (b"\x00\x19\x02" + struct.pack(">ddd", float("nan"), 0, 0), "not a finite"),
    (b"\x00\x09\x05\x00\x00\x00\x00\x01\x00\x00\x02", "SYNC with 2 relations"),
    (b"\x00\x09\x05\x00\x00\x00\x00\x01\x00\x00\x00", "without its flag"),
    (encode(Hello(1, MAC, 0, 0, 0, 1, False, True, True, True, None, 0.0)).replace(
        MAGIC, b"HTTP/"), "magic"),
])
def test_junk_frames_raise_the_protocol_error_naming_what_is_wrong(frame: bytes,
                                                                    why: str) -> None:
    with pytest.raises(AirLinkProtocolError, match=why):
        FrameReader().feed(frame)


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_only_ever_raise_the_protocol_error(data: bytes) -> None:
    try:
        FrameReader().feed(data)
    except AirLinkProtocolError:
        pass
    try:
        decode(data)
    except AirLinkProtocolError:
        pass


@FAST
@given(MESSAGES, st.data())
def test_a_valid_frame_with_one_octet_changed_decodes_or_raises_the_protocol_error(
        message: Message, data: st.DataObject) -> None:
    frame = bytearray(encode(message))
    at = data.draw(st.integers(0, len(frame) - 1))
    frame[at] = data.draw(st.integers(0, 255))
    try:
        FrameReader().feed(bytes(frame))
    except AirLinkProtocolError:
        pass
