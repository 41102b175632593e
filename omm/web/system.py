"""The OMM web UI's system settings page (issue 14 item 2): name, PARK/SARI, regulatory
domain, DECT subscription with its window, authentication code, encryption and enhanced
security, login banner, syslog and remote access.

Each form is one AXI Set... request made as the logged-in account (omm.web.axi); the settings
AXI has no request for (DECTSecurity's two OMP switches, the login banner) go through the
model's settings with the same kind of attribute rules, for full-access accounts only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dect import conventions as dect_cv
from omm import banner
from omm.axi.handlers.settings import GROUPS
from omm.errors import ModelError
from omm.model import OmmModel
from omm.subscription import MODES
from omm.web.axi import WebAxi
from omm.web.forms import FormField, FormState, Section, fields_of, to_attrs, wire_bool
from sipdect.accounts import can_write
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError
from sipdect.axi.records import Field, RecordSpec


def _group(key: str, title: str, labels: Mapping[str, str],
           help: Mapping[str, str] | None = None, note: str = "") -> Section:
    return Section(key, title, fields_of(GROUPS[key], labels, help), note)


SUBSCRIPTION = Section("DECTSubscriptionMode", "DECT subscription", (
    FormField("mode", "Subscription mode", "select", MODES,
              "Off: no handset subscribes; Configured: known IPEIs; Wildcard: any IPEI"),
    FormField("timeout", "Wildcard window (minutes)", "number", low=1, high=60,
              help="How long a Wildcard window stays open; each subscription extends it"),
), "A window closes by itself: Wildcard falls back to Configured, Configured (24 h) to Off.")

AXI_SECTIONS: tuple[Section, ...] = (
    _group("SystemName", "System", {"name": "System name"}),
    _group("SARI", "SARI", {"sari": "SARI"},
           {"sari": "10 hex digits in PARK format, shared by the OMMs a handset roams between; "
                    "empty for none"}),
    _group("DECTRegDomain", "Regulatory domain", {"regDomain": "Regulatory domain"},
           {"regDomain": "The DECT band and power the RFPs use"}),
    SUBSCRIPTION,
    Section("DECTAuthCode", "DECT authentication code", (
        FormField("ac", "Authentication code", "password",
                  help="Decimal digits a handset enters to subscribe. Write-only: never "
                       "shown; empty keeps the code in force",
                  max_len=GROUPS["DECTAuthCode"].by_name["ac"].max_len),)),
    _group("DECTEncryption", "DECT encryption", {"enable": "Encrypt DECT calls"}),
    _group("SyslogServer", "Syslog", {"enable": "Send the event log to syslog",
                                      "ipAddr": "Syslog server", "port": "Port"}),
    _group("SNMP", "SNMP", {"readCommunity": "Read community", "contact": "Contact",
                            "enableTraps": "Send traps", "trapCommunity": "Trap community",
                            "trapHostAddr": "Trap host"},
           {"readCommunity": "The RFPs' agents answer this community only (read-only); "
                             "not public or private. Empty: they answer nobody",
            "trapHostAddr": "IPv4 address of the trap receiver; with traps off, the RFP "
                            "events go to the event log"}),
    _group("RemoteAccess", "Remote access", {"enable": "Remote access"},
           {"enable": "Off by default: turn on only while the vendor's support traces"}),
)
"""The forms whose values AXI reads and sets, in the page's order."""


@dataclass(frozen=True)
class ModelSection:
    """A form for a settings group AXI has no request for, written with the model's own
    method for it (its rules), for full-access accounts only."""

    section: Section
    read: Callable[[OmmModel], dict[str, str]]
    """The values in force, as text (booleans as true/false)."""
    apply: Callable[[OmmModel, Mapping[str, str]], None]
    """Set the posted values; AxiError (or the model's ModelError) names the bad one."""

    @property
    def key(self) -> str:
        return self.section.key

    def write(self, model: OmmModel, actor: Mapping[str, Any], attrs: Mapping[str, str]
              ) -> None:
        """Set the group's values as `actor`; AxiError as AXI would answer (EPerm, EInval)."""
        if not can_write(actor):
            raise AxiError("EPerm", "changing settings needs AllCnfWrite")
        try:
            self.apply(model, attrs)
        except ModelError as exc:
            raise AxiError(exc.code, exc.info, bad=exc.field) from None


_DECT_SECURITY_SPEC = RecordSpec(dect_cv.SECURITY_SETTINGS, "", (
    Field(dect_cv.ENHANCED_SECURITY, "bool", False),
    Field(dect_cv.AUTH_BEFORE_CIPHER, "bool", False)), true_false=True)
"""DECTSecurity's attributes: the kit's record rules, as AXI's settings groups have."""


def _read_spec(spec: RecordSpec) -> Callable[[OmmModel], dict[str, str]]:
    def read(model: OmmModel) -> dict[str, str]:
        stored = model.settings.get(spec.element)
        return {f.name: spec.wire(f, stored.get(f.name, f.default)) for f in spec.fields}
    return read


