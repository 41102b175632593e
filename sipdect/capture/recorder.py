"""One process's share of a capture: the link and air records it sees, appended to a pcapng
part file of its own, and the TLS session keys of its connections in a key log of its own
(docs/capture.md). The run (sipdect.capture.run) merges every process's parts at its end.

Components reach the recorder through their host's network (`HostNet.capture`, None when not
capturing) or, for the world's handsets, through `sim.world.World.capture`.
"""

from __future__ import annotations

import logging
import os
import ssl
import time
from collections.abc import Callable
from pathlib import Path

from sipdect.capture import pcapng
from sipdect.capture.pcapng import LinkType
from sipdect.capture.records import AirRecord, LinkRecord
from sipdect.link import constants as c

log = logging.getLogger("sipdect.capture")

LINK_INTERFACE = 0
AIR_INTERFACE = 1
PART_INTERFACES = (
    (LinkType.USER0, "sipdect-link", "OMM-RFP link messages in clear (sipdect records)"),
    (LinkType.USER1, "dect-air", "DECT air frames at the handsets (sipdect records)"),
)
"""The interfaces of every part file, in this order (LINK_INTERFACE, AIR_INTERFACE)."""

LinkTap = Callable[[c.Direction, bytes], None]
"""Told each link message in clear, as framed, with the direction it travels."""


def part_path(base: Path, pid: int) -> Path:
    return base.with_name(f"{base.name}.part-{pid}.pcapng")


def keylog_path(base: Path, pid: int) -> Path:
    return base.with_name(f"{base.name}.keys-{pid}.log")


class Recorder:
    """Appends records to `<base>.part-<pid>.pcapng`; TLS keys go to `<base>.keys-<pid>.log`.

    Each record is one write() of a whole block, so a process killed at any moment leaves a
    file that reads up to its last record."""

    def __init__(self, base: Path) -> None:
        self.base = base
        pid = os.getpid()
        self.part = part_path(base, pid)
        self.keylog = keylog_path(base, pid)
        self._fd: int | None = None
        self._closed = False

    def _open(self) -> int | None:
        """The part file, made with its header on the first record."""
        if self._fd is None and not self._closed:
            self.base.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.part, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.write(self._fd, pcapng.section_header() + b"".join(
                pcapng.interface(link_type, name, description)
                for link_type, name, description in PART_INTERFACES))
        return self._fd

    def _write(self, interface_id: int, data: bytes) -> None:
        try:
            fd = self._open()
            if fd is None:
                return
            os.write(fd, pcapng.packet(interface_id, time.time_ns(), data))
        except OSError as exc:  # a full disk must not take the emulated system down
            log.warning("capture: cannot write %s (%s); no more records from this process",
                        self.part, exc)
            self.close()

    def link(self, direction: c.Direction, omm: tuple[str, int], rfp: tuple[str, int],
             message: bytes) -> None:
        self._write(LINK_INTERFACE, LinkRecord(direction, omm, rfp, message).encode())

    def link_tap(self, omm: tuple[str, int], rfp: tuple[str, int]) -> LinkTap:
        """The tap of one link connection (sipdect.link's `tap`)."""
        return lambda direction, message: self.link(direction, omm, rfp, message)

    def air(self, record: AirRecord) -> None:
        self._write(AIR_INTERFACE, record.encode())

    def log_keys(self, context: ssl.SSLContext) -> None:
        """Have `context` log the session keys of its connections here (unless it already
        logs them somewhere)."""
        if context.keylog_filename is None and not self._closed:
            if not self.keylog.exists():  # it holds session secrets: private from the start
                self.base.parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(self.keylog, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
            context.keylog_filename = str(self.keylog)

    def close(self) -> None:
        """No more records from this process (the run merges what was written)."""
        self._closed = True
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
