"""Helpers that run real SIP peers (ecosystem.md §1b): kamailio as an independent registrar
and record-routing proxy, sipp as scripted UAC/UAS, baresip as an SRTP-capable phone.

`make peers` (run by `make test`) installs them; a missing one fails the test and says so.
Every peer listens on 127.0.0.1 on a free port and keeps its files in a temporary
directory; project configs and scenarios are in interop/. The fixtures are in conftest.py.
"""

from __future__ import annotations

import math
import shutil
import signal
import socket
import struct
import subprocess
import uuid
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sipdect.media.signals import detect_tone
from sipdect.waiting import DEFAULT_TIMEOUT, WaitTimeout, until_sync

INTEROP = Path(__file__).resolve().parents[2] / "interop"
SIPP_DIR = INTEROP / "sipp"
HOST = "127.0.0.1"

KAMAILIO_USERS = {"201": "Kam-Alice-201", "202": "Kam-Bob-202", "203": "Kam-Carol-203",
                  "204": "Kam-Dave-204", "205": "Kam-Eve-205"}
"""The accounts of the module-scoped `kamailio` fixture: number -> password."""


def need(binary: str) -> str:
    """The path of a peer's program; fails the test when it is not installed."""
    path = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{binary} is not installed: run `make peers` (as root) first")
    return path


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (SIP uses one number for both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((HOST, port))
                except OSError:
                    continue
        return int(port)
    raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1")


def free_ports(count: int, gap: int = 1) -> list[int]:
    """`count` ports free for UDP and TCP, each with `gap - 1` free ports above it (baresip
    also binds TLS on port + 1)."""
    out: list[int] = []
    while len(out) < count:
        port = free_port()
        if port + gap > 65535 or any(abs(port - p) < gap for p in out):
            continue
        if all(_port_free(port + i) for i in range(1, gap)):
            out.append(port)
    return out


def _port_free(port: int) -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, port))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((HOST, port))
    except OSError:
        return False
    return True


