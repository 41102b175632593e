"""The audit's outputs: a readable report, JSON, and JUnit XML (one testcase per item)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from sipdect.app.audit.checklist import SECTIONS, Item, Outcome, Status

MARKERS = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.CANNOT_TELL: " ?? "}
"""The report's marker per outcome (`??`: cannot tell)."""


@dataclass
class Result:
    item: Item
    outcome: Outcome

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.item.id, "title": self.item.title,
                "seed_section": self.item.seed_section, "omp": self.item.omp,
                "reads": list(self.item.reads), "status": str(self.outcome.status),
                "why": self.outcome.why}


@dataclass
class Report:
    omm: str
    """HOST:PORT audited."""
    user: str
    omm_version: str
    results: list[Result]
    probe: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def counts(self) -> Counter[Status]:
        return Counter(r.outcome.status for r in self.results)

    def summary(self) -> str:
        c = self.counts()
        return (f"{c[Status.PASS]} pass, {c[Status.FAIL]} fail, {c[Status.CANNOT_TELL]} "
                f"cannot tell, of {len(self.results)} items")

    def exit_status(self) -> int:
        """0: no item fails (cannot-tell is not a failure), 1: any fails."""
        return 1 if self.counts()[Status.FAIL] else 0

    def as_dict(self) -> dict[str, Any]:
        return {"omm": self.omm, "user": self.user, "omm_version": self.omm_version,
                "items": [r.as_dict() for r in self.results], "tls_probe": self.probe,
                "notes": self.notes,
                "summary": {str(s): self.counts()[s] for s in Status}}


def render_text(report: Report) -> str:
    lines = [f"sipdect audit of {report.omm} as {report.user}"
             + (f" ({report.omm_version})" if report.omm_version else ""),
             "Checklist: SIP-DECT Security Guidelines, Appendix B (Secure Installation "
             "Checklist)", ""]
    section = ""
    for r in report.results:
        if r.item.section != section:
            section = r.item.section
            lines.append(f"{section} {SECTIONS[section]}")
        lines.append(f"  [{MARKERS[r.outcome.status]}] {r.item.id} {r.item.title}")
        lines.append(f"         {r.item.omp}")
        lines.append(f"         {r.outcome.why}")
    if report.probe is not None:
        p = report.probe
        lines += ["", f"TLS probe of {p['host']}:{p['port']} (AXI)"]
        versions = ", ".join(f"{v} {_said(ok)}" for v, ok in p["versions"].items())
        lines.append(f"  versions: {versions}")
        for version in p["versions"]:
            names = [s["name"] for s in p["suites"] if s["version"] == version]
            if names:
                lines.append(f"  {version} suites: {', '.join(names)}")
        lines += [f"  note: {n}" for n in p.get("notes", [])]
    lines += [f"note: {n}" for n in report.notes]
    lines += ["", f"Summary: {report.summary()}"]
    return "\n".join(lines) + "\n"


def _said(ok: bool | None) -> str:
    return {True: "accepted", False: "refused", None: "not tested"}[ok]


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"


def render_junit(report: Report) -> bytes:
    """JUnit XML as CI tools read it: one testsuite, a testcase per item; a fail is a
    <failure>, a cannot-tell is <skipped> with its reason."""
    c = report.counts()
    suite = ET.Element("testsuite", {
        "name": f"sipdect audit {report.omm}", "tests": str(len(report.results)),
        "failures": str(c[Status.FAIL]), "errors": "0",
        "skipped": str(c[Status.CANNOT_TELL]), "time": "0"})
    for r in report.results:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"audit.{r.item.seed_section}", "name": f"{r.item.id} {r.item.title}",
            "time": "0"})
        if r.outcome.status is Status.FAIL:
            failure = ET.SubElement(case, "failure", {"message": r.outcome.why,
                                                      "type": "fail"})
            failure.text = f"{r.item.omp}: {r.outcome.why}"
        elif r.outcome.status is Status.CANNOT_TELL:
            ET.SubElement(case, "skipped", {"message": r.outcome.why})
        else:
            out = ET.SubElement(case, "system-out")
            out.text = f"{r.item.omp}: {r.outcome.why}"
    if report.probe is not None:
        props = ET.SubElement(suite, "system-out")
        props.text = json.dumps(report.probe)
    ET.indent(suite)
    data: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    return data
