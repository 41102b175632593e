"""Digest authentication for SIP: RFC 7616 (MD5, SHA-256, SHA-512-256, -sess, qop=auth and
auth-int) as RFC 3261 §22 and RFC 8760 apply it; RFC 2617 answers to challenges without qop.

`DigestClient` answers 401/407 and builds the retry (§22.2: same request, CSeq + 1, new
branch). `DigestServer` issues nonces that carry their own timestamp and MAC, so it keeps no
state per challenge; expired nonces give stale=true and replayed nonce counts are refused.
Blocking a source after failures is the call server's policy (sim.pbx.guard).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from sipdect.sip.message import (
    Challenge,
    Credentials,
    Request,
    Response,
    SipParseError,
    SipUri,
    make_response,
    new_branch,
    new_tag,
)


def _hasher(name: str) -> Callable[[bytes], str]:
    def digest(data: bytes) -> str:
        return hashlib.new(name, data).hexdigest()
    return digest


# RFC 7616 §3.2 / RFC 8760 §2.2: algorithm token -> hash. "-sess" variants share them.
ALGORITHMS: dict[str, Callable[[bytes], str]] = {
    "MD5": _hasher("md5"),
    "SHA-256": _hasher("sha256"),
    "SHA-512-256": _hasher("sha512_256"),
}

DEFAULT_SERVER_ALGORITHMS = ("SHA-256", "MD5")
"""What a server offers, strongest first (RFC 8760 §2.4: clients take the first they know)."""

NONCE_LIFETIME = 300.0


def _split_algorithm(algorithm: str) -> tuple[Callable[[bytes], str], bool]:
    """The hash of `algorithm` and whether it is a -sess variant; KeyError if unknown."""
    upper = algorithm.upper()
    sess = upper.endswith("-SESS")
    base = upper[:-5] if sess else upper
    return ALGORITHMS[base], sess


def supported(algorithm: str) -> bool:
    try:
        _split_algorithm(algorithm)
    except KeyError:
        return False
    return True


def compute_response(*, algorithm: str, username: str, realm: str, password: str,
                     method: str, uri: str, nonce: str, nc: str | None = None,
                     cnonce: str | None = None, qop: str | None = None,
                     body: bytes = b"") -> str:
    """The `response` value of RFC 7616 §3.4.1 (RFC 2617 §3.2.2.1 when `qop` is None)."""
    h, sess = _split_algorithm(algorithm)
    ha1 = h(f"{username}:{realm}:{password}".encode())
    if sess:
        ha1 = h(f"{ha1}:{nonce}:{cnonce}".encode())
    if qop == "auth-int":
        ha2 = h(f"{method}:{uri}:{h(body)}".encode())
    else:
        ha2 = h(f"{method}:{uri}".encode())
    if qop is None:
        return h(f"{ha1}:{nonce}:{ha2}".encode())
    return h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}".encode())


def _qop_options(challenge: Challenge) -> list[str]:
    return [q.strip().lower() for q in challenge.params.get("qop", "").split(",") if q.strip()]


# -- client ------------------------------------------------------------------------------------


class DigestClient:
    """Answers Digest challenges for one account (RFC 7616 §3.4, RFC 3261 §22.2)."""

    def __init__(self, username: str, password: str, *,
                 cnonce: Callable[[], str] | None = None) -> None:
        self.username = username
        self.password = password
        self._cnonce = cnonce or (lambda: secrets.token_hex(16))
        self._nc: dict[str, int] = {}

    def credentials(self, challenge: Challenge, method: str, uri: str,
                    body: bytes = b"") -> Credentials:
        """Credentials answering `challenge` for a request `method uri`."""
        if challenge.scheme.lower() != "digest":
            raise ValueError(f"cannot answer a {challenge.scheme} challenge")
        p = challenge.params
        algorithm = p.get("algorithm", "MD5")
        realm, nonce = p.get("realm", ""), p.get("nonce", "")
        options = _qop_options(challenge)
        qop = "auth" if "auth" in options else ("auth-int" if "auth-int" in options else None)
        out: dict[str, str] = {"username": self.username, "realm": realm, "nonce": nonce,
                               "uri": uri}
        nc = cnonce = None
        if qop is not None:
            count = self._nc.get(nonce, 0) + 1
            self._nc[nonce] = count
            nc, cnonce = f"{count:08x}", self._cnonce()
        elif algorithm.upper().endswith("-SESS"):
            cnonce = self._cnonce()
        out["response"] = compute_response(
            algorithm=algorithm, username=self.username, realm=realm, password=self.password,
            method=method, uri=uri, nonce=nonce, nc=nc, cnonce=cnonce, qop=qop, body=body)
        if "algorithm" in p:
            out["algorithm"] = algorithm
        if cnonce is not None:
            out["cnonce"] = cnonce
        if "opaque" in p:
            out["opaque"] = p["opaque"]
        if qop is not None and nc is not None:
            out["qop"] = qop
            out["nc"] = nc
        return Credentials("Digest", out)

    def authorize(self, request: Request, response: Response) -> Request | None:
        """The retry of `request` after its 401/407 `response`, or None to give up.

        Gives up when no challenge is answerable, or when the request already carried our
        credentials for that realm and the challenge is not stale (a wrong password).
        """
        proxy = response.status == 407
        if response.status not in (401, 407):
            return None
        try:
            challenges = response.challenges(proxy)
        except SipParseError:
            return None
        chosen: dict[str, Challenge] = {}
        for ch in challenges:
            realm = ch.params.get("realm", "")
            if (ch.scheme.lower() == "digest" and realm not in chosen and "nonce" in ch.params
                    and supported(ch.params.get("algorithm", "MD5"))
                    and (not ch.params.get("qop") or {"auth", "auth-int"} & set(
                        _qop_options(ch)))):
                chosen[realm] = ch
        if not chosen:
            return None
        header = "Proxy-Authorization" if proxy else "Authorization"
        try:
            previous = {cr.params.get("realm", ""): cr for cr in request.credentials(proxy)}
        except SipParseError:
            previous = {}
        for realm, ch in chosen.items():
            if realm in previous and ch.params.get("stale", "").lower() != "true":
                return None
        retry = request.copy()
        kept = [str(cr) for realm, cr in previous.items() if realm not in chosen]
        uri = str(request.uri)
        new = [str(self.credentials(ch, request.method, uri, request.body))
               for ch in chosen.values()]
        retry.headers.set_all(header, [*kept, *new])
        cseq = request.cseq
        retry.headers.set("CSeq", f"{cseq.seq + 1} {cseq.method}")
        vias = retry.headers.get_all("Via")
        if vias:  # §8.1.1.7: a new request, so a new branch
            via = retry.top_via
            via.params["branch"] = new_branch()
            retry.headers.set_all("Via", [str(via), *vias[1:]])
        return retry


# -- server ------------------------------------------------------------------------------------


class AuthStatus(enum.Enum):
    OK = "ok"
    MISSING = "no credentials for the realm"
    STALE = "right password, expired nonce"
    FAILED = "wrong credentials"


@dataclass(frozen=True)
class AuthResult:
    """The verdict on one request's credentials."""

    status: AuthStatus
    """What happened."""
    username: str | None = None
    """The username the credentials named."""
    reason: str = ""
    """Why it failed, for a log line."""

    @property
    def ok(self) -> bool:
        return self.status is AuthStatus.OK


