"""The library face for whole sites (issue 13): a started system with handles on its
handsets, RFPs, hosts, OMMs, call server and phones, and its event stream.

    async with sipdect.Site() as site:                 # the default system `sipdect up` runs
        alice, bob = site.handset("Alice"), site.handset("Bob")
        await alice.call("202")
        await bob.wait_for(state="incoming")
        await bob.answer()
        await alice.walk(30, 0)                        # handed over to the other RFP
        assert await alice.hears(bob.tone_hz)

Every listener takes a free port at a random loopback block (as Emulator does); state lives
in a temporary directory unless data_dir is given. `ThreadedSite` runs the same for plain
synchronous code (the pytest fixture `site`). Handles find their subject again at every use,
so they stay good across `reset()`.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
from typing import Any

from sim.handset import State
from sim.voice import default_tone_hz
from sim.world import WALK_SPEED_M_S, HandsetEntry, Walk, World
from sipdect import clock
from sipdect.app.config import HandsetConfig, SystemConfig, load_config
from sipdect.app.config_check import checked_handset
from sipdect.app.emulator import Emulator, OmmHandle, _as_config
from sipdect.app.events import Event
from sipdect.app.hosts import PhoneHost
from sipdect.app.process import ChildHost
from sipdect.app.system import System
from sipdect.axi.client import AxiClient
from sipdect.waiting import DEFAULT_TIMEOUT, WaitTimeout, scaled

SYNC_TIMEOUT_S = 120.0
"""How long a ThreadedSite call may take (a whole site starting on a busy machine)."""
SETTLE_TIMEOUT_S = 60.0
"""How long start() and reset() wait for the configured handsets and users (a whole site on a
busy machine)."""
SETTLE_POLL_S = 0.05
"""Registrations at the call server tell no event: looked at this often while settling."""
SEEN_EVENTS = 8
"""The events of its subject a failed wait_for names."""


def default_config() -> SystemConfig:
    """The system `sipdect up` runs: one OMM, two RFPs, the call server, Alice and Bob."""
    return load_config()


class SiteError(RuntimeError):
    """Asked of a site what it does not have (no such handset, RFP, host, phone)."""


class Site:
    """A whole emulated installation, started in this process's event loop."""

    def __init__(self, config: SystemConfig | str | Path | None = None,
                 data_dir: Path | None = None, speed: float | None = None) -> None:
        """speed: the system clock's (sipdect.clock; default: the config's `[system] speed`,
        1 unless it says): the site must be started on a loop at that speed
        (`sipdect.clock.run(main(), speed=N)`; ThreadedSite makes its own)."""
        cfg = default_config() if config is None else _as_config(config)
        self.emulator = Emulator(cfg, data_dir, speed=speed)
        self.speed = self.emulator.config.speed
        self.reset_times: list[float] = []
        """Seconds each reset() took."""

    # -- life cycle ----------------------------------------------------------------------------
    async def __aenter__(self) -> Site:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        await self.emulator.start()
        self.system.follow_events(always=True)
        await self.settled()

    async def stop(self) -> None:
        await self.emulator.stop()

    async def reset(self) -> float:
        """Back to the configured state (System.reset): users, devices and bindings,
        handsets' positions, power and subscriptions, RFPs powered, hosts running, links
        healed. Returns the seconds it took (also kept in reset_times)."""
        started = time.perf_counter()
        await self.system.reset()
        await self.settled()
        took = time.perf_counter() - started
        self.reset_times.append(took)
        return took

    async def settled(self, timeout: float = SETTLE_TIMEOUT_S) -> None:
        """Wait until the configured handsets that subscribe by themselves are attached and
        every configured user is registered at the system's own call server, as a test
        expects the site it is given; SiteError naming who is not, after `timeout`."""
        system = self.system
        world = system.site.world
        if world is None:
            return
        handsets = [Handset(self, h.ipei) for h in self.config.handsets
                    if h.subscribe and h.configured and h.ac is None]
        pbx = system.local_pbx_host()
        users = [u.number for u in self.config.users if u.handset] if pbx is not None else []

        def missing() -> list[str]:
            out = [f"handset {h.ipei}" for h in handsets if not h.attached]
            if users:
                registered = {str(r.get("user")) for r in self.pbx.registrations}
                out += [f"user {u}" for u in users if u not in registered]
            return out
        news = asyncio.Event()
        stop = system.events.listen(lambda event: news.set())
        deadline = time.monotonic() + scaled(timeout)  # real seconds at any speed
        try:
            while left := missing():
                if time.monotonic() > deadline:
                    raise SiteError(f"the site did not settle within {timeout:g} s: "
                                    f"{', '.join(left)} not yet attached or registered")
                news.clear()
                try:
                    await asyncio.wait_for(news.wait(),
                                           clock.current().virtual(SETTLE_POLL_S))
                except TimeoutError:
                    pass
        finally:
            stop()

    @property
    def system(self) -> System:
        system = self.emulator.system
        if system is None:
            raise SiteError("the site is not running: use `async with Site() as site`")
        return system

    @property
    def config(self) -> SystemConfig:
        return self.emulator.config

    def _world(self) -> World:
        world = self.system.site.world
        if world is None:
            raise SiteError("the site has no air: its config has no RFPs or handsets")
        return world

    # -- handsets ------------------------------------------------------------------------------
    def handset(self, ref: str | int) -> Handset:
        """A handset by its config name, IPEI (either form), id, or the number or name of the
        user bound to it."""
        text = str(ref)
        user = next((u for u in self.config.users if text in (u.number, u.name) and u.handset),
                    None)
        if user is not None:
            text = str(user.handset)
        try:
            entry = self._world().find(text)
        except KeyError as exc:
            raise SiteError(str(exc.args[0])) from None
        return Handset(self, str(entry.handset.ipei))

    @property
    def handsets(self) -> list[Handset]:
        world = self.system.site.world
        return [] if world is None else [Handset(self, str(e.handset.ipei))
                                         for e in world.handsets.values()]

    def add_handset(self, ipei: str, *, omm: str | None = None, name: str = "",
                    model: str = "622d", x: float = 0, y: float = 0, ac: str | None = None,
                    subscribe: bool = True, configured: bool = True) -> Handset:
        """Put a handset on the air (its device record configured at its OMM unless
        `configured` is false); it subscribes by itself with `ac` (default: its OMM's)."""
        cfg = checked_handset(HandsetConfig(
            ipei=ipei, omm=omm or self.system.omm_host().name, name=name, model=model,
            x=float(x), y=float(y), ac=ac, subscribe=subscribe, configured=configured))
        desc = self.system.site.add_handset(cfg)
        return Handset(self, str(desc["ipei"]))

    # -- RFPs, hosts, links --------------------------------------------------------------------
    def rfp(self, ref: str | int) -> Rfp:
        """An RFP by its host name, MAC, "OMM:id" or its OMM's RFP id."""
        try:
            air_id = self.system.site.find_rfp(str(ref))
        except KeyError as exc:
            raise SiteError(str(exc.args[0])) from None
        return Rfp(self, self.system.site.rfp(air_id).name)

    @property
    def rfps(self) -> list[Rfp]:
        return [Rfp(self, h.name) for h in self.system.site.rfps.values()]

    def host(self, name: str) -> Host:
        try:
            self.system.host(name)
        except KeyError as exc:
            raise SiteError(str(exc.args[0])) from None
        return Host(self, name)

    @property
    def hosts(self) -> list[Host]:
        return [Host(self, name) for name in self.system.hosts]

    async def cut(self, a: str, b: str) -> None:
        """Cut the link between hosts a and b (both ways; `ctl link cut`)."""
        await self.system.cut_link(a, b)

    async def heal(self, a: str, b: str) -> None:
        await self.system.heal_link(a, b)

    # -- OMMs, call server, phones -------------------------------------------------------------
    @property
    def omm(self) -> OmmHandle:
        """The first OMM (of a standby pair: the one serving): AXI host, ports, login."""
        return self.emulator.handle()

    def omm_handle(self, name: str) -> OmmHandle:
        return self.emulator.handle(name)

    async def axi(self, account: str | None = None, *, omm: str | None = None,
                  tls: bool = False) -> AxiClient:
        """An AXI client logged in to the OMM as `account` (a configured [[omm.accounts]]
        username; default: the OMM's initial full-access login). The caller closes it."""
        handle = self.emulator.handle(omm)
        username, password = handle.username, handle.password
        if account is not None and account != username:
            omm_cfg = next(o for o in self.config.omms if o.name == handle.name)
            found = next((a for a in omm_cfg.accounts if a.username == account), None)
            if found is None:
                raise SiteError(f"OMM {handle.name} has no configured account {account!r}")
            username, password = found.username, found.password
        client = await AxiClient.connect(handle.host, handle.tls_port if tls else handle.port,
                                         tls=tls or None)
        try:
            await client.login(username, password)
        except BaseException:
            await client.close()
            raise
        return client

    @property
    def pbx(self) -> Pbx:
        """The embedded call server: its registrations."""
        return Pbx(self)

    def phone(self, name: str) -> Phone:
        """A SIP phone host of the system ([[phone]])."""
        host = self.host(name)
        if self.system.host(name).kind != "phone":
            raise SiteError(f"host {name!r} is no phone")
        return Phone(self, host.name)

    # -- events --------------------------------------------------------------------------------
    def events(self, after: int | None = None) -> EventStream:
        """Every event of the system from now on (or from after seq `after`, as far as the bus
        keeps them), as dicts: seq, time, kind, subject, text, fault, since_fault.

            async for event in site.events():
        """
        return EventStream(self.system, after)

    def recent_events(self, count: int = 20) -> list[dict[str, Any]]:
        """The last `count` events the bus kept."""
        return [e.as_dict() for e in list(self.system.events.events)[-count:]]


