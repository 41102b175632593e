"""The OMM's status page, the landing page after login: the health model (every component's
severity and reason, as GetHealthState has them: omm.health), who the OMM is, its uptime and
counts, and its standby pair when it has one."""

from __future__ import annotations

from aiohttp import web

from omm.standby.conventions import StbState
from omm.web import omm_of
from sipdect import web as kit
from sipdect.web import views


def setup(site: kit.WebSite) -> None:
    site.nav("Status", "/", order=0)
    site.get("/", status_page)


async def status_page(request: web.Request) -> web.StreamResponse:
    omm = omm_of(request)
    model = omm.model
    health = [{"component": name, "severity": state.severity, "reason_code": state.reason_code,
               "reason": state.reason} for name, state in model.health.components().items()]
    view = model.standby.view
    standby = None if view.state == StbState.NONE else {
        "state": str(view.state), "peer": view.peer_addr or "", "reason": view.reason}
    counts = [
        ("RFPs connected", f"{model.rfps.summary()['nConnected']} of {len(model.rfps)} "
         "configured",
         "count-rfps"),
        ("Devices subscribed", f"{model.devices.subscribed_count()} of {len(model.devices)}",
         "count-devices"),
        ("Users", str(len(model.users)), "count-users"),
        ("SIP registrations", str(omm.sip_registered()), "count-sip"),
    ]
    facts = [
        ("OMM name", kit.site_of(request).backend.host_name(), "fact-name"),
        ("Host", omm.name, "fact-host"),
        ("Address", omm.address, "fact-address"),
        ("Software version", omm.version, "fact-version"),
        ("Uptime", views.uptime_text(model.clock() - model.started), "fact-uptime"),
        ("PARK", str(model.settings.value("PARK", "park", "") or "-"), "fact-park"),
    ]
    return kit.render(request, "status.html", {
        "title": "Status", "health": health, "standby": standby, "counts": counts,
        "facts": facts})
