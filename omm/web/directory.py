"""Users and devices as the OMM's web pages show and change them (issue 14 item 2), apart from
HTTP: which records a page shows (a slice of the model's key-ordered tables, or of a search by
number, name or IPEI over a SearchIndex: never all 20,000 rendered), what a row shows (no
secret, ever), and the AXI request each form becomes, which omm.web.axi.WebAxi hands to the
AXI dispatch (AXI's rules, no second set).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from omm.axi.handlers.directory import UNSUBSCRIBE
from omm.model import OmmModel
from omm.tables import Change, Record, Table
from sipdect.axi.codec import Message

USER_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("num", "Number"), ("name", "Name"), ("hierarchy1", "Description 1"),
    ("hierarchy2", "Description 2"), ("sipAuthId", "SIP authentication user name"),
    ("voiceboxNum", "Voice box number"),
)
"""User attributes the user form edits (name, label), in the form's order."""

USER_SECRETS: Final[tuple[tuple[str, str], ...]] = (("sipPw", "SIP password"), ("pin", "PIN"))
"""Write-only user attributes: the form never shows them; empty leaves them as they are."""

DEVICE_SECRETS: Final[tuple[tuple[str, str], ...]] = (("ac", "Authentication code"),)
"""[I] Write-only device attributes: the DECT authentication code is what a handset's UAK is
made from, so the web UI treats it as the SIP password (AXI shows it; the web does not)."""

CLEAR_PREFIX: Final = "clear_"
"""A checkbox `clear_<name>` empties a write-only attribute (an empty field keeps it)."""

REL_TYPES: Final = ("Fixed", "Dynamic")
"""How the web binds a user to a device (Unbound is the unbind button)."""


_IPEI_PART: Final = re.compile(r"[0-9*]+")
"""What a part of an IPEI looks like without its spaces (digits, the check digit may be *)."""


@dataclass(frozen=True, slots=True)
class Found:
    """One page of a list: the records shown and how many there are in all."""

    total: int
    records: list[Record]


def _compact(text: str) -> str:
    return "".join(text.split()).lower()


def _ipei_of(model: OmmModel, ppn: int) -> str:
    device = model.devices.table.get(ppn) if ppn else None
    return str(device.get("ipei", "")) if device is not None else ""


Entry = tuple[str, str]
"""What a search compares of one record: lower-case "number TAB name", and the IPEI without
spaces."""


class SearchIndex:
    """What a search compares of every user and device, kept current by the model's change
    notices, so that a search of 20,000 users is one comparison per record (not a record read
    and two lower-casings). Rebuilt when the model re-read its tables (a reset, a standby's
    reload), which it does without notices."""

    def __init__(self, model: OmmModel) -> None:
        self.model = model
        self._tables: tuple[Table, Table] | None = None
        self._users: dict[int, Entry] = {}
        self._devices: dict[int, Entry] = {}
        model.add_listener(self._changed)

    def _user_entry(self, rec: Record) -> Entry:
        return (f"{rec.get('num', '')}\t{rec.get('name', '')}".lower(),
                _compact(_ipei_of(self.model, rec.get("ppn") or 0)))

    def _device_entry(self, rec: Record) -> Entry:
        user = self.model.users.table.get(rec.get("uid") or 0)
        text = f"{user.get('num', '')}\t{user.get('name', '')}".lower() if user else ""
        return text, _compact(str(rec.get("ipei", "")))

    def _fresh(self) -> None:
        tables = (self.model.users.table, self.model.devices.table)
        if self._tables is not None and tables[0] is self._tables[0] \
                and tables[1] is self._tables[1]:
            return
        self._tables = tables
        self._users = {r["uid"]: self._user_entry(r) for r in tables[0]}
        self._devices = {r["ppn"]: self._device_entry(r) for r in tables[1]}

    def _changed(self, change: Change) -> None:
        if self._tables is None or change.kind not in ("user", "pp"):
            return
        users, devices = self.model.users.table, self.model.devices.table
        if change.kind == "user":
            uid, rec = change.key, users.get(change.key)
            ppn = (rec or change.before or {}).get("ppn") or 0
        else:
            ppn, rec = change.key, devices.get(change.key)
            uid = (rec or change.before or {}).get("uid") or 0
        # a record and the one bound to it (its text or IPEI is part of the other's)
        for table, index, key, entry in ((users, self._users, uid, self._user_entry),
                                         (devices, self._devices, ppn, self._device_entry)):
            if not key:
                continue
            found = table.get(key)
            if found is None:
                index.pop(key, None)
            else:
                index[key] = entry(found)

    def _search(self, devices: bool, query: str, offset: int, count: int) -> Found:
        table = self.model.devices.table if devices else self.model.users.table
        q = query.strip()
        if not q:
            return Found(len(table), table.at(offset, count))
        self._fresh()
        index = self._devices if devices else self._users
        needle, digits = q.lower(), _compact(q)
        if not _IPEI_PART.fullmatch(digits):
            digits = "\n"  # in no IPEI
        hits = [k for k in table.keys() if needle in index[k][0] or digits in index[k][1]]
        return Found(len(hits), [table.records[k] for k in hits[offset:offset + count]])

    def users(self, query: str, offset: int, count: int) -> Found:
        """Users by uid; a query matches a part of the number, the name or the bound
        device's IPEI (spaces ignored)."""
        return self._search(False, query, offset, count)

    def devices(self, query: str, offset: int, count: int) -> Found:
        """Devices by ppn; a query matches a part of the IPEI (spaces ignored) or of the
        bound user's number or name."""
        return self._search(True, query, offset, count)


