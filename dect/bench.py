"""Throughput of the DECT security library, for `sipdect bench dect`.

Measures DSAA authentications (A11 + A12, shared/specs/dect-security.md 3.1) and DSC
frame keystreams (section 5, 720 bits), single and bit-sliced in batches, and how many
ciphered connections one core keeps up with in real time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from dect.security import (
    a11,
    a12,
    dsaa2_a11,
    dsaa2_a12,
    dsc2_keystream,
    dsc_iv,
    dsc_keystream,
    dsc_keystreams,
)
from dect.security.tables import DSC_FULL_SLOT_BITS
from dect.timing import FRAME_SECONDS

BATCH_SIZES = (1, 100, 1_000, 10_000)
#: Connection counts tried for `realtime_calls_one_core`.
REALTIME_SIZES = (100, 300, 1_000, 3_000)
#: A ciphered connection needs one keystream per 10 ms DECT frame, so N connections are
#: real-time if N keystreams take at most FRAME_SECONDS.


def _rate(work: Callable[[int], int], min_seconds: float) -> float:
    """Items per second: call `work(i)` (returning its item count) for at least `min_seconds`."""
    items = 0
    calls = 0
    start = time.perf_counter()
    while True:
        items += work(calls)
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return items / elapsed


def run(quick: bool = False) -> dict[str, object]:
    """Run every measurement; `quick` shortens each one (about 1 s in all instead of ~10 s).

    Returns a JSON-serialisable dict: rates are per second, batched DSC rates
    count one frame keystream of one connection as one item.
    """
    min_seconds = 0.05 if quick else 1.0
    rng = np.random.default_rng(2024)
    k = rng.bytes(16)
    rs = rng.bytes(8)
    rands = [rng.bytes(8) for _ in range(256)]

    def dsaa_auth(i: int) -> int:
        a12(a11(k, rs), rands[i % 256])
        return 1

    def dsaa2_auth(i: int) -> int:
        dsaa2_a12(dsaa2_a11(k, rs + rs), rands[i % 256], rands[(i + 1) % 256])
        return 1

    ck = rng.bytes(8)

    def dsc_single(i: int) -> int:
        dsc_keystream(ck, dsc_iv(i >> 4 & 0xFFFFFF, i & 15))
        return 1

    def dsc2_single(i: int) -> int:
        dsc2_keystream(k, dsc_iv(i >> 4 & 0xFFFFFF, i & 15))
        return 1

    batched: dict[int, float] = {}
    for size in sorted({*BATCH_SIZES, *REALTIME_SIZES}):
        keys = rng.integers(0, 256, size=(size, 8), dtype=np.uint8)
        mfn = int(rng.integers(0, 1 << 24))

        def dsc_batch(i: int, keys: np.ndarray = keys, mfn: int = mfn) -> int:
            ivs = np.full(len(keys), dsc_iv(mfn, i & 15))
            dsc_keystreams(keys, ivs)
            return len(keys)

        batched[size] = _rate(dsc_batch, min_seconds)
    # One frame's keystreams for N connections must fit in one frame time on this core.
    realtime = max(
        (size for size in REALTIME_SIZES if size / batched[size] <= FRAME_SECONDS), default=0
    )

    # The figures are only worth having if the fast path is right.
    sample = rng.integers(0, 256, size=(100, 8), dtype=np.uint8)
    ivs = np.arange(100) * 977
    streams = dsc_keystreams(sample, ivs)
    checked = all(
        streams[i].tobytes() == dsc_keystream(sample[i].tobytes(), int(ivs[i])) for i in (0, 63, 99)
    )

    return {
        "dsaa_authentications_per_s": round(_rate(dsaa_auth, min_seconds), 1),
        "dsaa2_authentications_per_s": round(_rate(dsaa2_auth, min_seconds), 1),
        "dsc_keystream_bits": DSC_FULL_SLOT_BITS,
        "dsc_single_keystreams_per_s": round(_rate(dsc_single, min_seconds), 1),
        "dsc_batched_keystreams_per_s": {str(n): round(batched[n], 1) for n in BATCH_SIZES},
        "realtime_calls_one_core": realtime,
        "dsc2_single_keystreams_per_s": round(_rate(dsc2_single, min_seconds), 1),
        "batched_matches_single": checked,
        "quick": quick,
    }
