"""Every frame the emulated OMM sends conforms to the vendor AXI schema (axi.md §1.1, §3.1, §5).

The schema (shared/reference/axi/SIP-DECT-OM.xsd) is no valid XSD, so it is read
as a data dictionary; WIRE_CORRECTIONS is the one place where traffic wins over it.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from omm.standby.conventions import StbState
from omm.standby.status import StandbyView
from sipdect.app.emulator import Emulator, OmmHandle, ThreadedEmulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element

XSD_PATH = (Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "axi"
            / "SIP-DECT-OM.xsd")

pytestmark = pytest.mark.skipif(
    not XSD_PATH.is_file(),
    reason=f"AXI schema not found at {XSD_PATH} (the shared/ folder beside the checkout)")

_XS = "{http://www.w3.org/2001/XMLSchema}"

# -- the schema as a data dictionary ----------------------------------------------------------

#: Record types that travel as a child element named after the entity, also where the
#: schema lets a response "extend" the record type or types an event as it (axi.md §3.1).
RECORD_ELEMENTS = {"PPUserType": "user", "PPDevType": "pp", "RFPType": "rfp",
                   "SiteType": "site", "AccountType": "account"}

#: Every response may carry these (axi.md §2.3), whatever its schema type extends.
RESP_TYPE = "RespType"

#: Where captured traffic or the clients' code wins over the schema. Each row is
#: (where, what, names, source): `where` is a message element or a schema type;
#: `what` is "attrs" (extra attributes), "values" (extra enumeration values of a
#: simpleType), "rename" (the schema's child old:new), "shape" (the whole payload of
#: a message the schema lacks or defines unusably) or "versions" (every message name
#: of the schema, and these, may be an attribute). names are "attr:Type" ("attr" is a
#: string) or "<child>:Type".
WIRE_CORRECTIONS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("GetPPResp", "shape", ("<user>:PPUserType", "<pp>:PPDevType"), "axi.md §3.3 (OMM >= 7.1)"),
    ("SetPPResp", "shape", ("<user>:PPUserType", "<pp>:PPDevType"), "axi.md §3.3, §6"),
    ("GetPPDevByIPEIResp", "shape", ("<pp>:PPDevType",), "axi.md §3.3 (mitel-api, mgr)"),
    ("GetPPUserByNumberResp", "shape", ("<user>:PPUserType",), "axi.md §3.3 (mitel-api)"),
    ("EventPPCnf", "shape", ("deletedUser:boolean", "deletedDev:boolean",
                             "<user>:PPUserType", "<pp>:PPDevType"),
     "axi.md §4.1, §4.2: OMM >= 8 sync sessions; real <EventPPCnf deletedUser=...>"),
    ("PPUserType", "attrs",
     ("uidSec:integer", "permanent:boolean", "ppnOld:integer", "timeStampAdmin:integer",
      "timeStampRelation:integer", "hotDeskingSupport:boolean", "autoLogoutOnCharge:boolean",
      "useSIPUserName", "useSIPUserAuthentication", "serviceUserName", "serviceAuthName",
      "serviceAuthPassword"),
     "axi.md §5.1, column O: real CreatePPUserResp/SetPPResp captures"),
    ("PPDevType", "attrs",
     ("ppnSec:integer", "timeStampAdmin:integer", "timeStampRelation:integer",
      "timeStampRoaming:integer", "timeStampSubscription:integer", "autoCreate:boolean",
      "ommId", "ommIdAck", "roaming", "modicType", "locationData", "dectIeFixedId",
      "subscriptionId"),
     "axi.md §5.2, column O: real SetPPResp capture"),
    ("HWTypeType", "values", ("612dv2", "622dv2"),
     "axi.md §5.2: newer handsets; mitel-api treats hwType as a free string"),
    ("RFPHwTypeType", "values",
     ("unknown", "RFP 43", "RFP 44", "RFP 45", "RFP 47", "RFP 48", "RFP L33", "PC"),
     "axi.md §5.3: the RFP types mitel-api accepts; 'unknown' is what it expects"),
    ("RFPType", "attrs", ("encryptionActive:boolean",), "axi.md §5.3: mitel-api reads it"),
    ("GetVersionsResp", "versions", ("GetPP", "SetPP", "GetPPDevByIPEI", "GetPPUserByNumber",
                                     "RequestRFPEnrollment", "DECTLocateReject",
                                     "DECTSubscribeReject", "PPSIPRegister", "PPSIPDeregister"),
     "axi.md §3.1, §3.3, §7: a real GetVersionsResp names 431 messages, 59 of them outside "
     "the schema's list (the MOM's among them, axi.md table 'MOM-specific message names'); "
     "every message name of the schema plus these"),
    ("GetPPDevSummaryResp", "attrs", ("subscribedDevs:integer",),
     "axi.md §5.6 and §6: real OMM and mitel-api say subscribedDevs"),
    ("EventPPDevSummary", "attrs", ("subscribedDevs:integer",),
     "axi.md §5.6: as GetPPDevSummaryResp (mitel-api's EventPPDevSummary reads it)"),
    ("OpenResp", "attrs",
     ("axiVersion", "cloudId", "sari", "minPPSwVersion3", "minPPSwVersion4"),
     "axi.md §2.2: real capture (axiVersion) and spec 9.1 fields"),
    ("GetAccountResp", "attrs",
     ("id:integer", "username", "active:boolean", "aging:AccountAgingType",
      "expire:integer", "state:AccountStateTypeType"),
     "axi.md §3.2: python-mitel reads the account from the root of GetAccountResp"),
    ("LimitsResp", "attrs",
     ("omm:integer", "ssidWlan:integer", "bluetoothBeacons:integer",
      "bluetoothNeighbours:integer", "bluetoothRssiValues:integer"),
     "axi.md §6: real LimitsResp sample"),
    ("PPUserSummaryType", "attrs", ("nBtLocatable:integer",),
     "axi.md §5.6: real GetPPUserSummaryResp"),
    ("EventPPDevType", "rename", ("user:pp",),
     "axi.md §4.3: EventPPDevCnf carries <pp> (the schema says user)"),
    ("EventPPUserCnf", "attrs", ("deleted:boolean",), "axi.md §4.2: deletion carries deleted"),
    ("EventRFPCnf", "attrs", ("deleted:boolean",), "axi.md §4.2, §4.3: deleted?, <rfp>"),
    ("EventAccountCnf", "attrs", ("deleted:boolean",), "axi.md §4.2: deletion carries deleted"),
    ("GetDECTSubscriptionModeResp", "shape", ("mode:DECTSubscriptionModeType",),
     "axi.md §3.4: the schema's type is undefined; payload mode"),
    ("SetDECTSubscriptionModeResp", "shape",
     ("mode:DECTSubscriptionModeType", "timeout:integer"),
     "axi.md §3.2, §3.4: mode, timeout (all optional); the schema's type is undefined"),
    ("EventDECTSubscriptionMode", "shape", ("mode:DECTSubscriptionModeType",),
     "axi.md §4.2: real <EventDECTSubscriptionMode mode=.../>"),
    ("CreateRFPResp", "shape", ("<rfp>:RFPType",),
     "axi.md §3.4: <rfp> like Get/SetRFPResp; the schema's type is undefined"),
    ("LicenseRFPType", "record", ("id:integer", "ethAddr", "connected:boolean"),
     "axi.md §6: real <licenseRfp id=... ethAddr=... connected=.../>; the schema lists the "
     "three names as enumeration values"),
    ("ResetRFPMediaStreamQualityResp", "shape", (),
     "axi.md §3.4: the request is in the schema, its answer not; common attributes only"),
    ("SysRecHeadType", "record", ("elemId:integer", "counterName", "firstRecord:integer",
                                  "currMeasuredTime:integer", "oldMeasuredTime:integer"),
     "the schema defines SysRecHeaderType twice, the header's attributes first, then a "
     "record's (rec, cnt); a reader keeping one loses the other"),
    ("GetSysStatisticMinMaxRecordResp", "shape",
     ("<sysRecHeader>:SysRecHeadType", "<sysRec>:SysRecHeaderType"),
     "the header, then the records (the second SysRecHeaderType: rec, cnt)"),
)


@dataclass
class Shape:
    """What one element may carry: attributes (name -> simple type) and children (-> type)."""

    attrs: dict[str, str] = field(default_factory=dict)
    children: dict[str, str] = field(default_factory=dict)

    def merge(self, other: Shape) -> None:
        self.attrs.update(other.attrs)
        self.children.update(other.children)

    def copy(self) -> Shape:
        return Shape(dict(self.attrs), dict(self.children))


def _type_name(text: str | None) -> str:
    """'tns:PPUserType', ' tns:X', ':RespType', 'string' -> the bare type name."""
    return (text or "").strip().rsplit(":", 1)[-1].strip()


class Schema:
    """Elements, complex types and enumerations of the vendor XSD, tolerant of its defects."""

    def __init__(self, path: Path) -> None:
        root = etree.parse(str(path)).getroot()
        self.complex: dict[str, Any] = {}
        self.enums: dict[str, tuple[str, ...]] = {}
        self.simple_base: dict[str, str] = {}
        self.elements: dict[str, str] = {}
        for node in root:
            if not isinstance(node.tag, str):
                continue
            name = (node.get("name") or "").strip()
            if node.tag == _XS + "complexType":
                values = tuple(e.get("value") for e in node.findall(_XS + "enumeration"))
                if values:  # an enumeration written as a complexType (LicenseStateType)
                    self.enums[name] = values
                else:
                    self.complex[name] = node
            elif node.tag == _XS + "simpleType":
                values = tuple(e.get("value") for e in node.iter(_XS + "enumeration"))
                if values:
                    self.enums[name] = values
                restriction = node.find(_XS + "restriction")
                if restriction is not None:
                    self.simple_base[name] = _type_name(restriction.get("base"))
            elif node.tag == _XS + "element":
                self.elements.setdefault(name, _type_name(node.get("type")))
        self._shapes: dict[str, Shape] = {}
        self._corrections()

    def _corrections(self) -> None:
        """Apply WIRE_CORRECTIONS once, to the shapes and enumerations they name."""
        self.extra: dict[str, Shape] = {}
        self.renames: dict[str, dict[str, str]] = {}
        self.defined: dict[str, Shape] = {}
        for where, what, names, _source in WIRE_CORRECTIONS:
            if what == "values":
                self.enums[where] = self.enums.get(where, ()) + names
            elif what == "record":  # an "enumeration" whose values are attribute names
                self.enums.pop(where, None)
                self.complex[where] = etree.Element(_XS + "complexType", name=where)
                self.extra.setdefault(where, Shape()).merge(_shape_of(names))
            elif what == "rename":
                self.renames[where] = dict(n.partition(":")[::2] for n in names)
            elif what == "shape":
                self.defined[where] = _shape_of(names)
            elif what == "versions":
                self.extra[where] = _shape_of((*self.elements, *names))
            else:
                self.extra.setdefault(where, Shape()).merge(_shape_of(names))

    def is_complex(self, type_name: str) -> bool:
        return type_name in self.complex

    def shape(self, type_name: str) -> Shape:
        """The attributes and children of a complex type (a copy)."""
        if type_name not in self._shapes:
            shape = Shape()
            self._shapes[type_name] = shape  # a cycle sees the partial shape
            node = self.complex.get(type_name)
            if node is not None:
                self._collect(node, shape, in_sequence=False)
            for old, new in self.renames.get(type_name, {}).items():
                if old in shape.children:
                    shape.children[new] = shape.children.pop(old)
            if type_name in self.extra:
                shape.merge(self.extra[type_name])
        return self._shapes[type_name].copy()

    def _extend(self, base: str, shape: Shape) -> None:
        if base in RECORD_ELEMENTS:
            shape.children[RECORD_ELEMENTS[base]] = base
        elif base in self.complex:
            shape.merge(self.shape(base))

    def _collect(self, node: Any, shape: Shape, in_sequence: bool) -> None:
        for sub in node:
            if not isinstance(sub.tag, str):
                continue
            tag = sub.tag[len(_XS):]
            if tag == "attribute":
                name = (sub.get("name") or "").strip()
                if not name:  # <attribute base=...>: an extension in disguise
                    self._extend(_type_name(sub.get("base")), shape)
                    continue
                type_name = _type_name(sub.get("type"))
                if not type_name:  # an anonymous <simpleType> inside
                    restriction = sub.find(f"{_XS}simpleType/{_XS}restriction")
                    type_name = _type_name(restriction.get("base")) \
                        if restriction is not None else "string"
                # "<attribute>" inside <sequence>, or of a complex type, is a child element
                # on the wire (axi.md §3.1).
                if in_sequence or self.is_complex(type_name):
                    shape.children[name] = type_name
                else:
                    shape.attrs[name] = type_name
            elif tag == "element":
                shape.children[(sub.get("name") or "").strip()] = _type_name(sub.get("type"))
            elif tag == "extension":
                self._extend(_type_name(sub.get("base")), shape)
                self._collect(sub, shape, in_sequence=False)
            elif tag == "sequence":
                self._collect(sub, shape, in_sequence=True)
            elif tag in ("complexContent", "simpleContent", "all", "choice"):
                self._collect(sub, shape, in_sequence)

    def message_shape(self, name: str) -> Shape | None:
        """The shape of a response or event, or None if the schema cannot say."""
        if name in self.defined:
            shape = self.defined[name].copy()
        elif name in self.elements:
            type_name = self.elements[name]
            if type_name in RECORD_ELEMENTS:
                shape = Shape(children={RECORD_ELEMENTS[type_name]: type_name})
            elif type_name in self.complex:
                shape = self.shape(type_name)
            else:
                return None
        else:
            return None
        if name.endswith("Resp"):
            shape.merge(self.shape(RESP_TYPE))
        if name in self.extra:
            shape.merge(self.extra[name])
        return shape


def _shape_of(names: Iterable[str]) -> Shape:
    """The Shape a WIRE_CORRECTIONS row describes."""
    shape = Shape()
    for spec in names:
        name, _, type_name = spec.partition(":")
        if name.startswith("<"):
            shape.children[name.strip("<>")] = type_name
        else:
            shape.attrs[name] = type_name or "string"
    return shape


@cache
def schema() -> Schema:
    return Schema(XSD_PATH)


# -- checking one frame -----------------------------------------------------------------------

_INTEGER_TYPES = frozenset({"integer", "long integer", "unsigned integer", "short integer"})
_BOOLEANS = frozenset({"0", "1", "true", "false"})
#: Booleans written 1/0 (PP records, PP state) and true/false (RFP records, OMM >= 8.0
#: settings), axi.md §1.1; elsewhere either form passes.
_ONE_ZERO_ELEMENTS = frozenset({"user", "pp", "GetPPStateResp", "EventPPState"})
_TRUE_FALSE_ELEMENTS = frozenset({"rfp", "GetDevAutoCreateResp", "SetDevAutoCreateResp",
                                  "GetRFPCaptureResp", "SetRFPCaptureResp", "forward",
                                  "EventDevAutoCreateCnf", "EventRFPCaptureCnf"})


def frame_violations(raw: bytes, invented: frozenset[str] = frozenset()) -> list[str]:
    """Everything wrong with one frame the OMM sent (without its NUL).

    `invented` names requests outside the schema that a test sent on purpose: their
    answer (an error) can only be checked for the common response attributes.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return ["starts with a byte order mark"]
    if raw.lstrip().startswith(b"<?xml"):
        return ["carries an XML declaration (axi.md §1)"]
    try:
        root = etree.fromstring(raw)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    problems: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            problems.append("carries a comment or processing instruction")
            continue
        if el is not root and el.tail is not None:
            problems.append(f"text {el.tail!r} after <{el.tag}> (axi.md §1.1: no whitespace)")
        if len(el) and el.text is not None:
            problems.append(f"text {el.text!r} between children of <{el.tag}>")
    if problems:
        return problems
    sch = schema()
    shape = sch.message_shape(root.tag)
    if shape is None and root.tag.endswith("Resp") and root.tag[:-4] in invented:
        shape = sch.shape(RESP_TYPE)
    if shape is None:
        return [f"<{root.tag}> is no response or event of the schema"]
    if not (root.tag.endswith("Resp") or root.tag.startswith("Event")):
        return [f"<{root.tag}> is neither a response nor an event"]
    _check_element(root, shape, root.tag, problems)
    return problems


