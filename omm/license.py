"""How the OMM's licence stands: grants, violations and the latency (grace) period (features.md
rows 11-13 and "Licensing"; AXI LicenseType, GetLicense, EventLicenseCnf; health `license`).

Sans-I/O like omm.central: its owner calls refresh(now) when something it counts changed and
arms get_timer() (the moment the latency period runs out); the facts it judges come through
one narrow callable. The conventions of the real product are in the table below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from omm.health import Health, HealthState
from omm.licensefile import Grant
from omm.settings import Settings
from omm.tables import Change
from sipdect.axi.conventions import LIMITS, OMM_VERSION

# -- conventions (the one place for the licence tiers and the latency period) -----------------

LATENCY_MINUTES: Final = LIMITS["licLatency"]
"""[S] The full latency period, minutes: a real LimitsResp says licLatency="43200" (30 days);
the RFP link's SYS_LICENSE_TIMER counts it in minutes too (omm-rfp.md §3.2). R3.0 documented
72 hours; later releases report this. It drains 1:1 while a violation lasts and recharges 1:1
up to full once it ends (R3.0 §6.1.1), so a real GetLicenseResp can show latency="22458"
without a violation."""

BUILT_IN_RFPS: Final = 5
"""[C] RFPs an installation may run without a licence file (R6.0 and later, features.md row
12; R3.0 allowed 2)."""

BUILT_IN: Final = Grant(type="small", rfps=BUILT_IN_RFPS, messaging=0, receive_messages=False,
                        locating=0, g729=0, srtp=False, dect_security=False, key="")
"""No licence file: RFPs only, no optional licence (R3.0 §6.4.1: telephony only, messaging
of priority Info only, no locating, no G.729)."""

FULL: Final = Grant()
"""The emulator's default: everything granted, bound to nothing (README "Licences")."""

UNLICENSED_PRIORITIES: Final = frozenset({"Info"})
"""[M] What may be sent without a messaging licence (R3.0 §6.4.1: "no messaging (except prio
Info)")."""

RESTRICTION: Final = "calls and messages are refused until the violation ends"
"""[M, decided] What the OMM restricts once the latency period has run out. R3.0 §6.1.1: "the
OMM restricts all licensed features"; the NeXspan guide: "the DECT system will block voice
transmissions". So: a handset's call set-up is released and a SIP INVITE to one answered 503
(omm.sip.calls), SendMessage answers ELicense (omm.axi.handlers.messaging); registrations,
subscriptions and configuration keep working, so an administrator can still fix it. The
restriction lifts as soon as the violation ends (the manuals say nothing of a lock)."""

HEALTH_COMPONENT: Final = "license"
FILE_SETTING: Final = "LicenseFile"
"""Settings group keeping an uploaded licence file's text (AXI PutFile ":license"): it is the
installation's licence from then on, before [omm.license] (as the ConfigURL in the database
comes before DHCP's)."""

STATE_SETTING: Final = "License"
"""Settings group (not an AXI one) keeping the latency left across restarts: remaining
(minutes) and since (when last counted). A real OMM keeps it in its RFPs (SYS_LICENSE_TIMER)."""

CHANGE_KIND: Final = "license"
"""The model's Change when what GetLicense shows (apart from the latency's ticking) changed."""

#: [D] LicenseStateType, by how many validation RFPs are missing, and when blocked.
_STATES = {0: "activeLicense", 1: "noRedundancyLicense", 2: "inactiveLicense"}

LogFn = Callable[[str, str, str], object]

_DRAINED: Final = 1e-3
"""Minutes left that count as none (the timer's clock and the model's may differ by a hair)."""


