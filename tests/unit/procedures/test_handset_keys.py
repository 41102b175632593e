"""The virtual handset on its own: keys, display and the state table."""

from __future__ import annotations

import pytest

from dect import conventions as cv
from dect.identities import Rfpi
from sim.handset import Handset, HandsetStateError, State
from sim.keypad import Key, KeypadError, parse_keys
from sim.primitives import AirConnect


def test_key_strings() -> None:
    assert parse_keys("12*#{call}{OK}") == ["1", "2", "*", "#", Key.CALL, Key.OK]
    for bad in ("{FOO}", "{OK", "a"):
        with pytest.raises(KeypadError):
            parse_keys(bad)


def test_states_follow_the_table() -> None:
    handset = Handset("03074 0220259 3")
    with pytest.raises(HandsetStateError):
        handset.subscribe(0.0, ac="1234")
    handset.power_on(0.0)
    assert handset.state is State.SEARCHING and handset.display == ["Searching"]
    handset.lock(1, Rfpi(cv.DEFAULT_PARK.ari, 1), 0.0)
    assert handset.state is State.LOCKED and handset.display == ["No subscription"]
    handset.press("12{CLEAR}3", 0.0)
    assert handset.display == ["No subscription", "13"]
    handset.subscribe(0.0)
    handset.press("99", 0.0)
    assert handset.display == ["Subscribe", "AC:**"]
    handset.press("{OK}", 0.0)
    assert handset.state is State.CONNECTING and handset.display == ["Subscribing..."]
    assert handset.air_to_send() == [(1, AirConnect(cv.arbitrary_pmid(handset.ipei)))]
    handset.power_off(0.0)
    assert handset.state is State.OFF and handset.display == []
