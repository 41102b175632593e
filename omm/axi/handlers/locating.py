"""AXI locating: RequestPositionInfo and EventPositionInfo (axi.md "Locating & Bluetooth",
§4.3; features.md §2.8). The OMM asks the handset over DECT which RFPs it hears
(dect.conventions "locating"); the answer reaches the Locating subscribers as
EventPositionInfo with one `<vis id rssiAvg>` per RFP, strongest first (omm.axi.dect)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from omm.axi.dispatch import Ctx, resp, route
from sipdect.axi.args import need_int
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError

if TYPE_CHECKING:
    from omm.axi.api import AxiApi

NOT_LOCATABLE: Final = "EForbidden"
"""Decided (the schema has no word for it): a device whose user is not `locatable` (or that
has no user) is refused with EForbidden; EPerm stays the account's missing permission."""
NOT_SUBSCRIBED: Final = "EFailed"
"""Decided: a device that is not subscribed cannot be asked, and the OMM knows it at once.
A subscribed handset that does not answer (out of range, switched off) is told later as an
EventPositionInfo without `<vis>`: the Resp comes before the handset was asked."""


@route("RequestPositionInfo", perm="Locating")
def request_position_info(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    ppn = need_int(req, "ppn", low=1)
    device = api.model.devices.get(ppn)  # ENoEnt for an unknown device
    uid = int(device.get("uid") or 0)
    user = api.model.users.table.get(uid) if uid else None
    if user is None or not user.get("locatable"):
        raise AxiError(NOT_LOCATABLE, f"the user of device {ppn} is not locatable")
    if device.get("s") != "Yes":
        raise AxiError(NOT_SUBSCRIBED, f"device {ppn} is not subscribed")
    if api.dect is None:
        raise AxiError("EFailed", "this OMM runs no DECT")
    api.dect.request_position(ppn)
    return resp(req)
