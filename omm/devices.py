"""DECT devices (PP devices): IPEI, authentication code, subscription state, UAK (axi.md §5.2)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from omm.errors import Exists, Invalid, NoMemory, NotFound
from omm.ipei import normalise_ipei
from omm.tables import Record, Table, apply
from sipdect.axi.records import PP_DEV
from sipdect.store import Store
from sipdect.vault import NONCE_LEN, TOKEN_PREFIX, Vault

#: The sealed UAK lives in the record under this key, outside the AXI fields.
UAK_SEALED = "_uakSealed"


def check_ac(ac: str) -> str:
    """A DECT authentication code: empty or 1-8 decimal digits."""
    if ac and not ac.isdigit():
        raise Invalid(f"authentication code '{ac}' must be decimal digits", "ac")
    return ac


class Devices:
    """The device table with its IPEI index."""

    def __init__(self, store: Store, vault: Vault, notify: Callable[..., None],
                 clock: Callable[[], float], capacity: int) -> None:
        self.table = Table(store, "devices", "pp", "ppn", notify)
        self.vault = vault
        self.clock = clock
        self.capacity = capacity
        self.by_ipei: dict[str, int] = {r["ipei"]: r["ppn"] for r in self.table if r.get("ipei")}

    def __len__(self) -> int:
        return len(self.table)

    def get(self, ppn: int) -> Record:
        rec = self.table.get(ppn)
        if rec is None:
            raise NotFound(f"no device with ppn {ppn}", "ppn")
        return rec

    def find_by_ipei(self, ipei: str) -> Record:
        ppn = self.by_ipei.get(normalise_ipei(ipei))
        if ppn is None:
            raise NotFound(f"no device with IPEI '{ipei}'", "ipei")
        return self.table.records[ppn]

    def _normalise(self, values: dict[str, Any], ppn: int | None) -> dict[str, Any]:
        out = dict(values)
        if out.get("ipei"):
            out["ipei"] = normalise_ipei(out["ipei"])
            other = self.by_ipei.get(out["ipei"])
            if other is not None and other != ppn:
                raise Exists(f"IPEI {out['ipei']} is already used by ppn {other}", "ipei")
        if "ac" in out:
            out["ac"] = check_ac(out["ac"])
        return out

    def create(self, values: dict[str, Any], ppn: int | None = None,
               auto_created: bool = False) -> Record:
        if len(self.table) >= self.capacity:
            raise NoMemory(f"the OMM holds at most {self.capacity} devices")
        values = self._normalise(values, None)
        if ppn and self.table.get(ppn) is not None:
            raise Exists(f"ppn {ppn} already exists", "ppn")
        now = int(self.clock())
        rec = PP_DEV.defaults()
        rec.update(values)
        rec.update(ppn=ppn or self.table.next_key(), timeStamp=now, timeStampAdmin=now,
                   timeStampRelation=now, autoCreate=auto_created)
        self.table.insert(rec)
        if rec.get("ipei"):
            self.by_ipei[rec["ipei"]] = rec["ppn"]
        return rec

    def check(self, ppn: int, values: dict[str, Any]) -> None:
        """Raise what update() would raise, changing nothing."""
        self.get(ppn)
        self._normalise(values, ppn)

    def update(self, ppn: int, values: dict[str, Any]) -> Record:
        rec = self.get(ppn)
        values = self._normalise(values, ppn)
        old_ipei = rec.get("ipei", "")
        changed = apply(rec, values)
        if changed:
            rec["timeStamp"] = rec["timeStampAdmin"] = int(self.clock())
            changed += ("timeStamp", "timeStampAdmin")
        if "ipei" in changed:
            self.by_ipei.pop(old_ipei, None)
            if rec["ipei"]:
                self.by_ipei[rec["ipei"]] = ppn
        return self.table.update(rec, changed)

    def set_relation(self, rec: Record, uid: int, rel_type: str) -> tuple[str, ...]:
        changed = apply(rec, {"uid": uid, "relType": rel_type})
        if changed:
            rec["timeStampRelation"] = rec["timeStamp"] = int(self.clock())
            changed += ("timeStampRelation", "timeStamp")
        self.table.update(rec, changed)
        return changed

    def delete(self, ppn: int) -> Record:
        rec = self.get(ppn)
        self.by_ipei.pop(rec.get("ipei", ""), None)
        return self.table.remove(ppn)

    def page(self, start: int, count: int) -> list[Record]:
        return self.table.page(start, count)

    def set_uak(self, ppn: int, uak: bytes) -> Record:
        """Store a UAK from key allocation sealed; `uak` shows its encrypted octets in hex
        (axi.md §5.2) and `s` is Unconfirmed until the first authentication with it."""
        rec = self.get(ppn)
        token = self.vault.seal(uak, b"uak")
        sealed = base64.urlsafe_b64decode(token[len(TOKEN_PREFIX) :])
        shown = sealed[NONCE_LEN : NONCE_LEN + len(uak)].hex().upper()
        now = int(self.clock())
        rec[UAK_SEALED] = token
        changed = apply(rec, {"uak": shown, "s": "Unconfirmed", "timeStampSubscription": now,
                              "timeStamp": now})
        return self.table.update(rec, changed)

    def uak(self, rec: Record) -> bytes | None:
        """The device's UAK, unsealed, or None before its first subscription."""
        token = rec.get(UAK_SEALED)
        return self.vault.unseal(token, b"uak") if token else None

    def set_subscription(self, ppn: int, state: str) -> Record:
        """Set `s` (No, Unconfirmed, Yes) as the DECT procedures move it."""
        rec = self.get(ppn)
        changed = apply(rec, {"s": state})
        if changed:
            rec["timeStamp"] = int(self.clock())
            changed += ("timeStamp",)
        return self.table.update(rec, changed)

    def subscribed_count(self) -> int:
        return sum(1 for r in self.table if r.get("s") == "Yes")
