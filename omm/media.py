"""The OMM side of the RFP media gateways: `RfpMediaControl`, the MediaPort of docs/calls.md §2.

It turns what the SIP side decided (codec, far end, SRTP keys) into MEDIA_OPEN/CONF/START on
the RFP of the call, MEDIA_REDIRECT_START on that anchor RFP and a channel on the new RFP at a
handover, MEDIA_DTMF for keys, MEDIA_STOP/CLOSE at the end, and keeps the RTP ports and media
handles of every RFP host. omm-rfp.md §3.3 and §4.8; the wire choices the product leaves open
are made in sipdect.link.media.
"""

from __future__ import annotations

import errno
import ipaddress
import itertools
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from omm.mediaport import MediaCodecChoice, RtpAddress, SrtpKeys
from sipdect.link import constants as lc
from sipdect.link.media import (
    CODEC_IDS,
    SRTP_KEY_LENGTH,
    SRTP_SUITE_OCTETS,
    MediaClose,
    MediaCodec,
    MediaConf,
    MediaDtmf,
    MediaOpen,
    MediaRedirectStart,
    MediaRedirectStop,
    MediaRestart,
    MediaStart,
    MediaStatistics,
    MediaStop,
    SrtpBlock,
    codec_area_spare,
    conf_tail,
)
from sipdect.link.messages import TypedMessage

log = logging.getLogger("sipdect.omm.media")

Direction = lc.MediaDirection
SendFn = Callable[[int, TypedMessage], bool]
HostFn = Callable[[int], "str | None"]

# -- decisions -------------------------------------------------------------------------------------
DEFAULT_RTP_PORT_BASE = 16320
"""First RTP port handed out on an RFP (the real OMM's default is not published; 16320 sits
below the link port 16321, which is TCP)."""
DEFAULT_RTP_PORT_COUNT = 4096
"""Ports in the range (even RTP, odd RTCP): 2048 channels per RFP host."""
PROBE_PORTS_WITH_BIND = True
"""Before a port pair is handed out, try to bind both on the RFP's host and skip it when that
fails: every emulated RFP, far end and test peer shares 127.0.0.1, so a port free in the OMM's
own table may be taken by another process. A host that is not this machine's is not probed."""
DTMF_DURATION_MS = 100
"""Duration of a key sent with MEDIA_DTMF."""
SLOT_COUNTS = {"G722": 2}
"""MEDIA_OPEN DECT slot count per codec: a wideband call takes a double slot, others one."""
MAX_HANDLE = 0xFFFF
CLOSED_REMEMBERED = 256
"""Closed (RFP, handle) pairs remembered to attribute late MEDIA_STATISTICS to their ppn."""


def _air_codec(codec: MediaCodecChoice) -> MediaCodecChoice:
    """The codec of an RFP-to-RFP leg: what the air carries (A-law, or G.722 when wideband)."""
    if codec.name.upper() == "G722":
        return MediaCodecChoice("G722", 9)
    return MediaCodecChoice("PCMA", 8)


@dataclass
class _Channel:
    """A MEDIA handle this OMM opened on an RFP."""

    rfp_id: int
    handle: int
    local: RtpAddress
    """The RFP's RTP port of this channel."""


@dataclass
class _Call:
    ppn: int
    reserved: tuple[int, RtpAddress] | None = None
    """(rfp_id, address) reserve() handed out, not yet used by start()."""
    anchor: _Channel | None = None
    visitor: _Channel | None = None
    """The channel on the RFP the PP moved to."""
    redirect: RtpAddress | None = None
    """The anchor's ports towards the visitor."""
    codec: MediaCodecChoice | None = None
    srtp: SrtpKeys | None = None


