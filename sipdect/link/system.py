"""Typed control and SYS messages of the OMM-RFP link: ACK/NACK, HEARTBEAT and SYS_*.

omm-rfp.md §4.1-§4.7 (byte layouts) and §3.1-§3.2 (types). Every byte of a payload lands in
a field, reserved and padding bytes included, so decode -> encode gives the same bytes.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from typing import Annotated, ClassVar, Self

from sipdect.link import constants as c
from sipdect.link.crypto import IdentityBlock, init_signature, verify_init_signature
from sipdect.link.errors import LinkError, LinkProtocolError, LinkValueError
from sipdect.link.messages import (
    IPV4,
    IPV6,
    REST,
    U8,
    U16,
    U16LE,
    U32,
    U32LE,
    JsonDict,
    Octets,
    TypedMessage,
    c_string,
    c_string_field,
    register,
)

MessageType = c.MessageType


# -- control (§3.1, §4.3, §4.4) ----------------------------------------------------------------
@register
@dataclass(frozen=True, slots=True)
class Ack(TypedMessage):
    """ACK: acknowledges a message (SYS_INIT, media commands, SYS_RESET ...)."""

    TYPE: ClassVar[MessageType] = MessageType.ACK
    NAMES = {"acked_type": MessageType}
    acked_type: Annotated[int, U16]
    """Type of the acknowledged message."""
    handle: Annotated[int, U16LE] = c.SYS_INIT_ACK_HANDLE
    """Call id / media handle (LE); 0xffff for SYS_INIT."""
    tail: Annotated[bytes, REST] = b""
    """Optional 4 bytes; `01000000` in the SYS_INIT ACK."""

    @classmethod
    def for_sys_init(cls) -> Ack:
        """`0001 0008 0120 ffff 01000000`, the OMM's answer to an accepted SYS_INIT."""
        return cls(MessageType.SYS_INIT, c.SYS_INIT_ACK_HANDLE, c.SYS_INIT_ACK_TAIL)


@register
@dataclass(frozen=True, slots=True)
class Nack(TypedMessage):
    """NACK: refuses a message, with a reason."""

    TYPE: ClassVar[MessageType] = MessageType.NACK
    NAMES = {"nacked_type": MessageType, "reason": c.NackReason}
    nacked_type: Annotated[int, U16]
    """Type of the refused message."""
    handle: Annotated[int, U16LE]
    """Call id / media handle (LE)."""
    reason: Annotated[int, U32]
    """NackReason (u32 BE)."""
    tail: Annotated[bytes, REST] = b""
    """Bytes after the reason (none seen)."""


