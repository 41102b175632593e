"""The licence over AXI: GetLicense and EventLicenseCnf (axi.md §3.4 "Licensing", §4.3, the
real GetLicenseResp sample of §6; XSD LicenseType)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omm.axi.dispatch import READ, Ctx, resp, route
from omm.licensefile import Grant
from sipdect.axi.codec import Message

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
