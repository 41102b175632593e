"""Users, devices and their relations over AXI (axi.md §3.2, §3.3, §5.1, §5.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omm.axi.dispatch import ANY, READ, WRITE, Ctx, resp, route
from omm.axi.render import render_pp, render_user
from omm.axi.summaries import device_summary, pp_state, user_summary
from omm.users import SECRETS
from sipdect.axi.args import (
    need_int,
    need_str,
    opt_int,
    paged,
    plain_text,
    record_of,
    replace_data,
)
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError, invalid, missing, too_long
from sipdect.axi.records import PP_DEV, PP_USER, REL_TYPES, RecordSpec
from sipdect.axi.sync import SYNC_ONLY_PP, SYNC_ONLY_USER
from sipdect.vault import FieldDecryptError

if TYPE_CHECKING:
    from omm.axi.api import AxiApi


def _user_values(api: AxiApi, child: Message, *, in_clear: bool = False) -> dict[str, Any]:
    """Typed, validated user fields with the RSA-encrypted ones decrypted (taken as they are
    `in_clear`: a plainText request)."""
    values = PP_USER.parse(child)
    for name in SECRETS:
        if name not in values or not values[name]:
            continue
        if not in_clear:
            try:
                values[name] = api.model.keys.decrypt_field(values[name])
            except FieldDecryptError:
                raise invalid(name, values[name],
                              "not encrypted with the OMM's public key (GetPublicKey)") from None
        limit = PP_USER.by_name[name].max_len
        if limit is not None and len(values[name]) > limit:
            raise too_long(name, limit)
    if values.get("pin") and not values["pin"].isdigit():
        raise AxiError("EInval", "the PIN is decimal digits", bad="pin")
    return values


def _sync_values(ctx: Ctx, child: Message, spec: RecordSpec,
                 names: frozenset[str]) -> dict[str, Any]:
    """The sync-only attributes (sync.SYNC_ONLY_PP / SYNC_ONLY_USER) a record carries, typed;
    only a UserDeviceSyncClient session writes them (docs/mom.md), others' are ignored as
    every read-only attribute is."""
    if not ctx.session.sync_client or not names & set(child.attrs):
        return {}
    parsed = spec.parse(Message(child.name, {k: v for k, v in child.attrs.items()
                                             if k in names}), allow_readonly=True)
    return parsed


def _user_write(api: AxiApi, ctx: Ctx, child: Message, *,
                in_clear: bool = False) -> dict[str, Any]:
    return {**_user_values(api, child, in_clear=in_clear),
            **_sync_values(ctx, child, PP_USER, SYNC_ONLY_USER)}


def _device_write(ctx: Ctx, child: Message) -> dict[str, Any]:
    return {**PP_DEV.parse(child), **_sync_values(ctx, child, PP_DEV, SYNC_ONLY_PP)}


UNSUBSCRIBE: dict[str, Any] = {"s": "No", "uak": ""}
"""[I] What the OMM's own web UI writes in SetPP to delete a device's subscription (the real UI
offers it; AXI leaves it to sync sessions): the state back to No and the UAK gone, so the
handset must subscribe again. The only sync-only values an in-process session may write."""


def _unsubscribe_values(ctx: Ctx, child: Message) -> dict[str, Any]:
    """UNSUBSCRIBE when an in-process session's <pp> asks for exactly that, else nothing."""
    if ctx.session.sync_client or not ctx.session.in_process:
        return {}
    asked = {k: child.attrs[k] for k in UNSUBSCRIBE if k in child.attrs}
    if not asked:
        return {}
    if asked != UNSUBSCRIBE:
        raise AxiError("EPerm", "a subscription can only be deleted (s=\"No\" uak=\"\")",
                       bad="s")
    return dict(UNSUBSCRIBE)


def may_set_pp(ctx: Ctx) -> bool:
    """SetPP (bind, unbind, device changes) is for UserDeviceSyncClient sessions (axi.md §3.2)
    and for the OMM's own web UI, whose administrators bind users to devices."""
    return ctx.session.sync_client or ctx.session.in_process



def _user_el(api: AxiApi, ctx: Ctx, rec: dict[str, Any]) -> Message:
    """A user record as this session may see it (secrets in the sync form to a MOM)."""
    return render_user(api.model, rec, sync_client=ctx.session.sync_client)

@route("CreatePPUser", perm=WRITE)
def create_user(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, PP_USER)
    assert child is not None
    values = _user_write(api, ctx, child, in_clear=plain_text(req))
    users, synced = api.model.users, ctx.session.sync_client
    if not replace_data(req):
        return resp(req, children=[_user_el(api, ctx, users.create(values, synced=synced))])
    # replaceData: the record of this uid (else of this number) is overwritten; a new one
    # takes the uid given (a provisioning file's one record per uid, mom.md §5).
    uid = opt_int(child, "uid", low=1) or users.by_num.get(values.get("num") or "")
    if uid and users.table.get(uid) is not None:
        rec = users.update(uid, values)
    else:
        rec = users.create(values, uid, synced=synced)
    return resp(req, children=[_user_el(api, ctx, rec)])


