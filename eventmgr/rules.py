"""The Event Manager's rules and escalation, sans-I/O (standby-eventmgr.md B.5, B.7;
docs/eventmgr.md "Rules").

A rule maps an input (an ESPA call, a handset alarm, an OMM event) to an incident: messages to
the users of its first step, each with priority, melody, popUp and confirmation requests. Nobody
accepting within `escalate_after`, or every phone of the step refusing (a non-accepting
confirmation, or progress Rejected / TemporaryUnavailable), moves it to the next step; the
first accepting confirmation ends it. `Engine` is fed inputs, message progress and `now`, and
returns actions (messages to send, traps, ESPA statuses, log lines) and its next deadline.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from eventmgr import conventions as c
from eventmgr.locating import Near, parse_near


class RuleError(ValueError):
    """A rule that cannot work (one line saying what to change)."""


@dataclass(frozen=True)
class Rule:
    """One rule. `steps` are the escalation steps in order; each names user numbers,
    `group:NAME` (a group of the Event Manager's config) or `near:...` (the users last located
    at an RFP, at one of several, or within a circle: eventmgr.locating.parse_near)."""

    name: str
    source: str = "espa"
    """What it listens to: espa (ESPA calls), alarm (handset alarms: the OMM's alarm
    triggers), omm (OMM events: `rfp-down:ID`, `user-lost:NUMBER`, `user-detached:NUMBER`)."""
    match: str = "*"
    """A pattern (fnmatch, case-insensitive) on the input's key: the ESPA call address,
    the alarm trigger id, or the OMM event `kind:subject`."""
    priority: str = "*"
    """A pattern on the ESPA priority (record 6): "1", "[12]", "*"."""
    steps: tuple[tuple[str, ...], ...] = ()
    escalate_after: float = c.DEFAULT_ESCALATE_S
    message_priority: str = ""
    """SendMessage priority; "": ESPA record 6 mapped (conventions.MESSAGE_PRIORITY), else
    Emergency for handset alarms and High for OMM events."""
    melody: str = ""
    """MsgMelody1..10 or None; "": ESPA record 3 (beep n -> MsgMelody<n>), else none given."""
    popup: bool = True
    confirm: tuple[str, ...] = c.DEFAULT_CONFIRM
    accept: tuple[str, ...] = c.DEFAULT_ACCEPT
    text: str = "{text}"
    """The message: {text} (ESPA record 2, the alarm's or event's words), {key}, {source}."""
    title: str = "Alarm"
    """fromName: the first line the handset shows."""
    trap: bool = False
    """Send SNMP traps: at the alarm, at its confirmation, escalation and failure."""
    espa_status: bool = True
    """Queue an ESPA status block for the control equipment's poll (ESPA inputs)."""
    status_delivered: bool = False
    """Also queue a status when the first handset shows the message."""
    enabled: bool = True

    def __post_init__(self) -> None:
        if not self.name:
            raise RuleError("a rule needs a name")
        if self.source not in c.SOURCES:
            raise RuleError(f"rule {self.name!r}: source = {self.source!r}: give espa, alarm "
                            "or omm")
        if not self.steps or not all(self.steps):
            raise RuleError(f"rule {self.name!r}: steps = [[\"201\"], [\"202\"]]: at least "
                            "one step of user numbers or group:NAME")
        for entry in (e for step in self.steps for e in step):
            if entry.startswith(c.NEAR_PREFIX):
                try:
                    parse_near(entry)
                except ValueError as exc:
                    raise RuleError(f"rule {self.name!r}: {exc}") from None
        if self.escalate_after <= 0:
            raise RuleError(f"rule {self.name!r}: escalate_after is seconds above 0")
        if self.message_priority and self.message_priority not in c.MESSAGE_PRIORITIES:
            raise RuleError(f"rule {self.name!r}: message_priority = "
                            f"{self.message_priority!r}: give one of "
                            f"{', '.join(c.MESSAGE_PRIORITIES)}")
        if self.melody and self.melody not in c.MELODIES:
            raise RuleError(f"rule {self.name!r}: melody = {self.melody!r}: give None or "
                            "MsgMelody1..MsgMelody10")
        for value in (*self.confirm, *self.accept):
            if value not in c.CONFIRMATIONS:
                raise RuleError(f"rule {self.name!r}: {value!r} is no confirmation; give "
                                f"{', '.join(c.CONFIRMATIONS)}")
        if len(self.confirm) > 3:
            raise RuleError(f"rule {self.name!r}: a message carries at most 3 confirmation "
                            "requests")

    def matches(self, inp: Input) -> bool:
        if not self.enabled or inp.source != self.source:
            return False
        if not fnmatch.fnmatch(inp.key.lower(), self.match.lower()):
            return False
        return self.source != "espa" or fnmatch.fnmatch(str(inp.priority), self.priority)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["steps"] = [list(s) for s in self.steps]
        out["confirm"], out["accept"] = list(self.confirm), list(self.accept)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Rule:
        """A rule from its stored or TOML form (RuleError names what is wrong)."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise RuleError(f"rule {raw.get('name', '?')!r}: unknown key {unknown[0]!r}; "
                            f"known: {', '.join(sorted(known))}")
        values = dict(raw)
        steps = values.get("steps", ())
        if not isinstance(steps, list | tuple) or not all(isinstance(s, list | tuple | str)
                                                          for s in steps):
            raise RuleError(f"rule {raw.get('name', '?')!r}: steps is a list of lists")
        values["steps"] = tuple((s,) if isinstance(s, str) else tuple(str(u) for u in s)
                                for s in steps)
        for key in ("confirm", "accept"):
            if key in values:
                values[key] = tuple(values[key])
        if "escalate_after" in values:
            values["escalate_after"] = float(values["escalate_after"])
        try:
            return cls(**values)
        except TypeError as exc:
            raise RuleError(f"rule {raw.get('name', '?')!r}: {exc}") from None


@dataclass(frozen=True)
class Input:
    """Something that happened outside: what a rule matches."""

    source: str
    """espa, alarm or omm."""
    key: str
    """ESPA call address, alarm trigger id, or OMM event `kind:subject`."""
    text: str = ""
    priority: int = int(c.Priority.NORMAL)
    beep: int | None = None
    """ESPA record 3."""
    origin: str = ""
    """Who raised it: the handset's number for an alarm."""


