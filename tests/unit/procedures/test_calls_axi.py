"""The AXI view of a PP's call: EventPPState callState/onHook from the fixed part's PpCallState,
and every fixed-part event passed on to listeners (the SIP user agent)."""

from __future__ import annotations

from collections import deque
from typing import Any

from omm.axi.dect import DectBridge
from omm.dect import events as ev


class FakeFixedPart:
    def __init__(self) -> None:
        self.events: deque[ev.FpEvent] = deque()

    def next_event(self) -> ev.FpEvent | None:
        return self.events.popleft() if self.events else None


class FakeApi:
    def __init__(self) -> None:
        self.queued: list[tuple[str, str | None, Any]] = []
        self.dect: DectBridge | None = None

    def queue_event(self, kind: str, key: str | None, msg: Any) -> None:
        self.queued.append((kind, key, msg))

    def deliver(self) -> None:
        pass


def test_call_state_and_on_hook_follow_the_call_and_listeners_see_every_event() -> None:
    api, fp = FakeApi(), FakeFixedPart()
    bridge = DectBridge(api, fp, lambda: None, lambda: 0.0)  # type: ignore[arg-type]
    seen: list[ev.FpEvent] = []
    bridge.add_listener(seen.append)
    calls = [
        ev.PpCallState(1, "calling"),
        ev.CallDialled(1, "202", 1, 0),
        ev.PpCallState(1, "connected"),
        ev.PpCallState(1, "idle"),
    ]
    fp.events.extend(calls)
    bridge.drain()
    assert seen == calls
    states = [m.attrs for kind, _, m in api.queued if kind == "PPState"]
    assert states == [
        {"ppn": "1", "callState": "calling", "onHook": "0"},
        {"ppn": "1", "callState": "connected"},
        {"ppn": "1", "callState": "idle", "onHook": "1"},
    ]
    assert bridge.pp_state[1] == {"callState": "idle", "onHook": "1"}
