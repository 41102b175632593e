"""Sans-I/O parts of the call server in virtual time: registrar bindings and expiry, the
per-IP auth-failure block, access-log ring buffers, the transaction limit per IP."""

from __future__ import annotations

import json

import pytest

from sim.pbx import AccessLog, AccessRecord, IntervalTooBrief, IpGuard, PbxConfig, Registrar
from sim.pbx.server import make_layer
from sipdect.sip import constants as c
from sipdect.sip.message import Headers, Peer, Request, SipUri, Transport, new_branch, new_tag
from sipdect.sip.transaction import RequestReceived

SOURCE = Peer(Transport.UDP, "192.0.2.7", 5060)


def register(contact: str, expires: int | None = None) -> Request:
    h = Headers()
    h.add("Via", f"SIP/2.0/UDP 192.0.2.7:5060;branch={new_branch()}")
    h.add("From", f"<sip:1001@pbx>;tag={new_tag()}")
    h.add("To", "<sip:1001@pbx>")
    h.add("Call-ID", "reg-1")
    h.add("CSeq", "1 REGISTER")
    h.add("Contact", contact)
    if expires is not None:
        h.add("Expires", str(expires))
    return Request("REGISTER", SipUri("pbx"), h)


def test_defaults_are_the_mivo400_ones() -> None:
    config = PbxConfig()
    assert (config.max_auth_failures, config.block_seconds, config.max_transactions_per_ip,
            config.access_log_depth) == (10, 300.0, 200, 20)


def test_bad_config_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="min_expires"):
        PbxConfig(min_expires=0)


def test_binding_lives_until_its_expiry() -> None:
    reg = Registrar(60, 3600, 7200)
    [binding] = reg.register("1001", register("<sip:1001@192.0.2.7:5062>", 120), SOURCE, 0.0)
    assert binding.remaining(0.0) == 120
    assert reg.lookup("1001", 119.0) is binding
    assert reg.lookup("1001", 120.0) is None
    assert reg.bindings("1001", 120.0) == []


def test_refresh_per_contact_expires_and_clamp() -> None:
    reg = Registrar(60, 3600, 7200)
    reg.register("1001", register("<sip:1001@192.0.2.7:5062>"), SOURCE, 0.0)
    assert reg.lookup("1001", 3599.0) is not None
    reg.register("1001", register("<sip:1001@192.0.2.7:5062>;expires=99999"), SOURCE, 3000.0)
    [binding] = reg.bindings("1001", 3000.0)
    assert binding.expires_at == 3000.0 + 7200


def test_unregister_with_expires_zero_and_star() -> None:
    reg = Registrar(60, 3600, 7200)
    reg.register("1001", register("<sip:1001@192.0.2.7:5062>"), SOURCE, 0.0)
    reg.register("1001", register("<sip:1001@192.0.2.7:5064>"), SOURCE, 0.0)
    assert len(reg.bindings("1001", 1.0)) == 2
    assert len(reg.register("1001", register("<sip:1001@192.0.2.7:5062>", 0), SOURCE, 1.0)) == 1
    assert reg.register("1001", register("*", 0), SOURCE, 2.0) == []
    with pytest.raises(ValueError):
        reg.register("1001", register("*"), SOURCE, 2.0)


def test_interval_too_brief_changes_nothing() -> None:
    reg = Registrar(60, 3600, 7200)
    with pytest.raises(IntervalTooBrief) as info:
        reg.register("1001", register("<sip:1001@192.0.2.7:5062>", 30), SOURCE, 0.0)
    assert info.value.min_expires == 60
    assert reg.lookup("1001", 0.0) is None


def test_ip_blocked_after_max_failures_for_block_seconds() -> None:
    guard = IpGuard(10, 300.0)
    for i in range(9):
        assert not guard.failure("192.0.2.7", f"{300 + i}", 0.0)  # any accounts: per address
    assert not guard.blocked("192.0.2.7", 0.0)
    assert guard.failure("192.0.2.7", "300", 1.0)  # the 10th
    assert guard.blocked("192.0.2.7", 1.0)
    assert guard.blocked_until("192.0.2.7") == 301.0
    assert not guard.blocked("192.0.2.8", 1.0)  # per address
    assert guard.blocked("192.0.2.7", 300.9)
    assert not guard.blocked("192.0.2.7", 301.0)
    assert not guard.failure("192.0.2.7", "300", 302.0)  # counting starts afresh
    assert guard.failures("192.0.2.7") == 1


