"""DSAA2 and DSC2 (AES-128): Annexes L/M on ETSI bit sequences, then A11..A22 on values.

shared/specs/dect-security.md section 7; its open bit-0 question (7.4) is settled in one place.
"""

from __future__ import annotations

from Crypto.Cipher import AES

from dect.errors import DectValueError

from .tables import (
    AES_BLOCK_SIZE,
    DSAA2_DCK_SIZE,
    DSC2_CK_MAX_BITS,
    DSC2_IV_MAX_BITS,
    DSC_FULL_SLOT_BITS,
    IV_BITS,
    K_SIZE,
    RAND_SIZE,
    RES_SIZE,
    RS128_SIZE,
)

_HALF = AES_BLOCK_SIZE // 2
_HALF_BITS = 8 * _HALF
_BLOCK_BITS = 8 * AES_BLOCK_SIZE
_TAG_BITS = 8 * RES_SIZE

# --- ETSI bit sequences ------------------------------------------------------
#
# Annexes L and M write every input and output as a bit sequence whose index 0
# is the leftmost bit, which is also how AES (FIPS-197) reads its input. Here a
# sequence of n bits is `bytes` of ceil(n / 8) octets, index 0 in the MSB of the
# first octet, and the bits after n zero (as in the ETSI hex notation).


