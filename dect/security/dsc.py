"""DSC, the DECT Standard Cipher: a frame's keystream, singly or bit-sliced for many links.

shared/specs/dect-security.md sections 5.1-5.3; `dsc_keystream` is the plain reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product
from typing import Final

import numpy as np
from numpy.typing import NDArray

from dect.errors import DectValueError

from .tables import (
    DCK_SIZE,
    DSC_CK_BITS,
    DSC_EXTRA_CLOCK_TAPS,
    DSC_FULL_SLOT_BITS,
    DSC_IV_BITS,
    DSC_PRECIPHER_STEPS,
    DSC_R4_CLOCKS,
    DSC_REGISTERS,
    DSC_REGULAR_CLOCKS,
    DSC_ZERO_FIX_STEP,
    IV_BASIC_LBN,
    IV_BITS,
    IV_FN_BITS,
    IV_LBN_SHIFT,
    IV_MFN_BITS,
)

# --- the IV (section 5.3) ---------------------------------------------------


def dsc_iv(mfn: int, fn: int, lbn: int | None = None) -> int:
    """The 35-bit IV of a frame: mfn * 16 + fn, plus (15 - LBN) << 28 for advanced connections.

    `lbn=None` (a basic connection) is the same as LBN 15, which adds nothing.
    """
    if not 0 <= mfn < 1 << IV_MFN_BITS:
        raise DectValueError(f"multiframe number must be 0..{(1 << IV_MFN_BITS) - 1}, got {mfn}")
    if not 0 <= fn < 1 << IV_FN_BITS:
        raise DectValueError(f"frame number must be 0..{(1 << IV_FN_BITS) - 1}, got {fn}")
    iv = mfn << IV_FN_BITS | fn
    if lbn is not None:
        if not 0 <= lbn <= IV_BASIC_LBN:
            raise DectValueError(f"logical bearer number must be 0..{IV_BASIC_LBN}, got {lbn}")
        iv |= (IV_BASIC_LBN - lbn) << IV_LBN_SHIFT
    return iv


def _check_inputs(ck: bytes, iv: int, nbits: int) -> None:
    if len(ck) != DCK_SIZE:
        raise DectValueError(f"a DSC cipher key is {DCK_SIZE} bytes, got {len(ck)}")
    if not 0 <= iv < 1 << IV_BITS:
        raise DectValueError(f"a DSC IV is {IV_BITS} bits, got {iv:#x}")
    if nbits < 0:
        raise DectValueError(f"cannot generate {nbits} keystream bits")


# --- register arithmetic shared by both implementations ---------------------

_LENGTHS: Final = tuple(length for length, _ in DSC_REGISTERS)
_MASKS: Final = tuple(mask for _, mask in DSC_REGISTERS)
#: Feedback taps of each register other than its top bit (the top bit receives bit 0).
_TAPS: Final = tuple(
    tuple(bit for bit in range(length - 1) if mask >> bit & 1) for length, mask in DSC_REGISTERS
)


def _clock(r: int, index: int) -> int:
    """One Galois clock: shift right; if bit 0 was 1, XOR the feedback mask."""
    return r >> 1 ^ _MASKS[index] if r & 1 else r >> 1


def _clock_table(index: int, clocks: int) -> tuple[int, ...]:
    """Clocking k times is (r >> k) XOR table[r mod 2**k]: only the bits shifted out feed back."""
    table = []
    for low in range(1 << clocks):
        r = low
        for _ in range(clocks):
            r = _clock(r, index)
        table.append(r)
    return tuple(table)


def _irregular_table(index: int) -> tuple[int, ...]:
    """Feedback for 2 (entries 0..7) or 3 (entries 8..15) clocks, indexed by r mod 8."""
    two = _clock_table(index, DSC_REGULAR_CLOCKS)
    three = _clock_table(index, DSC_REGULAR_CLOCKS + 1)
    return tuple(two[low & 3] for low in range(8)) + three


_IRREGULAR: Final = tuple(_irregular_table(i) for i in range(3))
_R4_TABLE: Final = _clock_table(3, DSC_R4_CLOCKS)


def _combiner_output(x10: int, x11: int, x20: int, x21: int, x30: int, x31: int, c: int) -> int:
    """The output combiner of section 5.1, term by term as the spec prints it."""
    return (
        x11 & x10 & c
        ^ x20 & x11 & x10
        ^ x21 & x10 & c
        ^ x21 & x20 & x10
        ^ x30 & x10 & c
        ^ x30 & x20 & x10
        ^ x11 & c
        ^ x11 & x10
        ^ x20 & x11
        ^ x30 & c
        ^ x31 & c
        ^ x31 & x10
        ^ x21
        ^ x31
    )


#: The combiner as a table indexed by R1[1:0] | R2[1:0] << 2 | R3[1:0] << 4 | c << 6.
_COMBINER: Final = bytes(
    _combiner_output(x10, x11, x20, x21, x30, x31, c)
    for c, x31, x30, x21, x20, x11, x10 in product((0, 1), repeat=7)
)


#: The bit of R1, R2, R3 that feeds the other registers' extra-clock decisions. Both
#: implementations hard-wire which register feeds which decision (e1 <- R2, R3, R4[0];
#: e2 <- R1, R3, R4[1]; e3 <- R1, R2, R4[2]); the tests check that against the table.
_DECISION_SHIFTS: Final = tuple(
    next(bit for taps in DSC_EXTRA_CLOCK_TAPS for reg, bit in taps if reg == j) for j in range(3)
)


# --- reference implementation: one keystream -------------------------------


def dsc_keystream(ck: bytes, iv: int, nbits: int = DSC_FULL_SLOT_BITS) -> bytes:
    """The first `nbits` keystream bits KSS(0..nbits-1) for one frame.

    `ck` is the 8-byte DCK (or SCK) exactly as A12 returns it (Annex K order;
    bits are fed LSB of the first byte first, which is CK[0..63] of Annex K.2).
    `iv` comes from `dsc_iv`. The result holds the first bit in the most
    significant bit of byte 0 (the air-interface byte layout); a partial last
    byte is zero-padded. For a full slot, bytes 0-44 are SF (FT->PT) and
    bytes 45-89 are SP (PT->FT).
    """
    _check_inputs(ck, iv, nbits)
    regs = [0, 0, 0, 0]
    key = int.from_bytes(ck, "little")
    for x in [iv >> i & 1 for i in range(DSC_IV_BITS)] + [key >> i & 1 for i in range(DSC_CK_BITS)]:
        for j in range(4):
            regs[j] = _clock(regs[j], j) ^ x << (_LENGTHS[j] - 1)

    r1, r2, r3, r4 = regs
    t1, t2, t3 = _IRREGULAR
    t4 = _R4_TABLE
    comb = _COMBINER
    s18, s29, s310 = _DECISION_SHIFTS
    c = 0
    out = 0
    for step in range(DSC_PRECIPHER_STEPS + nbits):
        c = comb[(r1 & 3) | (r2 & 3) << 2 | (r3 & 3) << 4 | c << 6]
        e1 = (r2 >> s29 ^ r3 >> s310 ^ r4) & 1
        e2 = (r1 >> s18 ^ r3 >> s310 ^ r4 >> 1) & 1
        e3 = (r1 >> s18 ^ r2 >> s29 ^ r4 >> 2) & 1
        if step == DSC_ZERO_FIX_STEP:
            r1, r2, r3, r4 = _zero_fix_step((r1, r2, r3, r4), (e1, e2, e3))
        else:
            r1 = r1 >> (2 + e1) ^ t1[e1 << 3 | r1 & 7]
            r2 = r2 >> (2 + e2) ^ t2[e2 << 3 | r2 & 7]
            r3 = r3 >> (2 + e3) ^ t3[e3 << 3 | r3 & 7]
            r4 = r4 >> 3 ^ t4[r4 & 7]
        out = out << 1 | c
    nbytes = (nbits + 7) // 8
    out &= (1 << nbits) - 1
    return (out << (8 * nbytes - nbits)).to_bytes(nbytes, "big")


def _zero_fix_step(
    regs: tuple[int, int, int, int], extra: tuple[int, int, int]
) -> tuple[int, int, int, int]:
    """Clock one step the slow way, setting the top bit of every all-zero register."""
    out = list(regs)
    for j in range(3):
        if extra[j]:
            out[j] = _clock(out[j], j)
    for j in range(4):
        if regs[j] == 0:
            out[j] |= 1 << (_LENGTHS[j] - 1)
    for j in range(3):
        for _ in range(DSC_REGULAR_CLOCKS):
            out[j] = _clock(out[j], j)
    for _ in range(DSC_R4_CLOCKS):
        out[3] = _clock(out[3], 3)
    r1, r2, r3, r4 = out
    return r1, r2, r3, r4


# --- bit-sliced implementation: many keystreams -----------------------------

_WORD: Final = np.dtype("<u8")
_LANES_PER_WORD: Final = 64


def _as_key_matrix(cks: Sequence[bytes] | NDArray[np.uint8]) -> NDArray[np.uint8]:
    if isinstance(cks, np.ndarray):
        keys = np.ascontiguousarray(cks, dtype=np.uint8)
        if keys.ndim != 2 or keys.shape[1] != DCK_SIZE:
            raise DectValueError(f"cipher keys must have shape (n, {DCK_SIZE}), got {keys.shape}")
        return keys
    for ck in cks:
        if len(ck) != DCK_SIZE:
            raise DectValueError(f"a DSC cipher key is {DCK_SIZE} bytes, got {len(ck)}")
    return np.frombuffer(b"".join(cks), dtype=np.uint8).reshape(len(cks), DCK_SIZE)


def _as_iv_vector(ivs: Sequence[int] | NDArray[np.integer], count: int) -> NDArray[np.uint64]:
    values = np.asarray(ivs)
    if values.shape != (count,):
        raise DectValueError(f"expected {count} IVs (one per key), got shape {values.shape}")
    if count and (values.min() < 0 or values.max() >= 1 << IV_BITS):
        raise DectValueError(f"a DSC IV is {IV_BITS} bits")
    return values.astype(_WORD)


def dsc_keystreams(
    cks: Sequence[bytes] | NDArray[np.uint8],
    ivs: Sequence[int] | NDArray[np.integer],
    nbits: int = DSC_FULL_SLOT_BITS,
) -> NDArray[np.uint8]:
    """Keystreams for many (CK, IV) pairs at once; row i equals `dsc_keystream(cks[i], ivs[i])`.

    `cks` is a sequence of 8-byte keys or an (n, 8) uint8 array, `ivs` a
    sequence or array of n IVs. Returns an (n, ceil(nbits / 8)) uint8 array in
    the byte layout of `dsc_keystream` (``result[i].tobytes()`` is its bytes).

    Bit-sliced: every register bit is a row of uint64 words holding that bit
    for 64 connections, so one numpy operation advances all connections. Its
    cost per call is nearly fixed up to a few thousand connections, so pass one
    frame of every active bearer (or several frames) in one call; batches of
    up to 24 take the plain implementation, which is faster there.
    """
    keys = _as_key_matrix(cks)
    iv_words = _as_iv_vector(ivs, keys.shape[0])
    if nbits < 0:
        raise DectValueError(f"cannot generate {nbits} keystream bits")
    if keys.shape[0] <= _SCALAR_BATCH_MAX:
        nbytes = (nbits + 7) // 8
        rows = b"".join(
            dsc_keystream(key.tobytes(), int(iv), nbits)
            for key, iv in zip(keys, iv_words, strict=True)
        )
        return np.frombuffer(rows, dtype=np.uint8).reshape(len(keys), nbytes).copy()
    return _keystreams_bitsliced(keys, iv_words, nbits)


#: Up to this many lanes the plain implementation is faster than bit-slicing.
_SCALAR_BATCH_MAX: Final = 24


def _keystreams_bitsliced(
    keys: NDArray[np.uint8], iv_words: NDArray[np.uint64], nbits: int
) -> NDArray[np.uint8]:
    count = keys.shape[0]
    nbytes = (nbits + 7) // 8
    if count == 0 or nbits == 0:
        return np.zeros((count, nbytes), dtype=np.uint8)
    words = (count + _LANES_PER_WORD - 1) // _LANES_PER_WORD
    loading = _slice_lanes(
        np.concatenate([iv_words.view(np.uint8).reshape(count, 8), keys], axis=1), words
    )
    stream = _BitSlicedKsg(words).run(loading, 8 * nbytes)
    return _unslice_lanes(stream, count, nbits)


def _slice_lanes(rows: NDArray[np.uint8], words: int) -> NDArray[np.uint64]:
    """(lanes, nbytes) -> (8 * nbytes, words): row i holds bit i (LSB-first) of every lane.

    Lane l lands in bit l % 64 of word l // 64.
    """
    bits = np.unpackbits(rows, axis=1, bitorder="little")
    padded = np.zeros((bits.shape[1], words * _LANES_PER_WORD), dtype=np.uint8)
    padded[:, : bits.shape[0]] = bits.T
    return np.packbits(padded, axis=1, bitorder="little").view(_WORD)


#: Masks and shifts of the three-step 8x8 bit-matrix transpose inside a uint64.
_TRANSPOSE_8X8: Final = tuple(
    (np.uint64(shift), np.uint64(mask))
    for shift, mask in ((7, 0x00AA00AA00AA00AA), (14, 0x0000CCCC0000CCCC), (28, 0x00000000F0F0F0F0))
)


def _unslice_lanes(stream: NDArray[np.uint64], count: int, nbits: int) -> NDArray[np.uint8]:
    """(8 * nbytes, words) keystream rows -> (count, nbytes), first bit in each byte's MSB."""
    nbytes = stream.shape[0] // 8
    words = stream.shape[1]
    # Gather, for every group of 8 keystream bits and every byte column of the words,
    # the 8 bytes (last bit of the group first) into one uint64, i.e. an 8x8 bit matrix.
    groups = stream.view(np.uint8).reshape(nbytes, 8, 8 * words)[:, ::-1, :]
    x = np.ascontiguousarray(groups.transpose(0, 2, 1)).view(_WORD)[..., 0]
    for shift, mask in _TRANSPOSE_8X8:
        t = (x ^ (x >> shift)) & mask
        x ^= t ^ (t << shift)
    # Byte j of x is now lane 8 * column + j, with the group's first bit in the MSB.
    out = np.ascontiguousarray(x.view(np.uint8).reshape(nbytes, 64 * words)[:, :count].T)
    if nbits % 8:
        out[:, -1] &= (0xFF << (8 - nbits % 8)) & 0xFF
    return out


