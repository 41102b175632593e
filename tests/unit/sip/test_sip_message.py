"""SIP codec: URIs, header values, RFC 4475-style valid oddities and invalid messages.

The messages are written here in the spirit of RFC 4475 §3.1 (not copied from it): each
valid one must parse to the stated values and survive a round trip; each invalid request
must raise SipParseError with the status a server answers.
"""

from __future__ import annotations

import pytest

from sipdect.sip.message import (
    AbsoluteUri,
    Address,
    Challenge,
    Credentials,
    CSeq,
    FramingLost,
    Headers,
    KeepAlive,
    Limits,
    Peer,
    Request,
    Response,
    SipParseError,
    SipUri,
    StreamFramer,
    Transport,
    Via,
    check_require,
    make_response,
    parse_message,
    parse_uri,
    response_destination,
    split_list,
    stamp_via,
    uri_destination,
)


def msg(text: str) -> bytes:
    """Test messages are written with \\n; the wire has CRLF."""
    return text.replace("\n", "\r\n").encode("utf-8", "surrogateescape")


def roundtrip(m: Request | Response) -> None:
    assert parse_message(bytes(m)) == m


def status_of(data: bytes, **kw: object) -> int | None:
    with pytest.raises(SipParseError) as info:
        parse_message(data, **kw)  # type: ignore[arg-type]
    return info.value.status


BASIC = """\
OPTIONS sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 63104 OPTIONS
Content-Length: 0

"""


# -- URIs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "sip:bob@biloxi.example.com",
    "sips:bob:secret@biloxi.example.com:5061;transport=tcp;lr",
    "sip:[2001:db8::10]:5070;maddr=[2001:db8::1]",
    "sip:alice@192.0.2.4;user=phone?Subject=hi&Priority=urgent",
    "sip:user;par=u%40example.net@example.com",
    "sip:null-%00-null@example.com",
    "sip:host.example.com.",
    "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
    "(doesn't-it)@example.com",
])
def test_sip_uri_round_trips(text: str) -> None:
    uri = SipUri.parse(text)
    assert str(uri) == text
    assert SipUri.parse(str(uri)) == uri


def test_sip_uri_fields() -> None:
    uri = SipUri.parse("SIPS:bob:pw@[2001:DB8::10]:5061;Transport=TCP;lr;maddr=10.0.0.1?h=v")
    assert uri.scheme == "sips" and uri.secure
    assert (uri.user, uri.password, uri.host, uri.port) == ("bob", "pw", "2001:DB8::10", 5061)
    assert uri.params == {"transport": "TCP", "lr": None, "maddr": "10.0.0.1"}
    assert uri.transport == "tcp" and uri.lr
    assert uri.headers == [("h", "v")]
    assert str(uri) == "sips:bob:pw@[2001:DB8::10]:5061;transport=TCP;lr;maddr=10.0.0.1?h=v"
    semi = SipUri.parse("sip:user;par=u%40example.net@example.com")
    assert semi.user == "user;par=u%40example.net" and semi.params == {}


@pytest.mark.parametrize("text,status", [
    ("sip:", 400),
    ("sip:@example.com", 400),
    ("sip:a@b@example.com", 400),
    ("sip:bob@example.com:", 400),
    ("sip:bob@example.com:70000", 400),
    ("sip:bob@[::1", 400),
    ("sip:bob@[zz::1]", 400),
    ("sip:bob@[fe80::1%eth0]", 400),
    ("sip:bob@256.1.1.1", 400),
    ("sip:bob@exa mple.com", 400),
    ("sip:bob@example.com;lr;lr", 400),
    ("sip:bob@example.com?noequals", 400),
    ("sip:bo<b@example.com", 400),
    ("http://example.com/", 416),
    ("nobodyKnowsThisScheme:totallyopaquecontent", 416),
])
def test_bad_sip_uris(text: str, status: int) -> None:
    with pytest.raises(SipParseError) as info:
        SipUri.parse(text)
    assert info.value.status == status


def test_other_schemes_are_opaque_in_header_values() -> None:
    assert parse_uri("tel:+358-555-1234567;postd=pp22") == AbsoluteUri(
        "tel", "+358-555-1234567;postd=pp22")
    to = Address.parse("<kitty:chinchilla@example.com;fur=grey>;tag=9")
    assert to.uri == AbsoluteUri("kitty", "chinchilla@example.com;fur=grey")
    assert to.tag == "9"
    with pytest.raises(SipParseError) as info:
        _ = to.sip_uri
    assert info.value.status == 416


