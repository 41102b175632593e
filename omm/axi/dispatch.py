"""Request dispatch: login gate, permission check, handler table (axi.md §2-3).

A handler parses its request, calls the model and renders the answer; errors
raised anywhere below become the schema's error response here. A handler whose answer
needs a password checked (Open) returns a PendingVerification instead: the edge runs the
check off the event loop and then asks conclude() for the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omm.access import can_read, can_write, must_change_password
from omm.errors import ModelError
from sipdect.axi import conventions
from sipdect.axi.catalog import SCHEMA_REQUESTS
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError
from sipdect.axi.session import AxiServerSession, LinkState

if TYPE_CHECKING:
    from omm.axi.api import AxiApi

log = logging.getLogger("sipdect.omm.axi")

READ = "read"  # AllCnfRead or AllCnfWrite
WRITE = "write"  # AllCnfWrite
ANY = "any"  # any logged-in account


@dataclass
class Ctx:
    """Who is asking: the session and the peer address."""

    session: AxiServerSession
    peer: str

    @property
    def source(self) -> str:
        """The peer's address without its port: what event log entries merge by."""
        return self.peer.rsplit(":", 1)[0]


@dataclass(frozen=True)
class Verdict:
    """The answer to a request whose verification came back."""

    response: Message
    """What to answer."""
    delay: float = 0.0
    """Seconds to hold the answer back (a failed login's)."""


@dataclass(frozen=True)
class PendingVerification:
    """A request that can be answered only once a password has been checked."""

    check: Callable[[], bool]
    """The slow check; touches nothing shared, so the edge runs it in a worker thread."""
    conclude: Callable[[bool], Verdict]
    """Back on the event loop: the answer, given what check() said."""


Handler = Callable[["AxiApi", Ctx, Message], "Message | PendingVerification"]


@dataclass(frozen=True)
class Route:
    handler: Handler
    permission: str  # READ / WRITE / ANY / a PermissionType name


ROUTES: dict[str, Route] = {}


def route(*names: str, perm: str) -> Callable[[Handler], Handler]:
    """Register a handler for one or more request names."""

    def deco(fn: Handler) -> Handler:
        for name in names:
            assert name not in ROUTES, name
            ROUTES[name] = Route(fn, perm)
        return fn

    return deco


def _allowed(account: dict[str, Any], perm: str) -> bool:
    if perm == ANY:
        return True
    if perm == READ:
        return can_read(account)
    if perm == WRITE:
        return can_write(account)
    return perm in account["permission"] or can_write(account)


def dispatch(api: AxiApi, ctx: Ctx, req: Message) -> Message | PendingVerification:
    """Answer one request, or say what must be verified first; never raises for anything a
    client can send."""
    name = req.name
    session = ctx.session
    r = ROUTES.get(name)
    try:
        if session.state is not LinkState.OPEN and name not in conventions.PRE_LOGIN_REQUESTS:
            raise AxiError(*conventions.NOT_LOGGED_IN)
        if r is None:
            if name in SCHEMA_REQUESTS:
                raise AxiError(*conventions.UNSUPPORTED)
            raise AxiError(conventions.UNKNOWN_REQUEST[0], conventions.UNKNOWN_REQUEST[1],
                           bad=name)
        if session.state is LinkState.OPEN and name != "Open":
            account = api.model.accounts.table.get(session.account)
            if account is None or not account["active"]:
                raise AxiError("EPerm", "the account of this session no longer exists")
            if must_change_password(account) and name not in conventions.DEFAULT_PASSWORD_REQUESTS:
                raise AxiError(*conventions.MUST_CHANGE_PASSWORD)
            if not _allowed(account, r.permission):
                raise AxiError("EPerm", f"{name} needs permission {r.permission}")
        return r.handler(api, ctx, req)
    except Exception as exc:
        return _error_answer(ctx, req, exc)


def conclude(ctx: Ctx, req: Message, pending: PendingVerification, verified: bool) -> Verdict:
    """The answer to a request once its verification came back; never raises."""
    try:
        return pending.conclude(verified)
    except Exception as exc:
        return Verdict(_error_answer(ctx, req, exc))


def _error_answer(ctx: Ctx, req: Message, exc: Exception) -> Message:
    """The wire's answer to what a handler raised."""
    if isinstance(exc, AxiError):
        return error_response(req, exc)
    if isinstance(exc, ModelError):
        return error_response(req, AxiError(exc.code, exc.info, bad=exc.field))
    # A bug must not take the server down; answer and log it.
    log.error("AXI %s from %s: handler failed", req.name, ctx.peer, exc_info=exc)
    return error_response(req, AxiError("EFailed", "internal error"))


def error_response(req: Message, exc: AxiError) -> Message:
    return Message(req.name + "Resp", exc.attrs())


def resp(req: Message, attrs: dict[str, Any] | None = None,
         children: list[Message] | None = None) -> Message:
    """A success response named after the request."""
    return Message(req.name + "Resp",
                   {k: str(v) for k, v in (attrs or {}).items() if v is not None},
                   children or [])
