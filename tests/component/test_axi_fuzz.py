"""Fuzzing the AXI server (axi.md §1, §1.1): random and mutated frames over real sockets.

After every example the OMM still answers on a fresh connection and the users and
devices stored before the fuzzing are byte for byte what they were. The sans-I/O
session is fuzzed on its own too: any bytes, in any chunks, never make it raise.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from omm.axi.api import AxiApi
from omm.axi.server import AxiConnection
from omm.model import OmmModel, OmmSetup
from sipdect.accounts import InitialAccount
from sipdect.app.emulator import OmmHandle, ThreadedEmulator
from sipdect.axi import conventions
from sipdect.axi.codec import MAX_FRAME, AxiSyntaxError, Message, element, parse, render
from sipdect.axi.errors import AxiError
from sipdect.axi.records import parse_int
from sipdect.axi.session import (
    AxiServerSession,
    ConnectionTerminated,
    LinkState,
    RequestReceived,
)
from sipdect.waiting import until

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Sent after the fuzz bytes: its answer (or the link closing) proves the server has
#: dealt with everything before it. The leading NUL ends any partial frame.
SYNC_SEQ = "424242"
SYNC = b'\0<Ping seq="' + SYNC_SEQ.encode() + b'"/>\0'

MONITOR = ("monitor", "Sipdect-Read-2026")  # read-only account of the default config


# -- a blocking AXI connection ------------------------------------------------------------------

class Wire:
    """Raw bytes out, NUL-terminated frames in; for fuzzing, so nothing is parsed here."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = b""

    def send(self, data: bytes) -> bool:
        """False if the server has already closed the link."""
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            return False
        return True

    def frame(self) -> bytes | None:
        """The next frame, or None once the server has closed the link."""
        while b"\0" not in self._buf:
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                return None
            if not data:
                return None
            self._buf += data
        raw, _, self._buf = self._buf.partition(b"\0")
        return raw

    def frames_until(self, marker: bytes) -> Iterator[bytes]:
        """Every frame up to and including the one containing marker, or up to EOF."""
        while (raw := self.frame()) is not None:
            yield raw
            if marker in raw:
                return

    def request(self, raw: bytes) -> bytes:
        """Send one request frame and return its response (events skipped)."""
        assert self.send(raw + b"\0")
        while (resp := self.frame()) is not None:
            if not resp.startswith(b"<Event"):
                return resp
        raise AssertionError(f"link closed instead of answering {raw[:80]!r}")

    def login(self, username: str, password: str, sync: bool = False) -> None:
        resp = self.request(render(element("Open", {
            "seq": 1, "username": username, "password": password,
            "UserDeviceSyncClient": "true" if sync else None})))
        assert b"errCode" not in resp, resp

    def close(self) -> None:
        self.sock.close()


# -- the emulator and the data that must survive ------------------------------------------------

@dataclass(frozen=True)
class Protected:
    """Records created before the fuzzing, and how the OMM showed them then."""

    uids: frozenset[int]
    ppns: frozenset[int]
    texts: frozenset[str]  # numbers and IPEIs that address them too
    snapshot: tuple[bytes, ...]


def _ipei(emc: int, psn: int) -> str:
    """EN 300 175-6 Annex C: check digit = sum(digit x position) mod 11, 10 -> '*'."""
    digits = f"{emc:05d}{psn:07d}"
    check = sum(int(d) * i for i, d in enumerate(digits, start=1)) % 11
    return f"{emc:05d} {psn:07d} {'*' if check == 10 else check}"


def _encrypt(key_resp: bytes, text: str) -> str:
    """RSA PKCS#1 v1.5 + Base64 with the OMM's public key (axi.md §2.4)."""
    key = parse(key_resp).attrs
    public = rsa.RSAPublicNumbers(int(key["exponent"], 16), int(key["modulus"], 16))
    return base64.b64encode(public.public_key().encrypt(text.encode(),
                                                        padding.PKCS1v15())).decode()


def _snapshot(w: Wire, uids: frozenset[int], ppns: frozenset[int]) -> tuple[bytes, ...]:
    return (tuple(w.request(f'<GetPPUser seq="1" uid="{u}"/>'.encode()) for u in sorted(uids))
            + tuple(w.request(f'<GetPPDev seq="1" ppn="{p}"/>'.encode()) for p in sorted(ppns)))


