"""The OMM's AXI request dispatch: its handler table and its access rules (axi.md §2-3).

The mechanics (login gate, permission check, error answers) are the kit's
(sipdect.axi.dispatch); what is the OMM's is whose account a session is (omm.access), what a
permission allows, and that a ModelError is answered with its own code.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from omm.errors import ModelError
from omm.tables import Record
from sipdect.accounts import can_read, can_write, must_change_password
from sipdect.axi.dispatch import (
    ANY,
    READ,
    WRITE,
    Ctx,
    PendingVerification,
    Router,
    Verdict,
    error_response,
    resp,
)
from sipdect.axi.errors import AxiError

if TYPE_CHECKING:
    from omm.axi.api import AxiApi

__all__ = ["ANY", "READ", "WRITE", "ROUTER", "ROUTES", "Ctx", "PendingVerification",
           "Verdict", "actor_of", "allowed", "conclude", "dispatch", "error_response", "resp",
           "route"]

log = logging.getLogger("sipdect.omm.axi")


def allowed(account: Record, perm: str) -> bool:
    """Whether an OMM account holds a permission: READ, WRITE, ANY or a PermissionType name
    (AllCnfWrite implies every one)."""
    if perm == ANY:
        return True
    if perm == READ:
        return can_read(account)
    if perm == WRITE:
        return can_write(account)
    return perm in account["permission"] or can_write(account)


def _account_of(api: AxiApi, account_id: Any) -> Record | None:
    account = api.model.accounts.actor(account_id)
    return account if account is not None and account["active"] else None


def actor_of(api: AxiApi, ctx: Ctx) -> Record:
    """The account the session acts as (the provisioning actor for the OMM's own files)."""
    account = api.model.accounts.actor(ctx.session.account)
    if account is None:
        raise AxiError("EPerm", "the account of this session no longer exists")
    return account


def _model_error(exc: Exception) -> AxiError | None:
    if isinstance(exc, ModelError):
        return AxiError(exc.code, exc.info, bad=exc.field)
    return None


ROUTER: Router[AxiApi, Record] = Router(
    account_of=_account_of, must_change_password=must_change_password, allowed=allowed,
    model_error=_model_error, log=log)
ROUTES = ROUTER.routes
route = ROUTER.route
dispatch = ROUTER.dispatch
conclude = ROUTER.conclude
