"""Test signals: a phase-continuous sine generator in 10 ms frames and a Goertzel tone
detector that gives a frequency's level in dBm0, so a test can tell that a tone
arrived (and that audio deciphered with the wrong key is only noise).

Levels follow ITU-T G.711 §3: a full-scale 16-bit sine is +3.14 dBm0
(constants.FULL_SCALE_DBM0). The Goertzel value is computed for the whole block at
once with numpy: Goertzel's recursion ends on |sum x[n] e^(-j w n)|, the same
single-bin DFT that the dot product gives (tests check the two agree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from sipdect.media import constants as c
from sipdect.media.codecs import Pcm, frame_samples

#: Below this nothing counts as present (the floor of a silent block).
SILENCE_DBM0 = -90.0


def amplitude_for(level_dbm0: float) -> float:
    """Peak amplitude (16-bit scale) of a sine at `level_dbm0`."""
    return c.FULL_SCALE_AMPLITUDE * 10 ** ((level_dbm0 - c.FULL_SCALE_DBM0) / 20)


def level_for(amplitude: float) -> float:
    """dBm0 of a sine with this peak amplitude (SILENCE_DBM0 for zero)."""
    if amplitude <= 0:
        return SILENCE_DBM0
    return max(SILENCE_DBM0, c.FULL_SCALE_DBM0 + 20 * math.log10(amplitude /
                                                                 c.FULL_SCALE_AMPLITUDE))


MAX_PERIOD_SAMPLES = 16000
"""A tone whose samples repeat within this many is generated from one period's table."""


@dataclass(slots=True)
class ToneGenerator:
    """A sine at one frequency and level, delivered frame by frame without phase jumps.

    When frequency / sample_rate is a fraction p/q with q <= MAX_PERIOD_SAMPLES (every
    whole-Hz tone), sample n is computed from (p n) mod q, so the signal repeats exactly every
    `period` samples and long runs keep their precision; other frequencies use n itself."""

    frequency: float = 1000.0
    """Hz."""
    level_dbm0: float = -10.0
    """Level of the sine."""
    sample_rate: int = c.NARROWBAND_RATE
    """Samples per second."""
    frame_ms: int = c.FRAME_MS
    """Frame length."""
    _n: int = 0
    _table: Pcm | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        cycles = Fraction(self.frequency) / self.sample_rate
        if cycles.denominator <= MAX_PERIOD_SAMPLES:
            steps = np.arange(cycles.denominator, dtype=np.int64) * cycles.numerator
            self._table = self._wave(steps % cycles.denominator / cycles.denominator)

    @property
    def period(self) -> int | None:
        """Samples after which the signal repeats exactly (None: not within
        MAX_PERIOD_SAMPLES)."""
        return None if self._table is None else len(self._table)

    def next_frame(self) -> Pcm:
        """The next frame as int16 PCM."""
        n = frame_samples(self.sample_rate, self.frame_ms)
        return self.samples(n)

    def samples(self, count: int) -> Pcm:
        """The next `count` samples."""
        start, self._n = self._n, self._n + count
        if self._table is not None:
            period = len(self._table)
            self._n %= period
            return self._table[np.arange(start, start + count) % period]
        t = np.arange(start, start + count, dtype=np.float64)
        return self._wave(self.frequency * t / self.sample_rate)

    def _wave(self, cycles: npt.NDArray[np.float64]) -> Pcm:
        """int16 samples of the sine at these phases (in cycles)."""
        wave = amplitude_for(self.level_dbm0) * np.sin(2 * np.pi * cycles)
        return np.clip(np.round(wave), -32768, 32767).astype(np.int16)


def goertzel_level(samples: npt.ArrayLike, frequency: float,
                   sample_rate: int = c.NARROWBAND_RATE) -> float:
    """Level in dBm0 of the component of `samples` at `frequency`.

    A sine of level L over a whole number of periods reads as L; over a block that
    is not, leakage makes it read a little lower.
    """
    x = np.asarray(samples, dtype=np.float64)
    if len(x) == 0:
        return SILENCE_DBM0
    w = 2 * np.pi * frequency / sample_rate
    n = np.arange(len(x))
    re = float(np.dot(x, np.cos(w * n)))
    im = float(np.dot(x, np.sin(w * n)))
    return level_for(2 * math.hypot(re, im) / len(x))


def total_level(samples: npt.ArrayLike) -> float:
    """Level in dBm0 of the whole signal (power of a sine of the same RMS)."""
    x = np.asarray(samples, dtype=np.float64)
    if len(x) == 0:
        return SILENCE_DBM0
    rms = math.sqrt(float(np.mean(x * x)))
    return level_for(rms * math.sqrt(2))


@dataclass(frozen=True, slots=True)
class ToneReport:
    """What the detector found in a block of audio."""

    tone_dbm0: float
    """Level of the wanted frequency."""
    total_dbm0: float
    """Level of everything."""
    present: bool
    """The tone is loud enough and carries nearly all of the power."""


def detect_tone(samples: npt.ArrayLike, frequency: float = 1000.0, *,
                sample_rate: int = c.NARROWBAND_RATE, min_dbm0: float = -30.0,
                max_other_db: float = 3.0) -> ToneReport:
    """Is a tone at `frequency` there? Present when its level is at least `min_dbm0`
    and within `max_other_db` of the total level (so noise of the same power, such
    as audio deciphered with the wrong key, is not taken for the tone)."""
    tone = goertzel_level(samples, frequency, sample_rate)
    total = total_level(samples)
    return ToneReport(tone, total, tone >= min_dbm0 and total - tone <= max_other_db)
