"""What user monitoring rests on, in one table: the system parameters (AXI UserMonitoringType)
with their units, ranges and defaults, and the emulator's reading of each monitoring state.

Ranges are the OM System Manual's ("System settings: User monitoring": start-up delay 2-15 min,
activity timeout 1 (passive) 30-1440 min, activity timeout 2 (active) 5-60 min, battery
threshold 0-100 % in steps of 5, locating escalation off by default). Marked [A] what the
manual does not say and the emulator decided.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The user's monitoring mode (PPUserMonitoringModeType); a new user: Off (seed 000).
MODES = ("Off", "Passive", "Active")
OFF, PASSIVE, ACTIVE = MODES

#: Seconds per unit of the time parameters: all four are minutes (the manual's ranges);
#: escalationDelay's unit is not documented: minutes as the others [A].
MINUTE_S = 60.0


@dataclass(frozen=True, slots=True)
class Parameter:
    """One UserMonitoringType attribute."""

    name: str
    """Its AXI name."""
    kind: str
    """"int" or "bool"."""
    default: int | bool
    """A new installation's value."""
    low: int = 0
    """Smallest value SetUserMonitoring accepts (int only)."""
    high: int = 0
    """Largest value (int only)."""
    step: int = 1
    """Values are multiples of this (batteryThresholdValue: 5 %)."""


#: UserMonitoringType, in the schema's order. Defaults [A] (not published): a start-up delay of
#: 5 min, escalation after 2 min, 8 h of silence in passive mode, 15 min in active mode, and
#: a battery warning at 20 %; escalationDelay's range is 1-60 min [A].
PARAMETERS: tuple[Parameter, ...] = (
    Parameter("startupDelay", "int", 5, 2, 15),
    Parameter("escalationDelay", "int", 2, 1, 60),
    Parameter("activityTimeout1", "int", 480, 30, 1440),
    Parameter("activityTimeout2", "int", 15, 5, 60),
    Parameter("locatingEscalation", "bool", False),
    Parameter("batteryThresholdValue", "int", 20, 0, 100, 5),
)

#: The settings group (GetUserMonitoring / SetUserMonitoring / EventUserMonitoringCnf).
SETTING = "UserMonitoring"
DEFAULTS: dict[str, int | bool] = {p.name: p.default for p in PARAMETERS}

#: PPUserMonitoringStateType, least to most severe: a user's overall state (CUS) is the most
#: severe of its others [A].
STATES = ("Unknown", "Available", "Warning", "Unavailable", "Escalated")
UNKNOWN, AVAILABLE, WARNING, UNAVAILABLE, ESCALATED = STATES

#: What each PPUserType state attribute watches [A]: the schema gives only the abbreviations;
#: each is read as the seed's list of monitored actions names them. HCS, BTS and SWS have no
#: documented meaning and the emulator models nothing they could watch: they stay Unknown.
ASPECTS: dict[str, str] = {
    "HAS": "handset activity: Warning after the activity timeout without activity; in active "
           "mode the OMM then pages the handset: Unavailable if it does not answer or it "
           "detached, Escalated after escalationDelay",
    "HSS": "handset subscription: Available while the user's device is subscribed",
    "HRS": "handset registration (DECT attach): Available while its location registration "
           "stands, Unavailable after a detach",
    "SRS": "SIP registration of the user: Available while registered",
    "SCS": "silent charging: Warning while the handset charges silently (it will not ring)",
    "HBS": "handset battery: Warning at or below batteryThresholdValue %",
    "CDS": "call diversion: Warning while every call is diverted (forwardState All)",
    "CUS": "the user as a whole: the most severe of the others",
}

#: Health component and its reason while monitoring waits out startupDelay (XSD ReasonType);
#: severity Idle: a normal phase, not a fault [A]. Reported only while a user is monitored.
HEALTH_COMPONENT = "umo"
STARTUP_SEVERITY = "Idle"
STARTUP_REASON = "User monitoring is in start up phase"

#: Event log subsystem of monitoring's entries (an escalation, locating escalation) [A].
LOG_SUBSYSTEM = "UMO"
#: The alarm trigger a real OMM raises on escalation when locatingEscalation is on (OM
#: System Manual); the emulator writes it to the event log.
LOCATING_ALARM = "LOC-ERR-USERSTATE"


def worst(states: list[str]) -> str:
    """The most severe of `states` (Unknown when none)."""
    return max(states, key=STATES.index, default=UNKNOWN)
