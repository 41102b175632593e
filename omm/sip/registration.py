"""SIP registration of DECT users (features.md §2.7, RFC 3261 §10.2): every user with a number
and a SIP password REGISTERs to the BasicSIP registrar over the configured transport (UDP, TCP,
TLS), through the outbound proxy when one is set, failing over to the BackupSIP tiers when a
server does not answer; refreshes at half the granted interval, retries failures with backoff
and unregisters when deleted or reconfigured.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from omm.hub import SipDeregistered, SipRegisterNow
from omm.sip.config import Registrar, SipConfig
from omm.tables import Change, Record
from sipdect import tls
from sipdect.net import HostNet
from sipdect.sip import (
    Address,
    DigestClient,
    Headers,
    Peer,
    Request,
    RequestReceived,
    Response,
    SipTransport,
    SipTransportError,
    SipUri,
    TlsClientOptions,
    TlsServerOptions,
    Transport,
    make_response,
    new_call_id,
    new_tag,
)
from sipdect.sip.transaction import Event

log = logging.getLogger("sipdect.omm.sip")

#: User fields whose change means a new registration.
ACCOUNT_FIELDS = frozenset({"num", "sipAuthId", "sipPw"})
#: Settings groups that change where and how users register.
SIP_GROUPS = frozenset({"BasicSIP", "BackupSIP", "SecureSIP"})
#: First retry after a failure, doubled per further failure up to MAX_BACKOFF (seconds).
FIRST_BACKOFF = 10.0
MAX_BACKOFF = 1800.0
#: How long an unregistration may take before we forget the binding anyway.
UNREGISTER_TIMEOUT = 5.0
#: Final responses our transport makes up when a server is silent or unreachable (§8.1.3.1).
NO_ANSWER = frozenset({408, 503})
#: Free UDP ports tried, with no port configured, until one's number is free for TCP too.
FREE_PORT_ATTEMPTS = 5

PpStateSink = Callable[[int, dict[str, str]], None]
"""Receives (ppn, PPState attributes) when a user's registration state changes."""
SipEventSink = Callable[[Event], None]
"""Receives what the shared SIP transport delivers outside REGISTER (calls.CallControl)."""



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
    config: SipConfig
    """Where and how this registration goes."""
    ppn: int = 0
    """The user's device, 0 for none."""
    registered: bool = False
    """Whether a registrar granted a binding that has not lapsed."""
    server: Registrar | None = None
    """The tier that granted it (or last answered); calls go there."""
    tried: Registrar | None = None
    """The server a REGISTER was last sent to, answered or not."""
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

    @property
    def registrar(self) -> Registrar:
        """The server this user talks to now: the one that answered, else the primary."""
        return self.server or self.config.servers[0]

    def pp_state(self) -> dict[str, str]:
        if not self.registered:
            return {"registered": "0", "regServerType": "None"}
        r = self.registrar
        return {"registered": "1", "regServerType": r.tier,
                "regServerAddr": r.host, "regServerPort": str(r.port)}


class RegistrationFailed(Exception):
    """The registrar refused or did not answer; the message is the event-log reason."""


class _NoAnswer(RegistrationFailed):
    """The server did not answer (timeout, transport failure): the next tier may."""


