"""What a scenario run found, as plain data: the runner fills it, the summary and the JUnit
writer read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"


@dataclass
class CaseResult:
    """One JUnit testcase: the whole scenario, or one step group of it."""

    name: str
    outcome: str = PASSED
    """passed, failed (an expectation was not met), error (the run could not go on: a bad
    file, a system that would not start, an action refused) or skipped (an earlier step
    failed)."""
    seconds: float = 0.0
    """Wall-clock seconds the steps took."""
    message: str = ""
    """One line: why it failed, erred or was skipped."""
    detail: str = ""
    """The whole report: expected, seen, the last events before it."""
    steps: int = 0
    """How many steps it ran."""


@dataclass
class ScenarioResult:
    """One scenario file's run."""

    path: Path
    name: str
    scenario: CaseResult
    groups: list[CaseResult] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    """Paths of what the run left behind (captures, logs), for JUnit's system-out."""
    output: list[str] = field(default_factory=list)
    """The progress lines printed while it ran."""
    events: list[str] = field(default_factory=list)
    """The site's event stream during the run, one line each (for the run's log)."""
    started: float = 0.0
    """When it started (epoch seconds, for JUnit's timestamp)."""
    speed: float = 1.0

    @property
    def passed(self) -> bool:
        return self.scenario.outcome == PASSED

    def cases(self) -> list[CaseResult]:
        return [self.scenario, *self.groups]
