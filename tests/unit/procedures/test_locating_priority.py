"""Locating and message priority between a virtual handset and the OMM's FixedPart, in virtual
time (dect.conventions "locating", MESSAGE_PRIORITY_RANK): the handset answers a position
request with what its radio hears, a silent one is told as such; a higher message takes the
display from a lower one, which comes back after it, and only an emergency intrudes a call."""

from __future__ import annotations

from fp_pp_world import World
from test_fp_pp_procedures import subscribed

from omm.dect import events as ev
from sim.handset import Handset, MessageReceived, State


def idle_handset(world: World) -> Handset:
    handset = subscribed(world)
    world.run(30)
    assert handset.state is State.LOCKED
    return handset


def test_the_handset_reports_what_it_hears_through_the_rfp_it_answers_on(world: World) -> None:
    handset = idle_handset(world)
    handset.hearing = lambda: [(1, -50.4), (2, -77.0)]
    query = world.fp.request_position(1, world.now)
    world.run(30)
    assert world.events_of(ev.PositionMeasured) == [
        ev.PositionMeasured(query, 1, 1, ((1, -50), (2, -77)))
    ]
    assert ev.PpTransaction("PagingStarted", 1, -1) in world.fp_events


def test_a_silent_handset_and_an_unsubscribed_device_give_no_position(world: World) -> None:
    handset = idle_handset(world)
    handset.unlock()  # out of range
    query = world.fp.request_position(1, world.now)
    unknown = world.fp.request_position(99, world.now)
    world.run(60)
    assert world.events_of(ev.PositionFailed) == [
        ev.PositionFailed(unknown, 99, "TemporaryUnavailable"),
        ev.PositionFailed(query, 1, "PagingTimeout"),
    ]
    assert not world.events_of(ev.PositionMeasured)


def send(world: World, text: str, priority: str) -> int:
    return world.fp.send_message(
        1, text, world.now, title="Alarm", confirmations=("OrderOk",), priority=priority
    )


def test_a_higher_message_takes_the_display_and_the_lower_one_comes_back(world: World) -> None:
    handset = idle_handset(world)
    send(world, "Coffee", "Low")
    world.run(30)
    assert handset.display[1] == "Coffee" and handset.alert is None
    send(world, "Fire in ward 3", "Emergency")
    world.run(30)
    assert handset.display[1] == "Fire in ward 3" and handset.alert == "Emergency"
    send(world, "Lunch", "Normal")  # waits behind the emergency
    world.run(30)
    assert handset.display[1] == "Fire in ward 3"
    shown = [e.shown for e in world.handset_events_of(handset, MessageReceived)]
    assert shown == [True, True, False]
    handset.press("{OK}", world.now)  # accepts the emergency
    world.run(30)
    assert handset.display[1] == "Lunch" and handset.alert is None  # the newest of the rest
    handset.press("{OK}", world.now)
    world.run(30)
    assert handset.display[1] == "Coffee"
    assert [m.answer for m in handset.messages] == [None, "OrderOk", "OrderOk"]


def test_during_a_call_only_an_emergency_shows(world: World) -> None:
    handset = idle_handset(world)
    handset.press("{CALL}", world.now)  # off-hook: the call owns the display
    world.run(1)
    before = list(handset.display)
    send(world, "Visitor at the desk", "High")
    world.run(5)
    assert handset.display == before
    send(world, "Cardiac arrest room 4", "Emergency")
    world.run(5)
    assert handset.display[1] == "Cardiac arrest room 4" and handset.alert == "Emergency"
    assert handset.call_active
