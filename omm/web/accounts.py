"""The OMM web UI's accounts and permissions page (issue 14 item 2; axi.md §3.4, §5.5): list,
create, edit (permissions, active, password aging, a new password), delete, each an AXI
request made as the logged-in account, so AXI's rules hold: only full access changes others,
the preset accounts are neither renamed nor deleted, passwords follow the seed's rules.

Passwords are write-only: a form never shows one, and no page renders a hash (GetAccount
answers carry neither)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from omm.web.axi import WebAxi
from omm.web.forms import FormField, FormState, fields_of, to_attrs, wire_bool
from sipdect.accounts import PERMISSIONS, PRESET_ACCOUNTS
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError
from sipdect.axi.records import ACCOUNT

PASSWORD = FormField("password", "Password", "password",
                     help="Write-only: never shown. At least the seed's length and character "
                          "classes; not like the user name")
NEW_PASSWORD = FormField("password", "New password", "password",
                         help="Write-only; leave empty to keep the password")
_LABELS = {"active": "Active", "aging": "Password aging"}

CREATE_FIELDS: tuple[FormField, ...] = (
    *fields_of(ACCOUNT, {"username": "User name"}), PASSWORD, *fields_of(ACCOUNT, _LABELS))
EDIT_FIELDS: tuple[FormField, ...] = (
    *fields_of(ACCOUNT, {"username": "User name"}), NEW_PASSWORD, *fields_of(ACCOUNT, _LABELS))
PRESET_EDIT_FIELDS: tuple[FormField, ...] = (
    FormField("username", "User name", "readonly", help="A preset account keeps its name"),
    NEW_PASSWORD, *fields_of(ACCOUNT, _LABELS))


def edit_fields(username: str, own: bool) -> tuple[FormField, ...]:
    """An account's edit form: a preset's name is read-only; one's own password is changed on
    the password page (it needs the current one, which AXI's SetAccount asks for too)."""
    fields = PRESET_EDIT_FIELDS if is_preset(username) else EDIT_FIELDS
    return tuple(f for f in fields if not (own and f is NEW_PASSWORD))


def is_preset(username: str) -> bool:
    """One of the accounts every OMM has (sipdect.accounts.PRESET_ACCOUNTS): the page offers
    neither renaming nor deleting it (and the model refuses both)."""
    return username in PRESET_ACCOUNTS


@dataclass(frozen=True)
class AccountRow:
    """An account as the list shows it: never a password nor a hash."""

    id: int
    username: str
    permissions: tuple[str, ...]
    active: bool
    aging: str
    state: str

    @property
    def preset(self) -> bool:
        return is_preset(self.username)


def row(account: Message) -> AccountRow:
    a = account.attrs
    return AccountRow(int(a["id"]), a.get("username", ""),
                      tuple(c.text or "" for c in account.children_named("permission")),
                      wire_bool(a.get("active")), a.get("aging", ""), a.get("state", ""))


async def rows(web: WebAxi) -> list[AccountRow]:
    """The accounts the logged-in one may see (a read-only account: itself only, as AXI)."""
    return [row(a) for a in await web.records("GetAccount", "account", "id")]


async def read(web: WebAxi, account_id: int, own: bool = False
               ) -> tuple[AccountRow, FormState]:
    """An account and its edit form (`own`: the logged-in account's)."""
    answer = await web.request("GetAccount", {"id": account_id})
    account = answer.child("account")
    if account is None:
        raise AxiError("ENoEnt", f"no account with id {account_id}", bad="id")
    r = row(account)
    form = FormState.read(edit_fields(r.username, own), account)
    form.values["permission"] = list(r.permissions)
    return r, form


def _permissions(chosen: Iterable[str]) -> list[Message]:
    return [Message("permission", text=p) for p in chosen]


def _posted_form(fields: tuple[FormField, ...], posted: Mapping[str, str],
                 permissions: list[str]) -> FormState:
    form = FormState.posted(fields, posted)
    form.values["permission"] = [p for p in permissions if p in PERMISSIONS]
    return form


async def create(web: WebAxi, posted: Mapping[str, str], permissions: list[str]
                 ) -> tuple[FormState, int | None]:
    """CreateAccount; the form to show again (no password in it) and the new id."""
    attrs = to_attrs(CREATE_FIELDS, posted)
    attrs.setdefault("password", "")  # AXI names an empty password (EPwEmpty) as such
    try:
        answer = await web.request("CreateAccount", {"plainText": "1"}, [
            Message("account", attrs, _permissions(permissions))])
    except AxiError as err:
        return _posted_form(CREATE_FIELDS, posted, permissions).fail(err), None
    account = answer.child("account")
    return FormState(CREATE_FIELDS), int(account.attrs["id"]) if account is not None else None


async def update(web: WebAxi, account_id: int, username: str, posted: Mapping[str, str],
                 permissions: list[str], own: bool = False) -> FormState:
    """SetAccount with the posted values and permissions."""
    fields = edit_fields(username, own)
    attrs = {"id": str(account_id), **to_attrs(fields, posted)}
    try:
        await web.request("SetAccount", {"plainText": "1"}, [
            Message("account", attrs, _permissions(permissions))])
    except AxiError as err:
        return _posted_form(fields, posted, permissions).fail(err)
    return FormState(fields)


async def delete(web: WebAxi, account_id: int) -> AxiError | None:
    try:
        await web.request("DeleteAccount", {"id": account_id})
    except AxiError as err:
        return err
    return None
