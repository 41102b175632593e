"""Which attributes of a user or device belong to which time-stamped aspect (mom.md §2.5,
docs/mom.md "Restarts"): per aspect the newer `timeStamp*` wins between the MOM and an OMM.

The relation of a user and a device is one fact; it is kept (and reconciled) on the device,
named there by the user's number, so it means the same at the MOM and at every OMM whatever
their local uids.
"""

from __future__ import annotations

from typing import Final

from sipdect.axi.records import PP_DEV, PP_USER
from sipdect.axi.sync import STAMP_ASPECTS

USER_SECRETS: Final = tuple(f.name for f in PP_USER.fields if f.secret)
"""Sealed at rest; never compared (an OMM renders them encrypted with its own key)."""

USER_ADMIN: Final = tuple(f.name for f in PP_USER.fields
                          if f.writable and not f.secret)
"""What an administrator sets on a user (MAXI, AXI, web): the admin aspect, compared."""

DEVICE_ADMIN: Final = tuple(f.name for f in PP_DEV.fields if f.writable)
"""ipei, ac, encrypt, ethAddr, subscribeToPARIOnly."""

DEVICE_RELATION: Final = ("uid", "relType")
DEVICE_ROAMING: Final = ("ommId", "ommIdAck", "roaming")
DEVICE_SUBSCRIPTION: Final = ("uak", "s")

USER_ASPECTS: Final = {"admin": USER_ADMIN}
DEVICE_ASPECTS: Final = {"admin": DEVICE_ADMIN, "relation": DEVICE_RELATION,
                         "roaming": DEVICE_ROAMING, "subscription": DEVICE_SUBSCRIPTION}
STAMPS: Final = STAMP_ASPECTS
"""aspect -> its stamp attribute (sipdect.axi.sync)."""
