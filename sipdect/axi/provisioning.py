"""OMM provisioning files (`ipdect.cfg`, then `<mac>.cfg`): AXI requests one after another,
no seq, no NUL (../shared/specs/mom.md §5; docs/mom.md "Configuration files").

Sans-I/O: `read` turns a file's bytes into requests, each with its line, column and element
number, and into faults for what cannot be read (a broken element is reported and skipped,
the rest still reads); `write` turns requests into a file. `omm_files` is what the MOM writes
for one OMM. The OMM applies the requests through its own AXI handlers (omm.provisioning).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from sipdect.axi.codec import AxiSyntaxError, Message, parse, render

COMMON_FILE: Final = "ipdect.cfg"
"""[D] SM6 p.243: the file every OMM reading the URL loads first."""

PLAIN_TEXT: Final = "plainText"
"""[C/D] `plainText="1"` on a request: its passwords are in clear, not RSA-encrypted."""

REPLACE_DATA: Final = "replaceData"
"""[C/D] `replaceData="1"` on a Create request: a record with the same key is overwritten
(docs/mom.md "Configuration files" says which key per record type)."""

HEALTH_COMPONENT: Final = "axiProvisioningCommands"
HEALTH_REASON: Final = "AXI command error(s) during provisioning file processing"
"""[D] XSD ComponentType / ReasonType: what an OMM reports while a file had errors."""

MAX_FILE: Final = 4 * 1024 * 1024
"""[I] Largest file read (10,000 users of some 300 octets each fit with room to spare)."""

MAX_FAULTS: Final = 100
"""[I] After this many faults the rest of a file is not read (one more fault says so): a
file of garbage costs bounded work and the event log is not flooded."""

WRITER_COMMENT: Final = "#"
"""[S] Public ipdect.cfg files carry `#` comment lines between elements (a NixOS module for
an OMM); the reader skips them, the writer opens its files with one."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where in a file something starts."""

    line: int
    """1-based line."""
    column: int
    """1-based column, in characters."""
    index: int
    """1-based number of the element in the file (0: not an element)."""

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}" + (
            f" (element {self.index})" if self.index else "")


@dataclass(frozen=True, slots=True)
class ProvisioningRequest:
    """One request of a file."""

    request: Message
    """The AXI request as the codec reads it (a `seq` given in the file is dropped)."""
    position: Position
    """Where its start tag is."""


@dataclass(frozen=True, slots=True)
class ProvisioningFault:
    """Something of a file that is no request: it is skipped, the rest still applies."""

    position: Position
    name: str
    """The element's name when one could be read, else ""."""
    reason: str
    """What is wrong, for the event log."""

    def __str__(self) -> str:
        what = f"<{self.name}> at {self.position}" if self.name else str(self.position)
        return f"{what}: {self.reason}"


@dataclass(slots=True)
class ProvisioningFile:
    """A file as read: its requests and its faults, each in file order."""

    requests: list[ProvisioningRequest] = field(default_factory=list)
    faults: list[ProvisioningFault] = field(default_factory=list)


_NAME = r"[A-Za-z_][A-Za-z0-9_.:-]*"
_TAG = re.compile(
    rf"<(?P<close>/)?(?P<name>{_NAME})"
    rf"(?P<attrs>(?:\s+{_NAME}\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)\s*(?P<empty>/)?>")
_SPACE = re.compile(r"\s*")