# -- what the engine asks for ---------------------------------------------------------------------
@dataclass(frozen=True)
class Send:
    """Send a message (AXI SendMessage) to user `number`; `msg_id` is its AXI id."""

    msg_id: int
    incident: int
    number: str
    content: str
    title: str
    priority: str
    melody: str
    popup: bool
    confirm: tuple[str, ...]


@dataclass(frozen=True)
class Trap:
    """Send an SNMP trap (conventions.TRAPS[kind])."""

    kind: str
    source: str
    text: str
    priority: str
    user: str = ""


@dataclass(frozen=True)
class Status:
    """Queue an ESPA status block (function 2) about call `address` for the next poll."""

    address: str
    status: str
    text: str


@dataclass(frozen=True)
class Log:
    """A line of the event log."""

    kind: str
    subject: str
    text: str


Action = Send | Trap | Status | Log


@dataclass
class Incident:
    """One alarm being handled."""

    id: int
    rule: str
    input: Input
    opened: float
    step: int = 0
    deadline: float | None = None
    messages: dict[int, str] = field(default_factory=dict)
    """The AXI ids of this step's messages -> the user number each went to."""
    refused: list[int] = field(default_factory=list)
    """Ids of this step whose phone will not confirm (refused or not reachable)."""
    state: str = "open"
    """open, confirmed or failed."""
    by: str = ""
    """Who accepted it."""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["messages"] = {str(k): v for k, v in self.messages.items()}
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Incident:
        values = dict(raw)
        values["input"] = Input(**raw["input"])
        values["messages"] = {int(k): v for k, v in raw["messages"].items()}
        return cls(**values)


