"""DSC, the DECT Standard Cipher: a frame's keystream, singly or bit-sliced for many links.

shared/specs/dect-security.md sections 5.1-5.3. `_reference_keystream` clocks the registers
as the spec does; `dsc_keystream` and `dsc_keystreams` get the same bits faster by following
each register's output sequence instead (see "the sequence form").
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import product
from typing import Final

import numpy as np
from numpy.lib.stride_tricks import as_strided
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


#: The bit of R1, R2, R3 that feeds the other registers' extra-clock decisions. The
#: reference implementation hard-wires which register feeds which decision (e1 <- R2, R3,
#: R4[0]; e2 <- R1, R3, R4[1]; e3 <- R1, R2, R4[2]); the tests check that against the table.
_DECISION_SHIFTS: Final = tuple(
    next(bit for taps in DSC_EXTRA_CLOCK_TAPS for reg, bit in taps if reg == j) for j in range(3)
)


# --- reference implementation: the registers as the spec clocks them --------


def _reference_keystream(ck: bytes, iv: int, nbits: int) -> bytes:
    """`dsc_keystream` by clocking R1..R4 step by step (section 5.2); `_check_inputs` first.

    The fast forms below use it for keys whose registers load as zero: only this one applies
    the step-11 fix.
    """
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


# --- the sequence form, shared by both fast implementations ----------------
#
# A Galois register is fixed by its next L output bits: after k clocks its bit i is
# s[k+i] XOR s[k+i-1-t] for every feedback tap t < i, where s is the sequence of bits it
# shifts out, and s[u] = s[u-L] XOR s[u-1-t] over the taps t. So R1..R3, clocked 2 or 3
# times a step, are each a position in their own sequence that advances by 2 or 3, and
# R4 is simply three bits of its sequence per step. The loading is linear: the first
# outputs of every register are the XOR of one share per loading bit that is set. Keys
# whose registers load as zero need the step-11 fix and take the reference path.

_LOADING_BITS: Final = DSC_IV_BITS + DSC_CK_BITS
#: The most clocks R1..R3 get in one step.
_MAX_CLOCKS: Final = DSC_REGULAR_CLOCKS + 1


def _loading_outputs(index: int, count: int) -> tuple[int, ...]:
    """For each loading bit, the first `count` outputs of register `index` if only that bit is 1.

    Bit i is XORed into the top and then clocked once for each later loading bit.
    """
    register = 1 << (_LENGTHS[index] - 1)
    stream = 0
    for clocks in range(_LOADING_BITS + count):
        stream |= (register & 1) << clocks
        register = _clock(register, index)
    mask = (1 << count) - 1
    return tuple(stream >> (_LOADING_BITS - 1 - i) & mask for i in range(_LOADING_BITS))


def _state_bit_offsets(index: int, bit: int) -> frozenset[int]:
    """The offsets o for which s[k+o], XORed together, give bit `bit` of the register at clock k."""
    return frozenset({bit}) ^ frozenset(bit - 1 - tap for tap in _TAPS[index] if tap < bit)


def _sequence_offsets(index: int, count: int) -> tuple[frozenset[int], ...]:
    """s[k+u] for u < count as XORs of s[k..k+L-1], the register's state at clock k."""
    length = _LENGTHS[index]
    terms = [frozenset({u}) for u in range(length)]
    while len(terms) < count:
        u = len(terms)
        term = terms[u - length]
        for tap in _TAPS[index]:
            term ^= terms[u - 1 - tap]
        terms.append(term)
    return tuple(terms[:count])


def _recurrence_chunks(
    index: int, known: int, total: int
) -> list[tuple[int, int, tuple[int, ...]]]:
    """Blocks (start, end, lags) with s[u] = XOR of s[u - lag] for start <= u < end.

    The recurrence's polynomial squared k times has its lags times 2**k, so once the first
    L * 2**k bits are known each block can be as long as the smallest lag times 2**k.
    """
    length = _LENGTHS[index]
    chunks = []
    while known < total:
        scale = 1
        while 2 * scale * length <= known:
            scale *= 2
        lags = (scale * length, *(scale * (1 + tap) for tap in _TAPS[index]))
        end = min(known + min(lags), total)
        chunks.append((known, end, lags))
        known = end
    return chunks


def _extend_sequence(stream: int, index: int, known: int, total: int) -> int:
    """The first `total` outputs of register `index` (bit u is s[u]) from the first `known`."""
    for start, end, lags in _recurrence_chunks(index, known, total):
        block = 0
        for lag in lags:
            block ^= stream >> (start - lag)
        stream |= (block & ((1 << (end - start)) - 1)) << start
    return stream


