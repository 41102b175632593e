"""The seed's secure-installation checklist (SEED-SD Appendix B, sections 1-9) as data.

One row per checklist item: its number, the Appendix B section, the OMP menu path the seed
names, the AXI reads it rests on and the check, a plain function of what those reads
returned (`Settings`: request name -> attributes, records or Unreadable). A check never
guesses: where AXI shows nothing that decides the item, it says cannot-tell and why.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from omm.snmp import WELL_KNOWN_COMMUNITIES
from sipdect.accounts import DEFAULT_CREDENTIALS, PRESET_ACCOUNTS
from sipdect.tls import CIPHER_STRINGS, SecurityLevel

Values = Mapping[str, Any]
"""One AXI answer: its root attributes; a child record (e.g. `url`) as a nested mapping."""
Settings = Mapping[str, Any]
"""What the audit read: request name -> Values, a list of Values (paged records) or
Unreadable; plus LOGIN and TLS_PROBE (below)."""

LOGIN = "login"
"""The pseudo-reading of how the audit logged in: username, default_password (bool)."""
TLS_PROBE = "tls-probe"
"""The pseudo-reading of the AXI port's TLS probe (sipdect.app.audit.tlsprobe.ProbeResult
as a dict: versions name -> accepted True/False/None, suites list)."""


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    CANNOT_TELL = "cannot-tell"


@dataclass(frozen=True)
class Outcome:
    status: Status
    why: str
    """What was seen: the values the verdict rests on, or why nothing could be read."""


@dataclass(frozen=True)
class Unreadable:
    """A read the OMM did not answer with data (not supported, not permitted, no answer)."""

    why: str


class CannotTell(Exception):
    """Raised inside a check: the item cannot be decided from what AXI showed."""


# --- conventions where the seed is silent (told to the lead; README "sipdect audit") ----------

MIN_AC_DIGITS = 4
"""A DECT authentication code shorter than this is trivial. The seed asks for a
"non-predictable and non-trivial digit sequence" without a length; the OMM allows up to 8
digits, and 4 is the shortest a handset's PIN pad convention treats as a code."""

SECURE_URL_PROTOCOLS = frozenset({"FTPS", "HTTPS", "SFTP"})
"""Provisioning: "Only the secure protocols FTPS, HTTPS or SFTP" (Appendix B 5)."""
SECURE_TRANSFER_PROTOCOLS = frozenset({"FTPS", "HTTPS"})
"""Firmware update and DB export: "FTPS or HTTPS" (Appendix B 8, 9)."""
TLS_URL_PROTOCOLS = frozenset({"FTPS", "HTTPS"})
"""The TLS based protocols of Appendix B 5 (validation settings apply to them)."""
OLD_SSL_METHODS = frozenset({"TLS1.0", "TLS1.1"})
"""URLType sslMethod values below "TLS version 1.2, 1.3 or Auto"."""
SECURE_SIP_TRANSPORTS = frozenset({"TLS", "PersistentTLS"})
SECURE_SRTP_MODES = frozenset({"Preferred", "Only"})
WEAK_TLS_VERSIONS = ("TLS 1.0", "TLS 1.1")
"""Versions SIP-DECT 9.1 no longer speaks (SEED-SD: "support for TLS 1.1 has been
discontinued"); accepted on the AXI port they mean a level below High."""
HIGH_SUITES = frozenset(CIPHER_STRINGS[SecurityLevel.HIGH].split(":"))
"""The suites of security level High (SEED-SD Table 2), OpenSSL names."""
LOGIN_RELATIONS = frozenset({"Dynamic", "Unbound"})
"""A user with one of these relations logs in on a handset with number (or addId) and PIN;
"Fixed" users never log in (axi.md §3.2 relType)."""


# --- helpers ------------------------------------------------------------------------------

def flag(value: Any) -> bool:
    """An AXI boolean as either form the OMM sends (`1`/`0`, `true`/`false`)."""
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def reading(settings: Settings, request: str) -> Any:
    """What `request` returned; CannotTell when it was not read or not answered."""
    value = settings.get(request)
    if value is None:
        raise CannotTell(f"{request} was not read")
    if isinstance(value, Unreadable):
        raise CannotTell(f"{request}: {value.why}")
    return value


