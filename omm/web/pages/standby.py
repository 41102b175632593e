"""The standby page (omm.web.standby): GET /standby; in the navigation when the OMM is one of a
pair (the web UI runs only on the active OMM, so the pair is known when the site is built)."""

from __future__ import annotations

from aiohttp import web

from omm.web import OMM_KEY, standby
from omm.web.axi import refused, web_axi
from sipdect import web as kit
from sipdect.axi.errors import AxiError

NAV_ORDER = 95


def setup(site: kit.WebSite) -> None:
    omm = site.app.get(OMM_KEY)
    if omm is not None and standby.is_paired(omm.model):
        site.nav("Standby", "/standby", order=NAV_ORDER)
    site.get("/standby", page)


async def page(request: web.Request) -> web.StreamResponse:
    web_ = web_axi(request)
    try:
        stb = await standby.read(web_, web_.api.model)
    except AxiError as err:
        raise refused(err) from None
    return kit.render(request, "ommsys_standby.html", {"title": "Standby", "stb": stb})
