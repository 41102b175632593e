"""The standby pair's state machine in virtual time: every row of A.2, every decision, the
timers of A.3 and the AXI view of A.5 (shared/specs/standby-eventmgr.md)."""

from __future__ import annotations

import pytest

from omm.standby import conventions as cv
from omm.standby.conventions import StbState
from omm.standby.machine import (
    TRANSITIONS,
    AcceptPeerDb,
    Action,
    BecomeActive,
    BecomeInactive,
    PeerInfo,
    Phase,
    PushDb,
    Reset,
    StandbyMachine,
    StartPbxProbe,
    Transitioned,
    Trigger,
)

ME, OTHER = "10.0.0.1", "10.0.0.2"
TYPE, VERSION = "linux-pc", "7.1.0"


def machine(address: str = ME, peer: str = OTHER, now: float = 0.0,
            started: float | None = None) -> StandbyMachine:
    return StandbyMachine(now, address, peer, TYPE, VERSION, started=started)


def peer(active: bool, started: float = 0.0, address: str = OTHER, omm_type: str = TYPE,
         version: str = VERSION) -> PeerInfo:
    return PeerInfo(active, started, address, omm_type, version)


def drain(m: StandbyMachine) -> list[Action]:
    out = []
    while (a := m.next_action()) is not None:
        out.append(a)
    return out


def orders(m: StandbyMachine) -> list[Action]:
    """What the owner is told to do, without the log sentences."""
    return [a for a in drain(m) if not isinstance(a, Transitioned)]


def run_until(m: StandbyMachine, t: float) -> None:
    """Let virtual time pass to `t`, running every deadline on the way."""
    while (due := m.get_timer()) is not None and due <= t:
        m.handle_timer(due)


def unsync_inactive(now: float = 0.0) -> StandbyMachine:
    m = machine(now=now)
    run_until(m, now + cv.STARTUP_WAIT_S)
    assert m.phase is Phase.UNSYNC_INACTIVE
    drain(m)
    return m


def unsync_active() -> StandbyMachine:
    m = unsync_inactive()
    m.pbx_answered(cv.STARTUP_WAIT_S + 1)
    assert m.phase is Phase.UNSYNC_ACTIVE
    drain(m)
    return m


def sync_active() -> StandbyMachine:
    m = machine()
    m.peer_heard(1.0, peer(active=False, started=5.0))
    assert m.phase is Phase.SYNC_ACTIVE
    drain(m)
    return m


# -- A.2, row by row ------------------------------------------------------------------------------
def test_start_up_with_the_peer_in_contact_is_synchronised_inactive() -> None:
    m = machine(address=OTHER, peer=ME)  # the higher address: it stays inactive
    m.peer_heard(1.0, peer(active=False, address=ME))
    assert m.phase is Phase.SYNC_INACTIVE and not m.active
    assert orders(m) == []


def test_start_up_without_the_peer_is_unsynchronised_inactive_and_probes_the_pbx() -> None:
    m = machine()
    run_until(m, cv.STARTUP_WAIT_S - 0.001)
    assert m.phase is Phase.START_UP
    run_until(m, cv.STARTUP_WAIT_S)
    assert m.phase is Phase.UNSYNC_INACTIVE
    assert orders(m) == [StartPbxProbe()]


def test_synchronised_inactive_with_the_lowest_ip_becomes_active_and_pushes_its_db() -> None:
    m = machine()
    m.peer_heard(1.0, peer(active=False))
    assert m.phase is Phase.SYNC_ACTIVE
    assert orders(m) == [BecomeActive(), PushDb()]


def test_synchronised_inactive_without_the_lowest_ip_waits_for_the_peer() -> None:
    m = machine(address=OTHER, peer=ME)
    m.peer_heard(1.0, peer(active=False, address=ME))
    m.peer_heard(6.0, peer(active=False, address=ME))
    assert m.phase is Phase.SYNC_INACTIVE
    m.peer_heard(11.0, peer(active=True, address=ME))
    assert m.phase is Phase.SYNC_INACTIVE
    assert orders(m) == [AcceptPeerDb()]


def test_synchronised_inactive_hearing_an_active_peer_stays_and_takes_its_db_once() -> None:
    m = machine()  # the lower address, but an OMM is active already
    for t in (1.0, 6.0, 11.0):
        m.peer_heard(t, peer(active=True))
    assert m.phase is Phase.SYNC_INACTIVE
    assert orders(m) == [AcceptPeerDb()]


def test_synchronised_inactive_losing_the_peer_is_unsynchronised_inactive() -> None:
    m = machine(address=OTHER, peer=ME)
    m.peer_heard(1.0, peer(active=True, address=ME))
    drain(m)
    run_until(m, 1.0 + cv.PEER_LOST_S - 0.001)
    assert m.phase is Phase.SYNC_INACTIVE
    run_until(m, 1.0 + cv.PEER_LOST_S)
    assert m.phase is Phase.UNSYNC_INACTIVE
    assert orders(m) == [StartPbxProbe()]


