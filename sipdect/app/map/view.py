"""What the live site map shows (issue 14 item 3), read from a running system: the RFPs with
their state and sync parent, the handsets with their RFP and call state, the calls with their
media path, the coverage contours of the air model, and the event narrative.

Plain functions over the system's objects plus `diff`, which turns two readings into the delta
the page is sent; the feed (sipdect.app.map.feed) decides when to read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dect.identities import Ipei
from sim.air import PathLoss
from sim.handset import CallState
from sipdect.app.events import Event

if TYPE_CHECKING:
    from sipdect.app.system import System

Record = dict[str, Any]
"""One thing on the map as the page gets it (JSON)."""
KINDS = ("rfps", "handsets", "calls")
"""The collections of a reading, each by id."""

COVERAGE_LEVELS: tuple[tuple[str, str], ...] = (
    ("sync", "RFPs sync to each other within this (features.md §2.4: -70 dBm)"),
    ("edge", "a handset still decodes the RFP within this"),
)
"""The contours drawn round each RFP, from the air model's PathLoss (sim.air): the level an
RFP syncs at and the receivers' sensitivity."""
POSITION_DECIMALS = 2
"""Positions are sent to the centimetre: finer changes are no news to a map."""


def coverage(path_loss: PathLoss) -> list[Record]:
    """The radius in metres of each contour of COVERAGE_LEVELS under the air's propagation
    model (log-distance: the same in every direction, so a contour is a circle)."""
    levels = {"sync": path_loss.sync_min_dbm, "edge": path_loss.sensitivity_dbm}
    return [{"name": name, "dbm": levels[name], "what": what,
             "m": round(path_loss.distance_for(levels[name]), 1)}
            for name, what in COVERAGE_LEVELS]


def rfp_state(running: bool, site: Any, synced: bool) -> str:
    """The RFP state as the OMM web UI names it (features.md): Synchronous once synced,
    Searching while radiating without sync, Inactive with DECT off, Not connected without a
    link (also switched off or its host down)."""
    if not running or site is None or not site.powered or not site.connected:
        return "Not connected"
    if not site.dect_on:
        return "Inactive"
    return "Synchronous" if synced else "Searching"


ENDPOINT_KINDS = ("ssh", "snmp")
"""The RFP's services a map shows where to reach (issue 16): its SSH shells and its SNMP
agent, each as "address:port" while it listens, else None."""


def endpoints(host: Any) -> Record:
    """Where an RFP host's SSH shells and SNMP agent listen now (ENDPOINT_KINDS), and whose
    login the user shell takes (`ssh_user`: omm in factory state, else its OMM's account)."""
    out: Record = dict.fromkeys(ENDPOINT_KINDS)
    for endpoint in host.endpoints():
        if endpoint.protocol in out:
            out[endpoint.protocol] = f"{endpoint.host}:{endpoint.port}"
    station = host.station
    out["ssh_user"] = station.access.user_name if station is not None else None
    return out


@dataclass
class Numbers:
    """The configured users' numbers by handset IPEI (OMM form) and back: who a call is with."""

    of_ipei: dict[str, str] = field(default_factory=dict)
    ipei_of: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, system: System) -> Numbers:
        out = cls()
        for user in system.cfg.users:
            if user.handset:
                ipei = Ipei.parse(user.handset).omm_form()
                out.of_ipei[ipei] = user.number
                out.ipei_of[user.number] = ipei
        return out


