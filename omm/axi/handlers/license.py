"""The licence over AXI: GetLicense, EventLicenseCnf and the licence file upload (PutFile)
(axi.md §3.2, §3.4 "Licensing", §4.3, the real GetLicenseResp sample of §6; XSD LicenseType)."""

from __future__ import annotations

import base64
import binascii
import weakref
from typing import TYPE_CHECKING

from omm.axi.dispatch import READ, WRITE, Ctx, resp, route
from omm.licensefile import LICENSE_FILE_NAME, Grant, LicenseFileError
from sipdect.axi.args import opt_bool, opt_int
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError, invalid, missing
from sipdect.axi.session import AxiServerSession

if TYPE_CHECKING:
    from omm.axi.api import AxiApi
    from omm.model import OmmModel


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _data(name: str, grant: Grant, number: int, **flags: bool) -> Message:
    """One LicenseDataType: key and number as the real sample, then its own flags."""
    attrs = {"key": grant.key, "number": str(number)}
    attrs.update({k: _flag(v) for k, v in flags.items()})
    return Message(name, attrs)


def license_payload(model: OmmModel) -> tuple[dict[str, str], list[Message]]:
    """LicenseType as a real OMM writes it: type, state, latency, park as attributes;
    <violation>*, <licenseRfp>*, then the system, messaging, locating and G.729 licences."""
    lic = model.license
    standing = lic.standing
    assert standing is not None, "the model judges its licence when it starts"
    g = lic.grant
    attrs = {"type": g.type, "state": standing.state,
             "latency": str(int(lic.remaining(model.clock()))), "park": standing.park}
    children = [Message("violation", text=v) for v in standing.violations]
    children += [Message("licenseRfp", {"id": str(rfp_id), "ethAddr": mac.upper(),
                                        "connected": _flag(connected)})
                 for rfp_id, mac, connected in standing.validation]
    sys_license = _data("sysLicense", g, g.rfps, systemLicenseSRTP=g.srtp,
                        systemLicenseDECTSec=g.dect_security)
    sys_license.attrs["systemLicenseVersion"] = g.version
    children += [sys_license,
                 _data("msgLicense", g, g.messaging, messagingLicenseRcvMsgs=g.receive_messages),
                 _data("locLicense", g, g.locating, locatingLicense=g.locating > 0),
                 _data("G729License", g, g.g729)]
    return attrs, children


@route("GetLicense", perm=READ)
def get_license(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    attrs, children = license_payload(api.model)
    return resp(req, attrs, children)


def license_event(model: OmmModel) -> Message:
    """EventLicenseCnf: the licence as GetLicense shows it now (subscription SystemCnf)."""
    attrs, children = license_payload(model)
    return Message("EventLicenseCnf", attrs, children)


#: PutFile uploads in progress, by session: the bytes so far (axi.md §3.2: Base64 chunks of at
#: most 500 raw bytes, `offset` the position, `eof="true"` on the last).
_UPLOADS: weakref.WeakKeyDictionary[AxiServerSession, bytearray] = weakref.WeakKeyDictionary()

MAX_FILE = 65536
"""[A] The largest licence file taken (a real one is a few kB)."""


@route("PutFile", perm=WRITE)
def put_file(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """The licence file upload as mitel-api sends it (`<PutFile name=":license" offset data
    [eof]/>`); the file is taken at eof (OmmModel.install_license). No other file is known."""
    name = req.attrs.get("name")
    if name is None:
        raise missing("name")
    if name != LICENSE_FILE_NAME:
        raise invalid("name", name, f"the OMM takes the licence file {LICENSE_FILE_NAME} only")
    offset = opt_int(req, "offset", 0, low=0) or 0
    try:
        chunk = base64.b64decode(req.attrs.get("data", ""), validate=True)
    except (binascii.Error, ValueError):
        raise invalid("data", req.attrs.get("data", ""), "not Base64") from None
    buffer = _UPLOADS.setdefault(ctx.session, bytearray())
    if offset == 0:
        buffer.clear()
    if offset != len(buffer):
        raise invalid("offset", str(offset), f"the upload has {len(buffer)} bytes so far")
    if len(buffer) + len(chunk) > MAX_FILE:
        _UPLOADS.pop(ctx.session, None)
        raise AxiError("ETooLong", f"a licence file has at most {MAX_FILE} bytes", bad="data",
                       max_len=MAX_FILE)
    buffer += chunk
    if opt_bool(req, "eof", False):
        data = bytes(_UPLOADS.pop(ctx.session, b""))
        try:
            api.model.install_license(data.decode("utf-8"))
        except (UnicodeDecodeError, LicenseFileError) as exc:
            raise AxiError("ELicenseFile", str(exc)[:200], bad="name") from None
    return resp(req)
