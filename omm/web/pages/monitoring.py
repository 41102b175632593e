"""The OMM's user monitoring page (OMP "DECT phones → User monitoring"; features.md §2.9): the
system parameters (GetUserMonitoring), every monitored user with its mode and states as
GetPPUser shows them, a form to set the parameters and one to set a user's mode. Writes are AXI
requests of the logged-in account (omm.web.actions.send)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from omm.umo import conventions as cv
from omm.web import omm_model
from omm.web.actions import field_errors, send
from sipdect import web as kit
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError
from sipdect.axi.records import USER_MONITORING_FIELDS

#: The state columns, the user's overall state first.
COLUMNS = ("CUS", *(f for f in USER_MONITORING_FIELDS if f != "CUS"))
#: Labels of the parameters (the OM System Manual's words) with their units.
LABELS = {"startupDelay": "Start-up delay (min)", "escalationDelay": "Escalation delay (min)",
          "activityTimeout1": "Activity timeout 1, passive (min)",
          "activityTimeout2": "Activity timeout 2, active (min)",
          "locatingEscalation": "Locating escalation",
          "batteryThresholdValue": "Battery threshold (%)"}


def setup(site: kit.WebSite) -> None:
    site.nav("User monitoring", "/monitoring", order=45)
    site.get("/monitoring", monitoring_page)
    site.post("/monitoring", set_parameters, write=True)
    site.post("/monitoring/user", set_mode, write=True)


def _page(request: web.Request, errors: dict[str, str] | None = None, error: str = "",
          status: int = 200) -> web.Response:
    model = omm_model(request)
    params = model.umo.parameters()
    rows: list[dict[str, Any]] = []
    for uid in sorted(model.umo.monitors):
        rec = model.users.table.get(uid)
        if rec is not None:
            rows.append({"uid": uid, "num": rec.get("num", ""), "name": rec.get("name", ""),
                         "mode": rec.get("monitoringMode", cv.OFF),
                         "states": model.umo.states(uid)})
    return kit.render(request, "monitoring.html", {
        "title": "User monitoring", "rows": rows, "columns": COLUMNS, "aspects": cv.ASPECTS,
        "params": [(p, LABELS[p.name], params[p.name]) for p in cv.PARAMETERS],
        "modes": cv.MODES, "running": model.umo.running, "errors": errors or {},
        "error": error}, status=status)


async def monitoring_page(request: web.Request) -> web.StreamResponse:
    return _page(request)


async def set_parameters(request: web.Request) -> web.StreamResponse:
    data = await kit.form(request)
    attrs = {p.name: data.get(p.name, "") for p in cv.PARAMETERS if p.kind == "int"}
    attrs["locatingEscalation"] = "1" if data.get("locatingEscalation") else "0"
    try:
        await send(request, Message(f"Set{cv.SETTING}", attrs))
    except AxiError as exc:
        errors, error = field_errors(exc, set(LABELS))
        return _page(request, errors, error, 400)
    kit.flash(request, "User monitoring parameters saved.")
    raise kit.redirect("/monitoring")


async def set_mode(request: web.Request) -> web.StreamResponse:
    """A user's monitoring mode, the user given by number (SetPPUser monitoringMode)."""
    data = await kit.form(request)
    model = omm_model(request)
    uid = model.users.by_num.get(data.get("num", ""))
    if uid is None:
        return _page(request, {"num": f"There is no user with number '{data.get('num', '')}'."},
                     "", 400)
    try:
        await send(request, Message("SetPPUser", {}, [Message("user", {
            "uid": str(uid), "monitoringMode": data.get("monitoringMode", "")})]))
    except AxiError as exc:
        errors, error = field_errors(exc, {"monitoringMode"})
        return _page(request, errors, error, 400)
    kit.flash(request, f"User {data['num']}: monitoring {data.get('monitoringMode')}.")
    raise kit.redirect("/monitoring")
