"""SIP message codec: RFC 3261 §7 (messages), §19.1 (SIP URIs), §20 (header fields), §25 (ABNF).

Parsing is strict and bounded (§18.3 framing, RFC 4475 torture cases): any input raises only
`SipParseError`, which carries the status a server answers a broken request with when the
request's Via is still readable. Content-Length is framing, not a header the caller keeps:
it is checked and dropped on parse and written from the body on serialisation.
"""

from __future__ import annotations

import enum
import ipaddress
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sipdect.sip import constants as c

# --------------------------------------------------------------------------- errors


class SipParseError(Exception):
    """A message broke the grammar or a limit.

    `status` is the response a server sends for it (None: do not answer, e.g. a broken
    response or unreadable garbage); `headers` are the readable header fields of a request
    (to copy Via/From/To/Call-ID/CSeq into that answer); `extra` are header fields the answer
    carries (e.g. Unsupported for 420).
    """

    def __init__(self, status: int | None, reason: str, *, headers: Headers | None = None,
                 extra: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers
        self.extra = list(extra)

    def response(self) -> Response | None:
        """The stateless answer (§8.2.6), or None when the client could not match it.

        Only readable values are copied: the Vias up to the first broken one, and From, To
        and Call-ID when they parse. Top Via and CSeq are required (§17.1.3).
        """
        if self.status is None or self.headers is None:
            return None
        h = Headers()
        for value in self.headers.get_all("Via"):
            try:
                Via.parse(value)
            except SipParseError:
                break
            h.add("Via", value)
        if "Via" not in h:
            return None
        checks: tuple[tuple[str, Callable[[str], object]], ...] = (
            ("From", Address.parse), ("To", Address.parse), ("Call-ID", _check_call_id))
        for name, check in checks:
            values = self.headers.get_all(name)
            try:
                if len(values) != 1:
                    raise _bad(f"{len(values)} {name} fields")
                check(values[0])
            except SipParseError:
                continue
            h.add(name, _with_to_tag(values[0], new_tag()) if name == "To" else values[0])
        cseq = self.headers.get("CSeq")
        if cseq is None or not _CSEQ_SHAPE_RE.fullmatch(cseq):
            return None
        h.add("CSeq", cseq)  # as sent, even if too large (RFC 4475 §3.1.2.4 wants a 400)
        for name, value in self.extra:
            h.add(name, value)
        # §21: the phrase may say what was wrong, which helps whoever reads a trace.
        reason = f"{c.reason_phrase(self.status)} ({_printable(self.reason)})"
        return Response(self.status, reason[:200], h)


def _bad(reason: str, status: int | None = 400) -> SipParseError:
    return SipParseError(status, reason)


def _printable(text: str) -> str:
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)


# --------------------------------------------------------------------------- grammar


_LWS = " \t"  # §25.1: linear white space is SP and HTAB (folding is undone before parsing)


def _ascii(pattern: str) -> re.Pattern[str]:
    """Compile with ASCII classes: \\d and \\s must not match other scripts' digits or spaces."""
    return re.compile(pattern, re.ASCII)


