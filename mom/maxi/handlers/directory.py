"""Users, devices and their relations on the MOM's central directory over MAXI: the AXI
requests of the same names (axi.md §3.2, §3.3, §5.1, §5.2) on mom.directory; a new record may
name its home OMM by `ommId` (docs/mom.md "Identities")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mom.aspects import USER_SECRETS
from mom.maxi.dispatch import route
from mom.maxi.render import render_pp, render_user
from mom.maxi.summaries import device_summary, user_summary
from sipdect.axi.args import need_int, need_str, opt_int, paged, record_of
from sipdect.axi.codec import Message
from sipdect.axi.dispatch import READ, WRITE, Ctx, resp
from sipdect.axi.errors import AxiError, invalid, missing, too_long
from sipdect.axi.records import PP_DEV, PP_USER, REL_TYPES
from sipdect.vault import FieldDecryptError

if TYPE_CHECKING:
    from mom.maxi.api import MaxiApi


def _user_values(api: MaxiApi, child: Message) -> dict[str, Any]:
    """Typed, checked user fields, the RSA-encrypted ones decrypted with the MOM's key."""
    values = PP_USER.parse(child)
    for name in USER_SECRETS:
        if values.get(name):
            try:
                plain = api.model.keys.decrypt_field(values[name])
            except FieldDecryptError:
                raise invalid(name, values[name],
                              "not encrypted with the MOM's public key (GetPublicKey)") from None
            limit = PP_USER.by_name[name].max_len
            if limit is not None and len(plain) > limit:
                raise too_long(name, limit)
            values[name] = plain
    if values.get("pin") and not values["pin"].isdigit():
        raise AxiError("EInval", "the PIN is decimal digits", bad="pin")
    return values


def _home(api: MaxiApi, child: Message) -> str:
    """The home OMM a new record names by `ommId` ("" for none)."""
    omm_id = child.attrs.get("ommId", "")
    if not omm_id:
        return ""
    omm = api.model.omms.by_omm_id(omm_id.upper())
    if omm is None:
        raise AxiError("ENoEnt", f"no OMM with ommId '{omm_id}'", bad="ommId")
    return str(omm["name"])


# -- users -----------------------------------------------------------------------------------

@route("CreatePPUser", perm=WRITE)
def create_user(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, PP_USER)
    assert child is not None
    values = _user_values(api, child)
    rec = api.model.directory.create_user(values, home=_home(api, child))
    return resp(req, children=[render_user(api.model, rec)])