class Engine:
    """Rules and incidents: `take` an input, tell it `progress` and `confirmation` of its
    messages, call `on_time` at `deadline()`; read `actions()` and `changed()` (incidents
    to persist) after each."""

    def __init__(self, rules: list[Rule], groups: dict[str, tuple[str, ...]] | None = None,
                 *, incidents: Sequence[Incident] = (), next_incident: int = 1,
                 next_message: int = 1,
                 near: Callable[[Near], list[str]] | None = None) -> None:
        self.rules = list(rules)
        self.near = near
        """Who is near a location now (the service's eventmgr.locating.Whereabouts); None:
        nobody is."""
        self.groups = dict(groups or {})
        self.incidents: dict[int, Incident] = {i.id: i for i in incidents}
        self.next_incident = next_incident
        self.next_message = next_message
        self._by_message = {m: i.id for i in self.incidents.values() for m in i.messages}
        self._actions: list[Action] = []
        self._changed: dict[int, Incident] = {}

    # -- fed --------------------------------------------------------------------------------
    def take(self, inp: Input, now: float) -> list[int]:
        """An input: every matching rule opens an incident. The ids opened."""
        opened = []
        self._log("input", f"{inp.source} {inp.key}", _describe(inp))
        for rule in self.rules:
            if not rule.matches(inp):
                continue
            incident = Incident(self.next_incident, rule.name, inp, now)
            self.next_incident += 1
            self.incidents[incident.id] = incident
            opened.append(incident.id)
            self._log("incident", f"#{incident.id}", f"rule {rule.name!r} opened it")
            if rule.trap:
                self._trap(rule, incident, "alarm", _describe(inp))
            self._send_step(rule, incident, now)
        if not opened:
            self._log("unmatched", f"{inp.source} {inp.key}", "no rule matches")
        return opened

    def progress(self, msg_id: int, event: str, now: float) -> None:
        """EventMessageProgress of one of our messages."""
        incident, rule = self._of(msg_id)
        if incident is None or rule is None:
            return
        number = incident.messages[msg_id]
        self._log("progress", f"#{incident.id} to {number}", event)
        if event == "Delivered" and rule.status_delivered and incident.step == 0 \
                and self._espa(rule, incident):
            self._status(incident, c.EspaStatus.DELIVERED, f"shown to {number}")
        if event in c.ESCALATE_ON:
            self._refused(rule, incident, msg_id, now)

    def confirmation(self, msg_id: int, confirmation: str, now: float) -> None:
        """EventMessageConfirmation of one of our messages."""
        incident, rule = self._of(msg_id)
        if incident is None or rule is None:
            return
        number = incident.messages[msg_id]
        if confirmation not in rule.accept:
            self._log("refused", f"#{incident.id} by {number}", confirmation)
            if self._espa(rule, incident):
                self._status(incident, c.EspaStatus.REFUSED, f"{confirmation} by {number}")
            self._refused(rule, incident, msg_id, now)
            return
        incident.state, incident.by, incident.deadline = "confirmed", number, None
        self._changed[incident.id] = incident
        for done in incident.messages:
            self._by_message.pop(done, None)
        self._log("confirmed", f"#{incident.id} by {number}", confirmation)
        if self._espa(rule, incident):
            self._status(incident, c.EspaStatus.CONFIRMED, f"confirmed by {number}")
        if rule.trap:
            self._trap(rule, incident, "confirmed", f"{confirmation} by {number}", number)

    def on_time(self, now: float) -> None:
        for incident in list(self.incidents.values()):
            if incident.state == "open" and incident.deadline is not None \
                    and now >= incident.deadline:
                rule = self._rule(incident.rule)
                if rule is not None:
                    self._escalate(rule, incident, now, "nobody confirmed in time")

    def deadline(self) -> float | None:
        times = [i.deadline for i in self.incidents.values()
                 if i.state == "open" and i.deadline is not None]
        return min(times) if times else None

    def actions(self) -> list[Action]:
        out, self._actions = self._actions, []
        return out

    def changed(self) -> list[Incident]:
        out = list(self._changed.values())
        self._changed.clear()
        return out

    def forget(self, incident_id: int) -> None:
        """Drop a closed incident from memory (it stays in the log)."""
        incident = self.incidents.pop(incident_id, None)
        if incident is not None:
            for msg_id in incident.messages:
                self._by_message.pop(msg_id, None)

    # -- steps ------------------------------------------------------------------------------
    def _send_step(self, rule: Rule, incident: Incident, now: float) -> None:
        inp = incident.input
        incident.messages, incident.refused = {}, []
        priority = rule.message_priority or _priority_of(inp)
        melody = rule.melody or (f"MsgMelody{inp.beep}" if inp.beep and 1 <= inp.beep <= 9
                                 else "")
        content = _render(rule.text, inp)
        for number in self._users(rule.steps[incident.step]):
            msg_id = self._message_id()
            incident.messages[msg_id] = number
            self._by_message[msg_id] = incident.id
            self._actions.append(Send(msg_id, incident.id, number, content, rule.title,
                                      priority, melody, rule.popup, rule.confirm))
            self._log("send", f"#{incident.id} to {number}",
                      f"step {incident.step + 1}, {priority}: {content}")
        incident.deadline = now + rule.escalate_after
        self._changed[incident.id] = incident
        if not incident.messages:
            self._escalate(rule, incident, now, "the step names nobody")

    def _refused(self, rule: Rule, incident: Incident, msg_id: int, now: float) -> None:
        if msg_id not in incident.refused:
            incident.refused.append(msg_id)
            self._changed[incident.id] = incident
        if set(incident.refused) >= set(incident.messages):
            self._escalate(rule, incident, now, "every phone of the step refused")

    def _escalate(self, rule: Rule, incident: Incident, now: float, why: str) -> None:
        for msg_id in incident.messages:
            self._by_message.pop(msg_id, None)
        if incident.step + 1 < len(rule.steps):
            incident.step += 1
            self._log("escalated", f"#{incident.id}", f"{why}: step {incident.step + 1}")
            if rule.trap:
                self._trap(rule, incident, "escalated", f"{why}: step {incident.step + 1}")
            self._send_step(rule, incident, now)
            return
        incident.state, incident.deadline, incident.messages = "failed", None, {}
        self._changed[incident.id] = incident
        self._log("failed", f"#{incident.id}", f"{why}; no step left")
        if self._espa(rule, incident):
            self._status(incident, c.EspaStatus.FAILED, "nobody confirmed")
        if rule.trap:
            self._trap(rule, incident, "failed", why)

    # -- helpers ----------------------------------------------------------------------------
    def _users(self, step: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for entry in step:
            members: Sequence[str]
            if entry.startswith("group:"):
                members = self.groups.get(entry[len("group:"):], ())
            elif entry.startswith(c.NEAR_PREFIX):
                members = self.near(parse_near(entry)) if self.near is not None else []
                self._log("near", entry, ", ".join(members) or "nobody")
            else:
                members = (entry,)
            out += [m for m in members if m not in out]
        return out

    def _message_id(self) -> int:
        msg_id = self.next_message
        self.next_message = msg_id + 1 if msg_id + 1 < c.MAX_MESSAGE_ID else 1
        return msg_id

    def _of(self, msg_id: int) -> tuple[Incident | None, Rule | None]:
        incident = self.incidents.get(self._by_message.get(msg_id, -1))
        if incident is None or incident.state != "open" or msg_id not in incident.messages:
            return None, None
        return incident, self._rule(incident.rule)

    def _rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    @staticmethod
    def _espa(rule: Rule, incident: Incident) -> bool:
        return rule.espa_status and incident.input.source == "espa"

    def _status(self, incident: Incident, status: str, text: str) -> None:
        self._actions.append(Status(incident.input.key, status, text))
        self._log("espa-status", incident.input.key, f"{status}: {text}")

    def _trap(self, rule: Rule, incident: Incident, kind: str, text: str,
              user: str = "") -> None:
        inp = incident.input
        self._actions.append(Trap(kind, f"{inp.source}:{inp.key}", text,
                                  rule.message_priority or _priority_of(inp), user))
        self._log("trap", kind, f"#{incident.id} {text}")

    def _log(self, kind: str, subject: str, text: str) -> None:
        self._actions.append(Log(kind, subject, text))


def _priority_of(inp: Input) -> str:
    if inp.source == "espa":
        try:
            return c.MESSAGE_PRIORITY[c.Priority(inp.priority)]
        except ValueError:
            return "Normal"
    return "Emergency" if inp.source == "alarm" else "High"


def _render(template: str, inp: Input) -> str:
    try:
        return template.format(text=inp.text, key=inp.key, source=inp.source,
                               origin=inp.origin, priority=inp.priority)
    except (KeyError, IndexError, ValueError):
        return template


def _describe(inp: Input) -> str:
    words = f"{inp.text!r} priority {inp.priority}"
    return f"{words} from {inp.origin}" if inp.origin else words