@pytest.fixture(scope="module")
def fuzz_omm() -> Iterator[OmmHandle]:
    """An emulator of its own: the fuzzing must not meet other tests' resets."""
    emu = ThreadedEmulator().start()
    try:
        yield emu.omm
    finally:
        emu.stop()


@pytest.fixture(scope="module")
def protected(fuzz_omm: OmmHandle) -> Protected:
    w = Wire(fuzz_omm.host, fuzz_omm.port)
    try:
        w.login(fuzz_omm.username, fuzz_omm.password, sync=True)
        key = w.request(b'<GetPublicKey seq="1"/>')
        nums = ("5001", "5002", "5003")
        for num in nums:
            user = element("user", {"name": f"Keep {num}", "num": num, "addId": num,
                                    "pin": _encrypt(key, "2580"), "sipPw": _encrypt(key, num)})
            assert b"errCode" not in w.request(render(element("CreatePPUser", {"seq": 1},
                                                              [user])))
        ipeis = (_ipei(3074, 555001), _ipei(3074, 555002))
        for ipei in ipeis:
            assert b"errCode" not in w.request(render(element(
                "CreatePPDev", {"seq": 1}, [element("pp", {"ipei": ipei, "ac": "1234"})])))
        assert b"errCode" not in w.request(
            b'<SetPP seq="1"><pp ppn="1" uid="1" relType="Fixed"/>'
            b'<user uid="1" ppn="1" relType="Fixed"/></SetPP>')
    finally:
        w.close()
    uids, ppns = frozenset({1, 2, 3}), frozenset({1, 2})
    # As the observer sees them: a sync session gets the secrets in the MOM's form instead.
    w = Wire(fuzz_omm.host, fuzz_omm.port)
    try:
        w.login(fuzz_omm.username, fuzz_omm.password)
        snapshot = _snapshot(w, uids, ppns)
        assert all(b"errCode" not in r for r in snapshot)
    finally:
        w.close()
    texts = frozenset({*nums, *ipeis, *(i.replace(" ", "") for i in ipeis)})
    return Protected(uids, ppns, texts, snapshot)


@pytest.fixture(scope="module")
def observer(fuzz_omm: OmmHandle) -> Iterator[Wire]:
    """A logged-in link kept open through the fuzzing, to read the protected records."""
    w = Wire(fuzz_omm.host, fuzz_omm.port)
    w.login(fuzz_omm.username, fuzz_omm.password)
    yield w
    w.close()


def assert_healthy(omm: OmmHandle, protected: Protected, observer: Wire) -> None:
    """The OMM answers a Ping on a fresh connection and the protected data is unchanged."""
    w = Wire(omm.host, omm.port)
    try:
        w.login(*MONITOR)
        resp = w.request(b'<Ping seq="1"/>')
        assert resp == b'<PingResp seq="1"/>', resp
    finally:
        w.close()
    assert _snapshot(observer, protected.uids, protected.ppns) == protected.snapshot


def fuzz_link(omm: OmmHandle, login: str, chunks: list[bytes]) -> list[bytes]:
    """Log in as `login`, send the chunks, sync, return what the server answered."""
    w = Wire(omm.host, omm.port)
    try:
        if login == "monitor":
            w.login(*MONITOR)
        elif login in ("admin", "sync"):
            w.login(omm.username, omm.password, sync=login == "sync")
        for chunk in chunks:
            if not w.send(chunk):
                break
        w.send(SYNC)
        answers = list(w.frames_until(f'seq="{SYNC_SEQ}"'.encode()))
    finally:
        w.close()
    for raw in answers:
        # Whatever came back is a well-formed frame, and no handler crashed on the input.
        msg = parse(raw)
        assert not (msg.attrs.get("errCode") == "EFailed"
                    and msg.attrs.get("info") == "internal error"), raw
    return answers


# -- strategies ---------------------------------------------------------------------------------

