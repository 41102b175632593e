"""Every value the Event Manager rests on where the product is silent, in one place
(standby-eventmgr.md Part B; docs/eventmgr.md). [D] documented, [C] seen in independent
implementations, [I] decided here: the Event Manager System Manual is not public.
"""

from __future__ import annotations

from typing import Final

from sipdect.espa.conventions import DEFAULT_TCP_PORT
from sipdect.espa.conventions import Priority as Priority  # rules map ESPA priorities
from sipdect.snmp import oids

ESPA_PORT: Final = DEFAULT_TCP_PORT
"""The ESPA 4.4.4 TCP server's port when the config names none (sipdect.espa.conventions)."""
AXI_TLS_PORT: Final = 12622
"""The OMM's AXI port the Event Manager uses: always TLS [D SEED B.1]."""
WEB_PORT, WEB_TLS_PORT = 8082, 8444
"""The web UI: HTTP redirected to HTTPS [D SEED]."""
ADMIN: Final = "admin"
"""The web UI's preset full-access account: cannot be deleted or renamed, no aging [D SEED
"Identity, Authentication and Password Policies"]."""
ADMIN_DEFAULT_PASSWORD: Final = "admin"
"""[I] Its password until the first login changes it (forced): the seed does not say it, the
OMM's vendor default is the account name (omm/omm), so the Event Manager's is admin/admin."""
WEB_LOG_KIND: Final = "web"
"""The event log kind of the web UI's lines: logins, failed logins, logouts, expiries,
password and account changes (never a password)."""

ACCOUNT: Final = "eventmgr"
"""[I] The OMM account the supervisor makes for an Event Manager (the MOM's is `mom`)."""
PERMISSIONS: Final = ("AllCnfRead", "Messaging", "Alerting", "LocatingAlert", "Locating",
                      "Monitoring")
"""What that account may do [C B.3]: every message priority (Alerting for Emergency), locating
and technical monitoring; [I] and reading the configuration (AllCnfRead), since rules on "the
users near a location" need the RFPs' names and places and the users' numbers and devices,
which only AllCnfRead reads. No configuration writes."""
NEAR_PREFIX: Final = "near:"
"""[I] A rule step entry `near:RFP`, `near:RFP1|RFP2` (ids or names) or `near:X,Y,RADIUS`
(metres on the site plan): the users whose handsets were last located there."""
LOCATE_EVERY_S: Final = 60.0
"""[I] How often the Event Manager asks the OMM where every locatable user is
(RequestPositionInfo each); a handset that no longer answers is `user-lost`."""
PAGE_RECORDS: Final = 20
"""Records per GetPPUser / GetRFP page the Event Manager asks for (the schema's usual 20)."""
USER_LOST, USER_DETACHED = "user-lost", "user-detached"
"""[I] OMM input kinds: a locatable user's handset stopped answering position requests (out of
range; the OMM sends no AXI event of its own when a PP leaves coverage), or its PP state went
to callState none (it detached: switched off)."""

SOURCES: Final = ("espa", "alarm", "omm")
"""What a rule can listen to: ESPA calls, handset alarms (the OMM's alarm triggers), OMM
events (docs/eventmgr.md "Inputs and rules")."""
MESSAGE_PRIORITY: Final = {Priority.ALARM: "Emergency", Priority.HIGH: "High",
                           Priority.NORMAL: "Normal"}
"""ESPA record 6 -> SendMessage priority [I B.2's proposal]; any other digit is Normal."""
MESSAGE_PRIORITIES: Final = ("Info", "Low", "Normal", "High", "Emergency", "LocatingAlert")
"""The schema's MessagePriorityType [D XSD]."""
MELODIES: Final = ("None", *(f"MsgMelody{n}" for n in range(1, 11)))
"""SendMessage melody values [D XSD]; ESPA record 3 (beep 1-9) is MsgMelody<n> [I B.2]."""
CONFIRMATIONS: Final = ("ReadYes", "ReadNo", "OrderOk", "OrderNok", "OrderDontKnow",
                        "CompleteDone", "CompleteNotDone", "CompleteFailed")