_ALNUM = "A-Za-z0-9"
_TOKEN_CHARS = _ALNUM + r"\-.!%*_+`'~"
_UNRESERVED = _ALNUM + r"\-_.!~*'()"
_ESCAPED = r"%[0-9A-Fa-f]{2}"
_TOKEN_RE = _ascii(rf"[{_TOKEN_CHARS}]+")
_METHOD_RE = _TOKEN_RE
_WORD = rf"[{_TOKEN_CHARS}()<>:\\\"/\[\]?{{}}]+"
_CALL_ID_RE = _ascii(rf"{_WORD}(?:@{_WORD})?")
_USER_RE = _ascii(rf"(?:[{_UNRESERVED}&=+$,;?/]|{_ESCAPED})+")
_PASSWORD_RE = _ascii(rf"(?:[{_UNRESERVED}&=+$,]|{_ESCAPED})*")
_URI_PARAM_RE = _ascii(rf"(?:[{_UNRESERVED}\[\]/:&+$]|{_ESCAPED})+")
_URI_PARAM_VALUE_RE = _ascii(rf"(?:[{_UNRESERVED}\[\]/:&+$]|{_ESCAPED})*")
_URI_HNAME_RE = _ascii(rf"(?:[{_UNRESERVED}\[\]/?:+$]|{_ESCAPED})+")
_URI_HVALUE_RE = _ascii(rf"(?:[{_UNRESERVED}\[\]/?:+$]|{_ESCAPED})*")
_HOSTNAME_RE = _ascii(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)*"
    r"[A-Za-z](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.?"
)
_IPV4_RE = _ascii(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_SCHEME_RE = _ascii(r"[A-Za-z][A-Za-z0-9+\-.]*")
_OPAQUE_RE = _ascii(r"[\x21\x23-\x3b\x3d\x3f-\x7e]+")  # printable ASCII but " < >
_GEN_VALUE_RE = _ascii(rf"[{_TOKEN_CHARS}\[\]:]+")
_HEADER_NAME_RE = _ascii(rf"[{_TOKEN_CHARS}]+")
_VERSION_RE = _ascii(r"[Ss][Ii][Pp]/(\d+)\.(\d+)")
_STATUS_LINE_RE = _ascii(r"[Ss][Ii][Pp]/(\d+)\.(\d+) (\d{3})(?: (.*))?")
_REQUEST_LIKE_RE = _ascii(rf"([{_TOKEN_CHARS}]+)[ \t]+(.*?)[ \t]+([Ss][Ii][Pp]/\S*)[ \t]*")
_VIA_RE = _ascii(
    rf"([{_TOKEN_CHARS}]+)\s*/\s*([{_TOKEN_CHARS}]+)\s*/\s*([{_TOKEN_CHARS}]+)\s+"
    r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(?:\s*:\s*(\d{1,5}))?\s*"
)
_CSEQ_RE = _ascii(rf"(\d{{1,10}})\s+([{_TOKEN_CHARS}]+)")
_CSEQ_SHAPE_RE = _ascii(rf"\d+\s+[{_TOKEN_CHARS}]+")
_DIGITS_RE = _ascii(r"\d{1,10}")
_AUTH_TOKEN_RE = _ascii(r'[^\s",]+')
_CTL_RE = _ascii(r"[\x00-\x08\x0a-\x1f\x7f]")


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in " \t":
        i += 1
    return i


def _quoted_end(text: str, i: int) -> int:
    """Index just past the quoted-string that starts at text[i] == '"'."""
    j, n = i + 1, len(text)
    while j < n:
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == '"':
            return j + 1
        j += 1
    raise _bad("unterminated quoted string")


def unquote(text: str) -> str:
    """The content of a quoted-string (§25.1), quoted-pairs resolved; other text unchanged."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return text
    out: list[str] = []
    i, n = 1, len(text) - 1
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def quote(text: str) -> str:
    """`text` as a quoted-string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value at commas outside quotes and <...> (§7.3.1)."""
    parts: list[str] = []
    depth = 0
    start = i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if ch == '"':
            i = _quoted_end(value, i)
            continue
        if ch == "<":
            depth += 1
        elif ch == ">" and depth:
            depth -= 1
        elif ch == "," and not depth:
            parts.append(value[start:i].strip(_LWS))
            start = i + 1
        i += 1
    parts.append(value[start:].strip(_LWS))
    return [p for p in parts if p]


Params = dict[str, str | None]
"""Parameters by lower-cased name; a flag parameter (no `=`) has the value None."""


def parse_params(text: str, what: str) -> Params:
    """Header parameters `*( SEMI generic-param )` (§25.1); values are kept as written."""
    params: Params = {}
    i, n = 0, len(text)
    while True:
        i = _skip_ws(text, i)
        if i >= n:
            return params
        if text[i] != ";":
            raise _bad(f"unexpected {text[i]!r} in {what}")
        i = _skip_ws(text, i + 1)
        m = _TOKEN_RE.match(text, i)
        if m is None:
            raise _bad(f"bad parameter name in {what}")
        name = m.group().lower()
        i = _skip_ws(text, m.end())
        value: str | None = None
        if i < n and text[i] == "=":
            i = _skip_ws(text, i + 1)
            if i < n and text[i] == '"':
                end = _quoted_end(text, i)
                value, i = text[i:end], end
            else:
                m = _GEN_VALUE_RE.match(text, i)
                if m is None:
                    raise _bad(f"bad value of parameter {name!r} in {what}")
                value, i = m.group(), m.end()
        if name in params:
            raise _bad(f"parameter {name!r} given twice in {what}")
        params[name] = value


def format_params(params: Params) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


def _check_host(host: str, what: str) -> str:
    """Validate `host` (brackets already removed from an IPv6 reference); return it."""
    if not host:
        raise _bad(f"empty host in {what}")
    if ":" in host:
        try:
            if "%" in host:  # Python takes zone ids; RFC 3261 §25.1 IPv6reference does not
                raise ValueError(host)
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _bad(f"bad IPv6 address in {what}") from None
        return host
    if _IPV4_RE.fullmatch(host):
        if any(int(part) > 255 for part in host.split(".")):
            raise _bad(f"bad IPv4 address in {what}")
        return host
    if not _HOSTNAME_RE.fullmatch(host):
        raise _bad(f"bad host name in {what}")
    return host


def _split_hostport(text: str, what: str) -> tuple[str, int | None]:
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise _bad(f"unterminated IPv6 reference in {what}")
        host, rest = text[1:end], text[end + 1:]
        if ":" not in host:
            raise _bad(f"bad IPv6 reference in {what}")
    else:
        host, sep, port_text = text.partition(":")
        rest = sep + port_text
    port: int | None = None
    if rest:
        if not rest.startswith(":") or not rest[1:].isascii() or not rest[1:].isdigit():
            raise _bad(f"bad port in {what}")
        if len(rest) > 6 or int(rest[1:]) > 65535:
            raise _bad(f"port out of range in {what}")
        port = int(rest[1:])
    return _check_host(host, what), port


def format_host(host: str) -> str:
    """`host` as it appears in a URI or Via: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host else host


def is_ip(text: str) -> bool:
    """Whether `text` is an IPv4 or IPv6 address literal (no brackets, no zone)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return "%" not in text


def _same_ip(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


# --------------------------------------------------------------------------- URIs


@dataclass
class SipUri:
    """A sip: or sips: URI (§19.1.1). Escapes in the user part are kept as written."""

    host: str
    """Host name or IP address; an IPv6 address without brackets."""
    user: str | None = None
    """User part, escaped as on the wire (it may hold ';' and '?', as in RFC 4475 semiuri)."""
    password: str | None = None
    """Password after `user:` (discouraged by §19.1.1 but legal)."""
    port: int | None = None
    """Port, or None for the transport's default."""
    scheme: str = "sip"
    """"sip" or "sips", lower case."""
    params: Params = field(default_factory=dict)
    """uri-parameters by lower-cased name (transport, lr, maddr, user, ...)."""
    headers: list[tuple[str, str]] = field(default_factory=list)
    """URI headers (`?name=value&...`), as written."""

    @classmethod
    def parse(cls, text: str) -> SipUri:
        """Parse a SIP or SIPS URI; 416 for another scheme, 400 for a bad one."""
        scheme, colon, rest = text.partition(":")
        if not colon or not _SCHEME_RE.fullmatch(scheme):
            raise _bad(f"not a URI: {text[:60]!r}")
        scheme = scheme.lower()
        if scheme not in ("sip", "sips"):
            raise _bad(f"unsupported URI scheme {scheme!r}", 416)
        user = password = None
        if "@" in rest:
            userinfo, _, rest = rest.partition("@")
            if "@" in rest:
                raise _bad("more than one '@' in SIP URI")
            user, _, pw = userinfo.partition(":")
            if not _USER_RE.fullmatch(user):
                raise _bad("bad user part in SIP URI")
            if ":" in userinfo:
                if not _PASSWORD_RE.fullmatch(pw):
                    raise _bad("bad password in SIP URI")
                password = pw
        rest, qmark, header_text = rest.partition("?")
        hostport, *param_items = rest.split(";")
        host, port = _split_hostport(hostport, "SIP URI")
        params: Params = {}
        for item in param_items:
            name, eq, value = item.partition("=")
            if not _URI_PARAM_RE.fullmatch(name) or not _URI_PARAM_VALUE_RE.fullmatch(value):
                raise _bad("bad parameter in SIP URI")
            name = name.lower()
            if name in params:
                raise _bad(f"URI parameter {name!r} given twice")
            params[name] = value if eq else None
        headers: list[tuple[str, str]] = []
        if qmark:
            for item in header_text.split("&"):
                name, eq, value = item.partition("=")
                if not eq or not _URI_HNAME_RE.fullmatch(name) or not _URI_HVALUE_RE.fullmatch(
                        value):
                    raise _bad("bad header in SIP URI")
                headers.append((name, value))
        return cls(host, user, password, port, scheme, params, headers)

    def __str__(self) -> str:
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(self.user)
            if self.password is not None:
                out.append(":" + self.password)
            out.append("@")
        out.append(format_host(self.host))
        if self.port is not None:
            out.append(f":{self.port}")
        out.append(format_params(self.params))
        if self.headers:
            out.append("?" + "&".join(f"{k}={v}" for k, v in self.headers))
        return "".join(out)

    @property
    def secure(self) -> bool:
        return self.scheme == "sips"

    @property
    def lr(self) -> bool:
        """The loose-routing flag (§19.1.1, §16.12)."""
        return "lr" in self.params

    @property
    def transport(self) -> str | None:
        value = self.params.get("transport")
        return value.lower() if value else None

    def copy(self, **changes: object) -> SipUri:
        """A copy with fresh parameter/header containers; `changes` replace fields."""
        new = SipUri(self.host, self.user, self.password, self.port, self.scheme,
                     dict(self.params), list(self.headers))
        for name, value in changes.items():
            setattr(new, name, value)
        return new


@dataclass
class AbsoluteUri:
    """Any URI that is not sip/sips (tel:, urn:, http:, ...), kept opaque (§19.1.6)."""

    scheme: str
    """Scheme, lower case."""
    opaque: str
    """Everything after the colon."""

    def __str__(self) -> str:
        return f"{self.scheme}:{self.opaque}"


Uri = SipUri | AbsoluteUri


def parse_uri(text: str) -> Uri:
    """A SipUri for sip/sips, an AbsoluteUri for other schemes."""
    scheme, colon, rest = text.partition(":")
    if not colon or not _SCHEME_RE.fullmatch(scheme):
        raise _bad(f"not a URI: {text[:60]!r}")
    if scheme.lower() in ("sip", "sips"):
        return SipUri.parse(text)
    if not _OPAQUE_RE.fullmatch(rest):
        raise _bad(f"bad {scheme.lower()} URI")
    return AbsoluteUri(scheme.lower(), rest)


# --------------------------------------------------------------------------- header values


@dataclass
class Address:
    """name-addr or addr-spec with header parameters: From, To, Contact, Route (§20.10)."""

    uri: Uri
    """The address."""
    display_name: str | None = None
    """Display name, unquoted; None when absent."""
    params: Params = field(default_factory=dict)
    """Header parameters (tag, expires, q, ...) by lower-cased name."""

    @classmethod
    def parse(cls, text: str) -> Address:
        s = text.strip(_LWS)
        if not s:
            raise _bad("empty address")
        display: str | None = None
        if s[0] == '"':
            end = _quoted_end(s, 0)
            display = unquote(s[:end])
            i = _skip_ws(s, end)
            if i >= len(s) or s[i] != "<":
                raise _bad("quoted display name without <URI>")
        else:
            i = next((k for k, ch in enumerate(s) if ch in '<;"'), len(s))
            if i < len(s) and s[i] == "<":
                words = [w for w in s[:i].replace("\t", " ").split(" ") if w]
                if any(not _TOKEN_RE.fullmatch(w) for w in words):
                    raise _bad("bad display name")
                display = " ".join(words)
            else:
                i = -1
        if i >= 0:
            gt = s.find(">", i)
            if gt < 0:
                raise _bad("missing '>' in address")
            uri_text, rest = s[i + 1:gt], s[gt + 1:]
        else:
            # addr-spec: §20.10, whatever follows the first ';' belongs to the header.
            uri_text, semi, rest = s.partition(";")
            rest = semi + rest
            uri_text = uri_text.rstrip(_LWS)
        if not uri_text or any(ch in uri_text for ch in " \t<"):
            raise _bad("bad URI in address")
        return cls(parse_uri(uri_text), display or None, parse_params(rest, "address"))

    def __str__(self) -> str:
        name = quote(self.display_name) + " " if self.display_name else ""
        return f"{name}<{self.uri}>{format_params(self.params)}"

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    @property
    def sip_uri(self) -> SipUri:
        """The URI as a SipUri; 416 when it has another scheme."""
        if not isinstance(self.uri, SipUri):
            raise _bad(f"{self.uri.scheme}: URI where a SIP URI is needed", 416)
        return self.uri


@dataclass
class Via:
    """One Via value (§20.42, RFC 3581 rport)."""

    transport: str
    """Transport, upper case (UDP, TCP, TLS, SCTP, WS...)."""
    host: str
    """sent-by host; an IPv6 address without brackets."""
    port: int | None = None
    """sent-by port, or None for the default."""
    params: Params = field(default_factory=dict)
    """Parameters (branch, received, rport, maddr, ttl, ...) by lower-cased name."""
    protocol: str = c.SIP_VERSION
    """sent-protocol name and version, normally SIP/2.0."""

    @classmethod
    def parse(cls, text: str) -> Via:
        s = text.strip(_LWS)
        m = _VIA_RE.match(s)
        if m is None:
            raise _bad("bad Via")
        name, version, transport, host_text, port_text = m.groups()
        if host_text.startswith("["):
            host = _check_host(host_text[1:-1], "Via")
        else:
            host = _check_host(host_text, "Via")
        port = int(port_text) if port_text else None
        if port is not None and port > 65535:
            raise _bad("port out of range in Via")
        params = parse_params(s[m.end():], "Via")
        for key in ("branch", "received", "maddr", "ttl"):
            if key in params and not params[key]:
                raise _bad(f"empty {key} in Via")
        rport = params.get("rport")
        if rport is not None and (not _DIGITS_RE.fullmatch(rport) or int(rport) > 65535):
            raise _bad("bad rport in Via")
        received = params.get("received")
        if received is not None and not is_ip(received):
            raise _bad("received in Via is not an IP address")
        return cls(transport.upper(), host, port, params, f"{name.upper()}/{version}")

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.protocol}/{self.transport} {format_host(self.host)}{port}" + format_params(
            self.params)

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        return self.params.get("received")

    @property
    def rport(self) -> int | None:
        """The rport value filled in by the server (RFC 3581), None if absent or empty."""
        value = self.params.get("rport")
        return int(value) if value else None

    @property
    def sent_by(self) -> str:
        return format_host(self.host) + (f":{self.port}" if self.port is not None else "")

    @property
    def rfc3261(self) -> bool:
        """The branch carries the magic cookie (§8.1.1.7)."""
        return (self.branch or "").startswith(c.MAGIC_COOKIE)


