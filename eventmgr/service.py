"""The Event Manager as a running service (standby-eventmgr.md B.1; docs/eventmgr.md): ESPA
4.4.4 in (a TCP server and serial lines, as the paging system), an AXI session to its OMM over
TLS (messages out, their progress and confirmations, handset alarms and OMM events in), SNMP
traps out, and the rules between them (eventmgr.rules, sans-I/O).

Every input is committed to the store with what it caused (incidents, messages to send, ESPA
statuses, log lines) before it is acknowledged; messages wait in the store's outbox until
the OMM answered their SendMessage, so alarms that came while the OMM was away are sent once
it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventmgr import conventions as c
from eventmgr.accounts import WebAccounts
from eventmgr.config import EventMgrConfig, TrapTarget
from eventmgr.locating import User, Whereabouts
from eventmgr.rules import Engine, Incident, Input, Log, Rule, Send, Status, Trap
from eventmgr.storage import EventStore
from sipdect import clock, snmp, tls
from sipdect.accounts import hash_password
from sipdect.axi.client import AxiClient, AxiResponseError
from sipdect.axi.codec import Message, element
from sipdect.espa.codec import DataBlock, status_information
from sipdect.espa.conventions import Record
from sipdect.espa.edge import EspaLink, EspaStream, SerialLine
from sipdect.espa.link import Delivered, Event, GaveUp, PagingSystem, Received
from sipdect.net import Endpoint, HostNet
from sipdect.tls import client_context
from sipdect.web import WebServer

log = logging.getLogger("eventmgr")

TrapSender = Callable[[TrapTarget, str, list[tuple[str, str]]], Awaitable[None]]
"""Sends one SNMPv2c trap: target, snmpTrapOID.0, (OID, OctetString) varbinds."""

EVENT_TYPES = ("MessageProgress", "MessageConfirmation", "AlarmCallProgress", "AlarmTrigger",
               "RFPState", "Locating", "PPState")
"""What the Event Manager subscribes to at its OMM (B.3; Locating and PPState for locating
rules and the user-lost / user-detached inputs, docs/eventmgr.md "Locating")."""


@dataclass(frozen=True)
class StatusView:
    """What the web UI's status page shows (never a secret: no password, no community)."""

    omm_state: str
    """disconnected, connecting, connected."""
    omm: str
    """The OMM it logs in to: its host name and the address tried or logged in to."""
    espa_listeners: tuple[str, ...]
    """"TCP address:port" and "serial PATH" of each ESPA input."""
    espa_links: tuple[str, ...]
    """The control equipment connected now (each link's label)."""
    trap_targets: tuple[str, ...]
    """"udp host:port" of each trap receiver."""
    open_alarms: int
    escalated: int
    """Open alarms past their first step."""
    outbox: int
    statuses_waiting: int
    rules: int
    uptime_s: float


