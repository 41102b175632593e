"""A clock a unit test sets by hand: what the models take as `clock` (a callable giving now)."""

from __future__ import annotations


class ManualClock:
    """Seconds since the epoch, where the test puts them (`clock.now += 60`)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