def test_success_clears_only_the_failures_that_named_its_account() -> None:
    guard = IpGuard(3, 300.0)
    guard.failure("h", "201", 0.0)
    guard.failure("h", "201", 0.0)
    guard.success("h", "201")
    assert guard.failures("h") == 0
    assert not guard.failure("h", "201", 0.0)
    assert not guard.failure("h", "201", 0.0)
    assert guard.failure("h", "201", 0.0)


def test_a_valid_login_of_another_account_does_not_reset_the_guesses() -> None:
    guard = IpGuard(10, 300.0)
    now = 0.0
    blocked_at = None
    for attempt in range(30):  # 9 guesses at 300, 1 valid login of 201, repeated
        now += 1.0
        if attempt % 10 == 9:
            guard.success("192.0.2.7", "201")
        elif guard.failure("192.0.2.7", "300", now):
            blocked_at = attempt
            break
    assert blocked_at == 10  # the first guess after the valid login is the 10th failure
    assert guard.blocked("192.0.2.7", now)


def test_success_is_per_address_and_per_account() -> None:
    guard = IpGuard(10, 300.0)
    guard.failure("192.0.2.7", "300", 0.0)
    guard.failure("192.0.2.7", "201", 0.0)
    guard.failure("192.0.2.8", "201", 0.0)
    guard.success("192.0.2.7", "201")
    assert guard.failures("192.0.2.7") == 1
    assert guard.failures("192.0.2.7", "300") == 1 and guard.failures("192.0.2.7", "201") == 0
    assert guard.failures("192.0.2.8", "201") == 1  # the same account from elsewhere
    guard.success("192.0.2.9", "201")  # nothing counted there: nothing to clear
    assert guard.failures("192.0.2.9") == 0


def test_access_logs_keep_the_last_twenty_each() -> None:
    log = AccessLog(20)
    for i in range(25):
        log.record(AccessRecord(float(i), f"u{i}", "h", "REGISTER", "wrong password"))
        log.record(AccessRecord(float(i), f"u{i}", "h", "REGISTER"))
    failed, ok = log.failed(), log.successful()
    assert len(failed) == len(ok) == 20
    assert failed[0].user == "u5" and failed[-1].user == "u24"
    assert all(not e.reason for e in ok)
    data = json.loads(log.to_json())
    assert [e["user"] for e in data["successful"]] == [e.user for e in ok]
    assert data["failed"][0]["reason"] == "wrong password"


def options(i: int) -> Request:
    h = Headers()
    h.add("Via", f"SIP/2.0/UDP 192.0.2.7:5060;branch={new_branch()}")
    h.add("From", f"<sip:1001@pbx>;tag={new_tag()}")
    h.add("To", "<sip:pbx>")
    h.add("Call-ID", f"opt-{i}")
    h.add("CSeq", "1 OPTIONS")
    return Request("OPTIONS", SipUri("pbx"), h)


def test_transactions_per_ip_beyond_the_limit_get_503() -> None:
    layer = make_layer(PbxConfig())
    for i in range(c.MIVO400_MAX_TRANSACTIONS_PER_IP):
        layer.receive(options(i), SOURCE, 0.0)
    events = []
    while (e := layer.next_event()) is not None:
        events.append(e)
    assert len(events) == 200 and all(isinstance(e, RequestReceived) for e in events)
    assert layer.messages_to_send() == []
    layer.receive(options(200), SOURCE, 0.0)
    assert layer.next_event() is None
    [out] = layer.messages_to_send()
    assert out.message.status == 503 and out.message.headers.get("Retry-After")  # type: ignore[union-attr]
    layer.receive(options(201), Peer(Transport.UDP, "192.0.2.8", 5060), 0.0)  # another IP
    assert isinstance(layer.next_event(), RequestReceived)
