"""One capture run: `dumpcap` on the loopback interface for the real packets of the system's
addresses, the records and key logs of every process (sipdect.capture.recorder), merged at
the end into ONE pcapng file (docs/capture.md):

    run = CaptureRun(directory, ["127.128.4.0/24"])
    await run.start()            # dumpcap is capturing when this returns
    ...                          # the system runs; its processes record
    path = await run.finish()    # <directory>/sipdect-<time>-<pid>.pcapng

The merged file holds the Decryption Secrets Block (every key log line) first, then the
packets of `lo` (Ethernet), the link records (USER0) and the air records (USER1) in time order.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import secrets
import shutil
import signal
import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sipdect import clock
from sipdect.capture import pcapng
from sipdect.capture.errors import CaptureFormatError
from sipdect.capture.packets import parse_ethernet
from sipdect.capture.pcapng import LinkType
from sipdect.capture.recorder import Recorder
from sipdect.capture.records import AirNamer, AirRecord, LinkNamer, LinkRecord

log = logging.getLogger("sipdect.capture")

CAPTURE_INTERFACE = "lo"
"""Every host of a system has a loopback address (docs/architecture.md "Hosts")."""
DUMPCAP_READY_S = 15.0
"""How long dumpcap may take to say it is capturing (real seconds at any speed: sipdect.clock)."""
DUMPCAP_STOP_S = 10.0
"""How long dumpcap may take to pass on the run's last packets, and then to stop."""
MARKER_PORT = 9
"""The discard port: where the end marker goes (nothing listens; the ICMP answer that
quotes it is left out too)."""
DUMPCAP_READY_LINE = "Capturing on"
"""What dumpcap prints on stderr once its filter is on the interface."""
FILTER_NETWORKS_MAX = 64
"""More networks than this in the filter: the capture takes all of 127.0.0.0/8 instead."""

Stamp = Callable[[int], int]
"""Maps a wall-clock time (ns since the epoch) to the time the capture shows."""


def scaled_stamp(speed: float, epoch_s: float) -> Stamp:
    """The system clock's view of wall-clock times when it runs `speed` times real time from
    `epoch_s` (sipdect.clock: the wall time at its origin), so a capture of a scaled run shows
    the protocol's own timing (an hour's re-registration an hour apart)."""
    epoch_ns = int(epoch_s * 1e9)
    return lambda ns: epoch_ns + int((ns - epoch_ns) * speed)


def capture_filter(networks: Sequence[str], hosts: Sequence[str] = ()) -> str:
    """The BPF capture filter of a system's address blocks and the addresses of its hosts
    outside them."""
    if not networks and not hosts or len(networks) + len(hosts) > FILTER_NETWORKS_MAX:
        return "net 127.0.0.0/8"
    return " or ".join([*(f"net {network}" for network in networks),
                        *(f"host {host}" for host in hosts)])


class PacketFilter:
    """Which captured packets belong to the system: any to or from its address blocks, and
    those to or from its listeners at addresses outside them (a host configured at 127.0.0.1
    shares that address with every other program: only its own ports count)."""

    def __init__(self, networks: Sequence[str], listeners: Sequence[tuple[str, int]]) -> None:
        self.networks = [ipaddress.IPv4Network(n) for n in networks]
        self.listeners = set(listeners)

    def _inside(self, address: str) -> bool:
        ip = ipaddress.IPv4Address(address)
        return any(ip in network for network in self.networks)

    def __call__(self, frame: bytes) -> bool:
        segment = parse_ethernet(frame)
        if segment is None:
            return False
        return (self._inside(segment.src[0]) or self._inside(segment.dst[0])
                or segment.src in self.listeners or segment.dst in self.listeners)


def run_base(directory: Path) -> Path:
    """The base name of a new run's files in `directory` (the file is <base>.pcapng)."""
    return directory / (f"sipdect-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-"
                        f"{secrets.token_hex(2)}")


