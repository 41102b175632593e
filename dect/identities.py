"""DECT identities: IPEI, IPUI, ARI, PARK, RFPI, SARI and TPUI.

ETSI EN 300 175-6 §5 (ARI classes A-E, RFPI, SARI list), §6 (PARK, IPUI types, TPUI), §10 and
Annex C (IPEI and its printed form); bit layouts as EN 300 175-5 §7.7.18/§7.7.30 carry them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, IntEnum

from dect.errors import DectValueError


class AccessRightsClass(IntEnum):
    """ARC, the first three bits of every ARI and PARK (EN 300 175-6 table 7.2)."""

    A = 0
    B = 1
    C = 2
    D = 3
    E = 4
    F = 5
    G = 6
    H = 7


class PortableUserType(IntEnum):
    """PUT, the first nibble of every IPUI (EN 300 175-6 table 7.3)."""

    N = 0
    O = 1  # noqa: E741 - the standard's name for the type
    P = 2
    Q = 3
    R = 4
    S = 5
    T = 6
    U = 7


class TpuiKind(Enum):
    """What the leading hex digits of a TPUI say it is (EN 300 175-6 table 6.1)."""

    ASSIGNED_INDIVIDUAL = "assigned individual"
    CONNECTIONLESS_GROUP = "connectionless group"
    CALL_GROUP = "call group"
    DEFAULT_INDIVIDUAL = "default individual"
    EMERGENCY = "emergency"
    NOT_AVAILABLE = "not available"
    RESERVED = "reserved"


# EN 300 175-6 §5.1-§5.5: ARI length per class (ARC + ARD) and RPN length in the RFPI.
ARI_BITS: dict[AccessRightsClass, int] = {
    AccessRightsClass.A: 36,
    AccessRightsClass.B: 31,
    AccessRightsClass.C: 31,
    AccessRightsClass.D: 31,
    AccessRightsClass.E: 31,
}
# Width of the trailing number (FPN, or FPN + FPS) after the class's leading code.
ARD_NUMBER_BITS: dict[AccessRightsClass, int] = {
    AccessRightsClass.A: 17,
    AccessRightsClass.B: 12,
    AccessRightsClass.C: 12,
    AccessRightsClass.D: 8,
    AccessRightsClass.E: 12,
}
RPN_BITS: dict[AccessRightsClass, int] = {
    AccessRightsClass.A: 3,
    AccessRightsClass.B: 8,
    AccessRightsClass.C: 8,
    AccessRightsClass.D: 8,
    AccessRightsClass.E: 8,
}
ARC_BITS = 3
RFPI_BITS = 40
ARI_E_FILL = 0x5555  # EN 300 175-6 §5.5: class E FIL, the fixed 16-bit 0101... pattern
SARI_LIST_CODE_BITS = 3
SARI_BITS = 36  # a12..a47 of the QT SARI message
SARI_CLASSES = frozenset({AccessRightsClass.B, AccessRightsClass.C, AccessRightsClass.D})
"""§5.6: the ARI classes a SARI may be (never class A, nor E)."""

EMC_BITS = 16
PSN_BITS = 20
IPEI_BITS = EMC_BITS + PSN_BITS
PUT_BITS = 4
TPUI_BITS = 20
TPUI_DEFAULT_INDIVIDUAL = 0xE  # first hex digit; then the lowest 16 bits of the IPUI
TPUI_EMERGENCY = 0xF1  # first two hex digits; then the lowest 12 bits of the IPUI

# EN 300 175-6 §6.2 / EN 300 175-5 §7.7.30: PUN length (bits) each type allows.
PUN_MAX_BITS: dict[PortableUserType, int] = {
    PortableUserType.N: IPEI_BITS,
    PortableUserType.O: 60,
    PortableUserType.P: 96,
    PortableUserType.Q: 80,
    PortableUserType.R: 60,
    PortableUserType.S: 60,
    PortableUserType.T: 60,
    PortableUserType.U: 80,
}
# Types whose PUN is BCD digits (T: after a 16-bit binary EIC); an odd nibble count is
# completed with a 1111 filler in the NWK coding (EN 300 175-5 §7.7.30).
PUN_BCD_OFFSET: dict[PortableUserType, int] = {
    PortableUserType.Q: 0,
    PortableUserType.R: 0,
    PortableUserType.S: 0,
    PortableUserType.U: 0,
    PortableUserType.T: 16,
}

_IPEI_SPACED = re.compile(r"(\d{5}) (\d{7}) ([0-9*])")
_IPEI_COMPACT = re.compile(r"(\d{5})(\d{7})([0-9*])")
_HEX = re.compile(r"[0-9A-Fa-f]+")


def _check_range(field: str, value: int, bits: int) -> None:
    if not 0 <= value < (1 << bits):
        raise DectValueError(f"{field} must fit in {bits} bits (0..{(1 << bits) - 1}), got {value}")


def _octets(bits: int) -> int:
    return (bits + 7) // 8


def left_aligned(value: int, bits: int, fill_nibble: bool = False) -> bytes:
    """`bits` bits of value, MSB first, in whole octets; unused low bits 0 (or a 1111 nibble)."""
    size = _octets(bits)
    pad = size * 8 - bits
    word = value << pad
    if fill_nibble and pad == 4:
        word |= 0xF
    return word.to_bytes(size, "big")


def from_left_aligned(field: str, data: bytes, bits: int, fill_nibble: bool = False) -> int:
    """Inverse of left_aligned(); DectValueError naming `field` if octets or spare bits are off."""
    if len(data) != _octets(bits):
        raise DectValueError(f"{field}: {bits} bits need {_octets(bits)} octets, got {len(data)}")
    pad = len(data) * 8 - bits
    word = int.from_bytes(data, "big")
    spare = word & ((1 << pad) - 1)
    expected = 0xF if fill_nibble and pad == 4 else 0
    if spare != expected:
        raise DectValueError(f"{field}: unused bits must be {expected:#x}, got {spare:#x}")
    return word >> pad


def ipei_check_digit(emc: int, psn: int) -> str:
    """EN 300 175-6 Annex C: sum of digit x position over "EEEEEPPPPPPP" modulo 11, 10 -> '*'."""
    digits = f"{emc:05d}{psn:07d}"
    total = sum(int(d) * position for position, d in enumerate(digits, start=1)) % 11
    return "*" if total == 10 else str(total)


@dataclass(frozen=True, order=True)
class Ipei:
    """International Portable Equipment Identity: 16-bit EMC and 20-bit PSN (EN 300 175-6 §10)."""

    emc: int
    """Equipment Manufacturer's Code."""
    psn: int
    """Portable equipment Serial Number."""

    def __post_init__(self) -> None:
        _check_range("IPEI EMC", self.emc, EMC_BITS)
        _check_range("IPEI PSN", self.psn, PSN_BITS)

    @classmethod
    def parse(cls, text: str) -> Ipei:
        """From "EEEEE PPPPPPP C" (Annex C, the OMM's form) or the 13-character "EEEEEPPPPPPPC"."""
        match = _IPEI_SPACED.fullmatch(text) or _IPEI_COMPACT.fullmatch(text)
        if match is None:
            raise DectValueError(
                f"IPEI {text!r}: expected 'EEEEE PPPPPPP C' or 'EEEEEPPPPPPPC' (C = 0-9 or *)"
            )
        emc, psn = int(match.group(1)), int(match.group(2))
        if emc >= 1 << EMC_BITS:
            raise DectValueError(f"IPEI EMC must be at most 65535, got {emc}")
        if psn >= 1 << PSN_BITS:
            raise DectValueError(f"IPEI PSN must be at most 1048575, got {psn}")
        ipei = cls(emc, psn)
        if ipei.check_digit != match.group(3):
            raise DectValueError(
                f"IPEI check digit of {text!r}: expected {ipei.check_digit}, got {match.group(3)}"
            )
        return ipei

    @property
    def check_digit(self) -> str:
        """Annex C check character, '0'-'9' or '*'."""
        return ipei_check_digit(self.emc, self.psn)

    def omm_form(self) -> str:
        """The Annex C text, also AXI's ipei attribute: "03074 0220259 3"."""
        return f"{self.emc:05d} {self.psn:07d} {self.check_digit}"

    def compact_form(self) -> str:
        """The 13-character printed form without spaces: "0307402202593"."""
        return f"{self.emc:05d}{self.psn:07d}{self.check_digit}"

    def to_int(self) -> int:
        """The 36-bit IPEI value (EMC in the high 16 bits)."""
        return (self.emc << PSN_BITS) | self.psn

    @classmethod
    def from_int(cls, value: int) -> Ipei:
        _check_range("IPEI", value, IPEI_BITS)
        return cls(value >> PSN_BITS, value & ((1 << PSN_BITS) - 1))

    def to_bytes(self) -> bytes:
        """Five octets "0000 EMC PSN", the IPUI-N/IPEI identity value of EN 300 175-5 fig. 71."""
        return self.to_int().to_bytes(5, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> Ipei:
        if len(data) != 5 or data[0] >> 4:
            raise DectValueError(
                f"IPEI octets must be 5 with a leading 0000 nibble, got {data.hex()}"
            )
        return cls.from_int(int.from_bytes(data, "big"))

    def __str__(self) -> str:
        return self.omm_form()


@dataclass(frozen=True)
class Ipui:
    """International Portable User Identity: PUT and a PUN of `pun_bits` bits (EN 300 175-6 §6.2).

    The PUN is kept as the integer of its bits, so BCD types hold their digits as nibbles.
    """

    put: PortableUserType
    """Portable user type N..U."""
    pun: int
    """Portable user number, as the natural binary value of its bits."""
    pun_bits: int
    """Length of the PUN in bits (the NWK identity length is 4 + pun_bits)."""

    def __post_init__(self) -> None:
        if not isinstance(self.put, PortableUserType):
            raise DectValueError(f"IPUI type must be a PortableUserType, got {self.put!r}")
        limit = PUN_MAX_BITS[self.put]
        if self.put is PortableUserType.N and self.pun_bits != IPEI_BITS:
            raise DectValueError(f"IPUI-N length must be {IPEI_BITS} bits, got {self.pun_bits}")
        if not 0 <= self.pun_bits <= limit:
            raise DectValueError(f"IPUI-{self.put.name} length must be 0..{limit} bits")
        _check_range(f"IPUI-{self.put.name} number", self.pun, self.pun_bits)
        offset = PUN_BCD_OFFSET.get(self.put)
        if offset is not None:
            digit_bits = self.pun_bits - offset
            if digit_bits < 0 or digit_bits % 4:
                raise DectValueError(f"IPUI-{self.put.name} length must be {offset} + 4 x digits")
            digits = self.digits
            if digits and not digits.isdigit():
                raise DectValueError(f"IPUI-{self.put.name} digits must be BCD, got {digits!r}")

    @classmethod
    def n(cls, ipei: Ipei) -> Ipui:
        """IPUI-N, the residential/default identity: the IPEI itself."""
        return cls(PortableUserType.N, ipei.to_int(), IPEI_BITS)

    @classmethod
    def o(cls, number: int, bits: int) -> Ipui:
        """IPUI-O, a private binary number of up to 60 bits."""
        return cls(PortableUserType.O, number, bits)

    @classmethod
    def o_from_ipei(cls, ipei: Ipei, bits: int = 44) -> Ipui:
        """IPUI-O as the SIP-DECT OMM assigns it: PUN = EMC||PSN in 44 bits (omm-rfp.md §6.1)."""
        return cls.o(ipei.to_int(), bits)

    @classmethod
    def bcd(cls, put: PortableUserType, digits: str) -> Ipui:
        """IPUI-Q/R/S/U from decimal digits (bank account, IMSI, PSTN/ISDN, credit card)."""
        if put not in PUN_BCD_OFFSET or PUN_BCD_OFFSET[put]:
            raise DectValueError(f"IPUI-{put.name} is not a plain BCD type")
        if digits and not digits.isdigit():
            raise DectValueError(f"IPUI-{put.name} digits must be decimal, got {digits!r}")
        return cls(put, int(digits, 16) if digits else 0, 4 * len(digits))

    @property
    def ipei(self) -> Ipei:
        """The IPEI inside an IPUI-N."""
        if self.put is not PortableUserType.N:
            raise DectValueError(f"IPUI-{self.put.name} carries no IPEI")
        return Ipei.from_int(self.pun)

    @property
    def digits(self) -> str:
        """The BCD digits of an IPUI-Q/R/S/T/U (for T: after the EIC)."""
        offset = PUN_BCD_OFFSET.get(self.put)
        if offset is None:
            raise DectValueError(f"IPUI-{self.put.name} has no BCD digits")
        digit_bits = self.pun_bits - offset
        return f"{self.pun & ((1 << digit_bits) - 1):0{digit_bits // 4}x}" if digit_bits else ""

    @property
    def bits(self) -> int:
        """Length of the identity value in bits: PUT + PUN."""
        return PUT_BITS + self.pun_bits

    def to_int(self) -> int:
        """The identity as one integer of `bits` bits (PUT in the top nibble)."""
        return (int(self.put) << self.pun_bits) | self.pun

    def identity_value(self) -> bytes:
        """The PORTABLE-IDENTITY identity value octets (EN 300 175-5 §7.7.30)."""
        return left_aligned(self.to_int(), self.bits, fill_nibble=self.put in PUN_BCD_OFFSET)

    @classmethod
    def from_identity_value(cls, data: bytes, bits: int) -> Ipui:
        """Inverse of identity_value(); `bits` is the IE's "length of identity value"."""
        if bits < PUT_BITS:
            raise DectValueError(f"IPUI length must be at least {PUT_BITS} bits, got {bits}")
        head = data[0] >> 4 if data else 0
        put = PortableUserType(head) if head < len(PortableUserType) else None
        if put is None:
            raise DectValueError(f"IPUI type {head:#x} is reserved")
        value = from_left_aligned("IPUI", data, bits, fill_nibble=put in PUN_BCD_OFFSET)
        pun_bits = bits - PUT_BITS
        return cls(put, value & ((1 << pun_bits) - 1), pun_bits)

    @classmethod
    def parse(cls, text: str) -> Ipui:
        """From str(): "N:03074 0220259 3" (or a bare IPEI), "O:00286996517", "O:1A/7", ..."""
        put_name, sep, payload = text.partition(":")
        if not sep:
            return cls.n(Ipei.parse(text))
        try:
            put = PortableUserType[put_name.upper()]
        except KeyError:
            raise DectValueError(
                f"IPUI type {put_name!r}: expected one of N O P Q R S T U"
            ) from None
        if put is PortableUserType.N:
            return cls.n(Ipei.parse(payload))
        digits, slash, bits_text = payload.partition("/")
        if digits and not _HEX.fullmatch(digits):
            raise DectValueError(f"IPUI-{put.name} number {digits!r} is not hexadecimal")
        if slash and not bits_text.isdigit():
            raise DectValueError(f"IPUI-{put.name} length {bits_text!r} is not a bit count")
        bits = int(bits_text) if slash else 4 * len(digits)
        return cls(put, int(digits, 16) if digits else 0, bits)

    def __str__(self) -> str:
        if self.put is PortableUserType.N:
            return f"N:{self.ipei}"
        width = (self.pun_bits + 3) // 4
        text = f"{self.put.name}:{self.pun:0{width}X}" if width else f"{self.put.name}:"
        return text if self.pun_bits % 4 == 0 else f"{text}/{self.pun_bits}"


@dataclass(frozen=True)
class Ari:
    """Access Rights Identity: ARC and the class's ARD (EN 300 175-6 §5.1-§5.5)."""

    arc: AccessRightsClass
    """Access rights class A..E (F..H are reserved)."""
    ard: int
    """Access rights details as the natural binary value of their bits."""

    def __post_init__(self) -> None:
        if not isinstance(self.arc, AccessRightsClass):
            raise DectValueError(f"ARI class must be an AccessRightsClass, got {self.arc!r}")
        if self.arc not in ARI_BITS:
            raise DectValueError(f"ARI class {self.arc.name} is reserved")
        _check_range(f"ARI class {self.arc.name} ARD", self.ard, self.ard_bits)
        # Class E FIL and decimal FPN are not enforced: a PARK E{y} zeroes the bits after y.

    @classmethod
    def class_a(cls, emc: int, fpn: int) -> Ari:
        """Residential/small private: 16-bit EMC, 17-bit FPN."""
        _check_range("ARI EMC", emc, 16)
        _check_range("ARI FPN", fpn, 17)
        return cls(AccessRightsClass.A, (emc << 17) | fpn)

    @classmethod
    def class_b(cls, eic: int, fpn_fps: int) -> Ari:
        """Private multi-cell: 16-bit EIC, 12 bits of FPN + FPS (the border varies)."""
        _check_range("ARI EIC", eic, 16)
        _check_range("ARI FPN+FPS", fpn_fps, 12)
        return cls(AccessRightsClass.B, (eic << 12) | fpn_fps)

    @classmethod
    def class_c(cls, poc: int, fpn_fps: int) -> Ari:
        """Public: 16-bit POC, 12 bits of FPN + FPS."""
        _check_range("ARI POC", poc, 16)
        _check_range("ARI FPN+FPS", fpn_fps, 12)
        return cls(AccessRightsClass.C, (poc << 12) | fpn_fps)

    @classmethod
    def class_d(cls, gop: int, fpn: int) -> Ari:
        """GSM/UMTS attached: 20-bit GOP (MCC+MNC), 8-bit FPN."""
        _check_range("ARI GOP", gop, 20)
        _check_range("ARI FPN", fpn, 8)
        return cls(AccessRightsClass.D, (gop << 8) | fpn)

    @classmethod
    def class_e(cls, fpn: int) -> Ari:
        """PP-to-PP: FIL pattern and a 3-digit FPN 001..999 coded as decimal nibbles."""
        if not 0 <= fpn <= 999:
            raise DectValueError(f"ARI class E FPN must be 0..999, got {fpn}")
        return cls(AccessRightsClass.E, (ARI_E_FILL << 12) | int(f"{fpn:03d}", 16))

    @property
    def bits(self) -> int:
        """Length of the ARI (ARC + ARD) in bits: 36 for class A, 31 otherwise."""
        return ARI_BITS[self.arc]

    @property
    def ard_bits(self) -> int:
        return self.bits - ARC_BITS

    @property
    def code(self) -> int:
        """The class's 16-bit (class D: 20-bit) leading code: EMC, EIC, POC, GOP or FIL."""
        return self.ard >> ARD_NUMBER_BITS[self.arc]

    @property
    def fpn(self) -> int:
        """The trailing number: FPN (A: 17 bits, D: 8 bits, E: decimal), FPN+FPS (B, C: 12 bits)."""
        number = self.ard & ((1 << ARD_NUMBER_BITS[self.arc]) - 1)
        if self.arc is not AccessRightsClass.E:
            return number
        if not f"{number:03x}".isdigit():
            raise DectValueError(f"ARI class E FPN {number:03x} is not three decimal digits")
        return int(f"{number:03x}")

    def to_int(self) -> int:
        """The ARI as an integer of `bits` bits, ARC in the top three."""
        return (int(self.arc) << self.ard_bits) | self.ard

    @classmethod
    def from_int(cls, value: int, bits: int) -> Ari:
        """From the top `bits` bits of a value whose class says how long it is."""
        if bits < ARC_BITS:
            raise DectValueError(f"ARI needs at least {ARC_BITS} bits, got {bits}")
        arc = AccessRightsClass(value >> (bits - ARC_BITS) & 0x7)
        if arc not in ARI_BITS:
            raise DectValueError(f"ARI class {arc.name} is reserved")
        if bits != ARI_BITS[arc]:
            raise DectValueError(f"ARI class {arc.name} has {ARI_BITS[arc]} bits, got {bits}")
        _check_range("ARI", value, bits)
        return cls(arc, value & ((1 << (bits - ARC_BITS)) - 1))

    def identity_value(self) -> bytes:
        """FIXED-IDENTITY value for type ARI: a 0 bit and the ARI bits, in octets (§7.7.18)."""
        return left_aligned(self.to_int(), 1 + self.bits)

    @classmethod
    def from_identity_value(cls, data: bytes, bits: int) -> Ari:
        """Inverse of identity_value(); `bits` = 1 + ARI length as the IE codes it."""
        value = from_left_aligned("ARI", data, bits)
        if bits < 1 or value >> (bits - 1):
            raise DectValueError("ARI: the bit before the ARC must be 0")
        return cls.from_int(value, bits - 1)

    def __str__(self) -> str:
        return self.identity_value().hex().upper()

    @classmethod
    def parse(cls, text: str) -> Ari:
        """From str(): hex of a 0 bit and the ARI bits, padded to octets ("102AF12C" is class B)."""
        if not _HEX.fullmatch(text) or len(text) % 2:
            raise DectValueError(f"ARI {text!r}: expected an even number of hex digits")
        data = bytes.fromhex(text)
        bits = ARI_BITS.get(AccessRightsClass(data[0] >> 4 & 0x7))
        if bits is None:
            raise DectValueError(f"ARI {text!r}: the class is reserved")
        return cls.from_identity_value(data, 1 + bits)


def _ari_of(value: int, width: int, field: str) -> Ari:
    """The ARI in the top bits of a `width`-bit value whose top bit is not part of it."""
    arc = AccessRightsClass(value >> (width - 1 - ARC_BITS) & 0x7)
    bits = ARI_BITS.get(arc)
    if bits is None:
        raise DectValueError(f"{field}: ARI class {arc.name} is reserved")
    return Ari.from_int(value >> (width - 1 - bits) & ((1 << bits) - 1), bits)


@dataclass(frozen=True)
class Park:
    """Portable Access Rights Key PARK{y}: an ARI of which the first `pli` bits count (§6.1)."""

    ari: Ari
    """The ARI; its bits after the first `pli` are "don't care" and kept zero."""
    pli: int
    """PARK length indicator y: how many ARC + ARD bits are relevant."""

    def __post_init__(self) -> None:
        if not ARC_BITS <= self.pli <= self.ari.bits:
            raise DectValueError(
                f"PARK length indicator must be 3..{self.ari.bits}, got {self.pli}"
            )
        if self.ari.to_int() & ((1 << (self.ari.bits - self.pli)) - 1):
            raise DectValueError(f"PARK bits after the first {self.pli} must be zero")

    @classmethod
    def from_ari(cls, ari: Ari, pli: int | None = None) -> Park:
        """PARK{pli} of an ARI (default: all its bits), clearing the don't-care bits."""
        length = ari.bits if pli is None else pli
        if not ARC_BITS <= length <= ari.bits:
            raise DectValueError(f"PARK length indicator must be 3..{ari.bits}, got {length}")
        drop = ari.bits - length
        return cls(Ari.from_int(ari.to_int() >> drop << drop, ari.bits), length)

    def includes(self, ari: Ari) -> bool:
        """True when this PARK grants access to an FP broadcasting `ari` (§6.1.0)."""
        if ari.arc != self.ari.arc:
            return False
        drop = self.ari.bits - self.pli
        return ari.to_int() >> drop == self.ari.to_int() >> drop

    def identity_value(self) -> bytes:
        """FIXED-IDENTITY value for type PARK: a 0 bit and the first `pli` bits (§7.7.18)."""
        return left_aligned(self.ari.to_int() >> (self.ari.bits - self.pli), 1 + self.pli)

    @classmethod
    def from_identity_value(cls, data: bytes, bits: int) -> Park:
        """Inverse of identity_value(); `bits` = 1 + PLI as the IE codes it."""
        if bits < 1 + ARC_BITS:
            raise DectValueError(f"PARK length must be at least {1 + ARC_BITS} bits, got {bits}")
        value = from_left_aligned("PARK", data, bits)
        if value >> (bits - 1):
            raise DectValueError("PARK: the bit before the ARC must be 0")
        arc = AccessRightsClass(value >> (bits - 1 - ARC_BITS) & 0x7)
        full = ARI_BITS.get(arc)
        if full is None:
            raise DectValueError(f"PARK: ARI class {arc.name} is reserved")
        pli = bits - 1
        if pli > full:
            raise DectValueError(f"PARK class {arc.name} length indicator must be at most {full}")
        return cls(Ari.from_int(value << (full - pli), full), pli)

    def __str__(self) -> str:
        """The OMM's form: PLI in two hex digits, then the ARI as Ari.__str__ ("1F102AF12C")."""
        return f"{self.pli:02X}{self.ari}"

    @classmethod
    def parse(cls, text: str) -> Park:
        if len(text) < 4 or not _HEX.fullmatch(text):
            raise DectValueError(f"PARK {text!r}: expected hex digits like '1F102AF12C'")
        return cls(Ari.parse(text[2:]), int(text[:2], 16))


@dataclass(frozen=True)
class Rfpi:
    """Radio Fixed Part Identity: E bit, PARI and RPN in 40 bits (EN 300 175-6 §5.0)."""

    ari: Ari
    """The primary ARI (PARI) of the FP."""
    rpn: int
    """Radio fixed part number (class A: 3 bits, else 8 bits)."""
    e: bool = False
    """True when the FP broadcasts a SARI list."""

    def __post_init__(self) -> None:
        _check_range("RFPI RPN", self.rpn, RPN_BITS[self.ari.arc])

    def to_int(self) -> int:
        rpn_bits = RPN_BITS[self.ari.arc]
        return (int(self.e) << (RFPI_BITS - 1)) | (self.ari.to_int() << rpn_bits) | self.rpn

    @classmethod
    def from_int(cls, value: int) -> Rfpi:
        _check_range("RFPI", value, RFPI_BITS)
        ari = _ari_of(value, RFPI_BITS, "RFPI")
        rpn = value & ((1 << RPN_BITS[ari.arc]) - 1)
        return cls(ari, rpn, bool(value >> (RFPI_BITS - 1)))

    def to_bytes(self) -> bytes:
        return self.to_int().to_bytes(5, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> Rfpi:
        if len(data) != 5:
            raise DectValueError(f"RFPI must be 5 octets, got {len(data)}")
        return cls.from_int(int.from_bytes(data, "big"))

    @property
    def fmid(self) -> int:
        """Fixed MAC identity: the 12 least significant RFPI bits (EN 300 175-6 §9.1.1)."""
        return self.to_int() & 0xFFF

    def __str__(self) -> str:
        return self.to_bytes().hex().upper()

    @classmethod
    def parse(cls, text: str) -> Rfpi:
        if len(text) != 10 or not _HEX.fullmatch(text):
            raise DectValueError(f"RFPI {text!r}: expected 10 hex digits")
        return cls.from_bytes(bytes.fromhex(text))


@dataclass(frozen=True)
class Sari:
    """One entry of the SARI list broadcast on Q_T, bits a12..a47 (EN 300 175-6 §5.6)."""

    ari: Ari
    """The secondary ARI, or the black-ARI when `black` (classes B-D only)."""
    list_length: int
    """Number of frames in the SARI list cycle: 2, 4, ..., 16."""
    tari: bool = False
    """True when the FP keeps a TARI list."""
    black: bool = False
    """True when `ari` is a black-ARI."""

    def __post_init__(self) -> None:
        if self.ari.arc not in SARI_CLASSES:
            raise DectValueError(f"SARI class must be B, C or D, got {self.ari.arc.name}")
        if self.list_length not in range(2, 17, 2):
            raise DectValueError(f"SARI list length must be 2, 4, ..., 16, got {self.list_length}")

    def to_int(self) -> int:
        """The 36-bit field a12..a47."""
        code = self.list_length // 2 - 1
        return (code << 33) | (int(self.tari) << 32) | (int(self.black) << 31) | self.ari.to_int()

    @classmethod
    def from_int(cls, value: int) -> Sari:
        _check_range("SARI", value, SARI_BITS)
        ari = Ari.from_int(value & ((1 << 31) - 1), 31)
        return cls(ari, 2 * ((value >> 33) + 1), bool(value >> 32 & 1), bool(value >> 31 & 1))


@dataclass(frozen=True, order=True)
class Tpui:
    """Temporary Portable User Identity, 20 bits (EN 300 175-6 §6.3)."""

    value: int

    def __post_init__(self) -> None:
        _check_range("TPUI", self.value, TPUI_BITS)

    @classmethod
    def default_individual(cls, ipui: Ipui) -> Tpui:
        """E + the lowest 16 bits of the IPUI: always available, no assignment needed."""
        return cls((TPUI_DEFAULT_INDIVIDUAL << 16) | (ipui.to_int() & 0xFFFF))

    @classmethod
    def emergency(cls, ipui: Ipui) -> Tpui:
        """F1 + the lowest 12 bits of the IPUI."""
        return cls((TPUI_EMERGENCY << 12) | (ipui.to_int() & 0xFFF))

    @property
    def kind(self) -> TpuiKind:
        first, second = self.value >> 16, self.value >> 12 & 0xF
        if first <= 0xB and second <= 0xB:
            return TpuiKind.ASSIGNED_INDIVIDUAL
        if first == 0xC and second == 0xC:
            return TpuiKind.CONNECTIONLESS_GROUP
        if first == 0xD and second == 0xD:
            return TpuiKind.CALL_GROUP
        if first == TPUI_DEFAULT_INDIVIDUAL:
            return TpuiKind.DEFAULT_INDIVIDUAL
        if first == 0xF and second == 0:
            return TpuiKind.NOT_AVAILABLE
        if first == 0xF and second == 1:
            return TpuiKind.EMERGENCY
        return TpuiKind.RESERVED

    def to_bytes(self) -> bytes:
        """Three octets, the 20 bits right-aligned (as in the PMID of MAC_CON_IND)."""
        return self.value.to_bytes(3, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> Tpui:
        if len(data) != 3 or data[0] >> 4:
            raise DectValueError(
                f"TPUI must be 3 octets with a leading 0000 nibble, got {data.hex()}"
            )
        return cls(int.from_bytes(data, "big"))

    def __str__(self) -> str:
        return f"{self.value:05X}"

    @classmethod
    def parse(cls, text: str) -> Tpui:
        if len(text) != 5 or not _HEX.fullmatch(text):
            raise DectValueError(f"TPUI {text!r}: expected 5 hex digits")
        return cls(int(text, 16))
