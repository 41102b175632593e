"""Every value of ESPA 4.4.4 this emulator rests on, in one place (standby-eventmgr.md B.2).

[D] documented by a public source, [C] seen in independent implementations, [I] decided here
where nothing public says (the real Event Manager's choices are not published).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

SOH: Final = 0x01
STX: Final = 0x02
ETX: Final = 0x03
EOT: Final = 0x04
ENQ: Final = 0x05
ACK: Final = 0x06
NAK: Final = 0x15
RS: Final = 0x1E
"""Separates records [D]."""
US: Final = 0x1F
"""Separates a record's identifier from its value [D]."""

CONTROL_BYTES: Final = frozenset({SOH, STX, ETX, EOT, ENQ, ACK, NAK, RS, US})
ENCODING: Final = "iso-8859-1"
"""The character set of identifiers and values [D] (0xE4 is "ä")."""


class Function(IntEnum):
    """The header of a data block [D gscott]; only calls are processed, the rest is ACKed and
    ignored [D Avaya, C northplane]."""

    CALL = 1
    STATUS_INFORMATION = 2
    STATUS_REQUEST = 3
    CALL_SUBSCRIBER_LINE = 4
    OTHER = 5


class Record(IntEnum):
    """Record identifiers of a data block [D]."""

    CALL_ADDRESS = 1
    DISPLAY_MESSAGE = 2
    BEEP_CODING = 3
    CALL_TYPE = 4
    TRANSMISSIONS = 5
    PRIORITY = 6
    CALL_STATUS = 7
    SYSTEM_DATA = 8


class Priority(IntEnum):
    """Record 6 [C northplane; D Avaya "priority 2 (High)"]: 1 is the alarm, the highest."""

    ALARM = 1
    HIGH = 2
    NORMAL = 3


DEFAULT_PRIORITY: Final = Priority.NORMAL
"""A call without record 6 [C]."""

CONTROL_ADDRESS: Final = "1"
"""The control equipment's (master's) address; '1' is recommended [D Avaya]."""
PAGING_ADDRESS: Final = "2"
"""The paging system's (the Event Manager's) address [I: the usual '1 ENQ 2 ENQ' select]."""
ADDRESSES: Final = frozenset("0123456789")
"""Addresses are single characters '0'-'9' [D Avaya]."""
TRANSMISSION_ERROR: Final = "1"
"""The digit before NAK that says the block was received with a bad BCC [D Avaya; C]."""

MAX_BLOCK: Final = 1024
"""[I] The longest data block taken, SOH to BCC; a longer one is garbage (answered NAK)."""
MAX_VALUE: Final = 255
"""[I] The longest record value an encoder writes (display messages are short on a pager)."""

SELECT_WINDOW_S: Final = 2.5
"""The second ENQ of a select ('1 ENQ 2 ENQ') must follow the first within this [C digimat]."""
BLOCK_WAIT_S: Final = 15.0
"""After ACKing a select the slave waits this long for the block, then goes idle [C digimat]."""
ANSWER_WAIT_S: Final = 3.0
"""A sender waits this long for ACK or NAK before it sends again [C digimat: 3 s per stage;
D Avaya: configurable]."""
RETRIES: Final = 3
"""A sender sends a block (or a select) at most 1 + RETRIES times, then gives up [I; D Avaya:
configurable count]."""
LINK_IDLE_S: Final = 120.0
"""Without any byte for this long a link reports a link time-out [C digimat]."""
DEFAULT_TCP_PORT: Final = 2023
"""[I] The Event Manager's ESPA server port when the config names none (2023 is what ESPA over
TCP products use; the real default is not public). The seed says it is configurable."""
