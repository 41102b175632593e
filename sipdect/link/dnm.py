"""DNM (0x0301) and SYNC (0x0302): the RFP's DECT primitives, DLC frames carrying NWK, air sync.

omm-rfp.md §3.4-§3.7, §4.9 and §6.1. The NWK bytes an LC frame carries are handed to
`dect.nwk` when it is importable; reassembly of fragments is per (primitive, MCEI, LLN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Self

from dect.errors import DectValueError
from dect.identities import SARI_CLASSES, Ari
from sipdect.link import constants as c
from sipdect.link.errors import LinkError, LinkProtocolError, LinkValueError
from sipdect.link.messages import (
    REST,
    U8,
    U16,
    U24,
    JsonDict,
    Octets,
    TypedMessage,
    WireStruct,
    register,
)

MessageType = c.MessageType
Prim = c.DnmPrimitive


def _u8(name: str, value: int, bits: int = 8) -> int:
    if not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise LinkValueError(f"{name} must fit in {bits} bits, got {value!r}")
    return value


# -- DLC frames inside LC_DATA_REQ / LC_DATA_IND (§4.9, EN 300 175-4 §7.11) --------------------
@dataclass(frozen=True, slots=True)
class LcFrame:
    """The DLC frame of an LC_DATA_REQ/IND, from message offset 7 on."""

    address: int
    """DLC address octet: NLF bit 7, LLN bits 6-4, SAPI bits 3-2, C/R bit 1, bit 0 = 1."""
    control: int
    """DLC control octet (I, S or U frame)."""
    nwk: bytes = b""
    """The NWK message or fragment (L bytes, at most 63)."""
    more: bool = False
    """LI bit M: more fragments follow."""
    channel: int = c.LogicalChannel.CS
    """Low nibble of offset 7: 0 = C_S, 0xF = C_F."""
    b: int = 0
    """High nibble of offset 7, meaning unknown (0 or 1 seen)."""
    padding: bytes = b""
    """Bytes after the NWK part (`f0` from real RFPs)."""

    def __post_init__(self) -> None:
        _u8("LcFrame.address", self.address)
        _u8("LcFrame.control", self.control)
        _u8("LcFrame.channel", self.channel, 4)
        _u8("LcFrame.b", self.b, 4)
        if len(self.nwk) > c.LC_MAX_NWK_PER_FRAME:
            raise LinkValueError(
                f"an LC frame carries at most 63 NWK bytes, got {len(self.nwk)}; fragment it"
            )
        if 3 + len(self.nwk) + len(self.padding) > 0xFF:
            raise LinkValueError("LC frame longer than its length octet allows")

    @classmethod
    def from_bytes(cls, data: bytes) -> LcFrame:
        if len(data) < 5:
            raise LinkProtocolError(f"LC frame is {len(data)} bytes, under the 5-byte header")
        if data[1] != len(data) - 2:
            raise LinkProtocolError(
                f"LC frame length octet says {data[1]}, {len(data) - 2} bytes follow"
            )
        li = data[4]
        if not li & 1:
            raise LinkProtocolError("LC extended length indicator (N = 0) is not supported")
        size = li >> 2
        if 5 + size > len(data):
            raise LinkProtocolError(f"LC length indicator says {size} NWK bytes, frame too short")
        return cls(
            address=data[2],
            control=data[3],
            nwk=bytes(data[5 : 5 + size]),
            more=bool(li & 2),
            channel=data[0] & 0x0F,
            b=data[0] >> 4,
            padding=bytes(data[5 + size :]),
        )

    def to_bytes(self) -> bytes:
        li = len(self.nwk) << 2 | self.more << 1 | 1
        rest = bytes([self.address, self.control, li]) + self.nwk + self.padding
        return bytes([self.b << 4 | self.channel, len(rest)]) + rest

    # -- builders --------------------------------------------------------------------------
    @staticmethod
    def make_address(*, lln: int, command: bool, nlf: bool = False, sapi: int = 0) -> int:
        """Address octet; `command` is the C/R bit (FT commands 1, PT commands 0)."""
        return nlf << 7 | _u8("LLN", lln, 3) << 4 | _u8("SAPI", sapi, 2) << 2 | command << 1 | 1

    @classmethod
    def i_frame(
        cls,
        nwk: bytes,
        *,
        ns: int,
        nr: int,
        lln: int = 1,
        command: bool = True,
        nlf: bool = False,
        poll: bool = False,
        more: bool = False,
    ) -> LcFrame:
        """An I-frame carrying (a fragment of) an NWK message."""
        control = _u8("N(R)", nr, 3) << 5 | poll << 4 | _u8("N(S)", ns, 3) << 1
        address = cls.make_address(lln=lln, command=command, nlf=nlf)
        return cls(address, control, bytes(nwk), more)

    @classmethod
    def s_frame(
        cls, kind: c.DlcSupervisory, *, nr: int, lln: int = 1, command: bool = True,
        poll: bool = False,
    ) -> LcFrame:
        control = _u8("N(R)", nr, 3) << 5 | poll << 4 | int(kind) << 2 | 0b01
        return cls(cls.make_address(lln=lln, command=command), control)

    @classmethod
    def u_frame(
        cls, name: str, *, lln: int = 1, command: bool = True, poll: bool = False,
        nlf: bool = False,
    ) -> LcFrame:
        """name: SABM, DM, UI, DISC or UA."""
        codes = {v: k for k, v in c.DLC_UNNUMBERED.items()}
        if name not in codes:
            raise LinkValueError(f"unknown U-frame {name!r}; use one of {sorted(codes)}")
        control = codes[name] | (c.DLC_PF if poll else 0)
        return cls(cls.make_address(lln=lln, command=command, nlf=nlf), control)

    # -- fields --------------------------------------------------------------------------------
    @property
    def nlf(self) -> bool:
        return bool(self.address & 0x80)

    @property
    def lln(self) -> int:
        return self.address >> 4 & 7

    @property
    def sapi(self) -> int:
        return self.address >> 2 & 3

    @property
    def command(self) -> bool:
        """The C/R bit."""
        return bool(self.address & 2)

    @property
    def kind(self) -> str:
        """"I", "S" or "U"."""
        if not self.control & 1:
            return "I"
        return "S" if self.control & 3 == 1 else "U"

    @property
    def ns(self) -> int | None:
        return self.control >> 1 & 7 if self.kind == "I" else None

    @property
    def nr(self) -> int | None:
        return self.control >> 5 & 7 if self.kind != "U" else None

    @property
    def poll(self) -> bool:
        """P/F bit."""
        return bool(self.control & c.DLC_PF)

    def to_json(self) -> JsonDict:
        out: JsonDict = {
            "b": self.b,
            "channel": self.channel,
            "channel_name": c.code_name(c.LogicalChannel, self.channel),
            "address": self.address,
            "nlf": self.nlf,
            "lln": self.lln,
            "sapi": self.sapi,
            "cr": int(self.command),
            "control": self.control,
            "frame": self.kind,
            "pf": int(self.poll),
        }
        if self.kind == "I":
            out.update(ns=self.ns, nr=self.nr)
        elif self.kind == "S":
            out.update(s_type=c.code_name(c.DlcSupervisory, self.control >> 2 & 3), nr=self.nr)
        else:
            out["u_type"] = c.DLC_UNNUMBERED.get(self.control & ~c.DLC_PF, "unknown")
        out.update(nwk_length=len(self.nwk), more=self.more, padding=self.padding.hex())
        return out


def lc_body(frame: bytes) -> bytes:
    """LC_DATA_IND body (message offset 7 on) around a DLC frame from the air: the B/channel
    octet (C_S) and the length octet, then the frame octets unchanged (§4.9; the length counts
    every octet after it, as LcFrame reads it). Garbage from a wrong cipher key is
    wrapped the same way: only the OMM's DLC finds out."""
    return bytes([c.LogicalChannel.CS, min(len(frame), 0xFF)]) + frame[:0xFF]