# -- header values ----------------------------------------------------------------------------


def test_name_addr_forms() -> None:
    a = Address.parse('"Alice \\"Al\\" A." <sip:alice@atlanta.example.com>;tag=88sja8x')
    assert a.display_name == 'Alice "Al" A.' and a.tag == "88sja8x"
    assert Address.parse(str(a)) == a
    b = Address.parse("caller<sip:caller@example.com>;tag=323")  # no LWS before <
    assert b.display_name == "caller" and b.tag == "323"
    c = Address.parse("J   Rosenberg  <sip:j@example.com>")
    assert c.display_name == "J Rosenberg"
    # addr-spec: the ;tag belongs to the header, not the URI (§20.10)
    d = Address.parse("sip:bob@biloxi.example.com;tag=a6c85cf")
    assert d.tag == "a6c85cf" and isinstance(d.uri, SipUri) and d.uri.params == {}
    e = Address.parse('<sip:u@h>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"')
    assert e.params["+sip.instance"] == '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"'
    assert Address.parse('"" <sip:u@h>').display_name is None


@pytest.mark.parametrize("text", [
    '"unterminated <sip:u@h>',
    "<sip:u@h",
    "Bad\"Name <sip:u@h>",
    "<sip:u@h>;tag=1;tag=2",
    "<sip:u@h>;=x",
    "< sip:u@h>",
    "",
])
def test_bad_addresses(text: str) -> None:
    with pytest.raises(SipParseError):
        Address.parse(text)


def test_via_forms() -> None:
    v = Via.parse("SIP  /  2.0  /  udp   [2001:db8::9:1]:5060 ; branch = z9hG4bKas3 ;rport;"
                  "received=2001:db8::9:255")
    assert (v.transport, v.host, v.port) == ("UDP", "2001:db8::9:1", 5060)
    assert v.branch == "z9hG4bKas3" and v.rport is None and "rport" in v.params
    assert v.received == "2001:db8::9:255" and v.rfc3261
    assert Via.parse(str(v)) == v
    assert Via.parse("SIP/2.0/UNKNOWN host.example.com;branch=x").transport == "UNKNOWN"
    assert not Via.parse("SIP/2.0/UDP h;branch=1234").rfc3261
    assert Via.parse("SIP/2.0/UDP h;rport=5062").rport == 5062
    for bad in ("SIP/2.0 h", "SIP/2.0/UDP", "SIP/2.0/UDP h:99999", "SIP/2.0/UDP h;rport=x",
                "SIP/2.0/UDP h;branch=", "SIP/2.0/UDP h junk"):
        with pytest.raises(SipParseError):
            Via.parse(bad)


def test_cseq() -> None:
    assert CSeq.parse(" 4711   INVITE ") == CSeq(4711, "INVITE")
    for bad in ("INVITE", "1", "-1 INVITE", "2147483648 INVITE", "36893488147419103232 REGISTER"):
        with pytest.raises(SipParseError):
            CSeq.parse(bad)


def test_auth_headers_keep_their_commas() -> None:
    ch = Challenge.parse('Digest realm="atlanta.example.com", domain="sip:ss1.example.com",'
                         ' qop="auth,auth-int", nonce="f84f1cec41e6cbe5aea9c8e88d359",'
                         ' opaque="", stale=FALSE, algorithm=MD5')
    assert ch.scheme == "Digest"
    assert ch.params["qop"] == "auth,auth-int" and ch.params["opaque"] == ""
    assert Challenge.parse(str(ch)) == ch
    cr = Credentials.parse('Digest username="bob", realm="r", nonce="n", uri="sip:r",'
                           ' response="abc", qop=auth, nc=00000001, cnonce="x"')
    assert 'qop=auth' in str(cr) and 'nc=00000001' in str(cr) and 'cnonce="x"' in str(cr)
    assert Credentials.parse(str(cr)) == cr
    for bad in ('Digest realm="x', "Digest realm", 'Digest a="1", a="2"', ""):
        with pytest.raises(SipParseError):
            Challenge.parse(bad)


