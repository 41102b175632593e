"""RFPs as the OMM's web pages show and change them (issue 14 item 2), apart from HTTP: the
state names the real UI uses, each RFP's configuration and live state, its sync relations
with RSSI, the capture list, and the AXI request each form becomes (sent by
omm.web.axi.WebAxi: AXI's rules, no second set).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from omm.errors import Invalid
from omm.model import OmmModel
from omm.rfps import normalise_mac
from omm.tables import Record
from sipdect.axi.codec import Message

NOT_CONNECTED: Final = "Not connected"
STATE_NAMES: Final[dict[str, str]] = {
    "Synced": "Synchronous",
    "NotSynced": "Asynchronous",
    "Searching": "Searching",
    "Inactive": "Inactive",
}
"""The real UI's RFP states (features.md §2.3 "RFP status") by AXI syncState, for a connected
RFP: Synchronous; Asynchronous (connected, not yet synced); Searching (lost sync); Inactive
(connected, air interface off). One not connected is "Not connected" whatever it last said."""

STATE_CLASSES: Final[dict[str, str]] = {
    "Synchronous": "ok", "Asynchronous": "warn", "Searching": "warn", "Inactive": "off",
    NOT_CONNECTED: "bad"}
"""How a page colours each state (a CSS class of the row)."""


def state_name(live: Mapping[str, Any]) -> str:
    """The state the real UI shows for an RFP's live state (Rfps.live)."""
    if not live.get("connected"):
        return NOT_CONNECTED
    return STATE_NAMES.get(str(live.get("syncState", "Inactive")), "Inactive")


RFP_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("ethAddr", "MAC address"), ("name", "Name"), ("location", "Location"), ("site", "Site"),
    ("cluster", "Cluster"), ("pagingArea", "Paging area"), ("x", "Position x"),
    ("y", "Position y"),
)
"""RFP attributes the RFP form edits (name, label), in the form's order."""

RFP_CHECKBOXES: Final[tuple[tuple[str, str], ...]] = (
    ("dectOn", "DECT"), ("preferredSync", "Preferred sync"),
    ("reflectiveEnv", "Reflective environment"))
"""Boolean RFP attributes the form edits."""


def rfp_row(model: OmmModel, rec: Record) -> dict[str, Any]:
    """What the RFP list shows of one RFP: configuration, live state, its state's name."""
    live = model.rfps.live(rec["id"])
    site = model.sites.table.get(rec.get("site") or 0)
    name = state_name(live)
    return {
        "id": rec["id"], "name": rec.get("name", ""), "ethAddr": rec["ethAddr"],
        "location": rec.get("location", ""), "site": rec.get("site", 0),
        "site_name": site.get("name", "") if site is not None else "",
        "cluster": rec.get("cluster", 1), "pagingArea": rec.get("pagingArea", -1),
        "x": rec.get("x", 0), "y": rec.get("y", 0), "rpn": rec.get("rpn", 0),
        "hwType": rec.get("hwType", ""), "dectOn": bool(rec.get("dectOn")),
        "preferredSync": bool(rec.get("preferredSync")),
        "reflectiveEnv": bool(rec.get("reflectiveEnv")),
        "state": name, "state_class": STATE_CLASSES[name],
        "connected": bool(live.get("connected")), "ipAddr": live.get("ipAddr", "") or "",
        "swVersion": live.get("swVersion", "") or "",
        "dectRunning": bool(live.get("dectRunning")), "nSyncRels": live.get("nSyncRels", 0),
    }


def sync_relations(model: OmmModel, rfp_id: int) -> list[dict[str, Any]]:
    """The RFP's sync partners as it last reported them (GetRFPSync): the partner's id and
    name when the OMM knows it, its RPN, the RSSI (dBm) and the offset."""
    out = []
    for rel in model.rfps.sync_relations.get(rfp_id, []):
        partner = model.rfps.table.get(rel["id"]) if rel.get("id") is not None else None
        out.append({"id": rel.get("id"), "rpn": rel.get("rpn"),
                    "name": partner.get("name", "") if partner is not None else "",
                    "rssi": rel.get("rssi"), "offset": rel.get("offset", 0)})
    return out


def capture_rows(model: OmmModel) -> list[dict[str, Any]]:
    """The capture list (RFPs that tried to connect unconfigured), oldest first."""
    return [{"ethAddr": r["ethAddr"], "ipAddr": r.get("ipAddr", ""),
             "hwType": r.get("hwType", ""), "time": r.get("time", 0)}
            for r in model.rfps.capture_list()]


def capturing(model: OmmModel) -> bool:
    return bool(model.settings.value("RFPCapture", "enable", False))


def rfp_request(form: Mapping[str, str], rfp_id: int | None = None) -> Message:
    """CreateRFP (rfp_id None) or SetRFP from the RFP form."""
    attrs = {name: form[name].strip() for name, _ in RFP_FIELDS if name in form}
    for name, _ in RFP_CHECKBOXES:
        attrs[name] = "true" if form.get(name) else "false"
    if rfp_id is None:
        return Message("CreateRFP", {}, [Message("rfp", attrs)])
    return Message("SetRFP", {}, [Message("rfp", {"id": str(rfp_id), **attrs})])


def enrol_requests(form: Mapping[str, str]) -> list[Message]:
    """Enrolment of a captured RFP: CreateRFP with its MAC (and what the form gives), then its
    entry leaves the capture list (DeleteRFPCaptureListElem); the key exchange follows at its
    next login (features.md §2.3)."""
    mac = form.get("ethAddr", "")
    return [rfp_request({**form, "ethAddr": mac, "dectOn": form.get("dectOn", "1")}),
            Message("DeleteRFPCaptureListElem", {"ethAddr": mac})]


def captured(model: OmmModel, mac: str) -> Record | None:
    """The capture list's entry of `mac` (any spelling), None if it is not (or no MAC)."""
    try:
        key = normalise_mac(mac)
    except Invalid:
        return None
    return model.rfps.captured.get(key)