class _Lines:
    """Line and column of an offset."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int, index: int = 0) -> Position:
        line = bisect.bisect_right(self._starts, offset)
        return Position(line, offset - self._starts[line - 1] + 1, index)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _Lines(text)
        self.out = ProvisioningFile()
        self.elements = 0

    def fault(self, offset: int, name: str, reason: str, index: int = 0) -> None:
        self.out.faults.append(ProvisioningFault(self.lines.at(offset, index), name, reason))

    def run(self) -> ProvisioningFile:
        text, i, n = self.text, 0, len(self.text)
        while i < n:
            if len(self.out.faults) >= MAX_FAULTS:
                self.fault(i, "", f"more than {MAX_FAULTS} errors: the rest of the file is "
                                  "not read")
                break
            i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
            if i >= n:
                break
            if text.startswith(WRITER_COMMENT, i):
                end = text.find("\n", i)
                i = n if end < 0 else end + 1
            elif text.startswith("<!--", i):
                end = text.find("-->", i + 4)
                if end < 0:
                    self.fault(i, "", "comment not closed (-->)")
                    break
                i = end + 3
            elif text.startswith("<?", i):
                end = text.find("?>", i + 2)
                if end < 0:
                    self.fault(i, "", "processing instruction not closed (?>)")
                    break
                i = end + 2
            elif text[i] != "<":
                end = text.find("<", i)
                self.fault(i, "", "text outside an element")
                i = n if end < 0 else end
            else:
                i = self.element(i)
        return self.out

    def element(self, start: int) -> int:
        """Read the element whose start tag is at `start`; the offset to go on from."""
        self.elements += 1
        index = self.elements
        text = self.text
        first = _TAG.match(text, start)
        if first is None or first.group("close"):
            bad_name = re.match(rf"</?({_NAME})", text[start:start + 80])
            name = bad_name.group(1) if bad_name else ""
            why = ("closing tag without an element" if first is not None
                   else "malformed tag (attributes are name=\"value\")")
            self.fault(start, name, why, index)
            nxt = text.find("<", start + 1)
            return len(text) if nxt < 0 else nxt
        name = first.group("name")
        end = first.end()
        if not first.group("empty"):
            stack = [(name, start)]
            broken = ""
            i = end
            while stack:
                lt = text.find("<", i)
                if lt < 0:
                    self.fault(start, name, "not closed before the end of the file", index)
                    return first.end()  # read what follows its start tag as elements
                tag = _TAG.match(text, lt)
                if tag is None:
                    broken = broken or f"malformed tag at {self.lines.at(lt)}"
                    i = lt + 1
                    continue
                i = tag.end()
                if tag.group("empty"):
                    continue
                if not tag.group("close"):
                    stack.append((tag.group("name"), lt))
                    continue
                closing = tag.group("name")
                names = [s[0] for s in stack]
                if closing not in names:
                    broken = broken or f"</{closing}> at {self.lines.at(lt)} closes nothing"
                    continue
                while stack[-1][0] != closing:
                    inner, at = stack.pop()
                    broken = broken or f"<{inner}> at {self.lines.at(at)} is not closed"
                stack.pop()
            end = i
            if broken:
                self.fault(start, name, broken, index)
                return end
        try:
            msg = parse(text[start:end].encode("utf-8"))
        except AxiSyntaxError as exc:
            self.fault(start, name, f"not a well-formed element: {exc}", index)
            return end
        msg.attrs.pop("seq", None)
        self.out.requests.append(ProvisioningRequest(msg, self.lines.at(start, index)))
        return end


def read(data: bytes) -> ProvisioningFile:
    """The requests of a provisioning file and what could not be read; never raises."""
    if len(data) > MAX_FILE:
        return ProvisioningFile(faults=[ProvisioningFault(
            Position(1, 1, 0), "", f"file of {len(data)} octets, more than {MAX_FILE}: not read")])
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = _Lines(data[:exc.start].decode("utf-8", "replace")).at(exc.start)
        return ProvisioningFile(faults=[ProvisioningFault(
            Position(where.line, 1, 0), "", f"not UTF-8 (octet {exc.start}): not read")])
    if "\0" in text:
        return ProvisioningFile(faults=[ProvisioningFault(
            _Lines(text).at(text.index("\0")), "", "NUL octet: a file has no AXI framing; "
                                                   "not read")])
    return _Reader(text).run()


def write(requests: Iterable[Message], comment: str = "") -> bytes:
    """A provisioning file: one request a line, without seq; `comment` heads it as # lines."""
    printable = "".join(c for c in comment if c == "\n" or c.isprintable())
    lines = [f"{WRITER_COMMENT} {line}".rstrip() for line in printable.splitlines()]
    for msg in requests:
        if "seq" in msg.attrs:
            msg = Message(msg.name, {k: v for k, v in msg.attrs.items() if k != "seq"},
                          msg.children, msg.text)
        lines.append(render(msg).decode("utf-8"))
    return ("\n".join(lines) + "\n").encode("utf-8")


