"""Configuration of the embedded call server: every MiVoice Office 400 "IP Network Security
General" DoS default (SEED-MV §8.2.1, features.md §2.10), the access-log depth (§5.6.1) and
the SRTP setting (default No, §8.2.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sim.pbx.srtp import SrtpPolicy
from sipdect.sip import constants as c

DIGEST_ALGORITHMS = ("MD5",)
"""MD5 only, by default: phones of MiVO400's generation know no other, sipp 3.6 answers only
the first challenge and fails on SHA-256, and baresip 1.0 (libre) gives up on the whole
401 ("Register: Function not implemented") when any challenge names SHA-256. Add "SHA-256"
(first, to prefer it) for clients that know RFC 8760."""

ACCESS_LOG_DEPTH = 20
"""SEED-MV §5.6.1: the last 20 failed and the last 20 successful access attempts."""


@dataclass(frozen=True)
class PbxConfig:
    """One call server's accounts, registration intervals and protections."""

    accounts: dict[str, str] = field(default_factory=dict)
    """SIP user name (the number) -> password, for REGISTER and INVITE digest authentication."""
    auth_ids: dict[str, str] = field(default_factory=dict)
    """SIP user name -> digest user name, for users whose auth id is not their number."""
    realm: str = "pbx.sipdect"
    """Digest realm of the challenges."""
    min_expires: int = 60
    """Shorter registrations are answered 423 Interval Too Brief with this Min-Expires."""
    default_expires: int = 3600
    """Registration interval when the REGISTER names none."""
    max_expires: int = 7200
    """Longer registrations are granted this long."""
    max_auth_failures: int = c.MIVO400_MAX_AUTH_FAILURES
    """SIP authentication failures from one IP address before it is blocked."""
    block_seconds: float = c.MIVO400_BLOCK_SECONDS
    """How long a suspicious IP address stays blocked."""
    max_transactions_per_ip: int = c.MIVO400_MAX_TRANSACTIONS_PER_IP
    """Live SIP server transactions per IP address; more are answered 503."""
    access_log_depth: int = ACCESS_LOG_DEPTH
    """Entries kept in each of the failed and successful access logs."""
    srtp: SrtpPolicy = SrtpPolicy.NO
    """Which SDP offers INVITEs may carry (sim.pbx.srtp)."""
    digest_algorithms: tuple[str, ...] = DIGEST_ALGORITHMS
    """Digest challenges offered, one each, in this order."""

    def __post_init__(self) -> None:
        if not 0 < self.min_expires <= self.default_expires <= self.max_expires:
            raise ValueError("pbx: need 0 < min_expires <= default_expires <= max_expires")
        if self.max_auth_failures < 1 or self.max_transactions_per_ip < 1:
            raise ValueError("pbx: max_auth_failures and max_transactions_per_ip must be >= 1")
        if not self.digest_algorithms:
            raise ValueError("pbx: offer at least one digest algorithm")
        if not isinstance(self.srtp, SrtpPolicy):
            raise ValueError(f"pbx: srtp must be one of {', '.join(SrtpPolicy)}")
        digest_names = [self.auth_ids.get(user, user) for user in self.accounts]
        if len(set(digest_names)) != len(digest_names):
            raise ValueError("pbx: two accounts share one auth id")

    @cached_property
    def _by_digest_name(self) -> dict[str, str]:
        return {self.auth_id(user): password for user, password in self.accounts.items()}

    def password_of(self, digest_name: str) -> str | None:
        """The password of the account that authenticates as `digest_name`."""
        return self._by_digest_name.get(digest_name)

    def auth_id(self, user: str) -> str:
        """The digest user name `user` authenticates with."""
        return self.auth_ids.get(user, user)
