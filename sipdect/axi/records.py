"""AXI record types as they travel on the wire: `<user>`, `<pp>`, `<rfp>`, `<site>`, `<account>`.

Field names, enumerations and defaults follow the schema's PPUserType, PPDevType,
RFPType, SiteType and AccountType, corrected by captured traffic (axi.md §5):
the attribute sets are exactly those real OMMs send (mitel-ommclient2 rejects any
other), PP records write booleans as 1/0 and RFP records as true/false.
Length limits are not in the schema; the ones here are assumptions [A].
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sipdect.axi.codec import Message
from sipdect.axi.errors import invalid, too_long

_TRUE = frozenset({"1", "true"})
_FALSE = frozenset({"0", "false"})


@dataclass(frozen=True, slots=True)
class Field:
    """One attribute of a record."""

    name: str
    kind: str  # "int" | "bool" | "str" | "enum"
    default: Any = None
    max_len: int | None = None
    values: tuple[str, ...] | None = None
    writable: bool = True  # clients may set it
    secret: bool = False  # RSA+Base64 on the wire, sealed at rest
    low: int | None = None
    high: int | None = None


def parse_bool(attr: str, text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise invalid(attr, text, "not a boolean")


def parse_int(attr: str, text: str, low: int | None = None, high: int | None = None) -> int:
    try:
        value = int(text.strip(), 10)
    except ValueError:
        raise invalid(attr, text, "not an integer") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise invalid(attr, text, f"out of range {low}..{high}")
    return value


def _validate(f: Field, text: str) -> Any:
    if f.kind == "int":
        return parse_int(f.name, text, f.low, f.high)
    if f.kind == "bool":
        return parse_bool(f.name, text)
    if f.kind == "enum":
        assert f.values is not None
        if text not in f.values:
            raise invalid(f.name, text, "not one of " + "/".join(f.values))
        return text
    if f.max_len is not None and len(text) > f.max_len and not f.secret:
        # A secret's limit applies to its plaintext, checked after RSA decryption.
        raise too_long(f.name, f.max_len)
    return text


class RecordSpec:
    """Parses and renders one record type."""

    def __init__(self, element: str, key: str, fields: Iterable[Field], *,
                 true_false: bool) -> None:
        self.element = element
        self.key = key
        self.fields: tuple[Field, ...] = tuple(fields)
        self.by_name: dict[str, Field] = {f.name: f for f in self.fields}
        self._true, self._false = ("true", "false") if true_false else ("1", "0")

    def defaults(self) -> dict[str, Any]:
        return {f.name: f.default for f in self.fields}

    def parse(self, msg: Message, *, allow_readonly: bool = False) -> dict[str, Any]:
        """Typed values of the attributes present; unknown attributes are ignored.

        Read-only fields are ignored too (clients such as mitel-api echo whole
        records back), unless allow_readonly.
        """
        out: dict[str, Any] = {}
        for name, text in msg.attrs.items():
            f = self.by_name.get(name)
            if f is None or (not f.writable and not allow_readonly):
                continue
            out[name] = _validate(f, text)
        return out

    def wire(self, f: Field, value: Any) -> str:
        if f.kind == "bool":
            return self._true if value else self._false
        return "" if value is None else str(value)

    def render(self, values: Mapping[str, Any], only: Iterable[str] | None = None,
               skip: frozenset[str] = frozenset()) -> Message:
        """The record element with every field (or only the named ones)."""
        fields = self.fields if only is None else [self.by_name[n] for n in only]
        attrs = {f.name: self.wire(f, values.get(f.name, f.default))
                 for f in fields if f.name not in skip}
        return Message(self.element, attrs)


def _s(name: str, max_len: int, default: str = "", **kw: Any) -> Field:
    return Field(name, "str", default, max_len=max_len, **kw)


def _b(name: str, default: bool = False, **kw: Any) -> Field:
    return Field(name, "bool", default, **kw)


def _i(name: str, default: int = 0, **kw: Any) -> Field:
    return Field(name, "int", default, **kw)


def _e(name: str, values: tuple[str, ...], default: str, **kw: Any) -> Field:
    return Field(name, "enum", default, values=values, **kw)


REL_TYPES = ("Unbound", "Dynamic", "Fixed")
ON_OFF_GLOBAL = ("Off", "On", "Global")
MONITORING_STATES = ("Unknown", "Available", "Warning", "Unavailable", "Escalated")
#: PPUserType's user monitoring states, each one of MONITORING_STATES.
USER_MONITORING_FIELDS = ("HAS", "HSS", "HRS", "HCS", "SRS", "SCS", "CDS", "HBS", "BTS",
                          "SWS", "CUS")
LANGUAGES = ("English", "German", "French", "Spanish", "Italian", "Dutch", "Swedish",
             "Portuguese", "Danish", "Finnish", "Norwegian", "Czech", "Slovakian", "Hungarian",
             "Russian", "Turkish", "Polish", "Estonian")
FORWARD_STATES = ("Off", "Busy", "NoAnswer", "BusyNoAnswer", "All")
SUBSCRIPTION_STATES = ("No", "Unconfirmed", "Yes")
PP_HW_TYPES = ("Unknown", "142d", "610d", "620d", "630d", "612d", "622d", "632d", "650c",
               "740cv", "GAP", "612dv2", "622dv2", "632dv2")
#: RFP hardware types: the schema's list plus what captured traffic shows (mitel-api
#: accepts exactly these; an unknown RFP is written "unknown" in lower case).
RFP_HW_TYPES = ("unknown", "Unknown", "RFP 31", "RFP 32", "RFP 32 US", "RFP 33", "RFP 34",
                "RFP 34 US", "RFP 35", "RFP 36", "RFP 37", "RFP 41", "RFP 42", "RFP 42 US",
                "RFP 43", "RFP 44", "RFP 45", "RFP 47", "RFP 48", "RFP L31", "RFP L32",
                "RFP L32 US", "RFP L33", "RFP L34", "RFP L34 US", "RFP L35", "RFP L36",
                "RFP L37", "RFP L41", "RFP L42", "RFP L42 US", "RFP L43", "RFP SL35",
                "RFP SL36", "RFP SL37", "RFP SL43", "PC", "PC ECM")
SYNC_STATES = ("Inactive", "NotSynced", "Searching", "Synced")
RADIO_TYPES = ("LowTX", "NormalTX", "ConfigurableTX", "None")
SRTP_MODES = ("Only", "Preferred", "Disabled")
PERMISSIONS = ("AllCnfWrite", "AllCnfRead", "InfoMessaging", "Messaging", "Alerting",
               "LocatingAlert", "Locating", "Monitoring", "Conferencing", "Video")
AGING = ("time3Months", "time6Months", "count50Logins", "count100Logins", "none")
ACCOUNT_STATES = ("dontCare", "changed", "notChanged", "expired")

# Order and defaults as in the real CreatePPUserResp/SetPPResp captures.
PP_USER = RecordSpec("user", "uid", [
    _i("uid", writable=False), _i("uidSec", writable=False), _b("permanent", writable=False),
    _e("relType", REL_TYPES, "Unbound", writable=False), _i("ppn", writable=False),
    _i("ppnOld", writable=False), _i("timeStamp", writable=False),
    _s("name", 40), _s("num", 32), _s("hierarchy1", 16), _s("hierarchy2", 16), _s("addId", 32),
    _s("sipAuthId", 64), _s("sipPw", 64, secret=True), _s("sosNum", 32), _s("manDownNum", 32),
    _s("voiceboxNum", 32), _s("pin", 8, secret=True),
    _e("lang", LANGUAGES, "English", writable=False),
    _e("forwardState", FORWARD_STATES, "Off"), _s("forwardDest", 64),
    _i("forwardTime", low=0, high=255), _i("holdRingBackTime", 3, low=0, high=5),
    _b("callWaitingDisabled"), _e("autoAnswer", ON_OFF_GLOBAL, "Global"),
    _e("microphoneMute", ON_OFF_GLOBAL, "Global"), _e("warningTone", ON_OFF_GLOBAL, "Global"),
    _e("allowBargeIn", ON_OFF_GLOBAL, "Global"), _b("external"), _b("trackingActive"),
    _b("locatable"), _b("BTlocatable"), _e("BTsensitivity", ("low", "medium", "high"), "medium"),
    _b("locRight"), _b("msgRight", True), _b("sendVcardRight", True), _b("recvVcardRight"),
    _b("keepLocalPB"), _b("vip"), _b("sipRegisterCheck"),
    _e("conferenceServerType", ("None", "Integrated", "External", "ExternalBlindTransfer",
                                "Global"), "Global"),
    _s("conferenceServerURI", 128),
    _e("monitoringMode", ("Off", "Passive", "Active"), "Off"),
    *[_e(n, MONITORING_STATES, "Unknown", writable=False) for n in USER_MONITORING_FIELDS],
    _b("allowVideoStream"), _s("credentialPw", 64, secret=True), _i("fixedSipPort", low=0,
                                                                    high=65535),
    _i("calculatedSipPort", writable=False), _b("hotDeskingSupport"), _b("autoLogoutOnCharge"),
    _s("useSIPUserName", 16, "Global", writable=False),
    _s("useSIPUserAuthentication", 16, "Global", writable=False),
    _s("serviceUserName", 64), _s("serviceAuthName", 64),
    _s("serviceAuthPassword", 64, secret=True),
    _b("configurationDataLoaded", writable=False), _i("ppProfileId", low=0, high=20),
    _s("ppData", 4096), _i("timeStampAdmin", writable=False),
    _i("timeStampRelation", writable=False),
], true_false=False)

PP_DEV = RecordSpec("pp", "ppn", [
    _i("ppn", writable=False), _i("ppnSec", writable=False),
    _e("relType", REL_TYPES, "Unbound", writable=False), _i("uid", writable=False),
    _i("timeStamp", writable=False), _s("ipei", 15), _s("ac", 8),
    _e("s", SUBSCRIPTION_STATES, "No", writable=False), _s("uak", 32, writable=False),
    _b("encrypt", True), _b("capMessaging", writable=False),
    _b("capMessagingForInternalUse", writable=False), _b("capEnhLocating", writable=False),
    _b("capBluetooth", writable=False), _s("ethAddr", 17),
    _e("hwType", PP_HW_TYPES, "Unknown", writable=False),
    _b("ppProfileCapability", writable=False), _b("ppDefaultProfileLoaded", writable=False),
    _b("subscribeToPARIOnly"), _s("ommId", 8, writable=False), _s("ommIdAck", 8, writable=False),
    _i("timeStampAdmin", writable=False), _i("timeStampRelation", writable=False),
    _i("timeStampRoaming", writable=False), _i("timeStampSubscription", writable=False),
    _b("autoCreate", writable=False), _s("roaming", 32, "RoamingComplete", writable=False),
    _s("modicType", 2, "01", writable=False), _s("locationData", 12, "", writable=False),
    _s("dectIeFixedId", 16, writable=False), _s("subscriptionId", 16, writable=False),
], true_false=False)

RFP_CONFIG_FIELDS = [
    _i("id", writable=False), _s("ethAddr", 17), _b("dectOn"), _b("wlanOn"), _b("licenseRfp"),
    _s("location", 64), _s("name", 32), _s("hierarchy1", 16), _s("hierarchy2", 16),
    _s("hierarchy3", 16), _s("hierarchy4", 16), _i("rpn", writable=False),
    _i("pagingArea", -1, low=-1, high=65535), _i("cluster", 1, low=1, high=65535),
    _b("preferredSync"), _b("reflectiveEnv"), _i("site", 1, low=1), _i("x", low=0),
    _i("y", low=0), _e("hwType", RFP_HW_TYPES, "unknown", writable=False),
    _b("hwTypeLocked", writable=False), _b("conferenceChannels"), _i("wlanProfile", low=0),
    _b("wlanAntennaDiv"), _b("wlanHighThroughput"),
    _e("wlanAntenna", ("1", "2"), "1"),
    _e("wlanChannel", tuple(str(c) for c in (*range(1, 15), 36, 40, 44, 48, 52, 56, 60, 64,
                                              100, 104, 108, 112, 116, 120, 124, 128, 132,
                                              136, 140, 147, 151, 155, 159, 163, 167, 171)),
       "1"),
    _e("wlanPower", ("6", "12", "25", "50", "100"), "100"),
]
RFP_STATE_FIELDS = [
    _b("connected", writable=False), _s("ipAddr", 45, writable=False),
    _b("newSoftwareRequest", writable=False), _b("dectRunning", writable=False),
    _b("wlanRunning", writable=False), _b("ommRunning", writable=False),
    _b("ommStbRunning", writable=False),
    _e("syncState", SYNC_STATES, "Inactive", writable=False), _s("swVersion", 64, writable=False),
    _b("brandingMismatch", writable=False), _b("versionMismatch", writable=False),
    _b("stbMismatch", writable=False), _b("wlanLinkNok", writable=False),
    _i("nSyncRels", writable=False),
]
RFP_DETAIL_FIELDS = [
    _b("hasWlan", writable=False), _b("hasEncryption", True, writable=False),
    _b("hasAdvancedFeatures", True, writable=False),
    _e("radioType", RADIO_TYPES, "NormalTX", writable=False), _b("outdoorType", writable=False),
    _b("hasFreqShift", writable=False),
]
RFP = RecordSpec("rfp", "id", [*RFP_CONFIG_FIELDS, *RFP_STATE_FIELDS, *RFP_DETAIL_FIELDS],
                 true_false=True)
RFP_CONFIG = tuple(f.name for f in RFP_CONFIG_FIELDS)
RFP_STATE = tuple(f.name for f in RFP_STATE_FIELDS)
RFP_DETAILS = tuple(f.name for f in RFP_DETAIL_FIELDS)

ALARM_TRIGGER = RecordSpec("trigger", "id", [
    # AlarmTriggerType (standby-eventmgr.md B.3): ids from 0; at most 100 triggers
    # (LimitsResp trigger="100" [S]). The lengths are not public [A]: a trigger id and a
    # feature access code as short as the web UI's fields, a number as a user's number.
    _i("id", low=0, high=99), _s("triggerId", 32), _s("fac", 32), _s("comment", 64),
    _s("num", 32),
], true_false=False)
ALARM_TRIGGER_EVENT_ELEMENT = "alarmTrigger"
"""EventAlarmTriggerCnf carries the record as <alarmTrigger> (the schema's attribute name)."""

SITE = RecordSpec("site", "id", [
    _i("id", low=1, high=250), _s("name", 32), _i("nRFPs", writable=False), _b("wideband"),
    _e("srtp", SRTP_MODES, "Disabled"), _b("dectSecurity"), _b("videoStreaming"),
], true_false=False)

ACCOUNT = RecordSpec("account", "id", [
    _i("id", writable=False), _s("username", 32), _b("active", True),
    _e("aging", AGING, "none"), _i("expire", writable=False),
    _e("state", ACCOUNT_STATES, "notChanged", writable=False),
], true_false=False)
