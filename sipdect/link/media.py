"""Typed MEDIA messages of the OMM-RFP link: the RTP voice path on the RFP's DSP.

omm-rfp.md §3.3 and §4.8. Every message starts with a 16-bit little-endian handle; ports are
big-endian. Unknown bytes (the 76-byte MEDIA_CONF tail, "SRTP?") are kept raw.

Where the product leaves things open, the emulator decides here, in one place each: the G.722
codec id (`CODEC_G722`), the telephone-event payload type (`dtmf_payload_type`, the last
octet of the codec area) and how an RFP gets its SRTP keys (`SrtpBlock`, in the MEDIA_CONF
tail and as a tail of MEDIA_REDIRECT_START).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal, Self

from sipdect.link import constants as c
from sipdect.link.errors import LinkProtocolError, LinkValueError
from sipdect.link.messages import (
    IPV4,
    REST,
    S16LE,
    U8,
    U16,
    U16LE,
    U32LE,
    JsonDict,
    Octets,
    TypedMessage,
    WireStruct,
    register,
)

MessageType = c.MessageType

# -- emulator decisions on what the spec leaves open -------------------------------------------
CODEC_G722 = 9
"""MEDIA_OPEN/MEDIA_CONF codec id of G.722 (64 kbit/s wideband). The spec lists ids 0-4 only;
9 (G.722's static RTP payload type) is the emulator's choice."""
CODEC_ENCODINGS: dict[int, str] = {
    c.Codec.G711_ALAW: "PCMA", c.Codec.G711_ULAW: "PCMU", CODEC_G722: "G722",
}
"""Codec ids the emulated DSP runs, by SDP encoding name (G.723/G.729 are not emulated)."""
CODEC_IDS: dict[str, int] = {name: codec for codec, name in CODEC_ENCODINGS.items()}

DTMF_PT_NONE = 0
"""`dtmf_payload_type` when no telephone-event payload type was negotiated."""

SRTP_BLOCK_OFFSET = 8
"""Where the SRTP block starts in the MEDIA_CONF tail: after the 8 octets of unknown meaning
the vector shows (`030100007d85a30e`), which stay as they are."""
SRTP_BLOCK_VERSION = 1
"""First octet of a present SRTP block; 0 (the vector's zeros) = plain RTP."""
SRTP_KEY_LENGTH = 30
"""Master key || master salt of the AES-CM-128 suites (RFC 4568 §6.2)."""
SRTP_SUITE_CODES: dict[int, str] = {
    1: "AES_CM_128_HMAC_SHA1_80",
    2: "AES_CM_128_HMAC_SHA1_32",
}
"""SRTP block suite octet -> SDES suite name."""
SRTP_SUITE_OCTETS: dict[str, int] = {name: code for code, name in SRTP_SUITE_CODES.items()}
SRTP_BLOCK_LENGTH = 2 + 2 * SRTP_KEY_LENGTH
MEDIA_CONF_TAIL_LENGTH = 76


@dataclass(frozen=True, slots=True)
class SrtpBlock:
    """The SRTP keys of one RTP leg as the OMM hands them to an RFP (emulator's layout).

    Octets: version (1), suite (SRTP_SUITE_CODES), the 30-octet key || salt the RFP protects
    what it sends with, the 30-octet key || salt the peer protects with.
    """

    suite: str
    """SDES suite name."""
    tx_key: bytes
    """Key || salt for what the RFP sends."""
    rx_key: bytes
    """Key || salt for what the RFP receives."""

    def to_bytes(self) -> bytes:
        code = SRTP_SUITE_OCTETS.get(self.suite)
        if code is None:
            raise LinkValueError(f"no SRTP block code for suite {self.suite!r}")
        if len(self.tx_key) != SRTP_KEY_LENGTH or len(self.rx_key) != SRTP_KEY_LENGTH:
            raise LinkValueError(f"SRTP keys are {SRTP_KEY_LENGTH} octets (key || salt)")
        return bytes([SRTP_BLOCK_VERSION, code]) + self.tx_key + self.rx_key

    @classmethod
    def from_bytes(cls, data: bytes) -> SrtpBlock | None:
        """The block at the start of `data`; None when there is none (a zero version octet
        or nothing at all)."""
        if not data or data[0] == 0:
            return None
        if data[0] != SRTP_BLOCK_VERSION:
            raise LinkProtocolError(f"SRTP block version {data[0]} is not {SRTP_BLOCK_VERSION}")
        if len(data) < SRTP_BLOCK_LENGTH:
            raise LinkProtocolError(f"SRTP block of {len(data)} octets, under {SRTP_BLOCK_LENGTH}")
        suite = SRTP_SUITE_CODES.get(data[1])
        if suite is None:
            raise LinkProtocolError(f"unknown SRTP suite code {data[1]}")
        end = 2 + SRTP_KEY_LENGTH
        return cls(suite, bytes(data[2:end]), bytes(data[end:end + SRTP_KEY_LENGTH]))


def conf_tail(srtp: SrtpBlock | None, base: bytes = bytes(MEDIA_CONF_TAIL_LENGTH)) -> bytes:
    """A MEDIA_CONF tail: `base`'s first SRTP_BLOCK_OFFSET octets, then the SRTP block (or
    zeros), zero-padded to at least 76 octets."""
    block = srtp.to_bytes() if srtp is not None else bytes(SRTP_BLOCK_LENGTH)
    head = base[:SRTP_BLOCK_OFFSET].ljust(SRTP_BLOCK_OFFSET, b"\0")
    rest = base[SRTP_BLOCK_OFFSET + SRTP_BLOCK_LENGTH:]
    return (head + block + rest).ljust(MEDIA_CONF_TAIL_LENGTH, b"\0")


def codec_area_spare(codec_count: int, dtmf_payload_type: int | None) -> bytes:
    """MediaConf.codec_spare for `codec_count` triples carrying the telephone-event payload
    type in its last two octets (spec offsets 60-61, where the vector has `6565`: 101, the
    usual telephone-event payload type, for each direction; the emulator reads it so)."""
    size = 3 * c.MEDIA_CONF_MAX_CODECS - 3 * codec_count
    pt = DTMF_PT_NONE if dtmf_payload_type is None else dtmf_payload_type
    if size < 2:
        raise LinkValueError("no room for the telephone-event payload type after 17 codecs")
    return bytes(size - 2) + bytes([pt, pt]) if pt else b""


@register
@dataclass(frozen=True, slots=True)
class MediaOpen(TypedMessage):
    """MEDIA_OPEN: allocate a DSP channel."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_OPEN
    NAMES = {"codec": c.Codec}
    handle: Annotated[int, U16LE]
    """Media handle (LE)."""
    codec: Annotated[int, U8]
    """Codec."""
    slot_count: Annotated[int, U8]
    """DECT slot count."""
    flags: Annotated[int, U32LE]
    """Flags (LE), meaning unknown."""
    tail: Annotated[bytes, REST] = b""
    """Unknown rest."""


@dataclass(frozen=True, slots=True)
class MediaCodec(WireStruct):
    """One codec triple of MEDIA_CONF."""

    NAMES = {"codec": c.Codec}
    codec: Annotated[int, U8]
    """Codec id."""
    payload_type: Annotated[int, U8]
    """RTP payload type."""
    rate_khz: Annotated[int, U8]
    """Sample rate in kHz."""


_CONF_CODEC_AREA = 3 * c.MEDIA_CONF_MAX_CODECS
_CONF_FIXED = 88


@register
@dataclass(frozen=True, slots=True)
class MediaConf(TypedMessage):
    """MEDIA_CONF: codecs, the MAC connection (MCEI, PPN) and the RTP/RTCP endpoints."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_CONF
    handle: int
    """Media handle (LE)."""
    codecs: tuple[MediaCodec, ...]
    """Up to 17 codec triples."""
    mcei: int
    """Links the voice channel to the DNM MAC connection."""
    ppn: int
    """Portable part number (u16 LE)."""
    local_rtp_port: int
    """RFP's RTP port."""
    local_rtcp_port: int
    """RFP's RTCP port (port 2)."""
    rx_address: ipaddress.IPv4Address
    """Where RTP comes from."""
    rx_port1: int
    """RX port 1."""
    rx_port2: int
    """RX port 2."""
    tx_address: ipaddress.IPv4Address
    """Where RTP goes."""
    tx_port1: int
    """TX port 1."""
    tx_port2: int
    """TX port 2."""
    vif: int = 20
    """Voice frame interval, ms."""
    vad: int = 0
    """Voice activity detection (bool)."""
    reserved: bytes = bytes(2)
    """Offsets 6-7."""
    codec_spare: bytes = b""
    """The codec area after the last triple; empty means all zeros (`6565` seen at 60-61)."""
    reserved2: int = 0
    """Offset 63."""
    reserved3: bytes = bytes(4)
    """Offsets 66-69 (`01013c00` seen)."""
    reserved4: bytes = bytes(2)
    """Offsets 74-75."""
    tail: bytes = bytes(76)
    """Offsets 92..: 76 unexplained bytes ("SRTP?"), `030100007d85a30e` + zeros seen."""

    @classmethod
    def from_bytes(cls, payload: bytes) -> Self:
        if len(payload) < _CONF_FIXED:
            raise LinkProtocolError(f"MEDIA_CONF payload is {len(payload)} bytes, under 88")
        count = payload[6]
        if count > c.MEDIA_CONF_MAX_CODECS:
            raise LinkProtocolError(f"MEDIA_CONF lists {count} codecs, at most 17 fit")
        codecs = tuple(
            MediaCodec.from_bytes(payload[7 + 3 * i : 10 + 3 * i]) for i in range(count)
        )

        spare = payload[7 + 3 * count : 7 + _CONF_CODEC_AREA]

        def u16(at: int, order: Literal["big", "little"] = "big") -> int:
            return int.from_bytes(payload[at : at + 2], order)

        return cls(
            handle=u16(0, "little"),
            reserved=bytes(payload[2:4]),
            vif=payload[4],
            vad=payload[5],
            codecs=codecs,
            codec_spare=bytes(spare) if any(spare) else b"",
            mcei=payload[58],
            reserved2=payload[59],
            ppn=u16(60, "little"),
            reserved3=bytes(payload[62:66]),
            local_rtp_port=u16(66),
            local_rtcp_port=u16(68),
            reserved4=bytes(payload[70:72]),
            rx_address=ipaddress.IPv4Address(bytes(payload[72:76])),
            rx_port1=u16(76),
            rx_port2=u16(78),
            tx_address=ipaddress.IPv4Address(bytes(payload[80:84])),
            tx_port1=u16(84),
            tx_port2=u16(86),
            tail=bytes(payload[_CONF_FIXED:]),
        )

    def to_bytes(self) -> bytes:
        count = len(self.codecs)
        if count > c.MEDIA_CONF_MAX_CODECS:
            raise LinkValueError(f"MEDIA_CONF carries at most 17 codecs, got {count}")
        spare_size = _CONF_CODEC_AREA - 3 * count
        spare = self.codec_spare or bytes(spare_size)
        if len(spare) != spare_size:
            raise LinkValueError(
                f"MediaConf.codec_spare must be {spare_size} bytes for {count} codecs"
            )
        if len(self.reserved) != 2 or len(self.reserved3) != 4 or len(self.reserved4) != 2:
            raise LinkValueError("MediaConf reserved fields have the wrong size")
        try:
            return b"".join(
                (
                    self.handle.to_bytes(2, "little"),
                    self.reserved,
                    bytes([self.vif, self.vad, count]),
                    b"".join(codec.to_bytes() for codec in self.codecs),
                    spare,
                    bytes([self.mcei, self.reserved2]),
                    self.ppn.to_bytes(2, "little"),
                    self.reserved3,
                    self.local_rtp_port.to_bytes(2, "big"),
                    self.local_rtcp_port.to_bytes(2, "big"),
                    self.reserved4,
                    self.rx_address.packed,
                    self.rx_port1.to_bytes(2, "big"),
                    self.rx_port2.to_bytes(2, "big"),
                    self.tx_address.packed,
                    self.tx_port1.to_bytes(2, "big"),
                    self.tx_port2.to_bytes(2, "big"),
                    self.tail,
                )
            )
        except (OverflowError, ValueError, AttributeError, TypeError) as exc:
            raise LinkValueError(f"MediaConf field out of range: {exc}") from None

    @property
    def dtmf_payload_type(self) -> int | None:
        """The telephone-event payload type of the stream (see `codec_area_spare`)."""
        if len(self.codec_spare) < 1 or self.codec_spare[-1] == DTMF_PT_NONE:
            return None
        return self.codec_spare[-1]

    @property
    def srtp(self) -> SrtpBlock | None:
        """The SRTP keys in the tail (see `SrtpBlock`); LinkProtocolError when malformed."""
        return SrtpBlock.from_bytes(self.tail[SRTP_BLOCK_OFFSET:])

    def json_extras(self) -> JsonDict:
        return {"codecs": [codec.to_json() for codec in self.codecs]}


@dataclass(frozen=True, slots=True)
class _HandlePad(TypedMessage):
    handle: Annotated[int, U16LE]
    """Media handle (LE)."""
    pad: Annotated[bytes, Octets(2)] = bytes(2)
    """Padding."""


@register
@dataclass(frozen=True, slots=True)
class MediaClose(_HandlePad):
    """MEDIA_CLOSE: release the handle."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_CLOSE


@register
@dataclass(frozen=True, slots=True)
class MediaDspClose(_HandlePad):
    """MEDIA_DSP_CLOSE."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_DSP_CLOSE


@register
@dataclass(frozen=True, slots=True)
class MediaEosDetect(_HandlePad):
    """MEDIA_EOS_DETECT."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_EOS_DETECT


@register
@dataclass(frozen=True, slots=True)
class MediaStart(TypedMessage):
    """MEDIA_START: start streaming in a direction."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_START
    NAMES = {"direction": c.MediaDirection}
    handle: Annotated[int, U16LE]
    """Media handle (LE)."""
    direction: Annotated[int, U8]
    """MediaDirection."""
    pad: Annotated[bytes, Octets(1)] = b"\0"
    """Padding."""
    time: Annotated[int, U32LE] = 0
    """Time (LE), unit not stated."""
    met_keepalive: Annotated[int, U8] = 0
    """MET keep-alive."""
    pad2: Annotated[bytes, Octets(3)] = bytes(3)
    """Padding."""


@register
@dataclass(frozen=True, slots=True)
class MediaStop(TypedMessage):
    """MEDIA_STOP: stop a direction."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_STOP
    NAMES = {"direction": c.MediaDirection}
    handle: Annotated[int, U16LE]
    """Media handle (LE)."""
    direction: Annotated[int, U8]
    """MediaDirection."""
    pad: Annotated[bytes, Octets(1)] = b"\0"
    """Padding."""


@register
@dataclass(frozen=True, slots=True)
class MediaStatistics(TypedMessage):
    """MEDIA_STATISTICS: counters of a closed stream."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_STATISTICS
    handle: Annotated[int, U16LE]
    """Media handle (LE)."""
    pad: Annotated[bytes, Octets(2)]
    """Padding."""
    duration: Annotated[int, U32LE]
    """Seconds."""
    tx_packets: Annotated[int, U32LE]
    """Packets sent."""
    tx_bytes: Annotated[int, U32LE]
    """Bytes sent."""
    rx_packets: Annotated[int, U32LE]
    """Packets received."""
    rx_bytes: Annotated[int, U32LE]
    """Bytes received."""
    lost_packets: Annotated[int, U32LE]
    """Packets lost."""
    max_jitter: Annotated[int, U32LE]
    """Maximum jitter, presumably µs."""
    rtp_peer: Annotated[ipaddress.IPv4Address, IPV4]
    """RTP peer."""


@register
@dataclass(frozen=True, slots=True)
class MediaRedirectStart(TypedMessage):
    """MEDIA_REDIRECT_START: re-target RTP."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_REDIRECT_START
    handle: Annotated[int, U16LE]
    """Media handle (LE)."""
    pad: Annotated[bytes, Octets(2)]
    """Padding."""
    local_port1: Annotated[int, U16]
    """Local port 1."""
    local_port2: Annotated[int, U16]
    """Local port 2."""
    remote_address: Annotated[ipaddress.IPv4Address, IPV4]
    """Remote address."""
    remote_port1: Annotated[int, U16]
    """Remote port 1."""
    remote_port2: Annotated[int, U16]
    """Remote port 2."""
    time: Annotated[int, U32LE]
    """Time (LE)."""
    tail: Annotated[bytes, REST] = b""
    """The redirect leg's SRTP block (emulator's addition, see `SrtpBlock`); empty = RTP."""

    @property
    def srtp(self) -> SrtpBlock | None:
        """The SRTP keys of the RFP-to-RFP leg; LinkProtocolError when malformed."""
        return SrtpBlock.from_bytes(self.tail)


@register
@dataclass(frozen=True, slots=True)
class MediaRedirectStop(TypedMessage):
    """MEDIA_REDIRECT_STOP."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_REDIRECT_STOP
    handle: Annotated[int, U16LE]
    """Media handle (LE)."""
    fallback: Annotated[int, U8]
    """Fallback flag."""
    pad: Annotated[bytes, Octets(1)] = b"\0"
    """Padding."""


@register
@dataclass(frozen=True, slots=True)
class MediaRestart(TypedMessage):
    """MEDIA_RESTART."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_RESTART
    handle: Annotated[int, U16LE]
    """Media handle (LE)."""
    mcei: Annotated[int, U8]
    """MAC connection."""
    pad: Annotated[bytes, Octets(1)] = b"\0"
    """Padding."""


@register
@dataclass(frozen=True, slots=True)
class MediaDtmf(TypedMessage):
    """MEDIA_DTMF: a key pressed."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_DTMF
    NAMES = {"direction": c.MediaDirection}
    handle: Annotated[int, U16LE]
    """Media handle (LE)."""
    duration_ms: Annotated[int, U16LE]
    """Key duration (LE)."""
    key: Annotated[int, U8]
    """ASCII key."""
    direction: Annotated[int, U8]
    """Direction."""

    def json_extras(self) -> JsonDict:
        return {"key_char": chr(self.key)}


@dataclass(frozen=True, slots=True)
class ToneRecord(WireStruct):
    """One 24-byte MEDIA_TONE2 tone."""

    frequency1: Annotated[int, U16LE]
    """Hz."""
    frequency2: Annotated[int, U16LE]
    """Hz."""
    frequency3: Annotated[int, U16LE]
    """Hz."""
    frequency4: Annotated[int, U16LE]
    """Hz."""
    level1: Annotated[int, S16LE]
    """Centibel (-804..+34 enforced by rfpproxy)."""
    level2: Annotated[int, S16LE]
    """Centibel."""
    level3: Annotated[int, S16LE]
    """Centibel."""
    level4: Annotated[int, S16LE]
    """Centibel."""
    duration: Annotated[int, U16LE]
    """Duration (unit not stated; 500 in the vectors)."""
    cycle_count: Annotated[int, U16LE]
    """Repetitions."""
    cycle_to: Annotated[int, U16LE]
    """Index to cycle back to."""
    next_index: Annotated[int, U16LE]
    """Index of the next tone."""


@register
@dataclass(frozen=True, slots=True)
class MediaTone2(TypedMessage):
    """MEDIA_TONE2: play a tone sequence (no tones = tone off)."""

    TYPE: ClassVar[MessageType] = MessageType.MEDIA_TONE2
    NAMES = {"direction": c.MediaDirection}
    handle: int
    """Media handle (LE)."""
    direction: int
    """MediaDirection."""
    tones: tuple[ToneRecord, ...] = ()
    """Up to 255 records."""
    offset: int = 0
    """Start index (u32 LE)."""

    @classmethod
    def from_bytes(cls, payload: bytes) -> Self:
        if len(payload) < 8:
            raise LinkProtocolError(f"MEDIA_TONE2 payload is {len(payload)} bytes, under 8")
        count = payload[3]
        if len(payload) != 8 + count * c.TONE_RECORD_LENGTH:
            raise LinkProtocolError(
                f"MEDIA_TONE2 announces {count} tones but carries {len(payload) - 8} bytes"
            )
        size = c.TONE_RECORD_LENGTH
        return cls(
            handle=int.from_bytes(payload[0:2], "little"),
            direction=payload[2],
            offset=int.from_bytes(payload[4:8], "little"),
            tones=tuple(
                ToneRecord.from_bytes(payload[8 + i * size : 8 + (i + 1) * size])
                for i in range(count)
            ),
        )

    def to_bytes(self) -> bytes:
        if len(self.tones) > 0xFF:
            raise LinkValueError(f"MEDIA_TONE2 carries at most 255 tones, got {len(self.tones)}")
        try:
            head = (
                self.handle.to_bytes(2, "little")
                + bytes([self.direction, len(self.tones)])
                + self.offset.to_bytes(4, "little")
            )
        except (OverflowError, ValueError, AttributeError) as exc:
            raise LinkValueError(f"MediaTone2 field out of range: {exc}") from None
        return head + b"".join(tone.to_bytes() for tone in self.tones)