class EventStream:
    """An async iterator of a system's events; it listens from its creation until closed
    (`aclose`, or leaving `async with`)."""

    def __init__(self, system: System, after: int | None) -> None:
        bus = system.events
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        for event in bus.after(after) if after is not None else []:
            self._queue.put_nowait(event)
        self._stop: Callable[[], None] | None = bus.listen(self._queue.put_nowait)
        system.follow_events()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self._stop is None and self._queue.empty():
            raise StopAsyncIteration
        return (await self._queue.get()).as_dict()

    async def next(self, timeout: float) -> dict[str, Any] | None:
        """The next event, or None when none came within `timeout` (real) seconds."""
        try:
            return await asyncio.wait_for(self.__anext__(), clock.current().virtual(timeout))
        except (TimeoutError, StopAsyncIteration):
            return None

    async def aclose(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Handset:
    """One handset on the site's air, found again by its IPEI at every use."""

    def __init__(self, site: Site, ipei: str) -> None:
        self._site = site
        self.ipei = ipei

    def __repr__(self) -> str:
        return f"<Handset {self.ipei}>"

    def _entry(self) -> HandsetEntry:
        try:
            return self._site._world().find(self.ipei)
        except KeyError:
            raise SiteError(f"handset {self.ipei} is no longer on the air") from None

    @property
    def id(self) -> int:
        return self._entry().id

    @property
    def name(self) -> str:
        return self._entry().name

    @property
    def subject(self) -> str:
        """How the event stream names it."""
        return f"handset {self.ipei}"

    @property
    def tone_hz(self) -> float:
        """The tone it talks in a call (what the far end hears)."""
        return default_tone_hz(self.id)

    def _act(self, action: Callable[[World, int], None]) -> None:
        world = self._site._world()
        action(world, self._entry().id)

    # -- actions -------------------------------------------------------------------------------
    async def call(self, number: str | int) -> None:
        """Dial `number` en bloc (sim.handset.CallNotPossible when it cannot even try)."""
        def dial(world: World, hid: int) -> None:
            try:
                world.get(hid).handset.dial(str(number), world.now())
            finally:
                world.pump(hid)
        self._act(dial)

    async def alarm(self, kind: str = "sos") -> str:
        """Raise a handset alarm: "sos" (the SOS key), "man-down" or "no-movement" (the
        alarm sensor) where the model has it (sim.handset.ALARMS_BY_MODEL). The alarm call
        dials the handset's stored alarm number, which is returned."""
        dialled: list[str] = []
        self._act(lambda world, hid: dialled.append(world.alarm(hid, kind)))
        return dialled[0]

    async def answer(self) -> None:
        def answer(world: World, hid: int) -> None:
            world.get(hid).handset.answer(world.now())
            world.pump(hid)
        self._act(answer)

    async def hang_up(self) -> None:
        """End the call, or reject it while it rings."""
        def hang_up(world: World, hid: int) -> None:
            world.get(hid).handset.hang_up(world.now())
            world.pump(hid)
        self._act(hang_up)

    async def press(self, keys: str) -> None:
        """Press keys, e.g. "1234{CALL}" or "{OK}"."""
        self._act(lambda world, hid: world.press(hid, keys))

    async def move(self, x: float, y: float) -> None:
        self._act(lambda world, hid: world.move(hid, float(x), float(y)))

    async def walk(self, x: float, y: float, speed: float = WALK_SPEED_M_S, *,
                   wait: bool = True) -> Any:
        """Walk there in a straight line at `speed` m/s. With `wait` (default) return once
        there: True, or False when stopped on the way (another walk or move); else return
        the Walk (its `arrived` future says when)."""
        world = self._site._world()
        walk: Walk = world.walk(self._entry().id, float(x), float(y), float(speed))
        if not wait:
            return walk
        return await asyncio.shield(walk.arrived)

    async def subscribe(self, ac: str | None = None) -> None:
        """Subscribe to its OMM's system with `ac` (None: open the menu)."""
        self._act(lambda world, hid: world.subscribe(hid, ac))

    async def power(self, on: bool) -> None:
        self._act(lambda world, hid: world.power(hid, on))

    # -- what it shows -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """What `ctl handset` shows: place, RFP, subscription, display, call, voice."""
        return self._site.system.site.describe_handset(self._entry().id)

    @property
    def display(self) -> list[str]:
        return list(self._entry().handset.display)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.state()["messages"])

    @property
    def call_state(self) -> str:
        """idle, dialling, proceeding, ringback, incoming, connected (as the control API)."""
        return str(self._entry().handset.call_state.value)

    @property
    def attached(self) -> bool:
        """Subscribed, locked to an RFP and its location registered there."""
        handset = self._entry().handset
        sub = handset.subscription
        return (handset.rfp_id is not None and sub is not None and sub.tpui is not None
                and handset.location.value == "registered")

    @property
    def subscribed(self) -> bool:
        return bool(self._entry().handset.subscriptions)

    @property
    def auto_answer(self) -> float | None:
        """Seconds until it answers a ringing call by itself; None: never."""
        return self._entry().handset.auto_answer

    @auto_answer.setter
    def auto_answer(self, seconds: float | None) -> None:
        self._entry().handset.auto_answer = seconds

    async def hears(self, hz: float, seconds: float = 0.5, *,
                    report: bool = False) -> Any:
        """Whether its earpiece plays `hz` now (the latest `seconds`, in a connected call);
        with `report`, the world's Hearing (levels, and the last call's once it ended)."""
        hearing = self._site._world().hears(self._entry().id, float(hz), float(seconds))
        if report:
            return hearing
        return hearing is not None and hearing.present

    # -- waiting -------------------------------------------------------------------------------
    def _matches(self, state: str | None, display: str | None,
                 attached: bool | None) -> bool:
        entry = self._entry()
        handset = entry.handset
        if state is not None:
            names = {handset.call_state.value, handset.state.value}
            if self.attached:
                names.add("attached")
            if handset.subscriptions:
                names.add("subscribed")
            if handset.state is State.SEARCHING:
                names.add("searching")
            if state not in names:
                return False
        if display is not None and not any(display in line for line in handset.display):
            return False
        return attached is None or self.attached == attached

    async def wait_for(self, state: str | None = None, *, display: str | None = None,
                       attached: bool | None = None,
                       timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until the handset is in `state` (a call state: idle, dialling, proceeding,
        ringback, incoming, connected; or attached, subscribed, searching, off), shows
        `display` in a line, and/or is `attached` or not. Waits on the event stream with a
        deadline; WaitTimeout says what it waited for, what it shows, and its last events."""
        if state is None and display is None and attached is None:
            raise ValueError("wait_for what? give state=, display= or attached=")
        system = self._site.system
        news = asyncio.Event()
        stop = system.events.listen(
            lambda event: news.set() if event.subject.startswith(self.subject) else None)
        deadline = time.monotonic() + scaled(timeout)  # real seconds at any speed
        try:
            while not self._matches(state, display, attached):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimeout(self._not_seen(state, display, attached, timeout))
                news.clear()
                try:
                    # Also wake now and then: a state no event tells (a location registered
                    # on an RFP of another process) is looked at again.
                    await asyncio.wait_for(news.wait(),
                                           clock.current().virtual(min(left, 1.0)))
                except TimeoutError:
                    pass
        finally:
            stop()

    def _not_seen(self, state: str | None, display: str | None, attached: bool | None,
                  timeout: float) -> str:
        wanted = ", ".join(f"{k}={v!r}" for k, v in (("state", state), ("display", display),
                                                       ("attached", attached)) if v is not None)
        desc = self.state()
        mine = [e.line for e in self._site.system.events.events
                if e.subject.startswith(self.subject)][-SEEN_EVENTS:]
        return (f"handset {self.ipei} ({desc['name']}): no {wanted} within {timeout:g} s; it "
                f"is {desc['state']}, call {desc['call_state']}, "
                f"{'attached' if self.attached else 'not attached'} at RFP {desc['rfp_host']}, "
                f"display {desc['display']}; its last events: {mine}")


class Rfp:
    """One RFP host of the site, by its host name."""

    def __init__(self, site: Site, host: str) -> None:
        self._site = site
        self.name = host

    def __repr__(self) -> str:
        return f"<Rfp {self.name}>"

    def _air_id(self) -> int:
        for air_id, host in self._site.system.site.rfps.items():
            if host.name == self.name:
                return air_id
        raise SiteError(f"RFP {self.name} is no longer in the system")

    def state(self) -> dict[str, Any]:
        """What `ctl rfps` shows: id, MAC, host state, powered, linked, syncState, ..."""
        return self._site.system.describe_rfp(self._air_id())

    async def power(self, on: bool) -> None:
        host = self._site.system.site.rfp(self._air_id())
        if host.station is None or not host.running:
            raise SiteError(f"RFP host {host.name} is {host.state}: start its host first")
        if on:
            host.station.power_on()
        else:
            host.station.power_off()


class Host:
    """One machine of the site."""

    def __init__(self, site: Site, name: str) -> None:
        self._site = site
        self.name = name

    def __repr__(self) -> str:
        return f"<Host {self.name}>"

    @property
    def state(self) -> str:
        """running, stopped or killed."""
        return str(self._site.system.host(self.name).state)

    def describe(self) -> dict[str, Any]:
        return self._site.system.host(self.name).describe()

    async def stop(self) -> None:
        await self._site.system.stop_host(self.name)

    async def start(self) -> None:
        await self._site.system.start_host(self.name)

    async def kill(self) -> None:
        await self._site.system.kill_host(self.name)


class Pbx:
    """The embedded call server as the site sees it."""

    def __init__(self, site: Site) -> None:
        self._site = site

    def describe(self) -> dict[str, Any]:
        host = self._site.system.local_pbx_host()
        if host is None:
            raise SiteError("no embedded call server runs in this process")
        return dict(host.service.describe())

    @property
    def registrations(self) -> list[dict[str, Any]]:
        """Live registrations: user, contact, source, expires."""
        return list(self.describe()["registrations"])

    def registered(self, user: str) -> bool:
        return any(str(r.get("user")) == str(user) for r in self.registrations)


class Phone:
    """A SIP phone host ([[phone]]), in this process or a child."""

    def __init__(self, site: Site, name: str) -> None:
        self._site = site
        self.name = name

    async def _do(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        host = self._site.system.host(self.name)
        if not host.running:
            raise SiteError(f"phone {self.name} is {host.state}: start its host first")
        if isinstance(host, ChildHost):
            method = "GET" if action == "" else "POST"
            return dict(await host.phone(method, f"/{action}" if action else "", body))
        assert isinstance(host, PhoneHost) and host.service is not None
        phone = host.service
        if action == "call":
            phone.call(str((body or {})["number"]))
        elif action == "answer":
            phone.answer()
        elif action == "reject":
            phone.reject()
        elif action == "hangup":
            phone.hang_up()
        return dict(phone.describe())

    async def state(self) -> dict[str, Any]:
        return await self._do("")

    async def call(self, number: str | int) -> dict[str, Any]:
        return await self._do("call", {"number": str(number)})

    async def answer(self) -> dict[str, Any]:
        return await self._do("answer")

    async def reject(self) -> dict[str, Any]:
        return await self._do("reject")

    async def hang_up(self) -> dict[str, Any]:
        return await self._do("hangup")


# -- a synchronous twin ------------------------------------------------------------------------
HANDLES = (Handset, Rfp, Host, Pbx, Phone)


class _Synced:
    """A handle whose every attribute and method runs on the site's loop, for code without
    one (plain pytest)."""

    def __init__(self, runner: ThreadedSite, target: Any) -> None:
        object.__setattr__(self, "_runner", runner)
        object.__setattr__(self, "_target", target)

    def __repr__(self) -> str:
        return repr(self._target)

    def __getattr__(self, name: str) -> Any:
        value = self._runner.run(getattr, self._target, name)
        if not callable(value):
            return self._runner.wrap(value)

        def method(*args: Any, **kwargs: Any) -> Any:
            return self._runner.wrap(self._runner.run(value, *args, **kwargs))
        return method

    def __setattr__(self, name: str, value: Any) -> None:
        self._runner.run(setattr, self._target, name, value)


class ThreadedSite:
    """A Site on its own event loop in a daemon thread; every handle it gives is synchronous
    (`site.handset("Alice").call("202")`)."""

    def __init__(self, config: SystemConfig | str | Path | None = None,
                 data_dir: Path | None = None, speed: float | None = None) -> None:
        self.site = Site(config, data_dir, speed)
        self._loop = clock.new_event_loop(clock.at_speed(self.site.speed))
        self._thread = threading.Thread(target=self._loop.run_forever, name="sipdect-site",
                                        daemon=True)
        self._thread.start()

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """fn(*args, **kwargs) on the site's loop (awaited when it is a coroutine)."""
        async def call() -> Any:
            value = fn(*args, **kwargs)
            return await value if inspect.isawaitable(value) else value
        future: Future[Any] = asyncio.run_coroutine_threadsafe(call(), self._loop)
        return future.result(timeout=scaled(SYNC_TIMEOUT_S))  # real seconds, this thread

    def wrap(self, value: Any) -> Any:
        if isinstance(value, HANDLES):
            return _Synced(self, value)
        if isinstance(value, list) and value and all(isinstance(v, HANDLES) for v in value):
            return [_Synced(self, v) for v in value]
        return value

    def start(self) -> ThreadedSite:
        self.run(self.site.start)
        return self

    def stop(self) -> None:
        try:
            self.run(self.site.stop)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> ThreadedSite:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def reset(self) -> float:
        return float(self.run(self.site.reset))

    def __getattr__(self, name: str) -> Any:
        """Everything else of Site, synchronously: handset, rfp, host, cut, heal, omm, pbx..."""
        return _Synced(self, self.site).__getattr__(name)

    def events(self, after: int = 0) -> list[dict[str, Any]]:
        """The kept events after seq `after` (a synchronous caller cannot iterate the stream;
        wait with sipdect.waiting.until_sync on this)."""
        def kept() -> list[dict[str, Any]]:
            self.site.system.follow_events()
            return [e.as_dict() for e in self.site.system.events.after(after)]
        return list(self.run(kept))

    def axi(self, *args: Any, **kwargs: Any) -> Any:
        raise SiteError("an AXI client needs an event loop: use site.omm's host, port and "
                        "login with a synchronous client, or sipdect.Site in async tests")


async def measure_resets(rounds: int = 20, config: SystemConfig | str | Path | None = None,
                         data_dir: Path | None = None) -> list[float]:
    """Seconds each of `rounds` resets of one started site took (the `site` fixture's cost per
    test; `sipdect bench scenario`). Default: the default system `sipdect up` runs; give
    emulator.quiet_config() for the OMM alone."""
    async with Site(config, data_dir) as site:
        for _ in range(rounds):
            await site.reset()
        return list(site.reset_times)


def measure_resets_sync(rounds: int = 20,
                        config: SystemConfig | str | Path | None = None) -> list[float]:
    """measure_resets for code without an event loop."""
    return asyncio.run(measure_resets(rounds, config))
