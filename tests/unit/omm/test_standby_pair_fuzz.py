"""Two standby machines driven by random link cuts, PBX outages, restarts and time: whenever
they can see each other, exactly one of them is active once they have exchanged state
(standby-eventmgr.md A.2: one DECT air interface per PARK while in contact)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from omm.standby import conventions as cv
from omm.standby.machine import (
    PeerInfo,
    Reset,
    StandbyMachine,
    StartPbxProbe,
)

ADDRESSES = ("10.0.0.1", "10.0.0.2")


@dataclass
class Omm:
    """One OMM as its owner runs it: probes answered at once, a reset restarts it."""

    address: str
    peer_address: str
    machine: StandbyMachine
    pbx_up: bool = True
    resets: list[int] = field(default_factory=list)

    def info(self) -> PeerInfo:
        m = self.machine
        return PeerInfo(m.active, m.started, self.address, m.omm_type, m.version)

    def pump(self, now: float) -> None:
        while (action := self.machine.next_action()) is not None:
            if isinstance(action, StartPbxProbe):
                if self.pbx_up:
                    self.machine.pbx_answered(now)
                else:
                    self.machine.pbx_failed(now)
            elif isinstance(action, Reset):
                self.resets.append(action.exit_code)
                self.machine = new_machine(self.address, self.peer_address, now)

    def run_timers(self, now: float) -> None:
        while (due := self.machine.get_timer()) is not None and due <= now:
            self.machine.handle_timer(due)
            self.pump(due)


def new_machine(address: str, peer: str, now: float) -> StandbyMachine:
    return StandbyMachine(now, address, peer, "linux-pc", "7.1.0")


def exchange(a: Omm, b: Omm, now: float, hears: list[bool]) -> None:
    """Each says where it stands, where the link carries it, until no role changes."""
    for _ in range(4):
        before = (a.machine.active, b.machine.active, a.machine.started, b.machine.started)
        if hears[0]:
            a.machine.peer_heard(now, b.info())
            a.pump(now)
        if hears[1]:
            b.machine.peer_heard(now, a.info())
            b.pump(now)
        if before == (a.machine.active, b.machine.active, a.machine.started,
                      b.machine.started):
            return


steps = st.lists(st.one_of(
    # Waits around the machine's times (probe, loss, PBX time-out and retry) find more.
    st.tuples(st.just("wait"), st.sampled_from((1.0, 5.0, 16.0, 33.0, 61.0)) | st.floats(0, 80)),
    st.tuples(st.just("link"), st.booleans()),
    st.tuples(st.just("one-way"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("pbx"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("restart"), st.integers(0, 1)),
), max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps, skew=st.floats(-20.0, 20.0), link=st.booleans())
# The active one stops hearing its older peer, which takes over; when it hears again, the
# older one stays and the active one that never noticed a split must yield.
@example(steps=[("wait", 10.0), ("one-way", 1, False), ("wait", 60.0), ("one-way", 1, True)],
         skew=-5.0, link=True)
def test_a_pair_in_contact_has_exactly_one_active_omm(
        steps: list[tuple[object, ...]], skew: float, link: bool) -> None:
    """`one-way` cuts what one OMM hears (it notices by its own timer, the other not at
    all); `link` False closes the link, which both notice at once."""
    hears = [link, link]
    now = 0.0
    a = Omm(ADDRESSES[0], ADDRESSES[1], new_machine(ADDRESSES[0], ADDRESSES[1], 0.0))
    b = Omm(ADDRESSES[1], ADDRESSES[0], new_machine(ADDRESSES[1], ADDRESSES[0], 0.0))
    b.machine.started = skew  # either may be the longer running one
    omms = (a, b)
    next_probe = 0.0
    for step in steps:
        kind = step[0]
        if kind == "wait":
            end = now + float(step[1])  # type: ignore[arg-type]
            while now < end:
                next_probe = max(next_probe, now)
                now = min(end, next_probe) if any(hears) else end
                for o in omms:
                    o.run_timers(now)
                if any(hears) and now >= next_probe:
                    exchange(a, b, now, hears)
                    next_probe = now + cv.PROBE_INTERVAL_S
        elif kind == "link":
            hears = [bool(step[1])] * 2
            if not hears[0]:
                for o in omms:
                    o.machine.peer_silent(now)
                    o.pump(now)
        elif kind == "one-way":
            hears[int(step[1])] = bool(step[2])  # type: ignore[call-overload]
        elif kind == "pbx":
            omms[int(step[1])].pbx_up = bool(step[2])  # type: ignore[call-overload]
        else:
            o = omms[int(step[1])]  # type: ignore[call-overload]
            o.machine = new_machine(o.address, o.peer_address, now)
        if all(hears):
            exchange(a, b, now, hears)
            assert [a.machine.active, b.machine.active].count(True) == 1, (
                a.machine.phase, b.machine.phase)
