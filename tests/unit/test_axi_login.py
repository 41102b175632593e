"""AXI Open as dispatch answers it, without sockets: the password check is handed out as a
pending verification (the edge runs it off the event loop) and the answer is concluded from
its result (axi.md §2; sipdect/axi/conventions.py FAILED_LOGIN_DELAY_S)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omm.axi.api import AxiApi
from omm.axi.dispatch import Ctx, PendingVerification, conclude, dispatch
from omm.model import OmmModel, OmmSetup
from sipdect.accounts import InitialAccount
from sipdect.axi import conventions
from sipdect.axi.codec import Message, parse
from sipdect.axi.session import AxiServerSession, LinkState

PASSWORD = "Sipdect-Omm-2026"


class Link:
    def flush(self) -> None:
        pass

    def abort(self, reason: str) -> None:
        pass


@pytest.fixture
def api(tmp_path: Path) -> Iterator[AxiApi]:
    model = OmmModel(tmp_path, OmmSetup("Test", [InitialAccount("omm", PASSWORD)]))
    yield AxiApi(model)
    model.close()


def connect(api: AxiApi) -> Ctx:
    session = AxiServerSession(0.0)
    api.attach(session, Link())
    return Ctx(session, "127.0.0.5:40000")


def open_request(password: str) -> Message:
    return parse(f'<Open seq="1" username="omm" password="{password}"/>'.encode())


def failed_logins(api: AxiApi) -> list[str]:
    return [e.msg for e in api.model.event_log.entries(0, 100) if "login failed" in e.msg]


def test_a_wrong_password_is_checked_later_then_answered_eauth_after_a_delay(
    api: AxiApi,
) -> None:
    ctx, req = connect(api), open_request("guessed")
    pending = dispatch(api, ctx, req)
    assert isinstance(pending, PendingVerification)
    assert failed_logins(api) == []  # nothing decided before the check ran
    verdict = conclude(ctx, req, pending, pending.check())
    assert verdict.response.name == "OpenResp" and verdict.response.attrs["errCode"] == "EAuth"
    assert verdict.delay == conventions.FAILED_LOGIN_DELAY_S
    assert ctx.session.state is LinkState.NEW
    assert len(failed_logins(api)) == 1


def test_the_right_password_opens_the_session_and_is_answered_at_once(api: AxiApi) -> None:
    ctx, req = connect(api), open_request(PASSWORD)
    pending = dispatch(api, ctx, req)
    assert isinstance(pending, PendingVerification) and ctx.session.state is LinkState.NEW
    verdict = conclude(ctx, req, pending, pending.check())
    assert "errCode" not in verdict.response.attrs and verdict.delay == 0
    assert ctx.session.state is LinkState.OPEN
    again = dispatch(api, ctx, open_request(PASSWORD))  # refused at once, no check
    assert isinstance(again, Message) and again.attrs["errCode"] == "EForbidden"


def test_a_password_changed_while_it_was_checked_does_not_log_in(api: AxiApi) -> None:
    ctx, req = connect(api), open_request(PASSWORD)
    pending = dispatch(api, ctx, req)
    assert isinstance(pending, PendingVerification)
    matched = pending.check()
    admin = api.model.accounts.by_username("omm")
    assert admin is not None
    api.model.accounts.update(admin, admin["id"], {"password": "Rainy-Harbor-2027",
                                                   "oldPassword": PASSWORD}, None)
    verdict = conclude(ctx, req, pending, matched)
    assert verdict.response.attrs["errCode"] == "EAuth"
    assert ctx.session.state is LinkState.NEW


def test_an_unknown_user_costs_a_check_too_and_fails(api: AxiApi) -> None:
    ctx = connect(api)
    req = parse(b'<Open username="nobody" password=""/>')
    pending = dispatch(api, ctx, req)
    assert isinstance(pending, PendingVerification)
    assert conclude(ctx, req, pending, pending.check()).response.attrs["errCode"] == "EAuth"