@route("GetPPUser", perm=READ)
def get_user(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    recs = paged(req, "uid", api.model.directory.users_page, "user")
    return resp(req, children=[render_user(api.model, r) for r in recs])


@route("GetPPUserByNumber", perm=READ)
def get_user_by_number(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    rec = api.model.directory.user_by_num(need_str(req, "num"))
    return resp(req, children=[render_user(api.model, rec)])


@route("SetPPUser", perm=WRITE)
def set_user(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, PP_USER)
    assert child is not None
    uid = need_int(child, "uid", low=1)
    rec = api.model.directory.update_user(uid, _user_values(api, child))
    return resp(req, children=[render_user(api.model, rec)])


@route("DeletePPUser", perm=WRITE)
def delete_user(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    d = api.model.directory
    if "uid" in req.attrs:
        uid = need_int(req, "uid", low=1)
    elif "num" in req.attrs:
        uid = d.user_by_num(req.attrs["num"])["uid"]
    else:
        raise missing("uid")
    d.delete_user(uid)
    return resp(req)


@route("GetPPUserSummary", perm=READ)
def get_user_summary(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, user_summary(api.model))


# -- devices ---------------------------------------------------------------------------------

@route("CreatePPDev", perm=WRITE)
def create_device(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, PP_DEV)
    assert child is not None
    values = PP_DEV.parse(child)
    rec = api.model.directory.create_device(values, home=_home(api, child))
    return resp(req, children=[render_pp(api.model, rec)])


@route("GetPPDev", perm=READ)
def get_device(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    recs = paged(req, "ppn", api.model.directory.devices_page, "device")
    return resp(req, children=[render_pp(api.model, r) for r in recs])


@route("GetPPDevByIPEI", perm=READ)
def get_device_by_ipei(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    rec = api.model.directory.device_by_ipei(need_str(req, "ipei"))
    return resp(req, children=[render_pp(api.model, rec)])


@route("SetPPDev", perm=WRITE)
def set_device(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, PP_DEV)
    assert child is not None
    ppn = need_int(child, "ppn", low=1)
    rec = api.model.directory.update_device(ppn, PP_DEV.parse(child))
    return resp(req, children=[render_pp(api.model, rec)])


@route("DeletePPDev", perm=WRITE)
def delete_device(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    api.model.directory.delete_device(need_int(req, "ppn", low=1))
    return resp(req)


@route("GetPPDevSummary", perm=READ)
def get_device_summary(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, device_summary(api.model))


# -- relations -------------------------------------------------------------------------------

@route("GetPP", perm=READ)
def get_pp(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    d = api.model.directory
    uid = opt_int(req, "uid", 0, low=0) or 0
    ppn = opt_int(req, "ppn", 0, low=0) or 0
    if not uid and not ppn:
        raise missing("uid")
    if uid:
        user: dict[str, Any] | None = d.get_user(uid)
        device = d.get_device(ppn) if ppn else d.device_of(user) if user else None
    else:
        device = d.get_device(ppn)
        user = d.user_of(device)
    children = []
    if user is not None:
        children.append(render_user(api.model, user))
    if device is not None:
        children.append(render_pp(api.model, device))
    return resp(req, children=children)


def _relation(child: Message, key: str) -> tuple[str | None, int | None]:
    """relType and the other side's key (uid in <pp>, ppn in <user>) of a SetPP child."""
    rel = child.attrs.get("relType")
    if rel is not None and rel not in REL_TYPES:
        raise invalid("relType", rel)
    return rel, opt_int(child, key, low=0)


@route("SetPP", perm=WRITE)
def set_pp(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    """Bind or unbind a user and a device (and change their admin values) in one request; on
    MAXI any full-access session may, the MOM being the master of the relations."""
    d = api.model.directory
    pp, user = req.child("pp"), req.child("user")
    if pp is None and user is None:
        raise missing("pp")
    # Everything checked before anything is written.
    ppn = need_int(pp, "ppn", low=1) if pp is not None else None
    uid = need_int(user, "uid", low=1) if user is not None else None
    pp_values = PP_DEV.parse(pp) if pp is not None else {}
    user_values = _user_values(api, user) if user is not None else {}
    pp_rel, pp_uid = _relation(pp, "uid") if pp is not None else (None, None)
    user_rel, user_ppn = _relation(user, "ppn") if user is not None else (None, None)
    if ppn is not None:
        d.get_device(ppn)
    if uid is not None:
        d.get_user(uid)
    if pp_uid:
        d.get_user(pp_uid)
    if user_ppn:
        d.get_device(user_ppn)
    with d.store.transaction():
        if ppn is not None:
            if pp_rel == "Unbound" or pp_uid == 0:
                d.unbind_device(ppn)
            elif pp_uid:
                d.bind(pp_uid, ppn, pp_rel or "Dynamic")
            if pp_values:
                d.update_device(ppn, pp_values)
        if uid is not None:
            current = d.get_user(uid)
            if (user_rel == "Unbound" or user_ppn == 0) and current.get("ppn"):
                d.unbind_user(uid)
            elif user_ppn and current.get("ppn") != user_ppn:
                d.bind(uid, user_ppn, user_rel or "Dynamic")
            if user_values:
                d.update_user(uid, user_values)
    children = []
    if ppn is not None:
        children.append(render_pp(api.model, d.get_device(ppn)))
    if uid is not None:
        children.append(render_user(api.model, d.get_user(uid)))
    return resp(req, children=children)


@route("SetPPUserDevRelation", perm=WRITE)
def set_user_relation(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    """Dynamic <-> Fixed for a bound user (the relation itself stays)."""
    d = api.model.directory
    uid = need_int(req, "uid", low=1)
    rel = need_str(req, "relType")
    if rel not in ("Dynamic", "Fixed"):
        raise invalid("relType", rel)
    user = d.get_user(uid)
    if not user.get("ppn"):
        raise AxiError("EInval", f"user {uid} is bound to no device", bad="uid")
    d.bind(uid, int(user["ppn"]), rel)
    return resp(req, {"uid": uid, "relType": rel})
