"""One OMM of a standby pair as a sans-I/O state machine (standby-eventmgr.md A.2, A.3, A.5).

Fed `now` and what happened (the peer heard with its role, start time, address, type and
version; the peer silent; a PBX probe answered or failed), it queues actions for its owner
(become active or inactive, probe the PBX, push or accept the database, reset with an exit
code) and names its next deadline. The states and transitions are the table TRANSITIONS: an
input is first classified into one of A.2's conditions (Trigger), the table says where it
leads. It never reads a clock and owns no socket; its view() is what AXI shows.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from dataclasses import dataclass
from enum import Enum

from omm.standby import conventions as cv
from omm.standby.conventions import StbState
from omm.standby.status import StandbyView


class Phase(Enum):
    """A.2's states (the manual's names)."""

    START_UP = "Start-up"
    SYNC_INACTIVE = "Synchronised Inactive"
    SYNC_ACTIVE = "Synchronised Active"
    UNSYNC_INACTIVE = "Unsynchronised Inactive"
    UNSYNC_ACTIVE = "Unsynchronised Active"
    RESET = "OMM reset"
    """Terminal: the owner restarts the OMM, which begins again with a new machine."""

    @property
    def active(self) -> bool:
        return self in (Phase.SYNC_ACTIVE, Phase.UNSYNC_ACTIVE)


class Trigger(Enum):
    """A.2's conditions, as the machine classifies its inputs."""

    SYNC_OK = "sync OK"
    SYNC_NOK = "sync NOK"
    NONE_ACTIVE_LOWEST_IP = "no OMM is active and I have the lowest IP"
    ONLY_ONE_ACTIVE = "sync OK, only one OMM active"
    PEER_RUNS_LONGER = "sync OK, both active, the other OMM has been running longer"
    I_RUN_LONGER = "sync OK, both active, this OMM has been running longer"
    PBX_REACHABLE = "PBX reachable"
    PBX_UNREACHABLE = "PBX not reachable"


# -- inputs -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PeerInfo:
    """What the other OMM says of itself on the standby link."""

    active: bool
    """Its role: it serves the RFPs and phones."""
    started: float
    """When it started (seconds on a clock both OMMs share, e.g. the epoch)."""
    address: str
    """Its IP address."""
    omm_type: str
    """Its platform ("linux-pc", an RFP type): a different one cannot be a standby."""
    version: str
    """Its OMM version: a different one cannot be a standby."""


# -- actions ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BecomeActive:
    """Serve RFPs, phones and the web UI from now on (A.1: the active runs the web service)."""


@dataclass(frozen=True, slots=True)
class BecomeInactive:
    """Serve nothing; stay a standby."""


@dataclass(frozen=True, slots=True)
class StartPbxProbe:
    """SIP REGISTER the user with the lowest number and OPTIONS the proxy; report the outcome
    with pbx_answered() / pbx_failed() (any SIP answer counts as reachable) (A.2)."""


@dataclass(frozen=True, slots=True)
class Reset:
    """Restart the OMM with this exit code; it comes back in Start-up (A.2)."""

    exit_code: int


@dataclass(frozen=True, slots=True)
class PushDb:
    """Send the whole database to the peer (this OMM is active, the peer a fitting standby)."""


@dataclass(frozen=True, slots=True)
class AcceptPeerDb:
    """Take the active peer's database in place of ours (R30 §9.13.4.2)."""


@dataclass(frozen=True, slots=True)
class Transitioned:
    """The machine moved; `text` is the event-log sentence for it."""

    before: Phase
    after: Phase
    text: str


Action = (BecomeActive | BecomeInactive | StartPbxProbe | Reset | PushDb | AcceptPeerDb
          | Transitioned)


@dataclass(frozen=True, slots=True)
class Row:
    """Where a condition leads from a state, and what the owner is told to do."""

    to: Phase
    actions: tuple[Action, ...] = ()


# A reset takes the OMM out of service at once; it comes back in Start-up, inactive.
_RESET_YIELD = (BecomeInactive(), Reset(cv.EXIT_YIELD))
_RESET_PBX = (BecomeInactive(), Reset(cv.EXIT_PBX_UNREACHABLE))

