"""The Event Manager web UI's accounts (seed 000 "Identity, Authentication and Password
Policies"; features.md §2.5): the preset `admin` (full access, cannot be deleted or renamed, on
its default password until the forced change), and read-only or full-access accounts admin
makes for other administrators and tools. Salted hashes only (sipdect.accounts), no aging, kept
in the Event Manager's store. The slow hash is the caller's (in a worker thread): this table
only stores and decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from eventmgr import conventions as c

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
"""[I] A user name: 1-32 letters, digits, dot, dash, underscore, starting with a letter or
digit (the product's rule is not public; this one is safe in a log line and a URL)."""
CHANGED, NOT_CHANGED = "changed", "notChanged"
"""AXI AccountStateType values the kit's password logic knows (sipdect.accounts): notChanged
must set a new password before anything else."""


class AccountError(ValueError):
    """A change the accounts refuse; `field` names the form input it is about."""

    def __init__(self, text: str, field: str = "") -> None:
        super().__init__(text)
        self.field = field


@dataclass(frozen=True)
class WebAccount:
    """One account of the web UI."""

    id: int
    username: str
    password_hash: str
    """sipdect.accounts.hash_password output; never the password."""
    can_write: bool
    """Full access; False: read-only."""
    state: str = CHANGED
    """notChanged: still the default password (admin at first), must change it first."""

    @property
    def preset(self) -> bool:
        return self.username == c.ADMIN

    @property
    def must_change_password(self) -> bool:
        return self.state == NOT_CHANGED


class AccountStore(Protocol):
    """Where accounts persist (eventmgr.storage.EventStore)."""

    def accounts(self) -> list[dict[str, Any]]: ...

    def put_account(self, account_id: int, record: dict[str, Any]) -> None: ...

    def delete_account(self, account_id: int) -> None: ...


class WebAccounts:
    """The accounts table over its store."""

    def __init__(self, store: AccountStore) -> None:
        self._store = store
        self._by_id = {int(r["id"]): WebAccount(**r) for r in store.accounts()}

    def ensure_admin(self, default_hash: Callable[[], str]) -> bool:
        """Make the preset admin on a new installation (its default password hashed by
        `default_hash`); True if it was made."""
        if self.by_username(c.ADMIN) is not None:
            return False
        self._put(WebAccount(self._next_id(), c.ADMIN, default_hash(), True, NOT_CHANGED))
        return True

    def __iter__(self) -> Iterator[WebAccount]:
        return iter(sorted(self._by_id.values(), key=lambda a: a.id))

    def get(self, account_id: int) -> WebAccount | None:
        return self._by_id.get(account_id)

    def by_username(self, username: str) -> WebAccount | None:
        folded = username.casefold()
        return next((a for a in self._by_id.values() if a.username.casefold() == folded), None)

    def create(self, username: str, password_hash: str, *, can_write: bool) -> WebAccount:
        """A new account on a password its creator chose (already checked and hashed)."""
        username = username.strip()
        if not USERNAME.match(username):
            raise AccountError("Use 1 to 32 letters, digits, '.', '-' or '_' for the user "
                               "name, starting with a letter or digit.", "username")
        if self.by_username(username) is not None:
            raise AccountError(f"There is an account {username!r} already.", "username")
        account = WebAccount(self._next_id(), username, password_hash, can_write)
        self._put(account)
        return account

    def delete(self, account_id: int) -> WebAccount:
        account = self._existing(account_id)
        if account.preset:
            raise AccountError(f"The preset account {c.ADMIN!r} cannot be deleted.")
        del self._by_id[account_id]
        self._store.delete_account(account_id)
        return account

    def set_password_hash(self, account_id: int, password_hash: str) -> WebAccount:
        """A new password (its rules already checked): the default is then changed."""
        account = replace(self._existing(account_id), password_hash=password_hash,
                          state=CHANGED)
        self._put(account)
        return account

    def _existing(self, account_id: int) -> WebAccount:
        account = self._by_id.get(account_id)
        if account is None:
            raise AccountError(f"There is no account {account_id}.")
        return account

    def _next_id(self) -> int:
        return max(self._by_id, default=0) + 1

    def _put(self, account: WebAccount) -> None:
        self._by_id[account.id] = account
        self._store.put_account(account.id, asdict(account))
