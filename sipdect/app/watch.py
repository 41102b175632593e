"""A timeline of what a system's machines do, for a class watching a fault unfold
(`sipdect ctl watch`, GET /_emu/watch): each fault a trainer causes (host kill, stop, start,
link cut, heal) is a mark, and every change seen since (a host's state, an RFP's link and
sync, a handset attaching or searching) is an event with its time since the last mark.

The Timeline is sans-I/O: it is given snapshots (name -> state text) and marks with `now`
and keeps numbered events; `snapshot(system)` reads one from a running system, whichever
process its hosts run in. The control API polls only while someone watches.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

KEEP_EVENTS = 1000
"""Events a timeline keeps (the oldest go first): a watcher that is away longer misses some."""
POLL_S = 0.25
"""How often the control API reads a snapshot while someone watches."""
IDLE_S = 60.0
"""Polling stops when nobody has asked for this long."""


@dataclass(frozen=True)
class Event:
    seq: int
    at: float
    """Seconds on the timeline's clock (the event loop's)."""
    since_mark: float | None
    """Seconds since the last fault mark; None before the first."""
    text: str
    mark: bool = False
    """A fault caused through the control API, not a change seen."""

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": round(self.at, 3),
                "since_fault": None if self.since_mark is None else round(self.since_mark, 3),
                "text": self.text, "fault": self.mark}


class Timeline:
    def __init__(self) -> None:
        self.events: deque[Event] = deque(maxlen=KEEP_EVENTS)
        self.last_seq = 0
        self._seen: dict[str, str] | None = None
        self._mark_at: float | None = None

    def mark(self, text: str, now: float) -> Event:
        """A fault: later events count their time from here."""
        self._mark_at = now
        return self._add(text, now, mark=True)

    def observe(self, states: dict[str, str], now: float) -> list[Event]:
        """A snapshot: an event for each subject whose state changed, appeared or left (the
        first snapshot is the baseline and gives none)."""
        seen, self._seen = self._seen, dict(states)
        if seen is None:
            return []
        out = []
        for subject, state in states.items():
            if seen.get(subject) != state:
                out.append(self._add(f"{subject}: {state}", now))
        for subject in seen.keys() - states.keys():
            out.append(self._add(f"{subject}: gone", now))
        return out

    def after(self, seq: int) -> list[Event]:
        return [e for e in self.events if e.seq > seq]

    def _add(self, text: str, now: float, *, mark: bool = False) -> Event:
        self.last_seq += 1
        since = None if self._mark_at is None else now - self._mark_at
        event = Event(self.last_seq, now, since, text, mark)
        self.events.append(event)
        return event


def snapshot(system: Any) -> dict[str, str]:
    """What a trainer watches, by subject: each host's state ("host NAME"), each RFP's link,
    the OMM it is up to (a standby pair's RFPs move) and sync (its host name), each
    handset's RFP ("handset IPEI") and where it is ("handset IPEI position", also on a walk).
    """
    out: dict[str, str] = {}
    for host in system.hosts.values():
        out[f"host {host.name}"] = str(host.state)
    for air_id in list(system.site.rfps):
        rfp = system.describe_rfp(air_id)
        linked = "connected" + (f" to {rfp['omm_address']}" if rfp.get("omm_address") else "")
        out[str(rfp["host"])] = (linked if rfp["linked"] else "link lost") + (
            ", synced" if rfp["syncState"] == "Synced" else "")
    world = system.site.world
    if world is not None:
        # From the handsets themselves: describe_handset would describe their RFP again.
        for entry in list(world.handsets.values()):
            handset = entry.handset
            sub = handset.subscription
            rfp = system.site.rfps.get(handset.rfp_id) if handset.rfp_id is not None else None
            attached = sub is not None and sub.tpui is not None
            where = "searching"
            if rfp is not None and attached:  # locked; attached once its location registered
                location = handset.location.value
                where = (f"attached at {rfp.name}" if location == "registered"
                         else f"at {rfp.name}, location {location}")
            out[f"handset {handset.ipei}"] = where
            portable = world.air.handsets.get(entry.id)
            if portable is not None:  # whole metres: a walk shows about one a second
                walking = ", walking" if entry.id in world.walks else ""
                out[f"handset {handset.ipei} position"] = (
                    f"({portable.x:.0f}, {portable.y:.0f}) m{walking}")
    return out


async def omm_states(system: Any) -> dict[str, str]:
    """Each OMM of a standby pair by its name: its role and ommStbState, asked of its child
    process when it runs in one; "down" while it does not run."""
    out: dict[str, str] = {}
    for host in system.hosts.values():
        if host.kind != "omm" or getattr(host.cfg, "standby", None) is None:
            continue
        if not host.running:
            out[host.name] = "down"
            continue
        info = await system.describe_host(host.name)
        if "role" in info:
            out[host.name] = f"{info['role']} (standby state {info['ommStbState']})"
    return out


def registrations(system: Any) -> dict[str, str]:
    """Each configured user's SIP registration at the system's own call server, with the host
    it registered from (the active OMM)."""
    pbx = system.local_pbx_host()
    if pbx is None:
        return {}
    bound: dict[str, str] = {}
    for entry in pbx.service.describe()["registrations"]:
        parts = str(entry.get("source", "")).split(":")  # transport:host:port (IPv4)
        source = parts[1] if len(parts) == 3 else ":".join(parts)
        bound[str(entry["user"])] = system.host_name_of(source)
    return {f"user {u.number}": (f"registered from {bound[u.number]}" if u.number in bound
                                 else "not registered") for u in system.cfg.users}


def line(event: dict[str, Any]) -> str:
    """One event as `sipdect ctl watch` prints it: time since the fault, then what."""
    since = event.get("since_fault")
    when = "        " if since is None else f"{since:+7.2f}s"
    return f"{when}  {'FAULT ' if event.get('fault') else ''}{event['text']}"