def sip_options_ok(port: int, timeout: float = 0.3) -> bool:
    """Whether something answers an OPTIONS to 127.0.0.1:port over UDP with 200."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        local = sock.getsockname()[1]
        tag = uuid.uuid4().hex[:8]
        probe = (f"OPTIONS sip:{HOST}:{port} SIP/2.0\r\n"
                 f"Via: SIP/2.0/UDP {HOST}:{local};branch=z9hG4bK{tag};rport\r\n"
                 f"Max-Forwards: 70\r\nFrom: <sip:probe@{HOST}>;tag={tag}\r\n"
                 f"To: <sip:{HOST}:{port}>\r\nCall-ID: probe-{tag}@{HOST}\r\n"
                 f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
        sock.settimeout(timeout)
        try:
            sock.sendto(probe, (HOST, port))
            data = sock.recv(4096)
        except OSError:
            return False
    return data.startswith(b"SIP/2.0 200")


def _stop(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- kamailio -------------------------------------------------------------------------------


def render_kamailio_cfg(port: int, rundir: Path, users: Mapping[str, str]) -> str:
    """interop/kamailio.cfg with its %%PORT%%, %%RUNDIR%% and %%CREDENTIALS%% filled in."""
    for user, password in users.items():
        if not user.isalnum() or '"' in password or "\\" in password:
            raise ValueError(f"kamailio user {user!r}: keep names alphanumeric and "
                             "passwords free of quotes and backslashes")
    credentials = "\n".join(f'    if ($au == "{u}") {{ $var(password) = "{p}"; }}'
                            for u, p in users.items())
    text = (INTEROP / "kamailio.cfg").read_text("utf-8")
    text = text.replace("%%PORT%%", str(port)).replace("%%RUNDIR%%", str(rundir))
    text = text.replace("%%CREDENTIALS%%", credentials)
    assert "%%" not in text, "interop/kamailio.cfg has a marker this helper does not fill"
    return text


@dataclass
class Kamailio:
    """One running kamailio on 127.0.0.1:port (UDP and TCP)."""

    port: int
    rundir: Path
    users: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def hostport(self) -> str:
        return f"{HOST}:{self.port}"

    def rpc(self, *command: str) -> str:
        """A kamcmd command over the ctl socket; its output."""
        out = subprocess.run([need("kamcmd"), "-s", f"unix:{self.rundir}/kamailio_ctl",
                              *command], capture_output=True, text=True, timeout=DEFAULT_TIMEOUT)
        if out.returncode != 0:
            raise AssertionError(f"kamcmd {' '.join(command)}: {out.stderr or out.stdout}")
        return out.stdout

    def registered(self) -> set[str]:
        """The users with a binding in the location table (ul.dump)."""
        users = set()
        for line in self.rpc("ul.dump", "brief").splitlines():
            line = line.strip()
            if line.startswith("AoR:"):
                users.add(line.split(":", 1)[1].strip().split("@")[0])
        return users

    def wait_registered(self, users: Sequence[str],
                        timeout: float = DEFAULT_TIMEOUT) -> set[str]:
        """Everyone registered once `users` all are; fails naming who was registered last."""
        def all_there() -> set[str] | None:
            seen = self.registered()
            return seen if set(users) <= seen else None

        return until_sync(all_there, f"{', '.join(users)} registered at kamailio",
                          timeout=timeout, interval=0.1)

    def output(self) -> str:
        return self.log.read_text("utf-8", "replace")

    def answers_or_ended(self) -> bool:
        """Whether it answers OPTIONS, or has exited (e.g. its port was taken)."""
        return sip_options_ok(self.port) or self.process.poll() is not None

    def stop(self) -> None:
        _stop(self.process)


def start_kamailio(workdir: Path, users: Mapping[str, str], *,
                   timeout: float = DEFAULT_TIMEOUT) -> Kamailio:
    """kamailio with a generated config in `workdir`, ready (answers OPTIONS) on return."""
    binary = need("kamailio")
    workdir.mkdir(parents=True, exist_ok=True)
    for _ in range(3):  # the free port may be taken between the probe and kamailio's bind
        port = free_port()
        rundir = workdir / f"run-{port}"
        rundir.mkdir()
        cfg = workdir / f"kamailio-{port}.cfg"
        cfg.write_text(render_kamailio_cfg(port, rundir, users), "utf-8")
        log = workdir / f"kamailio-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen([binary, "-f", str(cfg), "-DD", "-E", "-m", "64",
                                        "-M", "8", "-Y", str(rundir)],
                                       stdout=out, stderr=subprocess.STDOUT)
        kam = Kamailio(port, rundir, dict(users), process, log)
        try:
            until_sync(kam.answers_or_ended, "kamailio to answer OPTIONS", timeout=timeout)
        except WaitTimeout:
            pass
        else:
            if process.poll() is None:
                return kam
        kam.stop()
        if "Address already in use" not in kam.output():
            raise AssertionError(f"kamailio did not get ready:\n{kam.output()[-3000:]}")
    raise AssertionError("kamailio found no free port in three attempts")


# -- sipp -----------------------------------------------------------------------------------


@dataclass
class SippResult:
    """How one sipp run ended."""

    rc: int
    """sipp's exit status: 0 when every call succeeded."""
    messages: str
    """Every SIP message sent and received (-trace_msg)."""
    output: str
    """sipp's stdout and stderr."""
    errors: str = ""
    """sipp's error log (-trace_err), if any."""

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def describe(self) -> str:
        return (f"sipp rc={self.rc}\n--- output\n{self.output[-2000:]}\n--- errors\n"
                f"{self.errors[-2000:]}\n--- messages\n{self.messages[-6000:]}")


@dataclass
class Sipp:
    """A sipp process started by `start_sipp`; `wait` collects its result."""

    process: subprocess.Popen[bytes]
    workdir: Path
    name: str
    timeout: float
    _result: SippResult | None = field(default=None)

    def wait(self, timeout: float | None = None) -> SippResult:
        if self._result is None:
            try:
                self.process.wait(timeout if timeout is not None else self.timeout + 5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self._result = SippResult(
                self.process.returncode,
                _read(self.workdir / f"{self.name}_msgs.log"),
                _read(self.workdir / f"{self.name}.out"),
                _read(self.workdir / f"{self.name}_errors.log"))
        return self._result

    def stop(self) -> SippResult:
        _stop(self.process)
        return self.wait()


def _read(path: Path) -> str:
    return path.read_text("utf-8", "replace") if path.exists() else ""


def start_sipp(workdir: Path, scenario: str, *, local_port: int, remote: str | None = None,
               service: str | None = None, auth: tuple[str, str] | None = None,
               keys: Mapping[str, str] | None = None, transport: str = "u1",
               calls: int = 1, timeout: float = 10.0,
               extra: Sequence[str] = ()) -> Sipp:
    """Start sipp with interop/sipp/<scenario>.xml (or a path) in the background.

    remote: "host:port" of the server (None for a UAS); auth: (user, password) for -au/-ap;
    keys: -key name value pairs for [name] keywords; transport: u1 (UDP) or t1 (TCP).
    """
    binary = need("sipp")
    workdir.mkdir(parents=True, exist_ok=True)
    path = Path(scenario) if scenario.endswith(".xml") else SIPP_DIR / f"{scenario}.xml"
    name = f"{path.stem}-{local_port}-{uuid.uuid4().hex[:6]}"
    args = [binary, *([remote] if remote else []), "-sf", str(path), "-i", HOST,
            "-p", str(local_port), "-t", transport, "-m", str(calls), "-nostdin",
            "-timeout", f"{timeout:g}s", "-timeout_error", "-trace_msg", "-message_file",
            str(workdir / f"{name}_msgs.log"), "-trace_err", "-error_file",
            str(workdir / f"{name}_errors.log")]
    if service is not None:
        args += ["-s", service]
    if auth is not None:
        args += ["-au", auth[0], "-ap", auth[1]]
    for key, value in (keys or {}).items():
        args += ["-key", key, value]
    args += list(extra)
    with (workdir / f"{name}.out").open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=workdir)
    return Sipp(process, workdir, name, timeout)