def release_number(text: str) -> tuple[int, ...]:
    """'OpenMobility Manager SIP-DECT 9.1SP1 (...)' or '9.1' -> (9, 1)."""
    m = re.search(r"(\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the licence is judged on, as the model sees it now."""

    park: str
    """The installation's PARK, upper-case."""
    rfps: int
    """Configured RFPs."""
    validation: tuple[tuple[int, str, bool], ...]
    """Per validation MAC of the licence: (RFP id or -1, MAC, connected)."""
    locatables: int = 0
    """Users that may be located."""


@dataclass(frozen=True, slots=True)
class Standing:
    """What GetLicense shows, apart from the latency left."""

    type: str
    state: str
    violations: tuple[str, ...]
    """LicenseViolationType values; ("noViolation",) when none."""
    park: str
    validation: tuple[tuple[int, str, bool], ...]
    blocked: bool
    detail: str
    """Why, in words (health reason, event log)."""


class License:
    """One OMM's licence and how it stands."""

    def __init__(self, grant: Grant, settings: Settings, health: Health, log: LogFn,
                 notify: Callable[[Change], None], facts: Callable[[], Facts], *,
                 latency_minutes: int = LATENCY_MINUTES) -> None:
        self.grant = grant
        self.latency_minutes = latency_minutes
        """The full latency period, minutes ([omm.license] latency; LATENCY_MINUTES)."""
        self.settings = settings
        """The OMM's settings: where the latency left is kept (STATE_SETTING)."""
        self._health = health
        self._log = log
        self._notify = notify
        self._facts = facts
        self.standing: Standing | None = None

    # -- what the rest of the OMM asks ---------------------------------------------------------
    @property
    def blocked(self) -> bool:
        """The latency period ran out while a violation lasts: RESTRICTION applies."""
        return self.standing is not None and self.standing.blocked

    def may_send(self, priority: str) -> bool:
        """Whether a message of this MessagePrioType may be sent now."""
        if self.blocked:
            return False
        return self.grant.messaging > 0 or priority in UNLICENSED_PRIORITIES

    def remaining(self, now: float) -> float:
        """Minutes of the latency period left at `now` (counted as refresh would)."""
        remaining, _ = self._counted(now)
        return remaining

    # -- the latency period ------------------------------------------------------------------------
    def _stored(self, now: float) -> tuple[float, float]:
        st = self.settings.get(STATE_SETTING)
        remaining = float(st.get("remaining", self.latency_minutes))
        return min(remaining, float(self.latency_minutes)), float(st.get("since", now))

    def _counted(self, now: float) -> tuple[float, float]:
        """(minutes left, since) brought up to `now` under the standing in force until now."""
        remaining, since = self._stored(now)
        if self.standing is None:
            return remaining, now  # the OMM was not running: nothing counted meanwhile
        elapsed = max(0.0, now - since) / 60.0
        violated = self.standing is not None and self.standing.violations != ("noViolation",)
        if violated:
            remaining = max(0.0, remaining - elapsed)
        else:
            remaining = min(float(self.latency_minutes), remaining + elapsed)
        return remaining, now

    def get_timer(self) -> float | None:
        """When the latency period runs out (None: no violation, or already out)."""
        if self.standing is None or self.standing.blocked or \
                self.standing.violations == ("noViolation",):
            return None
        remaining, since = self._stored(0.0)
        return since + max(0.0, remaining - _DRAINED) * 60.0

    def handle_timer(self, now: float) -> None:
        self.refresh(now)

    # -- judging ---------------------------------------------------------------------------------
    def _judge(self, facts: Facts, remaining: float) -> Standing:
        g = self.grant
        violations: list[str] = []
        why: list[str] = []
        missing = sum(1 for _, _, connected in facts.validation if not connected)
        if g.park and g.park != facts.park:
            violations.append("noLicense")
            why.append(f"the licence is for PARK {g.park}, the OMM has {facts.park}")
        elif missing >= 2:
            violations.append("noLicense")
            why.append(f"{missing} of the licence's {len(facts.validation)} validation RFPs "
                       "are not connected")
        if facts.rfps > g.rfps:
            violations.append("numRFPs")
            why.append(f"{facts.rfps} RFPs configured, {g.rfps} licensed")
        if release_number(g.version) < release_number(OMM_VERSION):
            violations.append("swRelease")
            why.append(f"the licence allows release {g.version}, the OMM runs "
                       f"{'.'.join(map(str, release_number(OMM_VERSION)))}")
        if g.type == "standard" and facts.locatables > g.locating:
            violations.append("numLocatables")
            why.append(f"{facts.locatables} users locatable, {g.locating} licensed")
        if g.type == "small":
            state = "noLicense"
        elif g.park and g.park != facts.park:
            state = "noLicense"
        else:
            state = _STATES[min(missing, 2)]
        blocked = bool(violations) and remaining <= _DRAINED
        if blocked and state != "noLicense":
            state += "Blocked"
        if not violations and missing == 1:
            why.append("one validation RFP is not connected")
        return Standing(g.type, state, tuple(violations) or ("noViolation",), facts.park,
                        facts.validation, blocked, "; ".join(why))

    def refresh(self, now: float) -> None:
        """Count the latency up to `now`, judge the facts again, and announce a change (event
        log, health, Change CHANGE_KIND)."""
        remaining, since = self._counted(now)
        before = self.standing
        after = self._judge(self._facts(), remaining)
        stored = self.settings.get(STATE_SETTING)
        full = remaining >= self.latency_minutes and stored.get("remaining") == \
            self.latency_minutes
        if not full or after.violations != ("noViolation",):
            # A full period that stays full needs no write (an RFP import is no write more).
            self.settings.update(STATE_SETTING, {"remaining": remaining, "since": since},
                                 notify=False)
        if after == before:
            return
        self.standing = after
        self._health.set(HEALTH_COMPONENT, self._health_state(after))
        self._log_change(before, after, remaining)
        self._notify(Change(CHANGE_KIND, None))

    def _health_state(self, s: Standing) -> HealthState:
        if s.blocked:
            return HealthState("Error", "License latency period expired",
                               f"{s.detail}; {RESTRICTION}")
        if s.violations != ("noViolation",):
            code = {"inactiveLicense": "Inactive license", "noLicense": "No license"}.get(
                s.state, "")
            return HealthState("Warning", code, f"licence violation ({s.detail}); everything "
                                                "works while the latency period runs")
        if s.state == "noRedundancyLicense":
            return HealthState("Warning", "License with no redundancy", s.detail)
        return HealthState("OK")

    def _log_change(self, before: Standing | None, after: Standing, remaining: float) -> None:
        violated = after.violations != ("noViolation",)
        was = before is not None and before.violations != ("noViolation",)
        if after.blocked and not (before is not None and before.blocked):
            self._log("FatalErr", "LICENSE", f"License latency period expired ({after.detail}): "
                                             f"{RESTRICTION}")
        elif violated and (not was or before is None or before.violations != after.violations):
            self._log("MajorErr", "LICENSE",
                      f"License violation {', '.join(after.violations)} ({after.detail}); "
                      f"{int(remaining)} minutes of the latency period left")
        elif was and not violated:
            self._log("GenInfo", "LICENSE", "License violation ended; the latency period "
                                            "recharges")
        elif after.state != (before.state if before else None) and before is not None:
            self._log("MinorErr" if after.state == "noRedundancyLicense" else "GenInfo",
                      "LICENSE", f"License state {after.state}" +
                      (f" ({after.detail})" if after.detail else ""))

    def install(self, grant: Grant, now: float) -> None:
        """A new licence (an uploaded file): judged at once, announced if it shows otherwise."""
        self.grant = grant
        self.refresh(now)

    def rebind(self, health: Health) -> None:
        """Report to this Health (the model kept its live-state objects over a re-read)."""
        self._health = health

    def forget(self) -> None:
        """Judged afresh at the next refresh (the model was reset); announces nothing."""
        self.standing = None


def describe(lic: License, now: float) -> dict[str, Any]:
    """The licence as plain data (the control API, `sipdect ctl license`, the web UI)."""
    s = lic.standing
    g = lic.grant
    return {
        "type": g.type, "state": s.state if s else "", "violations": list(s.violations)
        if s else [], "blocked": lic.blocked, "latency": int(lic.remaining(now)),
        "latency_full": lic.latency_minutes, "park": s.park if s else "",
        "detail": s.detail if s else "",
        "rfps": g.rfps, "messaging": g.messaging, "locating": g.locating, "g729": g.g729,
        "srtp": g.srtp, "dect_security": g.dect_security, "version": g.version,
        "validation": [{"id": i, "ethAddr": m, "connected": c}
                       for i, m, c in (s.validation if s else ())],
    }
