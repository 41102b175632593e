"""`sipdect audit`: the seed's secure-installation checklist (SEED-SD Appendix B) against any
OMM over AXI TLS, read-only (README "sipdect audit").

checklist: the items as data and their checks; reader: the read-only AXI session and what it
reads; tlsprobe: versions and suites the AXI port accepts; report: text, JSON, JUnit; cli: the
command.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

from sipdect.accounts import DEFAULT_CREDENTIALS
from sipdect.app.audit.checklist import ITEMS, LOGIN, TLS_PROBE, evaluate
from sipdect.app.audit.reader import ReadOnlyAxi, gather
from sipdect.app.audit.report import Report, Result
from sipdect.app.audit.tlsprobe import probe
from sipdect.waiting import DEFAULT_TIMEOUT

__all__ = ["AuditError", "Target", "run_audit"]


class AuditError(Exception):
    """The audit could not connect or log in (exit status 2); the message says what to do."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    username: str
    password: str
    tls: ssl.SSLContext
    probe_tls: bool = True
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one connection attempt or one request may take."""

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


async def _open(target: Target) -> ReadOnlyAxi:
    try:
        return await asyncio.wait_for(
            ReadOnlyAxi.connect(target.host, target.port, target.tls), target.timeout)
    except ssl.SSLCertVerificationError as exc:
        raise AuditError(f"cannot trust the certificate of {target.where} ({exc.verify_message})"
                         ": give the OMM's certificate with --ca FILE, or --insecure") from None
    except ssl.SSLError as exc:
        raise AuditError(f"TLS with {target.where} failed ({exc.reason or exc}): is it the "
                         "AXI TLS port (12622)?") from None
    except (OSError, TimeoutError) as exc:
        raise AuditError(f"cannot connect to {target.where}: {exc or 'no answer'}") from None


async def run_audit(target: Target) -> Report:
    """Log in, read every setting the checklist needs, probe the port's TLS, judge each item."""
    axi = await _open(target)
    try:
        try:
            opened = await axi.login(target.username, target.password, timeout=target.timeout)
        except (TimeoutError, ConnectionError) as exc:
            raise AuditError(f"no answer to the login at {target.where} ({exc})") from None
        if "errCode" in opened.attrs:
            raise AuditError(f"login as {target.username} at {target.where} refused: "
                             f"{opened.attrs.get('errCode')} {opened.attrs.get('info', '')}"
                             .strip())
        try:
            settings = await gather(axi, timeout=target.timeout)
        except ConnectionError as exc:
            raise AuditError(f"the OMM at {target.where} closed the connection ({exc})") \
                from None
    finally:
        await axi.close()
    settings[LOGIN] = {"username": target.username, "default_password":
                       DEFAULT_CREDENTIALS.get(target.username) == target.password}
    report_probe = None
    if target.probe_tls:
        result = await asyncio.to_thread(probe, target.host, target.port)
        report_probe = result.as_dict()
        settings[TLS_PROBE] = report_probe
    return Report(target.where, target.username, opened.attrs.get("ommVersion", ""),
                  [Result(item, evaluate(item, settings)) for item in ITEMS], report_probe)
