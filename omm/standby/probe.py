"""The standby OMM's PBX probe (standby-eventmgr.md A.2, A.3): can this OMM reach its call
server? A REGISTER of the user with the lowest number and an OPTIONS to the proxy leave at once
from the OMM's own address; the first answer to either, whatever its status, means reachable;
both failing or unanswered within the time-out means not. The pair's runner hands the outcome
to the state machine (StandbyMachine.pbx_answered / pbx_failed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from omm.sip.config import Registrar, SipConfig
from omm.standby import conventions as cv
from sipdect.net import HostNet
from sipdect.sip import (
    Address,
    Headers,
    Peer,
    Request,
    ResponseReceived,
    SipTransport,
    SipTransportError,
    SipUri,
    TlsClientOptions,
    TransactionKey,
    TransactionTimeout,
    Transport,
    TransportFailed,
    new_call_id,
    new_tag,
)
from sipdect.sip import constants as c
from sipdect.sip.transaction import Event
from sipdect.tls import DEFAULT_LEVEL, SecurityLevel

if TYPE_CHECKING:
    from omm.model import OmmModel

log = logging.getLogger("sipdect.omm.standby")


def lowest_number(numbers: Iterable[str]) -> str | None:
    """The number the probe REGISTERs: the lowest of `numbers`; None when there is none.

    Decided (A.2 says "the user with the lowest number", not how numbers compare): numbers of
    ASCII digits compare by value (99 before 100), equal values by text ("0100" before "100");
    a number with anything else in it (+, *, #) comes after every number of digits, by text.
    Empty numbers are no numbers.
    """
    def key(num: str) -> tuple[bool, int, str]:
        digits = num.isascii() and num.isdigit()
        return (not digits, int(num) if digits else 0, num)

    nums = [n for n in numbers if n]
    return min(nums, key=key) if nums else None


@dataclass(frozen=True)
class PbxTarget:
    """Whom the probe asks, how, and from where: the OMM's SIP settings, the user to REGISTER
    and the OMM's own address."""

    address: str
    """The OMM's own address: the probe's socket binds it and its requests leave from it (the
    HostNet given to probe_pbx is the host at this address)."""
    sip: SipConfig
    """BasicSIP and SecureSIP as the OMM's user agent reads them (omm.sip.SipConfig): registrar
    and proxy host and port, outbound proxy, transport (UDP, TCP, TLS), sip: or sips:."""
    user: str | None
    """The number REGISTERed (lowest_number of the OMM's users); None: no users, OPTIONS only."""
    tls: TlsClientOptions = field(default_factory=TlsClientOptions)
    """How a TLS server's certificate is checked (SecureSIP, the OMM's trusted CAs)."""

    @classmethod
    def from_settings(cls, settings: Any, numbers: Iterable[str], address: str, *,
                      tls_level: SecurityLevel = DEFAULT_LEVEL,
                      tls_cafile: Any = None) -> PbxTarget | None:
        """The target of the OMM at `address` with these settings (its model's `settings`)
        and user numbers; None when BasicSIP names no server (probe_pbx(None) fails at once).
        `tls_level` and `tls_cafile` as the OMM's SIP user agent (omm.sip.Registrations) has
        them."""
        config = SipConfig.from_settings(settings)
        if config is None:
            return None
        return cls(address, config, lowest_number(numbers),
                   config.tls_options(tls_level, tls_cafile))

    @property
    def server(self) -> Registrar:
        """The tier probed (conventions.PBX_PROBE_TIER): its registrar, its proxy."""
        return next(s for s in self.sip.servers if s.tier == cv.PBX_PROBE_TIER)

    @property
    def domain(self) -> str:
        """The SIP domain of the user's address of record."""
        return self.server.domain


def target_of(model: OmmModel, address: str, *, tls_level: SecurityLevel = DEFAULT_LEVEL,
              tls_cafile: Any = None) -> PbxTarget | None:
    """The target of the OMM at `address` with this model: its SIP settings as they are now and
    the lowest number among its users; None when BasicSIP names no server."""
    numbers = (str(record.get("num") or "") for record in model.users.table)
    return PbxTarget.from_settings(model.settings, numbers, address, tls_level=tls_level,
                                   tls_cafile=tls_cafile)


@dataclass(frozen=True)
class ProbeOutcome:
    """What one probe found."""

    reachable: bool
    """Some request got an answer, of any status (A.2: any answer = reachable)."""
    method: str | None = None
    """The request answered first, REGISTER or OPTIONS; None when unreachable."""
    status_line: str = ""
    """The status line of that answer, e.g. "SIP/2.0 401 Unauthorized"."""
    why: str = ""
    """One line: who answered what, or what became of each request."""

    def __str__(self) -> str:
        return f"PBX {'reachable' if self.reachable else 'not reachable'}: {self.why}"


def probe_requests(target: PbxTarget, local: Peer) -> list[tuple[Request, Peer]]:
    """One probe's requests, each with where it is sent (the first hop, through the outbound
    proxy when one is set): the REGISTER of `target.user` (when there is one) and the OPTIONS
    to the proxy, each with a Call-ID and From tag of its own (the transport adds the Via and
    its branch). `local`: the probe's UDP socket, which the REGISTER names as its Contact with
    Expires conventions.PBX_PROBE_EXPIRES, so that no binding stays behind."""
    sip, server = target.sip, target.server
    out: list[tuple[Request, Peer]] = []
    if target.user is not None:
        peer, routes = sip.first_hop(server, (server.host, server.port))
        aor = sip.aor(server.domain, target.user)
        h = _headers(routes, f"<{aor}>", f"<{aor}>", local.host, "REGISTER")
        h.add("Contact", str(Address(SipUri(local.host, target.user, port=local.port))))
        h.add("Expires", str(cv.PBX_PROBE_EXPIRES))
        out.append((Request("REGISTER", sip.server_uri(server.host, server.port), h), peer))
    proxy = server.call_server
    peer, routes = sip.first_hop(server, proxy)
    uri = sip.server_uri(*proxy)
    h = _headers(routes, f"<{SipUri(local.host)}>", f"<{uri}>", local.host, "OPTIONS")
    out.append((Request("OPTIONS", uri, h), peer))
    return out


def _headers(routes: list[Address], from_: str, to: str, host: str, method: str) -> Headers:
    h = Headers()
    for route in routes:
        h.add("Route", str(route))
    h.add("Max-Forwards", str(c.DEFAULT_MAX_FORWARDS))
    h.add("From", f"{from_};tag={new_tag()}")
    h.add("To", to)
    h.add("Call-ID", new_call_id(host))
    h.add("CSeq", f"1 {method}")
    return h


async def probe_pbx(target: PbxTarget | None, *, net: HostNet,
                    timeout: float = cv.PBX_PROBE_TIMEOUT_S) -> ProbeOutcome:
    """Ask the PBX of `target` from the host `net` (the OMM's: its address, its cut links)
    whether it is there; return at the first answer, or once both requests failed or
    `timeout` seconds passed.

    UDP requests are retransmitted as RFC 3261 §17.1.2 says (the kit's client transactions);
    each also gives up at its own Timer F (64 x T1, 32 s), so a `timeout` above that waits no
    longer. When this returns the probe's socket and connection are closed and its timers
    stopped; a connection attempt still waiting (for a cut link) is cancelled and ends at the
    loop's next turn.
    """
    if target is None:
        return _logged(ProbeOutcome(False, why=cv.PBX_PROBE_NOT_CONFIGURED))
    if target.address != net.address:
        raise ValueError(f"a probe from {target.address} on the host at {net.address}")
    events: asyncio.Queue[Event] = asyncio.Queue()
    transport = SipTransport(on_event=events.put_nowait, tls_client=target.tls, net=net)
    try:
        return _logged(await _probe(transport, events, target, timeout))
    finally:
        await transport.close()


async def _probe(transport: SipTransport, events: asyncio.Queue[Event], target: PbxTarget,
                 timeout: float) -> ProbeOutcome:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        local = await transport.listen(Transport.UDP, target.address, 0)
    except SipTransportError as exc:
        return ProbeOutcome(False, why=str(exc))
    pending: dict[TransactionKey, tuple[str, str]] = {}
    failed: dict[str, str] = {}  # what became of each request, in the order they were sent
    for request, peer in probe_requests(target, local):
        what = f"{request.method} to {peer}"
        failed[what] = f"no answer within {timeout:g} s"
        try:
            pending[transport.send_request(request, peer)] = (request.method, what)
        except SipTransportError as exc:
            failed[what] = str(exc)
    while pending:
        try:
            event = await asyncio.wait_for(events.get(), deadline - loop.time())
        except TimeoutError:
            break
        if not isinstance(event, ResponseReceived | TransactionTimeout | TransportFailed):
            continue
        sent = pending.pop(event.transaction, None)
        if sent is None:
            continue
        method, what = sent
        if isinstance(event, ResponseReceived):
            answer = f"{event.response.status} {event.response.reason}".rstrip()
            return ProbeOutcome(True, method, f"{c.SIP_VERSION} {answer}",
                                f"{what} answered {answer}")
        failed[what] = ("no answer (SIP Timer F)" if isinstance(event, TransactionTimeout)
                        else "cannot connect or send")
    return ProbeOutcome(False, why="; ".join(f"{what}: {why}" for what, why in failed.items()))


def _logged(outcome: ProbeOutcome) -> ProbeOutcome:
    log.info("%s", outcome)
    return outcome