def _sequence_bits(index: int, steps: int) -> int:
    """How many outputs of register `index` a run of `steps` steps reads."""
    if index == 3:
        return DSC_R4_CLOCKS * steps
    reach = max(1, *_state_bit_offsets(index, _DECISION_SHIFTS[index]))
    return _MAX_CLOCKS * (steps - 1) + reach + 1


# --- integer implementation: one keystream ----------------------------------

#: Where each register's first L outputs sit in the packed loading value (R1 lowest).
_WINDOW_SHIFTS: Final = tuple(sum(_LENGTHS[:j]) for j in range(4))
_FULL_SLOT_STEPS: Final = DSC_PRECIPHER_STEPS + DSC_FULL_SLOT_BITS
#: A step is one lookup, _step_table()[R3 field][R2 field][c | R4 field | R1 field]: the
#: field of R1..R3 is its bits 0 and 1 and its decision bit at its current position, read
#: from bytes prepared per position; R4's is its bits 0..2 that step. These shifts place
#: the fields of the innermost index (nesting keeps every field a byte).
_R4_SHIFT: Final = 1
_R1_SHIFT: Final = 4


def _byte_table(basis: Sequence[int]) -> tuple[int, ...]:
    """XOR of the basis values selected by the bits of every byte value."""
    table = [0]
    for value in basis:
        table += [x ^ value for x in table]
    return tuple(table)


@cache
def _window_tables() -> tuple[tuple[int, ...], ...]:
    """Per loading byte (IV then CK, 16 in all): its share of the first L outputs of R1..R4."""
    basis = [0] * _LOADING_BITS
    for j, length in enumerate(_LENGTHS):
        for i, outputs in enumerate(_loading_outputs(j, length)):
            basis[i] |= outputs << _WINDOW_SHIFTS[j]
    return tuple(_byte_table(basis[i : i + 8]) for i in range(0, _LOADING_BITS, 8))


@cache
def _sequence_tables(index: int) -> tuple[tuple[int, ...], ...]:
    """Per byte of a register's first L outputs: its share of the outputs a full slot reads."""
    length = _LENGTHS[index]
    total = _sequence_bits(index, _FULL_SLOT_STEPS)
    basis = [_extend_sequence(1 << u, index, length, total) for u in range(length)]
    return tuple(_byte_table(basis[u : u + 8]) for u in range(0, length, 8))


def _sequence(window: int, index: int, steps: int) -> int:
    """The outputs of register `index` a run of `steps` reads, from its first L outputs."""
    stream = 0
    for table in _sequence_tables(index):
        stream ^= table[window & 0xFF]
        window >>= 8
    known = _sequence_bits(index, _FULL_SLOT_STEPS)
    return _extend_sequence(stream, index, known, _sequence_bits(index, steps))


def _register_fields(stream: int, index: int, steps: int, shift: int) -> bytes:
    """Per position k of register `index`: its step-table field, shifted left by `shift`."""
    positions = _MAX_CLOCKS * (steps - 1) + 1
    # Binary digits read as octal put bit u of the sequence at bit 3u, lane u of 3 bits.
    lanes = int(f"{stream & ((1 << _sequence_bits(index, steps)) - 1):b}", 8)
    decision = 0
    for offset in _state_bit_offsets(index, _DECISION_SHIFTS[index]):
        decision ^= lanes >> 3 * offset
    # Bit 1 of the register is s[k+1]: none of the masks has bit 0 set.
    fields = lanes | (lanes >> 3) << 1 | decision << 2
    return _octal_lanes(fields, positions, shift)


def _octal_lanes(value: int, count: int, shift: int) -> bytes:
    """The 3-bit groups 0..count-1 of `value`, each shifted left by `shift`, one per byte."""
    digits = f"{value & ((1 << 3 * count) - 1):0{count}o}"[::-1].encode()
    return digits.translate(_OCTAL_DIGITS[shift])


_OCTAL_DIGITS: Final = {
    shift: bytes.maketrans(b"01234567", bytes(v << shift for v in range(8)))
    for shift in (0, _R4_SHIFT, _R1_SHIFT)
}
_AS_ASCII_BITS: Final = bytes.maketrans(b"\x00\x01", b"01")