@dataclass(frozen=True)
class CSeq:
    """CSeq (§20.16)."""

    seq: int
    """Sequence number, below 2**31."""
    method: str
    """Method, case-sensitive."""

    @classmethod
    def parse(cls, text: str) -> CSeq:
        m = _CSEQ_RE.fullmatch(text.strip(_LWS))
        if m is None:
            raise _bad("bad CSeq")
        seq = int(m.group(1))
        if seq > c.MAX_CSEQ:
            raise _bad("CSeq number not below 2**31")
        return cls(seq, m.group(2))

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


# Parameters RFC 7616 §3.3/§3.4 send as tokens; everything else is quoted.
_UNQUOTED_CHALLENGE = frozenset({"algorithm", "stale"})
_UNQUOTED_CREDENTIALS = frozenset({"algorithm", "nc", "qop", "userhash"})


def _parse_auth(text: str, what: str) -> tuple[str, dict[str, str]]:
    s = text.strip(_LWS)
    m = _TOKEN_RE.match(s)
    if m is None:
        raise _bad(f"bad {what}")
    scheme = m.group()
    params: dict[str, str] = {}
    for item in split_list(s[m.end():]):
        name, eq, value = item.partition("=")
        name, value = name.strip(_LWS).lower(), value.strip(_LWS)
        if not eq or not _TOKEN_RE.fullmatch(name):
            raise _bad(f"bad parameter in {what}")
        if value.startswith('"'):
            if _quoted_end(value, 0) != len(value):
                raise _bad(f"bad quoted value in {what}")
            value = unquote(value)
        elif not _AUTH_TOKEN_RE.fullmatch(value):
            raise _bad(f"bad value of {name!r} in {what}")
        if name in params:
            raise _bad(f"parameter {name!r} given twice in {what}")
        params[name] = value
    return scheme, params


