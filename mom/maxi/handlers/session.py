"""MAXI login, keep-alive, versions, limits, public key, subscriptions and the MOM's accounts
(the AXI requests of the same names, axi.md §2, §3.4, §4.1; docs/mom.md "MAXI")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mom.maxi import conventions
from mom.maxi.dispatch import ROUTER, allowed, route
from mom.maxi.render import render_account
from sipdect import clock
from sipdect.accounts import PASSWORD_MAX_LEN, LoginAttempt, can_write, must_change_password
from sipdect.axi import conventions as axi
from sipdect.axi.args import need_enum, need_int, opt_int, paged, record_of
from sipdect.axi.codec import Message
from sipdect.axi.dispatch import ANY, READ, WRITE, Ctx, PendingVerification, Verdict, resp
from sipdect.axi.errors import AxiError, invalid, too_long
from sipdect.axi.records import ACCOUNT
from sipdect.axi.session import LinkState, Subscription

if TYPE_CHECKING:
    from mom.maxi.api import MaxiApi

#: Message versions as the OMM reports them (omm.axi.handlers.session); others 1.0.0.
KNOWN_VERSIONS = {"Open": "1.0.18", "Ping": "1.0.2", "CreatePPUser": "1.1.11",
                  "GetPPDev": "2.0.0", "SetPP": "2.0.0", "GetPP": "2.0.0",
                  "SetPPUser": "1.1.9", "Subscribe": "3.1.2"}

#: Which permission a subscription needs: read access, or Locating for Roaming.
EVENT_PERMISSION = {conventions.ROAMING_EVENT_TYPE: "Locating"}

ITEM_FILTERS = ("ppn", "uid")


def _version_attrs() -> dict[str, str]:
    return {"protocolVersion": axi.PROTOCOL_VERSION, "ommVersion": conventions.MOM_VERSION,
            "axiVersion": axi.AXI_VERSION, "ommAxiSpecVersion": axi.AXI_SPEC_VERSION}


@route("Open", perm=ANY)
def open_(api: MaxiApi, ctx: Ctx, req: Message) -> PendingVerification:
    """Checked off the event loop, answered by _opened (as the OMM's Open)."""
    if ctx.session.state is LinkState.OPEN:
        raise AxiError(*axi.ALREADY_OPEN)
    attempt = api.model.accounts.login_attempt(req.attrs.get("username", ""),
                                               req.attrs.get("password", ""))
    return PendingVerification(attempt.check,
                               lambda matched: _opened(api, ctx, attempt, matched))


def _opened(api: MaxiApi, ctx: Ctx, attempt: LoginAttempt, matched: bool) -> Verdict:
    session = ctx.session
    account = api.model.accounts.login_verdict(attempt, matched)
    if account is None:
        ROUTER.log.warning("MAXI login failed for user '%s' from %s",
                           attempt.username[:32], ctx.source)
        return Verdict(Message("OpenResp", {**_version_attrs(), "errCode": "EAuth",
                                            "info": "login failed"}),
                       api.gatekeeper.limits.failed_login_delay)
    if session.closing:
        raise AxiError("EFailed", "the link closed while the password was checked")
    if api.logged_in >= api.client_limit:
        session.close(f"already {api.client_limit} MAXI sessions logged in")
        raise AxiError(*axi.AXI_CLIENTS_FULL)
    session.opened(account["id"], False)
    ROUTER.log.info("MAXI login of user '%s' from %s", attempt.username, ctx.peer)
    m = api.model
    attrs = {**_version_attrs(), "axiClients": str(api.logged_in),
             "uptime": str(int(m.clock() - m.started))}
    children = [Message("publicKey", {"modulus": m.keys.modulus_hex,
                                      "exponent": m.keys.exponent_hex})]
    if must_change_password(account):
        children.append(Message("accountState", {"id": str(account["id"]),
                                                 "username": account["username"],
                                                 "state": account["state"]}))
    return Verdict(Message("OpenResp", attrs, children))


@route("Ping", perm=ANY)
def ping(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, {"timeStamp": int(clock.wall())} if "timeStamp" in req.attrs else {})


@route("GetVersions", perm=ANY)
def get_versions(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    wanted = [c.attrs.get("element", "") for c in req.children_named("version")]
    names = wanted or sorted(ROUTER.routes)
    return resp(req, {n: KNOWN_VERSIONS.get(n, "1.0.0") for n in names if n in ROUTER.routes})


@route("Limits", perm=ANY)
def limits(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    d = api.model.directory
    return resp(req, {"axiClients": conventions.SESSIONS, "omm": len(api.model.omms.records),
                      "ppnNum": d.max_devices, "userId": d.max_users,
                      "records": axi.MAX_RECORDS})


@route("GetPublicKey", perm=ANY)
def get_public_key(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    keys = api.model.keys
    return resp(req, {"modulus": keys.modulus_hex, "exponent": keys.exponent_hex})


@route("Subscribe", perm=ANY)
def subscribe(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    entries = req.children_named("e")
    if not entries:
        raise AxiError("EMissing", "Subscribe needs 1 to 20 <e> elements", bad="e")
    if len(entries) > 20:
        raise AxiError("EInval", "at most 20 <e> elements per Subscribe", bad="e")
    account = api.model.accounts.get(ctx.session.account)
    plan = []
    for e in entries:  # all checked first: Subscribe is atomic
        cmd = need_enum(e, "cmd", ("On", "Off"))
        event_type = e.attrs.get("eventType", "")
        if event_type not in conventions.EVENT_TYPES:
            err = invalid("eventType", event_type, "not an event type of the MOM")
            raise AxiError("EInval", err.info, bad="eventType")
        perm = EVENT_PERMISSION.get(event_type, READ)
        if not allowed(account, perm):
            return resp(req, {"eventType": event_type, "errCode": "EPerm",
                              "info": f"{event_type} needs permission {perm}"})
        items = [(k, e.attrs[k]) for k in ITEM_FILTERS if k in e.attrs]
        for k, _ in items:
            opt_int(e, k, low=-1)
        plan.append((cmd, event_type, items))
    subs = ctx.session.subscriptions
    for cmd, event_type, items in plan:
        if cmd == "Off":
            subs.pop(event_type, None)
            continue
        sub = subs.setdefault(event_type, Subscription(event_type, all_items=False))
        if not items or any(v in ("-1", "*") for _, v in items):
            sub.all_items = True
        else:
            sub.items.update(v for _, v in items)
    return resp(req)


# -- the MOM's accounts --------------------------------------------------------------------

def _permissions(child: Message) -> list[str] | None:
    texts = [c.text or "" for c in child.children_named("permission")]
    if not texts and "permission" in child.attrs:
        texts = child.attrs["permission"].replace(",", " ").split()
    if not texts and "permission" not in child.attrs:
        return None
    return [t.strip() for t in texts if t.strip()]


def _values(child: Message) -> dict[str, object]:
    values: dict[str, object] = dict(ACCOUNT.parse(child))
    for k in ("password", "oldPassword"):
        if k in child.attrs:
            if len(child.attrs[k]) > PASSWORD_MAX_LEN:
                raise too_long(k, PASSWORD_MAX_LEN)
            values[k] = child.attrs[k]
    return values


@route("GetAccount", perm=ANY)
def get_account(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    me = api.model.accounts.get(ctx.session.account)
    recs = paged(req, "id", api.model.accounts.page, "account")
    if not can_write(me):
        recs = [r for r in recs if r["id"] == me["id"]]
        if not recs:
            raise AxiError("EPerm", "reading other accounts needs AllCnfWrite")
    if len(recs) == 1:  # on the root too, as the OMM does for its clients (axi.md §3.2)
        acc = render_account(recs[0])
        return resp(req, dict(acc.attrs), [acc])
    return resp(req, children=[render_account(r) for r in recs])


@route("CreateAccount", perm=WRITE)
def create_account(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, ACCOUNT)
    assert child is not None
    rec = api.model.accounts.create(_values(child), _permissions(child) or ["AllCnfRead"])
    return resp(req, children=[render_account(rec)])


@route("SetAccount", perm=ANY)
def set_account(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    """Also how `mom` leaves its default password (forced, as on the OMM)."""
    child = record_of(req, ACCOUNT)
    assert child is not None
    actor = api.model.accounts.get(ctx.session.account)
    acc_id = need_int(child, "id", low=0) if "id" in child.attrs else actor["id"]
    rec = api.model.accounts.update(actor, acc_id, _values(child), _permissions(child))
    return resp(req, children=[render_account(rec)])


@route("DeleteAccount", perm=WRITE)
def delete_account(api: MaxiApi, ctx: Ctx, req: Message) -> Message:
    api.model.accounts.delete(need_int(req, "id", low=0))
    return resp(req)