class Reader:
    """Reads what the map shows from a running system, whole or a part; remembers what never
    changes for a handset (its IPEI as text, its user's number)."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.numbers = Numbers.of(system)
        self._ipei: dict[int, tuple[object, str]] = {}
        """id(handset) -> (handset, IPEI text): the text takes a check digit to make."""

    def read(self) -> dict[str, dict[str, Record]]:
        """Everything the map shows now, by kind and id."""
        handsets = self.handsets()
        return {"rfps": self.rfps(), "handsets": handsets, "calls": self.calls(handsets)}

    def rfps(self) -> dict[str, Record]:
        site = self.system.site
        air = site.world.air if site.world is not None else None
        out: dict[str, Record] = {}
        for air_id, host in list(site.rfps.items()):
            radio = air.rfps.get(air_id) if air is not None else None
            status = air.sync_status(air_id) if air is not None and radio is not None else None
            synced = status is not None and status.synced
            out[str(air_id)] = {
                "id": air_id, "host": host.name, "name": host.cfg.name or host.name,
                "x": host.cfg.x, "y": host.cfg.y, "cluster": host.cfg.cluster,
                "omm": host.cfg.omm,
                "state": rfp_state(host.running, radio, synced),
                "powered": bool(host.running and radio is not None and radio.powered),
                "reference": bool(status is not None and status.reference),
                "parent": status.parent if status is not None else None,
                **endpoints(host)}
        return out

    def handsets(self) -> dict[str, Record]:
        world = self.system.site.world
        if world is None:
            return {}
        out: dict[str, Record] = {}
        for hid in list(world.handsets):
            record = self.handset(hid)
            if record is not None:
                out[str(hid)] = record
        return out

    def handset(self, hid: int) -> Record | None:
        """One handset as the map shows it; None when it is not on the air."""
        world = self.system.site.world
        entry = world.handsets.get(hid) if world is not None else None
        portable = world.air.handsets.get(hid) if world is not None else None
        if entry is None or portable is None or world is None:
            return None
        h = entry.handset
        ipei = self.ipei(h)
        sub = h.subscription
        return {"id": hid, "name": entry.name, "ipei": ipei,
                "number": self.numbers.of_ipei.get(ipei, ""),
                "x": round(portable.x, POSITION_DECIMALS),
                "y": round(portable.y, POSITION_DECIMALS),
                "rfp": h.rfp_id, "state": h.state.value,
                "attached": bool(sub is not None and sub.tpui is not None
                                 and h.location.value == "registered"),
                "call": h.call_state.value, "walking": hid in world.walks}

    def ipei(self, handset: Any) -> str:
        known = self._ipei.get(id(handset))
        if known is None or known[0] is not handset:
            known = self._ipei[id(handset)] = (handset, str(handset.ipei))
        return known[1]

    def calls(self, handsets: Mapping[str, Record]) -> dict[str, Record]:
        """The calls of the handsets in `handsets` (their records), each once: between two
        handsets when the far end's number is a handset's, else to the call server."""
        world = self.system.site.world
        if world is None:
            return {}
        active = [r for r in handsets.values() if r["call"] != "idle"]
        if not active:
            return {}
        by_number = {r["number"]: r["id"] for r in active if r["number"]}
        media = _MediaRfps(self.system)
        calls: dict[str, Record] = {}
        for record in active:
            hid = record["id"]
            entry = world.handsets.get(hid)
            if entry is None:
                continue
            h = entry.handset
            far = by_number.get(h.call_number)
            paired = far is not None and far != hid and far in world.handsets
            if paired and far is not None and far < hid:
                continue  # told from the other end
            key = f"{hid}-{far}" if paired else f"{hid}-out"
            path: list[list[Any]] = [["h", hid], *(["r", r] for r in media.side(entry))]
            states = {h.call_state}
            if paired and far is not None:
                other = world.handsets[far]
                path += [["r", r] for r in reversed(media.side(other))] + [["h", far]]
                states.add(other.handset.call_state)
            else:
                path.append(["x", h.call_number])  # the call server and whoever is behind it
            state = ("connected" if states == {CallState.CONNECTED} else
                     "ringing" if CallState.INCOMING in states or CallState.RINGBACK in states
                     else "setup")
            calls[key] = {"id": key, "a": hid, "b": far if paired else None,
                          "far": h.call_number, "state": state, "path": path}
        return calls


class _MediaRfps:
    """The air ids of the RFPs that carry a handset's call: the one it is on and, once media
    runs, the anchor its OMM keeps the call's RTP on (omm.media: the RFP where the call
    started; after a handover it redirects to the new one)."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.air_ids = {(h.cfg.omm, h.rfp_id): air_id for air_id, h in system.site.rfps.items()
                        if h.rfp_id is not None}

    def side(self, entry: Any) -> list[int]:
        """Nearest first: the RFP the handset is on, then the anchor when another."""
        current = entry.handset.rfp_id
        out = [] if current is None else [current]
        host = self.system.site.rfps.get(current) if current is not None else None
        anchor = self._anchor(host.cfg.omm, str(entry.handset.ipei)) if host is not None else None
        if anchor is not None and anchor not in out:
            out.append(anchor)
        return out

    def _anchor(self, omm: str, ipei: str) -> int | None:
        try:
            service = getattr(self.system.omm_host(omm), "service", None)
        except KeyError:
            return None
        if service is None:  # it runs in a process of its own: the map knows no anchor
            return None
        device = service.model.devices.by_ipei.get(ipei)  # both the OMM's spaced form
        rfps = service.media.media_rfps(device) if device is not None else ()
        return self.air_ids.get((omm, rfps[0])) if rfps else None


