"""SIP registration of DECT users (features.md §2.7, RFC 3261 §10.2): every user with a number
and a SIP password REGISTERs to the "BasicSIP" registrar, refreshes at half the granted
interval, retries failures with backoff and unregisters when deleted or reconfigured.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from omm.tables import Change, Record
from sipdect.sip import (
    Address,
    DigestClient,
    Headers,
    Peer,
    Request,
    Response,
    SipTransport,
    SipTransportError,
    SipUri,
    Transport,
    new_call_id,
    new_tag,
)

log = logging.getLogger("sipdect.omm.sip")

#: User fields whose change means a new registration.
ACCOUNT_FIELDS = frozenset({"num", "sipAuthId", "sipPw"})
#: First retry after a failure, doubled per further failure up to MAX_BACKOFF (seconds).
FIRST_BACKOFF = 10.0
MAX_BACKOFF = 1800.0
#: How long an unregistration may take before we forget the binding anyway.
UNREGISTER_TIMEOUT = 5.0

PpStateSink = Callable[[int, dict[str, str]], None]
"""Receives (ppn, PPState attributes) when a user's registration state changes."""


@dataclass(frozen=True)
class Registrar:
    """Where and how to register, from the "BasicSIP" settings group."""

    host: str
    """Registrar address (regServer, else proxyServer)."""
    port: int
    """Its port."""
    period: int
    """Requested registration interval (regPeriod), seconds."""
    transport: str = "UDP"
    """transportProt as configured; only UDP is spoken so far."""

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> Registrar | None:
        """The registrar configured in BasicSIP, or None when no server is set."""
        if values.get("regServer"):
            host, port = str(values["regServer"]), int(values.get("regPort") or 5060)
        elif values.get("proxyServer"):
            host, port = str(values["proxyServer"]), int(values.get("proxyPort") or 5060)
        else:
            return None
        return cls(host, port, int(values.get("regPeriod") or 3600),
                   str(values.get("transportProt") or "UDP"))


@dataclass
class UserRegistration:
    """One DECT user's registration and what the OMM tells about it."""

    uid: int
    """The user's uid."""
    num: str
    """The number, the user part of the address of record."""
    auth_id: str
    """Digest user name (sipAuthId, defaulting to num)."""
    password: str
    """Digest password, unsealed."""
    registrar: Registrar
    """Where this registration goes."""
    ppn: int = 0
    """The user's device, 0 for none."""
    registered: bool = False
    """Whether the registrar granted a binding that has not lapsed."""
    expires: int = 0
    """The last granted interval, seconds."""
    failures: int = 0
    """Consecutive failed attempts."""
    call_id: str = field(default_factory=lambda: new_call_id("sipdect-omm"))
    """Kept across refreshes (§10.2.4)."""
    cseq: int = 0
    """The last CSeq number used."""
    task: asyncio.Task[None] | None = None
    """The register-and-refresh loop."""

    def pp_state(self) -> dict[str, str]:
        if not self.registered:
            return {"registered": "0", "regServerType": "None"}
        return {"registered": "1", "regServerType": "Primary",
                "regServerAddr": self.registrar.host, "regServerPort": str(self.registrar.port)}


class RegistrationFailed(Exception):
    """The registrar refused or did not answer; the message is the event-log reason."""