def dlc_frame(body: bytes) -> bytes | None:
    """The DLC frame octets (address, control, LI, NWK, fill) of an LC_DATA_REQ body; None when
    the length octet does not match."""
    if len(body) < 2 or body[1] != len(body) - 2:
        return None
    return body[2:]


def fragment_nwk(nwk: bytes) -> list[tuple[bytes, bool]]:
    """Split an NWK message into (fragment, more) pieces of at most 63 bytes."""
    size = c.LC_MAX_NWK_PER_FRAME
    pieces = [nwk[i : i + size] for i in range(0, len(nwk), size)] or [b""]
    return [(piece, i < len(pieces) - 1) for i, piece in enumerate(pieces)]


# -- MAC primitive bodies (after the MCEI, or after the primitive when there is none) -----------
@dataclass(frozen=True, slots=True)
class MacConInd(WireStruct):
    """MAC_CON_IND: a PP set up a MAC connection; opens the MCEI."""

    pmid: Annotated[int, U24]
    """PMID: 20 bits ((byte7 & 0x0F) << 16 | bytes 8-9); the top nibble is kept as is."""
    flags: Annotated[int, U8] = 0
    """Bit 1: handover from another RFP."""
    tail: Annotated[bytes, REST] = b"\x01"
    """`01` always seen."""

    @property
    def handover(self) -> bool:
        return bool(self.flags & c.MAC_CON_IND_HANDOVER)

    def json_extras(self) -> JsonDict:
        return {"pmid_hex": f"{self.pmid & 0xFFFFF:05x}", "handover": self.handover}


