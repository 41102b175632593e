"""Which certificate names identify a SIP server (RFC 5922 §7.1-7.2, SEED-MV §9.1.1)."""

from __future__ import annotations

from typing import Any

from sipdect.sip.transport import certificate_matches


def cert(cn: str | None = None, **san: list[str]) -> dict[str, Any]:
    """A certificate as ssl.SSLSocket.getpeercert() describes it."""
    kinds = {"dns": "DNS", "ip": "IP Address", "uri": "URI"}
    out: dict[str, Any] = {
        "subjectAltName": tuple((kinds[k], v) for k, values in san.items() for v in values)}
    if cn is not None:
        out["subject"] = ((("commonName", cn),),)
    return out


def test_dns_and_sip_uri_names() -> None:
    assert certificate_matches(cert(dns=["omm.example.com"]), "OMM.example.com")
    assert certificate_matches(cert(dns=["omm.example.com."]), "omm.example.com")
    assert certificate_matches(cert(uri=["sip:omm.example.com"]), "omm.example.com")
    assert not certificate_matches(cert(dns=["other.example.com"]), "omm.example.com")
    assert not certificate_matches(cert(uri=["https://omm.example.com"]), "omm.example.com")


def test_wildcards_never_match() -> None:
    assert not certificate_matches(cert(dns=["*.example.com"]), "omm.example.com")
    assert not certificate_matches(cert("*.example.com"), "omm.example.com")


def test_common_name_only_without_subject_alt_names() -> None:
    assert certificate_matches(cert("omm.example.com"), "omm.example.com")
    assert not certificate_matches(cert("omm.example.com", dns=["x.example.com"]),
                                   "omm.example.com")


def test_ip_addresses_match_ip_entries_only() -> None:
    assert certificate_matches(cert(ip=["192.0.2.1"]), "192.0.2.1")
    assert certificate_matches(cert(ip=["2001:DB8:0:0:0:0:0:1\n"]), "2001:db8::1")
    assert not certificate_matches(cert("192.0.2.1"), "192.0.2.1")
    assert not certificate_matches(cert(dns=["192.0.2.1"]), "192.0.2.1")
    assert not certificate_matches({}, "192.0.2.1")
