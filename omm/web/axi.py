"""The web UI's writes (and reads) as AXI requests of the logged-in account, handled in process.

Issue 14: every change made on a web page goes through the same rules as AXI, no second set.
A `WebAxi` is an AXI session bound to one web principal: it hands a request to the OMM's
AxiApi as a connection logged in as that account would, so permissions, validation, Cnf
events and the event log are exactly AXI's. An error answer comes back as the kit's AxiError
(code, info, bad attribute) for the page to show next to the field.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from omm.axi.api import AxiApi
from sipdect import web as kit
from sipdect.axi import conventions
from sipdect.axi.codec import Message
from sipdect.axi.dispatch import Ctx, PendingAnswer, PendingVerification
from sipdect.axi.errors import RESPONSE_CODES, AxiError
from sipdect.axi.session import AxiServerSession

API_KEY: web.AppKey[AxiApi] = web.AppKey("omm_axi_api", AxiApi)
"""Where the OMM's web app keeps its AxiApi (set by whoever builds the OMM's WebSite)."""

WEB_PEER_SUFFIX = "web"
"""What stands for the port in the peer name of a web request ("127.0.0.9:web"), so a log
line or an event-log entry tells a web change from an AXI connection's."""

PLAIN_WORDS: dict[str, str] = {
    "EAreaFull": "no room left",
    "EAuth": "wrong credentials",
    "EExist": "already exists",
    "EFailed": "the OMM could not do it",
    "EForbidden": "not allowed",
    "EInval": "invalid value",
    "EInvalidChars": "invalid characters",
    "EMissing": "required",
    "ENoEnt": "not found",
    "ENoMem": "no room left",
    "EPerm": "your account may not do this",
    "EPwEmpty": "the password is empty",
    "EPwUnchanged": "the new password is the old one",
    "EPwSimilarToHost": "the password is too similar to the OMM's name",
    "EPwSimilarToName": "the password is too similar to the user name",
    "EPwTooManySimilarChars": "the password repeats a character too often",
    "EPwTooShort": "the password is too short",
    "EPwTooSimilar": "the password is too similar to the old one",
    "EPwTooWeak": "the password needs more kinds of characters",
    "ETooLong": "too long",
}
"""An AXI error code in plain words, as a form shows it before the OMM's own detail."""


def plain(err: AxiError) -> str:
    """An AXI error as one readable sentence: the code's plain words and the OMM's detail."""
    words = PLAIN_WORDS.get(err.code, err.code)
    return f"{words[:1].upper()}{words[1:]}: {err.info}" if err.info else \
        f"{words[:1].upper()}{words[1:]}"


def error_of(answer: Message) -> AxiError | None:
    """The AxiError an answer carries, None for a success."""
    code = answer.attrs.get("errCode")
    if code is None:
        return None
    if code not in RESPONSE_CODES:  # not one of the schema's: still an error
        return AxiError("EFailed", f"{code}: {answer.attrs.get('info', '')}".strip(": "))
    max_len = answer.attrs.get("maxLen")
    return AxiError(code, answer.attrs.get("info"), bad=answer.attrs.get("bad"),
                    max_len=int(max_len) if max_len and max_len.isdigit() else None)


class WebAxi:
    """AXI requests on behalf of one logged-in web account (one per web request)."""

    def __init__(self, api: AxiApi, account_id: int, peer: str, now: float) -> None:
        """`peer`: the browser's address (the event log names it); `now`: the loop's time."""
        self.api = api
        self.session = AxiServerSession(now)
        self.session.opened(account_id, False)
        self.session.in_process = True  # its UI's own rights (omm.axi.handlers.directory)
        self.ctx = Ctx(self.session, f"{peer}:{WEB_PEER_SUFFIX}")

    async def answer(self, name: str, attrs: Mapping[str, Any] | None = None,
                     children: list[Message] | None = None) -> Message:
        """The OMM's answer to one request, success or error (never raises for an error)."""
        req = Message(name, {k: str(v) for k, v in (attrs or {}).items() if v is not None},
                      list(children or []))
        if name == "Open":  # the web session is the login; it never logs in again here
            return Message("OpenResp", AxiError("EFailed", "not over the web").attrs())
        result = self.api.handle(self.ctx, req)
        if isinstance(result, PendingVerification):
            verified = await asyncio.to_thread(result.check)
            answer = self.api.conclude(self.ctx, req, result, verified).response
        elif isinstance(result, PendingAnswer):
            answer = await result.answer
        else:
            answer = result
        waiting = self.api.replicating()
        if waiting is not None:  # a standby pair: answer once the partner has the change
            await waiting
        self.api.deliver()  # the Cnf events of the change, to subscribed AXI sessions
        return answer

    async def request(self, name: str, attrs: Mapping[str, Any] | None = None,
                      children: list[Message] | None = None) -> Message:
        """The successful answer to one request; an error answer raises its AxiError."""
        answer = await self.answer(name, attrs, children)
        err = error_of(answer)
        if err is not None:
            raise err
        return answer

    async def records(self, name: str, element: str, key: str, *,
                      page: int = conventions.MAX_RECORDS,
                      attrs: Mapping[str, Any] | None = None) -> list[Message]:
        """Every record a paged Get... request returns (`key` the paging attribute, e.g. id),
        read in pages of `page` until the OMM says no more (ENoEnt or a short page)."""
        page = min(page, conventions.MAX_RECORDS)
        out: list[Message] = []
        start = 0
        while True:
            answer = await self.answer(name, {**(attrs or {}), key: start, "maxRecords": page})
            err = error_of(answer)
            if err is not None:
                if err.code == "ENoEnt":
                    return out
                raise err
            got = answer.children_named(element)
            out.extend(got)
            if len(got) < page:
                return out
            start = int(got[-1].attrs[key]) + 1


def web_axi(request: web.Request) -> WebAxi:
    """The AXI session of a page request's logged-in account."""
    api = request.app[API_KEY]
    return WebAxi(api, kit.principal(request).account_id, request.remote or "",
                  asyncio.get_running_loop().time())


def refused(err: AxiError) -> web.HTTPException:
    """The page a read that AXI refused ends in: 403 when the account may not read it, 404 for
    a record that is not there, else 400; its text the error in plain words."""
    status = {"EPerm": web.HTTPForbidden, "ENoEnt": web.HTTPNotFound}.get(err.code,
                                                                          web.HTTPBadRequest)
    return status(text=plain(err))
