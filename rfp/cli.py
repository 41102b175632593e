"""`sipdect rfp`: one virtual RFP as a process of its own, on its own (empty) air or, with
`--air HOST:PORT`, on a running world's air over the air link (sim.airlink).

omm-rfp.md §1 and §5: it connects to the OMM's port 16321, enrols (the key lands in its data
directory), keeps reconnecting, and prints one READY line once the link is up. With --omm2
(standby-eventmgr.md A.1/A.4: `ommip2`) it knows the standby OMM of a pair too and moves
between the two as rfp.omms says. With --air its
radio runs on a RemoteAir: the world places it at --x/--y in --cluster under --air-id (its OMM
record id, so that the RPNs of its sync relations agree), and it keeps reaching for the world
whenever that link is lost. With --ssh-port and --snmp-port it serves its SSH shells and its
SNMP agent as an RFP host of a site does (rfp.ssh, rfp.snmp); the READY line says where.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from rfp.omms import omm_text
from rfp.radio import RfpRadio
from rfp.station import VirtualRfp, mac_text, parse_mac
from sim.air import Air, AirMedium, RadioSite, schedule_deliveries
from sim.airlink import PORT as AIR_LINK_PORT
from sim.airlink import AirLinkValueError, RemoteAir
from sipdect import clock
from sipdect.link import constants as c


class UsageError(ValueError):
    """A command-line value is unusable; the message says what to give instead."""


def parse_address(text: str, option: str = "--omm", default_port: int = c.PORT
                  ) -> tuple[str, int]:
    """'HOST', 'HOST:PORT' or '[V6]:PORT' -> (host, port), the port `default_port` if not
    given; UsageError naming `option` otherwise."""
    host, port = text.strip(), str(default_port)
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            raise UsageError(f"{option} {text!r}: missing ']' after the IPv6 address")
        host, rest = host[1:end], host[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise UsageError(f"{option} {text!r}: expected [ADDRESS]:PORT")
            port = rest[1:]
    elif host.count(":") == 1:
        host, port = host.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"{option} {text!r}: expected HOST:PORT, e.g. 127.0.0.1:{default_port}")
    return host, int(port)


def parse_omm(text: str, option: str = "--omm") -> tuple[str, int]:
    """'HOST', 'HOST:PORT' or '[V6]:PORT' -> (host, port); the port defaults to 16321."""
    return parse_address(text, option)


def parse_hw_type(text: str) -> int:
    """'RFP35', 'RFP 35', 'rfp_l43', 'PC ECM' or a number -> SYS_INIT hardware type."""
    key = text.strip().upper().replace(" ", "").replace("-", "_")
    for member in c.HardwareType:
        if member.name.replace("_", "") == key.replace("_", ""):
            return int(member)
    try:
        return int(text, 0)
    except ValueError:
        names = ", ".join(m.name for m in c.HardwareType)
        raise UsageError(f"--hw-type {text!r} is unknown; use one of {names}") from None


async def _run(rfp: VirtualRfp, ready: dict[str, str]) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await rfp.start()
    await rfp.ssh_started()
    if rfp.ssh is not None and rfp.ssh.listening:
        ready["ssh"] = f"{rfp.ssh.host}:{rfp.ssh.port}"
    if rfp.snmp is not None and rfp.snmp.bound_port is not None:
        ready["snmp"] = f"{rfp.net.address}:{rfp.snmp.bound_port}"
    # What start-up built lives as long as the process: out of the cyclic collector, whose
    # full passes would pause the radio's and the media gateway's 10 ms voice (as sipdect up).
    gc.freeze()
    linked = loop.create_task(rfp.wait_for(lambda r: r.linked))
    stopped = loop.create_task(stop.wait())
    await asyncio.wait({linked, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if linked.done():
        # The OMM the link came up to: with --omm2 it may be the second.
        omm = omm_text(rfp.omm_address or rfp.omms.current)
        print("READY " + json.dumps({"component": "rfp", "mac": rfp.name, "omm": omm, **ready}),
              flush=True)
        await stopped
    linked.cancel()
    print(f"sipdect rfp {rfp.name}: shutting down", file=sys.stderr)
    await rfp.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sipdect rfp", description=__doc__)
    parser.add_argument("--omm", required=True, metavar="HOST[:PORT]",
                        help="the OMM's address (port 16321 unless given): DHCP's ommip1")
    parser.add_argument("--omm2", metavar="HOST[:PORT]",
                        help="the other OMM of a standby pair (port 16321 unless given): "
                             "DHCP's ommip2. When the link to one OMM fails or is lost, "
                             "the RFP tries the other at once, with the key it holds")
    parser.add_argument("--mac", required=True, help="this RFP's MAC, e.g. 00:30:42:1b:17:37")
    parser.add_argument("--hw-type", default="RFP35", help="hardware type (default RFP35)")
    parser.add_argument("--data-dir", type=Path, default=Path("data") / "rfp",
                        help="where the RFP keeps its key (default ./data/rfp)")
    parser.add_argument("--sw-version", default="SIP-DECT 9.2-sipdect",
                        help="software version announced in SYS_INIT")
    parser.add_argument("--ssh-port", type=int, metavar="PORT",
                        help="serve its SSH shells on this TCP port (0: any free one; a real "
                             "RFP: 22); omm/omm and root/22222 until its OMM takes it over. "
                             "Its host key is kept in --data-dir. Default: no SSH")
    parser.add_argument("--snmp-port", type=int, metavar="PORT",
                        help="run its SNMP agent on this UDP port (0: any free one; a real "
                             "RFP: 161), configured by its OMM. Default: no agent")
    air = parser.add_argument_group("on a running world's air (sim.airlink)")
    air.add_argument("--air", metavar="HOST:PORT",
                     help=f"the world's air link (port {AIR_LINK_PORT}); without it the RFP "
                          "runs on an empty air of its own")
    air.add_argument("--air-id", type=int, metavar="ID",
                     help="its id on the world's air: its RFP id in the OMM (needed with --air)")
    air.add_argument("--x", type=float, default=0.0, help="position in metres (default 0)")
    air.add_argument("--y", type=float, default=0.0, help="position in metres (default 0)")
    air.add_argument("--cluster", type=int, default=1, help="sync cluster (default 1)")
    air.add_argument("--preferred-sync", action="store_true",
                     help="favoured as its cluster's sync reference")
    parser.add_argument("--speed", type=float, metavar="N",
                        help="run every timer N times faster than real time, as the OMM's "
                             "system does (default: the SIPDECT_CLOCK a supervisor hands down, "
                             "else 1)")
    args = parser.parse_args(argv)
    try:
        if args.speed is not None:
            clock.configure(args.speed)
        host, port = parse_omm(args.omm)
        standby = parse_omm(args.omm2, "--omm2") if args.omm2 is not None else None
        mac = parse_mac(args.mac)
        hw_type = parse_hw_type(args.hw_type)
        remote = _remote_air(args, mac) if args.air is not None else None
        for option, value in (("--ssh-port", args.ssh_port), ("--snmp-port", args.snmp_port)):
            if value is not None and not 0 <= value <= 0xFFFF:
                raise UsageError(f"{option} {value}: a port is 0 to 65535")
    except ValueError as exc:  # ClockError too
        print(f"sipdect rfp: {exc}", file=sys.stderr)
        return 2
    return clock.run(_main(host, port, mac, hw_type, args.data_dir, args.sw_version, remote,
                           standby, Services(args.ssh_port, args.snmp_port)))


def _remote_air(args: argparse.Namespace, mac: bytes) -> RemoteAir:
    """The world's air reached over the air link, from --air, --air-id, --x/--y, --cluster."""
    host, port = parse_address(args.air, "--air", AIR_LINK_PORT)
    if args.air_id is None:
        raise UsageError("--air needs --air-id: the RFP's id in the OMM (GetRFP's id)")
    if not 0 <= args.cluster <= 0xFFFF:
        raise UsageError(f"--cluster {args.cluster}: an OMM's cluster is 0 to 65535")
    site = RadioSite(args.air_id, args.x, args.y, args.air_id % 256, cluster=args.cluster,
                     preferred_sync=args.preferred_sync)
    try:
        return RemoteAir(site, host, port, mac=mac)
    except AirLinkValueError as exc:
        raise UsageError(f"--air-id/--x/--y/--cluster: {exc}") from None