def _format_auth(scheme: str, params: dict[str, str], unquoted: frozenset[str]) -> str:
    items = [f"{k}={v}" if k in unquoted and _TOKEN_RE.fullmatch(v) else f"{k}={quote(v)}"
             for k, v in params.items()]
    return f"{scheme} " + ", ".join(items)


@dataclass
class Challenge:
    """WWW-Authenticate or Proxy-Authenticate (§20.44, RFC 7616 §3.3)."""

    scheme: str
    """Authentication scheme, e.g. Digest."""
    params: dict[str, str] = field(default_factory=dict)
    """auth-params by lower-cased name, unquoted."""

    @classmethod
    def parse(cls, text: str) -> Challenge:
        return cls(*_parse_auth(text, "challenge"))

    def __str__(self) -> str:
        return _format_auth(self.scheme, self.params, _UNQUOTED_CHALLENGE)


@dataclass
class Credentials:
    """Authorization or Proxy-Authorization (§20.7, RFC 7616 §3.4)."""

    scheme: str
    """Authentication scheme, e.g. Digest."""
    params: dict[str, str] = field(default_factory=dict)
    """auth-params by lower-cased name, unquoted."""

    @classmethod
    def parse(cls, text: str) -> Credentials:
        return cls(*_parse_auth(text, "credentials"))

    def __str__(self) -> str:
        return _format_auth(self.scheme, self.params, _UNQUOTED_CREDENTIALS)


# --------------------------------------------------------------------------- headers

_CANONICAL: dict[str, str] = {name.lower(): name for name in c.HEADER_NAMES}
_COMPACT_KEYS: dict[str, str] = {k: v.lower() for k, v in c.COMPACT_FORMS.items()}


def canonical_name(name: str) -> str:
    """Long form in its usual spelling for known headers and compact forms; others as given."""
    lower = name.lower()
    return c.COMPACT_FORMS.get(lower) or _CANONICAL.get(lower, name)


def _key(name: str) -> str:
    """What header names are compared by: the long form, lower case."""
    lower = name.lower()
    return _COMPACT_KEYS.get(lower, lower)


def _fields(name: str, value: str) -> list[tuple[str, str, str]]:
    """(name, value, key) fields for a checked name; a §7.3.1 comma list split."""
    canonical = canonical_name(name)
    key = canonical.lower()
    value = value.strip(_LWS)
    if key in c.LIST_HEADERS and value != "*":
        return [(canonical, item, key) for item in split_list(value)]
    return [(canonical, value, key)]