#: Valid requests as the reference clients send them; keys stay clear of the protected records.
TEMPLATES: tuple[Message, ...] = tuple(parse(t) for t in (
    b'<Ping seq="1" timeStamp="1718000000"/>',
    b"<GetVersions><version element=\"GetPPDev\"/></GetVersions>",
    b'<Limits seq="2"/>',
    b'<GetPublicKey seq="3"/>',
    b'<Open seq="0" username="nobody" password="pw" protocolVersion="45"/>',
    b'<GetPPUser seq="4" uid="4" maxRecords="20"/>',
    b'<GetPPDev seq="5" ppn="3" maxRecords="20"/>',
    b'<GetPPUserByNumber seq="6" num="9001"/>',
    b'<GetPPDevByIPEI seq="7" ipei="03074 0220259 3"/>',
    b'<GetPP seq="8" uid="4" ppn="0"/>',
    b'<GetPPState seq="9" ppn="3"/>',
    b'<GetRFP seq="10" id="4" maxRecords="20" withState="true" withDetails="true"/>',
    b'<GetSite seq="11" id="4" maxRecords="5"/>',
    b'<GetAccount seq="12" id="4"/>',
    b'<GetEventLogBuffer seq="13" id="0" maxRecords="5"/>',
    b'<Subscribe seq="14"><e cmd="On" eventType="PPDevCnf" ppn="-1"/>'
    b'<e cmd="On" eventType="PPUserCnf" uid="4"/><e cmd="Off" eventType="RFPState"/>'
    b"</Subscribe>",
    b'<CreatePPUser seq="15"><user uid="0" ppn="0" name="Fuzz" num="9001" addId="9001"'
    b' hierarchy1="h1" forwardState="Busy" vip="1" sipAuthId="9001"/></CreatePPUser>',
    b'<SetPPUser seq="16"><user uid="4" name="Fuzzed" hierarchy2="h2"/></SetPPUser>',
    b'<DeletePPUser seq="17" uid="4"/>',
    b'<CreatePPDev seq="18"><pp ipei="03074 0220259 3" ac="1234" encrypt="1"/></CreatePPDev>',
    b'<SetPPDev seq="19"><pp ppn="3" ac="5678" subscribeToPARIOnly="true"/></SetPPDev>',
    b'<DeletePPDev seq="20" ppn="3"/>',
    b'<SetPP seq="21"><pp ppn="3" uid="4" relType="Dynamic"/>'
    b'<user uid="4" ppn="3" relType="Dynamic"/></SetPP>',
    b'<SetPP seq="22"><pp ppn="3" relType="Unbound" uid="0"/>'
    b'<user uid="4" relType="Unbound" ppn="0"/></SetPP>',
    b'<SetPPUserDevRelation seq="23" uid="4" relType="Fixed"/>',
    b'<SetDECTSubscriptionMode seq="24" mode="Wildcard" timeout="None"/>',
    b'<SetDevAutoCreate seq="25" enable="true"/>',
    b'<CreateRFP seq="26"><rfp ethAddr="00:30:42:12:3e:45" name="r" site="1"/></CreateRFP>',
    b'<SetRFP seq="27"><rfp id="4" wlanChannel="36"/></SetRFP>',
    b'<CreateSite seq="28"><site id="4" name="s" srtp="Only"/></CreateSite>',
    b'<GetPPUserSummary seq="29"/>',
    b'<SetSystemName seq="30" name="fuzz"/>',
))

NASTY_VALUES = ("", " ", "0", "-1", "4294967296", "99999999999999999999999", "1e3", "0x10",
                "true", "TRUE", "None", "null", "\u0663", "12\u00a0", "&", "<", '"', "'",
                "\t\n", "\u202e", "\ud7ff", "\U0001f4de", "a" * 300, "%s%n", "../../etc")

#: Placeholder for a deeply nested child, expanded after rendering.
NEST = "NestedDeeply"

ATTR_NAME = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.-]{0,20}\Z")
ELEMENT_NAME = st.from_regex(r"\A[A-Za-z][A-Za-z0-9]{0,30}\Z")
VALUE = st.one_of(st.sampled_from(NASTY_VALUES),
                  st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))


def _elements(msg: Message) -> list[Message]:
    out = [msg]
    for c in msg.children:
        out += _elements(c)
    return out


