"""A minimal SDP codec for audio sessions (RFC 4566 §5, RFC 3264 §5-6).

Enough for G.711, G.722 and telephone-event: o=, s=, c=, t=, m=audio with RTP/AVP or
RTP/SAVP, a=rtpmap, a=fmtp, a=ptime and the direction attributes. Every other
line and attribute is kept in order so a body survives a round trip. `a=crypto`
lines stay in `MediaDescription.attributes`; sipdect.media.sdes reads and writes
them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from sipdect.media import constants as c
from sipdect.media.errors import SdpError


@dataclass(frozen=True, slots=True)
class RtpMap:
    """`a=rtpmap:<pt> <encoding>/<clock>[/<channels>]`."""

    encoding: str
    clock_rate: int
    channels: int | None = None

    def render(self) -> str:
        tail = f"/{self.channels}" if self.channels is not None else ""
        return f"{self.encoding}/{self.clock_rate}{tail}"


@dataclass(slots=True)
class MediaDescription:
    """One m= section."""

    media: str
    """"audio" for everything this kit handles."""
    port: int
    """Transport port; 0 rejects the stream (RFC 3264 §6)."""
    proto: str
    """RTP/AVP or RTP/SAVP (anything else is kept but not negotiated)."""
    formats: list[str]
    """Format list: payload type numbers for RTP."""
    connection: str | None = None
    """Media-level c= address."""
    rtpmap: dict[int, RtpMap] = field(default_factory=dict)
    fmtp: dict[int, str] = field(default_factory=dict)
    ptime: int | None = None
    """a=ptime in ms."""
    direction: str | None = None
    """sendrecv / sendonly / recvonly / inactive, or None when absent (= sendrecv)."""
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    """Other a= lines in order as (name, value or None for a flag); a=crypto among them."""
    other_lines: list[str] = field(default_factory=list)
    """Other lines of the section (i=, b=, k=) kept as written."""

    @property
    def payload_types(self) -> list[int]:
        """The format list as payload type numbers (RtpError-free: SdpError if not numbers)."""
        try:
            return [int(f) for f in self.formats]
        except ValueError as exc:
            raise SdpError(f"m={self.media} format list {self.formats} is not RTP") from exc

    def format_of(self, payload_type: int) -> RtpMap | None:
        """The rtpmap of a payload type, falling back to RFC 3551's static table."""
        if payload_type in self.rtpmap:
            return self.rtpmap[payload_type]
        static = c.STATIC_FORMATS.get(payload_type)
        return RtpMap(static.encoding, static.clock_rate) if static else None

    def attribute(self, name: str) -> list[str]:
        """Values of every other attribute named `name`."""
        return [v or "" for n, v in self.attributes if n == name]


