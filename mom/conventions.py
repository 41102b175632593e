"""The MOM's own decisions where no public source says how the product behaves, one place each
(docs/mom.md; the contract values both ends share are in sipdect.axi.sync)."""

from __future__ import annotations

from typing import Final

MAX_USERS: Final = 50_000
MAX_DEVICES: Final = 50_000
"""[D] seed 000 "Product Architecture": up to 50,000 users/devices under one MOM."""

MAX_OMMS: Final = 500
"""[D] seed 000: up to 500 OMMs under one MOM."""

MAX_ACCOUNTS: Final = 20
"""[I] As on the OMM (omm.access.MAX_ACCOUNTS): not public."""

DEFAULT_PASSWORD: Final = "mom"
"""[I] The built-in `mom` account's default password (the seed names the account, not its
password; the OMM's is its account name, `omm`); it must be changed at the first login."""

OMM_AXI_PORT: Final = 12622
"""[D] The MOM reaches an OMM on its AXI TLS port only (seed 000 "MOM - OMM Encryption")."""

TIE_GOES_TO_MOM: Final = True
"""[I] When the MOM's and an OMM's copy of one aspect differ and carry the same time stamp
(stamps are whole seconds: both changed within one second), the MOM's copy wins: it is the
master copy of the installation (seed 000), and a fixed rule makes every resync converge."""

PAGE_SIZE: Final = 20
"""[C] MGR pages GetPPUser/GetPPDev with maxRecords=20 (mom.md §2.2); the MOM does too."""

PIPELINE_DEPTH: Final = 64
"""[I] How many records a sync session pushes to its OMM at once while it resynchronises
(requests in flight, answers matched by seq): enough to keep the OMM's AXI busy instead of
waiting a round trip per request, few enough that a lost session wastes little. One record's
steps (user, device, relation) still wait for each other."""

BOOKKEEPING_BATCH: Final = 256
"""[I] The most records whose sync bookkeeping (local ids, agreed fingerprints) the directory
holds back before it commits them in one transaction (mom.directory flush): the window a
kill -9 may lose, relearned at the next resync by natural keys."""

SECRETS_LEARNED_FROM_OMM: Final = False
"""[I] mom.md §6: an OMM renders pin/sipPw RSA-encrypted with its own key, which the MOM cannot
reverse; so a record taken in from an OMM has no secrets at the MOM, and the MOM pushes a
secret only when it holds it (set over MAXI). An OMM keeps the secrets it has."""

MOM_OWNED_DEVICE_ASPECTS: Final = ("roaming",)
"""[I] docs/mom.md "Roaming": a device's `ommId`/`ommIdAck`/`roaming` move only when the MOM
commits a move (EventDECTLocate/EventDECTSubscribe); an OMM sets them only on records it
creates (taken in as they are). So at a merge the MOM's copy of them is pushed, never the
OMM's taken: an OMM that did not keep a pushed value cannot undo a move."""
