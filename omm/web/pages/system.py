"""The system settings page (omm.web.system): GET /system, one POST /system/<group> per form."""

from __future__ import annotations

from aiohttp import web

from omm.web import omm_of, system
from omm.web.axi import WebAxi, refused, web_axi
from omm.web.forms import FormState, Section
from sipdect import web as kit
from sipdect.axi.errors import AxiError

NAV_ORDER = 20


def setup(site: kit.WebSite) -> None:
    site.nav("System", "/system", order=NAV_ORDER)
    site.get("/system", page)
    site.post("/system/{group}", save, write=True)


def _sections() -> list[Section]:
    return [*system.AXI_SECTIONS, *(m.section for m in system.MODEL_SECTIONS)]


async def _render(request: web.Request, web_: WebAxi, forms: dict[str, FormState],
                  status: int = 200) -> web.Response:
    return kit.render(request, "ommsys_system.html", {
        "title": "System settings", "sections": _sections(), "forms": forms,
        "park": await system.park(web_), "window": system.window(web_.api.model),
        "license": await system.license(web_),
        "tls_level": omm_of(request).extra.get(system.TLS_LEVEL, "as configured")},
        status=status)


async def page(request: web.Request) -> web.StreamResponse:
    web_ = web_axi(request)
    try:
        forms = await system.read_forms(web_, web_.api.model)
    except AxiError as err:
        raise refused(err) from None
    return await _render(request, web_, forms)


async def save(request: web.Request) -> web.StreamResponse:
    group = request.match_info["group"]
    if group not in system.section_keys():
        raise web.HTTPNotFound(text=f"No settings form {group}.")
    posted = await kit.form(request)
    web_ = web_axi(request)
    model = web_.api.model
    actor = model.accounts.actor(kit.principal(request).account_id) or {}
    state = await system.submit(web_, model, actor, group, posted)
    title = next(s.title for s in _sections() if s.key == group)
    if state.ok:
        kit.flash(request, f"{title}: saved.")
        raise kit.redirect(f"/system#section-{group}")
    forms = await system.read_forms(web_, model)
    forms[group] = state
    return await _render(request, web_, forms, status=400)
