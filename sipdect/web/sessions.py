"""Web sessions as a sans-I/O table: fed `now`, it creates, touches and expires sessions and
says when it next needs the clock (seed 000: a web session ends after 10 minutes of
inactivity, fixed). The edge (sipdect.web.site) reads the loop's time and arms one timer.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

from sipdect.web.conventions import (
    IDLE_TIMEOUT_S,
    MAX_ANONYMOUS,
    MAX_SESSIONS,
    SESSION_TOKEN_BYTES,
)


def new_token() -> str:
    """A fresh unguessable token (session id, CSRF token)."""
    return secrets.token_urlsafe(SESSION_TOKEN_BYTES)


@dataclass(eq=False)
class Session:
    """One browser's session: before login (anonymous) or logged in as an account."""

    token: str
    """The cookie's value."""
    csrf: str
    """The token every POST of this session must carry."""
    last_seen: float
    """`now` of the latest request (the idle limit runs from here)."""
    account_id: int | None = None
    """The account logged in; None before login."""
    username: str = ""
    """The account's name at login (for the event log when the account is gone)."""
    peer: str = ""
    """The browser's address at login."""
    banner_acknowledged: bool = False
    """The login banner was acknowledged with OK (before login)."""
    flashes: list[tuple[str, str]] = field(default_factory=list)
    """(kind, text) messages shown once by the next page rendered."""

    @property
    def logged_in(self) -> bool:
        return self.account_id is not None

    @property
    def expires_at(self) -> float:
        return self.last_seen + IDLE_TIMEOUT_S


class SessionTable:
    """Every session of one web server. Sessions are ordered by their last request, so the
    oldest idle one is first (expiry and eviction look at the front only)."""

    def __init__(self) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._anonymous = 0
        self._expired: list[Session] = []

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def logged_in(self) -> list[Session]:
        return [s for s in self._sessions.values() if s.logged_in]

    def anonymous(self, now: float) -> Session:
        """A new session before login (GET /login gives the browser one)."""
        self.handle_timer(now)
        if self._anonymous >= MAX_ANONYMOUS:
            oldest = next(s for s in self._sessions.values() if not s.logged_in)
            self._drop(oldest)
        session = Session(new_token(), new_token(), now)
        self._add(session)
        return session

    def login(self, previous: Session | None, account_id: int, username: str, peer: str,
              now: float) -> tuple[Session, Session | None]:
        """A logged-in session replacing `previous` (a new token: no session fixation).
        Returns it and the logged-in session evicted to make room (MAX_SESSIONS), if any."""
        self.handle_timer(now)
        if previous is not None:
            self.end(previous.token)
        evicted = None
        logged = self.logged_in
        if len(logged) >= MAX_SESSIONS:
            evicted = logged[0]
            self._drop(evicted)
        session = Session(new_token(), new_token(), now, account_id, username, peer, True)
        self._add(session)
        return session, evicted

    def touch(self, token: str, now: float) -> Session | None:
        """The session a request's cookie names, made fresh; None if unknown or idle for
        IDLE_TIMEOUT_S (then it is expired and reported by `expired()`)."""
        self.handle_timer(now)
        session = self._sessions.get(token)
        if session is None:
            return None
        session.last_seen = max(session.last_seen, now)
        self._sessions.move_to_end(token)
        return session

    def peek(self, token: str) -> Session | None:
        """The session without touching it."""
        return self._sessions.get(token)

    def end(self, token: str) -> Session | None:
        """Log out / forget a session; the session ended, if it existed."""
        session = self._sessions.get(token)
        if session is not None:
            self._drop(session)
        return session

    def end_account(self, account_id: int) -> list[Session]:
        """Every session of an account (it was deleted or deactivated)."""
        gone = [s for s in self._sessions.values() if s.account_id == account_id]
        for session in gone:
            self._drop(session)
        return gone

    def get_timer(self) -> float | None:
        """When the oldest session expires; None with no session."""
        first = next(iter(self._sessions.values()), None)
        return None if first is None else first.expires_at

    def handle_timer(self, now: float) -> None:
        """Expire every session idle for IDLE_TIMEOUT_S by `now`."""
        while self._sessions:
            first = next(iter(self._sessions.values()))
            if first.expires_at > now:
                return
            self._drop(first)
            if first.logged_in:
                self._expired.append(first)

    def expired(self) -> list[Session]:
        """Logged-in sessions that expired since the last call (for the event log)."""
        out, self._expired = self._expired, []
        return out

    def _add(self, session: Session) -> None:
        self._sessions[session.token] = session
        if not session.logged_in:
            self._anonymous += 1

    def _drop(self, session: Session) -> None:
        if self._sessions.pop(session.token, None) is not None and not session.logged_in:
            self._anonymous -= 1
