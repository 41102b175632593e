"""MAXI decisions, one place each (docs/mom.md "MAXI"): no MAXI schema, client or capture is
public (../shared/specs/mom.md §4), so every payload of a MOM-only request here is derived
from the AXI message of the same name, and every name the AXI has none for is decided here [I].
"""

from __future__ import annotations

from typing import Final

from sipdect.axi import conventions as axi

MOM_VERSION: Final = "Multi-OMM Manager SIP-DECT 9.1SP1 (sipdect emulator)"
"""[I] What OpenResp ommVersion says: the 9.1 OpenResp table describes the field as "the full
OMM/MOM version" (mom.md §4); the AXI's protocol, axi and spec versions are the OMM's."""

PRE_LOGIN_REQUESTS: Final = axi.PRE_LOGIN_REQUESTS
"""[I] As on the OMM: MAXI is "derived from AXI" (seed 000) with the same session rules."""

DEFAULT_PASSWORD_REQUESTS: Final = axi.DEFAULT_PASSWORD_REQUESTS
"""[I] While `mom` still has its default password: as on the OMM, log in, look around
minimally and change it (SetAccount)."""

OMM_ELEMENT: Final = "omm"
"""[I] The OMM connections the MOM manages are read and written with GetOMM, CreateOMM,
SetOMM and DeleteOMM (mom.maxi.handlers.omms) as `<omm name address port username enabled
ommId state info users devices/>`, paged by name like GetPPUser by uid (maxRecords; `name=""`
starts at the first)."""
OMM_EVENT: Final = "EventOMMCnf"
OMM_EVENT_TYPE: Final = "MOMOMMCnf"
"""[C/I] The subscription type exists (mitel-api EventType, mom.md §4); EventOMMCnf carries
the changed `<omm>` (its definition or its sync state), `deleted="1"` with the name alone."""

OMM_WRITABLE: Final = ("address", "port", "username", "password", "enabled")
"""[I] What CreateOMM/SetOMM may set; `password` is RSA-encrypted with the MOM's publicKey,
as every secret on AXI (axi.md §2.4), and never rendered."""

LOCATE_REQUEST: Final = "GetPPLocation"
"""[I] Locating a user wherever it is (seed 000: MAXI is for "locating"): `GetPPLocation uid`
or `num` answers `<GetPPLocationResp uid num ppn omm ommId site rfpId .../>` from the OMM the
user's device is at (its GetPPState there, by the sync service). A device at no OMM answers
with `omm=""`."""

MESSAGE_REQUEST: Final = "SendMessage"
"""[I] AXI's SendMessage with its `<msg>`, as the OMM takes it, routed by the MOM's sync
service to the OMM the addressed user is at (`toAddr` tel:NUM or NUM; `ppn:N` is the MOM's
ppn) and answered with that OMM's SendMessageResp."""

ROAMING_EVENT_TYPE: Final = "Roaming"
"""[D XSD] Subscription type of EventDECTLocate/EventDECTSubscribe forwarded from the asking
OMM (with `omm`, its connection name, and the MOM's `uid`/`ppn`), and of the EventPPCnf of a
device that moved (`ommIdAck` or `roaming` changed): docs/mom.md "Roaming" step 4."""

ROAMING_EVENTS: Final = {"locate": "EventDECTLocate", "subscribe": "EventDECTSubscribe"}
"""Which roaming steps of the sync service MAXI forwards, as which element (the OMM's own)."""

ROAMING_FIELDS: Final = frozenset({"ommId", "ommIdAck", "roaming", "timeStampRoaming"})
"""A device change touching any of these is a move: Roaming subscribers hear its record."""

EVENT_TYPES: Final = ("PPUserCnf", "PPDevCnf", "PPCnf", "PPUserSummary", "PPDevSummary",
                      "AccountCnf", OMM_EVENT_TYPE, ROAMING_EVENT_TYPE)
"""[I] What a MAXI session may subscribe to; any other AXI event type is refused with EInval
(the MOM has no RFPs, calls or messages of its own)."""

SESSIONS: Final = 100
"""[I] MAXI sessions logged in at once: the OMM's axiClients (LimitsResp, axi.md §6)."""