# -- the narrative ----------------------------------------------------------------------------
RESET_TEXT = "reset"
"""The text of the fault mark System.reset makes."""
HOST_QUIET_STATES = ("starting", "running")
"""Host states that raise no alarm; running after another one clears it."""
SKIPPED_CALL_STATES = frozenset({"idle", "proceeding", "ringback", "incoming"})
"""Call states the narrative leaves out: an incoming call and a call's end are told by their
own events (with the caller and the reason), and setting up by "dialling"."""


@dataclass
class Narrator:
    """Turns the event bus's events into the narrative beside the map: subscription,
    registration, call, handover, roaming, failover and alarm, each with its time; the rest
    (displays, positions, ...) is not told."""

    attached: dict[str, str] = field(default_factory=dict)
    """Each handset's last "attached at RFP" (a new one is a handover or roaming)."""
    omm_of: dict[str, str] = field(default_factory=dict)
    """Each RFP's last "connected to OMM" (another one is a failover)."""
    host_state: dict[str, str] = field(default_factory=dict)
    """Each host's last state (running again after a fault clears its alarm)."""

    def tell(self, event: Event, in_call: Callable[[str], bool], wall: float) -> Record | None:
        """The narrative entry of `event` (None: not told). `in_call(subject)`: whether that
        handset is in a call now; `wall`: the event's time of day (epoch seconds)."""
        kind = self.kind(event, in_call)
        if kind is None:
            return None
        return {"seq": event.seq, "t": round(wall, 3), "kind": kind, "subject": event.subject,
                "text": event.text, "fault": event.mark}

    def kind(self, event: Event, in_call: Callable[[str], bool]) -> str | None:
        text, subject = event.text, event.subject
        if event.mark:
            if text == RESET_TEXT:  # everything starts afresh: no handover across a reset
                self.attached.clear()
                self.omm_of.clear()
                self.host_state.clear()
            return "alarm"
        if event.kind == "call":
            return None if text in SKIPPED_CALL_STATES else "call"
        if event.kind == "registration":
            return "registration"
        if event.kind == "omm":
            return "failover"
        if event.kind == "handset":
            if subject.endswith(" position"):
                return None
            if text.startswith("subscri") or text.startswith("subscription"):
                return "subscription"
            if text.startswith("location registration") or text == "location registered":
                return "registration"
            if text.startswith("attached at "):
                before, self.attached[subject] = self.attached.get(subject), text
                if before is None or before == text:
                    return None
                return "handover" if in_call(subject) else "roaming"
            return None
        if event.kind == "rfp":
            if text.startswith("connected to "):
                omm = text.removeprefix("connected to ").split(",")[0]
                before, self.omm_of[subject] = self.omm_of.get(subject), omm
                return "failover" if before is not None and before != omm else None
            return "alarm" if text.startswith("link lost") or text == "gone" else None
        if event.kind == "host":
            before, self.host_state[subject] = self.host_state.get(subject), text
            if text in HOST_QUIET_STATES:
                return "alarm cleared" if before not in (None, *HOST_QUIET_STATES) else None
            return "alarm"
        return None


def diff(old: Mapping[str, Mapping[str, Record]], new: Mapping[str, Mapping[str, Record]]
         ) -> tuple[dict[str, list[Record]], dict[str, list[str]]]:
    """What changed from `old` to `new`: (records new or changed, by kind; ids gone, by kind).
    Both empty when nothing did."""
    changed: dict[str, list[Record]] = {}
    gone: dict[str, list[str]] = {}
    for kind in KINDS:
        before, now = old.get(kind, {}), new.get(kind, {})
        news = [record for key, record in now.items() if before.get(key) != record]
        left = [key for key in before if key not in now]
        if news:
            changed[kind] = news
        if left:
            gone[kind] = left
    return changed, gone