@dataclass(slots=True)
class SessionDescription:
    """A whole SDP body."""

    origin: str = "- 0 0 IN IP4 127.0.0.1"
    """o= value."""
    name: str = "-"
    """s= value."""
    connection: str | None = None
    """Session-level c= address."""
    timing: str = "0 0"
    """t= value."""
    media: list[MediaDescription] = field(default_factory=list)
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    """Session-level a= lines."""
    other_lines: list[str] = field(default_factory=list)
    """Other session-level lines (i=, u=, e=, b=, ...) kept as written."""

    def connection_of(self, media: MediaDescription) -> str | None:
        """The address a stream is sent to: media-level c= over session-level c=."""
        return media.connection or self.connection

    def render(self) -> str:
        lines = ["v=0", f"o={self.origin}", f"s={self.name}"]
        lines += self.other_lines
        if self.connection:
            lines.append(f"c={_render_connection(self.connection)}")
        lines.append(f"t={self.timing}")
        lines += [_render_attribute(n, v) for n, v in self.attributes]
        for m in self.media:
            lines.append(f"m={m.media} {m.port} {m.proto} {' '.join(m.formats)}".rstrip())
            lines += m.other_lines
            if m.connection:
                lines.append(f"c={_render_connection(m.connection)}")
            for pt, rtpmap in m.rtpmap.items():
                lines.append(f"a=rtpmap:{pt} {rtpmap.render()}")
            for pt, params in m.fmtp.items():
                lines.append(f"a=fmtp:{pt} {params}")
            if m.ptime is not None:
                lines.append(f"a=ptime:{m.ptime}")
            if m.direction is not None:
                lines.append(f"a={m.direction}")
            lines += [_render_attribute(n, v) for n, v in m.attributes]
        return "\r\n".join(lines) + "\r\n"

    def encode(self) -> bytes:
        return self.render().encode()

    @classmethod
    def parse(cls, body: str | bytes) -> SessionDescription:
        """Parse an SDP body; SdpError on anything this codec cannot read."""
        if isinstance(body, bytes):
            try:
                body = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SdpError("SDP body is not UTF-8") from exc
        lines = [line for line in body.replace("\r\n", "\n").split("\n") if line.strip()]
        if not lines or lines[0].strip() != "v=0":
            raise SdpError("SDP must start with v=0")
        sdp = cls(origin="", name="", timing="")
        current: MediaDescription | None = None
        for line in lines[1:]:
            if len(line) < 2 or line[1] != "=" or not line[0].isalpha():
                raise SdpError(f"SDP line {line[:40]!r} is not <type>=<value>")
            kind, value = line[0], line[2:]
            if kind == "m":
                current = _parse_media(value)
                sdp.media.append(current)
            elif kind == "c":
                address = _parse_connection(value)
                if current is None:
                    sdp.connection = address
                else:
                    current.connection = address
            elif kind == "a":
                name, _, rest = value.partition(":")
                attr_value = rest if ":" in value else None
                if current is None:
                    sdp.attributes.append((name, attr_value))
                else:
                    _media_attribute(current, name, attr_value)
            elif current is not None:
                current.other_lines.append(line)
            elif kind == "o":
                sdp.origin = value
            elif kind == "s":
                sdp.name = value
            elif kind == "t":
                sdp.timing = value
            else:
                sdp.other_lines.append(line)
        return sdp


def _render_attribute(name: str, value: str | None) -> str:
    return f"a={name}" if value is None else f"a={name}:{value}"


def _render_connection(address: str) -> str:
    family = "IP6" if ":" in address else "IP4"
    return f"IN {family} {address}"


def _parse_connection(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError(f"c={value[:60]!r} is not 'IN IP4|IP6 <address>'")
    address = parts[2].split("/")[0]
    try:
        ipaddress.ip_address(address)
    except ValueError:
        if not address.isascii() or not all(ch.isalnum() or ch in "-." for ch in address):
            raise SdpError(f"c= address {address[:60]!r} is invalid") from None
    return address


def _parse_media(value: str) -> MediaDescription:
    parts = value.split()
    if len(parts) < 3:
        raise SdpError(f"m={value[:60]!r} needs <media> <port> <proto> <formats>")
    port_text = parts[1].split("/")[0]
    if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > 65535:
        raise SdpError(f"m= port {parts[1][:20]!r} is not 0..65535")
    return MediaDescription(parts[0], int(port_text), parts[2], parts[3:])


def _int(text: str, what: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise SdpError(f"{what} {text[:20]!r} is not a number")
    return int(text)


def _media_attribute(m: MediaDescription, name: str, value: str | None) -> None:
    if name == "rtpmap" and value is not None:
        pt_text, _, spec = value.partition(" ")
        fields = spec.strip().split("/")
        if len(fields) not in (2, 3) or not fields[0]:
            raise SdpError(f"a=rtpmap:{value[:60]!r} is not '<pt> <name>/<rate>[/<ch>]'")
        channels = _int(fields[2], "rtpmap channels") if len(fields) == 3 else None
        m.rtpmap[_int(pt_text, "rtpmap payload type")] = RtpMap(
            fields[0], _int(fields[1], "rtpmap clock rate"), channels)
    elif name == "fmtp" and value is not None:
        pt_text, _, params = value.partition(" ")
        m.fmtp[_int(pt_text, "fmtp payload type")] = params.strip()
    elif name == "ptime" and value is not None:
        m.ptime = _int(value, "ptime")
    elif name in c.DIRECTIONS and value is None:
        m.direction = name
    else:
        m.attributes.append((name, value))
