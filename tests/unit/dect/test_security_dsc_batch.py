"""DSC fast paths: the integer and bit-sliced keystreams equal the spec-literal reference.

`dsc_keystream` follows each register's output sequence and `dsc_keystreams` slides
windows of those sequences over 64 lanes a word (dect/security/dsc.py, "the sequence
form"); both must give the bytes of `_reference_keystream`, which clocks the registers
as shared/specs/dect-security.md 5.2 describes. Batches are tried around the cut-off to
the integer path and around 64-lane word boundaries.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dect import security as sec
from dect.security import dsc
from dect.security.tables import DSC_FULL_SLOT_BITS, DSC_REGISTERS

KEYS = st.binary(min_size=8, max_size=8)
IVS = st.integers(min_value=0, max_value=(1 << 35) - 1)
NBITS = st.one_of(st.just(DSC_FULL_SLOT_BITS), st.integers(min_value=0, max_value=300))
CUT = dsc._SCALAR_BATCH_MAX


def _random_pairs(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 256, size=(count, 8), dtype=np.uint8)
    ivs = rng.integers(0, 1 << 35, size=count).astype(np.uint64)
    return keys, ivs


@settings(max_examples=40, deadline=None)
@given(KEYS, IVS, NBITS)
def test_integer_keystream_equals_reference(key: bytes, iv: int, nbits: int) -> None:
    assert sec.dsc_keystream(key, iv, nbits) == dsc._reference_keystream(key, iv, nbits)


@pytest.mark.parametrize("nbits", [1, 7, 8, 9, 359, 1680, 3000])
def test_integer_keystream_lengths_beyond_and_below_a_full_slot(nbits: int) -> None:
    """Longer runs extend the sequences past the precomputed full-slot tables."""
    key = bytes.fromhex("8560dc324ea49f37")
    for iv in (0, sec.dsc_iv(0xABCDEF, 9), sec.dsc_iv(5, 3, lbn=2)):
        assert sec.dsc_keystream(key, iv, nbits) == dsc._reference_keystream(key, iv, nbits)


@settings(max_examples=8, deadline=None)
@given(st.lists(st.tuples(KEYS, IVS), min_size=CUT + 1, max_size=140), NBITS)
def test_bit_sliced_equals_reference(pairs: list[tuple[bytes, int]], nbits: int) -> None:
    keys = [key for key, _ in pairs]
    ivs = [iv for _, iv in pairs]
    streams = sec.dsc_keystreams(keys, ivs, nbits)
    assert streams.shape == (len(pairs), (nbits + 7) // 8)
    for (key, iv), row in zip(pairs, streams, strict=True):
        assert row.tobytes() == dsc._reference_keystream(key, iv, nbits)


@pytest.mark.parametrize("count", [1, 2, CUT, CUT + 1, 63, 64, 65, 128, 129])
def test_batch_sizes_around_the_cut_off_and_word_boundaries(count: int) -> None:
    keys, ivs = _random_pairs(count, seed=count)
    expected = [sec.dsc_keystream(k.tobytes(), int(iv)) for k, iv in zip(keys, ivs, strict=True)]
    for streams in (sec.dsc_keystreams(keys, ivs), dsc._keystreams_bitsliced(keys, ivs, 720)):
        assert [row.tobytes() for row in streams] == expected


def test_bit_sliced_lengths_beyond_a_full_slot() -> None:
    keys, ivs = _random_pairs(70, seed=5)
    for nbits in (1680, 721, 41):
        streams = dsc._keystreams_bitsliced(keys, ivs, nbits)
        for lane in (0, 37, 69):
            key, iv = keys[lane].tobytes(), int(ivs[lane])
            assert streams[lane].tobytes() == dsc._reference_keystream(key, iv, nbits)


def test_lane_position_does_not_matter() -> None:
    keys, ivs = _random_pairs(200, seed=11)
    keys[:] = keys[17]
    ivs[:] = ivs[17]
    streams = sec.dsc_keystreams(keys, ivs)
    assert len({row.tobytes() for row in streams}) == 1


def _zero_register_input(register: int, seed: int) -> tuple[bytes, int]:
    """A key and IV that load `register` with all zeros (the loading is linear, so solve)."""
    length = DSC_REGISTERS[register][0]
    shares = dsc._loading_outputs(register, length)
    # Loading bits we may flip: the 35 IV bits and the 64 key bits.
    free = [*range(35), *range(64, 128)]
    rng = random.Random(seed)
    bits = [rng.getrandbits(1) if i in free else 0 for i in range(128)]
    window = 0
    for i, bit in enumerate(bits):
        if bit:
            window ^= shares[i]
    # Gaussian elimination: which free bits XOR to the current window.
    pivots: dict[int, tuple[int, int]] = {}  # top bit -> (value, set of loading bits)
    for i in free:
        value, chosen = shares[i], 1 << i
        while value:
            top = value.bit_length() - 1
            if top not in pivots:
                pivots[top] = (value, chosen)
                break
            value ^= pivots[top][0]
            chosen ^= pivots[top][1]
    flip = 0
    while window:
        value, chosen = pivots[window.bit_length() - 1]
        window ^= value
        flip ^= chosen
    loading = sum(bit << i for i, bit in enumerate(bits)) ^ flip
    iv, key = loading & ((1 << 64) - 1), (loading >> 64).to_bytes(8, "little")
    return key, iv


@pytest.mark.parametrize("register", range(4))
def test_registers_loading_as_zero_take_the_reference_path(register: int) -> None:
    """Only the reference applies the step-11 fix; both fast forms must notice and defer."""
    keys, ivs = _random_pairs(100, seed=register)
    lanes = (0, 40, 99)
    for n, lane in enumerate(lanes):
        key, iv = _zero_register_input(register, seed=10 * register + n)
        keys[lane] = np.frombuffer(key, dtype=np.uint8)
        ivs[lane] = iv
        loaded = _load(key, iv)
        assert loaded[register] == 0 and loaded.count(0) == 1
        reference = dsc._reference_keystream(key, iv, 720)
        assert sec.dsc_keystream(key, iv) == reference
    streams = sec.dsc_keystreams(keys, ivs)
    for lane in range(100):
        key, iv = keys[lane].tobytes(), int(ivs[lane])
        assert streams[lane].tobytes() == dsc._reference_keystream(key, iv, 720)


def test_all_zero_key_and_iv() -> None:
    expected = dsc._reference_keystream(bytes(8), 0, 720)
    assert sec.dsc_keystream(bytes(8), 0) == expected
    assert sec.dsc_keystreams([bytes(8)] * 40, [0] * 40)[39].tobytes() == expected


def test_combiner_as_affine_function_of_c() -> None:
    """The bit-sliced combiner computes a * c + b (dsc._combiner_outputs) for all inputs."""
    for x10, x11, x20, x21, x30, x31, c in itertools.product((0, 1), repeat=7):
        s = x11 ^ x21 ^ x30
        a = x10 & s ^ x11 ^ x30 ^ x31
        b = x10 & (s & x20 ^ x11 ^ x31) ^ x11 & x20 ^ x21 ^ x31
        assert a & c ^ b == dsc._combiner_output(x10, x11, x20, x21, x30, x31, c)


def _outputs(register: int, state: int, count: int) -> list[int]:
    out = []
    for _ in range(count):
        out.append(state & 1)
        state = dsc._clock(state, register)
    return out


@pytest.mark.parametrize("register", range(4))
def test_sequence_form_identities(register: int) -> None:
    """State bits and later outputs are the XORs of sequence bits the helpers name."""
    length = DSC_REGISTERS[register][0]
    rng = random.Random(register)
    for _ in range(20):
        state = rng.getrandbits(length)
        seq = _outputs(register, state, 3 * length)
        for bit in range(length):
            offsets = dsc._state_bit_offsets(register, bit)
            assert state >> bit & 1 == sum(seq[o] for o in offsets) % 2
        for u, offsets in enumerate(dsc._sequence_offsets(register, 3 * length)):
            assert max(offsets) < length
            assert seq[u] == sum(seq[o] for o in offsets) % 2
        window = sum(b << u for u, b in enumerate(seq[:length]))
        extended = dsc._extend_sequence(window, register, length, 3 * length)
        assert extended == sum(b << u for u, b in enumerate(seq))


@pytest.mark.parametrize("register", range(3))
def test_register_bit_one_is_the_next_output(register: int) -> None:
    """Both fast forms read bit 1 of R1..R3 as s[k+1]: true while no mask has bit 0 set."""
    assert dsc._state_bit_offsets(register, 1) == {1}


def _load(key: bytes, iv: int) -> list[int]:
    """R1..R4 after the loading of section 5.2, clocked one bit at a time."""
    loading = iv | int.from_bytes(key, "little") << 64
    regs = [0, 0, 0, 0]
    for i in range(128):
        for j, (length, _) in enumerate(DSC_REGISTERS):
            regs[j] = dsc._clock(regs[j], j) ^ (loading >> i & 1) << (length - 1)
    return regs


def test_loading_shares_match_the_loading() -> None:
    rng = random.Random(3)
    for _ in range(10):
        key, iv = rng.randbytes(8), rng.getrandbits(35)
        loading = iv | int.from_bytes(key, "little") << 64
        for j, register in enumerate(_load(key, iv)):
            shares = dsc._loading_outputs(j, 64)
            first = 0
            for i in range(128):
                if loading >> i & 1:
                    first ^= shares[i]
            assert first == sum(b << u for u, b in enumerate(_outputs(j, register, 64)))


def test_slice_lanes_matches_unpacking() -> None:
    rng = np.random.default_rng(9)
    for count in (1, 8, 64, 100):
        rows = rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
        words = (count + 63) // 64
        bits = np.unpackbits(rows, axis=1, bitorder="little")
        padded = np.zeros((128, 64 * words), dtype=np.uint8)
        padded[:, :count] = bits.T
        expected = np.packbits(padded, axis=1, bitorder="little").view("<u8")
        assert np.array_equal(dsc._slice_lanes(rows, words), expected)
