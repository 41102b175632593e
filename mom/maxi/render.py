"""MOM records as MAXI elements: `<user>` and `<pp>` as the OMM's AXI renders them (secrets
RSA-encrypted with the MOM's own key), `<account>`, and the MOM's `<omm>` (conventions)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mom.aspects import USER_SECRETS
from mom.maxi import conventions
from mom.model import MomModel
from sipdect.axi.codec import Message
from sipdect.axi.records import ACCOUNT, PP_DEV, PP_USER

Record = dict[str, Any]

OMM_ATTRS = ("name", "address", "port", "username", "enabled", "ommId")
"""An OMM connection's definition as `<omm>` shows it (never its password)."""
OMM_LIVE = ("state", "info", "users", "devices")
"""Its live sync state (mom.omms.OmmLive)."""


def render_user(model: MomModel, rec: Record, only: Iterable[str] | None = None) -> Message:
    msg = PP_USER.render(rec, only)
    for name in USER_SECRETS:
        if name in msg.attrs:
            plain = model.directory.user_secret(rec, name)
            msg.attrs[name] = model.keys.encrypt_field(plain) if plain else ""
    return msg


def render_pp(model: MomModel, rec: Record, only: Iterable[str] | None = None) -> Message:
    # The UAK stays at the MOM (sealed): MAXI, like an OMM to anyone but a sync session,
    # shows the attribute empty.
    return PP_DEV.render({**rec, "uak": ""}, only)


def render_account(rec: Record) -> Message:
    msg = ACCOUNT.render(rec)
    msg.children = [Message("permission", text=p) for p in rec["permission"]]
    return msg


def render_omm(model: MomModel, rec: Record, only: Iterable[str] | None = None) -> Message:
    live = model.omms.live(rec["name"]).describe()
    values = {**{k: rec.get(k, "") for k in OMM_ATTRS}, **{k: live[k] for k in OMM_LIVE}}
    names = list(values) if only is None else ["name", *only]
    attrs = {}
    for k in names:
        v = values.get(k, "")
        attrs[k] = ("1" if v else "0") if isinstance(v, bool) else str(v)
    return Message(conventions.OMM_ELEMENT, attrs)
