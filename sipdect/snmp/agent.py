"""A read-only SNMPv1/v2c command responder, sans-I/O: request bytes in, response bytes out.

RFC 1157 (v1), RFC 1901/3416 (v2c): GetRequest, GetNextRequest, GetBulkRequest (v2c) over a
sorted list of objects the owner builds from its live state; SetRequest is refused (the
seed's "the SIP-DECT SNMP agent does not support write access"). A request with another
community gets no answer at all, as net-snmp agents drop it (`AgentAnswer.auth_failure`
tells the owner, which may send authenticationFailure). pysnmp's protocol modules and
pyasn1 do the BER, as for the traps (sipdect.snmp.trap); no pysnmp engine, no MIB loading:
one such responder per RFP costs a few objects.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pyasn1.codec.ber import decoder
from pyasn1.error import PyAsn1Error
from pysnmp.proto import api

from sipdect.snmp.oids import Oid
from sipdect.snmp.trap import (
    INT32_MAX,
    INT32_MIN,
    UINT32_MAX,
    Counter32,
    Gauge32,
    IpAddress,
    SnmpError,
    TimeTicks,
    Value,
    encode_message,
)

_V1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
_V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

# Error statuses (RFC 3416 §3); v1 knows the first six.
NO_ERROR: Final = 0
TOO_BIG: Final = 1
NO_SUCH_NAME: Final = 2
GEN_ERR: Final = 5
NO_ACCESS: Final = 6

SET_REFUSED_V2C: Final = NO_ACCESS
"""[I] what a SET with the read-only community gets in v2c: net-snmp answers noAccess when
its VACM gives the community no write view (a `rocommunity`)."""
SET_REFUSED_V1: Final = NO_SUCH_NAME
"""What the same SET gets in v1, which has no noAccess (RFC 2576 §4.3 maps it so)."""
MAX_BULK_VARBINDS: Final = 200
"""[I] at most this many varbinds in one GetBulk response, whatever max-repetitions says."""
MAX_RESPONSE: Final = 1472
"""[I] responses stay within one Ethernet frame's UDP payload; a GetBulk answer is cut to
fit, a Get/GetNext answer that cannot fit is tooBig (RFC 3416 §4.2.1)."""

Objects = Sequence[tuple[Oid, Value]]
"""The agent's MIB view: (OID, value) sorted by OID."""


@dataclass(frozen=True, slots=True)
class AgentAnswer:
    """What one request datagram leads to."""

    response: bytes | None
    """The response message to send back; None: send nothing."""
    auth_failure: bool = False
    """The request carried another community (SNMPv2-MIB authenticationFailure)."""
    request: str = ""
    """The PDU's kind (get, getnext, getbulk, set), "" when it was none."""


def _smi(module: Any, value: Value) -> Any:
    v1 = module is _V1
    if isinstance(value, Oid):
        return module.ObjectIdentifier(value)
    if isinstance(value, TimeTicks | Counter32 | Gauge32):
        if not 0 <= int(value) <= UINT32_MAX:
            raise SnmpError(f"{type(value).__name__} {value} is outside 0..2^32-1")
        if isinstance(value, TimeTicks):
            return module.TimeTicks(int(value))
        if isinstance(value, Counter32):
            return (_V1.Counter if v1 else _V2C.Counter32)(int(value))
        return (_V1.Gauge if v1 else _V2C.Gauge32)(int(value))
    if isinstance(value, bool):
        raise SnmpError("a boolean has no SMI type")
    if isinstance(value, int):
        if not INT32_MIN <= value <= INT32_MAX:
            raise SnmpError(f"Integer32 {value} is outside -2^31..2^31-1")
        return module.Integer(value)
    if isinstance(value, IpAddress):
        return module.IpAddress(ipaddress.IPv4Address(str(value)).packed)
    if isinstance(value, str):
        return module.OctetString(value.encode("utf-8"))
    if isinstance(value, bytes):
        return module.OctetString(value)
    raise SnmpError(f"no SMI type for {type(value).__name__}")


