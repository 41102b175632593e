"""The kit's AXI dispatch (sipdect.axi.dispatch.Router) for a server that is not the OMM:
its own accounts, permission rule and model errors, the same login gate and error answers
(axi.md §2-3, sipdect/axi/conventions.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from sipdect.axi import conventions
from sipdect.axi.codec import Message
from sipdect.axi.dispatch import ANY, WRITE, Ctx, Router, resp
from sipdect.axi.errors import AxiError
from sipdect.axi.session import AxiServerSession


@dataclass
class Account:
    name: str
    write: bool
    fresh: bool = False


class Refused(Exception):
    pass


@dataclass
class Api:
    accounts: dict[int, Account] = field(default_factory=dict)


def _model_error(exc: Exception) -> AxiError | None:
    return AxiError("EExist", str(exc)) if isinstance(exc, Refused) else None


ROUTER: Router[Api, Account] = Router(
    account_of=lambda api, key: api.accounts.get(key),
    must_change_password=lambda acc: acc.fresh,
    allowed=lambda acc, perm: perm != WRITE or acc.write,
    model_error=_model_error,
    log=logging.getLogger("test.dispatch"), label="MAXI")


@ROUTER.route("Ping", perm=ANY)
def _ping(api: Api, ctx: Ctx, req: Message) -> Message:
    return resp(req, {"n": 1})


@ROUTER.route("CreatePPUser", perm=WRITE)
def _create(api: Api, ctx: Ctx, req: Message) -> Message:
    if req.attrs.get("dup"):
        raise Refused("exists")
    if req.attrs.get("bug"):
        raise ZeroDivisionError
    return resp(req)


def ask(api: Api, name: str, account: int | None = None, **attrs: str) -> Message:
    session = AxiServerSession(0.0)
    if account is not None:
        session.opened(account, False)
    answer = ROUTER.dispatch(api, Ctx(session, "127.0.0.9:1"), Message(name, attrs))
    assert isinstance(answer, Message)
    return answer


def test_before_login_only_the_pre_login_requests_are_served() -> None:
    answer = ask(Api(), "Ping")
    assert answer.attrs == {"errCode": conventions.NOT_LOGGED_IN[0],
                            "info": conventions.NOT_LOGGED_IN[1]}


def test_the_route_runs_for_an_allowed_account() -> None:
    api = Api({1: Account("mom", write=True)})
    assert ask(api, "Ping", 1) == Message("PingResp", {"n": "1"})
    assert ask(api, "CreatePPUser", 1) == Message("CreatePPUserResp")


def test_the_servers_permission_rule_decides() -> None:
    api = Api({2: Account("reader", write=False)})
    assert ask(api, "Ping", 2).attrs == {"n": "1"}
    assert ask(api, "CreatePPUser", 2).attrs["errCode"] == "EPerm"


def test_a_gone_account_and_an_unchanged_default_password_are_refused() -> None:
    api = Api({1: Account("mom", write=True, fresh=True)})
    assert ask(api, "Ping", 1).attrs == {"n": "1"}  # served with the default password
    assert ask(api, "CreatePPUser", 1).attrs["info"] == conventions.MUST_CHANGE_PASSWORD[1]
    assert ask(api, "Ping", 7).attrs["errCode"] == "EPerm"


def test_unknown_and_unsupported_requests_get_their_answers() -> None:
    api = Api({1: Account("mom", write=True)})
    assert ask(api, "Frobnicate", 1).attrs == {
        "errCode": "EInval", "info": "unknown request", "bad": "Frobnicate"}
    assert ask(api, "GetRFP", 1).attrs == {"errCode": "EFailed",
                                           "info": "request not supported"}


def test_model_errors_are_translated_and_bugs_answered_efailed(
        caplog: pytest.LogCaptureFixture) -> None:
    api = Api({1: Account("mom", write=True)})
    assert ask(api, "CreatePPUser", 1, dup="1").attrs == {"errCode": "EExist",
                                                          "info": "exists"}
    with caplog.at_level(logging.ERROR, logger="test.dispatch"):
        assert ask(api, "CreatePPUser", 1, bug="1").attrs == {"errCode": "EFailed",
                                                              "info": "internal error"}
    assert "MAXI CreatePPUser from 127.0.0.9:1: handler failed" in caplog.text