@cache
def _step_table() -> tuple[tuple[tuple[tuple[int, int, int, int], ...], ...], ...]:
    """Per step-table index: (clocks of R1, R2, R3, combiner output) for that step."""

    def entry(f3: int, f2: int, inner: int) -> tuple[int, int, int, int]:
        fields = (inner >> _R1_SHIFT, f2, f3)
        c = _COMBINER[
            fields[0] & 3 | (fields[1] & 3) << 2 | (fields[2] & 3) << 4 | (inner & 1) << 6
        ]
        decision = [field >> 2 for field in fields]
        decision += [inner >> _R4_SHIFT + bit & 1 for bit in range(DSC_R4_CLOCKS)]
        r1, r2, r3 = (
            DSC_REGULAR_CLOCKS
            + sum(decision[3 + bit if reg == 3 else reg] for reg, bit in taps) % 2
            for taps in DSC_EXTRA_CLOCK_TAPS
        )
        return r1, r2, r3, c

    return tuple(
        tuple(tuple(entry(f3, f2, inner) for inner in range(8 << _R1_SHIFT)) for f2 in range(8))
        for f3 in range(8)
    )


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
    packed = 0
    for shares, byte in zip(_window_tables(), iv.to_bytes(8, "little") + ck, strict=True):
        packed ^= shares[byte]
    windows = [
        packed >> shift & ((1 << n) - 1) for shift, n in zip(_WINDOW_SHIFTS, _LENGTHS, strict=True)
    ]
    if nbits == 0:
        return b""
    if not all(windows):
        return _reference_keystream(ck, iv, nbits)
    steps = DSC_PRECIPHER_STEPS + nbits
    f1, f2, f3 = (
        _register_fields(_sequence(windows[j], j, steps), j, steps, shift)
        for j, shift in enumerate((_R1_SHIFT, 0, 0))
    )
    r4 = _octal_lanes(_sequence(windows[3], 3, steps), steps, _R4_SHIFT)
    table = _step_table()
    out = bytearray(steps)
    k1 = k2 = k3 = c = 0
    for step, field in enumerate(r4):
        i1, i2, i3, c = table[f3[k3]][f2[k2]][field | c | f1[k1]]
        k1 += i1
        k2 += i2
        k3 += i3
        out[step] = c
    bits = int(out[DSC_PRECIPHER_STEPS:].translate(_AS_ASCII_BITS), 2)
    nbytes = (nbits + 7) // 8
    return (bits << (8 * nbytes - nbits)).to_bytes(nbytes, "big")


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

    Bit-sliced: one uint64 word holds a bit for 64 connections, so one numpy
    operation advances all of them. A call costs about 5 numpy operations per
    step whatever the batch (a few ms up to a thousand connections), so pass
    one frame of every active bearer in one call; batches of up to
    `_SCALAR_BATCH_MAX` take `dsc_keystream`, which is faster there.
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


#: Up to this many lanes `dsc_keystream` is faster than bit-slicing (`sipdect bench dect`).
_SCALAR_BATCH_MAX: Final = 15


def _keystreams_bitsliced(
    keys: NDArray[np.uint8], iv_words: NDArray[np.uint64], nbits: int
) -> NDArray[np.uint8]:
    count = keys.shape[0]
    nbytes = (nbits + 7) // 8
    if count == 0 or nbits == 0:
        return np.zeros((count, nbytes), dtype=np.uint8)
    words = (count + _LANES_PER_WORD - 1) // _LANES_PER_WORD
    loading = np.concatenate([iv_words.view(np.uint8).reshape(count, 8), keys], axis=1)
    shares = _first_output_tables().take(loading + _SHARE_ROWS, axis=0)
    first = np.bitwise_xor.reduce(shares, axis=1)
    steps = DSC_PRECIPHER_STEPS + nbits
    sliced = _slice_lanes(first.view(np.uint8).reshape(count, 4 * 8), words)
    stream = np.zeros((8 * nbytes, words), dtype=_WORD)
    stream[:nbits] = _sliding_windows(sliced, steps)[DSC_PRECIPHER_STEPS:]
    out = _unslice_lanes(stream, count, nbits)
    for lane in np.flatnonzero((first == 0).any(axis=1)):
        key, iv = keys[lane].tobytes(), int(iv_words[lane])
        out[lane] = np.frombuffer(_reference_keystream(key, iv, nbits), dtype=np.uint8)
    return out


#: Outputs of every register known straight from the loading: one uint64 each.
_FIRST_OUTPUTS: Final = _LANES_PER_WORD