@dataclass(frozen=True, slots=True)
class MacDisInd(WireStruct):
    """MAC_DIS_IND: the MAC connection is gone."""

    NAMES = {"reason": c.MacDisReason}
    reason: int | None = None
    """MacDisReason, optional."""

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        if len(data) > 1:
            raise LinkProtocolError(f"MAC_DIS_IND body is {len(data)} bytes, at most 1")
        return cls(data[0] if data else None)

    def to_bytes(self) -> bytes:
        return b"" if self.reason is None else bytes([_u8("MacDisInd.reason", self.reason)])


@dataclass(frozen=True, slots=True)
class MacEncKeyReq(WireStruct):
    """MAC_ENC_KEY_REQ: start DSC air encryption."""

    key: Annotated[bytes, Octets(8)]
    """64-bit DECT cipher key (DCK)."""
    key_id: Annotated[int, U8] = 1
    """Key id."""


@dataclass(frozen=True, slots=True)
class MacEncEksInd(WireStruct):
    """MAC_ENC_EKS_IND: encryption state (1 = encrypted; 2 = encrypted with id and PPN)."""

    flag: Annotated[int, U8]
    """1 or 2."""
    extra: Annotated[bytes, REST] = b""
    """With flag 2: id u8, PPN u16 BE."""

    def json_extras(self) -> JsonDict:
        if self.flag == 2 and len(self.extra) == 3:
            return {"key_id": self.extra[0], "ppn": int.from_bytes(self.extra[1:3], "big")}
        return {}


@dataclass(frozen=True, slots=True)
class HoInProgressInd(WireStruct):
    """HO_IN_PROGRESS_IND: a PP hands over onto this RFP."""

    pmid: Annotated[int, U24]
    """PMID."""
    tail: Annotated[bytes, REST] = b"\x00\x01"
    """`0001` or `0201`."""


@dataclass(frozen=True, slots=True)
class HoInProgressRes(WireStruct):
    """HO_IN_PROGRESS_RES: the connection's cipher key for the new RFP."""

    pad: Annotated[bytes, Octets(1)] = b"\0"
    """Padding."""
    key: Annotated[bytes, Octets(8)] = bytes(8)
    """Cipher key (zeros if none)."""
    pad2: Annotated[bytes, Octets(1)] = b"\0"
    """Padding."""
    key_id: Annotated[int, U8] = c.HO_KEY_ID_NONE
    """Key id, 0xff = none."""


@dataclass(frozen=True, slots=True)
class HoFailedInd(WireStruct):
    """HO_FAILED_IND."""

    NAMES = {"reason": c.HoFailedReason}
    reason: Annotated[int, U8]
    """1 = setup failed."""


@dataclass(frozen=True, slots=True)
class MacInfoInd(WireStruct):
    """MAC_INFO_IND: per-connection statistics text."""

    pmid: Annotated[int, U24]
    """PMID."""
    reserved: Annotated[int, U8]
    """0."""
    text_field: Annotated[bytes, REST]
    """ASCII, NUL-terminated."""

    def json_extras(self) -> JsonDict:
        return {"text": self.text_field.split(b"\0", 1)[0].decode("latin-1")}


