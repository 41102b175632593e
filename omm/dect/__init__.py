"""The OMM's DECT fixed part: NWK procedures over DLC links, fed DNM-level primitives.

`FixedPart` (fixed_part.py) with its inputs and outputs (primitives.py) and events
(events.py); dect.conventions holds every choice the real product leaves undocumented that
both DECT ends share. The package imports nothing by itself, so the OMM model can import the
events without the fixed part.
"""
