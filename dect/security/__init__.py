"""DECT security: DSAA/DSC, DSAA2/DSC2, key allocation, authentication, cipher keys.

Implements shared/specs/dect-security.md (sections 2-7). No I/O: every value is a
big-endian byte string as in the spec's section 2, randomness is injectable.
"""

from __future__ import annotations

from .dsaa import a11, a12, a21, a22, b1, b2, dsaa, pin_to_ac
from .dsaa2 import (
    dsaa2_1,
    dsaa2_2,
    dsaa2_a11,
    dsaa2_a12,
    dsaa2_a21,
    dsaa2_a22,
    dsc2,
    dsc2_block,
    dsc2_keystream,
)
from .dsc import dsc_iv, dsc_keystream, dsc_keystreams
from .errors import AuthenticationFailed, ProtocolStateError, SecurityError, UnknownCipherKey
from .flows import (
    Algorithm,
    Challenge,
    FpFtAuthentication,
    FpKeyAllocation,
    FpPtAuthentication,
    FtResponse,
    PpFtAuthentication,
    PpKeyAllocation,
    PpPtAuthentication,
    PtResponse,
    RandomSource,
)
from .keys import CipherKeys, EncryptedLink, KeyUse, RekeyDue, dsc_cipher_key

__all__ = [
    "Algorithm",
    "AuthenticationFailed",
    "Challenge",
    "CipherKeys",
    "EncryptedLink",
    "FpFtAuthentication",
    "FpKeyAllocation",
    "FpPtAuthentication",
    "FtResponse",
    "KeyUse",
    "PpFtAuthentication",
    "PpKeyAllocation",
    "PpPtAuthentication",
    "ProtocolStateError",
    "PtResponse",
    "RandomSource",
    "RekeyDue",
    "SecurityError",
    "UnknownCipherKey",
    "a11",
    "a12",
    "a21",
    "a22",
    "b1",
    "b2",
    "dsaa",
    "dsaa2_1",
    "dsaa2_2",
    "dsaa2_a11",
    "dsaa2_a12",
    "dsaa2_a21",
    "dsaa2_a22",
    "dsc2",
    "dsc2_block",
    "dsc2_keystream",
    "dsc_cipher_key",
    "dsc_iv",
    "dsc_keystream",
    "dsc_keystreams",
    "pin_to_ac",
]
