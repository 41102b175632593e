"""Request dispatch of an AXI server (axi.md §2-3): the login gate, the permission check, the
handler table and the schema's error answers, for every server that speaks AXI (the OMM's AXI,
the MOM's MAXI).

What is a server's own comes in its `Router`: whose account a session is, what a permission
name allows, which of its model's exceptions means which error answer. A handler parses its
request, calls the model and renders the answer; errors raised anywhere below become the
schema's error response here. A handler whose answer needs a password checked (Open) returns a
PendingVerification instead: the edge runs the check off the event loop and then asks
`Router.conclude` for the answer. One that must wait for something outside the loop turn (the
MOM asking an OMM) returns a PendingAnswer (`Router.later`): the edge answers when it is done.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sipdect.axi import conventions
from sipdect.axi.catalog import SCHEMA_REQUESTS
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError
from sipdect.axi.session import AxiServerSession, LinkState

READ = "read"  # AllCnfRead or AllCnfWrite
WRITE = "write"  # AllCnfWrite
ANY = "any"  # any logged-in account

ApiT = TypeVar("ApiT")
AccountT = TypeVar("AccountT")


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


@dataclass(frozen=True)
class PendingAnswer:
    """A request answered once something outside this loop turn is done."""

    answer: Awaitable[Message]
    """The answer; never raises (Router.later turns errors into error answers)."""


Answer = Message | PendingVerification | PendingAnswer
"""What a handler returns: the answer, or how the edge gets it."""

Handler = Callable[[ApiT, Ctx, Message], Answer]


@dataclass(frozen=True)
class Route(Generic[ApiT]):
    handler: Handler[ApiT]
    permission: str  # READ / WRITE / ANY / a PermissionType name


class Router(Generic[ApiT, AccountT]):
    """One server's handler table and the rules every request passes before its handler."""

    def __init__(self, *, account_of: Callable[[ApiT, Any], AccountT | None],
                 must_change_password: Callable[[AccountT], bool],
                 allowed: Callable[[AccountT, str], bool],
                 model_error: Callable[[Exception], AxiError | None] = lambda exc: None,
                 log: logging.Logger, label: str = "AXI",
                 pre_login: Collection[str] = conventions.PRE_LOGIN_REQUESTS,
                 default_password: Collection[str] = conventions.DEFAULT_PASSWORD_REQUESTS,
                 known: Collection[str] = SCHEMA_REQUESTS) -> None:
        self.routes: dict[str, Route[ApiT]] = {}
        self.account_of = account_of
        """The active account a session logged in as (None: deleted or deactivated since)."""
        self.must_change_password = must_change_password
        self.allowed = allowed
        """Whether an account holds a route's permission (READ, WRITE, ANY or a name)."""
        self.model_error = model_error
        """The error answer of an exception of the server's model (None: not one of its)."""
        self.log = log
        self.label = label
        """The interface's name in log lines."""
        self.pre_login = frozenset(pre_login)
        """Requests served before login."""
        self.default_password = frozenset(default_password)
        """Requests served while the account's default password is unchanged."""
        self.known = frozenset(known)
        """Requests the interface defines: those without a handler are 'not supported'."""

    def route(self, *names: str, perm: str) -> Callable[[Handler[ApiT]], Handler[ApiT]]:
        """Register a handler for one or more request names."""

        def deco(fn: Handler[ApiT]) -> Handler[ApiT]:
            for name in names:
                assert name not in self.routes, name
                self.routes[name] = Route(fn, perm)
            return fn

        return deco

    def dispatch(self, api: ApiT, ctx: Ctx, req: Message) -> Answer:
        """Answer one request, or say what must be verified first; never raises for anything
        a client can send."""
        name = req.name
        session = ctx.session
        r = self.routes.get(name)
        try:
            if session.state is not LinkState.OPEN and name not in self.pre_login:
                raise AxiError(*conventions.NOT_LOGGED_IN)
            if r is None:
                if name in self.known:
                    raise AxiError(*conventions.UNSUPPORTED)
                raise AxiError(conventions.UNKNOWN_REQUEST[0], conventions.UNKNOWN_REQUEST[1],
                               bad=name)
            if session.state is LinkState.OPEN and name != "Open":
                account = self.account_of(api, session.account)
                if account is None:
                    raise AxiError("EPerm", "the account of this session no longer exists")
                if self.must_change_password(account) and name not in self.default_password:
                    raise AxiError(*conventions.MUST_CHANGE_PASSWORD)
                if not self.allowed(account, r.permission):
                    raise AxiError("EPerm", f"{name} needs permission {r.permission}")
            return r.handler(api, ctx, req)
        except Exception as exc:
            return self.error_answer(ctx, req, exc)

    def conclude(self, ctx: Ctx, req: Message, pending: PendingVerification,
                 verified: bool) -> Verdict:
        """The answer to a request once its verification came back; never raises."""
        try:
            return pending.conclude(verified)
        except Exception as exc:
            return Verdict(self.error_answer(ctx, req, exc))

    def later(self, ctx: Ctx, req: Message,
              work: Coroutine[Any, Any, Message]) -> PendingAnswer:
        """The answer `work` will give, with what it raises answered as dispatch would."""

        async def answer() -> Message:
            try:
                return await work
            except Exception as exc:
                return self.error_answer(ctx, req, exc)

        return PendingAnswer(answer())

    def error_answer(self, ctx: Ctx, req: Message, exc: Exception) -> Message:
        """The wire's answer to what a handler raised."""
        if isinstance(exc, AxiError):
            return error_response(req, exc)
        translated = self.model_error(exc)
        if translated is not None:
            return error_response(req, translated)
        # A bug must not take the server down; answer and log it.
        self.log.error("%s %s from %s: handler failed", self.label, req.name, ctx.peer,
                       exc_info=exc)
        return error_response(req, AxiError("EFailed", "internal error"))


def error_response(req: Message, exc: AxiError) -> Message:
    return Message(req.name + "Resp", exc.attrs())


def resp(req: Message, attrs: Mapping[str, Any] | None = None,
         children: list[Message] | None = None) -> Message:
    """A success response named after the request."""
    return Message(req.name + "Resp",
                   {k: str(v) for k, v in (attrs or {}).items() if v is not None},
                   children or [])
