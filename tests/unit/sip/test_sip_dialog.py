"""SIP dialogs and route sets (RFC 3261 §12, §16.4, §16.6, §16.12)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sipdect.sip.dialog import (
    Dialog,
    DialogError,
    DialogId,
    DialogState,
    Role,
    add_record_route,
    make_dialog_response,
    next_hop,
    prepare_forward,
    preprocess_routes,
    request_target,
)
from sipdect.sip.message import Address, Headers, Request, SipUri, make_response, parse_message


def state_of(dialog: Dialog) -> DialogState:
    return dialog.state


def invite_via_two_proxies() -> Request:
    """The INVITE as U2 receives it after P1 then P2 record-routed it."""
    h = Headers()
    h.add("Via", "SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2")
    h.add("Via", "SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1")
    h.add("Via", "SIP/2.0/UDP u1.example.com;branch=z9hG4bKu1")
    h.add("Record-Route", "<sip:p2.example.com;lr>")
    h.add("Record-Route", "<sip:p1.example.com;lr>")
    h.add("Max-Forwards", "68")
    h.add("From", '"Alice" <sip:alice@example.com>;tag=a1')
    h.add("To", "<sip:bob@example.com>")
    h.add("Call-ID", "dlg-1")
    h.add("CSeq", "10 INVITE")
    h.add("Contact", "<sip:alice@u1.example.com:5062>")
    return Request("INVITE", SipUri.parse("sip:bob@u2.example.com"), h)


U2_CONTACT = Address(SipUri.parse("sip:bob@u2.example.com:5064;transport=tcp"))


def test_uas_response_carries_record_route_and_contact() -> None:
    """The 200 must echo Record-Route, or the caller's ACK/BYE bypass the proxies."""
    invite = invite_via_two_proxies()
    ok = make_dialog_response(invite, 200, to_tag="b2", contact=U2_CONTACT)
    assert ok.headers.get_all("Record-Route") == ["<sip:p2.example.com;lr>",
                                                  "<sip:p1.example.com;lr>"]
    assert ok.contacts == [U2_CONTACT] and ok.to.tag == "b2"


def test_uac_and_uas_route_sets() -> None:
    invite = invite_via_two_proxies()
    ok = make_dialog_response(invite, 200, to_tag="b2", contact=U2_CONTACT)
    uac = Dialog.from_uac(invite, ok)
    uas = Dialog.from_uas(invite, ok)
    # §12.1.2: the UAC reverses Record-Route; §12.1.1: the UAS keeps its order.
    assert [str(r.uri) for r in uac.route_set] == ["sip:p1.example.com;lr",
                                                   "sip:p2.example.com;lr"]
    assert [str(r.uri) for r in uas.route_set] == ["sip:p2.example.com;lr",
                                                   "sip:p1.example.com;lr"]
    assert uac.remote_target == U2_CONTACT.uri
    assert uas.remote_target == SipUri.parse("sip:alice@u1.example.com:5062")
    assert (uac.role, uas.role) == (Role.UAC, Role.UAS)
    assert uac.id == DialogId("dlg-1", "a1", "b2") and uas.id == DialogId("dlg-1", "b2", "a1")
    assert uac.id == DialogId.of_response(ok)
    assert uac.local_seq == 10 and uac.remote_seq is None
    assert uas.remote_seq == 10 and uas.local_seq is None


def test_in_dialog_requests_follow_the_route_set() -> None:
    invite = invite_via_two_proxies()
    ok = make_dialog_response(invite, 200, to_tag="b2", contact=U2_CONTACT)
    uac = Dialog.from_uac(invite, ok)
    ack = uac.create_ack(invite)
    assert ack.method == "ACK" and ack.cseq.seq == 10 and ack.cseq.method == "ACK"
    assert ack.uri == U2_CONTACT.uri
    assert ack.headers.get_all("Route") == ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    bye = uac.create_request("BYE")
    assert bye.cseq.seq == 11 and bye.uri == U2_CONTACT.uri
    assert bye.from_.tag == "a1" and bye.to.tag == "b2" and bye.call_id == "dlg-1"
    assert bye.from_.display_name == "Alice" and "Contact" not in bye.headers
    assert uac.next_hop() == SipUri.parse("sip:p1.example.com;lr") == next_hop(bye)
    info = uac.create_request("INFO", body=b"Signal=5\r\n", content_type="application/dtmf-relay")
    assert info.cseq.seq == 12 and info.content_type == "application/dtmf-relay"
    reinvite = uac.create_request("INVITE")
    assert reinvite.cseq.seq == 13 and reinvite.contacts[0].uri == invite.contacts[0].uri
    assert "Via" not in reinvite.headers  # the transport adds its own
    reinvite.headers.prepend("Via", "SIP/2.0/UDP u1.example.com;branch=z9hG4bKre")
    assert parse_message(bytes(reinvite)) == reinvite

    uas = Dialog.from_uas(invite, ok)
    bye_back = uas.create_request("BYE")
    assert bye_back.uri == SipUri.parse("sip:alice@u1.example.com:5062")
    assert bye_back.headers.get_all("Route") == ["<sip:p2.example.com;lr>",
                                                 "<sip:p1.example.com;lr>"]
    assert bye_back.from_.tag == "b2" and bye_back.to.tag == "a1"
    assert 0 < bye_back.cseq.seq < 2**31
    with pytest.raises(ValueError):
        uas.create_request("ACK")


