"""OMM accounts for AXI, OMP and the web UI: salted password hashes, password rules, roles.

Implements axi.md §5.5 (AccountType), §2.3 (EPw* error codes) and features.md §2.10
(preset accounts, salted hashes, forced change of the default credentials).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# AXI PermissionType, in the schema's order.
PERMISSIONS: tuple[str, ...] = (
    "AllCnfWrite",
    "AllCnfRead",
    "InfoMessaging",
    "Messaging",
    "Alerting",
    "LocatingAlert",
    "Locating",
    "Monitoring",
    "Conferencing",
    "Video",
)

# AXI AccountAgingType and AccountStateTypeType values.
AGING_VALUES: tuple[str, ...] = (
    "time3Months",
    "time6Months",
    "count50Logins",
    "count100Logins",
    "none",
)
ACCOUNT_STATES: tuple[str, ...] = ("dontCare", "changed", "notChanged", "expired")

PRESET_ACCOUNTS: tuple[str, ...] = ("omm", "root", "user")
"""Accounts every OMM has; none can be renamed or deleted (SEED-SD)."""

DEFAULT_CREDENTIALS: dict[str, str] = {"omm": "omm"}
"""The vendor's default full-access login; must be changed at first login (SEED-SD)."""

PASSWORD_MAX_LEN = 64
"""Longest password accepted; the AXI layer answers ETooLong with this as maxLen."""


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """The OMM password rules.

    ASSUMPTION: the real rules (OM System Manual §6.4.4) are fixed but not public. These
    values are plausible stand-ins chosen for the emulator; only the error codes are
    real (axi.md §2.3). They are checked in the order of `check_password_rules`.
    """

    min_length: int = 8
    """EPwTooShort below this many characters."""
    min_classes: int = 3
    """EPwTooWeak with fewer of: lower case, upper case, digit, other."""
    max_run: int = 2
    """EPwTooManySimilarChars with more identical characters in a row."""
    min_name_len: int = 3
    """A user or host name shorter than this is not searched for in the password."""
    min_distance: int = 3
    """EPwTooSimilar with a smaller (case-insensitive) edit distance to the old password."""


PASSWORD_POLICY = PasswordPolicy()

# scrypt cost (about 16 MiB; `sipdect bench axi` reports the time per hash, goal 100 ms).
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_LEN = 16
HASH_LEN = 32
_SCHEME = "scrypt"
_SCRYPT_MAXMEM = 64 * 1024 * 1024


def hash_password(password: str) -> str:
    """A salted scrypt hash: `scrypt$N$r$p$<salt b64>$<hash b64>`."""
    salt = secrets.token_bytes(SALT_LEN)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_LEN)
    return "$".join(
        (_SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest))
    )


def verify_password(password: str, stored: str) -> bool:
    """True if `password` matches `stored`; a malformed `stored` never matches."""
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
        if scheme != _SCHEME:
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(hash_b64, validate=True)
        actual = _scrypt(password, salt, int(n), int(r), int(p), len(expected))
    except (ValueError, binascii.Error, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=dklen,
        maxmem=_SCRYPT_MAXMEM,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- md5-crypt: what SIP-DECT keeps for the RFPs' SSH shells -------------------------------------

MD5_CRYPT_MAGIC = "$1$"
MD5_CRYPT_ROUNDS = 1000
_CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Which digest octets make each group of four output characters (the scheme's fixed order).
_MD5_CRYPT_GROUPS = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))


def md5_crypt(password: str, salt: str = "") -> str:
    """The md5-crypt string (`$1$salt$hash`) of `password`, as crypt(3) makes it.

    The OMM pushes its root and full-access passwords to the RFPs in this form with an empty
    salt (`$1$$...`, omm-rfp.md §2.5 and §4.7 SYS_PASSWD); it is a weak hash and used for
    nothing else here.
    """
    pw = password.encode("utf-8", "surrogatepass")
    salt_b = salt.encode("ascii")[:8]
    magic = MD5_CRYPT_MAGIC.encode("ascii")
    alternate = hashlib.md5(pw + salt_b + pw).digest()
    ctx = hashlib.md5(pw + magic + salt_b)
    for n in range(len(pw), 0, -16):
        ctx.update(alternate[: min(16, n)])
    n = len(pw)
    while n:
        ctx.update(b"\0" if n & 1 else pw[:1])
        n >>= 1
    digest = ctx.digest()
    md5 = hashlib.md5
    for i in range(MD5_CRYPT_ROUNDS):
        # One hash of one joined input per round: the scheme's odd/even, %3 and %7 parts.
        middle = (salt_b if i % 3 else b"") + (pw if i % 7 else b"")
        digest = md5(pw + middle + digest if i & 1 else digest + middle + pw).digest()
    out = [_crypt64((digest[a] << 16) | (digest[b] << 8) | digest[c], 4)
           for a, b, c in _MD5_CRYPT_GROUPS]
    out.append(_crypt64(digest[11], 2))
    return f"{MD5_CRYPT_MAGIC}{salt_b.decode('ascii')}${''.join(out)}"


