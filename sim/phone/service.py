"""An external SIP phone as a running host: its SIP listeners (UDP, and TCP or TLS when it
registers over them) and its RTP socket on the host's own address, so everything it sends
leaves from there; the asyncio edge of the sans-I/O PhoneAgent.

`start`/`stop` (un-REGISTER first), `kill` (every socket and timer gone at once, nothing
sent: a power cut), `describe`, and the buttons: `call`, `answer`, `reject`, `hang_up`,
`hears`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sim.phone.agent import REJECT_STATUS, PhoneAgent
from sim.phone.config import UNREGISTER_TIMEOUT, PhoneConfig
from sim.phone.events import (
    CallConnected,
    CallEnded,
    CallRinging,
    CancelInvite,
    MediaChanged,
    PhoneEvent,
    RegistrationChanged,
    RegistrationState,
    SendRequest,
    SendResponse,
    SendStateless,
    SipAction,
)
from sim.phone.media import MediaSession, start_media
from sipdect import tls
from sipdect.media.signals import SILENCE_DBM0, ToneReport
from sipdect.net import HostNet
from sipdect.sip.message import Peer, Transport
from sipdect.sip.transaction import Event, TransactionError, TransportFailed, client_key
from sipdect.sip.transport import (
    SipTransport,
    SipTransportError,
    TlsClientOptions,
    TlsServerOptions,
)

log = logging.getLogger("sipdect.phone")

T = TypeVar("T")

FREE_PORT_ATTEMPTS = 5
"""Free UDP ports tried, with no port configured, until one's number is free for TCP too."""


