"""What the OMM's DECT fixed part reports, as AXI sees it: PP state, transactions, messages.

The fixed part (omm.dect) runs the DECT procedures; record changes reach AXI through the
model's Cnf events by themselves. This adds the events the model does not hold
(axi.md §4.3: EventPPState, EventPPTransaction, EventMessageProgress,
EventMessageConfirmation) and the live state GetPPState reads, callState and onHook
following the PP's call. Other parts of the OMM (the SIP user agent) see every fixed-part
event through `add_listener`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omm.dect import events as fev
from sipdect.axi.codec import Message

if TYPE_CHECKING:
    from omm.axi.api import AxiApi
    from omm.dect import FixedPart


ON_HOOK: dict[str, str] = {
    "idle": "1",
    "none": "1",
    "paging": "1",
    "ringing": "1",
    "calling": "0",
    "connected": "0",
}
"""EventPPState onHook for each PPUserCallStateType: off-hook while dialling or talking."""


@dataclass
class SentMessage:
    """An AXI SendMessage being delivered: the keys its events echo (sendTime, id, toAddr)."""

    send_time: int
    client_id: int
    to_addr: str
    from_addr: str


class DectBridge:
    """One per OMM: owns the fixed part's upward events and the messaging bookkeeping."""

    def __init__(self, api: AxiApi, fixed_part: FixedPart, kick: Callable[[], None],
                 now: Callable[[], float]) -> None:
        self.api = api
        self.fixed_part = fixed_part
        self.kick = kick
        self.now = now
        self.messages: dict[int, SentMessage] = {}
        self.pp_state: dict[int, dict[str, str]] = {}
        self.attached: set[int] = set()
        """Devices whose last DECT location registration stands (not detached since)."""
        self._listeners: list[Callable[[fev.FpEvent], None]] = []
        api.dect = self

    def add_listener(self, listener: Callable[[fev.FpEvent], None]) -> None:
        """Call `listener` with every fixed-part event, after AXI saw it (CallDialled, ...)."""
        self._listeners.append(listener)

    # -- downward ---------------------------------------------------------------------------
    def send_message(self, ppn: int, text: str, sent: SentMessage, *, title: str = "",
                     confirmations: tuple[str, ...] = ()) -> int:
        message_id = self.fixed_part.send_message(ppn, text, self.now(), title=title,
                                                  confirmations=confirmations)
        self.messages[message_id] = sent
        self.drain()
        self.kick()
        return message_id

    # -- upward ------------------------------------------------------------------------------
    def drain(self) -> None:
        """Turn every queued fixed-part event into AXI events and event-log lines."""
        while (event := self.fixed_part.next_event()) is not None:
            handler = _HANDLERS.get(type(event))
            if handler is not None:
                handler(self, event)
            for listener in self._listeners:
                listener(event)
        self.api.deliver()

    def update_pp_state(self, ppn: int, values: dict[str, str]) -> None:
        """Merge state from other components (SIP registration) and announce what changed."""
        self._pp_state(ppn, **values)
        self.api.deliver()

    def _pp_state(self, ppn: int, **values: str) -> None:
        state = self.pp_state.setdefault(ppn, {})
        changed = {k: v for k, v in values.items() if state.get(k) != v}
        if changed:
            state.update(changed)
            self.api.queue_event("PPState", str(ppn),
                                 Message("EventPPState", {"ppn": str(ppn), **changed}))
            if "registered" in changed:  # counted by nSipRegistration
                self.api.queue_summary("PPUserSummary")

    def _attached(self, e: fev.DeviceAttached) -> None:
        # PPState `registered` is the SIP registration (it sits with regServer*, set by
        # omm.sip); a DECT location registration shows as the call state leaving "none".
        self.attached.add(e.ppn)
        call = self.fixed_part.call_state(e.ppn)  # a PP may register again mid-call
        self._pp_state(e.ppn, onHook=ON_HOOK[call], callState=call)

    def _detached(self, e: fev.DeviceDetached) -> None:
        self.attached.discard(e.ppn)
        self._pp_state(e.ppn, callState="none")

    def _call_state(self, e: fev.PpCallState) -> None:
        self._pp_state(e.ppn, callState=e.call_state, onHook=ON_HOOK[e.call_state])

    def _transaction(self, e: fev.PpTransaction) -> None:
        msg = Message("EventPPTransaction", {"trType": e.tr_type, "ppn": str(e.ppn),
                                             "rfpId": str(e.rfp_id)})
        self.api.queue_event("PPTransaction", str(e.ppn), msg)
        self.api.queue_event("PPTransaction" + e.tr_type, str(e.ppn), msg)

    def _logged_in(self, e: fev.UserLoggedIn) -> None:
        self.api.model.log("GenInfo", "DECT", f"user {e.uid} logged in at PP {e.ppn}")

    def _logged_out(self, e: fev.UserLoggedOut) -> None:
        self.api.model.log("GenInfo", "DECT", f"user {e.uid} logged out from PP {e.ppn}")

    def _login_failed(self, e: fev.UserLoginFailed) -> None:
        self.api.model.log("MinorErr", "DECT", f"user login '{e.login}' at PP {e.ppn} failed")

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
            "fromAddr": sent.to_addr, "toAddr": sent.from_addr,
            "confTime": str(int(e.time) if e.time > 1e9 else int(self.api.model.clock())),
            "confirmation": e.confirmation}))


_HANDLERS: dict[type, Callable[[DectBridge, Any], None]] = {
    fev.DeviceAttached: DectBridge._attached,
    fev.DeviceDetached: DectBridge._detached,
    fev.PpTransaction: DectBridge._transaction,
    fev.PpCallState: DectBridge._call_state,
    fev.UserLoggedIn: DectBridge._logged_in,
    fev.UserLoggedOut: DectBridge._logged_out,
    fev.UserLoginFailed: DectBridge._login_failed,
    fev.MessageProgress: DectBridge._progress,
    fev.MessageConfirmed: DectBridge._confirmed,
}