def test_unsynchronised_inactive_hearing_the_active_peer_is_synchronised_inactive() -> None:
    m = unsync_inactive()
    m.peer_heard(20.0, peer(active=True))
    assert m.phase is Phase.SYNC_INACTIVE
    assert orders(m) == [AcceptPeerDb()]
    m.pbx_answered(21.0)  # the probe that was out no longer matters
    assert m.phase is Phase.SYNC_INACTIVE


def test_unsynchronised_inactive_with_the_pbx_reachable_becomes_active() -> None:
    m = unsync_inactive()
    m.pbx_answered(16.0)
    assert m.phase is Phase.UNSYNC_ACTIVE
    assert orders(m) == [BecomeActive()]


def test_unsynchronised_inactive_with_the_pbx_unreachable_stays_and_probes_again() -> None:
    m = unsync_inactive()
    m.pbx_failed(16.0)
    assert m.phase is Phase.UNSYNC_INACTIVE and orders(m) == []
    assert m.get_timer() == 16.0 + cv.PBX_RETRY_S
    run_until(m, 16.0 + cv.PBX_RETRY_S)
    assert orders(m) == [StartPbxProbe()]
    m.pbx_answered(50.0)
    assert m.phase is Phase.UNSYNC_ACTIVE


def test_a_pbx_probe_without_an_answer_fails_at_its_time_out() -> None:
    m = unsync_inactive()
    started = cv.STARTUP_WAIT_S
    assert m.get_timer() == started + cv.PBX_PROBE_TIMEOUT_S
    run_until(m, started + cv.PBX_PROBE_TIMEOUT_S)
    assert m.phase is Phase.UNSYNC_INACTIVE
    assert m.get_timer() == started + cv.PBX_PROBE_TIMEOUT_S + cv.PBX_RETRY_S


def test_synchronised_active_losing_the_peer_is_unsynchronised_active() -> None:
    m = sync_active()
    run_until(m, 1.0 + cv.PEER_LOST_S)
    assert m.phase is Phase.UNSYNC_ACTIVE and m.active
    assert orders(m) == [StartPbxProbe()]


def test_unsynchronised_active_meeting_an_inactive_peer_is_synchronised_active() -> None:
    m = unsync_active()
    m.peer_heard(40.0, peer(active=False, started=30.0))
    assert m.phase is Phase.SYNC_ACTIVE
    assert orders(m) == [PushDb()]


def test_unsynchronised_active_meeting_a_longer_running_active_peer_resets_with_45() -> None:
    m = unsync_active()  # started at 0
    m.peer_heard(40.0, peer(active=True, started=-100.0))
    assert m.phase is Phase.RESET and m.get_timer() is None
    assert orders(m) == [BecomeInactive(), Reset(cv.EXIT_YIELD)]
    assert cv.EXIT_YIELD == 45


def test_unsynchronised_active_meeting_a_younger_active_peer_stays_active() -> None:
    m = unsync_active()
    m.peer_heard(40.0, peer(active=True, started=10.0))
    assert m.phase is Phase.SYNC_ACTIVE
    assert orders(m) == []
    m.peer_heard(45.0, peer(active=False, started=44.0))  # it reset and came back
    assert orders(m) == [PushDb()]


def test_unsynchronised_active_losing_the_pbx_resets_with_46() -> None:
    m = unsync_active()  # the PBX answered at 16 s: checked again later
    answered = cv.STARTUP_WAIT_S + 1
    assert m.get_timer() == answered + cv.PBX_RECHECK_S
    run_until(m, answered + cv.PBX_RECHECK_S)
    assert orders(m) == [StartPbxProbe()]
    m.pbx_answered(answered + cv.PBX_RECHECK_S + 1)  # still there: nothing changes
    assert m.phase is Phase.UNSYNC_ACTIVE and orders(m) == []
    run_until(m, answered + 2 * cv.PBX_RECHECK_S + 1)
    assert orders(m) == [StartPbxProbe()]
    m.pbx_failed(answered + 2 * cv.PBX_RECHECK_S + 2)
    assert m.phase is Phase.RESET
    assert orders(m) == [BecomeInactive(), Reset(cv.EXIT_PBX_UNREACHABLE)]
    assert cv.EXIT_PBX_UNREACHABLE == 46


def test_an_active_omm_that_missed_the_split_yields_to_the_longer_running_peer() -> None:
    m = sync_active()  # started at 0; the peer lost us, probed the PBX and went active
    m.peer_heard(2.0, peer(active=True, started=-50.0))
    assert m.phase is Phase.RESET
    assert orders(m) == [BecomeInactive(), Reset(cv.EXIT_YIELD)]


def test_a_reset_machine_does_nothing_more() -> None:
    m = unsync_active()
    run_until(m, 1000.0)  # the recheck's probe never answers
    assert m.phase is Phase.RESET
    drain(m)
    m.peer_heard(21.0, peer(active=False))
    m.pbx_answered(22.0)
    m.peer_silent(23.0)
    m.handle_timer(1000.0)
    assert m.phase is Phase.RESET and drain(m) == []