@route("GetPPUser", perm=READ)
def get_user(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    recs = paged(req, "uid", api.model.users.page, "user")
    return resp(req, children=[_user_el(api, ctx, r) for r in recs])


@route("GetPPUserByNumber", perm=READ)
def get_user_by_number(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    rec = api.model.users.find_by_number(need_str(req, "num"))
    return resp(req, children=[_user_el(api, ctx, rec)])


@route("SetPPUser", perm=WRITE)
def set_user(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, PP_USER)
    assert child is not None
    uid = need_int(child, "uid", low=1)
    # ppn/relType in SetPPUser are ignored: relations change only via SetPP (axi.md §3.1).
    rec = api.model.users.update(uid, _user_write(api, ctx, child, in_clear=plain_text(req)))
    return resp(req, children=[_user_el(api, ctx, rec)])


@route("DeletePPUser", perm=WRITE)
def delete_user(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    if "uid" in req.attrs:
        uid = need_int(req, "uid", low=1)
    elif "num" in req.attrs:
        uid = api.model.users.find_by_number(req.attrs["num"])["uid"]
    else:
        raise missing("uid")
    api.model.delete_user(uid)
    return resp(req)


@route("GetPPUserSummary", perm=READ)
def get_user_summary(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, user_summary(api))


@route("SetPPUserDevRelation", perm=WRITE)
def set_user_relation(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    uid = need_int(req, "uid", low=1)
    rel = need_str(req, "relType")
    if rel not in REL_TYPES:
        raise invalid("relType", rel)
    user = api.model.relations.change_type(uid, rel)
    return resp(req, {"uid": user["uid"], "relType": user["relType"]})


# -- devices -------------------------------------------------------------------

@route("CreatePPDev", perm=WRITE)
def create_device(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, PP_DEV)
    assert child is not None
    rec = api.model.devices.create(_device_write(ctx, child), synced=ctx.session.sync_client)
    return resp(req, children=[render_pp(api.model, rec)])


@route("GetPPDev", perm=READ)
def get_device(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    recs = paged(req, "ppn", api.model.devices.page, "device")
    return resp(req, children=[render_pp(api.model, r) for r in recs])


@route("GetPPDevByIPEI", perm=READ)
def get_device_by_ipei(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    rec = api.model.devices.find_by_ipei(need_str(req, "ipei"))
    return resp(req, children=[render_pp(api.model, rec)])


@route("SetPPDev", perm=WRITE)
def set_device(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, PP_DEV)
    assert child is not None
    ppn = need_int(child, "ppn", low=1)
    rec = api.model.devices.update(ppn, _device_write(ctx, child))
    return resp(req, children=[render_pp(api.model, rec)])


@route("DeletePPDev", perm=WRITE)
def delete_device(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    api.model.delete_device(need_int(req, "ppn", low=1))
    return resp(req)


@route("GetPPDevSummary", perm=READ)
def get_device_summary(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, device_summary(api))


@route("GetPPState", perm=ANY)
def get_pp_state(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    ppn = need_int(req, "ppn", low=1)
    api.model.devices.get(ppn)
    return resp(req, pp_state(api, ppn))


# -- relations -----------------------------------------------------------------

@route("GetPP", perm=READ)
def get_pp(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    uid = opt_int(req, "uid", 0, low=0) or 0
    ppn = opt_int(req, "ppn", 0, low=0) or 0
    m = api.model
    if not uid and not ppn:
        raise missing("uid")
    user = m.users.get(uid) if uid else (m.users.table.get(m.devices.get(ppn)["uid"]))
    device = m.devices.get(ppn) if ppn else (m.devices.table.get(user["ppn"]) if user else None)
    children = []
    if user is not None:
        children.append(_user_el(api, ctx, user))
    if device is not None:
        children.append(render_pp(m, device))
    return resp(req, children=children)


def _relation_target(child: Message, key: str) -> tuple[str | None, int | None]:
    """relType and the other side's key (uid in <pp>, ppn in <user>) of a SetPP child."""
    rel = child.attrs.get("relType")
    if rel is not None and rel not in REL_TYPES:
        raise invalid("relType", rel)
    return rel, opt_int(child, key, low=0)


@route("SetPP", perm=WRITE)
def set_pp(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """Bind, unbind or change a device and/or user (user/device sync sessions only)."""
    if not may_set_pp(ctx):
        raise AxiError("EPerm", "SetPP needs a UserDeviceSyncClient session")
    m = api.model
    pp, user = req.child("pp"), req.child("user")
    if pp is None and user is None:
        raise missing("pp")
    # Validate everything first so that nothing is half applied.
    ppn = need_int(pp, "ppn", low=1) if pp is not None else None
    uid = need_int(user, "uid", low=1) if user is not None else None
    pp_values = {**_device_write(ctx, pp), **_unsubscribe_values(ctx, pp)} \
        if pp is not None else {}
    user_values = _user_write(api, ctx, user) if user is not None else {}
    pp_rel, pp_uid = _relation_target(pp, "uid") if pp is not None else (None, None)
    user_rel, user_ppn = _relation_target(user, "ppn") if user is not None else (None, None)
    if ppn is not None:
        m.devices.check(ppn, pp_values)
    if uid is not None:
        m.users.check(uid, user_values)
    if pp_uid:
        m.users.get(pp_uid)
    if user_ppn:
        m.devices.get(user_ppn)
    with m.store.transaction():
        if ppn is not None:
            if pp_rel == "Unbound" or pp_uid == 0:
                m.relations.detach_device(ppn)
            elif pp_uid:
                m.relations.attach(pp_uid, ppn, pp_rel or "Dynamic")
            if pp_values:
                m.devices.update(ppn, pp_values)
        if uid is not None:
            current = m.users.get(uid)
            if (user_rel == "Unbound" or user_ppn == 0) and current["ppn"]:
                m.relations.detach_user(uid)
            elif user_ppn and current["ppn"] != user_ppn:
                m.relations.attach(uid, user_ppn, user_rel or "Dynamic")
            if user_values:
                m.users.update(uid, user_values)
    children = []
    if ppn is not None:
        children.append(render_pp(m, m.devices.get(ppn)))
    if uid is not None:
        children.append(_user_el(api, ctx, m.users.get(uid)))
    return resp(req, children=children)
