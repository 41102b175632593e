"""Builder for the S-format connectionless message {CLMS-VARIABLE}.

ETSI EN 300 175-5 §6.3.5.1; {CLMS-FIXED} is a B-format broadcast message and not coded here.
"""

from __future__ import annotations

from dect.nwk.ie import IE, PortableId
from dect.nwk.messages import (
    NwkMessage,
    as_portable_identity,
    compose,
)
from dect.nwk.tables import ClmsMessageType, ProtocolDiscriminator


def variable(
    portable_identity: PortableId | None, *ies: IE, ti: int = 0, ti_flag: bool = False
) -> NwkMessage:
    """A connectionless message (ALPHANUMERIC, IWU-TO-IWU, SEGMENTED-INFO ... in `ies`)."""
    identity = as_portable_identity(portable_identity)
    return compose(
        ProtocolDiscriminator.CLMS, ClmsMessageType.CLMS_VARIABLE, [identity], ies, ti, ti_flag
    )