@dataclass(frozen=True, slots=True)
class MacPageReq(WireStruct):
    """MAC_PAGE_REQ: page a PP (no MCEI)."""

    unknown: Annotated[int, U8]
    """Offset 6, `03` seen."""
    flags: Annotated[int, U8]
    """0x08 and 0x0c seen."""
    pp_id: Annotated[int, U16]
    """Low 16 bits of the PP's TPUI/PMID (BE)."""
    tail: Annotated[bytes, REST] = b""
    """Nothing seen."""


@dataclass(frozen=True, slots=True)
class MacClearDefCkeyReq(WireStruct):
    """MAC_CLEAR_DEF_CKEY_REQ (no MCEI)."""

    pmid: Annotated[int, U24]
    """PMID."""


MAC_BODIES: dict[int, type[WireStruct]] = {
    Prim.MAC_CON_IND: MacConInd,
    Prim.MAC_DIS_IND: MacDisInd,
    Prim.MAC_ENC_KEY_REQ: MacEncKeyReq,
    Prim.MAC_ENC_EKS_IND: MacEncEksInd,
    Prim.HO_IN_PROGRESS_IND: HoInProgressInd,
    Prim.HO_IN_PROGRESS_RES: HoInProgressRes,
    Prim.HO_FAILED_IND: HoFailedInd,
    Prim.MAC_INFO_IND: MacInfoInd,
    Prim.MAC_PAGE_REQ: MacPageReq,
    Prim.MAC_CLEAR_DEF_CKEY_REQ: MacClearDefCkeyReq,
}
"""Typed bodies of MAC-layer primitives (§4.9); others stay raw."""


# -- RFPC / MT elements (§3.6) -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Element:
    """One (key u8, len u8, value) element of an RFPC or MT primitive."""

    key: int
    """RfpcKey for RFPC; unknown keys for MT."""
    value: bytes
    """At most 255 bytes."""


def parse_elements(data: bytes) -> tuple[Element, ...]:
    out = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data) or offset + 2 + data[offset + 1] > len(data):
            raise LinkProtocolError(f"element at offset {offset} runs past the end")
        size = data[offset + 1]
        out.append(Element(data[offset], bytes(data[offset + 2 : offset + 2 + size])))
        offset += 2 + size
    return tuple(out)


def encode_elements(elements: tuple[Element, ...] | list[Element]) -> bytes:
    out = bytearray()
    for element in elements:
        _u8("element key", element.key)
        if len(element.value) > 0xFF:
            raise LinkValueError(f"element {element.key:#04x} value over 255 bytes")
        out += bytes([element.key, len(element.value)]) + element.value
    return bytes(out)


# -- RFPC StatisticData (omm-rfp.md §3.6): the BMC's counters -------------------------------
STATISTIC_DATA_LENGTH = 52
STATISTIC_LAYOUT: tuple[tuple[str, int, int], ...] = (
    ("connections_01_03", 0, 2), ("connections_04_06", 2, 2),
    ("connections_07_09", 4, 2), ("connections_10_12", 6, 2),
    ("dsp_01_02", 8, 2), ("dsp_03_04", 10, 2), ("dsp_05_06", 12, 2), ("dsp_07_08", 14, 2),
    ("lost_connections", 16, 4), ("mac_resets", 20, 4), ("reject_dummy", 24, 4),
    ("bad_frames", 42, 4), ("good_frames", 46, 4), ("ho_timer_over_150ms", 50, 2),
)
"""(field, offset, width) of StatisticData, little-endian. The vector V79 pins lost
connections (16), bad frames (42) and good frames (46); the rest is sipdect's reading of the
52 bytes: eight u16 buckets first (V79's first 16 bytes read as plausible bucket counts, and
OmmMessageTest's real counters, up to 57076, all fit u16), the two other misc counters after
lost connections, and the handover timer last as a u16 (real answers show it stuck at 65535,
a saturated u16). Bytes 28-41 stay zero. Counters saturate at their width."""


