"""The Event Manager's status page, the landing page after login: its OMM link, ESPA inputs
and the control equipment connected, trap targets (never their community), counts of open and
escalated alarms, uptime."""

from __future__ import annotations

from aiohttp import web

from eventmgr.web import em_of
from sipdect import web as kit
from sipdect.web import views

OMM_STATE_SEVERITY = {"connected": "OK", "connecting": "Warning", "disconnected": "Error"}
"""How the OMM link's state is coloured (the kit's .sev-* classes)."""


def setup(site: kit.WebSite) -> None:
    site.nav("Status", "/", order=0)
    site.get("/", status_page)


async def status_page(request: web.Request) -> web.StreamResponse:
    view = em_of(request).status()
    counts = [("Open alarms", view.open_alarms, "count-open"),
              ("Escalated", view.escalated, "count-escalated"),
              ("Messages waiting for the OMM", view.outbox, "count-outbox"),
              ("ESPA statuses waiting for a poll", view.statuses_waiting, "count-statuses"),
              ("Rules", view.rules, "count-rules")]
    return kit.render(request, "em_status.html", {
        "title": "Status", "view": view, "counts": counts,
        "omm_severity": OMM_STATE_SEVERITY.get(view.omm_state, "Idle"),
        "uptime": views.uptime_text(view.uptime_s)})
