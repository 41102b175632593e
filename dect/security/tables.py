"""Constants of the DECT security algorithms, as data, in one place.

shared/specs/dect-security.md sections 3.3 (DSAA), 4.6, 5.1-5.3 (DSC) and 7 (DSAA2/DSC2).
"""

from __future__ import annotations

from typing import Final

# --- DSAA (section 3.3) -----------------------------------------------------

#: The DSAA S-box, a permutation of 0..255 (row = high nibble, column = low nibble).
DSAA_SBOX: Final[bytes] = bytes.fromhex(
    "b0686ff67de81685397c7fde43f059a9"
    "fb8032ae5f258cf5946bd8ea8898c229"
    "cf3a50961c0895f482370a562cff4fc4"
    "60a5832130f8f328fa9349344278bffc"
    "61c6f1a71a53034d86d304877e8fa0b7"
    "31b3e70e2fcc69c3c0d9c813dc8b0152"
    "c148efaf73dd5c2e1991df22d53d0da3"
    "58813efd6244242db68d5a0517be2754"
    "5d9dd6ad6ced64cef2723fd446a410a2"
    "3b89974c6e7499e4e3bbee7000bd6520"
    "0f7ae99e9bc7b563e6aae18ac507061e"
    "5e1d3538771411e2b984189f2acbdaf7"
    "a6b2667bb19c6d6af9fecac9a841bc79"
    "dbb867baac36ab924bd7e59a76cd151f"
    "4e4a57711b550951330cb48e2be0d05b"
    "4775454002d13cec23eb0bd2a1902612"
)

#: Bit permutation (start, step) of the two cassable calls of DSAA stage 1 and stage 2.
DSAA_STAGE1_PERMUTATIONS: Final[tuple[tuple[int, int], tuple[int, int]]] = ((46, 35), (25, 47))
DSAA_STAGE2_PERMUTATIONS: Final[tuple[tuple[int, int], tuple[int, int]]] = ((60, 27), (55, 39))

#: The cassable cipher runs its three rounds (mixing distance 4, 2, 1) twice.
DSAA_CASSABLE_PASSES: Final[int] = 2

#: A21 inverts every odd-numbered bit of the DSAA output: E XOR 0xaa..aa.
DSAA_A21_MASK: Final[int] = 0xAA

# --- sizes in bytes (sections 3.1, 6, 7) ------------------------------------

AC_SIZE: Final[int] = 4
PIN_MAX_DIGITS: Final[int] = 8
K_SIZE: Final[int] = 16
RS_SIZE: Final[int] = 8
RS128_SIZE: Final[int] = 16
RAND_SIZE: Final[int] = 8
RES_SIZE: Final[int] = 4
DCK_SIZE: Final[int] = 8
DSAA2_DCK_SIZE: Final[int] = 16

# --- DSC (sections 5.1, 5.2) ------------------------------------------------

#: (length in bits, Galois feedback mask) of R1..R4.
DSC_REGISTERS: Final[tuple[tuple[int, int], ...]] = (
    (17, 0x10020),
    (19, 0x4100C),
    (21, 0x100002),
    (23, 0x400100),
)

#: For R1, R2, R3: the three (register index, bit) pairs XORed to decide the extra clock.
DSC_EXTRA_CLOCK_TAPS: Final[tuple[tuple[tuple[int, int], ...], ...]] = (
    ((1, 9), (2, 10), (3, 0)),
    ((0, 8), (2, 10), (3, 1)),
    ((0, 8), (1, 9), (3, 2)),
)

#: Regular clocks per output step for R1..R3 (plus the optional extra one) and for R4.
DSC_REGULAR_CLOCKS: Final[int] = 2
DSC_R4_CLOCKS: Final[int] = 3

#: Number of IV bits and CK bits loaded (IV first, both LSB first).
DSC_IV_BITS: Final[int] = 64
DSC_CK_BITS: Final[int] = 64

#: Output steps discarded before the first keystream bit.
DSC_PRECIPHER_STEPS: Final[int] = 40

#: The step at which all-zero registers get their most significant bit set.
DSC_ZERO_FIX_STEP: Final[int] = 11

#: Keystream bits per frame for a full slot: SF (FT->PT) then SP (PT->FT), 360 each.
DSC_FULL_SLOT_BITS: Final[int] = 720

# --- IV (section 5.3) -------------------------------------------------------

IV_BITS: Final[int] = 35
IV_FN_BITS: Final[int] = 4
IV_MFN_BITS: Final[int] = 24
IV_LBN_SHIFT: Final[int] = 28
IV_BASIC_LBN: Final[int] = 15

# --- DSC2 (section 7.3) -----------------------------------------------------

AES_BLOCK_SIZE: Final[int] = 16
DSC2_IV_MAX_BITS: Final[int] = 64
DSC2_CK_MAX_BITS: Final[int] = 128

# --- Enhanced security (section 4.6; SIP-DECT security guidelines) -----------

#: SIP-DECT changes the cipher key of an active link every minute.
REKEY_INTERVAL_SECONDS: Final[float] = 60.0

#: DefCK indexes are 16-bit (AUTH-TYPE octets 5a/5b).
DEFCK_INDEX_MAX: Final[int] = 0xFFFF
