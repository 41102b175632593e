"""Sans-I/O OMM-RFP link connections: the OMM end and the (virtual) RFP end of one TCP link.

omm-rfp.md §2.1 (login sequence), §2.2-§2.5 (keys), §5 (SoftRfp's timers and reactions).
Fed bytes and the current time; return bytes to send, events and the next timer deadline.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

from sipdect.link import constants as c
from sipdect.link import events as ev
from sipdect.link.crypto import (
    IdentityBlock,
    LinkCipher,
    LinkDecryptor,
    cipher_key,
    initial_iv,
    unwrap_rfp_key,
    wrap_rfp_key,
)
from sipdect.link.errors import (
    LinkError,
    LinkIntegrityError,
    LinkProtocolError,
    LinkStateError,
    LinkValueError,
)
from sipdect.link.messages import AnyMessage, LinkMessage, MessageReader, as_link_message
from sipdect.link.system import (
    Ack,
    Heartbeat,
    Nack,
    SysAuthenticate,
    SysEncryptionConf,
    SysHeartbeatInterval,
    SysInit,
    SysLed,
    SysLicenseTimer,
    SysOmmControl,
    SysReset,
    SysRfpAuthKey,
    SysRfpReEnrolement,
)

MessageType = c.MessageType
Random = Callable[[int], bytes]
Tap = Callable[[c.Direction, bytes], None]
"""Told every message in clear as framed, with its direction (a capture: docs/capture.md)."""
"""Source of random bytes, e.g. os.urandom (a seeded one in tests)."""


class _Abort(Exception):
    """Raised inside a handler to end the link with a LinkFailed of this kind."""

    def __init__(self, failure: ev.Failure, reason: str) -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason


class _Timer(Enum):
    HANDSHAKE = "handshake"
    HEARTBEAT = "heartbeat"


Handler = Callable[[Any, LinkMessage, float], None]


class _LinkEnd:
    """What both ends share: output queue, events, timers, plaintext reader, cipher pair.

    Subclasses give HANDLERS: state -> {message type (None = any other): handler}. A message
    the current state has no entry for ends the link (LinkFailed, PROTOCOL).
    """

    HANDLERS: ClassVar[dict[Any, dict[int | None, Handler]]]
    SENDS: ClassVar[c.Direction]
    """The direction of what this end sends."""
    CLEAR_AFTER_KEYS: ClassVar[frozenset[bytes]] = frozenset()
    """Headers the peer may still send in clear once the keys are set (checked per message
    until the first encrypted one arrives)."""

    def __init__(self, *, max_payload: int) -> None:
        self._events: deque[ev.Event] = deque()
        self._out = bytearray()
        self._reader = MessageReader(max_payload=max_payload)
        self._max_payload = max_payload
        self._cipher: LinkCipher | None = None
        self._decryptor: LinkDecryptor | None = None
        self._rx_encrypted = False
        self._rx_seen_encrypted = False
        self._timers: dict[_Timer, float] = {}
        self._closed = False
        self.mac: bytes | None = None
        self.tap: Tap | None = None
        """Told every message sent and received, in clear (None: nobody listens)."""
        self.state: Enum
        """The end's state; its value says what the end waits for."""

    # -- the owner's interface -------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def receive_data(self, data: bytes, now: float) -> None:
        """Bytes from the peer; b"" means the peer closed the connection."""
        if self._closed:
            return
        try:
            if not data:
                self._on_eof()
            elif self._rx_encrypted:
                self._take_encrypted(bytes(data), now)
            else:
                self._reader.feed(bytes(data))
                self._take_plain(now)
        except _Abort as abort:
            self._fail(abort.failure, abort.reason)
        except LinkProtocolError as exc:
            self._fail(ev.Failure.PROTOCOL, str(exc))

    def data_to_send(self) -> bytes:
        data = bytes(self._out)
        self._out.clear()
        return data

    def next_event(self) -> ev.Event | None:
        return self._events.popleft() if self._events else None

    def get_timer(self) -> float | None:
        """The next deadline handle_timer() wants to be called at, or None."""
        if self._closed or not self._timers:
            return None
        return min(self._timers.values())

    def handle_timer(self, now: float) -> None:
        for timer, deadline in sorted(self._timers.items(), key=lambda item: item[1]):
            if self._closed:
                return
            if deadline <= now and self._timers.get(timer) == deadline:
                del self._timers[timer]
                self._on_timer(timer, now, deadline)

    def close(self) -> None:
        """Stop now (the owner closes the socket once data_to_send() is drained)."""
        self._closed = True
        self._timers.clear()

    # -- input -----------------------------------------------------------------------------
    def _take_plain(self, now: float) -> None:
        while not self._closed and not self._rx_encrypted:
            if self._decryptor is not None:
                if self._reader.buffered < c.HEADER_LENGTH:
                    return
                if self._reader.peek(c.HEADER_LENGTH) not in self.CLEAR_AFTER_KEYS:
                    self._rx_encrypted = True
                    break
            header = self._reader.peek_header()
            if header is None:
                return
            self._expect(header[0])
            message = self._reader.next_message()
            if message is None:
                return
            self._dispatch(message, now)
        if self._rx_encrypted and not self._closed:
            rest = self._reader.take_buffer()
            if rest:
                self._take_encrypted(rest, now)

    def _take_encrypted(self, data: bytes, now: float) -> None:
        assert self._decryptor is not None
        try:
            plains = self._decryptor.feed(data)
        except LinkProtocolError as exc:
            if not self._rx_seen_encrypted:
                raise _Abort(ev.Failure.KEY, self._key_mismatch(str(exc))) from None
            raise
        for plain in plains:
            if self._closed:
                return
            message = LinkMessage.decode(plain)
            if not self._rx_seen_encrypted:
                self._check_first_encrypted(message.type, message.length)
                self._rx_seen_encrypted = True
            self._expect(message.type)
            self._dispatch(message, now)
        if not self._closed and not self._rx_seen_encrypted:
            header = self._decryptor.peek_header()
            if header is not None:
                self._check_first_encrypted(*header)

    def _expect(self, msg_type: int) -> None:
        table = self.HANDLERS.get(self.state, {})
        if msg_type not in table and None not in table:
            raise _Abort(
                ev.Failure.PROTOCOL,
                f"{c.message_type_name(msg_type)} is not expected while {self.state.value}",
            )

    def _dispatch(self, message: LinkMessage, now: float) -> None:
        if self.tap is not None:
            self.tap(c.Direction.RFP_TO_OMM if self.SENDS is c.Direction.OMM_TO_RFP
                     else c.Direction.OMM_TO_RFP, message.encode())
        table = self.HANDLERS[self.state]
        handler = table.get(message.type) or table[None]
        handler(self, message, now)

    # -- output ----------------------------------------------------------------------------
    def _send_plain(self, message: AnyMessage) -> None:
        data = as_link_message(message).encode()
        if self.tap is not None:
            self.tap(self.SENDS, data)
        self._out += data

    def _send_encrypted(self, message: AnyMessage) -> None:
        assert self._cipher is not None
        data = as_link_message(message).encode()
        if self.tap is not None:
            self.tap(self.SENDS, data)
        self._out += self._cipher.encrypt(data)

    def _install_keys(self, key: bytes, challenge: bytes, tx: c.Direction) -> None:
        rx = c.Direction.RFP_TO_OMM if tx is c.Direction.OMM_TO_RFP else c.Direction.OMM_TO_RFP
        self._cipher = LinkCipher(cipher_key(key, tx), initial_iv(challenge, tx))
        self._decryptor = LinkDecryptor(
            cipher_key(key, rx), initial_iv(challenge, rx), max_payload=self._max_payload
        )

    # -- endings ---------------------------------------------------------------------------
    def _fail(self, failure: ev.Failure, reason: str) -> None:
        self._events.append(ev.LinkFailed(reason, failure, self.mac))
        self.close()

    def _lose(self, reason: str, *, timeout: bool = False) -> None:
        self._events.append(ev.LinkLost(reason, self.mac, timeout))
        self.close()

    # -- per end ---------------------------------------------------------------------------
    def _key_mismatch(self, detail: str) -> str:
        raise NotImplementedError

    def _check_first_encrypted(self, msg_type: int, length: int) -> None:
        raise NotImplementedError

    def _on_eof(self) -> None:
        raise NotImplementedError

    def _on_timer(self, timer: _Timer, now: float, deadline: float) -> None:
        raise NotImplementedError


