"""The supervisor's control API: JSON over HTTP to drive the simulated world (README "Control API").

Namespaced under /_emu/ so it never collides with a real product's URLs (ecosystem.md §7).
Handsets and RFPs can be added, removed, moved, powered; keys pressed; displays read; calls
made, answered and ended (docs/calls.md §1).

It listens on loopback only, and since any web page a browser shows can send requests there,
every request must carry the token made at each start (written to the ready file only; the
live site map's page and its session are the one exception, sipdect.app.map.server), name
this API in its Host header (no DNS rebinding), come from no foreign Origin, and a request
that changes something must be JSON (no HTML form or "simple" cross-site request can send
it). Passwords leave only when asked for (?secrets=1). A mistake in a request is a 4xx with
the reason as JSON, never a 500.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import hdrs, web

from omm.errors import Denied, Exists, Forbidden, ModelError, NoMemory, NotFound
from omm.license import describe as describe_license
from omm.statistics import RECORD_SETS
from sim.handset import CallNotPossible, HandsetStateError
from sim.phone.agent import PhoneError
from sim.phone.service import PhoneService
from sim.world import WALK_SPEED_M_S
from sipdect import __version__, clock
from sipdect.app.config import HandsetConfig, RfpConfig, position
from sipdect.app.config_check import checked_handset, checked_rfp
from sipdect.app.events import Event, sse
from sipdect.app.hosts import PhoneHost
from sipdect.app.map.server import MapServer
from sipdect.app.process import ChildHost
from sipdect.app.ready import TOKEN_HEADER
from sipdect.media.signals import ToneReport

if TYPE_CHECKING:
    from sipdect.app.system import System

log = logging.getLogger("sipdect.app.control")

STATE_CHANGING = frozenset({"POST", "PATCH", "PUT", "DELETE"})
"""Methods that must send Content-Type: application/json (also when they carry no body)."""
MODEL_STATUS: tuple[tuple[type[ModelError], int], ...] = (
    (NotFound, 404), (Exists, 409), (NoMemory, 409), (Forbidden, 409), (Denied, 409))
"""The answer to an OMM model refusal, by kind; any other refusal is 400."""
TRUE_FLAGS, FALSE_FLAGS = ("1", "true", "yes"), ("0", "false", "no", "")
"""Values of a query flag such as ?secrets=1."""
MAX_WALK_SPEED_M_S = 100.0
"""A walk faster than this is refused (a car on a motorway still locks to RFPs on its way;
anything faster is a typo)."""
KEEP_ALIVE_S = 15.0
"""An event stream with nothing to tell sends a comment this often (proxies and clients
that time out idle connections keep it)."""


def _error(status: int, text: str) -> web.Response:
    return web.json_response({"error": text}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise ValueError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _espa_block(block: Any) -> dict[str, Any]:
    """An ESPA data block as JSON: its function and records by number."""
    return {"function": block.function,
            "records": {str(ident): value for ident, value in block.records}}


def _flag(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key!r} is true or false, not {value!r}")
    return value


def _text(body: dict[str, Any], key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"give {key!r} as a string" if value is None
                         else f"{key!r} is a string, not {value!r}")
    return value


def _tone_query(request: web.Request) -> tuple[float, float]:
    """?tone=HZ&seconds=S of a `hears` request; ValueError (400) saying what to give."""
    try:
        tone = float(request.query["tone"])
        seconds = float(request.query.get("seconds", "0.5"))
    except (KeyError, ValueError):
        raise ValueError("give ?tone=HZ (and optionally &seconds=S)") from None
    if not 0 < tone < 8000 or not 0 < seconds <= 30:
        raise ValueError("tone must be in (0, 8000) Hz and seconds in (0, 30]")
    return tone, seconds


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    return None if body.get(key) is None else _text(body, key)


def _integer(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key!r} is a whole number, not {value!r}")
    return value


def _position(body: dict[str, Any], key: str, default: float | None = None) -> float:
    if key not in body and default is None:
        raise ValueError(f"give {key!r}, a number of metres")
    return position(key, body.get(key, default))


def _query_flag(request: web.Request, key: str) -> bool:
    value = request.query.get(key, "").lower()
    if value not in TRUE_FLAGS + FALSE_FLAGS:
        raise ValueError(f"?{key}= is 1 or 0, not {value!r}")
    return value in TRUE_FLAGS


def _int_query(request: web.Request, key: str, default: int) -> int:
    try:
        return int(request.query.get(key, default))
    except ValueError:
        raise ValueError(f"?{key}= is a whole number") from None


def _float_query(request: web.Request, key: str, default: float) -> float:
    try:
        value = float(request.query.get(key, default))
    except ValueError:
        raise ValueError(f"?{key}= is a number of seconds") from None
    if value != value:  # NaN
        raise ValueError(f"?{key}= is a number of seconds")
    return value


def _auto_answer(body: dict[str, Any]) -> float | None:
    """The body's "auto_answer": seconds until the handset answers by itself, null = never."""
    value = body.get("auto_answer")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError("'auto_answer' is seconds (0 or more) or null")
    return float(value)


