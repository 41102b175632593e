"""The `sipdect` command: up, omm, mom, eventmgr, host, rfp, ctl, decode, bench, audit
(README.md)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from sipdect import __version__, clock
from sipdect.app import ready
from sipdect.app.bench import BENCHMARKS
from sipdect.app.config import ConfigError, SystemConfig, checked_speed, load_config

log = logging.getLogger("sipdect")

SSH_LINES_SHOWN = 4
"""`sipdect up` lists the RFPs' SSH endpoints one by one up to this many, else the first."""
DISCLAIMER = ("sipdect emulates Mitel SIP-DECT from public material; behaviour may differ "
              "from a real installation.")


async def _run(cfg: SystemConfig, data_dir: Path, ready_file: Path) -> int:
    from sipdect.app.config_check import listener_of
    from sipdect.app.system import System

    system = System(cfg, data_dir)
    try:
        await system.start()
    except OSError as exc:
        # Two listeners of this config on one port were refused by System already: here the
        # port is held by some other program.
        listener = listener_of(cfg, exc)
        what = f"{listener.describe()} in {cfg.source}" if listener else "the ports in the config"
        print(f"sipdect: cannot listen: {exc}; another program holds the port (another "
              f"sipdect?): stop it or change {what}", file=sys.stderr)
        return 1
    # What start-up built lives as long as the process: keep it out of the cyclic collector,
    # whose full passes over it would pause the 10 ms voice path (sipdect bench calls).
    gc.freeze()
    if cfg.port_shift:
        print(f"sipdect {__version__}: privileged ports are shifted by +{cfg.port_shift}",
              file=sys.stderr)
    print(DISCLAIMER, file=sys.stderr)
    endpoints = system.ready_info(secrets=False)["endpoints"]
    ssh = [e for e in endpoints if e["protocol"] == "ssh"]
    for e in endpoints:
        if e["protocol"] == "ssh" and len(ssh) > SSH_LINES_SHOWN and e is not ssh[0]:
            continue
        if e["component"] == "rfp" and e["protocol"] == "snmp":
            continue
        print(f"  {e['component']} {e['name']}: {e['protocol']} {e['host']}:{e['port']}",
              file=sys.stderr)
    if len(ssh) > SSH_LINES_SHOWN:
        print(f"  ... and {len(ssh) - 1} more RFPs' SSH, each at its own address "
              "(`sipdect ctl rfps`)", file=sys.stderr)
    if ssh:
        print(f"  RFP SSH shells: ssh -p {ssh[0]['port']} omm@{ssh[0]['host']} (factory "
              "logins omm/omm and root/22222 until the OMM sends its own)", file=sys.stderr)
    # The RFPs' SNMP agents in one line: a site has hundreds (all in the ready file).
    agents = [e for e in endpoints if e["component"] == "rfp" and e["protocol"] == "snmp"]
    if agents:
        ports = sorted({e["port"] for e in agents})
        print(f"  rfp SNMP agents: {len(agents)}, UDP port {', '.join(map(str, ports))} at "
              f"each RFP's address (e.g. {agents[0]['host']}); communities: the OMM's "
              "GetSNMP/SetSNMP (none at first)", file=sys.stderr)
    for e in system.ready_info(secrets=False)["endpoints"]:
        if e["protocol"] == "web-https":
            print(f"  web UI {e['name']}: https://{e['host']}:{e['port']}/ (self-signed "
                  "certificate; log in as below)", file=sys.stderr)
    for c in system.credentials(secrets=False):
        note = " (must be changed at first login)" if c["must_change_password"] else ""
        print(f"  login {c['name']}: {c['username']}{note}", file=sys.stderr)
    # Before the ready file and READY announce it: whoever reads them may stop us at once.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        system.write_ready_file(ready_file)
    except OSError as exc:
        print(f"sipdect: cannot write the ready file {ready_file}: {exc.strerror or exc}; "
              "give --ready-file a writable place", file=sys.stderr)
        await system.stop()
        return 1
    print(f"  passwords and the control API's token: in {ready_file} (readable by you only; "
          "`sipdect ctl` reads it)", file=sys.stderr)
    if system.control is not None:
        print(f"  live site map: {system.control.map.url()} (works once; `sipdect ctl map` "
              "gives a new link)", file=sys.stderr)
    print("READY " + json.dumps({"endpoints": system.ready_info(secrets=False)["endpoints"],
                                 "ready_file": str(ready_file)}), flush=True)
    await stop.wait()
    print("sipdect: shutting down", file=sys.stderr)
    await system.stop()
    ready_file.unlink(missing_ok=True)
    if system.capture_file is not None:
        print(f"sipdect: capture written to {system.capture_file} (docs/capture.md: open it "
              "in Wireshark with contrib/wireshark/sipdect.lua)", file=sys.stderr)
    return 0


