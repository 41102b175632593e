"""The scenario model: what a scenario file says, as plain data (docs/scenarios.md).

A scenario is a system and a list of steps; a step is an optional action, then an optional
expectation (`expect`, waited for `within` a deadline) or an optional "never" window. Nothing
here reads a file or a clock: parse.py builds these, runner.py plays them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_WITHIN_S = 10.0
"""How long an `expect` without `within` is waited for (scenario time). The spec is silent;
10 s is above what any single protocol step of the emulator takes at speed 1 and short
enough that a forgotten `within` fails quickly."""
DEFAULT_GROUP = ""
"""The group of the steps before the first `group = ...`: they count only for the scenario's
own JUnit testcase."""
AXI_POLL_S = 0.2
"""Real seconds between two requests of an AXI step with `within` until its answer matches."""
NEVER_POLL_S = 0.05
"""Real seconds between two looks of a `never` window at what it watches."""
LAST_EVENTS = 12
"""How many of the event stream's latest events a failure report shows."""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds of a duration written as "250ms", "5s", "1.5s", "2min" or "1h"; ValueError
    saying the form otherwise."""
    found = _DURATION.match(text) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"{text!r} is no duration: write e.g. \"250ms\", \"5s\", \"2min\" "
                         "or \"1h\"")
    return float(found.group(1)) * _UNIT_S[found.group(2)]


def format_duration(seconds: float) -> str:
    """The shortest of the forms parse_duration reads that says `seconds` (for messages)."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{_number(seconds / 3600)}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{_number(seconds / 60)}min"
    if seconds < 1:
        return f"{_number(seconds * 1000)}ms"
    return f"{_number(seconds)}s"


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Action:
    """One thing a step does to the system."""

    subject: str
    """What it acts on: handset, rfp, host, link, axi, phone, wait."""
    target: str
    """Which one (a handset's name/IPEI/id, an RFP's name/MAC, a host's name, an OMM for
    axi); "" for wait and link."""
    verb: str
    """What it does: call, answer, hangup, walk, power, kill, request, cut, ..."""
    args: dict[str, Any] = field(default_factory=dict)
    """The verb's arguments, checked by the parser (e.g. number, path, speed, on)."""

    def describe(self) -> str:
        """One line for progress output and failure reports."""
        shown = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        who = f" {self.target}" if self.target else ""
        return f"{self.subject}{who} {self.verb}" + (f" ({shown})" if shown else "")


@dataclass(frozen=True)
class Expectation:
    """Something to observe: a subject and the attributes it must show (match.py)."""

    subject: str
    """handset, rfp, host, registration, phone, axi_event, axi_answer, event_log, event."""
    target: str
    """Which one (a handset, an RFP, a host, a SIP user, an AXI event type, ...)."""
    attrs: dict[str, Any] = field(default_factory=dict)
    """Attribute -> expected value (match.py says how values compare)."""
    omm: str = ""
    """For AXI expectations: which OMM ("": the first)."""
    account: str = ""
    """For AXI expectations: which of the OMM's accounts ("": the config's first)."""

    def describe(self) -> str:
        shown = ", ".join(f"{k} = {v!r}" for k, v in self.attrs.items())
        where = f" at {self.omm}" if self.omm else ""
        return f"{self.subject} {self.target!r}{where}" + (f" with {shown}" if shown else "")


@dataclass(frozen=True)
class Step:
    """One [[step]] table: an optional action, then an expectation or a never window."""

    index: int
    """1-based position in the file (what messages call "step N")."""
    group: str
    """The JUnit testcase this step counts for (DEFAULT_GROUP: the scenario's only)."""
    action: Action | None = None
    at: float | None = None
    """Seconds of scenario time at which the step starts (None: right after the previous)."""
    expect: Expectation | None = None
    within: float | None = None
    """The expectation's deadline as written (None: DEFAULT_WITHIN_S; an axi answer without
    it must come right with the first request)."""
    never: Expectation | None = None
    window: float = 0.0
    """Seconds the never expectation is watched (`for`)."""
    name: str = ""
    """The step's own title (`name = ...`), else one made of what it does."""

    @property
    def deadline(self) -> float:
        """Seconds of scenario time the expectation is waited for."""
        return DEFAULT_WITHIN_S if self.within is None else self.within

    def title(self) -> str:
        if self.name:
            return self.name
        parts = []
        if self.action is not None:
            parts.append(self.action.describe())
        if self.expect is not None:
            parts.append(f"expect {self.expect.describe()}")
        if self.never is not None:
            parts.append(f"never {self.never.describe()}")
        return "; ".join(parts) or "(empty step)"


@dataclass
class Scenario:
    """One scenario file."""

    path: Path
    name: str
    description: str = ""
    speed: float = 1.0
    voice: bool = False
    """The scenario listens to voice (tones): it runs only at speed 1."""
    system_path: Path | None = None
    """The system config file; None with `system_inline` or for the default system."""
    system_inline: dict[str, Any] | None = None
    """An inline [system] table, already shaped as a config file's top level."""
    steps: list[Step] = field(default_factory=list)

    def groups(self) -> list[str]:
        """The step groups in the order they first appear (DEFAULT_GROUP excluded)."""
        seen: list[str] = []
        for step in self.steps:
            if step.group != DEFAULT_GROUP and step.group not in seen:
                seen.append(step.group)
        return seen

    def axi_event_types(self) -> dict[tuple[str, str], set[str]]:
        """(OMM, account) -> the AXI event types the scenario's expectations wait for: the
        runner subscribes to them at start so no event of a step is missed."""
        wanted: dict[tuple[str, str], set[str]] = {}
        for step in self.steps:
            for e in (step.expect, step.never):
                if e is not None and e.subject == "axi_event":
                    wanted.setdefault((e.omm, e.account), set()).add(e.target)
        return wanted