class Headers:
    """Header fields in order; names compared case-insensitively, compact forms expanded."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str, str]] = []  # (name, value, _key(name))
        for name, value in items:
            self.add(name, value)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((n, v) for n, v, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = _key(name)
        return any(k == key for _, _, k in self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return [(k, v) for _, v, k in self._items] == [(k, v) for _, v, k in other._items]

    def __repr__(self) -> str:
        return f"Headers({list(self)!r})"

    def counts(self) -> dict[str, int]:
        """How many fields there are of each name (by lower-case long form)."""
        out: dict[str, int] = {}
        for _, _, k in self._items:
            out[k] = out.get(k, 0) + 1
        return out

    @staticmethod
    def _check(name: str, value: str) -> list[tuple[str, str, str]]:
        """Validated fields for `name: value`; a §7.3.1 comma list becomes one per value."""
        if not _HEADER_NAME_RE.fullmatch(name):
            raise ValueError(f"bad SIP header name {name!r}")
        if "\r" in value or "\n" in value:
            raise ValueError(f"line break in the value of SIP header {name}")
        try:
            return _fields(name, value)
        except SipParseError as exc:
            raise ValueError(f"{canonical_name(name)}: {exc.reason}") from None

    def _index(self, key: str) -> int | None:
        return next((i for i, (_, _, k) in enumerate(self._items) if k == key), None)

    def get(self, name: str) -> str | None:
        """The first value of `name`, or None."""
        key = _key(name)
        return next((v for _, v, k in self._items if k == key), None)

    def get_all(self, name: str) -> list[str]:
        key = _key(name)
        return [v for _, v, k in self._items if k == key]

    def add(self, name: str, value: str) -> None:
        """Append `name: value` (a comma list as one field per value)."""
        self._items.extend(self._check(name, value))

    def prepend(self, name: str, value: str) -> None:
        """Insert `value` before the first field of `name` (or at the top): e.g. a new Via."""
        items = self._check(name, value)
        index = self._index(_key(name)) or 0
        self._items[index:index] = items

    def set(self, name: str, value: str) -> None:
        """Replace all fields of `name` by `value`, where the first one was (else at the end)."""
        self.set_all(name, [value])

    def set_all(self, name: str, values: Iterable[str]) -> None:
        """Replace all fields of `name` by `values`, where the first one was (else at the end)."""
        key = _key(name)
        index = self._index(key)
        new = [item for v in values for item in self._check(name, v)]
        self._items = [item for item in self._items if item[2] != key]
        if index is None:
            index = len(self._items)
        self._items[index:index] = new

    def remove(self, name: str) -> None:
        key = _key(name)
        self._items = [item for item in self._items if item[2] != key]

    def copy(self) -> Headers:
        new = Headers()
        new._items = list(self._items)
        return new


# --------------------------------------------------------------------------- messages


class _Message:
    """What requests and responses share: typed access to the header fields."""

    headers: Headers
    body: bytes

    def _one(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise _bad(f"missing {name}")
        return value

    @property
    def via(self) -> list[Via]:
        return [Via.parse(v) for v in self.headers.get_all("Via")]

    @property
    def top_via(self) -> Via:
        return Via.parse(self._one("Via"))

    @property
    def from_(self) -> Address:
        return Address.parse(self._one("From"))

    @property
    def to(self) -> Address:
        return Address.parse(self._one("To"))

    @property
    def call_id(self) -> str:
        return self._one("Call-ID")

    @property
    def cseq(self) -> CSeq:
        return CSeq.parse(self._one("CSeq"))

    @property
    def max_forwards(self) -> int | None:
        value = self.headers.get("Max-Forwards")
        return None if value is None else _max_forwards(value)

    @property
    def contact_star(self) -> bool:
        """`Contact: *` (§10.2.2, removing all bindings)."""
        return self.headers.get_all("Contact") == ["*"]

    @property
    def contacts(self) -> list[Address]:
        return [Address.parse(v) for v in self.headers.get_all("Contact") if v != "*"]

    @property
    def routes(self) -> list[Address]:
        return [Address.parse(v) for v in self.headers.get_all("Route")]

    @property
    def record_routes(self) -> list[Address]:
        return [Address.parse(v) for v in self.headers.get_all("Record-Route")]

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    @property
    def expires(self) -> int | None:
        value = self.headers.get("Expires")
        if value is None:
            return None
        if not _DIGITS_RE.fullmatch(value) or int(value) > c.MAX_DELTA_SECONDS:
            raise _bad("bad Expires")
        return int(value)

    def challenges(self, proxy: bool = False) -> list[Challenge]:
        """WWW-Authenticate (or Proxy-Authenticate) values."""
        name = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
        return [Challenge.parse(v) for v in self.headers.get_all(name)]

    def credentials(self, proxy: bool = False) -> list[Credentials]:
        """Authorization (or Proxy-Authorization) values."""
        name = "Proxy-Authorization" if proxy else "Authorization"
        return [Credentials.parse(v) for v in self.headers.get_all(name)]

    def option_tags(self, name: str) -> list[str]:
        """Option tags of Require, Proxy-Require, Supported or Unsupported."""
        return [t for v in self.headers.get_all(name) for t in split_list(v)]

    def _serialise(self, start: str) -> bytes:
        lines = [start]
        lines.extend(f"{n}: {v}" for n, v in self.headers)
        lines.append(f"Content-Length: {len(self.body)}")
        head = "\r\n".join(lines) + "\r\n\r\n"
        return head.encode("utf-8", "surrogateescape") + self.body


@dataclass(eq=True)
class Request(_Message):
    """A SIP request (§7.1)."""

    method: str
    """Method, case-sensitive (INVITE, ACK, ...)."""
    uri: SipUri
    """Request-URI."""
    headers: Headers = field(default_factory=Headers)
    """Header fields without Content-Length."""
    body: bytes = b""
    """Message body."""

    def __bytes__(self) -> bytes:
        return self._serialise(f"{self.method} {self.uri} {c.SIP_VERSION}")

    def copy(self) -> Request:
        return Request(self.method, self.uri.copy(), self.headers.copy(), self.body)


@dataclass(eq=True)
class Response(_Message):
    """A SIP response (§7.2)."""

    status: int
    """Status code, 100-699."""
    reason: str = ""
    """Reason phrase."""
    headers: Headers = field(default_factory=Headers)
    """Header fields without Content-Length."""
    body: bytes = b""
    """Message body."""

    def __bytes__(self) -> bytes:
        return self._serialise(f"{c.SIP_VERSION} {self.status} {self.reason}")

    def copy(self) -> Response:
        return Response(self.status, self.reason, self.headers.copy(), self.body)

    @property
    def provisional(self) -> bool:
        return self.status < 200


Message = Request | Response


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Limits:
    """Bounds on what the parser accepts; exceeding them gives the status in brackets."""

    max_message_size: int = c.MAX_MESSAGE_SIZE
    """Bytes in one datagram or framed message [513]."""
    max_header_count: int = c.MAX_HEADER_COUNT
    """Header fields, after splitting comma lists [513]."""
    max_line_length: int = c.MAX_LINE_LENGTH
    """Bytes in one (unfolded) header line [513]."""
    max_uri_length: int = c.MAX_URI_LENGTH
    """Characters in the Request-URI [414]."""
    max_body_size: int = c.MAX_MESSAGE_SIZE
    """Bytes announced by Content-Length on a stream [413]."""


DEFAULT_LIMITS = Limits()


def _max_forwards(value: str) -> int:
    if not _DIGITS_RE.fullmatch(value) or int(value) > c.MAX_FORWARDS_LIMIT:
        raise _bad("bad Max-Forwards")
    return int(value)


def _split_head(data: bytes) -> tuple[bytes, bytes] | None:
    """Header section and body, split at the empty line (CRLF, tolerating bare LF)."""
    end = _head_end(data)
    if end is None:
        return None
    sep = 4 if data[end - 4:end] == b"\r\n\r\n" else 2
    return data[: end - sep], data[end:]


def _header_lines(head: str, limits: Limits | None) -> tuple[str, list[tuple[str, str]]]:
    """Start line and raw (name, value) pairs, continuation lines unfolded (§7.3.1).

    Without `limits` the scan is lenient (bad lines skipped), to salvage what an error
    answer needs.
    """
    raw_lines = head.replace("\r\n", "\n").split("\n")
    start = raw_lines[0]
    fields: list[tuple[str, str]] = []
    for line in raw_lines[1:]:
        if line[:1] in (" ", "\t"):
            if not fields:
                if limits is None:
                    continue
                raise _bad("continuation line before the first header")
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {line.strip(_LWS)}")
        else:
            name, colon, value = line.partition(":")
            name = name.rstrip(" \t")
            if not colon or not _HEADER_NAME_RE.fullmatch(name):
                if limits is None:
                    continue
                raise _bad(f"bad header line {_printable(line[:40])!r}")
            fields.append((name, value.strip(_LWS)))
        if limits is not None and len(fields[-1][1]) + len(fields[-1][0]) > limits.max_line_length:
            raise _bad(f"header line longer than {limits.max_line_length} bytes", 513)
    return start, fields


def _collect(fields: list[tuple[str, str]], limits: Limits) -> tuple[Headers, list[str]]:
    """Headers with lists split; the Content-Length values are returned apart."""
    headers = Headers()
    lengths: list[str] = []
    for name, value in fields:
        if _CTL_RE.search(value):
            raise _bad(f"control character in {name}")
        if _key(name) == "content-length":
            lengths.append(value)
            continue
        headers._items.extend(_fields(name, value))  # the name passed _header_lines
        if len(headers) > limits.max_header_count:
            raise _bad(f"more than {limits.max_header_count} header fields", 513)
    return headers, lengths


def _content_length(values: list[str], limits: Limits) -> int | None:
    if not values:
        return None
    if len(values) > 1:
        raise _bad("more than one Content-Length")
    if not _DIGITS_RE.fullmatch(values[0]):
        raise _bad("bad Content-Length")
    length = int(values[0])
    if length > limits.max_body_size:
        raise _bad(f"body of {length} bytes exceeds {limits.max_body_size}", 413)
    return length


def _check_call_id(value: str) -> str:
    if not _CALL_ID_RE.fullmatch(value):
        raise _bad("bad Call-ID")
    return value


def _check_common(headers: Headers) -> None:
    """The fields every message needs (§8.1.1) and their syntax."""
    counts = headers.counts()
    for name in ("via", "from", "to", "call-id", "cseq"):
        if name not in counts:
            raise _bad(f"missing {canonical_name(name)}")
    for name in c.SINGLETON_HEADERS:
        if counts.get(name, 0) > 1:
            raise _bad(f"more than one {canonical_name(name)}")
    for value in headers.get_all("Via"):
        Via.parse(value)
    for name in ("From", "To"):
        Address.parse(headers.get(name) or "")
    _check_call_id(headers.get("Call-ID") or "")
    CSeq.parse(headers.get("CSeq") or "")
    mf = headers.get("Max-Forwards")
    if mf is not None:
        _max_forwards(mf)
    for name in ("Contact", "Route", "Record-Route"):
        for value in headers.get_all(name):
            if not (name == "Contact" and value == "*"):
                Address.parse(value)


def parse_message(data: bytes, limits: Limits = DEFAULT_LIMITS, *,
                  stream: bool = False) -> Message:
    """Parse one message: a UDP datagram, or (`stream`) one message a StreamFramer cut out.

    On a datagram a missing Content-Length means "the rest"; bytes beyond it are dropped
    (§18.3). On a stream Content-Length is required and must match exactly.
    """
    try:
        return _parse(data, limits, stream)
    except SipParseError as exc:
        raise _with_essentials(data, exc, limits) from None


def _parse(data: bytes, limits: Limits, stream: bool) -> Message:
    if len(data) > limits.max_message_size:
        raise _bad(f"message of {len(data)} bytes exceeds {limits.max_message_size}", 513)
    data = data.lstrip(b"\r\n")  # §7.5: CRLFs before the start line are ignored
    parts = _split_head(data)
    if parts is None:
        raise _bad("no empty line after the header fields")
    head_bytes, body = parts
    start, fields = _header_lines(head_bytes.decode("utf-8", "surrogateescape"), limits)
    headers, lengths = _collect(fields, limits)
    length = _content_length(lengths, limits)
    if stream and length is None:
        raise _bad("missing Content-Length on a stream transport")
    if length is not None:
        if len(body) < length:
            raise _bad(f"body has {len(body)} bytes, Content-Length says {length}")
        if stream and len(body) > length:
            raise _bad("more bytes than Content-Length in a framed message")
        body = body[:length]
    if start[:4].upper() == "SIP/":
        return _parse_response(start, headers, body)
    return _parse_request(start, headers, body, limits)


def _parse_request(start: str, headers: Headers, body: bytes, limits: Limits) -> Request:
    if not _REQUEST_LIKE_RE.fullmatch(start):
        raise _bad("bad request line")
    method, uri_text, version = start.split(" ", 2) if start.count(" ") == 2 else ("", "", "")
    if not method:
        raise _bad("request line needs exactly one space between its three parts")
    if not _METHOD_RE.fullmatch(method):
        raise _bad("bad method")
    vm = _VERSION_RE.fullmatch(version)
    if vm is None:
        raise _bad("bad SIP version")
    if (vm.group(1), vm.group(2)) != ("2", "0"):
        raise _bad(f"{version} is not supported", 505)
    if len(uri_text) > limits.max_uri_length:
        raise _bad(f"Request-URI longer than {limits.max_uri_length}", 414)
    if uri_text.startswith("<"):
        raise _bad("Request-URI in angle brackets")
    uri = SipUri.parse(uri_text)
    _check_common(headers)
    cseq = CSeq.parse(headers.get("CSeq") or "")
    if cseq.method != method:
        raise _bad(f"CSeq method {cseq.method} does not match {method}")
    return Request(method, uri, headers, body)


def _parse_response(start: str, headers: Headers, body: bytes) -> Response:
    m = _STATUS_LINE_RE.fullmatch(start)
    if m is None:
        raise _bad("bad status line", None)
    if (m.group(1), m.group(2)) != ("2", "0"):
        raise _bad("unsupported SIP version in response", None)
    status = int(m.group(3))
    if not 100 <= status <= 699:
        raise _bad("status code out of range", None)
    reason = m.group(4) or ""
    if _CTL_RE.search(reason):
        raise _bad("control character in reason phrase", None)
    _check_common(headers)
    return Response(status, reason, headers, body)


def _with_essentials(data: bytes, exc: SipParseError, limits: Limits) -> SipParseError:
    """Attach what a request's answer needs; a response or unreadable input is not answered."""
    if exc.status is None:
        return exc
    head = bytes(data[: limits.max_message_size]).lstrip(b"\r\n")
    parts = _split_head(head)
    if parts is not None:
        head = parts[0]
    start, fields = _header_lines(head.decode("utf-8", "surrogateescape"), None)
    if start[:4].upper() == "SIP/" or not _REQUEST_LIKE_RE.fullmatch(start):
        exc.status = None
        return exc
    keep = Headers()
    for name, value in fields:
        canonical = canonical_name(name)
        if canonical not in ("Via", "From", "To", "Call-ID", "CSeq") or _CTL_RE.search(value):
            continue
        try:
            for item in split_list(value) if canonical == "Via" else [value]:
                keep.add(canonical, item)
        except SipParseError:
            continue
    exc.headers = keep
    return exc


