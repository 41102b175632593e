"""Every example scenario of configs/scenarios/ passes (issue 13 part 2), and deliberately
broken variants fail saying what was expected, what was seen and the last events before it;
`sipdect scenario run` exits non-zero on a failure and writes JUnit that the Ant/Jenkins
schema (tests/data/junit.xsd) accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sipdect.app.scenario import run
from sipdect.app.scenario.results import ERROR, FAILED, PASSED, ScenarioResult

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "configs" / "scenarios"
XSD = ROOT / "tests" / "data" / "junit.xsd"


def _run(path: Path) -> ScenarioResult:
    lines: list[str] = []
    [result] = run.run_files([path], out=lines.append)
    return result


def variant(name: str, tmp_path: Path, *changes: tuple[str, str]) -> Path:
    """The example `name` with each (old, new) text replaced, its system path made absolute."""
    text = (EXAMPLES / f"{name}.toml").read_text("utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    text = text.replace('system = "../', f'system = "{ROOT / "configs"}/')
    path = tmp_path / f"{name}-broken.toml"
    path.write_text(text, "utf-8")
    return path


def test_every_example_is_run_by_this_file() -> None:
    assert {p.stem for p in EXAMPLES.glob("*.toml")} == {
        "subscription", "calls", "handover", "rfp-failure", "failover", "roaming",
        "registration-1h"}


@pytest.mark.parametrize("name", ["subscription", "calls", "handover", "rfp-failure",
                                  "failover", "roaming"])
def test_the_example_passes(name: str) -> None:
    result = _run(EXAMPLES / f"{name}.toml")
    assert result.passed, result.scenario.detail
    assert all(c.outcome == PASSED for c in result.groups)


def test_an_hour_of_registration_passes_at_speed_60() -> None:
    result = _run(EXAMPLES / "registration-1h.toml")
    assert result.passed, result.scenario.detail
    assert result.speed == 60


def test_a_handover_to_the_wrong_rfp_fails_saying_where_the_handset_is(tmp_path: Path) -> None:
    path = variant("handover", tmp_path, ('rfp = "RFP Office"', 'rfp = "RFP Lobby"'))
    result = _run(path)
    assert result.scenario.outcome == FAILED
    failed = {c.name: c for c in result.groups}["handover"]
    assert failed.outcome == FAILED
    assert failed.message == (
        f"{path}: step 10: expected handset 'Alice' with rfp = 'RFP Lobby', call_state = "
        "'connected' within 10s; seen: rfp: expected 'RFP Lobby', seen 'RFP Office'")
    assert "  last events:\n" in failed.detail
    assert "attached at RFP Office" in failed.detail  # the handover, just before
    assert {c.name: c.outcome for c in result.groups}["hang up"] == "skipped"


def test_a_call_to_a_wrong_number_fails_saying_the_callee_stayed_idle(tmp_path: Path) -> None:
    path = variant("calls", tmp_path, ('call = "202"', 'call = "299"'),
                   ('within = "10s"\n\n[[step]]\nexpect = { handset = "Alice", call_state = '
                    '"ringback" }', 'within = "3s"\n\n[[step]]\nexpect = { handset = "Alice", '
                    'call_state = "ringback" }'))
    result = _run(path)
    failed = {c.name: c for c in result.groups}["ringing"]
    assert failed.message.startswith(
        f"{path}: step 5: expected handset 'Bob' with call_state = 'incoming', display = "
        "'~Call from 201' within 3s; seen: call_state: expected 'incoming', seen 'idle'")
    # The last events say why: Alice's handset shows what the call server answered.
    assert "display handset 03074 0220259 3: Unknown number" in failed.detail


def test_an_rfp_failure_that_never_happens_fails_a_never_window(tmp_path: Path) -> None:
    path = variant("rfp-failure", tmp_path, (
        'expect = { rfp = "RFP Office", powered = false, linked = false }\nwithin = "10s"',
        'never = { rfp = "RFP Office", linked = false }\nfor = "2s"'))
    result = _run(path)
    failed = {c.name: c for c in result.groups}["power off"]
    assert failed.outcome == FAILED
    assert f"{path}: step 4: rfp 'RFP Office' with linked = False happened at" in failed.message
    assert "within the 2s it must not; seen: {'linked': False}" in failed.message


def test_the_command_exits_non_zero_and_its_junit_validates(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "typo.toml"
    bad.write_text('[scenario]\nname = "typo"\n[[step]]\nhandset = "Alice"\ndial = "202"\n')
    broken = variant("subscription", tmp_path, ("answer = { subscribedDevs = 1 }",
                                                "answer = { subscribedDevs = 2 }"),
                     ('within = "5s"', 'within = "1s"'))
    report = tmp_path / "report.xml"
    status = run.main(["run", str(EXAMPLES / "calls.toml"), str(bad), str(broken),
                       "--junit", str(report)])
    out = capsys.readouterr().out
    assert status == 1
    assert f"ERROR {bad}: step 1: dial: unknown key: a handset does one of add" in out
    assert "PASSED calls in" in out and "FAILED subscription in" in out
    assert "3 scenarios: 1 error, 1 failed, 1 passed" in out
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.parse(str(report))
    assert schema.validate(doc), schema.error_log
    suites = doc.getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["calls", "typo", "subscription"]
    assert [s.get("tests") for s in suites] == ["5", "1", "3"]
    failure = suites[2].find("testcase[@name='right code']/failure")
    assert failure is not None
    assert "expected an answer with subscribedDevs = 2" in (failure.get("message") or "")
    assert "seen: GetPPDevSummaryResp" in (failure.text or "")
    log = tmp_path / "report-subscription.log"
    assert f"attachment: {log}" in (suites[2].findtext("system-out") or "")
    assert "step 8: the OMM knows the device as subscribed" in log.read_text()
    error = suites[1].find("testcase/error")
    assert error is not None and "dial: unknown key" in (error.get("message") or "")


def test_a_scenario_whose_system_does_not_parse_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "bad-system.toml"
    path.write_text('[scenario]\nname = "bad"\n[system]\nname = "x"\n[[system.omm]]\n'
                    'nme = "OMM"\n[[step]]\nwait = "1s"\n')
    result = _run(path)
    assert result.scenario.outcome == ERROR
    assert result.scenario.message.startswith(f"{path}: the system: {path}: [system]")
    assert "nme" in result.scenario.message


def test_a_voice_scenario_is_refused_at_another_speed() -> None:
    lines: list[str] = []
    [result] = run.run_files([EXAMPLES / "calls.toml"], speed=60, out=lines.append)
    assert result.scenario.outcome == ERROR
    assert result.scenario.message == (
        f"{EXAMPLES / 'calls.toml'}: [scenario] voice: it listens to voice, which runs at "
        "speed 1 only, not 60: run it without --speed")


def test_a_captured_run_attaches_its_pcapng_to_the_junit_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.xml"
    status = run.main(["run", str(EXAMPLES / "rfp-failure.toml"), "--capture",
                       str(tmp_path / "captures"), "--junit", str(report)])
    assert status == 0, capsys.readouterr().out
    out = etree.parse(str(report)).getroot().findtext("testsuite/system-out") or ""
    captured = [line.split(": ", 1)[1] for line in out.splitlines()
                if line.startswith("attachment: ") and line.endswith(".pcapng")]
    assert len(captured) == 1, out
    assert Path(captured[0]).parent == tmp_path / "captures"
    assert Path(captured[0]).stat().st_size > 0
