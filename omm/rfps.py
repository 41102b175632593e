"""RFP (base station) configuration and live state (axi.md §5.3, features.md §2.3).

Configuration is persisted; state (connected, syncState, ...) lives only while
the OMM runs, as on the real system, and is filled in by the RFP link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from omm.errors import Exists, Forbidden, Invalid, NoMemory, NotFound
from omm.tables import Change, Record, Table, apply
from sipdect.axi.records import RFP, RFP_CONFIG, RFP_DETAILS, RFP_STATE
from sipdect.store import Store

_MAC_RE = re.compile(r"^[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$")


def normalise_mac(text: str) -> str:
    """'00:30:42:12:3E:45', '00-30-42-...' or '0030421...' -> '00:30:42:12:3e:45'."""
    if not _MAC_RE.match(text.strip()):
        raise Invalid(f"'{text}' is not an Ethernet address like 00:30:42:12:3e:45", "ethAddr")
    digits = re.sub(r"[:-]", "", text.strip()).lower()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


class Rfps:
    """Configured RFPs by id (ids start at 0, axi.md §3.1) plus their live state."""

    def __init__(self, store: Store, notify: Callable[[Change], None], capacity: int) -> None:
        self.table = Table(store, "rfps", "rfp", "id", notify, first_key=0)
        self.notify = notify
        self.capacity = capacity
        self.by_mac: dict[str, int] = {r["ethAddr"]: r["id"] for r in self.table}
        self.state: dict[int, Record] = {}

    def __len__(self) -> int:
        return len(self.table)

    def get(self, rfp_id: int) -> Record:
        rec = self.table.get(rfp_id)
        if rec is None:
            raise NotFound(f"no RFP with id {rfp_id}", "id")
        return rec

    def live(self, rfp_id: int) -> Record:
        """State and detail fields of an RFP (defaults while it is not connected)."""
        st = self.state.get(rfp_id)
        if st is None:
            st = {n: RFP.by_name[n].default for n in (*RFP_STATE, *RFP_DETAILS)}
            self.state[rfp_id] = st
        return st

    def create(self, values: dict[str, Any], site_exists: Callable[[int], bool]) -> Record:
        if len(self.table) >= self.capacity:
            raise NoMemory(f"the OMM holds at most {self.capacity} RFPs")
        if not values.get("ethAddr"):
            raise Invalid("an RFP needs its Ethernet address", "ethAddr")
        values = dict(values)
        values["ethAddr"] = normalise_mac(values["ethAddr"])
        if values["ethAddr"] in self.by_mac:
            raise Exists(f"an RFP with {values['ethAddr']} exists already", "ethAddr")
        rec = {n: RFP.by_name[n].default for n in RFP_CONFIG}
        rec.update(values)
        if not site_exists(rec["site"]):
            raise Invalid(f"site {rec['site']} does not exist", "site")
        rec["id"] = self.table.next_key()
        rec["rpn"] = rec["id"] % 256
        self.table.insert(rec)
        self.by_mac[rec["ethAddr"]] = rec["id"]
        return rec

    def update(self, rfp_id: int, values: dict[str, Any],
               site_exists: Callable[[int], bool]) -> Record:
        rec = self.get(rfp_id)
        values = dict(values)
        if "ethAddr" in values:
            values["ethAddr"] = normalise_mac(values["ethAddr"])
            other = self.by_mac.get(values["ethAddr"])
            if other is not None and other != rfp_id:
                raise Exists(f"an RFP with {values['ethAddr']} exists already", "ethAddr")
        if "site" in values and not site_exists(values["site"]):
            raise Invalid(f"site {values['site']} does not exist", "site")
        old_mac = rec["ethAddr"]
        changed = apply(rec, values)
        if "ethAddr" in changed:
            self.by_mac.pop(old_mac, None)
            self.by_mac[rec["ethAddr"]] = rfp_id
        return self.table.update(rec, changed)

    def delete(self, rfp_id: int) -> Record:
        rec = self.get(rfp_id)
        if self.live(rfp_id).get("connected"):
            raise Forbidden(f"RFP {rfp_id} is connected; power it off first", "id")
        self.by_mac.pop(rec["ethAddr"], None)
        self.state.pop(rfp_id, None)
        return self.table.remove(rfp_id)

    def set_state(self, rfp_id: int, values: dict[str, Any]) -> tuple[str, ...]:
        changed = apply(self.live(rfp_id), values)
        if changed:
            self.notify(Change("rfpState", rfp_id, changed))
        return changed

    def page(self, start: int, count: int) -> list[Record]:
        return self.table.page(start, count)

    def on_site(self, site_id: int) -> int:
        return sum(1 for r in self.table if r.get("site") == site_id)

    def summary(self) -> dict[str, int]:
        """RFPSummaryType counters."""
        recs = list(self.table)
        lives = [self.live(r["id"]) for r in recs]
        return {
            "nRFPs": len(recs), "idFirst": self.table.first(),
            "nConnected": sum(1 for s in lives if s["connected"]),
            "wrongBrandedRFPs": sum(1 for s in lives if s["brandingMismatch"]),
            "wrongStandbyRFPs": sum(1 for s in lives if s["stbMismatch"]),
            "wrongVersionedRFPs": sum(1 for s in lives if s["versionMismatch"]),
            "newAvailSWRFPs": sum(1 for s in lives if s["newSoftwareRequest"]),
            "DecryptedDECTRFPs": 0,
            "DECTactivatedRFPs": sum(1 for r in recs if r["dectOn"]),
            "DECTactiveRFPs": sum(1 for s in lives if s["dectRunning"]),
            "usedDECTclusters": len({r["cluster"] for r in recs if r["dectOn"]}),
            "usbOverloads": 0, "advancedFeaturesErrorRFPs": 0,
            "WLANactivatedRFPs": sum(1 for r in recs if r["wlanOn"]),
            "WLANrunningRFPs": sum(1 for s in lives if s["wlanRunning"]),
            "usedWLANprofiles": len({r["wlanProfile"] for r in recs if r["wlanOn"]}),
            "usedPagingAreas": len({r["pagingArea"] for r in recs if r["pagingArea"] >= 0}),
        }
