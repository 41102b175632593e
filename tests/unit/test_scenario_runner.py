"""The scenario runner on a stand-in site (no sockets): steps in order, groups as JUnit
testcases, what a failed expectation reports, never windows, and the JUnit XML validated
against the Ant/Jenkins schema shipped in tests/data/junit.xsd."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from sipdect.app.config import load_config
from sipdect.app.scenario import junit
from sipdect.app.scenario.parse import parse_scenario
from sipdect.app.scenario.results import ERROR, FAILED, PASSED, SKIPPED, ScenarioResult
from sipdect.app.scenario.runner import Runner

XSD = Path(__file__).resolve().parents[1] / "data" / "junit.xsd"


class FakeHandset:
    def __init__(self, site: FakeSite, name: str, number: str) -> None:
        self.site, self.name, self.number = site, name, number
        self.call_state = "idle"
        self.display: list[str] = []
        self.x = 0.0
        self.id = len(site.handsets) + 1
        self.tone_hz = 400.0 + 100 * self.id

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "call_state": self.call_state, "display": self.display,
                "location": "registered", "rfp": 1 if self.x < 15 else 2,
                "rfp_host": "RFP Lobby" if self.x < 15 else "RFP Office", "x": self.x}

    async def call(self, number: str) -> None:
        other = next(h for h in self.site.handsets.values() if h.number == number)
        self.call_state, other.call_state = "ringback", "incoming"
        other.display = [f"Call from {self.number}"]
        self.site.emit("call", self.name, f"calls {number}")

    async def answer(self) -> None:
        for h in self.site.handsets.values():
            if h.call_state in ("ringback", "incoming"):
                h.call_state = "connected"
        self.site.emit("call", self.name, "answered")

    async def hang_up(self) -> None:
        for h in self.site.handsets.values():
            h.call_state = "idle"

    async def walk(self, x: float, y: float, speed: float = 1.4) -> None:
        self.x = x
        self.site.emit("handset", self.name, f"at {x:g}")

    async def hears(self, hz: float) -> bool:
        return self.call_state == "connected"


class FakeRfp:
    def __init__(self) -> None:
        self.powered = True

    def state(self) -> dict[str, Any]:
        return {"powered": self.powered, "linked": self.powered}

    async def power(self, on: bool) -> None:
        self.powered = on


class FakeSite:
    def __init__(self) -> None:
        self.handsets: dict[str, FakeHandset] = {}
        for name, number in (("Alice", "201"), ("Bob", "202")):
            self.handsets[name] = FakeHandset(self, name, number)
        self.rfps = {"RFP Lobby": FakeRfp()}
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.seq = 0

    def emit(self, kind: str, subject: str, text: str) -> None:
        self.seq += 1
        self.queue.put_nowait({"seq": self.seq, "time": asyncio.get_running_loop().time(),
                               "kind": kind, "subject": subject, "text": text})

    def handset(self, ref: str) -> FakeHandset:
        if ref not in self.handsets:
            raise KeyError(f"no handset {ref!r}")
        return self.handsets[ref]

    def rfp(self, ref: str) -> FakeRfp:
        return self.rfps[ref]

    def events(self) -> Stream:
        return Stream(self.queue)


class Stream:
    def __init__(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.queue = queue

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._gen()

    async def _gen(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self.queue.get()

    async def aclose(self) -> None:
        pass


SCENARIO = """
[scenario]
name = "handover"

[[step]]
group = "call"
handset = "Alice"
call = "202"

[[step]]
expect = { handset = "Bob", call_state = "incoming", display = "~Call from 201" }
within = "1s"

[[step]]
handset = "Bob"
answer = true

[[step]]
expect = { handset = "Bob", hears = "Alice", call_state = "connected" }
within = "1s"

[[step]]
group = "handover"
handset = "Alice"
walk = [30, 0]

[[step]]
expect = { handset = "Alice", rfp = "RFP Office", call_state = "connected" }
within = "1s"

[[step]]
never = { handset = "Alice", call_state = "idle" }
for = "200ms"

[[step]]
group = "end"
handset = "Alice"
hangup = true

