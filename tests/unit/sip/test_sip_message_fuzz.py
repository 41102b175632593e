"""SIP codec properties: generated messages round-trip, rewritten wire forms keep their
meaning, and no input raises anything but SipParseError (whose answers are valid SIP)."""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipdect.sip.constants import COMPACT_FORMS
from sipdect.sip.message import (
    AbsoluteUri,
    Address,
    Challenge,
    Credentials,
    CSeq,
    Headers,
    Request,
    Response,
    SipParseError,
    SipUri,
    StreamFramer,
    Via,
    parse_message,
    quote,
)

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
TOKEN = ALNUM + "-.!%*_+`'~"
UNRESERVED = ALNUM + "-_.!~*'()"
HEX = "0123456789abcdefABCDEF"

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
toplabel = st.from_regex(r"[a-z]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
hostname = st.builds(lambda ls, t: ".".join([*ls, t]), st.lists(label, max_size=3), toplabel)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(lambda a: str(ipaddress.IPv6Address(a)))
host = st.one_of(hostname, ipv4, ipv6)
port = st.none() | st.integers(1, 65535)
token = st.text(TOKEN, min_size=1, max_size=12)
escaped = st.builds(lambda a, b: f"%{a}{b}", st.sampled_from(HEX), st.sampled_from(HEX))


def chars(alphabet: str, min_size: int = 1) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(list(alphabet)) | escaped, min_size=min_size,
                    max_size=10).map("".join)


user = chars(UNRESERVED + "&=+$,;?/")
password = chars(UNRESERVED + "&=+$,", 0)
uri_param_name = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
uri_param_value = st.none() | chars(UNRESERVED + "[]/:&+$", 0)
uri_header = st.tuples(chars(UNRESERVED + "[]/?:+$"), chars(UNRESERVED + "[]/?:+$", 0))

sip_uri = st.builds(
    SipUri,
    host=host,
    user=st.none() | user,
    password=st.none(),
    port=port,
    scheme=st.sampled_from(["sip", "sips"]),
    params=st.dictionaries(uri_param_name, uri_param_value, max_size=3),
    headers=st.lists(uri_header, max_size=2),
)
sip_uri_with_password = st.builds(
    lambda u, pw: u.copy(user=u.user or "u", password=pw), sip_uri, password)
tel_uri = st.builds(lambda n: AbsoluteUri("tel", "+" + n), st.text("0123456789-", min_size=1,
                                                                    max_size=12))

display = st.none() | st.text(
    st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12)
quoted_value = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8).map(quote)
header_param_value = st.none() | token | quoted_value
header_params = st.dictionaries(token.map(str.lower), header_param_value, max_size=3)
address = st.builds(Address, uri=sip_uri | sip_uri_with_password | tel_uri, display_name=display,
                    params=header_params)
via = st.builds(
    lambda transport, h, p, branch, rport, extra: Via(
        transport, h, p, {"branch": "z9hG4bK" + branch, **rport,
                          **{"x-" + k: v for k, v in extra.items()}}),
    st.sampled_from(["UDP", "TCP", "TLS", "SCTP", "WS"]), host, port, token,
    st.sampled_from([{}, {"rport": None}, {"rport": "5060"}]), header_params)
call_id = st.builds(lambda a, b: a + (f"@{b}" if b else ""), token, st.none() | token)
method = st.sampled_from(["INVITE", "ACK", "BYE", "OPTIONS", "REGISTER", "INFO"]) | token
safe_value = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30).map(str.strip)
extra_header = st.tuples(token.map(lambda t: "X-" + t), safe_value)
body = st.binary(max_size=64)
SPECIAL = b'\r\n :;,<>"@\\\x00\xff=/[]%?'  # bytes that matter to the grammar


@st.composite
def messages(draw: st.DrawFn) -> Request | Response:
    h = Headers()
    for v in draw(st.lists(via, min_size=1, max_size=3)):
        h.add("Via", str(v))
    h.add("Max-Forwards", str(draw(st.integers(0, 255))))
    h.add("From", str(draw(address)))
    h.add("To", str(draw(address)))
    h.add("Call-ID", draw(call_id))
    m = draw(method)
    seq = draw(st.integers(0, 2**31 - 1))
    h.add("CSeq", str(CSeq(seq, m)))
    for route in draw(st.lists(address, max_size=2)):
        h.add("Route", str(Address(route.uri)))
    for contact in draw(st.lists(address, max_size=2)):
        h.add("Contact", str(contact))
    for name, value in draw(st.lists(extra_header, max_size=3)):
        h.add(name, value)
    payload = draw(body)
    if payload:
        h.add("Content-Type", "application/octet-stream")
    if draw(st.booleans()):
        return Request(m, draw(sip_uri), h, payload)
    reason = draw(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20))
    return Response(draw(st.integers(100, 699)), reason.strip(), h, payload)


