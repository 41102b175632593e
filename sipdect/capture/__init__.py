"""Captures of a running system as one pcapng file Wireshark opens (docs/capture.md):
the real packets on the hosts' loopback addresses (dumpcap), the TLS session keys in a
Decryption Secrets Block, and sipdect's own records of the OMM-RFP link in clear and of
the DECT air.

Entry points: `CaptureRun` (start/finish one run: sipdect.app.system.System uses it when its
config says `[system] capture = DIR`), `Recorder` (what components record into, reached
through `HostNet.capture`), `read_capture` (`sipdect decode`).
"""

from sipdect.capture.errors import CaptureFormatError
from sipdect.capture.pcapng import LinkType
from sipdect.capture.recorder import LinkTap, Recorder
from sipdect.capture.records import AirRecord, LinkRecord
from sipdect.capture.run import CaptureRun, capture_filter, merge

__all__ = [
    "AirRecord",
    "CaptureFormatError",
    "CaptureRun",
    "LinkRecord",
    "LinkTap",
    "LinkType",
    "Recorder",
    "capture_filter",
    "merge",
]
