"""JUnit XML of scenario runs, in the Ant/Jenkins form CI tools read (tests/data/junit.xsd).

Pure: results in, bytes out. One <testsuite> per scenario file; in it one <testcase> for the
scenario and one per step group; <failure> for an unmet expectation, <error> for a run that
could not go on, <skipped> for groups after a failure; the suite's <system-out> lists the
paths of what the run left (captures, logs) and its progress lines.
"""

from __future__ import annotations

import socket
import time
from xml.etree import ElementTree as ET

from sipdect.app.scenario.results import ERROR, FAILED, SKIPPED, CaseResult, ScenarioResult

CLASSNAME_PREFIX = "sipdect.scenario"
"""testcase classname: the prefix and the scenario's name, so CI tools group a scenario's
cases under it."""


def _case(parent: ET.Element, case: CaseResult, classname: str) -> None:
    el = ET.SubElement(parent, "testcase", {"name": case.name, "classname": classname,
                                            "time": f"{case.seconds:.3f}"})
    if case.outcome == FAILED:
        ET.SubElement(el, "failure", {"message": case.message,
                                      "type": "ExpectationNotMet"}).text = case.detail
    elif case.outcome == ERROR:
        ET.SubElement(el, "error", {"message": case.message,
                                    "type": "ScenarioError"}).text = case.detail
    elif case.outcome == SKIPPED:
        ET.SubElement(el, "skipped", {"message": case.message})


def _suite(parent: ET.Element, result: ScenarioResult, index: int, host: str) -> None:
    cases = result.cases()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(result.started or time.time()))
    suite = ET.SubElement(parent, "testsuite", {
        "name": result.name, "id": str(index), "package": CLASSNAME_PREFIX,
        "tests": str(len(cases)),
        "failures": str(sum(c.outcome == FAILED for c in cases)),
        "errors": str(sum(c.outcome == ERROR for c in cases)),
        "skipped": str(sum(c.outcome == SKIPPED for c in cases)),
        "time": f"{result.scenario.seconds:.3f}", "timestamp": stamp, "hostname": host,
        "file": str(result.path)})
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "file", "value": str(result.path)})
    ET.SubElement(props, "property", {"name": "speed", "value": f"{result.speed:g}"})
    classname = f"{CLASSNAME_PREFIX}.{result.name}"
    for case in cases:
        _case(suite, case, classname)
    lines = [f"attachment: {p}" for p in result.attachments] + result.output
    ET.SubElement(suite, "system-out").text = "\n".join(lines)
    ET.SubElement(suite, "system-err").text = ""


def render(results: list[ScenarioResult], name: str = "sipdect scenarios") -> bytes:
    """The JUnit XML document of these runs."""
    host = socket.gethostname() or "localhost"
    cases = [c for r in results for c in r.cases()]
    root = ET.Element("testsuites", {
        "name": name, "tests": str(len(cases)),
        "failures": str(sum(c.outcome == FAILED for c in cases)),
        "errors": str(sum(c.outcome == ERROR for c in cases)),
        "time": f"{sum(r.scenario.seconds for r in results):.3f}"})
    for index, result in enumerate(results):
        _suite(root, result, index, host)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
