"""Scenario files to the model (sipdect.app.scenario.parse): what each key becomes, and that
every mistake names the file, the step and the key, without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect.app.scenario.model import DEFAULT_WITHIN_S, format_duration, parse_duration
from sipdect.app.scenario.parse import ScenarioError, parse_scenario, scenario_files

FILE = Path("/tmp/scenarios/demo.toml")


def parse(text: str) -> object:
    return parse_scenario(text, FILE)


GOOD = """
[scenario]
name = "handover"
description = "A calls B; A walks; the call survives"
system = "../default.toml"
voice = true

[[step]]
expect = { handset = "Alice", attached = true }
within = "30s"

[[step]]
group = "call"
handset = "Alice"
call = "202"

[[step]]
expect = { handset = "Bob", call_state = "incoming", display = "~Call from" }

[[step]]
handset = "Bob"
answer = true

[[step]]
group = "handover"
handset = "Alice"
walk = [[15, 0], [30, 0]]
speed = 5

[[step]]
never = { handset = "Alice", call_state = "idle" }
for = "2s"

[[step]]
at = "1min"
axi = "GetPPState"
attrs = { ppn = 1 }
account = "monitor"
answer = { callState = "connected" }
within = "5s"

[[step]]
cut = ["OMM-A", "OMM-B"]

[[step]]
wait = "250ms"
"""


def test_a_scenario_reads_as_steps_with_actions_expectations_and_groups() -> None:
    sc = parse(GOOD)
    assert sc.name == "handover" and sc.voice and sc.speed == 1.0  # type: ignore[attr-defined]
    assert sc.system_path == Path("/tmp/default.toml")  # type: ignore[attr-defined]
    steps = sc.steps  # type: ignore[attr-defined]
    assert [s.group for s in steps] == ["", "call", "call", "call", "handover", "handover",
                                        "handover", "handover", "handover"]
    assert sc.groups() == ["call", "handover"]  # type: ignore[attr-defined]
    first = steps[0]
    assert first.action is None and first.within == 30.0
    assert (first.expect.subject, first.expect.target, first.expect.attrs) == (
        "handset", "Alice", {"attached": True})
    call = steps[1].action
    assert (call.subject, call.target, call.verb, call.args) == (
        "handset", "Alice", "call", {"number": "202"})
    assert steps[2].deadline == DEFAULT_WITHIN_S and steps[2].within is None
    assert steps[3].action.verb == "answer"
    walk = steps[4].action
    assert walk.args == {"path": [(15.0, 0.0), (30.0, 0.0)], "speed": 5.0, "wait": True}
    assert steps[5].never.attrs == {"call_state": "idle"} and steps[5].window == 2.0
    axi = steps[6]
    assert axi.at == 60.0 and axi.action.args == {
        "request": "GetPPState", "attrs": {"ppn": "1"}, "account": "monitor",
        "answer": {"callState": "connected"}}
    assert steps[7].action.args == {"a": "OMM-A", "b": "OMM-B"}
    assert steps[8].action.args == {"seconds": 0.25}


def test_an_inline_system_becomes_a_config_files_top_level() -> None:
    sc = parse("""
[scenario]
name = "inline"
[system]
name = "tiny"
addresses = "127.44.0.0/16"
[[system.omm]]
name = "OMM"
[[system.rfp]]
mac = "00:30:42:1b:17:37"
[[step]]
wait = "1s"
""")
    assert sc.system_inline == {  # type: ignore[attr-defined]
        "system": {"name": "tiny", "addresses": "127.44.0.0/16"},
        "omm": [{"name": "OMM"}], "rfp": [{"mac": "00:30:42:1b:17:37"}]}


def test_axi_events_the_scenario_waits_for_are_known_before_it_runs() -> None:
    sc = parse("""