def _ready_file(args: argparse.Namespace) -> Path:
    return Path(args.ready_file) if args.ready_file else ready.default_path(args.data_dir)


def _with_capture(cfg: SystemConfig, args: argparse.Namespace) -> SystemConfig:
    if getattr(args, "capture", None) is not None:
        cfg.capture = args.capture
    return cfg


def _at_speed(cfg: SystemConfig, args: argparse.Namespace) -> SystemConfig:
    """`--speed` over the config's `[system] speed`; this process's clock set to it (a clock
    handed down by a supervisor at that speed is kept, so every host agrees)."""
    given = getattr(args, "speed", None)
    if given is not None:
        cfg.speed = checked_speed(given, "--speed")
    clock.configure(cfg.speed)
    if cfg.speed != 1.0:
        print(f"sipdect: every timer runs at speed {cfg.speed:g} (README \"Speed\"); voice "
              "needs speed 1", file=sys.stderr)
    return cfg


def _cmd_up(args: argparse.Namespace) -> int:
    cfg = _at_speed(_with_capture(load_config(args.config), args), args)
    return clock.run(_run(cfg, args.data_dir, _ready_file(args)))


def _cmd_omm(args: argparse.Namespace) -> int:
    cfg = _with_capture(load_config(args.config), args)
    if args.name:
        cfg.omms = [o for o in cfg.omms if o.name == args.name]
        if not cfg.omms:
            raise ConfigError(f"{args.config}: no [[omm]] named {args.name!r}")
    else:
        cfg.omms = cfg.omms[:1]
    # One OMM (with its RFPs and handsets): its SIP peer is whatever BasicSIP names.
    cfg.pbx = None
    kept = cfg.omms[0].name
    if args.provision is not None:
        if not args.provision.is_file():
            raise ConfigError(f"--provision {args.provision}: no such file")
        cfg.omms[0].config_url = args.provision.resolve().as_uri()
    cfg.users = [u for u in cfg.users if u.omm == kept]
    cfg.rfps = [r for r in cfg.rfps if r.omm == kept]
    cfg.handsets = [h for h in cfg.handsets if h.omm == kept]
    _at_speed(cfg, args)
    return clock.run(_run(cfg, args.data_dir, _ready_file(args)))


def _cmd_mom(args: argparse.Namespace) -> int:
    """The config's MOM alone (`sipdect host MOM`): it reaches the OMMs where the config says."""
    return _service_alone(args, "mom", lambda cfg: [m.name for m in cfg.moms])


def _cmd_eventmgr(args: argparse.Namespace) -> int:
    """The config's Event Manager alone (`sipdect host EventManager`): it reaches its OMM
    where the config says, with the account the config gives (username, password)."""
    return _service_alone(args, "eventmgr", lambda cfg: [e.name for e in cfg.eventmgrs])


def _service_alone(args: argparse.Namespace, section: str,
                   names_of: Callable[[SystemConfig], list[str]]) -> int:
    """`sipdect host NAME` for the config's [section] named --name (default its first)."""
    cfg = load_config(args.config)
    names = names_of(cfg)
    if not names:
        raise ConfigError(f"{args.config}: the config has no [{section}]")
    if args.name and args.name not in names:
        raise ConfigError(f"{args.config}: no [{section}] named {args.name!r}; known: "
                          f"{', '.join(names)}")
    args.names = [args.name or names[0]]
    args.state = args.air = args.air_id = args.addresses = None
    args.supervised = False
    args.speed = None  # the config's
    return _cmd_host(args)


