"""Where the Event Manager believes its users are (docs/eventmgr.md "Locating"), sans-I/O.

It is told the OMM's users (number, device, locatable) and RFPs (id, name, place on the site
plan), and every EventPositionInfo (the RFPs a handset heard, strongest first) and PP state
change; it answers which users are near a location (a rule step's `near:` entry) and turns a
handset that stopped answering, or detached, into the OMM inputs `user-lost:NUMBER` and
`user-detached:NUMBER`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from eventmgr import conventions as c


@dataclass(frozen=True)
class Near:
    """A rule step's `near:` target: RFPs by id or name, or a circle on the site plan."""

    rfps: tuple[str, ...] = ()
    """RFP ids or names (names compare without letter case)."""
    point: tuple[float, float, float] | None = None
    """x, y and radius in metres: the users whose best RFP stands within it."""


def parse_near(entry: str) -> Near:
    """`near:ID_OR_NAME[|ID_OR_NAME...]` or `near:X,Y,RADIUS` (ValueError says what is wrong)."""
    spec = entry[len(c.NEAR_PREFIX):].strip() if entry.startswith(c.NEAR_PREFIX) else ""
    if not spec:
        raise ValueError(f"{entry!r}: give near:RFP (an id or name), near:RFP1|RFP2 or "
                         "near:X,Y,RADIUS")
    parts = spec.split(",")
    if len(parts) == 3:
        try:
            x, y, radius = (float(p) for p in parts)
        except ValueError:
            raise ValueError(f"{entry!r}: near:X,Y,RADIUS takes three numbers") from None
        if radius <= 0:
            raise ValueError(f"{entry!r}: the radius is metres above 0")
        return Near(point=(x, y, radius))
    names = tuple(p.strip() for p in spec.split("|"))
    if not all(names):
        raise ValueError(f"{entry!r}: an empty RFP name")
    return Near(rfps=names)


@dataclass
class User:
    number: str
    ppn: int
    locatable: bool


@dataclass
class Whereabouts:
    """The users, the RFPs and the last position of each handset."""

    users: dict[int, User] = field(default_factory=dict)
    """By device (ppn)."""
    rfps: dict[int, tuple[str, float, float]] = field(default_factory=dict)
    """RFP id -> (name, x, y)."""
    last: dict[int, int] = field(default_factory=dict)
    """ppn -> the RFP it heard best when last located."""
    lost: set[int] = field(default_factory=set)
    """Devices that did not answer their last position request."""
    attached: dict[int, bool] = field(default_factory=dict)
    """ppn -> whether its PP state says it is on the air (callState other than none)."""

    def set_users(self, users: list[User]) -> None:
        self.users = {u.ppn: u for u in users if u.ppn}

    def to_locate(self) -> list[int]:
        """The devices of locatable users: what a locating round asks about."""
        return sorted(p for p, u in self.users.items() if u.locatable)

    def located(self, ppn: int, rfp_ids: list[int]) -> str | None:
        """An EventPositionInfo: the RFPs heard, strongest first (none: it did not answer).
        The input key `user-lost:NUMBER` when it went silent after being heard."""
        user = self.users.get(ppn)
        if rfp_ids:
            self.last[ppn] = rfp_ids[0]
            self.lost.discard(ppn)
            return None
        self.last.pop(ppn, None)
        if ppn in self.lost or user is None:
            return None
        self.lost.add(ppn)
        return f"{c.USER_LOST}:{user.number}"

    def pp_state(self, ppn: int, call_state: str) -> str | None:
        """An EventPPState's callState: `user-detached:NUMBER` when it left the air."""
        on_air = call_state != "none"
        was = self.attached.get(ppn)
        self.attached[ppn] = on_air
        user = self.users.get(ppn)
        if was and not on_air and user is not None:
            self.last.pop(ppn, None)
            return f"{c.USER_DETACHED}:{user.number}"
        return None

    def near(self, target: Near) -> list[str]:
        """The numbers of the users whose handsets were last located at the target."""
        wanted = self._rfps_of(target)
        return sorted(u.number for p, u in self.users.items() if self.last.get(p) in wanted)

    def _rfps_of(self, target: Near) -> set[int]:
        if target.point is not None:
            x, y, radius = target.point
            return {i for i, (_, rx, ry) in self.rfps.items()
                    if math.hypot(rx - x, ry - y) <= radius}
        names = {n.lower() for n in target.rfps}
        return {i for i, (name, _, _) in self.rfps.items()
                if str(i) in names or name.lower() in names}