class _EspaPeer(EspaStream):
    """A TCP ESPA connection whose link's label names the peer (the status page, the log)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.link.label += f" from {peer[0]}:{peer[1]}"
        super().connection_made(transport)


class EventMgrService:
    """One Event Manager: `await start()`, `await stop()` (clean) or `await kill()`."""

    def __init__(self, cfg: EventMgrConfig, data_dir: Path, *, net: HostNet | None = None,
                 send_trap: TrapSender | None = None) -> None:
        self.cfg = cfg
        self.data_dir = data_dir
        self.net = net or HostNet(cfg.name, cfg.host)
        self.send_trap = send_trap or _kit_trap_sender()
        self.store: EventStore | None = None
        self.engine: Engine | None = None
        self.accounts: WebAccounts | None = None
        """The web UI's accounts (while started)."""
        self.web: WebServer | None = None
        """The web UI while it serves."""
        self.omm_peer = ""
        """The OMM's address:port tried or logged in to now."""
        self._started = 0.0
        self.endpoints: list[Endpoint] = []
        self.links: list[EspaLink] = []
        self.omm_state = "disconnected"
        """disconnected, connecting, connected (logged in and subscribed)."""
        self.logins = 0
        """How often the session to the OMM logged in (a reconnect counts again)."""
        self.traps_sent = 0
        self._server: asyncio.Server | None = None
        self._serial: list[SerialLine] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._client: AxiClient | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._outbox_kick = asyncio.Event()
        self._in_flight: set[int] = set()
        self._handed: dict[int, int] = {}
        """Status seq -> id() of the link it was queued on."""
        self._status_blocks: dict[int, DataBlock] = {}
        self._alarms_seen: set[tuple[str, str, str]] = set()
        self.whereabouts = Whereabouts()
        """Users, RFPs and where each handset was last located (eventmgr.locating)."""
        self.locating_rounds = 0
        """Rounds of RequestPositionInfo asked (each for every locatable user)."""
        self.on_log: list[Callable[[dict[str, Any]], None]] = []

    # -- life --------------------------------------------------------------------------------
    async def start(self) -> None:
        store = self.store = EventStore(self.data_dir)
        self._started = self._now()
        accounts = self.accounts = WebAccounts(store)
        if accounts.by_username(c.ADMIN) is None:
            default = await asyncio.to_thread(hash_password, c.ADMIN_DEFAULT_PASSWORD)
            accounts.ensure_admin(lambda: default)
        for rule in self.cfg.rules:
            store.put_rule(rule)
        self.engine = Engine(store.rules(), self.cfg.groups,
                             incidents=[i for i in store.incidents() if i.state == "open"],
                             next_incident=store.meta("next_incident", 1),
                             next_message=store.meta("next_message", 1),
                             near=self.whereabouts.near)
        for seq, status in store.statuses():
            self._status_blocks[seq] = _status_block(status)
        self._log("start", self.cfg.name, f"{len(self.engine.rules)} rules, "
                  f"{len(self.engine.incidents)} open incidents, "
                  f"{len(store.outbox())} messages waiting")
        if self.cfg.espa_port is not None:
            self._server = await self.net.create_server(self._espa_connection,
                                                        self.cfg.espa_port)
            port = self._server.sockets[0].getsockname()[1]
            self.endpoints = [Endpoint("eventmgr", self.cfg.name, "espa", self.net.address,
                                       port)]
        for path in self.cfg.espa_serial:
            self.open_serial(path)
        if self.cfg.web_port is not None:
            await self._serve_web()
        if self.cfg.omm is not None:
            self._spawn(self._omm_session())
        self._arm()

    async def stop(self) -> None:
        await self._end()

    async def kill(self) -> None:
        """Every socket and timer gone at once; what was committed stays."""
        await self._end()

    async def _serve_web(self) -> None:
        """The web UI: HTTPS on the Event Manager's own certificate and TLS level, HTTP that
        redirects to it (seed 000: 8082 -> 8444)."""
        from eventmgr.web import build_site

        cert, key = tls.ensure_certificate(self.data_dir, f"sipdect {self.cfg.name}",
                                           ("localhost", self.net.address))
        self.web = WebServer(build_site(self), self.net.address,
                             https_port=self.cfg.web_tls_port, http_port=self.cfg.web_port or 0,
                             tls=tls.server_context(cert, key, self.cfg.tls_level),
                             net=self.net)
        await self.web.start()
        self.endpoints += [
            Endpoint("eventmgr", self.cfg.name, "web", self.net.address, self.web.http_port),
            Endpoint("eventmgr", self.cfg.name, "web-https", self.net.address,
                     self.web.https_port)]

    async def _end(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        web, self.web = self.web, None
        if web is not None:
            await web.stop()
        server, self._server, self.endpoints = self._server, None, []
        if server is not None:
            server.close()
        for link in list(self.links):
            link.close()
        for line in self._serial:
            line.close()
        self._serial.clear()
        client, self._client = self._client, None
        tasks, self._tasks = self._tasks, set()
        for task in tasks:
            task.cancel()
        if client is not None:
            await client.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.store is not None:
            self.store.close()
            self.store = None
        self.engine = None
        self.accounts = None
        self.omm_state = "disconnected"

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- ESPA --------------------------------------------------------------------------------
    def _new_link(self, label: str) -> EspaLink:
        end = PagingSystem(asyncio.get_running_loop().time(), self.cfg.espa_address)
        link = EspaLink(end, label, self._espa_event, close_on_garbage=c.GARBAGE_CLOSES)
        self.links.append(link)
        self._spawn(self._forget_link(link))
        for seq, block in self._status_blocks.items():
            if seq not in self._handed:
                self._hand(seq, block, link)
        return link

    def _espa_connection(self) -> asyncio.Protocol:
        return _EspaPeer(self._new_link(f"{self.cfg.name} ESPA TCP"))

    def open_serial(self, path: str) -> SerialLine:
        """Run the paging system's end on a serial line (a tty: RS-232 or a PTY)."""
        line = SerialLine(self._new_link(f"{self.cfg.name} ESPA {path}"), path)
        self._serial.append(line)
        return line

    async def _forget_link(self, link: EspaLink) -> None:
        await link.closed.wait()
        if link in self.links:
            self.links.remove(link)
        why = f": {link.close_reason}" if link.close_reason else ""
        self._log("espa", link.label, f"closed{why}")
        # Statuses queued on it go to the next control equipment that connects.
        for seq, owner in list(self._handed.items()):
            if owner == id(link):
                del self._handed[seq]
        if self.links:
            for seq, block in self._status_blocks.items():
                if seq not in self._handed:
                    self._hand(seq, block, self.links[-1])

    def _espa_event(self, link: EspaLink, event: Event) -> None:
        if isinstance(event, Received):
            block = event.block
            if not block.is_call:
                self._log("espa", link.label, f"function {block.function} block ACKed, ignored")
                return
            beep = (block.get(Record.BEEP_CODING) or "").strip()
            self.take(Input("espa", block.call_address, block.message, block.priority,
                            int(beep) if beep.isdigit() else None, origin=link.label))
        elif isinstance(event, Delivered):
            for seq, owner in list(self._handed.items()):
                if owner == id(link) and self._status_blocks.get(seq) == event.block:
                    del self._handed[seq], self._status_blocks[seq]
                    if self.store is not None:
                        self.store.status_taken(seq)
                    break
        elif isinstance(event, GaveUp):
            for seq, owner in list(self._handed.items()):
                if owner == id(link) and self._status_blocks.get(seq) == event.block:
                    self._hand(seq, event.block, link)  # again at the next poll
                    break

    def _hand(self, seq: int, block: DataBlock, link: EspaLink) -> None:
        end = link.end
        assert isinstance(end, PagingSystem)
        link.act(lambda now: end.queue(block))
        self._handed[seq] = id(link)

    # -- inputs ------------------------------------------------------------------------------
    def take(self, inp: Input) -> list[int]:
        """An input (ESPA call, handset alarm, OMM event): the incidents it opened, committed
        with everything they caused."""
        engine = self.engine
        if engine is None:
            return []
        opened = engine.take(inp, self._now())
        self._apply()
        return opened

    def _apply(self) -> None:
        engine, store = self.engine, self.store
        if engine is None or store is None:
            return
        actions = engine.actions()
        new_statuses: list[tuple[int, DataBlock]] = []
        with store.transaction():
            for incident in engine.changed():
                store.put_incident(incident)
            store.set_meta("next_incident", engine.next_incident)
            store.set_meta("next_message", engine.next_message)
            for action in actions:
                if isinstance(action, Send):
                    store.put_outbox(action.msg_id, _message_attrs(action))
                elif isinstance(action, Status):
                    status = {"address": action.address, "status": action.status,
                              "text": action.text}
                    new_statuses.append((store.put_status(status), _status_block(status)))
                elif isinstance(action, Log):
                    self._log(action.kind, action.subject, action.text)
        for incident in list(engine.incidents.values()):
            if incident.state != "open":
                engine.forget(incident.id)
        for seq, block in new_statuses:
            self._status_blocks[seq] = block
            if self.links:
                self._hand(seq, block, self.links[-1])
        for action in actions:
            if isinstance(action, Trap):
                self._spawn(self._trap(action))
            elif isinstance(action, Send):
                self._outbox_kick.set()
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.engine.deadline() if self.engine is not None else None
        if deadline is not None:
            self._timer = asyncio.get_running_loop().call_at(deadline, self._expired)

    def _expired(self) -> None:
        self._timer = None
        if self.engine is not None:
            self.engine.on_time(self._now())
            self._apply()

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def _log(self, kind: str, subject: str, text: str) -> None:
        log.info("%s %s: %s", kind, subject, text)
        if self.store is None:
            return
        at = clock.wall()
        seq = self.store.log(kind, subject, text, at)
        entry = {"seq": seq, "time": at, "kind": kind, "subject": subject, "text": text}
        for listener in list(self.on_log):
            listener(entry)

    # -- traps -------------------------------------------------------------------------------
    async def _trap(self, trap: Trap) -> None:
        varbinds = [(c.TRAP_VARBINDS["kind"], trap.kind),
                    (c.TRAP_VARBINDS["source"], trap.source),
                    (c.TRAP_VARBINDS["text"], trap.text),
                    (c.TRAP_VARBINDS["priority"], trap.priority),
                    (c.TRAP_VARBINDS["user"], trap.user)]
        for target in self.cfg.traps:
            try:
                await self.send_trap(target, c.TRAPS[trap.kind], varbinds)
                self.traps_sent += 1
            except Exception as exc:  # noqa: BLE001 - a trap receiver's trouble is logged
                self._log("trap-failed", f"{target.host}:{target.port}", str(exc))

    # -- the OMM -----------------------------------------------------------------------------
    async def _omm_session(self) -> None:
        link = self.cfg.omm
        assert link is not None
        wait, most = c.RECONNECT_S
        candidates = [(link.address, link.port)]
        if link.standby_address:
            candidates.append((link.standby_address, link.standby_port))
        turn = 0
        while True:
            address, port = candidates[turn % len(candidates)]
            turn += 1
            self.omm_state, self.omm_peer = "connecting", f"{address}:{port}"
            try:
                client = await asyncio.wait_for(AxiClient.connect(
                    address, port, tls=client_context(), net=self.net),
                    clock.current().virtual(c.CONNECT_TIMEOUT_S))
            except (TimeoutError, OSError) as exc:
                log.info("OMM %s:%s not reachable: %s", address, port, exc)
                self.omm_state = "disconnected"  # while it waits to try again
                await asyncio.sleep(wait)
                wait = min(wait * 2, most)
                continue
            self._client = client
            try:
                await client.login(link.username, link.password)
                await self._subscribe(client)
                self.omm_state = "connected"
                self.logins += 1
                wait = c.RECONNECT_S[0]
                self._log("omm", f"{address}:{port}", "logged in")
                await self._serve_session(client)
            except AxiResponseError as exc:
                self._log("omm", f"{address}:{port}", f"refused: {exc}")
            except (TimeoutError, ConnectionError, OSError) as exc:
                log.info("OMM session %s:%s ended: %s", address, port, exc)
            finally:
                self._client = None
                self._in_flight.clear()
                self.omm_state = "disconnected"
                await client.close()
            self._log("omm", f"{address}:{port}", "connection lost")
            await asyncio.sleep(wait)
            wait = min(wait * 2, most)

    async def _subscribe(self, client: AxiClient) -> None:
        """Each event type on its own: one the OMM refuses (no permission, not offered by
        an older OMM) leaves the others."""
        for event_type in EVENT_TYPES:
            entry = element("e", {"cmd": "On", "eventType": event_type, "ppn": "-1",
                                  "trigger": "*", "scheme": "*"})
            resp = await client.request("Subscribe", children=[entry], check=False)
            if "errCode" in resp.attrs:
                self._log("omm", event_type, f"not subscribed: {resp.attrs.get('info', '')}")

    async def _serve_session(self, client: AxiClient) -> None:
        sender = asyncio.ensure_future(self._send_outbox(client))
        pinger = asyncio.ensure_future(self._ping(client))
        locator = asyncio.ensure_future(self._locate(client))
        try:
            while True:
                get = asyncio.ensure_future(client.events.get())
                closed = asyncio.ensure_future(client.closed.wait())
                done, _ = await asyncio.wait({get, closed},
                                             return_when=asyncio.FIRST_COMPLETED)
                if get not in done:
                    get.cancel()
                    closed.cancel()
                    return
                closed.cancel()
                self._omm_event(get.result())
        finally:
            for task in (sender, pinger, locator):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    @staticmethod
    async def _ping(client: AxiClient) -> None:
        """Keep the session from the OMM's idle time-out."""
        while True:
            await asyncio.sleep(c.PING_S)
            try:
                await client.request("Ping")
            except (TimeoutError, ConnectionError, OSError, AxiResponseError):
                return

    async def _locate(self, client: AxiClient) -> None:
        """Every `locate_every` seconds: read the users and RFPs again and ask where each
        locatable user's handset is; the answers come as EventPositionInfo."""
        while True:
            try:
                await self._read_directory(client)
                for ppn in self.whereabouts.to_locate():
                    await client.request("RequestPositionInfo", {"ppn": ppn}, check=False)
            except (TimeoutError, ConnectionError, OSError):
                return
            self.locating_rounds += 1
            await asyncio.sleep(self.cfg.locate_every)

    async def _read_directory(self, client: AxiClient) -> None:
        users = [User(u.attrs.get("num", ""), int(u.attrs.get("ppn", "0") or 0),
                      u.attrs.get("locatable") in ("1", "true"))
                 for u in await _all_records(client, "GetPPUser", "uid", "user")]
        self.whereabouts.set_users(users)
        self.whereabouts.rfps = {
            int(r.attrs["id"]): (r.attrs.get("name", ""), float(r.attrs.get("x", "0") or 0),
                                 float(r.attrs.get("y", "0") or 0))
            for r in await _all_records(client, "GetRFP", "id", "rfp")}

    async def _send_outbox(self, client: AxiClient) -> None:
        while True:
            self._outbox_kick.clear()
            store = self.store
            if store is None:
                return
            for msg_id, attrs in store.outbox():
                if msg_id not in self._in_flight:
                    self._in_flight.add(msg_id)
                    self._spawn(self._send_one(client, msg_id, attrs))
            await self._outbox_kick.wait()

    async def _send_one(self, client: AxiClient, msg_id: int, attrs: dict[str, Any]) -> None:
        confirm = attrs.pop("confirm", [])
        msg = element("msg", {**attrs, "sendTime": int(clock.wall())},
                      [Message("confirmReq", text=cr) for cr in confirm])
        try:
            await client.request("SendMessage", children=[msg])
        except AxiResponseError as exc:
            # The OMM will never show it (no such user, no device): escalate as refused.
            if self.store is not None:
                self.store.sent(msg_id)
            self._log("send-failed", f"message {msg_id} to {attrs.get('toAddr')}", str(exc))
            if self.engine is not None:
                self.engine.progress(msg_id, "Rejected", self._now())
                self._apply()
            return
        except (TimeoutError, ConnectionError, OSError):
            return  # stays in the outbox: sent again on the next session
        finally:
            self._in_flight.discard(msg_id)
        if self.store is not None:
            self.store.sent(msg_id)

    def _omm_event(self, ev: Message) -> None:
        engine = self.engine
        if engine is None:
            return
        a = ev.attrs
        now = self._now()
        if ev.name == "EventMessageProgress":
            if a.get("id", "").isdigit():
                engine.progress(int(a["id"]), a.get("event", ""), now)
        elif ev.name == "EventMessageConfirmation":
            if a.get("id", "").isdigit():
                engine.confirmation(int(a["id"]), a.get("confirmation", ""), now)
        elif ev.name == "EventAlarmTrigger":
            # The OMM reports an alarm call as EventAlarmTrigger, then EventAlarmCallProgress
            # with the same ppn, trigger and id: one alarm, taken at the first of them.
            if self._seen_alarm(a):
                return
            engine.take(Input("alarm", a.get("trigger", ""), a.get("content", "") or
                              f"alarm {a.get('trigger', '')} from {a.get('fromAddr', '?')}",
                              1, origin=_number(a.get("fromAddr", ""))), now)
        elif ev.name == "EventAlarmCallProgress":
            # The alarm call's progress: a rule on it is an alarm of that trigger, once (at
            # its first state; B.4: "ringing" is the one seen).
            if a.get("state", "") in ("", "calling", "ringing") and not self._seen_alarm(a):
                engine.take(Input("alarm", a.get("trigger", ""),
                                  f"alarm {a.get('trigger', '')} from ppn {a.get('ppn', '?')}",
                                  1, origin=a.get("ppn", "")), now)
        elif ev.name in ("EventPositionInfo", "EventPPState"):
            if not a.get("ppn", "").isdigit():
                return
            ppn = int(a["ppn"])
            if ev.name == "EventPositionInfo":
                heard = [int(v.attrs["id"]) for v in ev.children_named("vis")
                         if v.attrs.get("id", "").isdigit()]
                key = self.whereabouts.located(ppn, heard)
                text = "the handset no longer answers (out of range)"
            elif "callState" in a:
                key = self.whereabouts.pp_state(ppn, a["callState"])
                text = "the handset detached (switched off)"
            else:
                return
            if key is None:
                return
            engine.take(Input("omm", key, text, origin=key.partition(":")[2]), now)
        elif ev.name == "EventRFPState":
            rfp = ev.child("rfp")
            if rfp is not None and rfp.attrs.get("connected") == "false":
                engine.take(Input("omm", f"rfp-down:{a.get('id', '')}",
                                  f"RFP {a.get('id', '')} lost its connection"), now)
        else:
            return
        self._apply()

    def _seen_alarm(self, attrs: dict[str, str]) -> bool:
        """An EventAlarmCallProgress of an alarm this session already took."""
        key = (attrs.get("ppn", ""), attrs.get("trigger", ""), attrs.get("id", ""))
        if key in self._alarms_seen and key[2]:
            return True
        self._alarms_seen.add(key)
        return False

    # -- what the web UI, the control API and the tests see -------------------------------------
    def rules(self) -> list[Rule]:
        return list(self.engine.rules) if self.engine is not None else []

    def put_rule(self, rule: Rule, *, by: str = "") -> None:
        """Store a rule (a new one, or the one of that name replaced); `by`: who (the log)."""
        assert self.engine is not None and self.store is not None
        self.store.put_rule(rule)
        self.engine.rules = [r for r in self.engine.rules if r.name != rule.name] + [rule]
        self._log("rule", rule.name, "saved" + (f" by {by}" if by else ""))

    def delete_rule(self, name: str, *, by: str = "") -> None:
        assert self.engine is not None and self.store is not None
        self.store.delete_rule(name)
        self.engine.rules = [r for r in self.engine.rules if r.name != name]
        self._log("rule", name, "deleted" + (f" by {by}" if by else ""))

    def log_line(self, kind: str, subject: str, text: str) -> None:
        """A line of the event log (the web UI's logins, account changes)."""
        self._log(kind, subject, text)

    def status(self) -> StatusView:
        engine, store = self.engine, self.store
        listeners = [f"TCP {e.host}:{e.port}" for e in self.endpoints if e.protocol == "espa"]
        listeners += [f"serial {line.path}" for line in self._serial]
        link = self.cfg.omm
        omm = "none" if link is None else " ".join(
            p for p in (link.name, self.omm_peer or f"{link.address}:{link.port}") if p)
        incidents = list(engine.incidents.values()) if engine is not None else []
        return StatusView(
            self.omm_state, omm, tuple(listeners), tuple(link.label for link in self.links),
            tuple(f"{t.transport} {t.host}:{t.port}" for t in self.cfg.traps),
            sum(i.state == "open" for i in incidents),
            sum(i.state == "open" and i.step > 0 for i in incidents),
            len(store.outbox()) if store is not None else 0, len(self._status_blocks),
            len(engine.rules) if engine is not None else 0,
            self._now() - self._started if store is not None else 0.0)

    def incidents(self) -> list[Incident]:
        return self.store.incidents() if self.store is not None else []

    def entries(self, **query: Any) -> list[dict[str, Any]]:
        return self.store.entries(**query) if self.store is not None else []

    def describe(self) -> dict[str, Any]:
        store = self.store
        return {"omm": self.omm_state, "logins": self.logins,
                "espa_links": len(self.links),
                "open_incidents": len(self.engine.incidents) if self.engine else 0,
                "outbox": len(store.outbox()) if store else 0,
                "statuses_waiting": len(self._status_blocks),
                "traps_sent": self.traps_sent,
                "rules": len(self.engine.rules) if self.engine else 0}


async def _all_records(client: AxiClient, request: str, key: str, child: str
                       ) -> list[Message]:
    """Every record a paged Get request lists (key = the first id, maxRecords a page)."""
    out: list[Message] = []
    first = 0
    while True:
        resp = await client.request(request, {key: first, "maxRecords": c.PAGE_RECORDS},
                                    check=False)
        page = resp.children_named(child)
        out += page
        if "errCode" in resp.attrs or len(page) < c.PAGE_RECORDS:
            return out
        first = max(int(r.attrs.get(key, "0") or 0) for r in page) + 1


def _message_attrs(send: Send) -> dict[str, Any]:
    attrs: dict[str, Any] = {"id": send.msg_id, "toAddr": f"tel:{send.number}",
                             "fromAddr": c.FROM_ADDR, "fromName": send.title,
                             "priority": send.priority, "content": send.content,
                             "popUp": "true" if send.popup else "false",
                             "confirm": list(send.confirm)}
    if send.melody:
        attrs["melody"] = send.melody
    return attrs


def _status_block(status: dict[str, str]) -> DataBlock:
    return status_information(status["address"], status["status"], status.get("text", ""))


def _number(addr: str) -> str:
    return addr.partition(":")[2] if ":" in addr else addr


def _kit_trap_sender() -> TrapSender:
    async def send(target: TrapTarget, oid: str, varbinds: list[tuple[str, str]]) -> None:
        await snmp.send_trap(target.host, target.port, oid, varbinds,
                             community=target.community, transport=target.transport)
    return send