def _check_element(el: Any, shape: Shape, path: str, problems: list[str]) -> None:
    sch = schema()
    if el.text is not None:
        problems.append(f"{path}: text {el.text!r} in an element of attributes and children")
    for name, value in el.attrib.items():
        type_name = shape.attrs.get(name)
        if type_name is None:
            problems.append(f"{path}: attribute {name}={value!r} is not in the schema")
            continue
        problem = _value_problem(el.tag, type_name, value)
        if problem:
            problems.append(f"{path}/@{name}={value!r}: {problem}")
    for child in el:
        type_name = shape.children.get(child.tag)
        where = f"{path}/{child.tag}"
        if type_name is None:
            problems.append(f"{path}: child <{child.tag}> is not in the schema")
        elif sch.is_complex(type_name):
            _check_element(child, sch.shape(type_name), where, problems)
        else:  # a simple-typed child element: text content only
            if len(child) or child.attrib:
                problems.append(f"{where}: a {type_name} element has attributes or children")
            problem = _value_problem(child.tag, type_name, child.text or "")
            if problem:
                problems.append(f"{where}={child.text!r}: {problem}")


def _value_problem(owner: str, type_name: str, value: str) -> str | None:
    sch = schema()
    base = sch.simple_base.get(type_name, type_name)
    if type_name in sch.enums:
        if value not in sch.enums[type_name]:
            return f"not one of {type_name}"
    elif base in _INTEGER_TYPES:
        if not re.fullmatch(r"-?\d+", value):
            return f"not an integer ({type_name}); axi.md §1.1: no empty integers"
    elif base == "boolean":
        if owner in _ONE_ZERO_ELEMENTS and value not in ("0", "1"):
            return "boolean must be 0/1 here (axi.md §1.1)"
        if owner in _TRUE_FALSE_ELEMENTS and value not in ("true", "false"):
            return "boolean must be true/false here (axi.md §1.1)"
        if value not in _BOOLEANS:
            return "not a boolean"
    return None


