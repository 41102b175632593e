"""SNMPv2c traps with plain values and bytes (sipdect.snmp.trap, .target, .oids)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipdect.snmp import (
    Counter32,
    Gauge32,
    IpAddress,
    Oid,
    SnmpError,
    TimeTicks,
    Trap,
    TrapTarget,
    decode_trap,
    encode_trap,
    oids,
    parse_target,
)

# A coldStart from community "public", request-id 1, sysUpTime 0, worked out by hand (BER):
# Message{version 1, "public", [7]{reqid 1, 0, 0, {sysUpTime.0=0, snmpTrapOID.0=coldStart}}}.
COLD_START_VECTOR = bytes.fromhex(
    "3040" "020101" "0406" + b"public".hex() + "a733" "020101" "020100" "020100" "3028"
    "300d" "06082b06010201010300" "430100"
    "3017" "060a2b060106030101040100" "06092b0601060301010501")


def test_a_cold_start_is_the_hand_worked_vector() -> None:
    assert encode_trap(Trap(oids.COLD_START), "public", 1, 0) == COLD_START_VECTOR
    received = decode_trap(COLD_START_VECTOR)
    assert (received.community, received.request_id, received.uptime) == ("public", 1, 0)
    assert received.trap == Trap(oids.COLD_START)


def test_each_python_value_gets_its_smi_type_back() -> None:
    trap = Trap.of(oids.EM_ALARM, [
        (oids.EM_TEXT, "Room 12 ä"), (oids.EM_ALARM_ID, -7), (oids.EM_SOURCE, b"\x00\xff"),
        (oids.EM_RECIPIENT, IpAddress("10.1.2.3")), (oids.EM_PRIORITY, TimeTicks(5)),
        (oids.EM_CONFIRMATION, Counter32(2**32 - 1)), (oids.EM_EVENT_TYPE, Gauge32(3)),
        (oids.SIPDECT, oids.NS_NOTIFY_RESTART)])
    got = decode_trap(encode_trap(trap, "s3cret", 99, 2**32 + 5)).trap
    assert got.oid == oids.EM_ALARM
    values = [v for _, v in got.varbinds]
    assert values == ["Room 12 ä".encode(), -7, b"\x00\xff", "10.1.2.3", 5, 2**32 - 1, 3,
                      oids.NS_NOTIFY_RESTART]
    assert [type(v) for v in values] == [bytes, int, bytes, IpAddress, TimeTicks, Counter32,
                                         Gauge32, Oid]
    assert decode_trap(encode_trap(trap, "c", 1, 2**32 + 5)).uptime == 5  # sysUpTime wraps


@pytest.mark.parametrize(("value", "words"), [
    (2**31, "Integer32"), (TimeTicks(-1), "outside"), (IpAddress("10.1.2"), "IPv4"),
    (True, "boolean"), (1.5, "no SMI type")])
def test_a_value_no_trap_can_carry_is_refused_by_name(value: object, words: str) -> None:
    with pytest.raises(SnmpError, match=words):
        encode_trap(Trap.of(oids.EM_ALARM, [(oids.EM_TEXT, value)]), "public", 1, 0)  # type: ignore[list-item]


def test_a_community_has_one_to_255_octets() -> None:
    with pytest.raises(SnmpError, match="community"):
        encode_trap(Trap(oids.COLD_START), "", 1, 0)
    with pytest.raises(SnmpError, match="community"):
        TrapTarget("127.0.0.1", community="x" * 256)


def test_other_snmp_messages_are_no_trap() -> None:
    v1 = bytes.fromhex("3040020100") + COLD_START_VECTOR[5:]
    with pytest.raises(SnmpError, match="v2c"):
        decode_trap(v1)
    get = COLD_START_VECTOR[:13] + b"\xa0" + COLD_START_VECTOR[14:]
    with pytest.raises(SnmpError, match="GetRequest"):
        decode_trap(get)
    with pytest.raises(SnmpError, match="after the message"):
        decode_trap(COLD_START_VECTOR + b"\x00")


def test_oids_parse_and_print_as_net_snmp_writes_them() -> None:
    assert Oid.parse(".1.3.6.1.2.1.1.3.0") == oids.SYS_UP_TIME_0
    assert str(oids.EM_ALARM) == "1.3.6.1.4.1.8072.9999.5060.1.0.1"
    for bad in ("", "1", "1.3.x", "3.1", "1.40", "1..3", "١.٣"):
        with pytest.raises(ValueError):
            Oid.parse(bad)


def test_every_emulator_oid_is_distinct_and_under_the_playpen() -> None:
    ours = {name: value for name, value in vars(oids).items()
            if name.startswith("EM_") and isinstance(value, Oid)}
    assert len(set(ours.values())) == len(ours)
    assert all(v[:len(oids.SIPDECT)] == oids.SIPDECT for v in ours.values())
    assert oids.SIPDECT[:9] == (1, 3, 6, 1, 4, 1, 8072, 9999, 5060)


@pytest.mark.parametrize(("text", "target"), [
    ("127.0.0.9", TrapTarget("127.0.0.9", 162, "public", "udp")),
    ("tcp:127.0.0.9:1162", TrapTarget("127.0.0.9", 1162, "public", "tcp")),
    ("UDP:trapsink:10162", TrapTarget("trapsink", 10162, "public", "udp")),
    ("trapsink:162", TrapTarget("trapsink", 162, "public", "udp")),
])
def test_a_target_is_written_as_net_snmp_writes_a_transport_address(
        text: str, target: TrapTarget) -> None:
    assert parse_target(text) == target
    assert parse_target(str(target)) == target


@pytest.mark.parametrize("text", ["", "tcp:", "udp:host:port", "host:0", "host:70000",
                                  "sctp:host:1:2", "a b:162", "::1"])
def test_a_bad_target_says_what_to_write(text: str) -> None:
    with pytest.raises(SnmpError):
        parse_target(text)


_oids = st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=12).map(
    lambda tail: Oid((1, 3, *tail)))
_values = st.one_of(
    st.integers(-(2**31), 2**31 - 1), st.binary(max_size=300), _oids,
    st.integers(0, 2**32 - 1).map(TimeTicks), st.integers(0, 2**32 - 1).map(Counter32),
    st.integers(0, 2**32 - 1).map(Gauge32),
    st.ip_addresses(v=4).map(lambda a: IpAddress(str(a))))


# pysnmp/pyasn1 take milliseconds per message: no per-example deadline on a shared machine.
@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(oid=_oids, varbinds=st.lists(st.tuples(_oids, _values), max_size=8),
       community=st.text(min_size=1, max_size=40).filter(lambda c: len(c.encode()) <= 255),
       request_id=st.integers(-(2**31), 2**31 - 1), uptime=st.integers(0, 2**32 - 1))
def test_every_trap_round_trips(oid: Oid, varbinds: list[tuple[Oid, object]], community: str,
                                request_id: int, uptime: int) -> None:
    trap = Trap.of(oid, varbinds)  # type: ignore[arg-type]
    got = decode_trap(encode_trap(trap, community, request_id, uptime))
    assert got.trap == trap
    assert [type(v) for _, v in got.trap.varbinds] == [type(v) for _, v in varbinds]
    assert got.community == community.encode().decode("latin-1")
    assert (got.request_id, got.uptime) == (request_id, uptime)


@settings(deadline=None)
@given(st.binary(max_size=200))
def test_garbage_is_an_snmp_error_never_a_crash(data: bytes) -> None:
    try:
        decode_trap(data)
    except SnmpError:
        pass


@settings(deadline=None)
@given(st.integers(0, len(COLD_START_VECTOR) - 1), st.integers(0, 255))
def test_a_flipped_octet_decodes_or_is_an_snmp_error(at: int, octet: int) -> None:
    data = bytearray(COLD_START_VECTOR)
    data[at] = octet
    try:
        decode_trap(bytes(data))
    except SnmpError:
        pass


@given(st.text(max_size=40))
def test_any_target_text_parses_or_is_refused(text: str) -> None:
    try:
        target = parse_target(text)
    except SnmpError:
        return
    assert parse_target(str(target)) == target


@given(st.text(max_size=40))
def test_any_oid_text_parses_or_is_a_value_error(text: str) -> None:
    try:
        oid = Oid.parse(text)
    except ValueError:
        return
    assert Oid.parse(str(oid)) == oid
