"""MAXI's request dispatch: the kit's router (sipdect.axi.dispatch) given the MOM's accounts,
permission rule and model errors (mom.accounts, mom.errors)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mom.accounts import Record
from mom.errors import ModelError
from mom.maxi import conventions
from mom.sync import SyncSessionError
from sipdect.accounts import can_read, can_write, must_change_password
from sipdect.axi.dispatch import ANY, READ, WRITE, Router
from sipdect.axi.errors import AxiError

if TYPE_CHECKING:
    from mom.maxi.api import MaxiApi

log = logging.getLogger("sipdect.mom.maxi")


def allowed(account: Record, perm: str) -> bool:
    """READ, WRITE, ANY or a PermissionType name (full access implies every one); the MOM
    has two restriction levels, full access and read-only (seed 000)."""
    if perm == ANY:
        return True
    if perm == READ:
        return can_read(account)
    if perm == WRITE:
        return can_write(account)
    return perm in account["permission"] or can_write(account)


def _account_of(api: MaxiApi, account_id: Any) -> Record | None:
    account = api.model.accounts.records.get(account_id)
    return account if account is not None and account["active"] else None


def _model_error(exc: Exception) -> AxiError | None:
    if isinstance(exc, ModelError):
        return AxiError(exc.code, exc.info, bad=exc.field)
    if isinstance(exc, SyncSessionError):  # the OMM a request must go to is not reachable
        return AxiError("EFailed", str(exc))
    return None


ROUTER: Router[MaxiApi, Record] = Router(
    account_of=_account_of, must_change_password=must_change_password, allowed=allowed,
    model_error=_model_error, log=log, label="MAXI",
    pre_login=conventions.PRE_LOGIN_REQUESTS,
    default_password=conventions.DEFAULT_PASSWORD_REQUESTS)
route = ROUTER.route
