"""What the fixed part reports upward, for the AXI layer and the rest of the OMM.

Record changes (device `s`, `uak`, `hwType`, relations) also go through OmmModel, so the
usual EventPPDevCnf/EventPPUserCnf fire by themselves; these events add what the model does
not hold: transactions (AXI PPTransactionType), logins, message progress and confirmations.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeviceSubscribed:
    """A PP completed subscription (key allocation and its first authentication)."""

    ppn: int
    """The device record."""
    ipei: str
    """Its IPEI in the OMM's form."""
    auto_created: bool
    """The record was created for this subscription (DevAutoCreate)."""


@dataclass(frozen=True, slots=True)
class SubscriptionFailed:
    """An ACCESS-RIGHTS-REQUEST was refused (also written to the event log)."""

    ipei: str
    """The IPEI that asked."""
    reason: str
    """Why, in the event log's words."""


@dataclass(frozen=True, slots=True)
class DeviceAttached:
    """Location registration succeeded (AXI trType LocReg)."""

    ppn: int
    """The device."""
    rfp_id: int
    """The RFP it registered through."""


@dataclass(frozen=True, slots=True)
class DeviceDetached:
    """The PP sent MM DETACH (powered off)."""

    ppn: int
    """The device."""


@dataclass(frozen=True, slots=True)
class AuthenticationFailed:
    """A PT authentication failed (also written to the event log)."""

    ppn: int
    """The device."""
    ipei: str
    """Its IPEI."""


@dataclass(frozen=True, slots=True)
class LinkCiphered:
    """The RFP reported the connection ciphered."""

    ppn: int
    """The device."""
    rfp_id: int
    """The RFP carrying the connection."""
    rekey: bool
    """True when a key change on an already ciphered link."""


@dataclass(frozen=True, slots=True)
class UserLoggedIn:
    """A UserLogin feature code bound a user to the device (relType Dynamic)."""

    uid: int
    """The user."""
    ppn: int
    """The device."""


@dataclass(frozen=True, slots=True)
class UserLoggedOut:
    """A UserLogout feature code unbound the user."""

    uid: int
    """The user."""
    ppn: int
    """The device."""


@dataclass(frozen=True, slots=True)
class UserLoginFailed:
    """A UserLogin attempt with an unknown user or a wrong PIN."""

    ppn: int
    """The device."""
    login: str
    """The number (or login ID) dialled."""


@dataclass(frozen=True, slots=True)
class CallDialled:
    """A PP's outgoing call has its complete number (en bloc in CC-SETUP, or overlap digits
    ended by '#' or the inter-digit timeout): the SIP side sends the INVITE now."""

    ppn: int
    """The calling device."""
    number: str
    """The number dialled."""
    rfp_id: int
    """The RFP carrying the PP's connection (where its media channel goes)."""
    mcei: int
    """The connection there."""


@dataclass(frozen=True, slots=True)
class CallAlerting:
    """The called PP rings (it sent CC-ALERTING): SIP 180."""

    ppn: int
    """The device."""


@dataclass(frozen=True, slots=True)
class CallAnswered:
    """The called PP answered (CC-CONNECT): SIP 200 with the media of this connection."""

    ppn: int
    """The device."""
    rfp_id: int
    """The RFP carrying the connection."""
    mcei: int
    """The connection there."""


@dataclass(frozen=True, slots=True)
class CallReleased:
    """The PP's call ended on the DECT side."""

    ppn: int
    """The device."""
    reason: str
    """Normal (hang-up), Busy, Rejected, NotReachable (paging failed), LinkLost, Failed."""


@dataclass(frozen=True, slots=True)
class CallKey:
    """A key pressed during a connected call (CC-INFO keypad): a DTMF digit."""

    ppn: int
    """The device."""
    key: str
    """One of 0-9 * # A-D."""