# -- a client that keeps every frame it receives ----------------------------------------------

class _TeeReader:
    def __init__(self, reader: asyncio.StreamReader, sink: bytearray) -> None:
        self._reader = reader
        self._sink = sink

    async def read(self, n: int = -1) -> bytes:
        data = await self._reader.read(n)
        self._sink += data
        return data


class RecordingClient(AxiClient):
    """An AxiClient that also keeps the raw bytes the server sent."""

    def __init__(self) -> None:
        super().__init__()
        self.received = bytearray()
        self.label = "?"

    async def _receive(self) -> None:
        assert self._reader is not None
        self._reader = _TeeReader(self._reader, self.received)  # type: ignore[assignment]
        await super()._receive()

    def frames(self) -> list[bytes]:
        *complete, rest = bytes(self.received).split(b"\0")
        assert rest == b"", f"{self.label}: {len(rest)} bytes without a NUL terminator"
        return complete


async def connect(omm: OmmHandle, label: str, *, tls: bool = False) -> RecordingClient:
    client = await RecordingClient.connect(omm.host, omm.tls_port if tls else omm.port,
                                           tls=tls)
    assert isinstance(client, RecordingClient)
    client.label = label
    return client


def _ipei(emc: int, psn: int) -> str:
    """EN 300 175-6 Annex C: check digit = sum(digit x position) mod 11, 10 -> '*'."""
    digits = f"{emc:05d}{psn:07d}"
    check = sum(int(d) * i for i, d in enumerate(digits, start=1)) % 11
    return f"{emc:05d} {psn:07d} {'*' if check == 10 else check}"


