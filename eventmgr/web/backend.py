"""The Event Manager's WebBackend (docs/web.md): its accounts (eventmgr.accounts: the preset
admin and the accounts admin makes), the kit's password rules, no login banner (seed 000: "The
Event Manager Web UI does not support the login banner") and its event log."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from eventmgr import conventions as c
from eventmgr.accounts import AccountError, WebAccount, WebAccounts
from sipdect.accounts import (
    DUMMY_HASH,
    PasswordRejected,
    check_password_rules,
    describe_password_rules,
    hash_password,
    verify_password,
)
from sipdect.web import PasswordChangeRefused, Principal, WebEvent, WebEventKind

Logger = Callable[[str, str, str], None]
"""The Event Manager's event log: kind, subject, text."""


def shown(username: str, limit: int = 32) -> str:
    """A user name as typed, safe for one log line."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in username[:limit])
    return clean + ("..." if len(username) > limit else "")


class EventMgrWebBackend:
    """The kit's web platform over one Event Manager's accounts and event log."""

    product = "Event Manager"

    def __init__(self, accounts: WebAccounts, name: str, log: Logger) -> None:
        self.accounts = accounts
        self.name = name
        self._log = log

    def host_name(self) -> str:
        return self.name

    async def authenticate(self, username: str, password: str, peer: str) -> Principal | None:
        account = self.accounts.by_username(username)
        stored = account.password_hash if account is not None and password else DUMMY_HASH
        matched = await asyncio.to_thread(verify_password, password or "x", stored)
        if not matched or account is None or not password:
            return None
        account = self.accounts.get(account.id)  # deleted while the hash ran
        return None if account is None else _principal(account)

    def principal(self, account_id: int) -> Principal | None:
        account = self.accounts.get(account_id)
        return None if account is None else _principal(account)

    async def change_password(self, account_id: int, old: str, new: str) -> None:
        account = self.accounts.get(account_id)
        if account is None:
            raise PasswordChangeRefused("EFailed", "The account is gone.")
        if not await asyncio.to_thread(verify_password, old, account.password_hash):
            raise PasswordChangeRefused("EAuth", "The current password is wrong.")
        await self.set_password(account_id, new, old=old)

    async def set_password(self, account_id: int, new: str, *, old: str | None = None) -> None:
        """Check the rules (PasswordChangeRefused), hash off the loop, store."""
        account = self.accounts.get(account_id)
        if account is None:
            raise PasswordChangeRefused("EFailed", "The account is gone.")
        try:
            check_password_rules(new, username=account.username, old=old, hostname=self.name)
        except PasswordRejected as exc:
            raise PasswordChangeRefused(exc.code, exc.info) from None
        hashed = await asyncio.to_thread(hash_password, new)
        try:
            self.accounts.set_password_hash(account_id, hashed)
        except AccountError as exc:
            raise PasswordChangeRefused("EFailed", str(exc)) from None

    def password_rules(self) -> str:
        return describe_password_rules()

    def banner(self) -> str | None:
        return None

    def log_event(self, event: WebEvent) -> None:
        who, peer = shown(event.username), event.peer
        texts = {
            WebEventKind.LOGIN: f"login from {peer}",
            WebEventKind.LOGIN_FAILED: f"login failed from {peer}"
            + ("" if self.accounts.by_username(event.username) else " (no such account)"),
            WebEventKind.LOGOUT: f"logout from {peer}",
            WebEventKind.EXPIRED: f"session from {peer} expired: {event.reason}",
            WebEventKind.ENDED: f"session from {peer} ended: {event.reason}",
            WebEventKind.PASSWORD_CHANGED: f"password changed (from {peer})",
            WebEventKind.BANNER_REFUSED: f"banner refused (from {peer})",
        }
        self._log(c.WEB_LOG_KIND, who, texts[event.kind])


def _principal(account: WebAccount) -> Principal:
    return Principal(account.id, account.username, account.can_write,
                     account.must_change_password)