def test_split_list_respects_quotes_and_brackets() -> None:
    assert split_list('"A, B" <sip:a@h>, <sip:b@h;x=1,2>,  ,sip:c@h') == [
        '"A, B" <sip:a@h>', "<sip:b@h;x=1,2>", "sip:c@h"]


def test_headers_are_case_insensitive_and_expand_compact_forms() -> None:
    h = Headers([("v", "SIP/2.0/UDP a"), ("CALL-id", "x"), ("X-Odd", "1")])
    assert list(h) == [("Via", "SIP/2.0/UDP a"), ("Call-ID", "x"), ("X-Odd", "1")]
    assert h.get("i") == "x" and "x-odd" in h and h.get("Nope") is None
    h.prepend("Via", "SIP/2.0/UDP b")
    assert h.get_all("Via") == ["SIP/2.0/UDP b", "SIP/2.0/UDP a"]
    h.set("Via", "SIP/2.0/TCP c")
    assert h.get_all("Via") == ["SIP/2.0/TCP c"] and list(h)[0][0] == "Via"
    assert Headers([("x-odd", "1")]) == Headers([("X-ODD", "1")])
    with pytest.raises(ValueError):
        h.add("Subject", "evil\r\nInjected: yes")
    with pytest.raises(ValueError):
        h.add("Bad Name", "x")


# -- valid oddities ---------------------------------------------------------------------------


def test_basic_request() -> None:
    m = parse_message(msg(BASIC))
    assert isinstance(m, Request)
    assert m.method == "OPTIONS" and m.uri.user == "bob"
    assert m.top_via.branch == "z9hG4bKhjhs8ass877"
    assert m.from_.display_name == "Alice" and m.from_.tag == "1928301774"
    assert m.to.tag is None and m.call_id == "a84b4c76e66710"
    assert m.cseq == CSeq(63104, "OPTIONS") and m.max_forwards == 70
    assert "Content-Length" not in m.headers and m.body == b""
    roundtrip(m)


TORTUOUS = """\
INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0
TO :
 sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n
from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.ndaksdj@192.0.2.1
Content-Length   : 150
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;branch=390skdjuw
s :
NewFangledHeader:   newfangled value
 continued newfangled value
UnknownHeaderWithUnusualValue: ;;,,;;,;
Content-Type: application/sdp
Route:
 <sip:services.example.com;lr;unknownwith=value;unknown-no-value>
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.3
s=-
c=IN IP4 192.0.2.4
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
"""


def test_tortuous_invite() -> None:
    data = msg(TORTUOUS)
    body_start = data.index(b"v=0")
    data = data.replace(b"Content-Length   : 150",
                        f"Content-Length   : {len(data) - body_start}".encode())
    m = parse_message(data)
    assert isinstance(m, Request)
    assert m.uri.params == {"unknownparam": None}
    assert m.to.tag == "1918181833n"
    assert m.from_.display_name == 'J Rosenberg \\"' and m.from_.tag == "98asjd8"
    assert m.max_forwards == 68
    assert m.cseq == CSeq(9, "INVITE")
    assert [v.transport for v in m.via] == ["UDP", "TCP", "UDP"]
    assert [v.branch for v in m.via] == ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"]
    assert m.headers.get("Subject") == ""
    assert m.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert m.headers.get("unknownheaderwithunusualvalue") == ";;,,;;,;"
    assert m.routes[0].sip_uri.params["unknownwith"] == "value"
    (contact,) = m.contacts
    assert contact.display_name == 'Quoted string ""'
    assert contact.params == {"newparam": "newvalue", "secondparam": None, "q": "0.33"}
    assert m.body.startswith(b"v=0\r\n") and m.body.endswith(b"a=rtpmap:31 LPC\r\n")
    roundtrip(m)


def test_unusual_method_and_uri_characters() -> None:
    method = "!interesting-Method0123456789_*+`.%indeed'~"
    uri = ("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
           "(doesn't-it)@example.com")
    data = msg(BASIC.replace("OPTIONS sip:bob@biloxi.example.com", f"{method} {uri}")
               .replace("63104 OPTIONS", f"63104 {method}"))
    m = parse_message(data)
    assert isinstance(m, Request) and m.method == method and str(m.uri) == uri
    assert m.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    roundtrip(m)


