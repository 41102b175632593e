"""Playing a scenario on a running site: the thin async edge of the scenario feature.

Every action and every look goes through the public library face (`sipdect.Site`: handset,
RFP and host handles, the event stream) and AXI as a client would speak it; nothing here
reaches into a component. Times are the site's loop time, so a scenario at speed N (the
scalable clock) waits N times less real time for the same scenario time.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sipdect.app.config import SystemConfig
from sipdect.app.scenario.match import as_dict, mismatches
from sipdect.app.scenario.model import (
    AXI_POLL_S,
    LAST_EVENTS,
    NEVER_POLL_S,
    Action,
    Expectation,
    Scenario,
    Step,
    format_duration,
)
from sipdect.app.scenario.results import ERROR, FAILED, PASSED, SKIPPED, CaseResult, ScenarioResult
from sipdect.axi.client import AxiClient, AxiResponseError
from sipdect.axi.codec import AxiSyntaxError, Message, parse
from sipdect.waiting import scaled

log = logging.getLogger("sipdect.scenario")

EXPECT_POLL_S = 0.05
"""Real seconds between two looks at an expectation that has not held yet."""
EVENT_HISTORY = 10_000
"""Events of the stream kept for `expect = { event = ... }` (the oldest go first)."""


class StepFailed(Exception):
    """An expectation was not met: `message` is the one line, `detail` the whole report."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class StepError(Exception):
    """An action could not be done (refused by the site, an unknown handset, ...)."""


@dataclass
class _Seen:
    """The last look at an expectation: whether it held, and what was seen."""

    ok: bool
    shown: str


@dataclass
class _AxiWatch:
    """One AXI session subscribed to one event type: every event on it is of that type."""

    client: AxiClient
    events: list[tuple[int, Message]] = field(default_factory=list)
    """(action number when it came, event)."""
    task: asyncio.Task[None] | None = None