@dataclass(frozen=True, slots=True)
class CallHandover:
    """A connection carrying a call moved to another RFP: its media must follow."""

    ppn: int
    """The device."""
    old_rfp_id: int
    """Where the connection was."""
    rfp_id: int
    """Where it is now."""
    mcei: int
    """The connection there."""


@dataclass(frozen=True, slots=True)
class PpCallState:
    """The PP's call moved on as AXI sees it (EventPPState callState)."""

    ppn: int
    """The device."""
    call_state: str
    """PPUserCallStateType: idle, calling, paging, ringing, connected."""


@dataclass(frozen=True, slots=True)
class PpTransaction:
    """A DECT transaction for AXI EventPPTransaction."""

    tr_type: str
    """PPTransactionType: LinkEstablish, Release, ConnHandover, LocReg, Detach, PagingStarted,
    PPNotFound, ComsEstablish, ComsRelease, ..."""
    ppn: int
    """The device, 0 when not yet known."""
    rfp_id: int
    """The RFP, -1 when none (paging all RFPs)."""


@dataclass(frozen=True, slots=True)
class MessageProgress:
    """Delivery progress of a text message (AXI EventMessageProgress `event`)."""

    message_id: int
    """What send_message() returned."""
    ppn: int
    """The addressed device."""
    event: str
    """MessageProgressType: Delivered, PagingTimeout, Rejected, TemporaryUnavailable, ..."""


@dataclass(frozen=True, slots=True)
class PositionMeasured:
    """A handset answered a position request (AXI EventPositionInfo)."""

    query_id: int
    """What request_position() returned."""
    ppn: int
    """The device."""
    rfp_id: int
    """The RFP the answer came through."""
    heard: tuple[tuple[int, int], ...]
    """(RPN, level in dBm) per RFP the handset hears, strongest first."""


@dataclass(frozen=True, slots=True)
class PositionFailed:
    """A position request found no answer (AXI: an EventPositionInfo without RFPs)."""

    query_id: int
    """What request_position() returned."""
    ppn: int
    """The device."""
    reason: str
    """PagingTimeout (not reached), Rejected, TemporaryUnavailable (not subscribed)."""


@dataclass(frozen=True, slots=True)
class MessageConfirmed:
    """The user answered a message on the handset (AXI EventMessageConfirmation)."""

    message_id: int
    """What send_message() returned."""
    ppn: int
    """The device that answered."""
    confirmation: str
    """MessageConfirmType: ReadYes, OrderOk, CompleteDone, ..."""
    time: float
    """When the confirmation arrived (confTime)."""


@dataclass(frozen=True, slots=True)
class RoamingAsked:
    """A request of a handset this OMM does not hold is held: ask the MOM (omm.dect.roaming)."""

    procedure: str
    """roaming.Procedure value: locate or subscribe."""
    ipei: str
    """The handset, in the OMM's form."""
    ppn: int
    """The OMM's device record of it (confirmed at another OMM), 0 for none."""
    rfp_id: int
    """The RFP it asks through."""
    park: str
    """The PARK it reaches this OMM with: the SARI when one is set, else the OMM's PARK."""


@dataclass(frozen=True, slots=True)
class RoamingEnded:
    """A held request ended."""

    procedure: str
    """roaming.Procedure value."""
    ipei: str
    """The handset."""
    outcome: str
    """roaming.Outcome value."""
    reason: str = ""
    """The MOM's reason when it refused."""


FpEvent = (
    DeviceSubscribed
    | SubscriptionFailed
    | DeviceAttached
    | DeviceDetached
    | AuthenticationFailed
    | LinkCiphered
    | UserLoggedIn
    | UserLoggedOut
    | UserLoginFailed
    | CallDialled
    | CallAlerting
    | CallAnswered
    | CallReleased
    | CallKey
    | CallHandover
    | PpCallState
    | PpTransaction
    | MessageProgress
    | MessageConfirmed
    | PositionMeasured
    | PositionFailed
    | RoamingAsked
    | RoamingEnded
)
