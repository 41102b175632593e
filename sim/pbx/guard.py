"""The call server's access control: per-IP authentication-failure blocking (SEED-MV §8.2.1
"DoS protection") and the failed/successful access logs (SEED-MV §5.6.1). Sans-I/O: every
call takes `now`.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import asdict, dataclass


@dataclass
class _Host:
    failures: int = 0
    blocked_until: float = 0.0


class IpGuard:
    """Counts SIP authentication failures per IP address and blocks the address for
    `block_seconds` once `max_failures` are reached; a success clears the count."""

    def __init__(self, max_failures: int, block_seconds: float) -> None:
        self.max_failures = max_failures
        self.block_seconds = block_seconds
        self._hosts: dict[str, _Host] = {}

    def blocked(self, host: str, now: float) -> bool:
        record = self._hosts.get(host)
        if record is None or record.blocked_until <= now:
            return False
        return True

    def blocked_until(self, host: str) -> float | None:
        record = self._hosts.get(host)
        return record.blocked_until if record is not None and record.blocked_until else None

    def failure(self, host: str, now: float) -> bool:
        """Count one failure; True if `host` is blocked from now on."""
        record = self._hosts.setdefault(host, _Host())
        if record.blocked_until and record.blocked_until <= now:
            record.blocked_until = 0.0  # the old block ran out: count afresh
        record.failures += 1
        if record.failures >= self.max_failures:
            record.failures = 0
            record.blocked_until = now + self.block_seconds
            return True
        return False

    def success(self, host: str) -> None:
        self._hosts.pop(host, None)

    def failures(self, host: str) -> int:
        record = self._hosts.get(host)
        return record.failures if record is not None else 0


@dataclass(frozen=True)
class AccessRecord:
    """One login attempt (a REGISTER or INVITE that carried credentials)."""

    at: float
    """When, in seconds of the caller's clock (the server uses wall-clock time)."""
    user: str
    """The user name the credentials named."""
    host: str
    """The source IP address."""
    method: str
    """REGISTER or INVITE."""
    reason: str = ""
    """Why it failed; empty for a success."""
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
