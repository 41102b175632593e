"""The Event Manager's rules and escalation with plain values (eventmgr.rules, sans-I/O)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventmgr.rules import Engine, Incident, Input, Rule, RuleError, Send, Status, Trap

RULE = Rule("ward", match="2*", priority="[12]", steps=(("201",), ("group:night",)),
            escalate_after=30.0, trap=True)
GROUPS = {"night": ("202", "203")}


def sends(engine: Engine) -> list[Send]:
    return [a for a in engine.actions() if isinstance(a, Send)]


def test_an_espa_call_becomes_a_message_with_the_mapped_priority_and_melody() -> None:
    engine = Engine([RULE], GROUPS)
    assert engine.take(Input("espa", "201", "Room 12", priority=1, beep=3), 0.0) == [1]
    actions = engine.actions()
    [send] = [a for a in actions if isinstance(a, Send)]
    assert (send.number, send.content, send.priority, send.melody, send.confirm) == (
        "201", "Room 12", "Emergency", "MsgMelody3", ("OrderOk", "OrderNok"))
    assert [a.kind for a in actions if isinstance(a, Trap)] == ["alarm"]
    assert engine.deadline() == 30.0


@pytest.mark.parametrize(("key", "priority", "opened"), [
    ("201", 1, True), ("299", 2, True), ("201", 3, False), ("301", 1, False)])
def test_address_and_priority_patterns(key: str, priority: int, opened: bool) -> None:
    engine = Engine([RULE], GROUPS)
    assert bool(engine.take(Input("espa", key, "x", priority=priority), 0.0)) is opened


def test_nobody_confirming_escalates_to_the_group_then_fails() -> None:
    engine = Engine([RULE], GROUPS)
    engine.take(Input("espa", "201", "Room 12", priority=2), 0.0)
    engine.actions()
    engine.on_time(29.9)
    assert sends(engine) == []
    engine.on_time(30.0)
    assert [s.number for s in sends(engine)] == ["202", "203"]
    engine.on_time(60.0)
    actions = engine.actions()
    assert [(a.status, a.text) for a in actions if isinstance(a, Status)] == [
        ("4", "nobody confirmed")]
    assert [a.kind for a in actions if isinstance(a, Trap)] == ["failed"]
    assert engine.deadline() is None


def test_the_first_accepting_confirmation_ends_it() -> None:
    engine = Engine([RULE], GROUPS)
    engine.take(Input("espa", "201", "Room 12", priority=2), 0.0)
    first = sends(engine)[0]
    engine.confirmation(first.msg_id, "OrderOk", 5.0)
    actions = engine.actions()
    assert [(a.address, a.status) for a in actions if isinstance(a, Status)] == [("201", "1")]
    assert [a.kind for a in actions if isinstance(a, Trap)] == ["confirmed"]
    assert engine.deadline() is None
    engine.confirmation(first.msg_id, "OrderOk", 6.0)  # a second answer changes nothing
    assert not [a for a in engine.actions() if isinstance(a, Status)]


def test_refusal_or_an_unreachable_phone_escalates_at_once() -> None:
    engine = Engine([RULE], GROUPS)
    engine.take(Input("espa", "201", "Room 12", priority=2), 0.0)
    first = sends(engine)[0]
    engine.progress(first.msg_id, "TemporaryUnavailable", 1.0)
    step2 = sends(engine)
    assert [s.number for s in step2] == ["202", "203"]
    engine.confirmation(step2[0].msg_id, "OrderNok", 2.0)
    assert sends(engine) == []  # 203 may still accept
    engine.progress(step2[1].msg_id, "Busy", 3.0)  # the OMM tries again: wait
    engine.confirmation(step2[1].msg_id, "OrderOk", 4.0)
    assert any(isinstance(a, Status) and a.status == "1" for a in engine.actions())


def test_handset_alarms_and_omm_events_have_rules_of_their_own() -> None:
    sos = Rule("sos", source="alarm", match="SOS*", steps=(("202",),), text="SOS {origin}")
    rfp = Rule("rfp", source="omm", match="rfp-down:*", steps=(("203",),))
    engine = Engine([sos, rfp])
    engine.take(Input("alarm", "sos-1", "SOS", origin="201"), 0.0)
    [send] = sends(engine)
    assert (send.number, send.content, send.priority) == ("202", "SOS 201", "Emergency")
    engine.take(Input("omm", "rfp-down:3", "RFP 3 lost"), 0.0)
    assert [(s.number, s.priority) for s in sends(engine)] == [("203", "High")]


def test_incidents_survive_a_restart_through_their_json() -> None:
    engine = Engine([RULE], GROUPS)
    engine.take(Input("espa", "201", "Room 12", priority=1), 0.0)
    first = sends(engine)[0]
    stored = [Incident.from_json(i.to_json()) for i in engine.changed()]
    again = Engine([RULE], GROUPS, incidents=stored, next_incident=engine.next_incident,
                   next_message=engine.next_message)
    again.confirmation(first.msg_id, "OrderOk", 1.0)
    assert any(isinstance(a, Status) and a.status == "1" for a in again.actions())


@pytest.mark.parametrize(("raw", "error"), [
    ({"name": "x", "steps": []}, "at least one step"),
    ({"name": "x", "steps": [["201"]], "source": "fax"}, "give espa, alarm or omm"),
    ({"name": "x", "steps": [["201"]], "melody": "Beep"}, "MsgMelody1..MsgMelody10"),
    ({"name": "x", "steps": [["201"]], "accept": ["Yes"]}, "is no confirmation"),
    ({"name": "x", "steps": [["201"]], "colour": "red"}, "unknown key 'colour'"),
])
def test_rule_mistakes_say_what_to_change(raw: dict[str, object], error: str) -> None:
    with pytest.raises(RuleError, match=error):
        Rule.from_json(raw)


numbers = st.text(alphabet="0123456789", min_size=1, max_size=6)


@given(name=st.text(min_size=1, max_size=20), match=st.text(max_size=10),
       steps=st.lists(st.lists(numbers, min_size=1, max_size=3), min_size=1, max_size=3),
       after=st.floats(min_value=0.1, max_value=1e6), trap=st.booleans())
def test_rules_round_trip_through_their_stored_form(name: str, match: str,
                                                    steps: list[list[str]], after: float,
                                                    trap: bool) -> None:
    rule = Rule(name, match=match, steps=tuple(tuple(s) for s in steps),
                escalate_after=after, trap=trap)
    assert Rule.from_json(rule.to_json()) == rule
