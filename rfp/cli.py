"""`sipdect rfp`: one virtual RFP as a process of its own, with its own (empty) air.

omm-rfp.md §1 and §5: it connects to the OMM's port 16321, enrols (the key lands in its data
directory), keeps reconnecting, and prints one READY line once the link is up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from rfp.radio import RfpRadio
from rfp.station import VirtualRfp, mac_text, parse_mac
from sim.air import Air, schedule_deliveries
from sipdect.link import constants as c


class UsageError(ValueError):
    """A command-line value is unusable; the message says what to give instead."""


def parse_omm(text: str) -> tuple[str, int]:
    """'HOST', 'HOST:PORT' or '[V6]:PORT' -> (host, port); the port defaults to 16321."""
    host, port = text.strip(), str(c.PORT)
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            raise UsageError(f"--omm {text!r}: missing ']' after the IPv6 address")
        host, rest = host[1:end], host[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise UsageError(f"--omm {text!r}: expected [ADDRESS]:PORT")
            port = rest[1:]
    elif host.count(":") == 1:
        host, port = host.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--omm {text!r}: expected HOST:PORT, e.g. 127.0.0.1:16321")
    return host, int(port)


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


async def _run(rfp: VirtualRfp, omm: str) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await rfp.start()
    linked = loop.create_task(rfp.wait_for(lambda r: r.linked))
    stopped = loop.create_task(stop.wait())
    await asyncio.wait({linked, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if linked.done():
        print("READY " + json.dumps({"component": "rfp", "mac": rfp.name, "omm": omm}),
              flush=True)
        await stopped
    linked.cancel()
    print(f"sipdect rfp {rfp.name}: shutting down", file=sys.stderr)
    await rfp.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sipdect rfp", description=__doc__)
    parser.add_argument("--omm", required=True, help="the OMM's HOST:PORT (port 16321)")
    parser.add_argument("--mac", required=True, help="this RFP's MAC, e.g. 00:30:42:1b:17:37")
    parser.add_argument("--hw-type", default="RFP35", help="hardware type (default RFP35)")
    parser.add_argument("--data-dir", type=Path, default=Path("data") / "rfp",
                        help="where the RFP keeps its key (default ./data/rfp)")
    parser.add_argument("--sw-version", default="SIP-DECT 9.2-sipdect",
                        help="software version announced in SYS_INIT")
    args = parser.parse_args(argv)
    try:
        host, port = parse_omm(args.omm)
        mac = parse_mac(args.mac)
        hw_type = parse_hw_type(args.hw_type)
    except ValueError as exc:
        print(f"sipdect rfp: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_main(host, port, mac, hw_type, args.data_dir, args.sw_version))


async def _main(host: str, port: int, mac: bytes, hw_type: int, data_dir: Path,
                sw_version: str) -> int:
    loop = asyncio.get_running_loop()
    air = Air(epoch=loop.time())
    schedule_deliveries(air, loop.call_soon, loop.time)
    air.add_rfp(0, 0.0, 0.0)
    radio = RfpRadio(air, 0)
    key_path = data_dir / f"{mac.hex()}.key"
    rfp = VirtualRfp(mac, hw_type, host, port, key_path, radio, sw_version=sw_version)
    try:
        return await _run(rfp, f"{host}:{port}")
    except ValueError as exc:  # a damaged key file
        print(f"sipdect rfp {mac_text(mac)}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