class RfpMediaControl:
    """The MediaPort of one OMM: MEDIA_* for the RFPs, RTP ports per RFP host."""

    def __init__(self, send: SendFn, rfp_host: HostFn, *,
                 port_base: int = DEFAULT_RTP_PORT_BASE,
                 port_count: int = DEFAULT_RTP_PORT_COUNT,
                 probe: bool = PROBE_PORTS_WITH_BIND,
                 on_dtmf: Callable[[int, str], None] | None = None,
                 random: Callable[[int], bytes] = os.urandom) -> None:
        """`send(rfp_id, message)`: RfpLinkServer.send; `rfp_host(rfp_id)`: the RFP's IP
        (RfpLinkServer.peer_ip), None when it is not connected. `on_dtmf(ppn, key)`: a key
        the far end sent (RFC 4733, reported by the anchor RFP)."""
        if port_base % 2:
            raise ValueError(f"the RTP port base must be even, got {port_base}")
        self.send = send
        self.rfp_host = rfp_host
        self.port_base = port_base
        self.port_count = port_count
        self.probe = probe
        self.on_dtmf = on_dtmf
        self.random = random
        self.on_channels: Callable[[int, int], None] | None = None
        """`on_channels(rfp_id, in_use)`: an RFP's voice channels in use changed (RFP
        statistics)."""
        self.capacity: Callable[[int], int] | None = None
        """`capacity(rfp_id)`: the RFP's voice channels (its model's); None: unlimited."""
        self.on_rejected: Callable[[int], None] | None = None
        """`on_rejected(rfp_id)`: a call was refused because all of the RFP's voice channels
        were busy (RFP statistics)."""
        self.calls: dict[int, _Call] = {}
        self.dtmf_received: list[tuple[int, str]] = []
        """(ppn, key) of every key the far ends sent, oldest first."""
        self._ports: dict[str, set[int]] = {}
        self._handles: dict[int, set[int]] = {}
        self._next_handle = itertools.count(1)
        self._by_handle: dict[tuple[int, int], int] = {}
        self._closed: dict[tuple[int, int], int] = {}
        self._statistics: dict[int, list[MediaStatistics]] = {}

    # -- MediaPort ---------------------------------------------------------------------------------
    def reserve(self, ppn: int, rfp_id: int) -> RtpAddress | None:
        call = self.calls.setdefault(ppn, _Call(ppn))
        if call.anchor is not None and call.anchor.rfp_id == rfp_id:
            return call.anchor.local
        if call.reserved is not None:
            if call.reserved[0] == rfp_id:
                return call.reserved[1]
            self._free_port(call.reserved[1])
            call.reserved = None
        if self.full(rfp_id):
            if call.anchor is None:
                del self.calls[ppn]
            log.info("call of ppn %d refused: all voice channels of RFP %d are busy", ppn,
                     rfp_id)
            if self.on_rejected is not None:
                self.on_rejected(rfp_id)
            return None
        address = self._allocate(rfp_id)
        if address is None:
            if call.anchor is None:
                del self.calls[ppn]
            return None
        call.reserved = (rfp_id, address)
        return address

    def start(self, ppn: int, rfp_id: int, mcei: int, codec: MediaCodecChoice,
              remote: RtpAddress, srtp: SrtpKeys | None, dtmf_pt: int | None) -> None:
        call = self.calls.setdefault(ppn, _Call(ppn))
        if call.anchor is not None:
            # A new answer or re-INVITE: the channels start afresh on the ports the SDP gave.
            if call.reserved is None:
                call.reserved = (call.anchor.rfp_id, call.anchor.local)
            self._drop_visitor(call)
            self._close(call.anchor, free_port=call.reserved[1] != call.anchor.local)
            call.anchor = None
        anchor_rfp = call.reserved[0] if call.reserved is not None else rfp_id
        local = call.reserved[1] if call.reserved is not None else self._allocate(anchor_rfp)
        call.reserved = None
        if local is None:
            log.warning("media of ppn %d: RFP %d is not connected", ppn, anchor_rfp)
            return
        channel = self._open(anchor_rfp, local, codec, remote, srtp, dtmf_pt, ppn,
                             mcei if anchor_rfp == rfp_id else None)
        if channel is None:
            self._free_port(local)
            return
        call.anchor, call.codec, call.srtp = channel, codec, srtp
        if anchor_rfp != rfp_id:
            # The SDP named the RFP reserve() was asked for; the PP is on another by now.
            self.handover(ppn, rfp_id, mcei)
        self._send(anchor_rfp, MediaStart(channel.handle, Direction.TX_RX))

    def handover(self, ppn: int, rfp_id: int, mcei: int) -> None:
        call = self.calls.get(ppn)
        if call is None or call.anchor is None or call.codec is None:
            return
        anchor = call.anchor
        if rfp_id == anchor.rfp_id:
            if call.visitor is not None:
                self._send(anchor.rfp_id, MediaRedirectStop(anchor.handle, 1))
                self._drop_visitor(call)
            self._send(anchor.rfp_id, MediaRestart(anchor.handle, mcei & 0xFF))
            return
        anchor_host = self.rfp_host(anchor.rfp_id)
        redirect = self._allocate(anchor.rfp_id)
        visitor_local = self._allocate(rfp_id)
        if anchor_host is None or redirect is None or visitor_local is None:
            log.warning("handover of ppn %d to RFP %d: an RFP is not connected", ppn, rfp_id)
            for address in (redirect, visitor_local):
                if address is not None:
                    self._free_port(address)
            return
        anchor_block = visitor_block = None
        if call.srtp is not None:
            out_key, back_key = self._key(), self._key()
            anchor_block = SrtpBlock(call.srtp.suite, out_key, back_key)
            visitor_block = SrtpBlock(call.srtp.suite, back_key, out_key)
        visitor = self._open(rfp_id, visitor_local, _air_codec(call.codec), redirect,
                             None, None, ppn, mcei, block=visitor_block)
        if visitor is None:
            self._free_port(redirect)
            self._free_port(visitor_local)
            return
        self._send(rfp_id, MediaStart(visitor.handle, Direction.TX_RX))
        self._send(anchor.rfp_id, MediaRedirectStart(
            anchor.handle, bytes(2), redirect.port, redirect.port + 1,
            ipaddress.IPv4Address(visitor_local.host), visitor_local.port,
            visitor_local.port + 1, 0,
            anchor_block.to_bytes() if anchor_block is not None else b""))
        self._drop_visitor(call)
        call.visitor, call.redirect = visitor, redirect

    def media_rfps(self, ppn: int) -> tuple[int, ...]:
        """The RFPs (record ids) carrying the PP's call media: its anchor, then the RFP it was
        handed over to (the anchor redirects there); () without media."""
        call = self.calls.get(ppn)
        if call is None or call.anchor is None:
            return ()
        visitor = () if call.visitor is None else (call.visitor.rfp_id,)
        return (call.anchor.rfp_id, *visitor)

    def dtmf(self, ppn: int, key: str) -> None:
        call = self.calls.get(ppn)
        if call is None or call.anchor is None or len(key) != 1:
            return
        self._send(call.anchor.rfp_id, MediaDtmf(call.anchor.handle, DTMF_DURATION_MS,
                                                 ord(key), Direction.TX))

    def stop(self, ppn: int) -> None:
        call = self.calls.pop(ppn, None)
        if call is None:
            return
        if call.reserved is not None:
            self._free_port(call.reserved[1])
        self._close_channels(call)

    # -- from the RFPs -------------------------------------------------------------------------
    def receive(self, rfp_id: int, message: TypedMessage) -> bool:
        """MEDIA_STATISTICS or MEDIA_DTMF from an RFP; False for anything else."""
        if isinstance(message, MediaStatistics):
            key = (rfp_id, message.handle)
            ppn = self._by_handle.get(key, self._closed.get(key))
            log.info("media stats RFP %d handle %d (ppn %s): tx %d rx %d lost %d",
                     rfp_id, message.handle, ppn, message.tx_packets, message.rx_packets,
                     message.lost_packets)
            if ppn is not None:
                self._statistics.setdefault(ppn, []).append(message)
            return True
        if isinstance(message, MediaDtmf):
            ppn = self._by_handle.get((rfp_id, message.handle))
            if ppn is None:
                return True
            key_char = chr(message.key)
            self.dtmf_received.append((ppn, key_char))
            if self.on_dtmf is not None:
                self.on_dtmf(ppn, key_char)
            return True
        return False

    def statistics(self, ppn: int) -> list[MediaStatistics]:
        """MEDIA_STATISTICS the RFPs sent for this ppn's channels, oldest first."""
        return list(self._statistics.get(ppn, []))

    # -- channels --------------------------------------------------------------------------------
    def _open(self, rfp_id: int, local: RtpAddress, codec: MediaCodecChoice,
              remote: RtpAddress, srtp: SrtpKeys | None, dtmf_pt: int | None, ppn: int,
              mcei: int | None, *, block: SrtpBlock | None = None) -> _Channel | None:
        codec_id = CODEC_IDS.get(codec.name.upper())
        if codec_id is None:
            log.warning("media of ppn %d: codec %s is not one an RFP runs", ppn, codec.name)
            return None
        try:
            remote_ip = ipaddress.IPv4Address(remote.host)
        except ValueError:
            log.warning("media of ppn %d: far end %r is no IPv4 address", ppn, remote.host)
            return None
        if srtp is not None:
            if srtp.suite not in SRTP_SUITE_OCTETS:
                log.warning("media of ppn %d: SRTP suite %s is not supported", ppn, srtp.suite)
                return None
            block = SrtpBlock(srtp.suite, srtp.tx_key, srtp.rx_key)
        handle = self._allocate_handle(rfp_id)
        if handle is None:
            return None
        rate = 16 if codec.name.upper() == "G722" else codec.clock_rate // 1000
        conf = MediaConf(
            handle=handle, codecs=(MediaCodec(codec_id, codec.payload_type, rate),),
            mcei=0 if mcei is None else mcei & 0xFF, ppn=ppn & 0xFFFF,
            local_rtp_port=local.port, local_rtcp_port=local.port + 1,
            rx_address=remote_ip, rx_port1=remote.port, rx_port2=remote.port + 1,
            tx_address=remote_ip, tx_port1=remote.port, tx_port2=remote.port + 1,
            vif=codec.ptime_ms, codec_spare=codec_area_spare(1, dtmf_pt),
            tail=conf_tail(block))
        slots = SLOT_COUNTS.get(codec.name.upper(), 1)
        self._send(rfp_id, MediaOpen(handle, codec_id, slots, 0))
        self._send(rfp_id, conf)
        self._by_handle[(rfp_id, handle)] = ppn
        return _Channel(rfp_id, handle, local)

    def _close(self, channel: _Channel, *, free_port: bool = True) -> None:
        self._send(channel.rfp_id, MediaStop(channel.handle, Direction.TX_RX))
        self._send(channel.rfp_id, MediaClose(channel.handle))
        key = (channel.rfp_id, channel.handle)
        ppn = self._by_handle.pop(key, None)
        if ppn is not None:
            self._closed[key] = ppn
            while len(self._closed) > CLOSED_REMEMBERED:
                del self._closed[next(iter(self._closed))]
        used = self._handles.get(channel.rfp_id, set())
        if channel.handle in used:
            used.discard(channel.handle)
            self._channels_changed(channel.rfp_id)
        if free_port:
            self._free_port(channel.local)

    def _drop_visitor(self, call: _Call) -> None:
        if call.visitor is not None:
            self._close(call.visitor)
            call.visitor = None
        if call.redirect is not None:
            self._free_port(call.redirect)
            call.redirect = None

    def _close_channels(self, call: _Call) -> None:
        self._drop_visitor(call)
        if call.anchor is not None:
            self._close(call.anchor)
            call.anchor = None

    def _send(self, rfp_id: int, message: TypedMessage) -> None:
        if not self.send(rfp_id, message):
            log.info("RFP %d is not connected: %s not sent", rfp_id, type(message).__name__)

    def _key(self) -> bytes:
        return self.random(SRTP_KEY_LENGTH)

    # -- handles and ports -----------------------------------------------------------------------
    def _allocate_handle(self, rfp_id: int) -> int | None:
        used = self._handles.setdefault(rfp_id, set())
        for _ in range(MAX_HANDLE):
            handle = next(self._next_handle) % (MAX_HANDLE + 1)
            if handle and handle not in used:
                used.add(handle)
                self._channels_changed(rfp_id)
                return handle
        return None

    def in_use(self, rfp_id: int) -> int:
        """The RFP's voice channels taken: open ones and those reserve() promised."""
        promised = sum(1 for call in self.calls.values()
                       if call.reserved is not None and call.reserved[0] == rfp_id)
        return len(self._handles.get(rfp_id, ())) + promised

    def full(self, rfp_id: int) -> bool:
        """Whether a new call on the RFP would find no voice channel free. (A call handed
        over into a full RFP is refused by the RFP itself: rfp.radio refuses the bearer.)"""
        return self.capacity is not None and self.in_use(rfp_id) >= self.capacity(rfp_id)

    def _channels_changed(self, rfp_id: int) -> None:
        if self.on_channels is not None:
            self.on_channels(rfp_id, len(self._handles.get(rfp_id, ())))

    def _allocate(self, rfp_id: int) -> RtpAddress | None:
        """An even RTP port (+1 RTCP) on the RFP's host, None when the RFP is not connected
        or the range is used up."""
        host = self.rfp_host(rfp_id)
        if host is None:
            return None
        used = self._ports.setdefault(host, set())
        for port in range(self.port_base, self.port_base + self.port_count - 1, 2):
            if port in used or (self.probe and not _pair_free(host, port)):
                continue
            used.add(port)
            return RtpAddress(host, port)
        log.warning("no free RTP port on %s between %d and %d", host, self.port_base,
                    self.port_base + self.port_count - 1)
        return None

    def _free_port(self, address: RtpAddress) -> None:
        self._ports.get(address.host, set()).discard(address.port)


def _pair_free(host: str, port: int) -> bool:
    """Both UDP ports bind on `host` now (see PROBE_PORTS_WITH_BIND)."""
    socks = []
    try:
        for p in (port, port + 1):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.bind((host, p))
        return True
    except OSError as exc:
        # Not an address of this machine: the RFP is elsewhere and keeps its own ports.
        return exc.errno == errno.EADDRNOTAVAIL
    finally:
        for sock in socks:
            sock.close()