@st.composite
def mutated_request(draw: st.DrawFn) -> bytes:
    """A valid request with one to three mutations (axi.md §1 framing, §2.3 error paths)."""
    msg = copy.deepcopy(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(_elements(msg)))
        op = draw(st.sampled_from(("drop", "mangle", "long", "add", "child", "rename",
                                   "nest", "text")))
        if op == "drop" and target.attrs:
            del target.attrs[draw(st.sampled_from(sorted(target.attrs)))]
        elif op == "mangle" and target.attrs:
            target.attrs[draw(st.sampled_from(sorted(target.attrs)))] = draw(VALUE)
        elif op == "long":
            name = draw(st.sampled_from(sorted(target.attrs) or ["x"]))
            target.attrs[name] = "9" * draw(st.sampled_from((65, 257, 4097, MAX_FRAME + 1)))
        elif op == "add":
            target.attrs[draw(ATTR_NAME)] = draw(VALUE)
        elif op == "child":
            target.children.append(Message(draw(ELEMENT_NAME), {draw(ATTR_NAME): draw(VALUE)}))
        elif op == "rename":
            target.name = draw(ELEMENT_NAME)
        elif op == "nest":
            target.children.append(Message(NEST))
        elif op == "text":
            target.text = draw(VALUE)
    depth = draw(st.sampled_from((10, 300, 3000)))
    raw = render(msg).replace(f"<{NEST}/>".encode(), b"<x>" * depth + b"</x>" * depth)
    # Byte-level damage: cut, a NUL in the middle, a stray byte, duplicate an attribute.
    damage = draw(st.sampled_from(("none", "none", "cut", "nul", "byte", "dup")))
    if damage != "none" and raw:
        at = draw(st.integers(0, len(raw)))
        if damage == "cut":
            raw = raw[:at]
        elif damage == "nul":
            raw = raw[:at] + b"\0" + raw[at:]
        elif damage == "byte":
            raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at:]
        elif damage == "dup":
            raw = re.sub(rb"(<\w+)( [^ />]+)", rb"\1\2\2", raw, count=1)
    return raw


#: Frames a hostile peer might try (axi.md §1: no DTDs, no declaration, no namespaces).
EVIL = (
    b'<?xml version="1.0"?><Ping seq="1"/>',
    b'\xef\xbb\xbf<Ping seq="1"/>',
    b'<!DOCTYPE a [<!ENTITY b "bb"><!ENTITY c "&b;&b;&b;&b;">]><Ping seq="&c;"/>',
    b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><Ping seq="1">&x;</Ping>',
    b'<Ping seq="1"><![CDATA[<Open/>]]></Ping>',
    b'<a:Ping xmlns:a="urn:x" seq="1"/>',
    b'<Ping seq="1"><!-- c --><?pi x?></Ping>',
    b'<Ping seq="1" uid="&#0;"/>',
    b'<Ping seq="1" uid="&undefined;"/>',
    "<Ping seq='1'/>".encode("utf-16"),
    b'<Ping seq="\xff\xfe"/>',
    b"<Ping seq=1/>",
    b"</Ping>",
    b"<>",
    b"<" * 1000,
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",  # a TLS ClientHello on the plain port
    b"GET / HTTP/1.1\r\nHost: omm\r\n\r\n",
)

FRAME = st.one_of(
    mutated_request().map(lambda raw: raw + b"\0"),
    st.sampled_from(EVIL).map(lambda raw: raw + b"\0"),
    st.binary(max_size=300),
)


@st.composite
def chunked(draw: st.DrawFn, frames: st.SearchStrategy[bytes]) -> list[bytes]:
    """Some frames, joined and cut at random places into the writes that carry them."""
    data = b"".join(draw(st.lists(frames, min_size=1, max_size=4)))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=4)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)
            if data[a:b]]


LOGIN = st.sampled_from(("none", "monitor", "admin", "sync"))


def _values(raw: bytes) -> Iterator[str]:
    """Attribute values and texts of every frame the server could parse."""
    for piece in raw.split(b"\0"):
        try:
            msg = parse(piece)
        except AxiSyntaxError:
            continue
        for el in _elements(msg):
            yield from el.attrs.values()
            if el.text:
                yield el.text


