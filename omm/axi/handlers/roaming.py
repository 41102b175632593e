"""What a MOM's sync session asks of the OMM for roaming handsets and their SIP registration
(docs/mom.md "Roaming", "Which OMM holds what"): DECTLocateReject, DECTSubscribeReject,
PPSIPRegister, PPSIPDeregister. Their payloads are not public; the contract decides them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omm.axi.dispatch import WRITE, Ctx, resp, route
from omm.dect.roaming import REJECT_REQUESTS
from omm.hub import SipRegisterNow
from omm.ipei import normalise_ipei
from sipdect.axi.args import need_int, need_str
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError

if TYPE_CHECKING:
    from omm.axi.api import AxiApi


def _sync_only(ctx: Ctx, req: Message) -> None:
    if not ctx.session.sync_client:
        raise AxiError("EPerm", f"{req.name} needs a UserDeviceSyncClient session")


@route(*REJECT_REQUESTS, perm=WRITE)
def reject_request(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """The MOM does not know the handset: its held request is refused at once."""
    _sync_only(ctx, req)
    ipei = normalise_ipei(need_str(req, "ipei"))
    reason = req.attrs.get("reason", "")
    if api.dect is None or not api.dect.reject_roaming(REJECT_REQUESTS[req.name], ipei, reason):
        raise AxiError("ENoEnt", f"no request of IPEI {ipei} is held", bad="ipei")
    return resp(req, {"ipei": ipei})


@route("PPSIPRegister", "PPSIPDeregister", perm=WRITE)
def sip_register(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """Register (again) or deregister one user's SIP account now: answered once the SIP user
    agent has the REGISTER under way. PPSIPRegister of a user whose device is confirmed at
    another OMM is refused (sync.registered_here)."""
    _sync_only(ctx, req)
    uid = need_int(req, "uid", low=1)
    m = api.model
    user = m.users.get(uid)
    register = req.name == "PPSIPRegister"
    device = m.devices.table.get(int(user.get("ppn") or 0))
    if register and device is not None and m.central.foreign(device):
        raise AxiError("EInval", f"the device of user {uid} is confirmed at OMM "
                       f"{device.get('ommIdAck')}, not here", bad="uid")
    m.hub.publish(SipRegisterNow(uid, register))
    return resp(req, {"uid": uid})
