"""User monitoring's per-user state machine (omm.umo.machine), fed plain events and `now`."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from omm.umo import conventions as cv
from omm.umo.machine import CheckHandset, StateChanged, Timing, UserMonitor

MIN = 60.0
TIMING = Timing(passive_timeout=480 * MIN, active_timeout=15 * MIN, escalation_delay=2 * MIN)


def changes(outputs: list[StateChanged | CheckHandset]) -> list[str]:
    return [o.new if isinstance(o, StateChanged) else "check" for o in outputs]


def test_timing_reads_the_parameters_in_minutes() -> None:
    timing = Timing.of({"activityTimeout1": 30, "activityTimeout2": 5, "escalationDelay": 1})
    assert timing == Timing(30 * MIN, 5 * MIN, 1 * MIN)
    assert Timing.of({}) == Timing(480 * MIN, 15 * MIN, 2 * MIN)  # the defaults


def test_active_mode_warns_checks_then_escalates_a_silent_handset() -> None:
    m = UserMonitor("Active", TIMING, now=0.0)
    assert changes(m.activity(10.0)) == ["Available"]
    assert m.get_timer() == 10.0 + 15 * MIN
    assert m.handle_timer(10.0 + 15 * MIN - 1) == []  # early: nothing
    assert changes(m.handle_timer(10.0 + 15 * MIN)) == ["Warning", "check"]
    assert m.get_timer() is None  # waits for the check's outcome
    assert changes(m.lost(1000.0)) == ["Unavailable"]
    assert m.get_timer() == 1000.0 + 2 * MIN
    assert changes(m.handle_timer(1000.0 + 2 * MIN)) == ["Escalated"]
    assert m.get_timer() is None and m.state == "Escalated"
    assert changes(m.activity(5000.0)) == ["Available"]  # the handset is back


def test_a_check_answered_makes_the_user_available_again() -> None:
    m = UserMonitor("Active", TIMING, now=0.0)
    assert changes(m.handle_timer(15 * MIN)) == ["Warning", "check"]
    assert changes(m.activity(15 * MIN + 3)) == ["Available"]
    assert m.get_timer() == 15 * MIN + 3 + 15 * MIN


def test_activity_rearms_the_timeout_while_available() -> None:
    m = UserMonitor("Active", TIMING, now=0.0)
    m.activity(0.0)
    assert m.activity(100.0) == []
    assert m.get_timer() == 100.0 + 15 * MIN


def test_passive_mode_warns_after_timeout_1_and_never_escalates() -> None:
    m = UserMonitor("Passive", TIMING, now=0.0)
    assert changes(m.handle_timer(480 * MIN)) == ["Warning"]  # no check in passive mode
    assert changes(m.lost(480 * MIN + 1)) == ["Unavailable"]
    assert m.get_timer() is None and m.handle_timer(10**9) == []


def test_off_is_unknown_with_no_timer_and_ignores_events() -> None:
    m = UserMonitor("Off", TIMING, now=0.0)
    assert m.get_timer() is None
    assert m.activity(1.0) == [] and m.lost(2.0) == [] and m.state == "Unknown"
    assert m.set_mode("Active", 3.0) == [] and m.get_timer() == 3.0 + 15 * MIN


def test_a_new_mode_starts_afresh() -> None:
    m = UserMonitor("Active", TIMING, now=0.0)
    m.handle_timer(15 * MIN)
    assert changes(m.set_mode("Passive", 1000.0)) == ["Unknown"]
    assert m.get_timer() == 1000.0 + 480 * MIN
    assert changes(m.set_mode("Off", 1001.0)) == []
    assert m.get_timer() is None


EVENTS = st.lists(st.tuples(st.sampled_from(["activity", "lost", "timer", "mode", "timing"]),
                            st.floats(min_value=0.0, max_value=100_000.0),
                            st.sampled_from(cv.MODES)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(mode=st.sampled_from(cv.MODES), events=EVENTS)
def test_any_event_sequence_keeps_a_defined_state(mode: str,
                                                  events: list[tuple[str, float, str]]) -> None:
    m = UserMonitor(mode, TIMING, now=0.0)
    now = 0.0
    for what, step, new_mode in events:
        now += step
        if what == "activity":
            out = m.activity(now)
        elif what == "lost":
            out = m.lost(now)
        elif what == "mode":
            out = m.set_mode(new_mode, now)
        elif what == "timing":
            m.set_timing(Timing(step + 1, step / 2 + 1, step / 3 + 1))
            out = []
        else:
            deadline = m.get_timer()
            now = max(now, deadline) if deadline is not None else now
            out = m.handle_timer(now)
        assert m.state in cv.STATES and m.mode in cv.MODES
        for o in out:
            if isinstance(o, StateChanged):
                assert o.old != o.new and o.new in cv.STATES
            else:
                assert m.mode == "Active" and m.state == "Warning"
        if m.mode == "Off":
            assert m.state == "Unknown" and m.get_timer() is None
        if m.state == "Escalated":
            assert m.mode == "Active"
        deadline = m.get_timer()
        assert deadline is None or deadline >= 0
