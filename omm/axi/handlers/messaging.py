"""AXI text messaging to DECT handsets (axi.md §3.4 "Messaging", §4.3 EventMessage*)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omm.axi.dect import SentMessage
from omm.axi.dispatch import ANY, Ctx, actor_of, allowed, resp, route
from sipdect import clock
from sipdect.axi import conventions
from sipdect.axi.args import opt_int
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError, invalid, missing, too_long

if TYPE_CHECKING:
    from omm.axi.api import AxiApi

MESSAGE_CONFIRMATIONS = ("ReadYes", "ReadNo", "OrderOk", "OrderNok", "OrderDontKnow",
                         "CompleteDone", "CompleteNotDone", "CompleteFailed")
MAX_CONTENT = 1000  # [A] the real limit is not public

PRIORITY_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "Info": ("InfoMessaging", "Messaging"),
    "Low": ("Messaging",),
    "Normal": ("Messaging",),
    "High": ("Messaging",),
    "Emergency": ("Alerting",),
    "LocatingAlert": ("LocatingAlert",),
}
"""MessagePriorityType (schema order) -> the permissions of which one lets an account send
it (standby-eventmgr.md B.3, [C] mitel-api PermissionType: InfoMessaging sends Info only,
Messaging all but Emergency and LocatingAlert, which need Alerting and LocatingAlert)."""
DEFAULT_PRIORITY = "Normal"  # the schema's default


def _priority(api: AxiApi, ctx: Ctx, msg: Message) -> str:
    """The message's priority, once the session's account may send it."""
    priority = msg.attrs.get("priority", DEFAULT_PRIORITY)
    needs = PRIORITY_PERMISSIONS.get(priority)
    if needs is None:
        raise invalid("priority", priority, "not a MessagePriorityType")
    account = actor_of(api, ctx)
    if not any(allowed(account, perm) for perm in needs):
        raise AxiError("EPerm", f"a message of priority {priority} needs permission "
                       f"{' or '.join(needs)}")
    return priority


def _target_ppn(api: AxiApi, msg: Message) -> int:
    """The device a message goes to: `ppn` (the schema spells it `Ppn`), else `toAddr` as
    conventions.MESSAGE_ADDRESS_SCHEMES describes: ppn:N, tel:NUMBER or NUMBER."""
    ppn = opt_int(msg, "ppn" if "ppn" in msg.attrs else "Ppn", low=1)
    if ppn:
        api.model.devices.get(ppn)
        return ppn
    to_addr = msg.attrs.get("toAddr")
    if not to_addr:
        raise missing("toAddr")
    if len(to_addr) > conventions.MESSAGE_ADDRESS_MAX_LEN:
        raise too_long("toAddr", conventions.MESSAGE_ADDRESS_MAX_LEN)
    scheme, colon, rest = to_addr.partition(":")
    scheme, rest = (scheme.lower(), rest) if colon else ("tel", to_addr)
    if scheme not in conventions.MESSAGE_ADDRESS_SCHEMES:
        raise invalid("toAddr", to_addr, "the address schemes are ppn:N and tel:NUMBER")
    if scheme == "ppn":
        if not rest.isdigit() or int(rest) < 1:
            raise invalid("toAddr", to_addr, "ppn: needs a device number")
        ppn = int(rest)
        api.model.devices.get(ppn)
        return ppn
    user = api.model.users.find_by_number(rest)
    if not user["ppn"]:
        raise AxiError("ENoEnt", f"user {rest} has no device")
    return int(user["ppn"])


@route("SendMessage", perm=ANY)  # which permission depends on the priority (_priority)
def send_message(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    msg = req.child("msg")
    if msg is None:
        raise missing("msg")
    priority = _priority(api, ctx, msg)
    if not api.model.license.may_send(priority):
        raise AxiError("ELicense", "the licence allows no such message now (GetLicense): "
                       + ("its latency period expired" if api.model.license.blocked
                          else "no messaging licence, only priority Info"), bad="priority")
    content = msg.attrs.get("content", "")
    if len(content) > MAX_CONTENT:
        raise AxiError("ETooLong", "content is too long", bad="content", max_len=MAX_CONTENT)
    # The schema's <confirmReq>, or <confirm> as mitel-api writes it (B.3: accept both).
    confirmations = tuple(c.text or "" for c in (*msg.children_named("confirmReq"),
                                                 *msg.children_named("confirm")))
    for c in confirmations:
        if c not in MESSAGE_CONFIRMATIONS:
            raise invalid("confirmReq", c, "not a MessageConfirmType")
    ppn = _target_ppn(api, msg)
    if api.dect is None:
        raise AxiError("EFailed", "this OMM runs no DECT")
    sent = SentMessage(send_time=opt_int(msg, "sendTime", int(clock.wall()), low=0) or 0,
                       client_id=opt_int(msg, "id", 0, low=0) or 0,
                       to_addr=msg.attrs.get("toAddr", f"ppn:{ppn}"),
                       from_addr=msg.attrs.get("fromAddr", ""), priority=priority)
    api.dect.send_message(ppn, content, sent, title=msg.attrs.get("fromName", ""),
                          confirmations=confirmations)
    return resp(req)
