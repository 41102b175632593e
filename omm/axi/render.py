"""Rendering model records as AXI record elements, secrets included (axi.md §2.4, §5)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from omm.model import OmmModel
from omm.users import SECRETS
from sipdect.axi.codec import Message
from sipdect.axi.records import ACCOUNT, PP_DEV, PP_USER, RFP, RFP_CONFIG, RFP_DETAILS, RFP_STATE
from sipdect.axi.sync import secret_to_wire
from sipdect.vault import AxiKeyPair, Vault


@lru_cache(maxsize=65536)
def _blob(keys: AxiKeyPair, vault: Vault, name: str, token: str) -> str:
    """The opaque Base64 blob a real OMM returns for a secret: our own re-encryption."""
    return keys.encrypt_field(vault.unseal_text(token, name.encode()))


@lru_cache(maxsize=65536)
def _sync_blob(vault: Vault, name: str, token: str) -> str:
    """A secret in the sync form, the same for as long as the stored secret is (like _blob)."""
    return secret_to_wire(name, vault.unseal_text(token, name.encode()))


def render_user(model: OmmModel, rec: dict[str, Any],
                only: Iterable[str] | None = None, *, sync_client: bool = False) -> Message:
    """A user record; its secrets as the opaque blob only this OMM reads, or, to a
    UserDeviceSyncClient, in the sync form its MOM opens (sipdect.axi.sync.secret_to_wire).
    Its monitoring states are the live ones (omm.umo)."""
    rec = model.umo.overlay(rec)
    msg = PP_USER.render(rec, only)
    for name in SECRETS:
        if name in msg.attrs and rec.get(name):
            msg.attrs[name] = (_sync_blob(model.vault, name, rec[name]) if sync_client
                               else _blob(model.keys, model.vault, name, rec[name]))
    return msg


def render_pp(model: OmmModel, rec: dict[str, Any],
              only: Iterable[str] | None = None) -> Message:
    return PP_DEV.render(rec, only)


def render_rfp(model: OmmModel, rec: dict[str, Any], with_state: bool = False,
               with_details: bool = False) -> Message:
    names: tuple[str, ...] = RFP_CONFIG
    values = rec
    if with_state or with_details:
        values = {**rec, **model.rfps.live(rec["id"])}
        names = names + (RFP_STATE if with_state else ()) + (RFP_DETAILS if with_details else ())
    return RFP.render(values, names)


def render_rfp_state(model: OmmModel, rfp_id: int, fields: Iterable[str] | None) -> Message:
    names = ("id", *(fields if fields is not None else RFP_STATE))
    return RFP.render({"id": rfp_id, **model.rfps.live(rfp_id)}, names)


def render_account(rec: dict[str, Any]) -> Message:
    msg = ACCOUNT.render(rec)
    msg.children = [Message("permission", text=p) for p in rec["permission"]]
    return msg
