"""The web platform's fixed values: what seed 000 fixes (the 10-minute idle limit) and what the
emulator decided where the product's behaviour is not public. One table; nothing else in the
kit or a component repeats these values.
"""

from __future__ import annotations

IDLE_TIMEOUT_S = 600.0
"""A web session ends after 10 minutes without a request; the seed says this timer is not
configurable ("Identity, Authentication and Password Policies"), so it is no parameter."""

COOKIE_NAME = "sipdect_session"
"""The session cookie: Secure, HttpOnly, SameSite=Strict, Path=/ (decided: the product's
cookie name is not public)."""

CSRF_FIELD = "csrf_token"
"""The hidden form field every POST form carries (base layout macro `csrf_field()`)."""
CSRF_HEADER = "X-CSRF-Token"
"""The header a script's POST carries instead (its value from <meta name="csrf-token">)."""

MAX_SESSIONS = 64
"""Logged-in sessions kept at once; the oldest idle one is ended for a new login (decided:
R3.0 allowed one admin session, newer releases are not documented; an emulator used in class
needs several browsers, a bound keeps memory finite)."""
MAX_ANONYMOUS = 512
"""Sessions before login (the banner's acknowledgement, the login form's CSRF token); beyond
this the oldest is forgotten, so a flood of GET /login cannot grow memory."""

SESSION_TOKEN_BYTES = 32
"""Random bytes of a session id and of a CSRF token (URL-safe base64 in the cookie/form)."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""No inline script or style anywhere (the templates use static files only)."""
HSTS = "max-age=31536000"
"""Strict-Transport-Security on every HTTPS answer (a year; no includeSubDomains: the hosts
are addresses)."""
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: under no-referrer chromium sends `Origin: null` with a
    # same-site form POST, which the CSRF check must refuse.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
"""Headers of every answer, public or private, HTTP or HTTPS."""
PRIVATE_CACHE = "no-store"
"""Cache-Control of every answer but the static files: a page may show configuration."""
STATIC_CACHE = "public, max-age=3600"

REDIRECT_STATUS = 301
"""HTTP to HTTPS: moved permanently (seed: "redirected to HTTPS")."""

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
BANNER_PATH = "/login/banner"
LEFT_PATH = "/login/left"
PASSWORD_PATH = "/password"
HOME_PATH = "/"
STATIC_PREFIX = "/static"

PAGE_SIZE = 50
"""Rows on one page of a paged list, unless the page asks otherwise (`Pager`)."""
MAX_PAGE_SIZE = 500
