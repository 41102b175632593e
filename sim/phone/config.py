"""Configuration of one external SIP phone (a `[[phone]]` host of a system): its account at
a registrar, transport, registration interval, ports, auto-answer and the tone it talks.

Every timing a real phone leaves to its firmware is decided here, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sipdect.sip.message import SipParseError, SipUri, Transport

REFRESH_FRACTION = 0.9
"""Decision: a registration is refreshed once 90% of the granted interval has passed, as
libre (baresip) and linphone do; the registrar never sees the binding lapse."""
RETRY_SECONDS = 30.0
"""Decision: the first retry after a failed registration (SIP phones' usual "registration
retry timer"), doubled after each further failure up to RETRY_MAX_SECONDS."""
RETRY_MAX_SECONDS = 1800.0
UNREGISTER_TIMEOUT = 5.0
"""Seconds a stopping phone waits for its un-REGISTER before it goes anyway."""
DEFAULT_TONE_HZ = 1000.0
"""What a phone says into a connected call unless told otherwise: the classic 1 kHz test
tone, distinct from every handset's (sim.voice.default_tone_hz: 400 Hz + 100 Hz per id)."""

_USER_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+")


def parse_hostport(text: str, transport: Transport) -> tuple[str, int]:
    """`host[:port]` (IPv6 in brackets) as (host, port); the transport's default port when
    none is given. ValueError says what is wrong."""
    try:
        uri = SipUri.parse(f"sip:{text.strip()}")
    except SipParseError as exc:
        raise ValueError(f"{text!r} is not host:port ({exc.reason})") from None
    if uri.user is not None or uri.params or uri.headers:
        raise ValueError(f"{text!r} is not host:port")
    return uri.host, uri.port or transport.default_port


@dataclass(frozen=True)
class PhoneConfig:
    """One SIP phone: what `[[phone]]` in a system config says about it."""

    name: str
    """The host's name, for logs and status."""
    user: str
    """SIP user name (the number): user part of its address of record and Contact."""
    password: str = ""
    """Digest password; empty: the phone never answers a challenge."""
    auth_id: str | None = None
    """Digest user name, if not `user`."""
    registrar: str | None = None
    """`host:port` it registers at and sends calls to (its outbound proxy); None: the
    system's call server, which whoever starts the phone passes to PhoneService."""
    transport: Transport = Transport.UDP
    """How it talks to the registrar. It listens on UDP always, and on this one too."""
    expires: int = 3600
    """Registration interval it asks for, seconds; 0: it does not register."""
    display_name: str = ""
    """Display name in the From of its calls."""
    auto_answer: float | None = None
    """Seconds an incoming call rings before the phone answers it by itself; None: it rings
    until answered, rejected or cancelled."""
    sip_port: int = 5060
    """UDP and TCP listening port (TLS: the next one); 0: any free port."""
    rtp_port: int = 0
    """RTP port of its calls; 0: any free port, chosen at start."""
    tone_hz: float = DEFAULT_TONE_HZ
    """The tone it talks into connected calls."""
    retry_seconds: float = RETRY_SECONDS
    """First retry after a failed registration, doubled per further failure."""
    retry_max_seconds: float = RETRY_MAX_SECONDS
    """Longest wait between two registration attempts."""

    def __post_init__(self) -> None:
        where = f"phone {self.name!r}"
        if not self.name:
            raise ValueError("phone: give it a name")
        if not _USER_RE.fullmatch(self.user):
            raise ValueError(f"{where}: user {self.user!r} is not a SIP user name")
        if self.auth_id is not None and not self.auth_id:
            raise ValueError(f"{where}: auth_id must not be empty (leave it out to use the user)")
        if not isinstance(self.transport, Transport):
            raise ValueError(f"{where}: transport must be one of udp, tcp, tls")
        if self.registrar is not None:
            try:
                parse_hostport(self.registrar, self.transport)
            except ValueError as exc:
                raise ValueError(f"{where}: registrar {exc}") from None
        if self.expires < 0:
            raise ValueError(f"{where}: expires must be 0 (no registration) or more seconds")
        if self.auto_answer is not None and self.auto_answer < 0:
            raise ValueError(f"{where}: auto_answer is seconds of ringing, 0 or more")
        for key, port in (("sip_port", self.sip_port), ("rtp_port", self.rtp_port)):
            if not 0 <= port <= 65535:
                raise ValueError(f"{where}: {key} {port} is not a port (0 for any free one)")
        if not 0 < self.tone_hz < 4000:
            raise ValueError(f"{where}: tone_hz must lie between 0 and 4000 Hz (G.711)")
        if not 0 < self.retry_seconds <= self.retry_max_seconds:
            raise ValueError(f"{where}: need 0 < retry_seconds <= retry_max_seconds")

    @property
    def digest_user(self) -> str:
        """The user name its digest credentials carry."""
        return self.auth_id or self.user

    def registrar_address(self, default: tuple[str, int] | None) -> tuple[str, int] | None:
        """Where it registers and sends calls by number: `registrar`, else `default` (the
        system's call server). ValueError when it must register and has neither."""
        if self.registrar is not None:
            return parse_hostport(self.registrar, self.transport)
        if default is None and self.expires:
            raise ValueError(f"phone {self.name!r}: no registrar configured and no call "
                             "server in the system: set registrar = \"host:port\"")
        return default