[scenario]
name = "events"
[[step]]
expect = { axi_event = "PPState", callState = "connected" }
[[step]]
never = { axi_event = "RFPState", omm = "OMM-B", account = "monitor" }
for = "1s"
""")
    assert sc.axi_event_types() == {("", ""): {"PPState"},  # type: ignore[attr-defined]
                                    ("OMM-B", "monitor"): {"RFPState"}}


@pytest.mark.parametrize(("text", "said"), [
    ("[scenario]\nname = 'x'\n[[step]]\nhandset = 'Alice'\ndial = '202'\n",
     "step 1: dial: unknown key"),
    ("[scenario]\nname = 'x'\n[[step]]\nhandset = 'Alice'\n",
     "step 1: handset: say what the handset does: one of add, subscribe"),
    ("[scenario]\nname = 'x'\n[[step]]\nwait = '5 seconds'\n",
     "step 1: wait: '5 seconds' is no duration: write e.g. \"250ms\""),
    ("[scenario]\nname = 'x'\n[[step]]\nwait = '1s'\n[[step]]\nexpect = { handset = 'A' }\n",
     "step 2: expect: say what the handset must show"),
    ("[scenario]\nname = 'x'\n[[step]]\nnever = { rfp = 'R', linked = false }\n",
     "step 1: never: say how long it must not happen: for = \"10s\""),
    ("[scenario]\nname = 'x'\n[[step]]\nhandset = 'Alice'\nalarm = true\n",
     "step 1: alarm: True: give the alarm, one of sos, man-down, no-movement"),
    ("[scenario]\nname = 'x'\n[[step]]\nhandset = 'A'\ncall = '1'\nrfp = 'R'\npower = true\n",
     "step 1: handset, rfp: one action per step"),
    ("[scenario]\nname = 'x'\n[[step]]\nrfp = 'R'\npower = 'off'\n",
     "step 1: power: 'off': write power = true (on) or false (off)"),
    ("[scenario]\nname = 'x'\n[[step]]\nhandset = 'A'\nwalk = [1]\n",
     "step 1: walk: [1]: give a point as [x, y] in metres"),
    ("[scenario]\nname = 'x'\n[[step]]\nat = '5s'\nwait = '1s'\n[[step]]\nat = '2s'\n"
     "wait = '1s'\n", "step 2: at: '2s' is before an earlier step's `at`"),
    ("[scenario]\nname = 'x'\nspeed = 0\n[[step]]\nwait = '1s'\n",
     "[scenario] speed: 0: give a number above 0"),
    ("[scenario]\nname = 'x'\nspeed = 60\nvoice = true\n[[step]]\nwait = '1s'\n",
     "[scenario] voice: a scenario that listens to voice runs at speed 1 only"),
    ("[scenario]\nname = 'x'\n", "[[step]]: the scenario has no step"),
    ("[scenario]\nname = 'x'\nsytem = 'a.toml'\n[[step]]\nwait = '1s'\n",
     "[scenario] sytem: unknown key"),
    ("[scenario\nname = 'x'\n", "not valid TOML"),
    ("[[step]]\nwait = '1s'\n", "[scenario]: missing"),
    ("[scenario]\nname = 'x'\n[[step]]\nexpect = { call_state = 'idle', handset = 'A' }\n",
     "step 1: expect: begin the table with what to look at: one of handset, rfp"),
    ("[scenario]\nname = 'x'\n[[step]]\nwithin = '2s'\nwait = '1s'\n",
     "step 1: within: `within` is the deadline of this step's `expect`"),
    ("[scenario]\nname = 'x'\n[[step]]\naxi = 'Get PPState'\n",
     "step 1: axi: 'Get PPState' is no AXI request name"),
    ("[scenario]\nname = 'x'\n[[step]]\ncut = 'OMM-A'\n",
     "step 1: cut: 'OMM-A': name the two hosts"),
    ("[scenario]\nname = 'x'\n[[step]]\nname = 'nothing'\n", "step 1: the step does nothing"),
    ("[scenario]\nname = 'x'\n[[step]]\nexpect = { handset = 'A', hears = { hz = 1 } }\n",
     "step 1: expect.hears: {'hz': 1}: give a tone in Hz (0 to 8000) or the handset"),
    ("[scenario]\nname = 'x'\n[[step]]\nhandset = 'A'\nwalk = [1, 2]\nbackground = 1\n",
     "step 1: background: 1: true (the walk goes on"),
])
def test_a_bad_scenario_is_named_by_file_step_and_key(text: str, said: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse(text)
    message = str(caught.value)
    assert message.startswith(f"{FILE}: ")
    assert said in message, message


def test_a_folder_stands_for_its_toml_files(tmp_path: Path) -> None:
    (tmp_path / "b.toml").write_text("")
    (tmp_path / "a.toml").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert scenario_files([tmp_path]) == [tmp_path / "a.toml", tmp_path / "b.toml"]
    with pytest.raises(ScenarioError, match="no such file or folder"):
        scenario_files([tmp_path / "missing.toml"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScenarioError, match="has no \\*.toml"):
        scenario_files([tmp_path / "empty"])


@pytest.mark.parametrize(("text", "seconds"), [
    ("250ms", 0.25), ("5s", 5.0), ("1.5s", 1.5), ("2min", 120.0), ("1h", 3600.0)])
def test_durations_read_as_the_docs_write_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@given(st.integers(min_value=0, max_value=10**7))
def test_a_duration_shown_reads_back_as_the_same_seconds(ms: int) -> None:
    seconds = ms / 1000
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds)


@given(st.text(max_size=200))
def test_any_text_is_a_scenario_or_a_scenario_error(text: str) -> None:
    try:
        parse(text)
    except ScenarioError as exc:
        assert str(exc).startswith(str(FILE))


@given(st.dictionaries(st.sampled_from(["handset", "call", "answer", "walk", "speed", "expect",
                                        "within", "never", "for", "at", "group", "rfp",
                                        "power", "axi", "attrs", "wait", "cut", "host", "kill"]),
                       st.one_of(st.booleans(), st.integers(), st.text(max_size=8),
                                 st.lists(st.integers(), max_size=3),
                                 st.dictionaries(st.text(max_size=5), st.integers(),
                                                 max_size=2)),
                       max_size=5))
def test_any_step_table_is_a_step_or_a_scenario_error(step: dict[str, object]) -> None:
    import tomllib  # noqa: F401  (the step is built as data, not text)

    from sipdect.app.scenario import parse as module

    try:
        module._step(step, 1, "", module._Where(FILE, 1))
    except ScenarioError as exc:
        assert str(exc).startswith(f"{FILE}: step 1")
