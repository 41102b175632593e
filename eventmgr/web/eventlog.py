"""The event log page's view, apart from HTTP: the Event Manager's log lines (inputs,
incidents, sends, progress, confirmations, escalations, statuses, traps, ESPA links, OMM
logins, web logins, rule changes) filtered by kind and text, newest first, and exported."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eventmgr import conventions as c
from sipdect.web import views

EXPORT_COLUMNS = ("seq", "time", "kind", "subject", "text")


@dataclass(frozen=True)
class LogFilter:
    """What the filter form asks for; empty: everything."""

    kind: str = ""
    text: str = ""
    """Entries whose subject or text contains this, ignoring case."""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> LogFilter:
        return cls(query.get("kind", "").strip(), query.get("text", "").strip())

    def query(self) -> dict[str, str]:
        return {k: v for k, v in (("kind", self.kind), ("text", self.text)) if v}

    def matches(self, entry: Mapping[str, Any]) -> bool:
        folded = self.text.casefold()
        return ((not self.kind or entry["kind"] == self.kind)
                and (not folded or folded in str(entry["subject"]).casefold()
                     or folded in str(entry["text"]).casefold()))


def utc(at: float) -> str:
    """A log time as the page shows it (UTC, seconds)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))


def select(entries: Iterable[Mapping[str, Any]], flt: LogFilter) -> list[dict[str, Any]]:
    """The matching entries, newest first, each with its `when` in words."""
    out = [{**e, "when": utc(float(e["time"]))} for e in entries if flt.matches(e)]
    out.reverse()
    return out


def kinds(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted({str(e["kind"]) for e in entries} | {c.WEB_LOG_KIND})


def export(rows: Iterable[Mapping[str, Any]]) -> str:
    """The export file's text (sipdect.web.views.EXPORT_FORMAT), oldest first."""
    ordered = sorted(rows, key=lambda r: int(r["seq"]))
    return views.tsv(EXPORT_COLUMNS, ((r["seq"], utc(float(r["time"])), r["kind"],
                                       r["subject"], r["text"]) for r in ordered))