def _sequence(name: str, value: bytes, nbits: int | None, max_bits: int) -> bytes:
    """Check a bit sequence and zero-pad it on the right to `max_bits`."""
    if nbits is None:
        nbits = 8 * len(value)
    if not 0 <= nbits <= max_bits:
        raise DectValueError(f"{name} is at most {max_bits} bits, got {nbits}")
    size = (nbits + 7) // 8
    if len(value) != size:
        raise DectValueError(f"{name} of {nbits} bits needs {size} bytes, got {len(value)}")
    return _truncate(value, nbits).ljust(max_bits // 8, b"\0")


def _truncate(value: bytes, nbits: int) -> bytes:
    """The first `nbits` bits of a sequence, trailing bits of the last octet cleared."""
    out = bytearray(value[: (nbits + 7) // 8])
    if nbits % 8:
        out[-1] &= (0xFF << (8 - nbits % 8)) & 0xFF
    return bytes(out)


def _aes(key: bytes, block: bytes) -> bytes:
    return AES.new(key, AES.MODE_ECB).encrypt(block)


def _dsaa2_w(
    d1: bytes, d2: bytes, d3: bytes, m: int | None, n: int | None, r: int | None
) -> tuple[bytes, bytes]:
    key = _sequence("D1", d1, m, _BLOCK_BITS)
    plaintext = _sequence("D2", d2, n, _HALF_BITS) + _sequence("D3", d3, r, _HALF_BITS)
    return key, _aes(key, plaintext)


def dsaa2_1(
    d1: bytes,
    d2: bytes,
    d3: bytes,
    *,
    m: int | None = None,
    n: int | None = None,
    r: int | None = None,
) -> bytes:
    """DSAA2-1 (Annex L): E = AES_K(AES_K(D2 || D3)), K = D1; all padded with zero bits.

    D1 has m <= 128 bits, D2 n <= 64 and D3 r <= 64 (default: all bits of the
    bytes given). Returns the 128-bit session key E.
    """
    key, w = _dsaa2_w(d1, d2, d3, m, n, r)
    return _aes(key, w)


def dsaa2_2(
    d1: bytes,
    d2: bytes,
    d3: bytes,
    t: int = _BLOCK_BITS,
    *,
    m: int | None = None,
    n: int | None = None,
    r: int | None = None,
) -> tuple[bytes, bytes]:
    """DSAA2-2 (Annex L): (E1, E2) = (first 32 bits of W, first t bits of AES_K(W')).

    W = AES_K(D2 || D3) and W' is W with its last bit inverted. E1 is the
    authentication tag (RES), E2 the t-bit cipher key, both as bit sequences.
    """
    if not 0 < t <= _BLOCK_BITS:
        raise DectValueError(f"t is 1..{_BLOCK_BITS} bits, got {t}")
    key, w = _dsaa2_w(d1, d2, d3, m, n, r)
    flipped = w[:-1] + bytes([w[-1] ^ 1])
    return w[:RES_SIZE], _truncate(_aes(key, flipped), t)


def dsc2_block(
    ck: bytes, iv: bytes, j: int, *, m: int | None = None, n: int | None = None
) -> bytes:
    """Block j of DSC2 (Annex M): AES_CK(IV zero-padded to 64 bits || j as 64-bit big-endian)."""
    if not 0 <= j < 1 << _HALF_BITS:
        raise DectValueError(f"block counter must fit 64 bits, got {j}")
    key = _sequence("CK", ck, m, DSC2_CK_MAX_BITS)
    return _aes(key, _sequence("IV", iv, n, DSC2_IV_MAX_BITS) + j.to_bytes(_HALF, "big"))


def dsc2(
    ck: bytes,
    iv: bytes,
    nbits: int = DSC_FULL_SLOT_BITS,
    *,
    m: int | None = None,
    n: int | None = None,
) -> bytes:
    """DSC2 (Annex M): the first `nbits` bits of AES-CTR on (IV || counter), as a sequence."""
    if nbits < 0:
        raise DectValueError(f"cannot generate {nbits} keystream bits")
    key = _sequence("CK", ck, m, DSC2_CK_MAX_BITS)
    prefix = _sequence("IV", iv, n, DSC2_IV_MAX_BITS)
    blocks = (nbits + _BLOCK_BITS - 1) // _BLOCK_BITS
    counters = b"".join(prefix + j.to_bytes(_HALF, "big") for j in range(blocks))
    return _truncate(AES.new(key, AES.MODE_ECB).encrypt(counters), nbits)


# --- the processes on this library's values ---------------------------------
#
# EN 300 175-7 numbers the bits of RS, RAND, RES, K, KS, DCK, CK and IV with
# X[0] the least significant bit, and Annexes L/M feed "X[0], X[1], ..." as the
# sequence. Read literally, the sequence of a value is its bit reversal: the
# LSB becomes the first AES bit. Spec section 7.4 lists this as unsettled; this
# is the literal reading, chosen because it is also the only one under which
# the standard's other statements agree (a 64-bit DCK zero-extended in its MSBs
# for DSC2 equals Annex M's key padded on the right, and "the 64 LSBs of a
# DSAA2 DCK" used by DSC equal DSAA2-2 run with t = 64). Every mapping goes
# through `_to_sequence`/`_from_sequence`, so a capture that proves otherwise
# needs a change in these two functions only.


_BIT_REVERSE = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _to_sequence(value: bytes) -> bytes:
    """The ETSI sequence X[0], X[1], ... of a big-endian value: its bit reversal."""
    return value[::-1].translate(_BIT_REVERSE)


def _from_sequence(sequence: bytes) -> bytes:
    """The big-endian value whose bit i is sequence[i] (the inverse of `_to_sequence`)."""
    return _to_sequence(sequence)


def _check(name: str, value: bytes, size: int) -> None:
    if len(value) != size:
        raise DectValueError(f"{name} must be {size} bytes, got {len(value)}")


def _split_rs128(rs128: bytes) -> tuple[bytes, bytes]:
    """(RS1, RS2) sequences of an RS128 = RS2 || RS1 (RS2 in the most significant half)."""
    _check("RS128", rs128, RS128_SIZE)
    return _to_sequence(rs128[_HALF:]), _to_sequence(rs128[:_HALF])


def dsaa2_a11(k: bytes, rs128: bytes) -> bytes:
    """A11 with DSAA2: KS = DSAA2-1(K, RS1, RS2), 16 bytes."""
    _check("K", k, K_SIZE)
    rs1, rs2 = _split_rs128(rs128)
    return _from_sequence(dsaa2_1(_to_sequence(k), rs1, rs2))


def dsaa2_a21(k: bytes, rs128: bytes) -> bytes:
    """A21 with DSAA2: KS' = DSAA2-1(K, RS1, RS2) (no bit inversion, unlike DSAA)."""
    return dsaa2_a11(k, rs128)


def dsaa2_a12(ks: bytes, rand_f: bytes, rand_p: bytes) -> tuple[bytes, bytes]:
    """A12 with DSAA2: (DCK, RES1) = (E2, E1) of DSAA2-2(KS, RAND_F, RAND_P); DCK is 16 bytes."""
    _check("KS", ks, K_SIZE)
    _check("RAND_F", rand_f, RAND_SIZE)
    _check("RAND_P", rand_p, RAND_SIZE)
    tag, key = dsaa2_2(_to_sequence(ks), _to_sequence(rand_f), _to_sequence(rand_p))
    return _from_sequence(key), _from_sequence(tag)


def dsaa2_a22(ks_prime: bytes, rand_p: bytes, rand_f: bytes) -> bytes:
    """A22 with DSAA2: RES2 = E1 of DSAA2-2(KS', RAND_P, RAND_F)."""
    _check("KS'", ks_prime, K_SIZE)
    _check("RAND_P", rand_p, RAND_SIZE)
    _check("RAND_F", rand_f, RAND_SIZE)
    tag, _ = dsaa2_2(_to_sequence(ks_prime), _to_sequence(rand_p), _to_sequence(rand_f), _TAG_BITS)
    return _from_sequence(tag)


def dsc2_keystream(ck: bytes, iv: int, nbits: int = DSC_FULL_SLOT_BITS) -> bytes:
    """The DSC2 keystream of one frame, in the byte layout of `dsc_keystream`.

    `ck` is a 16-byte DSAA2 DCK, or an 8-byte DSAA DCK / SCK, which is
    zero-extended in its most significant bits (section 6, CK size adaptation).
    `iv` is the 35-bit frame IV of `dsc_iv`. One counter-mode run per frame
    gives SF then SP, as for DSC (section 7.4 item 2 notes this is assumed).
    """
    if len(ck) not in (DSAA2_DCK_SIZE // 2, DSAA2_DCK_SIZE):
        raise DectValueError(f"a DSC2 cipher key is 8 or 16 bytes, got {len(ck)}")
    if not 0 <= iv < 1 << IV_BITS:
        raise DectValueError(f"a DSC IV is {IV_BITS} bits, got {iv:#x}")
    key = _to_sequence(ck.rjust(DSAA2_DCK_SIZE, b"\0"))
    return dsc2(key, _to_sequence(iv.to_bytes(_HALF, "big")), nbits)