# -- what the MOM writes for one OMM ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ProvisionedAccount:
    """An AXI account an OMM is given."""

    username: str
    password: str
    permissions: tuple[str, ...]
    active: bool = True
    aging: str = "none"
    """[D] seed 000: the account a MOM logs in with must not age."""


@dataclass
class OmmProvisioning:
    """What the MOM knows of one OMM and gives it in its files. Values are wire strings, as
    the AXI records (sipdect.axi.records) spell them."""

    system_name: str = ""
    """SetSystemName; "" leaves the OMM's."""
    accounts: list[ProvisionedAccount] = field(default_factory=list)
    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    """Set<group> per settings group, e.g. {"BasicSIP": {"proxyServer": ...}}."""
    sari: str = ""
    """SetSARI: the SARI the MOM's OMMs share (PARK format); "" sets none."""
    sites: list[dict[str, str]] = field(default_factory=list)
    """<site> records, each with its id."""
    rfps: list[dict[str, str]] = field(default_factory=list)
    """<rfp> records, each with its ethAddr (their key; the OMM numbers them)."""
    users: list[dict[str, str]] = field(default_factory=list)
    """<user> records, each with its uid; sipPw and pin in clear."""


def _flag(on: bool) -> str:
    return "1" if on else "0"


def _account(acc: ProvisionedAccount) -> Message:
    record = Message("account", {"username": acc.username, "password": acc.password,
                                 "active": _flag(acc.active), "aging": acc.aging},
                     [Message("permission", text=p) for p in acc.permissions])
    return Message("CreateAccount", {PLAIN_TEXT: "1", REPLACE_DATA: "1"}, [record])


def _created(request: str, element: str, attrs: Mapping[str, str]) -> Message:
    return Message(request, {PLAIN_TEXT: "1", REPLACE_DATA: "1"},
                   [Message(element, dict(attrs))])


def omm_requests(p: OmmProvisioning) -> list[Message]:
    """The requests of one OMM's provisioning, in the order an OMM can apply them: system,
    accounts, settings, SARI, sites before the RFPs placed on them, users."""
    out: list[Message] = []
    if p.system_name:
        out.append(Message("SetSystemName", {"name": p.system_name}))
    out.extend(_account(a) for a in p.accounts)
    out.extend(Message(f"Set{group}", dict(values)) for group, values in p.settings.items())
    if p.sari:
        out.append(Message("SetSARI", {"sari": p.sari}))
    out.extend(_created("CreateSite", "site", s) for s in p.sites)
    out.extend(_created("CreateRFP", "rfp", r) for r in p.rfps)
    out.extend(_created("CreatePPUser", "user", u) for u in p.users)
    return out


def omm_files(p: OmmProvisioning, *, comment: str = "") -> dict[str, bytes]:
    """The files the MOM writes for one OMM, by name: everything goes into COMMON_FILE of
    that OMM's own directory (docs/mom.md "Configuration files": one URL per OMM)."""
    return {COMMON_FILE: write(omm_requests(p), comment)}


# -- where an OMM finds its files -----------------------------------------------------------

FETCHED_PROTOCOLS: Final = ("file", "http", "https")
"""[I] What the emulator fetches. The XSD's ProtocolType also names FTP, FTPS, TFTP, SFTP and
SCP (reported as not reachable here); `file` is the emulator's own, for a local file."""

URL_PARAMS: Final = {"vc": "1"}
"""[D/I] Parameters after the path (SM6 p.243: `&cm`, `&vc`, `&ve` TLS options) with their
defaults. Of them the emulator heeds `vc` (validate the server's certificate, `0`/`1`);
secure by default, so a test server's self-signed certificate needs `&vc=0`."""

_URL = re.compile(r"^(?P<proto>[A-Za-z][A-Za-z0-9+.-]*)://(?:(?P<user>[^:@/]*)(?::(?P<pw>[^@/]*))?@)?"
                  r"(?P<host>\[[^\]]*\]|[^:/&]*)(?::(?P<port>\d{1,5}))?(?P<path>/[^&]*)?"
                  r"(?P<params>&.*)?$")


