"""RFP configuration and sites over AXI (axi.md §3.4 "RFPs", "Sites", §5.3-5.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omm.axi.dispatch import READ, WRITE, Ctx, resp, route
from omm.axi.render import render_rfp
from omm.axi.summaries import rfp_summary, site_summary
from omm.rfps import normalise_mac
from sipdect.axi.args import need_int, need_str, opt_bool, paged, record_of, replace_data
from sipdect.axi.codec import Message
from sipdect.axi.records import RFP, SITE

if TYPE_CHECKING:
    from omm.axi.api import AxiApi
    from omm.model import OmmModel


@route("CreateRFP", perm=WRITE)
def create_rfp(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, RFP)
    assert child is not None
    m = api.model
    values = RFP.parse(child)
    # replaceData: the RFP of this Ethernet address is overwritten (its id stays).
    rfp_id = None
    if replace_data(req) and values.get("ethAddr"):
        rfp_id = m.rfps.by_mac.get(normalise_mac(values["ethAddr"]))
    rec = m.rfps.update(rfp_id, values, m.sites.exists) if rfp_id is not None \
        else m.rfps.create(values, m.sites.exists)
    return resp(req, children=[render_rfp(m, rec)])


@route("GetRFP", perm=READ)
def get_rfp(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    with_state = bool(opt_bool(req, "withState", False))
    with_details = bool(opt_bool(req, "withDetails", False))
    recs = paged(req, "id", api.model.rfps.page, "RFP")
    return resp(req, children=[render_rfp(api.model, r, with_state, with_details)
                               for r in recs])


@route("SetRFP", perm=WRITE)
def set_rfp(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, RFP)
    assert child is not None
    m = api.model
    rec = m.rfps.update(need_int(child, "id", low=0), RFP.parse(child), m.sites.exists)
    return resp(req, children=[render_rfp(m, rec)])


@route("DeleteRFP", perm=WRITE)
def delete_rfp(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    api.model.rfps.delete(need_int(req, "id", low=0))
    return resp(req)


@route("GetRFPSummary", perm=READ)
def get_rfp_summary(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, rfp_summary(api))


def _site(api: AxiApi, rec: dict[str, object]) -> Message:
    return SITE.render({**rec, "nRFPs": api.model.rfps.on_site(int(rec["id"]))})  # type: ignore[call-overload]


@route("CreateSite", perm=WRITE)
def create_site(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, SITE)
    assert child is not None
    values = SITE.parse(child)
    sites = api.model.sites
    # replaceData: the site of this id is overwritten.
    if replace_data(req) and values.get("id") and sites.exists(values["id"]):
        rec = sites.update(values["id"], values)
    else:
        rec = sites.create(values)
    return resp(req, children=[_site(api, rec)])


@route("GetSite", perm=READ)
def get_site(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    recs = paged(req, "id", api.model.sites.page, "site")
    return resp(req, children=[_site(api, r) for r in recs])


@route("SetSite", perm=WRITE)
def set_site(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, SITE)
    assert child is not None
    rec = api.model.sites.update(need_int(child, "id", low=1), SITE.parse(child))
    return resp(req, children=[_site(api, rec)])


@route("DeleteSite", perm=WRITE)
def delete_site(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    api.model.delete_site(need_int(req, "id", low=1))
    return resp(req)


@route("GetSiteSummary", perm=READ)
def get_site_summary(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, site_summary(api))


@route("GetRFPCaptureList", perm=READ)
def get_capture_list(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    fields = ("ethAddr", "ipAddr", "hwType")
    return resp(req, children=[RFP.render(r, fields) for r in api.model.rfps.capture_list()])


@route("DeleteRFPCaptureList", perm=WRITE)
def delete_capture_list(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    api.model.rfps.delete_captured(None)
    return resp(req)


@route("DeleteRFPCaptureListElem", perm=WRITE)
def delete_capture_list_elem(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    api.model.rfps.delete_captured(need_str(req, "ethAddr"))
    return resp(req)


@route("GetRFPSync", perm=READ)
def get_rfp_sync(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """Sync state and the relations the RFP reported (RFPSyncOffsetType per neighbour)."""
    rfp_id = need_int(req, "id", low=0)
    api.model.rfps.get(rfp_id)
    live = api.model.rfps.live(rfp_id)
    return resp(req, {"id": rfp_id, "syncState": live["syncState"]},
                sync_offsets(api.model, rfp_id))


def sync_offsets(model: OmmModel, rfp_id: int) -> list[Message]:
    """RFPSyncOffsetType per neighbour the RFP reported (`<forward id offset rssi lost/>`)."""
    return [Message("forward", {"id": str(r["id"]), "offset": str(r.get("offset", 0)),
                                "rssi": str(r["rssi"]), "lost": "false"})
            for r in model.rfps.sync_relations.get(rfp_id, []) if r.get("id") is not None]
