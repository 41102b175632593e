"""The event bus (sipdect.app.events): numbering, states told once however they were noticed,
faults as marks, listeners, what is kept; server-sent events as a client reads them."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from sipdect.app.events import KEEP_EVENTS, Event, EventBus, parse_sse, sse


def test_a_state_is_told_once_whether_pushed_or_polled() -> None:
    bus = EventBus()
    bus.observe({"host A": "running"}, 0.0)  # the baseline: nothing told
    assert bus.state("host", "host A", "running", 1.0) is None
    killed = bus.state("host", "host A", "killed", 2.0)
    assert killed is not None and (killed.seq, killed.kind, killed.line) == (
        1, "host", "host A: killed")
    assert bus.observe({"host A": "killed"}, 2.25) == []  # the poller sees it too: told already
    call = bus.state("call", "host A", "idle", 3.0)  # another kind of the same subject
    assert call is not None and call.kind == "call"


def test_faults_mark_the_time_later_events_count_from() -> None:
    bus = EventBus()
    before = bus.publish("call", "handset 1", "incoming call from 201", 5.0)
    fault = bus.mark("host OMM killed", 6.0, subject="host OMM")
    after = bus.state("rfp", "RFP A", "link lost", 9.5)
    assert before.since_mark is None and fault.mark and fault.since_mark == 0.0
    assert after is not None and after.since_mark == 3.5
    assert fault.as_dict() == {"seq": 2, "time": 6.0, "kind": "fault", "subject": "host OMM",
                               "text": "host OMM killed", "fault": True, "since_fault": 0.0}
    assert fault.line == "host OMM killed"


def test_listeners_hear_every_event_until_they_stop() -> None:
    bus = EventBus()
    heard: list[Event] = []
    stop = bus.listen(heard.append)
    assert bus.listened
    bus.publish("handset", "handset 1", "subscribed", 0.0)
    stop()
    stop()  # twice is harmless
    bus.publish("handset", "handset 1", "location registered", 1.0)
    assert [e.text for e in heard] == ["subscribed"] and not bus.listened


def test_after_gives_what_is_kept_past_a_seq() -> None:
    bus = EventBus()
    for i in range(KEEP_EVENTS + 5):
        bus.publish("call", "handset 1", f"event {i}", float(i))
    assert bus.after(bus.last_seq) == []
    assert [e.seq for e in bus.after(bus.last_seq - 2)] == [bus.last_seq - 1, bus.last_seq]
    assert len(bus.after(0)) == KEEP_EVENTS  # the oldest went first
    assert bus.after(0)[0].seq == 6


def test_forgotten_subjects_tell_their_state_again() -> None:
    bus = EventBus()
    bus.state("handset", "handset 1", "searching", 0.0)
    bus.forget(["handset 1"])
    assert bus.state("handset", "handset 1", "searching", 1.0) is not None


def test_a_server_sent_event_carries_seq_kind_and_the_dict() -> None:
    event = Event(7, 12.3456, "host", "host OMM", "killed", 0.5)
    wire = sse(event)
    assert wire.startswith(b"id: 7\nevent: host\ndata: {") and wire.endswith(b"}\n\n")
    (fields,) = parse_sse(wire.decode() + ": keep-alive\n\n")
    assert fields["id"] == "7" and json.loads(fields["data"]) == event.as_dict()


@given(st.text(), st.text(), st.text(min_size=1, alphabet=st.characters(
    blacklist_categories=("Cs",))), st.integers(min_value=1, max_value=2**40))
def test_any_event_round_trips_through_the_stream(kind: str, subject: str, text: str,
                                                  seq: int) -> None:
    event = Event(seq, 1.0, kind, subject, text)
    (fields,) = parse_sse(sse(event).decode())
    assert json.loads(fields["data"]) == event.as_dict() and fields["id"] == str(seq)


@given(st.text())
def test_the_stream_reader_never_fails_on_any_text(text: str) -> None:
    for fields in parse_sse(text):
        assert all(isinstance(v, str) for v in fields.values())
