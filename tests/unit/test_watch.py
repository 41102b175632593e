"""The timeline behind `sipdect ctl watch` (the event bus fed snapshots, sipdect.app.watch),
with plain snapshots."""

from __future__ import annotations

from types import SimpleNamespace

from sipdect.app.events import EventBus
from sipdect.app.watch import line, snapshot


def test_the_first_snapshot_is_the_baseline_and_changes_are_events() -> None:
    timeline = EventBus()
    assert timeline.observe({"RFP A": "connected, synced", "host A": "running"}, 0.0) == []
    assert timeline.observe({"RFP A": "connected, synced", "host A": "running"}, 1.0) == []
    (event,) = timeline.observe({"RFP A": "link lost", "host A": "running"}, 2.0)
    assert (event.seq, event.line, event.since_mark, event.mark) == (
        1, "RFP A: link lost", None, False)


def test_events_count_their_time_from_the_last_fault() -> None:
    timeline = EventBus()
    timeline.observe({"host A": "running", "RFP A": "connected"}, 10.0)
    mark = timeline.mark("host A killed", 11.0)
    events = timeline.observe({"host A": "killed", "RFP B": "connected"}, 14.5)
    assert mark.mark and mark.since_mark == 0.0
    assert [(e.line, e.since_mark) for e in events] == [
        ("host A: killed", 3.5), ("RFP B: connected", 3.5), ("RFP A: gone", 3.5)]
    assert [e.seq for e in timeline.after(1)] == [2, 3, 4]
    assert timeline.after(timeline.last_seq) == []


def test_a_line_shows_the_time_since_the_fault_then_what() -> None:
    timeline = EventBus()
    timeline.observe({}, 0.0)
    fault = timeline.mark("link OMM - RFP A cut", 1.0).as_watch()
    (seen,) = timeline.observe({"RFP A": "link lost"}, 7.25)
    assert line(fault) == "  +0.00s  FAULT link OMM - RFP A cut"
    assert line(seen.as_watch()) == "  +6.25s  RFP A: link lost"
    assert line({"since_fault": None, "text": "host A: running"}) == "          host A: running"


def test_an_rfp_line_names_the_omm_its_link_is_up_to() -> None:
    rfps = {
        1: {"host": "RFP A", "linked": True, "syncState": "Synced",
            "omm_address": "127.0.0.12:16321"},
        2: {"host": "RFP B", "linked": False, "syncState": "Inactive", "omm_address": None},
        3: {"host": "RFP C", "linked": True, "syncState": "Searching", "omm_address": None},
    }
    system = SimpleNamespace(hosts={}, site=SimpleNamespace(rfps=rfps, world=None),
                             describe_rfp=rfps.__getitem__)
    assert snapshot(system) == {"RFP A": "connected to 127.0.0.12:16321, synced",
                                "RFP B": "link lost", "RFP C": "connected"}


def test_a_handset_shows_where_it_is_and_whether_it_walks() -> None:
    handset = SimpleNamespace(ipei="00077 0010001 6", subscription=None, rfp_id=None)
    world = SimpleNamespace(handsets={3: SimpleNamespace(id=3, handset=handset)},
                            air=SimpleNamespace(handsets={3: SimpleNamespace(x=7.4, y=-2.6)}),
                            walks={3: object()})
    system = SimpleNamespace(hosts={}, site=SimpleNamespace(rfps={}, world=world))
    timeline = EventBus()
    timeline.observe(snapshot(system), 0.0)
    assert snapshot(system)["handset 00077 0010001 6 position"] == "(7, -3) m, walking"
    world.air.handsets[3].x, world.walks = 20.0, {}
    (event,) = timeline.observe(snapshot(system), 1.0)
    assert event.line == "handset 00077 0010001 6 position: (20, -3) m"


def test_users_show_the_host_they_registered_from() -> None:
    from sipdect.app.watch import registrations

    pbx = SimpleNamespace(service=SimpleNamespace(describe=lambda: {"registrations": [
        {"user": "201", "source": "udp:127.20.1.2:5060"}]}))
    hosts = {"127.20.1.2": "OMM-B"}
    system = SimpleNamespace(
        local_pbx_host=lambda: pbx, host_name_of=lambda a: hosts.get(a, a),
        cfg=SimpleNamespace(users=[SimpleNamespace(number="201"),
                                   SimpleNamespace(number="202")]))
    assert registrations(system) == {"user 201": "registered from OMM-B",
                                     "user 202": "not registered"}
    system.local_pbx_host = lambda: None  # a call server elsewhere: nothing to show
    assert registrations(system) == {}


async def test_a_pair_omm_shows_its_role_and_a_down_one_says_so() -> None:
    from sipdect.app.watch import omm_states

    def host(name: str, running: bool, standby: object = True) -> SimpleNamespace:
        return SimpleNamespace(name=name, kind="omm", running=running,
                               cfg=SimpleNamespace(standby=standby))

    async def describe_host(name: str) -> dict[str, str]:
        return {"role": "active", "ommStbState": "NotSynchronized"}

    system = SimpleNamespace(hosts={"A": host("A", False), "B": host("B", True),
                                    "C": host("C", True, None)},
                             describe_host=describe_host)
    assert await omm_states(system) == {"A": "down",
                                        "B": "active (standby state NotSynchronized)"}