[[step]]
expect = { handset = "Bob", call_state = "idle" }
within = "1s"
"""


async def run(text: str, out: list[str] | None = None) -> ScenarioResult:
    scenario = parse_scenario(text, Path("/tmp/handover.toml"))
    lines = out if out is not None else []
    return await Runner(scenario, FakeSite(), load_config(), lines.append).run()


def validate(result: list[ScenarioResult]) -> etree._Element:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.fromstring(junit.render(result))
    assert schema.validate(doc), schema.error_log
    return doc


async def test_a_scenario_that_holds_passes_with_a_testcase_per_group() -> None:
    lines: list[str] = []
    result = await run(SCENARIO, lines)
    assert result.passed, result.scenario.detail
    assert [(c.name, c.outcome, c.steps) for c in result.cases()] == [
        ("handover", PASSED, 9), ("call", PASSED, 4), ("handover", PASSED, 3),
        ("end", PASSED, 2)]
    assert lines[0].startswith("  [0ms] step 1: handset Alice call (number='202')")
    doc = validate([result])
    suite = doc.find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "0"
    assert [c.get("name") for c in suite.iter("testcase")] == ["handover", "call", "handover",
                                                               "end"]


async def test_a_failed_expectation_says_what_was_expected_seen_and_the_last_events() -> None:
    broken = SCENARIO.replace('rfp = "RFP Office"', 'rfp = "RFP Store"')
    result = await run(broken)
    assert not result.passed
    outcomes = [(c.name, c.outcome) for c in result.cases()]
    assert outcomes == [("handover", FAILED), ("call", PASSED), ("handover", FAILED),
                        ("end", SKIPPED)]
    failure = result.groups[1]
    assert failure.message == (
        "/tmp/handover.toml: step 6: expected handset 'Alice' with rfp = 'RFP Store', "
        "call_state = 'connected' within 1s; seen: rfp: expected 'RFP Store', seen "
        "'RFP Office'")
    assert "last events:" in failure.detail
    assert "handset Alice: at 30" in failure.detail and "call Bob: answered" in failure.detail
    assert result.groups[2].message.startswith("not run: /tmp/handover.toml: step 6")
    doc = validate([result])
    fail = doc.find("testsuite/testcase/failure")
    assert fail is not None and "RFP Store" in (fail.get("message") or "")
    assert doc.find("testsuite/testcase/skipped") is not None


async def test_a_never_window_fails_when_it_happens() -> None:
    broken = SCENARIO.replace('never = { handset = "Alice", call_state = "idle" }',
                              'never = { handset = "Alice", call_state = "connected" }')
    result = await run(broken)
    message = result.groups[1].message
    assert "step 7: handset 'Alice' with call_state = 'connected' happened at" in message
    assert "within the 200ms it must not" in message


async def test_an_action_the_site_refuses_is_an_error_naming_the_step() -> None:
    result = await run(SCENARIO.replace('handset = "Bob"\nanswer', 'handset = "Carol"\nanswer'))
    assert result.groups[0].outcome == ERROR
    assert result.groups[0].message == (
        "/tmp/handover.toml: step 3: handset Carol answer: no handset 'Carol'")
    validate([result])


async def test_a_step_at_a_time_waits_for_it() -> None:
    result = await run("""
[scenario]
name = "timed"
[[step]]
at = "300ms"
rfp = "RFP Lobby"
power = false
[[step]]
expect = { rfp = "RFP Lobby", powered = false, linked = false }
within = "0ms"
""")
    assert result.passed
    assert result.scenario.seconds >= 0.0


def test_junit_of_several_files_and_an_unreadable_one_validates() -> None:
    from sipdect.app.scenario.results import CaseResult

    bad = ScenarioResult(Path("x.toml"), "x", CaseResult("x", ERROR, message="x.toml: bad",
                                                         detail="x.toml: bad"))
    good = ScenarioResult(Path("y.toml"), "y", CaseResult("y", PASSED, seconds=1.5),
                          attachments=["/tmp/y.log"], output=["  [0s] step 1: wait"])
    doc = validate([bad, good])
    suites = doc.findall("testsuite")
    assert [s.get("name") for s in suites] == ["x", "y"]
    assert doc.get("errors") == "1" and doc.get("tests") == "2"
    out = suites[1].find("system-out")
    assert out is not None and "attachment: /tmp/y.log" in (out.text or "")


@pytest.mark.parametrize("speed", [1.0, 60.0])
def test_the_suite_records_the_speed(speed: float) -> None:
    from sipdect.app.scenario.results import CaseResult

    result = ScenarioResult(Path("y.toml"), "y", CaseResult("y"), speed=speed)
    doc = validate([result])
    prop = doc.find("testsuite/properties/property[@name='speed']")
    assert prop is not None and float(prop.get("value") or 0) == speed
