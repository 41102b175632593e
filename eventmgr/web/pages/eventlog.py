"""The event log page (eventmgr.web.eventlog): GET /eventlog with its filter and page in the
query string, GET /eventlog/export (the filtered entries as a file)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from eventmgr import conventions as c
from eventmgr.web import em_of, eventlog
from sipdect import web as kit
from sipdect.web import views

NAV_ORDER = 80


def setup(site: kit.WebSite) -> None:
    site.nav("Event log", "/eventlog", order=NAV_ORDER)
    site.get("/eventlog", page)
    site.get("/eventlog/export", export)


async def page(request: web.Request) -> web.StreamResponse:
    entries = em_of(request).entries(limit=c.LOG_KEEP)
    flt = eventlog.LogFilter.from_query(request.query)
    rows = eventlog.select(entries, flt)
    pager = kit.Pager.from_query(request.query, total=len(rows))
    query = flt.query()
    return kit.render(request, "em_eventlog.html", {
        "title": "Event log", "rows": rows[pager.start:pager.start + pager.count],
        "pager": pager, "args": request.query, "shown": len(rows), "total": len(entries),
        "flt": flt, "kinds": eventlog.kinds(entries),
        "export_url": "/eventlog/export" + (f"?{urlencode(query)}" if query else "")})


async def export(request: web.Request) -> web.StreamResponse:
    flt = eventlog.LogFilter.from_query(request.query)
    rows = eventlog.select(em_of(request).entries(limit=c.LOG_KEEP), flt)
    return views.download(eventlog.export(rows),
                          f"eventlog-{kit.site_of(request).backend.host_name()}")
