"""AXI text messaging to DECT handsets (axi.md §3.4 "Messaging", §4.3 EventMessage*)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from omm.axi.args import opt_int
from omm.axi.dect import SentMessage
from omm.axi.dispatch import Ctx, resp, route
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError, invalid, missing

if TYPE_CHECKING:
    from omm.axi.api import AxiApi

MESSAGE_CONFIRMATIONS = ("ReadYes", "ReadNo", "OrderOk", "OrderNok", "OrderDontKnow",
                         "CompleteDone", "CompleteNotDone", "CompleteFailed")
MAX_CONTENT = 1000  # [A] the real limit is not public


def _target_ppn(api: AxiApi, msg: Message) -> int:
    """The device a message goes to: `Ppn`, or the user behind `toAddr` (tel:NUMBER)."""
    ppn = opt_int(msg, "Ppn", low=1)
    if ppn:
        api.model.devices.get(ppn)
        return ppn
    to_addr = msg.attrs.get("toAddr")
    if not to_addr:
        raise missing("toAddr")
    number = to_addr.split(":", 1)[1] if ":" in to_addr else to_addr
    user = api.model.users.find_by_number(number)
    if not user["ppn"]:
        raise AxiError("ENoEnt", f"user {number} has no device")
    return int(user["ppn"])


@route("SendMessage", perm="Messaging")
def send_message(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    msg = req.child("msg")
    if msg is None:
        raise missing("msg")
    content = msg.attrs.get("content", "")
    if len(content) > MAX_CONTENT:
        raise AxiError("ETooLong", "content is too long", bad="content", max_len=MAX_CONTENT)
    confirmations = tuple(c.text or "" for c in msg.children_named("confirmReq"))
    for c in confirmations:
        if c not in MESSAGE_CONFIRMATIONS:
            raise invalid("confirmReq", c, "not a MessageConfirmType")
    ppn = _target_ppn(api, msg)
    if api.dect is None:
        raise AxiError("EFailed", "this OMM runs no DECT")
    sent = SentMessage(send_time=opt_int(msg, "sendTime", int(time.time()), low=0) or 0,
                       client_id=opt_int(msg, "id", 0, low=0) or 0,
                       to_addr=msg.attrs.get("toAddr", f"ppn:{ppn}"),
                       from_addr=msg.attrs.get("fromAddr", ""))
    api.dect.send_message(ppn, content, sent, title=msg.attrs.get("fromName", ""),
                          confirmations=confirmations)
    return resp(req)
