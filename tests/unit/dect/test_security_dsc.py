"""DSC and DSC2 properties: IV layout, batched equals single, combiner factoring, layouts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dect import security as sec
from dect.security import dsc as dsc_module
from dect.security.tables import DSC_EXTRA_CLOCK_TAPS

KEYS = st.binary(min_size=8, max_size=8)
IVS = st.integers(min_value=0, max_value=(1 << 35) - 1)


def test_iv_layout() -> None:
    assert sec.dsc_iv(0, 0) == 0
    assert sec.dsc_iv(1, 2) == 0x12
    assert sec.dsc_iv(0xFFFFFF, 15) == 0xFFFFFFF
    assert sec.dsc_iv(5, 3, lbn=15) == sec.dsc_iv(5, 3)  # basic = LBN 15
    assert sec.dsc_iv(0, 0, lbn=0) == 15 << 28
    with pytest.raises(ValueError, match="frame number"):
        sec.dsc_iv(0, 16)
    with pytest.raises(ValueError, match="multiframe"):
        sec.dsc_iv(1 << 24, 0)
    with pytest.raises(ValueError, match="logical bearer"):
        sec.dsc_iv(0, 0, lbn=16)


def test_keystream_bit_layout() -> None:
    key = bytes.fromhex("8560dc324ea49f37")
    full = int.from_bytes(sec.dsc_keystream(key, 7), "big")
    for nbits in (1, 5, 8, 13, 360):
        part = sec.dsc_keystream(key, 7, nbits)
        assert len(part) == (nbits + 7) // 8
        assert int.from_bytes(part, "big") >> (8 * len(part) - nbits) == full >> (720 - nbits)
        assert int.from_bytes(part, "big") & ((1 << (8 * len(part) - nbits)) - 1) == 0
    assert sec.dsc_keystream(key, 7, 0) == b""


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="8 bytes"):
        sec.dsc_keystream(bytes(7), 0)
    with pytest.raises(ValueError, match="35 bits"):
        sec.dsc_keystream(bytes(8), 1 << 35)
    with pytest.raises(ValueError, match="8 bytes"):
        sec.dsc_keystreams([bytes(8), bytes(9)], [0, 0])
    with pytest.raises(ValueError, match="IVs"):
        sec.dsc_keystreams([bytes(8)], [0, 1])
    with pytest.raises(ValueError, match="35 bits"):
        sec.dsc_keystreams([bytes(8)], [-1])
    assert sec.dsc_keystreams([], []).shape == (0, 90)


def test_factored_combiner_matches_the_spec_terms() -> None:
    """The bit-sliced loop uses a factored form of the 14-term combiner (section 5.1)."""
    for x10, x11, x20, x21, x30, x31, c in itertools.product((0, 1), repeat=7):
        a = x11 ^ x21 ^ x30
        b = c ^ x20
        factored = x10 & (a & b ^ x11 ^ x31) ^ x11 & b ^ (x30 ^ x31) & c ^ x21 ^ x31
        spec = dsc_module._combiner_output(x10, x11, x20, x21, x30, x31, c)
        assert factored == spec


def test_bit_sliced_decisions_follow_the_table() -> None:
    """The bit-sliced loop hard-wires the extra-clock inputs; they must match the table.

    e1 <- R2, R3, R4[0]; e2 <- R1, R3, R4[1]; e3 <- R1, R2, R4[2], one bit per R1..R3.
    """
    assert [[reg for reg, _ in taps] for taps in DSC_EXTRA_CLOCK_TAPS] == [
        [1, 2, 3],
        [0, 2, 3],
        [0, 1, 3],
    ]
    assert [taps[2][1] for taps in DSC_EXTRA_CLOCK_TAPS] == [0, 1, 2]
    for reg in range(3):
        assert len({bit for taps in DSC_EXTRA_CLOCK_TAPS for r, bit in taps if r == reg}) == 1


def test_zero_register_fix_in_every_lane_position() -> None:
    # The all-zero key and IV load all-zero registers; put that lane at several
    # positions of a bit-sliced word, between random lanes.
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 256, size=(130, 8), dtype=np.uint8)
    ivs = rng.integers(0, 1 << 35, size=130)
    for lane in (0, 63, 64, 129):
        keys[lane] = 0
        ivs[lane] = 0
    streams = dsc_module._keystreams_bitsliced(keys, ivs.astype(np.uint64), 720)
    expected = sec.dsc_keystream(bytes(8), 0)
    for lane in (0, 63, 64, 129):
        assert streams[lane].tobytes() == expected
    assert streams[1].tobytes() == sec.dsc_keystream(keys[1].tobytes(), int(ivs[1]))


@settings(max_examples=6, deadline=None)
@given(
    # More lanes than the plain-code cut-off, across one and several 64-lane words.
    st.lists(st.tuples(KEYS, IVS), min_size=25, max_size=130),
    st.one_of(st.just(720), st.integers(min_value=0, max_value=200)),
)
def test_batched_equals_single(pairs: list[tuple[bytes, int]], nbits: int) -> None:
    keys = [key for key, _ in pairs]
    ivs = [iv for _, iv in pairs]
    streams = sec.dsc_keystreams(keys, ivs, nbits)
    assert streams.shape == (len(pairs), (nbits + 7) // 8)
    assert streams.dtype == np.uint8
    for (key, iv), row in zip(pairs, streams, strict=True):
        assert row.tobytes() == sec.dsc_keystream(key, iv, nbits)


@settings(max_examples=4, deadline=None)
@given(st.lists(st.tuples(KEYS, IVS), min_size=1, max_size=3), st.integers(0, 100))
def test_bit_sliced_path_for_tiny_batches(pairs: list[tuple[bytes, int]], nbits: int) -> None:
    """Small batches use the plain code; the bit-sliced one must agree there too."""
    keys = np.frombuffer(b"".join(key for key, _ in pairs), dtype=np.uint8).reshape(-1, 8)
    ivs = np.array([iv for _, iv in pairs], dtype=np.uint64)
    streams = dsc_module._keystreams_bitsliced(keys, ivs, nbits)
    for (key, iv), row in zip(pairs, streams, strict=True):
        assert row.tobytes() == sec.dsc_keystream(key, iv, nbits)


def test_batched_accepts_arrays() -> None:
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 256, size=(40, 8), dtype=np.uint8)
    ivs = np.array([sec.dsc_iv(100, fn) for fn in range(16)] * 2 + [0] * 8)
    streams = sec.dsc_keystreams(keys, ivs)
    assert streams[5].tobytes() == sec.dsc_keystream(keys[5].tobytes(), int(ivs[5]))
    assert streams[39].tobytes() == sec.dsc_keystream(keys[39].tobytes(), 0)


def test_frames_differ_and_keystream_is_balanced() -> None:
    key = bytes.fromhex("8560dc324ea49f37")
    streams = sec.dsc_keystreams([key] * 32, [sec.dsc_iv(9, fn) for fn in range(16)] * 2)
    assert len({row.tobytes() for row in streams}) == 16
    ones = int(np.unpackbits(streams).sum())
    assert 0.45 < ones / streams.size / 8 < 0.55


def test_dsc2_keystream_mapping() -> None:
    """DSC2 on library values: the literal bit-0 reading of spec section 7.4, both key sizes."""
    dck16 = bytes(range(16))
    iv = sec.dsc_iv(3, 4)
    seq_key = int.from_bytes(dck16, "big").to_bytes(16, "little")
    seq_key = bytes(int(f"{b:08b}"[::-1], 2) for b in seq_key)
    seq_iv = int(f"{iv:064b}"[::-1], 2).to_bytes(8, "big")
    assert sec.dsc2_keystream(dck16, iv) == sec.dsc2(seq_key, seq_iv, 720)
    # A 64-bit key is zero-extended in its MSBs.
    assert sec.dsc2_keystream(dck16[8:], iv) == sec.dsc2_keystream(bytes(8) + dck16[8:], iv)
    assert len(sec.dsc2_keystream(dck16, iv, 100)) == 13
    with pytest.raises(ValueError, match="8 or 16 bytes"):
        sec.dsc2_keystream(bytes(12), iv)
