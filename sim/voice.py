"""The voice of a virtual handset: what it says into the air and what it hears back.

docs/calls.md §2: a PP sends one AirVoice frame of 80 octets every 10 ms (G.711 A-law for a
narrowband call, G.722 at 64 kbit/s for a wideband one) and plays the frames its RFP sends.
A VoicePath is sans-I/O: sim.world's ticker asks it for the next uplink frame (clear; the
world ciphers) and hands it every downlink frame (already deciphered) with its frame index.
"""

from __future__ import annotations

import math
import wave
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.primitives import AIR_VOICE_OCTETS
from sipdect.media import constants as mc
from sipdect.media.codecs import G711, AudioCodec, Pcm, frame_samples, new_codec
from sipdect.media.errors import CodecError
from sipdect.media.signals import ToneGenerator, ToneReport, detect_tone

DEFAULT_TONE_LEVEL_DBM0 = -10.0
"""Level of a handset's test tone."""
RECORD_SECONDS = 30.0
"""How much received audio a VoicePath keeps (the oldest goes first)."""
RECORD_FRAMES = int(RECORD_SECONDS * 1000 / mc.FRAME_MS)
MAX_CYCLE_FRAMES = 100
"""A tone whose uplink frames repeat within this many is encoded once (stateless codecs)."""


def default_tone_hz(handset_id: int) -> float:
    """A handset's own test tone: 400 Hz + 100 Hz per id, kept below 3400 Hz (a narrowband
    channel's edge), so that two parties of a call are told apart by ear and by Goertzel."""
    return 400.0 + 100.0 * ((handset_id - 1) % 30)


class PcmSource:
    """16-bit mono PCM from a WAV file or a raw (little-endian int16) file, looped."""

    def __init__(self, samples: Pcm, sample_rate: int) -> None:
        if len(samples) == 0:
            raise CodecError("an audio source needs at least one sample")
        self.samples = samples
        self.sample_rate = sample_rate
        self._at = 0

    @classmethod
    def from_file(cls, path: Path | str, sample_rate: int = mc.NARROWBAND_RATE) -> PcmSource:
        """A WAV file (16-bit mono at `sample_rate`) or raw int16 PCM at `sample_rate`."""
        path = Path(path)
        if path.suffix.lower() == ".wav":
            with wave.open(str(path), "rb") as wav:
                if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                    raise CodecError(f"{path}: use 16-bit mono WAV")
                if wav.getframerate() != sample_rate:
                    raise CodecError(f"{path} is sampled at {wav.getframerate()} Hz; "
                                     f"this call needs {sample_rate} Hz")
                data = wav.readframes(wav.getnframes())
        else:
            data = path.read_bytes()
        return cls(np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.int16),
                   sample_rate)

    def next_frame(self) -> Pcm:
        n = frame_samples(self.sample_rate)
        index = (np.arange(self._at, self._at + n)) % len(self.samples)
        self._at = (self._at + n) % len(self.samples)
        return self.samples[index]


@dataclass(slots=True)
class VoiceStats:
    """What a handset's earpiece got."""

    sent: int = 0
    """Uplink frames generated."""
    received: int = 0
    """Downlink frames decoded and played."""
    undecodable: int = 0
    """Downlink frames that could not be played: ciphered while the handset holds no key,
    or not 80 octets."""
    late: int = 0
    """Downlink frames for a frame no later than one already played (repeats, reordering)."""
    missing: int = 0
    """Air frames skipped between two played frames (nothing arrived for them)."""


