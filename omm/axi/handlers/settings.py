"""System settings as Get.../Set... pairs, the DECT subscription window and the event log.

Each simple group lists its attributes with the schema's types; Set... answers
with the values now in force and announces them as Event...Cnf (axi.md §3.4, §4.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dect.errors import DectValueError
from dect.identities import Park
from omm import snmp
from omm.axi.dispatch import READ, WRITE, Ctx, resp, route
from omm.central import SETTING as CENTRAL_SETTING
from omm.central import UNSET_SARI, sari_set
from omm.snmp import SETTING as SNMP_SETTING
from omm.subscription import MODES
from omm.umo import conventions as umo_conventions
from sipdect.axi import conventions
from sipdect.axi.args import max_records, need_enum, opt_bool, opt_int, plain_text
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError, invalid, missing
from sipdect.axi.provisioning import ConfigUrl
from sipdect.axi.records import Field, RecordSpec
from sipdect.ops.eventlog import LogEntry
from sipdect.vault import FieldDecryptError

if TYPE_CHECKING:
    from omm.axi.api import AxiApi
    from omm.model import OmmModel


def _g(group: str, *fields: Field, true_false: bool | None = None) -> RecordSpec:
    tf = (f"Get{group}Resp" in conventions.TRUE_FALSE_RESPONSES) if true_false is None \
        else true_false
    return RecordSpec(group, "", fields, true_false=tf)


def _backup_tier(tier: str) -> tuple[Field, ...]:
    """A BackupSIP tier's servers: secondaryProxyServer, ..., tertiaryOutboundProxyPort."""
    out = []
    for kind in ("ProxyServer", "RegServer", "OutboundProxyServer"):
        out.append(Field(f"{tier}{kind}", "str", "", max_len=255))
        out.append(Field(f"{tier}{kind.replace('Server', 'Port')}", "int", 5060, low=1,
                         high=65535))
    return tuple(out)


TIME_ZONES: tuple[tuple[str, str], ...] = (("UTC", "(UTC) Coordinated Universal Time"),)
"""[I] The zones an OMM offers (GetTimeZoneList: id, name): the emulator keeps every clock in
UTC, so it offers that one; a real OMM's list and its ids are not public."""

REG_DOMAINS = ("EMEA", "US", "Brazil", "Taiwan")
"""DECTRegDomainType values (undefined in the XSD): the regions features.md names."""

