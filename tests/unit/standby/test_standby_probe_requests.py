"""The PBX probe's pure parts (omm.standby.probe): which user it REGISTERs, what its REGISTER and
OPTIONS say and where they go for each BasicSIP setting, and a probe without a configured server;
plain values, no sockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omm.model import OmmModel, OmmSetup
from omm.standby import conventions as cv
from omm.standby.probe import PbxTarget, lowest_number, probe_pbx, probe_requests, target_of
from sipdect.accounts import InitialAccount
from sipdect.net import HostNet
from sipdect.sip import Peer, Request, Transport, Via, new_branch, parse_message
from tests.unit.omm_sip.test_sip_config import Settings

LOCAL = Peer(Transport.UDP, "127.0.0.21", 40000)
"""The probe's own UDP socket, at the OMM's address."""


def target(users: tuple[str, ...] = ("200", "100"), **basic: Any) -> PbxTarget:
    made = PbxTarget.from_settings(Settings(BasicSIP={
        "regServer": "10.0.0.5", "regPort": 5070, "proxyServer": "10.0.0.6",
        "proxyPort": 5080, **basic}), users, LOCAL.host)
    assert made is not None
    return made


def sent(t: PbxTarget) -> dict[str, tuple[Request, Peer]]:
    """The probe's requests by method, each through the kit's parser as the PBX reads it."""
    out = {}
    for request, peer in probe_requests(t, LOCAL):
        via = Via(peer.transport.value, LOCAL.host, LOCAL.port, {"branch": new_branch()})
        request.headers.prepend("Via", str(via))  # as the transport adds it
        parsed = parse_message(bytes(request))
        assert isinstance(parsed, Request)
        out[parsed.method] = (parsed, peer)
    return out


def test_the_lowest_number_compares_numbers_by_value() -> None:
    assert lowest_number(["200", "99", "1000"]) == "99"
    assert lowest_number(["100", "0100"]) == "0100"
    assert lowest_number(["+4930", "*31", "5000"]) == "5000"
    assert lowest_number(["+4930", "*31"]) == "*31"
    assert lowest_number(["", "7"]) == "7"
    assert lowest_number([]) is None
    assert lowest_number([""]) is None


@given(st.lists(st.text(alphabet="0123456789+*#", max_size=6)))
def test_the_lowest_number_is_one_of_them_and_no_number_of_digits_is_lower(
        numbers: list[str]) -> None:
    lowest = lowest_number(numbers)
    if not any(numbers):
        assert lowest is None
        return
    assert lowest in numbers and lowest
    digits = [int(n) for n in numbers if n.isdigit()]
    if digits:
        assert lowest.isdigit() and int(lowest) == min(digits)


def test_register_of_the_lowest_user_at_the_registrar_and_options_at_the_proxy() -> None:
    requests = sent(target())
    register, to_registrar = requests["REGISTER"]
    assert to_registrar == Peer(Transport.UDP, "10.0.0.5", 5070)
    assert str(register.uri) == "sip:10.0.0.5:5070"
    assert str(register.to.uri) == str(register.from_.uri) == "sip:100@10.0.0.5"
    assert register.from_.tag and register.to.tag is None
    assert register.expires == cv.PBX_PROBE_EXPIRES == 0
    [contact] = register.contacts
    assert str(contact.uri) == "sip:100@127.0.0.21:40000"  # the probe's socket, nobody else's
    options, to_proxy = requests["OPTIONS"]
    assert to_proxy == Peer(Transport.UDP, "10.0.0.6", 5080)
    assert str(options.uri) == "sip:10.0.0.6:5080"
    assert str(options.from_.uri) == "sip:127.0.0.21"
    assert register.max_forwards == options.max_forwards == 70
    assert (register.cseq.method, options.cseq.method) == ("REGISTER", "OPTIONS")


def test_every_probe_and_request_has_its_own_call_id_and_tag() -> None:
    t = target()
    seen = [(r.call_id, r.from_.tag) for _ in range(3) for r, _ in probe_requests(t, LOCAL)]
    assert len({call_id for call_id, _ in seen}) == len({tag for _, tag in seen}) == 6


def test_stream_transports_and_sips_follow_the_settings() -> None:
    tcp = sent(target(transportProt="TCP"))
    register, peer = tcp["REGISTER"]
    assert peer.transport is Transport.TCP and register.uri.transport == "tcp"
    assert tcp["OPTIONS"][1] == Peer(Transport.TCP, "10.0.0.6", 5080)
    made = PbxTarget.from_settings(Settings(
        BasicSIP={"proxyServer": "pbx.example", "proxyPort": 5061, "transportProt": "TLS"},
        SecureSIP={"sendSipsOverTLS": True, "commonNameValidationTLS": False}), ["300"],
        LOCAL.host)
    assert made is not None and made.domain == "pbx.example"
    assert not made.tls.check_common_name
    tls = sent(made)
    assert str(tls["REGISTER"][0].to.uri) == "sips:300@pbx.example"
    assert tls["OPTIONS"][1] == Peer(Transport.TLS, "pbx.example", 5061)


def test_an_outbound_proxy_is_the_first_hop_of_both() -> None:
    requests = sent(target(outboundProxyServer="10.0.0.9", outboundProxyPort=5090))
    for method in ("REGISTER", "OPTIONS"):
        request, peer = requests[method]
        assert peer == Peer(Transport.UDP, "10.0.0.9", 5090)
        assert [str(r.uri) for r in request.routes] == ["sip:10.0.0.9:5090;lr"]
    assert str(requests["OPTIONS"][0].uri) == "sip:10.0.0.6:5080"


def test_no_users_means_options_only() -> None:
    t = target(users=("", ))
    assert t.user is None
    assert [r.method for r, _ in probe_requests(t, LOCAL)] == ["OPTIONS"]


def test_the_registrar_stands_in_for_a_missing_proxy() -> None:
    requests = sent(target(proxyServer="", proxyPort=0))
    assert requests["OPTIONS"][1] == requests["REGISTER"][1] == Peer(Transport.UDP,
                                                                     "10.0.0.5", 5070)


async def test_without_a_configured_server_the_pbx_is_unreachable_at_once() -> None:
    assert PbxTarget.from_settings(Settings(), ["100"], LOCAL.host) is None
    outcome = await probe_pbx(None, net=HostNet("omm", "127.0.0.21"), timeout=30)
    assert not outcome.reachable and outcome.method is None
    assert outcome.why == cv.PBX_PROBE_NOT_CONFIGURED


def test_the_target_of_an_omm_reads_its_settings_and_users_as_they_are(tmp_path: Path) -> None:
    model = OmmModel(tmp_path, OmmSetup("Test", [InitialAccount("omm", "Sipdect-Omm-2026")]),
                     lambda: 1_800_000_000.0)
    assert target_of(model, LOCAL.host) is None  # a new OMM names no SIP server
    model.settings.update("BasicSIP", {"proxyServer": "10.0.0.6", "proxyPort": 5080,
                                       "transportProt": "TCP"})
    for num in ("300", "", "120"):
        model.users.create({"num": num})
    made = target_of(model, LOCAL.host)
    assert made is not None
    assert (made.address, made.user, made.domain, made.sip.transport) == (
        LOCAL.host, "120", "10.0.0.6", Transport.TCP)


async def test_a_probe_leaves_from_the_host_it_is_given() -> None:
    with pytest.raises(ValueError, match="127.0.0.21"):
        await probe_pbx(target(), net=HostNet("omm", "127.0.0.22"), timeout=1)