def verify_md5_crypt(password: str, stored: str) -> bool:
    """True if `password` matches the md5-crypt string `stored`; anything else never does."""
    if not stored.startswith(MD5_CRYPT_MAGIC) or stored.count("$") != 3:
        return False
    salt = stored[len(MD5_CRYPT_MAGIC):].split("$", 1)[0]
    try:
        made = md5_crypt(password, salt)
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(made.encode("ascii"), stored.encode("ascii", "replace"))


def _crypt64(value: int, chars: int) -> str:
    out = []
    for _ in range(chars):
        out.append(_CRYPT_ALPHABET[value & 0x3F])
        value >>= 6
    return "".join(out)


class PasswordRejected(Exception):
    """A new password breaks a rule; `code` is the AXI errCode, `info` says what to change."""

    def __init__(self, code: str, info: str) -> None:
        super().__init__(f"{code}: {info}")
        self.code = code
        self.info = info


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions) between `a` and `b`."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _classes(password: str) -> int:
    lower = any(c.islower() for c in password)
    upper = any(c.isupper() for c in password)
    digit = any(c.isdigit() for c in password)
    other = any(not (c.islower() or c.isupper() or c.isdigit()) for c in password)
    return lower + upper + digit + other


def _longest_run(password: str) -> int:
    longest = run = 0
    previous = None
    for c in password:
        run = run + 1 if c == previous else 1
        previous = c
        longest = max(longest, run)
    return longest


def _host_names(hostname: str) -> list[str]:
    # The whole name and its first DNS label ("omm1" of "omm1.example.com").
    names = [hostname, hostname.split(".", 1)[0]]
    return [n for n in dict.fromkeys(names) if n]


def check_password_rules(
    new: str,
    *,
    username: str,
    old: str | None = None,
    hostname: str | None = None,
    policy: PasswordPolicy = PASSWORD_POLICY,
) -> None:
    """Raise PasswordRejected if `new` may not become the password of `username`."""
    if not new:
        raise PasswordRejected("EPwEmpty", "Enter a password; it must not be empty.")
    if len(new) < policy.min_length:
        raise PasswordRejected(
            "EPwTooShort", f"Use at least {policy.min_length} characters for the password."
        )
    if _classes(new) < policy.min_classes:
        raise PasswordRejected(
            "EPwTooWeak",
            f"Use at least {policy.min_classes} of: lower-case letters, upper-case letters, "
            "digits, other characters.",
        )
    if _longest_run(new) > policy.max_run:
        raise PasswordRejected(
            "EPwTooManySimilarChars",
            f"Do not repeat a character more than {policy.max_run} times in a row.",
        )
    folded = new.casefold()
    if len(username) >= policy.min_name_len and username.casefold() in folded:
        raise PasswordRejected("EPwSimilarToName", "The password must not contain the user name.")
    if hostname:
        for name in _host_names(hostname):
            if len(name) >= policy.min_name_len and name.casefold() in folded:
                raise PasswordRejected(
                    "EPwSimilarToHost", "The password must not contain the host name."
                )
    if old is not None:
        if new == old:
            raise PasswordRejected(
                "EPwUnchanged", "Choose a password different from the current one."
            )
        if levenshtein(folded, old.casefold()) < policy.min_distance:
            raise PasswordRejected(
                "EPwTooSimilar",
                f"Change at least {policy.min_distance} characters of the current password.",
            )


def describe_password_rules(policy: PasswordPolicy = PASSWORD_POLICY) -> str:
    """The rules of check_password_rules as one sentence (the password pages show it)."""
    return (f"At least {policy.min_length} characters, of at least {policy.min_classes} kinds "
            "(lower case, upper case, digits, other), no character more than "
            f"{policy.max_run} times in a row, not the user or host name, at least "
            f"{policy.min_distance} characters different from the current password.")


