"""ESPA 4.4.4 data blocks and tokens with plain bytes (sipdect.espa.codec)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect.espa.codec import (
    BadBcc,
    DataBlock,
    EspaError,
    Kind,
    Scanner,
    bcc,
    call,
    decode,
    encode,
    status_information,
)
from sipdect.espa.conventions import CONTROL_BYTES, MAX_BLOCK, MAX_VALUE, Priority


def test_the_hand_computed_bcc_vector() -> None:
    # ecosystem.md §5: 01 31 02 31 1F 41 03 gives BCC 0x5F.
    assert bcc(bytes.fromhex("3102311F4103")) == 0x5F
    assert decode(bytes.fromhex("013102311F41035F")) == DataBlock(1, ((1, "A"),))


def test_the_real_sample_decodes_record_by_record() -> None:
    # standby-eventmgr.md B.2, the Zenitel sample, with its BCC worked out.
    body = b"1\x021\x1f550\x1e2\x1fCALL ME 101\x1e3\x1f3\x1e4\x1f3\x1e5\x1f3\x1e6\x1f3\x03"
    block = decode(b"\x01" + body + bytes([bcc(body)]))
    assert block.is_call and block.call_address == "550" and block.message == "CALL ME 101"
    assert block.priority == Priority.NORMAL
    assert [ident for ident, _ in block.records] == [1, 2, 3, 4, 5, 6]


def test_a_call_is_written_with_its_records_in_order() -> None:
    frame = encode(call("201", "Room 12 call", priority=Priority.ALARM, beep=2))
    assert frame[:1] == b"\x01" and frame[-2:-1] == b"\x03"
    assert frame[1:-1] == b"1\x021\x1f201\x1e2\x1fRoom 12 call\x1e3\x1f2\x1e6\x1f1\x03"
    assert frame[-1] == bcc(frame[1:-1])


def test_iso_8859_1_text_both_ways() -> None:
    frame = encode(call("12", "Bett 3 Ärztin"))
    assert b"\xc4rztin" in frame
    assert decode(frame).message == "Bett 3 Ärztin"
    with pytest.raises(EspaError, match="ISO-8859-1"):
        encode(call("12", "Zimmer ☎"))


def test_a_stray_separator_before_etx_is_taken() -> None:
    body = b"1\x021\x1f7\x1e\x03"
    assert decode(b"\x01" + body + bytes([bcc(body)])).records == ((1, "7"),)


def test_a_wrong_bcc_is_a_transmission_error() -> None:
    frame = bytearray(encode(call("201", "x")))
    frame[-1] ^= 0x01
    with pytest.raises(BadBcc):
        decode(bytes(frame))


@pytest.mark.parametrize("frame", [
    b"", b"\x01", b"\x01\x03\x03", b"1\x021\x1f2\x03\x00", b"\x01x\x021\x1f2\x03",
    b"\x011\x02x\x1f2\x03", b"\x011\x0212\x03",
])
def test_malformed_blocks_are_refused(frame: bytes) -> None:
    if len(frame) >= 2 and frame[0] == 1 and frame[-1] == 3:
        frame = frame + bytes([bcc(frame[1:])])  # right BCC, wrong content
    with pytest.raises(EspaError):
        decode(frame)


def test_what_cannot_be_sent_is_refused_before_the_wire() -> None:
    with pytest.raises(EspaError, match="control character"):
        encode(call("201", "a\x03b"))
    with pytest.raises(EspaError, match="longer"):
        encode(call("201", "x" * (MAX_VALUE + 1)))
    assert status_information("201", "1").get(7) == "1"


def test_the_scanner_cuts_a_link_exchange_into_tokens() -> None:
    frame = encode(call("201", "hi"))
    tokens = Scanner().feed(b"1\x052\x05" + frame + b"\x06\x04\x05" + b"1\x15")
    assert [(t.kind, t.address) for t in tokens] == [
        (Kind.ENQ, "1"), (Kind.ENQ, "2"), (Kind.BLOCK, ""), (Kind.ACK, ""), (Kind.EOT, ""),
        (Kind.ENQ, ""), (Kind.NAK, "1")]
    assert tokens[2].block == call("201", "hi")


def test_a_bcc_that_looks_like_a_control_character_is_read_as_the_bcc() -> None:
    # Find a block whose BCC is EOT and check the EOT is not taken for the end of the link.
    for n in range(1000):
        frame = encode(call(str(n), "x"))
        if frame[-1] in CONTROL_BYTES:
            break
    tokens = Scanner().feed(frame + b"\x04")
    assert [t.kind for t in tokens] == [Kind.BLOCK, Kind.EOT]
    assert tokens[0].block is not None


def test_garbage_outside_a_block_is_one_token_per_byte_and_a_runaway_block_is_dropped() -> None:
    scanner = Scanner()
    tokens = scanner.feed(b"ab\x1fc")
    assert [t.kind for t in tokens] == [Kind.GARBAGE] * 3
    assert scanner.pending  # 'c' may be an address waiting for its ENQ
    runaway = scanner.feed(b"\x05\x01" + b"x" * MAX_BLOCK)
    assert Kind.GARBAGE in [t.kind for t in runaway] and not scanner.pending


values = st.text(st.characters(codec="latin-1", exclude_characters="".join(
    chr(b) for b in CONTROL_BYTES)), max_size=40)
blocks = st.builds(DataBlock, st.integers(0, 9),
                   st.lists(st.tuples(st.integers(1, 8), values), max_size=8).map(tuple))


@given(blocks)
def test_every_block_survives_the_wire(block: DataBlock) -> None:
    assert decode(encode(block)) == block


@given(st.lists(blocks, min_size=1, max_size=4), st.data())
def test_any_split_of_the_stream_gives_the_same_tokens(items: list[DataBlock],
                                                       data: st.DataObject) -> None:
    stream = b"1\x052\x05" + b"".join(encode(b) + b"\x06" for b in items) + b"\x04"
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    scanner, tokens = Scanner(), []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        tokens += scanner.feed(stream[start:end])
    whole = Scanner().feed(stream)
    assert [(t.kind, t.block) for t in tokens] == [(t.kind, t.block) for t in whole]
    assert [t.block for t in whole if t.kind is Kind.BLOCK] == items


@given(st.binary(max_size=300))
def test_any_bytes_are_tokens_or_errors_never_a_crash(data: bytes) -> None:
    for token in Scanner().feed(data):
        assert token.kind in Kind
    try:
        decode(data)
    except EspaError:
        pass