# -- the OMM end -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RfpCredentials:
    """What the OMM knows of an RFP it accepts (from its RFP and RFPA rows)."""

    key: bytes | None = None
    """K stored for this RFP; None: not enrolled yet, the link generates and delivers one."""
    re_enrolement_hash: str | None = None
    """Root md5-crypt hash: deliver K wrapped in SYS_RFP_RE_ENROLEMENT (even if `key` is set)."""


class OmmState(Enum):
    """The OMM end's states; each value says what it waits for."""

    WAIT_INIT = "waiting for SYS_INIT"
    WAIT_ENCRYPTION_CONF = "waiting for SYS_ENCRYPTION_CONF"
    CONNECTED = "connected"
    CLOSED = "closed"


class OmmLinkConnection(_LinkEnd):
    """The OMM end of one RFP's TCP connection (the OMM accepts; it speaks first)."""

    SENDS = c.Direction.OMM_TO_RFP

    def __init__(
        self,
        now: float,
        *,
        lookup_rfp: Callable[[bytes], RfpCredentials | None],
        random: Random,
        heartbeat_interval: int = c.DEFAULT_HEARTBEAT_INTERVAL,
        heartbeat_misses: int = 3,
        handshake_timeout: float = 10.0,
        configuration: Sequence[AnyMessage] = (),
        license_query: bool = True,
        check_identity: bool = False,
        max_payload: int = c.MAX_PAYLOAD_LENGTH,
        tap: Tap | None = None,
    ) -> None:
        """`configuration` goes out encrypted after SYS_OMM_CONTROL and SYS_HEARTBEAT_INTERVAL
        (e.g. SYS_IP_OPTIONS, SYS_LED, SYS_HTTP_SET, SYS_SYSLOG, SYS_PASSWD), before the
        SYS_LICENSE_TIMER query. `check_identity` also rejects a SYS_INIT whose identity
        block is not valid (whether real OMMs check it is unknown; the default accepts it).
        `tap`: told every message from the first (SYS_AUTHENTICATE, sent at once)."""
        super().__init__(max_payload=max_payload)
        self.tap = tap
        if not 1 <= heartbeat_interval <= 0xFF:
            raise LinkValueError(f"heartbeat interval must be 1..255 s, got {heartbeat_interval}")
        self.state: OmmState = OmmState.WAIT_INIT
        self._lookup_rfp = lookup_rfp
        self._random = random
        self._heartbeat_interval = heartbeat_interval
        self._heartbeat_misses = heartbeat_misses
        self._handshake_timeout = handshake_timeout
        self._configuration = [as_link_message(m) for m in configuration]
        self._license_query = license_query
        self._check_identity = check_identity
        self._init: SysInit | None = None
        self._assigned: bytes | None = None
        """A key this session gave an RFP that had none: stored (RfpKeyAssigned) only once
        the RFP's SYS_ENCRYPTION_CONF proves it holds it, so an RFP that gave up half-way is
        given a key again next time instead of being refused for ever."""
        self._branding: int | None = None
        self._last_heartbeat = now
        self._challenge = _random_bytes(random, c.AUTHENTICATE_LENGTH)
        self._send_plain(SysAuthenticate(self._challenge))
        self._timers[_Timer.HANDSHAKE] = now + handshake_timeout

    @property
    def challenge(self) -> bytes:
        """The SYS_AUTHENTICATE payload this connection sent."""
        return self._challenge

    @property
    def heartbeat_interval(self) -> int:
        return self._heartbeat_interval

    def send(self, message: AnyMessage) -> None:
        """Send an encrypted message; ignored once closed, LinkStateError before connected."""
        if self._closed:
            return
        if self.state is not OmmState.CONNECTED:
            raise LinkStateError(f"cannot send before the RFP is connected ({self.state.value})")
        link_message = as_link_message(message)
        if link_message.type == MessageType.SYS_HEARTBEAT_INTERVAL:
            interval = SysHeartbeatInterval.from_payload(link_message.payload).interval
            if interval:
                self._heartbeat_interval = interval
                self._arm_heartbeat_timeout()
        self._send_encrypted(link_message)

    def close(self) -> None:
        super().close()
        self.state = OmmState.CLOSED

    # -- handlers --------------------------------------------------------------------------
    def _on_sys_init(self, message: LinkMessage, now: float) -> None:
        init = SysInit.from_payload(message.payload)
        self.mac = init.mac
        try:
            init.verify(self._challenge)
        except LinkIntegrityError as exc:
            raise _Abort(
                ev.Failure.SIGNATURE, f"SYS_INIT from {init.mac.hex()} is not signed: {exc}"
            ) from None
        identity, identity_error = _check_identity(init)
        if self._check_identity and identity_error:
            raise _Abort(
                ev.Failure.IDENTITY, f"SYS_INIT from {init.mac.hex()}: {identity_error}"
            )
        credentials = self._lookup_rfp(init.mac)
        if credentials is None:
            self._events.append(
                ev.UnknownRfp(init.mac, init.hw_type, init.sw_version, init.protocol,
                              init.capabilities)
            )
            self.close()
            return
        key = credentials.key
        if key is None:
            key = self._assigned = _random_bytes(self._random, c.RFP_KEY_LENGTH)
        elif len(key) != c.RFP_KEY_LENGTH:
            raise LinkValueError(f"stored key of {init.mac.hex()} is {len(key)} bytes, not 64")
        if credentials.re_enrolement_hash is not None:
            wrapped = wrap_rfp_key(key, self._challenge, credentials.re_enrolement_hash)
            self._send_plain(SysRfpReEnrolement(wrapped[:64], wrapped[64:]))
        elif credentials.key is None:
            self._send_plain(SysRfpAuthKey(key))
        self._send_plain(Ack.for_sys_init())
        self._install_keys(key, self._challenge, c.Direction.OMM_TO_RFP)
        self._init = init
        self._branding = None if identity is None else identity.branding & c.BRANDING_MASK
        self.state = OmmState.WAIT_ENCRYPTION_CONF

    def _on_encryption_conf(self, message: LinkMessage, now: float) -> None:
        SysEncryptionConf.from_payload(message.payload)
        assert self._init is not None and self.mac is not None
        if self._assigned is not None:
            self._events.append(ev.RfpKeyAssigned(self.mac, self._assigned))
        self._send_encrypted(SysOmmControl())
        self._send_encrypted(SysHeartbeatInterval(self._heartbeat_interval))
        for config in self._configuration:
            self._send_encrypted(config)
        if self._license_query:
            self._send_encrypted(SysLicenseTimer())
        self.state = OmmState.CONNECTED
        self._timers.pop(_Timer.HANDSHAKE, None)
        self._last_heartbeat = now
        self._arm_heartbeat_timeout()
        init = self._init
        self._events.append(
            ev.RfpConnected(self.mac, init.hw_type, init.sw_version, init.protocol,
                            init.capabilities, self._branding)
        )

    def _on_heartbeat(self, message: LinkMessage, now: float) -> None:
        beat = Heartbeat.from_payload(message.payload)
        self._last_heartbeat = now
        self._arm_heartbeat_timeout()
        self._events.append(ev.HeartbeatReceived(beat.uptime_ms, beat.remainder_ns))

    def _on_other(self, message: LinkMessage, now: float) -> None:
        self._events.append(ev.MessageReceived(message))

    HANDLERS = {
        OmmState.WAIT_INIT: {MessageType.SYS_INIT: _on_sys_init},
        OmmState.WAIT_ENCRYPTION_CONF: {MessageType.SYS_ENCRYPTION_CONF: _on_encryption_conf},
        OmmState.CONNECTED: {MessageType.HEARTBEAT: _on_heartbeat, None: _on_other},
    }

    # -- per end ---------------------------------------------------------------------------
    def _arm_heartbeat_timeout(self) -> None:
        limit = self._heartbeat_misses * self._heartbeat_interval
        self._timers[_Timer.HEARTBEAT] = self._last_heartbeat + limit

    def _mac_text(self) -> str:
        return "the RFP" if self.mac is None else f"RFP {self.mac.hex()}"

    def _key_mismatch(self, detail: str) -> str:
        return (
            f"cannot decrypt {self._mac_text()}: it uses another key than the one stored "
            f"for it ({detail})"
        )

    def _check_first_encrypted(self, msg_type: int, length: int) -> None:
        if msg_type != MessageType.SYS_ENCRYPTION_CONF or length != 0:
            raise _Abort(
                ev.Failure.KEY,
                self._key_mismatch(
                    f"first encrypted message decrypts to {msg_type:04x} with length {length}, "
                    "not SYS_ENCRYPTION_CONF"
                ),
            )

    def _on_eof(self) -> None:
        if self.state is OmmState.CONNECTED:
            self._lose(f"{self._mac_text()} closed the connection")
        else:
            self._fail(
                ev.Failure.PEER_CLOSED,
                f"{self._mac_text()} closed the connection while {self.state.value}",
            )

    def _on_timer(self, timer: _Timer, now: float, deadline: float) -> None:
        if timer is _Timer.HANDSHAKE:
            self._fail(
                ev.Failure.TIMEOUT,
                f"no login from {self._mac_text()} within {self._handshake_timeout:g} s "
                f"({self.state.value})",
            )
        else:
            silent = now - self._last_heartbeat
            self._lose(
                f"no HEARTBEAT from {self._mac_text()} for {silent:g} s "
                f"({self._heartbeat_misses} intervals of {self._heartbeat_interval} s)",
                timeout=True,
            )