def test_escapes_and_semicolons_in_user_part() -> None:
    for uri in ("sip:null-%00-null@example.com", "sip:user;par=u%40example.net@example.com",
                "sip:%61lice@atlanta.example.com;transport=TCP"):
        m = parse_message(msg(BASIC.replace("sip:bob@biloxi.example.com SIP", f"{uri} SIP")))
        assert isinstance(m, Request) and str(m.uri) == uri


def test_trailing_message_after_content_length_is_dropped() -> None:
    """A datagram may carry junk after Content-Length bytes (§18.3)."""
    m = parse_message(msg(BASIC + "INVITE sip:x@y SIP/2.0\n\n"))
    assert isinstance(m, Request) and m.method == "OPTIONS" and m.body == b""


def test_udp_without_content_length_takes_the_rest() -> None:
    data = msg(BASIC.replace("Content-Length: 0\n", "")) + b"hello"
    m = parse_message(data)
    assert m.body == b"hello"


def test_leading_crlf_and_bare_lf_line_ends_are_tolerated() -> None:
    m = parse_message(b"\r\n\r\n" + BASIC.encode())
    assert isinstance(m, Request) and m.cseq.seq == 63104


def test_ipv6_and_unknown_transports() -> None:
    text = BASIC.replace(
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877",
        "Via: SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3-111\n"
        "Via: SIP/2.0/SCTP t1.example.com;branch=z9hG4bKkdjuw, SIP/2.0/TLS-SCTP t2.example.com"
        ";branch=z9hG4bK1, SIP/2.0/UNKNOWN t3.example.com;branch=z9hG4bK2"
    ).replace("sip:bob@biloxi.example.com SIP", "sip:[2001:db8::10]:5070 SIP")
    m = parse_message(msg(text))
    assert isinstance(m, Request) and m.uri.host == "2001:db8::10" and m.uri.port == 5070
    assert [v.transport for v in m.via] == ["UDP", "SCTP", "TLS-SCTP", "UNKNOWN"]
    roundtrip(m)


def test_multipart_body_is_opaque_bytes() -> None:
    body = (b"--boundary42\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n"
            b"--boundary42\r\nContent-Type: application/octet-stream\r\n\r\n\x00\xff\x01\r\n"
            b"--boundary42--\r\n")
    text = BASIC.replace("Content-Length: 0\n",
                         f"Content-Type: multipart/mixed;boundary=boundary42\n"
                         f"Content-Length: {len(body)}\n")
    m = parse_message(msg(text) + body)
    assert m.body == body and m.content_type == "multipart/mixed;boundary=boundary42"
    roundtrip(m)


def test_latin1_display_name_survives_byte_for_byte() -> None:
    data = msg(BASIC).replace(b"From: Alice", b'From: "J\xf6rg"')
    m = parse_message(data)
    assert bytes(m).count(b'"J\xf6rg"') == 1
    roundtrip(m)


def test_responses_with_odd_reason_phrases() -> None:
    text = BASIC.replace("OPTIONS sip:bob@biloxi.example.com SIP/2.0", "SIP/2.0 100 ")
    m = parse_message(msg(text))
    assert isinstance(m, Response) and (m.status, m.reason) == (100, "")
    m = parse_message(msg(text.replace("SIP/2.0 100 ", "SIP/2.0 200")))
    assert isinstance(m, Response) and m.status == 200
    m = parse_message(msg(text.replace("SIP/2.0 100 ", "SIP/2.0 404 Nobody home")))
    assert isinstance(m, Response) and m.reason == "Nobody home" and m.provisional is False
    roundtrip(m)


def test_contact_star_and_comma_lists() -> None:
    text = BASIC.replace("Content-Length: 0\n", "Contact: *\nExpires: 0\n")
    m = parse_message(msg(text))
    assert m.contact_star and m.contacts == [] and m.expires == 0
    text = BASIC.replace(
        "Content-Length: 0\n",
        'Contact: "Lee, M." <sip:lee@h1>;q=0.5, <sip:lee@h2>\nSupported: path, gruu\n'
        "Require: 100rel\n")
    m = parse_message(msg(text))
    assert [c.display_name for c in m.contacts] == ["Lee, M.", None]
    assert m.option_tags("Supported") == ["path", "gruu"]
    assert m.headers.get_all("Contact") == ['"Lee, M." <sip:lee@h1>;q=0.5', "<sip:lee@h2>"]


