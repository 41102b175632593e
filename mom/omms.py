"""The OMM connections the MOM manages (seed 000 "MOM Web UI": an OMM connection must be
defined in the MOM before the MOM connects to it): name, address, AXI TLS port, the OMM
account the MOM logs in with (password sealed), enabled; and each one's live sync state.

Stable methods: get, all, define, update, delete, password, live, set_state, set_omm_id,
by_omm_id. Definitions are persistent; live state (OmmLive) is in memory only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mom.conventions import MAX_OMMS, OMM_AXI_PORT
from mom.directory import Change
from mom.errors import Exists, Invalid, NoMemory, NotFound
from sipdect import clock
from sipdect.store import Store
from sipdect.vault import Vault

Record = dict[str, Any]

SYNC_STATES = ("disabled", "connecting", "synchronising", "synced", "lost")
"""An OMM's sync state as /_emu/hosts and MAXI show it: not to be contacted; a session being
opened; logged in and reconciling; reconciled and following events; lost (retrying)."""


@dataclass
class OmmLive:
    """What the MOM knows of one OMM right now (not persistent)."""

    state: str = "connecting"
    since: float = 0.0
    info: str = ""
    """Why it is lost, or what it is doing."""
    users: int = 0
    devices: int = 0
    """Records the OMM holds, as the last resync counted them."""
    connects: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {"state": self.state, "since": self.since, "info": self.info,
                "users": self.users, "devices": self.devices, "connects": self.connects,
                **self.extra}


class OmmConnections:
    """Defined OMM connections by name."""

    def __init__(self, store: Store, vault: Vault, announce: Callable[[Change], None],
                 clock: Callable[[], float] = clock.wall) -> None:
        self.store = store
        self.vault = vault
        self.announce = announce
        self.clock = clock
        self.records: dict[str, Record] = dict(store.load_json("omms"))
        self._live: dict[str, OmmLive] = {}

    def all(self) -> list[Record]:
        return [self.records[k] for k in sorted(self.records)]

    def get(self, name: str) -> Record:
        rec = self.records.get(name)
        if rec is None:
            raise NotFound(f"no OMM connection named '{name}'", "name")
        return rec

    def by_omm_id(self, omm_id: str) -> Record | None:
        """The OMM whose PARK's ARI is `omm_id` (learned at its first session)."""
        return next((r for r in self.records.values()
                     if omm_id and r.get("ommId") == omm_id), None)

    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, kind in (("address", str), ("port", int), ("username", str),
                          ("enabled", bool)):
            if key in values:
                if not isinstance(values[key], kind):
                    raise Invalid(f"'{key}' must be a {kind.__name__}", key)
                out[key] = values[key]
        if "port" in out and not 0 < out["port"] < 65536:
            raise Invalid(f"port {out['port']} is out of range 1..65535", "port")
        if "password" in values:
            out["password"] = self.vault.seal_text(str(values["password"]), b"omm-password")
        return out

    def define(self, name: str, values: dict[str, Any]) -> Record:
        """A new OMM connection (address, port, username, password, enabled)."""
        if not name:
            raise Invalid("an OMM connection needs a name", "name")
        if name in self.records:
            raise Exists(f"an OMM connection named '{name}' exists already", "name")
        if len(self.records) >= MAX_OMMS:
            raise NoMemory(f"the MOM manages at most {MAX_OMMS} OMMs")
        if not values.get("address"):
            raise Invalid("an OMM connection needs an address", "address")
        rec: Record = {"name": name, "address": "", "port": OMM_AXI_PORT, "username": "",
                       "password": "", "enabled": True, "ommId": ""}
        rec.update(self._values(values))
        self.store.put_json("omms", name, rec)
        self.records[name] = rec
        self.announce(Change("omm", name))
        return rec

    def update(self, name: str, values: dict[str, Any]) -> Record:
        rec = self.get(name)
        new = self._values(values)
        if "password" in new and self.password(rec) == str(values["password"]):
            new.pop("password")
        changed = tuple(k for k, v in new.items() if rec.get(k) != v)
        if changed:
            rec.update(new)
            self.store.put_json("omms", name, rec)
            self.announce(Change("omm", name, changed))
        return rec

    def ensure(self, name: str, values: dict[str, Any]) -> Record:
        """define or update: what a config says of an OMM holds at every start."""
        if name in self.records:
            return self.update(name, values)
        return self.define(name, values)

    def delete(self, name: str) -> Record:
        rec = self.get(name)
        del self.records[name]
        self._live.pop(name, None)
        self.store.delete("omms", name)
        self.announce(Change("omm", name, deleted=True, before=rec))
        return rec

    def set_omm_id(self, name: str, omm_id: str) -> None:
        rec = self.get(name)
        if rec.get("ommId") != omm_id:
            rec["ommId"] = omm_id
            self.store.put_json("omms", name, rec)
            self.announce(Change("omm", name, ("ommId",)))

    def password(self, rec: Record) -> str:
        token = rec.get("password") or ""
        return self.vault.unseal_text(token, b"omm-password") if token else ""

    def live(self, name: str) -> OmmLive:
        self.get(name)
        live = self._live.get(name)
        if live is None:
            enabled = self.records[name].get("enabled", True)
            live = self._live[name] = OmmLive("connecting" if enabled else "disabled",
                                              self.clock())
        return live

    def set_state(self, name: str, state: str, info: str = "", *, users: int | None = None,
                  devices: int | None = None) -> None:
        """A sync session's state moved (announced as Change("ommState", name))."""
        assert state in SYNC_STATES, state
        if name not in self.records:
            return
        live = self.live(name)
        moved = live.state != state or live.info != info
        if live.state != state:
            live.since = self.clock()
            if state == "synchronising":
                live.connects += 1
        live.state, live.info = state, info
        if users is not None:
            live.users = users
        if devices is not None:
            live.devices = devices
        if moved:
            self.announce(Change("ommState", name, ("state",)))
