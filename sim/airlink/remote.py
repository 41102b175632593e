"""The RFP process's end of the air link: `RemoteAir`, the world's air as seen from afar.

RemoteAir implements sim.air.AirMedium for one RFP, so rfp.radio.RfpRadio runs on it exactly
as on the world's Air: transmissions and site changes go to the world over TCP, what the world's
Air delivers to the site comes back, and sync status and relations are mirrored from the world.
Voice frames are ciphered here (sim.air.VoiceCipher), in the RFP's own process. The epoch is
the world's, on this process's clock (see AirLinkClientSession: one machine shares
CLOCK_MONOTONIC; across machines the offset is estimated). When the link is lost the radio has
no medium: it is not synced, hears no relations, and every MAC connection it carried gets
AirRelease(reason 2), as on the Air when an RFP's handsets leave; RemoteAir keeps trying to
reach the world, and a new link places the site again with what the RFP set meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from dect.identities import Ari, Rfpi
from sim.air import (
    NOT_SYNCED,
    RELEASE_LINK_LOST,
    AirListener,
    AirMedium,
    RadioSite,
    RfpReceiver,
    SyncRelation,
    SyncStatus,
    VoiceCipher,
    VoiceDone,
    frame_index,
    frame_numbers,
)
from sim.airlink.codec import (
    HANDSHAKE_S,
    HEARTBEAT_S,
    MAX_UNSENT,
    SILENCE_S,
    Hello,
    SiteState,
    encode,
)
from sim.airlink.edge import rearm
from sim.airlink.session import (
    AirLinkClientSession,
    ClientEvent,
    ClockAdjusted,
    LinkClosed,
    PrimitiveReceived,
    SyncReceived,
    Welcomed,
)
from sim.primitives import AirConnect, AirPrimitive, AirRelease
from sipdect import clock
from sipdect.net import send_at_once

log = logging.getLogger("sipdect.sim.airlink")


class RemoteAir:
    """One RFP's medium in its own process: the world's Air reached over the air link."""

    def __init__(self, site: RadioSite, host: str, port: int, *, mac: bytes = bytes(6),
                 local_host: str | None = None, reconnect_min: float = 0.2,
                 reconnect_max: float = 5.0, heartbeat: float = HEARTBEAT_S,
                 silence: float = SILENCE_S) -> None:
        """`site`: the RFP's place on the world's air (its id there is its OMM record id in a
        whole system, so that RPNs agree); the RFP sets powered/connected/dect_on/rfpi through
        set_rfp. `mac` names the RFP to the world (a newer link of one MAC replaces an older).
        `local_host`: the address the link leaves from (the RFP host's own; default: the
        system's choice). `reconnect_min`/`_max`: backoff between attempts to reach the world."""
        self.site = site
        self.rfps: dict[int, RadioSite] = {site.rfp_id: site}
        self.host = host
        self.port = port
        self.mac = mac
        self.local_host = local_host
        self.reconnect_min = reconnect_min
        self.reconnect_max = reconnect_max
        self.heartbeat = heartbeat
        self.silence = silence
        self.epoch = 0.0
        """The world's epoch on this process's clock (0.0 until the first Welcome)."""
        self.on_epoch: Callable[[float], None] | None = None
        """Called with the new epoch when it changes (a world restarted, a clock estimate)."""
        self.up = False
        """The world has placed the site and the link is alive."""
        self.link_count = 0
        """How many times the world placed the site."""
        self.attempts = 0
        """How many times it tried to reach the world."""
        self.last_close: str | None = None
        """Why the last link ended."""
        self._world_epoch = 0.0
        self._receiver: RfpReceiver | None = None
        self._listeners: list[AirListener] = []
        self._status = NOT_SYNCED
        self._relations: tuple[SyncRelation, ...] = ()
        self._pmids: set[int] = set()
        """MAC connections the world set up to this RFP and nobody released yet."""
        self._voice = VoiceCipher()
        self._voice_scheduled = False
        self._protocol: _AirLinkProtocol | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        encode(self.hello(0.0))  # a site no Hello can carry is the caller's error, now

    # -- AirMedium -----------------------------------------------------------------------------
    def set_rfp(self, rfp_id: int, *, rfpi: Rfpi | None = None,
                saris: tuple[Ari, ...] | None = None, powered: bool | None = None,
                dect_on: bool | None = None, connected: bool | None = None) -> None:
        site = self.rfps[rfp_id]
        before = (site.rfpi, site.saris, site.powered, site.dect_on, site.connected)
        if rfpi is not None:
            site.rfpi = rfpi
        if saris is not None:
            site.saris = saris
        if powered is not None:
            site.powered = powered
        if dect_on is not None:
            site.dect_on = dect_on
        if connected is not None:
            site.connected = connected
        if (site.rfpi, site.saris, site.powered, site.dect_on, site.connected) != before:
            self._send(SiteState(site.powered, site.dect_on, site.connected, site.rfpi,
                                 site.saris))

    def attach_rfp(self, rfp_id: int, receiver: RfpReceiver) -> None:
        if rfp_id not in self.rfps:
            raise KeyError(f"this medium carries RFP {self.site.rfp_id} only, not {rfp_id}")
        self._receiver = receiver

    def detach_rfp(self, rfp_id: int) -> None:
        if rfp_id == self.site.rfp_id:
            self._receiver = None

    def add_listener(self, listener: AirListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: AirListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def send_from_rfp(self, rfp_id: int, primitive: AirPrimitive) -> int:
        """Transmit through the world's Air: 1 when it went to the world (which handsets it
        reaches only the world knows), 0 when the site is not up or the link is down."""
        if isinstance(primitive, AirRelease):
            self._pmids.discard(primitive.pmid)
        if rfp_id != self.site.rfp_id or not self.site.up:
            return 0
        return 1 if self._send(primitive) else 0

    def cipher_voice_soon(self, ck: bytes, mfn: int, fn: int, payload: bytes, *,
                          downlink: bool, done: VoiceDone) -> None:
        """Like Air.cipher_voice_soon: the frames of one loop turn in one batched DSC run,
        in this process."""
        if self._voice.soon(ck, mfn, fn, payload, downlink=downlink, done=done) and (
                not self._voice_scheduled):
            self._voice_scheduled = True
            asyncio.get_running_loop().call_soon(self._run_voice)

    def frame_index(self, now: float) -> int:
        return frame_index(self.epoch, now)

    frame_numbers = staticmethod(frame_numbers)

    def sync_status(self, rfp_id: int) -> SyncStatus:
        return self._status if rfp_id == self.site.rfp_id else NOT_SYNCED

    def sync_relations(self, rfp_id: int) -> tuple[SyncRelation, ...]:
        return self._relations if rfp_id == self.site.rfp_id else ()

    # -- life cycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Reach the world now and whenever the link is lost, until stop()."""
        loop = asyncio.get_running_loop()
        self._stopping = False
        self._task = loop.create_task(self._run(), name=f"air link of RFP {self.site.rfp_id}")

    async def stop(self) -> None:
        """Leave the world's air for good (its connections are released as on a lost link)."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._protocol is not None:
            self._protocol.abort("stopped")

    def hello(self, now: float) -> Hello:
        """What this RFP tells the world on each new link."""
        s = self.site
        return Hello(s.rfp_id, self.mac, s.x, s.y, s.rpn, s.cluster, s.preferred_sync,
                     s.powered, s.dect_on, s.connected, s.rfpi, now, saris=s.saris)

    # -- internals -----------------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = self.reconnect_min
        failing = False
        while True:
            self.attempts += 1
            try:
                _, protocol = await loop.create_connection(
                    lambda: _AirLinkProtocol(self), self.host, self.port,
                    local_addr=None if self.local_host is None else (self.local_host, 0))
            except OSError as exc:
                if not failing:
                    log.warning("RFP %d: cannot reach the world's air at %s:%d: %s (trying "
                                "again)", self.site.rfp_id, self.host, self.port, exc)
                failing = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.reconnect_max)
                continue
            failing = False
            self._protocol = protocol
            await protocol.finished
            self._protocol = None
            if protocol.welcomed:
                backoff = self.reconnect_min
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.reconnect_max)

    def _send(self, message: SiteState | AirPrimitive) -> bool:
        protocol = self._protocol
        return protocol is not None and protocol.send(message)

    def _run_voice(self) -> None:
        self._voice_scheduled = False
        now = asyncio.get_running_loop().time()
        self._voice.run(now, self.frame_index(now))

    def _set_epoch(self, epoch: float) -> None:
        if epoch != self.epoch:
            self.epoch = epoch
            if self.on_epoch is not None:
                self.on_epoch(epoch)

    def _on_event(self, event: ClientEvent, now: float) -> None:
        if isinstance(event, PrimitiveReceived):
            primitive = event.primitive
            if isinstance(primitive, AirConnect):
                self._pmids.add(primitive.pmid)
            elif isinstance(primitive, AirRelease):
                self._pmids.discard(primitive.pmid)
            if self._receiver is not None:
                self._receiver(primitive, now)
        elif isinstance(event, SyncReceived):
            self._mirror(event.update.status, event.update.relations)
        elif isinstance(event, Welcomed):
            self._world_epoch = event.epoch
            self._set_epoch(event.epoch - event.offset)
            self.up = True
            self.link_count += 1
            log.info("RFP %d: on the world's air at %s:%d", self.site.rfp_id, self.host,
                     self.port)
        elif isinstance(event, ClockAdjusted):
            self._set_epoch(self._world_epoch - event.offset)
        elif isinstance(event, LinkClosed):
            self._lost(event.reason, now, refused=event.refused)

    def _mirror(self, status: SyncStatus, relations: tuple[SyncRelation, ...]) -> None:
        if (status, relations) == (self._status, self._relations):
            return
        self._status, self._relations = status, relations
        changed = frozenset((self.site.rfp_id,))
        for listener in list(self._listeners):
            listener(changed)

    def _lost(self, reason: str, now: float, *, refused: bool) -> None:
        """No medium: not synced, no relations, and the MAC connections are gone."""
        was_up, self.up = self.up, False
        self.last_close = reason
        if refused:
            log.warning("RFP %d: %s", self.site.rfp_id, reason)
        elif was_up:
            log.log(logging.INFO if self._stopping else logging.WARNING,
                    "RFP %d: lost the world's air: %s", self.site.rfp_id, reason)
        self._mirror(NOT_SYNCED, ())
        pmids, self._pmids = sorted(self._pmids), set()
        for pmid in pmids:
            if self._receiver is not None:
                self._receiver(AirRelease(pmid, RELEASE_LINK_LOST), now)


class _AirLinkProtocol(asyncio.Protocol):
    """One TCP connection to the world: pumps bytes, events and the session's timer."""

    def __init__(self, air: RemoteAir) -> None:
        self.air = air
        self.loop = asyncio.get_running_loop()
        self.session: AirLinkClientSession | None = None
        self.transport: asyncio.Transport | None = None
        self.finished: asyncio.Future[str] = self.loop.create_future()
        self.welcomed = False
        self._flush_scheduled = False
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        send_at_once(transport)
        a = self.air
        real = clock.current().virtual  # the air link's limits are real seconds (codec)
        self.session = AirLinkClientSession(a.hello(self.loop.time()),
                                            handshake_timeout=real(HANDSHAKE_S),
                                            heartbeat=real(a.heartbeat), silence=real(a.silence))
        self.flush()
        self._arm_timer()

    def data_received(self, data: bytes) -> None:
        assert self.session is not None
        self.session.receive_data(data, self.loop.time())
        self._process()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.session is not None:
            self.session.close("the connection to the world was lost")
            self._process()
        self._finish()

    def send(self, message: SiteState | AirPrimitive) -> bool:
        if self.session is None or not self.session.send(message):
            return False
        if not self._flush_scheduled:
            # One write per loop turn: a radio's flush transmits many primitives at once.
            self._flush_scheduled = True
            self.loop.call_soon(self.flush)
        return True

    def flush(self) -> None:
        self._flush_scheduled = False
        if self.session is None:
            return
        data = self.session.data_to_send()
        transport = self.transport
        if data and transport is not None and not transport.is_closing():
            transport.write(data)
            if transport.get_write_buffer_size() > MAX_UNSENT:
                self.abort(f"the world reads nothing: {MAX_UNSENT} octets wait for it")

    def abort(self, reason: str) -> None:
        if self.session is not None:
            self.session.close(reason)
            self._process()
        if self.transport is not None:
            self.transport.abort()
        self._finish()

    def _process(self) -> None:
        session = self.session
        if session is None:
            return
        now = self.loop.time()
        while (event := session.next_event()) is not None:
            if isinstance(event, Welcomed):
                self.welcomed = True
            self.air._on_event(event, now)
            if isinstance(event, LinkClosed):
                self.flush()
                if self.transport is not None:
                    self.transport.close()
                self._finish()
                return
        self.flush()
        self._arm_timer()

    def _finish(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.finished.done():
            self.finished.set_result(self.session.close_reason if self.session else "closed")

    def _arm_timer(self) -> None:
        assert self.session is not None
        self._timer = rearm(self.loop, self._timer, self.session.get_timer(), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        assert self.session is not None
        self.session.handle_timer(self.loop.time())
        self._process()


if TYPE_CHECKING:
    def _is_a_medium(air: RemoteAir) -> AirMedium:
        return air  # mypy checks here that RemoteAir implements sim.air.AirMedium
