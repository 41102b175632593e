"""The event log page (omm.web.eventlog): GET /eventlog with its filter in the query string,
GET /eventlog/export (the filtered entries as a file), POST /eventlog/clear."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from omm.web import eventlog
from omm.web.axi import plain, refused, web_axi
from sipdect import web as kit
from sipdect.axi.errors import AxiError
from sipdect.ops.eventlog import LEVELS
from sipdect.web import views

NAV_ORDER = 90


def setup(site: kit.WebSite) -> None:
    site.nav("Event log", "/eventlog", order=NAV_ORDER)
    site.get("/eventlog", page)
    site.get("/eventlog/export", export)
    site.post("/eventlog/clear", clear, write=True)


async def _rows(request: web.Request) -> list[eventlog.LogRow]:
    try:
        return await eventlog.read(web_axi(request))
    except AxiError as err:
        raise refused(err) from None


async def page(request: web.Request) -> web.StreamResponse:
    rows = await _rows(request)
    flt = eventlog.LogFilter.from_query(request.query)
    query = flt.query()
    return kit.render(request, "ommsys_eventlog.html", {
        "title": "Event log", "rows": eventlog.select(rows, flt), "total": len(rows),
        "flt": flt, "levels": LEVELS, "subsystems": eventlog.subsystems(rows),
        "export_url": "/eventlog/export" + (f"?{urlencode(query)}" if query else "")})


async def export(request: web.Request) -> web.StreamResponse:
    flt = eventlog.LogFilter.from_query(request.query)
    text = eventlog.export(eventlog.select(await _rows(request), flt))
    return views.download(text, f"eventlog-{kit.site_of(request).backend.host_name()}")


async def clear(request: web.Request) -> web.StreamResponse:
    try:
        await eventlog.clear(web_axi(request))
    except AxiError as err:
        kit.flash(request, f"Not cleared. {plain(err)}", "error")
    else:
        kit.flash(request, "Event log cleared.")
    raise kit.redirect("/eventlog")