#: Row of byte b's first share in `_first_output_tables`, per loading byte.
_SHARE_ROWS: Final = 256 * np.arange(_LOADING_BITS // 8, dtype=np.intp)


@cache
def _first_output_tables() -> NDArray[np.uint64]:
    """(16 * 256, 4): row 256 * b + v is loading byte b's share, for value v, of the first
    64 outputs of R1..R4."""
    tables = np.zeros((_LOADING_BITS // 8, 256, 4), dtype=_WORD)
    for j in range(4):
        outputs = _loading_outputs(j, _FIRST_OUTPUTS)
        for i in range(0, _LOADING_BITS, 8):
            tables[i // 8, :, j] = _byte_table(outputs[i : i + 8])
    tables.flags.writeable = False  # cached and shared
    return tables.reshape(-1, 4)


def _slice_lanes(rows: NDArray[np.uint8], words: int) -> NDArray[np.uint64]:
    """(lanes, nbytes) -> (8 * nbytes, words): row i holds bit i (LSB-first) of every lane.

    Lane l lands in bit l % 64 of word l // 64.
    """
    count, nbytes = rows.shape
    padded = np.zeros((words * _LANES_PER_WORD, nbytes), dtype=np.uint8)
    padded[:count] = rows
    # Each uint64 takes one byte column of 8 lanes; an 8x8 bit transpose turns it into
    # 8 bytes, byte i holding bit i of those lanes.
    columns = np.ascontiguousarray(padded.reshape(8 * words, 8, nbytes).transpose(2, 0, 1))
    x = columns.view(_WORD)[..., 0]
    for shift, mask in _TRANSPOSE_8X8:
        t = (x ^ (x >> shift)) & mask
        x ^= t ^ (t << shift)
    bits = x.view(np.uint8).reshape(nbytes, 8 * words, 8).transpose(0, 2, 1)
    return np.ascontiguousarray(bits).reshape(8 * nbytes, 8 * words).view(_WORD)


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


#: R1..R3 share rows: sequence offset u of register j is row 3 * u + j (a "group" per offset).
_GROUP: Final = 3
#: Groups rewritten from the windows each step: from the shortest register's length up
#: to what the largest step reads, plus one group for the extra-clock decisions.
_LOW: Final = min(_LENGTHS[:3])
_SPAN: Final = max(_LENGTHS[:3])
_DECISIONS: Final = _SPAN + _MAX_CLOCKS
#: Rows the frame moves up each step; step t's R4 rows (its outputs, then zero rows) are
#: as many, so one stride serves both.
_STEP_ROWS: Final = _GROUP * DSC_REGULAR_CLOCKS


@cache
def _rewrite_terms() -> NDArray[np.intp]:
    """(terms, rows): the rows XORed into each rewritten row, relative to a step's frame.

    Rewritten are groups _LOW.._DECISIONS-1 (window bits or recurrence values; a
    register's rows past its length + _MAX_CLOCKS are never read and stay zero) and the
    decisions group. -1 - i stands for step's R4 row i (i = DSC_R4_CLOCKS: a zero row).
    """
    rows: list[frozenset[int]] = []
    for u in range(_LOW, _DECISIONS):
        for j, length in enumerate(_LENGTHS[:3]):
            offsets = _sequence_offsets(j, u + 1)[u] if u < length + _MAX_CLOCKS else frozenset()
            rows.append(frozenset(_GROUP * o + j for o in offsets))
    for taps in DSC_EXTRA_CLOCK_TAPS:
        decision: frozenset[int] = frozenset()
        for reg, bit in taps:
            offsets = _state_bit_offsets(reg, bit)
            if reg == 3:
                decision ^= frozenset(-1 - o for o in offsets)
            else:
                decision ^= frozenset(_GROUP * o + reg for o in offsets)
        rows.append(decision)
    width = max(len(terms) for terms in rows)
    index = np.full((width, len(rows)), -1 - DSC_R4_CLOCKS, dtype=np.intp)
    for r, terms in enumerate(rows):
        index[: len(terms), r] = sorted(terms)
    index.flags.writeable = False  # cached and shared
    return index


def _r4_outputs(first: NDArray[np.uint64], steps: int) -> NDArray[np.uint64]:
    """(DSC_R4_CLOCKS * steps, words): the bits R4 shifts out, from its first `len(first)`."""
    total = DSC_R4_CLOCKS * steps
    out = np.empty((max(total, len(first)), first.shape[1]), dtype=_WORD)
    out[: len(first)] = first
    for start, end, lags in _recurrence_chunks(3, len(first), total):
        block = out[start:end]
        np.bitwise_xor(
            out[start - lags[0] : end - lags[0]], out[start - lags[1] : end - lags[1]], out=block
        )
        for lag in lags[2:]:
            np.bitwise_xor(block, out[start - lag : end - lag], out=block)
    return out[:total]


def _sliding_windows(sliced: NDArray[np.uint64], steps: int) -> NDArray[np.uint64]:
    """(steps, words): the combiner output of every step, from the first outputs (`sliced`).

    Rows hold one bit of 64 connections. R1..R3 are windows of their sequences at the
    bottom of a frame of rows that moves up two groups a step, so the regular clocks move
    no data and an extra clock moves a connection's window one group further (a masked
    XOR). The groups the frame uncovers are recomputed from the windows by the recurrence,
    in one gather and one XOR-reduction that also yields the extra-clock decisions. The
    frame never writes below itself again, so the bottom groups keep each step's combiner
    inputs.
    """
    words = sliced.shape[1]
    groups = DSC_REGULAR_CLOCKS * steps + _DECISIONS + 1
    frame_rows = _GROUP * groups
    buffer = np.empty((frame_rows + _STEP_ROWS * steps, words), dtype=_WORD)
    frames = buffer[:frame_rows].reshape(groups, _GROUP, words)
    frames[: _DECISIONS + 1] = 0
    for j, length in enumerate(_LENGTHS[:3]):
        frames[:length, j] = sliced[_FIRST_OUTPUTS * j : _FIRST_OUTPUTS * j + length]
    r4 = buffer[frame_rows:].reshape(steps, _STEP_ROWS, words)
    r4[:, DSC_R4_CLOCKS:] = 0
    r4[:, :DSC_R4_CLOCKS] = _r4_outputs(sliced[_FIRST_OUTPUTS * 3 :], steps).reshape(
        steps, DSC_R4_CLOCKS, words
    )
    terms = _rewrite_terms()
    terms = np.where(terms >= 0, terms, frame_rows - 1 - terms)

    row_stride, word_stride = buffer.strides

    def each_step(first_row: int, rows: int) -> NDArray[np.uint64]:
        """(steps, rows, words): item t starts `first_row` rows into step t's frame."""
        return as_strided(
            buffer[first_row:],
            shape=(steps, rows, words),
            strides=(_STEP_ROWS * row_stride, row_stride, word_stride),
        )

    source = each_step(0, frame_rows + _STEP_ROWS)
    rewritten = each_step(_GROUP * _LOW, terms.shape[1])
    window = each_step(_GROUP * DSC_REGULAR_CLOCKS, _GROUP * _SPAN).reshape(
        steps, _SPAN, _GROUP, words
    )
    ahead = each_step(_GROUP * _MAX_CLOCKS, _GROUP * _SPAN).reshape(steps, _SPAN, _GROUP, words)
    extra = each_step(_GROUP * _DECISIONS, _GROUP)[:, None]
    gathered = np.empty((*terms.shape, words), dtype=_WORD)
    moved = np.empty((_SPAN, _GROUP, words), dtype=_WORD)
    xor, and_, reduce = np.bitwise_xor, np.bitwise_and, np.bitwise_xor.reduce
    for src, rows, new, further, due in zip(source, rewritten, window, ahead, extra, strict=True):
        # The terms are in range by construction; "clip" spares the bounds check.
        src.take(terms, axis=0, out=gathered, mode="clip")
        reduce(gathered, axis=0, out=rows)
        # The window moved by two groups is already in place; where the extra clock is
        # due, move it by three instead.
        xor(further, new, out=moved)
        and_(moved, due, out=moved)
        xor(new, moved, out=new)
    return _combiner_outputs(frames, steps)


def _combiner_outputs(frames: NDArray[np.uint64], steps: int) -> NDArray[np.uint64]:
    """(steps, words): c after every step, from the bits 0 and 1 of R1..R3 each step began with."""
    # Bit 1 of a register is s[k+1] (no mask has bit 0 set), the window row above bit 0.
    x10, x11, x20, x21, x30, x31 = (
        frames[u : u + DSC_REGULAR_CLOCKS * steps : DSC_REGULAR_CLOCKS, j]
        for j in range(3)
        for u in range(2)
    )
    # The combiner is a * c + b over GF(2), a and b from the register bits (the spec's
    # 14 terms regrouped; the tests compare all 128 inputs).
    s = x11 ^ x21 ^ x30
    a = x10 & s ^ x11 ^ x30 ^ x31
    b: NDArray[np.uint64] = x10 & (s & x20 ^ x11 ^ x31) ^ x11 & x20 ^ x21 ^ x31
    # c[t + 1] = a[t] c[t] + b[t] from c[0] = 0: compose the affine maps by doubling spans.
    span = 1
    while span < steps:
        b[span:] ^= a[span:] & b[:-span]
        a[span:] &= a[:-span]
        span *= 2
    return b