# --------------------------------------------------------------------------- stream framing


@dataclass(frozen=True)
class KeepAlive:
    """A CRLF keep-alive seen between messages on a stream (RFC 5626 §3.5.1)."""

    ping: bool
    """True for a ping (CRLFCRLF) that wants a CRLF pong back; False for a pong."""


@dataclass(frozen=True)
class FramingLost:
    """The stream can no longer be cut into messages: answer if possible, then close."""

    error: SipParseError
    """What broke; `error.response()` is the answer to send first, if there is one."""


def _head_end(buf: bytes | bytearray) -> int | None:
    """Index just past the empty line that ends the header section."""
    crlf = buf.find(b"\r\n\r\n")
    lf = buf.find(b"\n\n")
    if crlf < 0 and lf < 0:
        return None
    if lf < 0 or 0 <= crlf < lf:
        return crlf + 4
    return lf + 2


class StreamFramer:
    """Cuts a TCP/TLS byte stream into messages by Content-Length (§18.3, §7.5).

    `feed` returns whole messages (bytes for `parse_message(..., stream=True)`), keep-alives,
    and at most once a final FramingLost (Content-Length missing, unreadable or too large,
    header section too long), after which it returns nothing more.
    """

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.lost = False
        self._buffer = bytearray()
        self._need: int | None = None  # length of the message being read, once known

    def feed(self, data: bytes) -> list[bytes | KeepAlive | FramingLost]:
        if self.lost:
            return []
        self._buffer += data
        out: list[bytes | KeepAlive | FramingLost] = []
        while True:
            try:
                item = self._next()
            except SipParseError as exc:
                self.lost = True
                self._buffer.clear()
                out.append(FramingLost(exc))
                return out
            if item is None:
                return out
            out.append(item)

    def _next(self) -> bytes | KeepAlive | None:
        buf = self._buffer
        if self._need is None:
            while buf and buf[0] in b"\r\n":
                if buf.startswith(c.CRLF_PING):
                    del buf[:4]
                    return KeepAlive(ping=True)
                if len(buf) < 4 and c.CRLF_PING.startswith(bytes(buf)):
                    return None  # perhaps the first half of a ping
                if buf.startswith(c.CRLF_PONG):
                    del buf[:2]
                    return KeepAlive(ping=False)
                del buf[:1]  # a stray CR or LF before a start line (§7.5)
            end = _head_end(buf)
            if end is None:
                if len(buf) > self.limits.max_message_size:
                    raise _with_essentials(bytes(buf), _bad(
                        "header section exceeds the message size limit", 513), self.limits)
                return None
            head = bytes(buf[:end])
            try:
                self._need = end + self._content_length(head)
            except SipParseError as exc:
                raise _with_essentials(head, exc, self.limits) from None
        if len(buf) < self._need:
            return None
        message = bytes(buf[: self._need])
        del buf[: self._need]
        self._need = None
        return message

    def _content_length(self, head: bytes) -> int:
        start, fields = _header_lines(head.decode("utf-8", "surrogateescape"), None)
        if not (_REQUEST_LIKE_RE.fullmatch(start) or _STATUS_LINE_RE.fullmatch(start)):
            raise _bad(f"not a SIP message (starts {_printable(start[:20])!r})", None)
        values = {v for n, v in fields if canonical_name(n) == "Content-Length"}
        length = _content_length(sorted(values), self.limits)
        if length is None:
            raise _bad("missing Content-Length on a stream transport")
        if len(head) + length > self.limits.max_message_size:
            raise _bad(f"message exceeds {self.limits.max_message_size} bytes", 513)
        return length