#: Settings groups served generically: name -> attributes (types from the schema).
GROUPS: dict[str, RecordSpec] = {g.element: g for g in (
    _g("SystemName", Field("name", "str", "OMM", max_len=32)),
    _g("DevAutoCreate", Field("enable", "bool", False)),
    _g("RFPCapture", Field("enable", "bool", False)),
    _g("DECTEncryption", Field("enable", "bool", True)),
    _g("DECTAuthCode", Field("ac", "str", "", max_len=8)),
    _g("RestrictedSubscriptionDuration", Field("restrictedSubscrDur", "bool", False)),
    _g("RemoteAccess", Field("enable", "bool", False)),
    _g("SyslogServer", Field("enable", "bool", False), Field("forward", "bool", False),
       Field("ipAddr", "str", "", max_len=255), Field("port", "int", 514, low=1, high=65535)),
    _g("EULAConfirm", Field("confirm", "bool", True)),
    # The RFPs' SNMP agents (omm.snmp); the lengths are SNMP_RFP_UPDATE's fields.
    _g(SNMP_SETTING, Field("readCommunity", "str", "", max_len=snmp.MAX_COMMUNITY),
       Field("contact", "str", "", max_len=snmp.MAX_TEXT), Field("enableTraps", "bool", False),
       Field("trapCommunity", "str", "", max_len=snmp.MAX_COMMUNITY),
       Field("trapHostAddr", "str", "", max_len=255)),
    # The DECT band and power (features.md "Regulatory domain"; the attribute as provisioning
    # files write it: regDomain="EMEA"). The values are those the features table names; the
    # emulated air has one band whatever is set. Decided: a new OMM says EMEA (the product
    # answers EDectRegDomainInvalid until one is set; nothing here needs that state).
    _g("DECTRegDomain", Field("regDomain", "enum", "EMEA", values=REG_DOMAINS)),
    _g("DECTPagingAreaSize", Field("size", "enum", "64",
                                   values=("16", "32", "64", "128", "256"))),
    # DECT user login by number or by the additional id (addId), with the PIN.
    _g("PPLoginVariant", Field("login", "enum", "NUMBER", values=("NUMBER", "ID"))),
    # The SIP servers of all DECT users (features.md §2.7); no server: no registration.
    _g("BasicSIP", Field("proxyServer", "str", "", max_len=255),
       Field("proxyPort", "int", 5060, low=1, high=65535),
       Field("regServer", "str", "", max_len=255),
       Field("regPort", "int", 5060, low=1, high=65535),
       Field("regPeriod", "int", 3600, low=60, high=2592000),
       Field("transportProt", "enum", "UDP",
             values=("UDP", "TCP", "UDPAndTCP", "TLS", "PersistentTLS")),
       Field("outboundProxyServer", "str", "", max_len=255),
       Field("outboundProxyPort", "int", 5060, low=1, high=65535)),
    # Secondary and tertiary servers a user fails over to (omm.sip.config).
    _g("BackupSIP", Field("failoverActive", "bool", False),
       Field("failoverTime", "int", 30, low=1, high=3600),
       *_backup_tier("secondary"), *_backup_tier("tertiary")),
    _g("SecureSIP", Field("keepAliveTimeoutEnable", "bool", False),
       Field("timeout", "int", 60, low=1, high=3600),
       Field("sendSipsOverTLS", "bool", False), Field("authenticationTLS", "bool", True),
       Field("commonNameValidationTLS", "bool", True)),
    # The OMM's SARI (PARK format; central.UNSET_SARI when none), shared by the OMMs of a
    # MOM so that a handset may roam between them (docs/mom.md "Roaming").
    _g("SARI", Field("sari", "str", UNSET_SARI, max_len=10)),
    # Central user/device management (XSD UserDeviceSyncOMMType; docs/mom.md).
    _g(CENTRAL_SETTING, Field("enable", "bool", False),
       Field("omm1DomainName", "str", "", max_len=255),
       Field("omm2DomainName", "str", "", max_len=255), Field("user", "str", "", max_len=64),
       Field("password", "str", "", max_len=64)),
    # User monitoring's system parameters (UserMonitoringType; omm.umo.conventions).
    _g(umo_conventions.SETTING, *(
        Field(p.name, p.kind, p.default, low=p.low, high=p.high) if p.kind == "int"
        else Field(p.name, p.kind, p.default) for p in umo_conventions.PARAMETERS)),
    # The daily provisioning check at hour:minute (UTC, the emulator's one time zone; jzelina
    # AXI_Sync staggers the minute per OMM). omm.sysupdate runs it.
    _g("SystemProvUpdTrig", Field("enable", "bool", False),
       Field("hour", "int", 0, low=0, high=23), Field("minute", "int", 0, low=0, high=59)),
    # NTP servers: the emulator takes its time from the host; "default" = the DHCP ones.
    _g("NTPServer", Field("default", "bool", True),
       *(Field(f"ntpServerName{i}", "str", "", max_len=255) for i in (1, 2, 3))),
    _g("TimeZone", Field("id", "enum", TIME_ZONES[0][0], values=tuple(z for z, _ in TIME_ZONES))),
    # Handset firmware updates from a file on the OMM's PP firmware URL; the emulator has
    # no firmware to give (GetPPFirmwareUpdateOverview says idle).
    _g("PPFirmwareUpdate", Field("enable", "bool", False), Field("name", "str", "", max_len=64)),
    _g("DTMF", Field("outOfBand", "bool", True),
       Field("payloadType", "int", 101, low=96, high=127),
       Field("method", "enum", "RFC2833", values=("RFC2833", "INFO", "Both"))),
)}

