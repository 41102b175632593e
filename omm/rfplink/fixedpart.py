"""Between the RFP link's DNM messages and the DECT fixed part's primitives (omm.dect).

omm-rfp.md §3.5 and §4.9: each LC/MAC DNM maps one to one onto an omm.dect.primitives
dataclass. LC_DATA_IND/REQ carry the DLC frame after the B/channel and length octets; the
fixed part sees the bare frame. `FixedPartLink` runs a FixedPart on an RfpLinkServer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from dect.identities import Park
from omm.dect import primitives as fp
from omm.dect.fixed_part import FixedPart
from sipdect.link import constants as c
from sipdect.link import dnm as wire
from sipdect.link.dnm import Dnm, dlc_frame, lc_body
from sipdect.link.errors import LinkError

Prim = c.DnmPrimitive
PAGE_UNKNOWN_OCTET = 0x03
"""MAC_PAGE_REQ offset 6, `03` in every capture (meaning unknown)."""
PAGE_FLAGS = 0x08
"""MAC_PAGE_REQ flags: one of the two values seen (0x08, 0x0c); their meaning is unknown."""


def indication(rfp_id: int, dnm: Dnm) -> fp.FpIndication | None:
    """The fixed part's view of a DNM from an RFP; None for one it does not take (LC_DTR_IND,
    MAC_INFO_IND, ...) or whose body does not decode."""
    mcei = dnm.mcei
    if mcei is None:
        return None
    try:
        if dnm.layer == c.DnmLayer.LC and dnm.primitive == Prim.LC_DATA_IND:
            frame = dlc_frame(dnm.body)
            return None if frame is None else fp.LcDataInd(rfp_id, mcei, frame)
        if dnm.layer != c.DnmLayer.MAC:
            return None
        body = dnm.mac_body()
    except LinkError:
        return None
    if isinstance(body, wire.MacConInd):
        return fp.MacConnectInd(rfp_id, mcei, body.pmid & 0xFFFFF, body.handover)
    if isinstance(body, wire.MacDisInd):
        reason = c.MacDisReason.UNSPECIFIED if body.reason is None else body.reason
        return fp.MacDisconnectInd(rfp_id, mcei, reason)
    if isinstance(body, wire.MacEncEksInd):
        key_id = body.extra[0] if body.flag == 2 and body.extra else None
        return fp.MacEncEksInd(rfp_id, mcei, key_id)
    if isinstance(body, wire.HoInProgressInd):
        return fp.HoInProgressInd(rfp_id, mcei, body.pmid & 0xFFFFF)
    return None


def requests(request: fp.FpRequest, rfp_ids: Iterable[int]) -> list[tuple[int, Dnm]]:
    """(RFP id, DNM) for a fixed part request; a page without an RFP goes to every RFP in
    `rfp_ids` (paging areas are not modelled: all connected RFPs page)."""
    if isinstance(request, fp.MacPageReq):
        page = Dnm.mac(Prim.MAC_PAGE_REQ, None,
                       wire.MacPageReq(PAGE_UNKNOWN_OCTET, PAGE_FLAGS, request.id16 & 0xFFFF))
        targets = list(rfp_ids) if request.rfp_id is None else [request.rfp_id]
        return [(rfp_id, page) for rfp_id in targets]
    if isinstance(request, fp.LcDataReq):
        dnm = Dnm(c.DnmLayer.LC, Prim.LC_DATA_REQ, request.mcei, lc_body(request.frame))
    elif isinstance(request, fp.MacEncKeyReq):
        dnm = Dnm.mac(Prim.MAC_ENC_KEY_REQ, request.mcei,
                      wire.MacEncKeyReq(request.key, request.key_id))
    elif isinstance(request, fp.MacDisconnectReq):
        dnm = Dnm.mac(Prim.MAC_DIS_REQ, request.mcei)
    else:
        dnm = Dnm.mac(Prim.HO_IN_PROGRESS_RES, request.mcei,
                      wire.HoInProgressRes(key=request.key, key_id=request.key_id))
    return [(request.rfp_id, dnm)]


class FixedPartLink:
    """Feeds a FixedPart with the DNMs of the connected RFPs and sends its requests back.

    Sans-I/O apart from `attach`: `on_dnm`, `on_link` and `handle_timer` take `now`; the
    owner arms `get_timer()`. `on_activity` is called after the fixed part ran, so the owner
    can drain `fixed_part.next_event()` (PPState, transactions, ...).
    """

    def __init__(
        self,
        fixed_part: FixedPart,
        send_dnm: Callable[[int, Dnm], bool],
        rfp_ids: Callable[[], Iterable[int]],
        *,
        on_activity: Callable[[], None] | None = None,
    ) -> None:
        self.fixed_part = fixed_part
        self.send_dnm = send_dnm
        self.rfp_ids = rfp_ids
        self.on_activity = on_activity
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    def on_dnm(self, rfp_id: int, dnm: Dnm, now: float) -> None:
        primitive = indication(rfp_id, dnm)
        if primitive is not None:
            self.fixed_part.receive(primitive, now)
            self.flush()

    def on_link(self, rfp_id: int, up: bool, now: float) -> None:
        """An RFP's link ended: every connection through it is gone (abnormal release)."""
        if up:
            return
        for (conn_rfp, mcei) in list(self.fixed_part.connections):
            if conn_rfp == rfp_id:
                self.fixed_part.receive(
                    fp.MacDisconnectInd(rfp_id, mcei, c.MacDisReason.ABNORMAL), now)
        self.flush()

    def get_timer(self) -> float | None:
        return self.fixed_part.get_timer()

    def handle_timer(self, now: float) -> None:
        self.fixed_part.handle_timer(now)
        self.flush()

    def flush(self) -> None:
        """Send what the fixed part asked for (to RFPs still connected)."""
        for request in self.fixed_part.primitives_to_send():
            for rfp_id, dnm in requests(request, self.rfp_ids()):
                self.send_dnm(rfp_id, dnm)
        if self.on_activity is not None:
            self.on_activity()

    def attach(self, server: LinkServer, loop: asyncio.AbstractEventLoop) -> None:
        """Run on this server and loop: DNMs in, link ends, the fixed part's timer. After
        calling the fixed part directly (send_message, ...), call `kick()`."""
        self._loop = loop
        server.park = lambda: self.fixed_part.park
        server.on_dnm = lambda rfp_id, dnm: self._run(self.on_dnm, rfp_id, dnm)
        server.on_link = lambda rfp_id, up: self._run(self.on_link, rfp_id, up)

    def kick(self) -> None:
        """Send what the fixed part has queued and re-arm its timer (after attach)."""
        self.flush()
        self._arm()

    def detach(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._loop = None

    def _run(self, handler: Callable[[int, Any, float], None], rfp_id: int, arg: Any) -> None:
        assert self._loop is not None
        handler(rfp_id, arg, self._loop.time())
        self._arm()

    def _arm(self) -> None:
        if self._loop is None:
            return
        deadline = self.get_timer()
        if self._timer is not None:
            if self._timer.when() == deadline:
                return  # most primitives leave the earliest deadline where it was
            self._timer.cancel()
            self._timer = None
        if deadline is not None:
            self._timer = self._loop.call_at(deadline, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self._loop is not None:
            self.handle_timer(self._loop.time())
            self._arm()


class LinkServer(Protocol):
    """What `FixedPartLink.attach` needs of RfpLinkServer."""

    on_dnm: Callable[[int, Dnm], None] | None
    on_link: Callable[[int, bool], None] | None
    park: Callable[[], Park | None]
