"""What both asyncio ends of the air link (server.py, remote.py) do alike around their
sans-I/O sessions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def rearm(loop: asyncio.AbstractEventLoop, timer: asyncio.TimerHandle | None,
          deadline: float | None, callback: Callable[[], None]) -> asyncio.TimerHandle | None:
    """A session's one timer for its next `deadline`: kept when it fires no later, else
    replaced. A later deadline (every frame moves the silence deadline) is re-checked when the
    kept timer fires, so frames cost no timer handles."""
    if timer is not None:
        if deadline is not None and deadline >= timer.when():
            return timer
        timer.cancel()
    return None if deadline is None else loop.call_at(deadline, callback)