"""EventMessageConfirmation values [D XSD]."""
DEFAULT_CONFIRM: Final = ("OrderOk", "OrderNok")
"""[I] The confirmation requests an alarm message carries unless its rule says otherwise: the
handset offers "1:OrderOk 2:OrderNok", its OK key accepts."""
DEFAULT_ACCEPT: Final = ("OrderOk", "CompleteDone")
"""[I B.7] The confirmations that end an alarm (somebody takes it); any other answer counts as
a refusal and escalates at once."""
ESCALATE_ON: Final = ("Rejected", "TemporaryUnavailable", "WrongURI")
"""EventMessageProgress values after which the phone will not show the message: escalate at
once [I B.7]; Busy and PagingTimeout wait for the timer (the OMM keeps trying) [C B.3]."""
DEFAULT_ESCALATE_S: Final = 30.0
"""[I] Escalate when nobody confirmed within this (Avaya: urgent messages need an ack within
30 s, B.5)."""
FROM_ADDR: Final = "alarmserver:eventmgr"
"""[I] The sender of every message (a free-form URI as the schema allows, B.3)."""
MAX_MESSAGE_ID: Final = 1 << 20
"""SendMessage ids are below 2^20 since 7.0 [D B.3]; ours wrap to 1."""


class EspaStatus:
    """[I] Record 7 (call status) of the status information block queued for the control
    equipment's poll; no public source gives the values a paging system sends, so they are
    digits chosen here, and record 2 says it in words."""

    CONFIRMED = "1"
    """A user accepted the alarm."""
    DELIVERED = "2"
    """The first handset shows it (sent only when the rule asks: `status_delivered`)."""
    REFUSED = "3"
    """A user answered with a non-accepting confirmation."""
    FAILED = "4"
    """Every step of the escalation passed without an accepting confirmation."""


TRAPS: Final = {
    "alarm": str(oids.EM_ALARM),
    "confirmed": str(oids.EM_CONFIRMED),
    "escalated": str(oids.EM_ESCALATED),
    "failed": str(oids.EM_UNCONFIRMED),
    "event": str(oids.EM_EVENT),
}
"""[I B.6] snmpTrapOID.0 of each trap the Event Manager sends: emulator-specific, from the one
table of the kit (sipdect.snmp.oids: below netSnmpPlaypen, as no MIB of the real product is
public)."""
TRAP_VARBINDS: Final = {
    "kind": str(oids.EM_EVENT_TYPE),
    "source": str(oids.EM_SOURCE),
    "text": str(oids.EM_TEXT),
    "priority": str(oids.EM_PRIORITY),
    "user": str(oids.EM_USER),
}
"""[I] The OctetString varbinds of every trap: event type, source (ESPA address, trigger,
RFP), text, priority, the user it concerns (sipdect.snmp.oids)."""

RECONNECT_S: Final = (1.0, 30.0)
"""[I] The AXI session to the OMM is tried again after 1 s, doubling to 30 s (as the MOM)."""
CONNECT_TIMEOUT_S: Final = 10.0
"""[I] TCP and TLS set-up of that session gives up after this (real seconds)."""
PING_S: Final = 60.0
"""[I] A Ping to the OMM after this long without a request: the OMM closes a session idle for
300 s (sipdect.axi.conventions.IDLE_TIMEOUT_S), and an Event Manager waits for alarms."""
LOG_KEEP: Final = 10_000
"""[I] Event log entries kept; the oldest go first."""
GARBAGE_CLOSES: Final = True
"""[I] Bytes outside any ESPA block (no SOH, no ENQ/ACK/NAK/EOT) close that one connection:
a peer that sends them speaks something else. A block with a bad BCC is answered `1 NAK` and
the link stays up (the sender retries) [D B.2]."""