@dataclass(frozen=True)
class StatisticData:
    """One STATISTICS_DATA_CFM's counters, as the RFP's BMC counts them since its start."""

    connections_01_03: int = 0
    connections_04_06: int = 0
    connections_07_09: int = 0
    connections_10_12: int = 0
    dsp_01_02: int = 0
    dsp_03_04: int = 0
    dsp_05_06: int = 0
    dsp_07_08: int = 0
    lost_connections: int = 0
    mac_resets: int = 0
    reject_dummy: int = 0
    bad_frames: int = 0
    good_frames: int = 0
    ho_timer_over_150ms: int = 0

    def to_bytes(self) -> bytes:
        out = bytearray(STATISTIC_DATA_LENGTH)
        for name, at, width in STATISTIC_LAYOUT:
            value = min(max(int(getattr(self, name)), 0), (1 << (8 * width)) - 1)
            out[at:at + width] = value.to_bytes(width, "little")
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> StatisticData:
        if len(data) != STATISTIC_DATA_LENGTH:
            raise LinkProtocolError(
                f"StatisticData of {len(data)} bytes, expected {STATISTIC_DATA_LENGTH}")
        return cls(**{name: int.from_bytes(data[at:at + width], "little")
                      for name, at, width in STATISTIC_LAYOUT})

    def as_dict(self) -> dict[str, int]:
        return {name: int(getattr(self, name)) for name, _at, _width in STATISTIC_LAYOUT}


def _element_json(layer: int, element: Element) -> JsonDict:
    out: JsonDict = {"key": element.key, "value": element.value.hex()}
    if layer != c.DnmLayer.RFPC:
        return out
    out["key_name"] = c.code_name(c.RfpcKey, element.key)
    v = element.value
    k = c.RfpcKey
    single = {k.NumberOfUpn, k.NumberOfBearer, k.RfpFu6WindowSize, k.RfpPli, k.FrequencyBand,
              k.RfPower, k.ReflectingEnvironment}
    if element.key in single and len(v) == 1:
        out["int"] = v[0]
    elif element.key == k.Revision and len(v) == 7:
        out.update(
            generation=v[0],
            boot_sw=f"{int.from_bytes(v[1:3], 'big'):#06x}",
            prog_sw=f"{int.from_bytes(v[3:5], 'big'):#06x}",
            hw=f"{int.from_bytes(v[5:7], 'big'):#06x}",
        )
    elif element.key == k.RFPI and len(v) == 5:
        out.update(sari=bool(v[0] & 0x80), ari_class=v[0] >> 4 & 7, rpn=v[4])
    elif element.key == k.SARI and len(v) == SARI_OCTETS:
        try:
            out["ari"] = str(_sari_in(v))
        except LinkProtocolError as exc:
            out["error"] = str(exc)
    elif element.key == k.HigherLayerCapabilities and len(v) == 2:
        out["int"] = int.from_bytes(v, "big")
    elif element.key == k.StatisticData and len(v) == STATISTIC_DATA_LENGTH:
        out.update(StatisticData.from_bytes(v).as_dict())
    return out


# -- SARI_LIST_REQ (§3.6; mom.md §3.1) --------------------------------------------------------
SARI_OCTETS = 4
"""A SARI element's value: the ARI as FIXED-IDENTITY codes it, a 0 bit and the 31 ARI bits of
a class B, C or D ARI (EN 300 175-6 §5.6: class A cannot be a SARI). rfpproxy's
CanDecodeRfpSariListReq carries `05 04 102af12c`, an OMM's own PARI as its one SARI."""


def _sari_in(value: bytes) -> Ari:
    try:
        ari = Ari.from_identity_value(value, 8 * SARI_OCTETS)
    except DectValueError as exc:
        raise LinkProtocolError(f"SARI {value.hex()}: {exc}") from None
    if ari.arc not in SARI_CLASSES:
        raise LinkProtocolError(f"SARI {value.hex()}: class {ari.arc.name} cannot be a SARI")
    return ari


def sari_list_req(saris: Sequence[Ari]) -> Dnm:
    """RFPC SARI_LIST_REQ (OMM -> RFP): the SARIs the RFP is to broadcast, one SARI element
    each, in order; an empty list broadcasts none."""
    elements = []
    for ari in saris:
        if ari.arc not in SARI_CLASSES:
            raise LinkValueError(f"a SARI is a class B, C or D ARI, got class {ari.arc.name}")
        elements.append(Element(c.RfpcKey.SARI, ari.identity_value()))
    return Dnm.rfpc(c.RfpcPrimitive.SARI_LIST_REQ, elements)


