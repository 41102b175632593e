"""Small pieces every component's pages share (docs/web.md): an uptime in words, a table
exported as tab-separated text, and a file answer for a download."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aiohttp import web

EXPORT_FORMAT = "text/tab-separated-values"
"""What an event log export is. Decided (the products' export formats are not public): one line
per entry, tab-separated, under a header line, newest last, so a spreadsheet or grep reads it."""


def uptime_text(seconds: float) -> str:
    """`3 d 04:05:06` style."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} d {clock}" if days else clock


def _cell(text: str) -> str:
    """A field of an export: tabs and line breaks would split it."""
    return " ".join(text.replace("\t", " ").splitlines())


def tsv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The text of an export (EXPORT_FORMAT): the header, then one line per row."""
    lines = ["\t".join(columns)]
    lines += ["\t".join(_cell(str(v)) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def download(text: str, stem: str, suffix: str = "tsv",
             content_type: str = EXPORT_FORMAT) -> web.Response:
    """`text` as a file to save, named `<stem>.<suffix>` (stem cut to letters, digits, - _)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem) or "export"
    return web.Response(text=text, content_type=content_type, charset="utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="{safe}.{suffix}"'})
