"""DECT TDMA timing (EN 300 175-3 §4.2, §9.1): the one place for the 10 ms frame.

Every part that moves at the pace of the air reads these: the simulated air's frame clock,
the handsets' and RFPs' voice ticks, the media streams' 10 ms PCM frames and the DSC
keystream benchmark.
"""

from __future__ import annotations

from typing import Final

FRAME_MS: Final = 10
"""A DECT TDMA frame lasts 10 ms; voice moves one frame at a time."""
FRAME_SECONDS: Final = FRAME_MS / 1000
"""The same, in seconds (the unit of every `now`)."""
FRAMES_PER_MULTIFRAME: Final = 16
"""A multiframe holds 16 frames (frame number 0..15)."""
MFN_MODULO: Final = 1 << 24
"""The multiframe number counts in 24 bits."""