def sari_list(dnm: Dnm) -> tuple[Ari, ...]:
    """The SARIs of a SARI_LIST_REQ (other elements are not the list's); LinkProtocolError for
    another primitive or a SARI that does not decode."""
    if dnm.layer != c.DnmLayer.RFPC or dnm.primitive != c.RfpcPrimitive.SARI_LIST_REQ:
        raise LinkProtocolError(f"{dnm.layer_name}/{dnm.primitive_name} is no SARI_LIST_REQ")
    out = []
    for element in dnm.elements():
        if element.key != c.RfpcKey.SARI:
            continue
        if len(element.value) != SARI_OCTETS:
            raise LinkProtocolError(
                f"a SARI element is {SARI_OCTETS} octets, got {len(element.value)}")
        out.append(_sari_in(element.value))
    return tuple(out)


# -- DNM ---------------------------------------------------------------------------------------
def has_mcei(layer: int, primitive: int) -> bool:
    """Whether offset 6 of a DNM of this layer and primitive is an MCEI."""
    return layer in c.DNM_MCEI_LAYERS and primitive not in c.DNM_WITHOUT_MCEI


def primitive_name(layer: int, primitive: int) -> str:
    if layer == c.DnmLayer.RFPC:
        return c.code_name(c.RfpcPrimitive, primitive)
    if layer in c.DNM_MCEI_LAYERS:
        return c.code_name(c.DnmPrimitive, primitive)
    return f"{primitive:#04x}"


_LC_DATA = frozenset({Prim.LC_DATA_REQ, Prim.LC_DATA_IND})


@register
@dataclass(frozen=True, slots=True)
class Dnm(TypedMessage):
    """DNM: layer, primitive, MCEI (LC/MAC layers) and the primitive's body."""

    TYPE: ClassVar[MessageType] = MessageType.DNM
    NAMES = {"layer": c.DnmLayer}
    layer: int
    """DnmLayer (offset 4)."""
    primitive: int
    """Primitive (offset 5): DnmPrimitive for LC/MAC, RfpcPrimitive for RFPC."""
    mcei: int | None = None
    """MAC connection endpoint id (offset 6) where the primitive has one."""
    body: bytes = b""
    """Everything after the MCEI (or after the primitive when there is no MCEI)."""

    @classmethod
    def from_bytes(cls, payload: bytes) -> Self:
        if len(payload) < 2:
            raise LinkProtocolError(f"DNM payload is {len(payload)} bytes, under 2")
        layer, primitive = payload[0], payload[1]
        if has_mcei(layer, primitive) and len(payload) >= 3:
            return cls(layer, primitive, payload[2], bytes(payload[3:]))
        return cls(layer, primitive, None, bytes(payload[2:]))

    def to_bytes(self) -> bytes:
        _u8("Dnm.layer", self.layer)
        _u8("Dnm.primitive", self.primitive)
        if self.mcei is None:
            if has_mcei(self.layer, self.primitive) and self.body:
                raise LinkValueError(f"{self.primitive_name} needs an MCEI before its body")
            return bytes([self.layer, self.primitive]) + self.body
        if not has_mcei(self.layer, self.primitive):
            raise LinkValueError(f"{self.primitive_name} has no MCEI")
        return bytes([self.layer, self.primitive, _u8("Dnm.mcei", self.mcei)]) + self.body

    # -- builders ------------------------------------------------------------------------------
    @classmethod
    def lc_data(cls, primitive: c.DnmPrimitive, mcei: int, frame: LcFrame) -> Dnm:
        """LC_DATA_REQ (OMM->RFP) or LC_DATA_IND (RFP->OMM) carrying a DLC frame."""
        if primitive not in _LC_DATA:
            raise LinkValueError(f"{primitive.name} does not carry a DLC frame")
        return cls(c.DnmLayer.LC, primitive, mcei, frame.to_bytes())

    @classmethod
    def mac(cls, primitive: c.DnmPrimitive, mcei: int | None, body: WireStruct | bytes = b""
            ) -> Dnm:
        raw = body if isinstance(body, bytes) else body.to_bytes()
        return cls(c.DnmLayer.MAC, primitive, mcei, raw)

    @classmethod
    def rfpc(cls, primitive: c.RfpcPrimitive, elements: tuple[Element, ...] | list[Element] = ()
             ) -> Dnm:
        return cls(c.DnmLayer.RFPC, primitive, None, encode_elements(elements))

    # -- views ---------------------------------------------------------------------------------
    @property
    def layer_name(self) -> str:
        return c.code_name(c.DnmLayer, self.layer)

    @property
    def primitive_name(self) -> str:
        return primitive_name(self.layer, self.primitive)

    @property
    def is_lc_data(self) -> bool:
        return self.layer == c.DnmLayer.LC and self.primitive in _LC_DATA

    def lc_frame(self) -> LcFrame:
        """The DLC frame of an LC_DATA_REQ/IND; LinkProtocolError otherwise or if malformed."""
        if not self.is_lc_data:
            raise LinkProtocolError(f"{self.layer_name}/{self.primitive_name} has no DLC frame")
        return LcFrame.from_bytes(self.body)

    def elements(self) -> tuple[Element, ...]:
        """The TLVs of an RFPC or MT primitive."""
        if self.layer not in c.DNM_TLV_LAYERS:
            raise LinkProtocolError(f"layer {self.layer_name} carries no elements")
        return parse_elements(self.body)

    def mac_body(self) -> WireStruct | None:
        """The typed body of a MAC primitive the spec lays out, else None."""
        cls = MAC_BODIES.get(self.primitive) if self.layer == c.DnmLayer.MAC else None
        return None if cls is None else cls.from_bytes(self.body)

    def to_json(self) -> JsonDict:
        out: JsonDict = {
            "layer": self.layer,
            "layer_name": self.layer_name,
            "primitive": self.primitive,
            "primitive_name": self.primitive_name,
            "mcei": self.mcei,
            "body": self.body.hex(),
        }
        try:
            if self.is_lc_data:
                frame = self.lc_frame()
                out["lc"] = frame.to_json()
                if frame.more:
                    out["nwk_fragment_hex"] = frame.nwk.hex()
                elif frame.nwk:
                    out.update(describe_nwk(frame.nwk))
            elif self.layer in c.DNM_TLV_LAYERS:
                out["elements"] = [_element_json(self.layer, e) for e in self.elements()]
            elif (body := self.mac_body()) is not None:
                out["mac"] = body.to_json()
        except LinkError as exc:
            out["body_error"] = str(exc)
        return out


