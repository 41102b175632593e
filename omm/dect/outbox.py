"""What waits in a PP's COMS queue at the fixed part: text messages and position requests
(dect.conventions "text messages" and "locating"; both travel in one COMS transaction)."""

from __future__ import annotations

from dataclasses import dataclass

from dect import conventions as cv
from omm.dect import events as ev


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A text message waiting for its PP."""

    message_id: int
    """What send_message() returned."""
    title: str
    """Sender name or number, the first display line."""
    text: str
    """The message."""
    confirmations: tuple[str, ...]
    """AXI confirmReq values."""
    priority: str = cv.DEFAULT_MESSAGE_PRIORITY
    """AXI MessagePriorityType: how the handset treats it (dect.conventions)."""

    def failed(self, ppn: int, why: str) -> ev.FpEvent:
        """The event when it left the queue undelivered for `why` (a MessageProgressType)."""
        return ev.MessageProgress(self.message_id, ppn, why)


@dataclass(frozen=True, slots=True)
class PositionQuery:
    """A position request waiting for its PP (it travels as a message does)."""

    query_id: int
    """What request_position() returned."""

    def failed(self, ppn: int, why: str) -> ev.FpEvent:
        return ev.PositionFailed(self.query_id, ppn, why)


Outgoing = OutgoingMessage | PositionQuery
"""What waits in a PP's COMS queue."""