class Runner:
    """Plays one scenario's steps on a started site; run() returns the result."""

    def __init__(self, scenario: Scenario, site: Any, config: SystemConfig,
                 out: Callable[[str], None] = print) -> None:
        self.scenario = scenario
        self.site = site
        """A started sipdect.Site (or anything with its surface)."""
        self.config = config
        self.out = out
        self.lines: list[str] = []
        self._events: deque[dict[str, Any]] = deque(maxlen=EVENT_HISTORY)
        self._event_marks: deque[int] = deque(maxlen=EVENT_HISTORY)
        self._event_task: asyncio.Task[None] | None = None
        self._actions = 0
        """How many actions ran: events are matched from the latest action on."""
        self._axi: dict[tuple[str, str, str], _AxiWatch] = {}
        self._requests: dict[tuple[str, str], AxiClient] = {}
        self._start = 0.0

    # -- the run ----------------------------------------------------------------------------
    async def run(self) -> ScenarioResult:
        sc = self.scenario
        result = ScenarioResult(sc.path, sc.name, CaseResult(sc.name), started=time.time(),
                                speed=sc.speed)
        cases = {g: CaseResult(g) for g in sc.groups()}
        result.groups = list(cases.values())
        loop = asyncio.get_running_loop()
        self._start = loop.time()
        wall = time.monotonic()
        self._event_task = loop.create_task(self._read_events())
        failed: CaseResult | None = None
        try:
            await self._subscribe_axi_events()
            for step in sc.steps:
                case = cases.get(step.group)
                if failed is not None:
                    if case is not None and case.outcome == PASSED and case is not failed:
                        case.outcome = SKIPPED
                        case.message = f"not run: {failed.message}"
                    continue
                began = time.monotonic()
                outcome, message, detail = await self._play(step)
                if case is not None:
                    case.seconds += time.monotonic() - began
                    case.steps += 1
                result.scenario.steps += 1
                if outcome != PASSED:
                    for target in (result.scenario, case):
                        if target is not None:
                            target.outcome, target.message = outcome, message
                            target.detail = detail
                    failed = case or result.scenario
        except StepError as exc:  # subscriptions at start
            result.scenario.outcome, result.scenario.message = ERROR, str(exc)
            result.scenario.detail = str(exc)
        finally:
            await self.close()
        result.scenario.seconds = time.monotonic() - wall
        result.output = list(self.lines)
        result.events = [_event_line(e, self._start) for e in self._events]
        for case in result.groups:
            if case.outcome == PASSED and case.steps == 0:
                case.outcome, case.message = SKIPPED, "not run"
        return result

    async def close(self) -> None:
        if self._event_task is not None:
            self._event_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._event_task
        for watch in self._axi.values():
            if watch.task is not None:
                watch.task.cancel()
            await watch.client.close()
        for client in self._requests.values():
            await client.close()
        self._axi.clear()
        self._requests.clear()

    def say(self, line: str) -> None:
        self.lines.append(line)
        self.out(line)

    def _poll(self, seconds: float) -> float:
        """A poll interval in scenario time: `seconds` of real time at any speed (at speed 60
        a look every 0.05 s of scenario time would spin)."""
        return seconds * self.scenario.speed

    def now(self) -> float:
        """Scenario time: seconds since the run began, on the site's (possibly scaled) clock."""
        return asyncio.get_running_loop().time() - self._start

    async def _play(self, step: Step) -> tuple[str, str, str]:
        """Run one step: (outcome, one line, the whole report)."""
        if step.at is not None and step.at > self.now():
            await asyncio.sleep(step.at - self.now())
        label = f"step {step.index}"
        where = f"{self.scenario.path}: {label}"
        self.say(f"  [{format_duration(round(self.now(), 3))}] {label}: {step.title()}")
        try:
            if step.action is not None:
                self._actions += 1
                self._within = step.within or 0.0
                await self._act(step.action)
            if step.expect is not None:
                await self._expect(step.expect, step.deadline)
            if step.never is not None:
                await self._never(step.never, step.window)
        except StepFailed as exc:
            self.say(f"    FAILED: {exc.message}")
            return FAILED, f"{where}: {exc.message}", f"{where}: {exc.detail}"
        except StepError as exc:
            self.say(f"    ERROR: {exc}")
            return ERROR, f"{where}: {exc}", f"{where}: {exc}\n{self._last_events()}"
        except Exception as exc:  # a bug of ours or the site's: say it, end only this run
            log.exception("%s: the step broke", where)
            why = f"the step broke: {type(exc).__name__}: {exc}"
            self.say(f"    ERROR: {why}")
            return ERROR, f"{where}: {why}", f"{where}: {why}\n{self._last_events()}"
        return PASSED, "", ""

    # -- actions ----------------------------------------------------------------------------
    async def _act(self, action: Action) -> None:
        try:
            await self._do(action)
        except StepError:
            raise
        except (KeyError, ValueError, RuntimeError, LookupError, OSError,
                AxiResponseError, TimeoutError) as exc:
            # The site refused: say so with its words (an unknown handset, a stopped host).
            why = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            raise StepError(f"{action.describe()}: {why}") from None

    async def _do(self, action: Action) -> None:
        site, args, verb = self.site, action.args, action.verb
        if action.subject == "wait":
            await asyncio.sleep(args["seconds"])
        elif action.subject == "link":
            await (site.cut if verb == "cut" else site.heal)(args["a"], args["b"])
        elif action.subject == "host":
            await getattr(site.host(action.target), verb)()
        elif action.subject == "rfp":
            await site.rfp(action.target).power(args["on"])
        elif action.subject == "phone":
            await self._phone(action)
        elif action.subject == "axi":
            await self._axi_request(action)
        elif verb == "add":
            await _maybe(site.add_handset(
                args["ipei"], omm=args.get("omm"), name=action.target,
                model=args.get("model", "622d"), x=args.get("x", 0.0), y=args.get("y", 0.0),
                ac=args.get("ac"), subscribe=args.get("subscribe", True)))
        else:
            await self._handset(action)

    async def _handset(self, action: Action) -> None:
        handset = self.site.handset(action.target)
        args, verb = action.args, action.verb
        if verb == "call":
            await handset.call(args["number"])
        elif verb == "answer":
            await handset.answer()
        elif verb == "hangup":
            await handset.hang_up()
        elif verb == "keys":
            await handset.press(args["keys"])
        elif verb == "alarm":
            await handset.alarm(args["kind"])
        elif verb == "move":
            await handset.move(args["x"], args["y"])
        elif verb == "power":
            await handset.power(args["on"])
        elif verb == "subscribe":
            await handset.subscribe(args.get("ac"))
        elif verb == "walk":
            legs = args["path"]
            if args["wait"]:
                for x, y in legs:
                    await handset.walk(x, y, speed=args["speed"])
            else:  # the walk goes on while the next steps run
                asyncio.get_running_loop().create_task(self._walk_legs(handset, legs,
                                                                       args["speed"]))
        else:
            raise StepError(f"{action.describe()}: no such handset action")

    @staticmethod
    async def _walk_legs(handset: Any, legs: list[tuple[float, float]], speed: float) -> None:
        for x, y in legs:
            await handset.walk(x, y, speed=speed)

    async def _phone(self, action: Action) -> None:
        if action.verb == "register":  # a phone registers when its host runs
            host = self.site.host(action.target)
            await host.start()
            return
        phone = self.site.phone(action.target)
        if action.verb == "call":
            await _maybe(phone.call(action.args["number"]))
        elif action.verb == "answer":
            await _maybe(phone.answer())
        else:
            await _maybe(phone.hang_up())

    # -- AXI --------------------------------------------------------------------------------
    def _omm_name(self, omm: str) -> str:
        names = [o.name for o in self.config.omms]
        if omm and omm not in names:
            raise StepError(f"no OMM {omm!r} in the system; known: {', '.join(names)}")
        return omm or names[0]

    async def _connect(self, omm: str, account: str) -> AxiClient:
        """A logged-in AXI session to `omm` as `account` ("": the OMM's initial login)."""
        try:
            client: AxiClient = await self.site.axi(account or None, omm=omm)
        except AxiResponseError as exc:
            raise StepError(f"AXI login to {omm} as {account or 'the initial account'} "
                            f"refused: {exc}") from None
        except (OSError, RuntimeError) as exc:
            raise StepError(f"AXI to {omm}: {exc}") from None
        return client

    async def _request_client(self, omm: str, account: str) -> AxiClient:
        key = (omm, account)
        client = self._requests.get(key)
        if client is None or client.closed.is_set():
            if client is not None:
                await client.close()
            client = self._requests[key] = await self._connect(omm, account)
        return client

    async def _subscribe_axi_events(self) -> None:
        for (omm, account), types in self.scenario.axi_event_types().items():
            name = self._omm_name(omm)
            for event_type in sorted(types):
                client = await self._connect(name, account)
                try:
                    await client.subscribe(event_type)
                except AxiResponseError as exc:
                    raise StepError(f"AXI Subscribe {event_type} at {name}: {exc}") from None
                watch = _AxiWatch(client)
                watch.task = asyncio.get_running_loop().create_task(self._collect(watch))
                self._axi[(omm, account, event_type)] = watch

    async def _collect(self, watch: _AxiWatch) -> None:
        while True:
            event = await watch.client.events.get()
            watch.events.append((self._actions, event))

    async def _axi_request(self, action: Action) -> None:
        args = action.args
        omm = self._omm_name(args.get("omm", ""))
        account = args.get("account", "")
        if "xml" in args:
            try:
                message = parse(args["xml"].encode())
            except AxiSyntaxError as exc:
                raise StepError(f"axi: the XML is not an AXI message: {exc}") from None
        else:
            message = Message(args["request"], dict(args["attrs"]))
        expected = args.get("answer")
        shown = f"{message.name} at {omm}"
        if expected is None:
            client = await self._request_client(omm, account)
            await client.request(Message(message.name, dict(message.attrs), message.children),
                                 check=False)
            return
        deadline = self.now() + scaled(self._within)
        while True:
            try:
                client = await self._request_client(omm, account)
                answer = await client.request(Message(message.name, dict(message.attrs),
                                                      message.children), check=False)
            except (StepError, OSError, TimeoutError) as exc:
                # An OMM taking over may not serve AXI yet: ask again until the deadline.
                if self.now() >= deadline:
                    raise StepError(f"{shown}: {exc}") from None
                await asyncio.sleep(self._poll(AXI_POLL_S))
                continue
            seen = as_dict(answer)
            wrong = mismatches(expected, seen)
            if not wrong:
                return
            if self.now() >= deadline:
                raise StepFailed(
                    f"{shown}: expected an answer with {_shown(expected)}; "
                    f"{'; '.join(wrong)}",
                    f"{shown}: expected an answer with {_shown(expected)} within "
                    f"{format_duration(self._within)}\n  seen: {answer.name} {seen}\n"
                    f"  mismatches: {'; '.join(wrong)}\n{self._last_events()}")
            await asyncio.sleep(self._poll(AXI_POLL_S))

    _within = 0.0
    """The step's `within` for an AXI answer (0: one request must answer as expected)."""

    # -- expectations -----------------------------------------------------------------------
    async def _expect(self, expect: Expectation, within: float) -> None:
        deadline = self.now() + scaled(within)
        while True:
            seen = await self._look(expect)
            if seen.ok:
                return
            if self.now() >= deadline:
                raise StepFailed(
                    f"expected {expect.describe()} within {format_duration(within)}; "
                    f"seen: {seen.shown}",
                    f"expected {expect.describe()} within {format_duration(within)}\n"
                    f"  seen: {seen.shown}\n{self._last_events()}")
            await asyncio.sleep(self._poll(EXPECT_POLL_S))

    async def _never(self, never: Expectation, window: float) -> None:
        end = self.now() + window
        while True:
            seen = await self._look(never)
            if seen.ok:
                raise StepFailed(
                    f"{never.describe()} happened at {self.now():.1f}s, within the "
                    f"{format_duration(window)} it must not; seen: {seen.shown}",
                    f"never {never.describe()} for {format_duration(window)}: it happened at "
                    f"{self.now():.1f}s\n  seen: {seen.shown}\n{self._last_events()}")
            if self.now() >= end:
                return
            await asyncio.sleep(min(self._poll(NEVER_POLL_S), max(end - self.now(), 0.0)))

    async def _look(self, e: Expectation) -> _Seen:
        try:
            look = getattr(self, f"_look_{e.subject}")
            seen: _Seen = await look(e)
        except StepError:
            raise
        except (KeyError, LookupError, RuntimeError) as exc:  # e.g. no such handset
            why = exc.args[0] if exc.args else exc
            raise StepError(f"{e.subject} {e.target!r}: {why}") from None
        return seen

    @staticmethod
    def _compare(expected: dict[str, Any], seen: dict[str, Any]) -> _Seen:
        wrong = mismatches(expected, seen)
        shown = {k: seen.get(k, "(absent)") for k in expected}
        return _Seen(not wrong, "; ".join(wrong) if wrong else str(shown))

    async def _look_handset(self, e: Expectation) -> _Seen:
        handset = self.site.handset(e.target)
        state = dict(await _maybe(handset.state()))
        state.setdefault("call_state", await _maybe(_attr(handset, "call_state")))
        # The RFP a handset is at goes by its host name, or by its OMM id when a number is
        # expected.
        rfp_expected = e.attrs.get("rfp")
        if not isinstance(rfp_expected, int | float) or isinstance(rfp_expected, bool):
            state["rfp"] = state.get("rfp_host")
        attached = _attr(handset, "attached")
        state["attached"] = (state.get("location") == "registered" if attached is None
                             else attached)
        expected = {k: v for k, v in e.attrs.items() if k != "hears"}
        look = self._compare(expected, state)
        if "hears" not in e.attrs or not look.ok:
            return look
        hz, whose = self._tone(e.attrs["hears"])
        heard = await handset.hears(hz)
        present = bool(getattr(heard, "present", heard))
        return _Seen(present, f"{'hears' if present else 'does not hear'} {whose} "
                              f"({hz:g} Hz); {look.shown}")

    def _tone(self, value: Any) -> tuple[float, str]:
        if isinstance(value, str):
            return float(self.site.handset(value).tone_hz), f"{value}'s tone"
        return float(value), "the tone"

    async def _look_rfp(self, e: Expectation) -> _Seen:
        return self._compare(e.attrs, dict(await _maybe(self.site.rfp(e.target).state())))

    async def _look_host(self, e: Expectation) -> _Seen:
        host = self.site.host(e.target)
        state = await _maybe(_attr(host, "state"))
        seen = dict(state) if isinstance(state, dict) else {"state": state}
        describe = getattr(host, "describe", None)
        if describe is not None:
            seen = {**dict(await _maybe(describe())), **seen}
        return self._compare(e.attrs, seen)

    async def _look_registration(self, e: Expectation) -> _Seen:
        registrations = self.site.pbx.registrations
        mine = [dict(r) for r in registrations if str(r.get("user")) == e.target]
        seen = {**mine[-1], "registered": True} if mine else {"registered": False}
        return self._compare(e.attrs, seen)

    async def _look_phone(self, e: Expectation) -> _Seen:
        phone = self.site.phone(e.target)
        seen = dict(await _maybe(phone.state()))
        registration = seen.get("registration")
        if isinstance(registration, dict):
            seen.setdefault("registered", registration.get("state") == "registered")
        calls = seen.get("calls")
        if isinstance(calls, list) and calls:
            seen.setdefault("call_state", calls[-1].get("state"))
        return self._compare(e.attrs, seen)

    async def _look_axi_event(self, e: Expectation) -> _Seen:
        watch = self._axi[(e.omm, e.account, e.target)]
        recent = [m for mark, m in watch.events if mark >= self._actions]
        for message in recent:
            if not mismatches(e.attrs, as_dict(message)):
                return _Seen(True, f"{message.name} {message.attrs}")
        if not recent:
            return _Seen(False, f"no {e.target} event since the last action")
        last = recent[-1]
        return _Seen(False, f"{len(recent)} {e.target} event(s) since the last action, none "
                            f"matching; the latest: {last.name} {as_dict(last)}")

    async def _look_event_log(self, e: Expectation) -> _Seen:
        omm = self._omm_name(e.omm)
        client = await self._request_client(omm, e.account)
        entries: list[dict[str, Any]] = []
        start = 0
        while True:
            answer = await client.request("GetEventLogBuffer", {"id": start, "maxRecords": 100},
                                          check=False)
            if "errCode" in answer.attrs:
                raise StepError(f"GetEventLogBuffer at {omm}: {answer.attrs}")
            page = [as_dict(c) for c in answer.children_named("e")]
            entries.extend(page)
            if answer.attrs.get("eof") != "false" or not page:
                break
            start = int(page[-1]["id"]) + 1
        expected = {"msg": f"~{e.target}", **e.attrs}
        for entry in entries:
            if not mismatches(expected, entry):
                return _Seen(True, str(entry))
        latest = entries[-3:]
        return _Seen(False, f"{len(entries)} entries, none matching; the latest: {latest}")

    async def _look_event(self, e: Expectation) -> _Seen:
        recent = [ev for mark, ev in zip(self._event_marks, self._events, strict=True)
                  if mark >= self._actions and ev.get("kind") == e.target]
        for event in recent:
            if not mismatches(e.attrs, event):
                return _Seen(True, _event_line(event, self._start))
        if not recent:
            return _Seen(False, f"no {e.target} event since the last action")
        return _Seen(False, f"{len(recent)} {e.target} event(s), none matching; the latest: "
                            f"{_event_line(recent[-1], self._start)}")

    # -- the event stream -------------------------------------------------------------------
    async def _read_events(self) -> None:
        stream = self.site.events()
        try:
            async for event in stream:
                self._events.append(dict(event))
                self._event_marks.append(self._actions)
        finally:
            await stream.aclose()

    def _last_events(self) -> str:
        last = list(self._events)[-LAST_EVENTS:]
        if not last:
            return "  last events: (none)"
        return "  last events:\n" + "\n".join(f"    {_event_line(e, self._start)}"
                                                 for e in last)


def _event_line(event: dict[str, Any], start: float = 0.0) -> str:
    """One event as the failure report shows it, its time in scenario seconds."""
    when = event.get("time")
    stamp = f"{when - start:.2f}s" if isinstance(when, int | float) else str(when)
    return (f"[{stamp}] {event.get('kind', '?')} {event.get('subject', '')}: "
            f"{event.get('text', '')}").rstrip(": ")


def _shown(expected: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v!r}" for k, v in expected.items())


def _attr(obj: Any, name: str) -> Any:
    """An attribute that is a property or a method, called if it is one."""
    value = getattr(obj, name, None)
    return value() if callable(value) else value


async def _maybe(value: Any) -> Any:
    """`value`, awaited if it is awaitable (the handles mix plain and async reads)."""
    if inspect.isawaitable(value):
        return await value
    return value

