"""What the OMM's DECT side reports, as AXI sees it: PP state, transactions, messages.

The fixed part (omm.dect) runs the DECT procedures; record changes reach AXI through the
model's Cnf events by themselves. This AXI adapter listens on the OMM hub for the events the
model does not hold (axi.md §4.3: EventPPState, EventPPTransaction, EventMessageProgress,
EventMessageConfirmation; for a MOM's Roaming subscription EventDECTLocate, EventDECTSubscribe
and EventPPSIPDeregistered) and keeps the bookkeeping of AXI SendMessage. The live state
GetPPState reads is the model's (omm.ppstate); other parts of the OMM (the SIP user agent)
listen on the hub themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omm.alarms import AlarmCallProgress, AlarmRaised
from omm.dect import events as fev
from omm.dect.roaming import ASK_EVENTS, Procedure
from omm.hub import PpStateChanged, SipDeregistered
from sipdect.axi.codec import Message

if TYPE_CHECKING:
    from omm.axi.api import AxiApi
    from omm.dect.fixed_part import FixedPart


@dataclass
class SentMessage:
    """An AXI SendMessage being delivered: the keys its events echo (sendTime, id, toAddr)."""

    send_time: int
    client_id: int
    to_addr: str
    from_addr: str
    priority: str = "Normal"
    """Its MessagePriorityType (the account was allowed to send it)."""


class DectBridge:
    """One per OMM: AXI's view of the DECT side and its messaging bookkeeping."""

    def __init__(self, api: AxiApi, fixed_part: FixedPart, kick: Callable[[], None],
                 now: Callable[[], float]) -> None:
        self.api = api
        self.fixed_part = fixed_part
        self.kick = kick
        self.now = now
        self.messages: dict[int, SentMessage] = {}
        api.dect = self
        api.model.hub.subscribe(self.on_event)

    def close(self) -> None:
        self.api.model.hub.unsubscribe(self.on_event)

    # -- downward ---------------------------------------------------------------------------
    def send_message(self, ppn: int, text: str, sent: SentMessage, *, title: str = "",
                     confirmations: tuple[str, ...] = ()) -> int:
        message_id = self.fixed_part.send_message(ppn, text, self.now(), title=title,
                                                  confirmations=confirmations,
                                                  priority=sent.priority)
        self.messages[message_id] = sent
        self.kick()
        return message_id

    def request_position(self, ppn: int) -> int:
        """Ask the device which RFPs it hears; EventPositionInfo tells the answer."""
        query_id = self.fixed_part.request_position(ppn, self.now())
        self.kick()
        return query_id

    def reject_roaming(self, procedure: Procedure, ipei: str, reason: str) -> bool:
        """The MOM refused a held request; False when none of this handset is held."""
        held = self.fixed_part.reject_roaming(procedure, ipei, reason, self.now())
        self.kick()
        return held

    # -- upward ------------------------------------------------------------------------------
    def on_event(self, event: object) -> None:
        """One event of the OMM hub, turned into AXI events (delivered by api.deliver())."""
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _pp_state(self, e: PpStateChanged) -> None:
        self.api.queue_event("PPState", str(e.ppn),
                             Message("EventPPState", {"ppn": str(e.ppn), **e.changed}))
        if "registered" in e.changed:  # counted by nSipRegistration
            self.api.queue_summary("PPUserSummary")

    def _transaction(self, e: fev.PpTransaction) -> None:
        msg = Message("EventPPTransaction", {"trType": e.tr_type, "ppn": str(e.ppn),
                                             "rfpId": str(e.rfp_id)})
        self.api.queue_event("PPTransaction", str(e.ppn), msg)
        self.api.queue_event("PPTransaction" + e.tr_type, str(e.ppn), msg)

    def _progress(self, e: fev.MessageProgress) -> None:
        sent = self.messages.get(e.message_id)
        if sent is None:
            return
        self.api.queue_event("MessageProgress", None, Message("EventMessageProgress", {
            "sendTime": str(sent.send_time), "id": str(sent.client_id),
            "toAddr": sent.to_addr, "event": e.event}))

    def _confirmed(self, e: fev.MessageConfirmed) -> None:
        sent = self.messages.get(e.message_id)
        if sent is None:
            return
        self.api.queue_event("MessageConfirmation", None, Message("EventMessageConfirmation", {
            "sendTime": str(sent.send_time), "id": str(sent.client_id),
            # fromAddr is the original's sender, where the confirmation goes; sendTime, id
            # and toAddr name the message as in EventMessageProgress (B.3, [C] mitel-api).
            "fromAddr": sent.from_addr, "toAddr": sent.to_addr,
            "confTime": str(int(e.time) if e.time > 1e9 else int(self.api.model.clock())),
            "confirmation": e.confirmation}))

    def _position(self, e: fev.PositionMeasured | fev.PositionFailed) -> None:
        """EventPositionInfo to the Locating subscribers: the RFPs heard, strongest first
        (none when the handset did not answer)."""
        heard = e.heard if isinstance(e, fev.PositionMeasured) else ()
        via = e.rfp_id if isinstance(e, fev.PositionMeasured) else None
        vis = []
        for rpn, level in heard:
            rfp_id = self.api.model.rfps.by_rpn(rpn, near=via)
            if rfp_id is not None:
                vis.append(Message("vis", {"id": str(rfp_id), "rssiAvg": str(level)}))
        self.api.model.pp_live.located(e.ppn, tuple(
            (int(v.attrs["id"]), int(v.attrs["rssiAvg"])) for v in vis), self.now())
        self.api.queue_event("Locating", str(e.ppn),
                             Message("EventPositionInfo", {"ppn": str(e.ppn)}, vis))

    def _roaming_asked(self, e: fev.RoamingAsked) -> None:
        """EventDECTLocate / EventDECTSubscribe to the Roaming subscribers (docs/mom.md)."""
        name = ASK_EVENTS[Procedure(e.procedure)]
        self.api.queue_event("Roaming", None, Message(name, {
            "ipei": e.ipei, "ppn": str(e.ppn), "ommId": self.api.model.central.own_id,
            "park": e.park, "rfpId": str(e.rfp_id)}))


    def _alarm_raised(self, e: AlarmRaised) -> None:
        """EventAlarmTrigger (standby-eventmgr.md B.3, B.4) to AlarmTrigger subscribers."""
        attrs = {"sendTime": str(e.send_time), "id": str(e.alarm_id), "trigger": e.trigger,
                 **({"uid": str(e.uid)} if e.uid else {}), "ppn": str(e.ppn),
                 "fromAddr": e.from_addr, **({"toAddr": e.to_addr} if e.to_addr else {}),
                 **({"dialSuffix": e.dial_suffix} if e.dial_suffix else {})}
        self.api.queue_event("AlarmTrigger", e.trigger, Message("EventAlarmTrigger", attrs))

    def _alarm_call(self, e: AlarmCallProgress) -> None:
        """EventAlarmCallProgress to AlarmCallProgress subscribers (real sample: axi.md §4)."""
        self.api.queue_event("AlarmCallProgress", e.trigger, Message("EventAlarmCallProgress", {
            "ppn": str(e.ppn), "trigger": e.trigger, "id": str(e.alarm_id),
            "destAddr": e.dest_addr, "state": e.state}))

    def _sip_deregistered(self, e: SipDeregistered) -> None:
        self.api.queue_event("Roaming", None, Message("EventPPSIPDeregistered",
                                                      {"uid": str(e.uid)}))


_HANDLERS: dict[type, Callable[[DectBridge, Any], None]] = {
    AlarmRaised: DectBridge._alarm_raised,
    AlarmCallProgress: DectBridge._alarm_call,
    SipDeregistered: DectBridge._sip_deregistered,
    fev.RoamingAsked: DectBridge._roaming_asked,
    PpStateChanged: DectBridge._pp_state,
    fev.PpTransaction: DectBridge._transaction,
    fev.MessageProgress: DectBridge._progress,
    fev.MessageConfirmed: DectBridge._confirmed,
    fev.PositionMeasured: DectBridge._position,
    fev.PositionFailed: DectBridge._position,
}
