"""Audio codecs for RTP payloads: G.711 A-law and µ-law (ITU-T G.711 §2-3, Tables 1-2),
G.722 through sipdect.media.g722, and 10 ms framing.

PCM is a numpy int16 array. G.711 works on 13-bit (A-law) and 14-bit (µ-law) linear
samples; a 16-bit sample is shifted right (arithmetic) to that width first. A
negative sample then takes its magnitude as G.711's sign-magnitude tables need:
A-law with the one's complement (-v-1, so both signs have 4096 magnitudes), µ-law
with the two's complement (-v), as the Sun reference code and CPython's audioop do,
so that the results are bit-identical to audioop. Encoding is a 64 Ki-entry table
lookup built once from the segment definitions, decoding a 256-entry one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

import numpy as np
import numpy.typing as npt

from sipdect.media import constants as c
from sipdect.media.errors import CodecError

Pcm = npt.NDArray[np.int16]

#: Segment end points on the magnitude (A-law 12-bit, µ-law biased 14-bit).
ALAW_SEGMENT_ENDS = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])
ULAW_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
ULAW_BIAS = 33  # 0x84 at 16 bits, in 14-bit units
ULAW_CLIP = 8159


def _all_samples() -> npt.NDArray[np.int32]:
    """Every int16 value, placed so that index == value as uint16."""
    return np.arange(1 << 16, dtype=np.int32).astype(np.uint16).view(np.int16).astype(np.int32)


def _alaw_encode_table() -> npt.NDArray[np.uint8]:
    x = _all_samples()
    v = x >> 3
    mask = np.where(v >= 0, 0xD5, 0x55)  # even-bit inversion; sign bit 1 = positive
    mag = np.where(v >= 0, v, -v - 1)
    seg = np.searchsorted(ALAW_SEGMENT_ENDS, mag)
    mantissa = np.where(seg < 2, mag >> 1, mag >> np.maximum(seg, 1)) & 0x0F
    return (((seg << 4) | mantissa) ^ mask).astype(np.uint8)


def _ulaw_encode_table() -> npt.NDArray[np.uint8]:
    x = _all_samples()
    v = x >> 2
    mask = np.where(v < 0, 0x7F, 0xFF)  # all bits inverted; sign bit 1 = positive
    mag = np.minimum(np.abs(v), ULAW_CLIP) + ULAW_BIAS
    seg = np.searchsorted(ULAW_SEGMENT_ENDS, mag)
    code = np.where(seg >= 8, 0x7F, (np.minimum(seg, 7) << 4) | ((mag >> (seg + 1)) & 0x0F))
    return (code ^ mask).astype(np.uint8)


def _alaw_decode_table() -> npt.NDArray[np.int16]:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, (t + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, t, -t).astype(np.int16)


def _ulaw_decode_table() -> npt.NDArray[np.int16]:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


ALAW_ENCODE = _alaw_encode_table()
ULAW_ENCODE = _ulaw_encode_table()
ALAW_DECODE = _alaw_decode_table()
ULAW_DECODE = _ulaw_decode_table()


def _as_pcm(pcm: npt.ArrayLike) -> Pcm:
    array = np.asarray(pcm)
    if array.dtype != np.int16 or array.ndim != 1:
        raise CodecError(f"PCM must be a 1-D int16 array, got {array.dtype} {array.shape}")
    return array


def alaw_encode(pcm: npt.ArrayLike) -> bytes:
    """G.711 A-law octets of 16-bit PCM."""
    return ALAW_ENCODE[_as_pcm(pcm).view(np.uint16)].tobytes()


def ulaw_encode(pcm: npt.ArrayLike) -> bytes:
    """G.711 µ-law octets of 16-bit PCM."""
    return ULAW_ENCODE[_as_pcm(pcm).view(np.uint16)].tobytes()


def alaw_decode(data: bytes) -> Pcm:
    """16-bit PCM of G.711 A-law octets."""
    return ALAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def ulaw_decode(data: bytes) -> Pcm:
    """16-bit PCM of G.711 µ-law octets."""
    return ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


# -- codec objects and framing ------------------------------------------------------------------

class AudioCodec(Protocol):
    """What a stream needs of a codec: one instance per stream and direction pair."""

    payload: c.PayloadFormat

    def encode(self, pcm: Pcm) -> bytes: ...

    def decode(self, payload: bytes) -> Pcm: ...


class G711:
    """Stateless G.711 codec for PCMA or PCMU."""

    def __init__(self, payload: c.PayloadFormat) -> None:
        if payload.encoding not in ("PCMA", "PCMU"):
            raise CodecError(f"{payload.encoding} is not G.711")
        self.payload = payload
        alaw = payload.encoding == "PCMA"
        self._encode_table = ALAW_ENCODE if alaw else ULAW_ENCODE
        self._decode_table = ALAW_DECODE if alaw else ULAW_DECODE

    def encode(self, pcm: Pcm) -> bytes:
        return self._encode_table[_as_pcm(pcm).view(np.uint16)].tobytes()

    def decode(self, payload: bytes) -> Pcm:
        return self._decode_table[np.frombuffer(payload, dtype=np.uint8)]


def new_codec(payload: c.PayloadFormat) -> AudioCodec:
    """A fresh codec (with its own state, for G.722) for a payload format."""
    name = payload.encoding.upper()
    if name in ("PCMA", "PCMU"):
        return G711(payload)
    if name == "G722":
        from sipdect.media.g722 import G722Codec
        return G722Codec(payload)
    raise CodecError(f"no codec for {payload.encoding}; PCMA, PCMU and G722 are emulated")


def frame_samples(sample_rate: int, frame_ms: int = c.FRAME_MS) -> int:
    """Samples in one frame: 80 for 10 ms at 8 kHz, 160 for 10 ms at 16 kHz."""
    samples, rest = divmod(sample_rate * frame_ms, 1000)
    if rest or samples <= 0:
        raise CodecError(f"{frame_ms} ms is not a whole number of samples at {sample_rate} Hz")
    return samples


def frame_octets(payload: c.PayloadFormat, frame_ms: int = c.FRAME_MS) -> int:
    """Octets in one coded frame: 80 for 10 ms of G.711 or G.722 (64 kbit/s)."""
    rate = c.CODEC_OCTET_RATES.get(payload.encoding.upper())
    if rate is None:
        raise CodecError(f"{payload.encoding} is not a constant-rate codec the kit frames; "
                         f"use one of {', '.join(c.CODEC_OCTET_RATES)}")
    octets, rest = divmod(rate * frame_ms, 1000)
    if rest or octets <= 0:
        raise CodecError(f"{frame_ms} ms is not a whole number of {payload.encoding} octets")
    return octets


def frames(pcm: npt.ArrayLike, sample_rate: int = c.NARROWBAND_RATE,
           frame_ms: int = c.FRAME_MS) -> Iterator[Pcm]:
    """Consecutive whole frames of `pcm`; a short tail is dropped."""
    array = _as_pcm(pcm)
    n = frame_samples(sample_rate, frame_ms)
    for start in range(0, len(array) - n + 1, n):
        yield array[start:start + n]


# -- G.711 law conversion (an RFP's DSP between A-law on the air and µ-law RTP) -----------------

ALAW_TO_ULAW = bytes(ULAW_ENCODE[ALAW_DECODE.view(np.uint16)].tolist())
"""µ-law octet of each A-law octet, through the 16-bit linear value (a `bytes.translate` table)."""
ULAW_TO_ALAW = bytes(ALAW_ENCODE[ULAW_DECODE.view(np.uint16)].tolist())
"""A-law octet of each µ-law octet."""


def alaw_to_ulaw(data: bytes) -> bytes:
    """G.711 A-law octets as µ-law (G.711's own A/µ conversion is not bit-exact either way)."""
    return data.translate(ALAW_TO_ULAW)


def ulaw_to_alaw(data: bytes) -> bytes:
    """G.711 µ-law octets as A-law."""
    return data.translate(ULAW_TO_ALAW)


def transcoder(source: c.PayloadFormat, target: c.PayloadFormat) -> Callable[[bytes], bytes] | None:
    """How coded octets of `source` become `target`'s: None when the encodings are the same,
    the law conversion between G.711 A-law and µ-law; CodecError for any other pair."""
    pair = (source.encoding.upper(), target.encoding.upper())
    if pair[0] == pair[1]:
        return None
    converter = _LAW_CONVERTERS.get(pair)
    if converter is None:
        raise CodecError(f"{source.encoding} cannot be carried as {target.encoding}; only "
                         f"G.711 A-law and µ-law convert into each other")
    return converter


_LAW_CONVERTERS: dict[tuple[str, str], Callable[[bytes], bytes]] = {
    ("PCMA", "PCMU"): alaw_to_ulaw, ("PCMU", "PCMA"): ulaw_to_alaw,
}
