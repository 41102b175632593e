"""DSAA, the DECT Standard Authentication Algorithm: A11, A12, A21, A22, B1, B2, PIN -> AC.

shared/specs/dect-security.md sections 2 and 3.1-3.3; values are big-endian byte strings.
"""

from __future__ import annotations

from dect.errors import DectValueError

from .tables import (
    AC_SIZE,
    DSAA_A21_MASK,
    DSAA_CASSABLE_PASSES,
    DSAA_SBOX,
    DSAA_STAGE1_PERMUTATIONS,
    DSAA_STAGE2_PERMUTATIONS,
    K_SIZE,
    PIN_MAX_DIGITS,
    RAND_SIZE,
    RES_SIZE,
    RS_SIZE,
)

_BLOCK_BITS = 64


def _check_size(name: str, value: bytes, size: int) -> None:
    if len(value) != size:
        raise DectValueError(f"{name} must be {size} bytes, got {len(value)}")


# --- the cassable block cipher ----------------------------------------------


def _permutation_tables(start: int, step: int) -> tuple[tuple[int, ...], ...]:
    """Byte-wise lookup tables for the bit permutation P(start, step) (section 3.3).

    Input bit i of the 64-bit little-endian block goes to output bit
    (start + i * step) mod 64; table[b][v] is the output for byte b holding v.
    """
    tables = []
    for byte_index in range(8):
        table = []
        for value in range(256):
            out = 0
            for bit in range(8):
                if value >> bit & 1:
                    out |= 1 << ((start + (8 * byte_index + bit) * step) % _BLOCK_BITS)
            table.append(out)
        tables.append(tuple(table))
    return tuple(tables)


_PERMUTATION_TABLES = {
    permutation: _permutation_tables(*permutation)
    for permutation in DSAA_STAGE1_PERMUTATIONS + DSAA_STAGE2_PERMUTATIONS
}


def _permute(block: int, tables: tuple[tuple[int, ...], ...]) -> int:
    t0, t1, t2, t3, t4, t5, t6, t7 = tables
    return (
        t0[block & 0xFF]
        | t1[block >> 8 & 0xFF]
        | t2[block >> 16 & 0xFF]
        | t3[block >> 24 & 0xFF]
        | t4[block >> 32 & 0xFF]
        | t5[block >> 40 & 0xFF]
        | t6[block >> 48 & 0xFF]
        | t7[block >> 56]
    )


def _cassable(data: bytes, key: bytes, permutation: tuple[int, int]) -> bytes:
    """Six rounds of the 64-bit "cassable" cipher on little-endian blocks.

    Each round permutes the round key (cumulatively), substitutes S XOR key
    through the S-box and mixes byte pairs at distance 4, 2, 1 (a -> 2a + b,
    b -> a + 3b, mod 256). Unrolled on eight locals: this is the hot loop of
    every authentication.
    """
    tables = _PERMUTATION_TABLES[permutation]
    sb = DSAA_SBOX
    s0, s1, s2, s3, s4, s5, s6, s7 = data
    round_key = int.from_bytes(key, "little")
    for _ in range(DSAA_CASSABLE_PASSES):
        # distance 4
        round_key = _permute(round_key, tables)
        k0, k1, k2, k3, k4, k5, k6, k7 = round_key.to_bytes(8, "little")
        s0, s1, s2, s3 = sb[s0 ^ k0], sb[s1 ^ k1], sb[s2 ^ k2], sb[s3 ^ k3]
        s4, s5, s6, s7 = sb[s4 ^ k4], sb[s5 ^ k5], sb[s6 ^ k6], sb[s7 ^ k7]
        s0, s4 = (2 * s0 + s4) & 0xFF, (s0 + 3 * s4) & 0xFF
        s1, s5 = (2 * s1 + s5) & 0xFF, (s1 + 3 * s5) & 0xFF
        s2, s6 = (2 * s2 + s6) & 0xFF, (s2 + 3 * s6) & 0xFF
        s3, s7 = (2 * s3 + s7) & 0xFF, (s3 + 3 * s7) & 0xFF
        # distance 2
        round_key = _permute(round_key, tables)
        k0, k1, k2, k3, k4, k5, k6, k7 = round_key.to_bytes(8, "little")
        s0, s1, s2, s3 = sb[s0 ^ k0], sb[s1 ^ k1], sb[s2 ^ k2], sb[s3 ^ k3]
        s4, s5, s6, s7 = sb[s4 ^ k4], sb[s5 ^ k5], sb[s6 ^ k6], sb[s7 ^ k7]
        s0, s2 = (2 * s0 + s2) & 0xFF, (s0 + 3 * s2) & 0xFF
        s1, s3 = (2 * s1 + s3) & 0xFF, (s1 + 3 * s3) & 0xFF
        s4, s6 = (2 * s4 + s6) & 0xFF, (s4 + 3 * s6) & 0xFF
        s5, s7 = (2 * s5 + s7) & 0xFF, (s5 + 3 * s7) & 0xFF
        # distance 1
        round_key = _permute(round_key, tables)
        k0, k1, k2, k3, k4, k5, k6, k7 = round_key.to_bytes(8, "little")
        s0, s1, s2, s3 = sb[s0 ^ k0], sb[s1 ^ k1], sb[s2 ^ k2], sb[s3 ^ k3]
        s4, s5, s6, s7 = sb[s4 ^ k4], sb[s5 ^ k5], sb[s6 ^ k6], sb[s7 ^ k7]
        s0, s1 = (2 * s0 + s1) & 0xFF, (s0 + 3 * s1) & 0xFF
        s2, s3 = (2 * s2 + s3) & 0xFF, (s2 + 3 * s3) & 0xFF
        s4, s5 = (2 * s4 + s5) & 0xFF, (s4 + 3 * s5) & 0xFF
        s6, s7 = (2 * s6 + s7) & 0xFF, (s6 + 3 * s7) & 0xFF
    return bytes((s0, s1, s2, s3, s4, s5, s6, s7))


