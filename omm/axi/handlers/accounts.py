"""AXI accounts: GetAccount/CreateAccount/SetAccount/DeleteAccount (axi.md §3.4, §5.5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omm.axi.dispatch import ANY, READ, WRITE, Ctx, actor_of, resp, route
from omm.axi.render import render_account
from omm.axi.summaries import account_summary
from sipdect.accounts import PASSWORD_MAX_LEN, can_write
from sipdect.axi.args import need_int, paged, record_of, replace_data
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError, too_long
from sipdect.axi.records import ACCOUNT

if TYPE_CHECKING:
    from omm.axi.api import AxiApi


def _permissions(child: Message) -> list[str] | None:
    """<permission> children, or a space/comma separated permission attribute."""
    texts = [c.text or "" for c in child.children_named("permission")]
    if not texts and "permission" in child.attrs:
        texts = child.attrs["permission"].replace(",", " ").split()
    return [t.strip() for t in texts if t.strip()] if texts or "permission" in child.attrs \
        else None


def _values(child: Message) -> dict[str, object]:
    values: dict[str, object] = dict(ACCOUNT.parse(child))
    for k in ("password", "oldPassword"):
        if k in child.attrs:
            if len(child.attrs[k]) > PASSWORD_MAX_LEN:
                raise too_long(k, PASSWORD_MAX_LEN)
            values[k] = child.attrs[k]
    return values


def _account_resp(req: Message, rec: dict[str, object]) -> Message:
    return resp(req, children=[render_account(rec)])


@route("GetAccount", perm=ANY)
def get_account(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    me = actor_of(api, ctx)
    recs = paged(req, "id", api.model.accounts.page, "account")
    if not can_write(me):  # others' accounts only for administrators
        recs = [r for r in recs if r["id"] == me["id"]]
        if not recs:
            raise AxiError("EPerm", "reading other accounts needs AllCnfWrite")
    if len(recs) == 1:
        # python-mitel reads the account from the root, mitel-ommclient2 from <account>
        # (axi.md §3.2): a single account goes on both.
        acc = render_account(recs[0])
        return resp(req, dict(acc.attrs), [acc])
    return resp(req, children=[render_account(r) for r in recs])


@route("GetAccountSummary", perm=READ)
def get_account_summary(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, account_summary(api))


@route("CreateAccount", perm=WRITE)
def create_account(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, ACCOUNT)
    assert child is not None
    values = _values(child)
    accounts = api.model.accounts
    existing = accounts.by_username(str(values.get("username", ""))) if replace_data(req) \
        else None
    if existing is not None:  # replaceData: the account of this username is overwritten
        values.pop("username")
        rec = accounts.update(actor_of(api, ctx), existing["id"], values, _permissions(child))
        return _account_resp(req, rec)
    # A PasswordError is a ModelError: dispatch answers its EPw... code with bad="password".
    rec = accounts.create(values, _permissions(child) or ["AllCnfRead"])
    return _account_resp(req, rec)


@route("SetAccount", perm=ANY)
def set_account(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, ACCOUNT)
    assert child is not None
    actor = actor_of(api, ctx)
    acc_id = need_int(child, "id", low=0) if "id" in child.attrs else actor["id"]
    rec = api.model.accounts.update(actor, acc_id, _values(child), _permissions(child))
    if acc_id == actor["id"] and "password" in child.attrs:
        api.model.log("GenInfo", "AXI", f"password of account '{rec['username']}' changed "
                                        f"from {ctx.peer}")
    return _account_resp(req, rec)


@route("DeleteAccount", perm=WRITE)
def delete_account(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    api.model.accounts.delete(need_int(req, "id", low=0))
    return resp(req)
