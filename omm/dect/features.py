"""Feature access codes dialled on a handset: UserLogin and UserLogout (dynamic relations).

features.md §2.6 ("Dynamic (login with a user-specific PIN)", feature codes UserLogin/
UserLogout) against the OMM model; the dial strings are in dect.conventions.
"""

from __future__ import annotations

from dataclasses import dataclass

from dect import conventions as cv
from omm.errors import NotFound
from omm.model import OmmModel
from omm.tables import Record


@dataclass(frozen=True, slots=True)
class FeatureResult:
    """What a feature code did: the text for the handset and who it concerned."""

    text: str
    """Display text (without control codes)."""
    ok: bool
    """The feature was carried out."""
    uid: int = 0
    """The user logged in or out, 0 if none."""
    login: str = ""
    """What was dialled as number or ID (for a failed login)."""


def is_feature_code(digits: str) -> bool:
    return digits.startswith(cv.FAC_PREFIX)


def _find_user(model: OmmModel, login: str) -> Record | None:
    if model.settings.value("PPLoginVariant", "login", "NUMBER") == "ID":
        return next((u for u in model.users.table if u.get(cv.LOGIN_ID_FIELD) == login), None)
    try:
        return model.users.find_by_number(login)
    except NotFound:
        return None


def login(model: OmmModel, ppn: int, digits: str) -> FeatureResult:
    """UserLogin: "<FAC><number><separator><PIN>" binds the user to the device (Dynamic)."""
    rest = digits[len(cv.feature_code("UserLogin")) :]
    number, sep, pin = rest.partition(cv.LOGIN_SEPARATOR)
    user = _find_user(model, number) if sep else None
    device = model.devices.get(ppn)
    if (
        user is None
        or not pin
        or model.users.secret(user, "pin") != pin
        or user.get("relType") == "Fixed"
        or device.get("relType") == "Fixed"
    ):
        return FeatureResult(cv.TEXT_LOGIN_FAILED, False, login=number)
    model.relations.attach(int(user["uid"]), ppn, "Dynamic")
    return FeatureResult(cv.TEXT_LOGGED_IN, True, int(user["uid"]), number)


def logout(model: OmmModel, ppn: int) -> FeatureResult:
    """UserLogout: unbind the dynamically logged-in user of the device."""
    device = model.devices.get(ppn)
    uid = int(device.get("uid") or 0)
    if not uid or device.get("relType") != "Dynamic":
        return FeatureResult(cv.TEXT_LOGGED_OUT, False)
    model.relations.detach_device(ppn)
    return FeatureResult(cv.TEXT_LOGGED_OUT, True, uid)


def run(model: OmmModel, ppn: int, digits: str) -> FeatureResult | None:
    """Carry out the feature code `digits` names; None if it names none this FP handles."""
    if digits.startswith(cv.feature_code("UserLogin")):
        return login(model, ppn, digits)
    if digits == cv.feature_code("UserLogout"):
        return logout(model, ppn)
    return None
