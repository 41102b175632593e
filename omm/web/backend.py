"""The OMM's WebBackend: its accounts (omm.access, the rules AXI logins follow), its login
banner (the LoginBanner setting) and its event log."""

from __future__ import annotations

import asyncio

from omm import banner
from omm.access import PasswordError
from omm.errors import ModelError
from omm.model import OmmModel
from sipdect.accounts import (
    can_write,
    describe_password_rules,
    hash_password,
    md5_crypt,
    must_change_password,
    verify_password,
)
from sipdect.ops.eventlog import times_from_source
from sipdect.web import PasswordChangeRefused, Principal, WebEvent, WebEventKind

SUBSYSTEM = "WEB"
"""The event log's subsystem of the web UI's entries (as "AXI" is the AXI server's)."""


def _shown(username: str, limit: int = 32) -> str:
    clean = "".join(c if c.isprintable() else "?" for c in username[:limit])
    return clean + ("..." if len(username) > limit else "")


class OmmWebBackend:
    """The kit's web platform over one OMM's model."""

    product = "OMM"

    def __init__(self, model: OmmModel) -> None:
        self.model = model

    def host_name(self) -> str:
        return str(self.model.settings.value("SystemName", "name", "OMM"))

    async def authenticate(self, username: str, password: str, peer: str) -> Principal | None:
        attempt = self.model.accounts.login_attempt(username, password)
        matched = await asyncio.to_thread(attempt.check)
        rec = self.model.accounts.login_verdict(attempt, matched)
        return None if rec is None else self._principal(rec)

    def principal(self, account_id: int) -> Principal | None:
        rec = self.model.accounts.table.get(account_id)
        if rec is None or not rec["active"]:
            return None
        return self._principal(rec)

    @staticmethod
    def _principal(rec: dict[str, object]) -> Principal:
        return Principal(int(rec["id"]), str(rec["username"]),  # type: ignore[call-overload]
                         can_write(rec), must_change_password(rec))

    async def change_password(self, account_id: int, old: str, new: str) -> None:
        accounts = self.model.accounts
        rec = accounts.get(account_id)
        was = rec["passwordHash"]
        if not await asyncio.to_thread(verify_password, old, was):
            raise PasswordChangeRefused("EAuth", "The current password is wrong.")
        try:
            accounts.check_new_password(account_id, new, old)
            hashed = await asyncio.to_thread(hash_password, new)
            accounts.set_password_hash(account_id, hashed, was, md5_crypt(new))
        except PasswordError as exc:
            raise PasswordChangeRefused(exc.code, str(exc)) from None
        except ModelError as exc:
            raise PasswordChangeRefused("EFailed", str(exc)) from None

    def password_rules(self) -> str:
        return describe_password_rules()

    def banner(self) -> str | None:
        return banner.text_if_active(self.model.settings)

    def log_event(self, event: WebEvent) -> None:
        who, peer = _shown(event.username), event.peer
        kind = event.kind
        if kind is WebEventKind.LOGIN_FAILED:
            known = self.model.accounts.by_username(event.username) is not None
            key = f"web-login-failed:{event.username}" if known else "web-login-failed-unknown"
            text = (times_from_source(f"Web login failed for user '{who}' from {peer}")
                    if known else
                    times_from_source(f"Web login failed for unknown user '{who}' from {peer}",
                                      "any unknown user name"))
            self.model.log_repeated("MinorErr", SUBSYSTEM, key, peer, text)
            return
        texts = {
            WebEventKind.LOGIN: f"Web login of user '{who}' from {peer}",
            WebEventKind.LOGOUT: f"Web logout of user '{who}' from {peer}",
            WebEventKind.EXPIRED: f"Web session of user '{who}' from {peer} expired: "
                                  f"{event.reason}",
            WebEventKind.ENDED: f"Web session of user '{who}' from {peer} ended: {event.reason}",
            WebEventKind.PASSWORD_CHANGED: f"Web: user '{who}' changed the password "
                                           f"(from {peer})",
            WebEventKind.BANNER_REFUSED: f"Web: the login banner was not acknowledged "
                                         f"(from {peer})",
        }
        self.model.log("GenInfo", SUBSYSTEM, texts[kind])
