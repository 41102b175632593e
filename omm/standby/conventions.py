"""Every value the standby pair's behaviour rests on, with where it comes from.

Source tags as in shared/specs/standby-eventmgr.md: [D] vendor documentation, [C] client
code, [S] real traffic, [I] inference; "decided" marks this emulator's own choice where the
spec is silent. The state machine (omm.standby.machine) and the AXI surface read them here.
"""

from __future__ import annotations

from enum import StrEnum

from omm.standby.link import HEARTBEAT_S, SILENCE_S
from sipdect.sip.constants import T1

# -- the OMM-OMM link (its own constants, omm.standby.link, are the one place) ------------------
PROBE_INTERVAL_S = HEARTBEAT_S
"""How often each OMM tells its peer it is there: 5 s, the spec's proposal [I] A.3."""
PEER_LOST_S = SILENCE_S
"""Silence after which the peer is lost ("sync NOK"): 3 probes, 15 s, so a takeover completes
within the 30 s the rolling-update rule waits [I] A.3."""
PROBE_MISSES = round(PEER_LOST_S / PROBE_INTERVAL_S)
"""Probes missed in a row before the peer counts as lost [I] A.3."""
STARTUP_WAIT_S = PEER_LOST_S
"""How long a starting OMM listens for its peer before it decides "sync NOK at start-up".
Decided: the same time that declares a running peer lost, so a start-up never concludes
faster than a running OMM would."""

# -- the PBX probe (SIP REGISTER of the lowest number plus OPTIONS to the proxy) -----------------
PBX_PROBE_TIMEOUT_S = 64 * T1
"""A probe that has no answer by then failed: SIP Timer F (64 x T1, 32 s) [I] A.3."""
PBX_RETRY_S = 30.0
"""Unsynchronised Inactive with the PBX unreachable: probe again after this. Decided: the
manuals say the standby stays inactive, not that it gives up; 30 s is the update rule's
period [D] R21 p.150."""
PBX_RECHECK_S = 60.0
"""Unsynchronised Active: check the PBX again after this long, since losing it resets the
OMM (A.2). Decided; long enough that a PBX restart is not a probe storm."""

# -- resets (A.2) -----------------------------------------------------------------------------
EXIT_YIELD = 45
"""Exit code of the reset when the OMMs meet again and the peer has been running longer [I]
A.2 (the public text pairs 45/46 with the two resets illegibly)."""
EXIT_PBX_UNREACHABLE = 46
"""Exit code of the reset when an unsynchronised active OMM loses the PBX [I] A.2."""

# -- decisions the table leaves open ---------------------------------------------------------
MISMATCHED_PEER_ARBITRATES = True
"""A peer of another type or version still counts as "seen" for who is active (one DECT air
interface per PARK), but no database crosses (A.5: DifferentOMMTypes/Versions). Decided:
the spec's split-brain warning says two active OMMs are what the product avoids."""
START_TIE_BREAK = "lowest IP"
"""Two OMMs that started at the same instant: the one with the lower address counts as the
longer-running one. Decided (the manuals name no tie)."""


# -- what AXI shows (A.5) -----------------------------------------------------------------------
class StbState(StrEnum):
    """AXI OmmStbStateType [D] XSD; meanings from mitel-api OmmStbState [C]."""

    NONE = "None"
    """No standby configured."""
    OK = "OK"
    """The peer is in contact and fits (same type and version)."""
    NOT_SYNCHRONIZED = "NotSynchronized"
    """Configured, but the peer is not in contact (start-up, lost, split brain)."""
    DIFFERENT_TYPES = "DifferentOMMTypes"
    """The peer runs on another platform (RFP-hosted vs Linux)."""
    DIFFERENT_VERSIONS = "DifferentOMMVersions"
    """The peer runs another OMM version."""


HEALTH_COMPONENT = "standby"
"""The health component (XSD ComponentType) the pair reports as [D]."""

REASON_NONE = ""
"""ReasonType's empty value: nothing wrong [D] XSD."""
REASON_WRONG_CONFIG = "Wrong standby configuration"
"""ReasonType for a peer that does not fit [D] XSD; pairing with DifferentOMM* [I] A.5."""
REASON_CONNECTION_BROKEN = "Connection broken"
"""ReasonType for a lost peer. Decided: the spec names it as possibly related [I] A.4."""

#: OmmStbState -> (health severity, reasonCode) of the `standby` component [I] A.5. "None"
#: (no standby) is Idle: the component exists but is not in use (decided).
STANDBY_HEALTH: dict[StbState, tuple[str, str]] = {
    StbState.NONE: ("Idle", REASON_NONE),
    StbState.OK: ("OK", REASON_NONE),
    StbState.NOT_SYNCHRONIZED: ("Warning", REASON_CONNECTION_BROKEN),
    StbState.DIFFERENT_TYPES: ("Error", REASON_WRONG_CONFIG),
    StbState.DIFFERENT_VERSIONS: ("Error", REASON_WRONG_CONFIG),
}

LOG_SUBSYSTEM = "OMM"
"""Event-log subsystem of the pair's entries. Decided (the OMM's own start entry uses it)."""
LOG_LEVEL = {StbState.OK: "GenInfo", StbState.NOT_SYNCHRONIZED: "MinorErr",
             StbState.DIFFERENT_TYPES: "MajorErr", StbState.DIFFERENT_VERSIONS: "MajorErr",
             StbState.NONE: "GenInfo"}
"""Event-log level of a change into each state. Decided: losing the peer is a minor error
(the pair still serves), a peer that cannot be a standby is a major one."""

# -- the pair at run time (omm.standby.pair) -----------------------------------------------------
OMM_TYPE = "Linux"
"""The platform this OMM says it runs on (A.5: RFP-hosted vs Linux server). Decided: the
emulator is an OMM on a Linux server; a pair's config may claim another to show
DifferentOMMTypes."""
RELOAD_WHEN_NEEDED = True
"""A standby's model reads what its partner sent only when it needs it: when it becomes active
and before a PBX probe. Decided: it serves nobody meanwhile and the copy on disk is what counts
for the pair; reading 20,000 records after every change would cost the standby (and, with both
OMMs in one process, the active's acknowledgements) for nothing."""
DIAL_RETRY_S = 1.0
"""The OMM that dials its partner (the lower address) tries again this often while there is
no link (at most the pair's heartbeat). Decided: a partner that starts a moment later is found
within a second."""

# -- the PBX probe's requests (omm.standby.probe; A.2 "SIP REGISTER of the user with the lowest
# number, plus OPTIONS to the proxy; any answer = reachable") -----------------------------------
PBX_PROBE_EXPIRES = 0
"""Expires of the probe's REGISTER, which names the probe's own socket as its Contact.
Decided: 0 asks the registrar to bind nothing (RFC 3261 §10.2.2), so a registrar that answers
200 keeps no binding of the probe, and the bindings of the user's real contacts (the other OMM
of a split pair may hold them) are left alone. A challenge (401/407) is not answered: the
probe carries no credentials, and any answer is enough."""
PBX_PROBE_TIER = "Primary"
"""The SIP server tier the probe asks: BasicSIP's registrar and proxy, not the BackupSIP
tiers. Decided: the spec names one proxy, and the probe is to tell on which side of a network
split this OMM is; the primary PBX is the one both OMMs of a pair are set to."""
PBX_PROBE_NOT_CONFIGURED = "no SIP server configured (BasicSIP names none)"
"""Why the probe fails at once when BasicSIP names no registrar nor proxy. Decided: with
nothing to ask there is no answer, and "any answer = reachable" (A.2); an unsynchronised
inactive OMM without a PBX stays inactive."""