class CaptureRun:
    """Captures one run of a system. `stamp` maps wall-clock times onto the system's clock
    (identity unless the clock is scaled)."""

    def __init__(self, directory: Path, networks: Sequence[str], *, hosts: Sequence[str] = (),
                 base: Path | None = None, recorder: Recorder | None = None,
                 interface: str = CAPTURE_INTERFACE, stamp: Stamp | None = None) -> None:
        self.directory = directory
        self.base = base or run_base(directory)
        self.path = self.base.with_name(self.base.name + ".pcapng")
        """The file finish() writes."""
        self.networks = list(networks)
        self.hosts = list(hosts)
        """Host addresses outside `networks` (their packets are kept for `listeners` only)."""
        self.listeners: list[tuple[str, int]] = []
        """(address, port) of the system's listeners, given before finish()."""
        self.interface = interface
        self.stamp = stamp
        self.recorder = recorder or Recorder(self.base)
        """This process's recorder."""
        self.packets_note = ""
        """Why the file has no packets of `lo` (empty when dumpcap captured)."""
        self._dumpcap: asyncio.subprocess.Process | None = None
        self._dumpcap_file = self.base.with_name(self.base.name + ".lo.pcapng")
        self._stderr: asyncio.Task[None] | None = None
        self._stdout: asyncio.Task[None] | None = None
        self.marker = b"sipdect-capture-end-" + secrets.token_hex(8).encode()
        """The payload of the datagram that tells the end of the run's packets."""
        self._marker_seen = asyncio.Event()

    async def start(self) -> None:
        """Start dumpcap, when it can (else the file will hold the records only)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        await self._start_dumpcap()

    async def _start_dumpcap(self) -> None:
        dumpcap = shutil.which("dumpcap")
        if dumpcap is None:
            self.packets_note = ("dumpcap is not installed (Debian: apt-get install tshark): "
                                 "the capture holds sipdect's records only")
            log.warning("capture: %s", self.packets_note)
            return
        # Its pcapng comes through a pipe (flushed per packet; a file is written in blocks),
        # so finish() can see when the last packet of the run has come through.
        process = await asyncio.create_subprocess_exec(
            dumpcap, "-i", self.interface, "-f", capture_filter(self.networks, self.hosts), "-q",
            "-w", "-",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        assert process.stderr is not None and process.stdout is not None
        said: list[str] = []
        try:
            async with asyncio.timeout(clock.current().virtual(DUMPCAP_READY_S)):
                while True:
                    line = (await process.stderr.readline()).decode("utf-8", "replace")
                    if not line:
                        break
                    said.append(line.strip())
                    if DUMPCAP_READY_LINE in line:
                        self._dumpcap = process
                        self._stderr = asyncio.create_task(self._drain(process.stderr))
                        self._stdout = asyncio.create_task(self._keep(process.stdout))
                        log.info("capture: dumpcap on %s, filter %s", self.interface,
                                 capture_filter(self.networks, self.hosts))
                        return
        except TimeoutError:
            said.append(f"(silent for {DUMPCAP_READY_S:g} s)")
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        self.packets_note = ("dumpcap could not capture on "
                             f"{self.interface}: {' '.join(s for s in said if s)[-300:]} "
                             "(it needs root or CAP_NET_RAW); the capture holds sipdect's "
                             "records only")
        log.warning("capture: %s", self.packets_note)

    @staticmethod
    async def _drain(stream: asyncio.StreamReader) -> None:
        while await stream.readline():
            pass

    async def _keep(self, stream: asyncio.StreamReader) -> None:
        """dumpcap's output into its file; sets `_marker_seen` once the marker came."""
        tail = b""
        with self._dumpcap_file.open("wb") as f:
            while data := await stream.read(65536):
                f.write(data)
                if self.marker in tail + data:
                    self._marker_seen.set()
                tail = data[-len(self.marker):]

    def _send_marker(self) -> None:
        """A datagram dumpcap's filter takes (to the discard port of the system's first
        network, or of its first host), which merge() leaves out again."""
        target = (str(ipaddress.IPv4Network(self.networks[0]).network_address + 1)
                  if self.networks else self.hosts[0])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            with contextlib.suppress(OSError):
                sock.sendto(self.marker, (target, MARKER_PORT))

    async def finish(self) -> Path:
        """Stop capturing and write the one file (every process's recorder must be closed:
        the system stopped). Returns its path."""
        self.recorder.close()
        process, self._dumpcap = self._dumpcap, None
        if process is not None:
            # Packets wait in the kernel until dumpcap's next read; stopping it at once would
            # lose the run's last ones. A marker sent now arrives after all of them.
            self._send_marker()
            try:
                async with asyncio.timeout(clock.current().virtual(DUMPCAP_STOP_S)):
                    await self._marker_seen.wait()
            except TimeoutError:
                log.warning("capture: dumpcap did not pass on its last packets in %g s",
                            DUMPCAP_STOP_S)
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(clock.current().virtual(DUMPCAP_STOP_S)):
                    await process.wait()
            except TimeoutError:
                log.warning("capture: dumpcap did not stop in %g s; killed", DUMPCAP_STOP_S)
                process.kill()
                await process.wait()
        for task in (self._stderr, self._stdout):
            if task is not None:
                await task
        await asyncio.get_running_loop().run_in_executor(None, self.merge)
        return self.path

    def merge(self) -> None:
        """Write <base>.pcapng from dumpcap's file, the part files and the key logs, and
        remove them."""
        in_system = PacketFilter(self.networks, self.listeners) if self.hosts else None

        def keep(frame: bytes) -> bool:
            return self.marker not in frame and (in_system is None or in_system(frame))
        merge(self.base, self.path, dumpcap_file=self._dumpcap_file, stamp=self.stamp,
              note=self.packets_note, keep=keep)


