"""AXI wire codec: NUL-terminated XML messages (../shared/specs/axi.md §1).

One message is one XML element with attributes and child elements, UTF-8, no
XML declaration, no whitespace between elements, terminated by a single 0x00.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

#: Largest frame we accept from a peer; a real OMM has a similar bound (the
#: biggest legitimate request, a PutFile chunk of 500 raw bytes, is < 2 KiB).
MAX_FRAME = 64 * 1024


class AxiSyntaxError(ValueError):
    """A frame is not a well-formed AXI message."""


class FrameTooLong(ValueError):
    """A peer sent more than MAX_FRAME bytes without a NUL terminator."""


@dataclass(slots=True)
class Message:
    """One AXI message: element name, attributes and child messages."""

    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Message] = field(default_factory=list)
    text: str | None = None

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.attrs.get(key, default)

    def child(self, name: str) -> Message | None:
        for c in self.children:
            if c.name == name:
                return c
        return None

    def children_named(self, name: str) -> list[Message]:
        return [c for c in self.children if c.name == name]


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def _from_element(el: Any) -> Message:
    tag = el.tag
    if not isinstance(tag, str) or tag.startswith("{"):
        raise AxiSyntaxError("namespaced or non-element node")
    msg = Message(tag, dict(el.attrib))
    text = el.text
    if text is not None and text.strip():
        msg.text = text
    for sub in el:
        if isinstance(sub.tag, str):
            msg.children.append(_from_element(sub))
    return msg


def parse(frame: bytes) -> Message:
    """Parse one frame (without its NUL) into a Message or raise AxiSyntaxError."""
    if b"<!" in frame:
        # DOCTYPE/ENTITY/CDATA: never part of AXI; refuse rather than expand.
        raise AxiSyntaxError("DTDs, entities and CDATA are not allowed")
    try:
        root = etree.fromstring(frame, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise AxiSyntaxError(str(exc) or "malformed XML") from None
    if root is None:
        raise AxiSyntaxError("empty document")
    return _from_element(root)


_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;",
     "\t": "&#9;"}
)
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _render_into(msg: Message, out: list[str]) -> None:
    out.append("<")
    out.append(msg.name)
    for k, v in msg.attrs.items():
        out.append(f' {k}="{v.translate(_ATTR_ESCAPES)}"')
    if not msg.children and msg.text is None:
        out.append("/>")
        return
    out.append(">")
    if msg.text is not None:
        out.append(msg.text.translate(_TEXT_ESCAPES))
    for c in msg.children:
        _render_into(c, out)
    out.append(f"</{msg.name}>")


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry (controls, lone surrogates, U+FFFE, U+FFFF). A value from
outside AXI (a SIP display name, a config file, a provisioning file) may hold them; they go
out as U+FFFD, so that every frame stays one a client can parse."""


def render(msg: Message) -> bytes:
    """Serialise a message the way a real OMM writes it (no declaration, no NUL)."""
    out: list[str] = []
    _render_into(msg, out)
    text = "".join(out)
    if _NOT_XML.search(text) is not None:
        text = _NOT_XML.sub("\ufffd", text)
    return text.encode("utf-8")


def frame(msg: Message) -> bytes:
    """Serialise and terminate with the NUL byte."""
    return render(msg) + b"\0"


def element(name: str, attrs: Mapping[str, object] | None = None,
            children: list[Message] | None = None) -> Message:
    """Build a message, turning attribute values into their wire strings."""
    return Message(name, {k: str(v) for k, v in (attrs or {}).items() if v is not None},
                   list(children or []))


class FrameDecoder:
    """Splits a byte stream into NUL-terminated frames; empty frames are skipped."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._buf = bytearray()
        self._max = max_frame

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Yield every complete frame in data; raise FrameTooLong on an endless one."""
        self._buf += data
        while True:
            end = self._buf.find(0)
            if end < 0:
                if len(self._buf) > self._max:
                    raise FrameTooLong(f"no NUL terminator within {self._max} bytes")
                return
            chunk = bytes(self._buf[:end])
            del self._buf[: end + 1]
            if len(chunk) > self._max:
                raise FrameTooLong(f"frame of {len(chunk)} bytes exceeds {self._max}")
            if chunk.strip():
                yield chunk

    @property
    def pending(self) -> int:
        return len(self._buf)
