"""The one clock every timer of every component reads: real by default, scalable (issue 13 part 1).

At speed N, virtual time runs N times faster than CLOCK_MONOTONIC from an origin every process
of a system shares: `now() = origin + (monotonic() - origin) * N`. CLOCK_MONOTONIC is one clock
for the whole machine on Linux, so a child process handed (speed, origin, epoch) agrees with its
parent to the microsecond. `wall()` is the virtual epoch time (time stamps in event logs, AXI
`timeStamp`): the real epoch at the origin plus the scaled time since. At speed 1 both are the
plain clocks (`time.monotonic()`, `time.time()`).

The scaled event loop (`new_event_loop`, `loop_factory`, `run`) reads this clock as its
`loop.time()` and divides every selector wait by the speed, so every `asyncio.sleep`,
`wait_for`, `call_later` and `loop.time()` of every component scales without knowing it.

One entry point for whoever runs something at a speed (the scenario runner, a test):

    clock.configure(60)            # this process's clock; child processes inherit it
    clock.run(main())              # main() on a loop at that speed
    # or, without touching the process's setting:  clock.run(main(), speed=600)

Inside a running loop the loop decides (a plain asyncio loop is speed 1); outside any loop
(a thread, a synchronous test) the process's clock does. `configure` is the only mutable
state: a process runs one system at one speed. README "Speed" lists what does not scale.
"""

from __future__ import annotations

import asyncio
import math
import os
import selectors
import sys
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

ENV = "SIPDECT_CLOCK"
"""The environment variable that hands a child process its parent's clock:
`speed,origin,epoch` (floats; origin a CLOCK_MONOTONIC reading, epoch a time.time())."""

MAX_SPEED = 100_000.0
"""Above this a 10 ms loop turn is more than 16 virtual minutes: nothing useful runs."""


VOICE_NEEDS_SPEED = 1.0
"""Voice runs at real time only: the 10 ms air frames, 20 ms RTP packets and jitter buffers are
real audio (a tone heard, a Goertzel measurement) and 600 of them a real millisecond are beyond
any machine. At another speed calls connect and signal as ever but carry no voice: the world's
handsets do not talk (World.voice_start refuses), RFP media gateways and SIP phones send no RTP.
"""


def voice_available() -> bool:
    """Whether the clock in force lets voice run (VOICE_NEEDS_SPEED)."""
    return current().speed == VOICE_NEEDS_SPEED


class ClockError(ValueError):
    """A speed or a clock hand-over that cannot be used; the message says what to change."""


def check_speed(speed: float, where: str = "speed") -> float:
    """`speed` as a float if it is a usable speed (> 0, finite, at most MAX_SPEED)."""
    if isinstance(speed, bool) or not isinstance(speed, int | float):
        raise ClockError(f"{where} = {speed!r}: give a number, e.g. 60")
    value = float(speed)
    if not 0.0 < value <= MAX_SPEED:
        raise ClockError(f"{where} = {speed!r}: give a speed above 0 and at most "
                         f"{MAX_SPEED:g} (1 = real time, 60 = a minute a second)")
    return value


@dataclass(frozen=True)
class Clock:
    """One system's clock: `speed` times real time from `origin` (monotonic) and `epoch`
    (the wall time at the origin)."""

    speed: float = 1.0
    """Virtual seconds per real second; 1 is real time."""
    origin: float = 0.0
    """The CLOCK_MONOTONIC reading at which virtual and real time were equal."""
    epoch: float = 0.0
    """time.time() at the origin: where the virtual wall clock starts."""

    @classmethod
    def starting(cls, speed: float = 1.0) -> Clock:
        """A clock at `speed` whose origin is now."""
        return cls(check_speed(speed), time.monotonic(), time.time())

    @property
    def real(self) -> bool:
        """True at speed 1: now() and wall() are the plain clocks."""
        return self.speed == 1.0

    def now(self) -> float:
        """Virtual monotonic seconds (what loop.time() answers on this clock's loop)."""
        if self.speed == 1.0:
            return time.monotonic()
        return self.origin + (time.monotonic() - self.origin) * self.speed

    def wall(self) -> float:
        """Virtual epoch seconds, for time stamps a user sees."""
        if self.speed == 1.0:
            return time.time()
        return self.epoch + (time.monotonic() - self.origin) * self.speed

    def virtual(self, real_seconds: float) -> float:
        """The virtual duration that lasts `real_seconds` of real time: for limits on real
        work (start-up, a TLS handshake, a test's patience) that must not shrink with speed."""
        return real_seconds * self.speed

    def to_env(self) -> str:
        return f"{self.speed!r},{self.origin!r},{self.epoch!r}"

    @classmethod
    def from_env(cls, text: str) -> Clock:
        """Parse `speed,origin,epoch` (to_env); ClockError naming ENV when it is not that."""
        parts = text.split(",")
        try:
            if len(parts) != 3:
                raise ValueError(text)
            speed, origin, epoch = (float(p) for p in parts)
        except ValueError:
            raise ClockError(f"{ENV}={text!r}: expected 'speed,origin,epoch' (three numbers), "
                             "as a sipdect supervisor sets it; unset it to run in real "
                             "time") from None
        if not (math.isfinite(origin) and math.isfinite(epoch)):
            raise ClockError(f"{ENV}={text!r}: origin and epoch must be finite numbers")
        return cls(check_speed(speed, ENV + " speed"), origin, epoch)