class Registrations:
    """Keeps every eligible DECT user registered; one per OMM. Owns the OMM's SIP transport
    (where it listens: config.LOCAL_SIP_PORT_DECISION),
    which calls (omm.sip.calls.CallControl) share through `on_sip_event`."""

    def __init__(self, model: Any, host: str, *, on_pp_state: PpStateSink | None = None,
                 first_backoff: float = FIRST_BACKOFF, port: int = 0,
                 tls_level: tls.SecurityLevel = tls.DEFAULT_LEVEL,
                 tls_cafile: Any = None,
                 tls_server: TlsServerOptions | None = None,
                 net: HostNet | None = None) -> None:
        self.model = model
        self.host = host
        self.net = net
        """The OMM's host: its SIP sockets bind its address, its links may be cut."""
        self.port = port
        self.on_pp_state = on_pp_state
        self.on_sip_event: SipEventSink | None = None
        self.first_backoff = first_backoff
        self.tls_level = tls_level
        self.tls_cafile = tls_cafile
        self.tls_server = tls_server
        self.users: dict[int, UserRegistration] = {}
        self.config: SipConfig | None = None
        self.transport: SipTransport | None = None
        self.locals: dict[Transport, Peer] = {}
        self._tls_options: TlsClientOptions | None = None
        self._reopening: asyncio.Task[None] | None = None
        """The one reopen under way: changes while it runs are taken up by it, never by a
        second reopen (two would each wait for the other)."""
        self._reopen_again = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._held_off: set[int] = set()
        """Users deregistered on request (PPSIPDeregister) until asked to register again."""

    @property
    def local(self) -> Peer | None:
        """The UDP listening address."""
        return self.locals.get(Transport.UDP)

    # -- life cycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self.config = SipConfig.from_settings(self.model.settings)
        await self._open()
        self.model.add_listener(self._on_change)
        self.model.hub.subscribe(self._on_hub)
        self.sync_all()

    async def _open(self) -> None:
        options = self._wanted_tls()
        self._tls_options = options
        for attempt in range(FREE_PORT_ATTEMPTS):
            transport = SipTransport(on_event=self._sip_event, tls_client=options, net=self.net)
            udp = await transport.listen(Transport.UDP, self.host, self.port)
            self.transport, self.locals = transport, {Transport.UDP: udp}
            try:
                self.locals[Transport.TCP] = await transport.listen(Transport.TCP, self.host,
                                                                    udp.port)
            except SipTransportError as exc:
                if self.port == 0 and attempt + 1 < FREE_PORT_ATTEMPTS:
                    # The free UDP port's number is taken for TCP (by any connection's local
                    # end): another free port serves both.
                    await transport.close()
                    continue
                self.model.log("MinorErr", "SIP", f"no SIP over TCP: {exc}")
            break
        if self.tls_server is not None:
            try:
                self.locals[Transport.TLS] = await transport.listen(
                    Transport.TLS, self.host, udp.port + 1 if self.port else 0,
                    self.tls_server)
            except (SipTransportError, tls.TlsConfigError) as exc:
                self.model.log("MinorErr", "SIP", f"no SIP over TLS: {exc}")

    def _wanted_tls(self) -> TlsClientOptions:
        config = self.config or SipConfig(())
        return config.tls_options(self.tls_level, self.tls_cafile)

    async def stop(self) -> None:
        self.model.remove_listener(self._on_change)
        self.model.hub.unsubscribe(self._on_hub)
        tasks = [*self._tasks, *(r.task for r in self.users.values() if r.task is not None)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.users.clear()
        if self.transport is not None:
            await self.transport.close()

    def _sip_event(self, event: Event) -> None:
        if self.on_sip_event is not None:
            self.on_sip_event(event)
        elif isinstance(event, RequestReceived) and event.transaction is not None:
            status = 200 if event.request.method == "OPTIONS" else 480
            assert self.transport is not None
            self.transport.send_response(make_response(event.request, status),
                                         event.transaction)

    # -- what other parts ask -----------------------------------------------------------------
    def account(self, ppn: int) -> UserRegistration | None:
        """The SIP account of the user on device `ppn`, if it has one."""
        if not ppn:
            return None
        return next((r for r in self.users.values() if r.ppn == ppn), None)

    def contact(self, num: str) -> Address:
        """The Contact of user `num`: our listener for the configured transport."""
        kind = self.config.transport if self.config is not None else Transport.UDP
        local = self.locals.get(kind)
        if local is None or kind is Transport.UDP:
            local = self.locals[Transport.UDP] if self.locals else Peer(Transport.UDP,
                                                                       self.host, 5060)
            return Address(SipUri(local.host, num, port=local.port))
        assert self.config is not None
        return Address(self.config.server_uri(local.host, local.port, num))

    # -- reacting to the model -----------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        if change.kind == "setting" and change.key in SIP_GROUPS:
            self.config = SipConfig.from_settings(self.model.settings)
            if self._reopening is not None or self._wanted_tls() != self._tls_options:
                self._request_reopen()
            else:
                self.sync_all(restart=True)
        elif change.kind == "user":
            if change.deleted:
                self._drop(int(change.key))
            elif change.fields is None or ACCOUNT_FIELDS & set(change.fields):
                self._sync(int(change.key), restart=True)
            elif "ppn" in change.fields:
                self._sync(int(change.key), restart=False)
        elif change.kind == "pp" and not change.deleted and (
                change.fields is None or "ommIdAck" in change.fields):
            device = self.model.devices.table.get(change.key)
            if device is not None and device.get("uid"):
                self._sync(int(device["uid"]), restart=False)

    def _on_hub(self, event: object) -> None:
        if not isinstance(event, SipRegisterNow):
            return
        if event.register:
            self._held_off.discard(event.uid)
            self._sync(event.uid, restart=True)
        else:
            self._held_off.add(event.uid)
            if self._drop(event.uid):
                self.model.hub.publish(SipDeregistered(event.uid))

    def _request_reopen(self) -> None:
        self._reopen_again = True
        if self._reopening is None:
            self._reopening = asyncio.get_running_loop().create_task(self._reopen())
            self._tasks.add(self._reopening)
            self._reopening.add_done_callback(self._tasks.discard)

    async def _reopen(self) -> None:
        """New TLS options: unregister over the old transport, then start over on a new one
        (again while settings changed meanwhile, so the last change always takes effect)."""
        try:
            while self._reopen_again:
                self._reopen_again = False
                for uid in [*self.users]:
                    self._drop(uid)
                pending = [t for t in self._tasks if t is not asyncio.current_task()]
                await asyncio.gather(*pending, return_exceptions=True)
                if self.transport is not None:
                    await self.transport.close()
                await self._open()
        finally:
            self._reopening = None
        self.sync_all()

    def sync_all(self, *, restart: bool = False) -> None:
        for uid in [*self.users]:
            if self.model.users.table.get(uid) is None:
                self._drop(uid)
        for rec in list(self.model.users.table):
            self._sync(rec["uid"], restart=restart)

    def register_again(self) -> None:
        """Send every user's REGISTER now, without unregistering first: the registrar forgot
        them (it restarted), as a refresh would find out only at half the expiry."""
        for reg in self.users.values():
            if reg.task is not None:
                reg.task.cancel()
            reg.task = asyncio.get_running_loop().create_task(self._run(reg))

    def _away(self, rec: Record) -> bool:
        """The user's device is confirmed at another OMM: that one registers the user
        (sync.registered_here, docs/mom.md)."""
        device = self.model.devices.table.get(int(rec.get("ppn") or 0))
        return device is not None and bool(self.model.central.foreign(device))

    def _wanted(self, rec: Record) -> UserRegistration | None:
        num = rec.get("num") or ""
        password = self.model.users.secret(rec, "sipPw")
        if self.config is None or not num or not password:
            return None
        if rec["uid"] in self._held_off or self._away(rec):
            return None
        return UserRegistration(rec["uid"], num, rec.get("sipAuthId") or num, password,
                                self.config, ppn=int(rec.get("ppn") or 0))

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
                current.num, current.auth_id, current.password, current.config) == (
                wanted.num, wanted.auth_id, wanted.password, wanted.config):
            current.ppn = wanted.ppn
            return
        if self._drop(uid) and rec is not None and self._away(rec):
            self.model.hub.publish(SipDeregistered(uid))
        if wanted is not None:
            self.users[uid] = wanted
            wanted.task = asyncio.get_running_loop().create_task(self._run(wanted))

    def _drop(self, uid: int) -> bool:
        """Stop registering a user (unregistering it); False if it was not."""
        reg = self.users.pop(uid, None)
        if reg is None:
            return False
        if reg.task is not None:
            reg.task.cancel()
        if reg.registered or reg.tried is not None:
            # Also when a REGISTER is in flight: the registrar may have bound it already.
            self._spawn(self._unregister(reg))
        reg.registered = False
        self._publish(reg)
        return True

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
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
            before = reg.server
            try:
                reg.expires = await self._register(reg, reg.config.period)
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
                if not reg.registered or reg.server != before:
                    reg.registered = True
                    self._publish(reg)
                    r = reg.registrar
                    self.model.log("GenInfo", "SIP", f"user {reg.num} registered at "
                                   f"{r.host}:{r.port} ({r.tier}) for {reg.expires} s")
                delay = max(1.0, reg.expires / 2)
            await asyncio.sleep(delay)

    async def _unregister(self, reg: UserRegistration) -> None:
        try:
            await asyncio.wait_for(self._register(reg, 0), UNREGISTER_TIMEOUT)
        except (TimeoutError, RegistrationFailed) as exc:
            log.info("unregistering user %s: %s", reg.num, exc)

    def _request(self, reg: UserRegistration, server: Registrar, expires: int,
                 routes: list[Address]) -> Request:
        reg.cseq += 1
        h = Headers()
        for route in routes:
            h.add("Route", str(route))
        h.add("Max-Forwards", "70")
        aor = reg.config.aor(server.domain, reg.num)
        h.add("From", f"<{aor}>;tag={new_tag()}")
        h.add("To", f"<{aor}>")
        h.add("Call-ID", reg.call_id)
        h.add("CSeq", f"{reg.cseq} REGISTER")
        h.add("Contact", str(self.contact(reg.num)))
        h.add("Expires", str(expires))
        return Request("REGISTER", reg.config.server_uri(server.host, server.port), h)

    async def _register(self, reg: UserRegistration, expires: int) -> int:
        """One REGISTER at the first tier that answers; the granted interval."""
        servers = [reg.server or reg.tried or reg.registrar] if expires == 0 \
            else list(reg.config.servers)
        for i, server in enumerate(servers):
            wait = reg.config.failover_time if i + 1 < len(servers) else None
            try:
                granted = await self._register_at(reg, server, expires, wait)
            except _NoAnswer as exc:
                if wait is None:
                    raise
                log.info("user %s: %s server %s:%s: %s; trying the next", reg.num,
                         server.tier, server.host, server.port, exc)
                continue
            reg.server = server
            return granted
        raise RegistrationFailed("no SIP server configured")

    async def _register_at(self, reg: UserRegistration, server: Registrar, expires: int,
                           wait: float | None) -> int:
        assert self.transport is not None
        peer, routes = reg.config.first_hop(server, (server.host, server.port))
        request = self._request(reg, server, expires, routes)
        if expires:
            reg.tried = server
        where = f"{peer.host}:{peer.port}"
        try:
            response = await asyncio.wait_for(self.transport.request(request, peer), wait)
            if response.status in (401, 407):
                retry = DigestClient(reg.auth_id, reg.password).authorize(request, response)
                if retry is not None:
                    reg.cseq = retry.cseq.seq
                    response = await asyncio.wait_for(self.transport.request(retry, peer), wait)
        except TimeoutError:
            raise _NoAnswer(f"no answer from {where} within {wait:g} s") from None
        except (SipTransportError, OSError) as exc:
            raise _NoAnswer(f"cannot reach {where}: {exc}") from None
        if response.status in NO_ANSWER:
            raise _NoAnswer(f"{response.status} {response.reason} ({where})")
        if response.status == 423 and expires:
            raise RegistrationFailed(f"{response.status} {response.reason} "
                                     f"(Min-Expires {response.headers.get('Min-Expires')})")
        if response.status != 200:
            raise RegistrationFailed(f"{response.status} {response.reason}")
        return self._granted(reg, response, expires)

    def _granted(self, reg: UserRegistration, response: Response, asked: int) -> int:
        ours = str(self.contact(reg.num).uri)
        for contact in response.contacts:
            value = contact.params.get("expires")
            if str(contact.uri) == ours and value and value.isdigit():
                return int(value)
        header = response.headers.get("Expires")
        return int(header) if header and header.isdigit() else asked
