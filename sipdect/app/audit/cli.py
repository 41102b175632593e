"""`sipdect audit --omm HOST[:PORT] --user U ...`: check an OMM against SEED-SD Appendix B.

Exit status: 0 no item fails, 1 an item fails, 2 could not connect or log in (or bad usage).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import ssl
import sys
from pathlib import Path

from sipdect.app.audit import AuditError, Target, run_audit
from sipdect.app.audit.report import render_json, render_junit, render_text

AXI_TLS_PORT = 12622
"""The AXI TLS port (axi.md §1), the audit's default."""


def parse_omm(text: str) -> tuple[str, int]:
    """HOST[:PORT] (IPv6 as [ADDR]:PORT)."""
    host, port = text, AXI_TLS_PORT
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = int(port_text)
    if not host or not 0 < port < 65536:
        raise ValueError(f"--omm {text!r}: give HOST or HOST:PORT, e.g. 192.0.2.10:12622")
    return host, port


def tls_context(ca: Path | None, insecure: bool) -> ssl.SSLContext:
    if insecure:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if ca is not None and not ca.is_file():
        raise ValueError(f"--ca {ca}: no such file (the OMM's certificate, PEM)")
    return ssl.create_default_context(cafile=str(ca) if ca else None)


def read_password(path: Path | None) -> str:
    if path is None:
        return getpass.getpass("AXI password: ")
    if str(path) != "-" and not path.is_file():
        raise ValueError(f"--password-file {path}: no such file")
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    return text.splitlines()[0] if text else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sipdect audit", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="It only reads (a read-only account suffices) and never tries the default "
               "login. Items AXI cannot show are reported as cannot-tell, not guessed.")
    parser.add_argument("--omm", required=True, metavar="HOST[:PORT]",
                        help=f"the OMM's AXI TLS port (default port {AXI_TLS_PORT})")
    parser.add_argument("--user", required=True, help="AXI account (read-only is enough)")
    parser.add_argument("--password-file", type=Path, metavar="F",
                        help="file whose first line is the password ('-': standard input); "
                             "else asked for")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--junit", type=Path, metavar="FILE",
                        help="also write JUnit XML: a testcase per item, failures, and "
                             "skipped for cannot-tell")
    trust = parser.add_mutually_exclusive_group()
    trust.add_argument("--ca", type=Path, metavar="FILE",
                       help="trust the OMM's certificate from this PEM file")
    trust.add_argument("--insecure", action="store_true",
                       help="do not check the OMM's certificate (self-signed, lab use)")
    parser.add_argument("--no-probe", action="store_true",
                        help="skip the TLS probe of the AXI port (item 1.4 is then "
                             "cannot-tell)")
    args = parser.parse_args(argv)
    try:
        host, port = parse_omm(args.omm)
        tls = tls_context(args.ca, args.insecure)
        password = read_password(args.password_file)
    except (ValueError, OSError, ssl.SSLError) as exc:
        print(f"sipdect audit: {exc}", file=sys.stderr)
        return 2
    target = Target(host, port, args.user, password, tls, probe_tls=not args.no_probe)
    try:
        report = asyncio.run(run_audit(target))
    except AuditError as exc:
        print(f"sipdect audit: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render_json(report) if args.json else render_text(report))
    if args.junit:
        args.junit.write_bytes(render_junit(report))
    return report.exit_status()