def _encrypt(resp: Message, text: str) -> str:
    """RSA PKCS#1 v1.5 + Base64 with the OMM's public key, as the clients do (axi.md §2.4)."""
    key = rsa.RSAPublicNumbers(int(resp.attrs["exponent"], 16),
                               int(resp.attrs["modulus"], 16)).public_key()
    return base64.b64encode(key.encrypt(text.encode(), padding.PKCS1v15())).decode()


def check_public_key(key: Message | None) -> None:
    """axi.md §2.2, §2.4: python-mitel and mitel-api need it; even hex digits, no 00 lead."""
    assert key is not None, "a successful OpenResp carries <publicKey>"
    for name in ("modulus", "exponent"):
        value = key.attrs[name]
        assert re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", value), (name, value)
    assert not key.attrs["modulus"].startswith("00")


# -- tests of the dictionary and the checker themselves ---------------------------------------

def test_dictionary_reads_the_schema() -> None:
    sch = schema()
    assert len(sch.enums["ResponseCodeType"]) == 27
    user = sch.shape("PPUserType")
    assert {"uid", "relType", "sipPw", "uidSec", "ppnOld"} <= set(user.attrs)
    assert sch.message_shape("GetPPUserResp") == Shape(
        {"seq": "integer", "errCode": "ResponseCodeType", "info": "string", "bad": "string",
         "maxLen": "integer"}, {"user": "PPUserType"})
    # A response "extending" a record type carries it as a child (axi.md §3.1).
    assert sch.message_shape("CreatePPUserResp").children == {"user": "PPUserType"}
    opened = sch.message_shape("OpenResp")
    assert opened is not None
    assert opened.children["publicKey"] == "PublicKeyType"
    assert opened.children["accountState"] == "AccountStateType"
    assert opened.attrs["ommStbState"] == "OmmStbStateType"
    assert sch.shape("AccountType").children == {"permission": "PermissionType"}
    assert "nSipRegistration" in sch.shape("PPUserSummaryType").attrs
    assert sch.message_shape("EventPPDevCnf").children == {"pp": "PPDevType"}
    assert sch.message_shape("NoSuchResp") is None


@pytest.mark.parametrize("raw, expected", [
    (b'<PingResp seq="1"/>', None),
    (b'<?xml version="1.0"?><PingResp/>', "XML declaration"),
    (b'<GetPPUserResp><user uid="1"/> <user uid="2"/></GetPPUserResp>', "no whitespace"),
    (b'<PingResp flavour="x"/>', "flavour"),
    (b'<PingResp errCode="EOops"/>', "ResponseCodeType"),
    (b'<GetPPUserResp><user uid="1" encrypt="1"/></GetPPUserResp>', "encrypt"),
    (b'<GetPPUserResp><user uid="1" vip="true"/></GetPPUserResp>', "0/1"),
    (b'<GetRFPResp><rfp id="0" dectOn="1"/></GetRFPResp>', "true/false"),
    (b'<GetPPUserResp><user uid=""/></GetPPUserResp>', "integer"),
    (b'<GetPPUserResp><pp ppn="1"/></GetPPUserResp>', "child <pp>"),
    (b'<GetFooResp/>', "no response or event"),
    (b'<PingResp>pong</PingResp>', "text 'pong'"),
    (b'<Ping/>', "neither"),
    (b'<GetAccountResp><account id="1"><permission>Root</permission></account>'
     b'</GetAccountResp>', "PermissionType"),
])
def test_checker_flags_violations(raw: bytes, expected: str | None) -> None:
    problems = frame_violations(raw)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


# -- a realistic session ----------------------------------------------------------------------

#: A request no schema or client knows, sent to see the error answer.
INVENTED_REQUEST = "FrobnicatePP"


