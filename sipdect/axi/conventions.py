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
#: A connection that never logs in is closed after this long [A].
LOGIN_TIMEOUT_S = 60.0

#: Paged Get... requests return at most this many records (LimitsResp records="20").
MAX_RECORDS = 20

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
