"""One sync session of the MOM with one OMM (docs/mom.md; the contract values are in
sipdect.axi.sync): an AXI client over TLS 1.2+ logged in as `UserDeviceSyncClient`.

On every (re)connect: central mode on (SetUserDeviceSyncOMM), the OMM's id from its PARK,
subscribe PPCnf and Roaming, page GetPPUser/GetPPDev, reconcile every record by the rules of
mom.reconcile (sans-I/O), then follow: EventPPCnf from the OMM, changes of the MOM's directory
(marked by the service), EventDECTLocate/EventDECTSubscribe (roaming). A lost session is
re-opened after SYNC_RETRY_FIRST_S, doubling up to SYNC_RETRY_MAX_S (Backoff, sans-I/O).

The session talks to the OMM in its local uids/ppns; the MOM's records remember them per OMM
(mom.directory `local`). A record is matched by its local id first, then by its natural key
(a user's num, a device's IPEI), so nothing is duplicated.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

from dect.identities import Park
from mom.aspects import (
    DEVICE_ADMIN,
    DEVICE_ASPECTS,
    DEVICE_RELATION,
    DEVICE_ROAMING,
    STAMPS,
    USER_ADMIN,
    USER_ASPECTS,
    USER_SECRETS,
)
from mom.conventions import MOM_OWNED_DEVICE_ASPECTS, PAGE_SIZE, PIPELINE_DEPTH
from mom.directory import Change, Record
from mom.errors import ModelError
from mom.model import MomModel
from mom.reconcile import Merge, Verdict, agreed, merge, verdict
from sipdect.axi import sync
from sipdect.axi.client import AxiClient, AxiResponseError
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError
from sipdect.axi.records import PP_DEV, PP_USER
from sipdect.vault import AxiPublicKey, VaultError

log = logging.getLogger("mom.sync")

_CLOSED = object()
STOP_RECANCEL_S = 1.0
"""Seconds between two cancellations of a session that is being stopped."""
"""Put on a session's inbox when its connection ended."""


class Backoff:
    """When to try again after a failed or lost session: first after `first` seconds,
    doubling up to `maximum`; a session that logged in starts the schedule afresh."""

    def __init__(self, first: float = sync.SYNC_RETRY_FIRST_S,
                 maximum: float = sync.SYNC_RETRY_MAX_S) -> None:
        self.first = first
        self.maximum = maximum
        self._next = first

    def failed(self) -> float:
        """The wait before the next attempt."""
        wait, self._next = self._next, min(self._next * 2, self.maximum)
        return wait

    def reset(self) -> None:
        self._next = self.first


@dataclass(frozen=True)
class RoamingEvent:
    """A roaming step the MOM saw or made (MAXI forwards these to its Roaming subscribers)."""

    kind: str
    """"locate" / "subscribe" (an OMM asked: EventDECTLocate / EventDECTSubscribe), "moved"
    (the MOM committed the device to that OMM), "rejected" (the MOM does not know it)."""
    omm: str
    """The name of the asking OMM."""
    omm_id: str
    ipei: str
    ppn: int = 0
    """The MOM's ppn (0: unknown device)."""
    uid: int = 0
    """The MOM's uid of the bound user (0: none)."""
    attrs: dict[str, str] = field(default_factory=dict)
    """The event as the OMM sent it."""


Connect = Callable[[], Awaitable[AxiClient]]


class SyncSessionError(Exception):
    """The OMM is not reachable over its sync session now."""


