"""The OMM's end of the OMM-RFP link: TCP server, per-RFP session, model updates.

omm-rfp.md §1-§2 and §5.3, features.md §2.3-§2.4. `RfpLinkServer` is the asyncio edge and
the glue to `OmmModel`; `RfpSession` is the sans-I/O core it drives per connection.
"""

from omm.rfplink.server import RfpLinkServer, axi_hw_type, rfp_details
from omm.rfplink.session import (
    DectConfig,
    DectStateChanged,
    DnmReceived,
    MessageIgnored,
    RfpcPhase,
    RfpSession,
    SyncNeighbour,
    SyncRelationsChanged,
    SyncState,
    SyncStateChanged,
)

__all__ = [
    "DectConfig",
    "DectStateChanged",
    "DnmReceived",
    "MessageIgnored",
    "RfpLinkServer",
    "RfpSession",
    "RfpcPhase",
    "SyncNeighbour",
    "SyncRelationsChanged",
    "SyncState",
    "SyncStateChanged",
    "axi_hw_type",
    "rfp_details",
]