#: A.2 as data: (from, condition) -> row. Rows marked "decided" fill gaps of the manual's
#: diagram; everything not listed leaves the state as it is.
TRANSITIONS: dict[tuple[Phase, Trigger], Row] = {
    (Phase.START_UP, Trigger.SYNC_OK): Row(Phase.SYNC_INACTIVE),
    (Phase.START_UP, Trigger.SYNC_NOK): Row(Phase.UNSYNC_INACTIVE, (StartPbxProbe(),)),
    (Phase.SYNC_INACTIVE, Trigger.NONE_ACTIVE_LOWEST_IP): Row(Phase.SYNC_ACTIVE,
                                                              (BecomeActive(),)),
    (Phase.SYNC_INACTIVE, Trigger.SYNC_NOK): Row(Phase.UNSYNC_INACTIVE, (StartPbxProbe(),)),
    # The manual's row says "the other OMM is active"; a peer heard inactive is contact too
    # (decided), after which the lowest-IP rule picks the active one.
    (Phase.UNSYNC_INACTIVE, Trigger.SYNC_OK): Row(Phase.SYNC_INACTIVE),
    (Phase.UNSYNC_INACTIVE, Trigger.PBX_REACHABLE): Row(Phase.UNSYNC_ACTIVE, (BecomeActive(),)),
    (Phase.SYNC_ACTIVE, Trigger.SYNC_NOK): Row(Phase.UNSYNC_ACTIVE, (StartPbxProbe(),)),
    # Decided: an active OMM hearing an active peer before it noticed the silence between
    # (one side lost the other only) settles it as after a split.
    (Phase.SYNC_ACTIVE, Trigger.PEER_RUNS_LONGER): Row(Phase.RESET, _RESET_YIELD),
    (Phase.UNSYNC_ACTIVE, Trigger.ONLY_ONE_ACTIVE): Row(Phase.SYNC_ACTIVE),
    # Decided: the longer-running OMM of a split stays active (R30 §9.13.4.2) and is in
    # contact again: Synchronised Active; the other resets.
    (Phase.UNSYNC_ACTIVE, Trigger.I_RUN_LONGER): Row(Phase.SYNC_ACTIVE),
    (Phase.UNSYNC_ACTIVE, Trigger.PEER_RUNS_LONGER): Row(Phase.RESET, _RESET_YIELD),
    (Phase.UNSYNC_ACTIVE, Trigger.PBX_UNREACHABLE): Row(Phase.RESET, _RESET_PBX),
}


