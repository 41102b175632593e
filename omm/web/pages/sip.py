"""The SIP page (omm.web.sip): GET /sip, POST /sip/<group>, POST /sip/srtp/<site id>."""

from __future__ import annotations

from aiohttp import web

from omm.web import sip, sites
from omm.web.axi import WebAxi, refused, web_axi
from omm.web.forms import FormState
from sipdect import web as kit
from sipdect.axi.errors import AxiError
from sipdect.axi.records import SRTP_MODES

NAV_ORDER = 30


def setup(site: kit.WebSite) -> None:
    site.nav("SIP", "/sip", order=NAV_ORDER)
    site.get("/sip", page)
    site.post("/sip/srtp/{site_id:\\d+}", save_srtp, write=True)
    site.post("/sip/{group}", save, write=True)


async def _render(request: web.Request, web_: WebAxi, forms: dict[str, FormState],
                  srtp_errors: dict[int, str] | None = None, status: int = 200
                  ) -> web.Response:
    return kit.render(request, "ommsys_sip.html", {
        "title": "SIP", "sections": sip.SECTIONS, "forms": forms,
        "sites": await sites.rows(web_), "srtp_modes": SRTP_MODES,
        "srtp_errors": srtp_errors or {}}, status=status)


async def page(request: web.Request) -> web.StreamResponse:
    web_ = web_axi(request)
    try:
        forms = await sip.read_forms(web_)
    except AxiError as err:
        raise refused(err) from None
    return await _render(request, web_, forms)


async def save(request: web.Request) -> web.StreamResponse:
    group = request.match_info["group"]
    titles = {s.key: s.title for s in sip.SECTIONS}
    if group not in titles:
        raise web.HTTPNotFound(text=f"No SIP form {group}.")
    web_ = web_axi(request)
    state = await sip.submit(web_, group, await kit.form(request))
    if state.ok:
        kit.flash(request, f"{titles[group]}: saved.")
        raise kit.redirect(f"/sip#section-{group}")
    forms = await sip.read_forms(web_)
    forms[group] = state
    return await _render(request, web_, forms, status=400)


async def save_srtp(request: web.Request) -> web.StreamResponse:
    site_id = int(request.match_info["site_id"])
    web_ = web_axi(request)
    state = await sip.set_srtp(web_, site_id, await kit.form(request))
    if state.ok:
        kit.flash(request, f"Site {site_id}: SRTP saved.")
        raise kit.redirect("/sip#media-security")
    error = next(iter(state.errors.values()))
    return await _render(request, web_, await sip.read_forms(web_), {site_id: error},
                         status=400)
