"""The supervisor: boots every component of one installation in one event loop.

A System object holds one emulated installation (no global state), so tests can
run several side by side. It reports its endpoints and initial credentials for
the ready file (README "What `make up` starts").

With [pbx], the embedded call server starts first; every [[user]] gets an account there
and, when its OMM lacks it, a DECT user record bound to its handset. An OMM whose config
does not set BasicSIP is pointed at the call server (features.md §2.7).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from omm.access import FULL_ACCESS
from omm.errors import ModelError
from omm.service import Endpoint, OmmService
from sim.pbx import PbxConfig as PbxServerConfig
from sim.pbx import SrtpPolicy
from sim.pbx.service import PbxListeners, PbxService
from sipdect import __version__, tls
from sipdect.accounts import DEFAULT_CREDENTIALS
from sipdect.app import ready
from sipdect.app.config import CONTROL_HOST, ConfigError, PbxConfig, SystemConfig, UserConfig
from sipdect.app.config_check import check_config
from sipdect.app.site import Site
from sipdect.sip import SipTransportError

BASIC_SIP_MARK = "basic-sip-from-pbx.json"
"""In an OMM's data directory: the BasicSIP values the system wrote last. While the stored
settings still equal them, a restart may move them to the call server's new address; once
an administrator changed BasicSIP (AXI SetBasicSIP), the system leaves it alone."""
SERVER_FIELDS = ("proxyServer", "proxyPort", "regServer", "regPort")


class System:
    def __init__(self, cfg: SystemConfig, data_dir: Path, *, any_port: bool = False) -> None:
        """any_port: bind every listener to a free port (tests, library mode). ConfigError
        (one line) when the config breaks a rule of the components (sipdect.app.config_check)."""
        check_config(cfg, ports=not any_port)
        self.cfg = cfg
        self.data_dir = data_dir
        port_of = (lambda p: 0) if any_port else cfg.shifted
        self.any_port = any_port
        self.omms = [OmmService(o, data_dir / "omm" / o.name, port_of=port_of) for o in cfg.omms]
        self.site = Site(self.omms, data_dir)
        self.control: Any = None
        self.pbx: PbxService | None = None
        if cfg.pbx is not None and cfg.pbx.enabled:
            sip_port = (lambda p: 0) if any_port else cfg.sip_shifted
            self.pbx = _pbx_service(cfg.pbx, cfg.users, data_dir / "pbx", sip_port)

    async def start(self) -> None:
        """The call server first, then the OMMs (their users registering at it), then the
        RFPs (they connect to the OMMs), then handsets, then control."""
        started: list[OmmService] = []
        try:
            if self.pbx is not None:
                try:
                    await self.pbx.start()
                except SipTransportError as exc:
                    raise OSError(f"call server: {exc}") from None
            for omm in self.omms:
                self._provision(omm)
                await omm.start()
                started.append(omm)
            if self.pbx is not None:
                # The same call OmmService makes: it returns the OMM's existing (or imported)
                # certificate, which the call server then trusts for TLS contacts.
                self.pbx.trust(tls.ensure_certificate(o.data_dir, f"sipdect {o.cfg.name}",
                                                      ("localhost", o.cfg.host))[0]
                               for o in self.omms)
            for i, rfp in enumerate(self.cfg.rfps):
                with _refused_as_config_error(f"{self.cfg.source}: [[rfp]] #{i + 1}"):
                    await self.site.add_rfp(rfp)
            for i, handset in enumerate(self.cfg.handsets):
                with _refused_as_config_error(f"{self.cfg.source}: [[handset]] #{i + 1}"):
                    self.site.add_handset(handset)
            if self.cfg.control_port is not None:
                from sipdect.app.control import ControlServer

                self.control = ControlServer(self)
                await self.control.start(CONTROL_HOST,
                                         0 if self.any_port else self.cfg.control_port)
        except BaseException:
            await self.site.stop()
            for omm in started:
                await omm.stop()
            if self.pbx is not None:
                await self.pbx.stop()
            raise

    async def reset(self) -> None:
        """Back to the configured initial state on the same listeners (Emulator.reset): the
        RFPs and handsets go off the air, every OMM's data is wiped and provisioned as at
        start (accounts, settings, users bound to their handsets, BasicSIP) and drops the SIP
        registrations of users that are gone, then the configured RFPs and handsets start
        again: they enrol, subscribe and register as after `start`, under the same ids.
        RFPs and handsets added through the control API are gone. The call server keeps
        running as it is (its accounts come from the config)."""
        await self.site.clear()
        for omm in self.omms:
            await omm.reset()
            self._provision(omm)
            omm.sip.sync_all()
        for rfp in self.cfg.rfps:
            await self.site.add_rfp(rfp)
        for handset in self.cfg.handsets:
            self.site.add_handset(handset)

    async def stop(self) -> None:
        if self.control is not None:
            await self.control.stop()
        await self.site.stop()
        for omm in self.omms:
            await omm.stop()
        if self.pbx is not None:
            await self.pbx.stop()

    # -- users and the call server ------------------------------------------------------------

    def _provision(self, omm: OmmService) -> None:
        """Give `omm` its configured users and, unless configured, BasicSIP at the PBX."""
        for user in self.cfg.users:
            if user.omm == omm.cfg.name:
                try:
                    _ensure_user(omm.model, user)
                except ModelError as exc:
                    raise ConfigError(f"{self.cfg.source}: [[user]] {user.number} cannot be "
                                      f"created in OMM {omm.cfg.name}: {exc}") from None
        if self.pbx is None or "BasicSIP" in omm.cfg.settings:
            return
        wanted = self.pbx.basic_sip()
        mark = omm.data_dir / BASIC_SIP_MARK
        current = omm.model.settings.get("BasicSIP")
        ours = json.loads(mark.read_text("utf-8")) if mark.is_file() else None
        unset = not current.get("proxyServer") and not current.get("regServer")
        if unset or {k: current.get(k) for k in SERVER_FIELDS} == ours:
            omm.model.settings.update("BasicSIP", wanted)
            mark.write_text(json.dumps({k: wanted[k] for k in SERVER_FIELDS}), "utf-8")

    def omm(self, name: str | None = None) -> OmmService:
        if name is None:
            return self.omms[0]
        return next(o for o in self.omms if o.cfg.name == name)

    def credentials(self, *, secrets: bool = True) -> list[dict[str, Any]]:
        """The initial AXI logins of every OMM; without `secrets`, no passwords."""
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
        return out if secrets else [_without(c, "password") for c in out]

    def endpoints(self) -> list[Endpoint]:
        """Every listener: the call server's, the OMMs', the control API's."""
        out = [Endpoint("pbx", "PBX", proto, host, port)
               for proto, host, port in self.pbx.endpoints()] if self.pbx is not None else []
        return out + [e for o in self.omms for e in o.endpoints]

    def sip_users(self, *, secrets: bool = True) -> list[dict[str, Any]]:
        """The configured DECT users with their SIP accounts (number, name, password)."""
        users = [{"number": u.number, "name": u.name, "omm": u.omm, "handset": u.handset,
                  "auth_id": u.auth_id or u.number, "sip_password": u.sip_password}
                 for u in self.cfg.users]
        return users if secrets else [_without(u, "sip_password") for u in users]

    def _pbx_info(self, secrets: bool) -> dict[str, Any] | None:
        if self.pbx is None or self.cfg.pbx is None:
            return None
        accounts = [{"user": a.user, "password": a.password} for a in self.cfg.pbx.accounts]
        if not secrets:
            accounts = [_without(a, "password") for a in accounts]
        return {**self.pbx.describe(), "accounts": accounts}

    def ready_info(self, *, secrets: bool) -> dict[str, Any]:
        """Endpoints, RFPs, handsets, logins, users and call server. With `secrets`, the
        passwords (AXI, SIP, call-server accounts) too, as the ready file has them; without,
        none of them (the control API's default)."""
        info = {
            "sipdect": __version__,
            "system": self.cfg.name,
            "config": self.cfg.source,
            "pid": os.getpid(),
            "data_dir": str(self.data_dir),
            "endpoints": [e.as_dict() for e in self.endpoints()]
            + ([self.control.endpoint()] if self.control is not None else []),
            "rfps": [r.describe() for r in self.site.rfps.values()],
            "handsets": ([self.site.world.describe(h) for h in self.site.world.handsets]
                         if self.site.world is not None else []),
            "credentials": self.credentials(secrets=secrets),
            "users": self.sip_users(secrets=secrets),
            "pbx": self._pbx_info(secrets),
        }
        if not secrets:
            info["secrets"] = SECRETS_LEFT_OUT
        return info

    def write_ready_file(self, path: Path) -> None:
        """Everything, passwords and the control API's URL and token included, in a file only
        its owner can read (sipdect.app.ready)."""
        info = self.ready_info(secrets=True)
        if self.control is not None:
            info["control"] = {"url": self.control.url, "token": self.control.token}
        ready.write(path, info)