def wait_listening(port: int, transport: str = "u1", timeout: float = DEFAULT_TIMEOUT) -> bool:
    """Wait until something binds 127.0.0.1:port (a UDP socket for u1, a TCP listener for
    t1): a UAS started in the background is ready for requests. Read from /proc/net, so the
    UAS sees no probe. True, or WaitTimeout."""
    table = Path("/proc/net/udp" if transport.startswith("u") else "/proc/net/tcp")
    local = f"0100007F:{port:04X}"

    def bound() -> bool:
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == local and (transport.startswith("u") or fields[3] == "0A"):
                return True
        return False

    return until_sync(bound, f"a {transport} listener on port {port}", timeout=timeout)


def run_sipp(workdir: Path, scenario: str, **options: object) -> SippResult:
    """`start_sipp` and wait for it to end (at most its timeout + 5 s)."""
    return start_sipp(workdir, scenario, **options).wait()  # type: ignore[arg-type]


def sipp_register(workdir: Path, server: str, user: str, password: str, local_port: int, *,
                  transport: str = "u1") -> SippResult:
    """Register `user` at `server` ("host:port") with Contact 127.0.0.1:local_port."""
    return run_sipp(workdir, "register", remote=server, service=user, auth=(user, password),
                    local_port=local_port, transport=transport, timeout=5)


@dataclass
class CallResult:
    """Both ends of one sipp call."""

    caller: SippResult
    callee: SippResult

    @property
    def ok(self) -> bool:
        return self.caller.ok and self.callee.ok

    def describe(self) -> str:
        return f"caller: {self.caller.describe()}\n\ncallee: {self.callee.describe()}"


def sipp_call(workdir: Path, server: str, caller: tuple[str, str], callee: tuple[str, str],
              *, transport: str = "u1") -> CallResult:
    """Register caller and callee (number, password) at `server`, let the callee answer
    as sipp UAS on the port it registered, and place one call through the server."""
    caller_port, callee_port = free_ports(2)
    for (user, password), port in ((callee, callee_port), (caller, caller_port)):
        reg = sipp_register(workdir, server, user, password, port, transport=transport)
        assert reg.ok, f"registering {user} failed:\n{reg.describe()}"
    # The UAS takes the port over only now: its registration's sipp has exited.
    uas = start_sipp(workdir, "uas", local_port=callee_port, transport=transport, timeout=15)
    assert wait_listening(callee_port, transport), uas.stop().describe()
    uac = run_sipp(workdir, "uac", remote=server, service=callee[0], auth=caller,
                   keys={"caller": caller[0]}, local_port=caller_port, transport=transport)
    callee_result = uas.wait() if uac.ok else uas.stop()
    return CallResult(uac, callee_result)


# -- baresip --------------------------------------------------------------------------------


