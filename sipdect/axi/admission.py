"""Admission of AXI connections that have not logged in yet (axi.md §1 "Limits", issue 9).

axiClients counts logged-in sessions; connections still waiting to send a successful Open
get a small quota of their own, per source address and overall (sipdect.axi.conventions),
and refusals are reported once per source rather than once per connection. Fed
connections, addresses and `now`; says whom to admit, whom to drop and what to log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sipdect.axi import conventions

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class PreLoginLimits:
    """How many connections may wait to log in, and for how long."""

    per_source: int = conventions.PRE_LOGIN_PER_SOURCE
    """From one source address at the same time."""
    total: int = conventions.PRE_LOGIN_TOTAL
    """From all sources at the same time."""
    login_timeout: float = conventions.LOGIN_TIMEOUT_S
    """Seconds a connection may take to log in."""
    report_interval: float = conventions.REFUSAL_REPORT_S
    """Seconds between two summary lines about one source."""
    failed_login_delay: float = conventions.FAILED_LOGIN_DELAY_S
    """Seconds a failed Open's answer is held back."""
    password_checks: int = conventions.PASSWORD_CHECKS_AT_ONCE
    """Password checks that may run at the same time (off the event loop)."""

    def __post_init__(self) -> None:
        if self.per_source < 1 or self.total < 1:
            raise ValueError("pre-login limits must admit at least one connection")
        if self.password_checks < 1 or self.failed_login_delay < 0:
            raise ValueError("pre-login limits need a password check slot and a delay >= 0")


@dataclass(slots=True)
class SourceReport:
    """Connections from one source refused or closed before they logged in: one log line."""

    source: str
    """The source address."""
    count: int
    """How many: 1 for the first (reported at once), else how many more since `since`."""
    reason: str
    """Why the latest of them was refused or closed."""
    since: float
    """When the first of them was reported."""


@dataclass(slots=True)
class Admission(Generic[K]):
    """The gate's answer to a new connection."""

    admitted: bool
    """Whether the connection may wait to log in; if not, close it."""
    evict: K | None = None
    """An older waiting connection to close to make room (it is no longer counted)."""
    reports: list[SourceReport] = field(default_factory=list)
    """What to log now."""


class PreLoginGate(Generic[K]):
    """Counts the connections waiting to log in; one per AXI server, shared by its listeners."""

    def __init__(self, limits: PreLoginLimits | None = None) -> None:
        self.limits = limits or PreLoginLimits()
        self._waiting: dict[K, str] = {}
        """Connection -> source address, oldest first."""
        self._per_source: Counter[str] = Counter()
        self._reports: dict[str, SourceReport] = {}
        """Per source: refusals since its first was reported (count = those not yet logged)."""

    def waiting(self, source: str | None = None) -> int:
        """Connections waiting to log in, from `source` or from anywhere."""
        return len(self._waiting) if source is None else self._per_source[source]

    def admit(self, conn: K, source: str, now: float) -> Admission[K]:
        """A new connection from `source` wants to log in."""
        lim = self.limits
        held = self._per_source[source]
        if held >= lim.per_source:
            return Admission(False, reports=self.refused(
                source, f"{held} connections from this address are waiting to log in", now))
        admission: Admission[K] = Admission(True)
        if len(self._waiting) >= lim.total:
            busiest, most = self._per_source.most_common(1)[0]
            if most <= held:  # the newcomer's own source is (one of) the busiest
                return Admission(False, reports=self.refused(
                    source, f"{lim.total} connections are waiting to log in", now))
            victim = next(c for c, s in self._waiting.items() if s == busiest)
            self.done(victim)
            admission.evict = victim
            admission.reports = self.refused(
                busiest, "dropped before login to make room for another address", now)
        self._waiting[conn] = source
        self._per_source[source] += 1
        return admission

    def done(self, conn: K) -> None:
        """`conn` logged in or closed: it waits no more (unknown connections are ignored)."""
        source = self._waiting.pop(conn, None)
        if source is None:
            return
        self._per_source[source] -= 1
        if self._per_source[source] <= 0:
            del self._per_source[source]

    def refused(self, source: str, reason: str, now: float) -> list[SourceReport]:
        """Note a connection from `source` refused or closed before login; the first of a
        source is reported at once, later ones are summed up by handle_timer()."""
        report = self._reports.get(source)
        if report is None:
            self._reports[source] = SourceReport(source, 0, reason, now)
            return [SourceReport(source, 1, reason, now)]
        report.count += 1
        report.reason = reason
        return []

    def get_timer(self) -> float | None:
        """When the next summary is due, None if nothing is pending."""
        if not self._reports:
            return None
        return min(r.since for r in self._reports.values()) + self.limits.report_interval

    def handle_timer(self, now: float) -> list[SourceReport]:
        """Summaries due by `now`: one per source that saw more refusals after its first."""
        due = [r for r in self._reports.values() if now >= r.since + self.limits.report_interval]
        for report in due:
            del self._reports[report.source]
        return [r for r in due if r.count]
