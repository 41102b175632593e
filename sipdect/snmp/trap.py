"""SNMPv2-Trap messages, sans-I/O: plain values in, BER bytes out, and back (RFC 3416 §4.2.6,
RFC 3417 for the message, v2c community as RFC 1901 has it).

pysnmp's protocol module and pyasn1 do the BER; this module fixes what a trap carries
(sysUpTime.0, snmpTrapOID.0, then the notification's varbinds) and maps Python values to
SMI types: int -> Integer32, str -> OctetString (UTF-8), bytes -> OctetString, Oid ->
OBJECT IDENTIFIER, and the marked ints and strings below to their application types.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pysnmp.proto import api

from sipdect.snmp.oids import SNMP_TRAP_OID_0, SYS_UP_TIME_0, Oid

_V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
UINT32_MAX = 2**32 - 1
MAX_COMMUNITY = 255  # SNMP-COMMUNITY-MIB snmpCommunityName: at most 255 octets
MAX_MESSAGE = 65507  # the largest UDP payload over IPv4; TCP (RFC 3430) carries the same


class SnmpError(ValueError):
    """A value that cannot go into a trap, or bytes that are no SNMPv2c trap."""


class TimeTicks(int):
    """Hundredths of a second (0 .. 2^32-1)."""

    __slots__ = ()


class Counter32(int):
    """A wrapping counter (0 .. 2^32-1)."""

    __slots__ = ()


class Gauge32(int):
    """A non-negative level (0 .. 2^32-1), also Unsigned32."""

    __slots__ = ()


class IpAddress(str):
    """A dotted IPv4 address."""

    __slots__ = ()


Value = int | str | bytes | Oid
"""What a varbind holds (TimeTicks, Counter32, Gauge32 are ints, IpAddress a str)."""


@dataclass(frozen=True, slots=True)
class Trap:
    """One notification, apart from who sends it and when."""

    oid: Oid
    """snmpTrapOID.0: which notification (sipdect.snmp.oids)."""
    varbinds: tuple[tuple[Oid, Value], ...] = ()
    """The notification's objects, in order, after sysUpTime.0 and snmpTrapOID.0."""

    @classmethod
    def of(cls, oid: Oid, varbinds: Iterable[tuple[Oid, Value]] = ()) -> Trap:
        return cls(oid, tuple(varbinds))

    def value(self, oid: Oid) -> Value | None:
        """The first varbind's value with this OID, None when absent."""
        return next((v for o, v in self.varbinds if o == oid), None)


@dataclass(frozen=True, slots=True)
class ReceivedTrap:
    """A decoded SNMPv2c trap message."""

    community: str
    """The v2c community (decoded as Latin-1: any octets)."""
    request_id: int
    """The PDU's request-id."""
    uptime: TimeTicks
    """sysUpTime.0 of the sender."""
    trap: Trap
    """snmpTrapOID.0 and the varbinds after it; octet strings come back as bytes."""


def _smi(value: Value) -> Any:
    if isinstance(value, bool):
        raise SnmpError("a boolean has no SMI type: send 1/2 (TruthValue) or text")
    if isinstance(value, Oid):
        return _V2C.ObjectIdentifier(value)
    if isinstance(value, TimeTicks | Counter32 | Gauge32):
        if not 0 <= int(value) <= UINT32_MAX:
            raise SnmpError(f"{type(value).__name__} {value} is outside 0..2^32-1")
        kind = {TimeTicks: _V2C.TimeTicks, Counter32: _V2C.Counter32, Gauge32: _V2C.Gauge32}
        return kind[type(value)](int(value))
    if isinstance(value, int):
        if not INT32_MIN <= int(value) <= INT32_MAX:
            raise SnmpError(f"Integer32 {value} is outside -2^31..2^31-1")
        return _V2C.Integer32(value)
    if isinstance(value, IpAddress):
        try:
            packed = ipaddress.IPv4Address(str(value)).packed
        except ValueError:
            raise SnmpError(f"IpAddress {value!r} is no IPv4 address") from None
        return _V2C.IpAddress(packed)
    if isinstance(value, str):
        return _V2C.OctetString(value.encode("utf-8"))
    if isinstance(value, bytes):
        return _V2C.OctetString(value)
    raise SnmpError(f"no SMI type for {type(value).__name__}")


