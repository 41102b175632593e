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
LINK_DOWN: Final = Oid.parse("1.3.6.1.6.3.1.1.5.3")
"""IF-MIB linkDown (ifIndex, ifAdminStatus, ifOperStatus)."""
LINK_UP: Final = Oid.parse("1.3.6.1.6.3.1.1.5.4")
"""IF-MIB linkUp."""

# MIB-II (RFC 1213, SNMPv2-MIB, IF-MIB): what an RFP's agent serves.
SYSTEM: Final = Oid.parse("1.3.6.1.2.1.1")
SYS_DESCR_0: Final = SYSTEM.child(1, 0)
SYS_OBJECT_ID_0: Final = SYSTEM.child(2, 0)
SYS_CONTACT_0: Final = SYSTEM.child(4, 0)
SYS_NAME_0: Final = SYSTEM.child(5, 0)
SYS_LOCATION_0: Final = SYSTEM.child(6, 0)
SYS_SERVICES_0: Final = SYSTEM.child(7, 0)
INTERFACES: Final = Oid.parse("1.3.6.1.2.1.2")
IF_NUMBER_0: Final = INTERFACES.child(1, 0)
IF_ENTRY: Final = INTERFACES.child(2, 1)
"""ifEntry: column n of interface i is IF_ENTRY.child(n, i)."""
IF_INDEX, IF_DESCR, IF_TYPE, IF_MTU, IF_SPEED, IF_PHYS_ADDRESS = 1, 2, 3, 4, 5, 6
IF_ADMIN_STATUS, IF_OPER_STATUS, IF_LAST_CHANGE, IF_IN_OCTETS, IF_OUT_OCTETS = 7, 8, 9, 10, 16
"""ifEntry's columns an RFP's agent fills."""
NET_SNMP_LINUX: Final = Oid.parse("1.3.6.1.4.1.8072.3.2.10")
"""NET-SNMP-TC netSnmpAgentOIDs.linux: sysObjectID of a net-snmp agent on Linux, what an RFP's
(net-snmp, B.6) agent most likely reports; no Mitel sysObjectID is public [I]."""

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

RFP: Final = SIPDECT.child(2)
"""An RFP's own notifications (.0.n) and objects (.1.n) beside the standard ones: its OMM link
and its DECT sync have no public trap (the real RFP's alarm MIB is not public)."""
RFP_TRAPS: Final = RFP.child(0)
RFP_OBJECTS: Final = RFP.child(1)
RFP_OMM_LINK_UP: Final = RFP_TRAPS.child(1)
"""The RFP's link to its OMM came up (sent once the OMM's SNMP settings arrived)."""
RFP_OMM_LINK_DOWN: Final = RFP_TRAPS.child(2)
"""The RFP's link to its OMM was lost."""
RFP_SYNC_LOST: Final = RFP_TRAPS.child(3)
"""The RFP's DECT lost its synchronisation (Searching, NotSynced)."""
RFP_SYNC_REGAINED: Final = RFP_TRAPS.child(4)
"""The RFP's DECT is synchronised again."""
RFP_MAC: Final = RFP_OBJECTS.child(1)
"""OctetString: the RFP's Ethernet address as text (00:30:42:..)."""
RFP_OMM: Final = RFP_OBJECTS.child(2)
"""OctetString: the OMM's address (host:port) the link is or was up to."""
RFP_REASON: Final = RFP_OBJECTS.child(3)
"""OctetString: why (the link's reason, the sync state)."""
