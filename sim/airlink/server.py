"""The world's end of the air link: remote RFPs' radio sites on the world's Air (asyncio edge).

Around one AirLinkServerSession per TCP connection: a Hello places the RFP's site on the Air
(`Air.add_rfp` with the Hello's fields) and makes the connection that site's receiver; what
the Air delivers to the site, and each change of its sync status or relations, is written to
the connection; the RFP's transmissions and site changes go onto the Air. When the link ends
(closed, a broken frame, silence, the RFP's process killed) the site leaves the air: its
handsets lose it and look for another RFP, as when an RFP loses power.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractContextManager

from sim.air import Air
from sim.airlink.codec import HANDSHAKE_S, MAX_UNSENT, SILENCE_S, SyncUpdate
from sim.airlink.edge import rearm
from sim.airlink.session import (
    AirLinkServerSession,
    HelloReceived,
    LinkClosed,
    PrimitiveReceived,
    SiteChanged,
)
from sim.primitives import AirPrimitive
from sipdect import clock
from sipdect.net import peer_of, send_at_once

log = logging.getLogger("sipdect.sim.airlink")


class AirLinkServer:
    """Listens for remote RFP radios and keeps each one's site on `air` while its link lasts."""

    def __init__(self, air: Air, host: str = "127.0.0.1", port: int = 0, *,
                 silence: float = SILENCE_S) -> None:
        """`port` 0 picks a free port (see `port` once started); an RFP not heard from
        for `silence` seconds is taken off the air."""
        self.air = air
        self.host = host
        self.silence = silence
        self._port = port
        self._server: asyncio.Server | None = None
        self._links: set[_RemoteRfp] = set()
        self._placed: dict[int, _RemoteRfp] = {}
        self._batch: AbstractContextManager[None] | None = None

    @property
    def port(self) -> int:
        return self._port

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _RemoteRfp(self), self.host,
                                                self._port, reuse_address=True)
        self._port = int(self._server.sockets[0].getsockname()[1])
        self.air.add_listener(self._on_air_changed)

    async def stop(self) -> None:
        """Stop listening and end every link: the remote sites leave the air."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for link in list(self._links):
            link.abort("the world stopped")
        if server is not None:
            await server.wait_closed()  # after the aborts: newer Pythons wait for the links
        self._changed()
        self.air.remove_listener(self._on_air_changed)

    def _changing(self) -> None:
        """A link changes the air: the changes of this loop turn make one sync computation at
        its end. Links arrive one connection at a time, and a site whose RFPs connect
        together (hundreds in worker processes) would otherwise recompute the air's sync
        once per RFP."""
        if self._batch is None:
            self._batch = self.air.batch()
            self._batch.__enter__()
            asyncio.get_running_loop().call_soon(self._changed)

    def _changed(self) -> None:
        batch, self._batch = self._batch, None
        if batch is not None:
            batch.__exit__(None, None, None)

    def remote_ids(self) -> list[int]:
        """Ids of the RFPs placed on the air over a link now."""
        return sorted(self._placed)

    def drop(self, rfp_id: int) -> bool:
        """Cut this RFP's link (a fault): its site leaves the air, the RFP tries again."""
        link = self._placed.get(rfp_id)
        if link is None:
            return False
        link.abort("dropped by the world")
        return True

    # -- placing -------------------------------------------------------------------------------
    def _place(self, link: _RemoteRfp, now: float) -> str | None:
        """Put the link's site on the air; the refusal's reason when it cannot be."""
        hello = link.session.hello
        assert hello is not None
        rfp_id = hello.rfp_id
        holder = self._placed.get(rfp_id)
        if holder is not None and holder.mac == hello.mac:
            # The same RFP again: its old link died without our noticing (another machine).
            holder.abort("replaced by a newer link of the same RFP")
        if rfp_id in self.air.rfps:
            return f"RFP {rfp_id} is on the world's air already"
        link.session.accept(self.air.epoch, now)
        link.rfp_id = rfp_id
        self._placed[rfp_id] = link
        self._changing()
        self.air.add_rfp(rfp_id, hello.x, hello.y, rpn=hello.rpn, rfpi=hello.rfpi,
                         cluster=hello.cluster, preferred_sync=hello.preferred_sync,
                         powered=hello.powered, dect_on=hello.dect_on,
                         connected=hello.connected, saris=hello.saris)
        self.air.attach_rfp(rfp_id, link.deliver)
        link.send_sync()
        log.info("air link %s: RFP %d (%s) placed at (%g, %g), cluster %d", link.peer, rfp_id,
                 hello.mac.hex(":"), hello.x, hello.y, hello.cluster)
        return None

    def _unplace(self, link: _RemoteRfp, reason: str) -> None:
        rfp_id = link.rfp_id
        self._links.discard(link)
        if rfp_id is None or self._placed.get(rfp_id) is not link:
            return
        del self._placed[rfp_id]
        link.rfp_id = None
        self._changing()
        self.air.detach_rfp(rfp_id)
        self.air.remove_rfp(rfp_id)
        log.warning("air link %s: RFP %d left the air: %s", link.peer, rfp_id, reason)

    def _on_air_changed(self, changed: frozenset[int]) -> None:
        for rfp_id in changed:
            link = self._placed.get(rfp_id)
            if link is not None:
                link.send_sync()


