"""AXI accounts of one OMM: login, permissions, forced change of the default password.

Seed 000 "Identity, Authentication and Password Policies": the preconfigured
full-access account 'omm' starts with the vendor default password, which must be
changed before anything else; passwords are stored as salted hashes only; failed
logins are logged, never locked out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from omm.errors import Denied, Exists, Forbidden, Invalid, ModelError, NoMemory, NotFound
from omm.tables import Change, Record, Table, apply
from sipdect.accounts import (
    DEFAULT_CREDENTIALS,
    DUMMY_HASH,
    FULL_ACCESS,
    PERMISSIONS,
    READ_ONLY,
    InitialAccount,
    LoginAttempt,
    PasswordRejected,
    can_write,
    check_password_rules,
    hash_password,
    md5_crypt,
    verify_password,
)
from sipdect.store import Store


@dataclass(frozen=True, slots=True)
class Preset:
    """One of the accounts every OMM has (seed 000: "omm", "root" and "user" cannot be
    changed or deleted). What each one is follows the OM System Manual R3.0 (§1.6 "Logins
    and passwords", §6.4.4): the one table of what they are; nothing else names them."""

    id: int
    username: str
    permissions: tuple[str, ...]
    default_password: str
    """The vendor's default, hashed at the first start (never shown, never logged)."""
    logs_in: bool
    """May log in to AXI and the web UI at all (root is the RFPs' root shell only)."""
    default_logs_in: bool
    """May log in while still on the vendor default (then only to change it: omm)."""
    purpose: str


#: omm: the full-access administrator (omm/omm, forced change at the first login).
#: root: the RFPs' SSH root shell password; never logs in to AXI or the web UI
#:       (root/22222 is the RFP's factory root login, seed "Securing OS User Interfaces").
#: user: the read-only account; usable once omm gave it a password of its own (its default
#:       "user" never logs in: decided, the product's default is not public).
PRESETS: tuple[Preset, ...] = (
    Preset(1, "omm", FULL_ACCESS, DEFAULT_CREDENTIALS["omm"], True, True,
           "full access administrator"),
    Preset(2, "root", (), "22222", False, False, "the RFPs' root shell (SSH only)"),
    Preset(3, "user", READ_ONLY, "user", True, False, "read-only access"),
)
PRESET_BY_ID: dict[int, Preset] = {p.id: p for p in PRESETS}
PRESET_BY_NAME: dict[str, Preset] = {p.username: p for p in PRESETS}
#: Account 'omm' (id 1): full access always, never deactivated.
PRESET_ID = 1
MAX_ACCOUNTS = 20  # [A] not public
PROVISIONING_ID = 0
"""The actor of the OMM's own provisioning (its configuration files, omm.provisioning): full
access, logged in by nobody, in no table (account ids start at 1)."""


CRYPT_HASH_FIELD = "cryptHash"
"""Each account's password also as md5-crypt with an empty salt (`$1$$...`): what the OMM
pushes to its RFPs for their SSH shells (SYS_PASSWD, omm-rfp.md §4.7), as a real OMM keeps
it in omm_conf (`UA|r|root|$1$$...`). Never shown over AXI."""


class PasswordError(ModelError):
    """A new password breaks a rule; code is the rule's EPw... code."""

    def __init__(self, code: str, info: str) -> None:
        super().__init__(info, "password")
        self.code = code


class Accounts:
    def __init__(self, store: Store, notify: Callable[[Change], None], hostname: str,
                 initial: Iterable[InitialAccount],
                 initial_hashes: dict[str, str] | None = None) -> None:
        """initial_hashes: the hash of each initial account's password made before, by
        "username\0password", reused (and filled) when seeding again (a reset)."""
        self.table = Table(store, "accounts", "account", "id", notify)
        self.hostname = hostname
        self._initial_hashes = {} if initial_hashes is None else initial_hashes
        if not len(self.table):
            self._seed(list(initial))

    def _seed(self, initial: list[InitialAccount]) -> None:
        by_name = {a.username: a for a in initial}
        for preset in PRESETS:
            given = by_name.pop(preset.username, None)
            self._insert(preset.id, preset.username,
                         given.password if given else preset.default_password,
                         preset.permissions, "changed" if given else "notChanged")
        for acc in by_name.values():
            self._insert(self.table.next_key(), acc.username, acc.password, acc.permissions,
                         "changed")

    def _insert(self, acc_id: int, username: str, password: str, permissions: Iterable[str],
                state: str) -> Record:
        key = f"{username}\0{password}"
        hashed = self._initial_hashes.get(key)
        if hashed is None:
            hashed = self._initial_hashes[key] = hash_password(password)
        rec = {"id": acc_id, "username": username, "passwordHash": hashed,
               CRYPT_HASH_FIELD: md5_crypt(password),
               "permission": list(permissions), "active": True, "aging": "none", "expire": 0,
               "state": state}
        return self.table.insert(rec)

    def get(self, acc_id: int) -> Record:
        rec = self.table.get(acc_id)
        if rec is None:
            raise NotFound(f"no account with id {acc_id}", "id")
        return rec

    def actor(self, acc_id: int) -> Record | None:
        """Who a session acts as: its account, or the provisioning actor (PROVISIONING_ID);
        None when the account is gone."""
        if acc_id == PROVISIONING_ID:
            return {"id": PROVISIONING_ID, "username": "provisioning",
                    "permission": list(FULL_ACCESS), "active": True, "aging": "none",
                    "expire": 0, "state": "changed"}
        return self.table.get(acc_id)

    def by_username(self, username: str) -> Record | None:
        return next((r for r in self.table if r["username"] == username), None)

    def login(self, username: str, password: str) -> Record | None:
        """Check a login at once (the hash blocks the caller); AXI uses the two halves."""
        attempt = self.login_attempt(username, password)
        return self.login_verdict(attempt, attempt.check())

    def login_attempt(self, username: str, password: str) -> LoginAttempt:
        """What to check a login against; unknown users get as long a check as known ones."""
        rec = self.by_username(username)
        if rec is None or not rec["active"] or not password:
            return LoginAttempt(username, password or "x", DUMMY_HASH, False)
        return LoginAttempt(username, password, rec["passwordHash"], True)

    def login_verdict(self, attempt: LoginAttempt, matched: bool) -> Record | None:
        """The account logged in to, if the password matched and the account is still the
        one checked against (not deleted, deactivated or given a new password meanwhile)."""
        if not (attempt.usable and matched):
            return None
        rec = self.by_username(attempt.username)
        if rec is None or not rec["active"] or rec["passwordHash"] != attempt.stored_hash:
            return None
        if not may_log_in(rec):
            return None
        return rec

    def _check_permissions(self, perms: Iterable[str]) -> list[str]:
        out = []
        for p in perms:
            if p not in PERMISSIONS:
                raise Invalid(f"unknown permission '{p}'", "permission")
            if p not in out:
                out.append(p)
        return out

    def _checked_hash(self, username: str, new: str, old: str | None) -> str:
        try:
            check_password_rules(new, username=username, old=old, hostname=self.hostname)
        except PasswordRejected as exc:
            raise PasswordError(exc.code, exc.info) from None
        return hash_password(new)

    def check_new_password(self, acc_id: int, new: str, old: str | None) -> None:
        """PasswordError if `new` breaks a rule for this account (the rules update applies);
        the web UI checks first, then hashes off the event loop (set_password_hash)."""
        try:
            check_password_rules(new, username=self.get(acc_id)["username"], old=old,
                                 hostname=self.hostname)
        except PasswordRejected as exc:
            raise PasswordError(exc.code, exc.info) from None

    def set_password_hash(self, acc_id: int, new_hash: str, was_hash: str,
                          crypt_hash: str) -> Record:
        """Store a new password's hashes (rules checked by check_new_password; `crypt_hash`
        its md5_crypt) if the account still has `was_hash` (nobody changed it meanwhile);
        the state becomes "changed"."""
        rec = self.get(acc_id)
        if rec["passwordHash"] != was_hash:
            raise Invalid("the password was changed meanwhile; try again", "password")
        return self.table.update(rec, apply(rec, {"passwordHash": new_hash,
                                                  CRYPT_HASH_FIELD: crypt_hash,
                                                  "state": "changed"}))

    def create(self, values: dict[str, Any], permissions: list[str]) -> Record:
        if len(self.table) >= MAX_ACCOUNTS:
            raise NoMemory(f"at most {MAX_ACCOUNTS} accounts")
        username = values.get("username", "")
        if not username:
            raise Invalid("an account needs a username", "username")
        if self.by_username(username) is not None:
            raise Exists(f"account '{username}' exists already", "username")
        password = values.get("password", "")
        pw_hash = self._checked_hash(username, password, None)
        rec = {"id": self.table.next_key(), "username": username, "passwordHash": pw_hash,
               CRYPT_HASH_FIELD: md5_crypt(password),
               "permission": self._check_permissions(permissions),
               "active": values.get("active", True), "aging": values.get("aging", "none"),
               "expire": 0, "state": "changed"}
        return self.table.insert(rec)

    def update(self, actor: Record, acc_id: int, values: dict[str, Any],
               permissions: list[str] | None) -> Record:
        rec = self.get(acc_id)
        own = actor["id"] == acc_id
        if not own and not can_write(actor):
            raise Denied("changing another account needs AllCnfWrite")
        new: dict[str, Any] = {}
        if "username" in values and values["username"] != rec["username"]:
            if acc_id in PRESET_BY_ID:
                raise Forbidden(f"the preset account '{rec['username']}' cannot be renamed",
                                "username")
            if self.by_username(values["username"]) is not None:
                raise Exists(f"account '{values['username']}' exists already", "username")
            new["username"] = values["username"]
        if "password" in values:
            if own:
                old = values.get("oldPassword")
                if old is None:
                    raise Invalid("changing your own password needs oldPassword", "oldPassword")
                if not verify_password(old, rec["passwordHash"]):
                    raise Invalid("oldPassword is wrong", "oldPassword")
            else:
                old = None
            new["passwordHash"] = self._checked_hash(str(new.get("username", rec["username"])),
                                                     values["password"], old)
            new[CRYPT_HASH_FIELD] = md5_crypt(values["password"])
            new["state"] = "changed"
        if permissions is not None:
            if not can_write(actor):
                raise Denied("changing permissions needs AllCnfWrite")
            preset = PRESET_BY_ID.get(acc_id)
            if preset is not None and set(permissions) != set(preset.permissions):
                raise Forbidden(f"the preset account '{preset.username}' keeps its "
                                "permissions", "permission")
            new["permission"] = self._check_permissions(permissions)
        for k in ("active", "aging"):
            if k in values:
                if acc_id == PRESET_ID and k == "active" and not values[k]:
                    raise Forbidden("the preset account 'omm' cannot be deactivated", "active")
                new[k] = values[k]
        return self.table.update(rec, apply(rec, new))

    def delete(self, acc_id: int) -> Record:
        rec = self.get(acc_id)
        if acc_id in PRESET_BY_ID:
            raise Forbidden(f"the preset account '{rec['username']}' cannot be deleted", "id")
        return self.table.remove(acc_id)

    def page(self, start: int, count: int) -> list[Record]:
        return self.table.page(start, count)


def may_log_in(rec: Record) -> bool:
    """Whether an account may log in (AXI, web UI) at all: not root, and not user while it
    still has the vendor default (PRESETS)."""
    preset = PRESET_BY_NAME.get(rec["username"]) if rec["id"] in PRESET_BY_ID else None
    if preset is None:
        return True
    if not preset.logs_in:
        return False
    return preset.default_logs_in or rec.get("state") != "notChanged"

