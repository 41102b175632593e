"""DECT users (PP users): numbers, names, SIP credentials, PINs (axi.md §5.1).

Secrets (pin, sipPw, credentialPw, serviceAuthPassword) are kept sealed by the
installation's vault; only the model unseals them when a feature needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from omm.errors import Exists, NoMemory, NotFound
from omm.tables import Record, Table, apply, stamp
from sipdect.axi.records import PP_USER
from sipdect.axi.sync import SYNC_ONLY_USER
from sipdect.store import Store
from sipdect.vault import Vault

SECRETS = tuple(f.name for f in PP_USER.fields if f.secret)


class Users:
    """The user table with its number index."""

    def __init__(self, store: Store, vault: Vault, notify: Callable[..., None],
                 clock: Callable[[], float], capacity: int, *,
                 local_values: Callable[[], dict[str, Any]] = dict) -> None:
        self.table = Table(store, "users", "user", "uid", notify)
        self.vault = vault
        self.clock = clock
        self.capacity = capacity
        self.local_values = local_values
        """What a user made here (not by a sync session) carries besides (omm.central)."""
        self.by_num: dict[str, int] = {r["num"]: r["uid"] for r in self.table if r.get("num")}

    def __len__(self) -> int:
        return len(self.table)

    def get(self, uid: int) -> Record:
        rec = self.table.get(uid)
        if rec is None:
            raise NotFound(f"no user with uid {uid}", "uid")
        return rec

    def find_by_number(self, num: str) -> Record:
        uid = self.by_num.get(num)
        if uid is None:
            raise NotFound(f"no user with number '{num}'", "num")
        return self.table.records[uid]

    def _seal(self, values: dict[str, Any]) -> dict[str, Any]:
        out = dict(values)
        for name in SECRETS:
            if name in out:
                out[name] = self.vault.seal_text(out[name], name.encode()) if out[name] else ""
        return out

    def secret(self, rec: Record, name: str) -> str:
        token = rec.get(name) or ""
        return self.vault.unseal_text(token, name.encode()) if token else ""

    def _check_number(self, num: str, uid: int | None) -> None:
        other = self.by_num.get(num)
        if num and other is not None and other != uid:
            raise Exists(f"number '{num}' is already used by uid {other}", "num")

    def create(self, values: dict[str, Any], uid: int | None = None, *,
               synced: bool = False) -> Record:
        """A new user; `synced`: written by a sync session, whose sync-only attributes (time
        stamps included) are stored as given, else it is a local one (local_values)."""
        if len(self.table) >= self.capacity:
            raise NoMemory(f"the OMM holds at most {self.capacity} users")
        num = values.get("num", "")
        self._check_number(num, None)
        if uid and self.table.get(uid) is not None:
            raise Exists(f"uid {uid} already exists", "uid")
        now = int(self.clock())
        rec = PP_USER.defaults()
        rec.update(uid=uid or self.table.next_key(), timeStamp=now, timeStampAdmin=now,
                   timeStampRelation=now)
        if not synced:
            rec.update(self.local_values())
        rec.update(self._seal(values))
        self.table.insert(rec)
        if num:
            self.by_num[num] = rec["uid"]
        return rec

    def check(self, uid: int, values: dict[str, Any]) -> None:
        """Raise what update() would raise, changing nothing."""
        self.get(uid)
        if "num" in values:
            self._check_number(values["num"], uid)

    def update(self, uid: int, values: dict[str, Any]) -> Record:
        rec = self.get(uid)
        if "num" in values:
            self._check_number(values["num"], uid)
        old_num = rec.get("num", "")
        sealed = self._seal(values)
        for name in SECRETS:  # re-sealing the same secret is not a change
            if name in values and values[name] == self.secret(rec, name):
                sealed.pop(name)
        changed = apply(rec, sealed)
        changed += stamp(rec, changed, values, int(self.clock()), SYNC_ONLY_USER)
        if "num" in changed:
            self.by_num.pop(old_num, None)
            if rec["num"]:
                self.by_num[rec["num"]] = uid
        return self.table.update(rec, changed)

    def set_relation(self, rec: Record, ppn: int, rel_type: str) -> tuple[str, ...]:
        """Record a relation change on the user side (called by relations)."""
        values: dict[str, Any] = {"ppn": ppn, "relType": rel_type}
        if ppn == 0 and rec.get("ppn"):
            values["ppnOld"] = rec["ppn"]
        changed = apply(rec, values)
        if changed:
            rec["timeStampRelation"] = rec["timeStamp"] = int(self.clock())
            changed += ("timeStampRelation", "timeStamp")
        self.table.update(rec, changed)
        return changed

    def delete(self, uid: int) -> Record:
        rec = self.get(uid)
        self.by_num.pop(rec.get("num", ""), None)
        return self.table.remove(uid)

    def page(self, start: int, count: int) -> list[Record]:
        return self.table.page(start, count)
