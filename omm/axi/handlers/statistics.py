"""RFP and system statistics and RFP quality over AXI (axi.md §3.4 "RFP statistics", "System
statistics").

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
from omm.sysstatistics import DURATION_S as SYS_DURATION_S
from omm.sysstatistics import ELEMENTS as SYS_ELEMENTS
from omm.sysstatistics import FREQ_DIST_UNITS, MIN_MAX, OCCURRENCE, SysElement
from omm.sysstatistics import RECORDS as SYS_RECORDS
from omm.sysstatistics import RESOLUTION as SYS_RESOLUTION
from sipdect.axi.args import need_int, opt_int, paged
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError, invalid

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


# -- system statistics (omm.sysstatistics) -----------------------------------------------------

def _sys_element(api: AxiApi, req: Message, kind: str | None = None) -> SysElement:
    """The element a request's elemId names: ENoEnt when none, EInval when it is not of the
    kind the request reads (Occurrence or MinMax)."""
    elem_id = need_int(req, "elemId")
    try:
        element = api.model.sys_statistics.element(elem_id)
    except KeyError:
        raise AxiError("ENoEnt", f"no system statistic with elemId {elem_id}",
                       bad="elemId") from None
    if kind is not None and element.type != kind:
        raise invalid("elemId", str(elem_id), f"system statistic of type {element.type}")
    return element


def _window(req: Message) -> tuple[int, int]:
    first = opt_int(req, "firstRecord", 0, low=0, high=SYS_RECORDS - 1)
    count = opt_int(req, "maxRecords", SYS_RECORDS, low=0)
    assert first is not None and count is not None
    return first, min(count, SYS_RECORDS - first)


def _times(api: AxiApi, first: int, count: int) -> dict[str, int]:
    newest, oldest = api.model.sys_statistics.measured(first, count)
    return {"currMeasuredTime": newest, "oldMeasuredTime": oldest}


@route("GetSysStatisticConfig", perm=READ)
def get_sys_statistic_config(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, children=[Message("sysStatName", {
        "elemId": str(e.elem_id), "type": e.type, "name": e.name, "resolution": SYS_RESOLUTION,
        "duration": str(SYS_DURATION_S), "numOfRecords": str(SYS_RECORDS), "unit": e.unit,
        "numOfFreqDistChannels": str(len(FREQ_DIST_UNITS) if e.type == MIN_MAX else 0)})
        for e in SYS_ELEMENTS])


@route("GetSysStatisticOccurrence", perm=READ)
def get_sys_statistic_occurrence(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    element = _sys_element(api, req, OCCURRENCE)
    first, count = _window(req)
    stats = api.model.sys_statistics
    counts = [r.count for r in stats.records(element.elem_id, first, count)]
    return resp(req, {"elemId": element.elem_id, "age": stats.age(), "sum": sum(counts),
                      "firstRecord": first, "counter": ",".join(map(str, counts)),
                      **_times(api, first, count)})


@route("GetSysStatisticMinMax", perm=READ)
def get_sys_statistic_min_max(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """type "min" or "max" (default max): the lowest or highest value of each record."""
    element = _sys_element(api, req, MIN_MAX)
    which = req.attrs.get("type") or "max"
    if which not in ("min", "max"):
        raise invalid("type", which, "type is min or max")
    first, count = _window(req)
    records = api.model.sys_statistics.records(element.elem_id, first, count)
    values = [(r.low if which == "min" else r.high) or 0 for r in records]
    return resp(req, {"elemId": element.elem_id, "type": which, "firstRecord": first,
                      "counter": ",".join(map(str, values)),
                      "occurrence": sum(r.samples for r in records), **_times(api, first, count)})


@route("GetSysStatisticMinMaxSummary", perm=READ)
def get_sys_statistic_min_max_summary(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    element = _sys_element(api, req, MIN_MAX)
    records = [r for r in api.model.sys_statistics.records(element.elem_id, 0, SYS_RECORDS)
               if r.samples]
    dist = [sum(r.dist[i] for r in records if r.dist is not None)
            for i in range(len(FREQ_DIST_UNITS))]
    return resp(req, {"elemId": element.elem_id,
                      "min": min((r.low or 0 for r in records), default=0),
                      "max": max((r.high or 0 for r in records), default=0),
                      "sum": sum(r.total for r in records),
                      "occurrence": sum(r.samples for r in records),
                      "freqDistUnits": ",".join(map(str, FREQ_DIST_UNITS)),
                      "freqDistValues": ",".join(map(str, dist))})


@route("GetSysStatisticMinMaxRecord", perm=READ)
def get_sys_statistic_min_max_record(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """A header, then one `<sysRec rec cnt>` per record: the schema defines SysRecHeaderType
    twice, the header's attributes and a record's (rec, cnt). rec is the record's number
    (0: the running hour), cnt "min,max" ("" for a record without a sample: sipdect's
    reading of the string)."""
    element = _sys_element(api, req, MIN_MAX)
    first, count = _window(req)
    header = Message("sysRecHeader", {
        "elemId": str(element.elem_id), "counterName": element.name,
        "firstRecord": str(first),
        **{k: str(v) for k, v in _times(api, first, count).items()}})
    records = api.model.sys_statistics.records(element.elem_id, first, count)
    return resp(req, children=[header, *(
        Message("sysRec", {"rec": str(first + i),
                           "cnt": "" if r.low is None else f"{r.low},{r.high}"})
        for i, r in enumerate(records))])


@route("ResetSysStatistic", perm=WRITE)
def reset_sys_statistic(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """elemId: one element, -1 (or absent) every one."""
    elem_id = opt_int(req, "elemId", -1, low=-1)
    if elem_id is not None and elem_id >= 0:
        _sys_element(api, req)
    api.model.sys_statistics.reset(None if elem_id is None or elem_id < 0 else elem_id)
    api.model.log("GenInfo", "OMM", "System statistics reset" + (
        "" if elem_id is None or elem_id < 0 else f" for element {elem_id}"))
    return resp(req)