@dataclass(frozen=True)
class Services:
    """The RFP's own servers beside its link: None is off, 0 any free port."""

    ssh_port: int | None = None
    snmp_port: int | None = None


async def _main(host: str, port: int, mac: bytes, hw_type: int, data_dir: Path,
                sw_version: str, remote: RemoteAir | None = None,
                standby: tuple[str, int] | None = None,
                services: Services = Services()) -> int:
    loop = asyncio.get_running_loop()
    ready: dict[str, str] = {}
    air: AirMedium
    if remote is None:
        local = Air(epoch=loop.time())
        schedule_deliveries(local, loop.call_soon, loop.time)
        local.add_rfp(0, 0.0, 0.0)
        air, rfp_id = local, 0
    else:
        await remote.start()
        air, rfp_id = remote, remote.site.rfp_id
        ready["air"] = f"{remote.host}:{remote.port}"
    radio = RfpRadio(air, rfp_id)
    key_path = data_dir / f"{mac.hex()}.key"
    try:
        rfp = VirtualRfp(mac, hw_type, host, port, key_path, radio, standby_omm=standby,
                         sw_version=sw_version, ssh_port=services.ssh_port,
                         snmp_port=services.snmp_port)
        if remote is not None:
            remote.on_epoch = rfp.follow_epoch
        return await _run(rfp, ready)
    except ValueError as exc:  # a damaged key file
        print(f"sipdect rfp {mac_text(mac)}: {exc}", file=sys.stderr)
        return 2
    finally:
        if remote is not None:
            await remote.stop()


if __name__ == "__main__":
    sys.exit(main())
