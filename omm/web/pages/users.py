"""The OMM's users pages (issue 14 item 2): a paged list searchable by number, name or IPEI,
create, edit (the SIP password and PIN write-only), delete, bind to a device and unbind. Every
change is an AXI request of the logged-in account (omm.web.actions.send)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from omm.errors import ModelError
from omm.web import directory as view
from omm.web import omm_model
from omm.web.actions import act, field_errors, int_of, listing, search_index, send
from sipdect import web as kit
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError

FORM_FIELDS = {name for name, _ in (*view.USER_FIELDS, *view.USER_SECRETS)}


def setup(site: kit.WebSite) -> None:
    site.nav("Users", "/users", order=40)
    site.get("/users", users_page)
    site.get("/users/new", new_user_page)
    site.post("/users/new", create_user, write=True)
    site.get("/users/{uid}", user_page)
    site.post("/users/{uid}", update_user, write=True)
    site.post("/users/{uid}/delete", delete_user, write=True)
    site.post("/users/{uid}/bind", bind_device, write=True)
    site.post("/users/{uid}/unbind", unbind_device, write=True)


async def users_page(request: web.Request) -> web.StreamResponse:
    model = omm_model(request)
    query = request.query.get("q", "")
    index = search_index(request)
    pager, records = listing(request, lambda offset, count: index.users(query, offset, count))
    return kit.render(request, "users.html", {
        "title": "Users", "rows": [view.user_row(model, r) for r in records],
        "pager": pager, "query": query, "args": dict(request.query)})


def _form(request: web.Request, user: dict[str, Any] | None, values: dict[str, str],
          errors: dict[str, str], error: str = "", status: int = 200) -> web.Response:
    return kit.render(request, "user.html", {
        "title": f"User {user['num'] or user['uid']}" if user else "New user",
        "user": user, "values": values, "errors": errors, "error": error,
        "fields": view.USER_FIELDS, "secrets": view.USER_SECRETS,
        "rel_types": view.REL_TYPES}, status=status)


async def new_user_page(request: web.Request) -> web.StreamResponse:
    return _form(request, None, {}, {})


def _user(request: web.Request) -> dict[str, Any]:
    model = omm_model(request)
    rec = model.users.table.get(int_of(request, "uid"))
    if rec is None:
        raise web.HTTPNotFound(text=f"There is no user {request.match_info['uid']}.")
    return view.user_row(model, rec)


async def user_page(request: web.Request) -> web.StreamResponse:
    user = _user(request)
    return _form(request, user, {name: str(user[name]) for name, _ in view.USER_FIELDS}, {})


def _kept(data: dict[str, str]) -> dict[str, str]:
    """What a refused form shows again: everything typed but the secrets."""
    secret = {name for name, _ in view.USER_SECRETS}
    return {k: v for k, v in data.items() if k not in secret}


async def create_user(request: web.Request) -> web.StreamResponse:
    data = await kit.form(request)
    try:
        (answer,) = await send(request, view.user_request(data))
    except AxiError as exc:
        errors, error = field_errors(exc, FORM_FIELDS)
        return _form(request, None, _kept(data), errors, error, 400)
    uid = answer.children[0].attrs["uid"]
    kit.flash(request, f"User {data.get('num') or uid} created.")
    raise kit.redirect(f"/users/{uid}")


async def update_user(request: web.Request) -> web.StreamResponse:
    user = _user(request)
    data = await kit.form(request)
    try:
        await send(request, view.user_request(data, user["uid"]))
    except AxiError as exc:
        errors, error = field_errors(exc, FORM_FIELDS)
        return _form(request, user, _kept(data), errors, error, 400)
    kit.flash(request, "User saved.")
    raise kit.redirect(f"/users/{user['uid']}")


async def delete_user(request: web.Request) -> web.StreamResponse:
    user = _user(request)
    await act(request, Message("DeletePPUser", {"uid": str(user["uid"])}),
              done=f"User {user['num'] or user['uid']} deleted.", failed="Not deleted",
              back=f"/users/{user['uid']}", to="/users")


async def bind_device(request: web.Request) -> web.StreamResponse:
    """Bind the user to the device of an IPEI (SetPP)."""
    user = _user(request)
    data = await kit.form(request)
    model = omm_model(request)
    try:
        ppn = model.devices.find_by_ipei(data.get("ipei", ""))["ppn"]
    except ModelError as exc:  # no such device, or no IPEI: the model's words
        return _form(request, user, {n: str(user[n]) for n, _ in view.USER_FIELDS},
                     {"ipei": exc.info}, "", 400)
    try:
        await send(request, view.bind_request(ppn, user["uid"], data.get("relType", "Fixed")))
    except AxiError as exc:
        errors, error = field_errors(exc, {"ipei", "relType"})
        return _form(request, user, {n: str(user[n]) for n, _ in view.USER_FIELDS},
                     errors or {"ipei": error}, "", 400)
    kit.flash(request, f"Bound to the device {model.devices.get(ppn)['ipei']}.")
    raise kit.redirect(f"/users/{user['uid']}")


async def unbind_device(request: web.Request) -> web.StreamResponse:
    user = _user(request)
    if user["ppn"]:
        try:
            await send(request, view.unbind_request(user["ppn"]))
        except AxiError as exc:
            kit.flash(request, f"Not unbound: {exc.info or exc.code}", "error")
            raise kit.redirect(f"/users/{user['uid']}") from None
        kit.flash(request, "Unbound from its device.")
    raise kit.redirect(f"/users/{user['uid']}")
