"""The web session table with plain values: the fixed 10-minute idle limit, new ids at login,
bounded memory, expiry reported for the event log."""

from __future__ import annotations

from sipdect.web import conventions
from sipdect.web.sessions import SessionTable

IDLE = conventions.IDLE_TIMEOUT_S


def test_the_idle_limit_is_the_seeds_ten_minutes() -> None:
    assert IDLE == 600.0


def test_a_session_lives_while_used_and_ends_ten_minutes_after_its_last_request() -> None:
    table = SessionTable()
    anon = table.anonymous(0.0)
    session, evicted = table.login(anon, 7, "omm", "127.0.0.1", 1.0)
    assert evicted is None and session.token != anon.token and table.peek(anon.token) is None
    assert table.touch(session.token, 1.0 + IDLE - 1) is session  # used: the limit restarts
    assert table.get_timer() == 1.0 + 2 * IDLE - 1
    assert table.touch(session.token, 1.0 + 2 * IDLE - 1.5) is session
    table.handle_timer(1.0 + 3 * IDLE)
    assert table.touch(session.token, 1.0 + 3 * IDLE) is None
    assert [s.username for s in table.expired()] == ["omm"]
    assert table.expired() == [] and table.get_timer() is None


def test_anonymous_expiries_are_not_reported_and_their_number_is_bounded() -> None:
    table = SessionTable()
    first = table.anonymous(0.0)
    for i in range(conventions.MAX_ANONYMOUS):
        table.anonymous(float(i))
    assert table.peek(first.token) is None and len(table) == conventions.MAX_ANONYMOUS
    table.handle_timer(10 * IDLE)
    assert len(table) == 0 and table.expired() == []


def test_the_oldest_login_makes_room_beyond_the_limit() -> None:
    table = SessionTable()
    sessions = [table.login(None, i, f"u{i}", "", float(i))[0]
                for i in range(conventions.MAX_SESSIONS)]
    table.touch(sessions[0].token, 100.0)  # the first is used again: the second is oldest
    _, evicted = table.login(None, 99, "late", "", 101.0)
    assert evicted is sessions[1]
    assert len(table.logged_in) == conventions.MAX_SESSIONS


def test_an_accounts_sessions_end_together_and_tokens_are_unique() -> None:
    table = SessionTable()
    a, _ = table.login(None, 1, "omm", "", 0.0)
    b, _ = table.login(None, 1, "omm", "", 0.0)
    c, _ = table.login(None, 2, "monitor", "", 0.0)
    assert len({a.token, b.token, c.token, a.csrf, b.csrf, c.csrf}) == 6
    assert set(table.end_account(1)) == {a, b}
    assert table.logged_in == [c] and table.end(c.token) is c and table.end(c.token) is None