class _RemoteRfp(asyncio.Protocol):
    """One remote RFP's connection: pumps bytes, events and the session's timer."""

    def __init__(self, server: AirLinkServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        real = clock.current().virtual  # the air link's limits are real seconds (codec)
        self.session = AirLinkServerSession(self.loop.time(), hello_timeout=real(HANDSHAKE_S),
                                            silence=real(server.silence))
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.rfp_id: int | None = None
        self._last_sync: SyncUpdate | None = None
        self._flush_scheduled = False
        self._timer: asyncio.TimerHandle | None = None

    @property
    def mac(self) -> bytes | None:
        return self.session.hello.mac if self.session.hello is not None else None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = peer_of(transport)
        if peer is not None:
            self.peer = peer[0]
        send_at_once(transport)
        self.server._links.add(self)
        self._arm_timer()

    def data_received(self, data: bytes) -> None:
        self.session.receive_data(data, self.loop.time())
        self._process()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.session.close("the connection was lost")
        self.server._unplace(self, self.session.close_reason or "connection lost")

    def _process(self) -> None:
        air = self.server.air
        while (event := self.session.next_event()) is not None:
            if isinstance(event, PrimitiveReceived):
                if self.rfp_id is not None:
                    air.send_from_rfp(self.rfp_id, event.primitive)
            elif isinstance(event, SiteChanged):
                if self.rfp_id is not None:
                    s = event.state
                    self.server._changing()
                    air.set_rfp(self.rfp_id, powered=s.powered, dect_on=s.dect_on,
                                connected=s.connected, rfpi=s.rfpi, saris=s.saris)
            elif isinstance(event, HelloReceived):
                reason = self.server._place(self, self.loop.time())
                if reason is not None:
                    log.warning("air link %s: refused RFP %d: %s", self.peer,
                                event.hello.rfp_id, reason)
                    self.session.refuse(reason)
            elif isinstance(event, LinkClosed):
                if not event.reason.startswith("refused"):
                    log.warning("air link %s: closing: %s", self.peer, event.reason)
                self.flush()
                self.server._unplace(self, event.reason)
                if self.transport is not None:
                    self.transport.close()
                return
        self.flush()
        self._arm_timer()

    # -- towards the RFP -----------------------------------------------------------------------
    def deliver(self, primitive: AirPrimitive, now: float) -> None:
        """The Air's receiver for this RFP's site."""
        if self.session.send(primitive):
            self._schedule_flush()

    def send_sync(self) -> None:
        assert self.rfp_id is not None
        air = self.server.air
        update = SyncUpdate(air.sync_status(self.rfp_id), air.sync_relations(self.rfp_id))
        if update != self._last_sync and self.session.send(update):
            self._last_sync = update
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        # One write per loop turn: the Air delivers a whole tick's frames in one go.
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self._flush_scheduled = False
        data = self.session.data_to_send()
        transport = self.transport
        if data and transport is not None and not transport.is_closing():
            transport.write(data)
            if transport.get_write_buffer_size() > MAX_UNSENT:
                self.abort(f"the RFP reads nothing: {MAX_UNSENT} octets wait for it")

    def abort(self, reason: str) -> None:
        """End the link at once (its site leaves the air now, not when the socket reports)."""
        self.session.close(reason)
        self.server._unplace(self, reason)
        if self.transport is not None:
            self.transport.abort()

    # -- timer ---------------------------------------------------------------------------------
    def _arm_timer(self) -> None:
        self._timer = rearm(self.loop, self._timer, self.session.get_timer(), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.session.handle_timer(self.loop.time())
        self._process()
