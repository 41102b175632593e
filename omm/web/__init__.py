"""The OMM's web UI (issue 14; docs/web.md): the kit's web platform (sipdect.web) given the
OMM's backend (accounts, banner, event log) and its page modules (omm/web/pages/, each with a
`setup(site)`). Served by OmmService where AXI is served: a standby OMM serves no web UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from sipdect.web import WebSite

if TYPE_CHECKING:
    from omm.axi.api import AxiApi
    from omm.model import OmmModel

HERE = Path(__file__).resolve().parent


@dataclass
class OmmWeb:
    """What the OMM's pages may read beyond its model: the running service's live facts,
    given as callables so that no page reaches into the service."""

    model: OmmModel
    name: str
    """The OMM's host name in the system config."""
    address: str
    version: str
    """The software version it reports (AXI ommVersion)."""
    sip_registered: Callable[[], int] = lambda: 0
    """Users registered at the call server now."""
    api: AxiApi | None = None
    """The OMM's AXI, which the pages' writes go through as the logged-in account
    (omm.web.axi.WebAxi): one set of rules."""
    tls_level: str = ""
    """The TLS security level its web UI, AXI and SIP over TLS run at (SecurityLevel)."""
    extra: dict[str, object] = field(default_factory=dict)
    """Room for the services other pages need (keyed by a name of the page's choosing)."""


OMM_KEY: web.AppKey[OmmWeb] = web.AppKey("omm_web", OmmWeb)


def omm_of(request: web.Request) -> OmmWeb:
    """The OMM a page request is for."""
    return request.app[OMM_KEY]


def omm_model(request: web.Request) -> OmmModel:
    """The OMM's model (the same methods AXI calls)."""
    return request.app[OMM_KEY].model


def build_site(omm: OmmWeb) -> WebSite:
    """The OMM's web site: its backend, templates, static files and every page module."""
    from omm.web.backend import OmmWebBackend

    site = WebSite(OmmWebBackend(omm.model), templates=[HERE / "templates"],
                   static={"omm": HERE / "static"})
    site.app[OMM_KEY] = omm
    site.load_pages("omm.web.pages")
    return site
