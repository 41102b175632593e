"""The Event Manager's view of where its users are (eventmgr.locating): `near:` targets parsed
and resolved, user-lost and user-detached told once per change, and rules refusing a bad
`near:` entry at the field."""

from __future__ import annotations

import pytest

from eventmgr.locating import Near, User, Whereabouts, parse_near
from eventmgr.rules import Engine, Input, Rule, RuleError, Send


def whereabouts() -> Whereabouts:
    w = Whereabouts(rfps={0: ("RFP Ward", 0.0, 0.0), 1: ("RFP Station", 30.0, 0.0),
                          2: ("Lab", 100.0, 40.0)})
    w.set_users([User("201", 11, True), User("202", 12, True), User("203", 13, False),
                 User("204", 0, True)])
    return w


@pytest.mark.parametrize(("entry", "near"), [
    ("near:3", Near(rfps=("3",))),
    ("near:RFP Ward|RFP Station", Near(rfps=("RFP Ward", "RFP Station"))),
    ("near:12.5,-4,10", Near(point=(12.5, -4.0, 10.0))),
])
def test_near_entries_parse(entry: str, near: Near) -> None:
    assert parse_near(entry) == near


@pytest.mark.parametrize("entry", ["near:", "near:a||b", "near:1,2,0", "near:1,x,3"])
def test_bad_near_entries_say_what_to_write(entry: str) -> None:
    with pytest.raises(ValueError, match="near:"):
        parse_near(entry)
    with pytest.raises(RuleError, match="rule 'r'"):
        Rule(name="r", steps=((entry,),))


def test_users_near_an_rfp_by_id_name_or_circle() -> None:
    w = whereabouts()
    assert w.to_locate() == [11, 12]  # 203 is not locatable, 204 has no device
    w.located(11, [0, 1])
    w.located(12, [1, 0])
    w.located(13, [1])
    assert w.near(parse_near("near:rfp station")) == ["202", "203"]
    assert w.near(parse_near("near:0")) == ["201"]
    assert w.near(parse_near("near:0|Lab")) == ["201"]
    assert w.near(parse_near("near:25,5,10")) == ["202", "203"]
    assert w.near(parse_near("near:nowhere")) == []


def test_lost_and_detached_are_told_once_per_change() -> None:
    w = whereabouts()
    assert w.located(11, [0]) is None
    assert w.located(11, []) == "user-lost:201"
    assert w.located(11, []) is None  # still lost: told once
    assert w.near(parse_near("near:0")) == []
    assert w.located(11, [1]) is None  # found again
    assert w.located(11, []) == "user-lost:201"
    assert w.pp_state(12, "none") is None  # never seen on the air
    assert w.pp_state(12, "idle") is None
    assert w.pp_state(12, "none") == "user-detached:202"
    assert w.pp_state(99, "idle") is None and w.pp_state(99, "none") is None


def test_a_near_step_sends_to_whoever_is_there_when_the_alarm_comes() -> None:
    w = whereabouts()
    w.located(11, [0])
    w.located(12, [1])
    rule = Rule(name="station", match="401", steps=(("near:RFP Station", "201"),))
    engine = Engine([rule], near=w.near)
    engine.take(Input("espa", "401", "Bed 7"), 0.0)
    assert [a.number for a in engine.actions() if isinstance(a, Send)] == ["202", "201"]
    w.located(12, [])  # Bob left
    engine.take(Input("espa", "401", "Bed 8"), 1.0)
    assert [a.number for a in engine.actions() if isinstance(a, Send)] == ["201"]
