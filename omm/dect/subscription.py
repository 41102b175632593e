"""Who may subscribe, with which authentication code, into which device record.

features.md §2.6 (subscription modes Off / Configured / Wildcard, auto-create) on top of
the OMM model; dect-security.md §4.2 does the key allocation itself (omm.dect.connection).
"""

from __future__ import annotations

from dataclasses import dataclass

from dect.errors import DectValueError
from dect.identities import Ipei
from dect.nwk.tables import RejectReasonCode
from dect.security import pin_to_ac
from omm.errors import NotFound
from omm.model import OmmModel
from omm.tables import Record


@dataclass(frozen=True, slots=True)
class Candidate:
    """One device record the subscribing PP may turn out to belong to."""

    ac: bytes
    """The 32-bit authentication code the PP must have keyed in."""
    ppn: int | None
    """The record, or None to create one (DevAutoCreate) when this AC matches."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """No subscription: why, for the event log, and the REJECT-REASON to send."""

    reason: str
    """E.g. "no configured device or no wildcard subscription"."""
    reject_code: int
    """REJECT-REASON code."""


def _ac(model: OmmModel, rec: Record | None) -> str:
    own = str(rec.get("ac") or "") if rec is not None else ""
    return own or str(model.settings.value("DECTAuthCode", "ac", "") or "")


def candidates(model: OmmModel, ipei: Ipei) -> list[Candidate] | Refusal:
    """The records (with their ACs) a subscription from `ipei` may take, or why none.

    Configured: only the record with this IPEI. Wildcard: that record if there is one,
    else each record without an IPEI (its own AC or the system's), else a new record
    when DevAutoCreate is on. The AC the PP proves in key allocation picks the record.
    """
    mode = model.subscription.mode()
    if mode == "Off":
        return Refusal("subscription is off", RejectReasonCode.IPEI_NOT_ACCEPTED)
    try:
        rec: Record | None = model.devices.find_by_ipei(ipei.omm_form())
    except NotFound:
        rec = None
    try:
        if rec is not None:
            ac = _ac(model, rec)
            if not ac:
                return Refusal(
                    "missing authentication code", RejectReasonCode.AUTHENTICATION_KEY_NOT_SUPPORTED
                )
            return [Candidate(pin_to_ac(ac), rec["ppn"])]
        if mode != "Wildcard":
            return Refusal(
                "no configured device or no wildcard subscription",
                RejectReasonCode.IPEI_NOT_ACCEPTED,
            )
        found = [
            Candidate(pin_to_ac(_ac(model, r)), r["ppn"])
            for r in model.devices.table
            if not r.get("ipei") and _ac(model, r)
        ]
        system_ac = _ac(model, None)
        if model.settings.value("DevAutoCreate", "enable", False) and system_ac:
            found.append(Candidate(pin_to_ac(system_ac), None))
    except DectValueError as exc:
        return Refusal(f"unusable authentication code ({exc})", RejectReasonCode.IPEI_NOT_ACCEPTED)
    if not found:
        return Refusal(
            "missing device without IPEI or authentication code, and no auto-create",
            RejectReasonCode.IPEI_NOT_ACCEPTED,
        )
    return found


def bind(model: OmmModel, candidate: Candidate, ipei: Ipei, uak: bytes, hw_type: str) -> int:
    """Put the new UAK into the candidate's record (creating it if need be); its ppn."""
    ipei_text = ipei.omm_form()
    if candidate.ppn is None:
        ppn = int(
            model.devices.create({"ipei": ipei_text, "hwType": hw_type}, auto_created=True)["ppn"]
        )
    else:
        ppn = candidate.ppn
        rec = model.devices.get(ppn)
        values = {"hwType": hw_type}
        if not rec.get("ipei"):
            values["ipei"] = ipei_text
        model.devices.update(ppn, values)
    model.devices.set_uak(ppn, uak)
    if model.subscription.mode() == "Wildcard":
        model.subscription.extend_wildcard()
    return ppn
