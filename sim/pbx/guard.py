"""The call server's access control: per-IP authentication-failure blocking (SEED-MV §8.2.1
"DoS protection") and the failed/successful access logs (SEED-MV §5.6.1). Sans-I/O: every
call takes `now`.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from dataclasses import asdict, dataclass, field


@dataclass
class _Host:
    failures: Counter[str] = field(default_factory=Counter)
    """Failures since the last block, by the account they named."""
    blocked_until: float = 0.0


class IpGuard:
    """Counts SIP authentication failures per IP address and blocks the address for
    `block_seconds` once `max_failures` are reached.

    Decision (SEED-MV says only "after 10 failed attempts"): the count is per address, and a
    successful authentication of account A from address X clears only the failures from X
    that named A. Clearing the whole address would let anyone who knows one password guess
    another account's forever (9 guesses, 1 valid login, repeat); keeping A's own failures
    after A got in would block a phone whose user once mistyped its password.
    """

    def __init__(self, max_failures: int, block_seconds: float) -> None:
        self.max_failures = max_failures
        self.block_seconds = block_seconds
        self._hosts: dict[str, _Host] = {}

    def blocked(self, host: str, now: float) -> bool:
        record = self._hosts.get(host)
        return record is not None and record.blocked_until > now

    def blocked_until(self, host: str) -> float | None:
        record = self._hosts.get(host)
        return record.blocked_until if record is not None and record.blocked_until else None

    def failure(self, host: str, account: str, now: float) -> bool:
        """Count one failure from `host` whose credentials named `account`; True if `host` is
        blocked from now on."""
        record = self._hosts.setdefault(host, _Host())
        if record.blocked_until and record.blocked_until <= now:
            record.blocked_until = 0.0  # the old block ran out: count afresh
        record.failures[account] += 1
        if record.failures.total() >= self.max_failures:
            record.failures.clear()
            record.blocked_until = now + self.block_seconds
            return True
        return False

    def success(self, host: str, account: str) -> None:
        """`account` authenticated from `host`: forget the failures from `host` that named it."""
        record = self._hosts.get(host)
        if record is None:
            return
        record.failures.pop(account, None)
        if not record.failures and not record.blocked_until:
            del self._hosts[host]

    def failures(self, host: str, account: str | None = None) -> int:
        """Failures counted against `host` (only those naming `account`, when given)."""
        record = self._hosts.get(host)
        if record is None:
            return 0
        return record.failures.total() if account is None else record.failures[account]


@dataclass(frozen=True)
class AccessRecord:
    """One login attempt: a REGISTER or INVITE that carried credentials, or one refused
    unchecked because its address is blocked."""

    at: float
    """When, in seconds of the caller's clock (the server uses wall-clock time)."""
    user: str
    """The user name the credentials named (a refused request without credentials: the
    account it acted for)."""
    host: str
    """The source IP address."""
    method: str
    """REGISTER or INVITE."""
    reason: str = ""
    """Why it failed ("blocked": refused unchecked, from a blocked address); empty for a
    success."""
    transport: str = "UDP"
    """UDP, TCP or TLS."""


class AccessLog:
    """The last `depth` failed and the last `depth` successful logins (SEED-MV §5.6.1)."""

    def __init__(self, depth: int = 20) -> None:
        self._failed: deque[AccessRecord] = deque(maxlen=depth)
        self._successful: deque[AccessRecord] = deque(maxlen=depth)

    def record(self, entry: AccessRecord) -> None:
        (self._failed if entry.reason else self._successful).append(entry)

    def failed(self) -> list[AccessRecord]:
        """Failed logins, oldest first."""
        return list(self._failed)

    def successful(self) -> list[AccessRecord]:
        """Successful logins, oldest first."""
        return list(self._successful)

    def to_json(self) -> str:
        return json.dumps({"failed": [asdict(e) for e in self._failed],
                           "successful": [asdict(e) for e in self._successful]})
