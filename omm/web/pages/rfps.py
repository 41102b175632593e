"""The OMM's RFP pages (issue 14 item 2): the list with the real UI's state names, one RFP's
configuration, live state and sync relations with RSSI, create, edit, delete, and the capture
list with enrolment. Every change is an AXI request of the logged-in account
(omm.web.actions.send)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from omm.web import omm_model
from omm.web import rfps as view
from omm.web.actions import act, field_errors, int_of, send
from sipdect import web as kit
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError

FORM_FIELDS = {name for name, _ in (*view.RFP_FIELDS, *view.RFP_CHECKBOXES)}


def setup(site: kit.WebSite) -> None:
    site.nav("RFPs", "/rfps", order=30)
    site.get("/rfps", rfps_page)
    site.get("/rfps/new", new_rfp_page)
    site.post("/rfps/new", create_rfp, write=True)
    site.get("/rfps/capture", capture_page)
    site.post("/rfps/capture", set_capturing, write=True)
    site.post("/rfps/capture/enrol", enrol, write=True)
    site.post("/rfps/capture/delete", delete_captured, write=True)
    site.get("/rfps/{id}", rfp_page)
    site.post("/rfps/{id}", update_rfp, write=True)
    site.post("/rfps/{id}/delete", delete_rfp, write=True)


async def rfps_page(request: web.Request) -> web.StreamResponse:
    model = omm_model(request)
    pager = kit.Pager.from_query(request.query, len(model.rfps))
    rows = [view.rfp_row(model, r) for r in model.rfps.table.at(pager.start, pager.count)]
    return kit.render(request, "rfps.html", {
        "title": "RFPs", "rows": rows, "pager": pager, "args": dict(request.query),
        "captured": len(model.rfps.captured)})


def _defaults() -> dict[str, str]:
    return {"site": "1", "cluster": "1", "pagingArea": "-1", "x": "0", "y": "0"}


def _form(request: web.Request, rfp: dict[str, Any] | None, values: dict[str, Any],
          errors: dict[str, str], error: str = "", status: int = 200) -> web.Response:
    model = omm_model(request)
    return kit.render(request, "rfp.html", {
        "title": f"RFP {rfp['name'] or rfp['id']}" if rfp else "New RFP",
        "rfp": rfp, "values": {k: str(v) for k, v in values.items()}, "errors": errors,
        "error": error, "fields": view.RFP_FIELDS, "checkboxes": view.RFP_CHECKBOXES,
        "relations": view.sync_relations(model, rfp["id"]) if rfp else [],
        "sites": list(model.sites.table)}, status=status)


def _rfp(request: web.Request) -> dict[str, Any]:
    model = omm_model(request)
    rec = model.rfps.table.get(int_of(request, "id"))
    if rec is None:
        raise web.HTTPNotFound(text=f"There is no RFP {request.match_info['id']}.")
    return view.rfp_row(model, rec)


async def new_rfp_page(request: web.Request) -> web.StreamResponse:
    return _form(request, None, {**_defaults(), "dectOn": True}, {})


async def rfp_page(request: web.Request) -> web.StreamResponse:
    rfp = _rfp(request)
    return _form(request, rfp, rfp, {})


async def create_rfp(request: web.Request) -> web.StreamResponse:
    data = await kit.form(request)
    try:
        (answer,) = await send(request, view.rfp_request(data))
    except AxiError as exc:
        errors, error = field_errors(exc, FORM_FIELDS)
        return _form(request, None, data, errors, error, 400)
    rfp_id = answer.children[0].attrs["id"]
    kit.flash(request, f"RFP {data.get('name') or rfp_id} created.")
    raise kit.redirect(f"/rfps/{rfp_id}")


async def update_rfp(request: web.Request) -> web.StreamResponse:
    rfp = _rfp(request)
    data = await kit.form(request)
    try:
        await send(request, view.rfp_request(data, rfp["id"]))
    except AxiError as exc:
        errors, error = field_errors(exc, FORM_FIELDS)
        return _form(request, rfp, data, errors, error, 400)
    kit.flash(request, "RFP saved.")
    raise kit.redirect(f"/rfps/{rfp['id']}")


async def delete_rfp(request: web.Request) -> web.StreamResponse:
    rfp = _rfp(request)
    await act(request, Message("DeleteRFP", {"id": str(rfp["id"])}),
              done=f"RFP {rfp['name'] or rfp['id']} deleted.", failed="Not deleted",
              back=f"/rfps/{rfp['id']}", to="/rfps")


async def capture_page(request: web.Request) -> web.StreamResponse:
    model = omm_model(request)
    return kit.render(request, "rfp_capture.html", {
        "title": "RFP capture list", "rows": view.capture_rows(model),
        "capturing": view.capturing(model), "sites": list(model.sites.table)})


async def set_capturing(request: web.Request) -> web.StreamResponse:
    data = await kit.form(request)
    on = data.get("enable") == "1"
    try:
        await send(request, Message("SetRFPCapture", {"enable": "true" if on else "false"}))
    except AxiError as exc:
        kit.flash(request, f"Capturing not changed: {exc.info or exc.code}", "error")
    else:
        kit.flash(request, "Capturing is on: unknown RFPs are listed here." if on
                  else "Capturing is off.")
    raise kit.redirect("/rfps/capture")


async def enrol(request: web.Request) -> web.StreamResponse:
    """Turn a captured RFP into a configured one (CreateRFP, then off the capture list)."""
    data = await kit.form(request)
    if view.captured(omm_model(request), data.get("ethAddr", "")) is None:
        kit.flash(request, f"{data.get('ethAddr', '')} is not in the capture list.", "error")
        raise kit.redirect("/rfps/capture")
    try:
        answers = await send(request, *view.enrol_requests(data))
    except AxiError as exc:
        kit.flash(request, f"{data.get('ethAddr', '')} not enrolled: {exc.info or exc.code}",
                  "error")
        raise kit.redirect("/rfps/capture") from None
    rfp_id = answers[0].children[0].attrs["id"]
    kit.flash(request, f"{data['ethAddr']} enrolled as RFP {rfp_id}: its key is exchanged "
                       "at its next login.")
    raise kit.redirect(f"/rfps/{rfp_id}")


async def delete_captured(request: web.Request) -> web.StreamResponse:
    data = await kit.form(request)
    try:
        await send(request, Message("DeleteRFPCaptureListElem",
                                    {"ethAddr": data.get("ethAddr", "")}))
    except AxiError as exc:
        kit.flash(request, f"Not removed: {exc.info or exc.code}", "error")
    raise kit.redirect("/rfps/capture")
