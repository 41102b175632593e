"""The MOM <-> OMM user/device sync contract, in one place for both ends (docs/mom.md).

No MAXI spec and no MOM capture is public (../shared/specs/mom.md): every value here marked
[I] is decided by this project, the rest is tagged with its source as in the specs.
"""

from __future__ import annotations

import base64
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dect.identities import Park

MAXI_PORT: Final = 12624
"""[D] seed 000 "Administration/Management Tool Encryption": MAXI on TCP 12624, TLS."""

MOM_ACCOUNT: Final = "mom"
"""[D] seed 000: the MOM's one preconfigured account; salted hash, no password aging."""

MOM_TLS_LEVELS: Final = ("High", "Medium")
"""[D] seed 000 "MOM - OMM Encryption": MOM connections are TLS 1.2/1.3 only and cannot be
lowered; so of the OMM's levels (High, Medium, Legacy) the MOM offers the two without
TLS 1.0/1.1."""

SYNC_PING_S: Final = 60.0
"""[C] MGR pings its sync sessions every 60 s; an OMM drops a silent session after 300 s."""

SYNC_RETRY_FIRST_S: Final = 1.0
SYNC_RETRY_MAX_S: Final = 30.0
"""[I] The MOM re-opens a lost sync session after 1 s, doubling up to 30 s."""

SYNC_LOST_GRACE_S: Final = 5.0
"""[I] An OMM in central mode reports `userDeviceSync` Major "Cannot connect to external AXI /
lost AXI connection" once no sync session has been logged in for this long (a reconnect
after a MOM restart does not flap the health)."""

ROAMING_WAIT_S: Final = 4.0
"""[I] How long an OMM holds a LOCATE-REQUEST or ACCESS-RIGHTS-REQUEST of a device it does
not hold while it asks the MOM (EventDECTLocate / EventDECTSubscribe); then it rejects. Below
the handset's own wait for the answer."""

ROAMING_COMPLETE: Final = "RoamingComplete"
"""[S] The only `roaming` value ever seen (NT SetPPResp), set by the MOM when a move is done."""

SYNC_ONLY_PP: Final = frozenset({
    "ommId", "ommIdAck", "roaming", "timeStamp", "timeStampAdmin", "timeStampRelation",
    "timeStampRoaming", "timeStampSubscription", "uak", "s"})
"""[C/I] Device attributes only a UserDeviceSyncClient session may write (python-mitel's
login docstring: sync sessions write the extended device information, `uak`, `s`, ...)."""

SYNC_ONLY_USER: Final = frozenset({"permanent", "timeStamp", "timeStampAdmin",
                                   "timeStampRelation"})
"""[I] User attributes only a UserDeviceSyncClient session may write."""

STAMP_ASPECTS: Final = {
    "admin": "timeStampAdmin", "relation": "timeStampRelation",
    "roaming": "timeStampRoaming", "subscription": "timeStampSubscription"}
"""[S/I] One stamp per aspect of a record (mom.md §2.5); per aspect the newer one wins."""


def omm_id(park: Park) -> str:
    """[I, strong] An OMM's `ommId`: the ARI of its PARK, 8 upper-case hex digits
    (PARK 1F102A7C82 -> 102A7C82, mom.md §2.3)."""
    return str(park.ari).upper()


def registered_here(own_id: str, device_omm_id_ack: str) -> bool:
    """[I] An OMM registers a user at the call server only while the user's device is
    confirmed at this OMM (or the record carries no owner: a standalone OMM)."""
    return not device_omm_id_ack or device_omm_id_ack == own_id


SECRET_WIRE_KEY: Final = bytes.fromhex("5E0D3A7C21B94F6A8C17D2E09B46F3A5")
"""[I] How an OMM gives a UserDeviceSyncClient the user secrets (`sipPw`, `pin`, ...) of its
records. To anyone else it returns an opaque blob only it can read (axi.md §2.4), but a MOM
must carry a user's SIP password to the OMM the user roams to, also for users first created
at an OMM (mom.md §6 leaves open how the real MOM learns them). So, as with the `uak`
(omm.devices.UAK_WIRE_KEY), secrets to a sync session are sealed with one product-wide key
(AES-128-GCM, the attribute's name as associated data), as a vendor would build it in;
the MOM opens them and keeps them sealed in its own vault. This key is sipdect's own."""

SECRET_WIRE_PREFIX: Final = "S1:"
"""Marks the sync form, so a MOM never mistakes another OMM's opaque blob for it."""


def secret_to_wire(name: str, clear: str) -> str:
    """A user secret as an OMM shows it to a sync session."""
    nonce = os.urandom(12)
    sealed = AESGCM(SECRET_WIRE_KEY).encrypt(nonce, clear.encode(), name.encode())
    return SECRET_WIRE_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def secret_from_wire(name: str, text: str) -> str | None:
    """The clear text of a secret in the sync form; None when it is not in that form or does
    not open (an OMM of another make, a damaged value)."""
    if not text.startswith(SECRET_WIRE_PREFIX):
        return None
    try:
        raw = base64.b64decode(text[len(SECRET_WIRE_PREFIX):], validate=True)
        clear = AESGCM(SECRET_WIRE_KEY).decrypt(raw[:12], raw[12:], name.encode())
        return clear.decode()
    except (ValueError, InvalidTag, UnicodeDecodeError):
        return None
