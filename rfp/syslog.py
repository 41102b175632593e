"""An RFP's remote syslog (seed 000 "Syslog", features.md: unconfigured by default): where its
OMM says (SYS_SYSLOG, omm-rfp.md §4.5), the RFP sends every line of its own syslog (SSH logins,
failed logins, shell commands, settings from its OMM) as RFC 5424 over UDP, from its own
address. The unspecified address or port 0 turns it off; it lasts until the RFP restarts (its
OMM sends it again at every link up).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging

from sipdect.link.system import SysSyslog
from sipdect.net import HostNet
from sipdect.ops.eventlog import EventLog
from sipdect.ops.syslog import FACILITY_LOCAL0, SyslogSender

log = logging.getLogger("rfp.syslog")

APP_NAME = "RFP"
"""The APP-NAME of its messages (sipdect's choice; the OMM's are "OMM")."""


def target(message: SysSyslog) -> tuple[str, int] | None:
    """(host, port) a SYS_SYSLOG names, None when it turns syslog off."""
    address = message.address.ipv4_mapped or message.address
    if address == ipaddress.IPv6Address("::") or not message.port:
        return None
    return str(address), message.port


class RemoteSyslog:
    """The RFP's syslog sender towards the server its OMM named."""

    def __init__(self, ring: EventLog, net: HostNet, hostname: str) -> None:
        self.ring = ring
        self.net = net
        self.hostname = hostname
        self.server: tuple[str, int] | None = None
        """Where its lines go now (None: nowhere)."""
        self._sender: SyslogSender | None = None
        self._task: asyncio.Task[None] | None = None

    def configure(self, message: SysSyslog) -> None:
        """A SYS_SYSLOG from its OMM: send to the new server from now on (or stop)."""
        wanted = target(message)
        if wanted == self.server and (wanted is None or self._sender is not None
                                      or self._task is not None):
            return
        self.close()
        self.server = wanted
        if wanted is not None:
            self._task = asyncio.get_running_loop().create_task(self._open(*wanted))

    async def _open(self, host: str, port: int) -> None:
        try:
            sender = await SyslogSender.create(host, port, hostname=self.hostname,
                                               app_name=APP_NAME, facility=FACILITY_LOCAL0,
                                               net=self.net)
        except OSError as exc:
            log.warning("RFP %s: syslog server %s:%d unusable: %s", self.hostname, host, port,
                        exc)
            return
        finally:
            self._task = None
        self._sender = sender
        self.ring.subscribe(sender.send)
        self.ring.add("Event", "syslog", f"syslog to {host}:{port}")

    def close(self) -> None:
        """Stop sending (a restart, a new server, power off)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._sender is not None:
            self.ring.unsubscribe(self._sender.send)
            self._sender.close()
            self._sender = None
        self.server = None
