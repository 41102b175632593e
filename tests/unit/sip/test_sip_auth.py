"""Digest authentication: RFC 7616 §3.9.1 known answers and client/server round trips."""

from __future__ import annotations

import pytest

from sipdect.sip.auth import (
    AuthStatus,
    DigestClient,
    DigestServer,
    compute_response,
)
from sipdect.sip.message import Challenge, Headers, Request, SipUri, make_response

# RFC 7616 §3.9.1.
RFC_USER, RFC_PASSWORD = "Mufasa", "Circle of Life"
RFC_REALM = "http-auth@example.org"
RFC_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
RFC_RESPONSES = {
    "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    "MD5": "8ca523f5e9506fed4657c9700eebdbec",
}


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_rfc7616_example(algorithm: str) -> None:
    assert compute_response(
        algorithm=algorithm, username=RFC_USER, realm=RFC_REALM, password=RFC_PASSWORD,
        method="GET", uri="/dir/index.html", nonce=RFC_NONCE, nc="00000001",
        cnonce=RFC_CNONCE, qop="auth") == RFC_RESPONSES[algorithm]
    challenge = Challenge.parse(
        f'Digest realm="{RFC_REALM}", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{RFC_NONCE}", opaque="{RFC_OPAQUE}"')
    client = DigestClient(RFC_USER, RFC_PASSWORD, cnonce=lambda: RFC_CNONCE)
    cred = client.credentials(challenge, "GET", "/dir/index.html")
    assert cred.params == {
        "username": RFC_USER, "realm": RFC_REALM, "nonce": RFC_NONCE, "uri": "/dir/index.html",
        "response": RFC_RESPONSES[algorithm], "algorithm": algorithm, "cnonce": RFC_CNONCE,
        "opaque": RFC_OPAQUE, "qop": "auth", "nc": "00000001"}
    second = client.credentials(challenge, "GET", "/dir/index.html")
    assert second.params["nc"] == "00000002"  # the nonce count goes up per nonce


def test_rfc2617_challenge_without_qop() -> None:
    challenge = Challenge("Digest", {"realm": "r", "nonce": "n"})
    cred = DigestClient("u", "p").credentials(challenge, "REGISTER", "sip:r")
    assert "nc" not in cred.params and "cnonce" not in cred.params and "qop" not in cred.params
    assert cred.params["response"] == compute_response(
        algorithm="MD5", username="u", realm="r", password="p", method="REGISTER",
        uri="sip:r", nonce="n")


def register() -> Request:
    h = Headers()
    h.add("Via", "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKreg1;rport")
    h.add("Max-Forwards", "70")
    h.add("From", "<sip:1001@omm.example.com>;tag=f1")
    h.add("To", "<sip:1001@omm.example.com>")
    h.add("Call-ID", "reg-1")
    h.add("CSeq", "1 REGISTER")
    h.add("Contact", "<sip:1001@192.0.2.9>")
    return Request("REGISTER", SipUri("omm.example.com"), h)


PASSWORDS = {"1001": "s3cret"}


@pytest.mark.parametrize("algorithms", [("SHA-256", "MD5"), ("MD5",), ("SHA-512-256",)])
def test_register_challenge_and_retry(algorithms: tuple[str, ...]) -> None:
    server = DigestServer("omm.example.com", algorithms=algorithms)
    first = register()
    assert server.verify(first, PASSWORDS.get, 0.0).status is AuthStatus.MISSING
    challenge = server.challenge_response(first, 0.0)
    assert challenge.status == 401 and challenge.to.tag
    assert [c.params["algorithm"] for c in challenge.challenges()] == list(algorithms)
    client = DigestClient("1001", "s3cret")
    retry = client.authorize(first, challenge)
    assert retry is not None
    assert retry.cseq.seq == 2 and retry.top_via.branch != first.top_via.branch
    assert first.cseq.seq == 1 and "Authorization" not in first.headers  # untouched
    (cred,) = retry.credentials()
    assert cred.params["algorithm"] == algorithms[0] and cred.params["uri"] == "sip:omm.example.com"
    result = server.verify(retry, PASSWORDS.get, 1.0)
    assert result.ok and result.username == "1001"
    # The same nonce with the next count is fine (a refresh); the same count is a replay.
    refresh = retry.copy()
    refresh.headers.set("Authorization", str(client.credentials(
        challenge.challenges()[0], "REGISTER", "sip:omm.example.com")))
    assert server.verify(refresh, PASSWORDS.get, 2.0).ok
    assert server.verify(refresh, PASSWORDS.get, 3.0).status is AuthStatus.FAILED


