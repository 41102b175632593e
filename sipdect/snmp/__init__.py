"""SNMPv2c notifications: the trap PDUs the Event Manager (and, in issue 16, the RFPs) send.

Sans-I/O `trap` encodes and decodes SNMPv2-Trap messages (BER, with pysnmp's protocol
module) fed plain values and the sender's uptime; `sender` is the asyncio edge that sends
them over UDP (RFC 3417, what snmptrapd listens on by default) or TCP (RFC 3430, what the
seed names for the Event Manager). Every OID is in `sipdect.snmp.oids` (standby-eventmgr.md
B.6; the enterprise part is emulator-specific, no MIB of the real product is public).
"""

from sipdect.snmp.oids import Oid
from sipdect.snmp.sender import TrapSender, send_trap
from sipdect.snmp.target import TrapTarget, parse_target
from sipdect.snmp.trap import (
    Counter32,
    Gauge32,
    IpAddress,
    SnmpError,
    TimeTicks,
    Trap,
    Value,
    decode_trap,
    encode_trap,
)

__all__ = ["Counter32", "Gauge32", "IpAddress", "Oid", "SnmpError", "TimeTicks", "Trap",
           "TrapSender", "TrapTarget", "Value", "decode_trap", "encode_trap", "parse_target",
           "send_trap"]
