"""The scalable clock (sipdect.clock): its arithmetic, the hand-over to child processes, and
the scaled loop on which every asyncio timer of a component runs faster."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect import clock
from sipdect.clock import Clock, ClockError


def test_a_clock_at_speed_runs_that_many_times_real_time_from_its_origin() -> None:
    clk = Clock(speed=60.0, origin=1000.0, epoch=1.7e9)
    real = time.monotonic()
    virtual = clk.now()
    after = time.monotonic()
    # now = origin + (monotonic - origin) * speed, for a monotonic read between the two
    assert 1000.0 + (real - 1000.0) * 60 <= virtual <= 1000.0 + (after - 1000.0) * 60
    stamp = clk.wall()
    assert stamp >= 1.7e9 + (after - 1000.0) * 60


def test_at_speed_one_the_clock_is_the_plain_clocks() -> None:
    before_m, before_w = time.monotonic(), time.time()
    now, wall = clock.REAL.now(), clock.REAL.wall()
    assert before_m <= now <= time.monotonic()
    assert before_w <= wall <= time.time()
    assert clock.REAL.real and not Clock(2.0).real


def test_virtual_gives_the_duration_that_lasts_so_many_real_seconds() -> None:
    assert Clock(600.0).virtual(0.5) == 300.0
    assert clock.REAL.virtual(0.5) == 0.5


@given(st.floats(min_value=1e-3, max_value=clock.MAX_SPEED),
       st.floats(min_value=-1e9, max_value=1e9), st.floats(min_value=0, max_value=4e9))
def test_the_environment_hand_over_round_trips(speed: float, origin: float,
                                               epoch: float) -> None:
    clk = Clock(speed, origin, epoch)
    assert Clock.from_env(clk.to_env()) == clk


@pytest.mark.parametrize("text", ["", "60", "60,1", "a,b,c", "60,1,2,3", "0,1,2", "-5,1,2",
                                  "inf,1,2", "nan,1,2", "60,inf,2", "60,1,nan"])
def test_a_broken_hand_over_is_refused_naming_the_variable(text: str) -> None:
    with pytest.raises(ClockError, match=clock.ENV):
        Clock.from_env(text)


@given(st.text(max_size=40))
def test_any_hand_over_text_parses_or_is_refused(text: str) -> None:
    try:
        clk = Clock.from_env(text)
    except ClockError:
        return
    assert 0 < clk.speed <= clock.MAX_SPEED


@pytest.mark.parametrize("speed", [0, -1, 0.0, float("inf"), float("nan"), "60", True,
                                   clock.MAX_SPEED * 2])
def test_an_unusable_speed_is_refused(speed: object) -> None:
    with pytest.raises(ClockError, match="speed"):
        clock.check_speed(speed)  # type: ignore[arg-type]


def test_environ_hands_the_clock_to_a_child_and_leaves_it_out_at_real_time() -> None:
    clk = Clock(60.0, 5.0, 6.0)
    env = clock.environ({"PATH": "/bin", clock.ENV: "stale"}, clk)
    assert env == {"PATH": "/bin", clock.ENV: clk.to_env()}
    assert clock.environ({clock.ENV: "stale"}, clock.REAL) == {}


def test_a_60_s_sleep_at_speed_600_finishes_and_the_loop_time_advances_speed_times() -> None:
    def bracket(read: Callable[[], float]) -> tuple[float, float, float]:
        before = time.monotonic()
        value = read()
        return before, value, time.monotonic()

    async def main() -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        loop = asyncio.get_running_loop()
        assert clock.speed() == 600.0 and isinstance(loop, clock.ClockLoop)
        start = bracket(loop.time)
        await asyncio.sleep(60)
        return start, bracket(loop.time)

    (a0, v0, b0), (a1, v1, b1) = clock.run(main(), speed=600)
    assert v1 - v0 >= 60
    # The loop's time is the clock: 600 virtual seconds per real second passed meanwhile.
    assert (a1 - b0) * 600 <= v1 - v0 <= (b1 - a0) * 600


def test_timers_and_wait_for_scale_on_the_loop() -> None:
    async def main() -> list[str]:
        fired: list[str] = []
        clock.call_later(120, fired.append, "later")
        clock.call_at(clock.now() + 60, fired.append, "at")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.Event().wait(), 90)
        await clock.sleep(60)
        return fired

    assert clock.run(main(), speed=600) == ["at", "later"]


def test_a_plain_loop_is_real_time_and_the_process_clock_rules_outside_any_loop() -> None:
    async def inside() -> float:
        return clock.speed()

    assert asyncio.run(inside()) == 1.0
    assert clock.current() is clock.process_clock()


def test_configure_sets_the_process_clock_that_run_uses_and_children_inherit() -> None:
    saved = clock.process_clock()
    try:
        clk = clock.configure(300)
        assert clock.configure(300) is clk  # the origin stays while the speed does
        assert clock.speed() == 300.0
        assert clock.environ({})[clock.ENV] == clk.to_env()

        async def main() -> Clock:
            return clock.current()

        assert clock.run(main()) is clk
        assert clock.configure(1) is clock.REAL
    finally:
        clock.adopt(saved)


def test_require_says_clearly_when_a_loop_does_not_run_at_the_speed_asked() -> None:
    async def main() -> None:
        clock.require(1.0, "this")
        clock.require(60.0, "the system")

    with pytest.raises(ClockError, match="configured for speed 60 but runs on a loop at speed 1"):
        asyncio.run(main())


def run_python(code: str, clock_env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, clock.ENV: clock_env}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True, timeout=60)


def test_a_child_process_takes_its_clock_from_the_environment() -> None:
    clk = Clock(60.0, time.monotonic() - 10, time.time() - 10)
    out = run_python("from sipdect import clock; print(clock.process_clock().to_env())",
                     clk.to_env())
    assert out.stdout.strip() == clk.to_env()


def test_a_broken_hand_over_leaves_real_time_and_says_so() -> None:
    out = run_python("from sipdect import clock; print(clock.process_clock().speed)", "fast")
    assert out.stdout.strip() == "1.0"
    assert f"sipdect: ignored: {clock.ENV}='fast'" in out.stderr
