"""The accounts page (omm.web.accounts): list and create at /accounts (the create form for full
access only), edit at /accounts/<id>, delete; preset accounts offer neither rename nor delete."""

from __future__ import annotations

from aiohttp import web

from omm.web import accounts
from omm.web.axi import WebAxi, plain, refused, web_axi
from omm.web.forms import FormState
from sipdect import web as kit
from sipdect.accounts import PERMISSIONS, PRESET_ACCOUNTS
from sipdect.axi.errors import AxiError

NAV_ORDER = 80


def setup(site: kit.WebSite) -> None:
    site.nav("Accounts", "/accounts", order=NAV_ORDER)
    site.get("/accounts", page)
    site.post("/accounts/new", create, write=True)
    site.get("/accounts/{account_id:\\d+}", edit_page)
    site.post("/accounts/{account_id:\\d+}", save, write=True)
    site.post("/accounts/{account_id:\\d+}/delete", delete, write=True)


async def _posted(request: web.Request) -> tuple[dict[str, str], list[str]]:
    """The form's text fields, and its permission checkboxes (several of one name)."""
    data = await request.post()
    return await kit.form(request), [v for v in data.getall("permission", [])
                                     if isinstance(v, str)]


async def _list(request: web.Request, web_: WebAxi, form: FormState, status: int = 200
                ) -> web.Response:
    try:
        rows = await accounts.rows(web_)
    except AxiError as err:
        raise refused(err) from None
    return kit.render(request, "ommsys_accounts.html", {
        "title": "Accounts", "rows": rows, "form": form, "permissions": PERMISSIONS,
        "presets": PRESET_ACCOUNTS}, status=status)


async def page(request: web.Request) -> web.StreamResponse:
    form = FormState(accounts.CREATE_FIELDS, {"active": True, "aging": "none",
                                              "permission": ["AllCnfRead"]})
    return await _list(request, web_axi(request), form)


async def create(request: web.Request) -> web.StreamResponse:
    web_ = web_axi(request)
    posted, permissions = await _posted(request)
    form, account_id = await accounts.create(web_, posted, permissions)
    if account_id is None:
        return await _list(request, web_, form, status=400)
    kit.flash(request, f"Account {posted.get('username', '')} created.")
    raise kit.redirect("/accounts")


def _account_id(request: web.Request) -> int:
    return int(request.match_info["account_id"])


def _own(request: web.Request) -> bool:
    return _account_id(request) == kit.principal(request).account_id


def _edit(request: web.Request, row: accounts.AccountRow, form: FormState,
          status: int = 200) -> web.Response:
    return kit.render(request, "ommsys_account.html", {
        "title": f"Account {row.username}", "account": row, "form": form,
        "permissions": PERMISSIONS,
        "own": _own(request)}, status=status)


async def edit_page(request: web.Request) -> web.StreamResponse:
    if not kit.can_write(request):  # its form is all write controls
        raise web.HTTPForbidden(text="Editing accounts needs full access.")
    try:
        row, form = await accounts.read(web_axi(request), _account_id(request),
                                        _own(request))
    except AxiError as err:
        raise refused(err) from None
    return _edit(request, row, form)


async def save(request: web.Request) -> web.StreamResponse:
    web_ = web_axi(request)
    try:
        row, _ = await accounts.read(web_, _account_id(request))
    except AxiError as err:
        raise refused(err) from None
    posted, permissions = await _posted(request)
    form = await accounts.update(web_, row.id, row.username, posted, permissions,
                                 _own(request))
    if not form.ok:
        return _edit(request, row, form, status=400)
    kit.flash(request, f"Account {posted.get('username') or row.username} saved.")
    raise kit.redirect("/accounts")


async def delete(request: web.Request) -> web.StreamResponse:
    err = await accounts.delete(web_axi(request), _account_id(request))
    if err is not None:
        kit.flash(request, f"Account not deleted. {plain(err)}", "error")
    else:
        kit.flash(request, "Account deleted.")
    raise kit.redirect("/accounts")