def test_compact_forms_become_long_names() -> None:
    text = """\
REGISTER sip:example.com SIP/2.0
v: SIP/2.0/TCP client.example.com:5060;branch=z9hG4bK74b43
f: <sip:bob@example.com>;tag=a73kszlfl
t: <sip:bob@example.com>
i: 1j9FpLxk3uxtm8tn@example.com
CSeq: 1 REGISTER
m: <sip:bob@client.example.com>
k: path
l: 0

"""
    m = parse_message(msg(text))
    assert [n for n, _ in m.headers] == ["Via", "From", "To", "Call-ID", "CSeq", "Contact",
                                        "Supported"]
    assert b"\r\nContent-Length: 0\r\n\r\n" in bytes(m)


# -- invalid messages -------------------------------------------------------------------------


@pytest.mark.parametrize("old,new,status", [
    ("SIP/2.0\n", "SIP/7.0\n", 505),
    ("OPTIONS sip:bob@biloxi.example.com", "OPTIONS nobodyKnowsThisScheme:totallyopaque", 416),
    ("OPTIONS sip:bob@biloxi.example.com", "OPTIONS <sip:bob@biloxi.example.com>", 400),
    ("OPTIONS sip:bob@biloxi.example.com", "OPTIONS sip:bob@biloxi.example.com; lr", 400),
    ("OPTIONS sip:bob@biloxi.example.com", "OPTIONS  sip:bob@biloxi.example.com", 400),
    ("OPTIONS sip:bob@biloxi.example.com SIP/2.0", "OPTIONS sip:bob@biloxi.example.com SIP/2.0 ",
     400),
    ("OPTIONS sip:bob@biloxi.example.com", "OPTIONS sip:b ob@biloxi.example.com", 400),
    ("Content-Length: 0", "Content-Length: 9999", 400),
    ("Content-Length: 0", "Content-Length: -5", 400),
    ("Content-Length: 0", "Content-Length: 0\nContent-Length: 0", 400),
    ("CSeq: 63104 OPTIONS", "CSeq: 36893488147419103232 OPTIONS", 400),
    ("CSeq: 63104 OPTIONS", "CSeq: 63104 INVITE", 400),
    ("CSeq: 63104 OPTIONS", "CSeq: 63104 OPTIONS\nCSeq: 63105 OPTIONS", 400),
    ("Max-Forwards: 70", "Max-Forwards: 300", 400),
    ("Max-Forwards: 70", "Max-Forwards: seventy", 400),
    ("Max-Forwards: 70", "Max-Forwards: \u0667\u0660", 400),  # Arabic-Indic digits
    ("Content-Length: 0", "Content-Length: \uff10", 400),  # a fullwidth zero
    ("To: <sip:bob@biloxi.example.com>", 'To: "Bob <sip:bob@biloxi.example.com>', 400),
    ("To: <sip:bob@biloxi.example.com>", "To: sip:bob@biloxi.example.com;tag=1; >", 400),
    ("Call-ID: a84b4c76e66710\n", "", 400),
    ("From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n", "", 400),
    ("Call-ID: a84b4c76e66710", "Call-ID: a84b 4c76e66710", 400),
    ("Call-ID: a84b4c76e66710", "Call-ID: a84b4c76e66710\nContact: <sip:x@h", 400),
    ("Max-Forwards: 70", "Max-Forwards: 70\nBad Header: x", 400),
    ("Max-Forwards: 70", "Max-Forwards: 70\nX-Nul: a\x00b", 400),
    ("Content-Length: 0\n", "Content-Length: 0", 400),
])
def test_invalid_requests_get_their_status(old: str, new: str, status: int) -> None:
    text = BASIC.replace(old, new, 1)
    assert text != BASIC
    with pytest.raises(SipParseError) as info:
        parse_message(msg(text))
    exc = info.value
    assert exc.status == status, exc.reason
    response = exc.response()
    assert response is not None and response.status == status
    assert response.top_via.branch == "z9hG4bKhjhs8ass877"


def test_error_response_copies_essentials_and_adds_a_to_tag() -> None:
    data = msg(BASIC.replace("SIP/2.0\n", "SIP/3.0\n", 1))
    with pytest.raises(SipParseError) as info:
        parse_message(data)
    response = info.value.response()
    assert response is not None
    assert response.status == 505 and response.reason.startswith("Version Not Supported")
    assert response.call_id == "a84b4c76e66710" and response.cseq == CSeq(63104, "OPTIONS")
    assert response.from_.tag == "1928301774" and response.to.tag
    assert (response.headers.get("To") or "").startswith("<sip:bob@biloxi.example.com>;tag=")
    roundtrip(response)


