"""Summary counters (Get...Summary, Event...Summary) and a PP's live state, from one source.

Every counter is the sum of what the per-record answers show (axi.md §3.4, §5.6): users
with `locatable` as GetPPUser shows them, devices with `s="Yes"` as GetPPDev shows them,
users whose device's GetPPState says `registered="1"`, RFPs whose GetRFP state says
`connected`. The handlers and the summary events all call these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sipdect.axi import conventions
from sipdect.axi.records import MONITORING_STATES, USER_MONITORING_FIELDS

if TYPE_CHECKING:
    from omm.axi.api import AxiApi

assert set(conventions.USER_MONITORING_COUNTERS.values()) <= set(MONITORING_STATES)


def pp_state(api: AxiApi, ppn: int) -> dict[str, str]:
    """What GetPPState answers for device `ppn` (the caller checks that it exists)."""
    state: dict[str, str] = api.model.pp_live.state(ppn)
    return state


def sip_registered(api: AxiApi, user: dict[str, Any]) -> bool:
    """Whether the user's device shows registered="1" in GetPPState."""
    return bool(user.get("ppn")) and pp_state(api, int(user["ppn"]))["registered"] == "1"


UserTest = Callable[[dict[str, Any]], bool]


def _flag(field: str) -> UserTest:
    return lambda user: bool(user.get(field))


def _mode(mode: str) -> UserTest:
    return lambda user: user.get("monitoringMode") == mode


def _any_state(state: str) -> UserTest:
    return lambda user: any(user.get(f) == state for f in USER_MONITORING_FIELDS)


def _user_counters(api: AxiApi) -> dict[str, UserTest]:
    counters: dict[str, UserTest] = {"nSipRegistration": lambda u: sip_registered(api, u)}
    counters.update({n: _flag(f) for n, f in conventions.USER_SUMMARY_FLAGS.items()})
    counters.update({n: _mode(m) for n, m in conventions.USER_MONITORING_MODES.items()})
    counters.update({n: _any_state(s) for n, s in conventions.USER_MONITORING_COUNTERS.items()})
    return counters


def user_summary(api: AxiApi) -> dict[str, str]:
    """GetPPUserSummaryResp / EventPPUserSummary (PPUserSummaryType)."""
    table = api.model.users.table
    users = [api.model.umo.overlay(u) for u in table]
    out = {"nRecords": str(len(users)), "uidFirst": str(table.first())}
    for name, counts in _user_counters(api).items():
        out[name] = str(sum(1 for u in users if counts(u)))
    return out


def device_summary(api: AxiApi) -> dict[str, str]:
    """GetPPDevSummaryResp / EventPPDevSummary."""
    table = api.model.devices.table
    devices = list(table)
    return {"nRecords": str(len(devices)), "ppnFirst": str(table.first()),
            "subscribedDevs": str(sum(1 for d in devices if d.get("s") == "Yes"))}


def rfp_summary(api: AxiApi) -> dict[str, str]:
    """GetRFPSummaryResp / EventRFPSummary (RFPSummaryType): from the records and the live
    state GetRFP shows."""
    return {k: str(v) for k, v in api.model.rfps.summary().items()}


def site_summary(api: AxiApi) -> dict[str, str]:
    """GetSiteSummaryResp."""
    sites = list(api.model.sites.table)
    rfps = list(api.model.rfps.table)
    return {k: str(v) for k, v in {
        "nRecords": len(sites), "idFirst": api.model.sites.table.first(),
        "rfpSiteNum": len({r["site"] for r in rfps}),
        "g722SiteNum": sum(1 for s in sites if s["wideband"]),
        "dectSecuritySiteNum": sum(1 for s in sites if s["dectSecurity"]),
        "videoStreamingSiteNum": sum(1 for s in sites if s["videoStreaming"]),
        "srtpSiteNum": sum(1 for s in sites if s["srtp"] != "Disabled")}.items()}


def account_summary(api: AxiApi) -> dict[str, str]:
    """GetAccountSummaryResp."""
    table = api.model.accounts.table
    return {"nRecords": str(len(table)), "idFirst": str(table.first())}