def _read(path: Path) -> pcapng.Capture | None:
    try:
        return pcapng.read(path.read_bytes())
    except (OSError, CaptureFormatError) as exc:
        log.warning("capture: %s left out: %s", path.name, exc)
        return None


def merge(base: Path, out: Path, *, dumpcap_file: Path | None = None,
          stamp: Stamp | None = None, note: str = "",
          keep: Callable[[bytes], bool] | None = None) -> None:
    """The merge of finish(), usable on its own (files of a run whose supervisor died)."""
    parts = sorted(base.parent.glob(f"{base.name}.part-*.pcapng"))
    keylogs = sorted(base.parent.glob(f"{base.name}.keys-*.log"))
    secrets = b"".join(path.read_bytes() for path in keylogs)
    # interface index in the merged file: 0 lo (when captured), then link, then air
    interfaces: list[bytes] = []
    entries: list[tuple[int, int, bytes, int]] = []  # (time ns, interface, data, length)
    if dumpcap_file is not None and dumpcap_file.exists():
        captured = _read(dumpcap_file)
        if captured is not None:
            mapping: dict[int, int] = {}
            for index, iface in enumerate(captured.interfaces):
                mapping[index] = len(interfaces)
                interfaces.append(pcapng.interface(
                    iface.link_type, iface.name or CAPTURE_INTERFACE,
                    "the system's packets on the loopback interface (dumpcap)",
                    iface.snaplen))
            entries += [(p.timestamp_ns, mapping[p.interface_id], p.data, p.original_length)
                        for p in captured.packets
                        if keep is None or p.link_type != LinkType.ETHERNET or keep(p.data)]
    link_if = len(interfaces)
    air_if = link_if + 1
    interfaces.append(pcapng.interface(LinkType.USER0, "sipdect-link",
                                       "OMM-RFP link messages in clear (sipdect records)"))
    interfaces.append(pcapng.interface(LinkType.USER1, "dect-air",
                                       "DECT air frames at the handsets (sipdect records)"))
    records: list[tuple[int, int, bytes]] = []
    for path in parts:
        part = _read(path)
        if part is None:
            continue
        for p in part.packets:
            if p.link_type in (LinkType.USER0, LinkType.USER1):
                records.append((p.timestamp_ns, p.link_type, p.data))
    records.sort(key=lambda r: r[0])
    link_namer, air_namer = LinkNamer(), AirNamer()
    for timestamp, link_type, data in records:
        try:
            if link_type == LinkType.USER0:
                data = link_namer.named(LinkRecord.decode(data)).encode()
                entries.append((timestamp, link_if, data, len(data)))
            else:
                data = air_namer.named(AirRecord.decode(data)).encode()
                entries.append((timestamp, air_if, data, len(data)))
        except CaptureFormatError as exc:
            log.warning("capture: a record left out: %s", exc)
    entries.sort(key=lambda e: e[0])
    with out.open("wb") as f:
        f.write(pcapng.section_header(f"sipdect{': ' + note if note else ''}"))
        f.write(b"".join(interfaces))
        if secrets:
            f.write(pcapng.decryption_secrets(secrets))
        for timestamp, iface_id, data, original in entries:
            f.write(pcapng.packet(iface_id, stamp(timestamp) if stamp else timestamp, data,
                                  original))
    os.chmod(out, 0o600)  # it holds the session keys
    for path in [*parts, *keylogs, *([dumpcap_file] if dumpcap_file else [])]:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    log.info("capture: %s (%d packets and records, %d key log lines)", out, len(entries),
             secrets.count(b"\n"))