class Traffic:
    """Drives a session like the reference clients do and keeps every frame received."""

    def __init__(self, omm: OmmHandle) -> None:
        self.omm = omm
        self.clients: list[RecordingClient] = []

    async def client(self, label: str, *, tls: bool = False, login: bool = True,
                     sync: bool = False, username: str | None = None,
                     password: str | None = None) -> RecordingClient:
        c = await connect(self.omm, label, tls=tls)
        self.clients.append(c)
        if login:
            opened = await self.ok(c, "Open", {
                "username": username or self.omm.username,
                "password": password or self.omm.password,
                **({"UserDeviceSyncClient": "true"} if sync else {})})
            check_public_key(opened.child("publicKey"))
        return c

    async def ok(self, c: AxiClient, name: str, attrs: dict[str, Any] | None = None,
                 children: list[Message] | None = None) -> Message:
        resp = await c.request(name, attrs, children, check=False)
        assert "errCode" not in resp.attrs, f"{name} {attrs}: {resp}"
        return resp

    async def fails(self, c: AxiClient, name: str, attrs: dict[str, Any] | None = None,
                    children: list[Message] | None = None, code: str | None = None) -> Message:
        resp = await c.request(name, attrs, children, check=False)
        assert "errCode" in resp.attrs, f"{name} {attrs} should fail: {resp}"
        if code is not None:
            assert resp.attrs["errCode"] == code, resp
        return resp

    async def page_all(self, c: AxiClient, name: str, key: str, first: int,
                       extra: dict[str, Any] | None = None) -> list[Message]:
        """Page like mitel-ommclient2 and mitel-api: next key = last + 1 until ENoEnt."""
        records: list[Message] = []
        start = first
        for _ in range(1000):
            resp = await c.request(name, {key: start, "maxRecords": 2, **(extra or {})},
                                   check=False)
            if resp.attrs.get("errCode") == "ENoEnt":
                assert not resp.children, resp
                return records
            assert "errCode" not in resp.attrs, resp
            # axi.md §1.1: paging ends with ENoEnt, never with an empty success.
            assert resp.children, f"{name} {key}={start}: empty success response"
            records += resp.children
            start = int(resp.children[-1].attrs[key]) + 1
        raise AssertionError(f"{name} paging never ended")

    async def run(self) -> None:
        omm = self.omm
        # Before login: pre-login requests, refused requests, failed and retried Open.
        early = await self.client("early", login=False)
        await early.request("Ping", seq=False, check=False)
        await self.ok(early, "GetVersions")
        await self.fails(early, "GetPPUser", {"uid": 1}, code="EPerm")
        await self.fails(early, "Open", {"username": omm.username, "password": "wrong"},
                         code="EAuth")
        await self.fails(early, "Open", {"username": omm.username, "password": ""},
                         code="EAuth")
        await self.ok(early, "Open", {"username": omm.username, "password": omm.password,
                                      "protocolVersion": "45", "OMPClient": "1"})
        await self.fails(early, "Open", {"username": omm.username, "password": omm.password})

        admin = await self.client("admin")
        watcher = await self.client("watcher", tls=True)
        sync = await self.client("sync", tls=True, sync=True)

        # Subscriptions first, so every later change produces events (axi.md §4.1).
        await self.ok(watcher, "Subscribe", children=[
            element("e", {"cmd": "On", "eventType": t, **f}) for t, f in (
                ("PPUserCnf", {"uid": -1}), ("PPDevCnf", {"ppn": -1}),
                ("RFPCnf", {"rfpId": -1}), ("RFPState", {"rfpId": -1}), ("SiteCnf", {}),
                ("AccountCnf", {}), ("DECTSubscriptionMode", {}), ("PPUserSummary", {}),
                ("PPDevSummary", {}), ("RFPSummary", {}), ("EventLog", {}),
                ("SystemCnf", {}), ("SiteSummary", {}), ("AccountSummary", {}),
                ("SystemState", {}), ("AlarmTriggerCnf", {}))])
        await self.ok(sync, "Subscribe", children=[
            element("e", {"cmd": "On", "eventType": "PPDevCnf", "ppn": -1}),
            element("e", {"cmd": "On", "eventType": "DECTSubscriptionMode"}),
            element("e", {"cmd": "On", "eventType": "PPUserCnf", "uid": -1})])
        # Logging in after the Subscribe also puts an entry into the event log.
        monitor = await self.client("monitor", username="monitor",
                                    password="Sipdect-Read-2026")
        await self.ok(monitor, "Subscribe", children=[
            element("e", {"cmd": "On", "eventType": "PPState", "ppn": -1})])
        await self.fails(watcher, "Subscribe", children=[
            element("e", {"cmd": "On", "eventType": "NoSuchEvent"})], code="EInval")
        await self.fails(watcher, "Subscribe", code="EMissing")
        await self.ok(watcher, "Subscribe", children=[
            element("e", {"cmd": "Off", "eventType": "SiteSummary"})])

        # Session, system information, keys.
        await admin.request("Ping", seq=False)
        await self.ok(admin, "Ping", {"timeStamp": 1718000000})
        await self.ok(admin, "GetVersions")
        await self.ok(admin, "GetVersions", children=[element("version",
                                                              {"element": "GetPPDev"})])
        await self.ok(admin, "Limits")
        key = await self.ok(admin, "GetPublicKey")
        for name in ("GetStbState", "GetSARI", "GetPARK", "GetSystemName", "GetDevAutoCreate",
                     "GetRFPCapture", "GetDECTEncryption", "GetDECTAuthCode",
                     "GetRestrictedSubscriptionDuration", "GetRemoteAccess", "GetSyslogServer",
                     "GetEULAConfirm", "GetDECTPagingAreaSize", "GetPPLoginVariant",
                     "GetDECTSubscriptionMode"):
            await self.ok(admin, name)
        # The standby pair, as its state machine will set it (EventStbStateChange and
        # EventHealthState go to the watcher).
        omm.model.standby.update(StandbyView(StbState.DIFFERENT_VERSIONS, "127.0.0.2",
                                             "this OMM runs 7.1, the peer 8.0"))
        await self.ok(admin, "GetStbState")
        await self.ok(admin, "GetHealthState")
        await self.ok(admin, "SetSystemName", {"name": "conformance"})
        await self.ok(admin, "SetDECTAuthCode", {"ac": "1234"})
        await self.fails(admin, "SetDECTAuthCode", {"ac": "12ab"})
        await self.ok(admin, "SetDECTEncryption", {"enable": "false"})

        # Accounts.
        await self.ok(admin, "GetAccount", {"id": 1})
        accounts = await self.page_all(admin, "GetAccount", "id", 1)
        # After the preset accounts omm, root and user (omm.access.PRESETS).
        monitor_id = next(a.attrs["id"] for a in accounts if a.attrs["username"] == "monitor")
        await self.ok(admin, "GetAccountSummary")
        created = await self.ok(admin, "CreateAccount", children=[
            element("account", {"username": "ops", "password": "Conformance-Pw-2026!",
                                "active": "true"},
                    [Message("permission", text="AllCnfRead"),
                     Message("permission", text="Monitoring")])])
        acc_id = created.children[0].attrs["id"]
        await self.ok(admin, "SetAccount", children=[element("account",
                                                             {"id": acc_id, "aging": "none"})])
        await self.fails(admin, "CreateAccount", children=[
            element("account", {"username": "weak", "password": "a"})])
        await self.ok(monitor, "GetAccount", {"id": monitor_id})
        await self.fails(monitor, "GetAccount", {"id": 1}, code="EPerm")
        await self.ok(admin, "DeleteAccount", {"id": acc_id})

        # Users (mitel-api serialises uid="0" ppn="0" in creates; pin/sipPw are encrypted).
        u1 = (await self.ok(admin, "CreatePPUser", children=[element("user", {
            "uid": 0, "ppn": 0, "name": "Alice", "num": "1001", "hierarchy1": "Sales",
            "addId": "1001", "pin": _encrypt(key, "4711"), "sipAuthId": "1001",
            "sipPw": _encrypt(key, "secret")})])).children[0].attrs["uid"]
        u2 = (await self.ok(admin, "CreatePPUser", children=[
            element("user", {"num": "1002"})])).children[0].attrs["uid"]
        u3 = (await self.ok(admin, "CreatePPUser", children=[element("user", {
            "name": "Carol", "num": "1003", "forwardState": "Busy", "forwardDest": "1001",
            "autoAnswer": "On", "vip": "true", "locatable": "1", "monitoringMode": "Active",
            "BTsensitivity": "high", "conferenceServerType": "Integrated",
            "hotDeskingSupport": "1"})])).children[0].attrs["uid"]
        await self.fails(admin, "CreatePPUser", children=[element("user", {"num": "1001"})])
        await self.fails(admin, "CreatePPUser", children=[
            element("user", {"num": "1004", "hierarchy1": "x" * 40})], code="ETooLong")
        await self.fails(admin, "CreatePPUser", children=[
            element("user", {"num": "1005", "forwardState": "Sometimes"})], code="EInval")
        await self.fails(admin, "CreatePPUser", children=[
            element("user", {"num": "1006", "pin": "not-encrypted"})], code="EInval")
        await self.ok(admin, "GetPPUser", {"uid": u1})
        await self.ok(admin, "GetPPUser", {"uid": u1, "maxRecords": 0})
        await self.fails(admin, "GetPPUser", {"uid": 999}, code="ENoEnt")
        await self.fails(admin, "GetPPUser", {}, code="EMissing")
        await self.fails(admin, "GetPPUser", {"uid": "one"}, code="EInval")
        assert len(await self.page_all(admin, "GetPPUser", "uid", 1)) == 3
        await self.ok(admin, "SetPPUser", children=[element("user", {
            "uid": u2, "ppn": 0, "name": "Bob", "sipPw": _encrypt(key, "pw2")})])
        await self.fails(admin, "SetPPUser", children=[element("user", {"uid": 999,
                                                                        "name": "x"})])
        await self.ok(admin, "GetPPUserByNumber", {"num": "1003"})
        await self.fails(admin, "GetPPUserByNumber", {"num": "9999"}, code="ENoEnt")
        await self.ok(admin, "GetPPUserSummary")
        await self.fails(monitor, "CreatePPUser", children=[element("user", {"num": "7"})],
                         code="EPerm")

        # Devices.
        p1 = (await self.ok(admin, "CreatePPDev", children=[element("pp", {
            "ipei": _ipei(3074, 220259), "ac": "1234", "encrypt": "1"})])).children[0]
        p2 = (await self.ok(admin, "CreatePPDev", children=[element("pp", {
            "ipei": _ipei(3074, 220260), "subscribeToPARIOnly": "true"})])).children[0]
        ppn1, ppn2 = p1.attrs["ppn"], p2.attrs["ppn"]
        await self.fails(admin, "CreatePPDev", children=[element("pp", {
            "ipei": "03074 0220259 7"})], code="EInval")
        await self.fails(admin, "CreatePPDev", children=[element("pp", {
            "ipei": _ipei(3074, 220259)})])
        await self.ok(admin, "GetPPDev", {"ppn": ppn1})
        await self.ok(admin, "GetPPDev", {"ppn": 0, "maxRecords": 20})
        assert len(await self.page_all(admin, "GetPPDev", "ppn", 1)) == 2
        await self.ok(admin, "SetPPDev", children=[element("pp", {"ppn": ppn2, "ac": "99"})])
        await self.ok(admin, "GetPPDevByIPEI", {"ipei": _ipei(3074, 220260)})
        await self.fails(admin, "GetPPDevByIPEI", {"ipei": _ipei(1, 1)}, code="ENoEnt")
        await self.ok(admin, "GetPPDevSummary")
        await self.ok(admin, "GetPPState", {"ppn": ppn1})
        await self.fails(admin, "GetPPState", {"ppn": 999}, code="ENoEnt")

        # Relations: SetPP needs a UserDeviceSyncClient session (axi.md §3.2).
        attach = [element("pp", {"ppn": ppn1, "uid": u1, "relType": "Dynamic"}),
                  element("user", {"uid": u1, "ppn": ppn1, "relType": "Dynamic"})]
        await self.fails(admin, "SetPP", children=attach, code="EPerm")
        await self.ok(sync, "SetPP", children=attach)
        await self.ok(sync, "GetPP", {"uid": u1, "ppn": 0})
        await self.ok(sync, "GetPP", {"uid": 0, "ppn": ppn1})
        await self.ok(admin, "SetPPUserDevRelation", {"uid": u1, "relType": "Fixed"})
        await self.ok(admin, "SetPPUserDevRelation", {"uid": u1, "relType": "Dynamic"})
        await self.fails(admin, "SetPPUserDevRelation", {"uid": u1, "relType": "Loose"},
                         code="EInval")
        await self.ok(sync, "SetPP", children=[
            element("pp", {"ppn": ppn1, "relType": "Unbound", "uid": 0}),
            element("user", {"uid": u1, "relType": "Unbound", "ppn": 0})])
        await self.ok(sync, "SetPP", children=[element("pp", {"ppn": ppn1,
                                                              "encrypt": "true"})])
        await self.ok(sync, "SetPP", children=[
            element("pp", {"ppn": ppn2, "uid": u3, "relType": "Fixed"}),
            element("user", {"uid": u3, "ppn": ppn2, "relType": "Fixed"})])

        # DECT subscription window and auto-create (axi.md §3.2).
        await self.ok(admin, "SetDECTSubscriptionMode", {"mode": "Wildcard", "timeout": 5})
        await self.ok(admin, "GetDECTSubscriptionMode")
        await admin.request("SetDECTSubscriptionMode", {"mode": "Configured",
                                                        "timeout": "None"}, seq=False)
        await self.fails(admin, "SetDECTSubscriptionMode", {"mode": "Sometimes"})
        await self.ok(admin, "SetDECTSubscriptionMode", {"mode": "Off"})
        await self.ok(admin, "SetDevAutoCreate", {"enable": "true"})
        await self.ok(admin, "GetDevAutoCreate")
        await self.ok(admin, "SetRFPCapture", {"enable": "1"})
        await self.ok(admin, "GetRFPCapture")

        # Sites and RFPs with state and details (axi.md §5.3, §5.4).
        site = (await self.ok(admin, "CreateSite", children=[element("site", {
            "id": 2, "name": "Annex", "wideband": "1", "srtp": "Preferred"})])).children[0]
        await self.ok(admin, "GetSite", {"id": site.attrs["id"]})
        await self.page_all(admin, "GetSite", "id", 1)
        await self.ok(admin, "SetSite", children=[element("site", {"id": site.attrs["id"],
                                                                  "dectSecurity": "1"})])
        await self.ok(admin, "GetSiteSummary")
        rfp_ids = []
        for i in range(3):
            rfp = await self.ok(admin, "CreateRFP", children=[element("rfp", {
                "ethAddr": f"00:30:42:12:3e:4{i}", "name": f"rfp{i}", "dectOn": "true",
                "site": site.attrs["id"] if i else 1})])
            rfp_ids.append(rfp.children[0].attrs["id"])
        await self.fails(admin, "CreateRFP", children=[element("rfp", {
            "ethAddr": "00:30:42:12:3e:40"})])
        await self.fails(admin, "CreateRFP", children=[element("rfp", {"ethAddr": "nope"})],
                         code="EInval")
        await self.ok(admin, "GetRFP", {"id": rfp_ids[0]})
        await self.ok(admin, "GetRFP", {"id": rfp_ids[0], "withState": "true",
                                        "withDetails": "true"})
        for extra in ({}, {"withState": "true"}, {"withDetails": "1"}):
            await self.page_all(admin, "GetRFP", "id", 0, extra)
        await self.ok(admin, "SetRFP", children=[element("rfp", {
            "id": rfp_ids[1], "name": "renamed", "wlanChannel": "36", "preferredSync": "1"})])
        await self.fails(admin, "SetRFP", children=[element("rfp", {"id": rfp_ids[1],
                                                                    "wlanPower": "7"})])
        await self.ok(admin, "GetRFPSummary")
        # RFP statistics and quality (features.md §2.9), as ommstats and the OMP ask.
        await self.ok(admin, "GetRFPStatisticConfig")
        await self.ok(admin, "GetRFPStatistic", {"id": 0, "maxRecords": 20, "recordSet": 0})
        await self.ok(admin, "GetRFPStatistic", {"id": rfp_ids[0], "recordSet": 2})
        await self.fails(admin, "GetRFPStatistic", {"id": 0, "recordSet": 3}, code="EInval")
        await self.fails(admin, "GetRFPStatistic", {"id": 999}, code="ENoEnt")
        await self.ok(admin, "ResetRFPStatistic", {"id": rfp_ids[0], "elemId": 3})
        await self.ok(admin, "ResetRFPStatistic", {"id": -1})
        await self.fails(monitor, "ResetRFPStatistic", {"id": -1}, code="EPerm")
        for name in ("GetRFPSyncQuality", "GetRFPIpQuality"):
            await self.ok(admin, name, {"id": 0, "maxRecords": 20})
        await self.ok(admin, "GetRFPMediaStreamQuality", {"id": rfp_ids[0]})
        await self.ok(admin, "ResetRFPMediaStreamQuality", {"id": rfp_ids[0]})
        await self.ok(admin, "GetSysStatisticConfig")
        await self.ok(admin, "GetSysStatisticMinMax", {"elemId": 0, "type": "min"})
        await self.ok(admin, "GetSysStatisticMinMaxSummary", {"elemId": 0})
        await self.ok(admin, "GetSysStatisticMinMaxRecord", {"elemId": 0, "maxRecords": 3})
        await self.ok(admin, "GetSysStatisticOccurrence", {"elemId": 1})
        await self.ok(admin, "ResetSysStatistic", {"elemId": 1})
        await self.fails(admin, "GetSysStatisticOccurrence", {"elemId": 0}, code="EInval")
        await self.fails(admin, "ResetSysStatistic", {"elemId": 99}, code="ENoEnt")
        await self.fails(admin, "DeleteSite", {"id": site.attrs["id"]})
        await self.ok(admin, "DeleteRFP", {"id": rfp_ids[2]})
        await self.ok(admin, "DeleteRFP", {"id": rfp_ids[1]})
        await self.ok(admin, "DeleteSite", {"id": site.attrs["id"]})

        # Alarm triggers (standby-eventmgr.md B.3): created, paged, changed, counted, deleted.
        sos = (await self.ok(admin, "CreateAlarmTrigger", children=[element("trigger", {
            "triggerId": "SOS", "fac": "*99", "comment": "SOS key", "num": "110"})])
               ).child("trigger")
        assert sos is not None
        await self.ok(admin, "CreateAlarmTrigger", children=[element("trigger", {
            "triggerId": "LOC-ERR-USERSTATE"})])
        await self.fails(admin, "CreateAlarmTrigger", children=[element("trigger", {
            "triggerId": "sos"})], code="EExist")
        await self.ok(admin, "GetAlarmTrigger", {"id": sos.attrs["id"]})
        await self.page_all(admin, "GetAlarmTrigger", "id", 0)
        await self.ok(admin, "SetAlarmTrigger", children=[element("trigger", {
            "id": sos.attrs["id"], "comment": "SOS key, ward 3"})])
        await self.ok(admin, "GetAlarmTriggerSummary")
        await self.fails(monitor, "SetAlarmTrigger", children=[element("trigger", {
            "id": sos.attrs["id"], "num": "112"})], code="EPerm")
        await self.ok(admin, "DeleteAlarmTrigger", {"id": sos.attrs["id"]})
        await self.fails(admin, "GetAlarmTrigger", {"id": sos.attrs["id"]}, code="ENoEnt")

        # Event log (axi.md §3.4).
        await self.ok(admin, "GetEventLogBuffer", {"id": 0, "maxRecords": 5})
        await self.ok(admin, "GetEventLogBuffer")
        await self.fails(monitor, "DeleteEventLogBuffer", code="EPerm")
        await self.ok(admin, "DeleteEventLogBuffer")

        # Deletions, then deliberate protocol errors.
        await self.ok(admin, "DeletePPUser", {"num": "1002"})
        await self.ok(admin, "DeletePPUser", {"uid": u3})
        await self.fails(admin, "DeletePPUser", {"uid": u3}, code="ENoEnt")
        await self.ok(admin, "DeletePPDev", {"ppn": ppn2})
        await self.fails(admin, "DeletePPDev", {"ppn": ppn2}, code="ENoEnt")
        await self.fails(admin, INVENTED_REQUEST, {"ppn": 1}, code="EInval")
        await self.ok(admin, "GetLicense")
        await self.fails(admin, "CreatePPUser", code="EMissing")
        await admin.send_raw(b'<GetPPUser seq="900" uid="1"\0')
        await admin.send_raw(b'<GetPPUser seq="901" uid="1">text</GetPPUser>\0')
        await admin.send_raw(b'<GetPPUser seq="902" uid="1" uid="2"/>\0')
        await self.ok(admin, "Ping")
        # Events were written before the response that caused them; a last Ping on each
        # session makes sure everything sent has been read.
        for c in self.clients:
            await c.request("Ping")