def _python(value: Any) -> Value:
    for smi, py in ((_V2C.TimeTicks, TimeTicks), (_V2C.Counter32, Counter32),
                    (_V2C.Gauge32, Gauge32), (_V2C.Unsigned32, Gauge32)):
        if isinstance(value, smi):
            return py(int(value))
    if isinstance(value, _V2C.Integer):
        return int(value)
    if isinstance(value, _V2C.IpAddress):
        return IpAddress(ipaddress.IPv4Address(bytes(value.asOctets())))
    if isinstance(value, _V2C.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, _V2C.ObjectIdentifier):
        return Oid(value)
    raise SnmpError(f"varbind of type {type(value).__name__} is not supported")


def encode_trap(trap: Trap, community: str, request_id: int, uptime: int) -> bytes:
    """The SNMPv2c message of `trap` (BER); `uptime` in hundredths of a second since the
    sender started (taken modulo 2^32, as sysUpTime wraps)."""
    octets = community.encode("utf-8")
    if not 1 <= len(octets) <= MAX_COMMUNITY:
        raise SnmpError(f"a community has 1..{MAX_COMMUNITY} octets, not {len(octets)}")
    if not INT32_MIN <= request_id <= INT32_MAX:
        raise SnmpError(f"request-id {request_id} is outside -2^31..2^31-1")
    binds = [(_V2C.ObjectIdentifier(SYS_UP_TIME_0), _V2C.TimeTicks(uptime % 2**32)),
             (_V2C.ObjectIdentifier(SNMP_TRAP_OID_0), _V2C.ObjectIdentifier(trap.oid))]
    binds += [(_V2C.ObjectIdentifier(oid), _smi(value)) for oid, value in trap.varbinds]
    pdu = _V2C.SNMPv2TrapPDU()
    _V2C.apiTrapPDU.set_defaults(pdu)
    _V2C.apiPDU.set_request_id(pdu, request_id)
    _V2C.apiPDU.set_varbinds(pdu, binds)
    return encode_message(_V2C, octets, pdu, "the trap")


def encode_message(module: Any, community: bytes, pdu: Any, what: str) -> bytes:
    """A PDU in its SNMP message (`module`: pysnmp's v1 or v2c protocol module), BER; an
    SnmpError when it is longer than a datagram carries (`what` names it)."""
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, community)
    module.apiMessage.set_pdu(message, pdu)
    data: bytes = encoder.encode(message)
    if len(data) > MAX_MESSAGE:
        raise SnmpError(f"{what} is {len(data)} octets, more than {MAX_MESSAGE}")
    return data


def decode_trap(data: bytes) -> ReceivedTrap:
    """The trap in one SNMPv2c message; SnmpError for anything else."""
    try:
        message, rest = decoder.decode(bytes(data), asn1Spec=_V2C.Message())
        if rest:
            raise SnmpError(f"{len(rest)} octets after the message")
        if int(message["version"]) != api.SNMP_VERSION_2C:
            raise SnmpError(f"SNMP version {int(message['version'])} is not v2c (1)")
        pdu = _V2C.apiMessage.get_pdu(message)
        if not isinstance(pdu, _V2C.SNMPv2TrapPDU):
            raise SnmpError(f"a {type(pdu).__name__}, not an SNMPv2-Trap-PDU")
        community = bytes(message["community"].asOctets()).decode("latin-1")
        request_id = int(_V2C.apiPDU.get_request_id(pdu))
        binds = [(Oid(oid), _python(value)) for oid, value in _V2C.apiPDU.get_varbinds(pdu)]
    except PyAsn1Error as exc:
        raise SnmpError(f"not an SNMP message: {exc}") from None
    if len(binds) < 2 or binds[0][0] != SYS_UP_TIME_0 or binds[1][0] != SNMP_TRAP_OID_0:
        raise SnmpError("a trap starts with sysUpTime.0 and snmpTrapOID.0")
    (_, uptime), (_, trap_oid) = binds[0], binds[1]
    if not isinstance(uptime, TimeTicks) or not isinstance(trap_oid, Oid):
        raise SnmpError("sysUpTime.0 is TimeTicks and snmpTrapOID.0 an OID")
    return ReceivedTrap(community, request_id, uptime, Trap(trap_oid, tuple(binds[2:])))
