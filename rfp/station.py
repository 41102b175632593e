"""A virtual RFP as a running component: the asyncio edge around the link and the radio.

omm-rfp.md §1 (TCP client of the OMM's port 16321), §2.1/§2.4 (enrolment: the key K from
SYS_RFP_AUTH_KEY is kept for the next login), §5 (reactions), features.md §2.3 (LEDs, reset),
standby-eventmgr.md A.1/A.4 (two OMM addresses; which one it tries next: rfp.omms).
It only pumps bytes, timers and messages between RfpLinkConnection, RfpRadio and the media
gateway RfpMedia (whose RTP/RTCP ports it opens as UDP sockets on the RFP's host).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rfp.access import SSH_SUBSYSTEM, AccessStore, OmmAccess, RemoteAccess
from rfp.media import RfpMedia
from rfp.omms import OmmAddress, OmmChoice, omm_text
from rfp.radio import RfpRadio
from rfp.snmp import RfpFacts, RfpSnmp
from rfp.syslog import RemoteSyslog
from sipdect import clock
from sipdect.link import constants as c
from sipdect.link import events as ev
from sipdect.link.dnm import Dnm, Sync
from sipdect.link.errors import LinkError
from sipdect.link.handshake import RfpLinkConnection, RfpState
from sipdect.link.messages import TypedMessage, parse_message
from sipdect.link.system import SnmpRfpUpdate, SysPasswd, SysSyslog, SysVsntpTime
from sipdect.net import HostNet
from sipdect.ops.eventlog import EventLog
from sipdect.snmp.target import TRAP_PORT

if TYPE_CHECKING:
    from rfp.ssh import RfpSsh

log = logging.getLogger("sipdect.rfp")

DEFAULT_SW_VERSION = "SIP-DECT 9.2-sipdect"
KEY_FILE_MODE = 0o600
DEFAULT_MEDIA_HOST = "127.0.0.1"
"""The RFP's IP for RTP: every emulated RFP shares the loopback address."""
MAX_DATAGRAM = 2048
SYSLOG_CAPACITY = 200
"""Lines the RFP's own syslog keeps (`logread`); a real RFP's busybox ring is as small."""
SYSLOG_SHOWN = 50
"""Lines `logread` shows, newest last."""


def parse_mac(text: str | bytes) -> bytes:
    """'00:30:42:1b:17:37', '00-30-...' or '0030421b1737' -> 6 bytes; ValueError otherwise."""
    if isinstance(text, bytes):
        if len(text) != 6:
            raise ValueError(f"a MAC is 6 bytes, got {len(text)}")
        return text
    digits = text.strip().replace(":", "").replace("-", "")
    try:
        mac = bytes.fromhex(digits)
    except ValueError:
        mac = b""
    if len(mac) != 6:
        raise ValueError(f"'{text}' is not an Ethernet address like 00:30:42:1b:17:37")
    return mac


def mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


