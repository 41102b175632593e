"""Every OID the emulator's SNMP notifications use, in one table (standby-eventmgr.md B.6).

[D] standard MIBs (SNMPv2-MIB, NET-SNMP-AGENT-MIB); [I] emulator-specific: the real Event
Manager's trap OIDs and varbinds are not public (B.6, B.8 question 7), so they sit under
NET-SNMP-MIB's netSnmpPlaypen (1.3.6.1.4.1.8072.9999, "a place for experiments"), never
under Mitel's enterprise number, where a manager might take them for the product's own.
"""

from __future__ import annotations

from typing import Final


class Oid(tuple[int, ...]):
    """An object identifier: a tuple of arcs, printed dotted as net-snmp's -On prints it
    without the leading dot."""

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Oid:
        """'1.3.6.1' or '.1.3.6.1' -> Oid; ValueError when it is not one."""
        arcs = text.strip().removeprefix(".").split(".")
        if len(arcs) < 2 or not all(a.isdigit() and a.isascii() for a in arcs):
            raise ValueError(f"not an OID: {text!r}")
        oid = cls(int(a) for a in arcs)
        if oid[0] > 2 or (oid[0] < 2 and oid[1] > 39):
            raise ValueError(f"not an OID: {text!r} (X.690 first arcs)")
        return oid

    def child(self, *arcs: int) -> Oid:
        """This OID with `arcs` appended."""
        return Oid((*self, *arcs))

    def __str__(self) -> str:
        return ".".join(map(str, self))


# -- standard [D] -------------------------------------------------------------------------
SYS_UP_TIME_0: Final = Oid.parse("1.3.6.1.2.1.1.3.0")
"""sysUpTime.0, the first varbind of every SNMPv2-Trap (RFC 3416 §4.2.6)."""
SNMP_TRAP_OID_0: Final = Oid.parse("1.3.6.1.6.3.1.1.4.1.0")
"""snmpTrapOID.0, the second varbind: which notification this is."""
COLD_START: Final = Oid.parse("1.3.6.1.6.3.1.1.5.1")
"""An RFP's agent at start (B.6)."""
AUTHENTICATION_FAILURE: Final = Oid.parse("1.3.6.1.6.3.1.1.5.5")
"""An RFP's agent asked with an unknown community (B.6)."""
NS_NOTIFY_SHUTDOWN: Final = Oid.parse("1.3.6.1.4.1.8072.4.0.2")
"""net-snmp's agent stopping (an RFP going down, B.6)."""
NS_NOTIFY_RESTART: Final = Oid.parse("1.3.6.1.4.1.8072.4.0.3")
"""net-snmp's agent after reconfiguration (B.6)."""

# -- emulator-specific [I] --------------------------------------------------------------------
SIPDECT: Final = Oid.parse("1.3.6.1.4.1.8072.9999.5060")
"""The emulator's subtree under netSnmpPlaypen (5060: SIP's port, easy to remember)."""
EVENT_MANAGER: Final = SIPDECT.child(1)
"""The Event Manager's notifications (.0.n) and objects (.1.n), SNMPv2-SMI style."""
EM_TRAPS: Final = EVENT_MANAGER.child(0)
EM_OBJECTS: Final = EVENT_MANAGER.child(1)

EM_ALARM: Final = EM_TRAPS.child(1)
"""An input raised an alarm (an ESPA call, a handset alarm, an OMM event) that a rule took."""
EM_CONFIRMED: Final = EM_TRAPS.child(2)
"""A handset confirmed an alarm's message."""
EM_ESCALATED: Final = EM_TRAPS.child(3)
"""Nobody confirmed in time: the alarm went to the next recipients."""
EM_UNCONFIRMED: Final = EM_TRAPS.child(4)
"""The last escalation step passed with no confirmation: the alarm failed."""
EM_EVENT: Final = EM_TRAPS.child(5)
"""An OMM event a rule took (an RFP down, a handset alarm) that is no ESPA alarm."""

EM_EVENT_TYPE: Final = EM_OBJECTS.child(1)
"""OctetString: what raised it (espa, sos, manDown, noMovement, alarmTrigger, rfpDown ...)."""
EM_SOURCE: Final = EM_OBJECTS.child(2)
"""OctetString: who raised it (an ESPA call address, a handset's number, ppn:N, an RFP)."""
EM_TEXT: Final = EM_OBJECTS.child(3)
"""OctetString (UTF-8): the alarm's text."""
EM_PRIORITY: Final = EM_OBJECTS.child(4)
"""OctetString: the AXI message priority (Info ... Emergency, LocatingAlert)."""
EM_ALARM_ID: Final = EM_OBJECTS.child(5)
"""Integer32: the Event Manager's number of the alarm, the same in all its traps."""
EM_RECIPIENT: Final = EM_OBJECTS.child(6)
"""OctetString: who confirmed, or to whom it escalated (a number or a group)."""
EM_CONFIRMATION: Final = EM_OBJECTS.child(7)
"""OctetString: the AXI MessageConfirmType (ReadYes, OrderOk, CompleteDone ...)."""
EM_USER: Final = EM_OBJECTS.child(8)
"""OctetString: the user the trap concerns (a number or name)."""
