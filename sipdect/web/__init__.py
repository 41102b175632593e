"""The web platform every component's UI uses (issue 14; docs/web.md): HTTPS with an HTTP
redirect, login against the component's accounts, the login banner, forced change of a default
password, 10-minute idle sessions, CSRF, read-only accounts, strict security headers, jinja2
pages with a shared layout. The component gives a WebBackend and its page modules.
"""

from __future__ import annotations

from sipdect.web.backend import (
    PasswordChangeRefused,
    Principal,
    WebBackend,
    WebEvent,
    WebEventKind,
)
from sipdect.web.conventions import IDLE_TIMEOUT_S
from sipdect.web.paging import Pager
from sipdect.web.server import WebServer
from sipdect.web.site import (
    NavEntry,
    RouteInfo,
    WebSite,
    can_write,
    flash,
    form,
    principal,
    redirect,
    render,
    site_of,
)

__all__ = [
    "IDLE_TIMEOUT_S",
    "NavEntry",
    "Pager",
    "PasswordChangeRefused",
    "Principal",
    "RouteInfo",
    "WebBackend",
    "WebEvent",
    "WebEventKind",
    "WebServer",
    "WebSite",
    "can_write",
    "flash",
    "form",
    "principal",
    "redirect",
    "render",
    "site_of",
]
