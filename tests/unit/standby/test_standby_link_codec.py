"""The standby link's wire format (omm.standby.link): plain-byte layouts, round trips of every
message, chunking under the frame limit, and fuzzing: bytes decode or raise the module's error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omm.standby.link import (
    MAC_OCTETS,
    MAX_FRAME,
    NONCE_OCTETS,
    Ack,
    Auth,
    Change,
    FrameReader,
    Hello,
    Message,
    Ping,
    Pong,
    Refuse,
    Role,
    RoleChange,
    Snapshot,
    SnapshotDone,
    StandbyLinkProtocolError,
    StandbyLinkValueError,
    change_frames,
    decode,
    encode,
    snapshot_frames,
)
from sipdect.store import StoreOp

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

texts = st.text(max_size=40)
keys = st.one_of(st.integers(-(1 << 63), (1 << 63) - 1), texts)
json_texts = st.text(max_size=80)
ops = st.one_of(
    st.builds(StoreOp, texts, keys, json_texts),
    st.builds(StoreOp, texts, keys, st.none()),
    st.builds(StoreOp, texts, st.none(), st.none()),
)
seqs = st.integers(0, 0xFFFFFFFF)
messages: st.SearchStrategy[Message] = st.one_of(
    st.builds(Hello, texts, texts, st.floats(0, 1e9), texts, st.sampled_from(Role),
              st.binary(min_size=NONCE_OCTETS, max_size=NONCE_OCTETS)),
    st.builds(Auth, st.binary(min_size=MAC_OCTETS, max_size=MAC_OCTETS)),
    st.builds(Refuse, st.text(max_size=100)),
    st.just(Ping()), st.just(Pong()), st.builds(RoleChange, st.sampled_from(Role)),
    st.builds(Change, seqs, st.lists(ops, max_size=5).map(tuple), st.booleans()),
    st.builds(Ack, seqs),
    st.builds(Snapshot, seqs, texts,
              st.lists(st.tuples(keys, json_texts), max_size=5).map(tuple)),
    st.builds(SnapshotDone, seqs),
)


def test_an_ack_and_a_change_in_plain_bytes() -> None:
    assert encode(Ack(7)) == bytes.fromhex("00000005" "11" "00000007")
    assert encode(Change(2, (StoreOp("users", 1, "{}"), StoreOp("sites", None, None)))) == (
        bytes.fromhex("00000027" "10" "00000002" "00" "00000002")
        + b"\x00\x05users" + b"\x00" + (1).to_bytes(8, "big") + b"\x00\x00\x00\x02{}"
        + b"\x02\x05sites")
    assert decode(bytes.fromhex("00000005" "11" "00000007")) == Ack(7)


def test_a_hello_starts_with_the_magic_and_version() -> None:
    frame = encode(Hello("Linux", "9.1", 12.5, "127.0.0.2", Role.ACTIVE, bytes(16)))
    assert frame[5:12] == b"SDSTB\x01\x02"
    assert decode(frame) == Hello("Linux", "9.1", 12.5, "127.0.0.2", Role.ACTIVE, bytes(16))
    wrong = frame[:5] + b"SDAIR" + frame[10:]
    with pytest.raises(StandbyLinkProtocolError, match="magic"):
        decode(wrong)


@FAST
@given(messages)
def test_every_message_round_trips(message: Message) -> None:
    assert decode(encode(message)) == message


@FAST
@given(st.lists(messages, min_size=1, max_size=6), st.integers(1, 50))
def test_the_reader_splits_a_stream_cut_anywhere(batch: list[Message], step: int) -> None:
    stream = b"".join(map(encode, batch))
    reader = FrameReader()
    out: list[Message] = []
    for at in range(0, len(stream), step):
        out += reader.feed(stream[at:at + step])
    assert out == batch


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_the_protocol_error(data: bytes) -> None:
    try:
        FrameReader().feed(data)
    except StandbyLinkProtocolError:
        pass
    try:
        decode(data)
    except StandbyLinkProtocolError:
        pass


@FAST
@given(messages, st.data())
def test_a_flipped_octet_decodes_or_raises_the_protocol_error(message: Message,
                                                              data: st.DataObject) -> None:
    frame = bytearray(encode(message))
    at = data.draw(st.integers(0, len(frame) - 1))
    frame[at] ^= data.draw(st.integers(1, 255))
    try:
        FrameReader().feed(bytes(frame))
    except StandbyLinkProtocolError:
        pass


def test_a_frame_length_beyond_the_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(StandbyLinkProtocolError, match="frame length"):
        FrameReader().feed((MAX_FRAME + 1).to_bytes(4, "big") + b"\x10")
    with pytest.raises(StandbyLinkProtocolError, match="frame length"):
        FrameReader().feed(bytes(5))


def test_trailing_octets_and_unknown_types_are_protocol_errors() -> None:
    with pytest.raises(StandbyLinkProtocolError, match="after the end"):
        decode(bytes.fromhex("00000006" "11" "00000007" "00"))
    with pytest.raises(StandbyLinkProtocolError, match="unknown frame type"):
        decode(bytes.fromhex("00000001" "7f"))
    with pytest.raises(StandbyLinkProtocolError, match="cannot fit"):
        decode(bytes.fromhex("0000000a" "10" "00000001" "00" "ffffffff"))


def test_what_no_layout_carries_is_a_value_error() -> None:
    for bad in (Hello("x" * 256, "", 0.0, "", Role.STANDBY, bytes(16)),
                Hello("", "", -1.0, "", Role.STANDBY, bytes(16)),
                Hello("", "", 0.0, "", Role.STANDBY, bytes(3)),
                Change(1, (StoreOp("users", 1 << 63, "{}"),)),
                Ack(-1)):
        with pytest.raises(StandbyLinkValueError):
            encode(bad)
    with pytest.raises(StandbyLinkValueError, match="exceeds a frame"):
        change_frames(1, [StoreOp("users", 1, "x" * 2000)], limit=1000)


@FAST
@given(st.lists(ops, max_size=40), st.integers(300, 2000))
def test_a_change_is_cut_into_frames_under_the_limit_and_joins_again(
        change_ops: list[StoreOp], limit: int) -> None:
    frames = change_frames(9, change_ops, limit)
    assert all(len(encode(f)) - 4 <= limit for f in frames)
    assert [f.more for f in frames] == [True] * (len(frames) - 1) + [False]
    assert [op for f in frames for op in f.ops] == change_ops


@FAST
@given(st.dictionaries(st.text(max_size=20),
                       st.lists(st.tuples(keys, json_texts), max_size=30), max_size=4),
       st.integers(600, 2000))
def test_a_snapshot_is_cut_into_frames_under_the_limit_and_joins_again(
        tables: dict[str, list[tuple[int | str, str]]], limit: int) -> None:
    frames = snapshot_frames(3, tables.items(), limit)
    assert all(len(encode(f)) - 4 <= limit for f in frames)
    assert frames[-1] == SnapshotDone(3)
    joined: dict[str, list[tuple[int | str, str]]] = {}
    for f in frames[:-1]:
        assert isinstance(f, Snapshot)
        joined.setdefault(f.table, []).extend(f.rows)
    assert joined == tables