class OmmSync:
    """The sync engine for one defined OMM; `start()` keeps a session open until `stop()`."""

    def __init__(self, model: MomModel, name: str, connect: Connect, *, mom_address: str,
                 on_roaming: Callable[[RoamingEvent], None] | None = None) -> None:
        self.model = model
        self.d = model.directory
        self.name = name
        self._connect = connect
        self.mom_address = mom_address
        self.on_roaming = on_roaming or (lambda event: None)
        self.client: AxiClient | None = None
        self.omm_id = model.omms.get(name).get("ommId", "")
        self.key: AxiPublicKey | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._inbox: asyncio.Queue[Any] = asyncio.Queue()
        self._marked: set[tuple[str, int]] = set()
        self._synced = False
        self.backoff = Backoff()

    # -- life ------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(),
                                                                name=f"mom-sync-{self.name}")

    async def stop(self) -> None:
        """End the session (the OMM keeps its central mode: the MOM comes back). Cancelled
        again each STOP_RECANCEL_S until it ended: Python 3.11's wait_for can lose a
        cancellation that meets an answer, and a MOM kill then waited for ever."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=STOP_RECANCEL_S)
        if self.client is not None:
            await self.client.close()
            self.client = None

    @property
    def synced(self) -> bool:
        """Logged in, reconciled and following the OMM's events."""
        return self._synced

    async def _run(self) -> None:
        while not self._stopping:
            info = "connection closed"
            try:
                self.model.omms.set_state(self.name, "connecting")
                client = await self._connect()
                try:
                    await self._session(client)
                finally:
                    self._synced = False
                    self.client = None
                    await client.close()
            except (OSError, ConnectionError, ssl.SSLError, TimeoutError,
                    AxiResponseError, SyncSessionError) as exc:
                info = str(exc) or type(exc).__name__
            except Exception as exc:  # a bug: logged with its traceback; the MOM goes on
                log.exception("MOM sync with %s failed", self.name)
                info = f"internal error: {exc!r}"
            self._synced = False
            self.model.omms.set_state(self.name, "lost", info)
            log.info("MOM sync with %s lost: %s", self.name, info)
            await asyncio.sleep(self.backoff.failed())

    async def _session(self, client: AxiClient) -> None:
        rec = self.model.omms.get(self.name)
        opened = await client.login(rec["username"], self.model.omms.password(rec),
                                    sync_client=True)
        key = opened.child("publicKey")
        if key is not None:
            try:
                self.key = AxiPublicKey(key.attrs.get("modulus", ""),
                                        key.attrs.get("exponent", ""))
            except VaultError:
                self.key = None
        self.backoff.reset()
        self.client = client
        await client.request("SetUserDeviceSyncOMM",
                             {"enable": "1", "omm1DomainName": self.mom_address,
                              "omm2DomainName": "", "user": "", "password": ""}, check=False)
        park = (await client.request("GetPARK", check=False)).attrs.get("park", "")
        try:
            self.omm_id = sync.omm_id(Park.parse(park))
            self.model.omms.set_omm_id(self.name, self.omm_id)
        except ValueError:
            pass  # an OMM without a PARK: its own records only, no roaming
        await client.subscribe("PPCnf")
        await client.request("Subscribe", children=[
            Message("e", {"cmd": "On", "eventType": "Roaming"})], check=False)
        self.model.omms.set_state(self.name, "synchronising")
        pump = asyncio.get_running_loop().create_task(self._pump(client))
        try:
            self._marked.clear()
            await self._resync()
            self.d.flush()
            self._synced = True
            self._synced_state()
            await self._follow(client)
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)

    async def _pump(self, client: AxiClient) -> None:
        """The session's events onto the inbox, then _CLOSED once its connection ended."""
        pump = asyncio.current_task()
        assert pump is not None
        ended = asyncio.ensure_future(client.closed.wait())
        ended.add_done_callback(lambda _: pump.cancel())
        try:
            while True:
                self._inbox.put_nowait(await client.events.get())
        except asyncio.CancelledError:
            if not ended.done() or ended.cancelled():
                raise  # the session ends it
        finally:
            ended.cancel()
            self._inbox.put_nowait(_CLOSED)

    async def _follow(self, client: AxiClient) -> None:
        while True:
            try:
                # Not wait_for: in Python 3.11 it loses the session's cancellation (stop())
                # when an item arrives at the same moment, and stop() then waits for ever.
                async with asyncio.timeout(sync.SYNC_PING_S):
                    first = await self._inbox.get()
            except TimeoutError:
                await client.request("Ping", check=False)
                continue
            batch = [first]
            while not self._inbox.empty():
                batch.append(self._inbox.get_nowait())
            for item in _latest_only(batch):
                if item is _CLOSED:
                    return
                if isinstance(item, Message):
                    try:
                        await self._on_event(item)
                    except (AxiError, ModelError) as exc:  # a record the MOM cannot take
                        log.warning("MOM sync with %s: %s ignored: %s", self.name, item.name,
                                    exc)
                elif isinstance(item, tuple):
                    self._marked.discard(item[:2])
                    await self._on_mark(*item)
            self.d.flush()
            if self._inbox.empty():
                self._synced_state()

    def _synced_state(self) -> None:
        self.model.omms.set_state(self.name, "synced", users=self.d.held_at("user", self.name),
                                  devices=self.d.held_at("pp", self.name))

    # -- marks from the MOM's directory ---------------------------------------------------------
    def mark(self, change: Change) -> None:
        """A change of the MOM's directory: bring this OMM up to date with it (after the
        resync under way, if any; a session that is down resyncs everything anyway)."""
        if self.client is None or change.origin == self.name:
            return
        if change.deleted:
            self._inbox.put_nowait((change.kind, int(change.key), change.before))
            return
        item = (change.kind, int(change.key))
        if item not in self._marked:
            self._marked.add(item)
            self._inbox.put_nowait((*item, None))

    async def _on_mark(self, kind: str, key: int, before: Record | None) -> None:
        if before is not None:  # deleted at the MOM
            local = before.get("local", {}).get(self.name)
            if local is not None:
                name, attr = ("DeletePPUser", "uid") if kind == "user" else ("DeletePPDev", "ppn")
                await self._request(name, {attr: str(local)}, check=False)
            return
        if kind == "user":
            rec = self.d.users.records.get(key)
            if rec is not None:
                await self._user(rec, await self._fetch_user(rec))
        else:
            rec = self.d.devices.records.get(key)
            if rec is not None:
                user = self.d.user_of(rec)
                if user is not None:
                    await self._user(user, await self._fetch_user(user))
                await self._device(rec, await self._fetch_device(rec))

    async def _fetch_user(self, rec: Record) -> dict[str, Any] | None:
        local = rec.get("local", {}).get(self.name)
        resp = None
        if local is not None:
            resp = await self._request("GetPPUser", {"uid": str(local), "maxRecords": "0"},
                                       check=False)
        if (resp is None or "errCode" in resp.attrs) and rec.get("num"):
            resp = await self._request("GetPPUserByNumber", {"num": rec["num"]}, check=False)
        child = resp.child("user") if resp is not None and "errCode" not in resp.attrs else None
        return self._omm_user(child) if child is not None else None

    async def _fetch_device(self, rec: Record) -> dict[str, Any] | None:
        local = rec.get("local", {}).get(self.name)
        resp = None
        if local is not None:
            resp = await self._request("GetPPDev", {"ppn": str(local), "maxRecords": "0"},
                                       check=False)
        if (resp is None or "errCode" in resp.attrs) and rec.get("ipei"):
            resp = await self._request("GetPPDevByIPEI", {"ipei": rec["ipei"]}, check=False)
        child = resp.child("pp") if resp is not None and "errCode" not in resp.attrs else None
        return self._omm_device(child) if child is not None else None

    # -- events from the OMM ------------------------------------------------------------------
    async def _on_event(self, event: Message) -> None:
        if event.name == "EventPPCnf":
            user, pp = event.child("user"), event.child("pp")
            if event.attrs.get("deletedUser") == "1" and user is not None:
                self._deleted_at_omm("user", _int(user.attrs.get("uid")))
            elif user is not None:
                values = self._omm_user(user)
                if not self._user_settled(values, user):
                    # The record as the OMM holds it now, not as the event shows it: an
                    # event may echo a step of the MOM's own push that the OMM has passed.
                    now = await self._local_record("GetPPUser", "uid", user.attrs.get("uid"))
                    if now is not None:
                        values = self._omm_user(now)
                        await self._user(self._match_user(values), values)
            if event.attrs.get("deletedDev") == "1" and pp is not None:
                self._deleted_at_omm("pp", _int(pp.attrs.get("ppn")))
            elif pp is not None:
                values = self._omm_device(pp)
                if not self._device_settled(values):
                    now = await self._local_record("GetPPDev", "ppn", pp.attrs.get("ppn"))
                    if now is not None:
                        values = self._omm_device(now)
                        await self._device(self._match_device(values), values)
        elif event.name in ("EventDECTLocate", "EventDECTSubscribe"):
            await self._roaming_request(event)

    # An event carries the whole record: when it shows what the MOM holds and last agreed with
    # this OMM (the echo of the MOM's own push, the usual case), there is nothing to do and
    # nothing to read back. Anything else is read back and reconciled as it is now.
    def _user_settled(self, values: dict[str, Any], shown: Message) -> bool:
        rec = self._match_user(values)
        if rec is None or rec.get("local", {}).get(self.name) != _int(values.get("uid")) \
                or not self._user_belongs(rec) or self._permanent_differs(rec, values):
            return False
        # The event shows secrets only in the OMM's own form: one the MOM lacks is read.
        if any(shown.attrs.get(n) and not self.d.user_secret(rec, n) for n in USER_SECRETS):
            return False
        base = self.d.agreed_with(rec, self.name)
        if not merge(rec, values, USER_ASPECTS, base).nothing:
            return False
        self.d.set_agreed("user", rec["uid"], self.name, agreed(rec, USER_ASPECTS))
        return True

    def _device_settled(self, values: dict[str, Any]) -> bool:
        rec = self._match_device(values)
        if rec is None or rec.get("local", {}).get(self.name) != _int(values.get("ppn")) \
                or not self._device_belongs(rec):
            return False
        view = self._mom_device(rec)
        if not merge(view, values, DEVICE_ASPECTS, self.d.agreed_with(rec, self.name),
                     mom_owned=MOM_OWNED_DEVICE_ASPECTS).nothing:
            return False
        self.d.set_agreed("pp", rec["ppn"], self.name, agreed(view, DEVICE_ASPECTS))
        return True

    async def _local_record(self, request: str, key: str, local: str | None) -> Message | None:
        resp = await self._request(request, {key: str(_int(local)), "maxRecords": "0"},
                                   check=False)
        return None if "errCode" in resp.attrs or not resp.children else resp.children[0]

    def _deleted_at_omm(self, kind: str, local: int) -> None:
        rec = (self.d.user_by_local(self.name, local) if kind == "user"
               else self.d.device_by_local(self.name, local))
        if rec is None:
            return  # the MOM asked for it (its local id was forgotten first) or never knew it
        key = rec["uid"] if kind == "user" else rec["ppn"]
        if rec.get("home") == self.name:  # deleted at its home: deleted everywhere
            (self.d.delete_user if kind == "user" else self.d.delete_device)(key,
                                                                           origin=self.name)
        else:  # a visitor copy: the MOM manages those; it goes back if it belongs here
            self.d.forget_local(kind, key, self.name)
            self.mark(Change(kind, key))

    async def _roaming_request(self, event: Message) -> None:
        a = event.attrs
        ipei, subscribe = a.get("ipei", ""), event.name == "EventDECTSubscribe"
        omm_id = a.get("ommId") or self.omm_id
        try:
            device: Record | None = self.d.device_by_ipei(ipei)
        except ModelError:
            device = None
        kind = "subscribe" if subscribe else "locate"
        user = self.d.user_of(device) if device is not None else None
        self.on_roaming(RoamingEvent(kind, self.name, omm_id, ipei,
                                     device["ppn"] if device else 0,
                                     user["uid"] if user else 0, dict(a)))
        if device is None or device.get("subscribeToPARIOnly"):
            reject = "DECTSubscribeReject" if subscribe else "DECTLocateReject"
            await self._request(reject, {"ipei": ipei, "reason": "unknown device"
                                         if device is None else "subscribed to its PARI only"},
                                check=False)
            self.on_roaming(RoamingEvent("rejected", self.name, omm_id, ipei, attrs=dict(a)))
            return
        if subscribe:  # a new subscription makes a new UAK there: the old one is void
            self.d.set_uak(device["ppn"], "", s="No")
        self.d.set_roaming(device["ppn"], omm_id, omm_id, roaming=sync.ROAMING_COMPLETE)
        self.on_roaming(RoamingEvent("moved", self.name, omm_id, ipei, device["ppn"],
                                     user["uid"] if user else 0, dict(a)))

    # -- one record ------------------------------------------------------------------
    def _omm_user(self, msg: Message) -> dict[str, Any]:
        """An OMM's user record; its secrets in clear text under SECRETS_KEY when the OMM
        gave them in the sync form (docs/mom.md "Secrets"), else left out."""
        values = PP_USER.parse(msg, allow_readonly=True)
        secrets = {}
        for name in USER_SECRETS:
            clear = sync.secret_from_wire(name, str(msg.attrs.get(name, "")))
            values.pop(name, None)
            if clear is not None:
                secrets[name] = clear
        values[SECRETS_KEY] = secrets
        return values

    def _secrets_to_take(self, mom: Record | None, omm: dict[str, Any],
                         admin_taken: bool) -> dict[str, str]:
        """The OMM's secrets the MOM takes: all of them with the OMM's newer admin values,
        else those the MOM does not hold at all (a user first created at the OMM)."""
        given: dict[str, str] = omm.get(SECRETS_KEY, {})
        if mom is None or admin_taken:
            return dict(given)
        return {k: v for k, v in given.items() if v and not self.d.user_secret(mom, k)}

    def _omm_device(self, msg: Message) -> dict[str, Any]:
        values = PP_DEV.parse(msg, allow_readonly=True)
        user = self.d.user_by_local(self.name, int(values.get("uid") or 0))
        values["uid"] = user.get("num", "") if user is not None and values.get("uid") else ""
        return values

    def _match_user(self, omm: dict[str, Any]) -> Record | None:
        rec = self.d.user_by_local(self.name, int(omm.get("uid") or 0))
        if rec is None and omm.get("num"):
            try:
                rec = self.d.user_by_num(omm["num"])
            except ModelError:
                rec = None
        return rec

    def _match_device(self, omm: dict[str, Any]) -> Record | None:
        rec = self.d.device_by_local(self.name, int(omm.get("ppn") or 0))
        if rec is None and omm.get("ipei"):
            try:
                rec = self.d.device_by_ipei(omm["ipei"])
            except ModelError:
                rec = None
        return rec

    def _user_belongs(self, rec: Record) -> bool:
        if rec.get("home") == self.name:
            return True
        device = self.d.device_of(rec)
        return device is not None and self._device_belongs(device)

    def _device_belongs(self, rec: Record) -> bool:
        return rec.get("home") == self.name or bool(
            self.omm_id and rec.get("ommIdAck") == self.omm_id)

    def _verdict(self, kind: str, mom: Record | None, omm: dict[str, Any] | None,
                 natural: str) -> Verdict:
        stone = self.d.tombstone(kind, omm.get(natural, "")) if (
            mom is None and omm is not None and omm.get(natural)) else None
        if mom is None:
            return verdict(None, stone["stamp"] if stone else None, omm, belongs=False,
                           held_before=False, home_here=False)
        belongs = self._user_belongs(mom) if kind == "user" else self._device_belongs(mom)
        return verdict(mom, None, omm, belongs=belongs,
                       held_before=self.name in mom.get("local", {}),
                       home_here=mom.get("home") == self.name)

    async def _user(self, mom: Record | None, omm: dict[str, Any] | None) -> None:
        v = self._verdict("user", mom, omm, "num")
        if v is Verdict.NOTHING:
            return
        if v is Verdict.TAKE_NEW:
            assert omm is not None
            values = _admin(omm, USER_ADMIN, ("timeStamp", "timeStampAdmin"))
            values.update(self._secrets_to_take(None, omm, True))
            rec = self.d.take_user(None, values, home=self.name, origin=self.name)
            self.d.set_local("user", rec["uid"], self.name, int(omm["uid"]))
            self.d.set_agreed("user", rec["uid"], self.name, agreed(rec, USER_ASPECTS))
            return
        if v is Verdict.DELETE_AT_OMM:
            assert omm is not None
            await self._request("DeletePPUser", {"uid": str(omm["uid"])}, check=False)
            return
        assert mom is not None
        if v is Verdict.DELETE_AT_MOM:
            self.d.delete_user(mom["uid"], origin=self.name)
            return
        if v is Verdict.PUSH_NEW:
            attrs = self._user_attrs(mom, (*USER_ADMIN, "timeStamp", "timeStampAdmin",
                                           "timeStampRelation"), secrets=True)
            resp = await self._request("CreatePPUser", children=[Message("user", attrs)],
                                       check=False)
            child = resp.child("user")
            if "errCode" not in resp.attrs and child is not None:
                self.d.set_local("user", mom["uid"], self.name, _int(child.attrs.get("uid")))
                self.d.set_agreed("user", mom["uid"], self.name, agreed(mom, USER_ASPECTS))
            elif resp.attrs.get("errCode") == "EExist":  # it got there meanwhile: match it
                again = await self._fetch_user(mom)
                if again is not None:
                    await self._user(mom, again)
            return
        assert omm is not None
        self.d.set_local("user", mom["uid"], self.name, int(omm["uid"]))
        m = merge(mom, omm, USER_ASPECTS, self.d.agreed_with(mom, self.name))
        take = {**m.take, **self._secrets_to_take(mom, omm, "timeStampAdmin" in m.take)}
        if take:
            self.d.take_user(mom["uid"], take, origin=self.name)
        self.d.set_agreed("user", mom["uid"], self.name, agreed(mom, USER_ASPECTS))
        if v is Verdict.MERGE_AND_DROP:
            self.d.forget_local("user", mom["uid"], self.name)
            await self._request("DeletePPUser", {"uid": str(omm["uid"])}, check=False)
        elif m.push or self._permanent_differs(mom, omm):
            names = tuple(m.push) or ("permanent",)
            attrs = {"uid": str(omm["uid"]),
                     **self._user_attrs(mom, names, secrets="timeStampAdmin" in m.push)}
            await self._request("SetPPUser", children=[Message("user", attrs)], check=False)

    def _permanent_differs(self, mom: Record, omm: dict[str, Any]) -> bool:
        return "permanent" in omm and bool(omm["permanent"]) != (mom.get("home") == self.name)

    def _user_attrs(self, rec: Record, names: tuple[str, ...], *,
                    secrets: bool) -> dict[str, str]:
        attrs = {n: PP_USER.wire(PP_USER.by_name[n], rec.get(n)) for n in names
                 if n in PP_USER.by_name and n not in USER_SECRETS and n != "uid"}
        attrs["permanent"] = "1" if rec.get("home") == self.name else "0"
        if secrets and self.key is not None:
            for name in USER_SECRETS:
                plain = self.d.user_secret(rec, name)
                if plain:
                    attrs[name] = self.key.encrypt_field(plain)
        return attrs

    def _mom_device(self, rec: Record) -> dict[str, Any]:
        user = self.d.user_of(rec)
        return {**rec, "uid": user.get("num", "") if user is not None else "",
                "uak": self.d.uak(rec)}

    async def _device(self, mom: Record | None, omm: dict[str, Any] | None) -> None:
        v = self._verdict("pp", mom, omm, "ipei")
        if v is Verdict.NOTHING:
            return
        if v is Verdict.TAKE_NEW:
            assert omm is not None
            await self._take_new_device(omm)
            return
        if v is Verdict.DELETE_AT_OMM:
            assert omm is not None
            await self._request("DeletePPDev", {"ppn": str(omm["ppn"])}, check=False)
            return
        assert mom is not None
        if v is Verdict.DELETE_AT_MOM:
            self.d.delete_device(mom["ppn"], origin=self.name)
            return
        view = self._mom_device(mom)
        if v is Verdict.PUSH_NEW:
            names = (*DEVICE_ADMIN, *DEVICE_ROAMING, "timeStamp", "timeStampAdmin",
                     "timeStampRoaming", "timeStampSubscription")
            if view["uak"]:
                names += ("uak", "s")
            resp = await self._request("CreatePPDev", children=[
                Message("pp", self._device_attrs(view, names))], check=False)
            child = resp.child("pp")
            if "errCode" in resp.attrs or child is None:
                if resp.attrs.get("errCode") == "EExist":
                    again = await self._fetch_device(mom)
                    if again is not None:
                        await self._device(mom, again)
                return
            local = _int(child.attrs.get("ppn"))
            self.d.set_local("pp", mom["ppn"], self.name, local)
            self.d.set_agreed("pp", mom["ppn"], self.name, agreed(view, DEVICE_ASPECTS))
            if view["uid"]:
                await self._push_relation(mom, local)
            return
        assert omm is not None
        self.d.set_local("pp", mom["ppn"], self.name, int(omm["ppn"]))
        m = merge(view, omm, DEVICE_ASPECTS, self.d.agreed_with(mom, self.name),
                  mom_owned=MOM_OWNED_DEVICE_ASPECTS)
        if v is Verdict.MERGE_AND_DROP:
            # A copy the device has left (or is leaving) tells nothing of whom it belongs to:
            # its relation changes are the echoes of the MOM's own deletes there (the user
            # deleted first unbinds the device), and taken they would unbind it everywhere.
            for name in (*DEVICE_RELATION, STAMPS["relation"]):
                m.take.pop(name, None)
        self._take_device(mom, m)
        self.d.set_agreed("pp", mom["ppn"], self.name,
                          agreed(self._mom_device(mom), DEVICE_ASPECTS))
        if v is Verdict.MERGE_AND_DROP:
            self.d.forget_local("pp", mom["ppn"], self.name)
            await self._request("DeletePPDev", {"ppn": str(omm["ppn"])}, check=False)
            return
        push = {k: v for k, v in m.push.items() if k not in ("uid", "relType")
                and not (k == "uak" and not v)}  # an empty UAK is never pushed
        if set(push) - {"timeStamp", "timeStampRelation"}:
            attrs = {"ppn": str(omm["ppn"]), **self._device_attrs(view, tuple(push))}
            await self._request("SetPPDev", children=[Message("pp", attrs)], check=False)
        if "uid" in m.push:
            await self._push_relation(mom, int(omm["ppn"]))

    def _device_attrs(self, view: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
        return {n: PP_DEV.wire(PP_DEV.by_name[n], view.get(n)) for n in names
                if n in PP_DEV.by_name and n not in ("uid", "relType", "ppn")}

    async def _push_relation(self, mom: Record, local_ppn: int) -> None:
        user = self.d.user_of(mom)
        local_uid = user.get("local", {}).get(self.name) if user is not None else None
        if user is not None and local_uid is None:
            await self._user(user, await self._fetch_user(user))
            local_uid = user.get("local", {}).get(self.name)
        if user is not None and local_uid is not None:
            pp = {"ppn": str(local_ppn), "uid": str(local_uid), "relType": mom["relType"]}
        else:
            pp = {"ppn": str(local_ppn), "uid": "0", "relType": "Unbound"}
        await self._request("SetPP", children=[Message("pp", pp)], check=False)

    async def _take_new_device(self, omm: dict[str, Any]) -> None:
        values = _admin(omm, DEVICE_ADMIN, ("timeStamp", "timeStampAdmin", "timeStampRoaming"))
        values.update(ommId=omm.get("ommId") or self.omm_id,
                      ommIdAck=omm.get("ommIdAck") or self.omm_id,
                      roaming=omm.get("roaming") or sync.ROAMING_COMPLETE)
        rec = self.d.take_device(None, values, home=self.name, origin=self.name)
        self.d.set_local("pp", rec["ppn"], self.name, int(omm["ppn"]))
        self._take_device(rec, Merge(take={
            k: omm[k] for k in ("uak", "s", "timeStampSubscription", "uid", "relType",
                                "timeStampRelation") if k in omm}))
        self.d.set_agreed("pp", rec["ppn"], self.name,
                          agreed(self._mom_device(rec), DEVICE_ASPECTS))

    def _take_device(self, rec: Record, m: Merge) -> None:
        t = m.take
        ppn = rec["ppn"]
        admin = {k: t[k] for k in (*DEVICE_ADMIN, *DEVICE_ROAMING, "timeStampAdmin",
                                   "timeStampRoaming") if k in t}
        if admin:
            self.d.take_device(ppn, admin, origin=self.name)
        if "s" in t or "uak" in t:
            uak = str(t.get("uak") or "")
            if len(uak) != 32:
                uak = ""
            self.d.set_uak(ppn, uak, s=str(t.get("s", rec.get("s", "No"))),
                           stamp=int(t.get("timeStampSubscription") or 0) or None,
                           origin=self.name)
        if "uid" in t:
            stamp = int(t.get("timeStampRelation") or 0) or None
            user = None
            if t["uid"]:
                try:
                    user = self.d.user_by_num(t["uid"])
                except ModelError:
                    user = None
            if user is not None and t.get("relType") in ("Fixed", "Dynamic"):
                self.d.bind(user["uid"], ppn, t["relType"], origin=self.name, stamp=stamp)
            elif not t["uid"]:
                self.d.unbind_device(ppn, origin=self.name, stamp=stamp)

    # -- resync ------------------------------------------------------------------
    async def _page(self, request: str, key: str, element: str) -> list[Message]:
        out: list[Message] = []
        start = 1
        while True:
            resp = await self._request(request, {key: str(start),
                                                 "maxRecords": str(PAGE_SIZE)}, check=False)
            children = resp.children_named(element) if "errCode" not in resp.attrs else []
            if not children:
                return out
            out.extend(children)
            start = max(_int(c.attrs.get(key)) for c in children) + 1

    async def _resync(self) -> None:
        """Reconcile every user and device with the OMM (docs/mom.md "Restarts")."""
        omm_users = [self._omm_user(m) for m in await self._page("GetPPUser", "uid", "user")]
        seen: set[int] = set()
        for values in omm_users:
            rec = self._match_user(values)
            if rec is not None and rec["uid"] in seen:
                continue  # matched twice (a stale local id): the second is taken as its own
            await self._user(rec, values)
            rec = self._match_user(values)
            if rec is not None:
                seen.add(rec["uid"])
        await self._pipelined(self._user(rec, None) for rec in list(self.d.users)
                              if rec["uid"] not in seen and rec["uid"] in self.d.users.records)
        omm_devices = [self._omm_device(m) for m in await self._page("GetPPDev", "ppn", "pp")]
        seen.clear()
        for values in omm_devices:
            rec = self._match_device(values)
            await self._device(rec, values)
            rec = self._match_device(values)
            if rec is not None:
                seen.add(rec["ppn"])
        await self._pipelined(self._device(rec, None) for rec in list(self.d.devices)
                              if rec["ppn"] not in seen and rec["ppn"] in self.d.devices.records)

    async def _pipelined(self, steps: Iterator[Coroutine[Any, Any, None]]) -> None:
        """Run independent records' steps with up to PIPELINE_DEPTH of them waiting for the OMM
        at once (the session matches answers by seq), so the OMM works through a stream of
        requests instead of one round trip after another. The first failure (the session
        lost) ends them all."""
        async def worker() -> None:
            for step in steps:  # shared: each step is taken by one worker
                await step

        async with asyncio.TaskGroup() as group:
            for _ in range(PIPELINE_DEPTH):
                group.create_task(worker())
        self.d.flush()

    # -- requests ------------------------------------------------------------------
    async def _request(self, name: str, attrs: dict[str, str] | None = None,
                       children: list[Message] | None = None, *,
                       check: bool = True) -> Message:
        client = self.client
        if client is None:
            raise SyncSessionError(f"no sync session with {self.name}")
        return await client.request(name, attrs, children, check=check)

    async def request(self, name: str, attrs: dict[str, str] | None = None,
                      children: list[Message] | None = None) -> Message:
        """Send one request to this OMM over the sync session (MAXI's routed requests);
        SyncSessionError while there is none, AxiResponseError on its error answer."""
        return await self._request(name, attrs, children)


SECRETS_KEY = "_secrets"
"""Where an OMM's user record, as the sync engine reads it, carries the secrets it opened."""


def _latest_only(batch: list[Any]) -> list[Any]:
    """The inbox's items in order, without an EventPPCnf of one record that a later one of
    the same record (no deletion of it between) supersedes: the later shows the record as it
    is now, the earlier only a step on the way (most often of the MOM's own push)."""
    later: set[tuple[str, str]] = set()
    keep: list[Any] = []
    for item in reversed(batch):
        if isinstance(item, Message) and item.name == "EventPPCnf" and len(item.children) == 1:
            child = item.children[0]
            key = (child.name, child.attrs.get("uid" if child.name == "user" else "ppn", ""))
            if item.attrs.get("deletedUser") == "1" or item.attrs.get("deletedDev") == "1":
                later.discard(key)
            elif key in later:
                continue
            else:
                later.add(key)
        keep.append(item)
    keep.reverse()
    return keep


def _admin(values: dict[str, Any], names: tuple[str, ...],
           stamps: tuple[str, ...]) -> dict[str, Any]:
    return {k: values[k] for k in (*names, *stamps) if k in values}


def _int(text: object) -> int:
    try:
        return int(str(text))
    except ValueError:
        return 0
