"""The read-only SNMP responder (sipdect.snmp.agent) with plain bytes: requests made with
pysnmp's protocol modules, answers decoded the same way; junk never raises."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from sipdect.snmp import oids
from sipdect.snmp.agent import MAX_BULK_VARBINDS, NO_ACCESS, NO_SUCH_NAME, ReadOnlyAgent
from sipdect.snmp.oids import Oid
from sipdect.snmp.trap import Counter32, TimeTicks, Value

V1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
VIEW: list[tuple[Oid, Value]] = sorted([
    (oids.SYS_DESCR_0, "RFP35 SIP-DECT"), (oids.SYS_UP_TIME_0, TimeTicks(4200)),
    (oids.SYS_NAME_0, "Lobby"), (oids.IF_NUMBER_0, 1),
    (oids.IF_ENTRY.child(oids.IF_IN_OCTETS, 1), Counter32(7))])


def request(module: Any, kind: str, names: list[Oid], community: str = "ro",
            **bulk: int) -> bytes:
    pdu = {"get": module.GetRequestPDU, "next": module.GetNextRequestPDU,
           "set": module.SetRequestPDU}.get(kind) or V2C.GetBulkRequestPDU
    pdu = pdu()
    module.apiPDU.set_defaults(pdu)
    module.apiPDU.set_request_id(pdu, 77)
    if bulk:
        V2C.apiBulkPDU.set_non_repeaters(pdu, bulk["non_repeaters"])
        V2C.apiBulkPDU.set_max_repetitions(pdu, bulk["repetitions"])
    module.apiPDU.set_varbinds(pdu, [(module.ObjectIdentifier(n),
                                      module.OctetString(b"x") if kind == "set"
                                      else module.Null("")) for n in names])
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, community.encode())
    module.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def answer(module: Any, data: bytes | None) -> tuple[int, int, list[tuple[str, Any]]]:
    assert data is not None
    message, _ = decoder.decode(data, asn1Spec=module.Message())
    pdu = module.apiMessage.get_pdu(message)
    assert int(module.apiPDU.get_request_id(pdu)) == 77
    return (int(module.apiPDU.get_error_status(pdu)), int(module.apiPDU.get_error_index(pdu)),
            [(str(Oid(o)), v) for o, v in module.apiPDU.get_varbinds(pdu)])


agent = ReadOnlyAgent(lambda: VIEW, "ro")


def test_get_and_getnext_in_v2c_and_v1() -> None:
    status, _, binds = answer(V2C, agent.receive(request(V2C, "get", [oids.SYS_NAME_0])).response)
    assert status == 0 and binds == [(str(oids.SYS_NAME_0), V2C.OctetString(b"Lobby"))]
    _, _, binds = answer(V1, agent.receive(request(V1, "next", [oids.SYS_DESCR_0])).response)
    assert binds[0][0] == str(oids.SYS_UP_TIME_0) and int(binds[0][1]) == 4200


def test_misses_are_v2c_exceptions_and_v1_no_such_name() -> None:
    _, _, binds = answer(V2C, agent.receive(request(
        V2C, "get", [oids.SYS_NAME_0.child(1), Oid.parse("1.3.6.1.9.9.0")])).response)
    assert [type(v).__name__ for _, v in binds] == ["NoSuchInstance", "NoSuchObject"]
    _, _, binds = answer(V2C, agent.receive(request(
        V2C, "next", [oids.IF_ENTRY.child(oids.IF_IN_OCTETS, 1)])).response)
    assert type(binds[0][1]).__name__ == "EndOfMibView"
    status, index, _ = answer(V1, agent.receive(request(
        V1, "get", [oids.SYS_NAME_0, Oid.parse("1.3.6.1.9.9.0")])).response)
    assert (status, index) == (NO_SUCH_NAME, 2)


def test_bulk_walks_the_view_and_is_bounded() -> None:
    _, _, binds = answer(V2C, agent.receive(request(
        V2C, "bulk", [Oid.parse("1.3.6.1.2.1.1"), Oid.parse("1.3.6.1")], non_repeaters=1,
        repetitions=10_000)).response)
    assert binds[0][0] == str(oids.SYS_DESCR_0)
    assert [o for o, _ in binds[1:6]] == [str(o) for o, _ in VIEW]
    assert len(binds) <= MAX_BULK_VARBINDS


def test_set_is_refused_and_another_community_gets_nothing() -> None:
    status, index, _ = answer(V2C, agent.receive(request(V2C, "set", [oids.SYS_NAME_0]))
                              .response)
    assert (status, index) == (NO_ACCESS, 1)
    status, _, _ = answer(V1, agent.receive(request(V1, "set", [oids.SYS_NAME_0])).response)
    assert status == NO_SUCH_NAME
    wrong = agent.receive(request(V2C, "get", [oids.SYS_NAME_0], community="public"))
    assert wrong.response is None and wrong.auth_failure
    nobody = ReadOnlyAgent(lambda: VIEW).receive(request(V2C, "get", [oids.SYS_NAME_0], ""))
    assert nobody.response is None  # no community configured: it answers nobody


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_junk_is_dropped_without_raising(data: bytes) -> None:
    assert agent.receive(data).response is None or data.startswith(b"\x30")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**31 - 1), min_size=2, max_size=12), max_size=5),
       st.sampled_from(["get", "next"]))
def test_any_request_gets_a_decodable_answer(arcs: list[list[int]], kind: str) -> None:
    names = [Oid((1, 3, *a)) for a in arcs]
    status, _, binds = answer(V2C, agent.receive(request(V2C, kind, names)).response)
    assert status == 0 and [o for o, _ in binds][: len(names)] == (
        [str(n) for n in names] if kind == "get" else [o for o, _ in binds])
