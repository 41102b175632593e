"""The sites page (omm.web.sites): list and create at /sites, edit at /sites/<id>, delete."""

from __future__ import annotations

from aiohttp import web

from omm.web import sites
from omm.web.axi import WebAxi, plain, refused, web_axi
from omm.web.forms import FormState
from sipdect import web as kit
from sipdect.axi.errors import AxiError

NAV_ORDER = 40


def setup(site: kit.WebSite) -> None:
    site.nav("Sites", "/sites", order=NAV_ORDER)
    site.get("/sites", page)
    site.post("/sites/new", create, write=True)
    site.get("/sites/{site_id:\\d+}", edit_page)
    site.post("/sites/{site_id:\\d+}", save, write=True)
    site.post("/sites/{site_id:\\d+}/delete", delete, write=True)


async def _list(request: web.Request, web_: WebAxi, form: FormState, status: int = 200
                ) -> web.Response:
    try:
        rows = await sites.rows(web_)
    except AxiError as err:
        raise refused(err) from None
    return kit.render(request, "ommsys_sites.html", {"title": "Sites", "rows": rows,
                                                     "form": form}, status=status)


async def page(request: web.Request) -> web.StreamResponse:
    return await _list(request, web_axi(request), FormState(sites.CREATE_FIELDS))


async def create(request: web.Request) -> web.StreamResponse:
    web_ = web_axi(request)
    form, site_id = await sites.create(web_, await kit.form(request))
    if site_id is None:
        return await _list(request, web_, form, status=400)
    kit.flash(request, f"Site {site_id} created.")
    raise kit.redirect("/sites")


def _site_id(request: web.Request) -> int:
    return int(request.match_info["site_id"])


async def edit_page(request: web.Request) -> web.StreamResponse:
    try:
        form = await sites.read(web_axi(request), _site_id(request))
    except AxiError as err:
        raise refused(err) from None
    return kit.render(request, "ommsys_site.html", {"title": f"Site {_site_id(request)}",
                                                    "site_id": _site_id(request), "form": form})


async def save(request: web.Request) -> web.StreamResponse:
    form = await sites.update(web_axi(request), _site_id(request), await kit.form(request))
    if not form.ok:
        return kit.render(request, "ommsys_site.html", {
            "title": f"Site {_site_id(request)}", "site_id": _site_id(request), "form": form},
            status=400)
    kit.flash(request, f"Site {_site_id(request)} saved.")
    raise kit.redirect("/sites")


async def delete(request: web.Request) -> web.StreamResponse:
    err = await sites.delete(web_axi(request), _site_id(request))
    if err is not None:
        kit.flash(request, f"Site {_site_id(request)} not deleted. {plain(err)}", "error")
    else:
        kit.flash(request, f"Site {_site_id(request)} deleted.")
    raise kit.redirect("/sites")
