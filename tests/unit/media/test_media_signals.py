"""Tone generator and Goertzel detector."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sipdect.media import codecs
from sipdect.media.signals import (
    SILENCE_DBM0,
    ToneGenerator,
    amplitude_for,
    detect_tone,
    goertzel_level,
    level_for,
    total_level,
)


def _goertzel_recursive(x: np.ndarray, frequency: float, rate: int) -> float:
    """The textbook recursion, for comparison: |X(f)| of the block."""
    coeff = 2 * math.cos(2 * math.pi * frequency / rate)
    s1 = s2 = 0.0
    for sample in x.tolist():
        s1, s2 = sample + coeff * s1 - s2, s1
    w = 2 * math.pi * frequency / rate
    # Final step: X = s1 - e^{-jw} s2, up to a phase factor.
    return math.hypot(s1 - math.cos(w) * s2, math.sin(w) * s2)


def test_levels() -> None:
    assert amplitude_for(3.14) == pytest.approx(32768)
    assert level_for(amplitude_for(-10)) == pytest.approx(-10)
    assert level_for(0) == SILENCE_DBM0


def test_generator_frames_and_level() -> None:
    gen = ToneGenerator()
    frames = [gen.next_frame() for _ in range(10)]
    assert all(len(f) == 80 and f.dtype == np.int16 for f in frames)
    block = np.concatenate(frames)
    assert goertzel_level(block, 1000) == pytest.approx(-10, abs=0.01)
    assert total_level(block) == pytest.approx(-10, abs=0.01)
    # Phase-continuous: the frames join into one sine, no click at the boundaries.
    whole = ToneGenerator().samples(800)
    assert np.array_equal(block, whole)


def test_goertzel_matches_the_recursion() -> None:
    block = ToneGenerator(frequency=1000, level_dbm0=-20).samples(400) \
        + ToneGenerator(frequency=697, level_dbm0=-25).samples(400)
    for f in (697.0, 1000.0, 1209.0):
        direct = goertzel_level(block, f)
        recursive = level_for(2 * _goertzel_recursive(block, f, 8000) / len(block))
        assert direct == pytest.approx(recursive, abs=1e-6)


def test_detector() -> None:
    tone = ToneGenerator().samples(800)
    assert detect_tone(tone).present
    assert not detect_tone(tone, 1500.0).present
    quiet = ToneGenerator(level_dbm0=-45).samples(800)
    assert not detect_tone(quiet).present
    assert detect_tone(quiet, min_dbm0=-50).present
    assert not detect_tone(np.zeros(800, dtype=np.int16)).present
    assert detect_tone(np.zeros(0, dtype=np.int16)).tone_dbm0 == SILENCE_DBM0


def test_random_g711_octets_are_noise_not_tone() -> None:
    rng = np.random.default_rng(7)
    noise = codecs.alaw_decode(rng.integers(0, 256, 800, dtype=np.uint8).tobytes())
    report = detect_tone(noise)
    assert not report.present and report.total_dbm0 - report.tone_dbm0 > 15
