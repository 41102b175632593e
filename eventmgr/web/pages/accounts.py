"""The accounts page (seed 000 "Identity..."): the preset admin and the accounts admin makes
for other administrators (full access) and tools (read-only). No password is ever shown; a
new account's password and a password set for another account follow the kit's rules. The
preset admin cannot be deleted or renamed (no page renames an account)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from eventmgr import conventions as c
from eventmgr.accounts import AccountError, WebAccounts
from eventmgr.web import em_of
from eventmgr.web.backend import EventMgrWebBackend
from sipdect import web as kit
from sipdect.accounts import PasswordRejected, check_password_rules, hash_password

NAV_ORDER = 90


def setup(site: kit.WebSite) -> None:
    site.nav("Accounts", "/accounts", order=NAV_ORDER)
    site.get("/accounts", page)
    site.post("/accounts/new", create, write=True)
    site.post("/accounts/delete", delete, write=True)
    site.post("/accounts/password", set_password, write=True)


def _accounts(request: web.Request) -> WebAccounts:
    accounts = em_of(request).accounts
    if accounts is None:
        raise web.HTTPServiceUnavailable(text="The Event Manager is stopping.")
    return accounts


def _page(request: web.Request, values: dict[str, str], errors: dict[str, str],
          status: int = 200) -> web.StreamResponse:
    return kit.render(request, "em_accounts.html", {
        "title": "Accounts", "accounts": list(_accounts(request)), "values": values,
        "errors": errors, "rules": kit.site_of(request).backend.password_rules()},
        status=status)


async def page(request: web.Request) -> web.StreamResponse:
    return _page(request, {"username": "", "access": "read-only"}, {})


def _log(request: web.Request, subject: str, text: str) -> None:
    em_of(request).log_line(c.WEB_LOG_KIND, subject,
                            f"{text} by {kit.principal(request).username}")


async def create(request: web.Request) -> web.StreamResponse:
    data = await kit.form(request)
    username = data.get("username", "").strip()
    password = data.get("password", "")
    values = {"username": username, "access": data.get("access", "read-only")}
    can_write = values["access"] == "full"
    accounts = _accounts(request)
    try:
        check_password_rules(password, username=username,
                             hostname=kit.site_of(request).backend.host_name())
    except PasswordRejected as exc:
        return _page(request, values, {"password": f"{exc.info} ({exc.code})"}, 400)
    hashed = await asyncio.to_thread(hash_password, password)
    try:
        account = accounts.create(username, hashed, can_write=can_write)
    except AccountError as exc:
        return _page(request, values, {exc.field or "username": str(exc)}, 400)
    access = "full access" if can_write else "read-only"
    _log(request, account.username, f"account made ({access})")
    kit.flash(request, f"Account {account.username!r} made.")
    raise kit.redirect("/accounts")


def _account_id(data: dict[str, str]) -> int:
    text = data.get("id", "")
    return int(text) if text.isdigit() else -1


async def delete(request: web.Request) -> web.StreamResponse:
    data = await kit.form(request)
    try:
        account = _accounts(request).delete(_account_id(data))
    except AccountError as exc:
        kit.flash(request, str(exc), "error")
    else:
        _log(request, account.username, "account deleted")
        kit.flash(request, f"Account {account.username!r} deleted.")
    raise kit.redirect("/accounts")


async def set_password(request: web.Request) -> web.StreamResponse:
    """A new password for another account (one's own: the password page, which asks for the
    current one)."""
    data = await kit.form(request)
    account = _accounts(request).get(_account_id(data))
    if account is None or account.id == kit.principal(request).account_id:
        kit.flash(request, "Choose another account (your own password: the Password page).",
                  "error")
        raise kit.redirect("/accounts")
    backend = kit.site_of(request).backend
    assert isinstance(backend, EventMgrWebBackend)
    try:
        await backend.set_password(account.id, data.get("password", ""))
    except kit.PasswordChangeRefused as exc:
        kit.flash(request, f"{account.username}: {exc.text} ({exc.code})", "error")
    else:
        _log(request, account.username, "password set")
        kit.flash(request, f"Password of {account.username!r} set.")
    raise kit.redirect("/accounts")
