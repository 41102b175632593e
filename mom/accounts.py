"""The MOM's own accounts (MAXI and web UI): the built-in `mom` account, salted hashes,
full access or read-only, never password aging (seed 000 "Identity, Authentication and
Password Policies": "mom" is the one preconfigured user, stored as a salted hash, with no
password aging; it must leave its default password at the first login).

Records are dicts shaped like the OMM's (id, username, passwordHash, permission, active,
aging, expire, state) so MAXI renders them with the kit's ACCOUNT record. Stable methods:
get, by_username, login, login_attempt, login_verdict, create, update, delete, page; the
checks on a record (must_change_password, can_read, can_write) are the kit's
(sipdect.accounts), shared with the OMM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mom.conventions import DEFAULT_PASSWORD, MAX_ACCOUNTS
from mom.directory import Change
from mom.errors import Denied, Exists, Forbidden, Invalid, NoMemory, NotFound, PasswordError
from sipdect.accounts import (
    DUMMY_HASH,
    FULL_ACCESS,
    PERMISSIONS,
    InitialAccount,
    LoginAttempt,
    PasswordRejected,
    can_write,
    check_password_rules,
    hash_password,
    verify_password,
)
from sipdect.axi.sync import MOM_ACCOUNT
from sipdect.store import Store

Record = dict[str, Any]

PRESET_ID = 1
"""The built-in `mom` account; it can be neither renamed, deleted nor restricted."""


class MomAccounts:
    """The accounts table; see the module docstring."""

    def __init__(self, store: Store, announce: Callable[[Change], None], hostname: str,
                 initial: Iterable[InitialAccount]) -> None:
        self.store = store
        self.announce = announce
        self.hostname = hostname
        self.records: dict[int, Record] = {int(k): v for k, v in store.load_json("accounts")}
        if not self.records:
            self._seed(list(initial))

    def _seed(self, initial: list[InitialAccount]) -> None:
        by_name = {a.username: a for a in initial}
        preset = by_name.pop(MOM_ACCOUNT, None)
        with self.store.transaction():
            self._insert(PRESET_ID, MOM_ACCOUNT, preset.password if preset else DEFAULT_PASSWORD,
                         FULL_ACCESS, "changed" if preset else "notChanged")
            for acc in by_name.values():
                self._insert(self._next_id(), acc.username, acc.password, acc.permissions,
                             "changed")

    def _next_id(self) -> int:
        return max(self.records, default=0) + 1

    def _put(self, rec: Record, fields: tuple[str, ...] | None) -> Record:
        self.store.put_json("accounts", rec["id"], rec)
        self.records[rec["id"]] = rec
        self.announce(Change("account", rec["id"], fields))
        return rec

    def _insert(self, acc_id: int, username: str, password: str, permissions: Iterable[str],
                state: str) -> Record:
        return self._put({"id": acc_id, "username": username,
                          "passwordHash": hash_password(password),
                          "permission": list(permissions), "active": True, "aging": "none",
                          "expire": 0, "state": state}, None)

    def get(self, acc_id: int) -> Record:
        rec = self.records.get(acc_id)
        if rec is None:
            raise NotFound(f"no account with id {acc_id}", "id")
        return rec

    def by_username(self, username: str) -> Record | None:
        return next((r for r in self.records.values() if r["username"] == username), None)

    def page(self, start: int, count: int) -> list[Record]:
        return [self.records[k] for k in sorted(self.records) if k >= start][:count]

    def login(self, username: str, password: str) -> Record | None:
        attempt = self.login_attempt(username, password)
        return self.login_verdict(attempt, attempt.check())

    def login_attempt(self, username: str, password: str) -> LoginAttempt:
        rec = self.by_username(username)
        if rec is None or not rec["active"] or not password:
            return LoginAttempt(username, password or "x", DUMMY_HASH, False)
        return LoginAttempt(username, password, rec["passwordHash"], True)

    def login_verdict(self, attempt: LoginAttempt, matched: bool) -> Record | None:
        if not (attempt.usable and matched):
            return None
        rec = self.by_username(attempt.username)
        if rec is None or not rec["active"] or rec["passwordHash"] != attempt.stored_hash:
            return None
        return rec

    def _permissions(self, perms: Iterable[str]) -> list[str]:
        out: list[str] = []
        for p in perms:
            if p not in PERMISSIONS:
                raise Invalid(f"unknown permission '{p}'", "permission")
            if p not in out:
                out.append(p)
        return out

    def _hash(self, username: str, new: str, old: str | None) -> str:
        try:
            check_password_rules(new, username=username, old=old, hostname=self.hostname)
        except PasswordRejected as exc:
            raise PasswordError(exc.code, exc.info) from None
        return hash_password(new)

    @staticmethod
    def _no_aging(values: dict[str, Any]) -> None:
        if values.get("aging", "none") != "none":
            raise Forbidden("the MOM's accounts have no password aging", "aging")

    def create(self, values: dict[str, Any], permissions: list[str]) -> Record:
        if len(self.records) >= MAX_ACCOUNTS:
            raise NoMemory(f"at most {MAX_ACCOUNTS} accounts")
        username = values.get("username", "")
        if not username:
            raise Invalid("an account needs a username", "username")
        if self.by_username(username) is not None:
            raise Exists(f"account '{username}' exists already", "username")
        self._no_aging(values)
        pw_hash = self._hash(username, values.get("password", ""), None)
        return self._put({"id": self._next_id(), "username": username, "passwordHash": pw_hash,
                          "permission": self._permissions(permissions),
                          "active": values.get("active", True), "aging": "none", "expire": 0,
                          "state": "changed"}, None)

    def update(self, actor: Record, acc_id: int, values: dict[str, Any],
               permissions: list[str] | None) -> Record:
        """Change an account; `actor` is the logged-in account (its own password needs
        oldPassword; another's needs full access)."""
        rec = self.get(acc_id)
        own = actor["id"] == acc_id
        if not own and not can_write(actor):
            raise Denied("changing another account needs AllCnfWrite")
        self._no_aging(values)
        new: dict[str, Any] = {}
        if "username" in values and values["username"] != rec["username"]:
            if acc_id == PRESET_ID:
                raise Forbidden(f"the account '{MOM_ACCOUNT}' cannot be renamed", "username")
            if self.by_username(values["username"]) is not None:
                raise Exists(f"account '{values['username']}' exists already", "username")
            new["username"] = values["username"]
        if "password" in values:
            old: str | None = None
            if own:
                old = values.get("oldPassword")
                if old is None:
                    raise Invalid("changing your own password needs oldPassword", "oldPassword")
                if not verify_password(old, rec["passwordHash"]):
                    raise Invalid("oldPassword is wrong", "oldPassword")
            new["passwordHash"] = self._hash(str(new.get("username", rec["username"])),
                                             values["password"], old)
            new["state"] = "changed"
        if permissions is not None:
            if not can_write(actor):
                raise Denied("changing permissions needs AllCnfWrite")
            if acc_id == PRESET_ID and set(permissions) != set(FULL_ACCESS):
                raise Forbidden(f"the account '{MOM_ACCOUNT}' keeps full access", "permission")
            new["permission"] = self._permissions(permissions)
        if "active" in values:
            if acc_id == PRESET_ID and not values["active"]:
                raise Forbidden(f"the account '{MOM_ACCOUNT}' cannot be deactivated", "active")
            new["active"] = values["active"]
        changed = tuple(k for k, v in new.items() if rec.get(k) != v)
        if not changed:
            return rec
        rec.update(new)
        return self._put(rec, changed)

    def delete(self, acc_id: int) -> Record:
        rec = self.get(acc_id)
        if acc_id == PRESET_ID:
            raise Forbidden(f"the account '{MOM_ACCOUNT}' cannot be deleted", "id")
        del self.records[acc_id]
        self.store.delete("accounts", acc_id)
        self.announce(Change("account", acc_id, deleted=True, before=rec))
        return rec