# --------------------------------------------------------------------------- builders


def new_branch() -> str:
    """A fresh RFC 3261 branch (§8.1.1.7)."""
    return c.MAGIC_COOKIE + secrets.token_hex(8)


def new_tag() -> str:
    return secrets.token_hex(6)


def new_call_id(host: str = "") -> str:
    return secrets.token_hex(12) + (f"@{host}" if host and ":" not in host else "")


def _with_to_tag(to_value: str, tag: str) -> str:
    """`to_value` as written plus `;tag=` when it has no tag yet (§8.2.6.2)."""
    try:
        to = Address.parse(to_value)
    except SipParseError:
        return to_value
    return to_value if to.tag is not None else f"{to_value};tag={tag}"


def make_response(request: Request, status: int, reason: str | None = None, *,
                  to_tag: str | None = None, headers: Iterable[tuple[str, str]] = (),
                  body: bytes = b"") -> Response:
    """A response to `request` per §8.2.6.2: Via, From, To, Call-ID and CSeq copied.

    `to_tag` is added to To when it has none (not on 100, §8.2.6.2). Timestamp is echoed
    on 100 (§8.2.6.1).
    """
    h = Headers()
    for value in request.headers.get_all("Via"):
        h.add("Via", value)
    for name in ("From", "To", "Call-ID", "CSeq"):
        copied = request.headers.get(name)
        if copied is not None:
            if name == "To" and to_tag is not None and status != 100:
                copied = _with_to_tag(copied, to_tag)
            h.add(name, copied)
    timestamp = request.headers.get("Timestamp")
    if status == 100 and timestamp is not None:
        h.add("Timestamp", timestamp)
    for name, value in headers:
        h.add(name, value)
    return Response(status, reason if reason is not None else c.reason_phrase(status), h, body)


