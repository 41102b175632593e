"""Registrar bindings (RFC 3261 §10.3): add, refresh and remove contacts of an address of
record, expire them in virtual time, refuse too brief intervals with 423 (§10.3 step 7).
Sans-I/O: the caller passes `now`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sipdect.sip.message import Address, Peer, Request


class IntervalTooBrief(Exception):  # noqa: N818 -- named after the 423 reason phrase
    """A contact asked for less than the minimum; answer 423 with Min-Expires."""

    def __init__(self, min_expires: int) -> None:
        super().__init__(f"registration interval below {min_expires} s")
        self.min_expires = min_expires


@dataclass
class Binding:
    """One registered contact of a user."""

    user: str
    """The address-of-record's user part (the account name)."""
    contact: Address
    """The Contact as registered."""
    expires_at: float
    """When the binding lapses, in the registrar's clock."""
    source: Peer
    """Where the REGISTER came from."""

    def remaining(self, now: float) -> int:
        return max(0, int(self.expires_at - now + 0.5))


class Registrar:
    """Bindings of all users of one call server."""

    def __init__(self, min_expires: int, default_expires: int, max_expires: int) -> None:
        self.min_expires = min_expires
        self.default_expires = default_expires
        self.max_expires = max_expires
        self._bindings: dict[str, dict[str, Binding]] = {}

    def register(self, user: str, request: Request, source: Peer, now: float) -> list[Binding]:
        """Apply a REGISTER for `user`; returns the bindings now in force.

        Raises IntervalTooBrief (nothing changed) or SipParseError (bad Expires/Contact).
        """
        self._purge(user, now)
        header = request.expires
        current = self._bindings.setdefault(user, {})
        if request.contact_star:
            if header != 0:
                raise ValueError("Contact: * needs Expires: 0")  # §10.3 step 6: 400
            current.clear()
            return []
        changes: list[tuple[Address, int]] = []
        for contact in request.contacts:
            raw = contact.params.get("expires")
            expires = int(raw) if raw and raw.isdigit() else header
            expires = self.default_expires if expires is None else expires
            if 0 < expires < self.min_expires:
                raise IntervalTooBrief(self.min_expires)
            changes.append((contact, min(expires, self.max_expires)))
        for contact, expires in changes:
            key = str(contact.uri)
            if expires == 0:
                current.pop(key, None)
            else:
                bare = Address(contact.uri, contact.display_name)
                current[key] = Binding(user, bare, now + expires, source)
        return self.bindings(user, now)

    def bindings(self, user: str, now: float) -> list[Binding]:
        self._purge(user, now)
        return list(self._bindings.get(user, {}).values())

    def all_bindings(self, now: float) -> list[Binding]:
        """Every live binding, by user then contact."""
        return [b for user in sorted(self._bindings) for b in self.bindings(user, now)]

    def lookup(self, user: str, now: float) -> Binding | None:
        """The most recently refreshed live binding of `user`, or None."""
        live = self.bindings(user, now)
        return max(live, key=lambda b: b.expires_at) if live else None

    def _purge(self, user: str, now: float) -> None:
        current = self._bindings.get(user)
        if current:
            for key in [k for k, b in current.items() if b.expires_at <= now]:
                del current[key]
