"""The supervisor: boots every component of one installation in one event loop.

A System object holds one emulated installation (no global state), so tests can
run several side by side. It reports its endpoints and initial credentials for
the ready file (README "Ready file").
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from omm.access import FULL_ACCESS
from omm.service import OmmService
from sipdect import __version__
from sipdect.accounts import DEFAULT_CREDENTIALS
from sipdect.config import SystemConfig
from sipdect.site import Site


class System:
    def __init__(self, cfg: SystemConfig, data_dir: Path, *, any_port: bool = False) -> None:
        """any_port: bind every listener to a free port (tests, library mode)."""
        self.cfg = cfg
        self.data_dir = data_dir
        port_of = (lambda p: 0) if any_port else cfg.shifted
        self.any_port = any_port
        self.omms = [OmmService(o, data_dir / "omm" / o.name, port_of=port_of) for o in cfg.omms]
        self.site = Site(self.omms, data_dir)
        self.control: Any = None

    async def start(self) -> None:
        """OMMs first, then the RFPs (they connect to them), then handsets, then control."""
        started: list[OmmService] = []
        try:
            for omm in self.omms:
                await omm.start()
                started.append(omm)
            for rfp in self.cfg.rfps:
                await self.site.add_rfp(rfp)
            for handset in self.cfg.handsets:
                self.site.add_handset(handset)
            if self.cfg.control_port is not None:
                from sipdect.control import ControlServer

                self.control = ControlServer(self)
                await self.control.start("127.0.0.1",
                                         0 if self.any_port else self.cfg.control_port)
        except BaseException:
            await self.site.stop()
            for omm in started:
                await omm.stop()
            raise

    async def stop(self) -> None:
        if self.control is not None:
            await self.control.stop()
        await self.site.stop()
        for omm in self.omms:
            await omm.stop()

    def omm(self, name: str | None = None) -> OmmService:
        if name is None:
            return self.omms[0]
        return next(o for o in self.omms if o.cfg.name == name)

    def credentials(self) -> list[dict[str, Any]]:
        out = []
        for omm in self.omms:
            accounts = omm.cfg.accounts
            if not any(a.username == "omm" for a in accounts):
                out.append({"component": "omm", "name": omm.cfg.name, "username": "omm",
                            "password": DEFAULT_CREDENTIALS["omm"],
                            "permissions": list(FULL_ACCESS), "must_change_password": True})
            for a in accounts:
                out.append({"component": "omm", "name": omm.cfg.name, "username": a.username,
                            "password": a.password,
                            "permissions": list(a.permissions or FULL_ACCESS),
                            "must_change_password": False})
        return out

    def ready_info(self) -> dict[str, Any]:
        return {
            "sipdect": __version__,
            "system": self.cfg.name,
            "config": self.cfg.source,
            "pid": os.getpid(),
            "data_dir": str(self.data_dir),
            "endpoints": [e.as_dict() for o in self.omms for e in o.endpoints]
            + ([self.control.endpoint()] if self.control is not None else []),
            "rfps": [r.describe() for r in self.site.rfps.values()],
            "handsets": ([self.site.world.describe(h) for h in self.site.world.handsets]
                         if self.site.world is not None else []),
            "credentials": self.credentials(),
        }

    def write_ready_file(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.ready_info(), indent=2) + "\n", "utf-8")
        os.replace(tmp, path)
