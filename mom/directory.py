"""The MOM's central directory of users and devices (up to 50,000 each), apart from any wire.

Records are dicts with the AXI attribute names of PP_USER / PP_DEV (sipdect.axi.records; typed
values, as the OMM keeps them) plus the MOM's own fields:

- `home`: the name of the OMM connection where the record was created or first subscribed
  ("" until it has one); on its home OMM a record is `permanent`, elsewhere a visitor.
- `local`: {OMM name: that OMM's uid/ppn for this record}, learned by the sync engine.
- devices: `ommId`/`ommIdAck` (the OMM the device is at / the MOM confirmed), the UAK sealed.

Deletes leave a tombstone per natural key (a user's `num`, a device's `ipei`) with its stamp,
so that a resync deletes an OMM's older copy instead of taking it in again.

Method names are stable (MAXI and the sync engine call them):
  users: get_user, user_by_num, user_by_local, users_page, create_user, update_user,
         delete_user, user_secret, user_count
  devices: get_device, device_by_ipei, device_by_local, devices_page, create_device,
         update_device, delete_device, set_uak, uak, device_count
  relations: bind, unbind_user, unbind_device, device_of, user_of
  sync: take_user, take_device (values with their stamps as given), set_roaming, set_home,
        set_local, forget_local, held_at, set_agreed, agreed_with, tombstone, tombstones
  announcements: add_listener(callback(Change)), remove_listener
Each change is committed to SQLite before the method returns and then announced as a Change.
The sync bookkeeping (set_local, set_agreed: what the engine learned of an OMM, never
announced, never acknowledged to anyone) is committed in batches instead, by flush() after each
burst of the engine or every BOOKKEEPING_BATCH records: a session that pushes thousands of
records would otherwise commit each record three times. Lost at a kill -9, it is learned again
at the next resync, records matched by their natural keys.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from dect.identities import Ipei
from mom.aspects import DEVICE_ADMIN, USER_ADMIN, USER_SECRETS
from mom.conventions import BOOKKEEPING_BATCH, MAX_DEVICES, MAX_USERS
from mom.errors import Exists, Invalid, NoMemory, NotFound
from sipdect import clock
from sipdect.axi.records import PP_DEV, PP_USER, REL_TYPES
from sipdect.store import Store
from sipdect.vault import Vault

Record = dict[str, Any]

UAK_SEALED = "_uakSealed"
"""Where a device record keeps its UAK (32 hex digits, sealed); `uak` shows no secret."""

MIGRATION = """
    CREATE TABLE users (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE devices (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE tombstones (k TEXT PRIMARY KEY, v TEXT NOT NULL)
"""
"""The directory's part of the MOM's first schema (mom.model.MIGRATIONS)."""


@dataclass(frozen=True, slots=True)
class Change:
    """A record changed; MAXI turns it into events, the sync engine into pushes."""

    kind: str
    """"user", "pp", "omm", "ommState", "account"."""
    key: Any
    """uid, ppn, OMM name, account id."""
    fields: tuple[str, ...] | None = None
    """The attributes that changed; None: the whole record (creation)."""
    deleted: bool = False
    before: Record | None = None
    """The record before a deletion."""
    origin: str = ""
    """The OMM whose sync session reported the change ("": made at the MOM), so the engine
    does not push a change back to where it came from."""


def normalise_ipei(text: str) -> str:
    """The OMM's spaced IPEI form (axi.md §5.2), from the spaced or the printed form."""
    try:
        return Ipei.parse(text.strip()).omm_form()
    except ValueError as exc:
        raise Invalid(f"invalid IPEI '{text}': {exc}", "ipei") from None


class _Table:
    """Records by integer key, sorted for paging, written through to one store table."""

    def __init__(self, store: Store, name: str, key: str) -> None:
        self.store = store
        self.name = name
        self.key = key
        self.records: dict[int, Record] = {int(k): v for k, v in store.load_json(name)}
        self.keys: list[int] = sorted(self.records)
        self.later: set[int] = set()
        """Records whose bookkeeping changed (put_later), not yet written."""

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return (self.records[k] for k in self.keys)

    def next_key(self) -> int:
        return self.keys[-1] + 1 if self.keys else 1

    def page(self, start: int, count: int) -> list[Record]:
        i = bisect.bisect_left(self.keys, start)
        return [self.records[k] for k in self.keys[i:i + count]]

    def put(self, rec: Record) -> None:
        k = rec[self.key]
        self.store.put_json(self.name, k, rec)
        self.later.discard(k)
        if k not in self.records:
            bisect.insort(self.keys, k)
        self.records[k] = rec

    def put_later(self, rec: Record) -> None:
        """An existing record's bookkeeping changed: written by flush() (or its next put)."""
        self.later.add(rec[self.key])

    def flush(self) -> None:
        later, self.later = self.later, set()
        for k in later:
            rec = self.records.get(k)
            if rec is not None:
                self.store.put_json(self.name, k, rec)

    def remove(self, key: int) -> Record:
        self.later.discard(key)
        rec = self.records.pop(key)
        self.store.delete(self.name, key)
        self.keys.pop(bisect.bisect_left(self.keys, key))
        return rec


def _changed(rec: Record, values: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for k, v in values.items():
        if rec.get(k) != v:
            rec[k] = v
            out.append(k)
    return tuple(out)


class Directory:
    """Users, devices, their relations and tombstones; see the module docstring."""

    def __init__(self, store: Store, vault: Vault, clock: Callable[[], float] = clock.wall,
                 *, max_users: int = MAX_USERS, max_devices: int = MAX_DEVICES) -> None:
        self.store = store
        self.vault = vault
        self.clock = clock
        self.max_users = max_users
        self.max_devices = max_devices
        self.users = _Table(store, "users", "uid")
        self.devices = _Table(store, "devices", "ppn")
        self._tombstones: dict[str, Record] = dict(store.load_json("tombstones"))
        self._by_num = {r["num"]: r["uid"] for r in self.users if r.get("num")}
        self._by_ipei = {r["ipei"]: r["ppn"] for r in self.devices if r.get("ipei")}
        self._by_local: dict[tuple[str, str, int], int] = {}
        self._held: Counter[tuple[str, str]] = Counter()
        """(kind, OMM name) -> how many records that OMM holds (a local id known): kept as
        they change, since a sync session reports it after every burst of events."""
        for kind, table in (("user", self.users), ("pp", self.devices)):
            for rec in table:
                for omm, local in rec.get("local", {}).items():
                    self._by_local[(kind, omm, local)] = rec[table.key]
                    self._held[(kind, omm)] += 1
        self._listeners: list[Callable[[Change], None]] = []

    # -- announcements -----------------------------------------------------------------
    def add_listener(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Change], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _announce(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    def _now(self) -> int:
        return int(self.clock())

    # -- users ---------------------------------------------------------------------------
    def user_count(self) -> int:
        return len(self.users)

    def get_user(self, uid: int) -> Record:
        rec = self.users.records.get(uid)
        if rec is None:
            raise NotFound(f"no user with uid {uid}", "uid")
        return rec

    def user_by_num(self, num: str) -> Record:
        uid = self._by_num.get(num)
        if uid is None:
            raise NotFound(f"no user with number '{num}'", "num")
        return self.users.records[uid]

    def users_page(self, start: int, count: int) -> list[Record]:
        """Users with uid >= start, ascending (axi.md §3.1 paging)."""
        return self.users.page(start, count)

    def user_secret(self, rec: Record, name: str) -> str:
        """A secret (pin, sipPw, ...) in clear text, "" if the MOM does not hold it."""
        token = rec.get(name) or ""
        return self.vault.unseal_text(token, name.encode()) if token else ""

    def _seal(self, values: dict[str, Any]) -> dict[str, Any]:
        out = dict(values)
        for name in USER_SECRETS:
            if name in out:
                out[name] = self.vault.seal_text(out[name], name.encode()) if out[name] else ""
        return out

    def _check_number(self, num: str, uid: int | None) -> None:
        other = self._by_num.get(num)
        if num and other is not None and other != uid:
            raise Exists(f"number '{num}' is already used by uid {other}", "num")

    def create_user(self, values: dict[str, Any], *, home: str = "", uid: int | None = None,
                    origin: str = "") -> Record:
        """A new user from admin values (secrets in clear text, sealed here); stamped now."""
        if len(self.users) >= self.max_users:
            raise NoMemory(f"the MOM holds at most {self.max_users} users")
        values = {k: v for k, v in values.items() if k in USER_ADMIN or k in USER_SECRETS}
        num = values.get("num", "")
        self._check_number(num, None)
        if uid and uid in self.users.records:
            raise Exists(f"uid {uid} already exists", "uid")
        now = self._now()
        rec = PP_USER.defaults()
        rec.update(self._seal(values))
        rec.update(uid=uid or self.users.next_key(), timeStamp=now, timeStampAdmin=now,
                   timeStampRelation=now, home=home, local={})
        with self.store.transaction():
            self.users.put(rec)
            if num:
                self._bury("user", num)
        if num:
            self._by_num[num] = rec["uid"]
        self._announce(Change("user", rec["uid"], origin=origin))
        return rec

    def update_user(self, uid: int, values: dict[str, Any], *, origin: str = "") -> Record:
        """Change admin values (secrets in clear text); stamps the admin aspect if anything
        changed. Relations change only with bind/unbind."""
        rec = self.get_user(uid)
        values = {k: v for k, v in values.items() if k in USER_ADMIN or k in USER_SECRETS}
        if "num" in values:
            self._check_number(values["num"], uid)
        sealed = self._seal(values)
        for name in USER_SECRETS:  # re-sealing the same secret is no change
            if name in values and values[name] == self.user_secret(rec, name):
                sealed.pop(name)
        old_num = rec.get("num", "")
        changed = _changed(rec, sealed)
        if not changed:
            return rec
        rec["timeStamp"] = rec["timeStampAdmin"] = self._now()
        self._write_user(rec, old_num, changed + ("timeStamp", "timeStampAdmin"), origin)
        return rec

    def _write_user(self, rec: Record, old_num: str, changed: tuple[str, ...],
                    origin: str) -> None:
        with self.store.transaction():
            self.users.put(rec)
            if rec.get("num") and rec["num"] != old_num:
                self._bury("user", rec["num"])
        if rec.get("num") != old_num:
            self._by_num.pop(old_num, None)
            if rec.get("num"):
                self._by_num[rec["num"]] = rec["uid"]
        self._announce(Change("user", rec["uid"], changed, origin=origin))

    def delete_user(self, uid: int, *, origin: str = "") -> Record:
        """Delete a user (unbinding its device); a tombstone keeps its number and stamp."""
        rec = self.get_user(uid)
        with self.store.transaction():
            device = self.device_of(rec)
            if device is not None:
                self._set_relation(device, None, origin)
            self.users.remove(uid)
            if rec.get("num"):
                self._tombstone("user", rec["num"], rec)
        self._by_num.pop(rec.get("num", ""), None)
        self._drop_locals("user", rec)
        self._announce(Change("user", uid, deleted=True, before=rec, origin=origin))
        return rec

    # -- devices -------------------------------------------------------------------------
    def device_count(self) -> int:
        return len(self.devices)

    def get_device(self, ppn: int) -> Record:
        rec = self.devices.records.get(ppn)
        if rec is None:
            raise NotFound(f"no device with ppn {ppn}", "ppn")
        return rec

    def device_by_ipei(self, ipei: str) -> Record:
        ppn = self._by_ipei.get(normalise_ipei(ipei))
        if ppn is None:
            raise NotFound(f"no device with IPEI '{ipei}'", "ipei")
        return self.devices.records[ppn]

    def devices_page(self, start: int, count: int) -> list[Record]:
        """Devices with ppn >= start, ascending."""
        return self.devices.page(start, count)

    def _device_values(self, values: dict[str, Any], ppn: int | None) -> dict[str, Any]:
        out = {k: v for k, v in values.items() if k in DEVICE_ADMIN}
        if out.get("ipei"):
            out["ipei"] = normalise_ipei(out["ipei"])
            other = self._by_ipei.get(out["ipei"])
            if other is not None and other != ppn:
                raise Exists(f"IPEI {out['ipei']} is already used by ppn {other}", "ipei")
        if out.get("ac") and not str(out["ac"]).isdigit():
            raise Invalid(f"authentication code '{out['ac']}' must be decimal digits", "ac")
        return out

    def create_device(self, values: dict[str, Any], *, home: str = "", ppn: int | None = None,
                      origin: str = "") -> Record:
        """A new device from admin values (ipei, ac, encrypt, ...); stamped now."""
        if len(self.devices) >= self.max_devices:
            raise NoMemory(f"the MOM holds at most {self.max_devices} devices")
        values = self._device_values(values, None)
        if ppn and ppn in self.devices.records:
            raise Exists(f"ppn {ppn} already exists", "ppn")
        now = self._now()
        rec = PP_DEV.defaults()
        rec.update(values)
        rec.update(ppn=ppn or self.devices.next_key(), timeStamp=now, timeStampAdmin=now,
                   timeStampRelation=now, home=home, local={})
        with self.store.transaction():
            self.devices.put(rec)
            if rec.get("ipei"):
                self._bury("pp", rec["ipei"])
        if rec.get("ipei"):
            self._by_ipei[rec["ipei"]] = rec["ppn"]
        self._announce(Change("pp", rec["ppn"], origin=origin))
        return rec

    def update_device(self, ppn: int, values: dict[str, Any], *, origin: str = "") -> Record:
        """Change admin values; stamps the admin aspect if anything changed."""
        rec = self.get_device(ppn)
        values = self._device_values(values, ppn)
        old_ipei = rec.get("ipei", "")
        changed = _changed(rec, values)
        if not changed:
            return rec
        rec["timeStamp"] = rec["timeStampAdmin"] = self._now()
        self._write_device(rec, old_ipei, changed + ("timeStamp", "timeStampAdmin"), origin)
        return rec

    def _write_device(self, rec: Record, old_ipei: str, changed: tuple[str, ...],
                      origin: str) -> None:
        with self.store.transaction():
            self.devices.put(rec)
            if rec.get("ipei") and rec["ipei"] != old_ipei:
                self._bury("pp", rec["ipei"])
        if rec.get("ipei") != old_ipei:
            self._by_ipei.pop(old_ipei, None)
            if rec.get("ipei"):
                self._by_ipei[rec["ipei"]] = rec["ppn"]
        self._announce(Change("pp", rec["ppn"], changed, origin=origin))

    def delete_device(self, ppn: int, *, origin: str = "") -> Record:
        """Delete a device (unbinding its user); a tombstone keeps its IPEI and stamp."""
        rec = self.get_device(ppn)
        with self.store.transaction():
            user = self.user_of(rec)
            if user is not None:
                self._user_relation(user, 0, "Unbound", origin)
            self.devices.remove(ppn)
            if rec.get("ipei"):
                self._tombstone("pp", rec["ipei"], rec)
        self._by_ipei.pop(rec.get("ipei", ""), None)
        self._drop_locals("pp", rec)
        self._announce(Change("pp", ppn, deleted=True, before=rec, origin=origin))
        return rec

    def set_uak(self, ppn: int, uak: str, *, s: str = "Yes", stamp: int | None = None,
                origin: str = "") -> Record:
        """Keep a device's UAK (32 hex digits, as a sync session reads it) sealed, with its
        subscription state; stamps the subscription aspect."""
        rec = self.get_device(ppn)
        if uak and (len(uak) != 32 or any(c not in "0123456789abcdefABCDEF" for c in uak)):
            raise Invalid("a UAK is 32 hex digits", "uak")
        if uak.upper() == self.uak(rec) and rec.get("s") == s:
            return rec
        rec[UAK_SEALED] = self.vault.seal_text(uak.upper(), b"uak") if uak else ""
        now = self._now() if stamp is None else stamp
        changed = _changed(rec, {"uak": "", "s": s, "timeStampSubscription": now})
        rec["timeStamp"] = max(int(rec.get("timeStamp") or 0), now)
        self._write_device(rec, rec.get("ipei", ""), changed + ("uak", "timeStamp"), origin)
        return rec

    def uak(self, rec: Record) -> str:
        """The device's UAK as 32 upper-case hex digits, "" if none."""
        token = rec.get(UAK_SEALED) or ""
        return self.vault.unseal_text(token, b"uak") if token else ""

    # -- relations -----------------------------------------------------------------------
    def device_of(self, user: Record) -> Record | None:
        ppn = user.get("ppn") or 0
        device = self.devices.records.get(ppn)
        return device if device is not None and device.get("uid") == user["uid"] else None

    def user_of(self, device: Record) -> Record | None:
        uid = device.get("uid") or 0
        user = self.users.records.get(uid)
        return user if user is not None and user.get("ppn") == device["ppn"] else None

    def bind(self, uid: int, ppn: int, rel_type: str = "Fixed", *, origin: str = "",
             stamp: int | None = None) -> tuple[Record, Record]:
        """Bind a user to a device (Fixed or Dynamic), unbinding their former partners."""
        if rel_type not in ("Dynamic", "Fixed"):
            raise Invalid(f"relType '{rel_type}' cannot bind a user to a device", "relType")
        user, device = self.get_user(uid), self.get_device(ppn)
        with self.store.transaction():
            old_device = self.device_of(user)
            if old_device is not None and old_device is not device:
                self._set_relation(old_device, None, origin, stamp)
            old_user = self.user_of(device)
            if old_user is not None and old_user is not user:
                self._user_relation(old_user, 0, "Unbound", origin, stamp)
            self._set_relation(device, (user, rel_type), origin, stamp)
        return user, device

    def unbind_user(self, uid: int, *, origin: str = "") -> Record:
        user = self.get_user(uid)
        device = self.device_of(user)
        with self.store.transaction():
            if device is not None:
                self._set_relation(device, None, origin)
            else:
                self._user_relation(user, 0, "Unbound", origin)
        return user

    def unbind_device(self, ppn: int, *, origin: str = "", stamp: int | None = None) -> Record:
        device = self.get_device(ppn)
        self._set_relation(device, None, origin, stamp)
        return device

    def _set_relation(self, device: Record, to: tuple[Record, str] | None, origin: str,
                      stamp: int | None = None) -> None:
        user = self.user_of(device)
        with self.store.transaction():
            if to is None:
                if user is not None:
                    self._user_relation(user, 0, "Unbound", origin, stamp)
                values: dict[str, Any] = {"uid": 0, "relType": "Unbound"}
            else:
                new_user, rel = to
                self._user_relation(new_user, device["ppn"], rel, origin, stamp)
                values = {"uid": new_user["uid"], "relType": rel}
            changed = _changed(device, values)
            if changed:
                now = self._now() if stamp is None else stamp
                device["timeStampRelation"] = now
                device["timeStamp"] = max(int(device.get("timeStamp") or 0), now)
                self._write_device(device, device.get("ipei", ""),
                                   changed + ("timeStampRelation", "timeStamp"), origin)

    def _user_relation(self, user: Record, ppn: int, rel: str, origin: str,
                       stamp: int | None = None) -> None:
        values: dict[str, Any] = {"ppn": ppn, "relType": rel}
        if ppn == 0 and user.get("ppn"):
            values["ppnOld"] = user["ppn"]
        changed = _changed(user, values)
        if changed:
            now = self._now() if stamp is None else stamp
            user["timeStampRelation"] = now
            user["timeStamp"] = max(int(user.get("timeStamp") or 0), now)
            self._write_user(user, user.get("num", ""),
                             changed + ("timeStampRelation", "timeStamp"), origin)

    # -- what the sync engine writes -------------------------------------------------------
    def take_user(self, uid: int | None, values: dict[str, Any], *, home: str = "",
                  origin: str = "") -> Record:
        """Take in an OMM's admin values of a user with their stamps as given (`timeStamp`,
        `timeStampAdmin` in `values`): a new user if uid is None."""
        stamps: dict[str, Any] = {k: int(values[k]) for k in ("timeStamp", "timeStampAdmin")
                                  if k in values}
        if uid is None:
            rec = self.create_user(values, home=home, origin=origin)
        else:
            rec = self.update_user(uid, values, origin=origin)
        if stamps and any(rec.get(k) != v for k, v in stamps.items()):
            rec.update(stamps)
            self._write_user(rec, rec.get("num", ""), tuple(stamps), origin)
        return rec

    def take_device(self, ppn: int | None, values: dict[str, Any], *, home: str = "",
                    origin: str = "") -> Record:
        """Take in an OMM's admin and roaming values of a device with their stamps as given;
        a new device if ppn is None. UAK and relation go through set_uak and bind."""
        stamp_names = ("timeStamp", "timeStampAdmin", "timeStampRoaming")
        stamps: dict[str, Any] = {k: int(values[k]) for k in stamp_names if k in values}
        roaming: dict[str, Any] = {k: values[k] for k in ("ommId", "ommIdAck", "roaming")
                                   if k in values}
        if ppn is None:
            rec = self.create_device(values, home=home, origin=origin)
        else:
            rec = self.update_device(ppn, values, origin=origin)
        changed = _changed(rec, {**roaming, **stamps})
        if changed:
            self._write_device(rec, rec.get("ipei", ""), changed, origin)
        return rec

    def set_roaming(self, ppn: int, omm_id: str, omm_id_ack: str, *, roaming: str = "",
                    stamp: int | None = None, origin: str = "") -> Record:
        """Where the device is (`ommId`) and where the MOM confirmed it (`ommIdAck`)."""
        rec = self.get_device(ppn)
        values: dict[str, Any] = {"ommId": omm_id, "ommIdAck": omm_id_ack}
        if roaming:
            values["roaming"] = roaming
        changed = _changed(rec, values)
        if changed:
            now = self._now() if stamp is None else stamp
            rec["timeStampRoaming"] = now
            rec["timeStamp"] = max(int(rec.get("timeStamp") or 0), now)
            self._write_device(rec, rec.get("ipei", ""),
                               changed + ("timeStampRoaming", "timeStamp"), origin)
        return rec

    def set_home(self, kind: str, key: int, home: str) -> None:
        """The record's home OMM (the MOM's own field: no stamp, no announcement)."""
        table = self.users if kind == "user" else self.devices
        rec = table.records[key]
        if rec.get("home") != home:
            rec["home"] = home
            table.put(rec)

    def set_local(self, kind: str, key: int, omm: str, local: int) -> None:
        """The OMM `omm` knows record `key` as `local` (its uid or ppn)."""
        table = self.users if kind == "user" else self.devices
        rec = table.records[key]
        old = rec.setdefault("local", {}).get(omm)
        if old == local:
            return
        if old is not None:
            self._by_local.pop((kind, omm, old), None)
        other = self._by_local.get((kind, omm, local))
        if other is not None and other != key:  # that local id was reused at the OMM
            stale = table.records.get(other)
            if stale is not None and stale["local"].pop(omm, None) is not None:
                self._held[(kind, omm)] -= 1
                self._put_later(table, stale)
        rec["local"][omm] = local
        self._put_later(table, rec)
        self._by_local[(kind, omm, local)] = key
        if old is None:
            self._held[(kind, omm)] += 1

    def forget_local(self, kind: str, key: int, omm: str) -> None:
        """The OMM `omm` no longer holds record `key`."""
        table = self.users if kind == "user" else self.devices
        rec = table.records.get(key)
        if rec is None or omm not in rec.get("local", {}):
            return
        self._by_local.pop((kind, omm, rec["local"].pop(omm)), None)
        self._held[(kind, omm)] -= 1
        rec.get("agreed", {}).pop(omm, None)
        table.put(rec)

    def set_agreed(self, kind: str, key: int, omm: str, fingerprints: dict[str, str]) -> None:
        """What the MOM and the OMM `omm` last agreed on for this record, per aspect
        (mom.reconcile.agreed); no stamp, no announcement."""
        table = self.users if kind == "user" else self.devices
        rec = table.records.get(key)
        if rec is None or rec.setdefault("agreed", {}).get(omm) == fingerprints:
            return
        rec["agreed"][omm] = fingerprints
        self._put_later(table, rec)

    def _put_later(self, table: _Table, rec: Record) -> None:
        table.put_later(rec)
        if len(self.users.later) + len(self.devices.later) >= BOOKKEEPING_BATCH:
            self.flush()

    def flush(self) -> None:
        """Commit the sync bookkeeping held back (local ids, agreed fingerprints), in one
        transaction: the sync engine calls it after each burst, close() before it closes."""
        if self.users.later or self.devices.later:
            with self.store.transaction():
                self.users.flush()
                self.devices.flush()

    @staticmethod
    def agreed_with(rec: Record, omm: str) -> dict[str, str] | None:
        found: dict[str, str] | None = rec.get("agreed", {}).get(omm)
        return found

    def user_by_local(self, omm: str, uid: int) -> Record | None:
        key = self._by_local.get(("user", omm, uid))
        return None if key is None else self.users.records.get(key)

    def device_by_local(self, omm: str, ppn: int) -> Record | None:
        key = self._by_local.get(("pp", omm, ppn))
        return None if key is None else self.devices.records.get(key)

    def _drop_locals(self, kind: str, rec: Record) -> None:
        for omm, local in rec.get("local", {}).items():
            self._by_local.pop((kind, omm, local), None)
            self._held[(kind, omm)] -= 1

    def held_at(self, kind: str, omm: str) -> int:
        """How many users (kind "user") or devices ("pp") the OMM `omm` holds as far as the
        MOM knows (their local ids there)."""
        return self._held[(kind, omm)]

    # -- tombstones ------------------------------------------------------------------------
    def _tombstone(self, kind: str, natural: str, rec: Record) -> None:
        stone = {"kind": kind, "key": natural, "stamp": self._now(),
                 "local": dict(rec.get("local", {}))}
        self._tombstones[f"{kind}:{natural}"] = stone
        self.store.put_json("tombstones", f"{kind}:{natural}", stone)

    def _bury(self, kind: str, natural: str) -> None:
        """A record of that key lives again: its tombstone goes."""
        if self._tombstones.pop(f"{kind}:{natural}", None) is not None:
            self.store.delete("tombstones", f"{kind}:{natural}")

    def tombstone(self, kind: str, natural: str) -> Record | None:
        """The deletion of the user (kind "user", its num) or device ("pp", its IPEI)."""
        if kind == "pp" and natural:
            natural = normalise_ipei(natural)
        return self._tombstones.get(f"{kind}:{natural}")

    def tombstones(self) -> Iterable[Record]:
        return list(self._tombstones.values())


def check_rel_type(rel: str) -> str:
    if rel not in REL_TYPES:
        raise Invalid(f"relType '{rel}' is not one of {'/'.join(REL_TYPES)}", "relType")
    return rel
