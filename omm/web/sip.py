"""The OMM web UI's SIP page (issue 14 item 2; features.md §2.7): proxy, registrar and outbound
proxy with their ports, transport and registration period (BasicSIP), the backup servers
(BackupSIP), TLS checks (SecureSIP), and the media security of each site (its SRTP mode), each
an AXI request made as the logged-in account."""

from __future__ import annotations

from collections.abc import Mapping

from omm.axi.handlers.settings import GROUPS
from omm.web.axi import WebAxi
from omm.web.forms import FormField, FormState, Section, fields_of, to_attrs
from omm.web.sites import LABELS as SITE_LABELS
from omm.web.sites import update as update_site
from sipdect.axi.errors import AxiError
from sipdect.axi.records import SITE


def _tier(tier: str, title: str) -> dict[str, str]:
    return {f"{tier}ProxyServer": f"{title} proxy", f"{tier}ProxyPort": "Port",
            f"{tier}RegServer": f"{title} registrar", f"{tier}RegPort": "Port",
            f"{tier}OutboundProxyServer": f"{title} outbound proxy",
            f"{tier}OutboundProxyPort": "Port"}


SECTIONS: tuple[Section, ...] = (
    Section("BasicSIP", "SIP servers", fields_of(GROUPS["BasicSIP"], {
        "proxyServer": "Proxy server", "proxyPort": "Proxy port",
        "regServer": "Registrar", "regPort": "Registrar port",
        "outboundProxyServer": "Outbound proxy", "outboundProxyPort": "Outbound proxy port",
        "transportProt": "Transport", "regPeriod": "Registration period (s)"},
        {"transportProt": "TLS or persistent TLS for SIP over TLS (secure installation)",
         "regServer": "Empty: no user registers"})),
    Section("BackupSIP", "Backup servers", fields_of(GROUPS["BackupSIP"], {
        "failoverActive": "Fail over to the backup servers", "failoverTime": "Failover time (s)",
        **_tier("secondary", "Secondary"), **_tier("tertiary", "Tertiary")})),
    Section("SecureSIP", "SIP over TLS", fields_of(GROUPS["SecureSIP"], {
        "authenticationTLS": "Check the server's certificate",
        "commonNameValidationTLS": "Check the certificate's common name",
        "sendSipsOverTLS": "Send SIPS URIs over TLS",
        "keepAliveTimeoutEnable": "Keep-alive time-out", "timeout": "Keep-alive (s)"})),
)

SRTP_FIELDS: tuple[FormField, ...] = fields_of(SITE, {"srtp": SITE_LABELS["srtp"]})
"""The one input of a site's row on this page."""


async def read_forms(web: WebAxi) -> dict[str, FormState]:
    return {s.key: FormState.read(s.fields, await web.request(s.get)) for s in SECTIONS}


async def submit(web: WebAxi, key: str, posted: Mapping[str, str]) -> FormState:
    """Apply one posted form (KeyError: no such form)."""
    section = {s.key: s for s in SECTIONS}[key]
    try:
        await web.request(section.set, to_attrs(section.fields, posted))
    except AxiError as err:
        return FormState.posted(section.fields, posted).fail(err)
    return FormState(section.fields)


async def set_srtp(web: WebAxi, site_id: int, posted: Mapping[str, str]) -> FormState:
    """A site's SRTP mode (SetSite)."""
    return await update_site(web, site_id, posted, SRTP_FIELDS)
