"""The OMM's devices pages (issue 14 item 2): the subscription window, a paged list searchable
by IPEI or the user's number or name, create, edit (the authentication code write-only),
delete, bind to a user and unbind, "subscribe now" and delete a subscription. Every change is
an AXI request of the logged-in account (omm.web.actions.send)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from omm.web import directory as view
from omm.web import omm_model
from omm.web.actions import act, field_errors, int_of, listing, search_index, send
from sipdect import web as kit
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError

FORM_FIELDS = {"ipei", "encrypt", *(name for name, _ in view.DEVICE_SECRETS)}
WINDOW_MODES = ("Off", "Configured", "Wildcard")


def setup(site: kit.WebSite) -> None:
    site.nav("Devices", "/devices", order=41)
    site.get("/devices", devices_page)
    site.post("/devices/window", set_window, write=True)
    site.get("/devices/new", new_device_page)
    site.post("/devices/new", create_device, write=True)
    site.get("/devices/{ppn}", device_page)
    site.post("/devices/{ppn}", update_device, write=True)
    site.post("/devices/{ppn}/delete", delete_device, write=True)
    site.post("/devices/{ppn}/bind", bind_user, write=True)
    site.post("/devices/{ppn}/unbind", unbind_user, write=True)
    site.post("/devices/{ppn}/subscribe", subscribe_now, write=True)
    site.post("/devices/{ppn}/unsubscribe", unsubscribe, write=True)


async def devices_page(request: web.Request) -> web.StreamResponse:
    model = omm_model(request)
    query = request.query.get("q", "")
    index = search_index(request)
    pager, records = listing(request, lambda offset, count: index.devices(query, offset, count))
    return kit.render(request, "devices.html", {
        "title": "Devices", "rows": [view.device_row(model, r) for r in records],
        "pager": pager, "query": query, "args": dict(request.query),
        "window": view.window_view(model), "modes": WINDOW_MODES})


async def set_window(request: web.Request) -> web.StreamResponse:
    data = await kit.form(request)
    try:
        await send(request, view.window_request(data.get("mode", ""), data.get("timeout", "")))
    except AxiError as exc:
        kit.flash(request, f"Subscription window not changed: {exc.info or exc.code}", "error")
    else:
        kit.flash(request, f"Subscription window: {data.get('mode', '')}.")
    raise kit.redirect("/devices")


def _form(request: web.Request, device: dict[str, Any] | None, values: dict[str, str],
          errors: dict[str, str], error: str = "", status: int = 200) -> web.Response:
    return kit.render(request, "device.html", {
        "title": f"Device {device['ipei'] or device['ppn']}" if device else "New device",
        "device": device, "values": values, "errors": errors, "error": error,
        "secrets": view.DEVICE_SECRETS, "rel_types": view.REL_TYPES,
        "window": view.window_view(omm_model(request))}, status=status)


def _device(request: web.Request) -> dict[str, Any]:
    model = omm_model(request)
    rec = model.devices.table.get(int_of(request, "ppn"))
    if rec is None:
        raise web.HTTPNotFound(text=f"There is no device {request.match_info['ppn']}.")
    return view.device_row(model, rec)


def _values(device: dict[str, Any]) -> dict[str, str]:
    return {"ipei": device["ipei"]}


async def new_device_page(request: web.Request) -> web.StreamResponse:
    return _form(request, None, {}, {})


async def device_page(request: web.Request) -> web.StreamResponse:
    device = _device(request)
    return _form(request, device, _values(device), {})


def _kept(data: dict[str, str]) -> dict[str, str]:
    secret = {name for name, _ in view.DEVICE_SECRETS}
    return {k: v for k, v in data.items() if k not in secret}


async def create_device(request: web.Request) -> web.StreamResponse:
    data = await kit.form(request)
    try:
        (answer,) = await send(request, view.device_request(data))
    except AxiError as exc:
        errors, error = field_errors(exc, FORM_FIELDS)
        return _form(request, None, _kept(data), errors, error, 400)
    ppn = answer.children[0].attrs["ppn"]
    kit.flash(request, f"Device {answer.children[0].attrs.get('ipei') or ppn} created.")
    raise kit.redirect(f"/devices/{ppn}")


async def update_device(request: web.Request) -> web.StreamResponse:
    device = _device(request)
    data = await kit.form(request)
    try:
        await send(request, view.device_request(data, device["ppn"]))
    except AxiError as exc:
        errors, error = field_errors(exc, FORM_FIELDS)
        return _form(request, device, _kept(data), errors, error, 400)
    kit.flash(request, "Device saved.")
    raise kit.redirect(f"/devices/{device['ppn']}")


async def _act(request: web.Request, device: dict[str, Any], req: Message | None,
               done: str, failed: str, to: str | None = None) -> web.StreamResponse:
    """Send one request about a device; say how it went on the page it leads to."""
    await act(request, req, done=done, failed=failed, back=f"/devices/{device['ppn']}", to=to)


async def delete_device(request: web.Request) -> web.StreamResponse:
    device = _device(request)
    return await _act(request, device, Message("DeletePPDev", {"ppn": str(device["ppn"])}),
                      f"Device {device['ipei'] or device['ppn']} deleted.", "Not deleted",
                      "/devices")


async def bind_user(request: web.Request) -> web.StreamResponse:
    """Bind the device to the user of a number (SetPP)."""
    device = _device(request)
    data = await kit.form(request)
    model = omm_model(request)
    num = data.get("num", "").strip()
    uid = model.users.by_num.get(num)
    if uid is None:
        return _form(request, device, _values(device),
                     {"num": f"There is no user with the number '{num}'."}, "", 400)
    try:
        await send(request, view.bind_request(device["ppn"], uid, data.get("relType", "Fixed")))
    except AxiError as exc:
        errors, error = field_errors(exc, {"num", "relType"})
        return _form(request, device, _values(device), errors or {"num": error}, "", 400)
    kit.flash(request, f"Bound to user {num}.")
    raise kit.redirect(f"/devices/{device['ppn']}")


async def unbind_user(request: web.Request) -> web.StreamResponse:
    device = _device(request)
    req = view.unbind_request(device["ppn"]) if device["uid"] else None
    return await _act(request, device, req, "Unbound from its user.", "Not unbound")


async def subscribe_now(request: web.Request) -> web.StreamResponse:
    """Open the window for configured IPEIs (directory.SUBSCRIBE_NOW_MODE)."""
    device = _device(request)
    req = view.subscribe_now_request(omm_model(request))
    return await _act(request, device, req,
                      f"Subscription open: the handset {device['ipei']} may subscribe now.",
                      "Subscription not opened")


async def unsubscribe(request: web.Request) -> web.StreamResponse:
    device = _device(request)
    return await _act(request, device, view.unsubscribe_request(device["ppn"]),
                      "Subscription deleted: the handset must subscribe again.",
                      "Subscription not deleted")