class Registrations:
    """Keeps every eligible DECT user registered; one per OMM."""

    def __init__(self, model: Any, host: str, *, on_pp_state: PpStateSink | None = None,
                 first_backoff: float = FIRST_BACKOFF) -> None:
        self.model = model
        self.host = host
        self.on_pp_state = on_pp_state
        self.first_backoff = first_backoff
        self.users: dict[int, UserRegistration] = {}
        self.transport: SipTransport | None = None
        self.local: Peer | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- life cycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self.transport = SipTransport()
        self.local = await self.transport.listen(Transport.UDP, self.host, 0)
        self.model.add_listener(self._on_change)
        self.sync_all()

    async def stop(self) -> None:
        self.model.remove_listener(self._on_change)
        tasks = [*self._tasks, *(r.task for r in self.users.values() if r.task is not None)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.users.clear()
        if self.transport is not None:
            await self.transport.close()

    # -- reacting to the model -----------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        if change.kind == "setting" and change.key == "BasicSIP":
            self.sync_all(restart=True)
        elif change.kind == "user":
            if change.deleted:
                self._drop(int(change.key))
            elif change.fields is None or ACCOUNT_FIELDS & set(change.fields):
                self._sync(int(change.key), restart=True)
            elif "ppn" in change.fields:
                self._sync(int(change.key), restart=False)

    def sync_all(self, *, restart: bool = False) -> None:
        registrar = Registrar.from_settings(self.model.settings.get("BasicSIP"))
        if registrar is not None and registrar.transport != "UDP":
            self.model.log("MinorErr", "SIP", f"SIP transport {registrar.transport} is not "
                           "supported yet; registering over UDP (set transportProt to UDP)")
        for uid in [*self.users]:
            if self.model.users.table.get(uid) is None:
                self._drop(uid)
        for rec in list(self.model.users.table):
            self._sync(rec["uid"], restart=restart)

    def _wanted(self, rec: Record) -> UserRegistration | None:
        registrar = Registrar.from_settings(self.model.settings.get("BasicSIP"))
        num = rec.get("num") or ""
        password = self.model.users.secret(rec, "sipPw")
        if registrar is None or not num or not password:
            return None
        return UserRegistration(rec["uid"], num, rec.get("sipAuthId") or num, password,
                                registrar, ppn=int(rec.get("ppn") or 0))

    def _sync(self, uid: int, *, restart: bool) -> None:
        rec = self.model.users.table.get(uid)
        wanted = None if rec is None else self._wanted(rec)
        current = self.users.get(uid)
        if current is not None and wanted is not None and not restart:
            if current.ppn != wanted.ppn:
                self._publish(current, clear=True)
                current.ppn = wanted.ppn
                self._publish(current)
            return
        if current is not None and wanted is not None and (
                current.num, current.auth_id, current.password, current.registrar) == (
                wanted.num, wanted.auth_id, wanted.password, wanted.registrar):
            current.ppn = wanted.ppn
            return
        self._drop(uid)
        if wanted is not None:
            self.users[uid] = wanted
            wanted.task = asyncio.get_running_loop().create_task(self._run(wanted))

    def _drop(self, uid: int) -> None:
        reg = self.users.pop(uid, None)
        if reg is None:
            return
        if reg.task is not None:
            reg.task.cancel()
        if reg.registered:
            self._spawn(self._unregister(reg))
        reg.registered = False
        self._publish(reg)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _publish(self, reg: UserRegistration, *, clear: bool = False) -> None:
        if reg.ppn and self.on_pp_state is not None:
            state = {"registered": "0", "regServerType": "None"} if clear else reg.pp_state()
            self.on_pp_state(reg.ppn, state)

    # -- the register loop --------------------------------------------------------------------
    async def _run(self, reg: UserRegistration) -> None:
        while True:
            try:
                reg.expires = await self._register(reg, reg.registrar.period)
            except RegistrationFailed as exc:
                reg.failures += 1
                was = reg.registered
                reg.registered = False
                if was or reg.failures == 1:
                    self._publish(reg)
                self.model.log("MinorErr", "SIP",
                               f"SIP registration of user {reg.num} failed: {exc}")
                delay = min(self.first_backoff * 2 ** (reg.failures - 1), MAX_BACKOFF)
            else:
                reg.failures = 0
                if not reg.registered:
                    reg.registered = True
                    self._publish(reg)
                    self.model.log("GenInfo", "SIP", f"user {reg.num} registered at "
                                   f"{reg.registrar.host}:{reg.registrar.port} "
                                   f"for {reg.expires} s")
                delay = max(1.0, reg.expires / 2)
            await asyncio.sleep(delay)

    async def _unregister(self, reg: UserRegistration) -> None:
        try:
            await asyncio.wait_for(self._register(reg, 0), UNREGISTER_TIMEOUT)
        except (TimeoutError, RegistrationFailed) as exc:
            log.info("unregistering user %s: %s", reg.num, exc)

    def _contact(self, reg: UserRegistration) -> Address:
        assert self.local is not None
        return Address(SipUri(self.local.host, reg.num, port=self.local.port))

    def _request(self, reg: UserRegistration, expires: int) -> Request:
        r = reg.registrar
        reg.cseq += 1
        h = Headers()
        h.add("Max-Forwards", "70")
        h.add("From", f"<sip:{reg.num}@{r.host}>;tag={new_tag()}")
        h.add("To", f"<sip:{reg.num}@{r.host}>")
        h.add("Call-ID", reg.call_id)
        h.add("CSeq", f"{reg.cseq} REGISTER")
        h.add("Contact", str(self._contact(reg)))
        h.add("Expires", str(expires))
        return Request("REGISTER", SipUri(r.host, port=r.port), h)

    async def _register(self, reg: UserRegistration, expires: int) -> int:
        """One REGISTER (answering one challenge); the granted interval."""
        assert self.transport is not None
        peer = Peer(Transport.UDP, reg.registrar.host, reg.registrar.port)
        request = self._request(reg, expires)
        try:
            response = await self.transport.request(request, peer)
            if response.status in (401, 407):
                retry = DigestClient(reg.auth_id, reg.password).authorize(request, response)
                if retry is not None:
                    reg.cseq = retry.cseq.seq
                    response = await self.transport.request(retry, peer)
        except (SipTransportError, OSError) as exc:
            raise RegistrationFailed(f"cannot reach {peer.host}:{peer.port}: {exc}") from None
        if response.status == 423 and expires:
            raise RegistrationFailed(f"{response.status} {response.reason} "
                                     f"(Min-Expires {response.headers.get('Min-Expires')})")
        if response.status != 200:
            raise RegistrationFailed(f"{response.status} {response.reason}")
        return self._granted(reg, response, expires)

    def _granted(self, reg: UserRegistration, response: Response, asked: int) -> int:
        ours = str(self._contact(reg).uri)
        for contact in response.contacts:
            value = contact.params.get("expires")
            if str(contact.uri) == ours and value and value.isdigit():
                return int(value)
        header = response.headers.get("Expires")
        return int(header) if header and header.isdigit() else asked
