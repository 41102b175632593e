"""MaxiApi: the MOM's model seen through MAXI: sessions, dispatch and event delivery.

The kit's AXI edge (sipdect.axi.server) serves it. Events come from the model's changes
(mom.directory.Change: users, devices, accounts, OMM connections and their sync state) and
from the sync service (EventDECTLocate / EventDECTSubscribe an OMM asked about: `roaming`).
Messaging and locating go to the OMM a user is at through the sync service (MomSync).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from mom.directory import Change
from mom.maxi import (
    conventions,
    handlers,  # noqa: F401  (registers the request handlers)
)
from mom.maxi.dispatch import ROUTER, log
from mom.maxi.render import render_account, render_omm, render_pp, render_user
from mom.maxi.summaries import device_summary, user_summary
from mom.model import MomModel
from sipdect.axi.admission import PreLoginLimits
from sipdect.axi.codec import Message, frame
from sipdect.axi.dispatch import Answer, Ctx, PendingVerification, Verdict
from sipdect.axi.gate import Gatekeeper
from sipdect.axi.records import PP_DEV, PP_USER
from sipdect.axi.server import Link
from sipdect.axi.session import AxiServerSession, LinkState


class MomSync(Protocol):
    """What MAXI asks of the MOM's sync service (mom.service)."""

    async def send_message(self, uid: int, attrs: dict[str, str]) -> Message:
        """SendMessage to user `uid` at the OMM it is at; that OMM's SendMessageResp."""

    async def locate(self, uid: int) -> dict[str, Any]:
        """Where user `uid` is: omm, ommId, and what that OMM's GetPPState says (rfpId,
        site, ...); {"omm": ""} when its device is at no OMM."""


class Roaming(Protocol):
    """A roaming step as the sync service reports it (mom.sync.RoamingEvent)."""

    @property
    def kind(self) -> str:
        """locate, subscribe (an OMM asked), moved, rejected."""

    @property
    def omm(self) -> str: ...

    @property
    def omm_id(self) -> str: ...

    @property
    def ipei(self) -> str: ...

    @property
    def ppn(self) -> int: ...

    @property
    def uid(self) -> int: ...

    @property
    def attrs(self) -> dict[str, str]: ...