def describe_nwk(nwk: bytes) -> JsonDict:
    """`nwk_hex` plus, when dect.nwk is importable, its decode (`nwk`, `nwk_text`) or the
    reason it does not decode (`nwk_error`)."""
    out: JsonDict = {"nwk_hex": nwk.hex()}
    try:
        from dect.errors import DectError
        from dect.nwk import decode_message
    except ImportError:
        return out
    try:
        message = decode_message(nwk)
        out["nwk"] = message.to_json()
        out["nwk_text"] = message.describe()
    except DectError as exc:
        out["nwk_error"] = str(exc)
    return out


@dataclass
class NwkReassembler:
    """Puts NWK messages back together from LC I-frames, per (primitive, MCEI, LLN).

    A frame repeating the previous N(S) with the same bytes is a retransmission and ignored.
    (rfpproxy also carries the state over on handover; that is not done here.)
    """

    _parts: dict[tuple[int, int, int], list[bytes]] = field(default_factory=dict)
    _last: dict[tuple[int, int, int], tuple[int | None, bytes]] = field(default_factory=dict)

    def feed(self, dnm: Dnm) -> tuple[bytes, int] | None:
        """(whole NWK message, fragment count) when this frame completes one, else None."""
        if not dnm.is_lc_data or dnm.mcei is None:
            return None
        frame = dnm.lc_frame()
        if frame.kind != "I" or not frame.nwk:
            return None
        key = (dnm.primitive, dnm.mcei, frame.lln)
        if self._last.get(key) == (frame.ns, frame.nwk):
            return None
        self._last[key] = (frame.ns, frame.nwk)
        parts = self._parts.setdefault(key, [])
        parts.append(frame.nwk)
        if frame.more:
            return None
        del self._parts[key]
        return b"".join(parts), len(parts)

    def hook(self, message: TypedMessage) -> JsonDict:
        """For describe(nwk=...): the reassembled NWK of a final fragment, nothing otherwise."""
        if not isinstance(message, Dnm):
            return {}
        done = self.feed(message)
        if done is None or done[1] == 1:
            return {}
        out = describe_nwk(done[0])
        out["nwk_fragments"] = done[1]
        return out