def _name(raw: bytes) -> str:
    return re.split(rb"[\s/>]", raw[1:], maxsplit=1)[0].decode()


@dataclass
class Recorded:
    """Every frame of one realistic session, by client label."""

    frames: list[tuple[str, bytes]]

    def names(self, label: str) -> set[str]:
        return {_name(raw) for lbl, raw in self.frames if lbl == label}

    def problems(self) -> list[str]:
        """Every violation, with the client that received it and the frame."""
        return [f"{label}: {p}\n        in {raw[:400]!r}" for label, raw in self.frames
                for p in frame_violations(raw, frozenset({INVENTED_REQUEST}))]


async def _record(omm: OmmHandle) -> Recorded:
    traffic = Traffic(omm)
    try:
        await traffic.run()
    finally:
        for c in traffic.clients:
            await c.close()
    return Recorded([(c.label, raw) for c in traffic.clients for raw in c.frames()])


@pytest.fixture(scope="module")
def recorded(sipdect_emulator: ThreadedEmulator) -> Recorded:
    """One session against the shared emulator, recorded once for this module's tests."""
    sipdect_emulator.reset()
    return asyncio.run(_record(sipdect_emulator.omm))


def test_every_frame_of_a_session_conforms(recorded: Recorded) -> None:
    problems = recorded.problems()
    assert not problems, (f"{len(problems)} violations in {len(recorded.frames)} frames:\n"
                          + "\n".join(problems))