def test_strict_router_first_hop() -> None:
    """§12.2.1.1: a strict first hop becomes the Request-URI; the target goes last in Route."""
    routes = [Address(SipUri.parse("sip:p1.example.com;method=INVITE")),
              Address(SipUri.parse("sip:p2.example.com;lr"))]
    target = SipUri.parse("sip:bob@u2.example.com")
    uri, route = request_target(routes, target)
    assert uri == SipUri.parse("sip:p1.example.com")  # params not allowed in a R-URI go
    assert [str(r) for r in route] == ["<sip:p2.example.com;lr>", "<sip:bob@u2.example.com>"]
    assert request_target([], target) == (target, [])


def test_dialog_checks_incoming_requests() -> None:
    invite = invite_via_two_proxies()
    ok = make_dialog_response(invite, 200, to_tag="b2", contact=U2_CONTACT)
    uas = Dialog.from_uas(invite, ok)
    uac = Dialog.from_uac(invite, ok)
    reinvite = uac.create_request("INVITE")
    reinvite.headers.set("Contact", "<sip:alice@new.example.com>")
    uas.receive_request(reinvite)
    assert uas.remote_seq == 11
    assert uas.remote_target == SipUri.parse("sip:alice@new.example.com")  # target refresh
    with pytest.raises(DialogError) as info:
        uas.receive_request(reinvite)  # not above the last CSeq (§12.2.2)
    assert info.value.status == 500
    uas.receive_request(uac.create_ack(reinvite))  # ACK keeps the INVITE's number
    stranger = uac.create_request("BYE")
    stranger.headers.set("Call-ID", "other")
    with pytest.raises(DialogError) as info:
        uas.receive_request(stranger)
    assert info.value.status == 481
    uas.receive_request(uac.create_request("BYE"))
    assert uas.state is DialogState.TERMINATED
    with pytest.raises(DialogError):
        uas.create_request("BYE")


def test_early_dialog_is_confirmed_by_the_2xx_with_its_route_set() -> None:
    invite = invite_via_two_proxies()
    ringing = make_dialog_response(invite, 180, to_tag="b2", contact=U2_CONTACT)
    ringing.headers.remove("Record-Route")
    uac = Dialog.from_uac(invite, ringing)
    assert uac.state is DialogState.EARLY and uac.route_set == []
    ok = make_dialog_response(invite, 200, to_tag="b2",
                              contact=Address(SipUri.parse("sip:bob@moved.example.com")))
    uac.receive_response(invite, ok)
    assert state_of(uac) is DialogState.CONFIRMED
    assert [str(r.uri) for r in uac.route_set] == ["sip:p1.example.com;lr",
                                                   "sip:p2.example.com;lr"]
    assert uac.remote_target == SipUri.parse("sip:bob@moved.example.com")
    bye = uac.create_request("BYE")
    uac.receive_response(bye, make_response(bye, 481))
    assert state_of(uac) is DialogState.TERMINATED


def test_dialog_needs_tags() -> None:
    invite = invite_via_two_proxies()
    with pytest.raises(DialogError):
        Dialog.from_uac(invite, make_response(invite, 200))


def test_proxy_route_processing_through_a_strict_router() -> None:
    """RFC 3261 §16.12.1.2: a BYE from U2 back through P4 (loose), P3 (strict), P2, P1."""
    def local(name: str) -> Callable[[SipUri], bool]:
        return lambda uri: uri.host == name and uri.user is None

    h = Headers()
    for route in ("<sip:p4.domain.com;lr>", "<sip:p3.middle.com>", "<sip:p2.example.com;lr>",
                  "<sip:p1.example.com;lr>"):
        h.add("Route", route)
    bye = Request("BYE", SipUri.parse("sip:caller@u1.example.com"), h)

    # P4: removes itself, sees a strict next hop and reformats.
    preprocess_routes(bye, local("p4.domain.com"))
    hop = prepare_forward(bye)
    assert hop == SipUri.parse("sip:p3.middle.com")
    assert str(bye.uri) == "sip:p3.middle.com"
    assert bye.headers.get_all("Route") == ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>",
                                            "<sip:caller@u1.example.com>"]

    # P3 is an RFC 2543 strict router: it pops the top Route into the Request-URI.
    routes = bye.headers.get_all("Route")
    bye.uri = Address.parse(routes[0]).sip_uri
    bye.headers.set_all("Route", routes[1:])
    assert str(bye.uri) == "sip:p2.example.com;lr"

    # P2: the Request-URI is its own Record-Route value, so the last Route is restored.
    preprocess_routes(bye, local("p2.example.com"))
    assert str(bye.uri) == "sip:caller@u1.example.com"
    assert bye.headers.get_all("Route") == ["<sip:p1.example.com;lr>"]
    assert prepare_forward(bye) == SipUri.parse("sip:p1.example.com;lr")

    # P1: removes itself and routes on the Request-URI.
    preprocess_routes(bye, local("p1.example.com"))
    assert "Route" not in bye.headers
    assert prepare_forward(bye) == SipUri.parse("sip:caller@u1.example.com")


def test_add_record_route() -> None:
    invite = invite_via_two_proxies()
    add_record_route(invite, SipUri.parse("sip:p3.example.com;transport=tcp"))
    assert invite.headers.get_all("Record-Route")[0] == "<sip:p3.example.com;transport=tcp;lr>"
