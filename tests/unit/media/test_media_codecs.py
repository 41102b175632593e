"""G.711 bit-exactness (against tables built from the standard's segment definition and
against CPython's audioop), G.722 known answers, and framing."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import numpy.typing as npt
import pytest

from sipdect.media import codecs
from sipdect.media import constants as c
from sipdect.media.errors import CodecError
from sipdect.media.g722 import G722Codec, G722Decoder, G722Encoder
from sipdect.media.signals import ToneGenerator, detect_tone

ALL = np.arange(-32768, 32768, dtype=np.int32)


# -- reference tables from ITU-T G.711's definition ---------------------------------------------
# A-law: 13-bit sign + 12-bit magnitude; segment 0 and 1 have 16 intervals of 2, segment s>1
# 16 intervals of 2^s, starting at 32 * 2^(s-1); the decoder outputs the interval's middle;
# the character signal has sign 1 for positive and its even bits inverted.
# µ-law: 14-bit sign + magnitude; segment s has 16 intervals of 2^(s+1) starting at
# 2^(s+5) - 33 (the first interval of segment 0 only holds 0); magnitudes past 8158 clip;
# the sign bit is 1 for negative before every bit of the character signal is inverted.

def _reference(starts: list[int], steps: list[int]) -> tuple[npt.NDArray[np.int64],
                                                              npt.NDArray[np.float64]]:
    """Lower decision values of the 128 magnitude intervals and their output values."""
    lows, outputs = [], []
    for start, step in zip(starts, steps, strict=True):
        for m in range(16):
            lows.append(start + m * step)
            outputs.append(start + (m + 0.5) * step)
    return np.array(lows), np.array(outputs)


ALAW_LOWS, ALAW_OUT = _reference([0] + [32 << s for s in range(7)],
                                 [2, 2] + [1 << s for s in range(2, 8)])
ULAW_LOWS, ULAW_OUT = _reference([(1 << (s + 5)) - 33 for s in range(8)],
                                 [1 << (s + 1) for s in range(8)])


def _reference_alaw(x: npt.NDArray[np.int32]) -> npt.NDArray[np.uint8]:
    v = x >> 3
    negative = v < 0
    mag = np.where(negative, -v - 1, v)
    interval = np.searchsorted(ALAW_LOWS, mag, side="right") - 1
    return ((np.where(negative, 0, 0x80) | interval) ^ 0x55).astype(np.uint8)


def _reference_ulaw(x: npt.NDArray[np.int32]) -> npt.NDArray[np.uint8]:
    v = x >> 2
    negative = v < 0
    mag = np.minimum(np.abs(v), 8158)
    interval = np.searchsorted(ULAW_LOWS, mag, side="right") - 1
    return (~(np.where(negative, 0x80, 0) | interval) & 0xFF).astype(np.uint8)


def test_reference_tables_cover_the_range() -> None:
    assert ALAW_LOWS[-1] + 128 == 4096 and ULAW_LOWS[-1] + 256 == 8159
    assert ULAW_LOWS[0] == -1 and ULAW_OUT[0] == 0


def test_alaw_encoder_matches_the_standard() -> None:
    assert codecs.alaw_encode(ALL.astype(np.int16)) == _reference_alaw(ALL).tobytes()


def test_ulaw_encoder_matches_the_standard() -> None:
    assert codecs.ulaw_encode(ALL.astype(np.int16)) == _reference_ulaw(ALL).tobytes()


def test_alaw_decoder_matches_the_standard() -> None:
    codes = np.arange(256)
    plain = codes ^ 0x55
    sign = np.where(plain & 0x80, 1, -1)
    expected = sign * ALAW_OUT[plain & 0x7F] * 8  # 13-bit units -> 16-bit
    assert np.array_equal(codecs.alaw_decode(bytes(range(256))), expected.astype(np.int16))


def test_ulaw_decoder_matches_the_standard() -> None:
    plain = ~np.arange(256) & 0xFF
    sign = np.where(plain & 0x80, -1, 1)
    expected = sign * ULAW_OUT[plain & 0x7F] * 4  # 14-bit units -> 16-bit
    assert np.array_equal(codecs.ulaw_decode(bytes(range(256))), expected.astype(np.int16))


def test_well_known_codes() -> None:
    silence = np.zeros(4, dtype=np.int16)
    assert codecs.alaw_encode(silence) == b"\xd5" * 4
    assert codecs.ulaw_encode(silence) == b"\xff" * 4
    peak = np.array([32767, -32768], dtype=np.int16)
    assert codecs.alaw_encode(peak) == b"\xaa\x2a"
    assert codecs.ulaw_encode(peak) == b"\x80\x00"


def _audioop():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pytest.importorskip("audioop")


def test_bit_exact_with_audioop() -> None:
    audioop = _audioop()
    pcm = ALL.astype(np.int16)
    raw = pcm.astype("<i2").tobytes()
    assert codecs.alaw_encode(pcm) == audioop.lin2alaw(raw, 2)
    assert codecs.ulaw_encode(pcm) == audioop.lin2ulaw(raw, 2)
    every = bytes(range(256))
    assert codecs.alaw_decode(every).astype("<i2").tobytes() == audioop.alaw2lin(every, 2)
    assert codecs.ulaw_decode(every).astype("<i2").tobytes() == audioop.ulaw2lin(every, 2)


def test_decode_then_encode_is_identity() -> None:
    every = bytes(range(256))
    assert codecs.alaw_encode(codecs.alaw_decode(every)) == every
    # µ-law has two zeros (0x7f, 0xff); -0 comes back as +0.
    back = codecs.ulaw_encode(codecs.ulaw_decode(every))
    assert back == every.replace(b"\x7f", b"\xff")


def test_codec_objects_and_errors() -> None:
    tone = ToneGenerator().samples(160)
    for fmt in (c.PCMA, c.PCMU):
        codec = codecs.new_codec(fmt)
        payload = codec.encode(tone)
        assert len(payload) == 160
        assert detect_tone(codec.decode(payload)).present
    with pytest.raises(CodecError):
        codecs.alaw_encode(np.zeros(4, dtype=np.float32))
    with pytest.raises(CodecError):
        codecs.new_codec(c.TELEPHONE_EVENT)
    with pytest.raises(CodecError):
        codecs.G711(c.G722)


def test_framing() -> None:
    assert codecs.frame_samples(8000) == 80
    assert codecs.frame_samples(16000) == 160
    assert codecs.frame_samples(8000, 20) == 160
    pcm = np.arange(250, dtype=np.int16)
    frames = list(codecs.frames(pcm))
    assert [len(f) for f in frames] == [80, 80, 80]
    assert frames[1][0] == 80
    with pytest.raises(CodecError):
        codecs.frame_samples(8000, 0)


# -- G.722 --------------------------------------------------------------------------------------

def _known_input() -> tuple[npt.NDArray[np.int16], bytes]:
    """A sawtooth, sawtooth plus noise, then full-scale noise (an LCG, so it is the same
    on every platform), and a fixed sequence of codes."""
    out = []
    x = 12345
    for n in range(12000):
        x = (1103515245 * x + 12345) & 0x7FFFFFFF
        noise = (x >> 15) - 32768
        saw = (n * 300) % 32000 - 16000
        out.append(saw if n < 4000 else saw // 2 + noise // 4 if n < 8000 else noise)
    codes = bytes((i * 7 + (i >> 3)) & 0xFF for i in range(4000))
    return np.array(out, dtype=np.int16), codes


# SHA-256 of the output of the libg722 C library (sippy/libg722 1.2.8, the spandsp
# G.722 code) at 64 kbit/s on the same input: encoder output, decoding that, and
# decoding the fixed codes.
G722_ENCODED = "46b3dd0cfd1d0bfda78cf8afc1d47d6352a755cc3182e7439d8c8e2f3c84964d"
G722_DECODED = "d3d4a82755cb3b70e7d80e0a65d3e8aa140e827e7e2ed9b8a50b6b87f1d53eb0"
G722_CODES_DECODED = "72d05ba488e71975ce888e4c35d7e1b20f71ead4629970d276c98c051100fef4"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_g722_known_answers() -> None:
    pcm, codes = _known_input()
    encoded = G722Encoder().encode(pcm)
    assert len(encoded) == len(pcm) // 2
    assert _sha(encoded) == G722_ENCODED
    assert _sha(G722Decoder().decode(encoded).astype("<i2").tobytes()) == G722_DECODED
    assert _sha(G722Decoder().decode(codes).astype("<i2").tobytes()) == G722_CODES_DECODED


def test_g722_carries_a_wideband_tone_frame_by_frame() -> None:
    codec = codecs.new_codec(c.G722)
    assert isinstance(codec, G722Codec)
    tone = ToneGenerator(frequency=5000.0, sample_rate=16000)
    out = []
    for _ in range(30):
        payload = codec.encode(tone.next_frame())
        assert len(payload) == 80  # 10 ms at 64 kbit/s
        out.append(codec.decode(payload))
    received = np.concatenate(out)[800:]  # skip the QMF/ADPCM settling
    report = detect_tone(received, 5000.0, sample_rate=16000)
    assert report.present and abs(report.tone_dbm0 + 10) < 1.0


def test_g722_rejects_odd_lengths() -> None:
    with pytest.raises(CodecError):
        G722Encoder().encode(np.zeros(3, dtype=np.int16))