class StandbyMachine:
    """One OMM of a pair, from its start until it resets."""

    def __init__(self, now: float, address: str, peer_address: str, omm_type: str,
                 version: str, started: float | None = None, *,
                 peer_lost: float = cv.PEER_LOST_S,
                 pbx_timeout: float = cv.PBX_PROBE_TIMEOUT_S) -> None:
        """`started`: this OMM's start on the clock both OMMs compare (default `now`).
        `peer_lost` (also the start-up wait, cv.STARTUP_WAIT_S) and `pbx_timeout`: the
        pair's configured timers."""
        self.peer_lost = peer_lost
        self.pbx_timeout = pbx_timeout
        self.address = address
        self.peer_address = peer_address
        self.omm_type = omm_type
        self.version = version
        self.started = now if started is None else started
        self.phase = Phase.START_UP
        self.peer: PeerInfo | None = None
        """What the peer last said while in contact (None: not in contact)."""
        self._startup_until: float | None = now + peer_lost
        self._last_heard = now
        self._probe_until: float | None = None
        """A PBX probe is out and fails at this time."""
        self._next_probe: float | None = None
        self._db_done = False
        """The database crossed (pushed or accepted) in this contact."""
        self._actions: deque[Action] = deque()
        self._now = now

    # -- the owner's side ------------------------------------------------------------------
    def next_action(self) -> Action | None:
        """The next thing to do, in order, or None."""
        return self._actions.popleft() if self._actions else None

    def get_timer(self) -> float | None:
        """When handle_timer() must run next (None: nothing pending)."""
        if self.phase is Phase.RESET:
            return None
        times = [t for t in (self._startup_until, self._probe_until, self._next_probe)
                 if t is not None]
        if self.peer is not None:
            times.append(self._last_heard + self.peer_lost)
        return min(times) if times else None

    @property
    def active(self) -> bool:
        return self.phase.active

    # -- inputs ----------------------------------------------------------------------------
    def peer_heard(self, now: float, peer: PeerInfo) -> None:
        """The peer's state arrived on the standby link."""
        self._now = now
        if self.phase is Phase.RESET:
            return
        self.peer_address = peer.address
        self._last_heard = now
        first = self.peer is None
        if first or self.peer is None or peer.started != self.peer.started:
            self._db_done = False  # a new contact, or the peer restarted in between
        self.peer = peer
        if first:
            self._probe_until = self._next_probe = None  # contact makes a PBX probe moot
            self._fire(Trigger.SYNC_OK, f"peer {peer.address} heard")
        self._settle_roles()
        self._cross_db()

    def peer_silent(self, now: float) -> None:
        """The standby link says the peer is gone (closed, or silent for PEER_LOST_S)."""
        self._now = now
        if self.phase is Phase.RESET:
            return
        if self.phase is Phase.START_UP:
            self._startup_until = None
        elif self.peer is None:
            return
        self.peer = None
        self._fire(Trigger.SYNC_NOK, f"peer {self.peer_address} not heard")

    def pbx_answered(self, now: float) -> None:
        """The PBX answered the probe (any SIP response)."""
        self._now = now
        if self._probe_until is None or self.phase is Phase.RESET:
            return
        self._probe_until = None
        self._fire(Trigger.PBX_REACHABLE, "the PBX answered")
        if self.phase is Phase.UNSYNC_ACTIVE:
            self._next_probe = now + cv.PBX_RECHECK_S

    def pbx_failed(self, now: float) -> None:
        """Neither REGISTER nor OPTIONS got an answer."""
        self._now = now
        if self._probe_until is None or self.phase is Phase.RESET:
            return
        self._probe_until = None
        self._fire(Trigger.PBX_UNREACHABLE, "the PBX did not answer")
        if self.phase is Phase.UNSYNC_INACTIVE:
            self._next_probe = now + cv.PBX_RETRY_S

    def handle_timer(self, now: float) -> None:
        """Run whatever is due at `now`."""
        self._now = now
        if self.phase is Phase.RESET:
            return
        if self._startup_until is not None and now >= self._startup_until:
            self.peer_silent(now)
        if self.peer is not None and now >= self._last_heard + self.peer_lost:
            self.peer_silent(now)
        if self._probe_until is not None and now >= self._probe_until:
            self.pbx_failed(now)
        if self._next_probe is not None and now >= self._next_probe:
            self._next_probe = None
            self._start_probe(now)

    # -- what AXI shows ------------------------------------------------------------------------
    def view(self) -> StandbyView:
        """ommStbState, ommStbAddr and the health reason for this moment (A.5)."""
        peer = self.peer
        if peer is None or self.phase in (Phase.START_UP, Phase.RESET):
            return StandbyView(StbState.NOT_SYNCHRONIZED, self.peer_address,
                               f"standby OMM {self.peer_address} not in contact")
        mismatch = self._mismatch(peer)
        if mismatch is StbState.DIFFERENT_TYPES:
            return StandbyView(mismatch, self.peer_address,
                               f"this OMM is {self.omm_type}, {peer.address} {peer.omm_type}")
        if mismatch is StbState.DIFFERENT_VERSIONS:
            return StandbyView(mismatch, self.peer_address,
                               f"this OMM runs {self.version}, {peer.address} {peer.version}")
        return StandbyView(StbState.OK, self.peer_address)

    # -- inside --------------------------------------------------------------------------------
    def _fire(self, trigger: Trigger, why: str) -> None:
        row = TRANSITIONS.get((self.phase, trigger))
        if row is None:
            return
        before, self.phase = self.phase, row.to
        if before is Phase.START_UP:
            self._startup_until = None
        if row.to is Phase.RESET:
            self._probe_until = self._next_probe = None
        text = f"Standby: {before.value} -> {row.to.value} ({why})"
        for action in row.actions:
            if isinstance(action, StartPbxProbe):
                self._probe_until = self._now + self.pbx_timeout
            if isinstance(action, Reset):
                text += f", reset with exit code {action.exit_code}"
            if isinstance(action, BecomeActive):
                self._db_done = False  # the new active pushes to a fitting peer
        self._actions.append(Transitioned(before, row.to, text))
        self._actions.extend(row.actions)

    def _start_probe(self, now: float) -> None:
        self._probe_until = now + self.pbx_timeout
        self._actions.append(StartPbxProbe())

    def _settle_roles(self) -> None:
        """A.2's rules once in contact: lowest IP if nobody is active, longer running if
        both are."""
        peer = self.peer
        assert peer is not None
        if self.phase is Phase.SYNC_INACTIVE and not peer.active and self._lower_ip(peer):
            self._fire(Trigger.NONE_ACTIVE_LOWEST_IP,
                       f"no OMM is active and {self.address} is lower than {peer.address}")
        elif self.phase.active and peer.active:
            if self._runs_longer(peer):
                self._fire(Trigger.I_RUN_LONGER,
                           f"{peer.address} is active too and this OMM runs longer")
            else:
                self._fire(Trigger.PEER_RUNS_LONGER,
                           f"{peer.address} is active too and has been running longer")
        elif self.phase.active:
            self._fire(Trigger.ONLY_ONE_ACTIVE, f"{peer.address} is inactive")

    def _cross_db(self) -> None:
        """Once per contact the database goes from the active to a fitting standby."""
        peer = self.peer
        if peer is None or self._db_done or self._mismatch(peer) is not None:
            return
        if self.phase is Phase.SYNC_ACTIVE and not peer.active:
            self._db_done = True
            self._actions.append(PushDb())
        elif self.phase is Phase.SYNC_INACTIVE and peer.active:
            self._db_done = True
            self._actions.append(AcceptPeerDb())

    def _mismatch(self, peer: PeerInfo) -> StbState | None:
        if peer.omm_type != self.omm_type:
            return StbState.DIFFERENT_TYPES
        if peer.version != self.version:
            return StbState.DIFFERENT_VERSIONS
        return None

    def _lower_ip(self, peer: PeerInfo) -> bool:
        return _ip_key(self.address) < _ip_key(peer.address)

    def _runs_longer(self, peer: PeerInfo) -> bool:
        if self.started != peer.started:
            return self.started < peer.started
        return self._lower_ip(peer)  # conventions.START_TIE_BREAK


def _ip_key(address: str) -> tuple[int, int]:
    """Orders addresses numerically (IPv4 before IPv6) for the lowest-IP rule."""
    ip = ipaddress.ip_address(address)
    return ip.version, int(ip)