def test_the_table_holds_every_row_of_a2() -> None:
    """Each of A.2's rows is in the table, and each row leads somewhere else."""
    assert {(f, t) for f, t in TRANSITIONS} >= {
        (Phase.START_UP, Trigger.SYNC_OK), (Phase.START_UP, Trigger.SYNC_NOK),
        (Phase.SYNC_INACTIVE, Trigger.NONE_ACTIVE_LOWEST_IP),
        (Phase.SYNC_INACTIVE, Trigger.SYNC_NOK), (Phase.UNSYNC_INACTIVE, Trigger.SYNC_OK),
        (Phase.UNSYNC_INACTIVE, Trigger.PBX_REACHABLE), (Phase.SYNC_ACTIVE, Trigger.SYNC_NOK),
        (Phase.UNSYNC_ACTIVE, Trigger.ONLY_ONE_ACTIVE),
        (Phase.UNSYNC_ACTIVE, Trigger.PEER_RUNS_LONGER),
        (Phase.UNSYNC_ACTIVE, Trigger.PBX_UNREACHABLE)}
    assert all(row.to is not src for (src, _), row in TRANSITIONS.items())


# -- decisions ------------------------------------------------------------------------------------
def test_lowest_ip_compares_numerically_not_as_text() -> None:
    m = machine(address="10.0.0.9", peer="10.0.0.10")
    m.peer_heard(1.0, peer(active=False, address="10.0.0.10"))
    assert m.phase is Phase.SYNC_ACTIVE


def test_two_omms_started_at_once_leave_the_lower_address_active() -> None:
    low, high = machine(started=7.0), machine(address=OTHER, peer=ME, started=7.0)
    for m in (low, high):
        run_until(m, cv.STARTUP_WAIT_S)
        m.pbx_answered(cv.STARTUP_WAIT_S + 1)
    assert low.active and high.active  # split: both took over
    low.peer_heard(30.0, peer(active=True, started=7.0, address=OTHER))
    high.peer_heard(30.0, peer(active=True, started=7.0, address=ME))
    assert low.phase is Phase.SYNC_ACTIVE and high.phase is Phase.RESET


@pytest.mark.parametrize(("field", "state"), [("omm_type", StbState.DIFFERENT_TYPES),
                                              ("version", StbState.DIFFERENT_VERSIONS)])
def test_a_peer_that_does_not_fit_arbitrates_but_gets_no_db(field: str,
                                                            state: StbState) -> None:
    other = {"omm_type": "RFP 43", "version": "8.0.0"}[field]
    m = machine()
    m.peer_heard(1.0, peer(active=False, **{field: other}))
    assert m.phase is Phase.SYNC_ACTIVE  # still one active per pair
    assert orders(m) == [BecomeActive()]  # and no PushDb
    view = m.view()
    assert view.state is state and view.peer_addr == OTHER
    assert view.health.severity == "Error"
    assert view.health.reason_code == "Wrong standby configuration"
    inactive = machine(address=OTHER, peer=ME)
    inactive.peer_heard(1.0, peer(active=True, address=ME, **{field: other}))
    assert orders(inactive) == []  # no AcceptPeerDb


def test_a_peer_that_restarts_within_the_loss_time_gets_the_db_again() -> None:
    m = sync_active()
    m.peer_heard(3.0, peer(active=False, started=2.5))  # a new start time: it restarted
    assert orders(m) == [PushDb()]


def test_the_link_saying_the_peer_is_gone_counts_at_once() -> None:
    m = sync_active()
    m.peer_silent(2.0)
    assert m.phase is Phase.UNSYNC_ACTIVE
    assert m.get_timer() == 2.0 + cv.PBX_PROBE_TIMEOUT_S


def test_the_probe_timers_are_the_conventions() -> None:
    assert cv.PEER_LOST_S == cv.PROBE_INTERVAL_S * cv.PROBE_MISSES == 15.0
    assert cv.PBX_PROBE_TIMEOUT_S == 32.0


# -- the AXI view and the log --------------------------------------------------------------------
def test_the_view_follows_the_contact() -> None:
    m = machine()
    assert m.view().state is StbState.NOT_SYNCHRONIZED and m.view().peer_addr == OTHER
    m.peer_heard(1.0, peer(active=False))
    view = m.view()
    assert view.attrs() == {"ommStbState": "OK", "ommStbAddr": OTHER}
    assert (view.health.severity, view.health.reason_code) == ("OK", "")
    run_until(m, 1.0 + cv.PEER_LOST_S)
    view = m.view()
    assert view.state is StbState.NOT_SYNCHRONIZED
    assert (view.health.severity, view.health.reason_code) == ("Warning", "Connection broken")


def test_every_transition_has_a_log_sentence() -> None:
    m = unsync_active()
    m.peer_heard(40.0, peer(active=True, started=-1.0))
    moves = [a for a in drain(m) if isinstance(a, Transitioned)]
    assert [(t.before, t.after) for t in moves] == [(Phase.UNSYNC_ACTIVE, Phase.RESET)]
    assert moves[0].text == ("Standby: Unsynchronised Active -> OMM reset (10.0.0.2 is active"
                             " too and has been running longer), reset with exit code 45")