class _BitSlicedKsg:
    """The KSG of section 5 for 64 * `words` connections in parallel.

    Each register is a ring of rows: logical bit b sits in row
    (b + offset) % length, so a regular clock moves no data — the offset
    advances and old bit 0 is XORed into the tap rows. Only the per-connection
    extra clock of R1..R3 rotates data: the ring rolled by one row (the same
    roll whatever the offset), masked by the connections that clock. R4 is
    clocked regularly, so only the bits it shifts out are needed: they are
    generated up front from its linear recurrence, several rows per operation.
    """

    def __init__(self, words: int) -> None:
        self.words = words
        self.rings = [np.zeros((length, words), dtype=_WORD) for length in _LENGTHS]
        self.offsets = [0, 0, 0, 0]

    def _load(self, bits: NDArray[np.uint64]) -> None:
        """Feed IV and CK bits: clock every register, XOR the bit into its top."""
        for x in bits:
            for j, ring in enumerate(self.rings):
                length = _LENGTHS[j]
                offset = self.offsets[j]
                bit0 = ring[offset % length]
                for tap in _TAPS[j]:
                    row = ring[(tap + offset + 1) % length]
                    np.bitwise_xor(row, bit0, out=row)
                row = bit0  # old bit 0 is the new top bit
                np.bitwise_xor(row, x, out=row)
                self.offsets[j] = offset + 1

    def _r4_output(self, clocks: int) -> NDArray[np.uint64]:
        """The bits R4 shifts out in its first `clocks` regular clocks (zero fix included)."""
        length, ring, offset = _LENGTHS[3], self.rings[3], self.offsets[3]
        out = np.empty((max(clocks, length), self.words), dtype=_WORD)
        # A Galois register's output obeys s[u] = s[u - L] + sum over taps t of s[u - 1 - t].
        state = np.roll(ring, -offset, axis=0)
        zero = np.invert(np.bitwise_or.reduce(state, axis=0))
        for u in range(length):
            out[u] = state[0]
            feedback = state[0].copy()
            state[:-1] = state[1:]
            state[-1] = feedback
            for tap in _TAPS[3]:
                state[tap] ^= feedback
        lags = [1 + tap for tap in _TAPS[3]]
        chunk = min(lags)
        for start in range(length, clocks, chunk):
            end = min(start + chunk, clocks)
            np.bitwise_xor(
                out[start - length : end - length],
                out[start - lags[0] : end - lags[0]],
                out=out[start:end],
            )
            for lag in lags[1:]:
                np.bitwise_xor(out[start:end], out[start - lag : end - lag], out=out[start:end])
        # Connections whose R4 loaded as zero restart at step 11 from the top bit alone.
        first = DSC_ZERO_FIX_STEP * DSC_R4_CLOCKS
        if clocks > first:
            r = 1 << (length - 1)
            ones = []
            for u in range(first, clocks):
                if r & 1:
                    ones.append(u)
                r = _clock(r, 3)
            out[ones] |= zero
        return out[:clocks]

    def _phases(self, j: int) -> list[_Phase]:
        """Row views of R1..R3 for every ring offset, built once per run."""
        ring, length = self.rings[j], _LENGTHS[j]
        scratch = np.empty((length, self.words), dtype=_WORD)
        # (ring clocked once, before feedback) XOR ring, in two slices: the roll is
        # the same whatever the offset.
        roll = (
            (ring[1:], ring[:-1], scratch[:-1]),
            (ring[0], ring[-1], scratch[-1]),
        )
        decision = _DECISION_SHIFTS[j]
        phases = []
        for offset in range(length):

            def row(bit: int, clocks: int = 0, _offset: int = offset) -> int:
                return (bit + _offset + clocks) % length

            regular = tuple(
                (ring[row(tap, clock + 1)], ring[row(0, clock)])
                for clock in range(DSC_REGULAR_CLOCKS)
                for tap in _TAPS[j]
            )
            phases.append(
                _Phase(
                    bit0=ring[row(0)],
                    bit1=ring[row(1)],
                    decision=ring[row(decision)],
                    ring=ring,
                    scratch=scratch,
                    roll=roll,
                    extra_taps=tuple((scratch[row(tap)], ring[row(0)]) for tap in _TAPS[j]),
                    regular=regular,
                )
            )
        return phases

    def _zero_fix(self, j: int, offset: int) -> None:
        ring, length = self.rings[j], _LENGTHS[j]
        zero = np.invert(np.bitwise_or.reduce(ring, axis=0))
        top = ring[(length - 1 + offset) % length]
        np.bitwise_or(top, zero, out=top)

    def run(self, loading: NDArray[np.uint64], nbits: int) -> NDArray[np.uint64]:
        """Load IV and CK bits (128 rows) and return (nbits, words) keystream rows."""
        self._load(loading)
        steps = DSC_PRECIPHER_STEPS + nbits
        r4 = self._r4_output(DSC_R4_CLOCKS * steps).reshape(steps, DSC_R4_CLOCKS, self.words)
        phases = [self._phases(j) for j in range(3)]
        start = [self.offsets[j] for j in range(3)]
        schedule = [
            tuple(phases[j][(start[j] + DSC_REGULAR_CLOCKS * step) % _LENGTHS[j]] for j in range(3))
            for step in range(steps)
        ]
        out = np.zeros((steps + 1, self.words), dtype=_WORD)  # row 0: initial c = 0
        a, b, t, e1, e2, e3 = np.empty((6, self.words), dtype=_WORD)
        xor, and_ = np.bitwise_xor, np.bitwise_and
        for step, (p1, p2, p3) in enumerate(schedule):
            x10, x11, d1 = p1.bit0, p1.bit1, p1.decision
            x20, x21, d2 = p2.bit0, p2.bit1, p2.decision
            x30, x31, d3 = p3.bit0, p3.bit1, p3.decision
            c = out[step]
            # out = x10 (A B + x11 + x31) + x11 B + (x30 + x31) c + x21 + x31, with
            # A = x11 + x21 + x30 and B = c + x20 over GF(2): the spec's 14 terms, factored.
            xor(x11, x21, a)
            xor(a, x30, a)
            xor(c, x20, b)
            and_(a, b, a)
            xor(a, x11, a)
            xor(a, x31, a)
            and_(a, x10, a)
            and_(x11, b, b)
            xor(a, b, a)
            xor(x30, x31, t)
            and_(t, c, t)
            xor(a, t, a)
            xor(x21, x31, t)
            xor(a, t, out[step + 1])
            # Extra clock decisions (section 5.1), from the states at the start of the step.
            r40, r41, r42 = r4[step]
            xor(d2, d3, e1)
            xor(e1, r40, e1)
            xor(d1, d3, e2)
            xor(e2, r41, e2)
            xor(d1, d2, e3)
            xor(e3, r42, e3)
            for phase, extra in ((p1, e1), (p2, e2), (p3, e3)):
                # d = (ring clocked once) XOR ring, kept only where `extra` is set.
                for x, y, d in phase.roll:
                    xor(x, y, d)
                for row, bit0 in phase.extra_taps:
                    xor(row, bit0, row)
                ring, d = phase.ring, phase.scratch
                and_(d, extra, d)
                xor(ring, d, ring)
            if step == DSC_ZERO_FIX_STEP:
                for j in range(3):
                    self._zero_fix(j, (start[j] + DSC_REGULAR_CLOCKS * step) % _LENGTHS[j])
            for row, bit0 in p1.regular + p2.regular + p3.regular:
                xor(row, bit0, row)
        return out[DSC_PRECIPHER_STEPS + 1 :]


@dataclass(frozen=True, slots=True)
class _Phase:
    """Views of one of R1..R3 at one ring offset (see `_BitSlicedKsg`)."""

    bit0: NDArray[np.uint64]
    bit1: NDArray[np.uint64]
    decision: NDArray[np.uint64]
    """The register's bit used in the other registers' extra-clock decisions."""
    ring: NDArray[np.uint64]
    scratch: NDArray[np.uint64]
    """(length, words) work area for the extra clock."""
    roll: tuple[tuple[NDArray[np.uint64], NDArray[np.uint64], NDArray[np.uint64]], ...]
    """(a, b, out) views computing scratch = ring rolled by one row XOR ring."""
    extra_taps: tuple[tuple[NDArray[np.uint64], NDArray[np.uint64]], ...]
    """(scratch row, bit 0 row) for the feedback of the extra clock."""
    regular: tuple[tuple[NDArray[np.uint64], NDArray[np.uint64]], ...]
    """(tap row, bit 0 row) for the feedback of the two regular clocks."""
