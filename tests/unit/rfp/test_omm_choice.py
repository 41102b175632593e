"""Which OMM an RFP tries next and how long it waits first (rfp.omms; standby-eventmgr.md
A.1 ommip1/ommip2, A.4 reconnect to the other OMM), without sockets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfp.omms import OmmChoice, omm_text

A = ("127.0.0.10", 16321)
B = ("127.0.0.11", 16321)


def test_failed_attempts_alternate_and_back_off_only_after_a_whole_round() -> None:
    choice = OmmChoice([A, B], reconnect_min=1.0, reconnect_max=4.0)
    tried = []
    pauses = []
    for _ in range(8):
        tried.append(choice.current)
        pauses.append(choice.failed())
    assert tried == [A, B] * 4
    assert pauses == [0.0, 1.0, 0.0, 2.0, 0.0, 4.0, 0.0, 4.0]


def test_a_lost_link_tries_the_other_omm_at_once_with_the_backoff_reset() -> None:
    choice = OmmChoice([A, B], reconnect_min=1.0, reconnect_max=8.0)
    for _ in range(4):  # two failed rounds: the backoff grew to 4 s
        choice.failed()
    assert choice.current == A
    choice.linked()
    assert choice.lost() == 0.0 and choice.current == B  # the takeover: the standby at once
    assert choice.failed() == 1.0 and choice.current == A  # B not up yet: round over, 1 s
    choice.linked()  # up at A again
    assert choice.lost() == 0.0 and choice.current == B


def test_a_refused_login_goes_on_to_the_other_omm_and_the_first_link_is_kept() -> None:
    choice = OmmChoice([A, B], reconnect_min=1.0, reconnect_max=60.0)
    assert choice.failed() == 0.0 and choice.current == B  # A is the standby: it refused
    choice.linked()
    assert choice.current == B  # where the link runs, until it is lost


def test_one_omm_keeps_the_single_omm_behaviour() -> None:
    choice = OmmChoice([A], reconnect_min=0.5, reconnect_max=2.0)
    assert [choice.failed() for _ in range(4)] == [0.5, 1.0, 2.0, 2.0]
    assert choice.current == A
    choice.linked()
    assert choice.lost() == 0.5 and choice.current == A
    assert choice.failed() == 1.0


def test_boot_starts_again_at_the_first_omm() -> None:
    choice = OmmChoice([A, B], reconnect_min=1.0, reconnect_max=60.0)
    choice.failed()
    choice.failed()
    choice.failed()
    assert choice.current == B
    choice.boot()
    assert choice.current == A and choice.failed() == 0.0 and choice.failed() == 1.0


def test_no_address_is_refused_and_addresses_read_as_host_port() -> None:
    with pytest.raises(ValueError, match="at least one OMM"):
        OmmChoice([], 1.0, 60.0)
    assert omm_text(A) == "127.0.0.10:16321" and omm_text(("::1", 7)) == "[::1]:7"


@given(st.lists(st.sampled_from(["failed", "lost", "linked", "boot"]), max_size=60))
def test_every_round_visits_both_omms_and_pauses_stay_within_the_backoff(
        steps: list[str]) -> None:
    choice = OmmChoice([A, B], reconnect_min=1.0, reconnect_max=8.0)
    since_pause: list[tuple[str, int]] = []
    for step in steps:
        if step == "failed":
            since_pause.append(choice.current)
            pause = choice.failed()
            assert pause == 0.0 or 1.0 <= pause <= 8.0
            if pause:  # never pauses before each OMM had its try in this round
                assert set(since_pause) == {A, B}
                since_pause = []
        elif step == "lost":
            before = choice.current
            assert choice.lost() == 0.0 and choice.current != before
            since_pause = [before]
        elif step == "linked":
            choice.linked()
            since_pause = []
        else:
            choice.boot()
            assert choice.current == A
            since_pause = []