def write_tone(path: Path, seconds: float = 2.0, hz: float = 440.0) -> Path:
    """An 8 kHz mono 16-bit sine (baresip's aufile source; its 'ausine' is 48 kHz only)."""
    rate = 8000
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
                      for i in range(int(rate * seconds)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


@dataclass
class Baresip:
    """One baresip UA (foreground, its own config directory)."""

    directory: Path
    sip_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.directory / "baresip.out"

    def output(self) -> str:
        return _read(self.log)

    def start(self, *commands: str, seconds: int | None = None) -> Baresip:
        """Run baresip; `commands` are given with -e (e.g. "/dial sip:202@host:port"),
        `seconds` makes it quit by itself (-t)."""
        args = [need("baresip"), "-f", str(self.directory)]
        for command in commands:
            args += ["-e", command]
        if seconds is not None:
            args += ["-t", str(seconds)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=self.directory)
        return self

    def wait_for(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> bool:
        """Whether `text` shows up in its output (False once baresip ended without it, or
        after `timeout`)."""
        def shown_or_ended() -> str | None:
            if text in self.output():
                return "shown"
            if self.process is not None and self.process.poll() is not None:
                return "ended"
            return None

        try:
            until_sync(shown_or_ended, f"{text!r} from baresip", timeout=timeout, interval=0.1)
        except WaitTimeout:
            return False
        return text in self.output()

    def recording(self) -> Path | None:
        """The WAV of what the latest call received (make_baresip(record=True)), if any."""
        dumps = sorted(self.directory.glob("dump-*-dec.wav"))
        return dumps[-1] if dumps else None

    def recorded(self, timeout: float = DEFAULT_TIMEOUT) -> tuple[list[int], int]:
        """The samples of `recording()` and their rate, once baresip has closed the file:
        it writes the lengths into the WAV header when the call ends, so wait for the call to
        end (and baresip to keep running until then)."""
        path = self.recording()
        if path is None:
            return [], 8000
        until_sync(lambda: _wav_complete(path.read_bytes()),
                   f"baresip to finish {path} (its WAV header covering its bytes)",
                   timeout=timeout)
        with wave.open(str(path), "rb") as wav:
            rate, channels = wav.getframerate(), wav.getnchannels()
            if wav.getsampwidth() != 2:
                raise AssertionError(f"{path}: not 16-bit PCM")
            pcm = wav.readframes(wav.getnframes())
        samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)
        return list(samples[::channels]), rate

    def heard(self, hz: float) -> bool:
        """Whether some half second of `recording()` holds a tone at `hz`."""
        samples, rate = self.recorded()
        half = rate // 2
        return any(detect_tone(samples[i:i + half], hz, sample_rate=rate).present
                   for i in range(0, len(samples) - half + 1, half))

    def stop(self) -> None:
        # baresip unregisters on SIGTERM and may wait seconds for the answer; a test does
        # not need that, so it gets one second.
        if self.process is not None:
            _stop(self.process, timeout=1.0)


def _wav_complete(data: bytes) -> bool:
    """Whether a WAV file's RIFF and data lengths cover its bytes (its writer closed it)."""
    if len(data) <= 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return False
    start = data.find(b"data", 12)
    if start < 0:
        return False
    (riff,) = struct.unpack_from("<I", data, 4)
    (size,) = struct.unpack_from("<I", data, start + 4)
    return riff == len(data) - 8 and size == len(data) - start - 8


def make_baresip(directory: Path, *, user: str, password: str, registrar: str,
                 sip_port: int | None = None, mediaenc: str | None = "srtp-mand",
                 answer: bool = True, transport: str = "udp", tone_hz: float = 440.0,
                 tone_seconds: float = 2.0, record: bool = False) -> Baresip:
    """A baresip config directory for `user` at `registrar` ("host:port").

    mediaenc: "srtp-mand" (SDES-SRTP required, RTP/SAVP), "srtp" (offered), None (plain RTP).
    Leave a free port above `sip_port`: baresip also binds TLS on sip_port + 1.
    It plays a `tone_hz` sine for `tone_seconds` (then silence) and, with `record`, keeps
    what it receives (Baresip.recorded).
    """
    directory.mkdir(parents=True, exist_ok=True)
    port = sip_port if sip_port is not None else free_ports(1, gap=2)[0]
    tone = write_tone(directory / "tone.wav", seconds=tone_seconds, hz=tone_hz)
    # baresip 1.0's aufile has no player: with `record`, the sndfile filter writes what is
    # sent and received to dump-<time>-enc.wav and -dec.wav (Baresip.recorded).
    recording = ["module sndfile.so", f"snd_path {directory}"] if record else []
    (directory / "config").write_text("\n".join([
        f"sip_listen {HOST}:{port}",
        f"net_interface {HOST}",  # else the SDP names another interface's address
        f"audio_source aufile,{tone}",
        f"audio_player aufile,{directory / 'received.wav'}",
        "audio_alert aufile,/dev/null",
        "module_path /usr/lib/baresip/modules",
        # No stdio.so: its terminal input fails on a closed stdin; -e commands suffice.
        "module g711.so", "module aufile.so", "module srtp.so", *recording,
        "module_tmp account.so", "module_app menu.so",
        "rtp_ports 30000-30998", "",
    ]), "utf-8")
    params = [f"auth_pass={password}", "audio_codecs=PCMA,PCMU", "regint=600"]
    if mediaenc is not None:
        params.append(f"mediaenc={mediaenc}")
    if answer:
        params.append("answermode=auto")
    # A transport=udp URI parameter makes baresip 1.0 fail ("Register: Function not
    # implemented"): UDP is its default, so only TCP is named.
    suffix = "" if transport == "udp" else f";transport={transport}"
    (directory / "accounts").write_text(
        f"<sip:{user}@{registrar}{suffix}>;{';'.join(params)}\n", "utf-8")
    return Baresip(directory, port)
