"""RFP statistics and quality over AXI (axi.md §3.4 "RFP statistics", "System statistics").

GetRFPStatisticConfig/GetRFPStatistic answer as a real OMM does (mitel-api OmmMessageTest.cs:
`<rfpStatHead numElemPerRec="28" recordSets="3" resolution="week"/>`, `<rfpStatName elemId
group name/>`*, `<rfpStatData id counter="28 comma-separated values"/>`*); the counters come
from omm.statistics.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from omm.axi.dispatch import READ, WRITE, Ctx, resp, route
from omm.statistics import COUNTERS, RECORD_SETS, RESOLUTION
from sipdect.axi.args import need_int, opt_int, paged
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError

if TYPE_CHECKING:
    from omm.axi.api import AxiApi

STRONG_RELATION_DBM = -70
"""A sync relation heard at this level or stronger is strong (RFPSyncQualityType strongRels),
weaker ones low (sipdect's threshold: the product does not publish its own)."""


def _rfps(api: AxiApi, req: Message) -> list[int]:
    """The configured RFPs a paged request (id, maxRecords) names; ENoEnt when none."""
    return [int(r["id"]) for r in paged(req, "id", api.model.rfps.page, "RFP")]


@route("GetRFPStatisticConfig", perm=READ)
def get_rfp_statistic_config(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    head = Message("rfpStatHead", {"numElemPerRec": str(len(COUNTERS)),
                                   "recordSets": str(RECORD_SETS), "resolution": RESOLUTION})
    names = [Message("rfpStatName", {"elemId": str(c.elem_id), "group": c.group,
                                     "name": c.name}) for c in COUNTERS]
    return resp(req, children=[head, *names])


@route("GetRFPStatistic", perm=READ)
def get_rfp_statistic(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    record_set = opt_int(req, "recordSet", 0, low=0, high=RECORD_SETS - 1)
    assert record_set is not None
    m = api.model
    m.request_statistics()  # fresh BMC counters for the next reader
    now = m.clock()
    return resp(req, children=[
        Message("rfpStatData", {"id": str(rfp_id), "counter": ",".join(
            str(v) for v in m.statistics.record(rfp_id, record_set, now))})
        for rfp_id in _rfps(api, req)])


@route("ResetRFPStatistic", perm=WRITE)
def reset_rfp_statistic(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """id: one RFP, -1 (or absent) every RFP; elemId: one counter, -1 (or absent) all."""
    rfp_id = opt_int(req, "id", -1, low=-1)
    elem = opt_int(req, "elemId", -1, low=-1, high=len(COUNTERS) - 1)
    m = api.model
    if rfp_id is not None and rfp_id >= 0:
        m.rfps.get(rfp_id)
    m.statistics.reset(None if rfp_id is None or rfp_id < 0 else [rfp_id],
                       None if elem is None or elem < 0 else elem)
    m.log("GenInfo", "OMM", "RFP statistics reset for " + (
        "every RFP" if rfp_id is None or rfp_id < 0 else f"RFP {rfp_id}"))
    return resp(req)


@route("GetRFPSyncQuality", perm=READ)
def get_rfp_sync_quality(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    out = []
    for rfp_id in _rfps(api, req):
        levels = [int(r["rssi"]) for r in api.model.rfps.sync_relations.get(rfp_id, [])]
        strong = sum(1 for v in levels if v >= STRONG_RELATION_DBM)
        out.append(Message("syncQuality", {
            "id": str(rfp_id), "strongRels": str(strong), "lowRels": str(len(levels) - strong),
            "maxRSSI": str(max(levels, default=0)), "minRSSI": str(min(levels, default=0))}))
    return resp(req, children=out)


@route("GetRFPIpQuality", perm=READ)
def get_rfp_ip_quality(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """connectedTime in seconds; the emulated link measures no round trip times, so RTTs and
    their interval counts (LimitsResp limitRTT1-4) are 0."""
    m = api.model
    now = m.clock()
    out = []
    for rfp_id in _rfps(api, req):
        since = m.statistics.connected_since.get(rfp_id)
        attrs = {"id": str(rfp_id),
                 "connectedTime": str(0 if since is None else max(int(now - since), 0)),
                 "currentRTT": "0", "maxRTT": "0", "count": "0"}
        attrs.update({f"interval{i}": "0" for i in range(1, 6)})
        out.append(Message("ipQuality", attrs))
    return resp(req, children=out)


@route("GetRFPMediaStreamQuality", perm=READ)
def get_rfp_media_stream_quality(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    rfp_id = need_int(req, "id", low=0)
    m = api.model
    m.rfps.get(rfp_id)
    quality = m.statistics.media.get(rfp_id)
    values = asdict(quality) if quality is not None else {
        k: 0 for k in ("connects", "duration", "packetsRx", "octetsRx", "packetsTx",
                       "octetsTx", "packetsLost", "maxJitter")}
    return resp(req, children=[Message("msQuality", {k: str(v) for k, v in values.items()})])


@route("ResetRFPMediaStreamQuality", perm=WRITE)
def reset_rfp_media_stream_quality(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    rfp_id = need_int(req, "id", low=0)
    api.model.rfps.get(rfp_id)
    api.model.statistics.reset_media(rfp_id)
    return resp(req)


# -- system statistics: none configured ------------------------------------------------------
# The OMM's system statistics (GetSysStatistic*) are counters the emulator does not keep; it
# answers as an OMM without any: an empty configuration, and ENoEnt for any elemId.

@route("GetSysStatisticConfig", perm=READ)
def get_sys_statistic_config(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req)


@route("GetSysStatisticMinMax", "GetSysStatisticMinMaxRecord", "GetSysStatisticMinMaxSummary",
       "GetSysStatisticOccurrence", perm=READ)
def get_sys_statistic(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    raise AxiError("ENoEnt", f"no system statistic with elemId {need_int(req, 'elemId')}")


@route("ResetSysStatistic", perm=WRITE)
def reset_sys_statistic(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    raise AxiError("ENoEnt", f"no system statistic with elemId {need_int(req, 'elemId')}")
