"""The OMM web UI's sites page (issue 14 item 2; axi.md §5.4): list, create, edit, delete,
each an AXI request (CreateSite/SetSite/DeleteSite) made as the logged-in account."""

from __future__ import annotations

from collections.abc import Mapping

from omm.web.axi import WebAxi
from omm.web.forms import FormField, FormState, fields_of, to_attrs, wire_bool
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError
from sipdect.axi.records import SITE

LABELS = {"name": "Name", "wideband": "Wideband (G.722)", "srtp": "SRTP",
          "dectSecurity": "DECT enhanced security", "videoStreaming": "Video streaming"}
HELP = {"srtp": "Media security of the site's calls: Only, Preferred or Disabled"}

EDIT_FIELDS: tuple[FormField, ...] = fields_of(SITE, LABELS, HELP)
"""What a site's form sets (its id is the page's)."""
CREATE_FIELDS: tuple[FormField, ...] = (
    FormField("id", "Id", "number", low=1, high=250, help="Empty: the next free id"),
    *EDIT_FIELDS)


def row(site: Message) -> dict[str, object]:
    """A site as the list shows it."""
    a = site.attrs
    return {"id": int(a["id"]), "name": a.get("name", ""), "nRFPs": a.get("nRFPs", "0"),
            "wideband": wire_bool(a.get("wideband")), "srtp": a.get("srtp", ""),
            "dectSecurity": wire_bool(a.get("dectSecurity")),
            "videoStreaming": wire_bool(a.get("videoStreaming"))}


async def rows(web: WebAxi) -> list[dict[str, object]]:
    return [row(s) for s in await web.records("GetSite", "site", "id")]


async def read(web: WebAxi, site_id: int) -> FormState:
    """One site's form (AxiError ENoEnt when there is none)."""
    answer = await web.request("GetSite", {"id": site_id})
    site = answer.child("site")
    if site is None:
        raise AxiError("ENoEnt", f"no site with id {site_id}", bad="id")
    return FormState.read(EDIT_FIELDS, site)


async def create(web: WebAxi, posted: Mapping[str, str]) -> tuple[FormState, int | None]:
    """CreateSite; the form (with errors) and the new site's id (None if refused)."""
    attrs = to_attrs(CREATE_FIELDS, posted)
    if not attrs.get("id"):
        attrs.pop("id", None)
    try:
        answer = await web.request("CreateSite", children=[Message("site", attrs)])
    except AxiError as err:
        return FormState.posted(CREATE_FIELDS, posted).fail(err), None
    site = answer.child("site")
    return FormState(CREATE_FIELDS), int(site.attrs["id"]) if site is not None else None


async def update(web: WebAxi, site_id: int, posted: Mapping[str, str],
                 fields: tuple[FormField, ...] = EDIT_FIELDS) -> FormState:
    """SetSite with the posted `fields`; the form to show again."""
    attrs = {"id": str(site_id), **to_attrs(fields, posted)}
    try:
        await web.request("SetSite", children=[Message("site", attrs)])
    except AxiError as err:
        return FormState.posted(fields, posted).fail(err)
    return FormState(fields)


async def delete(web: WebAxi, site_id: int) -> AxiError | None:
    """DeleteSite; the refusal (a site with RFPs, the last site), if any."""
    try:
        await web.request("DeleteSite", {"id": site_id})
    except AxiError as err:
        return err
    return None