def check_require(request: Request, supported: Iterable[str], header: str = "Require") -> None:
    """Raise 420 Bad Extension listing the option tags of `header` not in `supported`.

    §8.2.2.3 (Require, for a UAS) and §16.3 (Proxy-Require, for a proxy); ACK and CANCEL
    are exempt.
    """
    if request.method in ("ACK", "CANCEL"):
        return
    known = {s.lower() for s in supported}
    missing = [t for t in request.option_tags(header) if t.lower() not in known]
    if missing:
        raise SipParseError(420, f"unsupported extension {', '.join(missing)}",
                            headers=request.headers, extra=[("Unsupported", ", ".join(missing))])


# --------------------------------------------------------------------------- transport addresses


class Transport(enum.StrEnum):
    """The transports of Via and `;transport=` (§18)."""

    UDP = "UDP"
    TCP = "TCP"
    TLS = "TLS"

    @property
    def reliable(self) -> bool:
        return self is not Transport.UDP

    @property
    def default_port(self) -> int:
        return c.DEFAULT_TLS_PORT if self is Transport.TLS else c.DEFAULT_PORT


@dataclass(frozen=True)
class Peer:
    """Where a message goes or came from."""

    transport: Transport
    """Transport to use."""
    host: str
    """IP address or host name, IPv6 without brackets."""
    port: int
    """Port."""

    def __str__(self) -> str:
        return f"{self.transport.lower()}:{format_host(self.host)}:{self.port}"


def uri_destination(uri: SipUri) -> Peer:
    """Where to send a request for `uri` without DNS SRV (RFC 3263 §4 with a literal host).

    A sips URI always means TLS (§26.2.2); maddr overrides the host (§19.1.1).
    """
    name = uri.transport
    if uri.secure or name == "tls":
        transport = Transport.TLS
    elif name == "tcp":
        transport = Transport.TCP
    else:
        transport = Transport.UDP
    host = uri.params.get("maddr") or uri.host
    return Peer(transport, host, uri.port or transport.default_port)


def stamp_via(request: Request, host: str, port: int) -> None:
    """Stamp received (and rport, RFC 3581 §4) on the top Via of a request from host:port.

    §18.2.1 adds received when sent-by is not the source address. A received or rport the
    sender wrote itself is overwritten too, so it cannot steer our answers elsewhere.
    """
    values = request.headers.get_all("Via")
    if not values:
        return
    via = Via.parse(values[0])
    stamped = dict(via.params)
    if "rport" in via.params:
        stamped["rport"] = str(port)
        stamped["received"] = host
    elif not _same_ip(via.host, host) or "received" in via.params:
        stamped["received"] = host
    if stamped != via.params:
        via.params = stamped
        request.headers.set_all("Via", [str(via), *values[1:]])


def response_destination(via: Via, transport: Transport, source: Peer | None = None) -> Peer:
    """Where a server sends a response (§18.2.2, RFC 3581 §4).

    On a reliable transport the connection it came on (`source`) is preferred; otherwise
    received (or the sent-by host) and rport (or the sent-by port).
    """
    if transport.reliable and source is not None:
        return source
    if "maddr" in via.params and via.params["maddr"]:
        return Peer(transport, via.params["maddr"] or via.host, via.port or transport.default_port)
    host = via.received or via.host
    port = via.rport or via.port or transport.default_port
    return Peer(transport, host, port)
