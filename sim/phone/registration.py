"""A phone's registration at its registrar (RFC 3261 §10.2), sans-I/O: REGISTER with digest
credentials on a challenge (§22.2), the interval a 423 asks for (§10.2.8), refresh before
the binding lapses, retries with a doubling back-off after a failure, un-REGISTER at stop.

The one Call-ID is kept across refreshes and the CSeq counts up (§10.2.4). Sending goes
through a callback the user agent gives (it adds the Via and keeps the transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sim.phone.config import REFRESH_FRACTION, UNREGISTER_TIMEOUT, PhoneConfig
from sim.phone.events import PhoneEvent, RegistrationChanged, RegistrationState
from sipdect.sip import constants as c
from sipdect.sip.auth import DigestClient
from sipdect.sip.message import (
    Address,
    Headers,
    Peer,
    Request,
    Response,
    SipParseError,
    SipUri,
    new_call_id,
    new_tag,
)
from sipdect.sip.transaction import TransactionKey

log = logging.getLogger("sipdect.phone")

Send = Callable[[Request, Peer], TransactionKey]
"""Sends a request as a new client transaction; returns its key."""
Emit = Callable[[PhoneEvent], None]

USER_AGENT = "sipdect-phone"
"""What the phone calls itself in User-Agent."""


def status_line(response: Response) -> str:
    return f"{response.status} {response.reason}"


def registrar_uri(registrar: Peer, user: str | None = None) -> SipUri:
    """The registrar's URI (`user` for a request to someone there), with `;transport=` for
    the stream transports so that answers and routes keep to them."""
    params: dict[str, str | None] = {}
    if registrar.transport.reliable:
        params["transport"] = registrar.transport.lower()
    return SipUri(registrar.host, user, port=registrar.port, params=params)


class Registration:
    """One account's binding at one registrar."""

    def __init__(self, config: PhoneConfig, registrar: Peer, contact: Address,
                 client: DigestClient, send: Send, emit: Emit) -> None:
        self.config = config
        self.registrar = registrar
        self.contact = contact
        self.client = client
        self._send = send
        self._emit = emit
        self.call_id = new_call_id(contact.sip_uri.host)
        self.cseq = 0
        self.state = RegistrationState.UNREGISTERED
        self.response = ""
        """The last final answer (or made-up timeout), as "status reason"."""
        self.expires = 0
        """The interval last granted, seconds."""
        self.registered_until: float | None = None
        """When the binding lapses, if we hold one."""
        self.failures = 0
        """Failed attempts since the last success."""
        self.deadline: float | None = None
        """When to register again (refresh or retry), or to give up un-registering."""
        self.asked = config.expires
        """The interval we ask for (raised by a 423's Min-Expires)."""
        self.stopping = False
        self._pending: TransactionKey | None = None
        self._request: Request | None = None

    @property
    def finished(self) -> bool:
        """Stopped, and no un-REGISTER waits for its answer any more."""
        return self.stopping and self._pending is None

    @property
    def aor(self) -> SipUri:
        """The address of record: our user at the registrar's host."""
        return SipUri(self.registrar.host, self.config.user)

    # -- the user agent's side ----------------------------------------------------------------

    def start(self, now: float) -> None:
        if self.config.expires:
            self._register(now)

    def stop(self, now: float) -> None:
        """Un-REGISTER if a binding may exist (also while a REGISTER is out: it may have been
        granted already); `finished` once answered or after UNREGISTER_TIMEOUT."""
        if self.stopping:
            return
        self.stopping = True
        self.deadline = None
        bound = self.registered_until is not None and self.registered_until > now
        if bound or self._pending is not None:
            self._register(now, expires=0)
            self.deadline = now + UNREGISTER_TIMEOUT
        self._enter(RegistrationState.UNREGISTERED, self.response)

    def handle_timer(self, now: float) -> None:
        if self.deadline is None or now < self.deadline:
            return
        self.deadline = None
        if self.stopping:
            self._pending = None  # the un-REGISTER took too long: go anyway
        else:
            self._register(now)

    def owns(self, key: TransactionKey) -> bool:
        return key == self._pending

    def handle_response(self, response: Response, now: float) -> None:
        """A response to our pending REGISTER."""
        if response.status < 200:
            return
        assert self._request is not None
        request = self._request
        if response.status in (401, 407) and self.config.password:
            retry = self.client.authorize(request, response)
            if retry is not None:
                self.cseq = retry.cseq.seq
                self._out(retry)
                return
        elif response.status == 423 and not self.stopping:
            wanted = _int(response.headers.get("Min-Expires"))
            if wanted is not None and wanted > self.asked:
                self.asked = wanted
                self._register(now)
                return
        self._pending = self._request = None
        if self.stopping:
            return
        if 200 <= response.status < 300:
            self._granted(response, now)
        elif response.status == 403:
            # Decision: a phone cannot tell a blocked address (MiVO400's answer, §2.10) from
            # another refusal but by the reason phrase, so every 403 shows as blocked and
            # the phrase goes to `response`. It is retried like any failure: blocks run out.
            self._failed(RegistrationState.BLOCKED, status_line(response), now)
        else:
            self._failed(RegistrationState.FAILED, status_line(response), now)

    def handle_no_answer(self, status: int, reason: str, now: float) -> None:
        """Our pending REGISTER timed out (408) or could not be sent (503), §8.1.3.1."""
        self._pending = self._request = None
        if not self.stopping:
            self._failed(RegistrationState.FAILED, f"{status} {reason}", now)

    # -- internals ------------------------------------------------------------------------------

    def _register(self, now: float, *, expires: int | None = None) -> None:
        self.cseq += 1
        h = Headers()
        h.add("Max-Forwards", str(c.DEFAULT_MAX_FORWARDS))
        h.add("From", f"<{self.aor}>;tag={new_tag()}")
        h.add("To", f"<{self.aor}>")
        h.add("Call-ID", self.call_id)
        h.add("CSeq", f"{self.cseq} REGISTER")
        h.add("Contact", str(self.contact))
        h.add("Expires", str(self.asked if expires is None else expires))
        h.add("User-Agent", USER_AGENT)
        self._out(Request("REGISTER", registrar_uri(self.registrar), h))
        if expires is None and self.state is not RegistrationState.REGISTERED:
            self._enter(RegistrationState.REGISTERING, self.response)

    def _out(self, request: Request) -> None:
        self._request = request
        self._pending = self._send(request, self.registrar)

    def _granted(self, response: Response, now: float) -> None:
        granted = self._granted_seconds(response)
        self.expires = granted
        self.failures = 0
        self.registered_until = now + granted
        self.deadline = now + granted * REFRESH_FRACTION
        self._enter(RegistrationState.REGISTERED, status_line(response))

    def _granted_seconds(self, response: Response) -> int:
        """Our Contact's expires in the 200, else its Expires header, else what we asked."""
        ours = str(self.contact.uri)
        try:
            contacts = response.contacts
        except SipParseError:
            contacts = []
        for contact in contacts:
            value = _int(contact.params.get("expires"))
            if str(contact.uri) == ours and value:
                return value
        return _int(response.headers.get("Expires")) or self.asked

    def _failed(self, state: RegistrationState, response: str, now: float) -> None:
        self.failures += 1
        if self.registered_until is not None and self.registered_until <= now:
            self.registered_until = None
        delay = min(self.config.retry_seconds * 2 ** (self.failures - 1),
                    self.config.retry_max_seconds)
        self.deadline = now + delay
        log.info("phone %s: registration of %s: %s; next try in %g s", self.config.name,
                 self.config.user, response, delay)
        self._enter(state, response)

    def _enter(self, state: RegistrationState, response: str) -> None:
        changed = (state, response) != (self.state, self.response)
        self.state, self.response = state, response
        if changed:
            granted = self.expires if state is RegistrationState.REGISTERED else 0
            self._emit(RegistrationChanged(state, response, granted))


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None