@FAST
@given(messages())
def test_generated_messages_round_trip(m: Request | Response) -> None:
    assert parse_message(bytes(m)) == m
    assert parse_message(bytes(m), stream=True) == m


@st.composite
def rewritten(draw: st.DrawFn) -> tuple[Request | Response, bytes]:
    """A message and a differently spelled but equivalent wire form of it (§7.3.1)."""
    m = draw(messages())
    reverse = {v.lower(): k for k, v in COMPACT_FORMS.items()}
    lines: list[str] = []
    items = list(m.headers)
    i = 0
    while i < len(items):
        name, value = items[i]
        values = [value]
        joinable = name in ("Via", "Route", "Contact")
        while joinable and i + 1 < len(items) and items[i + 1][0] == name and draw(st.booleans()):
            i += 1
            values.append(items[i][1])
        i += 1
        if name.lower() in reverse and draw(st.booleans()):
            name = reverse[name.lower()]
        name = "".join(ch.upper() if draw(st.booleans()) else ch.lower() for ch in name)
        sep = draw(st.sampled_from([":", ": ", " :  ", "\t:\t"]))
        text = ", ".join(values)
        if " " in text and draw(st.booleans()):  # fold at a space
            cut = text.index(" ")
            text = text[:cut] + "\r\n " + text[cut + 1:]
        lines.append(f"{name}{sep}{text}")
    start = bytes(m).split(b"\r\n", 1)[0].decode("utf-8", "surrogateescape")
    cl_name = draw(st.sampled_from(["Content-Length", "l", "content-length"]))
    lines.append(f"{cl_name}: {len(m.body)}")
    lead = draw(st.sampled_from(["", "\r\n", "\r\n\r\n"]))
    head = lead + "\r\n".join([start, *lines]) + "\r\n\r\n"
    return m, head.encode("utf-8", "surrogateescape") + m.body


@FAST
@given(rewritten())
def test_rewritten_wire_forms_keep_their_meaning(case: tuple[Request | Response, bytes]) -> None:
    m, wire = case
    parsed = parse_message(wire)
    assert parsed == m
    assert parse_message(bytes(parsed)) == parsed
    assert parsed.via == m.via and parsed.cseq == m.cseq
    assert parsed.from_ == m.from_ and parsed.contacts == m.contacts


def _only_parse_errors(data: bytes) -> None:
    try:
        parse_message(data)
    except SipParseError as exc:
        response = exc.response()
        if response is not None:  # our answer to garbage must itself be good SIP
            wire = bytes(response)
            assert response.top_via and 400 <= response.status <= 599
            try:
                assert response.cseq.seq >= 0
            except SipParseError:  # a CSeq of the right shape but out of range, echoed
                return
            if all(name in response.headers for name in ("From", "To", "Call-ID")):
                assert parse_message(wire) == response


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_raise_only_sip_parse_error(data: bytes) -> None:
    _only_parse_errors(data)
    _only_parse_errors(b"INVITE sip:a@b SIP/2.0\r\n" + data)
    framer = StreamFramer()
    framer.feed(data)
    framer.feed(data)


@FAST
@given(messages(), st.data())
def test_mutated_messages_raise_only_sip_parse_error(m: Request | Response,
                                                      data: st.DataObject) -> None:
    wire = bytearray(bytes(m))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(wire)))
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        byte = data.draw(st.sampled_from(list(SPECIAL)) | st.integers(0, 255))
        if op == "flip" and pos < len(wire):
            wire[pos] = byte
        elif op == "insert":
            wire.insert(pos, byte)
        elif op == "delete" and pos < len(wire):
            del wire[pos]
        elif op == "truncate":
            del wire[pos:]
    _only_parse_errors(bytes(wire))
    chunks = StreamFramer()
    for item in chunks.feed(bytes(wire)):
        if isinstance(item, bytes):
            try:
                parse_message(item, stream=True)
            except SipParseError:
                pass


auth_params = st.dictionaries(
    token.map(str.lower) | st.sampled_from(["algorithm", "nc", "qop", "stale", "realm"]),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12), max_size=5)


@FAST
@given(token, auth_params)
def test_auth_headers_round_trip(scheme: str, params: dict[str, str]) -> None:
    challenge = Challenge(scheme, params)
    assert Challenge.parse(str(challenge)) == challenge
    credentials = Credentials(scheme, params)
    assert Credentials.parse(str(credentials)) == credentials


@FAST
@given(st.text(max_size=80))
def test_header_value_parsers_raise_only_sip_parse_error(text: str) -> None:
    for parse in (SipUri.parse, Address.parse, Via.parse, CSeq.parse, Challenge.parse):
        try:
            parse(text)
        except SipParseError:
            pass