# -- SYNC (§3.7) -------------------------------------------------------------------------------
@register
@dataclass(frozen=True, slots=True)
class Sync(TypedMessage):
    """SYNC: air-interface synchronisation between RFPs (sub-type u16, length u8, data)."""

    TYPE: ClassVar[MessageType] = MessageType.SYNC
    NAMES = {"sync_type": c.SyncType}
    sync_type: int
    """SyncType (u16 BE)."""
    data: bytes = b""
    """The sub-type's payload (length-prefixed on the wire)."""

    @classmethod
    def from_bytes(cls, payload: bytes) -> Self:
        if len(payload) < 3:
            raise LinkProtocolError(f"SYNC payload is {len(payload)} bytes, under 3")
        if payload[2] != len(payload) - 3:
            raise LinkProtocolError(
                f"SYNC length octet says {payload[2]}, {len(payload) - 3} bytes follow"
            )
        return cls(int.from_bytes(payload[0:2], "big"), bytes(payload[3:]))

    def to_bytes(self) -> bytes:
        if not isinstance(self.sync_type, int) or not 0 <= self.sync_type <= 0xFFFF:
            raise LinkValueError(f"Sync.sync_type must be a u16, got {self.sync_type!r}")
        if len(self.data) > 0xFF:
            raise LinkValueError(f"SYNC data is at most 255 bytes, got {len(self.data)}")
        return self.sync_type.to_bytes(2, "big") + bytes([len(self.data)]) + self.data

    def json_extras(self) -> JsonDict:
        try:
            return _sync_fields(self.sync_type, self.data)
        except (IndexError, LinkProtocolError):
            return {"data_error": "data does not fit the sub-type's layout"}


def _sync_fields(sync_type: int, d: bytes) -> JsonDict:
    s = c.SyncType
    if sync_type in (s.FREQ_CTRL_MODE_IND, s.SYSTEM_SEARCH_IND) and len(d) == 1:
        return {"mode": d[0]}
    if sync_type == s.FREQ_CTRL_MODE_CFM and len(d) == 6:
        return {
            "mode": d[0],
            "ppm": int.from_bytes(d[1:3], "big"),
            "avg": int.from_bytes(d[3:5], "big"),
            "unknown": d[5],
        }
    if sync_type == s.START_MAC_SLAVE_MODE_IND and len(d) == 2:
        return {"rpn": int.from_bytes(d, "big")}
    if sync_type == s.SET_FREQUENCY and len(d) == 2:
        return {"frequency": int.from_bytes(d, "big")}
    # Lists: a count, then entries; bytes after them are reported, not refused (V73 carries
    # one more byte, `01`, than its single entry needs; its meaning is unknown).
    if sync_type == s.SYSTEM_SEARCH_CFM and d:
        if len(d) < 1 + 4 * d[0]:
            raise LinkProtocolError("SYSTEM_SEARCH_CFM count does not match")
        return {
            "rfps": [
                {
                    "rfpn": int.from_bytes(d[1 + 4 * i : 3 + 4 * i], "little"),
                    "rssi": int.from_bytes(d[3 + 4 * i : 5 + 4 * i], "little"),
                }
                for i in range(d[0])
            ],
            "trailing": d[1 + 4 * d[0] :].hex(),
        }
    if sync_type == s.PHASE_OFS_WITH_RSSI_IND and d:
        if len(d) < 1 + 6 * d[0]:
            raise LinkProtocolError("PHASE_OFS_WITH_RSSI_IND count does not match")
        rfps = []
        for i in range(d[0]):
            e = d[1 + 6 * i : 7 + 6 * i]
            offset = int.from_bytes(e[2:4], "big", signed=True)
            rfps.append(
                {
                    "rpn": int.from_bytes(e[0:2], "big"),
                    "offset": offset,
                    "offset_ns": offset * c.SYNC_OFFSET_UNIT_NS,
                    "rssi": e[4],
                    "qt_sync_check": e[5],
                }
            )
        return {"rfps": rfps, "trailing": d[1 + 6 * d[0] :].hex()}
    return {}