def test_the_session_exercised_events(recorded: Recorded) -> None:
    """Events flowed to the subscribers only (axi.md §1.1, §4)."""
    assert {"EventPPUserCnf", "EventPPDevCnf", "EventRFPCnf", "EventSiteCnf",
            "EventAccountCnf", "EventDECTSubscriptionMode", "EventPPUserSummary",
            "EventPPDevSummary", "EventRFPSummary", "EventEventLogBuffer",
            "EventSystemNameCnf", "EventDevAutoCreateCnf",
            "EventAlarmTriggerCnf"} <= recorded.names("watcher")
    assert {"EventPPCnf", "EventPPUserCnf", "EventPPDevCnf"} <= recorded.names("sync")
    assert "EventPPCnf" not in recorded.names("watcher")  # sync sessions only
    for label in ("admin", "early"):
        assert not any(n.startswith("Event") for n in recorded.names(label)), label


async def test_seq_is_echoed_exactly_and_only_when_sent(omm: OmmHandle) -> None:
    """axi.md §1: seq comes back unchanged; a request without seq gets a response without."""
    login = f'username="{omm.username}" password="{omm.password}"'.encode()
    exchanges: list[tuple[bytes, str | None]] = [
        (b"<GetVersions/>", None),
        (b'<Ping seq="5"/>', "5"),  # refused before login
        (b'<Open seq="0" ' + login + b"/>", "0"),  # mitel-ommclient2 starts at 0
        (b'<Open seq="1" ' + login + b"/>", "1"),  # refused: already open
        (b"<Ping/>", None),
        (b'<Ping seq="00042"/>', "00042"),
        (b"<Ping seq='7'/>", "7"),
        (b'<Ping seq="123456789012345678" timeStamp="1"/>', "123456789012345678"),
        (b'<GetPPUser uid="999"/>', None),
        (b'<GetPPUser seq="8" uid="999"/>', "8"),
        (b'<GetPPUser seq="9"/>', "9"),
        (INVENTED_REQUEST.encode().join((b"<", b' seq="10"/>')), "10"),
        (INVENTED_REQUEST.encode().join((b"<", b"/>")), None),
        (b'<GetPPUser seq="11" uid="1"', "11"),  # malformed, name still readable
        (b'<GetPPUser uid="1" uid="2"/>', None),
        (b'<Subscribe><e cmd="On" eventType="PPUserCnf"/></Subscribe>', None),
        (b'<CreatePPUser seq="12"><user num="77"/></CreatePPUser>', "12"),
        (b'<DeletePPUser num="77"/>', None),
    ]
    c = await connect(omm, "seq")
    try:
        for raw, seq in exchanges:
            await c.send_raw(raw + b"\0")
            # Responses matching no pending request land on the events queue, in order.
            name = _name(raw) + "Resp"
            resp = await c.next_event()
            while resp.name.startswith("Event"):  # PPUserCnf events of our own changes
                resp = await c.next_event()
            assert resp.name == name, (raw, resp)
            assert resp.attrs.get("seq") == seq, (raw, resp)
        await c.request("Ping")
    finally:
        await c.close()
    problems = Recorded([("seq", raw) for raw in c.frames()]).problems()
    assert not problems, "\n".join(problems)
    events = [raw for raw in c.frames() if raw.startswith(b"<Event")]
    assert events and not any(b" seq=" in raw for raw in events)


FACTORY_NEW = """
[[omm]]
name = "factory"
"""


async def test_factory_new_omm_conforms() -> None:
    """A new installation: default password, accountState in OpenResp (axi.md §2.2)."""
    async with Emulator(FACTORY_NEW) as emu:
        traffic = Traffic(emu.omm)
        try:
            c = await traffic.client("factory", login=False)
            opened = await traffic.ok(c, "Open", {"username": "omm", "password": "omm"})
            assert opened.child("accountState") is not None
            assert opened.child("publicKey") is not None
            await traffic.fails(c, "GetPPUser", {"uid": 1}, code="EPerm")
            await traffic.ok(c, "GetAccount", {"id": 1})
            await traffic.fails(c, "SetAccount", children=[element("account", {
                "id": 1, "password": "short", "oldPassword": "omm"})])
            await traffic.ok(c, "SetAccount", children=[element("account", {
                "id": 1, "password": "Brand-New-Pw-2026!", "oldPassword": "omm"})])
            await traffic.ok(c, "GetPPUserSummary")
            await c.request("Ping")
        finally:
            for client in traffic.clients:
                await client.close()
    problems = Recorded([("factory", raw) for raw in c.frames()]).problems()
    assert not problems, "\n".join(problems)