def values(settings: Settings, request: str) -> Values:
    value = reading(settings, request)
    if not isinstance(value, Mapping):
        raise CannotTell(f"{request} gave records, not settings")
    return value


def records(settings: Settings, request: str) -> list[Values]:
    value = reading(settings, request)
    if isinstance(value, Mapping):
        return [value]
    return list(value)


def attr(vals: Values, name: str, request: str) -> str:
    if name not in vals:
        raise CannotTell(f"{request} does not show {name}")
    return str(vals[name])


def _list(items: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _bool_item(request: str, name: str, want: bool, what: str) -> Callable[[Settings], Outcome]:
    """A check that one boolean setting has the wanted value."""
    def check(settings: Settings) -> Outcome:
        seen = flag(attr(values(settings, request), name, request))
        status = Status.PASS if seen == want else Status.FAIL
        return Outcome(status, f"{what} is {'on' if seen else 'off'} ({request} {name}="
                               f"{values(settings, request)[name]})")
    return check


def _not_in_axi(setting: str) -> Callable[[Settings], Outcome]:
    def check(settings: Settings) -> Outcome:
        raise CannotTell(f"no AXI request reads {setting} (not in the AXI schema); check it "
                         "in OMP")
    return check


# --- 1 System Security --------------------------------------------------------------------

def default_credentials(settings: Settings) -> Outcome:
    """The vendor default (omm/omm) is gone: from the account records' state where the audit's
    account may see them, else from its own login; the default is never tried."""
    login = settings.get(LOGIN) or {}
    if login.get("default_password"):
        return Outcome(Status.FAIL, f"the audit logged in as {login.get('username')} with the "
                                    "vendor default password")
    seen = []
    try:
        accounts = records(settings, "GetAccount")
    except CannotTell:
        accounts = []
    for acc in accounts:
        name = str(acc.get("username", ""))
        if name in PRESET_ACCOUNTS or name in DEFAULT_CREDENTIALS:
            seen.append(f"{name}: state {acc.get('state', '?')}")
            if acc.get("state") in ("notChanged",):
                return Outcome(Status.FAIL, f"account {name} still has its default password "
                                            f"(GetAccount state={acc.get('state')})")
    if any(str(a.get("username")) in DEFAULT_CREDENTIALS for a in accounts):
        return Outcome(Status.PASS, "default passwords changed (" + _list(seen) + "); their "
                                    "complexity cannot be read")
    if login.get("username") in DEFAULT_CREDENTIALS:
        return Outcome(Status.PASS, f"the audit logged in as {login['username']} with a "
                                    "password other than the default")
    raise CannotTell("the default account is not visible to this account (a read-only account "
                     "reads only its own with GetAccount); the default login is never tried")


def capturing_off(settings: Settings) -> Outcome:
    return _bool_item("GetRFPCapture", "enable", False, "RFP capturing")(settings)


def remote_access_off(settings: Settings) -> Outcome:
    return _bool_item("GetRemoteAccess", "enable", False, "remote access")(settings)


def security_level_high(settings: Settings) -> Outcome:
    """The system-wide TLS security level, seen on the AXI port: no AXI request reads it, but
    the TLS probe shows which versions and suites it lets through."""
    probe = settings.get(TLS_PROBE)
    if not isinstance(probe, Mapping) or not probe.get("versions"):
        raise CannotTell("no AXI request reads the security level, and the AXI port was not "
                         "probed")
    versions: Mapping[str, Any] = probe["versions"]
    old = [v for v in WEAK_TLS_VERSIONS if versions.get(v) is True]
    suites = [str(s["name"]) for s in probe.get("suites", [])]
    weak = [s for s in suites if s not in HIGH_SUITES]
    if old or weak:
        parts = []
        if old:
            parts.append("accepts " + " and ".join(old))
        if weak:
            parts.append("accepts suites outside level High: " + _list(weak))
        return Outcome(Status.FAIL, "the AXI port " + "; ".join(parts))
    untested = [v for v in WEAK_TLS_VERSIONS if versions.get(v) is None]
    if not suites:
        raise CannotTell("the TLS probe saw no accepted suite")
    if untested:
        raise CannotTell(f"only level High suites accepted, but {', '.join(untested)} could "
                         "not be offered by this machine's OpenSSL")
    accepted = ", ".join(v for v, ok in versions.items() if ok)
    return Outcome(Status.PASS, f"the AXI port accepts only {accepted} with level High suites "
                                f"({len(suites)} seen)")


# --- 2 DECT Security ----------------------------------------------------------------------

def dect_encryption_on(settings: Settings) -> Outcome:
    return _bool_item("GetDECTEncryption", "enable", True, "DECT encryption")(settings)


def enhanced_security_uniform(settings: Settings) -> Outcome:
    sites = records(settings, "GetSite")
    if not sites:
        raise CannotTell("GetSite shows no site")
    on = [str(s.get("id")) for s in sites if flag(s.get("dectSecurity", "0"))]
    off = [str(s.get("id")) for s in sites if not flag(s.get("dectSecurity", "0"))]
    if on and off:
        return Outcome(Status.FAIL, f"enhanced DECT security on for site(s) {_list(on)}, off "
                                    f"for site(s) {_list(off)}")
    return Outcome(Status.PASS, f"enhanced DECT security {'on' if on else 'off'} for all "
                                f"{len(sites)} site(s)")


def trivial_code(code: str) -> str | None:
    """Why an authentication code is trivial, or None."""
    if not code:
        return "none is set"
    if not code.isdigit():
        return None  # the OMM only takes digits; nothing to judge
    if len(code) < MIN_AC_DIGITS:
        return f"shorter than {MIN_AC_DIGITS} digits"
    if len(set(code)) == 1:
        return "one digit repeated"
    steps = {(int(b) - int(a)) % 10 for a, b in zip(code, code[1:], strict=False)}
    if steps in ({1}, {9}):
        return "a run of consecutive digits"
    for n in (2, 3):
        if len(code) > n and len(code) % n == 0 and code == code[:n] * (len(code) // n):
            return "a repeated pattern"
    return None


def auth_code_set(settings: Settings) -> Outcome:
    ac = attr(values(settings, "GetDECTAuthCode"), "ac", "GetDECTAuthCode")
    problem = trivial_code(ac)
    if problem is not None:
        return Outcome(Status.FAIL, f"system authentication code is trivial: {problem}")
    try:
        devices = records(settings, "GetPPDev")
    except CannotTell:
        devices = []
    bad = [f"ppn {d.get('ppn')}" for d in devices
           if d.get("ac") and trivial_code(str(d["ac"])) is not None]
    if bad:
        return Outcome(Status.FAIL, f"trivial device authentication code: {_list(bad)}")
    return Outcome(Status.PASS, f"system authentication code of {len(ac)} digits, not trivial"
                                + (f"; {len(devices)} device codes checked" if devices else ""))


def restricted_subscription(settings: Settings) -> Outcome:
    mode = attr(values(settings, "GetDECTSubscriptionMode"), "mode", "GetDECTSubscriptionMode")
    if mode == "Off":
        return Outcome(Status.PASS, "subscription is off (GetDECTSubscriptionMode mode=Off)")
    restricted = values(settings, "GetRestrictedSubscriptionDuration")
    on = flag(attr(restricted, "restrictedSubscrDur", "GetRestrictedSubscriptionDuration"))
    if on:
        return Outcome(Status.PASS, f"subscription mode {mode} with restricted subscription "
                                    "duration on")
    return Outcome(Status.FAIL, f"subscription mode {mode} and restricted subscription duration "
                                "off: subscription stays open")


def devices_encrypted(settings: Settings) -> Outcome:
    devices = records(settings, "GetPPDev")
    off = [f"ppn {d.get('ppn')}" for d in devices if not flag(d.get("encrypt", "1"))]
    if off:
        return Outcome(Status.FAIL, f"encryption off for {_list(off)} of {len(devices)} "
                                    "device(s)")
    return Outcome(Status.PASS, f"encryption on for all {len(devices)} device(s)")


def user_pins(settings: Settings) -> Outcome:
    users = records(settings, "GetPPUser")
    login = [u for u in users if str(u.get("relType", "")) in LOGIN_RELATIONS]
    if not login:
        return Outcome(Status.PASS, f"user login not used: all {len(users)} user(s) are bound "
                                    "Fixed")
    no_pin = [f"uid {u.get('uid')} ({u.get('num', '')})" for u in login if not u.get("pin")]
    if no_pin:
        return Outcome(Status.FAIL, f"user(s) who log in without a PIN: {_list(no_pin)}")
    raise CannotTell(f"all {len(login)} user(s) who log in have a PIN, but the OMM shows PINs "
                     "only RSA-encrypted: their complexity cannot be read")


# --- 3 Signaling Security -----------------------------------------------------------------

def sip_transport_tls(settings: Settings) -> Outcome:
    prot = attr(values(settings, "GetBasicSIP"), "transportProt", "GetBasicSIP")
    status = Status.PASS if prot in SECURE_SIP_TRANSPORTS else Status.FAIL
    return Outcome(status, f"SIP transport protocol {prot} (GetBasicSIP transportProt)")


def sip_tls_authentication(settings: Settings) -> Outcome:
    return _bool_item("GetSecureSIP", "authenticationTLS", True, "TLS authentication")(settings)


def sip_cn_validation(settings: Settings) -> Outcome:
    return _bool_item("GetSecureSIP", "commonNameValidationTLS", True,
                      "TLS common name validation")(settings)


def sip_certificates(settings: Settings) -> Outcome:
    certs = values(settings, "GetSecureSIPCertificate")
    n = int(attr(certs, "nTrustedCertificates", "GetSecureSIPCertificate") or 0)
    if n:
        return Outcome(Status.PASS, f"{n} trusted certificate(s) imported; whether they are "
                                    "all the call server needs is not visible")
    return Outcome(Status.FAIL, "no trusted certificate imported (nTrustedCertificates=0)")


def sip_passwords(settings: Settings) -> Outcome:
    """The OMM shows a SIP password only RSA-encrypted with random padding, so two equal
    passwords look different: equality and complexity cannot be read, absence can."""
    users = records(settings, "GetPPUser")
    none = [f"uid {u.get('uid')} ({u.get('num', '')})" for u in users if not u.get("sipPw")]
    if none:
        return Outcome(Status.FAIL, f"user(s) without an individual SIP password: {_list(none)}")
    raise CannotTell(f"all {len(users)} user(s) have a SIP password, shown only RSA-encrypted "
                     "with random padding: whether they differ and are complex cannot be read")


# --- 4 Media Security ---------------------------------------------------------------------

def srtp_everywhere(settings: Settings) -> Outcome:
    sites = records(settings, "GetSite")
    if not sites:
        raise CannotTell("GetSite shows no site")
    plain = [f"site {s.get('id')} ({s.get('srtp', '?')})" for s in sites
             if s.get("srtp") not in SECURE_SRTP_MODES]
    if plain:
        return Outcome(Status.FAIL, f"SRTP not preferred or only on {_list(plain)}")
    return Outcome(Status.PASS, f"SRTP {'/'.join(sorted({str(s['srtp']) for s in sites}))} on "
                                f"all {len(sites)} site(s)")


# --- 5-9 (optional: relevant only where the feature is used) ----------------------------

def _url(settings: Settings, request: str) -> Values | None:
    """The URL a Get...URL request shows, None when it is off or has no protocol."""
    vals = values(settings, request)
    url = vals.get("url", vals)
    if not isinstance(url, Mapping):
        raise CannotTell(f"{request} shows no url")
    enabled = flag(url.get("enable", vals.get("enable", "1")))
    protocol = str(url.get("protocol", "None") or "None")
    if not enabled or protocol == "None":
        return None
    return url


def _url_protocol(settings: Settings, request: str, unused: str, used: str,
                  secure: Collection[str]) -> Outcome:
    """Pass when the URL `request` shows is off or uses a protocol of `secure`; `unused` is
    said when off, `used` (with {protocol}) otherwise."""
    url = _url(settings, request)
    if url is None:
        return Outcome(Status.PASS, f"{unused} ({request})")
    protocol = str(url["protocol"])
    status = Status.PASS if protocol in secure else Status.FAIL
    return Outcome(status, f"{used.format(protocol=protocol)} ({request})")


def provisioning_protocol(settings: Settings) -> Outcome:
    return _url_protocol(settings, "GetConfigURL", "provisioning URL not used",
                         "provisioning URL protocol {protocol}", SECURE_URL_PROTOCOLS)


def provisioning_validation(settings: Settings) -> Outcome:
    url = _url(settings, "GetConfigURL")
    if url is None or url["protocol"] not in TLS_URL_PROTOCOLS:
        return Outcome(Status.PASS, "no TLS based provisioning URL (GetConfigURL)")
    names = ("validateCerts", "validateExpires", "validateHostName")
    missing = [n for n in names if n not in url]
    if missing:
        raise CannotTell(f"GetConfigURL does not show {', '.join(missing)}")
    off = [n for n in names if not flag(url[n])]
    if off:
        return Outcome(Status.FAIL, f"provisioning over {url['protocol']} with {', '.join(off)} "
                                    "off")
    return Outcome(Status.PASS, "certificates, expiry and host name validated")


def provisioning_tls(settings: Settings) -> Outcome:
    url = _url(settings, "GetConfigURL")
    if url is None or url["protocol"] not in TLS_URL_PROTOCOLS:
        return Outcome(Status.PASS, "no TLS based provisioning URL (GetConfigURL)")
    method = str(url.get("sslMethod", ""))
    if method in OLD_SSL_METHODS:
        return Outcome(Status.FAIL, f"provisioning TLS version {method}")
    raise CannotTell("the provisioning certificates and security level are not shown over AXI"
                     + (f" (TLS version {method})" if method else ""))


def _xml_apps(settings: Settings, corp_dir: bool) -> list[Values]:
    apps = [a for a in records(settings, "GetXMLApplication") if flag(a.get("enable", "1"))]
    if corp_dir:
        apps = [a for a in apps if a.get("type") == "CorpDir"]
    return apps


def _app_url(app: Values) -> Values:
    url = app.get("url")
    return url if isinstance(url, Mapping) else {}


def _active_ldap(settings: Settings) -> list[Values]:
    return [d for d in records(settings, "GetLDAP") if flag(d.get("active", "1"))]


def directory_protocols(settings: Settings) -> Outcome:
    apps = _xml_apps(settings, corp_dir=True)
    insecure = [f"{a.get('name', a.get('id'))} ({_app_url(a).get('protocol', '?')})"
                for a in apps if _app_url(a).get("protocol") != "HTTPS"]
    if insecure:
        return Outcome(Status.FAIL, f"directory over an insecure protocol: {_list(insecure)}")
    ldap = _active_ldap(settings)
    if ldap:
        raise CannotTell(f"{len(ldap)} active LDAP directory(ies): AXI's LDAPType shows no "
                         "StartTLS/LDAPSecure setting")
    if not apps:
        return Outcome(Status.PASS, "no corporate directory in use")
    return Outcome(Status.PASS, f"{len(apps)} XML directory(ies), all over HTTPS")


def directory_common_certs(settings: Settings) -> Outcome:
    apps = _xml_apps(settings, corp_dir=True)
    off = [str(a.get("name", a.get("id"))) for a in apps
           if not flag(_app_url(a).get("useCommonCerts", "0"))]
    if off:
        return Outcome(Status.FAIL, f"common certificate configuration off for {_list(off)}")
    if _active_ldap(settings):
        raise CannotTell("AXI's LDAPType shows no certificate setting")
    if not apps:
        return Outcome(Status.PASS, "no corporate directory in use")
    return Outcome(Status.PASS, "common certificate configuration on for every directory")


def xml_apps_https(settings: Settings) -> Outcome:
    apps = _xml_apps(settings, corp_dir=False)
    insecure = [f"{a.get('name', a.get('id'))} ({_app_url(a).get('protocol', '?')})"
                for a in apps if _app_url(a).get("protocol") != "HTTPS"]
    if insecure:
        return Outcome(Status.FAIL, f"XML application(s) not over HTTPS: {_list(insecure)}")
    if not apps:
        return Outcome(Status.PASS, "no XML application in use")
    return Outcome(Status.PASS, f"{len(apps)} active XML application(s), all over HTTPS")


def firmware_protocol(settings: Settings) -> Outcome:
    return _url_protocol(settings, "GetPPFirmwareURL", "handset firmware update URL not used",
                         "handset firmware update over {protocol}", SECURE_TRANSFER_PROTOCOLS)


def db_export_protocol(settings: Settings) -> Outcome:
    return _url_protocol(settings, "GetAutoDBBackup", "automatic DB export not used",
                         "automatic DB export over {protocol}", SECURE_TRANSFER_PROTOCOLS)


def db_export_common_certs(settings: Settings) -> Outcome:
    url = _url(settings, "GetAutoDBBackup")
    if url is None or url["protocol"] not in TLS_URL_PROTOCOLS:
        return Outcome(Status.PASS, "no TLS based automatic DB export (GetAutoDBBackup)")
    if "useCommonCerts" not in url:
        raise CannotTell("GetAutoDBBackup does not show useCommonCerts")
    if flag(url["useCommonCerts"]):
        return Outcome(Status.PASS, "common certificate configuration on")
    return Outcome(Status.FAIL, "common certificate configuration off (useCommonCerts=0)")


def snmp_communities(settings: Settings) -> Outcome:
    """Seed 000 "SNMP Support": "As community string, use other than public or private"."""
    vals = values(settings, "GetSNMP")
    weak = [f"{name}={vals[name]}" for name in ("readCommunity", "trapCommunity")
            if str(vals.get(name, "")).strip().lower() in WELL_KNOWN_COMMUNITIES]
    if weak:
        return Outcome(Status.FAIL, f"well-known SNMP community: {', '.join(weak)}")
    if not str(attr(vals, "readCommunity", "GetSNMP")):
        return Outcome(Status.PASS, "no read community: the RFPs' agents answer nobody")
    return Outcome(Status.PASS, "the SNMP communities are neither public nor private")


# --- the table ----------------------------------------------------------------------------

SECTIONS: dict[str, str] = {
    "1": "System Security",
    "2": "DECT Security",
    "3": "Signaling Security",
    "4": "Media Security",
    "5": "Provisioning Security (optional)",
    "6": "Corporate Directory (optional)",
    "7": "XML applications (optional)",
    "8": "DECT phone's firmware update (optional)",
    "9": "Automatic DB export (optional)",
    "10": "SNMP (seed \"SNMP Support\" recommendation, outside Appendix B)",
}
"""Appendix B's sections, as the seed titles them; then the seed's recommendations that
Appendix B does not list."""
APPENDIX_B = frozenset("123456789")
"""The SECTIONS that are Appendix B's."""


@dataclass(frozen=True)
class Item:
    id: str
    """The item's place in Appendix B: section.n in the seed's order."""
    title: str
    omp: str
    """The OMP menu path the seed gives."""
    check: Callable[[Settings], Outcome]
    reads: tuple[str, ...] = field(default=())
    """The AXI requests (and pseudo-readings) the check rests on."""

    @property
    def section(self) -> str:
        return self.id.split(".")[0]

    @property
    def seed_section(self) -> str:
        if self.section not in APPENDIX_B:
            return SECTIONS[self.section]
        return f"Appendix B {self.section} {SECTIONS[self.section]}"


ITEMS: tuple[Item, ...] = (
    Item("1.1", "Default login credentials replaced", "OMP->System->User administration",
         default_credentials, ("GetAccount", LOGIN)),
    Item("1.2", "DECT base station capturing disabled", "OMP->DECT base stations->Capturing",
         capturing_off, ("GetRFPCapture",)),
    Item("1.3", "Remote access disabled",
         "OMP->System->Basic settings->General->Remote access",
         remote_access_off, ("GetRemoteAccess",)),
    Item("1.4", "Security level High with sufficiently secure ciphers",
         "OMP->System->Advanced settings->Security", security_level_high, (TLS_PROBE,)),
    Item("2.1", "DECT encryption activated", "OMP->System->Basic settings->DECT->Encryption",
         dect_encryption_on, ("GetDECTEncryption",)),
    Item("2.2", "Enhanced DECT security for all sites or for none",
         "OMP->Sites->Enhanced DECT security", enhanced_security_uniform, ("GetSite",)),
    Item("2.3", "Non-trivial DECT authentication code",
         "OMP->System->Basic settings->DECT authentication code", auth_code_set,
         ("GetDECTAuthCode", "GetPPDev")),
    Item("2.4", "Restricted subscription duration or subscription off",
         "OMP->System->Basic settings->Restricted subscription duration",
         restricted_subscription,
         ("GetDECTSubscriptionMode", "GetRestrictedSubscriptionDuration")),
    Item("2.5", "Authentication before ciphering OFF",
         "OMP->System->Basic settings->DECT->Authentication before ciphering",
         _not_in_axi("authentication before ciphering")),
    Item("2.6", "Encryption enabled on all DECT phones", "OMP->DECT phones->Devices",
         devices_encrypted, ("GetPPDev",)),
    Item("2.7", "Individual PINs where user login is used", "OMP->DECT phones->Users",
         user_pins, ("GetPPUser",)),
    Item("3.1", "SIP transport protocol TLS or Persistent TLS",
         "OMP->System->SIP->Transport protocol", sip_transport_tls, ("GetBasicSIP",)),
    Item("3.2", "SIP TLS authentication enabled",
         "OMP->System->SIP->Security->TLS authentication", sip_tls_authentication,
         ("GetSecureSIP",)),
    Item("3.3", "SIP TLS common name validation enabled",
         "OMP->System->SIP->Security->TLS common name validation", sip_cn_validation,
         ("GetSecureSIP",)),
    Item("3.4", "Call server TLS certificates imported",
         "OMP->System->SIP->Security->PEM file import", sip_certificates,
         ("GetSecureSIPCertificate",)),
    Item("3.5", "Individual SIP passwords of sufficient complexity",
         "OMP->DECT phones->Users->Password", sip_passwords, ("GetPPUser",)),
    Item("3.6", "Strong SIP security level and cipher list",
         "OMP->System->SIP-Security->Security level", _not_in_axi("the SIP security level")),
    Item("3.7", "SIP TLS version 1.2, 1.3 or Auto", "OMP->System->SIP-Security->TLS version",
         _not_in_axi("the SIP TLS version")),
    Item("4.1", "SRTP Preferred or SRTP Only on all sites", "OMP->Sites->SRTP",
         srtp_everywhere, ("GetSite",)),
    Item("5.1", "Provisioning over FTPS, HTTPS or SFTP only",
         "OMP->System->Provisioning->General->Protocol", provisioning_protocol,
         ("GetConfigURL",)),
    Item("5.2", "Provisioning validates certificates, expiry and host name",
         "OMP->System->Provisioning->General", provisioning_validation, ("GetConfigURL",)),
    Item("5.3", "Provisioning certificates, security level and TLS version",
         "OMP->System->Provisioning->Provisioning certificates", provisioning_tls,
         ("GetConfigURL",)),
    Item("6.1", "Corporate directory over HTTPS, StartTLS or LDAPSecure",
         "OMP->System features->Directory->URL->Protocol", directory_protocols,
         ("GetXMLApplication", "GetLDAP")),
    Item("6.2", "Corporate directory uses the common certificate configuration",
         "OMP->System features->Directory->URL->Use common certificate configuration",
         directory_common_certs, ("GetXMLApplication", "GetLDAP")),
    Item("7.1", "XML applications over HTTPS",
         "OMP->System features->XML applications->Protocol", xml_apps_https,
         ("GetXMLApplication",)),
    Item("8.1", "Handset firmware update over FTPS or HTTPS",
         "OMP->Support->DECT phones firmware update->Protocol", firmware_protocol,
         ("GetPPFirmwareURL",)),
    Item("9.1", "Automatic DB export over FTPS or HTTPS",
         "OMP->System->Data management->Protocol", db_export_protocol, ("GetAutoDBBackup",)),
    Item("9.2", "Automatic DB export uses the common certificate configuration",
         "OMP->System->Data management->Use common certificate configuration",
         db_export_common_certs, ("GetAutoDBBackup",)),
    Item("10.1", "SNMP communities other than public or private",
         "OMP->System->SNMP", snmp_communities, ("GetSNMP",)),
)


def evaluate(item: Item, settings: Settings) -> Outcome:
    """The item's outcome; a check that cannot decide says cannot-tell with its reason."""
    try:
        return item.check(settings)
    except CannotTell as exc:
        return Outcome(Status.CANNOT_TELL, str(exc))
    except (ValueError, TypeError, KeyError) as exc:
        # An OMM answering in a form the check did not expect: report it, do not guess.
        return Outcome(Status.CANNOT_TELL, f"unexpected answer ({exc})")