#: Read-only groups: Get... only.
READ_ONLY_GROUPS = {"PARK": ("park",)}

#: The event each settings group announces itself with.
EVENT_NAMES = {"DevAutoCreate": "EventDevAutoCreateCnf", "RFPCapture": "EventRFPCaptureCnf"}


def _group_values(model: OmmModel, spec: RecordSpec) -> dict[str, str]:
    values = model.settings.get(spec.element)
    return {f.name: spec.wire(f, values.get(f.name, f.default)) for f in spec.fields}


def _get_group(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, _group_values(api.model, GROUPS[req.name[3:]]))


SUBSCRIPTION_MODE_FIELDS = ("mode", "timeout")
"""What SetDECTSubscriptionMode sets (its window's end is the OMM's own)."""


def settable(group: str) -> tuple[str, ...]:
    """The attributes a Set<group> request sets; KeyError when no such request exists."""
    if group == "DECTSubscriptionMode":
        return SUBSCRIPTION_MODE_FIELDS
    return tuple(f.name for f in GROUPS[group].fields if f.writable)


def settable_groups() -> tuple[str, ...]:
    """Every settings group a Set... request (or a system config) can set."""
    return ("DECTSubscriptionMode", *GROUPS)


def parse_group(group: str, req: Message) -> dict[str, Any]:
    """The values a Set<group> request sets, checked: the one set of rules for settings, which
    a system config's [omm.settings.<group>] goes through too. AxiError names the attribute;
    KeyError means no such group."""
    if group == "DECTSubscriptionMode":
        values: dict[str, Any] = {"mode": need_enum(req, "mode", MODES)}
        text = req.attrs.get("timeout")
        # python-mitel sends timeout="None" when it has none: tolerate, as real OMMs do.
        if text not in (None, "", "None"):
            values["timeout"] = opt_int(req, "timeout", low=1, high=60)
        return values
    spec = GROUPS[group]
    values = spec.parse(req)
    if not values:
        missing_name = spec.fields[0].name
        raise AxiError("EMissing", f"nothing to set; expected {missing_name}", bad=missing_name)
    if group == "DECTAuthCode" and values["ac"] and not values["ac"].isdigit():
        raise invalid("ac", values["ac"], "the authentication code is decimal digits")
    if group == "SARI":
        values["sari"] = _sari(values["sari"])
    if group == umo_conventions.SETTING:
        for p in umo_conventions.PARAMETERS:
            if p.step > 1 and p.name in values and values[p.name] % p.step:
                raise invalid(p.name, str(values[p.name]), f"a multiple of {p.step}")
    if group == SNMP_SETTING:
        _check_snmp(values)
    if group == CENTRAL_SETTING and "password" in values:
        # The MOM logs in to the OMM, never the other way (docs/mom.md): the OMM has no use
        # for a password here and keeps none.
        values["password"] = ""
    return values


def _check_snmp(values: dict[str, Any]) -> None:
    """What SNMP_RFP_UPDATE can carry: Latin-1 texts, an IPv4 trap host (or none)."""
    for name in ("readCommunity", "contact", "trapCommunity"):
        text = values.get(name, "")
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise invalid(name, text, "the RFPs take Latin-1 text only") from None
    host = values.get("trapHostAddr", "").strip()
    if host and snmp.trap_sink(host) is None:
        raise invalid("trapHostAddr", host, "an IPv4 address like 192.0.2.9, or empty")
    if "trapHostAddr" in values:
        values["trapHostAddr"] = host


def _sari(text: str) -> str:
    """A SARI as the OMM stores it: a PARK (10 hex digits), or UNSET_SARI for none."""
    if not sari_set(text):
        return UNSET_SARI
    try:
        return str(Park.parse(text)).upper()
    except DectValueError as exc:
        raise invalid("sari", text, f"not a PARK, e.g. 1F10DEC700 ({exc})") from None