REAL = Clock()
"""Real time: monotonic() and time.time() as they are."""


def _from_environ(environ: Mapping[str, str]) -> Clock:
    """The clock ENV hands down; real time, with one line on stderr, when it is unusable
    (importing the kit must not fail on a stray variable)."""
    text = environ.get(ENV, "").strip()
    try:
        return Clock.from_env(text) if text else REAL
    except ClockError as exc:
        print(f"sipdect: ignored: {exc}", file=sys.stderr)
        return REAL


_process: Clock = _from_environ(os.environ)


def configure(speed: float) -> Clock:
    """Set this process's clock to `speed` (origin now; kept if the speed does not change) and
    return it; `environ()` then hands it to child processes."""
    global _process
    value = check_speed(speed)
    if value != _process.speed:
        _process = REAL if value == 1.0 else Clock.starting(value)
    return _process


def adopt(clock: Clock) -> None:
    """Make `clock` this process's clock (a supervisor's, handed over otherwise than by ENV)."""
    global _process
    _process = clock


def process_clock() -> Clock:
    """This process's clock, whatever loop runs."""
    return _process


def current() -> Clock:
    """The clock in force here: the running loop's (a plain asyncio loop is real time), or
    the process's outside any loop."""
    loop = asyncio._get_running_loop()
    if loop is None:
        return _process
    return loop.clock if isinstance(loop, ClockLoop) else REAL


def now() -> float:
    """Virtual monotonic seconds of the clock in force (equal to loop.time() in a loop)."""
    return current().now()


def wall() -> float:
    """Virtual epoch seconds of the clock in force: for time stamps."""
    return current().wall()


def speed() -> float:
    return current().speed


def environ(base: Mapping[str, str] | None = None, clock: Clock | None = None) -> dict[str, str]:
    """`base` (default os.environ) with ENV set to `clock` (default: the one in force), so that
    a child process runs on the same clock; ENV removed at real time."""
    env = dict(os.environ if base is None else base)
    clk = current() if clock is None else clock
    if clk.real:
        env.pop(ENV, None)
    else:
        env[ENV] = clk.to_env()
    return env


async def sleep(seconds: float) -> None:
    """Sleep `seconds` of virtual time (asyncio.sleep on a clock loop)."""
    await asyncio.sleep(seconds)


def call_later(delay: float, callback: Callable[..., object], *args: Any) -> asyncio.TimerHandle:
    """callback(*args) after `delay` virtual seconds on the running loop."""
    return asyncio.get_running_loop().call_later(delay, callback, *args)


def call_at(when: float, callback: Callable[..., object], *args: Any) -> asyncio.TimerHandle:
    """callback(*args) at virtual time `when` (a now() reading) on the running loop."""
    return asyncio.get_running_loop().call_at(when, callback, *args)


class _ScaledSelector(selectors.BaseSelector):
    """A selector whose waits are `speed` times shorter: the loop asks for virtual seconds."""

    def __init__(self, inner: selectors.BaseSelector, speed: float) -> None:
        self._inner = inner
        self._speed = speed

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        return self._inner.select(None if timeout is None else timeout / self._speed)

    def close(self) -> None:
        self._inner.close()

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()


class ClockLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on a Clock: loop.time() is clock.now(), waits are scaled."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(_ScaledSelector(selectors.DefaultSelector(), clock.speed))
        self.clock = clock

    def time(self) -> float:
        return self.clock.now()


def new_event_loop(clock: Clock | None = None) -> asyncio.AbstractEventLoop:
    """A loop on `clock` (default: the process's); at real time a plain asyncio loop."""
    clk = _process if clock is None else clock
    return asyncio.new_event_loop() if clk.real else ClockLoop(clk)


def loop_factory(clock: Clock | None = None) -> Callable[[], asyncio.AbstractEventLoop]:
    """For asyncio.Runner(loop_factory=...): loops on `clock` (default: the process's at the
    time each loop is made)."""
    return lambda: new_event_loop(clock)


def at_speed(speed: float) -> Clock:
    """A clock at `speed`: the process's when it runs at that speed (so child processes
    agree), else one whose origin is now."""
    value = check_speed(speed)
    if value == _process.speed:
        return _process
    return REAL if value == 1.0 else Clock.starting(value)


def run(main: Coroutine[Any, Any, T], *, speed: float | None = None) -> T:
    """asyncio.run(main) on the process's clock, or on `at_speed(speed)` without changing
    the process's."""
    clk = None if speed is None else at_speed(speed)
    with asyncio.Runner(loop_factory=loop_factory(clk)) as runner:
        return runner.run(main)


def require(speed: float, what: str) -> None:
    """Raise ClockError unless the running loop runs at `speed`: a system at speed 60 on a
    loop that is not scaled would mix real and virtual timers."""
    have = current().speed
    if have != speed:
        raise ClockError(
            f"{what} is configured for speed {speed:g} but runs on a loop at speed {have:g}: "
            "run it with sipdect.clock.run(...) after sipdect.clock.configure(speed) "
            "(or clock.run(main, speed=...)), or use ThreadedEmulator, which makes its own "
            "loop")
