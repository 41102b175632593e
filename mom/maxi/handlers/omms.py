"""The OMMs the MOM manages, locating a user and messaging to a user wherever it is, over
MAXI (names and payloads decided in mom.maxi.conventions; docs/mom.md "MAXI")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mom.maxi import conventions
from mom.maxi.dispatch import ROUTER, route
from mom.maxi.render import render_omm
from sipdect.axi import conventions as axi
from sipdect.axi.args import max_records, need_str, opt_bool, opt_int
from sipdect.axi.codec import Message
from sipdect.axi.dispatch import READ, WRITE, Ctx, PendingAnswer, resp
from sipdect.axi.errors import AxiError, invalid, missing, too_long
from sipdect.vault import FieldDecryptError

if TYPE_CHECKING:
    from mom.maxi.api import MaxiApi

NAME_MAX = 32
"""[I] An OMM connection's name, as long as an RFP's or a site's name (axi.md §5)."""


def _omm_child(req: Message) -> Message:
    child = req.child(conventions.OMM_ELEMENT)
    if child is None:
        if not set(req.attrs) - {"seq"}:
            raise missing(conventions.OMM_ELEMENT)
        child = Message(conventions.OMM_ELEMENT,
                        {k: v for k, v in req.attrs.items() if k != "seq"})
    return child


def _omm_values(api: MaxiApi, child: Message) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "address" in child.attrs:
        values["address"] = need_str(child, "address", 255)
    if "username" in child.attrs:
        values["username"] = need_str(child, "username", 32)
    port = opt_int(child, "port", low=1, high=65535)
    if port is not None:
        values["port"] = port
    enabled = opt_bool(child, "enabled")
    if enabled is not None:
        values["enabled"] = enabled
    if "password" in child.attrs:
        try:
            values["password"] = api.model.keys.decrypt_field(child.attrs["password"])
        except FieldDecryptError:
            raise invalid("password", child.attrs["password"],
                          "not encrypted with the MOM's public key (GetPublicKey)") from None
    return values


def _name(child: Message) -> str:
    name = need_str(child, "name", NAME_MAX)
    if not name:
        raise invalid("name", name, "an OMM connection needs a name")
    return name


@route("GetOMM", perm=READ)
def get_omm(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    """`name` exactly, or with maxRecords the OMMs from `name` on, sorted by name."""
    start = req.attrs.get("name")
    if start is None:
        raise missing("name")
    n = max_records(req)
    omms = api.model.omms.all()
    recs = ([r for r in omms if r["name"] == start] if n == 0
            else [r for r in omms if r["name"] >= start][:n])
    if not recs:
        raise AxiError("ENoEnt", f"no OMM named '{start}'" if n == 0 else
                       f"no OMM from '{start}' on")
    return resp(req, children=[render_omm(api.model, r) for r in recs])


@route("CreateOMM", perm=WRITE)
def create_omm(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    child = _omm_child(req)
    rec = api.model.omms.define(_name(child), _omm_values(api, child))
    return resp(req, children=[render_omm(api.model, rec)])


@route("SetOMM", perm=WRITE)
def set_omm(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    child = _omm_child(req)
    rec = api.model.omms.update(_name(child), _omm_values(api, child))
    return resp(req, children=[render_omm(api.model, rec)])


@route("DeleteOMM", perm=WRITE)
def delete_omm(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    api.model.omms.delete(_name(req))
    return resp(req)


# -- locating and messaging -----------------------------------------------------------------

def _user_of(api: MaxiApi, req: Message) -> dict[str, Any]:
    d = api.model.directory
    uid = opt_int(req, "uid", low=1)
    if uid is not None:
        return d.get_user(uid)
    if "num" in req.attrs:
        return d.user_by_num(req.attrs["num"])
    raise missing("uid")


def _sync(api: MaxiApi) -> Any:
    if api.sync is None:
        raise AxiError("EFailed", "the MOM's sync service is not running")
    return api.sync


@route(conventions.LOCATE_REQUEST, perm="Locating")
def get_pp_location(api: MaxiApi, ctx: Ctx, req: Message) -> PendingAnswer:
    user = _user_of(api, req)
    sync = _sync(api)

    async def locate() -> Message:
        where = await sync.locate(int(user["uid"]))
        return resp(req, {"uid": user["uid"], "num": user.get("num", ""),
                          "ppn": user.get("ppn", 0), **where})

    return ROUTER.later(ctx, req, locate())


def _to_user(api: MaxiApi, to_addr: str) -> dict[str, Any]:
    """The user a SendMessage toAddr names: tel:NUM or NUM, ppn:N (the MOM's ppn)."""
    d = api.model.directory
    scheme, sep, rest = to_addr.partition(":")
    if not sep:
        scheme, rest = "tel", to_addr
    scheme = scheme.lower()
    if scheme not in axi.MESSAGE_ADDRESS_SCHEMES:
        raise invalid("toAddr", to_addr, "not a tel: or ppn: address")
    if scheme == "tel":
        return d.user_by_num(rest)
    try:
        device = d.get_device(int(rest))
    except ValueError:
        raise invalid("toAddr", to_addr, "ppn: needs a number") from None
    user = d.user_of(device)
    if user is None:
        raise AxiError("ENoEnt", f"device {rest} has no user", bad="toAddr")
    return user


@route(conventions.MESSAGE_REQUEST, perm="Messaging")
def send_message(api: MaxiApi, ctx: Ctx, req: Message) -> PendingAnswer:
    """`<SendMessage><msg toAddr content .../></SendMessage>` as on the OMM; the OMM the user
    is at gets the `<msg>` with toAddr its own device."""
    msg = req.child("msg")
    if msg is None:
        raise missing("msg")
    to_addr = need_str(msg, "toAddr")
    if len(to_addr) > axi.MESSAGE_ADDRESS_MAX_LEN:
        raise too_long("toAddr", axi.MESSAGE_ADDRESS_MAX_LEN)
    user = _to_user(api, to_addr)
    sync = _sync(api)

    async def send() -> Message:
        answer: Message = await sync.send_message(int(user["uid"]), dict(msg.attrs))
        out = {k: v for k, v in answer.attrs.items() if k != "seq"}
        return Message(req.name + "Resp", out, list(answer.children))

    return ROUTER.later(ctx, req, send())
