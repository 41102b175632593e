"""The OMM's SNMP settings (AXI SNMPType) and what it pushes to each RFP's agent from them.

Seed 000 "SNMP Support" (every RFP may run a read-only v1/v2c agent; traps, else the event
log; no "public"/"private"), features.md §2.9, omm-rfp.md §4.7 SNMP_RFP_UPDATE,
standby-eventmgr.md B.6 (sysName, sysLocation of the real agent).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Final

from sipdect.link.system import SnmpRfpUpdate

SETTING: Final = "SNMP"
"""The settings group (Get/SetSNMP, EventSNMPCnf)."""

FACTORY: Final[dict[str, Any]] = {
    "readCommunity": "", "contact": "", "enableTraps": False, "trapCommunity": "",
    "trapHostAddr": "",
}
"""[I] a new OMM's SNMP settings. The real OMM's factory values are not published; the seed
tells administrators to pick communities other than "public"/"private", so a factory-new
system most likely ships with none: with an empty read community the RFPs' agents answer
nobody until an administrator sets one, and traps are off (their events go to the event log).
`sipdect audit` flags the well-known communities."""

WELL_KNOWN_COMMUNITIES: Final = ("public", "private")
"""Communities every scanner tries first (seed 000: use others; `sipdect audit` flags them)."""

MAX_COMMUNITY: Final = 40
"""SNMP_RFP_UPDATE carries a community in 41 octets with its NUL (§4.7)."""
MAX_TEXT: Final = 80
"""... and sysContact, sysLocation, sysName in 81."""
DEFAULT_LOCATION: Final = "Location"
"""sysLocation of an RFP without a configured location (B.6)."""


def trap_sink(text: str) -> ipaddress.IPv4Address | None:
    """trapHostAddr as the RFPs get it: an IPv4 address, else None (no trap sink)."""
    try:
        return ipaddress.IPv4Address(text.strip())
    except ValueError:
        return None


def sys_name(record: dict[str, Any]) -> str:
    """An RFP's sysName as the real OMM sends it: 'RFP 42 (00:30:42:0F:82:27)' (V5)."""
    name = str(record.get("name") or f"RFP {int(record['id']):02d}")
    return _fit(f"{name} ({str(record['ethAddr']).upper()})", MAX_TEXT)


def rfp_update(values: dict[str, Any], record: dict[str, Any]) -> SnmpRfpUpdate:
    """The SNMP_RFP_UPDATE for one RFP (its record gives sysName and sysLocation)."""
    sink = trap_sink(str(values.get("trapHostAddr", "")))
    return SnmpRfpUpdate.create(
        trap_sink=sink or "0.0.0.0",
        contact=_fit(str(values.get("contact", "")), MAX_TEXT),
        location=_fit(str(record.get("location") or DEFAULT_LOCATION), MAX_TEXT),
        name=sys_name(record),
        ro_community=_fit(str(values.get("readCommunity", "")), MAX_COMMUNITY),
        trap_community=_fit(str(values.get("trapCommunity", "")), MAX_COMMUNITY),
        trap_enabled=bool(values.get("enableTraps")) and sink is not None)


def _fit(text: str, size: int) -> str:
    """Latin-1 text of at most `size` octets (the link's fields): other characters become
    '?', as a C string copied into the message would not carry them either."""
    return text.encode("latin-1", "replace").decode("latin-1")[:size]
