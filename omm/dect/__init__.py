"""The OMM's DECT fixed part: NWK procedures over DLC links, fed DNM-level primitives.

`FixedPart` (fixed_part.py) with its inputs and outputs (primitives.py) and events
(events.py); conventions.py holds every choice the real product leaves undocumented.
"""

from omm.dect.fixed_part import FixedPart, OutgoingMessage

__all__ = ["FixedPart", "OutgoingMessage"]