def test_request_with_unreadable_cseq_is_not_answered() -> None:
    """§17.1.3: a client matches answers by Via branch and CSeq method."""
    for cseq in ("CSeq: \u0661 OPTIONS", "CSeq: OPTIONS"):
        with pytest.raises(SipParseError) as info:
            parse_message(msg(BASIC.replace("CSeq: 63104 OPTIONS", cseq)))
        assert info.value.status == 400 and info.value.response() is None


def test_request_with_unreadable_via_is_not_answered() -> None:
    data = msg(BASIC.replace("Via: SIP/2.0/UDP pc33", "Via: SIP/2.0 pc33"))
    with pytest.raises(SipParseError) as info:
        parse_message(data)
    assert info.value.status == 400 and info.value.response() is None


@pytest.mark.parametrize("data", [
    b"",
    b"\r\n\r\n",
    b"garbage",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello on the UDP port
    msg("SIP/2.0 4294967301 better not break the receiver\n" + BASIC.split("\n", 1)[1]),
    msg("SIP/2.0 99 Too low\n" + BASIC.split("\n", 1)[1]),
    msg("SIP/2.0 200 OK\n" + BASIC.split("\n", 1)[1].replace(
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877\n", "")),
    msg("SIP/3.0 200 OK\n" + BASIC.split("\n", 1)[1]),
])
def test_garbage_and_broken_responses_are_never_answered(data: bytes) -> None:
    with pytest.raises(SipParseError) as info:
        parse_message(data)
    assert info.value.response() is None


def test_size_limits() -> None:
    huge = msg(BASIC.replace("Content-Length: 0\n", "")) + b"x" * 70_000
    assert status_of(huge) == 513
    long_uri = "sip:" + "a" * 5000 + "@example.com"
    assert status_of(msg(BASIC.replace("sip:bob@biloxi.example.com SIP", f"{long_uri} SIP"))) == 414
    many = BASIC.replace("Content-Length: 0\n", "X-A: 1\n" * 300)
    assert status_of(msg(many)) == 513
    long_line = BASIC.replace("Content-Length: 0\n", "X-A: " + "b" * 9000 + "\n")
    assert status_of(msg(long_line)) == 513
    small = Limits(max_message_size=300)
    assert status_of(msg(BASIC) + b" " * 100, limits=small) == 513


def test_require_check_gives_420_with_unsupported() -> None:
    m = parse_message(msg(BASIC.replace("Content-Length: 0\n", "Require: 100rel, foo\n")))
    assert isinstance(m, Request)
    check_require(m, ["100rel", "FOO"])  # option tags compare case-insensitively
    with pytest.raises(SipParseError) as info:
        check_require(m, ["100rel"])
    response = info.value.response()
    assert response is not None and response.status == 420
    assert response.headers.get("Unsupported") == "foo"


# -- stream framing ---------------------------------------------------------------------------


def test_framer_cuts_by_content_length_whatever_the_chunking() -> None:
    body = b"v=0\r\n"
    one = msg(BASIC.replace("Content-Length: 0", f"Content-Length: {len(body)}")) + body
    stream = b"\r\n\r\n" + one + one + b"\r\n"
    for size in (1, 3, 7, len(stream)):
        framer = StreamFramer()
        items: list[bytes | KeepAlive | FramingLost] = []
        for i in range(0, len(stream), size):
            items += framer.feed(stream[i:i + size])
        assert items == [KeepAlive(ping=True), one, one], size
        items = framer.feed(b"OPTIONS")  # now the lone CRLF is a pong
        assert items == [KeepAlive(ping=False)]
    assert parse_message(one, stream=True).body == body


def test_framer_loses_framing_without_content_length() -> None:
    framer = StreamFramer()
    good = msg(BASIC)
    items = framer.feed(good + msg(BASIC.replace("Content-Length: 0\n", "")))
    assert items[0] == good and isinstance(items[1], FramingLost)
    lost = items[1]
    assert isinstance(lost, FramingLost) and lost.error.status == 400
    response = lost.error.response()
    assert response is not None and response.status == 400
    assert framer.feed(good) == [] and framer.lost


def test_framer_refuses_oversize() -> None:
    framer = StreamFramer(Limits(max_body_size=100))
    (lost,) = framer.feed(msg(BASIC.replace("Content-Length: 0", "Content-Length: 101")))
    assert isinstance(lost, FramingLost) and lost.error.status == 413
    framer = StreamFramer(Limits(max_message_size=1000))
    items = framer.feed(b"OPTIONS sip:x@y SIP/2.0\r\nX: " + b"y" * 2000)
    assert len(items) == 1 and isinstance(items[0], FramingLost)
    assert items[0].error.status == 513 and items[0].error.response() is None
    framer = StreamFramer()
    (lost,) = framer.feed(b"\x16\x03\x01garbage without any end\r\n\r\n")
    assert isinstance(lost, FramingLost) and lost.error.response() is None


def test_stream_message_must_match_content_length() -> None:
    with pytest.raises(SipParseError):
        parse_message(msg(BASIC.replace("Content-Length: 0\n", "")), stream=True)
    with pytest.raises(SipParseError):
        parse_message(msg(BASIC) + b"extra", stream=True)


# -- builders and addressing ------------------------------------------------------------------


def test_make_response() -> None:
    request = parse_message(msg(BASIC.replace("Content-Length: 0\n", "Timestamp: 54\n"
                                              "Record-Route: <sip:p1;lr>\n")))
    assert isinstance(request, Request)
    trying = make_response(request, 100)
    assert trying.reason == "Trying" and trying.to.tag is None
    assert trying.headers.get("Timestamp") == "54"
    ok = make_response(request, 200, to_tag="xyz", headers=[("Allow", "INVITE, ACK")])
    assert ok.to.tag == "xyz" and ok.reason == "OK" and "Timestamp" not in ok.headers
    assert "Record-Route" not in ok.headers and ok.headers.get_all("Allow") == ["INVITE", "ACK"]
    assert [n for n, _ in ok.headers][:5] == ["Via", "From", "To", "Call-ID", "CSeq"]
    assert make_response(request, 499).reason == "Bad Request"  # the class's phrase stands in
    roundtrip(ok)


def test_stamp_via_and_response_destination() -> None:
    request = parse_message(msg(BASIC.replace(
        "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877",
        "SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;rport")))
    assert isinstance(request, Request)
    stamp_via(request, "192.0.2.7", 33333)
    via = request.top_via
    assert via.received == "192.0.2.7" and via.rport == 33333
    assert response_destination(via, Transport.UDP) == Peer(Transport.UDP, "192.0.2.7", 33333)
    source = Peer(Transport.TCP, "192.0.2.7", 40000)
    assert response_destination(via, Transport.TCP, source) == source
    plain = Via.parse("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1")
    assert response_destination(plain, Transport.UDP) == Peer(Transport.UDP, "10.0.0.1", 5070)
    request2 = parse_message(msg(BASIC.replace("pc33.atlanta.example.com", "192.0.2.7")))
    assert isinstance(request2, Request)
    before = request2.headers.get("Via")
    stamp_via(request2, "192.0.2.7", 5060)  # same address, no rport: untouched (§18.2.1)
    assert request2.headers.get("Via") == before
    liar = parse_message(msg(BASIC.replace(
        "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877",
        "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1;received=198.51.100.1;rport=9")))
    assert isinstance(liar, Request)
    stamp_via(liar, "192.0.2.7", 5062)  # what the sender claims does not steer our answer
    assert response_destination(liar.top_via, Transport.UDP) == Peer(
        Transport.UDP, "192.0.2.7", 5062)
    with pytest.raises(SipParseError):
        Via.parse("SIP/2.0/UDP h;received=evil.example.com")


def test_uri_destination() -> None:
    assert uri_destination(SipUri.parse("sip:a@h")) == Peer(Transport.UDP, "h", 5060)
    assert uri_destination(SipUri.parse("sip:a@h:1;transport=TCP")) == Peer(Transport.TCP, "h", 1)
    assert uri_destination(SipUri.parse("sips:a@h")) == Peer(Transport.TLS, "h", 5061)
    assert uri_destination(SipUri.parse("sip:a@h;maddr=10.1.1.1")).host == "10.1.1.1"
