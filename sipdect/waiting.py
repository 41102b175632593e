"""Waiting for a state with a deadline: the one helper every test (ours and users') waits with.

A test never sleeps a fixed time and never compares wall-clock durations: it waits until
what a user would observe holds, and fails naming what it waited for and what it saw last.
The deadline is far above what a run needs, so a busy machine only makes a test slower,
never red. `SIPDECT_WAIT_SCALE` (a number, default 1) stretches every deadline on a very
slow machine. Deadlines are real seconds (a test's patience), also on a loop at a speed
(sipdect.clock): a wait for a 3600 s timer at speed 600 needs a timeout of 6 s and more.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sipdect import clock

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
"""Seconds one wait may take before it fails: far above what a run needs on a busy machine."""
POLL_INTERVAL = 0.02
"""Seconds between two looks at a condition that cannot be awaited."""
MIN_LOOK_S = 5.0
"""Seconds the last look at an async condition gets even when the deadline is (almost) past."""


def scaled(timeout: float) -> float:
    """The seconds a wait of `timeout` really gets on this machine (SIPDECT_WAIT_SCALE): for
    event waits that keep their own deadline, e.g. on a queue."""
    try:
        scale = float(os.environ.get("SIPDECT_WAIT_SCALE", "1"))
    except ValueError:
        scale = 1.0
    return timeout * max(scale, 1.0)


class WaitTimeout(AssertionError):
    """The awaited state did not come before the deadline; the message says what and what
    was seen last."""


async def until(condition: Callable[[], T | None | Awaitable[T | None]], what: str, *,
                timeout: float = DEFAULT_TIMEOUT, interval: float = POLL_INTERVAL) -> T:
    """Poll `condition` (a plain or async callable) until it returns something truthy and
    return that; raise WaitTimeout naming `what` and the last value once `timeout` passed."""
    deadline = time.monotonic() + scaled(timeout)
    pause = clock.current().virtual(interval)  # `interval` real seconds at any speed
    while True:
        looked = condition()
        value: T | None
        if inspect.isawaitable(looked):
            # The condition's own await keeps the deadline too: a look that never answers
            # (a request to a server that hangs) fails the wait instead of hanging it.
            left = max(deadline - time.monotonic(), MIN_LOOK_S)
            try:
                value = await asyncio.wait_for(looked, clock.current().virtual(left))
            except TimeoutError:
                raise WaitTimeout(f"gave up waiting for {what} after {timeout:g} s; the "
                                  f"last look at it did not answer within {left:.3g} s") from None
        else:
            value = looked
        if value:
            return value
        if time.monotonic() > deadline:
            raise WaitTimeout(f"gave up waiting for {what} after {timeout:g} s; "
                              f"last seen: {value!r}")
        await asyncio.sleep(pause)


def until_sync(condition: Callable[[], T | None], what: str, *,
               timeout: float = DEFAULT_TIMEOUT, interval: float = POLL_INTERVAL) -> T:
    """`until` for code without an event loop (threads, subprocess peers)."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise WaitTimeout(f"gave up waiting for {what} after {timeout:g} s; "
                              f"last seen: {value!r}")
        time.sleep(interval)
