"""The asyncio edge of the AXI pre-login gate (sipdect.axi.admission): log lines and the timer.

One per AXI server (an OMM's AXI, the MOM's MAXI), shared by its listeners: connections that
have not logged in yet are admitted, evicted or refused here, and what happened to them is
logged once per source address and then summed up, never once per connection. Their password
checks run here too, in worker threads and a few at a time, so that no Open stalls the event
loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from sipdect import clock
from sipdect.axi.admission import Admission, PreLoginGate, PreLoginLimits, SourceReport


class Waiting(Protocol):
    """A connection waiting to log in, as the gate drops it to make room."""

    def drop(self) -> None: ...

    def __hash__(self) -> int: ...


class Gatekeeper:
    """PreLoginGate with the loop's clock, its summary timer and the log lines."""

    def __init__(self, limits: PreLoginLimits | None = None, *, log: logging.Logger,
                 label: str = "AXI") -> None:
        self.log = log
        self.label = label
        """The interface's name in log lines."""
        self.gate: PreLoginGate[Waiting] = PreLoginGate(limits)
        self._timer: asyncio.TimerHandle | None = None
        self._checks = asyncio.Semaphore(self.gate.limits.password_checks)

    @property
    def limits(self) -> PreLoginLimits:
        return self.gate.limits

    def admit(self, conn: Waiting, source: str) -> bool:
        """Whether `conn` may wait to log in; an older connection may be dropped for it."""
        admission: Admission[Waiting] = self.gate.admit(conn, source, clock.now())
        self._report(admission.reports)
        if admission.evict is not None:
            admission.evict.drop()
        return admission.admitted

    async def check_password(self, check: Callable[[], bool]) -> bool:
        """Run `check` (a password hash) in the loop's executor, at most
        limits.password_checks at a time; the others wait in line, first come first served."""
        async with self._checks:
            return await asyncio.get_running_loop().run_in_executor(None, check)

    def done(self, conn: Waiting) -> None:
        """`conn` logged in or closed."""
        self.gate.done(conn)

    def refused(self, source: str, reason: str) -> None:
        """A connection from `source` was refused or closed before it logged in."""
        self._report(self.gate.refused(source, reason, clock.now()))

    def _report(self, reports: list[SourceReport]) -> None:
        for r in reports:
            self.log.warning("%s %s: connection refused or closed before login: %s (more "
                             "from this address are summed up every %.0f s)", self.label,
                             r.source, r.reason, self.limits.report_interval)
        self._arm()

    def _arm(self) -> None:
        deadline = self.gate.get_timer()
        if deadline is None or self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        self._timer = loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        for r in self.gate.handle_timer(clock.now()):
            self.log.warning("%s %s: %d more connections refused or closed before login in "
                             "%.0f s (latest: %s)", self.label, r.source, r.count,
                             self.limits.report_interval, r.reason)
        self._arm()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