class MaxiApi:
    """One per MOM; serves every MAXI connection."""

    def __init__(self, model: MomModel, pre_login: PreLoginLimits | None = None,
                 sync: MomSync | None = None) -> None:
        self.model = model
        self.sync = sync
        """Set by the MOM service once its sync engine runs; None: messaging and locating
        are answered EFailed."""
        self.sessions: dict[AxiServerSession, Link] = {}
        self.gatekeeper = Gatekeeper(pre_login, log=log, label="MAXI")
        self._pending: list[tuple[tuple[str, ...], str | None, bytes]] = []
        self._summaries_due: set[str] = set()
        self._delivery_scheduled = False
        model.add_listener(self._on_change)

    def close(self) -> None:
        self.model.remove_listener(self._on_change)
        self.gatekeeper.close()

    # -- the kit edge's AxiService ---------------------------------------------------------
    @property
    def client_limit(self) -> int:
        return conventions.SESSIONS

    @property
    def logged_in(self) -> int:
        return sum(1 for s in self.sessions if s.state is LinkState.OPEN)

    def attach(self, session: AxiServerSession, link: Link) -> None:
        self.sessions[session] = link

    def detach(self, session: AxiServerSession) -> None:
        self.sessions.pop(session, None)

    def handle(self, ctx: Ctx, req: Message) -> Answer:
        return ROUTER.dispatch(self, ctx, req)

    def conclude(self, ctx: Ctx, req: Message, pending: PendingVerification,
                 verified: bool) -> Verdict:
        return ROUTER.conclude(ctx, req, pending, verified)

    def replicating(self) -> Awaitable[None] | None:
        return None  # the MOM has no standby partner

    # -- events ----------------------------------------------------------------------------
    def _queue(self, event_types: tuple[str, ...], item: str | None, msg: Message) -> None:
        """`msg` for every session subscribed to any of `event_types` (once each)."""
        self._pending.append((event_types, item, frame(msg)))
        self._schedule_delivery()

    def on_roaming(self, event: Roaming) -> None:
        """A roaming step of the sync service (its roaming listener): an OMM's question is
        forwarded to Roaming subscribers with `omm` the OMM's name and the MOM's uid/ppn; the
        move itself reaches them as the device's EventPPCnf (a model change)."""
        name = conventions.ROAMING_EVENTS.get(event.kind)
        if name is None:
            return
        attrs = {k: v for k, v in event.attrs.items() if k != "seq"}
        attrs.update(omm=event.omm, ommId=event.omm_id, ipei=event.ipei)
        if event.ppn:
            attrs["ppn"] = str(event.ppn)
        if event.uid:
            attrs["uid"] = str(event.uid)
        self._queue((conventions.ROAMING_EVENT_TYPE,), None, Message(name, attrs))

    def _schedule_delivery(self) -> None:
        if self._delivery_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: deliver() after the request does it
        self._delivery_scheduled = True
        loop.call_soon(self._scheduled_delivery)

    def _scheduled_delivery(self) -> None:
        self._delivery_scheduled = False
        self.deliver()

    def deliver(self) -> None:
        """Hand queued events to subscribed sessions and flush everyone who got output."""
        touched: set[AxiServerSession] = set()
        if self._summaries_due:
            due, self._summaries_due = self._summaries_due, set()
            for event_type in sorted(due):
                if any(s.subscribed(event_type) for s in self.sessions):
                    name, counters = SUMMARY_EVENTS[event_type]
                    self._pending.append(((event_type,), None,
                                          frame(Message(name, counters(self.model)))))
        pending, self._pending = self._pending, []
        for event_types, item, data in pending:
            for session in self.sessions:
                if any(session.subscribed(t, item) for t in event_types):
                    session.send_event_frame(data)
                    touched.add(session)
        for session in touched:
            link = self.sessions.get(session)
            if link is not None:
                link.flush()

    def _on_change(self, change: Change) -> None:
        if not self.sessions:
            return
        build = _BUILDERS.get(change.kind)
        if build is not None:
            build(self, change)

    def _user_changed(self, change: Change) -> None:
        uid = str(change.key)
        if change.deleted:
            self._queue(("PPUserCnf",), uid, Message("EventPPUserCnf", {"deleted": "1"},
                                                      [Message("user", {"uid": uid})]))
            self._queue(("PPCnf",), uid, Message("EventPPCnf", {"deletedUser": "1"}, [
                Message("user", {"uid": uid, "uidSec": "0"})]))
        else:
            rec = self.model.directory.get_user(change.key)
            only = None if change.fields is None else ("uid", *_known_user(change.fields))
            self._queue(("PPUserCnf",), uid,
                        Message("EventPPUserCnf", {}, [render_user(self.model, rec, only)]))
            self._queue(("PPCnf",), uid,
                        Message("EventPPCnf", {}, [render_user(self.model, rec)]))
        if change.fields is None or change.deleted:
            self._summary("PPUserSummary")

    def _device_changed(self, change: Change) -> None:
        ppn = str(change.key)
        if change.deleted:
            self._queue(("PPDevCnf",), ppn, Message("EventPPDevCnf", {"deleted": "1"},
                                                     [Message("pp", {"ppn": ppn})]))
            self._queue(("PPCnf",), ppn, Message("EventPPCnf", {"deletedDev": "1"}, [
                Message("pp", {"ppn": ppn, "ppnSec": "0"})]))
        else:
            rec = self.model.directory.get_device(change.key)
            only = None if change.fields is None else ("ppn", *_known_pp(change.fields))
            self._queue(("PPDevCnf",), ppn,
                        Message("EventPPDevCnf", {}, [render_pp(self.model, rec, only)]))
            whole = Message("EventPPCnf", {}, [render_pp(self.model, rec)])
            moved = change.fields is not None and bool(
                conventions.ROAMING_FIELDS & set(change.fields))
            types = ("PPCnf", conventions.ROAMING_EVENT_TYPE) if moved else ("PPCnf",)
            self._queue(types, ppn, whole)
        if change.fields is None or change.deleted or "s" in (change.fields or ()):
            self._summary("PPDevSummary")

    def _account_changed(self, change: Change) -> None:
        aid = str(change.key)
        if change.deleted:
            body = Message("EventAccountCnf", {"deleted": "1"}, [Message("account", {"id": aid})])
        else:
            body = Message("EventAccountCnf", {}, [
                render_account(self.model.accounts.get(change.key))])
        self._queue(("AccountCnf",), aid, body)

    def _omm_changed(self, change: Change) -> None:
        name = str(change.key)
        if change.deleted:
            body = Message(conventions.OMM_EVENT, {"deleted": "1"},
                           [Message(conventions.OMM_ELEMENT, {"name": name})])
        else:
            body = Message(conventions.OMM_EVENT, {}, [
                render_omm(self.model, self.model.omms.get(name))])
        self._queue((conventions.OMM_EVENT_TYPE,), None, body)

    def _summary(self, event_type: str) -> None:
        self._summaries_due.add(event_type)
        self._schedule_delivery()


def _known_user(fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in fields if f in PP_USER.by_name and f != "uid")


def _known_pp(fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in fields if f in PP_DEV.by_name and f != "ppn")


SUMMARY_EVENTS: dict[str, tuple[str, Callable[[MomModel], dict[str, str]]]] = {
    "PPUserSummary": ("EventPPUserSummary", user_summary),
    "PPDevSummary": ("EventPPDevSummary", device_summary),
}

_BUILDERS: dict[str, Callable[[MaxiApi, Change], None]] = {
    "user": MaxiApi._user_changed,
    "pp": MaxiApi._device_changed,
    "account": MaxiApi._account_changed,
    "omm": MaxiApi._omm_changed,
    "ommState": MaxiApi._omm_changed,
}