SECRETS_LEFT_OUT = "passwords left out; GET /_emu/state?secrets=1 or the ready file has them"
"""Said in place of the passwords where they are left out (control API without ?secrets=1)."""


def _without(record: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != key}


#: The config key of an RFP or handset for the record field an OMM refusal names.
_CONFIG_KEYS = {"ethAddr": "mac", "ipei": "ipei", "site": "site", "name": "name",
                "cluster": "cluster"}


@contextmanager
def _refused_as_config_error(where: str) -> Iterator[None]:
    """The OMM refusing a record the config asks for (a site that does not exist, ...) is a
    mistake in the config: one line naming the entry and the key, not a traceback."""
    try:
        yield
    except ModelError as exc:
        key = _CONFIG_KEYS.get(exc.field or "", exc.field)
        raise ConfigError(f"{where}: {key + ': ' if key else ''}{exc.info}") from None


def _pbx_service(cfg: PbxConfig, users: list[UserConfig], data_dir: Path,
                 port_of: Any) -> PbxService:
    accounts = {u.number: u.sip_password for u in users}
    accounts.update({a.user: a.password for a in cfg.accounts})
    auth_ids = {u.number: u.auth_id for u in users if u.auth_id}
    server_config = PbxServerConfig(accounts=accounts, auth_ids=auth_ids, realm=cfg.realm,
                                    srtp=SrtpPolicy(cfg.srtp),
                                    digest_algorithms=cfg.digest_algorithms,
                                    max_auth_failures=cfg.max_auth_failures,
                                    max_transactions_per_ip=cfg.max_transactions_per_ip)
    listeners = PbxListeners(
        cfg.host, port_of(cfg.udp_port),
        None if cfg.tcp_port is None else port_of(cfg.tcp_port),
        None if cfg.tls_port is None else port_of(cfg.tls_port))
    return PbxService(server_config, data_dir, listeners, tls_key_type=cfg.tls_key_type)


def _ensure_user(model: Any, user: UserConfig) -> None:
    """Create the DECT user if its number is free, bound (Fixed) to its handset's device
    record, which is created too if missing. An existing user is left as it is: it may
    have been changed over AXI since."""
    try:
        model.users.find_by_number(user.number)
        return
    except ModelError:
        pass
    rec = model.users.create({"num": user.number, "name": user.name,
                              "sipPw": user.sip_password, "sipAuthId": user.auth_id or ""})
    if user.handset is None:
        return
    try:
        device = model.devices.find_by_ipei(user.handset)
    except ModelError:
        device = model.devices.create({"ipei": user.handset})
    if not device.get("uid"):
        model.relations.attach(rec["uid"], device["ppn"], "Fixed")
