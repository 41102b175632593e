"""DECT devices (PP devices): IPEI, authentication code, subscription state, UAK (axi.md §5.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from omm.errors import Exists, Invalid, NoMemory, NotFound
from omm.ipei import normalise_ipei
from omm.tables import Record, Table, apply, stamp
from sipdect.axi.records import PP_DEV
from sipdect.axi.sync import SYNC_ONLY_PP
from sipdect.store import Store
from sipdect.vault import Vault

#: The sealed UAK lives in the record under this key, outside the AXI fields.
UAK_SEALED = "_uakSealed"

UAK_WIRE_KEY: Final = bytes.fromhex("9C92634D7D4FE7BA7E59C5273788C86D")
"""[I] The `uak` attribute is "the encrypted UAK" (axi.md §5.2: 32 hex digits, not RSA). A MOM
copies it from one OMM to another and guru3/MGR re-create devices with it, so every OMM must
read every OMM's: it is the UAK encrypted with one product-wide key (AES-128, one block), as a
vendor would build it in. This key is sipdect's own; the UAK stays sealed at rest."""


def uak_to_wire(uak: bytes) -> str:
    """The `uak` attribute for a 128-bit UAK."""
    enc = Cipher(algorithms.AES(UAK_WIRE_KEY), modes.ECB()).encryptor()
    return (enc.update(uak) + enc.finalize()).hex().upper()


def uak_from_wire(text: str) -> bytes:
    """The UAK in a `uak` attribute (as uak_to_wire wrote it, by this OMM or another)."""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 16:
        raise Invalid(f"uak '{text}' is not 32 hex digits", "uak")
    dec = Cipher(algorithms.AES(UAK_WIRE_KEY), modes.ECB()).decryptor()
    return dec.update(raw) + dec.finalize()


def check_ac(ac: str) -> str:
    """A DECT authentication code: empty or 1-8 decimal digits."""
    if ac and not ac.isdigit():
        raise Invalid(f"authentication code '{ac}' must be decimal digits", "ac")
    return ac


class Devices:
    """The device table with its IPEI index."""

    def __init__(self, store: Store, vault: Vault, notify: Callable[..., None],
                 clock: Callable[[], float], capacity: int, *,
                 local_values: Callable[[], dict[str, Any]] = dict) -> None:
        self.table = Table(store, "devices", "pp", "ppn", notify)
        self.vault = vault
        self.clock = clock
        self.capacity = capacity
        self.local_values = local_values
        """What a device made here (not by a sync session) carries besides (omm.central)."""
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
        if "uak" in out:  # only a sync session writes it (sync.SYNC_ONLY_PP)
            current = self.table.get(ppn) if ppn is not None else None
            if current is not None and current.get("uak") == out["uak"]:
                del out["uak"]  # the same UAK again: no change (and no new seal)
            elif out["uak"]:
                out["uak"] = out["uak"].upper()
                out[UAK_SEALED] = self.vault.seal(uak_from_wire(out["uak"]), b"uak")
            else:
                out[UAK_SEALED] = ""
        if out.get("ipei"):
            out["ipei"] = normalise_ipei(out["ipei"])
            other = self.by_ipei.get(out["ipei"])
            if other is not None and other != ppn:
                raise Exists(f"IPEI {out['ipei']} is already used by ppn {other}", "ipei")
        if "ac" in out:
            out["ac"] = check_ac(out["ac"])
        return out

    def create(self, values: dict[str, Any], ppn: int | None = None,
               auto_created: bool = False, *, synced: bool = False) -> Record:
        """A new device; `synced`: written by a sync session, whose sync-only attributes
        (time stamps included) are stored as given, else it is a local one (local_values)."""
        if len(self.table) >= self.capacity:
            raise NoMemory(f"the OMM holds at most {self.capacity} devices")
        values = self._normalise(values, None)
        if ppn and self.table.get(ppn) is not None:
            raise Exists(f"ppn {ppn} already exists", "ppn")
        now = int(self.clock())
        rec = PP_DEV.defaults()
        rec.update(ppn=ppn or self.table.next_key(), timeStamp=now, timeStampAdmin=now,
                   timeStampRelation=now, autoCreate=auto_created)
        if not synced:
            rec.update(self.local_values())
        rec.update(values)
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
        sealed = values.pop(UAK_SEALED, None)
        if sealed is not None:
            rec[UAK_SEALED] = sealed
        changed = apply(rec, values)
        changed += stamp(rec, changed, values, int(self.clock()), SYNC_ONLY_PP)
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
        """Store a UAK from key allocation sealed; `uak` shows it encrypted (uak_to_wire) and
        `s` is Unconfirmed until the first authentication with it."""
        rec = self.get(ppn)
        now = int(self.clock())
        rec[UAK_SEALED] = self.vault.seal(uak, b"uak")
        changed = apply(rec, {"uak": uak_to_wire(uak), "s": "Unconfirmed",
                              "timeStampSubscription": now, "timeStamp": now})
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