def _addresses_protected(chunks: list[bytes], protected: Protected) -> bool:
    """Could a legitimate write in these bytes change a protected record?"""
    keys = protected.uids | protected.ppns
    for value in _values(b"".join(chunks)):
        if value.strip() in protected.texts:
            return True
        try:
            if parse_int("k", value) in keys:
                return True
        except AxiError:
            pass
    return False


# -- fuzzing over sockets -----------------------------------------------------------------------

@pytest.mark.slow
@FUZZ
@given(login=LOGIN, chunks=chunked(FRAME))
def test_mutated_requests_leave_the_omm_healthy(fuzz_omm: OmmHandle, protected: Protected,
                                               observer: Wire, login: str,
                                               chunks: list[bytes]) -> None:
    if login in ("admin", "sync"):
        # Full access may legitimately change what it addresses; keep it off the records
        # under test. Read-only and anonymous links get everything.
        assume(not _addresses_protected(chunks, protected))
    fuzz_link(fuzz_omm, login, chunks)
    assert_healthy(fuzz_omm, protected, observer)


@pytest.mark.slow
@FUZZ
@given(login=st.sampled_from(("none", "monitor")), data=st.binary(min_size=1, max_size=4096),
       cuts=st.lists(st.integers(0, 4096), max_size=6))
def test_random_bytes_leave_the_omm_healthy(fuzz_omm: OmmHandle, protected: Protected,
                                           observer: Wire, login: str, data: bytes,
                                           cuts: list[int]) -> None:
    edges = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    fuzz_link(fuzz_omm, login, [data[a:b] for a, b in zip(edges, edges[1:], strict=False)])
    assert_healthy(fuzz_omm, protected, observer)


@pytest.mark.slow
@settings(FUZZ, max_examples=15)
@given(data=st.binary(max_size=2048), tls_hello=st.booleans())
def test_garbage_on_the_tls_port_leaves_the_omm_healthy(
        fuzz_omm: OmmHandle, protected: Protected, observer: Wire, data: bytes,
        tls_hello: bool) -> None:
    w = Wire(fuzz_omm.host, fuzz_omm.tls_port)
    try:
        w.send((EVIL[-2] if tls_hello else b"") + data)
        w.sock.shutdown(socket.SHUT_WR)
        while w.frame() is not None:  # until the server gives up on the handshake
            pass
    except (TimeoutError, OSError):
        pass
    finally:
        w.close()
    assert_healthy(fuzz_omm, protected, observer)


@pytest.mark.parametrize("size", [MAX_FRAME - 100, MAX_FRAME + 1, 4 * MAX_FRAME])
def test_huge_frames_leave_the_omm_healthy(fuzz_omm: OmmHandle, protected: Protected,
                                          observer: Wire, size: int) -> None:
    value = b"9" * size
    fuzz_link(fuzz_omm, "monitor", [b'<GetPPUser seq="1" uid="' + value + b'"/>\0'])
    fuzz_link(fuzz_omm, "none", [value])  # no NUL at all
    assert_healthy(fuzz_omm, protected, observer)


# -- fuzzing the sans-I/O session ---------------------------------------------------------------

SESSION_INPUT = st.one_of(
    st.binary(max_size=3000),
    st.lists(st.one_of(mutated_request(), st.sampled_from(EVIL), st.binary(max_size=50)),
             max_size=6).map(lambda frames: b"\0".join(frames) + b"\0"),
)


def _drain(session: AxiServerSession) -> tuple[int, bool]:
    """(requests yielded, terminated) from the session's event queue."""
    requests, terminated = 0, False
    while (event := session.next_event()) is not None:
        if isinstance(event, RequestReceived):
            assert isinstance(event.request, Message)
            assert not terminated, "a request after the session ended"
            requests += 1
        else:
            assert isinstance(event, ConnectionTerminated) and event.reason
            assert not terminated, "terminated twice"
            terminated = True
    return requests, terminated


#: A broken frame whose element name is readable is answered EInval; any other ends the
#: link (sipdect/axi/session.py, "_answer_malformed").
_READABLE_NAME = re.compile(rb"^\s*<[A-Za-z][A-Za-z0-9_]{0,63}[\s/>]")


