"""Alarm triggers with plain values (omm.alarms) and the trigger filters of a subscription."""

from __future__ import annotations

from pathlib import Path

import pytest

from omm.alarms import MAX_TRIGGERS, AlarmTriggers
from omm.errors import Exists, Invalid, NoMemory, NotFound
from omm.tables import Change
from sipdect.axi.session import AxiServerSession, Subscription
from sipdect.store import Store


@pytest.fixture
def triggers(tmp_path: Path) -> AlarmTriggers:
    store = Store(tmp_path / "t.sqlite", (
        "CREATE TABLE alarmtriggers (k INTEGER PRIMARY KEY, v TEXT NOT NULL)",))
    changes: list[Change] = []
    return AlarmTriggers(store, changes.append)


def test_the_longest_fac_a_number_starts_with_raises_its_trigger(
        triggers: AlarmTriggers) -> None:
    triggers.create({"triggerId": "SOS", "fac": "*9"})
    triggers.create({"triggerId": "Fire", "fac": "*91", "num": "112"})
    triggers.create({"triggerId": "NoFac"})
    assert triggers.match("*9123") == (triggers.get(1), "23")
    assert triggers.match("*95") == (triggers.get(0), "5")
    assert triggers.match("*8") is None and triggers.match("") is None
    triggers.create({"triggerId": "Letters", "fac": "ab"})
    assert triggers.match("AB1") == (triggers.get(3), "1")  # case-insensitive


def test_ids_start_at_0_and_fill_gaps(triggers: AlarmTriggers) -> None:
    for name in ("a", "b", "c"):
        triggers.create({"triggerId": name})
    triggers.delete(1)
    assert triggers.create({"triggerId": "d"})["id"] == 1
    with pytest.raises(Exists):
        triggers.create({"triggerId": "e", "id": 2})
    with pytest.raises(NotFound):
        triggers.get(7)


def test_trigger_ids_and_facs_are_unique_regardless_of_case(triggers: AlarmTriggers) -> None:
    triggers.create({"triggerId": "SOS", "fac": "*9A"})
    with pytest.raises(Exists, match="triggerId"):
        triggers.create({"triggerId": "sos"})
    with pytest.raises(Exists, match="fac"):
        triggers.create({"triggerId": "other", "fac": "*9a"})
    with pytest.raises(Invalid):
        triggers.create({"triggerId": ""})
    other = triggers.create({"triggerId": "Other"})
    with pytest.raises(Exists):
        triggers.update(other["id"], {"triggerId": "SOS"})
    assert triggers.update(0, {"triggerId": "sos"})["triggerId"] == "sos"  # itself: fine


def test_at_most_100(triggers: AlarmTriggers) -> None:
    for n in range(MAX_TRIGGERS):
        triggers.create({"triggerId": f"t{n}"})
    with pytest.raises(NoMemory):
        triggers.create({"triggerId": "more"})


@pytest.mark.parametrize(("items", "trigger", "wanted"), [
    ({"LOC-*"}, "LOC-ERR-USERSTATE", True), ({"loc-*"}, "LOC-ERR-USERSTATE", True),
    ({"LOC-*"}, "SOS", False), ({"SOS"}, "SOS", True),
    ({"*"}, "anything", True)])
def test_a_trigger_filter_may_be_a_pattern(items: set[str], trigger: str,
                                           wanted: bool) -> None:
    session = AxiServerSession(0.0)
    session.subscriptions["AlarmTrigger"] = Subscription("AlarmTrigger", False, set(items))
    assert session.subscribed("AlarmTrigger", trigger) is wanted
