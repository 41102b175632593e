"""What the OMM's directory and RFP pages share at the HTTP edge: sending a form's AXI
requests as the logged-in account (omm.web.axi.WebAxi), an AXI error shown next to the field
it names, a searchable list's page.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, NoReturn

from aiohttp import web

from omm.web import omm_of
from omm.web.axi import plain, web_axi
from omm.web.directory import SearchIndex
from sipdect import web as kit
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError

SEARCH_INDEX = "directory-search"
"""The OMM's SearchIndex in OmmWeb.extra (made at the first search, kept while it serves)."""


def search_index(request: web.Request) -> SearchIndex:
    omm = omm_of(request)
    index = omm.extra.get(SEARCH_INDEX)
    if not isinstance(index, SearchIndex):
        index = omm.extra[SEARCH_INDEX] = SearchIndex(omm.model)
    return index


async def send(request: web.Request, *requests: Message) -> list[Message]:
    """Each request in turn as the logged-in account; the first error answer raises its
    AxiError (what went before it stays done, as for an AXI client)."""
    axi = web_axi(request)
    return [await axi.request(r.name, r.attrs, r.children) for r in requests]


def field_errors(exc: AxiError, fields: Collection[str]) -> tuple[dict[str, str], str]:
    """An AXI error as the form shows it: next to the field it names when the form has that
    field, else above the form."""
    text = plain(exc)
    if exc.bad and exc.bad in fields:
        return {exc.bad: text}, ""
    return {}, text


async def act(request: web.Request, message: Message | None, *, done: str, failed: str,
              back: str, to: str | None = None) -> NoReturn:
    """Send one request about a record (None: nothing to send) and say how it went on the
    page it leads to: `back` (the record's page) when refused, else `to` (default `back`)."""
    if message is not None:
        try:
            await send(request, message)
        except AxiError as exc:
            kit.flash(request, f"{failed}: {exc.info or exc.code}", "error")
            raise kit.redirect(back) from None
    kit.flash(request, done)
    raise kit.redirect(to or back)


def int_of(request: web.Request, name: str) -> int:
    """A path's record id; 404 when it is no number."""
    try:
        return int(request.match_info[name])
    except ValueError:
        raise web.HTTPNotFound(text=f"'{request.match_info[name]}' is not a {name}") from None


def listing(request: web.Request, find: Any) -> tuple[kit.Pager, list[Any]]:
    """The page of a searchable list the query asks for: `find(offset, count)` returns a
    directory.Found; asked again only when the page number was beyond the last."""
    wanted = kit.Pager.from_query(request.query, 1 << 30)
    found = find(wanted.start, wanted.per_page)
    pager = kit.Pager.from_query(request.query, found.total)
    if pager.start != wanted.start:
        found = find(pager.start, pager.per_page)
    return pager, found.records
