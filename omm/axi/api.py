"""AxiApi: the OMM model seen through AXI: sessions, dispatch and event delivery (axi.md §4)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from omm.axi import handlers  # noqa: F401  (registers the request handlers)
from omm.axi.dispatch import ROUTER, Ctx, PendingVerification, Verdict, dispatch, log
from omm.axi.render import render_account, render_pp, render_rfp_state, render_user
from omm.axi.summaries import device_summary, rfp_summary, user_summary
from omm.model import OmmModel
from omm.tables import Change
from sipdect.axi.admission import PreLoginLimits
from sipdect.axi.codec import Message, frame
from sipdect.axi.dispatch import Answer
from sipdect.axi.gate import Gatekeeper
from sipdect.axi.records import RFP, SITE, USER_MONITORING_FIELDS
from sipdect.axi.server import Link
from sipdect.axi.session import AxiServerSession, LinkState

#: Event types of OMM >= 8 that the schema's EventType list lacks (mitel-api has them).
EXTRA_EVENT_TYPES = frozenset({"PPCnf", "ApplicationDataChannel", "LicensedFile",
                               "MOMMsgRouting", "MOMOMMCnf"})

#: User fields whose change recounts the user summary (besides creation and deletion): the
#: monitoring counters'.
_SUMMARY_FIELDS = frozenset({*USER_MONITORING_FIELDS, "monitoringMode"})

#: Which event type (for Subscribe) announces a change of each settings group.
SETTING_EVENT_TYPES: dict[str, str] = {"DECTSubscriptionMode": "DECTSubscriptionMode"}


class AxiApi:
    """One per OMM; shared by its plain and TLS listeners."""

    def __init__(self, model: OmmModel, pre_login: PreLoginLimits | None = None) -> None:
        self.model = model
        self.sessions: dict[AxiServerSession, Link] = {}
        self.gatekeeper = Gatekeeper(pre_login, log=log)
        """Connections that have not logged in yet: their own quota (not axiClients)."""
        self._pending: list[tuple[str, str | None, bytes, bool]] = []
        self._direct: list[tuple[AxiServerSession, bytes]] = []
        self._touched: set[AxiServerSession] = set()
        self.dect: Any = None  # the DectBridge once the OMM runs its DECT fixed part
        self._delivery_scheduled = False
        self._summaries_due: set[str] = set()
        self.barrier: Callable[[], Awaitable[None] | None] | None = None
        """One of a standby pair: what is outstanding until every committed change is on
        the partner (omm.standby.pair.StandbyPair.flushed); answers and events wait for it."""
        self._delivery_held = False
        self._sync_peers: dict[AxiServerSession, str] = {}
        """Logged-in UserDeviceSyncClient sessions and where from (the event log says)."""
        model.add_listener(self._on_change)

    def _release_delivery(self, _: Any) -> None:
        self._delivery_held = False
        self.deliver()

    # -- sessions -------------------------------------------------------------
    def attach(self, session: AxiServerSession, link: Link) -> None:
        self.sessions[session] = link

    def detach(self, session: AxiServerSession) -> None:
        self.sessions.pop(session, None)
        peer = self._sync_peers.pop(session, None)
        if peer is not None:
            self.model.central.session_closed(peer, self.model.clock())

    def sync_session_opened(self, session: AxiServerSession, peer: str) -> None:
        """A UserDeviceSyncClient logged in: central mode hears of it until it goes."""
        self._sync_peers[session] = peer
        self.model.central.session_opened(peer, self.model.clock())

    @property
    def client_limit(self) -> int:
        """axiClients: sessions that may be logged in at once."""
        return self.model.limits.axi_clients

    @property
    def logged_in(self) -> int:
        """Sessions that logged in: what axiClients limits and OpenResp reports."""
        return sum(1 for s in self.sessions if s.state is LinkState.OPEN)

    def handle(self, ctx: Ctx, req: Message) -> Answer:
        """The answer, or what to verify off the loop before it (dispatch.conclude)."""
        return dispatch(self, ctx, req)

    def conclude(self, ctx: Ctx, req: Message, pending: PendingVerification,
                 verified: bool) -> Verdict:
        """The answer once the password check of `req` came back; never raises."""
        return ROUTER.conclude(ctx, req, pending, verified)

    # -- events ----------------------------------------------------------------
    def queue_event(self, event_type: str, item: str | None, msg: Message) -> None:
        """An event from outside the model (DECT, messaging); delivered by deliver()."""
        self._queue(event_type, item, msg)

    def queue_summary(self, event_type: str) -> None:
        """A counter of this summary event (SUMMARY_EVENTS) may have changed: it is worked
        out once per delivery, for subscribers only, however many changes came in."""
        self._summaries_due.add(event_type)
        self._schedule_delivery()

    def queue_to(self, session: AxiServerSession, msg: Message) -> None:
        """An event for one session only (the state it subscribed to, as it is now); written
        after the answer of the request being handled, before other queued events."""
        self._direct.append((session, frame(msg)))
        self._schedule_delivery()

    def _queue(self, event_type: str, item: str | None, msg: Message,
               sync_only: bool = False) -> None:
        self._pending.append((event_type, item, frame(msg), sync_only))
        self._schedule_delivery()

    def _schedule_delivery(self) -> None:
        if not self._delivery_scheduled:
            # Changes from outside an AXI request (RFP link, DECT, timers) are delivered
            # as soon as the loop is free; inside a request deliver() runs after the answer.
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            self._delivery_scheduled = True
            loop.call_soon(self._scheduled_delivery)

    def _scheduled_delivery(self) -> None:
        self._delivery_scheduled = False
        self.deliver()

    def replicating(self) -> Awaitable[None] | None:
        """What an answer must wait for: the changes committed so far reaching the standby
        partner (None: nothing outstanding, or no pair)."""
        return self.barrier() if self.barrier is not None else None

    def deliver(self) -> None:
        """Hand queued events to subscribed sessions and flush everyone who got output
        (once the standby partner has the changes they announce)."""
        if self._delivery_held:
            return  # delivered once the standby has what is outstanding
        waiting = self.replicating()
        if waiting is not None:
            self._delivery_held = True
            asyncio.ensure_future(waiting).add_done_callback(self._release_delivery)
            return
        if self._summaries_due:
            due, self._summaries_due = self._summaries_due, set()
            for event_type in sorted(due):
                if any(session.subscribed(event_type) for session in self.sessions):
                    name, counters = SUMMARY_EVENTS[event_type]
                    self._pending.append((event_type, None,
                                          frame(Message(name, counters(self))), False))
        if self._direct:
            direct, self._direct = self._direct, []
            for session, data in direct:
                if session in self.sessions:
                    session.send_event_frame(data)
                    self._touched.add(session)
        if not self._pending and not self._touched:
            return
        pending, self._pending = self._pending, []
        for event_type, item, data, sync_only in pending:
            for session in self.sessions:
                if sync_only and not session.sync_client:
                    continue
                if session.subscribed(event_type, item) or (
                        event_type == "PPCnf" and session.sync_client and (
                            session.subscribed("PPUserCnf") or session.subscribed("PPDevCnf"))):
                    session.send_event_frame(data)
                    self._touched.add(session)
        touched, self._touched = self._touched, set()
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

    def _wanted(self, event_type: str, item: str) -> bool:
        """Whether a session would receive this event (deliver()'s rule): a record change
        renders its events only then (thousands of records pushed by a MOM, no one listening
        to PPUserCnf)."""
        for session in self.sessions:
            if session.subscribed(event_type, item) or (
                    event_type == "PPCnf" and session.sync_client and (
                        session.subscribed("PPUserCnf") or session.subscribed("PPDevCnf"))):
                return True
        return False

    def _user_changed(self, change: Change) -> None:
        uid = str(change.key)
        monitoring_only = change.fields is not None and set(change.fields) <= set(
            USER_MONITORING_FIELDS)
        if change.deleted:
            self._queue("PPUserCnf", uid, Message("EventPPUserCnf", {"deleted": "1"},
                                                  [Message("user", {"uid": uid})]))
            self._queue("PPCnf", uid, Message("EventPPCnf", {"deletedUser": "1"},
                                              [Message("user", {"uid": uid, "uidSec": "0"})]))
        else:
            rec = self.model.users.table.records[change.key]
            only = None if change.fields is None else ("uid", *change.fields)
            if self._wanted("PPUserCnf", uid):
                self._queue("PPUserCnf", uid,
                            Message("EventPPUserCnf", {}, [render_user(self.model, rec, only)]))
            # Live monitoring states are not configuration: a MOM's sync hears nothing.
            if self._wanted("PPCnf", uid) and not monitoring_only:
                self._queue("PPCnf", uid, Message("EventPPCnf", {},
                                                  [render_user(self.model, rec)]))
        if change.fields is None or change.deleted or set(change.fields) & _SUMMARY_FIELDS:
            self.queue_summary("PPUserSummary")

    def _device_changed(self, change: Change) -> None:
        ppn = str(change.key)
        if change.deleted:
            self._queue("PPDevCnf", ppn, Message("EventPPDevCnf", {"deleted": "1"},
                                                 [Message("pp", {"ppn": ppn})]))
            self._queue("PPCnf", ppn, Message("EventPPCnf", {"deletedDev": "1"},
                                              [Message("pp", {"ppn": ppn, "ppnSec": "0"})]))
        else:
            rec = self.model.devices.table.records[change.key]
            only = None if change.fields is None else ("ppn", *change.fields)
            if self._wanted("PPDevCnf", ppn):
                self._queue("PPDevCnf", ppn,
                            Message("EventPPDevCnf", {}, [render_pp(self.model, rec, only)]))
            if self._wanted("PPCnf", ppn):
                self._queue("PPCnf", ppn,
                            Message("EventPPCnf", {}, [render_pp(self.model, rec)]))
        if change.fields is None or change.deleted or "s" in (change.fields or ()):
            self.queue_summary("PPDevSummary")

    def _rfp_changed(self, change: Change) -> None:
        rid = str(change.key)
        if change.deleted:
            body = Message("EventRFPCnf", {"deleted": "1"}, [Message("rfp", {"id": rid})])
        else:
            rec = self.model.rfps.table.records[change.key]
            only = None if change.fields is None else ("id", *change.fields)
            body = Message("EventRFPCnf", {}, [RFP.render(rec, only)])
        self._queue("RFPCnf", rid, body)
        if change.fields is None or change.deleted:
            self.queue_summary("RFPSummary")

    def _rfp_state_changed(self, change: Change) -> None:
        rid = str(change.key)
        self._queue("RFPState", rid, Message(
            "EventRFPState", {"id": rid},
            [render_rfp_state(self.model, change.key, change.fields)]))

    def _sync_relations_changed(self, change: Change) -> None:
        """EventRFPSyncRel: the neighbours an RFP hears, as GetRFPSync lists them."""
        from omm.axi.handlers.rfps import sync_offsets

        rid = str(change.key)
        self._queue("RFPSync", rid, Message("EventRFPSyncRel", {"id": rid},
                                            sync_offsets(self.model, change.key)))

    def _site_changed(self, change: Change) -> None:
        sid = str(change.key)
        if change.deleted:
            body = Message("EventSiteCnf", {"deleted": "1"}, [Message("site", {"id": sid})])
        else:
            rec = self.model.sites.table.records[change.key]
            body = Message("EventSiteCnf", {}, [SITE.render(
                {**rec, "nRFPs": self.model.rfps.on_site(change.key)})])
        self._queue("SiteCnf", sid, body)

    def _account_changed(self, change: Change) -> None:
        aid = str(change.key)
        if change.deleted:
            body = Message("EventAccountCnf", {"deleted": "1"}, [Message("account", {"id": aid})])
        else:
            body = Message("EventAccountCnf", {}, [
                render_account(self.model.accounts.table.records[change.key])])
        self._queue("AccountCnf", aid, body)

    def _alarm_trigger_changed(self, change: Change) -> None:
        from omm.axi.handlers.alarms import trigger_cnf_event

        rec = None if change.deleted else self.model.alarm_triggers.table.get(change.key)
        self._queue("AlarmTriggerCnf", str(change.key), trigger_cnf_event(rec, change.key))

    def _setting_changed(self, change: Change) -> None:
        from omm.axi.handlers import setting_event

        group = str(change.key)
        msg = setting_event(self.model, group)
        if msg is not None:
            self._queue(SETTING_EVENT_TYPES.get(group, "SystemCnf"), None, msg)

    def _log_changed(self, change: Change) -> None:
        from omm.axi.handlers import render_log_entry

        entry = self.model.event_log.get(int(change.key))
        if entry is not None:  # it may have made room for a more severe one at once
            e = render_log_entry(entry)
            self._queue("EventLog", None, Message("EventEventLogBuffer", e.attrs))

    def _standby_changed(self, change: Change) -> None:
        from omm.axi.handlers import standby_event

        self._queue("SystemState", None, standby_event(self.model))

    def _license_changed(self, change: Change) -> None:
        from omm.axi.handlers import license_event

        self._queue("SystemCnf", None, license_event(self.model))

    def _health_changed(self, change: Change) -> None:
        from omm.axi.handlers import health_event

        msg = health_event(self.model, str(change.key))
        if msg is not None:
            self._queue("SystemState", None, msg)


#: Summary event type (for Subscribe) -> its element and its counters.
SUMMARY_EVENTS: dict[str, tuple[str, Callable[[AxiApi], dict[str, str]]]] = {
    "PPUserSummary": ("EventPPUserSummary", user_summary),
    "PPDevSummary": ("EventPPDevSummary", device_summary),
    "RFPSummary": ("EventRFPSummary", rfp_summary),
}

_BUILDERS: dict[str, Callable[[AxiApi, Change], Any]] = {
    "user": AxiApi._user_changed,
    "pp": AxiApi._device_changed,
    "rfp": AxiApi._rfp_changed,
    "rfpState": AxiApi._rfp_state_changed,
    "rfpSyncRel": AxiApi._sync_relations_changed,
    "site": AxiApi._site_changed,
    "alarmTrigger": AxiApi._alarm_trigger_changed,
    "account": AxiApi._account_changed,
    "setting": AxiApi._setting_changed,
    "eventlog": AxiApi._log_changed,
    "standby": AxiApi._standby_changed,
    "health": AxiApi._health_changed,
    "license": AxiApi._license_changed,
}