class KeyStore:
    """The RFP key K in a file of its own (mode 0600), hex; what a real RFP keeps in flash."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> bytes | None:
        try:
            text = self.path.read_text("ascii").strip()
        except FileNotFoundError:
            return None
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) != c.RFP_KEY_LENGTH:
            raise ValueError(
                f"{self.path} does not hold a 64-byte RFP key; delete it to enrol this RFP anew"
            )
        return key

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)

    def store(self, key: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEY_FILE_MODE)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key.hex() + "\n")
        os.chmod(tmp, KEY_FILE_MODE)
        os.replace(tmp, self.path)


class _LinkProtocol(asyncio.Protocol):
    """One TCP connection to the OMM: feeds the link, hands DNM/SYNC to the radio."""

    def __init__(self, station: VirtualRfp, omm: OmmAddress) -> None:
        self.station = station
        self.omm = omm
        """The OMM this connection goes to."""
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.link: RfpLinkConnection | None = None
        self.finished: asyncio.Future[str] = self.loop.create_future()
        self.established = False
        self._timer: asyncio.TimerHandle | None = None
        self._pump_scheduled = False
        self._reset = False

    # -- asyncio callbacks -----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        s = self.station
        self.link = RfpLinkConnection(
            self.loop.time(), mac=s.mac, random=s.random, key=s.load_key(), hw_type=s.hw_type,
            sw_version=s.sw_version, boot_time=s.boot_time,
            handshake_timeout=s.handshake_timeout,
        )
        self.pump()

    def data_received(self, data: bytes) -> None:
        assert self.link is not None
        self.station.octets_in += len(data)
        self.link.receive_data(data, self.loop.time())
        self.pump()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.link is not None and not self.link.closed:
            self.link.receive_data(b"", self.loop.time())
            self.pump()
        self._finish("connection closed")

    # -- pumping ---------------------------------------------------------------------------
    def schedule_pump(self) -> None:
        if not self._pump_scheduled:
            self._pump_scheduled = True
            self.loop.call_soon(self.pump)

    def pump(self) -> None:
        self._pump_scheduled = False
        link, radio = self.link, self.station.radio
        if link is None or self.finished.done():
            return
        now = self.loop.time()
        link.handle_timer(now)
        to_radio: list[TypedMessage] = []
        ending = ""
        while (event := link.next_event()) is not None:
            ending = self._on_event(event, to_radio) or ending
        if self.established and not link.closed:
            radio.receive_links(to_radio, now)
            radio.handle_timer(now)
            for message in radio.messages_to_send():
                link.send(message)
            for message in self.station.media.messages_to_send():
                link.send(message)
        data = link.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)
            self.station.octets_out += len(data)
        if self.station.snmp is not None:
            self.station.snmp.sync_state(radio.sync_state)
        if link.closed or self._reset:
            if self.transport is not None:
                self.transport.close()
            self._finish(ending or "closed")
            return
        self._arm_timer(now)

    def _on_event(self, event: ev.Event, to_radio: list[TypedMessage]) -> str:
        s = self.station
        if isinstance(event, ev.KeyReceived):
            s.store_key(event.key)
        elif isinstance(event, ev.LinkEstablished):
            self.established = True
            s.radio.link_up(self.loop.time())
            assert self.link is not None
            self.link.send(SysVsntpTime.from_unix_time(s.wall_clock()))
            s.link_changed(True, self.omm)
        elif isinstance(event, ev.LedChanged):
            s.leds[event.led] = event.colour
            s.notify()
        elif isinstance(event, ev.ResetRequested):
            log.info("RFP %s: SYS_RESET (type %d): rebooting", s.name, event.reset_type)
            if s.snmp is not None:
                s.snmp.rebooting()
            self._reset = True
            return "reset"
        elif isinstance(event, ev.MessageReceived):
            try:
                typed = parse_message(event.message)
            except LinkError as exc:
                log.info("RFP %s: ignoring a malformed %s: %s", s.name, event.message.name, exc)
            else:
                if isinstance(typed, Dnm | Sync):
                    to_radio.append(typed)
                elif isinstance(typed, SysPasswd):
                    s.omm_access(OmmAccess.from_message(typed))
                elif isinstance(typed, SnmpRfpUpdate):
                    if s.snmp is not None:
                        s.snmp.configure(typed)
                elif isinstance(typed, SysSyslog):
                    s.remote_syslog.configure(typed)
                elif self.established and isinstance(typed, TypedMessage):
                    s.media.receive_link(typed, self.loop.time())
        elif isinstance(event, ev.LinkFailed):
            s.last_failure = event
            log.warning("RFP %s: login at the OMM at %s failed: %s", s.name,
                        omm_text(self.omm), event.reason)
            return event.failure.value
        elif isinstance(event, ev.LinkLost):
            log.warning("RFP %s: link to the OMM at %s lost: %s", s.name,
                        omm_text(self.omm), event.reason)
            return "lost"
        return ""

    def _arm_timer(self, now: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadlines = [t for t in (self.link.get_timer() if self.link else None,
                                 self.station.radio.get_timer()) if t is not None]
        if deadlines:
            self._timer = self.loop.call_at(max(now, min(deadlines)), self.pump)

    def _finish(self, reason: str) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.established:
            self.station.radio.link_down(self.loop.time())
            self.station.media.reset()
            self.established = False
            self.station.link_changed(False, self.omm, reason)
        if not self.finished.done():
            self.finished.set_result("reset" if self._reset else reason)

    def abort(self) -> None:
        """Power cut: the connection dies without a goodbye."""
        if self.link is not None:
            self.link.close()
        if self.transport is not None:
            self.transport.abort()
        self._finish("power off")


class VirtualRfp:
    """One RFP box: connects to its OMM (or the other of a standby pair), logs in, keeps its
    key, reconnects, runs its radio."""

    def __init__(
        self,
        mac: bytes | str,
        hw_type: int,
        omm_host: str,
        omm_port: int,
        key_store_path: Path | None,
        radio: RfpRadio,
        *,
        standby_omm: OmmAddress | None = None,
        sw_version: str = DEFAULT_SW_VERSION,
        reconnect_min: float = 1.0,
        reconnect_max: float = 60.0,
        reboot_time: float = 1.0,
        handshake_timeout: float = 30.0,
        random: Callable[[int], bytes] = os.urandom,
        wall_clock: Callable[[], float] = clock.wall,
        media_host: str = DEFAULT_MEDIA_HOST,
        net: HostNet | None = None,
        ssh_port: int | None = None,
        hostname: str = "",
        snmp_port: int | None = None,
        trap_port: int = TRAP_PORT,
    ) -> None:
        """`omm_host`/`omm_port`: its OMM (`ommip1`); `standby_omm`: the other OMM of a
        standby pair (`ommip2`), tried when the first fails or is lost (rfp.omms says in
        which order). `radio`: this RFP's radio on the shared Air (rfp.cli makes an empty
        Air for an RFP run alone). `key_store_path` None: the key lives in memory only, so
        the RFP enrols anew when this object is made again. `reconnect_min`/`_max`: backoff
        after a failed or lost link (after a whole round over both OMMs); `reboot_time`:
        pause after SYS_RESET. `net`: the RFP's host (its address for the link and RTP, cut
        links, kill); default one at `media_host`. `ssh_port`: where its SSH shells listen
        (rfp.ssh; 0 any free port, None no SSH); its host key and the OMM's SSH settings are
        kept beside the key file (in memory without one). `hostname`: its name in the shell's
        prompt (default: the MAC). `snmp_port`: its SNMP agent's UDP port (None: no agent;
        0: any free one), `trap_port`: where its traps go at the trap host the OMM names."""
        self.mac = parse_mac(mac)
        self.name = mac_text(self.mac)
        self._hostname = hostname
        self.net = net or HostNet(self.name, media_host)
        self.hw_type = hw_type
        self.omms = OmmChoice([(omm_host, omm_port)]
                              + ([standby_omm] if standby_omm is not None else []),
                              reconnect_min, reconnect_max)
        """Its OMM addresses, and which one it tries next."""
        self.omm_address: OmmAddress | None = None
        """The OMM the link is up to; None while it is not."""
        self.key_store = KeyStore(key_store_path) if key_store_path is not None else None
        self.access_store = (AccessStore(key_store_path.with_suffix(".ssh.json"))
                             if key_store_path is not None else None)
        self.access = RemoteAccess(
            self.access_store.load() if self.access_store is not None else None)
        """Who may log in to its SSH shells (factory logins until an OMM sent SYS_PASSWD)."""
        self.syslog = EventLog(SYSLOG_CAPACITY, clock=wall_clock)
        """The RFP's own syslog: SSH logins, failed logins, shell commands."""
        self.remote_syslog = RemoteSyslog(self.syslog, self.net, hostname or self.name)
        """Where its syslog goes besides the ring (SYS_SYSLOG from its OMM)."""
        self.ssh: RfpSsh | None = None
        """Its SSH server (None: no SSH)."""
        if ssh_port is not None:
            from rfp.ssh import RfpSsh  # asyncssh takes a while to import: only where used

            self.ssh = RfpSsh(self, self.net.address, ssh_port,
                              key_store_path.with_suffix(".ssh_host_ed25519_key")
                              if key_store_path is not None else None)
        self._ssh_task: asyncio.Task[None] | None = None
        self._rebooting: asyncio.TimerHandle | None = None
        self.radio = radio
        self.sw_version = sw_version
        self.reboot_time = reboot_time
        self.handshake_timeout = handshake_timeout
        self.random = random
        self.wall_clock = wall_clock
        self.leds: dict[int, int] = {}
        """LED index -> LedColour, as the OMM set them with SYS_LED."""
        self.linked = False
        """The link to the OMM is up (encrypted, logged in)."""
        self.link_count = 0
        """How many times the link came up."""
        self.last_failure: ev.LinkFailed | None = None
        self.boot_time = 0.0
        self._key: bytes | None = None
        self._powered = True
        self._power_event: asyncio.Event | None = None
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._protocol: _LinkProtocol | None = None
        radio.on_output = self._radio_output
        self.media = RfpMedia(radio.rfp_id, host=self.net.address, epoch=radio.air.epoch,
                              wall_clock=wall_clock, on_output=self._media_output)
        """The media gateway (MEDIA_* from the OMM, RTP on `media_host`)."""
        radio.voice_sink = self.media.receive_voice
        radio.dsp_buckets = self.media.dsp_buckets
        radio.voice_in_use = lambda: len(self.media.channels)
        radio.voice_capacity = c.voice_channels(hw_type)
        self._media_io = _MediaIo(self)
        self.octets_in = 0
        """Octets received on its LAN port (the OMM link): the agent's ifInOctets."""
        self.octets_out = 0
        self.lan_changed = 0.0
        """clock.now() of its link's last change (ifLastChange)."""
        self.snmp = None if snmp_port is None else RfpSnmp(self.net, snmp_port,
                                                            self.snmp_facts,
                                                            trap_port=trap_port)
        """Its SNMP agent (rfp.snmp), configured by the OMM."""

    def follow_epoch(self, epoch: float) -> None:
        """The air's frame 0 moved (its world started again): the media gateway's 10 ms
        ticks stay on the air's frames."""
        self.media.epoch = epoch

    # -- keys ------------------------------------------------------------------------------
    def load_key(self) -> bytes | None:
        if self.key_store is not None:
            stored = self.key_store.load()
            if stored is not None:
                return stored
        return self._key

    def store_key(self, key: bytes) -> None:
        self._key = key
        if self.key_store is not None:
            self.key_store.store(key)
            log.info("RFP %s: enrolled; key stored in %s", self.name, self.key_store.path)

    # -- life cycle ------------------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.boot_time = loop.time()
        self._power_event = asyncio.Event()
        self._changed = asyncio.Event()
        if self._powered:
            self._power_event.set()
        self.load_key()  # a damaged key file is a user error: say so before running
        if self.ssh is not None and self._powered:
            self.ssh.host_key  # noqa: B018 - made (or found damaged) before running
            # In the background: asyncssh builds its options in the loop's thread pool, which
            # a site's RFPs starting one after another would each wait for (ssh_started()).
            self._ssh_task = loop.create_task(self._start_ssh(), name=f"ssh {self.name}")
        if self.snmp is not None:
            self.snmp.start()
        self._task = loop.create_task(self._run(), name=f"rfp {self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._protocol is not None:
            self._protocol.abort()
            self._protocol = None
        self._stop_ssh()
        self.remote_syslog.close()
        if self._rebooting is not None:
            self._rebooting.cancel()
            self._rebooting = None
        self.media.reset()
        self._media_io.close()
        if self.snmp is not None:
            self.snmp.close()

    def power_off(self) -> None:
        """Cut the power: the TCP connection dies, the radio goes off the air."""
        self._powered = False
        if self._power_event is not None:
            self._power_event.clear()
        if self._protocol is not None:
            self._protocol.abort()
        self._stop_ssh()
        self.remote_syslog.close()  # in its RAM only: the OMM sends it again
        self.leds.clear()
        self.radio.power(False, self._now())
        self.notify()

    def power_on(self) -> None:
        if not self._powered:
            self.omms.boot()
        self._powered = True
        self.radio.power(True, self._now())
        try:
            self.boot_time = asyncio.get_running_loop().time()
        except RuntimeError:
            pass
        if self._power_event is not None:
            self._power_event.set()
        if self.ssh is not None and self._ssh_task is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                pass
            else:
                self._ssh_task = loop.create_task(self._start_ssh(), name=f"ssh {self.name}")
        self.notify()

    @property
    def powered(self) -> bool:
        return self._powered

    async def wait_for(self, predicate: Callable[[VirtualRfp], bool]) -> None:
        """Return once predicate(self) holds (checked after every change of link or LEDs)."""
        while not predicate(self):
            assert self._changed is not None, "start() the RFP first"
            self._changed.clear()
            await self._changed.wait()

    # -- SSH and what its shell does ----------------------------------------------------------
    async def _start_ssh(self) -> None:
        try:
            if self.ssh is not None and self._powered and not self.net.dead:
                await self.ssh.start()
        except OSError as exc:
            log.warning("RFP %s: cannot listen for SSH on %s:%s: %s", self.name,
                        self.net.address, self.ssh.port if self.ssh else "-", exc)
        finally:
            self._ssh_task = None

    async def ssh_started(self) -> None:
        """Return once its SSH server listens (or failed to: logged), if it is starting."""
        task = self._ssh_task
        if task is not None:
            await asyncio.wait([task])

    def _stop_ssh(self) -> None:
        if self._ssh_task is not None:
            self._ssh_task.cancel()
            self._ssh_task = None
        if self.ssh is not None:
            self.ssh.close()

    @property
    def hostname(self) -> str:
        return self._hostname or self.name

    def omm_access(self, access: OmmAccess) -> None:
        """SYS_PASSWD: the OMM's SSH settings replace the factory (or earlier) ones."""
        if access == self.access.omm:
            return
        was = self.access.mode
        self.access.omm = access
        if self.access_store is not None:
            self.access_store.store(access)
        self.syslog_add("Event", f"remote access set by the OMM: {self.access.mode} "
                                 f"(was {was}), user '{access.admin_user}'")

    def syslog_add(self, level: str, msg: str, source: str = "") -> None:
        """A line for the RFP's syslog (failed logins merge by `source`, one per address)."""
        if source:
            self.syslog.add_repeated(level, SSH_SUBSYSTEM, "ssh-login-failed", source,
                                     lambda n: msg if n == 1 else f"{msg} ({n} times)")
        else:
            self.syslog.add(level, SSH_SUBSYSTEM, msg)
        log.info("RFP %s: %s", self.name, msg)

    def reboot(self) -> None:
        """Restart as the box does: every connection dropped, back after `reboot_time`,
        logging in to its first OMM again."""
        if not self._powered:
            return
        self.power_off()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._rebooting = loop.call_later(self.reboot_time, self._rebooted)

    def _rebooted(self) -> None:
        self._rebooting = None
        self.power_on()

    def factory_reset(self) -> None:
        """Forget the enrolment key and the OMM's SSH settings, then reboot (features.md §2.3;
        the OMM then has to enrol the RFP anew)."""
        self._key = None
        if self.key_store is not None:
            self.key_store.forget()
        self.access.omm = None
        if self.access_store is not None:
            self.access_store.store(None)
        self.syslog.clear()
        self.reboot()

    # -- what the shell shows (rfp.shell.ShellHost) --------------------------------------------
    def check_root_password(self, password: str) -> bool:
        return self.access.check_root_password(password)

    def shell_state(self) -> list[tuple[str, str]]:
        try:
            uptime = f"{asyncio.get_running_loop().time() - self.boot_time:.0f} s"
        except RuntimeError:
            uptime = "-"
        radio = self.radio
        return [
            ("MAC", self.name), ("hardware", f"0x{self.hw_type:04x}"),
            ("software", self.sw_version), ("uptime", uptime),
            ("OMM link", self.link_state + (f" to {omm_text(self.omm_address)}"
                                            if self.omm_address is not None else "")),
            ("enrolled", "yes" if self.load_key() is not None else "no"),
            ("DECT", "running" if radio.dect_running else "off"),
            ("sync", radio.sync_state),
            ("remote access", self.access.mode),
        ]

    def shell_ip(self) -> list[tuple[str, str]]:
        return [("MAC", self.name), ("address", self.net.address),
                ("netmask", "255.0.0.0"), ("gateway", "-"),
                ("configuration", "local (emulated host)")]

    def shell_omm(self) -> list[tuple[str, str]]:
        rows = [(f"ommip{i}", omm_text(a)) for i, a in enumerate(self.omms.addresses, 1)]
        rows.append(("connected to", "-" if self.omm_address is None
                     else omm_text(self.omm_address)))
        return rows

    def shell_syslog(self) -> list[str]:
        entries = self.syslog.entries(0, SYSLOG_CAPACITY)[-SYSLOG_SHOWN:]
        return [f"{e.time_text()} {e.name} {e.level}: {e.msg}" for e in entries]

    # -- internals -------------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._power_event is not None
        while True:
            await self._power_event.wait()
            omm = self.omms.current
            try:
                _, protocol = await self.net.create_connection(
                    functools.partial(_LinkProtocol, self, omm), *omm)
            except OSError as exc:
                log.info("RFP %s: cannot reach the OMM at %s: %s", self.name, omm_text(omm),
                         exc)
                await asyncio.sleep(self.omms.failed())
                continue
            self._protocol = protocol
            if not self._powered:  # the power went while connecting
                protocol.abort()
            outcome = await protocol.finished
            self._protocol = None
            if outcome == "power off" or not self._powered:
                continue  # power_on() boots it: the first OMM again
            if outcome == "reset":
                # It reboots and comes back to the OMM that reset it: that one is active.
                await asyncio.sleep(self.reboot_time)
                self.boot_time = asyncio.get_running_loop().time()
                if self.snmp is not None:
                    self.snmp.start()  # its agent boots with it: no config yet
                continue
            await asyncio.sleep(self.omms.lost() if protocol.established else self.omms.failed())

    def _media_output(self) -> None:
        self._media_io.schedule()

    def _radio_output(self) -> None:
        if self._protocol is not None and self._protocol.established:
            self._protocol.schedule_pump()


    def link_changed(self, up: bool, omm: OmmAddress, reason: str = "") -> None:
        """The link to the OMM at `omm` came up or went down (`reason`)."""
        self.linked = up
        self.omm_address = omm if up else None
        self.lan_changed = self._now()
        if self.snmp is not None:
            self.snmp.link_changed(up, omm_text(omm), reason)
        if up:
            self.link_count += 1
            self.omms.linked()
            log.info("RFP %s: connected to the OMM at %s", self.name, omm_text(omm))
        self.notify()

    def notify(self) -> None:
        if self._changed is not None:
            self._changed.set()

    def _now(self) -> float:
        return clock.now()  # loop.time() within the loop

    @property
    def link_state(self) -> str:
        """The link end's state, for status lines."""
        link = self._protocol.link if self._protocol is not None else None
        if link is None:
            return "off" if not self._powered else "connecting"
        return "up" if link.state is RfpState.RUNNING else link.state.value

    def snmp_facts(self) -> RfpFacts:
        """What its SNMP agent shows of it now."""
        hw = c.code_name(c.HardwareType, self.hw_type)
        return RfpFacts(f"{hw} {self.sw_version}", self.mac, self.boot_time, self.octets_in,
                        self.octets_out, self.lan_changed)

    def describe(self) -> dict[str, Any]:
        """Its link for status lines: state, the OMM it is up to ('host:port', None while
        down) and the OMMs it knows; its SSH shells, its SNMP agent's port (None: none) and
        where its syslog goes ('host:port', None: nowhere)."""
        server = self.remote_syslog.server
        out: dict[str, Any] = {
            "mac": self.name, "link": self.link_state, "linked": self.linked,
            "omm": None if self.omm_address is None else omm_text(self.omm_address),
            "omms": [omm_text(a) for a in self.omms.addresses],
            "snmp": None if self.snmp is None else self.snmp.bound_port,
            "syslog": None if server is None else f"{server[0]}:{server[1]}"}
        if self.ssh is not None:
            out["ssh"] = {"host": self.ssh.host, "port": self.ssh.port,
                          "listening": self.ssh.listening, "access": self.access.mode,
                          "user": self.access.user_name}
        return out


class _MediaIo:
    """The UDP sockets and the 10 ms timer of a VirtualRfp's media gateway.

    Sockets are plain non-blocking UDP sockets watched with the loop's add_reader, so a port
    MEDIA_CONF names is bound at once (a busy port is logged; the channel then hears nothing).
    """

    def __init__(self, station: VirtualRfp) -> None:
        self.station = station
        self.sockets: dict[int, socket.socket] = {}
        self._scheduled = False
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ports_generation = -1
        station.net.on_kill(self._killed)

    def schedule(self) -> None:
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._loop = loop
        self._scheduled = True
        loop.call_soon(self.pump)

    def pump(self) -> None:
        self._scheduled = False
        loop = self._loop
        if loop is None:
            return
        s = self.station
        media, radio = s.media, s.radio
        now = loop.time()
        media.handle_timer(now)
        if media.ports_generation != self._ports_generation:
            self._ports_generation = media.ports_generation
            self._sync_sockets(loop)
        net = s.net
        for datagram in media.datagrams_to_send():
            sock = self.sockets.get(datagram.local_port)
            if sock is None or not net.allows(datagram.remote[0]):
                continue
            try:
                sock.sendto(datagram.data, datagram.remote)
            except OSError as exc:
                log.debug("RFP %s: RTP to %s: %s", s.name, datagram.remote, exc)
        for frame in media.voice_to_send():
            radio.send_voice(frame.mcei, frame.payload, now)
        protocol = s._protocol
        if media.pending_messages and protocol is not None and protocol.established:
            protocol.schedule_pump()
        self._arm(loop, now)

    def _arm(self, loop: asyncio.AbstractEventLoop, now: float) -> None:
        deadline = self.station.media.get_timer()
        when = None if deadline is None else max(now, deadline)
        timer = self._timer
        if timer is not None:
            # Most pumps (a datagram, an uplink frame) leave the 10 ms tick where it was.
            if when is not None and timer.when() == when and not timer.cancelled():
                return
            timer.cancel()
            self._timer = None
        if when is not None:
            self._timer = loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.pump()

    def _sync_sockets(self, loop: asyncio.AbstractEventLoop) -> None:
        wanted = self.station.media.ports()
        for port in [p for p in self.sockets if p not in wanted]:
            self._close_port(loop, port)
        for port in wanted - set(self.sockets):
            try:
                sock = self.station.net.udp_socket(port)
            except OSError as exc:
                log.warning("RFP %s: cannot bind RTP port %d: %s", self.station.name, port, exc)
                continue
            self.sockets[port] = sock
            loop.add_reader(sock.fileno(), self._readable, port)

    def _readable(self, port: int) -> None:
        sock = self.sockets.get(port)
        if sock is None or self._loop is None:
            return
        media = self.station.media
        net = self.station.net
        now = self._loop.time()
        while True:
            try:
                data, addr = sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break  # an ICMP error of an earlier send: the far end is not listening yet
            if net.allows(addr[0]):
                media.receive_datagram(port, data, addr[:2], now)

    def _close_port(self, loop: asyncio.AbstractEventLoop, port: int) -> None:
        sock = self.sockets.pop(port)
        loop.remove_reader(sock.fileno())
        self.station.net.release_socket(sock)
        sock.close()

    def _killed(self, sock: socket.socket) -> None:
        """The host was killed: the socket goes (HostNet closes it)."""
        for port, mine in list(self.sockets.items()):
            if mine is sock:
                del self.sockets[port]
                if self._loop is not None and not self._loop.is_closed():
                    self._loop.remove_reader(sock.fileno())

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._ports_generation = -1
        for port in list(self.sockets):
            sock = self.sockets.pop(port)
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())
            self.station.net.release_socket(sock)
            sock.close()
