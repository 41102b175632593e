"""The air link: the simulated DECT air reaching RFPs that run in processes of their own (issue 10).

The decision, kept here and nowhere else: an RFP host in a process of its own runs all of its
RFP there (OMM link, radio logic, media gateway and its voice ciphering); only the medium stays
remote. The world's `sim.air.Air` remains the one medium of the installation, in the
supervisor's process beside every handset. Its `AirLinkServer` (server.py) places each remote
RFP's radio site on that Air while the RFP's TCP link lasts and relays what the Air delivers to
it; the RFP process runs its radio on a `RemoteAir` (remote.py), which implements
`sim.air.AirMedium` exactly as the Air does for an RFP in the world's process. Why the medium and
not the radio half: the radio's state (MAC connections, keys, sync reports) belongs with the
OMM link and the media gateway it feeds every 10 ms, so that a SIGKILL of the RFP's process is
the death of the whole RFP, and the only traffic between processes is what crosses the air.

Wire format in codec.py, the two ends' state machines in session.py; protocol, clocks and
measured figures in docs/architecture.md "Air link".
"""

from __future__ import annotations

from sim.airlink.codec import PORT, AirLinkError, AirLinkProtocolError, AirLinkValueError
from sim.airlink.remote import RemoteAir
from sim.airlink.server import AirLinkServer

__all__ = ["PORT", "AirLinkError", "AirLinkProtocolError", "AirLinkServer", "AirLinkValueError",
           "RemoteAir"]
