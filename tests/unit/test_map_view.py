"""The live site map's rules without a site: deltas, the narrative's words for what the event bus
tells, the RFP states the map names, coverage from the air model, one-time codes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.air import PathLoss, RadioSite
from sipdect.app.events import Event, parse_sse
from sipdect.app.map.feed import message
from sipdect.app.map.server import CODE_TTL_S, MapAccess
from sipdect.app.map.view import KINDS, Narrator, coverage, diff, rfp_state

records = st.dictionaries(
    st.sampled_from(["1", "2", "3", "4"]),
    st.fixed_dictionaries({"x": st.integers(0, 3), "s": st.sampled_from("ab")}))
readings = st.fixed_dictionaries({kind: records for kind in KINDS})


@settings(deadline=None)  # a busy machine's pause is no failure
@given(readings, readings)
def test_a_delta_applied_to_the_old_reading_gives_the_new(old: dict[str, Any],
                                                         new: dict[str, Any]) -> None:
    changed, gone = diff(old, new)
    for kind in KINDS:
        ids = {k: r for k, r in old[kind].items() if k not in gone.get(kind, [])}
        # as the page applies it: records by id (here the test's keys stand for the ids)
        for record in changed.get(kind, []):
            key = next(k for k, r in new[kind].items() if r is record)
            ids[key] = record
        assert ids == new[kind]
    if old == new:
        assert (changed, gone) == ({}, {})


def test_a_delta_is_one_server_sent_event() -> None:
    data = {"seq": 3, "handsets": [{"id": 1, "name": "a\nb"}]}
    (event,) = parse_sse(message("delta", data).decode())
    assert event["event"] == "delta" and json.loads(event["data"]) == data


def _event(seq: int, kind: str, subject: str, text: str, mark: bool = False) -> Event:
    return Event(seq, float(seq), kind, subject, text, None, mark)


def test_the_narrative_tells_handover_in_a_call_and_roaming_out_of_one() -> None:
    narrator = Narrator()
    alice = "handset 03074 0220259 3"
    in_call = {alice: False}

    def kind(event: Event) -> str | None:
        return narrator.kind(event, lambda s: in_call.get(s, False))
    assert kind(_event(1, "handset", alice, "subscribed")) == "subscription"
    assert kind(_event(2, "handset", alice, "location registered")) == "registration"
    assert kind(_event(3, "handset", alice, "attached at RFP Lobby")) is None  # where it starts
    assert kind(_event(4, "handset", alice, "attached at RFP Office")) == "roaming"
    in_call[alice] = True
    assert kind(_event(5, "call", alice, "dialling")) == "call"
    assert kind(_event(6, "call", alice, "ringback")) is None
    assert kind(_event(7, "handset", alice, "attached at RFP Lobby")) == "handover"
    assert kind(_event(8, "call", alice, "call ended: Normal")) == "call"
    assert kind(_event(9, "display", alice, "Alice")) is None
    assert kind(_event(10, "handset", alice + " position", "(3, 1) m")) is None
    assert kind(_event(11, "fault", "system", "reset", mark=True)) == "alarm"
    assert kind(_event(12, "handset", alice, "attached at RFP Office")) is None  # afresh


def test_the_narrative_tells_alarms_failovers_and_registrations() -> None:
    narrator = Narrator()

    def kind(event: Event) -> str | None:
        return narrator.kind(event, lambda s: False)
    assert kind(_event(1, "host", "host OMM", "running")) is None
    assert kind(_event(2, "fault", "host OMM", "host OMM killed", mark=True)) == "alarm"
    assert kind(_event(3, "host", "host OMM", "killed")) == "alarm"
    assert kind(_event(4, "host", "host OMM", "running")) == "alarm cleared"
    assert kind(_event(5, "rfp", "RFP Lobby", "connected to 127.0.0.1:16321, synced")) is None
    assert kind(_event(6, "rfp", "RFP Lobby", "link lost")) == "alarm"
    assert kind(_event(7, "rfp", "RFP Lobby", "connected to 127.0.0.2:16321")) == "failover"
    assert kind(_event(8, "omm", "OMM2", "active (standby state Active)")) == "failover"
    assert kind(_event(9, "registration", "user 201", "registered from OMM")) == "registration"
    entry = narrator.tell(_event(10, "call", "handset x", "incoming call from 201"),
                          lambda s: True, 1_800_000_000.0)
    assert entry == {"seq": 10, "t": 1_800_000_000.0, "kind": "call", "subject": "handset x",
                     "text": "incoming call from 201", "fault": False}


def test_rfp_states_are_named_as_the_omm_web_ui_names_them() -> None:
    site = RadioSite(1, 0.0, 0.0, 1)
    assert rfp_state(True, site, synced=True) == "Synchronous"
    assert rfp_state(True, site, synced=False) == "Searching"
    assert rfp_state(False, site, synced=True) == "Not connected"
    assert rfp_state(True, None, synced=False) == "Not connected"
    site.dect_on = False
    assert rfp_state(True, site, synced=False) == "Inactive"
    site.dect_on, site.powered = True, False
    assert rfp_state(True, site, synced=False) == "Not connected"


def test_coverage_contours_come_from_the_air_models_path_loss() -> None:
    model = PathLoss(exponent=3.5)
    levels = {c["name"]: c for c in coverage(model)}
    assert levels["sync"]["dbm"] == model.sync_min_dbm
    assert abs(model.rssi(levels["sync"]["m"]) - model.sync_min_dbm) < 0.1
    assert abs(model.rssi(levels["edge"]["m"]) - model.sensitivity_dbm) < 0.1


def test_a_map_code_opens_one_session_within_its_time() -> None:
    access = MapAccess()
    code = access.new_code(now=100.0)
    session = access.redeem(code, now=101.0)
    assert session is not None and access.valid(session)
    assert access.redeem(code, now=102.0) is None  # once only
    late = access.new_code(now=200.0)
    assert access.redeem(late, now=200.0 + CODE_TTL_S + 1) is None
    assert not access.valid("guessed") and not access.valid(None)
