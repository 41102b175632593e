"""Fixed length information elements: single octet and double octet elements.

ETSI EN 300 175-5 §7.6 (table 75) and the codeset shifts of §7.5.3/§7.5.4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dect.nwk import tables as t
from dect.nwk.base import (
    JsonValue,
    check_field,
    code_name,
    dect_text,
)
from dect.nwk.ie.core import IE, DoubleOctetIE, SingleOctetIE


@dataclass(frozen=True)
class SendingComplete(SingleOctetIE):
    """Called party number complete (§7.6.2)."""

    identifier: ClassVar[int] = t.SingleOctetIe.SENDING_COMPLETE


@dataclass(frozen=True)
class DelimiterRequest(SingleOctetIE):
    """Peer is asked to send SENDING-COMPLETE (§7.6.2)."""

    identifier: ClassVar[int] = t.SingleOctetIe.DELIMITER_REQUEST


@dataclass(frozen=True)
class UseTpui(SingleOctetIE):
    """The PT may use its TPUI in CC-SETUP and LCE-PAGE-RESPONSE (§7.6.2)."""

    identifier: ClassVar[int] = t.SingleOctetIe.USE_TPUI


@dataclass(frozen=True)
class RepeatIndicator(IE):
    """The following elements form a (non-)prioritized list (§7.6.3)."""

    list_type: int = t.RepeatListType.NON_PRIORITIZED_LIST

    def __post_init__(self) -> None:
        check_field("REPEAT-INDICATOR", self.list_type, 4)

    def encode(self) -> bytes:
        return bytes([t.REPEAT_INDICATOR_PREFIX | self.list_type])

    @property
    def ie_name(self) -> str:
        return "REPEAT-INDICATOR"

    def fields(self) -> dict[str, JsonValue]:
        return {"list": code_name(t.RepeatListType, self.list_type)}


@dataclass(frozen=True)
class Shift(IE):
    """Codeset shift, locking or for the next element only (§7.5.3, §7.5.4)."""

    codeset: int
    locking: bool = True

    def __post_init__(self) -> None:
        check_field("SHIFT codeset", self.codeset, 3)

    def encode(self) -> bytes:
        lock = 0 if self.locking else t.SHIFT_NON_LOCKING
        return bytes([t.SHIFT_PREFIX | lock | self.codeset])

    @property
    def ie_name(self) -> str:
        return "SHIFT"

    def fields(self) -> dict[str, JsonValue]:
        return {"codeset": self.codeset, "locking": self.locking}


@dataclass(frozen=True)
class BasicService(DoubleOctetIE):
    """Call class and basic service (§7.6.4)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.BASIC_SERVICE
    call_class: int = t.CALL_CLASS_NORMAL
    basic_service: int = t.BASIC_SERVICE_SPEECH

    def __post_init__(self) -> None:
        check_field("BASIC-SERVICE call class", self.call_class, 4)
        check_field("BASIC-SERVICE basic service", self.basic_service, 4)

    def octet(self) -> int:
        return self.call_class << 4 | self.basic_service

    @classmethod
    def from_octet(cls, value: int) -> BasicService:
        return cls(value >> 4, value & 0xF)

    def fields(self) -> dict[str, JsonValue]:
        return {
            "call_class": code_name(t.CALL_CLASS, self.call_class),
            "basic_service": code_name(t.BASIC_SERVICE, self.basic_service),
        }


@dataclass(frozen=True)
class _CodeOctetIE(DoubleOctetIE):
    """A double octet element whose content octet is one code from a table."""

    code: int

    def __post_init__(self) -> None:
        check_field(self.ie_name, self.code, 8)

    def octet(self) -> int:
        return self.code

    @classmethod
    def from_octet(cls, value: int) -> DoubleOctetIE:
        return cls(value)

    def meaning(self) -> str:
        raise NotImplementedError

    def fields(self) -> dict[str, JsonValue]:
        return {"code": self.code, "meaning": self.meaning()}


@dataclass(frozen=True)
class ReleaseReason(_CodeOctetIE):
    """Cause of a release (§7.6.7)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.RELEASE_REASON

    def meaning(self) -> str:
        return code_name(t.ReleaseReasonCode, self.code)


@dataclass(frozen=True)
class Signal(_CodeOctetIE):
    """Tone or alerting pattern for the PT (§7.6.8)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.SIGNAL

    def meaning(self) -> str:
        return code_name(t.SIGNAL, self.code)


@dataclass(frozen=True)
class TimerRestart(_CodeOctetIE):
    """Restart or stop a timer (§7.6.9)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.TIMER_RESTART

    def meaning(self) -> str:
        return code_name(t.TIMER_RESTART, self.code)


@dataclass(frozen=True)
class TestHookControl(_CodeOctetIE):
    """Remote hook switch for testing (§7.6.10)."""

    __test__ = False  # not a pytest test class despite the name
    identifier: ClassVar[int] = t.DoubleOctetIe.TEST_HOOK_CONTROL

    def meaning(self) -> str:
        return code_name(t.TEST_HOOK_CONTROL, self.code)


@dataclass(frozen=True)
class SingleDisplay(_CodeOctetIE):
    """One DECT character to display (§7.6.5)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.SINGLE_DISPLAY

    def meaning(self) -> str:
        return dect_text(bytes([self.code]))


@dataclass(frozen=True)
class SingleKeypad(_CodeOctetIE):
    """One DECT character from the keypad (§7.6.6)."""

    identifier: ClassVar[int] = t.DoubleOctetIe.SINGLE_KEYPAD

    def meaning(self) -> str:
        return dect_text(bytes([self.code]))
