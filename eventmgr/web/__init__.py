"""The Event Manager's web UI (issue 15 item 5; seed 000 "Event Manager Web UI"): the kit's web
platform (sipdect.web) given the Event Manager's backend (its accounts, no banner, its event
log) and its page modules (eventmgr/web/pages/, each with a `setup(site)`). Served by
EventMgrService beside ESPA: HTTP 8082 redirects to HTTPS 8444.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from sipdect.web import WebSite

if TYPE_CHECKING:
    from eventmgr.service import EventMgrService

HERE = Path(__file__).resolve().parent
EM_KEY: web.AppKey[EventMgrService] = web.AppKey("eventmgr")


def em_of(request: web.Request) -> EventMgrService:
    """The Event Manager a page request is for (its rules, log, status: the same methods the
    control API and the tests call)."""
    return request.app[EM_KEY]


def build_site(service: EventMgrService) -> WebSite:
    """The Event Manager's web site: its backend, templates, static files and pages."""
    from eventmgr.web.backend import EventMgrWebBackend

    assert service.accounts is not None  # started
    site = WebSite(EventMgrWebBackend(service.accounts, service.cfg.name, service.log_line),
                   templates=[HERE / "templates"])
    site.app[EM_KEY] = service
    site.load_pages("eventmgr.web.pages")
    return site