def _cmd_host(args: argparse.Namespace) -> int:
    """One host of the system alone: the same config as `sipdect up`, this machine only."""
    from sipdect.app.process import read_config_state, serve_hosts
    from sipdect.app.system import System

    cfg = read_config_state(args.state) if args.state else _with_capture(
        load_config(args.config), args)
    known = {h.name for h in cfg.hosts()}
    for name in args.names:
        if name not in known:
            raise ConfigError(f"{cfg.source}: no host called {name!r}; the hosts are "
                              f"{', '.join(h.name for h in cfg.hosts())}")

    async def run() -> int:
        remote_air = None
        if args.air is not None:
            host, _, port = args.air.rpartition(":")
            if not host or not port.isdigit():
                raise ConfigError(f"sipdect host: --air {args.air!r}: give HOST:PORT")
            remote_air = (host, int(port))
        system = System(cfg, args.data_dir, addresses=args.addresses,
                        inside=",".join(args.names), remote_air=remote_air,
                        checked=args.state is not None)
        if args.air_id is not None:
            if len(args.names) != 1:
                raise ConfigError("sipdect host: --air-id names the air id of one RFP host")
            system.set_air_id(args.names[0], args.air_id)
        try:
            return await serve_hosts(system, args.names, supervised=args.supervised)
        except (OSError, ValueError) as exc:
            print(f"sipdect host {' '.join(args.names)}: cannot start: {exc}", file=sys.stderr)
            return 1

    _at_speed(cfg, args)
    return clock.run(run())


def _cmd_bench(args: argparse.Namespace) -> int:
    from sipdect.app import bench

    result = bench.run(args.what, quick=args.quick)
    print(json.dumps(result, indent=2))
    return 0


DECODE_RFP_HELP = """\
Decode OMM-RFP link messages (omm-rfp.md) and print one JSON object per message.

Each INPUT is one of:
  HEX            one or more whole messages in clear, back to back (type u16, length u16,
                 payload); spaces, colons, dots and dashes are ignored, a 0x prefix too.
  omm:HEX        ciphertext the OMM sent (OMM->RFP), as it travelled on the TCP stream.
  rfp:HEX        ciphertext the RFP sent (RFP->OMM).
  FILE.pcapng    a capture of `sipdect up --capture DIR` (docs/capture.md): its link
                 records, the messages in clear as the OMM saw them, each with its time,
                 direction and connection; with --stream also the link's TCP streams as
                 sent, decrypted (the clear handshake, then each direction's ciphertext).

Order: give the arguments in the order they travelled. Ciphertext is decrypted with the key
K (--key, else the K of a SYS_RFP_AUTH_KEY among the earlier arguments) and the IVs from the
latest SYS_AUTHENTICATE before it; each direction's CBC chain runs on from one argument to
the next of that direction, so omm: and rfp: arguments may interleave, but each direction's
own pieces must be complete and in order. A NWK message split over several LC frames is put
back together. What does not decode becomes an object with an "error" entry.

Examples:
  sipdect decode rfp 0120...            a SYS_INIT in clear
  sipdect decode rfp 012d0020... 0124... rfp:a1b2... omm:c3d4...
  sipdect decode rfp --key 5a5b... omm:...  an RFP that had its key already
  sipdect decode rfp capture/sipdect-20261207-101500-4242-0a1b.pcapng --stream
"""

DECODE_AIR_HELP = """\
Print the DECT air records of a capture (`sipdect up --capture DIR`, docs/capture.md), one
JSON object per frame: time, direction (uplink: handset -> RFP), handset IPEI, RFP air id,
PMID, whether it was ciphered on the air, the DLC frame in clear and the NWK message it
completes (EN 300 175-4/-5).
"""


