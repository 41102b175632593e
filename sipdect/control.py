"""The supervisor's control API: JSON over HTTP to drive the simulated world (README "Control API").

Namespaced under /_emu/ so it never collides with a real product's URLs (ecosystem.md §7).
Handsets and RFPs can be added, removed, moved, powered; keys pressed; displays read; calls
made, answered and ended (docs/calls.md §1).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sim.handset import CallNotPossible, HandsetStateError
from sipdect import __version__
from sipdect.config import HandsetConfig, RfpConfig
from sipdect.media.signals import ToneReport

if TYPE_CHECKING:
    from sipdect.system import System


def _error(status: int, text: str) -> web.Response:
    return web.json_response({"error": text}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text='{"error": "the body is not JSON"}',
                                 content_type="application/json") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text='{"error": "the body must be a JSON object"}',
                                 content_type="application/json")
    return data


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
        self.app = web.Application(middlewares=[self._errors])
        r = self.app.router
        r.add_get("/_emu/health", self.health)
        r.add_get("/_emu/state", self.state)
        r.add_get("/_emu/handsets", self.list_handsets)
        r.add_post("/_emu/handsets", self.add_handset)
        r.add_get("/_emu/handsets/{ref}", self.get_handset)
        r.add_delete("/_emu/handsets/{ref}", self.remove_handset)
        r.add_patch("/_emu/handsets/{ref}", self.patch_handset)
        r.add_post("/_emu/handsets/{ref}/call", self.call)
        r.add_post("/_emu/handsets/{ref}/answer", self.answer)
        r.add_post("/_emu/handsets/{ref}/hangup", self.hang_up)
        r.add_post("/_emu/handsets/{ref}/move", self.move_handset)
        r.add_post("/_emu/handsets/{ref}/keys", self.press_keys)
        r.add_post("/_emu/handsets/{ref}/subscribe", self.subscribe)
        r.add_post("/_emu/handsets/{ref}/power", self.power_handset)
        r.add_get("/_emu/handsets/{ref}/display", self.display)
        r.add_get("/_emu/handsets/{ref}/hears", self.hears)
        r.add_get("/_emu/pbx", self.pbx)
        r.add_get("/_emu/rfps", self.list_rfps)
        r.add_post("/_emu/rfps", self.add_rfp)
        r.add_delete("/_emu/rfps/{id}", self.remove_rfp)
        r.add_post("/_emu/rfps/{id}/power", self.power_rfp)
        self.runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @web.middleware
    async def _errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except KeyError as exc:
            return _error(404, str(exc.args[0]) if exc.args else "not found")
        except (ValueError, TypeError) as exc:
            return _error(400, str(exc))
        except HandsetStateError as exc:
            return _error(409, str(exc))
        response.headers["X-SipDect-Emulator"] = __version__
        return response

    async def start(self, host: str, port: int) -> None:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        self.host, self.port = sock.getsockname()[:2]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def endpoint(self) -> dict[str, Any]:
        return {"component": "supervisor", "name": self.system.cfg.name, "protocol": "control",
                "host": self.host, "port": self.port}

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
        world = self._world()
        desc: dict[str, Any] = world.describe(hid)
        handset = world.get(hid).handset
        desc["call_state"] = handset.call_state.value
        desc["auto_answer"] = handset.auto_answer
        return desc

    async def health(self, request: web.Request) -> web.Response:
        info = self.system.ready_info()
        return web.json_response({"status": "ok", "omms": [o.cfg.name for o in self.system.omms],
                                  "rfps": len(info["rfps"]), "handsets": len(info["handsets"])})

    async def state(self, request: web.Request) -> web.Response:
        return web.json_response(self.system.ready_info())

    async def list_handsets(self, request: web.Request) -> web.Response:
        world = self.system.site.world
        return web.json_response([self._describe(h) for h in world.handsets] if world else [])

    async def add_handset(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if "ipei" not in body:
            return _error(400, "give the handset's 'ipei'")
        cfg = HandsetConfig(ipei=str(body["ipei"]),
                            omm=str(body.get("omm", self.system.omms[0].cfg.name)),
                            name=str(body.get("name", "")), model=str(body.get("model", "622d")),
                            x=float(body.get("x", 0.0)), y=float(body.get("y", 0.0)),
                            ac=body.get("ac"), subscribe=bool(body.get("subscribe", True)),
                            configured=bool(body.get("configured", True)))
        if cfg.omm not in self.system.site.omms:
            return _error(400, f"no OMM named {cfg.omm!r}")
        auto_answer = _auto_answer(body)
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
        self._world().move(hid, float(body["x"]), float(body["y"]))
        return web.json_response(self._describe(hid))

    async def press_keys(self, request: web.Request) -> web.Response:
        hid = self._handset(request)
        body = await _body(request)
        self._world().press(hid, str(body.get("keys", "")))
        return web.json_response(self._describe(hid))

    async def subscribe(self, request: web.Request) -> web.Response:
        hid = self._handset(request)
        body = await _body(request)
        ac = body.get("ac")
        self._world().subscribe(hid, str(ac) if ac is not None else None)
        return web.json_response(self._describe(hid))

    async def power_handset(self, request: web.Request) -> web.Response:
        hid = self._handset(request)
        body = await _body(request)
        self._world().power(hid, bool(body.get("on", True)))
        return web.json_response(self._describe(hid))

    async def display(self, request: web.Request) -> web.Response:
        desc = self._describe(self._handset(request))
        return web.json_response({"display": desc["display"], "messages": desc["messages"]})

    async def hears(self, request: web.Request) -> web.Response:
        """Whether the handset's earpiece plays a tone (?tone=HZ, &seconds=S of the latest
        audio, default 0.5): the Goertzel detector's report while a call is connected; once
        it ended `present` is false and `last_call` reports that call's audio up to its end."""
        hid = self._handset(request)
        try:
            tone = float(request.query["tone"])
            seconds = float(request.query.get("seconds", "0.5"))
        except (KeyError, ValueError):
            return _error(400, "give ?tone=HZ (and optionally &seconds=S)")
        if not 0 < tone < 8000 or not 0 < seconds <= 30:
            return _error(400, "tone must be in (0, 8000) Hz and seconds in (0, 30]")
        hearing = self._world().hears(hid, tone, seconds)
        if hearing is None:
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
        return web.json_response([r.describe() for r in self.system.site.rfps.values()])

    async def add_rfp(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if "mac" not in body:
            return _error(400, "give the RFP's 'mac'")
        cfg = RfpConfig(mac=str(body["mac"]),
                        omm=str(body.get("omm", self.system.omms[0].cfg.name)),
                        name=str(body.get("name", "")), hw_type=str(body.get("hw_type", "RFP 35")),
                        x=float(body.get("x", 0.0)), y=float(body.get("y", 0.0)),
                        cluster=int(body.get("cluster", 1)),
                        preferred_sync=bool(body.get("preferred_sync", False)))
        entry = await self.system.site.add_rfp(cfg)
        return web.json_response(entry.describe(), status=201)

    async def remove_rfp(self, request: web.Request) -> web.Response:
        await self.system.site.remove_rfp(int(request.match_info["id"]))
        return web.json_response({"removed": True})

    async def power_rfp(self, request: web.Request) -> web.Response:
        entry = self.system.site.rfp(int(request.match_info["id"]))
        body = await _body(request)
        if bool(body.get("on", True)):
            entry.station.power_on()
        else:
            entry.station.power_off()
        return web.json_response(entry.describe())