class PhoneService:
    """One SIP phone on its own IPv4 address."""

    def __init__(self, config: PhoneConfig, address: str, *,
                 call_server: tuple[str, int] | None = None, data_dir: Path | None = None,
                 tls_client: TlsClientOptions | None = None,
                 net: HostNet | None = None) -> None:
        """call_server: the system's call server (host, port for the phone's transport),
        its registrar unless the config names one. data_dir: where a TLS phone keeps its
        certificate (TLS needs it). tls_client: how the registrar's certificate is checked
        (default: against the system's CAs; give the call server's certificate as cafile).
        net: the phone's host (its address, cut links, kill); default one at `address`."""
        self.config = config
        self.address = address
        self.net = net or HostNet(config.name, address)
        self.call_server = call_server
        self.data_dir = data_dir
        self.tls_client = tls_client or TlsClientOptions()
        self.agent: PhoneAgent | None = None
        self.transport: SipTransport | None = None
        self.certificate: Path | None = None
        """Our TLS certificate (PEM), for the call server to trust."""
        self._rtp: asyncio.DatagramTransport | None = None
        self._media: MediaSession | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._queued: deque[Event] = deque()
        self._busy = False
        self._finished = asyncio.Event()
        self._dead = False
        """Killed: nothing runs any more until the next start."""

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind SIP and RTP on our address and register. ValueError (config),
        SipTransportError (a port taken) or tls.TlsConfigError say what to change."""
        registrar = self.config.registrar_address(self.call_server)
        self.net.revive()
        self._dead = False
        self._finished.clear()
        if self.config.transport is Transport.TLS and self.data_dir is None:
            raise ValueError(f"phone {self.config.name!r}: TLS needs a data directory for "
                             "the phone's certificate")
        listeners = await self._listen()
        try:
            self._rtp = await self._open_rtp()
        except OSError as exc:
            self.kill()
            raise SipTransportError(f"phone {self.config.name!r}: cannot bind RTP on "
                                    f"{self.address}:{self.config.rtp_port}: "
                                    f"{exc.strerror or exc}") from None
        rtp_port = self._rtp.get_extra_info("sockname")[1]
        self.agent = PhoneAgent(self.config, listeners, rtp_port, registrar)
        self._run(self.agent.start)

    async def stop(self) -> None:
        """Hang up, un-REGISTER (waiting for the answer at most UNREGISTER_TIMEOUT), close."""
        agent = self.agent
        if agent is None or self.transport is None:
            return
        if self._dead:  # killed before: nothing left to say to anyone
            await self.transport.close()
            return
        self._run(agent.stop)
        try:  # the agent gives up by itself after UNREGISTER_TIMEOUT; this is a backstop
            await asyncio.wait_for(self._finished.wait(), 2 * UNREGISTER_TIMEOUT)
        except TimeoutError:
            log.warning("phone %s: stopped without its un-REGISTER finishing",
                        self.config.name)
        self.kill()
        await self.transport.close()

    def kill(self) -> None:
        """Drop every socket and timer now, sending nothing: a power cut. `describe` shows
        the state as it was at the cut."""
        self._dead = True
        self._queued.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._stop_media()
        if self._rtp is not None:
            self._rtp.close()
            self._rtp = None
        if self.transport is not None:
            self.transport.abort()

    # -- the buttons ----------------------------------------------------------------------------

    def call(self, target: str) -> str:
        """Dial a number (through the registrar) or a sip: URI; the call's Call-ID.
        PhoneError when a call is on or the target is unusable."""
        agent = self._running()
        return self._run(lambda now: agent.call(target, now))

    def answer(self) -> None:
        agent = self._running()
        self._run(agent.answer)

    def reject(self, status: int = REJECT_STATUS) -> None:
        agent = self._running()
        self._run(lambda now: agent.reject(now, status=status))

    def hang_up(self) -> None:
        agent = self._running()
        self._run(agent.hang_up)

    def hears(self, tone_hz: float, seconds: float = 0.5) -> ToneReport:
        """Whether the far end of the connected call sends `tone_hz` (latest `seconds`)."""
        if self._media is None:
            return ToneReport(SILENCE_DBM0, SILENCE_DBM0, False)
        return self._media.hears(tone_hz, seconds)

    # -- what others read -----------------------------------------------------------------------

    @property
    def registered(self) -> bool:
        return (self.agent is not None
                and self.agent.registration_state is RegistrationState.REGISTERED)

    def describe(self) -> dict[str, Any]:
        """Name, user, address, listeners, registration (state, last response) and calls."""
        out: dict[str, Any] = {"name": self.config.name, "user": self.config.user,
                               "address": self.address,
                               "transport": self.config.transport.lower(),
                               "running": self.agent is not None and not self._dead}
        if self.agent is None:
            return {**out, "registration": {"state": "unregistered"}, "calls": []}
        out["listeners"] = [str(peer) for peer in self.agent.listeners.values()]
        out.update(self.agent.describe())
        if self._media is not None:
            out["media"] = self._media.stats()
        return out

    # -- internals ------------------------------------------------------------------------------

    def _running(self) -> PhoneAgent:
        if self.agent is None or self.transport is None or self._dead:
            raise RuntimeError(f"phone {self.config.name} is not running")
        return self.agent

    async def _listen(self) -> dict[Transport, Peer]:
        kind = self.config.transport
        for attempt in range(FREE_PORT_ATTEMPTS):
            transport = SipTransport(on_event=self._sip_event, tls_client=self.tls_client,
                                     supported=(), net=self.net)
            self.transport = transport
            listeners = {Transport.UDP: await transport.listen(Transport.UDP, self.address,
                                                               self.config.sip_port)}
            try:
                if kind is Transport.TCP:
                    listeners[kind] = await transport.listen(kind, self.address,
                                                             listeners[Transport.UDP].port)
                elif kind is Transport.TLS:
                    assert self.data_dir is not None
                    cert, key = tls.ensure_certificate(
                        self.data_dir, f"sipdect phone {self.config.name}",
                        ("localhost", self.address))
                    self.certificate = cert
                    port = self.config.sip_port + 1 if self.config.sip_port else 0
                    listeners[kind] = await transport.listen(kind, self.address, port,
                                                             TlsServerOptions(cert, key))
            except BaseException as exc:
                await transport.close()
                # Any free UDP port was taken, and its number is in use for TCP (by some
                # connection's local end): another free port may serve both.
                retry = (isinstance(exc, SipTransportError) and kind is Transport.TCP
                         and not self.config.sip_port and attempt + 1 < FREE_PORT_ATTEMPTS)
                if not retry:
                    raise
                continue
            return listeners
        raise AssertionError("unreachable")  # pragma: no cover

    async def _open_rtp(self) -> asyncio.DatagramTransport:
        transport, _ = await self.net.create_datagram_endpoint(lambda: _Rtp(self),
                                                               self.config.rtp_port)
        return transport

    def _now(self) -> float:
        assert self.transport is not None
        return self.transport.now()

    def _run(self, command: Callable[[float], T]) -> T:
        """Call `command(now)` on the agent, then do what it asked and feed it the events
        the transport delivered meanwhile (queued, so the agent never runs re-entered)."""
        agent = self.agent
        assert agent is not None
        self._busy = True
        try:
            result = command(self._now())
            self._flush()
            while self._queued:
                agent.handle_event(self._queued.popleft(), self._now())
                self._flush()
        finally:
            self._busy = False
        return result

    def _sip_event(self, event: Event) -> None:
        if self.agent is None or self._dead:
            return  # still booting, or dead: nobody answers
        self._queued.append(event)
        if not self._busy:
            self._run(lambda now: None)

    def _flush(self) -> None:
        agent = self.agent
        if agent is None or self.transport is None:
            return
        while True:
            actions = agent.actions()
            for action in actions:
                self._do(action)
            events = []
            while (event := agent.next_event()) is not None:
                events.append(event)
            for event in events:
                self._handle(event)
            if not actions and not events:
                break
        if agent.finished:
            self._finished.set()
        self._schedule()

    def _do(self, action: SipAction) -> None:
        transport = self.transport
        assert transport is not None
        try:
            if isinstance(action, SendRequest):
                transport.send_request(action.request, action.peer)
            elif isinstance(action, SendResponse):
                transport.send_response(action.response, action.transaction)
            elif isinstance(action, SendStateless):
                transport.send_stateless(action.message, action.peer)
            elif isinstance(action, CancelInvite):
                transport.cancel(action.transaction)
        except (SipTransportError, TransactionError) as exc:
            log.warning("phone %s: %s", self.config.name, exc)
            if isinstance(action, SendRequest):  # tell the agent, as a transport would
                self._queued.append(TransportFailed(client_key(action.request), action.peer))

    def _handle(self, event: PhoneEvent) -> None:
        name = self.config.name
        if isinstance(event, RegistrationChanged):
            log.info("phone %s: registration %s (%s)", name, event.state, event.response)
        elif isinstance(event, CallRinging):
            log.info("phone %s: %s call with %s rings", name, event.direction, event.remote)
        elif isinstance(event, CallConnected | MediaChanged):
            log.info("phone %s: call %s connected", name, event.call_id)
            self._stop_media()
            if event.media is not None and self._rtp is not None:
                self._media = start_media(self._rtp, event.media, self.config.tone_hz)
        elif isinstance(event, CallEnded):
            log.info("phone %s: call %s ended: %s", name, event.call_id, event.reason)
            self._stop_media()

    def _stop_media(self) -> None:
        if self._media is not None:
            self._media.stop()
            self._media = None

    def _schedule(self) -> None:
        agent = self.agent
        deadline = agent.get_timer() if agent is not None and not self._dead else None
        if self._timer is not None and (deadline is None or self._timer.when() != deadline):
            self._timer.cancel()
            self._timer = None
        if deadline is not None and self._timer is None:
            self._timer = asyncio.get_running_loop().call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        agent = self.agent
        if agent is not None:
            self._run(agent.handle_timer)

    def _rtp_received(self, data: bytes) -> None:
        if self._media is not None:
            self._media.receive(data)


class _Rtp(asyncio.DatagramProtocol):
    def __init__(self, owner: PhoneService) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.owner._rtp_received(data)

    def error_received(self, exc: Exception) -> None:
        pass  # the far end's port closed (ICMP): its call is ending