def _cmd_license(args: argparse.Namespace) -> int:
    """Sign a licence file in place, or check one (README "Licences")."""
    import dataclasses
    import json

    from omm.licensefile import LicenseFileError, parse, sign

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
        if args.action == "sign":
            text = sign(text)
            path.write_text(text, encoding="utf-8")
        grant = parse(text)
    except OSError as exc:
        print(f"sipdect license: {path}: {exc.strerror}", file=sys.stderr)
        return 2
    except LicenseFileError as exc:
        print(f"sipdect license: {path}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(dataclasses.asdict(grant), indent=2))
    return 0


def _cmd_decode(args: argparse.Namespace) -> int:
    from sipdect.capture import CaptureFormatError, pcapng
    from sipdect.capture.decode import air_records, decode_streams, is_pcapng, link_records
    from sipdect.link.decode import decode_hex

    key = None
    try:
        key = bytes.fromhex(args.key) if getattr(args, "key", None) else None
    except ValueError:
        print("sipdect decode: --key is not hex", file=sys.stderr)
        return 2
    hex_args: list[str] = []

    def flush_hex() -> None:
        if hex_args:
            for item in decode_hex(*hex_args, key=key):
                print(json.dumps(item))
            hex_args.clear()

    try:
        for text in args.inputs:
            path = Path(text)
            if not path.is_file():
                if args.protocol == "air":
                    print(f"sipdect decode air: {text}: no such file", file=sys.stderr)
                    return 2
                hex_args.append(text)
                continue
            data = path.read_bytes()
            if not is_pcapng(data):
                print(f"sipdect decode: {text}: not a pcapng file", file=sys.stderr)
                return 2
            flush_hex()
            capture = pcapng.read(data)
            if args.protocol == "air":
                items = air_records(capture)
            else:
                items = link_records(capture)
            for item in items:
                print(json.dumps(item))
            if args.protocol == "rfp" and args.stream:
                for item in decode_streams(capture, key):
                    print(json.dumps(item))
        flush_hex()
    except (ValueError, CaptureFormatError) as exc:
        print(f"sipdect decode: {exc}", file=sys.stderr)
        return 2
    return 0


#: Subcommands with their own argument parsers, handed the rest of the command line.
DELEGATED = {"rfp": "rfp.cli", "ctl": "sipdect.app.ctl", "provision": "sipdect.app.provision",
             "audit": "sipdect.app.audit.cli", "scenario": "sipdect.app.scenario.run"}


def _quiet_libraries() -> None:
    """asyncssh logs every connection's steps at INFO: the RFPs' own syslog tells the logins
    (rfp.ssh); its warnings still show."""
    logging.getLogger("asyncssh").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in DELEGATED:
        import importlib

        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        _quiet_libraries()
        module = importlib.import_module(DELEGATED[argv[0]])
        return int(module.main(argv[1:]))
    parser = argparse.ArgumentParser(prog="sipdect", description=__doc__,
                                     epilog="Also: sipdect rfp --help, sipdect ctl --help, "
                                            "sipdect provision --help, sipdect audit --help, "
                                            "sipdect scenario --help")
    parser.add_argument("--version", action="version", version=f"sipdect {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, config_required: bool = False) -> None:
        p.add_argument("--config", type=Path, required=config_required,
                       help="system TOML (default: the embedded configs/default.toml)")
        p.add_argument("--data-dir", type=Path, default=ready.DEFAULT_DATA_DIR,
                       help="where state, keys and certificates live (default ./data)")
        p.add_argument("--ready-file", type=Path,
                       help="where to write endpoints, passwords and the control API's "
                            "token as JSON once listening, mode 0600 (default: "
                            f"{ready.READY_FILE_NAME} in the data directory)")
        p.add_argument("--capture", type=Path, metavar="DIR",
                       help="write this run's traffic to DIR as one pcapng file Wireshark "
                            "opens (docs/capture.md; [system] capture)")

    def speed(p: argparse.ArgumentParser) -> None:
        p.add_argument("--speed", type=float, metavar="N",
                       help="run every timer N times faster than real time (default: the "
                            "config's [system] speed, 1); voice needs 1 (README \"Speed\")")

    up = sub.add_parser("up", help="start the whole emulated system")
    common(up)
    speed(up)
    up.set_defaults(fn=_cmd_up)
    omm = sub.add_parser("omm", help="run one OMM alone")
    common(omm, config_required=True)
    speed(omm)
    omm.add_argument("--name", help="which [[omm]] of the config (default: the first)")
    omm.add_argument("--provision", type=Path, metavar="FILE",
                     help="provision the OMM from this file (ipdect.cfg format) at start, in "
                          "place of the config's config_url")
    omm.set_defaults(fn=_cmd_omm)
    mom = sub.add_parser("mom", help="run the config's Multi-OMM Manager alone")
    mom.add_argument("--config", type=Path, required=True, help="system TOML with a [mom]")
    mom.add_argument("--data-dir", type=Path, default=ready.DEFAULT_DATA_DIR,
                     help="where state, keys and certificates live (default ./data)")
    mom.add_argument("--name", help="which [[mom]] of the config (default: the first)")
    mom.set_defaults(fn=_cmd_mom)
    em = sub.add_parser("eventmgr", help="run the config's Event Manager alone")
    em.add_argument("--config", type=Path, required=True,
                    help="system TOML with an [eventmgr]")
    em.add_argument("--data-dir", type=Path, default=ready.DEFAULT_DATA_DIR,
                    help="where state, keys and certificates live (default ./data)")
    em.add_argument("--name", help="which [[eventmgr]] of the config (default: the first)")
    em.set_defaults(fn=_cmd_eventmgr)
    host = sub.add_parser("host", help="run hosts of the system alone (in this process)")
    host.add_argument("names", nargs="+", metavar="NAME",
                      help="a host's name: an [[omm]], [[rfp]], [[phone]], [pbx], [mom] or "
                           "[eventmgr]")
    host.add_argument("--config", type=Path,
                      help="system TOML (default: the embedded configs/default.toml)")
    host.add_argument("--data-dir", type=Path, default=ready.DEFAULT_DATA_DIR,
                      help="where state, keys and certificates live (default ./data)")
    host.add_argument("--addresses", help="the block the hosts without an address take "
                                          "theirs from (default: the config's)")
    host.add_argument("--state", type=Path, help=argparse.SUPPRESS)  # from sipdect up
    host.add_argument("--air", metavar="HOST:PORT",
                      help="an RFP host: the world's air link (sipdect up's [system] air_port)")
    host.add_argument("--air-id", type=int, metavar="N", help="an RFP host: its id on the air")
    host.add_argument("--capture", type=Path, metavar="DIR",
                      help="write this run's traffic to DIR as one pcapng (docs/capture.md)")
    speed(host)
    host.add_argument("--supervised", action="store_true",
                      help="started by `sipdect up`: print HOST-READY and serve its control")
    host.set_defaults(fn=_cmd_host)
    bench = sub.add_parser("bench", help="run benchmarks, print JSON")
    bench.add_argument("what", choices=[*BENCHMARKS, "all"])
    bench.add_argument("--quick", action="store_true", help="small sizes, for smoke tests")
    bench.set_defaults(fn=_cmd_bench)

    lic = sub.add_parser("license", help="sign or check a licence file ([omm.license] file)")
    lic.add_argument("action", choices=["sign", "check"],
                     help="sign: add (or renew) its signature line in place; check: show "
                          "what it grants, or why it is refused")
    lic.add_argument("file", metavar="FILE")
    lic.set_defaults(fn=_cmd_license)

    decode = sub.add_parser("decode", help="decode captured messages, one JSON object each")
    what = decode.add_subparsers(dest="protocol", required=True)
    rfp = what.add_parser("rfp", help="OMM-RFP link messages: hex, or a capture's",
                          description=DECODE_RFP_HELP,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    rfp.add_argument("inputs", nargs="+", metavar="INPUT",
                     help="HEX, omm:HEX, rfp:HEX or FILE.pcapng (see above)")
    rfp.add_argument("--key", help="the RFP's 64-byte link key K (hex) for encrypted data")
    rfp.add_argument("--stream", action="store_true",
                     help="with a capture: decode the link's TCP streams as sent too")
    rfp.set_defaults(fn=_cmd_decode)
    air = what.add_parser("air", help="a capture's DECT air frames",
                          description=DECODE_AIR_HELP,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    air.add_argument("inputs", nargs="+", metavar="FILE.pcapng")
    air.set_defaults(fn=_cmd_decode)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _quiet_libraries()
    try:
        return int(args.fn(args))
    except ConfigError as exc:
        print(f"sipdect: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