def _set_group(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    spec = GROUPS[req.name[3:]]
    api.model.settings.update(spec.element, parse_group(spec.element, req))
    return resp(req, _group_values(api.model, spec))


for _name in GROUPS:
    route(f"Get{_name}", perm=READ)(_get_group)
    route(f"Set{_name}", perm=WRITE)(_set_group)


def _get_read_only(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    group = req.name[3:]
    values = api.model.settings.get(group)
    return resp(req, {k: values.get(k, "") for k in READ_ONLY_GROUPS[group]})


for _name in READ_ONLY_GROUPS:
    route(f"Get{_name}", perm=READ)(_get_read_only)


def setting_event(model: OmmModel, group: str) -> Message | None:
    """The Event...Cnf announcing a settings group's new values, if it has one."""
    if group == "DECTSubscriptionMode":
        return Message("EventDECTSubscriptionMode", {"mode": model.subscription.mode()})
    spec = GROUPS.get(group)
    if spec is None:
        return None
    values = _group_values(model, spec)
    if group in EVENT_NAMES:
        tf = RecordSpec(group, "", spec.fields, true_false=True)
        values = {f.name: tf.wire(f, model.settings.get(group).get(f.name, f.default))
                  for f in spec.fields}
    return Message(EVENT_NAMES.get(group, f"Event{group}Cnf"), values)


@route("GetDECTSubscriptionMode", perm=READ)
def get_subscription_mode(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, {"mode": api.model.subscription.mode()})


@route("SetDECTSubscriptionMode", perm=WRITE)
def set_subscription_mode(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    values = parse_group("DECTSubscriptionMode", req)
    mode = values["mode"]
    api.model.subscription.set(mode, values.get("timeout"))
    attrs: dict[str, Any] = {"mode": mode}
    if mode == "Wildcard":
        attrs["timeout"] = api.model.subscription.timeout
    return resp(req, attrs)


def render_log_entry(entry: LogEntry) -> Message:
    return Message("e", {"id": str(entry.id), "time": entry.time_text(), "level": entry.level,
                         "name": entry.name, "count": str(entry.count), "msg": entry.msg})


@route("GetEventLogBuffer", perm=READ)
def get_event_log(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    start = opt_int(req, "id", 0, low=0) or 0
    n = max_records(req) or conventions.MAX_RECORDS
    entries = api.model.event_log.entries(start, n + 1)
    eof = len(entries) <= n
    return resp(req, {"eof": "true" if eof else "false"},
                [render_log_entry(e) for e in entries[:n]])


@route("DeleteEventLogBuffer", perm=WRITE)
def delete_event_log(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    api.model.clear_event_log()
    return resp(req)


def _url_record(model: OmmModel) -> Message:
    """The ConfigURL setting as a URLType; the password is never shown."""
    from omm.provisioning import URL_SETTING, stored_url

    url = stored_url(model)
    if url is None:
        return Message("url", {"enable": "0", "protocol": "None"})
    attrs = url.record()
    attrs.pop("password")
    attrs["enable"] = "1" if model.settings.get(URL_SETTING).get("enable") else "0"
    return Message("url", attrs)


@route("GetConfigURL", perm=READ)
def get_config_url(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, children=[_url_record(api.model)])


@route("SetConfigURL", perm=WRITE)
def set_config_url(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """Where the OMM's provisioning files are (mom.md §5); read at its next start."""
    from omm.provisioning import store_url

    child = req.child("url")
    if child is None:
        raise missing("url")
    enable = bool(opt_bool(child, "enable", True))
    attrs = dict(child.attrs)
    if attrs.get("password") and not plain_text(req):
        try:
            attrs["password"] = api.model.keys.decrypt_field(attrs["password"])
        except FieldDecryptError:
            raise invalid("password", attrs["password"], "not encrypted with the OMM's public "
                                                          "key (GetPublicKey)") from None
    if attrs.get("protocol", "None") in ("", "None"):
        store_url(api.model, None, False)
    else:
        try:
            url = ConfigUrl.from_record(attrs)
        except ValueError as exc:
            raise AxiError("EInval", str(exc), bad="url") from None
        store_url(api.model, url, enable)
    return resp(req, children=[_url_record(api.model)])