def _stage(x: bytes, y: bytes, permutations: tuple[tuple[int, int], tuple[int, int]]) -> bytes:
    y_out = _cassable(y, x, permutations[0])
    return _cassable(x, y_out, permutations[1])


def dsaa(d1: bytes, d2: bytes) -> bytes:
    """The A-DSAA algorithm: E (16 bytes) from D1 (16 bytes, secret) and D2 (8 bytes).

    All three values are big-endian byte strings; E's bytes 4..11 are the DCK
    part and bytes 12..15 the RES part (section 3.1).
    """
    _check_size("D1", d1, K_SIZE)
    _check_size("D2", d2, RS_SIZE)
    k = d1[::-1]
    r = d2[::-1]
    r1 = _stage(r, k[4:12], DSAA_STAGE1_PERMUTATIONS)
    r2 = _stage(r1, k[0:4] + k[12:16], DSAA_STAGE2_PERMUTATIONS)
    return (r2[0:4] + r1 + r2[4:8])[::-1]


# --- key derivation (section 3.1, 3.2) --------------------------------------


def pin_to_ac(pin: str) -> bytes:
    """The 32-bit authentication code for a keyed-in PIN: BCD, left-padded with F nibbles.

    "9124" -> ff ff 91 24; "12345678" -> 12 34 56 78 (GAP coding, section 3.2).
    """
    if not (1 <= len(pin) <= PIN_MAX_DIGITS and pin.isascii() and pin.isdigit()):
        raise DectValueError(f"a DECT PIN is 1 to {PIN_MAX_DIGITS} decimal digits, got {pin!r}")
    return bytes.fromhex(pin.rjust(2 * AC_SIZE, "f"))


def _repeat(value: bytes, what: str) -> bytes:
    """K[i] = X[i mod LEN_X] for the 16 octets of K: `value` repeated octet by octet from its
    first octet and cut at 16, as libdect's B1/B2 do for any length (the bit-wise rule of
    section 3.1 gives the same result whenever LEN_X divides 128 bits)."""
    if not value:
        raise DectValueError(f"cannot derive a key from an empty {what}")
    if len(value) > K_SIZE:
        raise DectValueError(f"a {what} is at most {K_SIZE} bytes, got {len(value)}")
    return (value * -(-K_SIZE // len(value)))[:K_SIZE]


def b1(value: bytes) -> bytes:
    """B1: the 128-bit authentication key K from a UAK (identity) or an AC (repeated)."""
    return _repeat(value, "UAK or AC")


def b2(uak: bytes, upi: bytes) -> bytes:
    """B2: K for user authentication, UAK[i mod LEN] XOR UPI[i mod LEN] octet by octet."""
    return bytes(a ^ b for a, b in zip(_repeat(uak, "UAK"), _repeat(upi, "UPI"), strict=True))


# --- the authentication processes (section 3.1) -----------------------------


def a11(k: bytes, rs: bytes) -> bytes:
    """A11: the session key KS (16 bytes) for authenticating the PT."""
    return dsaa(k, rs)


def a12(ks: bytes, rand_f: bytes) -> tuple[bytes, bytes]:
    """A12: (DCK, RES1) from KS and RAND_F; DCK is 8 bytes in Annex K order."""
    _check_size("RAND_F", rand_f, RAND_SIZE)
    e = dsaa(ks, rand_f)
    return e[4:12], e[16 - RES_SIZE :]


def a21(k: bytes, rs: bytes) -> bytes:
    """A21: the session key KS' (16 bytes) for authenticating the FT; also the new UAK."""
    return bytes(e ^ DSAA_A21_MASK for e in dsaa(k, rs))


def a22(ks_prime: bytes, rand_p: bytes) -> bytes:
    """A22: RES2 (4 bytes) from KS' and RAND_P."""
    _check_size("RAND_P", rand_p, RAND_SIZE)
    return dsaa(ks_prime, rand_p)[16 - RES_SIZE :]
