"""What a component gives the web platform: who it is, its accounts, its banner and event log.
The platform never reads a component's model; it asks its WebBackend (the OMM's is
omm.web.backend.OmmWebBackend; the MOM and Event Manager will have theirs).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Principal:
    """The account a request acts as, re-read from the component at every request."""

    account_id: int
    """The component's account id."""
    username: str
    can_write: bool
    """Full access; False: read-only (sees every page, changes nothing)."""
    must_change_password: bool = False
    """Still the vendor's default password (or aged out): only the password page is open."""


class PasswordChangeRefused(Exception):
    """A new password was refused; `code` is the rule's code (EPw*, or EAuth for a wrong
    current password), `text` a sentence saying what to change."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


class WebEventKind(enum.StrEnum):
    """What the platform reports to the component's event log."""

    LOGIN = "login"
    LOGIN_FAILED = "login-failed"
    LOGOUT = "logout"
    EXPIRED = "expired"
    """Ended after IDLE_TIMEOUT_S without a request."""
    ENDED = "ended"
    """Ended by the platform: the account is gone or inactive, or a newer login evicted it."""
    PASSWORD_CHANGED = "password-changed"
    BANNER_REFUSED = "banner-refused"


@dataclass(frozen=True, slots=True)
class WebEvent:
    """One thing to log; never carries a password."""

    kind: WebEventKind
    username: str
    """As typed at a failed login (the component shortens and cleans it for its log)."""
    peer: str
    """The browser's address."""
    reason: str = ""


class WebBackend(Protocol):
    """A component's face towards its web UI."""

    @property
    def product(self) -> str:
        """The product's name in titles ("OMM")."""
        ...

    def host_name(self) -> str:
        """The installation's name, shown in every page's header."""
        ...

    async def authenticate(self, username: str, password: str, peer: str) -> Principal | None:
        """The account `username` logs in to with `password`, None if refused (wrong, unknown,
        inactive, or an account that never logs in to the web UI). The password hash runs
        off the event loop."""
        ...

    def principal(self, account_id: int) -> Principal | None:
        """The account as it is now; None if it was deleted or deactivated."""
        ...

    async def change_password(self, account_id: int, old: str, new: str) -> None:
        """Set the account's own password; PasswordChangeRefused with the rule's code."""
        ...

    def password_rules(self) -> str:
        """The password rules in a sentence, shown on the password change page."""
        ...

    def banner(self) -> str | None:
        """The login banner's text when it is active, else None."""
        ...

    def log_event(self, event: WebEvent) -> None:
        """Write a login, failed login, logout or session end to the event log."""
        ...