class ReadOnlyAgent:
    """Answers requests with `community` from `objects()` (called once per request, so the
    values are live). `community` "" or None: it answers nobody."""

    def __init__(self, objects: Callable[[], Objects], community: str | None = None) -> None:
        self.objects = objects
        self.community = community
        self.answered = 0
        """Requests answered."""
        self.dropped = 0
        """Datagrams dropped: another community, or no SNMP request at all."""

    def receive(self, data: bytes) -> AgentAnswer:
        """The answer to one datagram. Never raises: junk is dropped."""
        try:
            answer = self._receive(bytes(data))
        except (PyAsn1Error, SnmpError, ValueError, TypeError, KeyError, IndexError):
            answer = AgentAnswer(None)
        if answer.response is None:
            self.dropped += 1
        else:
            self.answered += 1
        return answer

    def _receive(self, data: bytes) -> AgentAnswer:
        # One decode for both versions: v2c's PDU choice has v1's requests under the same
        # tags (RFC 3416 §3), so only the answer's types depend on the version.
        message, rest = decoder.decode(data, asn1Spec=_V2C.Message())
        version = int(message["version"])
        if rest or version not in (api.SNMP_VERSION_1, api.SNMP_VERSION_2C):
            return AgentAnswer(None)
        module = _V1 if version == api.SNMP_VERSION_1 else _V2C
        pdu = _V2C.apiMessage.get_pdu(message)
        if module is _V1 and isinstance(pdu, _V2C.GetBulkRequestPDU):
            return AgentAnswer(None)  # no GetBulk in v1
        community = bytes(message["community"].asOctets())
        kind = _kind(pdu)
        if not kind:
            return AgentAnswer(None)
        if not self.community or community != self.community.encode("utf-8"):
            return AgentAnswer(None, auth_failure=True, request=kind)
        names = [Oid(oid) for oid, _ in _V2C.apiPDU.get_varbinds(pdu)]
        request_id = int(_V2C.apiPDU.get_request_id(pdu))
        if kind == "set":
            status = SET_REFUSED_V1 if module is _V1 else SET_REFUSED_V2C
            binds = [(name, None) for name in names]
            return AgentAnswer(self._encode(module, community, request_id, binds, status,
                                            1 if names else 0, echo=pdu), request=kind)
        view = list(self.objects())
        keys = [oid for oid, _ in view]
        if kind == "getbulk":
            non_repeaters = max(0, int(_V2C.apiBulkPDU.get_non_repeaters(pdu)))
            repetitions = max(0, int(_V2C.apiBulkPDU.get_max_repetitions(pdu)))
            return AgentAnswer(self._bulk(community, request_id, names, non_repeaters,
                                          repetitions, view, keys), request=kind)
        results: list[tuple[Oid, Any]] = []
        for index, name in enumerate(names, 1):
            found = _get(name, view, keys) if kind == "get" else _next(name, view, keys)
            if isinstance(found, _Missing):
                if module is _V1:  # v1: the whole request fails on the first miss
                    return AgentAnswer(self._encode(module, community, request_id,
                                                    [(n, None) for n in names],
                                                    NO_SUCH_NAME, index, echo=pdu),
                                       request=kind)
                results.append((name, found))
            else:
                results.append(found)
        response = self._encode(module, community, request_id, results, NO_ERROR, 0)
        if len(response) > MAX_RESPONSE:
            response = self._encode(module, community, request_id,
                                    [(n, None) for n in names], TOO_BIG, 0, echo=pdu)
        return AgentAnswer(response, request=kind)

    def _bulk(self, community: bytes, request_id: int, names: list[Oid], non_repeaters: int,
              repetitions: int, view: list[tuple[Oid, Value]], keys: list[Oid]) -> bytes:
        """RFC 3416 §4.2.3, cut to MAX_BULK_VARBINDS and MAX_RESPONSE."""
        results: list[tuple[Oid, Any]] = []
        for name in names[:non_repeaters]:
            found = _next(name, view, keys)
            results.append((name, found) if isinstance(found, _Missing) else found)
        cursors = names[non_repeaters:]
        for _ in range(repetitions if cursors else 0):
            if len(results) >= MAX_BULK_VARBINDS:
                break
            row: list[tuple[Oid, Any]] = []
            for cursor in cursors:
                found = _next(cursor, view, keys)
                row.append((cursor, found) if isinstance(found, _Missing) else found)
            results += row
            cursors = [oid for oid, _ in row]
            if all(isinstance(value, _Missing) for _, value in row):
                break  # every column ran off the end of the view
        results = results[:MAX_BULK_VARBINDS]
        while True:
            response = self._encode(_V2C, community, request_id, results, NO_ERROR, 0)
            if len(response) <= MAX_RESPONSE or len(results) <= 1:
                return response
            results = results[: max(1, len(results) * MAX_RESPONSE // len(response) - 1)]

    @staticmethod
    def _encode(module: Any, community: bytes, request_id: int,
                binds: Sequence[tuple[Oid, Any]], status: int, index: int,
                echo: Any = None) -> bytes:
        """A response PDU. Values: a Value, None (echo the request's own value: errors), or
        "noSuchObject"/"noSuchInstance"/"endOfMibView" (v2c exceptions)."""
        out = []
        echoed = dict((Oid(o), v) for o, v in _V2C.apiPDU.get_varbinds(echo)) \
            if echo is not None and module is _V2C else {}
        for oid, value in binds:
            if value is None:
                smi = echoed.get(oid, module.Null(""))
            elif isinstance(value, _Missing):
                smi = _EXCEPTIONS[value]
            else:
                smi = _smi(module, value)
            out.append((module.ObjectIdentifier(oid), smi))
        pdu = module.GetResponsePDU()
        module.apiPDU.set_defaults(pdu)
        module.apiPDU.set_request_id(pdu, request_id)
        module.apiPDU.set_error_status(pdu, status)
        module.apiPDU.set_error_index(pdu, index)
        module.apiPDU.set_varbinds(pdu, out)
        return encode_message(module, community, pdu, "the response")


class _Missing(str):
    """A v2c exception value in place of a varbind's value (RFC 3416 §3)."""

    __slots__ = ()


NO_SUCH_OBJECT: Final = _Missing("noSuchObject")
NO_SUCH_INSTANCE: Final = _Missing("noSuchInstance")
END_OF_MIB_VIEW: Final = _Missing("endOfMibView")
_EXCEPTIONS: Final[dict[str, Any]] = {
    NO_SUCH_OBJECT: _V2C.NoSuchObject(""),
    NO_SUCH_INSTANCE: _V2C.NoSuchInstance(""),
    END_OF_MIB_VIEW: _V2C.EndOfMibView(""),
}


def _kind(pdu: Any) -> str:
    if isinstance(pdu, _V2C.GetRequestPDU):
        return "get"
    if isinstance(pdu, _V2C.GetNextRequestPDU):
        return "getnext"
    if isinstance(pdu, _V2C.SetRequestPDU):
        return "set"
    if isinstance(pdu, _V2C.GetBulkRequestPDU):
        return "getbulk"
    return ""


def _get(name: Oid, view: Sequence[tuple[Oid, Value]],
         keys: list[Oid]) -> tuple[Oid, Value] | _Missing:
    at = bisect.bisect_left(keys, name)
    if at < len(keys) and keys[at] == name:
        return view[at]
    # An instance of an object the view has (a scalar's .1, a row that is not there)?
    parent = name[:-1]
    if at < len(keys) and keys[at][: len(parent)] == parent and len(parent) > 1:
        return NO_SUCH_INSTANCE
    if at > 0 and keys[at - 1][: len(parent)] == parent and len(parent) > 1:
        return NO_SUCH_INSTANCE
    return NO_SUCH_OBJECT


def _next(name: Oid, view: Sequence[tuple[Oid, Value]],
          keys: list[Oid]) -> tuple[Oid, Value] | _Missing:
    at = bisect.bisect_right(keys, name)
    return view[at] if at < len(keys) else END_OF_MIB_VIEW
