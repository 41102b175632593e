"""Typed MEDIA messages of the OMM-RFP link: the RTP voice path on the RFP's DSP.

omm-rfp.md §3.3 and §4.8. Every message starts with a 16-bit little-endian handle; ports are
big-endian. Unknown bytes (the 76-byte MEDIA_CONF tail, "SRTP?") are kept raw.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal, Self

from rfp.link import constants as c
from rfp.link.errors import LinkProtocolError, LinkValueError
from rfp.link.messages import (
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