class ControlServer:
    def __init__(self, system: System) -> None:
        self.system = system
        self.token = secrets.token_urlsafe(32)
        """Required on every request; new at each start, written to the ready file only."""
        self.app = web.Application(middlewares=[self._guard, self._errors])
        r = self.app.router
        r.add_get("/_emu/health", self.health)
        r.add_get("/_emu/state", self.state)
        r.add_get("/_emu/handsets", self.list_handsets)
        r.add_post("/_emu/handsets", self.add_handset)
        r.add_get("/_emu/handsets/{ref}", self.get_handset)
        r.add_delete("/_emu/handsets/{ref}", self.remove_handset)
        r.add_patch("/_emu/handsets/{ref}", self.patch_handset)
        r.add_post("/_emu/handsets/{ref}/call", self.call)
        r.add_post("/_emu/handsets/{ref}/alarm", self.alarm)
        r.add_post("/_emu/handsets/{ref}/answer", self.answer)
        r.add_post("/_emu/handsets/{ref}/hangup", self.hang_up)
        r.add_post("/_emu/handsets/{ref}/move", self.move_handset)
        r.add_post("/_emu/handsets/{ref}/walk", self.walk_handset)
        r.add_post("/_emu/handsets/{ref}/keys", self.press_keys)
        r.add_post("/_emu/handsets/{ref}/subscribe", self.subscribe)
        r.add_post("/_emu/handsets/{ref}/power", self.power_handset)
        r.add_get("/_emu/handsets/{ref}/display", self.display)
        r.add_get("/_emu/handsets/{ref}/hears", self.hears)
        r.add_get("/_emu/pbx", self.pbx)
        r.add_get("/_emu/license", self.license)
        r.add_get("/_emu/rfps", self.list_rfps)
        r.add_post("/_emu/rfps", self.add_rfp)
        r.add_delete("/_emu/rfps/{ref}", self.remove_rfp)
        r.add_post("/_emu/rfps/{ref}/power", self.power_rfp)
        r.add_get("/_emu/rfps/{ref}/stats", self.rfp_stats)
        r.add_get("/_emu/hosts", self.list_hosts)
        r.add_get("/_emu/hosts/{name}", self.get_host)
        r.add_post("/_emu/hosts/{name}/{action}", self.host_action)
        r.add_post("/_emu/links/{action}", self.link_action)
        r.add_get("/_emu/phones/{name}", self.get_phone)
        r.add_post("/_emu/phones/{name}/{action}", self.phone_action)
        r.add_get("/_emu/phones/{name}/hears", self.phone_hears)
        r.add_get("/_emu/watch", self.watch)
        r.add_get("/_emu/events", self.event_stream)
        r.add_post("/_emu/reset", self.reset)
        r.add_post("/_emu/espa", self.espa_call)
        r.add_post("/_emu/espa/poll", self.espa_poll)
        self._espa: dict[str, Any] = {}
        """The supervisor as control equipment: one ESPA link per Event Manager, kept open
        so that the statuses it queues come to this link's polls."""
        self.map = MapServer(system, self.app)
        """The live site map (sipdect.app.map): its page, files and feed."""
        self.runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Refuse what a browser page or a caller without the token sends (see the module
        docstring), before any handler runs."""
        refusal = self._refusal(request)
        if refusal is None:
            response: web.StreamResponse = await handler(request)
        else:
            status, why = refusal
            log.warning("control API: refused %s %s from %s: %s", request.method,
                        request.path, request.remote, why)
            response = _error(status, why)
            if status == 401:
                response.headers[hdrs.WWW_AUTHENTICATE] = 'Bearer realm="sipdect"'
        response.headers["X-SipDect-Emulator"] = __version__
        return response

    def _refusal(self, request: web.Request) -> tuple[int, str] | None:
        """(status, reason) when the request must not reach a handler, else None."""
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        if not sockname:
            return 403, "the connection is gone"
        port = sockname[1]
        hosts = {f"{sockname[0]}:{port}", f"localhost:{port}"}
        host = request.headers.get(hdrs.HOST, "").lower()
        if host not in hosts:
            return 403, (f"Host {host!r} is not this control API: use "
                         f"{' or '.join(sorted(hosts))}")
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is not None and origin.lower() not in {f"http://{h}" for h in hosts}:
            return 403, f"requests from web pages ({origin}) are refused"
        given = request.headers.get(TOKEN_HEADER)
        scheme, _, bearer = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        if given is None and scheme.lower() == "bearer":
            given = bearer.strip()
        if given is None and not self.map.admits(request):
            return 401, (f"give the token from the ready file in the {TOKEN_HEADER} header "
                         "(or Authorization: Bearer)")
        if given is not None and not hmac.compare_digest(
                given.encode("utf-8", "surrogateescape"), self.token.encode()):
            return 401, "wrong token: take it from the ready file of the running sipdect"
        if request.method in STATE_CHANGING and request.content_type != "application/json":
            return 415, f"{request.method} requests send Content-Type: application/json"
        return None

    @web.middleware
    async def _errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Every mistake a request can make is a 4xx naming it, as JSON."""
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            error = _error(exc.status, exc.reason)
            if hdrs.ALLOW in exc.headers:
                error.headers[hdrs.ALLOW] = exc.headers[hdrs.ALLOW]
            return error
        except ModelError as exc:
            status = next((s for kind, s in MODEL_STATUS if isinstance(exc, kind)), 400)
            return _error(status, exc.info)
        except KeyError as exc:
            return _error(404, str(exc.args[0]) if exc.args else "not found")
        except (ValueError, TypeError) as exc:
            return _error(400, str(exc))
        except (HandsetStateError, PhoneError) as exc:
            return _error(409, str(exc))
        return response

    async def start(self, host: str, port: int) -> None:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        self.host, self.port = sock.getsockname()[:2]
        self.map.base_url = self.url

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        for client in self._espa.values():
            client.link.close()
        self._espa.clear()
        if self.runner is not None:
            await self.runner.cleanup()

    def endpoint(self) -> dict[str, Any]:
        return {"component": "supervisor", "name": self.system.cfg.name, "protocol": "control",
                "host": self.host, "port": self.port}

    # -- the event stream (sipdect ctl watch) ----------------------------------------------------
    async def watch(self, request: web.Request) -> web.Response:
        """GET /_emu/watch?after=SEQ&wait=S: the events after SEQ (Event.as_watch), waiting up
        to S seconds (at most 30) for one; "last" is the SEQ to ask after next time."""
        after = _int_query(request, "after", 0)
        wait = min(max(_float_query(request, "wait", 0.0), 0.0), 30.0)
        bus = self.system.events
        self.system.follow_events()
        if bus.last_seq <= after and wait > 0:
            news = asyncio.Event()
            stop = bus.listen(lambda event: news.set())
            try:  # `wait`: a client's real patience, at any speed
                await asyncio.wait_for(news.wait(), clock.current().virtual(wait))
            except TimeoutError:
                pass
            finally:
                stop()
        return web.json_response({"events": [e.as_watch() for e in bus.after(after)],
                                  "last": bus.last_seq})

    async def event_stream(self, request: web.Request) -> web.StreamResponse:
        """GET /_emu/events: every event as a server-sent event (text/event-stream, `id:` =
        seq), from after Last-Event-ID or ?after=SEQ (default: from now on), kept open; a
        comment every KEEP_ALIVE_S while nothing happens."""
        given = request.headers.get("Last-Event-ID", request.query.get("after"))
        try:
            after = self.system.events.last_seq if given is None else int(given)
        except ValueError:
            raise ValueError("Last-Event-ID and ?after= are event numbers") from None
        bus = self.system.events
        queue: asyncio.Queue[Event] = asyncio.Queue()
        stop = bus.listen(queue.put_nowait)
        self.system.follow_events()
        response = web.StreamResponse(headers={
            hdrs.CONTENT_TYPE: "text/event-stream", hdrs.CACHE_CONTROL: "no-cache"})
        try:
            await response.prepare(request)
            # A comment first: the client knows at once that the stream is open.
            await response.write(f": events of {self.system.cfg.name}\n\n".encode())
            for event in bus.after(after):
                await response.write(sse(event))
            last = bus.last_seq
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(),
                                                   clock.current().virtual(KEEP_ALIVE_S))
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event.seq > last:
                    await response.write(sse(event))
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the client went, or the server stops
        finally:
            stop()
        return response

    async def reset(self, request: web.Request) -> web.Response:
        """POST /_emu/reset: back to the configured state (System.reset); answers the time
        it took."""
        await _body(request)
        took = await self.system.reset()
        return web.json_response({"reset": True, "seconds": round(took, 3)})

    # -- the supervisor as a nurse-call system (ESPA control equipment) -----------------------
    async def _espa_link(self, name: str | None) -> Any:
        from sipdect.espa.edge import ControlClient, connect_tcp

        found = [e for e in self.system.endpoints() if e.protocol == "espa"
                 and (name is None or e.name == name)]
        if not found:
            raise KeyError(f"no Event Manager {name!r} with an ESPA server" if name
                           else "the system has no Event Manager with an ESPA server")
        endpoint = found[0]
        client = self._espa.get(endpoint.name)
        if client is None or client.link.closed.is_set():
            client = ControlClient.new(f"supervisor to {endpoint.name}")
            await connect_tcp(client.link, endpoint.host, endpoint.port)
            self._espa[endpoint.name] = client
        return client

    async def espa_call(self, request: web.Request) -> web.Response:
        """POST /_emu/espa {address, text, priority?, beep?, eventmgr?}: an ESPA call (function
        1) to the Event Manager; answers once it ACKed, with the statuses a poll brought."""
        from sipdect.espa.codec import call

        body = await _body(request)
        address = str(body.get("address", ""))
        if not address:
            raise ValueError("'address' is the ESPA call address, e.g. \"201\"")
        priority = body.get("priority", 3)
        if priority not in (1, 2, 3):
            raise ValueError(f"'priority' is 1 (alarm), 2 (high) or 3 (normal), not {priority!r}")
        beep = body.get("beep")
        block = call(address, str(body.get("text", "")), priority=priority,
                     beep=None if beep is None else int(beep))
        client = await self._espa_link(body.get("eventmgr"))
        try:
            await client.call(block)
        except OSError as exc:
            return _error(502, f"the Event Manager did not take the call: {exc}")
        statuses = await client.poll()
        return web.json_response({"sent": _espa_block(block),
                                  "statuses": [_espa_block(b) for b in statuses]})

    async def espa_poll(self, request: web.Request) -> web.Response:
        """POST /_emu/espa/poll {eventmgr?}: poll the Event Manager for its statuses."""
        body = await _body(request)
        client = await self._espa_link(body.get("eventmgr"))
        statuses = await client.poll()
        return web.json_response({"statuses": [_espa_block(b) for b in statuses]})

    # -- handlers ----------------------------------------------------------------------------
    def _world(self) -> Any:
        world = self.system.site.world
        if world is None:
            raise KeyError("the site has no air yet: add an RFP first")
        return world

    def _handset(self, request: web.Request) -> int:
        return int(self._world().find(request.match_info["ref"]).id)

    def _describe(self, hid: int) -> dict[str, Any]:
        """The world's view of a handset plus its call."""
        self._world()
        return self.system.site.describe_handset(hid)

    async def health(self, request: web.Request) -> web.Response:
        world = self.system.site.world
        return web.json_response({"status": "ok",
                                  "omms": [o.cfg.name for o in self.system.omms],
                                  "rfps": len(self.system.site.rfps),
                                  "handsets": len(world.handsets) if world else 0})

    async def license(self, request: web.Request) -> web.Response:
        """Each OMM's licence as GetLicense shows it (omm.license.describe)."""
        return web.json_response({o.cfg.name: describe_license(o.model.license,
                                                               o.model.clock())
                                  for o in self.system.omms if o.serving})

    async def state(self, request: web.Request) -> web.Response:
        """Everything the ready file says, but passwords only with ?secrets=1."""
        secrets_wanted = _query_flag(request, "secrets")
        return web.json_response(self.system.ready_info(secrets=secrets_wanted))

    async def list_handsets(self, request: web.Request) -> web.Response:
        world = self.system.site.world
        return web.json_response([self._describe(h) for h in world.handsets] if world else [])

    def _omm_name(self, body: dict[str, Any]) -> str:
        name = _text(body, "omm", self.system.omm_host().name)
        try:
            self.system.omm_host(name)
        except KeyError as exc:  # the body names it: a bad request, not a missing resource
            raise ValueError(str(exc.args[0])) from None
        return name

    async def add_handset(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if "ipei" not in body:
            return _error(400, "give the handset's 'ipei'")
        cfg = checked_handset(HandsetConfig(
            ipei=_text(body, "ipei"), omm=self._omm_name(body), name=_text(body, "name", ""),
            model=_text(body, "model", "622d"), x=_position(body, "x", 0.0),
            y=_position(body, "y", 0.0), ac=_optional_text(body, "ac"),
            subscribe=_flag(body, "subscribe", True), configured=_flag(body, "configured", True)))
        auto_answer = _auto_answer(body)
        world = self.system.site.world
        if world is not None and any(str(e.handset.ipei) == cfg.ipei
                                     for e in world.handsets.values()):
            return _error(409, f"a handset with IPEI {cfg.ipei} is already on the air")
        added = self.system.site.add_handset(cfg)
        hid = int(added["id"])
        self._world().get(hid).handset.auto_answer = auto_answer
        return web.json_response(self._describe(hid), status=201)

    async def get_handset(self, request: web.Request) -> web.Response:
        return web.json_response(self._describe(self._handset(request)))

    async def patch_handset(self, request: web.Request) -> web.Response:
        hid = self._handset(request)
        body = await _body(request)
        if "auto_answer" in body:
            self._world().get(hid).handset.auto_answer = _auto_answer(body)
        return web.json_response(self._describe(hid))

    async def call(self, request: web.Request) -> web.Response:
        hid = self._handset(request)
        body = await _body(request)
        number = body.get("number")
        if not isinstance(number, str | int) or not str(number):
            return _error(400, "give the 'number' to call")
        world = self._world()
        try:
            world.get(hid).handset.dial(str(number), world.now())
        except CallNotPossible as exc:  # ended at once: say why, with what the handset shows
            world.pump(hid)
            return web.json_response({"error": str(exc), "reason": exc.reason,
                                      "handset": self._describe(hid)}, status=409)
        world.pump(hid)
        return web.json_response(self._describe(hid))

    async def alarm(self, request: web.Request) -> web.Response:
        """A handset alarm ({"kind": "sos" | "man-down" | "no-movement"}): its alarm call."""
        hid = self._handset(request)
        body = await _body(request)
        world = self._world()
        try:
            number = world.alarm(hid, _text(body, "kind", "sos"))
        except CallNotPossible as exc:
            return web.json_response({"error": str(exc), "reason": exc.reason,
                                      "handset": self._describe(hid)}, status=409)
        return web.json_response({**self._describe(hid), "alarm_number": number})

    async def answer(self, request: web.Request) -> web.Response:
        hid = self._handset(request)
        world = self._world()
        world.get(hid).handset.answer(world.now())
        world.pump(hid)
        return web.json_response(self._describe(hid))

    async def hang_up(self, request: web.Request) -> web.Response:
        hid = self._handset(request)
        world = self._world()
        world.get(hid).handset.hang_up(world.now())
        world.pump(hid)
        return web.json_response(self._describe(hid))

    async def remove_handset(self, request: web.Request) -> web.Response:
        self._world().remove_handset(self._handset(request))
        return web.json_response({"removed": True})

    async def move_handset(self, request: web.Request) -> web.Response:
        hid = self._handset(request)
        body = await _body(request)
        self._world().move(hid, _position(body, "x"), _position(body, "y"))
        return web.json_response(self._describe(hid))

    async def walk_handset(self, request: web.Request) -> web.Response:
        """{x, y, speed (m/s, default 1.4), wait (default false)}: the handset walks there in
        steps; with wait the answer comes once it arrived (or stopped: another walk or move),
        with "arrived"."""
        hid = self._handset(request)
        body = await _body(request)
        speed = body.get("speed", WALK_SPEED_M_S)
        if isinstance(speed, bool) or not isinstance(speed, int | float) or not (
                0 < speed <= MAX_WALK_SPEED_M_S):
            raise ValueError(f"'speed' is metres per second, above 0 and at most "
                             f"{MAX_WALK_SPEED_M_S:g}, not {speed!r}")
        x, y = _position(body, "x"), _position(body, "y")
        wait = _flag(body, "wait", False)
        walk = self._world().walk(hid, x, y, float(speed))
        if not wait:
            return web.json_response(self._describe(hid))
        arrived = await asyncio.shield(walk.arrived)
        return web.json_response({**self._describe(hid), "arrived": arrived})

    async def press_keys(self, request: web.Request) -> web.Response:
        hid = self._handset(request)
        body = await _body(request)
        self._world().press(hid, _text(body, "keys", ""))
        return web.json_response(self._describe(hid))

    async def subscribe(self, request: web.Request) -> web.Response:
        hid = self._handset(request)
        body = await _body(request)
        self._world().subscribe(hid, _optional_text(body, "ac"))
        return web.json_response(self._describe(hid))

    async def power_handset(self, request: web.Request) -> web.Response:
        hid = self._handset(request)
        body = await _body(request)
        self._world().power(hid, _flag(body, "on", True))
        return web.json_response(self._describe(hid))

    async def display(self, request: web.Request) -> web.Response:
        desc = self._describe(self._handset(request))
        return web.json_response({"display": desc["display"], "messages": desc["messages"],
                                  "alert": desc["alert"]})

    async def hears(self, request: web.Request) -> web.Response:
        """Whether the handset's earpiece plays a tone (?tone=HZ, &seconds=S of the latest
        audio, default 0.5): the Goertzel detector's report while a call is connected; once
        it ended `present` is false and `last_call` reports that call's audio up to its end."""
        hid = self._handset(request)
        tone, seconds = _tone_query(request)
        hearing = self._world().hears(hid, tone, seconds)
        if hearing is None:
            if not clock.voice_available():
                return _error(409, f"voice needs speed 1; this system runs at speed "
                                   f"{clock.speed():g} (README \"Speed\")")
            return _error(409, "the handset has had no call with voice yet")

        def levels(report: ToneReport | None) -> dict[str, Any]:
            if report is None:  # the earpiece is silent
                return {"tone_dbm0": None, "total_dbm0": None}
            return {"tone_dbm0": round(report.tone_dbm0, 1),
                    "total_dbm0": round(report.total_dbm0, 1)}

        last = hearing.last_call
        return web.json_response({
            "tone_hz": tone, "seconds": seconds, "call_connected": hearing.call_connected,
            "present": hearing.present, **levels(hearing.now),
            "last_call": None if last is None else {"present": last.present, **levels(last)}})

    async def pbx(self, request: web.Request) -> web.Response:
        """The embedded call server: settings, live registrations and its access logs."""
        pbx = self.system.pbx
        if pbx is None or pbx.server is None:
            return _error(404, "no embedded call server runs in this system")
        return web.json_response({**pbx.describe(),
                                  "access_logs": json.loads(pbx.running.access_logs_json())})

    async def list_rfps(self, request: web.Request) -> web.Response:
        return web.json_response([self.system.describe_rfp(i) for i in self.system.site.rfps])

    async def add_rfp(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if "mac" not in body:
            return _error(400, "give the RFP's 'mac'")
        cfg = checked_rfp(RfpConfig(
            mac=_text(body, "mac"), omm=self._omm_name(body), name=_text(body, "name", ""),
            hw_type=_text(body, "hw_type", "RFP 35"), x=_position(body, "x", 0.0),
            y=_position(body, "y", 0.0), cluster=_integer(body, "cluster", 1),
            preferred_sync=_flag(body, "preferred_sync", False)))
        if any(h.cfg.omm == cfg.omm and h.cfg.mac == cfg.mac for h in self.system.rfp_hosts()):
            return _error(409, f"RFP {cfg.mac} runs already")
        air_id = await self.system.add_rfp(cfg)
        return web.json_response(self.system.describe_rfp(air_id), status=201)

    def _rfp_id(self, request: web.Request) -> int:
        """The air id of the RFP the URL names (host name, MAC, OMM:id or id)."""
        return self.system.site.find_rfp(request.match_info["ref"])

    async def remove_rfp(self, request: web.Request) -> web.Response:
        await self.system.remove_rfp(self._rfp_id(request))
        return web.json_response({"removed": True})

    async def rfp_stats(self, request: web.Request) -> web.Response:
        """GET /_emu/rfps/{ref}/stats?set=0: the RFP statistics its OMM keeps (0: this week,
        1 and 2 the weeks before)."""
        air_id = self._rfp_id(request)
        host = self.system.site.rfp(air_id)
        try:
            record_set = int(request.query.get("set", "0"))
            if not 0 <= record_set < RECORD_SETS:
                raise ValueError(f"set {record_set}: there are {RECORD_SETS} record sets (0-2)")
            stats = self.system.omm_host(host.cfg.omm).rfp_statistics(host.cfg.mac, record_set)
        except ValueError as exc:
            return _error(409, str(exc))
        return web.json_response({"host": host.name, **stats})

    async def power_rfp(self, request: web.Request) -> web.Response:
        air_id = self._rfp_id(request)
        host = self.system.site.rfp(air_id)
        body = await _body(request)
        if host.station is None or not host.running:
            return _error(409, f"RFP host {host.name} is {host.state}: "
                               f"POST /_emu/hosts/{host.name}/start first")
        if _flag(body, "on", True):
            host.station.power_on()
        else:
            host.station.power_off()
        return web.json_response(self.system.describe_rfp(air_id))

    # -- hosts and links ----------------------------------------------------------------------
    async def list_hosts(self, request: web.Request) -> web.Response:
        return web.json_response([await self.system.describe_host(name)
                                  for name in self.system.hosts])

    async def get_host(self, request: web.Request) -> web.Response:
        return web.json_response(await self.system.describe_host(request.match_info["name"]))

    async def host_action(self, request: web.Request) -> web.Response:
        """POST /_emu/hosts/{name}/stop|start|kill."""
        name, action = request.match_info["name"], request.match_info["action"]
        actions = {"stop": self.system.stop_host, "start": self.system.start_host,
                   "kill": self.system.kill_host}
        if action not in actions:
            raise KeyError(f"no action {action!r}: give stop, start or kill")
        await _body(request)
        return web.json_response(await actions[action](name))

    def _phone_host(self, request: web.Request) -> PhoneHost | ChildHost:
        host = self.system.host(request.match_info["name"])
        if host.kind != "phone" or not isinstance(host, PhoneHost | ChildHost):
            raise KeyError(f"host {host.name!r} is no phone")
        if not host.running:
            raise PhoneError(f"phone {host.name} is {host.state}: start its host first")
        return host

    def _phone(self, request: web.Request) -> PhoneService:
        host = self._phone_host(request)
        assert isinstance(host, PhoneHost) and host.service is not None
        return host.service

    async def get_phone(self, request: web.Request) -> web.Response:
        host = self.system.host(request.match_info["name"])
        if isinstance(host, ChildHost) and host.kind == "phone" and host.running:
            return web.json_response(await host.phone("GET", ""))
        if not isinstance(host, PhoneHost):
            raise KeyError(f"host {host.name!r} is no phone")
        return web.json_response(host.service.describe() if host.service is not None
                                 else host.describe())

    async def phone_action(self, request: web.Request) -> web.Response:
        """POST /_emu/phones/{name}/call {"number": ...} | answer | reject | hangup."""
        host = self._phone_host(request)
        action = request.match_info["action"]
        body = await _body(request)
        if isinstance(host, ChildHost):  # its phone runs in another process
            return web.json_response(await host.phone("POST", f"/{action}", body))
        phone = self._phone(request)
        if action == "call":
            phone.call(_text(body, "number"))
        elif action == "answer":
            phone.answer()
        elif action == "reject":
            phone.reject()
        elif action == "hangup":
            phone.hang_up()
        else:
            raise KeyError(f"no action {action!r}: give call, answer, reject or hangup")
        return web.json_response(phone.describe())

    async def phone_hears(self, request: web.Request) -> web.Response:
        """Whether the phone hears a tone (?tone=HZ, &seconds=S) in its connected call."""
        host = self._phone_host(request)
        tone, seconds = _tone_query(request)
        if isinstance(host, ChildHost):
            far = await host.phone("GET", f"/hears?tone={tone}&seconds={seconds}")
            return web.json_response({"tone_hz": tone, "seconds": seconds, **far})
        report = self._phone(request).hears(tone, seconds)
        return web.json_response({"tone_hz": tone, "seconds": seconds, "present": report.present,
                                  "tone_dbm0": round(report.tone_dbm0, 1),
                                  "total_dbm0": round(report.total_dbm0, 1)})

    async def link_action(self, request: web.Request) -> web.Response:
        """POST /_emu/links/cut|heal with {"a": HOST, "b": HOST}."""
        action = request.match_info["action"]
        body = await _body(request)
        a, b = _text(body, "a"), _text(body, "b")
        if action == "cut":
            return web.json_response(await self.system.cut_link(a, b))
        if action == "heal":
            return web.json_response(await self.system.heal_link(a, b))
        raise KeyError(f"no action {action!r}: give cut or heal")
