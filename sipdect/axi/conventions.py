"""Choices the public AXI material leaves open, kept in one place (../shared/specs/axi.md §9).

Each constant says what the emulator does where the real OMM's behaviour is an
assumption [A]; change a behaviour here, not in the handlers.
"""

from __future__ import annotations

#: Requests served on a link that has not logged in yet. Open is the login;
#: GetVersions is accepted as python-mitel's docs claim a real OMM does [A].
PRE_LOGIN_REQUESTS = frozenset({"Open", "GetVersions"})

#: Answer to any other request before login [A].
NOT_LOGGED_IN = ("EPerm", "not logged in: send Open first")

#: Answer to a second Open on an opened session [A] (N doc: not accepted).
ALREADY_OPEN = ("EForbidden", "session is already open")

#: Answer to a request the schema defines but this emulator does not implement [A].
UNSUPPORTED = ("EFailed", "request not supported")

#: Answer to an element the schema does not know at all [A]; `bad` names it.
UNKNOWN_REQUEST = ("EInval", "unknown request")

#: While the vendor default password is still set only these are served, so a
#: client can log in, look around minimally and change the password [A].
DEFAULT_PASSWORD_REQUESTS = frozenset(
    {"Open", "Ping", "GetVersions", "GetAccount", "SetAccount", "GetPublicKey", "Limits"})
MUST_CHANGE_PASSWORD = ("EPerm", "the default password must be changed first (SetAccount)")

#: A real OMM drops an AXI link after 5 minutes without a request (N docs).
IDLE_TIMEOUT_S = 300.0

# Connections that have not logged in yet (sipdect.axi.admission). A real OMM's numbers are
# not public [A]. axiClients (LIMITS) counts logged-in sessions only; connections waiting to
# log in have a quota of their own, so that idle or junk connections, which anyone can
# open without credentials, never take a logged-in client's slot.
#: A connection must log in (Open) within this long; real tools send Open at once [A].
LOGIN_TIMEOUT_S = 10.0
#: Connections from one source address that may wait to log in at the same time [A]; a
#: tool opening more at once is refused the extra ones (sipdect bench connects in waves).
PRE_LOGIN_PER_SOURCE = 10
#: Connections from all sources that may wait to log in at the same time [A]. When full, a
#: newcomer from a less busy source evicts the oldest waiting connection of the busiest
#: source, so a client that logs in promptly gets in even while others flood the port.
PRE_LOGIN_TOTAL = 40
#: Refused or dropped pre-login connections are logged once per source address, then
#: summed up in one line per source at most this often [A].
REFUSAL_REPORT_S = 60.0
#: A failed Open (EAuth) is answered this long after its password was checked [A]. A real
#: OMM locks no account out and limits no number of attempts (seed 000 "Application - Login
#: Security"), and a failed Open leaves the link open for another try (axi.md §1 "Before
#: login"); so guessing is slowed instead: about one guess a second per connection, within
#: the pre-login quota and deadline above. A successful Open is answered at once.
FAILED_LOGIN_DELAY_S = 1.0
#: Password checks (scrypt, tens of ms of CPU each) run in a worker thread, never on the
#: event loop that serves the RFPs, SIP and voice, and at most this many at once per OMM
#: [A]; further Opens wait in line, so a flood of them costs one core at most.
PASSWORD_CHECKS_AT_ONCE = 1
#: Answer to an Open while axiClients sessions are logged in already; the link is then
#: closed [A] (a real OMM refuses the connection; the error code is our choice).
AXI_CLIENTS_FULL = ("EFailed", "too many AXI clients logged in (axiClients)")

#: Paged Get... requests return at most this many records (LimitsResp records="20").
MAX_RECORDS = 20

# PPUserSummaryType counters (axi.md §3.4, §5.6), each counted over the user records as
# GetPPUser shows them (omm.axi.summaries); nSipRegistration counts the users whose
# device's GetPPState says registered="1". What the real OMM counts is not documented [A].
#: Counter -> boolean PPUserType field it counts ("nMsgSend": users allowed to send).
USER_SUMMARY_FLAGS = {"nLocatable": "locatable", "nBtLocatable": "BTlocatable",
                      "nMsgSend": "msgRight"}
#: Counter -> PPUserType monitoringMode it counts.
USER_MONITORING_MODES = {"usersActiveMonitored": "Active", "usersPassiveMonitored": "Passive"}
#: Counter -> a monitoring state (HAS, HSS, ...) any of which puts a user in it.
USER_MONITORING_COUNTERS = {"usersWarned": "Warning", "usersUnavailable": "Unavailable",
                            "usersEscalated": "Escalated"}

#: SendMessage toAddr forms (standby-eventmgr.md B.3: `tel:`, `ppn:23`; schemes compare
#: case-insensitively, real traffic has "Tel:"): `ppn:N` is device N, `tel:NUM` and a bare
#: NUM are the device of the user with that number. Other schemes (a real OMM may hand
#: them to AXI clients subscribed to that scheme) are refused with EInval [A].
MESSAGE_ADDRESS_SCHEMES = ("ppn", "tel")
#: toAddr is at most this long (standby-eventmgr.md B.3).
MESSAGE_ADDRESS_MAX_LEN = 128

#: What the emulated OMM says it is (OpenResp, GetVersions).
PROTOCOL_VERSION = "45"
OMM_VERSION = "OpenMobility Manager SIP-DECT 9.1SP1 (sipdect emulator)"
AXI_VERSION = "191101"
AXI_SPEC_VERSION = "9.1"
MIN_PP_SW_VERSIONS = ("7.0", "7.0", "7.0", "7.0")

#: Booleans: PP records and most responses write 1/0, OMM >= 8.0 writes true/false
#: for these (N compares against "true" literally, axi.md §1.1).
TRUE_FALSE_RESPONSES = frozenset({
    "GetDevAutoCreateResp", "SetDevAutoCreateResp", "GetRFPCaptureResp", "SetRFPCaptureResp",
    "EventDevAutoCreateCnf", "EventRFPCaptureCnf",
})

#: Limits reported by LimitsResp, matching a real Linux-server OMM (axi.md §6 sample);
#: axiClients is enforced per OMM.
LIMITS: dict[str, int] = {
    "axiClients": 100, "omm": 0, "codec": 5, "rfpNum": 4096, "site": 250, "dnsServer": 3,
    "ntpServer": 3, "ppProfileNum": 20, "limitRTT1": 25, "limitRTT2": 50, "limitRTT3": 150,
    "limitRTT4": 500, "ldapServer": 5, "licLatency": 43200, "ppnNum": 10000, "records": 20,
    "ssidWlan": 4, "ssidWlanKey": 4, "trigger": 100, "urlLen": 513, "userId": 100,
    "wlanMacFilter": 512, "xmlBuiltInAppl": 15, "xmlDynAppl": 10, "xmlCorpDirAppl": 5,
    "wlanClients": 262144, "wlanProfiles": 20, "bluetoothBeacons": 28672,
    "bluetoothNeighbours": 8, "bluetoothRssiValues": 6, "conferenceRooms": 100,
    "certificateNum": 10, "ppVideoDevNum": 10,
}