@dataclass(frozen=True, slots=True)
class ConfigUrl:
    """An OMM's configuration URL: where its provisioning files are (mom.md §5 syntax
    `<proto>://<user>:<pw>@<server>/<path>&<params>`). The path names the directory of the
    files, or the common file itself when it ends in `.cfg` [I]."""

    protocol: str
    """Lower case: file, http, https, ftp, ..."""
    host: str = ""
    port: int = 0
    """0: the protocol's own."""
    path: str = "/"
    username: str = ""
    password: str = ""
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> ConfigUrl:
        """Read a URL; ValueError says what is wrong."""
        m = _URL.match(text.strip())
        if m is None:
            raise ValueError(f"{text!r} is not a configuration URL like "
                             "https://user:password@server/path or file:///path/ipdect.cfg")
        params: list[tuple[str, str]] = []
        for item in (m.group("params") or "").split("&")[1:]:
            name, _, value = item.partition("=")
            if name:
                params.append((name, value))
        port = int(m.group("port") or 0)
        if port > 65535:
            raise ValueError(f"{text!r}: port {port} is not a port")
        url = cls(m.group("proto").lower(), m.group("host") or "", port,
                  m.group("path") or "/", m.group("user") or "", m.group("pw") or "",
                  tuple(params))
        if url.protocol == "file" and url.host not in ("", "localhost"):
            raise ValueError(f"{text!r}: a file URL names no host (file:///path)")
        if url.protocol != "file" and not url.host:
            raise ValueError(f"{text!r}: no server named")
        return url

    def param(self, name: str) -> str:
        return dict(self.params).get(name, URL_PARAMS.get(name, ""))

    @property
    def validate_certificates(self) -> bool:
        return self.param("vc") != "0"

    def file_location(self, name: str) -> str:
        """Where file `name` is: a local path (file) or a URL without credentials."""
        directory = self.path if not self.path.endswith(".cfg") else \
            self.path.rsplit("/", 1)[0] + "/"
        if not directory.endswith("/"):
            directory += "/"
        if self.path.endswith(".cfg") and name == COMMON_FILE:
            name = self.path.rsplit("/", 1)[1]
        if self.protocol == "file":
            return directory + name
        port = f":{self.port}" if self.port else ""
        return f"{self.protocol}://{self.host}{port}{directory}{name}"

    def text(self, *, password: bool = False) -> str:
        """The URL as written; the password shown as *** unless asked for."""
        cred = ""
        if self.username or self.password:
            cred = self.username + (":" + (self.password if password else "***")
                                    if self.password else "") + "@"
        port = f":{self.port}" if self.port else ""
        tail = "".join(f"&{k}={v}" for k, v in self.params)
        return f"{self.protocol}://{cred}{self.host}{port}{self.path}{tail}"

    def record(self) -> dict[str, str]:
        """AXI URLType attributes (SetConfigURL <url>); `file` is the emulator's own protocol
        name there too."""
        return {"enable": "1", "protocol": self.protocol.upper(), "host": self.host,
                "port": str(self.port), "path": self.path + "".join(
                    f"&{k}={v}" for k, v in self.params),
                "username": self.username, "password": self.password}

    @classmethod
    def from_record(cls, attrs: Mapping[str, str]) -> ConfigUrl:
        """The URL an AXI URLType names; ValueError if it names none."""
        proto = attrs.get("protocol", "").lower()
        cred = ""
        if attrs.get("username") or attrs.get("password"):
            cred = attrs.get("username", "") + (
                ":" + attrs["password"] if attrs.get("password") else "") + "@"
        port = attrs.get("port", "0") or "0"
        port_text = f":{port}" if port != "0" else ""
        path = attrs.get("path", "") or "/"
        if not path.startswith("/"):
            path = "/" + path
        return cls.parse(f"{proto}://{cred}{attrs.get('host', '')}{port_text}{path}")


def mac_file(mac: str) -> str:
    """[D] SM6 p.243: the OMM's own file after COMMON_FILE, named by its MAC address;
    [I] twelve upper-case hex digits (`00:30:42:0d:1e:2f` -> `0030420D1E2F.cfg`)."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", mac)
    if len(digits) != 12:
        raise ValueError(f"{mac!r} is not a MAC address like 00:30:42:0d:1e:2f")
    return digits.upper() + ".cfg"


def file_names(mac: str | None) -> Sequence[str]:
    """The files an OMM loads from its URL's directory, in order."""
    return (COMMON_FILE,) if not mac else (COMMON_FILE, mac_file(mac))