# -- the RFP end -------------------------------------------------------------------------------
class RfpState(Enum):
    """The RFP end's states; each value says what it waits for."""

    WAIT_AUTHENTICATE = "waiting for SYS_AUTHENTICATE"
    WAIT_ACK = "waiting for the OMM's answer to SYS_INIT"
    RUNNING = "running"
    CLOSED = "closed"


_CLEAR_HEADER_OMM_CONTROL = bytes.fromhex("010c0004")
_CLEAR_HEADER_RESET = bytes.fromhex("01210004")


class RfpLinkConnection(_LinkEnd):
    """The RFP end (the virtual RFP connects to the OMM's port 16321 and waits)."""

    SENDS = c.Direction.RFP_TO_OMM

    CLEAR_AFTER_KEYS = frozenset({_CLEAR_HEADER_OMM_CONTROL, _CLEAR_HEADER_RESET})
    """Before a firmware update the OMM sends SYS_OMM_CONTROL + SYS_RESET in clear after the
    ACK (§2.1 step 5). A ciphertext starting with one of these exact 4 bytes is taken for
    plaintext: a 2**-31 chance, accepted (the spec gives no other way to tell)."""

    def __init__(
        self,
        now: float,
        *,
        mac: bytes,
        random: Random,
        key: bytes | None = None,
        hw_type: int = c.SOFTRFP_HARDWARE,
        sw_version: str = "SIP-DECT 9.2-sipdect",
        branding: int = 0,
        capabilities: int = c.SOFTRFP_CAPABILITIES,
        protocol: int = c.SOFTRFP_PROTOCOL,
        release: int = 0,
        root_password_hash: str | None = None,
        boot_time: float | None = None,
        license_grace_minutes: int = c.DEFAULT_LICENSE_GRACE_MINUTES,
        handshake_timeout: float = 30.0,
        max_payload: int = c.MAX_PAYLOAD_LENGTH,
    ) -> None:
        """`key`: the K this RFP stored at an earlier login (None: not enrolled).
        `root_password_hash`: the md5-crypt root hash from an earlier SYS_PASSWD, needed to
        unwrap SYS_RFP_RE_ENROLEMENT. `boot_time`: the `now` its HEARTBEAT uptime counts
        from (default: construction)."""
        super().__init__(max_payload=max_payload)
        if len(mac) != 6:
            raise LinkValueError(f"MAC must be 6 bytes, got {len(mac)}")
        if key is not None and len(key) != c.RFP_KEY_LENGTH:
            raise LinkValueError(f"RFP key must be 64 bytes, got {len(key)}")
        self.state: RfpState = RfpState.WAIT_AUTHENTICATE
        self.mac = self._mac = bytes(mac)
        self.key = key
        self._random = random
        self._hw_type = hw_type
        self._sw_version = sw_version
        self._branding = branding
        self._capabilities = capabilities
        self._protocol = protocol
        self._release = release
        self.root_password_hash = root_password_hash
        self._boot_time = now if boot_time is None else boot_time
        self.license_grace_minutes = license_grace_minutes
        self._handshake_timeout = handshake_timeout
        self._heartbeat_interval = 0
        self._key_delivered = False
        self._challenge = b""
        self._timers[_Timer.HANDSHAKE] = now + handshake_timeout

    @property
    def heartbeat_interval(self) -> int:
        """Seconds; 0 until the OMM sets it (no heartbeats until then, as SoftRfp)."""
        return self._heartbeat_interval

    def send(self, message: AnyMessage) -> None:
        """Send an encrypted message; ignored once closed, LinkStateError before the ACK."""
        if self._closed:
            return
        if self.state is not RfpState.RUNNING:
            raise LinkStateError(f"cannot send before the link is up ({self.state.value})")
        self._send_encrypted(message)

    def close(self) -> None:
        super().close()
        self.state = RfpState.CLOSED

    # -- handlers --------------------------------------------------------------------------
    def _on_authenticate(self, message: LinkMessage, now: float) -> None:
        self._challenge = SysAuthenticate.from_payload(message.payload).challenge
        identity = IdentityBlock(
            mac=self._mac,
            branding=self._branding,
            filler=_random_bytes(self._random, c.IDENTITY_FILLER_LENGTH),
        )
        init = SysInit.create(
            auth_payload=self._challenge,
            mac=self._mac,
            hw_type=self._hw_type,
            capabilities=self._capabilities,
            identity=identity,
            protocol=self._protocol,
            sw_version=self._sw_version,
            release=self._release,
        )
        self._send_plain(init)
        self.state = RfpState.WAIT_ACK

    def _on_auth_key(self, message: LinkMessage, now: float) -> None:
        self.key = SysRfpAuthKey.from_payload(message.payload).key
        self._key_delivered = True
        self._events.append(ev.KeyReceived(self.key, re_enrolement=False))

    def _on_re_enrolement(self, message: LinkMessage, now: float) -> None:
        if self.root_password_hash is None:
            raise _Abort(
                ev.Failure.NO_KEY,
                "SYS_RFP_RE_ENROLEMENT arrived but this RFP knows no root password hash "
                "to unwrap it",
            )
        try:
            key = unwrap_rfp_key(message.payload, self._challenge, self.root_password_hash)
        except LinkIntegrityError as exc:
            raise _Abort(ev.Failure.NO_KEY, str(exc)) from None
        self.key = key
        self._key_delivered = True
        self._events.append(ev.KeyReceived(key, re_enrolement=True))

    def _on_ack(self, message: LinkMessage, now: float) -> None:
        ack = Ack.from_payload(message.payload)
        if ack.acked_type != MessageType.SYS_INIT:
            raise _Abort(
                ev.Failure.PROTOCOL,
                f"expected the ACK of SYS_INIT, got an ACK of "
                f"{c.message_type_name(ack.acked_type)}",
            )
        if self.key is None:
            raise _Abort(
                ev.Failure.NO_KEY,
                "the OMM accepted SYS_INIT without sending a key, and this RFP has none stored",
            )
        self._install_keys(self.key, self._challenge, c.Direction.RFP_TO_OMM)
        self._send_encrypted(SysEncryptionConf())
        self.state = RfpState.RUNNING
        self._timers.pop(_Timer.HANDSHAKE, None)
        self._events.append(ev.LinkEstablished(self._key_delivered))

    def _on_nack(self, message: LinkMessage, now: float) -> None:
        nack = Nack.from_payload(message.payload)
        raise _Abort(
            ev.Failure.REJECTED,
            f"the OMM refused {c.message_type_name(nack.nacked_type)}: "
            f"{c.code_name(c.NackReason, nack.reason)}",
        )

    def _on_heartbeat_interval(self, message: LinkMessage, now: float) -> None:
        interval = SysHeartbeatInterval.from_payload(message.payload).interval
        self._heartbeat_interval = interval
        if interval:
            self._timers[_Timer.HEARTBEAT] = now + interval
        else:
            self._timers.pop(_Timer.HEARTBEAT, None)

    def _on_license_timer(self, message: LinkMessage, now: float) -> None:
        timer = SysLicenseTimer.from_payload(message.payload)
        if timer.is_query:
            self._send_encrypted(SysLicenseTimer(self.license_grace_minutes, timer.md5))
        else:
            self.license_grace_minutes = timer.grace_minutes
            self._events.append(ev.LicenseTimerSet(timer.grace_minutes))

    def _on_led(self, message: LinkMessage, now: float) -> None:
        led = SysLed.from_payload(message.payload)
        self._events.append(ev.LedChanged(led.led, led.colour))

    def _on_reset(self, message: LinkMessage, now: float) -> None:
        reset = SysReset.from_payload(message.payload)
        # A real RFP acknowledges it: `0001 0004 0121 0000` (§4.3).
        self._send_encrypted(Ack(MessageType.SYS_RESET, 0))
        self._events.append(ev.ResetRequested(reset.reset_type))

    def _on_other(self, message: LinkMessage, now: float) -> None:
        self._events.append(ev.MessageReceived(message))

    HANDLERS = {
        RfpState.WAIT_AUTHENTICATE: {MessageType.SYS_AUTHENTICATE: _on_authenticate},
        RfpState.WAIT_ACK: {
            MessageType.SYS_RFP_AUTH_KEY: _on_auth_key,
            MessageType.SYS_RFP_RE_ENROLEMENT: _on_re_enrolement,
            MessageType.ACK: _on_ack,
            MessageType.NACK: _on_nack,
        },
        RfpState.RUNNING: {
            MessageType.SYS_HEARTBEAT_INTERVAL: _on_heartbeat_interval,
            MessageType.SYS_LICENSE_TIMER: _on_license_timer,
            MessageType.SYS_LED: _on_led,
            MessageType.SYS_RESET: _on_reset,
            None: _on_other,
        },
    }

    # -- per end ---------------------------------------------------------------------------
    def _key_mismatch(self, detail: str) -> str:
        return f"cannot decrypt the OMM's messages: the stored RFP key is not the OMM's ({detail})"

    def _check_first_encrypted(self, msg_type: int, length: int) -> None:
        if msg_type not in MessageType._value2member_map_:
            raise _Abort(
                ev.Failure.KEY,
                self._key_mismatch(f"first message decrypts to unknown type {msg_type:#06x}"),
            )

    def _on_eof(self) -> None:
        if self.state is RfpState.RUNNING:
            self._lose("the OMM closed the connection")
        elif self.state is RfpState.WAIT_ACK:
            self._fail(
                ev.Failure.REJECTED,
                f"the OMM closed the connection after SYS_INIT: MAC {self._mac.hex()} is not "
                "configured there (or it refused the login)",
            )
        else:
            self._fail(ev.Failure.PEER_CLOSED, f"the OMM closed the connection while "
                       f"{self.state.value}")

    def _on_timer(self, timer: _Timer, now: float, deadline: float) -> None:
        if timer is _Timer.HANDSHAKE:
            self._fail(
                ev.Failure.TIMEOUT,
                f"login to the OMM not complete within {self._handshake_timeout:g} s "
                f"({self.state.value})",
            )
            return
        self._send_encrypted(Heartbeat.from_uptime(now - self._boot_time))
        # Keep the beat on its grid; after a long stall restart it from now.
        following = deadline + self._heartbeat_interval
        self._timers[_Timer.HEARTBEAT] = following if following > now else now + (
            self._heartbeat_interval
        )


def _check_identity(init: SysInit) -> tuple[IdentityBlock | None, str]:
    """The identity block if it decrypts with a good CRC, and what is wrong with it ("" = ok)."""
    try:
        identity = init.identity()
    except LinkError as exc:
        return None, str(exc)
    if identity.mac != init.mac or identity.magic != c.IDENTITY_BLOCK_MAGIC:
        return identity, "identity block names another MAC or lacks the magic"
    return identity, ""


def _random_bytes(random: Random, size: int) -> bytes:
    data = random(size)
    if not isinstance(data, bytes) or len(data) != size:
        raise LinkValueError(f"random({size}) must return {size} bytes")
    return data
