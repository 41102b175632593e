"""The MOM as a running service: its model, one sync session per defined and enabled OMM
(mom.sync), and what MAXI asks of the OMMs through them (docs/mom.md).

MAXI (mom/maxi) listens here, on the MOM's address and `maxi_port`, TLS at the MOM's level;
it asks through this service: `send_message(uid, attrs)`, `locate(uid)`, and hears roaming
steps as a roaming listener.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mom.config import MomConfig
from mom.directory import Change
from mom.errors import NotFound
from mom.maxi.api import MaxiApi
from mom.maxi.server import start_maxi
from mom.model import MomModel, MomSetup
from mom.sync import OmmSync, RoamingEvent, SyncSessionError
from sipdect import clock
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message
from sipdect.net import Endpoint, HostNet
from sipdect.tls import SecurityLevel, client_context

log = logging.getLogger("mom.service")

CONNECT_TIMEOUT_S = 10.0
"""[I] A sync session's TCP and TLS set-up gives up after this (then the back-off)."""


class MomService:
    """One MOM: `await start()`, `await stop()` (clean) or `await kill()` (power loss)."""

    def __init__(self, cfg: MomConfig, data_dir: Path, *, net: HostNet | None = None,
                 clock: Callable[[], float] = clock.wall) -> None:
        if cfg.tls_level not in (SecurityLevel.HIGH, SecurityLevel.MEDIUM):
            raise ValueError(f"the MOM's TLS level is High or Medium, not {cfg.tls_level}")
        self.cfg = cfg
        self.data_dir = data_dir
        self.net = net
        self.clock = clock
        self.model: MomModel | None = None
        self.sessions: dict[str, OmmSync] = {}
        self._roaming_listeners: list[Callable[[RoamingEvent], None]] = []
        self.maxi: MaxiApi | None = None
        self._maxi_server: asyncio.Server | None = None
        self.endpoints: list[Endpoint] = []
        """Where the MOM listens (MAXI), as /_emu/hosts and the ready file show it."""

    # -- life ------------------------------------------------------------------
    async def start(self) -> None:
        model = self.model = MomModel(self.data_dir, MomSetup(self.cfg.name, self.cfg.accounts),
                                      self.clock)
        for omm in self.cfg.omms:
            values: dict[str, Any] = {"address": omm.address, "port": omm.port,
                                      "username": omm.username, "enabled": omm.enabled}
            if omm.password:
                values["password"] = omm.password
            model.omms.ensure(omm.name, values)
        model.add_listener(self._on_change)
        for rec in model.omms.all():
            self._follow_omm(rec["name"])
        await self._serve_maxi(model)

    async def _serve_maxi(self, model: MomModel) -> None:
        api = self.maxi = MaxiApi(model, sync=self)
        self.add_roaming_listener(api.on_roaming)
        net = self.net or HostNet("mom", self.cfg.host)
        server = self._maxi_server = await start_maxi(
            api, net, self.data_dir, port=self.cfg.maxi_port, level=self.cfg.tls_level)
        port = server.sockets[0].getsockname()[1]
        self.endpoints = [Endpoint("mom", self.cfg.name, "maxi", net.address, port)]

    async def stop(self) -> None:
        await self._end()

    async def kill(self) -> None:
        """Every socket and timer gone at once (the host's HostNet dropped the sockets);
        what was committed stays (SQLite per change)."""
        await self._end()

    async def _end(self) -> None:
        server, self._maxi_server, self.endpoints = self._maxi_server, None, []
        if server is not None:
            server.close()
        api, self.maxi = self.maxi, None
        if api is not None:
            for link in list(api.sessions.values()):
                link.abort("the MOM stops")
            self.remove_roaming_listener(api.on_roaming)
            api.close()
        sessions, self.sessions = self.sessions, {}
        await asyncio.gather(*(s.stop() for s in sessions.values()), return_exceptions=True)
        if self.model is not None:
            self.model.remove_listener(self._on_change)
            self.model.close()
            self.model = None

    def _follow_omm(self, name: str) -> None:
        """Start, restart or end the session of OMM `name` as its definition says."""
        model = self.model
        assert model is not None
        rec = model.omms.records.get(name)
        old = self.sessions.pop(name, None)
        if old is not None:
            asyncio.ensure_future(old.stop())
        if rec is None:
            return
        if not rec.get("enabled", True):
            model.omms.set_state(name, "disabled")
            return
        session = OmmSync(model, name, self._connector(name), mom_address=self.address,
                          on_roaming=self._roaming)
        self.sessions[name] = session
        session.start()

    def _connector(self, name: str) -> Callable[[], Any]:
        async def connect() -> AxiClient:
            assert self.model is not None
            rec = self.model.omms.get(name)
            # The MOM's connections to its OMMs are always TLS 1.2 or 1.3 (seed 000).
            tls = client_context(self.cfg.tls_level)
            return await asyncio.wait_for(AxiClient.connect(
                rec["address"], int(rec["port"]), tls=tls, net=self.net,
                local_host=None if self.net is not None else self.cfg.host), CONNECT_TIMEOUT_S)
        return connect

    @property
    def address(self) -> str:
        return self.net.address if self.net is not None else self.cfg.host

    def _on_change(self, change: Change) -> None:
        if change.kind == "omm":
            if change.fields is None or change.deleted or set(change.fields) - {"ommId"}:
                self._follow_omm(str(change.key))
            return
        if change.kind not in ("user", "pp"):
            return
        for session in self.sessions.values():
            session.mark(change)
        if change.kind == "pp" and not change.deleted and self.model is not None:
            # A user goes where its device goes.
            device = self.model.directory.devices.records.get(change.key)
            user = self.model.directory.user_of(device) if device is not None else None
            if user is not None:
                for session in self.sessions.values():
                    session.mark(Change("user", user["uid"], ("ppn",)))

    # -- roaming events ------------------------------------------------------------------
    def add_roaming_listener(self, listener: Callable[[RoamingEvent], None]) -> None:
        """Hear every EventDECTLocate/EventDECTSubscribe an OMM sent and the MOM's answer
        (RoamingEvent kinds locate, subscribe, moved, rejected)."""
        self._roaming_listeners.append(listener)

    def remove_roaming_listener(self, listener: Callable[[RoamingEvent], None]) -> None:
        if listener in self._roaming_listeners:
            self._roaming_listeners.remove(listener)

    def _roaming(self, event: RoamingEvent) -> None:
        log.info("roaming: %s %s at %s", event.kind, event.ipei, event.omm)
        for listener in list(self._roaming_listeners):
            listener(event)

    # -- what MAXI asks ------------------------------------------------------------------
    def _where(self, uid: int) -> tuple[OmmSync, int, int]:
        """The session of the OMM user `uid` is at, with its local uid and ppn there."""
        model = self.model
        if model is None:
            raise SyncSessionError("the MOM is not running")
        d = model.directory
        user = d.get_user(uid)
        device = d.device_of(user)
        if device is None:
            raise NotFound(f"user {uid} has no device", "uid")
        at = model.omms.by_omm_id(device.get("ommIdAck", ""))
        name = at["name"] if at is not None else device.get("home", "")
        session = self.sessions.get(name)
        if session is None or not session.synced:
            raise SyncSessionError(f"no sync session with the OMM of user {uid} ({name or '?'})")
        local_uid = user.get("local", {}).get(name)
        local_ppn = device.get("local", {}).get(name)
        if local_uid is None or local_ppn is None:
            raise NotFound(f"user {uid} is not yet at OMM {name}", "uid")
        return session, int(local_uid), int(local_ppn)

    async def send_message(self, uid: int, attrs: dict[str, str]) -> Message:
        """Route a SendMessage to the OMM user `uid` is at; `attrs` are the <msg> element's
        (toAddr is set to that OMM's device). The OMM's answer, as it came."""
        session, _, ppn = self._where(uid)
        msg = Message("msg", {**attrs, "toAddr": f"ppn:{ppn}"})
        msg.attrs.pop("ppn", None)
        return await session.request("SendMessage", None, [msg])

    async def locate(self, uid: int) -> dict[str, Any]:
        """Where user `uid` is: its OMM (name, ommId) and that OMM's GetPPState of its device
        (rfpId and site among others)."""
        session, _, ppn = self._where(uid)
        state = await session.request("GetPPState", {"ppn": str(ppn)})
        found = {k: v for k, v in state.attrs.items() if k not in ("seq", "ppn")}
        return {"omm": session.name, "ommId": session.omm_id, **found}

    def omm_states(self) -> list[dict[str, Any]]:
        """Each defined OMM: its definition (no password) and live sync state."""
        if self.model is None:
            return []
        out = []
        for rec in self.model.omms.all():
            out.append({"name": rec["name"], "address": rec["address"], "port": rec["port"],
                        "username": rec["username"], "enabled": rec["enabled"],
                        "ommId": rec.get("ommId", ""),
                        **self.model.omms.live(rec["name"]).describe()})
        return out

    def describe(self) -> dict[str, Any]:
        """What /_emu/hosts shows of the MOM."""
        model = self.model
        if model is None:
            return {}
        return {"users": model.directory.user_count(),
                "devices": model.directory.device_count(), "omms": self.omm_states()}
