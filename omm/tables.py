"""In-memory record tables written through to SQLite, and the change notices they emit.

Records are dicts keyed by the SIP-DECT field names (uid, ppn, ipei, ...), typed
Python values; the AXI layer renders them. Paging follows axi.md §3.1: records
with key >= start, ascending.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sipdect.store import Store

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Change:
    """A record or setting changed; the AXI layer turns it into events."""

    kind: str  # "user" | "pp" | "rfp" | "site" | "account" | "setting" | ...
    key: Any
    fields: tuple[str, ...] | None = None  # None: the whole record (creation)
    deleted: bool = False
    before: Record | None = None  # the record before deletion


class Table:
    """Records by integer key, kept sorted for paging, persisted as JSON rows."""

    def __init__(self, store: Store, name: str, kind: str, key: str,
                 notify: Callable[[Change], None], first_key: int = 1) -> None:
        self.store = store
        self.name = name
        self.kind = kind
        self.key = key
        self.notify = notify
        self.first_key = first_key
        self.records: dict[int, Record] = {}
        self._keys: list[int] = []
        for k, rec in store.load_json(name):
            self.records[int(k)] = rec
        self._keys = sorted(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return (self.records[k] for k in self._keys)

    def get(self, key: int) -> Record | None:
        return self.records.get(key)

    def next_key(self) -> int:
        return (self._keys[-1] + 1) if self._keys else self.first_key

    def first(self) -> int:
        return self._keys[0] if self._keys else 0

    def page(self, start: int, count: int) -> list[Record]:
        i = bisect.bisect_left(self._keys, start)
        return [self.records[k] for k in self._keys[i:i + count]]

    def keys(self) -> list[int]:
        """The keys in order (not to be changed by the caller)."""
        return self._keys

    def at(self, offset: int, count: int) -> list[Record]:
        """`count` records from the `offset`-th in key order (a web page of a long list)."""
        return [self.records[k] for k in self._keys[max(0, offset):max(0, offset) + count]]

    def insert(self, rec: Record) -> Record:
        k = rec[self.key]
        self.store.put_json(self.name, k, rec)
        if k not in self.records:
            bisect.insort(self._keys, k)
        self.records[k] = rec
        self.notify(Change(self.kind, k))
        return rec

    def update(self, rec: Record, fields: tuple[str, ...]) -> Record:
        if not fields:
            return rec
        self.store.put_json(self.name, rec[self.key], rec)
        self.notify(Change(self.kind, rec[self.key], fields))
        return rec

    def remove(self, key: int) -> Record:
        rec = self.records.pop(key)
        self.store.delete(self.name, key)
        self._keys.pop(bisect.bisect_left(self._keys, key))
        self.notify(Change(self.kind, key, deleted=True, before=rec))
        return rec

    def clear(self) -> None:
        self.store.clear(self.name)
        self.records.clear()
        self._keys.clear()


def stamp(rec: Record, changed: tuple[str, ...], given: dict[str, Any], now: int,
          sync_only: frozenset[str]) -> tuple[str, ...]:
    """Bump a record's time stamps after `changed` (docs/mom.md, mom.md §2.5): `timeStamp` if
    anything changed, `timeStampAdmin` if an administrative field (not one of `sync_only`)
    did; a stamp the write itself gave stays as given. The names it bumped."""
    if not changed:
        return ()
    bumped = []
    if "timeStamp" not in given:
        rec["timeStamp"] = now
        bumped.append("timeStamp")
    if "timeStampAdmin" not in given and any(f not in sync_only for f in changed):
        rec["timeStampAdmin"] = now
        bumped.append("timeStampAdmin")
    return tuple(b for b in bumped if b not in changed)


def apply(rec: Record, values: dict[str, Any]) -> tuple[str, ...]:
    """Set values on rec; return the names that really changed."""
    changed = []
    for k, v in values.items():
        if rec.get(k) != v:
            rec[k] = v
            changed.append(k)
    return tuple(changed)