def test_wrong_password_gives_up_after_one_retry() -> None:
    server = DigestServer("omm.example.com")
    client = DigestClient("1001", "wrong")
    retry = client.authorize(register(), server.challenge_response(register(), 0.0))
    assert retry is not None
    result = server.verify(retry, PASSWORDS.get, 0.5)
    assert result.status is AuthStatus.FAILED and result.reason == "wrong password"
    again = server.challenge_response(retry, 0.5)
    assert client.authorize(retry, again) is None  # no loop on a wrong password


def test_expired_nonce_is_stale_and_the_client_retries() -> None:
    server = DigestServer("omm.example.com", nonce_lifetime=30.0)
    client = DigestClient("1001", "s3cret")
    retry = client.authorize(register(), server.challenge_response(register(), 0.0))
    assert retry is not None
    assert server.verify(retry, PASSWORDS.get, 31.0).status is AuthStatus.STALE
    stale = server.challenge_response(retry, 31.0, stale=True)
    assert stale.challenges()[0].params["stale"] == "true"
    second = client.authorize(retry, stale)
    assert second is not None and second.cseq.seq == 3
    assert len(second.credentials()) == 1  # the old credentials were replaced
    assert server.verify(second, PASSWORDS.get, 32.0).ok


def test_nonce_of_another_server_is_stale() -> None:
    before_restart = DigestServer("omm.example.com")
    after_restart = DigestServer("omm.example.com")
    retry = DigestClient("1001", "s3cret").authorize(
        register(), before_restart.challenge_response(register(), 0.0))
    assert retry is not None
    assert after_restart.verify(retry, PASSWORDS.get, 1.0).status is AuthStatus.STALE


def test_proxy_authentication() -> None:
    server = DigestServer("proxy.example.com", proxy=True)
    challenge = server.challenge_response(register(), 0.0)
    assert challenge.status == 407 and "Proxy-Authenticate" in challenge.headers
    retry = DigestClient("1001", "s3cret").authorize(register(), challenge)
    assert retry is not None and "Proxy-Authorization" in retry.headers
    assert "Authorization" not in retry.headers
    assert server.verify(retry, PASSWORDS.get, 1.0).ok


def test_client_takes_the_first_challenge_it_supports_per_realm() -> None:
    response = make_response(register(), 401, to_tag="t", headers=[
        ("WWW-Authenticate", 'Digest realm="a", nonce="1", algorithm=SHA-999, qop="auth"'),
        ("WWW-Authenticate", 'Digest realm="a", nonce="2", algorithm=SHA-256, qop="auth"'),
        ("WWW-Authenticate", 'Digest realm="a", nonce="3", algorithm=MD5, qop="auth"'),
        ("WWW-Authenticate", 'Digest realm="b", nonce="4", qop="auth-int"'),
        ("WWW-Authenticate", 'Basic realm="c"'),
    ])
    retry = DigestClient("u", "p").authorize(register(), response)
    assert retry is not None
    creds = {c.params["realm"]: c.params for c in retry.credentials()}
    assert set(creds) == {"a", "b"}
    assert creds["a"]["nonce"] == "2" and creds["b"]["qop"] == "auth-int"
    only_basic = make_response(register(), 401, headers=[("WWW-Authenticate", 'Basic realm="c"')])
    assert DigestClient("u", "p").authorize(register(), only_basic) is None
    assert DigestClient("u", "p").authorize(register(), make_response(register(), 403)) is None


def test_server_refuses_doctored_credentials() -> None:
    server = DigestServer("omm.example.com")
    retry = DigestClient("1001", "s3cret").authorize(
        register(), server.challenge_response(register(), 0.0))
    assert retry is not None
    moved = retry.copy()
    moved.uri = SipUri("elsewhere.example.com")
    assert server.verify(moved, PASSWORDS.get, 1.0).reason == "digest uri is not the Request-URI"
    spelled = retry.copy()  # another spelling of the same target is fine
    spelled.uri = SipUri("OMM.example.com", params={"transport": "udp"})
    assert server.verify(spelled, PASSWORDS.get, 1.0).ok
    unknown = DigestServer("omm.example.com", secret=server.secret)
    assert unknown.verify(retry, lambda name: None, 1.0).reason == "unknown user"
    other_realm = DigestServer("other.example.com")
    assert other_realm.verify(retry, PASSWORDS.get, 1.0).status is AuthStatus.MISSING
    with pytest.raises(ValueError):
        DigestServer("x", algorithms=("SHA-999",))