def user_row(model: OmmModel, rec: Record) -> dict[str, Any]:
    """What a page shows of a user: its fields, whether each secret is set, its device."""
    row: dict[str, Any] = {"uid": rec["uid"], "ppn": rec.get("ppn") or 0,
                           "relType": rec.get("relType", "Unbound"),
                           "ipei": _ipei_of(model, rec.get("ppn") or 0)}
    for name, _ in USER_FIELDS:
        row[name] = rec.get(name, "")
    for name, _ in USER_SECRETS:
        row[f"{name}_set"] = bool(rec.get(name))
    return row


def device_row(model: OmmModel, rec: Record) -> dict[str, Any]:
    """What a page shows of a device: IPEI, subscription, encryption, its user."""
    user = model.users.table.get(rec.get("uid") or 0)
    row: dict[str, Any] = {
        "ppn": rec["ppn"], "ipei": rec.get("ipei", ""), "s": rec.get("s", "No"),
        "encrypt": bool(rec.get("encrypt")), "relType": rec.get("relType", "Unbound"),
        "uid": rec.get("uid") or 0, "hwType": rec.get("hwType", ""),
        "autoCreate": bool(rec.get("autoCreate")),
        "user_num": user.get("num", "") if user is not None else "",
        "user_name": user.get("name", "") if user is not None else ""}
    for name, _ in DEVICE_SECRETS:
        row[f"{name}_set"] = bool(rec.get(name))
    return row


def _record_attrs(form: Mapping[str, str], fields: tuple[tuple[str, str], ...],
                  secrets: tuple[tuple[str, str], ...], *, creating: bool) -> dict[str, str]:
    attrs = {name: form[name].strip() for name, _ in fields if name in form}
    for name, _ in secrets:
        if form.get(CLEAR_PREFIX + name) and not creating:
            attrs[name] = ""
        elif form.get(name):
            attrs[name] = form[name]
    return attrs


def user_request(form: Mapping[str, str], uid: int | None = None) -> Message:
    """CreatePPUser (uid None) or SetPPUser from the user form; secrets in clear (the request
    goes with plainText, in process), only those typed or cleared."""
    attrs = _record_attrs(form, USER_FIELDS, USER_SECRETS, creating=uid is None)
    if uid is None:
        return Message("CreatePPUser", {"plainText": "1"}, [Message("user", attrs)])
    return Message("SetPPUser", {"plainText": "1"},
                   [Message("user", {"uid": str(uid), **attrs})])


def device_request(form: Mapping[str, str], ppn: int | None = None) -> Message:
    """CreatePPDev (ppn None) or SetPPDev from the device form."""
    attrs = _record_attrs(form, (("ipei", "IPEI"),), DEVICE_SECRETS, creating=ppn is None)
    attrs["encrypt"] = "1" if form.get("encrypt") else "0"
    if ppn is None:
        return Message("CreatePPDev", {}, [Message("pp", attrs)])
    return Message("SetPPDev", {}, [Message("pp", {"ppn": str(ppn), **attrs})])


def bind_request(ppn: int, uid: int, rel_type: str) -> Message:
    """SetPP binding a device to a user (the OMM's web session may: directory.may_set_pp)."""
    return Message("SetPP", {}, [Message("pp", {"ppn": str(ppn), "uid": str(uid),
                                                "relType": rel_type})])


def unbind_request(ppn: int) -> Message:
    return Message("SetPP", {}, [Message("pp", {"ppn": str(ppn), "uid": "0",
                                                "relType": "Unbound"})])


def unsubscribe_request(ppn: int) -> Message:
    """SetPP deleting the device's subscription (directory.UNSUBSCRIBE)."""
    return Message("SetPP", {}, [Message("pp", {"ppn": str(ppn),
                                                **{k: str(v) for k, v in UNSUBSCRIBE.items()}})])


def window_request(mode: str, timeout: str = "") -> Message:
    """SetDECTSubscriptionMode from the subscription window's form."""
    attrs = {"mode": mode}
    if timeout.strip():
        attrs["timeout"] = timeout.strip()
    return Message("SetDECTSubscriptionMode", attrs)


SUBSCRIBE_NOW_MODE: Final = "Configured"
"""[I] "Subscribe now" on a device opens the window for configured IPEIs (24 h, axi.md §3.2),
as the real UI's button does; an open Wildcard window already admits them and is left open."""


def subscribe_now_request(model: OmmModel) -> Message | None:
    """What "subscribe now" sends: None when the window already admits configured IPEIs."""
    if model.subscription.mode() == "Wildcard":
        return None
    return window_request(SUBSCRIBE_NOW_MODE)


def window_view(model: OmmModel) -> dict[str, Any]:
    """The subscription window as a page shows it: mode, timeout and minutes left."""
    now = model.clock()
    mode = model.subscription.mode()
    deadline = model.subscription.next_deadline()
    left = max(0, int((deadline - now) // 60)) if deadline else 0
    return {"mode": mode, "timeout": model.subscription.timeout, "minutes_left": left}