def _apply_dect_security(model: OmmModel, attrs: Mapping[str, str]) -> None:
    spec = _DECT_SECURITY_SPEC
    model.settings.update(spec.element, spec.parse(Message(spec.element, dict(attrs))))


DECT_SECURITY = ModelSection(
    Section(dect_cv.SECURITY_SETTINGS, "DECT security", (
        FormField(dect_cv.ENHANCED_SECURITY, "Enhanced DECT security", "bool",
                  help="Default cipher keys and a new cipher key every minute; all handsets "
                       "must support it"),
        FormField(dect_cv.AUTH_BEFORE_CIPHER, "Authentication before ciphering", "bool",
                  help="Off is the secure default (cipher first)"),
    ), "OMP's switches; AXI has no request for them."),
    _read_spec(_DECT_SECURITY_SPEC), _apply_dect_security)


def _read_banner(model: OmmModel) -> dict[str, str]:
    current = model.settings.get(banner.SETTING)
    return {"active": "true" if current.get("active") else "false",
            "text": str(current.get("text", ""))}


def _apply_banner(model: OmmModel, attrs: Mapping[str, str]) -> None:
    banner.update(model.settings, {"active": wire_bool(attrs.get("active")),
                                   "text": attrs.get("text", "")})


LOGIN_BANNER = ModelSection(
    Section(banner.SETTING, "Login banner", (
        FormField("active", "Show the banner before the login", "bool",
                  help="Whoever opens the web UI must acknowledge it (OK) or leave"),
        FormField("text", "Banner text", "textarea", max_len=banner.MAX_TEXT),
    ), "Empty and not active on a new OMM (seed: Login Banner)."),
    _read_banner, _apply_banner)

MODEL_SECTIONS: tuple[ModelSection, ...] = (DECT_SECURITY, LOGIN_BANNER)
"""The forms AXI has no request for."""

TLS_LEVEL = "tls_level"
"""The key under which the OMM's web facts (omm.web.OmmWeb.extra) hold its TLS security level
(sipdect.tls.SecurityLevel's value): the system config's, shown read-only on the page."""


def section_keys() -> tuple[str, ...]:
    return tuple(s.key for s in AXI_SECTIONS) + tuple(m.key for m in MODEL_SECTIONS)


async def read_forms(web: WebAxi, model: OmmModel) -> dict[str, FormState]:
    """Every form of the page, filled with the values in force."""
    forms: dict[str, FormState] = {}
    for section in AXI_SECTIONS:
        answer = await web.request(section.get)
        forms[section.key] = FormState.read(section.fields, answer)
    forms[SUBSCRIPTION.key].values["timeout"] = str(model.subscription.timeout)
    for m in MODEL_SECTIONS:
        forms[m.key] = FormState.read(m.section.fields, m.read(model))
    return forms


async def submit(web: WebAxi, model: OmmModel, actor: Mapping[str, Any], key: str,
                 posted: Mapping[str, str]) -> FormState:
    """Apply one posted form; the state to show again (with errors) or a fresh one."""
    for section in AXI_SECTIONS:
        if section.key == key:
            try:
                await web.request(section.set, to_attrs(section.fields, posted))
            except AxiError as err:
                return FormState.posted(section.fields, posted).fail(err)
            return FormState(section.fields)
    for m in MODEL_SECTIONS:
        if m.key == key:
            try:
                m.write(model, actor, to_attrs(m.section.fields, posted))
            except AxiError as err:
                return FormState.posted(m.section.fields, posted).fail(err)
            return FormState(m.section.fields)
    raise KeyError(key)


@dataclass(frozen=True)
class Window:
    """The DECT subscription window as the page shows it."""

    mode: str
    timeout_min: int
    closes: str
    """When the mode in force ends ("" when Off), UTC like the event log."""


def window(model: OmmModel) -> Window:
    mode = model.subscription.mode()
    deadline = model.subscription.next_deadline()
    closes = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(deadline)) \
        if mode != "Off" and deadline else ""
    return Window(mode, model.subscription.timeout, closes)


async def park(web: WebAxi) -> str:
    """The OMM's PARK (its licence's; read-only over AXI)."""
    return (await web.request("GetPARK")).attrs.get("park", "")


@dataclass(frozen=True)
class LicenseView:
    """The licence as the page shows it (GetLicense, as the logged-in account reads it)."""

    type: str
    state: str
    violations: str
    latency_min: int
    rfps: str
    messaging: str
    locating: str


async def license(web: WebAxi) -> LicenseView:
    answer = await web.request("GetLicense")

    def number(name: str) -> str:
        child = answer.child(name)
        return child.attrs.get("number", "0") if child is not None else "0"

    violations = ", ".join(v.text or "" for v in answer.children_named("violation"))
    return LicenseView(answer.attrs.get("type", ""), answer.attrs.get("state", ""),
                       violations, int(answer.attrs.get("latency", "0")), number("sysLicense"),
                       number("msgLicense"), number("locLicense"))