# States in which the account may do nothing but change its own password.
_MUST_CHANGE_STATES = frozenset({"notChanged", "expired"})


@dataclass
class Account:
    """One OMM account (AXI AccountType, without the plaintext password)."""

    id: int
    """AXI account id; the preset accounts appear with ids 0..2 in OpenResp accountState."""
    username: str
    password_hash: str
    """`hash_password` output; never the password itself."""
    permissions: tuple[str, ...]
    """PermissionType names, a subset of PERMISSIONS."""
    active: bool = True
    aging: str = "none"
    """AccountAgingType: time3Months, time6Months, count50Logins, count100Logins, none."""
    expire: int = 0
    """AXI `expire` as the OMM reports it (0 = never)."""
    state: str = "notChanged"
    """AccountStateTypeType: dontCare, changed, notChanged (default password never
    changed), expired (aged out)."""

    def __post_init__(self) -> None:
        unknown = [p for p in self.permissions if p not in PERMISSIONS]
        if unknown:
            raise ValueError(f"unknown permission {unknown[0]!r}; use one of {PERMISSIONS}")
        if self.aging not in AGING_VALUES:
            raise ValueError(f"unknown aging {self.aging!r}; use one of {AGING_VALUES}")
        if self.state not in ACCOUNT_STATES:
            raise ValueError(f"unknown account state {self.state!r}; use one of {ACCOUNT_STATES}")

    def has(self, permission: str) -> bool:
        """True if the account holds `permission` (a PermissionType name)."""
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        return permission in self.permissions

    @property
    def can_read(self) -> bool:
        """May read the configuration (AllCnfRead, or AllCnfWrite which implies it)."""
        return "AllCnfRead" in self.permissions or "AllCnfWrite" in self.permissions

    @property
    def can_write(self) -> bool:
        """May change the configuration (full access)."""
        return "AllCnfWrite" in self.permissions

    @property
    def must_change_password(self) -> bool:
        """True while the account may do nothing but set a new password.

        Decided on `state` alone: "notChanged" (still the vendor default) or "expired"
        (aged out). The model sets the state; no plaintext default is compared here, so
        a default password that was "changed" to itself is caught by EPwUnchanged instead.
        """
        return self.state in _MUST_CHANGE_STATES

    def verify(self, password: str) -> bool:
        """True if `password` is this account's password."""
        return verify_password(password, self.password_hash)

    def with_password(self, password: str) -> Account:
        """A copy with a new password hash and state "changed" (rules already checked)."""
        return dataclasses.replace(self, password_hash=hash_password(password), state="changed")


# -- what the OMM's and the MOM's account tables share (records are dicts: AXI AccountType) --

FULL_ACCESS: tuple[str, ...] = tuple(PERMISSIONS)
READ_ONLY: tuple[str, ...] = ("AllCnfRead",)


@dataclass(frozen=True)
class InitialAccount:
    """An account a system config sets up on a new installation (OMM or MOM)."""

    username: str
    password: str
    permissions: tuple[str, ...] = FULL_ACCESS


@dataclass(frozen=True)
class LoginAttempt:
    """A login's credentials and the stored hash to check them against. check() is the slow
    part (a password hash) and touches nothing but these fields, so it may run in a worker
    thread while the model goes on; login_verdict() then decides on the event loop."""

    username: str
    password: str
    stored_hash: str
    """The account's hash, or a dummy one so that unknown names cost the same time."""
    usable: bool
    """The account exists, is active and a password was given."""

    def check(self) -> bool:
        return verify_password(self.password, self.stored_hash)


DUMMY_HASH = hash_password("sipdect-dummy-password")
"""What a login of an unknown or inactive account is checked against, so that it costs as long
as a known one (no user names found by timing); shared by the OMM, the MOM and the Event
Manager."""


def can_read(acc: Mapping[str, Any]) -> bool:
    return bool({"AllCnfRead", "AllCnfWrite"} & set(acc["permission"]))


def can_write(acc: Mapping[str, Any]) -> bool:
    return "AllCnfWrite" in acc["permission"]


def must_change_password(acc: Mapping[str, Any]) -> bool:
    return acc.get("state") in _MUST_CHANGE_STATES