@dataclass
class VoicePath:
    """One handset's voice: a source for the uplink and a recorder of the downlink."""

    wideband: bool = False
    """G.722 at 16 kHz on the air instead of G.711 A-law at 8 kHz."""
    tone_hz: float | None = 1000.0
    """The tone the handset sends (None: `source` instead)."""
    source: PcmSource | None = None
    """Audio to send instead of a tone."""
    tone_level_dbm0: float = DEFAULT_TONE_LEVEL_DBM0
    stats: VoiceStats = field(default_factory=VoiceStats)
    _tone: ToneGenerator | None = None
    _encoder: AudioCodec | None = None
    _decoder: AudioCodec | None = None
    _cycle: list[bytes] = field(default_factory=list)
    """A periodic tone's uplink frames, encoded once (`_tone_cycle`)."""
    _cycle_at: int = 0
    _heard: deque[Pcm] = field(default_factory=lambda: deque(maxlen=RECORD_FRAMES))
    """What a stateful decoder (G.722) made of each played frame."""
    _heard_coded: deque[bytes] = field(default_factory=lambda: deque(maxlen=RECORD_FRAMES))
    """The played frames of a stateless codec (G.711), decoded when read."""
    _last_frame: int | None = None

    def __post_init__(self) -> None:
        payload = mc.G722 if self.wideband else mc.PCMA
        self._encoder = new_codec(payload)
        self._decoder = new_codec(payload)
        if self.source is None:
            if self.tone_hz is None:
                raise CodecError("a voice path needs a tone or a source")
            self._tone = ToneGenerator(self.tone_hz, self.tone_level_dbm0, self.sample_rate)
            self._cycle = self._tone_cycle()
        elif self.source.sample_rate != self.sample_rate:
            raise CodecError(f"the source is sampled at {self.source.sample_rate} Hz; this "
                             f"path needs {self.sample_rate} Hz")

    @property
    def sample_rate(self) -> int:
        return mc.WIDEBAND_RATE if self.wideband else mc.NARROWBAND_RATE

    # -- uplink --------------------------------------------------------------------------------
    def next_uplink(self) -> bytes:
        """The next 10 ms of what the handset says, encoded for the air (clear)."""
        self.stats.sent += 1
        if self._cycle:
            frame = self._cycle[self._cycle_at]
            self._cycle_at = (self._cycle_at + 1) % len(self._cycle)
            return frame
        assert self._encoder is not None
        pcm = self._tone.next_frame() if self._tone is not None else self._source_frame()
        return self._encoder.encode(pcm)

    def _tone_cycle(self) -> list[bytes]:
        """Every distinct uplink frame of a tone that repeats exactly within MAX_CYCLE_FRAMES
        frames (ToneGenerator.period), in order, when the encoder has no state (G.711): frame
        k is then entry k mod len. Empty otherwise (frames are made one by one)."""
        tone = self._tone
        if tone is None or tone.period is None or not isinstance(self._encoder, G711):
            return []
        frames = tone.period // math.gcd(tone.period, frame_samples(self.sample_rate))
        if frames > MAX_CYCLE_FRAMES:
            return []
        return [self._encoder.encode(tone.next_frame()) for _ in range(frames)]

    def _source_frame(self) -> Pcm:
        assert self.source is not None
        return self.source.next_frame()

    # -- downlink ------------------------------------------------------------------------------
    def receive(self, payload: bytes | None, frame_index: int) -> None:
        """A downlink frame, deciphered (None: it could not be deciphered) of air frame
        `frame_index`."""
        if payload is None or len(payload) != AIR_VOICE_OCTETS:
            self.stats.undecodable += 1
            return
        if self._last_frame is not None and frame_index <= self._last_frame:
            self.stats.late += 1
            return
        if isinstance(self._decoder, G711):
            # Stateless and total on 80 octets: decoding can wait until someone listens.
            self._heard_coded.append(payload)
        else:
            assert self._decoder is not None
            try:
                pcm = self._decoder.decode(payload)
            except CodecError:
                self.stats.undecodable += 1
                return
            self._heard.append(pcm)
        if self._last_frame is not None:
            self.stats.missing += frame_index - self._last_frame - 1
        self._last_frame = frame_index
        self.stats.received += 1

    def heard(self, seconds: float | None = None) -> Pcm:
        """What the earpiece played, the last `seconds` of it (all kept audio by default)."""
        count = None if seconds is None else max(1, int(round(seconds * 1000 / mc.FRAME_MS)))
        if self._heard_coded:
            assert self._decoder is not None
            coded = list(self._heard_coded)[-count:] if count else list(self._heard_coded)
            return self._decoder.decode(b"".join(coded))
        frames = list(self._heard)[-count:] if count else list(self._heard)
        return np.concatenate(frames) if frames else np.zeros(0, dtype=np.int16)

    def hears_tone(self, frequency: float, seconds: float = 0.5,
                   min_dbm0: float = -30.0) -> ToneReport:
        """Whether the last `seconds` of what was played hold a tone at `frequency`
        (sipdect.media.signals' Goertzel detector)."""
        return detect_tone(self.heard(seconds), frequency, sample_rate=self.sample_rate,
                           min_dbm0=min_dbm0)
