"""Cross-site request forgery checks as plain functions (OWASP's synchronizer token plus an
Origin check): a POST must carry its session's token and, when the browser names an origin,
come from this very site.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit


def token_matches(expected: str, given: str | None) -> bool:
    """The token a form or header carried equals the session's (constant time)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"),
                               given.encode("utf-8", "surrogatepass"))


def _origin_of(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    default = {"https": 443, "http": 80}.get(scheme)
    return scheme, parts.hostname.lower(), port if port is not None else default


def same_origin(origin: str | None, referer: str | None, scheme: str, host: str) -> bool:
    """Whether a POST came from this site: its Origin header (else its Referer) names the
    scheme and host (`host` as the Host header has it, with port) it was sent to. A request
    naming neither passes here (old clients); the token check still holds it. `Origin: null`
    (a sandboxed or privacy-redirected page) is refused."""
    told = origin if origin is not None else referer
    if told is None:
        return True
    theirs = _origin_of(told)
    ours = _origin_of(f"{scheme}://{host}")
    return theirs is not None and ours is not None and theirs == ours


def cross_site_fetch(sec_fetch_site: str | None) -> bool:
    """The browser itself says the request came from another site (Sec-Fetch-Site)."""
    return sec_fetch_site is not None and sec_fetch_site.lower() == "cross-site"
