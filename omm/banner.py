"""The login banner (seed 000 "Login Banner"): a notice a browser must acknowledge before the
login form. An OMM setting, empty and not active by default; set in the system config
([omm.settings.LoginBanner] active, text), by the system settings page, or here. Not an AXI
group: the product sets it in OMP's "System > Advanced settings" over a request that is not
public, so sipdect offers none.
"""

from __future__ import annotations

from typing import Any

from omm.errors import Invalid
from omm.settings import Settings

SETTING = "LoginBanner"
"""The settings group: {"active": bool, "text": str}."""
DEFAULTS: dict[str, Any] = {"active": False, "text": ""}
MAX_TEXT = 4000
"""Longest banner text, characters (decided: the product's limit is not public; a page of
rules fits)."""


def check(values: dict[str, Any]) -> dict[str, Any]:
    """The banner values checked (Invalid names the field): `active` a bool, `text` a string
    of at most MAX_TEXT characters without control characters but line breaks and tabs."""
    unknown = sorted(set(values) - set(DEFAULTS))
    if unknown:
        raise Invalid(f"the login banner has no {', '.join(unknown)}; it has active, text",
                      unknown[0])
    out: dict[str, Any] = {}
    if "active" in values:
        if not isinstance(values["active"], bool):
            raise Invalid("active is true or false", "active")
        out["active"] = values["active"]
    if "text" in values:
        text = values["text"]
        if not isinstance(text, str):
            raise Invalid("text is a string", "text")
        text = text.replace("\r\n", "\n")
        if len(text) > MAX_TEXT:
            raise Invalid(f"the banner text is longer than {MAX_TEXT} characters", "text")
        if any(not c.isprintable() and c not in "\n\t" for c in text):
            raise Invalid("the banner text has control characters", "text")
        out["text"] = text
    if out.get("active") and not str(out.get("text", "x")).strip():
        raise Invalid("an active banner needs a text", "text")
    return out


def update(settings: Settings, values: dict[str, Any]) -> dict[str, Any]:
    """Check and store banner values (a page's form, a config); the values now in force."""
    settings.update(SETTING, check(values))
    return settings.get(SETTING)


def text_if_active(settings: Settings) -> str | None:
    """The banner's text when it is shown (active with a text), else None."""
    current = settings.get(SETTING)
    text = str(current.get("text", ""))
    return text if current.get("active") and text.strip() else None