@dataclass
class DigestServer:
    """Challenges and verifies Digest credentials for one realm (RFC 7616 §3.3, §3.4)."""

    realm: str
    """The realm of the challenges."""
    algorithms: tuple[str, ...] = DEFAULT_SERVER_ALGORITHMS
    """Offered algorithms, one challenge each, preferred first."""
    nonce_lifetime: float = NONCE_LIFETIME
    """Seconds a nonce is good for; after that the answer is stale=true."""
    proxy: bool = False
    """Challenge with 407/Proxy-Authenticate instead of 401/WWW-Authenticate."""
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    """Key of the nonce MAC; nonces of another secret (e.g. before a restart) come back stale."""
    _nc: dict[str, tuple[int, float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name in self.algorithms:
            if not supported(name):
                raise ValueError(f"unknown digest algorithm {name!r}")

    # -- nonces ------------------------------------------------------------------------------

    def make_nonce(self, now: float) -> str:
        stamp = struct.pack(">d", now) + secrets.token_bytes(8)
        mac = hmac.new(self.secret, stamp + self.realm.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(stamp + mac).decode().rstrip("=")

    def _nonce_time(self, nonce: str) -> float | None:
        """When `nonce` was issued, or None if it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except ValueError:
            return None
        if len(raw) != 32:
            return None
        stamp, mac = raw[:16], raw[16:]
        good = hmac.new(self.secret, stamp + self.realm.encode(), hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(mac, good):
            return None
        issued: float = struct.unpack(">d", stamp[:8])[0]
        return issued

    # -- challenges --------------------------------------------------------------------------

    def challenges(self, now: float, *, stale: bool = False) -> list[Challenge]:
        nonce = self.make_nonce(now)
        out = []
        for algorithm in self.algorithms:
            params = {"realm": self.realm, "nonce": nonce, "algorithm": algorithm,
                      "qop": "auth"}
            if stale:
                params["stale"] = "true"
            out.append(Challenge("Digest", params))
        return out

    def challenge_response(self, request: Request, now: float, *, stale: bool = False,
                           to_tag: str | None = None) -> Response:
        """The 401 (or 407) carrying fresh challenges for `request`."""
        name = "Proxy-Authenticate" if self.proxy else "WWW-Authenticate"
        headers = [(name, str(ch)) for ch in self.challenges(now, stale=stale)]
        return make_response(request, 407 if self.proxy else 401,
                             to_tag=to_tag or new_tag(), headers=headers)

    # -- verification ------------------------------------------------------------------------

    def verify(self, request: Request, password_of: Callable[[str], str | None],
               now: float) -> AuthResult:
        """Check the request's credentials for this realm.

        `password_of(username)` gives the user's password or None for an unknown user.
        Answer MISSING and FAILED with `challenge_response`, STALE with
        `challenge_response(..., stale=True)`. Counting failures per source and blocking it
        is the server's policy (sim.pbx.guard), not the digest scheme's.
        """
        return self._check(request, password_of, now)

    def _find(self, request: Request) -> Credentials | None:
        try:
            for cred in request.credentials(self.proxy):
                if (cred.scheme.lower() == "digest"
                        and cred.params.get("realm") == self.realm):
                    return cred
        except SipParseError:
            return None
        return None

    def _check(self, request: Request, password_of: Callable[[str], str | None],
               now: float) -> AuthResult:
        cred = self._find(request)
        if cred is None:
            return AuthResult(AuthStatus.MISSING)
        p = cred.params
        username = p.get("username")
        missing = [k for k in ("username", "nonce", "uri", "response") if not p.get(k)]
        if missing or username is None:
            return AuthResult(AuthStatus.FAILED, username, f"credentials lack {missing}")
        algorithm = p.get("algorithm", "MD5")
        if algorithm.upper() not in (a.upper() for a in self.algorithms):
            return AuthResult(AuthStatus.FAILED, username, f"algorithm {algorithm} not offered")
        qop, nc, cnonce = p.get("qop"), p.get("nc"), p.get("cnonce")
        if qop != "auth" or not nc or not cnonce:
            return AuthResult(AuthStatus.FAILED, username, "qop=auth with nc and cnonce needed")
        try:
            count = int(nc, 16)
        except ValueError:
            return AuthResult(AuthStatus.FAILED, username, "bad nonce count")
        if not _same_target(p["uri"], request.uri):
            return AuthResult(AuthStatus.FAILED, username, "digest uri is not the Request-URI")
        password = password_of(username)
        if password is None:
            return AuthResult(AuthStatus.FAILED, username, "unknown user")
        expected = compute_response(
            algorithm=algorithm, username=username, realm=self.realm, password=password,
            method=request.method, uri=p["uri"], nonce=p["nonce"], nc=nc, cnonce=cnonce,
            qop=qop)
        if not hmac.compare_digest(expected, p["response"].lower()):
            return AuthResult(AuthStatus.FAILED, username, "wrong password")
        issued = self._nonce_time(p["nonce"])
        if issued is None or now - issued > self.nonce_lifetime or issued > now + 1:
            return AuthResult(AuthStatus.STALE, username, "nonce expired or unknown")
        last = self._nc.get(p["nonce"])
        if last is not None and count <= last[0]:
            return AuthResult(AuthStatus.FAILED, username, "nonce count replayed")
        self._remember(p["nonce"], count, issued, now)
        return AuthResult(AuthStatus.OK, username)

    def _remember(self, nonce: str, count: int, issued: float, now: float) -> None:
        if len(self._nc) > 10_000:
            horizon = now - self.nonce_lifetime
            self._nc = {n: v for n, v in self._nc.items() if v[1] >= horizon}
        self._nc[nonce] = (count, issued)


def _same_target(digest_uri: str, request_uri: SipUri) -> bool:
    """RFC 7616 §3.4.6: the digest uri names the Request-URI. Clients differ in case and in
    carrying uri-parameters, so scheme, user, host and port are compared (§19.1.4 style)."""
    if digest_uri == str(request_uri):
        return True
    try:
        uri = SipUri.parse(digest_uri)
    except SipParseError:
        return False
    return ((uri.scheme, uri.user, uri.host.lower(), uri.port)
            == (request_uri.scheme, request_uri.user, request_uri.host.lower(), request_uri.port))