@register
@dataclass(frozen=True, slots=True)
class Heartbeat(TypedMessage):
    """HEARTBEAT: the RFP's uptime, sent every SYS_HEARTBEAT_INTERVAL."""

    TYPE: ClassVar[MessageType] = MessageType.HEARTBEAT
    uptime_ms: Annotated[int, U32LE]
    """Uptime, whole milliseconds (LE)."""
    remainder_ns: Annotated[int, U32LE] = 0
    """Sub-millisecond remainder in nanoseconds (LE)."""

    @classmethod
    def from_uptime(cls, seconds: float) -> Heartbeat:
        ns = max(0, int(round(seconds * 1e9)))
        return cls((ns // 1_000_000) & 0xFFFFFFFF, ns % 1_000_000)

    @property
    def uptime(self) -> float:
        """Seconds."""
        return self.uptime_ms / 1e3 + self.remainder_ns / 1e9


# -- login (§2.1, §4.1, §4.2, §2.4, §2.5) ------------------------------------------------------
@register
@dataclass(frozen=True, slots=True)
class SysAuthenticate(TypedMessage):
    """SYS_AUTHENTICATE: the OMM's 32 random bytes; seed both IVs and the SYS_INIT signature."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_AUTHENTICATE
    challenge: Annotated[bytes, Octets(c.AUTHENTICATE_LENGTH)]
    """All 32 payload bytes (IV seeds at payload 7-14 and 23-30, the rest random)."""


@register
@dataclass(frozen=True, slots=True)
class SysInit(TypedMessage):
    """SYS_INIT: the RFP's login (8.1+ layout 0x110; the 0x104 and 0xF4 layouts decode too)."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_INIT
    NAMES = {"hw_type": c.HardwareType}
    hw_type: int
    """HardwareType (u32 BE, offset 4)."""
    mac: bytes
    """The RFP's MAC, its only identity (offset 12)."""
    capabilities: int
    """Capability flags (u32 BE, offset 24)."""
    identity_block: bytes
    """64 bytes, AES-256-ECB of the IdentityBlock (offset 28)."""
    protocol: int
    """Protocol version (u32 BE, offset 92), e.g. 0x080201 for 8.1SP1."""
    sw_version_field: bytes
    """The NUL-padded ASCII software version (144 bytes; 128 in the OC 4.0 layout)."""
    signature: bytes = bytes(c.SIGNATURE_LENGTH)
    """MD5 signature, the last 16 bytes."""
    release: int = 0
    """Offset 8, rfpproxy's "reserved1": looks like the release (0x00080100); SoftRfp sends 0."""
    reserved2: bytes = bytes(6)
    """Offsets 18-23."""
    reserved3: bytes = bytes(20)
    """After the protocol field: 20 bytes (8 in the 0x104 and 0xF4 layouts)."""

    @classmethod
    def from_bytes(cls, payload: bytes) -> Self:
        layout = c.SYS_INIT_LAYOUTS.get(len(payload))
        if layout is None:
            raise LinkProtocolError(
                f"SYS_INIT payload is {len(payload)} bytes; known layouts are "
                + ", ".join(f"{n:#x}" for n in c.SYS_INIT_LAYOUTS)
            )
        reserved_size, sw_size = layout
        sw_start = 92 + reserved_size
        return cls(
            hw_type=int.from_bytes(payload[0:4], "big"),
            release=int.from_bytes(payload[4:8], "big"),
            mac=bytes(payload[8:14]),
            reserved2=bytes(payload[14:20]),
            capabilities=int.from_bytes(payload[20:24], "big"),
            identity_block=bytes(payload[24:88]),
            protocol=int.from_bytes(payload[88:92], "big"),
            reserved3=bytes(payload[92:sw_start]),
            sw_version_field=bytes(payload[sw_start : sw_start + sw_size]),
            signature=bytes(payload[sw_start + sw_size :]),
        )

    def to_bytes(self) -> bytes:
        if (len(self.reserved3), len(self.sw_version_field)) not in c.SYS_INIT_LAYOUTS.values():
            raise LinkValueError(
                "SYS_INIT reserved3/sw_version_field sizes match no layout: "
                f"{len(self.reserved3)}/{len(self.sw_version_field)}"
            )
        for name, value, size in (
            ("mac", self.mac, 6),
            ("reserved2", self.reserved2, 6),
            ("identity_block", self.identity_block, c.IDENTITY_BLOCK_LENGTH),
            ("signature", self.signature, c.SIGNATURE_LENGTH),
        ):
            if not isinstance(value, bytes) or len(value) != size:
                raise LinkValueError(f"SysInit.{name} must be {size} bytes")
        try:
            return b"".join(
                (
                    self.hw_type.to_bytes(4, "big"),
                    self.release.to_bytes(4, "big"),
                    self.mac,
                    self.reserved2,
                    self.capabilities.to_bytes(4, "big"),
                    self.identity_block,
                    self.protocol.to_bytes(4, "big"),
                    self.reserved3,
                    self.sw_version_field,
                    self.signature,
                )
            )
        except (OverflowError, AttributeError):
            raise LinkValueError(
                "SysInit hw_type, release, capabilities and protocol must be u32 ints"
            ) from None

    @classmethod
    def create(
        cls,
        *,
        auth_payload: bytes,
        mac: bytes,
        hw_type: int = c.SOFTRFP_HARDWARE,
        capabilities: int = c.SOFTRFP_CAPABILITIES,
        identity: IdentityBlock | None = None,
        protocol: int = c.SOFTRFP_PROTOCOL,
        sw_version: str = "",
        release: int = 0,
    ) -> SysInit:
        """A signed 8.1+ SYS_INIT (identity block with zero filler unless one is given)."""
        unsigned = cls(
            hw_type=hw_type,
            mac=bytes(mac),
            capabilities=capabilities,
            identity_block=(identity or IdentityBlock(mac=bytes(mac))).encrypt(),
            protocol=protocol,
            sw_version_field=c_string_field("SYS_INIT software version", sw_version, 144),
            release=release,
        )
        return unsigned.signed(auth_payload)

    def signed_part(self) -> bytes:
        """The whole message up to the signature: what the MD5 covers after the challenge."""
        return self.encode()[: -c.SIGNATURE_LENGTH]

    def signed(self, auth_payload: bytes) -> SysInit:
        """A copy with the signature for this SYS_AUTHENTICATE challenge."""
        return replace(self, signature=init_signature(auth_payload, self.signed_part()))

    def verify(self, auth_payload: bytes) -> None:
        """LinkIntegrityError unless the signature matches the challenge."""
        verify_init_signature(auth_payload, self.encode())

    def identity(self) -> IdentityBlock:
        """The decrypted identity block; LinkIntegrityError if its CRC is wrong."""
        return IdentityBlock.decrypt(self.identity_block)

    @property
    def sw_version(self) -> str:
        return c_string(self.sw_version_field)

    def json_extras(self) -> JsonDict:
        out: JsonDict = {
            "sw_version": self.sw_version,
            "capabilities_names": [
                name
                for name, flag in c.Capability.__members__.items()
                if flag and self.capabilities & flag == flag
            ],
        }
        try:
            block = self.identity()
        except LinkError as exc:
            out["identity_error"] = str(exc)
        else:
            out["identity"] = {
                "magic": block.magic.hex(),
                "mac": block.mac.hex(),
                "branding": block.branding,
                "branding_names": [
                    name
                    for name, flag in c.Branding.__members__.items()
                    if block.branding & c.BRANDING_MASK & flag
                ],
                "filler": block.filler.hex(),
            }
        return out


@register
@dataclass(frozen=True, slots=True)
class SysRfpAuthKey(TypedMessage):
    """SYS_RFP_AUTH_KEY: the 64-byte RFP key K, in clear, for an RFP without one."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_RFP_AUTH_KEY
    key: Annotated[bytes, Octets(c.RFP_KEY_LENGTH)]
    """K."""


@register
@dataclass(frozen=True, slots=True)
class SysRfpReEnrolement(TypedMessage):
    """SYS_RFP_RE_ENROLEMENT: K wrapped with the root password hash (crypto.wrap_rfp_key)."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_RFP_RE_ENROLEMENT
    wrapped_key: Annotated[bytes, Octets(c.RFP_KEY_LENGTH)]
    """AES-256-ECB(K)."""
    check: Annotated[bytes, Octets(32)]
    """SHA-256(challenge ‖ root hash ‖ wrapped key)."""


@register
@dataclass(frozen=True, slots=True)
class SysEncryptionConf(TypedMessage):
    """SYS_ENCRYPTION_CONF: empty; the RFP's first encrypted message."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_ENCRYPTION_CONF


# -- configuration (§4.5-§4.7) -----------------------------------------------------------------
@register
@dataclass(frozen=True, slots=True)
class SysOmmControl(TypedMessage):
    """SYS_OMM_CONTROL: opaque; the OMM's first encrypted message (4 zero bytes)."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_OMM_CONTROL
    data: Annotated[bytes, REST] = bytes(4)
    """Meaning unknown (zeros; empty in the legacy capture)."""


@register
@dataclass(frozen=True, slots=True)
class SysIpOptions(TypedMessage):
    """SYS_IP_OPTIONS: TOS, TTL and VLAN priorities for voice and signalling."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_IP_OPTIONS
    voice_tos: Annotated[int, U8] = 0xB8
    """IP TOS of RTP packets."""
    signalling_tos: Annotated[int, U8] = 0xB8
    """IP TOS of signalling packets."""
    ttl: Annotated[int, U8] = 32
    """IP TTL."""
    signalling_vlan_priority: Annotated[int, U8] = 6
    """802.1p priority of signalling."""
    voice_vlan_priority: Annotated[int, U8] = 6
    """802.1p priority of voice."""
    pad: Annotated[bytes, Octets(3)] = bytes(3)
    """Padding."""


@register
@dataclass(frozen=True, slots=True)
class SysLed(TypedMessage):
    """SYS_LED: set one LED to a colour/pattern."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_LED
    NAMES = {"colour": c.LedColour}
    led: Annotated[int, U8]
    """LED index."""
    colour: Annotated[int, U8]
    """LedColour."""
    pad: Annotated[bytes, Octets(2)] = bytes(2)
    """`0000` (the BusyLed tool sends `0001`)."""


@register
@dataclass(frozen=True, slots=True)
class SysHeartbeatInterval(TypedMessage):
    """SYS_HEARTBEAT_INTERVAL: how often the RFP sends HEARTBEAT."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_HEARTBEAT_INTERVAL
    interval: Annotated[int, U8] = c.DEFAULT_HEARTBEAT_INTERVAL
    """Seconds."""
    pad: Annotated[bytes, Octets(3)] = bytes(3)
    """Padding."""


@dataclass(frozen=True, slots=True)
class _AddressPort(TypedMessage):
    address: Annotated[ipaddress.IPv6Address, IPV6]
    """Server address (IPv4 travels IPv4-mapped, ::ffff:a.b.c.d)."""
    port: Annotated[int, U16]
    """Server port (BE)."""
    pad: Annotated[bytes, Octets(2)] = bytes(2)
    """Padding (`0200` seen)."""

    @classmethod
    def to(cls, host: str, port: int) -> Self:
        """From "a.b.c.d" or an IPv6 text."""
        addr = ipaddress.ip_address(host)
        if isinstance(addr, ipaddress.IPv4Address):
            addr = ipaddress.IPv6Address(f"::ffff:{addr}")
        return cls(addr, port)

    def json_extras(self) -> JsonDict:
        mapped = self.address.ipv4_mapped
        return {} if mapped is None else {"ipv4": str(mapped)}


@register
@dataclass(frozen=True, slots=True)
class SysSyslog(_AddressPort):
    """SYS_SYSLOG: where the RFP sends syslog (port 514)."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_SYSLOG


@register
@dataclass(frozen=True, slots=True)
class SysHttpSet(_AddressPort):
    """SYS_HTTP_SET: the OMM's HTTP(S) server (port 443)."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_HTTP_SET


@register
@dataclass(frozen=True, slots=True)
class SysMaxChannels(TypedMessage):
    """SYS_MAX_CHANNELS: DSP channel and session counts."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_MAX_CHANNELS
    dsp_channels: Annotated[int, U8]
    """DSP channels."""
    sessions: Annotated[int, U8]
    """Sessions."""
    tail: Annotated[bytes, REST] = b""
    """Unknown."""


_PASSWD_FIELD = 65


@register
@dataclass(frozen=True, slots=True)
class SysPasswd(TypedMessage):
    """SYS_PASSWD: remote access flag, root and admin user names and md5-crypt hashes.

    The text fields are kept raw: real OMMs leave random bytes after the NUL.
    """

    TYPE: ClassVar[MessageType] = MessageType.SYS_PASSWD
    flags: Annotated[int, U8]
    """Bit 0: remote access (SSH) enabled."""
    unknown: Annotated[int, U8]
    """Offset 5, meaning unknown."""
    root_user_field: Annotated[bytes, Octets(_PASSWD_FIELD)]
    """Root user name, NUL-terminated."""
    root_hash_field: Annotated[bytes, Octets(_PASSWD_FIELD)]
    """Root md5-crypt hash without the `$1$$` prefix, NUL-terminated."""
    admin_user_field: Annotated[bytes, Octets(_PASSWD_FIELD)]
    """Admin user name, NUL-terminated."""
    admin_hash_field: Annotated[bytes, Octets(_PASSWD_FIELD)]
    """Admin md5-crypt hash without the prefix, NUL-terminated."""
    pad: Annotated[bytes, Octets(2)] = bytes(2)
    """Padding."""

    @classmethod
    def create(
        cls,
        *,
        root_user: str,
        root_hash: str,
        admin_user: str,
        admin_hash: str,
        remote_access: bool = False,
    ) -> SysPasswd:
        """Hashes may be given with or without their `$1$$` prefix."""

        def field(name: str, text: str) -> bytes:
            return c_string_field(f"SYS_PASSWD {name}", text, _PASSWD_FIELD)

        return cls(
            flags=int(remote_access),
            unknown=0,
            root_user_field=field("root user", root_user),
            root_hash_field=field("root hash", root_hash.removeprefix(c.MD5_CRYPT_PREFIX)),
            admin_user_field=field("admin user", admin_user),
            admin_hash_field=field("admin hash", admin_hash.removeprefix(c.MD5_CRYPT_PREFIX)),
        )

    @property
    def remote_access(self) -> bool:
        return bool(self.flags & 1)

    @property
    def root_user(self) -> str:
        return c_string(self.root_user_field)

    @property
    def admin_user(self) -> str:
        return c_string(self.admin_user_field)

    @property
    def root_crypt_hash(self) -> str:
        """The full md5-crypt string (what SYS_RFP_RE_ENROLEMENT keys on; prefix inferred)."""
        return c.MD5_CRYPT_PREFIX + c_string(self.root_hash_field)

    @property
    def admin_crypt_hash(self) -> str:
        return c.MD5_CRYPT_PREFIX + c_string(self.admin_hash_field)

    def json_extras(self) -> JsonDict:
        return {
            "remote_access": self.remote_access,
            "root_user": self.root_user,
            "root_hash": self.root_crypt_hash,
            "admin_user": self.admin_user,
            "admin_hash": self.admin_crypt_hash,
        }


@register
@dataclass(frozen=True, slots=True)
class SysRping(TypedMessage):
    """SYS_RPING: remote ping target and round-trip time."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_RPING
    address: Annotated[ipaddress.IPv6Address, IPV6]
    """Target (IPv4-mapped)."""
    rtt_ms: Annotated[int, U32]
    """Round-trip time in ms (BE)."""
    pad: Annotated[bytes, Octets(4)] = bytes(4)
    """Padding."""


@register
@dataclass(frozen=True, slots=True)
class SysNewSw(TypedMessage):
    """SYS_NEW_SW: opaque (`00` seen from the RFP)."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_NEW_SW
    data: Annotated[bytes, REST] = b"\0"
    """Meaning unknown."""


@register
@dataclass(frozen=True, slots=True)
class SysCoreDump(TypedMessage):
    """SYS_CORE_DUMP: core-dump upload URL as a C string (junk may follow; empty = none)."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_CORE_DUMP
    url_field: Annotated[bytes, REST] = bytes(4)
    """The raw field."""

    @property
    def url(self) -> str:
        return c_string(self.url_field)

    def json_extras(self) -> JsonDict:
        return {"url": self.url}


@register
@dataclass(frozen=True, slots=True)
class SysVsntpTime(TypedMessage):
    """SYS_VSNTP_TIME: two NTP-style timestamps (seconds since 1900 and nanoseconds, BE)."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_VSNTP_TIME
    t1_seconds: Annotated[int, U32] = 0
    """t1 seconds (the RFP sends 0)."""
    t1_nanoseconds: Annotated[int, U32] = 0
    """t1 nanoseconds."""
    t2_seconds: Annotated[int, U32] = 0
    """t2 seconds (the RFP's time)."""
    t2_nanoseconds: Annotated[int, U32] = 0
    """t2 nanoseconds."""

    @classmethod
    def from_unix_time(cls, t2: float) -> SysVsntpTime:
        """The RFP's form: t1 = 0, t2 = the given Unix time."""
        ns = int(round(t2 * 1e9))
        seconds, nanoseconds = divmod(ns, 1_000_000_000)
        return cls(0, 0, (seconds + c.NTP_UNIX_OFFSET) & 0xFFFFFFFF, nanoseconds)


@register
@dataclass(frozen=True, slots=True)
class SysRandomValue(TypedMessage):
    """SYS_RANDOM_VALUE: a random u32 from the OMM."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_RANDOM_VALUE
    value: Annotated[int, U32]
    """The value (BE)."""


@register
@dataclass(frozen=True, slots=True)
class SysReset(TypedMessage):
    """SYS_RESET: reset or image check."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_RESET
    NAMES = {"reset_type": c.ResetType}
    reset_type: Annotated[int, U8] = c.ResetType.RESET
    """ResetType."""
    pad: Annotated[bytes, Octets(3)] = bytes(3)
    """Padding."""


@register
@dataclass(frozen=True, slots=True)
class SysLicenseTimer(TypedMessage):
    """SYS_LICENSE_TIMER: the OMM's query (grace 0xffffffff) and the RFP's answer."""

    TYPE: ClassVar[MessageType] = MessageType.SYS_LICENSE_TIMER
    grace_minutes: Annotated[int, U32] = c.LICENSE_TIMER_QUERY
    """Grace period in minutes (BE); > 0x7fffffff means "query"."""
    md5: Annotated[bytes, Octets(16)] = bytes(16)
    """"md5sum of binary PARK" (zeros in the query); the RFP echoes it."""

    @property
    def is_query(self) -> bool:
        return self.grace_minutes > c.LICENSE_TIMER_QUERY_THRESHOLD


@dataclass(frozen=True, slots=True)
class FirmwareElement:
    """One TLV of SYS_FIRMWARE_UPDATE."""

    tag: int
    """FirmwareUpdateTag (u8)."""
    value: bytes
    """Up to 255 bytes."""


@register
@dataclass(frozen=True, slots=True)
class SysFirmwareUpdate(TypedMessage):
    """SYS_FIRMWARE_UPDATE: 8-byte header (bytes 6-7 = TLV area length) and TLVs.

    §4.7 calls the length u16 BE, but its only vector (V109, `0100 8700 00000000` before
    0x87 bytes of TLVs) has it little-endian at 6-7; the vector wins.
    """

    TYPE: ClassVar[MessageType] = MessageType.SYS_FIRMWARE_UPDATE
    elements: tuple[FirmwareElement, ...]
    """Version strings, TFTP URL, flags."""
    head: bytes = bytes.fromhex("0100")
    """Header bytes 4-5 (`0100` seen)."""
    reserved: bytes = bytes(4)
    """Header bytes 8-11."""

    @classmethod
    def from_bytes(cls, payload: bytes) -> Self:
        if len(payload) < 8:
            raise LinkProtocolError(f"SYS_FIRMWARE_UPDATE payload is {len(payload)} bytes")
        area = int.from_bytes(payload[2:4], "little")
        if area != len(payload) - 8:
            raise LinkProtocolError(
                f"SYS_FIRMWARE_UPDATE TLV area says {area} bytes, got {len(payload) - 8}"
            )
        elements = []
        offset = 8
        while offset < len(payload):
            if offset + 2 > len(payload) or offset + 2 + payload[offset + 1] > len(payload):
                raise LinkProtocolError("SYS_FIRMWARE_UPDATE: truncated TLV")
            size = payload[offset + 1]
            elements.append(
                FirmwareElement(payload[offset], bytes(payload[offset + 2 : offset + 2 + size]))
            )
            offset += 2 + size
        return cls(tuple(elements), bytes(payload[0:2]), bytes(payload[4:8]))

    def to_bytes(self) -> bytes:
        if len(self.head) != 2 or len(self.reserved) != 4:
            raise LinkValueError("SysFirmwareUpdate head is 2 bytes and reserved 4")
        area = bytearray()
        for element in self.elements:
            if not 0 <= element.tag <= 0xFF or len(element.value) > 0xFF:
                raise LinkValueError(f"firmware TLV {element.tag} does not fit u8/u8")
            area += bytes([element.tag, len(element.value)]) + element.value
        return self.head + len(area).to_bytes(2, "little") + self.reserved + bytes(area)

    def json_extras(self) -> JsonDict:
        return {
            "elements": [
                {
                    "tag": e.tag,
                    "tag_name": c.code_name(c.FirmwareUpdateTag, e.tag),
                    "value_hex": e.value.hex(),
                    "text": c_string(e.value),
                }
                for e in self.elements
            ]
        }


_SNMP_TEXT = 81
"""sysContact, sysLocation, sysName: 80 octets and a NUL (§4.7)."""
_SNMP_COMMUNITY = 41
"""The communities: 40 octets and a NUL."""


@register
@dataclass(frozen=True, slots=True)
class SnmpRfpUpdate(TypedMessage):
    """SNMP_RFP_UPDATE: the RFP's SNMP agent configuration (text fields kept raw)."""

    TYPE: ClassVar[MessageType] = MessageType.SNMP_RFP_UPDATE
    trap_sink: Annotated[ipaddress.IPv4Address, IPV4]
    """Trap receiver."""
    contact_field: Annotated[bytes, Octets(_SNMP_TEXT)]
    """sysContact, NUL-terminated."""
    location_field: Annotated[bytes, Octets(_SNMP_TEXT)]
    """sysLocation."""
    name_field: Annotated[bytes, Octets(_SNMP_TEXT)]
    """sysName."""
    ro_community_field: Annotated[bytes, Octets(_SNMP_COMMUNITY)]
    """Read-only community."""
    trap_community_field: Annotated[bytes, Octets(_SNMP_COMMUNITY)]
    """Trap community."""
    trap_enabled: Annotated[int, U8]
    """1 = traps on."""
    pad: Annotated[bytes, Octets(2)] = bytes(2)
    """Padding."""

    @classmethod
    def create(cls, *, trap_sink: str | ipaddress.IPv4Address = "0.0.0.0", contact: str = "",
               location: str = "", name: str = "", ro_community: str = "",
               trap_community: str = "", trap_enabled: bool = False) -> SnmpRfpUpdate:
        """Texts are Latin-1 and shorter than their field (80 / 40 octets); LinkValueError
        otherwise. trap_sink 0.0.0.0: none."""
        try:
            sink = ipaddress.IPv4Address(trap_sink)
        except ValueError:
            raise LinkValueError(f"SNMP_RFP_UPDATE trap sink {trap_sink!r} is no IPv4 "
                                 "address") from None

        def field(what: str, text: str, size: int) -> bytes:
            return c_string_field(f"SNMP_RFP_UPDATE {what}", text, size)

        return cls(sink, field("sysContact", contact, _SNMP_TEXT),
                   field("sysLocation", location, _SNMP_TEXT),
                   field("sysName", name, _SNMP_TEXT),
                   field("read community", ro_community, _SNMP_COMMUNITY),
                   field("trap community", trap_community, _SNMP_COMMUNITY),
                   int(trap_enabled))

    @property
    def contact(self) -> str:
        return c_string(self.contact_field)

    @property
    def location(self) -> str:
        return c_string(self.location_field)

    @property
    def sys_name(self) -> str:
        return c_string(self.name_field)

    @property
    def ro_community(self) -> str:
        return c_string(self.ro_community_field)

    @property
    def trap_community(self) -> str:
        return c_string(self.trap_community_field)

    @property
    def traps(self) -> bool:
        """Traps on (any non-zero byte)."""
        return self.trap_enabled != 0

    def json_extras(self) -> JsonDict:
        return {
            "sys_contact": c_string(self.contact_field),
            "sys_location": c_string(self.location_field),
            "sys_name": c_string(self.name_field),
            "ro_community": c_string(self.ro_community_field),
            "trap_community": c_string(self.trap_community_field),
        }