def _served_before_the_end(data: bytes) -> tuple[int, bool]:
    """How many frames of `data` a session must serve (request or EInval) before it must
    end, and whether it must end: at the first frame over MAX_FRAME or of pure garbage."""
    *complete, tail = data.split(b"\0")
    served = 0
    for raw in complete:
        if len(raw) > MAX_FRAME:
            return served, True
        if not raw.strip():
            continue  # empty frames are skipped (axi.md §1)
        try:
            parse(raw)
        except AxiSyntaxError:
            if not _READABLE_NAME.match(raw):
                return served, True
        served += 1
    return served, len(tail) > MAX_FRAME


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=SESSION_INPUT, cuts=st.lists(st.integers(0, 3000), max_size=8),
       opened=st.booleans(), later=st.floats(0, 1000, allow_nan=False))
def test_session_never_raises_on_any_bytes(data: bytes, cuts: list[int], opened: bool,
                                           later: float) -> None:
    """Each frame yields a request, queues an EInval answer or ends the session, in order,
    however the bytes are cut into reads."""
    session = AxiServerSession(0.0)
    if opened:
        session.opened(1, False)
    edges = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    served = 0
    ended = False
    for a, b in zip(edges, edges[1:], strict=False):
        session.receive_data(data[a:b], 0.0)
        got, end = _drain(session)
        assert not (ended and (got or end)), "activity after the session ended"
        ended |= end
        served += got
        for raw in session.frames_to_send():
            assert raw.endswith(b"\0") and raw.count(b"\0") == 1
            answer = parse(raw[:-1])
            assert answer.name.endswith("Resp") and answer.attrs["errCode"] == "EInval"
            served += 1
    assert (served, ended) == _served_before_the_end(data)
    assert (session.state is LinkState.CLOSED) == ended
    session.handle_timer(later)  # the login and idle timers end a live session in time
    got, end = _drain(session)
    deadline = conventions.IDLE_TIMEOUT_S if opened else conventions.LOGIN_TIMEOUT_S
    assert got == 0 and end == (not ended and later >= deadline)


def test_session_ignores_input_after_it_ended() -> None:
    session = AxiServerSession(0.0)
    session.receive_data(b"\x00\x01garbage\0", 0.0)
    assert _drain(session) == (0, True)
    session.receive_data(b'<Ping seq="1"/>\0', 0.0)
    assert _drain(session) == (0, False)
    assert session.frames_to_send() == []



# -- what the fuzzing found (fixed in caf1364; kept as regressions) -----------------------------

class _Transport(asyncio.Transport):
    """Collects what the server writes, so one read can be replayed exactly."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True


async def _one_read(tmp_path: Path, data: bytes) -> list[bytes]:
    """Log in, then hand `data` to the server as the payload of a single socket read."""
    model = OmmModel(tmp_path, OmmSetup(accounts=[InitialAccount("omm", "Fuzz-Omm-2026")]))
    conn, transport = AxiConnection(AxiApi(model), "TCP"), _Transport()
    try:
        conn.connection_made(transport)
        conn.data_received(b'<Open seq="1" username="omm" password="Fuzz-Omm-2026"/>\0')
        await until(lambda: transport.written, "the OpenResp (checked off the loop)")
        assert b"errCode" not in transport.written.pop()
        conn.data_received(data)
        return transport.written
    finally:
        conn.connection_lost(None)
        model.close()


async def test_request_read_together_with_garbage_is_served(tmp_path: Path) -> None:
    # Was answered EPerm "not logged in": the session counted as closed already.
    written = await _one_read(tmp_path, b'<Ping seq="2"/>\0\x16garbage\0')
    assert written[0] == b'<PingResp seq="2"/>\0'


async def test_request_read_together_with_an_endless_frame_is_served(tmp_path: Path) -> None:
    # Was dropped without an answer: FrameTooLong lost the frames decoded before it.
    written = await _one_read(tmp_path, b'<Ping seq="3"/>\0' + b"x" * (MAX_FRAME + 1))
    assert written[:1] == [b'<PingResp seq="3"/>\0']
