"""The OMM web UI's event log page (issue 14 item 2; features.md §2.9): the entries AXI's
GetEventLogBuffer reads, filtered by severity, subsystem and text, exported as a file, and
cleared with DeleteEventLogBuffer (full access only, as over AXI)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from omm.web.axi import WebAxi
from sipdect.axi import conventions
from sipdect.ops.eventlog import LEVELS
from sipdect.web import views

EXPORT_FORMAT = views.EXPORT_FORMAT
EXPORT_COLUMNS = ("time", "level", "subsystem", "count", "message")


@dataclass(frozen=True)
class LogRow:
    """One entry as AXI reports it (EventLogBufferEntryType)."""

    id: int
    time: str
    level: str
    subsystem: str
    count: int
    msg: str


@dataclass(frozen=True)
class LogFilter:
    """What the page's filter form asks for; empty: everything."""

    level: str = ""
    """One of LEVELS: entries of exactly this severity."""
    subsystem: str = ""
    """Entries of this subsystem (AXI `name`), e.g. AXI, SIP, RFP, WEB."""
    text: str = ""
    """Entries whose text contains this, ignoring case."""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> LogFilter:
        """From the page's query string; an unknown severity is no filter."""
        level = query.get("level", "")
        return cls(level if level in LEVELS else "", query.get("subsystem", "").strip(),
                   query.get("text", "").strip())

    def query(self) -> dict[str, str]:
        """The query string that asks for this filter (the export link keeps it)."""
        return {k: v for k, v in (("level", self.level), ("subsystem", self.subsystem),
                                  ("text", self.text)) if v}

    def matches(self, row: LogRow) -> bool:
        return ((not self.level or row.level == self.level)
                and (not self.subsystem or row.subsystem == self.subsystem)
                and (not self.text or self.text.casefold() in row.msg.casefold()))


async def read(web: WebAxi) -> list[LogRow]:
    """Every entry, oldest first, in GetEventLogBuffer's pages."""
    out: list[LogRow] = []
    start = 0
    while True:
        answer = await web.request("GetEventLogBuffer",
                                   {"id": start, "maxRecords": conventions.MAX_RECORDS})
        for e in answer.children_named("e"):
            a = e.attrs
            out.append(LogRow(int(a["id"]), a.get("time", ""), a.get("level", ""),
                              a.get("name", ""), int(a.get("count", "1") or 1),
                              a.get("msg", "")))
        if answer.attrs.get("eof") != "false" or not answer.children:
            return out
        start = out[-1].id + 1


def select(rows: Iterable[LogRow], flt: LogFilter) -> list[LogRow]:
    return [r for r in rows if flt.matches(r)]


def subsystems(rows: Iterable[LogRow]) -> list[str]:
    """The subsystems present, for the filter's choices."""
    return sorted({r.subsystem for r in rows if r.subsystem})


def export(rows: Iterable[LogRow]) -> str:
    """The export file's text (sipdect.web.views.EXPORT_FORMAT)."""
    return views.tsv(EXPORT_COLUMNS, ((r.time, r.level, r.subsystem, r.count, r.msg)
                                      for r in rows))


async def clear(web: WebAxi) -> None:
    await web.request("DeleteEventLogBuffer")
