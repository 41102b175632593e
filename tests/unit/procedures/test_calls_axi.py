"""The AXI view of a PP's call: EventPPState callState/onHook from the fixed part's PpCallState,
through the OMM hub (omm.hub) and the live state (omm.ppstate); every event reaches the other
subscribers of the hub (the SIP user agent) as well."""

from __future__ import annotations

from typing import Any

from omm.axi.dect import DectBridge
from omm.dect import events as ev
from omm.hub import OmmHub, SipRegistration
from omm.ppstate import PpLiveStates


class FakeModel:
    def __init__(self) -> None:
        self.hub = OmmHub()
        self.pp_live = PpLiveStates(self.hub)


class FakeApi:
    def __init__(self) -> None:
        self.model = FakeModel()
        self.queued: list[tuple[str, str | None, Any]] = []
        self.dect: DectBridge | None = None

    def queue_event(self, kind: str, key: str | None, msg: Any) -> None:
        self.queued.append((kind, key, msg))

    def deliver(self) -> None:
        pass


def test_call_state_and_on_hook_follow_the_call_and_listeners_see_every_event() -> None:
    api = FakeApi()
    DectBridge(api, object(), lambda: None, lambda: 0.0)  # type: ignore[arg-type]
    seen: list[object] = []
    api.model.hub.subscribe(seen.append)
    calls = [
        ev.PpCallState(1, "calling"),
        ev.CallDialled(1, "202", 1, 0),
        ev.PpCallState(1, "connected"),
        ev.PpCallState(1, "idle"),
    ]
    for event in calls:
        api.model.hub.publish(event)
    assert [e for e in seen if isinstance(e, ev.FpEvent)] == calls
    states = [m.attrs for kind, _, m in api.queued if kind == "PPState"]
    assert states == [
        {"ppn": "1", "callState": "calling", "onHook": "0"},
        {"ppn": "1", "callState": "connected"},
        {"ppn": "1", "callState": "idle", "onHook": "1"},
    ]
    assert api.model.pp_live.known(1) == {"callState": "idle", "onHook": "1"}


def test_sip_registration_and_dect_state_merge_in_one_pp_state() -> None:
    api = FakeApi()
    DectBridge(api, object(), lambda: None, lambda: 0.0)  # type: ignore[arg-type]
    hub = api.model.hub
    hub.publish(ev.DeviceAttached(7, 3))
    hub.publish(SipRegistration(7, {"registered": "1", "regServerType": "Primary"}))
    hub.publish(SipRegistration(7, {"registered": "1", "regServerType": "Primary"}))
    hub.publish(ev.DeviceDetached(7))
    states = [m.attrs for kind, _, m in api.queued if kind == "PPState"]
    assert states == [
        {"ppn": "7", "onHook": "1", "callState": "idle"},
        {"ppn": "7", "registered": "1", "regServerType": "Primary"},
        {"ppn": "7", "callState": "none"},
    ]
    full = api.model.pp_live.state(7)
    assert (full["registered"], full["callState"], full["regServerAddr"]) == ("1", "none", "")
    assert 7 not in api.model.pp_live.attached
