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
from sipdect.vault import Vault, VaultError

LINK_KEY_FIELD = "linkKeySealed"
"""Record entry (not an AXI field) holding the RFP's link key K sealed with the vault."""
CAPTURE_LIST_SIZE = 256
"""Most unknown RFPs kept in the capture list (the real limit is not documented)."""

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
        self.captured: dict[str, Record] = {}
        """Unknown RFPs that tried to connect while capturing was on, by ethAddr."""
        self.sync_relations: dict[int, list[Record]] = {}
        """Per RFP: the neighbours its last SYNC report named (rpn, id, rssi, offset, ...)."""

    def __len__(self) -> int:
        return len(self.table)

    def get(self, rfp_id: int) -> Record:
        rec = self.table.get(rfp_id)
        if rec is None:
            raise NotFound(f"no RFP with id {rfp_id}", "id")
        return rec

    def by_rpn(self, rpn: int, *, near: int | None = None, besides: int | None = None
               ) -> int | None:
        """The RFP a radio's RPN names (RPNs repeat every 256): one of the cluster of RFP
        `near` when there is one, else the first; never `besides`."""
        via = self.table.get(near) if near is not None else None
        cluster = via["cluster"] if via is not None else None
        found = [r for r in self.table if r["rpn"] == rpn and r["id"] != besides]
        same = [r for r in found if r["cluster"] == cluster]
        chosen = same or found
        return int(chosen[0]["id"]) if chosen else None

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

    # -- enrolment: the per-RFP link key (features.md §2.3, omm-rfp.md §2.2) -----------------
    @staticmethod
    def _key_context(rec: Record) -> bytes:
        # Bound to id and MAC: a key sealed for one RFP record does not open for another,
        # and changing an RFP's MAC makes it enrol anew.
        return f"rfp:{rec['id']}:{rec['ethAddr']}:K".encode()

    def link_key(self, rfp_id: int, vault: Vault) -> bytes | None:
        """The K this RFP received at enrolment, None when it has not enrolled (or the
        sealed key belongs to another MAC or installation: then it enrols anew)."""
        rec = self.get(rfp_id)
        token = rec.get(LINK_KEY_FIELD)
        if not token:
            return None
        try:
            return vault.unseal(token, self._key_context(rec))
        except VaultError:
            return None

    def store_link_key(self, rfp_id: int, key: bytes, vault: Vault) -> None:
        """Keep K sealed in the RFP's record (never in clear); no AXI event: it is no field."""
        rec = self.get(rfp_id)
        rec[LINK_KEY_FIELD] = vault.seal(key, self._key_context(rec))
        self.table.store.put_json(self.table.name, rfp_id, rec)

    def forget_link_key(self, rfp_id: int) -> None:
        """The RFP has to enrol again at its next login."""
        rec = self.get(rfp_id)
        if rec.pop(LINK_KEY_FIELD, None) is not None:
            self.table.store.put_json(self.table.name, rfp_id, rec)

    # -- capturing unknown RFPs (features.md §2.3 "DECT base stations -> Capturing") ----------
    def capture(self, eth_addr: str, ip_addr: str, hw_type: str, when: float) -> Record:
        """Note an unknown RFP that tried to connect (the caller checks RFPCapture)."""
        mac = normalise_mac(eth_addr)
        rec = self.captured.pop(mac, None) or {"ethAddr": mac}
        rec.update(ipAddr=ip_addr, hwType=hw_type, time=int(when))
        self.captured[mac] = rec
        while len(self.captured) > CAPTURE_LIST_SIZE:
            del self.captured[next(iter(self.captured))]
        self.notify(Change("rfpCapture", mac))
        return rec

    def capture_list(self) -> list[Record]:
        """Captured RFPs, oldest first (what GetRFPCaptureList returns)."""
        return list(self.captured.values())

    def delete_captured(self, eth_addr: str | None = None) -> None:
        """Drop one captured RFP, or the whole list when eth_addr is None."""
        if eth_addr is None:
            self.captured.clear()
            self.notify(Change("rfpCapture", None, deleted=True))
            return
        mac = normalise_mac(eth_addr)
        if self.captured.pop(mac, None) is None:
            raise NotFound(f"{mac} is not in the capture list", "ethAddr")
        self.notify(Change("rfpCapture", mac, deleted=True))

    # -- what the RFP link reports besides RFPState ---------------------------------------------
    def set_details(self, rfp_id: int, values: dict[str, Any]) -> None:
        """Detail fields (withDetails: hasEncryption, radioType, ...); not RFPState events."""
        apply(self.live(rfp_id), values)

    def set_sync_relations(self, rfp_id: int, relations: list[Record]) -> None:
        if self.sync_relations.get(rfp_id) != relations:
            self.sync_relations[rfp_id] = relations
            self.notify(Change("rfpSyncRel", rfp_id))
